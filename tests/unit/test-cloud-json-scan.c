/* SPDX-License-Identifier: MIT */
/* clouds/cloud-json-scan: the fast path takes the plain bodies clouds send, gives what
 * json_loadb() gives for them, and leaves everything else to jansson. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clouds/cloud-json-scan.h"
#include "clouds/cloud-json.h"

/* Taken by the fast path, and equal to jansson's reading. */
static void assert_scanned(const char *body) {
        json_t *fast = NULL, *slow = json_loads(body, JSON_REJECT_DUPLICATES, NULL);

        assert_int_equal(cloud_json_scan(body, strlen(body), &fast), 1);
        assert_non_null(slow);
        assert_true(json_equal(fast, slow));
        json_decref(fast);
        json_decref(slow);
}

static void assert_left_to_jansson(const char *body) {
        json_t *fast = NULL;

        assert_int_equal(cloud_json_scan(body, strlen(body), &fast), 0);
        assert_null(fast);
}

static void test_cloud_bodies(void **state) {
        assert_scanned(
                "{\"Code\":\"AsyncConfigNotExists\",\"Message\":\"async invoke config does not "
                "exist\",\"RequestId\":\"1-2\"}");
        assert_scanned(" {\"error_code\": \"FSS.1051\", \"error_msg\": \"not found\"}\r\n");
        assert_scanned("{\"error\":{\"code\":\"APIGW.0301\",\"message\":\"bad\"},\"n\":null}");
        assert_scanned("{\"MaximumRetryAttempts\":0,\"MaximumEventAgeInSeconds\":21600,"
                       "\"DestinationConfig\":{\"OnSuccess\":{},\"OnFailure\":{\"Destination\":"
                       "\"arn:aws:sqs:us-east-1:1:q\"}},\"LastModified\":17}");
        assert_scanned("{\"a\":[1,-2,0,-0,true,false,null,[],{},\"\"],\"b\":123456789012345678}");
        assert_scanned("{}");
}

static void test_unusual_bodies(void **state) {
        assert_left_to_jansson("{\"a\":\"caf\xc3\xa9\"}");     /* non-ASCII */
        assert_left_to_jansson("{\"a\":\"x\\\"y\"}");          /* an escape */
        assert_left_to_jansson("{\"a\":1.5}");                 /* a real */
        assert_left_to_jansson("{\"a\":1e3}");                 /* an exponent */
        assert_left_to_jansson("{\"a\":1234567890123456789}"); /* 19 digits */
        assert_left_to_jansson("[1]");                         /* not an object */
        assert_left_to_jansson("{\"a\":1}x");                  /* trailing data */
        assert_left_to_jansson("{\"a\":01}");                  /* a leading zero */
        assert_left_to_jansson("{\"a\":1,\"a\":2}");           /* a duplicate key */
        assert_left_to_jansson("{\"a\":tru}");                 /* a broken literal */
        assert_left_to_jansson("{\"a\":1,}");                  /* a trailing comma */
        assert_left_to_jansson("{\"a\":\"x\ty\"}");            /* a control character */
        assert_left_to_jansson("{\"a\":");                     /* truncated */
}

/* The fast path changes nothing of what cloud_json_parse_object() accepts or refuses. */
static void test_parse_object(void **state) {
        json_t *o = NULL;

        assert_int_equal(cloud_json_parse_object("{\"a\":1,\"a\":2}", 13, &o), -EBADMSG);
        assert_int_equal(cloud_json_parse_object("[1]", 3, &o), -EBADMSG);
        assert_int_equal(cloud_json_parse_object("{\"a\":\"x\\u00e9\"}", 15, &o), 0);
        assert_string_equal(json_string_value(json_object_get(o, "a")), "x\xc3\xa9");
        json_decref(o);
}

/* Deeper than the fast path goes: jansson's. */
static void test_depth(void **state) {
        char body[400] = "";

        for (int i = 0; i < 40; i++)
                strcat(body, "{\"a\":");
        strcat(body, "1");
        for (int i = 0; i < 40; i++)
                strcat(body, "}");
        assert_left_to_jansson(body);
        body[5 * 40 - 5 * 30] = 0; /* not valid any more: still not the fast path's */
        assert_left_to_jansson(body);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cloud_bodies),
                cmocka_unit_test(test_unusual_bodies),
                cmocka_unit_test(test_parse_object),
                cmocka_unit_test(test_depth),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
