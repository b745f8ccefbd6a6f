/* SPDX-License-Identifier: MIT */
#pragma once

/* The manager's state, shared by its files:
 *   manager.c          life cycle, signals (stop, reload), the state-store save timer, the
 *                      work queue's wiring (what is queued, the callback that starts a
 *                      resource's run), cloud request metrics, publishing (STATUS=, gauges)
 *   manager-load.c     daemon configuration, accounts, directory rescans, the sorted diff of the
 *                      desired state against the runtime table, deletions
 *   status-document.c  /status JSON
 *   manager-alerts.c   alerts: detections and clears from the ends of runs (alerts.h)
 *   manager-budget.c   the drift-poll interval each account's rate limit allows: /status, the
 *                      gauge, a log line when stretching starts and ends
 *   manager-cluster.c  cluster mode: the buckets it schedules, the fence, leaving, the views
 *   manager-cluster-state.c  cluster mode: the state records in etcd, read per bucket taken,
 *                      written in epoch-checked txns
 * What happens to one resource (its states, runs, removal, orphans) is in resource.h. */

#include <stdbool.h>
#include <stdint.h>

#include "lib/clock.h"
#include "lib/http.h"
#include "lib/prioq.h"
#include "reconciler/daemon/alerts.h"
#include "reconciler/daemon/cluster.h"
#include "reconciler/core/accounts.h"
#include "reconciler/spec/daemon-config.h"
#include "reconciler/desired/desired.h"
#include "reconciler/core/diff.h"
#include "reconciler/daemon/dirwatch.h"
#include "reconciler/daemon/endpoint.h"
#include "reconciler/daemon/manager.h"
#include "reconciler/daemon/metrics-asyncfg.h"
#include "reconciler/core/reconcile.h"
#include "reconciler/daemon/resource-table.h"
#include "reconciler/daemon/resource.h"
#include "reconciler/core/state.h"
#include "reconciler/core/status-summary.h"
#include "reconciler/core/workqueue.h"

/* Group commit: the state-store writes that complete together go into one transaction, at most
 * one every COMMIT_WINDOW (one fsync per window, not per PUT; a write after a quiet spell is
 * committed at once). A failed commit is retried after COMMIT_RETRY, another process's lock
 * (the CLI's) after a window, waiting at most COMMIT_BUSY for it on the loop. */
#define MANAGER_COMMIT_WINDOW_USEC (10ULL * 1000ULL)
#define MANAGER_COMMIT_RETRY_USEC (1000ULL * 1000ULL)
/* STATUS= at most this often (manager_status_due()). */
#define MANAGER_STATUS_INTERVAL (200ULL * 1000ULL)
#define MANAGER_COMMIT_BUSY_MSEC 50u
/* A removed resource's DELETE waits one debounce plus this (resource-removal.c). */
#define MANAGER_DELETE_GRACE_USEC (1000ULL * 1000ULL)
/* HTTP connections beyond concurrency, for alert sinks and metadata services. */
#define MANAGER_HTTP_SPARE_CONNECTIONS 16u
/* The directory watch's debounce (ASYNCFG_DEBOUNCE_MSEC overrides it, for tests). */
#define MANAGER_DEBOUNCE_USEC_DEFAULT (200ULL * 1000ULL)

/* A configuration with its accounts: replaced as one on SIGHUP. The old generation is kept
 * until no run that may still use its clients or credential providers is in flight. */
typedef struct ManagerCluster ManagerCluster;

typedef struct ManagerGeneration {
        DaemonConfig *config;
        AccountSet *accounts;
        struct ManagerGeneration *next; /* retired list */
} ManagerGeneration;

struct Manager {
        sd_event *event;
        char *config_path;
        /* What takes effect only at start (the store is open, the member has joined), as it
         * was then: a reload that changes it says so (manager_warn_start_only()). */
        char *started_state_dir;
        char *started_cluster;      /* cluster_config_fingerprint() */
        ManagerGeneration *gen;     /* in force */
        ManagerGeneration *retired; /* waiting for runs in flight */
        HttpEngine *http;
        Clock *clock;
        WorkQueue *queue;
        StateStore *state;
        DesiredSet *desired;
        Dirwatch *dirwatch;
        char *watched_dir;
        AsyncfgMetrics *metrics;
        Endpoint *endpoint;
        Alerts *alerts;
        char *listen; /* what the endpoint is bound with: listen and web (manager_endpoint_key()) */
        ResourceTable table;
        StatusCounts counts;
        ManagerCluster *cluster; /* NULL: single-host mode */

        sd_event_source *sig_term, *sig_int, *sig_hup;
        sd_event_source *publish_event; /* STATUS= and gauges, once per loop iteration */
        /* Every timer is on clock (a fake one in tests): */
        ClockTimer *save_timer;   /* batched state-store saves */
        ClockTimer *stop_timer;   /* the bound on in-flight requests at stop */
        ClockTimer *orphan_timer; /* the next orphan to forget (resource-removal.c) */
        Prioq *orphans;           /* orphans and held removals by time orphaned (the same) */
        ClockTimer *delete_timer; /* the next deferred DELETE (resource-removal.c) */

        char **acks; /* keys of written resources whose record awaits the save (strv) */
        size_t n_acks;
        uint64_t last_save_usec;   /* clock's time */
        bool save_failed;          /* the last commit failed (not for a lock): retry slowly */
        unsigned n_runs;           /* runs in flight */
        unsigned n_conflicts;      /* resources in a write conflict (resource-conflict.c) */
        unsigned n_elsewhere;      /* cluster mode: resources of buckets not held here */
        uint64_t retries_reported; /* workqueue retries already counted in the metric */
        char *status_line;         /* the last STATUS= sent */
        usec_t status_sent_usec;   /* clock's time it was sent (manager_status_due()) */
        ClockTimer *status_timer;  /* a STATUS= held back by the interval */
        Hashmap *poll_stretched;   /* accounts logged as having their polls stretched */
        char *dir_error;           /* why the last rescan failed, or NULL */
        int dir_errno;             /* and its negative errno, or 0 */
        char *revision;            /* the directory's .asyncfg-revision, or NULL */
        Hashmap *broken_files;     /* paths of the files in error (key and value, owned) */
        /* The last load of the daemon configuration, at start or on SIGHUP (/status, metrics) */
        bool reload_successful;
        uint64_t reload_usec;       /* CLOCK_REALTIME of that attempt */
        char *reload_error;         /* why it failed, or NULL */
        uint64_t last_success_usec; /* CLOCK_REALTIME of the last successful run */
        usec_t debounce_usec;
        bool first_pass_done;
        bool ready_pending; /* READY=1 is due once the desired state loads */
        bool stopping;
        bool started;
        int exit_status;
};

/* manager.c */
void manager_schedule_save(Manager *m);
void manager_schedule_publish(Manager *m);
void manager_check_stopped(Manager *m);
/* Readiness, decided here only (/readyz, /status's summary.ready): ready once the first full
 * pass over the desired-state directory has run, and while that directory can be read. */
bool manager_is_ready(const Manager *m);
void manager_publish_ready(Manager *m);
void manager_release_retired(Manager *m);
/* SIGHUP: the configuration again (the one in force stays if the new one is not usable), the
 * desired state again; logged. */
void manager_reload(Manager *m);
int manager_add_ack(Manager *m, const char *key);
/* Reports acks[0..n_acks) (keys of writes now recorded) in sync; frees them. */
void manager_report_written(Manager *m, char **acks, size_t n_acks);
/* A save failed: retried after MANAGER_COMMIT_RETRY_USEC. */
void manager_save_failed(Manager *m);
/* Arms the timer *t (created on first use on the manager's clock, userdata m) for when (the
 * clock's time), unless it is already due earlier. 0 or a negative errno. */
int manager_arm_timer_earliest(Manager *m, ClockTimer **t, usec_t when,
                               clock_timer_handler_t handler);

/* manager-load.c */
/* Loads the daemon configuration; its problems are logged. On failure, *ret_error (may be NULL)
 * gets them as one line for /status (NULL on out of memory). */
int manager_load_config(Manager *m, DaemonConfig **ret, char **ret_error);
int manager_generation_new(Manager *m, DaemonConfig *config, ManagerGeneration **ret);
ManagerGeneration *manager_generation_free(ManagerGeneration *g);
/* Puts g in force; takes g on every path (freed on failure, the one in force stays). 0 or a
 * negative errno (logged). */
int manager_install_generation(Manager *m, ManagerGeneration *g);
int manager_rescan_full(Manager *m, const char *why);
void manager_on_dirwatch(Dirwatch *dw, const DirwatchChange *change, void *userdata);
int manager_apply_desired(Manager *m);
void manager_broken_files_free(Manager *m);
int manager_watch_dir(Manager *m);
/* A new Resource of spec (copied) in the table; NULL (logged) on out of memory. */
Resource *manager_resource_new(Manager *m, const char *key, const ResourceSpec *spec);
void manager_update_file_metrics(Manager *m);

/* manager.c: the work queue */
int manager_process(WorkQueue *q, const char *key, void *item_userdata, void *userdata);
void manager_resume(WorkQueue *q, const char *key, void *item_userdata, void *userdata);
int manager_enqueue(Manager *m, Resource *r, WorkPriority priority);
/* At start (DESIGN.md §3.9): a resource whose YAML is what its record says was last applied
 * has no change to make, only its drift poll: queued as a poll, which any YAML change made
 * meanwhile goes ahead of; any other is queued as a change. */
int manager_enqueue_start(Manager *m, Resource *r);
void manager_cancel_runs(Manager *m);
void manager_cloud_observer(const CloudAccount *account, Provider provider, CloudOp op,
                            long http_status, int error, uint64_t duration_usec, void *userdata);

/* manager-alerts.c */
int manager_alerts_configure(Manager *m);
void manager_alerts_on_run(Manager *m, Resource *r, ReconcileOutcome outcome, const Diff *diff);
/* What an error alert is about, its fingerprint's content: operation, error class, HTTP status
 * and the cloud's code, not the errno of a failure without an answer. NULL on -ENOMEM. */
char *manager_alerts_error_content(const char *what, CloudErrorClass class, const CloudError *e);
void manager_alerts_on_error(Manager *m, Resource *r, CloudErrorClass class, const CloudError *e,
                             const char *what);
void manager_alerts_forget(Manager *m, Resource *r);
/* A write conflict on r (resource-conflict.c), on the fields of set, begins or goes on: the
 * conflict alert (content: the field names; details: d's drifted fields). */
void manager_alerts_on_conflict(Manager *m, Resource *r, const Diff *d, AsyncFieldSet set,
                                const char *summary);
void manager_alerts_conflict_over(Manager *m, Resource *r);
/* The alerts firing for r as /status shows them (endpoint.h); NULL when none is (or on
 * allocation failure: /status then just lacks them). */
json_t *manager_alerts_status_json(const Manager *m, const Resource *r);
/* resource-removal.c */
/* At start: state-store records without a document become orphans. */
int manager_orphan_unowned_records(Manager *m);
/* The records of keys[0..n) that no document declares become orphans (cluster mode: a bucket's
 * records as it is taken and read), if the desired state was read completely and without
 * errors. How many, or -ENOMEM. */
int manager_orphan_records(Manager *m, char *const *keys, size_t n);

/* manager-budget.c */
/* The gauge asyncfg_drift_poll_interval_seconds{account}, and the log lines (publishing). */
void manager_publish_poll_intervals(Manager *m);
/* /status's summary.accounts: per account, its resources that poll, the configured and the
 * effective poll interval, and whether it is stretched. */
json_t *manager_poll_intervals_json(const Manager *m);
void manager_poll_stretched_free(Manager *m);

/* manager-cluster.c: without a cluster, each lets everything through and does nothing */
/* The member's etcd client and cloud HTTP engine (replacing m->http: call it before any
 * account's client is made). Logged. */
int manager_cluster_setup(Manager *m, const DaemonConfig *c);
int manager_cluster_start(Manager *m);
/* Whether key's resource is scheduled here: its bucket is held. */
bool manager_cluster_schedules(const Manager *m, const char *key);
/* Before a cloud write (kind "put", "delete"): 0, or a negative errno (counted in
 * asyncfg_fenced_writes_total{kind}) when it must not start. */
int manager_cluster_fence(Manager *m, const char *key, const char *kind);
void manager_cluster_run_ended(Manager *m, const char *key);
/* Sends the changed state records to etcd: 1 (a txn started), 0, or -errno. */
int manager_cluster_save(Manager *m);
/* A taken bucket's records were read: its resources are scheduled. */
void manager_cluster_bucket_loaded(Manager *m, unsigned bucket);
void manager_cluster_count_fenced(Manager *m, const char *kind);
struct ClusterStateStore *manager_cluster_state(Manager *m);

/* manager-cluster-state.c: the state records in etcd (cluster mode) */
typedef struct ClusterStateStore ClusterStateStore;
int cluster_state_new(Manager *m, Cluster *c, const ClusterConfig *cc, ClusterStateStore **ret);
ClusterStateStore *cluster_state_free(ClusterStateStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ClusterStateStore *, cluster_state_free);
/* The store in memory that holds the records of the buckets taken (indexed by bucket). */
int cluster_state_store_new(StateStore **ret);
/* Reads bucket's records (it was taken), then manager_cluster_bucket_loaded(). */
void cluster_state_load_bucket(ClusterStateStore *s, unsigned bucket);
/* Whether bucket has records on their way to etcd (its claim must wait for them). */
bool cluster_state_busy(const ClusterStateStore *s, unsigned bucket);
int cluster_state_save(ClusterStateStore *s);
/* A cloud write of key starts under epoch: its record goes to etcd under it or not at all. */
void cluster_state_note_write(ClusterStateStore *s, const char *key, int64_t epoch);

/* READY=1 waits for it (joined, or the first attempt failed: cluster.c says why). */
bool manager_cluster_is_settled(const Manager *m);
/* Stopping with no run in flight: 1 while the member is still leaving (manager_check_stopped()
 * is called again once it has), 0 when there is nothing (left) to wait for. */
int manager_cluster_leave(Manager *m);
void manager_cluster_free(Manager *m);
void manager_cluster_update_metrics(Manager *m);
/* Each account's rate limit scaled to this member's share of its resources. */
void manager_cluster_share_rates(Manager *m, const DaemonConfig *c);
/* "member host-a: 341 of 1024 buckets, 3 members; " for STATUS= ("" alone). */
int manager_cluster_status_prefix(const Manager *m, char **ret);
/* /status's summary.cluster; null alone. */
json_t *manager_cluster_status_json(const Manager *m);

/* status-document.c */
/* The endpoint's status callback (EndpointStatusFunc): the document for a query, streamed. */
int manager_status_open(void *userdata, const EndpointStatusQuery *q, EndpointBody *ret,
                        char **ret_error);
/* The desired files per state as every view counts them (/status, /metrics, STATUS=, and so
 * `asyncfg status`): a path the directory scan could not use (an unreadable or too deep
 * subdirectory, a directory without YAML files) is one more in error, as /status lists it. */
void manager_count_files(const Manager *m, size_t *ret_ok, size_t *ret_error);
int manager_format_time(uint64_t realtime_usec, char buf[static 32]);
