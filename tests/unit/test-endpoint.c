/* SPDX-License-Identifier: MIT */

/* The HTTP endpoint on 127.0.0.1:0 in an sd-event loop, queried with lib/http in the same loop
 * (both are sd-event clients; nothing runs in another thread). Every loop is bounded by a
 * 10 s deadline that fails the test. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "lib/http.h"
#include "lib/macro.h"
#include "lib/time-util.h"
#include "reconciler/daemon/endpoint.h"
#include "lib/metrics.h"

#define DEADLINE_USEC (10 * 1000000ULL)

typedef struct Call {
        const char *method;
        const char *path;
        const char *body; /* sent if not NULL */
        int error;
        long status;
        char *text;
        char *content_type;
        char *allow;
} Call;

typedef struct Harness {
        sd_event *event;
        HttpEngine *http;
        Endpoint *ep;
        Metrics *metrics;
        unsigned pending;
        unsigned status_calls;
        bool status_fails;
} Harness;

/* A body of the text in the stream, given out a few bytes at a time (a piece per call). */
static ssize_t status_read(void *stream, char *buf, size_t max) {
        const char **p = stream;
        size_t n = MIN(MIN(max, strlen(*p)), (size_t) 5);

        memcpy(buf, *p, n);
        *p += n;
        return (ssize_t) n;
}

static int status_open(void *userdata, const EndpointStatusQuery *q, EndpointBody *ret,
                       char **ret_error) {
        Harness *h = userdata;
        const char **text = malloc(sizeof(char *));

        h->status_calls++;
        if (h->status_fails || !text) {
                free(text);
                return -EIO;
        }
        if (q->limit && streq(q->limit, "0")) {
                free(text);
                *ret_error = strdup("'limit' must be a number from 1 to 10000");
                return -EINVAL;
        }
        *text = "{\"summary\":{\"resources\":0}}";
        *ret = (EndpointBody){ .read = status_read, .free = free, .stream = text };
        return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        fail_msg("event loop deadline reached");
        return 0;
}

/* Runs the loop until *pending drops to 0. */
static void run_until_done(sd_event *e, const unsigned *pending) {
        sd_event_source *deadline = NULL;

        assert_int_equal(sd_event_add_time_relative(e, &deadline, CLOCK_MONOTONIC, DEADLINE_USEC, 0,
                                                    on_deadline, NULL),
                         0);
        while (*pending > 0)
                assert_true(sd_event_run(e, UINT64_MAX) >= 0);
        sd_event_source_disable_unref(deadline);
}

static void harness_start(Harness *h, const char *listen, bool with_sources) {
        EndpointOptions o = {
                .listen = listen,
                .metrics = with_sources ? h->metrics : NULL,
                .status = with_sources ? status_open : NULL,
                .userdata = h,
        };
        MetricGauge *g;

        assert_int_equal(sd_event_new(&h->event), 0);
        assert_int_equal(http_engine_new(h->event, NULL, &h->http), 0);
        assert_int_equal(metrics_new(&h->metrics), 0);
        assert_int_equal(metrics_add_gauge(h->metrics, "t_up", "Up.", NULL, &g), 0);
        assert_int_equal(metrics_gauge_set(g, 1), 0);
        o.metrics = with_sources ? h->metrics : NULL;
        assert_int_equal(endpoint_new(h->event, &o, &h->ep), 1);
        assert_non_null(h->ep);
        assert_true(endpoint_get_port(h->ep) > 0);
}

static void harness_stop(Harness *h) {
        h->ep = endpoint_free(h->ep);
        h->http = http_engine_free(h->http);
        h->metrics = metrics_free(h->metrics);
        h->event = sd_event_unref(h->event);
}

/* A call and the harness it runs in, so the callback finds both. */
typedef struct Slot {
        Harness *h;
        Call call;
} Slot;

static void call_done(HttpRequest *req, int error, const HttpResponse *resp, void *userdata) {
        Slot *slot = userdata;
        Harness *h = slot->h;
        Call *c = &slot->call;
        const char *v;

        c->error = error;
        if (error == 0) {
                c->status = resp->status;
                c->text = strndup(resp->body, resp->body_size);
                if ((v = http_response_header(resp, "Content-Type")))
                        c->content_type = strdup(v);
                if ((v = http_response_header(resp, "Allow")))
                        c->allow = strdup(v);
        }
        h->pending--;
}

static void call_start(Harness *h, const char *host, Slot *slot) {
        HttpRequest *r;
        char url[256];

        snprintf(url, sizeof(url), "http://%s:%u%s", host, endpoint_get_port(h->ep),
                 slot->call.path);
        slot->h = h;
        assert_int_equal(http_request_new(h->http, slot->call.method, url, &r), 0);
        if (slot->call.body)
                assert_int_equal(http_request_set_body(r, slot->call.body, strlen(slot->call.body)),
                                 0);
        assert_int_equal(http_request_start(r, call_done, slot), 0);
        h->pending++;
}

static void run_calls(Harness *h, const char *host, Slot *slots, size_t n) {
        for (size_t i = 0; i < n; i++)
                call_start(h, host, &slots[i]);
        run_until_done(h->event, &h->pending);
}

static void slots_free(Slot *slots, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(slots[i].call.text);
                free(slots[i].call.content_type);
                free(slots[i].call.allow);
        }
}

static void assert_call(const Call *c, long status, const char *text, const char *type) {
        if (c->error != 0)
                fail_msg("%s %s: error %d", c->method, c->path, c->error);
        if (c->status != status)
                fail_msg("%s %s: status %ld, expected %ld", c->method, c->path, c->status, status);
        if (text)
                assert_string_equal(c->text, text);
        if (type) {
                assert_non_null(c->content_type);
                assert_string_equal(c->content_type, type);
        }
}

static void test_routes(void **state) {
        Harness h = {};
        _cleanup_free_ char *metrics_text = NULL;
        size_t size;
        Slot s[] = {
                { .call = { "GET", "/metrics" } },
                { .call = { "GET", "/healthz" } },
                { .call = { "GET", "/readyz" } },
                { .call = { "GET", "/status" } },
                { .call = { "GET", "/nope" } },
                { .call = { "GET", "/metrics/" } },
                { .call = { "POST", "/metrics" } },
                { .call = { "DELETE", "/healthz" } },
                { .call = { "PUT", "/nope" } },
                { .call = { "HEAD", "/metrics" } },
                { .call = { "GET", "/healthz?x=1" } },
                { .call = { "GET", "/healthz", "a body" } },
                { .call = { "GET", "/status?limit=0" } },
        };

        harness_start(&h, "127.0.0.1:0", true);
        assert_int_equal(metrics_format(h.metrics, &metrics_text, &size), 0);
        run_calls(&h, "127.0.0.1", s, ELEMENTSOF(s));

        assert_call(&s[0].call, 200, metrics_text, METRICS_CONTENT_TYPE);
        assert_string_equal(METRICS_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
        assert_call(&s[1].call, 200, "ok\n", "text/plain; charset=utf-8");
        assert_call(&s[2].call, 503, "not ready\n", NULL);
        assert_call(&s[3].call, 200, "{\"summary\":{\"resources\":0}}", "application/json");
        assert_int_equal(h.status_calls, 2); /* this one and the bad query below */
        assert_call(&s[4].call, 404, NULL, NULL);
        assert_call(&s[5].call, 404, NULL, NULL);
        assert_call(&s[6].call, 405, NULL, NULL);
        assert_string_equal(s[6].call.allow, "GET, HEAD");
        assert_call(&s[7].call, 405, NULL, NULL);
        assert_call(&s[8].call, 405, NULL, NULL);
        assert_call(&s[9].call, 200, "", METRICS_CONTENT_TYPE); /* HEAD: headers, no body */
        assert_call(&s[10].call, 200, "ok\n", NULL);            /* the query is not the path */
        assert_call(&s[11].call, 413, NULL, NULL);
        /* The query goes to the status callback; what it refuses is a 400 that says why. */
        assert_call(&s[12].call, 400, "bad query: 'limit' must be a number from 1 to 10000\n",
                    NULL);
        slots_free(s, ELEMENTSOF(s));

        /* Ready once the manager says so, and back. */
        Slot r[] = { { .call = { "GET", "/readyz" } } };
        assert_false(endpoint_get_ready(h.ep));
        endpoint_set_ready(h.ep, true);
        assert_true(endpoint_get_ready(h.ep));
        run_calls(&h, "127.0.0.1", r, 1);
        assert_call(&r[0].call, 200, "ready\n", NULL);
        slots_free(r, 1);
        endpoint_set_ready(h.ep, false);
        run_calls(&h, "127.0.0.1", r, 1);
        assert_call(&r[0].call, 503, "not ready\n", NULL);
        slots_free(r, 1);
        /* Not ready with a reason: the 503 says it; ready again forgets it. */
        assert_int_equal(endpoint_set_not_ready(h.ep, "desired-state directory '/d' is missing"),
                         0);
        assert_false(endpoint_get_ready(h.ep));
        run_calls(&h, "127.0.0.1", r, 1);
        assert_call(&r[0].call, 503, "not ready: desired-state directory '/d' is missing\n", NULL);
        slots_free(r, 1);
        endpoint_set_ready(h.ep, true);
        run_calls(&h, "127.0.0.1", r, 1);
        assert_call(&r[0].call, 200, "ready\n", NULL);
        slots_free(r, 1);
        endpoint_set_ready(h.ep, false);
        run_calls(&h, "127.0.0.1", r, 1);
        assert_call(&r[0].call, 503, "not ready\n", NULL);
        slots_free(r, 1);

        harness_stop(&h);
}

static void test_sources_missing_or_failing(void **state) {
        Harness h = { .status_fails = true };
        Slot s[] = {
                { .call = { "GET", "/status" } },
                { .call = { "GET", "/healthz" } },
        };

        harness_start(&h, "127.0.0.1:0", true);
        run_calls(&h, "127.0.0.1", s, ELEMENTSOF(s));
        assert_call(&s[0].call, 500, NULL, NULL);
        assert_call(&s[1].call, 200, NULL, NULL);
        slots_free(s, ELEMENTSOF(s));
        harness_stop(&h);

        /* No registry and no status callback: those routes do not exist. */
        Harness bare = {};
        Slot b[] = {
                { .call = { "GET", "/metrics" } },
                { .call = { "GET", "/status" } },
                { .call = { "GET", "/healthz" } },
        };
        harness_start(&bare, "127.0.0.1:0", false);
        run_calls(&bare, "127.0.0.1", b, ELEMENTSOF(b));
        assert_call(&b[0].call, 404, NULL, NULL);
        assert_call(&b[1].call, 404, NULL, NULL);
        assert_call(&b[2].call, 200, NULL, NULL);
        slots_free(b, ELEMENTSOF(b));
        harness_stop(&bare);
}

static void test_ipv6(void **state) {
        sd_event *e = NULL;
        Endpoint *ep = NULL;
        EndpointOptions o = { .listen = "[::1]:0" };
        int r;

        assert_int_equal(sd_event_new(&e), 0);
        r = endpoint_new(e, &o, &ep);
        sd_event_unref(e);
        if (r == -EADDRNOTAVAIL || r == -EAFNOSUPPORT) {
                skip(); /* no IPv6 loopback in this sandbox */
                return;
        }
        assert_int_equal(r, 1);
        endpoint_free(ep);

        Harness h = {};
        Slot s[] = { { .call = { "GET", "/healthz" } } };
        harness_start(&h, "[::1]:0", true);
        run_calls(&h, "[::1]", s, 1);
        assert_call(&s[0].call, 200, "ok\n", NULL);
        slots_free(s, 1);
        harness_stop(&h);
}

static void test_disabled_and_bad_listen(void **state) {
        sd_event *e = NULL;
        Endpoint *ep = (Endpoint *) 0x1;
        static const char *const bad[] = {
                "127.0.0.1",        "127.0.0.1:",      ":9733",         "127.0.0.1:65536",
                "127.0.0.1:-1",     "127.0.0.1:+80",   "127.0.0.1:80 ", "127.0.0.1:0x50",
                "127.1:80",         "host.example:80", "::1:80",        "[::1]",
                "[::1]80",          "[::1]:",          "[]:80",         "[127.0.0.1]:80",
                "[fe80::1%lo]:80",  "1.2.3.4.5:80",    "256.0.0.1:80",  " 127.0.0.1:80",
                "127.0.0.1:123456",
        };

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(endpoint_new(e, &(EndpointOptions){ .listen = "" }, &ep), 0);
        assert_null(ep);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ep = NULL;
                int r = endpoint_new(e, &(EndpointOptions){ .listen = bad[i] }, &ep);
                if (r != -EINVAL)
                        fail_msg("'%s' accepted (%d)", bad[i], r);
                assert_null(ep);
        }
        sd_event_unref(e);

        struct sockaddr_storage sa;
        socklen_t len;
        const struct sockaddr_in *in = (const struct sockaddr_in *) &sa;
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) &sa;

        assert_int_equal(endpoint_parse_listen(NULL, &sa, &len), 1);
        assert_int_equal(in->sin_family, AF_INET);
        assert_int_equal(ntohs(in->sin_port), 9733);
        assert_int_equal(ntohl(in->sin_addr.s_addr), INADDR_LOOPBACK);
        assert_int_equal(endpoint_parse_listen("localhost:80", &sa, &len), 1);
        assert_int_equal(ntohl(in->sin_addr.s_addr), INADDR_LOOPBACK);
        assert_int_equal(endpoint_parse_listen("0.0.0.0:65535", &sa, &len), 1);
        assert_int_equal(ntohs(in->sin_port), 65535);
        assert_int_equal(len, sizeof(struct sockaddr_in));
        assert_int_equal(endpoint_parse_listen("[::]:9733", &sa, &len), 1);
        assert_int_equal(in6->sin6_family, AF_INET6);
        assert_int_equal(ntohs(in6->sin6_port), 9733);
        assert_int_equal(len, sizeof(struct sockaddr_in6));
        assert_int_equal(endpoint_parse_listen("", &sa, &len), 0);
}

static void test_bind_conflict(void **state) {
        sd_event *e = NULL;
        Endpoint *first = NULL, *second = NULL;
        char listen[64];

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(endpoint_new(e, &(EndpointOptions){ .listen = "127.0.0.1:0" }, &first), 1);
        snprintf(listen, sizeof(listen), "127.0.0.1:%u", endpoint_get_port(first));
        assert_int_equal(endpoint_new(e, &(EndpointOptions){ .listen = listen }, &second),
                         -EADDRINUSE);
        assert_null(second);
        /* Gone with the endpoint: the port is free again. */
        first = endpoint_free(first);
        assert_int_equal(endpoint_new(e, &(EndpointOptions){ .listen = listen }, &second), 1);
        endpoint_free(second);
        sd_event_unref(e);
}

/* What the daemon's warning about an unprotected endpoint is based on. */
static void test_listen_is_loopback(void **state) {
        assert_true(endpoint_listen_is_loopback("127.0.0.1:9733"));
        assert_true(endpoint_listen_is_loopback("127.1.2.3:1"));
        assert_true(endpoint_listen_is_loopback("localhost:9733"));
        assert_true(endpoint_listen_is_loopback("[::1]:9733"));
        assert_false(endpoint_listen_is_loopback("0.0.0.0:9733"));
        assert_false(endpoint_listen_is_loopback("[::]:9733"));
        assert_false(endpoint_listen_is_loopback("10.0.0.1:9733"));
        /* v4-mapped: not recognised, so warned about (the safe side) */
        assert_false(endpoint_listen_is_loopback("[::ffff:127.0.0.1]:9733"));
        assert_false(endpoint_listen_is_loopback(""));
        assert_false(endpoint_listen_is_loopback("nonsense"));
}

/* ---- limits ------------------------------------------------------------------------------- */

typedef struct Idle {
        int fd;
        bool closed;
        unsigned *pending;
} Idle;

static int on_idle_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Idle *c = userdata;
        char buf[256];
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

        if (n > 0 || (n < 0 && errno == EAGAIN))
                return 0;
        c->closed = true;
        (*c->pending)--;
        return sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

static int connect_idle(uint16_t port) {
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        return fd;
}

static void watch_idle(Harness *h, Idle *idle, sd_event_source **src, unsigned *pending) {
        *idle = (Idle){ .fd = connect_idle(endpoint_get_port(h->ep)), .pending = pending };
        assert_int_equal(sd_event_add_io(h->event, src, idle->fd, EPOLLIN | EPOLLRDHUP,
                                         on_idle_readable, idle),
                         0);
}

/* A client that connects and says nothing is dropped after the connection timeout, which only
 * the timer re-armed from MHD_get_timeout() can notice. */
static void test_idle_client_dropped(void **state) {
        Harness h = {};
        EndpointOptions o = { .listen = "127.0.0.1:0", .connection_timeout_sec = 1 };
        sd_event_source *src = NULL;
        Idle idle;
        unsigned closing = 1;

        assert_int_equal(sd_event_new(&h.event), 0);
        assert_int_equal(http_engine_new(h.event, NULL, &h.http), 0);
        assert_int_equal(endpoint_new(h.event, &o, &h.ep), 1);
        watch_idle(&h, &idle, &src, &closing);
        run_until_done(h.event, &closing);
        assert_true(idle.closed);

        sd_event_source_disable_unref(src);
        close(idle.fd);
        harness_stop(&h);
}

/* At the connection limit the connection that has waited longest for its header makes room:
 * a new client is answered at once, the oldest idle one is closed, the younger one is not. */
static void test_connection_limit_sheds_oldest(void **state) {
        Harness h = {};
        EndpointOptions o = { .listen = "127.0.0.1:0", .connection_limit = 3 };
        sd_event_source *src[2] = {};
        Idle idle[2];
        unsigned closing = 2;

        assert_int_equal(sd_event_new(&h.event), 0);
        assert_int_equal(http_engine_new(h.event, NULL, &h.http), 0);
        assert_int_equal(endpoint_new(h.event, &o, &h.ep), 1);
        for (size_t i = 0; i < 2; i++)
                watch_idle(&h, &idle[i], &src[i], &closing);

        Slot t[] = { { .call = { "GET", "/healthz" } } };
        run_calls(&h, "127.0.0.1", t, 1);
        assert_call(&t[0].call, 200, "ok\n", NULL);
        slots_free(t, 1);
        while (!idle[0].closed)
                assert_true(sd_event_run(h.event, 2 * USEC_PER_SEC) > 0);
        assert_false(idle[1].closed);

        for (size_t i = 0; i < 2; i++) {
                src[i] = sd_event_source_disable_unref(src[i]);
                close(idle[i].fd);
        }
        harness_stop(&h);
}

typedef struct Trickle {
        int fd;
        unsigned sent;
} Trickle;

static int on_trickle(sd_event_source *s, uint64_t usec, void *userdata) {
        Trickle *t = userdata;
        static const char header[] = "GET /healthz HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa";

        if (t->sent < sizeof(header) - 1 && send(t->fd, header + t->sent, 1, MSG_NOSIGNAL) == 1)
                t->sent++;
        return sd_event_source_set_time_relative(s, 100 * USEC_PER_MSEC);
}

/* A header that trickles in a byte every 100 ms makes progress all the time, so MHD's timeout
 * (10 s here) never fires; the header deadline (1 s) closes it all the same. */
static void test_header_deadline(void **state) {
        Harness h = {};
        EndpointOptions o = { .listen = "127.0.0.1:0", .header_timeout_msec = 1000 };
        sd_event_source *src = NULL, *timer = NULL;
        Trickle t = {};
        Idle idle;
        unsigned closing = 1;
        usec_t start = now(CLOCK_MONOTONIC);

        assert_int_equal(sd_event_new(&h.event), 0);
        assert_int_equal(http_engine_new(h.event, NULL, &h.http), 0);
        assert_int_equal(endpoint_new(h.event, &o, &h.ep), 1);
        watch_idle(&h, &idle, &src, &closing);
        t.fd = idle.fd;
        assert_int_equal(
                sd_event_add_time_relative(h.event, &timer, CLOCK_MONOTONIC, 0, 1, on_trickle, &t),
                0);
        assert_int_equal(sd_event_source_set_enabled(timer, SD_EVENT_ON), 0);
        run_until_done(h.event, &closing);
        assert_true(idle.closed);
        assert_true(t.sent >= 5);
        assert_true(now(CLOCK_MONOTONIC) - start < 3 * USEC_PER_SEC);

        sd_event_source_disable_unref(timer);
        sd_event_source_disable_unref(src);
        close(idle.fd);
        harness_stop(&h);
}

/* An answer on fd, the loop run meanwhile (the endpoint is served by it). */
static ssize_t recv_served(Harness *h, int fd, char *buf, size_t size) {
        for (int i = 0; i < 100; i++) {
                ssize_t n = recv(fd, buf, size - 1, MSG_DONTWAIT);
                if (n > 0) {
                        buf[n] = 0;
                        return n;
                }
                assert_true(sd_event_run(h->event, 50000) >= 0);
        }
        return -1;
}

/* endpoint_replace(): on the same address the successor keeps the port, and a connection that
 * waited in the listening socket's backlog at the swap is answered by the new endpoint; a
 * successor that cannot start leaves the old one serving; "" disables. */
static void test_replace(void **state) {
        Harness h = {};
        Endpoint *old;
        EndpointOptions o = { .listen = "127.0.0.1:0", .userdata = &h };
        static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        char buf[512];
        uint16_t port;
        int early;

        harness_start(&h, "127.0.0.1:0", false);
        port = endpoint_get_port(h.ep);
        early = connect_idle(port);
        old = h.ep;
        assert_int_equal(endpoint_replace(h.event, &o, &h.ep), 1);
        assert_ptr_not_equal(h.ep, old);
        assert_int_equal(endpoint_get_port(h.ep), port);
        assert_int_equal(send(early, req, sizeof(req) - 1, 0), (ssize_t) sizeof(req) - 1);
        assert_true(recv_served(&h, early, buf, sizeof(buf)) > 0);
        assert_true(startswith(buf, "HTTP/1.1 200"));
        close(early);

        /* A certificate that cannot be read: the error, and the endpoint in force unchanged. */
        old = h.ep;
        o.tls_cert_file = "/nonexistent/cert.pem";
        o.tls_key_file = "/nonexistent/key.pem";
        assert_int_equal(endpoint_replace(h.event, &o, &h.ep), -ENOENT);
        assert_ptr_equal(h.ep, old);
        early = connect_idle(port);
        assert_int_equal(send(early, req, sizeof(req) - 1, 0), (ssize_t) sizeof(req) - 1);
        assert_true(recv_served(&h, early, buf, sizeof(buf)) > 0);
        assert_true(startswith(buf, "HTTP/1.1 200"));
        close(early);

        o = (EndpointOptions){ .listen = "", .userdata = &h };
        assert_int_equal(endpoint_replace(h.event, &o, &h.ep), 0);
        assert_null(h.ep);
        harness_stop(&h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_routes),
                cmocka_unit_test(test_sources_missing_or_failing),
                cmocka_unit_test(test_ipv6),
                cmocka_unit_test(test_disabled_and_bad_listen),
                cmocka_unit_test(test_bind_conflict),
                cmocka_unit_test(test_listen_is_loopback),
                cmocka_unit_test(test_idle_client_dropped),
                cmocka_unit_test(test_connection_limit_sheds_oldest),
                cmocka_unit_test(test_header_deadline),
                cmocka_unit_test(test_replace),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
