/* SPDX-License-Identifier: MIT */
#pragma once

/* The managed fields of an async-invocation configuration, named as in the YAML spec
 * (DESIGN.md §2). One enum with one string table serves the diff, the state store, the
 * emitter, the `ignore:` list of the loader and every JSON rendering, so a field has the same
 * name everywhere a user can see it.
 *
 * A field is "present" in an AsyncConfig when its has_* flag is set (scalars) or its
 * destination has a non-empty target. 0 and false are values, not absence (DESIGN.md §3.4). */

#include <jansson.h>
#include <stdbool.h>

#include "clouds/model.h"

typedef enum AsyncField {
        ASYNC_FIELD_MAX_RETRY_ATTEMPTS,      /* maxRetryAttempts */
        ASYNC_FIELD_MAX_EVENT_AGE_SECONDS,   /* maxEventAgeSeconds */
        ASYNC_FIELD_ON_SUCCESS,              /* onSuccess */
        ASYNC_FIELD_ON_FAILURE,              /* onFailure */
        ASYNC_FIELD_ASYNC_TASK,              /* asyncTask */
        ASYNC_FIELD_ENABLE_ASYNC_STATUS_LOG, /* enableAsyncStatusLog */
        _ASYNC_FIELD_MAX,
        _ASYNC_FIELD_INVALID = -22, /* -EINVAL */
} AsyncField;

/* A set of fields: bit (1u << field). */
typedef unsigned AsyncFieldSet;

#define ASYNC_FIELD_BIT(f) (1u << (unsigned) (f))
#define ASYNC_FIELD_SET_ALL ((AsyncFieldSet) ((1u << _ASYNC_FIELD_MAX) - 1u))
#define ASYNC_FIELD_IN_SET(set, f) (((set) &ASYNC_FIELD_BIT(f)) != 0)

const char *async_field_to_string(AsyncField f);
AsyncField async_field_from_string(const char *s);

/* Whether a and b hold the same value for f, after normalisation (DESIGN.md §3.4): absent ==
 * null == {} == "" for destinations; 0 and false are values; Huawei param compared as parsed
 * JSON (an object, or a string holding one; null, "" and {} are the same empty param). A NULL
 * config means "no configuration exists": every field absent. */
bool async_field_equal(const AsyncConfig *a, const AsyncConfig *b, AsyncField f);

/* The comparable form of a Huawei param: an object (possibly empty), or, for a string that
 * does not hold a JSON object, the string itself (compared as text). NULL, json null, "" and
 * {} are the empty object; a string holding a JSON object is that object. Returns a new
 * reference, or NULL on allocation failure. */
json_t *destination_param_normalise(const json_t *p);

/* The field's value as JSON, spelled as in YAML: an integer, a boolean, {"destination": ARN}
 * or {"destination": TYPE, "param": {...}}; json null when absent. Returns a new reference, or
 * NULL on allocation failure. */
json_t *async_field_to_json(const AsyncConfig *c, AsyncField f);

/* The field's value for people: "2", "true", "arn:aws:sqs:...", "OBS {bucket: b, prefix: /f}"
 * (param keys sorted), "(none)" when absent. Returns 0 and a malloc'd string, or -ENOMEM. */
int async_field_format(const AsyncConfig *c, AsyncField f, char **ret);
