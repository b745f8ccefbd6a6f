/* SPDX-License-Identifier: MIT */
/* Desired + live (+ last applied) → diff entries, drift, change. Table driven; every
 * normalisation rule of DESIGN.md §3.4 has a case that fails without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "reconciler/core/diff.h"
#include "reconciler/spec/yaml-tree.h"

#define B(f) ASYNC_FIELD_BIT(ASYNC_FIELD_##f)
#define PRESENT ((AsyncFieldSet) 0xffff0000u) /* managed = the fields present in desired */

static void config_from(const char *text, AsyncConfig *ret) {
        json_error_t err;
        json_t *j = json_loads(text, 0, &err);
        assert_non_null(j);
        assert_int_equal(async_config_from_json(j, ret), 0);
        json_decref(j);
}

/* All entries formatted and joined with "; ". */
static char *diff_render(const Diff *d) {
        char *all = strdup("");
        for (size_t i = 0; i < d->n_entries; i++) {
                char *s, *n;
                assert_int_equal(diff_format_field_value(d, &d->entries[i], &s), 0);
                assert_true(asprintf(&n, "%s%s%s", all, i ? "; " : "", s) >= 0);
                free(all);
                free(s);
                all = n;
        }
        return all;
}

typedef struct Case {
        const char *name;
        const char *desired;
        AsyncFieldSet managed;
        AsyncFieldSet ignore;
        const char *live; /* NULL: no configuration exists */
        const char *last; /* NULL: never applied */
        const char *expect;
        AsyncFieldSet drift, change;
} Case;

static const Case cases[] = {
        { "equal", "{\"maxRetryAttempts\":1,\"maxEventAgeSeconds\":60}", PRESENT, 0,
          "{\"maxRetryAttempts\":1,\"maxEventAgeSeconds\":60}", NULL, "" },
        { "retries differ", "{\"maxRetryAttempts\":0}", PRESENT, 0, "{\"maxRetryAttempts\":2}",
          NULL, "maxRetryAttempts: 2 → 0" },
        /* 0 is a value: desired 0 against a live config without the field is a difference. */
        { "zero vs absent", "{\"maxRetryAttempts\":0}", PRESENT, 0, "{}", NULL,
          "maxRetryAttempts: (none) → 0" },
        { "false vs absent", "{\"asyncTask\":false}", PRESENT, 0, "{}", NULL,
          "asyncTask: (none) → false" },
        /* Unmanaged fields are not compared. */
        { "unmanaged", "{\"maxRetryAttempts\":1}", PRESENT, 0,
          "{\"maxRetryAttempts\":1,\"maxEventAgeSeconds\":600,\"onSuccess\":{\"destination\":\"arn:aws:sqs:r:1:q\"}}",
          NULL, "" },
        /* A managed but empty destination (onSuccess: null in YAML) means "none". */
        { "managed none vs set", "{}", B(ON_SUCCESS), 0,
          "{\"onSuccess\":{\"destination\":\"arn:aws:sqs:r:1:q\"}}", NULL,
          "onSuccess: arn:aws:sqs:r:1:q → (none)" },
        /* "" is absent. */
        { "managed none vs empty string", "{}", B(ON_SUCCESS) | B(ON_FAILURE), 0,
          "{\"onSuccess\":{\"destination\":\"\"}}", NULL, "" },
        { "none vs set", "{\"onFailure\":{\"destination\":\"arn:aws:sqs:us-east-1:1:q\"}}", PRESENT,
          0, "{}", NULL, "onFailure: (none) → arn:aws:sqs:us-east-1:1:q" },
        { "ignore", "{\"maxRetryAttempts\":1,\"maxEventAgeSeconds\":60}", PRESENT,
          B(MAX_RETRY_ATTEMPTS), "{\"maxRetryAttempts\":2,\"maxEventAgeSeconds\":61}", NULL,
          "maxEventAgeSeconds: 61 → 60" },
        { "no live config", "{\"maxRetryAttempts\":1,\"enableAsyncStatusLog\":true}", PRESENT, 0,
          NULL, NULL, "maxRetryAttempts: (none) → 1; enableAsyncStatusLog: (none) → true" },
        { "huawei param key order",
          "{\"onFailure\":{\"destination\":\"OBS\",\"param\":{\"bucket\":\"b\",\"prefix\":\"/f\",\"expires\":5}}}",
          PRESENT, 0,
          "{\"onFailure\":{\"destination\":\"OBS\",\"param\":{\"expires\":5,\"prefix\":\"/f\",\"bucket\":\"b\"}}}",
          NULL, "" },
        { "huawei param value",
          "{\"onFailure\":{\"destination\":\"OBS\",\"param\":{\"bucket\":\"b\",\"prefix\":\"/f\"}}}",
          PRESENT, 0,
          "{\"onFailure\":{\"destination\":\"OBS\",\"param\":{\"prefix\":\"/g\",\"bucket\":\"b\"}}}",
          NULL, "onFailure: OBS {bucket: b, prefix: /g} → OBS {bucket: b, prefix: /f}" },
        { "huawei type",
          "{\"onSuccess\":{\"destination\":\"SMN\",\"param\":{\"topic_urn\":\"u\"}}}", PRESENT, 0,
          "{\"onSuccess\":{\"destination\":\"DIS\",\"param\":{\"topic_urn\":\"u\"}}}", NULL,
          "onSuccess: DIS {topic_urn: u} → SMN {topic_urn: u}" },
        { "huawei empty param", "{\"onSuccess\":{\"destination\":\"OBS\"}}", PRESENT, 0,
          "{\"onSuccess\":{\"destination\":\"OBS\",\"param\":{}}}", NULL, "" },
        /* Drift versus change. */
        { "drift", "{\"maxRetryAttempts\":1}", PRESENT, 0, "{\"maxRetryAttempts\":2}",
          "{\"maxRetryAttempts\":1}", "maxRetryAttempts: 2 → 1", B(MAX_RETRY_ATTEMPTS), 0 },
        { "change", "{\"maxRetryAttempts\":2}", PRESENT, 0, "{\"maxRetryAttempts\":1}",
          "{\"maxRetryAttempts\":1}", "maxRetryAttempts: 1 → 2", 0, B(MAX_RETRY_ATTEMPTS) },
        { "drift and change", "{\"maxRetryAttempts\":0,\"maxEventAgeSeconds\":60}", PRESENT, 0,
          "{\"maxRetryAttempts\":2,\"maxEventAgeSeconds\":60}",
          "{\"maxRetryAttempts\":1,\"maxEventAgeSeconds\":60}", "maxRetryAttempts: 2 → 0",
          B(MAX_RETRY_ATTEMPTS), B(MAX_RETRY_ATTEMPTS) },
        /* Both moved to the same value: nothing to write, still drift and change. */
        { "converged elsewhere", "{\"maxRetryAttempts\":2}", PRESENT, 0, "{\"maxRetryAttempts\":2}",
          "{\"maxRetryAttempts\":1}", "", B(MAX_RETRY_ATTEMPTS), B(MAX_RETRY_ATTEMPTS) },
        /* Drift on an ignored field is not reported. */
        { "ignored drift", "{\"maxRetryAttempts\":1}", PRESENT, B(MAX_RETRY_ATTEMPTS),
          "{\"maxRetryAttempts\":2}", "{\"maxRetryAttempts\":1}", "", 0, 0 },
        /* Drift on an unmanaged field is not reported. */
        { "unmanaged drift", "{\"maxRetryAttempts\":1}", PRESENT, 0,
          "{\"maxRetryAttempts\":1,\"maxEventAgeSeconds\":70}",
          "{\"maxRetryAttempts\":1,\"maxEventAgeSeconds\":60}", "", 0, 0 },
        { "destination removed in cloud", "{\"onFailure\":{\"destination\":\"arn:a\"}}", PRESENT, 0,
          "{}", "{\"onFailure\":{\"destination\":\"arn:a\"}}", "onFailure: (none) → arn:a",
          B(ON_FAILURE), 0 },
};

static void test_table(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const Case *c = &cases[i];
                AsyncConfig desired = {}, live = {}, last = {};
                _cleanup_(diff_freep) Diff *d = NULL;

                print_message("case: %s\n", c->name);
                config_from(c->desired, &desired);
                if (c->live)
                        config_from(c->live, &live);
                if (c->last)
                        config_from(c->last, &last);
                AsyncFieldSet managed =
                        c->managed == PRESENT ? async_config_present_fields(&desired) : c->managed;
                assert_int_equal(diff_compute(&desired, managed, c->ignore, c->live ? &live : NULL,
                                              c->last ? &last : NULL, &d),
                                 0);
                char *s = diff_render(d);
                assert_string_equal(s, c->expect);
                assert_int_equal(diff_is_empty(d), isempty(c->expect));
                assert_int_equal(d->has_last_applied, !!c->last);
                assert_int_equal(d->drift, c->drift);
                assert_int_equal(d->change, c->change);
                free(s);
                async_config_done(&desired);
                async_config_done(&live);
                async_config_done(&last);
        }
}

/* The forms a cloud parser might leave behind must all be "absent", whichever side they are
 * on: NULL target, "" target, and a Huawei param given as null, "", {} or a JSON string. */
static void test_absent_forms(void **state) {
        AsyncConfig a = {}, b = {};
        _cleanup_(diff_freep) Diff *d = NULL;

        a.on_success.target = strdup("");
        a.on_success.param = json_null();
        assert_int_equal(diff_compute(&a, B(ON_SUCCESS), 0, &b, NULL, &d), 0);
        assert_true(diff_is_empty(d));
        d = diff_free(d);
        assert_int_equal(diff_compute(&b, B(ON_SUCCESS), 0, &a, NULL, &d), 0);
        assert_true(diff_is_empty(d));
        d = diff_free(d);

        /* A Huawei param as the raw JSON string the API sends, other key order, whitespace. */
        free(a.on_success.target);
        json_decref(a.on_success.param);
        a.on_success.target = strdup("OBS");
        a.on_success.param = json_string("{ \"prefix\" : \"/f\",\n  \"bucket\":\"b\" }");
        b.on_success.target = strdup("OBS");
        b.on_success.param = json_pack("{s:s, s:s}", "bucket", "b", "prefix", "/f");
        assert_int_equal(diff_compute(&b, B(ON_SUCCESS), 0, &a, NULL, &d), 0);
        assert_true(diff_is_empty(d));
        d = diff_free(d);

        /* ... and a real difference inside that string is seen. */
        json_decref(a.on_success.param);
        a.on_success.param = json_string("{\"prefix\":\"/g\",\"bucket\":\"b\"}");
        assert_int_equal(diff_compute(&b, B(ON_SUCCESS), 0, &a, NULL, &d), 0);
        assert_int_equal(d->n_entries, 1);
        {
                _cleanup_free_ char *from = NULL;
                assert_int_equal(async_field_format(&d->from, d->entries[0].field, &from), 0);
                assert_string_equal(from, "OBS {bucket: b, prefix: /g}");
        }
        d = diff_free(d);

        /* An empty-string param equals no param. */
        json_decref(a.on_success.param);
        json_decref(b.on_success.param);
        a.on_success.param = json_string("");
        b.on_success.param = NULL;
        assert_int_equal(diff_compute(&b, B(ON_SUCCESS), 0, &a, NULL, &d), 0);
        assert_true(diff_is_empty(d));

        async_config_done(&a);
        async_config_done(&b);
}

static void test_json(void **state) {
        AsyncConfig desired = {}, live = {}, last = {};
        _cleanup_(diff_freep) Diff *d = NULL;
        json_t *j;
        char *s;

        config_from(
                "{\"maxRetryAttempts\":0,\"onFailure\":{\"destination\":\"OBS\",\"param\":{\"bucket\":\"b\"}}}",
                &desired);
        config_from("{\"maxRetryAttempts\":2}", &live);
        assert_int_equal(
                diff_compute(&desired, async_config_present_fields(&desired), 0, &live, NULL, &d),
                0);
        assert_int_equal(diff_to_json(d, &j), 0);
        s = json_dumps(j, JSON_COMPACT);
        assert_string_equal(
                s,
                "[{\"field\":\"maxRetryAttempts\",\"from\":2,\"to\":0},"
                "{\"field\":\"onFailure\",\"from\":null,\"to\":{\"destination\":\"OBS\",\"param\":{\"bucket\":\"b\"}}}]");
        free(s);
        json_decref(j);
        d = diff_free(d);

        config_from("{\"maxRetryAttempts\":1}", &last);
        assert_int_equal(diff_compute(&desired, B(MAX_RETRY_ATTEMPTS), 0, &live, &last, &d), 0);
        assert_int_equal(diff_to_json(d, &j), 0);
        s = json_dumps(j, JSON_COMPACT);
        assert_string_equal(
                s,
                "[{\"field\":\"maxRetryAttempts\",\"from\":2,\"to\":0,\"drift\":true,\"change\":true}]");
        free(s);
        json_decref(j);
        assert_non_null(diff_get(d, ASYNC_FIELD_MAX_RETRY_ATTEMPTS));
        assert_null(diff_get(d, ASYNC_FIELD_ON_FAILURE));

        async_config_done(&desired);
        async_config_done(&live);
        async_config_done(&last);
}

static char *config_text(const AsyncConfig *c) {
        json_t *j;
        assert_int_equal(async_config_to_json(c, &j), 0);
        char *s = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        return s;
}

static void test_merge_for_put(void **state) {
        AsyncConfig desired = {}, live = {}, put = {};
        char *s;

        config_from("{\"maxRetryAttempts\":0,\"maxEventAgeSeconds\":60}", &desired);
        config_from(
                "{\"maxRetryAttempts\":2,\"maxEventAgeSeconds\":70,\"onFailure\":{\"destination\":\"arn:q\"},\"onSuccess\":{\"destination\":\"arn:s\"}}",
                &live);

        /* Managed from desired; unmanaged onFailure kept from live; managed-but-empty
         * onSuccess is sent as "none"; ignored maxEventAgeSeconds keeps the live value. */
        AsyncFieldSet managed = B(MAX_RETRY_ATTEMPTS) | B(MAX_EVENT_AGE_SECONDS) | B(ON_SUCCESS);
        assert_int_equal(async_config_merge_for_put(&desired, managed, B(MAX_EVENT_AGE_SECONDS),
                                                    &live, &put),
                         0);
        s = config_text(&put);
        assert_string_equal(
                s,
                "{\"maxRetryAttempts\":0,\"maxEventAgeSeconds\":70,\"onFailure\":{\"destination\":\"arn:q\"}}");
        free(s);
        async_config_done(&put);

        /* No live config: the desired document, ignored fields included (creation). */
        assert_int_equal(
                async_config_merge_for_put(&desired, managed, B(MAX_EVENT_AGE_SECONDS), NULL, &put),
                0);
        s = config_text(&put);
        assert_string_equal(s, "{\"maxRetryAttempts\":0,\"maxEventAgeSeconds\":60}");
        free(s);
        async_config_done(&put);
        async_config_done(&desired);
        async_config_done(&live);
}

static void test_field_names(void **state) {
        for (AsyncField f = 0; f < _ASYNC_FIELD_MAX; f++)
                assert_int_equal(async_field_from_string(async_field_to_string(f)), f);
        assert_int_equal(async_field_from_string("onsuccess"), _ASYNC_FIELD_INVALID);
        assert_int_equal(async_field_from_string(NULL), _ASYNC_FIELD_INVALID);
        assert_null(async_field_to_string(_ASYNC_FIELD_MAX));
        assert_string_equal(async_field_to_string(ASYNC_FIELD_ENABLE_ASYNC_STATUS_LOG),
                            "enableAsyncStatusLog");
}

/* The loader's ResourceField bits and names are the AsyncField ones (spec.ignore is passed to
 * the diff as is). */
static void test_field_table_matches_loader(void **state) {
        for (AsyncField f = 0; f < _ASYNC_FIELD_MAX; f++) {
                assert_string_equal(resource_field_to_string((ResourceField) ASYNC_FIELD_BIT(f)),
                                    async_field_to_string(f));
                assert_int_equal(resource_field_from_string(async_field_to_string(f)),
                                 ASYNC_FIELD_BIT(f));
        }
}

/* A loaded document: managed = what its YAML sets, ignore from spec.ignore. */
static void test_diff_resource(void **state) {
        static const char doc[] = "apiVersion: asyncfg.io/v1\n"
                                  "kind: AsyncInvokeConfig\n"
                                  "metadata: {name: orders}\n"
                                  "spec:\n"
                                  "  provider: aws\n"
                                  "  function: orders\n"
                                  "  maxRetryAttempts: 0\n"
                                  "  maxEventAgeSeconds: 60\n"
                                  "  ignore: [maxEventAgeSeconds]\n";
        _cleanup_(yaml_stream_freep) YamlStream *stream = NULL;
        ResourceSpec *spec = NULL;
        _cleanup_(diff_freep) Diff *d = NULL;
        AsyncConfig live = {};
        DiagList diags;

        diag_list_init(&diags);
        assert_int_equal(yaml_tree_parse("t.yaml", doc, strlen(doc), &diags, &stream), 0);
        assert_int_equal(resource_spec_from_node("t.yaml", stream->documents[0], &diags, &spec), 0);
        config_from(
                "{\"maxRetryAttempts\":2,\"maxEventAgeSeconds\":600,\"onSuccess\":{\"destination\":\"arn:x\"}}",
                &live);
        assert_int_equal(diff_resource(spec, &live, NULL, &d), 0);
        char *s = diff_render(d);
        assert_string_equal(s, "maxRetryAttempts: 2 → 0");
        free(s);
        async_config_done(&live);
        resource_spec_free(spec);
        diag_list_done(&diags);
}

static void test_config_json_rejects(void **state) {
        static const char *const bad[] = {
                "[]",
                "{\"maxRetryAttempts\":\"1\"}",
                "{\"retries\":1}",
                "{\"onSuccess\":\"arn\"}",
                "{\"onSuccess\":{\"destination\":1}}",
                "{\"onSuccess\":{\"destination\":\"OBS\",\"param\":\"x\"}}",
                "{\"onSuccess\":{\"destination\":\"OBS\",\"extra\":1}}",
                "{\"asyncTask\":1}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                json_t *j = json_loads(bad[i], 0, NULL);
                AsyncConfig c = {};
                assert_non_null(j);
                assert_int_equal(async_config_from_json(j, &c), -EBADMSG);
                json_decref(j);
        }
}

/* async_config_write_json() writes the bytes of the tree async_config_to_json() builds, with
 * and without sorted keys, indented or not. */
static void test_write_json(void **state) {
        static const char *const configs[] = {
                "{}",
                "{\"maxRetryAttempts\":0}",
                "{\"maxRetryAttempts\":2,\"maxEventAgeSeconds\":60,\"asyncTask\":true,"
                "\"enableAsyncStatusLog\":false,\"onSuccess\":{\"destination\":\"arn:s\"},"
                "\"onFailure\":{\"destination\":\"arn:f\"}}",
                "{\"onFailure\":{\"destination\":\"OBS\",\"param\":{\"prefix\":\"/f\",\"bucket\":\"b\","
                "\"n\":{\"z\":1,\"a\":[1,2.5,null]}}}}",
                "{\"onSuccess\":{\"destination\":\"q\\\"\\u00e9\"}}",
        };
        /* A param as the clouds may give it: JSON text in a string (normalised), "", other. */
        static const char *const params[] = { "{\"bucket\":\"b\",\"a\":1}", "", "not json" };

        for (size_t i = 0; i < ELEMENTSOF(configs) + ELEMENTSOF(params); i++)
                for (unsigned mode = 0; mode < 4; mode++) {
                        bool sorted = mode & 1;
                        unsigned indent = mode & 2 ? 2 : 0;
                        AsyncConfig c = {};
                        JsonWriter want, got;
                        json_t *tree;

                        if (i < ELEMENTSOF(configs))
                                config_from(configs[i], &c);
                        else {
                                c.on_success.target = strdup("OBS");
                                c.on_success.param = json_string(params[i - ELEMENTSOF(configs)]);
                                c.has_max_retry_attempts = true;
                        }
                        assert_int_equal(async_config_to_json(&c, &tree), 0);
                        json_writer_init(&want, indent, 1, sorted);
                        json_writer_json(&want, tree);
                        json_writer_init(&got, indent, 1, sorted);
                        async_config_write_json(&got, &c);
                        assert_int_equal(json_writer_error(&got), 0);
                        assert_string_equal(got.buf.s, want.buf.s);
                        json_writer_done(&want);
                        json_writer_done(&got);
                        json_decref(tree);
                        async_config_done(&c);
                }
        (void) state;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_absent_forms),
                cmocka_unit_test(test_json),
                cmocka_unit_test(test_merge_for_put),
                cmocka_unit_test(test_field_names),
                cmocka_unit_test(test_config_json_rejects),
                cmocka_unit_test(test_field_table_matches_loader),
                cmocka_unit_test(test_diff_resource),
                cmocka_unit_test(test_write_json),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
