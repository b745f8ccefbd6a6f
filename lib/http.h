/* SPDX-License-Identifier: MIT */
#pragma once

/* An asynchronous HTTP client engine: libcurl's multi interface driven by sd-event (modelled on
 * systemd's src/shared/curl-util.c). Many requests in flight on reused connections (HTTP/2 over
 * TLS where the server offers it, multiplexed), connect / total / low-speed timeouts, a cap on
 * the response size, TLS verification always on, the standard proxy environment variables.
 * Nothing blocks, nothing polls.
 *
 * Life of a request:
 *
 *   http_request_new()            caller owns r (free it with http_request_free() if not started)
 *   http_request_add_header() ... build it
 *   http_request_start(r, cb, u)  on success the engine owns r; on failure the caller still does
 *   ... cb(r, error, response, u) exactly once, always from the event loop (never from inside
 *                                 http_request_start() or http_request_cancel()), except during
 *                                 http_engine_free(), which calls the callbacks of everything
 *                                 still pending before it returns
 *   r is freed by the engine right after cb returns; the caller must drop its pointer then.
 *
 * A callback may build, start and cancel requests (on this engine or another); it must not
 * call http_engine_free(). There is no "run until idle" helper: a one-shot caller (the CLI)
 * runs sd_event_loop() and calls sd_event_exit() from the callback that completes its work
 * (http_engine_in_flight() says how many requests are left). Once the loop has finished,
 * http_request_start() fails with -ESTALE; http_engine_free() still delivers every callback.
 *
 * Connections: on https, HTTP/2 is negotiated through ALPN and all requests to one host share
 * one connection, multiplexed (checked by hand against nghttpd: 20 parallel requests, one
 * connection). Plain http and HTTP/1.1-only servers get up to max_connections_per_host
 * keep-alive connections, reused; requests beyond that wait for a free one. The total timeout
 * counts from http_request_start(), that wait included.
 *
 * What goes on the wire (so that a signer can sign exactly what is sent):
 *   - the request line: method and URL exactly as given (the URL is not re-encoded: pass it
 *     percent-encoded as it must appear on the wire);
 *   - Host: the caller's Host header if one was added, else libcurl's: "host" for the scheme's
 *     default port, "host:port" otherwise (IPv6 literals in brackets). On HTTP/2 it becomes
 *     ":authority" with the same value;
 *   - User-Agent: the caller's if added, else the engine's options.user_agent, else none;
 *   - the caller's headers, exactly as given, in the order given;
 *   - Content-Length: exact, for a request with a body (http_request_set_body()) and for
 *     POST/PUT/PATCH without one (Content-Length: 0); never chunked;
 *   - nothing else: no "Expect: 100-continue"; no Accept header unless the caller added one
 *     (libcurl's default, any media type, is suppressed); no Accept-Encoding unless the caller
 *     added one (and then the body is handed over as received, not decoded); no Content-Type
 *     unless the caller added one (libcurl's "application/x-www-form-urlencoded" default for
 *     bodies is suppressed).
 *   Redirects are not followed (a 3xx is a response like any other).
 *
 * Proxies: the standard environment variables, read when the engine is created, with
 * libcurl's own rules: http_proxy (lower case only; HTTP_PROXY is ignored on purpose,
 * "httpoxy"), https_proxy / HTTPS_PROXY, all_proxy / ALL_PROXY, no_proxy / NO_PROXY; an empty
 * variable counts as unset. https through a proxy uses CONNECT; the proxy's own "200
 * Connection established" headers are not reported.
 *
 * TLS: peer and host name verification are always on. The CA bundle is the system's unless
 * http_request_set_ca_file() names one (a PEM file; it replaces the system bundle for that
 * request, it is not added to it).
 *
 * Errors given to the callback (negative errno; 0 means an HTTP response was received, whatever
 * its status):
 *   -ETIMEDOUT      connect, total or low-speed timeout
 *   -ECONNREFUSED   connection refused
 *   -EHOSTUNREACH   host or proxy name not resolved, host or network unreachable
 *   -ECONNRESET     connection dropped / reset, nothing or a truncated response received
 *   -EPROTO         malformed response, HTTP/2 protocol error, a TLS failure other than
 *                   the certificate's (handshake, cipher, engine)
 *   -EKEYREJECTED   the peer's certificate is refused or cannot be checked: not trusted,
 *                   host name mismatch, revoked, pinned key mismatch, unreadable caFile
 *                   or CRL file, unusable client certificate
 *   -EMSGSIZE       response (headers + body) larger than the cap
 *   -ECANCELED      http_request_cancel() or http_engine_free()
 *   -EINVAL         malformed URL, unsupported scheme (only http and https are allowed)
 *   -ENOMEM         out of memory
 *   -EIO            anything else
 * http_request_error_detail() gives libcurl's text for the failure (no secrets: it never
 * contains header values or bodies). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

typedef struct HttpEngine HttpEngine;
typedef struct HttpRequest HttpRequest;

typedef struct HttpHeader {
        char *name;  /* as received (HTTP/2 names are lower case) */
        char *value; /* leading and trailing white space removed */
} HttpHeader;

/* Valid only during the callback; everything in it is owned by the request. */
typedef struct HttpResponse {
        long status;      /* 200, 404, ... */
        const char *body; /* body_size bytes, plus a terminating NUL not counted */
        size_t body_size;
        const HttpHeader *headers; /* of the final response only (not of 100 or proxy CONNECT) */
        size_t n_headers;
        const char *http_version; /* "1.0", "1.1", "2", "3" */
        uint64_t total_usec;      /* from start to the end of the transfer */
} HttpResponse;

typedef void (*HttpCallback)(HttpRequest *req, int error, const HttpResponse *response,
                             void *userdata);

/* Engine-wide defaults. A zero field means "the default" (given in brackets). */
typedef struct HttpEngineOptions {
        uint64_t connect_timeout_usec;     /* [10 s] */
        uint64_t total_timeout_usec;       /* [60 s] whole transfer, connect included */
        long low_speed_limit_bytes;        /* [1] bytes per second ... */
        uint64_t low_speed_time_usec;      /* [30 s] ... for this long means -ETIMEDOUT */
        size_t max_response_size;          /* [8 MiB] headers + body */
        unsigned max_connections_per_host; /* [8] further requests wait for a free one */
        unsigned max_total_connections;    /* [64] also the size of the connection cache */
        const char *user_agent;            /* [none] User-Agent of requests that add none; a
                                            * static string (it is not copied) */
} HttpEngineOptions;

/* The engine attaches to event (taking a reference). options NULL means all defaults. */
int http_engine_new(sd_event *event, const HttpEngineOptions *options, HttpEngine **ret);

/* Changes the connection caps at run time (a daemon's reloaded concurrency): up to per_host
 * connections to one host and total connections in all, for connections opened from now on
 * (open ones stay in use). Either 0: -EINVAL. */
int http_engine_set_limits(HttpEngine *e, unsigned per_host, unsigned total);

/* Cancels everything in flight or not yet delivered: each callback fires exactly once, with
 * -ECANCELED, before this returns. Must not be called from inside a request callback.
 * Accepts NULL, returns NULL. */
HttpEngine *http_engine_free(HttpEngine *e);
static inline void http_engine_freep(HttpEngine **e) {
        http_engine_free(*e);
}

/* Requests started and whose callback has not returned yet. */
unsigned http_engine_in_flight(const HttpEngine *e);

/* method: "GET", "PUT", "POST", "DELETE", "PATCH", "HEAD" (any token is accepted and sent as
 * is). url: http:// or https://, already percent-encoded. Both are copied. */
int http_request_new(HttpEngine *e, const char *method, const char *url, HttpRequest **ret);

/* Frees a request that was never started (or whose start failed). Accepts NULL, returns NULL.
 * Must not be called on a started request: cancel it instead. */
HttpRequest *http_request_free(HttpRequest *r);
static inline void http_request_freep(HttpRequest **r) {
        http_request_free(*r);
}

/* Sent exactly as given ("name: value"; an empty value is sent as "name:"). Returns -EINVAL
 * for an empty name, a name with white space or ':' in it, a value with CR or LF in it. Adding "Host", "User-Agent", "Accept", "Content-Type"
 * replaces what libcurl would send; "Content-Length", "Transfer-Encoding" and "Expect" are
 * refused (-EINVAL): the engine owns them. */
int http_request_add_header(HttpRequest *r, const char *name, const char *value);

/* Copied; sent byte for byte with an exact Content-Length. */
int http_request_set_body(HttpRequest *r, const void *data, size_t size);

/* A PEM file of trusted CAs for this request (a per-account caFile). Copied. */
int http_request_set_ca_file(HttpRequest *r, const char *path);

/* A PEM client certificate and its PEM private key for TLS client authentication (an etcd
 * with --client-cert-auth). Copied. */
int http_request_set_client_cert(HttpRequest *r, const char *cert_path, const char *key_path);

/* Streaming mode (a long-lived response read as it arrives: etcd's watch). The body of a 2xx
 * response is not collected: each piece is handed to cb as it arrives, from the event loop
 * (libcurl's write callback), in order; the final HttpCallback then gets the response with an
 * empty body. A non-2xx response is collected and delivered as usual, cb never sees it.
 * cb returns 0 to go on, or a negative errno to stop the transfer: the final callback then gets
 * that errno. cb may start and cancel requests, r included (the final callback gets
 * -ECANCELED), but must not free the engine: libcurl forbids adding and removing handles
 * inside its callbacks, so those starts and cancels take effect from the event loop, right
 * after. userdata is the one given to http_request_start().
 * There is no total timeout; the connect timeout still applies, and idle_usec > 0 ends the
 * transfer with -ETIMEDOUT after that long (whole seconds, rounded up) without a byte
 * (0: never; TCP keepalive still notices a dead peer). The response size cap counts headers
 * and collected (non-2xx) bodies only. */
typedef int (*HttpStreamCallback)(HttpRequest *r, const void *data, size_t size, void *userdata);
int http_request_set_stream(HttpRequest *r, HttpStreamCallback cb, uint64_t idle_usec);

/* Per-request overrides; 0 keeps the engine's value. */
int http_request_set_timeouts(HttpRequest *r, uint64_t connect_usec, uint64_t total_usec);
int http_request_set_max_response_size(HttpRequest *r, size_t size);

/* Hands r to the engine and starts it. cb must not be NULL. On failure (-ENOMEM, -EINVAL,
 * -ESHUTDOWN while the engine is being freed, -EBUSY if already started, -ESTALE if the event
 * loop has finished: sd_event_exit() was called and sd_event_loop() returned) nothing is
 * started, cb is never called and the caller still owns r. */
int http_request_start(HttpRequest *r, HttpCallback cb, void *userdata);

/* Stops r; its callback fires once with -ECANCELED, from a defer event source (never inside
 * this call). No-op if r's callback is running or r was never started. Also turns a result
 * that is decided but not yet delivered into -ECANCELED. */
void http_request_cancel(HttpRequest *r);

/* libcurl's text for the error of a finished request, or NULL. Valid while r is. */
const char *http_request_error_detail(const HttpRequest *r);

/* The request's method and URL as given to http_request_new(). */
const char *http_request_get_method(const HttpRequest *r);
const char *http_request_get_url(const HttpRequest *r);

/* The value of the first header named name (case-insensitive), or NULL. */
const char *http_response_header(const HttpResponse *resp, const char *name);

/* Retry-After: delta seconds ("120") or an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT", IMF
 * fixdate; RFC 850 and asctime forms too), relative to now_usec (CLOCK_REALTIME). A date in
 * the past gives 0. Capped at HTTP_RETRY_AFTER_MAX_USEC. 0 or -EINVAL. */
#define HTTP_RETRY_AFTER_MAX_USEC (3600ULL * 1000000ULL)
int http_parse_retry_after(const char *value, uint64_t now_usec, uint64_t *ret_usec);
