/* SPDX-License-Identifier: MIT */
/* lib/ini: the dialect of the vendors' shared credentials files, and its diagnostics. */
#include <setjmp.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "lib/ini.h"

static IniFile *parse_ok(const char *text) {
        IniFile *f = NULL;
        DiagList d;

        diag_list_init(&d);
        int r = ini_parse(text, strlen(text), "t.ini", &d, &f);
        if (r < 0)
                diag_list_print(&d, stderr);
        assert_int_equal(r, 0);
        assert_int_equal(d.n, 0);
        diag_list_done(&d);
        return f;
}

static void test_sections_and_keys(void **state) {
        _cleanup_(ini_file_freep) IniFile *f = parse_ok("\xEF\xBB\xBF"
                                                        "top = level\r\n"
                                                        "# comment\n"
                                                        "; another comment\n"
                                                        "\n"
                                                        "[default]\n"
                                                        "aws_access_key_id = AKID\r\n"
                                                        "  Aws_Secret_Access_Key=  sec#ret;x  \n"
                                                        "[ prod ]\n"
                                                        "region: us-east-1\n"
                                                        "quoted = \"a b\"\n"
                                                        "single = 'c'\n"
                                                        "mismatched = \"d'\n"
                                                        "empty =\n"
                                                        "[default]\n"
                                                        "aws_session_token = tok==\n");

        assert_string_equal(ini_get(f, NULL, "top"), "level");
        assert_string_equal(ini_get(f, "", "TOP"), "level");
        assert_string_equal(ini_get(f, "default", "AWS_ACCESS_KEY_ID"), "AKID");
        /* No inline comments: '#' and ';' inside a value are part of it. */
        assert_string_equal(ini_get(f, "default", "aws_secret_access_key"), "sec#ret;x");
        assert_string_equal(ini_get(f, "default", "aws_session_token"), "tok==");
        assert_string_equal(ini_get(f, "prod", "region"), "us-east-1");
        assert_string_equal(ini_get(f, "prod", "quoted"), "a b");
        assert_string_equal(ini_get(f, "prod", "single"), "c");
        assert_string_equal(ini_get(f, "prod", "mismatched"), "\"d'");
        assert_string_equal(ini_get(f, "prod", "empty"), "");
        assert_null(ini_get(f, "prod", "aws_access_key_id"));
        assert_null(ini_get(f, "Prod", "region")); /* section names are case-sensitive */
        assert_true(ini_has_section(f, "default"));
        assert_true(ini_has_section(f, "prod"));
        assert_true(ini_has_section(f, NULL));
        assert_false(ini_has_section(f, "staging"));
        assert_int_equal(f->n_sections, 2);

        const IniEntry *e = ini_find(f, "default", "aws_secret_access_key");
        assert_non_null(e);
        assert_int_equal(e->line, 7);
        assert_int_equal(e->column, 27);
}

static void test_no_global_section(void **state) {
        _cleanup_(ini_file_freep) IniFile *f = parse_ok("[a]\nk = v\n");
        assert_false(ini_has_section(f, ""));
        assert_null(ini_get(f, NULL, "k"));
        _cleanup_(ini_file_freep) IniFile *g = parse_ok("");
        assert_int_equal(g->n_entries, 0);
        assert_false(ini_has_section(g, "a"));
}

typedef struct ErrorCase {
        const char *text;
        unsigned line, column;
        const char *message; /* a substring */
} ErrorCase;

static void test_errors(void **state) {
        static const ErrorCase cases[] = {
                { "[default]\nwJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY\n", 2, 1,
                  "expected 'key = value'" },
                { "[default\nk = v\n", 1, 1, "unterminated '['" },
                { "[]\n", 1, 1, "empty section name" },
                { "[a] junk\n", 1, 5, "unexpected text after section header" },
                { "[a]\n = v\n", 2, 2, "empty key" },
                { "[a]\nk = 1\nK = 2\n", 3, 1, "duplicate key 'K' in section 'a'" },
                { "[a]\nk = 1\n[b]\nk = 2\n[a]\n  k=3\n", 6, 3, "duplicate key 'k'" },
                { "k = a\0b\n", 1, 6, "NUL byte" },
        };
        static const size_t sizes[] = { 0, 0, 0, 0, 0, 0, 0, 8 };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                IniFile *f = NULL;
                DiagList d;
                size_t n = sizes[i] ?: strlen(cases[i].text);

                diag_list_init(&d);
                assert_int_equal(ini_parse(cases[i].text, n, "x.ini", &d, &f), -EINVAL);
                assert_null(f);
                assert_int_equal(d.n_errors, 1);
                assert_string_equal(d.items[0].path, "x.ini");
                assert_int_equal(d.items[0].line, cases[i].line);
                assert_int_equal(d.items[0].column, cases[i].column);
                if (!strstr(d.items[0].message, cases[i].message))
                        fail_msg("case %zu: '%s' lacks '%s'", i, d.items[0].message,
                                 cases[i].message);
                /* A line that is not key = value may be a secret: never quoted. */
                assert_null(strstr(d.items[0].message, "wJalr"));
                diag_list_done(&d);
        }
}

static void test_all_errors_reported(void **state) {
        const char *text = "garbage\n[ok]\nk=v\nmore garbage\n[\n";
        IniFile *f = NULL;
        DiagList d;

        diag_list_init(&d);
        assert_int_equal(ini_parse(text, strlen(text), "y.ini", &d, &f), -EINVAL);
        assert_int_equal(d.n_errors, 3);
        assert_int_equal(d.items[0].line, 1);
        assert_int_equal(d.items[1].line, 4);
        assert_int_equal(d.items[2].line, 5);
        diag_list_done(&d);
        /* Without a DiagList the result is the same. */
        assert_int_equal(ini_parse(text, strlen(text), "y.ini", NULL, &f), -EINVAL);
}

static void test_limits(void **state) {
        size_t n = (INI_ENTRIES_MAX + 1) * 8;
        _cleanup_free_ char *text = malloc(n + 1);
        IniFile *f = NULL;
        size_t used = 0;

        assert_non_null(text);
        for (unsigned i = 0; i <= INI_ENTRIES_MAX; i++)
                used += (size_t) snprintf(text + used, n + 1 - used, "k%05u=\n", i);
        assert_int_equal(ini_parse(text, used, "big.ini", NULL, &f), -E2BIG);
        assert_int_equal(ini_parse(text, INI_SIZE_MAX + 1, "big.ini", NULL, &f), -EFBIG);
}

static void test_parse_file(void **state) {
        char dir[] = "/tmp/test-ini-XXXXXX";
        _cleanup_free_ char *path = NULL;
        IniFile *f = NULL;

        assert_non_null(mkdtemp(dir));
        assert_int_equal(ini_parse_file(dir, NULL, &f), -EISDIR);
        assert_true(asprintf(&path, "%s/credentials", dir) > 0);
        assert_int_equal(ini_parse_file(path, NULL, &f), -ENOENT);

        FILE *out = fopen(path, "w");
        assert_non_null(out);
        fputs("[default]\nak = A\nsk = S\n", out);
        fclose(out);
        assert_int_equal(ini_parse_file(path, NULL, &f), 0);
        assert_string_equal(ini_get(f, "default", "sk"), "S");
        f = ini_file_free(f);
        assert_null(f);

        unlink(path);
        rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sections_and_keys),
                cmocka_unit_test(test_no_global_section),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_all_errors_reported),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_parse_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
