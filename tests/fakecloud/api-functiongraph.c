/* SPDX-License-Identifier: MIT */
/* Huawei Cloud FunctionGraph async invoke configs (v2), docs/cloud-apis.md §3:
 *
 *   GET|PUT|DELETE /v2/{project_id}/fgs/functions/{function_urn}/async-invoke-config
 *   GET /v2/{project_id}/fgs/functions/{function_urn}/async-invoke-configs[?marker=&limit=]
 *
 * The URN's last part is the version or alias ("latest" when the URN has none). Quirks as
 * clients see them: each destination's param (a JSON object inside a string) comes back
 * re-serialised with its keys sorted and no spaces (so usually in a different order than
 * sent); unset destinations come back as {"destination":"","param":""}; created_time is
 * RFC 3339 with +08:00, last_modified is "YYYY-MM-DD HH:MM:SS"; DELETE answers 204. Errors
 * are {"error_code","error_msg"}; the gateway's own (APIG.*) add request_id. */

#include <stdarg.h>
#include <stdio.h>

#include "tests/fakecloud/internal.h"

/* Ranges: the choice among the disagreeing sources of docs/cloud-apis.md §3.3:
 * retries 0–8 (response docs, Go SDK response models), age 1–86400 (PUT request doc). */
#define FG_RETRIES_MAX 8
#define FG_AGE_MIN 1
#define FG_AGE_MAX 86400
#define FG_LIST_DEFAULT 10
#define FG_LIST_MAX 100

typedef struct FgDestination {
        const char *type; /* NULL: unset */
        char *param;      /* re-serialised, owned */
} FgDestination;

typedef struct FgFields {
        json_t *retries;
        json_t *age;
        FgDestination on_success;
        FgDestination on_failure;
        bool status_log;
} FgFields;

static void fg_fields_done(FgFields *f) {
        free(f->on_success.param);
        free(f->on_failure.param);
}

/* ---- errors ---------------------------------------------------------------------------- */

static void fg_fail(FakeCall *c, unsigned status, const char *code, const char *message) {
        if (startswith(code, "APIG."))
                fake_call_respond_json(c, status,
                                       json_pack("{s:s,s:s,s:s}", "error_code", code, "error_msg",
                                                 message, "request_id", c->request_id));
        else
                fake_call_respond_json(
                        c, status,
                        json_pack("{s:s,s:s}", "error_code", code, "error_msg", message));
}

_printf_(2, 3) static void fg_fail_invalid(FakeCall *c, const char *fmt, ...) {
        char msg[384];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        fg_fail(c, 400, "FSS.0400", msg);
}

static void fg_fail_auth(FakeCall *c, const char *detail) {
        char msg[384];

        snprintf(msg, sizeof(msg), "Incorrect IAM authentication information: %s", detail);
        fg_fail(c, 401, "APIG.0301", msg);
}

static void fg_error(FakeCall *c, FakeErrorKind kind, const char *detail) {
        unsigned status;
        char code[16];

        switch (kind) {
        case FAKE_ERROR_AUTH_MISSING:
        case FAKE_ERROR_AUTH_MALFORMED:
        case FAKE_ERROR_AUTH_SIGNATURE:
        case FAKE_ERROR_AUTH_EXPIRED:
                return fg_fail_auth(c, detail);
        case FAKE_ERROR_AUTH_UNKNOWN_KEY:
                return fg_fail_auth(c, "ak not found");
        case FAKE_ERROR_THROTTLED:
                /* Both codes are seen in the wild (gateway and service); alternate. */
                if (c->roll & 1)
                        return fg_fail(c, 429, "FSS.0429", "Too many requests.");
                return fg_fail(c, 429, "APIG.0308", "The throttling threshold has been reached.");
        case FAKE_ERROR_SERVER:
                status = c->error_status ?: 500;
                snprintf(code, sizeof(code), "FSS.%04u",
                         status == 503 || status == 504 ? status : 500);
                return fg_fail(c, status, code, "Internal server error.");
        case FAKE_ERROR_BODY:
                return fg_fail(c, 400, "FSS.0400", detail);
        case FAKE_ERROR_NO_ROUTE:
        case FAKE_ERROR_METHOD:
        default:
                return fg_fail(
                        c, 404, "APIG.0101",
                        "The API does not exist or has not been published in the environment.");
        }
}

/* ---- identity -------------------------------------------------------------------------- */

/* urn:fss:{region}:{project}:function:{package}:{name}[:{version}] */
bool fake_fg_parse_urn(const char *urn, FakeFgId *id) {
        const char *p = urn;
        const char *colons[8];
        size_t n = 0;

        *id = (FakeFgId){};
        for (; *p; p++)
                if (*p == ':') {
                        if (n == ELEMENTSOF(colons))
                                return false;
                        colons[n++] = p;
                }
        if (n < 6 || n > 7 || !startswith(urn, "urn:fss:") ||
            strncmp(colons[3], ":function:", 10) != 0)
                return false;
        if (colons[5] + 1 == (n == 7 ? colons[6] : p) || (size_t) (p - urn) >= sizeof(id->key))
                return false;
        if (n == 7) {
                if (!colons[6][1] || strlen(colons[6] + 1) >= sizeof(id->qualifier))
                        return false;
                snprintf(id->qualifier, sizeof(id->qualifier), "%s", colons[6] + 1);
                snprintf(id->key, sizeof(id->key), "%.*s", (int) (colons[6] - urn), urn);
        } else {
                strcpy(id->qualifier, "latest");
                snprintf(id->key, sizeof(id->key), "%s", urn);
        }
        snprintf(id->name, sizeof(id->name), "%.*s",
                 (int) ((n == 7 ? colons[6] : p) - colons[5] - 1), colons[5] + 1);
        return true;
}

static bool looks_like_version(const char *q) {
        if (q[0] == 'v' || q[0] == 'V')
                q++;
        return q[0] >= '0' && q[0] <= '9' && strspn(q, "0123456789.") == strlen(q);
}

static FakeFunction *fg_lock(FakeCall *c, const FakeFgId *id, bool write, bool check_qualifier) {
        FakeFunction *fn = fake_store_lock(c->fc->store, FAKE_API_FUNCTIONGRAPH, id->key, write);

        if (!fn) {
                fg_fail(c, 404, "FSS.1051", "Not found the function");
                return NULL;
        }
        if (check_qualifier && !fake_function_has_qualifier(fn, id->qualifier)) {
                if (looks_like_version(id->qualifier))
                        fg_fail(c, 404, "FSS.1052", "Not found the version");
                else
                        fg_fail(c, 404, "FSS.1053", "Not found the alias");
                return NULL;
        }
        return fn;
}

static void fg_fail_no_config(FakeCall *c, const FakeFunction *fn, const void *userdata) {
        fg_fail(c, 404, "FSS.0404", "Not found the async invoke config");
}

/* ---- bodies ---------------------------------------------------------------------------- */

/* The key each destination type's param must carry (docs/cloud-apis.md §3.4). */
static const struct {
        const char *type;
        const char *required;
} destination_types[] = {
        { "OBS", "bucket" },
        { "SMN", "topic_urn" },
        { "DIS", "stream_name" },
        { "FunctionGraph", "func_urn" },
};

static int parse_destination(FakeCall *c, json_t *dc, const char *key, FgDestination *ret) {
        json_t *o = json_object_get(dc, key), *t, *p;
        json_auto_t *param = NULL;
        const char *required = NULL;

        if (!o || json_is_null(o))
                return 0;
        if (!json_is_object(o))
                return fg_fail_invalid(c, "destination_config.%s must be an object", key), -EINVAL;
        t = json_object_get(o, "destination");
        if (!t || json_is_null(t) || (json_is_string(t) && json_string_length(t) == 0))
                return 0;
        if (!json_is_string(t))
                return fg_fail_invalid(c, "destination_config.%s.destination must be a string",
                                       key),
                       -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(destination_types); i++)
                if (streq(json_string_value(t), destination_types[i].type))
                        required = destination_types[i].required;
        if (!required)
                return fg_fail_invalid(
                               c,
                               "destination_config.%s.destination must be one of OBS, SMN, DIS, FunctionGraph",
                               key),
                       -EINVAL;
        p = json_object_get(o, "param");
        if (!json_is_string(p))
                return fg_fail_invalid(c, "destination_config.%s.param must be a string", key),
                       -EINVAL;
        param = json_loads(json_string_value(p), 0, NULL);
        if (!json_is_object(param))
                return fg_fail_invalid(c, "destination_config.%s.param must hold a JSON object",
                                       key),
                       -EINVAL;
        if (!json_is_string(json_object_get(param, required)))
                return fg_fail_invalid(c,
                                       "destination_config.%s.param must have the string key '%s'",
                                       key, required),
                       -EINVAL;
        ret->type = json_string_value(t);
        /* The server's own serialisation: sorted keys, compact (like Go's encoding/json). */
        ret->param = json_dumps(param, JSON_COMPACT | JSON_SORT_KEYS);
        if (!ret->param) {
                c->oom = true;
                return -ENOMEM;
        }
        return 0;
}

static int fg_parse_body(FakeCall *c, json_t *body, FgFields *f) {
        json_t *dc = json_object_get(body, "destination_config"), *log;
        int r;

        r = fake_body_int(c, body, "max_async_retry_attempts", 0, FG_RETRIES_MAX, fg_fail_invalid,
                          &f->retries);
        if (r < 0)
                return r;
        r = fake_body_int(c, body, "max_async_event_age_in_seconds", FG_AGE_MIN, FG_AGE_MAX,
                          fg_fail_invalid, &f->age);
        if (r < 0)
                return r;
        log = json_object_get(body, "enable_async_status_log");
        if (log && !json_is_null(log) && !json_is_boolean(log))
                return fg_fail_invalid(c, "%s must be a boolean", "enable_async_status_log"),
                       -EINVAL;
        f->status_log = json_is_true(log);
        if (!dc || json_is_null(dc))
                return 0;
        if (!json_is_object(dc))
                return fg_fail_invalid(c, "%s must be an object", "destination_config"), -EINVAL;
        r = parse_destination(c, dc, "on_success", &f->on_success);
        if (r < 0)
                return r;
        return parse_destination(c, dc, "on_failure", &f->on_failure);
}

static json_t *destination_json(const FgDestination *d) {
        return json_pack("{s:s,s:s}", "destination", d->type ?: "", "param", d->param ?: "");
}

static char *fg_render(FakeCall *c, const FakeFgId *id, const FgFields *f, int64_t created_usec) {
        char created[32], modified[32], urn[700];
        json_t *o;
        char *s;

        snprintf(urn, sizeof(urn), "%s:%s", id->key, id->qualifier);
        fake_format_rfc3339_cst(created_usec, created);
        fake_format_plain_cst(c->now_usec, modified);
        o = json_pack("{s:s,s:O*,s:O*,s:{s:o,s:o},s:s,s:s,s:b}", "func_urn", urn,
                      "max_async_event_age_in_seconds", f->age, "max_async_retry_attempts",
                      f->retries, "destination_config", "on_success",
                      destination_json(&f->on_success), "on_failure",
                      destination_json(&f->on_failure), "created_time", created, "last_modified",
                      modified, "enable_async_status_log", f->status_log);
        if (!o)
                return NULL;
        s = fake_json_dump(o);
        json_decref(o);
        return s;
}

/* ---- operations ------------------------------------------------------------------------ */

static void fg_get(FakeCall *c, const FakeFgId *id) {
        fake_call_get_config(c, fg_lock(c, id, false, true), id->qualifier, fg_fail_no_config,
                             NULL);
        fake_store_unlock(c->fc->store, FAKE_API_FUNCTIONGRAPH, id->key);
}

static void fg_put(FakeCall *c, const FakeFgId *id) {
        json_auto_t *body = NULL;
        _cleanup_(fg_fields_done) FgFields f = {};
        FakeFunction *fn;
        FakeConfig *cfg;
        char err[256];

        body = fake_call_parse_body(c, err, sizeof(err));
        if (!body)
                return fg_fail_invalid(c, "the request body is not valid JSON: %s", err);
        if (fg_parse_body(c, body, &f) < 0)
                return;
        fn = fg_lock(c, id, true, true);
        if (!fn)
                goto finish;
        cfg = fake_function_get_config(fn, id->qualifier);
        fake_call_put_config(c, fn, id->qualifier,
                             fg_render(c, id, &f, cfg ? cfg->created_usec : c->now_usec));
finish:
        fake_store_unlock(c->fc->store, FAKE_API_FUNCTIONGRAPH, id->key);
}

static void fg_delete(FakeCall *c, const FakeFgId *id) {
        fake_call_delete_config(c, fg_lock(c, id, true, true), id->qualifier, fg_fail_no_config,
                                NULL);
        fake_store_unlock(c->fc->store, FAKE_API_FUNCTIONGRAPH, id->key);
}

static int parse_number(FakeCall *c, const char *key, long def, long max, long *ret) {
        if (fake_call_query_long(c, key, 0, max, def, ret) < 0) {
                fg_fail_invalid(c, "%s must be an integer between 0 and %ld", key, max);
                return -EINVAL;
        }
        return 0;
}

/* marker: the offset of the first item; limit: 1–100 (0 means the default 10). */
static void fg_list(FakeCall *c, const FakeFgId *id) {
        json_auto_t *items = json_array();
        FakeFunction *fn;
        long marker, limit;
        size_t i, k = 0;

        if (!items) {
                c->oom = true;
                return;
        }
        if (parse_number(c, "marker", 0, INT32_MAX, &marker) < 0 ||
            parse_number(c, "limit", FG_LIST_DEFAULT, FG_LIST_MAX, &limit) < 0)
                return;
        if (limit == 0)
                limit = FG_LIST_DEFAULT;
        fn = fg_lock(c, id, false, false);
        if (!fn)
                goto finish;
        for (i = (size_t) marker; i < fn->n_configs && k < (size_t) limit; i++, k++)
                if (json_array_append_new(
                            items, fake_list_item(c, fn->configs[i].wire, "func_urn", 6)) < 0)
                        c->oom = true;
        fake_call_respond_json(c, 200,
                               json_pack("{s:O,s:I,s:{s:I,s:I,s:I}}", "async_invoke_configs", items,
                                         "count", (json_int_t) fn->n_configs, "page_info",
                                         "current_count", (json_int_t) k, "previous_marker",
                                         (json_int_t) marker, "next_marker", (json_int_t) i));
finish:
        fake_store_unlock(c->fc->store, FAKE_API_FUNCTIONGRAPH, id->key);
}

/* ---- versions and aliases ---------------------------------------------------------------
 *
 *   GET /v2/{project}/fgs/functions/{urn}/versions[?marker=&maxitems=]   ListFunctionVersions
 *   GET /v2/{project}/fgs/functions/{urn}/aliases                        ListVersionAliases
 *
 * Versions are latest and the qualifiers that look like versions (v1, 1, 1.2), aliases the
 * others, pointing at latest. Versions: {versions, next_marker, count}, marker an offset as in
 * the config list; aliases: a bare array (the SDK's ListVersionAliasesResponse body). */

static json_t *fg_version_json(FakeCall *c, const FakeFgId *id, const char *version) {
        char t[32];

        fake_format_plain_cst(c->now_usec, t);
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "func_urn", id->key, "func_name", id->name,
                         "namespace", c->fc->hw_project, "package", "default", "version", version,
                         "last_modified", t);
}

static json_t *fg_alias_json(FakeCall *c, const FakeFgId *id, const char *alias) {
        char t[32], urn[700];

        fake_format_rfc3339_cst(c->now_usec, t);
        snprintf(urn, sizeof(urn), "%s:!%s", id->key, alias);
        return json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", alias, "version", "latest", "description",
                         "", "last_modified", t, "alias_urn", urn);
}

static void fg_list_names(FakeCall *c, const FakeFgId *id, bool versions) {
        json_auto_t *items = json_array();
        FakeNames all = {}, names = {};
        FakeFunction *fn;
        long marker = 0, max = FG_LIST_DEFAULT;
        size_t i, k = 0;

        if (!items) {
                c->oom = true;
                return;
        }
        if (versions && (parse_number(c, "marker", 0, INT32_MAX, &marker) < 0 ||
                         parse_number(c, "maxitems", FG_LIST_DEFAULT, FG_LIST_MAX, &max) < 0))
                return;
        if (max == 0)
                max = FG_LIST_DEFAULT;
        fn = fg_lock(c, id, false, false);
        if (fn)
                fake_names_add_function(&all, fn);
        fake_store_unlock(c->fc->store, FAKE_API_FUNCTIONGRAPH, id->key);
        if (!fn)
                goto finish;
        fake_names_sort(&all);
        if (versions)
                fake_names_add(&names, "latest");
        for (i = 0; i < all.n; i++)
                if (looks_like_version(all.names[i]) == versions)
                        fake_names_add(&names, all.names[i]);
        c->oom |= all.oom || names.oom;
        if (!versions) {
                for (i = 0; i < names.n; i++)
                        if (json_array_append_new(items, fg_alias_json(c, id, names.names[i])) < 0)
                                c->oom = true;
                fake_call_respond_json(c, 200, json_incref(items));
                goto finish;
        }
        for (i = (size_t) marker; i < names.n && k < (size_t) max; i++, k++)
                if (json_array_append_new(items, fg_version_json(c, id, names.names[i])) < 0)
                        c->oom = true;
        fake_call_respond_json(c, 200,
                               json_pack("{s:O,s:I,s:I}", "versions", items, "next_marker",
                                         (json_int_t) i, "count", (json_int_t) names.n));
finish:
        fake_names_done(&all);
        fake_names_done(&names);
}

static void fg_handle(FakeCall *c) {
        char **s = c->segments;
        const char *m = c->req->method;
        FakeFgId id;

        if (c->n_segments != 6 || !streq(s[2], "fgs") || !streq(s[3], "functions") ||
            !(streq(s[5], "async-invoke-config") || streq(s[5], "async-invoke-configs") ||
              streq(s[5], "versions") || streq(s[5], "aliases")))
                return fg_error(c, FAKE_ERROR_NO_ROUTE, NULL);
        if (!streq(s[1], c->fc->hw_project))
                return fg_fail(c, 403, "FSS.0403",
                               "The project id in the path is not the caller's project.");
        if (!fake_fg_parse_urn(s[4], &id))
                return fg_fail_invalid(c, "%s", "the function URN is invalid");
        if (streq(s[5], "versions") || streq(s[5], "aliases")) {
                if (!streq(m, "GET"))
                        return fg_error(c, FAKE_ERROR_METHOD, NULL);
                return fg_list_names(c, &id, streq(s[5], "versions"));
        }
        if (streq(s[5], "async-invoke-configs")) {
                if (!streq(m, "GET"))
                        return fg_error(c, FAKE_ERROR_METHOD, NULL);
                return fg_list(c, &id);
        }
        if (streq(m, "GET"))
                fg_get(c, &id);
        else if (streq(m, "PUT"))
                fg_put(c, &id);
        else if (streq(m, "DELETE"))
                fg_delete(c, &id);
        else
                fg_error(c, FAKE_ERROR_METHOD, NULL);
}

const FakeApiOps fake_functiongraph_ops = {
        .api = FAKE_API_FUNCTIONGRAPH,
        .prefix = "/v2/",
        .algorithm = SIGN_ALGORITHM_APIG,
        .request_id_header = "X-Request-Id",
        .handle = fg_handle,
        .error = fg_error,
};
