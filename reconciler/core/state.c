/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/sort-util.h"
#include "lib/hashmap.h"
#include "lib/json-writer.h"
#include "lib/list.h"
#include "lib/time-util.h"
#include "reconciler/spec/async-config.h"
#include "reconciler/spec/field.h"
#include "reconciler/core/state-backend.h"
#include "reconciler/core/state.h"

/* A record's place in its group's list (state_store_set_groups()). */
typedef struct StateGroupLink {
        struct StateGroupLink *prev, *next;
        unsigned group;
} StateGroupLink;

struct StateStore {
        char *dir;
        const char *reading;  /* the file being read, for diagnostics */
        pthread_mutex_t lock; /* taken by the record functions while shared */
        bool shared;
        const StateBackendOps *ops;
        StateBackend *backend;
        /* What the next save writes, and nothing else: the records changed since the last save
         * (each knows its place, StateRecord.changed, so a record is marked and found without a
         * lookup by key), and the keys removed since (key → the same string, owned). A key is
         * never in both: a removed key has no record, a record put again is not removed. */
        StateRecord **changed;
        size_t n_changed, allocated_changed;
        Hashmap *removed;
        DiagList *loading_diags; /* while the back end's rows are read */
        /* Looked up by key through index; kept in key order only when an order is asked for
         * (state_store_get_nth(), saving). An apply puts 10,000 records in the order the
         * cloud answers: inserting each at its sorted place moved half the array per put, and
         * every lookup was a binary search chasing a pointer per step. */
        StateRecord **records;
        size_t n, allocated;
        Hashmap *index; /* key (the record's own) → record */
        /* Each group's records (state_store_set_groups()): a list through the links that each
         * record then carries in its allocation, right after it (group_link()); without
         * groups, records have no links and pay nothing for them. */
        StateGroupLink **groups;
        unsigned n_groups;
        unsigned (*group_of)(const char *key);
        bool sorted;
        bool readonly; /* state_store_open_readonly(): saving is refused */
        /* The records' shared strings (provider, account, qualifier, file, the location's),
         * one copy each: the same few values repeat in every record (PooledString.s →
         * PooledString). */
        Hashmap *pool;
};

typedef struct PooledString {
        unsigned n_ref;
        char s[];
} PooledString;

/* The records' structs of optional strings (StateResourceInfo, StateLocation), each described
 * by a table: copying, comparing, loading and saving once for both. */
typedef struct StringMember {
        const char *json;
        size_t offset;
        bool pooled; /* few distinct values: a record's copy is the store's pooled string */
} StringMember;

typedef struct StringMembers {
        const char *json; /* the record's key for the object */
        size_t size;      /* of the struct */
        const StringMember *members;
        const uint8_t *sorted; /* member indexes in JSON key order: objects are saved sorted */
        size_t n;
} StringMembers;

#define INFO_FIELD(m) offsetof(StateResourceInfo, m)
static const StringMember info_fields[] = {
        { "name", INFO_FIELD(name), false },          { "provider", INFO_FIELD(provider), true },
        { "account", INFO_FIELD(account), true },     { "function", INFO_FIELD(function), false },
        { "qualifier", INFO_FIELD(qualifier), true }, { "file", INFO_FIELD(file), true },
};
static const uint8_t
        info_fields_sorted[] = { 2 /* account */, 5 /* file */,     3 /* function */,
                                 0 /* name */,    1 /* provider */, 4 /* qualifier */ };
_Static_assert(ELEMENTSOF(info_fields_sorted) == ELEMENTSOF(info_fields), "every info member");
static const StringMembers info_members = { "resource", sizeof(StateResourceInfo), info_fields,
                                            info_fields_sorted, ELEMENTSOF(info_fields) };

#define LOCATION_FIELD(m) offsetof(StateLocation, m)
static const StringMember location_fields[] = {
        { "account", LOCATION_FIELD(account), true },
        { "api", LOCATION_FIELD(api), true },
        { "region", LOCATION_FIELD(region), true },
        { "accountId", LOCATION_FIELD(account_id), true },
        { "projectId", LOCATION_FIELD(project_id), true },
        { "endpoint", LOCATION_FIELD(endpoint), true },
};
static const uint8_t location_fields_sorted[] = { 0 /* account */,   3 /* accountId */,
                                                  1 /* api */,       5 /* endpoint */,
                                                  4 /* projectId */, 2 /* region */ };
_Static_assert(ELEMENTSOF(location_fields_sorted) == ELEMENTSOF(location_fields),
               "every location member");
static const StringMembers location_members = { "location", sizeof(StateLocation), location_fields,
                                                location_fields_sorted,
                                                ELEMENTSOF(location_fields) };

static char **member(const StringMembers *t, const void *obj, size_t n) {
        return (char **) ((uint8_t *) obj + t->members[n].offset);
}

static void members_done(const StringMembers *t, void *obj) {
        for (size_t n = 0; n < t->n; n++) {
                free(*member(t, obj, n));
                *member(t, obj, n) = NULL;
        }
}

static bool members_equal(const StringMembers *t, const void *a, const void *b) {
        for (size_t n = 0; n < t->n; n++) {
                const char *x = *member(t, a, n), *y = *member(t, b, n);
                if (!!x != !!y || (x && !streq(x, y)))
                        return false;
        }
        return true;
}

/* The pooled copy of v (a new reference), or NULL when out of memory. */
static char *pool_ref(Hashmap *pool, const char *v) {
        PooledString *p = hashmap_get(pool, v);
        size_t n;

        if (p) {
                p->n_ref++;
                return p->s;
        }
        n = strlen(v) + 1;
        p = malloc(offsetof(PooledString, s) + n);
        if (!p)
                return NULL;
        p->n_ref = 1;
        memcpy(p->s, v, n);
        if (hashmap_put(pool, p->s, p) < 0) {
                free(p);
                return NULL;
        }
        return p->s;
}

static void pool_unref(Hashmap *pool, char *v) {
        PooledString *p;

        if (!v)
                return;
        p = (PooledString *) (v - offsetof(PooledString, s));
        if (--p->n_ref > 0)
                return;
        (void) hashmap_remove(pool, p->s);
        free(p);
}

/* members_done() of a record's struct (its pooled members are references). */
static void store_members_done(const StateStore *s, const StringMembers *t, void *obj) {
        for (size_t n = 0; n < t->n; n++) {
                char **m = member(t, obj, n);
                if (t->members[n].pooled)
                        pool_unref(s->pool, *m);
                else
                        free(*m);
                *m = NULL;
        }
}

/* Copies src's strings into a record's struct dst, whose members are all NULL. 0, or -ENOMEM
 * (dst then holds what was copied: release it with store_members_done()). */
static int store_members_copy(const StateStore *s, const StringMembers *t, void *dst,
                              const void *src) {
        for (size_t n = 0; n < t->n; n++) {
                const char *v = *member(t, src, n);
                if (!v)
                        continue;
                *member(t, dst, n) = t->members[n].pooled ? pool_ref(s->pool, v) : strdup(v);
                if (!*member(t, dst, n))
                        return -ENOMEM;
        }
        return 0;
}

void state_resource_info_done(StateResourceInfo *i) {
        members_done(&info_members, i);
}

void state_location_done(StateLocation *l) {
        members_done(&location_members, l);
}

bool state_location_is_known(const StateLocation *l) {
        return l && l->account && l->api && l->region;
}

bool state_location_equal(const StateLocation *a, const StateLocation *b) {
        return members_equal(&location_members, a, b);
}

static StateRecord *state_record_free(const StateStore *s, StateRecord *r) {
        if (!r)
                return NULL;
        async_config_done(&r->applied);
        store_members_done(s, &info_members, &r->info);
        store_members_done(s, &location_members, &r->location);
        free(r);
        return NULL;
}

/* Room for one more in an array of n records (*array, *allocated), growing it to twice its
 * size, at least min and at most max: 0, or -ENOMEM. */
static int records_reserve(StateRecord ***array, size_t n, size_t *allocated, size_t min,
                           size_t max) {
        size_t a = MAX(*allocated * 2, min);
        StateRecord **p;

        if (n < *allocated)
                return 0;
        if (a > max)
                return -ENOMEM;
        p = reallocarray(*array, a, sizeof(StateRecord *));
        if (!p)
                return -ENOMEM;
        *array = p;
        *allocated = a;
        return 0;
}

/* Room for one more changed record (StateRecord.changed holds its place): 0, or -ENOMEM. */
static int store_reserve_change(StateStore *s) {
        return records_reserve(&s->changed, s->n_changed, &s->allocated_changed, 64, UINT32_MAX);
}

/* Remembers that rec changed: 0, or -ENOMEM (then nothing may be changed). */
static int store_mark_record(StateStore *s, StateRecord *rec) {
        int r;

        if (rec->changed > 0)
                return 0;
        r = store_reserve_change(s);
        if (r < 0)
                return r;
        s->changed[s->n_changed++] = rec;
        rec->changed = (uint32_t) s->n_changed;
        return 0;
}

/* Forgets that rec changed; the last changed record takes its place. */
static void store_unmark_record(StateStore *s, StateRecord *rec) {
        StateRecord *last;

        if (rec->changed == 0)
                return;
        last = s->changed[--s->n_changed];
        s->changed[rec->changed - 1] = last;
        last->changed = rec->changed;
        rec->changed = 0;
}

/* Remembers that key, which has no record (any more), is to be deleted: 0, or -ENOMEM. */
static int store_mark_removed(StateStore *s, const char *key) {
        char *k;
        int r;

        if (hashmap_get(s->removed, key))
                return 0;
        k = strdup(key);
        if (!k)
                return -ENOMEM;
        r = hashmap_put(s->removed, k, k);
        if (r < 0)
                free(k);
        return r < 0 ? r : 0;
}

static void store_unmark_removed(StateStore *s, const char *key) {
        if (hashmap_size(s->removed) > 0)
                free(hashmap_remove(s->removed, key));
}

static Hashmap *store_removed_free(Hashmap *removed) {
        size_t i = 0;
        void *k;

        while (hashmap_iterate(removed, &i, NULL, &k))
                free(k);
        return hashmap_free(removed);
}

/* Forgets every change (they are saved, or what the back end holds): 0, or -ENOMEM when no
 * new set of removals can be had: the removals then stay pending (deleting a row again does
 * no harm). */
static int store_changes_reset(StateStore *s) {
        Hashmap *removed;

        for (size_t i = 0; i < s->n_changed; i++)
                s->changed[i]->changed = 0;
        s->n_changed = 0;
        if (hashmap_size(s->removed) == 0)
                return 0;
        removed = hashmap_new();
        if (!removed)
                return -ENOMEM;
        store_removed_free(s->removed);
        s->removed = removed;
        return 0;
}

StateStore *state_store_free(StateStore *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n; i++)
                state_record_free(s, s->records[i]);
        free(s->records);
        free(s->groups);
        hashmap_free(s->index);
        hashmap_free(s->pool); /* empty: every record released its strings */
        free(s->changed);
        store_removed_free(s->removed);
        if (s->backend)
                s->ops->close(s->backend);
        free(s->dir);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
}

static StateRecord *store_find(const StateStore *s, const char *key) {
        return hashmap_get(s->index, key);
}

static const StateRecord *store_get(const StateStore *s, const char *key) {
        if (!s || !key)
                return NULL;
        return store_find(s, key);
}

size_t state_store_size(const StateStore *s) {
        return s ? s->n : 0;
}

static int record_compare(const void *a, const void *b) {
        return strcmp((*(StateRecord *const *) a)->key, (*(StateRecord *const *) b)->key);
}

/* Puts the records in key order (keys are unique, so the order is total). */
static void store_sort(StateStore *s) {
        if (s->sorted)
                return;
        qsort_safe(s->records, s->n, sizeof(StateRecord *), record_compare);
        for (size_t i = 0; i < s->n; i++)
                s->records[i]->slot = i;
        s->sorted = true;
}

const StateRecord *state_store_get_nth(StateStore *s, size_t i) {
        if (!s || i >= s->n)
                return NULL;
        store_sort(s);
        return s->records[i];
}

_Static_assert(sizeof(StateRecord) % _Alignof(StateGroupLink) == 0, "links right after a record");

/* The group links of rec, in its allocation between the struct and the key. */
static StateGroupLink *group_link(StateRecord *rec) {
        return (StateGroupLink *) (rec + 1);
}

static StateRecord *group_link_record(StateGroupLink *l) {
        return (StateRecord *) l - 1;
}

static void store_group_link(StateStore *s, StateRecord *rec) {
        StateGroupLink *l = group_link(rec);

        if (!s->groups)
                return;
        l->group = s->group_of(rec->key);
        assert(l->group < s->n_groups);
        DLIST_HEAD_PREPEND(s->groups[l->group], l, prev, next);
}

static void store_group_unlink(StateStore *s, StateRecord *rec) {
        StateGroupLink *l = group_link(rec);

        if (s->groups)
                DLIST_HEAD_UNLINK(s->groups[l->group], l, prev, next);
}

/* Room for one more record: 0, or -ENOMEM. */
static int store_reserve_record(StateStore *s) {
        return records_reserve(&s->records, s->n, &s->allocated, 16, SIZE_MAX);
}

/* A new empty record of key (which has none), in the store and marked changed; NULL when out
 * of memory (the store is then unchanged). */
static StateRecord *store_add(StateStore *s, const char *key) {
        size_t links = s->groups ? sizeof(StateGroupLink) : 0;
        StateRecord *rec;

        if (store_reserve_record(s) < 0 || store_reserve_change(s) < 0)
                return NULL;
        rec = calloc(1, sizeof(StateRecord) + links + strlen(key) + 1);
        if (!rec)
                return NULL;
        rec->key = strcpy((char *) (rec + 1) + links, key);
        if (hashmap_put(s->index, rec->key, rec) < 0)
                return state_record_free(s, rec);
        /* Appending in key order (loading a saved file) keeps the array sorted. */
        if (s->n > 0 && s->sorted && strcmp(s->records[s->n - 1]->key, rec->key) > 0)
                s->sorted = false;
        rec->slot = s->n;
        s->records[s->n++] = rec;
        store_group_link(s, rec);
        store_unmark_removed(s, rec->key); /* a put after a remove writes the row, no delete */
        (void) store_mark_record(s, rec);  /* cannot fail: room reserved */
        return rec;
}

/* Takes ownership of *config on success; key's record in *ret_rec (optional). */
static int state_store_insert(StateStore *s, const char *key, AsyncConfig *config,
                              uint64_t applied_usec, bool created, StateRecord **ret_rec) {
        StateRecord *rec = store_find(s, key);
        int r;

        if (rec) {
                r = store_mark_record(s, rec);
                if (r < 0)
                        return r;
                async_config_done(&rec->applied);
        } else {
                rec = store_add(s, key);
                if (!rec)
                        return -ENOMEM;
                rec->created = created;
        }
        rec->applied = *config;
        rec->applied_usec = applied_usec;
        *config = (AsyncConfig){};
        if (ret_rec)
                *ret_rec = rec;
        return 0;
}

static int store_set_members(StateStore *s, StateRecord *rec, const StringMembers *t, void *cur,
                             const void *want);

static int store_put_with(StateStore *s, const char *key, const AsyncConfig *config,
                          uint64_t applied_usec, bool created, const StateResourceInfo *info,
                          const StateLocation *location) {
        StateRecord *rec;
        AsyncConfig c;
        int r;

        r = async_config_copy(&c, config);
        if (r < 0)
                return r;
        r = state_store_insert(s, key, &c, applied_usec, created, &rec);
        async_config_done(&c);
        if (r >= 0 && info)
                r = store_set_members(s, rec, &info_members, &rec->info, info);
        if (r >= 0 && location)
                r = store_set_members(s, rec, &location_members, &rec->location, location);
        return MIN(r, 0);
}

/* Takes rec out of the store (memory only), and out of the changes: recording its removal is
 * the caller's. */
static void store_drop(StateStore *s, StateRecord *rec) {
        store_unmark_record(s, rec);
        (void) hashmap_remove(s->index, rec->key);
        store_group_unlink(s, rec);
        /* The last record takes its slot: removing 50,000 of 100,000 records scanned and moved
         * half the array each; the order is made again when it is asked for. */
        s->records[rec->slot] = s->records[s->n - 1];
        s->records[rec->slot]->slot = rec->slot;
        if (rec->slot != s->n - 1)
                s->sorted = false;
        s->n--;
        state_record_free(s, rec);
}

static int store_remove(StateStore *s, const char *key) {
        StateRecord *rec = hashmap_get(s->index, key);

        if (!rec)
                return 0;
        if (store_mark_removed(s, key) < 0)
                return -ENOMEM;
        store_drop(s, rec);
        return 1;
}

/* Replaces the struct of strings at cur (key's, described by t) with a copy of want. 1 if it
 * changed, 0 if it was the same, -ENOMEM (cur then unchanged). */
static int store_set_members(StateStore *s, StateRecord *rec, const StringMembers *t, void *cur,
                             const void *want) {
        union {
                StateResourceInfo info;
                StateLocation location;
        } tmp = {};
        int r;

        assert(t->size <= sizeof(tmp));
        if (members_equal(t, cur, want))
                return 0;
        r = store_mark_record(s, rec);
        if (r >= 0)
                r = store_members_copy(s, t, &tmp, want);
        if (r < 0) {
                store_members_done(s, t, &tmp);
                return r;
        }
        store_members_done(s, t, cur);
        memcpy(cur, &tmp, t->size);
        return 1;
}

static int store_set_info(StateStore *s, const char *key, const StateResourceInfo *info) {
        StateRecord *rec = store_find(s, key);

        if (!rec)
                return -ENOENT;
        return store_set_members(s, rec, &info_members, &rec->info, info);
}

static int store_set_location(StateStore *s, const char *key, const StateLocation *location) {
        StateRecord *rec = store_find(s, key);

        if (!rec)
                return -ENOENT;
        return store_set_members(s, rec, &location_members, &rec->location, location);
}

static int store_set_orphaned(StateStore *s, const char *key, uint64_t usec) {
        StateRecord *rec = store_find(s, key);

        if (!rec)
                return -ENOENT;
        if (rec->orphaned_usec == usec)
                return 0;
        if (store_mark_record(s, rec) < 0)
                return -ENOMEM;
        rec->orphaned_usec = usec;
        return 1;
}

int state_record_info_from_key(const char *key, StateResourceInfo *ret) {
        const char *a = strchr(key, '/'), *f = a ? strchr(a + 1, '/') : NULL,
                   *q = strrchr(key, '/');
        StateResourceInfo i = {};
        bool no_account;

        if (!a || !f || q <= f || q == f + 1 || a == key || f == a + 1 || !q[1])
                return -EINVAL;
        no_account = f == a + 2 && a[1] == '-';
        i.provider = strndup(key, (size_t) (a - key));
        i.account = no_account ? NULL : strndup(a + 1, (size_t) (f - a - 1));
        i.function = strndup(f + 1, (size_t) (q - f - 1));
        i.qualifier = strdup(q + 1);
        if (!i.provider || (!no_account && !i.account) || !i.function || !i.qualifier) {
                state_resource_info_done(&i);
                return -ENOMEM;
        }
        *ret = i;
        return 0;
}

/* ---- the record functions, locked while the store is shared ------------------------------- */

static void store_lock(const StateStore *s) {
        if (s && s->shared)
                pthread_mutex_lock((pthread_mutex_t *) &s->lock);
}

static void store_unlock(const StateStore *s) {
        if (s && s->shared)
                pthread_mutex_unlock((pthread_mutex_t *) &s->lock);
}

void state_store_set_shared(StateStore *s, bool shared) {
        if (s)
                s->shared = shared;
}

const StateRecord *state_store_get(const StateStore *s, const char *key) {
        const StateRecord *rec;

        store_lock(s);
        rec = store_get(s, key);
        store_unlock(s);
        return rec;
}

int state_store_put(StateStore *s, const char *key, const AsyncConfig *config,
                    uint64_t applied_usec, bool created) {
        int r;

        store_lock(s);
        r = store_put_with(s, key, config, applied_usec, created, NULL, NULL);
        store_unlock(s);
        return r;
}

int state_store_put_with(StateStore *s, const char *key, const AsyncConfig *config,
                         uint64_t applied_usec, bool created, const StateResourceInfo *info,
                         const StateLocation *location) {
        int r;

        store_lock(s);
        r = store_put_with(s, key, config, applied_usec, created, info, location);
        store_unlock(s);
        return r;
}

int state_store_remove(StateStore *s, const char *key) {
        int r;

        store_lock(s);
        r = store_remove(s, key);
        store_unlock(s);
        return r;
}

int state_store_set_info(StateStore *s, const char *key, const StateResourceInfo *info) {
        int r;

        store_lock(s);
        r = store_set_info(s, key, info);
        store_unlock(s);
        return r;
}

int state_store_set_location(StateStore *s, const char *key, const StateLocation *location) {
        int r;

        store_lock(s);
        r = store_set_location(s, key, location);
        store_unlock(s);
        return r;
}

int state_store_set_orphaned(StateStore *s, const char *key, uint64_t usec) {
        int r;

        store_lock(s);
        r = store_set_orphaned(s, key, usec);
        store_unlock(s);
        return r;
}

/* The optional object t->json of record v into obj (zeroed): 0 (also when absent), a
 * diagnostic's error, or -ENOMEM; obj then holds what was read (members_done()). */
static int state_load_members(StateStore *s, const char *key, const json_t *v,
                              const StringMembers *t, void *obj, DiagList *diags) {
        const json_t *o = json_object_get(v, t->json);

        if (!o)
                return 0;
        if (!json_is_object(o))
                return diag_error(diags, s->reading, 0, 0,
                                  "resource '%s': \"%s\" must be an object", key, t->json);
        for (size_t n = 0; n < t->n; n++) {
                const json_t *m = json_object_get(o, t->members[n].json);
                if (!m || json_is_null(m))
                        continue;
                if (!json_is_string(m))
                        return diag_error(diags, s->reading, 0, 0,
                                          "resource '%s': \"%s\".%s must be a string", key, t->json,
                                          t->members[n].json);
                if (!(*member(t, obj, n) = strdup(json_string_value(m))))
                        return -ENOMEM;
        }
        return 0;
}

/* The optional "resource", "location" and "orphanedAtUsec" (see state.h). */
static int state_load_extras(StateStore *s, const char *key, const json_t *v, DiagList *diags) {
        const json_t *orph = json_object_get(v, "orphanedAtUsec");
        _cleanup_(state_resource_info_done) StateResourceInfo info = {};
        _cleanup_(state_location_done) StateLocation location = {};
        int r;

        if (orph && (!json_is_integer(orph) || json_integer_value(orph) < 0))
                return diag_error(diags, s->reading, 0, 0,
                                  "resource '%s': malformed \"orphanedAtUsec\"", key);
        r = state_load_members(s, key, v, &info_members, &info, diags);
        if (r >= 0)
                r = state_load_members(s, key, v, &location_members, &location, diags);
        if (r >= 0 && json_object_get(v, info_members.json))
                r = state_store_set_info(s, key, &info);
        if (r >= 0 && json_object_get(v, location_members.json))
                r = state_store_set_location(s, key, &location);
        if (r < 0)
                return r;
        if (orph)
                (void) state_store_set_orphaned(s, key, (uint64_t) json_integer_value(orph));
        return 0;
}

static int state_load_record(StateStore *s, const char *key, const json_t *v, DiagList *diags) {
        const json_t *at = json_object_get(v, "appliedAtUsec"), *cr = json_object_get(v, "created"),
                     *cf = json_object_get(v, "config");
        AsyncConfig c = {};
        int r;

        if (!json_is_object(v) || !json_is_integer(at) || json_integer_value(at) < 0 ||
            !json_is_boolean(cr) || !cf)
                return diag_error(diags, s->reading, 0, 0,
                                  "resource '%s': expected {appliedAtUsec, created, config}", key);
        r = async_config_from_json(cf, &c);
        if (r == -EBADMSG)
                return diag_error(diags, s->reading, 0, 0, "resource '%s': malformed config", key);
        if (r < 0)
                return r;
        r = state_store_insert(s, key, &c, (uint64_t) json_integer_value(at), json_is_true(cr),
                               NULL);
        async_config_done(&c);
        if (r < 0)
                return r;
        return state_load_extras(s, key, v, diags);
}

static int state_load_json(StateStore *s, const json_t *root, DiagList *diags) {
        const json_t *format = json_object_get(root, "format"),
                     *version = json_object_get(root, "version"),
                     *resources = json_object_get(root, "resources");
        const char *key;
        json_t *v;
        int r, ret = 0;

        if (!json_is_object(root) || !json_is_string(format) ||
            !streq(json_string_value(format), STATE_FORMAT)) {
                diag_error(diags, s->reading, 0, 0,
                           "not an asyncfg state file (no \"format\": \"" STATE_FORMAT
                           "\"), not trusted");
                return -EPROTONOSUPPORT;
        }
        if (!json_is_integer(version) || json_integer_value(version) != STATE_VERSION) {
                diag_error(diags, s->reading, 0, 0,
                           "unsupported state file version (expected %d), not trusted",
                           STATE_VERSION);
                return -EPROTONOSUPPORT;
        }
        if (!json_is_object(resources)) {
                diag_error(diags, s->reading, 0, 0, "\"resources\" must be an object");
                return -EBADMSG;
        }
        json_object_foreach((json_t *) resources, key, v) {
                r = state_load_record(s, key, v, diags);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        ret = r;
        }
        return ret < 0 ? -EBADMSG : 0;
}

static int state_read_file(const char *path, char **ret_data, size_t *ret_size) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *buf = NULL;
        struct stat st;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        if (fstat(fileno(f), &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        if ((uint64_t) st.st_size > STATE_FILE_MAX)
                return -EFBIG;
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        size_t n = fread(buf, 1, (size_t) st.st_size, f);
        if (ferror(f))
                return -EIO;
        buf[n] = 0;
        *ret_data = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

/* Parses the state.json document data (size bytes) into the store's records; problems are
 * reported in diags as s->reading:line:col. */
static int state_load_document(StateStore *s, const char *data, size_t size, DiagList *diags) {
        json_error_t err;
        json_t *root;
        int r;

        root = json_loadb(data, size, JSON_REJECT_DUPLICATES, &err);
        if (!root) {
                diag_error(diags, s->reading, err.line > 0 ? (unsigned) err.line : 0,
                           err.column > 0 ? (unsigned) err.column : 0, "damaged state file: %s",
                           err.text);
                return -EBADMSG;
        }
        r = state_load_json(s, root, diags);
        json_decref(root);
        return r;
}

/* Reads the state.json file at path into the store's records: 0 (also when there is none),
 * -EBADMSG (reported in diags), -errno. */
static int state_load_file(StateStore *s, const char *path, DiagList *diags) {
        _cleanup_free_ char *data = NULL;
        size_t size = 0;
        int r;

        r = state_read_file(path, &data, &size);
        if (r == -ENOENT)
                return 0;
        s->reading = path;
        if (r == -EFBIG || r == -EBADMSG) {
                diag_error(diags, path, 0, 0, "%s",
                           r == -EFBIG ? "state file too large" : "not a regular file");
                return -EBADMSG;
        }
        if (r < 0)
                return r;
        return state_load_document(s, data, size, diags);
}

int state_store_load_json(StateStore *s, const char *data, size_t size, DiagList *diags) {
        s->reading = STATE_JSON_NAME;
        return state_load_document(s, data, size, diags);
}

/* One row of the back end: its value is the record's JSON object (see state.h). */
static int state_load_row(const char *key, const char *value, size_t size, void *userdata) {
        StateStore *s = userdata;
        DiagList *diags = s->loading_diags;
        json_error_t err;
        json_t *v;
        int r;

        v = json_loadb(value, size, JSON_REJECT_DUPLICATES, &err);
        if (!v) {
                diag_error(diags, s->reading, 0, 0, "resource '%s': damaged record: %s", key,
                           err.text);
                return -EBADMSG;
        }
        r = state_load_record(s, key, v, diags);
        json_decref(v);
        return r == -EINVAL ? -EBADMSG : r;
}

static int state_load_backend(StateStore *s, DiagList *diags) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (asprintf(&path, "%s/%s", s->dir, s->ops->file_name) < 0)
                return -ENOMEM;
        s->reading = path;
        s->loading_diags = diags;
        r = s->ops->iterate(s->backend, state_load_row, s, diags);
        s->loading_diags = NULL;
        s->reading = NULL;
        if (r < 0)
                return r;
        return store_changes_reset(s); /* what was read is what the back end holds */
}

static int fsync_directory(const char *dir) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return fsync(fd) < 0 ? -errno : 0;
}

/* Renames dir/name to dir/name<suffix>, then makes the rename durable. */
static int state_rename(const char *dir, const char *name, const char *suffix, char **ret_path) {
        _cleanup_free_ char *from = NULL, *to = NULL;
        int r;

        if (asprintf(&from, "%s/%s", dir, name) < 0 || asprintf(&to, "%s%s", from, suffix) < 0)
                return -ENOMEM;
        if (rename(from, to) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (ret_path)
                *ret_path = TAKE_PTR(to);
        r = fsync_directory(dir);
        return r < 0 ? r : 1;
}

static int store_save(StateStore *s);

/* The temporary files of the JSON store's atomic save (".state.json.XXXXXX", mkostemp()): one
 * left by a crash between its creation and its rename holds nothing the store still needs. Only
 * regular files of exactly that shape are removed; anything else is not ours to touch. */
static bool state_is_stale_temp(int dfd, const char *name) {
        static const char prefix[] = "." STATE_JSON_NAME ".";
        struct stat st;

        return startswith(name, prefix) && strlen(name) == strlen(prefix) + 6 &&
               fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISREG(st.st_mode);
}

int state_remove_stale_temp(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0, r;

        if (!d)
                return -errno;
        while ((errno = 0, de = readdir(d)))
                if (state_is_stale_temp(dirfd(d), de->d_name) &&
                    unlinkat(dirfd(d), de->d_name, 0) >= 0)
                        n++;
        r = -errno;
        closedir(d);
        return r < 0 ? r : n;
}

/* The state.json of an older asyncfg, imported once: its records are written to the empty
 * back end in one transaction, then the file is renamed state.json.migrated. A file found next
 * to a back end that holds records was imported already (a crash between the commit and the
 * rename) and is only renamed. */
static int state_import_json(StateStore *s, DiagList *diags) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (asprintf(&path, "%s/%s", s->dir, STATE_JSON_NAME) < 0)
                return -ENOMEM;
        if (access(path, F_OK) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (s->n == 0) {
                r = state_load_file(s, path, diags);
                s->reading = NULL;
                if (r < 0)
                        return r;
                r = store_save(s);
                if (r < 0)
                        return r;
        }
        return state_rename(s->dir, STATE_JSON_NAME, STATE_MIGRATED_SUFFIX, NULL);
}

/* A store with the back end's records, before any import; read-only: opened for reading, and
 * a missing store is an empty one (no back end). */
static int store_open_backend(const char *dir, bool readonly, DiagList *diags, StateStore **ret) {
        _cleanup_(state_store_freep) StateStore *s = NULL;
        struct stat st;
        int r;

        if (stat(dir, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        s = calloc(1, sizeof(StateStore));
        if (!s)
                return -ENOMEM;
        pthread_mutex_init(&s->lock, NULL);
        s->sorted = true;
        s->ops = &state_backend_sqlite;
        s->index = hashmap_new();
        s->removed = hashmap_new();
        s->pool = hashmap_new();
        s->dir = strdup(dir);
        if (!s->index || !s->removed || !s->pool || !s->dir)
                return -ENOMEM;
        s->readonly = readonly;
        r = readonly ? s->ops->open_readonly(dir, diags, &s->backend)
                     : s->ops->open(dir, diags, &s->backend);
        if (r == -ENOENT && readonly)
                r = 0;
        else if (r >= 0)
                r = state_load_backend(s, diags);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

/* The records of state.json, read when the store has none (not imported yet), and neither
 * saved nor renamed. */
static int state_read_json(StateStore *s, DiagList *diags) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (s->n > 0)
                return 0;
        if (asprintf(&path, "%s/%s", s->dir, STATE_JSON_NAME) < 0)
                return -ENOMEM;
        if (access(path, F_OK) < 0)
                return errno == ENOENT ? 0 : -errno;
        r = state_load_file(s, path, diags);
        s->reading = NULL;
        return r;
}

/* Opens the store of dir; read-only: no state.json import (it is read in the store's place). */
static int store_open(const char *dir, bool readonly, DiagList *diags, StateStore **ret) {
        _cleanup_(state_store_freep) StateStore *s = NULL;
        _cleanup_(diag_list_done) DiagList ignored = {};
        int r;

        if (!diags) {
                diag_list_init(&ignored);
                diags = &ignored;
        }
        r = store_open_backend(dir, readonly, diags, &s);
        if (r >= 0)
                r = readonly ? state_read_json(s, diags) : state_import_json(s, diags);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int state_store_open(const char *dir, DiagList *diags, StateStore **ret) {
        return store_open(dir, false, diags, ret);
}

int state_store_open_readonly(const char *dir, DiagList *diags, StateStore **ret) {
        return store_open(dir, true, diags, ret);
}

int state_store_quarantine(const char *dir, char **ret_path) {
        _cleanup_(diag_list_done) DiagList ignored = {};
        _cleanup_free_ char *suffix = NULL;
        StateStore *s = NULL;
        int r;

        /* Whichever made the open fail: the back end if its records cannot be read, else the
         * state.json that could not be imported. */
        diag_list_init(&ignored);
        r = store_open_backend(dir, false, &ignored, &s);
        if (r == -EBADMSG || r == -EPROTONOSUPPORT)
                return state_backend_sqlite.quarantine(dir, ret_path);
        state_store_free(s);
        if (r < 0)
                return r;
        if (asprintf(&suffix, ".broken-%" PRIu64, now(CLOCK_REALTIME)) < 0)
                return -ENOMEM;
        return state_rename(dir, STATE_JSON_NAME, suffix, ret_path);
}

/* ---- saving ------------------------------------------------------------------------- */

/* The object t->json of obj with sorted keys, left out when every member is NULL. */
static void state_members_write(JsonWriter *w, const StringMembers *t, const void *obj) {
        bool open = false;

        for (size_t k = 0; k < t->n; k++) {
                size_t n = t->sorted[k];
                const char *v = *member(t, obj, n);
                if (!v)
                        continue;
                if (!open) {
                        json_writer_key(w, t->json);
                        json_writer_open_object(w);
                        open = true;
                }
                json_writer_key(w, t->members[n].json);
                json_writer_string(w, v);
        }
        if (open)
                json_writer_close_object(w);
}

/* One record's value (the object under its key), its keys in sorted order. */
static void state_record_write_value(JsonWriter *w, const StateRecord *r) {
        json_writer_open_object(w);
        json_writer_key(w, "appliedAtUsec");
        json_writer_integer(w, (int64_t) r->applied_usec);
        json_writer_key(w, "config");
        async_config_write_json(w, &r->applied);
        json_writer_key(w, "created");
        json_writer_bool(w, r->created);
        state_members_write(w, &location_members, &r->location);
        if (r->orphaned_usec > 0) {
                json_writer_key(w, "orphanedAtUsec");
                json_writer_integer(w, (int64_t) r->orphaned_usec);
        }
        state_members_write(w, &info_members, &r->info);
        json_writer_close_object(w);
}

#define STATE_FLUSH_SIZE (64u * 1024u)

/* The state.json document of the whole store (json_dumpf(JSON_INDENT(1) | JSON_SORT_KEYS)'s
 * bytes), written straight from the records. A string jansson would have refused (not UTF-8)
 * fails with -ENOMEM. */
int state_store_write_json(StateStore *s, FILE *f) {
        JsonWriter w;
        int r = 0;

        store_sort(s);
        json_writer_init(&w, 1, 0, true);
        json_writer_open_object(&w);
        json_writer_key(&w, "format");
        json_writer_string(&w, STATE_FORMAT);
        json_writer_key(&w, "resources");
        json_writer_open_object(&w);
        for (size_t i = 0; i < s->n && r >= 0; i++) {
                json_writer_key(&w, s->records[i]->key);
                state_record_write_value(&w, s->records[i]);
                r = json_writer_error(&w);
                if (r >= 0 && json_writer_pending(&w) >= STATE_FLUSH_SIZE)
                        r = json_writer_flush(&w, f);
        }
        json_writer_close_object(&w);
        json_writer_key(&w, "version");
        json_writer_integer(&w, STATE_VERSION);
        json_writer_close_object(&w);
        if (r >= 0)
                r = json_writer_flush(&w, f);
        json_writer_done(&w);
        return r == -EINVAL ? -ENOMEM : r;
}

/* The row of rec as a back end writes it: its record's JSON. */
static int store_encode_record(const StateRecord *rec, char **ret, size_t *ret_size) {
        JsonWriter w;
        int r;

        json_writer_init_compact(&w);
        state_record_write_value(&w, rec);
        r = json_writer_take(&w, ret, ret_size);
        return r == -EINVAL ? -ENOMEM : r;
}

/* Puts the changed records in key order: the back end's B-tree takes rows in order with its
 * pages at hand (records that complete together often have neighbouring keys). */
static void store_sort_changes(StateStore *s) {
        qsort_safe(s->changed, s->n_changed, sizeof(StateRecord *), record_compare);
        for (size_t i = 0; i < s->n_changed; i++)
                s->changed[i]->changed = (uint32_t) i + 1;
}

/* Calls fn for every change since the last save or take: each changed record's row, in key
 * order, then each removed key with NULL and 0. A negative return of fn stops the walk and is
 * returned. */
static int store_walk_changes(StateStore *s, StateBackendRowFunc fn, void *userdata) {
        const char *key;
        size_t i = 0;
        int r = 0;

        store_sort_changes(s);
        for (size_t j = 0; j < s->n_changed && r >= 0; j++) {
                _cleanup_free_ char *value = NULL;
                size_t size;

                r = store_encode_record(s->changed[j], &value, &size);
                if (r >= 0)
                        r = fn(s->changed[j]->key, value, size, userdata);
        }
        while (r >= 0 && hashmap_iterate(s->removed, &i, &key, NULL))
                r = fn(key, NULL, 0, userdata);
        return r;
}

/* Writes a row to the back end: a record's value, or a delete when the record is gone. */
static int state_save_row(const char *key, const char *value, size_t size, void *userdata) {
        StateStore *s = userdata;

        if (!value)
                return s->ops->delete (s->backend, key);
        return s->ops->put(s->backend, key, value);
}

static size_t store_pending(const StateStore *s) {
        return s->n_changed + hashmap_size(s->removed);
}

static int store_save(StateStore *s) {
        int r;

        if (store_pending(s) == 0)
                return 0;
        if (s->readonly)
                return -EROFS;
        if (!s->backend)
                return -EOPNOTSUPP; /* state_store_new_memory(): its owner writes the changes */
        r = s->ops->begin(s->backend);
        if (r < 0)
                return r;
        r = store_walk_changes(s, state_save_row, s);
        if (r < 0) {
                s->ops->rollback(s->backend);
                return r;
        }
        r = s->ops->commit(s->backend);
        if (r < 0)
                return r;
        r = store_changes_reset(s);
        return r < 0 ? r : 1;
}

int state_store_save(StateStore *s) {
        int r;

        store_lock(s);
        r = store_save(s);
        store_unlock(s);
        return r;
}

size_t state_store_pending(const StateStore *s) {
        size_t n;

        if (!s)
                return 0;
        store_lock(s);
        n = store_pending(s);
        store_unlock(s);
        return n;
}

void state_store_set_busy_timeout(StateStore *s, unsigned msec) {
        if (s && s->backend)
                s->ops->set_busy_timeout(s->backend, msec);
}

/* ---- a store without a back end (cluster mode: the records live in etcd) ------------------ */

int state_store_new_memory(StateStore **ret) {
        _cleanup_(state_store_freep) StateStore *s = calloc(1, sizeof(StateStore));

        if (!s)
                return -ENOMEM;
        pthread_mutex_init(&s->lock, NULL);
        s->sorted = true;
        s->ops = &state_backend_sqlite; /* never opened: s->backend stays NULL */
        s->index = hashmap_new();
        s->removed = hashmap_new();
        s->pool = hashmap_new();
        if (!s->index || !s->removed || !s->pool)
                return -ENOMEM;
        *ret = TAKE_PTR(s);
        return 0;
}

/* Forgets that key changed (its record is what the back end holds, or not ours to write). */
static void store_unmark_key(StateStore *s, const char *key) {
        StateRecord *rec = store_find(s, key);

        if (rec)
                store_unmark_record(s, rec);
        else
                store_unmark_removed(s, key);
}

int state_store_load_row(StateStore *s, const char *key, const char *value, size_t size,
                         DiagList *diags) {
        _cleanup_(diag_list_done) DiagList ignored = {};
        int r;

        if (!diags) {
                diag_list_init(&ignored);
                diags = &ignored;
        }
        store_lock(s);
        (void) store_remove(s, key);
        s->reading = "etcd";
        s->loading_diags = diags;
        r = state_load_row(key, value, size, s);
        s->loading_diags = NULL;
        s->reading = NULL;
        store_unmark_key(s, key);
        store_unlock(s);
        return r;
}

void state_store_forget(StateStore *s, const char *key) {
        StateRecord *rec;

        store_lock(s);
        rec = store_find(s, key);
        if (rec)
                store_drop(s, rec); /* its change too */
        else
                store_unmark_removed(s, key);
        store_unlock(s);
}

int state_store_set_groups(StateStore *s, unsigned n_groups,
                           unsigned (*group_of)(const char *key)) {
        if (s->n > 0)
                return -EBUSY;
        free(s->groups);
        s->groups = calloc(n_groups, sizeof(StateGroupLink *));
        if (!s->groups)
                return -ENOMEM;
        s->n_groups = n_groups;
        s->group_of = group_of;
        return 0;
}

/* The first removal of group's keys not saved yet, or NULL. */
static char *store_find_group_removal(const StateStore *s, unsigned group) {
        size_t i = 0;
        char *k;

        while (hashmap_iterate(s->removed, &i, NULL, (void **) &k))
                if (s->group_of(k) == group)
                        return k;
        return NULL;
}

/* Forgets the removals of group's keys: they have no record, so they are not on the group's
 * list, and this walks the removals pending, which a commit window bounds. A removal left
 * behind would be saved under the next claim of the group, over what another member wrote:
 * without memory for the list, the walk starts again after each one. */
static void store_unmark_group_removals(StateStore *s, unsigned group) {
        _cleanup_free_ char **keys = NULL;
        size_t i = 0, n = 0;
        char *k;

        if (hashmap_size(s->removed) == 0)
                return;
        keys = calloc(hashmap_size(s->removed), sizeof(char *));
        if (!keys) {
                while ((k = store_find_group_removal(s, group)))
                        store_unmark_removed(s, k);
                return;
        }
        while (hashmap_iterate(s->removed, &i, NULL, (void **) &k))
                if (s->group_of(k) == group)
                        keys[n++] = k;
        for (size_t j = 0; j < n; j++)
                store_unmark_removed(s, keys[j]);
}

void state_store_forget_group(StateStore *s, unsigned group) {
        store_lock(s);
        while (s->groups && group < s->n_groups && s->groups[group])
                store_drop(s, group_link_record(s->groups[group])); /* its change too */
        if (s->groups && group < s->n_groups)
                store_unmark_group_removals(s, group);
        store_unlock(s);
}

int state_store_mark_changed(StateStore *s, const char *key) {
        StateRecord *rec;
        int r;

        store_lock(s);
        rec = store_find(s, key);
        r = rec ? store_mark_record(s, rec) : store_mark_removed(s, key);
        store_unlock(s);
        return r;
}

int state_store_take_changes(StateStore *s, StateBackendRowFunc fn, void *userdata) {
        int r;

        store_lock(s);
        r = store_walk_changes(s, fn, userdata);
        if (r >= 0)
                r = store_changes_reset(s);
        store_unlock(s);
        return r;
}
