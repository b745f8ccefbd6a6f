/* SPDX-License-Identifier: MIT */
#pragma once

/* `asyncfg plan` and `asyncfg apply` (DESIGN.md §6): the one-shot run (reconciler/cli/run.h)
 * and its report.
 *
 * Text (aligned; coloured only when out is a terminal and NO_COLOR is unset):
 *
 *   create    image-resize     alicloud  ali-prod  image-resize             LATEST
 *               maxRetryAttempts: (none) → 3
 *   update    orders-worker    aws       aws-prod  orders-worker            $LATEST
 *               maxRetryAttempts: 2 → 1   (drift)
 *   in sync   report-builder   ...
 *   error     legacy-billing   ...
 *               config/desired/fc2.yaml:3:1: error: function 'billing/invoice-render' ...
 *
 *   Plan: 1 to create, 1 to update, 1 in sync, 1 error.
 *
 * JSON (-o json): {"resources": [{"name", "file", "line", "provider", "account", "function",
 * "qualifier", "action", "diff": [{"field", "from", "to"[, "drift", "change"]}],
 * "error": {"class", "message"}}], "summary": {"total", "in_sync", "create", "update",
 * "error"}}; apply's actions are in_sync, created, updated, observe (differs, management:
 * observe, not written) and error, its summary counts those.
 *
 * Exit codes: plan 0 all in sync, 2 something would change, 1 errors (invalid input or a
 * resource in error); apply 0 everything converged, 1 otherwise. */

#include <stdbool.h>
#include <stdio.h>

#include "reconciler/cli/run.h"

typedef struct CliPlanOptions {
        const char *config_path; /* required */
        const char *dir;         /* NULL: the config's desiredDir */
        bool json;
        bool apply;
        unsigned jobs; /* workers (--jobs); 0: automatic (see reconciler/cli/run.h) */
        FILE *out, *err;
} CliPlanOptions;

/* Returns the exit code (0, 1, 2), or a negative errno for a failure of the tool itself. */
int cli_plan_run(const CliPlanOptions *o);

/* The -o json report of a finished run, to out. 0, -ENOMEM (the output then stops before the
 * resource that could not be written), -EIO. */
int cli_plan_print_json(const CliRun *run, bool apply, FILE *out);
