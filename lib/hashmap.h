/* SPDX-License-Identifier: MIT */
#pragma once

/* A string-keyed hash map: open addressing, linear probing, deletion by backward shift (no
 * tombstones, so lookups stay short after many removals). The map stores the key pointer, not a
 * copy: the key must stay valid and unchanged while the entry is in the map (typically it lives
 * in the value). Values are opaque; the map never frees keys or values. The hash is seeded per
 * map from getrandom(), so keys taken from user files cannot be chosen to collide. */

#include <stdbool.h>
#include <stddef.h>

#include "lib/macro.h"

typedef struct Hashmap Hashmap;

/* Returns NULL on allocation failure. */
Hashmap *hashmap_new(void);
Hashmap *hashmap_free(Hashmap *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(Hashmap *, hashmap_free);

/* 1 when added, -EEXIST when the key is already present (nothing changed), -ENOMEM. */
int hashmap_put(Hashmap *h, const char *key, void *value);
/* The value, or NULL when the key is absent. */
void *hashmap_get(const Hashmap *h, const char *key);
/* Removes the entry; returns its value, or NULL when the key was absent. */
void *hashmap_remove(Hashmap *h, const char *key);
size_t hashmap_size(const Hashmap *h);

/* Iteration in no particular order: start with *state = 0; returns false at the end. The map
 * must not be changed while iterating. */
bool hashmap_iterate(const Hashmap *h, size_t *state, const char **ret_key, void **ret_value);
