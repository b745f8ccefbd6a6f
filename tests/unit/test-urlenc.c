/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/urlenc.h"

static void check_escape(const char *in, const char *keep, const char *expected) {
        _cleanup_free_ char *s = NULL;

        assert_int_equal(urlenc_escape(in, SIZE_MAX, keep, &s), 0);
        assert_string_equal(s, expected);
}

static void test_escape(void **state) {
        check_escape("AZaz09-._~", NULL, "AZaz09-._~");
        check_escape("$LATEST", NULL, "%24LATEST");
        check_escape("a b+c*d/e:f", NULL, "a%20b%2Bc%2Ad%2Fe%3Af");
        check_escape("/x/arn%3Aaws", "/", "/x/arn%253Aaws");
        check_escape("\xe1\x88\xb4", NULL, "%E1%88%B4");
        check_escape("", NULL, "");
        {
                _cleanup_free_ char *s = NULL;
                assert_int_equal(urlenc_escape("a\0b", 3, NULL, &s), 0);
                assert_string_equal(s, "a%00b");
        }
}

static void test_unescape(void **state) {
        static const struct {
                const char *in;
                bool plus;
                const char *out; /* NULL: -EINVAL */
        } v[] = {
                { "%24LATEST", false, "$LATEST" },
                { "a+b", false, "a+b" },
                { "a+b", true, "a b" },
                { "%e1%88%B4", false, "\xe1\x88\xb4" },
                { "%3a", false, ":" },
                { "", false, "" },
                { "%", false, NULL },
                { "%4", false, NULL },
                { "%zz", false, NULL },
                { "%00", false, NULL },
                { "abc%2", false, NULL },
                { "%%41", false, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                _cleanup_free_ char *s = NULL;
                int r = urlenc_unescape(v[i].in, SIZE_MAX, v[i].plus, &s);

                if (!v[i].out) {
                        assert_int_equal(r, -EINVAL);
                        assert_null(s);
                } else {
                        assert_int_equal(r, 0);
                        assert_string_equal(s, v[i].out);
                }
        }
}

static void test_parse_query(void **state) {
        UrlParam *p = NULL;
        size_t n = 0;

        assert_int_equal(
                urlenc_parse_query("Qualifier=%24LATEST&&empty=&bare&a%20b=c+d", false, &p, &n), 0);
        assert_int_equal(n, 4);
        assert_string_equal(p[0].key, "Qualifier");
        assert_string_equal(p[0].value, "$LATEST");
        assert_string_equal(p[1].key, "empty");
        assert_string_equal(p[1].value, "");
        assert_string_equal(p[2].key, "bare");
        assert_string_equal(p[2].value, "");
        assert_string_equal(p[3].key, "a b");
        assert_string_equal(p[3].value, "c+d");
        p = urlenc_params_free(p, n);

        assert_int_equal(urlenc_parse_query("x=a+b=c", true, &p, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(p[0].value, "a b=c");
        p = urlenc_params_free(p, n);

        assert_int_equal(urlenc_parse_query(NULL, false, &p, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(urlenc_parse_query("a=1&b=%G1", false, &p, &n), -EINVAL);

        _cleanup_free_ char *many = malloc(4 * (URLENC_MAX_PARAMS + 1) + 1);
        char *q = many;
        for (size_t i = 0; i <= URLENC_MAX_PARAMS; i++)
                q = stpcpy(q, "a=1&");
        assert_int_equal(urlenc_parse_query(many, false, &p, &n), -E2BIG);
}

static void test_split_path(void **state) {
        _cleanup_strv_free_ char **l = NULL, **e = NULL;

        assert_int_equal(urlenc_split_path("/a//b/", &l), 0);
        assert_string_equal(l[0], "");
        assert_string_equal(l[1], "a");
        assert_string_equal(l[2], "");
        assert_string_equal(l[3], "b");
        assert_string_equal(l[4], "");
        assert_null(l[5]);
        assert_int_equal(urlenc_split_path("", &e), 0);
        assert_string_equal(e[0], "");
        assert_null(e[1]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escape),
                cmocka_unit_test(test_unescape),
                cmocka_unit_test(test_parse_query),
                cmocka_unit_test(test_split_path),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
