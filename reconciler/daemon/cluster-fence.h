/* SPDX-License-Identifier: MIT */
#pragma once

/* The time guard that stands in for a fencing token the clouds cannot check (DESIGN.md §8):
 * a member starts a cloud write only while now + write timeout + margin is before its lease's
 * deadline, the send time of the last keepalive etcd confirmed plus the TTL. etcd counts the
 * TTL from when the keepalive arrived, later than it was sent, so the member's deadline is
 * never after the lease really expires, and no other member can claim a bucket before it.
 * A write started in time ends before the deadline (its HTTP timeout is the write timeout).
 *
 * Once the deadline has passed (noticed at a check, or by a keepalive that was sent after it),
 * the member observes only until it has re-read its claims: a list of the claims started after
 * a keepalive that renewed the lease (cluster_fence_reread()).
 *
 * Pure arithmetic on the caller's monotonic times, for tests on a fake clock. */

#include <stdbool.h>

#include "lib/time-util.h"

typedef struct ClusterFence {
        usec_t ttl;
        usec_t write_timeout; /* a cloud write's bound: ttl / 2 */
        usec_t margin;        /* clock rate differences and scheduling: ttl / 10 */
        usec_t deadline;      /* 0: no lease */
        usec_t renewed_at;    /* send time of the keepalive that set deadline */
        bool must_reread;
} ClusterFence;

void cluster_fence_init(ClusterFence *f, usec_t ttl);
/* A keepalive (or the grant) sent at sent_at was confirmed with a live lease. */
void cluster_fence_renewed(ClusterFence *f, usec_t sent_at);
/* The lease is gone: nothing is allowed until a new one. */
void cluster_fence_lost(ClusterFence *f);
/* Whether a cloud write may start at now; false past the guard (and then, when the deadline
 * itself has passed, until the claims are re-read). */
bool cluster_fence_allows(ClusterFence *f, usec_t now);
/* A list of the claims that started at list_started_at completed: it clears must_reread when
 * it began after the last renewal. */
void cluster_fence_reread(ClusterFence *f, usec_t list_started_at);
/* Time left until the deadline (0 past it or without a lease). */
usec_t cluster_fence_remaining(const ClusterFence *f, usec_t now);
