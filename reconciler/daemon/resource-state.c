/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <string.h>

#include "lib/macro.h"
#include "lib/string-table.h"
#include "reconciler/daemon/resource-state.h"

static const char *const resource_state_table[_RESOURCE_STATE_MAX] = {
        [RESOURCE_STATE_PENDING] = "pending",   [RESOURCE_STATE_IN_SYNC] = "in_sync",
        [RESOURCE_STATE_DRIFTED] = "drifted",   [RESOURCE_STATE_CHANGING] = "changing",
        [RESOURCE_STATE_RETRYING] = "retrying", [RESOURCE_STATE_ERROR] = "error",
        [RESOURCE_STATE_ORPHANED] = "orphaned",
};

static const char *const resource_event_table[_RESOURCE_EVENT_MAX] = {
        [RESOURCE_EVENT_CHANGED] = "changed",     [RESOURCE_EVENT_IN_SYNC] = "in-sync",
        [RESOURCE_EVENT_DIFFERS] = "differs",     [RESOURCE_EVENT_WRITING] = "writing",
        [RESOURCE_EVENT_WRITTEN] = "written",     [RESOURCE_EVENT_RETRYABLE] = "retryable",
        [RESOURCE_EVENT_PERMANENT] = "permanent", [RESOURCE_EVENT_REMOVED] = "removed",
};

/* The state each event leads to from any state but orphaned. */
static const ResourceState resource_event_target[_RESOURCE_EVENT_MAX] = {
        [RESOURCE_EVENT_CHANGED] = RESOURCE_STATE_PENDING,
        [RESOURCE_EVENT_IN_SYNC] = RESOURCE_STATE_IN_SYNC,
        [RESOURCE_EVENT_DIFFERS] = RESOURCE_STATE_DRIFTED,
        [RESOURCE_EVENT_WRITING] = RESOURCE_STATE_CHANGING,
        [RESOURCE_EVENT_WRITTEN] = RESOURCE_STATE_IN_SYNC,
        [RESOURCE_EVENT_RETRYABLE] = RESOURCE_STATE_RETRYING,
        [RESOURCE_EVENT_PERMANENT] = RESOURCE_STATE_ERROR,
        [RESOURCE_EVENT_REMOVED] = RESOURCE_STATE_ORPHANED,
};

DEFINE_STRING_TABLE_LOOKUP(resource_state, ResourceState);
DEFINE_STRING_TABLE_LOOKUP(resource_event, ResourceEvent);

ResourceState resource_state_next(ResourceState cur, ResourceEvent ev) {
        if (ev < 0 || ev >= _RESOURCE_EVENT_MAX)
                return cur;
        /* An orphan only comes back when its document does. */
        if (cur == RESOURCE_STATE_ORPHANED && ev != RESOURCE_EVENT_CHANGED)
                return cur;
        /* A write in flight finishes before the new YAML is looked at. */
        if (ev == RESOURCE_EVENT_CHANGED && cur == RESOURCE_STATE_CHANGING)
                return cur;
        return resource_event_target[ev];
}

bool resource_state_is_problem(ResourceState s) {
        return s == RESOURCE_STATE_DRIFTED || s == RESOURCE_STATE_RETRYING || s == RESOURCE_STATE_ERROR;
}
