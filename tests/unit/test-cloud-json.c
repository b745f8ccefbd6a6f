/* SPDX-License-Identifier: MIT */
/* clouds/cloud-json's body writer against what jansson's json_dumps(JSON_COMPACT |
 * JSON_PRESERVE_ORDER) makes of the same object: the bodies are signed, so they must not
 * change by a byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
        static const char *const valid[] = { "caf\xc3\xa9", "\xe2\x82\xac/x", "\xf0\x9f\x98\x80",
                                             "\xe2\x80\xa8" };
        static const char *const invalid[] = { "\xc3", "\xc0\xaf", "\xed\xa0\x80",
                                               "\xf4\x90\x80\x80", "a\xffz" };

        for (size_t i = 0; i < ELEMENTSOF(valid); i++) {
                _cleanup_free_ char *want = jansson_of(json_pack("{s:s}", "k", valid[i])),
                                    *got = NULL;
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

        want = jansson_of(json_pack("{s:I, s:I, s:I, s:{s:{s:s}, s:{}}, s:b, s:b}", "min",
                                    (json_int_t) INT64_MIN, "max", (json_int_t) INT64_MAX, "zero",
                                    (json_int_t) 0, "d", "x", "y", "z", "e", "t", 1, "f", 0));
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_strings_like_jansson),
                cmocka_unit_test(test_utf8),
                cmocka_unit_test(test_structure),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
