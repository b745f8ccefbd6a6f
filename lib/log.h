/* SPDX-License-Identifier: MIT */
#pragma once

/* Logging. To stderr, with a syslog priority prefix ("<3>") when stderr is connected to the
 * journal (JOURNAL_STREAM matches stderr), so journald keeps the priority; anywhere else, with
 * a local ISO 8601 timestamp first when log_show_time() asked for one (the journal stamps its
 * entries itself, and a CLI's messages are read as they come). The log_*_errno()
 * forms return the (negative) error they were given, so callers can "return log_error_errno(r,
 * ...)": the function that decides what to do logs once and returns. lib/ and clouds/ log at
 * debug level only. %m is supported through errno. */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include "lib/macro.h"

void log_set_max_level(int level);
int log_get_max_level(void);
/* The maximum level from the environment variable named variable (debug|info|notice|warning|
 * error); unset or unknown leaves it as it is. */
void log_parse_environment(const char *variable);
void log_open(void); /* detect journald on stderr */
/* Whether lines off the journal start with the time (a daemon: yes; a CLI: no, the default). */
void log_show_time(bool b);

/* "2026-12-06T10:42:05.123+01:00": usec (CLOCK_REALTIME) as local time with milliseconds and
 * the UTC offset, the prefix of a line off the journal. Returns buf. */
#define LOG_TIME_MAX sizeof("YYYY-MM-DDTHH:MM:SS.mmm+HH:MM")
char *log_format_time(char buf[static LOG_TIME_MAX], uint64_t usec);
const char *log_level_to_string(int level);
int log_level_from_string(const char *s);

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) _printf_(6, 7);

/* Structured fields (RESOURCE=, PROVIDER=, FILE=...) go to sd-journal when running under it,
 * and nowhere else: the text is the sentence alone, which names what it is about, so the fields
 * would only repeat it. fields is a NULL-terminated list of "KEY=value". */
int log_struct_internal(int level, int error, const char *const *fields, const char *format, ...)
        _printf_(4, 5);

#define log_full_errno(level, error, ...)                                                          \
        ({                                                                                         \
                int _l = (level), _e = (error);                                                    \
                _l <= log_get_max_level()                                                          \
                        ? log_internal(_l, _e, __FILE__, __LINE__, __func__, __VA_ARGS__)          \
                        : -abs(_e);                                                                \
        })

#define log_full(level, ...) (void) log_full_errno(level, 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_notice_errno(e, ...) log_full_errno(LOG_NOTICE, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)

#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")
