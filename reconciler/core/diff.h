/* SPDX-License-Identifier: MIT */
#pragma once

/* Desired versus live, field by field (DESIGN.md §3.4, §3.6).
 *
 * What is compared: the fields the YAML manages, minus the `ignore` list. A field is managed
 * when its key is written in the YAML document, even with an empty value: `onSuccess: null`
 * manages onSuccess as "no destination" (and a live destination is then a difference),
 * while a document without an onSuccess key leaves whatever is live alone. The loader knows
 * which keys were written; a caller that only has an AsyncConfig can pass
 * async_config_present_fields(desired).
 *
 * Normalisation is the field module's (async_field_equal()): absent == null == {} ==
 * {"Destination": null} == "", 0 is a value, Huawei param compared as parsed JSON. Nothing
 * else the server echoes (timestamps, ARNs, request ids) is in the model, so it is never
 * diffed.
 *
 * Drift versus change: with the document last applied (the state store), a field where live
 * differs from it has drifted (someone changed the cloud), a field where desired differs from
 * it has changed (someone changed the YAML); both can hold at once. Without a last-applied
 * document neither is known and both sets are empty. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "clouds/model.h"
#include "lib/macro.h"
#include "reconciler/spec/async-config.h"
#include "reconciler/spec/field.h"
#include "reconciler/spec/spec.h"

typedef struct DiffEntry {
        AsyncField field;
        bool drift;  /* live ≠ last applied (false when unknown) */
        bool change; /* desired ≠ last applied (false when unknown) */
} DiffEntry;

typedef struct Diff {
        unsigned n_ref; /* diff_ref(), diff_free(): the daemon keeps one per resource for
                         * /status, shared between its last observation, drift and write */
        DiffEntry entries[_ASYNC_FIELD_MAX]; /* fields where live ≠ desired, in AsyncField order */
        size_t n_entries;
        /* The entries' fields as live (from) and as desired (to), every other field absent.
         * Values only: their text (async_field_format()) and JSON (async_field_to_json()) are
         * made by whoever prints them. A report needs one of the two, and making both for every
         * field of every resource, then freeing them on another thread, was a visible part of
         * a large apply. */
        AsyncConfig from;
        AsyncConfig to;
        bool has_last_applied; /* drift and change below are known */
        /* Compared fields where live ≠ last applied, resp. desired ≠ last applied. These can
         * be set for fields without an entry: a field changed in the cloud and in the YAML to
         * the same value has drifted and changed but needs no write. */
        AsyncFieldSet drift;
        AsyncFieldSet change;
} Diff;

/* Compares desired with live over (managed & ~ignore). live NULL: no configuration exists
 * (every field absent); the caller must not call this when the live state is unknown (a failed
 * read, DESIGN.md §3.3). last_applied NULL: never applied, drift and change unknown.
 * Returns 0 and a new Diff (possibly empty), or -ENOMEM. */
int diff_compute(const AsyncConfig *desired, AsyncFieldSet managed, AsyncFieldSet ignore,
                 const AsyncConfig *live, const AsyncConfig *last_applied, Diff **ret);

/* diff_compute() for a loaded document: managed = the fields its YAML sets, ignore = its
 * spec.ignore (ResourceField bits, which are ASYNC_FIELD_BIT(AsyncField)). */
int diff_resource(const ResourceSpec *spec, const AsyncConfig *live,
                  const AsyncConfig *last_applied, Diff **ret);

/* A Diff is reference counted (not atomically: a Diff belongs to one thread). diff_free()
 * drops one reference and frees the Diff with the last. */
Diff *diff_ref(Diff *d);
Diff *diff_free(Diff *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(Diff *, diff_free);

static inline bool diff_is_empty(const Diff *d) {
        return !d || d->n_entries == 0;
}
static inline bool diff_has_drift(const Diff *d) {
        return d && d->drift != 0;
}
static inline bool diff_has_change(const Diff *d) {
        return d && d->change != 0;
}

/* The entry for field f, or NULL when f does not differ. */
const DiffEntry *diff_get(const Diff *d, AsyncField f);

/* "maxRetryAttempts: 2 → 0", "onFailure: (none) → arn:aws:sqs:..." (from = live, to =
 * desired). Returns 0 and a malloc'd string, or -ENOMEM. */
int diff_format_field_value(const Diff *d, const DiffEntry *e, char **ret);

/* {"field": "maxRetryAttempts", "from": 2, "to": 0} plus "drift" and "change" booleans when
 * a last-applied document was known. */
int diff_entry_to_json(const Diff *d, const DiffEntry *e, json_t **ret);
/* The entries as a JSON array of diff_entry_to_json() objects (for `-o json` and /status). */
int diff_to_json(const Diff *d, json_t **ret);

/* The complete document to PUT (DESIGN.md §3.5: one full PUT, never a merge on the server).
 * A managed, not ignored field takes the desired value. Every other field (not in the YAML,
 * or ignored) keeps the live value when a configuration exists, so that the full-replace PUT
 * that fixes one field does not silently reset a field the YAML leaves alone; with no live
 * configuration it is left out and the cloud's default applies. An ignored field that is in
 * the YAML is sent with its desired value only when the configuration is created (like
 * Terraform's ignore_changes). Returns 0 and fills *ret (free with async_config_done()), or
 * -ENOMEM. */
int async_config_merge_for_put(const AsyncConfig *desired, AsyncFieldSet managed,
                               AsyncFieldSet ignore, const AsyncConfig *live, AsyncConfig *ret);
