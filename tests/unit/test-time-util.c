/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/macro.h"
#include "lib/time-util.h"

static void test_parse(void **state) {
        static const struct {
                const char *s;
                int r;
                usec_t v;
        } cases[] = {
                { "0", 0, 0 },
                { "30s", 0, 30 * USEC_PER_SEC },
                { "5m", 0, 5 * USEC_PER_MINUTE },
                { "1h", 0, USEC_PER_HOUR },
                { "1h30m", 0, 90 * USEC_PER_MINUTE },
                { "500ms", 0, 500 * USEC_PER_MSEC },
                { "2d", 0, 2 * USEC_PER_DAY },
                { "1m30s250ms", 0, 90 * USEC_PER_SEC + 250 * USEC_PER_MSEC },
                { "10us", 0, 10 },
                { "", -EINVAL, 0 },
                { "5", -EINVAL, 0 },
                { "m", -EINVAL, 0 },
                { "5x", -EINVAL, 0 },
                { "-5s", -EINVAL, 0 },
                { "5 s", -EINVAL, 0 },
                { "1.5h", -EINVAL, 0 },
                { "99999999999999999999s", -ERANGE, 0 },
                { "18446744073709551615d", -ERANGE, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                usec_t v = 12345;
                assert_int_equal(parse_duration(cases[i].s, &v), cases[i].r);
                assert_int_equal(v, cases[i].r == 0 ? cases[i].v : 12345);
        }
}

static void test_format(void **state) {
        char buf[32];

        assert_string_equal(format_duration(buf, sizeof(buf), 0), "0s");
        assert_string_equal(format_duration(buf, sizeof(buf), 90 * USEC_PER_MINUTE), "1h30m");
        assert_string_equal(format_duration(buf, sizeof(buf), 500 * USEC_PER_MSEC), "500ms");
        assert_string_equal(format_duration(buf, sizeof(buf), 7 * USEC_PER_DAY), "7d");
        /* round trip */
        usec_t v;
        assert_int_equal(parse_duration(format_duration(buf, sizeof(buf), 3723004005), &v), 0);
        assert_int_equal(v, 3723004005);
}

int main(void) {
        const struct CMUnitTest tests[] = { cmocka_unit_test(test_parse),
                                            cmocka_unit_test(test_format) };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
