/* SPDX-License-Identifier: MIT */
#pragma once

/* What the emulator's modules share: the FakeCloud object, the per-request FakeCall, the
 * response helpers (response.c) and the per-API operation tables (api-*.c). */

#include <jansson.h>
#include <stdint.h>

#include "lib/urlenc.h"
#include "tests/fakecloud/fakecloud.h"
#include "tests/fakecloud/faults.h"
#include "tests/fakecloud/reqlog.h"
#include "tests/fakecloud/stats.h"
#include "tests/fakecloud/store.h"

struct FakeCloud {
        char *aws_akid, *aws_secret;
        char *ali_akid, *ali_secret;
        char *hw_ak, *hw_sk;
        char *ali_account;
        char *hw_project;
        char *aws_account;
        int64_t fixed_time; /* 0: the real clock */
        /* List answers leave the qualifier out (Lambda FunctionArn and FC3 functionArn and
         * Huawei func_urn unqualified, FC2 without "qualifier"), as FC3's documented example
         * and moto do: --unqualified-lists, PUT /_fake/settings. */
        bool unqualified_lists;
        uint64_t id_counter;
        uint64_t id_salt;
        FakeStore *store;
        FakeStats stats;
        FakeFaults faults;
        FakeReqLog log;
};

/* The error classes every API answers in its own words (FakeApiOps.error). */
typedef enum FakeErrorKind {
        FAKE_ERROR_AUTH_MISSING,   /* no Authorization header */
        FAKE_ERROR_AUTH_MALFORMED, /* unparsable header, wrong scheme, unsigned mandatory header */
        FAKE_ERROR_AUTH_UNKNOWN_KEY, /* access key id not configured */
        FAKE_ERROR_AUTH_SIGNATURE,   /* signature or body hash mismatch */
        FAKE_ERROR_AUTH_EXPIRED,     /* date outside the 15-minute window */
        FAKE_ERROR_THROTTLED,        /* 429 */
        FAKE_ERROR_SERVER,           /* 5xx (status from the call) */
        FAKE_ERROR_NO_ROUTE,         /* a path under the API's prefix that is no operation */
        FAKE_ERROR_METHOD,           /* a known path with a method it does not take */
        FAKE_ERROR_BODY,             /* body is not the JSON the operation takes */
        _FAKE_ERROR_KIND_MAX,
} FakeErrorKind;

typedef struct FakeCall {
        FakeCloud *fc;
        const FakeRequest *req;
        FakeResponse *resp;
        FakeApi api;
        char *path;      /* raw path (before '?'), owned */
        char **segments; /* percent-decoded path segments (leading "" dropped), owned */
        size_t n_segments;
        UrlParam *query; /* decoded query parameters */
        size_t n_query;
        char request_id[40];
        int64_t now_usec;
        char region[64];        /* from the signature scope or the Host, else a default */
        unsigned error_status;  /* for FAKE_ERROR_SERVER */
        unsigned retry_after;   /* for FAKE_ERROR_THROTTLED */
        uint64_t roll;          /* spare randomness from the fault decision */
        int64_t log_start_usec; /* CLOCK_REALTIME at arrival, for the request log */
        FakeLogFault log_fault; /* the fault injected into it, for the request log */
        bool oom;
} FakeCall;

typedef struct FakeApiOps {
        FakeApi api;
        const char *prefix; /* "/2019-09-25/" */
        SignAlgorithm algorithm;
        const char *request_id_header;
        void (*handle)(FakeCall *c);
        void (*error)(FakeCall *c, FakeErrorKind kind, const char *detail);
} FakeApiOps;

extern const FakeApiOps fake_lambda_ops;
extern const FakeApiOps fake_lambda_functions_ops; /* versions and aliases, API 2015-03-31 */
extern const FakeApiOps fake_fc3_ops;
extern const FakeApiOps fake_fc2_ops;
extern const FakeApiOps fake_functiongraph_ops;

/* ---- response.c ------------------------------------------------------------------------ */

int64_t fake_cloud_now_usec(FakeCloud *fc);
void fake_cloud_new_request_id(FakeCloud *fc, FakeApi api, char ret[static 40]);

/* Adds a header (value copied); sets c->oom on failure. */
void fake_call_header(FakeCall *c, const char *name, const char *value);
/* Sets status and body (taking ownership of body; NULL for none) plus Content-Type JSON. */
void fake_call_respond(FakeCall *c, unsigned status, char *body);
/* Sets status and the compact serialisation of j (consumed). */
void fake_call_respond_json(FakeCall *c, unsigned status, json_t *j);
/* The first value of a decoded query parameter, or NULL. */
const char *fake_call_query(const FakeCall *c, const char *key);
const char *fake_call_header_get(const FakeCall *c, const char *name);
/* An integer query parameter in [lo, hi]; def when absent. 0 or -EINVAL (nothing answered:
 * each API words the error itself). */
int fake_call_query_long(const FakeCall *c, const char *key, long lo, long hi, long def, long *ret);

/* Each API's answer to an invalid parameter (400 in its own words). */
typedef void (*FakeFailFunc)(FakeCall *c, const char *fmt, ...) _printf_(2, 3);

/* The integer member key of a request body in [lo, hi]: absent or null leaves *ret NULL; a
 * non-integer or out-of-range value fails the call through fail and returns -EINVAL. */
int fake_body_int(FakeCall *c, json_t *body, const char *key, json_int_t lo, json_int_t hi,
                  FakeFailFunc fail, json_t **ret);
/* The operations every API shares, on a function its caller has locked (fn NULL: the caller
 * already answered 404). no_config answers the API's "config missing" error. */
typedef void (*FakeNoConfig)(FakeCall *c, const FakeFunction *fn, const void *userdata);
void fake_call_get_config(FakeCall *c, FakeFunction *fn, const char *qualifier,
                          FakeNoConfig no_config, const void *userdata);
void fake_call_delete_config(FakeCall *c, FakeFunction *fn, const char *qualifier,
                             FakeNoConfig no_config, const void *userdata);
/* Stores wire (owned) and answers 200 with it. */
void fake_call_put_config(FakeCall *c, FakeFunction *fn, const char *qualifier, char *wire);
/* Answers with a copy of a stored wire JSON. */
void fake_call_respond_copy(FakeCall *c, unsigned status, const char *wire);

/* A list item from a stored wire config: as stored, or, while lists are unqualified, with the
 * qualifier left out: the string member key cut before its last ':' when it has more than
 * colons ':' (a qualified ARN or URN), or, colons 0, the member key removed. NULL: no memory. */
json_t *fake_list_item(const FakeCall *c, const char *wire, const char *key, size_t colons);

/* Compact JSON text of j (not consumed), with reals printed like epoch seconds.milliseconds. */
char *fake_json_dump(const json_t *j);
/* Parses the request body as a JSON object ("" counts as {}). NULL when it is not one. */
json_t *fake_call_parse_body(const FakeCall *c, char *error, size_t error_size);

/* Timestamps: "2024-01-01T00:00:00Z", "2024-01-01T08:00:00+08:00", "2024-01-01 08:00:00"
 * (the last two in UTC+8, as Huawei's examples show). */
void fake_format_rfc3339_utc(int64_t usec, char ret[static 32]);
void fake_format_rfc3339_cst(int64_t usec, char ret[static 32]);
void fake_format_plain_cst(int64_t usec, char ret[static 32]);

/* ---- identities (api-lambda.c, api-functiongraph.c) ----------------------------------- */

typedef struct FakeLambdaId {
        char name[257];
        char qualifier[129]; /* "" when the name carries none */
        char region[64];     /* from a full ARN, else "" */
        char account[32];    /* from a full or partial ARN, else "" */
} FakeLambdaId;

/* A Lambda FunctionName: name, name:qualifier, arn:aws:lambda:region:account:function:name[:q],
 * account:function:name[:q]. false when malformed. */
bool fake_lambda_parse_function_name(const char *s, FakeLambdaId *id);

typedef struct FakeFgId {
        char key[512];       /* the unqualified URN */
        char qualifier[130]; /* the URN's version/alias; "latest" when it has none */
        char name[130];
} FakeFgId;

/* urn:fss:{region}:{project}:function:{package}:{name}[:{version}]; false when malformed. */
bool fake_fg_parse_urn(const char *urn, FakeFgId *id);

/* ---- calllog.c ------------------------------------------------------------------------ */

int64_t fake_realtime_usec(void);
/* Appends a cloud request, as answered, to the request log; its sequence number (0: none). */
uint64_t fake_call_log_request(FakeCall *c, const FakeApiOps *ops);

/* ---- control.c ------------------------------------------------------------------------- */

void fake_control_handle(FakeCall *c);
