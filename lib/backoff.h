/* SPDX-License-Identifier: MIT */
#pragma once

/* Per-resource exponential backoff with full jitter (DESIGN.md §3.7; the AWS Architecture
 * Blog's "Exponential Backoff And Jitter"):
 *
 *      bound(n) = min(cap, base · 2^n)          n = failures since the last success, from 0
 *      delay    = max(FLOOR, uniform[0, bound(n)])
 *      with a Retry-After r > 0:  delay = max(delay, min(r, RETRY_AFTER_MAX))
 *
 * - Full jitter spreads the retries of many resources that failed together (an outage of one
 *   account) instead of having them return in lock step.
 * - FLOOR (100 ms) keeps a retry from ever being immediate: a resource that fails at once does
 *   not turn into a hot loop even when the random draw is 0.
 * - Retry-After wins even above cap, because the server asked for it; it is clamped to one hour
 *   so that a bogus header ("Retry-After: 99999999") cannot park a resource for years.
 * - backoff_reset() on success; the steady drift poll is separate (the work queue). */

#include "lib/rng.h"
#include "lib/time-util.h"

#define BACKOFF_BASE_DEFAULT (1 * USEC_PER_SEC)
#define BACKOFF_CAP_DEFAULT (5 * USEC_PER_MINUTE)
#define BACKOFF_FLOOR (100 * USEC_PER_MSEC)
#define BACKOFF_RETRY_AFTER_MAX (1 * USEC_PER_HOUR)

typedef struct BackoffConfig {
        usec_t base;
        usec_t cap;
} BackoffConfig;

#define BACKOFF_CONFIG_DEFAULT                                                                     \
        ((BackoffConfig){ .base = BACKOFF_BASE_DEFAULT, .cap = BACKOFF_CAP_DEFAULT })

typedef struct Backoff {
        BackoffConfig config;
        unsigned attempt; /* failures since the last success */
} Backoff;

/* base ≥ FLOOR and base ≤ cap ≤ RETRY_AFTER_MAX; 0 or -EINVAL (for the config loader). */
int backoff_config_validate(const BackoffConfig *config);

/* config NULL: the defaults. */
void backoff_init(Backoff *b, const BackoffConfig *config);
/* min(cap, base · 2^attempt): the upper end of the next delay's range. */
usec_t backoff_bound(const Backoff *b);
/* The delay before the next try after a failure (see above), and counts the failure.
 * retry_after: the server's Retry-After in usec, 0 when it sent none. */
usec_t backoff_next(Backoff *b, Rng *rng, usec_t retry_after);
void backoff_reset(Backoff *b);
