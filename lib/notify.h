/* SPDX-License-Identifier: MIT */
#pragma once

/* What the daemon tells systemd (sd_notify(3)), in one place. Every function returns what
 * sd_notify() returns: 1 (or more) if the message was sent, 0 if $NOTIFY_SOCKET is not set (not
 * run by systemd; nothing to do), a negative errno if sending failed. They never log.
 *
 *   notify_ready()       "READY=1"
 *   notify_status(...)   "STATUS=<one line>" (a line feed in the text would end the field, so
 *                        control characters are replaced by spaces)
 *   notify_reloading()   "RELOADING=1\nMONOTONIC_USEC=<CLOCK_MONOTONIC now>": systemd 252 only
 *                        reads RELOADING=1; Type=notify-reload (systemd 253+) also requires
 *                        MONOTONIC_USEC, so both are always sent. Send notify_ready() when the
 *                        reload is done.
 *   notify_stopping()    "STOPPING=1"
 *
 * The watchdog: notify_watchdog_enable() calls sd_event_set_watchdog(e, true). When the service
 * manager set $WATCHDOG_USEC (and $WATCHDOG_PID, if set, names this process), sd-event itself
 * then sends "WATCHDOG=1" from the event loop, at a fraction of the interval, for as long as the
 * loop keeps running: a stuck handler stops the pings and systemd restarts the daemon. Nothing
 * else in the daemon sends WATCHDOG=1. Returns 1 if enabled, 0 if no watchdog was requested. */

#include <systemd/sd-event.h>

#include "lib/macro.h"

int notify_ready(void);
int notify_status(const char *format, ...) _printf_(1, 2);
int notify_reloading(void);
int notify_stopping(void);
int notify_watchdog_enable(sd_event *e);
