/* SPDX-License-Identifier: MIT */

/* lib/hashmap against a plain array as the reference: many keys, growth, removals in random
 * order (backward-shift deletion must keep every probe run intact), iteration. */

#include <setjmp.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/hashmap.h"
#include "lib/rng.h"

#define N_KEYS 20000

static void test_put_get_remove(void **state) {
        _cleanup_(hashmap_freep) Hashmap *h = hashmap_new();
        int a = 1, b = 2;

        assert_non_null(h);
        assert_int_equal(hashmap_size(h), 0);
        assert_null(hashmap_get(h, "a"));
        assert_int_equal(hashmap_put(h, "a", &a), 1);
        assert_int_equal(hashmap_put(h, "b", &b), 1);
        assert_int_equal(hashmap_put(h, "a", &b), -EEXIST);
        assert_ptr_equal(hashmap_get(h, "a"), &a); /* the failed put changed nothing */
        assert_ptr_equal(hashmap_get(h, "b"), &b);
        assert_int_equal(hashmap_size(h), 2);
        assert_ptr_equal(hashmap_remove(h, "a"), &a);
        assert_null(hashmap_remove(h, "a"));
        assert_null(hashmap_get(h, "a"));
        assert_ptr_equal(hashmap_get(h, "b"), &b);
        assert_int_equal(hashmap_size(h), 1);
        assert_null(hashmap_free(NULL));
}

/* The map compares keys by content: a lookup with another buffer holding the same string hits. */
static void test_keys_by_content(void **state) {
        _cleanup_(hashmap_freep) Hashmap *h = hashmap_new();
        char k1[] = "aws/prod/orders", k2[] = "aws/prod/orders";
        int v = 7;

        assert_int_equal(hashmap_put(h, k1, &v), 1);
        assert_ptr_equal(hashmap_get(h, k2), &v);
        assert_int_equal(hashmap_put(h, k2, &v), -EEXIST);
        assert_null(hashmap_get(h, "aws/prod/order"));
        assert_null(hashmap_get(h, ""));
}

static void test_many_keys_random_removal(void **state) {
        _cleanup_(hashmap_freep) Hashmap *h = hashmap_new();
        static char keys[N_KEYS][16];
        static bool present[N_KEYS];
        unsigned order[N_KEYS];
        Rng rng;

        rng_seed(&rng, 42);
        for (unsigned i = 0; i < N_KEYS; i++) {
                snprintf(keys[i], sizeof(keys[i]), "r%u", i);
                assert_int_equal(hashmap_put(h, keys[i], &present[i]), 1);
                present[i] = true;
                order[i] = i;
        }
        assert_int_equal(hashmap_size(h), N_KEYS);
        /* Shuffle (Fisher–Yates), remove two thirds in that order, checking everything now
         * and then. */
        for (unsigned i = N_KEYS - 1; i > 0; i--) {
                unsigned j = (unsigned) rng_uniform(&rng, i), t = order[i];
                order[i] = order[j];
                order[j] = t;
        }
        for (unsigned n = 0; n < N_KEYS * 2 / 3; n++) {
                unsigned k = order[n];

                assert_ptr_equal(hashmap_remove(h, keys[k]), &present[k]);
                present[k] = false;
                if (n % 2000 == 0)
                        for (unsigned i = 0; i < N_KEYS; i++)
                                assert_ptr_equal(hashmap_get(h, keys[i]),
                                                 present[i] ? &present[i] : NULL);
        }
        for (unsigned i = 0; i < N_KEYS; i++)
                assert_ptr_equal(hashmap_get(h, keys[i]), present[i] ? &present[i] : NULL);
        assert_int_equal(hashmap_size(h), N_KEYS - N_KEYS * 2 / 3);
        /* Put the removed ones back: their slots are usable again. */
        for (unsigned n = 0; n < N_KEYS * 2 / 3; n++)
                assert_int_equal(hashmap_put(h, keys[order[n]], &present[order[n]]), 1);
        assert_int_equal(hashmap_size(h), N_KEYS);
}

static void test_iterate(void **state) {
        _cleanup_(hashmap_freep) Hashmap *h = hashmap_new();
        static char keys[100][8];
        unsigned seen[100] = {}, n = 0;
        const char *k;
        void *v;
        size_t it = 0;

        for (unsigned i = 0; i < 100; i++) {
                snprintf(keys[i], sizeof(keys[i]), "%u", i);
                assert_int_equal(hashmap_put(h, keys[i], &seen[i]), 1);
        }
        while (hashmap_iterate(h, &it, &k, &v)) {
                unsigned i = (unsigned) atoi(k);

                assert_ptr_equal(v, &seen[i]);
                seen[i]++;
                n++;
        }
        assert_int_equal(n, 100);
        for (unsigned i = 0; i < 100; i++)
                assert_int_equal(seen[i], 1);
        it = 0;
        assert_false(hashmap_iterate(NULL, &it, &k, &v));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_put_get_remove),
                cmocka_unit_test(test_keys_by_content),
                cmocka_unit_test(test_many_keys_random_removal),
                cmocka_unit_test(test_iterate),
        };

        return cmocka_run_group_tests_name("hashmap", tests, NULL, NULL);
}
