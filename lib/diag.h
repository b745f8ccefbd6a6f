/* SPDX-License-Identifier: MIT */
#pragma once

/* Diagnostics about user input: "path:line:col: error: message". Line and column are 1-based;
 * 0 means "the whole file" (printed as path:1:1 so editors can still jump to it). A problem of
 * the path itself, which has no line to point at (it does not exist, or it is a directory), has
 * the line DIAG_LINE_NONE and is printed "path: error: message". A DiagList collects every
 * problem instead of stopping at the first. */

#include <limits.h>
#include <stdio.h>

#include "lib/macro.h"

#define DIAG_LINE_NONE UINT_MAX

typedef enum DiagSeverity {
        DIAG_ERROR,
        DIAG_WARNING,
} DiagSeverity;

typedef struct Diag {
        char *path;
        unsigned line;
        unsigned column;
        DiagSeverity severity;
        char *message;
} Diag;

typedef struct DiagList {
        Diag *items;
        size_t n;
        size_t allocated;
        size_t n_errors;
} DiagList;

void diag_list_init(DiagList *l);
void diag_list_done(DiagList *l);
void diag_list_clear(DiagList *l);

/* Records a diagnostic; returns -EINVAL for errors (so a parser can "return diag_error(...)")
 * and 0 for warnings, or -ENOMEM. */
int diag_add(DiagList *l, DiagSeverity severity, const char *path, unsigned line, unsigned column,
             const char *format, ...) _printf_(6, 7);
int diag_addv(DiagList *l, DiagSeverity severity, const char *path, unsigned line, unsigned column,
              const char *format, va_list ap) _printf_(6, 0);
#define diag_error(l, path, line, col, ...) diag_add(l, DIAG_ERROR, path, line, col, __VA_ARGS__)
#define diag_warning(l, path, line, col, ...)                                                      \
        diag_add(l, DIAG_WARNING, path, line, col, __VA_ARGS__)

/* Appends copies of every item of src. */
int diag_list_append(DiagList *dst, const DiagList *src);
/* Sorts by path, line, column (stable for equal positions). */
void diag_list_sort(DiagList *l);

const char *diag_severity_to_string(DiagSeverity s);
/* "path:line:col: error: message", or "path: error: message" (DIAG_LINE_NONE) */
int diag_format(const Diag *d, char **ret);
void diag_list_print(const DiagList *l, FILE *f);
/* The list as a JSON array of {"path","line","column","severity","message"} (line and column 0
 * for DIAG_LINE_NONE); returns a malloc'd string. */
int diag_list_to_json(const DiagList *l, char **ret);
