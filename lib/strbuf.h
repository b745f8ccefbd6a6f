/* SPDX-License-Identifier: MIT */
#pragma once

/* A growable NUL-terminated string for building text piece by piece (canonical requests):
 * open_memstream() without the FILE machinery, whose per-character locking was a visible
 * part of signing a request. An allocation failure is sticky, like ferror(): append freely,
 * check once in strbuf_take(). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct StrBuf {
        char *s;
        size_t len, allocated;
        bool failed;
} StrBuf;

/* The out-of-line part of strbuf_put(): growth and failure. */
void strbuf_put_grow(StrBuf *b, const char *s, size_t n);
/* Inline when it fits: most appends are a few bytes (keys, separators, indentation) into room
 * that is there already, and the call into the growth check cost more than the copy. */
static inline void strbuf_put(StrBuf *b, const char *s, size_t n) {
        if (!b->failed && n < b->allocated - b->len) { /* room for n and the NUL */
                memcpy(b->s + b->len, s, n);
                b->len += n;
                b->s[b->len] = 0;
        } else
                strbuf_put_grow(b, s, n);
}
void strbuf_puts(StrBuf *b, const char *s);
/* Inline: one byte at a time is how JSON layout and canonical requests are written (millions
 * per run), and a call plus a one-byte memcpy() per byte was most of their cost. */
static inline void strbuf_putc(StrBuf *b, char c) {
        if (!b->failed && b->len + 1 < b->allocated) {
                b->s[b->len++] = c;
                b->s[b->len] = 0;
        } else
                strbuf_put(b, &c, 1);
}
/* Decimal, as printf's "%" PRIi64 would write it. */
void strbuf_put_int(StrBuf *b, int64_t v);

/* For writers that produce at most max bytes in one go (percent-encoding): a pointer with room
 * for max bytes and a NUL after b's text, or NULL when b has failed (the append is then lost,
 * as with every other append). The writer calls strbuf_append_end() with the end of what it
 * wrote. */
char *strbuf_append_begin(StrBuf *b, size_t max);
void strbuf_append_end(StrBuf *b, char *end);
/* The string (never NULL; "" when nothing was appended) in *ret, owned by the caller, and b
 * empty again; -ENOMEM (b freed) if an append failed. */
int strbuf_take(StrBuf *b, char **ret);
void strbuf_done(StrBuf *b);
