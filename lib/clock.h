/* SPDX-License-Identifier: MIT */
#pragma once

/* Time for the queue: CLOCK_MONOTONIC in microseconds and one-shot wake-ups at absolute times.
 * Two implementations behind one interface:
 *   - the real clock on an sd-event loop (clock_new_event): now() is the loop's time of the
 *     current iteration (sd_event_now), a timer is an sd-event CLOCK_MONOTONIC source (one armed
 *     for now or the past, a defer source: the loop does not wait for it);
 *   - a fake clock for tests (clock_new_fake): time stands still until the test calls
 *     clock_fake_advance(), which fires the armed timers in the order of their times, each one
 *     with the clock set to its own time, so a simulated hour runs in microseconds.
 * A timer's handler may re-arm or disarm any timer, its own included, and create new ones. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "lib/macro.h"
#include "lib/time-util.h"

#define USEC_INFINITY ((usec_t) UINT64_MAX)

typedef struct Clock Clock;
typedef struct ClockTimer ClockTimer;

/* Called once each time the timer's time is reached; the timer is then disarmed. A negative
 * return is logged at debug level and otherwise ignored (it does not stop the loop). */
typedef int (*clock_timer_handler_t)(ClockTimer *timer, usec_t now, void *userdata);

int clock_new_event(sd_event *event, Clock **ret);
int clock_new_fake(usec_t start, Clock **ret);
/* All timers must have been freed first. */
Clock *clock_free(Clock *clock);
DEFINE_TRIVIAL_CLEANUP_FUNC(Clock *, clock_free);

usec_t clock_now(Clock *clock);
/* CLOCK_REALTIME in microseconds, for times that must mean the same after a restart: the
 * system's on a real clock; on a fake one, the fake time itself (a test starts it at a
 * plausible wall-clock time), so that a test moves both with clock_fake_advance(). */
usec_t clock_now_realtime(Clock *clock);

/* A new timer starts disarmed. */
int clock_timer_new(Clock *clock, clock_timer_handler_t handler, void *userdata, ClockTimer **ret);
ClockTimer *clock_timer_free(ClockTimer *timer);
DEFINE_TRIVIAL_CLEANUP_FUNC(ClockTimer *, clock_timer_free);
/* Arms (or moves) the timer to the absolute time when; a time already past fires on the next
 * loop iteration (fake: on the next clock_fake_advance(), even by 0). 0 or a negative errno. */
int clock_timer_arm(ClockTimer *timer, usec_t when);
int clock_timer_disarm(ClockTimer *timer);
/* The armed time, or USEC_INFINITY when disarmed. */
usec_t clock_timer_get(const ClockTimer *timer);

/* Fake clock only (-EOPNOTSUPP / USEC_INFINITY on a real one). Moves time forward by usec,
 * firing every timer whose time is reached, in time order (ties: the earlier armed first);
 * returns how many handlers ran. */
int clock_fake_advance(Clock *clock, usec_t usec);
/* The earliest armed timer's time, or USEC_INFINITY. */
usec_t clock_fake_next(Clock *clock);
