/* SPDX-License-Identifier: MIT */

/* The connections that wait for a header form a list in the order they began to wait, which
 * is the order of their deadlines (one timeout for all): the oldest is the head, the one to
 * shed and the one the single timer waits for. Entering and leaving the list are O(1). */

#include <sys/socket.h>

#include "lib/list.h"
#include "lib/log.h"
#include "lib/macro.h"
#include "reconciler/daemon/endpoint-guard.h"

typedef struct GuardConn GuardConn;
struct GuardConn {
        GuardConn *prev, *next; /* in the waiting list, while waiting */
        int fd;
        usec_t since; /* when it began to wait for the header */
        bool waiting;
        bool closing; /* shut down by the guard; MHD has not yet closed it */
};

struct EndpointGuard {
        sd_event *event;
        sd_event_source *timer;
        GuardConn *head, *tail; /* waiting for a header, oldest first */
        unsigned limit;
        unsigned n; /* connections MHD holds */
        usec_t timeout;
        uint64_t expired, shed;
};

static void guard_unlink(EndpointGuard *g, GuardConn *gc) {
        if (!gc->waiting)
                return;
        DLIST_UNLINK(g->head, g->tail, gc, prev, next);
        gc->waiting = false;
}

static void guard_append(EndpointGuard *g, GuardConn *gc, usec_t now_usec) {
        guard_unlink(g, gc);
        gc->since = now_usec;
        DLIST_APPEND(g->head, g->tail, gc, prev, next);
        gc->waiting = true;
}

/* The timer follows the head of the list; with nothing waiting it is off. */
static void guard_arm(EndpointGuard *g) {
        int r;

        if (!g->head) {
                (void) sd_event_source_set_enabled(g->timer, SD_EVENT_OFF);
                return;
        }
        r = sd_event_source_set_time(g->timer, g->head->since + g->timeout);
        if (r >= 0)
                r = sd_event_source_set_enabled(g->timer, SD_EVENT_ONESHOT);
        if (r < 0)
                log_debug_errno(r, "endpoint: cannot arm the header deadline: %m");
}

/* Ends the connection's wait: MHD sees the end of the stream and closes it. */
static void guard_close(EndpointGuard *g, GuardConn *gc) {
        guard_unlink(g, gc);
        gc->closing = true;
        (void) shutdown(gc->fd, SHUT_RDWR);
}

static int guard_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        EndpointGuard *g = userdata;

        while (g->head && g->head->since + g->timeout <= usec) {
                guard_close(g, g->head);
                g->expired++;
        }
        guard_arm(g);
        return 0;
}

static usec_t guard_now(const EndpointGuard *g) {
        uint64_t t = 0;

        (void) sd_event_now(g->event, CLOCK_MONOTONIC, &t);
        return t;
}

static void guard_started(EndpointGuard *g, struct MHD_Connection *c, void **socket_context) {
        const union MHD_ConnectionInfo *info =
                MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        GuardConn *gc = calloc(1, sizeof(GuardConn));

        /* Untracked (out of memory) it is still bounded by MHD's own timeout. */
        *socket_context = gc;
        g->n++;
        if (!gc)
                return;
        gc->fd = info ? info->connect_fd : -EBADF;
        guard_append(g, gc, guard_now(g));
        /* The last free slot is taken: make one, from the longest wait but this one. */
        if (g->n >= g->limit && g->head != gc) {
                guard_close(g, g->head);
                g->shed++;
        }
        if (g->head == gc)
                guard_arm(g);
}

void endpoint_guard_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                                  enum MHD_ConnectionNotificationCode toe) {
        EndpointGuard *g = cls;
        GuardConn *gc = *socket_context;

        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                guard_started(g, c, socket_context);
                return;
        }
        g->n--;
        if (!gc)
                return;
        bool was_head = g->head == gc;
        guard_unlink(g, gc);
        free(gc);
        *socket_context = NULL;
        if (was_head)
                guard_arm(g);
}

static GuardConn *guard_conn_of(struct MHD_Connection *c) {
        const union MHD_ConnectionInfo *info =
                MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

        return info ? info->socket_context : NULL;
}

void endpoint_guard_on_header(EndpointGuard *g, struct MHD_Connection *c) {
        GuardConn *gc = guard_conn_of(c);

        if (!gc || !gc->waiting)
                return;
        bool was_head = g->head == gc;
        guard_unlink(g, gc);
        if (was_head)
                guard_arm(g);
}

void endpoint_guard_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                                 enum MHD_RequestTerminationCode toe) {
        EndpointGuard *g = cls;
        GuardConn *gc = guard_conn_of(c);

        /* Kept alive, it waits for the next header, under a new deadline; a connection that
         * ends is reported closed right after. */
        if (!gc || gc->closing)
                return;
        guard_append(g, gc, guard_now(g));
        if (g->head == gc)
                guard_arm(g);
}

int endpoint_guard_new(sd_event *e, unsigned limit, usec_t header_timeout, EndpointGuard **ret) {
        EndpointGuard *g;
        int r;

        g = calloc(1, sizeof(EndpointGuard));
        if (!g)
                return -ENOMEM;
        *g = (EndpointGuard){ .event = sd_event_ref(e), .limit = limit, .timeout = header_timeout };
        /* Accuracy 100 ms: a deadline of seconds needs no better, and fewer wake-ups. */
        r = sd_event_add_time(e, &g->timer, CLOCK_MONOTONIC, 0, 100 * USEC_PER_MSEC, guard_on_timer,
                              g);
        if (r < 0) {
                endpoint_guard_free(g);
                return r;
        }
        (void) sd_event_source_set_enabled(g->timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(g->timer, "endpoint-header-deadline");
        *ret = g;
        return 0;
}

EndpointGuard *endpoint_guard_free(EndpointGuard *g) {
        if (!g)
                return NULL;
        g->timer = sd_event_source_disable_unref(g->timer);
        sd_event_unref(g->event);
        free(g);
        return NULL;
}

uint64_t endpoint_guard_get_expired(const EndpointGuard *g) {
        return g ? g->expired : 0;
}

uint64_t endpoint_guard_get_shed(const EndpointGuard *g) {
        return g ? g->shed : 0;
}
