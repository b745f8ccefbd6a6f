/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include "lib/hashmap.h"

#define HASHMAP_MIN_BUCKETS 16u

/* Two pointers and no cached hash: a map holds one slot per 0.375–0.75 entries, several maps
 * hold one entry per resource, and at 100,000 resources a third more per slot was 20 bytes per
 * resource and map. The hash is computed again where it is needed (resize, backward shift); a
 * lookup compares the key pointer first, then the string. */
typedef struct Entry {
        const char *key; /* NULL: the slot is free */
        void *value;
} Entry;
_Static_assert(sizeof(Entry) == 2 * sizeof(void *), "no cached hash");

struct Hashmap {
        Entry *entries;
        size_t n_buckets; /* a power of two */
        size_t size;
        uint64_t seed;
};

/* Eight bytes at a time (keys are identities of 40-60 bytes, hashed on every lookup), each
 * word folded into the seeded state with a multiply and a shift, then murmur3's finaliser so
 * that the low bits (the bucket index) depend on every byte. */
static uint64_t hash_string(uint64_t seed, const char *s) {
        const uint64_t k = UINT64_C(0x9e3779b97f4a7c15);
        size_t n = strlen(s);
        uint64_t h = seed ^ (n * k), w;

        for (; n >= 8; s += 8, n -= 8) {
                memcpy(&w, s, 8);
                h = (h ^ w) * k;
                h ^= h >> 29;
        }
        if (n > 0) {
                w = 0;
                memcpy(&w, s, n);
                h = (h ^ w) * k;
        }
        h ^= h >> 33;
        h *= UINT64_C(0xff51afd7ed558ccd);
        h ^= h >> 33;
        h *= UINT64_C(0xc4ceb9fe1a85ec53);
        h ^= h >> 33;
        return h;
}

Hashmap *hashmap_new(void) {
        Hashmap *h = calloc(1, sizeof(Hashmap));

        if (!h)
                return NULL;
        h->entries = calloc(HASHMAP_MIN_BUCKETS, sizeof(Entry));
        if (!h->entries) {
                free(h);
                return NULL;
        }
        h->n_buckets = HASHMAP_MIN_BUCKETS;
        /* A failed getrandom() leaves a fixed seed: the map still works, only less hardened. */
        if (getrandom(&h->seed, sizeof(h->seed), GRND_NONBLOCK) != sizeof(h->seed))
                h->seed = UINT64_C(0x9e3779b97f4a7c15);
        return h;
}

Hashmap *hashmap_free(Hashmap *h) {
        if (!h)
                return NULL;
        free(h->entries);
        free(h);
        return NULL;
}

/* The slot holding key, or the free slot where it would go. */
static size_t hashmap_find_slot(const Hashmap *h, const char *key, uint64_t hash) {
        size_t mask = h->n_buckets - 1;

        for (size_t i = hash & mask;; i = (i + 1) & mask) {
                const Entry *e = &h->entries[i];

                if (!e->key || e->key == key || streq(e->key, key))
                        return i;
        }
}

static int hashmap_resize(Hashmap *h, size_t n_buckets) {
        Entry *old = h->entries;
        size_t old_n = h->n_buckets;

        h->entries = calloc(n_buckets, sizeof(Entry));
        if (!h->entries) {
                h->entries = old;
                return -ENOMEM;
        }
        h->n_buckets = n_buckets;
        for (size_t i = 0; i < old_n; i++) {
                const char *k = old[i].key;

                if (k)
                        h->entries[hashmap_find_slot(h, k, hash_string(h->seed, k))] = old[i];
        }
        free(old);
        return 0;
}

int hashmap_put(Hashmap *h, const char *key, void *value) {
        uint64_t hash = hash_string(h->seed, key);
        size_t i = hashmap_find_slot(h, key, hash);

        if (h->entries[i].key)
                return -EEXIST;
        /* Keep the load factor at or below 3/4. */
        if ((h->size + 1) * 4 > h->n_buckets * 3) {
                if (h->n_buckets > SIZE_MAX / 2 / sizeof(Entry))
                        return -ENOMEM;
                int r = hashmap_resize(h, h->n_buckets * 2);
                if (r < 0)
                        return r;
                i = hashmap_find_slot(h, key, hash);
        }
        h->entries[i] = (Entry){ .key = key, .value = value };
        h->size++;
        return 1;
}

void *hashmap_get(const Hashmap *h, const char *key) {
        size_t i = hashmap_find_slot(h, key, hash_string(h->seed, key));

        return h->entries[i].key ? h->entries[i].value : NULL;
}

/* Backward-shift deletion: move later members of the probe run into the hole when the hole
 * lies on their way from their home bucket, so no run is ever broken by a free slot. */
static void hashmap_close_hole(Hashmap *h, size_t hole) {
        size_t mask = h->n_buckets - 1;

        for (size_t j = (hole + 1) & mask; h->entries[j].key; j = (j + 1) & mask) {
                size_t home = hash_string(h->seed, h->entries[j].key) & mask;

                /* j may move to hole unless home lies cyclically in (hole, j]. */
                if (((j - home) & mask) >= ((j - hole) & mask)) {
                        h->entries[hole] = h->entries[j];
                        hole = j;
                }
        }
        h->entries[hole] = (Entry){};
}

void *hashmap_remove(Hashmap *h, const char *key) {
        size_t i = hashmap_find_slot(h, key, hash_string(h->seed, key));
        void *value;

        if (!h->entries[i].key)
                return NULL;
        value = h->entries[i].value;
        hashmap_close_hole(h, i);
        h->size--;
        return value;
}

size_t hashmap_size(const Hashmap *h) {
        return h ? h->size : 0;
}

bool hashmap_iterate(const Hashmap *h, size_t *state, const char **ret_key, void **ret_value) {
        for (; h && *state < h->n_buckets; (*state)++) {
                const Entry *e = &h->entries[*state];

                if (!e->key)
                        continue;
                if (ret_key)
                        *ret_key = e->key;
                if (ret_value)
                        *ret_value = e->value;
                (*state)++;
                return true;
        }
        return false;
}
