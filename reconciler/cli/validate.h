/* SPDX-License-Identifier: MIT */
#pragma once

/* The logic of "asyncfg validate [--config FILE] PATH...": every path (a file or a directory
 * tree) goes into one DesiredSet, so duplicates across all of them are found; with a daemon
 * configuration every spec.account is resolved and checked, and without PATH the configuration's
 * desiredDir is the one path (what the unit's ExecStartPre= and ExecReload= check). A directory
 * without YAML files is valid, with a warning: the daemon starts with it. In that form (no PATH)
 * a document that fails to load is a warning too, for the same reason: the daemon starts and
 * keeps the file's last good version; a configuration that does not load or a missing
 * desiredDir are errors. Problems are printed as
 * "path:line:col: error: message" (or a JSON array), then one summary line per valid path
 * ("config/desired: 4 resources in 4 files, valid"). */

#include <stdbool.h>
#include <stdio.h>

typedef enum ValidateOutput {
        VALIDATE_OUTPUT_TEXT,
        VALIDATE_OUTPUT_JSON,
} ValidateOutput;

/* Returns 0 when everything is valid, 1 when there were problems (printed), or a negative
 * errno for a failure of the tool itself (out of memory). Diagnostics go to out in JSON mode,
 * to err in text mode; the summaries go to out. */
int validate_paths(char *const *paths, size_t n_paths, const char *config_path,
                   ValidateOutput output, FILE *out, FILE *err);
