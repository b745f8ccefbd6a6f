/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "lib/sort-util.h"
#include "lib/macro.h"
#include "lib/strbuf.h"
#include "lib/string-table.h"
#include "reconciler/spec/async-config.h"
#include "reconciler/spec/field.h"

static const char *const async_field_table[_ASYNC_FIELD_MAX] = {
        [ASYNC_FIELD_MAX_RETRY_ATTEMPTS] = "maxRetryAttempts",
        [ASYNC_FIELD_MAX_EVENT_AGE_SECONDS] = "maxEventAgeSeconds",
        [ASYNC_FIELD_ON_SUCCESS] = "onSuccess",
        [ASYNC_FIELD_ON_FAILURE] = "onFailure",
        [ASYNC_FIELD_ASYNC_TASK] = "asyncTask",
        [ASYNC_FIELD_ENABLE_ASYNC_STATUS_LOG] = "enableAsyncStatusLog",
};

DEFINE_STRING_TABLE_LOOKUP(async_field, AsyncField);

json_t *destination_param_normalise(const json_t *p) {
        if (!p || json_is_null(p) || (json_is_string(p) && json_string_length(p) == 0))
                return json_object();
        if (json_is_string(p)) {
                json_t *o = json_loadb(json_string_value(p), json_string_length(p), 0, NULL);
                if (json_is_object(o))
                        return o;
                json_decref(o);
        }
        return json_incref((json_t *) p);
}

static bool destination_equal_normalised(const Destination *a, const Destination *b) {
        bool pa = destination_present(a), pb = destination_present(b);

        if (!pa || !pb)
                return pa == pb;

        json_t *ca = destination_param_normalise(a->param);
        json_t *cb = destination_param_normalise(b->param);
        Destination na = { .target = a->target, .param = ca };
        Destination nb = { .target = b->target, .param = cb };
        /* On allocation failure report "different": a needless PUT is harmless, a missed
         * difference is not. */
        bool eq = ca && cb && destination_equal(&na, &nb);
        json_decref(ca);
        json_decref(cb);
        return eq;
}

bool async_field_equal(const AsyncConfig *a, const AsyncConfig *b, AsyncField f) {
        bool pa = async_config_field_present(a, f), pb = async_config_field_present(b, f);

        if (!pa || !pb)
                return pa == pb;
        switch (f) {
        case ASYNC_FIELD_MAX_RETRY_ATTEMPTS:
                return a->max_retry_attempts == b->max_retry_attempts;
        case ASYNC_FIELD_MAX_EVENT_AGE_SECONDS:
                return a->max_event_age_seconds == b->max_event_age_seconds;
        case ASYNC_FIELD_ON_SUCCESS:
        case ASYNC_FIELD_ON_FAILURE:
                return destination_equal_normalised(async_config_destination(a, f),
                                                    async_config_destination(b, f));
        case ASYNC_FIELD_ASYNC_TASK:
                return a->async_task == b->async_task;
        case ASYNC_FIELD_ENABLE_ASYNC_STATUS_LOG:
                return a->async_status_log == b->async_status_log;
        default:
                return true;
        }
}

static json_t *destination_to_json(const Destination *d) {
        json_t *o = json_object(), *p = NULL;

        if (!o || json_object_set_new(o, "destination", json_string(d->target)) < 0)
                goto fail;
        p = destination_param_normalise(d->param);
        if (!p)
                goto fail;
        if (!json_is_object(p) || json_object_size(p) > 0) {
                if (json_object_set_new(o, "param", p) < 0)
                        goto fail;
        } else
                json_decref(p);
        return o;
fail:
        json_decref(o);
        return NULL;
}

json_t *async_field_to_json(const AsyncConfig *c, AsyncField f) {
        if (!async_config_field_present(c, f))
                return json_null();
        switch (f) {
        case ASYNC_FIELD_MAX_RETRY_ATTEMPTS:
                return json_integer(c->max_retry_attempts);
        case ASYNC_FIELD_MAX_EVENT_AGE_SECONDS:
                return json_integer(c->max_event_age_seconds);
        case ASYNC_FIELD_ON_SUCCESS:
        case ASYNC_FIELD_ON_FAILURE:
                return destination_to_json(async_config_destination(c, f));
        case ASYNC_FIELD_ASYNC_TASK:
                return json_boolean(c->async_task);
        case ASYNC_FIELD_ENABLE_ASYNC_STATUS_LOG:
                return json_boolean(c->async_status_log);
        default:
                return json_null();
        }
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* "OBS {bucket: b, expires: 5, prefix: /f}": strings bare, other values as compact JSON. */
static int destination_format(const Destination *d, StrBuf *b) {
        json_t *p = destination_param_normalise(d->param);
        const char *key;
        json_t *v;

        if (!p)
                return -ENOMEM;
        strbuf_puts(b, d->target);
        if (json_is_string(p)) {
                strbuf_putc(b, ' ');
                strbuf_puts(b, json_string_value(p));
        } else if (json_is_object(p) && json_object_size(p) > 0) {
                /* jansson keeps insertion order; sort for a stable rendering. */
                size_t n = json_object_size(p), i = 0;
                const char **keys = calloc(n, sizeof(char *));
                if (!keys) {
                        json_decref(p);
                        return -ENOMEM;
                }
                json_object_foreach(p, key, v) keys[i++] = key;
                qsort_safe(keys, n, sizeof(char *), strcmp_ptr);
                strbuf_puts(b, " {");
                for (i = 0; i < n; i++) {
                        v = json_object_get(p, keys[i]);
                        if (i > 0)
                                strbuf_puts(b, ", ");
                        strbuf_puts(b, keys[i]);
                        strbuf_puts(b, ": ");
                        if (json_is_string(v))
                                strbuf_puts(b, json_string_value(v));
                        else {
                                char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT |
                                                                JSON_SORT_KEYS);
                                strbuf_puts(b, strna(s));
                                free(s);
                        }
                }
                strbuf_putc(b, '}');
                free(keys);
        }
        json_decref(p);
        return 0;
}

int async_field_format(const AsyncConfig *c, AsyncField f, char **ret) {
        StrBuf b = {};
        int r = 0;

        if (!async_config_field_present(c, f))
                strbuf_puts(&b, "(none)");
        else if (f == ASYNC_FIELD_MAX_RETRY_ATTEMPTS)
                strbuf_put_int(&b, c->max_retry_attempts);
        else if (f == ASYNC_FIELD_MAX_EVENT_AGE_SECONDS)
                strbuf_put_int(&b, c->max_event_age_seconds);
        else if (f == ASYNC_FIELD_ASYNC_TASK)
                strbuf_puts(&b, c->async_task ? "true" : "false");
        else if (f == ASYNC_FIELD_ENABLE_ASYNC_STATUS_LOG)
                strbuf_puts(&b, c->async_status_log ? "true" : "false");
        else
                r = destination_format(async_config_destination(c, f), &b);
        if (r < 0) {
                strbuf_done(&b);
                return r;
        }
        return strbuf_take(&b, ret);
}
