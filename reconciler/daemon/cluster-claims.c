/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "lib/log.h"
#include "reconciler/daemon/cluster-internal.h"

#define CLUSTER_CLAIM_RETRY_USEC (500 * USEC_PER_MSEC)

/* At most this many claims or releases go in one txn (etcd's --max-txn-ops is 128 by
 * default, and a compare and an op each count), and one txn of each kind is in flight at a
 * time: 1024 separate calls would queue the keepalive behind them until the lease expires. */
#define CLAIM_BATCH 60u

typedef struct ClaimCall {
        Cluster *cluster;
        int64_t lease; /* the lease it was sent under */
        bool release;
        unsigned n;
        unsigned buckets[CLAIM_BATCH];
        int64_t epochs[CLAIM_BATCH]; /* release: the epochs checked */
} ClaimCall;

typedef struct ClaimTxn {
        char *keys[CLAIM_BATCH];
        EtcdCompare compares[CLAIM_BATCH];
        EtcdOp ops[CLAIM_BATCH];
} ClaimTxn;

static void claim_txn_done(ClaimTxn *t) {
        for (unsigned i = 0; i < CLAIM_BATCH; i++)
                free(t->keys[i]);
}

static int claim_key(const Cluster *c, unsigned bucket, char **ret) {
        return asprintf(ret, "%s%u", c->claims_prefix, bucket) < 0 ? -ENOMEM : 0;
}

/* Whether the view's claim of bucket is ours: our name on our lease. */
static bool claim_is_ours(const Cluster *c, unsigned bucket) {
        const ClusterClaim *cl = &c->claims[bucket];

        return cl->holder && c->lease != 0 && cl->lease == c->lease &&
               cl->epoch != c->released[bucket] && streq(cl->holder, c->member);
}

static void bucket_set_held(Cluster *c, unsigned bucket, int64_t epoch) {
        usec_t since = c->wanted_since[bucket];

        if (c->mine[bucket] & BUCKET_HELD)
                return;
        c->mine[bucket] |= BUCKET_HELD;
        c->mine[bucket] &= (uint8_t) ~BUCKET_DRAINING;
        c->epoch[bucket] = epoch;
        c->n_held++;
        c->wanted_since[bucket] = 0;
        if (since && c->hooks.handover)
                c->hooks.handover(c, bucket, (double) (clock_now(c->clock) - since) / USEC_PER_SEC,
                                  c->userdata);
        if (c->hooks.bucket_taken)
                c->hooks.bucket_taken(c, bucket, c->userdata);
}

static void bucket_set_released(Cluster *c, unsigned bucket) {
        if (!(c->mine[bucket] & BUCKET_HELD))
                return;
        c->mine[bucket] &= (uint8_t) ~(BUCKET_HELD | BUCKET_DRAINING);
        c->n_held--;
}

/* Stops scheduling bucket: the manager lets its writes in flight finish. */
static void bucket_drain(Cluster *c, unsigned bucket) {
        if (!(c->mine[bucket] & BUCKET_HELD) || (c->mine[bucket] & BUCKET_DRAINING))
                return;
        c->mine[bucket] |= BUCKET_DRAINING;
        if (c->hooks.bucket_dropped)
                c->hooks.bucket_dropped(c, bucket, c->userdata);
}

void cluster_claims_drop_all(Cluster *c) {
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++) {
                bucket_drain(c, b);
                /* The lease is gone (or going): the claims with it. */
                if (c->phase != CLUSTER_LEAVING)
                        bucket_set_released(c, b);
                c->wanted_since[b] = 0;
                c->want_claim[b] = c->want_release[b] = false;
        }
}

/* ---- claiming ----------------------------------------------------------------------------- */

static void claims_flush(Cluster *c);

static void on_claimed(EtcdClient *e, int error, const EtcdTxnResult *res, void *userdata);
static void on_released(EtcdClient *e, int error, const EtcdTxnResult *res, void *userdata);

/* The end of a claim or release txn (call->release says which), common to both: false when
 * there is nothing more to do with it. */
static bool claim_call_ended(EtcdClient *e, ClaimCall *call, int error) {
        Cluster *c = call->cluster;
        uint8_t flag = call->release ? BUCKET_RELEASING : BUCKET_CLAIMING;

        if (error == -ECANCELED)
                return false;
        if (call->release)
                c->releasing = false;
        else
                c->claiming = false;
        for (unsigned i = 0; i < call->n; i++)
                c->mine[call->buckets[i]] &= (uint8_t) ~flag;
        if (error < 0) {
                log_warning_errno(error, "Member '%s' could not %s %u buckets (%s, %m); retrying.",
                                  c->member, call->release ? "release" : "claim", call->n,
                                  strna(etcd_client_error_detail(e)));
                cluster_schedule_retry(c, CLUSTER_CLAIM_RETRY_USEC);
                return false;
        }
        /* Sent under a lease given up since: its claims went with it. */
        return c->phase == CLUSTER_JOINED && call->lease == c->lease;
}

static void on_claimed(EtcdClient *e, int error, const EtcdTxnResult *res, void *userdata) {
        _cleanup_free_ ClaimCall *call = userdata;
        Cluster *c = call->cluster;

        if (!claim_call_ended(e, call, error))
                return;
        /* Lost a race (a previous holder's lease lives on): the watch says when it is free,
         * and the next batch leaves out what the view shows as claimed. */
        if (!res->succeeded) {
                cluster_schedule_retry(c, CLUSTER_CLAIM_RETRY_USEC);
                return;
        }
        /* Every claim was created at the txn's revision: the buckets' epoch. */
        for (unsigned i = 0; i < call->n; i++)
                bucket_set_held(c, call->buckets[i], res->header.revision);
        cluster_changed(c);
        cluster_claims_flush_soon(c);
}

static void on_released(EtcdClient *e, int error, const EtcdTxnResult *res, void *userdata) {
        _cleanup_free_ ClaimCall *call = userdata;
        Cluster *c = call->cluster;

        if (!claim_call_ended(e, call, error))
                return;
        if (!res->succeeded && call->n > 1) {
                /* One of them is not ours as we knew it: one by one, to tell which. */
                c->release_one_by_one = true;
                cluster_schedule_retry(c, 0);
                return;
        }
        if (call->n == 1)
                c->release_one_by_one = false;
        if (!res->succeeded) {
                /* The claim is not the one of our epoch: the view says what it is (gone, or
                 * ours under another epoch); listing again settles it. */
                cluster_view_list(c);
                return;
        }
        for (unsigned i = 0; i < call->n; i++) {
                c->released[call->buckets[i]] = call->epochs[i];
                bucket_set_released(c, call->buckets[i]);
        }
        log_debug("Member '%s' handed %u buckets over.", c->member, call->n);
        cluster_changed(c);
        cluster_claims_flush_soon(c);
}

/* One txn for every bucket of call. A claim: created on our lease, only if none of them
 * exists. A release: deleted, each only if it is still the claim of our epoch. */
static int claims_send(Cluster *c, ClaimCall *call) {
        _cleanup_(claim_txn_done) ClaimTxn t = {};

        for (unsigned i = 0; i < call->n; i++) {
                if (claim_key(c, call->buckets[i], &t.keys[i]) < 0)
                        return -ENOMEM;
                t.compares[i] = (EtcdCompare){ .key = t.keys[i],
                                               .target = ETCD_COMPARE_CREATE,
                                               .result = ETCD_COMPARE_EQUAL,
                                               .number = call->release ? call->epochs[i] : 0 };
                t.ops[i] = call->release ? (EtcdOp){ .type = ETCD_OP_DELETE, .key = t.keys[i] }
                                         : (EtcdOp){ .type = ETCD_OP_PUT,
                                                     .key = t.keys[i],
                                                     .value = c->member,
                                                     .size = strlen(c->member),
                                                     .lease = c->lease };
        }
        return etcd_txn(c->etcd, t.compares, call->n, t.ops, call->n, NULL, 0,
                        call->release ? on_released : on_claimed, call);
}

/* The buckets marked flag in mine and ready (pick) go out in one txn, if none is in flight. */
static ClaimCall *claims_collect(Cluster *c, bool release, unsigned max) {
        ClaimCall *call = calloc(1, sizeof(ClaimCall));

        if (!call)
                return NULL;
        call->cluster = c;
        call->lease = c->lease;
        call->release = release;
        for (unsigned b = 0; b < CLUSTER_BUCKETS && call->n < max; b++) {
                bool want = release ? c->want_release[b] : c->want_claim[b];
                if (!want)
                        continue;
                if (release && c->hooks.bucket_busy && c->hooks.bucket_busy(c, b, c->userdata))
                        continue; /* cluster_bucket_idle() comes back */
                call->epochs[call->n] = c->epoch[b];
                call->buckets[call->n++] = b;
        }
        if (call->n == 0)
                call = (free(call), NULL);
        return call;
}

static void claims_flush(Cluster *c) {
        ClaimCall *call;
        int k;

        if (c->phase != CLUSTER_JOINED)
                return;
        if (!c->releasing &&
            (call = claims_collect(c, true, c->release_one_by_one ? 1 : CLAIM_BATCH))) {
                for (unsigned i = 0; i < call->n; i++) {
                        c->want_release[call->buckets[i]] = false;
                        c->mine[call->buckets[i]] |= BUCKET_RELEASING;
                }
                c->releasing = true;
                k = claims_send(c, call);
                if (k < 0)
                        on_released(c->etcd, k, NULL, call);
        }
        if (!c->claiming && (call = claims_collect(c, false, CLAIM_BATCH))) {
                for (unsigned i = 0; i < call->n; i++) {
                        c->want_claim[call->buckets[i]] = false;
                        c->mine[call->buckets[i]] |= BUCKET_CLAIMING;
                }
                c->claiming = true;
                k = claims_send(c, call);
                if (k < 0)
                        on_claimed(c->etcd, k, NULL, call);
        }
}

static bool bucket_should_be_mine(const Cluster *c, unsigned bucket) {
        int o = cluster_bucket_owner((const char *const *) c->members, c->n_members, bucket);

        return o >= 0 && streq(c->members[o], c->member);
}

void cluster_claims_decide_one(Cluster *c, unsigned b) {
        bool ours = claim_is_ours(c, b);

        if (ours && !(c->mine[b] & BUCKET_HELD))
                bucket_set_held(c, b, c->claims[b].epoch);
        else if (ours)
                c->epoch[b] = c->claims[b].epoch; /* what etcd says wins */
        else if (!ours && (c->mine[b] & BUCKET_HELD) && c->view_revision >= c->epoch[b] &&
                 !(c->mine[b] & BUCKET_RELEASING)) {
                /* The view has seen our claim and it is gone (deleted by someone else): the
                 * bucket is not ours any more, whatever its writes in flight. */
                /* Draining, it was ours to release: a release whose answer was lost (and
                 * whose retry then failed its compare) ends here, and that is expected. */
                log_full(c->mine[b] & BUCKET_DRAINING ? LOG_DEBUG : LOG_WARNING,
                         "Member '%s' lost its claim of bucket %u.", c->member, b);
                bucket_drain(c, b);
                bucket_set_released(c, b);
        }
        if (!bucket_should_be_mine(c, b)) {
                c->wanted_since[b] = 0;
                if (c->mine[b] & BUCKET_HELD) {
                        bucket_drain(c, b);
                        c->want_release[b] = !(c->mine[b] & BUCKET_RELEASING);
                }
                return;
        }
        if (!(c->mine[b] & BUCKET_HELD) && !c->wanted_since[b])
                c->wanted_since[b] = clock_now(c->clock);
        c->want_claim[b] = !c->claims[b].holder && !(c->mine[b] & (BUCKET_CLAIMING | BUCKET_HELD));
}

void cluster_claims_decide(Cluster *c) {
        /* Without our own member key in the view, the view is not ours to act on yet. */
        if (c->phase != CLUSTER_JOINED || c->fence.deadline == 0)
                return;
        for (size_t i = 0;; i++) {
                if (i == c->n_members)
                        return;
                if (streq(c->members[i], c->member))
                        break;
        }
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++)
                cluster_claims_decide_one(c, b);
        cluster_claims_flush_soon(c);
}

/* The txns go out from a timer, never from inside an etcd callback: the watch's runs inside
 * libcurl's write callback, where starting another transfer is a recursive call libcurl
 * refuses. */
static int on_flush_timer(ClockTimer *t, usec_t now, void *userdata) {
        claims_flush(userdata);
        return 0;
}

void cluster_claims_flush_soon(Cluster *c) {
        if (!c->flush_timer && clock_timer_new(c->clock, on_flush_timer, c, &c->flush_timer) < 0)
                return;
        if (clock_timer_get(c->flush_timer) == USEC_INFINITY)
                (void) clock_timer_arm(c->flush_timer, clock_now(c->clock));
}

void cluster_bucket_idle(Cluster *c, unsigned bucket) {
        if (bucket >= CLUSTER_BUCKETS)
                return;
        if (c->phase == CLUSTER_LEAVING)
                cluster_maybe_revoke(c);
        else if (c->want_release[bucket])
                cluster_claims_flush_soon(c);
}
