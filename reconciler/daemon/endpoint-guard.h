/* SPDX-License-Identifier: MIT */
#pragma once

/* Keeps the endpoint answerable while it is attacked (slowloris, idle-connection floods): the
 * connection bookkeeping that libmicrohttpd lacks.
 *
 *  - A deadline for the whole request header: a connection that has not delivered a complete
 *    header header_timeout after it was accepted (or after its previous request was answered,
 *    for a kept-alive one) is closed. MHD's own timeout is reset by every byte, so a client
 *    sending one byte every few seconds would hold its slot for ever.
 *  - Shedding before refusing: when a new connection takes the last of limit slots, the oldest
 *    connection still waiting for its header is closed, so the slots of a full endpoint turn
 *    over and a real client (a Prometheus scrape sends its header at once) gets in.
 *
 * A connection is closed by shutdown(2) of its socket: MHD sees the end of the stream on its
 * next run (the shutdown wakes its epoll set), closes the connection and frees it as it would
 * for a client that went away. Connections that are being answered are left alone: MHD's
 * no-progress timeout covers slow readers of a response.
 *
 * The guard is told of connections through MHD's callbacks: endpoint_guard_on_connection()
 * (MHD_OPTION_NOTIFY_CONNECTION), endpoint_guard_on_header() (the access handler's first call:
 * the header is complete) and endpoint_guard_on_completed() (MHD_OPTION_NOTIFY_COMPLETED: the
 * connection waits for the next request's header). */

#include <microhttpd.h>
#include <systemd/sd-event.h>

#include "lib/time-util.h"

typedef struct EndpointGuard EndpointGuard;

/* A guard for at most limit connections (the limit MHD is given), with one timer on e.
 * Returns 0 or a negative errno (-ENOMEM, sd-event's). */
int endpoint_guard_new(sd_event *e, unsigned limit, usec_t header_timeout, EndpointGuard **ret);
/* Accepts NULL, returns NULL. Must outlive the MHD daemon's connections (free it after
 * MHD_stop_daemon(), which reports every connection closed). */
EndpointGuard *endpoint_guard_free(EndpointGuard *g);

/* How many connections were closed for a late header, and shed to make room, since start. */
uint64_t endpoint_guard_get_expired(const EndpointGuard *g);
uint64_t endpoint_guard_get_shed(const EndpointGuard *g);

void endpoint_guard_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                                  enum MHD_ConnectionNotificationCode toe);
void endpoint_guard_on_header(EndpointGuard *g, struct MHD_Connection *c);
void endpoint_guard_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                                 enum MHD_RequestTerminationCode toe);
