/* SPDX-License-Identifier: MIT */
/* asyncfg: the command line. main() only: argument parsing and wiring. Each verb is a row of
 * the verb table; plan, apply, import and status belong to other parts of the project and
 * answer "not implemented yet" (exit 1) until they land. */
#include <getopt.h>
#include <stdio.h>

#include "lib/log.h"
#include "reconciler/validate.h"

typedef struct Args {
        const char *config;
        ValidateOutput output;
        char **paths;
        size_t n_paths;
} Args;

typedef int (*VerbFunc)(const Args *a);

static int verb_validate(const Args *a) {
        if (a->n_paths == 0) {
                log_error("validate: at least one PATH is needed.");
                return 1;
        }
        int r = validate_paths(a->paths, a->n_paths, a->config, a->output, stdout, stderr);
        if (r < 0) {
                log_error_errno(r, "validate failed: %m");
                return 1;
        }
        return r;
}

static int verb_not_implemented(const Args *a) {
        log_error("This command is not implemented yet.");
        return 1;
}

static const struct {
        const char *name;
        VerbFunc func;
        const char *usage;
} verbs[] = {
        { "validate", verb_validate, "validate [--config FILE] PATH...   exit 0 valid, 1 invalid" },
        { "plan", verb_not_implemented, "plan --config FILE [DIR]          (not implemented yet)" },
        { "apply", verb_not_implemented, "apply --config FILE [DIR]         (not implemented yet)" },
        { "import", verb_not_implemented, "import ...                        (not implemented yet)" },
        { "status", verb_not_implemented, "status [--endpoint URL]           (not implemented yet)" },
};

static void help(FILE *f) {
        fprintf(f, "asyncfg %s: keep serverless async-invocation configs equal to YAML\n\n"
                   "usage: asyncfg COMMAND [OPTIONS]\n",
                ASYNCFG_VERSION);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                fprintf(f, "  asyncfg %s\n", verbs[i].usage);
        fprintf(f, "\noptions:\n"
                   "  -c, --config FILE     the daemon configuration (accounts)\n"
                   "  -o, --output FORMAT   text (default) or json\n"
                   "  -h, --help            this text\n"
                   "      --version         the version\n");
}

/* Returns 0 to go on, 1 when done (help/version printed), -EINVAL on a usage error. */
static int parse_args(int argc, char **argv, const char *optstring, Args *a) {
        enum { ARG_VERSION = 0x100 };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "output", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, optstring, options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        a->config = optarg;
                        break;
                case 'o':
                        if (streq(optarg, "json"))
                                a->output = VALIDATE_OUTPUT_JSON;
                        else if (streq(optarg, "text"))
                                a->output = VALIDATE_OUTPUT_TEXT;
                        else {
                                log_error("Unknown output format '%s' (text or json).", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'h':
                        help(stdout);
                        return 1;
                case ARG_VERSION:
                        printf("asyncfg %s\n", ASYNCFG_VERSION);
                        return 1;
                default:
                        return -EINVAL;
                }
        return 0;
}

int main(int argc, char **argv) {
        Args global = {}, a = {};
        const char *verb;
        int r;

        log_parse_environment();
        log_open();
        /* Options before the verb (asyncfg -o json validate ...) and after it both work. */
        /* "+": stop at the verb; after it, options and paths may be mixed. */
        r = parse_args(argc, argv, "+c:o:h", &global);
        if (r != 0)
                return r > 0 ? 0 : 2;
        if (optind >= argc) {
                help(stderr);
                return 2;
        }
        verb = argv[optind];
        a = global;
        optind++;
        int first = optind - 1;
        optind = 0; /* a full re-initialisation of GNU getopt */
        r = parse_args(argc - first, argv + first, "c:o:h", &a);
        if (r != 0)
                return r > 0 ? 0 : 2;
        a.paths = argv + first + optind;
        a.n_paths = (size_t) (argc - first - optind);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, verb))
                        return verbs[i].func(&a);
        log_error("Unknown command '%s'; see asyncfg --help.", verb);
        return 2;
}
