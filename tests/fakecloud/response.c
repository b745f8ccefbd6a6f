/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "tests/fakecloud/internal.h"

void fake_response_done(FakeResponse *r) {
        if (!r)
                return;
        for (size_t i = 0; i < r->n_headers; i++)
                free(r->headers[i].value);
        free(r->body);
        *r = (FakeResponse){};
}

const char *fake_response_header(const FakeResponse *r, const char *name) {
        for (size_t i = 0; i < r->n_headers; i++)
                if (strcasecmp(r->headers[i].name, name) == 0)
                        return r->headers[i].value;
        return NULL;
}

void fake_call_header(FakeCall *c, const char *name, const char *value) {
        FakeResponse *r = c->resp;
        char *v;

        for (size_t i = 0; i < r->n_headers; i++)
                if (strcasecmp(r->headers[i].name, name) == 0) {
                        v = strdup(value);
                        if (!v) {
                                c->oom = true;
                                return;
                        }
                        free(r->headers[i].value);
                        r->headers[i].value = v;
                        return;
                }
        if (r->n_headers >= FAKE_RESPONSE_MAX_HEADERS)
                return;
        v = strdup(value);
        if (!v) {
                c->oom = true;
                return;
        }
        r->headers[r->n_headers++] = (FakeResponseHeader){ .name = name, .value = v };
}

void fake_call_respond(FakeCall *c, unsigned status, char *body) {
        c->resp->status = status;
        free(c->resp->body);
        c->resp->body = body;
        c->resp->body_size = body ? strlen(body) : 0;
        if (body)
                fake_call_header(c, "Content-Type", "application/json");
}

char *fake_json_dump(const json_t *j) {
        /* 13 significant digits: epoch seconds with milliseconds (1700000000.123), as Lambda's
         * LastModified. No other real appears in any answer. */
        return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(13));
}

void fake_call_respond_json(FakeCall *c, unsigned status, json_t *j) {
        char *s = j ? fake_json_dump(j) : NULL;

        json_decref(j);
        if (!s) {
                c->oom = true;
                c->resp->status = 500;
                return;
        }
        fake_call_respond(c, status, s);
}

const char *fake_call_query(const FakeCall *c, const char *key) {
        for (size_t i = 0; i < c->n_query; i++)
                if (streq(c->query[i].key, key))
                        return c->query[i].value;
        return NULL;
}

int fake_call_query_long(const FakeCall *c, const char *key, long lo, long hi, long def,
                         long *ret) {
        const char *s = fake_call_query(c, key);
        char *end;
        long v;

        if (!s) {
                *ret = def;
                return 0;
        }
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end || v < lo || v > hi)
                return -EINVAL;
        *ret = v;
        return 0;
}

void fake_call_respond_copy(FakeCall *c, unsigned status, const char *wire) {
        char *s = strdup(wire);

        if (!s)
                c->oom = true;
        else
                fake_call_respond(c, status, s);
}

void fake_call_get_config(FakeCall *c, FakeFunction *fn, const char *qualifier,
                          FakeNoConfig no_config, const void *userdata) {
        FakeConfig *cfg = fn ? fake_function_get_config(fn, qualifier) : NULL;

        if (fn && !cfg)
                no_config(c, fn, userdata);
        else if (cfg)
                fake_call_respond_copy(c, 200, cfg->wire);
}

void fake_call_delete_config(FakeCall *c, FakeFunction *fn, const char *qualifier,
                             FakeNoConfig no_config, const void *userdata) {
        if (fn && fake_function_delete_config(fn, qualifier) == 0)
                no_config(c, fn, userdata);
        else if (fn)
                fake_call_respond(c, 204, NULL);
}

void fake_call_put_config(FakeCall *c, FakeFunction *fn, const char *qualifier, char *wire) {
        if (!wire || fake_function_put_config(fn, qualifier, wire, c->now_usec) < 0) {
                c->oom = true;
                return;
        }
        fake_call_respond_copy(c, 200, wire);
}

const char *fake_call_header_get(const FakeCall *c, const char *name) {
        return sign_header_get(c->req->headers, c->req->n_headers, name);
}

json_t *fake_call_parse_body(const FakeCall *c, char *error, size_t error_size) {
        json_error_t e;
        json_t *j;

        if (c->req->body_size == 0)
                return json_object();
        j = json_loadb(c->req->body, c->req->body_size, JSON_REJECT_DUPLICATES, &e);
        if (!j) {
                snprintf(error, error_size, "%s at line %d column %d", e.text, e.line, e.column);
                return NULL;
        }
        if (!json_is_object(j)) {
                snprintf(error, error_size, "the body must be a JSON object");
                json_decref(j);
                return NULL;
        }
        return j;
}

_Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wformat-nonliteral\"")
        /* fmt is always one of the literals below. */
        static void format_time(int64_t usec, int offset_sec, const char *fmt,
                                char ret[static 32]) {
        time_t t = (time_t) (usec / 1000000) + offset_sec;
        struct tm tm;

        if (!gmtime_r(&t, &tm) || strftime(ret, 32, fmt, &tm) == 0)
                strcpy(ret, "1970-01-01T00:00:00Z");
}
_Pragma("GCC diagnostic pop")

        void fake_format_rfc3339_utc(int64_t usec, char ret[static 32]) {
        format_time(usec, 0, "%Y-%m-%dT%H:%M:%SZ", ret);
}

void fake_format_rfc3339_cst(int64_t usec, char ret[static 32]) {
        format_time(usec, 8 * 3600, "%Y-%m-%dT%H:%M:%S+08:00", ret);
}

void fake_format_plain_cst(int64_t usec, char ret[static 32]) {
        format_time(usec, 8 * 3600, "%Y-%m-%d %H:%M:%S", ret);
}

int fake_body_int(FakeCall *c, json_t *body, const char *key, json_int_t lo, json_int_t hi,
                  FakeFailFunc fail, json_t **ret) {
        json_t *v = json_object_get(body, key);

        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v))
                return fail(c, "%s must be an integer", key), -EINVAL;
        if (json_integer_value(v) < lo || json_integer_value(v) > hi)
                return fail(c,
                            "%s must be between %" JSON_INTEGER_FORMAT " and %" JSON_INTEGER_FORMAT,
                            key, lo, hi),
                       -EINVAL;
        *ret = v;
        return 0;
}

json_t *fake_list_item(const FakeCall *c, const char *wire, const char *key, size_t colons) {
        json_t *j = json_loads(wire, 0, NULL);
        const char *v, *last;
        size_t n = 0;

        if (!j || !__atomic_load_n(&c->fc->unqualified_lists, __ATOMIC_RELAXED))
                return j;
        if (colons == 0) {
                json_object_del(j, key);
                return j;
        }
        v = json_string_value(json_object_get(j, key));
        for (const char *p = v; p && *p; p++)
                n += *p == ':';
        if (v && n > colons && (last = strrchr(v, ':')))
                json_object_set_new(j, key, json_stringn(v, (size_t) (last - v)));
        return j;
}
