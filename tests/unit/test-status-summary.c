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

#define COUNTS(...) (&(StatusCounts){ .n = { __VA_ARGS__ } })

static void test_lines(void **state) {
        check(COUNTS([RESOURCE_STATE_IN_SYNC] = 117, [RESOURCE_STATE_DRIFTED] = 2,
                     [RESOURCE_STATE_ERROR] = 1),
              "120 resources: 117 in sync, 2 drifted, 1 error");
        check(&(StatusCounts){}, "0 resources");
        check(COUNTS([RESOURCE_STATE_IN_SYNC] = 1), "1 resource: 1 in sync");
        /* Order is fixed whatever the counts; plural only changes "error". */
        check(COUNTS([RESOURCE_STATE_ORPHANED] = 1, [RESOURCE_STATE_ERROR] = 2,
                     [RESOURCE_STATE_RETRYING] = 3, [RESOURCE_STATE_PENDING] = 4,
                     [RESOURCE_STATE_CHANGING] = 5, [RESOURCE_STATE_DRIFTED] = 6,
                     [RESOURCE_STATE_IN_SYNC] = 7),
              "28 resources: 7 in sync, 6 drifted, 5 changing, 4 pending, 3 retrying, 2 errors, "
              "1 orphaned");
        check(COUNTS([RESOURCE_STATE_PENDING] = 3), "3 resources: 3 pending");
}

/* The names /status uses, in the order of the line, and counts found again by name (the CLI
 * reads /status's summary.states this way). */
static void test_names_and_total(void **state) {
        static const char *const names[] = { "in_sync",  "drifted", "changing", "pending",
                                             "retrying", "error",   "orphaned" };
        StatusCounts c = {};

        assert_int_equal(ELEMENTSOF(names), _RESOURCE_STATE_MAX);
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                ResourceState s = resource_state_from_string(names[i]);

                assert_int_equal(s, (ResourceState) i);
                assert_string_equal(resource_state_to_string(s), names[i]);
                c.n[s] = (unsigned) i + 1;
        }
        assert_int_equal(status_counts_total(&c), 28);
        assert_int_equal(resource_state_from_string("in sync"), _RESOURCE_STATE_INVALID);
        assert_int_equal(resource_state_from_string(NULL), _RESOURCE_STATE_INVALID);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lines),
                cmocka_unit_test(test_names_and_total),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
