/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "lib/crypto.h"
#include "lib/urlenc.h"
#include "tests/fakecloud/client.h"

void fake_signed_request_done(FakeSignedRequest *r) {
        for (size_t i = 0; i < r->n_headers; i++)
                free((char *) r->headers[i].value);
        r->n_headers = 0;
}

static int add(FakeSignedRequest *r, const char *name, const char *value) {
        char *v;

        if (r->n_headers >= FAKE_CLIENT_MAX_HEADERS)
                return -E2BIG;
        v = strdup(value);
        if (!v)
                return -ENOMEM;
        r->headers[r->n_headers++] = (SignHeader){ .name = name, .value = v };
        return 0;
}

static const char *acs_action(FakeApi api, const char *method, const char *path) {
        bool list = endswith(path, "configs");

        if (api == FAKE_API_FC3)
                return list                      ? "ListAsyncInvokeConfigs"
                       : streq(method, "PUT")    ? "PutAsyncInvokeConfig"
                       : streq(method, "DELETE") ? "DeleteAsyncInvokeConfig"
                                                 : "GetAsyncInvokeConfig";
        return list                      ? "ListFunctionAsyncInvokeConfigs"
               : streq(method, "PUT")    ? "PutFunctionAsyncInvokeConfig"
               : streq(method, "DELETE") ? "DeleteFunctionAsyncInvokeConfig"
                                         : "GetFunctionAsyncInvokeConfig";
}

/* The headers of each API before signing. */
static int add_api_headers(FakeSignedRequest *r, FakeApi api, const char *method, const char *path,
                           const void *body, size_t body_size, const char *project, time_t now) {
        char date[SIGN_ACS_DATE_SIZE], hash[CRYPTO_SHA256_HEX_SIZE], nonce[33];
        static uint64_t counter;
        uint64_t n;
        int r_ = 0;

        switch (api) {
        case FAKE_API_LAMBDA:
                sign_format_amz_date(now, date);
                r_ |= add(r, "X-Amz-Date", date);
                if (body_size > 0)
                        r_ |= add(r, "Content-Type", "application/json");
                break;
        case FAKE_API_FC3:
        case FAKE_API_FC2:
                sign_format_acs_date(now, date);
                if (crypto_sha256_hex(body, body_size, hash) < 0)
                        return -EIO;
                n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
                snprintf(nonce, sizeof(nonce), "%016llx%016llx", (unsigned long long) n,
                         (unsigned long long) ((uint64_t) now * 2654435761u));
                r_ |= add(r, "x-acs-version", api == FAKE_API_FC3 ? "2023-03-30" : "2021-04-06");
                r_ |= add(r, "x-acs-action", acs_action(api, method, path));
                r_ |= add(r, "x-acs-date", date);
                r_ |= add(r, "x-acs-signature-nonce", nonce);
                r_ |= add(r, "x-acs-content-sha256", hash);
                r_ |= add(r, "accept", "application/json");
                if (body_size > 0)
                        r_ |= add(r, "content-type", "application/json; charset=utf-8");
                break;
        default:
                sign_format_sdk_date(now, date);
                r_ |= add(r, "X-Sdk-Date", date);
                r_ |= add(r, "X-Project-Id", project ?: "");
                r_ |= add(r, "Content-Type", "application/json");
                break;
        }
        return r_ < 0 ? -ENOMEM : 0;
}

int fake_client_sign(FakeApi api, const char *method, const char *target, const char *host,
                     const void *body, size_t body_size, const char *akid, const char *secret,
                     const char *project, time_t now, FakeSignedRequest *ret) {
        const char *q = strchr(target, '?');
        _cleanup_free_ char *path = strndup(target, q ? (size_t) (q - target) : strlen(target));
        _cleanup_free_ SignParam *sp = NULL;
        UrlParam *params = NULL;
        size_t n_params = 0;
        FakeSignedRequest r = {};
        SignResult res = {};
        SignInput in;
        int k;

        if (!path)
                return -ENOMEM;
        if (q) {
                k = urlenc_parse_query(q + 1, false, &params, &n_params);
                if (k < 0)
                        return k;
        }
        sp = calloc(n_params + 1, sizeof(SignParam));
        if (!sp) {
                urlenc_params_free(params, n_params);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n_params; i++)
                sp[i] = (SignParam){ .key = params[i].key, .value = params[i].value };
        k = add(&r, "Host", host);
        if (k >= 0)
                k = add_api_headers(&r, api, method, path, body, body_size, project, now);
        in = (SignInput){ .method = method,
                          .path = path,
                          .query = sp,
                          .n_query = n_params,
                          .headers = r.headers,
                          .n_headers = r.n_headers,
                          .body = body,
                          .body_size = body_size };
        if (k >= 0)
                k = api == FAKE_API_LAMBDA
                            ? sigv4_sign(&in, akid, secret, "us-east-1", "lambda", NULL, &res)
                    : api == FAKE_API_FUNCTIONGRAPH ? apig_sign(&in, akid, secret, NULL, &res)
                                                    : acs3_sign(&in, akid, secret, NULL, &res);
        if (k >= 0)
                k = add(&r, "Authorization", res.authorization);
        sign_result_done(&res);
        urlenc_params_free(params, n_params);
        if (k < 0) {
                fake_signed_request_done(&r);
                return k;
        }
        *ret = r;
        return 0;
}
