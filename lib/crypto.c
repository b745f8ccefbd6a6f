/* SPDX-License-Identifier: MIT */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <sys/random.h>

#include "lib/crypto.h"
#include "lib/macro.h"

/* The digests are fetched once per process: an implicit fetch on every call (EVP_Digest with
 * EVP_get_digestbyname, EVP_Q_mac) goes through the provider store's locks and was most of the
 * emulator's signature-checking time. EVP_MD objects are reference counted and thread safe. */
static EVP_MD *md_sha256, *md_md5;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void digests_fetch(void) {
        md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
        md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
}

static const EVP_MD *digest_get(const char *name) {
        (void) pthread_once(&md_once, digests_fetch);
        return streq(name, "MD5") ? md_md5 : md_sha256;
}

static int digest(const char *name, const void *data, size_t size, uint8_t *ret, size_t ret_size) {
        const EVP_MD *md = digest_get(name);
        unsigned out_size = 0;

        if (!md || EVP_Digest(size > 0 ? data : "", size, ret, &out_size, md, NULL) != 1)
                return -EIO;
        return out_size == ret_size ? 0 : -EIO;
}

int crypto_sha256(const void *data, size_t size, uint8_t ret[static CRYPTO_SHA256_SIZE]) {
        return digest("SHA256", data, size, ret, CRYPTO_SHA256_SIZE);
}

int crypto_sha256_hex(const void *data, size_t size, char ret[static CRYPTO_SHA256_HEX_SIZE]) {
        uint8_t md[CRYPTO_SHA256_SIZE];
        int r;

        r = crypto_sha256(data, size, md);
        if (r < 0)
                return r;
        crypto_hex_encode(md, sizeof(md), ret);
        return 0;
}

int crypto_md5_hex(const void *data, size_t size, char ret[static CRYPTO_MD5_HEX_SIZE]) {
        uint8_t md[CRYPTO_MD5_SIZE];
        int r;

        r = digest("MD5", data, size, md, sizeof(md));
        if (r < 0)
                return r;
        crypto_hex_encode(md, sizeof(md), ret);
        return 0;
}

/* HMAC-SHA256 (RFC 2104) over the once-fetched digest: H((K^opad) || H((K^ipad) || m)). */
int crypto_hmac_sha256(const void *key, size_t key_size, const void *data, size_t size,
                       uint8_t ret[static CRYPTO_SHA256_SIZE]) {
        enum { BLOCK = 64 };
        const EVP_MD *md = digest_get("SHA256");
        uint8_t k[BLOCK] = {}, pad[BLOCK], inner[CRYPTO_SHA256_SIZE];
        EVP_MD_CTX *ctx;
        int r = -EIO;

        if (!md)
                return -EIO;
        if (key_size > BLOCK) {
                if (digest("SHA256", key, key_size, k, CRYPTO_SHA256_SIZE) < 0)
                        return -EIO;
        } else if (key_size > 0)
                memcpy(k, key, key_size);

        ctx = EVP_MD_CTX_new();
        if (!ctx)
                return -ENOMEM;
        for (size_t i = 0; i < BLOCK; i++)
                pad[i] = k[i] ^ 0x36;
        if (EVP_DigestInit_ex2(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, pad, BLOCK) != 1 ||
            EVP_DigestUpdate(ctx, size > 0 ? data : "", size) != 1 ||
            EVP_DigestFinal_ex(ctx, inner, NULL) != 1)
                goto finish;
        for (size_t i = 0; i < BLOCK; i++)
                pad[i] = k[i] ^ 0x5c;
        if (EVP_DigestInit_ex2(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, pad, BLOCK) != 1 ||
            EVP_DigestUpdate(ctx, inner, sizeof(inner)) != 1 ||
            EVP_DigestFinal_ex(ctx, ret, NULL) != 1)
                goto finish;
        r = 0;
finish:
        EVP_MD_CTX_free(ctx);
        OPENSSL_cleanse(k, sizeof(k));
        OPENSSL_cleanse(pad, sizeof(pad));
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
