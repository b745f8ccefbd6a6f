/* SPDX-License-Identifier: MIT */

/* The alert engine (reconciler/daemon/alerts.h) and its sinks (alert-sink.h) on a fake clock, with the
 * deliveries going through lib/http to a libmicrohttpd receiver on 127.0.0.1 that records every
 * POST (headers and body) and answers with scripted status codes. The payload shapes of the
 * three back ends are checked exactly, by formatting a fixed message. */

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <cmocka.h>

#include "lib/crypto.h"
#include "lib/log.h"
#include "reconciler/daemon/alert-sink.h"
#include "reconciler/daemon/alerts.h"
#include "tests/unit/mhd-upload.h"

#define MAX_SEEN 64
#define SECRET "s3cr3t-hmac-key"

typedef struct Seen {
        char url[256];
        char timestamp[64];
        char signature[128];
        char content_type[64];
        char *body;
} Seen;

static struct {
        struct MHD_Daemon *daemon;
        uint16_t port;
        pthread_mutex_t lock;
        unsigned script[MAX_SEEN]; /* status codes to answer, in order; then 200 */
        unsigned n_script, next;
        Seen seen[MAX_SEEN];
        unsigned n_seen;
} srv;

static void copy_header(struct MHD_Connection *c, const char *name, char *dst, size_t size) {
        const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

        snprintf(dst, size, "%s", v ?: "");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls) {
        Upload *u;
        unsigned status = 200;
        struct MHD_Response *resp;
        enum MHD_Result ret;

        if (mhd_upload_step(con_cls, upload_data, upload_data_size, &u, &ret))
                return ret;
        pthread_mutex_lock(&srv.lock);
        if (srv.n_seen < MAX_SEEN) {
                Seen *s = &srv.seen[srv.n_seen++];
                snprintf(s->url, sizeof(s->url), "%s %s", method, url);
                copy_header(conn, "X-Asyncfg-Timestamp", s->timestamp, sizeof(s->timestamp));
                copy_header(conn, "X-Asyncfg-Signature", s->signature, sizeof(s->signature));
                copy_header(conn, "Content-Type", s->content_type, sizeof(s->content_type));
                s->body = strdup(u->data ?: "");
        }
        if (srv.next < srv.n_script)
                status = srv.script[srv.next++];
        pthread_mutex_unlock(&srv.lock);
        resp = MHD_create_response_from_buffer(2, (void *) "ok", MHD_RESPMEM_PERSISTENT);
        ret = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static int server_start(void **state) {
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

        pthread_mutex_init(&srv.lock, NULL);
        srv.daemon = MHD_start_daemon(
                MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
                handler, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED,
                mhd_upload_completed, NULL, MHD_OPTION_END);
        if (!srv.daemon)
                return -1;
        srv.port = MHD_get_daemon_info(srv.daemon, MHD_DAEMON_INFO_BIND_PORT)->port;
        return 0;
}

static void server_reset(const unsigned *script, unsigned n) {
        pthread_mutex_lock(&srv.lock);
        for (unsigned i = 0; i < srv.n_seen; i++)
                free(srv.seen[i].body);
        memset(srv.seen, 0, sizeof(srv.seen));
        srv.n_seen = 0;
        if (n > 0)
                memcpy(srv.script, script, n * sizeof(unsigned));
        srv.n_script = n;
        srv.next = 0;
        pthread_mutex_unlock(&srv.lock);
}

static int server_stop(void **state) {
        server_reset(NULL, 0);
        MHD_stop_daemon(srv.daemon);
        return 0;
}

static unsigned n_seen(void) {
        pthread_mutex_lock(&srv.lock);
        unsigned n = srv.n_seen;
        pthread_mutex_unlock(&srv.lock);
        return n;
}

/* The i-th POST's body as JSON (asserted valid). */
static json_t *seen_json(unsigned i) {
        json_error_t err;
        json_t *j;

        assert_true(i < n_seen());
        j = json_loads(srv.seen[i].body, 0, &err);
        assert_non_null(j);
        return j;
}

static const char *jstr(const json_t *o, const char *path) {
        return json_string_value(json_object_get(o, path));
}

/* ---- the engine's environment -------------------------------------------------------------- */

typedef struct Env {
        sd_event *event;
        HttpEngine *http;
        Clock *clock;
        Alerts *alerts;
        unsigned sent[_ALERT_STATUS_MAX], dropped[_ALERT_STATUS_MAX];
} Env;

static void on_delivery(const char *sink, AlertStatus status, bool sent, void *userdata) {
        Env *env = userdata;

        if (sent)
                env->sent[status]++;
        else
                env->dropped[status]++;
}

static void env_new(Env *env, AlertType type, const char *secret, const AlertPolicy *policy) {
        char url[128];
        AlertConfig cfg = {
                .name = (char *) "sink", .type = type, .url = url, .secret = (char *) secret
        };

        *env = (Env){};
        snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook/", srv.port);
        server_reset(NULL, 0);
        assert_int_equal(sd_event_new(&env->event), 0);
        assert_int_equal(http_engine_new(env->event, NULL, &env->http), 0);
        assert_int_equal(clock_new_fake(1000 * USEC_PER_SEC, &env->clock), 0);
        assert_int_equal(alerts_new(env->clock, env->http, &cfg, 1, policy, &env->alerts), 0);
        alerts_set_observer(env->alerts, on_delivery, env);
}

static void env_free(Env *env) {
        alerts_free(env->alerts);
        http_engine_free(env->http);
        clock_free(env->clock);
        sd_event_unref(env->event);
}

/* Runs the loop until nothing is pending (at most 5 s), then checks the count of POSTs. */
static void settle(Env *env, unsigned expected_posts) {
        for (unsigned i = 0;
             i < 500 && (alerts_pending(env->alerts) > 0 || http_engine_in_flight(env->http) > 0);
             i++)
                assert_true(sd_event_run(env->event, 10 * 1000) >= 0);
        assert_int_equal(alerts_pending(env->alerts), 0);
        assert_int_equal(n_seen(), expected_posts);
}

static char *labels[] = { "team", "payments", "app.kubernetes.io/name", "orders", NULL };

static const AlertSubject subject = {
        .key = "aws/prod/orders/$LATEST",
        .name = "orders",
        .provider = "aws",
        .account = "prod",
        .function = "orders",
        .qualifier = "$LATEST",
        .file = "/etc/asyncfg/desired.d/orders.yaml",
        .line = 3,
        .labels = labels,
};

#define DRIFT_A "maxRetryAttempts=0->1"
#define DRIFT_B "maxRetryAttempts=2->1"

/* ---- tests --------------------------------------------------------------------------------- */

static void test_fire_after_n(void **state) {
        AlertFiring firing;
        Env env;
        json_t *j, *res;

        env_new(&env, ALERT_TYPE_WEBHOOK, NULL, NULL);
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_DRIFT, DRIFT_A,
                                        "live differs", NULL),
                         0);
        settle(&env, 0); /* no alert before N = 2 */
        assert_false(alerts_is_firing(env.alerts, &subject, ALERT_KIND_DRIFT));
        assert_int_equal(alerts_get_count(env.alerts, &subject, ALERT_KIND_DRIFT), 1);
        firing = (AlertFiring){ .since = 7 };
        assert_false(alerts_get_firing(env.alerts, &subject, ALERT_KIND_DRIFT, &firing));
        assert_int_equal(firing.since, 7); /* untouched when not firing */
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_DRIFT, DRIFT_A,
                                        "live differs", NULL),
                         1);
        settle(&env, 1);
        assert_true(alerts_is_firing(env.alerts, &subject, ALERT_KIND_DRIFT));
        assert_true(alerts_get_firing(env.alerts, &subject, ALERT_KIND_DRIFT, &firing));
        assert_false(alerts_get_firing(env.alerts, &subject, ALERT_KIND_ERROR, &firing));
        assert_string_equal(srv.seen[0].url, "POST /hook/");
        assert_string_equal(srv.seen[0].content_type, "application/json");
        assert_string_equal(srv.seen[0].signature, ""); /* no secret, no signature */
        j = seen_json(0);
        assert_string_equal(jstr(j, "status"), "firing");
        assert_string_equal(jstr(j, "kind"), "drift");
        assert_string_equal(jstr(j, "summary"), "live differs");
        assert_string_equal(jstr(j, "fingerprint"),
                            alerts_get_fingerprint(env.alerts, &subject, ALERT_KIND_DRIFT));
        assert_int_equal(strlen(jstr(j, "fingerprint")), ALERT_FINGERPRINT_LEN);
        assert_non_null(jstr(j, "startsAt"));
        assert_string_equal(firing.fingerprint, jstr(j, "fingerprint"));
        assert_true(firing.since > 1700000000ull * USEC_PER_SEC);
        {
                char want[32];
                time_t t = (time_t) (firing.since / USEC_PER_SEC);
                strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", gmtime(&t));
                assert_memory_equal(jstr(j, "startsAt"), want, strlen(want));
        }
        assert_int_equal(strlen(jstr(j, "startsAt")), strlen("2024-01-01T00:00:00.000Z"));
        assert_null(json_object_get(j, "endsAt"));
        assert_true(json_is_array(json_object_get(j, "fields")));
        res = json_object_get(j, "resource");
        assert_string_equal(jstr(res, "name"), "orders");
        assert_string_equal(jstr(res, "qualifier"), "$LATEST");
        assert_int_equal(json_integer_value(json_object_get(res, "line")), 3);
        assert_string_equal(jstr(json_object_get(res, "labels"), "team"), "payments");
        assert_int_equal(env.sent[ALERT_STATUS_FIRING], 1);
        /* A third detection of the same content: nothing more. */
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_DRIFT, DRIFT_A,
                                        "live differs", NULL),
                         0);
        settle(&env, 1);
        json_decref(j);
        env_free(&env);
}

static void test_error_after_and_clear_resets(void **state) {
        Env env;

        env_new(&env, ALERT_TYPE_WEBHOOK, NULL, &(AlertPolicy){ .error_after = 3 });
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_ERROR,
                                        "get/auth/403/AccessDenied", "get failed: auth", NULL),
                         0);
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_ERROR,
                                        "get/auth/403/AccessDenied", "get failed: auth", NULL),
                         0);
        /* A success in between: consecutive means consecutive. Nothing had fired: no resolved. */
        assert_int_equal(alerts_clear(env.alerts, &subject, ALERT_KIND_ERROR), 0);
        assert_int_equal(alerts_get_count(env.alerts, &subject, ALERT_KIND_ERROR), 0);
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_ERROR,
                                        "get/auth/403/AccessDenied", "get failed: auth", NULL),
                         0);
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_ERROR,
                                        "get/auth/403/AccessDenied", "get failed: auth", NULL),
                         0);
        settle(&env, 0);
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_ERROR,
                                        "get/auth/403/AccessDenied", "get failed: auth", NULL),
                         1);
        settle(&env, 1);
        json_t *j = seen_json(0);
        assert_string_equal(jstr(j, "kind"), "error");
        json_decref(j);
        /* The drift state of the same resource is separate. */
        assert_false(alerts_is_firing(env.alerts, &subject, ALERT_KIND_DRIFT));
        env_free(&env);
}

static void test_dedupe_on_content(void **state) {
        Env env;
        char fp_a[ALERT_FINGERPRINT_LEN + 1];
        json_t *r, *f;

        env_new(&env, ALERT_TYPE_WEBHOOK, NULL, &(AlertPolicy){ .fire_after = 1 });
        assert_int_equal(
                alerts_observe(env.alerts, &subject, ALERT_KIND_DRIFT, DRIFT_A, "text one", NULL),
                1);
        settle(&env, 1);
        snprintf(fp_a, sizeof(fp_a), "%s",
                 alerts_get_fingerprint(env.alerts, &subject, ALERT_KIND_DRIFT));
        /* Same content twice, and same content with another message text: no new alert. */
        assert_int_equal(
                alerts_observe(env.alerts, &subject, ALERT_KIND_DRIFT, DRIFT_A, "text one", NULL),
                0);
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_DRIFT, DRIFT_A,
                                        "another text", NULL),
                         0);
        settle(&env, 1);
        assert_string_equal(alerts_get_fingerprint(env.alerts, &subject, ALERT_KIND_DRIFT), fp_a);
        /* Content change: the old alert resolved, a new one fired, in that order. */
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_DRIFT, DRIFT_B,
                                        "another text", NULL),
                         1);
        settle(&env, 3);
        r = seen_json(1);
        f = seen_json(2);
        assert_string_equal(jstr(r, "status"), "resolved");
        assert_string_equal(jstr(r, "fingerprint"), fp_a);
        assert_non_null(jstr(r, "endsAt"));
        assert_string_equal(jstr(f, "status"), "firing");
        assert_string_not_equal(jstr(f, "fingerprint"), fp_a);
        assert_string_equal(jstr(f, "fingerprint"),
                            alerts_get_fingerprint(env.alerts, &subject, ALERT_KIND_DRIFT));
        /* The fingerprint depends on content and subject only: stable, and per resource. */
        AlertSubject other = subject;
        other.key = "aws/prod/other/$LATEST";
        assert_int_equal(
                alerts_observe(env.alerts, &other, ALERT_KIND_DRIFT, DRIFT_A, "text one", NULL), 1);
        assert_string_not_equal(alerts_get_fingerprint(env.alerts, &other, ALERT_KIND_DRIFT), fp_a);
        settle(&env, 4);
        json_decref(r);
        json_decref(f);
        env_free(&env);
}

static void test_reminder_and_resolved(void **state) {
        Env env;
        json_t *first, *again, *res;

        env_new(&env, ALERT_TYPE_WEBHOOK, NULL,
                &(AlertPolicy){ .fire_after = 1, .remind_every = 10 * USEC_PER_MINUTE });
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_DRIFT, DRIFT_A, "s", NULL),
                         1);
        settle(&env, 1);
        assert_int_equal(clock_fake_next(env.clock), 1000 * USEC_PER_SEC + 10 * USEC_PER_MINUTE);
        assert_int_equal(clock_fake_advance(env.clock, 10 * USEC_PER_MINUTE - 1), 0);
        settle(&env, 1);
        assert_int_equal(clock_fake_advance(env.clock, 1), 1);
        settle(&env, 2);
        first = seen_json(0);
        again = seen_json(1);
        assert_string_equal(jstr(again, "status"), "firing");
        assert_string_equal(jstr(again, "fingerprint"), jstr(first, "fingerprint"));
        assert_string_equal(jstr(again, "startsAt"), jstr(first, "startsAt"));
        /* And every R after that, one timer for all. */
        assert_int_equal(clock_fake_advance(env.clock, 10 * USEC_PER_MINUTE), 1);
        settle(&env, 3);
        assert_int_equal(alerts_clear(env.alerts, &subject, ALERT_KIND_DRIFT), 1);
        settle(&env, 4);
        res = seen_json(3);
        assert_string_equal(jstr(res, "status"), "resolved");
        assert_string_equal(jstr(res, "fingerprint"), jstr(first, "fingerprint"));
        assert_non_null(jstr(res, "endsAt"));
        /* Resolved: no more reminders, no state. */
        assert_int_equal(clock_fake_next(env.clock), USEC_INFINITY);
        assert_null(alerts_get_fingerprint(env.alerts, &subject, ALERT_KIND_DRIFT));
        assert_int_equal(alerts_clear(env.alerts, &subject, ALERT_KIND_DRIFT), 0);
        assert_int_equal(env.sent[ALERT_STATUS_FIRING], 3);
        assert_int_equal(env.sent[ALERT_STATUS_RESOLVED], 1);
        json_decref(first);
        json_decref(again);
        json_decref(res);
        env_free(&env);
}

static void test_forget_resolves(void **state) {
        Env env;

        env_new(&env, ALERT_TYPE_WEBHOOK, NULL, &(AlertPolicy){ .fire_after = 1 });
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_ERROR, "x", "s", NULL), 0);
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_DRIFT, DRIFT_A, "s", NULL),
                         1);
        settle(&env, 1);
        assert_int_equal(alerts_forget(env.alerts, &subject), 1);
        settle(&env, 2);
        json_t *j = seen_json(1);
        assert_string_equal(jstr(j, "status"), "resolved");
        assert_string_equal(jstr(j, "kind"), "drift");
        json_decref(j);
        assert_int_equal(alerts_get_count(env.alerts, &subject, ALERT_KIND_ERROR), 0);
        assert_int_equal(clock_fake_next(env.clock), USEC_INFINITY);
        env_free(&env);
}

static void test_webhook_hmac(void **state) {
        Env env;
        char expect[CRYPTO_SHA256_HEX_SIZE + 7];
        _cleanup_free_ char *msg = NULL;
        char hex[CRYPTO_SHA256_HEX_SIZE];
        long long ts;

        env_new(&env, ALERT_TYPE_WEBHOOK, SECRET, &(AlertPolicy){ .fire_after = 1 });
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_DRIFT, DRIFT_A, "s", NULL),
                         1);
        settle(&env, 1);
        /* The receiver's check: HMAC-SHA256(secret, timestamp "." body), timestamp recent. */
        ts = atoll(srv.seen[0].timestamp);
        assert_true(llabs(ts - (long long) time(NULL)) < 60);
        assert_true(asprintf(&msg, "%s.%s", srv.seen[0].timestamp, srv.seen[0].body) > 0);
        assert_int_equal(crypto_hmac_sha256_hex(SECRET, strlen(SECRET), msg, strlen(msg), hex), 0);
        snprintf(expect, sizeof(expect), "sha256=%s", hex);
        assert_string_equal(srv.seen[0].signature, expect);
        assert_true(crypto_streq_consttime(srv.seen[0].signature, expect));
        /* A tampered body or an old timestamp does not verify. */
        msg[strlen(msg) - 2] ^= 1;
        assert_int_equal(crypto_hmac_sha256_hex(SECRET, strlen(SECRET), msg, strlen(msg), hex), 0);
        assert_string_not_equal(srv.seen[0].signature + 7, hex);
        /* The secret is in no payload. */
        assert_null(strstr(srv.seen[0].body, SECRET));
        assert_null(strstr(srv.seen[0].timestamp, SECRET));
        env_free(&env);
}

static void test_retry_then_drop(void **state) {
        static const unsigned fail4[] = { 500, 503, 502, 500 };
        Env env;

        env_new(&env, ALERT_TYPE_WEBHOOK, NULL, &(AlertPolicy){ .fire_after = 1 });
        server_reset(fail4, 4);
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_DRIFT, DRIFT_A, "s", NULL),
                         1);
        for (unsigned attempt = 1; attempt <= ALERT_SINK_ATTEMPTS; attempt++) {
                for (unsigned i = 0; i < 500 && n_seen() < attempt; i++)
                        assert_true(sd_event_run(env.event, 10 * 1000) >= 0);
                assert_int_equal(n_seen(), attempt);
                /* Let the answer arrive, then the backoff timer (≤ 30 s) fire. */
                for (unsigned i = 0; i < 500 && http_engine_in_flight(env.http) > 0; i++)
                        assert_true(sd_event_run(env.event, 10 * 1000) >= 0);
                if (attempt < ALERT_SINK_ATTEMPTS) {
                        assert_int_equal(alerts_pending(env.alerts), 1);
                        assert_int_equal(clock_fake_advance(env.clock, ALERT_SINK_BACKOFF_CAP), 1);
                }
        }
        settle(&env, ALERT_SINK_ATTEMPTS); /* dropped: nothing pending, no fifth try */
        assert_int_equal(env.dropped[ALERT_STATUS_FIRING], 1);
        assert_int_equal(env.sent[ALERT_STATUS_FIRING], 0);
        for (unsigned i = 1; i < ALERT_SINK_ATTEMPTS; i++)
                assert_string_equal(srv.seen[i].body, srv.seen[0].body);
        /* The next notification goes through. */
        assert_int_equal(alerts_clear(env.alerts, &subject, ALERT_KIND_DRIFT), 1);
        settle(&env, ALERT_SINK_ATTEMPTS + 1);
        assert_int_equal(env.sent[ALERT_STATUS_RESOLVED], 1);
        env_free(&env);
}

static void test_retry_then_success_and_4xx_dropped(void **state) {
        static const unsigned script[] = { 503, 200, 400 };
        Env env;

        env_new(&env, ALERT_TYPE_WEBHOOK, NULL, &(AlertPolicy){ .fire_after = 1 });
        server_reset(script, 3);
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_DRIFT, DRIFT_A, "s", NULL),
                         1);
        for (unsigned i = 0; i < 500 && (n_seen() < 1 || http_engine_in_flight(env.http) > 0); i++)
                assert_true(sd_event_run(env.event, 10 * 1000) >= 0);
        assert_int_equal(clock_fake_advance(env.clock, ALERT_SINK_BACKOFF_CAP), 1);
        settle(&env, 2);
        assert_int_equal(env.sent[ALERT_STATUS_FIRING], 1);
        /* A 400 is not retried. */
        assert_int_equal(alerts_clear(env.alerts, &subject, ALERT_KIND_DRIFT), 1);
        settle(&env, 3);
        assert_int_equal(env.dropped[ALERT_STATUS_RESOLVED], 1);
        assert_int_equal(clock_fake_next(env.clock), USEC_INFINITY);
        env_free(&env);
}

static void test_delivery_order_and_no_blocking(void **state) {
        Env env;

        /* Many notifications at once: all queued, delivered one by one, in order. */
        env_new(&env, ALERT_TYPE_WEBHOOK, NULL, &(AlertPolicy){ .fire_after = 1 });
        for (unsigned i = 0; i < 10; i++) {
                char key[32];
                AlertSubject s = subject;

                snprintf(key, sizeof(key), "k%u", i);
                s.key = key;
                assert_int_equal(
                        alerts_observe(env.alerts, &s, ALERT_KIND_DRIFT, DRIFT_A, "s", NULL), 1);
                assert_int_equal(alerts_clear(env.alerts, &s, ALERT_KIND_DRIFT), 1);
        }
        assert_int_equal(alerts_pending(env.alerts), 20);
        settle(&env, 20);
        for (unsigned i = 0; i < 20; i++) {
                json_t *j = seen_json(i);
                assert_string_equal(jstr(j, "status"), i % 2 ? "resolved" : "firing");
                json_decref(j);
        }
        env_free(&env);
}

static void test_alertmanager_delivery(void **state) {
        Env env;
        json_t *j;

        env_new(&env, ALERT_TYPE_ALERTMANAGER, NULL, &(AlertPolicy){ .fire_after = 1 });
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_ERROR, "x", "s", NULL), 0);
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_ERROR, "x", "s", NULL), 0);
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_ERROR, "x", "s", NULL), 1);
        settle(&env, 1);
        assert_string_equal(srv.seen[0].url, "POST /hook/api/v2/alerts");
        j = seen_json(0);
        assert_true(json_is_array(j));
        assert_string_equal(jstr(json_object_get(json_array_get(j, 0), "labels"), "alertname"),
                            "AsyncfgError");
        /* Firing: endsAt is the expiry, later than startsAt. */
        assert_true(strcmp(jstr(json_array_get(j, 0), "endsAt"),
                           jstr(json_array_get(j, 0), "startsAt")) > 0);
        json_decref(j);
        env_free(&env);
}

static void test_reconfigure(void **state) {
        Env env;
        char url[128];

        env_new(&env, ALERT_TYPE_WEBHOOK, NULL, &(AlertPolicy){ .fire_after = 1 });
        snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook/", srv.port);
        AlertConfig two[] = {
                { .name = (char *) "sink", .type = ALERT_TYPE_WEBHOOK, .url = url },
                { .name = (char *) "am", .type = ALERT_TYPE_ALERTMANAGER, .url = url },
        };
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_DRIFT, DRIFT_A, "s", NULL),
                         1);
        assert_int_equal(alerts_reconfigure(env.alerts, two, 2, &(AlertPolicy){ .fire_after = 3 }),
                         0);
        settle(&env, 1); /* the kept sink kept its queue; the new one starts empty */
        /* State kept; the new policy applies to new conditions. */
        assert_true(alerts_is_firing(env.alerts, &subject, ALERT_KIND_DRIFT));
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_ERROR, "e", "s", NULL), 0);
        assert_int_equal(alerts_clear(env.alerts, &subject, ALERT_KIND_DRIFT), 1);
        settle(&env, 3); /* both sinks */
        /* A bad type changes nothing. */
        AlertConfig bad = { .name = (char *) "x", .type = _ALERT_TYPE_MAX, .url = url };
        assert_int_equal(alerts_reconfigure(env.alerts, &bad, 1, NULL), -EINVAL);
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_DRIFT, DRIFT_B, "s", NULL),
                         0);
        assert_int_equal(alerts_reconfigure(env.alerts, NULL, 0, NULL), 0);
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_DRIFT, DRIFT_B, "s", NULL),
                         1);
        settle(&env, 3); /* no sinks: the journal only */
        env_free(&env);
}

/* ---- payload shapes, exactly ---------------------------------------------------------------- */

static AlertMessage fixed_message(AlertStatus status, json_t *fields) {
        return (AlertMessage){
                .kind = ALERT_KIND_DRIFT,
                .status = status,
                .subject = &subject,
                .summary = "maxRetryAttempts: 0 → 1 <&>",
                .fields = fields,
                .fingerprint = "0123456789abcdef",
                .starts_at = 1714564800123456ULL, /* 2024-05-01T12:00:00.123Z */
                .ends_at = status == ALERT_STATUS_RESOLVED ? 1714568400000000ULL : 0,
                .expires_at = status == ALERT_STATUS_FIRING ? 1714575600000000ULL : 0,
        };
}

static void assert_json_equal(const char *got, const char *expected) {
        json_t *g = json_loads(got, 0, NULL), *e = json_loads(expected, 0, NULL);

        assert_non_null(g);
        assert_non_null(e);
        if (!json_equal(g, e))
                fail_msg("got      %s\nexpected %s", got, expected);
        json_decref(g);
        json_decref(e);
}

static void test_payload_webhook(void **state) {
        json_t *fields =
                json_loads("[{\"field\":\"maxRetryAttempts\",\"from\":0,\"to\":1}]", 0, NULL);
        AlertMessage m = fixed_message(ALERT_STATUS_RESOLVED, fields);
        _cleanup_free_ char *body = NULL;

        assert_int_equal(alert_sink_webhook.format(&m, &body), 0);
        assert_json_equal(
                body,
                "{\"status\":\"resolved\",\"kind\":\"drift\",\"resource\":{\"name\":\"orders\","
                "\"provider\":\"aws\",\"account\":\"prod\",\"function\":\"orders\",\"qualifier\":\"$LATEST\","
                "\"file\":\"/etc/asyncfg/desired.d/orders.yaml\",\"line\":3,\"labels\":{\"team\":\"payments\","
                "\"app.kubernetes.io/name\":\"orders\"}},\"fields\":[{\"field\":\"maxRetryAttempts\",\"from\":0,\"to\":1}],"
                "\"summary\":\"maxRetryAttempts: 0 → 1 <&>\",\"fingerprint\":\"0123456789abcdef\","
                "\"startsAt\":\"2024-05-01T12:00:00.123Z\",\"endsAt\":\"2024-05-01T13:00:00.000Z\"}");
        json_decref(fields);
}

static void test_payload_slack(void **state) {
        json_t *fields = json_array();
        AlertMessage m = fixed_message(ALERT_STATUS_FIRING, fields);
        _cleanup_free_ char *body = NULL, *body2 = NULL, *url = NULL;

        assert_int_equal(alert_sink_slack.format(&m, &body), 0);
        assert_json_equal(body,
                          "{\"text\":\"[FIRING] asyncfg drift on orders (aws/prod orders:$LATEST): "
                          "maxRetryAttempts: 0 → 1 &lt;&amp;&gt;\"}");
        m = fixed_message(ALERT_STATUS_RESOLVED, fields);
        assert_int_equal(alert_sink_slack.format(&m, &body2), 0);
        assert_json_equal(
                body2, "{\"text\":\"[RESOLVED] asyncfg drift on orders (aws/prod orders:$LATEST): "
                       "maxRetryAttempts: 0 → 1 &lt;&amp;&gt;\"}");
        assert_null(alert_sink_slack.sign);
        assert_int_equal(alert_sink_slack.url("https://hooks.slack.com/services/T/B/X", &url), 0);
        assert_string_equal(url, "https://hooks.slack.com/services/T/B/X");
        json_decref(fields);
}

static void test_payload_alertmanager(void **state) {
        json_t *fields = json_loads("[{\"field\":\"maxRetryAttempts\",\"from\":0,\"to\":1},"
                                    "{\"field\":\"onFailure\",\"from\":null,\"to\":\"arn:x\"}]",
                                    0, NULL);
        AlertMessage m = fixed_message(ALERT_STATUS_FIRING, fields);
        _cleanup_free_ char *body = NULL, *body2 = NULL, *url = NULL;
        static const char *labels_json =
                "\"labels\":{\"alertname\":\"AsyncfgDrift\",\"resource\":\"orders\",\"provider\":\"aws\","
                "\"account\":\"prod\",\"function\":\"orders\",\"qualifier\":\"$LATEST\","
                "\"team\":\"payments\",\"app_kubernetes_io_name\":\"orders\"},";
        static const char *annotations_json =
                "\"annotations\":{\"summary\":\"maxRetryAttempts: 0 → 1 <&>\","
                "\"description\":\"maxRetryAttempts: live 0, desired 1; onFailure: live null, desired \\\"arn:x\\\" "
                "(/etc/asyncfg/desired.d/orders.yaml:3)\",\"fingerprint\":\"0123456789abcdef\"},";
        char expected[2048];

        assert_int_equal(alert_sink_alertmanager.format(&m, &body), 0);
        snprintf(expected, sizeof(expected),
                 "[{%s%s\"startsAt\":\"2024-05-01T12:00:00.123Z\","
                 "\"endsAt\":\"2024-05-01T15:00:00.000Z\"}]",
                 labels_json, annotations_json);
        assert_json_equal(body, expected);
        m = fixed_message(ALERT_STATUS_RESOLVED, fields);
        assert_int_equal(alert_sink_alertmanager.format(&m, &body2), 0);
        snprintf(expected, sizeof(expected),
                 "[{%s%s\"startsAt\":\"2024-05-01T12:00:00.123Z\","
                 "\"endsAt\":\"2024-05-01T13:00:00.000Z\"}]",
                 labels_json, annotations_json);
        assert_json_equal(body2, expected);
        assert_int_equal(alert_sink_alertmanager.url("http://am:9093//", &url), 0);
        assert_string_equal(url, "http://am:9093/api/v2/alerts");
        json_decref(fields);
}

static void test_payload_capped_and_sanitised(void **state) {
        Env env;
        char big[5000];
        json_t *j, *fields;

        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        env_new(&env, ALERT_TYPE_WEBHOOK, NULL, &(AlertPolicy){ .error_after = 1 });
        fields = json_pack("[{s:s, s:s}]", "field", "onFailure", "from", big);
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_ERROR, "c", big, fields),
                         1);
        settle(&env, 1);
        assert_true(strlen(srv.seen[0].body) < 3000);
        j = seen_json(0);
        assert_int_equal(strlen(jstr(j, "summary")), ALERT_STRING_MAX + 3);
        assert_int_equal(strlen(jstr(json_array_get(json_object_get(j, "fields"), 0), "from")),
                         ALERT_STRING_MAX + 3);
        json_decref(j);
        json_decref(fields);
        env_free(&env);
}

static void test_string_sanitize(void **state) {
        static const struct {
                const char *in;
                size_t max;
                const char *out;
        } cases[] = {
                { "plain", 100, "plain" },
                { "a\nb\tc\x7f", 100, "a b c " },
                { "bad \xff\xfe utf8 \xc0\xaf", 100, "bad ?? utf8 ??" },
                { "→→→", 7, "→→..." }, /* cut at a character boundary */
                { "→→→", 9, "→→→" },
                { "abcdef", 3, "abc..." },
                { "", 3, "" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *s = NULL;

                assert_int_equal(alert_string_sanitize(cases[i].in, cases[i].max, &s), 0);
                assert_string_equal(s, cases[i].out);
        }
}

/* A conflict is a repeated detection already (resource.h): it fires at its first observation
 * whatever fireAfter says, once per content (the fields), and resolves when cleared. */
static void test_conflict_fires_at_once(void **state) {
        Env env;

        env_new(&env, ALERT_TYPE_WEBHOOK, NULL, &(AlertPolicy){ .fire_after = 3 });
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_CONFLICT,
                                        "conflict maxRetryAttempts",
                                        "someone keeps changing maxRetryAttempts back", NULL),
                         1);
        assert_int_equal(alerts_observe(env.alerts, &subject, ALERT_KIND_CONFLICT,
                                        "conflict maxRetryAttempts",
                                        "someone keeps changing maxRetryAttempts back (3 times)",
                                        NULL),
                         0);
        settle(&env, 1);
        json_t *j = seen_json(0);
        assert_string_equal(jstr(j, "kind"), "conflict");
        assert_string_equal(jstr(j, "status"), "firing");
        json_decref(j);
        assert_false(alerts_is_firing(env.alerts, &subject, ALERT_KIND_DRIFT));
        assert_int_equal(alerts_clear(env.alerts, &subject, ALERT_KIND_CONFLICT), 1);
        settle(&env, 2);
        j = seen_json(1);
        assert_string_equal(jstr(j, "status"), "resolved");
        json_decref(j);
        env_free(&env);
}

static void test_names(void **state) {
        assert_string_equal(alert_kind_to_string(ALERT_KIND_ERROR), "error");
        assert_int_equal(alert_kind_from_string("drift"), ALERT_KIND_DRIFT);
        assert_int_equal(alert_kind_from_string("nope"), _ALERT_KIND_INVALID);
        assert_string_equal(alert_status_to_string(ALERT_STATUS_RESOLVED), "resolved");
        assert_int_equal(alert_status_from_string("firing"), ALERT_STATUS_FIRING);
        assert_string_equal(alert_kind_alertname(ALERT_KIND_DRIFT), "AsyncfgDrift");
        assert_string_equal(alert_kind_alertname(ALERT_KIND_CONFLICT), "AsyncfgConflict");
        assert_int_equal(alert_kind_from_string("conflict"), ALERT_KIND_CONFLICT);
        assert_ptr_equal(alert_sink_ops_for(ALERT_TYPE_SLACK), &alert_sink_slack);
        assert_null(alert_sink_ops_for(_ALERT_TYPE_MAX));
}

int main(void) {
        log_set_max_level(LOG_ERR); /* the journal lines of every alert; run with debug to see */
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fire_after_n),
                cmocka_unit_test(test_error_after_and_clear_resets),
                cmocka_unit_test(test_conflict_fires_at_once),
                cmocka_unit_test(test_dedupe_on_content),
                cmocka_unit_test(test_reminder_and_resolved),
                cmocka_unit_test(test_forget_resolves),
                cmocka_unit_test(test_webhook_hmac),
                cmocka_unit_test(test_retry_then_drop),
                cmocka_unit_test(test_retry_then_success_and_4xx_dropped),
                cmocka_unit_test(test_delivery_order_and_no_blocking),
                cmocka_unit_test(test_alertmanager_delivery),
                cmocka_unit_test(test_reconfigure),
                cmocka_unit_test(test_payload_webhook),
                cmocka_unit_test(test_payload_slack),
                cmocka_unit_test(test_payload_alertmanager),
                cmocka_unit_test(test_payload_capped_and_sanitised),
                cmocka_unit_test(test_string_sanitize),
                cmocka_unit_test(test_names),
        };

        return cmocka_run_group_tests(tests, server_start, server_stop);
}
