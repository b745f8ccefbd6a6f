/* SPDX-License-Identifier: MIT */
#pragma once

/* The one-line summary of the resources' states, for systemd's STATUS= and the CLI's summary:
 *
 *   "120 resources: 117 in sync, 2 drifted, 1 error"
 *
 * The total (sum of all states) first, then only the states with a non-zero count, always in
 * this order: in sync, drifted, changing, pending, retrying, error(s), orphaned. "0 resources"
 * and "1 resource: 1 in sync" for the small cases. */

#include <stddef.h>

/* Per-state counts; the field names are the state names of /status ("in_sync", ...). */
typedef struct StatusCounts {
        unsigned in_sync;
        unsigned drifted;
        unsigned changing;
        unsigned pending;
        unsigned retrying;
        unsigned error;
        unsigned orphaned;
} StatusCounts;

/* The /status name of each StatusCounts field, in the order above, and a way to address the
 * fields by that name (the manager and the status table count through it). */
#define STATUS_STATES_MAX 7
extern const char *const status_state_names[STATUS_STATES_MAX];
unsigned *status_counts_field(StatusCounts *c, const char *state); /* NULL if unknown */

/* Returns a newly allocated line, or NULL on out of memory. */
char *status_line_format(const StatusCounts *c);
