/* SPDX-License-Identifier: MIT */
/* {"desired": config, "live": config|null, "last": config|null, "managed": n, "ignore": n}
 * (configs in the state file's JSON form) → diff, its renderings, the PUT document. Checks
 * the invariants: a config never differs from itself; the PUT document equals desired on
 * every compared field; a diff entry exists exactly where the fields differ. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "reconciler/core/diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool load(const json_t *j, AsyncConfig *ret) {
        return j && async_config_from_json(j, ret) == 0;
}

static void check(const AsyncConfig *desired, const AsyncConfig *live, const AsyncConfig *last,
                  AsyncFieldSet managed, AsyncFieldSet ignore) {
        _cleanup_(diff_freep) Diff *d = NULL, *self = NULL;
        AsyncConfig put = {};
        json_t *j;

        if (diff_compute(desired, managed, ignore, live, last, &d) < 0)
                return;
        for (size_t i = 0; i < d->n_entries; i++) {
                char *s;
                if (diff_format_field_value(d, &d->entries[i], &s) == 0)
                        free(s);
                assert(!async_field_equal(desired, live, d->entries[i].field));
        }
        if (diff_to_json(d, &j) == 0)
                json_decref(j);
        if (diff_compute(desired, managed, ignore, desired, desired, &self) == 0)
                assert(diff_is_empty(self) && self->drift == 0 && self->change == 0);
        if (async_config_merge_for_put(desired, managed, ignore, live, &put) == 0) {
                for (AsyncField f = 0; f < _ASYNC_FIELD_MAX; f++)
                        if (ASYNC_FIELD_IN_SET(managed & ~ignore, f))
                                assert(async_field_equal(&put, desired, f));
                async_config_done(&put);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        AsyncConfig desired = {}, live = {}, last = {};
        json_t *root = json_loadb((const char *) data, size, 0, NULL);
        bool has_live, has_last;

        if (!root)
                return 0;
        if (load(json_object_get(root, "desired"), &desired)) {
                has_live = load(json_object_get(root, "live"), &live);
                has_last = load(json_object_get(root, "last"), &last);
                AsyncFieldSet managed =
                        (AsyncFieldSet) json_integer_value(json_object_get(root, "managed"));
                AsyncFieldSet ignore =
                        (AsyncFieldSet) json_integer_value(json_object_get(root, "ignore"));
                check(&desired, has_live ? &live : NULL, has_last ? &last : NULL, managed, ignore);
        }
        async_config_done(&desired);
        async_config_done(&live);
        async_config_done(&last);
        json_decref(root);
        return 0;
}
