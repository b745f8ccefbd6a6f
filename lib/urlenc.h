/* SPDX-License-Identifier: MIT */
#pragma once

/* Percent-encoding (RFC 3986) for building URLs and for the signers' canonical forms.
 *
 * The unreserved set A-Za-z0-9 - . _ ~ is never escaped; that is the set AWS SigV4 (botocore's
 * quote(safe='-_.~')), Huawei's escape.go (A-Za-z0-9 _ - ~ .) and ACS3's QueryEscape followed by
 * its +→%20, *→%2A, %7E→~ replacement all end up with. A caller can keep more characters (e.g.
 * "/" for paths). Hex is upper case. Decoding is strict: a '%' not followed by two hex digits
 * is -EINVAL, and %00 is rejected (-EINVAL) because results are C strings. */

#include <stdbool.h>
#include <stddef.h>

#include "lib/macro.h"
#include "lib/strbuf.h"

/* Percent-encodes len bytes of s (len SIZE_MAX: up to the NUL), keeping unreserved characters
 * and those in keep (may be NULL). Result is a fresh string. 0 or -ENOMEM. */
int urlenc_escape(const char *s, size_t len, const char *keep, char **ret);
/* The same, appended to b (a failure is b's, see lib/strbuf.h). */
void urlenc_escape_append(StrBuf *b, const char *s, size_t len, const char *keep);

/* Decodes %XX sequences; if plus_is_space, '+' becomes ' ' (form encoding). Fresh string.
 * 0, -EINVAL (bad or %00 escape), -ENOMEM. */
int urlenc_unescape(const char *s, size_t len, bool plus_is_space, char **ret);

/* One decoded query parameter. A bare "k" (no '=') has value "". */
typedef struct UrlParam {
        char *key;
        char *value;
} UrlParam;

/* Splits a raw query string ("a=1&b=%20", without the '?'; NULL or "" gives none) on '&',
 * each pair on the first '=', decodes both sides (strictly; '+' as space when plus_is_space)
 * and returns them in wire order. Empty pieces ("a=1&&b=2") are skipped. At most
 * URLENC_MAX_PARAMS pairs (-E2BIG beyond). 0, -EINVAL, -E2BIG, -ENOMEM. */
#define URLENC_MAX_PARAMS 256
int urlenc_parse_query(const char *query, bool plus_is_space, UrlParam **ret, size_t *ret_n);
UrlParam *urlenc_params_free(UrlParam *p, size_t n);

/* Splits a path on '/' into a NULL-terminated strv of its segments, exactly (no decoding, empty
 * segments kept): "/a//b/" → {"", "a", "", "b", ""}; "" → {""}. 0 or -ENOMEM. */
int urlenc_split_path(const char *path, char ***ret);
