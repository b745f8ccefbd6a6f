/* SPDX-License-Identifier: MIT */
/* lib/http-retry-after: any header value parses to a delay within the cap, or fails cleanly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* A fixed "now" (2023-11-14), and one far in the future: dates before it are 0. */
        static const uint64_t nows[] = { 1700000000ULL * 1000000ULL, UINT64_MAX / 2 };
        char *value = strndup((const char *) data, size);
        uint64_t usec;

        if (!value)
                return 0;
        for (size_t i = 0; i < sizeof(nows) / sizeof(nows[0]); i++)
                if (http_parse_retry_after(value, nows[i], &usec) >= 0 &&
                    usec > HTTP_RETRY_AFTER_MAX_USEC)
                        abort();
        free(value);
        return 0;
}
