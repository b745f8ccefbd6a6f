/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"

static bool strbuf_reserve(StrBuf *b, size_t n) {
        size_t want;
        char *p;

        if (b->failed)
                return false;
        if (n < b->allocated - b->len) /* room for n and the NUL */
                return true;
        if (n > (SIZE_MAX - b->len - 1) / 2) {
                b->failed = true;
                return false;
        }
        want = (b->len + n + 1) * 2;
        if (want < 256)
                want = 256;
        p = realloc(b->s, want);
        if (!p) {
                b->failed = true;
                return false;
        }
        b->s = p;
        b->allocated = want;
        return true;
}

void strbuf_put_grow(StrBuf *b, const char *s, size_t n) {
        if (!strbuf_reserve(b, n))
                return;
        memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = 0;
}

void strbuf_puts(StrBuf *b, const char *s) {
        strbuf_put(b, s, strlen(s));
}

void strbuf_put_int(StrBuf *b, int64_t v) {
        char buf[24], *p = buf + sizeof(buf);
        uint64_t u = v < 0 ? -(uint64_t) v : (uint64_t) v;

        do
                *--p = (char) ('0' + u % 10);
        while ((u /= 10) > 0);
        if (v < 0)
                *--p = '-';
        strbuf_put(b, p, (size_t) (buf + sizeof(buf) - p));
}

char *strbuf_append_begin(StrBuf *b, size_t max) {
        if (!strbuf_reserve(b, max))
                return NULL;
        return b->s + b->len;
}

void strbuf_append_end(StrBuf *b, char *end) {
        b->len = (size_t) (end - b->s);
        b->s[b->len] = 0;
}

int strbuf_take(StrBuf *b, char **ret) {
        if (!b->failed && !b->s)
                strbuf_put(b, "", 0);
        if (b->failed) {
                strbuf_done(b);
                return -ENOMEM;
        }
        *ret = b->s;
        *b = (StrBuf){};
        return 0;
}

void strbuf_done(StrBuf *b) {
        free(b->s);
        *b = (StrBuf){};
}
