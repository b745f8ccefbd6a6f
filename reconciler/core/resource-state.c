/* SPDX-License-Identifier: MIT */

#include <errno.h>

#include "lib/string-table.h"
#include "reconciler/core/resource-state.h"

static const char *const resource_state_table[_RESOURCE_STATE_MAX] = {
        [RESOURCE_STATE_IN_SYNC] = "in_sync",   [RESOURCE_STATE_DRIFTED] = "drifted",
        [RESOURCE_STATE_CHANGING] = "changing", [RESOURCE_STATE_PENDING] = "pending",
        [RESOURCE_STATE_RETRYING] = "retrying", [RESOURCE_STATE_ERROR] = "error",
        [RESOURCE_STATE_ORPHANED] = "orphaned",
};

DEFINE_STRING_TABLE_LOOKUP(resource_state, ResourceState);

bool resource_state_is_problem(ResourceState s) {
        return s == RESOURCE_STATE_DRIFTED || s == RESOURCE_STATE_RETRYING ||
               s == RESOURCE_STATE_ERROR;
}
