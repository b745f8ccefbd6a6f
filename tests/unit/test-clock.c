/* SPDX-License-Identifier: MIT */

/* lib/clock's fake clock: timers fire in time order, each seeing its own time; a handler may
 * re-arm; a handler that re-arms for "now" forever is stopped with -ELOOP. The real clock: a
 * timer due already does not wait for the kernel. And lib/rng. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/clock.h"
#include "lib/rng.h"

typedef struct Log {
        usec_t at[16];
        int who[16];
        unsigned n;
        unsigned rearm; /* re-arms left for timer 1, 10 s apart */
} Log;

static Log log_;

static int on_timer(ClockTimer *t, usec_t now, void *userdata) {
        int who = (int) (intptr_t) userdata;

        assert_true(log_.n < 16);
        log_.at[log_.n] = now;
        log_.who[log_.n++] = who;
        if (who == 1 && log_.rearm > 0) {
                log_.rearm--;
                assert_int_equal(clock_timer_arm(t, now + 10 * USEC_PER_SEC), 0);
        }
        return 0;
}

static int on_timer_forever(ClockTimer *t, usec_t now, void *userdata) {
        return clock_timer_arm(t, now);
}

static void test_fake_order(void **state) {
        Clock *c = NULL;
        ClockTimer *t1 = NULL, *t2 = NULL, *t3 = NULL;

        log_ = (Log){ .rearm = 2 };
        assert_int_equal(clock_new_fake(100, &c), 0);
        assert_int_equal(clock_now(c), 100);
        assert_int_equal(clock_timer_new(c, on_timer, (void *) 1, &t1), 0);
        assert_int_equal(clock_timer_new(c, on_timer, (void *) 2, &t2), 0);
        assert_int_equal(clock_timer_new(c, on_timer, (void *) 3, &t3), 0);
        assert_int_equal(clock_fake_next(c), USEC_INFINITY);
        assert_int_equal(clock_timer_arm(t2, 15 * USEC_PER_SEC), 0);
        assert_int_equal(clock_timer_arm(t1, 5 * USEC_PER_SEC), 0);
        assert_int_equal(clock_timer_arm(t3, 50 * USEC_PER_SEC), 0);
        assert_int_equal(clock_timer_get(t1), 5 * USEC_PER_SEC);
        assert_int_equal(clock_fake_next(c), 5 * USEC_PER_SEC);
        assert_int_equal(clock_timer_disarm(t3), 0);
        assert_int_equal(clock_timer_get(t3), USEC_INFINITY);
        /* t1 at 5 s, t2 and t1 (re-armed for 15 s after t2 was armed for 15 s) at 15 s, t1 at 25 s. */
        assert_int_equal(clock_fake_advance(c, 30 * USEC_PER_SEC - 100), 4);
        assert_int_equal(clock_now(c), 30 * USEC_PER_SEC);
        assert_int_equal(log_.n, 4);
        assert_int_equal(log_.who[0], 1);
        assert_int_equal(log_.at[0], 5 * USEC_PER_SEC);
        assert_int_equal(log_.who[1], 2);
        assert_int_equal(log_.at[1], 15 * USEC_PER_SEC);
        assert_int_equal(log_.who[2], 1);
        assert_int_equal(log_.at[2], 15 * USEC_PER_SEC);
        assert_int_equal(log_.who[3], 1);
        assert_int_equal(log_.at[3], 25 * USEC_PER_SEC);
        assert_int_equal(clock_fake_advance(c, USEC_PER_HOUR), 0);
        clock_timer_free(t1);
        clock_timer_free(t3);
        clock_timer_free(t2);
        clock_free(c);
}

static void test_fake_loop_guard(void **state) {
        Clock *c = NULL;
        ClockTimer *t = NULL;

        assert_int_equal(clock_new_fake(0, &c), 0);
        assert_int_equal(clock_timer_new(c, on_timer_forever, NULL, &t), 0);
        assert_int_equal(clock_timer_arm(t, 0), 0);
        assert_int_equal(clock_fake_advance(c, 0), -ELOOP);
        clock_timer_free(t);
        clock_free(c);
}

/* A timer armed for now (a work queue with a free slot) is ready at once: the loop needs no
 * wait, so no timerfd is programmed for it (sd_event_prepare() > 0 means "dispatch without
 * waiting"); one armed for later waits, and re-arming it for now, or disarming it, holds. */
static void test_real_due_now(void **state) {
        sd_event *e = NULL;
        Clock *c = NULL;
        ClockTimer *t = NULL;

        log_ = (Log){};
        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(clock_new_event(e, &c), 0);
        assert_int_equal(clock_timer_new(c, on_timer, (void *) (intptr_t) 7, &t), 0);

        assert_int_equal(clock_timer_arm(t, clock_now(c) + 3600 * USEC_PER_SEC), 0);
        assert_int_equal(sd_event_prepare(e), 0); /* waits */
        assert_int_equal(sd_event_wait(e, 0), 0);
        assert_int_equal(clock_timer_arm(t, clock_now(c)), 0);
        assert_true(sd_event_prepare(e) > 0); /* ready without waiting */
        assert_true(sd_event_dispatch(e) > 0);
        assert_int_equal(log_.n, 1);
        assert_int_equal(log_.who[0], 7);
        assert_int_equal(clock_timer_get(t), USEC_INFINITY);

        assert_int_equal(clock_timer_arm(t, 0), 0); /* the past */
        assert_int_equal(clock_timer_disarm(t), 0);
        assert_int_equal(sd_event_run(e, 0), 0); /* nothing fires */
        assert_int_equal(log_.n, 1);

        clock_timer_free(t);
        clock_free(c);
        sd_event_unref(e);
        (void) state;
}

static void test_rng(void **state) {
        Rng a, b;
        unsigned hist[10] = {};

        rng_seed(&a, 99);
        rng_seed(&b, 99);
        for (unsigned i = 0; i < 100; i++)
                assert_int_equal(rng_next(&a), rng_next(&b));
        for (unsigned i = 0; i < 100000; i++) {
                uint64_t x = rng_uniform(&a, 9);
                assert_true(x <= 9);
                hist[x]++;
        }
        for (unsigned i = 0; i < 10; i++)
                assert_true(hist[i] > 9000 && hist[i] < 11000);
        assert_int_equal(rng_uniform(&a, 0), 0);
        assert_int_equal(rng_seed_random(&b), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fake_order),
                cmocka_unit_test(test_fake_loop_guard),
                cmocka_unit_test(test_real_due_now),
                cmocka_unit_test(test_rng),
        };

        return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
