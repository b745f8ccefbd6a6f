/* SPDX-License-Identifier: MIT */
/* Fuzzes what the emulator feeds the signing code from the network: Authorization headers,
 * query strings, paths and date headers. The input is one string; every parser sees it, and
 * whatever parses is pushed through sign_verify() against a fixed request. */
#include <stdint.h>

#include "clouds/sign/sign.h"
#include "lib/urlenc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_verify(const char *s, const SignParam *q, size_t n_q) {
        _cleanup_(sign_authorization_freep) SignAuthorization *a = NULL;
        const SignHeader h[] = {
                { "Host", "127.0.0.1" },
                { "X-Amz-Date", "20150830T123600Z" },
                { "x-acs-date", "2015-08-30T12:36:00Z" },
                { "X-Sdk-Date", "20150830T123600Z" },
                { "x-amz-content-sha256", s },
        };
        const SignInput in = { .method = "GET",
                               .path = s,
                               .query = q,
                               .n_query = n_q,
                               .headers = h,
                               .n_headers = ELEMENTSOF(h),
                               .body = s,
                               .body_size = strlen(s) };
        SignResult r = {};

        if (sign_parse_authorization(s, &a) < 0)
                return;
        (void) sign_verify(&in, a, "secret", (time_t) 1440938160, &r);
        sign_result_done(&r);
}

static void fuzz_sign(const char *s, const SignParam *q, size_t n_q) {
        const SignHeader h[] = {
                { "Host", s },
                { "X-Amz-Date", "20150830T123600Z" },
                { "X-Sdk-Date", "20150830T123600Z" },
                { s, "v" },
        };
        const SignInput in = { .method = s,
                               .path = s,
                               .query = q,
                               .n_query = n_q,
                               .headers = h,
                               .n_headers = ELEMENTSOF(h) };
        SignResult r = {};

        if (sigv4_sign(&in, "AK", "SK", "us-east-1", "lambda", NULL, &r) >= 0)
                sign_result_done(&r);
        if (acs3_sign(&in, "AK", "SK", NULL, &r) >= 0)
                sign_result_done(&r);
        if (apig_sign(&in, "AK", "SK", NULL, &r) >= 0)
                sign_result_done(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = NULL, *u = NULL;
        _cleanup_strv_free_ char **segments = NULL;
        UrlParam *params = NULL;
        SignParam q[URLENC_MAX_PARAMS];
        size_t n = 0;
        time_t t;

        if (size > 16384)
                return 0;
        s = strndup((const char *) data, size); /* stops at an embedded NUL, like a C header */
        if (!s)
                return 0;

        (void) sign_parse_amz_date(s, &t);
        (void) sign_parse_acs_date(s, &t);
        if (urlenc_unescape(s, SIZE_MAX, true, &u) >= 0)
                free(TAKE_PTR(u));
        if (urlenc_split_path(s, &segments) < 0)
                segments = NULL;
        (void) urlenc_parse_query(s, true, &params, &n);
        params = urlenc_params_free(params, n);
        n = 0;
        if (urlenc_parse_query(s, false, &params, &n) < 0)
                n = 0;
        for (size_t i = 0; i < n; i++)
                q[i] = (SignParam){ params[i].key, params[i].value };

        fuzz_verify(s, q, n);
        fuzz_sign(s, q, n);
        urlenc_params_free(params, n);
        return 0;
}
