/* SPDX-License-Identifier: MIT */
/* asyncfg: the command line (DESIGN.md §6). main() only: argument parsing and wiring; each verb
 * is a row of the verb table and its logic lives in reconciler/ (validate.c, cli-plan.c,
 * cli-import.c, cli-status.c, state.c). */
#include <getopt.h>
#include <stdarg.h>
#include <malloc.h>
#include <stdio.h>
#include <unistd.h>

#include "lib/heap.h"
#include "lib/log.h"
#include "reconciler/cli/cluster-status.h"
#include "reconciler/cli/import.h"
#include "reconciler/cli/plan.h"
#include "reconciler/cli/state.h"
#include "reconciler/cli/status.h"
#include "reconciler/cli/validate.h"

/* The options, as bits: each verb says which it takes (a verb given one it does not take is a
 * usage error, not an option silently ignored). */
typedef enum Option {
        OPTION_CONFIG = 1u << 0,
        OPTION_OUTPUT = 1u << 1,
        OPTION_JOBS = 1u << 2,
        OPTION_ACCOUNT = 1u << 3,
        OPTION_FUNCTION = 1u << 4,
        OPTION_QUALIFIER = 1u << 5,
        OPTION_FROM_TFSTATE = 1u << 6,
        OPTION_ENDPOINT = 1u << 7,
        OPTION_ALL = 1u << 8,
        OPTION_CA_FILE = 1u << 9,
        OPTION_USER = 1u << 10,
        OPTION_PASSWORD_FILE = 1u << 11,
        OPTION_CLUSTER = 1u << 12,
} Option;

typedef struct Args {
        const char *config;
        ValidateOutput output;
        const char *account, *function, *qualifier, *from_tfstate, *endpoint;
        const char *ca_file, *user, *password_file;
        unsigned jobs;
        unsigned given; /* Option bits seen */
        bool help, version, all, cluster;
        char **paths;
        size_t n_paths;
} Args;

typedef int (*VerbFunc)(const Args *a);

/* Exit codes (DESIGN.md §6): 0 success, 1 any error (usage errors included), and 2 only for
 * plan's "changes pending": a typo must never read as "changes". */
#define EXIT_USAGE 1

static const char *verb_current = NULL; /* for the hint of a usage error */

/* Prints a usage error's one-line hint; returns the exit code. */
static int usage_hint(void) {
        if (verb_current)
                fprintf(stderr, "see 'asyncfg %s --help'\n", verb_current);
        else
                fputs("see 'asyncfg --help'\n", stderr);
        return EXIT_USAGE;
}

_printf_(1, 2) static int usage_error(const char *format, ...) {
        va_list ap;

        fputs("asyncfg: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
        return usage_hint();
}

/* A negative return of a verb's logic is a failure of the tool itself. */
static int verb_exit(const char *verb, int r) {
        if (r < 0) {
                log_error_errno(r, "%s failed: %m", verb);
                return 1;
        }
        return r;
}

static int verb_validate(const Args *a) {
        if (a->n_paths == 0 && !a->config)
                return usage_error("validate: a PATH or --config FILE is needed.");
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

        if (!a->config)
                return usage_error("%s: --config FILE is needed.", verb);
        if (a->n_paths > 1)
                return usage_error("%s: at most one DIR, not %zu.", verb, a->n_paths);
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

        if (a->n_paths > 0)
                return usage_error("import: unexpected argument '%s'.", a->paths[0]);
        if (a->from_tfstate) {
                if (a->account || a->function || a->qualifier)
                        return usage_error("import: --from-tfstate does not go with --account, "
                                           "--function or --qualifier.");
                return verb_exit("import", cli_import_tfstate(a->from_tfstate, stdout, stderr));
        }
        if (!a->config || !a->account || !a->function)
                return usage_error("import: --config, --account and --function are needed "
                                   "(or --from-tfstate FILE).");
        return verb_exit("import", cli_import_cloud(&o));
}

static int verb_status(const Args *a) {
        CliStatusOptions o = {
                .endpoint = a->endpoint,
                .config_path = a->config,
                .json = a->output == VALIDATE_OUTPUT_JSON,
                .all = a->all,
                .ca_file = a->ca_file,
                .user = a->user,
                .password_file = a->password_file,
                .out = stdout,
                .err = stderr,
        };

        if (a->n_paths > 0)
                return usage_error("status: unexpected argument '%s'.", a->paths[0]);
        if (a->cluster) {
                if (!a->config || a->endpoint || a->all)
                        return usage_error("status: --cluster takes --config FILE, and neither "
                                           "--endpoint nor --all.");
                return verb_exit("status", cli_cluster_status_run(&(CliClusterStatusOptions){
                                                   .config_path = a->config,
                                                   .json = o.json,
                                                   .out = stdout,
                                                   .err = stderr,
                                           }));
        }
        return verb_exit("status", cli_status_run(&o));
}

static int verb_state(const Args *a) {
        CliStateOptions o = {
                .config_path = a->config ?: "/etc/asyncfg/asyncfgd.yaml",
                .action = a->n_paths > 0 ? a->paths[0] : NULL,
                .keys = a->paths + 1,
                .n_keys = a->n_paths > 0 ? a->n_paths - 1 : 0,
                .json = a->output == VALIDATE_OUTPUT_JSON,
                .out = stdout,
                .err = stderr,
        };

        if (!o.action)
                return usage_error("state: list or forget is needed.");
        if (streq(o.action, "list")) {
                if (o.n_keys > 0)
                        return usage_error("state list: unexpected argument '%s'.", o.keys[0]);
        } else if (streq(o.action, "forget")) {
                if (o.n_keys == 0)
                        return usage_error("state forget: at least one KEY is needed.");
                if (a->given & OPTION_OUTPUT)
                        return usage_error("state forget: --output does not apply here.");
        } else
                return usage_error("state: unknown action '%s' (list or forget).", o.action);
        return cli_state_run(&o);
}

static int verb_help(const Args *a);

static int verb_version(const Args *a) {
        if (a->n_paths > 0)
                return usage_error("version: unexpected argument '%s'.", a->paths[0]);
        printf("asyncfg %s\n", ASYNCFG_VERSION);
        return 0;
}

/* The options' help lines, in the order they are listed. */
static const struct {
        Option option;
        const char *text;
} option_help[] = {
        { OPTION_CONFIG, "  -c, --config FILE     the daemon configuration (accounts)" },
        { OPTION_OUTPUT, "  -o, --output FORMAT   text or json (default: text)" },
        { OPTION_JOBS,
          "  -j, --jobs N          worker threads, 1 to 64 (default: one per CPU for a\n"
          "                        large run, at most 8)" },
        { OPTION_ACCOUNT, "      --account A       the account (a name in the configuration)" },
        { OPTION_FUNCTION, "      --function F      the function" },
        { OPTION_QUALIFIER, "      --qualifier Q     one version or alias (default: every one)" },
        { OPTION_FROM_TFSTATE,
          "      --from-tfstate F  a Terraform state file, instead of the cloud" },
        { OPTION_ENDPOINT, "      --endpoint URL    the daemon's endpoint (default: the config's\n"
                           "                        listen, else http://127.0.0.1:9733)" },
        { OPTION_ALL, "      --all             every resource, in sync or not (default: those\n"
                      "                        not in sync)" },
        { OPTION_CA_FILE, "      --ca-file FILE    PEM CA bundle to verify an https:// endpoint" },
        { OPTION_USER, "      --user NAME       basic auth as NAME; the password from\n"
                       "                        $ASYNCFG_PASSWORD or --password-file" },
        { OPTION_PASSWORD_FILE,
          "      --password-file F the basic-auth password (its first line)" },
        { OPTION_CLUSTER, "      --cluster         the cluster in etcd (the config's cluster:\n"
                          "                        block), not one daemon" },
};

static const struct Verb {
        const char *name;
        VerbFunc func;
        const char *synopsis; /* after "asyncfg " */
        const char *summary;  /* one line, for the global help */
        const char *description;
        unsigned options; /* Option bits it takes */
        const char *exit_codes;
} verbs[] = {
        { "validate", verb_validate,
          "validate [--config FILE] PATH...\n       asyncfg validate --config FILE",
          "check desired-state files; exit 0 valid, 1 invalid",
          "Checks the desired-state files PATH... (files or directories) and prints every problem\n"
          "as path:line:col: error: message. With --config, accounts are checked too; without\n"
          "PATH, the configuration and the desiredDir it names, as the daemon loads them. A\n"
          "directory without YAML files, and there a document that fails to load, are warnings:\n"
          "the daemon starts with them (the unit's check). Name the directory for CI.",
          OPTION_CONFIG | OPTION_OUTPUT,
          "  0  valid\n  1  invalid, or any other error (usage errors included)\n" },
        { "plan", verb_plan, "plan --config FILE [DIR]",
          "field-level diff; exit 0 in sync, 2 changes, 1 error",
          "Reads every resource's live configuration and prints the field-level diff against the\n"
          "desired state in DIR (default: the configuration's desiredDir). Writes nothing.",
          OPTION_CONFIG | OPTION_OUTPUT | OPTION_JOBS,
          "  0  in sync\n  2  changes pending (and only that)\n"
          "  1  any error (usage errors included)\n" },
        { "apply", verb_apply, "apply --config FILE [DIR]",
          "one-shot reconcile; exit 0 converged, 1 error",
          "Reconciles every resource of DIR (default: the configuration's desiredDir) once.",
          OPTION_CONFIG | OPTION_OUTPUT | OPTION_JOBS,
          "  0  converged\n  1  any error (usage errors included)\n" },
        { "import", verb_import,
          "import --config FILE --account A --function F [--qualifier Q]\n"
          "       asyncfg import --from-tfstate FILE",
          "live config or Terraform state as YAML documents",
          "Prints the live async-invocation configuration of a function as YAML documents (without\n"
          "--qualifier, every version's and alias's), or those of a Terraform state file.",
          OPTION_CONFIG | OPTION_ACCOUNT | OPTION_FUNCTION | OPTION_QUALIFIER | OPTION_FROM_TFSTATE,
          "  0  printed\n  1  any error (usage errors included)\n" },
        { "status", verb_status,
          "status [--endpoint URL | --config FILE] [--all] [--ca-file FILE] [--user NAME]\n"
          "       asyncfg status --cluster --config FILE",
          "the running daemon's status; exit 1 when anything is wrong",
          "Prints the running daemon's status as a table: the resources that are not in sync\n"
          "(the first 1000; --all: every resource) and the summary. -o json prints the daemon's\n"
          "/status document for the same query (/status?state=...&limit=1000, or\n"
          "/status?resources=all). A health check: exits 1 when a resource is in error, a file\n"
          "fails to load, the desired-state directory is unusable, or the daemon cannot be\n"
          "reached. With --cluster it reads the etcd of the configuration's cluster: block\n"
          "instead and prints the members, the buckets and resources each holds, the\n"
          "unclaimed buckets and the last handover; it exits 1 when etcd cannot be read.",
          OPTION_CONFIG | OPTION_OUTPUT | OPTION_ENDPOINT | OPTION_ALL | OPTION_CA_FILE |
                  OPTION_USER | OPTION_PASSWORD_FILE | OPTION_CLUSTER,
          "  0  all is well\n  1  something is in error, or any other error (usage errors "
          "included)\n" },
        { "state", verb_state,
          "state list [--config FILE] [-o json]\n"
          "       asyncfg state forget [--config FILE] KEY...",
          "what the state store holds; forget records",
          "Lists the records of the state store in the configuration's stateDir (default\n"
          "configuration: /etc/asyncfg/asyncfgd.yaml): per resource key, when its config was\n"
          "last applied, whether asyncfg created or adopted it, since when it is an orphan (its\n"
          "document is gone), and where it was applied. -o json prints the store as one\n"
          "state.json document. forget removes the records of KEY... (an orphan's, say); a\n"
          "running daemon keeps what it holds in memory, so forget with the daemon stopped, or\n"
          "only orphans.",
          OPTION_CONFIG | OPTION_OUTPUT,
          "  0  done\n  1  a KEY without a record, or any other error (usage errors included)\n" },
        { "help", verb_help, "help [COMMAND]", "this text, or a command's",
          "Prints the usage of COMMAND, or of asyncfg.", 0, "  0  printed\n  1  usage error\n" },
        { "version", verb_version, "version", "the version", "Prints the version.", 0,
          "  0  printed\n" },
};

static const struct Verb *verb_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return &verbs[i];
        return NULL;
}

static void help(FILE *f) {
        fprintf(f,
                "asyncfg %s: keep serverless async-invocation configs equal to YAML\n\n"
                "usage: asyncfg COMMAND [OPTIONS]\n\ncommands:\n",
                ASYNCFG_VERSION);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
        fprintf(f, "\n'asyncfg COMMAND --help' or 'asyncfg help COMMAND': a command's options.\n"
                   "\noptions:\n"
                   "  -h, --help            this text\n"
                   "      --version         the version\n"
                   "\nexit status: 0 success, 1 any error (usage errors included); plan only: 2\n"
                   "changes pending.\n");
}

static void verb_help_print(const struct Verb *v, FILE *f) {
        fprintf(f, "usage: asyncfg %s\n\n%s\n\noptions:\n", v->synopsis, v->description);
        for (size_t i = 0; i < ELEMENTSOF(option_help); i++)
                if (v->options & option_help[i].option)
                        fprintf(f, "%s\n", option_help[i].text);
        fprintf(f, "  -h, --help            this text\n\nexit status:\n%s", v->exit_codes);
}

static int verb_help(const Args *a) {
        const struct Verb *v;

        if (a->n_paths == 0) {
                help(stdout);
                return 0;
        }
        if (a->n_paths > 1)
                return usage_error("help: one COMMAND at most.");
        v = verb_find(a->paths[0]);
        if (!v)
                return usage_error("help: unknown command '%s'.", a->paths[0]);
        verb_help_print(v, stdout);
        return 0;
}

/* The long name of an option bit, for "does not apply" errors. */
static const char *option_name(Option o) {
        static const char *const names[] = { "--config",       "--output",   "--jobs",
                                             "--account",      "--function", "--qualifier",
                                             "--from-tfstate", "--endpoint", "--all",
                                             "--ca-file",      "--user",     "--password-file",
                                             "--cluster" };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (o == 1u << i)
                        return names[i];
        return "?";
}

/* Returns 0, or -EINVAL on a usage error (printed, without the hint). */
static int parse_args(int argc, char **argv, const char *optstring, Args *a) {
        enum {
                ARG_VERSION = 0x100,
                ARG_ACCOUNT,
                ARG_FUNCTION,
                ARG_QUALIFIER,
                ARG_FROM_TFSTATE,
                ARG_ENDPOINT,
                ARG_ALL,
                ARG_CA_FILE,
                ARG_USER,
                ARG_PASSWORD_FILE,
                ARG_CLUSTER,
        };
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
                { "all", no_argument, NULL, ARG_ALL },
                { "ca-file", required_argument, NULL, ARG_CA_FILE },
                { "user", required_argument, NULL, ARG_USER },
                { "password-file", required_argument, NULL, ARG_PASSWORD_FILE },
                { "cluster", no_argument, NULL, ARG_CLUSTER },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, optstring, options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        a->config = optarg;
                        a->given |= OPTION_CONFIG;
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
                        a->given |= OPTION_OUTPUT;
                        break;
                case 'j':
                        errno = 0;
                        jobs = strtoul(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end || optarg[0] == '-' || jobs < 1 ||
                            jobs > 64) {
                                log_error("--jobs must be a number from 1 to 64, not '%s'.",
                                          optarg);
                                return -EINVAL;
                        }
                        a->jobs = (unsigned) jobs;
                        a->given |= OPTION_JOBS;
                        break;
                case ARG_ACCOUNT:
                        a->account = optarg;
                        a->given |= OPTION_ACCOUNT;
                        break;
                case ARG_FUNCTION:
                        a->function = optarg;
                        a->given |= OPTION_FUNCTION;
                        break;
                case ARG_QUALIFIER:
                        a->qualifier = optarg;
                        a->given |= OPTION_QUALIFIER;
                        break;
                case ARG_FROM_TFSTATE:
                        a->from_tfstate = optarg;
                        a->given |= OPTION_FROM_TFSTATE;
                        break;
                case ARG_ENDPOINT:
                        a->endpoint = optarg;
                        a->given |= OPTION_ENDPOINT;
                        break;
                case ARG_ALL:
                        a->all = true;
                        a->given |= OPTION_ALL;
                        break;
                case ARG_CA_FILE:
                        a->ca_file = optarg;
                        a->given |= OPTION_CA_FILE;
                        break;
                case ARG_USER:
                        a->user = optarg;
                        a->given |= OPTION_USER;
                        break;
                case ARG_PASSWORD_FILE:
                        a->password_file = optarg;
                        a->given |= OPTION_PASSWORD_FILE;
                        break;
                case ARG_CLUSTER:
                        a->cluster = true;
                        a->given |= OPTION_CLUSTER;
                        break;
                case 'h':
                        a->help = true;
                        break;
                case ARG_VERSION:
                        a->version = true;
                        break;
                default: /* getopt_long() printed what was wrong */
                        return -EINVAL;
                }
        return 0;
}

/* An option given that the verb does not take: a usage error (1), else 0. */
static int verb_check_options(const struct Verb *v, const Args *a) {
        unsigned extra = a->given & ~v->options;

        if (extra == 0)
                return 0;
        return usage_error("%s: %s does not apply here.", v->name,
                           option_name((Option) (extra & -extra)));
}

static char stdout_buffer[64 * 1024];

int main(int argc, char **argv) {
        const struct Verb *v;
        Args global = {}, a = {};
        int r, first;

        /* A short-lived process that parses thousands of files one after the other: keep up
         * to 4 MiB of freed heap instead of handing it back to the kernel after each file and
         * faulting it in again for the next (a third of the page faults of a 10,000-resource
         * load). That is glibc's malloc (make MALLOC=libc); tcmalloc keeps freed memory by
         * itself and takes this for a no-op. */
        (void) mallopt(M_TOP_PAD, 4 * 1024 * 1024);
        /* Its heap grows by about 2 KiB per resource (an apply of 10,000: 20 MiB) and a page
         * fault costs as much as a request: let the first 64 MiB fault in huge pages (heap.h). */
        heap_reserve_huge_pages(64 * 1024 * 1024);
        /* A report of 10,000 resources is megabytes: written in 64 KiB blocks, not in stdio's
         * 4 KiB (1,700 write calls for one apply -o json; a terminal stays line-buffered). */
        if (!isatty(STDOUT_FILENO))
                (void) setvbuf(stdout, stdout_buffer, _IOFBF, sizeof(stdout_buffer));
        log_parse_environment("ASYNCFG_LOG_LEVEL");
        log_open();
        /* Options before the verb (asyncfg -o json validate ...) and after it both work. */
        /* "+": stop at the verb; after it, options and paths may be mixed. */
        if (parse_args(argc, argv, "+c:o:j:h", &global) < 0)
                return usage_hint();
        if (global.help || global.version) {
                if (global.help)
                        help(stdout);
                else
                        printf("asyncfg %s\n", ASYNCFG_VERSION);
                return 0;
        }
        if (optind >= argc) {
                help(stderr);
                return EXIT_USAGE;
        }
        v = verb_find(argv[optind]);
        if (!v)
                return usage_error("unknown command '%s'.", argv[optind]);
        verb_current = v->name;
        a = global;
        first = optind;
        optind = 0; /* a full re-initialisation of GNU getopt */
        if (parse_args(argc - first, argv + first, "c:o:j:h", &a) < 0)
                return usage_hint();
        if (a.help) {
                verb_help_print(v, stdout);
                return 0;
        }
        if (a.version) {
                printf("asyncfg %s\n", ASYNCFG_VERSION);
                return 0;
        }
        a.paths = argv + first + optind;
        a.n_paths = (size_t) (argc - first - optind);
        r = verb_check_options(v, &a);
        if (r != 0)
                return r;
        return v->func(&a);
}
