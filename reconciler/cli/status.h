/* SPDX-License-Identifier: MIT */
#pragma once

/* `asyncfg status [--endpoint URL] [--all]` (DESIGN.md §6): GET from the running daemon what the
 * table shows — the summary and the resources not in sync (URL/status?state=...&limit=N), or
 * with --all every resource (URL/status?resources=all) — and print it as a table or JSON
 * (reconciler/cli/status-table.h). A fleet of 100,000 in sync costs the daemon a summary. URL: --endpoint, else the `listen`
 * address of --config, else http://127.0.0.1:9733. A health check: exit 0 printed and all is
 * well; 1 when the document reports a resource in error, a file that fails to load or an
 * unusable desired-state directory (printed all the same, -o json unchanged, and one line on
 * err saying what), or the daemon is unreachable, does not answer 200, or sends something
 * that is not a /status document. With --config, an endpoint with web.tlsCertFile is https://.
 * An https:// endpoint is always verified (--ca-file for a private CA or a self-signed
 * certificate). */

#include <stdbool.h>
#include <stdio.h>

typedef struct CliStatusOptions {
        const char *endpoint;    /* NULL: from the config, or the default */
        const char *config_path; /* may be NULL */
        bool json;
        bool all;            /* every resource (/status?resources=all); else those not in
                                  * sync, the first 1000 */
        const char *ca_file; /* PEM CA bundle for an https:// endpoint; NULL: the system's */
        const char *user;    /* basic auth; the password from $ASYNCFG_PASSWORD, else the
                              * first line of password_file (never a command-line argument:
                              * ps shows those) */
        const char *password_file;
        FILE *out, *err;
} CliStatusOptions;

int cli_status_run(const CliStatusOptions *o);
