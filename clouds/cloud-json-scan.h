/* SPDX-License-Identifier: MIT */
#pragma once

/* A fast path for cloud_json_parse_object(): jansson's lexer costs about 20,000 instructions
 * for a 100-byte error body, eight times what building the same values costs, and every GET
 * of a function without a config answers one (issue 13, apply's CPU per request). */

#include <jansson.h>
#include <stddef.h>

/* body as jansson values when it is an object of the plain JSON clouds send: objects, arrays,
 * printable ASCII strings without escapes, integers of at most 18 digits, true, false, null,
 * depth ≤ 32, keys under 256 bytes, no duplicate key. 1 and *ret set (what json_loadb() would
 * have returned, equal by json_equal()); 0 when the body is anything else (malformed or merely
 * unusual: json_loadb() decides); -ENOMEM. */
int cloud_json_scan(const char *body, size_t size, json_t **ret);
