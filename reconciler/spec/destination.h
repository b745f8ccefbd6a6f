/* SPDX-License-Identifier: MIT */
#pragma once

/* Destinations of onSuccess/onFailure. What a provider accepts is its own fact, kept in its
 * clouds/ file (CloudOps.check_destination and .destination_types): an ARN for AWS and Alibaba,
 * a type plus a param map for Huawei, whose keys this parser checks against the type's row and
 * turns into the JSON object of Destination.param. This file adds the locations. */

#include "clouds/model.h"
#include "reconciler/spec/schema.h"

typedef enum DestinationSide {
        DESTINATION_ON_SUCCESS,
        DESTINATION_ON_FAILURE,
} DestinationSide;

/* A SchemaParser for "onSuccess"/"onFailure": the mapping {destination, param}. The provider
 * is ctx->variant; f->data points to a DestinationSide; dest is a Destination. */
int destination_parse_field(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                            void *dest);
