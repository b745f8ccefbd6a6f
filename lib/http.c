/* SPDX-License-Identifier: MIT */

/* libcurl's multi interface driven by sd-event, after systemd's src/shared/curl-util.c:
 *
 *   CURLMOPT_SOCKETFUNCTION  → the socket in the engine's own epoll instance, whose fd is
 *                              one sd-event I/O source (see http_engine_on_io())
 *   CURLMOPT_TIMERFUNCTION   → one CLOCK_MONOTONIC timer, rounded up to whole milliseconds,
 *                              and the defer source for "at once"
 *   after every curl_multi_socket_action()
 *                            → curl_multi_info_read() drained; each finished transfer, found
 *                              again through CURLOPT_PRIVATE, is queued as "done"
 *   a defer source           → runs curl's "at once" timeouts, then calls the callbacks of
 *                              the done queue, one by one
 *
 * Request states:
 *
 *   NEW ──start──▶ RUNNING ──curl done / cancel──▶ DONE ──defer──▶ DISPATCHING ──▶ freed
 *                            (engine free: RUNNING and DONE are dispatched at once, -ECANCELED)
 *
 * Callbacks are therefore never called from inside a libcurl callback, nor from inside
 * http_request_start() or http_request_cancel(): the caller may start, cancel or build other
 * requests from a callback. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "lib/http-internal.h"
#include "lib/list.h"
#include "lib/log.h"
#include "lib/macro.h"
#include "lib/time-util.h"

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
        DLIST_APPEND(l->head, l->tail, r, prev, next);
}

static void list_remove(HttpRequestList *l, HttpRequest *r) {
        DLIST_UNLINK(l->head, l->tail, r, prev, next);
}

/* ---- sd-event glue ------------------------------------------------------------------------- */

static void http_engine_check_finished(HttpEngine *e);
static int http_engine_on_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* What the engine knows of a socket, by fd (e->fds). */
#define HTTP_FD_IN 0x01u     /* registered in epoll_fd for EPOLLIN */
#define HTTP_FD_OUT 0x02u    /* ... for EPOLLOUT */
#define HTTP_FD_OURS 0x04u   /* a connection socket opened by http_engine_open_socket() */
#define HTTP_FD_WANTED 0x08u /* curl watches it now (between its IN/OUT and its REMOVE) */

static uint8_t *http_engine_fd_state(HttpEngine *e, int fd) {
        if (fd < 0)
                return NULL;
        if ((size_t) fd >= e->n_fds) {
                size_t n = MAX((size_t) fd + 1, MAX(e->n_fds * 2, (size_t) 64));
                uint8_t *p = realloc(e->fds, n);
                if (!p)
                        return NULL;
                memset(p + e->n_fds, 0, n - e->n_fds);
                e->fds = p;
                e->n_fds = n;
        }
        return &e->fds[fd];
}

static int http_engine_epoll_set(HttpEngine *e, int fd, uint8_t *st, uint32_t events) {
        struct epoll_event ev = { .events = events, .data.fd = fd };
        int op;

        if (!(*st & (HTTP_FD_IN | HTTP_FD_OUT))) {
                if (events == 0)
                        return 0;
                op = EPOLL_CTL_ADD;
        } else
                op = events == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;

        /* EEXIST/ENOENT: the kernel's view differs from ours (a socket closed behind our back
         * and its number reused); the other operation then sets it right. */
        if (epoll_ctl(e->epoll_fd, op, fd, &ev) < 0) {
                if (op == EPOLL_CTL_DEL)
                        ;
                else if (errno == EEXIST && epoll_ctl(e->epoll_fd, EPOLL_CTL_MOD, fd, &ev) >= 0)
                        ;
                else if (errno == ENOENT && epoll_ctl(e->epoll_fd, EPOLL_CTL_ADD, fd, &ev) >= 0)
                        ;
                else
                        return -errno;
        }
        *st = (uint8_t) ((*st & ~(HTTP_FD_IN | HTTP_FD_OUT)) | (events & EPOLLIN ? HTTP_FD_IN : 0) |
                         (events & EPOLLOUT ? HTTP_FD_OUT : 0));
        return 0;
}

/* All of curl's sockets are in the engine's own epoll instance, and only that one is in
 * sd-event's. sd-event dispatches one source per iteration, each time after another
 * epoll_wait() that reports every still unhandled (level-triggered) socket again: with one
 * source per socket and dozens of connections ready at once, the kernel's scans of the ready
 * list were about a sixth of the client's CPU. Here one dispatch hands every ready socket to
 * curl. An event for a socket that curl has closed meanwhile is harmless: curl ignores
 * sockets it does not know and copes with spurious readiness. */
static int http_engine_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        HttpEngine *e = userdata;
        struct epoll_event events[64];
        int n, running = 0;

        n = epoll_wait(e->epoll_fd, events, ELEMENTSOF(events), 0);
        if (n < 0) {
                log_debug_errno(errno, "http: epoll_wait() failed: %m");
                return 0;
        }
        for (int i = 0; i < n; i++) {
                uint32_t ev = events[i].events;
                int sfd = events[i].data.fd, action = 0;
                uint8_t *st = (size_t) sfd < e->n_fds ? &e->fds[sfd] : NULL;

                if (st && !(*st & HTTP_FD_WANTED)) {
                        /* Parked (see the socket callback): out of epoll_fd until curl wants
                         * it again; curl finds whatever happened when it reuses the
                         * connection. */
                        (void) http_engine_epoll_set(e, sfd, st, 0);
                        continue;
                }

                if (ev & (EPOLLIN | EPOLLHUP))
                        action |= CURL_CSELECT_IN;
                if (ev & EPOLLOUT)
                        action |= CURL_CSELECT_OUT;
                if (ev & EPOLLERR)
                        action |= CURL_CSELECT_ERR;
                if (curl_multi_socket_action(e->multi, sfd, action, &running) != CURLM_OK)
                        log_debug("http: curl_multi_socket_action() failed on fd %d.", sfd);
        }

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

/* CURLMOPT_SOCKETFUNCTION: curl wants fd watched for what, or no longer (CURL_POLL_REMOVE).
 * Called from inside libcurl; must not call back into the multi handle.
 *
 * A kept-alive connection is handed back and forth for every request: watched for reading
 * while a response is awaited, removed when the transfer is done, watched again by the next
 * one. Two epoll_ctl() calls per request were a visible part of the client's time, so a
 * connection socket that only waits for input stays registered when curl lets go of it
 * ("parked"). Should it become readable while parked (the server closed it, or sent something
 * curl will look at when it reuses the connection), http_engine_on_io() takes it out then.
 * Parking is safe only for sockets whose closing we see (http_engine_close_socket()): other
 * sockets (a resolver's) are taken out at once, as before. */
static int http_engine_socket_callback(CURL *easy, curl_socket_t fd, int what, void *userdata,
                                       void *socketp) {
        HttpEngine *e = userdata;
        uint32_t events = http_epoll_events(what);
        uint8_t *st = http_engine_fd_state(e, fd);

        if (!st)
                return -1;
        if (what == CURL_POLL_REMOVE) {
                *st &= (uint8_t) ~HTTP_FD_WANTED;
                if ((*st & HTTP_FD_OURS) && !(*st & HTTP_FD_OUT))
                        return 0; /* parked */
                return http_engine_epoll_set(e, fd, st, 0) < 0 ? -1 : 0;
        }
        *st |= HTTP_FD_WANTED;
        if ((*st & (HTTP_FD_IN | HTTP_FD_OUT)) ==
            ((events & EPOLLIN ? HTTP_FD_IN : 0) | (events & EPOLLOUT ? HTTP_FD_OUT : 0)))
                return 0;
        return http_engine_epoll_set(e, fd, st, events) < 0 ? -1 : 0;
}

/* CURLOPT_OPENSOCKETFUNCTION: curl's own socket(), plus close-on-exec and the engine's note
 * that this fd is a connection socket whose closing it will see. */
static curl_socket_t http_engine_open_socket(void *userdata, curlsocktype purpose,
                                             struct curl_sockaddr *address) {
        HttpEngine *e = userdata;
        uint8_t *st;
        int fd;

        fd = socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
        if (fd < 0)
                return CURL_SOCKET_BAD;
        st = http_engine_fd_state(e, fd);
        if (!st) {
                close(fd);
                return CURL_SOCKET_BAD;
        }
        *st = purpose == CURLSOCKTYPE_IPCXN ? HTTP_FD_OURS : 0;
        return fd;
}

/* CURLOPT_CLOSESOCKETFUNCTION: a parked socket leaves epoll_fd before it is closed. */
static int http_engine_close_socket(void *userdata, curl_socket_t fd) {
        HttpEngine *e = userdata;
        uint8_t *st = http_engine_fd_state(e, fd);

        if (st) {
                if (*st & (HTTP_FD_IN | HTTP_FD_OUT))
                        (void) http_engine_epoll_set(e, fd, st, 0);
                *st = 0;
        }
        return close(fd);
}

static void http_engine_run_timeouts(HttpEngine *e) {
        int running = 0;

        if (curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running) != CURLM_OK)
                log_debug("http: curl_multi_socket_action() failed on timeout.");
        http_engine_check_finished(e);
}

static int http_engine_arm_timer(HttpEngine *e, uint64_t usec) {
        int k;

        if (!e->timer) {
                k = sd_event_add_time(e->event, &e->timer, CLOCK_MONOTONIC, usec, USEC_PER_MSEC,
                                      http_engine_on_timer, e);
                if (k >= 0)
                        (void) sd_event_source_set_description(e->timer, "http-timer");
        } else {
                k = sd_event_source_set_time(e->timer, usec);
                if (k >= 0)
                        k = sd_event_source_set_enabled(e->timer, SD_EVENT_ONESHOT);
        }
        if (k >= 0)
                e->timer_usec = usec;
        return k;
}

/* The sd-event timer may be armed earlier than curl's deadline (see the timer callback): then
 * it is moved on to the deadline, and curl is called only once the deadline has come. */
static int http_engine_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        HttpEngine *e = userdata;
        uint64_t fired = e->timer_usec;

        e->timer_usec = HTTP_NEVER; /* a oneshot: off now */
        if (e->deadline == HTTP_NEVER)
                return 0;
        if (e->deadline > fired) {
                if (http_engine_arm_timer(e, e->deadline) < 0)
                        log_debug("http: failed to re-arm the timer.");
                return 0;
        }
        e->deadline = HTTP_NEVER;
        http_engine_run_timeouts(e);
        return 0;
}

/* CURLMOPT_TIMERFUNCTION: -1 disables the timer, otherwise curl wants to be called in
 * timeout_ms; curl must not be called back from inside this callback.
 *
 * 0 ("at once") is served by the defer source on the next iteration: every new transfer asks
 * for it, and moving the timer to the past and back re-programmed the kernel's timerfd
 * (timerfd_settime(), a tenth of the client's CPU) twice per request.
 *
 * Other deadlines are rounded up to the next whole millisecond so that the timer never fires
 * before curl considers the timeout expired (curl would do nothing and not ask again). They
 * are mostly the far safety timeouts of the transfers in flight, moving a little later with
 * every finished one: the armed timer is only ever moved earlier, a later deadline is picked
 * up when it fires (http_engine_on_timer()). */
static int http_engine_timer_callback(CURLM *multi, long timeout_ms, void *userdata) {
        HttpEngine *e = userdata;
        uint64_t usec;
        int k = 0;

        if (timeout_ms < 0) {
                /* Nothing is due any more (the last transfer is done): the timer armed for an
                 * earlier deadline would wake an idle loop for nothing. */
                e->deadline = HTTP_NEVER;
                if (e->timer && e->timer_usec != HTTP_NEVER) {
                        k = sd_event_source_set_enabled(e->timer, SD_EVENT_OFF);
                        e->timer_usec = HTTP_NEVER;
                }
                goto finish;
        }
        if (timeout_ms == 0) {
                e->deadline = HTTP_NEVER;
                e->run_timeouts = true;
                k = sd_event_source_set_enabled(e->defer, SD_EVENT_ONESHOT);
                goto finish;
        }

        usec = now(CLOCK_MONOTONIC) + (uint64_t) timeout_ms * USEC_PER_MSEC + USEC_PER_MSEC - 1;
        usec -= usec % USEC_PER_MSEC;
        e->deadline = usec;
        if (usec < e->timer_usec)
                k = http_engine_arm_timer(e, usec);
finish:
        /* Remembered for http_request_start(), which gets only a CURLMcode back. -ESTALE: the
         * event loop has finished. */
        e->timer_error = k < 0 ? k : 0;
        return k < 0 ? -1 : 0;
}

static void http_engine_schedule_dispatch(HttpEngine *e) {
        if (sd_event_source_set_enabled(e->defer, SD_EVENT_ONESHOT) < 0)
                log_debug("http: failed to enable the dispatch source.");
}

/* RUNNING → DONE with the given result: off the multi handle, onto the done queue. */
static void http_request_finish(HttpRequest *r, int error) {
        HttpEngine *e = r->engine;

        if (!(r->deferred & HTTP_DEFERRED_START)) /* else never added */
                (void) curl_multi_remove_handle(e->multi, r->easy);
        r->deferred = 0;
        list_remove(&e->running, r);
        r->idle_timer = sd_event_source_disable_unref(r->idle_timer);
        if (error == 0)
                error = http_request_fill_response(r);
        r->error = error;
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
                if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &r) !=
                            CURLE_OK ||
                    !r || r->state != HTTP_REQUEST_RUNNING)
                        continue;

                CURLcode code = msg->data.result; /* msg is invalid once the handle is removed */
                if (code != CURLE_OK && !r->error_buffer[0])
                        r->error_detail = curl_easy_strerror(code);
                else if (code != CURLE_OK)
                        r->error_detail = r->error_buffer;
                http_request_finish(r, http_request_errno_from_curl(r, code));
        }
}

/* Calls the callback of the head of the done queue, then frees the request. */
static void http_engine_dispatch_one(HttpEngine *e) {
        HttpRequest *r = e->done.head;

        list_remove(&e->done, r);
        r->state = HTTP_REQUEST_DISPATCHING;
        r->callback(r, r->error, r->error == 0 ? &r->response : NULL, r->userdata);
        e->n_in_flight--;
        http_engine_return_easy(e, TAKE_PTR(r->easy), r->easy_dirty);
        http_request_free(r);
}

/* Starts and cancels that came from inside a libcurl callback, done now that we are out. */
static void http_engine_run_deferred(HttpEngine *e) {
        HttpRequest *next;

        e->have_deferred = false;
        for (HttpRequest *r = e->running.head; r; r = next) {
                unsigned d = r->deferred;

                next = r->next;
                r->deferred = 0;
                if (d & HTTP_DEFERRED_CANCEL)
                        http_request_finish(r, -ECANCELED);
                else if ((d & HTTP_DEFERRED_START) &&
                         curl_multi_add_handle(e->multi, r->easy) != CURLM_OK)
                        http_request_finish(r, -ENOMEM);
        }
}

static int http_engine_on_defer(sd_event_source *s, void *userdata) {
        HttpEngine *e = userdata;

        if (e->have_deferred && !e->freeing)
                http_engine_run_deferred(e);
        if (e->run_timeouts && !e->freeing) {
                e->run_timeouts = false;
                http_engine_run_timeouts(e);
        }
        /* Requests that callbacks finish (cancel) meanwhile are picked up by the same loop. */
        while (e->done.head && !e->freeing)
                http_engine_dispatch_one(e);
        return 0;
}

/* ---- the pool of easy handles ------------------------------------------------------------- */

/* A new easy handle costs libcurl a large zeroed allocation, its defaults and its buffers, and
 * freeing it churns the allocator; resetting one and setting two dozen options again (strings
 * copied, "http,https" parsed) was still a visible part of a request. So handles are kept
 * configured with the options that are the same for every request (set here, once per handle),
 * and a request sets only its own (http_request_prepare()). A request that sets anything else
 * (a caFile, HEAD) marks its handle for a reset before reuse. Connections are not the pool's
 * business: they live in the multi handle's cache either way. At most max_total_connections
 * handles are kept, as many as can be in flight on their own connections. */

static int http_engine_configure_easy(HttpEngine *e, CURL *easy) {
        const HttpEngineOptions *o = &e->options;
        CURLcode c;

        c = curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        if (c == CURLE_OK)
                c = curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
        if (c == CURLE_OK)
                c = curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
        if (c == CURLE_OK)
                c = curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_2TLS);
        if (c == CURLE_OK) /* notice dead cached connections of a long-running daemon */
                c = curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
        /* Without a proxy the User-Agent is a header line (http_request_link_headers()); with
         * one, libcurl's option also names us in the CONNECT to the proxy. A caller's own
         * User-Agent header replaces it either way. */
        if (c == CURLE_OK && o->user_agent && !e->user_agent_line)
                c = curl_easy_setopt(easy, CURLOPT_USERAGENT, o->user_agent);
        if (c == CURLE_OK)
                c = curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
        if (c == CURLE_OK)
                c = curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
        if (c == CURLE_OK)
                c = curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_limit_bytes);
        if (c == CURLE_OK)
                c = curl_easy_setopt(
                        easy, CURLOPT_LOW_SPEED_TIME,
                        (long) ((o->low_speed_time_usec + USEC_PER_SEC - 1) / USEC_PER_SEC));
        if (c == CURLE_OK)
                c = curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, http_request_write_callback);
        if (c == CURLE_OK)
                c = curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, http_request_header_callback);
        if (c == CURLE_OK)
                c = curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, http_engine_open_socket);
        if (c == CURLE_OK)
                c = curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, e);
        if (c == CURLE_OK)
                c = curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, http_engine_close_socket);
        if (c == CURLE_OK)
                c = curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, e);
        if (c == CURLE_OK && !e->proxy_env) {
                /* No proxy variable was set when the engine started: say so, rather than have
                 * libcurl look through the environment again for every transfer. */
                c = curl_easy_setopt(easy, CURLOPT_PROXY, "");
                if (c == CURLE_OK)
                        c = curl_easy_setopt(easy, CURLOPT_NOPROXY, "");
        }
        return c == CURLE_OK ? 0 : c == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EIO;
}

CURL *http_engine_take_easy(HttpEngine *e) {
        CURL *easy;

        if (e->n_idle_easy > 0)
                return e->idle_easy[--e->n_idle_easy];
        easy = curl_easy_init();
        if (easy && http_engine_configure_easy(e, easy) < 0) {
                curl_easy_cleanup(easy);
                return NULL;
        }
        return easy;
}

void http_engine_return_easy(HttpEngine *e, CURL *easy, bool reset) {
        if (!easy)
                return;
        if (e->n_idle_easy >= e->idle_capacity) {
                curl_easy_cleanup(easy);
                return;
        }
        if (reset) {
                curl_easy_reset(easy);
                if (http_engine_configure_easy(e, easy) < 0) {
                        curl_easy_cleanup(easy);
                        return;
                }
        }
        e->idle_easy[e->n_idle_easy++] = easy;
}

/* ---- proxies ------------------------------------------------------------------------------- */

/* As libcurl's curl_getenv(): an empty variable counts as unset. */
static int http_getenv_dup(const char *name, char **ret) {
        const char *v = getenv(name);

        *ret = NULL;
        if (isempty(v))
                return 0;
        *ret = strdup(v);
        return *ret ? 1 : -ENOMEM;
}

/* The variables libcurl itself would read for each transfer (lib/url.c, detect_proxy() and
 * the no_proxy lookup), with its precedence: <scheme>_proxy (for http lower case only: the
 * "httpoxy" rule), then HTTPS_PROXY for https, then all_proxy, ALL_PROXY; no_proxy, then
 * NO_PROXY. Read once: a daemon's environment does not change under it. */
static int http_engine_read_proxy_env(HttpEngine *e) {
        _cleanup_free_ char *all = NULL;
        int k;

        k = http_getenv_dup("all_proxy", &all);
        if (k == 0)
                k = http_getenv_dup("ALL_PROXY", &all);
        if (k >= 0)
                k = http_getenv_dup("http_proxy", &e->proxy_http);
        if (k >= 0)
                k = http_getenv_dup("https_proxy", &e->proxy_https);
        if (k == 0)
                k = http_getenv_dup("HTTPS_PROXY", &e->proxy_https);
        if (k >= 0)
                k = http_getenv_dup("no_proxy", &e->no_proxy);
        if (k == 0)
                k = http_getenv_dup("NO_PROXY", &e->no_proxy);
        if (k < 0)
                return k;
        if (all && !e->proxy_http && !(e->proxy_http = strdup(all)))
                return -ENOMEM;
        if (all && !e->proxy_https && !(e->proxy_https = strdup(all)))
                return -ENOMEM;
        e->proxy_env = e->proxy_http || e->proxy_https || e->no_proxy;
        return 0;
}

/* The User-Agent header line of requests that add none, without a proxy (see
 * http_engine_configure_easy()). */
static int http_engine_format_user_agent(HttpEngine *e) {
        if (isempty(e->options.user_agent) || e->proxy_env)
                return 0;
        if (asprintf(&e->user_agent_line, "User-Agent: %s", e->options.user_agent) < 0) {
                e->user_agent_line = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* ---- the engine ---------------------------------------------------------------------------- */

/* The connection caps on the multi handle, from e->options. */
static int http_engine_set_multi_limits(HttpEngine *e) {
        const HttpEngineOptions *o = &e->options;

        if (curl_multi_setopt(e->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                              (long) o->max_connections_per_host) ||
            curl_multi_setopt(e->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                              (long) o->max_total_connections) ||
            curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, (long) o->max_total_connections))
                return -EIO;
        return 0;
}

/* The handle pool holds at most max_total_connections: resize it, freeing what no longer
 * fits. Without memory for a larger pool the old one stays: handles are only reused less. */
static void http_engine_resize_pool(HttpEngine *e, unsigned total) {
        CURL **p;

        while (e->n_idle_easy > total)
                curl_easy_cleanup(e->idle_easy[--e->n_idle_easy]);
        p = reallocarray(e->idle_easy, total, sizeof(CURL *));
        if (!p)
                return;
        e->idle_easy = p;
        e->idle_capacity = total;
}

int http_engine_set_limits(HttpEngine *e, unsigned per_host, unsigned total) {
        if (!e || per_host == 0 || total == 0)
                return -EINVAL;
        http_engine_resize_pool(e, total);
        e->options.max_connections_per_host = per_host;
        e->options.max_total_connections = total;
        return http_engine_set_multi_limits(e);
}

static int http_engine_setup_multi(HttpEngine *e) {
        e->multi = curl_multi_init();
        if (!e->multi)
                return -ENOMEM;

        if (curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, http_engine_socket_callback) ||
            curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e) ||
            curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, http_engine_timer_callback) ||
            curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e) ||
            curl_multi_setopt(e->multi, CURLMOPT_PIPELINING, (long) CURLPIPE_MULTIPLEX))
                return -EIO;
        return http_engine_set_multi_limits(e);
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
        e->deadline = e->timer_usec = HTTP_NEVER;
        e->epoll_fd = -1;
        e->options = options ? *options : http_engine_defaults;
        http_engine_apply_defaults(&e->options);

        /* Without the pool (out of memory) handles are simply not reused. */
        e->idle_easy = calloc(e->options.max_total_connections, sizeof(CURL *));
        e->idle_capacity = e->idle_easy ? e->options.max_total_connections : 0;
        e->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        r = e->epoll_fd < 0 ? -errno : 0;
        if (r >= 0)
                r = http_engine_read_proxy_env(e);
        if (r >= 0)
                r = http_engine_format_user_agent(e);
        if (r >= 0)
                r = sd_event_add_io(event, &e->io, e->epoll_fd, EPOLLIN, http_engine_on_io, e);
        if (r >= 0)
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
        (void) sd_event_source_set_description(e->io, "http-io");

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

        /* Closes cached connections: the socket callback still takes their sockets out of
         * epoll_fd, closed below. */
        while (e->n_idle_easy > 0)
                curl_easy_cleanup(e->idle_easy[--e->n_idle_easy]);
        free(e->idle_easy);
        if (e->multi)
                curl_multi_cleanup(e->multi);
        sd_event_source_disable_unref(e->io);
        if (e->epoll_fd >= 0)
                close(e->epoll_fd);
        free(e->fds);
        free(e->proxy_http);
        free(e->proxy_https);
        free(e->no_proxy);
        free(e->user_agent_line);
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

static int http_request_on_idle(sd_event_source *s, uint64_t usec, void *userdata) {
        HttpRequest *r = userdata;

        if (r->state == HTTP_REQUEST_RUNNING) {
                r->error_detail = "No data received within the stream's idle timeout.";
                http_request_finish(r, -ETIMEDOUT);
        }
        return 0;
}

/* A stream's idle timer; every piece received moves it on (http_request_stream_piece()). */
static int http_request_arm_idle(HttpRequest *r) {
        if (!r->stream || r->stream_idle_usec == 0)
                return 0;
        return sd_event_add_time_relative(r->engine->event, &r->idle_timer, CLOCK_MONOTONIC,
                                          r->stream_idle_usec, 0, http_request_on_idle, r);
}

int http_request_start(HttpRequest *r, HttpCallback cb, void *userdata) {
        HttpEngine *e;
        int k;

        if (!r || !cb)
                return -EINVAL;
        if (r->state != HTTP_REQUEST_NEW)
                return -EBUSY;
        e = r->engine;
        if (e->freeing)
                return -ESHUTDOWN;

        k = http_request_arm_idle(r);
        if (k >= 0)
                k = http_request_prepare(r);
        if (k >= 0 && e->in_curl_callback > 0) {
                r->deferred = HTTP_DEFERRED_START;
                e->have_deferred = true;
                http_engine_schedule_dispatch(e);
        } else if (k >= 0) {
                e->timer_error = 0;
                if (curl_multi_add_handle(e->multi, r->easy) != CURLM_OK) {
                        /* The handle may be in the multi handle even so (a failing timer
                         * callback is reported after it was added). */
                        (void) curl_multi_remove_handle(e->multi, r->easy);
                        k = e->timer_error ?: -ENOMEM;
                }
        }
        if (k < 0) {
                if (r->easy)
                        http_request_unprepare(r);
                r->idle_timer = sd_event_source_disable_unref(r->idle_timer);
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
                if (r->in_stream) {
                        /* Inside libcurl's write callback the handle must not leave the multi
                         * handle: the write callback fails the transfer instead. */
                        r->stream_error = -ECANCELED;
                        break;
                }
                if (r->engine->in_curl_callback > 0) { /* another request's stream callback */
                        r->deferred |= HTTP_DEFERRED_CANCEL;
                        r->engine->have_deferred = true;
                        http_engine_schedule_dispatch(r->engine);
                        break;
                }
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
