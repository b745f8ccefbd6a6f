/* SPDX-License-Identifier: MIT */
#pragma once

/* lib/etcd's insides, shared by etcd.c (the client and its calls), etcd-watch.c (the watch
 * stream) and etcd-request.c (request bodies). Not for anyone else: the contract is
 * lib/etcd.h. */

#include "lib/etcd.h"
#include "lib/http.h"
#include "lib/json-writer.h"

/* Each kind of traffic has its own HTTP engine, so its own connections: a burst of kv calls
 * (a member claiming 1024 buckets) must not queue a lease keepalive behind it until the lease
 * has expired, and each watch holds a connection for as long as it runs. */
typedef enum EtcdChannel {
        ETCD_CHANNEL_KV,
        ETCD_CHANNEL_LEASE,
        ETCD_CHANNEL_WATCH, /* streams: no total timeout */
        _ETCD_CHANNEL_MAX,
} EtcdChannel;

typedef void (*EtcdAuthCallback)(EtcdClient *c, int error, void *userdata);
typedef struct EtcdAuthWaiter {
        EtcdAuthCallback callback;
        void *userdata;
} EtcdAuthWaiter;

struct EtcdClient {
        sd_event *event;
        HttpEngine *http[_ETCD_CHANNEL_MAX];
        char **endpoints; /* without a trailing '/' */
        size_t n_endpoints;
        size_t current; /* where calls go now */
        uint64_t timeout_usec;
        char *user, *password;
        char *ca_file, *cert_file, *key_file;
        char *token;                  /* from /v3/auth/authenticate; NULL: none yet (or auth off) */
        bool authenticating;          /* the one authentication is in flight */
        EtcdAuthWaiter *auth_waiters; /* who waits for it */
        size_t n_auth_waiters;
        char *error_detail;
        EtcdWatch *watches; /* live ones, so that etcd_client_free() can cut them loose */
        bool freeing;
};

/* A POST of body (size bytes, copied) to the current endpoint's path ("/v3/kv/range") on
 * channel's engine, with the token, TLS files and the per-call timeout (none on the watch
 * channel: the caller makes it a stream). *ret_endpoint: the index it goes to, for
 * etcd_client_rotate(). */
int etcd_client_new_request(EtcdClient *c, EtcdChannel channel, const char *path, const char *body,
                            size_t size, HttpRequest **ret, size_t *ret_endpoint);

/* A call to endpoint `from` failed in a way that another member may not: move on, unless
 * another call has already done so. */
void etcd_client_rotate(EtcdClient *c, size_t from);

/* Whether error (of a transport or of etcd) means "try another endpoint". */
bool etcd_error_rotates(int error);

/* Keeps a copy of s (NULL clears) for etcd_client_error_detail(). */
void etcd_client_set_detail(EtcdClient *c, const char *s);

/* Gets a token with the client's user and password (-EINVAL without): cb once, from the loop. */
int etcd_client_authenticate(EtcdClient *c, EtcdAuthCallback cb, void *userdata);
/* The token used by a call was refused (gRPC 16): forget it, unless a newer one is there. */
void etcd_client_drop_token(EtcdClient *c, const char *used);

/* Called by etcd_client_free() for every live watch: its callback gets -ECANCELED and it is
 * cut loose from the client. */
void etcd_watch_detach(EtcdWatch *w);

/* ---- request bodies (etcd-request.c) -------------------------------------------------------- */

/* "key": base64(data) */
void etcd_json_bytes_field(JsonWriter *w, const char *name, const void *data, size_t size);
/* "name": "123" (int64 as a string, the gateway's way) */
void etcd_json_int_field(JsonWriter *w, const char *name, int64_t v);
/* A range end field: NULL writes nothing, "" writes "\0". */
void etcd_json_range_end_field(JsonWriter *w, const char *range_end);

int etcd_body_range(const char *key, const char *range_end, int64_t revision, int64_t limit,
                    bool keys_only, char **ret, size_t *ret_size);
int etcd_body_put(const char *key, const void *value, size_t size, int64_t lease, char **ret,
                  size_t *ret_size);
int etcd_body_delete_range(const char *key, const char *range_end, char **ret, size_t *ret_size);
int etcd_body_compact(int64_t revision, char **ret, size_t *ret_size);
int etcd_body_txn(const EtcdCompare *compares, size_t n_compares, const EtcdOp *success,
                  size_t n_success, const EtcdOp *failure, size_t n_failure, char **ret,
                  size_t *ret_size);
/* {"ID": "id"} or {"TTL": "ttl"} for grant. */
int etcd_body_lease(const char *field, int64_t v, char **ret, size_t *ret_size);
int etcd_body_auth(const char *user, const char *password, char **ret, size_t *ret_size);
int etcd_body_watch(const char *key, const char *range_end, int64_t start_revision, char **ret,
                    size_t *ret_size);
