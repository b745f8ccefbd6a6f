/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "lib/log.h"
#include "lib/string-table.h"

static int max_level = LOG_INFO;
static bool prefix_priority = false;
static bool under_journal = false;

static const char *const log_level_table[] = {
        [LOG_EMERG] = "emerg",   [LOG_ALERT] = "alert",   [LOG_CRIT] = "crit",
        [LOG_ERR] = "err",       [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info",     [LOG_DEBUG] = "debug",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(log_level, int);

/* "error" is accepted too, as people write it. */
int log_level_from_string(const char *s) {
        if (s && streq(s, "error"))
                return LOG_ERR;
        return (int) string_table_lookup_from_string(log_level_table, ELEMENTSOF(log_level_table), s);
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

static void log_write(int level, const char *fields, const char *msg) {
        if (prefix_priority)
                fprintf(stderr, "<%d>%s%s\n", level, msg, fields ?: "");
        else
                fprintf(stderr, "%s%s\n", msg, fields ?: "");
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
        log_write(level, NULL, buf);
        return -abs(error);
}

int log_struct_internal(int level, int error, const char *const *fields, const char *format, ...) {
        char buf[2048], extra[1024] = "";
        size_t n = 0;
        va_list ap;

        if (level > max_level)
                return -abs(error);
        if (error != 0)
                errno = abs(error);
        va_start(ap, format);
        vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);

        if (under_journal) {
                /* Fields go to the journal as real fields; the text line stays readable. */
                struct iovec iov[16];
                char *owned[16];
                size_t k = 0;

                for (size_t i = 0; fields && fields[i] && k < ELEMENTSOF(iov) - 2; i++) {
                        owned[k] = strdup(fields[i]);
                        if (!owned[k])
                                break;
                        iov[k] = (struct iovec){ .iov_base = owned[k], .iov_len = strlen(owned[k]) };
                        k++;
                }
                char msgf[2100], prif[16];
                snprintf(msgf, sizeof(msgf), "MESSAGE=%s", buf);
                snprintf(prif, sizeof(prif), "PRIORITY=%d", level);
                iov[k] = (struct iovec){ .iov_base = msgf, .iov_len = strlen(msgf) };
                iov[k + 1] = (struct iovec){ .iov_base = prif, .iov_len = strlen(prif) };
                int r = sd_journal_sendv(iov, (int) k + 2);
                for (size_t i = 0; i < k; i++)
                        free(owned[i]);
                if (r >= 0)
                        return -abs(error);
        }

        for (size_t i = 0; fields && fields[i] && n < sizeof(extra) - 1; i++)
                n += (size_t) snprintf(extra + n, sizeof(extra) - n, " %s", fields[i]);
        log_write(level, extra, buf);
        return -abs(error);
}
