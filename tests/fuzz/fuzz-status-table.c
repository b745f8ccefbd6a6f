/* SPDX-License-Identifier: MIT */
/* `asyncfg status` reads a document from the network: any bytes render or are refused with
 * -EBADMSG, and the table never carries a control character other than line feeds (and the
 * colour escapes it adds itself, checked without colour here). The same bytes as a listen
 * string parse or fail cleanly. */
#include <stdint.h>

#include "lib/macro.h"
#include "reconciler/daemon/endpoint.h"
#include "reconciler/cli/status-table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *out = NULL, *text;
        size_t out_size = 0;
        FILE *f;
        int r;

        f = open_memstream(&out, &out_size);
        if (!f)
                return 0;
        r = status_print(f, (const char *) data, size, STATUS_FORMAT_TABLE, false);
        fclose(f);
        if (r < 0 && r != -EBADMSG && r != -ENOMEM)
                __builtin_trap();
        for (size_t i = 0; r == 0 && i < out_size; i++)
                if (((unsigned char) out[i] < ' ' && out[i] != '\n') || out[i] == 0x7f)
                        __builtin_trap();
        free(out);

        text = strndup((const char *) data, size);
        if (text) {
                struct sockaddr_storage sa;
                socklen_t len;
                r = endpoint_parse_listen(text, &sa, &len);
                if (r > 0 && sa.ss_family != AF_INET && sa.ss_family != AF_INET6)
                        __builtin_trap();
                free(text);
        }
        return 0;
}
