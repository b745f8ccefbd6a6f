/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sort-util.h"
#include "lib/json-writer.h"
#include "lib/macro.h"

void json_writer_init(JsonWriter *w, unsigned indent, unsigned depth, bool sort_keys) {
        assert(indent < 32); /* JSON_INDENT()'s range */
        *w = (JsonWriter){ .indent = indent, .depth = depth, .sort_keys = sort_keys };
}

void json_writer_init_compact(JsonWriter *w) {
        *w = (JsonWriter){ .compact = true };
}

void json_writer_done(JsonWriter *w) {
        strbuf_done(&w->buf);
}

void json_writer_fail(JsonWriter *w, int error) {
        if (w->error == 0)
                w->error = error;
}

int json_writer_error(const JsonWriter *w) {
        return w->error < 0 ? w->error : w->buf.failed ? -ENOMEM : 0;
}

int json_writer_flush(JsonWriter *w, FILE *f) {
        int r = json_writer_error(w);

        if (r < 0)
                return r;
        if (w->buf.len > 0 && fwrite(w->buf.s, 1, w->buf.len, f) != w->buf.len)
                return -EIO;
        /* Emptied in place: the allocation is reused for what comes next. */
        w->buf.len = 0;
        if (w->buf.s)
                w->buf.s[0] = 0;
        return 0;
}

int json_writer_take(JsonWriter *w, char **ret, size_t *ret_size) {
        size_t n = w->buf.len;
        int r = json_writer_error(w);

        if (r >= 0)
                r = strbuf_take(&w->buf, ret);
        json_writer_done(w);
        if (r < 0)
                return r;
        *ret_size = n;
        return 0;
}

/* ---- layout (jansson's dump_indent()) --------------------------------------------------- */

/* A line break and the indentation of level depth; without indentation, a space where jansson
 * puts one (after a comma). */
static void writer_newline(JsonWriter *w, unsigned depth, bool after_comma) {
        static const char spaces[] = "                                ";
        size_t n = (size_t) depth * w->indent;

        if (w->indent == 0) {
                if (after_comma && !w->compact)
                        strbuf_putc(&w->buf, ' ');
                return;
        }
        strbuf_putc(&w->buf, '\n');
        for (; n > 0; n -= MIN(n, sizeof(spaces) - 1))
                strbuf_put(&w->buf, spaces, MIN(n, sizeof(spaces) - 1));
}

/* What goes before a value or a key: nothing after a key or at the top; in a container, a line
 * break before the first member and a comma and a line break before the others. */
static void writer_begin_item(JsonWriter *w) {
        if (w->after_key) {
                w->after_key = false;
                return;
        }
        if (w->n_open == 0)
                return;
        if (!w->empty)
                strbuf_putc(&w->buf, ',');
        writer_newline(w, w->depth, !w->empty);
        w->empty = false;
}

static void writer_open(JsonWriter *w, char c) {
        writer_begin_item(w);
        strbuf_putc(&w->buf, c);
        w->n_open++;
        w->depth++;
        w->empty = true;
}

static void writer_close(JsonWriter *w, char c) {
        assert(w->n_open > 0 && !w->after_key);
        w->n_open--;
        w->depth--;
        if (!w->empty)
                writer_newline(w, w->depth, false);
        strbuf_putc(&w->buf, c);
        /* The container just closed is a member of its parent. */
        w->empty = false;
}

void json_writer_open_object(JsonWriter *w) {
        writer_open(w, '{');
}

void json_writer_close_object(JsonWriter *w) {
        writer_close(w, '}');
}

void json_writer_open_array(JsonWriter *w) {
        writer_open(w, '[');
}

void json_writer_close_array(JsonWriter *w) {
        writer_close(w, ']');
}

/* ---- strings (jansson's dump_string() and utf8_check_*()) -------------------------------- */

/* The length of the UTF-8 sequence starting at s (n bytes available), 0 when it is not one
 * jansson accepts: no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_sequence_length(const unsigned char *s, size_t n) {
        size_t len = s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : s[0] < 0xf5 ? 4 : 0;
        uint32_t v;

        if (len == 0 || len > n)
                return 0;
        v = s[0] & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                v = (v << 6) | (s[i] & 0x3f);
        }
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || (len == 3 && v < 0x800) ||
            (len == 4 && v < 0x10000))
                return 0;
        return len;
}

static void put_escape(StrBuf *b, unsigned char c) {
        static const char hex[] = "0123456789ABCDEF";
        char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf] };

        switch (c) {
        case '"':
                strbuf_put(b, "\\\"", 2);
                break;
        case '\\':
                strbuf_put(b, "\\\\", 2);
                break;
        case '\b':
                strbuf_put(b, "\\b", 2);
                break;
        case '\f':
                strbuf_put(b, "\\f", 2);
                break;
        case '\n':
                strbuf_put(b, "\\n", 2);
                break;
        case '\r':
                strbuf_put(b, "\\r", 2);
                break;
        case '\t':
                strbuf_put(b, "\\t", 2);
                break;
        default:
                strbuf_put(b, u, sizeof(u));
        }
}

/* The bytes written as they are without a look: printable ASCII but '"' and '\\' (one load per
 * byte instead of four comparisons; keys and values are mostly these). */
static const bool json_plain[256] = {
        [0x20 ... 0x21] = true, /* '"' is 0x22 */
        [0x23 ... 0x5b] = true, /* '\\' is 0x5c */
        [0x5d ... 0x7f] = true,
};

/* Whether none of the eight bytes of x needs a look (json_plain[] for each, at once): no byte
 * below 0x20, none at or above 0x80, no '"' and no '\\'. The tests are the usual ones for "a
 * byte less than" and "a zero byte" in a word, exact for whether any byte matches. */
static bool word_is_plain(uint64_t x) {
        const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
        uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');

        return ((x | ((x - ones * 0x20) & ~x) | ((quote - ones) & ~quote) |
                 ((backslash - ones) & ~backslash)) &
                highs) == 0;
}

/* s[0..n) quoted and escaped: '"', '\\' and control characters; everything else (non-ASCII
 * and '/' included) as is once checked. */
static void writer_put_string(JsonWriter *w, const char *s, size_t n) {
        const unsigned char *p = (const unsigned char *) s, *end = p + n, *run = p;

        strbuf_putc(&w->buf, '"');
        while (p < end) {
                uint64_t x;

                if (end - p >= 8) {
                        memcpy(&x, p, sizeof(x));
                        if (word_is_plain(x)) {
                                p += 8;
                                continue;
                        }
                }
                if (json_plain[*p]) {
                        p++;
                        continue;
                }
                if (*p >= 0x80) {
                        size_t k = utf8_sequence_length(p, (size_t) (end - p));
                        if (k == 0) {
                                json_writer_fail(w, -EINVAL);
                                return;
                        }
                        p += k;
                        continue;
                }
                strbuf_put(&w->buf, (const char *) run, (size_t) (p - run));
                put_escape(&w->buf, *p);
                run = ++p;
        }
        strbuf_put(&w->buf, (const char *) run, (size_t) (p - run));
        strbuf_putc(&w->buf, '"');
}

/* A member's key and the separator before its value. */
static void writer_put_key(JsonWriter *w, const char *key, size_t len) {
        assert(w->n_open > 0 && !w->after_key);
        writer_begin_item(w);
        writer_put_string(w, key, len);
        strbuf_put(&w->buf, ": ", w->compact ? 1 : 2);
        w->after_key = true;
}

void json_writer_key(JsonWriter *w, const char *key) {
        writer_put_key(w, key, strlen(key));
}

/* ---- scalars ------------------------------------------------------------------------------ */

void json_writer_string(JsonWriter *w, const char *s) {
        if (!s) { /* what json_pack("s") refuses */
                json_writer_fail(w, -EINVAL);
                return;
        }
        writer_begin_item(w);
        writer_put_string(w, s, strlen(s));
}

void json_writer_string_or_null(JsonWriter *w, const char *s) {
        if (s)
                json_writer_string(w, s);
        else
                json_writer_null(w);
}

static void writer_put_literal(JsonWriter *w, const char *s, size_t n) {
        writer_begin_item(w);
        strbuf_put(&w->buf, s, n);
}

void json_writer_integer(JsonWriter *w, int64_t i) {
        writer_begin_item(w);
        strbuf_put_int(&w->buf, i);
}

void json_writer_bool(JsonWriter *w, bool b) {
        writer_put_literal(w, b ? "true" : "false", b ? 4 : 5);
}

void json_writer_null(JsonWriter *w) {
        writer_put_literal(w, "null", 4);
}

/* ---- jansson values ------------------------------------------------------------------------ */

/* A real as jansson writes it (its own shortest-round-trip formatting): rare enough here
 * (only inside a Huawei destination's param) to let jansson do it. */
static void writer_put_real(JsonWriter *w, const json_t *j) {
        _cleanup_free_ char *s = json_dumps(j, JSON_ENCODE_ANY);

        if (!s) {
                json_writer_fail(w, -ENOMEM);
                return;
        }
        writer_put_literal(w, s, strlen(s));
}

typedef struct KeyRef {
        const char *key;
        size_t len;
} KeyRef;

/* jansson's compare_keys(): bytes, then length. */
static int key_ref_compare(const void *a, const void *b) {
        const KeyRef *x = a, *y = b;
        int c = memcmp(x->key, y->key, MIN(x->len, y->len));

        if (c != 0)
                return c;
        return x->len < y->len ? -1 : x->len > y->len;
}

static void writer_put_member(JsonWriter *w, const char *key, size_t len, const json_t *v) {
        writer_put_key(w, key, len);
        json_writer_json(w, v);
}

static void writer_put_sorted_members(JsonWriter *w, const json_t *o) {
        size_t n = json_object_size(o), i = 0;
        _cleanup_free_ KeyRef *keys = calloc(n, sizeof(KeyRef));

        if (!keys) {
                json_writer_fail(w, -ENOMEM);
                return;
        }
        for (void *it = json_object_iter((json_t *) o); it;
             it = json_object_iter_next((json_t *) o, it))
                keys[i++] = (KeyRef){ json_object_iter_key(it), json_object_iter_key_len(it) };
        qsort_safe(keys, n, sizeof(KeyRef), key_ref_compare);
        for (i = 0; i < n; i++)
                writer_put_member(w, keys[i].key, keys[i].len,
                                  json_object_getn(o, keys[i].key, keys[i].len));
}

static void writer_put_object(JsonWriter *w, const json_t *o) {
        json_writer_open_object(w);
        if (w->sort_keys && json_object_size(o) > 1)
                writer_put_sorted_members(w, o);
        else
                for (void *it = json_object_iter((json_t *) o); it;
                     it = json_object_iter_next((json_t *) o, it))
                        writer_put_member(w, json_object_iter_key(it), json_object_iter_key_len(it),
                                          json_object_iter_value(it));
        json_writer_close_object(w);
}

void json_writer_json(JsonWriter *w, const json_t *j) {
        if (!j) { /* what json_dumpf() refuses */
                json_writer_fail(w, -EINVAL);
                return;
        }
        switch (json_typeof(j)) {
        case JSON_OBJECT:
                writer_put_object(w, j);
                break;
        case JSON_ARRAY:
                json_writer_open_array(w);
                for (size_t i = 0; i < json_array_size(j); i++)
                        json_writer_json(w, json_array_get(j, i));
                json_writer_close_array(w);
                break;
        case JSON_STRING:
                writer_begin_item(w);
                writer_put_string(w, json_string_value(j), json_string_length(j));
                break;
        case JSON_INTEGER:
                json_writer_integer(w, json_integer_value(j));
                break;
        case JSON_REAL:
                writer_put_real(w, j);
                break;
        case JSON_TRUE:
        case JSON_FALSE:
                json_writer_bool(w, json_is_true(j));
                break;
        case JSON_NULL:
                json_writer_null(w);
                break;
        }
}
