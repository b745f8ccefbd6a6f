/* SPDX-License-Identifier: MIT */
/* Terraform state (v4 or `terraform show -json`) → import → YAML. Any input: no crash, no
 * leak; an accepted state's YAML must parse back as YAML (yaml-tree) with as many documents
 * as resources, each with the function it was given. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "reconciler/cli/tfstate.h"
#include "reconciler/spec/yaml-tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const TfStateImport *t) {
        _cleanup_(yaml_stream_freep) YamlStream *stream = NULL;
        _cleanup_free_ char *yaml = NULL;
        DiagList diags;

        if (tfstate_import_to_yaml(t, &yaml) < 0)
                return; /* -ENOMEM only: emit_yaml's -EINVAL cannot happen for parsed input */
        diag_list_init(&diags);
        int r = yaml_tree_parse("fuzz.yaml", yaml, strlen(yaml), &diags, &stream);
        /* Scalars over the loader's length limit are a located error, not a crash. */
        if (r == 0) {
                assert(stream->n_documents == t->n_resources);
                for (size_t i = 0; i < t->n_resources; i++) {
                        const char *fn = yaml_node_string(yaml_node_get(
                                yaml_node_get(stream->documents[i], "spec"), "function"));
                        assert(fn && streq(fn, t->resources[i].function));
                }
        }
        diag_list_done(&diags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(tfstate_import_freep) TfStateImport *t = NULL;
        DiagList diags;

        if (size > 256 * 1024)
                return 0;
        diag_list_init(&diags);
        if (tfstate_parse("fuzz.json", data, size, &diags, &t) == 0)
                check_round_trip(t);
        else
                assert(diags.n_errors > 0);
        diag_list_done(&diags);
        return 0;
}
