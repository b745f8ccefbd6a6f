/* SPDX-License-Identifier: MIT */

#include <inttypes.h>
#include <stdarg.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "lib/notify.h"
#include "lib/time-util.h"

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
        return sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64, now(CLOCK_MONOTONIC));
}

int notify_stopping(void) {
        return sd_notify(false, "STOPPING=1");
}

int notify_watchdog_enable(sd_event *e) {
        if (!e)
                return -EINVAL;
        return sd_event_set_watchdog(e, true);
}
