/* SPDX-License-Identifier: MIT */

/* The etcd JSON gateway's response bodies → lib/etcd.h's result structs. Pure functions (no
 * I/O, no client), each reachable by the fuzzer. The gateway writes int64 as JSON strings,
 * bytes as base64 and leaves zero fields out, so "absent" reads as 0, "" or false; a field of
 * the wrong type makes the whole body malformed (-EBADMSG): a half-understood answer must
 * decide nothing. */

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/crypto.h"
#include "lib/etcd.h"
#include "lib/macro.h"
#include "lib/string-table.h"

/* gRPC status codes that etcd answers with (google.golang.org/grpc/codes). */
enum {
        GRPC_CANCELED = 1,
        GRPC_INVALID_ARGUMENT = 3,
        GRPC_DEADLINE_EXCEEDED = 4,
        GRPC_NOT_FOUND = 5,
        GRPC_PERMISSION_DENIED = 7,
        GRPC_FAILED_PRECONDITION = 9,
        GRPC_OUT_OF_RANGE = 11,
        GRPC_UNAVAILABLE = 14,
        GRPC_UNAUTHENTICATED = 16,
};

struct EtcdResultArena {
        Arena arena;
};

static const char *const etcd_compare_target_table[_ETCD_COMPARE_TARGET_MAX] = {
        [ETCD_COMPARE_VERSION] = "VERSION", [ETCD_COMPARE_CREATE] = "CREATE",
        [ETCD_COMPARE_MOD] = "MOD",         [ETCD_COMPARE_VALUE] = "VALUE",
        [ETCD_COMPARE_LEASE] = "LEASE",
};
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(etcd_compare_target, EtcdCompareTarget);

static const char *const etcd_compare_result_table[_ETCD_COMPARE_RESULT_MAX] = {
        [ETCD_COMPARE_EQUAL] = "EQUAL",
        [ETCD_COMPARE_GREATER] = "GREATER",
        [ETCD_COMPARE_LESS] = "LESS",
        [ETCD_COMPARE_NOT_EQUAL] = "NOT_EQUAL",
};
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(etcd_compare_result, EtcdCompareResult);

static const char *const etcd_event_type_table[_ETCD_EVENT_TYPE_MAX] = {
        [ETCD_EVENT_PUT] = "PUT",
        [ETCD_EVENT_DELETE] = "DELETE",
};
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(etcd_event_type, EtcdEventType);
_DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(etcd_event_type, EtcdEventType, static);

EtcdResultArena *etcd_result_free(EtcdResultArena *a) {
        if (!a)
                return NULL;
        arena_done(&a->arena);
        free(a);
        return NULL;
}

/* ---- JSON accessors ------------------------------------------------------------------------- */

static int etcd_json_load(const char *data, size_t size, json_t **ret) {
        json_t *j;

        if (!data)
                return -EBADMSG;
        j = json_loadb(data, size, JSON_REJECT_DUPLICATES, NULL);
        if (!j)
                return -EBADMSG;
        if (!json_is_object(j)) {
                json_decref(j);
                return -EBADMSG;
        }
        *ret = j;
        return 0;
}

/* The decimal text of a number at key: the gateway writes int64 as a JSON string ("123"); a
 * JSON integer is printed into buf. NULL when absent or null; -EBADMSG for anything else. */
static int etcd_json_number_text(const json_t *o, const char *key, char buf[static 24],
                                 const char **ret) {
        const json_t *v = json_object_get(o, key);

        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (json_is_integer(v)) {
                snprintf(buf, 24, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                *ret = buf;
        } else if (json_is_string(v))
                *ret = json_string_value(v);
        else
                return -EBADMSG;
        return 0;
}

/* An int64; absent or null: 0. */
static int etcd_json_int(const json_t *o, const char *key, int64_t *ret) {
        const char *s;
        char buf[24], *end;
        long long n = 0;
        int k;

        k = etcd_json_number_text(o, key, buf, &s);
        if (k < 0)
                return k;
        if (s) {
                errno = 0;
                n = strtoll(s, &end, 10);
                if (errno != 0 || end == s || *end != 0)
                        return -EBADMSG;
        }
        *ret = n;
        return 0;
}

/* A uint64 (member ids, the leader: above INT64_MAX half of the time); absent or null: 0. */
static int etcd_json_uint(const json_t *o, const char *key, uint64_t *ret) {
        const char *s;
        char buf[24], *end;
        unsigned long long n = 0;
        int k;

        k = etcd_json_number_text(o, key, buf, &s);
        if (k < 0)
                return k;
        if (s) {
                errno = 0;
                n = strtoull(s, &end, 10);
                if (errno != 0 || end == s || *end != 0 || s[0] == '-')
                        return -EBADMSG;
        }
        *ret = n;
        return 0;
}

static int etcd_json_bool(const json_t *o, const char *key, bool *ret) {
        const json_t *v = json_object_get(o, key);

        if (!v || json_is_null(v)) {
                *ret = false;
                return 0;
        }
        if (!json_is_boolean(v))
                return -EBADMSG;
        *ret = json_is_true(v);
        return 0;
}

/* Absent or null: NULL. A string: borrowed. Anything else: -EBADMSG. */
static int etcd_json_string(const json_t *o, const char *key, const char **ret) {
        const json_t *v = json_object_get(o, key);

        if (!v || json_is_null(v)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_string(v))
                return -EBADMSG;
        *ret = json_string_value(v);
        return 0;
}

/* Absent or null: NULL. Otherwise it must be of the given type. */
static int etcd_json_child(const json_t *o, const char *key, json_type type, json_t **ret) {
        json_t *v = json_object_get(o, key);

        if (!v || json_is_null(v)) {
                *ret = NULL;
                return 0;
        }
        if (json_typeof(v) != type)
                return -EBADMSG;
        *ret = v;
        return 0;
}

/* base64 bytes into the arena with a NUL after them; absent: "" (size 0). */
static int etcd_json_bytes(const json_t *o, const char *key, Arena *a, const char **ret,
                           size_t *ret_size) {
        _cleanup_free_ void *raw = NULL;
        const char *s;
        size_t n = 0;
        char *p;
        int k;

        k = etcd_json_string(o, key, &s);
        if (k < 0)
                return k;
        if (s && s[0]) {
                k = crypto_base64_decode(s, &raw, &n);
                if (k < 0)
                        return k == -ENOMEM ? k : -EBADMSG;
        }
        p = arena_alloc(a, n + 1);
        if (!p)
                return -ENOMEM;
        if (n > 0)
                memcpy(p, raw, n);
        p[n] = 0;
        *ret = p;
        *ret_size = n;
        return 0;
}

/* ---- errors --------------------------------------------------------------------------------- */

static int etcd_errno_from_grpc(int64_t code, const char *message) {
        switch (code) {
        case GRPC_CANCELED:
                return -ECANCELED;
        case GRPC_INVALID_ARGUMENT:
                /* etcd's ErrGRPCAuthFailed is InvalidArgument. */
                if (message && strstr(message, "authentication failed"))
                        return -EACCES;
                return -EINVAL;
        case GRPC_DEADLINE_EXCEEDED:
                return -ETIMEDOUT;
        case GRPC_NOT_FOUND:
                return -ENOENT;
        case GRPC_PERMISSION_DENIED:
                return -EACCES;
        case GRPC_OUT_OF_RANGE:
                return -ESTALE; /* "mvcc: required revision has been compacted" */
        case GRPC_UNAVAILABLE:
                return -EUNATCH;
        case GRPC_UNAUTHENTICATED:
                return -EKEYEXPIRED;
        default:
                return -EIO;
        }
}

/* A gRPC error body: {"error": "...", "code": N, "message": "..."} for calls, {"error":
 * {"grpc_code": N, "message": "...", ...}} when a stream ends with one. */
int etcd_parse_error(const char *data, size_t size, char **ret_message) {
        json_t *j = NULL, *inner;
        const char *message = NULL;
        int64_t code = 0;
        int k;

        k = etcd_json_load(data, size, &j);
        if (k < 0)
                return 0; /* not an error body; the caller's parser will say what it is */
        inner = json_object_get(j, "error");
        if (json_is_object(inner)) {
                k = etcd_json_int(inner, "grpc_code", &code);
                if (k >= 0)
                        k = etcd_json_string(inner, "message", &message);
        } else {
                k = etcd_json_int(j, "code", &code);
                if (k >= 0)
                        k = etcd_json_string(j, "message", &message);
        }
        if (k >= 0 && code != 0) {
                k = etcd_errno_from_grpc(code, message);
                if (ret_message && !(*ret_message = strdup(message ?: "")))
                        k = -ENOMEM;
        } else
                k = 0;
        json_decref(j);
        return k;
}

/* A response body that is not an error body, as a JSON object. */
static int etcd_load_answer(const char *data, size_t size, json_t **ret) {
        int k = etcd_parse_error(data, size, NULL);

        return k < 0 ? k : etcd_json_load(data, size, ret);
}

/* ---- pieces --------------------------------------------------------------------------------- */

static int etcd_parse_header(const json_t *o, EtcdHeader *ret) {
        json_t *h;
        int k;

        *ret = (EtcdHeader){};
        k = etcd_json_child(o, "header", JSON_OBJECT, &h);
        if (k < 0 || !h)
                return k;
        k = etcd_json_int(h, "revision", &ret->revision);
        if (k >= 0)
                k = etcd_json_uint(h, "member_id", &ret->member_id);
        if (k >= 0)
                k = etcd_json_uint(h, "raft_term", &ret->raft_term);
        return k;
}

static int etcd_parse_kv(const json_t *o, Arena *a, EtcdKeyValue *kv) {
        int k;

        if (!json_is_object(o))
                return -EBADMSG;
        *kv = (EtcdKeyValue){};
        k = etcd_json_bytes(o, "key", a, &kv->key, &kv->key_size);
        if (k >= 0)
                k = etcd_json_bytes(o, "value", a, &kv->value, &kv->value_size);
        if (k >= 0)
                k = etcd_json_int(o, "create_revision", &kv->create_revision);
        if (k >= 0)
                k = etcd_json_int(o, "mod_revision", &kv->mod_revision);
        if (k >= 0)
                k = etcd_json_int(o, "version", &kv->version);
        if (k >= 0)
                k = etcd_json_int(o, "lease", &kv->lease);
        return k;
}

static int etcd_parse_range_object(const json_t *o, Arena *a, EtcdRangeResult *ret) {
        EtcdKeyValue *kvs = NULL;
        json_t *arr;
        size_t n = 0;
        int k;

        k = etcd_parse_header(o, &ret->header);
        if (k >= 0)
                k = etcd_json_child(o, "kvs", JSON_ARRAY, &arr);
        if (k < 0)
                return k;
        n = arr ? json_array_size(arr) : 0;
        if (n > 0 && !(kvs = arena_alloc0(a, n * sizeof(EtcdKeyValue))))
                return -ENOMEM;
        for (size_t i = 0; i < n && k >= 0; i++)
                k = etcd_parse_kv(json_array_get(arr, i), a, &kvs[i]);
        if (k >= 0)
                k = etcd_json_bool(o, "more", &ret->more);
        if (k >= 0)
                k = etcd_json_int(o, "count", &ret->count);
        ret->kvs = kvs;
        ret->n_kvs = n;
        return k;
}

/* Loads body, rejects error bodies, hands the object to parse with a fresh arena; on success
 * (or when parse fails with keep, a result that is an error, 0: none) the arena goes to
 * *ret_arena. */
typedef int (*EtcdObjectParser)(const json_t *o, Arena *a, void *ret);

static int etcd_parse_with_arena(const char *data, size_t size, EtcdObjectParser parse, void *ret,
                                 EtcdResultArena **ret_arena, int keep) {
        EtcdResultArena *a;
        json_t *j = NULL;
        int k;

        k = etcd_load_answer(data, size, &j);
        if (k < 0)
                return k;
        a = calloc(1, sizeof(*a));
        if (!a) {
                json_decref(j);
                return -ENOMEM;
        }
        k = parse(j, &a->arena, ret);
        json_decref(j);
        if (k < 0 && (keep == 0 || k != keep)) {
                etcd_result_free(a);
                return k;
        }
        *ret_arena = a;
        return k;
}

/* ---- responses ------------------------------------------------------------------------------ */

static int etcd_parse_range_cb(const json_t *o, Arena *a, void *ret) {
        EtcdRangeResult r = {};
        int k = etcd_parse_range_object(o, a, &r);

        if (k >= 0)
                *(EtcdRangeResult *) ret = r;
        return k;
}

int etcd_parse_range_response(const char *data, size_t size, EtcdRangeResult *ret,
                              EtcdResultArena **ret_arena) {
        return etcd_parse_with_arena(data, size, etcd_parse_range_cb, ret, ret_arena, 0);
}

int etcd_parse_header_response(const char *data, size_t size, EtcdHeader *ret) {
        EtcdHeader h;
        json_t *j = NULL;
        int k;

        k = etcd_load_answer(data, size, &j);
        if (k < 0)
                return k;
        k = etcd_parse_header(j, &h);
        json_decref(j);
        if (k >= 0)
                *ret = h;
        return k;
}

/* One of a txn's responses: {"response_range": {...}} / response_put / response_delete_range. */
static int etcd_parse_txn_op(const json_t *o, Arena *a, EtcdRangeResult *ret) {
        json_t *v;
        int k;

        if (!json_is_object(o))
                return -EBADMSG;
        *ret = (EtcdRangeResult){};
        k = etcd_json_child(o, "response_range", JSON_OBJECT, &v);
        if (k < 0)
                return k;
        if (v)
                return etcd_parse_range_object(v, a, ret);
        k = etcd_json_child(o, "response_put", JSON_OBJECT, &v);
        if (k >= 0 && !v)
                k = etcd_json_child(o, "response_delete_range", JSON_OBJECT, &v);
        if (k >= 0 && v)
                k = etcd_parse_header(v, &ret->header);
        return k;
}

static int etcd_parse_txn_cb(const json_t *o, Arena *a, void *ret) {
        EtcdTxnResult t = {};
        EtcdRangeResult *rs = NULL;
        json_t *arr;
        size_t n;
        int k;

        k = etcd_parse_header(o, &t.header);
        if (k >= 0)
                k = etcd_json_bool(o, "succeeded", &t.succeeded);
        if (k >= 0)
                k = etcd_json_child(o, "responses", JSON_ARRAY, &arr);
        if (k < 0)
                return k;
        n = arr ? json_array_size(arr) : 0;
        if (n > 0 && !(rs = arena_alloc0(a, n * sizeof(EtcdRangeResult))))
                return -ENOMEM;
        for (size_t i = 0; i < n && k >= 0; i++)
                k = etcd_parse_txn_op(json_array_get(arr, i), a, &rs[i]);
        t.responses = rs;
        t.n_responses = n;
        if (k >= 0)
                *(EtcdTxnResult *) ret = t;
        return k;
}

int etcd_parse_txn_response(const char *data, size_t size, EtcdTxnResult *ret,
                            EtcdResultArena **ret_arena) {
        return etcd_parse_with_arena(data, size, etcd_parse_txn_cb, ret, ret_arena, 0);
}

/* grant, revoke and timetolive answer at the top level; keepalive (a stream on the gateway)
 * wraps its one answer in {"result": ...}. */
int etcd_parse_lease_response(const char *data, size_t size, EtcdLeaseResult *ret) {
        EtcdLeaseResult l = {};
        json_t *j = NULL, *o, *result;
        const char *error;
        int k;

        k = etcd_load_answer(data, size, &j);
        if (k < 0)
                return k;
        k = etcd_json_child(j, "result", JSON_OBJECT, &result);
        o = result ?: j;
        if (k >= 0)
                k = etcd_parse_header(o, &l.header);
        if (k >= 0)
                k = etcd_json_int(o, "ID", &l.id);
        if (k >= 0)
                k = etcd_json_int(o, "TTL", &l.ttl);
        if (k >= 0)
                k = etcd_json_int(o, "grantedTTL", &l.granted_ttl);
        if (k >= 0)
                k = etcd_json_string(o, "error", &error); /* LeaseGrantResponse.error */
        if (k >= 0 && error && error[0])
                k = -EIO;
        json_decref(j);
        if (k >= 0)
                *ret = l;
        return k;
}

int etcd_parse_auth_response(const char *data, size_t size, char **ret_token) {
        json_t *j = NULL;
        const char *token;
        char *copy;
        int k;

        k = etcd_load_answer(data, size, &j);
        if (k < 0)
                return k;
        k = etcd_json_string(j, "token", &token);
        if (k >= 0 && (!token || !token[0]))
                k = -EBADMSG;
        if (k >= 0 && !(copy = strdup(token)))
                k = -ENOMEM;
        json_decref(j);
        if (k >= 0)
                *ret_token = copy;
        return k;
}

static int etcd_parse_status_cb(const json_t *o, Arena *a, void *ret) {
        EtcdStatusResult s = {};
        const char *version;
        int k;

        k = etcd_parse_header(o, &s.header);
        if (k >= 0)
                k = etcd_json_string(o, "version", &version);
        if (k >= 0 && !(s.version = arena_strndup(a, version ?: "", strlen(version ?: ""))))
                k = -ENOMEM;
        if (k >= 0)
                k = etcd_json_int(o, "dbSize", &s.db_size);
        if (k >= 0)
                k = etcd_json_int(o, "dbSizeInUse", &s.db_size_in_use);
        if (k >= 0)
                k = etcd_json_uint(o, "leader", &s.leader);
        if (k >= 0)
                k = etcd_json_uint(o, "raftIndex", &s.raft_index);
        if (k >= 0)
                *(EtcdStatusResult *) ret = s;
        return k;
}

int etcd_parse_status_response(const char *data, size_t size, EtcdStatusResult *ret,
                               EtcdResultArena **ret_arena) {
        return etcd_parse_with_arena(data, size, etcd_parse_status_cb, ret, ret_arena, 0);
}

/* ---- watch ---------------------------------------------------------------------------------- */

static int etcd_parse_event(const json_t *o, Arena *a, EtcdEvent *ret) {
        const char *type;
        json_t *kv, *prev;
        int k, t;

        if (!json_is_object(o))
                return -EBADMSG;
        *ret = (EtcdEvent){};
        k = etcd_json_string(o, "type", &type);
        if (k < 0)
                return k;
        t = type ? etcd_event_type_from_string(type) : ETCD_EVENT_PUT; /* PUT is 0: absent */
        if (t < 0)
                return -EBADMSG;
        ret->type = t;
        k = etcd_json_child(o, "kv", JSON_OBJECT, &kv);
        if (k < 0 || !kv)
                return k < 0 ? k : -EBADMSG;
        k = etcd_parse_kv(kv, a, &ret->kv);
        if (k >= 0)
                k = etcd_json_child(o, "prev_kv", JSON_OBJECT, &prev);
        if (k >= 0 && prev)
                k = etcd_parse_kv(prev, a, &ret->prev_kv);
        return k;
}

/* The result of one watch message; -ESTALE (with ret filled: compact_revision) when the watch
 * was cancelled because its start revision is compacted, -ECONNRESET when cancelled for
 * another reason. */
static int etcd_parse_watch_cb(const json_t *o, Arena *a, void *ret) {
        EtcdWatchResult w = {};
        EtcdEvent *evs = NULL;
        json_t *result, *arr;
        bool canceled;
        size_t n;
        int k;

        k = etcd_json_child(o, "result", JSON_OBJECT, &result);
        if (k < 0 || !result)
                return k < 0 ? k : -EBADMSG;
        k = etcd_parse_header(result, &w.header);
        if (k >= 0)
                k = etcd_json_bool(result, "created", &w.created);
        if (k >= 0)
                k = etcd_json_bool(result, "canceled", &canceled);
        if (k >= 0)
                k = etcd_json_int(result, "compact_revision", &w.compact_revision);
        if (k >= 0)
                k = etcd_json_child(result, "events", JSON_ARRAY, &arr);
        if (k < 0)
                return k;
        n = arr ? json_array_size(arr) : 0;
        if (n > 0 && !(evs = arena_alloc0(a, n * sizeof(EtcdEvent))))
                return -ENOMEM;
        for (size_t i = 0; i < n && k >= 0; i++)
                k = etcd_parse_event(json_array_get(arr, i), a, &evs[i]);
        if (k < 0)
                return k;
        w.events = evs;
        w.n_events = n;
        *(EtcdWatchResult *) ret = w;
        if (canceled)
                return w.compact_revision > 0 ? -ESTALE : -ECONNRESET;
        return 0;
}

int etcd_parse_watch_message(const char *data, size_t size, EtcdWatchResult *ret,
                             EtcdResultArena **ret_arena) {
        /* -ESTALE fills both, even from an error body (which has no compact revision). */
        *ret = (EtcdWatchResult){};
        *ret_arena = NULL;
        return etcd_parse_with_arena(data, size, etcd_parse_watch_cb, ret, ret_arena, -ESTALE);
}

/* ---- prefixes ------------------------------------------------------------------------------- */

int etcd_prefix_range_end(const char *prefix, char **ret) {
        size_t n = strlen(prefix);
        char *end;

        while (n > 0 && (unsigned char) prefix[n - 1] == 0xff)
                n--;
        end = strndup(prefix, n); /* n == 0: "", which is the range end "\0" */

        if (!end)
                return -ENOMEM;
        if (n > 0)
                end[n - 1]++;
        *ret = end;
        return 0;
}
