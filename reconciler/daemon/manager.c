/* SPDX-License-Identifier: MIT */

/* The manager's life cycle: new, load, start, reload (SIGHUP), stop (SIGTERM/SIGINT); the
 * batched state-store save; the work queue's wiring; publishing (STATUS=, gauges). What
 * happens to one resource is resource.c's and resource-removal.c's.
 *
 * "Acknowledged" (DESIGN.md §3.10): a write is acknowledged when the daemon tells anyone that
 * it is applied: the "→ in_sync: applied" log line, /status, the metrics. A run that wrote
 * records the document in the state store in memory and waits in Manager.acks; the save
 * timer commits every changed record in one transaction (group commit: state.db, WAL,
 * synchronous=FULL, so durable once it returns) and only then reports those resources in sync.
 * A commit that fails reports nothing and is retried. A kill -9 before the commit loses only
 * writes nobody was told about; after a restart they are found in sync by their GET (live
 * equals desired) and are recorded then, without another PUT. */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/strbuf.h"
#include "lib/string-util.h"
#include "lib/notify.h"
#include "reconciler/daemon/manager-internal.h"
#include "reconciler/core/user-agent.h"

/* ---- saving ------------------------------------------------------------------------------- */

int manager_add_ack(Manager *m, const char *key) {
        char **a = reallocarray(m->acks, m->n_acks + 2, sizeof(char *));

        if (!a)
                return -ENOMEM;
        m->acks = a;
        a[m->n_acks] = strdup(key);
        if (!a[m->n_acks])
                return -ENOMEM;
        a[++m->n_acks] = NULL;
        manager_schedule_save(m);
        return 0;
}

void manager_report_written(Manager *m, char **acks, size_t n_acks) {
        for (size_t i = 0; i < n_acks; i++) {
                Resource *r = resource_table_get(&m->table, acks[i]);

                if (r && r->state == RESOURCE_STATE_CHANGING && !resource_run_in_flight(r))
                        resource_report_written(r);
                free(acks[i]);
        }
        free(acks);
}

/* Reports the writes that the last commit made durable. */
static void manager_report_acks(Manager *m) {
        manager_report_written(m, m->acks, m->n_acks);
        m->acks = NULL;
        m->n_acks = 0;
}

void manager_save_failed(Manager *m) {
        m->save_failed = true;
        manager_schedule_save(m);
}

/* Cluster mode: the records go to etcd, and the writes are reported once they are there. */
static void manager_save_cluster(Manager *m) {
        int k = manager_cluster_save(m);

        m->last_save_usec = clock_now(m->clock);
        m->save_failed = false;
        if (k < 0) {
                log_error_errno(k, "Failed to prepare the state records for etcd: %m");
                manager_save_failed(m);
        }
}

/* Commits the state store, then reports the writes it holds; a failed commit reports none. */
static void manager_save_now(Manager *m) {
        int k;

        if (m->cluster) {
                manager_save_cluster(m);
                return;
        }
        k = state_store_save(m->state);

        m->last_save_usec = clock_now(m->clock);
        m->save_failed = k < 0 && k != -EBUSY;
        if (k == -EBUSY)
                log_debug("The state store in '%s' is locked by another process; retrying.",
                          strna(m->started_state_dir));
        else if (k < 0)
                log_error_errno(k, "Failed to save the state store in '%s': %m; retrying in %llus.",
                                strna(m->started_state_dir),
                                MANAGER_COMMIT_RETRY_USEC / 1000000ULL);
        if (k < 0) {
                manager_schedule_save(m); /* not durable, not reported: keep trying */
                return;
        }
        manager_report_acks(m);
}

static int on_save_timer(ClockTimer *t, usec_t usec, void *userdata) {
        manager_save_now(userdata);
        return 0;
}

void manager_schedule_save(Manager *m) {
        usec_t gap = m->save_failed ? MANAGER_COMMIT_RETRY_USEC : MANAGER_COMMIT_WINDOW_USEC;
        usec_t when = MAX(clock_now(m->clock), m->last_save_usec + gap);

        if (!m->save_timer && clock_timer_new(m->clock, on_save_timer, m, &m->save_timer) < 0) {
                manager_save_now(m); /* no timer: save at once rather than not at all */
                return;
        }
        if (clock_timer_get(m->save_timer) != USEC_INFINITY)
                return; /* already due */
        (void) clock_timer_arm(m->save_timer, when);
}

int manager_arm_timer_earliest(Manager *m, ClockTimer **t, usec_t when,
                               clock_timer_handler_t handler) {
        int k;

        if (!*t) {
                k = clock_timer_new(m->clock, handler, m, t);
                if (k < 0)
                        return k;
        }
        if (clock_timer_get(*t) <= when)
                return 0;
        return clock_timer_arm(*t, when);
}

/* ---- the work queue: what is queued, and the callback that starts a resource's run ------- */

/* r's account in the queue; NULL (unlimited) for an unknown one: the run reports it. */
static const char *manager_queue_account(Manager *m, const Resource *r) {
        double qps;

        if (r->spec->account && workqueue_get_account_qps(m->queue, r->spec->account, &qps) < 0)
                return NULL;
        return r->spec->account;
}

/* Whether the YAML of r is what its record says was last applied: nothing to change, only a
 * poll for drift to make. */
static bool manager_resource_matches_record(Manager *m, const Resource *r) {
        const StateRecord *rec = state_store_get(m->state, r->key);
        _cleanup_(diff_freep) Diff *d = NULL;

        if (!rec || diff_resource(r->spec, &rec->applied, &rec->applied, &d) < 0)
                return false;
        return diff_is_empty(d);
}

int manager_enqueue_start(Manager *m, Resource *r) {
        if (!manager_resource_matches_record(m, r))
                return manager_enqueue(m, r, WORK_PRIORITY_CHANGE);
        return manager_enqueue(m, r, WORK_PRIORITY_POLL);
}

int manager_enqueue(Manager *m, Resource *r, WorkPriority priority) {
        int k;

        if (!manager_cluster_schedules(m, r->key))
                return 0; /* another member's (queued when its bucket is taken) */
        k = workqueue_add(m->queue, r->key, manager_queue_account(m, r), priority, 0, r);
        if (k < 0)
                return log_error_errno(k, "Failed to queue '%s': %m", r->spec->name);
        (void) workqueue_set_resync(m->queue, r->key, r->spec->resync_interval);
        return 0;
}

int manager_process(WorkQueue *q, const char *key, void *item_userdata, void *userdata) {
        Manager *m = userdata;
        Resource *r = resource_table_get(&m->table, key);
        _cleanup_free_ char *msg = NULL;
        Account *a;

        if (m->stopping || !r)
                return -ECANCELED;
        if (!manager_cluster_schedules(m, key)) {
                (void) workqueue_remove(q, key); /* its bucket was handed over */
                return -ECANCELED;
        }
        a = r->spec->account ? account_set_find(m->gen->accounts, r->spec->account) : NULL;
        if (a && a->client)
                return resource_start_run(r, a->client);
        /* a->error names the account (accounts.c). */
        if (a ? !(msg = strdup(strna(a->error)))
              : asprintf(&msg, "account '%s' is not configured", strna(r->spec->account)) < 0)
                return -ENOMEM;
        return resource_fail_run(r, CLOUD_ERROR_AUTH, "config", msg);
}

/* A run that waited for its PUT's token has one now (DESIGN.md §3.8). */
void manager_resume(WorkQueue *q, const char *key, void *item_userdata, void *userdata) {
        resource_resume_run(item_userdata);
}

void manager_cancel_runs(Manager *m) {
        _cleanup_free_ Resource **a = NULL;
        size_t n;

        if (resource_table_sorted(&m->table, NULL, &a, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++)
                resource_cancel_run(a[i]);
}

void manager_cloud_observer(const CloudAccount *account, Provider provider, CloudOp op,
                            long http_status, int error, uint64_t duration_usec, void *userdata) {
        Manager *m = userdata;
        static const char *const methods[_CLOUD_OP_MAX] = { "GET", "PUT", "DELETE",
                                                            "GET", "GET", "GET" };
        char code[32];

        if (http_status > 0)
                snprintf(code, sizeof(code), "%ld", http_status);
        else
                snprintf(code, sizeof(code), "%s", error == -ETIMEDOUT ? "timeout" : "transport");
        (void) metrics_counter_inc(m->metrics->cloud_requests_total, provider_to_string(provider),
                                   op >= 0 && op < _CLOUD_OP_MAX ? methods[op] : "GET", code);
        (void) metrics_histogram_observe(m->metrics->cloud_request_duration,
                                         (double) duration_usec / 1e6);
}

/* ---- publishing -------------------------------------------------------------------------- */

bool manager_is_ready(const Manager *m) {
        /* A directory without YAML files is read fine (an error in /status, not "not ready"). */
        return m->first_pass_done && (!m->dir_error || m->dir_errno == -ENODATA);
}

static bool manager_nothing_loaded_over_limit(const Manager *m) {
        return m->dir_errno == -E2BIG && m->desired->n_files == 0;
}

void manager_notify_ready(Manager *m) {
        if (!manager_cluster_is_settled(m)) {
                m->ready_pending = true; /* hook_changed() comes back */
                return;
        }
        if (manager_nothing_loaded_over_limit(m)) {
                if (!m->ready_pending)
                        log_warning("Not reporting ready while nothing is loaded; READY=1 follows "
                                    "once the desired state loads.");
                m->ready_pending = true;
                return;
        }
        m->ready_pending = false;
        (void) notify_ready();
}

void manager_publish_ready(Manager *m) {
        if (!m->endpoint)
                return;
        if (manager_is_ready(m))
                endpoint_set_ready(m->endpoint, true);
        else if (endpoint_set_not_ready(m->endpoint,
                                        m->dir_error
                                                ?: "the desired-state directory has not been "
                                                   "read yet") < 0)
                endpoint_set_ready(m->endpoint, false); /* no reason, but not ready */
}

/* The queue's gauges. The lag grows with time alone, so a scrape sets it too
 * (EndpointOptions.before_metrics). */
static void manager_update_queue_metrics(void *userdata) {
        Manager *m = userdata;

        (void) metrics_gauge_set(m->metrics->workqueue_depth, workqueue_get_depth(m->queue));
        (void) metrics_gauge_set(m->metrics->workqueue_oldest_due,
                                 (double) workqueue_get_oldest_due_age(m->queue) / USEC_PER_SEC);
}

static int on_status_timer(ClockTimer *t, usec_t usec, void *userdata) {
        manager_schedule_publish(userdata);
        return 0;
}

/* STATUS= goes out at most every MANAGER_STATUS_INTERVAL: during a sync the counts change at
 * every loop iteration, and each sd_notify() opens, connects and closes a socket (5 % of the
 * daemon's CPU in a sync of 100,000). A line held back is sent when the interval ends, so the
 * last one always arrives, that much late at most. */
static bool manager_status_due(Manager *m) {
        usec_t due = m->status_sent_usec + MANAGER_STATUS_INTERVAL;

        if (!m->status_line || clock_now(m->clock) >= due)
                return true;
        if (!m->status_timer && clock_timer_new(m->clock, on_status_timer, m, &m->status_timer) < 0)
                return true;
        if (clock_timer_get(m->status_timer) != due)
                (void) clock_timer_arm(m->status_timer, due);
        return false;
}

/* Everything the views show but /status (built when asked) comes from here, from the same
 * counts: STATUS=, the file gauges, readiness. */
static int on_publish(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ char *line = status_line_format(&m->counts), *full = NULL, *member = NULL;
        size_t n_ok, n_broken;

        manager_count_files(m, &n_ok, &n_broken);
        manager_update_file_metrics(m);
        manager_publish_ready(m);
        manager_update_queue_metrics(m);
        manager_publish_poll_intervals(m);
        manager_cluster_update_metrics(m);
        if (!line || manager_cluster_status_prefix(m, &member) < 0)
                return 0;
        if (asprintf(&full, "%s%s%s%s", member, line, n_broken > 0 || m->dir_error ? "; " : "",
                     m->dir_error   ? "desired-state directory unusable"
                     : n_broken > 0 ? "files with errors"
                                    : "") < 0)
                return 0;
        if (m->started && !m->stopping && (!m->status_line || !streq(m->status_line, full)) &&
            manager_status_due(m)) {
                (void) notify_status("%s", full);
                m->status_sent_usec = clock_now(m->clock);
                free(m->status_line);
                m->status_line = TAKE_PTR(full);
        }
        return 0;
}

void manager_schedule_publish(Manager *m) {
        if (!m->publish_event && sd_event_add_defer(m->event, &m->publish_event, on_publish, m) < 0)
                return;
        (void) sd_event_source_set_enabled(m->publish_event, SD_EVENT_ONESHOT);
}

/* ---- stop ------------------------------------------------------------------------------- */

void manager_release_retired(Manager *m) {
        if (m->n_runs > 0)
                return;
        while (m->retired) {
                ManagerGeneration *g = m->retired;
                m->retired = g->next;
                manager_generation_free(g);
        }
}

void manager_check_stopped(Manager *m) {
        if (!m->stopping || m->n_runs > 0)
                return;
        if (manager_cluster_leave(m) > 0)
                return; /* the claims go first; the member comes back here once they have */
        manager_save_now(m);
        log_info("Stopped: state saved, %zu resources.", resource_table_size(&m->table));
        (void) sd_event_exit(m->event, m->exit_status);
}

static int on_stop_timeout(ClockTimer *t, usec_t usec, void *userdata) {
        Manager *m = userdata;

        log_warning("%u requests still in flight after %llus: cancelling them.", m->n_runs,
                    (unsigned long long) (MANAGER_STOP_TIMEOUT_USEC / 1000000ULL));
        manager_cancel_runs(m);
        return 0;
}

static void manager_stop(Manager *m, const char *why) {
        if (m->stopping) {
                log_info("Stopping already (%s); cancelling requests in flight.", why);
                manager_cancel_runs(m);
                return;
        }
        m->stopping = true;
        (void) notify_stopping();
        log_info("Stopping (%s): %u requests in flight, waiting up to %llus.", why, m->n_runs,
                 (unsigned long long) (MANAGER_STOP_TIMEOUT_USEC / 1000000ULL));
        m->dirwatch = dirwatch_free(m->dirwatch);
        if (m->n_runs > 0 &&
            manager_arm_timer_earliest(m, &m->stop_timer,
                                       clock_now(m->clock) + MANAGER_STOP_TIMEOUT_USEC,
                                       on_stop_timeout) < 0)
                manager_cancel_runs(m);
        manager_check_stopped(m);
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        manager_stop(userdata, si->ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
        return 0;
}

/* ---- reload ------------------------------------------------------------------------------ */

/* A new endpoint when listen changed; the old one stays if the new one cannot be bound. */
static int manager_rebind_endpoint(Manager *m);

/* Records the outcome of a load of the daemon configuration (at start or on SIGHUP) for /status
 * and the metrics, as Prometheus does; error: why it failed (NULL: unknown, see the log). */
static void manager_note_reload(Manager *m, bool ok, const char *error) {
        m->reload_usec = now(CLOCK_REALTIME);
        m->reload_successful = ok;
        free(m->reload_error);
        m->reload_error = ok ? NULL : strdup(error ?: "see the log");
        (void) metrics_gauge_set(m->metrics->config_last_reload_successful, ok ? 1 : 0);
        if (ok)
                (void) metrics_gauge_set(m->metrics->config_last_reload_success_timestamp,
                                         (double) (m->reload_usec / 1000000ULL));
}

static int manager_note_start_only(Manager *m, const DaemonConfig *c) {
        m->started_state_dir = strdup(c->state_dir);
        if (!m->started_state_dir ||
            cluster_config_fingerprint(c->cluster, &m->started_cluster) < 0)
                return log_oom();
        return 0;
}

/* stateDir and `cluster:` keep what they were at start (the SQLite store stays open where it
 * is, the member stays in its cluster): a reload that changes them must not pass in silence. */
static void manager_warn_start_only(Manager *m, const DaemonConfig *c) {
        _cleanup_free_ char *cluster = NULL;

        if (!streq_ptr(c->state_dir, m->started_state_dir))
                log_warning("stateDir is now '%s' in '%s', but the state store stays in '%s' until "
                            "asyncfgd restarts.",
                            c->state_dir, m->config_path, strna(m->started_state_dir));
        if (cluster_config_fingerprint(c->cluster, &cluster) < 0) {
                log_oom();
                return;
        }
        if (streq_ptr(cluster, m->started_cluster))
                return;
        log_warning("The 'cluster:' block of '%s' changed, but %s until asyncfgd restarts.",
                    m->config_path,
                    isempty(m->started_cluster) ? "the daemon stays alone, without cluster mode,"
                    : !c->cluster               ? "cluster mode stays on"
                                  : "cluster mode keeps the settings it started with");
}

/* Loads the configuration again and puts it in force; false (logged, and *ret_error why) when
 * the one in force stays. */
static bool manager_reload_config(Manager *m, char **ret_error) {
        ManagerGeneration *g = NULL;
        DaemonConfig *c = NULL;

        if (manager_load_config(m, &c, ret_error) < 0) {
                log_error(
                        "Keeping the configuration in force; only the desired state is read again.");
                return false;
        }
        manager_warn_start_only(m, c);
        if (manager_generation_new(m, c, &g) < 0) {
                *ret_error = strdup("the cloud accounts could not be set up; see the log");
                return false;
        }
        if (manager_install_generation(m, g) < 0) {
                log_error("Keeping the configuration in force.");
                *ret_error = strdup("the configuration could not be put in force; see the log");
                return false;
        }
        return true;
}

/* The desired set stays across a reload, so that its files keep their last good version and
 * the rescan alone decides what is gone (DESIGN.md §3.2): a fresh set would have nothing for a
 * file that cannot be read at this moment, and its resources would be removed. Every document
 * is resolved again against the accounts now in force. Only a new desiredDir starts from an
 * empty set, since the files of the old one are no longer the desired state. */
static void manager_reload_desired(Manager *m, const char *old_dir) {
        DesiredSet *s = NULL;

        if (old_dir && streq(old_dir, m->gen->config->desired_dir)) {
                desired_set_set_config(m->desired, m->gen->config);
                return;
        }
        if (desired_set_new(m->gen->config, &s) < 0) {
                desired_set_set_config(m->desired, m->gen->config);
                log_oom();
                return;
        }
        desired_set_free(m->desired);
        m->desired = s;
}

static void manager_log_reloaded(Manager *m) {
        size_t n_accounts = m->gen->accounts->n_accounts, n = desired_set_n_resources(m->desired);

        log_info("Reloaded '%s': %zu account%s, %zu resource%s.", m->config_path, n_accounts,
                 n_accounts == 1 ? "" : "s", n, n == 1 ? "" : "s");
}

void manager_reload(Manager *m) {
        const char *old_dir = m->gen->config->desired_dir;
        _cleanup_free_ char *dir = old_dir ? strdup(old_dir) : NULL, *error = NULL;
        bool ok;

        (void) notify_reloading();
        log_info("Reloading '%s'.", m->config_path);
        ok = manager_reload_config(m, &error);
        manager_note_reload(m, ok, error);
        manager_reload_desired(m, dir);
        (void) manager_watch_dir(m);
        (void) manager_rebind_endpoint(m);
        (void) manager_rescan_full(m, "reload");
        if (ok)
                manager_log_reloaded(m);
        manager_notify_ready(m);
        free(m->status_line);
        m->status_line = NULL; /* send STATUS= again after READY=1 */
        manager_schedule_publish(m);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        if (!m->stopping)
                manager_reload(m);
        return 0;
}

/* ---- life cycle --------------------------------------------------------------------------- */

int manager_new(sd_event *event, const char *config_path, Manager **ret) {
        Clock *clock;
        int k;

        k = clock_new_event(event, &clock);
        if (k < 0)
                return log_error_errno(k, "Failed to set up the clock: %m");
        return manager_new_with_clock(event, clock, config_path, ret);
}

int manager_new_with_clock(sd_event *event, Clock *clock, const char *config_path, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(*m));
        const char *e;
        int k;

        if (!m) {
                clock_free(clock);
                return log_oom();
        }
        m->clock = clock;
        m->event = sd_event_ref(event);
        m->config_path = strdup(config_path);
        m->debounce_usec = MANAGER_DEBOUNCE_USEC_DEFAULT;
        e = getenv("ASYNCFG_DEBOUNCE_MSEC");
        if (e && atoi(e) > 0)
                m->debounce_usec = (usec_t) atoi(e) * 1000ULL;
        if (!m->config_path || resource_table_init(&m->table) < 0)
                return log_oom();
        k = metrics_new_asyncfg(&m->metrics);
        if (k < 0)
                return log_error_errno(k, "Failed to set up metrics: %m");
        k = http_engine_new(event, &(HttpEngineOptions){ .user_agent = ASYNCFG_USER_AGENT },
                            &m->http);
        if (k < 0)
                return log_error_errno(k, "Failed to set up the HTTP engine: %m");
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        /* Callbacks of runs still pending fire inside http_engine_free(): keep the table and
         * the queue until then. The accounts go first, while the engine that their metadata
         * fetches use still exists (calls in flight hold their own client references). */
        m->stopping = true;
        while (m->retired) {
                ManagerGeneration *g = m->retired;
                m->retired = g->next;
                manager_generation_free(g);
        }
        m->gen = manager_generation_free(m->gen);
        m->alerts = alerts_free(m->alerts); /* before the engine and the clock it uses */
        manager_cluster_free(m); /* its timers before the clock, its etcd client's callbacks */
        m->http = http_engine_free(m->http);
        sd_event_source_disable_unref(m->sig_term);
        sd_event_source_disable_unref(m->sig_int);
        sd_event_source_disable_unref(m->sig_hup);
        sd_event_source_disable_unref(m->publish_event);
        manager_poll_stretched_free(m);
        manager_broken_files_free(m);
        clock_timer_free(m->save_timer);
        clock_timer_free(m->status_timer);
        clock_timer_free(m->stop_timer);
        clock_timer_free(m->orphan_timer);
        prioq_free(m->orphans);
        clock_timer_free(m->delete_timer);
        endpoint_free(m->endpoint);
        dirwatch_free(m->dirwatch);
        resource_table_done(&m->table);
        workqueue_free(m->queue);
        clock_free(m->clock);
        desired_set_free(m->desired);
        state_store_free(m->state);
        metrics_free_asyncfg(m->metrics);
        strv_free(m->acks);
        free(m->status_line);
        free(m->dir_error);
        free(m->revision);
        free(m->reload_error);
        free(m->listen);
        free(m->watched_dir);
        free(m->config_path);
        free(m->started_state_dir);
        free(m->started_cluster);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

/* The state store: a damaged or foreign file is reported, moved aside, and not trusted. */
static int manager_open_state(Manager *m) {
        _cleanup_(diag_list_done) DiagList diags = {};
        const char *dir = m->gen->config->state_dir;
        _cleanup_free_ char *moved = NULL;
        int k;

        if (m->cluster) {
                /* The records are in etcd, read bucket by bucket as they are taken. */
                k = cluster_state_store_new(&m->state);
                return k < 0 ? log_error_errno(k, "Failed to set up the state store: %m") : 0;
        }
        diag_list_init(&diags);
        k = state_remove_stale_temp(dir);
        if (k > 0)
                log_info("Removed %d stale temporary file(s) '.state.json.*' of an older state "
                         "store from '%s'.",
                         k, dir);
        k = state_store_open(dir, &diags, &m->state);
        if (k != -EBADMSG && k != -EPROTONOSUPPORT) {
                if (k < 0)
                        return log_error_errno(k, "Failed to open the state store in '%s': %m",
                                               dir);
                log_info("State store '%s': %zu records.", dir, state_store_size(m->state));
                state_store_set_busy_timeout(m->state, MANAGER_COMMIT_BUSY_MSEC);
                return 0;
        }
        for (size_t i = 0; i < diags.n; i++) {
                _cleanup_free_ char *line = NULL;
                if (diag_format(&diags.items[i], &line) >= 0)
                        log_error("%s", line);
        }
        k = state_store_quarantine(dir, &moved);
        if (k < 0)
                return log_error_errno(k, "Failed to move the damaged state store aside: %m");
        log_error("The state store was not usable and was moved to '%s'; starting without "
                  "last-applied records (drift and change cannot be told apart until the next "
                  "writes).",
                  strna(moved));
        k = state_store_open(dir, NULL, &m->state);
        if (k < 0)
                return log_error_errno(k, "Failed to open the state store in '%s': %m", dir);
        state_store_set_busy_timeout(m->state, MANAGER_COMMIT_BUSY_MSEC);
        return 0;
}

int manager_load(Manager *m) {
        ManagerGeneration *g;
        DaemonConfig *c;
        int k;

        k = manager_load_config(m, &c, NULL);
        if (k < 0)
                return k;
        k = manager_note_start_only(m, c);
        if (k < 0) {
                daemon_config_free(c);
                return k;
        }
        manager_note_reload(m, true, NULL);
        k = manager_cluster_setup(m, c);
        if (k < 0) {
                daemon_config_free(c);
                return k;
        }
        k = manager_generation_new(m, c, &g);
        if (k < 0)
                return k;
        k = workqueue_new(m->clock, NULL, NULL, manager_process, m, &m->queue);
        if (k < 0) {
                manager_generation_free(g);
                return log_error_errno(k, "Failed to set up the work queue: %m");
        }
        workqueue_set_resume(m->queue, manager_resume);
        k = manager_install_generation(m, g);
        if (k < 0)
                return k;
        k = manager_open_state(m);
        if (k < 0)
                return k;
        k = desired_set_new(m->gen->config, &m->desired);
        if (k < 0)
                return log_oom();
        /* The watch first, so nothing changed between the scan and the watch is missed. */
        k = manager_watch_dir(m);
        if (k < 0)
                return k;
        k = manager_rescan_full(m, "start");
        if (k < 0)
                return k;
        (void) manager_orphan_unowned_records(m);
        log_info("Loaded %zu resources from %zu files of '%s'.", resource_table_size(&m->table),
                 m->desired->n_files, m->gen->config->desired_dir);
        return 0;
}

/* What the endpoint is bound with: the listen address and the web block. A change of any of
 * them (or TLS at all: a renewed certificate has the same path) makes a new endpoint. */
static char *manager_endpoint_key(const DaemonConfig *c) {
        const char *parts[] = { c->listen, c->web.tls_cert_file, c->web.tls_key_file };
        StrBuf b = {};
        char *key = NULL;

        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                strbuf_puts(&b, parts[i] ?: "");
                strbuf_putc(&b, '\n');
        }
        for (size_t i = 0; i < c->web.n_users; i++) {
                strbuf_puts(&b, c->web.users[i].name);
                strbuf_putc(&b, ':');
                strbuf_puts(&b, c->web.users[i].hash);
                strbuf_putc(&b, '\n');
        }
        return strbuf_take(&b, &key) < 0 ? NULL : key;
}

/* One line at start and at every reload while the endpoint is open beyond loopback. */
static void manager_warn_unprotected(const DaemonConfig *c) {
        if (isempty(c->listen) || endpoint_listen_is_loopback(c->listen) ||
            web_config_is_protected(&c->web))
                return;
        log_warning("The endpoint listens on '%s', beyond loopback, without TLS or basic "
                    "authentication: anyone who can reach it reads /metrics and /status. Set "
                    "'web:' in '%s' (asyncfg.yaml(5)).",
                    c->listen, c->path);
}

static EndpointOptions manager_endpoint_options(Manager *m) {
        const DaemonConfig *c = m->gen->config;

        return (EndpointOptions){
                .listen = c->listen,
                .metrics = m->metrics->registry,
                .before_metrics = manager_update_queue_metrics,
                .status = manager_status_open,
                .userdata = m,
                .tls_cert_file = c->web.tls_cert_file,
                .tls_key_file = c->web.tls_key_file,
                .users = c->web.users,
                .n_users = c->web.n_users,
        };
}

static int manager_rebind_endpoint(Manager *m) {
        const DaemonConfig *c = m->gen->config;
        const char *listen = c->listen;
        EndpointOptions o = manager_endpoint_options(m);
        _cleanup_free_ char *key = manager_endpoint_key(c);
        Endpoint *ep = m->endpoint;
        int k;

        manager_warn_unprotected(c);
        if (!key)
                return log_oom();
        if (m->listen && streq(m->listen, key) && !c->web.tls_cert_file)
                return 0;
        /* The endpoint in force serves until its successor is up, on the same socket when the
         * address is the same: a certificate GnuTLS refuses leaves the old one serving. */
        k = endpoint_replace(m->event, &o, &ep);
        if (k < 0)
                return log_error_errno(
                        k, "Failed to serve the endpoint on '%s'%s: %m%s", strna(listen),
                        c->web.tls_cert_file ? " (with TLS: are tlsCertFile and tlsKeyFile a "
                                               "matching PEM certificate and key?)"
                                             : "",
                        m->endpoint ? "; the endpoint in force serves on as before" : "");
        m->endpoint = ep;
        free(m->listen);
        m->listen = TAKE_PTR(key);
        if (ep) {
                manager_publish_ready(m);
                log_info("Serving /metrics, /healthz, /readyz, /status on port %u%s%s.",
                         endpoint_get_port(ep), c->web.tls_cert_file ? " over TLS" : "",
                         c->web.n_users > 0 ? " with basic authentication" : "");
        }
        return 0;
}

int manager_start(Manager *m) {
        int k;

        k = manager_rebind_endpoint(m);
        if (k < 0)
                return k;
        sigset_t mask;

        /* sd-event's signal sources need the signals blocked (systemd 252). */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(-errno, "Failed to block signals: %m");
        if ((k = sd_event_add_signal(m->event, &m->sig_term, SIGTERM, on_sigterm, m)) < 0 ||
            (k = sd_event_add_signal(m->event, &m->sig_int, SIGINT, on_sigterm, m)) < 0 ||
            (k = sd_event_add_signal(m->event, &m->sig_hup, SIGHUP, on_sighup, m)) < 0)
                return log_error_errno(k, "Failed to handle signals: %m");
        k = notify_watchdog_enable(m->event);
        if (k < 0)
                return log_error_errno(k, "Failed to enable the watchdog: %m");
        m->started = true;
        manager_schedule_publish(m);
        return manager_cluster_start(m);
}

int manager_exit_status(const Manager *m) {
        return m->exit_status;
}
