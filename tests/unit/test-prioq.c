/* SPDX-License-Identifier: MIT */

/* lib/prioq: pops come out sorted; the index slots follow the elements; removal and reshuffle
 * by index keep the heap a heap. */

#include <setjmp.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/prioq.h"
#include "lib/rng.h"

#define N 5000

typedef struct Elem {
        uint64_t key;
        unsigned idx;
} Elem;

static int elem_compare(const void *a, const void *b) {
        const Elem *x = a, *y = b;

        return x->key < y->key ? -1 : x->key > y->key;
}

static Elem elems[N];

static void fill(Prioq *q, Rng *rng) {
        for (unsigned i = 0; i < N; i++) {
                elems[i] = (Elem){ .key = rng_uniform(rng, 1000), .idx = PRIOQ_IDX_NULL };
                assert_int_equal(prioq_put(q, &elems[i], &elems[i].idx), 1);
        }
        assert_int_equal(prioq_size(q), N);
}

/* Pops everything, checking the order; returns how many came out. */
static unsigned drain_sorted(Prioq *q) {
        uint64_t last = 0;
        unsigned n = 0;
        Elem *e;

        while ((e = prioq_pop(q))) {
                assert_true(e->key >= last);
                assert_int_equal(e->idx, PRIOQ_IDX_NULL);
                last = e->key;
                n++;
        }
        assert_int_equal(prioq_size(q), 0);
        return n;
}

static void test_sorted(void **state) {
        _cleanup_(prioq_freep) Prioq *q = prioq_new(elem_compare);
        uint64_t min = UINT64_MAX;
        Rng rng;

        rng_seed(&rng, 1);
        assert_null(prioq_peek(q));
        assert_null(prioq_pop(q));
        fill(q, &rng);
        for (unsigned i = 0; i < N; i++)
                min = MIN(min, elems[i].key);
        assert_int_equal(((Elem *) prioq_peek(q))->key, min);
        assert_int_equal(prioq_size(q), N); /* peek takes nothing */
        assert_int_equal(drain_sorted(q), N);
}

static void test_index_tracks(void **state) {
        _cleanup_(prioq_freep) Prioq *q = prioq_new(elem_compare);
        Rng rng;
        unsigned removed = 0;

        rng_seed(&rng, 2);
        fill(q, &rng);
        /* Every third element out by its index. */
        for (unsigned i = 0; i < N; i += 3) {
                assert_true(elems[i].idx < N);
                assert_int_equal(prioq_remove(q, &elems[i], &elems[i].idx), 1);
                assert_int_equal(elems[i].idx, PRIOQ_IDX_NULL);
                assert_int_equal(prioq_remove(q, &elems[i], &elems[i].idx), 0);
                removed++;
        }
        /* Change the keys of every fifth remaining element, then reshuffle it. */
        for (unsigned i = 1; i < N; i += 5) {
                if (elems[i].idx == PRIOQ_IDX_NULL)
                        continue;
                elems[i].key = rng_uniform(&rng, 1000);
                assert_int_equal(prioq_reshuffle(q, &elems[i], &elems[i].idx), 1);
        }
        assert_int_equal(drain_sorted(q), N - removed);
}

static void test_remove_without_index(void **state) {
        _cleanup_(prioq_freep) Prioq *q = prioq_new(elem_compare);
        Elem a = { .key = 3 }, b = { .key = 1 }, c = { .key = 2 }, d = { .key = 0 };

        assert_int_equal(prioq_put(q, &a, NULL), 1);
        assert_int_equal(prioq_put(q, &b, NULL), 1);
        assert_int_equal(prioq_put(q, &c, NULL), 1);
        assert_int_equal(prioq_remove(q, &b, NULL), 1);
        assert_int_equal(prioq_remove(q, &d, NULL), 0);
        assert_ptr_equal(prioq_pop(q), &c);
        assert_ptr_equal(prioq_pop(q), &a);
        assert_null(prioq_pop(q));
        assert_null(prioq_free(NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sorted),
                cmocka_unit_test(test_index_tracks),
                cmocka_unit_test(test_remove_without_index),
        };

        return cmocka_run_group_tests_name("prioq", tests, NULL, NULL);
}
