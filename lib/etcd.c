/* SPDX-License-Identifier: MIT */

/* The etcd client: one call = one POST to the gateway, moved to the next endpoint when the
 * member is unreachable or unavailable, re-authenticated once when the token is refused.
 *
 * Life of a call (EtcdCall):
 *   submit   → (no token yet and auth on: authenticate first) → send
 *   response → gRPC 16 and not re-authenticated yet: forget the token, submit again
 *            → a failure that another member may not have (etcd_error_rotates()), and an
 *              endpoint not tried yet: rotate, send again
 *            → else: parse by kind, the caller's callback, free. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/etcd-internal.h"
#include "lib/macro.h"
#include "lib/string-util.h"
#include "lib/time-util.h"

#define ETCD_DEFAULT_TIMEOUT_USEC (2 * USEC_PER_SEC)

/* Plain-http etcd speaks HTTP/1.1: one call or one watch per connection. A watch holds its
 * connection as long as it runs, so the watch engine allows ETCD_MAX_WATCHES of them (more
 * wait for one to end). */
#define ETCD_MAX_WATCHES 64
static const HttpEngineOptions etcd_channel_options[_ETCD_CHANNEL_MAX] = {
        [ETCD_CHANNEL_KV] = {},
        [ETCD_CHANNEL_LEASE] = {},
        [ETCD_CHANNEL_WATCH] = { .max_connections_per_host = ETCD_MAX_WATCHES,
                                 .max_total_connections = ETCD_MAX_WATCHES },
};

typedef enum EtcdCallKind {
        ETCD_CALL_RANGE,
        ETCD_CALL_HEADER,
        ETCD_CALL_TXN,
        ETCD_CALL_LEASE,
        ETCD_CALL_STATUS,
        ETCD_CALL_AUTH,
} EtcdCallKind;

typedef struct EtcdCall {
        EtcdClient *client;
        EtcdCallKind kind;
        const char *path; /* static */
        char *body;
        size_t body_size;
        size_t endpoint; /* of the try in flight */
        char *token;     /* sent with the try in flight */
        unsigned tries;  /* endpoints tried */
        bool reauthed;
        void (*callback)(void);
        void *userdata;
} EtcdCall;

static EtcdCall *etcd_call_free(EtcdCall *call) {
        if (!call)
                return NULL;
        free(call->body);
        free(call->token);
        free(call);
        return NULL;
}
static inline void etcd_call_freep(EtcdCall **c) {
        etcd_call_free(*c);
}

bool etcd_error_rotates(int error) {
        switch (error) {
        case -ETIMEDOUT:
        case -ECONNREFUSED:
        case -EHOSTUNREACH:
        case -ECONNRESET:
        case -EUNATCH:
        case -EPROTO:
        case -EKEYREJECTED: /* one member's certificate may be refused, the next one's not */
                return true;
        default:
                return false;
        }
}

void etcd_client_rotate(EtcdClient *c, size_t from) {
        if (c->current == from)
                c->current = (c->current + 1) % c->n_endpoints;
}

void etcd_client_set_detail(EtcdClient *c, const char *s) {
        char *copy = s ? strdup(s) : NULL;

        free(c->error_detail);
        c->error_detail = copy; /* out of memory: no detail, which the contract allows */
}

void etcd_client_drop_token(EtcdClient *c, const char *used) {
        if (c->token && (!used || streq(c->token, used))) {
                free(c->token);
                c->token = NULL;
        }
}

const char *etcd_client_endpoint(const EtcdClient *c) {
        return c ? c->endpoints[c->current] : NULL;
}

const char *etcd_client_error_detail(const EtcdClient *c) {
        return c ? c->error_detail : NULL;
}

/* ---- requests ------------------------------------------------------------------------------- */

static int etcd_request_setup(EtcdClient *c, HttpRequest *r, const char *body, size_t size,
                              bool stream) {
        int k;

        k = http_request_add_header(r, "Content-Type", "application/json");
        if (k >= 0 && c->token)
                k = http_request_add_header(r, "Authorization", c->token);
        if (k >= 0)
                k = http_request_set_body(r, body, size);
        if (k >= 0 && c->ca_file)
                k = http_request_set_ca_file(r, c->ca_file);
        if (k >= 0 && c->cert_file)
                k = http_request_set_client_cert(r, c->cert_file, c->key_file);
        if (k >= 0 && !stream)
                k = http_request_set_timeouts(r, c->timeout_usec, c->timeout_usec);
        else if (k >= 0)
                k = http_request_set_timeouts(r, c->timeout_usec, 0);
        return k;
}

int etcd_client_new_request(EtcdClient *c, EtcdChannel channel, const char *path, const char *body,
                            size_t size, HttpRequest **ret, size_t *ret_endpoint) {
        _cleanup_(http_request_freep) HttpRequest *r = NULL;
        _cleanup_free_ char *url = NULL;
        int k;

        if (asprintf(&url, "%s%s", c->endpoints[c->current], path) < 0)
                return -ENOMEM;
        k = http_request_new(c->http[channel], "POST", url, &r);
        if (k >= 0)
                k = etcd_request_setup(c, r, body, size, channel == ETCD_CHANNEL_WATCH);
        if (k < 0)
                return k;
        *ret_endpoint = c->current;
        *ret = TAKE_PTR(r);
        return 0;
}

/* ---- delivering ----------------------------------------------------------------------------- */

static void etcd_call_deliver_range(EtcdCall *call, int error, const char *body, size_t size) {
        _cleanup_(etcd_result_freep) EtcdResultArena *a = NULL;
        EtcdRangeResult r;

        if (error >= 0)
                error = etcd_parse_range_response(body, size, &r, &a);
        ((EtcdRangeCallback) call->callback)(call->client, error, error >= 0 ? &r : NULL,
                                             call->userdata);
}

static void etcd_call_deliver_header(EtcdCall *call, int error, const char *body, size_t size) {
        EtcdHeader h;

        if (error >= 0)
                error = etcd_parse_header_response(body, size, &h);
        ((EtcdHeaderCallback) call->callback)(call->client, error, error >= 0 ? &h : NULL,
                                              call->userdata);
}

static void etcd_call_deliver_txn(EtcdCall *call, int error, const char *body, size_t size) {
        _cleanup_(etcd_result_freep) EtcdResultArena *a = NULL;
        EtcdTxnResult t;

        if (error >= 0)
                error = etcd_parse_txn_response(body, size, &t, &a);
        ((EtcdTxnCallback) call->callback)(call->client, error, error >= 0 ? &t : NULL,
                                           call->userdata);
}

static void etcd_call_deliver_lease(EtcdCall *call, int error, const char *body, size_t size) {
        EtcdLeaseResult l;

        if (error >= 0)
                error = etcd_parse_lease_response(body, size, &l);
        ((EtcdLeaseCallback) call->callback)(call->client, error, error >= 0 ? &l : NULL,
                                             call->userdata);
}

static void etcd_call_deliver_status(EtcdCall *call, int error, const char *body, size_t size) {
        _cleanup_(etcd_result_freep) EtcdResultArena *a = NULL;
        EtcdStatusResult s;

        if (error >= 0)
                error = etcd_parse_status_response(body, size, &s, &a);
        ((EtcdStatusCallback) call->callback)(call->client, error, error >= 0 ? &s : NULL,
                                              call->userdata);
}

static void etcd_call_deliver_auth(EtcdCall *call, int error, const char *body, size_t size) {
        EtcdClient *c = call->client;
        char *token = NULL;

        if (error >= 0)
                error = etcd_parse_auth_response(body, size, &token);
        if (error >= 0) {
                free(c->token);
                c->token = token;
        }
        ((EtcdAuthCallback) call->callback)(c, error, call->userdata);
}

/* The caller's callback, once, then the call is gone. */
static void etcd_call_finish(EtcdCall *call, int error, const char *body, size_t size) {
        static void (*const deliver[])(EtcdCall *, int, const char *, size_t) = {
                [ETCD_CALL_RANGE] = etcd_call_deliver_range,
                [ETCD_CALL_HEADER] = etcd_call_deliver_header,
                [ETCD_CALL_TXN] = etcd_call_deliver_txn,
                [ETCD_CALL_LEASE] = etcd_call_deliver_lease,
                [ETCD_CALL_STATUS] = etcd_call_deliver_status,
                [ETCD_CALL_AUTH] = etcd_call_deliver_auth,
        };

        deliver[call->kind](call, error, body, size);
        etcd_call_free(call);
}

/* ---- sending -------------------------------------------------------------------------------- */

static void etcd_call_on_response(HttpRequest *r, int error, const HttpResponse *resp,
                                  void *userdata);

static int etcd_call_send(EtcdCall *call) {
        EtcdClient *c = call->client;
        HttpRequest *r = NULL;
        int k;

        k = etcd_client_new_request(
                c, call->kind == ETCD_CALL_LEASE ? ETCD_CHANNEL_LEASE : ETCD_CHANNEL_KV, call->path,
                call->body, call->body_size, &r, &call->endpoint);
        if (k < 0)
                return k;
        free(call->token);
        call->token = NULL;
        if (c->token && !(call->token = strdup(c->token))) {
                http_request_free(r);
                return -ENOMEM;
        }
        k = http_request_start(r, etcd_call_on_response, call);
        if (k < 0)
                http_request_free(r);
        return k;
}

static void etcd_call_on_auth(EtcdClient *c, int error, void *userdata) {
        EtcdCall *call = userdata;

        if (error >= 0)
                error = etcd_call_send(call);
        if (error < 0)
                etcd_call_finish(call, error, NULL, 0);
}

static int etcd_call_submit(EtcdCall *call) {
        EtcdClient *c = call->client;

        if (c->user && !c->token && call->kind != ETCD_CALL_AUTH)
                return etcd_client_authenticate(c, etcd_call_on_auth, call);
        return etcd_call_send(call);
}

/* The result of one try: 0 (an answer to parse), or why it failed. */
static int etcd_call_result(EtcdCall *call, int error, const HttpResponse *resp) {
        EtcdClient *c = call->client;
        _cleanup_free_ char *message = NULL;
        int k;

        if (error < 0)
                return error;
        k = etcd_parse_error(resp->body, resp->body_size, &message);
        if (k < 0) {
                etcd_client_set_detail(c, message);
                return k;
        }
        if (resp->status != 200) {
                etcd_client_set_detail(c, "etcd answered with an unexpected HTTP status.");
                return resp->status == 503 ? -EUNATCH : -EIO;
        }
        return 0;
}

/* Another try for a failed one, if there is one to make: 1 if it is under way. */
static int etcd_call_retry(EtcdCall *call, int error) {
        EtcdClient *c = call->client;
        bool retry = false;

        if (c->freeing)
                return 0;
        if (error == -EKEYEXPIRED && !call->reauthed) {
                call->reauthed = true;
                etcd_client_drop_token(c, call->token);
                retry = true;
        } else if (etcd_error_rotates(error) && ++call->tries < c->n_endpoints) {
                etcd_client_rotate(c, call->endpoint);
                retry = true;
        }
        if (!retry)
                return 0;
        return etcd_call_submit(call) >= 0;
}

static void etcd_call_on_response(HttpRequest *r, int error, const HttpResponse *resp,
                                  void *userdata) {
        EtcdCall *call = userdata;
        int k;

        k = etcd_call_result(call, error, resp);
        if (error < 0)
                etcd_client_set_detail(call->client, http_request_error_detail(r));
        if (k < 0 && etcd_call_retry(call, k) > 0)
                return;
        if (k == -EKEYEXPIRED) /* refused again right after authenticating */
                k = -EACCES;
        etcd_call_finish(call, k, k >= 0 ? resp->body : NULL, k >= 0 ? resp->body_size : 0);
}

/* Makes a call of kind with body (taken over, freed on failure too) and submits it. */
static int etcd_call_start(EtcdClient *c, EtcdCallKind kind, const char *path, char *body,
                           size_t size, void (*cb)(void), void *userdata) {
        _cleanup_(etcd_call_freep) EtcdCall *call = NULL;
        int k;

        if (!c || !cb || c->freeing) {
                free(body);
                return -EINVAL;
        }
        call = calloc(1, sizeof(*call));
        if (!call) {
                free(body);
                return -ENOMEM;
        }
        *call = (EtcdCall){ .client = c,
                            .kind = kind,
                            .path = path,
                            .body = body,
                            .body_size = size,
                            .callback = cb,
                            .userdata = userdata };
        k = etcd_call_submit(call);
        if (k < 0)
                return k;
        TAKE_PTR(call);
        return 0;
}

/* The one authentication in flight is over: every waiter hears of it, in order. A waiter may
 * start calls (and with them a new authentication): the list is taken first. */
static void etcd_client_on_auth(EtcdClient *c, int error, void *userdata) {
        _cleanup_free_ EtcdAuthWaiter *waiters = TAKE_PTR(c->auth_waiters);
        size_t n = c->n_auth_waiters;

        c->n_auth_waiters = 0;
        c->authenticating = false;
        for (size_t i = 0; i < n; i++)
                waiters[i].callback(c, error, waiters[i].userdata);
}

/* Callers that need a token while one is being fetched wait for that one: etcd checks a
 * password with bcrypt, tens of milliseconds of its CPU each. */
int etcd_client_authenticate(EtcdClient *c, EtcdAuthCallback cb, void *userdata) {
        EtcdAuthWaiter *w;
        char *body = NULL;
        size_t size = 0;
        int k;

        if (!c->user)
                return -EINVAL;
        w = reallocarray(c->auth_waiters, c->n_auth_waiters + 1, sizeof(EtcdAuthWaiter));
        if (!w)
                return -ENOMEM;
        c->auth_waiters = w;
        if (!c->authenticating) {
                k = etcd_body_auth(c->user, c->password ?: "", &body, &size);
                if (k >= 0)
                        k = etcd_call_start(c, ETCD_CALL_AUTH, "/v3/auth/authenticate", body, size,
                                            (void (*)(void)) etcd_client_on_auth, NULL);
                if (k < 0)
                        return k;
                c->authenticating = true;
        }
        w[c->n_auth_waiters++] = (EtcdAuthWaiter){ .callback = cb, .userdata = userdata };
        return 0;
}

/* ---- the calls ------------------------------------------------------------------------------ */

static int etcd_range_call(EtcdClient *c, const char *key, const char *range_end, int64_t revision,
                           int64_t limit, bool keys_only, EtcdRangeCallback cb, void *userdata) {
        char *body = NULL;
        size_t size = 0;
        int k;

        if (!key)
                return -EINVAL;
        k = etcd_body_range(key, range_end, revision, limit, keys_only, &body, &size);
        if (k < 0)
                return k;
        return etcd_call_start(c, ETCD_CALL_RANGE, "/v3/kv/range", body, size, (void (*)(void)) cb,
                               userdata);
}

int etcd_range(EtcdClient *c, const char *key, const char *range_end, int64_t revision,
               int64_t limit, EtcdRangeCallback cb, void *userdata) {
        return etcd_range_call(c, key, range_end, revision, limit, false, cb, userdata);
}

int etcd_range_keys(EtcdClient *c, const char *key, const char *range_end, int64_t revision,
                    int64_t limit, EtcdRangeCallback cb, void *userdata) {
        return etcd_range_call(c, key, range_end, revision, limit, true, cb, userdata);
}

int etcd_put(EtcdClient *c, const char *key, const void *value, size_t size, int64_t lease,
             EtcdHeaderCallback cb, void *userdata) {
        char *body = NULL;
        size_t n = 0;
        int k;

        if (!key || (!value && size > 0))
                return -EINVAL;
        k = etcd_body_put(key, value ?: "", size, lease, &body, &n);
        if (k < 0)
                return k;
        return etcd_call_start(c, ETCD_CALL_HEADER, "/v3/kv/put", body, n, (void (*)(void)) cb,
                               userdata);
}

int etcd_delete_range(EtcdClient *c, const char *key, const char *range_end, EtcdHeaderCallback cb,
                      void *userdata) {
        char *body = NULL;
        size_t size = 0;
        int k;

        if (!key)
                return -EINVAL;
        k = etcd_body_delete_range(key, range_end, &body, &size);
        if (k < 0)
                return k;
        return etcd_call_start(c, ETCD_CALL_HEADER, "/v3/kv/deleterange", body, size,
                               (void (*)(void)) cb, userdata);
}

int etcd_compact(EtcdClient *c, int64_t revision, EtcdHeaderCallback cb, void *userdata) {
        char *body = NULL;
        size_t size = 0;
        int k;

        if (revision <= 0)
                return -EINVAL;
        k = etcd_body_compact(revision, &body, &size);
        if (k < 0)
                return k;
        return etcd_call_start(c, ETCD_CALL_HEADER, "/v3/kv/compaction", body, size,
                               (void (*)(void)) cb, userdata);
}

int etcd_txn(EtcdClient *c, const EtcdCompare *compares, size_t n_compares,
             const EtcdOp *success_ops, size_t n_success, const EtcdOp *failure_ops,
             size_t n_failure, EtcdTxnCallback cb, void *userdata) {
        char *body = NULL;
        size_t size = 0;
        int k;

        k = etcd_body_txn(compares, n_compares, success_ops, n_success, failure_ops, n_failure,
                          &body, &size);
        if (k < 0)
                return k;
        return etcd_call_start(c, ETCD_CALL_TXN, "/v3/kv/txn", body, size, (void (*)(void)) cb,
                               userdata);
}

static int etcd_lease_call(EtcdClient *c, const char *path, const char *field, int64_t v,
                           EtcdLeaseCallback cb, void *userdata) {
        char *body = NULL;
        size_t size = 0;
        int k;

        k = etcd_body_lease(field, v, &body, &size);
        if (k < 0)
                return k;
        return etcd_call_start(c, ETCD_CALL_LEASE, path, body, size, (void (*)(void)) cb, userdata);
}

int etcd_lease_grant(EtcdClient *c, int64_t ttl_sec, EtcdLeaseCallback cb, void *userdata) {
        if (ttl_sec <= 0)
                return -EINVAL;
        return etcd_lease_call(c, "/v3/lease/grant", "TTL", ttl_sec, cb, userdata);
}

int etcd_lease_keepalive(EtcdClient *c, int64_t id, EtcdLeaseCallback cb, void *userdata) {
        return etcd_lease_call(c, "/v3/lease/keepalive", "ID", id, cb, userdata);
}

int etcd_lease_revoke(EtcdClient *c, int64_t id, EtcdLeaseCallback cb, void *userdata) {
        return etcd_lease_call(c, "/v3/lease/revoke", "ID", id, cb, userdata);
}

int etcd_lease_time_to_live(EtcdClient *c, int64_t id, EtcdLeaseCallback cb, void *userdata) {
        return etcd_lease_call(c, "/v3/lease/timetolive", "ID", id, cb, userdata);
}

int etcd_status(EtcdClient *c, EtcdStatusCallback cb, void *userdata) {
        char *body = strdup("{}");

        if (!body)
                return -ENOMEM;
        return etcd_call_start(c, ETCD_CALL_STATUS, "/v3/maintenance/status", body, 2,
                               (void (*)(void)) cb, userdata);
}

/* ---- the client ----------------------------------------------------------------------------- */

static int etcd_client_copy_endpoints(EtcdClient *c, const char *const *endpoints) {
        size_t n = 0;

        while (endpoints && endpoints[n])
                n++;
        if (n == 0)
                return -EINVAL;
        c->endpoints = calloc(n, sizeof(char *));
        if (!c->endpoints)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *e = endpoints[i];
                size_t len = strlen(e);

                if (!startswith(e, "http://") && !startswith(e, "https://"))
                        return -EINVAL;
                while (len > 0 && e[len - 1] == '/')
                        len--;
                c->endpoints[i] = strndup(e, len);
                if (!c->endpoints[i])
                        return -ENOMEM;
                c->n_endpoints++;
        }
        return 0;
}

static int etcd_client_copy_options(EtcdClient *c, const EtcdOptions *o) {
        int k;

        if (!o->cert_file != !o->key_file || (o->password && !o->user))
                return -EINVAL;
        c->timeout_usec = o->timeout_usec ?: ETCD_DEFAULT_TIMEOUT_USEC;
        k = etcd_client_copy_endpoints(c, o->endpoints);
        if (k >= 0)
                k = strdup_opt(o->user, &c->user);
        if (k >= 0)
                k = strdup_opt(o->password, &c->password);
        if (k >= 0)
                k = strdup_opt(o->ca_file, &c->ca_file);
        if (k >= 0)
                k = strdup_opt(o->cert_file, &c->cert_file);
        if (k >= 0)
                k = strdup_opt(o->key_file, &c->key_file);
        return k;
}

int etcd_client_new(sd_event *event, const EtcdOptions *options, EtcdClient **ret) {
        _cleanup_(etcd_client_freep) EtcdClient *c = NULL;
        int k;

        if (!event || !options || !ret)
                return -EINVAL;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->event = sd_event_ref(event);
        k = etcd_client_copy_options(c, options);
        for (EtcdChannel ch = 0; ch < _ETCD_CHANNEL_MAX && k >= 0; ch++)
                k = http_engine_new(event, &etcd_channel_options[ch], &c->http[ch]);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(c);
        return 0;
}

EtcdClient *etcd_client_free(EtcdClient *c) {
        if (!c)
                return NULL;
        c->freeing = true;
        /* Every call's and watch's request gets -ECANCELED from here, and with it the
         * caller's callback; watches are cut loose from the client first. */
        while (c->watches)
                etcd_watch_detach(c->watches);
        for (EtcdChannel ch = 0; ch < _ETCD_CHANNEL_MAX; ch++)
                c->http[ch] = http_engine_free(c->http[ch]);
        for (size_t i = 0; i < c->n_endpoints; i++)
                free(c->endpoints[i]);
        free(c->endpoints);
        free(c->user);
        if (c->password)
                explicit_bzero(c->password, strlen(c->password));
        free(c->password);
        free(c->ca_file);
        free(c->cert_file);
        free(c->key_file);
        free(c->token);
        free(c->auth_waiters);
        free(c->error_detail);
        sd_event_unref(c->event);
        free(c);
        return NULL;
}
