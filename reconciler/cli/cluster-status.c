/* SPDX-License-Identifier: MIT */
#include <jansson.h>
#include <stdio.h>

#include "lib/etcd.h"
#include "lib/string-util.h"
#include "reconciler/cli/cluster-status.h"
#include "reconciler/cli/run.h"
#include "reconciler/core/cluster-bucket.h"
#include "reconciler/core/cluster-password.h"

#define CLUSTER_STATUS_TIMEOUT_USEC (5 * USEC_PER_SEC)

typedef struct ClusterView {
        char **members; /* strv, as listed (etcd's key order: sorted) */
        size_t n_members;
        char *holder[CLUSTER_BUCKETS]; /* NULL: unclaimed */
        int64_t last_revision;         /* the newest claim's create revision */
        unsigned last_bucket;
        int error;
        sd_event *event;
        const char *members_prefix, *claims_prefix;
} ClusterView;

static void cluster_view_done(ClusterView *v) {
        strv_free(v->members);
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++)
                free(v->holder[b]);
}

static int view_add(ClusterView *v, const EtcdKeyValue *kv) {
        char *end;
        unsigned long b;

        if (startswith(kv->key, v->members_prefix)) {
                char **l = reallocarray(v->members, v->n_members + 2, sizeof(char *));
                if (!l)
                        return -ENOMEM;
                v->members = l;
                if (!(l[v->n_members] = strdup(kv->key + strlen(v->members_prefix))))
                        return -ENOMEM;
                l[++v->n_members] = NULL;
                return 0;
        }
        b = strtoul(kv->key + strlen(v->claims_prefix), &end, 10);
        if (!startswith(kv->key, v->claims_prefix) || *end || b >= CLUSTER_BUCKETS)
                return 0;
        if (!(v->holder[b] = strndup(kv->value, kv->value_size)))
                return -ENOMEM;
        if (kv->create_revision > v->last_revision) {
                v->last_revision = kv->create_revision;
                v->last_bucket = (unsigned) b;
        }
        return 0;
}

static void on_range(EtcdClient *e, int error, const EtcdRangeResult *res, void *userdata) {
        ClusterView *v = userdata;

        v->error = error;
        for (size_t i = 0; error >= 0 && i < res->n_kvs && v->error >= 0; i++)
                v->error = view_add(v, &res->kvs[i]);
        (void) sd_event_exit(v->event, 0);
}

/* Lists members/ and claims/ of the cluster into v. 0 or -errno (etcd's detail on err). */
static int cluster_view_read(const ClusterConfig *cc, ClusterView *v, FILE *err) {
        _cleanup_free_ char *members = NULL, *claims = NULL, *end = NULL, *password = NULL,
                            *path = NULL;
        _cleanup_(etcd_client_freep) EtcdClient *etcd = NULL;
        int r;

        r = cluster_password_read(cc, &password, &path);
        if (r < 0) {
                fprintf(err, "error: cannot read the etcd password from '%s': %s\n", strna(path),
                        strerror(-r));
                return r;
        }
        if (asprintf(&members, "/asyncfg/%s/members/", cc->name) < 0 ||
            asprintf(&claims, "/asyncfg/%s/claims/", cc->name) < 0 ||
            etcd_prefix_range_end(members, &end) < 0)
                return -ENOMEM;
        v->members_prefix = members;
        v->claims_prefix = claims;
        r = etcd_client_new(v->event,
                            &(EtcdOptions){ .endpoints = (const char *const *) cc->etcd,
                                            .timeout_usec = CLUSTER_STATUS_TIMEOUT_USEC,
                                            .user = cc->user,
                                            .password = password,
                                            .ca_file = cc->ca_file,
                                            .cert_file = cc->cert_file,
                                            .key_file = cc->key_file },
                            &etcd);
        if (r >= 0)
                r = etcd_range(etcd, claims, end, 0, 0, on_range, v);
        if (r >= 0)
                r = sd_event_loop(v->event);
        if (r >= 0)
                r = v->error;
        if (r < 0)
                fprintf(err, "error: cannot read cluster '%s' from etcd: %s\n", cc->name,
                        etcd ? strna(etcd_client_error_detail(etcd)) : strerror(-r));
        return r;
}

/* Buckets and resources per holder; index n_members: unclaimed or claimed by a non-member. */
static void cluster_view_count(const ClusterView *v, const CliRun *run, size_t *buckets,
                               size_t *resources) {
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++) {
                size_t i = 0;
                while (i < v->n_members && !streq_ptr(v->members[i], v->holder[b]))
                        i++;
                buckets[i]++;
        }
        for (size_t k = 0; k < run->n_items; k++) {
                unsigned b = cluster_bucket_of(run->items[k].key);
                size_t i = 0;
                while (i < v->n_members && !streq_ptr(v->members[i], v->holder[b]))
                        i++;
                resources[i]++;
        }
}

static int print_json(const ClusterView *v, const char *name, const size_t *buckets,
                      const size_t *resources, FILE *out) {
        json_t *members = json_array(), *doc;

        for (size_t i = 0; members && i < v->n_members; i++)
                json_array_append_new(members, json_pack("{s:s, s:i, s:i}", "member", v->members[i],
                                                         "buckets", (json_int_t) buckets[i],
                                                         "resources", (json_int_t) resources[i]));
        doc = json_pack(
                "{s:s, s:o, s:{s:i, s:i}, s:o}", "cluster", name, "members", members ?: json_null(),
                "unclaimed", "buckets", (json_int_t) buckets[v->n_members], "resources",
                (json_int_t) resources[v->n_members], "last_handover",
                v->last_revision ? json_pack("{s:i, s:s, s:I}", "bucket", (int) v->last_bucket,
                                             "member", v->holder[v->last_bucket], "revision",
                                             (json_int_t) v->last_revision)
                                 : json_null());
        if (!doc)
                return -ENOMEM;
        json_dumpf(doc, out, JSON_INDENT(2));
        fputc('\n', out);
        json_decref(doc);
        return 0;
}

static void print_table(const ClusterView *v, const char *name, const size_t *buckets,
                        const size_t *resources, FILE *out) {
        fprintf(out, "cluster '%s': %zu member%s, %zu of %u buckets held\n", name, v->n_members,
                v->n_members == 1 ? "" : "s", CLUSTER_BUCKETS - buckets[v->n_members],
                CLUSTER_BUCKETS);
        fprintf(out, "%-24s %8s %10s\n", "MEMBER", "BUCKETS", "RESOURCES");
        for (size_t i = 0; i < v->n_members; i++)
                fprintf(out, "%-24s %8zu %10zu\n", v->members[i], buckets[i], resources[i]);
        fprintf(out, "%-24s %8zu %10zu\n", "(nobody)", buckets[v->n_members],
                resources[v->n_members]);
        if (v->last_revision)
                fprintf(out, "last handover: bucket %u to %s (etcd revision %lld)\n",
                        v->last_bucket, v->holder[v->last_bucket], (long long) v->last_revision);
}

int cli_cluster_status_run(const CliStatusOptions *o) {
        _cleanup_(cli_run_freep) CliRun *run = NULL;
        _cleanup_free_ size_t *buckets = NULL, *resources = NULL;
        _cleanup_(cluster_view_done) ClusterView v = {};
        int r;

        if (!o->config_path) {
                fprintf(o->err, "error: --cluster needs --config FILE\n");
                return 1;
        }
        r = cli_run_load(o->config_path, NULL, 1, o->err, &run);
        if (r != 0)
                return r < 0 ? r : 1;
        if (!run->config->cluster) {
                fprintf(o->err, "error: '%s' has no cluster: block\n", o->config_path);
                return 1;
        }
        r = sd_event_new(&v.event);
        if (r < 0)
                return r;
        r = cluster_view_read(run->config->cluster, &v, o->err);
        if (r >= 0) {
                buckets = calloc(v.n_members + 1, sizeof(size_t));
                resources = calloc(v.n_members + 1, sizeof(size_t));
                r = buckets && resources ? 0 : -ENOMEM;
        }
        if (r >= 0) {
                cluster_view_count(&v, run, buckets, resources);
                if (o->json)
                        r = print_json(&v, run->config->cluster->name, buckets, resources, o->out);
                else
                        print_table(&v, run->config->cluster->name, buckets, resources, o->out);
        }
        v.event = sd_event_unref(v.event);
        if (r == -ENOMEM)
                return r;
        return r < 0 || buckets[v.n_members] > 0 ? 1 : 0;
}
