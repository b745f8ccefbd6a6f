/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include "reconciler/spec/daemon-config.h"
#include "reconciler/desired/desired.h"
#include "reconciler/cli/validate.h"
#include "reconciler/spec/yaml-tree.h"

typedef struct PathResult {
        size_t n_files, n_resources;
        bool is_dir;
} PathResult;

static bool path_under(const char *path, const char *root) {
        size_t n = strlen(root);

        while (n > 1 && root[n - 1] == '/')
                n--;
        return strneq(path, root, n) && (path[n] == '/' || path[n] == 0);
}

/* Counts the files and resources that came from one argument, for its summary line. */
static void count_path(const DesiredSet *s, const char *root, PathResult *res) {
        for (size_t i = 0; i < s->n_files; i++) {
                const DesiredFile *f = s->files[i];
                if (!path_under(f->path, root))
                        continue;
                res->n_files++;
                res->n_resources += f->n_resources;
        }
}

static bool path_has_errors(const DiagList *all, const char *root) {
        for (size_t i = 0; i < all->n; i++)
                if (all->items[i].severity == DIAG_ERROR && path_under(all->items[i].path, root))
                        return true;
        return false;
}

/* A directory without YAML files is what a fresh install has, and the daemon starts with it
 * (ready, managing nothing until files appear; it removes nothing either). So validate calls it
 * valid, with a warning, and the unit's ExecStartPre= passes on a fresh install. */
static int scan_note_empty(DesiredSet *s, const char *path) {
        diag_list_clear(&s->scan_diags);
        return diag_warning(&s->scan_diags, path, DIAG_LINE_NONE, 0,
                            "no *.yaml or *.yml files yet; the daemon starts with this directory "
                            "and manages nothing until files appear");
}

/* A PATH that is not there has no line to point at; the one the configuration names is a
 * directory, and the scan says so. */
static int note_missing(DesiredSet *s, const char *path) {
        diag_list_clear(&s->scan_diags);
        return diag_error(&s->scan_diags, path, DIAG_LINE_NONE, 0, "does not exist");
}

static int load_path(DesiredSet *s, const char *path, bool desired_dir, PathResult *res) {
        struct stat st;
        int r;

        if (!desired_dir && stat(path, &st) < 0 && errno == ENOENT)
                return note_missing(s, path) == -ENOMEM ? -ENOMEM : 0;
        if (desired_dir || (stat(path, &st) >= 0 && S_ISDIR(st.st_mode))) {
                res->is_dir = true;
                r = desired_set_rescan(s, path);
                if (r == -ENODATA)
                        r = scan_note_empty(s, path);
                return r == -ENOMEM ? r : 0;
        }
        r = desired_set_load_file(s, path);
        return r == -ENOMEM ? r : 0;
}

/* The unit's check (no PATH): a document that fails to load does not keep the daemon from
 * starting or reloading — the daemon keeps that file's last good version and shows the error —
 * so it must not fail ExecStartPre=/ExecReload= either, or one broken file pushed by Git would
 * leave every other resource unwatched after a reboot. It is reported as a warning. */
static int append_as_warnings(DiagList *dst, const DiagList *src) {
        for (size_t i = 0; i < src->n; i++) {
                const Diag *d = &src->items[i];
                int r = diag_add(dst, DIAG_WARNING, d->path, d->line, d->column,
                                 "%s (the daemon starts all the same and keeps this file's last "
                                 "good version)",
                                 d->message);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void print_summary(FILE *out, const char *path, const PathResult *res) {
        fprintf(out, "%s: %zu resource%s in %zu file%s, valid\n", path, res->n_resources,
                res->n_resources == 1 ? "" : "s", res->n_files, res->n_files == 1 ? "" : "s");
}

static int print_diags(const DiagList *diags, ValidateOutput output, FILE *out, FILE *err) {
        _cleanup_free_ char *json = NULL;

        if (output == VALIDATE_OUTPUT_TEXT) {
                diag_list_print(diags, err);
                return 0;
        }
        if (diag_list_to_json(diags, &json) < 0)
                return -ENOMEM;
        fprintf(out, "%s\n", json);
        return 0;
}

int validate_paths(char *const *paths, size_t n_paths, const char *config_path,
                   ValidateOutput output, FILE *out, FILE *err) {
        _cleanup_(daemon_config_freep) DaemonConfig *config = NULL;
        _cleanup_(desired_set_freep) DesiredSet *set = NULL;
        _cleanup_free_ PathResult *results = calloc(n_paths ?: 1, sizeof(PathResult));
        DiagList diags;
        int r;

        if (!results)
                return -ENOMEM;
        diag_list_init(&diags);
        if (config_path) {
                r = daemon_config_load(config_path, &diags, &config);
                if (r == -ENOMEM)
                        goto finish;
        }
        /* No PATH: the directory the configuration names, as the daemon would load it. A
         * configuration that does not load names none; its errors are the answer. */
        bool unit_check = n_paths == 0;
        if (unit_check && config) {
                paths = &config->desired_dir;
                n_paths = 1;
        }
        r = desired_set_new(config, &set);
        if (r < 0)
                goto finish;
        desired_set_set_load_threads(set, 0, 0); /* a large tree: one file per CPU at a time */
        for (size_t i = 0; i < n_paths; i++) {
                r = load_path(set, paths[i], unit_check, &results[i]);
                if (r < 0)
                        goto finish;
                /* Scan problems belong to this argument's scan; keep them before the next. */
                r = diag_list_append(&diags, &set->scan_diags);
                if (r < 0)
                        goto finish;
        }
        /* A missing desiredDir stays an error: the daemon does not become ready with it. */
        unit_check = unit_check && n_paths == 1 && results[0].is_dir;
        for (size_t i = 0; i < set->n_files; i++) {
                r = unit_check ? append_as_warnings(&diags, &set->files[i]->diags)
                               : diag_list_append(&diags, &set->files[i]->diags);
                if (r < 0)
                        goto finish;
        }
        diag_list_sort(&diags);
        r = print_diags(&diags, output, out, err);
        if (r < 0)
                goto finish;
        for (size_t i = 0; i < n_paths && output == VALIDATE_OUTPUT_TEXT; i++) {
                count_path(set, paths[i], &results[i]);
                if (!path_has_errors(&diags, paths[i]))
                        print_summary(out, paths[i], &results[i]);
        }
        r = diags.n_errors > 0 ? 1 : 0;
finish:
        diag_list_done(&diags);
        return r;
}
