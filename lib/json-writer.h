/* SPDX-License-Identifier: MIT */
#pragma once

/* Writing JSON text straight from C values, with exactly the bytes jansson's json_dumpf()
 * gives for the same document as a tree (JSON_INDENT(n), with or without JSON_SORT_KEYS;
 * objects otherwise in insertion order, which is the order of the calls here). Building a
 * jansson object per record only to dump it was most of the cost of `asyncfg apply -o json` and
 * of saving the state store of 10,000 resources: a dozen allocations per record, the dump's
 * own key sorting, and a callback per token.
 *
 * The text collects in a buffer that json_writer_flush() writes out, so a caller decides how
 * much goes out at once (a record at a time: a record that fails is not written half). Errors
 * are sticky, like ferror(): write freely, check once at a flush or with json_writer_error().
 *
 *   JsonWriter w;
 *   json_writer_init(&w, 2, 0, false);
 *   json_writer_open_object(&w);
 *   json_writer_key(&w, "name");
 *   json_writer_string(&w, "orders");
 *   json_writer_close_object(&w);
 *   r = json_writer_flush(&w, stdout);          // {\n  "name": "orders"\n}
 *   json_writer_done(&w);
 *
 * Strings must be UTF-8 as jansson checks it (json_string() refuses the others): a string
 * that is not makes the writer fail with -EINVAL. Nesting is not checked beyond assertions:
 * a key only inside an object, a value after each key. */

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/strbuf.h"

typedef struct JsonWriter {
        StrBuf buf;
        unsigned indent; /* spaces per level (JSON_INDENT(n)); 0: one line, ", " between */
        unsigned depth;  /* level of the innermost open container's members, minus one */
        unsigned n_open; /* containers opened here and not closed yet */
        bool empty;      /* the innermost open container has no member yet */
        bool after_key;  /* a key was written: its value comes next, with no separator */
        bool sort_keys;  /* json_writer_json(): objects' keys sorted (JSON_SORT_KEYS) */
        bool compact;    /* JSON_COMPACT: no space after ':' and ',' (with indent 0) */
        int error;       /* the first failure: -EINVAL (not UTF-8, not representable) */
} JsonWriter;

/* depth: the level the first value is written at, so that text written on its own lands
 * exactly where it would inside a larger document (the items of a top-level array: 1). */
void json_writer_init(JsonWriter *w, unsigned indent, unsigned depth, bool sort_keys);
/* One line, no spaces: json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER). */
void json_writer_init_compact(JsonWriter *w);
void json_writer_done(JsonWriter *w);

void json_writer_open_object(JsonWriter *w);
void json_writer_close_object(JsonWriter *w);
void json_writer_open_array(JsonWriter *w);
void json_writer_close_array(JsonWriter *w);
void json_writer_key(JsonWriter *w, const char *key);

/* s NULL: -EINVAL, like json_pack()'s "s". */
void json_writer_string(JsonWriter *w, const char *s);
/* s, or null when s is NULL (json_pack's "s?"). */
void json_writer_string_or_null(JsonWriter *w, const char *s);
void json_writer_integer(JsonWriter *w, int64_t i);
void json_writer_bool(JsonWriter *w, bool b);
void json_writer_null(JsonWriter *w);
/* A jansson value, nested ones included, as json_dumpf() would write it at this place. */
void json_writer_json(JsonWriter *w, const json_t *j);

/* Records a failure of the caller's (a value it could not produce): sticky as the writer's
 * own; the first one is kept. */
void json_writer_fail(JsonWriter *w, int error);
/* 0, or the first failure: -EINVAL (a string not UTF-8), -ENOMEM. */
int json_writer_error(const JsonWriter *w);
/* Writes what has collected to f and empties the buffer. Returns the first failure (and
 * writes nothing), or -EIO if f fails. */
int json_writer_flush(JsonWriter *w, FILE *f);
/* The text collected (owned by the caller) and its length, or the first failure; either way
 * the writer is done. */
int json_writer_take(JsonWriter *w, char **ret, size_t *ret_size);
/* Bytes collected and not flushed yet. */
static inline size_t json_writer_pending(const JsonWriter *w) {
        return w->buf.len;
}
