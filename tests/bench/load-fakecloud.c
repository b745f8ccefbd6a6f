/* SPDX-License-Identifier: MIT */
/* Load generator for build/fakecloud: keeps N requests in flight over N keep-alive
 * connections (raw sockets, one epoll loop per thread), each request freshly signed with the
 * project's signers, a mix of PUTs and GETs across Lambda, FC3, FC2 and FunctionGraph, for a
 * bounded time; prints requests per second.
 *
 *   load-fakecloud --port P [--connections 64] [--duration 10] [--threads 1] [--client raw]
 *                  [--requests N]
 *
 * Each connection works on its own functions, cycling PUT, GET per API, so every GET finds a
 * config (all answers are 200 unless the emulator misbehaves; others are counted as errors).
 *
 * --client raw (the default) writes the requests on the sockets itself and reads the answers
 * with a minimal parser: the emulator's capacity, with as little client as can be.
 * --client libcurl sends the very same signed requests through asyncfg's HTTP engine
 * (lib/http: libcurl's multi interface on sd-event, as the CLI and the daemon use it) and does
 * nothing else with the answers: what a client built on libcurl reaches before it does any
 * work of its own (no desired state, diff, JSON or state store).
 *
 * --requests N stops once N answers have come (--duration is then only a cap): the whole
 * process's CPU for exactly the number of requests another client made, startup, connections
 * and exit included on both sides (tests/bench/bench-apply compares `asyncfg apply` so). */

#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <systemd/sd-event.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "lib/heap.h"
#include "lib/http.h"
#include "tests/fakecloud/client.h"
#include "tests/fakecloud/fakecloud.h"

#define N_OPS 8
#define BUF_SIZE 8192

typedef struct Conn {
        int fd;
        unsigned id;
        unsigned op;
        char out[BUF_SIZE];
        size_t out_len, out_off;
        char in[BUF_SIZE];
        size_t in_len;
} Conn;

typedef struct Worker {
        pthread_t thread;
        unsigned first_conn, n_conns;
        uint64_t requests, errors;
        int error;
        /* --client libcurl */
        sd_event *event;
        HttpEngine *http;
        unsigned active; /* chains that still send */
} Worker;

/* --client libcurl: one chain of requests per "connection", one in flight at a time. */
typedef struct Chain {
        Worker *worker;
        unsigned id, op;
} Chain;

static uint16_t arg_port;
static unsigned arg_connections = 64, arg_threads = 1;
static bool arg_libcurl;
static double arg_duration = 10;
static unsigned long arg_requests; /* 0: until --duration */
static atomic_ulong answered;
static char host_header[64];
static volatile bool stop_flag;

/* One more answer: with --requests, the last one wanted stops every worker. */
static void count_answer(void) {
        if (arg_requests > 0 && atomic_fetch_add(&answered, 1) + 1 >= arg_requests)
                stop_flag = true;
}

static double now_sec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int connect_to(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(arg_port) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

        if (fd < 0)
                return -errno;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

/* The op-th request of connection id: API, method, target, body. */
static void describe(unsigned id, unsigned op, FakeApi *api, const char **method, char *target,
                     size_t size, const char **body) {
        static const char *const bodies[] = {
                "{\"MaximumRetryAttempts\":1,\"MaximumEventAgeInSeconds\":3600,\"DestinationConfig\":{\"OnFailure\":"
                "{\"Destination\":\"arn:aws:sqs:us-east-1:123456789012:dlq\"}}}",
                "{\"maxAsyncRetryAttempts\":2,\"maxAsyncEventAgeInSeconds\":3600,\"destinationConfig\":{\"onFailure\":"
                "{\"destination\":\"acs:mns:cn-hangzhou:1234567890123456:/queues/q/messages\"}}}",
                "{\"maxAsyncRetryAttempts\":2,\"statefulInvocation\":true}",
                "{\"max_async_event_age_in_seconds\":3600,\"max_async_retry_attempts\":2,\"destination_config\":"
                "{\"on_failure\":{\"destination\":\"SMN\",\"param\":\"{\\\"topic_urn\\\":\\\"urn:smn:cn-north-4:p:t\\\"}\"}}}",
        };
        unsigned which = op / 2;
        bool put = op % 2 == 0;

        *method = put ? "PUT" : "GET";
        *body = put ? bodies[which] : NULL;
        switch (which) {
        case 0:
                *api = FAKE_API_LAMBDA;
                snprintf(target, size,
                         "/2019-09-25/functions/bench-%u/event-invoke-config?Qualifier=prod", id);
                break;
        case 1:
                *api = FAKE_API_FC3;
                snprintf(target, size,
                         "/2023-03-30/functions/bench-%u/async-invoke-config?qualifier=LATEST", id);
                break;
        case 2:
                *api = FAKE_API_FC2;
                snprintf(target, size,
                         "/2021-04-06/services/bench/functions/bench-%u/async-invoke-config", id);
                break;
        default:
                *api = FAKE_API_FUNCTIONGRAPH;
                snprintf(target, size,
                         "/v2/" FAKE_DEFAULT_HUAWEI_PROJECT
                         "/fgs/functions/urn:fss:cn-north-4:" FAKE_DEFAULT_HUAWEI_PROJECT
                         ":function:default:bench-%u:latest/async-invoke-config",
                         id);
                break;
        }
}

/* The op-th request of connection id, signed: method, target, body and headers (s). */
static int sign_request(unsigned id, unsigned op, const char **method, char *target, size_t size,
                        const char **body, size_t *blen, FakeSignedRequest *s) {
        const char *ak;
        FakeApi api;

        describe(id, op, &api, method, target, size, body);
        *blen = *body ? strlen(*body) : 0;
        ak = api == FAKE_API_LAMBDA          ? FAKE_DEFAULT_AWS_AKID
             : api == FAKE_API_FUNCTIONGRAPH ? FAKE_DEFAULT_HUAWEI_AK
                                             : FAKE_DEFAULT_ALICLOUD_AKID;
        return fake_client_sign(api, *method, target, host_header, *body, *blen, ak, "fakesecret",
                                FAKE_DEFAULT_HUAWEI_PROJECT, time(NULL), s);
}

static int build_request(Conn *c) {
        FakeSignedRequest s = {};
        const char *method, *body;
        char target[512];
        size_t n, blen;
        int r;

        r = sign_request(c->id, c->op, &method, target, sizeof(target), &body, &blen, &s);
        if (r < 0)
                return r;
        n = (size_t) snprintf(c->out, sizeof(c->out), "%s %s HTTP/1.1\r\n", method, target);
        for (size_t i = 0; i < s.n_headers && n < sizeof(c->out); i++)
                n += (size_t) snprintf(c->out + n, sizeof(c->out) - n, "%s: %s\r\n",
                                       s.headers[i].name, s.headers[i].value);
        if (n < sizeof(c->out))
                n += (size_t) snprintf(c->out + n, sizeof(c->out) - n,
                                       "Content-Length: %zu\r\n\r\n%s", blen, body ?: "");
        fake_signed_request_done(&s);
        if (n >= sizeof(c->out))
                return -E2BIG;
        c->out_len = n;
        c->out_off = 0;
        c->in_len = 0;
        return 0;
}

static int flush_out(Conn *c) {
        while (c->out_off < c->out_len) {
                ssize_t k = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
                if (k < 0)
                        return errno == EAGAIN ? 0 : -errno;
                c->out_off += (size_t) k;
        }
        return 0;
}

/* 1 with *status when a whole response is in c->in, 0 when more is needed. */
static int parse_response(Conn *c, unsigned *status) {
        char *end, *cl;
        size_t head, body = 0;

        c->in[c->in_len] = 0;
        end = strstr(c->in, "\r\n\r\n");
        if (!end)
                return 0;
        head = (size_t) (end - c->in) + 4;
        cl = strcasestr(c->in, "\r\nContent-Length:");
        if (cl && cl < end)
                body = strtoul(cl + 17, NULL, 10);
        if (c->in_len < head + body)
                return 0;
        if (sscanf(c->in, "HTTP/1.1 %u", status) != 1)
                return -EBADMSG;
        return 1;
}

static void *worker_run(void *userdata) {
        Worker *w = userdata;
        Conn *conns = calloc(w->n_conns, sizeof(Conn));
        struct epoll_event ev[64];
        int ep = epoll_create1(EPOLL_CLOEXEC);

        if (!conns || ep < 0) {
                w->error = -ENOMEM;
                return NULL;
        }
        for (unsigned i = 0; i < w->n_conns; i++) {
                Conn *c = &conns[i];
                c->id = w->first_conn + i;
                c->fd = connect_to();
                if (c->fd < 0 || build_request(c) < 0 || flush_out(c) < 0) {
                        w->error = -EIO;
                        return NULL;
                }
                epoll_ctl(ep, EPOLL_CTL_ADD, c->fd,
                          &(struct epoll_event){ .events = EPOLLIN, .data.ptr = c });
        }
        while (!stop_flag) {
                int n = epoll_wait(ep, ev, (int) ELEMENTSOF(ev), 100);
                for (int i = 0; i < n; i++) {
                        Conn *c = ev[i].data.ptr;
                        unsigned status = 0;
                        ssize_t k =
                                recv(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len, 0);
                        int r;
                        if (k <= 0) {
                                w->error = -EIO;
                                stop_flag = true;
                                break;
                        }
                        c->in_len += (size_t) k;
                        r = parse_response(c, &status);
                        if (r == 0)
                                continue;
                        w->requests++;
                        count_answer();
                        if (r < 0 || status < 200 || status >= 300)
                                w->errors++;
                        c->op = (c->op + 1) % N_OPS;
                        if (build_request(c) < 0 || flush_out(c) < 0) {
                                w->error = -EIO;
                                stop_flag = true;
                                break;
                        }
                }
        }
        for (unsigned i = 0; i < w->n_conns; i++)
                close(conns[i].fd);
        close(ep);
        free(conns);
        return NULL;
}

/* ---- --client libcurl ---------------------------------------------------------------- */

static int chain_send(Chain *c);

static void chain_stop(Chain *c) {
        Worker *w = c->worker;

        if (--w->active == 0)
                (void) sd_event_exit(w->event, 0);
}

static void chain_on_response(HttpRequest *req, int error, const HttpResponse *resp,
                              void *userdata) {
        Chain *c = userdata;
        Worker *w = c->worker;
        int r;

        if (error < 0) {
                w->error = error;
                stop_flag = true;
                chain_stop(c);
                return;
        }
        w->requests++;
        count_answer();
        if (resp->status < 200 || resp->status >= 300)
                w->errors++;
        if (stop_flag) {
                chain_stop(c);
                return;
        }
        c->op = (c->op + 1) % N_OPS;
        r = chain_send(c);
        if (r < 0) {
                w->error = r;
                stop_flag = true;
                chain_stop(c);
        }
}

static int chain_send(Chain *c) {
        _cleanup_(http_request_freep) HttpRequest *req = NULL;
        FakeSignedRequest s = {};
        const char *method, *body;
        char target[512], url[600];
        size_t blen;
        int r;

        r = sign_request(c->id, c->op, &method, target, sizeof(target), &body, &blen, &s);
        if (r < 0)
                return r;
        snprintf(url, sizeof(url), "http://%s%s", host_header, target);
        r = http_request_new(c->worker->http, method, url, &req);
        for (size_t i = 0; r >= 0 && i < s.n_headers; i++)
                r = http_request_add_header(req, s.headers[i].name, s.headers[i].value);
        if (r >= 0 && body)
                r = http_request_set_body(req, body, blen);
        fake_signed_request_done(&s);
        if (r >= 0)
                r = http_request_start(req, chain_on_response, c);
        if (r < 0)
                return r;
        TAKE_PTR(req); /* the engine's until the callback */
        return 0;
}

static void *worker_run_libcurl(void *userdata) {
        Worker *w = userdata;
        HttpEngineOptions o = { .max_connections_per_host = w->n_conns,
                                .max_total_connections = w->n_conns };
        _cleanup_free_ Chain *chains = calloc(w->n_conns, sizeof(Chain));
        int r;

        r = chains ? sd_event_new(&w->event) : -ENOMEM;
        if (r >= 0)
                r = http_engine_new(w->event, &o, &w->http);
        for (unsigned i = 0; r >= 0 && i < w->n_conns; i++) {
                chains[i] = (Chain){ .worker = w, .id = w->first_conn + i };
                r = chain_send(&chains[i]);
                if (r >= 0)
                        w->active++;
        }
        if (r >= 0 && w->active > 0)
                r = sd_event_loop(w->event);
        if (r < 0 && w->error >= 0)
                w->error = r;
        w->http = http_engine_free(w->http); /* after an error, cancels what is in flight */
        w->event = sd_event_unref(w->event);
        return NULL;
}

/* Creates the functions every connection uses, in one control request. */
static int create_functions(void) {
        size_t cap = 256 + (size_t) arg_connections * 400, n = 0;
        _cleanup_free_ char *body = malloc(cap), *req = NULL;
        char resp[1024];
        int fd, len;

        if (!body)
                return -ENOMEM;
        n += (size_t) snprintf(body + n, cap - n, "[");
        for (unsigned i = 0; i < arg_connections; i++)
                n += (size_t) snprintf(
                        body + n, cap - n,
                        "%s{\"provider\":\"aws\",\"function\":\"bench-%u\"},"
                        "{\"provider\":\"alicloud\",\"function\":\"bench-%u\"},"
                        "{\"provider\":\"alicloud\",\"service\":\"bench\",\"function\":\"bench-%u\"},"
                        "{\"provider\":\"huaweicloud\",\"function\":\"bench-%u\"}",
                        i ? "," : "", i, i, i, i);
        n += (size_t) snprintf(body + n, cap - n, "]");
        len = asprintf(
                &req,
                "POST /_fake/functions HTTP/1.1\r\nHost: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                host_header, n, body);
        if (len < 0)
                return -ENOMEM;
        fd = connect_to();
        if (fd < 0)
                return fd;
        if (send(fd, req, (size_t) len, MSG_NOSIGNAL) != len) {
                close(fd);
                return -EIO;
        }
        len = (int) recv(fd, resp, sizeof(resp) - 1, MSG_WAITALL);
        close(fd);
        if (len <= 0)
                return -EIO;
        resp[len] = 0;
        return strncmp(resp, "HTTP/1.1 201", 12) == 0 ? 0 : -EIO;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "port", required_argument, NULL, 'p' },
                { "connections", required_argument, NULL, 'c' },
                { "duration", required_argument, NULL, 'd' },
                { "threads", required_argument, NULL, 't' },
                { "client", required_argument, NULL, 'C' },
                { "requests", required_argument, NULL, 'n' },
                {},
        };
        _cleanup_free_ Worker *workers = NULL;
        uint64_t requests = 0, errors = 0;
        double start, elapsed, cpu_usec;
        int c, r;

        /* The allocator set up as asyncfg's CLI sets it up (cmd/asyncfg.c), so that the
         * comparison is of the work, not of the heap's page faults. */
        heap_reserve_huge_pages(64 * 1024 * 1024);
        while ((c = getopt_long(argc, argv, "p:c:d:t:C:n:", options, NULL)) >= 0)
                switch (c) {
                case 'p':
                        arg_port = (uint16_t) strtoul(optarg, NULL, 10);
                        break;
                case 'c':
                        arg_connections = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'd':
                        arg_duration = strtod(optarg, NULL);
                        break;
                case 't':
                        arg_threads = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'n':
                        arg_requests = strtoul(optarg, NULL, 10);
                        break;
                case 'C':
                        if (streq(optarg, "libcurl"))
                                arg_libcurl = true;
                        else if (!streq(optarg, "raw")) {
                                fprintf(stderr, "load-fakecloud: --client is raw or libcurl\n");
                                return 2;
                        }
                        break;
                default:
                        return 2;
                }
        if (arg_port == 0 || arg_connections == 0 || arg_threads == 0 ||
            arg_threads > arg_connections || !(arg_duration > 0 && arg_duration <= 600)) {
                fprintf(stderr,
                        "usage: load-fakecloud --port P [--connections N] [--duration S] [--threads T] "
                        "[--client raw|libcurl] [--requests N]\n");
                return 2;
        }
        snprintf(host_header, sizeof(host_header), "127.0.0.1:%u", arg_port);
        r = create_functions();
        if (r < 0) {
                fprintf(stderr, "load-fakecloud: creating the functions failed: %s\n",
                        strerror(-r));
                return 1;
        }
        workers = calloc(arg_threads, sizeof(Worker));
        if (!workers)
                return 1;
        start = now_sec();
        for (unsigned i = 0; i < arg_threads; i++) {
                workers[i].first_conn = i * arg_connections / arg_threads;
                workers[i].n_conns =
                        (i + 1) * arg_connections / arg_threads - workers[i].first_conn;
                pthread_create(&workers[i].thread, NULL,
                               arg_libcurl ? worker_run_libcurl : worker_run, &workers[i]);
        }
        while (!stop_flag && now_sec() - start < arg_duration) {
                struct timespec ts = { .tv_nsec = 50 * 1000 * 1000 };
                nanosleep(&ts, NULL);
        }
        stop_flag = true;
        for (unsigned i = 0; i < arg_threads; i++) {
                pthread_join(workers[i].thread, NULL);
                requests += workers[i].requests;
                errors += workers[i].errors;
                if (workers[i].error < 0)
                        r = workers[i].error;
        }
        elapsed = now_sec() - start;
        {
                struct rusage ru;
                getrusage(RUSAGE_SELF, &ru);
                cpu_usec = (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
                           (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
        }
        printf("fakecloud: %s client, %u connections, %u threads, %.1f s: %llu signed requests (%llu not 2xx), "
               "%.0f requests/s\n",
               arg_libcurl ? "libcurl" : "raw", arg_connections, arg_threads, elapsed,
               (unsigned long long) requests, (unsigned long long) errors,
               (double) requests / elapsed);
        printf("load generator CPU: %.1f us per request (signing included)\n",
               requests > 0 ? cpu_usec / (double) requests : 0.0);
        if (r < 0) {
                fprintf(stderr, "load-fakecloud: a connection failed: %s\n", strerror(-r));
                return 1;
        }
        return errors > 0 ? 1 : 0;
}
