/* SPDX-License-Identifier: MIT */
#pragma once

/* asyncfgd's manager: everything the daemon does, on one sd-event loop (DESIGN.md §3-§5).
 *
 *   manager_new()    the loop's objects that need no configuration (metrics, clock)
 *   manager_load()   the daemon configuration (an invalid one is fatal here, and only here),
 *                    the state store (a damaged one is quarantined and reported), the
 *                    accounts, the work queue, the desired state (one full pass; an empty or
 *                    missing directory is reported and removes nothing)
 *   manager_start()  the endpoint (bound before READY=1), the directory watch, signals
 *                    (SIGTERM/SIGINT stop, SIGHUP reload), the watchdog; then READY=1 and
 *                    STATUS=; the first reconciles are already queued
 *   sd_event_loop()  until a stop finishes: in-flight requests get MANAGER_STOP_TIMEOUT_USEC,
 *                    then they are cancelled, the state store is saved, the loop exits 0
 *
 * Logging happens here (the manager decides); the functions return 0 or a negative errno
 * that has already been logged. */

#include <systemd/sd-event.h>

#include "lib/clock.h"
#include "lib/macro.h"

#define MANAGER_CONFIG_DEFAULT "/etc/asyncfg/asyncfgd.yaml"
#define MANAGER_STOP_TIMEOUT_USEC (10ULL * 1000000ULL)

typedef struct Manager Manager;

int manager_new(sd_event *event, const char *config_path, Manager **ret);
/* As manager_new(), with every timer of the manager (and of its queue and directory watch) on
 * clock, which it takes on every path: a test passes a fake one (lib/clock.h) and moves time
 * itself. */
int manager_new_with_clock(sd_event *event, Clock *clock, const char *config_path, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

int manager_load(Manager *m);
int manager_start(Manager *m);
/* READY=1, once the desired state is loaded: a tree over limits.files loads nothing, and a
 * daemon that manages nothing must not be reported as started. Until then READY=1 waits for
 * the rescan that loads it (files removed, or a reload that raises the limit); /readyz says
 * why meanwhile. A missing or empty directory is not held back: it is a state of the
 * directory (a Git sync that has not run yet) that the daemon waits out, ready or not. */
void manager_notify_ready(Manager *m);
/* The loop's exit code after sd_event_loop() returned. */
int manager_exit_status(const Manager *m);
