/* SPDX-License-Identifier: MIT */
/* The YAML node tree: positions, scalar resolution, aliases, duplicate keys, and every limit
 * (just inside and just outside), each with its exact location. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "reconciler/spec/limits.h"
#include "reconciler/spec/yaml-tree.h"

static int parse(const char *yaml, size_t size, DiagList *diags, YamlStream **ret) {
        diag_list_init(diags);
        return yaml_tree_parse("t.yaml", yaml, size, diags, ret);
}

static void expect_one_error(const char *yaml, size_t size, unsigned line, unsigned col,
                             const char *text) {
        _cleanup_(yaml_stream_freep) YamlStream *s = NULL;
        DiagList d;

        assert_int_equal(parse(yaml, size, &d, &s), -EINVAL);
        if (d.n_errors != 1 || d.items[0].line != line || d.items[0].column != col ||
            !strstr(d.items[0].message, text)) {
                diag_list_print(&d, stderr);
                fail_msg("expected %u:%u %s", line, col, text);
        }
        diag_list_done(&d);
}

static void expect_ok(const char *yaml, size_t size, size_t n_docs) {
        _cleanup_(yaml_stream_freep) YamlStream *s = NULL;
        DiagList d;

        int r = parse(yaml, size, &d, &s);
        if (r != 0)
                diag_list_print(&d, stderr);
        assert_int_equal(r, 0);
        assert_int_equal(s->n_documents, n_docs);
        diag_list_done(&d);
}

static void test_positions_and_kinds(void **state) {
        _cleanup_(yaml_stream_freep) YamlStream *s = NULL;
        const char *y = "# comment\n"
                        "a: 123\n"
                        "b: \"123\"\n"
                        "c: true\n"
                        "d: ~\n"
                        "e: 1.5\n"
                        "f: !!str 7\n"
                        "g:\n"
                        "  - x\n"
                        "  - {k: 0x10, j: -0x10}\n"
                        "h: yes\n";
        const YamlNode *root, *n;
        DiagList d;

        assert_int_equal(parse(y, strlen(y), &d, &s), 0);
        root = s->documents[0];
        assert_int_equal(root->type, YAML_TREE_MAPPING);
        assert_int_equal(root->line, 2);
        assert_int_equal(root->column, 1);
        assert_int_equal(root->n_pairs, 8);
        assert_int_equal(root->pairs[1].key->line, 3);
        assert_int_equal(root->pairs[1].key->column, 1);
        n = yaml_node_get(root, "a");
        assert_int_equal(n->kind, YAML_KIND_INT);
        assert_int_equal(n->int_value, 123);
        assert_int_equal(n->line, 2);
        assert_int_equal(n->column, 4);
        assert_int_equal(yaml_node_get(root, "b")->kind, YAML_KIND_STRING);
        assert_string_equal(yaml_node_string(yaml_node_get(root, "b")), "123");
        assert_int_equal(yaml_node_get(root, "c")->kind, YAML_KIND_BOOL);
        assert_true(yaml_node_get(root, "c")->bool_value);
        assert_int_equal(yaml_node_get(root, "d")->kind, YAML_KIND_NULL);
        assert_int_equal(yaml_node_get(root, "e")->kind, YAML_KIND_FLOAT);
        assert_int_equal(yaml_node_get(root, "f")->kind, YAML_KIND_STRING);
        n = yaml_node_get(root, "g");
        assert_int_equal(n->type, YAML_TREE_SEQUENCE);
        assert_int_equal(n->n_items, 2);
        assert_int_equal(n->items[1]->type, YAML_TREE_MAPPING);
        assert_int_equal(n->items[1]->line, 10);
        assert_int_equal(n->items[1]->column, 5);
        assert_int_equal(yaml_node_get(n->items[1], "k")->int_value, 16);
        /* the core schema has no signed hex: a string */
        assert_int_equal(yaml_node_get(n->items[1], "j")->kind, YAML_KIND_STRING);
        /* YAML 1.2 core schema: "yes" is a string */
        assert_int_equal(yaml_node_get(root, "h")->kind, YAML_KIND_STRING);
        assert_null(yaml_node_get(root, "zz"));
        assert_string_equal(yaml_node_describe(yaml_node_get(root, "a")), "an integer");
        diag_list_done(&d);
}

/* Every spelling of the core schema's literals, and near misses, resolved as YAML 1.2 says
 * (the checks look at the first character first: a table keeps every branch honest). */
static void test_plain_scalar_kinds(void **state) {
        static const struct {
                const char *value;
                YamlScalarKind kind;
        } cases[] = {
                { "~", YAML_KIND_NULL },       { "null", YAML_KIND_NULL },
                { "Null", YAML_KIND_NULL },    { "NULL", YAML_KIND_NULL },
                { "nul", YAML_KIND_STRING },   { "nulls", YAML_KIND_STRING },
                { "~~", YAML_KIND_STRING },    { "nULL", YAML_KIND_STRING },
                { "true", YAML_KIND_BOOL },    { "True", YAML_KIND_BOOL },
                { "TRUE", YAML_KIND_BOOL },    { "false", YAML_KIND_BOOL },
                { "False", YAML_KIND_BOOL },   { "FALSE", YAML_KIND_BOOL },
                { "tRUE", YAML_KIND_STRING },  { "fals", YAML_KIND_STRING },
                { "0", YAML_KIND_INT },        { "-17", YAML_KIND_INT },
                { "+3", YAML_KIND_INT },       { "0x1F", YAML_KIND_INT },
                { "0o17", YAML_KIND_INT },     { "1.5", YAML_KIND_FLOAT },
                { "-2e3", YAML_KIND_FLOAT },   { ".5", YAML_KIND_FLOAT },
                { ".inf", YAML_KIND_FLOAT },   { "-.Inf", YAML_KIND_FLOAT },
                { "+.INF", YAML_KIND_FLOAT },  { ".nan", YAML_KIND_FLOAT },
                { ".NaN", YAML_KIND_FLOAT },   { ".NAN", YAML_KIND_FLOAT },
                { "0.inf", YAML_KIND_STRING }, { ".infinity", YAML_KIND_STRING },
                { "1e", YAML_KIND_STRING },    { "fn-0", YAML_KIND_STRING },
                { "+", YAML_KIND_STRING },     { "-x", YAML_KIND_STRING },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_(yaml_stream_freep) YamlStream *s = NULL;
                char y[64];
                DiagList d;

                snprintf(y, sizeof(y), "k: %s\n", cases[i].value);
                assert_int_equal(parse(y, strlen(y), &d, &s), 0);
                if (yaml_node_get(s->documents[0], "k")->kind != cases[i].kind)
                        fail_msg("'%s' resolved to %s", cases[i].value,
                                 yaml_node_describe(yaml_node_get(s->documents[0], "k")));
                diag_list_done(&d);
        }
}

static void test_documents(void **state) {
        expect_ok("", 0, 0);
        expect_ok("# only a comment\n", 16, 0);
        expect_ok("---\n---\na: 1\n---\n...\n", 20, 1);
        expect_ok("a: 1\n---\nb: 2\n", 13, 2);
}

static void test_errors(void **state) {
        expect_one_error("a: 1\na: 2\n", 10, 2, 1, "duplicate key 'a' (first at line 1, column 1)");
        expect_one_error("a: &x 1\nb: *x\n", 14, 2, 4, "aliases are not supported ('*x')");
        expect_one_error("a: !!bool maybe\n", 16, 1, 4, "does not match its tag '!!bool'");
        expect_one_error("a: !custom 1\n", 13, 1, 4, "unsupported tag '!custom'");
        expect_one_error("a: \"x\\0y\"\n", 10, 1, 4, "scalar contains a NUL character");
        /* a raw NUL is libyaml's error, whatever the style: only the escape above makes one */
        expect_one_error("a: x\0y\n", 7, 1, 1, "control characters are not allowed");
        expect_one_error("a: 'x\0y'\n", 9, 1, 1, "control characters are not allowed");
        expect_one_error("a: |\n  x\0y\n", 12, 1, 1, "control characters are not allowed");
        expect_one_error("a: 9223372036854775808\n", 23, 1, 4,
                         "integer '9223372036854775808' is out of range");
        expect_one_error("? {a: 1}\n: 2\n", 13, 1, 3, "mapping keys must be scalars");
        expect_one_error("a: [1, 2\n", 9, 2, 1, "syntax error");
        expect_ok("a: -9223372036854775808\n", 23, 1);
}

/* A depth's member buffer serves a sequence, then a mapping (twice as large members): it was
 * sized in members, so the mapping wrote past its end (found by fuzz-loader, issue 15; ASan,
 * as in make SANITIZE=address check, sees the overflow). */
static void test_level_reuse(void **state) {
        _cleanup_(yaml_stream_freep) YamlStream *s = NULL;
        const char *y = "a: [1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
                        "b: {k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9, "
                        "k10: 10}\n";
        const YamlNode *b;
        DiagList d;

        assert_int_equal(parse(y, strlen(y), &d, &s), 0);
        assert_int_equal(s->n_documents, 1);
        b = yaml_node_get(s->documents[0], "b");
        assert_non_null(b);
        assert_int_equal(b->n_pairs, 10);
        for (unsigned i = 1; i <= 10; i++) {
                char key[8], value[8];
                snprintf(key, sizeof(key), "k%u", i);
                snprintf(value, sizeof(value), "%u", i);
                assert_string_equal(yaml_node_get(b, key)->value, value);
        }
        assert_int_equal(yaml_node_get(s->documents[0], "a")->n_items, 9);
        diag_list_done(&d);
}

/* A billion laughs: every alias is an error, nothing is expanded, and the report is capped. */
static void test_billion_laughs(void **state) {
        _cleanup_(yaml_stream_freep) YamlStream *s = NULL;
        const char *y = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n";
        DiagList d;

        assert_int_equal(parse(y, strlen(y), &d, &s), -EINVAL);
        assert_int_equal(d.n_errors, 27);
        diag_list_done(&d);
}

static void test_error_cap(void **state) {
        _cleanup_(yaml_stream_freep) YamlStream *s = NULL;
        _cleanup_free_ char *y = malloc(200 * 8);
        size_t off = 0;
        DiagList d;

        for (unsigned i = 0; i < 200; i++)
                off += (size_t) sprintf(y + off, "- *x\n");
        assert_int_equal(parse(y, off, &d, &s), -EINVAL);
        assert_int_equal(d.n_errors, LIMIT_DIAGNOSTICS_PER_FILE + 1);
        assert_non_null(strstr(d.items[d.n - 1].message, "too many errors"));
        diag_list_done(&d);
}

static char *nested(unsigned depth) {
        char *y = malloc(depth * 2 + 8);
        size_t off = 0;

        for (unsigned i = 0; i < depth; i++)
                y[off++] = '[';
        y[off++] = '1';
        for (unsigned i = 0; i < depth; i++)
                y[off++] = ']';
        y[off++] = '\n';
        y[off] = 0;
        return y;
}

static void test_limit_depth(void **state) {
        _cleanup_free_ char *ok = nested(LIMIT_NESTING_DEPTH);
        _cleanup_free_ char *bad = nested(LIMIT_NESTING_DEPTH + 1);

        expect_ok(ok, strlen(ok), 1);
        expect_one_error(bad, strlen(bad), 1, LIMIT_NESTING_DEPTH + 1,
                         "nesting is too deep (limit 32 levels)");
}

static void test_limit_scalar(void **state) {
        _cleanup_free_ char *y = malloc(LIMIT_SCALAR_LENGTH + 16);

        memcpy(y, "a: ", 3);
        memset(y + 3, 'x', LIMIT_SCALAR_LENGTH);
        strcpy(y + 3 + LIMIT_SCALAR_LENGTH, "\n");
        expect_ok(y, strlen(y), 1);
        memset(y + 3, 'x', LIMIT_SCALAR_LENGTH + 1);
        strcpy(y + 3 + LIMIT_SCALAR_LENGTH + 1, "\n");
        expect_one_error(y, strlen(y), 1, 4, "scalar is too long (4097 bytes, limit 4096)");
}

static void test_limit_documents(void **state) {
        _cleanup_free_ char *y = malloc((LIMIT_DOCUMENTS_PER_FILE + 1) * 16);
        size_t off = 0;

        for (unsigned i = 0; i < LIMIT_DOCUMENTS_PER_FILE; i++)
                off += (size_t) sprintf(y + off, "---\na: %u\n", i);
        expect_ok(y, off, LIMIT_DOCUMENTS_PER_FILE);
        off += (size_t) sprintf(y + off, "---\na: x\n");
        expect_one_error(y, off, 2 * LIMIT_DOCUMENTS_PER_FILE + 2, 1,
                         "too many documents in this file (limit 1000)");
}

static void test_limit_file_size(void **state) {
        _cleanup_free_ char *y = malloc(LIMIT_FILE_SIZE + 1);

        memset(y, '#', LIMIT_FILE_SIZE + 1);
        expect_ok(y, LIMIT_FILE_SIZE, 0);
        expect_one_error(y, LIMIT_FILE_SIZE + 1, 1, 1,
                         "file is too large (1048577 bytes, limit 1048576)");
}

static void test_limit_nodes(void **state) {
        /* "[0,0,0,...]": one node per two bytes; more nodes than the limit fit in 1 MiB */
        size_t n = LIMIT_NODES_PER_FILE + 1, off = 0;
        _cleanup_free_ char *y = malloc(n * 2 + 4);

        y[off++] = '[';
        for (size_t i = 0; i < n; i++) {
                y[off++] = '0';
                y[off++] = ',';
        }
        y[off - 1] = ']';
        expect_one_error(y, off, 1, 2 * LIMIT_NODES_PER_FILE, "too many YAML nodes in this file");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_positions_and_kinds),
                cmocka_unit_test(test_plain_scalar_kinds),
                cmocka_unit_test(test_documents),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_billion_laughs),
                cmocka_unit_test(test_error_cap),
                cmocka_unit_test(test_limit_depth),
                cmocka_unit_test(test_limit_scalar),
                cmocka_unit_test(test_limit_documents),
                cmocka_unit_test(test_limit_file_size),
                cmocka_unit_test(test_limit_nodes),
                cmocka_unit_test(test_level_reuse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
