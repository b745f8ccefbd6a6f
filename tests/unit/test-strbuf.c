/* SPDX-License-Identifier: MIT */
/* lib/strbuf: appends, growth past the first allocation, embedded lengths, take/done. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/strbuf.h"

static void test_empty(void **state) {
        StrBuf b = {};
        char *s = NULL;

        assert_int_equal(strbuf_take(&b, &s), 0);
        assert_string_equal(s, "");
        assert_null(b.s);
        free(s);
}

static void test_appends(void **state) {
        StrBuf b = {};
        char *s = NULL;

        strbuf_puts(&b, "GET");
        strbuf_putc(&b, '\n');
        strbuf_put(&b, "/path?ignored", 5);
        strbuf_puts(&b, "");
        assert_int_equal(b.len, 9);
        assert_int_equal(strbuf_take(&b, &s), 0);
        assert_string_equal(s, "GET\n/path");
        assert_int_equal(b.len, 0);
        free(s);
}

/* Far past the first allocation, every byte where it belongs. */
static void test_growth(void **state) {
        StrBuf b = {};
        char *s = NULL;

        for (unsigned i = 0; i < 10000; i++)
                strbuf_putc(&b, (char) ('a' + i % 26));
        strbuf_puts(&b, "end");
        assert_int_equal(strbuf_take(&b, &s), 0);
        assert_int_equal(strlen(s), 10003);
        for (unsigned i = 0; i < 10000; i++)
                assert_int_equal(s[i], 'a' + i % 26);
        assert_string_equal(s + 10000, "end");
        free(s);
}

/* A failure is sticky: later appends do nothing and take reports it. */
static void test_failed(void **state) {
        StrBuf b = {};
        char *s = NULL;

        strbuf_puts(&b, "abc");
        b.failed = true;
        strbuf_puts(&b, "def");
        assert_int_equal(b.len, 3);
        assert_int_equal(strbuf_take(&b, &s), -ENOMEM);
        assert_null(s);
        assert_null(b.s);
        strbuf_done(&b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_appends),
                cmocka_unit_test(test_growth),
                cmocka_unit_test(test_failed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
