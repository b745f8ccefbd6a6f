/* SPDX-License-Identifier: MIT */
#pragma once

/* Function identity: the many spellings of "which function, which version or alias" reduced
 * to one canonical form per provider, so that two documents naming the same function in
 * different spellings are recognised as the same resource. Each provider parses its own
 * spellings (CloudOps.parse_function_id, in its clouds/ file):
 *
 *   aws          name | name:qualifier | 123456789012:function:name[:q] |
 *                arn:aws:lambda:region:123456789012:function:name[:q]
 *                → function = name; region/account kept from an ARN; default qualifier $LATEST
 *   alicloud     FC3 "name", FC2 "service/function" → as written; default qualifier LATEST
 *                (an ARN acs:fc:... is not accepted: FC is addressed by name)
 *   huaweicloud  urn:fss:region:project:function:package:name[:version]
 *                → function = the URN without version; qualifier = version (latest lower-case),
 *                  or the qualifier field, or latest
 *
 * A qualifier written in the function and a different one in the qualifier field is an error. */

#include <stdbool.h>
#include <stddef.h>

#include "clouds/model.h"

typedef struct FunctionId {
        Provider provider;
        CloudApi api;    /* lambda, fc3 or fc2 (from the spelling), functiongraph */
        char *function;  /* canonical function, see above */
        char *name;      /* the bare function name (AWS/FC3 name, FC2 function, Huawei name) */
        char *qualifier; /* normalised, never NULL after a successful parse */
        bool qualifier_spelled; /* the function itself named a version or alias (name:alias, a
                                 * qualified ARN, a versioned URN) */
        char *region;           /* from an ARN or URN; NULL otherwise */
        char *account_id;       /* AWS account from an ARN; Huawei project from the URN; or NULL */
        char *target;           /* what requests name when it is not function: AWS the unqualified
                           * ARN or partial ARN as written (clouds/aws.c says why); or NULL */
} FunctionId;

/* Parses function (and the optional qualifier field, NULL when absent) through the provider's
 * table (cloud_ops_from_provider()). On success fills *ret and returns 0. On a problem returns
 * -EINVAL (the function is at fault) or -EDOM (the qualifier field is at fault) with a human
 * message in *ret_error (malloc'd), or -ENOMEM. */
int function_id_parse(Provider provider, const char *function, const char *qualifier,
                      FunctionId *ret, char **ret_error);
void function_id_done(FunctionId *id);

/* Same function and qualifier of the same provider; region/account from an ARN or URN must
 * agree when both sides have them. */
bool function_id_same(const FunctionId *a, const FunctionId *b);

/* For the providers' parsers: the qualifier of *ret from the one embedded in the function, the
 * qualifier field and the provider's default. 0; -EDOM with a message in *ret_error when the
 * two written ones differ; -ENOMEM. */
int function_id_merge_qualifier(const char *embedded, const char *field, const char *def,
                                char **ret, char **ret_error);
