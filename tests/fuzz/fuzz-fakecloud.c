/* SPDX-License-Identifier: MIT */
/* Fuzzes the emulator's request handling (routing, query and path decoding, signature
 * checking, every API's JSON parsing and validation, the control API) through the pure
 * handler, without a network. Input:
 *
 *   [!]METHOD TARGET\n        a leading '!' signs the request with the right credentials, so
 *   Name: value\n ...         that the input reaches the API handlers behind the signature check
 *   \n
 *   body
 *
 * Each input gets a fresh emulator with a few functions and configs of every API. */
#include <stdint.h>
#include <stdio.h>

#include "tests/fakecloud/client.h"
#include "tests/fakecloud/fakecloud.h"

#define NOW 1700000000
#define MAX_HEADERS 32

static const char seed_functions[] =
        "[{\"provider\":\"aws\",\"function\":\"f\",\"qualifiers\":[\"prod\"]},"
        "{\"provider\":\"alicloud\",\"function\":\"f\"},"
        "{\"provider\":\"alicloud\",\"service\":\"s\",\"function\":\"f\"},"
        "{\"provider\":\"huaweicloud\",\"function\":\"f\"}]";

static const char seed_drift[] =
        "{\"provider\":\"aws\",\"function\":\"f\",\"config\":{\"MaximumRetryAttempts\":1}}";

static void handle(FakeCloud *fc, const char *method, const char *target, const SignHeader *h,
                   size_t n, const void *body, size_t body_size) {
        FakeRequest req = { .method = method,
                            .target = target,
                            .headers = h,
                            .n_headers = n,
                            .body = body,
                            .body_size = body_size,
                            .loopback = true };
        FakeResponse resp;

        (void) fake_handle_request(fc, &req, &resp);
        fake_response_done(&resp);
}

static FakeApi api_of(const char *target) {
        if (startswith(target, "/2023-03-30/"))
                return FAKE_API_FC3;
        if (startswith(target, "/2021-04-06/"))
                return FAKE_API_FC2;
        if (startswith(target, "/v2/"))
                return FAKE_API_FUNCTIONGRAPH;
        return FAKE_API_LAMBDA;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *copy = NULL;
        SignHeader headers[MAX_HEADERS + FAKE_CLIENT_MAX_HEADERS];
        FakeSignedRequest s = {};
        char *p, *line, *method, *target, *body;
        size_t n = 0, body_size;
        bool sign = false;
        FakeCloud *fc;

        if (size > 65536)
                return 0;
        copy = malloc(size + 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        copy[size] = 0;
        /* Request line. */
        p = copy;
        line = strsep(&p, "\n");
        if (!p)
                return 0;
        if (line[0] == '!') {
                sign = true;
                line++;
        }
        method = strsep(&line, " ");
        target = line;
        if (!target || !method[0])
                return 0;
        /* Headers up to the empty line. */
        while (p && *p != '\n' && n < MAX_HEADERS) {
                char *h = strsep(&p, "\n"), *colon = strchr(h, ':');
                if (!colon)
                        continue;
                *colon = 0;
                colon++;
                while (*colon == ' ')
                        colon++;
                headers[n++] = (SignHeader){ .name = h, .value = colon };
        }
        body = p ? p + (*p == '\n') : NULL;
        body_size = body ? size - (size_t) (body - copy) : 0;

        if (fake_cloud_new(&(FakeCloudOptions){}, &fc) < 0)
                return 0;
        fake_cloud_set_time(fc, NOW);
        handle(fc, "POST", "/_fake/functions", NULL, 0, seed_functions, strlen(seed_functions));
        handle(fc, "PUT", "/_fake/drift", NULL, 0, seed_drift, strlen(seed_drift));
        if (sign) {
                FakeApi api = api_of(target);
                const char *ak = api == FAKE_API_LAMBDA          ? FAKE_DEFAULT_AWS_AKID
                                 : api == FAKE_API_FUNCTIONGRAPH ? FAKE_DEFAULT_HUAWEI_AK
                                                                 : FAKE_DEFAULT_ALICLOUD_AKID;
                if (fake_client_sign(api, method, target, "fuzz", body, body_size, ak, "fakesecret",
                                     FAKE_DEFAULT_HUAWEI_PROJECT, NOW, &s) >= 0)
                        for (size_t i = 0; i < s.n_headers; i++)
                                headers[n++] = s.headers[i];
        }
        handle(fc, method, target, headers, n, body, body_size);
        fake_signed_request_done(&s);
        fake_cloud_free(fc);
        return 0;
}
