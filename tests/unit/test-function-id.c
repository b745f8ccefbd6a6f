/* SPDX-License-Identifier: MIT */
/* Function identity: every spelling of every provider, its canonical form, and conflicts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/macro.h"
#include "clouds/cloud.h"
#include "clouds/function-id.h"

#define URN "urn:fss:cn-north-4:0123456789abcdef0123456789abcdef:function:default:fn"

typedef struct Good {
        Provider provider;
        const char *function, *qualifier;
        const char *canonical, *name, *canonical_qualifier, *region, *account;
        CloudApi api;
} Good;

static const Good good[] = {
        { PROVIDER_AWS, "orders", NULL, "orders", "orders", "$LATEST", NULL, NULL,
          CLOUD_API_AWS_LAMBDA },
        { PROVIDER_AWS, "orders", "$LATEST", "orders", "orders", "$LATEST", NULL, NULL,
          CLOUD_API_AWS_LAMBDA },
        { PROVIDER_AWS, "orders:live", NULL, "orders", "orders", "live", NULL, NULL,
          CLOUD_API_AWS_LAMBDA },
        { PROVIDER_AWS, "orders:live", "live", "orders", "orders", "live", NULL, NULL,
          CLOUD_API_AWS_LAMBDA },
        { PROVIDER_AWS, "123456789012:function:orders", NULL, "orders", "orders", "$LATEST", NULL,
          "123456789012", CLOUD_API_AWS_LAMBDA },
        { PROVIDER_AWS, "123456789012:function:orders:7", NULL, "orders", "orders", "7", NULL,
          "123456789012", CLOUD_API_AWS_LAMBDA },
        { PROVIDER_AWS, "arn:aws:lambda:us-east-1:123456789012:function:orders", NULL, "orders",
          "orders", "$LATEST", "us-east-1", "123456789012", CLOUD_API_AWS_LAMBDA },
        { PROVIDER_AWS, "arn:aws-cn:lambda:cn-north-1:123456789012:function:o_1:$LATEST.PUBLISHED",
          NULL, "o_1", "o_1", "$LATEST.PUBLISHED", "cn-north-1", "123456789012",
          CLOUD_API_AWS_LAMBDA },
        { PROVIDER_ALICLOUD, "image-resize", NULL, "image-resize", "image-resize", "LATEST", NULL,
          NULL, CLOUD_API_FC3 },
        { PROVIDER_ALICLOUD, "image-resize", "prod", "image-resize", "image-resize", "prod", NULL,
          NULL, CLOUD_API_FC3 },
        { PROVIDER_ALICLOUD, "billing/render", NULL, "billing/render", "render", "LATEST", NULL,
          NULL, CLOUD_API_FC2 },
        { PROVIDER_HUAWEICLOUD, URN ":latest", NULL, URN, "fn", "latest", "cn-north-4",
          "0123456789abcdef0123456789abcdef", CLOUD_API_FUNCTIONGRAPH },
        { PROVIDER_HUAWEICLOUD, URN ":LATEST", "Latest", URN, "fn", "latest", "cn-north-4",
          "0123456789abcdef0123456789abcdef", CLOUD_API_FUNCTIONGRAPH },
        { PROVIDER_HUAWEICLOUD, URN, NULL, URN, "fn", "latest", "cn-north-4",
          "0123456789abcdef0123456789abcdef", CLOUD_API_FUNCTIONGRAPH },
        { PROVIDER_HUAWEICLOUD, URN, "v2", URN, "fn", "v2", "cn-north-4",
          "0123456789abcdef0123456789abcdef", CLOUD_API_FUNCTIONGRAPH },
        { PROVIDER_HUAWEICLOUD, URN ":v2", "v2", URN, "fn", "v2", "cn-north-4",
          "0123456789abcdef0123456789abcdef", CLOUD_API_FUNCTIONGRAPH },
};

static void assert_opt_equal(const char *a, const char *b) {
        if (!a || !b)
                assert_ptr_equal(a, b);
        else
                assert_string_equal(a, b);
}

static void test_good(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                const Good *g = &good[i];
                _cleanup_free_ char *error = NULL;
                FunctionId id;

                assert_int_equal(
                        function_id_parse(g->provider, g->function, g->qualifier, &id, &error), 0);
                assert_null(error);
                assert_string_equal(id.function, g->canonical);
                assert_string_equal(id.name, g->name);
                assert_string_equal(id.qualifier, g->canonical_qualifier);
                assert_opt_equal(id.region, g->region);
                assert_opt_equal(id.account_id, g->account);
                assert_int_equal(id.api, g->api);
                function_id_done(&id);
        }
}

typedef struct Bad {
        Provider provider;
        const char *function, *qualifier;
        int error; /* -EINVAL: the function, -EDOM: the qualifier */
        const char *message;
} Bad;

static const Bad bad[] = {
        { PROVIDER_AWS, "", NULL, -EINVAL, "invalid function name ''" },
        { PROVIDER_AWS, "a/b", NULL, -EINVAL, "invalid function name 'a/b'" },
        { PROVIDER_AWS, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL,
          -EINVAL, "invalid function name" },
        { PROVIDER_AWS, "f:v1", "v2", -EDOM,
          "qualifier 'v2' conflicts with the qualifier 'v1' in the function" },
        { PROVIDER_AWS, "f", "v 1", -EDOM, "invalid qualifier 'v 1'" },
        { PROVIDER_AWS, "f:v 1", NULL, -EINVAL, "invalid qualifier 'v 1' in function" },
        { PROVIDER_AWS, "arn:aws:lambda:us-east-1:123456789012:layer:x", NULL, -EINVAL,
          "invalid Lambda function ARN" },
        { PROVIDER_AWS, "arn:gcp:lambda:us-east-1:123456789012:function:x", NULL, -EINVAL,
          "bad partition, region or account" },
        { PROVIDER_AWS, "12345678901x:function:f", NULL, -EINVAL, "invalid partial Lambda ARN" },
        /* a qualified ARN and a different spec.qualifier: never one of them silently */
        { PROVIDER_AWS, "arn:aws:lambda:us-east-1:123456789012:function:f:live", "prod", -EDOM,
          "qualifier 'prod' conflicts with the qualifier 'live' in the function" },
        { PROVIDER_AWS, "arn:aws:lambda:us-east-1:123456789012:function:f:live", "$LATEST", -EDOM,
          "conflicts with the qualifier 'live'" },
        { PROVIDER_AWS, "123456789012:function:f:7", "8", -EDOM,
          "qualifier '8' conflicts with the qualifier '7' in the function" },
        /* FC takes names only: an ARN (region and account in it) is not a function name */
        { PROVIDER_ALICLOUD, "acs:fc:cn-hangzhou:1234567890123456:functions/f", NULL, -EINVAL,
          "is an ARN: Function Compute functions are named by name" },
        { PROVIDER_ALICLOUD, "acs:fc:cn-hangzhou:1234567890123456:services/s.LATEST/functions/f",
          NULL, -EINVAL, "is an ARN" },
        { PROVIDER_ALICLOUD, "svc/", NULL, -EINVAL, "invalid FC2 function 'svc/'" },
        { PROVIDER_ALICLOUD, "/fn", NULL, -EINVAL, "invalid FC2 function '/fn'" },
        { PROVIDER_ALICLOUD, "-fn", NULL, -EINVAL, "invalid function name '-fn'" },
        { PROVIDER_ALICLOUD, "fn", "$LATEST", -EDOM, "invalid qualifier '$LATEST'" },
        { PROVIDER_HUAWEICLOUD, "urn:fss:cn-north-4:p:function:default", NULL, -EINVAL,
          "invalid function URN" },
        { PROVIDER_HUAWEICLOUD, "urn:obs:cn-north-4:p:function:default:f:latest", NULL, -EINVAL,
          "invalid function URN" },
        { PROVIDER_HUAWEICLOUD, URN ":latest", "v1", -EDOM,
          "qualifier 'v1' conflicts with the qualifier 'latest'" },
        { PROVIDER_HUAWEICLOUD, URN, "v/1", -EDOM, "invalid qualifier 'v/1'" },
};

static void test_bad(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *error = NULL;
                FunctionId id = {};

                assert_int_equal(function_id_parse(bad[i].provider, bad[i].function,
                                                   bad[i].qualifier, &id, &error),
                                 bad[i].error);
                assert_non_null(error);
                if (!strstr(error, bad[i].message))
                        fail_msg("case %zu: '%s' does not contain '%s'", i, error, bad[i].message);
                assert_null(id.function);
        }
}

/* What requests name (FunctionId.target): the unqualified ARN or partial ARN the document
 * wrote, so that the cloud resolves the function of that region and account, not a namesake. */
static void test_target(void **state) {
        static const struct {
                Provider provider;
                const char *function, *qualifier, *target;
        } cases[] = {
                { PROVIDER_AWS, "orders", NULL, NULL },
                { PROVIDER_AWS, "orders:live", NULL, NULL },
                { PROVIDER_AWS, "arn:aws:lambda:eu-west-1:999999999999:function:orders-worker",
                  NULL, "arn:aws:lambda:eu-west-1:999999999999:function:orders-worker" },
                { PROVIDER_AWS, "arn:aws-cn:lambda:cn-north-1:999999999999:function:f:live", NULL,
                  "arn:aws-cn:lambda:cn-north-1:999999999999:function:f" },
                { PROVIDER_AWS, "999999999999:function:f:7", "7", "999999999999:function:f" },
                { PROVIDER_ALICLOUD, "f", NULL, NULL },
                { PROVIDER_HUAWEICLOUD, URN ":latest", NULL, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *error = NULL;
                FunctionId id;

                assert_int_equal(function_id_parse(cases[i].provider, cases[i].function,
                                                   cases[i].qualifier, &id, &error),
                                 0);
                assert_opt_equal(id.target, cases[i].target);
                function_id_done(&id);
        }
}

static bool same(Provider p, const char *f1, const char *q1, const char *f2, const char *q2) {
        _cleanup_free_ char *e1 = NULL, *e2 = NULL;
        FunctionId a, b;
        bool r;

        assert_int_equal(function_id_parse(p, f1, q1, &a, &e1), 0);
        assert_int_equal(function_id_parse(p, f2, q2, &b, &e2), 0);
        r = function_id_same(&a, &b);
        assert_int_equal(r, function_id_same(&b, &a));
        function_id_done(&a);
        function_id_done(&b);
        return r;
}

static void test_same(void **state) {
        assert_true(same(PROVIDER_AWS, "orders", NULL,
                         "arn:aws:lambda:us-east-1:123456789012:function:orders", NULL));
        assert_true(same(PROVIDER_AWS, "orders", "$LATEST", "orders:$LATEST", NULL));
        assert_true(
                same(PROVIDER_AWS, "123456789012:function:orders:live", NULL, "orders", "live"));
        assert_false(same(PROVIDER_AWS, "orders", NULL, "orders", "live"));
        assert_false(same(PROVIDER_AWS, "orders", NULL, "Orders", NULL));
        /* ARNs naming different accounts or regions are different functions */
        assert_false(same(PROVIDER_AWS, "arn:aws:lambda:us-east-1:123456789012:function:o", NULL,
                          "arn:aws:lambda:us-east-1:210987654321:function:o", NULL));
        assert_false(same(PROVIDER_AWS, "arn:aws:lambda:us-east-1:123456789012:function:o", NULL,
                          "arn:aws:lambda:eu-west-1:123456789012:function:o", NULL));
        assert_true(same(PROVIDER_ALICLOUD, "fn", NULL, "fn", "LATEST"));
        assert_false(same(PROVIDER_ALICLOUD, "svc/fn", NULL, "fn", NULL));
        assert_true(same(PROVIDER_HUAWEICLOUD, URN ":latest", NULL, URN, NULL));
        assert_true(same(PROVIDER_HUAWEICLOUD, URN ":v3", NULL, URN, "v3"));
        assert_false(same(PROVIDER_HUAWEICLOUD, URN ":v3", NULL, URN, NULL));
}

static bool parses(Provider p, const char *function) {
        _cleanup_(function_id_done) FunctionId id = {};
        _cleanup_free_ char *error = NULL;

        return function_id_parse(p, function, NULL, &id, &error) == 0;
}

/* The syntax checks the providers' files keep to themselves, through what uses them. */
static void test_validators(void **state) {
        assert_true(parses(PROVIDER_AWS, "123456789012:function:f"));
        assert_false(parses(PROVIDER_AWS, "12345678901:function:f"));
        assert_false(parses(PROVIDER_AWS, "12345678901a:function:f"));
        assert_true(parses(PROVIDER_AWS, "f:$LATEST"));
        assert_false(parses(PROVIDER_AWS, "f:"));
        assert_true(parses(PROVIDER_HUAWEICLOUD, URN));
        assert_false(parses(PROVIDER_HUAWEICLOUD, "urn:fss:x"));
        /* and a FunctionGraph destination's func_urn the same way */
        assert_int_equal(cloud_ops_huaweicloud.destination_types[3].keys[0].check(URN, NULL), 0);
        assert_int_equal(
                cloud_ops_huaweicloud.destination_types[3].keys[0].check("urn:fss:x", NULL),
                -EINVAL);
}

/* Spec parsing knows the provider before the account: the facts come from its default table. */
/* Whether the function itself named a version or alias: import then reads that one config. */
static void test_qualifier_spelled(void **state) {
        static const struct {
                Provider provider;
                const char *function;
                bool spelled;
        } table[] = {
                { PROVIDER_AWS, "orders", false },
                { PROVIDER_AWS, "orders:prod", true },
                { PROVIDER_AWS, "arn:aws:lambda:us-east-1:123456789012:function:orders", false },
                { PROVIDER_AWS, "arn:aws:lambda:us-east-1:123456789012:function:orders:7", true },
                { PROVIDER_AWS, "123456789012:function:orders", false },
                { PROVIDER_AWS, "123456789012:function:orders:prod", true },
                { PROVIDER_HUAWEICLOUD,
                  "urn:fss:cn-north-4:0123456789abcdef0123456789abcdef:function:default:f", false },
                { PROVIDER_HUAWEICLOUD,
                  "urn:fss:cn-north-4:0123456789abcdef0123456789abcdef:function:default:f:latest",
                  true },
                { PROVIDER_ALICLOUD, "orders", false },
                { PROVIDER_ALICLOUD, "svc/orders", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                _cleanup_free_ char *error = NULL;
                FunctionId id = {};

                assert_int_equal(
                        function_id_parse(table[i].provider, table[i].function, NULL, &id, &error),
                        0);
                assert_int_equal(id.qualifier_spelled, table[i].spelled);
                function_id_done(&id);
        }
}

static void test_ops_from_provider(void **state) {
        char *msg = NULL;

        assert_ptr_equal(cloud_ops_from_provider(PROVIDER_AWS), &cloud_ops_aws);
        assert_ptr_equal(cloud_ops_from_provider(PROVIDER_ALICLOUD), &cloud_ops_fc3);
        assert_ptr_equal(cloud_ops_from_provider(PROVIDER_HUAWEICLOUD), &cloud_ops_huaweicloud);
        assert_null(cloud_ops_from_provider(_PROVIDER_MAX));
        assert_null(cloud_ops_from_provider(_PROVIDER_INVALID));
        /* FC3 and FC2 share the provider's facts */
        assert_ptr_equal(cloud_ops_fc3.parse_function_id, cloud_ops_fc2.parse_function_id);
        assert_ptr_equal(cloud_ops_fc3.check_destination, cloud_ops_fc2.check_destination);
        assert_memory_equal(cloud_ops_fc3.limits, cloud_ops_fc2.limits,
                            sizeof(cloud_ops_fc3.limits));
        assert_int_equal(cloud_ops_check_limit(&cloud_ops_aws, CLOUD_LIMIT_RETRY_ATTEMPTS, 2, &msg),
                         0);
        assert_null(msg);
        assert_int_equal(cloud_ops_check_limit(&cloud_ops_aws, CLOUD_LIMIT_RETRY_ATTEMPTS, 3, &msg),
                         -ERANGE);
        assert_string_equal(msg, "must be between 0 and 2 for provider aws, got 3");
        free(msg);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good),
                cmocka_unit_test(test_bad),
                cmocka_unit_test(test_same),
                cmocka_unit_test(test_validators),
                cmocka_unit_test(test_target),
                cmocka_unit_test(test_ops_from_provider),
                cmocka_unit_test(test_qualifier_spelled),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
