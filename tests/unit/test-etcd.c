/* SPDX-License-Identifier: MIT */

/* lib/etcd's pure parts: the response parsers on bodies as etcd 3.4's gateway writes them
 * (captured from a real one), the gRPC error mapping, prefix range ends. The client against a
 * real etcd is tests/unit/test-etcd-client.c. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/etcd.h"
#include "lib/macro.h"

#define HEADER                                                                                     \
        "\"header\":{\"cluster_id\":\"16355135659031440233\",\"member_id\":"                       \
        "\"15305227805031416230\",\"revision\":\"7\",\"raft_term\":\"2\"}"

static int range(const char *body, EtcdRangeResult *r, EtcdResultArena **a) {
        return etcd_parse_range_response(body, strlen(body), r, a);
}

static void test_range(void **state) {
        const char *body = "{" HEADER ",\"kvs\":[{\"key\":\"L2EveA==\",\"create_revision\":\"2\","
                           "\"mod_revision\":\"5\",\"version\":\"3\",\"lease\":\"7587\","
                           "\"value\":\"aGVsbG8=\"},{\"key\":\"L2Evegs=\"}],\"more\":true,"
                           "\"count\":\"9\"}";
        EtcdResultArena *a = NULL;
        EtcdRangeResult r;

        assert_int_equal(range(body, &r, &a), 0);
        assert_int_equal(r.header.revision, 7);
        assert_true(r.header.member_id == 15305227805031416230ULL); /* above INT64_MAX */
        assert_int_equal(r.n_kvs, 2);
        assert_string_equal(r.kvs[0].key, "/a/x");
        assert_int_equal(r.kvs[0].key_size, 4);
        assert_memory_equal(r.kvs[0].value, "hello", 6); /* NUL-terminated */
        assert_int_equal(r.kvs[0].create_revision, 2);
        assert_int_equal(r.kvs[0].mod_revision, 5);
        assert_int_equal(r.kvs[0].version, 3);
        assert_int_equal(r.kvs[0].lease, 7587);
        /* Absent fields are zero: "" value, no lease, version 0. */
        assert_int_equal(r.kvs[1].value_size, 0);
        assert_string_equal(r.kvs[1].value, "");
        assert_int_equal(r.kvs[1].key_size, 5);
        assert_memory_equal(r.kvs[1].key, "/a/z\v", 5);
        assert_int_equal(r.kvs[1].lease, 0);
        assert_true(r.more);
        assert_int_equal(r.count, 9);
        a = etcd_result_free(a);

        /* Nothing found: no kvs, no count. */
        assert_int_equal(range("{" HEADER "}", &r, &a), 0);
        assert_int_equal(r.n_kvs, 0);
        assert_int_equal(r.count, 0);
        assert_false(r.more);
        etcd_result_free(a);
}

static void test_malformed(void **state) {
        static const char *const bodies[] = {
                "",
                "[]",
                "{\"kvs\":{}}",
                "{\"kvs\":[{\"key\":\"!!!!\"}]}",                   /* not base64 */
                "{\"kvs\":[{\"key\":\"YQ==\",\"version\":\"x\"}]}", /* not a number */
                "{\"kvs\":[{\"key\":\"YQ==\",\"version\":true}]}",
                "{\"more\":\"yes\"}",
                "{\"header\":[]}",
                "{\"count\":\"1\",\"count\":\"2\"}", /* duplicate key */
                "{} trailing",
        };
        EtcdResultArena *a = NULL;
        EtcdRangeResult r;

        for (size_t i = 0; i < ELEMENTSOF(bodies); i++) {
                assert_int_equal(range(bodies[i], &r, &a), -EBADMSG);
                assert_null(a);
        }
}

static void test_errors(void **state) {
        static const struct {
                int code;
                const char *message;
                int expected;
        } cases[] = {
                { 11, "etcdserver: mvcc: required revision has been compacted", -ESTALE },
                { 16, "etcdserver: invalid auth token", -EKEYEXPIRED },
                { 3, "etcdserver: authentication failed, invalid user ID or password", -EACCES },
                { 3, "etcdserver: key is not provided", -EINVAL },
                { 7, "etcdserver: permission denied", -EACCES },
                { 5, "etcdserver: requested lease not found", -ENOENT },
                { 14, "etcdserver: no leader", -EUNATCH },
                { 4, "etcdserver: request timed out", -ETIMEDOUT },
                { 9, "etcdserver: authentication is not enabled", -EIO },
        };
        char body[512], *message = NULL;
        EtcdResultArena *a = NULL;
        EtcdRangeResult r;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                snprintf(body, sizeof(body), "{\"error\":\"%s\",\"message\":\"%s\",\"code\":%d}",
                         cases[i].message, cases[i].message, cases[i].code);
                assert_int_equal(etcd_parse_error(body, strlen(body), &message), cases[i].expected);
                assert_string_equal(message, cases[i].message);
                free(message);
                message = NULL;
                /* Every parser sees it as the error it is. */
                assert_int_equal(range(body, &r, &a), cases[i].expected);
        }
        assert_int_equal(etcd_parse_error("{" HEADER "}", strlen("{" HEADER "}"), &message), 0);
        assert_null(message);
}

static void test_txn(void **state) {
        const char *won = "{" HEADER ",\"succeeded\":true,\"responses\":[{\"response_put\":"
                          "{\"header\":{\"revision\":\"7\"}}},{\"response_delete_range\":"
                          "{\"header\":{\"revision\":\"7\"},\"deleted\":\"1\"}}]}";
        const char *lost = "{" HEADER ",\"responses\":[{\"response_range\":{\"header\":"
                           "{\"revision\":\"7\"},\"kvs\":[{\"key\":\"L2E=\",\"create_revision\":"
                           "\"4\",\"mod_revision\":\"4\",\"version\":\"1\",\"value\":\"aG9zdC1h\"}"
                           "],\"count\":\"1\"}}]}";
        EtcdResultArena *a = NULL;
        EtcdTxnResult t;

        assert_int_equal(etcd_parse_txn_response(won, strlen(won), &t, &a), 0);
        assert_true(t.succeeded);
        assert_int_equal(t.n_responses, 2);
        assert_int_equal(t.responses[0].header.revision, 7);
        assert_int_equal(t.responses[0].n_kvs, 0);
        a = etcd_result_free(a);

        assert_int_equal(etcd_parse_txn_response(lost, strlen(lost), &t, &a), 0);
        assert_false(t.succeeded); /* absent: false */
        assert_int_equal(t.n_responses, 1);
        assert_int_equal(t.responses[0].n_kvs, 1);
        assert_string_equal(t.responses[0].kvs[0].value, "host-a");
        assert_int_equal(t.responses[0].kvs[0].create_revision, 4);
        etcd_result_free(a);
}

static void test_lease(void **state) {
        const char *grant = "{" HEADER ",\"ID\":\"4730646903275318792\",\"TTL\":\"5\"}";
        const char *alive = "{\"result\":{" HEADER ",\"ID\":\"123\",\"TTL\":\"5\"}}";
        const char *gone = "{\"result\":{" HEADER ",\"ID\":\"123\"}}";
        const char *ttl = "{" HEADER ",\"ID\":\"123\",\"TTL\":\"-1\"}";
        EtcdLeaseResult l;

        assert_int_equal(etcd_parse_lease_response(grant, strlen(grant), &l), 0);
        assert_true(l.id == 4730646903275318792LL);
        assert_int_equal(l.ttl, 5);
        assert_int_equal(etcd_parse_lease_response(alive, strlen(alive), &l), 0);
        assert_int_equal(l.id, 123);
        assert_int_equal(l.ttl, 5);
        assert_int_equal(l.header.revision, 7);
        /* A keepalive of an expired lease answers without TTL: gone. */
        assert_int_equal(etcd_parse_lease_response(gone, strlen(gone), &l), 0);
        assert_int_equal(l.ttl, 0);
        assert_int_equal(etcd_parse_lease_response(ttl, strlen(ttl), &l), 0);
        assert_int_equal(l.ttl, -1);
}

static void test_auth_and_status(void **state) {
        const char *auth = "{" HEADER ",\"token\":\"xWQDBdvpkGjvNrFg.16\"}";
        const char *status = "{" HEADER ",\"version\":\"3.4.23\",\"dbSize\":\"20480\",\"leader\":"
                             "\"15305227805031416230\",\"dbSizeInUse\":\"16384\"}";
        _cleanup_free_ char *token = NULL;
        EtcdResultArena *a = NULL;
        EtcdStatusResult s;

        assert_int_equal(etcd_parse_auth_response(auth, strlen(auth), &token), 0);
        assert_string_equal(token, "xWQDBdvpkGjvNrFg.16");
        assert_int_equal(etcd_parse_auth_response("{}", 2, &token), -EBADMSG);
        assert_int_equal(etcd_parse_status_response(status, strlen(status), &s, &a), 0);
        assert_string_equal(s.version, "3.4.23");
        assert_int_equal(s.db_size, 20480);
        assert_int_equal(s.db_size_in_use, 16384);
        assert_true(s.leader == s.header.member_id);
        etcd_result_free(a);
}

static int watch(const char *body, EtcdWatchResult *w, EtcdResultArena **a) {
        return etcd_parse_watch_message(body, strlen(body), w, a);
}

static void test_watch(void **state) {
        const char *created = "{\"result\":{" HEADER ",\"created\":true}}";
        const char *events = "{\"result\":{" HEADER ",\"events\":[{\"kv\":{\"key\":\"L2EveA==\","
                             "\"create_revision\":\"4\",\"mod_revision\":\"4\",\"version\":\"1\","
                             "\"value\":\"aGVsbG8=\"}},{\"type\":\"DELETE\",\"kv\":{\"key\":"
                             "\"L2EveA==\",\"mod_revision\":\"5\"}}]}}";
        const char *compacted = "{\"result\":{\"header\":{\"raft_term\":\"2\"},\"canceled\":true,"
                                "\"compact_revision\":\"3\"}}";
        const char *cancelled = "{\"result\":{" HEADER ",\"canceled\":true}}";
        const char *no_leader =
                "{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":"
                "\"etcdserver: no leader\",\"http_status\":\"Service Unavailable\"}}";
        EtcdResultArena *a = NULL;
        EtcdWatchResult w;

        assert_int_equal(watch(created, &w, &a), 0);
        assert_true(w.created);
        assert_int_equal(w.n_events, 0);
        a = etcd_result_free(a);

        assert_int_equal(watch(events, &w, &a), 0);
        assert_int_equal(w.n_events, 2);
        assert_int_equal(w.events[0].type, ETCD_EVENT_PUT); /* absent type: PUT */
        assert_string_equal(w.events[0].kv.value, "hello");
        assert_int_equal(w.events[1].type, ETCD_EVENT_DELETE);
        assert_string_equal(w.events[1].kv.key, "/a/x");
        assert_int_equal(w.events[1].kv.mod_revision, 5);
        assert_int_equal(w.events[1].kv.version, 0);
        a = etcd_result_free(a);

        assert_int_equal(watch(compacted, &w, &a), -ESTALE);
        assert_int_equal(w.compact_revision, 3);
        a = etcd_result_free(a);
        /* The same as a gRPC error body: no compact revision, no arena, but *ret written. */
        w.n_events = 99;
        assert_int_equal(watch("{\"error\":\"compacted\",\"code\":11}", &w, &a), -ESTALE);
        assert_int_equal(w.n_events, 0);
        assert_null(a);
        assert_int_equal(watch(cancelled, &w, &a), -ECONNRESET);
        assert_null(a);
        assert_int_equal(watch(no_leader, &w, &a), -EUNATCH);
        assert_int_equal(watch("{\"result\":{\"events\":[{\"type\":\"MOVE\",\"kv\":{}}]}}", &w, &a),
                         -EBADMSG);
        assert_int_equal(watch("{\"result\":{\"events\":[{\"type\":\"PUT\"}]}}", &w, &a), -EBADMSG);
        assert_null(a);
}

static void test_prefix_range_end(void **state) {
        static const struct {
                const char *prefix, *end;
        } cases[] = {
                { "/asyncfg/prod/", "/asyncfg/prod0" },
                { "a", "b" },
                { "a\xff", "b" },
                { "\xff\xff", "" }, /* every key from the prefix on */
                { "", "" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *end = NULL;

                assert_int_equal(etcd_prefix_range_end(cases[i].prefix, &end), 0);
                assert_string_equal(end, cases[i].end);
        }
}

static void test_string_tables(void **state) {
        assert_string_equal(etcd_compare_target_to_string(ETCD_COMPARE_CREATE), "CREATE");
        assert_string_equal(etcd_compare_result_to_string(ETCD_COMPARE_NOT_EQUAL), "NOT_EQUAL");
        assert_string_equal(etcd_event_type_to_string(ETCD_EVENT_DELETE), "DELETE");
        assert_null(etcd_event_type_to_string(_ETCD_EVENT_TYPE_MAX));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_range),         cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_errors),        cmocka_unit_test(test_txn),
                cmocka_unit_test(test_lease),         cmocka_unit_test(test_auth_and_status),
                cmocka_unit_test(test_watch),         cmocka_unit_test(test_prefix_range_end),
                cmocka_unit_test(test_string_tables),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
