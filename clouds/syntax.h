/* SPDX-License-Identifier: MIT */
#pragma once

/* Small syntax helpers the providers' files share to check what users write: function ids
 * (clouds/function-id.h), destination ARNs and URNs, and the keys of typed destinations. The
 * rules themselves are each provider's and live in its file. */

#include <stdbool.h>
#include <stddef.h>

/* Splits s at ':' into at most max parts (the last keeps any further ':'), copying s into buf.
 * Returns the number of parts, or -1 when s does not fit in buf. ARNs and URNs are split
 * with it. */
#define COLON_SPLIT_MAX 1024
int colon_split(const char *s, char *buf, size_t size, const char **parts, int max);

/* min..max characters, each a letter, a digit or one of extra: the first n of s, or all of it. */
bool syntax_span_valid(const char *s, size_t n, size_t min, size_t max, const char *extra);
bool syntax_chars_valid(const char *s, size_t min, size_t max, const char *extra);
/* One or more decimal digits, nothing else. */
bool syntax_digits_valid(const char *s);
/* A region as ARNs and URNs carry it: 1-64 letters, digits or '-'. */
bool syntax_region_valid(const char *s);
/* An S3 (and OBS) bucket name: 3-63 of [a-z0-9.-], starting and ending with a letter or digit. */
bool syntax_bucket_valid(const char *s);
