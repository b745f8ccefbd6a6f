/* SPDX-License-Identifier: MIT */
#include "clouds/cloud.h"
#include "clouds/function-id.h"
#include "lib/macro.h"
#include "lib/string-util.h"

void function_id_done(FunctionId *id) {
        if (!id)
                return;
        free(id->function);
        free(id->name);
        free(id->qualifier);
        free(id->region);
        free(id->account_id);
        free(id->target);
        *id = (FunctionId){};
}

int function_id_merge_qualifier(const char *embedded, const char *field, const char *def,
                                char **ret, char **ret_error) {
        if (embedded && field && !streq(embedded, field))
                return cloud_refuse(
                        ret_error, -EDOM,
                        "qualifier '%s' conflicts with the qualifier '%s' in the function", field,
                        embedded);
        return strdup_opt(embedded ?: field ?: def, ret);
}

int function_id_parse(Provider provider, const char *function, const char *qualifier,
                      FunctionId *ret, char **ret_error) {
        const CloudOps *ops = cloud_ops_from_provider(provider);
        FunctionId id = { .provider = provider };
        int r;

        *ret_error = NULL;
        if (!ops)
                return cloud_refuse(ret_error, -EINVAL, "unknown provider");
        r = ops->parse_function_id(function, qualifier, &id, ret_error);
        if (r < 0) {
                function_id_done(&id);
                return r;
        }
        *ret = id;
        return 0;
}

static bool opt_compatible(const char *a, const char *b) {
        return !a || !b || streq(a, b);
}

bool function_id_same(const FunctionId *a, const FunctionId *b) {
        return a->provider == b->provider && a->function && b->function &&
               streq(a->function, b->function) && a->qualifier && b->qualifier &&
               streq(a->qualifier, b->qualifier) && opt_compatible(a->region, b->region) &&
               opt_compatible(a->account_id, b->account_id);
}
