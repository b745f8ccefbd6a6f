/* SPDX-License-Identifier: MIT */

/* reconciler/workqueue on a fake clock: simulated hours run in milliseconds, nothing waits.
 *
 * The harness's process() records every run and fails the test at once if the queue starts a
 * key that is already running, or exceeds the concurrency cap. Keys are "r<N>"; depending on
 * the mode a run finishes synchronously (inside process()) with a fixed result, or stays in
 * flight until the test finishes it. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/clock.h"
#include "lib/macro.h"
#include "lib/ratelimit.h"
#include "reconciler/core/workqueue.h"

#define S USEC_PER_SEC
#define MS USEC_PER_MSEC
#define MIN_ USEC_PER_MINUTE
#define T0 (1000 * S)
#define MAX_KEYS 2000
#define MAX_RUNS 100000

typedef enum Mode {
        MODE_ASYNC,     /* runs stay in flight until the test calls finish() */
        MODE_SYNC,      /* workqueue_done(sync_result) inside process() */
        MODE_FAIL_START /* process() returns -EIO */
} Mode;

typedef struct Run {
        unsigned key;
        usec_t at;
        const char *account;
} Run;

typedef struct Harness {
        Clock *clock;
        WorkQueue *q;
        Mode mode;
        WorkResult sync_result;
        unsigned concurrency;
        bool in_flight[MAX_KEYS];
        unsigned n_in_flight, max_in_flight;
        unsigned runs_per_key[MAX_KEYS];
        Run runs[MAX_RUNS];
        unsigned n_runs;
        Run resumes[MAX_RUNS]; /* runs that got the token of their next request */
        unsigned n_resumes;
} Harness;

static unsigned key_index(const char *key) {
        assert_true(key[0] == 'r');
        return (unsigned) atoi(key + 1);
}

static const char *key_name(unsigned i) {
        static char buf[4][16];
        static unsigned n;
        char *b = buf[n++ % 4];

        snprintf(b, sizeof(buf[0]), "r%u", i);
        return b;
}

static int process(WorkQueue *q, const char *key, void *item_userdata, void *userdata) {
        Harness *h = userdata;
        unsigned i = key_index(key);

        /* The two invariants: never two runs of one key, never more than the cap. */
        assert_false(h->in_flight[i]);
        assert_true(h->n_in_flight < h->concurrency);
        assert_true(h->n_runs < MAX_RUNS);
        h->runs[h->n_runs++] =
                (Run){ .key = i, .at = clock_now(h->clock), .account = item_userdata };
        h->runs_per_key[i]++;
        switch (h->mode) {
        case MODE_FAIL_START:
                return -EIO;
        case MODE_SYNC:
                assert_true(workqueue_done(q, key, h->sync_result, 0) >= 0);
                return 0;
        case MODE_ASYNC:
                break;
        }
        h->in_flight[i] = true;
        h->n_in_flight++;
        h->max_in_flight = MAX(h->max_in_flight, h->n_in_flight);
        return 0;
}

static void resume(WorkQueue *q, const char *key, void *item_userdata, void *userdata) {
        Harness *h = userdata;

        assert_true(h->in_flight[key_index(key)]);
        assert_true(h->n_resumes < MAX_RUNS);
        h->resumes[h->n_resumes++] = (Run){ .key = key_index(key), .at = clock_now(h->clock) };
}

/* Finishes the run of key i; returns workqueue_done()'s result. */
static int finish(Harness *h, unsigned i, WorkResult result, usec_t retry_after) {
        assert_true(h->in_flight[i]);
        h->in_flight[i] = false;
        h->n_in_flight--;
        return workqueue_done(h->q, key_name(i), result, retry_after);
}

static Harness *harness_new(Mode mode, const WorkQueueOptions *options) {
        Harness *h = calloc(1, sizeof(Harness));
        Rng rng;

        assert_non_null(h);
        rng_seed(&rng, 12345);
        h->mode = mode;
        h->concurrency = options && options->concurrency ? options->concurrency
                                                         : WORKQUEUE_CONCURRENCY_DEFAULT;
        assert_int_equal(clock_new_fake(T0, &h->clock), 0);
        assert_int_equal(workqueue_new(h->clock, &rng, options, process, h, &h->q), 0);
        workqueue_set_resume(h->q, resume);
        return h;
}

static void harness_free(Harness *h) {
        workqueue_free(h->q);
        clock_free(h->clock);
        free(h);
}

static void advance(Harness *h, usec_t usec) {
        assert_true(clock_fake_advance(h->clock, usec) >= 0);
}

static void add(Harness *h, unsigned i, const char *account, WorkPriority p, usec_t delay) {
        assert_true(workqueue_add(h->q, key_name(i), account, p, delay, (void *) account) >= 0);
}

static WorkItemInfo info(Harness *h, unsigned i) {
        WorkItemInfo w;

        assert_int_equal(workqueue_get_item(h->q, key_name(i), &w), 0);
        return w;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_dedupe(void **state) {
        Harness *h = harness_new(MODE_ASYNC, NULL);

        assert_int_equal(workqueue_add(h->q, "r1", NULL, WORK_PRIORITY_POLL, 10 * S, NULL), 1);
        assert_int_equal(workqueue_add(h->q, "r1", NULL, WORK_PRIORITY_POLL, 20 * S, NULL), 0);
        assert_int_equal(workqueue_get_depth(h->q), 1);
        assert_int_equal(info(h, 1).due, T0 + 10 * S); /* the earlier due time won */
        assert_int_equal(info(h, 1).priority, WORK_PRIORITY_POLL);
        assert_int_equal(workqueue_add(h->q, "r1", NULL, WORK_PRIORITY_CHANGE, 30 * S, NULL), 0);
        assert_int_equal(info(h, 1).priority, WORK_PRIORITY_CHANGE); /* the higher priority won */
        assert_int_equal(info(h, 1).due, T0 + 10 * S);
        assert_int_equal(workqueue_get_depth(h->q), 1);
        assert_int_equal(workqueue_get_size(h->q), 1);
        /* Nothing runs before it is due, then it runs once. */
        advance(h, 10 * S - 1);
        assert_int_equal(h->n_runs, 0);
        advance(h, 1);
        assert_int_equal(h->n_runs, 1);
        assert_int_equal(h->runs[0].at, T0 + 10 * S);
        advance(h, 10 * MIN_);
        assert_int_equal(h->n_runs, 1);
        harness_free(h);
}

/* A key added again while running is parked, not started twice; it runs once more when done. */
static void test_never_two_in_flight(void **state) {
        WorkQueueOptions o = { .resync = 5 * MIN_ };
        Harness *h = harness_new(MODE_ASYNC, &o);

        add(h, 1, NULL, WORK_PRIORITY_CHANGE, 0);
        advance(h, 0);
        assert_int_equal(h->n_runs, 1);
        for (unsigned k = 0; k < 5; k++)
                add(h, 1, NULL, k % 2 ? WORK_PRIORITY_CHANGE : WORK_PRIORITY_POLL, 0);
        assert_true(info(h, 1).dirty);
        assert_true(info(h, 1).in_flight);
        assert_int_equal(workqueue_get_depth(h->q), 0);
        advance(h, 10 * MIN_); /* process() asserts if r1 is started again */
        assert_int_equal(h->n_runs, 1);
        /* Done: the parked change goes at once, ahead of the resync poll. */
        assert_int_equal(finish(h, 1, WORK_RESULT_SUCCESS, 0), 1);
        assert_int_equal(info(h, 1).priority, WORK_PRIORITY_CHANGE);
        assert_true(info(h, 1).due <= clock_now(h->clock));
        advance(h, 0);
        assert_int_equal(h->n_runs, 2);
        assert_int_equal(finish(h, 1, WORK_RESULT_SUCCESS, 0), 1);
        assert_int_equal(h->runs_per_key[1], 2);
        /* done for a key with no run in flight, or an unknown key. */
        assert_int_equal(workqueue_done(h->q, "r1", WORK_RESULT_SUCCESS, 0), -ESTALE);
        assert_int_equal(workqueue_done(h->q, "r9", WORK_RESULT_SUCCESS, 0), -ENOENT);
        harness_free(h);
}

/* Changes before polls among due items, even when the polls were queued earlier and due earlier. */
static void test_changes_ahead_of_polls(void **state) {
        WorkQueueOptions o = { .concurrency = 1 };
        Harness *h = harness_new(MODE_ASYNC, &o);

        for (unsigned i = 0; i < 5; i++)
                add(h, i, NULL, WORK_PRIORITY_POLL, 0);
        advance(h, 1 * S);
        for (unsigned i = 5; i < 10; i++)
                add(h, i, NULL, WORK_PRIORITY_CHANGE, 0);
        /* r0 started at once, before the changes existed; then the five changes, then polls. */
        for (unsigned n = 0; n < 10; n++) {
                advance(h, 0);
                assert_int_equal(h->n_runs, n + 1);
                assert_int_equal(finish(h, h->runs[n].key, WORK_RESULT_SUCCESS, 0), 0);
        }
        assert_int_equal(h->runs[0].key, 0);
        for (unsigned n = 1; n <= 5; n++)
                assert_true(h->runs[n].key >= 5);
        for (unsigned n = 6; n < 10; n++)
                assert_true(h->runs[n].key < 5);
        assert_true(workqueue_is_idle(h->q));
        harness_free(h);
}

/* 1000 items, 7 slots: never more than 7 in flight, all of them used, every item run once. */
static void test_global_cap(void **state) {
        WorkQueueOptions o = { .concurrency = 7 };
        Harness *h = harness_new(MODE_ASYNC, &o);
        unsigned finished = 0;

        for (unsigned i = 0; i < 1000; i++)
                add(h, i, NULL, WORK_PRIORITY_CHANGE, 0);
        advance(h, 0);
        assert_int_equal(h->n_in_flight, 7);
        assert_int_equal(workqueue_get_in_flight(h->q), 7);
        assert_int_equal(workqueue_get_depth(h->q), 993);
        /* Full: the timer is disarmed, a finished run re-arms it. */
        assert_int_equal(clock_fake_next(h->clock), USEC_INFINITY);
        while (finished < 1000) {
                unsigned done_now = 0;

                for (unsigned i = 0; i < 1000 && done_now < 3; i++)
                        if (h->in_flight[i]) {
                                assert_int_equal(finish(h, i, WORK_RESULT_SUCCESS, 0), 0);
                                done_now++;
                        }
                finished += done_now;
                advance(h, 10 * MS);
        }
        assert_int_equal(h->max_in_flight, 7);
        assert_int_equal(h->n_runs, 1000);
        for (unsigned i = 0; i < 1000; i++)
                assert_int_equal(h->runs_per_key[i], 1);
        assert_true(workqueue_is_idle(h->q));
        assert_int_equal(workqueue_get_size(h->q), 1000); /* idle items are still known */
        assert_int_equal(clock_fake_next(h->clock), USEC_INFINITY);
        harness_free(h);
}

/* The lag metric: the age of the oldest item that is due and not started; items due later and
 * runs in flight do not count. */
static void test_oldest_due_age(void **state) {
        WorkQueueOptions o = { .concurrency = 2 };
        Harness *h = harness_new(MODE_ASYNC, &o);

        assert_int_equal(workqueue_get_oldest_due_age(h->q), 0);
        add(h, 9, NULL, WORK_PRIORITY_POLL, 10 * MIN_);
        for (unsigned i = 0; i < 4; i++)
                add(h, i, NULL, WORK_PRIORITY_CHANGE, i * S);
        advance(h, 0);
        assert_int_equal(h->n_in_flight, 1); /* r0; r1 is not due yet */
        assert_int_equal(workqueue_get_oldest_due_age(h->q), 0);
        advance(h, 5 * S); /* r1 starts at +1 s; r2 (due +2 s) and r3 (+3 s) wait for a slot */
        assert_int_equal(h->n_in_flight, 2);
        assert_int_equal(workqueue_get_oldest_due_age(h->q), 3 * S);
        assert_int_equal(finish(h, 0, WORK_RESULT_SUCCESS, 0), 0);
        advance(h, 0); /* r2 starts: r3 is the oldest due */
        assert_int_equal(workqueue_get_oldest_due_age(h->q), 2 * S);
        assert_int_equal(finish(h, 1, WORK_RESULT_SUCCESS, 0), 0);
        advance(h, 0);
        assert_int_equal(workqueue_get_oldest_due_age(h->q), 0); /* only r9 queued, due later */
        advance(h, 11 * MIN_); /* r9 due at +10 min, both slots still taken by r2, r3 */
        assert_int_equal(workqueue_get_oldest_due_age(h->q), 11 * MIN_ + 5 * S - 10 * MIN_);
        harness_free(h);
}

/* Two accounts, 10 qps burst 20 and 2 qps burst 1: count runs per simulated second. */
static void test_account_rate(void **state) {
        WorkQueueOptions o = { .concurrency = 100 };
        Harness *h = harness_new(MODE_SYNC, &o);
        unsigned per_sec_a[60] = {}, per_sec_b[60] = {};

        h->sync_result = WORK_RESULT_SUCCESS;
        assert_int_equal(workqueue_add_account(h->q, "a", 10, 20), 1);
        assert_int_equal(workqueue_add_account(h->q, "b", 2, 1), 1);
        assert_int_equal(workqueue_add(h->q, "r0", "nope", WORK_PRIORITY_CHANGE, 0, NULL), -ENOENT);
        for (unsigned i = 0; i < 1000; i++)
                add(h, i, "a", WORK_PRIORITY_CHANGE, 0);
        for (unsigned i = 1000; i < 1150; i++)
                add(h, i, "b", WORK_PRIORITY_CHANGE, 0);
        advance(h, 60 * S - 1);
        for (unsigned n = 0; n < h->n_runs; n++) {
                unsigned sec = (unsigned) ((h->runs[n].at - T0) / S);

                assert_true(sec < 60);
                if (streq(h->runs[n].account, "a"))
                        per_sec_a[sec]++;
                else
                        per_sec_b[sec]++;
        }
        /* First second: the burst plus what refills during it. */
        assert_int_equal(per_sec_a[0], 20 + 10 - 1);
        assert_int_equal(per_sec_b[0], 1 + 2 - 1);
        for (unsigned s = 1; s < 60; s++) {
                assert_int_equal(per_sec_a[s], 10);
                assert_int_equal(per_sec_b[s], 2);
        }
        harness_free(h);
}

/* A throttled account is slowed (and honours Retry-After), the other account is not held up. */
static void test_throttle(void **state) {
        WorkQueueOptions o = { .concurrency = 10 };
        Harness *h = harness_new(MODE_ASYNC, &o);
        double qps;

        assert_int_equal(workqueue_add_account(h->q, "a", 10, 1), 1);
        assert_int_equal(workqueue_add_account(h->q, "b", 10, 1), 1);
        add(h, 1, "a", WORK_PRIORITY_CHANGE, 0);
        add(h, 2, "a", WORK_PRIORITY_CHANGE, 0);
        add(h, 3, "b", WORK_PRIORITY_CHANGE, 0);
        advance(h, 0);
        assert_int_equal(h->n_runs, 2); /* r1 and r3; r2 waits for a's next token */
        assert_int_equal(finish(h, 1, WORK_RESULT_THROTTLED, 30 * S), 1);
        assert_int_equal(workqueue_get_account_qps(h->q, "a", &qps), 0);
        assert_true(qps == 5.0);
        assert_int_equal(workqueue_get_account_qps(h->q, "b", &qps), 0);
        assert_true(qps == 10.0);
        assert_int_equal(workqueue_get_account_qps(h->q, "c", &qps), -ENOENT);
        /* A reload with the same limit keeps the slow-down; another limit starts afresh. */
        assert_int_equal(workqueue_add_account(h->q, "a", 10, 1), 0);
        assert_int_equal(workqueue_get_account_qps(h->q, "a", &qps), 0);
        assert_true(qps == 5.0);
        assert_int_equal(workqueue_get_retries_total(h->q), 1);
        /* Retry-After 30 s: not before, even when the YAML changes meanwhile. */
        assert_true(info(h, 1).due >= T0 + 30 * S);
        add(h, 1, "a", WORK_PRIORITY_CHANGE, 0);
        assert_int_equal(info(h, 1).due, T0 + 30 * S);
        advance(h, 30 * S - 1);
        assert_int_equal(h->runs_per_key[1], 1);
        assert_int_equal(h->runs_per_key[2], 1); /* r2 got a's token at the halved rate */
        advance(h, 1);
        assert_int_equal(h->runs_per_key[1], 2);
        harness_free(h);
}

/* Success: next poll at resync ±10 % (global and per resource), spread, and the backoff reset. */
static void test_resync_jitter(void **state) {
        WorkQueueOptions o = { .resync = 5 * MIN_, .concurrency = 100 };
        Harness *h = harness_new(MODE_SYNC, &o);
        usec_t lo = USEC_INFINITY, hi = 0;

        h->sync_result = WORK_RESULT_SUCCESS;
        for (unsigned i = 0; i < 50; i++)
                add(h, i, NULL, WORK_PRIORITY_CHANGE, 0);
        assert_int_equal(workqueue_set_resync(h->q, "r0", 10 * MIN_), 0);
        assert_int_equal(workqueue_set_resync(h->q, "r999", 10 * MIN_), -ENOENT);
        advance(h, 0);
        assert_int_equal(h->n_runs, 50);
        for (unsigned i = 1; i < 50; i++) {
                WorkItemInfo w = info(h, i);

                assert_true(w.queued);
                assert_int_equal(w.priority, WORK_PRIORITY_POLL);
                assert_true(w.due >= T0 && w.due <= T0 + 300 * S); /* the first: spread */
                lo = MIN(lo, w.due);
                hi = MAX(hi, w.due);
        }
        assert_true(hi - lo > 200 * S); /* spread, not all at once */
        assert_true(info(h, 0).due >= T0 && info(h, 0).due <= T0 + 600 * S);
        /* The polls run, and are rescheduled again: from then on at resync ±10 %. */
        advance(h, 300 * S);
        assert_true(h->n_runs >= 99);
        for (unsigned i = 1; i < 50; i++) {
                WorkItemInfo w = info(h, i);
                usec_t last = 0;

                for (unsigned n = 50; n < h->n_runs; n++)
                        if (h->runs[n].key == i)
                                last = h->runs[n].at;
                assert_true(last > 0);
                assert_true(w.due >= last + 270 * S && w.due <= last + 330 * S);
        }
        harness_free(h);
}

/* Permanent error: the next try at the resync interval, or at once when the YAML changes. */
static void test_permanent(void **state) {
        WorkQueueOptions o = { .resync = 5 * MIN_ };
        Harness *h = harness_new(MODE_ASYNC, &o);
        usec_t now;

        add(h, 1, NULL, WORK_PRIORITY_CHANGE, 0);
        advance(h, 0);
        assert_int_equal(finish(h, 1, WORK_RESULT_PERMANENT, 0), 1);
        now = clock_now(h->clock);
        assert_int_equal(info(h, 1).priority, WORK_PRIORITY_POLL);
        assert_true(info(h, 1).due >= now + 270 * S && info(h, 1).due <= now + 330 * S);
        assert_int_equal(workqueue_get_retries_total(h->q), 0);
        advance(h, 1 * MIN_);
        assert_int_equal(h->n_runs, 1);
        add(h, 1, NULL, WORK_PRIORITY_CHANGE, 0);
        advance(h, 0);
        assert_int_equal(h->n_runs, 2);
        assert_int_equal(h->runs[1].at, now + 1 * MIN_);
        harness_free(h);
}

static void test_remove(void **state) {
        WorkQueueOptions o = { .resync = 5 * MIN_ };
        Harness *h = harness_new(MODE_ASYNC, &o);

        /* Queued: gone at once, and the timer with it. */
        add(h, 2, NULL, WORK_PRIORITY_POLL, 1 * MIN_);
        assert_int_equal(clock_fake_next(h->clock), T0 + 1 * MIN_);
        assert_int_equal(workqueue_remove(h->q, "r2"), 1);
        assert_int_equal(workqueue_remove(h->q, "r2"), 0);
        assert_int_equal(workqueue_get_size(h->q), 0);
        assert_int_equal(clock_fake_next(h->clock), USEC_INFINITY);
        /* In flight: dropped when done, never run again. */
        add(h, 1, NULL, WORK_PRIORITY_CHANGE, 0);
        advance(h, 0);
        add(h, 1, NULL, WORK_PRIORITY_CHANGE, 0);          /* dirty... */
        assert_int_equal(workqueue_remove(h->q, "r1"), 1); /* ...and then deleted */
        assert_int_equal(workqueue_get_size(h->q), 1);
        assert_int_equal(finish(h, 1, WORK_RESULT_SUCCESS, 0), 0);
        assert_int_equal(workqueue_get_size(h->q), 0);
        assert_int_equal(workqueue_get_item(h->q, "r1", &(WorkItemInfo){}), -ENOENT);
        advance(h, 1 * USEC_PER_HOUR);
        assert_int_equal(h->n_runs, 1);
        /* Removed and declared again while in flight: it stays. */
        add(h, 3, NULL, WORK_PRIORITY_CHANGE, 0);
        advance(h, 0);
        assert_int_equal(workqueue_remove(h->q, "r3"), 1);
        add(h, 3, NULL, WORK_PRIORITY_CHANGE, 0);
        assert_int_equal(finish(h, 3, WORK_RESULT_SUCCESS, 0), 1);
        advance(h, 0);
        assert_int_equal(h->runs_per_key[3], 2);
        harness_free(h);
}

/* Retryable failures back off; success resets; the backoff grows per item. */
static void test_backoff_and_reset(void **state) {
        Harness *h = harness_new(MODE_ASYNC, NULL);
        usec_t now;

        add(h, 1, NULL, WORK_PRIORITY_CHANGE, 0);
        for (unsigned n = 0; n < 4; n++) {
                usec_t bound = (1u << n) * S;

                advance(h, clock_fake_next(h->clock) - clock_now(h->clock));
                assert_int_equal(h->n_runs, n + 1);
                assert_int_equal(finish(h, 1, WORK_RESULT_RETRY, 0), 1);
                now = clock_now(h->clock);
                assert_int_equal(info(h, 1).attempt, n + 1);
                assert_int_equal(info(h, 1).priority, WORK_PRIORITY_CHANGE); /* stays a change */
                assert_true(info(h, 1).due >= now + BACKOFF_FLOOR && info(h, 1).due <= now + bound);
        }
        advance(h, clock_fake_next(h->clock) - clock_now(h->clock));
        assert_int_equal(finish(h, 1, WORK_RESULT_SUCCESS, 0), 0); /* no resync: idle */
        assert_int_equal(info(h, 1).attempt, 0);
        assert_false(info(h, 1).queued);
        assert_int_equal(workqueue_get_retries_total(h->q), 4);
        assert_int_equal(workqueue_get_runs_total(h->q), 5);
        harness_free(h);
}

/* A resource that always fails, for 10 simulated minutes: the number of runs is what the backoff
 * allows (the bound doubles from 1 s to 5 min; with the floor the worst case is far above a few
 * dozen), and the timer never fires without starting a run. Both failure paths: a run that
 * fails, and a run that cannot even start. */
static void run_no_hot_loop(Mode mode) {
        WorkQueueOptions o = { .resync = 5 * MIN_ };
        Harness *h = harness_new(mode, &o);
        int fired;

        h->sync_result = WORK_RESULT_RETRY;
        for (unsigned i = 0; i < 10; i++)
                add(h, i, NULL, WORK_PRIORITY_CHANGE, 0);
        fired = clock_fake_advance(h->clock, 10 * MIN_);
        assert_true(fired > 0);
        assert_true((unsigned) fired <= h->n_runs); /* no wake-up for nothing */
        for (unsigned i = 0; i < 10; i++) {
                /* Expected about 11 (sum of bound/2 reaches 600 s after ~11 tries). */
                assert_true(h->runs_per_key[i] >= 5);
                assert_true(h->runs_per_key[i] <= 30);
        }
        assert_int_equal(workqueue_get_retries_total(h->q), h->n_runs);
        /* Gaps between one key's runs never below the floor. */
        for (unsigned n = 0; n < h->n_runs; n++)
                for (unsigned m = n + 1; m < h->n_runs; m++)
                        if (h->runs[m].key == h->runs[n].key) {
                                assert_true(h->runs[m].at - h->runs[n].at >= BACKOFF_FLOOR);
                                break;
                        }
        harness_free(h);
}

static void test_no_hot_loop(void **state) {
        run_no_hot_loop(MODE_SYNC);
        run_no_hot_loop(MODE_FAIL_START);
}

/* apply: max_attempts failed runs, then the item gives up and the queue is idle. */
static void test_max_attempts(void **state) {
        WorkQueueOptions o = { .max_attempts = 3 };
        Harness *h = harness_new(MODE_ASYNC, &o);

        add(h, 1, NULL, WORK_PRIORITY_CHANGE, 0);
        for (unsigned n = 0; n < 3; n++) {
                advance(h, clock_fake_next(h->clock) - clock_now(h->clock));
                assert_int_equal(finish(h, 1, WORK_RESULT_RETRY, 0), n < 2 ? 1 : 0);
        }
        assert_true(workqueue_is_idle(h->q));
        assert_int_equal(clock_fake_next(h->clock), USEC_INFINITY);
        advance(h, 1 * USEC_PER_HOUR);
        assert_int_equal(h->n_runs, 3);
        harness_free(h);
}

/* One table for the CLI and the daemon: what each error class means for the queue. */
static void test_result_from_cloud_error(void **state) {
        static const struct {
                CloudErrorClass class;
                WorkResult result;
        } table[] = {
                { CLOUD_ERROR_NONE, WORK_RESULT_SUCCESS },
                { CLOUD_ERROR_THROTTLED, WORK_RESULT_THROTTLED },
                { CLOUD_ERROR_TRANSIENT, WORK_RESULT_RETRY },
                { CLOUD_ERROR_CONFIG_ABSENT, WORK_RESULT_PERMANENT },
                { CLOUD_ERROR_FUNCTION_ABSENT, WORK_RESULT_PERMANENT },
                { CLOUD_ERROR_INVALID, WORK_RESULT_PERMANENT },
                { CLOUD_ERROR_AUTH, WORK_RESULT_PERMANENT },
                { CLOUD_ERROR_PERMANENT, WORK_RESULT_PERMANENT },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                CloudError e = { .class = table[i].class };
                assert_int_equal(work_result_from_cloud_error(&e), table[i].result);
        }
}

static void test_strings_and_options(void **state) {
        Harness *h = harness_new(MODE_ASYNC, NULL);
        WorkQueueOptions bad = { .backoff = { .base = 1, .cap = 2 } };
        WorkQueue *q = NULL;

        assert_string_equal(work_priority_to_string(WORK_PRIORITY_CHANGE), "change");
        assert_int_equal(work_priority_from_string("poll"), WORK_PRIORITY_POLL);
        assert_int_equal(work_priority_from_string("x"), -EINVAL);
        assert_string_equal(work_result_to_string(WORK_RESULT_THROTTLED), "throttled");
        assert_int_equal(work_result_from_string("permanent"), WORK_RESULT_PERMANENT);
        assert_null(work_result_to_string(_WORK_RESULT_MAX));
        assert_int_equal(workqueue_new(h->clock, NULL, &bad, process, h, &q), -EINVAL);
        assert_null(q);
        assert_int_equal(workqueue_set_options(h->q, &bad), -EINVAL);
        assert_int_equal(workqueue_add_account(h->q, "a", -1, 1), -EINVAL);
        assert_int_equal(workqueue_add_account(h->q, "a", 1, 1), 1);
        assert_int_equal(workqueue_add_account(h->q, "a", 2, 1), 0);
        assert_int_equal(workqueue_add(h->q, "r1", NULL, _WORK_PRIORITY_MAX, 0, NULL), -EINVAL);
        add(h, 1, NULL, WORK_PRIORITY_CHANGE, 0);
        advance(h, 0);
        assert_int_equal(workqueue_done(h->q, "r1", _WORK_RESULT_MAX, 0), -EINVAL);
        assert_int_equal(finish(h, 1, WORK_RESULT_SUCCESS, 0), 0);
        harness_free(h);
}

/* The real clock on sd-event: a queued item runs on the next loop iteration. */
static int real_process(WorkQueue *q, const char *key, void *item_userdata, void *userdata) {
        sd_event *e = userdata;

        assert_int_equal(workqueue_done(q, key, WORK_RESULT_SUCCESS, 0), 0);
        return sd_event_exit(e, 42);
}

static void test_real_clock(void **state) {
        sd_event *e = NULL;
        Clock *c = NULL;
        WorkQueue *q = NULL;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(clock_new_event(e, &c), 0);
        assert_int_equal(workqueue_new(c, NULL, NULL, real_process, e, &q), 0);
        assert_int_equal(workqueue_add(q, "r1", NULL, WORK_PRIORITY_CHANGE, 0, NULL), 1);
        assert_int_equal(clock_fake_advance(c, 0), -EOPNOTSUPP);
        assert_int_equal(sd_event_loop(e), 42);
        assert_int_equal(workqueue_get_runs_total(q), 1);
        assert_true(workqueue_is_idle(q));
        workqueue_free(q);
        clock_free(c);
        sd_event_unref(e);
}

/* ---- the API budget (DESIGN.md §3.8, §3.9) ------------------------------------------------ */

/* Every request takes its token: a run's second request (a PUT after its GET) waits for one,
 * and goes before any new run of the account. qps 2, burst 1: requests (runs + resumes) in
 * any second never exceed 2 once the burst is spent. */
static void test_token_per_request(void **state) {
        WorkQueueOptions o = { .concurrency = 8 };
        Harness *h = harness_new(MODE_ASYNC, &o);
        unsigned per_sec[20] = {};

        assert_int_equal(workqueue_add_account(h->q, "a", 2, 1), 1);
        for (unsigned i = 0; i < 10; i++)
                add(h, i, "a", WORK_PRIORITY_CHANGE, 0);
        advance(h, 0);
        assert_int_equal(h->n_runs, 1);                        /* r0's GET took the one token */
        assert_int_equal(workqueue_take_token(h->q, "r0"), 1); /* its PUT waits */
        assert_int_equal(workqueue_take_token(h->q, "r0"), -EBUSY);
        assert_int_equal(workqueue_take_token(h->q, "r1"), -ESTALE);
        assert_int_equal(workqueue_take_token(h->q, "r99"), -ENOENT);
        /* The next token, 500 ms later, is r0's PUT, not r1's GET. */
        advance(h, 500 * MS - 1);
        assert_int_equal(h->n_resumes, 0);
        advance(h, 1);
        assert_int_equal(h->n_resumes, 1);
        assert_int_equal(h->resumes[0].key, 0);
        assert_int_equal(h->resumes[0].at, T0 + 500 * MS);
        assert_int_equal(h->n_runs, 1);
        assert_int_equal(finish(h, 0, WORK_RESULT_SUCCESS, 0), 0);
        /* Then each run asks for its PUT's token at once, and finishes when it has it. */
        for (unsigned t = 0; t < 20 * 100; t++) {
                for (unsigned i = 1; i < 10; i++)
                        if (h->in_flight[i] && h->runs_per_key[i] == 1 &&
                            workqueue_take_token(h->q, key_name(i)) == 0)
                                assert_int_equal(finish(h, i, WORK_RESULT_SUCCESS, 0), 0);
                for (unsigned k = 0; k < h->n_resumes; k++)
                        if (h->in_flight[h->resumes[k].key])
                                assert_int_equal(
                                        finish(h, h->resumes[k].key, WORK_RESULT_SUCCESS, 0), 0);
                advance(h, 10 * MS);
        }
        assert_int_equal(h->n_runs, 10);
        assert_int_equal(h->n_runs + h->n_resumes, 20);
        for (unsigned n = 0; n < h->n_runs; n++)
                per_sec[(h->runs[n].at - T0) / S]++;
        for (unsigned n = 0; n < h->n_resumes; n++)
                per_sec[(h->resumes[n].at - T0) / S]++;
        /* 20 requests at 2 per second after the first token: 9.5 s. */
        for (unsigned s = 0; s < 20; s++)
                assert_true(per_sec[s] <= 2);
        assert_int_equal(per_sec[9], 2);
        assert_int_equal(per_sec[10], 0);
        assert_true(workqueue_is_idle(h->q));
        harness_free(h);
}

/* A run waiting for a token can be woken without one (cancelled), from the timer. */
static void test_wake_waiting(void **state) {
        Harness *h = harness_new(MODE_ASYNC, NULL);

        assert_int_equal(workqueue_add_account(h->q, "a", 0.1, 1), 1);
        add(h, 1, "a", WORK_PRIORITY_CHANGE, 0);
        advance(h, 0);
        assert_int_equal(workqueue_take_token(h->q, "r1"), 1);
        assert_int_equal(workqueue_wake(h->q, "r2"), 0);
        assert_int_equal(workqueue_wake(h->q, "r1"), 1);
        assert_int_equal(h->n_resumes, 0); /* never from inside the call */
        advance(h, 0);
        assert_int_equal(h->n_resumes, 1);
        assert_int_equal(finish(h, 1, WORK_RESULT_SUCCESS, 0), 0);
        /* A run that ends while waiting leaves the wait list. */
        add(h, 2, "a", WORK_PRIORITY_CHANGE, 0);
        advance(h, 10 * S);
        assert_int_equal(workqueue_take_token(h->q, "r2"), 1);
        assert_int_equal(finish(h, 2, WORK_RESULT_SUCCESS, 0), 0);
        advance(h, 60 * S);
        assert_int_equal(h->n_resumes, 1);
        harness_free(h);
}

static void add_polls(Harness *h, unsigned n, const char *account) {
        for (unsigned i = 0; i < n; i++)
                add(h, i, account, WORK_PRIORITY_POLL, 0);
}

/* The maths: 2,000 resources polled every 60 s at qps 5 ask for 33.3 GETs/s; 80 % of 5/s
 * polls each every 2000 / 4 = 500 s. 200 resources (3.3/s) fit: not stretched. */
static void test_poll_stretch_interval(void **state) {
        WorkQueueOptions o = { .resync = 60 * S };
        Harness *h = harness_new(MODE_SYNC, &o);
        WorkPollInterval p;

        assert_int_equal(workqueue_add_account(h->q, "a", 5, 5), 1);
        add_polls(h, 200, "a");
        assert_int_equal(workqueue_get_poll_interval(h->q, "a", &p), 0);
        assert_int_equal(p.n_polled, 200);
        assert_int_equal(p.configured, 60 * S);
        assert_int_equal(p.effective, 60 * S);
        for (unsigned i = 200; i < 2000; i++)
                add(h, i, "a", WORK_PRIORITY_POLL, 0);
        assert_int_equal(workqueue_get_poll_interval(h->q, "a", &p), 0);
        assert_int_equal(p.n_polled, 2000);
        assert_int_equal(p.configured, 60 * S);
        assert_true(p.effective > 500 * S - MS && p.effective < 500 * S + MS);
        /* Removing resources (or a higher rate) ends the stretching. */
        for (unsigned i = 200; i < 2000; i++)
                assert_int_equal(workqueue_remove(h->q, key_name(i)), 1);
        assert_int_equal(workqueue_get_poll_interval(h->q, "a", &p), 0);
        assert_int_equal(p.effective, 60 * S);
        /* Resources with their own resyncInterval: 200 every 10 s (20/s) at qps 20 (16/s). */
        assert_int_equal(workqueue_add_account(h->q, "b", 20, 5), 1);
        for (unsigned i = 1000; i < 1200; i++) {
                add(h, i, "b", WORK_PRIORITY_POLL, 0);
                assert_int_equal(workqueue_set_resync(h->q, key_name(i), 10 * S), 0);
        }
        assert_int_equal(workqueue_get_poll_interval(h->q, "b", &p), 0);
        assert_true(p.configured > 10 * S - MS && p.configured < 10 * S + MS);
        assert_true(p.effective > 12500 * MS - MS && p.effective < 12500 * MS + MS);
        assert_int_equal(workqueue_get_poll_interval(h->q, "nope", &p), -ENOENT);
        harness_free(h);
}

/* Resources loaded together (a start: 2,000 run at once) poll evenly over the interval
 * from their first poll on, never all at once. */
static void test_first_polls_spread(void **state) {
        WorkQueueOptions o = { .resync = 60 * S, .concurrency = 100 };
        Harness *h = harness_new(MODE_SYNC, &o);
        unsigned per_6s[10] = {};
        static bool seen[2000];
        usec_t start;

        h->sync_result = WORK_RESULT_SUCCESS;
        assert_int_equal(workqueue_add_account(h->q, "a", 1000, 2000), 1);
        add_polls(h, 2000, "a");
        advance(h, 0);
        assert_int_equal(h->n_runs, 2000);
        start = clock_now(h->clock);
        advance(h, 60 * S);
        /* Every key's first poll (its second run); a poll spread early may have run again. */
        for (unsigned n = 2000; n < h->n_runs; n++)
                if (!seen[h->runs[n].key]) {
                        seen[h->runs[n].key] = true;
                        per_6s[MIN((h->runs[n].at - start) / (6 * S), 9u)]++;
                }
        for (unsigned i = 0; i < 2000; i++)
                assert_true(seen[i]);
        /* Each tenth of the interval gets about a tenth of the polls (not all near 60 s). */
        for (unsigned k = 0; k < 10; k++)
                assert_true(per_6s[k] >= 150 && per_6s[k] <= 250);
        harness_free(h);
}

/* Stretched polls never exceed the budget, and a change goes ahead of them at once. */
static void test_stretched_polls_keep_room_for_changes(void **state) {
        WorkQueueOptions o = { .resync = 60 * S, .concurrency = 100 };
        Harness *h = harness_new(MODE_SYNC, &o);
        unsigned per_sec[101] = {}, change_run;

        h->sync_result = WORK_RESULT_SUCCESS;
        assert_int_equal(workqueue_add_account(h->q, "a", 5, 5), 1);
        add_polls(h, 2000, "a");
        advance(h, 50 * S);
        change_run = h->n_runs;
        add(h, 1999, "a", WORK_PRIORITY_CHANGE, 0);
        advance(h, 200 * MS);
        for (; change_run < h->n_runs && h->runs[change_run].key != 1999; change_run++)
                ;
        assert_true(change_run < h->n_runs);
        advance(h, 50 * S);
        for (unsigned n = 0; n < h->n_runs; n++)
                per_sec[MIN((h->runs[n].at - T0) / S, 100u)]++;
        assert_true(per_sec[0] <= 5 + 5);
        for (unsigned k = 1; k < 100; k++)
                assert_true(per_sec[k] <= 5);
        harness_free(h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_result_from_cloud_error),
                cmocka_unit_test(test_dedupe),
                cmocka_unit_test(test_never_two_in_flight),
                cmocka_unit_test(test_changes_ahead_of_polls),
                cmocka_unit_test(test_global_cap),
                cmocka_unit_test(test_oldest_due_age),
                cmocka_unit_test(test_account_rate),
                cmocka_unit_test(test_throttle),
                cmocka_unit_test(test_resync_jitter),
                cmocka_unit_test(test_permanent),
                cmocka_unit_test(test_remove),
                cmocka_unit_test(test_backoff_and_reset),
                cmocka_unit_test(test_no_hot_loop),
                cmocka_unit_test(test_max_attempts),
                cmocka_unit_test(test_strings_and_options),
                cmocka_unit_test(test_real_clock),
                cmocka_unit_test(test_token_per_request),
                cmocka_unit_test(test_wake_waiting),
                cmocka_unit_test(test_poll_stretch_interval),
                cmocka_unit_test(test_first_polls_spread),
                cmocka_unit_test(test_stretched_polls_keep_room_for_changes),
        };

        return cmocka_run_group_tests_name("workqueue", tests, NULL, NULL);
}
