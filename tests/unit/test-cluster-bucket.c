/* SPDX-License-Identifier: MIT */
/* Buckets and rendezvous owners: stable values (a protocol between members), an even spread,
 * and that a join moves about 1/N of the buckets, all to the newcomer, and a leave only the
 * leaver's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "lib/macro.h"
#include "reconciler/core/cluster-bucket.h"

static void test_stable(void **state) {
        /* Pinned: a change here splits a running cluster between two versions. */
        assert_int_equal(cluster_bucket_of("aws/aws-prod/orders/$LATEST"),
                         cluster_bucket_of("aws/aws-prod/orders/$LATEST"));
        assert_true(cluster_bucket_of("aws/aws-prod/orders/$LATEST") < CLUSTER_BUCKETS);
        assert_int_equal(cluster_bucket_score("host-a", 7), cluster_bucket_score("host-a", 7));
        assert_true(cluster_bucket_score("host-a", 7) != cluster_bucket_score("host-a", 8));
        assert_true(cluster_bucket_score("a1", 0) != cluster_bucket_score("a", 1));
        assert_int_equal(cluster_bucket_of("aws/aws-prod/orders/$LATEST"), 939u);
        assert_true(cluster_bucket_score("host-a", 7) == 6103684325608464496ULL);
}

static void test_spread(void **state) {
        unsigned count[CLUSTER_BUCKETS] = {};
        char key[64];

        /* 102,400 identities: 100 per bucket on average; none strays far. */
        for (unsigned i = 0; i < 100 * CLUSTER_BUCKETS; i++) {
                snprintf(key, sizeof(key), "aws/acct/fn-%u/$LATEST", i);
                count[cluster_bucket_of(key)]++;
        }
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++)
                assert_true(count[b] > 50 && count[b] < 150);
}

static void owners(const char *const *m, size_t n, int *ret) {
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++)
                ret[b] = cluster_bucket_owner(m, n, b);
}

static void test_even_split(void **state) {
        const char *const m[] = { "host-a", "host-b", "host-c" };
        int o[CLUSTER_BUCKETS];
        unsigned per[3] = {};

        owners(m, 3, o);
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++)
                per[o[b]]++;
        for (size_t i = 0; i < 3; i++)
                assert_true(per[i] > 1024 / 3 - 60 && per[i] < 1024 / 3 + 60);
        assert_int_equal(cluster_bucket_owner(NULL, 0, 5), -ENOENT);
}

static void test_join_moves_a_quarter(void **state) {
        const char *const m[] = { "host-a", "host-b", "host-c", "host-d" };
        int before[CLUSTER_BUCKETS], after[CLUSTER_BUCKETS];
        unsigned moved = 0;

        owners(m, 3, before);
        owners(m, 4, after);
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++)
                if (before[b] != after[b]) {
                        assert_int_equal(after[b], 3); /* only to the newcomer */
                        moved++;
                }
        fprintf(stderr, "a 4th member takes %u of %u buckets\n", moved, CLUSTER_BUCKETS);
        assert_true(moved > 1024 / 4 - 60 && moved < 1024 / 4 + 60);
}

static void test_leave_moves_only_the_leavers(void **state) {
        const char *const m[] = { "host-a", "host-b", "host-c" };
        const char *const rest[] = { "host-a", "host-c" };
        int before[CLUSTER_BUCKETS], after[CLUSTER_BUCKETS];

        owners(m, 3, before);
        owners(rest, 2, after);
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++)
                if (before[b] != 1)
                        assert_string_equal(m[before[b]], rest[after[b]]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stable),
                cmocka_unit_test(test_spread),
                cmocka_unit_test(test_even_split),
                cmocka_unit_test(test_join_moves_a_quarter),
                cmocka_unit_test(test_leave_moves_only_the_leavers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
