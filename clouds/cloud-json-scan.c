/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "clouds/cloud-json-scan.h"

#define SCAN_MAX_DEPTH 32
#define SCAN_MAX_DIGITS 18

/* Where the scan is; fail: the body is not one the fast path takes (or -ENOMEM). */
typedef struct Scan {
        const char *p, *end;
        int fail;
} Scan;

static json_t *scan_value(Scan *s, unsigned depth);

static void scan_space(Scan *s) {
        while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
                s->p++;
}

/* Consumes c (after blanks) if it is next. */
static bool scan_char(Scan *s, char c) {
        scan_space(s);
        if (s->p < s->end && *s->p == c) {
                s->p++;
                return true;
        }
        return false;
}

/* A string's bytes (after its opening quote) up to the closing one: printable ASCII only, no
 * escape, so that they are exactly jansson's value. NULL: not one the fast path takes. */
static const char *scan_string_body(Scan *s, size_t *ret_len) {
        const char *start = s->p;

        for (; s->p < s->end; s->p++) {
                unsigned char c = (unsigned char) *s->p;
                if (c == '"') {
                        *ret_len = (size_t) (s->p++ - start);
                        return start;
                }
                if (c < 0x20 || c >= 0x80 || c == '\\')
                        break;
        }
        return NULL;
}

static json_t *scan_string(Scan *s) {
        size_t len;
        const char *v = scan_string_body(s, &len);
        json_t *j;

        if (!v)
                return NULL;
        j = json_stringn_nocheck(v, len);
        if (!j)
                s->fail = -ENOMEM;
        return j;
}

/* -?(0|[1-9][0-9]*), not followed by a fraction or exponent (jansson's reals are left to it). */
static json_t *scan_integer(Scan *s) {
        bool negative = s->p < s->end && *s->p == '-';
        const char *digits = s->p + negative;
        int64_t v = 0;
        json_t *j;

        s->p = digits;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
                v = v * 10 + (*s->p++ - '0');
        if (s->p == digits || s->p - digits > SCAN_MAX_DIGITS ||
            (*digits == '0' && s->p - digits > 1) ||
            (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E')))
                return NULL;
        j = json_integer(negative ? -v : v);
        if (!j)
                s->fail = -ENOMEM;
        return j;
}

static bool scan_word(Scan *s, const char *w, size_t n) {
        if ((size_t) (s->end - s->p) < n || memcmp(s->p, w, n) != 0)
                return false;
        s->p += n;
        return true;
}

static json_t *scan_literal(Scan *s) {
        if (scan_word(s, "true", 4))
                return json_true();
        if (scan_word(s, "false", 5))
                return json_false();
        if (scan_word(s, "null", 4))
                return json_null();
        return NULL;
}

/* One member "key": value into o; false when the scan stops. */
static bool scan_member(Scan *s, json_t *o, unsigned depth) {
        char key[256];
        const char *k;
        size_t len;
        json_t *v;

        if (!scan_char(s, '"') || !(k = scan_string_body(s, &len)) || len >= sizeof(key) ||
            !scan_char(s, ':'))
                return false;
        memcpy(key, k, len);
        key[len] = 0;
        if (json_object_get(o, key)) /* a duplicate: jansson's error to give */
                return false;
        v = scan_value(s, depth + 1);
        if (!v)
                return false;
        if (json_object_set_new_nocheck(o, key, v) < 0) {
                s->fail = -ENOMEM;
                return false;
        }
        return true;
}

static json_t *scan_object(Scan *s, unsigned depth) {
        json_t *o = json_object();

        if (!o) {
                s->fail = -ENOMEM;
                return NULL;
        }
        if (scan_char(s, '}'))
                return o;
        do
                if (!scan_member(s, o, depth)) {
                        json_decref(o);
                        return NULL;
                }
        while (scan_char(s, ','));
        if (!scan_char(s, '}')) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static json_t *scan_array(Scan *s, unsigned depth) {
        json_t *a = json_array(), *v;

        if (!a) {
                s->fail = -ENOMEM;
                return NULL;
        }
        if (scan_char(s, ']'))
                return a;
        do {
                v = scan_value(s, depth + 1);
                if (v && json_array_append_new(a, v) < 0)
                        s->fail = -ENOMEM;
                if (!v || s->fail < 0) {
                        json_decref(a);
                        return NULL;
                }
        } while (scan_char(s, ','));
        if (!scan_char(s, ']')) {
                json_decref(a);
                return NULL;
        }
        return a;
}

static json_t *scan_value(Scan *s, unsigned depth) {
        if (depth > SCAN_MAX_DEPTH)
                return NULL;
        scan_space(s);
        if (s->p >= s->end)
                return NULL;
        switch (*s->p) {
        case '{':
                s->p++;
                return scan_object(s, depth);
        case '[':
                s->p++;
                return scan_array(s, depth);
        case '"':
                s->p++;
                return scan_string(s);
        case 't':
        case 'f':
        case 'n':
                return scan_literal(s);
        default:
                return scan_integer(s);
        }
}

int cloud_json_scan(const char *body, size_t size, json_t **ret) {
        Scan s = { .p = body, .end = body + size };
        json_t *v;

        /* An object only: what json_loadb() takes without JSON_DECODE_ANY (and all we read). */
        if (!scan_char(&s, '{'))
                return 0;
        v = scan_object(&s, 0);

        if (v) {
                scan_space(&s);
                if (s.p == s.end) {
                        *ret = v;
                        return 1;
                }
                json_decref(v);
        }
        return s.fail;
}
