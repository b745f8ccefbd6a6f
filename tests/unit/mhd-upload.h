/* SPDX-License-Identifier: MIT */
#pragma once

/* The request-body accumulation that the unit tests' small libmicrohttpd servers share.
 * Header-only: tests/unit/test-*.c are separate programs. Use mhd_upload_step() at the top of the
 * access handler and mhd_upload_completed as MHD_OPTION_NOTIFY_COMPLETED. */

#include <microhttpd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct Upload {
        char *data; /* NUL-terminated for convenience; size excludes the NUL */
        size_t size;
} Upload;

/* Returns true while the handler must return *ret_result at once (the first call, or a chunk of
 * body taken); false once the whole body is in *ret_upload and the handler should answer. */
static inline bool mhd_upload_step(void **con_cls, const char *upload_data,
                                   size_t *upload_data_size, Upload **ret_upload,
                                   enum MHD_Result *ret_result) {
        Upload *u = *con_cls;

        if (!u) {
                *con_cls = u = calloc(1, sizeof(Upload));
                *ret_result = u ? MHD_YES : MHD_NO;
                return true;
        }
        if (*upload_data_size > 0) {
                char *p = realloc(u->data, u->size + *upload_data_size + 1);
                if (!p) {
                        *ret_result = MHD_NO;
                        return true;
                }
                memcpy(p + u->size, upload_data, *upload_data_size);
                u->data = p;
                u->size += *upload_data_size;
                u->data[u->size] = 0;
                *upload_data_size = 0;
                *ret_result = MHD_YES;
                return true;
        }
        *ret_upload = u;
        return false;
}

static inline void mhd_upload_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                                        enum MHD_RequestTerminationCode t) {
        Upload *u = *con_cls;

        if (u)
                free(u->data);
        free(u);
        *con_cls = NULL;
}
