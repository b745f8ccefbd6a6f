/* SPDX-License-Identifier: MIT */
/* Alibaba Cloud Function Compute async invoke configs, docs/cloud-apis.md §2:
 *
 *   FC3  GET|PUT|DELETE /2023-03-30/functions/{fn}/async-invoke-config[?qualifier=]
 *        GET /2023-03-30/async-invoke-configs[?functionName=&limit=&nextToken=]
 *   FC2  GET|PUT|DELETE /2021-04-06/services/{svc}/functions/{fn}/async-invoke-config[?qualifier=]
 *        GET /2021-04-06/services/{svc}/functions/{fn}/async-invoke-configs[?limit=&nextToken=]
 *
 * Quirks as clients see them: unset destinations come back as {"destination": null}, fields
 * never set as null; PUT replaces the whole config (UNCONFIRMED upstream; a full replace is
 * what the daemon relies on anyway); DELETE answers 204. FC3 errors are
 * {"Code","Message","RequestId"}, FC2 errors {"errorCode","errorMessage"} (plus the FC3 keys, which the SDK reads) with the id in
 * X-Fc-Request-Id. A missing version or alias is VersionNotFound / AliasNotFound (404): codes
 * of FC's error list, chosen here because the async-config docs do not say. */

#include <stdarg.h>
#include <stdio.h>

#include "tests/fakecloud/internal.h"

/* Ranges. FC3: PutAsyncInvokeConfigInput doc of fc-20230330, retries 0–8, age 1–604800.
 * FC2: terraform alicloud_fc_function_async_invoke_config since v1.167.0, retries 0–8, age
 * 1–2592000. (docs/cloud-apis.md §2.3) */
#define FC_RETRIES_MAX 8
#define FC3_AGE_MAX 604800
#define FC2_AGE_MAX 2592000
#define FC_LIST_DEFAULT 20
#define FC_LIST_MAX 100

typedef struct FcId {
        char key[300];     /* fc3: name; fc2: service/name */
        char service[130]; /* fc2 */
        char name[130];
        const char *qualifier;
} FcId;

typedef struct FcFields {
        json_t *retries; /* borrowed integers or NULL */
        json_t *age;
        const char *on_success;
        const char *on_failure;
        json_t *flag; /* asyncTask / statefulInvocation: a boolean or NULL */
} FcFields;

/* ---- errors ---------------------------------------------------------------------------- */

static void fc_fail(FakeCall *c, unsigned status, const char *code, const char *message) {
        /* FC2's documented errorCode/errorMessage, plus the Code/Message/RequestId that the
         * official SDK (openapi-client doRequest) reads. */
        if (c->api == FAKE_API_FC2)
                fake_call_respond_json(c, status,
                                       json_pack("{s:s,s:s,s:s,s:s,s:s}", "errorCode", code,
                                                 "errorMessage", message, "Code", code, "Message",
                                                 message, "RequestId", c->request_id));
        else
                fake_call_respond_json(c, status,
                                       json_pack("{s:s,s:s,s:s}", "Code", code, "Message", message,
                                                 "RequestId", c->request_id));
}

static void fc_error(FakeCall *c, FakeErrorKind kind, const char *detail) {
        switch (kind) {
        case FAKE_ERROR_AUTH_MISSING:
                return fc_fail(c, 403, "SignatureNotMatch", "The Authorization header is missing.");
        case FAKE_ERROR_AUTH_MALFORMED:
                return fc_fail(c, 403, "SignatureNotMatch", detail);
        case FAKE_ERROR_AUTH_UNKNOWN_KEY:
                return fc_fail(c, 403, "InvalidAccessKeyID",
                               "The specified AccessKeyID does not exist.");
        case FAKE_ERROR_AUTH_SIGNATURE:
                return fc_fail(
                        c, 403, "SignatureNotMatch",
                        "The request signature we calculated does not match the signature you provided. "
                        "Check your access key and signing method.");
        case FAKE_ERROR_AUTH_EXPIRED:
                return fc_fail(
                        c, 403, "RequestTimeTooSkewed",
                        "The difference between the request time and the current time is too large.");
        case FAKE_ERROR_THROTTLED:
                return fc_fail(c, 429, "Throttling",
                               "Request was denied due to request throttling.");
        case FAKE_ERROR_SERVER:
                return fc_fail(c, c->error_status ?: 500, "InternalServerError",
                               "An internal server error occurred.");
        case FAKE_ERROR_BODY:
                return fc_fail(c, 400, "InvalidArgument", detail);
        case FAKE_ERROR_METHOD:
                return fc_fail(c, 405, "MethodNotAllowed",
                               "The method is not allowed for this resource.");
        case FAKE_ERROR_NO_ROUTE:
        default:
                return fc_fail(c, 404, "PathNotSupported", "The requested path is not supported.");
        }
}

_printf_(2, 3) static void fc_fail_invalid(FakeCall *c, const char *fmt, ...) {
        char msg[384];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        fc_fail(c, 400, "InvalidArgument", msg);
}

/* ---- identity -------------------------------------------------------------------------- */

static bool fc_name_valid(const char *s) {
        size_t n = strlen(s);

        return n > 0 && n < 129 &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

static bool fc_resolve(FakeCall *c, const char *service, const char *name, FcId *id) {
        *id = (FcId){};
        if ((service && !fc_name_valid(service)) || !fc_name_valid(name)) {
                fc_fail_invalid(c, "%s name is invalid",
                                service && !fc_name_valid(service) ? "service" : "function");
                return false;
        }
        snprintf(id->name, sizeof(id->name), "%s", name);
        if (service) {
                snprintf(id->service, sizeof(id->service), "%s", service);
                snprintf(id->key, sizeof(id->key), "%s/%s", service, name);
        } else
                snprintf(id->key, sizeof(id->key), "%s", name);
        id->qualifier = fake_call_query(c, "qualifier") ?: "LATEST";
        if (!fc_name_valid(id->qualifier)) {
                fc_fail_invalid(c, "%s is invalid", "qualifier");
                return false;
        }
        return true;
}

static bool service_exists(FakeCall *c, const char *service) {
        bool r = fake_store_lock(c->fc->store, FAKE_API_FC2, service, false) != NULL;

        fake_store_unlock(c->fc->store, FAKE_API_FC2, service);
        return r;
}

/* Locks and finds the function; answers 404 and returns NULL (shard still locked) when the
 * service, the function or the qualifier does not exist. */
static FakeFunction *fc_lock(FakeCall *c, const FcId *id, bool write, bool check_qualifier) {
        FakeFunction *fn;
        char msg[400];

        if (c->api == FAKE_API_FC2 && !service_exists(c, id->service)) {
                fake_store_lock(c->fc->store, c->api, id->key, write);
                snprintf(msg, sizeof(msg), "service '%s' does not exist", id->service);
                fc_fail(c, 404, "ServiceNotFound", msg);
                return NULL;
        }
        fn = fake_store_lock(c->fc->store, c->api, id->key, write);
        if (!fn) {
                snprintf(msg, sizeof(msg), "function '%s' does not exist", id->name);
                fc_fail(c, 404, "FunctionNotFound", msg);
                return NULL;
        }
        if (check_qualifier && !fake_function_has_qualifier(fn, id->qualifier)) {
                bool version = strspn(id->qualifier, "0123456789") == strlen(id->qualifier);
                snprintf(msg, sizeof(msg), "%s '%s' does not exist", version ? "version" : "alias",
                         id->qualifier);
                fc_fail(c, 404, version ? "VersionNotFound" : "AliasNotFound", msg);
                return NULL;
        }
        return fn;
}

static void fc_fail_no_config(FakeCall *c, const FakeFunction *fn, const void *userdata) {
        fc_fail(c, 404, "AsyncConfigNotExists", "async invoke config does not exist");
}

/* ---- bodies ---------------------------------------------------------------------------- */

static int parse_destination(FakeCall *c, json_t *dc, const char *key, const char **ret) {
        json_t *o = json_object_get(dc, key), *d;

        *ret = NULL;
        if (!o || json_is_null(o))
                return 0;
        if (!json_is_object(o))
                return fc_fail_invalid(c, "destinationConfig.%s must be an object", key), -EINVAL;
        d = json_object_get(o, "destination");
        if (!d || json_is_null(d))
                return 0;
        if (!json_is_string(d))
                return fc_fail_invalid(c, "destinationConfig.%s.destination must be a string", key),
                       -EINVAL;
        if (json_string_length(d) == 0)
                return 0;
        if (!startswith(json_string_value(d), "acs:") || json_string_length(d) > 512)
                return fc_fail_invalid(c, "destinationConfig.%s.destination is not a valid ARN",
                                       key),
                       -EINVAL;
        *ret = json_string_value(d);
        return 0;
}

static const char *flag_name(FakeApi api) {
        return api == FAKE_API_FC2 ? "statefulInvocation" : "asyncTask";
}

static int fc_parse_body(FakeCall *c, json_t *body, FcFields *f) {
        json_t *dc = json_object_get(body, "destinationConfig");
        const char *flag = flag_name(c->api);
        int r;

        r = fake_body_int(c, body, "maxAsyncRetryAttempts", 0, FC_RETRIES_MAX, fc_fail_invalid,
                          &f->retries);
        if (r < 0)
                return r;
        r = fake_body_int(c, body, "maxAsyncEventAgeInSeconds", 1,
                          c->api == FAKE_API_FC2 ? FC2_AGE_MAX : FC3_AGE_MAX, fc_fail_invalid,
                          &f->age);
        if (r < 0)
                return r;
        f->flag = json_object_get(body, flag);
        if (f->flag && json_is_null(f->flag))
                f->flag = NULL;
        if (f->flag && !json_is_boolean(f->flag))
                return fc_fail_invalid(c, "%s must be a boolean", flag), -EINVAL;
        if (!dc || json_is_null(dc))
                return 0;
        if (!json_is_object(dc))
                return fc_fail_invalid(c, "%s must be an object", "destinationConfig"), -EINVAL;
        r = parse_destination(c, dc, "onSuccess", &f->on_success);
        if (r < 0)
                return r;
        return parse_destination(c, dc, "onFailure", &f->on_failure);
}

static json_t *destination_json(const char *d) {
        return json_pack("{s:s?}", "destination", d);
}

static char *fc_render(FakeCall *c, const FcId *id, const FcFields *f, int64_t created_usec) {
        char created[32], modified[32], arn[600];
        json_t *o;
        char *s;

        fake_format_rfc3339_utc(created_usec, created);
        fake_format_rfc3339_utc(c->now_usec, modified);
        o = json_pack("{s:O?,s:{s:o,s:o},s:O?,s:O?}", flag_name(c->api), f->flag,
                      "destinationConfig", "onSuccess", destination_json(f->on_success),
                      "onFailure", destination_json(f->on_failure), "maxAsyncEventAgeInSeconds",
                      f->age, "maxAsyncRetryAttempts", f->retries);
        if (!o)
                return NULL;
        if (c->api == FAKE_API_FC2) {
                json_object_set_new(o, "service", json_string(id->service));
                json_object_set_new(o, "function", json_string(id->name));
                json_object_set_new(o, "qualifier", json_string(id->qualifier));
        } else {
                /* FC3's functionArn: unqualified for LATEST, ":qualifier" appended otherwise. */
                snprintf(arn, sizeof(arn), "acs:fc:%s:%s:functions/%s%s%s", c->region,
                         c->fc->ali_account, id->name, streq(id->qualifier, "LATEST") ? "" : ":",
                         streq(id->qualifier, "LATEST") ? "" : id->qualifier);
                json_object_set_new(o, "functionArn", json_string(arn));
        }
        json_object_set_new(o, "createdTime", json_string(created));
        json_object_set_new(o, "lastModifiedTime", json_string(modified));
        s = fake_json_dump(o);
        json_decref(o);
        return s;
}

/* ---- operations ------------------------------------------------------------------------ */

static void fc_get(FakeCall *c, const FcId *id) {
        fake_call_get_config(c, fc_lock(c, id, false, true), id->qualifier, fc_fail_no_config,
                             NULL);
        fake_store_unlock(c->fc->store, c->api, id->key);
}

static void fc_put(FakeCall *c, const FcId *id) {
        json_auto_t *body = NULL;
        FcFields f = {};
        FakeFunction *fn;
        FakeConfig *cfg;
        char err[256];

        body = fake_call_parse_body(c, err, sizeof(err));
        if (!body)
                return fc_fail_invalid(c, "the request body is not valid JSON: %s", err);
        if (fc_parse_body(c, body, &f) < 0)
                return;
        fn = fc_lock(c, id, true, true);
        if (!fn)
                goto finish;
        cfg = fake_function_get_config(fn, id->qualifier);
        fake_call_put_config(c, fn, id->qualifier,
                             fc_render(c, id, &f, cfg ? cfg->created_usec : c->now_usec));
finish:
        fake_store_unlock(c->fc->store, c->api, id->key);
}

static void fc_delete(FakeCall *c, const FcId *id) {
        fake_call_delete_config(c, fc_lock(c, id, true, true), id->qualifier, fc_fail_no_config,
                                NULL);
        fake_store_unlock(c->fc->store, c->api, id->key);
}

/* ---- lists ----------------------------------------------------------------------------- */

typedef struct FcListItem {
        char *token; /* "key:qualifier": the order and the nextToken */
        char *wire;
} FcListItem;

typedef struct FcList {
        FcListItem *items;
        size_t n, allocated;
        FakeApi api;
        bool oom;
} FcList;

static void fc_list_add_function(const FakeFunction *fn, void *userdata) {
        FcList *l = userdata;

        if (fn->api != l->api)
                return;
        for (size_t i = 0; i < fn->n_configs; i++) {
                FcListItem it = {};
                if (l->n == l->allocated) {
                        size_t n = MAX(16u, l->allocated * 2);
                        FcListItem *p = realloc(l->items, n * sizeof(FcListItem));
                        if (!p) {
                                l->oom = true;
                                return;
                        }
                        l->items = p;
                        l->allocated = n;
                }
                if (asprintf(&it.token, "%s:%s", fn->key, fn->configs[i].qualifier) < 0) {
                        l->oom = true;
                        return;
                }
                it.wire = strdup(fn->configs[i].wire);
                if (!it.wire) {
                        free(it.token);
                        l->oom = true;
                        return;
                }
                l->items[l->n++] = it;
        }
}

static int item_compare(const void *a, const void *b) {
        return strcmp(((const FcListItem *) a)->token, ((const FcListItem *) b)->token);
}

static void fc_list_done(FcList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].token);
                free(l->items[i].wire);
        }
        free(l->items);
}

static int parse_limit(FakeCall *c, size_t *ret) {
        long v;

        if (fake_call_query_long(c, "limit", 1, FC_LIST_MAX, FC_LIST_DEFAULT, &v) < 0) {
                fc_fail_invalid(c, "%s must be between 1 and %d", "limit", FC_LIST_MAX);
                return -EINVAL;
        }
        *ret = (size_t) v;
        return 0;
}

/* FC3's functionArn "acs:fc:REGION:ACCOUNT:functions/NAME[:QUALIFIER]"; FC2's "qualifier". */
static json_t *fc_list_item(FakeCall *c, const char *wire) {
        return c->api == FAKE_API_FC2 ? fake_list_item(c, wire, "qualifier", 0)
                                      : fake_list_item(c, wire, "functionArn", 4);
}

/* Answers {configs:[…], nextToken} from the items after the nextToken query parameter. */
static void fc_list_respond(FakeCall *c, FcList *l, size_t limit) {
        json_auto_t *configs = json_array();
        const char *token = fake_call_query(c, "nextToken");
        size_t i = 0, k = 0;

        if (!configs) {
                c->oom = true;
                return;
        }
        if (l->n > 0) /* qsort() wants a non-NULL array even for 0 items */
                qsort(l->items, l->n, sizeof(FcListItem), item_compare);
        while (!isempty(token) && i < l->n && strcmp(l->items[i].token, token) <= 0)
                i++;
        for (; i < l->n && k < limit; i++, k++)
                if (json_array_append_new(configs, fc_list_item(c, l->items[i].wire)) < 0)
                        c->oom = true;
        fake_call_respond_json(c, 200,
                               json_pack("{s:O,s:s*}", "configs", configs, "nextToken",
                                         i < l->n ? l->items[i - 1].token : NULL));
}

static void fc_list(FakeCall *c, const FcId *id) {
        FcList l = { .api = c->api };
        size_t limit;

        if (parse_limit(c, &limit) < 0)
                return;
        if (id) {
                FakeFunction *fn = fc_lock(c, id, false, false);
                if (fn)
                        fc_list_add_function(fn, &l);
                fake_store_unlock(c->fc->store, c->api, id->key);
                if (!fn)
                        return fc_list_done(&l);
        } else
                fake_store_foreach(c->fc->store, fc_list_add_function, &l);
        if (l.oom)
                c->oom = true;
        else
                fc_list_respond(c, &l, limit);
        fc_list_done(&l);
}

/* ---- versions and aliases ---------------------------------------------------------------
 *
 *   FC3  GET /2023-03-30/functions/{fn}/versions|aliases[?limit=&nextToken=]  of the function
 *   FC2  GET /2021-04-06/services/{svc}/versions|aliases[?limit=&nextToken=]  of the service
 *
 * Versions are the all-digit qualifiers (LATEST is none), aliases the others; an FC2 service
 * has those of all its functions. An alias points at the highest version ("1" if none). */

typedef struct FcNamesVisit {
        FakeNames *names;
        const char *service_prefix; /* "svc/" */
} FcNamesVisit;

static void fc_names_add_service_function(const FakeFunction *fn, void *userdata) {
        FcNamesVisit *v = userdata;

        if (fn->api == FAKE_API_FC2 && startswith(fn->key, v->service_prefix))
                fake_names_add_function(v->names, fn);
}

/* The qualifiers of the function (FC3) or service (FC2); false when it answered 404. */
static bool fc_collect_names(FakeCall *c, const char *service, const char *function,
                             FakeNames *ret) {
        char prefix[140];
        FcId id;

        if (service) {
                FcNamesVisit v = { .names = ret, .service_prefix = prefix };
                if (!fc_name_valid(service)) {
                        fc_fail_invalid(c, "%s name is invalid", "service");
                        return false;
                }
                if (!service_exists(c, service)) {
                        snprintf(prefix, sizeof(prefix), "service '%s' does not exist", service);
                        fc_fail(c, 404, "ServiceNotFound", prefix);
                        return false;
                }
                snprintf(prefix, sizeof(prefix), "%s/", service);
                fake_store_foreach(c->fc->store, fc_names_add_service_function, &v);
        } else {
                FakeFunction *fn;
                if (!fc_resolve(c, NULL, function, &id))
                        return false;
                fn = fc_lock(c, &id, false, false);
                if (fn)
                        fake_names_add_function(ret, fn);
                fake_store_unlock(c->fc->store, c->api, id.key);
                if (!fn)
                        return false;
        }
        fake_names_sort(ret);
        return true;
}

static bool fc_is_version(const char *q) {
        return q[0] && strspn(q, "0123456789") == strlen(q);
}

static json_t *fc_name_json(FakeCall *c, const char *name, bool versions, const char *top) {
        char t[32];

        fake_format_rfc3339_utc(c->now_usec, t);
        if (versions)
                return json_pack("{s:s,s:s,s:s,s:s}", "versionId", name, "description", "",
                                 "createdTime", t, "lastModifiedTime", t);
        return json_pack("{s:s,s:s,s:s,s:{},s:s,s:s}", "aliasName", name, "versionId", top,
                         "description", "", "additionalVersionWeight", "createdTime", t,
                         "lastModifiedTime", t);
}

static void fc_list_names(FakeCall *c, const char *service, const char *function, bool versions) {
        json_auto_t *items = json_array();
        const char *token = fake_call_query(c, "nextToken"), *dir = fake_call_query(c, "direction");
        FakeNames all = {}, names = {};
        const char *top = "1";
        size_t limit, i, k = 0;

        if (!items) {
                c->oom = true;
                return;
        }
        if (dir && !streq(dir, "FORWARD") && !streq(dir, "BACKWARD"))
                return fc_fail_invalid(c, "%s must be FORWARD or BACKWARD", "direction");
        if (parse_limit(c, &limit) < 0 || !fc_collect_names(c, service, function, &all))
                goto finish;
        for (i = 0; i < all.n; i++) {
                if (fc_is_version(all.names[i]) &&
                    strtoull(all.names[i], NULL, 10) >= strtoull(top, NULL, 10))
                        top = all.names[i];
                if (fc_is_version(all.names[i]) == versions)
                        fake_names_add(&names, all.names[i]);
        }
        for (i = fake_names_index_after(&names, token); i < names.n && k < limit; i++, k++)
                if (json_array_append_new(items, fc_name_json(c, names.names[i], versions, top)) <
                    0)
                        c->oom = true;
        c->oom |= all.oom || names.oom;
        if (versions)
                fake_call_respond_json(c, 200,
                                       json_pack("{s:O,s:s,s:s*}", "versions", items, "direction",
                                                 dir ?: "FORWARD", "nextToken",
                                                 i < names.n ? names.names[i - 1] : NULL));
        else
                fake_call_respond_json(c, 200,
                                       json_pack("{s:O,s:s*}", "aliases", items, "nextToken",
                                                 i < names.n ? names.names[i - 1] : NULL));
finish:
        fake_names_done(&all);
        fake_names_done(&names);
}

/* ---- routing --------------------------------------------------------------------------- */

static void fc_dispatch(FakeCall *c, const FcId *id) {
        const char *m = c->req->method;

        if (streq(m, "GET"))
                fc_get(c, id);
        else if (streq(m, "PUT"))
                fc_put(c, id);
        else if (streq(m, "DELETE"))
                fc_delete(c, id);
        else
                fc_error(c, FAKE_ERROR_METHOD, NULL);
}

static void fc3_handle(FakeCall *c) {
        char **s = c->segments;
        const char *fn_filter;
        FcId id;

        if (c->n_segments == 2 && streq(s[1], "async-invoke-configs")) {
                if (!streq(c->req->method, "GET"))
                        return fc_error(c, FAKE_ERROR_METHOD, NULL);
                fn_filter = fake_call_query(c, "functionName");
                if (isempty(fn_filter))
                        return fc_list(c, NULL);
                if (fc_resolve(c, NULL, fn_filter, &id))
                        fc_list(c, &id);
                return;
        }
        if (c->n_segments == 4 && streq(s[1], "functions") &&
            (streq(s[3], "versions") || streq(s[3], "aliases"))) {
                if (!streq(c->req->method, "GET"))
                        return fc_error(c, FAKE_ERROR_METHOD, NULL);
                return fc_list_names(c, NULL, s[2], streq(s[3], "versions"));
        }
        if (c->n_segments != 4 || !streq(s[1], "functions") || !streq(s[3], "async-invoke-config"))
                return fc_error(c, FAKE_ERROR_NO_ROUTE, NULL);
        if (fc_resolve(c, NULL, s[2], &id))
                fc_dispatch(c, &id);
}

static void fc2_handle(FakeCall *c) {
        char **s = c->segments;
        FcId id;

        if (c->n_segments == 4 && streq(s[1], "services") &&
            (streq(s[3], "versions") || streq(s[3], "aliases"))) {
                if (!streq(c->req->method, "GET"))
                        return fc_error(c, FAKE_ERROR_METHOD, NULL);
                return fc_list_names(c, s[2], NULL, streq(s[3], "versions"));
        }
        if (c->n_segments != 6 || !streq(s[1], "services") || !streq(s[3], "functions") ||
            !(streq(s[5], "async-invoke-config") || streq(s[5], "async-invoke-configs")))
                return fc_error(c, FAKE_ERROR_NO_ROUTE, NULL);
        if (!fc_resolve(c, s[2], s[4], &id))
                return;
        if (streq(s[5], "async-invoke-configs")) {
                if (!streq(c->req->method, "GET"))
                        return fc_error(c, FAKE_ERROR_METHOD, NULL);
                return fc_list(c, &id);
        }
        fc_dispatch(c, &id);
}

const FakeApiOps fake_fc3_ops = {
        .api = FAKE_API_FC3,
        .prefix = "/2023-03-30/",
        .algorithm = SIGN_ALGORITHM_ACS3,
        .request_id_header = "x-acs-request-id",
        .handle = fc3_handle,
        .error = fc_error,
};

const FakeApiOps fake_fc2_ops = {
        .api = FAKE_API_FC2,
        .prefix = "/2021-04-06/",
        .algorithm = SIGN_ALGORITHM_ACS3,
        .request_id_header = "X-Fc-Request-Id",
        .handle = fc2_handle,
        .error = fc_error,
};
