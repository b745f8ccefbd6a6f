/* SPDX-License-Identifier: MIT */
/* AWS Signature Version 4, as botocore's SigV4Auth does it for a non-S3 service
 * (docs/cloud-apis.md 1.7). */
#include "clouds/sign-internal.h"
#include "lib/urlenc.h"

/* botocore auth.py SIGNED_HEADERS_BLACKLIST: hop-by-hop headers and ones proxies rewrite. */
static const char *const sigv4_unsigned[] = {
        "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
};

static bool sigv4_signed_by_default(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(sigv4_unsigned); i++)
                if (streq(name, sigv4_unsigned[i]))
                        return false;
        return true;
}

/* botocore utils.remove_dot_segments(): drops ".", resolves "..", and (AWS's own addition)
 * collapses empty segments; keeps the leading '/' and a trailing '/' when something is left. */
static int remove_dot_segments(const char *path, char **ret) {
        _cleanup_strv_free_ char **segments = NULL;
        _cleanup_free_ const char **kept = NULL;
        _cleanup_free_ char *out = NULL;
        size_t len = strlen(path), n = 0;
        char *p;
        int r;

        r = urlenc_split_path(path, &segments);
        if (r < 0)
                return r;
        p = out = malloc(len + 2);
        kept = calloc(len + 1, sizeof(char *));
        if (!out || !kept)
                return -ENOMEM;
        if (path[0] == '/')
                *p++ = '/';
        /* A stack of the segments kept so far; ".." pops. */
        for (size_t i = 0; segments[i]; i++) {
                if (isempty(segments[i]) || streq(segments[i], "."))
                        continue;
                if (streq(segments[i], "..")) {
                        if (n > 0)
                                n--;
                        continue;
                }
                kept[n++] = segments[i];
        }
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        *p++ = '/';
                p = stpcpy(p, kept[i]);
        }
        if (n > 0 && len > 0 && path[len - 1] == '/')
                *p++ = '/';
        *p = 0;
        *ret = TAKE_PTR(out);
        return 0;
}

/* The wire path, dot-normalised, then quote(path, safe='/~'): already-encoded "%3A" becomes
 * "%253A". That second round is what AWS expects for every service but S3. */
static int sigv4_canonical_uri(const char *path, char **ret) {
        _cleanup_free_ char *normalized = NULL;
        int r;

        if (isempty(path))
                return (*ret = strdup("/")) ? 0 : -ENOMEM;
        r = remove_dot_segments(path, &normalized);
        if (r < 0)
                return r;
        return urlenc_escape(isempty(normalized) ? "/" : normalized, SIZE_MAX, "/", ret);
}

const SignRules sigv4_rules = {
        .algorithm = SIGN_ALGORITHM_SIGV4,
        .date_header = "x-amz-date",
        .content_hash_header = "x-amz-content-sha256",
        .collapse_whitespace = true,
        .sort_query_encoded = true,
        .signed_by_default = sigv4_signed_by_default,
        .canonical_uri = sigv4_canonical_uri,
};

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request"). */
static int sigv4_signing_key(const char *secret, const char *date, const char *region,
                             const char *service, uint8_t ret[static CRYPTO_SHA256_SIZE]) {
        _cleanup_free_ char *k = NULL;
        const char *parts[] = { date, region, service, "aws4_request" };
        uint8_t key[CRYPTO_SHA256_SIZE];
        int r;

        if (asprintf(&k, "AWS4%s", secret) < 0)
                return -ENOMEM;
        r = crypto_hmac_sha256(k, strlen(k), parts[0], strlen(parts[0]), key);
        explicit_bzero(k, strlen(k));
        for (size_t i = 1; r >= 0 && i < ELEMENTSOF(parts); i++)
                r = crypto_hmac_sha256(key, sizeof(key), parts[i], strlen(parts[i]), key);
        if (r >= 0)
                memcpy(ret, key, sizeof(key));
        explicit_bzero(key, sizeof(key));
        return r;
}

int sigv4_sign(const SignInput *in, const char *access_key_id, const char *secret,
               const char *region, const char *service, const char *const *signed_header_names,
               SignResult *ret) {
        _cleanup_free_ char *prefix = NULL, *credential = NULL;
        uint8_t key[CRYPTO_SHA256_SIZE];
        const char *amz_date;
        char date[9];
        time_t t;
        int r;

        if (!in || isempty(access_key_id) || !secret || isempty(region) || isempty(service) ||
            strpbrk(access_key_id, "/, ") || strpbrk(region, "/, ") || strpbrk(service, "/, "))
                return -EINVAL;
        amz_date = sign_header_get(in->headers, in->n_headers, "x-amz-date");
        if (!amz_date)
                return -ENOENT;
        if (sign_parse_amz_date(amz_date, &t) < 0)
                return -EINVAL;
        memcpy(date, amz_date, 8);
        date[8] = 0;
        if (asprintf(&prefix, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n", amz_date, date,
                     region, service) < 0 ||
            asprintf(&credential, "%s/%s/%s/%s/aws4_request", access_key_id, date, region,
                     service) < 0)
                return -ENOMEM;
        r = sigv4_signing_key(secret, date, region, service, key);
        if (r < 0)
                return r;

        const SignScope scope = {
                .sts_prefix = prefix,
                .key = key,
                .key_size = sizeof(key),
                .credential = credential,
                .separator = ", ",
        };
        r = sign_build(&sigv4_rules, in, signed_header_names, &scope, ret);
        explicit_bzero(key, sizeof(key));
        return r;
}

/* Credential=AKID/YYYYMMDD/region/service/aws4_request */
int sigv4_parse_authorization(const char *value, SignAuthorization **ret) {
        _cleanup_(sign_authorization_freep) SignAuthorization *a = NULL;
        _cleanup_strv_free_ char **parts = NULL;
        _cleanup_free_ char *credential = NULL;
        int r;

        r = sign_parse_authorization_params(value, SIGN_ALGORITHM_SIGV4, &a, &credential);
        if (r < 0)
                return r;
        r = urlenc_split_path(credential, &parts);
        if (r < 0)
                return r;
        for (size_t i = 0; i < 5; i++)
                if (isempty(parts[i]))
                        return -EBADMSG; /* stops at the terminating NULL of a short list */
        if (parts[5] || !streq(parts[4], "aws4_request") || strlen(parts[1]) != 8 ||
            strspn(parts[1], "0123456789") != 8)
                return -EBADMSG;
        a->access_key_id = TAKE_PTR(parts[0]);
        a->scope_date = TAKE_PTR(parts[1]);
        a->region = TAKE_PTR(parts[2]);
        a->service = TAKE_PTR(parts[3]);
        /* parts[0..3] are NULL now; strv_free stops at the first NULL, so free the rest. */
        free(parts[4]);
        parts[4] = NULL;
        *ret = TAKE_PTR(a);
        return 0;
}
