/* SPDX-License-Identifier: MIT */
#include "lib/hashmap.h"
#include "reconciler/desired/desired-index.h"

typedef enum IndexKey {
        INDEX_BY_FUNCTION,
        INDEX_BY_NAME,
        _INDEX_KEY_MAX,
} IndexKey;

typedef struct IndexEntry IndexEntry;

/* The resources sharing one key form a ring through next[key] (an entry alone is its own
 * ring), and the map holds one member of each ring under that member's own string: no key is
 * copied and nothing is allocated per resource. From any entry the whole ring is reached, so
 * a lookup after the version is added hashes nothing. Nearly every ring has one entry (a
 * collision is a user error, or the old version of a file being replaced). */
struct IndexEntry {
        const ResourceSpec *spec;
        const DesiredIndexFile *version;
        IndexEntry *next[_INDEX_KEY_MAX]; /* NULL: not indexed under that key */
};

struct DesiredIndexFile {
        const char *file;
        size_t n;
        IndexEntry entries[];
};

struct DesiredIndex {
        Hashmap *maps[_INDEX_KEY_MAX];
};

int desired_index_new(DesiredIndex **ret) {
        DesiredIndex *x = calloc(1, sizeof(DesiredIndex));

        if (!x)
                return -ENOMEM;
        for (IndexKey k = 0; k < _INDEX_KEY_MAX; k++)
                if (!(x->maps[k] = hashmap_new())) {
                        desired_index_free(x);
                        return -ENOMEM;
                }
        *ret = x;
        return 0;
}

DesiredIndex *desired_index_free(DesiredIndex *x) {
        if (!x)
                return NULL;
        for (IndexKey k = 0; k < _INDEX_KEY_MAX; k++)
                hashmap_free(x->maps[k]);
        free(x);
        return NULL;
}

DesiredIndexFile *desired_index_file_free(DesiredIndexFile *v) {
        free(v);
        return NULL;
}

static const char *entry_key(const IndexEntry *e, IndexKey k) {
        return k == INDEX_BY_FUNCTION ? e->spec->id.function : e->spec->name;
}

/* Puts e into the ring of its key k (the map's member of it, or a new ring). 0 or -ENOMEM. */
static int index_link(DesiredIndex *x, IndexEntry *e, IndexKey k) {
        const char *key = entry_key(e, k);
        IndexEntry *member;
        int r;

        if (!key)
                return 0;
        r = hashmap_put(x->maps[k], key, e);
        if (r == -EEXIST) {
                member = hashmap_get(x->maps[k], key);
                e->next[k] = member->next[k];
                member->next[k] = e;
                return 0;
        }
        if (r < 0)
                return r;
        e->next[k] = e;
        return 0;
}

/* Takes e out of the ring of its key k; the ring leaves the map with its last entry. When the
 * map holds e, another member takes its place, under its own string. */
static void index_unlink(DesiredIndex *x, IndexEntry *e, IndexKey k) {
        const char *key = entry_key(e, k);
        IndexEntry *prev = e;

        if (!e->next[k])
                return;
        while (prev->next[k] != e)
                prev = prev->next[k];
        prev->next[k] = e->next[k];
        e->next[k] = NULL;
        if (hashmap_get(x->maps[k], key) != e)
                return;
        (void) hashmap_remove(x->maps[k], key);
        /* Cannot fail: the slot just freed keeps the map below the size that grows it. */
        if (prev != e)
                (void) hashmap_put(x->maps[k], entry_key(prev, k), prev);
}

static void index_unlink_entry(DesiredIndex *x, IndexEntry *e) {
        for (IndexKey k = 0; k < _INDEX_KEY_MAX; k++)
                index_unlink(x, e, k);
}

static int index_link_entry(DesiredIndex *x, IndexEntry *e) {
        for (IndexKey k = 0; k < _INDEX_KEY_MAX; k++)
                if (index_link(x, e, k) < 0) {
                        index_unlink_entry(x, e);
                        return -ENOMEM;
                }
        return 0;
}

int desired_index_add_file(DesiredIndex *x, const char *file, ResourceSpec *const *l, size_t n,
                           DesiredIndexFile **ret) {
        DesiredIndexFile *v = malloc(sizeof(DesiredIndexFile) + n * sizeof(IndexEntry));

        if (!v)
                return -ENOMEM;
        v->file = file;
        v->n = n;
        for (size_t i = 0; i < n; i++) {
                v->entries[i] = (IndexEntry){ .spec = l[i], .version = v };
                if (index_link_entry(x, &v->entries[i]) < 0) {
                        while (i > 0)
                                index_unlink_entry(x, &v->entries[--i]);
                        free(v);
                        return -ENOMEM;
                }
        }
        *ret = v;
        return 0;
}

void desired_index_remove_file(DesiredIndex *x, DesiredIndexFile *v) {
        if (!v)
                return;
        for (size_t i = 0; i < v->n; i++)
                index_unlink_entry(x, &v->entries[i]);
        free(v);
}

static bool entry_before(const IndexEntry *a, const IndexEntry *b) {
        int c = a->version->file == b->version->file ? 0
                                                     : strcmp(a->version->file, b->version->file);

        return c < 0 || (c == 0 && a->version == b->version && a < b);
}

static bool entry_collides(const IndexEntry *e, const ResourceSpec *spec) {
        return resource_spec_same_identity(spec, e->spec) ||
               (spec->name && e->spec->name && streq(spec->name, e->spec->name));
}

/* The earliest collisions with e in its ring of key k: *own among the entries of e's version
 * before e, *other among the versions but skip and e's. */
static void ring_find(const IndexEntry *e, IndexKey k, const DesiredIndexFile *skip,
                      const IndexEntry **own, const IndexEntry **other) {
        for (const IndexEntry *o = e->next[k]; o && o != e; o = o->next[k]) {
                const IndexEntry **best = o->version == e->version ? own : other;

                if (o->version == skip || (best == own && o > e))
                        continue;
                if ((!*best || entry_before(o, *best)) && entry_collides(o, e->spec))
                        *best = o;
        }
}

const ResourceSpec *desired_index_find(const DesiredIndexFile *v, size_t i,
                                       const DesiredIndexFile *skip) {
        const IndexEntry *own = NULL, *other = NULL;

        for (IndexKey k = 0; k < _INDEX_KEY_MAX; k++)
                ring_find(&v->entries[i], k, skip, &own, &other);
        return own ? own->spec : other ? other->spec : NULL;
}
