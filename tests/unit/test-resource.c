/* SPDX-License-Identifier: MIT */

/* The daemon's per-resource state machine (reconciler/daemon/resource.h): the transition table,
 * orphaned being final, a change not interrupting a write, and the string tables of states
 * (reconciler/core/resource-state.h) and events. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/macro.h"
#include "reconciler/daemon/resource.h"

static void test_strings(void **state) {
        for (int s = 0; s < _RESOURCE_STATE_MAX; s++) {
                const char *name = resource_state_to_string(s);

                assert_non_null(name);
                assert_int_equal(resource_state_from_string(name), s);
        }
        for (int e = 0; e < _RESOURCE_EVENT_MAX; e++)
                assert_int_equal(resource_event_from_string(resource_event_to_string(e)), e);
        assert_null(resource_state_to_string(_RESOURCE_STATE_MAX));
        assert_null(resource_state_to_string(_RESOURCE_STATE_INVALID));
        assert_int_equal(resource_state_from_string("in sync"), _RESOURCE_STATE_INVALID);
        assert_int_equal(resource_state_from_string(NULL), _RESOURCE_STATE_INVALID);
        assert_string_equal(resource_state_to_string(RESOURCE_STATE_IN_SYNC), "in_sync");
}

static void test_transitions(void **state) {
        static const struct {
                ResourceState from;
                ResourceEvent ev;
                ResourceState to;
        } table[] = {
                { _RESOURCE_STATE_INVALID, RESOURCE_EVENT_CHANGED, RESOURCE_STATE_PENDING },
                { RESOURCE_STATE_PENDING, RESOURCE_EVENT_IN_SYNC, RESOURCE_STATE_IN_SYNC },
                { RESOURCE_STATE_PENDING, RESOURCE_EVENT_WRITING, RESOURCE_STATE_CHANGING },
                { RESOURCE_STATE_CHANGING, RESOURCE_EVENT_WRITTEN, RESOURCE_STATE_IN_SYNC },
                { RESOURCE_STATE_IN_SYNC, RESOURCE_EVENT_DIFFERS, RESOURCE_STATE_DRIFTED },
                { RESOURCE_STATE_DRIFTED, RESOURCE_EVENT_WRITING, RESOURCE_STATE_CHANGING },
                { RESOURCE_STATE_DRIFTED, RESOURCE_EVENT_IN_SYNC, RESOURCE_STATE_IN_SYNC },
                { RESOURCE_STATE_IN_SYNC, RESOURCE_EVENT_RETRYABLE, RESOURCE_STATE_RETRYING },
                { RESOURCE_STATE_RETRYING, RESOURCE_EVENT_RETRYABLE, RESOURCE_STATE_RETRYING },
                { RESOURCE_STATE_RETRYING, RESOURCE_EVENT_IN_SYNC, RESOURCE_STATE_IN_SYNC },
                { RESOURCE_STATE_RETRYING, RESOURCE_EVENT_PERMANENT, RESOURCE_STATE_ERROR },
                { RESOURCE_STATE_ERROR, RESOURCE_EVENT_CHANGED, RESOURCE_STATE_PENDING },
                { RESOURCE_STATE_IN_SYNC, RESOURCE_EVENT_CHANGED, RESOURCE_STATE_PENDING },
                /* A write in flight finishes before the new document is looked at. */
                { RESOURCE_STATE_CHANGING, RESOURCE_EVENT_CHANGED, RESOURCE_STATE_CHANGING },
                { RESOURCE_STATE_CHANGING, RESOURCE_EVENT_RETRYABLE, RESOURCE_STATE_RETRYING },
                { RESOURCE_STATE_IN_SYNC, RESOURCE_EVENT_REMOVED, RESOURCE_STATE_ORPHANED },
                { RESOURCE_STATE_CHANGING, RESOURCE_EVENT_REMOVED, RESOURCE_STATE_ORPHANED },
                { RESOURCE_STATE_DRIFTED, RESOURCE_EVENT_TAKEN, RESOURCE_STATE_PENDING },
                { RESOURCE_STATE_ERROR, RESOURCE_EVENT_TAKEN, RESOURCE_STATE_PENDING },
                /* An unknown event changes nothing. */
                { RESOURCE_STATE_DRIFTED, _RESOURCE_EVENT_MAX, RESOURCE_STATE_DRIFTED },
                { RESOURCE_STATE_DRIFTED, _RESOURCE_EVENT_INVALID, RESOURCE_STATE_DRIFTED },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                ResourceState got = resource_state_next(table[i].from, table[i].ev);
                if (got != table[i].to)
                        fail_msg("case %zu: %s + %s = %s, want %s", i,
                                 strna(resource_state_to_string(table[i].from)),
                                 strna(resource_event_to_string(table[i].ev)),
                                 strna(resource_state_to_string(got)),
                                 strna(resource_state_to_string(table[i].to)));
        }
}

static void test_orphaned_is_final(void **state) {
        /* Only its document coming back (CHANGED) leaves orphaned. */
        for (int e = 0; e < _RESOURCE_EVENT_MAX; e++)
                assert_int_equal(resource_state_next(RESOURCE_STATE_ORPHANED, e),
                                 e == RESOURCE_EVENT_CHANGED ? RESOURCE_STATE_PENDING
                                                             : RESOURCE_STATE_ORPHANED);
}

static void test_every_state_reachable_and_problems(void **state) {
        bool seen[_RESOURCE_STATE_MAX] = {};

        for (int s = -1; s < _RESOURCE_STATE_MAX; s++)
                for (int e = 0; e < _RESOURCE_EVENT_MAX; e++) {
                        ResourceState n =
                                resource_state_next(s < 0 ? _RESOURCE_STATE_INVALID : s, e);
                        assert_true(n >= 0 && n < _RESOURCE_STATE_MAX);
                        seen[n] = true;
                }
        for (int s = 0; s < _RESOURCE_STATE_MAX; s++)
                assert_true(seen[s]);
        assert_true(resource_state_is_problem(RESOURCE_STATE_DRIFTED));
        assert_true(resource_state_is_problem(RESOURCE_STATE_ERROR));
        assert_true(resource_state_is_problem(RESOURCE_STATE_RETRYING));
        assert_false(resource_state_is_problem(RESOURCE_STATE_IN_SYNC));
        assert_false(resource_state_is_problem(RESOURCE_STATE_PENDING));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_transitions),
                cmocka_unit_test(test_orphaned_is_final),
                cmocka_unit_test(test_every_state_reachable_and_problems),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
