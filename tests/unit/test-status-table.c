/* SPDX-License-Identifier: MIT */

/* `asyncfg status` rendering of a sample /status document: exact table text, colours only
 * when asked, control characters neutralised, raw JSON with -o json, malformed documents
 * refused. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/macro.h"
#include "reconciler/cli/status-table.h"

static const char sample[] =
        "{\"summary\":{\"resources\":4,\"states\":{\"in_sync\":1,\"drifted\":1,\"changing\":0,"
        "\"pending\":1,\"retrying\":0,\"error\":1,\"orphaned\":0},\"files\":{\"ok\":2,\"error\":1},"
        "\"ready\":true,\"last_successful_sync\":\"2024-05-01T12:00:00Z\"},"
        "\"resources\":["
        "{\"name\":\"billing\",\"file\":\"/d/b.yaml\",\"line\":1,\"provider\":\"alicloud\","
        "\"account\":\"ali-prod\",\"function\":\"svc/billing\",\"qualifier\":\"LATEST\","
        "\"state\":\"drifted\",\"drift\":true,\"diff\":["
        "{\"field\":\"maxRetryAttempts\",\"from\":2,\"to\":1},"
        "{\"field\":\"onFailure\",\"from\":null,\"to\":\"acs:mns:cn-hangzhou:1:/queues/q\"},"
        "{\"field\":\"asyncTask\",\"from\":false,\"to\":true}],"
        "\"last_error\":null,\"last_observed\":\"2024-05-01T12:00:00Z\",\"last_changed\":null},"
        "{\"name\":\"orders-worker\",\"file\":\"/d/o.yaml\",\"line\":1,\"provider\":\"aws\","
        "\"account\":\"aws-prod\",\"function\":\"orders-worker\",\"qualifier\":\"$LATEST\","
        "\"state\":\"in_sync\",\"drift\":false,\"diff\":[],\"last_error\":null,"
        "\"last_observed\":null,\"last_changed\":null},"
        "{\"name\":\"r\xc3\xa9sum\xc3\xa9\",\"file\":\"/d/r.yaml\",\"line\":4,\"provider\":\"huaweicloud\","
        "\"account\":\"hw\",\"function\":\"urn:fss:cn-north-4:p:function:default:r:latest\","
        "\"qualifier\":\"latest\",\"state\":\"error\",\"drift\":false,\"diff\":[],"
        "\"last_error\":{\"class\":\"permanent\",\"message\":\"function not found\\u001b[2J\"},"
        "\"last_observed\":null,\"last_changed\":null},"
        "{\"name\":\"queued\",\"provider\":\"aws\",\"state\":\"pending\",\"diff\":[{\"field\":"
        "\"onSuccess\",\"from\":{\"Destination\":\"a\"},\"to\":null}]}"
        "],"
        "\"files\":["
        "{\"path\":\"/d/b.yaml\",\"state\":\"ok\",\"diagnostics\":[]},"
        "{\"path\":\"/d/bad.yaml\",\"state\":\"error\",\"diagnostics\":["
        "\"/d/bad.yaml:3:5: error: unknown key 'maxRetry'\","
        "\"/d/bad.yaml:7:1: error: duplicate resource\"]},"
        "{\"path\":\"/d/o.yaml\",\"state\":\"ok\",\"diagnostics\":[]}]}";

/* n spaces, spelled out so the expected table below stays readable. */
#define SP10 "          "
#define PAD(n) PAD_##n
#define PAD_35 SP10 SP10 SP10 "     "
#define PAD_37 SP10 SP10 SP10 "       "
#define PAD_40 SP10 SP10 SP10 SP10
#define PAD_47 SP10 SP10 SP10 SP10 "       "

static char *render(const char *json, StatusFormat format, bool color, int *ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        assert_non_null(f);
        *ret = status_print(f, json, strlen(json), format, color);
        assert_int_equal(fclose(f), 0);
        return buf;
}

static void test_table(void **state) {
        int r;
        _cleanup_free_ char *out = render(sample, STATUS_FORMAT_TABLE, false, &r);

        assert_int_equal(r, 0);
        assert_string_equal(
                out,
                "NAME           PROVIDER     ACCOUNT   FUNCTION" PAD(
                        40) "QUALIFIER  STATE    DETAIL\n"
                            "billing        alicloud     ali-prod  svc/billing" PAD(
                                    37) "LATEST     drifted  "
                                        "maxRetryAttempts: 2 -> 1, onFailure: (none) -> acs:mns:cn-hangzhou:1:/queues/q, "
                                        "asyncTask: false -> true\n"
                                        "orders-worker  aws          aws-prod  orders-worker" PAD(
                                                35) "$LATEST    in_sync\n"
                                                    "r\xc3\xa9sum\xc3\xa9         huaweicloud  hw        "
                                                    "urn:fss:cn-north-4:p:function:default:r:latest  latest     error    "
                                                    "permanent: function not found?[2J\n"
                                                    "queued         aws          -         -" PAD(
                                                            47) "-          pending  "
                                                                "onSuccess: {\"Destination\":\"a\"} -> (none)\n"
                                                                "/d/bad.yaml:3:5: error: unknown key 'maxRetry'\n"
                                                                "/d/bad.yaml:7:1: error: duplicate resource\n"
                                                                "4 resources: 1 in sync, 1 drifted, 1 pending, 1 error; 3 files, 1 with errors; "
                                                                "last successful sync 2024-05-01T12:00:00Z\n");
        assert_null(strchr(out, '\033'));
}

static void test_color(void **state) {
        int r;
        _cleanup_free_ char *out = render(sample, STATUS_FORMAT_TABLE, true, &r);

        assert_int_equal(r, 0);
        assert_true(startswith(out, "\033[1mNAME\033[0m           \033[1mPROVIDER\033[0m"));
        assert_non_null(strstr(out, "\033[33mdrifted\033[0m  maxRetryAttempts"));
        assert_non_null(strstr(out, "\033[32min_sync\033[0m\n"));
        assert_non_null(strstr(out, "\033[31merror\033[0m    permanent: function not found?[2J"));
        /* The only escapes are ours: the one in the error message was neutralised. */
        assert_null(strstr(out, "\033[2J"));
}

static void test_summary_variants(void **state) {
        int r;
        /* No summary: counted from the resources; not ready; no resources table. */
        _cleanup_free_ char *a = render("{\"summary\":{\"ready\":false},\"resources\":[],"
                                        "\"files\":[{\"path\":\"/d/x.yaml\",\"state\":\"error\","
                                        "\"diagnostics\":[]}]}",
                                        STATUS_FORMAT_TABLE, false, &r);
        assert_int_equal(r, 0);
        assert_string_equal(a, "/d/x.yaml: error: failed to load\n"
                               "0 resources; 1 file, 1 with errors; not ready\n");

        /* The revision in force, sanitised (a terminal escape in it is neutralised). */
        _cleanup_free_ char *c =
                render("{\"summary\":{\"revision\":\"0123abc\\u001b[2J\"},\"resources\":[],"
                       "\"files\":[]}",
                       STATUS_FORMAT_TABLE, false, &r);
        assert_int_equal(r, 0);
        assert_string_equal(c, "0 resources; 0 files, 0 with errors at revision 0123abc?[2J\n");

        _cleanup_free_ char *b = render("{\"resources\":[{\"name\":\"a\",\"state\":\"retrying\"},"
                                        "{\"name\":\"b\",\"state\":\"retrying\"}]}",
                                        STATUS_FORMAT_TABLE, false, &r);
        assert_int_equal(r, 0);
        assert_string_equal(b, "NAME  PROVIDER  ACCOUNT  FUNCTION  QUALIFIER  STATE     DETAIL\n"
                               "a     -         -        -         -          retrying\n"
                               "b     -         -        -         -          retrying\n"
                               "2 resources: 2 retrying; 0 files, 0 with errors\n");
}

/* A write conflict (/status's conflict, summary.conflicts): told first in DETAIL, counted in the
 * summary; a malformed one is shown as far as it makes sense, never refused. */
static void test_conflict(void **state) {
        int r;
        _cleanup_free_ char *a = render(
                "{\"summary\":{\"conflicts\":1},\"resources\":[{\"name\":\"a\",\"state\":"
                "\"drifted\",\"diff\":[{\"field\":\"maxRetryAttempts\",\"from\":0,\"to\":1}],"
                "\"conflict\":{\"fields\":[\"maxRetryAttempts\",\"onFailure\"],\"count\":3,"
                "\"since\":\"2024-05-01T12:00:00Z\",\"last_seen\":\"2024-05-01T12:04:00Z\"}}]}",
                STATUS_FORMAT_TABLE, false, &r);
        assert_int_equal(r, 0);
        assert_string_equal(a, "NAME  PROVIDER  ACCOUNT  FUNCTION  QUALIFIER  STATE    DETAIL\n"
                               "a     -         -        -         -          drifted  conflict: "
                               "maxRetryAttempts, onFailure changed back 3 times since "
                               "2024-05-01T12:00:00Z; maxRetryAttempts: 0 -> 1\n"
                               "1 resource: 1 drifted; 0 files, 0 with errors; 1 in a write "
                               "conflict\n");

        _cleanup_free_ char *b = render("{\"resources\":[{\"name\":\"a\",\"state\":\"in_sync\","
                                        "\"conflict\":{\"fields\":[1,null],\"count\":\"x\"}}]}",
                                        STATUS_FORMAT_TABLE, false, &r);
        assert_int_equal(r, 0);
        assert_non_null(strstr(b, "in_sync  conflict: ?, ? changed back 0 times since ?\n"));
}

static void test_json(void **state) {
        int r;
        _cleanup_free_ char *out = render(sample, STATUS_FORMAT_JSON, true, &r);

        assert_int_equal(r, 0);
        assert_true(strneq(out, sample, strlen(sample)));
        assert_string_equal(out + strlen(sample), "\n");
}

static void test_malformed(void **state) {
        static const char *const bad[] = {
                "",
                "not json",
                "[]",
                "{}",
                "{\"resources\":{}}",
                "{\"resources\":[1]}",
                "{\"resources\":[],\"files\":{}}",
                "{\"resources\":[],\"files\":[\"x\"]}",
                "{\"resources\":[],\"resources\":[]}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                for (StatusFormat f = 0; f < _STATUS_FORMAT_MAX; f++) {
                        int r;
                        _cleanup_free_ char *out = render(bad[i], f, false, &r);
                        if (r != -EBADMSG)
                                fail_msg("'%s' as %s: %d", bad[i], status_format_to_string(f), r);
                        assert_string_equal(out, "");
                }
        assert_int_equal(status_format_from_string("json"), STATUS_FORMAT_JSON);
        assert_int_equal(status_format_from_string("table"), STATUS_FORMAT_TABLE);
        assert_int_equal(status_format_from_string("yaml"), _STATUS_FORMAT_INVALID);
        assert_null(status_format_to_string(_STATUS_FORMAT_MAX));
}

/* status_check(): the health check behind `asyncfg status`'s exit code. */
static void test_check(void **state) {
        static const struct {
                const char *json;
                int result;
                size_t resources, files;
                bool dir;
        } cases[] = {
                { "{\"resources\":[]}", 0, 0, 0, false },
                { "{\"summary\":{\"states\":{\"in_sync\":3,\"drifted\":1,\"error\":0},"
                  "\"files\":{\"ok\":2,\"error\":0},\"directory_error\":null},\"resources\":[]}",
                  0, 0, 0, false },
                { "{\"summary\":{\"states\":{\"error\":2}},\"resources\":[]}", 1, 2, 0, false },
                /* No summary: counted from the resources and the files. */
                { "{\"resources\":[{\"state\":\"error\"},{\"state\":\"in_sync\"}]}", 1, 1, 0,
                  false },
                { "{\"resources\":[],\"files\":[{\"path\":\"/d/x.yaml\",\"state\":\"error\"}]}", 1,
                  0, 1, false },
                /* The daemon's own count wins over the list (one source of truth). */
                { "{\"summary\":{\"files\":{\"ok\":1,\"error\":2}},\"resources\":[],"
                  "\"files\":[{\"path\":\"/d/x.yaml\",\"state\":\"error\"}]}",
                  1, 0, 2, false },
                { "{\"summary\":{\"directory_error\":\"gone\"},\"resources\":[]}", 1, 0, 0, true },
                { sample, 1, 1, 1, false },
        };
        StatusProblems p;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r = status_check(cases[i].json, strlen(cases[i].json), &p);
                if (r != cases[i].result)
                        fail_msg("case %zu: %d", i, r);
                assert_int_equal(p.resources_in_error, cases[i].resources);
                assert_int_equal(p.files_in_error, cases[i].files);
                assert_int_equal(p.directory_error, cases[i].dir);
        }
        assert_int_equal(status_check("[]", 2, &p), -EBADMSG);
        assert_int_equal(status_check("nope", 4, &p), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_color),
                cmocka_unit_test(test_summary_variants),
                cmocka_unit_test(test_conflict),
                cmocka_unit_test(test_json),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_check),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
