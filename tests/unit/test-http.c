/* SPDX-License-Identifier: MIT */

/* lib/http against a libmicrohttpd server on 127.0.0.1 (one thread per connection, so that a
 * delayed answer holds up only its own connection). The server records the last request it
 * saw, byte for byte, and counts connections, so the tests check what really went on the wire.
 *
 * Routes:  /echo         200, body = request body, X-Echo-Method: the method
 *          /delay        answers after 3 s, or at once when released or the server stops
 *          /big          64 KiB with a Content-Length
 *          /bigchunked   64 KiB, chunked (no Content-Length)
 *          /drip         "piece 0\n" ... "piece 5\n", chunked, one every 100 ms
 *          /dripforever  a piece every 20 ms for up to 10 s (until the client goes)
 *          /dripstall    one piece, then nothing until released (3 s at most)
 *          /drip404      404 "not here"
 *          anything else 200 "ok"
 *          http://...    (absolute form, a proxy's view) 200 "proxied" */

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <cmocka.h>

#include "lib/http.h"
#include "lib/macro.h"
#include "tests/unit/mhd-upload.h"

#define BIG_SIZE (64 * 1024)

typedef struct Seen {
        char method[16];
        char url[512];
        char headers[4096]; /* "name: value\n" as received */
        char *body;
        size_t body_size;
} Seen;

typedef struct TestServer {
        struct MHD_Daemon *daemon;
        uint16_t port;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool stopping;
        unsigned connections;
        unsigned requests;
        unsigned parked, max_parked; /* requests held in /delay now, and at most */
        unsigned release;            /* bumped to release those parked */
        Seen last;
} TestServer;

static TestServer plain_server;
static TestServer tls_server;
static char tls_dir[] = "/tmp/test-http-XXXXXX";
static bool have_tls, tls_dir_made, tls_setup_failed;
static char *tls_key, *tls_cert; /* MHD does not copy them: they live as long as the server */

/* ---- the server ---------------------------------------------------------------------------- */

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value) {
        Seen *s = cls;
        size_t used = strlen(s->headers);

        snprintf(s->headers + used, sizeof(s->headers) - used, "%s: %s\n", key, value ?: "");
        return MHD_YES;
}

static void server_record(TestServer *srv, struct MHD_Connection *c, const char *url,
                          const char *method, const Upload *u) {
        Seen s = {};

        snprintf(s.method, sizeof(s.method), "%s", method);
        snprintf(s.url, sizeof(s.url), "%s", url);
        MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &s);
        s.body = malloc(u->size + 1);
        assert_non_null(s.body);
        memcpy(s.body, u->data ?: "", u->size);
        s.body_size = u->size;

        pthread_mutex_lock(&srv->lock);
        free(srv->last.body);
        srv->last = s;
        srv->requests++;
        pthread_mutex_unlock(&srv->lock);
}

static void server_wait_delay(TestServer *srv) {
        struct timespec deadline;
        unsigned release;

        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 3;
        pthread_mutex_lock(&srv->lock);
        release = srv->release;
        srv->parked++;
        srv->max_parked = MAX(srv->max_parked, srv->parked);
        while (!srv->stopping && srv->release == release)
                if (pthread_cond_timedwait(&srv->cond, &srv->lock, &deadline) != 0)
                        break;
        srv->parked--;
        pthread_mutex_unlock(&srv->lock);
}

static ssize_t chunked_reader(void *cls, uint64_t pos, char *buf, size_t max) {
        if (pos >= BIG_SIZE)
                return MHD_CONTENT_READER_END_OF_STREAM;
        size_t n = MIN(max, (size_t) (BIG_SIZE - pos));
        memset(buf, 'c', n);
        return (ssize_t) n;
}

/* Streaming routes. pos counts bytes sent; every piece is "piece N\n" (8 bytes). */
#define DRIP_PIECE 8
static ssize_t drip_piece(uint64_t pos, char *buf, size_t max, useconds_t pause) {
        char piece[DRIP_PIECE + 1];

        if (max < DRIP_PIECE)
                return 0;
        if (pos > 0)
                usleep(pause);
        snprintf(piece, sizeof(piece), "piece %u\n", (unsigned) (pos / DRIP_PIECE % 10));
        memcpy(buf, piece, DRIP_PIECE);
        return DRIP_PIECE;
}

static ssize_t drip_reader(void *cls, uint64_t pos, char *buf, size_t max) {
        if (pos >= 6 * DRIP_PIECE)
                return MHD_CONTENT_READER_END_OF_STREAM;
        return drip_piece(pos, buf, max, 100000);
}

static ssize_t drip_forever_reader(void *cls, uint64_t pos, char *buf, size_t max) {
        TestServer *srv = cls;

        if (pos >= 500 * DRIP_PIECE || srv->stopping)
                return MHD_CONTENT_READER_END_OF_STREAM;
        return drip_piece(pos, buf, max, 20000);
}

static ssize_t drip_stall_reader(void *cls, uint64_t pos, char *buf, size_t max) {
        if (pos == DRIP_PIECE)
                server_wait_delay(cls);
        if (pos >= DRIP_PIECE)
                return MHD_CONTENT_READER_END_OF_STREAM;
        return drip_piece(pos, buf, max, 0);
}

static struct MHD_Response *server_drip(TestServer *srv, const char *url) {
        if (streq(url, "/drip"))
                return MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64, drip_reader, srv,
                                                         NULL);
        if (streq(url, "/dripforever"))
                return MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64, drip_forever_reader,
                                                         srv, NULL);
        if (streq(url, "/dripstall"))
                return MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64, drip_stall_reader,
                                                         srv, NULL);
        return MHD_create_response_from_buffer(8, (void *) "not here", MHD_RESPMEM_PERSISTENT);
}

static struct MHD_Response *server_response(TestServer *srv, const char *url, const char *method,
                                            const Upload *u) {
        static char big[BIG_SIZE];
        struct MHD_Response *resp;

        if (startswith(url, "/drip"))
                return server_drip(srv, url);

        if (startswith(url, "http://"))
                return MHD_create_response_from_buffer(7, (void *) "proxied",
                                                       MHD_RESPMEM_PERSISTENT);
        if (streq(url, "/echo")) {
                resp = MHD_create_response_from_buffer(u->size, u->data, MHD_RESPMEM_MUST_COPY);
                MHD_add_response_header(resp, "X-Echo-Method", method);
                return resp;
        }
        if (streq(url, "/delay"))
                server_wait_delay(srv);
        if (streq(url, "/big")) {
                memset(big, 'b', sizeof(big));
                return MHD_create_response_from_buffer(sizeof(big), big, MHD_RESPMEM_MUST_COPY);
        }
        if (streq(url, "/bigchunked"))
                return MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, chunked_reader,
                                                         NULL, NULL);
        return MHD_create_response_from_buffer(2, (void *) "ok", MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result server_handler(void *cls, struct MHD_Connection *c, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls) {
        TestServer *srv = cls;
        Upload *u;
        struct MHD_Response *resp;
        enum MHD_Result ret;

        if (mhd_upload_step(con_cls, upload_data, upload_data_size, &u, &ret))
                return ret;

        server_record(srv, c, url, method, u);
        resp = server_response(srv, url, method, u);
        ret = MHD_queue_response(c, streq(url, "/drip404") ? MHD_HTTP_NOT_FOUND : MHD_HTTP_OK,
                                 resp);
        MHD_destroy_response(resp);
        return ret;
}

static void server_notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                                     enum MHD_ConnectionNotificationCode toe) {
        TestServer *srv = cls;

        if (toe != MHD_CONNECTION_NOTIFY_STARTED)
                return;
        pthread_mutex_lock(&srv->lock);
        srv->connections++;
        pthread_mutex_unlock(&srv->lock);
}

static int server_start(TestServer *srv, const char *key_pem, const char *cert_pem) {
        unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
        struct sockaddr_in sa = {
                .sin_family = AF_INET,
                .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
        };
        const union MHD_DaemonInfo *info;

        pthread_mutex_init(&srv->lock, NULL);
        pthread_cond_init(&srv->cond, NULL);
        if (key_pem)
                srv->daemon = MHD_start_daemon(
                        flags | MHD_USE_TLS, 0, NULL, NULL, server_handler, srv,
                        MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_HTTPS_MEM_KEY, key_pem,
                        MHD_OPTION_HTTPS_MEM_CERT, cert_pem, MHD_OPTION_NOTIFY_COMPLETED,
                        mhd_upload_completed, srv, MHD_OPTION_NOTIFY_CONNECTION,
                        server_notify_connection, srv, MHD_OPTION_END);
        else
                srv->daemon =
                        MHD_start_daemon(flags, 0, NULL, NULL, server_handler, srv,
                                         MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED,
                                         mhd_upload_completed, srv, MHD_OPTION_NOTIFY_CONNECTION,
                                         server_notify_connection, srv, MHD_OPTION_END);
        if (!srv->daemon)
                return -1;
        info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
        srv->port = info ? info->port : 0;
        return srv->port ? 0 : -1;
}

static void server_release_delays(TestServer *srv) {
        pthread_mutex_lock(&srv->lock);
        srv->stopping = true;
        pthread_cond_broadcast(&srv->cond);
        pthread_mutex_unlock(&srv->lock);
}

static void server_stop(TestServer *srv) {
        if (!srv->daemon)
                return;
        server_release_delays(srv);
        MHD_stop_daemon(srv->daemon);
        free(srv->last.body);
        srv->daemon = NULL;
}

/* Releases requests parked in /delay now, and lets later ones park again. */
static void server_flush_delays(TestServer *srv) {
        pthread_mutex_lock(&srv->lock);
        srv->release++;
        pthread_cond_broadcast(&srv->cond);
        pthread_mutex_unlock(&srv->lock);
}

/* How many requests /delay holds now; with ret_max, also the most it held at once, and the
 * count starts again from now. */
static unsigned server_parked(TestServer *srv, unsigned *ret_max) {
        unsigned n;

        pthread_mutex_lock(&srv->lock);
        n = srv->parked;
        if (ret_max) {
                *ret_max = srv->max_parked;
                srv->max_parked = srv->parked;
        }
        pthread_mutex_unlock(&srv->lock);
        return n;
}

static Seen server_last(TestServer *srv) {
        Seen s;

        pthread_mutex_lock(&srv->lock);
        s = srv->last;
        s.body = malloc(s.body_size + 1);
        memcpy(s.body, srv->last.body ?: "", s.body_size);
        pthread_mutex_unlock(&srv->lock);
        return s;
}

/* The value of header name in a Seen, or NULL; case-insensitive name, into buf. */
static const char *seen_header(const Seen *s, const char *name, char *buf, size_t size) {
        size_t n = strlen(name);

        for (const char *p = s->headers; *p;) {
                const char *eol = strchr(p, '\n');
                if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
                        snprintf(buf, size, "%.*s", (int) (eol - p - n - 2), p + n + 2);
                        return buf;
                }
                p = eol + 1;
        }
        return NULL;
}

static unsigned server_connections(TestServer *srv) {
        unsigned n;

        pthread_mutex_lock(&srv->lock);
        n = srv->connections;
        pthread_mutex_unlock(&srv->lock);
        return n;
}

/* ---- running requests ---------------------------------------------------------------------- */

typedef struct Result {
        unsigned calls;
        int error;
        long status;
        char *body;
        size_t body_size;
        char echo_method[16];
        char http_version[8];
        bool detail;
} Result;

typedef struct Loop {
        sd_event *event;
        HttpEngine *engine;
        unsigned pending;
} Loop;

static void result_done(Result *res) {
        free(res->body);
        res->body = NULL;
}

static void on_done(HttpRequest *req, int error, const HttpResponse *resp, void *userdata) {
        Result *res = userdata;
        res->calls++;
        res->error = error;
        res->detail = http_request_error_detail(req) != NULL;
        if (resp) {
                const char *m = http_response_header(resp, "x-echo-method");
                res->status = resp->status;
                res->body = malloc(resp->body_size + 1);
                memcpy(res->body, resp->body, resp->body_size + 1);
                res->body_size = resp->body_size;
                snprintf(res->echo_method, sizeof(res->echo_method), "%s", m ?: "");
                snprintf(res->http_version, sizeof(res->http_version), "%s", resp->http_version);
        }
}

/* A Result that also counts down a Loop and exits it when nothing is pending. */
typedef struct Tracked {
        Result res;
        Loop *loop;
} Tracked;

static void on_tracked(HttpRequest *req, int error, const HttpResponse *resp, void *userdata) {
        Tracked *t = userdata;

        on_done(req, error, resp, &t->res);
        assert_true(t->loop->pending > 0);
        t->loop->pending--;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Runs the loop for at most timeout_usec, until nothing is pending (unless full: then for the
 * whole time). Returns 0 when nothing is pending at the end, -ETIMEDOUT otherwise. */
static int loop_run_full(Loop *loop, uint64_t timeout_usec, bool full) {
        uint64_t deadline = now_usec() + timeout_usec, t;

        while ((full || loop->pending > 0) && (t = now_usec()) < deadline)
                assert_true(sd_event_run(loop->event, deadline - t) >= 0);
        return loop->pending > 0 ? -ETIMEDOUT : 0;
}

static int loop_run(Loop *loop, uint64_t timeout_usec) {
        return loop_run_full(loop, timeout_usec, false);
}

static void loop_new(Loop *loop, const HttpEngineOptions *options) {
        *loop = (Loop){};
        assert_int_equal(sd_event_new(&loop->event), 0);
        assert_int_equal(http_engine_new(loop->event, options, &loop->engine), 0);
}

static void loop_free(Loop *loop) {
        loop->engine = http_engine_free(loop->engine);
        loop->event = sd_event_unref(loop->event);
}

static char *url_for(const TestServer *srv, const char *scheme, const char *path) {
        char *url;

        assert_true(asprintf(&url, "%s://127.0.0.1:%u%s", scheme, srv->port, path) > 0);
        return url;
}

/* Starts a request on loop, tracked in t. */
static HttpRequest *start_tracked(Loop *loop, Tracked *t, const char *method, const char *url,
                                  const void *body, size_t body_size) {
        HttpRequest *req = NULL;

        t->loop = loop;
        assert_int_equal(http_request_new(loop->engine, method, url, &req), 0);
        if (body)
                assert_int_equal(http_request_set_body(req, body, body_size), 0);
        assert_int_equal(http_request_start(req, on_tracked, t), 0);
        loop->pending++;
        return req;
}

static void run_one(Loop *loop, HttpRequest *req, Tracked *t) {
        t->loop = loop;
        assert_int_equal(http_request_start(req, on_tracked, t), 0);
        loop->pending = 1;
        assert_int_equal(loop_run(loop, 5000000), 0);
        assert_int_equal(t->res.calls, 1);
        assert_int_equal(http_engine_in_flight(loop->engine), 0);
}

/* ---- tests --------------------------------------------------------------------------------- */

/* Once nothing is in flight, nothing of the engine's wakes the loop: an idle daemon between
 * two drift polls must sleep (curl's last timeout of a finished transfer, about a second off,
 * used to fire for nothing after every request). */
static void test_idle_after_a_request(void **state) {
        _cleanup_free_ char *url = url_for(&plain_server, "http", "/echo");
        Tracked t = {};
        Loop loop;

        loop_new(&loop, NULL);
        start_tracked(&loop, &t, "GET", url, NULL, 0);
        assert_int_equal(loop_run(&loop, 5000000), 0);
        assert_int_equal(t.res.status, 200);
        while (sd_event_run(loop.event, 0) > 0) /* what is due now */
                ;
        assert_int_equal(sd_event_run(loop.event, 2500000), 0); /* nothing within 2.5 s */
        result_done(&t.res);
        loop_free(&loop);
        (void) state;
}

static void test_get_headers_on_the_wire(void **state) {
        _cleanup_free_ char *url = url_for(&plain_server, "http", "/echo");
        char host[64], buf[256];
        HttpRequest *req = NULL;
        Tracked t = {};
        Loop loop;
        Seen s;

        loop_new(&loop, &(HttpEngineOptions){ .user_agent = "test-agent/1" });
        assert_int_equal(http_request_new(loop.engine, "GET", url, &req), 0);
        assert_int_equal(http_request_add_header(req, "X-Amz-Date", "20240101T000000Z"), 0);
        assert_int_equal(http_request_add_header(req, "X-Empty", ""), 0);
        run_one(&loop, req, &t);

        assert_int_equal(t.res.error, 0);
        assert_int_equal(t.res.status, 200);
        assert_string_equal(t.res.echo_method, "GET");
        assert_string_equal(t.res.http_version, "1.1");
        s = server_last(&plain_server);
        assert_string_equal(s.method, "GET");
        snprintf(host, sizeof(host), "127.0.0.1:%u", plain_server.port);
        assert_string_equal(seen_header(&s, "Host", buf, sizeof(buf)), host);
        assert_string_equal(seen_header(&s, "User-Agent", buf, sizeof(buf)), "test-agent/1");
        assert_string_equal(seen_header(&s, "X-Amz-Date", buf, sizeof(buf)), "20240101T000000Z");
        assert_string_equal(seen_header(&s, "X-Empty", buf, sizeof(buf)), "");
        /* In this order, as a signer expects them: Host, the engine's User-Agent, the
         * caller's. */
        snprintf(buf, sizeof(buf), "Host: %s\nUser-Agent: test-agent/1\nX-Amz-Date: ", host);
        assert_true(startswith(s.headers, buf));
        assert_null(seen_header(&s, "Accept", buf, sizeof(buf)));
        assert_null(seen_header(&s, "Accept-Encoding", buf, sizeof(buf)));
        assert_null(seen_header(&s, "Expect", buf, sizeof(buf)));
        assert_null(seen_header(&s, "Content-Length", buf, sizeof(buf)));
        assert_null(seen_header(&s, "Content-Type", buf, sizeof(buf)));
        free(s.body);
        result_done(&t.res);
        loop_free(&loop);
}

static void test_caller_host_accept_user_agent(void **state) {
        _cleanup_free_ char *url = url_for(&plain_server, "http", "/echo");
        HttpRequest *req = NULL;
        Tracked t = {};
        char buf[256];
        Loop loop;
        Seen s;

        loop_new(&loop, &(HttpEngineOptions){ .user_agent = "test-agent/1" });
        assert_int_equal(http_request_new(loop.engine, "GET", url, &req), 0);
        assert_int_equal(http_request_add_header(req, "Host", "lambda.example.test:8443"), 0);
        assert_int_equal(http_request_add_header(req, "Accept", "application/json"), 0);
        assert_int_equal(http_request_add_header(req, "User-Agent", "aws-sdk-js/3"), 0);
        run_one(&loop, req, &t);

        assert_int_equal(t.res.error, 0);
        s = server_last(&plain_server);
        assert_string_equal(seen_header(&s, "Host", buf, sizeof(buf)), "lambda.example.test:8443");
        assert_string_equal(seen_header(&s, "Accept", buf, sizeof(buf)), "application/json");
        assert_string_equal(seen_header(&s, "User-Agent", buf, sizeof(buf)), "aws-sdk-js/3");
        assert_null(strstr(s.headers, "test-agent")); /* the caller's replaces the engine's */
        free(s.body);
        result_done(&t.res);
        loop_free(&loop);
}

/* A body of size bytes with NULs and high bytes in it. */
static char *make_body(size_t size) {
        char *b = malloc(size);

        assert_non_null(b);
        for (size_t i = 0; i < size; i++)
                b[i] = (char) (i * 7 + 3);
        return b;
}

static void check_body_round_trip(const char *method, size_t size, const char *content_type) {
        _cleanup_free_ char *url = url_for(&plain_server, "http", "/echo");
        _cleanup_free_ char *body = make_body(size);
        char buf[256], len[32];
        HttpRequest *req = NULL;
        Tracked t = {};
        Loop loop;
        Seen s;

        loop_new(&loop, NULL);
        assert_int_equal(http_request_new(loop.engine, method, url, &req), 0);
        if (content_type)
                assert_int_equal(http_request_add_header(req, "Content-Type", content_type), 0);
        assert_int_equal(http_request_set_body(req, body, size), 0);
        run_one(&loop, req, &t);

        assert_int_equal(t.res.error, 0);
        assert_int_equal(t.res.status, 200);
        assert_string_equal(t.res.echo_method, method);
        assert_int_equal(t.res.body_size, size);
        assert_memory_equal(t.res.body, body, size);

        s = server_last(&plain_server);
        assert_string_equal(s.method, method);
        assert_int_equal(s.body_size, size);
        assert_memory_equal(s.body, body, size);
        snprintf(len, sizeof(len), "%zu", size);
        assert_string_equal(seen_header(&s, "Content-Length", buf, sizeof(buf)), len);
        assert_null(seen_header(&s, "Expect", buf, sizeof(buf)));
        assert_null(seen_header(&s, "Transfer-Encoding", buf, sizeof(buf)));
        if (content_type)
                assert_string_equal(seen_header(&s, "Content-Type", buf, sizeof(buf)),
                                    content_type);
        else
                assert_null(seen_header(&s, "Content-Type", buf, sizeof(buf)));
        free(s.body);
        result_done(&t.res);
        loop_free(&loop);
}

static void test_put_post_bodies(void **state) {
        check_body_round_trip("PUT", 517, "application/json");
        check_body_round_trip("POST", 300, NULL);
        /* Large enough that libcurl would otherwise send "Expect: 100-continue". */
        check_body_round_trip("PUT", 1536 * 1024, "application/octet-stream");
        check_body_round_trip("POST", 0, "application/json");
}

static void test_put_without_body_and_delete(void **state) {
        _cleanup_free_ char *url = url_for(&plain_server, "http", "/echo");
        HttpRequest *req = NULL;
        Tracked t = {}, t2 = {};
        char buf[64];
        Loop loop;
        Seen s;

        loop_new(&loop, NULL);
        assert_int_equal(http_request_new(loop.engine, "PUT", url, &req), 0);
        run_one(&loop, req, &t);
        assert_int_equal(t.res.error, 0);
        s = server_last(&plain_server);
        assert_string_equal(s.method, "PUT");
        assert_string_equal(seen_header(&s, "Content-Length", buf, sizeof(buf)), "0");
        free(s.body);

        assert_int_equal(http_request_new(loop.engine, "DELETE", url, &req), 0);
        run_one(&loop, req, &t2);
        assert_int_equal(t2.res.error, 0);
        assert_string_equal(t2.res.echo_method, "DELETE");
        s = server_last(&plain_server);
        assert_string_equal(s.method, "DELETE");
        assert_null(seen_header(&s, "Content-Length", buf, sizeof(buf)));
        assert_null(seen_header(&s, "Transfer-Encoding", buf, sizeof(buf)));
        assert_int_equal(s.body_size, 0);
        free(s.body);
        result_done(&t.res);
        result_done(&t2.res);
        loop_free(&loop);
}

#define N_PARALLEL 200

/* Easy handles are kept configured between requests (lib/http.c, the pool): one connection
 * and so one handle, reused by requests of every kind; none may inherit anything of the one
 * before (method, body, headers, HEAD's "no body"). */
static void run_seq(Loop *loop, const char *method, const char *url, const char *body,
                    const char *header, Result *ret) {
        HttpRequest *req = NULL;
        Tracked t = {};

        assert_int_equal(http_request_new(loop->engine, method, url, &req), 0);
        if (body)
                assert_int_equal(http_request_set_body(req, body, strlen(body)), 0);
        if (header)
                assert_int_equal(http_request_add_header(req, header, "1"), 0);
        run_one(loop, req, &t);
        assert_int_equal(t.res.error, 0);
        *ret = t.res;
}

static void test_handle_reuse_across_methods(void **state) {
        _cleanup_free_ char *url = url_for(&plain_server, "http", "/echo");
        HttpEngineOptions o = { .max_connections_per_host = 1, .max_total_connections = 1 };
        unsigned before = server_connections(&plain_server);
        char buf[64];
        Result res;
        Loop loop;
        Seen s;

        loop_new(&loop, &o);
        run_seq(&loop, "PUT", url, "abc", "X-First", &res);
        assert_string_equal(res.body, "abc");
        assert_string_equal(res.echo_method, "PUT");
        result_done(&res);

        run_seq(&loop, "GET", url, NULL, NULL, &res);
        assert_string_equal(res.echo_method, "GET");
        assert_int_equal(res.body_size, 0);
        s = server_last(&plain_server);
        assert_string_equal(s.method, "GET");
        assert_null(seen_header(&s, "Content-Length", buf, sizeof(buf)));
        assert_null(seen_header(&s, "X-First", buf, sizeof(buf)));
        assert_null(seen_header(&s, "Accept", buf, sizeof(buf)));
        assert_null(seen_header(&s, "Expect", buf, sizeof(buf)));
        free(s.body);
        result_done(&res);

        run_seq(&loop, "HEAD", url, NULL, "Accept", &res);
        s = server_last(&plain_server);
        assert_string_equal(s.method, "HEAD");
        assert_string_equal(seen_header(&s, "Accept", buf, sizeof(buf)), "1");
        free(s.body);
        result_done(&res);

        /* After HEAD: a body is read again, and Accept is suppressed again. */
        run_seq(&loop, "POST", url, "xyz", NULL, &res);
        assert_string_equal(res.echo_method, "POST");
        assert_string_equal(res.body, "xyz");
        s = server_last(&plain_server);
        assert_null(seen_header(&s, "Accept", buf, sizeof(buf)));
        assert_null(seen_header(&s, "Content-Type", buf, sizeof(buf)));
        free(s.body);
        result_done(&res);

        run_seq(&loop, "DELETE", url, NULL, NULL, &res);
        assert_string_equal(res.echo_method, "DELETE");
        s = server_last(&plain_server);
        assert_null(seen_header(&s, "Content-Length", buf, sizeof(buf)));
        free(s.body);
        result_done(&res);

        run_seq(&loop, "GET", url, NULL, NULL, &res);
        assert_string_equal(res.echo_method, "GET");
        result_done(&res);

        /* All of it on the one kept-alive connection. */
        assert_int_equal(server_connections(&plain_server) - before, 1);
        loop_free(&loop);
}

/* A kept-alive connection stays in the engine's epoll set while idle (lib/http.c, the socket
 * callback). When the server closes it, the engine must take it out (not spin on the
 * readable socket), and the next request must go out on a new connection. */
static void test_idle_connection_closed_by_server(void **state) {
        TestServer srv = {};
        _cleanup_free_ char *url = NULL;
        uint64_t it0 = 0, it1 = 0;
        Result res;
        Loop loop;

        srv.daemon = MHD_start_daemon(
                MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
                server_handler, &srv, MHD_OPTION_SOCK_ADDR,
                &(struct sockaddr_in){ .sin_family = AF_INET,
                                       .sin_addr.s_addr = htonl(INADDR_LOOPBACK) },
                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 1, MHD_OPTION_NOTIFY_COMPLETED,
                mhd_upload_completed, &srv, MHD_OPTION_NOTIFY_CONNECTION, server_notify_connection,
                &srv, MHD_OPTION_END);
        assert_non_null(srv.daemon);
        pthread_mutex_init(&srv.lock, NULL);
        pthread_cond_init(&srv.cond, NULL);
        srv.port = MHD_get_daemon_info(srv.daemon, MHD_DAEMON_INFO_BIND_PORT)->port;
        url = url_for(&srv, "http", "/echo");

        loop_new(&loop, NULL);
        run_seq(&loop, "GET", url, NULL, NULL, &res);
        result_done(&res);
        assert_int_equal(server_connections(&srv), 1);

        /* The server drops the idle connection after 1 s. A loop that spun on it would run
         * hundreds of thousands of iterations in these 2.5 s; a handful are expected. */
        assert_int_equal(sd_event_get_iteration(loop.event, &it0), 0);
        assert_int_equal(loop_run_full(&loop, 2500000, true), 0);
        assert_int_equal(sd_event_get_iteration(loop.event, &it1), 0);
        assert_true(it1 - it0 < 100);

        run_seq(&loop, "PUT", url, "again", NULL, &res);
        assert_string_equal(res.body, "again");
        result_done(&res);
        assert_int_equal(server_connections(&srv), 2);
        loop_free(&loop);
        server_stop(&srv);
}

static void test_parallel_requests_reuse_connections(void **state) {
        _cleanup_free_ char *url = url_for(&plain_server, "http", "/count");
        HttpEngineOptions o = { .max_connections_per_host = 4 };
        static Tracked t[N_PARALLEL];
        unsigned before;
        Loop loop;

        memset(t, 0, sizeof(t));
        loop_new(&loop, &o);
        before = server_connections(&plain_server);
        for (size_t i = 0; i < N_PARALLEL; i++)
                start_tracked(&loop, &t[i], "GET", url, NULL, 0);
        assert_int_equal(http_engine_in_flight(loop.engine), N_PARALLEL);

        assert_int_equal(loop_run(&loop, 10000000), 0);
        for (size_t i = 0; i < N_PARALLEL; i++) {
                assert_int_equal(t[i].res.calls, 1);
                assert_int_equal(t[i].res.error, 0);
                assert_int_equal(t[i].res.status, 200);
                assert_string_equal(t[i].res.body, "ok");
                result_done(&t[i].res);
        }
        assert_int_equal(http_engine_in_flight(loop.engine), 0);
        /* At most 4 connections carried all 200 requests. */
        assert_in_range(server_connections(&plain_server) - before, 1, 4);
        loop_free(&loop);
}

/* Every 10 ms: once /delay holds `want` requests, releases them. */
typedef struct Releaser {
        unsigned want;
        bool reached;
} Releaser;

static int on_release_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Releaser *rel = userdata;

        if (server_parked(&plain_server, NULL) >= rel->want) {
                rel->reached = true;
                server_flush_delays(&plain_server);
        }
        return sd_event_source_set_time_relative(s, 10000);
}

/* Starts n requests to /delay under the engine's current limits; returns how many the server
 * held at once, at most. */
static unsigned run_parked(Loop *loop, unsigned n, Releaser *rel) {
        _cleanup_free_ char *url = url_for(&plain_server, "http", "/delay");
        Tracked *t = calloc(n, sizeof(*t));
        sd_event_source *timer = NULL;
        unsigned max = 0;

        assert_non_null(t);
        (void) server_parked(&plain_server, &max);
        assert_int_equal(sd_event_add_time_relative(loop->event, &timer, CLOCK_MONOTONIC, 10000,
                                                    1000, on_release_timer, rel),
                         0);
        assert_int_equal(sd_event_source_set_enabled(timer, SD_EVENT_ON), 0);
        for (unsigned i = 0; i < n; i++)
                start_tracked(loop, &t[i], "GET", url, NULL, 0);
        assert_int_equal(loop_run(loop, 20000000), 0);
        (void) server_parked(&plain_server, &max);
        for (unsigned i = 0; i < n; i++) {
                assert_int_equal(t[i].res.error, 0);
                result_done(&t[i].res);
        }
        sd_event_source_disable_unref(timer);
        free(t);
        return max;
}

/* The connection caps set at run time hold on plain http (HTTP/1.1, one request per
 * connection): raised, that many requests reach the server at once (the default cap is 8);
 * lowered, no more than that. */
static void test_set_limits(void **state) {
        Releaser rel = { .want = 12 };
        Loop loop;

        loop_new(&loop, NULL);
        assert_int_equal(http_engine_set_limits(loop.engine, 0, 4), -EINVAL);
        assert_int_equal(http_engine_set_limits(loop.engine, 12, 12), 0);
        assert_int_equal(run_parked(&loop, 12, &rel), 12);
        assert_true(rel.reached);

        loop_free(&loop);

        /* Connections already open stay usable, so a lowered cap shows on a fresh engine. */
        rel = (Releaser){ .want = 2 };
        loop_new(&loop, NULL);
        assert_int_equal(http_engine_set_limits(loop.engine, 2, 2), 0);
        assert_int_equal(run_parked(&loop, 6, &rel), 2);
        assert_true(rel.reached);
        loop_free(&loop);
}

static void test_total_timeout(void **state) {
        _cleanup_free_ char *url = url_for(&plain_server, "http", "/delay");
        HttpRequest *req = NULL;
        Tracked t = {};
        uint64_t start;
        Loop loop;

        loop_new(&loop, NULL);
        assert_int_equal(http_request_new(loop.engine, "GET", url, &req), 0);
        assert_int_equal(http_request_set_timeouts(req, 0, 300000), 0);
        start = now_usec();
        run_one(&loop, req, &t);
        assert_int_equal(t.res.error, -ETIMEDOUT);
        assert_true(t.res.detail);
        assert_in_range(now_usec() - start, 250000, 2000000);
        server_flush_delays(&plain_server);
        loop_free(&loop);
}

static void test_connection_refused(void **state) {
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);
        _cleanup_free_ char *url = NULL;
        _cleanup_close_ int fd = -EBADF;
        HttpRequest *req = NULL;
        Tracked t = {};
        Loop loop;

        /* A port that is bound but not listening refuses connections, and nobody else can
         * take it while we hold it. */
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
        assert_true(asprintf(&url, "http://127.0.0.1:%u/x", ntohs(sa.sin_port)) > 0);

        loop_new(&loop, NULL);
        assert_int_equal(http_request_new(loop.engine, "GET", url, &req), 0);
        run_one(&loop, req, &t);
        assert_int_equal(t.res.error, -ECONNREFUSED);
        assert_true(t.res.detail);
        loop_free(&loop);
}

static void check_too_big(const char *path) {
        _cleanup_free_ char *url = url_for(&plain_server, "http", path);
        HttpEngineOptions o = { .max_response_size = 1000 };
        HttpRequest *req = NULL;
        Tracked t = {}, t2 = {};
        Loop loop;

        loop_new(&loop, &o);
        assert_int_equal(http_request_new(loop.engine, "GET", url, &req), 0);
        run_one(&loop, req, &t);
        assert_int_equal(t.res.error, -EMSGSIZE);

        /* A per-request cap above the size lets it through. */
        assert_int_equal(http_request_new(loop.engine, "GET", url, &req), 0);
        assert_int_equal(http_request_set_max_response_size(req, BIG_SIZE + 4096), 0);
        run_one(&loop, req, &t2);
        assert_int_equal(t2.res.error, 0);
        assert_int_equal(t2.res.body_size, BIG_SIZE);
        result_done(&t2.res);
        loop_free(&loop);
}

static void test_response_over_cap(void **state) {
        check_too_big("/big");
        check_too_big("/bigchunked");
}

static int on_cancel_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        HttpRequest *req = userdata;

        http_request_cancel(req);
        http_request_cancel(req); /* a second cancel changes nothing */
        return 0;
}

static void test_cancel(void **state) {
        _cleanup_free_ char *delay = url_for(&plain_server, "http", "/delay");
        _cleanup_free_ char *ok = url_for(&plain_server, "http", "/ok");
        Tracked t1 = {}, t2 = {}, t3 = {};
        sd_event_source *timer = NULL;
        HttpRequest *req;
        Loop loop;

        loop_new(&loop, NULL);

        /* Cancelled before the loop ever ran: the callback comes from the loop, not from
         * inside http_request_cancel(). */
        req = start_tracked(&loop, &t1, "GET", delay, NULL, 0);
        http_request_cancel(req);
        assert_int_equal(t1.res.calls, 0);

        /* Cancelled while the server holds it. */
        req = start_tracked(&loop, &t2, "GET", delay, NULL, 0);
        assert_int_equal(sd_event_add_time_relative(loop.event, &timer, CLOCK_MONOTONIC, 200000,
                                                    1000, on_cancel_timer, req),
                         0);
        /* And one that completes normally after both, so the loop runs past the cancels. */
        start_tracked(&loop, &t3, "GET", ok, NULL, 0);

        assert_int_equal(loop_run(&loop, 5000000), 0);
        assert_int_equal(t1.res.calls, 1);
        assert_int_equal(t1.res.error, -ECANCELED);
        assert_int_equal(t2.res.calls, 1);
        assert_int_equal(t2.res.error, -ECANCELED);
        assert_int_equal(t3.res.calls, 1);
        assert_int_equal(t3.res.error, 0);

        /* Keep the loop going a little: nothing may be called again. */
        assert_int_equal(loop_run_full(&loop, 300000, true), 0);
        assert_int_equal(t1.res.calls, 1);
        assert_int_equal(t2.res.calls, 1);
        assert_int_equal(http_engine_in_flight(loop.engine), 0);
        sd_event_source_disable_unref(timer);
        server_flush_delays(&plain_server);
        result_done(&t3.res);
        loop_free(&loop);
}

static void test_engine_free_cancels_in_flight(void **state) {
        _cleanup_free_ char *delay = url_for(&plain_server, "http", "/delay");
        Tracked t[5] = {};
        Loop loop;

        loop_new(&loop, NULL);
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                start_tracked(&loop, &t[i], "PUT", delay, "{}", 2);
        /* Let them reach the server. */
        assert_int_equal(loop_run_full(&loop, 300000, true), -ETIMEDOUT);
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                assert_int_equal(t[i].res.calls, 0);

        loop.engine = http_engine_free(loop.engine);
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                assert_int_equal(t[i].res.calls, 1);
                assert_int_equal(t[i].res.error, -ECANCELED);
        }
        server_flush_delays(&plain_server);
        loop_free(&loop);
}

/* Callbacks may start new requests: a chain of three. */
typedef struct Chain {
        Loop *loop;
        const char *url;
        unsigned done;
} Chain;

static void on_chain(HttpRequest *req, int error, const HttpResponse *resp, void *userdata) {
        Chain *c = userdata;
        HttpRequest *next = NULL;

        assert_int_equal(error, 0);
        if (++c->done == 3) {
                c->loop->pending = 0;
                return;
        }
        assert_int_equal(http_request_new(c->loop->engine, "GET", c->url, &next), 0);
        assert_int_equal(http_request_start(next, on_chain, c), 0);
}

static void test_start_from_callback(void **state) {
        _cleanup_free_ char *url = url_for(&plain_server, "http", "/ok");
        HttpRequest *req = NULL;
        Loop loop;
        Chain c;

        loop_new(&loop, NULL);
        c = (Chain){ .loop = &loop, .url = url };
        assert_int_equal(http_request_new(loop.engine, "GET", url, &req), 0);
        assert_int_equal(http_request_start(req, on_chain, &c), 0);
        loop.pending = 1;
        assert_int_equal(loop_run(&loop, 5000000), 0);
        assert_int_equal(c.done, 3);
        loop_free(&loop);
}

static void test_invalid_input(void **state) {
        HttpRequest *req = NULL;
        Tracked t = {};
        Loop loop;

        loop_new(&loop, NULL);
        assert_int_equal(http_request_new(loop.engine, "GET", "http://127.0.0.1/a b", &req),
                         -EINVAL);
        assert_int_equal(http_request_new(loop.engine, "GET", "ftp://127.0.0.1/x", &req), 0);
        assert_int_equal(http_request_add_header(req, "X-A", "a\r\nX-B: b"), -EINVAL);
        assert_int_equal(http_request_add_header(req, "X:A", "a"), -EINVAL);
        assert_int_equal(http_request_add_header(req, "Content-Length", "5"), -EINVAL);
        assert_int_equal(http_request_add_header(req, "expect", "100-continue"), -EINVAL);
        assert_int_equal(http_request_start(req, NULL, NULL), -EINVAL);
        /* Only http and https: ftp fails from the loop, once. */
        run_one(&loop, req, &t);
        assert_int_equal(t.res.error, -EINVAL);

        /* Never started: the caller frees it. */
        assert_int_equal(http_request_new(loop.engine, "GET", "http://127.0.0.1/", &req), 0);
        assert_null(http_request_free(req));
        loop_free(&loop);
}

static void test_start_after_loop_finished(void **state) {
        HttpRequest *req = NULL;
        Tracked t = {};
        Loop loop;

        loop_new(&loop, NULL);
        assert_int_equal(sd_event_exit(loop.event, 0), 0);
        assert_int_equal(sd_event_loop(loop.event), 0);
        assert_int_equal(http_request_new(loop.engine, "GET", "http://127.0.0.1/", &req), 0);
        assert_int_equal(http_request_start(req, on_tracked, &t), -ESTALE);
        /* Still the caller's, and startable state intact: free it. */
        assert_null(http_request_free(req));
        assert_int_equal(http_engine_in_flight(loop.engine), 0);
        assert_int_equal(t.res.calls, 0);
        loop_free(&loop);
}

static void test_proxy_from_environment(void **state) {
        _cleanup_free_ char *proxy = url_for(&plain_server, "http", "");
        HttpRequest *req = NULL;
        Tracked t = {};
        Loop loop;
        Seen s;

        assert_int_equal(setenv("http_proxy", proxy, 1), 0);
        loop_new(&loop, NULL);
        assert_int_equal(
                http_request_new(loop.engine, "GET", "http://asyncfg-proxy-test.invalid/via", &req),
                0);
        run_one(&loop, req, &t);
        unsetenv("http_proxy");
        assert_int_equal(t.res.error, 0);
        assert_string_equal(t.res.body, "proxied");
        s = server_last(&plain_server);
        assert_string_equal(s.url, "http://asyncfg-proxy-test.invalid/via");
        free(s.body);
        result_done(&t.res);
        loop_free(&loop);
}

/* The proxy variables are read when the engine starts, with libcurl's precedence. */
static int proxy_case(const char *const *vars, const char *proxy, Result *ret) {
        HttpRequest *req = NULL;
        Tracked t = {};
        Loop loop;

        for (size_t i = 0; vars[i]; i++)
                assert_int_equal(setenv(vars[i], isempty(proxy) ? "" : proxy, 1), 0);
        loop_new(&loop, NULL);
        for (size_t i = 0; vars[i]; i++)
                unsetenv(vars[i]);
        assert_int_equal(
                http_request_new(loop.engine, "GET", "http://asyncfg-proxy-test.invalid/via", &req),
                0);
        run_one(&loop, req, &t);
        loop_free(&loop);
        *ret = t.res;
        return t.res.error;
}

static void test_proxy_precedence(void **state) {
        _cleanup_free_ char *proxy = url_for(&plain_server, "http", "");
        Result res;

        /* all_proxy (and ALL_PROXY) serve http too. */
        assert_int_equal(proxy_case((const char *const[]){ "all_proxy", NULL }, proxy, &res), 0);
        assert_string_equal(res.body, "proxied");
        result_done(&res);
        assert_int_equal(proxy_case((const char *const[]){ "ALL_PROXY", NULL }, proxy, &res), 0);
        assert_string_equal(res.body, "proxied");
        result_done(&res);

        /* Neither https_proxy nor HTTP_PROXY ("httpoxy") for an http URL: the name is then
         * resolved directly, and .invalid never resolves. */
        assert_int_equal(proxy_case((const char *const[]){ "https_proxy", "HTTPS_PROXY",
                                                           "HTTP_PROXY", NULL },
                                    proxy, &res),
                         -EHOSTUNREACH);
        result_done(&res);

        /* An empty variable counts as unset. */
        assert_int_equal(proxy_case((const char *const[]){ "http_proxy", NULL }, "", &res),
                         -EHOSTUNREACH);
        result_done(&res);

        /* no_proxy wins over the proxy. */
        assert_int_equal(setenv("no_proxy", "127.0.0.2,asyncfg-proxy-test.invalid", 1), 0);
        assert_int_equal(proxy_case((const char *const[]){ "http_proxy", NULL }, proxy, &res),
                         -EHOSTUNREACH);
        unsetenv("no_proxy");
        result_done(&res);
        assert_int_equal(setenv("NO_PROXY", "*", 1), 0);
        assert_int_equal(proxy_case((const char *const[]){ "all_proxy", NULL }, proxy, &res),
                         -EHOSTUNREACH);
        unsetenv("NO_PROXY");
        result_done(&res);
}

/* ---- TLS ----------------------------------------------------------------------------------- */

static char *read_file(const char *dir, const char *name) {
        _cleanup_free_ char *path = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        char *data = NULL;
        size_t size = 0;

        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        f = fopen(path, "re");
        if (!f)
                return NULL;
        data = calloc(1, 65536);
        size = fread(data, 1, 65535, f);
        data[size] = 0;
        return data;
}

/* A CA, a server certificate for 127.0.0.1 signed by it, and an unrelated CA. */
static int make_certificates(void) {
        _cleanup_free_ char *cmd = NULL;

        if (!mkdtemp(tls_dir))
                return -1;
        tls_dir_made = true;
        if (asprintf(&cmd,
                     "set -e; cd '%s'; exec 2>/dev/null >/dev/null;"
                     "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                     "  -keyout ca.key -out ca.pem -days 2 -subj /CN=asyncfg-test-ca;"
                     "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                     "  -keyout other.key -out other.pem -days 2 -subj /CN=asyncfg-other-ca;"
                     "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                     "  -keyout server.key -out server.csr -subj /CN=127.0.0.1;"
                     "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext.cnf;"
                     "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
                     "  -out server.pem -days 2 -extfile ext.cnf",
                     tls_dir) < 0)
                return -1;
        return system(cmd) == 0 ? 0 : -1;
}

static void check_tls(const char *ca_name, int expected) {
        _cleanup_free_ char *url = url_for(&tls_server, "https", "/ok");
        _cleanup_free_ char *ca = NULL;
        HttpRequest *req = NULL;
        Tracked t = {};
        Loop loop;

        loop_new(&loop, NULL);
        assert_int_equal(http_request_new(loop.engine, "GET", url, &req), 0);
        if (ca_name) {
                assert_true(asprintf(&ca, "%s/%s", tls_dir, ca_name) > 0);
                assert_int_equal(http_request_set_ca_file(req, ca), 0);
        }
        run_one(&loop, req, &t);
        assert_int_equal(t.res.error, expected);
        if (expected == 0) {
                assert_int_equal(t.res.status, 200);
                assert_string_equal(t.res.body, "ok");
        } else
                assert_true(t.res.detail);
        result_done(&t.res);
        loop_free(&loop);
}

static void test_tls_ca_file(void **state) {
        assert_false(tls_setup_failed);
        if (!have_tls)
                skip();
        check_tls("ca.pem", 0);
        check_tls("other.pem", -EKEYREJECTED);
        check_tls(NULL, -EKEYREJECTED); /* the system's trust store does not know our CA */
        check_tls("missing.pem", -EKEYREJECTED);
}

/* ---- setup --------------------------------------------------------------------------------- */

/* ---- streaming ----------------------------------------------------------------------------- */

/* A streaming request's record: t first, so the final callback (on_tracked) finds it too. */
typedef struct Stream {
        Tracked t;
        char data[8192];
        size_t size;
        unsigned pieces;
        uint64_t first_usec; /* when the first piece arrived */
        unsigned stop_after; /* after this many pieces: cancel (stop_error 0) or fail */
        int stop_error;
} Stream;

static int on_stream(HttpRequest *req, const void *data, size_t size, void *userdata) {
        Stream *st = userdata;

        assert_int_equal(st->t.res.calls, 0); /* never after the final callback */
        if (st->pieces++ == 0)
                st->first_usec = now_usec();
        assert_true(st->size + size <= sizeof(st->data));
        memcpy(st->data + st->size, data, size);
        st->size += size;
        if (st->stop_after == 0 || st->pieces < st->stop_after)
                return 0;
        if (st->stop_error < 0)
                return st->stop_error;
        http_request_cancel(req);
        return 0;
}

static void run_stream(Loop *loop, const char *path, uint64_t idle_usec, Stream *st) {
        _cleanup_free_ char *url = url_for(&plain_server, "http", path);
        HttpRequest *req = NULL;

        assert_int_equal(http_request_new(loop->engine, "POST", url, &req), 0);
        assert_int_equal(http_request_set_stream(req, on_stream, idle_usec), 0);
        run_one(loop, req, &st->t);
}

static void test_stream_pieces_as_they_arrive(void **state) {
        /* A total timeout far below the stream's 500 ms must not apply to it. */
        HttpEngineOptions o = { .total_timeout_usec = 200000 };
        Stream st = {};
        uint64_t start;
        Loop loop;

        loop_new(&loop, &o);
        start = now_usec();
        run_stream(&loop, "/drip", 0, &st);
        assert_int_equal(st.t.res.error, 0);
        assert_int_equal(st.t.res.status, 200);
        assert_int_equal(st.t.res.body_size, 0); /* handed over, not collected */
        assert_int_equal(st.size, 6 * DRIP_PIECE);
        assert_memory_equal(st.data, "piece 0\npiece 1\n", 16);
        assert_memory_equal(st.data + 40, "piece 5\n", 8);
        assert_true(st.pieces >= 3); /* as they came, not in one piece at the end */
        assert_true(st.first_usec - start < 300000);
        assert_true(now_usec() - start >= 450000);
        result_done(&st.t.res);
        loop_free(&loop);
}

static void test_stream_stopped_by_callback(void **state) {
        Stream cancelled = { .stop_after = 3 },
               failed = { .stop_after = 2, .stop_error = -EBADMSG };
        Loop loop;

        loop_new(&loop, NULL);
        run_stream(&loop, "/dripforever", 0, &cancelled);
        assert_int_equal(cancelled.t.res.error, -ECANCELED);
        assert_int_equal(cancelled.pieces, 3);
        run_stream(&loop, "/dripforever", 0, &failed);
        assert_int_equal(failed.t.res.error, -EBADMSG);
        assert_int_equal(failed.pieces, 2);
        loop_free(&loop);
}

static void test_stream_idle_timeout_and_errors(void **state) {
        Stream stalled = {}, missing = {};
        uint64_t start;
        Loop loop;

        loop_new(&loop, NULL);
        start = now_usec();
        run_stream(&loop, "/dripstall", 1000000, &stalled);
        assert_int_equal(stalled.t.res.error, -ETIMEDOUT);
        assert_int_equal(stalled.size, DRIP_PIECE);
        assert_in_range(now_usec() - start, 900000, 2900000);
        server_flush_delays(&plain_server);

        /* A non-2xx answer is collected as usual; the stream callback never sees it. */
        run_stream(&loop, "/drip404", 0, &missing);
        assert_int_equal(missing.t.res.error, 0);
        assert_int_equal(missing.t.res.status, 404);
        assert_string_equal(missing.t.res.body, "not here");
        assert_int_equal(missing.pieces, 0);
        result_done(&missing.t.res);
        loop_free(&loop);
}

/* From inside a stream callback (libcurl's write callback, where libcurl refuses to add or
 * remove handles) a new request starts and another one is cancelled all the same. */
typedef struct StreamStarter {
        Stream st;
        Loop *loop;
        HttpRequest *victim;
        Tracked started, cancelled;
        int start_error;
} StreamStarter;

static int on_stream_start_cancel(HttpRequest *req, const void *data, size_t size, void *userdata) {
        StreamStarter *x = userdata;
        _cleanup_free_ char *url = url_for(&plain_server, "http", "/echo");
        HttpRequest *r = NULL;

        if (x->st.pieces++ > 0)
                return 0;
        assert_int_equal(http_request_new(x->loop->engine, "GET", url, &r), 0);
        x->started.loop = x->loop;
        x->start_error = http_request_start(r, on_tracked, &x->started);
        if (x->start_error < 0)
                http_request_free(r);
        else
                x->loop->pending++;
        http_request_cancel(x->victim);
        return 0;
}

static void test_stream_callback_starts_and_cancels(void **state) {
        _cleanup_free_ char *drip = url_for(&plain_server, "http", "/drip");
        _cleanup_free_ char *delay = url_for(&plain_server, "http", "/delay");
        StreamStarter x = {};
        HttpRequest *req = NULL;
        Loop loop;

        loop_new(&loop, NULL);
        x.loop = &loop;
        x.victim = start_tracked(&loop, &x.cancelled, "GET", delay, NULL, 0);
        assert_int_equal(http_request_new(loop.engine, "POST", drip, &req), 0);
        assert_int_equal(http_request_set_stream(req, on_stream_start_cancel, 0), 0);
        x.st.t.loop = &loop;
        assert_int_equal(http_request_start(req, on_tracked, &x), 0);
        loop.pending++;
        assert_int_equal(loop_run(&loop, 5000000), 0);
        assert_int_equal(x.start_error, 0);
        assert_int_equal(x.started.res.calls, 1);
        assert_int_equal(x.started.res.error, 0);
        assert_int_equal(x.started.res.status, 200);
        assert_int_equal(x.cancelled.res.calls, 1);
        assert_int_equal(x.cancelled.res.error, -ECANCELED);
        assert_int_equal(x.st.t.res.error, 0);
        assert_int_equal(http_engine_in_flight(loop.engine), 0);
        server_flush_delays(&plain_server);
        result_done(&x.started.res);
        result_done(&x.st.t.res);
        loop_free(&loop);
}

static int group_setup(void **state) {
        if (server_start(&plain_server, NULL, NULL) < 0)
                return -1;
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
                return 0; /* the TLS test skips: libmicrohttpd built without TLS */
        /* From here on a failure fails the TLS test (openssl is a declared dependency). */
        tls_setup_failed = true;
        if (make_certificates() < 0)
                return 0;
        tls_key = read_file(tls_dir, "server.key");
        tls_cert = read_file(tls_dir, "server.pem");
        have_tls = tls_key && tls_cert && server_start(&tls_server, tls_key, tls_cert) == 0;
        tls_setup_failed = !have_tls;
        return 0;
}

static int group_teardown(void **state) {
        _cleanup_free_ char *cmd = NULL;

        server_stop(&plain_server);
        server_stop(&tls_server);
        free(tls_key);
        free(tls_cert);
        if (tls_dir_made && asprintf(&cmd, "rm -rf '%s'", tls_dir) > 0 && system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", tls_dir);
        return 0;
}

int main(void) {
        static const char *const proxy_vars[] = {
                "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                "all_proxy",  "ALL_PROXY",  "no_proxy",    "NO_PROXY",
        };
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_get_headers_on_the_wire),
                cmocka_unit_test(test_caller_host_accept_user_agent),
                cmocka_unit_test(test_put_post_bodies),
                cmocka_unit_test(test_put_without_body_and_delete),
                cmocka_unit_test(test_handle_reuse_across_methods),
                cmocka_unit_test(test_idle_connection_closed_by_server),
                cmocka_unit_test(test_parallel_requests_reuse_connections),
                cmocka_unit_test(test_set_limits),
                cmocka_unit_test(test_total_timeout),
                cmocka_unit_test(test_connection_refused),
                cmocka_unit_test(test_response_over_cap),
                cmocka_unit_test(test_cancel),
                cmocka_unit_test(test_engine_free_cancels_in_flight),
                cmocka_unit_test(test_start_from_callback),
                cmocka_unit_test(test_invalid_input),
                cmocka_unit_test(test_stream_pieces_as_they_arrive),
                cmocka_unit_test(test_stream_stopped_by_callback),
                cmocka_unit_test(test_stream_idle_timeout_and_errors),
                cmocka_unit_test(test_stream_callback_starts_and_cancels),
                cmocka_unit_test(test_start_after_loop_finished),
                cmocka_unit_test(test_proxy_from_environment),
                cmocka_unit_test(test_proxy_precedence),
                cmocka_unit_test(test_tls_ca_file),
                cmocka_unit_test(test_idle_after_a_request),
        };

        /* The tests talk to 127.0.0.1 directly; a proxy from the environment would get in the
         * way (the proxy test sets its own). */
        for (size_t i = 0; i < ELEMENTSOF(proxy_vars); i++)
                unsetenv(proxy_vars[i]);
        return cmocka_run_group_tests_name("http", tests, group_setup, group_teardown);
}
