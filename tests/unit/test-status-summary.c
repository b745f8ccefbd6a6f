/* SPDX-License-Identifier: MIT */

/* The STATUS= line: total first, then the non-zero states in their fixed order. */

#include <setjmp.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/macro.h"
#include "reconciler/core/status-summary.h"

static void check(const StatusCounts *c, const char *expected) {
        _cleanup_free_ char *line = status_line_format(c);

        assert_non_null(line);
        assert_string_equal(line, expected);
}

static void test_lines(void **state) {
        check(&(StatusCounts){ .in_sync = 117, .drifted = 2, .error = 1 },
              "120 resources: 117 in sync, 2 drifted, 1 error");
        check(&(StatusCounts){}, "0 resources");
        check(&(StatusCounts){ .in_sync = 1 }, "1 resource: 1 in sync");
        /* Order is fixed whatever the counts; plural only changes "error". */
        check(&(StatusCounts){ .orphaned = 1, .error = 2, .retrying = 3, .pending = 4,
                               .changing = 5, .drifted = 6, .in_sync = 7 },
              "28 resources: 7 in sync, 6 drifted, 5 changing, 4 pending, 3 retrying, 2 errors, "
              "1 orphaned");
        check(&(StatusCounts){ .pending = 3 }, "3 resources: 3 pending");
}

static void test_field_by_name(void **state) {
        StatusCounts c = {};

        for (size_t i = 0; i < STATUS_STATES_MAX; i++) {
                unsigned *f = status_counts_field(&c, status_state_names[i]);
                assert_non_null(f);
                *f = (unsigned) i + 1;
        }
        assert_int_equal(c.in_sync, 1);
        assert_int_equal(c.drifted, 2);
        assert_int_equal(c.changing, 3);
        assert_int_equal(c.pending, 4);
        assert_int_equal(c.retrying, 5);
        assert_int_equal(c.error, 6);
        assert_int_equal(c.orphaned, 7);
        assert_null(status_counts_field(&c, "in sync"));
        assert_null(status_counts_field(&c, NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lines),
                cmocka_unit_test(test_field_by_name),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
