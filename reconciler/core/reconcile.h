/* SPDX-License-Identifier: MIT */
#pragma once

/* One reconcile of one resource, shared by `asyncfg plan`, `asyncfg apply` and the daemon.
 *
 *      GET live ──failed / malformed──▶ error (unknown: nothing decided, DESIGN.md §3.3)
 *         │ ok, or config absent
 *         ▼
 *      diff (desired, live, last applied from the state store) ──empty──▶ in_sync
 *         │ differs, or no config
 *         ├── plan / observe ──▶ would_create | would_update
 *         ▼ apply (enforce)
 *      ONE full PUT of the complete desired document (async_config_merge_for_put(); never
 *      delete-then-put, never AWS's merging POST) ──ok──▶ created | updated
 *                                                  └─failed─▶ error
 *
 * In apply mode with a state store, the document PUT is recorded as last applied (created
 * when no config existed), with the location of the client's account (where it was applied);
 * an in-sync resource whose record is missing or stale (another config, or another location)
 * is recorded as adopted (what is live is what the YAML says), so a later drift is told from a
 * change. The store is not saved here (the caller saves once, at the end or on a timer).
 *
 * Observe mode (management: observe) never writes to the cloud, so nothing is ever "applied".
 * Its record is the baseline of the last agreement instead: whenever a run finds live equal
 * to desired (in_sync) and the record is missing or stale, live is recorded (created false,
 * like an adoption). Then, as for enforce (DESIGN.md §3.6): live ≠ baseline is drift (the
 * cloud changed since they last agreed), desired ≠ baseline is a change (the YAML did). An
 * observe resource that has never been seen in sync has no baseline: its differences carry
 * neither flag (Diff.has_last_applied false) until cloud and YAML first agree. The first
 * observation is deliberately not taken as the baseline when it differs: nothing says which
 * side moved, and guessing would mislabel one of them. Plan mode records nothing.
 *
 * Progress: a caller that wants to know when the PUT goes out (the daemon shows the resource
 * as `changing` exactly from then) sets reconcile_set_put_started() right after the start.
 *
 * Asynchronous on sd-event through the CloudClient; the callback fires exactly once, always
 * from the event loop, cancellation included (class TRANSIENT, error -ECANCELED); the
 * Reconcile is freed right after it returns. */

#include "clouds/cloud.h"
#include "reconciler/core/diff.h"
#include "reconciler/spec/spec.h"
#include "reconciler/core/state.h"

typedef enum ReconcileMode {
        RECONCILE_PLAN,  /* read and compare, never write */
        RECONCILE_APPLY, /* write what differs (unless the resource is management: observe) */
        _RECONCILE_MODE_MAX,
        _RECONCILE_MODE_INVALID = -22,
} ReconcileMode;

typedef enum ReconcileOutcome {
        RECONCILE_IN_SYNC,
        RECONCILE_CREATED,
        RECONCILE_UPDATED,
        RECONCILE_WOULD_CREATE, /* plan, or observe: no config exists */
        RECONCILE_WOULD_UPDATE, /* plan, or observe: live differs */
        RECONCILE_ERROR,
        _RECONCILE_OUTCOME_MAX,
        _RECONCILE_OUTCOME_INVALID = -22,
} ReconcileOutcome;

typedef struct ReconcileResult {
        ReconcileOutcome outcome;
        /* live vs desired; NULL for an error before the diff (the read failed). For created /
         * updated: what was different before the PUT. The callback may take it over (set the
         * member to NULL and free it later with diff_free()). */
        Diff *diff;
        /* ERROR: what failed (class, message); class NONE otherwise. */
        const CloudError *error;
        CloudOp error_op; /* ERROR: the operation that failed (GET or PUT) */
        bool put_sent;    /* a PUT was started (it may have taken effect even if it failed) */
        bool live_absent; /* the GET said: no config (when it succeeded) */
} ReconcileResult;

typedef struct Reconcile Reconcile;

typedef void (*ReconcileCallback)(Reconcile *r, ReconcileResult *result, void *userdata);
/* The PUT was handed to the cloud client (it is in flight); with the userdata of the start. */
typedef void (*ReconcilePutStartedCallback)(Reconcile *r, void *userdata);

/* Starts the reconcile of spec (a reference: resource_spec_ref()) through client. store (may be NULL) and state_key
 * (the resource identity; copied; needed with a store) give the last applied document; the
 * store must outlive the reconcile. ret may be NULL. 0, or a negative errno when nothing was
 * started (then the callback never fires): the start errors of cloud_get() (-EAGAIN while
 * metadata credentials are being fetched, -ENOKEY), -ENOMEM. */
int reconcile_start(CloudClient *client, const ResourceSpec *spec, StateStore *store,
                    const char *state_key, ReconcileMode mode, ReconcileCallback cb, void *userdata,
                    Reconcile **ret);

/* Sets the hook called (from the event loop, at most once, before the result callback) when
 * the PUT is started; NULL clears it. Call it right after reconcile_start(): the GET is in
 * flight then and no callback has fired yet. A reconcile that ends without a PUT (in sync, plan,
 * observe, a failed read, cancellation before the PUT) never calls it. */
void reconcile_set_put_started(Reconcile *r, ReconcilePutStartedCallback cb);
/* The API budget (DESIGN.md §3.8): every request takes a token of its account. The GET's is
 * taken before the reconcile starts (the work queue's run); the PUT asks the gate for its own,
 * with the userdata of the start: 0 means send it now, 1 that the caller calls
 * reconcile_resume() once the token is there (from the event loop), RECONCILE_GATE_HOLD that
 * nothing is written this time (the daemon backs off the writes of a resource that another
 * writer keeps changing back): the reconcile ends as would_create / would_update, like observe
 * mode; a negative errno fails the reconcile. Set it right after reconcile_start(); NULL (the
 * default): no gate. */
#define RECONCILE_GATE_HOLD 2
typedef int (*ReconcileGate)(Reconcile *r, void *userdata);
void reconcile_set_gate(Reconcile *r, ReconcileGate gate);
/* The last word before a PUT goes out (after the gate, also when resumed): 0 sends it, a
 * negative errno fails the reconcile with it as the PUT's error, nothing sent (cluster mode's
 * fencing, DESIGN.md §8: a member that may have lost its bucket stops writing first). NULL
 * (the default): always sent. */
void reconcile_set_fence(Reconcile *r, ReconcileGate fence);
/* The gate's token is there: the PUT is sent (or, if r was cancelled meanwhile, the result
 * callback fires with -ECANCELED and no PUT). No-op unless r is waiting. */
void reconcile_resume(Reconcile *r);
/* Whether r waits for its gate (reconcile_cancel() then only marks it: resume it to end it). */
bool reconcile_is_waiting(const Reconcile *r);

/* Whether a PUT of r is in flight (started, its answer not in yet). */
bool reconcile_put_in_flight(const Reconcile *r);
/* Live versus desired once the GET is in, so that a put-started hook can tell what the PUT
 * corrects before it says the PUT is out; NULL before. Borrowed: valid until the result
 * callback returns; take a reference (diff_ref()) to keep it longer. */
Diff *reconcile_get_diff(const Reconcile *r);

/* The callback fires (from the event loop) with an error of class TRANSIENT, -ECANCELED. The
 * Reconcile is freed after its callback: drop the pointer there (never cancel it later). */
void reconcile_cancel(Reconcile *r);

const char *reconcile_mode_to_string(ReconcileMode m);
ReconcileMode reconcile_mode_from_string(const char *s);
/* "in_sync", "created", "updated", "would_create", "would_update", "error" */
const char *reconcile_outcome_to_string(ReconcileOutcome o);
ReconcileOutcome reconcile_outcome_from_string(const char *s);

/* A call that could not start (a negative errno of reconcile_start() or cloud_*()) as a
 * CloudError: -ENOKEY is AUTH (no credentials), anything else TRANSIENT (-EAGAIN: metadata
 * credentials still being fetched). Free with cloud_error_done(). */
void reconcile_error_from_errno(int error, CloudError *ret);

/* The state-store info of spec (borrowed strings: valid while spec is; never freed). */
void reconcile_state_info(const ResourceSpec *spec, StateResourceInfo *ret);
/* Where a call through an account of this configuration goes, as the state store records it
 * (borrowed strings: valid while a is; never freed). */
void reconcile_state_location(const CloudAccount *a, StateLocation *ret);

/* Deletes the live config of spec (deletionPolicy: delete, the daemon's decision); a config
 * or function that is already gone counts as success. The callback is cloud_delete()'s. */
int reconcile_delete(CloudClient *client, const ResourceSpec *spec, CloudDoneCallback cb,
                     void *userdata, CloudCall **ret_call);
