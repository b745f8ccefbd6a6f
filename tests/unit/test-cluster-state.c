/* SPDX-License-Identifier: MIT */
/* The state store of cluster mode (manager-cluster-state.c): taking a bucket drops that
 * bucket's records from memory and nothing else, and costs what the bucket holds, not a pass
 * over the whole store: at a start with 100,000 records, taking the 1024 buckets one by one
 * used to walk and hash every record, and sort the store again, for each of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "lib/time-util.h"
#include "reconciler/core/cluster-bucket.h"
#include "reconciler/daemon/manager-internal.h"

#define N_RECORDS 100000u
#define ROW                                                                                        \
        "{\"appliedAtUsec\": 1700000000000000, \"created\": true, \"config\": {\"maxRetryAttempts\": 1}}"

static void key_of(unsigned i, char *buf, size_t size) {
        snprintf(buf, size, "aws/aws-prod/fn-%06u/$LATEST", i);
}

/* Every key's bucket, computed once (not part of what is measured). */
static unsigned *buckets_of_keys(void) {
        unsigned *b = calloc(N_RECORDS, sizeof(unsigned));
        char key[64];

        assert_non_null(b);
        for (unsigned i = 0; i < N_RECORDS; i++) {
                key_of(i, key, sizeof(key));
                b[i] = cluster_bucket_of(key);
        }
        return b;
}

#ifndef __SANITIZE_ADDRESS__
/* calloc() failing on demand: the store's out-of-memory path. Not under AddressSanitizer, whose
 * allocator this would go around. */
extern void *__libc_calloc(size_t n, size_t size);
static bool calloc_fails;

void *calloc(size_t n, size_t size) {
        return calloc_fails ? NULL : __libc_calloc(n, size);
}
#endif

/* Loads the records i of [from, to) of order as a read from etcd does. */
static void load_rows(StateStore *st, const unsigned *order, size_t from, size_t to) {
        char key[64];

        for (size_t i = from; i < to; i++) {
                key_of(order[i], key, sizeof(key));
                assert_int_equal(state_store_load_row(st, key, ROW, strlen(ROW), NULL), 0);
        }
}

static void test_forget_bucket_drops_only_it(void **state) {
        StateStore *st;
        char key[64];
        size_t in_7 = 0;

        assert_int_equal(cluster_state_store_new(&st), 0);
        for (unsigned i = 0; i < 5000; i++) {
                key_of(i, key, sizeof(key));
                assert_int_equal(state_store_load_row(st, key, ROW, strlen(ROW), NULL), 0);
                in_7 += cluster_bucket_of(key) == 7;
        }
        assert_true(in_7 > 0);
        /* A record put since (a write of ours, not saved yet) goes with its bucket too. */
        for (unsigned i = 5000; i < 200000; i++) {
                key_of(i, key, sizeof(key));
                if (cluster_bucket_of(key) == 7)
                        break;
        }
        assert_int_equal(state_store_put(st, key, &(AsyncConfig){}, 1, true), 0);
        /* One of the bucket's records removed before (a resource forgotten): out of its list;
         * one of another bucket removed too. */
        for (unsigned i = 0, done = 0; i < 5000 && done != 3; i++) {
                char k[64];
                unsigned b;

                key_of(i, k, sizeof(k));
                b = cluster_bucket_of(k);
                if ((b == 7 && !(done & 1)) || (b != 7 && !(done & 2))) {
                        assert_int_equal(state_store_remove(st, k), 1);
                        in_7 -= b == 7;
                        done |= b == 7 ? 1 : 2;
                }
        }
        assert_int_equal(state_store_pending(st), 3);
        state_store_forget_group(st, 7);
        assert_int_equal(state_store_size(st), 5000 - in_7 - 2);
        assert_null(state_store_get(st, key));
        for (size_t i = 0; i < state_store_size(st); i++)
                assert_int_not_equal(cluster_bucket_of(state_store_get_nth(st, i)->key), 7);
        /* Neither the record put nor the removal of the bucket is a change any more (they were
         * made under an earlier claim of it, and its records are read again); the other
         * bucket's removal still is. */
        assert_int_equal(state_store_pending(st), 1);
        /* Forgetting an empty bucket, or one twice, is nothing. */
        state_store_forget_group(st, 7);
        assert_int_equal(state_store_size(st), 5000 - in_7 - 2);
        assert_int_equal(state_store_pending(st), 1);
        state_store_free(st);
}

#ifndef __SANITIZE_ADDRESS__
/* The bucket's removals are dropped even when there is no memory for the list of them: one
 * left pending would be saved under the next claim of the bucket, over another member's
 * record. */
static void test_forget_bucket_drops_removals_without_memory(void **state) {
        StateStore *st;
        char key[64];
        unsigned removed_7 = 0, removed_other = 0;

        assert_int_equal(cluster_state_store_new(&st), 0);
        for (unsigned i = 0; i < 5000; i++) {
                key_of(i, key, sizeof(key));
                assert_int_equal(state_store_load_row(st, key, ROW, strlen(ROW), NULL), 0);
        }
        for (unsigned i = 0; i < 5000 && (removed_7 < 2 || removed_other < 1); i++) {
                bool in_7;

                key_of(i, key, sizeof(key));
                in_7 = cluster_bucket_of(key) == 7;
                if (in_7 ? removed_7 >= 2 : removed_other >= 1)
                        continue;
                assert_int_equal(state_store_remove(st, key), 1);
                removed_7 += in_7;
                removed_other += !in_7;
        }
        assert_int_equal(removed_7, 2);
        assert_int_equal(state_store_pending(st), 3);
        calloc_fails = true;
        state_store_forget_group(st, 7);
        calloc_fails = false;
        assert_int_equal(state_store_pending(st), 1);
        state_store_free(st);
}
#endif

/* A start: 100,000 records in the store, then each of the 1024 buckets taken (its records
 * forgotten and read again). The forgetting costs what the buckets hold: all of it together
 * less than reading the records once (it was about 100 times that). */
static void test_take_every_bucket(void **state) {
        _cleanup_free_ unsigned *bucket = buckets_of_keys(), *order = NULL;
        size_t start[CLUSTER_BUCKETS + 1] = {};
        usec_t t0, load = 0, forget = 0, total;
        StateStore *st;

        /* The keys by bucket, as each bucket's read from etcd returns them. */
        for (unsigned i = 0; i < N_RECORDS; i++)
                start[bucket[i] + 1]++;
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++)
                start[b + 1] += start[b];
        order = calloc(N_RECORDS, sizeof(unsigned));
        assert_non_null(order);
        {
                size_t fill[CLUSTER_BUCKETS];
                memcpy(fill, start, sizeof(fill));
                for (unsigned i = 0; i < N_RECORDS; i++)
                        order[fill[bucket[i]]++] = i;
        }
        assert_int_equal(cluster_state_store_new(&st), 0);
        t0 = now(CLOCK_MONOTONIC);
        load_rows(st, order, 0, N_RECORDS);
        load = now(CLOCK_MONOTONIC) - t0;
        assert_int_equal(state_store_size(st), N_RECORDS);
        t0 = now(CLOCK_MONOTONIC);
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++) {
                usec_t f = now(CLOCK_MONOTONIC);
                state_store_forget_group(st, b);
                forget += now(CLOCK_MONOTONIC) - f;
                assert_int_equal(state_store_size(st), N_RECORDS - (start[b + 1] - start[b]));
                load_rows(st, order, start[b], start[b + 1]);
        }
        total = now(CLOCK_MONOTONIC) - t0;
        assert_int_equal(state_store_size(st), N_RECORDS);
        printf("cluster state: %u records; reading them once %.3f s; taking the %u buckets "
               "one by one %.3f s, of which forgetting %.3f s\n",
               N_RECORDS, (double) load / USEC_PER_SEC, CLUSTER_BUCKETS,
               (double) total / USEC_PER_SEC, (double) forget / USEC_PER_SEC);
        assert_true(forget < load);
        state_store_free(st);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_forget_bucket_drops_only_it),
#ifndef __SANITIZE_ADDRESS__
                cmocka_unit_test(test_forget_bucket_drops_removals_without_memory),
#endif
                cmocka_unit_test(test_take_every_bucket),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
