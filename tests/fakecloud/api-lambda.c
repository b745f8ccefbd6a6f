/* SPDX-License-Identifier: MIT */
/* AWS Lambda FunctionEventInvokeConfig (API 2019-09-25), docs/cloud-apis.md §1.
 *
 *   GET|PUT|POST|DELETE /2019-09-25/functions/{FunctionName}/event-invoke-config[?Qualifier=]
 *   GET /2019-09-25/functions/{FunctionName}/event-invoke-config/list[?Marker=&MaxItems=]
 *
 * Quirks as clients see them: unset destinations come back as {}, LastModified is epoch
 * seconds with a fraction, FunctionArn is qualified, PUT replaces and POST merges (and needs
 * an existing config), DELETE answers 204, errors carry x-amzn-ErrorType. */

#include <stdio.h>
#include <time.h>

#include "tests/fakecloud/internal.h"

/* Ranges: service-2.json shapes MaximumRetryAttempts 0–2, MaximumEventAgeInSeconds 60–21600
 * (docs/cloud-apis.md §1.4). */
#define LAMBDA_RETRIES_MAX 2
#define LAMBDA_AGE_MIN 60
#define LAMBDA_AGE_MAX 21600
#define LAMBDA_DESTINATION_MAX 350
#define LAMBDA_LIST_MAX 50

typedef struct LambdaFields {
        bool has_retries;
        json_int_t retries;
        bool has_age;
        json_int_t age;
        const char *on_success; /* borrowed from a json_t the caller keeps alive; NULL: unset */
        const char *on_failure;
} LambdaFields;

/* ---- errors ---------------------------------------------------------------------------- */

static void lambda_fail(FakeCall *c, unsigned status, const char *type, const char *message) {
        /* ResourceNotFoundException and ServiceException spell it "Message" (service-2.json). */
        bool capital = streq(type, "ResourceNotFoundException") || streq(type, "ServiceException");

        fake_call_header(c, "x-amzn-ErrorType", type);
        fake_call_respond_json(c, status,
                               json_pack("{s:s,s:s}", "Type", status >= 500 ? "Service" : "User",
                                         capital ? "Message" : "message", message));
}

static void lambda_fail_expired(FakeCall *c) {
        const char *date = fake_call_header_get(c, "X-Amz-Date");
        char now[SIGN_AMZ_DATE_SIZE], limit[SIGN_AMZ_DATE_SIZE], msg[256];
        time_t t = (time_t) (c->now_usec / 1000000);

        sign_format_amz_date(t, now);
        sign_format_amz_date(t - SIGN_MAX_CLOCK_SKEW_SEC, limit);
        snprintf(msg, sizeof(msg), "Signature expired: %.20s is now earlier than %s (%s - 15 min.)",
                 strna(date), limit, now);
        lambda_fail(c, 403, "InvalidSignatureException", msg);
}

static void lambda_error(FakeCall *c, FakeErrorKind kind, const char *detail) {
        char s[16];

        switch (kind) {
        case FAKE_ERROR_AUTH_MISSING:
                return lambda_fail(c, 403, "MissingAuthenticationTokenException",
                                   "Missing Authentication Token");
        case FAKE_ERROR_AUTH_MALFORMED:
                return lambda_fail(c, 403, "IncompleteSignatureException", detail);
        case FAKE_ERROR_AUTH_UNKNOWN_KEY:
                return lambda_fail(c, 403, "UnrecognizedClientException",
                                   "The security token included in the request is invalid.");
        case FAKE_ERROR_AUTH_SIGNATURE:
                return lambda_fail(
                        c, 403, "InvalidSignatureException",
                        startswith(detail, "Credential")
                                ? detail
                                : "The request signature we calculated does not match the signature you "
                                  "provided. Check your AWS Secret Access Key and signing method. Consult "
                                  "the service documentation for details.");
        case FAKE_ERROR_AUTH_EXPIRED:
                return lambda_fail_expired(c);
        case FAKE_ERROR_THROTTLED:
                snprintf(s, sizeof(s), "%u", c->retry_after);
                fake_call_header(c, "x-amzn-ErrorType", "TooManyRequestsException");
                return fake_call_respond_json(
                        c, 429,
                        json_pack("{s:s,s:s,s:s,s:s}", "Type", "User", "message", "Rate exceeded",
                                  "Reason", "CallerRateLimitExceeded", "retryAfterSeconds", s));
        case FAKE_ERROR_SERVER:
                return lambda_fail(c, c->error_status ?: 500, "ServiceException",
                                   "An internal service error occurred.");
        case FAKE_ERROR_BODY:
                return lambda_fail(c, 400, "InvalidRequestContentException", detail);
        case FAKE_ERROR_NO_ROUTE:
        case FAKE_ERROR_METHOD:
        default:
                return lambda_fail(c, 404, "UnknownOperationException", "Unknown operation");
        }
}

static void lambda_fail_invalid(FakeCall *c, const char *message) {
        lambda_fail(c, 400, "InvalidParameterValueException", message);
}

/* ---- identity -------------------------------------------------------------------------- */

static bool qualifier_valid(const char *q) {
        size_t n = strlen(q);

        if (n == 0 || n > 128)
                return false;
        return strspn(q, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_$") == n;
}

static bool name_valid(const char *s) {
        size_t n = strlen(s);

        return n > 0 && n <= 140 &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

/* Parses a FunctionName: name, name:qualifier, arn:aws:lambda:region:account:function:name[:q],
 * account:function:name[:q]. Fills id (qualifier "" when none); false when malformed. */
bool fake_lambda_parse_function_name(const char *s, FakeLambdaId *id) {
        char buf[512], *parts[9] = {}, *save = NULL, *p;
        size_t n = 0, base;

        *id = (FakeLambdaId){};
        if (strlen(s) >= sizeof(buf))
                return false;
        strcpy(buf, s);
        /* strtok would merge empty fields; split by hand. */
        p = buf;
        while (n < ELEMENTSOF(parts)) {
                parts[n++] = p;
                save = strchr(p, ':');
                if (!save)
                        break;
                *save = 0;
                p = save + 1;
        }
        if (save)
                return false;
        if (n >= 7 && streq(parts[0], "arn")) {
                if (!streq(parts[2], "lambda") || !streq(parts[5], "function") || n > 8)
                        return false;
                snprintf(id->region, sizeof(id->region), "%s", parts[3]);
                snprintf(id->account, sizeof(id->account), "%s", parts[4]);
                base = 6;
        } else if (n >= 3 && streq(parts[1], "function")) {
                if (n > 4)
                        return false;
                snprintf(id->account, sizeof(id->account), "%s", parts[0]);
                base = 2;
        } else {
                if (n > 2)
                        return false;
                base = 0;
        }
        if (!name_valid(parts[base]) || strlen(parts[base]) >= sizeof(id->name))
                return false;
        strcpy(id->name, parts[base]);
        if (base + 1 < n) {
                if (!qualifier_valid(parts[base + 1]))
                        return false;
                strcpy(id->qualifier, parts[base + 1]);
        }
        return true;
}

/* An ARN names the function of its region and account, not a namesake here. Real Lambda
 * answers an ARN of another region with 404 ResourceNotFoundException "Functions from 'R' are
 * not reachable in this region ('S')" (aws-cli issue 3954 and others quote it); one of another
 * account goes through IAM, and the event-invoke-config operations take no resource policy, so
 * the caller is not authorized: 403 AccessDeniedException. Responds and returns false then. */
static bool lambda_check_locators(FakeCall *c, const FakeLambdaId *id) {
        char msg[512];

        if (id->region[0] && !streq(id->region, c->region)) {
                snprintf(msg, sizeof(msg),
                         "Functions from '%s' are not reachable in this region ('%s')", id->region,
                         c->region);
                lambda_fail(c, 404, "ResourceNotFoundException", msg);
                return false;
        }
        if (id->account[0] && !streq(id->account, c->fc->aws_account)) {
                snprintf(
                        msg, sizeof(msg),
                        "User: arn:aws:iam::%s:user/fakecloud is not authorized to perform: lambda:%s on "
                        "resource: arn:aws:lambda:%s:%s:function:%s",
                        c->fc->aws_account,
                        streq(c->req->method, "GET")      ? "GetFunctionEventInvokeConfig"
                        : streq(c->req->method, "DELETE") ? "DeleteFunctionEventInvokeConfig"
                                                          : "PutFunctionEventInvokeConfig",
                        id->region[0] ? id->region : c->region, id->account, id->name);
                lambda_fail(c, 403, "AccessDeniedException", msg);
                return false;
        }
        return true;
}

/* Resolves the function and qualifier of a request; responds and returns false on error. */
static bool lambda_resolve(FakeCall *c, FakeLambdaId *id) {
        const char *q = fake_call_query(c, "Qualifier");

        *id = (FakeLambdaId){};
        if (!fake_lambda_parse_function_name(c->segments[2], id)) {
                lambda_fail_invalid(
                        c,
                        "1 validation error detected: Value at 'functionName' failed to satisfy "
                        "constraint: Member must satisfy regular expression pattern: "
                        "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?"
                        "(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
                return false;
        }
        if (!lambda_check_locators(c, id))
                return false;
        if (q) {
                if (!qualifier_valid(q)) {
                        lambda_fail_invalid(
                                c, "1 validation error detected: Value at 'qualifier' failed to "
                                   "satisfy constraint: Member must satisfy regular expression "
                                   "pattern: (|[a-zA-Z0-9$_-]+)");
                        return false;
                }
                if (id->qualifier[0] && !streq(id->qualifier, q)) {
                        lambda_fail_invalid(
                                c, "The derived qualifier from the function name does not match "
                                   "the specified qualifier.");
                        return false;
                }
                snprintf(id->qualifier, sizeof(id->qualifier), "%s", q);
        }
        if (!id->qualifier[0])
                strcpy(id->qualifier, "$LATEST");
        return true;
}

static void lambda_arn(FakeCall *c, const FakeFunction *fn, const FakeLambdaId *id, bool qualified,
                       char *buf, size_t size) {
        const char *region = fn && fn->arn_region ? fn->arn_region
                             : id->region[0]      ? id->region
                                                  : c->region;
        const char *account = fn && fn->arn_account ? fn->arn_account
                              : id->account[0]      ? id->account
                                                    : c->fc->aws_account;

        snprintf(buf, size, "arn:aws:lambda:%s:%s:function:%s%s%s", region, account, id->name,
                 qualified ? ":" : "", qualified ? id->qualifier : "");
}

/* Locks and finds the function; responds 404 (shard still locked, fn NULL) when it or the
 * qualifier does not exist. */
static FakeFunction *lambda_lock(FakeCall *c, const FakeLambdaId *id, bool write,
                                 bool check_qualifier) {
        FakeFunction *fn = fake_store_lock(c->fc->store, FAKE_API_LAMBDA, id->name, write);
        char arn[512], msg[600];

        if (fn && (!check_qualifier || fake_function_has_qualifier(fn, id->qualifier)))
                return fn;
        lambda_arn(c, fn, id, fn != NULL, arn, sizeof(arn));
        snprintf(msg, sizeof(msg), "Function not found: %s", arn);
        lambda_fail(c, 404, "ResourceNotFoundException", msg);
        return NULL;
}

static void lambda_fail_no_config(FakeCall *c, const FakeFunction *fn, const void *userdata) {
        const FakeLambdaId *id = userdata;
        char arn[512], msg[600];

        lambda_arn(c, fn, id, true, arn, sizeof(arn));
        snprintf(msg, sizeof(msg), "The function %s doesn't have an EventInvokeConfig", arn);
        lambda_fail(c, 404, "ResourceNotFoundException", msg);
}

/* ---- bodies ---------------------------------------------------------------------------- */

/* Reads one Destination object ({"Destination": "arn"|null|""} or null). */
static int parse_destination(FakeCall *c, json_t *o, bool on_failure, const char **ret) {
        json_t *d;
        const char *s;

        if (!o || json_is_null(o)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_object(o))
                return lambda_error(c, FAKE_ERROR_BODY,
                                    "Could not parse request body into json: "
                                    "expected an object for OnSuccess/OnFailure"),
                       -EINVAL;
        d = json_object_get(o, "Destination");
        if (!d || json_is_null(d)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_string(d))
                return lambda_error(c, FAKE_ERROR_BODY,
                                    "Could not parse request body into json: "
                                    "expected a string for Destination"),
                       -EINVAL;
        s = json_string_value(d);
        if (json_string_length(d) > LAMBDA_DESTINATION_MAX)
                return lambda_fail_invalid(
                               c, "1 validation error detected: Value at 'destination' failed to "
                                  "satisfy constraint: Member must have length less than or "
                                  "equal to 350"),
                       -EINVAL;
        if (s[0] && !startswith(s, "arn:") && !startswith(s, "kafka://"))
                return lambda_fail_invalid(c, "The destination ARN is invalid."), -EINVAL;
        if (!on_failure && startswith(s, "arn:aws:s3:"))
                return lambda_fail_invalid(c, "S3 is not supported as an OnSuccess destination."),
                       -EINVAL;
        *ret = s[0] ? s : NULL;
        return 0;
}

static int parse_int(FakeCall *c, json_t *v, const char *field, json_int_t lo, json_int_t hi,
                     bool *has, json_int_t *ret) {
        char msg[256];

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v)) {
                snprintf(msg, sizeof(msg),
                         "Could not parse request body into json: expected an integer for %s",
                         field);
                lambda_error(c, FAKE_ERROR_BODY, msg);
                return -EINVAL;
        }
        if (json_integer_value(v) < lo || json_integer_value(v) > hi) {
                bool low = json_integer_value(v) < lo;
                snprintf(
                        msg, sizeof(msg),
                        "1 validation error detected: Value '%" JSON_INTEGER_FORMAT
                        "' at '%c%s' failed to "
                        "satisfy constraint: Member must have value %s than or equal to %" JSON_INTEGER_FORMAT,
                        json_integer_value(v), field[0] + 32, field + 1, low ? "greater" : "less",
                        low ? lo : hi);
                lambda_fail_invalid(c, msg);
                return -EINVAL;
        }
        *has = true;
        *ret = json_integer_value(v);
        return 0;
}

/* Overlays the fields of a request body on f (a PUT starts from an empty f, a POST from the
 * stored config). Responds and returns -EINVAL on invalid input. */
static int lambda_parse_body(FakeCall *c, json_t *body, LambdaFields *f) {
        json_t *dc = json_object_get(body, "DestinationConfig");
        int r;

        r = parse_int(c, json_object_get(body, "MaximumRetryAttempts"), "MaximumRetryAttempts", 0,
                      LAMBDA_RETRIES_MAX, &f->has_retries, &f->retries);
        if (r < 0)
                return r;
        r = parse_int(c, json_object_get(body, "MaximumEventAgeInSeconds"),
                      "MaximumEventAgeInSeconds", LAMBDA_AGE_MIN, LAMBDA_AGE_MAX, &f->has_age,
                      &f->age);
        if (r < 0)
                return r;
        if (!dc || json_is_null(dc))
                return 0;
        if (!json_is_object(dc)) {
                lambda_error(c, FAKE_ERROR_BODY,
                             "Could not parse request body into json: expected an object "
                             "for DestinationConfig");
                return -EINVAL;
        }
        if (json_object_get(dc, "OnSuccess")) {
                r = parse_destination(c, json_object_get(dc, "OnSuccess"), false, &f->on_success);
                if (r < 0)
                        return r;
        }
        if (json_object_get(dc, "OnFailure")) {
                r = parse_destination(c, json_object_get(dc, "OnFailure"), true, &f->on_failure);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Reads a stored config back (no validation: drift may have stored anything). */
static void lambda_fields_from_wire(json_t *w, LambdaFields *f) {
        json_t *v, *dc = json_object_get(w, "DestinationConfig");

        if ((v = json_object_get(w, "MaximumRetryAttempts")) && json_is_integer(v))
                *f = (LambdaFields){ .has_retries = true, .retries = json_integer_value(v) };
        if ((v = json_object_get(w, "MaximumEventAgeInSeconds")) && json_is_integer(v)) {
                f->has_age = true;
                f->age = json_integer_value(v);
        }
        f->on_success =
                json_string_value(json_object_get(json_object_get(dc, "OnSuccess"), "Destination"));
        f->on_failure =
                json_string_value(json_object_get(json_object_get(dc, "OnFailure"), "Destination"));
}

static json_t *destination_json(const char *d) {
        return d ? json_pack("{s:s}", "Destination", d) : json_object();
}

static char *lambda_render(FakeCall *c, const LambdaFields *f, const char *arn) {
        json_t *o = json_pack("{s:s,s:f}", "FunctionArn", arn, "LastModified",
                              (double) (c->now_usec / 1000) / 1000.0);
        char *s;

        if (!o)
                return NULL;
        if (f->has_retries)
                json_object_set_new(o, "MaximumRetryAttempts", json_integer(f->retries));
        if (f->has_age)
                json_object_set_new(o, "MaximumEventAgeInSeconds", json_integer(f->age));
        json_object_set_new(o, "DestinationConfig",
                            json_pack("{s:o,s:o}", "OnSuccess", destination_json(f->on_success),
                                      "OnFailure", destination_json(f->on_failure)));
        s = fake_json_dump(o);
        json_decref(o);
        return s;
}

/* ---- operations ------------------------------------------------------------------------ */

static void lambda_get(FakeCall *c, const FakeLambdaId *id) {
        fake_call_get_config(c, lambda_lock(c, id, false, true), id->qualifier,
                             lambda_fail_no_config, id);
        fake_store_unlock(c->fc->store, FAKE_API_LAMBDA, id->name);
}

static void lambda_write(FakeCall *c, const FakeLambdaId *id, bool merge) {
        _cleanup_(json_decrefp) json_t *body = NULL, *old = NULL;
        LambdaFields f = {};
        FakeFunction *fn;
        FakeConfig *cfg;
        char err[256], arn[512];

        body = fake_call_parse_body(c, err, sizeof(err));
        if (!body) {
                char msg[300];
                snprintf(msg, sizeof(msg), "Could not parse request body into json: %s", err);
                return lambda_error(c, FAKE_ERROR_BODY, msg);
        }
        fn = lambda_lock(c, id, true, true);
        if (!fn)
                goto finish;
        cfg = fake_function_get_config(fn, id->qualifier);
        if (merge) {
                if (!cfg) {
                        lambda_fail_no_config(c, fn, id);
                        goto finish;
                }
                old = json_loads(cfg->wire, 0, NULL);
                if (old)
                        lambda_fields_from_wire(old, &f);
        }
        if (lambda_parse_body(c, body, &f) < 0)
                goto finish;
        lambda_arn(c, fn, id, true, arn, sizeof(arn));
        fake_call_put_config(c, fn, id->qualifier, lambda_render(c, &f, arn));
finish:
        fake_store_unlock(c->fc->store, FAKE_API_LAMBDA, id->name);
}

static void lambda_delete(FakeCall *c, const FakeLambdaId *id) {
        fake_call_delete_config(c, lambda_lock(c, id, true, true), id->qualifier,
                                lambda_fail_no_config, id);
        fake_store_unlock(c->fc->store, FAKE_API_LAMBDA, id->name);
}

static int parse_max_items(FakeCall *c, size_t *ret) {
        long v;

        if (fake_call_query_long(c, "MaxItems", 1, LAMBDA_LIST_MAX, LAMBDA_LIST_MAX, &v) < 0) {
                lambda_fail_invalid(
                        c, "1 validation error detected: Value at 'maxItems' failed to satisfy "
                           "constraint: Member must have value between 1 and 50");
                return -EINVAL;
        }
        *ret = (size_t) v;
        return 0;
}

static void lambda_list(FakeCall *c, const FakeLambdaId *id) {
        _cleanup_(json_decrefp) json_t *items = json_array();
        const char *marker = fake_call_query(c, "Marker");
        FakeFunction *fn;
        size_t max, i;

        if (!items) {
                c->oom = true;
                return;
        }
        if (parse_max_items(c, &max) < 0)
                return;
        fn = lambda_lock(c, id, false, false);
        if (!fn)
                goto finish;
        i = fake_function_config_index_after(fn, marker);
        for (size_t k = 0; i < fn->n_configs && k < max; i++, k++)
                if (json_array_append_new(
                            items, fake_list_item(c, fn->configs[i].wire, "FunctionArn", 6)) < 0)
                        c->oom = true;
        fake_call_respond_json(c, 200,
                               json_pack("{s:O,s:s?}", "FunctionEventInvokeConfigs", items,
                                         "NextMarker",
                                         i < fn->n_configs ? fn->configs[i - 1].qualifier : NULL));
finish:
        fake_store_unlock(c->fc->store, FAKE_API_LAMBDA, id->name);
}

static void lambda_handle(FakeCall *c) {
        const char *m = c->req->method;
        FakeLambdaId id;
        bool list;

        if (c->n_segments < 4 || c->n_segments > 5 || !streq(c->segments[1], "functions") ||
            !streq(c->segments[3], "event-invoke-config") ||
            (c->n_segments == 5 && !streq(c->segments[4], "list")))
                return lambda_error(c, FAKE_ERROR_NO_ROUTE, NULL);
        list = c->n_segments == 5;
        if (list ? !streq(m, "GET")
                 : !(streq(m, "GET") || streq(m, "PUT") || streq(m, "POST") || streq(m, "DELETE")))
                return lambda_error(c, FAKE_ERROR_METHOD, NULL);
        if (!lambda_resolve(c, &id))
                return;
        if (list)
                lambda_list(c, &id);
        else if (streq(m, "GET"))
                lambda_get(c, &id);
        else if (streq(m, "DELETE"))
                lambda_delete(c, &id);
        else
                lambda_write(c, &id, streq(m, "POST"));
}

/* ---- versions and aliases (API 2015-03-31) --------------------------------------------
 *
 *   GET /2015-03-31/functions/{FunctionName}/versions[?Marker=&MaxItems=]   ListVersionsByFunction
 *   GET /2015-03-31/functions/{FunctionName}/aliases[?Marker=&MaxItems=]    ListAliases
 *
 * A function's versions are $LATEST and its all-digit qualifiers, its aliases the others
 * (fake_names_add_function()); an alias points at the highest version, else $LATEST. */

#define LAMBDA_VERSIONS_MAX 10000

static bool lambda_is_version(const char *q) {
        return q[0] && strspn(q, "0123456789") == strlen(q);
}

static json_t *lambda_version_json(FakeCall *c, const FakeFunction *fn, const FakeLambdaId *id,
                                   const char *version) {
        FakeLambdaId v = *id;
        char arn[512];

        snprintf(v.qualifier, sizeof(v.qualifier), "%s", version);
        lambda_arn(c, fn, &v, true, arn, sizeof(arn));
        return json_pack("{s:s,s:s,s:s}", "FunctionName", id->name, "FunctionArn", arn, "Version",
                         version);
}

static json_t *lambda_alias_json(FakeCall *c, const FakeFunction *fn, const FakeLambdaId *id,
                                 const char *alias, const char *version) {
        FakeLambdaId v = *id;
        char arn[512];

        snprintf(v.qualifier, sizeof(v.qualifier), "%s", alias);
        lambda_arn(c, fn, &v, true, arn, sizeof(arn));
        return json_pack("{s:s,s:s,s:s,s:s,s:s}", "AliasArn", arn, "Name", alias, "FunctionVersion",
                         version, "Description", "", "RevisionId",
                         "00000000-0000-4000-8000-000000000000");
}

/* The versions ($LATEST first) or aliases of fn, in order, and the version an alias points
 * at (the highest, else $LATEST). */
static void lambda_names(const FakeFunction *fn, bool versions, FakeNames *out,
                         char top[static 129]) {
        FakeNames all = {};

        fake_names_add_function(&all, fn);
        fake_names_sort(&all);
        strcpy(top, "$LATEST");
        if (versions)
                fake_names_add(out, "$LATEST");
        for (size_t i = 0; i < all.n; i++) {
                bool v = lambda_is_version(all.names[i]);
                if (v && (streq(top, "$LATEST") ||
                          strtoull(all.names[i], NULL, 10) > strtoull(top, NULL, 10)))
                        snprintf(top, 129, "%s", all.names[i]);
                if (v == versions)
                        fake_names_add(out, all.names[i]);
        }
        out->oom |= all.oom;
        fake_names_done(&all);
}

static void lambda_list_names(FakeCall *c, const FakeLambdaId *id, bool versions) {
        _cleanup_(json_decrefp) json_t *items = json_array();
        const char *marker = fake_call_query(c, "Marker");
        FakeNames names = {};
        FakeFunction *fn;
        char top[129];
        size_t i;
        long max;

        if (!items) {
                c->oom = true;
                return;
        }
        if (fake_call_query_long(c, "MaxItems", 1, LAMBDA_VERSIONS_MAX, LAMBDA_LIST_MAX, &max) < 0)
                return lambda_fail_invalid(
                        c, "1 validation error detected: Value at 'maxItems' failed to satisfy "
                           "constraint: Member must have value between 1 and 10000");
        fn = lambda_lock(c, id, false, false);
        if (!fn)
                goto finish;
        lambda_names(fn, versions, &names, top);
        /* $LATEST sorts first by strcmp too, so the marker order is the answer's order. */
        i = fake_names_index_after(&names, marker);
        for (size_t k = 0; i < names.n && k < (size_t) max; i++, k++)
                if (json_array_append_new(
                            items, versions
                                           ? lambda_version_json(c, fn, id, names.names[i])
                                           : lambda_alias_json(c, fn, id, names.names[i], top)) < 0)
                        c->oom = true;
        c->oom |= names.oom;
        fake_call_respond_json(c, 200,
                               json_pack("{s:O,s:s?}", versions ? "Versions" : "Aliases", items,
                                         "NextMarker", i < names.n ? names.names[i - 1] : NULL));
finish:
        fake_names_done(&names);
        fake_store_unlock(c->fc->store, FAKE_API_LAMBDA, id->name);
}

static void lambda_functions_handle(FakeCall *c) {
        FakeLambdaId id = {};

        if (c->n_segments != 4 || !streq(c->segments[1], "functions") ||
            !(streq(c->segments[3], "versions") || streq(c->segments[3], "aliases")))
                return lambda_error(c, FAKE_ERROR_NO_ROUTE, NULL);
        if (!streq(c->req->method, "GET"))
                return lambda_error(c, FAKE_ERROR_METHOD, NULL);
        if (!fake_lambda_parse_function_name(c->segments[2], &id) || id.qualifier[0])
                return lambda_fail_invalid(
                        c, "1 validation error detected: Value at 'functionName' failed to "
                           "satisfy constraint: Member must satisfy regular expression pattern: "
                           "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?"
                           "(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)");
        strcpy(id.qualifier, "$LATEST");
        lambda_list_names(c, &id, streq(c->segments[3], "versions"));
}

const FakeApiOps fake_lambda_functions_ops = {
        .api = FAKE_API_LAMBDA,
        .prefix = "/2015-03-31/",
        .algorithm = SIGN_ALGORITHM_SIGV4,
        .request_id_header = "x-amzn-RequestId",
        .handle = lambda_functions_handle,
        .error = lambda_error,
};

const FakeApiOps fake_lambda_ops = {
        .api = FAKE_API_LAMBDA,
        .prefix = "/2019-09-25/",
        .algorithm = SIGN_ALGORITHM_SIGV4,
        .request_id_header = "x-amzn-RequestId",
        .handle = lambda_handle,
        .error = lambda_error,
};
