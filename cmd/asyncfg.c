/* SPDX-License-Identifier: MIT */
/* asyncfg: the command line (DESIGN.md §6). main() only: argument parsing and wiring; each verb
 * is a row of the verb table and its logic lives in reconciler/ (validate.c, cli-plan.c,
 * cli-import.c, cli-status.c). */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>

#include "lib/log.h"
#include "reconciler/cli/import.h"
#include "reconciler/cli/plan.h"
#include "reconciler/cli/status.h"
#include "reconciler/cli/validate.h"

typedef struct Args {
        const char *config;
        ValidateOutput output;
        const char *account, *function, *qualifier, *from_tfstate, *endpoint;
        unsigned jobs;
        char **paths;
        size_t n_paths;
} Args;

typedef int (*VerbFunc)(const Args *a);

/* A negative return of a verb's logic is a failure of the tool itself. */
static int verb_exit(const char *verb, int r) {
        if (r < 0) {
                log_error_errno(r, "%s failed: %m", verb);
                return 1;
        }
        return r;
}

static int verb_validate(const Args *a) {
        if (a->n_paths == 0) {
                log_error("validate: at least one PATH is needed.");
                return 1;
        }
        return verb_exit("validate", validate_paths(a->paths, a->n_paths, a->config, a->output,
                                                    stdout, stderr));
}

static int plan_or_apply(const Args *a, const char *verb, bool apply) {
        CliPlanOptions o = {
                .config_path = a->config,
                .dir = a->n_paths > 0 ? a->paths[0] : NULL,
                .json = a->output == VALIDATE_OUTPUT_JSON,
                .apply = apply,
                .jobs = a->jobs,
                .out = stdout,
                .err = stderr,
        };

        if (!a->config || a->n_paths > 1) {
                log_error("usage: asyncfg %s --config FILE [DIR]", verb);
                return 1;
        }
        return verb_exit(verb, cli_plan_run(&o));
}

static int verb_plan(const Args *a) {
        return plan_or_apply(a, "plan", false);
}

static int verb_apply(const Args *a) {
        return plan_or_apply(a, "apply", true);
}

static int verb_import(const Args *a) {
        CliImportOptions o = {
                .config_path = a->config,
                .account = a->account,
                .function = a->function,
                .qualifier = a->qualifier,
                .out = stdout,
                .err = stderr,
        };

        if (a->from_tfstate && !a->account && !a->function && !a->qualifier && a->n_paths == 0)
                return verb_exit("import", cli_import_tfstate(a->from_tfstate, stdout, stderr));
        if (a->from_tfstate || !a->config || !a->account || !a->function || a->n_paths > 0) {
                log_error("usage: asyncfg import --config FILE --account A --function F "
                          "[--qualifier Q] | asyncfg import --from-tfstate FILE");
                return 1;
        }
        return verb_exit("import", cli_import_cloud(&o));
}

static int verb_status(const Args *a) {
        CliStatusOptions o = {
                .endpoint = a->endpoint,
                .config_path = a->config,
                .json = a->output == VALIDATE_OUTPUT_JSON,
                .out = stdout,
                .err = stderr,
        };

        if (a->n_paths > 0) {
                log_error("usage: asyncfg status [--endpoint URL | --config FILE]");
                return 1;
        }
        return verb_exit("status", cli_status_run(&o));
}

static const struct {
        const char *name;
        VerbFunc func;
        const char *usage;
} verbs[] = {
        { "validate", verb_validate, "validate [--config FILE] PATH...   exit 0 valid, 1 invalid" },
        { "plan", verb_plan, "plan --config FILE [DIR]          field-level diff; exit 0 in sync, 2 changes, 1 error" },
        { "apply", verb_apply, "apply --config FILE [DIR]         one-shot reconcile; exit 0 converged, 1 error" },
        { "import", verb_import, "import --config FILE --account A --function F [--qualifier Q]\n"
                                 "  asyncfg import --from-tfstate FILE   live config / Terraform state as YAML" },
        { "status", verb_status, "status [--endpoint URL]           the running daemon's status as a table" },
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
                   "  -j, --jobs N          plan, apply: worker threads (default: one per CPU\n"
                   "                        for a large run, at most 8)\n"
                   "      --account A       import: the account\n"
                   "      --function F      import: the function\n"
                   "      --qualifier Q     import: one version or alias (default: all)\n"
                   "      --from-tfstate F  import: a Terraform state file\n"
                   "      --endpoint URL    status: the daemon's endpoint (default: the config's\n"
                   "                        listen, else http://127.0.0.1:9733)\n"
                   "  -h, --help            this text\n"
                   "      --version         the version\n");
}

/* Returns 0 to go on, 1 when done (help/version printed), -EINVAL on a usage error. */
static int parse_args(int argc, char **argv, const char *optstring, Args *a) {
        enum { ARG_VERSION = 0x100, ARG_ACCOUNT, ARG_FUNCTION, ARG_QUALIFIER, ARG_FROM_TFSTATE,
               ARG_ENDPOINT };
        unsigned long jobs;
        char *end;
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "output", required_argument, NULL, 'o' },
                { "jobs", required_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "account", required_argument, NULL, ARG_ACCOUNT },
                { "function", required_argument, NULL, ARG_FUNCTION },
                { "qualifier", required_argument, NULL, ARG_QUALIFIER },
                { "from-tfstate", required_argument, NULL, ARG_FROM_TFSTATE },
                { "endpoint", required_argument, NULL, ARG_ENDPOINT },
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
                case 'j':
                        errno = 0;
                        jobs = strtoul(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end || optarg[0] == '-' || jobs < 1 ||
                            jobs > 64) {
                                log_error("--jobs must be a number from 1 to 64, not '%s'.", optarg);
                                return -EINVAL;
                        }
                        a->jobs = (unsigned) jobs;
                        break;
                case ARG_ACCOUNT:
                        a->account = optarg;
                        break;
                case ARG_FUNCTION:
                        a->function = optarg;
                        break;
                case ARG_QUALIFIER:
                        a->qualifier = optarg;
                        break;
                case ARG_FROM_TFSTATE:
                        a->from_tfstate = optarg;
                        break;
                case ARG_ENDPOINT:
                        a->endpoint = optarg;
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

        /* A short-lived process that parses thousands of files one after the other: keep up
         * to 4 MiB of freed heap instead of handing it back to the kernel after each file and
         * faulting it in again for the next (a third of the page faults of a 10,000-resource
         * load). */
        (void) mallopt(M_TOP_PAD, 4 * 1024 * 1024);
        log_parse_environment("ASYNCFG_LOG_LEVEL");
        log_open();
        /* Options before the verb (asyncfg -o json validate ...) and after it both work. */
        /* "+": stop at the verb; after it, options and paths may be mixed. */
        r = parse_args(argc, argv, "+c:o:j:h", &global);
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
        r = parse_args(argc - first, argv + first, "c:o:j:h", &a);
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
