/* SPDX-License-Identifier: MIT */
/* asyncfgd: the reconciliation daemon. main() only: argument parsing and wiring; everything
 * else is the manager's (reconciler/daemon/manager.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-event.h>

#include "lib/log.h"
#include "lib/notify.h"
#include "reconciler/daemon/manager.h"

static const char *arg_config = MANAGER_CONFIG_DEFAULT;

static void help(void) {
        printf("Usage: asyncfgd [--config FILE]\n\n"
               "Keeps the async-invocation configuration of serverless functions equal to a\n"
               "directory of YAML files (see asyncfg(1)).\n\n"
               "  -c, --config FILE   daemon configuration (default %s)\n"
               "  -h, --help          show this help\n"
               "      --version       show the version\n\n"
               "Signals: SIGHUP reloads the configuration and the directory; SIGTERM stops.\n",
               MANAGER_CONFIG_DEFAULT);
}

/* 1: go on, 0: done (help, version), -EINVAL: bad usage. */
static int parse_argv(int argc, char **argv) {
        enum { ARG_VERSION = 0x100 };
        static const struct option options[] = { { "config", required_argument, NULL, 'c' },
                                                 { "help", no_argument, NULL, 'h' },
                                                 { "version", no_argument, NULL, ARG_VERSION },
                                                 {} };
        int c;

        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        arg_config = optarg;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("asyncfgd %s\n", ASYNCFG_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'; see --help.", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char **argv) {
        _cleanup_(manager_freep) Manager *m = NULL;
        sd_event *e = NULL;
        int r;

        log_parse_environment("ASYNCFG_LOG_LEVEL");
        log_show_time(true); /* off the journal: a log file or a terminal keeps the time */
        log_open();

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        r = sd_event_default(&e);
        if (r < 0) {
                log_error_errno(r, "Failed to allocate the event loop: %m");
                return 1;
        }

        r = manager_new(e, arg_config, &m);
        if (r >= 0)
                r = manager_load(m);
        if (r >= 0)
                r = manager_start(m);
        if (r < 0) {
                (void) notify_status("Failed to start: %s", strerror(-r));
                m = manager_free(m);
                sd_event_unref(e);
                return 1;
        }

        log_info("asyncfgd %s running.", ASYNCFG_VERSION);
        manager_notify_ready(m);

        r = sd_event_loop(e);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");
        else
                r = manager_exit_status(m);

        m = manager_free(m);
        sd_event_unref(e);
        return r < 0 ? 1 : r;
}
