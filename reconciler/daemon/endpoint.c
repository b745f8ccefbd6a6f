/* SPDX-License-Identifier: MIT */

/* libmicrohttpd in the sd-event loop. MHD keeps its own epoll set (listening socket and
 * connections); that one fd is watched by sd-event. MHD_run() does all work that is ready
 * without blocking; what it cannot finish at once shows in MHD_get_timeout() (0 = run again
 * now), which re-arms the single timer. */

#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <sys/resource.h>

#include "lib/log.h"
#include "lib/macro.h"
#include "reconciler/daemon/endpoint-auth.h"
#include "reconciler/daemon/endpoint-guard.h"
#include "reconciler/daemon/endpoint.h"

/* 512 connections of at most 16 KiB (request line and headers) each: 8 MiB at worst. */
#define ENDPOINT_CONNECTION_LIMIT 512U
#define ENDPOINT_CONNECTION_TIMEOUT_SEC 10U
#define ENDPOINT_HEADER_TIMEOUT_MSEC 5000U
#define ENDPOINT_MEMORY_LIMIT (16U * 1024U) /* per connection: request line and headers */
#define ENDPOINT_BACKLOG 1024               /* the kernel caps it at net.core.somaxconn */
#define ENDPOINT_REPORT_INTERVAL (60U * USEC_PER_SEC)
#define ENDPOINT_PEM_MAX (1024U * 1024U)
#define ENDPOINT_BODY_CHUNK (32U * 1024U) /* bytes of a streamed body produced per turn */

struct Endpoint {
        sd_event *event;
        sd_event_source *io;
        sd_event_source *timer;
        struct MHD_Daemon *daemon;
        EndpointGuard *guard;
        usec_t header_timeout;
        uint64_t reported_expired, reported_shed; /* the guard's counts when last logged */
        usec_t reported_at;
        EndpointAuth *auth;       /* NULL: no basic auth */
        char *tls_cert, *tls_key; /* PEM, for MHD; NULL: plain HTTP */
        const Metrics *metrics;
        void (*before_metrics)(void *userdata);
        EndpointStatusFunc status;
        void *userdata;
        struct sockaddr_storage addr; /* as configured (port 0: any free one) */
        socklen_t addr_len;
        int listen_fd; /* MHD's; shared with a successor by endpoint_replace() */
        uint16_t port;
        bool ready;
        char *not_ready_reason; /* for /readyz's 503, or NULL */
};

/* ---- listen strings ----------------------------------------------------------------------- */

static int parse_port(const char *s, uint16_t *ret) {
        unsigned long v = 0;

        if (isempty(s) || strlen(s) > 5)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned long) (*p - '0');
        }
        if (v > 65535)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

static int parse_ipv6(const char *s, struct sockaddr_storage *ret_addr, socklen_t *ret_len) {
        struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
        const char *close = strchr(s, ']');
        char host[INET6_ADDRSTRLEN];
        size_t n;

        if (!close || close[1] != ':')
                return -EINVAL;
        n = (size_t) (close - s - 1);
        if (n == 0 || n >= sizeof(host))
                return -EINVAL;
        memcpy(host, s + 1, n);
        host[n] = 0;
        if (inet_pton(AF_INET6, host, &sa.sin6_addr) != 1)
                return -EINVAL;
        if (parse_port(close + 2, &sa.sin6_port) < 0)
                return -EINVAL;
        sa.sin6_port = htons(sa.sin6_port);
        memset(ret_addr, 0, sizeof(*ret_addr));
        memcpy(ret_addr, &sa, sizeof(sa));
        *ret_len = sizeof(sa);
        return 1;
}

static int parse_ipv4(const char *s, struct sockaddr_storage *ret_addr, socklen_t *ret_len) {
        struct sockaddr_in sa = { .sin_family = AF_INET };
        const char *colon = strrchr(s, ':');
        char host[INET_ADDRSTRLEN];
        size_t n;

        if (!colon)
                return -EINVAL;
        n = (size_t) (colon - s);
        if (n == 0 || n >= sizeof(host))
                return -EINVAL;
        memcpy(host, s, n);
        host[n] = 0;
        if (streq(host, "localhost"))
                strcpy(host, "127.0.0.1");
        /* inet_pton() takes only dotted quads: no "1", no "0x7f.1", no names. */
        if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
                return -EINVAL;
        if (parse_port(colon + 1, &sa.sin_port) < 0)
                return -EINVAL;
        sa.sin_port = htons(sa.sin_port);
        memset(ret_addr, 0, sizeof(*ret_addr));
        memcpy(ret_addr, &sa, sizeof(sa));
        *ret_len = sizeof(sa);
        return 1;
}

int endpoint_parse_listen(const char *s, struct sockaddr_storage *ret_addr, socklen_t *ret_len) {
        if (!s)
                s = ENDPOINT_LISTEN_DEFAULT;
        if (isempty(s))
                return 0;
        if (s[0] == '[')
                return parse_ipv6(s, ret_addr, ret_len);
        return parse_ipv4(s, ret_addr, ret_len);
}

bool endpoint_listen_is_loopback(const char *s) {
        struct sockaddr_storage addr;
        socklen_t len;

        if (endpoint_parse_listen(s, &addr, &len) <= 0)
                return false;
        if (addr.ss_family == AF_INET6)
                return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *) &addr)->sin6_addr);
        return (ntohl(((const struct sockaddr_in *) &addr)->sin_addr.s_addr) >> 24) == 127;
}

/* ---- responses ---------------------------------------------------------------------------- */

/* Queues body (static text if !owned, else malloc'd and handed to MHD) as the answer. */
static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
                               char *body, size_t size, bool owned) {
        struct MHD_Response *resp;
        enum MHD_Result res;

        if (owned)
                resp = MHD_create_response_from_buffer_with_free_callback(size, body, free);
        else
                resp = MHD_create_response_from_buffer(size, body, MHD_RESPMEM_PERSISTENT);
        if (!resp) {
                if (owned)
                        free(body);
                return MHD_NO;
        }
        if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
            MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES ||
            (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
             MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES) ||
            (status == MHD_HTTP_UNAUTHORIZED &&
             MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                     "Basic realm=\"" ENDPOINT_AUTH_REALM "\"") != MHD_YES) ||
            (status == MHD_HTTP_TOO_MANY_REQUESTS &&
             MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1") != MHD_YES)) {
                MHD_destroy_response(resp);
                return MHD_NO;
        }
        res = MHD_queue_response(c, status, resp);
        MHD_destroy_response(resp);
        return res;
}

#define TEXT_PLAIN "text/plain; charset=utf-8"

static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned status, const char *text) {
        return respond(c, status, TEXT_PLAIN, (char *) text, strlen(text), false);
}

/* 200 "ready", or 503 "not ready" with the reason the manager gave, on one line. */
static enum MHD_Result serve_readyz(Endpoint *ep, struct MHD_Connection *c) {
        char *text = NULL;

        if (ep->ready)
                return respond_text(c, MHD_HTTP_OK, "ready\n");
        if (!ep->not_ready_reason || asprintf(&text, "not ready: %s\n", ep->not_ready_reason) < 0)
                return respond_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready\n");
        return respond(c, MHD_HTTP_SERVICE_UNAVAILABLE, TEXT_PLAIN, text, strlen(text), true);
}

static enum MHD_Result serve_metrics(Endpoint *ep, struct MHD_Connection *c) {
        char *text;
        size_t size;

        if (ep->before_metrics)
                ep->before_metrics(ep->userdata);
        if (metrics_format(ep->metrics, &text, &size) < 0)
                return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
        return respond(c, MHD_HTTP_OK, METRICS_CONTENT_TYPE, text, size, true);
}

static ssize_t body_read(void *cls, uint64_t pos, char *buf, size_t max) {
        EndpointBody *b = cls;
        ssize_t n = b->read(b->stream, buf, max);

        if (n == 0)
                return MHD_CONTENT_READER_END_OF_STREAM;
        return n > 0 ? n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void body_free(void *cls) {
        EndpointBody *b = cls;

        b->free(b->stream);
        free(b);
}

static const char *query_arg(struct MHD_Connection *c, const char *name) {
        return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

/* A piece of at most ENDPOINT_BODY_CHUNK bytes per call: the loop turns between pieces. */
static enum MHD_Result serve_status(Endpoint *ep, struct MHD_Connection *c) {
        EndpointStatusQuery q = {
                .resources = query_arg(c, "resources"),
                .state = query_arg(c, "state"),
                .account = query_arg(c, "account"),
                .limit = query_arg(c, "limit"),
                .after = query_arg(c, "after"),
        };
        _cleanup_free_ char *error = NULL;
        EndpointBody *b = calloc(1, sizeof(*b));
        char *text = NULL;
        struct MHD_Response *resp;
        enum MHD_Result res;
        int r;

        if (!b)
                return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
        r = ep->status(ep->userdata, &q, b, &error);
        if (r < 0) {
                free(b);
                if (r != -EINVAL || asprintf(&text, "bad query: %s\n", strna(error)) < 0)
                        return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                            "status unavailable\n");
                return respond(c, MHD_HTTP_BAD_REQUEST, TEXT_PLAIN, text, strlen(text), true);
        }
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, ENDPOINT_BODY_CHUNK, body_read,
                                                 b, body_free);
        if (!resp) {
                body_free(b);
                return MHD_NO;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        res = MHD_queue_response(c, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        return res;
}

static bool request_has_body(struct MHD_Connection *c) {
        const char *cl =
                MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        const char *te =
                MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);

        return te || (cl && strspn(cl, "0") != strlen(cl));
}

typedef struct LengthCheck {
        const char *first; /* the first Content-Length value seen */
        bool conflict;
} LengthCheck;

static enum MHD_Result length_check_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                        const char *value) {
        LengthCheck *lc = cls;

        if (!key || strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0)
                return MHD_YES;
        if (!lc->first)
                lc->first = value ?: "";
        else if (!streq(lc->first, value ?: ""))
                lc->conflict = true;
        return lc->conflict ? MHD_NO : MHD_YES;
}

/* Two different Content-Length values are the classic request-smuggling split (RFC 9112
 * §6.3): the request is refused, whatever length MHD picked. MHD 0.9.75 keeps the first one
 * and says nothing; the same value repeated is one length. */
static bool request_has_conflicting_lengths(struct MHD_Connection *c) {
        LengthCheck lc = {};

        (void) MHD_get_connection_values(c, MHD_HEADER_KIND, length_check_one, &lc);
        return lc.conflict;
}

/* Basic auth, when configured: NULL to go on, else the answer (401, 429, 500). */
static const char *request_check_auth(Endpoint *ep, struct MHD_Connection *c,
                                      unsigned *ret_status) {
        const char *value;
        uint64_t t = 0;
        int r;

        if (!ep->auth)
                return NULL;
        value = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        (void) sd_event_now(ep->event, CLOCK_MONOTONIC, &t);
        r = endpoint_auth_check(ep->auth, value, t);
        if (r > 0)
                return NULL;
        *ret_status = r == 0        ? MHD_HTTP_UNAUTHORIZED
                      : r == -EBUSY ? MHD_HTTP_TOO_MANY_REQUESTS
                                    : MHD_HTTP_INTERNAL_SERVER_ERROR;
        return r == 0        ? "unauthorized\n"
               : r == -EBUSY ? "too many authentication attempts\n"
                             : "out of memory\n";
}

/* Answers every request in the first call, before any body is read: MHD then closes a
 * connection whose body was not consumed. */
static enum MHD_Result endpoint_handle(void *cls, struct MHD_Connection *c, const char *url,
                                       const char *method, const char *version,
                                       const char *upload_data, size_t *upload_data_size,
                                       void **con_cls) {
        Endpoint *ep = cls;
        const char *denied;
        unsigned status;

        endpoint_guard_on_header(ep->guard, c);
        /* A request whose framing is ambiguous is refused before anything else looks at it. */
        if (request_has_conflicting_lengths(c))
                return respond_text(c, MHD_HTTP_BAD_REQUEST, "conflicting Content-Length\n");
        denied = request_check_auth(ep, c, &status);
        if (denied)
                return respond_text(c, status, denied);
        if (!streq(method, MHD_HTTP_METHOD_GET) && !streq(method, MHD_HTTP_METHOD_HEAD))
                return respond_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
        if (request_has_body(c))
                return respond_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body not accepted\n");

        if (streq(url, "/metrics") && ep->metrics)
                return serve_metrics(ep, c);
        if (streq(url, "/healthz"))
                return respond_text(c, MHD_HTTP_OK, "ok\n");
        if (streq(url, "/readyz"))
                return serve_readyz(ep, c);
        if (streq(url, "/status") && ep->status)
                return serve_status(ep, c);
        return respond_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void endpoint_mhd_log(void *cls, const char *format, va_list ap) {
        _cleanup_free_ char *msg = NULL;

        if (vasprintf(&msg, format, ap) < 0)
                return;
        /* MHD's messages end in a line feed. */
        size_t n = strlen(msg);
        if (n > 0 && msg[n - 1] == '\n')
                msg[n - 1] = 0;
        log_debug("endpoint: %s", msg);
}

/* ---- event loop --------------------------------------------------------------------------- */

static int endpoint_arm_timer(Endpoint *ep) {
        MHD_UNSIGNED_LONG_LONG ms;
        uint64_t now;
        int r;

        if (MHD_get_timeout(ep->daemon, &ms) != MHD_YES)
                return sd_event_source_set_enabled(ep->timer, SD_EVENT_OFF);
        r = sd_event_now(ep->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        ms = MIN(ms, (MHD_UNSIGNED_LONG_LONG) (UINT64_MAX - now) / 1000);
        r = sd_event_source_set_time(ep->timer, now + (uint64_t) ms * 1000);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(ep->timer, SD_EVENT_ONESHOT);
}

static unsigned endpoint_connections(Endpoint *ep) {
        const union MHD_DaemonInfo *info =
                MHD_get_daemon_info(ep->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

        return info ? info->num_connections : 0;
}

/* At most one line a minute about connections the guard closed: an operator learns of a
 * flood (or of clients on a very slow network) without a line per connection. */
static void endpoint_report_closed(Endpoint *ep) {
        uint64_t expired = endpoint_guard_get_expired(ep->guard) - ep->reported_expired;
        uint64_t shed = endpoint_guard_get_shed(ep->guard) - ep->reported_shed;
        uint64_t t = 0;

        if (expired + shed == 0)
                return;
        (void) sd_event_now(ep->event, CLOCK_MONOTONIC, &t);
        if (ep->reported_at != 0 && t < ep->reported_at + ENDPOINT_REPORT_INTERVAL)
                return;
        if (ep->reported_at == 0)
                log_warning("The endpoint is closing connections that send no whole request "
                            "header within %.1fs, or wait for one while new clients need room "
                            "(a slow or idle-connection flood?); it keeps answering. Counts "
                            "follow at most once a minute.",
                            (double) ep->header_timeout / USEC_PER_SEC);
        else
                log_warning("The endpoint closed %" PRIu64 " connection(s) for a late request "
                            "header and %" PRIu64 " to make room for new clients since the "
                            "last message.",
                            expired, shed);
        ep->reported_expired += expired;
        ep->reported_shed += shed;
        ep->reported_at = t;
}

static int endpoint_dispatch(Endpoint *ep) {
        unsigned before = endpoint_connections(ep);

        /* MHD_NO here means a broken daemon, not a failed request; there is nobody to tell but
         * the debug log, and the next event retries. */
        if (MHD_run(ep->daemon) != MHD_YES)
                log_debug("endpoint: MHD_run() failed");
        /* At the connection limit MHD takes the listening socket out of its epoll set, and puts
         * it back only at the start of a run. If this run closed connections, nothing would
         * wake us for the clients waiting in the backlog (MHD_get_timeout() does not count
         * them): run once more, which re-adds the socket and accepts them. */
        if (endpoint_connections(ep) < before && MHD_run(ep->daemon) != MHD_YES)
                log_debug("endpoint: MHD_run() failed");
        endpoint_report_closed(ep);
        return endpoint_arm_timer(ep);
}

static int endpoint_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        return endpoint_dispatch(userdata);
}

static int endpoint_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        return endpoint_dispatch(userdata);
}

/* ---- setup -------------------------------------------------------------------------------- */

static int endpoint_bind(const struct sockaddr_storage *addr, socklen_t len, uint16_t *ret_port) {
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_storage bound;
        socklen_t bound_len = sizeof(bound);
        int one = 1;

        fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* A restarted daemon must not fail on the old connections in TIME_WAIT. */
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                return -errno;
        if (bind(fd, (const struct sockaddr *) addr, len) < 0)
                return -errno;
        if (listen(fd, ENDPOINT_BACKLOG) < 0)
                return -errno;
        if (getsockname(fd, (struct sockaddr *) &bound, &bound_len) < 0)
                return -errno;
        *ret_port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &bound)->sin6_port
                                                      : ((struct sockaddr_in *) &bound)->sin_port);
        return TAKE_FD(fd);
}

/* The connection limit, within what the process may open: each connection is a descriptor,
 * and the daemon needs its others (cloud connections, the desired-state files) as well. */
static unsigned endpoint_connection_limit(const EndpointOptions *o) {
        unsigned limit = o->connection_limit ?: ENDPOINT_CONNECTION_LIMIT;
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) >= 0 && rl.rlim_cur != RLIM_INFINITY)
                limit = (unsigned) MIN((rlim_t) limit, MAX(rl.rlim_cur / 2, (rlim_t) 16));
        return limit;
}

/* With TLS: MHD (GnuTLS) serves HTTPS with the PEM certificate and key, two options at o. */
static void endpoint_tls_options(Endpoint *ep, struct MHD_OptionItem *o, unsigned *flags) {
        if (!ep->tls_cert)
                return;
        *flags |= MHD_USE_TLS;
        o[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, ep->tls_cert };
        o[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, ep->tls_key };
}

static int endpoint_start_daemon(Endpoint *ep, int fd, int family, const EndpointOptions *o) {
        unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
        unsigned limit = endpoint_connection_limit(o);
        unsigned header_msec = o->header_timeout_msec ?: ENDPOINT_HEADER_TIMEOUT_MSEC;
        struct MHD_OptionItem opts[] = {
                { MHD_OPTION_LISTEN_SOCKET, fd, NULL },
                { MHD_OPTION_CONNECTION_LIMIT, limit, NULL },
                { MHD_OPTION_CONNECTION_TIMEOUT,
                  o->connection_timeout_sec ?: ENDPOINT_CONNECTION_TIMEOUT_SEC, NULL },
                { MHD_OPTION_CONNECTION_MEMORY_LIMIT, ENDPOINT_MEMORY_LIMIT, NULL },
                { MHD_OPTION_END, 0, NULL }, /* room for the TLS options */
                { MHD_OPTION_END, 0, NULL },
                { MHD_OPTION_END, 0, NULL },
        };
        int r;

        if (family == AF_INET6)
                flags |= MHD_USE_IPv6;
        endpoint_tls_options(ep, &opts[4], &flags);
        ep->header_timeout = (usec_t) header_msec * USEC_PER_MSEC;
        r = endpoint_guard_new(ep->event, limit, ep->header_timeout, &ep->guard);
        if (r < 0)
                return r;
        /* MHD owns fd from here on: MHD_stop_daemon() closes it. Whether a failing
         * MHD_start_daemon() closes it too is not documented; it is not closed here, because a
         * second close() could hit a reused descriptor number, while a leak on this improbable
         * path (out of memory, no epoll, a certificate GnuTLS refuses) is harmless: one
         * descriptor, once, and the caller reports the failure. */
        ep->daemon = MHD_start_daemon(
                flags, 0, NULL, NULL, endpoint_handle, ep, MHD_OPTION_ARRAY, opts,
                MHD_OPTION_NOTIFY_CONNECTION, endpoint_guard_on_connection, ep->guard,
                MHD_OPTION_NOTIFY_COMPLETED, endpoint_guard_on_completed, ep->guard,
                MHD_OPTION_EXTERNAL_LOGGER, endpoint_mhd_log, NULL, MHD_OPTION_END);
        return ep->daemon ? 0 : -EIO;
}

/* A PEM file, whole (small: a certificate chain or a key). */
static int endpoint_read_pem(const char *path, char **ret) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *buf = NULL;
        size_t n;

        if (!f)
                return -errno;
        buf = malloc(ENDPOINT_PEM_MAX + 1);
        if (!buf)
                return -ENOMEM;
        n = fread(buf, 1, ENDPOINT_PEM_MAX + 1, f);
        if (ferror(f))
                return -EIO;
        if (n == 0 || n > ENDPOINT_PEM_MAX || memchr(buf, 0, n))
                return -EBADMSG;
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* The certificate, key and users of options, kept by the endpoint. */
static int endpoint_set_security(Endpoint *ep, const EndpointOptions *o) {
        int r;

        if (!o->tls_cert_file != !o->tls_key_file)
                return -EINVAL;
        if (o->tls_cert_file && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
                return -EOPNOTSUPP;
        if (o->tls_cert_file) {
                r = endpoint_read_pem(o->tls_cert_file, &ep->tls_cert);
                if (r >= 0)
                        r = endpoint_read_pem(o->tls_key_file, &ep->tls_key);
                if (r < 0)
                        return r;
        }
        if (o->n_users > 0)
                return endpoint_auth_new(o->users, o->n_users, &ep->auth);
        return 0;
}

static int endpoint_attach(Endpoint *ep) {
        const union MHD_DaemonInfo *info;
        int r;

        info = MHD_get_daemon_info(ep->daemon, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info || info->epoll_fd < 0)
                return -EIO;
        r = sd_event_add_io(ep->event, &ep->io, info->epoll_fd, EPOLLIN, endpoint_on_io, ep);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(ep->io, "endpoint-io");
        /* Accuracy 1 µs: a timeout of 0 means "there is buffered work, run again now", which
         * sd-event's default 250 ms slack would delay. */
        r = sd_event_add_time(ep->event, &ep->timer, CLOCK_MONOTONIC, 0, 1, endpoint_on_timer, ep);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(ep->timer, "endpoint-timer");
        return endpoint_arm_timer(ep);
}

/* The listening socket: the previous endpoint's, duplicated, when it was configured with the
 * same address (a reload: the port is never let go, so nothing else can take it meanwhile, and
 * should the new endpoint fail to start the previous one keeps serving), else a new one. */
static int endpoint_listen(Endpoint *ep, const Endpoint *previous) {
        int fd;

        if (!previous || previous->addr_len != ep->addr_len ||
            memcmp(&previous->addr, &ep->addr, ep->addr_len) != 0)
                return endpoint_bind(&ep->addr, ep->addr_len, &ep->port);
        fd = fcntl(previous->listen_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        ep->port = previous->port;
        return fd;
}

static int endpoint_new_after(sd_event *e, const EndpointOptions *options, const Endpoint *previous,
                              Endpoint **ret) {
        _cleanup_(endpoint_freep) Endpoint *ep = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_storage addr;
        socklen_t len;
        int r;

        if (!e || !options || !ret)
                return -EINVAL;
        r = endpoint_parse_listen(options->listen, &addr, &len);
        if (r < 0)
                return r;
        if (r == 0) {
                *ret = NULL;
                return 0;
        }

        ep = calloc(1, sizeof(Endpoint));
        if (!ep)
                return -ENOMEM;
        ep->event = sd_event_ref(e);
        ep->metrics = options->metrics;
        ep->before_metrics = options->before_metrics;
        ep->status = options->status;
        ep->userdata = options->userdata;
        ep->addr = addr;
        ep->addr_len = len;
        r = endpoint_set_security(ep, options);
        if (r < 0)
                return r;

        fd = endpoint_listen(ep, previous);
        if (fd < 0)
                return fd;
        ep->listen_fd = fd;
        r = endpoint_start_daemon(ep, TAKE_FD(fd), addr.ss_family, options);
        if (r < 0)
                return r;
        r = endpoint_attach(ep);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(ep);
        return 1;
}

int endpoint_new(sd_event *e, const EndpointOptions *options, Endpoint **ret) {
        return endpoint_new_after(e, options, NULL, ret);
}

int endpoint_replace(sd_event *e, const EndpointOptions *options, Endpoint **ep) {
        Endpoint *next = NULL;
        MHD_socket old_fd;
        int r;

        r = endpoint_new_after(e, options, *ep, &next);
        if (r < 0)
                return r; /* *ep serves on, unchanged */
        /* The old daemon lets go of its listening socket before it stops, so that MHD never
         * touches it again: the successor may be listening on a duplicate of it. */
        if (*ep && (*ep)->daemon) {
                old_fd = MHD_quiesce_daemon((*ep)->daemon);
                if (old_fd != MHD_INVALID_SOCKET)
                        (void) close(old_fd);
        }
        endpoint_free(*ep);
        *ep = next;
        return r;
}

Endpoint *endpoint_free(Endpoint *ep) {
        if (!ep)
                return NULL;
        /* The io source watches MHD's epoll fd: remove it before MHD closes that fd. */
        ep->io = sd_event_source_disable_unref(ep->io);
        ep->timer = sd_event_source_disable_unref(ep->timer);
        if (ep->daemon)
                MHD_stop_daemon(ep->daemon);
        /* After MHD: stopping reports every connection closed to the guard. */
        ep->guard = endpoint_guard_free(ep->guard);
        sd_event_unref(ep->event);
        free(ep->not_ready_reason);
        endpoint_auth_free(ep->auth);
        free(ep->tls_cert);
        if (ep->tls_key)
                explicit_bzero(ep->tls_key, strlen(ep->tls_key));
        free(ep->tls_key);
        free(ep);
        return NULL;
}

void endpoint_set_ready(Endpoint *ep, bool ready) {
        if (!ep)
                return;
        ep->ready = ready;
        free(ep->not_ready_reason);
        ep->not_ready_reason = NULL;
}

int endpoint_set_not_ready(Endpoint *ep, const char *reason) {
        char *copy = NULL;

        if (!ep)
                return 0;
        if (reason && !(copy = strdup(reason)))
                return -ENOMEM;
        ep->ready = false;
        free(ep->not_ready_reason);
        ep->not_ready_reason = copy;
        return 0;
}

bool endpoint_get_ready(const Endpoint *ep) {
        return ep && ep->ready;
}

uint16_t endpoint_get_port(const Endpoint *ep) {
        return ep ? ep->port : 0;
}
