/* SPDX-License-Identifier: MIT */
/* The emulator through its pure handler: routing, per-qualifier state, each cloud's quirks and
 * error classes, range bounds, authentication failures, the control API, pagination, faults.
 * Requests are signed with the project's own signers (tests/fakecloud/client.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>

#include "tests/fakecloud/client.h"
#include "tests/fakecloud/fakecloud.h"

#define NOW 1700000000
#define PROJECT FAKE_DEFAULT_HUAWEI_PROJECT
#define URN "urn:fss:cn-north-4:" PROJECT ":function:default:hw"

typedef struct Reply {
        unsigned status;
        json_t *json; /* parsed body or NULL */
        FakeResponse resp;
} Reply;

static void reply_done(Reply *r) {
        json_decref(r->json);
        fake_response_done(&r->resp);
}

static const char *str(const Reply *r, const char *key) {
        return json_string_value(json_object_get(r->json, key));
}

/* A request with explicit headers (the signature, if any, is the caller's). */
static Reply raw(FakeCloud *fc, const char *method, const char *target, const SignHeader *h,
                 size_t n, const char *body, bool loopback) {
        FakeRequest req = { .method = method,
                            .target = target,
                            .headers = h,
                            .n_headers = n,
                            .body = body,
                            .body_size = body ? strlen(body) : 0,
                            .loopback = loopback };
        Reply r = {};

        assert_int_equal(fake_handle_request(fc, &req, &r.resp), 0);
        r.status = r.resp.status;
        if (r.resp.body)
                r.json = json_loadb(r.resp.body, r.resp.body_size, 0, NULL);
        return r;
}

static Reply signed_with(FakeCloud *fc, FakeApi api, const char *method, const char *target,
                         const char *body, const char *akid, const char *secret, time_t when) {
        FakeSignedRequest s = {};
        Reply r;

        assert_int_equal(fake_client_sign(api, method, target, "127.0.0.1:8080", body,
                                          body ? strlen(body) : 0, akid, secret, PROJECT, when, &s),
                         0);
        r = raw(fc, method, target, s.headers, s.n_headers, body, true);
        fake_signed_request_done(&s);
        return r;
}

static Reply call(FakeCloud *fc, FakeApi api, const char *method, const char *target,
                  const char *body) {
        const char *ak = api == FAKE_API_LAMBDA          ? FAKE_DEFAULT_AWS_AKID
                         : api == FAKE_API_FUNCTIONGRAPH ? FAKE_DEFAULT_HUAWEI_AK
                                                         : FAKE_DEFAULT_ALICLOUD_AKID;
        return signed_with(fc, api, method, target, body, ak, "fakesecret", NOW);
}

static Reply control(FakeCloud *fc, const char *method, const char *path, const char *body) {
        return raw(fc, method, path, NULL, 0, body, true);
}

static void expect(FakeCloud *fc, FakeApi api, const char *method, const char *target,
                   const char *body, unsigned status) {
        Reply r = call(fc, api, method, target, body);
        if (r.status != status)
                fail_msg("%s %s: %u, expected %u: %s", method, target, r.status, status,
                         strna(r.resp.body));
        reply_done(&r);
}

static int setup(void **state) {
        FakeCloud *fc;
        Reply r;

        assert_int_equal(fake_cloud_new(&(FakeCloudOptions){}, &fc), 0);
        fake_cloud_set_time(fc, NOW);
        r = control(
                fc, "POST", "/_fake/functions",
                "[{\"provider\":\"aws\",\"function\":\"orders\"},"
                "{\"provider\":\"aws\",\"function\":\"strict\",\"qualifiers\":[\"prod\",\"1\"]},"
                "{\"provider\":\"aws\",\"function\":\"arn:aws:lambda:eu-west-1:111122223333:function:arnfn\"},"
                "{\"provider\":\"alicloud\",\"function\":\"f3\",\"qualifiers\":[\"prod\"]},"
                "{\"provider\":\"alicloud\",\"function\":\"g3\"},"
                "{\"provider\":\"alicloud\",\"service\":\"svc\",\"function\":\"f2\"},"
                "{\"provider\":\"huaweicloud\",\"function\":\"" URN
                "\",\"qualifiers\":[\"v1\",\"prod\"]}]");
        assert_int_equal(r.status, 201);
        assert_int_equal(json_integer_value(json_object_get(r.json, "created")), 7);
        reply_done(&r);
        *state = fc;
        return 0;
}

static int teardown(void **state) {
        fake_cloud_free(*state);
        return 0;
}

/* ---- routing ----------------------------------------------------------------------------- */

static void test_routing(void **state) {
        FakeCloud *fc = *state;
        Reply r;

        r = call(fc, FAKE_API_LAMBDA, "GET", "/nope", NULL);
        assert_int_equal(r.status, 404);
        reply_done(&r);
        r = call(fc, FAKE_API_LAMBDA, "GET", "/2019-09-25/functions/orders/other", NULL);
        assert_int_equal(r.status, 404);
        assert_string_equal(fake_response_header(&r.resp, "x-amzn-ErrorType"),
                            "UnknownOperationException");
        reply_done(&r);
        r = call(fc, FAKE_API_FC3, "GET", "/2023-03-30/nothing", NULL);
        assert_int_equal(r.status, 404);
        assert_string_equal(str(&r, "Code"), "PathNotSupported");
        reply_done(&r);
        r = call(fc, FAKE_API_FUNCTIONGRAPH, "GET", "/v2/" PROJECT "/fgs/functions/" URN "/x",
                 NULL);
        assert_int_equal(r.status, 404);
        assert_string_equal(str(&r, "error_code"), "APIG.0101");
        reply_done(&r);
        expect(fc, FAKE_API_FC3, "POST", "/2023-03-30/functions/f3/async-invoke-config", "{}", 405);
        /* Request ids. */
        r = call(fc, FAKE_API_LAMBDA, "GET", "/2019-09-25/functions/orders/event-invoke-config",
                 NULL);
        assert_non_null(fake_response_header(&r.resp, "x-amzn-RequestId"));
        reply_done(&r);
        r = call(fc, FAKE_API_FC2, "GET",
                 "/2021-04-06/services/svc/functions/f2/async-invoke-config", NULL);
        assert_non_null(fake_response_header(&r.resp, "X-Fc-Request-Id"));
        reply_done(&r);
        r = call(fc, FAKE_API_FUNCTIONGRAPH, "GET",
                 "/v2/" PROJECT "/fgs/functions/" URN "/async-invoke-config", NULL);
        assert_non_null(fake_response_header(&r.resp, "X-Request-Id"));
        reply_done(&r);
}

/* ---- AWS --------------------------------------------------------------------------------- */

#define LAMBDA "/2019-09-25/functions/"

static void test_lambda_not_found(void **state) {
        FakeCloud *fc = *state;
        Reply r;

        r = call(fc, FAKE_API_LAMBDA, "GET", LAMBDA "ghost/event-invoke-config", NULL);
        assert_int_equal(r.status, 404);
        assert_string_equal(fake_response_header(&r.resp, "x-amzn-ErrorType"),
                            "ResourceNotFoundException");
        assert_string_equal(str(&r, "Type"), "User");
        assert_string_equal(
                str(&r, "Message"),
                "Function not found: arn:aws:lambda:us-east-1:123456789012:function:ghost");
        reply_done(&r);
        r = call(fc, FAKE_API_LAMBDA, "GET", LAMBDA "strict/event-invoke-config?Qualifier=nope",
                 NULL);
        assert_int_equal(r.status, 404);
        assert_string_equal(
                str(&r, "Message"),
                "Function not found: arn:aws:lambda:us-east-1:123456789012:function:strict:nope");
        reply_done(&r);
        r = call(fc, FAKE_API_LAMBDA, "GET", LAMBDA "strict/event-invoke-config?Qualifier=prod",
                 NULL);
        assert_int_equal(r.status, 404);
        assert_string_equal(
                str(&r, "Message"),
                "The function arn:aws:lambda:us-east-1:123456789012:function:strict:prod "
                "doesn't have an EventInvokeConfig");
        reply_done(&r);
        expect(fc, FAKE_API_LAMBDA, "DELETE", LAMBDA "orders/event-invoke-config?Qualifier=none",
               NULL, 404);
        expect(fc, FAKE_API_LAMBDA, "POST", LAMBDA "orders/event-invoke-config?Qualifier=none",
               "{\"MaximumRetryAttempts\":1}", 404);
}

/* Like Lambda: an ARN names the function of its region and account; one of another region is
 * 404 "not reachable in this region", one of another account is not authorized — never the
 * namesake that the endpoint's region has. */
static void test_lambda_foreign_arn(void **state) {
        FakeCloud *fc = *state;
        Reply r;

        r = call(
                fc, FAKE_API_LAMBDA, "GET",
                LAMBDA
                "arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Aorders/event-invoke-config",
                NULL);
        assert_int_equal(r.status, 404);
        assert_string_equal(fake_response_header(&r.resp, "x-amzn-ErrorType"),
                            "ResourceNotFoundException");
        assert_string_equal(
                str(&r, "Message"),
                "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')");
        reply_done(&r);
        r = call(
                fc, FAKE_API_LAMBDA, "PUT",
                LAMBDA
                "arn%3Aaws%3Alambda%3Aus-east-1%3A999999999999%3Afunction%3Aorders/event-invoke-config",
                "{}");
        assert_int_equal(r.status, 403);
        assert_string_equal(fake_response_header(&r.resp, "x-amzn-ErrorType"),
                            "AccessDeniedException");
        assert_non_null(
                strstr(str(&r, "message"),
                       "is not authorized to perform: lambda:PutFunctionEventInvokeConfig"));
        reply_done(&r);
        expect(fc, FAKE_API_LAMBDA, "DELETE",
               LAMBDA "999999999999%3Afunction%3Aorders/event-invoke-config", NULL, 403);
        /* the account's own ARN reaches the function */
        expect(fc, FAKE_API_LAMBDA, "PUT",
               LAMBDA
               "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aorders/event-invoke-config",
               "{}", 200);
}

static void test_lambda_put_get_quirks(void **state) {
        FakeCloud *fc = *state;
        json_t *dc;
        Reply r;

        r = call(
                fc, FAKE_API_LAMBDA, "PUT", LAMBDA "orders/event-invoke-config",
                "{\"MaximumRetryAttempts\":1,\"DestinationConfig\":{\"OnFailure\":{\"Destination\":"
                "\"arn:aws:sqs:us-east-1:123456789012:dlq\"}}}");
        assert_int_equal(r.status, 200);
        reply_done(&r);
        r = call(fc, FAKE_API_LAMBDA, "GET", LAMBDA "orders/event-invoke-config", NULL);
        assert_int_equal(r.status, 200);
        assert_string_equal(str(&r, "FunctionArn"),
                            "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST");
        assert_true(json_is_real(json_object_get(r.json, "LastModified")));
        assert_true(json_real_value(json_object_get(r.json, "LastModified")) == (double) NOW);
        assert_int_equal(json_integer_value(json_object_get(r.json, "MaximumRetryAttempts")), 1);
        assert_null(json_object_get(r.json, "MaximumEventAgeInSeconds"));
        dc = json_object_get(r.json, "DestinationConfig");
        assert_true(json_is_object(json_object_get(dc, "OnSuccess")));
        assert_int_equal(json_object_size(json_object_get(dc, "OnSuccess")), 0); /* unset: {} */
        assert_string_equal(
                json_string_value(json_object_get(json_object_get(dc, "OnFailure"), "Destination")),
                "arn:aws:sqs:us-east-1:123456789012:dlq");
        reply_done(&r);

        /* The name:qualifier suffix, a full ARN and a partial ARN all reach "orders". */
        expect(fc, FAKE_API_LAMBDA, "GET", LAMBDA "orders%3Aprod/event-invoke-config", NULL, 404);
        expect(fc, FAKE_API_LAMBDA, "PUT", LAMBDA "orders%3Aprod/event-invoke-config",
               "{\"MaximumRetryAttempts\":0}", 200);
        r = call(
                fc, FAKE_API_LAMBDA, "GET",
                LAMBDA
                "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aorders/event-invoke-config"
                "?Qualifier=prod",
                NULL);
        assert_int_equal(r.status, 200);
        assert_int_equal(json_integer_value(json_object_get(r.json, "MaximumRetryAttempts")), 0);
        reply_done(&r);
        expect(fc, FAKE_API_LAMBDA, "GET",
               LAMBDA "123456789012%3Afunction%3Aorders/event-invoke-config", NULL, 200);
        r = call(fc, FAKE_API_LAMBDA, "GET",
                 LAMBDA "orders%3Aprod/event-invoke-config?Qualifier=other", NULL);
        assert_int_equal(r.status, 400);
        assert_string_equal(fake_response_header(&r.resp, "x-amzn-ErrorType"),
                            "InvalidParameterValueException");
        reply_done(&r);

        /* $LATEST and prod are separate: $LATEST still has retries 1. */
        r = call(fc, FAKE_API_LAMBDA, "GET",
                 LAMBDA "orders/event-invoke-config?Qualifier=%24LATEST", NULL);
        assert_int_equal(json_integer_value(json_object_get(r.json, "MaximumRetryAttempts")), 1);
        reply_done(&r);

        /* An ARN-created function answers with its own region and account. */
        r = call(fc, FAKE_API_LAMBDA, "PUT", LAMBDA "arnfn/event-invoke-config", "{}");
        assert_string_equal(str(&r, "FunctionArn"),
                            "arn:aws:lambda:eu-west-1:111122223333:function:arnfn:$LATEST");
        reply_done(&r);
}

static void test_lambda_post_merge_delete(void **state) {
        FakeCloud *fc = *state;
        Reply r;

        expect(fc, FAKE_API_LAMBDA, "PUT", LAMBDA "orders/event-invoke-config?Qualifier=m",
               "{\"MaximumRetryAttempts\":2,\"MaximumEventAgeInSeconds\":600}", 200);
        r = call(fc, FAKE_API_LAMBDA, "POST", LAMBDA "orders/event-invoke-config?Qualifier=m",
                 "{\"MaximumRetryAttempts\":0}");
        assert_int_equal(r.status, 200);
        assert_int_equal(json_integer_value(json_object_get(r.json, "MaximumRetryAttempts")), 0);
        assert_int_equal(json_integer_value(json_object_get(r.json, "MaximumEventAgeInSeconds")),
                         600);
        reply_done(&r);
        /* PUT replaces: the age goes. */
        r = call(fc, FAKE_API_LAMBDA, "PUT", LAMBDA "orders/event-invoke-config?Qualifier=m",
                 "{\"MaximumRetryAttempts\":1}");
        assert_null(json_object_get(r.json, "MaximumEventAgeInSeconds"));
        reply_done(&r);
        r = call(fc, FAKE_API_LAMBDA, "DELETE", LAMBDA "orders/event-invoke-config?Qualifier=m",
                 NULL);
        assert_int_equal(r.status, 204);
        assert_null(r.resp.body);
        reply_done(&r);
        expect(fc, FAKE_API_LAMBDA, "GET", LAMBDA "orders/event-invoke-config?Qualifier=m", NULL,
               404);
}

static void test_lambda_ranges_and_bodies(void **state) {
        static const struct {
                const char *body;
                unsigned status;
        } cases[] = {
                { "{\"MaximumRetryAttempts\":0}", 200 },
                { "{\"MaximumRetryAttempts\":2}", 200 },
                { "{\"MaximumRetryAttempts\":3}", 400 },
                { "{\"MaximumRetryAttempts\":-1}", 400 },
                { "{\"MaximumEventAgeInSeconds\":59}", 400 },
                { "{\"MaximumEventAgeInSeconds\":60}", 200 },
                { "{\"MaximumEventAgeInSeconds\":21600}", 200 },
                { "{\"MaximumEventAgeInSeconds\":21601}", 400 },
                { "{\"DestinationConfig\":{\"OnSuccess\":{\"Destination\":\"arn:aws:s3:::bucket\"}}}",
                  400 },
                { "{\"DestinationConfig\":{\"OnFailure\":{\"Destination\":\"arn:aws:s3:::bucket\"}}}",
                  200 },
                { "{\"DestinationConfig\":{\"OnFailure\":{\"Destination\":\"not-an-arn\"}}}", 400 },
                { "{\"DestinationConfig\":{\"OnFailure\":{\"Destination\":null}}}", 200 },
        };
        FakeCloud *fc = *state;
        Reply r;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                expect(fc, FAKE_API_LAMBDA, "PUT", LAMBDA "orders/event-invoke-config?Qualifier=r",
                       cases[i].body, cases[i].status);
        r = call(fc, FAKE_API_LAMBDA, "PUT", LAMBDA "orders/event-invoke-config?Qualifier=r",
                 "{\"Maxi");
        assert_int_equal(r.status, 400);
        assert_string_equal(fake_response_header(&r.resp, "x-amzn-ErrorType"),
                            "InvalidRequestContentException");
        assert_non_null(str(&r, "message"));
        reply_done(&r);
        r = call(fc, FAKE_API_LAMBDA, "PUT", LAMBDA "orders/event-invoke-config?Qualifier=r",
                 "{\"MaximumRetryAttempts\":7}");
        assert_string_equal(str(&r, "message"),
                            "1 validation error detected: Value '7' at 'maximumRetryAttempts' "
                            "failed to satisfy constraint: Member must have value less than or "
                            "equal to 2");
        reply_done(&r);
}

static void test_lambda_list(void **state) {
        FakeCloud *fc = *state;
        const char *next;
        Reply r;

        expect(fc, FAKE_API_LAMBDA, "PUT", LAMBDA "strict/event-invoke-config?Qualifier=1", "{}",
               200);
        expect(fc, FAKE_API_LAMBDA, "PUT", LAMBDA "strict/event-invoke-config?Qualifier=prod", "{}",
               200);
        expect(fc, FAKE_API_LAMBDA, "PUT", LAMBDA "strict/event-invoke-config", "{}", 200);
        r = call(fc, FAKE_API_LAMBDA, "GET", LAMBDA "strict/event-invoke-config/list?MaxItems=2",
                 NULL);
        assert_int_equal(r.status, 200);
        assert_int_equal(json_array_size(json_object_get(r.json, "FunctionEventInvokeConfigs")), 2);
        next = str(&r, "NextMarker");
        assert_non_null(next);
        {
                char t[256];
                Reply r2;
                snprintf(t, sizeof(t),
                         LAMBDA "strict/event-invoke-config/list?MaxItems=2&Marker=%s", next);
                r2 = call(fc, FAKE_API_LAMBDA, "GET", t, NULL);
                assert_int_equal(
                        json_array_size(json_object_get(r2.json, "FunctionEventInvokeConfigs")), 1);
                assert_true(json_is_null(json_object_get(r2.json, "NextMarker")));
                reply_done(&r2);
        }
        reply_done(&r);
        expect(fc, FAKE_API_LAMBDA, "GET", LAMBDA "strict/event-invoke-config/list?MaxItems=51",
               NULL, 400);
        expect(fc, FAKE_API_LAMBDA, "GET", LAMBDA "strict/event-invoke-config/list?MaxItems=0",
               NULL, 400);
        expect(fc, FAKE_API_LAMBDA, "GET", LAMBDA "ghost/event-invoke-config/list", NULL, 404);
}

/* ---- Alibaba ----------------------------------------------------------------------------- */

#define FC3 "/2023-03-30/functions/"
#define FC2 "/2021-04-06/services/"

static void test_fc3(void **state) {
        FakeCloud *fc = *state;
        json_t *dc;
        Reply r;

        r = call(fc, FAKE_API_FC3, "GET", FC3 "ghost/async-invoke-config", NULL);
        assert_int_equal(r.status, 404);
        assert_string_equal(str(&r, "Code"), "FunctionNotFound");
        assert_non_null(str(&r, "Message"));
        assert_string_equal(str(&r, "RequestId"),
                            fake_response_header(&r.resp, "x-acs-request-id"));
        reply_done(&r);
        r = call(fc, FAKE_API_FC3, "GET", FC3 "f3/async-invoke-config", NULL);
        assert_int_equal(r.status, 404);
        assert_string_equal(str(&r, "Code"), "AsyncConfigNotExists");
        reply_done(&r);
        r = call(fc, FAKE_API_FC3, "GET", FC3 "f3/async-invoke-config?qualifier=7", NULL);
        assert_string_equal(str(&r, "Code"), "VersionNotFound");
        reply_done(&r);
        r = call(fc, FAKE_API_FC3, "GET", FC3 "f3/async-invoke-config?qualifier=staging", NULL);
        assert_string_equal(str(&r, "Code"), "AliasNotFound");
        reply_done(&r);

        r = call(
                fc, FAKE_API_FC3, "PUT", FC3 "f3/async-invoke-config?qualifier=LATEST",
                "{\"maxAsyncRetryAttempts\":8,\"destinationConfig\":{\"onFailure\":{\"destination\":"
                "\"acs:mns:cn-hangzhou:1:/queues/q/messages\"}}}");
        assert_int_equal(r.status, 200);
        reply_done(&r);
        r = call(fc, FAKE_API_FC3, "GET", FC3 "f3/async-invoke-config", NULL);
        assert_int_equal(r.status, 200);
        dc = json_object_get(r.json, "destinationConfig");
        assert_true(json_is_null(json_object_get(json_object_get(dc, "onSuccess"), "destination")));
        assert_true(json_is_null(json_object_get(r.json, "maxAsyncEventAgeInSeconds")));
        assert_true(json_is_null(json_object_get(r.json, "asyncTask")));
        assert_string_equal(str(&r, "functionArn"),
                            "acs:fc:cn-hangzhou:1234567890123456:functions/f3");
        assert_string_equal(str(&r, "createdTime"), "2023-11-14T22:13:20Z");
        reply_done(&r);
        /* The prod config is separate. */
        expect(fc, FAKE_API_FC3, "GET", FC3 "f3/async-invoke-config?qualifier=prod", NULL, 404);

        expect(fc, FAKE_API_FC3, "PUT", FC3 "f3/async-invoke-config?qualifier=prod",
               "{\"maxAsyncRetryAttempts\":9}", 400);
        expect(fc, FAKE_API_FC3, "PUT", FC3 "f3/async-invoke-config?qualifier=prod",
               "{\"maxAsyncEventAgeInSeconds\":604800,\"asyncTask\":true}", 200);
        expect(fc, FAKE_API_FC3, "PUT", FC3 "f3/async-invoke-config?qualifier=prod",
               "{\"maxAsyncEventAgeInSeconds\":604801}", 400);
        expect(fc, FAKE_API_FC3, "PUT", FC3 "f3/async-invoke-config?qualifier=prod",
               "{\"maxAsyncEventAgeInSeconds\":0}", 400);
        r = call(fc, FAKE_API_FC3, "PUT", FC3 "f3/async-invoke-config?qualifier=prod", "not json");
        assert_int_equal(r.status, 400);
        assert_string_equal(str(&r, "Code"), "InvalidArgument");
        reply_done(&r);

        /* List: every FC3 config (g3 too), paginated. */
        expect(fc, FAKE_API_FC3, "PUT", FC3 "g3/async-invoke-config", "{}", 200);
        r = call(fc, FAKE_API_FC3, "GET", "/2023-03-30/async-invoke-configs?limit=2", NULL);
        assert_int_equal(json_array_size(json_object_get(r.json, "configs")), 2);
        assert_string_equal(str(&r, "nextToken"), "f3:prod");
        reply_done(&r);
        r = call(fc, FAKE_API_FC3, "GET",
                 "/2023-03-30/async-invoke-configs?limit=2&nextToken=f3%3Aprod", NULL);
        assert_int_equal(json_array_size(json_object_get(r.json, "configs")), 1);
        assert_null(json_object_get(r.json, "nextToken"));
        reply_done(&r);
        r = call(fc, FAKE_API_FC3, "GET", "/2023-03-30/async-invoke-configs?functionName=g3", NULL);
        assert_int_equal(json_array_size(json_object_get(r.json, "configs")), 1);
        reply_done(&r);
        expect(fc, FAKE_API_FC3, "GET", "/2023-03-30/async-invoke-configs?limit=101", NULL, 400);

        r = call(fc, FAKE_API_FC3, "DELETE", FC3 "g3/async-invoke-config", NULL);
        assert_int_equal(r.status, 204);
        reply_done(&r);
        r = call(fc, FAKE_API_FC3, "DELETE", FC3 "g3/async-invoke-config", NULL);
        assert_string_equal(str(&r, "Code"), "AsyncConfigNotExists");
        reply_done(&r);
}

static void test_fc2(void **state) {
        FakeCloud *fc = *state;
        Reply r;

        r = call(fc, FAKE_API_FC2, "GET", FC2 "nosvc/functions/f2/async-invoke-config", NULL);
        assert_int_equal(r.status, 404);
        assert_string_equal(str(&r, "errorCode"), "ServiceNotFound");
        assert_non_null(str(&r, "errorMessage"));
        /* The SDK (openapi-client) reads Code/Message/RequestId: FC2 bodies carry both spellings. */
        assert_string_equal(str(&r, "Code"), "ServiceNotFound");
        assert_string_equal(str(&r, "RequestId"), fake_response_header(&r.resp, "X-Fc-Request-Id"));
        reply_done(&r);
        r = call(fc, FAKE_API_FC2, "GET", FC2 "svc/functions/ghost/async-invoke-config", NULL);
        assert_string_equal(str(&r, "errorCode"), "FunctionNotFound");
        reply_done(&r);
        expect(fc, FAKE_API_FC2, "PUT", FC2 "svc/functions/f2/async-invoke-config",
               "{\"maxAsyncEventAgeInSeconds\":2592001}", 400);
        r = call(fc, FAKE_API_FC2, "PUT",
                 FC2 "svc/functions/f2/async-invoke-config?qualifier=LATEST",
                 "{\"maxAsyncEventAgeInSeconds\":2592000,\"statefulInvocation\":true}");
        assert_int_equal(r.status, 200);
        assert_string_equal(str(&r, "service"), "svc");
        assert_string_equal(str(&r, "function"), "f2");
        assert_string_equal(str(&r, "qualifier"), "LATEST");
        assert_true(json_is_true(json_object_get(r.json, "statefulInvocation")));
        assert_true(json_is_null(json_object_get(
                json_object_get(json_object_get(r.json, "destinationConfig"), "onFailure"),
                "destination")));
        reply_done(&r);
        r = call(fc, FAKE_API_FC2, "GET", FC2 "svc/functions/f2/async-invoke-configs?limit=1",
                 NULL);
        assert_int_equal(r.status, 200);
        assert_int_equal(json_array_size(json_object_get(r.json, "configs")), 1);
        reply_done(&r);
        expect(fc, FAKE_API_FC2, "DELETE", FC2 "svc/functions/f2/async-invoke-config", NULL, 204);
}

/* ---- Huawei ------------------------------------------------------------------------------ */

#define FG "/v2/" PROJECT "/fgs/functions/"

static void test_functiongraph(void **state) {
        FakeCloud *fc = *state;
        json_t *os;
        Reply r;

        r = call(fc, FAKE_API_FUNCTIONGRAPH, "GET",
                 FG "urn:fss:cn-north-4:" PROJECT
                    ":function:default:ghost:latest/async-invoke-config",
                 NULL);
        assert_int_equal(r.status, 404);
        assert_string_equal(str(&r, "error_code"), "FSS.1051");
        assert_non_null(str(&r, "error_msg"));
        reply_done(&r);
        r = call(fc, FAKE_API_FUNCTIONGRAPH, "GET", FG URN ":v9/async-invoke-config", NULL);
        assert_string_equal(str(&r, "error_code"), "FSS.1052");
        reply_done(&r);
        r = call(fc, FAKE_API_FUNCTIONGRAPH, "GET", FG URN ":beta/async-invoke-config", NULL);
        assert_string_equal(str(&r, "error_code"), "FSS.1053");
        reply_done(&r);
        expect(fc, FAKE_API_FUNCTIONGRAPH, "GET", FG URN ":latest/async-invoke-config", NULL, 404);
        r = call(fc, FAKE_API_FUNCTIONGRAPH, "GET",
                 "/v2/ffffffffffffffffffffffffffffffff/fgs/functions/" URN "/async-invoke-config",
                 NULL);
        assert_int_equal(r.status, 403);
        reply_done(&r);

        r = call(
                fc, FAKE_API_FUNCTIONGRAPH, "PUT", FG URN ":latest/async-invoke-config",
                "{\"max_async_event_age_in_seconds\":86400,\"max_async_retry_attempts\":8,\"destination_config\":"
                "{\"on_success\":{\"destination\":\"OBS\",\"param\":\"{\\\"prefix\\\":\\\"p\\\", \\\"bucket\\\":\\\"b\\\"}\"}},"
                "\"enable_async_status_log\":true}");
        assert_int_equal(r.status, 200);
        reply_done(&r);
        /* The URN without a version is latest. */
        r = call(fc, FAKE_API_FUNCTIONGRAPH, "GET", FG URN "/async-invoke-config", NULL);
        assert_int_equal(r.status, 200);
        assert_string_equal(str(&r, "func_urn"), URN ":latest");
        os = json_object_get(json_object_get(r.json, "destination_config"), "on_success");
        assert_string_equal(json_string_value(json_object_get(os, "param")),
                            "{\"bucket\":\"b\",\"prefix\":\"p\"}");
        os = json_object_get(json_object_get(r.json, "destination_config"), "on_failure");
        assert_string_equal(json_string_value(json_object_get(os, "destination")), "");
        assert_string_equal(str(&r, "created_time"), "2023-11-15T06:13:20+08:00");
        assert_string_equal(str(&r, "last_modified"), "2023-11-15 06:13:20");
        assert_true(json_is_true(json_object_get(r.json, "enable_async_status_log")));
        reply_done(&r);

        expect(fc, FAKE_API_FUNCTIONGRAPH, "PUT", FG URN ":v1/async-invoke-config",
               "{\"max_async_event_age_in_seconds\":86401}", 400);
        expect(fc, FAKE_API_FUNCTIONGRAPH, "PUT", FG URN ":v1/async-invoke-config",
               "{\"max_async_retry_attempts\":9}", 400);
        expect(fc, FAKE_API_FUNCTIONGRAPH, "PUT", FG URN ":v1/async-invoke-config",
               "{\"destination_config\":{\"on_failure\":{\"destination\":\"SQS\",\"param\":\"{}\"}}}",
               400);
        expect(fc, FAKE_API_FUNCTIONGRAPH, "PUT", FG URN ":v1/async-invoke-config",
               "{\"destination_config\":{\"on_failure\":{\"destination\":\"SMN\",\"param\":\"{}\"}}}",
               400);
        expect(fc, FAKE_API_FUNCTIONGRAPH, "PUT", FG URN ":v1/async-invoke-config",
               "{\"max_async_retry_attempts\":0}", 200);
        expect(fc, FAKE_API_FUNCTIONGRAPH, "PUT", FG URN ":prod/async-invoke-config", "{}", 200);

        r = call(fc, FAKE_API_FUNCTIONGRAPH, "GET", FG URN "/async-invoke-configs?marker=0&limit=2",
                 NULL);
        assert_int_equal(r.status, 200);
        assert_int_equal(json_array_size(json_object_get(r.json, "async_invoke_configs")), 2);
        assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 3);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "page_info"),
                                                            "next_marker")),
                         2);
        reply_done(&r);
        expect(fc, FAKE_API_FUNCTIONGRAPH, "GET", FG URN "/async-invoke-configs?limit=-1", NULL,
               400);
        expect(fc, FAKE_API_FUNCTIONGRAPH, "DELETE", FG URN ":prod/async-invoke-config", NULL, 204);
        expect(fc, FAKE_API_FUNCTIONGRAPH, "DELETE", FG URN ":prod/async-invoke-config", NULL, 404);
}

/* ---- authentication ---------------------------------------------------------------------- */

static void test_auth_failures(void **state) {
        FakeCloud *fc = *state;
        SignHeader h[] = { { "Host", "x" } };
        FakeSignedRequest s = {};
        Reply r;

        /* Wrong secret. */
        r = signed_with(fc, FAKE_API_LAMBDA, "GET", LAMBDA "orders/event-invoke-config", NULL,
                        FAKE_DEFAULT_AWS_AKID, "bad", NOW);
        assert_int_equal(r.status, 403);
        assert_string_equal(fake_response_header(&r.resp, "x-amzn-ErrorType"),
                            "InvalidSignatureException");
        reply_done(&r);
        r = signed_with(fc, FAKE_API_FC3, "GET", FC3 "f3/async-invoke-config", NULL,
                        FAKE_DEFAULT_ALICLOUD_AKID, "bad", NOW);
        assert_int_equal(r.status, 403);
        assert_string_equal(str(&r, "Code"), "SignatureNotMatch");
        reply_done(&r);
        r = signed_with(fc, FAKE_API_FUNCTIONGRAPH, "GET", FG URN "/async-invoke-config", NULL,
                        FAKE_DEFAULT_HUAWEI_AK, "bad", NOW);
        assert_int_equal(r.status, 401);
        assert_string_equal(str(&r, "error_code"), "APIG.0301");
        reply_done(&r);
        /* Unknown key id. */
        r = signed_with(fc, FAKE_API_LAMBDA, "GET", LAMBDA "orders/event-invoke-config", NULL,
                        "AKIDOTHER", "fakesecret", NOW);
        assert_string_equal(fake_response_header(&r.resp, "x-amzn-ErrorType"),
                            "UnrecognizedClientException");
        reply_done(&r);
        r = signed_with(fc, FAKE_API_FC2, "GET", FC2 "svc/functions/f2/async-invoke-config", NULL,
                        "LTAIOTHER", "fakesecret", NOW);
        assert_string_equal(str(&r, "errorCode"), "InvalidAccessKeyID");
        reply_done(&r);
        /* Skew: 15 minutes is fine, 15 minutes and 1 second is not. */
        r = signed_with(fc, FAKE_API_LAMBDA, "GET", LAMBDA "orders/event-invoke-config", NULL,
                        FAKE_DEFAULT_AWS_AKID, "fakesecret", NOW - 900);
        assert_int_equal(r.status, 200);
        reply_done(&r);
        r = signed_with(fc, FAKE_API_LAMBDA, "GET", LAMBDA "orders/event-invoke-config", NULL,
                        FAKE_DEFAULT_AWS_AKID, "fakesecret", NOW - 901);
        assert_int_equal(r.status, 403);
        assert_true(startswith(str(&r, "message"),
                               "Signature expired: 20231114T215819Z is now earlier than"));
        reply_done(&r);
        r = signed_with(fc, FAKE_API_FC3, "GET", FC3 "f3/async-invoke-config", NULL,
                        FAKE_DEFAULT_ALICLOUD_AKID, "fakesecret", NOW + 901);
        assert_string_equal(str(&r, "Code"), "RequestTimeTooSkewed");
        reply_done(&r);
        r = signed_with(fc, FAKE_API_FUNCTIONGRAPH, "GET", FG URN "/async-invoke-config", NULL,
                        FAKE_DEFAULT_HUAWEI_AK, "fakesecret", NOW - 3600);
        assert_int_equal(r.status, 401);
        reply_done(&r);
        /* No Authorization header. */
        r = raw(fc, "GET", LAMBDA "orders/event-invoke-config", h, 1, NULL, true);
        assert_int_equal(r.status, 403);
        assert_string_equal(fake_response_header(&r.resp, "x-amzn-ErrorType"),
                            "MissingAuthenticationTokenException");
        reply_done(&r);
        /* A body changed after signing (the x-acs-content-sha256 no longer matches). */
        assert_int_equal(fake_client_sign(FAKE_API_FC3, "PUT", FC3 "f3/async-invoke-config", "h",
                                          "{}", 2, FAKE_DEFAULT_ALICLOUD_AKID, "fakesecret", NULL,
                                          NOW, &s),
                         0);
        r = raw(fc, "PUT", FC3 "f3/async-invoke-config", s.headers, s.n_headers,
                "{\"maxAsyncRetryAttempts\":1}", true);
        assert_int_equal(r.status, 403);
        assert_string_equal(str(&r, "Code"), "SignatureNotMatch");
        reply_done(&r);
        /* The same for AWS without a body-hash header: the signature covers the body. */
        fake_signed_request_done(&s);
        assert_int_equal(fake_client_sign(FAKE_API_LAMBDA, "PUT",
                                          LAMBDA "orders/event-invoke-config", "h", "{}", 2,
                                          FAKE_DEFAULT_AWS_AKID, "fakesecret", NULL, NOW, &s),
                         0);
        r = raw(fc, "PUT", LAMBDA "orders/event-invoke-config", s.headers, s.n_headers,
                "{\"MaximumRetryAttempts\":1}", true);
        assert_int_equal(r.status, 403);
        reply_done(&r);
        fake_signed_request_done(&s);

        r = control(fc, "GET", "/_fake/stats", NULL);
        assert_int_equal(json_integer_value(json_object_get(r.json, "signatureRejected")), 11);
        assert_true(json_integer_value(json_object_get(
                            json_object_get(r.json, "signatureRejectedByProvider"), "aws")) == 5);
        reply_done(&r);
}

/* ---- control API ------------------------------------------------------------------------- */

static void test_control_loopback_only(void **state) {
        Reply r = raw(*state, "GET", "/_fake/stats", NULL, 0, NULL, false);

        assert_int_equal(r.status, 403);
        reply_done(&r);
        r = control(*state, "GET", "/_fake/unknown", NULL);
        assert_int_equal(r.status, 404);
        reply_done(&r);
        r = control(*state, "PATCH", "/_fake/stats", NULL);
        assert_int_equal(r.status, 405);
        reply_done(&r);
        r = control(*state, "POST", "/_fake/functions",
                    "{\"provider\":\"gcp\",\"function\":\"x\"}");
        assert_int_equal(r.status, 400);
        reply_done(&r);
}

static void test_control_bulk_configs_drift(void **state) {
        FakeCloud *fc = *state;
        char *body;
        size_t size;
        FILE *f = open_memstream(&body, &size);
        json_t *item, *cfg;
        Reply r;

        fputc('[', f);
        for (int i = 0; i < 12000; i++)
                fprintf(f, "%s{\"provider\":\"aws\",\"function\":\"bulk-%d\"}", i ? "," : "", i);
        fputc(']', f);
        fclose(f);
        r = control(fc, "POST", "/_fake/functions", body);
        free(body);
        assert_int_equal(r.status, 201);
        assert_int_equal(json_integer_value(json_object_get(r.json, "created")), 12000);
        reply_done(&r);
        expect(fc, FAKE_API_LAMBDA, "PUT", LAMBDA "bulk-11999/event-invoke-config",
               "{\"MaximumRetryAttempts\":2}", 200);

        r = control(fc, "GET", "/_fake/configs?provider=aws&function=bulk-11999", NULL);
        assert_int_equal(json_array_size(r.json), 1);
        item = json_array_get(r.json, 0);
        assert_string_equal(json_string_value(json_object_get(item, "provider")), "aws");
        assert_string_equal(json_string_value(json_object_get(item, "api")), "lambda");
        assert_string_equal(json_string_value(json_object_get(item, "qualifier")), "$LATEST");
        cfg = json_object_get(item, "config");
        assert_int_equal(json_integer_value(json_object_get(cfg, "MaximumRetryAttempts")), 2);
        reply_done(&r);

        /* Drift: merge a change, the cloud's GET shows it. */
        r = control(
                fc, "PUT", "/_fake/drift",
                "{\"provider\":\"aws\",\"function\":\"bulk-11999\",\"config\":{\"MaximumRetryAttempts\":0,"
                "\"DestinationConfig\":{\"OnSuccess\":{\"Destination\":\"arn:aws:sns:us-east-1:1:t\"}}}}");
        assert_int_equal(r.status, 200);
        reply_done(&r);
        r = call(fc, FAKE_API_LAMBDA, "GET", LAMBDA "bulk-11999/event-invoke-config", NULL);
        assert_int_equal(json_integer_value(json_object_get(r.json, "MaximumRetryAttempts")), 0);
        assert_true(json_is_object(
                json_object_get(json_object_get(r.json, "DestinationConfig"), "OnFailure")));
        reply_done(&r);
        /* Drift can create a config, for FC2 too, and delete it. */
        r = control(
                fc, "PUT", "/_fake/drift",
                "{\"provider\":\"alicloud\",\"service\":\"svc\",\"function\":\"f2\",\"qualifier\":\"LATEST\","
                "\"config\":{\"maxAsyncRetryAttempts\":5}}");
        assert_int_equal(r.status, 200);
        assert_string_equal(str(&r, "service"), "svc");
        reply_done(&r);
        expect(fc, FAKE_API_FC2, "GET", FC2 "svc/functions/f2/async-invoke-config", NULL, 200);
        r = control(fc, "DELETE", "/_fake/drift",
                    "{\"provider\":\"alicloud\",\"function\":\"svc/f2\"}");
        assert_int_equal(r.status, 204);
        reply_done(&r);
        expect(fc, FAKE_API_FC2, "GET", FC2 "svc/functions/f2/async-invoke-config", NULL, 404);
        r = control(fc, "DELETE", "/_fake/drift",
                    "{\"provider\":\"alicloud\",\"function\":\"svc/f2\"}");
        assert_int_equal(r.status, 404);
        reply_done(&r);
        r = control(fc, "PUT", "/_fake/drift",
                    "{\"provider\":\"aws\",\"function\":\"ghost\",\"config\":{}}");
        assert_int_equal(r.status, 404);
        reply_done(&r);
        /* An FC3 config created by drift for a qualifier other than LATEST carries the same
         * qualified functionArn the API would give it, so the list API reports its qualifier. */
        r = control(fc, "PUT", "/_fake/drift",
                    "{\"provider\":\"alicloud\",\"function\":\"g3\",\"qualifier\":\"7\","
                    "\"config\":{\"maxAsyncRetryAttempts\":4}}");
        assert_int_equal(r.status, 200);
        reply_done(&r);
        r = call(fc, FAKE_API_FC3, "GET", "/2023-03-30/async-invoke-configs?functionName=g3", NULL);
        assert_int_equal(r.status, 200);
        {
                json_t *configs = json_object_get(r.json, "configs"), *v;
                size_t i, qualified = 0;

                json_array_foreach(
                        configs, i,
                        v) if (endswith(json_string_value(json_object_get(v, "functionArn")),
                                        "functions/g3:7")) {
                        assert_int_equal(
                                json_integer_value(json_object_get(v, "maxAsyncRetryAttempts")), 4);
                        qualified++;
                }
                assert_int_equal(qualified, 1);
        }
        reply_done(&r);

        r = control(fc, "DELETE", "/_fake/functions",
                    "{\"provider\":\"aws\",\"function\":\"bulk-11999\"}");
        assert_int_equal(json_integer_value(json_object_get(r.json, "removed")), 1);
        reply_done(&r);
        expect(fc, FAKE_API_LAMBDA, "GET", LAMBDA "bulk-11999/event-invoke-config", NULL, 404);
}

static void test_faults(void **state) {
        FakeCloud *fc = *state;
        Reply r;

        r = control(fc, "POST", "/_fake/faults",
                    "{\"throttle\":1,\"retryAfter\":3,\"provider\":\"aws\"}");
        assert_int_equal(r.status, 200);
        reply_done(&r);
        r = call(fc, FAKE_API_LAMBDA, "GET", LAMBDA "orders/event-invoke-config", NULL);
        assert_int_equal(r.status, 429);
        assert_string_equal(fake_response_header(&r.resp, "Retry-After"), "3");
        assert_string_equal(fake_response_header(&r.resp, "x-amzn-ErrorType"),
                            "TooManyRequestsException");
        assert_string_equal(str(&r, "Reason"), "CallerRateLimitExceeded");
        assert_string_equal(str(&r, "retryAfterSeconds"), "3");
        reply_done(&r);
        /* The filter: other providers are untouched. */
        expect(fc, FAKE_API_FC3, "GET", FC3 "f3/async-invoke-config", NULL, 200);

        r = control(fc, "POST", "/_fake/faults", "{\"throttle\":1,\"provider\":\"huaweicloud\"}");
        reply_done(&r);
        r = call(fc, FAKE_API_FUNCTIONGRAPH, "GET", FG URN "/async-invoke-config", NULL);
        assert_int_equal(r.status, 429);
        assert_true(streq(str(&r, "error_code"), "APIG.0308") ||
                    streq(str(&r, "error_code"), "FSS.0429"));
        reply_done(&r);

        r = control(fc, "POST", "/_fake/faults",
                    "{\"error5xx\":1,\"errorStatus\":503,\"limit\":1}");
        reply_done(&r);
        r = call(fc, FAKE_API_FC2, "GET", FC2 "svc/functions/f2/async-invoke-config", NULL);
        assert_int_equal(r.status, 503);
        assert_string_equal(str(&r, "errorCode"), "InternalServerError");
        reply_done(&r);
        expect(fc, FAKE_API_FC3, "GET", FC3 "f3/async-invoke-config", NULL,
               200); /* limit reached */

        r = control(fc, "POST", "/_fake/faults", "{\"drop\":1}");
        reply_done(&r);
        r = call(fc, FAKE_API_LAMBDA, "GET", LAMBDA "orders/event-invoke-config", NULL);
        assert_true(r.resp.drop);
        reply_done(&r);

        r = control(fc, "POST", "/_fake/faults",
                    "{\"truncate\":1,\"latencyMs\":20,\"jitterMs\":10}");
        reply_done(&r);
        r = call(fc, FAKE_API_LAMBDA, "GET", LAMBDA "orders/event-invoke-config", NULL);
        assert_int_equal(r.status, 200);
        assert_null(r.json); /* cut in half: not JSON */
        assert_true(r.resp.delay_usec >= 20000 && r.resp.delay_usec <= 30000);
        reply_done(&r);

        r = control(fc, "POST", "/_fake/faults", "{\"bogus\":1}");
        assert_int_equal(r.status, 400);
        reply_done(&r);
        r = control(fc, "POST", "/_fake/faults", "{}");
        reply_done(&r);
        expect(fc, FAKE_API_LAMBDA, "GET", LAMBDA "orders/event-invoke-config", NULL, 200);

        r = control(fc, "GET", "/_fake/stats", NULL);
        assert_int_equal(
                json_integer_value(json_object_get(json_object_get(r.json, "faults"), "throttle")),
                2);
        assert_int_equal(
                json_integer_value(json_object_get(json_object_get(r.json, "faults"), "drop")), 1);
        assert_int_equal(
                json_integer_value(json_object_get(json_object_get(r.json, "faults"), "truncate")),
                1);
        assert_true(json_integer_value(
                            json_object_get(json_object_get(r.json, "byStatus"), "429")) == 2);
        reply_done(&r);
}

static void test_reset(void **state) {
        FakeCloud *fc = *state;
        Reply r;

        r = control(fc, "POST", "/_fake/reset", NULL);
        assert_int_equal(r.status, 200);
        reply_done(&r);
        expect(fc, FAKE_API_LAMBDA, "GET", LAMBDA "orders/event-invoke-config", NULL, 404);
        r = control(fc, "GET", "/_fake/configs", NULL);
        assert_int_equal(json_array_size(r.json), 0);
        reply_done(&r);
        r = control(fc, "GET", "/_fake/stats", NULL);
        assert_int_equal(json_integer_value(json_object_get(r.json, "requests")), 1);
        reply_done(&r);
}

static json_t *log_entry(const Reply *r, size_t i) {
        return json_array_get(json_object_get(r->json, "entries"), i);
}

static const char *entry_str(const Reply *r, size_t i, const char *key) {
        return json_string_value(json_object_get(log_entry(r, i), key));
}

/* The request log: every cloud request (never the control API) in arrival order, with the
 * function and qualifier it addressed even when a fault answered it, paged by after/limit,
 * cleared by a reset while sequence numbers go on. */
static void test_request_log(void **state) {
        FakeCloud *fc = *state;
        json_int_t first;
        Reply r;

        r = control(fc, "POST", "/_fake/reset", NULL);
        reply_done(&r);
        r = control(fc, "POST", "/_fake/functions",
                    "[{\"provider\":\"aws\",\"function\":\"orders\"},"
                    "{\"provider\":\"alicloud\",\"service\":\"svc\",\"function\":\"f2\"},"
                    "{\"provider\":\"huaweicloud\",\"function\":\"hw\"}]");
        reply_done(&r);
        expect(fc, FAKE_API_LAMBDA, "PUT", LAMBDA "orders/event-invoke-config?Qualifier=prod",
               "{\"MaximumRetryAttempts\":1}", 200);
        r = control(fc, "POST", "/_fake/faults", "{\"throttle\":1,\"provider\":\"alicloud\"}");
        reply_done(&r);
        expect(fc, FAKE_API_FC2, "GET", FC2 "svc/functions/f2/async-invoke-config", NULL, 429);
        r = control(fc, "POST", "/_fake/faults", "{\"truncate\":1,\"provider\":\"huaweicloud\"}");
        reply_done(&r);
        expect(fc, FAKE_API_FUNCTIONGRAPH, "PUT", FG URN ":v1/async-invoke-config",
               "{\"max_async_retry_attempts\":2}", 200);
        r = control(fc, "POST", "/_fake/faults", "{}");
        reply_done(&r);
        expect(fc, FAKE_API_LAMBDA, "GET", LAMBDA "orders/event-invoke-config", NULL, 404);

        r = control(fc, "GET", "/_fake/log", NULL);
        assert_int_equal(r.status, 200);
        assert_int_equal(json_array_size(json_object_get(r.json, "entries")), 4);
        first = json_integer_value(json_object_get(log_entry(&r, 0), "seq"));
        assert_int_equal(json_integer_value(json_object_get(r.json, "next")), first + 3);
        assert_int_equal(json_integer_value(json_object_get(r.json, "dropped")), 0);
        assert_string_equal(entry_str(&r, 0, "provider"), "aws");
        assert_string_equal(entry_str(&r, 0, "api"), "lambda");
        assert_string_equal(entry_str(&r, 0, "method"), "PUT");
        assert_string_equal(entry_str(&r, 0, "path"), LAMBDA "orders/event-invoke-config");
        assert_string_equal(entry_str(&r, 0, "function"), "orders");
        assert_string_equal(entry_str(&r, 0, "qualifier"), "prod");
        assert_string_equal(entry_str(&r, 0, "fault"), "none");
        assert_int_equal(json_integer_value(json_object_get(log_entry(&r, 0), "status")), 200);
        assert_true(json_real_value(json_object_get(log_entry(&r, 0), "start")) > 1.7e9);
        assert_true(json_real_value(json_object_get(log_entry(&r, 0), "end")) >=
                    json_real_value(json_object_get(log_entry(&r, 0), "start")));
        assert_string_equal(entry_str(&r, 1, "api"), "fc2");
        assert_string_equal(entry_str(&r, 1, "function"), "svc/f2");
        assert_string_equal(entry_str(&r, 1, "qualifier"), "LATEST");
        assert_string_equal(entry_str(&r, 1, "fault"), "throttle");
        assert_int_equal(json_integer_value(json_object_get(log_entry(&r, 1), "status")), 429);
        assert_string_equal(entry_str(&r, 2, "function"),
                            "urn:fss:cn-north-4:" PROJECT ":function:default:hw");
        assert_string_equal(entry_str(&r, 2, "qualifier"), "v1");
        assert_string_equal(entry_str(&r, 2, "fault"), "truncate");
        assert_string_equal(entry_str(&r, 3, "qualifier"), "$LATEST");
        assert_int_equal(json_integer_value(json_object_get(log_entry(&r, 3), "status")), 404);
        reply_done(&r);

        {
                char target[64];
                snprintf(target, sizeof(target), "/_fake/log?after=%lld&limit=2",
                         (long long) first);
                r = control(fc, "GET", target, NULL);
        }
        assert_int_equal(json_array_size(json_object_get(r.json, "entries")), 2);
        assert_int_equal(json_integer_value(json_object_get(log_entry(&r, 0), "seq")), first + 1);
        assert_int_equal(json_integer_value(json_object_get(r.json, "next")), first + 2);
        reply_done(&r);
        r = control(fc, "GET", "/_fake/log?limit=0", NULL);
        assert_int_equal(r.status, 400);
        reply_done(&r);

        r = control(fc, "POST", "/_fake/reset", NULL);
        reply_done(&r);
        expect(fc, FAKE_API_FC3, "GET", FC3 "gone/async-invoke-config", NULL, 404);
        r = control(fc, "GET", "/_fake/log", NULL);
        assert_int_equal(json_array_size(json_object_get(r.json, "entries")), 1);
        assert_int_equal(json_integer_value(json_object_get(log_entry(&r, 0), "seq")), first + 4);
        assert_string_equal(entry_str(&r, 0, "function"), "gone");
        reply_done(&r);
}

int main(void) {
        /* One emulator for the whole sequence: later tests build on earlier state. */
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_routing),
                cmocka_unit_test(test_lambda_not_found),
                cmocka_unit_test(test_lambda_foreign_arn),
                cmocka_unit_test(test_lambda_put_get_quirks),
                cmocka_unit_test(test_lambda_post_merge_delete),
                cmocka_unit_test(test_lambda_ranges_and_bodies),
                cmocka_unit_test(test_lambda_list),
                cmocka_unit_test(test_fc3),
                cmocka_unit_test(test_fc2),
                cmocka_unit_test(test_functiongraph),
                cmocka_unit_test(test_auth_failures),
                cmocka_unit_test(test_control_loopback_only),
                cmocka_unit_test(test_control_bulk_configs_drift),
                cmocka_unit_test(test_faults),
                cmocka_unit_test(test_reset),
                cmocka_unit_test(test_request_log),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
