/* SPDX-License-Identifier: MIT */
#pragma once

/* Helpers shared by the cloud back-end tests (test-cloud-*.c): clients with fixed credentials,
 * building a request at a fixed time, and asserting on its parts. Included after cmocka.h. */

#include <jansson.h>

#include "clouds/cloud.h"
#include "lib/crypto.h"

typedef struct TestCreds {
        const char *ak, *sk, *token;
} TestCreds;

static int test_creds_get(void *userdata, CloudCredentials *ret) {
        const TestCreds *t = userdata;

        if (!t->ak)
                return -ENOKEY;
        *ret = (CloudCredentials){ .access_key_id = t->ak, .secret = t->sk, .token = t->token };
        return 0;
}

static TestCreds test_creds_none = {};

/* A client for building requests only (no engine). */
static _unused_ CloudClient *test_client(const CloudAccount *proto) {
        CloudAccount a = *proto;
        CloudClient *c = NULL;

        if (!a.credentials) {
                a.credentials = test_creds_get;
                a.credentials_userdata = &test_creds_none;
        }
        assert_int_equal(cloud_client_new(NULL, &a, &c), 0);
        return c;
}

static _unused_ void test_build(CloudClient *c, CloudOp op, const char *function,
                                const char *qualifier, const AsyncConfig *desired,
                                const char *token, const TestCreds *creds, time_t now,
                                const char *nonce, CloudRequest *ret) {
        CloudTarget t = { .function = function, .qualifier = qualifier };
        CloudCredentials cc = { creds->ak, creds->sk, creds->token };

        assert_int_equal(
                cloud_client_build_request(c, op, &t, desired, token, &cc, now, nonce, ret), 0);
}

/* The URL minus its base, i.e. path and query as on the wire. */
static _unused_ void assert_request_target(const CloudRequest *r, const char *expected) {
        _cleanup_free_ char *url = NULL;

        assert_int_equal(cloud_request_url(r, &url), 0);
        assert_true(startswith(url, r->base_url));
        assert_string_equal(url + strlen(r->base_url), expected);
}

/* "name: value\n" for every header in order, Authorization's signature cut after "Signature=". */
static _unused_ char *request_headers(const CloudRequest *r) {
        char *s = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&s, &n);

        assert_non_null(f);
        for (size_t i = 0; i < r->n_headers; i++)
                fprintf(f, "%s: %s\n", r->headers[i].name, r->headers[i].value);
        fclose(f);
        return s;
}

static _unused_ const char *request_signature(const CloudRequest *r) {
        const char *a = cloud_request_header(r, "Authorization"), *s;

        assert_non_null(a);
        s = strstr(a, "Signature=");
        assert_non_null(s);
        return s + strlen("Signature=");
}

static _unused_ void assert_body_sha256(const CloudRequest *r, const char *hex) {
        char h[CRYPTO_SHA256_HEX_SIZE];

        assert_int_equal(crypto_sha256_hex(r->body, r->body_size, h), 0);
        assert_string_equal(h, hex);
}

typedef int (*TestConfigParser)(const char *body, size_t size, AsyncConfig *ret);
typedef int (*TestListParser)(const char *body, size_t size, CloudConfigList *ret);

static _unused_ AsyncConfig parse_ok(TestConfigParser p, const char *body) {
        AsyncConfig c = {};

        assert_int_equal(p(body, strlen(body), &c), 0);
        return c;
}

static _unused_ void parse_bad(TestConfigParser p, const char *body) {
        AsyncConfig c = { .has_max_retry_attempts = true, .max_retry_attempts = 77 };

        assert_int_equal(p(body, strlen(body), &c), -EBADMSG);
        /* untouched on failure */
        assert_true(c.has_max_retry_attempts);
        assert_int_equal(c.max_retry_attempts, 77);
}

static _unused_ void assert_absent(const AsyncConfig *c) {
        assert_false(c->has_max_retry_attempts);
        assert_false(c->has_max_event_age);
        assert_null(c->on_success.target);
        assert_null(c->on_failure.target);
        assert_false(c->has_async_task);
        assert_false(c->has_async_status_log);
}

static _unused_ char *serialize(const CloudOps *ops, const AsyncConfig *c) {
        char *s = NULL;
        size_t n = 0;

        assert_int_equal(ops->serialize_config(c, &s, &n), 0);
        assert_int_equal(strlen(s), n);
        return s;
}

/* Every truncation of a good body is malformed, never a config. */
static _unused_ void assert_truncations_fail(TestConfigParser p, const char *body) {
        for (size_t n = 0; n < strlen(body); n++) {
                AsyncConfig c = {};
                int r = p(body, n, &c);
                assert_int_equal(r, -EBADMSG);
        }
}
