/* SPDX-License-Identifier: MIT */
/* cli-plan's -o json report: the bytes of json_dumpf(JSON_INDENT(2) | JSON_PRESERVE_ORDER) of
 * the whole report as one jansson tree (built here the way it once was, diff entries by
 * diff_to_json()), for every action of plan and apply, diffs with and without drift/change,
 * Huawei param destinations, both kinds of error, no account, no resources; a resource that
 * cannot be written stops the output where the tree dump stopped. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reconciler/cli/plan.h"

static const char *const documents[] = {
        "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: a}\n"
        "spec: {provider: aws, account: acct, function: fa, maxRetryAttempts: 1,"
        " onFailure: {destination: 'arn:aws:sqs:us-east-1:123456789012:q'}}\n",
        "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: h}\n"
        "spec: {provider: huaweicloud, function: 'urn:fss:cn-north-4:0123456789abcdef0123456789abcdef"
        ":function:default:fh', maxRetryAttempts: 2, enableAsyncStatusLog: true,"
        " onSuccess: {destination: OBS, param: {bucket: b-q, prefix: \"/f\\\"\\u00e9\", expires: 3}}}\n",
        "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: f}\n"
        "spec: {provider: alicloud, account: fc, function: svc/ff, qualifier: prod,"
        " management: observe, asyncTask: true, maxEventAgeSeconds: 100}\n",
};

typedef struct Fixture {
        ResourceSpec *specs[ELEMENTSOF(documents)];
        CliRunItem items[24];
        CliRun run;
} Fixture;

static ResourceSpec *spec_from(const char *text, const char *path) {
        DiagList diags;
        YamlStream *stream = NULL;
        ResourceSpec *spec = NULL;

        diag_list_init(&diags);
        assert_int_equal(yaml_tree_parse(path, text, strlen(text), &diags, &stream), 0);
        int r = resource_spec_from_node(path, stream->documents[0], &diags, &spec);
        diag_list_print(&diags, stderr);
        assert_int_equal(r, 0);
        yaml_stream_free(stream);
        diag_list_done(&diags);
        return spec;
}

static Diff *diff_of(const ResourceSpec *spec, bool with_last) {
        AsyncConfig live = { .has_max_retry_attempts = true, .max_retry_attempts = 0 };
        Diff *d = NULL;

        assert_int_equal(diff_resource(spec, &live, with_last ? &live : NULL, &d), 0);
        return d;
}

/* Every outcome, for each document, with and without a last-applied document. */
static void fixture_init(Fixture *fx) {
        static const ReconcileOutcome outcomes[] = { RECONCILE_IN_SYNC, RECONCILE_CREATED,
                                                     RECONCILE_UPDATED, RECONCILE_WOULD_CREATE,
                                                     RECONCILE_WOULD_UPDATE };
        size_t n = 0;

        *fx = (Fixture){};
        for (size_t i = 0; i < ELEMENTSOF(documents); i++)
                fx->specs[i] =
                        spec_from(documents[i], i == 2 ? "/d/\"q\"\\f\xc3\xa9.yaml" : "/d/x.yaml");
        for (size_t o = 0; o < ELEMENTSOF(outcomes); o++)
                for (size_t i = 0; i < ELEMENTSOF(documents); i++, n++)
                        fx->items[n] = (CliRunItem){ .spec = fx->specs[i],
                                                     .outcome = outcomes[o],
                                                     .diff = diff_of(fx->specs[i], (n % 2) == 0) };
        fx->items[n++] = (CliRunItem){ .spec = fx->specs[0],
                                       .outcome = RECONCILE_ERROR,
                                       .account_error = strdup("no credentials") };
        fx->items[n++] = (CliRunItem){ .spec = fx->specs[1],
                                       .outcome = RECONCILE_ERROR,
                                       .error_op = CLOUD_OP_PUT,
                                       .diff = diff_of(fx->specs[1], true),
                                       .error = { .class = CLOUD_ERROR_INVALID,
                                                  .http_status = 400,
                                                  .code = strdup("Bad"),
                                                  .message = strdup("no \"way\"\n") } };
        assert_true(n <= ELEMENTSOF(fx->items));
        fx->run = (CliRun){ .items = fx->items, .n_items = n };
}

static void fixture_done(Fixture *fx) {
        for (size_t i = 0; i < fx->run.n_items; i++) {
                diff_free(fx->items[i].diff);
                cloud_error_done(&fx->items[i].error);
                free(fx->items[i].account_error);
        }
        for (size_t i = 0; i < ELEMENTSOF(documents); i++)
                resource_spec_free(fx->specs[i]);
}

/* ---- the report as one tree, as it was built before it was written directly -------------- */

static const char *action_of(const CliRunItem *item, bool apply) {
        switch (item->outcome) {
        case RECONCILE_IN_SYNC:
                return "in_sync";
        case RECONCILE_CREATED:
                return "created";
        case RECONCILE_UPDATED:
                return "updated";
        case RECONCILE_WOULD_CREATE:
                return apply ? "observe" : "create";
        case RECONCILE_WOULD_UPDATE:
                return apply ? "observe" : "update";
        default:
                return "error";
        }
}

static json_t *item_tree(const CliRunItem *item, bool apply) {
        const ResourceSpec *s = item->spec;
        const char *a = action_of(item, apply);
        json_t *diff, *o;

        if (!streq(a, "error") && !streq(a, "in_sync") && item->diff)
                assert_int_equal(diff_to_json(item->diff, &diff), 0);
        else
                diff = json_array();
        o = json_pack("{s:s, s:s, s:I, s:s, s:s?, s:s, s:s, s:s, s:s, s:o}", "name", s->name,
                      "file", s->path, "line", (json_int_t) s->line, "provider",
                      provider_to_string(s->provider), "account", s->account, "function",
                      s->function, "qualifier", s->id.qualifier, "management",
                      management_to_string(s->management), "action", a, "diff", diff);
        assert_non_null(o);
        if (streq(a, "error")) {
                char *msg = NULL;
                assert_int_equal(cli_run_item_error_message(item, &msg), 0);
                assert_int_equal(json_object_set_new(
                                         o, "error",
                                         json_pack("{s:s, s:s}", "class",
                                                   cloud_error_class_to_string(item->error.class),
                                                   "message", msg)),
                                 0);
                free(msg);
        }
        return o;
}

static char *report_as_one_tree(const CliRun *run, bool apply) {
        static const char *const order[] = { "in_sync", "create",  "update", "created",
                                             "updated", "observe", "error" };
        json_t *resources = json_array(), *summary = json_object(), *root;
        char *text = NULL, *with_newline;

        assert_int_equal(
                json_object_set_new(summary, "total", json_integer((json_int_t) run->n_items)), 0);
        for (size_t k = 0; k < ELEMENTSOF(order); k++) {
                json_int_t n = 0;
                for (size_t i = 0; i < run->n_items; i++)
                        n += streq(action_of(&run->items[i], apply), order[k]);
                if (n > 0 || streq(order[k], "in_sync") || streq(order[k], "error") ||
                    (apply ? streq(order[k], "created") || streq(order[k], "updated")
                           : streq(order[k], "create") || streq(order[k], "update")))
                        assert_int_equal(json_object_set_new(summary, order[k], json_integer(n)),
                                         0);
        }
        for (size_t i = 0; i < run->n_items; i++)
                assert_int_equal(json_array_append_new(resources, item_tree(&run->items[i], apply)),
                                 0);
        root = json_pack("{s:o, s:o}", "resources", resources, "summary", summary);
        text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        assert_non_null(text);
        json_decref(root);
        assert_true(asprintf(&with_newline, "%s\n", text) > 0);
        free(text);
        return with_newline;
}

static char *printed(const CliRun *run, bool apply, int expect) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        assert_non_null(f);
        assert_int_equal(cli_plan_print_json(run, apply, f), expect);
        assert_int_equal(fclose(f), 0);
        return text;
}

static void test_report_bytes(void **state) {
        Fixture fx;

        fixture_init(&fx);
        for (int apply = 0; apply <= 1; apply++) {
                for (size_t n = 0; n <= fx.run.n_items; n += fx.run.n_items) {
                        CliRun run = fx.run;
                        char *want, *got;
                        run.n_items = n; /* none, and all */
                        want = report_as_one_tree(&run, apply);
                        got = printed(&run, apply, 0);
                        assert_string_equal(got, want);
                        free(want);
                        free(got);
                }
        }
        fixture_done(&fx);
        (void) state;
}

/* Prints with spec i's file name replaced by one that is not UTF-8 (jansson refused it). */
static char *printed_with_bad_path(Fixture *fx, size_t i) {
        char *saved = fx->specs[i]->path, *text;

        fx->specs[i]->path = (char *) "/d/\xc3.yaml";
        text = printed(&fx->run, false, -ENOMEM);
        fx->specs[i]->path = saved;
        return text;
}

/* A resource that cannot be written: the output is what the tree dump had written up to it,
 * the separator before it included, and the run fails with -ENOMEM as it did. */
static void test_unwritable_resource(void **state) {
        Fixture fx;
        char *got, *all;
        size_t n;

        fixture_init(&fx);
        got = printed_with_bad_path(&fx, 0); /* the first resource */
        assert_string_equal(got, "{\n  \"resources\": [\n    ");
        free(got);

        got = printed_with_bad_path(&fx, 1); /* the second: the first and ",\n    " */
        all = printed(&fx.run, false, 0);
        n = (size_t) (strstr(all, "\n    },\n    {") - all) + strlen("\n    },\n    ");
        assert_int_equal(strlen(got), n);
        assert_memory_equal(got, all, n);
        free(all);
        free(got);
        fixture_done(&fx);
        (void) state;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_report_bytes),
                cmocka_unit_test(test_unwritable_resource),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
