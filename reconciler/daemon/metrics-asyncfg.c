/* SPDX-License-Identifier: MIT */

#include "lib/macro.h"
#include "reconciler/daemon/metrics-asyncfg.h"
#include "reconciler/core/resource-state.h"

#ifndef ASYNCFG_VERSION
#define ASYNCFG_VERSION "unknown"
#endif

/* controller-runtime's reconcile_time_seconds buckets (v0.15 and later). */
const double metrics_reconcile_time_buckets[] = {
        0.005, 0.01, 0.025, 0.05, 0.1,  0.15, 0.2,  0.25, 0.3,  0.35, 0.4,  0.45, 0.5, 0.6,
        0.7,   0.8,  0.9,   1.0,  1.25, 1.5,  1.75, 2.0,  2.5,  3.0,  3.5,  4.0,  4.5, 5.0,
        6.0,   7.0,  8.0,   9.0,  10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0,
};
const size_t metrics_reconcile_time_buckets_n = ELEMENTSOF(metrics_reconcile_time_buckets);

/* client-go's rest_client_request_duration_seconds buckets. */
const double metrics_cloud_request_buckets[] = {
        0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0,
};
const size_t metrics_cloud_request_buckets_n = ELEMENTSOF(metrics_cloud_request_buckets);

#define LABELS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static int register_counters(AsyncfgMetrics *m) {
        Metrics *r = m->registry;

        return metrics_add_counter(r, "asyncfg_reconcile_total",
                                   "Total number of reconciliations per provider and result.",
                                   LABELS("provider", "result"), &m->reconcile_total) ?:
               metrics_add_counter(r, "asyncfg_reconcile_errors_total",
                                   "Total number of reconciliation errors.", NULL,
                                   &m->reconcile_errors_total) ?:
               metrics_add_counter(r, "asyncfg_workqueue_retries_total",
                                   "Total number of retries handled by the work queue.", NULL,
                                   &m->workqueue_retries_total) ?:
               metrics_add_counter(r, "asyncfg_drift_detected_total",
                                   "Total number of drift detections per provider.",
                                   LABELS("provider"), &m->drift_detected_total) ?:
               metrics_add_counter(r, "asyncfg_write_conflicts_total",
                                   "Total number of asyncfg writes undone by another writer, per "
                                   "provider, counted while a resource is in conflict.",
                                   LABELS("provider"), &m->write_conflicts_total) ?:
               metrics_add_counter(r, "asyncfg_cloud_requests_total",
                                   "Total number of cloud API requests by provider, method and "
                                   "status code.",
                                   LABELS("provider", "method", "code"), &m->cloud_requests_total) ?:
               metrics_add_counter(r, "asyncfg_alerts_sent_total",
                                   "Total number of alert notifications delivered per sink and "
                                   "status.",
                                   LABELS("sink", "status"), &m->alerts_sent_total) ?:
               metrics_add_counter(r, "asyncfg_alerts_dropped_total",
                                   "Total number of alert notifications given up per sink and "
                                   "status.",
                                   LABELS("sink", "status"), &m->alerts_dropped_total);
}

static int register_gauges(AsyncfgMetrics *m) {
        Metrics *r = m->registry;

        return metrics_add_gauge(r, "asyncfg_workqueue_depth", "Current depth of the work queue.",
                                 NULL, &m->workqueue_depth) ?:
               metrics_add_gauge(r, "asyncfg_workqueue_oldest_due_seconds",
                                 "Age of the oldest work item that is due and not started (how "
                                 "late the queue runs); 0 when none.",
                                 NULL, &m->workqueue_oldest_due) ?:
               metrics_add_gauge(r, "asyncfg_drift_poll_interval_seconds",
                                 "Drift-poll interval in force per account: resyncInterval, or "
                                 "longer when the rate limit cannot poll every resource.",
                                 LABELS("account"), &m->drift_poll_interval) ?:
               metrics_add_gauge(r, "asyncfg_resources", "Number of resources per state.",
                                 LABELS("state"), &m->resources) ?:
               metrics_add_gauge(r, "asyncfg_resource_drifted",
                                 "Whether a resource's live configuration has drifted (0 or 1).",
                                 LABELS("name"), &m->resource_drifted) ?:
               metrics_add_gauge(r, "asyncfg_desired_files",
                                 "Number of desired-state files per load state (error includes "
                                 "paths the directory scan could not use).",
                                 LABELS("state"), &m->desired_files) ?:
               metrics_add_gauge(r, "asyncfg_last_successful_sync_timestamp_seconds",
                                 "Unix time of the last pass in which every resource was in "
                                 "sync.",
                                 NULL, &m->last_successful_sync) ?:
               metrics_add_gauge(r, "asyncfg_build_info", "Build information; always 1.",
                                 LABELS("version"), &m->build_info) ?:
               metrics_add_gauge(r, "asyncfg_config_last_reload_successful",
                                 "Whether the last configuration reload attempt was successful.",
                                 NULL, &m->config_last_reload_successful) ?:
               metrics_add_gauge(r, "asyncfg_config_last_reload_success_timestamp_seconds",
                                 "Timestamp of the last successful configuration reload.", NULL,
                                 &m->config_last_reload_success_timestamp) ?:
               metrics_add_gauge(r, "asyncfg_desired_revision_info",
                                 "The revision of the desired state in force (the commit a Git "
                                 "sync checked out); always 1.",
                                 LABELS("revision"), &m->desired_revision_info);
}

static int register_histograms(AsyncfgMetrics *m) {
        Metrics *r = m->registry;

        return metrics_add_histogram(r, "asyncfg_reconcile_time_seconds",
                                     "Length of time per reconciliation.", NULL,
                                     metrics_reconcile_time_buckets,
                                     metrics_reconcile_time_buckets_n, &m->reconcile_time)
                       ?: metrics_add_histogram(r, "asyncfg_cloud_request_duration_seconds",
                                                "Cloud API request latency in seconds.", NULL,
                                                metrics_cloud_request_buckets,
                                                metrics_cloud_request_buckets_n,
                                                &m->cloud_request_duration);
}

/* Every state is a series from the start, zeros included: a state no resource has entered yet
 * reads 0, not "no data", and rate() or an alert on it works from the first scrape. */
static int metrics_zero_states(AsyncfgMetrics *m) {
        for (ResourceState s = 0; s < _RESOURCE_STATE_MAX; s++) {
                int r = metrics_gauge_set(m->resources, 0, resource_state_to_string(s));
                if (r < 0)
                        return r;
        }
        return 0;
}

int metrics_new_asyncfg(AsyncfgMetrics **ret) {
        _cleanup_(metrics_free_asyncfgp) AsyncfgMetrics *m = NULL;
        int r;

        m = calloc(1, sizeof(AsyncfgMetrics));
        if (!m)
                return -ENOMEM;
        r = metrics_new(&m->registry);
        if (r < 0)
                return r;
        r = register_counters(m) ?: register_gauges(m) ?: register_histograms(m);
        if (r < 0)
                return r;
        r = metrics_gauge_set(m->build_info, 1, ASYNCFG_VERSION) ?: metrics_zero_states(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

AsyncfgMetrics *metrics_free_asyncfg(AsyncfgMetrics *m) {
        if (!m)
                return NULL;
        metrics_free(m->registry);
        free(m);
        return NULL;
}
