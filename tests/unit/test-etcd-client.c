/* SPDX-License-Identifier: MIT */

/* lib/etcd against a real etcd (/usr/bin/etcd, Debian's etcd-server): each group starts one
 * member on 127.0.0.1 with free ports and a temporary data directory, and kills it (by PID) at
 * the end. Skipped when etcd is not installed. Auth is set up with etcdctl. */

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/etcd.h"
#include "lib/macro.h"

#define ETCD "/usr/bin/etcd"
#define ETCDCTL "/usr/bin/etcdctl"

typedef struct EtcdServer {
        pid_t pid;
        char dir[64];
        char url[64];
        uint16_t port;
} EtcdServer;

static EtcdServer server, auth_server, tls_server;
static char tls_dir[] = "/tmp/test-etcd-tls-XXXXXX";
static char tls_ca[96], tls_cert[96], tls_key[96], tls_other_ca[96];
static sd_event *event;

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* A port nobody listens on now; bound and released (etcd binds it right after). */
static uint16_t free_port(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
        close(fd);
        return ntohs(sa.sin_port);
}

/* ---- running the loop ----------------------------------------------------------------------- */

/* Runs the loop until *done or 10 s have passed. */
static void run_until(const bool *done) {
        uint64_t deadline = now_usec() + 10000000, t;

        while (!*done && (t = now_usec()) < deadline)
                assert_true(sd_event_run(event, deadline - t) >= 0);
        assert_true(*done);
}

/* What a callback saw, copied out (results live only during the callback). */
typedef struct Got {
        bool done;
        int error;
        int64_t revision;
        size_t n_kvs;
        int64_t count;
        bool more, succeeded;
        char key[128], value[128];
        int64_t create_revision, mod_revision, version, lease;
        int64_t id, ttl;
        size_t n_responses, response_kvs;
        char version_string[32];
        int64_t db_size;
        uint64_t raft_index;
} Got;

static void got_kv(Got *g, const EtcdKeyValue *kv) {
        snprintf(g->key, sizeof(g->key), "%s", kv->key);
        snprintf(g->value, sizeof(g->value), "%.*s", (int) kv->value_size, kv->value);
        g->create_revision = kv->create_revision;
        g->mod_revision = kv->mod_revision;
        g->version = kv->version;
        g->lease = kv->lease;
}

static void on_range(EtcdClient *c, int error, const EtcdRangeResult *r, void *userdata) {
        Got *g = userdata;

        assert_false(g->done);
        g->done = true;
        g->error = error;
        if (error < 0)
                return;
        g->revision = r->header.revision;
        g->n_kvs = r->n_kvs;
        g->count = r->count;
        g->more = r->more;
        if (r->n_kvs > 0)
                got_kv(g, &r->kvs[0]);
}

static void on_header(EtcdClient *c, int error, const EtcdHeader *h, void *userdata) {
        Got *g = userdata;

        assert_false(g->done);
        g->done = true;
        g->error = error;
        if (error >= 0)
                g->revision = h->revision;
}

static void on_txn(EtcdClient *c, int error, const EtcdTxnResult *t, void *userdata) {
        Got *g = userdata;

        assert_false(g->done);
        g->done = true;
        g->error = error;
        if (error < 0)
                return;
        g->revision = t->header.revision;
        g->succeeded = t->succeeded;
        g->n_responses = t->n_responses;
        if (t->n_responses > 0 && t->responses[0].n_kvs > 0) {
                g->response_kvs = t->responses[0].n_kvs;
                got_kv(g, &t->responses[0].kvs[0]);
        }
}

static void on_lease(EtcdClient *c, int error, const EtcdLeaseResult *l, void *userdata) {
        Got *g = userdata;

        assert_false(g->done);
        g->done = true;
        g->error = error;
        if (error >= 0) {
                g->id = l->id;
                g->ttl = l->ttl;
        }
}

static void on_status(EtcdClient *c, int error, const EtcdStatusResult *s, void *userdata) {
        Got *g = userdata;

        assert_false(g->done);
        g->done = true;
        g->error = error;
        if (error >= 0) {
                snprintf(g->version_string, sizeof(g->version_string), "%s", s->version);
                g->db_size = s->db_size;
                g->raft_index = s->raft_index;
        }
}

static Got do_range(EtcdClient *c, const char *key, const char *end, int64_t rev, int64_t limit) {
        Got g = {};

        assert_int_equal(etcd_range(c, key, end, rev, limit, on_range, &g), 0);
        assert_false(g.done); /* never from inside the call */
        run_until(&g.done);
        return g;
}

static Got do_put(EtcdClient *c, const char *key, const char *value, int64_t lease) {
        Got g = {};

        assert_int_equal(etcd_put(c, key, value, strlen(value), lease, on_header, &g), 0);
        run_until(&g.done);
        return g;
}

static Got do_lease(int (*f)(EtcdClient *, int64_t, EtcdLeaseCallback, void *), EtcdClient *c,
                    int64_t arg) {
        Got g = {};

        assert_int_equal(f(c, arg, on_lease, &g), 0);
        run_until(&g.done);
        return g;
}

static EtcdClient *client_for(const char *const *endpoints, const char *user,
                              const char *password) {
        EtcdOptions o = { .endpoints = endpoints, .user = user, .password = password };
        EtcdClient *c = NULL;

        assert_int_equal(etcd_client_new(event, &o, &c), 0);
        return c;
}

/* ---- the server ----------------------------------------------------------------------------- */

static int server_start(EtcdServer *s, const char *scheme, const char *const *extra) {
        char peer[64], cluster[80];
        const char *argv[40] = { ETCD,    "--name",
                                 "m",     "--data-dir",
                                 s->dir,  "--listen-client-urls",
                                 s->url,  "--advertise-client-urls",
                                 s->url,  "--listen-peer-urls",
                                 peer,    "--initial-advertise-peer-urls",
                                 peer,    "--initial-cluster",
                                 cluster, "--heartbeat-interval",
                                 "50",    "--election-timeout",
                                 "500" };
        size_t n = 0;
        uint16_t peer_port = free_port();

        while (argv[n])
                n++;

        s->port = free_port();
        snprintf(s->dir, sizeof(s->dir), "/tmp/test-etcd-XXXXXX");
        if (!mkdtemp(s->dir))
                return -errno;
        snprintf(s->url, sizeof(s->url), "%s://127.0.0.1:%u", scheme, s->port);
        snprintf(peer, sizeof(peer), "http://127.0.0.1:%u", peer_port);
        snprintf(cluster, sizeof(cluster), "m=%s", peer);
        for (size_t i = 0; extra && extra[i] && n + 1 < ELEMENTSOF(argv); i++)
                argv[n++] = extra[i];
        argv[n] = NULL;
        s->pid = fork();
        if (s->pid < 0)
                return -errno;
        if (s->pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                dup2(null, 1);
                dup2(null, 2);
                execv(ETCD, (char *const *) argv);
                _exit(127);
        }
        return 0;
}

/* Polls /v3/maintenance/status through the client itself until etcd answers. */
static int server_wait(EtcdServer *s, const EtcdOptions *tls) {
        const char *eps[] = { s->url, NULL };
        uint64_t deadline = now_usec() + 20000000;
        EtcdOptions o = tls ? *tls : (EtcdOptions){};
        EtcdClient *c = NULL;
        Got g = {};

        o.endpoints = eps;
        assert_int_equal(etcd_client_new(event, &o, &c), 0);

        do {
                g = (Got){};
                assert_int_equal(etcd_status(c, on_status, &g), 0);
                run_until(&g.done);
                if (g.error < 0)
                        usleep(50000); /* etcd is still starting: nothing to wait on but time */
        } while (g.error < 0 && now_usec() < deadline);
        etcd_client_free(c);
        return g.error;
}

static void server_stop(EtcdServer *s) {
        char cmd[128];

        if (s->pid > 0) {
                kill(s->pid, SIGKILL);
                waitpid(s->pid, NULL, 0);
                s->pid = 0;
        }
        if (s->dir[0]) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
                assert_int_equal(system(cmd), 0);
                s->dir[0] = 0;
        }
}

static int etcdctl(const EtcdServer *s, const char *user, const char *args) {
        char cmd[512];

        snprintf(cmd, sizeof(cmd), ETCDCTL " --endpoints=%s %s%s %s >/dev/null 2>&1", s->url,
                 user ? "--user=" : "", user ?: "", args);
        return system(cmd);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static const char *const *endpoints(void) {
        static const char *eps[2];

        eps[0] = server.url;
        return eps;
}

static void test_put_range_delete(void **state) {
        EtcdClient *c = client_for(endpoints(), NULL, NULL);
        _cleanup_free_ char *end = NULL;
        Got g, d = {};

        g = do_put(c, "/t1/a", "alpha", 0);
        assert_int_equal(g.error, 0);
        assert_true(g.revision > 1);
        assert_int_equal(do_put(c, "/t1/b", "beta", 0).error, 0);
        assert_int_equal(do_put(c, "/t10", "outside", 0).error, 0);

        g = do_range(c, "/t1/a", NULL, 0, 0);
        assert_int_equal(g.error, 0);
        assert_int_equal(g.n_kvs, 1);
        assert_string_equal(g.key, "/t1/a");
        assert_string_equal(g.value, "alpha");
        assert_int_equal(g.version, 1);

        assert_int_equal(etcd_prefix_range_end("/t1/", &end), 0);
        assert_string_equal(end, "/t10");
        g = do_range(c, "/t1/", end, 0, 1);
        assert_int_equal(g.n_kvs, 1);
        assert_true(g.more);
        assert_int_equal(g.count, 2);

        g = do_range(c, "/nothing", NULL, 0, 0);
        assert_int_equal(g.error, 0);
        assert_int_equal(g.n_kvs, 0);

        assert_int_equal(etcd_delete_range(c, "/t1/", end, on_header, &d), 0);
        run_until(&d.done);
        assert_int_equal(d.error, 0);
        assert_int_equal(do_range(c, "/t1/", end, 0, 0).n_kvs, 0);
        assert_int_equal(do_range(c, "/t10", NULL, 0, 0).n_kvs, 1);
        etcd_client_free(c);
}

/* A claim: created only if absent (create revision 0), its create revision the epoch. */
static Got claim(EtcdClient *c, const char *key, const char *owner) {
        EtcdCompare cmp = { .key = key,
                            .target = ETCD_COMPARE_CREATE,
                            .result = ETCD_COMPARE_EQUAL };
        EtcdOp put = { .type = ETCD_OP_PUT, .key = key, .value = owner, .size = strlen(owner) };
        EtcdOp get = { .type = ETCD_OP_RANGE, .key = key };
        Got g = {};

        assert_int_equal(etcd_txn(c, &cmp, 1, &put, 1, &get, 1, on_txn, &g), 0);
        run_until(&g.done);
        return g;
}

static void test_txn_create_if_absent(void **state) {
        EtcdClient *c = client_for(endpoints(), NULL, NULL);
        Got first, second, fenced = {};
        int64_t epoch;

        first = claim(c, "/t2/claims/7", "host-a");
        assert_int_equal(first.error, 0);
        assert_true(first.succeeded);
        epoch = first.revision;

        second = claim(c, "/t2/claims/7", "host-b");
        assert_int_equal(second.error, 0);
        assert_false(second.succeeded);
        assert_int_equal(second.response_kvs, 1);
        assert_string_equal(second.value, "host-a");
        assert_int_equal(second.create_revision, epoch);

        /* A state write fenced by the epoch: fails once the claim was re-created. */
        EtcdCompare cmp = { .key = "/t2/claims/7",
                            .target = ETCD_COMPARE_CREATE,
                            .result = ETCD_COMPARE_EQUAL,
                            .number = epoch + 1 };
        EtcdOp put = { .type = ETCD_OP_PUT, .key = "/t2/state/7/x", .value = "s", .size = 1 };
        assert_int_equal(etcd_txn(c, &cmp, 1, &put, 1, NULL, 0, on_txn, &fenced), 0);
        run_until(&fenced.done);
        assert_int_equal(fenced.error, 0);
        assert_false(fenced.succeeded);
        assert_int_equal(do_range(c, "/t2/state/7/x", NULL, 0, 0).n_kvs, 0);
        etcd_client_free(c);
}

static void test_lease_keepalive_expiry(void **state) {
        EtcdClient *c = client_for(endpoints(), NULL, NULL);
        uint64_t deadline;
        Got g, k;

        g = do_lease(etcd_lease_grant, c, 2);
        assert_int_equal(g.error, 0);
        assert_true(g.id != 0);
        assert_int_equal(g.ttl, 2);
        assert_int_equal(do_put(c, "/t3/members/a", "up", g.id).error, 0);
        assert_int_equal(do_range(c, "/t3/members/a", NULL, 0, 0).lease, g.id);

        k = do_lease(etcd_lease_keepalive, c, g.id);
        assert_int_equal(k.error, 0);
        assert_int_equal(k.ttl, 2);

        /* No more keepalives: the lease and then its key go (the key when the leader's
         * revoke is applied, a moment after the lease reads as expired). */
        deadline = now_usec() + 6000000;
        do {
                k = do_lease(etcd_lease_time_to_live, c, g.id);
                assert_int_equal(k.error, 0);
        } while ((k.ttl > 0 || do_range(c, "/t3/members/a", NULL, 0, 0).n_kvs > 0) &&
                 now_usec() < deadline && usleep(100000) == 0);
        assert_true(k.ttl <= 0);
        assert_int_equal(do_range(c, "/t3/members/a", NULL, 0, 0).n_kvs, 0);

        /* A keepalive of an expired lease: a result with ttl ≤ 0, not an error. */
        k = do_lease(etcd_lease_keepalive, c, g.id);
        assert_int_equal(k.error, 0);
        assert_true(k.ttl <= 0);
        assert_int_equal(do_lease(etcd_lease_revoke, c, g.id).error, -ENOENT);
        etcd_client_free(c);
}

typedef struct Watched {
        unsigned messages, puts, deletes;
        int error;
        bool failed;
        int64_t last_revision, compact_revision;
        char last_key[64], last_value[64];
        bool free_in_callback;
        EtcdWatch *w;
} Watched;

static void on_watch(EtcdWatch *w, int error, const EtcdWatchResult *r, void *userdata) {
        Watched *x = userdata;

        assert_false(x->failed); /* nothing after the error */
        if (error < 0) {
                x->failed = true;
                x->error = error;
                if (r)
                        x->compact_revision = r->compact_revision;
                return;
        }
        x->messages++;
        for (size_t i = 0; i < r->n_events; i++) {
                const EtcdEvent *e = &r->events[i];

                if (e->type == ETCD_EVENT_PUT)
                        x->puts++;
                else
                        x->deletes++;
                x->last_revision = e->kv.mod_revision;
                snprintf(x->last_key, sizeof(x->last_key), "%s", e->kv.key);
                snprintf(x->last_value, sizeof(x->last_value), "%s", e->kv.value);
        }
        if (x->free_in_callback && r->n_events > 0)
                x->w = etcd_watch_free(x->w);
}

/* Runs the loop until pred holds or 10 s passed. */
static void run_while(bool (*pred)(const Watched *), const Watched *x) {
        uint64_t deadline = now_usec() + 10000000, t;

        while (pred(x) && (t = now_usec()) < deadline)
                assert_true(sd_event_run(event, deadline - t) >= 0);
}

static bool fewer_than_three_events(const Watched *x) {
        return x->puts + x->deletes < 3 && !x->failed;
}

static bool no_put_yet(const Watched *x) {
        return x->puts == 0 && !x->failed;
}

static bool not_failed(const Watched *x) {
        return !x->failed;
}

static void test_watch_list_then_watch(void **state) {
        EtcdClient *c = client_for(endpoints(), NULL, NULL);
        _cleanup_free_ char *end = NULL;
        Watched x = {};
        EtcdWatch *w = NULL;
        Got listed;

        assert_int_equal(do_put(c, "/t4/a", "1", 0).error, 0);
        assert_int_equal(etcd_prefix_range_end("/t4/", &end), 0);
        listed = do_range(c, "/t4/", end, 0, 0);
        assert_int_equal(listed.n_kvs, 1);

        /* Written between the list and the watch: the watch from revision + 1 has it. */
        assert_int_equal(do_put(c, "/t4/b", "2", 0).error, 0);
        assert_int_equal(etcd_watch_new(c, "/t4/", end, listed.revision + 1, on_watch, &x, &w), 0);
        assert_int_equal(x.messages, 0);
        assert_int_equal(do_put(c, "/t4/c", "3", 0).error, 0);
        assert_int_equal(etcd_delete_range(c, "/t4/a", NULL, on_header, &(Got){}), 0);
        assert_int_equal(do_put(c, "/t5", "outside", 0).error, 0);
        run_while(fewer_than_three_events, &x);
        assert_false(x.failed);
        assert_int_equal(x.puts, 2);
        assert_int_equal(x.deletes, 1);
        assert_string_equal(x.last_key, "/t4/a");
        assert_true(x.last_revision > listed.revision + 2);

        etcd_watch_free(w);
        etcd_client_free(c);
}

static void test_watch_compacted_is_stale(void **state) {
        EtcdClient *c = client_for(endpoints(), NULL, NULL);
        Watched x = {};
        EtcdWatch *w = NULL;
        Got p1, p2, comp = {};

        p1 = do_put(c, "/t6/a", "1", 0);
        p2 = do_put(c, "/t6/a", "2", 0);
        assert_int_equal(etcd_compact(c, p2.revision, on_header, &comp), 0);
        run_until(&comp.done);
        assert_int_equal(comp.error, 0);
        /* A range at a compacted revision fails the same way. */
        assert_int_equal(do_range(c, "/t6/a", NULL, p1.revision, 0).error, -ESTALE);

        assert_int_equal(etcd_watch_new(c, "/t6/", "/t60", p1.revision, on_watch, &x, &w), 0);
        run_while(not_failed, &x);
        assert_int_equal(x.error, -ESTALE);
        assert_int_equal(x.compact_revision, p2.revision);
        etcd_watch_free(w);
        etcd_client_free(c);
}

static void test_watch_freed_in_callback_and_by_client(void **state) {
        EtcdClient *c = client_for(endpoints(), NULL, NULL);
        Watched x = { .free_in_callback = true }, y = {};
        int64_t from = do_range(c, "/t7/a", NULL, 0, 0).revision + 1;
        EtcdWatch *w2 = NULL;

        assert_int_equal(etcd_watch_new(c, "/t7/a", NULL, from, on_watch, &x, &x.w), 0);
        assert_int_equal(etcd_watch_new(c, "/t7/a", NULL, from, on_watch, &y, &w2), 0);
        assert_int_equal(do_put(c, "/t7/a", "1", 0).error, 0);
        run_while(no_put_yet, &y);
        run_while(no_put_yet, &x);
        assert_int_equal(y.puts, 1);
        assert_null(x.w);
        assert_int_equal(x.puts, 1);
        assert_false(x.failed);

        /* The client going away ends y with -ECANCELED. */
        etcd_client_free(c);
        assert_true(y.failed);
        assert_int_equal(y.error, -ECANCELED);
        etcd_watch_free(w2);
}

/* Watches hold their connections, and a burst of kv calls fills the engine's: neither may
 * leave a put or a keepalive waiting (lib/http allows 8 connections per host and engine). */
static void test_watches_and_bursts_do_not_starve_calls(void **state) {
        EtcdClient *c = client_for(endpoints(), NULL, NULL);
        Watched x[10] = {};
        EtcdWatch *w[10] = {};
        Got burst[200] = {}, lease, k;
        int64_t from = do_range(c, "/t9/", "/t90", 0, 0).revision + 1;
        uint64_t start;

        for (size_t i = 0; i < ELEMENTSOF(w); i++)
                assert_int_equal(etcd_watch_new(c, "/t9/", "/t90", from, on_watch, &x[i], &w[i]),
                                 0);
        assert_int_equal(do_put(c, "/t9/a", "1", 0).error, 0);
        for (size_t i = 0; i < ELEMENTSOF(w); i++) {
                run_while(no_put_yet, &x[i]);
                assert_int_equal(x[i].puts, 1);
        }

        lease = do_lease(etcd_lease_grant, c, 5);
        assert_int_equal(lease.error, 0);
        for (size_t i = 0; i < ELEMENTSOF(burst); i++)
                assert_int_equal(etcd_range(c, "/t9/a", NULL, 0, 0, on_range, &burst[i]), 0);
        start = now_usec();
        k = do_lease(etcd_lease_keepalive, c, lease.id);
        assert_int_equal(k.error, 0);
        assert_false(burst[ELEMENTSOF(burst) - 1].done); /* it overtook the burst */
        assert_true(now_usec() - start < 1000000);
        run_until(&burst[ELEMENTSOF(burst) - 1].done);
        for (size_t i = 0; i < ELEMENTSOF(w); i++)
                etcd_watch_free(w[i]);
        etcd_client_free(c);
}

static void test_rotation_past_dead_endpoint(void **state) {
        char dead[64];
        const char *eps[] = { dead, server.url, NULL };
        EtcdClient *c;
        Got g;

        snprintf(dead, sizeof(dead), "http://127.0.0.1:%u", free_port());
        c = client_for(eps, NULL, NULL);
        assert_string_equal(etcd_client_endpoint(c), dead);
        g = do_put(c, "/t8", "x", 0);
        assert_int_equal(g.error, 0);
        assert_string_equal(etcd_client_endpoint(c), server.url);
        etcd_client_free(c);

        /* Every endpoint dead: the last one's error. */
        eps[1] = dead;
        c = client_for(eps, NULL, NULL);
        assert_int_equal(do_range(c, "/t8", NULL, 0, 0).error, -ECONNREFUSED);
        etcd_client_free(c);
}

static void test_auth_user_password(void **state) {
        const char *eps[] = { auth_server.url, NULL };
        EtcdClient *c, *bad, *anon;
        Watched x = {};
        EtcdWatch *w = NULL;
        Got g;

        if (auth_server.pid <= 0)
                skip();
        assert_int_equal(etcdctl(&auth_server, NULL, "user add root:rootpw"), 0);
        assert_int_equal(etcdctl(&auth_server, NULL, "user grant-role root root"), 0);
        assert_int_equal(etcdctl(&auth_server, NULL, "role add rw"), 0);
        assert_int_equal(etcdctl(&auth_server, NULL,
                                 "role grant-permission rw --prefix=true readwrite /asyncfg/"),
                         0);
        assert_int_equal(etcdctl(&auth_server, NULL, "user add asyncfg:s3cret"), 0);
        assert_int_equal(etcdctl(&auth_server, NULL, "user grant-role asyncfg rw"), 0);
        assert_int_equal(etcdctl(&auth_server, NULL, "auth enable"), 0);

        c = client_for(eps, "asyncfg", "s3cret");
        assert_int_equal(do_put(c, "/asyncfg/x", "1", 0).error, 0);
        assert_string_equal(do_range(c, "/asyncfg/x", NULL, 0, 0).value, "1");
        assert_int_equal(do_put(c, "/elsewhere", "1", 0).error, -EACCES);

        /* The token expires (--auth-token-ttl 1): gRPC 16, authenticated again, retried. */
        usleep(2500000); /* the server's token TTL is the thing being tested */
        g = do_range(c, "/asyncfg/x", NULL, 0, 0);
        assert_int_equal(g.error, 0);
        assert_string_equal(g.value, "1");

        /* A watch authenticates too (from a revision: a put racing a watch "from now" may
         * come first). */
        g = do_range(c, "/asyncfg/x", NULL, 0, 0);
        assert_int_equal(
                etcd_watch_new(c, "/asyncfg/", "/asyncfg0", g.revision + 1, on_watch, &x, &w), 0);
        assert_int_equal(do_put(c, "/asyncfg/y", "2", 0).error, 0);
        run_while(no_put_yet, &x);
        assert_false(x.failed);
        assert_int_equal(x.puts, 1);
        assert_string_equal(x.last_value, "2");
        etcd_watch_free(w);
        etcd_client_free(c);

        /* Twenty calls at once on a new client share one authentication (bcrypt costs etcd
         * tens of milliseconds each): the raft index moves by exactly one. */
        {
                Got before = {}, after = {}, calls[20] = {};

                c = client_for(eps, "asyncfg", "s3cret");
                assert_int_equal(etcd_status(c, on_status, &before), 0);
                run_until(&before.done);
                etcd_client_free(c);
                c = client_for(eps, "asyncfg", "s3cret");
                for (size_t i = 0; i < ELEMENTSOF(calls); i++)
                        assert_int_equal(
                                etcd_range(c, "/asyncfg/x", NULL, 0, 0, on_range, &calls[i]), 0);
                for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
                        run_until(&calls[i].done);
                        assert_int_equal(calls[i].error, 0);
                }
                assert_int_equal(etcd_status(c, on_status, &after), 0);
                run_until(&after.done);
                assert_int_equal(after.raft_index - before.raft_index, 1);
                etcd_client_free(c);
        }

        bad = client_for(eps, "asyncfg", "wrong");
        assert_int_equal(do_range(bad, "/asyncfg/x", NULL, 0, 0).error, -EACCES);
        etcd_client_free(bad);

        anon = client_for(eps, NULL, NULL);
        assert_true(do_range(anon, "/asyncfg/x", NULL, 0, 0).error < 0);
        etcd_client_free(anon);
}

/* A CA, a server certificate for 127.0.0.1 and a client certificate, both signed by it, and
 * another CA that signed neither. */
static int make_certificates(void) {
        char cmd[2048];

        if (!mkdtemp(tls_dir))
                return -1;
        snprintf(tls_ca, sizeof(tls_ca), "%s/ca.pem", tls_dir);
        snprintf(tls_cert, sizeof(tls_cert), "%s/client.pem", tls_dir);
        snprintf(tls_key, sizeof(tls_key), "%s/client.key", tls_dir);
        snprintf(tls_other_ca, sizeof(tls_other_ca), "%s/other.pem", tls_dir);
        snprintf(
                cmd, sizeof(cmd),
                "set -e; cd '%s'; exec 2>/dev/null >/dev/null;"
                "EC='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';"
                "openssl req -x509 $EC -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca;"
                "openssl req -x509 $EC -keyout other.key -out other.pem -days 2 -subj /CN=other;"
                "openssl req $EC -keyout server.key -out server.csr -subj /CN=127.0.0.1;"
                "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth,clientAuth\\n' > s.cnf;"
                "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
                "  -out server.pem -days 2 -extfile s.cnf;"
                "openssl req $EC -keyout client.key -out client.csr -subj /CN=asyncfg;"
                "printf 'extendedKeyUsage=clientAuth\\n' > c.cnf;"
                "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
                "  -out client.pem -days 2 -extfile c.cnf",
                tls_dir);
        return system(cmd) == 0 ? 0 : -1;
}

static const char *const *tls_server_args(void) {
        static char cert[96], key[96];
        static const char *args[] = {
                "--cert-file",       cert,   "--key-file", key, "--client-cert-auth",
                "--trusted-ca-file", tls_ca, NULL
        };

        snprintf(cert, sizeof(cert), "%s/server.pem", tls_dir);
        snprintf(key, sizeof(key), "%s/server.key", tls_dir);
        return args;
}

static Got tls_put(const char *ca, const char *cert, const char *key) {
        const char *eps[] = { tls_server.url, NULL };
        EtcdOptions o = { .endpoints = eps, .ca_file = ca, .cert_file = cert, .key_file = key };
        EtcdClient *c = NULL;
        Got g;

        assert_int_equal(etcd_client_new(event, &o, &c), 0);
        g = do_put(c, "/tls", "x", 0);
        etcd_client_free(c);
        return g;
}

static void test_tls_client_certificate(void **state) {
        if (tls_server.pid <= 0)
                skip();
        assert_int_equal(tls_put(tls_ca, tls_cert, tls_key).error, 0);
        /* No client certificate: etcd's --client-cert-auth refuses the handshake. */
        assert_true(tls_put(tls_ca, NULL, NULL).error < 0);
        /* A server certificate of a CA we do not trust. */
        assert_int_equal(tls_put(tls_other_ca, tls_cert, tls_key).error, -EKEYREJECTED);
}

static void test_invalid_options(void **state) {
        const char *none[] = { NULL }, *ftp[] = { "ftp://x", NULL };
        EtcdOptions o = { .endpoints = none };
        EtcdClient *c = NULL;

        assert_int_equal(etcd_client_new(event, &o, &c), -EINVAL);
        o.endpoints = ftp;
        assert_int_equal(etcd_client_new(event, &o, &c), -EINVAL);
        assert_null(c);
}

static int group_setup(void **state) {
        if (access(ETCD, X_OK) < 0 || access(ETCDCTL, X_OK) < 0) {
                fprintf(stderr, "test-etcd-client: no %s, skipped\n", ETCD);
                return 0;
        }
        assert_int_equal(sd_event_new(&event), 0);
        assert_int_equal(server_start(&server, "http", NULL), 0);
        assert_int_equal(server_start(&auth_server, "http",
                                      (const char *const[]){ "--auth-token-ttl", "1", NULL }),
                         0);
        if (make_certificates() == 0)
                assert_int_equal(server_start(&tls_server, "https", tls_server_args()), 0);
        assert_int_equal(server_wait(&server, NULL), 0);
        assert_int_equal(server_wait(&auth_server, NULL), 0);
        if (tls_server.pid > 0)
                assert_int_equal(server_wait(&tls_server, &(EtcdOptions){ .ca_file = tls_ca,
                                                                          .cert_file = tls_cert,
                                                                          .key_file = tls_key }),
                                 0);
        return 0;
}

static int group_teardown(void **state) {
        server_stop(&server);
        server_stop(&auth_server);
        server_stop(&tls_server);
        if (tls_ca[0]) {
                char cmd[128];

                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tls_dir);
                assert_int_equal(system(cmd), 0);
        }
        event = sd_event_unref(event);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_invalid_options),
                cmocka_unit_test(test_put_range_delete),
                cmocka_unit_test(test_txn_create_if_absent),
                cmocka_unit_test(test_lease_keepalive_expiry),
                cmocka_unit_test(test_watch_list_then_watch),
                cmocka_unit_test(test_watch_compacted_is_stale),
                cmocka_unit_test(test_watch_freed_in_callback_and_by_client),
                cmocka_unit_test(test_watches_and_bursts_do_not_starve_calls),
                cmocka_unit_test(test_rotation_past_dead_endpoint),
                cmocka_unit_test(test_auth_user_password),
                cmocka_unit_test(test_tls_client_certificate),
        };

        if (access(ETCD, X_OK) < 0)
                return 0; /* nothing to test against */
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
