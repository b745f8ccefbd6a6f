/* SPDX-License-Identifier: MIT */
#pragma once

/* The daemon's HTTP endpoint: libmicrohttpd driven by the daemon's sd-event loop, no thread.
 * MHD runs with MHD_USE_EPOLL and no internal polling thread; its epoll fd is one sd-event io
 * source, and after every MHD_run() one sd-event timer is re-armed from MHD_get_timeout()
 * (connection timeouts, and "run again at once" while a connection has buffered work). Nothing
 * polls.
 *
 * Routes (GET and HEAD only; anything else 405 with "Allow: GET, HEAD"; a request with a body,
 * i.e. a Content-Length above 0 or a Transfer-Encoding, 413; two different Content-Length
 * values, 400; an unknown path 404):
 *
 *   /metrics  200, the registry in the text format (Content-Type METRICS_CONTENT_TYPE)
 *   /healthz  200 "ok\n" (whoever answers is the event loop, so it is running)
 *   /readyz   200 "ready\n" once endpoint_set_ready(ep, true), else 503 "not ready\n", or
 *             "not ready: REASON\n" after endpoint_set_not_ready(ep, REASON). The manager
 *             decides (manager_publish_ready()): ready once the first full pass over the
 *             desired-state directory has run and while that directory can be read.
 *   /status   200, application/json, the body opened by the status callback (400 for a bad
 *             query, 500 if it fails), produced in pieces as the client reads. Schema below.
 *
 * A route whose source (metrics, status) was not given answers 404. Limits: at most
 * connection_limit connections at once, each closed after connection_timeout_sec without
 * progress, request line and headers limited to 16 KiB. A connection must deliver its whole
 * request header within header_timeout_msec of its accept (or of its previous answer), however
 * it trickles in; and when a new client takes the last slot, the connection that has waited
 * longest for its header is closed (endpoint-guard.h). So slowloris clients and idle floods
 * turn over instead of filling the slots, a scrape gets in, and no client ever holds the event
 * loop. Handlers run on the loop: status must not block.
 *
 * With tls_cert_file and tls_key_file the endpoint speaks only HTTPS (libmicrohttpd's GnuTLS);
 * with users, every request on every path must carry HTTP basic credentials of one of them
 * (401 with WWW-Authenticate: Basic realm="asyncfgd" otherwise; 429 over the check budget;
 * endpoint-auth.h), before the method and the route are looked at.
 *
 * listen: "host:port" (host a numeric IPv4 address or "localhost"), "[v6]:port" (numeric IPv6),
 * port 0..65535 where 0 picks a free port (endpoint_get_port() says which); NULL means
 * ENDPOINT_LISTEN_DEFAULT; "" disables the endpoint. Host names are not resolved (that would
 * block).
 *
 * /status JSON (produced by the manager, status-document.c; `asyncfg status` reads it). The
 * query says what is listed; at 100,000 resources the full list is about 100 MB, so it is
 * asked for, never the default:
 *
 *   /status                      "summary" and "files" (only the files in error, and the
 *                                directory scan's problems); no "resources"
 *   /status?resources=all        every resource and every file (the whole document)
 *   ?state=S[,S...]              only resources in one of these states
 *   ?account=A                   only resources of account A
 *   ?limit=N                     at most N resources (1..10000), and "next"
 *   ?after=NAME                  only resources whose name sorts after NAME
 *
 * Any of the last four lists resources too (files: those in error); they combine. The list is
 * in name order (byte order), so a page's "next" — its last name when more match, else null —
 * is the next page's after=; the pages of a fleet that does not change are the full list, cut.
 * The body is written as the client reads it, a few dozen entries per turn of the event loop,
 * never built whole; an entry shows its resource as it is when written, and one removed
 * meanwhile is left out. A bad query is a 400 "bad query: REASON".
 *
 *   {
 *     "summary": {
 *       "resources": 120,
 *       "states": {"in_sync": 117, "drifted": 2, "changing": 0, "pending": 0,
 *                  "retrying": 0, "error": 1, "orphaned": 0},
 *       "files": {"ok": 14, "error": 1},
 *       "ready": true,                        what /readyz answers
 *       "last_successful_sync": "2024-05-01T12:00:00Z" | null,
 *       "directory_error": "..." | null,      why the last full scan of the directory failed
 *       "queue_depth": 0, "in_flight": 0,
 *       "last_reload": {"successful": true,   the last load of the daemon configuration (start
 *                       "at": "RFC3339",      or SIGHUP); a failed one keeps the one in force
 *                       "error": "..." | null}
 *     },
 *     files.error counts the files that fail to load and every path the directory scan could
 *     not use (each an entry of "files" below), as asyncfg_desired_files{state="error"} does.
 *     In cluster mode summary.cluster says which buckets the member holds (manager-cluster.c),
 *     and the resources (summary and list) are those of its buckets only; the others are
 *     counted in summary.cluster.resources_elsewhere.
 *     "resources": [                          only when the query lists resources
 *       {
 *         "name": "orders-worker",            metadata.name
 *         "file": "/etc/asyncfg/desired.d/orders.yaml",
 *         "line": 3,                          line of the document's start
 *         "provider": "aws", "account": "aws-prod",
 *         "function": "orders-worker", "qualifier": "$LATEST",
 *         "state": "in_sync" | "drifted" | "changing" | "pending" | "retrying" | "error"
 *                  | "orphaned",
 *         "diff": [{"field": "maxRetryAttempts", "from": 2, "to": 1}, ...],
 *                                             live ("from") against desired ("to"); values
 *                                             are JSON of any type, null for absent; [] if none
 *         "drift": true | false,              drifted now: the last read found live different
 *                                             from what was last applied, and no write has
 *                                             corrected it since
 *         "last_drift": "RFC3339" | null,     when drift was last detected (stays after the
 *         "last_drift_diff": [...] | null,    correction), and what it was
 *         "last_write_diff": [...] | null,    what the last write changed
 *         "last_error": {"class": "throttled", "message": "..."} | null,
 *         "last_observed": "RFC3339" | null,  last successful GET
 *         "last_changed": "RFC3339" | null,   last successful PUT/DELETE
 *         "orphaned_since": "RFC3339"         only for state orphaned (its document is gone;
 *                                             file/line are where it was last declared, ""
 *                                             and 0 when only its state record is known),
 *                                             and for error after a refused DELETE (held
 *                                             until orphanRetention, resource-removal.c)
 *         "alerts": [                         only while an alert fires for it (alerts.h):
 *           {"kind": "drift" | "error",
 *            "alertname": "AsyncfgDrift" | "AsyncfgError",
 *            "status": "firing",
 *            "since": "RFC3339",               when it fired (the notifications' startsAt)
 *            "fingerprint": "0123456789abcdef"}, ...   as in the notifications
 *         ]                                   absent when none fires (also before fireAfter /
 *                                             errorAfter detections, and once resolved)
 *       }, ...                                sorted by name
 *     ],
 *     "next": "orders-worker" | null,         only when the query lists resources
 *     "files": [                              all with resources=all, else those in error
 *       {"path": "/etc/asyncfg/desired.d/orders.yaml", "state": "ok" | "error",
 *        "resources": 2, "has_good_version": true,
 *        "diagnostics": ["path:line:col: error: message", ...]}, ...   sorted by path
 *     ]
 *   }
 *
 * Timestamps are RFC 3339 in UTC with a "Z". Secrets never appear in it. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "lib/metrics.h"
#include "reconciler/spec/web-config.h"

#define ENDPOINT_LISTEN_DEFAULT "127.0.0.1:9733"

typedef struct Endpoint Endpoint;

/* The /status query string (the schema above); each NULL when not given. */
typedef struct EndpointStatusQuery {
        const char *resources, *state, *account, *limit, *after;
} EndpointStatusQuery;

/* A response body produced piece by piece on the loop, as the client takes it (so a large one
 * is never built whole and never blocks the loop): read() writes up to max bytes to buf and
 * returns how many (> 0), 0 at the end, or a negative errno (the connection is closed);
 * free(stream) is called once, at the end or when the client goes away. */
typedef struct EndpointBody {
        ssize_t (*read)(void *stream, char *buf, size_t max);
        void (*free)(void *stream);
        void *stream;
} EndpointBody;

/* Opens /status for query: 0 and the body; -EINVAL and a one-line message in *ret_error
 * (freed by the endpoint) for a bad query (400); another negative errno for a 500. */
typedef int (*EndpointStatusFunc)(void *userdata, const EndpointStatusQuery *query,
                                  EndpointBody *ret, char **ret_error);

typedef struct EndpointOptions {
        const char *listen;                     /* NULL: ENDPOINT_LISTEN_DEFAULT; "": disabled */
        const Metrics *metrics;                 /* borrowed; must outlive the endpoint */
        void (*before_metrics)(void *userdata); /* optional: sets gauges that change with time
                                                 * alone, before /metrics is formatted */
        EndpointStatusFunc status;
        void *userdata;                  /* for status and before_metrics */
        unsigned connection_limit;       /* [512], at most half of RLIMIT_NOFILE */
        unsigned connection_timeout_sec; /* [10] without progress */
        unsigned header_timeout_msec;    /* [5000] for a whole request header */
        /* PEM files: HTTPS with this certificate (chain) and key, both or neither (-EINVAL);
         * -EOPNOTSUPP if libmicrohttpd was built without TLS; -EIO if GnuTLS refuses them. */
        const char *tls_cert_file, *tls_key_file;
        const WebUser *users; /* basic auth when n_users > 0 (copied; endpoint-auth.h) */
        size_t n_users;
} EndpointOptions;

/* Parses a listen string. Returns 1 and the address, 0 if s is "" (disabled; ret_* untouched),
 * -EINVAL if malformed. */
int endpoint_parse_listen(const char *s, struct sockaddr_storage *ret_addr, socklen_t *ret_len);

/* Whether a listen string names a loopback address (127.0.0.0/8, ::1, "localhost"). */
bool endpoint_listen_is_loopback(const char *s);

/* Binds and starts serving on event e (taking a reference). Returns 1 and the endpoint, or 0
 * and *ret = NULL when listen is "" (disabled). Errors: -EINVAL (bad listen string or
 * options), the bind()/listen() errno (-EADDRINUSE, -EADDRNOTAVAIL, -EACCES, ...), -ENOMEM, -EIO
 * (libmicrohttpd refused to start). */
int endpoint_new(sd_event *e, const EndpointOptions *options, Endpoint **ret);
/* Replaces *ep (NULL: none yet) by an endpoint for options, as a reload does: on the same
 * address the new one takes over the listening socket, so the port stays bound throughout. On
 * failure *ep is left as it was, still serving, and the error returned; on success the old one
 * is freed and *ep is the new one (NULL when options->listen disables the endpoint); 1 when
 * one is served. */
int endpoint_replace(sd_event *e, const EndpointOptions *options, Endpoint **ep);

/* Closes the listening socket and every connection. Accepts NULL, returns NULL. */
Endpoint *endpoint_free(Endpoint *ep);
static inline void endpoint_freep(Endpoint **ep) {
        endpoint_free(*ep);
}

/* Ready or not, without a reason (set_ready forgets the one set_not_ready gave). */
void endpoint_set_ready(Endpoint *ep, bool ready);
/* Not ready, because of reason (one line, copied; NULL: none given). 0 or -ENOMEM. */
int endpoint_set_not_ready(Endpoint *ep, const char *reason);
bool endpoint_get_ready(const Endpoint *ep);

/* The bound port (the one picked when listen asked for port 0). */
uint16_t endpoint_get_port(const Endpoint *ep);
