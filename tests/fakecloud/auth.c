/* SPDX-License-Identifier: MIT */
/* Signature verification of cloud requests: the request as it arrived (wire path, decoded
 * query, every header, body) is handed to the project's own signers (clouds/sign/sign.h), which
 * recompute the signature over exactly the headers the client listed. */

#include <stdio.h>
#include <time.h>

#include "tests/fakecloud/auth.h"

static const char *const token_headers[_SIGN_ALGORITHM_MAX] = {
        [SIGN_ALGORITHM_SIGV4] = "x-amz-security-token",
        [SIGN_ALGORITHM_ACS3] = "x-acs-security-token",
        [SIGN_ALGORITHM_APIG] = "x-security-token",
};

static void credentials_of(const FakeCloud *fc, FakeApi api, const char **ret_key,
                           const char **ret_secret) {
        switch (api) {
        case FAKE_API_LAMBDA:
                *ret_key = fc->aws_akid;
                *ret_secret = fc->aws_secret;
                break;
        case FAKE_API_FC3:
        case FAKE_API_FC2:
                *ret_key = fc->ali_akid;
                *ret_secret = fc->ali_secret;
                break;
        default:
                *ret_key = fc->hw_ak;
                *ret_secret = fc->hw_sk;
                break;
        }
}

static bool strv_has(char *const *l, const char *s) {
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

static int reject(FakeErrorKind kind, FakeErrorKind *ret_kind, char *detail, size_t size,
                  const char *msg) {
        *ret_kind = kind;
        snprintf(detail, size, "%s", msg);
        return -EACCES;
}

int fake_auth_check(FakeCall *c, const FakeApiOps *ops, FakeErrorKind *ret_kind, char *detail,
                    size_t size) {
        _cleanup_(sign_authorization_freep) SignAuthorization *auth = NULL;
        _cleanup_free_ SignParam *params = NULL;
        SignResult result = {};
        const char *value, *key, *secret, *token_header = token_headers[ops->algorithm];
        SignInput in;
        int r;

        value = fake_call_header_get(c, "Authorization");
        if (!value)
                return reject(FAKE_ERROR_AUTH_MISSING, ret_kind, detail, size,
                              "missing Authorization header");
        r = sign_parse_authorization(value, &auth);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || auth->algorithm != ops->algorithm)
                return reject(FAKE_ERROR_AUTH_MALFORMED, ret_kind, detail, size,
                              "the Authorization header is not a valid signature of this API");
        credentials_of(c->fc, c->api, &key, &secret);
        if (!streq(auth->access_key_id, key))
                return reject(FAKE_ERROR_AUTH_UNKNOWN_KEY, ret_kind, detail, size,
                              "unknown access key id");
        if (auth->algorithm == SIGN_ALGORITHM_SIGV4) {
                if (!auth->service || !streq(auth->service, "lambda"))
                        return reject(FAKE_ERROR_AUTH_SIGNATURE, ret_kind, detail, size,
                                      "Credential should be scoped to correct service: 'lambda'.");
                if (auth->region)
                        snprintf(c->region, sizeof(c->region), "%s", auth->region);
        }
        /* A session token is accepted whatever its value, but only when it is signed. */
        if (fake_call_header_get(c, token_header) && !strv_has(auth->signed_headers, token_header))
                return reject(FAKE_ERROR_AUTH_SIGNATURE, ret_kind, detail, size,
                              "the security token is not signed");

        params = calloc(c->n_query + 1, sizeof(SignParam));
        if (!params)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_query; i++)
                params[i] = (SignParam){ .key = c->query[i].key, .value = c->query[i].value };
        in = (SignInput){
                .method = c->req->method,
                .path = c->path,
                .query = params,
                .n_query = c->n_query,
                .headers = c->req->headers,
                .n_headers = c->req->n_headers,
                .body = c->req->body,
                .body_size = c->req->body_size,
        };
        r = sign_verify(&in, auth, secret, (time_t) (c->now_usec / 1000000), &result);
        sign_result_done(&result);
        switch (r) {
        case 0:
                return 0;
        case -EPERM:
                return reject(FAKE_ERROR_AUTH_MALFORMED, ret_kind, detail, size,
                              "a mandatory header (host, the date) is missing or not signed");
        case -EBADMSG:
        case -EINVAL:
        case -ENOENT:
                return reject(FAKE_ERROR_AUTH_MALFORMED, ret_kind, detail, size,
                              "the request date is malformed");
        case -ETIME:
                return reject(FAKE_ERROR_AUTH_EXPIRED, ret_kind, detail, size,
                              "the request date is more than 15 minutes away from the server time");
        case -EACCES:
                return reject(FAKE_ERROR_AUTH_SIGNATURE, ret_kind, detail, size,
                              "the request signature does not match");
        default:
                return r;
        }
}
