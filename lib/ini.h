/* SPDX-License-Identifier: MIT */
#pragma once

/* A small parser for INI files of the kind the cloud vendors use for shared credentials
 * (~/.aws/credentials, ~/.alibabacloud/credentials, ~/.huaweicloud/credentials) and for
 * asyncfg's own credential files (plain "key = value" lines).
 *
 * The dialect (close to Python's configparser, which botocore uses):
 *   - "[name]" opens a section; the name is trimmed and case-sensitive. A section may be
 *     opened again; its keys are merged.
 *   - "key = value" or "key: value" (the first '=' or ':' separates). Keys are trimmed and
 *     compared case-insensitively; values are trimmed, may be empty, and lose one pair of
 *     matching surrounding quotes ("..." or '...'). Leading white space on a line is ignored
 *     (no continuation lines).
 *   - Keys before the first section belong to the global section, named "" (NULL in lookups).
 *   - Whole-line comments start with '#' or ';'. There are no inline comments: a '#' inside a
 *     value is part of it (as with configparser; secrets may contain any character).
 *   - LF or CRLF line ends; a UTF-8 byte order mark at the start is skipped.
 * Errors (each reported with path:line:col through a DiagList, and parsing goes on so that all
 * are reported): a NUL byte, a line that is neither a section, a comment nor "key = value", an
 * unterminated "[", an empty key, a key given twice in one section. Messages never quote a
 * value (values may be secrets); they may quote keys and section names.
 *
 * Values are wiped (explicit_bzero) when the IniFile is freed. */

#include <stdbool.h>
#include <stddef.h>

#include "lib/diag.h"

typedef struct IniEntry {
        char *section; /* "" for the global section */
        char *key;
        char *value;
        unsigned line;   /* 1-based, of the key */
        unsigned column; /* 1-based, of the value's first character */
} IniEntry;

typedef struct IniFile {
        IniEntry *entries; /* in file order */
        size_t n_entries;
        char **sections; /* every section that appears (opened with [...]), NULL-terminated */
        size_t n_sections;
} IniFile;

/* Upper bounds: the text ini_parse() accepts (-EFBIG beyond), and the number of keys and of
 * sections (-E2BIG beyond). Credential files are tiny; the caps keep lookups cheap. */
#define INI_SIZE_MAX (1024U * 1024U)
#define INI_ENTRIES_MAX 4096U

/* Parses size bytes of text (need not be NUL-terminated). path is used for diagnostics only.
 * diags may be NULL. Returns 0 and *ret (owned by the caller, free with ini_file_free()),
 * -EINVAL if there were errors (all recorded in diags), -EFBIG, -E2BIG or -ENOMEM. */
int ini_parse(const char *text, size_t size, const char *path, DiagList *diags, IniFile **ret);

/* Reads and parses a file. -ENOENT etc. from open(); -EFBIG for a file over INI_SIZE_MAX. The
 * file's bytes are wiped from memory after parsing. */
int ini_parse_file(const char *path, DiagList *diags, IniFile **ret);

IniFile *ini_file_free(IniFile *f);
static inline void ini_file_freep(IniFile **f) {
        ini_file_free(*f);
}

/* The entry for key in section (NULL or "" is the global section), or NULL. */
const IniEntry *ini_find(const IniFile *f, const char *section, const char *key);
/* Its value, or NULL. */
const char *ini_get(const IniFile *f, const char *section, const char *key);
/* Whether the section was opened in the file ("" or NULL: whether any global key exists). */
bool ini_has_section(const IniFile *f, const char *section);
