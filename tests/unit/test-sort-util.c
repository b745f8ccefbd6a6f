/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "lib/macro.h"
#include "lib/sort-util.h"

static const char *key_at(const void *array, size_t i) {
        return ((const char *const *) array)[i];
}

static void test_found_and_insertion_points(void **state) {
        static const char *const keys[] = { "b", "d", "f", "h" };
        static const struct {
                const char *key;
                size_t index;
                bool found;
        } cases[] = {
                { "a", 0, false }, { "b", 0, true }, { "c", 1, false },  { "d", 1, true },
                { "e", 2, false }, { "f", 2, true }, { "g", 3, false },  { "h", 3, true },
                { "i", 4, false }, { "", 0, false }, { "hh", 4, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                bool found = !cases[i].found;
                assert_int_equal(sorted_find(keys, ELEMENTSOF(keys), key_at, cases[i].key, &found),
                                 cases[i].index);
                assert_int_equal(found, cases[i].found);
        }
}

static void test_empty(void **state) {
        bool found = true;

        assert_int_equal(sorted_find(NULL, 0, key_at, "x", &found), 0);
        assert_false(found);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_found_and_insertion_points),
                cmocka_unit_test(test_empty),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
