/* SPDX-License-Identifier: MIT */

/* Retry-After (RFC 9110 §10.2.3): the one parser of the header for every caller, the cloud
 * clients and the alert sinks alike. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/http.h"
#include "lib/macro.h"

static uint64_t retry_after_cap(uint64_t u) {
        return MIN(u, HTTP_RETRY_AFTER_MAX_USEC);
}

static int parse_http_date(const char *value, time_t *ret) {
        static const char *const formats[] = {
                "%a, %d %b %Y %H:%M:%S GMT", /* IMF-fixdate */
                "%A, %d-%b-%y %H:%M:%S GMT", /* RFC 850 */
                "%a %b %e %H:%M:%S %Y",      /* asctime */
        };

        for (size_t i = 0; i < ELEMENTSOF(formats); i++) {
                struct tm tm = {};
                const char *end = strptime(value, formats[i], &tm);
                if (end && *end == 0) {
                        time_t t = timegm(&tm);
                        if (t == (time_t) -1)
                                return -EINVAL;
                        *ret = t;
                        return 0;
                }
        }
        return -EINVAL;
}

int http_parse_retry_after(const char *value, uint64_t now_usec, uint64_t *ret_usec) {
        time_t t;

        if (isempty(value))
                return -EINVAL;
        if (strspn(value, "0123456789") == strlen(value)) {
                /* More than 10 digits is more than the cap anyway. */
                uint64_t sec =
                        strlen(value) > 10 ? UINT64_MAX / 1000000 : strtoull(value, NULL, 10);
                *ret_usec = retry_after_cap(sec * 1000000ULL);
                return 0;
        }
        if (parse_http_date(value, &t) < 0)
                return -EINVAL;
        if (t < 0 || (uint64_t) t * 1000000ULL <= now_usec)
                *ret_usec = 0;
        else
                *ret_usec = retry_after_cap((uint64_t) t * 1000000ULL - now_usec);
        return 0;
}
