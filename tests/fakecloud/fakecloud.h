/* SPDX-License-Identifier: MIT */
#pragma once

/* fakecloud: an emulator of the async-invocation config APIs of AWS Lambda, Alibaba FC3/FC2
 * and Huawei FunctionGraph (tests/fakecloud/README.md).
 *
 * The core is one pure function, fake_handle_request(): a request (method, raw target,
 * headers, body) in, a response (status, headers, body, plus what the network glue should do:
 * drop the connection, wait) out. The libmicrohttpd glue (server.h), the unit tests and the
 * fuzzer all call it; nothing in it touches a socket. It is thread-safe: state lives in a
 * sharded hash table behind read-write locks, counters are atomic. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clouds/sign/sign.h"
#include "lib/macro.h"

typedef struct FakeCloud FakeCloud;

typedef struct FakeCredentials {
        const char *access_key_id;
        const char *secret;
} FakeCredentials;

/* Everything a FakeCloud is configured with; strings are copied. NULL/0 fields take the
 * documented defaults (FAKE_DEFAULT_*). */
typedef struct FakeCloudOptions {
        FakeCredentials aws;
        FakeCredentials alicloud;
        FakeCredentials huaweicloud;
        const char *alicloud_account; /* in FC ARNs */
        const char *huawei_project;   /* the {project_id} the FunctionGraph API answers on */
        const char *aws_account;      /* in Lambda ARNs when the function was named plainly */
        bool unqualified_lists;       /* list answers leave the qualifier out (README.md) */
} FakeCloudOptions;

#define FAKE_DEFAULT_AWS_AKID "AKIDFAKE"
#define FAKE_DEFAULT_AWS_SECRET "fakesecret"
#define FAKE_DEFAULT_ALICLOUD_AKID "LTAIFAKE"
#define FAKE_DEFAULT_ALICLOUD_SECRET "fakesecret"
#define FAKE_DEFAULT_HUAWEI_AK "HWAKFAKE"
#define FAKE_DEFAULT_HUAWEI_SK "fakesecret"
#define FAKE_DEFAULT_ALICLOUD_ACCOUNT "1234567890123456"
#define FAKE_DEFAULT_HUAWEI_PROJECT "0123456789abcdef0123456789abcdef"
#define FAKE_DEFAULT_AWS_ACCOUNT "123456789012"

/* Largest request body accepted (the control API takes 10,000+ functions at once). */
#define FAKE_MAX_BODY_SIZE (64u * 1024u * 1024u)

typedef struct FakeRequest {
        const char *method; /* "GET", ... */
        const char *target; /* the raw request target: path and query exactly as on the wire */
        const SignHeader *headers;
        size_t n_headers;
        const void *body; /* may be NULL when body_size is 0 */
        size_t body_size;
        bool loopback; /* the peer is on a loopback address (the control API requires it) */
} FakeRequest;

#define FAKE_RESPONSE_MAX_HEADERS 8

typedef struct FakeResponseHeader {
        const char *name; /* static */
        char *value;      /* owned */
} FakeResponseHeader;

typedef struct FakeResponse {
        unsigned status;
        FakeResponseHeader headers[FAKE_RESPONSE_MAX_HEADERS];
        size_t n_headers;
        char *body; /* owned, NUL-terminated; NULL for no body */
        size_t body_size;
        bool drop;           /* close the connection without answering (fault injection) */
        uint64_t delay_usec; /* answer after this long (fault injection) */
        bool cloud;          /* a cloud request, not the control API's */
        uint64_t log_seq;    /* its entry in the request log (0: none) */
} FakeResponse;

int fake_cloud_new(const FakeCloudOptions *o, FakeCloud **ret);
FakeCloud *fake_cloud_free(FakeCloud *fc);
DEFINE_TRIVIAL_CLEANUP_FUNC(FakeCloud *, fake_cloud_free);

/* Fixes the emulator's clock (seconds since the epoch) for tests; 0 returns to the real clock. */
void fake_cloud_set_time(FakeCloud *fc, int64_t unix_seconds);

/* Handles one request. ret is zeroed first and always filled (errors become error responses);
 * the caller releases it with fake_response_done(). Returns 0, or -ENOMEM when even an error
 * response could not be built (ret then holds a bodiless 500). */
int fake_handle_request(FakeCloud *fc, const FakeRequest *req, FakeResponse *ret);

void fake_response_done(FakeResponse *r);

/* A server tells when a cloud request (FakeResponse.cloud) starts being answered (+1) and when
 * its connection is done with it (-1): the stats' inFlight and maxInFlight. */
void fake_cloud_count_in_flight(FakeCloud *fc, int delta);
/* A server tells when it is done with a cloud request (its answer sent or its connection
 * dropped): the end time of its request log entry (FakeResponse.log_seq). */
void fake_cloud_log_end(FakeCloud *fc, uint64_t seq);
const char *fake_response_header(const FakeResponse *r, const char *name);
