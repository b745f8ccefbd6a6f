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
                /* Our write and header callbacks fail only when the cap is hit. */
                return r->too_big || code == CURLE_FILESIZE_EXCEEDED ? -EMSGSIZE : -EIO;
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_HTTP2:
        case CURLE_HTTP3:
        case CURLE_BAD_CONTENT_ENCODING:
        case CURLE_UNSUPPORTED_PROTOCOL:
                return code == CURLE_UNSUPPORTED_PROTOCOL ? -EINVAL : -EPROTO;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_CRL_BADFILE:
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

void http_request_fill_response(HttpRequest *r) {
        long status = 0, version = 0;
        curl_off_t total = 0;

        (void) curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
        (void) curl_easy_getinfo(r->easy, CURLINFO_HTTP_VERSION, &version);
        (void) curl_easy_getinfo(r->easy, CURLINFO_TOTAL_TIME_T, &total);

        r->response = (HttpResponse) {
                .status = status,
                .body = r->rbody ?: "",
                .body_size = r->rbody_size,
                .headers = r->rheaders,
                .n_headers = r->n_rheaders,
                .http_version = http_version_string(version),
                .total_usec = total > 0 ? (uint64_t) total : 0,
        };
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

static void http_request_clear_headers(HttpRequest *r);

HttpRequest *http_request_free(HttpRequest *r) {
        if (!r)
                return NULL;

        /* A started request belongs to the engine; freeing it here would leave a dangling
         * handle in the multi handle. Refuse rather than corrupt. */
        if (r->state == HTTP_REQUEST_RUNNING || r->state == HTTP_REQUEST_DONE)
                return NULL;

        if (r->easy)
                curl_easy_cleanup(r->easy);
        curl_slist_free_all(r->headers);
        http_request_clear_headers(r);
        free(r->rheaders);
        free(r->rbody);
        free(r->body);
        free(r->ca_file);
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
        _cleanup_free_ char *line = NULL;
        struct curl_slist *l;
        size_t n, v;

        if (!r || r->state != HTTP_REQUEST_NEW || !value)
                return -EINVAL;
        if (!http_header_name_valid(name) || strpbrk(value, "\r\n") || http_header_is_reserved(name))
                return -EINVAL;

        /* "Name:" with nothing after it would tell libcurl to suppress the header; "Name;" is
         * its way of sending a header with an empty value. Built by hand: asprintf() was a
         * visible part of a request's cost. */
        n = strlen(name);
        v = strlen(value);
        line = malloc(n + 2 + v + 1);
        if (!line)
                return -ENOMEM;
        memcpy(line, name, n);
        if (v == 0)
                line[n++] = ';';
        else {
                memcpy(line + n, ": ", 2);
                memcpy(line + n + 2, value, v);
                n += 2 + v;
        }
        line[n] = 0;
        l = curl_slist_append(r->headers, line);
        if (!l)
                return -ENOMEM;
        r->headers = l;

        r->has_user_agent = r->has_user_agent || strcasecmp(name, "User-Agent") == 0;
        r->has_accept = r->has_accept || strcasecmp(name, "Accept") == 0;
        r->has_content_type = r->has_content_type || strcasecmp(name, "Content-Type") == 0;
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

static size_t http_request_write_callback(char *data, size_t size, size_t n, void *userdata) {
        HttpRequest *r = userdata;
        size_t len = size * n;

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

static void http_request_clear_headers(HttpRequest *r) {
        for (size_t i = 0; i < r->n_rheaders; i++) {
                free(r->rheaders[i].name);
                free(r->rheaders[i].value);
        }
        r->n_rheaders = 0;
}

static char *strndup_trimmed(const char *s, size_t n) {
        while (n > 0 && strchr(" \t\r\n", s[0])) {
                s++;
                n--;
        }
        while (n > 0 && strchr(" \t\r\n", s[n - 1]))
                n--;
        return strndup(s, n);
}

/* Stores one "Name: value" line. Lines without a colon (the blank end of the header block)
 * are skipped. */
static int http_request_add_response_header(HttpRequest *r, const char *line, size_t len) {
        const char *colon = memchr(line, ':', len);
        HttpHeader h;

        if (!colon || colon == line)
                return 0;
        if (r->n_rheaders == r->rheaders_allocated) {
                size_t want = MAX(r->rheaders_allocated * 2, (size_t) 16);
                HttpHeader *p = reallocarray(r->rheaders, want, sizeof(HttpHeader));
                if (!p)
                        return -ENOMEM;
                r->rheaders = p;
                r->rheaders_allocated = want;
        }
        h.name = strndup_trimmed(line, colon - line);
        h.value = strndup_trimmed(colon + 1, len - (colon - line) - 1);
        if (!h.name || !h.value) {
                free(h.name);
                free(h.value);
                return -ENOMEM;
        }
        r->rheaders[r->n_rheaders++] = h;
        return 0;
}

/* libcurl hands over complete header lines, the status line included. A status line starts a
 * new header block: only the final response's headers are kept (not those of a 100 or of a
 * proxy's CONNECT answer). */
static size_t http_request_header_callback(char *data, size_t size, size_t n, void *userdata) {
        HttpRequest *r = userdata;
        size_t len = size * n;

        if (!http_request_account(r, len))
                return 0;

        if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
                http_request_clear_headers(r);
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
 * internal header). Appended after the caller's, so the caller's order is kept. */
static int http_request_finish_headers(HttpRequest *r) {
        const char *suppress[] = {
                "Expect:",
                r->has_accept ? NULL : "Accept:",
                r->has_content_type ? NULL : "Content-Type:",
        };

        for (size_t i = 0; i < ELEMENTSOF(suppress); i++) {
                struct curl_slist *l;

                if (!suppress[i])
                        continue;
                l = curl_slist_append(r->headers, suppress[i]);
                if (!l)
                        return -ENOMEM;
                r->headers = l;
        }
        return 0;
}

static bool http_method_wants_body(const char *method) {
        return streq(method, "POST") || streq(method, "PUT") || streq(method, "PATCH");
}

/* The method and the body. A body goes through POSTFIELDS with an explicit size, so libcurl
 * sends an exact Content-Length and never chunks; CUSTOMREQUEST then names the real method. */
static CURLcode http_request_setup_method(HttpRequest *r) {
        CURLcode c;

        if (streq(r->method, "GET") && !r->has_body)
                return curl_easy_setopt(r->easy, CURLOPT_HTTPGET, 1L);
        if (streq(r->method, "HEAD") && !r->has_body)
                return curl_easy_setopt(r->easy, CURLOPT_NOBODY, 1L);

        if (r->has_body || http_method_wants_body(r->method)) {
                c = curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                                     (curl_off_t) r->body_size);
                if (c == CURLE_OK)
                        c = curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body ?: "");
        } else
                c = curl_easy_setopt(r->easy, CURLOPT_HTTPGET, 1L);
        if (c != CURLE_OK)
                return c;
        return curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, r->method);
}

static CURLcode http_request_setup_tls(HttpRequest *r) {
        CURLcode c;

        c = curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYPEER, 1L);
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYHOST, 2L);
        if (c == CURLE_OK && r->ca_file) {
                /* The caFile replaces the system's trust store for this request. */
                c = curl_easy_setopt(r->easy, CURLOPT_CAINFO, r->ca_file);
                if (c == CURLE_OK)
                        c = curl_easy_setopt(r->easy, CURLOPT_CAPATH, NULL);
        }
        return c;
}

static CURLcode http_request_setup_limits(HttpRequest *r) {
        const HttpEngineOptions *o = &r->engine->options;
        size_t max = r->max_response_size ?: o->max_response_size;
        CURLcode c;

        c = curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS,
                             msec_from_usec(r->connect_usec ?: o->connect_timeout_usec));
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS,
                                     msec_from_usec(r->total_usec ?: o->total_timeout_usec));
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_limit_bytes);
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_LOW_SPEED_TIME,
                                     (long) ((o->low_speed_time_usec + USEC_PER_SEC - 1) /
                                             USEC_PER_SEC));
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
                c = curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, http_request_write_callback);
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, http_request_header_callback);
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
        return c;
}

static CURLcode http_request_setup_protocol(HttpRequest *r) {
        CURLcode c;

        c = curl_easy_setopt(r->easy, CURLOPT_URL, r->url);
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, 0L);
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_2TLS);
        if (c == CURLE_OK) /* prefer waiting for a multiplexed stream to opening a connection */
                c = curl_easy_setopt(r->easy, CURLOPT_PIPEWAIT, 1L);
        if (c == CURLE_OK) /* notice dead cached connections of a long-running daemon */
                c = curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPALIVE, 1L);
        if (c == CURLE_OK && !r->has_user_agent)
                c = curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "asyncfg/" ASYNCFG_VERSION);
        if (c == CURLE_OK)
                c = curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
        return c;
}

static struct curl_slist *slist_last(struct curl_slist *l) {
        while (l && l->next)
                l = l->next;
        return l;
}

void http_request_unprepare(HttpRequest *r) {
        http_engine_return_easy(r->engine, TAKE_PTR(r->easy));
        /* Drop the suppressing headers appended after the caller's own. */
        if (r->caller_headers_tail) {
                curl_slist_free_all(r->caller_headers_tail->next);
                r->caller_headers_tail->next = NULL;
        } else {
                curl_slist_free_all(r->headers);
                r->headers = NULL;
        }
        r->caller_headers_tail = NULL;
}

int http_request_prepare(HttpRequest *r) {
        CURLcode c;
        int k;

        r->caller_headers_tail = slist_last(r->headers);
        r->easy = http_engine_take_easy(r->engine);
        if (!r->easy)
                return -ENOMEM;

        k = http_request_finish_headers(r);
        if (k < 0) {
                http_request_unprepare(r);
                return k;
        }

        c = http_request_setup_protocol(r);
        if (c == CURLE_OK)
                c = http_request_setup_method(r);
        if (c == CURLE_OK)
                c = http_request_setup_tls(r);
        if (c == CURLE_OK)
                c = http_request_setup_limits(r);
        if (c == CURLE_OK)
                c = http_request_setup_io(r);
        if (c != CURLE_OK) {
                r->error_detail = curl_easy_strerror(c);
                http_request_unprepare(r);
                return c == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
        }
        return 0;
}
