/* SPDX-License-Identifier: MIT */

/* The runtime Resource (resource.h): its state machine, the one state setter, and its runs:
 * one reconcile (reconciler/core/reconcile.h), or the DELETE of a removed resource whose
 * deletionPolicy is delete, and what the end of each does to it. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/string-table.h"
#include "reconciler/daemon/manager-internal.h"

/* ---- the object ---------------------------------------------------------------------------- */

Resource *resource_new(const char *key, const ResourceSpec *spec) {
        _cleanup_(resource_freep) Resource *r = calloc(1, sizeof(*r) + strlen(key) + 1);

        if (!r)
                return NULL;
        r->state = _RESOURCE_STATE_INVALID;
        r->orphan_idx = PRIOQ_IDX_NULL;
        r->key = strcpy((char *) (r + 1), key);
        r->spec = resource_spec_ref(spec);
        return TAKE_PTR(r);
}

Resource *resource_free(Resource *r) {
        if (!r)
                return NULL;
        resource_spec_free(r->spec);
        diff_free(r->diff);
        diff_free(r->last_drift);
        diff_free(r->last_write);
        free(r->error);
        free(r->conflict);
        free(r);
        return NULL;
}

int resource_set_spec(Resource *r, const ResourceSpec *spec) {
        ResourceSpec *old = r->spec;

        r->spec = resource_spec_ref(spec);
        resource_spec_free(old);
        return 0;
}

void resource_keep(Diff **slot, Diff *d) {
        Diff *old = *slot;

        *slot = diff_ref(d);
        diff_free(old);
}

json_t *resource_diff_json(const Diff *d, bool null_if_none) {
        json_t *j;

        if (!d)
                return null_if_none ? json_null() : json_array();
        return diff_to_json(d, &j) < 0 ? NULL : j;
}

int resource_set_error(Resource *r, CloudErrorClass class, const char *message) {
        char *m = NULL;

        if (class != CLOUD_ERROR_NONE && message) {
                m = strdup(message);
                if (!m)
                        return -ENOMEM;
        }
        free(r->error);
        r->error = m;
        r->error_class = class;
        return 0;
}

/* ---- the state machine --------------------------------------------------------------------- */

static const char *const resource_event_table[_RESOURCE_EVENT_MAX] = {
        [RESOURCE_EVENT_CHANGED] = "changed",     [RESOURCE_EVENT_IN_SYNC] = "in-sync",
        [RESOURCE_EVENT_DIFFERS] = "differs",     [RESOURCE_EVENT_WRITING] = "writing",
        [RESOURCE_EVENT_WRITTEN] = "written",     [RESOURCE_EVENT_RETRYABLE] = "retryable",
        [RESOURCE_EVENT_PERMANENT] = "permanent", [RESOURCE_EVENT_REMOVED] = "removed",
        [RESOURCE_EVENT_TAKEN] = "taken",
};

DEFINE_STRING_TABLE_LOOKUP(resource_event, ResourceEvent);

/* The state each event leads to from any state but orphaned. */
static const ResourceState resource_event_target[_RESOURCE_EVENT_MAX] = {
        [RESOURCE_EVENT_CHANGED] = RESOURCE_STATE_PENDING,
        [RESOURCE_EVENT_IN_SYNC] = RESOURCE_STATE_IN_SYNC,
        [RESOURCE_EVENT_DIFFERS] = RESOURCE_STATE_DRIFTED,
        [RESOURCE_EVENT_WRITING] = RESOURCE_STATE_CHANGING,
        [RESOURCE_EVENT_WRITTEN] = RESOURCE_STATE_IN_SYNC,
        [RESOURCE_EVENT_RETRYABLE] = RESOURCE_STATE_RETRYING,
        [RESOURCE_EVENT_PERMANENT] = RESOURCE_STATE_ERROR,
        [RESOURCE_EVENT_REMOVED] = RESOURCE_STATE_ORPHANED,
        [RESOURCE_EVENT_TAKEN] = RESOURCE_STATE_PENDING,
};

ResourceState resource_state_next(ResourceState cur, ResourceEvent ev) {
        if (ev < 0 || ev >= _RESOURCE_EVENT_MAX)
                return cur;
        /* An orphan only comes back when its document does. */
        if (cur == RESOURCE_STATE_ORPHANED && ev != RESOURCE_EVENT_CHANGED)
                return cur;
        /* A write in flight finishes before the new YAML is looked at. */
        if (ev == RESOURCE_EVENT_CHANGED && cur == RESOURCE_STATE_CHANGING)
                return cur;
        return resource_event_target[ev];
}

/* ---- the one state setter ------------------------------------------------------------------ */

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

static void manager_count_state(Manager *m, const Resource *r, ResourceState s, int delta) {
        if (s < 0 || s >= _RESOURCE_STATE_MAX || r->elsewhere)
                return;
        m->counts.n[s] = (unsigned) ((int) m->counts.n[s] + delta);
        (void) metrics_gauge_set(m->metrics->resources, m->counts.n[s],
                                 resource_state_to_string(s));
}

void resource_log(int level, const Resource *r, int error, const char *format, ...) {
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

/* asyncfg_resource_drifted{name}: a series only for a resource drifted (1) or in error (0),
 * so that the series count follows what is wrong, not the fleet. A resource in a write conflict
 * is drifted for as long as the conflict lasts, even in the moments its last write holds. */
static void resource_update_drifted_metric(Resource *r, ResourceState state) {
        MetricGauge *g = r->manager->metrics->resource_drifted;
        bool drifted = state == RESOURCE_STATE_DRIFTED ||
                       (r->drift && state == RESOURCE_STATE_CHANGING) || resource_in_conflict(r);

        if (!r->elsewhere && (drifted || state == RESOURCE_STATE_ERROR))
                (void) metrics_gauge_set(g, drifted ? 1 : 0, r->spec->name);
        else
                (void) metrics_gauge_remove(g, r->spec->name);
}

void resource_set_state(Resource *r, ResourceEvent ev, const char *why) {
        Manager *m = r->manager;
        ResourceState old = r->state, new = resource_state_next(old, ev);
        int level = resource_log_level(old, new);

        if (ev == RESOURCE_EVENT_CHANGED)
                resource_conflict_reset(r, "the YAML changed");
        resource_update_drifted_metric(r, new);
        if (old == new)
                return;
        manager_count_state(m, r, old, -1);
        manager_count_state(m, r, new, +1);
        r->state = new;
        /* A fight with another writer is told once (resource-conflict.c), not at every write. */
        if (resource_in_conflict(r) && new != RESOURCE_STATE_RETRYING && level > LOG_ERR)
                level = LOG_DEBUG;
        resource_log(level, r, 0, "%s → %s%s%s", old >= 0 ? resource_state_to_string(old) : "new",
                     resource_state_to_string(new), why ? ": " : "", why ?: "");
        manager_schedule_publish(m);
}

void resource_drop(Resource *r) {
        Manager *m = r->manager;

        manager_count_state(m, r, r->state, -1);
        if (r->elsewhere)
                m->n_elsewhere--;
        if (resource_in_conflict(r))
                m->n_conflicts--;
        (void) metrics_gauge_remove(m->metrics->resource_drifted, r->spec->name);
        manager_alerts_forget(m, r);
        resource_untrack_orphan(r);
        (void) workqueue_remove(m->queue, r->key);
        resource_table_unlink(&m->table, r);
        resource_free(r);
        manager_schedule_publish(m);
}

/* What this member last saw of r is stale once another member held it: dropped, so that
 * neither a drift nor an error of then is reported again (asyncfg_resource_drifted would fire
 * the drift alert) until the next observation. An orphan stays one. */
static void resource_forget_observation(Resource *r) {
        if (resource_run_in_flight(r) || r->state == RESOURCE_STATE_ORPHANED)
                return;
        resource_keep(&r->diff, NULL);
        r->drift = false;
        (void) resource_set_error(r, CLOUD_ERROR_NONE, NULL);
        resource_set_state(r, RESOURCE_EVENT_TAKEN, "its bucket is this member's again");
}

void resource_set_elsewhere(Resource *r, bool elsewhere) {
        Manager *m = r->manager;

        if (r->elsewhere == elsewhere)
                return;
        if (elsewhere) {
                manager_count_state(m, r, r->state, -1);
                /* The member holding it now watches it: ours would remind forever. */
                manager_alerts_forget(m, r);
                resource_conflict_reset(r, "its bucket is another member's");
        }
        r->elsewhere = elsewhere;
        m->n_elsewhere = elsewhere ? m->n_elsewhere + 1 : m->n_elsewhere - 1;
        if (!elsewhere) {
                manager_count_state(m, r, r->state, +1);
                resource_forget_observation(r);
        }
        resource_update_drifted_metric(r, r->state);
        manager_schedule_publish(m);
}

/* ---- ends of runs -------------------------------------------------------------------------- */

static void resource_count_run(Resource *r, const char *result, bool failed) {
        Manager *m = r->manager;
        double secs = (double) (now(CLOCK_MONOTONIC) - r->run.started_usec) / 1e6;
        uint64_t retries = workqueue_get_retries_total(m->queue);

        (void) metrics_counter_inc(m->metrics->reconcile_total,
                                   provider_to_string(r->spec->provider), result);
        if (failed)
                (void) metrics_counter_inc(m->metrics->reconcile_errors_total);
        else {
                m->last_success_usec = now(CLOCK_REALTIME);
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

/* Records a failed run: last error, state retrying or error, and what the queue needs. */
static WorkResult resource_failed(Resource *r, const CloudError *e, const char *what) {
        _cleanup_free_ char *msg = NULL, *line = NULL;
        WorkResult wr = work_result_from_cloud_error(e);

        /* The class is stored apart (r->error_class) and shown in front of the line. */
        (void) cloud_error_format_detail(e, &msg);
        if (asprintf(&line, "%s failed: %s", what, strna(msg)) < 0)
                line = NULL;
        (void) resource_set_error(
                r, e->class == CLOUD_ERROR_NONE ? CLOUD_ERROR_TRANSIENT : e->class, line ?: what);
        manager_alerts_on_error(r->manager, r, r->error_class, e, what);
        resource_set_state(r,
                           wr == WORK_RESULT_PERMANENT ? RESOURCE_EVENT_PERMANENT
                                                       : RESOURCE_EVENT_RETRYABLE,
                           line ?: what);
        return wr;
}

/* The run of r ended: bookkeeping shared by reconciles and deletes. */
static void resource_run_ended(Resource *r, WorkResult wr, usec_t retry_after) {
        Manager *m = r->manager;

        r->run.kind = RESOURCE_RUN_NONE;
        r->run.reconcile = NULL;
        m->n_runs--;
        (void) workqueue_done(m->queue, r->key, wr, retry_after);
        manager_cluster_run_ended(m, r->key);
        manager_schedule_save(m);
        manager_schedule_publish(m);
        if (r->removed)
                resource_finish_removal(r);
        if (m->n_runs == 0)
                manager_release_retired(m);
        manager_check_stopped(m);
}

/* Keeps the diff of the last observation for /status (a reference: the reconcile's). */
static void resource_keep_diff(Resource *r, Diff *d) {
        resource_keep(&r->diff, diff_is_empty(d) ? NULL : d);
}

static void resource_keep_write(Resource *r, Diff *d) {
        if (d)
                resource_keep(&r->last_write, d);
}

/* The drifted fields in words, live → desired: "maxRetryAttempts: 0 → 2, onFailure: (none) →
 * arn:...". Every differing field when none is flagged (a field changed in the cloud and in the
 * YAML alike drifted without a difference of its own). NULL on out of memory. */
static char *resource_drift_text(const Diff *d) {
        _cleanup_free_ char *text = NULL;
        bool flagged = false;

        for (size_t i = 0; i < d->n_entries; i++)
                flagged = flagged || d->entries[i].drift;
        for (size_t i = 0; i < d->n_entries; i++) {
                _cleanup_free_ char *one = NULL, *joined = NULL;

                if (flagged && !d->entries[i].drift)
                        continue;
                if (diff_format_field_value(d, &d->entries[i], &one) < 0 ||
                    asprintf(&joined, "%s%s%s", text ?: "", text ? ", " : "", one) < 0)
                        return NULL;
                free(text);
                text = TAKE_PTR(joined);
        }
        return TAKE_PTR(text);
}

static void resource_note_drift(Resource *r, Diff *d) {
        _cleanup_free_ char *text = NULL;

        r->drift = d && d->has_last_applied && diff_has_drift(d) && !diff_is_empty(d);
        if (!r->drift)
                return;
        r->last_drift_usec = now(CLOCK_REALTIME);
        (void) metrics_counter_inc(r->manager->metrics->drift_detected_total,
                                   provider_to_string(r->spec->provider));
        resource_keep(&r->last_drift, d);
        resource_conflict_on_drift(r, d);
        text = resource_drift_text(d);
        resource_log(resource_in_conflict(r) ? LOG_DEBUG : LOG_WARNING, r, 0,
                     "drift on %s (someone changed the cloud); %s", strna(text),
                     r->spec->management == MANAGEMENT_ENFORCE ? "correcting"
                                                               : "observe mode, not corrected");
}

void resource_report_written(Resource *r) {
        /* The write made live equal to desired: whatever drift it corrected is over ("drift"
         * is "drifted now"; last_drift and last_drift_diff keep when and what). */
        r->drift = false;
        resource_set_state(r, RESOURCE_EVENT_WRITTEN, "applied (recorded in the state store)");
}

/* A PUT happened: changing until the state store holding it is on disk (manager.c). */
static void resource_on_written(Resource *r, const ReconcileResult *res) {
        resource_keep_diff(r, NULL);
        resource_keep_write(r, res->diff);
        resource_conflict_on_write(r);
        (void) resource_set_error(r, CLOUD_ERROR_NONE, NULL);
        r->last_changed_usec = now(CLOCK_REALTIME);
        resource_set_state(r, RESOURCE_EVENT_WRITING,
                           res->outcome == RECONCILE_CREATED ? "created" : "updated");
        if (manager_add_ack(r->manager, r->key) < 0)
                resource_report_written(r);
}

/* Why a difference was not written: observe mode, or in enforce mode only a write held by a
 * conflict (RECONCILE_GATE_HOLD), since an enforce run writes whatever differs. */
static const char *resource_differs_why(Resource *r, const ReconcileResult *res) {
        if (r->spec->management == MANAGEMENT_ENFORCE)
                return "another writer keeps changing it back; write held (conflict backoff)";
        return res->outcome == RECONCILE_WOULD_CREATE ? "no live config; observe mode, not written"
                                                      : "live differs; observe mode, not written";
}

/* What a finished reconcile does to r; the queue's verdict. */
static WorkResult resource_on_observed(Resource *r, const ReconcileResult *res,
                                       usec_t *retry_after) {
        switch (res->outcome) {
        case RECONCILE_IN_SYNC:
                resource_keep_diff(r, NULL);
                (void) resource_set_error(r, CLOUD_ERROR_NONE, NULL);
                resource_set_state(r, RESOURCE_EVENT_IN_SYNC, NULL);
                return WORK_RESULT_SUCCESS;
        case RECONCILE_CREATED:
        case RECONCILE_UPDATED:
                resource_on_written(r, res);
                return WORK_RESULT_SUCCESS;
        case RECONCILE_WOULD_CREATE:
        case RECONCILE_WOULD_UPDATE:
                resource_keep_diff(r, res->diff);
                (void) resource_set_error(r, CLOUD_ERROR_NONE, NULL);
                resource_set_state(r, RESOURCE_EVENT_DIFFERS, resource_differs_why(r, res));
                return WORK_RESULT_SUCCESS;
        default:
                if (res->diff)
                        resource_keep_diff(r, res->diff);
                *retry_after = res->error->retry_after_usec;
                return resource_failed(r, res->error, cloud_op_to_string(res->error_op));
        }
}

static void resource_on_reconciled(Reconcile *rec, ReconcileResult *res, void *userdata) {
        Resource *r = userdata;
        usec_t retry_after = 0;
        WorkResult wr;

        if (res->outcome != RECONCILE_ERROR || res->diff)
                r->last_observed_usec = now(CLOCK_REALTIME);
        /* A run that wrote told its drift before the PUT went out (resource_on_put_started()). */
        if (res->diff && !res->put_sent)
                resource_note_drift(r, res->diff);
        if (res->outcome != RECONCILE_ERROR && !r->drift)
                resource_conflict_on_quiet(r);
        wr = resource_on_observed(r, res, &retry_after);
        manager_alerts_on_run(r->manager, r, res->outcome, res->diff);
        resource_count_run(r, reconcile_outcome_to_string(res->outcome),
                           res->outcome == RECONCILE_ERROR);
        resource_run_ended(r, wr, retry_after);
}

static void resource_on_deleted(CloudCall *call, const CloudError *e, void *userdata) {
        Resource *r = userdata;
        WorkResult wr = WORK_RESULT_SUCCESS;

        if (e->class == CLOUD_ERROR_NONE) {
                r->last_changed_usec = now(CLOCK_REALTIME);
                resource_count_run(r, "deleted", false);
                /* Removed from the store and the table once the run is closed. */
                r->deleted = true;
        } else {
                wr = resource_failed(r, e, "delete");
                resource_count_run(r, "error", true);
        }
        resource_run_ended(r, wr, e->retry_after_usec);
}

/* ---- starting runs ------------------------------------------------------------------------- */

int resource_fail_run(Resource *r, CloudErrorClass class, const char *what, const char *msg) {
        Manager *m = r->manager;

        (void) resource_set_error(r, class, msg);
        manager_alerts_on_error(m, r, class, NULL, what);
        resource_set_state(r, RESOURCE_EVENT_PERMANENT, msg);
        r->run.started_usec = now(CLOCK_MONOTONIC);
        resource_count_run(r, "error", true);
        return workqueue_done(m->queue, r->key, WORK_RESULT_PERMANENT, 0) < 0 ? -EIO : 0;
}

/* changing exactly while the PUT is in flight (and until the write is acknowledged). The drift
 * it corrects was found first, and is logged first. */
static void resource_on_put_started(Reconcile *rec, void *userdata) {
        resource_note_drift(userdata, reconcile_get_diff(rec));
        resource_set_state(userdata, RESOURCE_EVENT_WRITING, "PUT in flight");
}

/* The PUT's token (DESIGN.md §3.8: every request takes one); none, and no PUT, while another
 * writer keeps changing r back and its writes back off (resource-conflict.c). */
static int resource_on_gate(Reconcile *rec, void *userdata) {
        Resource *r = userdata;

        resource_conflict_on_drift(r, reconcile_get_diff(rec));
        if (resource_conflict_write_held(r))
                return RECONCILE_GATE_HOLD;
        return workqueue_take_token(r->manager->queue, r->key);
}

/* Cluster mode's fence (DESIGN.md §8): no PUT once the member may have lost the bucket. */
static int resource_on_fence(Reconcile *rec, void *userdata) {
        Resource *r = userdata;

        return manager_cluster_fence(r->manager, r->key, "put");
}

static int resource_start_delete(Resource *r, CloudClient *client) {
        int k;

        k = manager_cluster_fence(r->manager, r->key, "delete");
        if (k < 0)
                return k;
        k = reconcile_delete(client, r->spec, resource_on_deleted, r, &r->run.delete_call);
        if (k < 0)
                return k;
        r->run.kind = RESOURCE_RUN_DELETE;
        resource_set_state(r, RESOURCE_EVENT_WRITING, "document removed; deleting the live config");
        return 0;
}

static int resource_start_reconcile(Resource *r, CloudClient *client) {
        int k;

        k = reconcile_start(client, r->spec, r->manager->state, r->key, RECONCILE_APPLY,
                            resource_on_reconciled, r, &r->run.reconcile);
        if (k < 0)
                return k;
        r->run.kind = RESOURCE_RUN_RECONCILE;
        reconcile_set_put_started(r->run.reconcile, resource_on_put_started);
        reconcile_set_gate(r->run.reconcile, resource_on_gate);
        reconcile_set_fence(r->run.reconcile, resource_on_fence);
        return 0;
}

/* Nothing started (no credentials yet, -ENOKEY ...): a failed run all the same. */
static int resource_fail_start(Resource *r, int error) {
        _cleanup_(cloud_error_done) CloudError e = {};
        WorkResult wr;

        reconcile_error_from_errno(error, &e);
        wr = resource_failed(r, &e, "start");
        resource_count_run(r, "error", true);
        return workqueue_done(r->manager->queue, r->key, wr, 0) < 0 ? -EIO : 0;
}

int resource_start_run(Resource *r, CloudClient *client) {
        int k;

        if (r->removed) {
                /* The DELETE goes where the config was applied, or nowhere. */
                k = resource_removal_start(r, client);
                if (k <= 0)
                        return k;
        }
        r->run.started_usec = now(CLOCK_MONOTONIC);
        k = r->removed ? resource_start_delete(r, client) : resource_start_reconcile(r, client);
        if (k < 0)
                return resource_fail_start(r, k);
        r->spec_changed = false;
        r->manager->n_runs++;
        return 0;
}

void resource_cancel_run(Resource *r) {
        switch (r->run.kind) {
        case RESOURCE_RUN_RECONCILE:
                reconcile_cancel(r->run.reconcile);
                /* A run waiting for its PUT's token ends now, not at the token. */
                (void) workqueue_wake(r->manager->queue, r->key);
                break;
        case RESOURCE_RUN_DELETE:
                cloud_call_cancel(r->run.delete_call);
                break;
        default:
                break;
        }
}

void resource_resume_run(Resource *r) {
        if (r->run.kind == RESOURCE_RUN_RECONCILE)
                reconcile_resume(r->run.reconcile);
}
