/* SPDX-License-Identifier: MIT */
#include "clouds/model.h"
#include "lib/macro.h"
#include "lib/string-table.h"

/* NULL-terminated: it is also what the YAML schema accepts as "provider:". */
const char *const provider_table[_PROVIDER_MAX + 1] = {
        [PROVIDER_AWS] = "aws",
        [PROVIDER_ALICLOUD] = "alicloud",
        [PROVIDER_HUAWEICLOUD] = "huaweicloud",
        NULL,
};

static const char *const cloud_api_table[_CLOUD_API_MAX] = {
        [CLOUD_API_AWS_LAMBDA] = "lambda",
        [CLOUD_API_FC3] = "fc3",
        [CLOUD_API_FC2] = "fc2",
        [CLOUD_API_FUNCTIONGRAPH] = "functiongraph",
};

DEFINE_STRING_TABLE_LOOKUP(provider, Provider);
DEFINE_STRING_TABLE_LOOKUP(cloud_api, CloudApi);

void destination_done(Destination *d) {
        if (!d)
                return;
        free(d->target);
        json_decref(d->param);
        *d = (Destination){};
}

int destination_copy(Destination *dst, const Destination *src) {
        Destination t = {};

        if (src->target && !(t.target = strdup(src->target)))
                return -ENOMEM;
        /* Shared, not copied: a param is never changed once built (see model.h), and the
         * diff, the PUT and the record each held a deep copy of every Huawei destination. */
        t.param = json_incref(src->param);
        *dst = t;
        return 0;
}

/* Absent equals absent; Huawei param is compared as parsed JSON (key order does not matter,
 * a missing param equals an empty object). */
bool destination_equal(const Destination *a, const Destination *b) {
        if (!a->target || !b->target)
                return !a->target && !b->target;
        if (!streq(a->target, b->target))
                return false;
        if (!a->param || !b->param) {
                const json_t *p = a->param ?: b->param;
                return !p || (json_is_object(p) && json_object_size(p) == 0);
        }
        return json_equal(a->param, b->param);
}

void async_config_done(AsyncConfig *c) {
        if (!c)
                return;
        destination_done(&c->on_success);
        destination_done(&c->on_failure);
        *c = (AsyncConfig){};
}

int async_config_copy(AsyncConfig *dst, const AsyncConfig *src) {
        AsyncConfig t = *src;
        int r;

        t.on_success = t.on_failure = (Destination){};
        r = destination_copy(&t.on_success, &src->on_success);
        if (r < 0)
                return r;
        r = destination_copy(&t.on_failure, &src->on_failure);
        if (r < 0) {
                destination_done(&t.on_success);
                return r;
        }
        *dst = t;
        return 0;
}
