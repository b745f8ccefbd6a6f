/* SPDX-License-Identifier: MIT */
#include <inttypes.h>

#include "reconciler/spec/limits.h"
#include "reconciler/spec/schema.h"

static void *field_dest(void *base, const SchemaField *f) {
        return (uint8_t *) base + f->offset;
}

static void field_mark_present(void *base, const SchemaField *f) {
        if (f->has_offset > 0)
                *(bool *) ((uint8_t *) base + f->has_offset - 1) = true;
}

static const SchemaField *table_find(const SchemaField *table, const char *key, size_t *ret_i) {
        /* The first byte first: most rows differ there, and this runs for every key of every
         * document. */
        for (size_t i = 0; table[i].key; i++)
                if (table[i].key[0] == key[0] && streq(table[i].key, key)) {
                        *ret_i = i;
                        return &table[i];
                }
        return NULL;
}

/* "provider alicloud" or "provider aws or huaweicloud", for "only valid for ..." */
static void variants_describe(const SchemaContext *ctx, unsigned mask, char *buf, size_t size) {
        size_t off = 0;
        int k = snprintf(buf, size, "%s ", ctx->variant_kind ?: "variant");

        off = k > 0 ? (size_t) k : 0;
        for (unsigned v = 0, n = 0; v < SCHEMA_MAX_VARIANTS && off < size; v++) {
                if (!(mask & (1u << v)) || !ctx->variant_names || !ctx->variant_names[v])
                        continue;
                k = snprintf(buf + off, size - off, "%s%s", n++ ? " or " : "",
                             ctx->variant_names[v]);
                off += k > 0 ? (size_t) k : 0;
        }
}

static bool field_allowed(const SchemaContext *ctx, const SchemaField *f) {
        return f->variants == 0 || ctx->variant < 0 || (f->variants & (1u << ctx->variant));
}

int schema_parse_mapping(SchemaContext *ctx, const YamlNode *node, const char *what,
                         const SchemaField *table, void *base, uint64_t *ret_seen) {
        uint64_t seen = 0;
        bool bad = false;

        if (!node || node->type != YAML_TREE_MAPPING)
                return yaml_error(ctx->diags, ctx->path, node, "%s must be a mapping, got %s", what,
                                  yaml_node_describe(node));
        for (size_t i = 0; i < node->n_pairs; i++) {
                const YamlPair *p = &node->pairs[i];
                const SchemaField *f;
                size_t idx;

                f = p->key->kind == YAML_KIND_STRING ? table_find(table, p->key->value, &idx)
                                                     : NULL;
                if (!f) {
                        bad = true;
                        (void) yaml_error(ctx->diags, ctx->path, p->key, "unknown key '%s' in %s",
                                          p->key->value, what);
                        continue;
                }
                if (!field_allowed(ctx, f)) {
                        char buf[128];
                        variants_describe(ctx, f->variants, buf, sizeof(buf));
                        bad = true;
                        (void) yaml_error(ctx->diags, ctx->path, p->key,
                                          "key '%s' is only valid for %s", f->key, buf);
                        continue;
                }
                if (idx < 64)
                        seen |= UINT64_C(1) << idx;
                int r = f->parse(ctx, p->value, f, field_dest(base, f));
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        bad = true;
                else
                        field_mark_present(base, f);
        }
        for (size_t i = 0; table[i].key; i++)
                if (table[i].required && !(seen & (UINT64_C(1) << i)) &&
                    (table[i].variants == 0 ||
                     (ctx->variant >= 0 && field_allowed(ctx, &table[i])))) {
                        bad = true;
                        (void) yaml_error(ctx->diags, ctx->path, node,
                                          "missing required key '%s' in %s", table[i].key, what);
                }
        if (ret_seen)
                *ret_seen = seen;
        return bad ? -EINVAL : 0;
}

int schema_expect_string(SchemaContext *ctx, const YamlNode *node, const char *key,
                         const char **ret) {
        const char *s = yaml_node_string(node);

        if (!s)
                return yaml_error(ctx->diags, ctx->path, node, "'%s' must be a string, got %s", key,
                                  yaml_node_describe(node));
        *ret = s;
        return 0;
}

int schema_expect_mapping(SchemaContext *ctx, const YamlNode *node, const char *key) {
        if (!node || node->type != YAML_TREE_MAPPING)
                return yaml_error(ctx->diags, ctx->path, node, "'%s' must be a mapping, got %s",
                                  key, yaml_node_describe(node));
        return 0;
}

const YamlNode *schema_locate(const YamlNode *mapping, const char *key) {
        if (mapping && mapping->type == YAML_TREE_MAPPING)
                for (size_t i = 0; i < mapping->n_pairs; i++)
                        if (streq(mapping->pairs[i].key->value, key))
                                return mapping->pairs[i].value;
        return mapping;
}

/* The string of node, checked against f: 0 and *ret (the tree's), or -EINVAL (reported). */
static int string_check(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                        bool empty_ok, const char **ret) {
        const char *s = NULL;

        if (schema_expect_string(ctx, node, f->key, &s) < 0)
                return -EINVAL;
        if (!empty_ok && isempty(s))
                return yaml_error(ctx->diags, ctx->path, node, "'%s' must not be empty", f->key);
        if (f->max > 0 && strlen(s) > (size_t) f->max)
                return yaml_error(ctx->diags, ctx->path, node,
                                  "'%s' is too long (%zu characters, limit %" PRId64 ")", f->key,
                                  strlen(s), f->max);
        *ret = s;
        return 0;
}

static int string_common(SchemaContext *ctx, const YamlNode *node, const SchemaField *f, void *dest,
                         bool empty_ok) {
        char **p = dest;
        const char *s;
        char *c;

        if (string_check(ctx, node, f, empty_ok, &s) < 0)
                return -EINVAL;
        if (!(c = strdup(s)))
                return -ENOMEM;
        free(*p);
        *p = c;
        return 0;
}

int schema_parse_string_borrowed(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                                 void *dest) {
        return string_check(ctx, node, f, false, (const char **) dest);
}

int schema_parse_string(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                        void *dest) {
        return string_common(ctx, node, f, dest, false);
}

int schema_parse_string_empty_ok(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                                 void *dest) {
        return string_common(ctx, node, f, dest, true);
}

static int int_common(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                      int64_t *ret) {
        if (!node || node->type != YAML_TREE_SCALAR || node->kind != YAML_KIND_INT)
                return yaml_error(ctx->diags, ctx->path, node, "'%s' must be an integer, got %s",
                                  f->key, yaml_node_describe(node));
        if ((f->min != 0 || f->max != 0) && (node->int_value < f->min || node->int_value > f->max))
                return yaml_error(ctx->diags, ctx->path, node,
                                  "'%s' must be between %" PRId64 " and %" PRId64 ", got %" PRId64,
                                  f->key, f->min, f->max, node->int_value);
        *ret = node->int_value;
        return 0;
}

int schema_parse_int(SchemaContext *ctx, const YamlNode *node, const SchemaField *f, void *dest) {
        return int_common(ctx, node, f, dest);
}

int schema_parse_uint(SchemaContext *ctx, const YamlNode *node, const SchemaField *f, void *dest) {
        int64_t v;

        if (int_common(ctx, node, f, &v) < 0)
                return -EINVAL;
        if (v < 0 || v > UINT32_MAX)
                return yaml_error(ctx->diags, ctx->path, node,
                                  "'%s' must be between 0 and %u, got %" PRId64, f->key, UINT32_MAX,
                                  v);
        *(unsigned *) dest = (unsigned) v;
        return 0;
}

int schema_parse_bool(SchemaContext *ctx, const YamlNode *node, const SchemaField *f, void *dest) {
        if (!node || node->type != YAML_TREE_SCALAR || node->kind != YAML_KIND_BOOL)
                return yaml_error(ctx->diags, ctx->path, node,
                                  "'%s' must be a boolean (true or false), got %s", f->key,
                                  yaml_node_describe(node));
        *(bool *) dest = node->bool_value;
        return 0;
}

int schema_parse_duration(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                          void *dest) {
        const char *s = NULL;
        usec_t u;
        char a[32], b[32];

        if (schema_expect_string(ctx, node, f->key, &s) < 0)
                return -EINVAL;
        if (parse_duration(s, &u) < 0)
                return yaml_error(ctx->diags, ctx->path, node,
                                  "'%s' is not a valid duration: '%s' (examples: 30s, 5m, 1h30m, "
                                  "500ms)",
                                  f->key, s);
        if ((f->min != 0 || f->max != 0) && (u < (usec_t) f->min || u > (usec_t) f->max))
                return yaml_error(ctx->diags, ctx->path, node, "'%s' must be between %s and %s",
                                  f->key, format_duration(a, sizeof(a), (usec_t) f->min),
                                  format_duration(b, sizeof(b), (usec_t) f->max));
        *(usec_t *) dest = u;
        return 0;
}

int schema_parse_enum(SchemaContext *ctx, const YamlNode *node, const SchemaField *f, void *dest) {
        const char *const *names = f->data;
        const char *s = NULL;
        char expected[256] = "";
        size_t off = 0;

        if (schema_expect_string(ctx, node, f->key, &s) < 0)
                return -EINVAL;
        for (int i = 0; names[i]; i++)
                if (streq(names[i], s)) {
                        *(int *) dest = i;
                        return 0;
                }
        for (int i = 0; names[i] && off < sizeof(expected); i++) {
                int k = snprintf(expected + off, sizeof(expected) - off, "%s%s", i ? ", " : "",
                                 names[i]);
                off += k > 0 ? (size_t) k : 0;
        }
        return yaml_error(ctx->diags, ctx->path, node, "'%s' must be one of %s, got '%s'", f->key,
                          expected, s);
}

int schema_parse_mapping_field(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                               void *dest) {
        char what[128];

        snprintf(what, sizeof(what), "'%s'", f->key);
        return schema_parse_mapping(ctx, node, what, f->data, dest, NULL);
}

int schema_parse_string_list(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                             void *dest) {
        _cleanup_strv_free_ char **l = NULL;
        bool bad = false;

        if (!node || node->type != YAML_TREE_SEQUENCE)
                return yaml_error(ctx->diags, ctx->path, node, "'%s' must be a sequence, got %s",
                                  f->key, yaml_node_describe(node));
        l = calloc(node->n_items + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0, n = 0; i < node->n_items; i++) {
                const char *s = NULL;
                if (schema_expect_string(ctx, node->items[i], f->key, &s) < 0) {
                        bad = true;
                        continue;
                }
                if (!(l[n++] = strdup(s)))
                        return -ENOMEM;
        }
        if (bad)
                return -EINVAL;
        strv_free(*(char ***) dest);
        *(char ***) dest = TAKE_PTR(l);
        return 0;
}
