/* SPDX-License-Identifier: MIT */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/random.h>

#include "lib/crypto.h"
#include "lib/macro.h"

static int digest(const char *name, const void *data, size_t size, uint8_t *ret, size_t ret_size) {
        unsigned out_size = 0;

        /* EVP_Digest() with the implicit default fetch: one call, no context to leak. */
        if (EVP_Digest(size > 0 ? data : "", size, ret, &out_size, EVP_get_digestbyname(name),
                       NULL) != 1)
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

int crypto_hmac_sha256(const void *key, size_t key_size, const void *data, size_t size,
                       uint8_t ret[static CRYPTO_SHA256_SIZE]) {
        size_t out_size = 0;

        /* EVP_Q_mac() (OpenSSL 3) is the non-deprecated one-shot MAC. */
        if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key_size > 0 ? key : "", key_size,
                       size > 0 ? data : "", size, ret, CRYPTO_SHA256_SIZE, &out_size))
                return -EIO;
        return out_size == CRYPTO_SHA256_SIZE ? 0 : -EIO;
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
