/* SPDX-License-Identifier: MIT */
#include <math.h>

#include "lib/macro.h"
#include "lib/ratelimit.h"

#define TOKEN UINT64_C(1000000) /* one token in the bucket's units */

/* After an hour of idleness every bucket is full and every rate recovered; capping the elapsed
 * time keeps the products below 2^64. */
#define RATELIMIT_ELAPSED_MAX USEC_PER_HOUR

int ratelimit_init(RateLimit *rl, double qps, unsigned burst, usec_t now) {
        uint64_t qps_milli;

        if (!(qps > 0 && qps <= RATELIMIT_QPS_MAX) || burst < 1 || burst > RATELIMIT_BURST_MAX)
                return -EINVAL;
        qps_milli = MAX((uint64_t) llround(qps * 1000), UINT64_C(1));
        *rl = (RateLimit){
                .qps_milli = qps_milli,
                .burst = burst,
                .rate_milli = qps_milli,
                .tokens = burst * TOKEN,
                .refilled = now,
                .changed = now,
                .decreased = now,
        };
        return 0;
}

static uint64_t ratelimit_floor(const RateLimit *rl) {
        return MIN(RATELIMIT_QPS_FLOOR_MILLI, rl->qps_milli);
}

static uint64_t ratelimit_capacity(const RateLimit *rl) {
        return MAX(rl->burst * rl->rate_milli / rl->qps_milli, UINT64_C(1)) * TOKEN;
}

/* Additive increase: one step per full recovery period since the last change. */
static void ratelimit_recover(RateLimit *rl, usec_t now) {
        uint64_t steps, step = MAX(rl->qps_milli * RATELIMIT_RECOVERY_PERCENT / 100, UINT64_C(1));

        if (rl->rate_milli >= rl->qps_milli || now <= rl->changed)
                return;
        steps = (now - rl->changed) / RATELIMIT_RECOVERY_PERIOD;
        if (steps == 0)
                return;
        rl->rate_milli = MIN(rl->qps_milli, rl->rate_milli + MIN(steps, rl->qps_milli) * step);
        rl->changed += steps * RATELIMIT_RECOVERY_PERIOD;
}

/* Tokens accrue at the rate that held before this call's recovery step: slightly
 * conservative, and exact for ratelimit_take()'s promise. */
static void ratelimit_refill(RateLimit *rl, usec_t now) {
        usec_t elapsed;

        if (now <= rl->refilled)
                return; /* time does not go backwards on CLOCK_MONOTONIC; ignore if it seems to */
        elapsed = MIN(now - rl->refilled, RATELIMIT_ELAPSED_MAX);
        rl->tokens = MIN(rl->tokens + elapsed * rl->rate_milli / 1000, ratelimit_capacity(rl));
        rl->refilled = now;
        ratelimit_recover(rl, now);
}

usec_t ratelimit_wait(RateLimit *rl, usec_t now) {
        uint64_t missing;

        ratelimit_refill(rl, now);
        if (rl->tokens >= TOKEN)
                return 0;
        /* Round up, so that after the wait the refill has added at least the missing units. */
        missing = TOKEN - rl->tokens;
        return (missing * 1000 + rl->rate_milli - 1) / rl->rate_milli;
}

usec_t ratelimit_take(RateLimit *rl, usec_t now) {
        usec_t wait = ratelimit_wait(rl, now);

        if (wait == 0)
                rl->tokens -= TOKEN;
        return wait;
}

int ratelimit_throttled(RateLimit *rl, usec_t now, usec_t sent) {
        ratelimit_refill(rl, now);
        if (rl->n_decreases > 0 && sent <= rl->decreased)
                return 0;
        rl->rate_milli = MAX(rl->rate_milli / 2, ratelimit_floor(rl));
        rl->tokens = 0;
        rl->changed = rl->decreased = now;
        rl->n_decreases++;
        return 1;
}

double ratelimit_get_qps(const RateLimit *rl) {
        return (double) rl->rate_milli / 1000.0;
}
