/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdio.h>

#include "lib/macro.h"
#include "lib/time-util.h"

static const struct {
        const char *suffix;
        usec_t factor;
} unit_table[] = {
        /* "ms" before "m": the longest suffix wins. */
        { "ms", USEC_PER_MSEC }, { "us", 1 },
        { "s", USEC_PER_SEC },   { "m", USEC_PER_MINUTE },
        { "h", USEC_PER_HOUR },  { "d", USEC_PER_DAY },
};

static int parse_unit(const char **p, usec_t *ret_factor) {
        for (size_t i = 0; i < ELEMENTSOF(unit_table); i++)
                if (startswith(*p, unit_table[i].suffix)) {
                        *p += strlen(unit_table[i].suffix);
                        *ret_factor = unit_table[i].factor;
                        return 0;
                }
        return -EINVAL;
}

int parse_duration(const char *s, usec_t *ret_usec) {
        const char *p = s;
        usec_t total = 0;

        if (isempty(s))
                return -EINVAL;
        if (streq(s, "0")) {
                *ret_usec = 0;
                return 0;
        }
        while (*p) {
                usec_t n = 0, factor;

                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                for (; isdigit((unsigned char) *p); p++) {
                        if (n > (UINT64_MAX - 9) / 10)
                                return -ERANGE;
                        n = n * 10 + (usec_t) (*p - '0');
                }
                if (parse_unit(&p, &factor) < 0)
                        return -EINVAL;
                if (n > UINT64_MAX / factor || total > UINT64_MAX - n * factor)
                        return -ERANGE;
                total += n * factor;
        }
        *ret_usec = total;
        return 0;
}

char *format_duration(char *buf, size_t size, usec_t usec) {
        static const struct {
                const char *suffix;
                usec_t factor;
        } parts[] = {
                { "d", USEC_PER_DAY }, { "h", USEC_PER_HOUR },  { "m", USEC_PER_MINUTE },
                { "s", USEC_PER_SEC }, { "ms", USEC_PER_MSEC }, { "us", 1 },
        };
        size_t off = 0;

        if (size == 0)
                return buf;
        buf[0] = 0;
        if (usec == 0) {
                snprintf(buf, size, "0s");
                return buf;
        }
        for (size_t i = 0; i < ELEMENTSOF(parts) && usec > 0 && off < size; i++) {
                usec_t n = usec / parts[i].factor;
                if (n == 0)
                        continue;
                int k = snprintf(buf + off, size - off, "%llu%s", (unsigned long long) n,
                                 parts[i].suffix);
                if (k < 0)
                        break;
                off += (size_t) k;
                usec -= n * parts[i].factor;
        }
        return buf;
}

usec_t now(clockid_t clock) {
        struct timespec ts;

        /* Fails only for a clock this kernel does not have: a bug, not a condition. */
        if (clock_gettime(clock, &ts) < 0)
                return 0;
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}
