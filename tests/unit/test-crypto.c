/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/crypto.h"
#include "lib/macro.h"

static void test_sha256(void **state) {
        char hex[CRYPTO_SHA256_HEX_SIZE];
        uint8_t raw[CRYPTO_SHA256_SIZE];

        assert_int_equal(crypto_sha256_hex(NULL, 0, hex), 0);
        assert_string_equal(hex, CRYPTO_SHA256_EMPTY_HEX);
        /* ... which crypto_sha256_hex() gives without hashing: the constant is the digest. */
        assert_int_equal(crypto_sha256("", 0, raw), 0);
        crypto_hex_encode(raw, sizeof(raw), hex);
        assert_string_equal(hex, CRYPTO_SHA256_EMPTY_HEX);
        assert_int_equal(crypto_sha256_hex("abc", 3, hex), 0);
        assert_string_equal(hex,
                            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_int_equal(crypto_sha256("abc", 3, raw), 0);
        assert_int_equal(raw[0], 0xba);
        assert_int_equal(raw[31], 0xad);
        /* Huawei test 2 body: Go's JSON encoder adds a newline. */
        assert_int_equal(crypto_sha256_hex("{\"Name\":\"test\",\"Id\":1}\n", 23, hex), 0);
        assert_true(startswith(hex, "a29d7b4c"));
        assert_true(endswith(hex, "1289"));
}

static void test_md5(void **state) {
        char hex[CRYPTO_MD5_HEX_SIZE];

        assert_int_equal(crypto_md5_hex("", 0, hex), 0);
        assert_string_equal(hex, "d41d8cd98f00b204e9800998ecf8427e");
        assert_int_equal(crypto_md5_hex("abc", 3, hex), 0);
        assert_string_equal(hex, "900150983cd24fb0d6963f7d28e17f72");
}

/* RFC 4231 test cases 1 and 2. */
static void test_hmac(void **state) {
        char hex[CRYPTO_SHA256_HEX_SIZE];
        uint8_t key[20];

        memset(key, 0x0b, sizeof(key));
        assert_int_equal(crypto_hmac_sha256_hex(key, sizeof(key), "Hi There", 8, hex), 0);
        assert_string_equal(hex,
                            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
        assert_int_equal(crypto_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, hex),
                         0);
        assert_string_equal(hex,
                            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* A prepared key gives the same MAC as the one-shot function, message after message; RFC 4231
 * test case 6 has a key longer than a block (hashed first). */
static void test_hmac_key(void **state) {
        uint8_t key[131], mac[CRYPTO_SHA256_SIZE], once[CRYPTO_SHA256_SIZE];
        char hex[CRYPTO_SHA256_HEX_SIZE];
        const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
        CryptoHmacKey k;

        memset(key, 0xaa, sizeof(key));
        assert_int_equal(crypto_hmac_key_init(&k, key, sizeof(key)), 0);
        for (unsigned i = 0; i < 3; i++) {
                assert_int_equal(crypto_hmac_sha256_with_key(&k, msg, strlen(msg), mac), 0);
                crypto_hex_encode(mac, sizeof(mac), hex);
                assert_string_equal(
                        hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
        }
        assert_int_equal(crypto_hmac_sha256_with_key(&k, "abc", 3, mac), 0);
        assert_int_equal(crypto_hmac_sha256(key, sizeof(key), "abc", 3, once), 0);
        assert_memory_equal(mac, once, sizeof(mac));
        assert_int_equal(crypto_hmac_sha256_with_key(&k, NULL, 0, mac), 0);
        assert_int_equal(crypto_hmac_sha256(key, sizeof(key), "", 0, once), 0);
        assert_memory_equal(mac, once, sizeof(mac));
        crypto_hmac_key_done(&k);
}

static void test_hex_consttime(void **state) {
        char hex[7];

        crypto_hex_encode("\x00\xab\xff", 3, hex);
        assert_string_equal(hex, "00abff");
        assert_true(crypto_streq_consttime("abc", "abc"));
        assert_false(crypto_streq_consttime("abc", "abd"));
        assert_false(crypto_streq_consttime("abc", "abcd"));
        assert_false(crypto_streq_consttime(NULL, "abc"));
        assert_true(crypto_streq_consttime("", ""));
}

static void test_random_hex(void **state) {
        _cleanup_free_ char *a = NULL, *b = NULL;

        assert_int_equal(crypto_random_hex(16, &a), 0);
        assert_int_equal(crypto_random_hex(16, &b), 0);
        assert_int_equal(strlen(a), 32);
        assert_int_equal(strspn(a, "0123456789abcdef"), 32);
        assert_string_not_equal(a, b);
        assert_int_equal(crypto_random_hex(0, &a), -EINVAL);
}

static void test_base64(void **state) {
        static const struct {
                const char *plain, *encoded;
        } v[] = {
                /* RFC 4648 §10 */
                { "", "" },
                { "f", "Zg==" },
                { "fo", "Zm8=" },
                { "foo", "Zm9v" },
                { "foob", "Zm9vYg==" },
                { "fooba", "Zm9vYmE=" },
                { "foobar", "Zm9vYmFy" },
        };

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                _cleanup_free_ char *e = NULL;
                _cleanup_free_ void *d = NULL;
                size_t n;

                assert_int_equal(crypto_base64_encode(v[i].plain, strlen(v[i].plain), &e), 0);
                assert_string_equal(e, v[i].encoded);
                assert_int_equal(crypto_base64_decode(v[i].encoded, &d, &n), 0);
                assert_int_equal(n, strlen(v[i].plain));
                assert_memory_equal(d, v[i].plain, n);
        }
        static const char *const bad[] = { "Zg=",  "Zg=a", "Z===",    "Zm9v\n",
                                           "Zm 9", "=Zm9", "Zg==Zg==" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                void *d = NULL;
                size_t n;
                assert_int_equal(crypto_base64_decode(bad[i], &d, &n), -EINVAL);
                assert_null(d);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sha256),        cmocka_unit_test(test_md5),
                cmocka_unit_test(test_hmac),          cmocka_unit_test(test_hmac_key),
                cmocka_unit_test(test_hex_consttime), cmocka_unit_test(test_random_hex),
                cmocka_unit_test(test_base64),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
