/* SPDX-License-Identifier: MIT */
/* AWS Lambda back end: parsers with AWS's quirks, exact body bytes, request building and
 * signing against docs/cloud-apis.md 1.7 and docs/wire-samples.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cloud-test.h"

#define T_20150830 ((time_t) 1440938160) /* 20150830T123600Z */
static TestCreds aws_creds = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL };
static TestCreds aws_sts = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                             "SESSIONTOKEN" };
static const CloudAccount aws_account = { .name = "aws-test",
                                          .api = CLOUD_API_AWS_LAMBDA,
                                          .region = "us-east-1" };

static void test_parse_config_full(void **state) {
        AsyncConfig c = parse_ok(
                cloud_ops_aws.parse_config,
                "{\"LastModified\": 1577824406.719,"
                " \"FunctionArn\": \"arn:aws:lambda:us-east-2:123456789012:function:my-function:$LATEST\","
                " \"MaximumRetryAttempts\": 0, \"MaximumEventAgeInSeconds\": 3600,"
                " \"DestinationConfig\": {\"OnSuccess\": {}, \"OnFailure\": {\"Destination\": \"arn:aws:sqs:us-east-2:123456789012:dlq\"}}}");

        assert_true(c.has_max_retry_attempts);
        assert_int_equal(c.max_retry_attempts, 0); /* 0 is a value */
        assert_true(c.has_max_event_age);
        assert_int_equal(c.max_event_age_seconds, 3600);
        assert_null(c.on_success.target);
        assert_string_equal(c.on_failure.target, "arn:aws:sqs:us-east-2:123456789012:dlq");
        assert_null(c.on_failure.param);
        async_config_done(&c);
}

static void test_parse_config_absent_forms(void **state) {
        static const char *const bodies[] = {
                "{}",
                "{\"DestinationConfig\": null}",
                "{\"DestinationConfig\": {}}",
                "{\"DestinationConfig\": {\"OnSuccess\": {}, \"OnFailure\": {}}}",
                "{\"DestinationConfig\": {\"OnSuccess\": {\"Destination\": null}, \"OnFailure\": {\"Destination\": null}}}",
                "{\"DestinationConfig\": {\"OnSuccess\": null, \"OnFailure\": {\"Destination\": \"\"}}}",
                "{\"MaximumRetryAttempts\": null, \"MaximumEventAgeInSeconds\": null, \"LastModified\": 1700000000.123}",
                "{\"FunctionArn\": \"arn:aws:lambda:us-east-1:1:function:f\", \"Unknown\": [1, 2]}",
        };

        for (size_t i = 0; i < ELEMENTSOF(bodies); i++) {
                AsyncConfig c = parse_ok(cloud_ops_aws.parse_config, bodies[i]);
                assert_absent(&c);
                async_config_done(&c);
        }
}

static void test_parse_config_malformed(void **state) {
        static const char *const bodies[] = {
                "",
                "null",
                "[]",
                "\"x\"",
                "{\"MaximumRetryAttempts\": \"2\"}",
                "{\"MaximumRetryAttempts\": 2.5}",
                "{\"MaximumRetryAttempts\": true}",
                "{\"MaximumEventAgeInSeconds\": {}}",
                "{\"DestinationConfig\": []}",
                "{\"DestinationConfig\": \"x\"}",
                "{\"DestinationConfig\": {\"OnSuccess\": \"arn\"}}",
                "{\"DestinationConfig\": {\"OnFailure\": {\"Destination\": 5}}}",
                "{\"MaximumRetryAttempts\": 1, \"MaximumRetryAttempts\": 2}",
                "{\"MaximumRetryAttempts\": 99999999999999999999999}",
                "{} trailing",
                "{\"a\": \"\\u0000\"}",
        };

        for (size_t i = 0; i < ELEMENTSOF(bodies); i++)
                parse_bad(cloud_ops_aws.parse_config, bodies[i]);
        assert_truncations_fail(
                cloud_ops_aws.parse_config,
                "{\"MaximumRetryAttempts\":1,\"DestinationConfig\":{\"OnFailure\":{\"Destination\":\"arn:aws:sqs:r:1:q\"}}}");
}

/* moto's list answer: an unqualified FunctionArn says nothing about the qualifier, and none
 * is guessed (DESIGN.md §3.12); versions and aliases come from their own lists. */
static void test_parse_list_unqualified_and_qualifiers(void **state) {
        static const char body[] =
                "{\"FunctionEventInvokeConfigs\": [{\"FunctionArn\": \"arn:aws:lambda:us-east-1:123456789012:function:f\","
                " \"MaximumRetryAttempts\": 1}]}";
        static const char versions[] =
                "{\"Versions\": [{\"FunctionName\": \"f\", \"Version\": \"$LATEST\"}, {\"Version\": \"1\"}],"
                " \"NextMarker\": \"1\"}";
        static const char aliases[] =
                "{\"Aliases\": [{\"Name\": \"prod\", \"FunctionVersion\": \"1\"}]}";
        CloudConfigList l = {};

        assert_int_equal(cloud_ops_aws.parse_list(body, strlen(body), &l), 0);
        assert_int_equal(l.n_items, 1);
        assert_null(l.items[0].qualifier);
        cloud_config_list_done(&l);
        assert_int_equal(cloud_ops_aws.parse_qualifiers(CLOUD_OP_LIST_VERSIONS, versions,
                                                        strlen(versions), &l),
                         0);
        assert_int_equal(l.n_items, 2);
        assert_string_equal(l.items[0].qualifier, "$LATEST");
        assert_string_equal(l.items[1].qualifier, "1");
        assert_string_equal(l.next_token, "1");
        cloud_config_list_done(&l);
        assert_int_equal(
                cloud_ops_aws.parse_qualifiers(CLOUD_OP_LIST_ALIASES, aliases, strlen(aliases), &l),
                0);
        assert_int_equal(l.n_items, 1);
        assert_string_equal(l.items[0].qualifier, "prod");
        cloud_config_list_done(&l);
        assert_int_equal(cloud_ops_aws.parse_qualifiers(CLOUD_OP_LIST_ALIASES, versions,
                                                        strlen(versions), &l),
                         0);
        assert_int_equal(l.n_items, 0); /* no "Aliases": none */
        cloud_config_list_done(&l);
        assert_int_equal(
                cloud_ops_aws.parse_qualifiers(CLOUD_OP_LIST_ALIASES, "{\"Aliases\":[{}]}", 16, &l),
                -EBADMSG);
}

static void test_parse_list(void **state) {
        static const char body[] =
                "{\"FunctionEventInvokeConfigs\": ["
                " {\"LastModified\": 1577824406.719, \"FunctionArn\": \"arn:aws:lambda:us-east-2:123456789012:function:my-function:GREEN\","
                "  \"MaximumRetryAttempts\": 2, \"MaximumEventAgeInSeconds\": 1800},"
                " {\"LastModified\": 1577824396.653, \"FunctionArn\": \"arn:aws:lambda:us-east-2:123456789012:function:my-function:$LATEST\","
                "  \"MaximumRetryAttempts\": 0, \"DestinationConfig\": {\"OnSuccess\": {\"Destination\": null}}}],"
                " \"NextMarker\": \"page-2\"}";
        CloudConfigList l = {};

        assert_int_equal(cloud_ops_aws.parse_list(body, strlen(body), &l), 0);
        assert_int_equal(l.n_items, 2);
        assert_string_equal(l.items[0].qualifier, "GREEN");
        assert_int_equal(l.items[0].config.max_event_age_seconds, 1800);
        assert_string_equal(l.items[1].qualifier, "$LATEST");
        assert_int_equal(l.items[1].config.max_retry_attempts, 0);
        assert_null(l.items[1].config.on_success.target);
        assert_string_equal(l.next_token, "page-2");
        assert_non_null(cloud_config_list_find(&l, "GREEN"));
        assert_null(cloud_config_list_find(&l, "BLUE"));
        cloud_config_list_done(&l);

        static const char empty[] = "{\"FunctionEventInvokeConfigs\": [], \"NextMarker\": null}";
        assert_int_equal(cloud_ops_aws.parse_list(empty, strlen(empty), &l), 0);
        assert_int_equal(l.n_items, 0);
        assert_null(l.next_token);
        cloud_config_list_done(&l);

        static const char *const bad[] = {
                "{\"FunctionEventInvokeConfigs\": {}}",
                "{\"FunctionEventInvokeConfigs\": [{}]}", /* an item without FunctionArn */
                "{\"FunctionEventInvokeConfigs\": [1]}",
                "{\"FunctionEventInvokeConfigs\": [{\"FunctionArn\": \"nope\"}]}",
                "{\"FunctionEventInvokeConfigs\": [{\"FunctionArn\": \"arn:aws:lambda:r:1:function:f:1\", \"MaximumRetryAttempts\": \"1\"}]}",
                "{\"NextMarker\": 5}",
                "{\"FunctionEventInvokeConfigs\": [",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(cloud_ops_aws.parse_list(bad[i], strlen(bad[i]), &l), -EBADMSG);
}

static void test_serialize(void **state) {
        AsyncConfig c = {
                .has_max_retry_attempts = true,
                .max_retry_attempts = 1,
                .has_max_event_age = true,
                .max_event_age_seconds = 3600,
                .on_success.target = (char *) "arn:aws:sqs:us-east-1:123456789012:ok-queue",
                .on_failure.target = (char *) "arn:aws:sqs:us-east-1:123456789012:dlq",
                .has_async_task = true,
                .async_task = true, /* not AWS's: never sent */
        };
        _cleanup_free_ char *a = serialize(&cloud_ops_aws, &c);
        /* byte for byte what @aws-sdk/client-lambda sent (wire-samples.md) */
        assert_string_equal(
                a,
                "{\"MaximumRetryAttempts\":1,\"MaximumEventAgeInSeconds\":3600,\"DestinationConfig\":{\"OnSuccess\":{\"Destination\":\"arn:aws:sqs:us-east-1:123456789012:ok-queue\"},\"OnFailure\":{\"Destination\":\"arn:aws:sqs:us-east-1:123456789012:dlq\"}}}");
        char h[CRYPTO_SHA256_HEX_SIZE];
        assert_int_equal(crypto_sha256_hex(a, strlen(a), h), 0);
        assert_string_equal(h, "9e5c91452b5b29ed2d216c03da9108335dcfb47e88e577b4020eb02a3ee4407e");

        AsyncConfig zero = { .has_max_retry_attempts = true, .max_retry_attempts = 0 };
        _cleanup_free_ char *b = serialize(&cloud_ops_aws, &zero);
        assert_string_equal(b, "{\"MaximumRetryAttempts\":0}");

        AsyncConfig none = {};
        _cleanup_free_ char *d = serialize(&cloud_ops_aws, &none);
        assert_string_equal(d, "{}"); /* no DestinationConfig: {} */

        AsyncConfig fail_only = { .on_failure.target = (char *) "arn:aws:s3:::b" };
        _cleanup_free_ char *e = serialize(&cloud_ops_aws, &fail_only);
        assert_string_equal(
                e, "{\"DestinationConfig\":{\"OnFailure\":{\"Destination\":\"arn:aws:s3:::b\"}}}");

        /* round trip */
        AsyncConfig back = parse_ok(cloud_ops_aws.parse_config, a);
        assert_int_equal(back.max_retry_attempts, 1);
        assert_true(destination_equal(&back.on_success, &c.on_success));
        assert_true(destination_equal(&back.on_failure, &c.on_failure));
        assert_false(back.has_async_task);
        async_config_done(&back);
}

/* docs/cloud-apis.md 1.7 vector A, through our request builder. */
static void test_request_get_vector_a(void **state) {
        _cleanup_(cloud_client_unrefp) CloudClient *c = test_client(&aws_account);
        _cleanup_(cloud_request_done) CloudRequest r = {};
        _cleanup_free_ char *h = NULL;

        test_build(c, CLOUD_OP_GET, "my-function", NULL, NULL, NULL, &aws_creds, T_20150830, "n",
                   &r);
        assert_string_equal(r.method, "GET");
        assert_string_equal(r.base_url, "https://lambda.us-east-1.amazonaws.com");
        assert_request_target(
                &r, "/2019-09-25/functions/my-function/event-invoke-config?Qualifier=%24LATEST");
        assert_null(r.body);
        h = request_headers(&r);
        assert_true(startswith(
                h,
                "Host: lambda.us-east-1.amazonaws.com\nX-Amz-Date: 20150830T123600Z\n"
                "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature="));
        assert_null(cloud_request_header(&r, "Content-Type"));
        assert_string_equal(request_signature(&r),
                            "ac181fcf1046b1511a5cd3552f0327cbc00d65992404afe6621698665edf825d");
}

static void test_request_put_arn(void **state) {
        _cleanup_(cloud_client_unrefp) CloudClient *c = test_client(&aws_account);
        _cleanup_(cloud_request_done) CloudRequest r = {};
        AsyncConfig d = { .has_max_retry_attempts = true, .max_retry_attempts = 0 };

        test_build(c, CLOUD_OP_PUT, "arn:aws:lambda:us-east-1:123456789012:function:my-function",
                   NULL, &d, NULL, &aws_sts, T_20150830, "n", &r);
        assert_string_equal(r.method, "PUT");
        assert_request_target(
                &r,
                "/2019-09-25/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-function/event-invoke-config?Qualifier=%24LATEST");
        assert_string_equal(r.body, "{\"MaximumRetryAttempts\":0}");
        assert_int_equal(r.body_size, 26);
        assert_string_equal(cloud_request_header(&r, "Content-Type"), "application/json");
        assert_string_equal(cloud_request_header(&r, "X-Amz-Security-Token"), "SESSIONTOKEN");
        assert_non_null(strstr(cloud_request_header(&r, "Authorization"),
                               "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"));

        /* the signature is over the double-encoded path: the verifier agrees */
        SignInput in;
        _cleanup_(sign_authorization_freep) SignAuthorization *auth = NULL;
        _cleanup_(sign_result_done) SignResult res = {};
        cloud_request_sign_input(&r, &in);
        assert_int_equal(sign_parse_authorization(cloud_request_header(&r, "Authorization"), &auth),
                         0);
        assert_int_equal(sign_verify(&in, auth, aws_creds.sk, T_20150830, &res), 0);
        assert_non_null(strstr(
                res.canonical_request,
                "/arn%253Aaws%253Alambda%253Aus-east-1%253A123456789012%253Afunction%253Amy-function/"));
}

static void test_request_qualifiers(void **state) {
        _cleanup_(cloud_client_unrefp) CloudClient *c = test_client(&aws_account);
        static const struct {
                const char *fn, *q, *target;
        } cases[] = {
                { "my-function", "prod",
                  "/2019-09-25/functions/my-function/event-invoke-config?Qualifier=prod" },
                { "my-function:prod", NULL,
                  "/2019-09-25/functions/my-function%3Aprod/event-invoke-config" },
                { "123456789012:function:f", NULL,
                  "/2019-09-25/functions/123456789012%3Afunction%3Af/event-invoke-config?Qualifier=%24LATEST" },
                { "123456789012:function:f:7", NULL,
                  "/2019-09-25/functions/123456789012%3Afunction%3Af%3A7/event-invoke-config" },
                { "arn:aws:lambda:us-east-1:1:function:f:live", NULL,
                  "/2019-09-25/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af%3Alive/event-invoke-config" },
                { "f", "$LATEST.PUBLISHED",
                  "/2019-09-25/functions/f/event-invoke-config?Qualifier=%24LATEST.PUBLISHED" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(cloud_request_done) CloudRequest r = {};
                test_build(c, CLOUD_OP_DELETE, cases[i].fn, cases[i].q, NULL, NULL, &aws_creds,
                           T_20150830, "n", &r);
                assert_string_equal(r.method, "DELETE");
                assert_request_target(&r, cases[i].target);
        }
}

static void test_request_list(void **state) {
        _cleanup_(cloud_client_unrefp) CloudClient *c = test_client(&aws_account);
        _cleanup_(cloud_request_done) CloudRequest r1 = {}, r2 = {};

        /* the list is of the function: a qualifier in the name is dropped */
        test_build(c, CLOUD_OP_LIST, "arn:aws:lambda:us-east-1:1:function:f:live", "ignored", NULL,
                   NULL, &aws_creds, T_20150830, "n", &r1);
        assert_string_equal(r1.method, "GET");
        assert_request_target(
                &r1,
                "/2019-09-25/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af/event-invoke-config/list?MaxItems=50");
        test_build(c, CLOUD_OP_LIST, "f:live", NULL, NULL, "tok/en=", &aws_creds, T_20150830, "n",
                   &r2);
        assert_request_target(
                &r2,
                "/2019-09-25/functions/f/event-invoke-config/list?Marker=tok%2Fen%3D&MaxItems=50");
}

static void test_endpoint_override(void **state) {
        CloudAccount a = aws_account;
        a.endpoint = "http://127.0.0.1:8080/";
        _cleanup_(cloud_client_unrefp) CloudClient *c = test_client(&a);
        _cleanup_(cloud_request_done) CloudRequest r = {};

        test_build(c, CLOUD_OP_GET, "f", NULL, NULL, NULL, &aws_creds, T_20150830, "n", &r);
        assert_string_equal(r.base_url, "http://127.0.0.1:8080");
        assert_string_equal(cloud_request_header(&r, "Host"), "127.0.0.1:8080");

        CloudClient *x = NULL;
        static const char *const bad[] = { "ftp://h", "http://", "http://h/path", "http://u@h",
                                           "h:80" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                a.endpoint = bad[i];
                a.credentials = test_creds_get;
                assert_int_equal(cloud_client_new(NULL, &a, &x), -EINVAL);
        }
        a = aws_account;
        a.credentials = test_creds_get;
        a.region = "us-east-1.evil.com/";
        assert_int_equal(cloud_client_new(NULL, &a, &x), -EINVAL);
}

static void test_request_bad_input(void **state) {
        _cleanup_(cloud_client_unrefp) CloudClient *c = test_client(&aws_account);
        CloudRequest r = {};
        CloudTarget t = { .function = "" };
        CloudCredentials cc = { aws_creds.ak, aws_creds.sk, NULL };

        assert_int_equal(cloud_client_build_request(c, CLOUD_OP_GET, &t, NULL, NULL, &cc,
                                                    T_20150830, "n", &r),
                         -EINVAL);
        t.function = "f";
        assert_int_equal(cloud_client_build_request(c, CLOUD_OP_PUT, &t, NULL, NULL, &cc,
                                                    T_20150830, "n", &r),
                         -EINVAL);
        cc.secret = NULL;
        assert_int_equal(cloud_client_build_request(c, CLOUD_OP_GET, &t, NULL, NULL, &cc,
                                                    T_20150830, "n", &r),
                         -EINVAL);
}

/* DESIGN.md §3.12: a function ARN of another region, or of another account when the account id
 * is known, is refused with a sentence naming both sides, and no request is built for it. */
static const struct {
        const char *region, *account_id, *function;
        const char *message; /* NULL: accepted */
} targets[] = {
        { "us-east-1", NULL, "orders-worker", NULL },
        { "us-east-1", NULL, "orders-worker:live", NULL },
        { "us-east-1", NULL, "arn:aws:lambda:us-east-1:999999999999:function:orders-worker", NULL },
        { "us-east-1", "123456789012",
          "arn:aws:lambda:us-east-1:123456789012:function:orders-worker:live", NULL },
        { "us-east-1", "123456789012", "123456789012:function:orders-worker", NULL },
        { "us-east-1", NULL, "arn:aws:lambda:eu-west-1:999999999999:function:orders-worker",
          "function 'arn:aws:lambda:eu-west-1:999999999999:function:orders-worker' is in region 'eu-west-1', but account 'aws-test' is in region 'us-east-1'" },
        { "us-east-1", NULL, "arn:aws:lambda:eu-west-1:999999999999:function:orders-worker:live",
          "region 'eu-west-1'" },
        { "us-east-1", NULL, "arn:aws-cn:lambda:cn-north-1:999999999999:function:f",
          "region 'cn-north-1'" },
        { "us-east-1", "123456789012",
          "arn:aws:lambda:us-east-1:999999999999:function:orders-worker",
          "function 'arn:aws:lambda:us-east-1:999999999999:function:orders-worker' belongs to AWS account 999999999999, but account 'aws-test' is AWS account 123456789012" },
        { "us-east-1", "123456789012", "999999999999:function:orders-worker",
          "belongs to AWS account 999999999999" },
        { "us-east-1", "123456789012", "999999999999:function:orders-worker:7",
          "belongs to AWS account 999999999999" },
};

static void test_check_target(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(targets); i++) {
                CloudAccount a = aws_account;
                _cleanup_free_ char *msg = NULL;
                _cleanup_(cloud_client_unrefp) CloudClient *c = NULL;
                _cleanup_(cloud_request_done) CloudRequest r = {};
                CloudTarget t = { .function = targets[i].function };
                CloudCredentials cc = { aws_creds.ak, aws_creds.sk, NULL };
                int k;

                a.region = targets[i].region;
                a.account_id = targets[i].account_id;
                k = cloud_ops_aws.check_target(&a, targets[i].function, &msg);
                c = test_client(&a);
                if (!targets[i].message) {
                        assert_int_equal(k, 0);
                        assert_null(msg);
                        assert_int_equal(cloud_client_build_request(c, CLOUD_OP_GET, &t, NULL, NULL,
                                                                    &cc, T_20150830, "n", &r),
                                         0);
                        continue;
                }
                assert_int_equal(k, -EINVAL);
                assert_non_null(msg);
                if (!strstr(msg, targets[i].message))
                        fail_msg("case %zu: '%s'", i, msg);
                for (CloudOp op = 0; op < _CLOUD_OP_MAX; op++) {
                        CloudRequest q = {};
                        AsyncConfig d = {};
                        assert_int_equal(cloud_client_build_request(c, op, &t, &d, NULL, &cc,
                                                                    T_20150830, "n", &q),
                                         -EINVAL);
                        cloud_request_done(&q);
                }
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_config_full),
                cmocka_unit_test(test_parse_config_absent_forms),
                cmocka_unit_test(test_parse_config_malformed),
                cmocka_unit_test(test_parse_list),
                cmocka_unit_test(test_parse_list_unqualified_and_qualifiers),
                cmocka_unit_test(test_serialize),
                cmocka_unit_test(test_request_get_vector_a),
                cmocka_unit_test(test_request_put_arn),
                cmocka_unit_test(test_request_qualifiers),
                cmocka_unit_test(test_request_list),
                cmocka_unit_test(test_endpoint_override),
                cmocka_unit_test(test_request_bad_input),
                cmocka_unit_test(test_check_target),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
