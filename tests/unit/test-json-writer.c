/* SPDX-License-Identifier: MIT */
/* lib/json-writer: the bytes of json_dumps() for the same document, value by value and
 * document by document, at every indentation and nesting depth; jansson's UTF-8 rules; sticky
 * errors that write nothing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/json-writer.h"
#include "lib/macro.h"

/* What the writer collected, flushed through a FILE like the callers do. */
static char *writer_text(JsonWriter *w) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        assert_non_null(f);
        assert_int_equal(json_writer_flush(w, f), 0);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(json_writer_pending(w), 0);
        return text;
}

static void assert_dumps_like_jansson(const json_t *j, unsigned indent, bool sort) {
        size_t flags = JSON_ENCODE_ANY | JSON_INDENT(indent) | (sort ? JSON_SORT_KEYS : 0);
        _cleanup_free_ char *want = json_dumps(j, flags), *got = NULL;
        JsonWriter w;

        assert_non_null(want);
        json_writer_init(&w, indent, 0, sort);
        json_writer_json(&w, j);
        got = writer_text(&w);
        json_writer_done(&w);
        assert_string_equal(got, want);
}

static const char *const documents[] = {
        "{}",
        "[]",
        "{\"a\": {}, \"b\": [], \"c\": [{}], \"d\": [[]]}",
        "{\"z\": 1, \"a\": -2, \"m\": 9223372036854775807, \"b\": -9223372036854775808}",
        "{\"onFailure\": {\"destination\": \"OBS\", \"param\": {\"bucket\": \"b\", \"prefix\": "
        "\"/f\", \"expires\": 0, \"nested\": {\"y\": [1, 2, {\"x\": null}], \"a\": true}}}}",
        "[1, \"two\", 3.5, true, false, null, [], {}, [[[\"deep\"]]], 1e300, -0.0, 0.1]",
        "{\"esc\": \"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t \\u0001\\u001f\\u007f \\u00e9 \\u4e2d "
        "\\ud83d\\ude00\", \"k\\\"ey\\n\": 1, \"\\u00e9\": 2, \"e\": 3, \"ab\": 4, \"a\": 5}",
        "\"just a string\"",
        "42",
        "null",
};

static void test_values(void **state) {
        static const unsigned indents[] = { 0, 1, 2, 4, 31 };

        for (size_t i = 0; i < ELEMENTSOF(documents); i++) {
                json_t *j = json_loads(documents[i], JSON_DECODE_ANY, NULL);
                assert_non_null(j);
                for (size_t k = 0; k < ELEMENTSOF(indents); k++) {
                        assert_dumps_like_jansson(j, indents[k], false);
                        assert_dumps_like_jansson(j, indents[k], true);
                }
                json_decref(j);
        }
        (void) state;
}

/* The compact form (request bodies): json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER). */
static void test_compact(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(documents); i++) {
                json_t *j = json_loads(documents[i], JSON_DECODE_ANY, NULL);
                _cleanup_free_ char *want = NULL, *got = NULL;
                JsonWriter w;
                size_t n = 0;

                assert_non_null(j);
                want = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT | JSON_PRESERVE_ORDER);
                assert_non_null(want);
                json_writer_init_compact(&w);
                json_writer_json(&w, j);
                assert_int_equal(json_writer_take(&w, &got, &n), 0);
                assert_string_equal(got, want);
                assert_int_equal(n, strlen(want));
                json_decref(j);
        }

        /* A failure of the caller's is sticky and take() reports it. */
        JsonWriter w;
        char *text = NULL;
        size_t n = 0;
        json_writer_init_compact(&w);
        json_writer_open_object(&w);
        json_writer_fail(&w, -ENOMEM);
        json_writer_fail(&w, -EINVAL);
        json_writer_close_object(&w);
        assert_int_equal(json_writer_take(&w, &text, &n), -ENOMEM);
        assert_null(text);
        (void) state;
}

/* A string with a NUL inside (jansson's own strings may hold one) is escaped, not cut. */
static void test_embedded_nul(void **state) {
        json_t *j = json_stringn("a\0b", 3);

        assert_non_null(j);
        assert_dumps_like_jansson(j, 0, false);
        json_decref(j);
        (void) state;
}

/* The calls build what the tree would be, including documents split over several writers the
 * way cli-plan and the state store write them (each record at its depth, then the glue). */
static void test_document_by_calls(void **state) {
        json_t *tree = json_pack("{s:[{s:s, s:I, s:s?, s:[]}, {s:{}, s:b}], s:{s:i, s:i}}",
                                 "resources", "name", "r1", "line", (json_int_t) 7, "account", NULL,
                                 "diff", "error", "ok", false, "summary", "total", 2, "error", 0);
        _cleanup_free_ char *want = json_dumps(tree, JSON_INDENT(2)), *got = NULL;
        JsonWriter w;

        assert_non_null(want);
        json_writer_init(&w, 2, 0, false);
        json_writer_open_object(&w);
        json_writer_key(&w, "resources");
        json_writer_open_array(&w);
        json_writer_open_object(&w);
        json_writer_key(&w, "name");
        json_writer_string(&w, "r1");
        json_writer_key(&w, "line");
        json_writer_integer(&w, 7);
        json_writer_key(&w, "account");
        json_writer_string_or_null(&w, NULL);
        json_writer_key(&w, "diff");
        json_writer_open_array(&w);
        json_writer_close_array(&w);
        json_writer_close_object(&w);
        json_writer_open_object(&w);
        json_writer_key(&w, "error");
        json_writer_open_object(&w);
        json_writer_close_object(&w);
        json_writer_key(&w, "ok");
        json_writer_bool(&w, false);
        json_writer_close_object(&w);
        json_writer_close_array(&w);
        json_writer_key(&w, "summary");
        json_writer_json(&w, json_object_get(tree, "summary"));
        json_writer_close_object(&w);
        got = writer_text(&w);
        json_writer_done(&w);
        assert_string_equal(got, want);
        json_decref(tree);
        (void) state;
}

/* A value written on its own at depth 2 lands where it would inside the whole document. */
static void test_depth(void **state) {
        json_t *item = json_pack("{s:s, s:{s:[i, i]}}", "a", "b", "c", "d", 1, 2),
               *tree = json_pack("{s:[O, O]}", "x", item, item);
        _cleanup_free_ char *want = json_dumps(tree, JSON_INDENT(3)), *got = NULL;
        char *head = NULL, *one = NULL;
        JsonWriter w;

        json_writer_init(&w, 3, 2, false);
        json_writer_json(&w, item);
        one = writer_text(&w);
        json_writer_done(&w);
        assert_true(asprintf(&head, "{\n   \"x\": [\n      %s,\n      %s\n   ]\n}", one, one) > 0);
        got = head;
        assert_string_equal(got, want);
        free(one);
        json_decref(item);
        json_decref(tree);
        (void) state;
}

/* UTF-8 exactly as json_string() takes it; a refused string fails the writer, and the flush
 * then writes nothing. */
static void test_utf8(void **state) {
        static const char *const strings[] = {
                "plain",
                "\xc3\xa9",
                "\xe4\xb8\xad",
                "\xf0\x9f\x98\x80",
                "\xf4\x8f\xbf\xbf",
                "\xef\xbf\xbf",
                "\x7f",
                "\xc3",
                "\xc0\x80",
                "\xc1\xbf",
                "\xe0\x80\x80",
                "\xe0\x9f\xbf",
                "\xed\xa0\x80",
                "\xed\xbf\xbf",
                "\xf0\x80\x80\x80",
                "\xf4\x90\x80\x80",
                "\xf5\x80\x80\x80",
                "\xff",
                "\x80",
                "a\xe4\xb8",
                "\xc3\x28",
        };

        for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
                json_t *j = json_string(strings[i]);
                JsonWriter w;
                char *text = NULL;
                size_t size = 0;
                FILE *f = open_memstream(&text, &size);

                json_writer_init(&w, 0, 0, false);
                json_writer_open_array(&w);
                json_writer_string(&w, strings[i]);
                json_writer_close_array(&w);
                assert_int_equal(json_writer_error(&w), j ? 0 : -EINVAL);
                assert_int_equal(json_writer_flush(&w, f), j ? 0 : -EINVAL);
                fclose(f);
                if (j) {
                        _cleanup_free_ char *want = NULL;
                        json_t *a = json_pack("[O]", j);
                        want = json_dumps(a, 0);
                        assert_string_equal(text, want);
                        json_decref(a);
                } else
                        assert_int_equal(size, 0);
                free(text);
                json_writer_done(&w);
                json_decref(j);
        }
        (void) state;
}

/* Strings are scanned eight bytes at a time: every byte value (and a UTF-8 sequence, valid or
 * not) at every offset of a longer string comes out as jansson writes it, or is refused as
 * jansson refuses it. */
static void test_bytes_at_every_offset(void **state) {
        static const char *const inserts[] = { "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80",
                                               "\xed\xa0\x80", "\xc3\x28" };
        char s[40];

        for (unsigned v = 1; v < 256 + ELEMENTSOF(inserts); v++)
                for (size_t off = 0; off < 20; off++) {
                        const char *ins = v < 256 ? (char[]){ (char) v, 0 } : inserts[v - 256];
                        json_t *j;
                        JsonWriter w;

                        memset(s, 'a', sizeof(s));
                        memcpy(s + off, ins, strlen(ins));
                        s[24] = 0;
                        j = json_string(s);
                        json_writer_init(&w, 0, 0, false);
                        json_writer_string(&w, s);
                        assert_int_equal(json_writer_error(&w), j ? 0 : -EINVAL);
                        if (j) {
                                _cleanup_free_ char *want = json_dumps(j, JSON_ENCODE_ANY),
                                                    *got = writer_text(&w);
                                assert_string_equal(got, want);
                        }
                        json_writer_done(&w);
                        json_decref(j);
                }
        (void) state;
}

/* Flushing in the middle empties the buffer and keeps the layout going. */
static void test_flush_in_between(void **state) {
        json_t *tree = json_pack("[s, s, s]", "a", "b", "c");
        _cleanup_free_ char *want = json_dumps(tree, JSON_INDENT(1));
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        JsonWriter w;

        json_writer_init(&w, 1, 0, false);
        json_writer_open_array(&w);
        json_writer_string(&w, "a");
        assert_int_equal(json_writer_flush(&w, f), 0);
        json_writer_string(&w, "b");
        assert_int_equal(json_writer_flush(&w, f), 0);
        assert_int_equal(json_writer_flush(&w, f), 0);
        json_writer_string(&w, "c");
        json_writer_close_array(&w);
        assert_int_equal(json_writer_flush(&w, f), 0);
        fclose(f);
        assert_string_equal(text, want);
        free(text);
        json_writer_done(&w);
        json_decref(tree);
        (void) state;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_compact),
                cmocka_unit_test(test_embedded_nul),
                cmocka_unit_test(test_document_by_calls),
                cmocka_unit_test(test_depth),
                cmocka_unit_test(test_utf8),
                cmocka_unit_test(test_bytes_at_every_offset),
                cmocka_unit_test(test_flush_in_between),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
