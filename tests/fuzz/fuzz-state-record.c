/* SPDX-License-Identifier: MIT */
/* The state store's record decoder (reconciler/core/state.c), reached through
 * state_store_load_json(): the input is a state.json document, whose records are decoded by
 * the same function as the SQLite rows. Invariants: a load that succeeds reported no error,
 * and what the store then writes loads again, to as many records (the writer and the reader
 * agree). Two stores in one scratch directory serve every input (opening one per input made
 * 70 runs a second): emptied after each, and saved now and then so that the keys they
 * remember as changed do not pile up. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reconciler/core/state.h"

static char scratch[] = "/tmp/asyncfg-fuzz-state-XXXXXX";

static void scratch_remove(void) {
        static const char *const names[] = { "state.db", "state.db-wal", "state.db-shm" };
        char path[sizeof(scratch) + 16];

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", scratch, names[i]);
                (void) unlink(path);
        }
        (void) rmdir(scratch);
}

static StateStore *store_get(unsigned i) {
        static StateStore *stores[2];

        if (!stores[0]) {
                if (!mkdtemp(scratch))
                        abort();
                atexit(scratch_remove);
                for (unsigned n = 0; n < 2; n++)
                        if (state_store_open(scratch, NULL, &stores[n]) < 0)
                                abort();
        }
        return stores[i];
}

static void store_empty(StateStore *s) {
        static unsigned n;

        while (state_store_size(s) > 0) {
                char *key = strdup(state_store_get_nth(s, 0)->key);
                if (!key || state_store_remove(s, key) != 1)
                        abort();
                free(key);
        }
        if (++n % 1024 == 0 && state_store_save(s) < 0)
                abort();
}

/* The store written as state.json and loaded into a fresh store: must load, same size. */
static void check_round_trip(StateStore *s) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        StateStore *again;
        DiagList d;

        if (!f || state_store_write_json(s, f) < 0 || fclose(f) != 0)
                abort();
        again = store_get(1);
        diag_list_init(&d);
        if (state_store_load_json(again, text, size, &d) < 0 || d.n_errors > 0 ||
            state_store_size(again) != state_store_size(s))
                abort();
        diag_list_done(&d);
        store_empty(again);
        free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        StateStore *s = store_get(0);
        DiagList d;
        int r;

        diag_list_init(&d);
        r = state_store_load_json(s, (const char *) data, size, &d);
        if (r == 0 && d.n_errors > 0)
                abort();
        if (r < 0 && r != -ENOMEM && d.n_errors == 0)
                abort();
        for (size_t i = 0; i < d.n; i++) {
                char *line = NULL;
                if (diag_format(&d.items[i], &line) >= 0)
                        free(line);
        }
        diag_list_done(&d);
        if (r == 0)
                check_round_trip(s);
        store_empty(s);
        return 0;
}
