/* SPDX-License-Identifier: MIT */
#pragma once

/* The manager's state, shared by its files:
 *   manager.c          life cycle, signals (stop, reload), the state-store save timer, publishing
 *                      (STATUS=, gauges)
 *   manager-load.c     daemon configuration, accounts, directory rescans, the sorted diff of the
 *                      desired state against the runtime table, deletions
 *   manager-run.c      the work queue's runs: reconcile.h for each resource, DELETE for a
 *                      removed one (deletionPolicy: delete); the one state setter; cloud metrics
 *   manager-status.c   /status JSON
 *   manager-alerts.c   alerts: detections and clears from the ends of runs (alerts.h)
 *   manager-delete.c   deferred deletes: a removed document's DELETE waits for a grace period
 *   manager-orphan.c   orphans: resources whose document is gone (listed until orphanRetention)
 *                      and records without a document at start */

#include <stdbool.h>
#include <stdint.h>

#include "lib/clock.h"
#include "lib/http.h"
#include "reconciler/daemon/alerts.h"
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
#include "reconciler/core/state.h"
#include "reconciler/core/status-summary.h"
#include "reconciler/core/workqueue.h"

/* State saves are batched: at most one every SAVE_INTERVAL (the completions of one burst of
 * runs go into one write). */
#define MANAGER_SAVE_INTERVAL_USEC (100ULL * 1000ULL)
/* A removed resource's DELETE waits one debounce plus this (manager-delete.c). */
#define MANAGER_DELETE_GRACE_USEC (1000ULL * 1000ULL)
/* The directory watch's debounce (ASYNCFG_DEBOUNCE_MSEC overrides it, for tests). */
#define MANAGER_DEBOUNCE_USEC_DEFAULT (200ULL * 1000ULL)

/* A configuration with its accounts: replaced as one on SIGHUP. The old generation is kept
 * until no run that may still use its clients or credential providers is in flight. */
typedef struct ManagerGeneration {
        DaemonConfig *config;
        AccountSet *accounts;
        struct ManagerGeneration *next; /* retired list */
} ManagerGeneration;

struct Manager {
        sd_event *event;
        char *config_path;
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
        char *listen; /* what the endpoint is bound to */
        ResourceTable table;
        StatusCounts counts;

        sd_event_source *sig_term, *sig_int, *sig_hup;
        sd_event_source *save_timer;    /* batched state-store saves */
        sd_event_source *publish_event; /* STATUS= and gauges, once per loop iteration */
        sd_event_source *stop_timer;    /* the bound on in-flight requests at stop */
        sd_event_source *orphan_timer;  /* the next orphan to forget (CLOCK_REALTIME) */
        sd_event_source *delete_timer;  /* the next deferred DELETE (manager-delete.c) */

        char **acks;  /* keys of written resources whose record awaits the save (strv) */
        size_t n_acks;
        uint64_t last_save_usec;      /* CLOCK_MONOTONIC */
        unsigned n_runs;              /* runs in flight */
        uint64_t retries_reported;    /* workqueue retries already counted in the metric */
        char *status_line;            /* the last STATUS= sent */
        char *dir_error;              /* why the last rescan failed, or NULL */
        int dir_errno;                /* and its negative errno, or 0 */
        char *revision;               /* the directory's .asyncfg-revision, or NULL */
        /* The last load of the daemon configuration, at start or on SIGHUP (/status, metrics) */
        bool reload_successful;
        uint64_t reload_usec;         /* CLOCK_REALTIME of that attempt */
        char *reload_error;           /* why it failed, or NULL */
        uint64_t last_success_usec;   /* CLOCK_REALTIME of the last successful run */
        usec_t debounce_usec;
        bool first_pass_done;
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
int manager_add_ack(Manager *m, const char *key);
/* Arms the one-shot timer *s (created on first use, userdata m) for when, unless it is
 * already due earlier. 0 or a negative errno. */
int manager_arm_timer_earliest(Manager *m, sd_event_source **s, clockid_t clock, uint64_t when,
                               uint64_t accuracy, sd_event_time_handler_t handler);
uint64_t now_realtime_usec(void);
uint64_t now_monotonic_usec(void);

/* manager-load.c */
/* Loads the daemon configuration; its problems are logged. On failure, *ret_error (may be NULL)
 * gets them as one line for /status (NULL on out of memory). */
int manager_load_config(Manager *m, DaemonConfig **ret, char **ret_error);
int manager_generation_new(Manager *m, DaemonConfig *config, ManagerGeneration **ret);
ManagerGeneration *manager_generation_free(ManagerGeneration *g);
int manager_install_generation(Manager *m, ManagerGeneration *g);
int manager_rescan_full(Manager *m, const char *why);
void manager_on_dirwatch(Dirwatch *dw, const DirwatchChange *change, void *userdata);
int manager_apply_desired(Manager *m);
int manager_watch_dir(Manager *m);
/* A new Resource of spec (copied) in the table; NULL (logged) on out of memory. */
Resource *manager_resource_new(Manager *m, const char *key, const ResourceSpec *spec);
void manager_update_file_metrics(Manager *m);

/* manager-run.c */
int manager_process(WorkQueue *q, const char *key, void *item_userdata, void *userdata);
void manager_resource_event(Manager *m, Resource *r, ResourceEvent ev, const char *why);
void manager_resource_drop(Manager *m, Resource *r);
void manager_resource_finish_removal(Manager *m, Resource *r);
int manager_enqueue(Manager *m, Resource *r, WorkPriority priority);
void manager_cancel_runs(Manager *m);
void manager_cloud_observer(const CloudAccount *account, Provider provider, CloudOp op,
                            long http_status, int error, uint64_t duration_usec, void *userdata);
void manager_report_written(Manager *m, Resource *r);
/* A run that cannot start (no such account, an unusable account, a DELETE that would not go
 * where the config was applied): r goes to error with msg (logged once, by the setter), an
 * alert of class about what, and the queue waits for the resync or a change. 0 or -EIO. */
int manager_fail_run(Manager *m, Resource *r, const char *key, CloudErrorClass class,
                     const char *what, const char *msg);

/* manager-alerts.c */
int manager_alerts_configure(Manager *m);
void manager_alerts_on_run(Manager *m, Resource *r, ReconcileOutcome outcome, const Diff *diff);
void manager_alerts_on_error(Manager *m, Resource *r, CloudErrorClass class, const CloudError *e,
                             const char *what);
void manager_alerts_forget(Manager *m, Resource *r);
/* The alerts firing for r as /status shows them (endpoint.h); NULL when none is (or on
 * allocation failure: /status then just lacks them). */
json_t *manager_alerts_status_json(const Manager *m, const Resource *r);
/* manager-delete.c */
/* Defers the DELETE of removed r by the grace period: true when deferred (the timer queues it
 * unless its document comes back), false when the grace is over (queue it now). */
bool manager_defer_delete(Manager *m, Resource *r);
/* Before the DELETE of removed r through client: 1 when it goes where r's config was applied
 * (its state-store record's location is client's account's now); 0 when nothing is to be sent
 * and the run is over (r was forgotten: asyncfg applied nothing; or r is in error: the config
 * was applied elsewhere, or the record does not say where); -ENOMEM. */
int manager_delete_check_target(Manager *m, Resource *r, CloudClient *client);

/* manager-orphan.c */
int manager_orphan_unowned_records(Manager *m);
/* The document of r is gone and its live config is left alone: r is listed as orphaned. */
void manager_resource_orphan(Manager *m, Resource *r, const char *why);
/* r's document is back: no longer an orphan (its record stays, not orphaned). */
void manager_resource_unorphan(Manager *m, Resource *r);
/* Drops r and its state-store record; why (may be NULL) is logged. */
void manager_resource_forget(Manager *m, Resource *r, const char *why);
/* Removed r keeps its record and its live config for now (its DELETE was refused): it is
 * forgotten when orphanRetention has passed since, as an orphan is, and a restart lists it as
 * one. */
void manager_resource_hold(Manager *m, Resource *r);

/* manager-status.c */
char *manager_status_json(void *userdata);
/* The desired files per state as every view counts them (/status, /metrics, STATUS=, and so
 * `asyncfg status`): a path the directory scan could not use (an unreadable or too deep
 * subdirectory, a directory without YAML files) is one more in error, as /status lists it. */
void manager_count_files(const Manager *m, size_t *ret_ok, size_t *ret_error);
int manager_format_time(uint64_t realtime_usec, char buf[static 32]);
