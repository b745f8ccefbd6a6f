/* SPDX-License-Identifier: MIT */
/* clouds/cloud-json-scan against jansson: whatever the fast path takes, json_loadb() takes too
 * and reads equal; what it leaves, it leaves whole (nothing returned). */
#include <stdint.h>
#include <stdlib.h>

#include "clouds/cloud-json-scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        json_t *fast = NULL, *slow;
        int r;

        if (size > 65536)
                return 0;
        r = cloud_json_scan((const char *) data, size, &fast);
        if (r <= 0) {
                if (fast)
                        abort();
                return 0;
        }
        slow = json_loadb((const char *) data, size, JSON_REJECT_DUPLICATES, NULL);
        if (!slow || !json_is_object(slow) || !json_equal(fast, slow))
                abort();
        json_decref(fast);
        json_decref(slow);
        return 0;
}
