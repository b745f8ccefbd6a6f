/* SPDX-License-Identifier: MIT */
#pragma once

/* The daemon's metric families (DESIGN.md §4), registered once by metrics_new_asyncfg(). The
 * manager updates them through the typed handles; label values go in the order given here:
 *
 *   asyncfg_reconcile_total{provider,result}          counter   result: success | error | ...
 *   asyncfg_reconcile_errors_total                     counter
 *   asyncfg_reconcile_time_seconds                     histogram controller-runtime's buckets
 *   asyncfg_workqueue_depth                            gauge     items queued, due or not
 *   asyncfg_workqueue_oldest_due_seconds               gauge     how late the queue runs: the
 *                                                                age of the oldest item due and
 *                                                                not started, 0 when none (set
 *                                                                on every change and scrape)
 *   asyncfg_drift_poll_interval_seconds{account}       gauge     the drift-poll interval in
 *                                                                force: resyncInterval, or
 *                                                                longer when the rate limit
 *                                                                cannot poll every resource
 *   asyncfg_workqueue_retries_total                    counter
 *   asyncfg_resources{state}                           gauge     state as in /status; every
 *                                                                state, 0 until entered
 *   asyncfg_drift_detected_total{provider}             counter
 *   asyncfg_resource_drifted{name}                     gauge     1 drifted or in a write
 *                                                                conflict, 0 in error; no
 *                                                                series for any other state
 *   asyncfg_write_conflicts_total{provider}            counter   writes undone by another
 *                                                                writer once a resource is in
 *                                                                conflict (resource.h)
 *   asyncfg_cloud_requests_total{provider,method,code} counter   code: "200", ..., or an error
 *                                                                class for no response
 *   asyncfg_cloud_request_duration_seconds             histogram client-go's request buckets
 *   asyncfg_desired_files{state}                       gauge     state: ok | error; error also
 *                                                                counts each path the directory
 *                                                                scan could not use (as /status)
 *   asyncfg_last_successful_sync_timestamp_seconds     gauge     Unix time
 *   asyncfg_build_info{version}                        gauge     1, set at registration
 *   asyncfg_config_last_reload_successful              gauge     0/1: whether the last load of
 *                                                                the daemon configuration (start
 *                                                                or SIGHUP) succeeded
 *   asyncfg_config_last_reload_success_timestamp_seconds gauge   Unix time of the last
 *                                                                successful one
 *   asyncfg_alerts_sent_total{sink,status}             counter   notifications delivered (2xx);
 *                                                                status: firing | resolved
 *   asyncfg_alerts_dropped_total{sink,status}          counter   given up (retries exhausted,
 *                                                                refused, queue full)
 *   asyncfg_desired_revision_info{revision}            gauge     1 for the revision of the
 *                                                                desired state in force (its
 *                                                                .asyncfg-revision); no series
 *                                                                without one
 *
 *   metrics_counter_inc(m->reconcile_total, "aws", "success");
 *   metrics_gauge_remove(m->resource_drifted, "orders-worker");
 *   metrics_format(m->registry, &text, &size);
 */

#include "lib/metrics.h"

typedef struct AsyncfgMetrics {
        Metrics *registry;

        MetricCounter *reconcile_total;
        MetricCounter *reconcile_errors_total;
        MetricHistogram *reconcile_time;
        MetricGauge *workqueue_depth;
        MetricGauge *workqueue_oldest_due;
        MetricGauge *drift_poll_interval;
        MetricCounter *workqueue_retries_total;
        MetricGauge *resources;
        MetricCounter *drift_detected_total;
        MetricGauge *resource_drifted;
        MetricCounter *write_conflicts_total;
        MetricCounter *cloud_requests_total;
        MetricHistogram *cloud_request_duration;
        MetricGauge *desired_files;
        MetricGauge *last_successful_sync;
        MetricGauge *build_info;
        MetricGauge *config_last_reload_successful;
        MetricGauge *config_last_reload_success_timestamp;
        MetricCounter *alerts_sent_total;
        MetricCounter *alerts_dropped_total;
        MetricGauge *desired_revision_info;
} AsyncfgMetrics;

/* Bucket upper bounds, in seconds. */
extern const double metrics_reconcile_time_buckets[];
extern const size_t metrics_reconcile_time_buckets_n;
extern const double metrics_cloud_request_buckets[];
extern const size_t metrics_cloud_request_buckets_n;

/* Registers every family; asyncfg_build_info{version=ASYNCFG_VERSION} is set to 1. */
int metrics_new_asyncfg(AsyncfgMetrics **ret);
AsyncfgMetrics *metrics_free_asyncfg(AsyncfgMetrics *m);
static inline void metrics_free_asyncfgp(AsyncfgMetrics **m) {
        metrics_free_asyncfg(*m);
}
