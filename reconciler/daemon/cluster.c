/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "lib/log.h"
#include "reconciler/daemon/cluster-internal.h"

#define CLUSTER_ETCD_TIMEOUT_USEC (2 * USEC_PER_SEC)
#define CLUSTER_RETRY_USEC (1 * USEC_PER_SEC)

/* READY=1 (decided here, said by the manager): once the member has joined, or at once when
 * the first attempt to join fails. A member that cannot reach etcd holds no bucket and so
 * writes nothing (observe-only, by construction); holding READY=1 back for it would have
 * systemd kill and restart a daemon whose only problem is elsewhere, and an ordering
 * dependency on an etcd on other hosts cannot be written in a unit. It keeps trying to join. */

static void cluster_settle(Cluster *c) {
        if (c->settled)
                return;
        c->settled = true;
        cluster_changed(c);
}

void cluster_changed(Cluster *c) {
        if (c->hooks.changed)
                c->hooks.changed(c, c->userdata);
}

static int on_retry_timer(ClockTimer *t, usec_t now, void *userdata);
static void cluster_join(Cluster *c);

void cluster_schedule_retry(Cluster *c, usec_t delay) {
        usec_t when = clock_now(c->clock) + delay;

        if (clock_timer_get(c->retry_timer) <= when)
                return;
        (void) clock_timer_arm(c->retry_timer, when);
}

static int on_retry_timer(ClockTimer *t, usec_t now, void *userdata) {
        Cluster *c = userdata;

        if (c->phase == CLUSTER_JOINING && c->lease == 0)
                cluster_join(c);
        else if (c->phase == CLUSTER_JOINED && !c->watch)
                cluster_view_list(c);
        else if (c->phase == CLUSTER_JOINED)
                cluster_claims_decide(c); /* a claim or release txn failed: again */
        return 0;
}

/* ---- the lease ---------------------------------------------------------------------------- */

static void cluster_arm_keepalive(Cluster *c, usec_t from) {
        (void) clock_timer_arm(c->keepalive_timer, from + c->fence.ttl / 5);
}

void cluster_lease_lost(Cluster *c, const char *why) {
        log_warning("Member '%s' lost its etcd lease (%s); it writes nothing and joins again.",
                    c->member, why);
        cluster_fence_lost(&c->fence);
        c->lease = 0;
        c->phase = CLUSTER_JOINING;
        c->keepalive_sent = 0;
        (void) clock_timer_disarm(c->keepalive_timer);
        cluster_view_reset(c);
        cluster_claims_drop_all(c);
        cluster_changed(c);
        cluster_schedule_retry(c, 0);
}

typedef struct KeepaliveCall {
        Cluster *cluster;
        int64_t lease;
        usec_t sent;
} KeepaliveCall;

/* What a confirmed keepalive sent at sent does: the deadline moves; if it had passed, the
 * claims are read again before anything is written. */
static void cluster_renewed(Cluster *c, usec_t sent) {
        bool was = c->fence.must_reread;

        cluster_fence_renewed(&c->fence, sent);
        if (c->fence.must_reread && !was)
                log_warning("Member '%s' renewed its lease after its deadline: it writes nothing "
                            "until it has read the claims again.",
                            c->member);
        if (c->fence.must_reread)
                cluster_view_list(c);
}

static void on_keepalive(EtcdClient *e, int error, const EtcdLeaseResult *res, void *userdata) {
        _cleanup_free_ KeepaliveCall *call = userdata;
        Cluster *c = call->cluster;

        if (error == -ECANCELED)
                return;
        /* An answer about a lease given up meanwhile (cluster_lease_lost() forgot it) says
         * nothing about the one in force, whose own keepalive may be in flight. */
        if (call->lease != c->lease || c->phase != CLUSTER_JOINED)
                return;
        c->keepalive_sent = 0;
        if (error == -ENOENT || (error == 0 && res->ttl <= 0)) {
                cluster_lease_lost(c, "etcd says it expired");
                return;
        }
        if (error < 0)
                log_warning("Member '%s' could not renew its etcd lease (%s); %.1fs left, "
                            "retrying.",
                            c->member, strna(etcd_client_error_detail(e)),
                            cluster_lease_remaining(c));
        else
                cluster_renewed(c, call->sent);
        cluster_arm_keepalive(c, error < 0 ? clock_now(c->clock) - c->fence.ttl / 10 : call->sent);
}

static int on_keepalive_timer(ClockTimer *t, usec_t now, void *userdata) {
        Cluster *c = userdata;
        KeepaliveCall *call;

        if (c->phase != CLUSTER_JOINED || c->keepalive_sent)
                return 0;
        call = calloc(1, sizeof(KeepaliveCall));
        if (!call) {
                cluster_arm_keepalive(c, now);
                return -ENOMEM;
        }
        *call = (KeepaliveCall){ .cluster = c, .lease = c->lease, .sent = now };
        if (etcd_lease_keepalive(c->etcd, c->lease, on_keepalive, call) < 0) {
                free(call);
                cluster_arm_keepalive(c, now);
                return 0;
        }
        c->keepalive_sent = now;
        return 0;
}

/* ---- joining ------------------------------------------------------------------------------ */

static void cluster_join_failed(Cluster *c, int error, const char *what) {
        usec_t delay = MIN(CLUSTER_RETRY_USEC << MIN(c->join_failures, 3u), 5 * USEC_PER_SEC);

        if (error == -ECANCELED)
                return;
        c->join_failures++;
        log_warning("Member '%s' could not join the cluster: %s failed (%s); it writes nothing "
                    "and tries again in %.0fs.",
                    c->member, what, strna(etcd_client_error_detail(c->etcd)),
                    (double) delay / USEC_PER_SEC);
        c->lease = 0;
        cluster_fence_lost(&c->fence);
        cluster_settle(c);
        cluster_schedule_retry(c, delay);
}

static void on_member_put(EtcdClient *e, int error, const EtcdHeader *h, void *userdata) {
        Cluster *c = userdata;

        if (error < 0) {
                cluster_join_failed(c, error, "writing its member key");
                return;
        }
        if (c->phase != CLUSTER_JOINING)
                return;
        c->phase = CLUSTER_JOINED;
        c->join_failures = 0;
        log_info("Member '%s' joined the cluster (lease %llx, TTL %llus).", c->member,
                 (unsigned long long) c->lease, (unsigned long long) (c->fence.ttl / USEC_PER_SEC));
        cluster_arm_keepalive(c, c->fence.renewed_at);
        cluster_settle(c);
        cluster_view_list(c);
}

static void on_granted(EtcdClient *e, int error, const EtcdLeaseResult *res, void *userdata) {
        Cluster *c = userdata;
        _cleanup_free_ char *key = NULL;
        int k;

        if (error < 0) {
                cluster_join_failed(c, error, "granting a lease");
                return;
        }
        c->lease = res->id;
        cluster_fence_renewed(&c->fence, c->grant_sent);
        if (asprintf(&key, "%s%s", c->members_prefix, c->member) < 0)
                k = -ENOMEM;
        else
                k = etcd_put(c->etcd, key, c->member, strlen(c->member), c->lease, on_member_put,
                             c);
        if (k < 0)
                cluster_join_failed(c, k, "writing its member key");
}

static void cluster_join(Cluster *c) {
        int k;

        c->phase = CLUSTER_JOINING;
        /* The grant's send time is the first deadline's base, as for a keepalive. */
        c->grant_sent = clock_now(c->clock);
        k = etcd_lease_grant(c->etcd, (int64_t) (c->fence.ttl / USEC_PER_SEC), on_granted, c);
        if (k < 0)
                cluster_join_failed(c, k, "granting a lease");
}

int cluster_start(Cluster *c) {
        cluster_join(c);
        return 0;
}

/* ---- leaving ------------------------------------------------------------------------------ */

static void on_revoked(EtcdClient *e, int error, const EtcdLeaseResult *res, void *userdata) {
        Cluster *c = userdata;

        if (error == -ECANCELED)
                return;
        if (error < 0 && error != -ENOENT)
                log_warning("Member '%s' could not revoke its lease (%s); its buckets move when "
                            "it expires.",
                            c->member, strna(etcd_client_error_detail(e)));
        else
                log_info("Member '%s' left the cluster; its buckets are handed over.", c->member);
        c->phase = CLUSTER_LEFT;
        c->lease = 0;
        if (c->hooks.left)
                c->hooks.left(c, c->userdata);
}

/* Leaving, and no bucket busy any more: the revoke deletes every claim and the member key. */
void cluster_maybe_revoke(Cluster *c) {
        if (c->phase != CLUSTER_LEAVING || c->revoking)
                return;
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++)
                if ((c->mine[b] & BUCKET_HELD) && c->hooks.bucket_busy &&
                    c->hooks.bucket_busy(c, b, c->userdata))
                        return;
        c->revoking = true;
        if (c->lease == 0 || etcd_lease_revoke(c->etcd, c->lease, on_revoked, c) < 0)
                on_revoked(c->etcd, c->lease ? -EIO : -ENOENT, NULL, c);
}

void cluster_leave(Cluster *c) {
        bool joined = c->phase == CLUSTER_JOINED;

        c->phase = CLUSTER_LEAVING;
        (void) clock_timer_disarm(c->retry_timer);
        cluster_claims_drop_all(c);
        cluster_changed(c);
        if (!joined && c->lease == 0) {
                c->phase = CLUSTER_LEFT;
                if (c->hooks.left)
                        c->hooks.left(c, c->userdata);
                return;
        }
        /* A keepalive in flight still answers; it is ignored while leaving. */
        cluster_maybe_revoke(c);
}

/* ---- life cycle --------------------------------------------------------------------------- */

static int cluster_prefixes(Cluster *c, const ClusterConfig *config) {
        if (asprintf(&c->members_prefix, "/asyncfg/%s/members/", config->name) < 0 ||
            asprintf(&c->claims_prefix, "/asyncfg/%s/claims/", config->name) < 0 ||
            !(c->view_begin = strdup(c->claims_prefix)))
                return -ENOMEM;
        /* claims/ < members/ and nothing of ours sorts between them. */
        return etcd_prefix_range_end(c->members_prefix, &c->view_end);
}

int cluster_new(sd_event *event, Clock *clock, const ClusterConfig *config, const char *password,
                const ClusterHooks *hooks, void *userdata, Cluster **ret) {
        _cleanup_(cluster_freep) Cluster *c = calloc(1, sizeof(Cluster));
        EtcdOptions o = {
                .endpoints = (const char *const *) config->etcd,
                .timeout_usec = CLUSTER_ETCD_TIMEOUT_USEC,
                .user = config->user,
                .password = password,
                .ca_file = config->ca_file,
                .cert_file = config->cert_file,
                .key_file = config->key_file,
        };
        int k;

        if (!c)
                return -ENOMEM;
        c->event = sd_event_ref(event);
        c->clock = clock;
        c->hooks = *hooks;
        c->userdata = userdata;
        cluster_fence_init(&c->fence, config->lease_ttl);
        if (!(c->member = strdup(config->member)) || cluster_prefixes(c, config) < 0)
                return -ENOMEM;
        k = clock_timer_new(clock, on_keepalive_timer, c, &c->keepalive_timer);
        if (k >= 0)
                k = clock_timer_new(clock, on_retry_timer, c, &c->retry_timer);
        if (k >= 0)
                k = etcd_client_new(event, &o, &c->etcd);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(c);
        return 0;
}

Cluster *cluster_free(Cluster *c) {
        if (!c)
                return NULL;
        c->phase = CLUSTER_LEFT;
        cluster_view_reset(c);
        c->etcd = etcd_client_free(c->etcd); /* callbacks fire with -ECANCELED */
        clock_timer_free(c->keepalive_timer);
        clock_timer_free(c->retry_timer);
        clock_timer_free(c->flush_timer);
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++)
                free(c->claims[b].holder);
        free(c->member);
        free(c->members_prefix);
        free(c->claims_prefix);
        free(c->view_begin);
        free(c->view_end);
        sd_event_unref(c->event);
        free(c);
        return NULL;
}

/* ---- questions ---------------------------------------------------------------------------- */

bool cluster_holds(const Cluster *c, unsigned bucket) {
        return bucket < CLUSTER_BUCKETS &&
               (c->mine[bucket] & (BUCKET_HELD | BUCKET_DRAINING)) == BUCKET_HELD;
}

int64_t cluster_epoch(const Cluster *c, unsigned bucket) {
        return bucket < CLUSTER_BUCKETS && (c->mine[bucket] & BUCKET_HELD) ? c->epoch[bucket] : 0;
}

EtcdClient *cluster_etcd(const Cluster *c) {
        return c->etcd;
}

int cluster_check_write(Cluster *c, unsigned bucket) {
        if (bucket >= CLUSTER_BUCKETS || !(c->mine[bucket] & BUCKET_HELD) ||
            c->phase != CLUSTER_JOINED)
                return -ENOLCK;
        /* A draining bucket's writes already under way finish; none starts. */
        if (c->mine[bucket] & BUCKET_DRAINING)
                return -ENOLCK;
        return cluster_fence_allows(&c->fence, clock_now(c->clock)) ? 0 : -ESTALE;
}

bool cluster_is_settled(const Cluster *c) {
        return c->settled;
}

bool cluster_is_joined(const Cluster *c) {
        return c->phase == CLUSTER_JOINED;
}

const char *cluster_member(const Cluster *c) {
        return c->member;
}

char *const *cluster_members(const Cluster *c) {
        return c->members;
}

size_t cluster_n_members(const Cluster *c) {
        return c->n_members;
}

unsigned cluster_n_held(const Cluster *c) {
        return c->n_held;
}

double cluster_lease_remaining(Cluster *c) {
        return (double) cluster_fence_remaining(&c->fence, clock_now(c->clock)) / USEC_PER_SEC;
}

usec_t cluster_write_timeout(const Cluster *c) {
        return c->fence.write_timeout;
}
