/* SPDX-License-Identifier: MIT */
/* The metadata services' answers: the first byte picks the parser (role listing, or the
 * credentials JSON of AWS, Alibaba, Huawei), the rest is the body. */
#include <stdint.h>

#include "clouds/credentials/metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        const char *body = (const char *) data + 1;
        size_t n = size - 1;
        unsigned which = data[0] % (_PROVIDER_MAX + 1);

        if (which == _PROVIDER_MAX) {
                char *role = NULL;
                if (metadata_parse_role(body, n, &role) >= 0)
                        free(role);
                return 0;
        }
        Credentials c = {};
        const char *reason = NULL;
        if (metadata_parse_credentials((Provider) which, body, n, &c, &reason) >= 0) {
                if (!c.access_key_id || !c.secret || c.expires_usec == 0)
                        __builtin_trap();
        } else if (!reason || c.access_key_id)
                __builtin_trap();
        credentials_done(&c);
        return 0;
}
