/* SPDX-License-Identifier: MIT */
#include <strings.h>

#include "clouds/cloud-json.h"
#include "lib/macro.h"

int cloud_json_parse_object(const char *body, size_t size, json_t **ret) {
        json_error_t err;
        json_t *v;

        if (!body || size == 0)
                return -EBADMSG;
        v = json_loadb(body, size, JSON_REJECT_DUPLICATES, &err);
        if (!v)
                return -EBADMSG;
        if (!json_is_object(v)) {
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
