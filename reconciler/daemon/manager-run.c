/* SPDX-License-Identifier: MIT */

/* The work queue's runs: one reconcile (reconciler/core/reconcile.h) per resource, or the DELETE
 * of a removed resource whose deletionPolicy is delete; the one state setter; cloud metrics.
 *
 * A Resource with a run in flight is never freed: removing it from the desired state only
 * marks it (Resource.removed), and the run's callback carries the removal out. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "reconciler/daemon/manager-internal.h"
#include "reconciler/core/reconcile.h"

/* ---- the one state setter --------------------------------------------------------------- */

/* Quiet when all is well: a first observation that finds a resource in sync is not news (the
 * STATUS= line counts them); every other transition is. */
static int resource_log_level(ResourceState old, ResourceState s) {
        if (old == RESOURCE_STATE_PENDING && s == RESOURCE_STATE_IN_SYNC)
                return LOG_DEBUG;
        switch (s) {
        case RESOURCE_STATE_DRIFTED:
        case RESOURCE_STATE_RETRYING:
                return LOG_WARNING;
        case RESOURCE_STATE_ERROR:
                return LOG_ERR;
        case RESOURCE_STATE_PENDING:
                return LOG_DEBUG;
        default:
                return LOG_INFO;
        }
}

static void manager_count_state(Manager *m, ResourceState s, int delta) {
        const char *name = resource_state_to_string(s);
        unsigned *c = status_counts_field(&m->counts, name);

        if (!c)
                return;
        *c = (unsigned) ((int) *c + delta);
        (void) metrics_gauge_set(m->metrics->resources, *c, name);
}

/* Logs with the resource's structured fields (RESOURCE=, PROVIDER=, FILE=, ACCOUNT=). */
_printf_(4, 5) static void resource_log(int level, const Resource *r, int error, const char *format,
                                        ...) {
        char resource[256], provider[64], file[4200], account[256], msg[2048];
        const char *fields[] = { resource, provider, file, account, NULL };
        va_list ap;

        if (level > log_get_max_level())
                return;
        snprintf(resource, sizeof(resource), "RESOURCE=%s", r->spec->name);
        snprintf(provider, sizeof(provider), "PROVIDER=%s", provider_to_string(r->spec->provider));
        snprintf(file, sizeof(file), "FILE=%s:%u", strna(r->spec->path), r->spec->line);
        snprintf(account, sizeof(account), "ACCOUNT=%s", strna(r->spec->account));
        va_start(ap, format);
        vsnprintf(msg, sizeof(msg), format, ap);
        va_end(ap);
        (void) log_struct_internal(level, error, fields, "%s: %s", r->spec->name, msg);
}

/* The one place a resource's state changes: counts, asyncfg_resources{state},
 * asyncfg_resource_drifted{name}, a log line, and STATUS= (through publish). */
void manager_resource_event(Manager *m, Resource *r, ResourceEvent ev, const char *why) {
        ResourceState old = r->state, new = resource_state_next(old, ev);
        bool drifted = new == RESOURCE_STATE_DRIFTED ||
                       (r->drift && new == RESOURCE_STATE_CHANGING);

        (void) metrics_gauge_set(m->metrics->resource_drifted, drifted ? 1 : 0, r->spec->name);
        if (old == new)
                return;
        if (old >= 0)
                manager_count_state(m, old, -1);
        manager_count_state(m, new, +1);
        r->state = new;
        resource_log(resource_log_level(old, new), r, 0, "%s → %s%s%s",
                     old >= 0 ? resource_state_to_string(old) : "new",
                     resource_state_to_string(new), why ? ": " : "", why ?: "");
        manager_schedule_publish(m);
}

/* Forgets a resource: out of the counts, the metrics, the queue and the table. */
void manager_resource_drop(Manager *m, Resource *r) {
        if (r->state >= 0)
                manager_count_state(m, r->state, -1);
        (void) metrics_gauge_remove(m->metrics->resource_drifted, r->spec->name);
        manager_alerts_forget(m, r);
        (void) workqueue_remove(m->queue, r->key);
        resource_table_unlink(&m->table, r);
        resource_free(r);
        manager_schedule_publish(m);
}

void manager_resource_finish_removal(Manager *m, Resource *r) {
        if (r->run)
                return; /* the run's callback comes back here */
        if (r->deleted) {
                manager_resource_forget(m, r, "document removed; live config deleted");
                return;
        }
        if (r->spec->deletion_policy == DELETION_POLICY_DELETE &&
            r->spec->management == MANAGEMENT_ENFORCE && !m->stopping) {
                if (!manager_defer_delete(m, r))
                        (void) manager_enqueue(m, r, WORK_PRIORITY_CHANGE);
                return;
        }
        manager_resource_orphan(m, r,
                                r->spec->management == MANAGEMENT_OBSERVE &&
                                                r->spec->deletion_policy == DELETION_POLICY_DELETE
                                        ? "document removed; observe mode, live config left alone"
                                        : "document removed; live config left alone (orphan)");
}

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

        k = workqueue_add(m->queue, r->key, manager_queue_account(m, r), priority, 0, r);
        if (k < 0)
                return log_error_errno(k, "Failed to queue '%s': %m", r->spec->name);
        (void) workqueue_set_resync(m->queue, r->key, r->spec->resync_interval);
        return 0;
}

/* ---- metrics --------------------------------------------------------------------------- */

void manager_cloud_observer(const CloudAccount *account, Provider provider, CloudOp op,
                            long http_status, int error, uint64_t duration_usec, void *userdata) {
        Manager *m = userdata;
        static const char *const methods[_CLOUD_OP_MAX] = { "GET", "PUT", "DELETE", "GET", "GET", "GET" };
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

static void manager_count_run(Manager *m, Resource *r, const char *result, bool failed) {
        double secs = (double) (now_monotonic_usec() - r->run_started_usec) / 1e6;
        uint64_t retries = workqueue_get_retries_total(m->queue);

        (void) metrics_counter_inc(m->metrics->reconcile_total,
                                   provider_to_string(r->spec->provider), result);
        if (failed)
                (void) metrics_counter_inc(m->metrics->reconcile_errors_total);
        else {
                m->last_success_usec = now_realtime_usec();
                (void) metrics_gauge_set(m->metrics->last_successful_sync,
                                         (double) (m->last_success_usec / 1000000ULL));
        }
        (void) metrics_histogram_observe(m->metrics->reconcile_time, secs);
        if (retries > m->retries_reported) {
                (void) metrics_counter_add(m->metrics->workqueue_retries_total,
                                           (double) (retries - m->retries_reported));
                m->retries_reported = retries;
        }
}

/* ---- ends of runs ------------------------------------------------------------------------ */

/* Records a failed run: last error, state retrying or error, and what the queue needs. */
static WorkResult manager_resource_failed(Manager *m, Resource *r, const CloudError *e,
                                          const char *what) {
        _cleanup_free_ char *msg = NULL, *line = NULL;
        WorkResult wr = work_result_from_cloud_error(e);

        (void) cloud_error_format(e, &msg);
        if (asprintf(&line, "%s failed: %s", what, strna(msg)) < 0)
                line = NULL;
        (void) resource_set_error(r, e->class == CLOUD_ERROR_NONE ? CLOUD_ERROR_TRANSIENT : e->class,
                                  line ?: what);
        manager_alerts_on_error(m, r, r->error_class, e, what);
        manager_resource_event(m, r,
                               wr == WORK_RESULT_PERMANENT ? RESOURCE_EVENT_PERMANENT
                                                           : RESOURCE_EVENT_RETRYABLE,
                               line ?: what);
        return wr;
}

/* The run of r ended: bookkeeping shared by reconciles and deletes. */
static void manager_run_ended(Manager *m, Resource *r, WorkResult wr, usec_t retry_after) {
        r->run = NULL;
        r->run_is_delete = false;
        m->n_runs--;
        (void) workqueue_done(m->queue, r->key, wr, retry_after);
        manager_schedule_save(m);
        manager_schedule_publish(m);
        if (r->removed)
                manager_resource_finish_removal(m, r);
        if (m->n_runs == 0)
                manager_release_retired(m);
        manager_check_stopped(m);
}

/* Keeps the diff for /status as JSON (the Diff itself belongs to the reconcile). */
static void resource_keep_diff(Resource *r, const Diff *d) {
        json_t *j = NULL;

        json_decref(r->diff_json);
        r->diff_json = NULL;
        if (d && !diff_is_empty(d) && diff_to_json(d, &j) >= 0)
                r->diff_json = j;
}

static void resource_keep_write(Resource *r, const Diff *d) {
        json_t *j = NULL;

        if (!d || diff_to_json(d, &j) < 0)
                return;
        json_decref(r->last_write_json);
        r->last_write_json = j;
}

static void manager_note_drift(Manager *m, Resource *r, const Diff *d) {
        _cleanup_free_ char *text = NULL;
        json_t *j = NULL;

        r->drift = d && d->has_last_applied && diff_has_drift(d) && !diff_is_empty(d);
        if (!r->drift)
                return;
        r->last_drift_usec = now_realtime_usec();
        (void) metrics_counter_inc(m->metrics->drift_detected_total,
                                   provider_to_string(r->spec->provider));
        if (diff_to_json(d, &j) >= 0) {
                text = json_dumps(j, JSON_COMPACT);
                json_decref(r->last_drift_json);
                r->last_drift_json = j;
        }
        resource_log(LOG_WARNING, r, 0, "drift detected (the cloud changed): %s%s", strna(text),
                     r->spec->management == MANAGEMENT_ENFORCE ? ", correcting" : ", observe mode: reported only");
}

void manager_report_written(Manager *m, Resource *r) {
        /* The write made live equal to desired: whatever drift it corrected is over ("drift"
         * is "drifted now"; last_drift and last_drift_diff keep when and what). */
        r->drift = false;
        manager_resource_event(m, r, RESOURCE_EVENT_WRITTEN, "applied (recorded in the state store)");
}

static void manager_on_reconciled(Reconcile *rec, ReconcileResult *res, void *userdata) {
        Resource *r = userdata;
        Manager *m = r->manager;
        WorkResult wr = WORK_RESULT_SUCCESS;
        usec_t retry_after = 0;

        if (res->outcome != RECONCILE_ERROR || res->diff)
                r->last_observed_usec = now_realtime_usec();
        if (res->diff)
                manager_note_drift(m, r, res->diff);

        switch (res->outcome) {
        case RECONCILE_IN_SYNC:
                resource_keep_diff(r, NULL);
                (void) resource_set_error(r, CLOUD_ERROR_NONE, NULL);
                manager_resource_event(m, r, RESOURCE_EVENT_IN_SYNC, NULL);
                break;
        case RECONCILE_CREATED:
        case RECONCILE_UPDATED:
                resource_keep_diff(r, NULL);
                resource_keep_write(r, res->diff);
                (void) resource_set_error(r, CLOUD_ERROR_NONE, NULL);
                r->last_changed_usec = now_realtime_usec();
                manager_resource_event(m, r, RESOURCE_EVENT_WRITING,
                                       res->outcome == RECONCILE_CREATED ? "created" : "updated");
                /* Reported once the state store holding it is on disk (manager.c). */
                if (manager_add_ack(m, r->key) < 0)
                        manager_report_written(m, r);
                break;
        case RECONCILE_WOULD_CREATE:
        case RECONCILE_WOULD_UPDATE:
                resource_keep_diff(r, res->diff);
                (void) resource_set_error(r, CLOUD_ERROR_NONE, NULL);
                manager_resource_event(m, r, RESOURCE_EVENT_DIFFERS,
                                       res->outcome == RECONCILE_WOULD_CREATE
                                               ? "no live config; observe mode, not written"
                                               : "live differs; observe mode, not written");
                break;
        default:
                if (res->diff)
                        resource_keep_diff(r, res->diff);
                wr = manager_resource_failed(m, r, res->error,
                                             cloud_op_to_string(res->error_op));
                retry_after = res->error->retry_after_usec;
                break;
        }
        manager_alerts_on_run(m, r, res->outcome, res->diff);
        manager_count_run(m, r, reconcile_outcome_to_string(res->outcome),
                          res->outcome == RECONCILE_ERROR);
        manager_run_ended(m, r, wr, retry_after);
}

static void manager_on_deleted(CloudCall *call, const CloudError *e, void *userdata) {
        Resource *r = userdata;
        Manager *m = r->manager;
        WorkResult wr = WORK_RESULT_SUCCESS;

        if (e->class == CLOUD_ERROR_NONE) {
                r->last_changed_usec = now_realtime_usec();
                manager_count_run(m, r, "deleted", false);
                /* Removed from the store and the table once the run is closed. */
                r->deleted = true;
        } else {
                wr = manager_resource_failed(m, r, e, "delete");
                manager_count_run(m, r, "error", true);
        }
        manager_run_ended(m, r, wr, e->retry_after_usec);
}

/* ---- starting runs ----------------------------------------------------------------------- */

/* A run that cannot start because of the configuration (no such account, an unusable
 * account): the resource goes to error, the queue waits for the resync or a change. */
static int manager_fail_config(Manager *m, Resource *r, const char *key, const char *msg) {
        (void) resource_set_error(r, CLOUD_ERROR_AUTH, msg);
        manager_alerts_on_error(m, r, CLOUD_ERROR_AUTH, NULL, "config");
        manager_resource_event(m, r, RESOURCE_EVENT_PERMANENT, msg);
        r->run_started_usec = now_monotonic_usec();
        manager_count_run(m, r, "error", true);
        return workqueue_done(m->queue, key, WORK_RESULT_PERMANENT, 0) < 0 ? -EIO : 0;
}

/* changing exactly while the PUT is in flight (and until the write is acknowledged). */
static void manager_on_put_started(Reconcile *rec, void *userdata) {
        Resource *r = userdata;

        manager_resource_event(r->manager, r, RESOURCE_EVENT_WRITING, "PUT in flight");
}

/* The PUT's token (DESIGN.md §3.8: every request takes one). */
static int manager_on_gate(Reconcile *rec, void *userdata) {
        Resource *r = userdata;

        return workqueue_take_token(r->manager->queue, r->key);
}

void manager_resume(WorkQueue *q, const char *key, void *item_userdata, void *userdata) {
        Resource *r = item_userdata;

        if (r->run && !r->run_is_delete)
                reconcile_resume(r->run);
}

static int manager_start_run(Manager *m, Resource *r, CloudClient *client) {
        int k;

        if (r->removed) {
                r->run_is_delete = true;
                k = reconcile_delete(client, r->spec, manager_on_deleted, r,
                                     (CloudCall **) &r->run);
                if (k >= 0)
                        manager_resource_event(m, r, RESOURCE_EVENT_WRITING,
                                               "document removed; deleting the live config");
                return k;
        }
        k = reconcile_start(client, r->spec, m->state, r->key, RECONCILE_APPLY,
                            manager_on_reconciled, r, (Reconcile **) &r->run);
        if (k >= 0) {
                reconcile_set_put_started(r->run, manager_on_put_started);
                reconcile_set_gate(r->run, manager_on_gate);
        }
        return k;
}

int manager_process(WorkQueue *q, const char *key, void *item_userdata, void *userdata) {
        Manager *m = userdata;
        Resource *r = resource_table_get(&m->table, key);
        _cleanup_free_ char *msg = NULL;
        Account *a;
        int k;

        if (m->stopping || !r)
                return -ECANCELED;
        a = r->spec->account ? account_set_find(m->gen->accounts, r->spec->account) : NULL;
        if (!a || !a->client) {
                if (asprintf(&msg, "account '%s' %s%s", strna(r->spec->account),
                             a ? "is unusable: " : "is not configured",
                             a ? strna(a->error) : "") < 0)
                        return -ENOMEM;
                return manager_fail_config(m, r, key, msg);
        }
        r->run_started_usec = now_monotonic_usec();
        k = manager_start_run(m, r, a->client);
        if (k < 0) {
                /* Nothing started (no credentials yet, -ENOKEY ...): a failed run all the same. */
                _cleanup_(cloud_error_done) CloudError e = {};
                WorkResult wr;

                reconcile_error_from_errno(k, &e);
                wr = manager_resource_failed(m, r, &e, "start");
                manager_count_run(m, r, "error", true);
                return workqueue_done(m->queue, key, wr, 0) < 0 ? -EIO : 0;
        }
        r->spec_changed = false;
        m->n_runs++;
        return 0;
}

void manager_cancel_runs(Manager *m) {
        _cleanup_free_ Resource **a = NULL;
        size_t n;

        if (resource_table_sorted(&m->table, NULL, &a, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                if (!a[i]->run)
                        continue;
                if (a[i]->run_is_delete)
                        cloud_call_cancel(a[i]->run);
                else {
                        reconcile_cancel(a[i]->run);
                        (void) workqueue_wake(m->queue, a[i]->key);
                }
        }
}
