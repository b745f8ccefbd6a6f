/* SPDX-License-Identifier: MIT */
/* The state store in cluster mode (DESIGN.md §8): the records live in etcd under
 * /asyncfg/<name>/state/<bucket>/<identity>, each the record's JSON as state.db holds it. The
 * store in memory (cluster_state_store_new(), its records listed by bucket) holds the records
 * of the buckets this member holds: a bucket taken is read in one range before its resources
 * are scheduled, and what memory held of it from before (records, changes not saved) is
 * dropped when it is taken; what changed goes to etcd in one txn per save (the manager's group commit),
 * each bucket's claim compared with our epoch, and the writes it holds are reported in sync
 * only once the txn succeeded (DESIGN.md §3.10). A failed compare means the bucket is not ours
 * any more: its records are dropped, never retried as ours, and counted in
 * asyncfg_fenced_writes_total{kind="state"}. */
#include <stddef.h>
#include <stdio.h>

#include "lib/log.h"
#include "reconciler/core/cluster-etcd.h"
#include "reconciler/daemon/manager-internal.h"

#define STATE_LOAD_RETRY_USEC (500 * USEC_PER_MSEC)
/* Bucket reads in flight at once: the client runs 8 kv calls per endpoint, and 1024 reads at
 * a start would queue the claim and release txns behind them. */
#define STATE_LOADS_MAX 3u
/* etcd's --max-txn-ops (128 by default) bounds the compares and each branch's ops. */
#define STATE_TXN_OPS 100u

typedef struct StateRow {
        char *key;   /* etcd's */
        char *ident; /* the store's */
        char *value; /* NULL: delete */
        size_t size;
        unsigned bucket;
        int64_t epoch; /* compared in its txn */
} StateRow;

struct ClusterStateStore {
        Manager *manager;
        Cluster *cluster;
        char *state_prefix, *claims_prefix;
        ClockTimer *load_timer;
        bool load_wanted[CLUSTER_BUCKETS];
        bool loading[CLUSTER_BUCKETS];
        unsigned n_loading;
        unsigned writing[CLUSTER_BUCKETS]; /* rows of the batch in flight */
        /* The batch being written, one txn of up to STATE_TXN_OPS rows at a time. */
        StateRow *rows;
        size_t n_rows, next_row, batch_end;
        char **acks; /* the writes it acknowledges (strv) */
        size_t n_acks;
        bool in_flight;
        /* identity → the epoch (int64_t, owned) its cloud write started under: its record is
         * written under that epoch or not at all (the bucket may have been lost and taken
         * again in between, by us or by another member that wrote since). */
        Hashmap *write_epochs;
};

typedef struct LoadCall {
        ClusterStateStore *store;
        unsigned bucket;
} LoadCall;

static void state_row_done(StateRow *r) {
        free(r->key);
        free(r->ident);
        free(r->value);
}

/* ---- reading a bucket --------------------------------------------------------------------- */

static void state_load_send(ClusterStateStore *s, unsigned bucket);
static int on_load_timer(ClockTimer *t, usec_t now, void *userdata);

int cluster_state_store_new(StateStore **ret) {
        _cleanup_(state_store_freep) StateStore *st = NULL;
        int k = state_store_new_memory(&st);

        if (k >= 0)
                k = state_store_set_groups(st, CLUSTER_BUCKETS, cluster_bucket_of);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(st);
        return 0;
}

/* The rows read are the bucket's records; their keys in *ret_keys (strv; NULL when out of
 * memory), *ret_n of them. */
static void state_load_rows(ClusterStateStore *s, const EtcdRangeResult *res, char ***ret_keys,
                            size_t *ret_n) {
        size_t skip = strlen(s->state_prefix), n = 0;
        char **keys = calloc(res->n_kvs + 1, sizeof(char *));

        for (size_t i = 0; i < res->n_kvs; i++) {
                _cleanup_(diag_list_done) DiagList diags = {};
                const char *ident = strchr(res->kvs[i].key + skip, '/');

                diag_list_init(&diags);
                if (ident && state_store_load_row(s->manager->state, ident + 1, res->kvs[i].value,
                                                  res->kvs[i].value_size, &diags) >= 0) {
                        if (keys && !(keys[n++] = strdup(ident + 1)))
                                keys = strv_free(keys);
                        continue;
                }
                log_warning("Ignoring the damaged state record '%s' in etcd.", res->kvs[i].key);
        }
        *ret_keys = keys;
        *ret_n = n;
}

static void on_bucket_read(EtcdClient *e, int error, const EtcdRangeResult *res, void *userdata) {
        _cleanup_free_ LoadCall *call = userdata;
        _cleanup_strv_free_ char **keys = NULL;
        ClusterStateStore *s = call->store;
        unsigned b = call->bucket;
        size_t n;

        if (error == -ECANCELED)
                return;
        s->loading[b] = false;
        s->n_loading--;
        /* The next ones waiting; after a failure, not before the retry's delay. */
        (void) manager_arm_timer_earliest(s->manager, &s->load_timer,
                                          clock_now(s->manager->clock) +
                                                  (error < 0 ? STATE_LOAD_RETRY_USEC : 0),
                                          on_load_timer);
        if (cluster_epoch(s->cluster, b) == 0)
                return; /* not ours any more */
        if (error < 0) {
                log_warning_errno(error,
                                  "Could not read the state of bucket %u from etcd (%s, %m); "
                                  "retrying.",
                                  b, strna(etcd_client_error_detail(e)));
                s->load_wanted[b] = true;
                return;
        }
        /* Through the store's list of the bucket (cluster_state_store_new()): a start used to
         * walk and hash every record in memory for each bucket taken (~10^8 hashes at 100,000
         * records), and sort the store again. */
        state_store_forget_group(s->manager->state, b);
        state_load_rows(s, res, &keys, &n);
        /* As the single-host store does at start: a record whose document is gone is listed as
         * an orphan (also one that another member held, or orphaned, before). */
        if (!keys || manager_orphan_records(s->manager, keys, n) < 0)
                log_warning("Could not list the orphans of bucket %u: out of memory.", b);
        manager_cluster_bucket_loaded(s->manager, b);
}

static void state_load_send(ClusterStateStore *s, unsigned bucket) {
        _cleanup_free_ char *key = NULL, *end = NULL;
        LoadCall *call;

        if (s->loading[bucket] || s->n_loading >= STATE_LOADS_MAX ||
            asprintf(&key, "%s%u/", s->state_prefix, bucket) < 0 ||
            etcd_prefix_range_end(key, &end) < 0 || !(call = calloc(1, sizeof(LoadCall))))
                return;
        *call = (LoadCall){ s, bucket };
        s->load_wanted[bucket] = false;
        s->loading[bucket] = true;
        s->n_loading++;
        if (etcd_range(cluster_etcd(s->cluster), key, end, 0, 0, on_bucket_read, call) < 0) {
                s->loading[bucket] = false;
                s->n_loading--;
                s->load_wanted[bucket] = true;
                free(call);
        }
}

static int on_load_timer(ClockTimer *t, usec_t now, void *userdata) {
        ClusterStateStore *s = manager_cluster_state(userdata);

        for (unsigned b = 0; b < CLUSTER_BUCKETS && s->n_loading < STATE_LOADS_MAX; b++)
                if (s->load_wanted[b] && cluster_epoch(s->cluster, b) != 0)
                        state_load_send(s, b);
        return 0;
}

void cluster_state_load_bucket(ClusterStateStore *s, unsigned bucket) {
        /* What memory holds of the bucket is from before it was taken: records of an earlier
         * claim, and changes not saved then, such as the removal of an orphan whose retention
         * ended while another member held it. A save before the read comes back would write
         * them under the new claim, over what the other member wrote since. */
        state_store_forget_group(s->manager->state, bucket);
        s->load_wanted[bucket] = true;
        /* From a timer: the hook runs inside etcd's callbacks, where no call may start. */
        (void) manager_arm_timer_earliest(s->manager, &s->load_timer, clock_now(s->manager->clock),
                                          on_load_timer);
}

/* ---- writing ------------------------------------------------------------------------------ */

static void state_txn_send(ClusterStateStore *s);

static void state_batch_end(ClusterStateStore *s) {
        for (size_t i = 0; i < s->n_rows; i++)
                state_row_done(&s->rows[i]);
        free(s->rows);
        s->rows = NULL;
        s->n_rows = s->next_row = s->batch_end = 0;
}

/* Rows from `from` on were not written: changed again, for the next save. */
static void state_rows_retry(ClusterStateStore *s, size_t from, size_t to) {
        for (size_t i = from; i < to; i++) {
                if (cluster_epoch(s->cluster, s->rows[i].bucket) != 0 &&
                    state_store_mark_changed(s->manager->state, s->rows[i].ident) >= 0)
                        /* retried under the epoch it was meant for, or not at all */
                        cluster_state_note_write(s, s->rows[i].ident, s->rows[i].epoch);
                s->writing[s->rows[i].bucket]--;
        }
}

/* The writes of the batch go back to the manager's list, reported with a later save. */
static void state_acks_requeue(ClusterStateStore *s) {
        for (size_t i = 0; i < s->n_acks; i++)
                if (cluster_epoch(s->cluster, cluster_bucket_of(s->acks[i])) != 0)
                        (void) manager_add_ack(s->manager, s->acks[i]);
        s->acks = strv_free(s->acks);
        s->n_acks = 0;
}

static void state_batch_idle(ClusterStateStore *s, size_t from, size_t to) {
        for (size_t i = from; i < to; i++)
                if (s->writing[s->rows[i].bucket] == 0)
                        cluster_bucket_idle(s->cluster, s->rows[i].bucket);
}

/* The compare of one of the txn's buckets failed: which ones, the failure branch's ranges of
 * their claims say. Those buckets' rows are dropped and counted; the others' are retried. */
static void state_txn_fenced(ClusterStateStore *s, const EtcdTxnResult *res) {
        for (size_t i = s->next_row; i < s->batch_end; i++) {
                StateRow *row = &s->rows[i];
                int64_t epoch = cluster_epoch(s->cluster, row->bucket), seen = 0;

                for (size_t j = 0; j < res->n_responses; j++) {
                        const EtcdRangeResult *r = &res->responses[j];
                        if (r->n_kvs == 1 &&
                            (unsigned) atoi(r->kvs[0].key + strlen(s->claims_prefix)) ==
                                    row->bucket)
                                seen = r->kvs[0].create_revision;
                }
                if (epoch != 0 && seen == epoch && seen == row->epoch &&
                    state_store_mark_changed(s->manager->state, row->ident) >= 0)
                        cluster_state_note_write(s, row->ident, row->epoch);
                else {
                        manager_cluster_count_fenced(s->manager, "state");
                        log_warning("Not recording '%s' in etcd: bucket %u is no longer this "
                                    "member's.",
                                    row->ident, row->bucket);
                }
                s->writing[row->bucket]--;
        }
}

static void on_state_txn(EtcdClient *e, int error, const EtcdTxnResult *res, void *userdata) {
        ClusterStateStore *s = userdata;
        size_t from, to;

        if (error == -ECANCELED)
                return;
        from = s->next_row;
        to = s->batch_end;
        s->in_flight = false;
        if (error < 0) {
                log_warning_errno(error,
                                  "Could not record %zu state records in etcd (%s, %m); "
                                  "retrying.",
                                  s->n_rows - from, strna(etcd_client_error_detail(e)));
                state_rows_retry(s, from, s->n_rows);
                state_acks_requeue(s);
                state_batch_end(s);
                manager_save_failed(s->manager);
                return;
        }
        if (!res->succeeded)
                state_txn_fenced(s, res);
        else
                for (size_t i = from; i < to; i++)
                        s->writing[s->rows[i].bucket]--;
        s->next_row = to;
        state_batch_idle(s, from, to);
        if (s->next_row < s->n_rows) {
                state_txn_send(s);
                return;
        }
        /* Every row is in etcd (or was not ours): the writes are acknowledged. */
        manager_report_written(s->manager, s->acks, s->n_acks);
        s->acks = NULL;
        s->n_acks = 0;
        state_batch_end(s);
        if (state_store_pending(s->manager->state) > 0 || s->manager->n_acks > 0)
                manager_schedule_save(s->manager);
}

typedef struct StateTxn {
        char *claim_keys[STATE_TXN_OPS];
        EtcdCompare compares[STATE_TXN_OPS];
        EtcdOp ops[STATE_TXN_OPS], failure[STATE_TXN_OPS];
        unsigned buckets[STATE_TXN_OPS];
        size_t n_compares, n_ops;
} StateTxn;

static void state_txn_done(StateTxn *t) {
        for (size_t i = 0; i < t->n_compares; i++)
                free(t->claim_keys[i]);
}

/* Adds row's bucket's compare (once per bucket) and row's op; false: the txn is full. */
static int state_txn_add(ClusterStateStore *s, StateTxn *t, const StateRow *row) {
        size_t j = 0;

        while (j < t->n_compares && t->buckets[j] != row->bucket)
                j++;
        if (j == t->n_compares) {
                if (asprintf(&t->claim_keys[j], "%s%u", s->claims_prefix, row->bucket) < 0)
                        return -ENOMEM;
                t->buckets[j] = row->bucket;
                t->compares[j] = (EtcdCompare){ .key = t->claim_keys[j],
                                                .target = ETCD_COMPARE_CREATE,
                                                .result = ETCD_COMPARE_EQUAL,
                                                .number = row->epoch };
                t->failure[j] = (EtcdOp){ .type = ETCD_OP_RANGE, .key = t->claim_keys[j] };
                t->n_compares++;
        }
        t->ops[t->n_ops++] = row->value ? (EtcdOp){ .type = ETCD_OP_PUT,
                                                    .key = row->key,
                                                    .value = row->value,
                                                    .size = row->size }
                                        : (EtcdOp){ .type = ETCD_OP_DELETE, .key = row->key };
        return 0;
}

static void state_txn_send(ClusterStateStore *s) {
        _cleanup_(state_txn_done) StateTxn t = {};
        size_t i = s->next_row;
        int k = 0;

        for (; i < s->n_rows && t.n_ops < STATE_TXN_OPS && k >= 0; i++)
                k = state_txn_add(s, &t, &s->rows[i]);
        s->batch_end = i;
        s->in_flight = true;
        if (k >= 0)
                k = etcd_txn(cluster_etcd(s->cluster), t.compares, t.n_compares, t.ops, t.n_ops,
                             t.failure, t.n_compares, on_state_txn, s);
        if (k < 0)
                on_state_txn(cluster_etcd(s->cluster), k, NULL, s);
}

typedef struct WriteEpoch {
        int64_t epoch;
        char key[]; /* the map's key */
} WriteEpoch;

void cluster_state_note_write(ClusterStateStore *s, const char *key, int64_t epoch) {
        WriteEpoch *e = hashmap_get(s->write_epochs, key);

        if (!e) {
                e = malloc(offsetof(WriteEpoch, key) + strlen(key) + 1);
                if (!e)
                        return; /* then checked against the epoch of the save */
                strcpy(e->key, key);
                if (hashmap_put(s->write_epochs, e->key, e) < 0) {
                        free(e);
                        return;
                }
        }
        e->epoch = epoch;
}

/* Whether ident's record may be written under the bucket's epoch now: 1 if so (the epoch its
 * last cloud write started under, if any, is that one), 0 if it is not ours and no write of
 * ours is behind it (a record of a bucket handed over: dropped), -ESTALE if it records a write
 * and the bucket is no longer ours under that write's epoch (fenced). */
static int state_row_is_ours(ClusterStateStore *s, const char *ident, unsigned bucket) {
        int64_t now = cluster_epoch(s->cluster, bucket);
        _cleanup_free_ WriteEpoch *e = hashmap_remove(s->write_epochs, ident);

        if (now != 0 && (!e || e->epoch == now))
                return 1;
        return e ? -ESTALE : 0;
}

/* One changed record: a row of the batch if its bucket is ours, else dropped. */
static int state_collect_row(const char *ident, const char *value, size_t size, void *userdata) {
        ClusterStateStore *s = userdata;
        unsigned b = cluster_bucket_of(ident);
        StateRow *rows, *row;
        int k = state_row_is_ours(s, ident, b);

        if (k == -ESTALE) {
                manager_cluster_count_fenced(s->manager, "state");
                log_warning("Not recording '%s' in etcd: bucket %u is no longer this member's "
                            "under the claim its write started in.",
                            ident, b);
        }
        if (k <= 0)
                return 0;
        rows = reallocarray(s->rows, s->n_rows + 1, sizeof(StateRow));
        if (!rows)
                return -ENOMEM;
        s->rows = rows;
        row = &s->rows[s->n_rows];
        *row = (StateRow){ .bucket = b, .size = size, .epoch = cluster_epoch(s->cluster, b) };
        if (asprintf(&row->key, "%s%u/%s", s->state_prefix, b, ident) < 0)
                return -ENOMEM;
        row->ident = strdup(ident);
        row->value = value ? strdup(value) : NULL;
        s->n_rows++;
        s->writing[b]++;
        if (!row->ident || (value && !row->value))
                return -ENOMEM;
        return 0;
}

int cluster_state_save(ClusterStateStore *s) {
        Manager *m = s->manager;
        int k;

        if (s->in_flight)
                return 0; /* its end saves again */
        k = state_store_take_changes(m->state, state_collect_row, s);
        if (k < 0) {
                state_rows_retry(s, 0, s->n_rows);
                state_batch_end(s);
                return k;
        }
        s->acks = m->acks;
        s->n_acks = m->n_acks;
        m->acks = NULL;
        m->n_acks = 0;
        if (s->n_rows == 0) {
                /* Nothing to write: the writes were recorded by an earlier txn. */
                manager_report_written(m, s->acks, s->n_acks);
                s->acks = NULL;
                s->n_acks = 0;
                return 0;
        }
        state_txn_send(s);
        return 1;
}

bool cluster_state_busy(const ClusterStateStore *s, unsigned bucket) {
        if (!s)
                return false;
        if (s->writing[bucket] > 0)
                return true;
        for (size_t i = 0; i < s->manager->n_acks; i++)
                if (cluster_bucket_of(s->manager->acks[i]) == bucket)
                        return true;
        return false;
}

int cluster_state_new(Manager *m, Cluster *c, const ClusterConfig *cc, ClusterStateStore **ret) {
        _cleanup_(cluster_state_freep) ClusterStateStore *s = calloc(1, sizeof(ClusterStateStore));

        if (!s)
                return -ENOMEM;
        s->manager = m;
        s->cluster = c;
        s->write_epochs = hashmap_new();
        if (!s->write_epochs || cluster_etcd_prefix(cc, "state/", &s->state_prefix) < 0 ||
            cluster_etcd_prefix(cc, "claims/", &s->claims_prefix) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(s);
        return 0;
}

ClusterStateStore *cluster_state_free(ClusterStateStore *s) {
        void *v;

        if (!s)
                return NULL;
        state_batch_end(s);
        strv_free(s->acks);
        clock_timer_free(s->load_timer);
        for (size_t i = 0; hashmap_iterate(s->write_epochs, &i, NULL, &v);)
                free(v);
        hashmap_free(s->write_epochs);
        free(s->state_prefix);
        free(s->claims_prefix);
        free(s);
        return NULL;
}
