/* SPDX-License-Identifier: MIT */
#pragma once

/* The runtime Resource: what the daemon knows about one desired identity between runs, and
 * everything that happens to it (networkd's Link). Its state (reconciler/core/resource-state.h)
 * changes only through resource_set_state(), which logs the change and updates the counts and
 * the metrics; what moves it is an event:
 *
 *   event \ from      any state but orphaned (orphaned: only CHANGED, to pending)
 *   CHANGED           pending   (the YAML changed: the next observation decides)
 *   IN_SYNC           in_sync
 *   DIFFERS           drifted
 *   WRITING           changing
 *   WRITTEN           in_sync
 *   RETRYABLE         retrying
 *   PERMANENT         error
 *   REMOVED           orphaned
 *   TAKEN             pending   (cluster mode: its bucket is this member's again: the last
 *                                observation here is stale, the next one decides)
 *
 * orphaned is left only by CHANGED (its document came back). CHANGED keeps a resource that is
 * being written in changing (the run in flight finishes first; the queue runs it again).
 *
 *   resource.c          the state machine, the setter, runs: start, end of a read or a write
 *   resource-removal.c  its document is gone: DELETE after a grace (deletionPolicy: delete),
 *                       or orphaned (deletionPolicy: orphan, observe mode) until
 *                       orphanRetention, then forgotten
 *   resource-conflict.c another writer keeps undoing its writes: a conflict, and the backoff of
 *                       its writes
 *
 * A Resource with a run in flight is never freed: removing it from the desired state only
 * marks it (removed), and the run's callback carries the removal out. */

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "clouds/cloud-error.h"
#include "clouds/cloud.h"
#include "lib/clock.h"
#include "lib/macro.h"
#include "reconciler/core/reconcile.h"
#include "reconciler/core/resource-state.h"
#include "reconciler/core/workqueue.h"
#include "reconciler/spec/spec.h"

typedef struct Manager Manager;

/* A write conflict (resource-conflict.c): another writer (Terraform, a console user, another
 * controller) keeps undoing what asyncfg writes.
 *
 *   reversal   an observation finds drift (live ≠ last applied) on fields that asyncfg itself
 *              wrote within the window, max(2 × resyncInterval, 10 min); one per write
 *   conflict   from the second reversal within the window on: writes back off (the n-th
 *              reversal of the conflict holds them for backoff.base × 2^(n−2), at most the
 *              window or backoff.cap if longer) while polls go on and report; counted in
 *              asyncfg_write_conflicts_total, an alert of kind conflict, logged once
 *   over       an observation without drift, a window after the last reversal (logged once,
 *              the alert resolves); or at once when the YAML of the resource changes
 *
 * Allocated at the first reversal only: a resource that nobody fights costs one pointer. */
typedef struct ResourceConflict {
        AsyncFieldSet fields;    /* the fields reverted, all reversals together */
        unsigned count;          /* reversals, the first one included */
        uint64_t since_usec;     /* CLOCK_REALTIME of the first reversal */
        uint64_t last_seen_usec; /* CLOCK_REALTIME of the last one */
        usec_t last_seen;        /* the manager's clock of the last one (the window) */
        usec_t counted_write;    /* the write (its written_at) whose reversal was counted */
        usec_t write_held_until; /* the manager's clock: no write before, 0: none */
} ResourceConflict;

typedef enum ResourceEvent {
        RESOURCE_EVENT_CHANGED,   /* the desired document changed (or is new) */
        RESOURCE_EVENT_IN_SYNC,   /* observed: live equals desired */
        RESOURCE_EVENT_DIFFERS,   /* observed: live differs, nothing will be written */
        RESOURCE_EVENT_WRITING,   /* a PUT or DELETE started */
        RESOURCE_EVENT_WRITTEN,   /* the write succeeded and is recorded */
        RESOURCE_EVENT_RETRYABLE, /* a run failed, retryable */
        RESOURCE_EVENT_PERMANENT, /* a run failed, permanent */
        RESOURCE_EVENT_REMOVED,   /* the document is gone */
        RESOURCE_EVENT_TAKEN,     /* cluster mode: its bucket is this member's again */
        _RESOURCE_EVENT_MAX,
        _RESOURCE_EVENT_INVALID = -22,
} ResourceEvent;

typedef enum ResourceRunKind {
        RESOURCE_RUN_NONE,
        RESOURCE_RUN_RECONCILE, /* GET, and a PUT when live differs (reconcile.h) */
        RESOURCE_RUN_DELETE,    /* the DELETE of a removed resource (deletionPolicy: delete) */
} ResourceRunKind;

/* The run in flight of a resource, if any. */
typedef struct ResourceRun {
        ResourceRunKind kind;
        union {
                Reconcile *reconcile;   /* RESOURCE_RUN_RECONCILE */
                CloudCall *delete_call; /* RESOURCE_RUN_DELETE */
        };
        uint64_t started_usec; /* CLOCK_MONOTONIC of the last run's start (metrics) */
} ResourceRun;

typedef struct Resource {
        char *key;           /* the identity (resource_spec_identity()); the table's key; in r's
                             * own allocation, right after it (one malloc less each) */
        ResourceSpec *spec;  /* the document in force (a reference: resource_spec_ref()) */
        ResourceState state; /* only through resource_set_state() */
        CloudErrorClass error_class; /* of the last run; NONE after a success */
        /* What /status shows, kept as the reconcile's Diff (a reference, often one Diff for
         * two of them), made JSON only when asked: as jansson trees they were 41 % of the
         * heap at 10,000 resources. */
        Diff *diff;                  /* live vs desired at the last observation, NULL when equal or
                              * unknown */
        Diff *last_drift;            /* the last drift detected, NULL: none yet */
        Diff *last_write;            /* what the last write fixed, NULL: none yet */
        bool drift;                  /* the last observation found drift (live ≠ last applied) */
        bool spec_changed;           /* the document changed since the last run started */
        bool removed;                /* no longer desired: freed when its run in flight ends */
        bool deleted;                /* removed, and its live config was deleted */
        bool delete_grace_over;      /* removed, and its grace passed: DELETE (and retries) now */
        Manager *manager;            /* the owner (for callbacks) */
        char *error;                 /* the last run's error, one line, or NULL */
        uint64_t last_observed_usec; /* CLOCK_REALTIME of the last successful GET, 0: never */
        uint64_t last_changed_usec;  /* CLOCK_REALTIME of the last successful write, 0: never */
        uint64_t last_drift_usec;    /* CLOCK_REALTIME of the last drift detected, 0: never */
        uint64_t orphaned_usec;      /* CLOCK_REALTIME since when it is an orphan (or held after a
                                      * refused DELETE: resource-removal.c), 0: it is not */
        uint64_t delete_due_usec; /* the manager's clock when its deferred DELETE is due, 0: none */
        usec_t written_at;        /* the manager's clock of the last successful PUT, 0: never */
        ResourceConflict *conflict; /* NULL: no write of asyncfg was reverted lately */
        ResourceRun run;
        /* Cluster mode: its bucket is not this member's (another's, or nobody's yet). Its last
         * local state is stale: it is left out of the counts, the metrics and /status's list
         * (counted in Manager.n_elsewhere) until the bucket is this member's again. */
        bool elsewhere;
        unsigned orphan_idx; /* its place in Manager.orphans; PRIOQ_IDX_NULL: not there */
} Resource;

/* spec is shared, not copied (resource_spec_ref()): a spec the caller allocated, never one on
 * the stack. */
Resource *resource_new(const char *key, const ResourceSpec *spec);
Resource *resource_free(Resource *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(Resource *, resource_free);
/* Replaces the document (a reference to spec). Returns 0. */
int resource_set_spec(Resource *r, const ResourceSpec *spec);
/* Replaces *slot (one of r's Diffs) with a reference to d (may be NULL). */
void resource_keep(Diff **slot, Diff *d);
/* The Diff of a slot as /status shows it: a JSON array, or null when d is NULL and
 * null_if_none (else an empty array). NULL only when out of memory. */
json_t *resource_diff_json(const Diff *d, bool null_if_none);
/* Records the last error (class NONE clears it). 0 or -ENOMEM. */
int resource_set_error(Resource *r, CloudErrorClass class, const char *message);

const char *resource_event_to_string(ResourceEvent e);
ResourceEvent resource_event_from_string(const char *s);
/* The state after event ev in state cur (see the table above). cur may be
 * _RESOURCE_STATE_INVALID (a new resource). An invalid event leaves the state unchanged. */
ResourceState resource_state_next(ResourceState cur, ResourceEvent ev);

static inline bool resource_run_in_flight(const Resource *r) {
        return r->run.kind != RESOURCE_RUN_NONE;
}

/* ---- resource.c: what happens to a resource (each needs r->manager) ------------------------ */

/* The one place a resource's state changes (resource_state_next(r->state, ev)): counts,
 * asyncfg_resources{state}, asyncfg_resource_drifted{name}, a log line, and STATUS=. */
void resource_set_state(Resource *r, ResourceEvent ev, const char *why);
/* Starts the queued run of r with client: the DELETE of a removed resource, else a reconcile.
 * A run that cannot start is a failed run (recorded, and told to the queue). 0 or -EIO when
 * the queue could not be told. */
int resource_start_run(Resource *r, CloudClient *client);
/* A run that cannot start (no such account, an unusable account: class AUTH, what "config";
 * a DELETE that would not go where the config was applied: PERMANENT, "delete"): r goes to
 * error with msg (logged once, by the setter), an alert of class about what, and the queue
 * waits for the resync or a change. 0 or -EIO as above. */
int resource_fail_run(Resource *r, CloudErrorClass class, const char *what, const char *msg);
/* Cancels the run in flight, if any (its callback still fires, with -ECANCELED). */
void resource_cancel_run(Resource *r);
/* The run waited for its PUT's token and has it now: the PUT is sent. */
void resource_resume_run(Resource *r);
/* The write of r is on disk in the state store: it is reported in sync. */
void resource_report_written(Resource *r);
/* Forgets r: out of the counts, the metrics, the queue and the table; frees it. */
void resource_drop(Resource *r);
/* Cluster mode: r's bucket is another member's (elsewhere: r leaves the counts,
 * asyncfg_resources{state}, asyncfg_resource_drifted{name}, STATUS= and its alerts) or this
 * one's again (r comes back in them, pending: what it last saw here is stale). */
void resource_set_elsewhere(Resource *r, bool elsewhere);

/* Logs with the resource's structured fields (RESOURCE=, PROVIDER=, FILE=, ACCOUNT=). */
_printf_(4, 5) void resource_log(int level, const Resource *r, int error, const char *format, ...);

/* ---- resource-conflict.c ------------------------------------------------------------------- */

/* A PUT of r succeeded (r->last_write says what it fixed): remembered as asyncfg's write. */
void resource_conflict_on_write(Resource *r);
/* An observation found drift d on r: a reversal when it undoes asyncfg's last write (counted
 * once per write, so any number of calls for one observation is one). */
void resource_conflict_on_drift(Resource *r, const Diff *d);
/* An observation ended without drift (in sync, or a change written): the conflict is over when
 * its last reversal is a window old. */
void resource_conflict_on_quiet(Resource *r);
/* Whether the writes of r are held now (a conflict backing off). */
bool resource_conflict_write_held(Resource *r);
/* Whether r is in conflict (the second reversal within the window was seen). */
bool resource_in_conflict(const Resource *r);
/* The conflict is forgotten, and the last write with it (the YAML changed: the next write is
 * not held, and a drift of the old document is no reversal); why is logged if it was one. */
void resource_conflict_reset(Resource *r, const char *why);
/* /status's conflict object of r ({fields, count, since, last_seen, writes_held_until}), or
 * NULL when r is not in conflict (or on allocation failure). */
json_t *resource_conflict_json(const Resource *r);

/* ---- resource-removal.c -------------------------------------------------------------------- */

/* r's document is gone: carried out now (delete, orphan or forget under its deletionPolicy),
 * or when its run in flight ends. */
void resource_remove(Resource *r);
/* The removal of r goes on (after its run, or after the grace of its DELETE). */
void resource_finish_removal(Resource *r);
/* The queue runs removed r through client: 1 when its DELETE is to be sent (it goes where r's
 * config was applied: its state-store record's location is client's account's now); 0 when
 * nothing is sent and the run is over (r forgotten: asyncfg applied nothing; or r in error and
 * held: the config was applied elsewhere, or the record does not say where); -ENOMEM, or -EIO
 * when the queue could not be told. */
int resource_removal_start(Resource *r, CloudClient *client);
/* r's document is back (a new Resource, or a removal or orphan undone). */
void resource_unremove(Resource *r);
/* Drops r and its state-store record; why (may be NULL) is logged. */
void resource_forget(Resource *r, const char *why);
/* r is no longer among the orphans whose retention the timer watches (r is dropped). */
void resource_untrack_orphan(Resource *r);
