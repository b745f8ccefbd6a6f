/* SPDX-License-Identifier: MIT */
#pragma once

/* What went wrong with a cloud call, in the one vocabulary the reconciler decides on.
 *
 * Every finished call reports a CloudError; class CLOUD_ERROR_NONE means success. The class
 * is decided by each cloud's classifier (its CloudOps.classify_error) from the HTTP status,
 * the error code and, where the cloud gives nothing better, the message (docs/cloud-apis.md
 * 1.6, 2.5, 3.5, 4.4-4.5):
 *
 *   CONFIG_ABSENT    the function exists, it has no async config for that qualifier (GET)
 *   FUNCTION_ABSENT  the function (or its service / version / alias) does not exist
 *   INVALID          the request was refused as invalid (4xx validation); permanent
 *   AUTH             signature, key, token or permission refused; permanent
 *   THROTTLED        429 / throttling codes; retry_after_usec is the wait the server asked for
 *   TRANSIENT        timeouts, connection errors, 5xx, conflicts, IAM/RAM propagation,
 *                    a malformed response to a successful request; retry with backoff
 *   PERMANENT        anything else the server refused
 *
 * A failed or malformed read is never CONFIG_ABSENT (DESIGN.md §3.3). */

#include <stdbool.h>
#include <stdint.h>

#include "clouds/model.h"
#include "lib/http.h"

typedef enum CloudErrorClass {
        CLOUD_ERROR_NONE,
        CLOUD_ERROR_CONFIG_ABSENT,
        CLOUD_ERROR_FUNCTION_ABSENT,
        CLOUD_ERROR_INVALID,
        CLOUD_ERROR_AUTH,
        CLOUD_ERROR_THROTTLED,
        CLOUD_ERROR_TRANSIENT,
        CLOUD_ERROR_PERMANENT,
        _CLOUD_ERROR_CLASS_MAX,
        _CLOUD_ERROR_CLASS_INVALID = -22, /* -EINVAL */
} CloudErrorClass;

/* The operations; the classifier needs to know which one failed (a 404 to a PUT or a list is
 * never "config absent"). The last two list a function's versions and its aliases (FC2: its
 * service's), for `asyncfg import` when a config list does not say which qualifier an item
 * belongs to. */
typedef enum CloudOp {
        CLOUD_OP_GET,
        CLOUD_OP_PUT,
        CLOUD_OP_DELETE,
        CLOUD_OP_LIST,
        CLOUD_OP_LIST_VERSIONS,
        CLOUD_OP_LIST_ALIASES,
        _CLOUD_OP_MAX,
        _CLOUD_OP_INVALID = -22,
} CloudOp;

const char *cloud_error_class_to_string(CloudErrorClass c); /* "none", "config-absent", ... */
CloudErrorClass cloud_error_class_from_string(const char *s);
const char *cloud_op_to_string(CloudOp op); /* "get", "put", "delete", "list", "list-versions",
                                             * "list-aliases" */
CloudOp cloud_op_from_string(const char *s);

/* THROTTLED and TRANSIENT: retry with backoff (DESIGN.md §3.7). */
bool cloud_error_class_is_retryable(CloudErrorClass c);

typedef struct CloudError {
        CloudErrorClass class;
        /* Negative errno when no usable HTTP answer was classified: a transport error from
         * lib/http (-ETIMEDOUT, -ECONNREFUSED, ...), -ECANCELED, -EBADMSG for a malformed
         * response body. 0 otherwise. */
        int error;
        long http_status; /* 0 when no response was received */
        char *code;       /* the cloud's error code ("ResourceNotFoundException"), or NULL */
        char *message;    /* the cloud's message (sanitised, secrets removed) or the transport
                           * detail, or NULL */
        char *request_id; /* or NULL */
        uint64_t retry_after_usec; /* THROTTLED: the wait the server asked for; 0: none given */
        const char *note;          /* static explanation of a non-obvious classification, or NULL */
} CloudError;

void cloud_error_done(CloudError *e);

/* e->code is one of the NULL-terminated list (exact match); false when there is no code. */
bool cloud_error_code_in(const CloudError *e, const char *const *list);
int cloud_error_copy(CloudError *dst, const CloudError *src);

/* One line for logs and status, e.g. "function-absent: HTTP 404 ResourceNotFoundException:
 * Function not found: arn:... (request 1-abc)". Never contains a secret as long as message
 * was set through cloud_error_set_message(). Fresh string; 0 or -ENOMEM. */
int cloud_error_format(const CloudError *e, char **ret);

/* cloud_error_format() without the class, e.g. "HTTP 404 ResourceNotFoundException: ...", for
 * a line that shows the class apart (/status's last_error has it in its own field). Fresh
 * string; 0 or -ENOMEM. */
int cloud_error_format_detail(const CloudError *e, char **ret);

/* Sets e->message to a copy of text: control characters become ' ', at most
 * CLOUD_ERROR_MESSAGE_MAX bytes (cut at a UTF-8 boundary, "..." appended), and every
 * occurrence of each non-empty string in redact (NULL-terminated, may be NULL) replaced by
 * "<redacted>" (a cloud may echo a signed header, e.g. AWS's canonical request in
 * InvalidSignatureException). text NULL clears it. 0 or -ENOMEM. */
#define CLOUD_ERROR_MESSAGE_MAX 512
int cloud_error_set_message(CloudError *e, const char *text, const char *const *redact);

/* The longest wait a cloud's Retry-After or TimeLeft may ask for (lib/http.h). */
#define CLOUD_RETRY_AFTER_MAX_USEC HTTP_RETRY_AFTER_MAX_USEC

/* Alibaba's x-ratelimit-user-api / x-ratelimit-user header, "Limit:100,Remain:0,TimeLeft:1500,
 * Reset:..." (darabonba-openapi GetThrottlingTimeLeft): TimeLeft, taken as milliseconds (the
 * unit is UNCONFIRMED, docs/cloud-apis.md 2.5; milliseconds is the cautious reading of the SDK's
 * retry code). Capped like Retry-After. 0, or -ENOENT when there is no TimeLeft, -EINVAL. */
int cloud_parse_alicloud_time_left(const char *value, uint64_t *ret_usec);
