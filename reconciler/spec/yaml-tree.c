/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <yaml.h>

#include "reconciler/spec/limits.h"
#include "reconciler/spec/yaml-tree.h"

#include "lib/sort-util.h"
#include "lib/string-table.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

/* An open collection and its members so far: they are collected here, in a buffer that every
 * collection at this depth reuses, and copied into the arena at its end, exactly sized. */
typedef struct Level {
        YamlNode *node;
        void *members; /* YamlPair[] (mapping) or YamlNode *[] (sequence) */
        size_t n;
        /* in bytes: the buffer of a depth serves every collection opened there in turn,
         * sequences and mappings, whose members differ in size */
        size_t allocated;
} Level;

/* The parse in progress: the open collections and where each document's root goes. */
typedef struct Builder {
        const char *path;
        DiagList *diags;
        YamlStream *stream;
        Level stack[LIMIT_NESTING_DEPTH + 1];
        size_t depth;
        YamlNode *root; /* the current document's root, until DOCUMENT_END */
        size_t n_nodes;
        bool failed; /* an error that makes the rest of the stream meaningless */
} Builder;

static const char *const yaml_node_type_table[] = {
        [YAML_TREE_SCALAR] = "scalar",
        [YAML_TREE_MAPPING] = "mapping",
        [YAML_TREE_SEQUENCE] = "sequence",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(yaml_node_type, YamlNodeType);

const char *yaml_node_describe(const YamlNode *n) {
        static const char *const kind_table[] = {
                [YAML_KIND_NULL] = "null",       [YAML_KIND_BOOL] = "a boolean",
                [YAML_KIND_INT] = "an integer",  [YAML_KIND_FLOAT] = "a number",
                [YAML_KIND_STRING] = "a string",
        };
        if (!n)
                return "nothing";
        if (n->type == YAML_TREE_MAPPING)
                return "a mapping";
        if (n->type == YAML_TREE_SEQUENCE)
                return "a sequence";
        return kind_table[n->kind];
}

static int yaml_errorv(DiagList *diags, const char *path, unsigned line, unsigned column,
                       const char *format, va_list ap) {
        if (diags->n_errors > LIMIT_DIAGNOSTICS_PER_FILE)
                return -EINVAL;
        if (diags->n_errors == LIMIT_DIAGNOSTICS_PER_FILE) {
                (void) diag_error(diags, path, line, column,
                                  "too many errors, the rest of this file is not reported");
                return -EINVAL;
        }
        (void) diag_addv(diags, DIAG_ERROR, path, line, column, format, ap);
        return -EINVAL;
}

int yaml_error_at(DiagList *diags, const char *path, unsigned line, unsigned column,
                  const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        (void) yaml_errorv(diags, path, line, column, format, ap);
        va_end(ap);
        return -EINVAL;
}

int yaml_error(DiagList *diags, const char *path, const YamlNode *n, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        (void) yaml_errorv(diags, path, n ? n->line : 1, n ? n->column : 1, format, ap);
        va_end(ap);
        return -EINVAL;
}

YamlStream *yaml_stream_free(YamlStream *s) {
        if (!s)
                return NULL;
        arena_done(&s->arena);
        free(s->documents);
        free(s);
        return NULL;
}

const YamlNode *yaml_node_get(const YamlNode *m, const char *key) {
        if (!m || m->type != YAML_TREE_MAPPING)
                return NULL;
        for (size_t i = 0; i < m->n_pairs; i++)
                if (m->pairs[i].key->kind == YAML_KIND_STRING && streq(m->pairs[i].key->value, key))
                        return m->pairs[i].value;
        return NULL;
}

const char *yaml_node_string(const YamlNode *n) {
        if (!n || n->type != YAML_TREE_SCALAR || n->kind != YAML_KIND_STRING)
                return NULL;
        return n->value;
}

/* ---- scalar resolution (YAML 1.2 core schema) ------------------------------------------- */

/* The literals are told apart by their first character first: every plain scalar that may be
 * a number asks, and most of them are numbers, which begin with none of these. */
static bool is_null_literal(const char *s) {
        switch (s[0]) {
        case 0:
                return true;
        case '~':
                return s[1] == 0;
        case 'n':
        case 'N':
                return streq(s, "null") || streq(s, "Null") || streq(s, "NULL");
        default:
                return false;
        }
}

static int bool_literal(const char *s) {
        switch (s[0]) {
        case 't':
        case 'T':
                return streq(s, "true") || streq(s, "True") || streq(s, "TRUE") ? 1 : -1;
        case 'f':
        case 'F':
                return streq(s, "false") || streq(s, "False") || streq(s, "FALSE") ? 0 : -1;
        default:
                return -1;
        }
}

/* 1: an integer literal (value in *ret), 0: not one, -ERANGE: one that does not fit. */
static int int_literal(const char *s, int64_t *ret) {
        const char *p = s;
        bool neg = false;
        unsigned base = 10;
        uint64_t v = 0;

        if (*p == '-' || *p == '+')
                neg = *p++ == '-';
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o') && p == s) {
                base = p[1] == 'x' ? 16 : 8;
                p += 2;
        }
        if (!*p)
                return 0;
        for (; *p; p++) {
                unsigned d;
                if (isdigit((unsigned char) *p))
                        d = (unsigned) (*p - '0');
                else if (base == 16 && isxdigit((unsigned char) *p))
                        d = (unsigned) (tolower((unsigned char) *p) - 'a' + 10);
                else
                        return 0;
                if (d >= base)
                        return 0;
                if (v > (UINT64_MAX - d) / base)
                        return -ERANGE;
                v = v * base + d;
        }
        if (v > (uint64_t) INT64_MAX + (neg ? 1u : 0u))
                return -ERANGE;
        *ret = neg ? (int64_t) (0 - v) : (int64_t) v;
        return 1;
}

static bool float_literal(const char *s) {
        static const char *const specials[] = { ".inf",  ".Inf",  ".INF",  "-.inf",
                                                "-.Inf", "-.INF", "+.inf", "+.Inf",
                                                "+.INF", ".nan",  ".NaN",  ".NAN" };
        const char *p = s;
        bool digits = false;

        /* The specials all begin with '.', '+' or '-'; most scalars that get here are names
         * such as "fn-1", which need none of the twelve strcmp(). */
        for (size_t i = 0; (s[0] == '.' || s[0] == '+' || s[0] == '-') && i < ELEMENTSOF(specials);
             i++)
                if (streq(s, specials[i]))
                        return true;
        if (*p == '-' || *p == '+')
                p++;
        for (; isdigit((unsigned char) *p); p++)
                digits = true;
        if (*p == '.')
                for (p++; isdigit((unsigned char) *p); p++)
                        digits = true;
        if (!digits)
                return false;
        if (*p == 'e' || *p == 'E') {
                p++;
                if (*p == '-' || *p == '+')
                        p++;
                if (!isdigit((unsigned char) *p))
                        return false;
                while (isdigit((unsigned char) *p))
                        p++;
        }
        return *p == 0;
}

/* The first characters of a null, a boolean or a number ("~nNtTfF+-.0123456789"): a table,
 * since every plain scalar of every file asks. */
static const bool may_resolve[256] = {
        ['~'] = true, ['n'] = true, ['N'] = true, ['t'] = true, ['T'] = true,         ['f'] = true,
        ['F'] = true, ['+'] = true, ['-'] = true, ['.'] = true, ['0' ... '9'] = true,
};

static int resolve_plain(Builder *b, YamlNode *n) {
        int r, k;

        /* Most plain scalars are keys, names and ARNs: only these first characters can start
         * a null, a boolean or a number, so the others need none of the checks below. */
        if (n->value[0] && !may_resolve[(unsigned char) n->value[0]]) {
                n->kind = YAML_KIND_STRING;
                return 0;
        }
        if (is_null_literal(n->value)) {
                n->kind = YAML_KIND_NULL;
                return 0;
        }
        k = bool_literal(n->value);
        if (k >= 0) {
                n->kind = YAML_KIND_BOOL;
                n->bool_value = k;
                return 0;
        }
        r = int_literal(n->value, &n->int_value);
        if (r == -ERANGE) {
                n->kind = YAML_KIND_INT;
                return yaml_error(b->diags, b->path, n, "integer '%s' is out of range", n->value);
        }
        if (r > 0) {
                n->kind = YAML_KIND_INT;
                return 0;
        }
        n->kind = float_literal(n->value) ? YAML_KIND_FLOAT : YAML_KIND_STRING;
        return 0;
}

/* Resolves an explicitly tagged scalar; only the core schema's own tags are understood. */
static int resolve_tagged(Builder *b, YamlNode *n, const char *tag) {
        const char *t = startswith(tag, TAG_PREFIX) ? tag + strlen(TAG_PREFIX) : NULL;
        int r;

        if (!t)
                return yaml_error(b->diags, b->path, n, "unsupported tag '%s'", tag);
        if (streq(t, "str")) {
                n->kind = YAML_KIND_STRING;
                return 0;
        }
        r = resolve_plain(b, n);
        if (r < 0)
                return r;
        if ((streq(t, "int") && n->kind == YAML_KIND_INT) ||
            (streq(t, "bool") && n->kind == YAML_KIND_BOOL) ||
            (streq(t, "null") && n->kind == YAML_KIND_NULL) ||
            (streq(t, "float") && (n->kind == YAML_KIND_FLOAT || n->kind == YAML_KIND_INT)))
                return 0;
        n->kind = YAML_KIND_STRING;
        return yaml_error(b->diags, b->path, n, "value '%s' does not match its tag '!!%s'",
                          n->value, t);
}

/* ---- building --------------------------------------------------------------------------- */

static int builder_fail(Builder *b, const yaml_mark_t *m, const char *format, ...) _printf_(3, 4);
static int builder_fail(Builder *b, const yaml_mark_t *m, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        (void) yaml_errorv(b->diags, b->path, (unsigned) m->line + 1, (unsigned) m->column + 1,
                           format, ap);
        va_end(ap);
        b->failed = true;
        return -EINVAL;
}

static YamlNode *builder_new_node(Builder *b, YamlNodeType type, const yaml_mark_t *m) {
        YamlNode *n;

        if (b->n_nodes >= LIMIT_NODES_PER_FILE) {
                (void) builder_fail(b, m, "too many YAML nodes in this file (limit %u)",
                                    LIMIT_NODES_PER_FILE);
                return NULL;
        }
        n = arena_alloc(&b->stream->arena, sizeof(*n));
        if (!n)
                return NULL;
        b->n_nodes++;
        *n = (YamlNode){
                .type = type,
                .line = (unsigned) m->line + 1,
                .column = (unsigned) m->column + 1,
        };
        return n;
}

static bool collection_tag_ok(const char *tag, const char *expected) {
        return !tag || streq(tag, "!") ||
               (startswith(tag, TAG_PREFIX) && streq(tag + strlen(TAG_PREFIX), expected));
}

/* Room for one more member of size bytes; the buffer doubles, so a 200,000-item sequence is
 * not quadratic. */
static int level_reserve_one(Level *l, size_t size) {
        size_t a;
        void *p;

        if ((l->n + 1) * size <= l->allocated)
                return 0;
        a = MAX(l->allocated * 2, 8 * size);
        p = realloc(l->members, a);
        if (!p)
                return -ENOMEM;
        l->members = p;
        l->allocated = a;
        return 0;
}

/* Hands n to the innermost open collection (or makes it the document root). */
static int builder_attach(Builder *b, YamlNode *n) {
        Level *l;
        YamlPair *pairs;

        if (b->depth == 0) {
                if (b->root) /* cannot happen with libyaml; be safe */
                        return -EINVAL;
                b->root = n;
                return 0;
        }
        l = &b->stack[b->depth - 1];
        if (l->node->type == YAML_TREE_SEQUENCE) {
                if (level_reserve_one(l, sizeof(YamlNode *)) < 0)
                        return -ENOMEM;
                ((YamlNode **) l->members)[l->n++] = n;
                return 0;
        }
        pairs = l->members;
        if (l->n > 0 && !pairs[l->n - 1].value) {
                pairs[l->n - 1].value = n;
                return 0;
        }
        if (n->type != YAML_TREE_SCALAR) {
                yaml_mark_t m = { .line = n->line - 1, .column = n->column - 1 };
                return builder_fail(b, &m, "mapping keys must be scalars");
        }
        if (level_reserve_one(l, sizeof(YamlPair)) < 0)
                return -ENOMEM;
        ((YamlPair *) l->members)[l->n++] = (YamlPair){ .key = n };
        return 0;
}

static int builder_scalar(Builder *b, const yaml_event_t *e) {
        const char *tag = (const char *) e->data.scalar.tag;
        size_t len = e->data.scalar.length;
        YamlNode *n;
        int r = 0;

        if (len > LIMIT_SCALAR_LENGTH)
                return builder_fail(b, &e->start_mark, "scalar is too long (%zu bytes, limit %u)",
                                    len, LIMIT_SCALAR_LENGTH);
        n = builder_new_node(b, YAML_TREE_SCALAR, &e->start_mark);
        if (!n)
                return b->failed ? -EINVAL : -ENOMEM;
        n->value = arena_strndup(&b->stream->arena, (const char *) e->data.scalar.value, len);
        if (!n->value)
                return -ENOMEM;
        n->length = len;
        n->kind = YAML_KIND_STRING;
        /* libyaml refuses a raw NUL in its input ("control characters are not allowed"): only
         * the escape "\0" of a double-quoted scalar makes one */
        if (e->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE && memchr(n->value, 0, len))
                r = yaml_error(b->diags, b->path, n, "scalar contains a NUL character");
        else if (tag && !streq(tag, "!"))
                r = resolve_tagged(b, n, tag);
        else if (!tag && e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
                r = resolve_plain(b, n);
        (void) r; /* a bad scalar is reported; the tree stays usable for further checks */
        return builder_attach(b, n);
}

static int builder_start(Builder *b, const yaml_event_t *e, YamlNodeType type) {
        const char *tag = (const char *) (type == YAML_TREE_MAPPING ? e->data.mapping_start.tag
                                                                    : e->data.sequence_start.tag);
        YamlNode *n;
        int r;

        if (b->depth >= LIMIT_NESTING_DEPTH)
                return builder_fail(b, &e->start_mark, "nesting is too deep (limit %u levels)",
                                    LIMIT_NESTING_DEPTH);
        n = builder_new_node(b, type, &e->start_mark);
        if (!n)
                return b->failed ? -EINVAL : -ENOMEM;
        if (!collection_tag_ok(tag, type == YAML_TREE_MAPPING ? "map" : "seq"))
                (void) yaml_error(b->diags, b->path, n, "unsupported tag '%s'", tag);
        r = builder_attach(b, n);
        if (r < 0)
                return r;
        b->stack[b->depth].node = n;
        b->stack[b->depth].n = 0;
        b->depth++;
        return 0;
}

static int pair_compare(const void *a, const void *b) {
        const YamlPair *x = *(const YamlPair *const *) a, *y = *(const YamlPair *const *) b;
        int c = strcmp(x->key->value, y->key->value);

        if (c != 0)
                return c;
        return x < y ? -1 : x > y;
}

static bool key_equal(const YamlNode *a, const YamlNode *b) {
        return a->length == b->length && streq(a->value, b->value);
}

/* Whether a small mapping (most are: a document has a handful of keys) has a duplicate key,
 * without the allocation and the sort. */
static bool mapping_has_duplicates(const YamlNode *m) {
        for (size_t i = 1; i < m->n_pairs; i++)
                for (size_t j = 0; j < i; j++)
                        if (key_equal(m->pairs[i].key, m->pairs[j].key))
                                return true;
        return false;
}

/* Duplicate keys are found by sorting pointers to the pairs, so a mapping with many keys costs
 * n log n, not n². The later occurrence is reported, with the first one's position. */
static int mapping_check_duplicates(Builder *b, const YamlNode *m) {
        _cleanup_free_ const YamlPair **v = NULL;

        if (m->n_pairs < 2 || (m->n_pairs <= 16 && !mapping_has_duplicates(m)))
                return 0;
        v = calloc(m->n_pairs, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_pairs; i++)
                v[i] = &m->pairs[i];
        qsort_safe(v, m->n_pairs, sizeof(*v), pair_compare);
        for (size_t i = 1, first = 0; i < m->n_pairs; i++) {
                if (!streq(v[i]->key->value, v[first]->key->value)) {
                        first = i;
                        continue;
                }
                (void) yaml_error(b->diags, b->path, v[i]->key,
                                  "duplicate key '%s' (first at line %u, column %u)",
                                  v[i]->key->value, v[first]->key->line, v[first]->key->column);
        }
        return 0;
}

/* Closes the innermost collection: its members move into the arena, exactly sized. */
static int builder_end(Builder *b) {
        Level *l;
        YamlNode *n;
        void *members = NULL;

        if (b->depth == 0)
                return -EINVAL;
        l = &b->stack[--b->depth];
        n = l->node;
        if (l->n > 0) {
                size_t size = n->type == YAML_TREE_MAPPING ? sizeof(YamlPair) : sizeof(YamlNode *);
                members = arena_memdup(&b->stream->arena, l->members, l->n * size);
                if (!members)
                        return -ENOMEM;
        }
        if (n->type == YAML_TREE_MAPPING) {
                n->pairs = members;
                n->n_pairs = l->n;
                return mapping_check_duplicates(b, n);
        }
        n->items = members;
        n->n_items = l->n;
        return 0;
}

static int builder_alias(Builder *b, const yaml_event_t *e) {
        YamlNode *n = builder_new_node(b, YAML_TREE_SCALAR, &e->start_mark);

        if (!n)
                return b->failed ? -EINVAL : -ENOMEM;
        n->kind = YAML_KIND_NULL;
        if (!(n->value = arena_strndup(&b->stream->arena, "", 0)))
                return -ENOMEM;
        (void) yaml_error(b->diags, b->path, n, "aliases are not supported ('*%s')",
                          (const char *) e->data.alias.anchor);
        return builder_attach(b, n);
}

/* Appends root to the stream's documents; the array doubles. */
static int stream_add_document(YamlStream *s, YamlNode *root) {
        size_t n = s->n_documents;

        if (n >= 8 && (n & (n - 1)) == 0) {
                YamlNode **p = reallocarray(s->documents, n * 2, sizeof(*p));
                if (!p)
                        return -ENOMEM;
                s->documents = p;
        } else if (n == 0 && !(s->documents = calloc(8, sizeof(YamlNode *))))
                return -ENOMEM;
        s->documents[s->n_documents++] = root;
        return 0;
}

static int builder_document_end(Builder *b) {
        YamlNode *root = TAKE_PTR(b->root);

        if (!root)
                return 0;
        /* A document that is a bare null scalar ("---" followed by nothing) is empty. */
        if (root->type == YAML_TREE_SCALAR && root->kind == YAML_KIND_NULL && root->length == 0)
                return 0;
        if (b->stream->n_documents >= LIMIT_DOCUMENTS_PER_FILE) {
                yaml_mark_t m = { .line = root->line - 1, .column = root->column - 1 };
                return builder_fail(b, &m, "too many documents in this file (limit %u)",
                                    LIMIT_DOCUMENTS_PER_FILE);
        }
        return stream_add_document(b->stream, root);
}

static int builder_event(Builder *b, const yaml_event_t *e) {
        switch (e->type) {
        case YAML_SCALAR_EVENT:
                return builder_scalar(b, e);
        case YAML_MAPPING_START_EVENT:
                return builder_start(b, e, YAML_TREE_MAPPING);
        case YAML_SEQUENCE_START_EVENT:
                return builder_start(b, e, YAML_TREE_SEQUENCE);
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
                return builder_end(b);
        case YAML_ALIAS_EVENT:
                return builder_alias(b, e);
        case YAML_DOCUMENT_START_EVENT:
                b->depth = 0;
                return 0;
        case YAML_DOCUMENT_END_EVENT:
                return builder_document_end(b);
        default:
                return 0;
        }
}

static const char *parser_problem(const yaml_parser_t *p) {
        return p->problem ?: "syntax error";
}

static int builder_run(Builder *b, const void *data, size_t size) {
        yaml_parser_t parser;
        bool done = false;
        int r = 0;

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, data, size);
        while (!done && !b->failed) {
                yaml_event_t e;

                if (!yaml_parser_parse(&parser, &e)) {
                        if (parser.error == YAML_MEMORY_ERROR) {
                                r = -ENOMEM;
                                break;
                        }
                        (void) builder_fail(b, &parser.problem_mark, "syntax error: %s%s%s%s",
                                            parser_problem(&parser), parser.context ? " (" : "",
                                            parser.context ?: "", parser.context ? ")" : "");
                        break;
                }
                done = e.type == YAML_STREAM_END_EVENT;
                r = builder_event(b, &e);
                yaml_event_delete(&e);
                if (r < 0 && r != -EINVAL)
                        break;
                r = 0;
        }
        yaml_parser_delete(&parser);
        return r;
}

int yaml_tree_parse(const char *path, const void *data, size_t size, DiagList *diags,
                    YamlStream **ret_stream) {
        size_t errors_before = diags->n_errors;
        Builder b = { .path = path, .diags = diags };
        int r;

        b.stream = calloc(1, sizeof(YamlStream));
        if (!b.stream)
                return -ENOMEM;
        if (size > LIMIT_FILE_SIZE) {
                *ret_stream = b.stream;
                return yaml_error_at(diags, path, 1, 1, "file is too large (%zu bytes, limit %u)",
                                     size, LIMIT_FILE_SIZE);
        }
        r = builder_run(&b, data, size);
        /* The document in progress at an error is incomplete: it is dropped (its nodes stay in
         * the arena until the stream is freed). */
        for (size_t i = 0; i < ELEMENTSOF(b.stack); i++)
                free(b.stack[i].members);
        if (r < 0) {
                yaml_stream_free(b.stream);
                return r;
        }
        *ret_stream = b.stream;
        return diags->n_errors > errors_before ? -EINVAL : 0;
}
