/* SPDX-License-Identifier: MIT */
#pragma once

/* Strict accessors for the cloud parsers: every response body is a JSON object; a key that is
 * missing or null is "absent"; a key of the wrong type makes the whole body malformed
 * (-EBADMSG), because a half-understood read must decide nothing (DESIGN.md §3.3). */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* body must be one JSON object (no trailing data, no duplicate keys, no NUL in strings).
 * 0, -EBADMSG. */
int cloud_json_parse_object(const char *body, size_t size, json_t **ret);

/* The member whose name equals key ignoring ASCII case (error bodies: "message" / "Message"),
 * or NULL. Exact matches win over case-insensitive ones. */
json_t *cloud_json_get_ci(const json_t *object, const char *key);

/* Missing or null: *ret_has = false (ret untouched). Integer: the value. Anything else
 * (a string, a real, a bool): -EBADMSG. */
int cloud_json_get_int(const json_t *object, const char *key, bool *ret_has, int64_t *ret);
int cloud_json_get_bool(const json_t *object, const char *key, bool *ret_has, bool *ret);

/* Missing, null or "": *ret = NULL. A string: borrowed pointer. Otherwise -EBADMSG. */
int cloud_json_get_string(const json_t *object, const char *key, const char **ret);

/* Missing or null: *ret = NULL. An object: borrowed. Otherwise -EBADMSG. */
int cloud_json_get_object(const json_t *object, const char *key, json_t **ret);

/* Missing or null: *ret = NULL. An array: borrowed. Otherwise -EBADMSG. */
int cloud_json_get_array(const json_t *object, const char *key, json_t **ret);

/* Serialises compactly, keys in insertion order, into a fresh string. 0 or -ENOMEM. */
int cloud_json_dump(const json_t *value, char **ret, size_t *ret_size);

/* ---- destinations in the ARN clouds (AWS, Alibaba) ----------------------------------- */

#include "clouds/cloud.h"
#include "clouds/model.h"

/* How a cloud spells {"DestinationConfig": {"OnSuccess": {"Destination": "arn"}, ...}}. */
typedef struct CloudDestinationKeys {
        const char *config;
        const char *on_success;
        const char *on_failure;
        const char *destination;
        bool failure_first; /* serialisation order (Alibaba's SDKs sort keys) */
} CloudDestinationKeys;

/* Reads both destinations into c->on_success / c->on_failure. Absent: the config object
 * missing or null or {}, a destination missing, null or {}, its value missing, null or "".
 * A wrong type anywhere is -EBADMSG. */
int cloud_json_parse_destinations(const json_t *object, const CloudDestinationKeys *k,
                                  AsyncConfig *c);

/* ---- request bodies ----------------------------------------------------------------- */

#include "lib/json-writer.h"

/* A compact JSON object written straight into text, members in call order: byte for byte what
 * json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER) makes of the same object, without building
 * one (a body is serialised for every PUT). lib/json-writer in its compact form, with each
 * member's key given along with its value. Start from a zeroed writer; key is NULL only for
 * the outermost object, whose opening sets the writer up. Errors are sticky and reported by
 * cloud_json_writer_take(): -ENOMEM, or -EINVAL for a string that is not UTF-8 (which jansson
 * refuses too). */
typedef struct CloudJsonWriter {
        JsonWriter json;
} CloudJsonWriter;

void cloud_json_writer_open(CloudJsonWriter *w, const char *key);
void cloud_json_writer_close(CloudJsonWriter *w);
void cloud_json_writer_int(CloudJsonWriter *w, const char *key, int64_t v);
void cloud_json_writer_bool(CloudJsonWriter *w, const char *key, bool v);
void cloud_json_writer_string(CloudJsonWriter *w, const char *key, const char *s);
/* A value the caller could not produce: the body fails with error (the first one kept). */
void cloud_json_writer_fail(CloudJsonWriter *w, int error);
/* The text in *ret (owned by the caller) and its length, or the first error (w freed). */
int cloud_json_writer_take(CloudJsonWriter *w, char **ret, size_t *ret_size);

/* Writes the config object with the destinations that are set; nothing when neither is. */
void cloud_json_write_destinations(CloudJsonWriter *w, const CloudDestinationKeys *k,
                                   const AsyncConfig *c);

/* ---- list pages ------------------------------------------------------------------------ */

/* Converts one list item; on failure *ret is left empty. */
typedef int (*CloudListItemFunc)(const json_t *item, CloudQualifiedConfig *ret);

/* A list page: an object whose member items_key is an array (missing or null: no items)
 * of objects, each converted by item. next_key (may be NULL) names a string member holding
 * the next page's token (missing, null or "": the last page). On success *ret holds the
 * items and the token, and *ret_root (may be NULL) the parsed object for more fields.
 * 0, -EBADMSG, -ENOMEM. */
int cloud_json_parse_list(const char *body, size_t size, const char *items_key,
                          const char *next_key, CloudListItemFunc item, json_t **ret_root,
                          CloudConfigList *ret);

/* A page of version or alias names (CLOUD_OP_LIST_VERSIONS, CLOUD_OP_LIST_ALIASES): as
 * cloud_json_parse_list(), each item an object whose string member name_key is the qualifier
 * (an item without one is -EBADMSG: a list we cannot read decides nothing); items_key NULL:
 * the body is the array itself (FunctionGraph's aliases), one page. */
int cloud_json_parse_names(const char *body, size_t size, const char *items_key,
                           const char *name_key, const char *next_key, json_t **ret_root,
                           CloudConfigList *ret);
