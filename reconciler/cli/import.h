/* SPDX-License-Identifier: MIT */
#pragma once

/* `asyncfg import` (DESIGN.md §6): live configs or Terraform state as desired-state YAML
 * (reconciler/cli/emit.h) that `asyncfg validate` accepts and `asyncfg plan` reports in sync.
 *
 *   import --config FILE --account A --function F [--qualifier Q]
 *       With Q (or a qualifier spelled in F): that one config (GET). Without: every config of
 *       the function, all versions and aliases, through the cloud's list API (all pages).
 *       When a list item does not say its qualifier (FC3's documented bare functionArn,
 *       moto's unqualified FunctionArn), none is guessed: the configs of the default
 *       qualifier and of each version and alias (the cloud's version and alias lists) are
 *       read one by one instead; if those account for fewer configs than the list holds,
 *       nothing is imported (exit 1). Never two documents with one identity (a repeated one
 *       with an equal config is dropped; with a different config nothing is imported).
 *       Each document names the account; function and qualifier are written in the loader's
 *       canonical form (AWS name, FC2 service/function, Huawei URN without version).
 *   import --from-tfstate FILE
 *       reconciler/cli/tfstate.h; the YAML on stdout, the count of imported and skipped resources
 *       on stderr (skipped: other resource types, by address only), problems located.
 *
 * Exit codes: 0 done (also when the function has no config: a note on stderr), 1 on errors
 * (invalid arguments or config, unknown account, cloud errors, a malformed state file). */

#include <stdio.h>

typedef struct CliImportOptions {
        const char *config_path;
        const char *account;
        const char *function;
        const char *qualifier; /* NULL: every config of the function */
        FILE *out, *err;
} CliImportOptions;

int cli_import_cloud(const CliImportOptions *o);
int cli_import_tfstate(const char *path, FILE *out, FILE *err);
