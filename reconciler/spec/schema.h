/* SPDX-License-Identifier: MIT */
#pragma once

/* A small table-driven engine that turns a YamlNode mapping into a C struct. Each row of a
 * table says: key → parser, offset of the destination in the struct, bounds, required, the
 * variants (e.g. providers) it is allowed for, and parser-specific data (an enum's names, a
 * nested table). Unknown keys are errors at the key; every problem is reported, not just the
 * first; the struct is filled as far as it could be.
 *
 * "Variants" let one table serve several providers: a row with a variants mask is rejected on
 * the others. */

#include <stddef.h>
#include <stdint.h>

#include "lib/time-util.h"
#include "reconciler/spec/yaml-tree.h"

typedef struct SchemaContext {
        const char *path;
        DiagList *diags;
        int variant;                      /* -1: not known (no per-variant checks) */
        const char *variant_kind;         /* "provider" */
        const char *const *variant_names; /* indexed by variant */
        void *userdata;
} SchemaContext;

typedef struct SchemaField SchemaField;
typedef int (*SchemaParser)(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                            void *dest);

#define SCHEMA_MAX_VARIANTS 4

struct SchemaField {
        const char *key;
        SchemaParser parse;
        size_t offset;
        bool required;
        /* Integers: bounds (both 0: none). Durations: bounds in usec. Strings: max length. */
        int64_t min, max;
        /* Bitmask of variants the key is allowed for; 0: all. */
        unsigned variants;
        /* Offset + 1 of a bool set to true when the key was parsed; 0: none. */
        size_t has_offset;
        const void *data;
};

#define SCHEMA_HAS(type, member) (offsetof(type, member) + 1)

/* Parses mapping node into the struct at base by table (terminated by a row with key NULL).
 * what names the mapping in messages ("spec", "document"). Returns 0 if valid, -EINVAL if any
 * problem was recorded, -ENOMEM. *ret_seen (optional): bit i set when table[i] was present. */
int schema_parse_mapping(SchemaContext *ctx, const YamlNode *node, const char *what,
                         const SchemaField *table, void *base, uint64_t *ret_seen);

/* Standard parsers. dest types: string char**, int int64_t*, uint unsigned*, bool bool*,
 * duration usec_t*, enum int* (data: NULL-terminated name table), mapping: the nested struct
 * (data: its table), string_list char*** (NULL-terminated). */
int schema_parse_string(SchemaContext *ctx, const YamlNode *node, const SchemaField *f, void *dest);
int schema_parse_string_empty_ok(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                                 void *dest);
/* A string that is only looked at while the tree is (dest: const char **): no copy. */
int schema_parse_string_borrowed(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                                 void *dest);
int schema_parse_int(SchemaContext *ctx, const YamlNode *node, const SchemaField *f, void *dest);
int schema_parse_uint(SchemaContext *ctx, const YamlNode *node, const SchemaField *f, void *dest);
int schema_parse_bool(SchemaContext *ctx, const YamlNode *node, const SchemaField *f, void *dest);
int schema_parse_duration(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                          void *dest);
int schema_parse_enum(SchemaContext *ctx, const YamlNode *node, const SchemaField *f, void *dest);
int schema_parse_mapping_field(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                               void *dest);
int schema_parse_string_list(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                             void *dest);

/* Checks a node's type and reports "'key' must be a string, got an integer" if it is not. */
int schema_expect_string(SchemaContext *ctx, const YamlNode *node, const char *key,
                         const char **ret);
int schema_expect_mapping(SchemaContext *ctx, const YamlNode *node, const char *key);

/* Position of the value of key in a mapping, or of the mapping itself when it has no key. */
const YamlNode *schema_locate(const YamlNode *mapping, const char *key);
