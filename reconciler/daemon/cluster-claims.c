/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "lib/log.h"
#include "reconciler/daemon/cluster-internal.h"

#define CLUSTER_CLAIM_RETRY_USEC (500 * USEC_PER_MSEC)

typedef struct ClaimCall {
        Cluster *cluster;
        unsigned bucket;
        int64_t epoch; /* release: the epoch checked */
} ClaimCall;

static int claim_key(const Cluster *c, unsigned bucket, char **ret) {
        return asprintf(ret, "%s%u", c->claims_prefix, bucket) < 0 ? -ENOMEM : 0;
}

/* Whether the view's claim of bucket is ours: our name on our lease. */
static bool claim_is_ours(const Cluster *c, unsigned bucket) {
        const ClusterClaim *cl = &c->claims[bucket];

        return cl->holder && c->lease != 0 && cl->lease == c->lease && streq(cl->holder, c->member);
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
        log_debug("Member '%s' holds bucket %u (epoch %lld).", c->member, bucket,
                  (long long) epoch);
        if (since && c->hooks.handover)
                c->hooks.handover(c, bucket,
                                  (double) (clock_now(c->clock) - since) / USEC_PER_SEC,
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
        }
}

static void on_claimed(EtcdClient *e, int error, const EtcdTxnResult *res, void *userdata) {
        _cleanup_free_ ClaimCall *call = userdata;
        Cluster *c = call->cluster;
        unsigned b = call->bucket;

        if (error == -ECANCELED)
                return;
        c->mine[b] &= (uint8_t) ~BUCKET_CLAIMING;
        if (error < 0) {
                log_debug("Member '%s' could not claim bucket %u: %s", c->member, b,
                          strna(etcd_client_error_detail(e)));
                cluster_schedule_retry(c, CLUSTER_CLAIM_RETRY_USEC);
                return;
        }
        /* Lost the race (the previous holder's lease lives on): the watch says when it is free. */
        if (!res->succeeded || c->phase != CLUSTER_JOINED)
                return;
        /* One op: the claim was created at the txn's revision, its epoch. */
        bucket_set_held(c, b, res->header.revision);
        cluster_changed(c);
}

static void bucket_claim(Cluster *c, unsigned bucket) {
        _cleanup_free_ char *key = NULL;
        ClaimCall *call;
        int k;

        if (c->mine[bucket] & (BUCKET_CLAIMING | BUCKET_HELD))
                return;
        call = calloc(1, sizeof(ClaimCall));
        if (!call || claim_key(c, bucket, &key) < 0) {
                free(call);
                return;
        }
        *call = (ClaimCall){ .cluster = c, .bucket = bucket };
        k = etcd_txn(c->etcd,
                     &(EtcdCompare){ .key = key, .target = ETCD_COMPARE_CREATE,
                                     .result = ETCD_COMPARE_EQUAL, .number = 0 },
                     1,
                     &(EtcdOp){ .type = ETCD_OP_PUT, .key = key, .value = c->member,
                                .size = strlen(c->member), .lease = c->lease },
                     1, NULL, 0, on_claimed, call);
        if (k < 0) {
                free(call);
                cluster_schedule_retry(c, CLUSTER_CLAIM_RETRY_USEC);
                return;
        }
        c->mine[bucket] |= BUCKET_CLAIMING;
}

static void on_released(EtcdClient *e, int error, const EtcdTxnResult *res, void *userdata) {
        _cleanup_free_ ClaimCall *call = userdata;
        Cluster *c = call->cluster;
        unsigned b = call->bucket;

        if (error == -ECANCELED)
                return;
        c->mine[b] &= (uint8_t) ~BUCKET_RELEASING;
        if (error < 0) {
                log_debug("Member '%s' could not release bucket %u: %s", c->member, b,
                          strna(etcd_client_error_detail(e)));
                cluster_schedule_retry(c, CLUSTER_CLAIM_RETRY_USEC);
                return;
        }
        /* Deleted, or not ours any more (the epoch differs): released either way. */
        bucket_set_released(c, b);
        log_debug("Member '%s' handed bucket %u over.", c->member, b);
        cluster_changed(c);
}

/* Deletes our claim of a drained bucket, only if it is still the one of our epoch. */
static void bucket_release(Cluster *c, unsigned bucket) {
        _cleanup_free_ char *key = NULL;
        ClaimCall *call;
        int k;

        if ((c->mine[bucket] & BUCKET_RELEASING) || !(c->mine[bucket] & BUCKET_DRAINING))
                return;
        if (c->hooks.bucket_busy && c->hooks.bucket_busy(c, bucket, c->userdata))
                return; /* cluster_bucket_idle() comes back */
        call = calloc(1, sizeof(ClaimCall));
        if (!call || claim_key(c, bucket, &key) < 0) {
                free(call);
                return;
        }
        *call = (ClaimCall){ .cluster = c, .bucket = bucket, .epoch = c->epoch[bucket] };
        k = etcd_txn(c->etcd,
                     &(EtcdCompare){ .key = key, .target = ETCD_COMPARE_CREATE,
                                     .result = ETCD_COMPARE_EQUAL, .number = call->epoch },
                     1, &(EtcdOp){ .type = ETCD_OP_DELETE, .key = key }, 1, NULL, 0, on_released,
                     call);
        if (k < 0) {
                free(call);
                cluster_schedule_retry(c, CLUSTER_CLAIM_RETRY_USEC);
                return;
        }
        c->mine[bucket] |= BUCKET_RELEASING;
}

static bool bucket_should_be_mine(const Cluster *c, unsigned bucket) {
        int o = cluster_bucket_owner((const char *const *) c->members, c->n_members, bucket);

        return o >= 0 && streq(c->members[o], c->member);
}

void cluster_claims_decide_one(Cluster *c, unsigned b) {
        bool ours = claim_is_ours(c, b);

        if (ours && !(c->mine[b] & BUCKET_HELD))
                bucket_set_held(c, b, c->claims[b].epoch);
        else if (!ours && (c->mine[b] & BUCKET_HELD) && c->view_revision >= c->epoch[b] &&
                 !(c->mine[b] & BUCKET_RELEASING)) {
                /* The view has seen our claim and it is gone (deleted by someone else): the
                 * bucket is not ours any more, whatever its writes in flight. */
                log_warning("Member '%s' lost its claim of bucket %u.", c->member, b);
                bucket_drain(c, b);
                bucket_set_released(c, b);
        }
        if (!bucket_should_be_mine(c, b)) {
                c->wanted_since[b] = 0;
                if (c->mine[b] & BUCKET_HELD) {
                        bucket_drain(c, b);
                        bucket_release(c, b);
                }
                return;
        }
        if (!(c->mine[b] & BUCKET_HELD) && !c->wanted_since[b])
                c->wanted_since[b] = clock_now(c->clock);
        if (!c->claims[b].holder)
                bucket_claim(c, b);
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
}

void cluster_bucket_idle(Cluster *c, unsigned bucket) {
        if (bucket >= CLUSTER_BUCKETS)
                return;
        if (c->phase == CLUSTER_LEAVING)
                cluster_maybe_revoke(c);
        else if (c->mine[bucket] & BUCKET_DRAINING)
                bucket_release(c, bucket);
}
