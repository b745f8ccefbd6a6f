/* SPDX-License-Identifier: MIT */
#pragma once

/* The one-line summary of the resources' states, for systemd's STATUS= and the CLI's summary:
 *
 *   "120 resources: 117 in sync, 2 drifted, 1 error"
 *
 * The total (sum of all states) first, then only the states with a non-zero count, always in
 * the order of ResourceState: in sync, drifted, changing, pending, retrying, error(s),
 * orphaned. "0 resources" and "1 resource: 1 in sync" for the small cases. */

#include <stddef.h>

#include "reconciler/core/resource-state.h"

/* Per-state counts, indexed by ResourceState. */
typedef struct StatusCounts {
        unsigned n[_RESOURCE_STATE_MAX];
} StatusCounts;

/* The sum over all states. */
unsigned status_counts_total(const StatusCounts *c);

/* Returns a newly allocated line, or NULL on out of memory. */
char *status_line_format(const StatusCounts *c);
