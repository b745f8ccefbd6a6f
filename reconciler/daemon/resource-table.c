/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sort-util.h"
#include "lib/macro.h"
#include "reconciler/spec/async-config.h"
#include "reconciler/spec/field.h"
#include "reconciler/daemon/resource-table.h"

bool resource_spec_reconcile_equal(const ResourceSpec *a, const ResourceSpec *b) {
        if (a->management != b->management || a->ignore != b->ignore)
                return false;
        if (async_config_present_fields(&a->config) != async_config_present_fields(&b->config))
                return false;
        for (AsyncField f = 0; f < _ASYNC_FIELD_MAX; f++)
                if (!async_field_equal(&a->config, &b->config, f))
                        return false;
        return true;
}

int resource_table_init(ResourceTable *t) {
        *t = (ResourceTable){ .by_key = hashmap_new() };
        return t->by_key ? 0 : -ENOMEM;
}

void resource_table_done(ResourceTable *t) {
        const char *k;
        void *v;

        for (size_t i = 0; t->by_key && hashmap_iterate(t->by_key, &i, &k, &v);)
                resource_free(v);
        t->by_key = hashmap_free(t->by_key);
}

Resource *resource_table_get(const ResourceTable *t, const char *key) {
        return hashmap_get(t->by_key, key);
}

size_t resource_table_size(const ResourceTable *t) {
        return hashmap_size(t->by_key);
}

int resource_table_add(ResourceTable *t, Resource *r) {
        int k = hashmap_put(t->by_key, r->key, r);

        return k < 0 ? k : 0;
}

void resource_table_unlink(ResourceTable *t, Resource *r) {
        if (hashmap_get(t->by_key, r->key) == r)
                hashmap_remove(t->by_key, r->key);
}

int resource_compare_by_key(const void *a, const void *b) {
        const Resource *x = *(Resource *const *) a, *y = *(Resource *const *) b;

        return strcmp(x->key, y->key);
}

int resource_compare_by_name(const void *a, const void *b) {
        const Resource *x = *(Resource *const *) a, *y = *(Resource *const *) b;
        int c = strcmp(x->spec->name, y->spec->name);

        return c != 0 ? c : strcmp(x->key, y->key);
}

int resource_table_sorted(const ResourceTable *t, int (*cmp)(const void *, const void *),
                          Resource ***ret, size_t *ret_n) {
        size_t n = 0, i = 0;
        Resource **a;
        const char *k;
        void *v;

        a = calloc(MAX(resource_table_size(t), 1u), sizeof(*a));
        if (!a)
                return -ENOMEM;
        while (hashmap_iterate(t->by_key, &i, &k, &v))
                a[n++] = v;
        qsort_safe(a, n, sizeof(*a), cmp ?: resource_compare_by_key);
        *ret = a;
        *ret_n = n;
        return 0;
}

static int desired_ref_compare(const void *a, const void *b) {
        return strcmp(((const DesiredRef *) a)->key, ((const DesiredRef *) b)->key);
}

/* The live (not removed) resources of the table, sorted by key. */
static int resource_table_sorted_live(const ResourceTable *t, Resource ***ret, size_t *ret_n) {
        size_t n, m = 0;
        Resource **a;
        int k;

        k = resource_table_sorted(t, NULL, &a, &n);
        if (k < 0)
                return k;
        for (size_t i = 0; i < n; i++)
                if (!a[i]->removed)
                        a[m++] = a[i];
        *ret = a;
        *ret_n = m;
        return 0;
}

int resource_table_sync(ResourceTable *t, DesiredRef *desired, size_t n, const ResourceSyncOps *ops,
                        void *userdata) {
        _cleanup_free_ Resource **have = NULL;
        size_t n_have, i = 0, j = 0;
        int k, count = 0;

        qsort_safe(desired, n, sizeof(*desired), desired_ref_compare);
        for (size_t x = 1; x < n; x++)
                if (streq(desired[x - 1].key, desired[x].key))
                        return -EINVAL;
        k = resource_table_sorted_live(t, &have, &n_have);
        if (k < 0)
                return k;

        while (i < n || j < n_have) {
                int c = i >= n ? 1 : j >= n_have ? -1 : strcmp(desired[i].key, have[j]->key);

                if (c < 0) {
                        k = ops->add(&desired[i++], userdata);
                        count++;
                } else if (c > 0) {
                        k = ops->remove(have[j++], userdata);
                        count++;
                } else {
                        bool changed =
                                !resource_spec_reconcile_equal(have[j]->spec, desired[i].spec);

                        k = ops->update(have[j++], &desired[i++], changed, userdata);
                        count += changed;
                }
                if (k < 0)
                        return k;
        }
        return count;
}
