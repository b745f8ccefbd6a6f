/* SPDX-License-Identifier: MIT */
/* Error classification of every cloud from status, headers and body (cloud_error_from_response),
 * Retry-After / TimeLeft, message sanitising and redaction, the class table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clouds/cloud.h"

#define NOW_USEC (1445412480ULL * 1000000ULL) /* Wed, 21 Oct 2015 07:28:00 GMT */

typedef struct Case {
        CloudApi api;
        CloudOp op;
        long status;
        const char *header_name, *header_value;
        const char *body;
        CloudErrorClass class;
        const char *code; /* expected code, or NULL */
} Case;

static CloudError classify(const Case *c) {
        HttpHeader h[2] = {};
        size_t n = 0;
        HttpResponse resp = { .status = c->status,
                              .body = c->body ?: "",
                              .body_size = c->body ? strlen(c->body) : 0 };
        CloudError e = {};

        if (c->header_name)
                h[n++] = (HttpHeader){ (char *) c->header_name, (char *) c->header_value };
        resp.headers = h;
        resp.n_headers = n;
        assert_int_equal(cloud_error_from_response(cloud_ops_from_api(c->api), c->op, &resp,
                                                   NOW_USEC, NULL, &e),
                         0);
        return e;
}

#define AWS CLOUD_API_AWS_LAMBDA
#define FC3 CLOUD_API_FC3
#define FC2 CLOUD_API_FC2
#define HW CLOUD_API_FUNCTIONGRAPH
#define GET CLOUD_OP_GET
#define PUT CLOUD_OP_PUT
#define DEL CLOUD_OP_DELETE
#define LIST CLOUD_OP_LIST

static const Case cases[] = {
        /* AWS: the code from x-amzn-ErrorType, the two 404s told apart by the message */
        { AWS, GET, 404, "x-amzn-ErrorType",
          "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.lambda/",
          "{\"Type\":\"User\",\"Message\":\"The function arn:aws:lambda:us-east-1:1:function:f:$LATEST doesn't have an EventInvokeConfig\"}",
          CLOUD_ERROR_CONFIG_ABSENT, "ResourceNotFoundException" },
        { AWS, GET, 404, "x-amzn-ErrorType", "ResourceNotFoundException",
          "{\"Type\":\"User\",\"Message\":\"Function not found: arn:aws:lambda:us-east-1:1:function:f\"}",
          CLOUD_ERROR_FUNCTION_ABSENT, "ResourceNotFoundException" },
        { AWS, PUT, 404, "x-amzn-ErrorType", "ResourceNotFoundException",
          "{\"Message\":\"The resource you requested does not exist.\"}",
          CLOUD_ERROR_FUNCTION_ABSENT, "ResourceNotFoundException" },
        { AWS, LIST, 404, NULL, NULL,
          "{\"code\":\"ResourceNotFoundException\",\"message\":\"Function not found: x\"}",
          CLOUD_ERROR_FUNCTION_ABSENT, "ResourceNotFoundException" },
        { AWS, GET, 404, NULL, NULL, "<html>not found</html>", CLOUD_ERROR_PERMANENT, NULL },
        { AWS, GET, 404, NULL, NULL,
          "{\"__type\":\"com.amazon.coral#ResourceNotFoundException\",\"message\":\"x doesn't have an EventInvokeConfig\"}",
          CLOUD_ERROR_CONFIG_ABSENT, "ResourceNotFoundException" },
        { AWS, PUT, 400, "x-amzn-ErrorType", "InvalidParameterValueException",
          "{\"Type\":\"User\",\"message\":\"The destination ARN arn:aws:sqs:us-east-1:1:q is invalid.\"}",
          CLOUD_ERROR_TRANSIENT, "InvalidParameterValueException" },
        { AWS, PUT, 400, "x-amzn-ErrorType", "InvalidParameterValueException",
          "{\"message\":\"The function's execution role does not have permissions to call SendMessage on arn:aws:sqs:...\"}",
          CLOUD_ERROR_TRANSIENT, "InvalidParameterValueException" },
        { AWS, PUT, 400, "x-amzn-ErrorType", "InvalidParameterValueException",
          "{\"message\":\"MaximumRetryAttempts must be <= 2\"}", CLOUD_ERROR_INVALID,
          "InvalidParameterValueException" },
        { AWS, PUT, 409, "x-amzn-ErrorType", "ResourceConflictException",
          "{\"message\":\"The operation cannot be performed at this time.\"}",
          CLOUD_ERROR_TRANSIENT, "ResourceConflictException" },
        { AWS, GET, 429, "x-amzn-ErrorType", "TooManyRequestsException",
          "{\"message\":\"Rate exceeded\",\"Reason\":\"CallerRateLimitExceeded\"}",
          CLOUD_ERROR_THROTTLED, "TooManyRequestsException" },
        { AWS, GET, 400, NULL, NULL, "{\"Code\":\"ThrottlingException\"}", CLOUD_ERROR_THROTTLED,
          "ThrottlingException" },
        { AWS, GET, 403, "x-amzn-ErrorType", "InvalidSignatureException", "{\"message\":\"sig\"}",
          CLOUD_ERROR_AUTH, "InvalidSignatureException" },
        { AWS, GET, 403, "x-amzn-ErrorType", "UnrecognizedClientException", "{}", CLOUD_ERROR_AUTH,
          "UnrecognizedClientException" },
        { AWS, GET, 400, "x-amzn-ErrorType", "ExpiredTokenException", NULL, CLOUD_ERROR_AUTH,
          "ExpiredTokenException" },
        { AWS, GET, 500, "x-amzn-ErrorType", "ServiceException", "{\"Message\":\"oops\"}",
          CLOUD_ERROR_TRANSIENT, "ServiceException" },
        { AWS, GET, 502, NULL, NULL, "<html>bad gateway</html>", CLOUD_ERROR_TRANSIENT, NULL },
        { AWS, GET, 400, "x-amzn-ErrorType", "InvalidRequestContentException", "{}",
          CLOUD_ERROR_INVALID, "InvalidRequestContentException" },
        { AWS, GET, 413, NULL, NULL, "{\"code\":\"RequestTooLargeException\"}",
          CLOUD_ERROR_PERMANENT, "RequestTooLargeException" },
        /* an ARN of another region: neither "no config" (a DELETE would count as done) nor
         * "no function" */
        { AWS, GET, 404, "x-amzn-ErrorType", "ResourceNotFoundException",
          "{\"Type\":\"User\",\"Message\":\"Functions from 'eu-west-1' are not reachable in this region ('us-east-1')\"}",
          CLOUD_ERROR_PERMANENT, "ResourceNotFoundException" },
        { AWS, DEL, 404, "x-amzn-ErrorType", "ResourceNotFoundException",
          "{\"Type\":\"User\",\"Message\":\"Functions from 'eu-west-1' are not reachable in this region ('us-east-1')\"}",
          CLOUD_ERROR_PERMANENT, "ResourceNotFoundException" },
        /* Alibaba FC3 */
        { FC3, GET, 404, NULL, NULL,
          "{\"Code\":\"AsyncConfigNotExists\",\"Message\":\"async config not exists\",\"RequestId\":\"1-abc\"}",
          CLOUD_ERROR_CONFIG_ABSENT, "AsyncConfigNotExists" },
        { FC3, GET, 404, NULL, NULL,
          "{\"Code\":\"FunctionNotFound\",\"Message\":\"function not found\"}",
          CLOUD_ERROR_FUNCTION_ABSENT, "FunctionNotFound" },
        { FC3, PUT, 404, NULL, NULL, "{\"Code\":\"AsyncConfigNotExists\"}",
          CLOUD_ERROR_FUNCTION_ABSENT, "AsyncConfigNotExists" },
        { FC3, GET, 404, NULL, NULL, "{\"Code\":\"AliasNotFound\"}", CLOUD_ERROR_FUNCTION_ABSENT,
          "AliasNotFound" },
        { FC3, PUT, 400, NULL, NULL,
          "{\"Code\":\"InvalidArgument\",\"Message\":\"maxAsyncRetryAttempts\"}",
          CLOUD_ERROR_INVALID, "InvalidArgument" },
        { FC3, PUT, 403, NULL, NULL, "{\"Code\":\"AccessDenied\",\"Message\":\"role\"}",
          CLOUD_ERROR_TRANSIENT, "AccessDenied" },
        { FC3, GET, 403, NULL, NULL, "{\"Code\":\"SignatureNotMatch\"}", CLOUD_ERROR_AUTH,
          "SignatureNotMatch" },
        { FC3, GET, 400, NULL, NULL, "{\"code\":\"InvalidAccessKeyId.NotFound\"}", CLOUD_ERROR_AUTH,
          "InvalidAccessKeyId.NotFound" },
        { FC3, GET, 429, "x-ratelimit-user-api", "Limit:10,Remain:0,TimeLeft:1500,Reset:1",
          "{\"Code\":\"Throttling.User\"}", CLOUD_ERROR_THROTTLED, "Throttling.User" },
        { FC3, GET, 503, NULL, NULL, "{\"Code\":\"ServiceUnavailable\"}", CLOUD_ERROR_TRANSIENT,
          "ServiceUnavailable" },
        { FC3, GET, 404, NULL, NULL, "", CLOUD_ERROR_PERMANENT, NULL },
        /* Alibaba FC2 */
        { FC2, GET, 404, "X-Fc-Request-Id", "req-2",
          "{\"ErrorCode\":\"AsyncConfigNotExists\",\"ErrorMessage\":\"x\"}",
          CLOUD_ERROR_CONFIG_ABSENT, "AsyncConfigNotExists" },
        { FC2, GET, 404, NULL, NULL,
          "{\"errorCode\":\"ServiceNotFound\",\"errorMessage\":\"service not found\"}",
          CLOUD_ERROR_FUNCTION_ABSENT, "ServiceNotFound" },
        { FC2, DEL, 404, NULL, NULL, "{\"errorCode\":\"FunctionNotFound\"}",
          CLOUD_ERROR_FUNCTION_ABSENT, "FunctionNotFound" },
        { FC2, GET, 429, NULL, NULL, "{\"errorCode\":\"ResourceThrottled\"}", CLOUD_ERROR_THROTTLED,
          "ResourceThrottled" },
        { FC2, GET, 401, NULL, NULL, "{\"errorCode\":\"InvalidAccessKeyID\"}", CLOUD_ERROR_AUTH,
          "InvalidAccessKeyID" },
        { FC2, GET, 500, NULL, NULL, "{\"errorCode\":\"InternalServerError\"}",
          CLOUD_ERROR_TRANSIENT, "InternalServerError" },
        /* Huawei */
        { HW, GET, 404, "X-Request-Id", "r-1",
          "{\"error_code\":\"FSS.0404\",\"error_msg\":\"not found\"}", CLOUD_ERROR_CONFIG_ABSENT,
          "FSS.0404" },
        { HW, GET, 404, NULL, NULL,
          "{\"error_code\":\"FSS.1051\",\"error_msg\":\"function not exist\"}",
          CLOUD_ERROR_FUNCTION_ABSENT, "FSS.1051" },
        { HW, GET, 404, NULL, NULL, "{\"error_code\":\"FSS.1053\"}", CLOUD_ERROR_FUNCTION_ABSENT,
          "FSS.1053" },
        { HW, PUT, 404, NULL, NULL, "{\"error_code\":\"FSS.0404\"}", CLOUD_ERROR_FUNCTION_ABSENT,
          "FSS.0404" },
        { HW, PUT, 400, NULL, NULL, "{\"error_code\":\"FSS.0400\",\"error_msg\":\"bad\"}",
          CLOUD_ERROR_INVALID, "FSS.0400" },
        { HW, GET, 401, NULL, NULL,
          "{\"error_code\":\"APIG.0301\",\"error_msg\":\"Incorrect IAM authentication information\"}",
          CLOUD_ERROR_AUTH, "APIG.0301" },
        { HW, GET, 403, NULL, NULL, "{\"error\":{\"code\":\"FSS.0403\",\"message\":\"forbidden\"}}",
          CLOUD_ERROR_AUTH, "FSS.0403" },
        { HW, GET, 429, "Retry-After", "7", "{\"error_code\":\"APIG.0308\"}", CLOUD_ERROR_THROTTLED,
          "APIG.0308" },
        { HW, GET, 400, NULL, NULL, "{\"error_code\":\"FSS.0429\"}", CLOUD_ERROR_THROTTLED,
          "FSS.0429" },
        { HW, GET, 504, NULL, NULL, "{\"error_code\":\"FSS.0504\"}", CLOUD_ERROR_TRANSIENT,
          "FSS.0504" },
        { HW, GET, 405, NULL, NULL, "nope", CLOUD_ERROR_PERMANENT, NULL },
};

static void test_classification(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                CloudError e = classify(&cases[i]);
                if (e.class != cases[i].class)
                        print_error("case %zu: %s != %s\n", i, cloud_error_class_to_string(e.class),
                                    cloud_error_class_to_string(cases[i].class));
                assert_int_equal(e.class, cases[i].class);
                assert_int_equal(e.http_status, cases[i].status);
                assert_int_equal(e.error, 0);
                if (cases[i].code)
                        assert_string_equal(e.code, cases[i].code);
                else
                        assert_null(e.code);
                cloud_error_done(&e);
        }
}

static void test_details(void **state) {
        CloudError e;
        _cleanup_free_ char *s = NULL;

        e = classify(&cases[0]);
        assert_string_equal(
                e.message,
                "The function arn:aws:lambda:us-east-1:1:function:f:$LATEST doesn't have an EventInvokeConfig");
        cloud_error_done(&e);

        /* the note on IAM propagation; formatting */
        e = classify(&cases[6]);
        assert_non_null(e.note);
        assert_int_equal(cloud_error_format(&e, &s), 0);
        assert_true(startswith(
                s, "transient: HTTP 400 InvalidParameterValueException: The destination ARN"));
        assert_non_null(strstr(s, "IAM"));
        cloud_error_done(&e);

        /* request ids from the body and from the header */
        Case c = { FC3,  GET,  404,
                   NULL, NULL, "{\"Code\":\"AsyncConfigNotExists\",\"RequestId\":\"1-abc\"}",
                   0,    NULL };
        e = classify(&c);
        assert_string_equal(e.request_id, "1-abc");
        cloud_error_done(&e);
        c = (Case){ FC2, GET, 404, "X-Fc-Request-Id", "req-2", "{}", 0, NULL };
        e = classify(&c);
        assert_string_equal(e.request_id, "req-2");
        cloud_error_done(&e);

        /* throttling waits: Retry-After seconds and dates, Alibaba TimeLeft (ms) */
        e = classify(&(Case){ AWS, GET, 429, "Retry-After", "120", "{}", 0, NULL });
        assert_int_equal(e.retry_after_usec, 120000000ULL);
        cloud_error_done(&e);
        e = classify(&(Case){ AWS, GET, 429, "Retry-After", "Wed, 21 Oct 2015 07:28:30 GMT", "{}",
                              0, NULL });
        assert_int_equal(e.retry_after_usec, 30000000ULL);
        cloud_error_done(&e);
        e = classify(&(Case){ FC3, GET, 429, "x-ratelimit-user-api",
                              "Limit:10,Remain:0,TimeLeft:1500,Reset:1", "{}", 0, NULL });
        assert_int_equal(e.retry_after_usec, 1500000ULL);
        cloud_error_done(&e);
        e = classify(&(Case){ HW, GET, 429, NULL, NULL, "{}", 0, NULL });
        assert_int_equal(e.retry_after_usec, 0);
        cloud_error_done(&e);
        /* a Retry-After on a non-throttling answer is not a wait */
        e = classify(&(Case){ AWS, GET, 500, "Retry-After", "5", "{}", 0, NULL });
        assert_int_equal(e.retry_after_usec, 0);
        cloud_error_done(&e);
}

static void test_retry_after(void **state) {
        uint64_t u;

        assert_int_equal(http_parse_retry_after("0", NOW_USEC, &u), 0);
        assert_int_equal(u, 0);
        assert_int_equal(http_parse_retry_after("99999999999999999999", NOW_USEC, &u), 0);
        assert_int_equal(u, CLOUD_RETRY_AFTER_MAX_USEC);
        assert_int_equal(http_parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", NOW_USEC, &u), 0);
        assert_int_equal(u, 0); /* in the past */
        assert_int_equal(http_parse_retry_after("Wednesday, 21-Oct-15 07:28:10 GMT", NOW_USEC, &u),
                         0);
        assert_int_equal(u, 10000000ULL);
        assert_int_equal(http_parse_retry_after("Wed Oct 21 07:28:05 2015", NOW_USEC, &u), 0);
        assert_int_equal(u, 5000000ULL);
        assert_int_equal(http_parse_retry_after("Wed, 21 Oct 2099 07:28:00 GMT", NOW_USEC, &u), 0);
        assert_int_equal(u, CLOUD_RETRY_AFTER_MAX_USEC);
        static const char *const bad[] = { "",  "-1", "1.5", "soon", "Wed, 21 Oct 2015 07:28:00",
                                           "5s" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(http_parse_retry_after(bad[i], NOW_USEC, &u), -EINVAL);

        assert_int_equal(cloud_parse_alicloud_time_left("TimeLeft:20", &u), 0);
        assert_int_equal(u, 20000ULL);
        assert_int_equal(cloud_parse_alicloud_time_left("Limit:1, TimeLeft:7", &u), 0);
        assert_int_equal(u, 7000ULL);
        assert_int_equal(cloud_parse_alicloud_time_left("Limit:1,Remain:0", &u), -ENOENT);
        assert_int_equal(cloud_parse_alicloud_time_left(NULL, &u), -ENOENT);
        assert_int_equal(cloud_parse_alicloud_time_left("TimeLeft:x", &u), -EINVAL);
        assert_int_equal(cloud_parse_alicloud_time_left("MyTimeLeft:5", &u), -ENOENT);
}

static void test_message_sanitising(void **state) {
        CloudError e = {};
        const char *const redact[] = { "SECRETKEY", "TOKEN123", NULL };
        char big[3000];

        assert_int_equal(
                cloud_error_set_message(&e, "a\nb\tc TOKEN123 and SECRETKEYSECRETKEY", redact), 0);
        assert_string_equal(e.message, "a b c <redacted> and <redacted><redacted>");

        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        memcpy(big + 600, "TOKEN123", 8);
        assert_int_equal(cloud_error_set_message(&e, big, redact), 0);
        assert_int_equal(strlen(e.message), CLOUD_ERROR_MESSAGE_MAX + 3);
        assert_true(endswith(e.message, "..."));
        assert_null(strstr(e.message, "TOKEN"));

        /* never cut inside a UTF-8 sequence */
        memset(big, 'x', CLOUD_ERROR_MESSAGE_MAX - 1);
        strcpy(big + CLOUD_ERROR_MESSAGE_MAX - 1, "\xc3\xa9tail");
        assert_int_equal(cloud_error_set_message(&e, big, NULL), 0);
        assert_int_equal(strlen(e.message), CLOUD_ERROR_MESSAGE_MAX - 1 + 3);

        assert_int_equal(cloud_error_set_message(&e, NULL, NULL), 0);
        assert_null(e.message);
        cloud_error_done(&e);

        /* AWS echoes the canonical request, signed token included: cut out on the way in */
        HttpHeader h = { (char *) "x-amzn-ErrorType", (char *) "InvalidSignatureException" };
        static const char body[] =
                "{\"message\":\"The Canonical String for this request should have been 'x-amz-security-token:TOKEN123'\"}";
        HttpResponse resp = { .status = 403,
                              .body = body,
                              .body_size = strlen(body),
                              .headers = &h,
                              .n_headers = 1 };
        assert_int_equal(cloud_error_from_response(&cloud_ops_aws, CLOUD_OP_GET, &resp, NOW_USEC,
                                                   redact, &e),
                         0);
        assert_int_equal(e.class, CLOUD_ERROR_AUTH);
        assert_null(strstr(e.message, "TOKEN123"));
        assert_non_null(strstr(e.message, "<redacted>"));
        cloud_error_done(&e);
}

static void test_tables(void **state) {
        for (int i = 0; i < _CLOUD_ERROR_CLASS_MAX; i++) {
                assert_non_null(cloud_error_class_to_string(i));
                assert_int_equal(cloud_error_class_from_string(cloud_error_class_to_string(i)), i);
        }
        for (int i = 0; i < _CLOUD_OP_MAX; i++)
                assert_int_equal(cloud_op_from_string(cloud_op_to_string(i)), i);
        assert_null(cloud_error_class_to_string(_CLOUD_ERROR_CLASS_MAX));
        assert_int_equal(cloud_error_class_from_string("nope"), _CLOUD_ERROR_CLASS_INVALID);
        assert_true(cloud_error_class_is_retryable(CLOUD_ERROR_THROTTLED));
        assert_true(cloud_error_class_is_retryable(CLOUD_ERROR_TRANSIENT));
        assert_false(cloud_error_class_is_retryable(CLOUD_ERROR_AUTH));
        assert_false(cloud_error_class_is_retryable(CLOUD_ERROR_CONFIG_ABSENT));

        for (int api = 0; api < _CLOUD_API_MAX; api++)
                assert_int_equal(cloud_ops_from_api(api)->api, api);
        assert_null(cloud_ops_from_api(_CLOUD_API_MAX));

        char *c = NULL;
        assert_int_equal(cloud_aws_error_code_clean("aws.protocoltests#FooError:http://x/", &c), 0);
        assert_string_equal(c, "FooError");
        free(c);

        CloudError a = { .class = CLOUD_ERROR_AUTH, .code = (char *) "X", .message = (char *) "m" },
                   b;
        assert_int_equal(cloud_error_copy(&b, &a), 0);
        assert_string_equal(b.code, "X");
        assert_ptr_not_equal(b.code, a.code);
        cloud_error_done(&b);
}

/* One colon after the class, whatever follows it: a transport error's message has neither
 * status nor code before it ("transient:: ..." was once printed). */
static void test_format(void **state) {
        static const struct {
                CloudError e;
                const char *want;
        } formats[] = {
                { { .class = CLOUD_ERROR_TRANSIENT,
                    .error = -ECONNRESET,
                    .message = (char *) "connection reset" },
                  "transient: connection reset (Connection reset by peer)" },
                { { .class = CLOUD_ERROR_TRANSIENT, .message = (char *) "truncated body" },
                  "transient: truncated body" },
                { { .class = CLOUD_ERROR_TRANSIENT, .error = -ETIMEDOUT },
                  "transient: (Connection timed out)" },
                { { .class = CLOUD_ERROR_FUNCTION_ABSENT,
                    .http_status = 404,
                    .code = (char *) "NotFound",
                    .message = (char *) "no such function" },
                  "function-absent: HTTP 404 NotFound: no such function" },
                { { .class = CLOUD_ERROR_THROTTLED,
                    .http_status = 429,
                    .message = (char *) "slow down" },
                  "throttled: HTTP 429: slow down" },
                { { .class = CLOUD_ERROR_INVALID,
                    .code = (char *) "Bad",
                    .message = (char *) "bad" },
                  "invalid: Bad: bad" },
        };

        for (size_t i = 0; i < ELEMENTSOF(formats); i++) {
                _cleanup_free_ char *s = NULL;

                assert_int_equal(cloud_error_format(&formats[i].e, &s), 0);
                assert_string_equal(s, formats[i].want);
                assert_null(strstr(s, "::"));
        }
}

/* The detail leaves the class out, for lines that show it apart: /status once read
 * "transient: get failed: transient: malformed response (Bad message)". */
static void test_format_detail(void **state) {
        static const struct {
                CloudError e;
                const char *want;
        } details[] = {
                { { .class = CLOUD_ERROR_TRANSIENT,
                    .error = -EBADMSG,
                    .message = (char *) "malformed response" },
                  "malformed response (Bad message)" },
                { { .class = CLOUD_ERROR_PERMANENT,
                    .http_status = 404,
                    .message = (char *) "gone" },
                  "HTTP 404: gone" },
                { { .class = CLOUD_ERROR_TRANSIENT, .error = -ECONNRESET },
                  "(Connection reset by peer)" },
                { { .class = CLOUD_ERROR_THROTTLED, .retry_after_usec = 1000000 },
                  "retry after 1.0s" },
        };

        for (size_t i = 0; i < ELEMENTSOF(details); i++) {
                _cleanup_free_ char *s = NULL;

                assert_int_equal(cloud_error_format_detail(&details[i].e, &s), 0);
                assert_string_equal(s, details[i].want);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_classification), cmocka_unit_test(test_details),
                cmocka_unit_test(test_retry_after),    cmocka_unit_test(test_message_sanitising),
                cmocka_unit_test(test_tables),         cmocka_unit_test(test_format),
                cmocka_unit_test(test_format_detail),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
