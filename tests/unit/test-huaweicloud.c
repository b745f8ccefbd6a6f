/* SPDX-License-Identifier: MIT */
/* Huawei FunctionGraph back end: parsers with Huawei's quirks (param as a JSON string, two
 * timestamp formats, empty destinations), exact body bytes, request building and APIG
 * signing (docs/cloud-apis.md 3.6 derived vector). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cloud-test.h"

#define T_2024 ((time_t) 1704067200)
#define PROJECT "0123456789abcdef0123456789abcdef"
#define URN "urn:fss:cn-north-4:" PROJECT ":function:default:my-func"
static TestCreds hw_creds = { "AccessKey", "SecretKey", NULL };
static TestCreds hw_sts = { "AccessKey", "SecretKey", "sectoken" };
static const CloudAccount hw_account = {
        .name = "hw", .api = CLOUD_API_FUNCTIONGRAPH, .region = "cn-north-4", .project_id = PROJECT
};

static void test_parse_config(void **state) {
        AsyncConfig c = parse_ok(
                cloud_ops_huaweicloud.parse_config,
                "{\"func_urn\":\"" URN ":latest\",\"max_async_event_age_in_seconds\":3600,"
                "\"max_async_retry_attempts\":0,\"created_time\":\"2021-03-04T14:50:02+08:00\","
                "\"last_modified\":\"2021-03-04 14:50:02\",\"enable_async_status_log\":true,"
                "\"destination_config\":{\"on_success\":{\"destination\":\"OBS\",\"param\":\"{\\\"bucket\\\":\\\"b\\\",\\\"prefix\\\":\\\"/s\\\",\\\"expires\\\":5}\"},"
                "\"on_failure\":{\"destination\":\"\",\"param\":\"\"}}}");
        json_t *want = json_pack("{s:s,s:i,s:s}", "prefix", "/s", "expires", 5, "bucket", "b");

        assert_int_equal(c.max_retry_attempts, 0);
        assert_true(c.has_max_retry_attempts);
        assert_int_equal(c.max_event_age_seconds, 3600);
        assert_true(c.has_async_status_log);
        assert_true(c.async_status_log);
        assert_string_equal(c.on_success.target, "OBS");
        assert_true(json_equal(c.on_success.param, want)); /* compared as parsed JSON */
        assert_null(c.on_failure.target);                  /* {destination:"",param:""} */
        assert_null(c.on_failure.param);

        /* the server reordering keys or adding whitespace changes nothing */
        AsyncConfig d = parse_ok(
                cloud_ops_huaweicloud.parse_config,
                "{\"destination_config\":{\"on_success\":{\"destination\":\"OBS\","
                "\"param\":\" { \\\"expires\\\" : 5 ,\\n \\\"bucket\\\":\\\"b\\\", \\\"prefix\\\":\\\"/s\\\"}\"}}}");
        assert_true(destination_equal(&c.on_success, &d.on_success));
        json_decref(want);
        async_config_done(&c);
        async_config_done(&d);
}

static void test_parse_absent_forms(void **state) {
        static const char *const bodies[] = {
                "{}",
                "{\"destination_config\":null}",
                "{\"destination_config\":{}}",
                "{\"destination_config\":{\"on_success\":null,\"on_failure\":{}}}",
                "{\"destination_config\":{\"on_success\":{\"destination\":\"\",\"param\":\"\"},\"on_failure\":{\"destination\":null,\"param\":null}}}",
                "{\"destination_config\":{\"on_success\":{\"param\":\"{\\\"bucket\\\":\\\"b\\\"}\"}}}", /* no type: absent */
                "{\"max_async_retry_attempts\":null,\"enable_async_status_log\":null,\"created_time\":\"x\",\"last_modified\":\"y\"}",
        };

        for (size_t i = 0; i < ELEMENTSOF(bodies); i++) {
                AsyncConfig c = parse_ok(cloud_ops_huaweicloud.parse_config, bodies[i]);
                assert_absent(&c);
        }
        AsyncConfig c = parse_ok(
                cloud_ops_huaweicloud.parse_config,
                "{\"destination_config\":{\"on_failure\":{\"destination\":\"SMN\",\"param\":\"\"}}}");
        assert_string_equal(c.on_failure.target, "SMN");
        assert_null(c.on_failure.param);
        async_config_done(&c);
}

static void test_parse_malformed(void **state) {
        static const char *const bodies[] = {
                "",
                "[]",
                "{\"max_async_retry_attempts\":\"1\"}",
                "{\"enable_async_status_log\":\"true\"}",
                "{\"destination_config\":[]}",
                "{\"destination_config\":{\"on_success\":{\"destination\":\"OBS\",\"param\":\"{not json\"}}}",
                "{\"destination_config\":{\"on_success\":{\"destination\":\"OBS\",\"param\":\"[1]\"}}}",
                "{\"destination_config\":{\"on_success\":{\"destination\":\"OBS\",\"param\":{\"bucket\":\"b\"}}}}",
                "{\"destination_config\":{\"on_success\":{\"destination\":1}}}",
        };

        for (size_t i = 0; i < ELEMENTSOF(bodies); i++)
                parse_bad(cloud_ops_huaweicloud.parse_config, bodies[i]);
        assert_truncations_fail(
                cloud_ops_huaweicloud.parse_config,
                "{\"max_async_retry_attempts\":1,\"enable_async_status_log\":false}");
}

static void test_parse_qualifiers(void **state) {
        static const char unqualified[] =
                "{\"async_invoke_configs\":[{\"func_urn\":\"" URN "\"}],\"count\":1}";
        static const char versions[] = "{\"versions\":[{\"func_urn\":\"" URN
                                       "\",\"version\":\"latest\"},{\"version\":\"v1\"}],"
                                       "\"next_marker\":2,\"count\":3}";
        static const char aliases[] =
                "[{\"name\":\"prod\",\"version\":\"v1\",\"alias_urn\":\"" URN ":!prod\"}]";
        CloudConfigList l = {};

        assert_int_equal(cloud_ops_huaweicloud.parse_list(unqualified, strlen(unqualified), &l), 0);
        assert_int_equal(l.n_items, 1);
        assert_null(l.items[0].qualifier); /* never guessed to be latest */
        cloud_config_list_done(&l);
        assert_int_equal(cloud_ops_huaweicloud.parse_qualifiers(CLOUD_OP_LIST_VERSIONS, versions,
                                                                strlen(versions), &l),
                         0);
        assert_int_equal(l.n_items, 2);
        assert_string_equal(l.items[0].qualifier, "latest");
        assert_string_equal(l.items[1].qualifier, "v1");
        assert_string_equal(l.next_token, "2");
        cloud_config_list_done(&l);
        assert_int_equal(cloud_ops_huaweicloud.parse_qualifiers(CLOUD_OP_LIST_ALIASES, aliases,
                                                                strlen(aliases), &l),
                         0);
        assert_int_equal(l.n_items, 1);
        assert_string_equal(l.items[0].qualifier, "prod");
        assert_null(l.next_token);
        cloud_config_list_done(&l);
        assert_int_equal(cloud_ops_huaweicloud.parse_qualifiers(CLOUD_OP_LIST_ALIASES, "{}", 2, &l),
                         -EBADMSG);
}

static void test_parse_list(void **state) {
        static const char page1[] =
                "{\"async_invoke_configs\":[{\"func_urn\":\"" URN
                ":latest\",\"max_async_retry_attempts\":1},"
                "{\"func_urn\":\"" URN ":v2\",\"max_async_event_age_in_seconds\":60}],"
                "\"count\":3,\"page_info\":{\"next_marker\":2,\"previous_marker\":0,\"current_count\":2}}";
        static const char page2[] =
                "{\"async_invoke_configs\":[{\"func_urn\":\"" URN ":prod\"}],"
                "\"count\":3,\"page_info\":{\"next_marker\":3,\"previous_marker\":2,\"current_count\":1}}";
        CloudConfigList l = {};

        assert_int_equal(cloud_ops_huaweicloud.parse_list(page1, strlen(page1), &l), 0);
        assert_int_equal(l.n_items, 2);
        assert_string_equal(l.items[0].qualifier, "latest");
        assert_string_equal(l.items[1].qualifier, "v2");
        assert_string_equal(l.next_token, "2");
        cloud_config_list_done(&l);

        assert_int_equal(cloud_ops_huaweicloud.parse_list(page2, strlen(page2), &l), 0);
        assert_string_equal(l.items[0].qualifier, "prod");
        assert_null(l.next_token); /* next_marker reached count */
        cloud_config_list_done(&l);

        static const char empty[] =
                "{\"async_invoke_configs\":[],\"page_info\":{\"next_marker\":10}}";
        assert_int_equal(cloud_ops_huaweicloud.parse_list(empty, strlen(empty), &l), 0);
        assert_null(l.next_token); /* an empty page ends the list */
        cloud_config_list_done(&l);

        static const char *const bad[] = {
                "{\"async_invoke_configs\":[{}]}",
                "{\"async_invoke_configs\":[{\"func_urn\":5}]}",
                "{\"async_invoke_configs\":[{\"func_urn\":\"" URN
                "\"}],\"page_info\":{\"next_marker\":[]}}",
                "{\"async_invoke_configs\":[{\"func_urn\":\"" URN
                "\"}],\"count\":\"3\",\"page_info\":{}}",
                "{\"page_info\":[]}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(cloud_ops_huaweicloud.parse_list(bad[i], strlen(bad[i]), &l),
                                 -EBADMSG);
}

static void test_serialize(void **state) {
        AsyncConfig c = {
                .has_max_retry_attempts = true,
                .max_retry_attempts = 2,
                .has_max_event_age = true,
                .max_event_age_seconds = 3600,
                .on_success = { .target = (char *) "OBS",
                                .param = json_pack("{s:s,s:s,s:i}", "bucket", "b", "prefix", "p",
                                                   "expires", 0) },
                .on_failure = { .target = (char *) "SMN",
                                .param = json_pack("{s:s}", "topic_urn",
                                                   "urn:smn:cn-north-4:" PROJECT ":t") },
                .has_async_status_log = true,
                .async_status_log = false,
                .has_async_task = true, /* Alibaba's: never sent */
        };
        char h[CRYPTO_SHA256_HEX_SIZE];

        _cleanup_free_ char *a = serialize(&cloud_ops_huaweicloud, &c);
        /* byte for byte what the official SDK sent (wire-samples.md) */
        assert_string_equal(
                a,
                "{\"max_async_event_age_in_seconds\":3600,\"max_async_retry_attempts\":2,\"destination_config\":{\"on_success\":{\"destination\":\"OBS\",\"param\":\"{\\\"bucket\\\":\\\"b\\\",\\\"prefix\\\":\\\"p\\\",\\\"expires\\\":0}\"},\"on_failure\":{\"destination\":\"SMN\",\"param\":\"{\\\"topic_urn\\\":\\\"urn:smn:cn-north-4:0123456789abcdef0123456789abcdef:t\\\"}\"}},\"enable_async_status_log\":false}");
        assert_int_equal(crypto_sha256_hex(a, strlen(a), h), 0);
        assert_string_equal(h, "7450979070934489a9f83df373dc61c544dfa2b13005db7766cb3f2bf409e9fe");

        AsyncConfig back = parse_ok(cloud_ops_huaweicloud.parse_config, a);
        assert_true(destination_equal(&back.on_success, &c.on_success));
        assert_true(destination_equal(&back.on_failure, &c.on_failure));
        assert_false(back.async_status_log);
        assert_false(back.has_async_task);
        async_config_done(&back);
        json_decref(c.on_success.param);
        json_decref(c.on_failure.param);

        AsyncConfig none = { .has_max_retry_attempts = true };
        _cleanup_free_ char *b = serialize(&cloud_ops_huaweicloud, &none);
        assert_string_equal(b, "{\"max_async_retry_attempts\":0}"); /* no destination_config */
}

/* docs/cloud-apis.md 3.6 FunctionGraph vector through our builder. */
static void test_request_get_vector(void **state) {
        _cleanup_(cloud_client_unrefp) CloudClient *c = test_client(&hw_account);
        _cleanup_(cloud_request_done) CloudRequest r = {};
        _cleanup_free_ char *h = NULL;

        test_build(c, CLOUD_OP_GET, URN ":latest", NULL, NULL, NULL, &hw_creds, T_2024, "n", &r);
        assert_string_equal(r.base_url, "https://functiongraph.cn-north-4.myhuaweicloud.com");
        /* the URN raw on the wire */
        assert_request_target(&r,
                              "/v2/" PROJECT "/fgs/functions/" URN ":latest/async-invoke-config");
        h = request_headers(&r);
        assert_true(startswith(
                h,
                "Host: functiongraph.cn-north-4.myhuaweicloud.com\n"
                "X-Sdk-Date: 20240101T000000Z\n"
                "X-Project-Id: " PROJECT "\n"
                "Content-Type: application/json\n"
                "Authorization: SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-project-id;x-sdk-date, Signature="));
        assert_string_equal(request_signature(&r),
                            "d94db21d1b69c345776c464ba794642d0382e5fac870eed506b36060b19de61a");
}

static void test_request_ops(void **state) {
        _cleanup_(cloud_client_unrefp) CloudClient *c = test_client(&hw_account);
        _cleanup_(cloud_request_done) CloudRequest put = {}, del = {}, list = {}, list2 = {};
        AsyncConfig d = { .has_async_status_log = true, .async_status_log = true };

        /* an unqualified URN takes the qualifier, else "latest" */
        test_build(c, CLOUD_OP_PUT, URN, "prod", &d, NULL, &hw_sts, T_2024, "n", &put);
        assert_string_equal(put.method, "PUT");
        assert_request_target(&put,
                              "/v2/" PROJECT "/fgs/functions/" URN ":prod/async-invoke-config");
        assert_string_equal(put.body, "{\"enable_async_status_log\":true}");
        assert_string_equal(cloud_request_header(&put, "X-Security-Token"), "sectoken");
        assert_non_null(strstr(cloud_request_header(&put, "Authorization"),
                               "SignedHeaders=host;x-project-id;x-sdk-date;x-security-token,"));

        test_build(c, CLOUD_OP_DELETE, URN, NULL, NULL, NULL, &hw_creds, T_2024, "n", &del);
        assert_string_equal(del.method, "DELETE");
        assert_request_target(&del,
                              "/v2/" PROJECT "/fgs/functions/" URN ":latest/async-invoke-config");

        test_build(c, CLOUD_OP_LIST, URN ":v1", NULL, NULL, NULL, &hw_creds, T_2024, "n", &list);
        assert_request_target(&list, "/v2/" PROJECT "/fgs/functions/" URN
                                     ":v1/async-invoke-configs?limit=100");
        test_build(c, CLOUD_OP_LIST, URN ":v1", NULL, NULL, "10", &hw_creds, T_2024, "n", &list2);
        assert_request_target(&list2, "/v2/" PROJECT "/fgs/functions/" URN
                                      ":v1/async-invoke-configs?marker=10&limit=100");

        static const struct {
                const char *fn, *q;
        } bad[] = {
                { "my-func", NULL },
                { URN ":v1", "v2" }, /* contradicts the URN */
                { "urn:fss:cn-north-4:" PROJECT ":function:default", NULL },
                { URN ":a:b", NULL },
                { URN ":v 1", NULL },
                { URN, "a/b" },
                { "urn:fss:cn-north-4::function:default:f", NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CloudRequest r = {};
                CloudTarget t = { .function = bad[i].fn, .qualifier = bad[i].q };
                CloudCredentials cc = { "a", "b", NULL };
                assert_int_equal(cloud_client_build_request(c, CLOUD_OP_GET, &t, NULL, NULL, &cc,
                                                            T_2024, "n", &r),
                                 -EINVAL);
        }

        CloudAccount a = hw_account;
        CloudClient *x = NULL;
        a.credentials = test_creds_get;
        a.project_id = NULL;
        assert_int_equal(cloud_client_new(NULL, &a, &x), -EINVAL);
        a.project_id = "../x";
        assert_int_equal(cloud_client_new(NULL, &a, &x), -EINVAL);
}

/* DESIGN.md §3.12: a URN of another region or project is refused (both named), and no request
 * is built for it. */
static void test_check_target(void **state) {
        static const struct {
                const char *function, *message; /* NULL: accepted */
        } cases[] = {
                { URN, NULL },
                { URN ":latest", NULL },
                { "urn:fss:cn-east-3:" PROJECT ":function:default:my-func",
                  "function 'urn:fss:cn-east-3:" PROJECT
                  ":function:default:my-func' is in region 'cn-east-3', but account 'hw' is in region 'cn-north-4'" },
                { "urn:fss:cn-north-4:ffffffffffffffffffffffffffffffff:function:default:my-func:1",
                  "is in project 'ffffffffffffffffffffffffffffffff', but account 'hw' has project '" PROJECT
                  "'" },
        };
        _cleanup_(cloud_client_unrefp) CloudClient *c = test_client(&hw_account);

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *msg = NULL;
                CloudTarget t = { .function = cases[i].function };
                CloudCredentials cc = { "a", "b", NULL };
                CloudRequest r = {};
                int k = cloud_ops_huaweicloud.check_target(&hw_account, cases[i].function, &msg);

                assert_int_equal(k, cases[i].message ? -EINVAL : 0);
                assert_int_equal(cloud_client_build_request(c, CLOUD_OP_GET, &t, NULL, NULL, &cc,
                                                            T_2024, "n", &r),
                                 cases[i].message ? -EINVAL : 0);
                cloud_request_done(&r);
                if (cases[i].message && (!msg || !strstr(msg, cases[i].message)))
                        fail_msg("case %zu: '%s'", i, strna(msg));
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_config),
                cmocka_unit_test(test_check_target),
                cmocka_unit_test(test_parse_absent_forms),
                cmocka_unit_test(test_parse_malformed),
                cmocka_unit_test(test_parse_list),
                cmocka_unit_test(test_parse_qualifiers),
                cmocka_unit_test(test_serialize),
                cmocka_unit_test(test_request_get_vector),
                cmocka_unit_test(test_request_ops),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
