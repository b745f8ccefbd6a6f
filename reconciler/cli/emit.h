/* SPDX-License-Identifier: MIT */
#pragma once

/* Writes desired-state documents (DESIGN.md §2) for `asyncfg import`: live configs or
 * Terraform state turned into YAML a user can commit. Uses libyaml's emitter, and quotes every
 * string that a YAML 1.2 (or 1.1) reader would otherwise take for a number, boolean or null
 * ("123", "true", "", "0x1f", "1e3", "yes"), so the output reads back as written: "$LATEST",
 * ARNs with colons and account ids stay strings.
 *
 *   ---
 *   apiVersion: asyncfg.io/v1
 *   kind: AsyncInvokeConfig
 *   metadata:
 *     name: orders-worker-prod
 *   spec:
 *     provider: aws
 *     function: orders-worker
 *     qualifier: prod
 *     maxRetryAttempts: 0
 *     onFailure:
 *       destination: OBS          # Huawei: type + param map
 *       param:
 *         bucket: b
 */

#include <stddef.h>

#include "clouds/model.h"

typedef struct EmitResource {
        char *name; /* metadata.name; NULL: derived from function and qualifier */
        Provider provider;
        char *account;   /* spec.account; NULL: left out */
        char *function;  /* spec.function, as the user should write it */
        char *qualifier; /* spec.qualifier; NULL: left out (the provider's default) */
        AsyncConfig config;
} EmitResource;

void emit_resource_done(EmitResource *r);
/* Frees n resources and the array; returns NULL. */
EmitResource *emit_resource_array_free(EmitResource *r, size_t n);

/* A DNS-label name for a function and qualifier: the bare function name (from an ARN, a
 * Huawei URN, or FC2's "service/function" joined with '-'), then the qualifier unless it is
 * the provider's default ($LATEST, LATEST, latest); lower-cased, every run of other characters
 * a single '-', at most 63 characters, never empty ("function"). Not made unique. */
int emit_resource_name(Provider provider, const char *function, const char *qualifier, char **ret);

/* Renders n resources as a YAML stream, one "---" document each, in the given order. Names
 * are made unique within the output by appending -2, -3, ... (still at most 63 characters).
 * Returns 0 and a malloc'd string, -EINVAL when a resource lacks a function or has an invalid
 * provider, -ENOMEM. */
int emit_yaml(const EmitResource *r, size_t n, char **ret);
