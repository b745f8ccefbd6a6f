/* SPDX-License-Identifier: MIT */

/* One request: what the caller builds (method, URL, headers, body, CA file, limits), the easy
 * handle made from it so that exactly the caller's bytes go on the wire (see lib/http.h), the
 * response collected under the size cap, and libcurl's result mapped to an errno. */

#include <limits.h>
#include <strings.h>

#include "lib/http-internal.h"
#include "lib/macro.h"

/* ---- CURLcode → errno ---------------------------------------------------------------------- */

static int http_errno_from_connect(long os_errno) {
        switch (os_errno) {
        case ETIMEDOUT:
                return -ETIMEDOUT;
        case EHOSTUNREACH:
        case ENETUNREACH:
        case EADDRNOTAVAIL:
                return -EHOSTUNREACH;
        default:
                return -ECONNREFUSED;
        }
}

int http_request_errno_from_curl(HttpRequest *r, CURLcode code) {
        long os_errno = 0;

        switch (code) {
        case CURLE_OK:
                return 0;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_COULDNT_CONNECT:
                (void) curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &os_errno);
                return http_errno_from_connect(os_errno);
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return -EHOSTUNREACH;
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2_STREAM:
                return -ECONNRESET;
        case CURLE_WRITE_ERROR:
        case CURLE_FILESIZE_EXCEEDED:
                /* Our write and header callbacks fail only when the cap is hit or a stream
                 * callback stops the transfer. */
                if (r->stream_error < 0)
                        return r->stream_error;
                return r->too_big || code == CURLE_FILESIZE_EXCEEDED ? -EMSGSIZE : -EIO;
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_HTTP2:
        case CURLE_HTTP3:
        case CURLE_BAD_CONTENT_ENCODING:
        case CURLE_UNSUPPORTED_PROTOCOL:
                return code == CURLE_UNSUPPORTED_PROTOCOL ? -EINVAL : -EPROTO;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_CRL_BADFILE:
                /* The certificate, not the network: trying again changes nothing. */
                return -EKEYREJECTED;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_SHUTDOWN_FAILED:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_USE_SSL_FAILED:
                return -EPROTO;
        case CURLE_URL_MALFORMAT:
        case CURLE_BAD_FUNCTION_ARGUMENT:
                return -EINVAL;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        case CURLE_ABORTED_BY_CALLBACK:
                return -ECANCELED;
        default:
                return -EIO;
        }
}

/* ---- the response ------------------------------------------------------------------------- */

static const char *http_version_string(long v) {
        switch (v) {
        case CURL_HTTP_VERSION_1_0:
                return "1.0";
        case CURL_HTTP_VERSION_1_1:
                return "1.1";
        case CURL_HTTP_VERSION_2_0:
                return "2";
        case CURL_HTTP_VERSION_3:
                return "3";
        default:
                return "";
        }
}

/* rheaders from the offsets in rhbuf, which no longer moves. */
static int http_request_point_headers(HttpRequest *r) {
        if (r->n_rheaders == 0)
                return 0;
        r->rheaders = reallocarray(NULL, r->n_rheaders, sizeof(HttpHeader));
        if (!r->rheaders)
                return -ENOMEM;
        for (size_t i = 0; i < r->n_rheaders; i++)
                r->rheaders[i] = (HttpHeader){
                        .name = r->rhbuf.s + r->rhoffsets[2 * i],
                        .value = r->rhbuf.s + r->rhoffsets[2 * i + 1],
                };
        return 0;
}

int http_request_fill_response(HttpRequest *r) {
        long status = 0, version = 0;
        curl_off_t total = 0;

        if (http_request_point_headers(r) < 0)
                return -ENOMEM;

        (void) curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
        (void) curl_easy_getinfo(r->easy, CURLINFO_HTTP_VERSION, &version);
        (void) curl_easy_getinfo(r->easy, CURLINFO_TOTAL_TIME_T, &total);

        r->response = (HttpResponse){
                .status = status,
                .body = r->rbody ?: "",
                .body_size = r->rbody_size,
                .headers = r->rheaders,
                .n_headers = r->n_rheaders,
                .http_version = http_version_string(version),
                .total_usec = total > 0 ? (uint64_t) total : 0,
        };
        return 0;
}

/* ---- building a request -------------------------------------------------------------------- */

int http_request_new(HttpEngine *e, const char *method, const char *url, HttpRequest **ret) {
        _cleanup_(http_request_freep) HttpRequest *r = NULL;

        if (!e || isempty(method) || isempty(url) || !ret)
                return -EINVAL;
        if (strpbrk(method, " \t\r\n") || strpbrk(url, " \t\r\n"))
                return -EINVAL;

        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->engine = e;
        r->method = strdup(method);
        r->url = strdup(url);
        if (!r->method || !r->url)
                return -ENOMEM;

        *ret = TAKE_PTR(r);
        return 0;
}

HttpRequest *http_request_free(HttpRequest *r) {
        if (!r)
                return NULL;

        /* A started request belongs to the engine; freeing it here would leave a dangling
         * handle in the multi handle. Refuse rather than corrupt. */
        if (r->state == HTTP_REQUEST_RUNNING || r->state == HTTP_REQUEST_DONE)
                return NULL;

        if (r->easy)
                curl_easy_cleanup(r->easy);
        strbuf_done(&r->hbuf);
        free(r->hnodes);
        strbuf_done(&r->rhbuf);
        free(r->rhoffsets);
        free(r->rheaders);
        free(r->rbody);
        free(r->body);
        free(r->ca_file);
        free(r->cert_file);
        free(r->key_file);
        sd_event_source_disable_unref(r->idle_timer);
        free(r->url);
        free(r->method);
        free(r);
        return NULL;
}

static bool http_header_name_valid(const char *name) {
        return !isempty(name) && !strpbrk(name, ":\r\n \t");
}

static bool http_header_is_reserved(const char *name) {
        return strcasecmp(name, "Content-Length") == 0 ||
               strcasecmp(name, "Transfer-Encoding") == 0 || strcasecmp(name, "Expect") == 0;
}

int http_request_add_header(HttpRequest *r, const char *name, const char *value) {
        if (!r || r->state != HTTP_REQUEST_NEW || !value)
                return -EINVAL;
        if (!http_header_name_valid(name) || strpbrk(value, "\r\n") ||
            http_header_is_reserved(name))
                return -EINVAL;

        /* "Name:" with nothing after it would tell libcurl to suppress the header; "Name;" is
         * its way of sending a header with an empty value. Each line ends with its NUL. */
        strbuf_puts(&r->hbuf, name);
        if (isempty(value))
                strbuf_putc(&r->hbuf, ';');
        else {
                strbuf_put(&r->hbuf, ": ", 2);
                strbuf_puts(&r->hbuf, value);
        }
        strbuf_putc(&r->hbuf, 0);
        if (r->hbuf.failed)
                return -ENOMEM; /* sticky: the request cannot be started */
        r->n_headers++;

        r->has_accept = r->has_accept || strcasecmp(name, "Accept") == 0;
        r->has_content_type = r->has_content_type || strcasecmp(name, "Content-Type") == 0;
        r->has_user_agent = r->has_user_agent || strcasecmp(name, "User-Agent") == 0;
        return 0;
}

int http_request_set_body(HttpRequest *r, const void *data, size_t size) {
        char *copy;

        if (!r || r->state != HTTP_REQUEST_NEW || (!data && size > 0))
                return -EINVAL;

        copy = malloc(size + 1);
        if (!copy)
                return -ENOMEM;
        if (size > 0)
                memcpy(copy, data, size);
        copy[size] = 0;

        free(r->body);
        r->body = copy;
        r->body_size = size;
        r->has_body = true;
        return 0;
}

int http_request_set_ca_file(HttpRequest *r, const char *path) {
        char *copy;

        if (!r || r->state != HTTP_REQUEST_NEW || isempty(path))
                return -EINVAL;
        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        free(r->ca_file);
        r->ca_file = copy;
        return 0;
}

int http_request_set_client_cert(HttpRequest *r, const char *cert_path, const char *key_path) {
        _cleanup_free_ char *cert = NULL, *key = NULL;

        if (!r || r->state != HTTP_REQUEST_NEW || isempty(cert_path) || isempty(key_path))
                return -EINVAL;
        cert = strdup(cert_path);
        key = strdup(key_path);
        if (!cert || !key)
                return -ENOMEM;
        free(r->cert_file);
        r->cert_file = TAKE_PTR(cert);
        free(r->key_file);
        r->key_file = TAKE_PTR(key);
        return 0;
}

int http_request_set_stream(HttpRequest *r, HttpStreamCallback cb, uint64_t idle_usec) {
        if (!r || r->state != HTTP_REQUEST_NEW || !cb)
                return -EINVAL;
        r->stream = cb;
        r->stream_idle_usec = idle_usec;
        return 0;
}

int http_request_set_timeouts(HttpRequest *r, uint64_t connect_usec, uint64_t total_usec) {
        if (!r || r->state != HTTP_REQUEST_NEW)
                return -EINVAL;
        r->connect_usec = connect_usec;
        r->total_usec = total_usec;
        return 0;
}

int http_request_set_max_response_size(HttpRequest *r, size_t size) {
        if (!r || r->state != HTTP_REQUEST_NEW)
                return -EINVAL;
        r->max_response_size = size;
        return 0;
}

const char *http_request_error_detail(const HttpRequest *r) {
        return r ? r->error_detail : NULL;
}

const char *http_request_get_method(const HttpRequest *r) {
        return r ? r->method : NULL;
}

const char *http_request_get_url(const HttpRequest *r) {
        return r ? r->url : NULL;
}

const char *http_response_header(const HttpResponse *resp, const char *name) {
        if (!resp || !name)
                return NULL;
        for (size_t i = 0; i < resp->n_headers; i++)
                if (strcasecmp(resp->headers[i].name, name) == 0)
                        return resp->headers[i].value;
        return NULL;
}

/* ---- receiving ----------------------------------------------------------------------------- */

/* Counts n more received bytes against the cap; false (and too_big set) if it is exceeded. */
static bool http_request_account(HttpRequest *r, size_t n) {
        size_t max = r->max_response_size ?: r->engine->options.max_response_size;

        if (n > max || r->received > max - n) {
                r->too_big = true;
                return false;
        }
        r->received += n;
        return true;
}

/* A streaming request's 2xx body goes to its stream callback; false if that stopped it. */
static bool http_request_stream_piece(HttpRequest *r, const char *data, size_t len) {
        int k;

        if (r->idle_timer)
                (void) sd_event_source_set_time_relative(r->idle_timer, r->stream_idle_usec);
        r->in_stream = true;
        r->engine->in_curl_callback++;
        k = r->stream(r, data, len, r->userdata);
        r->engine->in_curl_callback--;
        r->in_stream = false;
        if (k < 0 && r->stream_error == 0)
                r->stream_error = k;
        return r->stream_error == 0;
}

static bool http_request_streams_body(HttpRequest *r) {
        long status = 0;

        if (!r->stream)
                return false;
        (void) curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
        return status >= 200 && status < 300;
}

size_t http_request_write_callback(char *data, size_t size, size_t n, void *userdata) {
        HttpRequest *r = userdata;
        size_t len = size * n;

        if (http_request_streams_body(r))
                return http_request_stream_piece(r, data, len) ? len : 0;
        if (!http_request_account(r, len))
                return 0; /* → CURLE_WRITE_ERROR → -EMSGSIZE */

        if (r->rbody_size + len + 1 > r->rbody_allocated) {
                size_t want = MAX(r->rbody_allocated * 2, r->rbody_size + len + 1);
                char *p = realloc(r->rbody, MAX(want, (size_t) 1024));
                if (!p)
                        return 0;
                r->rbody = p;
                r->rbody_allocated = MAX(want, (size_t) 1024);
        }
        memcpy(r->rbody + r->rbody_size, data, len);
        r->rbody_size += len;
        r->rbody[r->rbody_size] = 0;
        return len;
}

static void http_trim(const char **s, size_t *n) {
        while (*n > 0 && strchr(" \t\r\n", (*s)[0])) {
                (*s)++;
                (*n)--;
        }
        while (*n > 0 && strchr(" \t\r\n", (*s)[*n - 1]))
                (*n)--;
}

/* Appends s (n bytes) and a NUL to rhbuf; returns its offset or -ENOMEM. */
static ssize_t http_request_store(HttpRequest *r, const char *s, size_t n) {
        size_t at = r->rhbuf.len;

        strbuf_put(&r->rhbuf, s, n);
        strbuf_putc(&r->rhbuf, 0);
        return r->rhbuf.failed ? -ENOMEM : (ssize_t) at;
}

/* Stores one "Name: value" line, trimmed, in rhbuf (no allocation per header). Lines without
 * a colon (the blank end of the header block) are skipped. */
static int http_request_add_response_header(HttpRequest *r, const char *line, size_t len) {
        const char *colon = memchr(line, ':', len), *name = line, *value;
        size_t nlen, vlen;
        ssize_t no, vo;

        if (!colon || colon == line)
                return 0;
        if (2 * r->n_rheaders + 2 > r->rhoffsets_allocated) {
                size_t want = MAX(r->rhoffsets_allocated * 2, (size_t) 32);
                size_t *p = reallocarray(r->rhoffsets, want, sizeof(size_t));
                if (!p)
                        return -ENOMEM;
                r->rhoffsets = p;
                r->rhoffsets_allocated = want;
        }
        nlen = (size_t) (colon - line);
        value = colon + 1;
        vlen = len - nlen - 1;
        http_trim(&name, &nlen);
        http_trim(&value, &vlen);
        no = http_request_store(r, name, nlen);
        vo = no < 0 ? no : http_request_store(r, value, vlen);
        if (vo < 0)
                return -ENOMEM;
        r->rhoffsets[2 * r->n_rheaders] = (size_t) no;
        r->rhoffsets[2 * r->n_rheaders + 1] = (size_t) vo;
        r->n_rheaders++;
        return 0;
}

/* libcurl hands over complete header lines, the status line included. A status line starts a
 * new header block: only the final response's headers are kept (not those of a 100 or of a
 * proxy's CONNECT answer). */
size_t http_request_header_callback(char *data, size_t size, size_t n, void *userdata) {
        HttpRequest *r = userdata;
        size_t len = size * n;

        if (!http_request_account(r, len))
                return 0;

        if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
                r->n_rheaders = 0;
                r->rhbuf.len = 0;
                return len;
        }
        if (http_request_add_response_header(r, data, len) < 0)
                return 0;
        return len;
}

/* ---- starting ------------------------------------------------------------------------------ */

static long msec_from_usec(uint64_t usec) {
        return (long) MIN((usec + USEC_PER_MSEC - 1) / USEC_PER_MSEC, (uint64_t) LONG_MAX);
}

/* Headers that suppress what libcurl would add on its own (a "Name:" with no value removes an
 * internal header), after the caller's, so the caller's order is kept. libcurl only reads the
 * list (the strings are not const in struct curl_slist, hence the arrays). */
static char http_suppress_expect[] = "Expect:", http_suppress_accept[] = "Accept:",
            http_suppress_content_type[] = "Content-Type:";

/* The list libcurl reads: nodes in one array pointing into hbuf, then the suppressions.
 *
 * The engine's User-Agent is the first line of the list rather than libcurl's
 * CURLOPT_USERAGENT, which libcurl formats into a fresh string for every transfer, character
 * by character, and then copies into the request the same way: a visible part of a request's
 * cost. libcurl sends the Host line first either way, so the bytes on the wire are the same:
 * Host, User-Agent, the caller's headers. */
static int http_request_link_headers(HttpRequest *r) {
        char *suppress[] = {
                http_suppress_expect,
                r->has_accept ? NULL : http_suppress_accept,
                r->has_content_type ? NULL : http_suppress_content_type,
        };
        char *user_agent = r->has_user_agent ? NULL : r->engine->user_agent_line;
        size_t n = 0;
        char *line = r->hbuf.s;

        if (r->hbuf.failed)
                return -ENOMEM;
        r->hnodes = reallocarray(NULL, r->n_headers + 1 + ELEMENTSOF(suppress),
                                 sizeof(struct curl_slist));
        if (!r->hnodes)
                return -ENOMEM;
        if (user_agent)
                r->hnodes[n++].data = user_agent;
        for (unsigned i = 0; i < r->n_headers; i++) {
                r->hnodes[n++].data = line;
                line += strlen(line) + 1;
        }
        for (size_t i = 0; i < ELEMENTSOF(suppress); i++)
                if (suppress[i])
                        r->hnodes[n++].data = suppress[i];
        for (size_t i = 0; i < n; i++)
                r->hnodes[i].next = i + 1 < n ? &r->hnodes[i + 1] : NULL;
        return 0;
}

static bool http_method_wants_body(const char *method) {
        return streq(method, "POST") || streq(method, "PUT") || streq(method, "PATCH");
}

/* The method and the body. A body goes through POSTFIELDS with an explicit size, so libcurl
 * sends an exact Content-Length and never chunks; CUSTOMREQUEST then names the real method.
 * Every branch sets all of the method's options: the handle may come from another request. */
static CURLcode http_request_setup_method(HttpRequest *r) {
        CURLcode c;

        if (streq(r->method, "HEAD") && !r->has_body) {
                r->easy_dirty = true; /* NOBODY is not undone by the others */
                return curl_easy_setopt(r->easy, CURLOPT_NOBODY, 1L);
        }
        if (r->has_body || http_method_wants_body(r->method)) {
                c = curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                                     (curl_off_t) r->body_size);
                if (c == CURLE_OK)
                        c = curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body ?: "");
        } else
                c = curl_easy_setopt(r->easy, CURLOPT_HTTPGET, 1L);
        if (c != CURLE_OK)
                return c;
        return curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST,
                                streq(r->method, "GET") && !r->has_body ? NULL : r->method);
}

static bool http_request_is_https(const HttpRequest *r) {
        return strncasecmp(r->url, "https://", 8) == 0;
}

static CURLcode http_request_setup_tls(HttpRequest *r) {
        CURLcode c;

        /* Prefer waiting for a multiplexed stream to opening a connection, but only where
         * HTTP/2 is negotiated at the TLS handshake (ALPN). On plain http, whether a
         * connection multiplexes is known only from its first response, so waiting would hold
         * every request behind the first one: one connection, not max_connections_per_host. */
        c = curl_easy_setopt(r->easy, CURLOPT_PIPEWAIT, http_request_is_https(r) ? 1L : 0L);
        if (c == CURLE_OK && r->cert_file) {
                r->easy_dirty = true;
                c = curl_easy_setopt(r->easy, CURLOPT_SSLCERT, r->cert_file);
                if (c == CURLE_OK)
                        c = curl_easy_setopt(r->easy, CURLOPT_SSLKEY, r->key_file);
        }
        if (c != CURLE_OK || !r->ca_file)
                return c;
        /* The caFile replaces the system's trust store for this request. */
        r->easy_dirty = true;
        c = curl_easy_setopt(r->easy, CURLOPT_CAINFO, r->ca_file);
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_CAPATH, NULL);
        return c;
}

/* A stream has no total timeout, and its idle timer (lib/http.c) replaces the engine's
 * low-speed limit: libcurl averages the speed over several seconds, so a stream that went
 * quiet after a burst would pass as alive for a while. */
static CURLcode http_request_setup_stream(HttpRequest *r) {
        CURLcode c;

        r->easy_dirty = true;
        c = curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, 0L);
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_LOW_SPEED_LIMIT, 0L);
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_LOW_SPEED_TIME, 0L);
        return c;
}

static CURLcode http_request_setup_limits(HttpRequest *r) {
        const HttpEngineOptions *o = &r->engine->options;
        size_t max = r->max_response_size ?: o->max_response_size;
        CURLcode c;

        c = curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS,
                             msec_from_usec(r->connect_usec ?: o->connect_timeout_usec));
        if (c == CURLE_OK && r->stream)
                c = http_request_setup_stream(r);
        else if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS,
                                     msec_from_usec(r->total_usec ?: o->total_timeout_usec));
        if (c == CURLE_OK) /* fails early on a Content-Length over the cap */
                c = curl_easy_setopt(r->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) max);
        return c;
}

static CURLcode http_request_setup_io(HttpRequest *r) {
        CURLcode c;

        c = curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->error_buffer);
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
        return c;
}

/* With proxy variables in the environment, the one for this URL's scheme (see
 * http_engine_read_proxy_env()); without, the handle already says "none". */
static CURLcode http_request_setup_proxy(HttpRequest *r) {
        const HttpEngine *e = r->engine;
        const char *proxy;
        CURLcode c;

        if (!e->proxy_env)
                return CURLE_OK;
        proxy = http_request_is_https(r) ? e->proxy_https : e->proxy_http;
        c = curl_easy_setopt(r->easy, CURLOPT_PROXY, proxy ?: "");
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_NOPROXY, e->no_proxy ?: "");
        return c;
}

void http_request_unprepare(HttpRequest *r) {
        http_engine_return_easy(r->engine, TAKE_PTR(r->easy), r->easy_dirty);
        r->easy_dirty = false;
        free(r->hnodes);
        r->hnodes = NULL;
}

int http_request_prepare(HttpRequest *r) {
        CURLcode c;

        r->easy = http_engine_take_easy(r->engine);
        if (!r->easy)
                return -ENOMEM;
        if (http_request_link_headers(r) < 0) {
                http_request_unprepare(r);
                return -ENOMEM;
        }

        c = curl_easy_setopt(r->easy, CURLOPT_URL, r->url);
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->hnodes);
        if (c == CURLE_OK)
                c = http_request_setup_method(r);
        if (c == CURLE_OK)
                c = http_request_setup_tls(r);
        if (c == CURLE_OK)
                c = http_request_setup_proxy(r);
        if (c == CURLE_OK)
                c = http_request_setup_limits(r);
        if (c == CURLE_OK)
                c = http_request_setup_io(r);
        if (c != CURLE_OK) {
                r->error_detail = curl_easy_strerror(c);
                r->easy_dirty = true; /* whatever was set stays out of the next request */
                http_request_unprepare(r);
                return c == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
        }
        return 0;
}
