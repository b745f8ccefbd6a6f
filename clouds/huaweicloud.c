/* SPDX-License-Identifier: MIT */
/* Huawei Cloud FunctionGraph v2 (docs/cloud-apis.md §3): the function URN raw in the path,
 * APIG SDK-HMAC-SHA256 signing, snake_case bodies whose destination "param" is a JSON
 * string holding an object. */
#include <stdio.h>
#include <strings.h>

#include "clouds/cloud-json.h"
#include "clouds/cloud.h"
#include "clouds/syntax.h"
#include "lib/string-util.h"

#define HW_LIST_LIMIT "100"
#define HW_URN_COLONS_UNQUALIFIED 6 /* urn:fss:region:project:function:package:name */

/* The URN goes on the wire unescaped (as the SDK sends it), so only characters that need no
 * escaping are accepted. */
static bool hw_urn_valid(const char *urn) {
        size_t colons = cloud_count_char(urn, ':');

        return startswith(urn, "urn:fss:") &&
               (colons == HW_URN_COLONS_UNQUALIFIED || colons == HW_URN_COLONS_UNQUALIFIED + 1) &&
               !strstr(urn, "::") && !endswith(urn, ":") &&
               urn[strspn(urn,
                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_-.$")] ==
                       0;
}

/* A function URN urn:fss:REGION:PROJECT:function:PACKAGE:NAME[:VERSION] is answered only by
 * the endpoint of its region under its project's path; the account's region and projectId
 * must be the URN's (docs/cloud-apis.md 4: the project id is also in the path). */
static int hw_check_target(const CloudAccount *a, const char *function, char **ret_message) {
        char region[65], project[65], c;

        if (sscanf(function, "urn:fss:%64[^:]:%64[^:]:function:%c", region, project, &c) != 3)
                return 0; /* not a URN: the parser's business */
        if (!streq(region, a->region))
                return cloud_refuse(ret_message, -EINVAL,
                                    "function '%s' is in region '%s', but account '%s' is "
                                    "in region '%s'",
                                    function, region, strna(a->name), a->region);
        if (a->project_id && !streq(project, a->project_id))
                return cloud_refuse(ret_message, -EINVAL,
                                    "function '%s' is in project '%s', but account '%s' "
                                    "has project '%s'",
                                    function, project, strna(a->name), a->project_id);
        return 0;
}

/* The qualified URN of a target: the URN's own version, else the qualifier, else "latest";
 * a qualifier that contradicts the URN's version is -EINVAL. */
static int hw_target_urn(const CloudTarget *t, char **ret) {
        const char *own;
        char *s;

        if (!hw_urn_valid(t->function))
                return -EINVAL;
        if (cloud_count_char(t->function, ':') > HW_URN_COLONS_UNQUALIFIED) {
                own = strrchr(t->function, ':') + 1;
                if (t->qualifier && !streq(t->qualifier, own))
                        return -EINVAL;
                s = strdup(t->function);
        } else {
                const char *q = t->qualifier ?: "latest";
                if (isempty(q) ||
                    q[strspn(q,
                             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.$")])
                        return -EINVAL;
                if (asprintf(&s, "%s:%s", t->function, q) < 0)
                        s = NULL;
        }
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* The param object travels as a JSON string: jansson serialises it (it may hold anything). */
static void hw_write_destination(CloudJsonWriter *w, const char *key, const Destination *d) {
        _cleanup_free_ char *param = NULL;
        size_t n;
        int r;

        if (!d->target)
                return;
        cloud_json_writer_open(w, key);
        cloud_json_writer_string(w, "destination", d->target);
        if (d->param) {
                r = cloud_json_dump(d->param, &param, &n);
                if (r < 0)
                        cloud_json_writer_fail(w, r);
                else
                        cloud_json_writer_string(w, "param", param);
        }
        cloud_json_writer_close(w);
}

static int hw_serialize_config(const AsyncConfig *c, char **ret, size_t *ret_size) {
        CloudJsonWriter w = {};

        cloud_json_writer_open(&w, NULL);
        if (c->has_max_event_age)
                cloud_json_writer_int(&w, "max_async_event_age_in_seconds",
                                      c->max_event_age_seconds);
        if (c->has_max_retry_attempts)
                cloud_json_writer_int(&w, "max_async_retry_attempts", c->max_retry_attempts);
        /* No empty destination_config: the API would store empty targets (Terraform's
         * RemoveNil comment). */
        if (c->on_success.target || c->on_failure.target) {
                cloud_json_writer_open(&w, "destination_config");
                hw_write_destination(&w, "on_success", &c->on_success);
                hw_write_destination(&w, "on_failure", &c->on_failure);
                cloud_json_writer_close(&w);
        }
        if (c->has_async_status_log)
                cloud_json_writer_bool(&w, "enable_async_status_log", c->async_status_log);
        cloud_json_writer_close(&w);
        return cloud_json_writer_take(&w, ret, ret_size);
}

/* A function's versions (paged by marker/maxitems) and aliases (one array), addressed by the
 * URN without version as the documented example shows. */
static int hw_build_qualifiers(const CloudAccount *a, CloudOp op, const CloudTarget *t,
                               const char *page_token, CloudRequest *req) {
        _cleanup_free_ char *urn = NULL;
        int r;

        if (!hw_urn_valid(t->function))
                return -EINVAL;
        urn = cloud_count_char(t->function, ':') > HW_URN_COLONS_UNQUALIFIED
                      ? strndup(t->function, (size_t) (strrchr(t->function, ':') - t->function))
                      : strdup(t->function);
        if (!urn)
                return -ENOMEM;
        req->method = "GET";
        if (op == CLOUD_OP_LIST_ALIASES)
                return cloud_request_set_path(req, "/v2/%s/fgs/functions/%s/aliases", a->project_id,
                                              urn);
        r = cloud_request_set_path(req, "/v2/%s/fgs/functions/%s/versions", a->project_id, urn);
        if (r >= 0 && page_token)
                r = cloud_request_add_query(req, "marker", page_token);
        if (r >= 0)
                r = cloud_request_add_query(req, "maxitems", HW_LIST_LIMIT);
        return r;
}

static int hw_build_request(const CloudAccount *a, CloudOp op, const CloudTarget *t,
                            const AsyncConfig *desired, const char *page_token, CloudRequest *req) {
        _cleanup_free_ char *urn = NULL;
        int r;

        if (hw_check_target(a, t->function, NULL) < 0)
                return -EINVAL;
        if (op == CLOUD_OP_LIST_VERSIONS || op == CLOUD_OP_LIST_ALIASES)
                return hw_build_qualifiers(a, op, t, page_token, req);
        r = hw_target_urn(t, &urn);
        if (r < 0)
                return r;
        if (op == CLOUD_OP_LIST) {
                req->method = "GET";
                r = cloud_request_set_path(req, "/v2/%s/fgs/functions/%s/async-invoke-configs",
                                           a->project_id, urn);
                if (r >= 0 && page_token)
                        r = cloud_request_add_query(req, "marker", page_token);
                if (r >= 0)
                        r = cloud_request_add_query(req, "limit", HW_LIST_LIMIT);
                return r;
        }
        req->method = op == CLOUD_OP_GET ? "GET" : op == CLOUD_OP_PUT ? "PUT" : "DELETE";
        r = cloud_request_set_path(req, "/v2/%s/fgs/functions/%s/async-invoke-config",
                                   a->project_id, urn);
        if (r >= 0 && op == CLOUD_OP_PUT)
                r = hw_serialize_config(desired, &req->body, &req->body_size);
        return r;
}

static int hw_sign_request(const CloudAccount *a, CloudRequest *req, const CloudCredentials *c,
                           time_t now, const char *nonce) {
        _cleanup_(sign_result_done) SignResult res = {};
        char date[SIGN_AMZ_DATE_SIZE];
        SignInput in;
        int r;

        r = sign_format_sdk_date(now, date);
        if (r < 0)
                return r;
        r = cloud_request_add_header(req, "X-Sdk-Date", date);
        if (r >= 0)
                r = cloud_request_add_header(req, "X-Project-Id", a->project_id);
        if (r >= 0 && !isempty(c->token))
                r = cloud_request_add_header(req, "X-Security-Token", c->token);
        /* The SDK sends it on every call; the signer leaves content-type unsigned. */
        if (r >= 0)
                r = cloud_request_add_header(req, "Content-Type", "application/json");
        if (r < 0)
                return r;
        cloud_request_sign_input(req, &in);
        r = apig_sign(&in, c->access_key_id, c->secret, NULL, &res);
        if (r < 0)
                return r;
        return cloud_request_add_header_take(req, "Authorization", TAKE_PTR(res.authorization));
}

/* ---- parsers ----------------------------------------------------------------------------- */

/* {"destination": "OBS", "param": "{\"bucket\":...}"}; "" and null are absent, and a
 * destination without a type is absent whatever its param says. */
static int hw_parse_destination(const json_t *config, const char *key, Destination *ret) {
        json_t *d, *param = NULL;
        const char *type, *text;
        int r;

        r = cloud_json_get_object(config, key, &d);
        if (r < 0 || !d)
                return r;
        r = cloud_json_get_string(d, "destination", &type);
        if (r >= 0)
                r = cloud_json_get_string(d, "param", &text);
        if (r < 0 || !type)
                return r;
        if (text) {
                param = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
                if (!json_is_object(param)) {
                        json_decref(param);
                        return -EBADMSG;
                }
        }
        ret->target = strdup(type);
        if (!ret->target) {
                json_decref(param);
                return -ENOMEM;
        }
        ret->param = param;
        return 0;
}

static int hw_config_from_json(const json_t *o, AsyncConfig *ret) {
        _cleanup_(async_config_done) AsyncConfig c = {};
        json_t *dc;
        int r;

        /* func_urn, created_time and last_modified (two different formats): never diffed. */
        r = cloud_json_get_int(o, "max_async_retry_attempts", &c.has_max_retry_attempts,
                               &c.max_retry_attempts);
        if (r >= 0)
                r = cloud_json_get_int(o, "max_async_event_age_in_seconds", &c.has_max_event_age,
                                       &c.max_event_age_seconds);
        if (r >= 0)
                r = cloud_json_get_bool(o, "enable_async_status_log", &c.has_async_status_log,
                                        &c.async_status_log);
        if (r >= 0)
                r = cloud_json_get_object(o, "destination_config", &dc);
        if (r >= 0 && dc)
                r = hw_parse_destination(dc, "on_success", &c.on_success);
        if (r >= 0 && dc)
                r = hw_parse_destination(dc, "on_failure", &c.on_failure);
        if (r < 0)
                return r;
        *ret = c;
        c = (AsyncConfig){};
        return 0;
}

static int hw_parse_config(const char *body, size_t size, AsyncConfig *ret) {
        json_auto_t *o = NULL;
        int r;

        r = cloud_json_parse_object(body, size, &o);
        if (r < 0)
                return r;
        return hw_config_from_json(o, ret);
}

static int hw_list_item(const json_t *item, CloudQualifiedConfig *ret) {
        const char *urn;
        int r;

        r = cloud_json_get_string(item, "func_urn", &urn);
        if (r < 0)
                return r;
        if (!urn || !startswith(urn, "urn:fss:"))
                return -EBADMSG;
        /* A URN without version does not say which version or alias the config is of; it
         * is not taken for latest (DESIGN.md §3.12). */
        if (cloud_count_char(urn, ':') > HW_URN_COLONS_UNQUALIFIED &&
            !(ret->qualifier = strdup(strrchr(urn, ':') + 1)))
                return -ENOMEM;
        r = hw_config_from_json(item, &ret->config);
        if (r < 0) {
                free(ret->qualifier);
                ret->qualifier = NULL;
        }
        return r;
}

/* next_marker, a number (or a numeric string), is the next page's marker; the list ends when
 * it is missing, when the page was empty, or when it reaches count. */
static int hw_marker_next(const json_t *next, const json_t *count, size_t n_items, char **ret) {
        *ret = NULL;
        if (n_items == 0)
                return 0;
        if (count && !json_is_null(count) && !json_is_integer(count))
                return -EBADMSG;
        if (!next || json_is_null(next))
                return 0;
        if (json_is_integer(next)) {
                if (json_integer_value(next) <= 0 ||
                    (json_is_integer(count) &&
                     json_integer_value(next) >= json_integer_value(count)))
                        return 0;
                return asprintf(ret, "%" JSON_INTEGER_FORMAT, json_integer_value(next)) < 0
                               ? -ENOMEM
                               : 0;
        }
        if (!json_is_string(next))
                return -EBADMSG;
        if (isempty(json_string_value(next)))
                return 0;
        *ret = strdup(json_string_value(next));
        return *ret ? 0 : -ENOMEM;
}

/* The async-config list: page_info.next_marker. */
static int hw_next_marker(const json_t *o, size_t n_items, char **ret) {
        json_t *page_info;
        int r;

        *ret = NULL;
        r = cloud_json_get_object(o, "page_info", &page_info);
        if (r < 0 || !page_info)
                return r;
        return hw_marker_next(json_object_get(page_info, "next_marker"),
                              json_object_get(o, "count"), n_items, ret);
}

/* ListFunctionVersions {"versions": [{"version": "latest", ...}], "next_marker", "count"};
 * ListVersionAliases: a bare array [{"name", "version", "alias_urn", ...}], one page. */
static int hw_parse_qualifiers(CloudOp op, const char *body, size_t size, CloudConfigList *ret) {
        _cleanup_(cloud_config_list_done) CloudConfigList l = {};
        json_auto_t *o = NULL;
        int r;

        if (op == CLOUD_OP_LIST_ALIASES)
                return cloud_json_parse_names(body, size, NULL, "name", NULL, NULL, ret);
        r = cloud_json_parse_names(body, size, "versions", "version", NULL, &o, &l);
        if (r < 0)
                return r;
        r = hw_marker_next(json_object_get(o, "next_marker"), json_object_get(o, "count"),
                           l.n_items, &l.next_token);
        if (r < 0)
                return r;
        *ret = l;
        l = (CloudConfigList){};
        return 0;
}

static int hw_parse_list(const char *body, size_t size, CloudConfigList *ret) {
        _cleanup_(cloud_config_list_done) CloudConfigList l = {};
        json_auto_t *o = NULL;
        int r;

        r = cloud_json_parse_list(body, size, "async_invoke_configs", NULL, hw_list_item, &o, &l);
        if (r < 0)
                return r;
        r = hw_next_marker(o, l.n_items, &l.next_token);
        if (r < 0)
                return r;
        *ret = l;
        l = (CloudConfigList){};
        return 0;
}

static int hw_set_string(json_t *v, char **field) {
        if (!json_is_string(v) || isempty(json_string_value(v)))
                return 0;
        free(*field);
        *field = strdup(json_string_value(v));
        return *field ? 0 : -ENOMEM;
}

static int hw_parse_error(const char *body, size_t size, CloudError *ret) {
        json_auto_t *o = NULL;
        json_t *nested;
        int r;

        r = cloud_json_parse_object(body, size, &o);
        if (r < 0)
                return r;
        /* FunctionGraph and APIG: {"error_code","error_msg"}; IAM style: {"error":{"code",
         * "message"}}. */
        nested = json_object_get(o, "error");
        if (json_is_object(nested)) {
                r = hw_set_string(json_object_get(nested, "code"), &ret->code);
                if (r >= 0)
                        r = hw_set_string(json_object_get(nested, "message"), &ret->message);
                if (r < 0)
                        return r;
        }
        r = hw_set_string(json_object_get(o, "error_code"), &ret->code);
        if (r >= 0)
                r = hw_set_string(json_object_get(o, "error_msg"), &ret->message);
        if (r >= 0)
                r = hw_set_string(json_object_get(o, "request_id"), &ret->request_id);
        return r;
}

static void hw_classify_error(CloudOp op, CloudError *e) {
        static const char *const function_absent[] = { "FSS.1051", "FSS.1052", "FSS.1053", NULL };
        static const char *const throttled[] = { "FSS.0429", "APIG.0308", NULL };
        static const char *const auth[] = { "FSS.0401",  "FSS.0403",  "APIG.0301", "APIG.0302",
                                            "APIG.0303", "APIG.0304", "APIG.0305", "APIG.0306",
                                            "APIG.0307", NULL };
        long s = e->http_status;

        if (cloud_error_code_in(e, function_absent))
                e->class = CLOUD_ERROR_FUNCTION_ABSENT;
        else if (s == 429 || cloud_error_code_in(e, throttled))
                e->class = CLOUD_ERROR_THROTTLED;
        else if (s == 401 || s == 403 || cloud_error_code_in(e, auth))
                e->class = CLOUD_ERROR_AUTH;
        else if (s == 404)
                /* The code of "no config" is UNCONFIRMED (docs/cloud-apis.md 3.5): a 404 that
                 * does not name the function, version or alias means no config. */
                e->class = (op == CLOUD_OP_GET || op == CLOUD_OP_DELETE)
                                   ? CLOUD_ERROR_CONFIG_ABSENT
                                   : CLOUD_ERROR_FUNCTION_ABSENT;
        else if (s >= 500 || s == 409)
                e->class = CLOUD_ERROR_TRANSIENT;
        else if (s == 400)
                e->class = CLOUD_ERROR_INVALID;
        else
                e->class = CLOUD_ERROR_PERMANENT;
}

static int hw_check_account(const CloudAccount *a) {
        if (isempty(a->project_id) ||
            a->project_id[strspn(a->project_id,
                                 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")])
                return -EINVAL;
        return 0;
}

static int hw_default_endpoint(const CloudAccount *a, char **ret) {
        return asprintf(ret, "https://functiongraph.%s.myhuaweicloud.com", a->region) < 0 ? -ENOMEM
                                                                                          : 0;
}

/* ---- the provider's facts: function ids, destinations ------------------------------- */

static bool hw_version_valid(const char *s) {
        return syntax_chars_valid(s, 1, 64, "-_.");
}

/* Huawei writes the latest version as "latest": accept any case, store lower-case. */
static const char *hw_version_normalise(const char *s) {
        return s && strcasecmp(s, "latest") == 0 ? "latest" : s;
}

/* Splits a function URN as users write it into its parts: 7 (unqualified) or 8 (with
 * version) on success. Stricter than hw_urn_valid(), which guards the wire. */
static int hw_urn_split(const char *urn, char *buf, size_t size, const char **parts) {
        int n = colon_split(urn, buf, size, parts, 9);

        if (n < 7 || n > 8 || !streq(parts[0], "urn") || !streq(parts[1], "fss") ||
            !syntax_region_valid(parts[2]) || !syntax_chars_valid(parts[3], 1, 64, "") ||
            !streq(parts[4], "function") || !syntax_chars_valid(parts[5], 1, 64, "-_") ||
            !syntax_chars_valid(parts[6], 1, 128, "-_") || (n == 8 && !hw_version_valid(parts[7])))
                return -EINVAL;
        return n;
}

static int hw_parse_function_id(const char *function, const char *qualifier, FunctionId *id,
                                char **ret_message) {
        char buf[COLON_SPLIT_MAX];
        const char *parts[9];
        const char *version;
        int n, r;

        if (qualifier && !hw_version_valid(qualifier))
                return cloud_refuse(ret_message, -EDOM,
                                    "invalid qualifier '%s' (expected latest, a "
                                    "version or an alias name)",
                                    qualifier);
        n = hw_urn_split(function, buf, sizeof(buf), parts);
        if (n < 0)
                return cloud_refuse(ret_message, -EINVAL,
                                    "invalid function URN '%s' (expected "
                                    "urn:fss:REGION:PROJECT:function:PACKAGE:NAME[:VERSION])",
                                    function);
        version = n == 8 ? hw_version_normalise(parts[7]) : NULL;
        id->qualifier_spelled = version != NULL;
        r = function_id_merge_qualifier(version, hw_version_normalise(qualifier), "latest",
                                        &id->qualifier, ret_message);
        if (r < 0)
                return r;
        id->api = CLOUD_API_FUNCTIONGRAPH;
        if (asprintf(&id->function, "urn:fss:%s:%s:function:%s:%s", parts[2], parts[3], parts[5],
                     parts[6]) < 0) {
                id->function = NULL;
                return -ENOMEM;
        }
        if (strdup_opt(parts[6], &id->name) < 0 || strdup_opt(parts[2], &id->region) < 0 ||
            strdup_opt(parts[3], &id->account_id) < 0)
                return -ENOMEM;
        return 0;
}

/* Destinations (docs/cloud-apis.md §3.4) are a type and a param map with the keys the type
 * needs: OBS bucket + prefix (+ expires 0..365), SMN topic_urn, DIS stream_name,
 * FunctionGraph func_urn. The keys' own syntax: */

static int hw_check_bucket(const char *value, char **ret_message) {
        if (syntax_bucket_valid(value))
                return 0;
        return cloud_refuse(ret_message, -EINVAL, "invalid OBS bucket name '%s'", value);
}

/* urn:smn:REGION:PROJECT:TOPIC */
static int hw_check_topic_urn(const char *value, char **ret_message) {
        char buf[COLON_SPLIT_MAX];
        const char *p[6];
        int n = colon_split(value, buf, sizeof(buf), p, 6);

        if (n == 5 && streq(p[0], "urn") && streq(p[1], "smn") && syntax_region_valid(p[2]) &&
            syntax_chars_valid(p[3], 1, 64, "") && syntax_chars_valid(p[4], 1, 256, "-_"))
                return 0;
        return cloud_refuse(ret_message, -EINVAL,
                            "invalid SMN topic URN '%s' (expected urn:smn:REGION:PROJECT:TOPIC)",
                            value);
}

static int hw_check_stream_name(const char *value, char **ret_message) {
        if (syntax_chars_valid(value, 1, 64, "-_"))
                return 0;
        return cloud_refuse(ret_message, -EINVAL, "invalid DIS stream name '%s'", value);
}

static int hw_check_func_urn(const char *value, char **ret_message) {
        char buf[COLON_SPLIT_MAX];
        const char *parts[9];

        if (hw_urn_split(value, buf, sizeof(buf), parts) > 0)
                return 0;
        return cloud_refuse(ret_message, -EINVAL, "invalid function URN '%s'", value);
}

static const CloudParamKey obs_keys[] = { { "bucket", .required = true, .max = 63,
                                            .check = hw_check_bucket },
                                          { "prefix", .required = true, .max = 1024 },
                                          { "expires", .integer = true, .min = 0, .max = 365 },
                                          {} };
static const CloudParamKey smn_keys[] = {
        { "topic_urn", .required = true, .check = hw_check_topic_urn }, {}
};
static const CloudParamKey dis_keys[] = {
        { "stream_name", .required = true, .max = 64, .check = hw_check_stream_name }, {}
};
static const CloudParamKey functiongraph_keys[] = {
        { "func_urn", .required = true, .check = hw_check_func_urn }, {}
};

static const CloudDestinationType hw_destination_types[] = { { "OBS", obs_keys },
                                                             { "SMN", smn_keys },
                                                             { "DIS", dis_keys },
                                                             { "FunctionGraph",
                                                               functiongraph_keys },
                                                             {} };

/* The type only: its param map is the caller's to check against hw_destination_types. */
static int hw_check_destination(const char *target, bool on_failure, char **ret_message) {
        for (const CloudDestinationType *t = hw_destination_types; t->name; t++)
                if (streq(t->name, target))
                        return 0;
        return cloud_refuse(ret_message, -EINVAL,
                            "destination type '%s' is not one of OBS, SMN, DIS, FunctionGraph",
                            target);
}

/* ---- the table ---------------------------------------------------------------------- */

/* Ranges, widest documented (docs/cloud-apis.md §0, §3.3); the cloud stays the authority and
 * rejects what it does not take at PUT time. Retries 0-3 (request doc, Go SDK request model)
 * vs 0-8 (response docs, golangsdk) → 0-8; age 1-86400 (request doc) vs 60-86400 (response
 * docs) → 1-86400. */
const CloudOps cloud_ops_huaweicloud = {
        .api = CLOUD_API_FUNCTIONGRAPH,
        .provider = PROVIDER_HUAWEICLOUD,
        .default_qualifier = "latest",
        .parse_function_id = hw_parse_function_id,
        .limits = {
                [CLOUD_LIMIT_RETRY_ATTEMPTS] = { 0, 8 },
                [CLOUD_LIMIT_EVENT_AGE_SECONDS] = { 1, 86400 },
        },
        .check_destination = hw_check_destination,
        .destination_types = hw_destination_types,
        .check_account = hw_check_account,
        .check_target = hw_check_target,
        .default_endpoint = hw_default_endpoint,
        .build_request = hw_build_request,
        .sign_request = hw_sign_request,
        .serialize_config = hw_serialize_config,
        .parse_config = hw_parse_config,
        .parse_list = hw_parse_list,
        .parse_qualifiers = hw_parse_qualifiers,
        .parse_error = hw_parse_error,
        .request_id_header = "X-Request-Id",
        .classify_error = hw_classify_error,
};
