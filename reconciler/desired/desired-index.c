/* SPDX-License-Identifier: MIT */
#include "lib/hashmap.h"
#include "reconciler/desired/desired-index.h"

typedef struct IndexEntry {
        const ResourceSpec *spec;
        const char *file;
        size_t index;
} IndexEntry;

/* The resources sharing one key. The chain owns its copy of the key, which the map points to:
 * the resource the key was taken from may leave the index before the others. Nearly every
 * chain has one entry (a collision is a user error), so the first lives in the chain itself:
 * one allocation per key instead of two. */
typedef struct IndexChain {
        IndexEntry first;
        IndexEntry *more; /* entries 1..n-1 */
        size_t n, allocated_more;
        char key[];
} IndexChain;

static IndexEntry *chain_entry(IndexChain *c, size_t i) {
        return i == 0 ? &c->first : &c->more[i - 1];
}

static IndexChain *index_chain_free(IndexChain *c) {
        if (c) {
                free(c->more);
                free(c);
        }
        return NULL;
}

struct DesiredIndex {
        Hashmap *by_function, *by_name;
};

static void index_map_free(Hashmap *m) {
        void *value;

        for (size_t state = 0; hashmap_iterate(m, &state, NULL, &value);) {
                index_chain_free(value);
        }
        hashmap_free(m);
}

int desired_index_new(DesiredIndex **ret) {
        DesiredIndex *x = calloc(1, sizeof(DesiredIndex));

        if (!x)
                return -ENOMEM;
        x->by_function = hashmap_new();
        x->by_name = hashmap_new();
        if (!x->by_function || !x->by_name) {
                desired_index_free(x);
                return -ENOMEM;
        }
        *ret = x;
        return 0;
}

DesiredIndex *desired_index_free(DesiredIndex *x) {
        if (!x)
                return NULL;
        index_map_free(x->by_function);
        index_map_free(x->by_name);
        free(x);
        return NULL;
}

static IndexChain *index_chain_new(Hashmap *m, const char *key) {
        size_t len = strlen(key);
        IndexChain *c = malloc(sizeof(IndexChain) + len + 1);

        if (!c)
                return NULL;
        *c = (IndexChain){};
        memcpy(c->key, key, len + 1);
        if (hashmap_put(m, c->key, c) < 0) {
                free(c);
                return NULL;
        }
        return c;
}

static int index_map_add(Hashmap *m, const char *key, const IndexEntry *e) {
        IndexChain *c;

        if (!key)
                return 0;
        c = hashmap_get(m, key) ?: index_chain_new(m, key);
        if (!c)
                return -ENOMEM;
        if (c->n > 0 && c->n - 1 == c->allocated_more) {
                size_t k = c->allocated_more ? c->allocated_more * 2 : 1;
                IndexEntry *l = reallocarray(c->more, k, sizeof(IndexEntry));
                if (!l)
                        return -ENOMEM;
                c->more = l;
                c->allocated_more = k;
        }
        *chain_entry(c, c->n++) = *e;
        return 0;
}

/* Removes spec's entry from the chain of key; the chain goes with its last entry. The order
 * of the others does not matter: desired_index_find() compares positions. */
static void index_map_remove(Hashmap *m, const char *key, const ResourceSpec *spec) {
        IndexChain *c;

        if (!key || !(c = hashmap_get(m, key)))
                return;
        for (size_t i = 0; i < c->n; i++)
                if (chain_entry(c, i)->spec == spec) {
                        *chain_entry(c, i) = *chain_entry(c, c->n - 1);
                        c->n--;
                        break;
                }
        if (c->n == 0) {
                hashmap_remove(m, c->key);
                index_chain_free(c);
        }
}

int desired_index_add(DesiredIndex *x, const ResourceSpec *spec, const char *file, size_t index) {
        IndexEntry e = { .spec = spec, .file = file, .index = index };
        int r;

        r = index_map_add(x->by_function, spec->id.function, &e);
        if (r >= 0)
                r = index_map_add(x->by_name, spec->name, &e);
        if (r < 0)
                index_map_remove(x->by_function, spec->id.function, spec);
        return r;
}

void desired_index_remove(DesiredIndex *x, const ResourceSpec *spec) {
        index_map_remove(x->by_function, spec->id.function, spec);
        index_map_remove(x->by_name, spec->name, spec);
}

static bool index_entry_before(const IndexEntry *a, const IndexEntry *b) {
        int c = a->file == b->file ? 0 : strcmp(a->file, b->file);

        return c < 0 || (c == 0 && a->index < b->index);
}

static bool index_entry_collides(const IndexEntry *e, const ResourceSpec *spec) {
        return resource_spec_same_identity(spec, e->spec) ||
               (spec->name && e->spec->name && streq(spec->name, e->spec->name));
}

static void index_chain_find(IndexChain *c, const ResourceSpec *spec, const char *skip,
                             const IndexEntry **best) {
        for (size_t i = 0; c && i < c->n; i++) {
                const IndexEntry *e = chain_entry(c, i);
                if (e->file != skip && (!*best || index_entry_before(e, *best)) &&
                    index_entry_collides(e, spec))
                        *best = e;
        }
}

const ResourceSpec *desired_index_find(const DesiredIndex *x, const ResourceSpec *spec,
                                       const char *skip) {
        const IndexEntry *best = NULL;

        if (spec->id.function)
                index_chain_find(hashmap_get(x->by_function, spec->id.function), spec, skip, &best);
        if (spec->name)
                index_chain_find(hashmap_get(x->by_name, spec->name), spec, skip, &best);
        return best ? best->spec : NULL;
}
