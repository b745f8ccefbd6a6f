/* SPDX-License-Identifier: MIT */

#include <inttypes.h>
#include <stdarg.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "lib/notify.h"

int notify_ready(void) {
        return sd_notify(false, "READY=1");
}

int notify_status(const char *format, ...) {
        _cleanup_free_ char *text = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&text, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        /* One line: a line feed would start a new (and possibly meaningful) assignment. */
        for (char *p = text; *p; p++)
                if ((unsigned char) *p < ' ' || *p == 0x7f)
                        *p = ' ';
        return sd_notifyf(false, "STATUS=%s", text);
}

int notify_reloading(void) {
        struct timespec ts;

        if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
                return -errno;
        uint64_t usec = (uint64_t) ts.tv_sec * UINT64_C(1000000) + (uint64_t) ts.tv_nsec / 1000;
        return sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64, usec);
}

int notify_stopping(void) {
        return sd_notify(false, "STOPPING=1");
}

int notify_watchdog_enable(sd_event *e) {
        if (!e)
                return -EINVAL;
        return sd_event_set_watchdog(e, true);
}
