/* SPDX-License-Identifier: MIT */
#pragma once

/* `asyncfg status [--endpoint URL]` (DESIGN.md §6): GET URL/status from the running daemon and
 * print it as a table or JSON (reconciler/cli/status-table.h). URL: --endpoint, else the `listen`
 * address of --config, else http://127.0.0.1:9733. Exit 0 printed, 1 daemon unreachable, not
 * answering 200, or not a /status document. */

#include <stdbool.h>
#include <stdio.h>

typedef struct CliStatusOptions {
        const char *endpoint;    /* NULL: from the config, or the default */
        const char *config_path; /* may be NULL */
        bool json;
        FILE *out, *err;
} CliStatusOptions;

int cli_status_run(const CliStatusOptions *o);
