/* SPDX-License-Identifier: MIT */
#pragma once

/* The Cluster's state, shared by its files:
 *   cluster.c         life cycle, the lease and its keepalive, leaving, accessors
 *   cluster-view.c    list-then-watch of members/ and claims/, the view they build
 *   cluster-claims.c  what each bucket should be (ours or not) and the txns that get there */

#include "lib/etcd.h"
#include "reconciler/daemon/cluster-fence.h"
#include "reconciler/daemon/cluster.h"

typedef enum ClusterPhase {
        CLUSTER_JOINING,
        CLUSTER_JOINED,
        CLUSTER_LEAVING,
        CLUSTER_LEFT,
} ClusterPhase;

/* Our side of a bucket. */
enum {
        BUCKET_HELD = 1 << 0,      /* our claim, epoch known */
        BUCKET_DRAINING = 1 << 1,  /* held, no longer scheduled, to be released */
        BUCKET_CLAIMING = 1 << 2,  /* a claim txn in flight */
        BUCKET_RELEASING = 1 << 3, /* a release txn in flight */
};

typedef struct ClusterClaim {
        char *holder;  /* the member named in claims/<bucket>, NULL: unclaimed */
        int64_t epoch; /* its create revision */
        int64_t lease;
} ClusterClaim;

struct Cluster {
        sd_event *event;
        Clock *clock;
        EtcdClient *etcd;
        ClusterHooks hooks;
        void *userdata;
        char *member;
        char *members_prefix, *claims_prefix; /* "/asyncfg/<name>/members/" ... */
        char *view_begin, *view_end;          /* the range covering both */
        ClusterPhase phase;
        bool settled;
        bool revoking;
        unsigned join_failures;

        int64_t lease;
        ClusterFence fence;
        usec_t keepalive_sent; /* in flight since, 0: none */
        usec_t grant_sent;
        ClockTimer *keepalive_timer;
        ClockTimer *retry_timer; /* join again, list again */
        ClockTimer *flush_timer; /* claim and release txns to send */

        EtcdWatch *watch;
        bool listing;
        int64_t view_revision;
        char **members; /* sorted strv */
        size_t n_members;
        ClusterClaim claims[CLUSTER_BUCKETS];
        uint8_t mine[CLUSTER_BUCKETS];
        int64_t epoch[CLUSTER_BUCKETS];       /* of our claim, while held */
        int64_t released[CLUSTER_BUCKETS];    /* the epoch of our claim last deleted: a view
                                               * that still shows it (the watch's event comes
                                               * after the txn's answer) is not ours again */
        bool want_claim[CLUSTER_BUCKETS];     /* to go in the next claim txn */
        bool want_release[CLUSTER_BUCKETS];   /* drained, to go in the next release txn */
        bool claiming, releasing;             /* a txn of that kind in flight */
        bool release_one_by_one;              /* a batch failed: find out which one */
        usec_t wanted_since[CLUSTER_BUCKETS]; /* when the bucket became ours to take, 0: not */
        unsigned n_held;
};

/* cluster.c */
void cluster_schedule_retry(Cluster *c, usec_t delay);
void cluster_changed(Cluster *c);
void cluster_lease_lost(Cluster *c, const char *why);
void cluster_maybe_revoke(Cluster *c);

/* cluster-view.c */
/* Lists members/ and claims/ (unless a list is in flight), then watches from its revision. */
void cluster_view_list(Cluster *c);
void cluster_view_reset(Cluster *c);

/* cluster-claims.c */
/* Walks every bucket towards what the view says it should be. */
void cluster_claims_decide(Cluster *c);
void cluster_claims_decide_one(Cluster *c, unsigned bucket);
/* Sends the claims and releases decided, from the event loop (a timer due now). */
void cluster_claims_flush_soon(Cluster *c);
/* Every held bucket is dropped locally (the lease is gone). */
void cluster_claims_drop_all(Cluster *c);
