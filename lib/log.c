/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "lib/log.h"
#include "lib/string-table.h"
#include "lib/time-util.h"

static int max_level = LOG_INFO;
static bool prefix_priority = false;
static bool under_journal = false;
static bool show_time = false;

static const char *const log_level_table[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",     [LOG_CRIT] = "crit",
        [LOG_ERR] = "err",     [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(log_level, int);

/* "error" is accepted too, as people write it. */
int log_level_from_string(const char *s) {
        if (s && streq(s, "error"))
                return LOG_ERR;
        return (int) string_table_lookup_from_string(log_level_table, ELEMENTSOF(log_level_table),
                                                     s);
}

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_parse_environment(const char *variable) {
        const char *e = getenv(variable);
        int l;

        if (e && (l = log_level_from_string(e)) >= 0)
                max_level = l;
}

/* JOURNAL_STREAM is "dev:ino" of the stream journald gave us; only trust it if stderr is
 * still that stream (a child may have inherited the variable but not the fd). */
void log_open(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        prefix_priority = under_journal = false;
        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return;
        if (fstat(STDERR_FILENO, &st) < 0)
                return;
        if ((unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino)
                prefix_priority = under_journal = true;
}

void log_show_time(bool b) {
        show_time = b;
}

char *log_format_time(char buf[static LOG_TIME_MAX], uint64_t usec) {
        time_t sec = (time_t) (usec / USEC_PER_SEC);
        char date[sizeof("YYYY-MM-DDTHH:MM:SS")], zone[sizeof("+HHMM")];
        struct tm tm;

        if (!localtime_r(&sec, &tm) ||
            strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
            strftime(zone, sizeof(zone), "%z", &tm) != 5) {
                buf[0] = 0;
                return buf;
        }
        /* %z is "+0100"; ISO 8601's extended form, which the date has, wants "+01:00". */
        snprintf(buf, LOG_TIME_MAX, "%s.%03u%.3s:%s", date,
                 (unsigned) (usec % USEC_PER_SEC / USEC_PER_MSEC), zone, zone + 3);
        return buf;
}

static void log_write(int level, const char *msg) {
        char t[LOG_TIME_MAX];

        if (prefix_priority)
                fprintf(stderr, "<%d>%s\n", level, msg);
        else if (show_time)
                fprintf(stderr, "%s %s\n", log_format_time(t, now(CLOCK_REALTIME)), msg);
        else
                fprintf(stderr, "%s\n", msg);
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) {
        char buf[2048];
        va_list ap;

        if (error != 0)
                errno = abs(error);
        va_start(ap, format);
        vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);
        log_write(level, buf);
        return -abs(error);
}

/* The message with its fields as one journal entry; a negative errno when it was not sent. */
static int log_send_journal(int level, const char *const *fields, const char *msg) {
        char msgf[2100], prif[16];
        struct iovec iov[16];
        size_t k = 0;

        for (size_t i = 0; fields && fields[i] && k < ELEMENTSOF(iov) - 2; i++)
                iov[k++] = (struct iovec){ .iov_base = (char *) fields[i],
                                           .iov_len = strlen(fields[i]) };
        snprintf(msgf, sizeof(msgf), "MESSAGE=%s", msg);
        snprintf(prif, sizeof(prif), "PRIORITY=%d", level);
        iov[k++] = (struct iovec){ .iov_base = msgf, .iov_len = strlen(msgf) };
        iov[k++] = (struct iovec){ .iov_base = prif, .iov_len = strlen(prif) };
        return sd_journal_sendv(iov, (int) k);
}

int log_struct_internal(int level, int error, const char *const *fields, const char *format, ...) {
        char buf[2048];
        va_list ap;

        if (level > max_level)
                return -abs(error);
        if (error != 0)
                errno = abs(error);
        va_start(ap, format);
        vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);
        /* Off the journal (or when it refuses the entry) the sentence alone is the line. */
        if (!under_journal || log_send_journal(level, fields, buf) < 0)
                log_write(level, buf);
        return -abs(error);
}
