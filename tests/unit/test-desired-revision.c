/* SPDX-License-Identifier: MIT */
/* The revision file a Git sync writes next to the documents (.asyncfg-revision): what is a
 * revision, what is not, and that a directory without one has none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/macro.h"
#include "reconciler/desired/desired-revision.h"

static char tmpdir[64];

static int setup(void **state) {
        strcpy(tmpdir, "/tmp/test-desired-revision-XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
        return 0;
}

static int teardown(void **state) {
        char path[128];

        snprintf(path, sizeof(path), "%s/%s", tmpdir, DESIRED_REVISION_FILE);
        (void) unlink(path);
        (void) rmdir(tmpdir);
        return 0;
}

static void write_revision(const char *content) {
        char path[128];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", tmpdir, DESIRED_REVISION_FILE);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static void test_no_file(void **state) {
        char *rev = (char *) "sentinel";

        assert_int_equal(desired_revision_read(tmpdir, &rev), 0);
        assert_null(rev);
}

static void test_revisions(void **state) {
        static const struct {
                const char *content, *revision;
        } cases[] = {
                { "4b825dc642cb6eb9a060e54bf8d69288fbee4904\n",
                  "4b825dc642cb6eb9a060e54bf8d69288fbee4904" },
                { "4b825dc\n", "4b825dc" },                /* no newline needed */
                { "main@4b825dc \r\n\n", "main@4b825dc" }, /* trailing blanks cut */
                { "v1.2\nsecond line is not read\n", "v1.2" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *rev = NULL;

                write_revision(cases[i].content);
                assert_int_equal(desired_revision_read(tmpdir, &rev), 1);
                assert_string_equal(rev, cases[i].revision);
        }
}

static void test_not_revisions(void **state) {
        char longest[DESIRED_REVISION_MAX + 2], too_long[DESIRED_REVISION_MAX + 3];
        _cleanup_free_ char *rev = NULL;

        memset(longest, 'a', DESIRED_REVISION_MAX);
        strcpy(longest + DESIRED_REVISION_MAX, "\n");
        write_revision(longest);
        assert_int_equal(desired_revision_read(tmpdir, &rev), 1);
        assert_int_equal(strlen(rev), DESIRED_REVISION_MAX);

        memset(too_long, 'a', DESIRED_REVISION_MAX + 1);
        strcpy(too_long + DESIRED_REVISION_MAX + 1, "\n");
        static const char *const bad[] = { "", "\n", "  \n", "two words\n", "tab\there\n" };
        for (size_t i = 0; i <= ELEMENTSOF(bad); i++) {
                char *r = NULL;

                write_revision(i < ELEMENTSOF(bad) ? bad[i] : too_long);
                assert_int_equal(desired_revision_read(tmpdir, &r), -EBADMSG);
                assert_null(r);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_no_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_revisions, setup, teardown),
                cmocka_unit_test_setup_teardown(test_not_revisions, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
