/* SPDX-License-Identifier: MIT */

/* `asyncfg status --cluster --config FILE`: what etcd says of the cluster, read at one
 * revision — the live members (members/), who holds each bucket (claims/), the state records
 * per bucket (state/, keys only, in pages) — and the resources of the desired directory
 * hashed into buckets with the members' own function (reconciler/core/cluster-bucket.h). The
 * last handover is the newest claim: its create revision is the bucket's epoch. */

#include <stdlib.h>
#include <unistd.h>

#include "lib/json-writer.h"
#include "reconciler/cli/cluster-status.h"
#include "reconciler/core/cluster-bucket.h"
#include "reconciler/core/cluster-etcd.h"
#include "reconciler/core/cluster-password.h"
#include "reconciler/desired/desired.h"
#include "reconciler/spec/daemon-config.h"

#define CLUSTER_STATUS_TIMEOUT_USEC (5ULL * 1000000ULL)
#define CLUSTER_STATUS_PAGE 10000

typedef struct ClusterRow {
        char *name;
        int64_t lease;
        bool listed; /* has a members/ key (else it only holds claims, about to vanish) */
        unsigned buckets;
        size_t resources, state_records;
} ClusterRow;

typedef struct ClusterStatus {
        const CliClusterStatusOptions *o;
        const ClusterConfig *config;
        sd_event *event;
        EtcdClient *etcd;
        char *members_prefix, *claims_prefix, *state_prefix;
        char *state_end, *state_next; /* the state/ range and where its next page starts */
        int64_t revision;
        ClusterRow *rows;
        size_t n_rows;
        int owner[CLUSTER_BUCKETS]; /* index in rows, or -1: unclaimed */
        int64_t epoch[CLUSTER_BUCKETS];
        size_t resources[CLUSTER_BUCKETS], state_records[CLUSTER_BUCKETS];
        bool have_desired;
        int result; /* the exit code */
} ClusterStatus;

static void cluster_status_done(ClusterStatus *s) {
        for (size_t i = 0; i < s->n_rows; i++)
                free(s->rows[i].name);
        free(s->rows);
        free(s->members_prefix);
        free(s->claims_prefix);
        free(s->state_prefix);
        free(s->state_end);
        free(s->state_next);
        etcd_client_free(s->etcd);
        sd_event_unref(s->event);
}

/* ---- the view ------------------------------------------------------------------------------- */

static int cluster_row_find_or_add(ClusterStatus *s, const char *name, size_t size) {
        ClusterRow *rows;

        for (size_t i = 0; i < s->n_rows; i++)
                if (strlen(s->rows[i].name) == size && memcmp(s->rows[i].name, name, size) == 0)
                        return (int) i;
        rows = reallocarray(s->rows, s->n_rows + 1, sizeof(ClusterRow));
        if (!rows)
                return -ENOMEM;
        s->rows = rows;
        rows[s->n_rows] = (ClusterRow){ .name = strndup(name, size) };
        if (!rows[s->n_rows].name)
                return -ENOMEM;
        return (int) s->n_rows++;
}

/* What follows prefix in key, or NULL. */
static const char *cluster_key_after(const char *key, const char *prefix) {
        size_t n = strlen(prefix);

        return strncmp(key, prefix, n) == 0 ? key + n : NULL;
}

/* A bucket number from the key after prefix ("17" of claims/17 or state/17/...), or -EINVAL. */
static int cluster_key_bucket(const char *key, const char *prefix) {
        const char *p = cluster_key_after(key, prefix);
        char *end;
        unsigned long b;

        if (!p || !(*p >= '0' && *p <= '9'))
                return -EINVAL;
        b = strtoul(p, &end, 10);
        if ((*end != 0 && *end != '/') || b >= CLUSTER_BUCKETS)
                return -EINVAL;
        return (int) b;
}

static int cluster_add_members(ClusterStatus *s, const EtcdRangeResult *r) {
        for (size_t i = 0; i < r->n_kvs; i++) {
                const char *name = cluster_key_after(r->kvs[i].key, s->members_prefix);
                int k;

                if (!name || !name[0])
                        continue;
                k = cluster_row_find_or_add(s, name, strlen(name));
                if (k < 0)
                        return k;
                s->rows[k].listed = true;
                s->rows[k].lease = r->kvs[i].lease;
        }
        return 0;
}

static int cluster_add_claims(ClusterStatus *s, const EtcdRangeResult *r) {
        for (size_t i = 0; i < r->n_kvs; i++) {
                const EtcdKeyValue *kv = &r->kvs[i];
                int b = cluster_key_bucket(kv->key, s->claims_prefix), k;

                if (b < 0)
                        continue;
                k = cluster_row_find_or_add(s, kv->value, kv->value_size);
                if (k < 0)
                        return k;
                s->owner[b] = k;
                s->epoch[b] = kv->create_revision;
        }
        return 0;
}

/* Counts one page of state/ keys; the next page starts after the last key. */
static int cluster_add_state(ClusterStatus *s, const EtcdRangeResult *r) {
        for (size_t i = 0; i < r->n_kvs; i++) {
                int b = cluster_key_bucket(r->kvs[i].key, s->state_prefix);

                if (b >= 0)
                        s->state_records[b]++;
        }
        free(s->state_next);
        s->state_next = NULL;
        if (!r->more || r->n_kvs == 0)
                return 0;
        /* The last key followed by the byte 0x01 sorts right after it: keys hold no control
         * characters, so nothing lies between. */
        if (asprintf(&s->state_next, "%s\001", r->kvs[r->n_kvs - 1].key) < 0)
                return -ENOMEM;
        return 0;
}

static void cluster_tally(ClusterStatus *s) {
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++) {
                ClusterRow *row;

                if (s->owner[b] < 0)
                        continue;
                row = &s->rows[s->owner[b]];
                row->buckets++;
                row->resources += s->resources[b];
                row->state_records += s->state_records[b];
        }
}

static int cluster_row_compare(const void *a, const void *b) {
        return strcmp(((const ClusterRow *) a)->name, ((const ClusterRow *) b)->name);
}

/* ---- printing ------------------------------------------------------------------------------- */

/* The newest claim: its bucket, or -1 without claims. */
static int cluster_last_handover(const ClusterStatus *s) {
        int last = -1;

        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++)
                if (s->owner[b] >= 0 && (last < 0 || s->epoch[b] > s->epoch[last]))
                        last = (int) b;
        return last;
}

static void cluster_unclaimed(const ClusterStatus *s, unsigned *ret_buckets,
                              size_t *ret_resources) {
        *ret_buckets = 0;
        *ret_resources = 0;
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++)
                if (s->owner[b] < 0) {
                        (*ret_buckets)++;
                        *ret_resources += s->resources[b];
                }
}

static void cluster_print_table(const ClusterStatus *s, FILE *f) {
        unsigned unclaimed;
        size_t unclaimed_resources, listed = 0;
        int last = cluster_last_handover(s);

        for (size_t i = 0; i < s->n_rows; i++)
                listed += s->rows[i].listed;
        cluster_unclaimed(s, &unclaimed, &unclaimed_resources);
        fprintf(f,
                "cluster '%s': %zu member%s, %u of %u buckets held (etcd %s, revision %" PRIi64
                ")\n",
                s->config->name, listed, listed == 1 ? "" : "s", CLUSTER_BUCKETS - unclaimed,
                CLUSTER_BUCKETS, etcd_client_endpoint(s->etcd), s->revision);
        fprintf(f, "%-24s %8s %10s %14s\n", "MEMBER", "BUCKETS", "RESOURCES", "STATE RECORDS");
        for (size_t i = 0; i < s->n_rows; i++) {
                const ClusterRow *r = &s->rows[i];

                fprintf(f, "%-24s %8u %10zu %14zu%s\n", r->name, r->buckets, r->resources,
                        r->state_records,
                        r->listed ? "" : "  (gone: its claims expire with its lease)");
        }
        fprintf(f, "%-24s %8u %10zu %14s\n", "(unheld)", unclaimed, unclaimed_resources, "-");
        if (!s->have_desired)
                fprintf(f,
                        "resources: not counted (the desired-state directory could not be read)\n");
        if (last >= 0)
                fprintf(f, "last handover: bucket %d to %s at revision %" PRIi64 "\n", last,
                        s->rows[s->owner[last]].name, s->epoch[last]);
        else
                fprintf(f, "last handover: none (no bucket is claimed)\n");
}

static void cluster_json_row(JsonWriter *w, const ClusterStatus *s, size_t i) {
        const ClusterRow *r = &s->rows[i];

        json_writer_open_object(w);
        json_writer_key(w, "member");
        json_writer_string(w, r->name);
        json_writer_key(w, "live");
        json_writer_bool(w, r->listed);
        json_writer_key(w, "lease");
        json_writer_integer(w, r->lease);
        json_writer_key(w, "buckets");
        json_writer_integer(w, r->buckets);
        json_writer_key(w, "held");
        json_writer_open_array(w);
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++)
                if (s->owner[b] == (int) i)
                        json_writer_integer(w, b);
        json_writer_close_array(w);
        json_writer_key(w, "resources");
        if (s->have_desired)
                json_writer_integer(w, (int64_t) r->resources);
        else
                json_writer_null(w);
        json_writer_key(w, "state_records");
        json_writer_integer(w, (int64_t) r->state_records);
        json_writer_close_object(w);
}

static void cluster_json_last_handover(JsonWriter *w, const ClusterStatus *s) {
        int last = cluster_last_handover(s);

        json_writer_key(w, "last_handover");
        if (last < 0) {
                json_writer_null(w);
                return;
        }
        json_writer_open_object(w);
        json_writer_key(w, "bucket");
        json_writer_integer(w, last);
        json_writer_key(w, "member");
        json_writer_string(w, s->rows[s->owner[last]].name);
        json_writer_key(w, "revision");
        json_writer_integer(w, s->epoch[last]);
        json_writer_close_object(w);
}

static void cluster_json_unclaimed(JsonWriter *w, const ClusterStatus *s) {
        unsigned buckets;
        size_t resources;

        cluster_unclaimed(s, &buckets, &resources);
        json_writer_key(w, "unclaimed");
        json_writer_open_object(w);
        json_writer_key(w, "buckets");
        json_writer_integer(w, buckets);
        json_writer_key(w, "resources");
        json_writer_integer(w, (int64_t) resources);
        json_writer_close_object(w);
}

static int cluster_print_json(const ClusterStatus *s, FILE *f) {
        JsonWriter w;
        int k;

        json_writer_init(&w, 2, 0, false);
        json_writer_open_object(&w);
        json_writer_key(&w, "cluster");
        json_writer_string(&w, s->config->name);
        json_writer_key(&w, "endpoint");
        json_writer_string(&w, etcd_client_endpoint(s->etcd));
        json_writer_key(&w, "revision");
        json_writer_integer(&w, s->revision);
        json_writer_key(&w, "members");
        json_writer_open_array(&w);
        for (size_t i = 0; i < s->n_rows; i++)
                cluster_json_row(&w, s, i);
        json_writer_close_array(&w);
        cluster_json_unclaimed(&w, s);
        cluster_json_last_handover(&w, s);
        json_writer_close_object(&w);
        k = json_writer_flush(&w, f) ?: (fputc('\n', f) == EOF ? -EIO : 0);
        json_writer_done(&w);
        return k;
}

/* ---- reading etcd --------------------------------------------------------------------------- */

static void cluster_status_fail(ClusterStatus *s, int error, const char *what) {
        fprintf(s->o->err, "error: cannot read %s of cluster '%s' from etcd at %s: %s\n", what,
                s->config->name, etcd_client_endpoint(s->etcd),
                etcd_client_error_detail(s->etcd) ?: strerror(-error));
        s->result = 1;
        (void) sd_event_exit(s->event, 0);
}

/* Sorts the rows by name; the owners follow their rows. */
static int cluster_sort_rows(ClusterStatus *s) {
        _cleanup_free_ char **before = calloc(s->n_rows ?: 1, sizeof(char *));
        _cleanup_free_ int *moved = calloc(s->n_rows ?: 1, sizeof(int));

        if (!before || !moved)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_rows; i++)
                before[i] = s->rows[i].name;
        qsort(s->rows, s->n_rows, sizeof(ClusterRow), cluster_row_compare);
        for (size_t i = 0; i < s->n_rows; i++)
                for (size_t j = 0; j < s->n_rows; j++)
                        if (s->rows[j].name == before[i])
                                moved[i] = (int) j;
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++)
                if (s->owner[b] >= 0)
                        s->owner[b] = moved[s->owner[b]];
        return 0;
}

static void cluster_status_finish(ClusterStatus *s) {
        int k;

        k = cluster_sort_rows(s);
        if (k < 0) {
                cluster_status_fail(s, k, "the members");
                return;
        }
        cluster_tally(s);
        if (s->o->json)
                k = cluster_print_json(s, s->o->out);
        else {
                cluster_print_table(s, s->o->out);
                k = fflush(s->o->out) == EOF ? -EIO : 0;
        }
        s->result = k < 0 ? 1 : 0;
        (void) sd_event_exit(s->event, 0);
}

static void on_state(EtcdClient *c, int error, const EtcdRangeResult *r, void *userdata) {
        ClusterStatus *s = userdata;
        int k = error;

        if (k >= 0)
                k = cluster_add_state(s, r);
        if (k >= 0 && s->state_next)
                k = etcd_range_keys(c, s->state_next, s->state_end, s->revision,
                                    CLUSTER_STATUS_PAGE, on_state, s);
        if (k < 0)
                cluster_status_fail(s, k, "the state records");
        else if (!s->state_next)
                cluster_status_finish(s);
}

static void on_claims(EtcdClient *c, int error, const EtcdRangeResult *r, void *userdata) {
        ClusterStatus *s = userdata;
        int k = error;

        if (k >= 0)
                k = cluster_add_claims(s, r);
        if (k >= 0)
                k = etcd_prefix_range_end(s->state_prefix, &s->state_end);
        if (k >= 0)
                k = etcd_range_keys(c, s->state_prefix, s->state_end, s->revision,
                                    CLUSTER_STATUS_PAGE, on_state, s);
        if (k < 0)
                cluster_status_fail(s, k, "the claims");
}

static void on_members(EtcdClient *c, int error, const EtcdRangeResult *r, void *userdata) {
        ClusterStatus *s = userdata;
        _cleanup_free_ char *end = NULL;
        int k = error;

        if (k >= 0) {
                s->revision = r->header.revision; /* everything else is read at this revision */
                k = cluster_add_members(s, r);
        }
        if (k >= 0)
                k = etcd_prefix_range_end(s->claims_prefix, &end);
        if (k >= 0)
                k = etcd_range(c, s->claims_prefix, end, s->revision, 0, on_claims, s);
        if (k < 0)
                cluster_status_fail(s, k, "the members");
}

/* ---- the desired resources ------------------------------------------------------------------ */

/* Hashes the desired resources into buckets; false (and a line on err) if the directory could
 * not be read. */
static int cluster_count_desired(ClusterStatus *s, const DaemonConfig *config) {
        _cleanup_(desired_set_freep) DesiredSet *set = NULL;
        DesiredIterator it = {};
        const ResourceSpec *spec;
        int k;

        k = desired_set_new(config, &set);
        if (k < 0)
                return k;
        k = desired_set_rescan(set, config->desired_dir);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                fprintf(s->o->err, "warning: cannot read the desired-state directory '%s': %s\n",
                        config->desired_dir, strerror(-k));
                return 0;
        }
        while ((spec = desired_set_next(set, &it))) {
                _cleanup_free_ char *key = NULL;

                k = resource_spec_identity(spec, &key);
                if (k < 0)
                        return k;
                s->resources[cluster_bucket_of(key)]++;
        }
        s->have_desired = true;
        return 0;
}

/* ---- the command ---------------------------------------------------------------------------- */

static int cluster_status_setup(ClusterStatus *s, const DaemonConfig *config) {
        _cleanup_free_ char *password = NULL, *end = NULL, *source = NULL;
        int k;

        k = cluster_password_read(s->config, &password, &source);
        if (k < 0) {
                fprintf(s->o->err, "error: cannot read the etcd password from '%s': %s\n",
                        source ?: "$CREDENTIALS_DIRECTORY", strerror(-k));
                return 1;
        }
        if (cluster_etcd_prefix(s->config, "members/", &s->members_prefix) < 0 ||
            cluster_etcd_prefix(s->config, "claims/", &s->claims_prefix) < 0 ||
            cluster_etcd_prefix(s->config, "state/", &s->state_prefix) < 0)
                return -ENOMEM;
        k = cluster_count_desired(s, config);
        if (k >= 0)
                k = sd_event_new(&s->event);
        if (k >= 0)
                k = cluster_etcd_client_new(s->event, s->config, password,
                                            CLUSTER_STATUS_TIMEOUT_USEC, &s->etcd);
        if (k >= 0)
                k = etcd_prefix_range_end(s->members_prefix, &end);
        if (k >= 0)
                k = etcd_range(s->etcd, s->members_prefix, end, 0, 0, on_members, s);
        return k;
}

int cli_cluster_status_run(const CliClusterStatusOptions *o) {
        _cleanup_(daemon_config_freep) DaemonConfig *config = NULL;
        ClusterStatus s = { .o = o, .result = 1 };
        DiagList diags;
        int k;

        diag_list_init(&diags);
        k = daemon_config_load(o->config_path, &diags, &config);
        diag_list_print(&diags, o->err);
        diag_list_done(&diags);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return 1;
        if (!config->cluster) {
                fprintf(o->err, "error: '%s' has no cluster: block\n", o->config_path);
                return 1;
        }
        s.config = config->cluster;
        for (unsigned b = 0; b < CLUSTER_BUCKETS; b++)
                s.owner[b] = -1;
        k = cluster_status_setup(&s, config);
        if (k == 0)
                k = sd_event_loop(s.event);
        cluster_status_done(&s);
        if (k < 0)
                return k;
        return k > 0 ? k : s.result;
}
