/* SPDX-License-Identifier: MIT */
/* lib/log: syslog priority prefixes only when stderr really is the journal's stream; off it,
 * a timestamp first (when asked for) and the sentence alone, without the structured fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <regex.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "lib/log.h"

/* Runs fn with stderr redirected into a temporary file; returns what was written. */
static char *capture_stderr(bool journal_stream_matches, void (*fn)(void)) {
        char path[] = "/tmp/asyncfg-test-log.XXXXXX", env[64];
        int fd = mkstemp(path), saved = dup(STDERR_FILENO);
        struct stat st;
        char *buf = calloc(1, 4096);

        assert_true(fd >= 0 && saved >= 0 && buf);
        assert_int_equal(fstat(fd, &st), 0);
        snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long) st.st_dev,
                 (unsigned long long) st.st_ino + (journal_stream_matches ? 0 : 1));
        setenv("JOURNAL_STREAM", env, 1);
        fflush(stderr);
        assert_true(dup2(fd, STDERR_FILENO) >= 0);
        log_open();
        fn();
        fflush(stderr);
        assert_true(dup2(saved, STDERR_FILENO) >= 0);
        close(saved);
        unsetenv("JOURNAL_STREAM");
        log_open();
        assert_true(pread(fd, buf, 4095, 0) >= 0);
        close(fd);
        unlink(path);
        return buf;
}

static void emit_plain(void) {
        log_error("disk on fire");
        log_info("all is well");
        log_debug("not shown");
}

static void test_prefix_under_journal(void **state) {
        char *out = capture_stderr(true, emit_plain);
        assert_string_equal(out, "<3>disk on fire\n<6>all is well\n");
        free(out);
}

static void test_no_prefix_elsewhere(void **state) {
        /* JOURNAL_STREAM inherited but stderr is another file: no prefixes. */
        char *out = capture_stderr(false, emit_plain);
        assert_string_equal(out, "disk on fire\nall is well\n");
        free(out);
}

static void emit_struct(void) {
        static const char *const fields[] = { "RESOURCE=orders", "PROVIDER=aws", NULL };
        (void) log_struct_internal(LOG_WARNING, 0, fields, "drift detected");
}

static void test_struct_fields_not_in_text(void **state) {
        /* Off the journal the fields have nowhere to go: the sentence names what it is about. */
        char *out = capture_stderr(false, emit_struct);
        assert_string_equal(out, "drift detected\n");
        free(out);
}

static void assert_time(uint64_t usec, const char *tz, const char *want) {
        char buf[LOG_TIME_MAX];

        setenv("TZ", tz, 1);
        tzset();
        assert_string_equal(log_format_time(buf, usec), want);
}

static void test_format_time(void **state) {
        /* 2026-12-06T10:42:05.123Z */
        uint64_t t = 1796553725123456ULL;

        assert_time(t, "UTC", "2026-12-06T10:42:05.123+00:00");
        assert_time(t, "UTC-1", "2026-12-06T11:42:05.123+01:00"); /* POSIX: east is negative */
        assert_time(t, "<-0530>5:30", "2026-12-06T05:12:05.123-05:30");
        assert_time(t - 123456, "UTC", "2026-12-06T10:42:05.000+00:00");
        unsetenv("TZ");
        tzset();
}

/* "2026-12-06T10:42:05.123+00:00 " and then the text. */
static void assert_stamped(const char *line, const char *text) {
        regex_t re;

        assert_int_equal(regcomp(&re,
                                 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}"
                                 "[+-][0-9]{2}:[0-9]{2} ",
                                 REG_EXTENDED | REG_NOSUB),
                         0);
        assert_int_equal(regexec(&re, line, 0, NULL, 0), 0);
        regfree(&re);
        assert_true(strneq(line + LOG_TIME_MAX, text, strlen(text)));
}

static void test_time_off_the_journal(void **state) {
        char *out, *second;

        log_show_time(true);
        out = capture_stderr(false, emit_plain);
        second = strchr(out, '\n');
        assert_non_null(second);
        assert_stamped(out, "disk on fire\n");
        assert_stamped(second + 1, "all is well\n");
        assert_string_equal(strchr(second + 1, '\n'), "\n"); /* "not shown" is not */
        free(out);
        out = capture_stderr(false, emit_struct);
        assert_stamped(out, "drift detected\n");
        free(out);
        log_show_time(false);
}

static void test_no_time_under_journal(void **state) {
        /* The journal stamps its entries: the stream gets the priority only. */
        char *out;

        log_show_time(true);
        out = capture_stderr(true, emit_plain);
        log_show_time(false);
        assert_string_equal(out, "<3>disk on fire\n<6>all is well\n");
        free(out);
}

static void test_errno_return(void **state) {
        log_set_max_level(LOG_CRIT); /* nothing printed; the error still comes back */
        assert_int_equal(log_error_errno(ENOENT, "x"), -ENOENT);
        assert_int_equal(log_error_errno(-EIO, "x"), -EIO);
        log_set_max_level(LOG_INFO);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_prefix_under_journal),
                cmocka_unit_test(test_no_prefix_elsewhere),
                cmocka_unit_test(test_struct_fields_not_in_text),
                cmocka_unit_test(test_format_time),
                cmocka_unit_test(test_time_off_the_journal),
                cmocka_unit_test(test_no_time_under_journal),
                cmocka_unit_test(test_errno_return),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
