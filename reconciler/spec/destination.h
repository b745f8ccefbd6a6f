/* SPDX-License-Identifier: MIT */
#pragma once

/* Destinations of onSuccess/onFailure, checked per provider (docs/cloud-apis.md §1.5, §2.4,
 * §3.4):
 *   aws          ARN of an SQS queue, SNS topic, Lambda function or EventBridge event bus;
 *                an S3 bucket ARN only for onFailure
 *   alicloud     acs: ARN of an MNS queue or topic, an FC function, or an EventBridge bus
 *   huaweicloud  a type (OBS, SMN, DIS, FunctionGraph) and a param map with the keys the type
 *                needs: OBS bucket + prefix (+ expires 0..365), SMN topic_urn, DIS stream_name,
 *                FunctionGraph func_urn. The map becomes the JSON object of Destination.param.
 */

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

/* The target checks on their own: NULL if valid, else a static reason. */
const char *aws_destination_check(const char *arn, DestinationSide side);
const char *alicloud_destination_check(const char *arn);
