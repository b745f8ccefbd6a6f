/* SPDX-License-Identifier: MIT */
/* lib/ini: any bytes parse or fail cleanly; on success every entry is found again. */
#include <stdint.h>

#include "lib/ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        IniFile *f = NULL;
        DiagList d;

        diag_list_init(&d);
        if (ini_parse((const char *) data, size, "fuzz.ini", &d, &f) >= 0) {
                for (size_t i = 0; i < f->n_entries; i++)
                        if (!ini_find(f, f->entries[i].section, f->entries[i].key))
                                __builtin_trap();
                (void) ini_has_section(f, "default");
        } else if (f)
                __builtin_trap();
        for (size_t i = 0; i < d.n; i++) {
                char *line = NULL;
                if (diag_format(&d.items[i], &line) >= 0)
                        free(line);
        }
        diag_list_done(&d);
        ini_file_free(f);
        return 0;
}
