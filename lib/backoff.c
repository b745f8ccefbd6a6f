/* SPDX-License-Identifier: MIT */
#include "lib/macro.h"
#include "lib/backoff.h"

/* Past this many doublings every sane base has reached every sane cap; the counter stops here
 * so that it cannot wrap after a very long outage. */
#define BACKOFF_ATTEMPT_MAX 63u

int backoff_config_validate(const BackoffConfig *config) {
        if (config->base < BACKOFF_FLOOR || config->cap < config->base ||
            config->cap > BACKOFF_RETRY_AFTER_MAX)
                return -EINVAL;
        return 0;
}

void backoff_init(Backoff *b, const BackoffConfig *config) {
        *b = (Backoff){ .config = config ? *config : BACKOFF_CONFIG_DEFAULT };
}

usec_t backoff_bound(const Backoff *b) {
        usec_t bound = b->config.base;

        for (unsigned i = 0; i < b->attempt && bound < b->config.cap; i++)
                bound = bound > UINT64_MAX / 2 ? UINT64_MAX : bound * 2;
        return MIN(bound, b->config.cap);
}

usec_t backoff_next(Backoff *b, Rng *rng, usec_t retry_after) {
        usec_t delay = rng_uniform(rng, backoff_bound(b));

        delay = MAX(delay, BACKOFF_FLOOR);
        if (retry_after > 0)
                delay = MAX(delay, MIN(retry_after, BACKOFF_RETRY_AFTER_MAX));
        if (b->attempt < BACKOFF_ATTEMPT_MAX)
                b->attempt++;
        return delay;
}

void backoff_reset(Backoff *b) {
        b->attempt = 0;
}
