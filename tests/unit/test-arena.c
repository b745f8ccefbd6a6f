/* SPDX-License-Identifier: MIT */
/* lib/arena: aligned, non-overlapping allocations across chunks, large requests, zeroing,
 * copies, and reuse after arena_done(). */
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/arena.h"

/* Many allocations of mixed sizes (some far larger than a chunk): each is aligned, holds its
 * own bytes after all the others were written, and none overlaps another. */
static void test_many(void **state) {
        Arena a = {};
        unsigned char *p[3000];
        size_t sizes[3000];

        for (size_t i = 0; i < 3000; i++) {
                sizes[i] = i % 100 == 0 ? 40000 + i : i % 37;
                p[i] = arena_alloc(&a, sizes[i]);
                assert_non_null(p[i]);
                assert_int_equal((uintptr_t) p[i] % alignof(max_align_t), 0);
                memset(p[i], (int) (i & 0xff), sizes[i]);
        }
        for (size_t i = 0; i < 3000; i++)
                for (size_t k = 0; k < sizes[i]; k++)
                        assert_int_equal(p[i][k], i & 0xff);
        arena_done(&a);
        assert_null(a.chunks);
        assert_non_null(arena_alloc(&a, 1)); /* usable again */
        arena_done(&a);
        (void) state;
}

static void test_copies(void **state) {
        Arena a = {};
        unsigned char *z;
        char *s;
        int *v, w[3] = { 1, 2, 3 };

        z = arena_alloc0(&a, 100);
        for (size_t i = 0; i < 100; i++)
                assert_int_equal(z[i], 0);
        s = arena_strndup(&a, "abcdef", 3);
        assert_string_equal(s, "abc");
        s = arena_strndup(&a, "", 0);
        assert_string_equal(s, "");
        v = arena_memdup(&a, w, sizeof(w));
        assert_memory_equal(v, w, sizeof(w));
        assert_non_null(arena_alloc(&a, 0));
        arena_done(&a);
        (void) state;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_many),
                cmocka_unit_test(test_copies),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
