/* SPDX-License-Identifier: MIT */
/* Terraform state → YAML documents: hand-written states (v4, modules, `terraform show -json`,
 * malformed) against golden files in tests/data/tfstate/. ASYNCFG_UPDATE_GOLDEN=1 rewrites
 * the golden files (review the diff before committing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "reconciler/spec/daemon-config.h"
#include "reconciler/desired/desired.h"
#include "reconciler/cli/tfstate.h"

#define DATA_DIR "tests/data/tfstate/"

static char *read_text(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t size = 0;
        if (!f)
                return NULL;
        FILE *m = open_memstream(&buf, &size);
        int c;
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(m);
        fclose(f);
        return buf;
}

static void assert_golden(const char *name, const char *actual) {
        _cleanup_free_ char *path = NULL, *expected = NULL;

        assert_true(asprintf(&path, DATA_DIR "%s", name) >= 0);
        if (getenv("ASYNCFG_UPDATE_GOLDEN")) {
                FILE *f = fopen(path, "we");
                assert_non_null(f);
                fputs(actual, f);
                fclose(f);
        }
        expected = read_text(path);
        assert_non_null(expected);
        if (!streq(expected, actual))
                print_message("--- %s\n%s--- actual\n%s", path, expected, actual);
        assert_string_equal(actual, expected);
}

static char *diags_text(const DiagList *d) {
        char *buf = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&buf, &size);
        diag_list_print(d, m);
        fclose(m);
        return buf;
}

/* What the import writes passes the loader's validation with zero diagnostics. */
static void assert_valid_desired_state(const char *yaml, size_t n_resources) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        DesiredIterator it = {};
        size_t n = 0;

        assert_int_equal(desired_set_new(NULL, &s), 0);
        int r = desired_set_load_data(s, "import.yaml", yaml, strlen(yaml));
        const DesiredFile *f = desired_set_get_file(s, "import.yaml");
        assert_non_null(f);
        diag_list_print(&f->diags, stderr);
        assert_int_equal(f->diags.n, 0);
        assert_int_equal(r, 1);
        while (desired_set_next(s, &it))
                n++;
        assert_int_equal(n, n_resources);
}

static void convert_golden(const char *input, const char *golden, const char *skipped) {
        _cleanup_(tfstate_import_freep) TfStateImport *t = NULL;
        _cleanup_free_ char *path = NULL, *yaml = NULL, *skip = NULL;
        DiagList diags;

        diag_list_init(&diags);
        assert_true(asprintf(&path, DATA_DIR "%s", input) >= 0);
        int r = tfstate_parse_file(path, &diags, &t);
        if (r < 0)
                diag_list_print(&diags, stderr);
        assert_int_equal(r, 0);
        assert_int_equal(diags.n, 0);
        assert_int_equal(tfstate_import_to_yaml(t, &yaml), 0);
        assert_golden(golden, yaml);
        assert_valid_desired_state(yaml, t->n_resources);

        skip = strdup("");
        for (size_t i = 0; i < t->n_skipped; i++) {
                char *n;
                assert_true(asprintf(&n, "%s%s%s", skip, i ? " " : "", t->skipped[i]) >= 0);
                free(skip);
                skip = n;
        }
        assert_string_equal(skip, skipped);
        diag_list_done(&diags);
}

/* The key on a line of yaml (1-based): the located error points at it. */
static const char *yaml_error_key(const char *yaml, unsigned line) {
        static char key[64];
        const char *p = yaml;

        for (unsigned i = 1; i < line && p; i++)
                p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
        assert_non_null(p);
        p += strspn(p, " ");
        snprintf(key, sizeof(key), "%.*s", (int) strcspn(p, ":"), p);
        return key;
}

static void test_v4_all(void **state) {
        convert_golden("v4-all.json", "v4-all.yaml",
                       "aws_lambda_function.orders random_integer.suffix");
}

static void test_v4_modules(void **state) {
        convert_golden("v4-modules.json", "v4-modules.yaml",
                       "module.payments.module.reports.alicloud_fcv3_function.fn[\"daily\"]");
}

static void test_show_json(void **state) {
        convert_golden("show.json", "show.yaml", "aws_iam_role.lambda");
}

/* Zero retries survive; a zero event age (Terraform's "never set") does not; qualifier "" is
 * absent; empty destination blocks are absent. */
static void test_zero_values(void **state) {
        static const char state_text[] =
                "{\"version\":4,\"resources\":[{\"mode\":\"managed\",\"type\":\"aws_lambda_function_event_invoke_config\","
                "\"name\":\"z\",\"instances\":[{\"attributes\":{\"function_name\":\"f\",\"qualifier\":\"\","
                "\"maximum_retry_attempts\":0,\"maximum_event_age_in_seconds\":0,"
                "\"destination_config\":[{\"on_success\":[{\"destination\":\"\"}],\"on_failure\":[]}]}}]}]}";
        _cleanup_(tfstate_import_freep) TfStateImport *t = NULL;
        DiagList diags;

        diag_list_init(&diags);
        assert_int_equal(tfstate_parse("z.json", state_text, strlen(state_text), &diags, &t), 0);
        assert_int_equal(t->n_resources, 1);
        const AsyncConfig *c = &t->resources[0].config;
        assert_true(c->has_max_retry_attempts);
        assert_int_equal(c->max_retry_attempts, 0);
        assert_false(c->has_max_event_age);
        assert_null(c->on_success.target);
        assert_null(c->on_failure.target);
        assert_null(t->resources[0].qualifier);
        assert_string_equal(t->resources[0].function, "f");
        diag_list_done(&diags);
}

/* DESIGN.md §3.12: a state of functions in another region, account or project gives documents
 * that keep the ARN/URN as written, so that they fail validation against the accounts (at
 * spec.function) instead of naming a namesake in the account's own region. */
static void test_foreign_region_fails_validation(void **state) {
        static const char state_text[] =
                "{\"version\":4,\"resources\":["
                "{\"mode\":\"managed\",\"type\":\"aws_lambda_function_event_invoke_config\",\"name\":\"a\","
                "\"instances\":[{\"attributes\":{\"function_name\":"
                "\"arn:aws:lambda:eu-west-1:999999999999:function:orders-worker\",\"qualifier\":\"live\"}}]},"
                "{\"mode\":\"managed\",\"type\":\"huaweicloud_fgs_async_invoke_configuration\",\"name\":\"h\","
                "\"instances\":[{\"attributes\":{\"function_urn\":"
                "\"urn:fss:cn-east-3:p0:function:default:f:latest\"}}]}]}";
        static const char config_text[] =
                "accounts:\n"
                "  - {name: use1, provider: aws, region: us-east-1}\n"
                "  - {name: hw, provider: huaweicloud, region: cn-north-4, projectId: p0}\n";
        _cleanup_(tfstate_import_freep) TfStateImport *t = NULL;
        _cleanup_(daemon_config_freep) DaemonConfig *c = NULL;
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        _cleanup_free_ char *yaml = NULL;
        const DesiredFile *f;
        DiagList diags;

        diag_list_init(&diags);
        assert_int_equal(tfstate_parse("s.json", state_text, strlen(state_text), &diags, &t), 0);
        assert_string_equal(t->resources[0].function,
                            "arn:aws:lambda:eu-west-1:999999999999:function:orders-worker");
        assert_int_equal(tfstate_import_to_yaml(t, &yaml), 0);
        assert_int_equal(
                daemon_config_parse("c.yaml", config_text, strlen(config_text), &diags, &c), 0);
        assert_int_equal(desired_set_new(c, &s), 0);
        assert_int_equal(desired_set_load_data(s, "import.yaml", yaml, strlen(yaml)), 0);
        f = desired_set_get_file(s, "import.yaml");
        assert_int_equal(f->diags.n_errors, 2);
        assert_non_null(
                strstr(f->diags.items[0].message,
                       "is in region 'eu-west-1', but account 'use1' is in region 'us-east-1'"));
        assert_non_null(
                strstr(f->diags.items[1].message,
                       "is in region 'cn-east-3', but account 'hw' is in region 'cn-north-4'"));
        assert_string_equal(yaml_error_key(yaml, f->diags.items[0].line), "function");
        diag_list_done(&diags);
}

static void test_malformed(void **state) {
        _cleanup_(tfstate_import_freep) TfStateImport *t = NULL;
        _cleanup_free_ char *text = NULL;
        DiagList diags;

        diag_list_init(&diags);
        assert_int_equal(tfstate_parse_file(DATA_DIR "malformed.json", &diags, &t), -EINVAL);
        assert_null(t);
        text = diags_text(&diags);
        assert_golden("malformed.err", text);
        diag_list_done(&diags);
}

typedef struct BadInput {
        const char *text;
        const char *message;
} BadInput;

static void test_bad_inputs(void **state) {
        static const BadInput bad[] = {
                { "", "x.json:1:1: error: invalid JSON" },
                { "{\"version\":4,", "x.json:1:13: error: invalid JSON" },
                { "[]", "not a Terraform state" },
                { "{}", "neither \"version\" nor \"values\"" },
                { "{\"version\":3,\"modules\":[]}", "unsupported Terraform state version" },
                { "{\"version\":4}", "without a \"resources\" list" },
                { "{\"values\":{}}", "without \"root_module\"" },
                { "{\"values\":{\"root_module\":{\"resources\":{}}}}", "malformed module" },
                { "{\"values\":{\"root_module\":{\"resources\":[{\"type\":\"x\"}]}}}",
                  "without address" },
                { "{\"version\":4,\"version\":4,\"resources\":[]}", "duplicate" },
                { "{\"version\":4,\"resources\":[{\"mode\":\"managed\",\"type\":\"aws_lambda_function_event_invoke_config\","
                  "\"name\":\"a\",\"instances\":[{\"attributes\":{}}]}]}",
                  "aws_lambda_function_event_invoke_config.a: 'function_name' is missing" },
                { "{\"version\":4,\"resources\":[{\"mode\":\"managed\",\"type\":\"aws_lambda_function_event_invoke_config\","
                  "\"name\":\"a\",\"instances\":[{\"attributes\":{\"function_name\":\"f\\u0000x\"}}]}]}",
                  "NUL" },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                TfStateImport *t = NULL;
                _cleanup_free_ char *text = NULL;
                DiagList diags;

                diag_list_init(&diags);
                assert_int_equal(
                        tfstate_parse("x.json", bad[i].text, strlen(bad[i].text), &diags, &t),
                        -EINVAL);
                assert_null(t);
                text = diags_text(&diags);
                print_message("%s", text);
                assert_non_null(strstr(text, bad[i].message));
                diag_list_done(&diags);
        }
}

/* Attributes of resources that are not converted are never read, so never printed. */
static void test_no_secrets(void **state) {
        _cleanup_(tfstate_import_freep) TfStateImport *t = NULL;
        _cleanup_free_ char *yaml = NULL;
        DiagList diags;

        diag_list_init(&diags);
        assert_int_equal(tfstate_parse_file(DATA_DIR "v4-all.json", &diags, &t), 0);
        assert_int_equal(tfstate_import_to_yaml(t, &yaml), 0);
        assert_null(strstr(yaml, "hunter2"));
        diag_list_done(&diags);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_v4_all),
                cmocka_unit_test(test_v4_modules),
                cmocka_unit_test(test_show_json),
                cmocka_unit_test(test_zero_values),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_bad_inputs),
                cmocka_unit_test(test_foreign_region_fails_validation),
                cmocka_unit_test(test_no_secrets),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
