/* SPDX-License-Identifier: MIT */
#pragma once

/* A small YAML node tree built from libyaml's event API. Every node (and every mapping key)
 * keeps its 1-based line and column, so that later validation can point at it. Scalars are
 * resolved with the YAML 1.2 core schema: plain "123" is an integer, quoted "123" a string,
 * plain true/false a boolean, plain null/~/empty a null. Explicit standard tags (!!str,
 * !!int, ...) are honoured; any other tag is an error.
 *
 * Aliases are rejected (no billion-laughs); duplicate mapping keys are an error; the limits of
 * reconciler/spec/limits.h are enforced with a located error each. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "lib/diag.h"

typedef enum YamlNodeType {
        YAML_TREE_SCALAR,
        YAML_TREE_MAPPING,
        YAML_TREE_SEQUENCE,
} YamlNodeType;

typedef enum YamlScalarKind {
        YAML_KIND_NULL,
        YAML_KIND_BOOL,
        YAML_KIND_INT,
        YAML_KIND_FLOAT,
        YAML_KIND_STRING,
} YamlScalarKind;

typedef struct YamlNode YamlNode;

typedef struct YamlPair {
        YamlNode *key; /* always a scalar */
        YamlNode *value;
} YamlPair;

struct YamlNode {
        YamlNodeType type;
        unsigned line, column; /* 1-based */
        /* scalar */
        YamlScalarKind kind;
        char *value; /* NUL-terminated; length is the byte count (may hold NULs: rejected) */
        size_t length;
        bool bool_value;
        int64_t int_value;
        /* mapping */
        YamlPair *pairs;
        size_t n_pairs;
        /* sequence */
        YamlNode **items;
        size_t n_items;
};

typedef struct YamlStream {
        YamlNode **documents; /* root node of each document, in order */
        size_t n_documents;
        Arena arena; /* every node, scalar and member array of the stream */
} YamlStream;

/* Parses a whole file held in memory. Documents that were complete before a syntax error are
 * kept in the stream so that their problems can be reported too; any problem is recorded in
 * diags (path:line:col) and makes the return value -EINVAL. -ENOMEM on allocation failure.
 * *ret_stream is always set on 0 and -EINVAL (possibly empty). An empty document (only
 * comments, or a bare "---") has no root and is skipped. */
int yaml_tree_parse(const char *path, const void *data, size_t size, DiagList *diags,
                    YamlStream **ret_stream);

YamlStream *yaml_stream_free(YamlStream *s);
static inline void yaml_stream_freep(YamlStream **s) {
        yaml_stream_free(*s);
}

const char *yaml_node_type_to_string(YamlNodeType t);
/* "a string", "an integer", "a mapping", ... for messages. */
const char *yaml_node_describe(const YamlNode *n);

/* Lookup of a key in a mapping; NULL when absent or when m is not a mapping. */
const YamlNode *yaml_node_get(const YamlNode *m, const char *key);
/* The string of a scalar of kind STRING, else NULL. */
const char *yaml_node_string(const YamlNode *n);

/* Records an error located at node n (or at line 1 col 1 when n is NULL) and returns -EINVAL.
 * After LIMIT_DIAGNOSTICS_PER_FILE errors in diags, one "too many errors" line is added and
 * the rest are dropped, so a hostile file cannot produce an unbounded report. */
int yaml_error(DiagList *diags, const char *path, const YamlNode *n, const char *format, ...)
        _printf_(4, 5);
int yaml_error_at(DiagList *diags, const char *path, unsigned line, unsigned column,
                  const char *format, ...) _printf_(5, 6);
