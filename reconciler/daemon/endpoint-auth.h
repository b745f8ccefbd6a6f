/* SPDX-License-Identifier: MIT */
#pragma once

/* HTTP basic authentication of the endpoint against bcrypt hashes (web-config.h), the way the
 * Prometheus exporter-toolkit does it: every path is protected, the password is checked with
 * crypt_r() (libxcrypt: $2a$, $2b$, $2y$) and compared in constant time; an unknown user costs
 * a bcrypt of a dummy hash too, so timing does not tell names apart.
 *
 * bcrypt is slow on purpose (about 50 ms at cost 10) and runs on the event loop, so:
 *  - a successful check is cached, keyed by the SHA-256 of the whole Authorization header
 *    (ENDPOINT_AUTH_CACHE entries, the oldest replaced): a scraper that sends the same header
 *    every 15 s pays for one bcrypt, not one per scrape;
 *  - uncached checks are limited by their cost, all clients together: a check of cost c
 *    (2^c rounds) takes 2^(c-4) units of a budget of ENDPOINT_AUTH_BUDGET units a second,
 *    four checks of cost 10 (about 0.2 s of work), one of cost 12; beyond that a request is
 *    answered 429 without a check, so wrong passwords sent in a loop cannot take more than a
 *    bounded share of the loop. An unknown user costs what a cost-10 hash does. */

#include <stddef.h>

#include "lib/time-util.h"
#include "reconciler/spec/web-config.h"

#define ENDPOINT_AUTH_CACHE 16u
#define ENDPOINT_AUTH_BUDGET (4u << 6) /* units a second: 4 checks of cost 10 */
#define ENDPOINT_AUTH_REALM "asyncfgd"

typedef struct EndpointAuth EndpointAuth;

/* Copies the users. Returns 0, -ENOMEM, -EINVAL (n == 0). */
int endpoint_auth_new(const WebUser *users, size_t n, EndpointAuth **ret);
EndpointAuth *endpoint_auth_free(EndpointAuth *a);

/* Checks an Authorization header value (NULL: none sent) at time now (monotonic). Returns 1
 * (a user and the right password), 0 (denied: 401), -EBUSY (over the check budget: 429),
 * -ENOMEM. */
int endpoint_auth_check(EndpointAuth *a, const char *authorization, usec_t now);
