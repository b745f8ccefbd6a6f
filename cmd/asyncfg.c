/* SPDX-License-Identifier: MIT */
/* asyncfg: the command line. main() only: argument parsing and wiring. */
#include <stdio.h>

#include "lib/log.h"

int main(int argc, char **argv) {
        log_parse_environment();
        log_open();
        if (argc > 1 && streq(argv[1], "--version")) {
                printf("asyncfg %s\n", ASYNCFG_VERSION);
                return 0;
        }
        fprintf(stderr, "usage: asyncfg validate|plan|apply|import|status ...\n");
        return 1;
}
