/* SPDX-License-Identifier: MIT */
#pragma once

/* The cloud clients: get, put, delete and list the async-invocation config of one function
 * (per qualifier) on AWS Lambda, Alibaba FC3 / FC2 and Huawei FunctionGraph, asynchronously,
 * on sd-event through lib/http, with our own signers (clouds/sign/sign.h).
 *
 * Shape (OpenSMTPD's table back ends): each cloud file exports one const CloudOps filled
 * with designated initialisers — aws.c cloud_ops_aws, alicloud.c cloud_ops_fc3 and
 * cloud_ops_fc2, huaweicloud.c cloud_ops_huaweicloud. A CloudOps says, per cloud, how each
 * operation's request is built (path, query, body) and signed, how each response is parsed
 * and how errors are classified; this file runs the calls (one HTTP exchange per get, put
 * and delete; pagination for list) the same way for every cloud.
 *
 *   CloudAccount  how to reach one account: api, region, endpoint override, account id
 *                 (FC2 host), project id (Huawei path), CA file, a credentials source
 *   CloudClient   an account + the HttpEngine; reference counted (calls in flight hold one)
 *   CloudTarget   {function, qualifier}; function is: AWS name, name:qualifier, ARN or
 *                 partial ARN; FC3 name; FC2 "service/function"; Huawei URN with or without
 *                 the version. qualifier NULL: AWS $LATEST (unless the name carries one),
 *                 Alibaba LATEST, Huawei the URN's own version (or "latest").
 *   CloudCall     one operation in flight; cloud_call_cancel() makes its callback fire
 *                 with -ECANCELED.
 *
 * Callbacks fire exactly once, always from the event loop (never from inside cloud_get()
 * etc. or cloud_call_cancel()), with a CloudError whose class is CLOUD_ERROR_NONE on
 * success. Everything handed to a callback is borrowed for the duration of the callback;
 * the CloudCall is freed right after it returns. If cloud_get() etc. return an error, nothing
 * was started and the callback never fires.
 *
 * Nothing here logs above debug and nothing here ever contains a secret: credentials are
 * read at each request (so a refreshed token is picked up), used to sign, and redacted from
 * any error message the cloud echoes. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "clouds/cloud-error.h"
#include "clouds/cloud-request.h"
#include "clouds/function-id.h"
#include "clouds/model.h"
#include "lib/http.h"

/* ---- accounts, targets, results ---------------------------------------------------- */

/* Borrowed strings, valid until the CloudCredentialsFunc is called again. token NULL or ""
 * means long-term keys. */
typedef struct CloudCredentials {
        const char *access_key_id;
        const char *secret;
        const char *token;
} CloudCredentials;

/* Called when a request is about to be signed. 0 and *ret filled, or a negative errno
 * (-ENOKEY: none configured, -EAGAIN: a refresh is in progress), which fails the request
 * with class TRANSIENT (in a callback) or is returned by cloud_get() etc. */
typedef int (*CloudCredentialsFunc)(void *userdata, CloudCredentials *ret);

/* A CloudCredentialsFunc over a CredentialProvider (clouds/credentials/credentials.h), which is the
 * userdata: the provider's current credentials, or -EAGAIN while it has none (a metadata
 * fetch in progress, or expired). */
int cloud_credentials_from_provider(void *userdata, CloudCredentials *ret);

typedef struct CloudAccount {
        const char *name;       /* for messages */
        CloudApi api;           /* the provider follows from it */
        const char *region;     /* required */
        const char *endpoint;   /* "scheme://host[:port]" override, or NULL for the real host:
                               * lambda.{region}.amazonaws.com, fcv3.{region}.aliyuncs.com,
                               * {account_id}.{region}.fc.aliyuncs.com,
                               * functiongraph.{region}.myhuaweicloud.com (all https) */
        const char *account_id; /* alicloud: required for FC2 without an endpoint override;
                                 * aws: optional, 12 digits, checked against function ARNs */
        const char *project_id; /* huaweicloud; required */
        const char *ca_file;    /* PEM bundle replacing the system's, or NULL */
        CloudCredentialsFunc credentials;
        void *credentials_userdata;
} CloudAccount;

typedef struct CloudTarget {
        const char *function;
        const char *qualifier; /* NULL: the default, see above */
} CloudTarget;

/* One config of a list, with the qualifier it belongs to. In a list of versions or aliases
 * (cloud_list_qualifiers()) an item is only a qualifier, its config empty. */
typedef struct CloudQualifiedConfig {
        char *qualifier; /* "$LATEST", "LATEST", "prod", "latest", "1" ... as the cloud says;
                          * NULL when the item does not say (an unqualified ARN or URN, no
                          * qualifier member): never guessed, see cloud_list_qualifiers() */
        char *function;  /* the function the item names, when the body says (FC3 filter
                          * check); NULL otherwise */
        AsyncConfig config;
} CloudQualifiedConfig;

typedef struct CloudConfigList {
        CloudQualifiedConfig *items;
        size_t n_items;
        char *next_token; /* a parsed page: the token of the next page, NULL on the last */
} CloudConfigList;

void cloud_config_list_done(CloudConfigList *l);
/* Moves every item of src to the end of dst (src is left empty, its next_token kept).
 * 0 or -ENOMEM. */
int cloud_config_list_take(CloudConfigList *dst, CloudConfigList *src);
/* The config of a qualifier, or NULL. */
const AsyncConfig *cloud_config_list_find(const CloudConfigList *l, const char *qualifier);

/* ---- the provider's facts ------------------------------------------------------------ */

/* The integer settings whose range is the provider's (DESIGN.md §2). */
typedef enum CloudLimit {
        CLOUD_LIMIT_RETRY_ATTEMPTS,    /* maxRetryAttempts */
        CLOUD_LIMIT_EVENT_AGE_SECONDS, /* maxEventAgeSeconds */
        _CLOUD_LIMIT_MAX,
} CloudLimit;

typedef struct CloudRange {
        int64_t min, max;
} CloudRange;

/* One key of a typed destination's param map (Huawei: OBS bucket, prefix, expires ...). */
typedef struct CloudParamKey {
        const char *key;
        bool integer; /* an integer, else a string */
        bool required;
        int64_t min, max; /* integer: bounds; string: max is the longest length (0: any) */
        /* A string value's own syntax, NULL: any. Pure: 0, or -EINVAL and a sentence in
         * *ret_message ("invalid OBS bucket name 'x'"); -ENOMEM. */
        int (*check)(const char *value, char **ret_message);
} CloudParamKey;

/* A destination type and the keys of its param map, terminated by a row with key NULL. */
typedef struct CloudDestinationType {
        const char *name;
        const CloudParamKey *keys;
} CloudDestinationType;

/* ---- the operations table ---------------------------------------------------------- */

/* Members marked optional may be NULL: the cloud needs nothing there. */
typedef struct CloudOps {
        CloudApi api;
        Provider provider;
        const char *default_qualifier; /* "$LATEST", "LATEST", "latest" */

        /* The provider's facts, the same in every table of a provider (FC3 and FC2), so that
         * a document can be checked before its account, and so its api, is known. Pure: they
         * return a message and the caller adds the file location (DESIGN.md §1).
         *
         * Parses a function spelling (function-id.h) and the optional qualifier field into
         * *ret (id->api from the spelling): 0; -EINVAL (the function is at fault) or -EDOM
         * (the qualifier field) with a sentence in *ret_message; -ENOMEM. */
        int (*parse_function_id)(const char *function, const char *qualifier, FunctionId *ret,
                                 char **ret_message);
        /* The values the provider takes (cloud_ops_check_limit() says it in words). */
        CloudRange limits[_CLOUD_LIMIT_MAX];
        /* Whether target is a destination of this provider, on failure or on success: 0; or
         * -EINVAL and, in *ret_message, a sentence that the caller begins with the field's
         * name ("destination 'x' is not an AWS ARN (...)"); -ENOMEM. */
        int (*check_destination)(const char *target, bool on_failure, char **ret_message);
        /* Optional: the destination types whose param map the caller checks (Huawei),
         * terminated by a row with name NULL; NULL when a destination is an ARN alone. */
        const CloudDestinationType *destination_types;

        /* Optional: checks the account has what this cloud needs (region, project id ...),
         * -EINVAL. */
        int (*check_account)(const CloudAccount *a);
        /* Whether a target's function, when its spelling carries a region, an account or a
         * project (an ARN, a partial ARN, a URN), names this account's own (DESIGN.md §3.12):
         * a function elsewhere is never addressed through this account. Pure: the caller adds
         * the location. 0 (also for a spelling without any: a name); -EINVAL and, when
         * ret_message is not NULL, a sentence naming both sides in it (malloc'd); -ENOMEM.
         * build_request refuses such a target too. */
        int (*check_target)(const CloudAccount *a, const char *function, char **ret_message);
        /* The real endpoint "https://host" of the account, fresh string. */
        int (*default_endpoint)(const CloudAccount *a, char **ret);

        /* Fills req->method, ->path, ->query and (PUT) ->body for op on t. desired: PUT only.
         * page_token: LIST only, NULL for the first page. -EINVAL for a target this cloud
         * cannot address. */
        int (*build_request)(const CloudAccount *a, CloudOp op, const CloudTarget *t,
                             const AsyncConfig *desired, const char *page_token, CloudRequest *req);
        /* Adds the protocol headers (date, nonce, content hash, token ...) and Authorization.
         * req already carries Host. now: the signing time; nonce: ACS3's
         * x-acs-signature-nonce (ignored elsewhere). */
        int (*sign_request)(const CloudAccount *a, CloudRequest *req, const CloudCredentials *c,
                            time_t now, const char *nonce);

        /* The PUT body: the complete desired document, exact bytes. */
        int (*serialize_config)(const AsyncConfig *c, char **ret, size_t *ret_size);
        /* Response bodies. 0, -EBADMSG (malformed), -ENOMEM. */
        int (*parse_config)(const char *body, size_t size, AsyncConfig *ret);
        int (*parse_list)(const char *body, size_t size, CloudConfigList *ret);
        /* A page of CLOUD_OP_LIST_VERSIONS or CLOUD_OP_LIST_ALIASES: items with only their
         * qualifier (the version or alias name), and the next page's token. */
        int (*parse_qualifiers)(CloudOp op, const char *body, size_t size, CloudConfigList *ret);
        /* Fills ->code, ->message, ->request_id from an error body (whatever it finds). */
        int (*parse_error)(const char *body, size_t size, CloudError *ret);

        const char *code_header;       /* a header carrying the error code, or NULL */
        const char *request_id_header; /* response header with the request id */
        /* Sets e->class (and e->note) from e->http_status, ->code, ->message; op is the
         * operation that failed. Never called for transport errors. */
        void (*classify_error)(CloudOp op, CloudError *e);
} CloudOps;

extern const CloudOps cloud_ops_aws;
extern const CloudOps cloud_ops_fc3;
extern const CloudOps cloud_ops_fc2;
extern const CloudOps cloud_ops_huaweicloud;

/* The table of an api, or NULL. */
const CloudOps *cloud_ops_from_api(CloudApi api);
/* The table of a provider's default api (alicloud: FC3), or NULL. For what only the provider
 * decides (its facts above): a document names its provider before its account, and the
 * spelling of an Alibaba function, not this table, decides between FC3 and FC2. */
const CloudOps *cloud_ops_from_provider(Provider provider);
/* Whether value is in ops->limits[limit]: 0; or -ERANGE and, in *ret_message, "must be between
 * MIN and MAX for provider P, got V", which the caller begins with the setting's name;
 * -ENOMEM. */
int cloud_ops_check_limit(const CloudOps *ops, CloudLimit limit, int64_t value, char **ret_message);

/* The response parsers are reached through the tables (ops->parse_config ...), the fuzzers'
 * and unit tests' way in too: nothing else of a cloud's file is exported. */

/* The AWS error code as botocore reads it: x-amzn-ErrorType "Code:http://...#x" → "Code"
 * (text after ':' dropped, text before '#' dropped). Fresh string, 0 or -ENOMEM. */
int cloud_aws_error_code_clean(const char *value, char **ret);

/* How often c occurs in s (ARN and URN components). */
static inline size_t cloud_count_char(const char *s, char c) {
        size_t n = 0;

        for (; *s; s++)
                n += *s == c;
        return n;
}

/* For the pure checks (check_target, parse_function_id ...): error, with the formatted sentence
 * in *ret_message when ret_message is not NULL; -ENOMEM when it cannot be formatted. */
int cloud_refuse(char **ret_message, int error, const char *format, ...) _printf_(3, 4);

/* ---- clients and calls --------------------------------------------------------------- */

typedef struct CloudClient CloudClient;
typedef struct CloudCall CloudCall;

/* The account is copied (its strings too). The engine must outlive the client and its
 * calls. 0, -EINVAL (account incomplete for its api, bad endpoint), -ENOMEM. */
int cloud_client_new(HttpEngine *engine, const CloudAccount *account, CloudClient **ret);
CloudClient *cloud_client_ref(CloudClient *c);
CloudClient *cloud_client_unref(CloudClient *c); /* accepts NULL, returns NULL */
DEFINE_TRIVIAL_CLEANUP_FUNC(CloudClient *, cloud_client_unref);
const CloudAccount *cloud_client_get_account(const CloudClient *c);
const CloudOps *cloud_client_get_ops(const CloudClient *c);

/* Called after every HTTP exchange of the client's calls (each page of a list too), from the
 * event loop, before the call's own callback: the HTTP status (0 when there was no response,
 * then error is lib/http's negative errno) and how long the exchange took. For metrics; it must
 * not start or cancel calls. */
typedef void (*CloudObserver)(const CloudAccount *account, Provider provider, CloudOp op,
                              long http_status, int error, uint64_t duration_usec, void *userdata);
void cloud_client_set_observer(CloudClient *c, CloudObserver observer, void *userdata);

/* Asked before each request of the client's calls is sent (each page of a list too): 0 sends
 * it now; 1 holds it until the gate's owner calls cloud_call_resume(call) from the event loop
 * (a rate limit: every request takes a token, DESIGN.md §3.8). The owner must resume every call
 * it holds; a held call that is cancelled fails with -ECANCELED when resumed. */
typedef int (*CloudGateFunc)(CloudCall *call, void *userdata);
void cloud_client_set_gate(CloudClient *c, CloudGateFunc gate, void *userdata);
void cloud_call_resume(CloudCall *call);

/* config: GET success — the live config; NULL otherwise. GET answers "no config" with class
 * CONFIG_ABSENT and "no function" with FUNCTION_ABSENT. */
typedef void (*CloudConfigCallback)(CloudCall *call, const CloudError *error,
                                    const AsyncConfig *config, void *userdata);
/* PUT: success (class NONE) is any 2xx answer. DELETE: a config or function that is not there
 * counts as success too. */
typedef void (*CloudDoneCallback)(CloudCall *call, const CloudError *error, void *userdata);
/* LIST: list holds every (qualifier, config) of the function over all pages on success;
 * NULL otherwise. */
typedef void (*CloudListCallback)(CloudCall *call, const CloudError *error,
                                  const CloudConfigList *list, void *userdata);

/* ret_call may be NULL. 0 or a negative errno (nothing started then): -EINVAL (target),
 * errors of the credentials source, -ENOMEM, lib/http's start errors. */
int cloud_get(CloudClient *c, const CloudTarget *t, CloudConfigCallback cb, void *userdata,
              CloudCall **ret_call);
/* One full PUT of the complete desired document (never AWS's POST, never delete-then-put).
 * The body of a 2xx answer is not read: the clouds echo the config, but the echo may leave out
 * fields the cloud defaults, so what was sent is what is recorded as applied (reconcile.c), and
 * a write that took effect is not turned into an error by an echo that cannot be parsed. */
int cloud_put(CloudClient *c, const CloudTarget *t, const AsyncConfig *desired,
              CloudDoneCallback cb, void *userdata, CloudCall **ret_call);
int cloud_delete(CloudClient *c, const CloudTarget *t, CloudDoneCallback cb, void *userdata,
                 CloudCall **ret_call);
/* Every config of function (t->qualifier is ignored), following pagination. */
int cloud_list(CloudClient *c, const CloudTarget *t, CloudListCallback cb, void *userdata,
               CloudCall **ret_call);

/* The versions (op CLOUD_OP_LIST_VERSIONS) or the aliases (CLOUD_OP_LIST_ALIASES) of function
 * (t->qualifier is ignored), following pagination: Lambda ListVersionsByFunction (which
 * includes $LATEST) / ListAliases; FC3 ListFunctionVersions / ListAliases; FC2
 * ListServiceVersions / ListAliases of the function's service (FC2 qualifiers are the
 * service's); FunctionGraph's versions (which include latest) / aliases of the function. The
 * list's items carry only a qualifier. -EINVAL for any other op. */
int cloud_list_qualifiers(CloudClient *c, CloudOp op, const CloudTarget *t, CloudListCallback cb,
                          void *userdata, CloudCall **ret_call);

/* The callback fires with class TRANSIENT, error -ECANCELED (from the event loop). No-op
 * once the callback runs. */
void cloud_call_cancel(CloudCall *call);
CloudOp cloud_call_get_op(const CloudCall *call);

/* Builds and signs the request of op exactly as a call would send it, with the given time
 * and nonce (tests, and `asyncfg plan -v`). 0 or a negative errno. */
int cloud_client_build_request(CloudClient *c, CloudOp op, const CloudTarget *t,
                               const AsyncConfig *desired, const char *page_token,
                               const CloudCredentials *creds, time_t now, const char *nonce,
                               CloudRequest *ret);

/* Turns a non-success HTTP response into a classified CloudError (parse_error, code and
 * request id headers, Retry-After / Alibaba TimeLeft, classify_error); for a 2xx response
 * this is not used. now_usec: CLOCK_REALTIME, for Retry-After dates. redact: secrets to cut
 * out of the message (NULL-terminated, may be NULL). 0 or -ENOMEM. */
int cloud_error_from_response(const CloudOps *ops, CloudOp op, const HttpResponse *resp,
                              uint64_t now_usec, const char *const *redact, CloudError *ret);
