/* SPDX-License-Identifier: MIT */

/* reconciler/ratelimit on simulated time: burst then qps, exact waits, halving on throttle
 * (once per congestion event), the floor, the slow recovery schedule, the scaled burst. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/macro.h"
#include "lib/ratelimit.h"

#define S USEC_PER_SEC
#define MS USEC_PER_MSEC
#define T0 (1000 * S) /* the monotonic clock does not start at 0 */

/* How many tokens can be taken at now, right away. */
static unsigned take_all(RateLimit *rl, usec_t now) {
        unsigned n = 0;

        while (ratelimit_take(rl, now) == 0)
                n++;
        return n;
}

static void test_burst_then_qps(void **state) {
        RateLimit rl;
        unsigned n = 0;

        assert_int_equal(ratelimit_init(&rl, 10, 20, T0), 0);
        assert_int_equal(take_all(&rl, T0), 20);
        /* Empty: the next token in exactly 100 ms, and not a microsecond earlier. */
        assert_int_equal(ratelimit_take(&rl, T0), 100 * MS);
        assert_int_equal(ratelimit_take(&rl, T0 + 100 * MS - 1), 1);
        assert_int_equal(ratelimit_take(&rl, T0 + 100 * MS), 0);
        /* Taking as fast as allowed, for 10 s: 10 per second. */
        for (usec_t t = T0 + 100 * MS; t <= T0 + 10 * S + 100 * MS; t += 1 * MS)
                n += ratelimit_take(&rl, t) == 0;
        assert_int_equal(n, 100);
        /* Idle for a minute: full again, never more than the burst. */
        assert_int_equal(take_all(&rl, T0 + 100 * S), 20);
}

/* Following every wait exactly always finds the token: no wake-up for nothing. */
static void test_wait_is_exact(void **state) {
        static const double rates[] = { 0.1, 0.3, 1, 3, 7, 10, 33.3, 1000 };

        for (size_t i = 0; i < ELEMENTSOF(rates); i++) {
                RateLimit rl;
                usec_t now = T0;

                assert_int_equal(ratelimit_init(&rl, rates[i], 1, now), 0);
                for (unsigned k = 0; k < 200; k++) {
                        usec_t wait = ratelimit_take(&rl, now);

                        if (wait == 0)
                                continue;
                        now += wait;
                        assert_int_equal(ratelimit_take(&rl, now), 0);
                }
        }
}

static void test_halve_once_per_event(void **state) {
        RateLimit rl;

        assert_int_equal(ratelimit_init(&rl, 10, 20, T0), 0);
        assert_int_equal(take_all(&rl, T0), 20);
        assert_int_equal(ratelimit_throttled(&rl, T0 + 1 * S, T0), 1);
        assert_true(ratelimit_get_qps(&rl) == 5.0);
        /* The bucket was emptied: the next token at the new rate, 200 ms. */
        assert_int_equal(ratelimit_take(&rl, T0 + 1 * S), 200 * MS);
        /* More 429s for requests that were sent before the decrease: the same event. */
        assert_int_equal(ratelimit_throttled(&rl, T0 + 2 * S, T0), 0);
        assert_int_equal(ratelimit_throttled(&rl, T0 + 2 * S, T0 + 1 * S), 0);
        assert_true(ratelimit_get_qps(&rl) == 5.0);
        /* One sent after it: halves again. */
        assert_int_equal(ratelimit_throttled(&rl, T0 + 3 * S, T0 + 1 * S + 1), 1);
        assert_true(ratelimit_get_qps(&rl) == 2.5);
}

static void test_floor(void **state) {
        RateLimit rl;
        usec_t t = T0;

        assert_int_equal(ratelimit_init(&rl, 10, 5, t), 0);
        for (unsigned i = 0; i < 20; i++) {
                t += 1 * S;
                assert_int_equal(ratelimit_throttled(&rl, t, t - 1), 1);
                assert_true(ratelimit_get_qps(&rl) >= 0.1);
        }
        assert_true(ratelimit_get_qps(&rl) == 0.1);
        /* At the floor one token every 10 s. */
        assert_int_equal(ratelimit_take(&rl, t), 10 * S);
        /* A configured rate below the floor is its own floor. */
        assert_int_equal(ratelimit_init(&rl, 0.05, 1, T0), 0);
        assert_int_equal(ratelimit_throttled(&rl, T0 + 1, T0), 1);
        assert_true(ratelimit_get_qps(&rl) == 0.05);
}

/* After a halving from 10 to 5 qps: +1 qps (10 % of 10) per 10 s without throttling, up to 10. */
static void test_recovery_schedule(void **state) {
        static const struct {
                usec_t after;
                double qps;
        } steps[] = {
                { 0, 5 },      { 9999 * MS, 5 }, { 10 * S, 6 },  { 19 * S, 6 },  { 20 * S, 7 },
                { 30 * S, 8 }, { 45 * S, 9 },    { 50 * S, 10 }, { 60 * S, 10 }, { 600 * S, 10 },
        };
        RateLimit rl;
        usec_t t1 = T0 + 1 * S;

        assert_int_equal(ratelimit_init(&rl, 10, 20, T0), 0);
        assert_int_equal(ratelimit_throttled(&rl, t1, T0), 1);
        for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
                (void) ratelimit_wait(&rl, t1 + steps[i].after);
                assert_true(ratelimit_get_qps(&rl) == steps[i].qps);
        }
        /* A throttle during recovery restarts it from half the current rate. */
        assert_int_equal(ratelimit_init(&rl, 10, 20, T0), 0);
        assert_int_equal(ratelimit_throttled(&rl, t1, T0), 1);
        (void) ratelimit_wait(&rl, t1 + 30 * S); /* 8 qps */
        assert_int_equal(ratelimit_throttled(&rl, t1 + 35 * S, t1 + 31 * S), 1);
        assert_true(ratelimit_get_qps(&rl) == 4);
        (void) ratelimit_wait(&rl, t1 + 44 * S);
        assert_true(ratelimit_get_qps(&rl) == 4);
        (void) ratelimit_wait(&rl, t1 + 45 * S);
        assert_true(ratelimit_get_qps(&rl) == 5);
}

/* While slowed down the burst shrinks with the rate: 5 of 10 qps → 10 of 20 tokens. */
static void test_burst_scales(void **state) {
        RateLimit rl;

        assert_int_equal(ratelimit_init(&rl, 10, 20, T0), 0);
        assert_int_equal(ratelimit_throttled(&rl, T0, T0), 1);
        assert_int_equal(take_all(&rl, T0 + 9 * S), 10);
}

static void test_invalid(void **state) {
        RateLimit rl;

        assert_int_equal(ratelimit_init(&rl, 0, 1, T0), -EINVAL);
        assert_int_equal(ratelimit_init(&rl, -1, 1, T0), -EINVAL);
        assert_int_equal(ratelimit_init(&rl, 0.0 / 0.0, 1, T0), -EINVAL);
        assert_int_equal(ratelimit_init(&rl, 2e6, 1, T0), -EINVAL);
        assert_int_equal(ratelimit_init(&rl, 1, 0, T0), -EINVAL);
        assert_int_equal(ratelimit_init(&rl, 0.0001, 1, T0),
                         0); /* rounds up to the smallest rate */
        assert_true(ratelimit_get_qps(&rl) > 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_burst_then_qps),
                cmocka_unit_test(test_wait_is_exact),
                cmocka_unit_test(test_halve_once_per_event),
                cmocka_unit_test(test_floor),
                cmocka_unit_test(test_recovery_schedule),
                cmocka_unit_test(test_burst_scales),
                cmocka_unit_test(test_invalid),
        };

        return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
