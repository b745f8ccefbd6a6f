/* SPDX-License-Identifier: MIT */
/* lib/log: syslog priority prefixes only when stderr really is the journal's stream, and
 * structured fields kept when the journal cannot take them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

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

static void test_struct_fields_in_text(void **state) {
        char *out = capture_stderr(false, emit_struct);
        assert_string_equal(out, "drift detected RESOURCE=orders PROVIDER=aws\n");
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
                cmocka_unit_test(test_struct_fields_in_text),
                cmocka_unit_test(test_errno_return),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
