/* SPDX-License-Identifier: MIT */
/* Alibaba FC3 and FC2 back ends: parsers with Alibaba's quirks, exact body bytes (as the
 * official SDKs sent them, docs/wire-samples.md), request building and ACS3 signing
 * (docs/cloud-apis.md 2.6 derived vector). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cloud-test.h"

#define T_2024 ((time_t) 1704067200) /* 2024-01-01T00:00:00Z */
static TestCreds ali_creds = { "YourAccessKeyId", "YourAccessKeySecret", NULL };
static TestCreds ali_sts = { "STS.id", "YourAccessKeySecret", "ststoken" };
static const CloudAccount fc3_account = { .name = "ali",
                                          .api = CLOUD_API_FC3,
                                          .region = "cn-hangzhou" };
static const CloudAccount fc2_account = { .name = "ali2",
                                          .api = CLOUD_API_FC2,
                                          .region = "cn-hangzhou",
                                          .account_id = "1234567890123456" };

static void test_parse_fc3_config(void **state) {
        AsyncConfig c = parse_ok(
                cloud_ops_fc3.parse_config,
                "{\"asyncTask\":true,\"createdTime\":\"2024-01-01T00:00:00Z\","
                "\"destinationConfig\":{\"onFailure\":{\"destination\":\"acs:fc:cn-shanghai:123:functions/f1\"},"
                "\"onSuccess\":{\"destination\":null}},\"functionArn\":\"acs:fc:cn-shanghai:123:functions/my\","
                "\"lastModifiedTime\":\"2024-01-01T00:00:01Z\",\"maxAsyncEventAgeInSeconds\":0,\"maxAsyncRetryAttempts\":3}");

        assert_true(c.has_async_task);
        assert_true(c.async_task);
        assert_true(c.has_max_event_age);
        assert_int_equal(c.max_event_age_seconds, 0);
        assert_int_equal(c.max_retry_attempts, 3);
        assert_null(c.on_success.target);
        assert_string_equal(c.on_failure.target, "acs:fc:cn-shanghai:123:functions/f1");
        async_config_done(&c);

        /* FC3 does not know statefulInvocation: ignored */
        c = parse_ok(cloud_ops_fc3.parse_config, "{\"statefulInvocation\":true}");
        assert_absent(&c);
}

static void test_parse_fc2_config(void **state) {
        AsyncConfig c = parse_ok(
                cloud_ops_fc2.parse_config,
                "{\"service\":\"s\",\"function\":\"f\",\"qualifier\":\"LATEST\",\"createdTime\":\"x\",\"lastModifiedTime\":\"y\","
                "\"destinationConfig\":{\"onSuccess\":{\"destination\":\"acs:mns:cn-hangzhou:123:/topics/t/messages\"},\"onFailure\":null},"
                "\"maxAsyncEventAgeInSeconds\":3600,\"maxAsyncRetryAttempts\":0,\"statefulInvocation\":false}");

        assert_true(c.has_async_task);
        assert_false(c.async_task);
        assert_int_equal(c.max_retry_attempts, 0);
        assert_true(c.has_max_retry_attempts);
        assert_string_equal(c.on_success.target, "acs:mns:cn-hangzhou:123:/topics/t/messages");
        assert_null(c.on_failure.target);
        async_config_done(&c);
}

static void test_parse_absent_forms(void **state) {
        static const char *const bodies[] = {
                "{}",
                "{\"destinationConfig\":null}",
                "{\"destinationConfig\":{}}",
                "{\"destinationConfig\":{\"onFailure\":{\"destination\":null},\"onSuccess\":{\"destination\":null}}}",
                "{\"destinationConfig\":{\"onFailure\":{},\"onSuccess\":{\"destination\":\"\"}}}",
                "{\"maxAsyncEventAgeInSeconds\":null,\"maxAsyncRetryAttempts\":null,\"asyncTask\":null,\"statefulInvocation\":null}",
        };

        for (size_t i = 0; i < ELEMENTSOF(bodies); i++) {
                AsyncConfig c = parse_ok(cloud_ops_fc3.parse_config, bodies[i]);
                assert_absent(&c);
                c = parse_ok(cloud_ops_fc2.parse_config, bodies[i]);
                assert_absent(&c);
        }
}

static void test_parse_malformed(void **state) {
        static const char *const bodies[] = {
                "",
                "[]",
                "null",
                "{\"maxAsyncRetryAttempts\":\"3\"}",
                "{\"maxAsyncEventAgeInSeconds\":1.5}",
                "{\"destinationConfig\":[]}",
                "{\"destinationConfig\":{\"onFailure\":\"acs:x\"}}",
                "{\"destinationConfig\":{\"onFailure\":{\"destination\":true}}}",
        };

        for (size_t i = 0; i < ELEMENTSOF(bodies); i++) {
                parse_bad(cloud_ops_fc3.parse_config, bodies[i]);
                parse_bad(cloud_ops_fc2.parse_config, bodies[i]);
        }
        parse_bad(cloud_ops_fc3.parse_config, "{\"asyncTask\":\"true\"}");
        parse_bad(cloud_ops_fc2.parse_config, "{\"statefulInvocation\":1}");
        assert_truncations_fail(cloud_ops_fc3.parse_config,
                                "{\"asyncTask\":false,\"maxAsyncRetryAttempts\":2}");
}

static void test_parse_lists(void **state) {
        static const char fc3[] =
                "{\"configs\":[{\"functionArn\":\"acs:fc:cn-hangzhou:123:functions/my-func\",\"maxAsyncRetryAttempts\":1},"
                "{\"functionArn\":\"acs:fc:cn-hangzhou:123:functions/my-func\",\"qualifier\":\"prod\",\"asyncTask\":true},"
                "{\"functionArn\":\"acs:fc:cn-hangzhou:123:functions/my-func-2/test\",\"maxAsyncRetryAttempts\":5}],"
                "\"nextToken\":\"NEXT\"}";
        static const char fc2[] =
                "{\"configs\":[{\"service\":\"s\",\"function\":\"f\",\"qualifier\":\"v1\",\"maxAsyncRetryAttempts\":2,"
                "\"destinationConfig\":{\"onSuccess\":{\"destination\":null},\"onFailure\":{\"destination\":null}}}],"
                "\"nextToken\":\"\"}";
        CloudConfigList l = {};

        assert_int_equal(cloud_ops_fc3.parse_list(fc3, strlen(fc3), &l), 0);
        assert_int_equal(l.n_items, 3);
        /* A bare functionArn (the documented example) does not say its qualifier: none is
         * guessed (DESIGN.md §3.12). */
        assert_null(l.items[0].qualifier);
        assert_string_equal(l.items[0].function, "my-func");
        assert_string_equal(l.items[1].qualifier, "prod");
        assert_true(l.items[1].config.async_task);
        assert_string_equal(l.items[2].function, "my-func-2");
        assert_string_equal(l.items[2].qualifier, "test");
        assert_string_equal(l.next_token, "NEXT");
        cloud_config_list_done(&l);

        assert_int_equal(cloud_ops_fc2.parse_list(fc2, strlen(fc2), &l), 0);
        assert_int_equal(l.n_items, 1);
        assert_string_equal(l.items[0].qualifier, "v1");
        assert_null(l.items[0].function);
        assert_null(l.items[0].config.on_success.target);
        assert_null(l.next_token); /* "" ends the list */
        cloud_config_list_done(&l);

        static const char *const bad[] = {
                "{\"configs\":{}}",
                "{\"configs\":[\"x\"]}",
                "{\"nextToken\":1}",
                "{\"configs\":[{\"qualifier\":5}]}",
                "{\"configs\":[{\"functionArn\":\"acs:fc:r:1:services/x\"}]}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(cloud_ops_fc3.parse_list(bad[i], strlen(bad[i]), &l), -EBADMSG);
}

static void test_parse_qualifiers(void **state) {
        static const char versions[] =
                "{\"versions\":[{\"versionId\":\"1\",\"description\":\"\"},{\"versionId\":\"2\"}],"
                "\"direction\":\"FORWARD\",\"nextToken\":\"2\"}";
        static const char aliases[] =
                "{\"aliases\":[{\"aliasName\":\"prod\",\"versionId\":\"2\"}]}";
        static const char *const bad[] = { "{\"versions\":[{}]}",
                                           "{\"versions\":[{\"versionId\":1}]}", "[]",
                                           "{\"versions\":{}}" };
        CloudConfigList l = {};

        assert_int_equal(cloud_ops_fc3.parse_qualifiers(CLOUD_OP_LIST_VERSIONS, versions,
                                                        strlen(versions), &l),
                         0);
        assert_int_equal(l.n_items, 2);
        assert_string_equal(l.items[0].qualifier, "1");
        assert_string_equal(l.items[1].qualifier, "2");
        assert_string_equal(l.next_token, "2");
        cloud_config_list_done(&l);
        assert_int_equal(
                cloud_ops_fc3.parse_qualifiers(CLOUD_OP_LIST_ALIASES, aliases, strlen(aliases), &l),
                0);
        assert_int_equal(l.n_items, 1);
        assert_string_equal(l.items[0].qualifier, "prod");
        assert_null(l.next_token);
        cloud_config_list_done(&l);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(cloud_ops_fc3.parse_qualifiers(CLOUD_OP_LIST_VERSIONS, bad[i],
                                                                strlen(bad[i]), &l),
                                 -EBADMSG);
}

static void test_serialize(void **state) {
        AsyncConfig c = {
                .has_max_retry_attempts = true,
                .max_retry_attempts = 2,
                .has_max_event_age = true,
                .max_event_age_seconds = 3600,
                .on_success.target =
                        (char *) "acs:mns:cn-hangzhou:1234567890123456:/queues/ok/messages",
                .on_failure.target =
                        (char *) "acs:fc:cn-hangzhou:1234567890123456:functions/on-fail",
                .has_async_task = true,
                .async_task = false,
                .has_async_status_log = true,
                .async_status_log = true, /* Huawei's: never sent */
        };
        char h[CRYPTO_SHA256_HEX_SIZE];

        _cleanup_free_ char *a = serialize(&cloud_ops_fc3, &c);
        assert_string_equal(
                a,
                "{\"asyncTask\":false,\"destinationConfig\":{\"onFailure\":{\"destination\":\"acs:fc:cn-hangzhou:1234567890123456:functions/on-fail\"},\"onSuccess\":{\"destination\":\"acs:mns:cn-hangzhou:1234567890123456:/queues/ok/messages\"}},\"maxAsyncEventAgeInSeconds\":3600,\"maxAsyncRetryAttempts\":2}");
        assert_int_equal(crypto_sha256_hex(a, strlen(a), h), 0);
        assert_string_equal(h, "57b5f2ec9ed2234a8ca89d678b8319bc3d21e72041fbca1cafb4449256ab123b");

        c.on_failure.target =
                (char *) "acs:fc:cn-hangzhou:1234567890123456:services/my-service/functions/on-fail";
        _cleanup_free_ char *b = serialize(&cloud_ops_fc2, &c);
        assert_string_equal(
                b,
                "{\"destinationConfig\":{\"onFailure\":{\"destination\":\"acs:fc:cn-hangzhou:1234567890123456:services/my-service/functions/on-fail\"},\"onSuccess\":{\"destination\":\"acs:mns:cn-hangzhou:1234567890123456:/queues/ok/messages\"}},\"maxAsyncEventAgeInSeconds\":3600,\"maxAsyncRetryAttempts\":2,\"statefulInvocation\":false}");
        assert_int_equal(crypto_sha256_hex(b, strlen(b), h), 0);
        assert_string_equal(h, "1bca491753129d1ee7537a4b701df4d369329b57836863451b4596bda9b8a220");

        AsyncConfig zero = { .has_max_retry_attempts = true };
        _cleanup_free_ char *z = serialize(&cloud_ops_fc3, &zero);
        assert_string_equal(z, "{\"maxAsyncRetryAttempts\":0}");

        AsyncConfig back = parse_ok(cloud_ops_fc2.parse_config, b);
        assert_true(back.has_async_task);
        assert_false(back.async_task);
        assert_true(destination_equal(&back.on_failure, &c.on_failure));
        async_config_done(&back);
}

/* docs/cloud-apis.md 2.6 "Realistic FC3 GET vector" through our builder. */
static void test_request_fc3_get_vector(void **state) {
        _cleanup_(cloud_client_unrefp) CloudClient *c = test_client(&fc3_account);
        _cleanup_(cloud_request_done) CloudRequest r = {};
        _cleanup_free_ char *h = NULL;

        test_build(c, CLOUD_OP_GET, "my-func", NULL, NULL, NULL, &ali_creds, T_2024,
                   "3156853299f313e23d1673dc12e1703d", &r);
        assert_string_equal(r.base_url, "https://fcv3.cn-hangzhou.aliyuncs.com");
        assert_request_target(&r,
                              "/2023-03-30/functions/my-func/async-invoke-config?qualifier=LATEST");
        h = request_headers(&r);
        assert_true(startswith(
                h,
                "Host: fcv3.cn-hangzhou.aliyuncs.com\n"
                "x-acs-action: GetAsyncInvokeConfig\n"
                "x-acs-version: 2023-03-30\n"
                "x-acs-date: 2024-01-01T00:00:00Z\n"
                "x-acs-signature-nonce: 3156853299f313e23d1673dc12e1703d\n"
                "x-acs-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "accept: application/json\n"
                "Authorization: ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature="));
        assert_string_equal(request_signature(&r),
                            "4f11fc742962772cd088589e7edcd29baaf1def8e2da09477044c5d7817ce481");
}

static void test_request_fc3_ops(void **state) {
        _cleanup_(cloud_client_unrefp) CloudClient *c = test_client(&fc3_account);
        _cleanup_(cloud_request_done) CloudRequest put = {}, del = {}, list = {}, list2 = {};
        AsyncConfig d = { .has_max_retry_attempts = true };

        test_build(c, CLOUD_OP_PUT, "my fn", "prod", &d, NULL, &ali_sts, T_2024, "abc", &put);
        assert_string_equal(put.method, "PUT");
        assert_request_target(&put,
                              "/2023-03-30/functions/my%20fn/async-invoke-config?qualifier=prod");
        assert_string_equal(cloud_request_header(&put, "x-acs-action"), "PutAsyncInvokeConfig");
        assert_string_equal(cloud_request_header(&put, "content-type"),
                            "application/json; charset=utf-8");
        assert_string_equal(cloud_request_header(&put, "x-acs-security-token"), "ststoken");
        assert_string_equal(cloud_request_header(&put, "x-acs-accesskey-id"), "STS.id");
        assert_body_sha256(&put, cloud_request_header(&put, "x-acs-content-sha256"));
        assert_non_null(strstr(
                cloud_request_header(&put, "Authorization"),
                "SignedHeaders=content-type;host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,"));

        test_build(c, CLOUD_OP_DELETE, "f", NULL, NULL, NULL, &ali_creds, T_2024, "abc", &del);
        assert_string_equal(del.method, "DELETE");
        assert_string_equal(cloud_request_header(&del, "x-acs-action"), "DeleteAsyncInvokeConfig");
        assert_null(cloud_request_header(&del, "content-type"));

        test_build(c, CLOUD_OP_LIST, "f", "x", NULL, NULL, &ali_creds, T_2024, "abc", &list);
        assert_request_target(&list, "/2023-03-30/async-invoke-configs?functionName=f&limit=100");
        assert_string_equal(cloud_request_header(&list, "x-acs-action"), "ListAsyncInvokeConfigs");
        test_build(c, CLOUD_OP_LIST, "f", NULL, NULL, "a+b", &ali_creds, T_2024, "abc", &list2);
        assert_request_target(
                &list2,
                "/2023-03-30/async-invoke-configs?functionName=f&limit=100&nextToken=a%2Bb");

        CloudRequest r = {};
        CloudTarget t = { .function = "svc/f" };
        CloudCredentials cc = { "a", "b", NULL };
        assert_int_equal(
                cloud_client_build_request(c, CLOUD_OP_GET, &t, NULL, NULL, &cc, T_2024, "n", &r),
                -EINVAL);
        t.function = "f";
        assert_int_equal(
                cloud_client_build_request(c, CLOUD_OP_GET, &t, NULL, NULL, &cc, T_2024, "", &r),
                -EINVAL);
}

static void test_request_fc2_ops(void **state) {
        _cleanup_(cloud_client_unrefp) CloudClient *c = test_client(&fc2_account);
        _cleanup_(cloud_request_done) CloudRequest get = {}, put = {}, list = {};
        AsyncConfig d = { .has_async_task = true, .async_task = true };

        test_build(c, CLOUD_OP_GET, "my-service/my-function", NULL, NULL, NULL, &ali_creds, T_2024,
                   "n", &get);
        assert_string_equal(get.base_url, "https://1234567890123456.cn-hangzhou.fc.aliyuncs.com");
        assert_request_target(
                &get,
                "/2021-04-06/services/my-service/functions/my-function/async-invoke-config?qualifier=LATEST");
        assert_string_equal(cloud_request_header(&get, "x-acs-action"),
                            "GetFunctionAsyncInvokeConfig");
        assert_string_equal(cloud_request_header(&get, "x-acs-version"), "2021-04-06");

        test_build(c, CLOUD_OP_PUT, "my-service/my-function", "v1", &d, NULL, &ali_creds, T_2024,
                   "n", &put);
        assert_string_equal(put.body, "{\"statefulInvocation\":true}");
        assert_string_equal(cloud_request_header(&put, "x-acs-action"),
                            "PutFunctionAsyncInvokeConfig");

        test_build(c, CLOUD_OP_LIST, "my-service/my-function", NULL, NULL, "t", &ali_creds, T_2024,
                   "n", &list);
        assert_request_target(
                &list,
                "/2021-04-06/services/my-service/functions/my-function/async-invoke-configs?limit=100&nextToken=t");
        assert_string_equal(cloud_request_header(&list, "x-acs-action"),
                            "ListFunctionAsyncInvokeConfigs");

        static const char *const bad[] = { "f", "/f", "s/", "a/b/c" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CloudRequest r = {};
                CloudTarget t = { .function = bad[i] };
                CloudCredentials cc = { "a", "b", NULL };
                assert_int_equal(cloud_client_build_request(c, CLOUD_OP_GET, &t, NULL, NULL, &cc,
                                                            T_2024, "n", &r),
                                 -EINVAL);
        }

        /* FC2 without an account id has no host (unless the endpoint is overridden) */
        CloudAccount a = fc2_account;
        CloudClient *x = NULL;
        a.account_id = NULL;
        a.credentials = test_creds_get;
        assert_int_equal(cloud_client_new(NULL, &a, &x), -EINVAL);
        a.endpoint = "http://127.0.0.1:1";
        assert_int_equal(cloud_client_new(NULL, &a, &x), 0);
        cloud_client_unref(x);
}

/* FC is addressed by name: an ARN (which carries a region and an account) is refused, never
 * sent in the path. */
static void test_check_target(void **state) {
        _cleanup_free_ char *msg = NULL;
        _cleanup_(cloud_client_unrefp) CloudClient *c = test_client(&fc3_account);
        CloudTarget t = { .function = "acs:fc:cn-shanghai:1234567890123456:functions/f" };
        CloudCredentials cc = { "a", "b", NULL };
        CloudRequest r = {};

        assert_int_equal(cloud_ops_fc3.check_target(&fc3_account, "f", NULL), 0);
        assert_int_equal(cloud_ops_fc2.check_target(&fc2_account, "s/f", NULL), 0);
        assert_int_equal(cloud_ops_fc3.check_target(&fc3_account, t.function, &msg), -EINVAL);
        assert_non_null(strstr(msg, "is an ARN"));
        assert_int_equal(
                cloud_client_build_request(c, CLOUD_OP_GET, &t, NULL, NULL, &cc, 0, "n", &r),
                -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_fc3_config),
                cmocka_unit_test(test_parse_fc2_config),
                cmocka_unit_test(test_parse_absent_forms),
                cmocka_unit_test(test_parse_malformed),
                cmocka_unit_test(test_parse_lists),
                cmocka_unit_test(test_parse_qualifiers),
                cmocka_unit_test(test_serialize),
                cmocka_unit_test(test_request_fc3_get_vector),
                cmocka_unit_test(test_request_fc3_ops),
                cmocka_unit_test(test_request_fc2_ops),
                cmocka_unit_test(test_check_target),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
