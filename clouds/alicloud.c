/* SPDX-License-Identifier: MIT */
/* Alibaba Cloud Function Compute (docs/cloud-apis.md §2): FC 3.0 (API 2023-03-30) and FC 2.0
 * (API 2021-04-06), both ROA-style REST with ACS3-HMAC-SHA256 and camelCase bodies. They
 * differ in paths, action names, the task-mode flag (asyncTask / statefulInvocation) and the
 * host; the two tables below share everything else. */
#include <ctype.h>
#include <strings.h>

#include "clouds/cloud-json.h"
#include "clouds/cloud.h"
#include "clouds/syntax.h"
#include "lib/crypto.h"
#include "lib/string-util.h"
#include "lib/urlenc.h"

#define FC_LIST_LIMIT "100"

/* What differs between FC3 and FC2. */
typedef struct FcApi {
        const char *version;  /* x-acs-version and path prefix */
        const char *flag_key; /* the task-mode flag */
        const char *actions[_CLOUD_OP_MAX];
} FcApi;

static const FcApi fc3_api = {
        .version = "2023-03-30",
        .flag_key = "asyncTask",
        .actions = {
                [CLOUD_OP_GET] = "GetAsyncInvokeConfig",
                [CLOUD_OP_PUT] = "PutAsyncInvokeConfig",
                [CLOUD_OP_DELETE] = "DeleteAsyncInvokeConfig",
                [CLOUD_OP_LIST] = "ListAsyncInvokeConfigs",
                [CLOUD_OP_LIST_VERSIONS] = "ListFunctionVersions",
                [CLOUD_OP_LIST_ALIASES] = "ListAliases",
        },
};

static const FcApi fc2_api = {
        .version = "2021-04-06",
        .flag_key = "statefulInvocation",
        .actions = {
                [CLOUD_OP_GET] = "GetFunctionAsyncInvokeConfig",
                [CLOUD_OP_PUT] = "PutFunctionAsyncInvokeConfig",
                [CLOUD_OP_DELETE] = "DeleteFunctionAsyncInvokeConfig",
                [CLOUD_OP_LIST] = "ListFunctionAsyncInvokeConfigs",
                [CLOUD_OP_LIST_VERSIONS] = "ListServiceVersions",
                [CLOUD_OP_LIST_ALIASES] = "ListAliases",
        },
};

/* The SDKs serialise with sorted keys: onFailure before onSuccess. */
static const CloudDestinationKeys fc_destination_keys = {
        .config = "destinationConfig",
        .on_success = "onSuccess",
        .on_failure = "onFailure",
        .destination = "destination",
        .failure_first = true,
};

static const FcApi *fc_api(const CloudAccount *a) {
        return a->api == CLOUD_API_FC2 ? &fc2_api : &fc3_api;
}

/* Keys in the order the SDKs send them (sorted): asyncTask, destinationConfig,
 * maxAsyncEventAgeInSeconds, maxAsyncRetryAttempts, statefulInvocation. */
static int fc_serialize(const FcApi *api, const AsyncConfig *c, char **ret, size_t *ret_size) {
        bool flag_first = api == &fc3_api;
        CloudJsonWriter w = {};

        cloud_json_writer_open(&w, NULL);
        if (flag_first && c->has_async_task)
                cloud_json_writer_bool(&w, api->flag_key, c->async_task);
        cloud_json_write_destinations(&w, &fc_destination_keys, c);
        if (c->has_max_event_age)
                cloud_json_writer_int(&w, "maxAsyncEventAgeInSeconds", c->max_event_age_seconds);
        if (c->has_max_retry_attempts)
                cloud_json_writer_int(&w, "maxAsyncRetryAttempts", c->max_retry_attempts);
        if (!flag_first && c->has_async_task)
                cloud_json_writer_bool(&w, api->flag_key, c->async_task);
        cloud_json_writer_close(&w);
        return cloud_json_writer_take(&w, ret, ret_size);
}

static int fc3_serialize_config(const AsyncConfig *c, char **ret, size_t *ret_size) {
        return fc_serialize(&fc3_api, c, ret, ret_size);
}

static int fc2_serialize_config(const AsyncConfig *c, char **ret, size_t *ret_size) {
        return fc_serialize(&fc2_api, c, ret, ret_size);
}

/* FC2's "service/function" as two encoded path labels. */
static int fc2_split_function(const char *function, char **ret_service, char **ret_function) {
        _cleanup_free_ char *svc = NULL, *fn = NULL;
        const char *slash = strchr(function, '/');
        int r;

        if (!slash || slash == function || !slash[1] || strchr(slash + 1, '/'))
                return -EINVAL;
        r = urlenc_escape(function, (size_t) (slash - function), NULL, &svc);
        if (r >= 0)
                r = urlenc_escape(slash + 1, SIZE_MAX, NULL, &fn);
        if (r < 0)
                return r;
        *ret_service = TAKE_PTR(svc);
        *ret_function = TAKE_PTR(fn);
        return 0;
}

/* The path of the function's config ("/async-invoke-config") or of its list ("...configs"). */
/* FC3 functions are addressed by name and FC2 functions by service and name: neither carries
 * a region or an account, so the endpoint's region and the credentials' account decide. An
 * ARN (acs:fc:REGION:ACCOUNT:functions/NAME, the form FC3 answers in functionArn) does carry
 * both, and is not a name FC takes in the path: it is refused rather than sent. */
static int fc_check_target(const CloudAccount *a, const char *function, char **ret_message) {
        if (startswith(function, "acs:") || strchr(function, ':'))
                return cloud_refuse(ret_message, -EINVAL,
                                    "function '%s' is an ARN: Function Compute functions "
                                    "are named by name in the account's region%s",
                                    function,
                                    a->api == CLOUD_API_FC2 ? " ('service/function')" : "");
        return 0;
}

static int fc_function_path(const CloudAccount *a, const char *function, const char *leaf,
                            CloudRequest *req) {
        _cleanup_free_ char *svc = NULL, *fn = NULL;
        int r;

        if (a->api == CLOUD_API_FC2) {
                r = fc2_split_function(function, &svc, &fn);
                if (r < 0)
                        return r;
                return cloud_request_set_path(req, "/2021-04-06/services/%s/functions/%s/%s", svc,
                                              fn, leaf);
        }
        if (strchr(function, '/'))
                return -EINVAL; /* FC3 has no services */
        r = urlenc_escape(function, SIZE_MAX, NULL, &fn);
        if (r < 0)
                return r;
        return cloud_request_set_path(req, "/2023-03-30/functions/%s/%s", fn, leaf);
}

static int fc_build_list(const CloudAccount *a, const CloudTarget *t, const char *page_token,
                         CloudRequest *req) {
        int r;

        req->method = "GET";
        if (a->api == CLOUD_API_FC2)
                r = fc_function_path(a, t->function, "async-invoke-configs", req);
        else if (strchr(t->function, '/'))
                r = -EINVAL;
        else {
                r = cloud_request_set_path(req, "/2023-03-30/async-invoke-configs");
                if (r >= 0)
                        r = cloud_request_add_query(req, "functionName", t->function);
        }
        if (r >= 0)
                r = cloud_request_add_query(req, "limit", FC_LIST_LIMIT);
        if (r >= 0 && page_token)
                r = cloud_request_add_query(req, "nextToken", page_token);
        return r;
}

/* FC3 versions and aliases are the function's; FC2's are its service's (a qualifier names a
 * version or alias of the service). */
static int fc_build_qualifiers(const CloudAccount *a, CloudOp op, const CloudTarget *t,
                               const char *page_token, CloudRequest *req) {
        const char *leaf = op == CLOUD_OP_LIST_VERSIONS ? "versions" : "aliases";
        _cleanup_free_ char *svc = NULL, *fn = NULL;
        int r;

        req->method = "GET";
        if (a->api == CLOUD_API_FC2) {
                r = fc2_split_function(t->function, &svc, &fn);
                if (r >= 0)
                        r = cloud_request_set_path(req, "/2021-04-06/services/%s/%s", svc, leaf);
        } else if (strchr(t->function, '/'))
                r = -EINVAL;
        else {
                r = urlenc_escape(t->function, SIZE_MAX, NULL, &fn);
                if (r >= 0)
                        r = cloud_request_set_path(req, "/2023-03-30/functions/%s/%s", fn, leaf);
        }
        if (r >= 0)
                r = cloud_request_add_query(req, "limit", FC_LIST_LIMIT);
        if (r >= 0 && page_token)
                r = cloud_request_add_query(req, "nextToken", page_token);
        return r;
}

static int fc_build_request(const CloudAccount *a, CloudOp op, const CloudTarget *t,
                            const AsyncConfig *desired, const char *page_token, CloudRequest *req) {
        const FcApi *api = fc_api(a);
        int r;

        if (fc_check_target(a, t->function, NULL) < 0)
                return -EINVAL;
        r = cloud_request_add_header(req, "x-acs-action", api->actions[op]);
        if (r >= 0)
                r = cloud_request_add_header(req, "x-acs-version", api->version);
        if (r < 0)
                return r;
        if (op == CLOUD_OP_LIST)
                return fc_build_list(a, t, page_token, req);
        if (op == CLOUD_OP_LIST_VERSIONS || op == CLOUD_OP_LIST_ALIASES)
                return fc_build_qualifiers(a, op, t, page_token, req);

        req->method = op == CLOUD_OP_GET ? "GET" : op == CLOUD_OP_PUT ? "PUT" : "DELETE";
        r = fc_function_path(a, t->function, "async-invoke-config", req);
        if (r >= 0)
                r = cloud_request_add_query(req, "qualifier", t->qualifier ?: "LATEST");
        if (r >= 0 && op == CLOUD_OP_PUT)
                r = fc_serialize(api, desired, &req->body, &req->body_size);
        return r;
}

static int fc_sign_request(const CloudAccount *a, CloudRequest *req, const CloudCredentials *c,
                           time_t now, const char *nonce) {
        _cleanup_(sign_result_done) SignResult res = {};
        char date[SIGN_ACS_DATE_SIZE], hash[CRYPTO_SHA256_HEX_SIZE];
        SignInput in;
        int r;

        if (isempty(nonce))
                return -EINVAL;
        r = sign_format_acs_date(now, date);
        if (r >= 0)
                r = crypto_sha256_hex(req->body, req->body_size, hash);
        if (r < 0)
                return r;
        r = cloud_request_add_header(req, "x-acs-date", date);
        if (r >= 0)
                r = cloud_request_add_header(req, "x-acs-signature-nonce", nonce);
        if (r >= 0)
                r = cloud_request_add_header(req, "x-acs-content-sha256", hash);
        if (r >= 0)
                r = cloud_request_add_header(req, "accept", "application/json");
        if (r >= 0 && req->body)
                r = cloud_request_add_header(req, "content-type",
                                             "application/json; charset=utf-8");
        if (r >= 0 && !isempty(c->token)) {
                r = cloud_request_add_header(req, "x-acs-accesskey-id", c->access_key_id);
                if (r >= 0)
                        r = cloud_request_add_header(req, "x-acs-security-token", c->token);
        }
        if (r < 0)
                return r;
        cloud_request_sign_input(req, &in);
        r = acs3_sign(&in, c->access_key_id, c->secret, NULL, &res);
        if (r < 0)
                return r;
        return cloud_request_add_header_take(req, "Authorization", TAKE_PTR(res.authorization));
}

/* ---- parsers ----------------------------------------------------------------------------- */

static int fc_config_from_json(const FcApi *api, const json_t *o, AsyncConfig *ret) {
        _cleanup_(async_config_done) AsyncConfig c = {};
        int r;

        /* functionArn, service, function, qualifier, createdTime, lastModifiedTime: echoes,
         * never diffed. */
        r = cloud_json_get_int(o, "maxAsyncRetryAttempts", &c.has_max_retry_attempts,
                               &c.max_retry_attempts);
        if (r < 0)
                return r;
        r = cloud_json_get_int(o, "maxAsyncEventAgeInSeconds", &c.has_max_event_age,
                               &c.max_event_age_seconds);
        if (r < 0)
                return r;
        r = cloud_json_get_bool(o, api->flag_key, &c.has_async_task, &c.async_task);
        if (r < 0)
                return r;
        r = cloud_json_parse_destinations(o, &fc_destination_keys, &c);
        if (r < 0)
                return r;
        *ret = c;
        c = (AsyncConfig){};
        return 0;
}

static int fc_parse_config(const FcApi *api, const char *body, size_t size, AsyncConfig *ret) {
        json_auto_t *o = NULL;
        int r;

        r = cloud_json_parse_object(body, size, &o);
        if (r < 0)
                return r;
        return fc_config_from_json(api, o, ret);
}

static int fc3_parse_config(const char *body, size_t size, AsyncConfig *ret) {
        return fc_parse_config(&fc3_api, body, size, ret);
}

static int fc2_parse_config(const char *body, size_t size, AsyncConfig *ret) {
        return fc_parse_config(&fc2_api, body, size, ret);
}

/* FC3 functionArn "acs:fc:cn-hangzhou:123:functions/NAME" with, possibly, a qualifier after
 * the name ("/prod", ":prod"): the name and the qualifier (NULL if none). The qualified form
 * is UNCONFIRMED; an explicit "qualifier" member is preferred when the item has one. */
static int fc3_arn_split(const char *arn, char **ret_function, char **ret_qualifier) {
        const char *p = strstr(arn, ":functions/");
        _cleanup_free_ char *fn = NULL, *q = NULL;
        size_t n;

        if (!p)
                return -EBADMSG;
        p += strlen(":functions/");
        n = strcspn(p, "/:");
        if (n == 0)
                return -EBADMSG;
        fn = strndup(p, n);
        if (!fn)
                return -ENOMEM;
        if (p[n] && p[n + 1] && !(q = strdup(p + n + 1)))
                return -ENOMEM;
        *ret_function = TAKE_PTR(fn);
        *ret_qualifier = TAKE_PTR(q);
        return 0;
}

static int fc_list_item(const FcApi *api, const json_t *item, CloudQualifiedConfig *ret) {
        _cleanup_free_ char *fn = NULL, *q = NULL;
        const char *qualifier, *arn;
        int r;

        r = cloud_json_get_string(item, "qualifier", &qualifier);
        if (r < 0)
                return r;
        r = cloud_json_get_string(item, "functionArn", &arn);
        if (r < 0)
                return r;
        if (api == &fc3_api && arn) {
                r = fc3_arn_split(arn, &fn, &q);
                if (r < 0)
                        return r;
        }
        /* Neither a qualifier member nor a qualified ARN (FC3's one documented example has a
         * bare functionArn): the item does not say, and LATEST is not assumed (DESIGN.md
         * §3.12). */
        if (qualifier) {
                free(q);
                q = strdup(qualifier);
                if (!q)
                        return -ENOMEM;
        }
        r = fc_config_from_json(api, item, &ret->config);
        if (r < 0)
                return r;
        ret->qualifier = TAKE_PTR(q);
        ret->function = TAKE_PTR(fn);
        return 0;
}

static int fc3_list_item(const json_t *item, CloudQualifiedConfig *ret) {
        return fc_list_item(&fc3_api, item, ret);
}

static int fc2_list_item(const json_t *item, CloudQualifiedConfig *ret) {
        return fc_list_item(&fc2_api, item, ret);
}

static int fc3_parse_list(const char *body, size_t size, CloudConfigList *ret) {
        return cloud_json_parse_list(body, size, "configs", "nextToken", fc3_list_item, NULL, ret);
}

static int fc2_parse_list(const char *body, size_t size, CloudConfigList *ret) {
        return cloud_json_parse_list(body, size, "configs", "nextToken", fc2_list_item, NULL, ret);
}

/* FC3 ListVersionsOutput / FC2 ListServiceVersions {"versions": [{"versionId"}], "nextToken",
 * "direction"}; ListAliasesOutput {"aliases": [{"aliasName", "versionId"}], "nextToken"}. */
static int fc_parse_qualifiers(CloudOp op, const char *body, size_t size, CloudConfigList *ret) {
        bool versions = op == CLOUD_OP_LIST_VERSIONS;

        return cloud_json_parse_names(body, size, versions ? "versions" : "aliases",
                                      versions ? "versionId" : "aliasName", "nextToken", NULL, ret);
}

static int set_string_member(const json_t *o, const char *const *keys, char **field) {
        for (; *keys; keys++) {
                json_t *v = cloud_json_get_ci(o, *keys);
                if (json_is_string(v) && !isempty(json_string_value(v))) {
                        free(*field);
                        *field = strdup(json_string_value(v));
                        return *field ? 0 : -ENOMEM;
                }
        }
        return 0;
}

static int fc_parse_error(const char *body, size_t size, CloudError *ret) {
        /* FC3 {"Code","Message","RequestId"}, FC2 {"errorCode","errorMessage"}; darabonba
         * reads either case. */
        static const char *const code_keys[] = { "Code", "errorCode", NULL };
        static const char *const message_keys[] = { "Message", "errorMessage", NULL };
        static const char *const request_keys[] = { "RequestId", NULL };
        json_auto_t *o = NULL;
        int r;

        r = cloud_json_parse_object(body, size, &o);
        if (r < 0)
                return r;
        r = set_string_member(o, code_keys, &ret->code);
        if (r >= 0)
                r = set_string_member(o, message_keys, &ret->message);
        if (r >= 0)
                r = set_string_member(o, request_keys, &ret->request_id);
        return r;
}

static void fc_classify_error(CloudOp op, CloudError *e) {
        static const char *const auth[] = {
                "SignatureNotMatch",
                "SignatureDoesNotMatch",
                "InvalidAccessKeyID",
                "InvalidAccessKeyId",
                "InvalidAccessKeyId.NotFound",
                "InvalidAccessKeyId.Inactive",
                "InvalidSecurityToken.Expired",
                "InvalidSecurityToken.Malformed",
                "InvalidSecurityToken.MismatchWithAccessKey",
                "IncompleteSignature",
                "MissingSecurityHeader",
                "InvalidTimeStamp.Expired",
                "SignatureNonceUsed",
                NULL,
        };
        const char *code = e->code ?: "";
        long s = e->http_status;

        if (streq(code, "AsyncConfigNotExists"))
                e->class = CLOUD_ERROR_CONFIG_ABSENT;
        else if (streq(code, "FunctionNotFound") || streq(code, "ServiceNotFound") ||
                 (endswith(code, "NotFound") && s == 404))
                e->class = CLOUD_ERROR_FUNCTION_ABSENT; /* also VersionNotFound, AliasNotFound */
        else if (s == 429 || startswith(code, "Throttling") || streq(code, "ResourceThrottled"))
                e->class = CLOUD_ERROR_THROTTLED;
        else if (streq(code, "AccessDenied")) {
                /* A RAM role granted a moment ago looks like this until it has propagated
                 * (terraform-provider-alicloud retries it for 2 minutes); a real denial keeps
                 * failing and ends in the capped backoff. */
                e->class = CLOUD_ERROR_TRANSIENT;
                e->note = "may be RAM role propagation delay; retrying";
        } else if (s == 401 || s == 403 || cloud_error_code_in(e, auth))
                e->class = CLOUD_ERROR_AUTH;
        else if (s >= 500 || s == 409)
                e->class = CLOUD_ERROR_TRANSIENT;
        else if (s == 400 || startswith(code, "InvalidArgument") ||
                 startswith(code, "MissingRequired"))
                e->class = CLOUD_ERROR_INVALID;
        else
                e->class = CLOUD_ERROR_PERMANENT;
}

static int fc_check_account(const CloudAccount *a) {
        /* FC2's host embeds the account id; with an endpoint override it is not needed. */
        if (a->api == CLOUD_API_FC2 && !a->endpoint && isempty(a->account_id))
                return -EINVAL;
        if (a->account_id && a->account_id[strspn(a->account_id, "0123456789")])
                return -EINVAL;
        return 0;
}

static int fc3_default_endpoint(const CloudAccount *a, char **ret) {
        return asprintf(ret, "https://fcv3.%s.aliyuncs.com", a->region) < 0 ? -ENOMEM : 0;
}

static int fc2_default_endpoint(const CloudAccount *a, char **ret) {
        return asprintf(ret, "https://%s.%s.fc.aliyuncs.com", a->account_id, a->region) < 0
                       ? -ENOMEM
                       : 0;
}

/* ---- the provider's facts: function ids, destinations (shared by FC3 and FC2) ---------- */

static bool fc_name_valid(const char *s) {
        return syntax_chars_valid(s, 1, 128, "-_") && !isdigit((unsigned char) s[0]) && s[0] != '-';
}

/* FC2 "service/function": the api is FC2 and the name the function's. */
static int fc2_parse_name(const char *function, const char *slash, FunctionId *id,
                          char **ret_message) {
        _cleanup_free_ char *svc = strndup(function, (size_t) (slash - function));

        if (!svc)
                return -ENOMEM;
        if (!fc_name_valid(svc) || !fc_name_valid(slash + 1))
                return cloud_refuse(ret_message, -EINVAL,
                                    "invalid FC2 function '%s' (expected 'service/function')",
                                    function);
        id->api = CLOUD_API_FC2;
        return strdup_opt(slash + 1, &id->name);
}

/* The spelling decides the api: "service/function" is FC2, a name is FC3. */
static int fc_parse_function_id(const char *function, const char *qualifier, FunctionId *id,
                                char **ret_message) {
        const char *slash = strchr(function, '/');
        int r;

        if (qualifier && !syntax_chars_valid(qualifier, 1, 128, "-_"))
                return cloud_refuse(ret_message, -EDOM,
                                    "invalid qualifier '%s' (expected LATEST, a "
                                    "version number or an alias name)",
                                    qualifier);
        /* An ARN carries a region and an account, which a name sent to FC does not. */
        if (startswith(function, "acs:"))
                return cloud_refuse(ret_message, -EINVAL,
                                    "function '%s' is an ARN: Function Compute functions are named "
                                    "by name ('name', FC2 'service/function'), in the account's "
                                    "region",
                                    function);
        if (slash)
                r = fc2_parse_name(function, slash, id, ret_message);
        else if (!fc_name_valid(function))
                r = cloud_refuse(ret_message, -EINVAL,
                                 "invalid function name '%s' (1-128 letters, digits, '-' "
                                 "or '_', not starting with a digit or '-'; FC2 functions "
                                 "are written 'service/function')",
                                 function);
        else {
                id->api = CLOUD_API_FC3;
                r = strdup_opt(function, &id->name);
        }
        if (r < 0)
                return r;
        if (strdup_opt(function, &id->function) < 0 ||
            strdup_opt(qualifier ?: "LATEST", &id->qualifier) < 0)
                return -ENOMEM;
        return 0;
}

/* "/queues/NAME/messages" or "/topics/NAME/messages" */
static bool mns_resource_valid(const char *r) {
        const char *name;
        size_t n;

        if (startswith(r, "/queues/"))
                name = r + 8;
        else if (startswith(r, "/topics/"))
                name = r + 8;
        else
                return false;
        if (!endswith(name, "/messages"))
                return false;
        n = strlen(name) - strlen("/messages");
        return syntax_span_valid(name, n, 1, 256, "-_");
}

/* "functions/NAME", or the FC2 form "services/SVC[.QUALIFIER]/functions/NAME" (UNCONFIRMED in
 * docs/cloud-apis.md §2.4, accepted so FC2 users are not blocked). */
static bool fc_resource_valid(const char *r) {
        if (startswith(r, "functions/"))
                return syntax_chars_valid(r + 10, 1, 128, "-_");
        if (startswith(r, "services/")) {
                const char *f = strstr(r, "/functions/");
                return f && syntax_span_valid(r + 9, (size_t) (f - (r + 9)), 1, SIZE_MAX, "-_.") &&
                       syntax_chars_valid(f + 11, 1, 128, "-_");
        }
        return false;
}

/* Destinations (docs/cloud-apis.md §2.4): the acs: ARN of an MNS queue or topic, an FC
 * function or an EventBridge bus. NULL if valid, else why not. */
static const char *fc_destination_reason(const char *arn) {
        char buf[COLON_SPLIT_MAX];
        const char *p[5];
        int n = colon_split(arn, buf, sizeof(buf), p, 5);

        if (n != 5 || !streq(p[0], "acs"))
                return "is not an Alibaba Cloud ARN (acs:SERVICE:REGION:ACCOUNT:RESOURCE)";
        if (!streq(p[1], "mns") && !streq(p[1], "fc") && !streq(p[1], "eventbridge"))
                return "is not an MNS queue or topic, FC function or EventBridge ARN";
        if (!syntax_region_valid(p[2]) || !syntax_digits_valid(p[3]) || strlen(p[3]) > 32)
                return "has an invalid region or account ID";
        if (streq(p[1], "mns") && !mns_resource_valid(p[4]))
                return "is not a valid MNS ARN (…:/queues/NAME/messages or …:/topics/NAME/messages)";
        if (streq(p[1], "fc") && !fc_resource_valid(p[4]))
                return "is not a valid FC function ARN (…:functions/NAME)";
        if (streq(p[1], "eventbridge") &&
            (!startswith(p[4], "eventbus/") || !syntax_chars_valid(p[4] + 9, 1, 128, "-_.")))
                return "is not a valid EventBridge ARN (…:eventbus/NAME)";
        return NULL;
}

static int fc_check_destination(const char *target, bool on_failure, char **ret_message) {
        const char *why = fc_destination_reason(target);

        if (!why)
                return 0;
        return cloud_refuse(ret_message, -EINVAL, "destination '%s' %s", target, why);
}

/* ---- the tables ----------------------------------------------------------------------- */

/* Ranges, widest documented (docs/cloud-apis.md §0, §2.3); the cloud stays the authority and
 * rejects what it does not take at PUT time. Retries 0-8 (FC3 SDK, tf FC2 >= v1.167.0). Age:
 * FC3 SDK 1-604800, tf FC2 1-2592000, tf fcv3 0-86400. Widest is 1-2592000: the 0 of tf fcv3
 * is Terraform's own validation only, and that resource never sends 0 (it sends the field only
 * when > 0), so no source shows the API taking 0. One range for FC3 and FC2. */
#define FC_LIMITS                                                                                  \
        {                                                                                          \
                [CLOUD_LIMIT_RETRY_ATTEMPTS] = { 0, 8 },                                           \
                [CLOUD_LIMIT_EVENT_AGE_SECONDS] = { 1, 2592000 },                                  \
        }

const CloudOps cloud_ops_fc3 = {
        .api = CLOUD_API_FC3,
        .provider = PROVIDER_ALICLOUD,
        .default_qualifier = "LATEST",
        .parse_function_id = fc_parse_function_id,
        .limits = FC_LIMITS,
        .check_destination = fc_check_destination,
        .check_account = fc_check_account,
        .check_target = fc_check_target,
        .default_endpoint = fc3_default_endpoint,
        .build_request = fc_build_request,
        .sign_request = fc_sign_request,
        .serialize_config = fc3_serialize_config,
        .parse_config = fc3_parse_config,
        .parse_list = fc3_parse_list,
        .parse_qualifiers = fc_parse_qualifiers,
        .parse_error = fc_parse_error,
        .request_id_header = "x-acs-request-id",
        .classify_error = fc_classify_error,
};

const CloudOps cloud_ops_fc2 = {
        .api = CLOUD_API_FC2,
        .provider = PROVIDER_ALICLOUD,
        .default_qualifier = "LATEST",
        .parse_function_id = fc_parse_function_id,
        .limits = FC_LIMITS,
        .check_destination = fc_check_destination,
        .check_account = fc_check_account,
        .check_target = fc_check_target,
        .default_endpoint = fc2_default_endpoint,
        .build_request = fc_build_request,
        .sign_request = fc_sign_request,
        .serialize_config = fc2_serialize_config,
        .parse_config = fc2_parse_config,
        .parse_list = fc2_parse_list,
        .parse_qualifiers = fc_parse_qualifiers,
        .parse_error = fc_parse_error,
        .request_id_header = "X-Fc-Request-Id",
        .classify_error = fc_classify_error,
};
