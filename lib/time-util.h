/* SPDX-License-Identifier: MIT */
#pragma once

/* Durations as written in configuration files: one or more <integer><unit> groups with units
 * us, ms, s, m, h, d, e.g. "30s", "5m", "1h30m", "500ms". A bare "0" is zero. Values are in
 * microseconds (usec_t, like systemd). */

#include <stdint.h>
#include <time.h>

typedef uint64_t usec_t;

#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define USEC_PER_SEC ((usec_t) 1000000ULL)
#define USEC_PER_MINUTE (60ULL * USEC_PER_SEC)
#define USEC_PER_HOUR (60ULL * USEC_PER_MINUTE)
#define USEC_PER_DAY (24ULL * USEC_PER_HOUR)

/* Returns 0 and the value in *ret_usec, -EINVAL on a syntax error, -ERANGE on overflow. */
int parse_duration(const char *s, usec_t *ret_usec);

/* Formats like "1h30m", "500ms", "0s" into buf (at least 32 bytes); returns buf. */
char *format_duration(char *buf, size_t size, usec_t usec);

/* The time of clock (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME) in microseconds: the one
 * reader of the system clocks (systemd's now()). A timer's handler gets its loop's time
 * from lib/clock.h instead. */
usec_t now(clockid_t clock);
