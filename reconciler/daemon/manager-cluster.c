/* SPDX-License-Identifier: MIT */
/* The manager in cluster mode (DESIGN.md §8, cluster.h): which resources it schedules (those
 * of the buckets it holds), the fence before every cloud write, the drain before a bucket is
 * handed over, leaving on SIGTERM, and what /status, /metrics and STATUS= say of the cluster.
 * Without a `cluster:` block none of this runs: every function here is then a no-op that
 * lets everything through. */
#include <stdio.h>

#include "lib/log.h"
#include "lib/string-util.h"
#include "reconciler/core/cluster-password.h"
#include "reconciler/core/user-agent.h"
#include "reconciler/daemon/manager-internal.h"

static const double handover_buckets[] = { 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60 };

struct ManagerCluster {
        Cluster *cluster;
        ClusterStateStore *state; /* the records in etcd */
        char *user_agent;         /* the cloud engine's; outlives it */
        ClockTimer *scan_timer;
        uint8_t pending[CLUSTER_BUCKETS]; /* held or dropped since the last scan */
        bool leaving_call;
        bool left;
        MetricGauge *members;
        MetricGauge *buckets_owned;
        MetricGauge *lease_remaining;
        MetricCounter *fenced_writes;
        MetricHistogram *handover;
};

/* NULL without a user; logged. */
static int cluster_password(const ClusterConfig *c, char **ret) {
        _cleanup_free_ char *path = NULL;
        int k = cluster_password_read(c, ret, &path);

        if (k < 0)
                return log_error_errno(k, "Failed to read the etcd password from '%s': %m",
                                       strna(path));
        return 0;
}

/* ---- metrics ------------------------------------------------------------------------------ */

static int cluster_metrics_register(ManagerCluster *mc, Metrics *r) {
        return metrics_add_gauge(r, "asyncfg_cluster_members", "Live members of the cluster.",
                                 NULL, &mc->members)
                       ?: metrics_add_gauge(r, "asyncfg_buckets_owned",
                                            "Buckets (of 1024) this member holds.", NULL,
                                            &mc->buckets_owned)
                       ?: metrics_add_gauge(r, "asyncfg_lease_remaining_seconds",
                                            "Time left on this member's etcd lease, as the "
                                            "fence counts it.",
                                            NULL, &mc->lease_remaining)
                       ?: metrics_add_counter(r, "asyncfg_fenced_writes_total",
                                              "Cloud writes not started (put, delete) or "
                                              "state records not written (state) because the "
                                              "member could no longer be sure it held the "
                                              "bucket.",
                                              (const char *const[]){ "kind", NULL },
                                              &mc->fenced_writes)
                       ?: metrics_add_histogram(r, "asyncfg_handover_seconds",
                                                "Time from a bucket becoming this member's to "
                                                "its claim being held.",
                                                NULL, handover_buckets,
                                                ELEMENTSOF(handover_buckets), &mc->handover);
}

void manager_cluster_update_metrics(Manager *m) {
        ManagerCluster *mc = m->cluster;

        if (!mc)
                return;
        (void) metrics_gauge_set(mc->members, (double) cluster_n_members(mc->cluster));
        (void) metrics_gauge_set(mc->buckets_owned, (double) cluster_n_held(mc->cluster));
        (void) metrics_gauge_set(mc->lease_remaining, cluster_lease_remaining(mc->cluster));
}

/* ---- rate limits -------------------------------------------------------------------------- */

/* DESIGN.md §8: an account's rate limit is shared out by the members' share of its resources,
 * so that together they stay within it. A member with none of an account's resources keeps a
 * sliver of it (a limit of 0 would mean "unlimited"). */
static void account_share(const AccountConfig *a, size_t held, size_t total, size_t n_members,
                          double *ret_qps, unsigned *ret_burst) {
        double share =
                total > 0 ? (double) held / (double) total : 1.0 / (double) MAX(n_members, 1u);

        share = MAX(share, 1.0 / CLUSTER_BUCKETS);
        *ret_qps = a->rate_qps * share;
        *ret_burst = (unsigned) MAX(1.0, (double) a->rate_burst * share + 0.5);
}

void manager_cluster_share_rates(Manager *m, const DaemonConfig *c) {
        _cleanup_free_ size_t *held = NULL, *total = NULL;
        _cleanup_free_ Resource **a = NULL;
        size_t n;

        if (!m->cluster || !c || c->n_accounts == 0 ||
            resource_table_sorted(&m->table, NULL, &a, &n) < 0)
                return;
        held = calloc(c->n_accounts, sizeof(size_t));
        total = calloc(c->n_accounts, sizeof(size_t));
        if (!held || !total)
                return;
        for (size_t i = 0; i < n; i++) {
                const AccountConfig *acc = daemon_config_find_account(c, a[i]->spec->account);
                size_t j = acc ? (size_t) (acc - c->accounts) : 0;

                if (!acc)
                        continue;
                total[j]++;
                held[j] += manager_cluster_schedules(m, a[i]->key);
        }
        for (size_t j = 0; j < c->n_accounts; j++) {
                double qps;
                unsigned burst;

                account_share(&c->accounts[j], held[j], total[j],
                              cluster_n_members(m->cluster->cluster), &qps, &burst);
                (void) workqueue_add_account(m->queue, c->accounts[j].name, qps, burst);
        }
}

/* ---- scheduling by bucket ----------------------------------------------------------------- */

/* Queues the resources of the buckets taken since the last scan and takes those of the buckets
 * dropped out of the queue: one pass over the table for any number of buckets. Each view
 * (counts, /status, metrics) shows a resource while its bucket is held here, and only then. */
static int on_scan_timer(ClockTimer *t, usec_t now, void *userdata) {
        Manager *m = userdata;
        ManagerCluster *mc = m->cluster;
        _cleanup_free_ Resource **a = NULL;
        size_t n;

        if (resource_table_sorted(&m->table, NULL, &a, &n) < 0)
                return log_oom();
        for (size_t i = 0; i < n; i++) {
                unsigned b = cluster_bucket_of(a[i]->key);

                if (!mc->pending[b])
                        continue;
                resource_set_elsewhere(a[i], !cluster_holds(mc->cluster, b));
                if (!cluster_holds(mc->cluster, b))
                        (void) workqueue_remove(m->queue, a[i]->key);
                else if (!a[i]->removed)
                        (void) manager_enqueue_start(m, a[i]);
                else if (a[i]->state != RESOURCE_STATE_ORPHANED)
                        /* its DELETE; an orphan is never queued: run, it was orphaned again,
                         * its time (and so its orphanRetention) restarted at every take */
                        (void) manager_enqueue(m, a[i], WORK_PRIORITY_CHANGE);
        }
        memset(mc->pending, 0, sizeof(mc->pending));
        manager_cluster_share_rates(m, m->gen ? m->gen->config : NULL);
        manager_schedule_publish(m);
        return 0;
}

static void cluster_pend(Manager *m, unsigned bucket) {
        ManagerCluster *mc = m->cluster;

        mc->pending[bucket] = 1;
        if (!mc->scan_timer && clock_timer_new(m->clock, on_scan_timer, m, &mc->scan_timer) < 0)
                return;
        if (clock_timer_get(mc->scan_timer) == USEC_INFINITY)
                (void) clock_timer_arm(mc->scan_timer, clock_now(m->clock));
}

static void hook_bucket_taken(Cluster *c, unsigned bucket, void *userdata) {
        Manager *m = userdata;

        /* Its records first: a resource scheduled without them would take drift for change. */
        cluster_state_load_bucket(m->cluster->state, bucket);
}

void manager_cluster_bucket_loaded(Manager *m, unsigned bucket) {
        if (cluster_holds(m->cluster->cluster, bucket))
                cluster_pend(m, bucket);
}

static void hook_bucket_dropped(Cluster *c, unsigned bucket, void *userdata) {
        cluster_pend(userdata, bucket);
}

static bool hook_bucket_busy(Cluster *c, unsigned bucket, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ Resource **a = NULL;
        size_t n;

        if (cluster_state_busy(m->cluster->state, bucket))
                return true;
        if (m->n_runs == 0)
                return false;
        if (resource_table_sorted(&m->table, NULL, &a, &n) < 0)
                return true; /* not known: not released */
        for (size_t i = 0; i < n; i++)
                if (resource_run_in_flight(a[i]) && cluster_bucket_of(a[i]->key) == bucket)
                        return true;
        return false;
}

static void hook_changed(Cluster *c, void *userdata) {
        Manager *m = userdata;

        manager_cluster_update_metrics(m);
        if (m->ready_pending && cluster_is_settled(c))
                manager_notify_ready(m);
        manager_schedule_publish(m);
}

static void hook_handover(Cluster *c, unsigned bucket, double seconds, void *userdata) {
        Manager *m = userdata;

        (void) metrics_histogram_observe(m->cluster->handover, seconds);
}

static void hook_left(Cluster *c, void *userdata) {
        Manager *m = userdata;

        m->cluster->left = true;
        if (!m->cluster->leaving_call)
                manager_check_stopped(m);
}

static const ClusterHooks manager_cluster_hooks = {
        .bucket_taken = hook_bucket_taken,
        .bucket_dropped = hook_bucket_dropped,
        .bucket_busy = hook_bucket_busy,
        .changed = hook_changed,
        .handover = hook_handover,
        .left = hook_left,
};

/* ---- the manager's side ------------------------------------------------------------------- */

/* The cloud engine of a member: its User-Agent names the member (the clouds' logs say who
 * wrote), and no request outlives the fence's write timeout. */
static int cluster_http_engine(Manager *m, const ClusterConfig *cc, usec_t write_timeout) {
        ManagerCluster *mc = m->cluster;
        HttpEngine *e;
        int k;

        if (asprintf(&mc->user_agent, "%s member/%s", ASYNCFG_USER_AGENT, cc->member) < 0)
                return log_oom();
        k = http_engine_new(m->event,
                            &(HttpEngineOptions){ .user_agent = mc->user_agent,
                                                  .total_timeout_usec = write_timeout,
                                                  .connect_timeout_usec = write_timeout },
                            &e);
        if (k < 0)
                return log_error_errno(k, "Failed to set up the HTTP engine: %m");
        http_engine_free(m->http);
        m->http = e;
        return 0;
}

int manager_cluster_setup(Manager *m, const DaemonConfig *c) {
        _cleanup_free_ char *password = NULL;
        int k;

        if (!c->cluster)
                return 0;
        m->cluster = calloc(1, sizeof(ManagerCluster));
        if (!m->cluster)
                return log_oom();
        k = cluster_password(c->cluster, &password);
        if (k < 0)
                return k;
        k = cluster_new(m->event, m->clock, c->cluster, password, &manager_cluster_hooks, m,
                        &m->cluster->cluster);
        if (password)
                explicit_bzero(password, strlen(password));
        if (k < 0)
                return log_error_errno(k, "Failed to set up the etcd client: %m");
        k = cluster_state_new(m, m->cluster->cluster, c->cluster, &m->cluster->state);
        if (k < 0)
                return log_oom();
        k = cluster_metrics_register(m->cluster, m->metrics->registry);
        if (k < 0)
                return log_error_errno(k, "Failed to register the cluster metrics: %m");
        return cluster_http_engine(m, c->cluster, cluster_write_timeout(m->cluster->cluster));
}

int manager_cluster_start(Manager *m) {
        if (!m->cluster)
                return 0;
        log_info("Cluster mode: member '%s' joins through etcd.",
                 cluster_member(m->cluster->cluster));
        return cluster_start(m->cluster->cluster);
}

bool manager_cluster_schedules(const Manager *m, const char *key) {
        return !m->cluster || cluster_holds(m->cluster->cluster, cluster_bucket_of(key));
}

int manager_cluster_fence(Manager *m, const char *key, const char *kind) {
        int k;

        if (!m->cluster)
                return 0;
        k = cluster_check_write(m->cluster->cluster, cluster_bucket_of(key));
        if (k < 0) {
                (void) metrics_counter_inc(m->cluster->fenced_writes, kind);
                log_debug("Not starting a %s of '%s': %s.", kind, key,
                          k == -ESTALE ? "past the lease's time guard"
                                       : "its bucket is not this member's");
                return k;
        }
        cluster_state_note_write(m->cluster->state, key,
                                 cluster_epoch(m->cluster->cluster, cluster_bucket_of(key)));
        return 0;
}

void manager_cluster_count_fenced(Manager *m, const char *kind) {
        (void) metrics_counter_inc(m->cluster->fenced_writes, kind);
}

int manager_cluster_save(Manager *m) {
        return cluster_state_save(m->cluster->state);
}

ClusterStateStore *manager_cluster_state(Manager *m) {
        return m->cluster->state;
}

void manager_cluster_run_ended(Manager *m, const char *key) {
        if (m->cluster && !m->stopping)
                cluster_bucket_idle(m->cluster->cluster, cluster_bucket_of(key));
}

bool manager_cluster_is_settled(const Manager *m) {
        return !m->cluster || cluster_is_settled(m->cluster->cluster);
}

int manager_cluster_leave(Manager *m) {
        ManagerCluster *mc = m->cluster;

        if (!mc || mc->left)
                return 0;
        mc->leaving_call = true;
        cluster_leave(mc->cluster);
        mc->leaving_call = false;
        return mc->left ? 0 : 1;
}

void manager_cluster_free(Manager *m) {
        ManagerCluster *mc = m->cluster;

        if (!mc)
                return;
        mc->left = true;                         /* no stop from inside the free */
        mc->cluster = cluster_free(mc->cluster); /* its etcd calls end first */
        mc->state = cluster_state_free(mc->state);
        clock_timer_free(mc->scan_timer);
        free(mc->user_agent);
        free(mc);
        m->cluster = NULL;
}

/* ---- what the views say ------------------------------------------------------------------- */

int manager_cluster_status_prefix(const Manager *m, char **ret) {
        const Cluster *c = m->cluster ? m->cluster->cluster : NULL;

        if (!c)
                return strdup_opt("", ret);
        if (asprintf(ret, "member %s: %u of %u buckets, %zu member%s, %u resource%s elsewhere%s; ",
                     cluster_member(c), cluster_n_held(c), CLUSTER_BUCKETS, cluster_n_members(c),
                     cluster_n_members(c) == 1 ? "" : "s", m->n_elsewhere,
                     m->n_elsewhere == 1 ? "" : "s",
                     cluster_is_joined(c) ? "" : ", not joined (writing nothing)") < 0)
                return -ENOMEM;
        return 0;
}

/* Each account's rate limit in force here (qps): this member's share of it. */
static json_t *cluster_rates_json(const Manager *m) {
        const DaemonConfig *c = m->gen ? m->gen->config : NULL;
        json_t *o = json_object();

        for (size_t i = 0; o && c && i < c->n_accounts; i++) {
                double qps;
                if (workqueue_get_account_qps(m->queue, c->accounts[i].name, &qps) >= 0)
                        json_object_set_new(o, c->accounts[i].name, json_real(qps));
        }
        return o ?: json_null();
}

json_t *manager_cluster_status_json(const Manager *m) {
        Cluster *c = m->cluster ? m->cluster->cluster : NULL;
        json_t *members, *held;

        if (!c)
                return json_null();
        members = json_array();
        for (char *const *p = cluster_members(c); members && p && *p; p++)
                json_array_append_new(members, json_string(*p));
        held = json_array();
        for (unsigned b = 0; held && b < CLUSTER_BUCKETS; b++)
                if (cluster_holds(c, b))
                        json_array_append_new(held, json_integer(b));
        return json_pack("{s:s, s:b, s:i, s:i, s:o, s:o, s:f, s:o, s:i}", "member",
                         cluster_member(c), "joined", cluster_is_joined(c), "buckets_held",
                         (json_int_t) cluster_n_held(c), "buckets", (json_int_t) CLUSTER_BUCKETS,
                         "held", held ?: json_null(), "members", members ?: json_null(),
                         "lease_remaining_seconds", cluster_lease_remaining(c), "rate_limits",
                         cluster_rates_json(m), "resources_elsewhere", (json_int_t) m->n_elsewhere);
}
