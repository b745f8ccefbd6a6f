/* SPDX-License-Identifier: MIT */
/* The fencing time guard on simulated time: writes only while now + write timeout + margin is
 * before the deadline, none past it until the claims are re-read after a renewal, none
 * without a lease. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/macro.h"
#include "reconciler/daemon/cluster-fence.h"

#define S USEC_PER_SEC
#define MS USEC_PER_MSEC
#define T0 (1000 * S)

static void test_guard(void **state) {
        ClusterFence f;

        cluster_fence_init(&f, 2 * S); /* write timeout 1 s, margin 200 ms */
        assert_false(cluster_fence_allows(&f, T0));
        cluster_fence_renewed(&f, T0);
        assert_int_equal(f.deadline, T0 + 2 * S);
        assert_true(cluster_fence_allows(&f, T0 + 400 * MS));
        assert_true(cluster_fence_allows(&f, T0 + 799 * MS));
        /* 800 ms + 1 s + 200 ms is the deadline itself: too late to start. */
        assert_false(cluster_fence_allows(&f, T0 + 800 * MS));
        assert_false(f.must_reread); /* not past the deadline: only this write waits */
        cluster_fence_renewed(&f, T0 + 400 * MS);
        assert_true(cluster_fence_allows(&f, T0 + 800 * MS));
        assert_int_equal(cluster_fence_remaining(&f, T0 + 2 * S), 400 * MS);
}

static void test_stopped_past_deadline(void **state) {
        ClusterFence f;

        cluster_fence_init(&f, 2 * S);
        cluster_fence_renewed(&f, T0);
        /* SIGSTOP for 4 s: the first check after SIGCONT refuses, and keeps refusing. */
        assert_false(cluster_fence_allows(&f, T0 + 4 * S));
        assert_true(f.must_reread);
        assert_int_equal(cluster_fence_remaining(&f, T0 + 4 * S), 0);
        /* The lease lived on (a renewal after the deadline): still nothing until a re-read. */
        cluster_fence_renewed(&f, T0 + 4 * S + 10 * MS);
        assert_false(cluster_fence_allows(&f, T0 + 4 * S + 20 * MS));
        /* A list that began before that renewal does not count ... */
        cluster_fence_reread(&f, T0 + 4 * S);
        assert_false(cluster_fence_allows(&f, T0 + 4 * S + 30 * MS));
        /* ... one that began after it does. */
        cluster_fence_reread(&f, T0 + 4 * S + 20 * MS);
        assert_true(cluster_fence_allows(&f, T0 + 4 * S + 40 * MS));
}

static void test_late_renewal_without_a_check(void **state) {
        ClusterFence f;

        cluster_fence_init(&f, 2 * S);
        cluster_fence_renewed(&f, T0);
        /* No write was tried while stopped; the keepalive sent after the deadline says so. */
        cluster_fence_renewed(&f, T0 + 3 * S);
        assert_true(f.must_reread);
        assert_false(cluster_fence_allows(&f, T0 + 3 * S + 10 * MS));
}

static void test_lost(void **state) {
        ClusterFence f;

        cluster_fence_init(&f, 10 * S);
        cluster_fence_renewed(&f, T0);
        cluster_fence_lost(&f);
        assert_false(cluster_fence_allows(&f, T0 + S));
        cluster_fence_renewed(&f, T0 + 2 * S); /* a new lease */
        assert_true(cluster_fence_allows(&f, T0 + 2 * S));
        /* An older keepalive's late answer never moves the deadline back. */
        cluster_fence_renewed(&f, T0 + S);
        assert_int_equal(f.deadline, T0 + 12 * S);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_guard),
                cmocka_unit_test(test_stopped_past_deadline),
                cmocka_unit_test(test_late_renewal_without_a_check),
                cmocka_unit_test(test_lost),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
