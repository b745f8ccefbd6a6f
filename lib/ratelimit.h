/* SPDX-License-Identifier: MIT */
#pragma once

/* A token bucket per cloud account (DESIGN.md §3.8), with an AIMD rate:
 *
 *  - Tokens refill continuously at the current rate, up to the current burst; a request takes
 *    one. Starts full (burst tokens), so a start-up burst is allowed, then `qps`.
 *  - Multiplicative decrease: when the cloud throttles (HTTP 429 and the like), the rate halves,
 *    never below RATELIMIT_QPS_FLOOR (0.1 request/s, one every 10 s; or the configured rate if
 *    that is lower), and the bucket is emptied. Only a throttle of a request that was sent after
 *    the last decrease counts: the answers to requests that were already in flight at the old
 *    rate are the same congestion event, and must not halve the rate again and again.
 *  - Additive increase: every RATELIMIT_RECOVERY_PERIOD (10 s) without a decrease, the rate
 *    grows by RATELIMIT_RECOVERY_PERCENT (10 %) of the configured rate, up to the configured
 *    rate: from the floor back to full speed takes about 100 s, from half about 50 s.
 *  - The burst scales with the rate (burst · rate / qps, at least one token), so a throttled
 *    account does not fire a full burst after an idle spell.
 *
 * Arithmetic is in integers (rates in thousandths of a request per second, tokens in
 * millionths), so the wait that ratelimit_take() returns is exact: when that time has passed,
 * the token is there, and a queue that sleeps until then never wakes up for nothing. */

#include <stdint.h>

#include "lib/time-util.h"

#define RATELIMIT_QPS_FLOOR_MILLI UINT64_C(100)
#define RATELIMIT_RECOVERY_PERIOD (10 * USEC_PER_SEC)
#define RATELIMIT_RECOVERY_PERCENT UINT64_C(10)
#define RATELIMIT_QPS_MAX 1000000.0
#define RATELIMIT_BURST_MAX 1000000u

typedef struct RateLimit {
        uint64_t qps_milli;  /* configured rate, requests per 1000 s */
        uint64_t burst;      /* configured burst, tokens */
        uint64_t rate_milli; /* current rate */
        uint64_t tokens;     /* millionths of a token */
        usec_t refilled;     /* when tokens were last brought up to date */
        usec_t changed;      /* the last decrease or recovery step */
        usec_t decreased;    /* the last decrease */
        uint64_t n_decreases;
} RateLimit;

/* qps in (0, RATELIMIT_QPS_MAX], burst in [1, RATELIMIT_BURST_MAX]; 0 or -EINVAL. */
int ratelimit_init(RateLimit *rl, double qps, unsigned burst, usec_t now);
/* Takes a token: 0 when taken, otherwise (nothing taken) the usec until one is available. */
usec_t ratelimit_take(RateLimit *rl, usec_t now);
/* Like ratelimit_take() without taking: 0 when a token is there now, else the usec until one is. */
usec_t ratelimit_wait(RateLimit *rl, usec_t now);
/* A request sent at `sent` was throttled: 1 when the rate was halved, 0 when the throttle
 * belongs to an earlier decrease (see above). */
int ratelimit_throttled(RateLimit *rl, usec_t now, usec_t sent);
/* The current rate in requests per second (status and tests). */
double ratelimit_get_qps(const RateLimit *rl);
