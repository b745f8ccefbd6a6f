/* SPDX-License-Identifier: MIT */
/* The control API under /_fake/ (JSON, unsigned, loopback peers only), README.md:
 *
 *   POST   /_fake/functions   create functions: one spec or an array of them
 *   DELETE /_fake/functions   remove functions (and their configs)
 *   GET    /_fake/configs     every stored config, in each cloud's wire format
 *   PUT    /_fake/drift       change a stored config out of band (merge or replace)
 *   DELETE /_fake/drift       remove a stored config out of band
 *   POST   /_fake/faults      set fault injection ({} clears); GET shows it
 *   GET    /_fake/stats       counters
 *   GET    /_fake/log         the request log: ?after=SEQ&limit=N (reqlog.h)
 *   POST   /_fake/reset       forget functions, configs, faults, counters and the log
 *   PUT    /_fake/settings    {"unqualifiedLists": bool}; GET shows the settings */

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "tests/fakecloud/internal.h"

/* Where a control request points: an API, a function key and a qualifier. */
typedef struct ControlId {
        FakeApi api;
        char key[512];
        char service[130];   /* fc2 */
        char name[300];      /* the function as GET /_fake/configs shows it */
        char qualifier[130]; /* the explicit one ("" when none was given) */
        char arn_region[64]; /* lambda */
        char arn_account[32];
} ControlId;

_printf_(3, 4) static void control_fail(FakeCall *c, unsigned status, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        fake_call_respond_json(c, status, json_pack("{s:s}", "error", msg));
}

static bool copy_str(char *dst, size_t size, const char *src) {
        if (strlen(src) >= size)
                return false;
        strcpy(dst, src);
        return true;
}

static int parse_aws(FakeCall *c, const char *function, ControlId *id, char *error, size_t size) {
        FakeLambdaId l;

        if (!fake_lambda_parse_function_name(function, &l))
                return snprintf(error, size, "'%.200s' is not a Lambda function name or ARN",
                                function),
                       -EINVAL;
        id->api = FAKE_API_LAMBDA;
        strcpy(id->key, l.name);
        strcpy(id->name, l.name);
        strcpy(id->qualifier, l.qualifier);
        strcpy(id->arn_region, l.region);
        strcpy(id->arn_account, l.account);
        return 0;
}

static int parse_alicloud(const char *function, const char *service, const char *api, ControlId *id,
                          char *error, size_t size) {
        const char *slash = strchr(function, '/');

        if (!service && slash) {
                if ((size_t) (slash - function) >= sizeof(id->service))
                        return snprintf(error, size, "service name too long"), -EINVAL;
                snprintf(id->service, sizeof(id->service), "%.*s", (int) (slash - function),
                         function);
                function = slash + 1;
        } else if (service && !copy_str(id->service, sizeof(id->service), service))
                return snprintf(error, size, "service name too long"), -EINVAL;
        if (api && !streq(api, id->service[0] ? "fc2" : "fc3"))
                return snprintf(error, size, "api '%s' needs %s", api,
                                streq(api, "fc2") ? "a service" : "no service"),
                       -EINVAL;
        if (!function[0] || strchr(function, '/') || strchr(function, ':') ||
            strlen(function) > 128 ||
            (id->service[0] && (strchr(id->service, ':') || !id->service[0])))
                return snprintf(error, size, "'%.200s' is not an FC function name", function),
                       -EINVAL;
        strcpy(id->name, function);
        if (id->service[0]) {
                id->api = FAKE_API_FC2;
                snprintf(id->key, sizeof(id->key), "%s/%s", id->service, function);
        } else {
                id->api = FAKE_API_FC3;
                strcpy(id->key, function);
        }
        return 0;
}

static int parse_huawei(FakeCall *c, const char *function, ControlId *id, char *error,
                        size_t size) {
        char urn[600];
        FakeFgId f;

        if (!startswith(function, "urn:")) {
                /* A plain name: the URN of package "default" in the configured project. */
                snprintf(urn, sizeof(urn), "urn:fss:cn-north-4:%s:function:default:%s",
                         c->fc->hw_project, function);
                function = urn;
        }
        if (!fake_fg_parse_urn(function, &f))
                return snprintf(error, size, "'%.200s' is not a FunctionGraph function URN",
                                function),
                       -EINVAL;
        id->api = FAKE_API_FUNCTIONGRAPH;
        strcpy(id->key, f.key);
        strcpy(id->name, f.key);
        if (strchr(function + strlen(f.key), ':'))
                strcpy(id->qualifier, f.qualifier);
        return 0;
}

/* Reads {provider, function, service?, api?, qualifier?} into id. */
static int control_parse_id(FakeCall *c, json_t *o, ControlId *id, char *error, size_t size) {
        const char *provider = json_string_value(json_object_get(o, "provider"));
        const char *function = json_string_value(json_object_get(o, "function"));
        const char *service = json_string_value(json_object_get(o, "service"));
        const char *api = json_string_value(json_object_get(o, "api"));
        const char *qualifier = json_string_value(json_object_get(o, "qualifier"));
        int r;

        *id = (ControlId){};
        if (!json_is_object(o) || !provider || !function)
                return snprintf(error, size, "needs \"provider\" and \"function\" strings"),
                       -EINVAL;
        if (strlen(function) > 500)
                return snprintf(error, size, "function too long"), -EINVAL;
        if (streq(provider, "aws"))
                r = parse_aws(c, function, id, error, size);
        else if (streq(provider, "alicloud"))
                r = parse_alicloud(function, service, api, id, error, size);
        else if (streq(provider, "huaweicloud"))
                r = parse_huawei(c, function, id, error, size);
        else
                return snprintf(error, size, "provider must be aws, alicloud or huaweicloud"),
                       -EINVAL;
        if (r < 0)
                return r;
        if (qualifier && qualifier[0] && !copy_str(id->qualifier, sizeof(id->qualifier), qualifier))
                return snprintf(error, size, "qualifier too long"), -EINVAL;
        return 0;
}

/* ---- functions ------------------------------------------------------------------------- */

static int create_one(FakeCall *c, json_t *spec, char *error, size_t size) {
        json_t *qs = json_object_get(spec, "qualifiers"), *q;
        _cleanup_free_ const char **list = NULL;
        ControlId id;
        size_t i;
        int r;

        r = control_parse_id(c, spec, &id, error, size);
        if (r < 0)
                return r;
        if (qs && !json_is_array(qs))
                return snprintf(error, size, "qualifiers must be an array of strings"), -EINVAL;
        list = calloc(json_array_size(qs) + 1, sizeof(char *));
        if (!list)
                return -ENOMEM;
        json_array_foreach(qs, i, q) {
                if (!json_is_string(q) || json_string_length(q) == 0 || json_string_length(q) > 128)
                        return snprintf(error, size, "qualifiers must be non-empty strings"),
                               -EINVAL;
                list[i] = json_string_value(q);
        }
        if (id.api == FAKE_API_FC2) {
                r = fake_store_add_function(c->fc->store, FAKE_API_FC2, id.service, NULL, NULL,
                                            NULL);
                if (r < 0)
                        return r;
        }
        return fake_store_add_function(c->fc->store, id.api, id.key, list,
                                       id.arn_region[0] ? id.arn_region : NULL,
                                       id.arn_account[0] ? id.arn_account : NULL);
}

static void control_functions(FakeCall *c, bool create) {
        char err[256], error[400];
        json_auto_t *body = fake_call_parse_body(c, err, sizeof(err));
        json_auto_t *specs = NULL;
        size_t i, created = 0;
        json_t *spec;
        int r;

        if (!body && c->req->body_size > 0) {
                /* fake_call_parse_body() wants an object; an array is fine here. */
                body = json_loadb(c->req->body, c->req->body_size, 0, NULL);
                if (!json_is_array(body))
                        return control_fail(c, 400, "body: %s", err);
        }
        if (!body)
                return control_fail(c, 400, "body: %s", err);
        specs = json_is_array(body) ? json_incref(body) : json_pack("[O]", body);
        json_array_foreach(specs, i, spec) {
                ControlId id;
                if (create)
                        r = create_one(c, spec, error, sizeof(error));
                else {
                        r = control_parse_id(c, spec, &id, error, sizeof(error));
                        if (r >= 0)
                                r = fake_store_remove_function(c->fc->store, id.api, id.key);
                }
                if (r == -ENOMEM) {
                        c->oom = true;
                        return;
                }
                if (r < 0)
                        return control_fail(c, 400, "item %zu: %s", i, error);
                created += r;
        }
        fake_call_respond_json(
                c, create ? 201 : 200,
                json_pack("{s:I}", create ? "created" : "removed", (json_int_t) created));
}

/* ---- configs --------------------------------------------------------------------------- */

typedef struct ConfigList {
        json_t *items;
        const char *provider; /* filters, NULL for all */
        const char *function;
        bool oom;
} ConfigList;

static void config_list_add(const FakeFunction *fn, void *userdata) {
        ConfigList *l = userdata;
        const char *name = fn->key, *slash = strchr(fn->key, '/');

        if (l->provider && !streq(l->provider, fake_api_to_provider(fn->api)))
                return;
        if (fn->api == FAKE_API_FC2)
                name = slash ? slash + 1 : fn->key;
        if (l->function && !streq(l->function, name) && !streq(l->function, fn->key))
                return;
        for (size_t i = 0; i < fn->n_configs; i++) {
                json_t *item =
                        json_pack("{s:s,s:s,s:s,s:s,s:o}", "provider",
                                  fake_api_to_provider(fn->api), "api", fake_api_to_string(fn->api),
                                  "function", name, "qualifier", fn->configs[i].qualifier, "config",
                                  json_loads(fn->configs[i].wire, 0, NULL));
                if (item && fn->api == FAKE_API_FC2 && slash)
                        json_object_set_new(item, "service",
                                            json_stringn(fn->key, (size_t) (slash - fn->key)));
                if (json_array_append_new(l->items, item) < 0)
                        l->oom = true;
        }
}

static int item_compare(const void *a, const void *b) {
        json_t *x = *(json_t *const *) a, *y = *(json_t *const *) b;
        const char *keys[] = { "api", "service", "function", "qualifier" };

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                int r = strcmp(json_string_value(json_object_get(x, keys[i])) ?: "",
                               json_string_value(json_object_get(y, keys[i])) ?: "");
                if (r != 0)
                        return r;
        }
        return 0;
}

static void control_configs(FakeCall *c) {
        ConfigList l = {
                .items = json_array(),
                .provider = fake_call_query(c, "provider"),
                .function = fake_call_query(c, "function"),
        };
        _cleanup_free_ json_t **v = NULL;
        size_t n;

        if (!l.items) {
                c->oom = true;
                return;
        }
        fake_store_foreach(c->fc->store, config_list_add, &l);
        n = json_array_size(l.items);
        v = calloc(n + 1, sizeof(json_t *));
        if (l.oom || !v) {
                json_decref(l.items);
                c->oom = true;
                return;
        }
        for (size_t i = 0; i < n; i++)
                v[i] = json_incref(json_array_get(l.items, i));
        qsort(v, n, sizeof(json_t *), item_compare);
        json_array_clear(l.items);
        for (size_t i = 0; i < n; i++)
                json_array_append_new(l.items, v[i]);
        fake_call_respond_json(c, 200, l.items);
}

/* ---- drift ----------------------------------------------------------------------------- */

static void set_time_fields(json_t *w, const char *created_key, const char *modified_key,
                            const char *created, const char *modified) {
        if (!json_is_string(json_object_get(w, created_key)))
                json_object_set_new(w, created_key, json_string(created));
        json_object_set_new(w, modified_key, json_string(modified));
}

/* Sets what the server itself writes into a config: identity and timestamps. */
static void fill_server_fields(FakeCall *c, const FakeFunction *fn, const ControlId *id,
                               const char *qualifier, int64_t created_usec, json_t *w) {
        char a[32], b[32], s[700];
        json_t *dc;

        switch (id->api) {
        case FAKE_API_LAMBDA:
                snprintf(s, sizeof(s), "arn:aws:lambda:%s:%s:function:%s:%s",
                         fn->arn_region ?: "us-east-1", fn->arn_account ?: c->fc->aws_account,
                         id->name, qualifier);
                json_object_set_new(w, "FunctionArn", json_string(s));
                json_object_set_new(w, "LastModified",
                                    json_real((double) (c->now_usec / 1000) / 1000.0));
                dc = json_object_get(w, "DestinationConfig");
                if (!json_is_object(dc)) {
                        dc = json_object();
                        json_object_set_new(w, "DestinationConfig", dc);
                }
                if (!json_object_get(dc, "OnSuccess"))
                        json_object_set_new(dc, "OnSuccess", json_object());
                if (!json_object_get(dc, "OnFailure"))
                        json_object_set_new(dc, "OnFailure", json_object());
                break;
        case FAKE_API_FC3:
        case FAKE_API_FC2:
                fake_format_rfc3339_utc(created_usec, a);
                fake_format_rfc3339_utc(c->now_usec, b);
                set_time_fields(w, "createdTime", "lastModifiedTime", a, b);
                if (id->api == FAKE_API_FC2) {
                        json_object_set_new(w, "service", json_string(id->service));
                        json_object_set_new(w, "function", json_string(id->name));
                        json_object_set_new(w, "qualifier", json_string(qualifier));
                } else if (!json_object_get(w, "functionArn")) {
                        /* As the FC3 API answers: ":qualifier" appended unless LATEST. */
                        bool latest = streq(qualifier, "LATEST");
                        snprintf(s, sizeof(s), "acs:fc:cn-hangzhou:%s:functions/%s%s%s",
                                 c->fc->ali_account, id->name, latest ? "" : ":",
                                 latest ? "" : qualifier);
                        json_object_set_new(w, "functionArn", json_string(s));
                }
                break;
        default:
                fake_format_rfc3339_cst(created_usec, a);
                fake_format_plain_cst(c->now_usec, b);
                set_time_fields(w, "created_time", "last_modified", a, b);
                snprintf(s, sizeof(s), "%s:%s", id->key, qualifier);
                json_object_set_new(w, "func_urn", json_string(s));
                break;
        }
}

static void control_drift_put(FakeCall *c, json_t *body, const ControlId *id,
                              const char *qualifier) {
        json_t *config = json_object_get(body, "config");
        const char *mode = json_string_value(json_object_get(body, "mode")) ?: "merge";
        json_auto_t *w = NULL;
        FakeFunction *fn;
        FakeConfig *cfg;
        char *wire;

        if (!json_is_object(config))
                return control_fail(c, 400, "\"config\" must be an object");
        if (!streq(mode, "merge") && !streq(mode, "replace"))
                return control_fail(c, 400, "\"mode\" must be merge or replace");
        fn = fake_store_lock(c->fc->store, id->api, id->key, true);
        if (!fn) {
                control_fail(c, 404, "no such function '%s'", id->key);
                goto finish;
        }
        cfg = fake_function_get_config(fn, qualifier);
        w = cfg && streq(mode, "merge") ? json_loads(cfg->wire, 0, NULL) : json_object();
        if (!w || json_object_update_recursive(w, config) < 0) {
                c->oom = true;
                goto finish;
        }
        fill_server_fields(c, fn, id, qualifier, cfg ? cfg->created_usec : c->now_usec, w);
        wire = fake_json_dump(w);
        if (!wire || fake_function_put_config(fn, qualifier, wire, c->now_usec) < 0) {
                c->oom = true;
                goto finish;
        }
        fake_call_respond_json(c, 200, json_incref(w));
finish:
        fake_store_unlock(c->fc->store, id->api, id->key);
}

static void control_drift(FakeCall *c, bool put) {
        char err[256];
        json_auto_t *body = fake_call_parse_body(c, err, sizeof(err));
        const char *qualifier;
        FakeFunction *fn;
        ControlId id;
        int r;

        if (!body)
                return control_fail(c, 400, "body: %s", err);
        if (control_parse_id(c, body, &id, err, sizeof(err)) < 0)
                return control_fail(c, 400, "%s", err);
        qualifier = id.qualifier[0] ? id.qualifier : fake_api_default_qualifier(id.api);
        if (put)
                return control_drift_put(c, body, &id, qualifier);
        fn = fake_store_lock(c->fc->store, id.api, id.key, true);
        r = fn ? fake_function_delete_config(fn, qualifier) : 0;
        fake_store_unlock(c->fc->store, id.api, id.key);
        if (r == 0)
                return control_fail(c, 404, "no config for '%s' qualifier '%s'", id.key, qualifier);
        fake_call_respond(c, 204, NULL);
}

/* ---- the rest -------------------------------------------------------------------------- */

static void control_faults(FakeCall *c) {
        char err[256];
        json_auto_t *body = NULL;

        if (streq(c->req->method, "GET"))
                return fake_call_respond_json(c, 200, fake_faults_to_json(&c->fc->faults));
        body = fake_call_parse_body(c, err, sizeof(err));
        if (!body)
                return control_fail(c, 400, "body: %s", err);
        if (fake_faults_set(&c->fc->faults, body, err, sizeof(err)) < 0)
                return control_fail(c, 400, "%s", err);
        fake_call_respond_json(c, 200, fake_faults_to_json(&c->fc->faults));
}

static void control_reset(FakeCall *c) {
        fake_store_clear(c->fc->store);
        fake_faults_clear(&c->fc->faults);
        fake_stats_reset(&c->fc->stats);
        fake_reqlog_clear(&c->fc->log);
        fake_call_respond_json(c, 200, json_object());
}

static json_t *settings_to_json(FakeCloud *fc) {
        return json_pack("{s:b}", "unqualifiedLists",
                         __atomic_load_n(&fc->unqualified_lists, __ATOMIC_RELAXED));
}

static void control_settings(FakeCall *c) {
        json_auto_t *body = NULL;
        const char *key;
        char err[256];
        json_t *v;

        if (streq(c->req->method, "GET"))
                return fake_call_respond_json(c, 200, settings_to_json(c->fc));
        body = fake_call_parse_body(c, err, sizeof(err));
        if (!body)
                return control_fail(c, 400, "body: %s", err);
        json_object_foreach(
                body, key,
                v) if (!streq(key, "unqualifiedLists") ||
                       !json_is_boolean(
                               v)) return control_fail(c, 400,
                                                       "unknown setting or not a boolean: '%.100s'",
                                                       key);
        v = json_object_get(body, "unqualifiedLists");
        if (v)
                __atomic_store_n(&c->fc->unqualified_lists, json_is_true(v), __ATOMIC_RELAXED);
        fake_call_respond_json(c, 200, settings_to_json(c->fc));
}

typedef struct ControlRoute {
        const char *method;
        const char *path;
        void (*handle)(FakeCall *c);
} ControlRoute;

static void route_create(FakeCall *c) {
        control_functions(c, true);
}
static void route_remove(FakeCall *c) {
        control_functions(c, false);
}
static void route_count(FakeCall *c) {
        fake_call_respond_json(c, 200,
                               json_pack("{s:I}", "functions",
                                         (json_int_t) fake_store_count_functions(c->fc->store)));
}
static void route_drift_put(FakeCall *c) {
        control_drift(c, true);
}
static void route_drift_delete(FakeCall *c) {
        control_drift(c, false);
}
static void route_stats(FakeCall *c) {
        fake_call_respond_json(c, 200, fake_stats_to_json(&c->fc->stats));
}

static void route_log(FakeCall *c) {
        json_auto_t *log = NULL;
        long after, limit;
        char *text;

        if (fake_call_query_long(c, "after", 0, LONG_MAX, 0, &after) < 0 ||
            fake_call_query_long(c, "limit", 1, FAKE_REQLOG_MAX_LIMIT, FAKE_REQLOG_DEFAULT_LIMIT,
                                 &limit) < 0)
                return control_fail(c, 400, "after must be a sequence number, limit 1-%d",
                                    FAKE_REQLOG_MAX_LIMIT);
        log = fake_reqlog_to_json(&c->fc->log, (uint64_t) after, (size_t) limit);
        /* 16 significant digits: epoch seconds with microseconds. */
        text = log ? json_dumps(log, JSON_COMPACT | JSON_REAL_PRECISION(16)) : NULL;
        if (!text) {
                c->oom = true;
                return;
        }
        fake_call_respond(c, 200, text);
}

static const ControlRoute routes[] = {
        { "POST", "/_fake/functions", route_create },
        { "DELETE", "/_fake/functions", route_remove },
        { "GET", "/_fake/functions", route_count },
        { "GET", "/_fake/configs", control_configs },
        { "PUT", "/_fake/drift", route_drift_put },
        { "DELETE", "/_fake/drift", route_drift_delete },
        { "POST", "/_fake/faults", control_faults },
        { "GET", "/_fake/faults", control_faults },
        { "GET", "/_fake/stats", route_stats },
        { "GET", "/_fake/log", route_log },
        { "POST", "/_fake/reset", control_reset },
        { "PUT", "/_fake/settings", control_settings },
        { "GET", "/_fake/settings", control_settings },
};

void fake_control_handle(FakeCall *c) {
        bool path_known = false;

        if (!c->req->loopback)
                return control_fail(c, 403, "the control API answers loopback peers only");
        for (size_t i = 0; i < ELEMENTSOF(routes); i++) {
                if (!streq(c->path, routes[i].path))
                        continue;
                path_known = true;
                if (streq(c->req->method, routes[i].method))
                        return routes[i].handle(c);
        }
        if (path_known)
                return control_fail(c, 405, "method %s not allowed on %s", c->req->method, c->path);
        control_fail(c, 404, "no control endpoint %s", c->path);
}
