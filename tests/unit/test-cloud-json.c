/* SPDX-License-Identifier: MIT */
/* clouds/cloud-json's body writer against what jansson's json_dumps(JSON_COMPACT |
 * JSON_PRESERVE_ORDER) makes of the same object: the bodies are signed, so they must not
 * change by a byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <cmocka.h>

#include "clouds/cloud-json.h"
#include "lib/macro.h"

static char *jansson_of(json_t *o) {
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        assert_non_null(s);
        json_decref(o);
        return s;
}

/* Every byte value in a string, alone and in the middle of text, as jansson writes it. */
static void test_strings_like_jansson(void **state) {
        for (unsigned c = 1; c < 0x80; c++) {
                char s[] = { 'a', (char) c, 'b', 0 };
                _cleanup_free_ char *want = NULL, *got = NULL;
                CloudJsonWriter w = {};
                size_t n;

                want = jansson_of(json_pack("{s:s}", "k", s));
                cloud_json_writer_open(&w, NULL);
                cloud_json_writer_string(&w, "k", s);
                cloud_json_writer_close(&w);
                assert_int_equal(cloud_json_writer_take(&w, &got, &n), 0);
                assert_string_equal(got, want);
                assert_int_equal(n, strlen(want));
        }
}

static void test_utf8(void **state) {
        static const char *const valid[] = { "caf\xc3\xa9", "\xe2\x82\xac/x", "\xf0\x9f\x98\x80", "\xe2\x80\xa8" };
        static const char *const invalid[] = { "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xffz" };

        for (size_t i = 0; i < ELEMENTSOF(valid); i++) {
                _cleanup_free_ char *want = jansson_of(json_pack("{s:s}", "k", valid[i])), *got = NULL;
                CloudJsonWriter w = {};
                size_t n;

                cloud_json_writer_open(&w, NULL);
                cloud_json_writer_string(&w, "k", valid[i]);
                cloud_json_writer_close(&w);
                assert_int_equal(cloud_json_writer_take(&w, &got, &n), 0);
                assert_string_equal(got, want);
        }
        for (size_t i = 0; i < ELEMENTSOF(invalid); i++) {
                char *got = NULL;
                CloudJsonWriter w = {};
                size_t n;

                assert_null(json_string(invalid[i])); /* jansson refuses it too */
                cloud_json_writer_open(&w, NULL);
                cloud_json_writer_string(&w, "k", invalid[i]);
                cloud_json_writer_close(&w);
                assert_int_equal(cloud_json_writer_take(&w, &got, &n), -EINVAL);
                assert_null(got);
        }
}

/* Nesting, integers at the ends of their range, booleans, an empty object. */
static void test_structure(void **state) {
        _cleanup_free_ char *want = NULL, *got = NULL;
        CloudJsonWriter w = {};
        size_t n;

        want = jansson_of(json_pack("{s:I, s:I, s:I, s:{s:{s:s}, s:{}}, s:b, s:b}", "min", (json_int_t) INT64_MIN,
                                    "max", (json_int_t) INT64_MAX, "zero", (json_int_t) 0, "d", "x", "y",
                                    "z", "e", "t", 1, "f", 0));
        cloud_json_writer_open(&w, NULL);
        cloud_json_writer_int(&w, "min", INT64_MIN);
        cloud_json_writer_int(&w, "max", INT64_MAX);
        cloud_json_writer_int(&w, "zero", 0);
        cloud_json_writer_open(&w, "d");
        cloud_json_writer_open(&w, "x");
        cloud_json_writer_string(&w, "y", "z");
        cloud_json_writer_close(&w);
        cloud_json_writer_open(&w, "e");
        cloud_json_writer_close(&w);
        cloud_json_writer_close(&w);
        cloud_json_writer_bool(&w, "t", true);
        cloud_json_writer_bool(&w, "f", false);
        cloud_json_writer_close(&w);
        assert_int_equal(cloud_json_writer_take(&w, &got, &n), 0);
        assert_string_equal(got, want);
        assert_int_equal(n, strlen(want));
}

/* The reader accepts what json_loadb(JSON_REJECT_DUPLICATES) accepts, and reads the same
 * values (as an object, the only thing it returns). */
static void assert_reads_like_jansson(const char *text, size_t n) {
        json_t *want = json_loadb(text, n, JSON_REJECT_DUPLICATES, NULL), *got = NULL;
        int r = cloud_json_parse_object(text, n, &got);

        if (!json_is_object(want)) {
                if (r != -EBADMSG)
                        fail_msg("accepted what jansson does not: '%.*s'", (int) n, text);
                json_decref(want);
                return;
        }
        if (r != 0)
                fail_msg("refused what jansson accepts: '%.*s'", (int) n, text);
        _cleanup_free_ char *a = json_dumps(want, JSON_COMPACT | JSON_PRESERVE_ORDER),
                           *b = json_dumps(got, JSON_COMPACT | JSON_PRESERVE_ORDER);
        assert_string_equal(b, a);
        assert_true(json_equal(want, got));
        json_decref(want);
        json_decref(got);
}

static void test_reader_like_jansson(void **state) {
        static const char *const cases[] = {
                "{}", " {} ", "\t\r\n{}\n", "[]", "[{}]", "{} x", "{}{}", "{", "}", "", " ", "{,}",
                "{\"a\":1}", "{\"a\":1,}", "{\"a\" : 1 , \"b\" : [1, 2 ,3] }", "{\"a\":[1,]}",
                "{\"a\":[,1]}", "{\"a\":1,\"a\":2}", "{\"a\":{\"a\":1},\"b\":{\"a\":2}}",
                "{a:1}", "{'a':1}", "{\"a\" 1}", "{\"a\":}", "{1:2}", "{\"\":0}",
                "{\"a\":true,\"b\":false,\"c\":null}", "{\"a\":tru}", "{\"a\":truex}",
                "{\"a\":True}", "{\"a\":nul}", "{\"a\":null1}",
                "{\"n\":0}", "{\"n\":-0}", "{\"n\":01}", "{\"n\":-}", "{\"n\":-a}", "{\"n\":+1}",
                "{\"n\":9223372036854775807}", "{\"n\":9223372036854775808}",
                "{\"n\":-9223372036854775808}", "{\"n\":-9223372036854775809}",
                "{\"n\":1.5}", "{\"n\":1.}", "{\"n\":.5}", "{\"n\":1e5}", "{\"n\":1E+5}",
                "{\"n\":1e-5}", "{\"n\":1e}", "{\"n\":1e+}", "{\"n\":1e999}", "{\"n\":-1e999}",
                "{\"n\":1e-999}", "{\"n\":12abc}", "{\"n\":0x10}", "{\"n\":Infinity}", "{\"n\":NaN}",
                "{\"n\":123456789012345678901234567890123456789012345678901234567890123456789.5}",
                "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", "{\"s\":\"\\x\"}",
                "{\"s\":\"\\u0041\\u00e9\\u20AC\"}", "{\"s\":\"\\u0000\"}",
                "{\"s\":\"\\ud83d\\ude00\"}", "{\"s\":\"\\ud83d\"}", "{\"s\":\"\\ude00\"}",
                "{\"s\":\"\\ud83d\\u0041\"}", "{\"s\":\"\\u12\"}", "{\"s\":\"\\u12g4\"}",
                "{\"s\":\"caf\xc3\xa9\"}", "{\"s\":\"\xc3\"}", "{\"s\":\"\xc0\xaf\"}",
                "{\"s\":\"\xed\xa0\x80\"}", "{\"s\":\"\xf4\x90\x80\x80\"}", "{\"s\":\"\xf0\x9f\x98\x80\"}",
                "{\"s\":\"\xe2\x82\"}", "{\"s\":\"tab\there\"}", "{\"s\":\"nl\nhere\"}",
                "{\"s\":\"unterminated}", "{\"s\":\"\\", "{\"s\":\"\xff\"}", "\xef\xbb\xbf{}",
                "{\"\xc3\xa9\":1}", "{\"k\\u00e9\":1,\"k\xc3\xa9\":2}",
                "{\"Code\":\"X\",\"Message\":\"m\",\"RequestId\":\"r\"}",
        };
        char deep[2 * 2050 + 16];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_reads_like_jansson(cases[i], strlen(cases[i]));
        /* A NUL inside and after the text. */
        assert_reads_like_jansson("{\"s\":\"a\0b\"}", 10);
        assert_reads_like_jansson("{}\0", 3);
        assert_reads_like_jansson("{\"a\":1}\0", 8);
        assert_reads_like_jansson("{\"a\":\"x\"\0}", 10);
        /* jansson skips a NUL right after a number or a literal; the reader refuses every NUL. */
        static const char *const nul_after[] = { "{\"a\":1\0}", "{\"a\":true\0}", "{\"a\":[null\0]}" };
        for (size_t i = 0; i < ELEMENTSOF(nul_after); i++) {
                size_t n = strlen(nul_after[i]) + 1 + strlen(nul_after[i] + strlen(nul_after[i]) + 1);
                json_t *v = json_loadb(nul_after[i], n, JSON_REJECT_DUPLICATES, NULL);

                assert_non_null(v);
                json_decref(v);
                v = NULL;
                assert_int_equal(cloud_json_parse_object(nul_after[i], n, &v), -EBADMSG);
                assert_null(v);
        }
        /* Nesting at jansson's depth limit and one beyond. */
        for (size_t depth = 2047; depth <= 2049; depth++) {
                size_t n = 0;
                deep[n++] = '{';
                deep[n++] = '"', deep[n++] = 'a', deep[n++] = '"', deep[n++] = ':';
                for (size_t i = 1; i < depth; i++)
                        deep[n++] = '[';
                for (size_t i = 1; i < depth; i++)
                        deep[n++] = ']';
                deep[n++] = '}';
                assert_reads_like_jansson(deep, n);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_strings_like_jansson),
                cmocka_unit_test(test_utf8),
                cmocka_unit_test(test_structure),
                cmocka_unit_test(test_reader_like_jansson),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
