/* SPDX-License-Identifier: MIT */
#pragma once

/* An asynchronous etcd v3 client over lib/http, through etcd's JSON gateway (etcd >= 3.4 serves
 * it under /v3/...; 3.3's /v3beta/... is not supported). It knows nothing of asyncfg: keys and
 * values are opaque bytes.
 *
 * Contract (the same as lib/http's and clouds/cloud.h's):
 *   - every call that returns 0 has taken the work on: its callback fires exactly once, always
 *     from the event loop (never from inside the call), with 0 and a result or a negative errno;
 *   - a call that returns < 0 started nothing and never calls back;
 *   - results passed to a callback are valid only during the callback (copy what you keep);
 *   - etcd_client_free() cancels everything pending: each callback fires once with -ECANCELED
 *     before it returns (watches included).
 *
 * On the wire: POST <endpoint>/v3/<path> with a JSON body; keys and values base64 in JSON,
 * int64 as JSON strings, zero fields absent (the gateway drops them: an absent "version" is
 * 0). With user/password the client calls /v3/auth/authenticate first and sends the token in
 * "Authorization"; a response with gRPC code 16 (UNAUTHENTICATED, "invalid auth token") makes
 * it authenticate again and retry the call once.
 *
 * Traffic: kv calls, lease calls and watches each have their own connections (a burst of kv
 * calls never queues a keepalive); up to 8 calls of a kind run at once per endpoint, more wait
 * their turn; an answer over 8 MiB fails with -EMSGSIZE (page a large range with limit). All
 * calls and watches that need a token while one is being fetched wait for that one.
 *
 * Endpoints: calls go to the current endpoint; a connection failure, a timeout or gRPC code
 * 14 (UNAVAILABLE, e.g. "etcdserver: no leader") moves to the next endpoint and retries the
 * call, each endpoint at most once per call. Only then does the callback get the error.
 *
 * Errors given to callbacks:
 *   -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH, -ECONNRESET, -EPROTO, -EKEYREJECTED
 *                   from lib/http (-EKEYREJECTED: a server certificate refused), on the last
 *                   endpoint tried
 *   -EUNATCH        every endpoint is unavailable (gRPC 14: no leader, no quorum)
 *   -EACCES         authentication failed (wrong user or password, permission denied)
 *   -ESTALE         the revision asked for has been compacted (range or watch; see the watch)
 *   -ENOENT         lease not found (keepalive, revoke, time-to-live of an expired lease)
 *   -EBADMSG        a response the parser does not understand
 *   -EIO            any other etcd error (its message in etcd_client_error_detail())
 *   -EINVAL         etcd refused the request as malformed (gRPC 3)
 * (The parsers also return -EKEYEXPIRED for gRPC 16, "invalid auth token"; the client handles
 * it by authenticating again and never passes it to a callback.)
 *   -ECANCELED      etcd_client_free() or etcd_watch_free()
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

typedef struct EtcdClient EtcdClient;
typedef struct EtcdWatch EtcdWatch;

typedef struct EtcdOptions {
        const char *const *endpoints; /* "http://127.0.0.1:2379", ...; NULL-terminated, ≥ 1 */
        uint64_t timeout_usec;        /* [2 s] per call and endpoint, connect included */
        const char *user;             /* NULL: no authentication */
        const char *password;         /* read by the caller (file, $CREDENTIALS_DIRECTORY) */
        const char *ca_file;          /* PEM CA bundle for https endpoints; NULL: the system's */
        const char *cert_file;        /* PEM client certificate (TLS client auth), or NULL */
        const char *key_file;         /* its PEM private key, or NULL */
} EtcdOptions;

/* Every string of options is copied. -EINVAL without endpoints or with a malformed one. */
int etcd_client_new(sd_event *event, const EtcdOptions *options, EtcdClient **ret);
/* Cancels everything (callbacks fire with -ECANCELED before it returns). Accepts NULL, returns
 * NULL. Must not be called from inside one of the client's callbacks. */
EtcdClient *etcd_client_free(EtcdClient *c);
static inline void etcd_client_freep(EtcdClient **c) {
        etcd_client_free(*c);
}

/* The endpoint calls go to now (it changes on rotation). */
const char *etcd_client_endpoint(const EtcdClient *c);
/* etcd's or libcurl's message for the last failed call, or NULL. Valid until the next call. */
const char *etcd_client_error_detail(const EtcdClient *c);

typedef struct EtcdHeader {
        int64_t revision; /* the store's revision when the call was served */
        uint64_t member_id;
        uint64_t raft_term;
} EtcdHeader;

typedef struct EtcdKeyValue {
        const char *key; /* NUL-terminated (keys with NUL bytes: key_size) */
        size_t key_size;
        const char *value; /* value_size bytes plus a NUL not counted */
        size_t value_size;
        int64_t create_revision;
        int64_t mod_revision;
        int64_t version; /* 0: deleted (watch DELETE events) */
        int64_t lease;   /* 0: none */
} EtcdKeyValue;

/* ---- prefixes ---- */

/* Range ends are C strings: NULL means the key alone, "" means etcd's range end "\0" (every
 * key ≥ the key). */

/* The range end that covers every key starting with prefix (prefix with its last byte + 1,
 * bytes 0xff dropped first; "" when nothing is left). A fresh string. */
int etcd_prefix_range_end(const char *prefix, char **ret);

/* ---- kv ---- */

typedef struct EtcdRangeResult {
        EtcdHeader header;
        const EtcdKeyValue *kvs;
        size_t n_kvs;
        bool more;     /* limit cut the answer: ask again from the last key + "\0" */
        int64_t count; /* keys in the range in all */
} EtcdRangeResult;

typedef void (*EtcdRangeCallback)(EtcdClient *c, int error, const EtcdRangeResult *result,
                                  void *userdata);
typedef void (*EtcdHeaderCallback)(EtcdClient *c, int error, const EtcdHeader *header,
                                   void *userdata);

/* range_end NULL: key alone; "": every key ≥ key. revision 0: the newest; limit 0: all. */
int etcd_range(EtcdClient *c, const char *key, const char *range_end, int64_t revision,
               int64_t limit, EtcdRangeCallback cb, void *userdata);
/* The same with "keys_only": every kv's value is "" (a count or a listing of many keys). */
int etcd_range_keys(EtcdClient *c, const char *key, const char *range_end, int64_t revision,
                    int64_t limit, EtcdRangeCallback cb, void *userdata);
/* value: size bytes; lease 0: none. */
int etcd_put(EtcdClient *c, const char *key, const void *value, size_t size, int64_t lease,
             EtcdHeaderCallback cb, void *userdata);
int etcd_delete_range(EtcdClient *c, const char *key, const char *range_end, EtcdHeaderCallback cb,
                      void *userdata);

/* Compacts the key space's history up to revision (physical: waits until it is removed from
 * the backend). Tests and operators' tools; etcd's --auto-compaction-retention does it in
 * production. */
int etcd_compact(EtcdClient *c, int64_t revision, EtcdHeaderCallback cb, void *userdata);

/* ---- txn ---- */

typedef enum EtcdCompareTarget {
        ETCD_COMPARE_VERSION,
        ETCD_COMPARE_CREATE,
        ETCD_COMPARE_MOD,
        ETCD_COMPARE_VALUE,
        ETCD_COMPARE_LEASE,
        _ETCD_COMPARE_TARGET_MAX,
} EtcdCompareTarget;

typedef enum EtcdCompareResult {
        ETCD_COMPARE_EQUAL,
        ETCD_COMPARE_GREATER,
        ETCD_COMPARE_LESS,
        ETCD_COMPARE_NOT_EQUAL,
        _ETCD_COMPARE_RESULT_MAX,
} EtcdCompareResult;

typedef struct EtcdCompare {
        const char *key;
        const char *range_end; /* NULL: key alone */
        EtcdCompareTarget target;
        EtcdCompareResult result;
        int64_t number;    /* VERSION, CREATE, MOD, LEASE; "absent" is CREATE == 0 */
        const char *value; /* VALUE: value_size bytes */
        size_t value_size;
} EtcdCompare;

typedef enum EtcdOpType {
        ETCD_OP_PUT,
        ETCD_OP_DELETE,
        ETCD_OP_RANGE,
        _ETCD_OP_TYPE_MAX,
} EtcdOpType;

typedef struct EtcdOp {
        EtcdOpType type;
        const char *key;
        const char *range_end; /* DELETE, RANGE; NULL: key alone */
        const void *value;     /* PUT: size bytes */
        size_t size;
        int64_t lease; /* PUT; 0: none */
} EtcdOp;

typedef struct EtcdTxnResult {
        EtcdHeader header;
        bool succeeded; /* the compares held: success_ops ran (else failure_ops) */
        /* One per op of the branch that ran, in order; only RANGE ops' have kvs. */
        const EtcdRangeResult *responses;
        size_t n_responses;
} EtcdTxnResult;

typedef void (*EtcdTxnCallback)(EtcdClient *c, int error, const EtcdTxnResult *result,
                                void *userdata);

/* Everything is copied before the call returns. */
int etcd_txn(EtcdClient *c, const EtcdCompare *compares, size_t n_compares,
             const EtcdOp *success_ops, size_t n_success, const EtcdOp *failure_ops,
             size_t n_failure, EtcdTxnCallback cb, void *userdata);

/* ---- leases ---- */

typedef struct EtcdLeaseResult {
        EtcdHeader header;
        int64_t id;
        int64_t ttl;         /* seconds left; ≤ 0: the lease is gone (keepalive, time-to-live) */
        int64_t granted_ttl; /* time-to-live only */
} EtcdLeaseResult;

typedef void (*EtcdLeaseCallback)(EtcdClient *c, int error, const EtcdLeaseResult *result,
                                  void *userdata);

/* etcd picks the id. */
int etcd_lease_grant(EtcdClient *c, int64_t ttl_sec, EtcdLeaseCallback cb, void *userdata);
/* One keepalive (the gateway's stream answers one message per request). result->ttl ≤ 0 means
 * the lease has expired: this is a result, not an error. */
int etcd_lease_keepalive(EtcdClient *c, int64_t id, EtcdLeaseCallback cb, void *userdata);
int etcd_lease_revoke(EtcdClient *c, int64_t id, EtcdLeaseCallback cb, void *userdata);
int etcd_lease_time_to_live(EtcdClient *c, int64_t id, EtcdLeaseCallback cb, void *userdata);

/* ---- watch ---- */

typedef enum EtcdEventType {
        ETCD_EVENT_PUT,
        ETCD_EVENT_DELETE,
        _ETCD_EVENT_TYPE_MAX,
} EtcdEventType;

typedef struct EtcdEvent {
        EtcdEventType type;
        EtcdKeyValue kv;      /* DELETE: key and mod_revision only */
        EtcdKeyValue prev_kv; /* not requested: zero */
} EtcdEvent;

typedef struct EtcdWatchResult {
        EtcdHeader header; /* header.revision: everything up to it has been delivered */
        const EtcdEvent *events;
        size_t n_events; /* 0 for the "created" message and progress notifications */
        bool created;
        int64_t compact_revision; /* with -ESTALE: the oldest revision still kept */
} EtcdWatchResult;

/* Called for every message that arrives, with error 0 and events (any number, possibly 0),
 * and at most once with an error, after which the watch is dead (free it, then re-list):
 *   -ESTALE      start_revision was compacted (result->compact_revision says to what): list
 *                again with a range, then watch from that range's header revision + 1
 *   -ECONNRESET  the stream was cut (etcd restarted, member lost its leader: the
 *                hasleader metadata makes etcd cut it); -ETIMEDOUT, -ECONNREFUSED ... as
 *                for calls: watch again from the last revision seen + 1
 *   -ECANCELED   etcd_client_free() (not etcd_watch_free(), which never calls back)
 * A watch does not rotate endpoints by itself: the caller's re-watch goes to the client's
 * current endpoint, which calls rotate. */
typedef void (*EtcdWatchCallback)(EtcdWatch *w, int error, const EtcdWatchResult *result,
                                  void *userdata);

/* A client runs up to 64 watches at once (each holds a connection; more wait for one to end).
 * A streaming POST /v3/watch with "Grpc-Metadata-hasleader: true" on the client's current
 * endpoint; newline-separated JSON messages are parsed as they arrive. start_revision 0: from
 * now. range_end as for etcd_range(). The watch belongs to the caller (etcd_watch_free()). */
int etcd_watch_new(EtcdClient *c, const char *key, const char *range_end, int64_t start_revision,
                   EtcdWatchCallback cb, void *userdata, EtcdWatch **ret);
/* Cancels the stream; the callback is not called again (not even with -ECANCELED). May be
 * called from inside the watch's own callback. Accepts NULL, returns NULL. */
EtcdWatch *etcd_watch_free(EtcdWatch *w);
static inline void etcd_watch_freep(EtcdWatch **w) {
        etcd_watch_free(*w);
}

/* ---- maintenance ---- */

typedef struct EtcdStatusResult {
        EtcdHeader header;
        const char *version; /* "3.4.23" */
        int64_t db_size;     /* bytes of the backend file */
        int64_t db_size_in_use;
        uint64_t leader;
        uint64_t raft_index; /* every write (auth included) moves it on */
} EtcdStatusResult;

typedef void (*EtcdStatusCallback)(EtcdClient *c, int error, const EtcdStatusResult *result,
                                   void *userdata);
/* /v3/maintenance/status of the current endpoint. */
int etcd_status(EtcdClient *c, EtcdStatusCallback cb, void *userdata);

/* ---- parsers (pure, fuzzed by tests/fuzz/fuzz-etcd.c) ----
 *
 * Each parses one gateway response body (data, size bytes, not NUL-terminated) into a result
 * whose pointers point into *ret_arena-owned memory: free it with etcd_result_free(). A body
 * with a gRPC error ({"error": ..., "code": N, "message": ...}) gives the matching negative
 * errno (see the top) and, when ret_message is not NULL, etcd's message (a fresh string). */
typedef struct EtcdResultArena EtcdResultArena;
EtcdResultArena *etcd_result_free(EtcdResultArena *a);
static inline void etcd_result_freep(EtcdResultArena **a) {
        etcd_result_free(*a);
}

int etcd_parse_error(const char *data, size_t size, char **ret_message);
int etcd_parse_range_response(const char *data, size_t size, EtcdRangeResult *ret,
                              EtcdResultArena **ret_arena);
int etcd_parse_header_response(const char *data, size_t size, EtcdHeader *ret);
int etcd_parse_txn_response(const char *data, size_t size, EtcdTxnResult *ret,
                            EtcdResultArena **ret_arena);
int etcd_parse_lease_response(const char *data, size_t size, EtcdLeaseResult *ret);
int etcd_parse_auth_response(const char *data, size_t size, char **ret_token);
int etcd_parse_status_response(const char *data, size_t size, EtcdStatusResult *ret,
                               EtcdResultArena **ret_arena);
/* One watch message: the gateway wraps each in {"result": {...}} (or {"error": {...}} when
 * the stream ends with an error). A watch cancelled by etcd gives -ESTALE when its start
 * revision was compacted (and then, unlike the others, fills *ret, compact_revision
 * included, and *ret_arena, which is NULL for a gRPC error body with code 11 and no result),
 * -ECONNRESET for any other reason. */
int etcd_parse_watch_message(const char *data, size_t size, EtcdWatchResult *ret,
                             EtcdResultArena **ret_arena);

const char *etcd_compare_target_to_string(EtcdCompareTarget t);
const char *etcd_compare_result_to_string(EtcdCompareResult r);
const char *etcd_event_type_to_string(EtcdEventType t);
