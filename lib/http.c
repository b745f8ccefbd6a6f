/* SPDX-License-Identifier: MIT */

/* libcurl's multi interface driven by sd-event, after systemd's src/shared/curl-util.c:
 *
 *   CURLMOPT_SOCKETFUNCTION  → one sd-event I/O source per socket, kept in curl's socket
 *                              pointer (curl_multi_assign), events updated in place
 *   CURLMOPT_TIMERFUNCTION   → one CLOCK_MONOTONIC timer, rounded up to whole milliseconds
 *   after every curl_multi_socket_action()
 *                            → curl_multi_info_read() drained; each finished transfer, found
 *                              again through CURLOPT_PRIVATE, is queued as "done"
 *   a defer source           → calls the callbacks of the done queue, one by one
 *
 * Request states:
 *
 *   NEW ──start──▶ RUNNING ──curl done / cancel──▶ DONE ──defer──▶ DISPATCHING ──▶ freed
 *                            (engine free: RUNNING and DONE are dispatched at once, -ECANCELED)
 *
 * Callbacks are therefore never called from inside a libcurl callback, nor from inside
 * http_request_start() or http_request_cancel(): the caller may start, cancel or build other
 * requests from a callback. */

#include <curl/curl.h>
#include <limits.h>
#include <strings.h>
#include <sys/epoll.h>
#include <time.h>

#include "lib/http.h"
#include "lib/log.h"
#include "lib/macro.h"

#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_SEC UINT64_C(1000000)

typedef enum HttpRequestState {
        HTTP_REQUEST_NEW,
        HTTP_REQUEST_RUNNING,
        HTTP_REQUEST_DONE,
        HTTP_REQUEST_DISPATCHING,
} HttpRequestState;

/* A doubly linked list with a tail, so the done queue is FIFO. */
typedef struct HttpRequestList {
        HttpRequest *head, *tail;
} HttpRequestList;

struct HttpEngine {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;
        sd_event_source *defer;
        HttpEngineOptions options;
        HttpRequestList running; /* added to the multi handle */
        HttpRequestList done;    /* result decided, callback not yet called */
        unsigned n_in_flight;    /* started, callback not yet returned */
        int timer_error;         /* of the last timer callback */
        bool freeing;
};

struct HttpRequest {
        HttpEngine *engine;
        HttpRequestState state;
        HttpRequest *prev, *next;

        char *method, *url, *ca_file;
        struct curl_slist *headers;
        bool has_user_agent, has_accept, has_content_type;
        char *body;
        size_t body_size;
        bool has_body;
        uint64_t connect_usec, total_usec;
        size_t max_response_size;

        HttpCallback callback;
        void *userdata;
        CURL *easy;
        char error_buffer[CURL_ERROR_SIZE];
        const char *error_detail; /* error_buffer, or curl_easy_strerror() */
        int error;

        /* The response, collected by the write and header callbacks. */
        bool too_big;
        size_t received; /* header and body bytes, against max_response_size */
        char *rbody;
        size_t rbody_size, rbody_allocated;
        HttpHeader *rheaders;
        size_t n_rheaders, rheaders_allocated;
        HttpResponse response;
};

static const HttpEngineOptions http_engine_defaults = {
        .connect_timeout_usec = 10 * USEC_PER_SEC,
        .total_timeout_usec = 60 * USEC_PER_SEC,
        .low_speed_limit_bytes = 1,
        .low_speed_time_usec = 30 * USEC_PER_SEC,
        .max_response_size = 8 * 1024 * 1024,
        .max_connections_per_host = 8,
        .max_total_connections = 64,
};

/* ---- lists ------------------------------------------------------------------------------- */

static void list_append(HttpRequestList *l, HttpRequest *r) {
        r->prev = l->tail;
        r->next = NULL;
        if (l->tail)
                l->tail->next = r;
        else
                l->head = r;
        l->tail = r;
}

static void list_remove(HttpRequestList *l, HttpRequest *r) {
        if (r->prev)
                r->prev->next = r->next;
        else
                l->head = r->next;
        if (r->next)
                r->next->prev = r->prev;
        else
                l->tail = r->prev;
        r->prev = r->next = NULL;
}

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

static int http_errno_from_curl(HttpRequest *r, CURLcode code) {
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

/* ---- sd-event glue ------------------------------------------------------------------------- */

static void http_engine_check_finished(HttpEngine *e);

static int http_engine_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        HttpEngine *e = userdata;
        int action = 0, running = 0;

        if (revents & (EPOLLIN | EPOLLHUP))
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & EPOLLERR)
                action |= CURL_CSELECT_ERR;

        if (curl_multi_socket_action(e->multi, fd, action, &running) != CURLM_OK)
                log_debug("http: curl_multi_socket_action() failed on fd %d.", fd);

        http_engine_check_finished(e);
        return 0;
}

static uint32_t http_epoll_events(int what) {
        switch (what) {
        case CURL_POLL_IN:
                return EPOLLIN;
        case CURL_POLL_OUT:
                return EPOLLOUT;
        case CURL_POLL_INOUT:
                return EPOLLIN | EPOLLOUT;
        default:
                return 0;
        }
}

/* CURLMOPT_SOCKETFUNCTION: socketp is the socket's sd_event_source, assigned on first sight.
 * Called from inside libcurl; must not call back into the multi handle except
 * curl_multi_assign(). */
static int http_engine_socket_callback(CURL *easy, curl_socket_t fd, int what, void *userdata,
                                       void *socketp) {
        HttpEngine *e = userdata;
        sd_event_source *io = socketp;

        if (what == CURL_POLL_REMOVE) {
                if (io) {
                        (void) curl_multi_assign(e->multi, fd, NULL);
                        sd_event_source_disable_unref(io);
                }
                return 0;
        }

        if (io) {
                if (sd_event_source_set_io_events(io, http_epoll_events(what)) < 0 ||
                    sd_event_source_set_enabled(io, SD_EVENT_ON) < 0)
                        return -1;
                return 0;
        }

        if (sd_event_add_io(e->event, &io, fd, http_epoll_events(what), http_engine_on_io, e) < 0)
                return -1;
        (void) sd_event_source_set_description(io, "http-io");
        if (curl_multi_assign(e->multi, fd, io) != CURLM_OK) {
                sd_event_source_disable_unref(io);
                return -1;
        }
        return 0;
}

static int http_engine_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        HttpEngine *e = userdata;
        int running = 0;

        if (curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running) != CURLM_OK)
                log_debug("http: curl_multi_socket_action() failed on timeout.");

        http_engine_check_finished(e);
        return 0;
}

static uint64_t now_monotonic_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

/* CURLMOPT_TIMERFUNCTION: -1 disables the timer, otherwise fire in timeout_ms (0 = as soon as
 * possible, from the loop: curl must not be called back from inside this callback). The
 * deadline is rounded up to the next whole millisecond so that the timer never fires before
 * curl considers the timeout expired (which would just re-arm it). */
static int http_engine_timer_callback(CURLM *multi, long timeout_ms, void *userdata) {
        HttpEngine *e = userdata;
        uint64_t usec;

        int k;

        if (timeout_ms < 0) {
                k = e->timer ? sd_event_source_set_enabled(e->timer, SD_EVENT_OFF) : 0;
                goto finish;
        }

        usec = now_monotonic_usec() + (uint64_t) timeout_ms * USEC_PER_MSEC + USEC_PER_MSEC - 1;
        usec -= usec % USEC_PER_MSEC;

        if (!e->timer) {
                k = sd_event_add_time(e->event, &e->timer, CLOCK_MONOTONIC, usec, USEC_PER_MSEC,
                                      http_engine_on_timer, e);
                if (k >= 0)
                        (void) sd_event_source_set_description(e->timer, "http-timer");
                goto finish;
        }
        k = sd_event_source_set_time(e->timer, usec);
        if (k >= 0)
                k = sd_event_source_set_enabled(e->timer, SD_EVENT_ONESHOT);
finish:
        /* Remembered for http_request_start(), which gets only a CURLMcode back. -ESTALE: the
         * event loop has finished. */
        e->timer_error = k < 0 ? k : 0;
        return k < 0 ? -1 : 0;
}

/* ---- completion ---------------------------------------------------------------------------- */

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

/* Fills r->response from the easy handle after a transfer that ended with a response. */
static void http_request_fill_response(HttpRequest *r) {
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

static void http_engine_schedule_dispatch(HttpEngine *e) {
        if (sd_event_source_set_enabled(e->defer, SD_EVENT_ONESHOT) < 0)
                log_debug("http: failed to enable the dispatch source.");
}

/* RUNNING → DONE with the given result: off the multi handle, onto the done queue. */
static void http_request_finish(HttpRequest *r, int error) {
        HttpEngine *e = r->engine;

        (void) curl_multi_remove_handle(e->multi, r->easy);
        list_remove(&e->running, r);
        r->error = error;
        if (error == 0)
                http_request_fill_response(r);
        list_append(&e->done, r);
        r->state = HTTP_REQUEST_DONE;
        http_engine_schedule_dispatch(e);
}

static void http_engine_check_finished(HttpEngine *e) {
        CURLMsg *msg;
        int left = 0;

        while ((msg = curl_multi_info_read(e->multi, &left))) {
                HttpRequest *r = NULL;

                if (msg->msg != CURLMSG_DONE)
                        continue;
                if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &r) != CURLE_OK ||
                    !r || r->state != HTTP_REQUEST_RUNNING)
                        continue;

                CURLcode code = msg->data.result; /* msg is invalid once the handle is removed */
                if (code != CURLE_OK && !r->error_buffer[0])
                        r->error_detail = curl_easy_strerror(code);
                else if (code != CURLE_OK)
                        r->error_detail = r->error_buffer;
                http_request_finish(r, http_errno_from_curl(r, code));
        }
}

/* Calls the callback of the head of the done queue, then frees the request. */
static void http_engine_dispatch_one(HttpEngine *e) {
        HttpRequest *r = e->done.head;

        list_remove(&e->done, r);
        r->state = HTTP_REQUEST_DISPATCHING;
        r->callback(r, r->error, r->error == 0 ? &r->response : NULL, r->userdata);
        e->n_in_flight--;
        http_request_free(r);
}

static int http_engine_on_defer(sd_event_source *s, void *userdata) {
        HttpEngine *e = userdata;

        /* Requests that callbacks finish (cancel) meanwhile are picked up by the same loop. */
        while (e->done.head && !e->freeing)
                http_engine_dispatch_one(e);
        return 0;
}

/* ---- the engine ---------------------------------------------------------------------------- */

static int http_engine_setup_multi(HttpEngine *e) {
        const HttpEngineOptions *o = &e->options;

        e->multi = curl_multi_init();
        if (!e->multi)
                return -ENOMEM;

        if (curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, http_engine_socket_callback) ||
            curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e) ||
            curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, http_engine_timer_callback) ||
            curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e) ||
            curl_multi_setopt(e->multi, CURLMOPT_PIPELINING, (long) CURLPIPE_MULTIPLEX) ||
            curl_multi_setopt(e->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                              (long) o->max_connections_per_host) ||
            curl_multi_setopt(e->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                              (long) o->max_total_connections) ||
            curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, (long) o->max_total_connections))
                return -EIO;
        return 0;
}

static void http_engine_apply_defaults(HttpEngineOptions *o) {
        const HttpEngineOptions *d = &http_engine_defaults;

        o->connect_timeout_usec = o->connect_timeout_usec ?: d->connect_timeout_usec;
        o->total_timeout_usec = o->total_timeout_usec ?: d->total_timeout_usec;
        o->low_speed_limit_bytes = o->low_speed_limit_bytes ?: d->low_speed_limit_bytes;
        o->low_speed_time_usec = o->low_speed_time_usec ?: d->low_speed_time_usec;
        o->max_response_size = o->max_response_size ?: d->max_response_size;
        o->max_connections_per_host = o->max_connections_per_host ?: d->max_connections_per_host;
        o->max_total_connections = o->max_total_connections ?: d->max_total_connections;
}

int http_engine_new(sd_event *event, const HttpEngineOptions *options, HttpEngine **ret) {
        HttpEngine *e;
        int r;

        if (!event || !ret)
                return -EINVAL;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -EIO;

        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->event = sd_event_ref(event);
        e->options = options ? *options : http_engine_defaults;
        http_engine_apply_defaults(&e->options);

        r = http_engine_setup_multi(e);
        if (r >= 0)
                r = sd_event_add_defer(event, &e->defer, http_engine_on_defer, e);
        if (r >= 0)
                r = sd_event_source_set_enabled(e->defer, SD_EVENT_OFF);
        if (r < 0) {
                http_engine_free(e);
                return r;
        }
        (void) sd_event_source_set_description(e->defer, "http-dispatch");

        *ret = e;
        return 0;
}

HttpEngine *http_engine_free(HttpEngine *e) {
        if (!e)
                return NULL;

        /* Everything still running or not yet delivered is cancelled, and delivered now: no
         * callback may be left behind once the engine is gone. */
        e->freeing = true;
        while (e->running.head)
                http_request_finish(e->running.head, -ECANCELED);
        while (e->done.head) {
                e->done.head->error = -ECANCELED;
                http_engine_dispatch_one(e);
        }

        /* Closes cached connections: the socket callback still removes their I/O sources. */
        if (e->multi)
                curl_multi_cleanup(e->multi);
        sd_event_source_disable_unref(e->timer);
        sd_event_source_disable_unref(e->defer);
        sd_event_unref(e->event);
        free(e);
        /* curl_global_cleanup() is not called: other engines may exist; libcurl's global
         * state is process-wide and freed at exit. */
        return NULL;
}

unsigned http_engine_in_flight(const HttpEngine *e) {
        return e ? e->n_in_flight : 0;
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
        curl_slist_free_all(r->headers);
        for (size_t i = 0; i < r->n_rheaders; i++) {
                free(r->rheaders[i].name);
                free(r->rheaders[i].value);
        }
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

        if (!r || r->state != HTTP_REQUEST_NEW || !value)
                return -EINVAL;
        if (!http_header_name_valid(name) || strpbrk(value, "\r\n") || http_header_is_reserved(name))
                return -EINVAL;

        /* "Name:" with nothing after it would tell libcurl to suppress the header; "Name;" is
         * its way of sending a header with an empty value. */
        if (asprintf(&line, isempty(value) ? "%s;" : "%s: %s", name, value) < 0)
                return -ENOMEM;
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

static int http_request_setup_easy(HttpRequest *r) {
        CURLcode c;
        int k;

        r->easy = curl_easy_init();
        if (!r->easy)
                return -ENOMEM;

        k = http_request_finish_headers(r);
        if (k < 0)
                return k;

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
                return c == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
        }
        return 0;
}

/* Undoes what a failed start did, so that the caller gets its request back as it was. */
static void http_request_reset_easy(HttpRequest *r, struct curl_slist *caller_tail) {
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
        /* Drop the suppressing headers appended after the caller's own. */
        if (caller_tail) {
                curl_slist_free_all(caller_tail->next);
                caller_tail->next = NULL;
        } else {
                curl_slist_free_all(r->headers);
                r->headers = NULL;
        }
}

static struct curl_slist *slist_last(struct curl_slist *l) {
        while (l && l->next)
                l = l->next;
        return l;
}

int http_request_start(HttpRequest *r, HttpCallback cb, void *userdata) {
        struct curl_slist *caller_tail;
        HttpEngine *e;
        int k;

        if (!r || !cb)
                return -EINVAL;
        if (r->state != HTTP_REQUEST_NEW)
                return -EBUSY;
        e = r->engine;
        if (e->freeing)
                return -ESHUTDOWN;

        caller_tail = slist_last(r->headers);
        k = http_request_setup_easy(r);
        if (k >= 0) {
                e->timer_error = 0;
                if (curl_multi_add_handle(e->multi, r->easy) != CURLM_OK) {
                        /* The handle may be in the multi handle even so (a failing timer
                         * callback is reported after it was added). */
                        (void) curl_multi_remove_handle(e->multi, r->easy);
                        k = e->timer_error ?: -ENOMEM;
                }
        }
        if (k < 0) {
                http_request_reset_easy(r, caller_tail);
                return k;
        }

        /* curl_multi_add_handle() arms the timer; the transfer begins from the loop. */
        r->callback = cb;
        r->userdata = userdata;
        r->state = HTTP_REQUEST_RUNNING;
        list_append(&e->running, r);
        e->n_in_flight++;
        return 0;
}

void http_request_cancel(HttpRequest *r) {
        if (!r)
                return;

        switch (r->state) {
        case HTTP_REQUEST_RUNNING:
                r->error_detail = "Cancelled.";
                http_request_finish(r, -ECANCELED);
                break;
        case HTTP_REQUEST_DONE:
                r->error = -ECANCELED;
                r->error_detail = "Cancelled.";
                break;
        default:
                break;
        }
}
