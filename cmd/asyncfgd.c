/* SPDX-License-Identifier: MIT */
/* asyncfgd: the reconciliation daemon. main() only: argument parsing and wiring. */
#include <stdio.h>

#include "lib/log.h"

int main(int argc, char **argv) {
        log_parse_environment();
        log_open();
        if (argc > 1 && streq(argv[1], "--version")) {
                printf("asyncfgd %s\n", ASYNCFG_VERSION);
                return 0;
        }
        log_error("asyncfgd: the reconciliation loop is not built yet (issue 5).");
        return 1;
}
