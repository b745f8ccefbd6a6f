/* SPDX-License-Identifier: MIT */

/* cli_run_execute(): a run's items reconciled by worker threads, one complete single-threaded
 * reconciler per CPU (its own event loop, HTTP engine, accounts and work queue), taking items
 * from a shared pool; the progress line; the state store opened for the run and saved after an
 * apply. */

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/cpus.h"
#include "lib/log.h"
#include "reconciler/core/accounts.h"
#include "reconciler/cli/run.h"
#include "reconciler/core/state.h"
#include "reconciler/core/workqueue.h"
#include "reconciler/core/user-agent.h"

#define PROGRESS_INTERVAL (100 * USEC_PER_MSEC)
#define PROGRESS_PLAIN_INTERVAL (5 * USEC_PER_SEC)
#define PROGRESS_ESTIMATE_AFTER (2 * USEC_PER_SEC)

typedef struct Exec Exec;

typedef struct ExecItem {
        Exec *exec; /* the worker that took it */
        CliRunItem *item;
        Account *account;
        size_t list;    /* its list in the pool */
        Reconcile *rec; /* the attempt in flight, or NULL */
        bool read_ok;   /* some attempt read the live config */
} ExecItem;

/* The items no worker has taken yet, in one list per account (the configuration's accounts in
 * order, then one for items whose account is not configured), file order within each. Workers
 * take a batch of an account's items whenever their own queue of that account runs low (see
 * exec_take()): a worker the scheduler slows down leaves more to the others instead of holding
 * up the end of the run, and an account held back by its rate limit never starves the others. */
typedef struct ExecPool {
        size_t *index;       /* item indexes, list after list */
        size_t *start;       /* n_lists + 1 offsets into index */
        atomic_size_t *next; /* per list: the position of the next item to take */
        size_t n_lists;
} ExecPool;

/* What the workers share: the pool, the progress line's counters and when it was last drawn. */
typedef struct ExecShared {
        ExecPool pool;
        ExecItem *items; /* one per run item, same index */
        atomic_size_t n_finished;
        atomic_uint in_flight;
        _Atomic usec_t progress_drawn; /* CLOCK_MONOTONIC; started: never */
        atomic_bool commit_armed;      /* a worker's timer commits the store within the window */
        usec_t started;                /* CLOCK_MONOTONIC */
} ExecShared;

/* One worker: its own event loop, HTTP engine, accounts and work queue over the items it took
 * from the pool (see cli_run_execute()). */
struct Exec {
        CliRun *run;
        ReconcileMode mode;
        sd_event *event;
        WorkQueue *queue;
        AccountSet *accounts;
        StateStore *store;
        unsigned *queued; /* per pool list: items taken and not final yet */
        unsigned index, n_workers;
        unsigned concurrency;
        ExecShared *shared;
        unsigned in_flight_reported;
        bool commit_armed; /* this worker's timer holds the shared commit (ExecShared) */
        pthread_t thread;
        int result;
};

/* ---- the state store, opened for a run and saved after an apply ------------------------ */

static StateStore *open_store(const DaemonConfig *c, ReconcileMode mode, FILE *err) {
        _cleanup_(state_store_freep) StateStore *store = NULL;
        DiagList diags;
        int r;

        if (access(c->state_dir, mode == RECONCILE_APPLY ? W_OK | X_OK : R_OK | X_OK) < 0) {
                if (mode == RECONCILE_APPLY)
                        fprintf(err,
                                "warning: stateDir '%s' is missing or not writable (%m); "
                                "applying without recording what was applied\n",
                                c->state_dir);
                return NULL;
        }
        diag_list_init(&diags);
        /* A plan only reads: it works on a stateDir it cannot write (another user's, mounted
         * read-only) and never changes one. */
        r = mode == RECONCILE_APPLY ? state_store_open(c->state_dir, &diags, &store)
                                    : state_store_open_readonly(c->state_dir, &diags, &store);
        if (r < 0) {
                diag_list_print(&diags, err);
                fprintf(err, "warning: the state store in '%s' cannot be used (%s); %s\n",
                        c->state_dir, strerror(-r),
                        mode == RECONCILE_APPLY ? "applying without recording what was applied"
                                                : "drift and change are not told apart");
        }
        diag_list_done(&diags);
        return TAKE_PTR(store);
}

/* ---- saving the state store -------------------------------------------------------- */

static void save_warn(const char *state_dir, int r, FILE *err) {
        if (r < 0)
                fprintf(err, "warning: could not save the state store in '%s': %s\n", state_dir,
                        strerror(-r));
}

/* Commits what the workers recorded so far (every worker's: the store is one). A failure
 * keeps the records pending: the next commit or the end of the run writes them, and the end
 * reports a failure. */
static int on_commit(sd_event_source *s, uint64_t usec, void *userdata) {
        Exec *e = userdata;

        e->commit_armed = false;
        atomic_store(&e->shared->commit_armed, false);
        (void) state_store_save(e->store);
        return 0;
}

/* After a write completed: a commit within the window, unless one is due already. The store
 * is one for all workers, and so is the window: each worker arming its own timer made a commit
 * every 100 ms / n on average, each rewriting the B-tree pages its rows touch. */
static void exec_schedule_commit(Exec *e) {
        if (e->mode != RECONCILE_APPLY || !e->store || e->commit_armed ||
            state_store_pending(e->store) == 0 || atomic_exchange(&e->shared->commit_armed, true))
                return;
        /* Floating: the loop owns the source, and frees it with itself. */
        if (sd_event_add_time_relative(e->event, NULL, CLOCK_MONOTONIC, CLI_RUN_COMMIT_WINDOW,
                                       USEC_PER_MSEC, on_commit, e) >= 0)
                e->commit_armed = true;
        else
                atomic_store(&e->shared->commit_armed, false);
}

/* A worker whose loop has ended commits now what its timer would have, and hands the window
 * back: the others may still be writing. */
static void exec_release_commit(Exec *e) {
        if (!e->commit_armed)
                return;
        e->commit_armed = false;
        atomic_store(&e->shared->commit_armed, false);
        (void) state_store_save(e->store);
}

/* ---- progress ----------------------------------------------------------------------- */

/* The counters behind the progress line, kept by every worker. */
static void exec_count(Exec *e, size_t finished) {
        unsigned f = e->queue ? workqueue_get_in_flight(e->queue) : 0;

        if (finished > 0)
                atomic_fetch_add(&e->shared->n_finished, finished);
        if (f != e->in_flight_reported) {
                if (f > e->in_flight_reported)
                        atomic_fetch_add(&e->shared->in_flight, f - e->in_flight_reported);
                else
                        atomic_fetch_sub(&e->shared->in_flight, e->in_flight_reported - f);
                e->in_flight_reported = f;
        }
}

/* ", about 1m10s left" once the run has gone on long enough to tell, from the pace so far
 * (which the rate limit sets for a long run); "" before. */
static void progress_estimate(const ExecShared *shared, size_t finished, size_t total, usec_t now,
                              char *buf, size_t size) {
        usec_t elapsed = now - shared->started, left;
        char d[32];

        *buf = 0;
        if (finished == 0 || finished >= total || elapsed < PROGRESS_ESTIMATE_AFTER)
                return;
        left = (usec_t) ((double) elapsed * (double) (total - finished) / (double) finished);
        left = (left + USEC_PER_SEC - 1) / USEC_PER_SEC * USEC_PER_SEC;
        snprintf(buf, size, ", about %s left", format_duration(d, sizeof(d), left));
}

/* Drawn by whichever worker comes by once the interval is over (one wins the exchange), so
 * that the line keeps moving when the first worker has finished its share early. On a
 * terminal one line redrawn in place; elsewhere (CI logs) a line every few seconds, from the
 * first few seconds on, so a long rate-limited run is never silent. */
static void progress_update(Exec *e, bool final) {
        CliRun *run = e->run;
        ExecShared *shared = e->shared;
        usec_t now = 0, drawn,
               interval = run->progress ? PROGRESS_INTERVAL : PROGRESS_PLAIN_INTERVAL;
        size_t finished = atomic_load(&shared->n_finished);
        char estimate[64];

        if (!run->progress_file)
                return;
        if (final) {
                if (run->progress && atomic_load(&shared->progress_drawn) > shared->started)
                        fputs("\r\033[K", run->progress_file);
                fflush(run->progress_file);
                return;
        }
        (void) sd_event_now(e->event, CLOCK_MONOTONIC, &now);
        drawn = atomic_load(&shared->progress_drawn);
        if (now < drawn + interval ||
            !atomic_compare_exchange_strong(&shared->progress_drawn, &drawn, now))
                return;
        progress_estimate(shared, finished, run->n_items, now, estimate, sizeof(estimate));
        /* One fprintf() call: stdio's lock keeps a line whole. */
        fprintf(run->progress_file, "%s%s: %zu/%zu resources, %u in flight%s%s",
                run->progress ? "\r\033[K" : "", run->verb, finished, run->n_items,
                atomic_load(&shared->in_flight), estimate, run->progress ? "" : "\n");
        fflush(run->progress_file);
}

/* ---- one attempt -------------------------------------------------------------------- */

static int exec_take(Exec *e, size_t list);

static void exec_item_done(ExecItem *x, const CloudError *error) {
        Exec *e = x->exec;
        int r;

        r = workqueue_done(e->queue, x->item->key, work_result_from_cloud_error(error),
                           error->retry_after_usec);
        if (r == 0) {
                x->item->done = true;
                e->queued[x->list]--;
                /* A run polls nothing again: the queue forgets the item, and stays as small as
                 * what is in flight (10,000 items of 170 bytes each kept to the end were 7 %
                 * of an apply's heap, and every lookup went through a table of them). */
                (void) workqueue_remove(e->queue, x->item->key);
        } else if (r < 0)
                log_debug_errno(r, "workqueue_done(%s): %m", x->item->key);
        exec_count(e, r == 0);
        exec_schedule_commit(e);
        progress_update(e, false);
        /* Every list was tried at the start and is tried again as each of its items ends: a
         * worker whose queue is idle has found them all empty. */
        r = r == 0 ? exec_take(e, x->list) : 0;
        if (r < 0 || workqueue_is_idle(e->queue))
                (void) sd_event_exit(e->event, r);
}

static void on_result(Reconcile *rec, ReconcileResult *res, void *userdata) {
        ExecItem *x = userdata;
        CliRunItem *item = x->item;

        x->rec = NULL;
        item->attempts++;
        if (res->diff && !x->read_ok) {
                /* The first successful read: what was there before anything was written. */
                x->read_ok = true;
                item->live_absent = res->live_absent;
                diff_free(item->diff);
                item->diff = TAKE_PTR(res->diff);
        }
        item->put_sent = item->put_sent || res->put_sent;
        item->outcome = res->outcome;
        /* A PUT whose answer was lost (dropped, truncated) took effect: the retry's read finds
         * the resource in sync, and it is reported as what was done. */
        if (res->outcome == RECONCILE_IN_SYNC && item->put_sent)
                item->outcome = item->live_absent ? RECONCILE_CREATED : RECONCILE_UPDATED;
        item->error_op = res->error_op;
        cloud_error_done(&item->error);
        if (cloud_error_copy(&item->error, res->error) < 0)
                item->error.class = res->error->class;
        exec_item_done(x, res->error);
}

/* The PUT's token (DESIGN.md §3.8: every request takes one). */
static int on_gate(Reconcile *rec, void *userdata) {
        ExecItem *x = userdata;

        return workqueue_take_token(x->exec->queue, x->item->key);
}

static void resume(WorkQueue *q, const char *key, void *item_userdata, void *userdata) {
        ExecItem *x = item_userdata;

        reconcile_resume(x->rec);
}

static int process(WorkQueue *q, const char *key, void *item_userdata, void *userdata) {
        ExecItem *x = item_userdata;
        Exec *e = userdata;
        int r;

        r = reconcile_start(x->account->client, x->item->spec, e->store, key, e->mode, on_result, x,
                            &x->rec);
        if (r >= 0)
                reconcile_set_gate(x->rec, on_gate);
        else {
                /* Could not even start (credentials not there yet, out of memory): a failed
                 * attempt like any other, so the queue's retry and attempt limits apply. */
                x->item->attempts++;
                x->item->outcome = RECONCILE_ERROR;
                x->item->error_op = CLOUD_OP_GET;
                cloud_error_done(&x->item->error);
                reconcile_error_from_errno(r, &x->item->error);
                exec_item_done(x, &x->item->error);
        }
        return 0;
}

/* ---- the run ------------------------------------------------------------------------ */

static void item_set_account_error(CliRunItem *item, const char *message) {
        item->outcome = RECONCILE_ERROR;
        item->error.class = CLOUD_ERROR_AUTH;
        item->done = true;
        item->account_error = strdup(message);
}

/* Queues item i, taken from list; an item whose account is unusable is final at once. */
static int exec_queue_item(Exec *e, size_t i, size_t list) {
        ExecItem *x = &e->shared->items[i];
        int r;

        x->exec = e;
        x->item = &e->run->items[i];
        x->list = list;
        x->account = account_set_find(e->accounts, x->item->spec->account);
        if (!x->account || x->account->error) {
                item_set_account_error(x->item, x->account ? x->account->error : "no account");
                exec_count(e, 1);
                return 0;
        }
        r = workqueue_add(e->queue, x->item->key, x->account->config->name, WORK_PRIORITY_CHANGE, 0,
                          x);
        if (r < 0)
                return r;
        e->queued[list]++;
        return 0;
}

/* Takes small batches of list's items while fewer than the worker's concurrency of them are
 * queued here (so that even a run of one account keeps every connection busy), until the list
 * is empty. Small, so that the workers run out at nearly the same time. */
static int exec_take(Exec *e, size_t list) {
        ExecPool *p = &e->shared->pool;
        size_t batch = MAX(e->concurrency / 8, 1u), end = p->start[list + 1];
        int r;

        while (e->queued[list] < e->concurrency) {
                size_t at = atomic_fetch_add(&p->next[list], batch);
                if (at >= end)
                        return 0;
                for (size_t k = at; k < MIN(at + batch, end); k++) {
                        r = exec_queue_item(e, p->index[k], list);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int exec_take_all(Exec *e) {
        int r;

        for (size_t l = 0; l < e->shared->pool.n_lists; l++) {
                r = exec_take(e, l);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Each worker gets an equal share of every account's rate, so the shares add up to the
 * account's limits whichever worker takes which items. */
static int exec_queue_items(Exec *e) {
        CliRun *run = e->run;
        int r;

        for (size_t i = 0; i < run->config->n_accounts; i++) {
                const AccountConfig *a = &run->config->accounts[i];
                r = workqueue_add_account(e->queue, a->name, a->rate_qps / e->n_workers,
                                          MAX(a->rate_burst / e->n_workers, 1u));
                if (r < 0)
                        return r;
        }
        return exec_take_all(e);
}

/* Frees *http (and sets it to NULL) once it has run: what is still in flight then must be
 * finished before the accounts and the clock go. */
static int exec_loop(Exec *e, HttpEngine **http) {
        _cleanup_(account_set_freep) AccountSet *accounts = NULL;
        _cleanup_free_ unsigned *queued = NULL;
        _cleanup_(clock_freep) Clock *clock = NULL;
        const DaemonConfig *c = e->run->config;
        WorkQueueOptions o = {
                .concurrency = e->concurrency,
                .backoff = { .base = c->backoff_base,
                             .cap = MIN(c->backoff_cap, CLI_RUN_BACKOFF_CAP) },
                .resync = 0,
                .max_attempts = CLI_RUN_MAX_ATTEMPTS,
        };
        int r;

        if (o.backoff.cap < o.backoff.base)
                o.backoff.cap = o.backoff.base;
        queued = calloc(e->shared->pool.n_lists, sizeof(unsigned));
        if (!queued)
                return -ENOMEM;
        e->queued = queued;
        r = account_set_new(e->event, *http, c, &accounts);
        if (r < 0)
                return r;
        e->accounts = accounts;
        r = clock_new_event(e->event, &clock);
        if (r < 0)
                return r;
        r = workqueue_new(clock, NULL, &o, process, e, &e->queue);
        if (r < 0)
                return r;
        workqueue_set_resume(e->queue, resume);
        r = exec_queue_items(e);
        if (r >= 0 && !workqueue_is_idle(e->queue))
                r = sd_event_loop(e->event);
        /* Everything in flight must be finished before the accounts and the clock go: the
         * engine delivers the callbacks of whatever is left (only after an error). */
        *http = http_engine_free(*http);
        e->queue = workqueue_free(e->queue);
        e->accounts = NULL;
        e->queued = NULL;
        exec_release_commit(e);
        exec_count(e, 0);
        return r < 0 ? r : 0;
}

/* One worker from start to end: its event loop, its engine, its items. */
static int exec_run(Exec *e) {
        unsigned conns = MAX(e->concurrency, 8u);
        HttpEngineOptions ho = {
                .max_connections_per_host = conns,
                .max_total_connections = MAX(conns, 64u),
                .user_agent = ASYNCFG_USER_AGENT,
        };
        sd_event *event = NULL;
        HttpEngine *http = NULL;
        int r;

        r = sd_event_new(&event);
        if (r < 0)
                return r;
        e->event = event;
        r = http_engine_new(event, &ho, &http);
        if (r >= 0)
                r = exec_loop(e, &http);
        http_engine_free(http); /* if exec_loop() failed before it ran anything */
        e->event = sd_event_unref(event);
        return r;
}

static void *exec_thread(void *userdata) {
        Exec *e = userdata;

        e->result = exec_run(e);
        return NULL;
}

/* How many workers: --jobs, or else the CPUs but one per CLI_RUN_ITEMS_PER_WORKER items at
 * most (a small run gains nothing from a second event loop, TLS contexts and connections);
 * never more than there are requests in flight to share or items. */
static unsigned exec_n_workers(const CliRun *run) {
        unsigned n = run->jobs;

        if (n == 0) {
                n = cpus_online(CLI_RUN_MAX_JOBS);
                n = MIN(n, (unsigned) MAX(run->n_items / CLI_RUN_ITEMS_PER_WORKER, (size_t) 1));
        }
        n = MIN(n, run->config->concurrency);
        n = MIN(n, (unsigned) MAX(run->n_items, (size_t) 1));
        return MAX(n, 1u);
}

static void exec_pool_done(ExecPool *p) {
        free(p->index);
        free(p->start);
        free(p->next);
}

static void exec_shared_done(ExecShared *s) {
        exec_pool_done(&s->pool);
}

/* The run's items in one list per account (see ExecPool), file order within each. */
static int exec_pool_init(ExecPool *p, const CliRun *run) {
        size_t n_lists = run->config->n_accounts + 1; /* the last: accounts not configured */
        _cleanup_free_ size_t *list_of = calloc(run->n_items ?: 1, sizeof(size_t));
        _cleanup_free_ size_t *fill = calloc(n_lists, sizeof(size_t));

        *p = (ExecPool){
                .index = calloc(run->n_items ?: 1, sizeof(size_t)),
                .start = calloc(n_lists + 1, sizeof(size_t)),
                .next = calloc(n_lists, sizeof(atomic_size_t)),
                .n_lists = n_lists,
        };
        if (!list_of || !fill || !p->index || !p->start || !p->next) {
                exec_pool_done(p);
                return -ENOMEM;
        }
        for (size_t i = 0; i < run->n_items; i++) {
                const AccountConfig *a =
                        daemon_config_find_account(run->config, run->items[i].spec->account);
                list_of[i] = a ? (size_t) (a - run->config->accounts) : n_lists - 1;
                p->start[list_of[i] + 1]++;
        }
        for (size_t l = 0; l < n_lists; l++) {
                p->start[l + 1] += p->start[l];
                fill[l] = p->start[l];
                atomic_init(&p->next[l], p->start[l]);
        }
        for (size_t i = 0; i < run->n_items; i++)
                p->index[fill[list_of[i]]++] = i;
        return 0;
}

/* The items are split over workers (threads), each a complete single-threaded reconciler with
 * its own sd-event loop, HTTP engine and connections, accounts (credentials) and work queue,
 * sharing only what is read-only during the run (the configuration, the desired set), the pool
 * of items not taken yet (atomic) and the state store (locked). An item belongs to the worker
 * that took it, which alone writes it. A large apply
 * is CPU-bound in the client (libcurl, TLS, signing): this is what lets it use more than one
 * core. The in-flight cap and every account's rate limit are divided among the workers. */
int cli_run_execute(CliRun *run, ReconcileMode mode, FILE *err) {
        _cleanup_(state_store_freep) StateStore *store = NULL;
        _cleanup_free_ ExecItem *items = calloc(run->n_items ?: 1, sizeof(ExecItem));
        _cleanup_free_ Exec *workers = NULL;
        _cleanup_(exec_shared_done) ExecShared shared = { .items = items };
        usec_t t0 = now(CLOCK_MONOTONIC);
        unsigned n = exec_n_workers(run), started = 1;
        int r;

        workers = calloc(n, sizeof(Exec));
        if (!items || !workers)
                return -ENOMEM;
        r = exec_pool_init(&shared.pool, run);
        if (r < 0)
                return r;
        shared.started = t0;
        atomic_init(&shared.progress_drawn, t0);
        atomic_init(&shared.commit_armed, false);
        store = open_store(run->config, mode, err);
        if (store && n > 1)
                state_store_set_shared(store, true);
        for (unsigned w = 0; w < n; w++)
                workers[w] = (Exec){
                        .run = run,
                        .mode = mode,
                        .store = store,
                        .index = w,
                        .n_workers = n,
                        .concurrency =
                                run->config->concurrency / n + (w < run->config->concurrency % n),
                        .shared = &shared,
                };

        /* The first worker runs here, the others in threads started before it. A thread that
         * cannot be started takes nothing: the others take its share. */
        for (; started < n; started++) {
                r = -pthread_create(&workers[started].thread, NULL, exec_thread, &workers[started]);
                if (r < 0)
                        break;
        }
        r = exec_run(&workers[0]);
        for (unsigned w = 1; w < started; w++) {
                (void) pthread_join(workers[w].thread, NULL);
                if (r >= 0 && workers[w].result < 0)
                        r = workers[w].result;
        }
        progress_update(&workers[0], true);

        if (store) {
                state_store_set_shared(store, false);
                if (r >= 0 && mode == RECONCILE_APPLY)
                        save_warn(run->config->state_dir, state_store_save(store), err);
        }
        return r;
}
