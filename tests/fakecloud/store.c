/* SPDX-License-Identifier: MIT */
#include <pthread.h>

#include "tests/fakecloud/store.h"
#include "lib/sort-util.h"

#define N_SHARDS 64

typedef struct Shard {
        pthread_rwlock_t lock;
        FakeFunction **buckets;
        size_t n_buckets; /* a power of two */
        size_t n_functions;
} Shard;

struct FakeStore {
        Shard shards[N_SHARDS];
};

static const char *const api_table[_FAKE_API_MAX] = {
        [FAKE_API_LAMBDA] = "lambda",
        [FAKE_API_FC3] = "fc3",
        [FAKE_API_FC2] = "fc2",
        [FAKE_API_FUNCTIONGRAPH] = "functiongraph",
};

static const char *const api_provider_table[_FAKE_API_MAX] = {
        [FAKE_API_LAMBDA] = "aws",
        [FAKE_API_FC3] = "alicloud",
        [FAKE_API_FC2] = "alicloud",
        [FAKE_API_FUNCTIONGRAPH] = "huaweicloud",
};

static const char *const api_qualifier_table[_FAKE_API_MAX] = {
        [FAKE_API_LAMBDA] = "$LATEST",
        [FAKE_API_FC3] = "LATEST",
        [FAKE_API_FC2] = "LATEST",
        [FAKE_API_FUNCTIONGRAPH] = "latest",
};

const char *fake_api_to_string(FakeApi a) {
        return a >= 0 && a < _FAKE_API_MAX ? api_table[a] : NULL;
}

const char *fake_api_to_provider(FakeApi a) {
        return a >= 0 && a < _FAKE_API_MAX ? api_provider_table[a] : NULL;
}

const char *fake_api_default_qualifier(FakeApi a) {
        return a >= 0 && a < _FAKE_API_MAX ? api_qualifier_table[a] : NULL;
}

static uint64_t hash_key(FakeApi api, const char *key) {
        uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t) api;

        for (const unsigned char *p = (const unsigned char *) key; *p; p++) {
                h ^= *p;
                h *= 0x100000001b3ULL;
        }
        return h ^ (h >> 29);
}

static Shard *shard_of(FakeStore *s, uint64_t h) {
        return &s->shards[h % N_SHARDS];
}

static FakeFunction **bucket_of(Shard *sh, uint64_t h) {
        return &sh->buckets[(h / N_SHARDS) & (sh->n_buckets - 1)];
}

static FakeFunction *function_free(FakeFunction *fn) {
        if (!fn)
                return NULL;
        for (size_t i = 0; i < fn->n_configs; i++) {
                free(fn->configs[i].qualifier);
                free(fn->configs[i].wire);
        }
        free(fn->configs);
        strv_free(fn->qualifiers);
        free(fn->key);
        free(fn->arn_region);
        free(fn->arn_account);
        free(fn);
        return NULL;
}

int fake_store_new(FakeStore **ret) {
        FakeStore *s = calloc(1, sizeof(FakeStore));

        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < N_SHARDS; i++) {
                Shard *sh = &s->shards[i];
                pthread_rwlock_init(&sh->lock, NULL);
                sh->n_buckets = 64;
                sh->buckets = calloc(sh->n_buckets, sizeof(FakeFunction *));
                if (!sh->buckets) {
                        fake_store_free(s);
                        return -ENOMEM;
                }
        }
        *ret = s;
        return 0;
}

static void shard_clear(Shard *sh) {
        for (size_t b = 0; b < sh->n_buckets; b++)
                while (sh->buckets[b]) {
                        FakeFunction *fn = sh->buckets[b];
                        sh->buckets[b] = fn->next;
                        function_free(fn);
                }
        sh->n_functions = 0;
}

FakeStore *fake_store_free(FakeStore *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < N_SHARDS; i++) {
                Shard *sh = &s->shards[i];
                if (sh->buckets)
                        shard_clear(sh);
                free(sh->buckets);
                pthread_rwlock_destroy(&sh->lock);
        }
        free(s);
        return NULL;
}

static FakeFunction *shard_find(Shard *sh, uint64_t h, FakeApi api, const char *key) {
        for (FakeFunction *fn = *bucket_of(sh, h); fn; fn = fn->next)
                if (fn->api == api && streq(fn->key, key))
                        return fn;
        return NULL;
}

FakeFunction *fake_store_lock(FakeStore *s, FakeApi api, const char *key, bool write) {
        uint64_t h = hash_key(api, key);
        Shard *sh = shard_of(s, h);

        if (write)
                pthread_rwlock_wrlock(&sh->lock);
        else
                pthread_rwlock_rdlock(&sh->lock);
        return shard_find(sh, h, api, key);
}

void fake_store_unlock(FakeStore *s, FakeApi api, const char *key) {
        pthread_rwlock_unlock(&shard_of(s, hash_key(api, key))->lock);
}

/* Doubles the bucket array when the load factor passes 1. Failure to grow is harmless. */
static void shard_maybe_grow(Shard *sh) {
        FakeFunction **nb;
        size_t n = sh->n_buckets * 2;

        if (sh->n_functions <= sh->n_buckets)
                return;
        nb = calloc(n, sizeof(FakeFunction *));
        if (!nb)
                return;
        for (size_t b = 0; b < sh->n_buckets; b++)
                while (sh->buckets[b]) {
                        FakeFunction *fn = sh->buckets[b];
                        uint64_t h = hash_key(fn->api, fn->key);
                        sh->buckets[b] = fn->next;
                        fn->next = nb[(h / N_SHARDS) & (n - 1)];
                        nb[(h / N_SHARDS) & (n - 1)] = fn;
                }
        free(sh->buckets);
        sh->buckets = nb;
        sh->n_buckets = n;
}

static bool strv_contains(char *const *l, const char *s) {
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

static int function_add_qualifiers(FakeFunction *fn, const char *const *qualifiers) {
        size_t n = 0, k = 0;
        char **l;

        if (!qualifiers || !qualifiers[0])
                return 0;
        while (fn->qualifiers && fn->qualifiers[n])
                n++;
        while (qualifiers[k])
                k++;
        l = realloc(fn->qualifiers, (n + k + 1) * sizeof(char *));
        if (!l)
                return -ENOMEM;
        fn->qualifiers = l;
        l[n] = NULL;
        for (size_t i = 0; i < k; i++) {
                if (strv_contains(l, qualifiers[i]))
                        continue;
                l[n] = strdup(qualifiers[i]);
                if (!l[n])
                        return -ENOMEM;
                l[++n] = NULL;
        }
        return 0;
}

static int function_new(FakeApi api, const char *key, const char *arn_region,
                        const char *arn_account, FakeFunction **ret) {
        FakeFunction *fn = calloc(1, sizeof(FakeFunction));

        if (!fn)
                return -ENOMEM;
        fn->api = api;
        fn->key = strdup(key);
        fn->arn_region = arn_region ? strdup(arn_region) : NULL;
        fn->arn_account = arn_account ? strdup(arn_account) : NULL;
        if (!fn->key || (arn_region && !fn->arn_region) || (arn_account && !fn->arn_account)) {
                function_free(fn);
                return -ENOMEM;
        }
        *ret = fn;
        return 0;
}

int fake_store_add_function(FakeStore *s, FakeApi api, const char *key,
                            const char *const *qualifiers, const char *arn_region,
                            const char *arn_account) {
        uint64_t h = hash_key(api, key);
        Shard *sh = shard_of(s, h);
        FakeFunction *fn;
        int r = 0;

        pthread_rwlock_wrlock(&sh->lock);
        fn = shard_find(sh, h, api, key);
        if (fn) {
                r = function_add_qualifiers(fn, qualifiers);
                goto finish;
        }
        r = function_new(api, key, arn_region, arn_account, &fn);
        if (r < 0)
                goto finish;
        r = function_add_qualifiers(fn, qualifiers);
        if (r < 0) {
                function_free(fn);
                goto finish;
        }
        fn->next = *bucket_of(sh, h);
        *bucket_of(sh, h) = fn;
        sh->n_functions++;
        shard_maybe_grow(sh);
        r = 1;
finish:
        pthread_rwlock_unlock(&sh->lock);
        return r;
}

int fake_store_remove_function(FakeStore *s, FakeApi api, const char *key) {
        uint64_t h = hash_key(api, key);
        Shard *sh = shard_of(s, h);
        int r = 0;

        pthread_rwlock_wrlock(&sh->lock);
        for (FakeFunction **p = bucket_of(sh, h); *p; p = &(*p)->next)
                if ((*p)->api == api && streq((*p)->key, key)) {
                        FakeFunction *fn = *p;
                        *p = fn->next;
                        function_free(fn);
                        sh->n_functions--;
                        r = 1;
                        break;
                }
        pthread_rwlock_unlock(&sh->lock);
        return r;
}

void fake_store_clear(FakeStore *s) {
        for (size_t i = 0; i < N_SHARDS; i++) {
                pthread_rwlock_wrlock(&s->shards[i].lock);
                shard_clear(&s->shards[i]);
                pthread_rwlock_unlock(&s->shards[i].lock);
        }
}

size_t fake_store_count_functions(FakeStore *s) {
        size_t n = 0;

        for (size_t i = 0; i < N_SHARDS; i++) {
                pthread_rwlock_rdlock(&s->shards[i].lock);
                n += s->shards[i].n_functions;
                pthread_rwlock_unlock(&s->shards[i].lock);
        }
        return n;
}

void fake_store_foreach(FakeStore *s, FakeStoreVisitor f, void *userdata) {
        for (size_t i = 0; i < N_SHARDS; i++) {
                Shard *sh = &s->shards[i];
                pthread_rwlock_rdlock(&sh->lock);
                for (size_t b = 0; b < sh->n_buckets; b++)
                        for (FakeFunction *fn = sh->buckets[b]; fn; fn = fn->next)
                                f(fn, userdata);
                pthread_rwlock_unlock(&sh->lock);
        }
}

bool fake_function_has_qualifier(const FakeFunction *fn, const char *qualifier) {
        if (!fn->qualifiers || streq(qualifier, fake_api_default_qualifier(fn->api)))
                return true;
        return strv_contains(fn->qualifiers, qualifier);
}

static const char *config_key(const void *array, size_t i) {
        return ((const FakeConfig *) array)[i].qualifier;
}

/* The index of qualifier, or where it would be inserted (*found false). */
static size_t config_search(const FakeFunction *fn, const char *qualifier, bool *found) {
        return sorted_find(fn->configs, fn->n_configs, config_key, qualifier, found);
}

FakeConfig *fake_function_get_config(FakeFunction *fn, const char *qualifier) {
        bool found;
        size_t i = config_search(fn, qualifier, &found);

        return found ? &fn->configs[i] : NULL;
}

int fake_function_put_config(FakeFunction *fn, const char *qualifier, char *wire,
                             int64_t now_usec) {
        bool found;
        size_t i = config_search(fn, qualifier, &found);
        FakeConfig *c;
        char *q;

        if (found) {
                free(fn->configs[i].wire);
                fn->configs[i].wire = wire;
                return 0;
        }
        q = strdup(qualifier);
        c = q ? realloc(fn->configs, (fn->n_configs + 1) * sizeof(FakeConfig)) : NULL;
        if (!c) {
                free(q);
                free(wire);
                return -ENOMEM;
        }
        fn->configs = c;
        memmove(c + i + 1, c + i, (fn->n_configs - i) * sizeof(FakeConfig));
        c[i] = (FakeConfig){ .qualifier = q, .wire = wire, .created_usec = now_usec };
        fn->n_configs++;
        return 1;
}

int fake_function_delete_config(FakeFunction *fn, const char *qualifier) {
        bool found;
        size_t i = config_search(fn, qualifier, &found);

        if (!found)
                return 0;
        free(fn->configs[i].qualifier);
        free(fn->configs[i].wire);
        memmove(fn->configs + i, fn->configs + i + 1, (fn->n_configs - i - 1) * sizeof(FakeConfig));
        fn->n_configs--;
        return 1;
}

size_t fake_function_config_index_after(const FakeFunction *fn, const char *marker) {
        bool found;
        size_t i;

        if (isempty(marker))
                return 0;
        i = config_search(fn, marker, &found);
        return found ? i + 1 : i;
}

/* ---- names ----------------------------------------------------------------------------- */

void fake_names_done(FakeNames *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->names[i]);
        free(l->names);
        *l = (FakeNames){};
}

void fake_names_add(FakeNames *l, const char *name) {
        if (l->n == l->allocated) {
                size_t n = MAX(16u, l->allocated * 2);
                char **p = realloc(l->names, n * sizeof(char *));
                if (!p) {
                        l->oom = true;
                        return;
                }
                l->names = p;
                l->allocated = n;
        }
        l->names[l->n] = strdup(name);
        if (l->names[l->n])
                l->n++;
        else
                l->oom = true;
}

void fake_names_add_function(FakeNames *l, const FakeFunction *fn) {
        const char *def = fake_api_default_qualifier(fn->api);

        if (fn->qualifiers) {
                for (char **q = fn->qualifiers; *q; q++)
                        if (!streq(*q, def))
                                fake_names_add(l, *q);
                return;
        }
        for (size_t i = 0; i < fn->n_configs; i++)
                if (!streq(fn->configs[i].qualifier, def))
                        fake_names_add(l, fn->configs[i].qualifier);
}

static int names_compare(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

void fake_names_sort(FakeNames *l) {
        size_t k = 0;

        if (l->n == 0)
                return;
        qsort(l->names, l->n, sizeof(char *), names_compare);
        for (size_t i = 0; i < l->n; i++) {
                if (k > 0 && streq(l->names[k - 1], l->names[i])) {
                        free(l->names[i]);
                        continue;
                }
                l->names[k++] = l->names[i];
        }
        l->n = k;
}

size_t fake_names_index_after(const FakeNames *l, const char *marker) {
        size_t i = 0;

        while (!isempty(marker) && i < l->n && strcmp(l->names[i], marker) <= 0)
                i++;
        return i;
}
