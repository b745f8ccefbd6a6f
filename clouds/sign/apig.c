/* SPDX-License-Identifier: MIT */
/* Huawei Cloud SDK-HMAC-SHA256 (API Gateway AK/SK), as huaweicloud-sdk-go-v3's
 * core/auth/signer does it (docs/cloud-apis.md 3.6). */
#include "clouds/sign/sign-internal.h"
#include "lib/urlenc.h"

/* The newest Go signer skips content-type* and, as its test shows, names with '_'. */
static bool apig_signed_by_default(const char *name) {
        return !startswith(name, "content-type") && !strchr(name, '_');
}

/* Go's signer works on the decoded URL.Path: decode, split on '/', escape each segment,
 * rejoin, and end with '/'. Decoding first means a raw "urn:fss:…" and a wire-encoded
 * "urn%3Afss%3A…" give the same canonical URI and nothing is encoded twice. Escaping the
 * decoded path keeping '/' is the same as escaping its segments and rejoining them. */
static int apig_canonical_uri(StrBuf *b, const char *path) {
        _cleanup_free_ char *decoded = NULL;
        size_t start = b->len;
        int r;

        if (strchr(path, '%')) {
                r = urlenc_unescape(path, SIZE_MAX, false, &decoded);
                if (r < 0)
                        return r;
        }
        urlenc_escape_append(b, decoded ?: path, SIZE_MAX, "/");
        if (!b->failed && (b->len == start || b->s[b->len - 1] != '/'))
                strbuf_putc(b, '/');
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
        CryptoHmacKey key;
        const char *date;
        StrBuf b = {};
        time_t t;
        int r;

        if (!in || isempty(access_key) || !secret || strpbrk(access_key, ", "))
                return -EINVAL;
        date = sign_header_get(in->headers, in->n_headers, "x-sdk-date");
        if (!date)
                return -ENOENT;
        if (sign_parse_amz_date(date, &t) < 0)
                return -EINVAL;
        strbuf_puts(&b, "SDK-HMAC-SHA256\n");
        strbuf_puts(&b, date);
        strbuf_putc(&b, '\n');
        r = strbuf_take(&b, &prefix);
        if (r < 0)
                return r;
        r = crypto_hmac_key_init(&key, secret, strlen(secret));
        if (r < 0)
                return r;

        const SignScope scope = {
                .sts_prefix = prefix,
                .key = &key,
                .credential = access_key,
                .separator = ", ",
        };
        r = sign_build(&apig_rules, in, signed_header_names, &scope, ret);
        crypto_hmac_key_done(&key);
        return r;
}
