/* SPDX-License-Identifier: MIT */
#pragma once

/* The one-shot run behind `asyncfg plan` and `asyncfg apply` (DESIGN.md §6): load the daemon
 * configuration and the desired state, then reconcile every resource once
 * (reconciler/core/reconcile.h) through the work queue — at most `concurrency` requests in flight, the
 * per-account rate limits, retries with backoff on retryable errors (throttling with
 * Retry-After, transient errors) up to CLI_RUN_MAX_ATTEMPTS runs per resource — and collect
 * one final result per resource, in file order.
 *
 * The state store (apply): stateDir/state.json is used when stateDir exists and is writable,
 * so the daemon later tells drift from change; the directory is never created here (it is the
 * daemon's StateDirectory=), and a missing, read-only or damaged store only means a warning and
 * an apply without records. plan reads the store when it can (drift/change annotations) and
 * never writes it. */

#include <stdbool.h>
#include <stdio.h>

#include "clouds/cloud-error.h"
#include "reconciler/spec/daemon-config.h"
#include "reconciler/desired/desired.h"
#include "reconciler/core/diff.h"
#include "reconciler/core/reconcile.h"

#define CLI_RUN_MAX_ATTEMPTS 10u
/* Workers (threads) of a run: at most this many by default (one per CPU), and one per this
 * many resources (see cli_run_execute()). */
#define CLI_RUN_MAX_JOBS 8u
#define CLI_RUN_ITEMS_PER_WORKER 500u
/* The one-shot run waits at most this long between tries of a resource (unless the server
 * asks for longer with Retry-After): a CLI should give up within a minute or two. */
#define CLI_RUN_BACKOFF_CAP (10 * USEC_PER_SEC)
/* An apply commits what completed within this window together (group commit, as the daemon
 * does): a run killed half way keeps every record of what it wrote but the last window's, one
 * transaction per window. Longer than the daemon's 10 ms: a commit rewrites the B-tree pages
 * its rows touch, and at 10 ms the commits were 13 % of a 10,000-resource apply's CPU (perf);
 * at 100 ms they are a few per cent, and a run lasts seconds to minutes anyway. */
#define CLI_RUN_COMMIT_WINDOW (100 * USEC_PER_MSEC)

typedef struct CliRunItem {
        const ResourceSpec *spec; /* borrowed from the run's DesiredSet */
        char *key;                /* the identity */
        ReconcileOutcome outcome; /* final */
        Diff *diff;               /* the diff before any write (NULL when never read) */
        CloudError error;         /* outcome ERROR: the last error */
        CloudOp error_op;
        char *account_error; /* the account is unusable: why (then error.class is AUTH) */
        unsigned attempts;
        bool put_sent;    /* some attempt sent a PUT */
        bool live_absent; /* the first successful read found no config */
        bool done;
} CliRunItem;

typedef struct CliRun {
        DaemonConfig *config;
        DesiredSet *set;
        CliRunItem *items;
        size_t n_items;
        unsigned jobs; /* workers; 0: one per CPU for a large run (cli_run_execute()) */
        bool progress; /* progress_file is a terminal: one line redrawn in place (else a line
                        * every few seconds) */
        FILE *progress_file;
        const char *verb; /* "plan" / "apply", for the progress line */
} CliRun;

/* Loads config_path and dir (NULL: the config's desiredDir; a file or a directory tree), the
 * files of a large tree on up to jobs threads (0: one per CPU; see run->jobs). Problems are
 * printed to err as "path:line:col: error: ..."; returns 0 and the run, 1 when something was
 * invalid (printed), or a negative errno. */
int cli_run_load(const char *config_path, const char *dir, unsigned jobs, FILE *err, CliRun **ret);

/* Reconciles every item once (mode plan or apply), with the state store opened for it and,
 * after an apply, saved. Warnings (state store) go to err. 0 or a negative errno for a failure
 * of the tool itself (event loop, out of memory). */
int cli_run_execute(CliRun *run, ReconcileMode mode, FILE *err);

CliRun *cli_run_free(CliRun *run);
DEFINE_TRIVIAL_CLEANUP_FUNC(CliRun *, cli_run_free);

/* One line explaining an item's error for people, located at its document:
 * "path:line:col: error: function 'f' (qualifier 'q') does not exist in account 'a': ...". */
int cli_run_item_error_message(const CliRunItem *item, char **ret);
