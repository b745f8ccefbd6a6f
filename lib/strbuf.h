/* SPDX-License-Identifier: MIT */
#pragma once

/* A growable NUL-terminated string for building text piece by piece (canonical requests):
 * open_memstream() without the FILE machinery, whose per-character locking was a visible
 * part of signing a request. An allocation failure is sticky, like ferror(): append freely,
 * check once in strbuf_take(). */

#include <stdbool.h>
#include <stddef.h>

typedef struct StrBuf {
        char *s;
        size_t len, allocated;
        bool failed;
} StrBuf;

void strbuf_put(StrBuf *b, const char *s, size_t n);
void strbuf_puts(StrBuf *b, const char *s);
void strbuf_putc(StrBuf *b, char c);
/* The string (never NULL; "" when nothing was appended) in *ret, owned by the caller, and b
 * empty again; -ENOMEM (b freed) if an append failed. */
int strbuf_take(StrBuf *b, char **ret);
void strbuf_done(StrBuf *b);
