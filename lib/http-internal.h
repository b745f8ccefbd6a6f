/* SPDX-License-Identifier: MIT */
#pragma once

/* lib/http's insides, shared by http.c (the engine: sd-event glue, dispatch, start, cancel)
 * and http-request.c (building a request, its easy handle, collecting its response). Not for
 * anyone else: the contract is lib/http.h. */

#include <curl/curl.h>

#include "lib/http.h"
#include "lib/time-util.h"
#include "lib/strbuf.h"

#define HTTP_NEVER UINT64_MAX

#define HTTP_DEFERRED_START 1u
#define HTTP_DEFERRED_CANCEL 2u

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
        int epoll_fd;        /* curl's sockets */
        sd_event_source *io; /* epoll_fd in the event loop */
        sd_event_source *timer;
        sd_event_source *defer;
        HttpEngineOptions options;
        HttpRequestList running; /* added to the multi handle */
        HttpRequestList done;    /* result decided, callback not yet called */
        unsigned n_in_flight;    /* started, callback not yet returned */
        CURL **idle_easy;        /* configured easy handles of finished requests, for the next */
        size_t n_idle_easy;
        size_t idle_capacity; /* of idle_easy */
        uint8_t *fds;         /* HTTP_FD_* by socket fd, see the socket callback */
        size_t n_fds;
        /* The standard proxy environment variables, read once (see lib/http.h); NULL: unset. */
        char *proxy_http, *proxy_https, *no_proxy;
        bool proxy_env; /* any of them set */
        /* "User-Agent: <options.user_agent>", the first of the header lines of a request that
         * adds none (see http_request_link_headers()); NULL without one, or with a proxy. */
        char *user_agent_line;
        int timer_error;     /* of the last timer callback */
        uint64_t deadline;   /* when curl wants its timeouts run, or HTTP_NEVER */
        uint64_t timer_usec; /* when the timer fires (≤ deadline), or HTTP_NEVER when off */
        bool run_timeouts;   /* curl asked for "at once": the defer source runs them */
        /* Inside libcurl's callbacks (a stream's piece is handed over from its write callback)
         * libcurl refuses curl_multi_add_handle() and curl_multi_remove_handle(): starts and
         * cancels made there are left to the defer source (HttpRequest.deferred). */
        unsigned in_curl_callback;
        bool have_deferred;
        bool freeing;
};

struct HttpRequest {
        HttpEngine *engine;
        HttpRequestState state;
        HttpRequest *prev, *next;

        char *method, *url, *ca_file, *cert_file, *key_file;
        /* The caller's header lines, NUL-terminated one after the other in hbuf, and the
         * list libcurl reads made of them at start (nodes in one array: no allocation per
         * header). */
        StrBuf hbuf;
        unsigned n_headers;
        struct curl_slist *hnodes;
        bool has_accept, has_content_type, has_user_agent;
        bool easy_dirty; /* options set beyond the per-request ones: reset before reuse */
        char *body;
        size_t body_size;
        bool has_body;
        uint64_t connect_usec, total_usec;
        size_t max_response_size;

        /* Streaming mode (http_request_set_stream()). stream_error: why the write callback
         * stopped the transfer (the stream callback's errno, or -ECANCELED when it cancelled). */
        HttpStreamCallback stream;
        uint64_t stream_idle_usec;
        sd_event_source *idle_timer; /* armed while running, moved on by every piece */
        bool in_stream;
        int stream_error;
        /* Started (HTTP_REQUEST_START) or cancelled (HTTP_REQUEST_CANCEL) from inside a libcurl
         * callback: the defer source adds it to or removes it from the multi handle. */
        unsigned deferred;

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
        /* Response header names and values, NUL-terminated, in rhbuf; rhoffsets holds two
         * offsets (name, value) per header. rheaders points into rhbuf once the transfer is
         * over (http_request_fill_response()). */
        StrBuf rhbuf;
        size_t *rhoffsets;
        size_t n_rheaders, rhoffsets_allocated;
        HttpHeader *rheaders;
        HttpResponse response;
};

/* An easy handle with the engine's constant options set (http_engine_configure_easy()): a
 * pooled one or a new one. NULL when out of memory. */
CURL *http_engine_take_easy(HttpEngine *e);
/* Takes easy back (not in the multi handle): pooled as it is, or reset and configured again
 * first if reset is true (its request set options beyond the per-request ones), or freed when
 * the pool is full. Accepts NULL. */
void http_engine_return_easy(HttpEngine *e, CURL *easy, bool reset);

/* libcurl's write and header callbacks of every request (userdata: the HttpRequest). */
size_t http_request_write_callback(char *data, size_t size, size_t n, void *userdata);
size_t http_request_header_callback(char *data, size_t size, size_t n, void *userdata);

/* Creates and configures r->easy from r (suppressing headers appended after the caller's).
 * On failure everything is undone and r is as before. */
int http_request_prepare(HttpRequest *r);
/* Undoes http_request_prepare(): r->easy freed, the caller's headers as they were. */
void http_request_unprepare(HttpRequest *r);
/* Fills r->response from the easy handle after a transfer that ended with a response.
 * -ENOMEM if that failed. */
int http_request_fill_response(HttpRequest *r);
/* The negative errno for a finished transfer's CURLcode. */
int http_request_errno_from_curl(HttpRequest *r, CURLcode code);
