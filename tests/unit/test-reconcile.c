/* SPDX-License-Identifier: MIT */
/* reconcile.c against the emulator, in-process: a FakeCloud served on 127.0.0.1 by
 * tests/fakecloud/server.h, a real CloudClient (lib/http on an sd-event loop) and a state store
 * in a temporary directory. Plan and apply outcomes, exactly one PUT per write (the emulator's
 * counters), a failed read that decides nothing, observe mode that never writes but records
 * the baseline of the last agreement, the state store on apply, drift versus change, the
 * PUT-started hook, and cancellation (the callback once, -ECANCELED). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "clouds/cloud.h"
#include "lib/http.h"
#include "reconciler/core/reconcile.h"
#include "reconciler/spec/yaml-tree.h"
#include "tests/fakecloud/fakecloud.h"
#include "tests/fakecloud/server.h"
#include "tests/unit/fake-control.h"

#define KEY "aws/aws-test/orders/$LATEST"

typedef struct Env {
        FakeCloud *fc;
        FakeServer *server;
        sd_event *event;
        HttpEngine *engine;
        CloudClient *client;
        StateStore *store;
        char dir[64];
        char endpoint[64];
} Env;

typedef struct Outcome {
        unsigned calls;
        unsigned put_started;
        unsigned gated;              /* calls of the gate */
        bool put_in_flight_at_start; /* reconcile_put_in_flight() inside the hook */
        bool cancel_in_hook;
        ReconcileOutcome outcome;
        CloudErrorClass error_class;
        int error;
        CloudOp error_op;
        bool put_sent, live_absent;
        bool has_diff, has_last_applied, drift, change;
        size_t n_entries;
} Outcome;

static int creds_get(void *userdata, CloudCredentials *ret) {
        *ret = (CloudCredentials){ .access_key_id = FAKE_DEFAULT_AWS_AKID, .secret = "fakesecret" };
        return 0;
}

/* ---- the emulator's control API, in-process ------------------------------------------- */

static void control_void(Env *env, const char *method, const char *path, const char *body) {
        fake_control_void(env->fc, method, path, body);
}

static unsigned count(Env *env, const char *method) {
        return fake_count(env->fc, method);
}

static void drift(Env *env, const char *config) {
        char body[512];

        snprintf(
                body, sizeof(body),
                "{\"provider\": \"aws\", \"function\": \"orders\", \"mode\": \"merge\", \"config\": %s}",
                config);
        control_void(env, "PUT", "/_fake/drift", body);
}

static json_int_t live_retries(Env *env) {
        return fake_live_retries(env->fc);
}

/* ---- set-up ------------------------------------------------------------------------------ */

static int setup(void **state) {
        Env *env = calloc(1, sizeof(Env));
        FakeServerOptions o = { .threads = 2 };
        char err[256] = "";
        CloudAccount a = { .name = "aws-test",
                           .api = CLOUD_API_AWS_LAMBDA,
                           .region = "us-east-1",
                           .credentials = creds_get };

        assert_non_null(env);
        assert_int_equal(fake_cloud_new(&(FakeCloudOptions){}, &env->fc), 0);
        if (fake_server_start(env->fc, &o, &env->server, err, sizeof(err)) < 0)
                fail_msg("fake_server_start: %s", err);
        snprintf(env->endpoint, sizeof(env->endpoint), "http://127.0.0.1:%u",
                 fake_server_port(env->server));
        a.endpoint = env->endpoint;
        assert_int_equal(sd_event_new(&env->event), 0);
        assert_int_equal(http_engine_new(env->event, NULL, &env->engine), 0);
        assert_int_equal(cloud_client_new(env->engine, &a, &env->client), 0);
        snprintf(env->dir, sizeof(env->dir), "/tmp/test-reconcile.XXXXXX");
        assert_non_null(mkdtemp(env->dir));
        assert_int_equal(state_store_open(env->dir, NULL, &env->store), 0);
        control_void(env, "POST", "/_fake/functions",
                     "{\"provider\": \"aws\", \"function\": \"orders\"}");
        *state = env;
        return 0;
}

static int teardown(void **state) {
        Env *env = *state;

        cloud_client_unref(env->client);
        http_engine_free(env->engine);
        sd_event_unref(env->event);
        fake_server_stop(env->server);
        fake_cloud_free(env->fc);
        state_store_free(env->store); /* never saved: only the empty database is there */
        for (const char *const *n =
                     (const char *const[]){ "state.db", "state.db-wal", "state.db-shm", NULL };
             *n; n++) {
                char p[PATH_MAX];
                snprintf(p, sizeof(p), "%s/%s", env->dir, *n);
                (void) unlink(p);
        }
        assert_int_equal(rmdir(env->dir), 0);
        free(env);
        return 0;
}

static ResourceSpec *spec_new(int retries, const char *management) {
        _cleanup_(yaml_stream_freep) YamlStream *stream = NULL;
        _cleanup_free_ char *doc = NULL;
        ResourceSpec *spec = NULL;
        DiagList diags;

        assert_true(asprintf(&doc,
                             "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\n"
                             "metadata: {name: orders}\n"
                             "spec:\n  provider: aws\n  account: aws-test\n  function: orders\n"
                             "  maxRetryAttempts: %d\n  maxEventAgeSeconds: 3600\n"
                             "  management: %s\n",
                             retries, management) > 0);
        diag_list_init(&diags);
        assert_int_equal(yaml_tree_parse("t.yaml", doc, strlen(doc), &diags, &stream), 0);
        assert_int_equal(resource_spec_from_node("t.yaml", stream->documents[0], &diags, &spec), 0);
        diag_list_done(&diags);
        return spec;
}

/* ---- running one reconcile -------------------------------------------------------------- */

static void on_put_started(Reconcile *r, void *userdata) {
        Outcome *o = userdata;

        o->put_started++;
        o->put_in_flight_at_start = reconcile_put_in_flight(r);
        assert_int_equal(o->calls, 0); /* before the result */
        if (o->cancel_in_hook)
                reconcile_cancel(r);
}

static void on_result(Reconcile *r, ReconcileResult *res, void *userdata) {
        Outcome *o = userdata;

        o->calls++;
        o->outcome = res->outcome;
        o->error_class = res->error->class;
        o->error = res->error->error;
        o->error_op = res->error_op;
        o->put_sent = res->put_sent;
        o->live_absent = res->live_absent;
        o->has_diff = res->diff;
        if (res->diff) {
                o->has_last_applied = res->diff->has_last_applied;
                o->drift = diff_has_drift(res->diff);
                o->change = diff_has_change(res->diff);
                o->n_entries = res->diff->n_entries;
        }
        assert_false(reconcile_put_in_flight(r));
}

/* Starts a reconcile and runs the loop until its callback (bounded by a count of loop
 * iterations, not by time); checks that the callback fired exactly once. */
static Outcome run_full(Env *env, int retries, const char *management, ReconcileMode mode,
                        bool cancel_at_once, bool cancel_in_hook) {
        ResourceSpec *spec = spec_new(retries, management);
        Outcome o = { .cancel_in_hook = cancel_in_hook };
        Reconcile *r = NULL;

        assert_int_equal(
                reconcile_start(env->client, spec, env->store, KEY, mode, on_result, &o, &r), 0);
        resource_spec_free(spec); /* copied */
        assert_non_null(r);
        reconcile_set_put_started(r, on_put_started);
        assert_false(reconcile_put_in_flight(r)); /* the GET is */
        if (cancel_at_once)
                reconcile_cancel(r);
        for (unsigned i = 0; i < 1000 && o.calls == 0; i++)
                assert_true(sd_event_run(env->event, 10 * 1000) >= 0);
        assert_int_equal(o.calls, 1);
        for (unsigned i = 0; i < 3; i++)
                assert_true(sd_event_run(env->event, 0) >= 0);
        assert_int_equal(o.calls, 1);
        assert_int_equal(http_engine_in_flight(env->engine), 0);
        return o;
}

static Outcome run(Env *env, int retries, const char *management, ReconcileMode mode) {
        return run_full(env, retries, management, mode, false, false);
}

static const StateRecord *record(Env *env) {
        return state_store_get(env->store, KEY);
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_plan_then_apply_creates(void **state) {
        Env *env = *state;
        Outcome o;

        o = run(env, 1, "enforce", RECONCILE_PLAN);
        assert_int_equal(o.outcome, RECONCILE_WOULD_CREATE);
        assert_true(o.live_absent);
        assert_false(o.put_sent);
        assert_int_equal(o.put_started, 0);
        assert_int_equal(count(env, "PUT"), 0);
        assert_null(record(env)); /* plan records nothing */

        o = run(env, 1, "enforce", RECONCILE_APPLY);
        assert_int_equal(o.outcome, RECONCILE_CREATED);
        assert_true(o.put_sent);
        assert_int_equal(o.put_started, 1);
        assert_true(o.put_in_flight_at_start);
        assert_int_equal(count(env, "PUT"), 1);
        assert_int_equal(live_retries(env), 1);
        assert_non_null(record(env));
        assert_true(record(env)->created);
        assert_int_equal(record(env)->applied.max_retry_attempts, 1);

        /* Again: in sync, nothing written, and plan says so too. */
        o = run(env, 1, "enforce", RECONCILE_APPLY);
        assert_int_equal(o.outcome, RECONCILE_IN_SYNC);
        assert_int_equal(o.put_started, 0);
        o = run(env, 1, "enforce", RECONCILE_PLAN);
        assert_int_equal(o.outcome, RECONCILE_IN_SYNC);
        assert_int_equal(count(env, "PUT"), 1);
        assert_int_equal(count(env, "POST"), 0); /* never AWS's merging POST */
}

static void test_drift_updates_with_one_put(void **state) {
        Env *env = *state;
        Outcome o;

        assert_int_equal(run(env, 1, "enforce", RECONCILE_APPLY).outcome, RECONCILE_CREATED);
        drift(env, "{\"MaximumRetryAttempts\": 0}");

        o = run(env, 1, "enforce", RECONCILE_PLAN);
        assert_int_equal(o.outcome, RECONCILE_WOULD_UPDATE);
        assert_true(o.has_last_applied && o.drift && !o.change);
        assert_int_equal(count(env, "PUT"), 1);

        o = run(env, 1, "enforce", RECONCILE_APPLY);
        assert_int_equal(o.outcome, RECONCILE_UPDATED);
        assert_false(o.live_absent);
        assert_true(o.has_last_applied && o.drift && !o.change);
        assert_int_equal(o.n_entries, 1);
        assert_int_equal(o.put_started, 1);
        assert_int_equal(count(env, "PUT"), 2);
        assert_int_equal(live_retries(env), 1);
        assert_true(record(env)->created); /* ownership decided by the first apply */
}

static int gate_hold(Reconcile *r, void *userdata) {
        Outcome *o = userdata;

        o->gated++;
        return RECONCILE_GATE_HOLD;
}

/* The daemon holds the write of a resource in a write conflict: the gate says so, and the run
 * ends as observe mode would, with its diff and without a PUT. */
static void test_gate_hold_writes_nothing(void **state) {
        Env *env = *state;
        ResourceSpec *spec = spec_new(1, "enforce");
        Outcome o = {};
        Reconcile *r = NULL;

        assert_int_equal(run(env, 1, "enforce", RECONCILE_APPLY).outcome, RECONCILE_CREATED);
        drift(env, "{\"MaximumRetryAttempts\": 0}");
        assert_int_equal(reconcile_start(env->client, spec, env->store, KEY, RECONCILE_APPLY,
                                         on_result, &o, &r),
                         0);
        resource_spec_free(spec);
        reconcile_set_put_started(r, on_put_started);
        reconcile_set_gate(r, gate_hold);
        for (unsigned i = 0; i < 1000 && o.calls == 0; i++)
                assert_true(sd_event_run(env->event, 10 * 1000) >= 0);
        assert_int_equal(o.calls, 1);
        assert_int_equal(o.gated, 1);
        assert_int_equal(o.outcome, RECONCILE_WOULD_UPDATE);
        assert_true(o.has_diff && o.drift);
        assert_false(o.put_sent);
        assert_int_equal(o.put_started, 0);
        assert_int_equal(count(env, "PUT"), 1);
        assert_int_equal(live_retries(env), 0);
}

static void test_change_is_not_drift(void **state) {
        Env *env = *state;
        Outcome o;

        assert_int_equal(run(env, 1, "enforce", RECONCILE_APPLY).outcome, RECONCILE_CREATED);
        o = run(env, 2, "enforce", RECONCILE_APPLY);
        assert_int_equal(o.outcome, RECONCILE_UPDATED);
        assert_true(o.has_last_applied && o.change && !o.drift);
        assert_int_equal(count(env, "PUT"), 2);
        assert_int_equal(record(env)->applied.max_retry_attempts, 2);
        assert_int_equal(live_retries(env), 2);
}

/* A record says where it was applied: the client's account. In sync through an account that
 * is now elsewhere (or from a record older than locations), the record moves with it: the
 * config that agrees with the YAML is there now. */
static void test_record_location(void **state) {
        Env *env = *state;
        CloudAccount west = *cloud_client_get_account(env->client);
        CloudClient *east = env->client;
        Outcome o;

        assert_int_equal(run(env, 1, "enforce", RECONCILE_APPLY).outcome, RECONCILE_CREATED);
        assert_string_equal(record(env)->location.account, "aws-test");
        assert_string_equal(record(env)->location.api, "lambda");
        assert_string_equal(record(env)->location.region, "us-east-1");
        assert_string_equal(record(env)->location.endpoint, env->endpoint);
        assert_null(record(env)->location.account_id);

        west.region = "eu-west-1";
        assert_int_equal(cloud_client_new(env->engine, &west, &env->client), 0);
        o = run(env, 1, "enforce", RECONCILE_APPLY);
        assert_int_equal(o.outcome, RECONCILE_IN_SYNC);
        assert_string_equal(record(env)->location.region, "eu-west-1");
        assert_true(record(env)->created);
        cloud_client_unref(env->client);
        env->client = east;

        /* A record without a location learns it on its next run in sync. */
        assert_int_equal(state_store_set_location(env->store, KEY, &(StateLocation){}), 1);
        assert_false(state_location_is_known(&record(env)->location));
        assert_int_equal(run(env, 1, "enforce", RECONCILE_APPLY).outcome, RECONCILE_IN_SYNC);
        assert_string_equal(record(env)->location.region, "us-east-1");
        /* Plan records nothing. */
        assert_int_equal(state_store_set_location(env->store, KEY, &(StateLocation){}), 1);
        assert_int_equal(run(env, 1, "enforce", RECONCILE_PLAN).outcome, RECONCILE_IN_SYNC);
        assert_false(state_location_is_known(&record(env)->location));
        assert_int_equal(count(env, "PUT"), 1);
}

static void test_failed_read_decides_nothing(void **state) {
        Env *env = *state;
        Outcome o;

        assert_int_equal(run(env, 1, "enforce", RECONCILE_APPLY).outcome, RECONCILE_CREATED);
        drift(env, "{\"MaximumRetryAttempts\": 0}");
        control_void(env, "POST", "/_fake/faults",
                     "{\"error5xx\": 1.0, \"errorStatus\": 503, \"method\": \"GET\"}");
        o = run(env, 1, "enforce", RECONCILE_APPLY);
        assert_int_equal(o.outcome, RECONCILE_ERROR);
        assert_int_equal(o.error_op, CLOUD_OP_GET);
        assert_int_equal(o.error_class, CLOUD_ERROR_TRANSIENT);
        assert_false(o.has_diff);
        assert_false(o.put_sent);
        assert_int_equal(o.put_started, 0);
        assert_int_equal(count(env, "PUT"), 1);
        assert_int_equal(count(env, "DELETE"), 0);
        assert_int_equal(live_retries(env), 0);
        assert_int_equal(record(env)->applied.max_retry_attempts, 1);
        control_void(env, "POST", "/_fake/faults", "{}");
}

static void test_failed_put_is_an_error(void **state) {
        Env *env = *state;
        Outcome o;

        control_void(env, "POST", "/_fake/faults", "{\"error5xx\": 1.0, \"method\": \"PUT\"}");
        o = run(env, 1, "enforce", RECONCILE_APPLY);
        assert_int_equal(o.outcome, RECONCILE_ERROR);
        assert_int_equal(o.error_op, CLOUD_OP_PUT);
        assert_true(o.put_sent);
        assert_int_equal(o.put_started, 1);
        assert_null(record(env)); /* nothing applied, nothing recorded */
        control_void(env, "POST", "/_fake/faults", "{}");
}

static void test_observe_never_writes_and_keeps_a_baseline(void **state) {
        Env *env = *state;
        Outcome o;

        /* No config: would create, nothing written or recorded. */
        o = run(env, 1, "observe", RECONCILE_APPLY);
        assert_int_equal(o.outcome, RECONCILE_WOULD_CREATE);
        assert_int_equal(o.put_started, 0);
        assert_null(record(env));

        /* Differs, never seen in agreement: no baseline, so neither drift nor change. */
        drift(env, "{\"MaximumRetryAttempts\": 0, \"MaximumEventAgeInSeconds\": 3600}");
        o = run(env, 1, "observe", RECONCILE_APPLY);
        assert_int_equal(o.outcome, RECONCILE_WOULD_UPDATE);
        assert_false(o.has_last_applied || o.drift || o.change);
        assert_null(record(env));

        /* In agreement: live is recorded as the baseline (adopted, not created). */
        drift(env, "{\"MaximumRetryAttempts\": 1}");
        o = run(env, 1, "observe", RECONCILE_APPLY);
        assert_int_equal(o.outcome, RECONCILE_IN_SYNC);
        assert_non_null(record(env));
        assert_false(record(env)->created);
        assert_int_equal(record(env)->applied.max_retry_attempts, 1);

        /* The cloud moves: drift. The YAML moves: change. Never a write. */
        drift(env, "{\"MaximumRetryAttempts\": 2}");
        o = run(env, 1, "observe", RECONCILE_APPLY);
        assert_int_equal(o.outcome, RECONCILE_WOULD_UPDATE);
        assert_true(o.has_last_applied && o.drift && !o.change);
        drift(env, "{\"MaximumRetryAttempts\": 1}");
        o = run(env, 0, "observe", RECONCILE_APPLY);
        assert_int_equal(o.outcome, RECONCILE_WOULD_UPDATE);
        assert_true(o.has_last_applied && o.change && !o.drift);
        assert_int_equal(record(env)->applied.max_retry_attempts, 1);
        assert_int_equal(count(env, "PUT"), 0);
        assert_int_equal(count(env, "POST"), 0);
        assert_int_equal(count(env, "DELETE"), 0);
}

static void test_plan_records_nothing_in_sync(void **state) {
        Env *env = *state;

        drift(env, "{\"MaximumRetryAttempts\": 1, \"MaximumEventAgeInSeconds\": 3600}");
        assert_int_equal(run(env, 1, "enforce", RECONCILE_PLAN).outcome, RECONCILE_IN_SYNC);
        assert_null(record(env));
        /* apply adopts it */
        assert_int_equal(run(env, 1, "enforce", RECONCILE_APPLY).outcome, RECONCILE_IN_SYNC);
        assert_non_null(record(env));
        assert_false(record(env)->created);
        assert_int_equal(count(env, "PUT"), 0);
}

static void test_cancel(void **state) {
        Env *env = *state;
        Outcome o;

        /* During the GET. */
        o = run_full(env, 1, "enforce", RECONCILE_APPLY, true, false);
        assert_int_equal(o.outcome, RECONCILE_ERROR);
        assert_int_equal(o.error_class, CLOUD_ERROR_TRANSIENT);
        assert_int_equal(o.error, -ECANCELED);
        assert_false(o.put_sent);
        assert_int_equal(o.put_started, 0);
        assert_null(record(env));

        /* During the PUT (cancelled from the hook): the callback still fires once. */
        o = run_full(env, 1, "enforce", RECONCILE_APPLY, false, true);
        assert_int_equal(o.outcome, RECONCILE_ERROR);
        assert_int_equal(o.error_op, CLOUD_OP_PUT);
        assert_int_equal(o.error, -ECANCELED);
        assert_true(o.put_sent);
        assert_int_equal(o.put_started, 1);
        assert_null(record(env));
}

static void test_strings(void **state) {
        for (ReconcileOutcome o = 0; o < _RECONCILE_OUTCOME_MAX; o++)
                assert_int_equal(reconcile_outcome_from_string(reconcile_outcome_to_string(o)), o);
        assert_string_equal(reconcile_outcome_to_string(RECONCILE_WOULD_UPDATE), "would_update");
        assert_int_equal(reconcile_mode_from_string("apply"), RECONCILE_APPLY);
        assert_int_equal(reconcile_mode_from_string("nope"), _RECONCILE_MODE_INVALID);
        assert_null(reconcile_outcome_to_string(_RECONCILE_OUTCOME_MAX));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_plan_then_apply_creates, setup, teardown),
                cmocka_unit_test_setup_teardown(test_drift_updates_with_one_put, setup, teardown),
                cmocka_unit_test_setup_teardown(test_gate_hold_writes_nothing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_change_is_not_drift, setup, teardown),
                cmocka_unit_test_setup_teardown(test_record_location, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failed_read_decides_nothing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failed_put_is_an_error, setup, teardown),
                cmocka_unit_test_setup_teardown(test_observe_never_writes_and_keeps_a_baseline,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_plan_records_nothing_in_sync, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
                cmocka_unit_test(test_strings),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
