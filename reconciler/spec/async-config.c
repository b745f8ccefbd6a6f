/* SPDX-License-Identifier: MIT */

/* AsyncConfig as a whole (clouds/model.h holds the struct): which fields it holds, and its JSON
 * form for the state store, /status and the reports. One field at a time is field.c. */

#include <errno.h>

#include "lib/macro.h"
#include "reconciler/spec/async-config.h"

const Destination *async_config_destination(const AsyncConfig *c, AsyncField f) {
        if (!c)
                return NULL;
        if (f == ASYNC_FIELD_ON_SUCCESS)
                return &c->on_success;
        if (f == ASYNC_FIELD_ON_FAILURE)
                return &c->on_failure;
        return NULL;
}

bool destination_present(const Destination *d) {
        return d && !isempty(d->target);
}

bool async_config_field_present(const AsyncConfig *c, AsyncField f) {
        if (!c)
                return false;
        switch (f) {
        case ASYNC_FIELD_MAX_RETRY_ATTEMPTS:
                return c->has_max_retry_attempts;
        case ASYNC_FIELD_MAX_EVENT_AGE_SECONDS:
                return c->has_max_event_age;
        case ASYNC_FIELD_ON_SUCCESS:
        case ASYNC_FIELD_ON_FAILURE:
                return destination_present(async_config_destination(c, f));
        case ASYNC_FIELD_ASYNC_TASK:
                return c->has_async_task;
        case ASYNC_FIELD_ENABLE_ASYNC_STATUS_LOG:
                return c->has_async_status_log;
        default:
                return false;
        }
}

AsyncFieldSet async_config_present_fields(const AsyncConfig *c) {
        AsyncFieldSet s = 0;

        for (AsyncField f = 0; f < _ASYNC_FIELD_MAX; f++)
                if (async_config_field_present(c, f))
                        s |= ASYNC_FIELD_BIT(f);
        return s;
}
int async_config_to_json(const AsyncConfig *c, json_t **ret) {
        json_t *o = json_object();

        if (!o)
                return -ENOMEM;
        for (AsyncField f = 0; f < _ASYNC_FIELD_MAX; f++) {
                if (!async_config_field_present(c, f))
                        continue;
                json_t *v = async_field_to_json(c, f);
                if (!v || json_object_set_new(o, async_field_to_string(f), v) < 0) {
                        json_decref(o);
                        return -ENOMEM;
                }
        }
        *ret = o;
        return 0;
}

/* The fields in the order of their names (JSON_SORT_KEYS), and in the order
 * async_config_to_json() inserts them (the enum's). */
static const AsyncField fields_by_name[] = {
        ASYNC_FIELD_ASYNC_TASK,
        ASYNC_FIELD_ENABLE_ASYNC_STATUS_LOG,
        ASYNC_FIELD_MAX_EVENT_AGE_SECONDS,
        ASYNC_FIELD_MAX_RETRY_ATTEMPTS,
        ASYNC_FIELD_ON_FAILURE,
        ASYNC_FIELD_ON_SUCCESS,
};
_Static_assert(ELEMENTSOF(fields_by_name) == _ASYNC_FIELD_MAX, "every field");

static void destination_write_json(JsonWriter *w, const Destination *d) {
        json_t *p = destination_param_normalise(d->param);

        json_writer_open_object(w);
        json_writer_key(w, "destination");
        json_writer_string(w, d->target);
        if (!p)
                json_writer_json(w, NULL); /* fails the writer, as it fails the tree */
        else if (!json_is_object(p) || json_object_size(p) > 0) {
                json_writer_key(w, "param");
                json_writer_json(w, p);
        }
        json_decref(p);
        json_writer_close_object(w);
}

void async_config_write_json(JsonWriter *w, const AsyncConfig *c) {
        json_writer_open_object(w);
        for (size_t i = 0; i < _ASYNC_FIELD_MAX; i++) {
                AsyncField f = w->sort_keys ? fields_by_name[i] : (AsyncField) i;

                if (!async_config_field_present(c, f))
                        continue;
                json_writer_key(w, async_field_to_string(f));
                switch (f) {
                case ASYNC_FIELD_MAX_RETRY_ATTEMPTS:
                        json_writer_integer(w, c->max_retry_attempts);
                        break;
                case ASYNC_FIELD_MAX_EVENT_AGE_SECONDS:
                        json_writer_integer(w, c->max_event_age_seconds);
                        break;
                case ASYNC_FIELD_ASYNC_TASK:
                        json_writer_bool(w, c->async_task);
                        break;
                case ASYNC_FIELD_ENABLE_ASYNC_STATUS_LOG:
                        json_writer_bool(w, c->async_status_log);
                        break;
                default:
                        destination_write_json(w, async_config_destination(c, f));
                }
        }
        json_writer_close_object(w);
}

static int destination_from_json(const json_t *j, Destination *ret) {
        const json_t *t = json_object_get(j, "destination"), *p = json_object_get(j, "param");
        Destination d = {};

        if (!json_is_object(j) || !json_is_string(t) || json_object_size(j) > (p ? 2u : 1u))
                return -EBADMSG;
        if (p && !json_is_object(p))
                return -EBADMSG;
        d.target = strdup(json_string_value(t));
        if (!d.target)
                return -ENOMEM;
        d.param = p ? json_deep_copy(p) : NULL;
        if (p && !d.param) {
                destination_done(&d);
                return -ENOMEM;
        }
        *ret = d;
        return 0;
}

static int field_from_json(AsyncConfig *c, AsyncField f, const json_t *v) {
        switch (f) {
        case ASYNC_FIELD_MAX_RETRY_ATTEMPTS:
        case ASYNC_FIELD_MAX_EVENT_AGE_SECONDS:
                if (!json_is_integer(v))
                        return -EBADMSG;
                if (f == ASYNC_FIELD_MAX_RETRY_ATTEMPTS) {
                        c->has_max_retry_attempts = true;
                        c->max_retry_attempts = json_integer_value(v);
                } else {
                        c->has_max_event_age = true;
                        c->max_event_age_seconds = json_integer_value(v);
                }
                return 0;
        case ASYNC_FIELD_ON_SUCCESS:
        case ASYNC_FIELD_ON_FAILURE:
                return destination_from_json(v, (Destination *) async_config_destination(c, f));
        case ASYNC_FIELD_ASYNC_TASK:
        case ASYNC_FIELD_ENABLE_ASYNC_STATUS_LOG:
                if (!json_is_boolean(v))
                        return -EBADMSG;
                if (f == ASYNC_FIELD_ASYNC_TASK) {
                        c->has_async_task = true;
                        c->async_task = json_is_true(v);
                } else {
                        c->has_async_status_log = true;
                        c->async_status_log = json_is_true(v);
                }
                return 0;
        default:
                return -EBADMSG;
        }
}

int async_config_from_json(const json_t *j, AsyncConfig *ret) {
        AsyncConfig c = {};
        const char *key;
        json_t *v;
        int r;

        if (!json_is_object(j))
                return -EBADMSG;
        json_object_foreach((json_t *) j, key, v) {
                AsyncField f = async_field_from_string(key);
                r = f < 0 ? -EBADMSG : field_from_json(&c, f, v);
                if (r < 0) {
                        async_config_done(&c);
                        return r;
                }
        }
        *ret = c;
        return 0;
}
