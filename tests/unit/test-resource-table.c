/* SPDX-License-Identifier: MIT */

/* The sorted diff of the desired state against the runtime table
 * (reconciler/daemon/resource-table.h): add / update(changed?) / remove per identity, in key order;
 * unchanged resources keep their runtime object; a resource marked removed counts as absent;
 * what counts as a change of a document. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/macro.h"
#include "reconciler/desired/desired.h"
#include "reconciler/daemon/resource-table.h"

typedef struct Log {
        char lines[64][96];
        size_t n;
        ResourceTable *table;
} Log;

static int op_add(const DesiredRef *d, void *userdata) {
        Log *l = userdata;
        Resource *r = resource_table_get(l->table, d->key);

        if (r) {
                /* Only a resource marked removed may still be in the table. */
                assert_true(r->removed);
                r->removed = false;
        } else {
                r = resource_new(d->key, d->spec);
                assert_non_null(r);
                assert_ptr_equal(r->spec, d->spec); /* shared with the desired set, not copied */
                assert_int_equal(resource_table_add(l->table, r), 0);
        }
        snprintf(l->lines[l->n++], 96, "add %s", d->key);
        return 0;
}

static int op_update(Resource *r, const DesiredRef *d, bool changed, void *userdata) {
        Log *l = userdata;

        assert_string_equal(r->key, d->key);
        assert_int_equal(resource_set_spec(r, d->spec), 0);
        assert_ptr_equal(r->spec, d->spec);
        snprintf(l->lines[l->n++], 96, "%s %s", changed ? "changed" : "same", d->key);
        return 0;
}

static int op_remove(Resource *r, void *userdata) {
        Log *l = userdata;

        snprintf(l->lines[l->n++], 96, "remove %s", r->key);
        resource_table_unlink(l->table, r);
        resource_free(r);
        return 0;
}

static const ResourceSyncOps ops = { .add = op_add, .update = op_update, .remove = op_remove };

static const char *docf(char *buf, size_t size, const char *name, int retries, const char *extra) {
        snprintf(buf, size,
                 "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: %s}\n"
                 "spec:\n  provider: aws\n  function: %s\n  maxRetryAttempts: %d\n%s",
                 name, name, retries, extra ?: "");
        return buf;
}

/* Loads one file of documents and syncs the table to it; returns the sync's result. */
static int sync_to(DesiredSet *s, ResourceTable *t, Log *l, const char *yaml) {
        DesiredRef refs[32];
        DesiredIterator it = {};
        const ResourceSpec *spec;
        size_t n = 0;
        int k;

        assert_int_equal(desired_set_load_data(s, "d.yaml", yaml, strlen(yaml)), 1);
        while ((spec = desired_set_next(s, &it))) {
                char *key;
                assert_int_equal(resource_spec_identity(spec, &key), 0);
                refs[n++] = (DesiredRef){ .key = key, .spec = spec };
        }
        l->n = 0;
        k = resource_table_sync(t, refs, n, &ops, l);
        for (size_t i = 0; i < n; i++)
                free((char *) refs[i].key);
        return k;
}

static void test_sorted_diff(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        ResourceTable t;
        Log l = { .table = &t };
        char a[512], b[512], c[512], y[2048];
        Resource *kept;

        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(resource_table_init(&t), 0);

        /* Documents out of order in the file: calls come in key order. */
        snprintf(y, sizeof(y), "%s---\n%s", docf(b, sizeof(b), "bb", 1, NULL),
                 docf(a, sizeof(a), "aa", 1, NULL));
        assert_int_equal(sync_to(s, &t, &l, y), 2);
        assert_int_equal(l.n, 2);
        assert_string_equal(l.lines[0], "add aws/-/aa/$LATEST");
        assert_string_equal(l.lines[1], "add aws/-/bb/$LATEST");
        kept = resource_table_get(&t, "aws/-/aa/$LATEST");
        assert_non_null(kept);
        kept->last_observed_usec = 42; /* runtime state that must survive */

        /* aa unchanged, bb changed, cc added. */
        snprintf(y, sizeof(y), "%s---\n%s---\n%s", docf(a, sizeof(a), "aa", 1, NULL),
                 docf(b, sizeof(b), "bb", 2, NULL), docf(c, sizeof(c), "cc", 0, NULL));
        assert_int_equal(sync_to(s, &t, &l, y), 2);
        assert_int_equal(l.n, 3);
        assert_string_equal(l.lines[0], "same aws/-/aa/$LATEST");
        assert_string_equal(l.lines[1], "changed aws/-/bb/$LATEST");
        assert_string_equal(l.lines[2], "add aws/-/cc/$LATEST");
        assert_ptr_equal(resource_table_get(&t, "aws/-/aa/$LATEST"), kept);
        assert_int_equal(kept->last_observed_usec, 42);

        /* bb removed; aa's labels and resyncInterval differ, which needs no run. */
        snprintf(y, sizeof(y), "%s---\n%s", docf(a, sizeof(a), "aa", 1, "  resyncInterval: 1m\n"),
                 docf(c, sizeof(c), "cc", 0, NULL));
        assert_int_equal(sync_to(s, &t, &l, y), 1);
        assert_int_equal(l.n, 3);
        assert_string_equal(l.lines[0], "same aws/-/aa/$LATEST");
        assert_string_equal(l.lines[1], "remove aws/-/bb/$LATEST");
        assert_string_equal(l.lines[2], "same aws/-/cc/$LATEST");
        assert_int_equal(resource_table_size(&t), 2);

        /* management, ignore and an added field are changes. */
        snprintf(y, sizeof(y), "%s---\n%s", docf(a, sizeof(a), "aa", 1, "  management: observe\n"),
                 docf(c, sizeof(c), "cc", 0, "  maxEventAgeSeconds: 60\n"));
        assert_int_equal(sync_to(s, &t, &l, y), 2);
        assert_string_equal(l.lines[0], "changed aws/-/aa/$LATEST");
        assert_string_equal(l.lines[1], "changed aws/-/cc/$LATEST");

        /* A resource marked removed (its DELETE in flight) counts as absent: it is added again. */
        resource_table_get(&t, "aws/-/cc/$LATEST")->removed = true;
        assert_int_equal(sync_to(s, &t, &l, y), 1);
        assert_int_equal(l.n, 2);
        assert_string_equal(l.lines[1], "add aws/-/cc/$LATEST");
        resource_table_done(&t);
}

static void test_duplicates_and_empty(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        ResourceTable t;
        Log l = { .table = &t };
        char a[512];
        DesiredRef refs[2];
        const ResourceSpec *spec;
        DesiredIterator it = {};

        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(resource_table_init(&t), 0);
        docf(a, sizeof(a), "aa", 1, NULL);
        assert_int_equal(desired_set_load_data(s, "d.yaml", a, strlen(a)), 1);
        spec = desired_set_next(s, &it);
        refs[0] = (DesiredRef){ .key = "k", .spec = spec };
        refs[1] = (DesiredRef){ .key = "k", .spec = spec };
        assert_int_equal(resource_table_sync(&t, refs, 2, &ops, &l), -EINVAL);
        assert_int_equal(l.n, 0);
        assert_int_equal(resource_table_sync(&t, refs, 0, &ops, &l), 0);
        assert_int_equal(l.n, 0);
        resource_table_done(&t);
}

static void test_sorted_views(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        ResourceTable t;
        Log l = { .table = &t };
        char a[512], b[512], y[2048];
        _cleanup_free_ Resource **v = NULL;
        size_t n;

        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(resource_table_init(&t), 0);
        /* Names and keys sort differently: "zz" names function "aa-fn". */
        snprintf(y, sizeof(y), "%s---\n%s", docf(a, sizeof(a), "mm", 1, NULL),
                 docf(b, sizeof(b), "aa", 1, NULL));
        assert_int_equal(sync_to(s, &t, &l, y), 2);
        assert_int_equal(resource_table_sorted(&t, resource_compare_by_name, &v, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(v[0]->spec->name, "aa");
        assert_string_equal(v[1]->spec->name, "mm");
        resource_table_done(&t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sorted_diff),
                cmocka_unit_test(test_duplicates_and_empty),
                cmocka_unit_test(test_sorted_views),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
