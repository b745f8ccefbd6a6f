/* SPDX-License-Identifier: MIT */

/* The one-shot run's data: loading the configuration and the desired state into run items,
 * and the words for an item's error. Executing the run is reconciler/cli/run-workers.c. */

#include <stdio.h>
#include <sys/stat.h>

#include "reconciler/cli/run.h"

/* ---- loading ------------------------------------------------------------------------ */

static int load_desired(DesiredSet *set, const char *dir) {
        struct stat st;
        int r;

        if (stat(dir, &st) >= 0 && !S_ISDIR(st.st_mode))
                r = desired_set_load_file(set, dir);
        else
                r = desired_set_rescan(set, dir);
        return r == -ENOMEM ? r : 0;
}

static int run_add_items(CliRun *run) {
        DesiredIterator it = {};
        const ResourceSpec *spec;
        size_t n = desired_set_n_resources(run->set);
        int r;

        run->items = calloc(n ?: 1, sizeof(CliRunItem));
        if (!run->items)
                return -ENOMEM;
        while ((spec = desired_set_next(run->set, &it))) {
                CliRunItem *item = &run->items[run->n_items++];
                item->spec = spec;
                r = resource_spec_identity(spec, &item->key);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cli_run_load(const char *config_path, const char *dir, unsigned jobs, FILE *err, CliRun **ret) {
        _cleanup_(cli_run_freep) CliRun *run = calloc(1, sizeof(CliRun));
        DiagList diags;
        int r;

        if (!run)
                return -ENOMEM;
        diag_list_init(&diags);
        r = daemon_config_load(config_path, &diags, &run->config);
        if (r == -ENOMEM)
                goto finish;
        if (r < 0) {
                r = 1;
                goto finish;
        }
        r = desired_set_new(run->config, &run->set);
        if (r < 0)
                goto finish;
        /* Parsing is the longest part of loading a large tree: on as many threads as the run
         * will have workers (one per CPU by default). */
        run->jobs = jobs;
        desired_set_set_load_threads(run->set, jobs, 0);
        r = load_desired(run->set, dir ?: run->config->desired_dir);
        if (r < 0)
                goto finish;
        r = desired_set_collect_diags(run->set, &diags);
        if (r < 0)
                goto finish;
        if (diags.n_errors > 0) {
                r = 1;
                goto finish;
        }
        r = run_add_items(run);
        if (r < 0)
                goto finish;
        *ret = TAKE_PTR(run);
finish:
        diag_list_sort(&diags);
        diag_list_print(&diags, err);
        diag_list_done(&diags);
        return r;
}

CliRun *cli_run_free(CliRun *run) {
        if (!run)
                return NULL;
        for (size_t i = 0; i < run->n_items; i++) {
                CliRunItem *item = &run->items[i];
                free(item->key);
                diff_free(item->diff);
                cloud_error_done(&item->error);
                free(item->account_error);
        }
        free(run->items);
        desired_set_free(run->set);
        daemon_config_free(run->config);
        free(run);
        return NULL;
}

int cli_run_item_error_message(const CliRunItem *item, char **ret) {
        const ResourceSpec *s = item->spec;
        _cleanup_free_ char *detail = NULL;
        int r;

        if (item->account_error)
                r = asprintf(ret, "%s:%u:%u: error: %s", s->path, s->line, s->column,
                             item->account_error);
        else {
                if (cloud_error_format(&item->error, &detail) < 0)
                        return -ENOMEM;
                if (item->error.class == CLOUD_ERROR_FUNCTION_ABSENT)
                        r = asprintf(ret,
                                     "%s:%u:%u: error: function '%s' (qualifier '%s') does not "
                                     "exist in account '%s' (%s)",
                                     s->path, s->line, s->column, s->function, s->id.qualifier,
                                     strna(s->account), detail);
                else
                        r = asprintf(ret, "%s:%u:%u: error: %s of '%s' failed: %s", s->path,
                                     s->line, s->column, cloud_op_to_string(item->error_op),
                                     s->function, detail);
        }
        return r < 0 ? -ENOMEM : 0;
}
