/* SPDX-License-Identifier: MIT */
#pragma once

/* AsyncConfig (clouds/model.h) as a whole: which of its fields hold a value, and its JSON form
 * (the state store, /status, the plan/apply report). A field's own operations (compare,
 * format, one field's JSON) are reconciler/spec/field.h. */

#include <jansson.h>
#include <stdbool.h>

#include "clouds/model.h"
#include "lib/json-writer.h"
#include "reconciler/spec/field.h"

/* The destination of a destination field, NULL for the scalar fields. */
const Destination *async_config_destination(const AsyncConfig *c, AsyncField f);

/* A destination holds a value: a non-empty target. */
bool destination_present(const Destination *d);

/* True when the field holds a value in c. An empty target ("") counts as absent. */
bool async_config_field_present(const AsyncConfig *c, AsyncField f);
/* The set of the fields present in c. */
AsyncFieldSet async_config_present_fields(const AsyncConfig *c);

/* The whole config as a JSON object with the YAML's keys, absent fields left out. */
int async_config_to_json(const AsyncConfig *c, json_t **ret);
/* The same object written straight to w: the bytes json_writer_json(w, async_config_to_json())
 * would write, without building the tree (the state store writes one per record). */
void async_config_write_json(JsonWriter *w, const AsyncConfig *c);
/* The inverse of async_config_to_json(). Unknown keys and wrong types are -EBADMSG (the input
 * is our own state file: anything else means it was damaged). */
int async_config_from_json(const json_t *j, AsyncConfig *ret);
