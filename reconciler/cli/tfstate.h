/* SPDX-License-Identifier: MIT */
#pragma once

/* `asyncfg import --from-tfstate FILE`: the async-invocation resources of a Terraform state
 * turned into desired-state documents (reconciler/cli/emit.h).
 *
 * Input: a state file of format version 4 ({"version": 4, "resources": [{"module", "mode",
 * "type", "name", "instances": [{"index_key", "attributes"}]}]}) or the output of
 * `terraform show -json` ({"values": {"root_module": {"resources": [{"address", "mode",
 * "type", "name", "values"}], "child_modules": [...]}}}), modules at any depth.
 *
 * Resource types and their attributes (the providers' documentation):
 *   aws_lambda_function_event_invoke_config     function_name, qualifier,
 *       maximum_retry_attempts, maximum_event_age_in_seconds,
 *       destination_config [{on_success [{destination}], on_failure [{destination}]}]
 *   alicloud_fc_function_async_invoke_config    (FC2) service_name, function_name, qualifier,
 *       maximum_retry_attempts, maximum_event_age_in_seconds, stateful_invocation,
 *       destination_config [...]                → function "service/function"
 *   alicloud_fcv3_async_invoke_config           (FC3) function_name, qualifier,
 *       max_async_retry_attempts, max_async_event_age_in_seconds, async_task,
 *       destination_config [...]
 *   huaweicloud_fgs_async_invoke_configuration  function_urn, max_async_retry_attempts,
 *       max_async_event_age_in_seconds, enable_async_status_log,
 *       on_success [{destination, param}], on_failure [...] (param: a JSON object in a string)
 *
 * Zero values: a retry count of 0 is a value and is kept (the Terraform GetOk bug must not be
 * repeated). An event age of 0 is what the Terraform SDK stores for an age that was never set,
 * and is outside every provider's range (60–21600, 1–2592000, 1–86400): it is left out.
 * Empty strings and empty blocks are absent. spec.account is left out (the daemon config
 * resolves it when the provider has one account).
 *
 * Managed resources of other types are skipped and listed (no attribute of theirs is ever
 * read or printed: state files hold secrets); data sources are ignored. A known resource with
 * a malformed attribute is an error naming its address and the attribute. */

#include <stddef.h>

#include "lib/diag.h"
#include "lib/macro.h"
#include "reconciler/cli/emit.h"

#define TFSTATE_FILE_MAX (512u * 1024u * 1024u)

typedef struct TfStateImport {
        EmitResource *resources; /* in the order of the state file */
        size_t n_resources;
        char **skipped; /* addresses of the skipped resources (NULL-terminated) */
        size_t n_skipped;
} TfStateImport;

/* Converts a state held in memory; path is for diagnostics. Every problem goes to diags
 * (path:line:col for JSON syntax; path:1:1 with the resource address otherwise). Returns 0
 * and the result, -EINVAL if anything was wrong (nothing returned), -ENOMEM. */
int tfstate_parse(const char *path, const void *data, size_t size, DiagList *diags,
                  TfStateImport **ret);
/* The same for a file ("-" is standard input); an unreadable file is a diagnostic too. */
int tfstate_parse_file(const char *path, DiagList *diags, TfStateImport **ret);

TfStateImport *tfstate_import_free(TfStateImport *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(TfStateImport *, tfstate_import_free);

/* The documents as YAML (emit_yaml()). */
int tfstate_import_to_yaml(const TfStateImport *t, char **ret);
