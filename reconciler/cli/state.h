/* SPDX-License-Identifier: MIT */
#pragma once

/* `asyncfg state list|forget` (DESIGN.md §6): what the state store of the configuration's
 * stateDir holds, and removing records from it, without sqlite3.
 *
 *   list [-o json]   one line per record (key, applied at, created or adopted, orphaned
 *                    since, where applied); -o json: the store as one state.json document
 *   forget KEY...    removes those records in one transaction; a KEY without a record is an
 *                    error (the others are still removed)
 *
 * Returns the exit code: 0 done, 1 any error (reported on err). */

#include <stdbool.h>
#include <stdio.h>

typedef struct CliStateOptions {
        const char *config_path;
        const char *action; /* "list", "forget" */
        char **keys;        /* forget's */
        size_t n_keys;
        bool json;
        FILE *out, *err;
} CliStateOptions;

int cli_state_run(const CliStateOptions *o);
