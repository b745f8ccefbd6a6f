/* SPDX-License-Identifier: MIT */
#include "lib/hashmap.h"
#include "lib/list.h"
#include "lib/log.h"
#include "lib/prioq.h"
#include "lib/ratelimit.h"
#include "lib/string-table.h"
#include "reconciler/core/workqueue.h"

typedef struct WorkItem WorkItem;

typedef struct WorkAccount {
        char *name; /* NULL: the unlimited default account */
        bool limited;
        RateLimit limit;
        Prioq *queues[_WORK_PRIORITY_MAX]; /* queued items by due time */
        WorkItem *wait_head, *wait_tail;   /* runs waiting for the token of their next request */
        /* The polls its items ask for (see workqueue_poll_interval()): items on the queue's
         * resync, and the sum of the demands of the others. */
        uint64_t n_polled_default, n_polled_own;
        uint64_t demand_own;
} WorkAccount;

/* Pointers, then 64-bit, then 32-bit members, then the flags: no padding (128 bytes), one per
 * resource. */
struct WorkItem {
        void *userdata;
        WorkAccount *account;     /* for the next run */
        WorkAccount *run_account; /* of the run in flight */
        WorkAccount *demand_account;
        WorkItem *wait_prev, *wait_next;
        usec_t due;        /* while queued */
        usec_t not_before; /* Retry-After: no add moves the item before this */
        usec_t resync;     /* 0: the queue's */
        usec_t started;    /* when the run in flight started */
        usec_t dirty_due;
        uint64_t seq;          /* first in, first out among equal due times */
        uint64_t demand;       /* own resync: its share of demand_own; 0 on the queue's */
        unsigned attempt;      /* failed runs since the last success */
        unsigned idx;          /* in account->queues[priority]; PRIOQ_IDX_NULL: not queued */
        WorkPriority priority; /* of the queued entry or the run in flight */
        WorkPriority dirty_priority;
        bool in_flight;
        bool dirty; /* added while in flight: dirty_priority at dirty_due once done */
        bool removed;
        bool waiting; /* in flight, waiting for a token (run_account's wait list) */
        bool woken;   /* waiting, resumed without a token (workqueue_wake()) */
        bool spread;  /* no poll yet: the first is spread over the interval */
        bool polled;  /* counted in account's poll demand (demand_account) */
        char key[];   /* one allocation: at 100,000 items a malloc'd copy cost 24 bytes more each */
};

struct WorkQueue {
        Clock *clock;
        ClockTimer *timer;
        Rng rng;
        WorkQueueOptions options;
        workqueue_process_t process;
        workqueue_resume_t resume;
        void *userdata;

        Hashmap *items;         /* key → WorkItem */
        WorkAccount **accounts; /* [0] is the default account */
        size_t n_accounts;
        Hashmap *accounts_by_name;
        size_t next_account; /* round-robin start */

        uint64_t seq;
        unsigned n_queued;
        unsigned n_in_flight;
        unsigned n_waiting;
        uint64_t retries_total;
        uint64_t runs_total;
        bool dispatching; /* inside process(): re-arm once, at the end */
};

static const char *const work_priority_table[_WORK_PRIORITY_MAX] = {
        [WORK_PRIORITY_CHANGE] = "change",
        [WORK_PRIORITY_POLL] = "poll",
};

static const char *const work_result_table[_WORK_RESULT_MAX] = {
        [WORK_RESULT_SUCCESS] = "success",
        [WORK_RESULT_RETRY] = "retry",
        [WORK_RESULT_THROTTLED] = "throttled",
        [WORK_RESULT_PERMANENT] = "permanent",
};

DEFINE_STRING_TABLE_LOOKUP(work_priority, WorkPriority);
DEFINE_STRING_TABLE_LOOKUP(work_result, WorkResult);

WorkResult work_result_from_cloud_error(const CloudError *error) {
        if (error->class == CLOUD_ERROR_NONE)
                return WORK_RESULT_SUCCESS;
        if (error->class == CLOUD_ERROR_THROTTLED)
                return WORK_RESULT_THROTTLED;
        return cloud_error_class_is_retryable(error->class) ? WORK_RESULT_RETRY
                                                            : WORK_RESULT_PERMANENT;
}

static void workqueue_rearm(WorkQueue *q);

/* ---- items in the per-account priority queues ------------------------------------------ */

static int work_item_compare(const void *a, const void *b) {
        const WorkItem *x = a, *y = b;

        if (x->due != y->due)
                return x->due < y->due ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool work_item_is_queued(const WorkItem *item) {
        return item->idx != PRIOQ_IDX_NULL;
}

static void workqueue_unqueue(WorkQueue *q, WorkItem *item) {
        if (!work_item_is_queued(item))
                return;
        prioq_remove(item->account->queues[item->priority], item, &item->idx);
        q->n_queued--;
}

/* Queues an idle item (or re-queues a queued one) at priority, due. */
static int workqueue_enqueue(WorkQueue *q, WorkItem *item, WorkPriority priority, usec_t due) {
        int r;

        workqueue_unqueue(q, item);
        item->priority = priority;
        item->due = MAX(due, item->not_before);
        item->seq = q->seq++;
        r = prioq_put(item->account->queues[priority], item, &item->idx);
        if (r < 0)
                return r;
        q->n_queued++;
        return 0;
}

static WorkItem *work_item_free(WorkItem *item) {
        if (!item)
                return NULL;
        free(item);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(WorkItem *, work_item_free);

static void workqueue_stop_waiting(WorkQueue *q, WorkItem *item);
static void work_item_unaccount_poll(WorkItem *item);

static void workqueue_drop_item(WorkQueue *q, WorkItem *item) {
        workqueue_unqueue(q, item);
        workqueue_stop_waiting(q, item);
        work_item_unaccount_poll(item);
        hashmap_remove(q->items, item->key);
        work_item_free(item);
}

/* ---- accounts --------------------------------------------------------------------------- */

static WorkAccount *work_account_free(WorkAccount *a) {
        if (!a)
                return NULL;
        for (size_t i = 0; i < _WORK_PRIORITY_MAX; i++)
                prioq_free(a->queues[i]);
        free(a->name);
        free(a);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(WorkAccount *, work_account_free);

static int work_account_new(const char *name, WorkAccount **ret) {
        _cleanup_(work_account_freep) WorkAccount *a = calloc(1, sizeof(WorkAccount));

        if (!a)
                return -ENOMEM;
        if (name && !(a->name = strdup(name)))
                return -ENOMEM;
        for (size_t i = 0; i < _WORK_PRIORITY_MAX; i++)
                if (!(a->queues[i] = prioq_new(work_item_compare)))
                        return -ENOMEM;
        *ret = TAKE_PTR(a);
        return 0;
}

static int work_account_set_limit(WorkAccount *a, double qps, unsigned burst, usec_t now) {
        if (qps == 0) {
                a->limited = false;
                return 0;
        }
        a->limited = true;
        return ratelimit_init(&a->limit, qps, burst, now);
}

static int workqueue_append_account(WorkQueue *q, WorkAccount *a) {
        WorkAccount **accounts =
                reallocarray(q->accounts, q->n_accounts + 1, sizeof(WorkAccount *));
        int r;

        if (!accounts)
                return -ENOMEM;
        q->accounts = accounts;
        if (a->name) {
                r = hashmap_put(q->accounts_by_name, a->name, a);
                if (r < 0)
                        return r;
        }
        q->accounts[q->n_accounts++] = a;
        return 0;
}

/* Creates an account (name NULL: the unlimited default one) and adds it to the queue. */
static int workqueue_create_account(WorkQueue *q, const char *name, double qps, unsigned burst) {
        _cleanup_(work_account_freep) WorkAccount *a = NULL;
        int r;

        r = work_account_new(name, &a);
        if (r < 0)
                return r;
        r = work_account_set_limit(a, qps, burst, clock_now(q->clock));
        if (r < 0)
                return r;
        r = workqueue_append_account(q, a);
        if (r < 0)
                return r;
        TAKE_PTR(a);
        return 0;
}

int workqueue_add_account(WorkQueue *q, const char *name, double qps, unsigned burst) {
        WorkAccount *existing;
        RateLimit probe;
        int r;

        /* Validate first, so that a bad limit changes nothing. */
        if (!name || (qps != 0 && ratelimit_init(&probe, qps, burst, 0) < 0))
                return -EINVAL;
        existing = hashmap_get(q->accounts_by_name, name);
        if (existing) {
                /* A reload with the same limit keeps the bucket, halvings included. */
                if (qps != 0 && existing->limited && existing->limit.qps_milli == probe.qps_milli &&
                    existing->limit.burst == probe.burst)
                        return 0;
                r = work_account_set_limit(existing, qps, burst, clock_now(q->clock));
                return r < 0 ? r : 0;
        }
        r = workqueue_create_account(q, name, qps, burst);
        return r < 0 ? r : 1;
}

static int workqueue_find_account(WorkQueue *q, const char *name, WorkAccount **ret) {
        WorkAccount *a = name ? hashmap_get(q->accounts_by_name, name) : q->accounts[0];

        if (!a)
                return -ENOENT;
        *ret = a;
        return 0;
}

/* ---- the poll budget (DESIGN.md §3.9) ---------------------------------------------------- */

/* Poll demands are in polls per 10^9 seconds: an interval of `resync` usec asks for
 * POLL_DEMAND_UNIT / resync of them (5 min: 3,333,333), which keeps integer sums exact enough
 * at a million resources. */
#define POLL_DEMAND_UNIT (UINT64_C(1000000000) * USEC_PER_SEC)

static void work_item_unaccount_poll(WorkItem *item) {
        WorkAccount *a = item->demand_account;

        if (!item->polled)
                return;
        if (item->demand > 0) {
                a->n_polled_own--;
                a->demand_own -= item->demand;
        } else
                a->n_polled_default--;
        item->polled = false;
        item->demand_account = NULL;
}

/* Counts item's polls in its account's demand (again, after its account or resync changed). */
static void work_item_account_poll(WorkItem *item) {
        WorkAccount *a = item->account;

        work_item_unaccount_poll(item);
        item->demand = item->resync > 0 ? MAX(POLL_DEMAND_UNIT / item->resync, UINT64_C(1)) : 0;
        if (item->demand > 0) {
                a->n_polled_own++;
                a->demand_own += item->demand;
        } else
                a->n_polled_default++;
        item->polled = true;
        item->demand_account = a;
}

static uint64_t work_account_poll_demand(const WorkQueue *q, const WorkAccount *a) {
        uint64_t d = a->demand_own;

        if (q->options.resync > 0)
                d += a->n_polled_default * (POLL_DEMAND_UNIT / q->options.resync);
        return d;
}

/* The polls per 10^9 s that the account's budget allows (its configured rate, less the share
 * kept for changes); UINT64_MAX when unlimited. */
static uint64_t work_account_poll_budget(const WorkAccount *a) {
        if (!a->limited)
                return UINT64_MAX;
        return a->limit.qps_milli * UINT64_C(1000000) / 100 * WORKQUEUE_POLL_SHARE_PERCENT;
}

/* interval, stretched by the factor by which the account's polls exceed its poll budget. */
static usec_t work_account_stretch(const WorkQueue *q, const WorkAccount *a, usec_t interval) {
        uint64_t demand = work_account_poll_demand(q, a), budget = work_account_poll_budget(a);
        double stretched;

        if (demand <= budget || interval == 0)
                return interval;
        stretched = (double) interval * ((double) demand / (double) budget);
        return stretched >= (double) (USEC_INFINITY / 2) ? USEC_INFINITY / 2 : (usec_t) stretched;
}

/* The interval between item's polls: its resync, stretched to its account's budget. */
static usec_t workqueue_poll_interval(const WorkQueue *q, const WorkItem *item) {
        return work_account_stretch(q, item->account, item->resync ?: q->options.resync);
}

int workqueue_get_poll_interval(const WorkQueue *q, const char *account, WorkPollInterval *ret) {
        const WorkAccount *a = hashmap_get(q->accounts_by_name, account);
        uint64_t n, demand;
        usec_t configured = q->options.resync;

        if (!a)
                return -ENOENT;
        n = a->n_polled_default + a->n_polled_own;
        demand = work_account_poll_demand(q, a);
        /* The mean interval its items ask for; the queue's own when none has another. */
        if (a->n_polled_own > 0 && demand > 0)
                configured = (usec_t) ((double) n * (double) POLL_DEMAND_UNIT / (double) demand);
        *ret = (WorkPollInterval){
                .configured = configured,
                .effective = work_account_stretch(q, a, configured),
                .n_polled = (unsigned) n,
        };
        return 0;
}

/* ---- runs waiting for the token of their next request ----------------------------------- */

static void work_account_wait_unlink(WorkAccount *a, WorkItem *item) {
        DLIST_UNLINK(a->wait_head, a->wait_tail, item, wait_prev, wait_next);
}

static void work_account_wait_append(WorkAccount *a, WorkItem *item) {
        DLIST_APPEND(a->wait_head, a->wait_tail, item, wait_prev, wait_next);
}

static void work_account_wait_prepend(WorkAccount *a, WorkItem *item) {
        DLIST_PREPEND(a->wait_head, a->wait_tail, item, wait_prev, wait_next);
}

static void workqueue_stop_waiting(WorkQueue *q, WorkItem *item) {
        if (!item->waiting)
                return;
        work_account_wait_unlink(item->run_account, item);
        item->waiting = item->woken = false;
        q->n_waiting--;
}

/* ---- options ---------------------------------------------------------------------------- */

static int workqueue_normalize_options(const WorkQueueOptions *in, WorkQueueOptions *ret) {
        WorkQueueOptions o = in ? *in : (WorkQueueOptions){};

        if (o.concurrency == 0)
                o.concurrency = WORKQUEUE_CONCURRENCY_DEFAULT;
        if (o.backoff.base == 0 && o.backoff.cap == 0)
                o.backoff = BACKOFF_CONFIG_DEFAULT;
        if (backoff_config_validate(&o.backoff) < 0)
                return -EINVAL;
        *ret = o;
        return 0;
}

int workqueue_set_options(WorkQueue *q, const WorkQueueOptions *options) {
        int r = workqueue_normalize_options(options, &q->options);

        if (r < 0)
                return r;
        workqueue_rearm(q);
        return 0;
}

/* ---- scheduling ------------------------------------------------------------------------- */

/* When the first item of this queue may run: its due time, or its account's next token. */
static usec_t work_account_ready_at(WorkAccount *a, WorkPriority p, usec_t now) {
        WorkItem *top = prioq_peek(a->queues[p]);
        usec_t wait;

        if (!top)
                return USEC_INFINITY;
        wait = a->limited ? ratelimit_wait(&a->limit, now) : 0;
        return MAX(top->due, now + wait);
}

/* When the account's first run waiting for a token can go on. */
static usec_t work_account_resume_at(WorkAccount *a, usec_t now) {
        if (!a->wait_head)
                return USEC_INFINITY;
        if (a->wait_head->woken || !a->limited)
                return now;
        return now + ratelimit_wait(&a->limit, now);
}

/* The earliest time anything can happen: a waiting run go on, or (with a free slot) a run
 * start. */
static usec_t workqueue_next_wake(WorkQueue *q, usec_t now) {
        usec_t wake = USEC_INFINITY;
        bool slot = q->n_in_flight < q->options.concurrency && q->n_queued > 0;

        for (size_t i = 0; i < q->n_accounts; i++) {
                wake = MIN(wake, work_account_resume_at(q->accounts[i], now));
                for (WorkPriority p = 0; slot && p < _WORK_PRIORITY_MAX; p++)
                        wake = MIN(wake, work_account_ready_at(q->accounts[i], p, now));
        }
        return wake;
}

/* The one timer: armed for the earliest time a run can start or go on, disarmed when none can
 * (nothing queued, or every slot taken: workqueue_done() re-arms). */
static void workqueue_rearm(WorkQueue *q) {
        usec_t wake = USEC_INFINITY;
        int r;

        if (q->dispatching)
                return;
        if (q->n_waiting > 0 || (q->n_in_flight < q->options.concurrency && q->n_queued > 0))
                wake = workqueue_next_wake(q, clock_now(q->clock));
        if (clock_timer_get(q->timer) == wake)
                return;
        r = clock_timer_arm(q->timer, wake);
        if (r < 0)
                /* Nothing can be done about it here; the next add or done tries again. */
                log_debug_errno(r, "Failed to arm the work queue timer: %m");
}

/* The next item to run, its token taken: due changes before due polls; the accounts
 * round-robin, starting after the one served last. An account with runs waiting for a token
 * serves them first (workqueue_resume_waiting()). NULL when nothing can run now. */
static WorkItem *workqueue_pick(WorkQueue *q, usec_t now) {
        for (WorkPriority p = 0; p < _WORK_PRIORITY_MAX; p++)
                for (size_t i = 0; i < q->n_accounts; i++) {
                        size_t k = (q->next_account + i) % q->n_accounts;
                        WorkAccount *a = q->accounts[k];
                        WorkItem *top = prioq_peek(a->queues[p]);

                        if (!top || top->due > now || a->wait_head)
                                continue;
                        if (a->limited && ratelimit_take(&a->limit, now) > 0)
                                continue;
                        q->next_account = (k + 1) % q->n_accounts;
                        return top;
                }
        return NULL;
}

/* Runs waiting for the token of their next request go on, in the order they asked, ahead of
 * any new run: a run in flight finishes before another starts. */
static void workqueue_resume_waiting(WorkQueue *q, usec_t now) {
        for (size_t i = 0; i < q->n_accounts; i++) {
                WorkAccount *a = q->accounts[i];
                WorkItem *item;

                while ((item = a->wait_head) &&
                       (item->woken || !a->limited || ratelimit_take(&a->limit, now) == 0)) {
                        workqueue_stop_waiting(q, item);
                        item->started = now; /* the request that a throttle would be about */
                        /* May call workqueue_done() for the key, and so free the item. */
                        q->resume(q, item->key, item->userdata, q->userdata);
                }
        }
}

static int workqueue_done_item(WorkQueue *q, WorkItem *item, WorkResult result, usec_t retry_after);

static void workqueue_start(WorkQueue *q, WorkItem *item, usec_t now) {
        int r;

        workqueue_unqueue(q, item);
        item->in_flight = true;
        item->started = now;
        item->run_account = item->account;
        q->n_in_flight++;
        q->runs_total++;
        /* The item may be gone when process() returns (it may call workqueue_done() at once),
         * unless it failed: then, by contract, it did not. */
        r = q->process(q, item->key, item->userdata, q->userdata);
        if (r < 0) {
                log_debug_errno(r, "Failed to start work on '%s', retrying later: %m", item->key);
                (void) workqueue_done_item(q, item, WORK_RESULT_RETRY, 0);
        }
}

static void workqueue_dispatch(WorkQueue *q, usec_t now) {
        WorkItem *item;

        q->dispatching = true;
        workqueue_resume_waiting(q, now);
        while (q->n_in_flight < q->options.concurrency && (item = workqueue_pick(q, now)))
                workqueue_start(q, item, now);
        q->dispatching = false;
}

static int workqueue_on_timer(ClockTimer *timer, usec_t now, void *userdata) {
        WorkQueue *q = userdata;

        workqueue_dispatch(q, now);
        workqueue_rearm(q);
        return 0;
}

/* ---- life cycle ------------------------------------------------------------------------- */

int workqueue_new(Clock *clock, const Rng *rng, const WorkQueueOptions *options,
                  workqueue_process_t process, void *userdata, WorkQueue **ret) {
        _cleanup_(workqueue_freep) WorkQueue *q = calloc(1, sizeof(WorkQueue));
        int r;

        if (!q)
                return -ENOMEM;
        q->clock = clock;
        q->process = process;
        q->userdata = userdata;
        r = workqueue_normalize_options(options, &q->options);
        if (r < 0)
                return r;
        if (rng)
                q->rng = *rng;
        else
                (void) rng_seed_random(&q->rng); /* falls back to a weaker seed: fine for jitter */
        q->items = hashmap_new();
        q->accounts_by_name = hashmap_new();
        if (!q->items || !q->accounts_by_name)
                return -ENOMEM;
        r = workqueue_create_account(q, NULL, 0, 0);
        if (r < 0)
                return r;
        r = clock_timer_new(clock, workqueue_on_timer, q, &q->timer);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(q);
        return 0;
}

WorkQueue *workqueue_free(WorkQueue *q) {
        WorkItem *item;
        size_t state = 0;

        if (!q)
                return NULL;
        while (hashmap_iterate(q->items, &state, NULL, (void **) &item))
                work_item_free(item);
        hashmap_free(q->items);
        for (size_t i = 0; i < q->n_accounts; i++)
                work_account_free(q->accounts[i]);
        free(q->accounts);
        hashmap_free(q->accounts_by_name);
        clock_timer_free(q->timer);
        free(q);
        return NULL;
}

/* ---- adding and removing ---------------------------------------------------------------- */

static int work_item_new(WorkQueue *q, const char *key, WorkItem **ret) {
        size_t n = strlen(key) + 1;
        _cleanup_(work_item_freep) WorkItem *item = calloc(1, offsetof(WorkItem, key) + n);
        int r;

        if (!item)
                return -ENOMEM;
        item->idx = PRIOQ_IDX_NULL;
        item->spread = true;
        memcpy(item->key, key, n);
        r = hashmap_put(q->items, item->key, item);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(item);
        return 0;
}

/* Parks an add that arrives while the key's run is in flight. */
static void work_item_mark_dirty(WorkItem *item, WorkPriority priority, usec_t due) {
        if (item->dirty) {
                priority = MIN(priority, item->dirty_priority);
                due = MIN(due, item->dirty_due);
        }
        item->dirty = true;
        item->dirty_priority = priority;
        item->dirty_due = due;
}

/* Merges an add into a queued item: the higher priority, the earlier due time (bounded below
 * by Retry-After in workqueue_enqueue()). The account may have changed: re-queue always. */
static int workqueue_merge(WorkQueue *q, WorkItem *item, WorkAccount *account,
                           WorkPriority priority, usec_t due) {
        WorkPriority old_priority = item->priority;

        workqueue_unqueue(q, item);
        item->account = account;
        return workqueue_enqueue(q, item, MIN(priority, old_priority), MIN(due, item->due));
}

int workqueue_add(WorkQueue *q, const char *key, const char *account, WorkPriority priority,
                  usec_t delay, void *item_userdata) {
        usec_t now = clock_now(q->clock), due;
        WorkAccount *a;
        WorkItem *item;
        bool created = false;
        int r;

        if (priority < 0 || priority >= _WORK_PRIORITY_MAX || !key)
                return -EINVAL;
        r = workqueue_find_account(q, account, &a);
        if (r < 0)
                return r;
        due = delay > USEC_INFINITY - 1 - now ? USEC_INFINITY - 1 : now + delay;
        item = hashmap_get(q->items, key);
        if (!item) {
                r = work_item_new(q, key, &item);
                if (r < 0)
                        return r;
                created = true;
        }
        item->userdata = item_userdata;
        if (item->removed)
                item->removed = false; /* deleted and declared again while in flight */
        if (item->in_flight) {
                item->account = a;
                work_item_account_poll(item);
                work_item_mark_dirty(item, priority, due);
                return 0;
        }
        if (work_item_is_queued(item))
                r = workqueue_merge(q, item, a, priority, due);
        else {
                item->account = a;
                r = workqueue_enqueue(q, item, priority, due);
        }
        if (r < 0) {
                if (created)
                        workqueue_drop_item(q, item);
                return r;
        }
        work_item_account_poll(item);
        workqueue_rearm(q);
        return created;
}

int workqueue_set_resync(WorkQueue *q, const char *key, usec_t resync) {
        WorkItem *item = hashmap_get(q->items, key);

        if (!item)
                return -ENOENT;
        item->resync = resync;
        work_item_account_poll(item);
        return 0;
}

int workqueue_remove(WorkQueue *q, const char *key) {
        WorkItem *item = hashmap_get(q->items, key);

        if (!item)
                return 0;
        if (item->in_flight) {
                item->removed = true;
                item->dirty = false;
                return 1;
        }
        workqueue_drop_item(q, item);
        workqueue_rearm(q);
        return 1;
}

/* ---- the token of each request ------------------------------------------------------------ */

void workqueue_set_resume(WorkQueue *q, workqueue_resume_t resume) {
        q->resume = resume;
}

int workqueue_take_token(WorkQueue *q, const char *key) {
        WorkItem *item = hashmap_get(q->items, key);
        WorkAccount *a;
        usec_t now;

        if (!item)
                return -ENOENT;
        if (!item->in_flight)
                return -ESTALE;
        if (item->waiting || !q->resume)
                return -EBUSY;
        a = item->run_account;
        now = clock_now(q->clock);
        if (!a->limited || (!a->wait_head && ratelimit_take(&a->limit, now) == 0)) {
                item->started = now;
                return 0;
        }
        work_account_wait_append(a, item);
        item->waiting = true;
        q->n_waiting++;
        workqueue_rearm(q);
        return 1;
}

int workqueue_wake(WorkQueue *q, const char *key) {
        WorkItem *item = hashmap_get(q->items, key);

        if (!item || !item->waiting)
                return 0;
        work_account_wait_unlink(item->run_account, item);
        work_account_wait_prepend(item->run_account, item);
        item->woken = true;
        workqueue_rearm(q);
        return 1;
}

/* ---- finishing a run -------------------------------------------------------------------- */

/* The next drift poll: the poll interval (the resync, stretched to the account's budget) ±10 %,
 * uniformly, so that resources loaded together do not poll together forever. The first poll of
 * an item is spread uniformly over the whole interval: the items loaded at start (or added
 * by a reload) then poll evenly from their first interval on, never all at once.
 * USEC_INFINITY when there is no resync (apply). */
static usec_t workqueue_resync_due(WorkQueue *q, WorkItem *item, usec_t now) {
        usec_t resync = workqueue_poll_interval(q, item), spread;

        if (resync == 0)
                return USEC_INFINITY;
        if (item->spread) {
                item->spread = false;
                return now + rng_uniform(&q->rng, resync);
        }
        spread = resync / 100 * WORKQUEUE_RESYNC_JITTER_PERCENT;
        return now + resync - spread + rng_uniform(&q->rng, 2 * spread);
}

/* A retryable failure: the next try after the backoff delay, at the same priority. */
static usec_t workqueue_retry_due(WorkQueue *q, WorkItem *item, usec_t now, usec_t retry_after) {
        Backoff b = { .config = q->options.backoff, .attempt = item->attempt };
        usec_t delay = backoff_next(&b, &q->rng, retry_after);

        item->attempt = b.attempt;
        if (retry_after > 0)
                item->not_before = now + MIN(retry_after, BACKOFF_RETRY_AFTER_MAX);
        return now + delay;
}

static bool work_result_is_retryable(WorkResult result) {
        return result == WORK_RESULT_RETRY || result == WORK_RESULT_THROTTLED;
}

/* Decides the item's next run after result: *ret_priority at the returned time, or
 * USEC_INFINITY for none (idle). */
static usec_t workqueue_next_due(WorkQueue *q, WorkItem *item, WorkResult result, usec_t now,
                                 usec_t retry_after, WorkPriority *ret_priority) {
        if (work_result_is_retryable(result)) {
                q->retries_total++;
                if (result == WORK_RESULT_THROTTLED && item->run_account->limited)
                        (void) ratelimit_throttled(&item->run_account->limit, now, item->started);
                if (q->options.max_attempts == 0 || item->attempt + 1 < q->options.max_attempts) {
                        *ret_priority = item->priority;
                        return workqueue_retry_due(q, item, now, retry_after);
                }
                /* Out of attempts: treated like a permanent error from here on. */
                item->attempt = 0;
        }
        if (result == WORK_RESULT_SUCCESS)
                item->attempt = 0;
        else
                item->spread = false; /* an error is retried on the steady interval */
        item->not_before = 0;
        *ret_priority = WORK_PRIORITY_POLL;
        return workqueue_resync_due(q, item, now);
}

static int workqueue_done_item(WorkQueue *q, WorkItem *item, WorkResult result,
                               usec_t retry_after) {
        usec_t now = clock_now(q->clock), due;
        WorkPriority priority;
        int r;

        workqueue_stop_waiting(q, item);
        item->in_flight = false;
        q->n_in_flight--;
        if (item->removed) {
                workqueue_drop_item(q, item);
                workqueue_rearm(q);
                return 0;
        }
        due = workqueue_next_due(q, item, result, now, retry_after, &priority);
        if (item->dirty) {
                /* Added again during the run (its YAML changed): that wins over the backoff
                 * and the resync, but not over Retry-After (workqueue_enqueue()). */
                priority = due == USEC_INFINITY ? item->dirty_priority
                                                : MIN(priority, item->dirty_priority);
                due = MIN(due, item->dirty_due);
                item->dirty = false;
        }
        r = due == USEC_INFINITY ? 0 : workqueue_enqueue(q, item, priority, due);
        workqueue_rearm(q);
        if (r < 0)
                return r;
        return due != USEC_INFINITY;
}

int workqueue_done(WorkQueue *q, const char *key, WorkResult result, usec_t retry_after) {
        WorkItem *item = hashmap_get(q->items, key);

        if (result < 0 || result >= _WORK_RESULT_MAX)
                return -EINVAL;
        if (!item)
                return -ENOENT;
        if (!item->in_flight)
                return -ESTALE;
        return workqueue_done_item(q, item, result, retry_after);
}

/* ---- introspection ---------------------------------------------------------------------- */

int workqueue_get_item(const WorkQueue *q, const char *key, WorkItemInfo *ret) {
        const WorkItem *item = hashmap_get(q->items, key);

        if (!item)
                return -ENOENT;
        *ret = (WorkItemInfo){
                .queued = work_item_is_queued(item),
                .in_flight = item->in_flight,
                .dirty = item->dirty,
                .priority = item->priority,
                .due = work_item_is_queued(item) ? item->due : USEC_INFINITY,
                .attempt = item->attempt,
        };
        return 0;
}

unsigned workqueue_get_depth(const WorkQueue *q) {
        return q->n_queued;
}

unsigned workqueue_get_in_flight(const WorkQueue *q) {
        return q->n_in_flight;
}

usec_t workqueue_get_oldest_due_age(const WorkQueue *q) {
        usec_t now = clock_now(q->clock), oldest = now;

        for (size_t i = 0; i < q->n_accounts; i++)
                for (WorkPriority p = 0; p < _WORK_PRIORITY_MAX; p++) {
                        const WorkItem *top = prioq_peek(q->accounts[i]->queues[p]);
                        if (top && top->due < oldest)
                                oldest = top->due;
                }
        return now - oldest;
}

unsigned workqueue_get_size(const WorkQueue *q) {
        return (unsigned) hashmap_size(q->items);
}

uint64_t workqueue_get_retries_total(const WorkQueue *q) {
        return q->retries_total;
}

uint64_t workqueue_get_runs_total(const WorkQueue *q) {
        return q->runs_total;
}

bool workqueue_is_idle(const WorkQueue *q) {
        return q->n_queued == 0 && q->n_in_flight == 0;
}

int workqueue_get_account_qps(const WorkQueue *q, const char *account, double *ret) {
        WorkAccount *a = hashmap_get(q->accounts_by_name, account);

        if (!a)
                return -ENOENT;
        *ret = a->limited ? ratelimit_get_qps(&a->limit) : 0;
        return 0;
}
