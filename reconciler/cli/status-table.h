/* SPDX-License-Identifier: MIT */
#pragma once

/* `asyncfg status`: renders the daemon's /status document (schema: reconciler/daemon/endpoint.h).
 *
 * Table format, one row per resource in the document's order, columns aligned (by code
 * points, so UTF-8 names line up), two spaces apart, no trailing blanks:
 *
 *   NAME           PROVIDER  ACCOUNT   FUNCTION       QUALIFIER  STATE    DETAIL
 *   orders-worker  aws       aws-prod  orders-worker  $LATEST    drifted  maxRetryAttempts: 2 -> 1
 *
 * DETAIL is the last error ("class: message") if there is one, else the field-level diff
 * ("field: from -> to, ..."; strings bare, absent as "(none)", other values as compact JSON).
 * Missing strings show as "-". Then the files that failed to load, one diagnostic per line as
 * the daemon reported it ("path:line:col: error: message"), and a summary line:
 *
 *   120 resources: 117 in sync, 2 drifted, 1 error; 15 files, 1 with errors; last successful
 *   sync 2024-05-01T12:00:00Z
 *
 * (one line; "; not ready" is added while the daemon is not ready). With color, the header is
 * bold and the state coloured (in_sync green, drifted yellow, error red, changing / pending /
 * retrying cyan, orphaned dim); the caller passes color only when stdout is a terminal.
 * Control characters in any string from the document are shown as '?', so a cloud's error
 * message cannot move the cursor or recolour the terminal.
 *
 * JSON format: the document as received (validated first), with a final line feed. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum StatusFormat {
        STATUS_FORMAT_TABLE,
        STATUS_FORMAT_JSON,
        _STATUS_FORMAT_MAX,
        _STATUS_FORMAT_INVALID = -EINVAL,
} StatusFormat;

/* "table", "json" (the values of -o). */
const char *status_format_to_string(StatusFormat f);
StatusFormat status_format_from_string(const char *s);

/* Writes json (size bytes, NUL not needed) to f in the given format. Returns 0, -EBADMSG if
 * json is not a /status document (not JSON, or no "resources" array of objects), -ENOMEM, or
 * -EIO if writing failed. Writes nothing on -EBADMSG. */
int status_print(FILE *f, const char *json, size_t size, StatusFormat format, bool color);

/* What a /status document reports wrong, for `asyncfg status` as a health check. */
typedef struct StatusProblems {
        size_t resources_in_error; /* summary.states.error (else counted from the resources) */
        size_t files_in_error;     /* summary.files.error (else counted from "files") */
        bool directory_error;      /* summary.directory_error is set */
} StatusProblems;

/* Reads json as status_print() does. Returns 0 when nothing is wrong, 1 when something is
 * (*ret says what), -EBADMSG if json is not a /status document, -EINVAL. */
int status_check(const char *json, size_t size, StatusProblems *ret);
