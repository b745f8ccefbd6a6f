/* SPDX-License-Identifier: MIT */
#pragma once

/* The states a resource is in, as every view names and counts them: the daemon's runtime
 * Resource (reconciler/daemon/resource.h moves it between them), /status, STATUS=, the
 * asyncfg_resources{state} gauge and the CLI's status table (which reads them back from /status).
 *
 *   state      meaning
 *   in_sync    the last observation matched the desired document
 *   drifted    the last observation differed and nothing is written: observe mode, or
 *              enforce mode between the detection and the start of the write
 *   changing   a write (PUT or DELETE) is in flight
 *   pending    known, not observed yet (or its YAML changed and its run has not started)
 *   retrying   the last run failed with a retryable error; the queue retries with backoff
 *   error      the last run failed permanently; retried at the resync interval or on a change
 *   orphaned   its document is gone and its live config is left alone (deletionPolicy
 *              orphan, or observe mode); listed until orphanRetention ends
 *
 * The enum's order is the order of every listing (the summary line, /status's summary.states). */

#include <stdbool.h>

typedef enum ResourceState {
        RESOURCE_STATE_IN_SYNC,
        RESOURCE_STATE_DRIFTED,
        RESOURCE_STATE_CHANGING,
        RESOURCE_STATE_PENDING,
        RESOURCE_STATE_RETRYING,
        RESOURCE_STATE_ERROR,
        RESOURCE_STATE_ORPHANED,
        _RESOURCE_STATE_MAX,
        _RESOURCE_STATE_INVALID = -22, /* -EINVAL; also "not counted yet" */
} ResourceState;

/* "in_sync", "drifted", ... (the /status spelling). */
const char *resource_state_to_string(ResourceState s);
ResourceState resource_state_from_string(const char *s);

/* Whether the state counts as a problem for the summary (drifted, retrying, error). */
bool resource_state_is_problem(ResourceState s);
