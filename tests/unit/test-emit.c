/* SPDX-License-Identifier: MIT */
/* The YAML emitter: names, quoting, and that what it writes loads back through the real
 * loader (reconciler/desired/desired.h) with zero diagnostics and the same values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "reconciler/desired/desired.h"
#include "reconciler/cli/emit.h"
#include "reconciler/spec/field.h"
#include "reconciler/spec/yaml-tree.h"

typedef struct NameCase {
        Provider provider;
        const char *function, *qualifier, *expect;
} NameCase;

static void test_names(void **state) {
        static const NameCase cases[] = {
                { PROVIDER_AWS, "orders-worker", "prod", "orders-worker-prod" },
                { PROVIDER_AWS, "orders-worker", "$LATEST", "orders-worker" },
                { PROVIDER_AWS, "orders-worker", NULL, "orders-worker" },
                { PROVIDER_AWS, "Orders_Worker", "7", "orders-worker-7" },
                { PROVIDER_AWS, "arn:aws:lambda:us-east-1:123456789012:function:billing", NULL,
                  "billing" },
                { PROVIDER_AWS, "arn:aws:lambda:us-east-1:123456789012:function:billing:live", NULL,
                  "billing-live" },
                { PROVIDER_AWS, "billing:live", NULL, "billing-live" },
                { PROVIDER_AWS, "123456789012:function:billing", NULL, "billing" },
                { PROVIDER_ALICLOUD, "images/resize", "LATEST", "images-resize" },
                { PROVIDER_ALICLOUD, "thumbnailer", "v2", "thumbnailer-v2" },
                { PROVIDER_HUAWEICLOUD, "urn:fss:cn-north-4:0123:function:default:ingest:latest",
                  NULL, "ingest" },
                { PROVIDER_HUAWEICLOUD, "urn:fss:cn-north-4:0123:function:default:Ingest_Job:3",
                  NULL, "ingest-job-3" },
                { PROVIDER_AWS, "--__--", "$LATEST", "function" },
                { PROVIDER_AWS, "a--b", "-x-", "a-b-x" },
                { PROVIDER_AWS,
                  "a-very-long-function-name-that-goes-on-and-on-and-on-beyond-sixty-three-characters",
                  "prod", "a-very-long-function-name-that-goes-on-and-on-and-on-beyond-six" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *s;
                assert_int_equal(emit_resource_name(cases[i].provider, cases[i].function,
                                                    cases[i].qualifier, &s),
                                 0);
                assert_string_equal(s, cases[i].expect);
                assert_true(strlen(s) <= 63);
                free(s);
        }
}

static EmitResource aws(const char *function, const char *qualifier) {
        EmitResource r = { .provider = PROVIDER_AWS,
                           .function = strdup(function),
                           .qualifier = qualifier ? strdup(qualifier) : NULL };
        return r;
}

static void test_exact_output(void **state) {
        EmitResource r[3] = { aws("orders", NULL), aws("orders", NULL), aws("orders", "1") };
        char *yaml;

        r[0].config.has_max_retry_attempts = true; /* 0 is written */
        r[1].account = strdup("123456789012");
        r[1].config.has_async_task = true;
        r[2].name = strdup("orders"); /* explicit, but taken: made unique */
        r[2].config.on_failure.target = strdup("arn:aws:sqs:us-east-1:123456789012:q");
        assert_int_equal(emit_yaml(r, 3, &yaml), 0);
        assert_string_equal(yaml, "---\n"
                                  "apiVersion: asyncfg.io/v1\n"
                                  "kind: AsyncInvokeConfig\n"
                                  "metadata:\n"
                                  "  name: orders\n"
                                  "spec:\n"
                                  "  provider: aws\n"
                                  "  function: orders\n"
                                  "  maxRetryAttempts: 0\n"
                                  "---\n"
                                  "apiVersion: asyncfg.io/v1\n"
                                  "kind: AsyncInvokeConfig\n"
                                  "metadata:\n"
                                  "  name: orders-2\n"
                                  "spec:\n"
                                  "  provider: aws\n"
                                  "  account: \"123456789012\"\n"
                                  "  function: orders\n"
                                  "  asyncTask: false\n"
                                  "---\n"
                                  "apiVersion: asyncfg.io/v1\n"
                                  "kind: AsyncInvokeConfig\n"
                                  "metadata:\n"
                                  "  name: orders-3\n"
                                  "spec:\n"
                                  "  provider: aws\n"
                                  "  function: orders\n"
                                  "  qualifier: \"1\"\n"
                                  "  onFailure:\n"
                                  "    destination: arn:aws:sqs:us-east-1:123456789012:q\n");
        free(yaml);
        for (size_t i = 0; i < 3; i++)
                emit_resource_done(&r[i]);

        /* Nothing to write is an empty stream; a resource without a function is refused. */
        assert_int_equal(emit_yaml(NULL, 0, &yaml), 0);
        assert_string_equal(yaml, "");
        free(yaml);
        EmitResource bad = { .provider = PROVIDER_AWS };
        assert_int_equal(emit_yaml(&bad, 1, &yaml), -EINVAL);
}

/* Unique names stay within 63 characters when the base is already at the limit. */
static void test_unique_long(void **state) {
        const char *fn = "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc"; /* 63 */
        EmitResource r[2] = { aws(fn, NULL), aws(fn, NULL) };
        char *yaml;

        assert_int_equal(emit_yaml(r, 2, &yaml), 0);
        assert_non_null(strstr(
                yaml, "name: abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghija-2\n"));
        free(yaml);
        emit_resource_done(&r[0]);
        emit_resource_done(&r[1]);
}

/* Strings a YAML reader would take for something else are quoted and read back as strings. */
static void test_quoting_round_trip(void **state) {
        static const char *const tricky[] = {
                "123",         "0x1F",    "1e3",   "-1",     "+1",        ".5",       ".inf",
                "true",        "False",   "yes",   "off",    "null",      "~",        "y",
                "$LATEST",     "a: b",    "#hash", "- dash", "trailing ", " leading", "quote\"s",
                "multi\nline", "ünïcödé", "[x]",   "{y}",    "*star",     "&amp",     "!bang",
                "%pct",        "@at",     "`tick", "|pipe",  ">gt",       "'single'", "a #b",
        };
        _cleanup_(yaml_stream_freep) YamlStream *stream = NULL;
        EmitResource r = aws("f", NULL);
        DiagList diags;
        char *yaml;

        r.config.on_success.target = strdup("OBS"); /* param values exercise the quoting */
        r.config.on_success.param = json_object();
        for (size_t i = 0; i < ELEMENTSOF(tricky); i++) {
                char key[16];
                snprintf(key, sizeof(key), "k%02zu", i);
                json_object_set_new(r.config.on_success.param, key, json_string(tricky[i]));
        }
        json_object_set_new(r.config.on_success.param, "n", json_integer(5));
        json_object_set_new(r.config.on_success.param, "b", json_false());
        assert_int_equal(emit_yaml(&r, 1, &yaml), 0);

        diag_list_init(&diags);
        assert_int_equal(yaml_tree_parse("t.yaml", yaml, strlen(yaml), &diags, &stream), 0);
        assert_int_equal(diags.n, 0);
        assert_int_equal(stream->n_documents, 1);
        const YamlNode *param = yaml_node_get(
                yaml_node_get(yaml_node_get(stream->documents[0], "spec"), "onSuccess"), "param");
        assert_non_null(param);
        for (size_t i = 0; i < ELEMENTSOF(tricky); i++) {
                char key[16];
                snprintf(key, sizeof(key), "k%02zu", i);
                const YamlNode *v = yaml_node_get(param, key);
                print_message("%s: %s\n", key, tricky[i]);
                assert_non_null(v);
                assert_int_equal(v->kind, YAML_KIND_STRING);
                assert_string_equal(yaml_node_string(v), tricky[i]);
        }
        assert_int_equal(yaml_node_get(param, "n")->kind, YAML_KIND_INT);
        assert_int_equal(yaml_node_get(param, "b")->kind, YAML_KIND_BOOL);
        free(yaml);
        emit_resource_done(&r);
        diag_list_done(&diags);
}

static void assert_loads_back(const EmitResource *r, size_t n) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        DesiredIterator it = {};
        const ResourceSpec *spec;
        char *yaml;
        size_t i = 0;

        assert_int_equal(emit_yaml(r, n, &yaml), 0);
        assert_int_equal(desired_set_new(NULL, &s), 0);
        int k = desired_set_load_data(s, "import.yaml", yaml, strlen(yaml));
        const DesiredFile *f = desired_set_get_file(s, "import.yaml");
        if (f && f->diags.n > 0) {
                diag_list_print(&f->diags, stderr);
                fputs(yaml, stderr);
        }
        assert_int_equal(k, 1);
        assert_int_equal(f->diags.n, 0);
        while ((spec = desired_set_next(s, &it))) {
                assert_true(i < n);
                assert_int_equal(spec->provider, r[i].provider);
                assert_string_equal(spec->function, r[i].function);
                for (AsyncField fl = 0; fl < _ASYNC_FIELD_MAX; fl++)
                        assert_true(async_field_equal(&spec->config, &r[i].config, fl));
                i++;
        }
        assert_int_equal(i, n);
        free(yaml);
}

static void test_loader_round_trip(void **state) {
        EmitResource r[3] = {
                aws("arn:aws:lambda:us-east-1:123456789012:function:orders", "$LATEST"),
                { .provider = PROVIDER_ALICLOUD,
                  .function = strdup("svc/fn"),
                  .qualifier = strdup("LATEST") },
                { .provider = PROVIDER_HUAWEICLOUD,
                  .function = strdup(
                          "urn:fss:cn-north-4:0123456789abcdef0123456789abcdef:function:default:ingest:latest") },
        };

        r[0].config.has_max_retry_attempts = true;
        r[0].config.has_max_event_age = true;
        r[0].config.max_event_age_seconds = 60;
        r[0].config.on_failure.target = strdup("arn:aws:sqs:us-east-1:123456789012:dlq");
        r[1].config.has_async_task = true;
        r[1].config.async_task = true;
        r[1].config.has_max_retry_attempts = true;
        r[1].config.max_retry_attempts = 8;
        r[1].config.on_success.target =
                strdup("acs:mns:cn-hangzhou:1234567890123456:/queues/q/messages");
        r[2].config.has_async_status_log = true;
        r[2].config.on_success.target = strdup("OBS");
        r[2].config.on_success.param =
                json_pack("{s:s, s:s, s:i}", "bucket", "123", "prefix", "/s", "expires", 0);
        r[2].config.on_failure.target = strdup("SMN");
        r[2].config.on_failure.param = json_string(
                "{\"topic_urn\":\"urn:smn:cn-north-4:0123456789abcdef0123456789abcdef:dlq\"}");
        assert_loads_back(r, 3);
        for (size_t i = 0; i < 3; i++)
                emit_resource_done(&r[i]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_exact_output),
                cmocka_unit_test(test_unique_long),
                cmocka_unit_test(test_quoting_round_trip),
                cmocka_unit_test(test_loader_round_trip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
