/* SPDX-License-Identifier: MIT */
#pragma once

/* Writing a big JSON document one piece at a time with the bytes jansson would give for the
 * whole tree: as one tree, 10,000 resources are a few hundred thousand small allocations alive
 * at once, and freeing them was a visible part of an apply's CPU (malloc_consolidate). */

#include <jansson.h>
#include <stdio.h>

/* json_dump_callback(j, flags) into out with `indent` (< 9) spaces after each line break, so
 * that a value dumped on its own lands exactly where it would inside the whole document
 * (formatting is the only raw '\n' in jansson's output: strings escape theirs). Takes j (may be
 * NULL: -ENOMEM). -EIO on a failed write or out of memory (jansson does not say which). */
int json_dump_indented(json_t *j, size_t flags, size_t indent, FILE *out);
/* s as jansson writes a string or an object key (quoted, escaped); -ENOMEM if jansson would
 * refuse it (not UTF-8), -EIO on a failed write. */
int json_dump_string(const char *s, FILE *out);
