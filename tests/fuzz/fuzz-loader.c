/* SPDX-License-Identifier: MIT */
/* Fuzzes the desired-state loader: the input is one YAML file, loaded into a DesiredSet (YAML
 * tree, schema, identity, destinations, duplicates). If the first byte is '%', the rest is
 * parsed as a daemon configuration instead. The file is also loaded a second time under
 * another name, so cross-file duplicate detection and the last-good-version path run too.
 * Invariant checked: a file is accepted exactly when it produced no error. */
#include <stdint.h>
#include <stdlib.h>

#include "reconciler/daemon-config.h"
#include "reconciler/desired.h"

static void check_file(const DesiredSet *s, const char *path, int r) {
        const DesiredFile *f = desired_set_get_file(s, path);

        if (!f)
                abort();
        if ((r == 1) != (f->diags.n_errors == 0))
                abort();
        if (r == 1 && f->state != DESIRED_FILE_OK)
                abort();
}

static void fuzz_config(const uint8_t *data, size_t size) {
        DaemonConfig *c = NULL;
        DiagList diags;

        diag_list_init(&diags);
        int r = daemon_config_parse("fuzz.yaml", data, size, &diags, &c);
        if ((r == 0) != (diags.n_errors == 0 && c))
                abort();
        daemon_config_free(c);
        diag_list_done(&diags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        DesiredSet *s = NULL;
        DiagList all;
        int r;

        if (size > 0 && data[0] == '%') {
                fuzz_config(data + 1, size - 1);
                return 0;
        }
        if (desired_set_new(NULL, &s) < 0)
                return 0;
        r = desired_set_load_data(s, "a.yaml", data, size);
        if (r >= 0)
                check_file(s, "a.yaml", r);
        r = desired_set_load_data(s, "b.yaml", data, size);
        if (r >= 0) {
                check_file(s, "b.yaml", r);
                /* The same resources twice: b must be rejected if a had any. */
                if (r == 1 && desired_set_get_file(s, "a.yaml")->n_resources > 0)
                        abort();
        }
        diag_list_init(&all);
        (void) desired_set_collect_diags(s, &all);
        diag_list_done(&all);
        desired_set_free(s);
        return 0;
}
