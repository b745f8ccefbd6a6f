/* SPDX-License-Identifier: MIT */
/* The daemon's decisions (reconciler/daemon/manager*.c, resource*.c), driven directly: a real
 * Manager on an sd-event loop whose timers (debounce, queue, backoff, resync, save, deferred
 * delete, orphan retention) are on a fake clock, the emulator in-process on 127.0.0.1
 * (tests/fakecloud/server.h) behind a real CloudClient, the desired-state directory in a
 * temporary directory watched by real inotify. Nothing sleeps: time moves when the test moves
 * the fake clock, and the loop only waits for the emulator's answers (bounded by a deadline).
 *
 * File added, changed, broken, removed (deletionPolicy delete, orphan; a DELETE refused after
 * the account moved), drift, observe mode, backoff, reload, and manager_install_generation()
 * owning its generation on failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "reconciler/daemon/manager-internal.h"
#include "tests/fakecloud/fakecloud.h"
#include "tests/fakecloud/server.h"
#include "tests/unit/fake-control.h"

#define KEY "aws/aws-test/orders/$LATEST"
#define DEBOUNCE (200 * USEC_PER_MSEC) /* MANAGER_DEBOUNCE_USEC_DEFAULT */
#define RESYNC (60 * USEC_PER_SEC)
/* The latest a resync comes: resync + 10 % jitter (workqueue.c). */
#define RESYNC_LATEST (RESYNC / 10 * 11 + USEC_PER_SEC)
#define RETENTION (10 * USEC_PER_MINUTE)
#define BACKOFF_CAP (1 * USEC_PER_SEC)
/* Real time the loop may wait for the emulator's answers in one settle(). */
#define IO_DEADLINE (5 * USEC_PER_SEC)

typedef struct Env {
        FakeCloud *fc;
        FakeServer *server;
        sd_event *event;
        Clock *clock; /* fake; the manager's */
        Manager *m;
        char dir[64];
        char path[128];     /* the config */
        char file[128];     /* desired/orders.yaml */
        char keep[128];     /* desired/keep.yaml: another resource, so that the directory is never
                         * empty (an empty one removes nothing, DESIGN.md §3.2) */
        const char *region; /* the account's */
        uint16_t port;
} Env;

/* ---- the emulator's control API, in-process ------------------------------------------- */

static void control_void(Env *env, const char *method, const char *path, const char *body) {
        fake_control_void(env->fc, method, path, body);
}

static unsigned count(Env *env, const char *method) {
        return fake_count(env->fc, method);
}

/* The live MaximumRetryAttempts of orders, -1 when it has no config. */
static json_int_t live_retries(Env *env) {
        return fake_live_retries(env->fc);
}

/* ---- files --------------------------------------------------------------------------------- */

static void write_text(const char *path, const char *text) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        assert_int_equal(close(fd), 0);
}

static void write_doc(Env *env, int retries, const char *management, const char *policy) {
        char doc[512];

        snprintf(doc, sizeof(doc),
                 "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: orders}\n"
                 "spec:\n  provider: aws\n  account: aws-test\n  function: orders\n"
                 "  maxRetryAttempts: %d\n  maxEventAgeSeconds: 3600\n  management: %s\n"
                 "  deletionPolicy: %s\n",
                 retries, management, policy);
        write_text(env->file, doc);
}

static void write_config(Env *env, const char *resync) {
        char text[1024];

        snprintf(text, sizeof(text),
                 "resyncInterval: %s\ndesiredDir: %s/desired\nstateDir: %s/state\nlisten: ''\n"
                 "orphanRetention: 10m\nconcurrency: 4\nbackoff: {base: 100ms, cap: 1s}\n"
                 "accounts:\n  - name: aws-test\n    provider: aws\n    region: %s\n"
                 "    endpoint: http://127.0.0.1:%u\n"
                 "    credentials: {source: file, path: %s/creds}\n",
                 resync, env->dir, env->dir, env->region, env->port, env->dir);
        write_text(env->path, text);
}

/* ---- the loop ------------------------------------------------------------------------------ */

/* Runs what is due now: the fake clock's timers at the current time, the loop's ready sources
 * (inotify, the emulator's answers, publish), until nothing is in flight and nothing is due. The
 * only waiting is for the emulator's sockets, bounded by IO_DEADLINE of real time. */
static void settle(Env *env) {
        usec_t end = now(CLOCK_MONOTONIC) + IO_DEADLINE;

        for (;;) {
                assert_true(clock_fake_advance(env->clock, 0) >= 0);
                if (env->m->n_runs > 0)
                        assert_true(sd_event_run(env->event, 10 * USEC_PER_MSEC) >= 0);
                else if (sd_event_run(env->event, 0) == 0 &&
                         clock_fake_next(env->clock) > clock_now(env->clock))
                        return;
                if (now(CLOCK_MONOTONIC) > end)
                        fail_msg("the manager did not settle: %u runs in flight", env->m->n_runs);
        }
}

/* Moves the fake clock forward by usec in steps of its timers, settling at each. */
static void advance(Env *env, usec_t usec) {
        usec_t end = clock_now(env->clock) + usec;

        settle(env);
        for (usec_t next; (next = clock_fake_next(env->clock)) <= end;) {
                assert_true(clock_fake_advance(env->clock,
                                               next - MIN(next, clock_now(env->clock))) >= 0);
                settle(env);
        }
        assert_true(clock_fake_advance(env->clock, end - MIN(end, clock_now(env->clock))) >= 0);
        settle(env);
}

static Resource *resource(Env *env) {
        return resource_table_get(&env->m->table, KEY);
}

static ResourceState state(Env *env) {
        Resource *r = resource(env);

        return r ? r->state : _RESOURCE_STATE_INVALID;
}

static void assert_state(Env *env, ResourceState want) {
        ResourceState got = state(env);

        if (got != want)
                fail_msg("state %s, want %s", strna(resource_state_to_string(got)),
                         strna(resource_state_to_string(want)));
        if (got >= 0)
                assert_true(env->m->counts.n[got] >= 1);
}

/* ---- set-up -------------------------------------------------------------------------------- */

static void start_manager(Env *env) {
        Clock *clock;

        assert_int_equal(clock_new_fake(1700000000ULL * USEC_PER_SEC, &clock), 0);
        env->clock = clock;
        assert_int_equal(manager_new_with_clock(env->event, clock, env->path, &env->m), 0);
        assert_int_equal(manager_load(env->m), 0);
        settle(env);
}

static int setup(void **state) {
        Env *env = calloc(1, sizeof(Env));
        char err[256] = "", sub[160];

        assert_non_null(env);
        log_set_max_level(getenv("TEST_LOG") ? LOG_DEBUG : LOG_WARNING);
        assert_int_equal(fake_cloud_new(&(FakeCloudOptions){}, &env->fc), 0);
        if (fake_server_start(env->fc, &(FakeServerOptions){ .threads = 2 }, &env->server, err,
                              sizeof(err)) < 0)
                fail_msg("fake_server_start: %s", err);
        env->port = fake_server_port(env->server);
        control_void(env, "POST", "/_fake/functions",
                     "{\"provider\": \"aws\", \"function\": \"orders\"}");
        control_void(env, "POST", "/_fake/functions",
                     "{\"provider\": \"aws\", \"function\": \"keep\"}");
        assert_int_equal(sd_event_new(&env->event), 0);
        snprintf(env->dir, sizeof(env->dir), "/tmp/test-manager.XXXXXX");
        assert_non_null(mkdtemp(env->dir));
        snprintf(sub, sizeof(sub), "%s/desired", env->dir);
        assert_int_equal(mkdir(sub, 0700), 0);
        snprintf(sub, sizeof(sub), "%s/state", env->dir);
        assert_int_equal(mkdir(sub, 0700), 0);
        snprintf(sub, sizeof(sub), "%s/creds", env->dir);
        write_text(sub, "access_key_id = " FAKE_DEFAULT_AWS_AKID
                        "\nsecret_access_key = " FAKE_DEFAULT_AWS_SECRET "\n");
        snprintf(env->path, sizeof(env->path), "%s/asyncfgd.yaml", env->dir);
        snprintf(env->file, sizeof(env->file), "%s/desired/orders.yaml", env->dir);
        env->region = "us-east-1";
        write_config(env, "60s");
        snprintf(env->keep, sizeof(env->keep), "%s/desired/keep.yaml", env->dir);
        write_text(env->keep,
                   "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\n"
                   "metadata: {name: keep}\nspec:\n  provider: aws\n  account: aws-test\n"
                   "  function: keep\n  maxRetryAttempts: 0\n");
        *state = env;
        return 0;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return type == FTW_DP ? rmdir(path) : unlink(path);
}

static int teardown(void **state) {
        Env *env = *state;

        manager_free(env->m); /* frees the clock */
        sd_event_unref(env->event);
        fake_server_stop(env->server);
        fake_cloud_free(env->fc);
        assert_int_equal(nftw(env->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
        free(env);
        return 0;
}

/* orders declared at start with retries, enforced: in sync once its write is saved. */
static void start_in_sync(Env *env, const char *policy) {
        write_doc(env, 1, "enforce", policy);
        start_manager(env);
        advance(env, MANAGER_COMMIT_WINDOW_USEC);
        assert_state(env, RESOURCE_STATE_IN_SYNC);
        assert_int_equal(live_retries(env), 1);
}

/* ---- the decisions ------------------------------------------------------------------------- */

static void test_file_added_and_changed(void **state) {
        Env *env = *state;

        unsigned puts;

        start_manager(env);
        assert_null(resource(env));
        puts = count(env, "PUT");
        write_doc(env, 1, "enforce", "orphan");
        advance(env, DEBOUNCE + MANAGER_COMMIT_WINDOW_USEC);
        assert_state(env, RESOURCE_STATE_IN_SYNC);
        assert_int_equal(count(env, "PUT"), puts + 1);
        assert_int_equal(live_retries(env), 1);

        write_doc(env, 2, "enforce", "orphan");
        advance(env, DEBOUNCE + MANAGER_COMMIT_WINDOW_USEC);
        assert_state(env, RESOURCE_STATE_IN_SYNC);
        assert_int_equal(live_retries(env), 2);
        assert_int_equal(count(env, "PUT"), puts + 2);
}

static void test_file_broken_keeps_last_good(void **state) {
        Env *env = *state;

        start_in_sync(env, "delete");
        write_text(env->file, "apiVersion: asyncfg.io/v1\nkind: [\n");
        advance(env, DEBOUNCE + MANAGER_DELETE_GRACE_USEC + RESYNC);
        assert_state(env, RESOURCE_STATE_IN_SYNC);
        assert_int_equal(resource(env)->spec->config.max_retry_attempts, 1);
        assert_int_equal(count(env, "DELETE"), 0);
        assert_int_equal(live_retries(env), 1);
}

static void test_removed_delete_after_grace(void **state) {
        Env *env = *state;

        start_in_sync(env, "delete");
        assert_int_equal(unlink(env->file), 0);
        advance(env, DEBOUNCE);
        /* The grace: nothing deleted yet, the resource still known. */
        assert_non_null(resource(env));
        assert_int_equal(count(env, "DELETE"), 0);
        advance(env, DEBOUNCE + MANAGER_DELETE_GRACE_USEC);
        assert_int_equal(count(env, "DELETE"), 1);
        assert_null(resource(env));
        assert_int_equal(live_retries(env), -1);
        assert_int_equal(status_counts_total(&env->m->counts), 1); /* keep */
}

static void test_removed_and_back_within_grace(void **state) {
        Env *env = *state;

        start_in_sync(env, "delete");
        assert_int_equal(unlink(env->file), 0);
        advance(env, DEBOUNCE);
        write_doc(env, 1, "enforce", "delete");
        advance(env, DEBOUNCE + MANAGER_DELETE_GRACE_USEC);
        assert_int_equal(count(env, "DELETE"), 0);
        assert_state(env, RESOURCE_STATE_IN_SYNC);
        assert_int_equal(live_retries(env), 1);
}

static void test_removed_orphan_until_retention(void **state) {
        Env *env = *state;

        start_in_sync(env, "orphan");
        assert_int_equal(unlink(env->file), 0);
        advance(env, DEBOUNCE + MANAGER_DELETE_GRACE_USEC);
        assert_state(env, RESOURCE_STATE_ORPHANED);
        assert_int_equal(count(env, "DELETE"), 0);
        assert_int_equal(live_retries(env), 1);
        advance(env, RETENTION - 2 * USEC_PER_SEC); /* orphaned 1 s ago */
        assert_state(env, RESOURCE_STATE_ORPHANED);
        advance(env, 2 * USEC_PER_SEC);
        assert_null(resource(env));
        assert_int_equal(live_retries(env), 1); /* left alone */
}

static void test_removed_observe_mode_never_deletes(void **state) {
        Env *env = *state;

        write_doc(env, 1, "observe", "delete");
        start_manager(env);
        assert_state(env, RESOURCE_STATE_DRIFTED); /* no live config: observed, not written */
        assert_int_equal(live_retries(env), -1);
        assert_int_equal(unlink(env->file), 0);
        advance(env, DEBOUNCE + MANAGER_DELETE_GRACE_USEC);
        assert_state(env, RESOURCE_STATE_ORPHANED);
        assert_int_equal(count(env, "DELETE"), 0);
}

/* One reload that moves the account to another region, the document removed meanwhile: the
 * DELETE would reach another function of the same name, so nothing is sent; orders is in error
 * with the reason, its record kept and held (orphaned_since), checked again at the resync. */
static void start_delete_refused(Env *env) {
        Resource *r;

        start_in_sync(env, "delete");
        assert_int_equal(unlink(env->file), 0);
        env->region = "eu-west-1";
        write_config(env, "60s");
        manager_reload(env->m);
        advance(env, DEBOUNCE + MANAGER_DELETE_GRACE_USEC);
        assert_int_equal(count(env, "DELETE"), 0);
        assert_state(env, RESOURCE_STATE_ERROR);
        r = resource(env);
        assert_int_equal(r->error_class, CLOUD_ERROR_PERMANENT);
        assert_non_null(strstr(r->error, "not deleting: the config was applied in us-east-1, "
                                         "account 'aws-test' is now in eu-west-1"));
        assert_true(r->orphaned_usec > 0);
        assert_non_null(state_store_get(env->m->state, KEY));
        advance(env, RESYNC_LATEST);
        assert_int_equal(count(env, "DELETE"), 0);
        assert_state(env, RESOURCE_STATE_ERROR);
        assert_int_equal(live_retries(env), 1);
}

static void test_removed_after_region_change_deleted_only_back_there(void **state) {
        Env *env = *state;

        start_delete_refused(env);
        /* The account put back as it was: the DELETE goes there, once. */
        env->region = "us-east-1";
        write_config(env, "60s");
        manager_reload(env->m);
        advance(env, RESYNC_LATEST);
        assert_int_equal(count(env, "DELETE"), 1);
        assert_null(resource(env));
        assert_null(state_store_get(env->m->state, KEY));
        assert_int_equal(live_retries(env), -1);
}

static void test_removed_after_region_change_forgotten_after_retention(void **state) {
        Env *env = *state;

        start_delete_refused(env);
        advance(env, RETENTION);
        assert_null(resource(env));
        assert_null(state_store_get(env->m->state, KEY));
        assert_int_equal(count(env, "DELETE"), 0);
        assert_int_equal(live_retries(env), 1); /* left alone */
}

static void test_drift_corrected_at_resync(void **state) {
        Env *env = *state;

        unsigned puts;

        start_in_sync(env, "orphan");
        puts = count(env, "PUT");
        control_void(env, "PUT", "/_fake/drift",
                     "{\"provider\": \"aws\", \"function\": \"orders\", \"mode\": \"merge\", "
                     "\"config\": {\"MaximumRetryAttempts\": 0}}");
        assert_int_equal(live_retries(env), 0);
        advance(env, RESYNC_LATEST);
        assert_true(resource(env)->last_drift_usec > 0);
        assert_non_null(resource(env)->last_drift);
        /* The drift and the write that corrected it: one Diff, referenced twice. */
        assert_ptr_equal(resource(env)->last_write, resource(env)->last_drift);
        assert_int_equal(resource(env)->last_write->n_ref, 2);
        assert_state(env, RESOURCE_STATE_IN_SYNC);
        assert_int_equal(live_retries(env), 1);
        assert_int_equal(count(env, "PUT"), puts + 1);
}

/* ---- write conflicts (resource-conflict.c) -------------------------------------------------- */

/* The other writer: changes orders back to 0 retries whenever asyncfg's write is live. */
static void revert_if_written(Env *env, json_int_t written) {
        if (live_retries(env) == written)
                control_void(env, "PUT", "/_fake/drift",
                             "{\"provider\": \"aws\", \"function\": \"orders\", \"mode\": "
                             "\"merge\", \"config\": {\"MaximumRetryAttempts\": 0}}");
}

/* Fights for usec of the fake clock, reverting every write within 5 s. Returns the PUTs. */
static unsigned fight(Env *env, usec_t usec, json_int_t written) {
        unsigned puts = count(env, "PUT");

        for (usec_t t = 0; t < usec; t += 5 * USEC_PER_SEC) {
                revert_if_written(env, written);
                advance(env, 5 * USEC_PER_SEC);
        }
        return count(env, "PUT") - puts;
}

/* Up to the second reversal: a conflict, and the write of the poll that saw it held. */
static void start_conflict(Env *env) {
        unsigned puts;

        start_in_sync(env, "orphan");
        revert_if_written(env, 1);
        advance(env, RESYNC_LATEST); /* the first reversal: written again */
        assert_int_equal(live_retries(env), 1);
        assert_non_null(resource(env)->conflict);
        assert_int_equal(resource(env)->conflict->count, 1);
        assert_false(resource_in_conflict(resource(env)));
        revert_if_written(env, 1);
        puts = count(env, "PUT");
        while (!resource_in_conflict(resource(env)))
                advance(env, 5 * USEC_PER_SEC);
        assert_int_equal(count(env, "PUT"), puts); /* held */
        assert_int_equal(live_retries(env), 0);
        assert_state(env, RESOURCE_STATE_DRIFTED);
        assert_int_equal(resource(env)->conflict->count, 2);
        assert_int_equal(resource(env)->conflict->fields,
                         ASYNC_FIELD_BIT(ASYNC_FIELD_MAX_RETRY_ATTEMPTS));
        assert_int_equal(env->m->n_conflicts, 1);
}

static void test_conflict_backs_off_and_ends(void **state) {
        Env *env = *state;
        usec_t hold = 100 * USEC_PER_MSEC; /* backoff.base */
        unsigned n = 2, puts;

        start_conflict(env);
        /* Each further reversal doubles the hold of the writes, up to the window (10 min). */
        while (n < 16) {
                ResourceConflict *c = resource(env)->conflict;

                assert_int_equal(c->count, n);
                assert_int_equal(c->write_held_until - c->last_seen,
                                 MIN(hold, 10 * USEC_PER_MINUTE));
                while (resource(env)->conflict->count == n) {
                        revert_if_written(env, 1);
                        advance(env, 5 * USEC_PER_SEC);
                }
                hold *= 2;
                n++;
        }
        /* An hour of the fight: a PUT at every poll was 60; the backoff leaves a few. */
        puts = fight(env, USEC_PER_HOUR, 1);
        printf("# PUTs in an hour of a fight (resync 1m): %u\n", puts);
        assert_true(puts <= 8);
        assert_true(resource_in_conflict(resource(env)));
        /* The other writer gives up: once asyncfg's write sticks for a window, it is over. */
        advance(env, 10 * USEC_PER_MINUTE + RESYNC_LATEST);
        assert_int_equal(live_retries(env), 1);
        advance(env, 10 * USEC_PER_MINUTE + RESYNC_LATEST);
        assert_null(resource(env)->conflict);
        assert_int_equal(env->m->n_conflicts, 0);
        assert_state(env, RESOURCE_STATE_IN_SYNC);
}

static void test_conflict_reset_by_yaml_change(void **state) {
        Env *env = *state;
        unsigned puts;

        start_conflict(env);
        puts = count(env, "PUT");
        write_doc(env, 2, "enforce", "orphan");
        advance(env, DEBOUNCE + MANAGER_COMMIT_WINDOW_USEC);
        /* Written at once, not after the hold: the new document is not the one fought over. */
        assert_int_equal(count(env, "PUT"), puts + 1);
        assert_int_equal(live_retries(env), 2);
        assert_null(resource(env)->conflict);
        assert_int_equal(env->m->n_conflicts, 0);
}

static void test_observe_mode_reports_only(void **state) {
        Env *env = *state;

        unsigned puts;

        start_in_sync(env, "orphan");
        puts = count(env, "PUT");
        write_doc(env, 2, "observe", "orphan");
        advance(env, DEBOUNCE);
        assert_state(env, RESOURCE_STATE_DRIFTED);
        assert_non_null(resource(env)->diff);
        advance(env, 2 * RESYNC);
        assert_state(env, RESOURCE_STATE_DRIFTED);
        assert_int_equal(live_retries(env), 1);
        assert_int_equal(count(env, "PUT"), puts);
}

static void test_backoff_then_success(void **state) {
        Env *env = *state;

        control_void(env, "POST", "/_fake/faults",
                     "{\"error5xx\": 1.0, \"errorStatus\": 503, \"provider\": \"aws\"}");
        write_doc(env, 1, "enforce", "orphan");
        start_manager(env);
        assert_state(env, RESOURCE_STATE_RETRYING);
        assert_non_null(resource(env)->error);
        assert_int_equal(live_retries(env), -1);
        /* Still failing: retried with backoff, never faster than its base. */
        {
                unsigned gets = count(env, "GET");

                advance(env, 50 * USEC_PER_MSEC);
                assert_int_equal(count(env, "GET"), gets);
                advance(env, BACKOFF_CAP);
                assert_true(count(env, "GET") > gets);
                assert_state(env, RESOURCE_STATE_RETRYING);
        }
        control_void(env, "POST", "/_fake/faults", "{}");
        advance(env, 2 * BACKOFF_CAP + MANAGER_COMMIT_WINDOW_USEC);
        assert_state(env, RESOURCE_STATE_IN_SYNC);
        assert_null(resource(env)->error);
        assert_int_equal(live_retries(env), 1);
}

static void test_reload(void **state) {
        Env *env = *state;
        const ManagerGeneration *old;
        unsigned puts;

        start_in_sync(env, "orphan");
        puts = count(env, "PUT");
        /* A good configuration: put in force, the resources kept without another write. */
        write_config(env, "30s");
        old = env->m->gen;
        manager_reload(env->m);
        advance(env, DEBOUNCE);
        assert_true(env->m->reload_successful);
        assert_ptr_not_equal(env->m->gen, old);
        assert_int_equal(env->m->gen->config->resync_interval, 30 * USEC_PER_SEC);
        assert_state(env, RESOURCE_STATE_IN_SYNC);
        assert_int_equal(count(env, "PUT"), puts);

        /* A broken one: the one in force stays, the failure is reported. */
        write_text(env->path, "desiredDir: [\n");
        old = env->m->gen;
        manager_reload(env->m);
        advance(env, DEBOUNCE);
        assert_false(env->m->reload_successful);
        assert_non_null(env->m->reload_error);
        assert_ptr_equal(env->m->gen, old);
        assert_state(env, RESOURCE_STATE_IN_SYNC);
}

/* A generation that cannot be put in force is freed there (LeakSanitizer and valgrind see a
 * leak otherwise), and the one in force stays. */
static void test_install_generation_takes_ownership(void **state) {
        Env *env = *state;
        ManagerGeneration *g = NULL, *old;
        DaemonConfig *c = NULL;

        start_in_sync(env, "orphan");
        old = env->m->gen;
        assert_int_equal(manager_load_config(env->m, &c, NULL), 0);
        c->backoff_base = 2 * c->backoff_cap; /* refused by the queue */
        assert_int_equal(manager_generation_new(env->m, c, &g), 0);
        assert_true(manager_install_generation(env->m, g) < 0);
        assert_ptr_equal(env->m->gen, old);
        assert_null(env->m->retired);
        /* The queue still runs with the options in force. */
        write_doc(env, 2, "enforce", "orphan");
        advance(env, DEBOUNCE + MANAGER_COMMIT_WINDOW_USEC);
        assert_state(env, RESOURCE_STATE_IN_SYNC);
        assert_int_equal(live_retries(env), 2);
}

/* An error alert's content: one for every failure without an answer, whatever the errno (an
 * unreachable endpoint alternates between refused and reset, and a new content fires a new
 * alert); a different HTTP status or code is a different alert. */
static void test_error_alert_content(void **state) {
        CloudError refused = { .error = -ECONNREFUSED }, reset = { .error = -ECONNRESET },
                   s503 = { .http_status = 503, .code = (char *) "ServiceException" },
                   s500 = { .http_status = 500, .code = (char *) "ServiceException" };
        _cleanup_free_ char *a = manager_alerts_error_content("get", CLOUD_ERROR_TRANSIENT,
                                                              &refused),
                            *b = manager_alerts_error_content("get", CLOUD_ERROR_TRANSIENT, &reset),
                            *c = manager_alerts_error_content("get", CLOUD_ERROR_TRANSIENT, &s503),
                            *d = manager_alerts_error_content("get", CLOUD_ERROR_TRANSIENT, &s500),
                            *e = manager_alerts_error_content("put", CLOUD_ERROR_TRANSIENT, &reset);

        assert_non_null(a);
        assert_string_equal(a, b);
        assert_string_not_equal(a, c);
        assert_string_not_equal(c, d);
        assert_string_not_equal(b, e);
}

/* Many orphans, of records without documents, expire in the order of their times and each at
 * its time (orphanRetention after it was orphaned), however many others wait: the timer finds
 * the due ones in a queue by expiry, not in a sort of the whole table at each firing (with
 * 20,000 orphans waiting, 200 firings sorted 20,000 resources each: seconds). */
#define N_LASTING 20000u
#define N_EXPIRING 200u
#define T0 (1700000000ULL * USEC_PER_SEC) /* start_manager()'s wall time */

static void gone_key(unsigned i, char *buf, size_t size) {
        snprintf(buf, size, "aws/aws-test/gone-%05u/$LATEST", i);
}

/* Expiring orphan i is due at T0 + expiry(i) s; the names' order is not that of their times. */
static unsigned expiry(unsigned i) {
        return 1 + (i * 37u) % N_EXPIRING;
}

static void put_orphan_records(Env *env) {
        _cleanup_(diag_list_done) DiagList diags = {};
        _cleanup_(state_store_freep) StateStore *st = NULL;
        char dir[160], key[64];

        diag_list_init(&diags);
        snprintf(dir, sizeof(dir), "%s/state", env->dir);
        assert_int_equal(state_store_open(dir, &diags, &st), 0);
        for (unsigned i = 0; i < N_LASTING + N_EXPIRING; i++) {
                uint64_t due = i < N_EXPIRING ? T0 + expiry(i) * USEC_PER_SEC : T0 + RETENTION;

                gone_key(i, key, sizeof(key));
                assert_int_equal(state_store_put(st, key, &(AsyncConfig){}, 1, true), 0);
                assert_int_equal(state_store_set_orphaned(st, key, due - RETENTION), 1);
        }
        assert_int_equal(state_store_save(st), 1);
}

static bool has(Env *env, unsigned i) {
        char key[64];

        gone_key(i, key, sizeof(key));
        return resource_table_get(&env->m->table, key) != NULL;
}

static void test_many_orphans_expire_in_order(void **state) {
        Env *env = *state;
        unsigned by_time[N_EXPIRING + 1];

        put_orphan_records(env);
        for (unsigned i = 0; i < N_EXPIRING; i++)
                by_time[expiry(i)] = i;
        start_in_sync(env, "orphan");
        assert_int_equal(env->m->counts.n[RESOURCE_STATE_ORPHANED], N_LASTING + N_EXPIRING);
        for (unsigned t = 1; t <= N_EXPIRING; t++) {
                usec_t due = T0 + t * USEC_PER_SEC;

                /* A millisecond before: it is still there (and the saves of the last are done). */
                advance(env, due - USEC_PER_MSEC - clock_now_realtime(env->clock));
                assert_true(has(env, by_time[t]));
                assert_true(clock_fake_advance(env->clock, USEC_PER_MSEC) >= 0);
                settle(env);
                assert_false(has(env, by_time[t]));
                if (t < N_EXPIRING)
                        assert_true(has(env, by_time[t + 1]));
        }
        /* What the timer costs among 20,000 lasting orphans is a benchmark's question, not a
         * unit test's (a wall-clock bound here failed on a busy machine): tests/bench/growth.md. */
        assert_int_equal(env->m->counts.n[RESOURCE_STATE_ORPHANED], N_LASTING);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_file_added_and_changed),
                T(test_file_broken_keeps_last_good),
                T(test_removed_delete_after_grace),
                T(test_removed_and_back_within_grace),
                T(test_removed_orphan_until_retention),
                T(test_many_orphans_expire_in_order),
                T(test_removed_observe_mode_never_deletes),
                T(test_removed_after_region_change_deleted_only_back_there),
                T(test_removed_after_region_change_forgotten_after_retention),
                T(test_drift_corrected_at_resync),
                T(test_conflict_backs_off_and_ends),
                T(test_conflict_reset_by_yaml_change),
                T(test_observe_mode_reports_only),
                T(test_backoff_then_success),
                T(test_reload),
                T(test_install_generation_takes_ownership),
                cmocka_unit_test(test_error_alert_content),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
