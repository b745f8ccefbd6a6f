/* SPDX-License-Identifier: MIT */
#include <stdint.h>

#include "lib/urlenc.h"

static bool is_unreserved(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_' || c == '~';
}

/* Writes the encoding of len bytes of s at p (room for 3 * len); returns the end. */
static char *escape_to(char *p, const char *s, size_t len, const char *keep) {
        static const char hex[] = "0123456789ABCDEF";

        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) s[i];

                if (is_unreserved((char) c) || (c != 0 && keep && strchr(keep, c))) {
                        *p++ = (char) c;
                        continue;
                }
                *p++ = '%';
                *p++ = hex[c >> 4];
                *p++ = hex[c & 15];
        }
        return p;
}

int urlenc_escape(const char *s, size_t len, const char *keep, char **ret) {
        char *out;

        if (len == SIZE_MAX)
                len = strlen(s);
        if (len > (SIZE_MAX - 1) / 3)
                return -E2BIG;
        out = malloc(3 * len + 1);
        if (!out)
                return -ENOMEM;
        *escape_to(out, s, len, keep) = 0;
        *ret = out;
        return 0;
}

void urlenc_escape_append(StrBuf *b, const char *s, size_t len, const char *keep) {
        char *p;

        if (len == SIZE_MAX)
                len = strlen(s);
        /* An impossible size fails b like a failed allocation. */
        p = strbuf_append_begin(b, len > (SIZE_MAX - 1) / 3 ? SIZE_MAX : 3 * len);
        if (p)
                strbuf_append_end(b, escape_to(p, s, len, keep));
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int urlenc_unescape(const char *s, size_t len, bool plus_is_space, char **ret) {
        _cleanup_free_ char *out = NULL;
        char *p;

        if (len == SIZE_MAX)
                len = strlen(s);
        out = p = malloc(len + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++) {
                int hi, lo;

                if (s[i] == '+' && plus_is_space) {
                        *p++ = ' ';
                        continue;
                }
                if (s[i] != '%') {
                        if (s[i] == 0)
                                return -EINVAL;
                        *p++ = s[i];
                        continue;
                }
                if (len - i < 3 || (hi = hex_value(s[i + 1])) < 0 || (lo = hex_value(s[i + 2])) < 0)
                        return -EINVAL;
                if (hi == 0 && lo == 0)
                        return -EINVAL;
                *p++ = (char) (hi << 4 | lo);
                i += 2;
        }
        *p = 0;
        *ret = TAKE_PTR(out);
        return 0;
}

UrlParam *urlenc_params_free(UrlParam *p, size_t n) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                free(p[i].key);
                free(p[i].value);
        }
        free(p);
        return NULL;
}

static int parse_pair(const char *s, size_t len, bool plus_is_space, UrlParam *ret) {
        const char *eq = memchr(s, '=', len);
        size_t klen = eq ? (size_t) (eq - s) : len;
        _cleanup_free_ char *k = NULL, *v = NULL;
        int r;

        r = urlenc_unescape(s, klen, plus_is_space, &k);
        if (r < 0)
                return r;
        if (eq)
                r = urlenc_unescape(eq + 1, len - klen - 1, plus_is_space, &v);
        else
                r = (v = strdup("")) ? 0 : -ENOMEM;
        if (r < 0)
                return r;
        ret->key = TAKE_PTR(k);
        ret->value = TAKE_PTR(v);
        return 0;
}

int urlenc_parse_query(const char *query, bool plus_is_space, UrlParam **ret, size_t *ret_n) {
        UrlParam *params = NULL;
        size_t n = 0;
        int r = 0;

        for (const char *p = query ?: ""; *p;) {
                size_t len = strcspn(p, "&");

                if (len > 0) {
                        UrlParam *np;

                        if (n >= URLENC_MAX_PARAMS) {
                                r = -E2BIG;
                                break;
                        }
                        np = realloc(params, (n + 1) * sizeof(UrlParam));
                        if (!np) {
                                r = -ENOMEM;
                                break;
                        }
                        params = np;
                        r = parse_pair(p, len, plus_is_space, &params[n]);
                        if (r < 0)
                                break;
                        n++;
                }
                p += len;
                if (*p == '&')
                        p++;
        }
        if (r < 0) {
                urlenc_params_free(params, n);
                return r;
        }
        *ret = params;
        *ret_n = n;
        return 0;
}

int urlenc_split_path(const char *path, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 1;

        for (const char *p = path; *p; p++)
                n += *p == '/';
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                size_t len = strcspn(path, "/");

                l[i] = strndup(path, len);
                if (!l[i])
                        return -ENOMEM;
                path += len + (path[len] == '/');
        }
        *ret = TAKE_PTR(l);
        return 0;
}
