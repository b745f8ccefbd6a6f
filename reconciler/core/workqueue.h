/* SPDX-License-Identifier: MIT */
#pragma once

/* The work queue (DESIGN.md §3.7–3.9, §4): one entry per resource, shared by `asyncfg apply`
 * (one-shot) and asyncfgd (continuous).
 *
 *  - Items are keyed by an opaque string (the resource identity); adding a key that is already
 *    queued merges: the higher priority and the earlier due time win, but never earlier than a
 *    Retry-After the server asked for.
 *  - Never two runs of one key at once: a key added while its run is in flight is parked
 *    ("dirty", like controller-runtime's workqueue) and queued again when the run is done.
 *  - Two priorities: WORK_PRIORITY_CHANGE (a YAML change: due at once) always goes before
 *    WORK_PRIORITY_POLL (a periodic drift poll) among the due items of an account.
 *  - Every item belongs to an account with a token bucket (lib/ratelimit.h): the account's
 *    budget in requests per second, which is what the clouds count. Every request takes its
 *    token: a run takes the one of its first request when it starts, and asks for the next
 *    one with workqueue_take_token() (a PUT after its GET); runs waiting for a token go on
 *    (resume callback) before any new run starts. Accounts are served round-robin, so a
 *    throttled account does not hold up the others.
 *  - Drift polls fit the budget (DESIGN.md §3.9): when an account's items ask for more polls
 *    per second than WORKQUEUE_POLL_SHARE_PERCENT of its rate, every poll interval of the
 *    account is stretched by that factor (workqueue_get_poll_interval() says by how much),
 *    and the rest of the budget stays for changes and the writes that polls lead to. An item's
 *    first poll is spread uniformly over the interval: items loaded together never poll
 *    together.
 *  - At most `concurrency` runs in flight, all accounts together.
 *  - After a run: success → backoff reset, next drift poll at resync ±10 % (the first one:
 *    anywhere within the resync, see above); retryable error →
 *    exponential backoff with full jitter (lib/backoff.h), Retry-After honoured;
 *    throttled → the same, and the account's rate halves; permanent error → next try at the
 *    resync interval (or earlier when the key is added again, i.e. its YAML changed).
 *    With resync 0 (apply) an item that succeeded, failed permanently or ran out of attempts
 *    becomes idle: known, not queued.
 *  - One clock timer (lib/clock.h) is armed for the earliest time anything can run (its due
 *    time, or its account's next token); it is disarmed when nothing is queued or the
 *    concurrency cap is reached (a finished run re-arms it). Runs start from that timer only,
 *    never from inside workqueue_add()/workqueue_done(), so callers are not re-entered.
 *
 * Item states:
 *      idle ──add──▶ queued ──timer: due, token, slot free──▶ in flight ──done──▶ queued | idle
 *      in flight ──add──▶ in flight + dirty (queued again at done)
 *      in flight ──remove──▶ in flight + removed (freed at done)
 */

#include <stdbool.h>
#include <stdint.h>

#include "lib/clock.h"
#include "lib/rng.h"
#include "clouds/cloud-error.h"
#include "lib/backoff.h"

#define WORKQUEUE_CONCURRENCY_DEFAULT 32u
#define WORKQUEUE_RESYNC_JITTER_PERCENT 10u
/* The share of an account's rate that its drift polls may use; changes keep the rest. */
#define WORKQUEUE_POLL_SHARE_PERCENT 80u

typedef struct WorkQueue WorkQueue;

typedef enum WorkPriority {
        WORK_PRIORITY_CHANGE, /* the desired state changed: reconcile at once */
        WORK_PRIORITY_POLL,   /* periodic drift poll */
        _WORK_PRIORITY_MAX,
        _WORK_PRIORITY_INVALID = -EINVAL,
} WorkPriority;

typedef enum WorkResult {
        WORK_RESULT_SUCCESS,   /* reconciled (in sync, or written) */
        WORK_RESULT_RETRY,     /* retryable: timeout, connection, 5xx, AWS 409, IAM propagation */
        WORK_RESULT_THROTTLED, /* 429 or the cloud's throttling error: retry, and slow the account */
        WORK_RESULT_PERMANENT, /* 4xx validation, auth, not found: wait for resync or a change */
        _WORK_RESULT_MAX,
        _WORK_RESULT_INVALID = -EINVAL,
} WorkResult;

const char *work_priority_to_string(WorkPriority p);
WorkPriority work_priority_from_string(const char *s);
const char *work_result_to_string(WorkResult r);
WorkResult work_result_from_string(const char *s);

/* What a run that ended with error means for the queue (DESIGN.md §3.7): success for none,
 * throttled (slow the account) for a throttling error, retry for the other retryable ones,
 * permanent for the rest. The CLI and the daemon both decide through it. */
WorkResult work_result_from_cloud_error(const CloudError *error);

typedef struct WorkQueueOptions {
        unsigned concurrency;  /* runs in flight, all accounts; 0: WORKQUEUE_CONCURRENCY_DEFAULT */
        BackoffConfig backoff; /* all zero: BACKOFF_CONFIG_DEFAULT */
        usec_t resync;         /* drift-poll interval after a run; 0: none (one-shot apply) */
        unsigned max_attempts; /* failed runs in a row before an item gives up (becomes idle or
                                * waits for resync); 0: never give up (the daemon) */
} WorkQueueOptions;

/* Starts the run of key. item_userdata is what workqueue_add() was last given for the key,
 * userdata what workqueue_new() was given. Returns 0 when the run started: the caller then calls
 * workqueue_done() for the key exactly once, later or even before returning. A negative errno
 * means the run could not start; the caller must then NOT call workqueue_done() (the queue
 * counts it as a retryable failure). Must not free the queue. */
typedef int (*workqueue_process_t)(WorkQueue *q, const char *key, void *item_userdata,
                                   void *userdata);
/* A run that waited in workqueue_take_token() has its token (or was woken by workqueue_wake()):
 * it sends its next request now. Called from the queue's timer; may call workqueue_done() for
 * the key. Must not free the queue. */
typedef void (*workqueue_resume_t)(WorkQueue *q, const char *key, void *item_userdata,
                                   void *userdata);

/* rng NULL: seeded from getrandom(); otherwise copied (tests pass a fixed seed). clock must
 * outlive the queue. options NULL: defaults. -EINVAL for a bad backoff configuration. */
int workqueue_new(Clock *clock, const Rng *rng, const WorkQueueOptions *options,
                  workqueue_process_t process, void *userdata, WorkQueue **ret);
/* Frees every item, whatever its state; runs in flight must have been cancelled first. */
WorkQueue *workqueue_free(WorkQueue *q);
DEFINE_TRIVIAL_CLEANUP_FUNC(WorkQueue *, workqueue_free);

/* Reload: the new options apply from the next scheduling decision on. 0 or -EINVAL. */
int workqueue_set_options(WorkQueue *q, const WorkQueueOptions *options);

/* Declares an account's rate limit (qps 0: unlimited). Declaring it again with the same limit
 * keeps its bucket (and any throttling slow-down); with another limit starts a fresh bucket.
 * Accounts are never removed. 1 added, 0 updated or unchanged, -EINVAL, -ENOMEM. */
int workqueue_add_account(WorkQueue *q, const char *name, double qps, unsigned burst);

/* Queues key (copied) to run after delay (0: at once), on account (NULL: unlimited; otherwise
 * declared before, else -ENOENT). If the key is known its item is kept (backoff state, resync
 * override) and merged as described above; item_userdata and account are replaced (a run in
 * flight keeps its own). 1 when a new item was created, 0 when an existing one was merged. */
int workqueue_add(WorkQueue *q, const char *key, const char *account, WorkPriority priority,
                  usec_t delay, void *item_userdata);

/* Per-resource resync interval (the resource's resyncInterval); 0: the queue's. Applies from
 * the next run on. 0, or -ENOENT for an unknown key. */
int workqueue_set_resync(WorkQueue *q, const char *key, usec_t resync);

/* The resource is gone: forgets the key. A run in flight is not interrupted; its
 * workqueue_done() then only frees the item. 1 when removed (or marked), 0 when unknown. */
int workqueue_remove(WorkQueue *q, const char *key);

/* The run of key has finished. retry_after: the server's Retry-After in usec, 0 for none
 * (looked at for RETRY and THROTTLED). 1 when the item is queued again, 0 when it is idle or
 * was removed, -ENOENT for an unknown key, -ESTALE when the key has no run in flight,
 * -EINVAL for a bad result. */
int workqueue_done(WorkQueue *q, const char *key, WorkResult result, usec_t retry_after);

/* Sets the callback of runs that waited for a token (see workqueue_take_token()). */
void workqueue_set_resume(WorkQueue *q, workqueue_resume_t resume);

/* The run of key (in flight, its previous request answered) needs the token of another
 * request. 0: taken, send it now. 1: none yet: the resume callback is called for the key when
 * the queue has taken one, before any new run of the account starts. -ENOENT, -ESTALE (no run
 * in flight), -EBUSY (already waiting, or no resume callback). */
int workqueue_take_token(WorkQueue *q, const char *key);

/* A run waiting for a token is resumed at the queue's next timer without one (the caller is
 * cancelling it and sends nothing). 1 when it was waiting, 0 otherwise. */
int workqueue_wake(WorkQueue *q, const char *key);

typedef struct WorkPollInterval {
        usec_t configured; /* the mean interval the account's items ask for (resyncInterval) */
        usec_t effective;  /* what its budget allows: configured, or longer when stretched */
        unsigned n_polled; /* the items that poll */
} WorkPollInterval;

/* The account's drift-poll interval (/status, asyncfg_drift_poll_interval_seconds). 0 or
 * -ENOENT. */
int workqueue_get_poll_interval(const WorkQueue *q, const char *account, WorkPollInterval *ret);

typedef struct WorkItemInfo {
        bool queued;
        bool in_flight;
        bool dirty;            /* added again while in flight */
        WorkPriority priority; /* of the queued entry, or of the run in flight */
        usec_t due;            /* when queued: the earliest time it may run */
        unsigned attempt;      /* failed runs since the last success */
} WorkItemInfo;

/* For /status ("next try at") and tests. 0, or -ENOENT. */
int workqueue_get_item(const WorkQueue *q, const char *key, WorkItemInfo *ret);

/* Metrics (asyncfg_workqueue_*). */
unsigned workqueue_get_depth(const WorkQueue *q); /* queued, due or not; not in flight */
unsigned workqueue_get_in_flight(const WorkQueue *q);
/* How late the queue runs: the age of the oldest item that is due and not started (waiting for
 * a slot or a token), 0 when none is. One look at the head of each account's queues. */
usec_t workqueue_get_oldest_due_age(const WorkQueue *q);
unsigned workqueue_get_size(const WorkQueue *q);          /* items known: queued, in flight, idle */
uint64_t workqueue_get_retries_total(const WorkQueue *q); /* RETRY and THROTTLED results */
uint64_t workqueue_get_runs_total(const WorkQueue *q);    /* runs started */
/* Nothing queued and nothing in flight (apply: done). */
bool workqueue_is_idle(const WorkQueue *q);
/* The account's current rate in requests per second (0 for unlimited). 0, or -ENOENT. */
int workqueue_get_account_qps(const WorkQueue *q, const char *account, double *ret);
