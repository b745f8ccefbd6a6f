/* SPDX-License-Identifier: MIT */
/* SHA256_Init() and friends: see the comment on crypto_sha256(). */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <assert.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <sys/random.h>

#include "lib/crypto.h"
#include "lib/macro.h"

/* SHA-256 goes through the low-level interface: a SHA256_CTX is a plain struct on the stack, so
 * a digest costs no allocation and no provider dispatch (EVP_Digest allocates two contexts per
 * call, which was most of the cost of hashing a short canonical request), and a context can be
 * copied, which is what lets an HMAC key's padded blocks be absorbed once (CryptoHmacKey).
 * The functions are deprecated in OpenSSL 3 but remain its SHA-256 implementation (the
 * provider calls them too). MD5 is rare and stays on EVP, fetched once per process: an
 * implicit fetch per call goes through the provider store's locks. */
static EVP_MD *md_md5;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void digests_fetch(void) {
        md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
}

int crypto_sha256(const void *data, size_t size, uint8_t ret[static CRYPTO_SHA256_SIZE]) {
        SHA256_CTX ctx;

        if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, size > 0 ? data : "", size) != 1 ||
            SHA256_Final(ret, &ctx) != 1)
                return -EIO;
        return 0;
}

int crypto_sha256_hex(const void *data, size_t size, char ret[static CRYPTO_SHA256_HEX_SIZE]) {
        uint8_t md[CRYPTO_SHA256_SIZE];
        int r;

        /* The payload hash of every request without a body (a GET, a DELETE): known. */
        if (size == 0) {
                memcpy(ret, CRYPTO_SHA256_EMPTY_HEX, CRYPTO_SHA256_HEX_SIZE);
                return 0;
        }
        r = crypto_sha256(data, size, md);
        if (r < 0)
                return r;
        crypto_hex_encode(md, sizeof(md), ret);
        return 0;
}

int crypto_md5_hex(const void *data, size_t size, char ret[static CRYPTO_MD5_HEX_SIZE]) {
        uint8_t md[CRYPTO_MD5_SIZE];
        unsigned out_size = 0;

        (void) pthread_once(&md_once, digests_fetch);
        if (!md_md5 || EVP_Digest(size > 0 ? data : "", size, md, &out_size, md_md5, NULL) != 1 ||
            out_size != sizeof(md))
                return -EIO;
        crypto_hex_encode(md, sizeof(md), ret);
        return 0;
}

/* The two hash states, each after one padded key block. */
typedef struct HmacState {
        SHA256_CTX inner, outer;
} HmacState;

static_assert(sizeof(HmacState) <= sizeof(((CryptoHmacKey *) NULL)->state),
              "CryptoHmacKey too small for two SHA256_CTX");
static_assert(_Alignof(HmacState) <= _Alignof(CryptoHmacKey), "CryptoHmacKey misaligned");

/* HMAC-SHA256 (RFC 2104): H((K^opad) || H((K^ipad) || m)); the K^pad blocks absorbed here. */
int crypto_hmac_key_init(CryptoHmacKey *k, const void *key, size_t key_size) {
        enum { BLOCK = 64 };
        HmacState *s = (HmacState *) k->state;
        uint8_t block[BLOCK] = {}, pad[BLOCK];
        int r = -EIO;

        if (key_size > BLOCK) {
                if (crypto_sha256(key, key_size, block) < 0)
                        return -EIO;
        } else if (key_size > 0)
                memcpy(block, key, key_size);

        for (size_t i = 0; i < BLOCK; i++)
                pad[i] = block[i] ^ 0x36;
        if (SHA256_Init(&s->inner) != 1 || SHA256_Update(&s->inner, pad, BLOCK) != 1)
                goto finish;
        for (size_t i = 0; i < BLOCK; i++)
                pad[i] = block[i] ^ 0x5c;
        if (SHA256_Init(&s->outer) != 1 || SHA256_Update(&s->outer, pad, BLOCK) != 1)
                goto finish;
        r = 0;
finish:
        OPENSSL_cleanse(block, sizeof(block));
        OPENSSL_cleanse(pad, sizeof(pad));
        if (r < 0)
                crypto_hmac_key_done(k);
        return r;
}

void crypto_hmac_key_done(CryptoHmacKey *k) {
        if (k)
                OPENSSL_cleanse(k, sizeof(*k));
}

int crypto_hmac_sha256_with_key(const CryptoHmacKey *k, const void *data, size_t size,
                                uint8_t ret[static CRYPTO_SHA256_SIZE]) {
        const HmacState *s = (const HmacState *) k->state;
        uint8_t inner[CRYPTO_SHA256_SIZE];
        SHA256_CTX ctx = s->inner;
        int r = -EIO;

        if (SHA256_Update(&ctx, size > 0 ? data : "", size) != 1 || SHA256_Final(inner, &ctx) != 1)
                goto finish;
        ctx = s->outer;
        if (SHA256_Update(&ctx, inner, sizeof(inner)) != 1 || SHA256_Final(ret, &ctx) != 1)
                goto finish;
        r = 0;
finish:
        OPENSSL_cleanse(&ctx, sizeof(ctx));
        OPENSSL_cleanse(inner, sizeof(inner));
        return r;
}

int crypto_hmac_sha256(const void *key, size_t key_size, const void *data, size_t size,
                       uint8_t ret[static CRYPTO_SHA256_SIZE]) {
        CryptoHmacKey k;
        int r;

        r = crypto_hmac_key_init(&k, key, key_size);
        if (r >= 0)
                r = crypto_hmac_sha256_with_key(&k, data, size, ret);
        crypto_hmac_key_done(&k);
        return r;
}

int crypto_hmac_sha256_hex(const void *key, size_t key_size, const void *data, size_t size,
                           char ret[static CRYPTO_SHA256_HEX_SIZE]) {
        uint8_t mac[CRYPTO_SHA256_SIZE];
        int r;

        r = crypto_hmac_sha256(key, key_size, data, size, mac);
        if (r < 0)
                return r;
        crypto_hex_encode(mac, sizeof(mac), ret);
        return 0;
}

void crypto_hex_encode(const void *data, size_t size, char *ret) {
        static const char digits[] = "0123456789abcdef";
        const uint8_t *p = data;

        for (size_t i = 0; i < size; i++) {
                ret[2 * i] = digits[p[i] >> 4];
                ret[2 * i + 1] = digits[p[i] & 15];
        }
        ret[2 * size] = 0;
}

bool crypto_streq_consttime(const char *a, const char *b) {
        size_t n;

        if (!a || !b)
                return false;
        n = strlen(a);
        if (n != strlen(b))
                return false;
        return CRYPTO_memcmp(a, b, n) == 0;
}

int crypto_random_hex(size_t n_bytes, char **ret) {
        _cleanup_free_ uint8_t *buf = NULL;
        _cleanup_free_ char *s = NULL;

        if (n_bytes == 0 || n_bytes > 4096)
                return -EINVAL;
        buf = malloc(n_bytes);
        s = malloc(2 * n_bytes + 1);
        if (!buf || !s)
                return -ENOMEM;
        if (RAND_bytes(buf, (int) n_bytes) != 1)
                return -EIO;
        crypto_hex_encode(buf, n_bytes, s);
        *ret = TAKE_PTR(s);
        return 0;
}

int crypto_base64_encode(const void *data, size_t size, char **ret) {
        _cleanup_free_ char *s = NULL;
        int n;

        if (size > (size_t) INT32_MAX / 2)
                return -E2BIG;
        s = malloc(4 * ((size + 2) / 3) + 1);
        if (!s)
                return -ENOMEM;
        n = EVP_EncodeBlock((unsigned char *) s, size > 0 ? data : (const void *) "", (int) size);
        if (n < 0)
                return -EIO;
        s[n] = 0;
        *ret = TAKE_PTR(s);
        return 0;
}

static int base64_value(char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

/* Hand-written rather than EVP_DecodeBlock(), which accepts whitespace and cannot tell the
 * padding apart from zero bytes. */
int crypto_base64_decode(const char *s, void **ret, size_t *ret_size) {
        _cleanup_free_ uint8_t *out = NULL;
        size_t len = strlen(s), n = 0;

        if (len % 4 != 0)
                return -EINVAL;
        out = malloc(len / 4 * 3 + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < len; i += 4) {
                int v[4];
                size_t pad = 0;
                bool last = i + 4 == len;

                for (size_t j = 0; j < 4; j++) {
                        v[j] = base64_value(s[i + j]);
                        if (v[j] >= 0 && pad == 0)
                                continue;
                        /* '=' only in the last two places of the last quantum. */
                        if (s[i + j] != '=' || !last || j < 2)
                                return -EINVAL;
                        v[j] = 0;
                        pad++;
                }
                uint32_t q = (uint32_t) v[0] << 18 | (uint32_t) v[1] << 12 | (uint32_t) v[2] << 6 |
                             (uint32_t) v[3];
                out[n++] = q >> 16;
                if (pad < 2)
                        out[n++] = (q >> 8) & 0xff;
                if (pad < 1)
                        out[n++] = q & 0xff;
        }
        out[n] = 0;
        *ret = TAKE_PTR(out);
        *ret_size = n;
        return 0;
}
