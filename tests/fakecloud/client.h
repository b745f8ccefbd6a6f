/* SPDX-License-Identifier: MIT */
#pragma once

/* The client side, for tests, the fuzzer's seeds and the load generator: signs a request for
 * one of the emulator's APIs the way the vendors' SDKs do (clouds/sign/sign.h), giving the headers
 * to send. */

#include <time.h>

#include "clouds/sign/sign.h"
#include "tests/fakecloud/store.h"

#define FAKE_CLIENT_MAX_HEADERS 12

typedef struct FakeSignedRequest {
        SignHeader headers[FAKE_CLIENT_MAX_HEADERS]; /* names static, values owned */
        size_t n_headers;
} FakeSignedRequest;

/* Signs method + target (the raw request target, path and query as sent) + body for api,
 * with Host host, the given key pair and time. Adds Content-Type for a body and, for
 * FunctionGraph, X-Project-Id = project. 0, -EINVAL, -ENOMEM. */
int fake_client_sign(FakeApi api, const char *method, const char *target, const char *host,
                     const void *body, size_t body_size, const char *akid, const char *secret,
                     const char *project, time_t now, FakeSignedRequest *ret);
void fake_signed_request_done(FakeSignedRequest *r);
