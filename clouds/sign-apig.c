/* SPDX-License-Identifier: MIT */
/* Huawei Cloud SDK-HMAC-SHA256 (API Gateway AK/SK), as huaweicloud-sdk-go-v3's
 * core/auth/signer does it (docs/cloud-apis.md 3.6). */
#include "clouds/sign-internal.h"
#include "lib/urlenc.h"

/* The newest Go signer skips content-type* and, as its test shows, names with '_'. */
static bool apig_signed_by_default(const char *name) {
        return !startswith(name, "content-type") && !strchr(name, '_');
}

/* Go's signer works on the decoded URL.Path: decode, split on '/', escape each segment,
 * rejoin, and end with '/'. Decoding first means a raw "urn:fss:…" and a wire-encoded
 * "urn%3Afss%3A…" give the same canonical URI and nothing is encoded twice. */
static int apig_canonical_uri(const char *path, char **ret) {
        _cleanup_strv_free_ char **segments = NULL;
        _cleanup_free_ char *decoded = NULL, *out = NULL;
        size_t size = 2;
        char *p;
        int r;

        r = urlenc_unescape(path, SIZE_MAX, false, &decoded);
        if (r < 0)
                return r;
        r = urlenc_split_path(decoded, &segments);
        if (r < 0)
                return r;
        for (size_t i = 0; segments[i]; i++) {
                char *e;

                r = urlenc_escape(segments[i], SIZE_MAX, NULL, &e);
                if (r < 0)
                        return r;
                free(segments[i]);
                segments[i] = e;
                size += strlen(e) + 1;
        }
        p = out = malloc(size);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; segments[i]; i++) {
                if (i > 0)
                        *p++ = '/';
                p = stpcpy(p, segments[i]);
        }
        if (p == out || p[-1] != '/')
                *p++ = '/';
        *p = 0;
        *ret = TAKE_PTR(out);
        return 0;
}

const SignRules apig_rules = {
        .algorithm = SIGN_ALGORITHM_APIG,
        .date_header = "x-sdk-date",
        .content_hash_header = "x-sdk-content-sha256",
        .signed_by_default = apig_signed_by_default,
        .canonical_uri = apig_canonical_uri,
};

int apig_sign(const SignInput *in, const char *access_key, const char *secret,
              const char *const *signed_header_names, SignResult *ret) {
        _cleanup_free_ char *prefix = NULL;
        const char *date;
        time_t t;

        if (!in || isempty(access_key) || !secret || strpbrk(access_key, ", "))
                return -EINVAL;
        date = sign_header_get(in->headers, in->n_headers, "x-sdk-date");
        if (!date)
                return -ENOENT;
        if (sign_parse_amz_date(date, &t) < 0)
                return -EINVAL;
        if (asprintf(&prefix, "SDK-HMAC-SHA256\n%s\n", date) < 0)
                return -ENOMEM;

        const SignScope scope = {
                .sts_prefix = prefix,
                .key = secret,
                .key_size = strlen(secret),
                .credential = access_key,
                .separator = ", ",
        };
        return sign_build(&apig_rules, in, signed_header_names, &scope, ret);
}
