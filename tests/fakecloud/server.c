/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "tests/fakecloud/server.h"

/* Per-connection memory of libmicrohttpd (request line, headers, read buffer). It is zeroed
 * for every request, so its size shows in a profile: 16 KiB instead of the default 32 holds
 * any SDK's headers with room to spare. */
#define CONNECTION_MEMORY (16 * 1024)

/* One request in progress. Created by the URI log callback (which sees the raw request
 * target, before libmicrohttpd splits and decodes it), freed by the completion callback. */
typedef struct Exchange {
        char *target;
        char *body;
        size_t body_size, body_allocated;
        bool started;
        bool too_large;
        bool handled;   /* response computed (and possibly waiting for its delay) */
        bool in_flight; /* a cloud request counted in the stats' inFlight */
        FakeResponse resp;
        struct MHD_Connection *connection;
        uint64_t wake_usec;
        struct Exchange *next_delayed;
} Exchange;

struct FakeServer {
        FakeCloud *fc;
        struct MHD_Daemon *daemon;
        int listen_fd;
        uint16_t port;
        /* Delayed responses: a list sorted by wake time, served by one thread. */
        pthread_t timer;
        bool timer_running;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool stopping;
        Exchange *delayed;
};

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static void *timer_thread(void *userdata) {
        FakeServer *s = userdata;

        pthread_mutex_lock(&s->lock);
        while (!s->stopping) {
                uint64_t now = now_usec();
                Exchange *e = s->delayed;
                if (e && e->wake_usec <= now) {
                        s->delayed = e->next_delayed;
                        e->next_delayed = NULL;
                        MHD_resume_connection(e->connection);
                        continue;
                }
                if (!e) {
                        pthread_cond_wait(&s->cond, &s->lock);
                        continue;
                }
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                uint64_t wait = e->wake_usec - now;
                ts.tv_sec += (time_t) (wait / 1000000);
                ts.tv_nsec += (long) (wait % 1000000) * 1000;
                if (ts.tv_nsec >= 1000000000) {
                        ts.tv_sec++;
                        ts.tv_nsec -= 1000000000;
                }
                pthread_cond_timedwait(&s->cond, &s->lock, &ts);
        }
        /* Shutting down: let every held connection go (MHD must not stop with suspended ones). */
        while (s->delayed) {
                Exchange *e = s->delayed;
                s->delayed = e->next_delayed;
                MHD_resume_connection(e->connection);
        }
        pthread_mutex_unlock(&s->lock);
        return NULL;
}

static void delay_exchange(FakeServer *s, Exchange *e) {
        Exchange **p;

        e->wake_usec = now_usec() + e->resp.delay_usec;
        pthread_mutex_lock(&s->lock);
        for (p = &s->delayed; *p && (*p)->wake_usec <= e->wake_usec; p = &(*p)->next_delayed)
                ;
        e->next_delayed = *p;
        *p = e;
        MHD_suspend_connection(e->connection);
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->lock);
}

static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *connection) {
        Exchange *e = calloc(1, sizeof(Exchange));

        if (!e)
                return NULL;
        e->target = strdup(uri ?: "");
        e->connection = connection;
        if (!e->target) {
                free(e);
                return NULL;
        }
        return e;
}

static void request_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                              enum MHD_RequestTerminationCode toe) {
        Exchange *e = *req_cls;

        if (!e)
                return;
        if (e->in_flight)
                fake_cloud_count_in_flight(((FakeServer *) cls)->fc, -1);
        fake_cloud_log_end(((FakeServer *) cls)->fc, e->resp.log_seq);
        fake_response_done(&e->resp);
        free(e->target);
        free(e->body);
        free(e);
        *req_cls = NULL;
}

typedef struct HeaderList {
        SignHeader *items;
        size_t n, allocated;
} HeaderList;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value) {
        HeaderList *l = cls;

        if (l->n == l->allocated) {
                size_t n = l->allocated ? l->allocated * 2 : 32;
                SignHeader *p = realloc(l->items, n * sizeof(SignHeader));
                if (!p)
                        return MHD_NO;
                l->items = p;
                l->allocated = n;
        }
        l->items[l->n++] = (SignHeader){ .name = key, .value = value ?: "" };
        return MHD_YES;
}

static bool is_loopback(struct MHD_Connection *connection) {
        const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = ci ? ci->client_addr : NULL;

        if (!sa)
                return false;
        if (sa->sa_family == AF_INET)
                return (ntohl(((const struct sockaddr_in *) sa)->sin_addr.s_addr) >> 24) == 127;
        if (sa->sa_family == AF_INET6) {
                const struct in6_addr *a = &((const struct sockaddr_in6 *) sa)->sin6_addr;
                return IN6_IS_ADDR_LOOPBACK(a) ||
                       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
        }
        return false;
}

static int append_body(Exchange *e, const char *data, size_t size) {
        if (e->too_large || e->body_size + size > FAKE_MAX_BODY_SIZE) {
                e->too_large = true;
                return 0;
        }
        if (e->body_size + size + 1 > e->body_allocated) {
                size_t n = MAX(e->body_allocated * 2, e->body_size + size + 1);
                char *p = realloc(e->body, n);
                if (!p)
                        return -ENOMEM;
                e->body = p;
                e->body_allocated = n;
        }
        memcpy(e->body + e->body_size, data, size);
        e->body_size += size;
        e->body[e->body_size] = 0;
        return 0;
}

static enum MHD_Result queue(struct MHD_Connection *connection, FakeResponse *r) {
        struct MHD_Response *mr;
        enum MHD_Result ret;

        mr = MHD_create_response_from_buffer(r->body_size, r->body, MHD_RESPMEM_MUST_FREE);
        if (!mr)
                return MHD_NO;
        r->body = NULL; /* libmicrohttpd frees it now */
        for (size_t i = 0; i < r->n_headers; i++)
                MHD_add_response_header(mr, r->headers[i].name, r->headers[i].value);
        ret = MHD_queue_response(connection, r->status, mr);
        MHD_destroy_response(mr);
        return ret;
}

static enum MHD_Result handle_exchange(FakeServer *s, Exchange *e,
                                       struct MHD_Connection *connection, const char *method) {
        HeaderList headers = {};
        FakeRequest req;

        if (e->too_large) {
                e->resp.status = 413;
                e->resp.body = strdup("{\"message\":\"request body too large\"}");
                e->resp.body_size = e->resp.body ? strlen(e->resp.body) : 0;
                e->handled = true;
                return queue(connection, &e->resp);
        }
        MHD_get_connection_values(connection, MHD_HEADER_KIND, collect_header, &headers);
        req = (FakeRequest){
                .method = method,
                .target = e->target,
                .headers = headers.items,
                .n_headers = headers.n,
                .body = e->body,
                .body_size = e->body_size,
                .loopback = is_loopback(connection),
        };
        (void) fake_handle_request(s->fc, &req, &e->resp);
        free(headers.items);
        e->handled = true;
        if (e->resp.cloud) {
                e->in_flight = true;
                fake_cloud_count_in_flight(s->fc, +1);
        }
        if (e->resp.drop)
                return MHD_NO;
        if (e->resp.delay_usec > 0) {
                delay_exchange(s, e);
                return MHD_YES;
        }
        return queue(connection, &e->resp);
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *connection, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **req_cls) {
        FakeServer *s = cls;
        Exchange *e = *req_cls;

        if (!e)
                return MHD_NO; /* the URI logger could not allocate */
        if (!e->started) {
                e->started = true;
                return MHD_YES;
        }
        if (*upload_data_size > 0) {
                if (append_body(e, upload_data, *upload_data_size) < 0)
                        return MHD_NO;
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (e->handled) /* resumed after an injected delay */
                return queue(connection, &e->resp);
        return handle_exchange(s, e, connection, method);
}

/* libmicrohttpd's own error log, minus the line it writes for every connection that an
 * injected "drop" fault closes on purpose. */
static void mhd_log(void *cls, const char *fmt, va_list ap) {
        char line[512];

        vsnprintf(line, sizeof(line), fmt, ap);
        if (startswith(line, "Application reported internal error"))
                return;
        fprintf(stderr, "fakecloud: libmicrohttpd: %s", line);
}

static int open_listener(const FakeServerOptions *o, int *ret_fd, uint16_t *ret_port, char *error,
                         size_t size) {
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
                                  .ai_flags = AI_PASSIVE | AI_NUMERICSERV },
                        *ai = NULL;
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        char port[8];
        int fd, one = 1, r;

        snprintf(port, sizeof(port), "%u", o->port);
        r = getaddrinfo(o->host ?: "127.0.0.1", port, &hints, &ai);
        if (r != 0)
                return snprintf(error, size, "cannot resolve '%s': %s", o->host, gai_strerror(r)),
                       -EINVAL;
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                r = -errno;
                freeaddrinfo(ai);
                return snprintf(error, size, "socket: %s", strerror(-r)), r;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 4096) < 0 ||
            getsockname(fd, (struct sockaddr *) &ss, &len) < 0) {
                r = -errno;
                freeaddrinfo(ai);
                close(fd);
                return snprintf(error, size, "cannot listen on %s:%u: %s", o->host ?: "127.0.0.1",
                                o->port, strerror(-r)),
                       r;
        }
        freeaddrinfo(ai);
        *ret_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &ss)->sin6_port
                                                   : ((struct sockaddr_in *) &ss)->sin_port);
        *ret_fd = fd;
        return 0;
}

int fake_server_start(FakeCloud *fc, const FakeServerOptions *o, FakeServer **ret, char *error,
                      size_t size) {
        unsigned flags = MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
        unsigned threads = o->threads;
        FakeServer *s;
        int r;

        if (threads == 0) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                threads = n > 0 ? (unsigned) n : 1;
        }
        /* A pool of epoll threads. With one thread libmicrohttpd 0.9.75 runs without a pool, and
         * its single-thread epoll loop was seen to stop reading requests with exactly 256 or 512
         * busy keep-alive connections (tests/bench/run fakecloud): use poll() there. */
        flags |= threads > 1 ? MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO
                             : MHD_USE_POLL_INTERNAL_THREAD;
        if (o->tls_cert_pem && o->tls_key_pem) {
                if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
                        return snprintf(error, size, "libmicrohttpd was built without TLS"),
                               -EOPNOTSUPP;
                flags |= MHD_USE_TLS;
        }
        s = calloc(1, sizeof(FakeServer));
        if (!s)
                return -ENOMEM;
        s->fc = fc;
        pthread_mutex_init(&s->lock, NULL);
        {
                pthread_condattr_t ca;
                pthread_condattr_init(&ca);
                pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
                pthread_cond_init(&s->cond, &ca);
                pthread_condattr_destroy(&ca);
        }
        r = open_listener(o, &s->listen_fd, &s->port, error, size);
        if (r < 0) {
                s->listen_fd = -1;
                fake_server_stop(s);
                return r;
        }
        r = pthread_create(&s->timer, NULL, timer_thread, s);
        if (r != 0) {
                fake_server_stop(s);
                return snprintf(error, size, "pthread_create: %s", strerror(r)), -r;
        }
        s->timer_running = true;
        /* The certificate and key only when serving TLS: MHD refuses them otherwise. */
        struct MHD_OptionItem tls[] = {
                { MHD_OPTION_HTTPS_MEM_CERT, 0, (void *) o->tls_cert_pem },
                { MHD_OPTION_HTTPS_MEM_KEY, 0, (void *) o->tls_key_pem },
                { MHD_OPTION_END, 0, NULL },
        };
        s->daemon = MHD_start_daemon(
                flags, 0, NULL, NULL, access_handler, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                MHD_OPTION_LISTEN_SOCKET, s->listen_fd, MHD_OPTION_THREAD_POOL_SIZE,
                threads > 1 ? threads : 0, MHD_OPTION_URI_LOG_CALLBACK, uri_logger, s,
                MHD_OPTION_NOTIFY_COMPLETED, request_completed, s, MHD_OPTION_CONNECTION_LIMIT,
                20000, MHD_OPTION_CONNECTION_TIMEOUT, 120, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                (size_t) CONNECTION_MEMORY, MHD_OPTION_ARRAY,
                flags & MHD_USE_TLS ? tls : &tls[ELEMENTSOF(tls) - 1], MHD_OPTION_END);
        if (!s->daemon) {
                fake_server_stop(s);
                return snprintf(error, size,
                                "libmicrohttpd did not start (bad TLS key or certificate?)"),
                       -EIO;
        }
        s->listen_fd = -1; /* MHD_stop_daemon() closes it */
        *ret = s;
        return 0;
}

uint16_t fake_server_port(const FakeServer *s) {
        return s->port;
}

FakeServer *fake_server_stop(FakeServer *s) {
        if (!s)
                return NULL;
        if (s->timer_running) {
                pthread_mutex_lock(&s->lock);
                s->stopping = true;
                pthread_cond_signal(&s->cond);
                pthread_mutex_unlock(&s->lock);
                pthread_join(s->timer, NULL);
        }
        if (s->daemon)
                MHD_stop_daemon(s->daemon);
        if (s->listen_fd >= 0)
                close(s->listen_fd);
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
}
