/* SPDX-License-Identifier: MIT */
#pragma once

/* The few cryptographic primitives the request signers need, on OpenSSL libcrypto's EVP API:
 * SHA-256, HMAC-SHA256, MD5 (legacy FC Content-MD5), lower-case hex, base64, a constant-time
 * comparison and random nonces. Nothing here logs; errors are negative errno. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPTO_SHA256_SIZE 32
#define CRYPTO_SHA256_HEX_SIZE (2 * CRYPTO_SHA256_SIZE + 1) /* with the NUL */
#define CRYPTO_MD5_SIZE 16
#define CRYPTO_MD5_HEX_SIZE (2 * CRYPTO_MD5_SIZE + 1)

/* Hex of SHA-256("") — the payload hash of every request without a body. */
#define CRYPTO_SHA256_EMPTY_HEX "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Digests. data may be NULL when size is 0. Return 0, or -EIO when libcrypto fails. */
int crypto_sha256(const void *data, size_t size, uint8_t ret[static CRYPTO_SHA256_SIZE]);
int crypto_sha256_hex(const void *data, size_t size, char ret[static CRYPTO_SHA256_HEX_SIZE]);
int crypto_md5_hex(const void *data, size_t size, char ret[static CRYPTO_MD5_HEX_SIZE]);

/* HMAC-SHA256(key, data). */
int crypto_hmac_sha256(const void *key, size_t key_size, const void *data, size_t size,
                       uint8_t ret[static CRYPTO_SHA256_SIZE]);
int crypto_hmac_sha256_hex(const void *key, size_t key_size, const void *data, size_t size,
                           char ret[static CRYPTO_SHA256_HEX_SIZE]);

/* An HMAC-SHA256 key with its padded blocks already hashed: a key used for many messages (a
 * signing key) costs two compression rounds less per message. It is as secret as the key.
 * Plain memory (no allocation): copy it, keep it in a cache; crypto_hmac_key_done() wipes it.
 * init: 0 or -EIO. */
typedef struct CryptoHmacKey {
        _Alignas(8) unsigned char state[256];
} CryptoHmacKey;
int crypto_hmac_key_init(CryptoHmacKey *k, const void *key, size_t key_size);
void crypto_hmac_key_done(CryptoHmacKey *k);
int crypto_hmac_sha256_with_key(const CryptoHmacKey *k, const void *data, size_t size,
                                uint8_t ret[static CRYPTO_SHA256_SIZE]);

/* Lower-case hex of size bytes into ret, which must hold 2*size+1 bytes; NUL-terminated. */
void crypto_hex_encode(const void *data, size_t size, char *ret);

/* Equality of two NUL-terminated strings in time that depends only on their lengths, not on
 * where they first differ (signature comparison). NULL equals nothing. */
bool crypto_streq_consttime(const char *a, const char *b);

/* n_bytes random bytes from the OS CSPRNG, as 2*n_bytes lower-case hex (a fresh string).
 * 0 or -ENOMEM/-EIO/-EINVAL. */
int crypto_random_hex(size_t n_bytes, char **ret);

/* Standard base64 (RFC 4648 §4, with padding), a fresh string. */
int crypto_base64_encode(const void *data, size_t size, char **ret);
/* Strict decode: padding required, no whitespace. -EINVAL on bad input. ret is NUL-terminated
 * (not counted in ret_size) so text can be used directly. */
int crypto_base64_decode(const char *s, void **ret, size_t *ret_size);
