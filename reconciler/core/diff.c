/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "reconciler/core/diff.h"

/* Copies field f from src into dst (which holds nothing for f yet). */
static int async_config_copy_field(AsyncConfig *dst, const AsyncConfig *src, AsyncField f) {
        if (!async_config_field_present(src, f))
                return 0;
        switch (f) {
        case ASYNC_FIELD_MAX_RETRY_ATTEMPTS:
                dst->has_max_retry_attempts = true;
                dst->max_retry_attempts = src->max_retry_attempts;
                return 0;
        case ASYNC_FIELD_MAX_EVENT_AGE_SECONDS:
                dst->has_max_event_age = true;
                dst->max_event_age_seconds = src->max_event_age_seconds;
                return 0;
        case ASYNC_FIELD_ON_SUCCESS:
        case ASYNC_FIELD_ON_FAILURE:
                return destination_copy((Destination *) async_config_destination(dst, f),
                                        async_config_destination(src, f));
        case ASYNC_FIELD_ASYNC_TASK:
                dst->has_async_task = true;
                dst->async_task = src->async_task;
                return 0;
        case ASYNC_FIELD_ENABLE_ASYNC_STATUS_LOG:
                dst->has_async_status_log = true;
                dst->async_status_log = src->async_status_log;
                return 0;
        default:
                return 0;
        }
}

Diff *diff_ref(Diff *d) {
        if (d)
                d->n_ref++;
        return d;
}

Diff *diff_free(Diff *d) {
        if (!d || --d->n_ref > 0)
                return NULL;
        async_config_done(&d->from);
        async_config_done(&d->to);
        free(d);
        return NULL;
}

int diff_compute(const AsyncConfig *desired, AsyncFieldSet managed, AsyncFieldSet ignore,
                 const AsyncConfig *live, const AsyncConfig *last_applied, Diff **ret) {
        AsyncFieldSet compared = managed & ~ignore & ASYNC_FIELD_SET_ALL;
        _cleanup_(diff_freep) Diff *d = NULL;
        int r;

        d = calloc(1, sizeof(Diff));
        if (!d)
                return -ENOMEM;
        d->n_ref = 1;
        d->has_last_applied = last_applied;

        for (AsyncField f = 0; f < _ASYNC_FIELD_MAX; f++) {
                if (!ASYNC_FIELD_IN_SET(compared, f))
                        continue;
                bool drift = last_applied && !async_field_equal(live, last_applied, f);
                bool change = last_applied && !async_field_equal(desired, last_applied, f);
                if (drift)
                        d->drift |= ASYNC_FIELD_BIT(f);
                if (change)
                        d->change |= ASYNC_FIELD_BIT(f);
                if (async_field_equal(desired, live, f))
                        continue;
                if (live) {
                        r = async_config_copy_field(&d->from, live, f);
                        if (r < 0)
                                return r;
                }
                r = async_config_copy_field(&d->to, desired, f);
                if (r < 0)
                        return r;
                d->entries[d->n_entries++] =
                        (DiffEntry){ .field = f, .drift = drift, .change = change };
        }
        *ret = TAKE_PTR(d);
        return 0;
}

int diff_resource(const ResourceSpec *spec, const AsyncConfig *live,
                  const AsyncConfig *last_applied, Diff **ret) {
        return diff_compute(&spec->config, async_config_present_fields(&spec->config),
                            (AsyncFieldSet) spec->ignore, live, last_applied, ret);
}

const DiffEntry *diff_get(const Diff *d, AsyncField f) {
        for (size_t i = 0; d && i < d->n_entries; i++)
                if (d->entries[i].field == f)
                        return &d->entries[i];
        return NULL;
}

int diff_format_field_value(const Diff *d, const DiffEntry *e, char **ret) {
        _cleanup_free_ char *from = NULL, *to = NULL;
        char *s;

        if (async_field_format(&d->from, e->field, &from) < 0 ||
            async_field_format(&d->to, e->field, &to) < 0 ||
            asprintf(&s, "%s: %s → %s", async_field_to_string(e->field), from, to) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int diff_entry_to_json(const Diff *d, const DiffEntry *e, json_t **ret) {
        json_t *from = async_field_to_json(&d->from, e->field);
        json_t *to = async_field_to_json(&d->to, e->field);
        json_t *o;

        if (!from || !to) {
                json_decref(from);
                json_decref(to);
                return -ENOMEM;
        }
        /* "o" steals the references, also when json_pack() fails. */
        if (d->has_last_applied)
                o = json_pack("{s:s, s:o, s:o, s:b, s:b}", "field", async_field_to_string(e->field),
                              "from", from, "to", to, "drift", e->drift, "change", e->change);
        else
                o = json_pack("{s:s, s:o, s:o}", "field", async_field_to_string(e->field), "from",
                              from, "to", to);
        if (!o)
                return -ENOMEM;
        *ret = o;
        return 0;
}

int diff_to_json(const Diff *d, json_t **ret) {
        json_t *a = json_array();
        int r;

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; d && i < d->n_entries; i++) {
                json_t *o;
                r = diff_entry_to_json(d, &d->entries[i], &o);
                if (r >= 0 && json_array_append_new(a, o) < 0)
                        r = -ENOMEM;
                if (r < 0) {
                        json_decref(a);
                        return r;
                }
        }
        *ret = a;
        return 0;
}

int async_config_merge_for_put(const AsyncConfig *desired, AsyncFieldSet managed,
                               AsyncFieldSet ignore, const AsyncConfig *live, AsyncConfig *ret) {
        AsyncConfig c = {};
        int r;

        for (AsyncField f = 0; f < _ASYNC_FIELD_MAX; f++) {
                bool from_desired =
                        ASYNC_FIELD_IN_SET(managed, f) && (!live || !ASYNC_FIELD_IN_SET(ignore, f));
                r = async_config_copy_field(&c, from_desired ? desired : live, f);
                if (r < 0) {
                        async_config_done(&c);
                        return r;
                }
        }
        *ret = c;
        return 0;
}
