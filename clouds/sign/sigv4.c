/* SPDX-License-Identifier: MIT */
/* AWS Signature Version 4, as botocore's SigV4Auth does it for a non-S3 service
 * (docs/cloud-apis.md 1.7). */
#include <threads.h>

#include "clouds/sign/sign-internal.h"
#include "lib/urlenc.h"

/* botocore auth.py SIGNED_HEADERS_BLACKLIST: hop-by-hop headers and ones proxies rewrite. */
static const char *const sigv4_unsigned[] = {
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-amzn-trace-id",
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

/* Does remove_dot_segments() leave path as it is? An absolute path without empty, "." and
 * ".." segments (a trailing '/' is fine): every path the clients send. */
static bool path_is_normal(const char *path) {
        if (path[0] != '/')
                return false;
        for (const char *seg = path + 1; *seg;) {
                size_t n = strcspn(seg, "/");

                if (n == 0 || (n == 1 && seg[0] == '.') ||
                    (n == 2 && seg[0] == '.' && seg[1] == '.'))
                        return false;
                seg += n;
                if (*seg == '/')
                        seg++;
        }
        return true;
}

/* The wire path, dot-normalised, then quote(path, safe='/~'): already-encoded "%3A" becomes
 * "%253A". That second round is what AWS expects for every service but S3. */
static int sigv4_canonical_uri(StrBuf *b, const char *path) {
        _cleanup_free_ char *normalized = NULL;
        int r;

        if (isempty(path)) {
                strbuf_putc(b, '/');
                return 0;
        }
        if (!path_is_normal(path)) {
                r = remove_dot_segments(path, &normalized);
                if (r < 0)
                        return r;
        }
        urlenc_escape_append(b, isempty(normalized) ? (normalized ? "/" : path) : normalized,
                             SIZE_MAX, "/");
        return 0;
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
                             const char *service, CryptoHmacKey *ret) {
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
                r = crypto_hmac_key_init(ret, key, sizeof(key));
        explicit_bzero(key, sizeof(key));
        return r;
}

/* The signing key only changes with the secret, the day, the region and the service, so each
 * thread keeps the last one: four HMACs with fresh keys per request were a good part of
 * signing one. The secret is recognised by its hash; no copy of it is kept. */
typedef struct SigningKeyCache {
        bool valid;
        uint8_t secret_hash[CRYPTO_SHA256_SIZE];
        char scope[128]; /* "YYYYMMDD/region/service/aws4_request" */
        CryptoHmacKey key;
} SigningKeyCache;

static thread_local SigningKeyCache signing_key_cache;

static int sigv4_signing_key_cached(const char *secret, const char *scope, const char *date,
                                    const char *region, const char *service, CryptoHmacKey *ret) {
        SigningKeyCache *c = &signing_key_cache;
        uint8_t h[CRYPTO_SHA256_SIZE];
        int r;

        r = crypto_sha256(secret, strlen(secret), h);
        if (r < 0)
                return r;
        if (c->valid && memcmp(c->secret_hash, h, sizeof(h)) == 0 && streq(c->scope, scope)) {
                *ret = c->key;
                return 0;
        }
        r = sigv4_signing_key(secret, date, region, service, ret);
        if (r < 0 || strlen(scope) >= sizeof(c->scope))
                return r;
        crypto_hmac_key_done(&c->key);
        memcpy(c->secret_hash, h, sizeof(h));
        strcpy(c->scope, scope);
        c->key = *ret;
        c->valid = true;
        return 0;
}

int sigv4_sign(const SignInput *in, const char *access_key_id, const char *secret,
               const char *region, const char *service, const char *const *signed_header_names,
               SignResult *ret) {
        _cleanup_free_ char *scope = NULL, *prefix = NULL, *credential = NULL;
        CryptoHmacKey key;
        const char *amz_date;
        char date[9];
        StrBuf b = {};
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

        /* date/region/service/aws4_request, the credential scope */
        strbuf_puts(&b, date);
        strbuf_putc(&b, '/');
        strbuf_puts(&b, region);
        strbuf_putc(&b, '/');
        strbuf_puts(&b, service);
        strbuf_puts(&b, "/aws4_request");
        r = strbuf_take(&b, &scope);
        if (r < 0)
                return r;
        strbuf_puts(&b, "AWS4-HMAC-SHA256\n");
        strbuf_puts(&b, amz_date);
        strbuf_putc(&b, '\n');
        strbuf_puts(&b, scope);
        strbuf_putc(&b, '\n');
        r = strbuf_take(&b, &prefix);
        if (r < 0)
                return r;
        strbuf_puts(&b, access_key_id);
        strbuf_putc(&b, '/');
        strbuf_puts(&b, scope);
        r = strbuf_take(&b, &credential);
        if (r < 0)
                return r;
        r = sigv4_signing_key_cached(secret, scope, date, region, service, &key);
        if (r < 0)
                return r;

        const SignScope sc = {
                .sts_prefix = prefix,
                .key = &key,
                .credential = credential,
                .separator = ", ",
        };
        r = sign_build(&sigv4_rules, in, signed_header_names, &sc, ret);
        crypto_hmac_key_done(&key);
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
