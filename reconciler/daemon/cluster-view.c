/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "lib/log.h"
#include "lib/sort-util.h"
#include "reconciler/daemon/cluster-internal.h"

#define CLUSTER_RELIST_USEC (500 * USEC_PER_MSEC)

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void view_clear(Cluster *c) {
        c->members = strv_free(c->members);
        c->n_members = 0;
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++) {
                free(c->claims[b].holder);
                c->claims[b].holder = NULL;
                c->claims[b].epoch = c->claims[b].lease = 0;
        }
}

void cluster_view_reset(Cluster *c) {
        c->watch = etcd_watch_free(c->watch);
        view_clear(c);
}

static ssize_t member_index(const Cluster *c, const char *name) {
        for (size_t i = 0; i < c->n_members; i++)
                if (streq(c->members[i], name))
                        return (ssize_t) i;
        return -1;
}

static int view_set_member(Cluster *c, const char *name, bool present) {
        ssize_t i = member_index(c, name);
        char **l;

        if (present == (i >= 0))
                return 0;
        if (!present) {
                free(c->members[i]);
                memmove(c->members + i, c->members + i + 1,
                        (c->n_members - (size_t) i) * sizeof(char *));
                c->n_members--;
                return 1;
        }
        l = reallocarray(c->members, c->n_members + 2, sizeof(char *));
        if (!l)
                return -ENOMEM;
        c->members = l;
        if (!(l[c->n_members] = strdup(name)))
                return -ENOMEM;
        l[++c->n_members] = NULL;
        qsort(l, c->n_members, sizeof(char *), strcmp_ptr);
        return 1;
}

/* A bucket number of a claims/ key, or -EINVAL. */
static int claim_bucket(const Cluster *c, const char *key) {
        const char *s = key + strlen(c->claims_prefix);
        char *end;
        unsigned long b;

        errno = 0;
        b = strtoul(s, &end, 10);
        if (!*s || *end || errno || b >= CLUSTER_BUCKETS)
                return -EINVAL;
        return (int) b;
}

static int view_set_claim(Cluster *c, const EtcdKeyValue *kv, bool present) {
        int b = claim_bucket(c, kv->key);
        ClusterClaim *cl;

        if (b < 0)
                return 0; /* not one of ours: ignored */
        cl = &c->claims[b];
        free(cl->holder);
        *cl = (ClusterClaim){};
        if (!present)
                return 1;
        cl->holder = strndup(kv->value, kv->value_size);
        cl->epoch = kv->create_revision;
        cl->lease = kv->lease;
        return cl->holder ? 1 : -ENOMEM;
}

/* One key of the view, put or deleted. */
static int view_apply(Cluster *c, const EtcdKeyValue *kv, bool present) {
        if (startswith(kv->key, c->members_prefix))
                return view_set_member(c, kv->key + strlen(c->members_prefix), present);
        if (startswith(kv->key, c->claims_prefix))
                return view_set_claim(c, kv, present);
        return 0;
}

static void on_watch(EtcdWatch *w, int error, const EtcdWatchResult *res, void *userdata) {
        Cluster *c = userdata;

        if (error < 0) {
                if (error == -ECANCELED)
                        return;
                log_full(error == -ESTALE ? LOG_INFO : LOG_WARNING,
                         "Member '%s' lost its watch of the cluster (%s); listing again.",
                         c->member, strerror(-error));
                c->watch = etcd_watch_free(c->watch);
                cluster_schedule_retry(c, error == -ESTALE ? 0 : CLUSTER_RELIST_USEC);
                return;
        }
        for (size_t i = 0; i < res->n_events; i++)
                if (view_apply(c, &res->events[i].kv, res->events[i].type == ETCD_EVENT_PUT) ==
                    -ENOMEM) {
                        log_error("Out of memory in the cluster view; listing again.");
                        c->watch = etcd_watch_free(c->watch);
                        cluster_schedule_retry(c, CLUSTER_RELIST_USEC);
                        return;
                }
        if (res->header.revision > c->view_revision)
                c->view_revision = res->header.revision;
        if (res->n_events > 0) {
                cluster_claims_decide(c);
                cluster_changed(c);
        }
}

typedef struct ListCall {
        Cluster *cluster;
        usec_t started;
} ListCall;

static void on_listed(EtcdClient *e, int error, const EtcdRangeResult *res, void *userdata) {
        _cleanup_free_ ListCall *call = userdata;
        Cluster *c = call->cluster;
        int k = 0;

        if (error == -ECANCELED)
                return;
        c->listing = false;
        if (c->phase != CLUSTER_JOINED)
                return;
        if (error < 0) {
                log_warning("Member '%s' could not list the cluster (%s); retrying.", c->member,
                            strna(etcd_client_error_detail(e)));
                cluster_schedule_retry(c, CLUSTER_RELIST_USEC);
                return;
        }
        cluster_view_reset(c);
        for (size_t i = 0; i < res->n_kvs && k >= 0; i++)
                k = view_apply(c, &res->kvs[i], true);
        c->view_revision = res->header.revision;
        if (k >= 0)
                k = etcd_watch_new(c->etcd, c->view_begin, c->view_end, c->view_revision + 1,
                                   on_watch, c, &c->watch);
        if (k < 0) {
                log_warning_errno(k, "Member '%s' could not watch the cluster: %m; retrying.",
                                  c->member);
                cluster_schedule_retry(c, CLUSTER_RELIST_USEC);
                return;
        }
        cluster_fence_reread(&c->fence, call->started);
        cluster_claims_decide(c);
        cluster_changed(c);
}

void cluster_view_list(Cluster *c) {
        ListCall *call;
        int k;

        if (c->listing || c->phase != CLUSTER_JOINED)
                return;
        call = calloc(1, sizeof(ListCall));
        if (!call) {
                cluster_schedule_retry(c, CLUSTER_RELIST_USEC);
                return;
        }
        *call = (ListCall){ .cluster = c, .started = clock_now(c->clock) };
        k = etcd_range(c->etcd, c->view_begin, c->view_end, 0, 0, on_listed, call);
        if (k < 0) {
                free(call);
                cluster_schedule_retry(c, CLUSTER_RELIST_USEC);
                return;
        }
        c->listing = true;
}
