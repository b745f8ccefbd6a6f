/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "lib/macro.h"
#include "reconciler/spec/identity.h"

int colon_split(const char *s, char *buf, size_t size, const char **parts, int max) {
        int n = 0;
        char *p;

        if (strlen(s) >= size)
                return -1;
        strcpy(buf, s);
        p = buf;
        while (n < max - 1) {
                char *c = strchr(p, ':');
                if (!c)
                        break;
                *c = 0;
                parts[n++] = p;
                p = c + 1;
        }
        parts[n++] = p;
        return n;
}

static bool chars_valid(const char *s, size_t min, size_t max, const char *extra) {
        size_t n = strlen(s);

        if (n < min || n > max)
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr(extra, *p))
                        return false;
        return true;
}

bool aws_function_name_valid(const char *s) {
        return chars_valid(s, 1, 64, "-_");
}

bool aws_qualifier_valid(const char *s) {
        return streq(s, "$LATEST") || streq(s, "$LATEST.PUBLISHED") || chars_valid(s, 1, 128, "-_$");
}

bool aws_account_id_valid(const char *s) {
        return strlen(s) == 12 && chars_valid(s, 12, 12, "") && strspn(s, "0123456789") == 12;
}

static bool region_valid(const char *s) {
        return chars_valid(s, 1, 64, "-");
}

static int set_error(char **ret_error, int r, const char *format, ...) _printf_(3, 4);
static int set_error(char **ret_error, int r, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        if (vasprintf(ret_error, format, ap) < 0) {
                *ret_error = NULL;
                r = -ENOMEM;
        }
        va_end(ap);
        return r;
}

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

static int dup_or_null(const char *s, char **ret) {
        *ret = NULL;
        if (s && !(*ret = strdup(s)))
                return -ENOMEM;
        return 0;
}

/* Combines a qualifier embedded in the function with the qualifier field. */
static int merge_qualifier(const char *embedded, const char *field, const char *def,
                           char **ret, char **ret_error) {
        if (embedded && field && !streq(embedded, field))
                return set_error(ret_error, -EDOM,
                                 "qualifier '%s' conflicts with the qualifier '%s' in the function",
                                 field, embedded);
        return dup_or_null(embedded ?: field ?: def, ret) < 0 ? -ENOMEM : 0;
}

/* The unqualified ARN (partition as written) or partial ARN, when the function was spelled
 * with a region or account. */
static int aws_set_target(const char *partition, FunctionId *id) {
        int r = 0;

        if (id->region)
                r = asprintf(&id->target, "arn:%s:lambda:%s:%s:function:%s", partition,
                             id->region, id->account_id, id->name);
        else if (id->account_id)
                r = asprintf(&id->target, "%s:function:%s", id->account_id, id->name);
        if (r < 0) {
                id->target = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int aws_parse(const char *function, const char *qualifier, FunctionId *id,
                     char **ret_error) {
        char buf[COLON_SPLIT_MAX];
        const char *parts[8];
        const char *name, *embedded = NULL, *region = NULL, *account = NULL;
        int n;

        if (qualifier && !aws_qualifier_valid(qualifier))
                return set_error(ret_error, -EDOM, "invalid qualifier '%s' (expected $LATEST, a "
                                 "version number or an alias name)", qualifier);
        n = colon_split(function, buf, sizeof(buf), parts, 8);
        if (n < 0)
                return set_error(ret_error, -EINVAL, "function is too long");
        if (streq(parts[0], "arn")) {
                if (n < 7 || n > 8 || !streq(parts[2], "lambda") || !streq(parts[5], "function"))
                        return set_error(ret_error, -EINVAL,
                                         "invalid Lambda function ARN '%s' (expected "
                                         "arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER])",
                                         function);
                if (!startswith(parts[1], "aws") || !region_valid(parts[3]) ||
                    !aws_account_id_valid(parts[4]))
                        return set_error(ret_error, -EINVAL,
                                         "invalid Lambda function ARN '%s' (bad partition, region "
                                         "or account)", function);
                region = parts[3];
                account = parts[4];
                name = parts[6];
                embedded = n == 8 ? parts[7] : NULL;
        } else if (n >= 3 && streq(parts[1], "function")) {
                if (n > 4 || !aws_account_id_valid(parts[0]))
                        return set_error(ret_error, -EINVAL,
                                         "invalid partial Lambda ARN '%s' (expected "
                                         "ACCOUNT:function:NAME[:QUALIFIER])", function);
                account = parts[0];
                name = parts[2];
                embedded = n == 4 ? parts[3] : NULL;
        } else {
                if (n > 2)
                        return set_error(ret_error, -EINVAL,
                                         "invalid function '%s' (expected a name, name:qualifier, "
                                         "or an ARN)", function);
                name = parts[0];
                embedded = n == 2 ? parts[1] : NULL;
        }
        if (!aws_function_name_valid(name))
                return set_error(ret_error, -EINVAL,
                                 "invalid function name '%s' (1-64 letters, digits, '-' or '_')",
                                 name);
        if (embedded && !aws_qualifier_valid(embedded))
                return set_error(ret_error, -EINVAL, "invalid qualifier '%s' in function '%s'",
                                 embedded, function);
        id->api = CLOUD_API_AWS_LAMBDA;
        if (merge_qualifier(embedded, qualifier, "$LATEST", &id->qualifier, ret_error) < 0)
                return *ret_error ? -EDOM : -ENOMEM;
        if (dup_or_null(name, &id->function) < 0 || dup_or_null(name, &id->name) < 0 ||
            dup_or_null(region, &id->region) < 0 || dup_or_null(account, &id->account_id) < 0)
                return -ENOMEM;
        return aws_set_target(region ? parts[1] : NULL, id);
}

static bool fc_name_valid(const char *s) {
        return chars_valid(s, 1, 128, "-_") && !isdigit((unsigned char) s[0]) && s[0] != '-';
}

static int alicloud_parse(const char *function, const char *qualifier, FunctionId *id,
                          char **ret_error) {
        const char *slash = strchr(function, '/');

        if (qualifier && !chars_valid(qualifier, 1, 128, "-_"))
                return set_error(ret_error, -EDOM, "invalid qualifier '%s' (expected LATEST, a "
                                 "version number or an alias name)", qualifier);
        /* An ARN carries a region and an account, which a name sent to FC does not. */
        if (startswith(function, "acs:"))
                return set_error(ret_error, -EINVAL,
                                 "function '%s' is an ARN: Function Compute functions are named "
                                 "by name ('name', FC2 'service/function'), in the account's "
                                 "region", function);
        if (slash) {
                _cleanup_free_ char *svc = strndup(function, (size_t) (slash - function));
                if (!svc)
                        return -ENOMEM;
                if (!fc_name_valid(svc) || !fc_name_valid(slash + 1))
                        return set_error(ret_error, -EINVAL,
                                         "invalid FC2 function '%s' (expected 'service/function')",
                                         function);
                id->api = CLOUD_API_FC2;
                if (dup_or_null(slash + 1, &id->name) < 0)
                        return -ENOMEM;
        } else {
                if (!fc_name_valid(function))
                        return set_error(ret_error, -EINVAL,
                                         "invalid function name '%s' (1-128 letters, digits, '-' "
                                         "or '_', not starting with a digit or '-'; FC2 functions "
                                         "are written 'service/function')", function);
                id->api = CLOUD_API_FC3;
                if (dup_or_null(function, &id->name) < 0)
                        return -ENOMEM;
        }
        if (dup_or_null(function, &id->function) < 0 ||
            dup_or_null(qualifier ?: "LATEST", &id->qualifier) < 0)
                return -ENOMEM;
        return 0;
}

static bool huawei_version_valid(const char *s) {
        return chars_valid(s, 1, 64, "-_.");
}

/* Huawei writes the latest version as "latest": accept any case, store lower-case. */
static const char *huawei_version_normalise(const char *s) {
        return s && strcasecmp(s, "latest") == 0 ? "latest" : s;
}

/* Splits a function URN into its parts: 7 (unqualified) or 8 (with version) on success. */
static int huawei_urn_split(const char *urn, char *buf, size_t size, const char **parts) {
        int n = colon_split(urn, buf, size, parts, 9);

        if (n < 7 || n > 8 || !streq(parts[0], "urn") || !streq(parts[1], "fss") ||
            !region_valid(parts[2]) || !chars_valid(parts[3], 1, 64, "") ||
            !streq(parts[4], "function") || !chars_valid(parts[5], 1, 64, "-_") ||
            !chars_valid(parts[6], 1, 128, "-_") || (n == 8 && !huawei_version_valid(parts[7])))
                return -EINVAL;
        return n;
}

bool huawei_function_urn_valid(const char *s) {
        char buf[COLON_SPLIT_MAX];
        const char *parts[9];

        return huawei_urn_split(s, buf, sizeof(buf), parts) > 0;
}

static int huawei_parse(const char *function, const char *qualifier, FunctionId *id,
                        char **ret_error) {
        char buf[COLON_SPLIT_MAX];
        const char *parts[9];
        const char *version;
        int n;

        if (qualifier && !huawei_version_valid(qualifier))
                return set_error(ret_error, -EDOM, "invalid qualifier '%s' (expected latest, a "
                                 "version or an alias name)", qualifier);
        n = huawei_urn_split(function, buf, sizeof(buf), parts);
        if (n < 0)
                return set_error(ret_error, -EINVAL,
                                 "invalid function URN '%s' (expected "
                                 "urn:fss:REGION:PROJECT:function:PACKAGE:NAME[:VERSION])",
                                 function);
        version = n == 8 ? huawei_version_normalise(parts[7]) : NULL;
        qualifier = huawei_version_normalise(qualifier);
        if (merge_qualifier(version, qualifier, "latest", &id->qualifier, ret_error) < 0)
                return *ret_error ? -EDOM : -ENOMEM;
        id->api = CLOUD_API_FUNCTIONGRAPH;
        if (asprintf(&id->function, "urn:fss:%s:%s:function:%s:%s", parts[2], parts[3], parts[5],
                     parts[6]) < 0) {
                id->function = NULL;
                return -ENOMEM;
        }
        if (dup_or_null(parts[6], &id->name) < 0 || dup_or_null(parts[2], &id->region) < 0 ||
            dup_or_null(parts[3], &id->account_id) < 0)
                return -ENOMEM;
        return 0;
}

int function_id_parse(Provider provider, const char *function, const char *qualifier,
                      FunctionId *ret, char **ret_error) {
        FunctionId id = { .provider = provider };
        int r;

        *ret_error = NULL;
        switch (provider) {
        case PROVIDER_AWS:
                r = aws_parse(function, qualifier, &id, ret_error);
                break;
        case PROVIDER_ALICLOUD:
                r = alicloud_parse(function, qualifier, &id, ret_error);
                break;
        case PROVIDER_HUAWEICLOUD:
                r = huawei_parse(function, qualifier, &id, ret_error);
                break;
        default:
                r = set_error(ret_error, -EINVAL, "unknown provider");
        }
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
