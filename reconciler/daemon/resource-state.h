/* SPDX-License-Identifier: MIT */
#pragma once

/* The runtime state of one resource in the daemon, as /status, STATUS= and the
 * asyncfg_resources{state} gauge show it, and the small state machine that moves it.
 *
 *   state      meaning
 *   pending    known, not observed yet (or its YAML changed and its run has not started)
 *   in_sync    the last observation matched the desired document
 *   drifted    the last observation differed and nothing is written: observe mode, or
 *              enforce mode between the detection and the start of the write
 *   changing   a write (PUT or DELETE) is in flight
 *   retrying   the last run failed with a retryable error; the queue retries with backoff
 *   error      the last run failed permanently; retried at the resync interval or on a change
 *   orphaned   its document is gone and its live config is left alone (deletionPolicy
 *              orphan, or observe mode); listed until orphanRetention ends (manager-orphan.c)
 *
 * Transitions (resource_state_next()):
 *
 *   event \ from      any state but orphaned (orphaned: only CHANGED, to pending)
 *   CHANGED           pending   (the YAML changed: the next observation decides)
 *   IN_SYNC           in_sync
 *   DIFFERS           drifted
 *   WRITING           changing
 *   WRITTEN           in_sync
 *   RETRYABLE         retrying
 *   PERMANENT         error
 *   REMOVED           orphaned
 *
 * orphaned is left only by CHANGED (its document came back). CHANGED keeps a resource that is being written in
 * changing (the run in flight finishes first; the queue runs it again afterwards). */

#include <stdbool.h>

typedef enum ResourceState {
        RESOURCE_STATE_PENDING,
        RESOURCE_STATE_IN_SYNC,
        RESOURCE_STATE_DRIFTED,
        RESOURCE_STATE_CHANGING,
        RESOURCE_STATE_RETRYING,
        RESOURCE_STATE_ERROR,
        RESOURCE_STATE_ORPHANED,
        _RESOURCE_STATE_MAX,
        _RESOURCE_STATE_INVALID = -22, /* -EINVAL; also "not counted yet" */
} ResourceState;

typedef enum ResourceEvent {
        RESOURCE_EVENT_CHANGED,   /* the desired document changed (or is new) */
        RESOURCE_EVENT_IN_SYNC,   /* observed: live equals desired */
        RESOURCE_EVENT_DIFFERS,   /* observed: live differs, nothing will be written */
        RESOURCE_EVENT_WRITING,   /* a PUT or DELETE started */
        RESOURCE_EVENT_WRITTEN,   /* the write succeeded and is recorded */
        RESOURCE_EVENT_RETRYABLE, /* a run failed, retryable */
        RESOURCE_EVENT_PERMANENT, /* a run failed, permanent */
        RESOURCE_EVENT_REMOVED,   /* the document is gone */
        _RESOURCE_EVENT_MAX,
        _RESOURCE_EVENT_INVALID = -22,
} ResourceEvent;

/* "pending", "in_sync", ... (the /status spelling, as status-line.h's names). */
const char *resource_state_to_string(ResourceState s);
ResourceState resource_state_from_string(const char *s);
const char *resource_event_to_string(ResourceEvent e);
ResourceEvent resource_event_from_string(const char *s);

/* The state after event ev in state cur (see the table above). cur may be
 * _RESOURCE_STATE_INVALID (a new resource). An invalid event leaves the state unchanged. */
ResourceState resource_state_next(ResourceState cur, ResourceEvent ev);

/* Whether the state counts as a problem for the summary (drifted, retrying, error). */
bool resource_state_is_problem(ResourceState s);
