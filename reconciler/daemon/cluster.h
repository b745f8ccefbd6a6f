/* SPDX-License-Identifier: MIT */
#pragma once

/* Cluster mode (DESIGN.md §8): this daemon as one member of several that share the resources
 * through etcd, under /asyncfg/<name>/.
 *
 *   members/<member>   this member's presence, on its lease (keepalive every TTL/5)
 *   claims/<bucket>    the member writing the bucket's resources, on that member's lease; its
 *                      create revision is the bucket's epoch
 *
 * Life of a member:
 *
 *   joining ──grant, put members/<member>──▶ joined ──SIGTERM──▶ leaving ──revoke──▶ left
 *      ▲  etcd unreachable: again in 1 s       │ keepalive says the lease is gone
 *      └───────────────────────────────────────┘ (every bucket dropped at once)
 *
 * While joined it lists members/ and claims/ and watches them from the listed revision + 1
 * (a compacted or cut watch: list again). After every change each bucket's owner is the live
 * member with the highest rendezvous score (reconciler/core/cluster-bucket.h):
 *   - ours, no claim: claim it (a txn: create claims/<bucket> on our lease only if absent);
 *     hooks.bucket_taken once the claim is ours (the manager reads and schedules the bucket);
 *   - claimed by us, no longer ours: hooks.bucket_dropped (the manager stops scheduling it),
 *     then, once hooks.bucket_busy says its writes in flight are over, the claim is deleted
 *     in a txn checked against our epoch;
 *   - a dead member's claims go with its lease: etcd deletes them, the watch says so.
 * Cloud writes are fenced by time (cluster-fence.h): cluster_check_write().
 *
 * The hooks are called from the event loop, never from inside a call of this API. Logging
 * happens here (membership and handovers are the cluster's decisions). */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "lib/clock.h"
#include "lib/macro.h"
#include "reconciler/core/cluster-bucket.h"
#include "reconciler/spec/cluster-config.h"

typedef struct Cluster Cluster;

typedef struct ClusterHooks {
        void (*bucket_taken)(Cluster *c, unsigned bucket, void *userdata);
        void (*bucket_dropped)(Cluster *c, unsigned bucket, void *userdata);
        /* Whether a write of one of bucket's resources is in flight. */
        bool (*bucket_busy)(Cluster *c, unsigned bucket, void *userdata);
        /* Members, buckets or the lease changed (STATUS=, metrics); also once settled. */
        void (*changed)(Cluster *c, void *userdata);
        /* A handover ended: a bucket we wanted became ours after seconds. */
        void (*handover)(Cluster *c, unsigned bucket, double seconds, void *userdata);
        /* cluster_leave() is done. */
        void (*left)(Cluster *c, void *userdata);
} ClusterHooks;

/* Copies what it needs of config (the password read by the caller, may be NULL). The member
 * starts joining at cluster_start(). 0 or a negative errno. */
int cluster_new(sd_event *event, Clock *clock, const ClusterConfig *config, const char *password,
                const ClusterHooks *hooks, void *userdata, Cluster **ret);
Cluster *cluster_free(Cluster *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Cluster *, cluster_free);

int cluster_start(Cluster *c);
/* SIGTERM: drop every bucket, and once none is busy revoke the lease (every claim goes with
 * it, handed over at once); hooks.left when done or after the etcd call failed. */
void cluster_leave(Cluster *c);
/* A run of bucket ended: a draining bucket may be released now. */
void cluster_bucket_idle(Cluster *c, unsigned bucket);

/* Whether bucket's resources are ours to schedule: our claim, not being handed over. */
bool cluster_holds(const Cluster *c, unsigned bucket);
/* The epoch (claim create revision) of bucket while we hold it, draining or not; 0 if not. */
int64_t cluster_epoch(const Cluster *c, unsigned bucket);
/* The member's etcd client (the state store's writes go through it too). */
struct EtcdClient *cluster_etcd(const Cluster *c);
/* Whether a cloud write may start now: 0, or -ESTALE (past the time guard, or the claims not
 * re-read since the deadline passed) or -ENOLCK (the bucket is not ours, or being handed over). */
int cluster_check_write(Cluster *c, unsigned bucket);

/* Settled: joined, or the first attempt failed (READY=1 either way, see cluster.c). */
bool cluster_is_settled(const Cluster *c);
bool cluster_is_joined(const Cluster *c);
const char *cluster_member(const Cluster *c);
/* The live members, sorted (NULL-terminated; valid until the next event). */
char *const *cluster_members(const Cluster *c);
size_t cluster_n_members(const Cluster *c);
unsigned cluster_n_held(const Cluster *c);
double cluster_lease_remaining(Cluster *c);
/* The write timeout the cloud requests must keep in cluster mode. */
usec_t cluster_write_timeout(const Cluster *c);
