/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <strings.h>

#include "clouds/cloud-json.h"
#include "lib/macro.h"

static size_t utf8_sequence(const unsigned char *s);

/* ---- reading ------------------------------------------------------------------------- */

/* A reader for response bodies that accepts exactly what json_loadb(JSON_REJECT_DUPLICATES)
 * accepts and builds the same jansson values, but reads the text in runs instead of jansson's
 * byte at a time through a stream (which made up most of the 4 µs a config body took; building
 * the values is a fifth of that). Every response body of every call is read here. */

#define JSON_MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

typedef struct JsonReader {
        const unsigned char *p, *end;
        StrBuf text; /* the decoded string being read, reused */
        unsigned depth;
        int error; /* -EBADMSG or -ENOMEM once something failed */
} JsonReader;

static json_t *reader_fail(JsonReader *r, int error) {
        if (r->error == 0)
                r->error = error;
        return NULL;
}

static void reader_skip_space(JsonReader *r) {
        while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
                r->p++;
}

static int hex4(const unsigned char *p, uint32_t *ret) {
        uint32_t v = 0;

        for (size_t i = 0; i < 4; i++) {
                unsigned char c = p[i];
                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= c - '0';
                else if (c >= 'a' && c <= 'f')
                        v |= c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                        v |= c - 'A' + 10;
                else
                        return -EBADMSG;
        }
        *ret = v;
        return 0;
}

static void put_utf8(StrBuf *b, uint32_t cp) {
        char u[4];
        size_t n;

        if (cp < 0x80)
                u[0] = (char) cp, n = 1;
        else if (cp < 0x800)
                u[0] = (char) (0xC0 | cp >> 6), u[1] = (char) (0x80 | (cp & 0x3F)), n = 2;
        else if (cp < 0x10000)
                u[0] = (char) (0xE0 | cp >> 12), u[1] = (char) (0x80 | ((cp >> 6) & 0x3F)),
                u[2] = (char) (0x80 | (cp & 0x3F)), n = 3;
        else
                u[0] = (char) (0xF0 | cp >> 18), u[1] = (char) (0x80 | ((cp >> 12) & 0x3F)),
                u[2] = (char) (0x80 | ((cp >> 6) & 0x3F)), u[3] = (char) (0x80 | (cp & 0x3F)), n = 4;
        strbuf_put(b, u, n);
}

/* One \uXXXX escape (a surrogate pair as one), r->p after the 'u'. */
static int read_unicode_escape(JsonReader *r) {
        uint32_t cp, lo;

        if (r->end - r->p < 4 || hex4(r->p, &cp) < 0)
                return -EBADMSG;
        r->p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' || hex4(r->p + 2, &lo) < 0 ||
                    lo < 0xDC00 || lo > 0xDFFF)
                        return -EBADMSG;
                r->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if ((cp >= 0xDC00 && cp <= 0xDFFF) || cp == 0)
                return -EBADMSG; /* a lone low surrogate; NUL (no JSON_ALLOW_NUL) */
        put_utf8(&r->text, cp);
        return 0;
}

/* A string, r->p after the opening quote; decoded into r->text. */
static int read_string(JsonReader *r) {
        r->text.len = 0;
        strbuf_put(&r->text, "", 0);
        for (;;) {
                const unsigned char *run = r->p;

                while (r->p < r->end && *r->p >= 0x20 && *r->p < 0x80 && *r->p != '"' && *r->p != '\\')
                        r->p++;
                strbuf_put(&r->text, (const char *) run, (size_t) (r->p - run));
                if (r->p >= r->end || *r->p < 0x20)
                        return -EBADMSG; /* unterminated, or a control character */
                if (*r->p == '"') {
                        r->p++;
                        return r->text.failed ? -ENOMEM : 0;
                }
                if (*r->p >= 0x80) {
                        size_t n = r->end - r->p >= 4 ? utf8_sequence(r->p) : 0;
                        if (n == 0 && r->end - r->p < 4) {
                                /* utf8_sequence() reads up to 4 bytes: check a short tail copied */
                                unsigned char tail[4] = {};
                                memcpy(tail, r->p, (size_t) (r->end - r->p));
                                n = utf8_sequence(tail);
                                if (n > (size_t) (r->end - r->p))
                                        n = 0;
                        }
                        if (n == 0)
                                return -EBADMSG;
                        strbuf_put(&r->text, (const char *) r->p, n);
                        r->p += n;
                        continue;
                }
                /* a backslash */
                if (r->end - r->p < 2)
                        return -EBADMSG;
                r->p += 2;
                switch (r->p[-1]) {
                case '"':
                case '\\':
                case '/':
                        strbuf_putc(&r->text, (char) r->p[-1]);
                        break;
                case 'b':
                        strbuf_putc(&r->text, '\b');
                        break;
                case 'f':
                        strbuf_putc(&r->text, '\f');
                        break;
                case 'n':
                        strbuf_putc(&r->text, '\n');
                        break;
                case 'r':
                        strbuf_putc(&r->text, '\r');
                        break;
                case 't':
                        strbuf_putc(&r->text, '\t');
                        break;
                case 'u':
                        if (read_unicode_escape(r) < 0)
                                return -EBADMSG;
                        break;
                default:
                        return -EBADMSG;
                }
        }
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?: an integer when neither fraction nor
 * exponent is there (out of range is an error, as in jansson), else a real (overflow is an
 * error, underflow is not). */
static json_t *read_number(JsonReader *r) {
        const unsigned char *start = r->p;
        bool real = false;
        char buf[64], *endp;

        if (r->p < r->end && *r->p == '-')
                r->p++;
        if (r->p < r->end && *r->p == '0')
                r->p++;
        else if (r->p < r->end && *r->p >= '1' && *r->p <= '9')
                while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
                        r->p++;
        else
                return reader_fail(r, -EBADMSG);
        if (r->p < r->end && *r->p == '.') {
                real = true;
                r->p++;
                if (r->p >= r->end || *r->p < '0' || *r->p > '9')
                        return reader_fail(r, -EBADMSG);
                while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
                        r->p++;
        }
        if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
                real = true;
                r->p++;
                if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
                        r->p++;
                if (r->p >= r->end || *r->p < '0' || *r->p > '9')
                        return reader_fail(r, -EBADMSG);
                while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
                        r->p++;
        }

        size_t n = (size_t) (r->p - start);
        _cleanup_free_ char *heap = NULL;
        char *text = buf;
        json_t *v;

        if (n >= sizeof(buf)) {
                text = heap = strndup((const char *) start, n);
                if (!heap)
                        return reader_fail(r, -ENOMEM);
        } else {
                memcpy(buf, start, n);
                buf[n] = 0;
        }
        errno = 0;
        if (!real) {
                long long i = strtoll(text, &endp, 10);
                if (errno == ERANGE)
                        return reader_fail(r, -EBADMSG);
                v = json_integer(i);
        } else {
                double d = strtod(text, &endp);
                if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
                        return reader_fail(r, -EBADMSG);
                v = json_real(d);
        }
        return v ?: reader_fail(r, -ENOMEM);
}

static bool reader_literal(JsonReader *r, const char *word) {
        size_t n = strlen(word);

        if ((size_t) (r->end - r->p) < n || memcmp(r->p, word, n) != 0)
                return false;
        r->p += n;
        return true;
}

static json_t *read_value(JsonReader *r);

static json_t *read_object(JsonReader *r) {
        json_auto_t *o = json_object();

        if (!o)
                return reader_fail(r, -ENOMEM);
        reader_skip_space(r);
        if (r->p < r->end && *r->p == '}') {
                r->p++;
                return TAKE_PTR(o);
        }
        for (;;) {
                _cleanup_free_ char *key = NULL;
                json_t *v;
                int k;

                if (r->p >= r->end || *r->p != '"')
                        return reader_fail(r, -EBADMSG);
                r->p++;
                k = read_string(r);
                if (k < 0)
                        return reader_fail(r, k);
                /* A key with a NUL cannot be stored; jansson refuses it too. */
                if (strlen(r->text.s) != r->text.len || json_object_get(o, r->text.s))
                        return reader_fail(r, -EBADMSG);
                key = strndup(r->text.s, r->text.len);
                if (!key)
                        return reader_fail(r, -ENOMEM);
                reader_skip_space(r);
                if (r->p >= r->end || *r->p != ':')
                        return reader_fail(r, -EBADMSG);
                r->p++;
                v = read_value(r);
                if (!v)
                        return NULL;
                if (json_object_set_new_nocheck(o, key, v) < 0)
                        return reader_fail(r, -ENOMEM);
                reader_skip_space(r);
                if (r->p < r->end && *r->p == ',') {
                        r->p++;
                        reader_skip_space(r);
                        continue;
                }
                if (r->p < r->end && *r->p == '}') {
                        r->p++;
                        return TAKE_PTR(o);
                }
                return reader_fail(r, -EBADMSG);
        }
}

static json_t *read_array(JsonReader *r) {
        json_auto_t *a = json_array();

        if (!a)
                return reader_fail(r, -ENOMEM);
        reader_skip_space(r);
        if (r->p < r->end && *r->p == ']') {
                r->p++;
                return TAKE_PTR(a);
        }
        for (;;) {
                json_t *v = read_value(r);

                if (!v)
                        return NULL;
                if (json_array_append_new(a, v) < 0)
                        return reader_fail(r, -ENOMEM);
                reader_skip_space(r);
                if (r->p < r->end && *r->p == ',') {
                        r->p++;
                        continue;
                }
                if (r->p < r->end && *r->p == ']') {
                        r->p++;
                        return TAKE_PTR(a);
                }
                return reader_fail(r, -EBADMSG);
        }
}

static json_t *read_value(JsonReader *r) {
        json_t *v;
        int k;

        reader_skip_space(r);
        if (r->p >= r->end)
                return reader_fail(r, -EBADMSG);
        switch (*r->p) {
        case '{':
        case '[':
                if (r->depth >= JSON_MAX_DEPTH)
                        return reader_fail(r, -EBADMSG);
                r->depth++;
                r->p++;
                v = r->p[-1] == '{' ? read_object(r) : read_array(r);
                r->depth--;
                return v;
        case '"':
                r->p++;
                k = read_string(r);
                if (k < 0)
                        return reader_fail(r, k);
                v = json_stringn_nocheck(r->text.s, r->text.len);
                return v ?: reader_fail(r, -ENOMEM);
        case 't':
                return reader_literal(r, "true") ? json_true() : reader_fail(r, -EBADMSG);
        case 'f':
                return reader_literal(r, "false") ? json_false() : reader_fail(r, -EBADMSG);
        case 'n':
                return reader_literal(r, "null") ? json_null() : reader_fail(r, -EBADMSG);
        default:
                if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))
                        return read_number(r);
                return reader_fail(r, -EBADMSG);
        }
}

int cloud_json_parse_object(const char *body, size_t size, json_t **ret) {
        JsonReader r = { .p = (const unsigned char *) body, .end = (const unsigned char *) body + size };
        json_t *v;

        if (!body || size == 0)
                return -EBADMSG;
        reader_skip_space(&r);
        /* jansson (without JSON_DECODE_ANY) wants an object or an array; we want an object. */
        if (r.p >= r.end || *r.p != '{') {
                strbuf_done(&r.text);
                return -EBADMSG;
        }
        v = read_value(&r);
        strbuf_done(&r.text);
        if (!v)
                return r.error ?: -EBADMSG;
        reader_skip_space(&r);
        if (r.p != r.end) {
                json_decref(v);
                return -EBADMSG;
        }
        *ret = v;
        return 0;
}

json_t *cloud_json_get_ci(const json_t *object, const char *key) {
        const char *k;
        json_t *v, *exact;

        if (!json_is_object(object))
                return NULL;
        exact = json_object_get(object, key);
        if (exact)
                return exact;
        json_object_foreach((json_t *) object, k, v)
                if (strcasecmp(k, key) == 0)
                        return v;
        return NULL;
}

int cloud_json_get_int(const json_t *object, const char *key, bool *ret_has, int64_t *ret) {
        json_t *v = json_object_get(object, key);

        if (!v || json_is_null(v)) {
                *ret_has = false;
                return 0;
        }
        if (!json_is_integer(v))
                return -EBADMSG;
        *ret = json_integer_value(v);
        *ret_has = true;
        return 0;
}

int cloud_json_get_bool(const json_t *object, const char *key, bool *ret_has, bool *ret) {
        json_t *v = json_object_get(object, key);

        if (!v || json_is_null(v)) {
                *ret_has = false;
                return 0;
        }
        if (!json_is_boolean(v))
                return -EBADMSG;
        *ret = json_is_true(v);
        *ret_has = true;
        return 0;
}

int cloud_json_get_string(const json_t *object, const char *key, const char **ret) {
        json_t *v = json_object_get(object, key);

        if (!v || json_is_null(v)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_string(v))
                return -EBADMSG;
        *ret = isempty(json_string_value(v)) ? NULL : json_string_value(v);
        return 0;
}

int cloud_json_get_object(const json_t *object, const char *key, json_t **ret) {
        json_t *v = json_object_get(object, key);

        if (!v || json_is_null(v)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_object(v))
                return -EBADMSG;
        *ret = v;
        return 0;
}

int cloud_json_get_array(const json_t *object, const char *key, json_t **ret) {
        json_t *v = json_object_get(object, key);

        if (!v || json_is_null(v)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_array(v))
                return -EBADMSG;
        *ret = v;
        return 0;
}

int cloud_json_dump(const json_t *value, char **ret, size_t *ret_size) {
        char *s = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER);

        if (!s)
                return -ENOMEM;
        *ret_size = strlen(s);
        *ret = s;
        return 0;
}

static int parse_destination(const json_t *config, const char *key, const char *dest_key,
                             Destination *ret) {
        json_t *d;
        const char *s;
        int r;

        r = cloud_json_get_object(config, key, &d);
        if (r < 0 || !d)
                return r;
        r = cloud_json_get_string(d, dest_key, &s);
        if (r < 0 || !s)
                return r;
        ret->target = strdup(s);
        return ret->target ? 0 : -ENOMEM;
}

int cloud_json_parse_destinations(const json_t *object, const CloudDestinationKeys *k,
                                  AsyncConfig *c) {
        json_t *config;
        int r;

        r = cloud_json_get_object(object, k->config, &config);
        if (r < 0 || !config)
                return r;
        r = parse_destination(config, k->on_success, k->destination, &c->on_success);
        if (r < 0)
                return r;
        return parse_destination(config, k->on_failure, k->destination, &c->on_failure);
}

/* ---- request bodies ----------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence starting at s (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF), or 0. */
static size_t utf8_sequence(const unsigned char *s) {
        size_t n;
        uint32_t cp;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xC2 && s[0] <= 0xDF)
                n = 2, cp = s[0] & 0x1F;
        else if (s[0] >= 0xE0 && s[0] <= 0xEF)
                n = 3, cp = s[0] & 0x0F;
        else if (s[0] >= 0xF0 && s[0] <= 0xF4)
                n = 4, cp = s[0] & 0x07;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3F);
        }
        if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
                return 0;
        return n;
}

/* jansson's escaping without flags: '"', '\\', the control characters (the short forms where
 * JSON has them, else \u00XX with upper-case hex); everything else, '/' and non-ASCII
 * included, as it is. */
static void writer_put_string(CloudJsonWriter *w, const char *s) {
        static const char hex[] = "0123456789ABCDEF";
        const unsigned char *p = (const unsigned char *) s, *run;

        strbuf_putc(&w->b, '"');
        while (*p) {
                for (run = p; *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\'; p++)
                        ;
                strbuf_put(&w->b, (const char *) run, (size_t) (p - run));
                if (!*p)
                        break;
                if (*p >= 0x80) {
                        size_t n = utf8_sequence(p);
                        if (n == 0) {
                                w->error = w->error ?: -EINVAL;
                                return;
                        }
                        strbuf_put(&w->b, (const char *) p, n);
                        p += n;
                        continue;
                }
                switch (*p) {
                case '"':
                        strbuf_puts(&w->b, "\\\"");
                        break;
                case '\\':
                        strbuf_puts(&w->b, "\\\\");
                        break;
                case '\b':
                        strbuf_puts(&w->b, "\\b");
                        break;
                case '\f':
                        strbuf_puts(&w->b, "\\f");
                        break;
                case '\n':
                        strbuf_puts(&w->b, "\\n");
                        break;
                case '\r':
                        strbuf_puts(&w->b, "\\r");
                        break;
                case '\t':
                        strbuf_puts(&w->b, "\\t");
                        break;
                default: {
                        char u[] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };
                        strbuf_put(&w->b, u, sizeof(u));
                        break;
                }
                }
                p++;
        }
        strbuf_putc(&w->b, '"');
}

static void writer_put_key(CloudJsonWriter *w, const char *key) {
        if (w->need_comma)
                strbuf_putc(&w->b, ',');
        w->need_comma = true;
        if (key) {
                writer_put_string(w, key);
                strbuf_putc(&w->b, ':');
        }
}

void cloud_json_writer_open(CloudJsonWriter *w, const char *key) {
        writer_put_key(w, key);
        strbuf_putc(&w->b, '{');
        w->need_comma = false;
}

void cloud_json_writer_close(CloudJsonWriter *w) {
        strbuf_putc(&w->b, '}');
        w->need_comma = true;
}

void cloud_json_writer_int(CloudJsonWriter *w, const char *key, int64_t v) {
        writer_put_key(w, key);
        strbuf_put_int(&w->b, v);
}

void cloud_json_writer_bool(CloudJsonWriter *w, const char *key, bool v) {
        writer_put_key(w, key);
        strbuf_puts(&w->b, v ? "true" : "false");
}

void cloud_json_writer_string(CloudJsonWriter *w, const char *key, const char *s) {
        writer_put_key(w, key);
        writer_put_string(w, s);
}

int cloud_json_writer_take(CloudJsonWriter *w, char **ret, size_t *ret_size) {
        size_t n = w->b.len;
        int r = w->error;

        if (r < 0) {
                strbuf_done(&w->b);
                *w = (CloudJsonWriter){};
                return r;
        }
        r = strbuf_take(&w->b, ret);
        *w = (CloudJsonWriter){};
        if (r < 0)
                return r;
        *ret_size = n;
        return 0;
}

static void write_destination(CloudJsonWriter *w, const char *key, const char *dest_key,
                              const Destination *d) {
        if (!d->target)
                return;
        cloud_json_writer_open(w, key);
        cloud_json_writer_string(w, dest_key, d->target);
        cloud_json_writer_close(w);
}

void cloud_json_write_destinations(CloudJsonWriter *w, const CloudDestinationKeys *k,
                                   const AsyncConfig *c) {
        if (!c->on_success.target && !c->on_failure.target)
                return;
        cloud_json_writer_open(w, k->config);
        if (k->failure_first)
                write_destination(w, k->on_failure, k->destination, &c->on_failure);
        write_destination(w, k->on_success, k->destination, &c->on_success);
        if (!k->failure_first)
                write_destination(w, k->on_failure, k->destination, &c->on_failure);
        cloud_json_writer_close(w);
}

int cloud_json_parse_list(const char *body, size_t size, const char *items_key,
                          const char *next_key, CloudListItemFunc item, json_t **ret_root,
                          CloudConfigList *ret) {
        _cleanup_(cloud_config_list_done) CloudConfigList l = {};
        json_auto_t *o = NULL;
        json_t *items, *v;
        const char *next = NULL;
        size_t i;
        int r;

        r = cloud_json_parse_object(body, size, &o);
        if (r < 0)
                return r;
        r = cloud_json_get_array(o, items_key, &items);
        if (r >= 0 && next_key)
                r = cloud_json_get_string(o, next_key, &next);
        if (r < 0)
                return r;
        if (items && json_array_size(items) > 0) {
                l.items = calloc(json_array_size(items), sizeof(*l.items));
                if (!l.items)
                        return -ENOMEM;
        }
        json_array_foreach(items, i, v) {
                if (!json_is_object(v))
                        return -EBADMSG;
                r = item(v, &l.items[l.n_items]);
                if (r < 0)
                        return r;
                l.n_items++;
        }
        if (next && !(l.next_token = strdup(next)))
                return -ENOMEM;
        if (ret_root)
                *ret_root = TAKE_PTR(o);
        *ret = l;
        l = (CloudConfigList){};
        return 0;
}
