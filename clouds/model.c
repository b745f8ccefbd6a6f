/* SPDX-License-Identifier: MIT */
#include "clouds/model.h"
#include "lib/macro.h"

static const char *const provider_table[_PROVIDER_MAX] = {
        [PROVIDER_AWS] = "aws",
        [PROVIDER_ALICLOUD] = "alicloud",
        [PROVIDER_HUAWEICLOUD] = "huaweicloud",
};

static const char *const cloud_api_table[_CLOUD_API_MAX] = {
        [CLOUD_API_AWS_LAMBDA] = "lambda",
        [CLOUD_API_FC3] = "fc3",
        [CLOUD_API_FC2] = "fc2",
        [CLOUD_API_FUNCTIONGRAPH] = "functiongraph",
};

const char *provider_to_string(Provider p) {
        if (p < 0 || p >= _PROVIDER_MAX)
                return NULL;
        return provider_table[p];
}

Provider provider_from_string(const char *s) {
        for (int i = 0; s && i < _PROVIDER_MAX; i++)
                if (streq(s, provider_table[i]))
                        return (Provider) i;
        return _PROVIDER_INVALID;
}

const char *cloud_api_to_string(CloudApi a) {
        if (a < 0 || a >= _CLOUD_API_MAX)
                return NULL;
        return cloud_api_table[a];
}

CloudApi cloud_api_from_string(const char *s) {
        for (int i = 0; s && i < _CLOUD_API_MAX; i++)
                if (streq(s, cloud_api_table[i]))
                        return (CloudApi) i;
        return _CLOUD_API_INVALID;
}

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
        if (src->param && !(t.param = json_deep_copy(src->param))) {
                free(t.target);
                return -ENOMEM;
        }
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
