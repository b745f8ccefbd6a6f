/* SPDX-License-Identifier: MIT */
/* reconciler/daemon/endpoint-auth: any Authorization header value is let in only with the one
 * right password, denied, or over the budget; never a crash. Cost-4 hashes keep a run fast. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crypto.h"
#include "reconciler/daemon/endpoint-auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "prom" with password "pw1" (crypt_gensalt("$2b$", 4) and crypt()). */
static const WebUser users[] = {
        { (char *) "prom",
          (char *) "$2b$04$FLnRymGEUIir4.TK.PiAKe7gWm.A3eJDwW5ZkvXSgtqD8m3Neg0t." },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static usec_t t = USEC_PER_SEC;
        EndpointAuth *a = NULL;
        char *header = malloc(size + 1);
        int r;

        if (!header || endpoint_auth_new(users, 1, &a) < 0)
                __builtin_trap();
        memcpy(header, data, size);
        header[size] = 0;
        t += USEC_PER_SEC; /* a fresh budget for every input */
        r = endpoint_auth_check(a, header, t);
        /* Only what decodes to "prom:pw1" (base64 may spell it more than one way) gets in. */
        if (r > 0) {
                void *pair = NULL;
                size_t n;
                if (crypto_base64_decode(header + 6, &pair, &n) < 0 || n != 8 ||
                    memcmp(pair, "prom:pw1", 8) != 0)
                        __builtin_trap();
                free(pair);
        }
        if (r < 0 && r != -ENOMEM)
                __builtin_trap();
        endpoint_auth_free(a);
        free(header);
        return 0;
}
