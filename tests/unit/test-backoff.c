/* SPDX-License-Identifier: MIT */

/* reconciler/backoff: the bound sequence (table), the jittered delays within it and really
 * spread over it, reset on success, Retry-After, the floor and the Retry-After clamp. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/macro.h"
#include "lib/backoff.h"

#define S USEC_PER_SEC

/* Defaults (base 1 s, cap 5 min): bound(n) = min(300 s, 2^n s). */
static const usec_t default_bounds[] = {
        1 * S,  2 * S,   4 * S,   8 * S,   16 * S,  32 * S,
        64 * S, 128 * S, 256 * S, 300 * S, 300 * S, 300 * S,
};

static void test_bound_sequence(void **state) {
        Backoff b;
        Rng rng;

        rng_seed(&rng, 1);
        backoff_init(&b, NULL);
        for (size_t i = 0; i < ELEMENTSOF(default_bounds); i++) {
                usec_t bound = backoff_bound(&b), d;

                assert_int_equal(bound, default_bounds[i]);
                d = backoff_next(&b, &rng, 0);
                assert_true(d >= BACKOFF_FLOOR && d <= bound);
                assert_int_equal(b.attempt, i + 1);
        }
        /* Stays at the cap, even after very many failures (no overflow). */
        for (unsigned i = 0; i < 1000; i++)
                assert_true(backoff_next(&b, &rng, 0) <= 300 * S);
        assert_int_equal(backoff_bound(&b), 300 * S);
}

/* Many seeds: every delay within [floor, bound(n)], and the draws cover the range (full
 * jitter, not "bound/2 + a bit"): some land in the lowest and some in the highest tenth. */
static void test_full_jitter_range(void **state) {
        for (unsigned n = 0; n < 12; n++) {
                unsigned low = 0, high = 0;
                usec_t bound = default_bounds[n];

                for (uint64_t seed = 0; seed < 2000; seed++) {
                        Backoff b;
                        Rng rng;
                        usec_t d;

                        rng_seed(&rng, seed);
                        backoff_init(&b, NULL);
                        b.attempt = n;
                        d = backoff_next(&b, &rng, 0);
                        assert_true(d >= BACKOFF_FLOOR);
                        assert_true(d <= bound);
                        low += d <= MAX(bound / 10, BACKOFF_FLOOR);
                        high += d >= bound - bound / 10;
                }
                assert_true(low > 50);
                assert_true(high > 50);
        }
}

static void test_custom_config_and_reset(void **state) {
        BackoffConfig c = { .base = 200 * USEC_PER_MSEC, .cap = 1 * S };
        static const usec_t bounds[] = { 200000, 400000, 800000, 1000000, 1000000 };
        Backoff b;
        Rng rng;

        assert_int_equal(backoff_config_validate(&c), 0);
        rng_seed(&rng, 7);
        backoff_init(&b, &c);
        for (size_t i = 0; i < ELEMENTSOF(bounds); i++) {
                assert_int_equal(backoff_bound(&b), bounds[i]);
                assert_true(backoff_next(&b, &rng, 0) <= bounds[i]);
        }
        backoff_reset(&b);
        assert_int_equal(b.attempt, 0);
        assert_int_equal(backoff_bound(&b), 200000);
}

static void test_retry_after(void **state) {
        Backoff b;
        Rng rng;

        rng_seed(&rng, 3);
        backoff_init(&b, NULL);
        /* Above the jittered delay (bound 1 s): the server's value. */
        assert_int_equal(backoff_next(&b, &rng, 30 * S), 30 * S);
        /* Above the cap: still honoured. */
        assert_int_equal(backoff_next(&b, &rng, 20 * USEC_PER_MINUTE), 20 * USEC_PER_MINUTE);
        /* Absurd: clamped to an hour. */
        assert_int_equal(backoff_next(&b, &rng, 1000 * USEC_PER_HOUR), BACKOFF_RETRY_AFTER_MAX);
        /* Below the jittered delay: the delay stands (never shorter than the backoff). */
        b.attempt = 20; /* bound 300 s */
        for (unsigned i = 0; i < 100; i++) {
                usec_t d = backoff_next(&b, &rng, 1);
                assert_true(d >= BACKOFF_FLOOR && d <= 300 * S);
        }
        assert_int_equal(b.attempt, 63); /* the counter saturates */
}

/* A base below the floor (not accepted by validation, but the arithmetic must hold anyway):
 * every delay is the floor, never zero. */
static void test_floor(void **state) {
        BackoffConfig c = { .base = 1, .cap = 1000 };
        Backoff b;
        Rng rng;

        rng_seed(&rng, 5);
        backoff_init(&b, &c);
        for (unsigned i = 0; i < 100; i++)
                assert_int_equal(backoff_next(&b, &rng, 0), BACKOFF_FLOOR);
}

static void test_validate(void **state) {
        static const struct {
                BackoffConfig c;
                int r;
        } cases[] = {
                { { 1 * S, 300 * S }, 0 },
                { { 100 * USEC_PER_MSEC, 100 * USEC_PER_MSEC }, 0 },
                { { 1 * S, USEC_PER_HOUR }, 0 },
                { { 0, 300 * S }, -EINVAL },
                { { 99 * USEC_PER_MSEC, 300 * S }, -EINVAL },
                { { 10 * S, 5 * S }, -EINVAL },
                { { 1 * S, USEC_PER_HOUR + 1 }, -EINVAL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_int_equal(backoff_config_validate(&cases[i].c), cases[i].r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bound_sequence),
                cmocka_unit_test(test_full_jitter_range),
                cmocka_unit_test(test_custom_config_and_reset),
                cmocka_unit_test(test_retry_after),
                cmocka_unit_test(test_floor),
                cmocka_unit_test(test_validate),
        };

        return cmocka_run_group_tests_name("backoff", tests, NULL, NULL);
}
