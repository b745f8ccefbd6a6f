/* SPDX-License-Identifier: MIT */
/* The desired-state directory: scanning and skip rules, ConfigMap symlinks, symlink loops,
 * the last-good-version API, duplicates across files, the file count limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reconciler/desired/desired.h"
#include "reconciler/spec/limits.h"

#define DOC(name, fn)                                                                              \
        "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: " name "}\n"         \
        "spec: {provider: aws, function: '" fn "'}\n"

static char tmpdir[64];

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(p);
}

static int setup(void **state) {
        strcpy(tmpdir, "/tmp/test-desired-XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
        return 0;
}

static int teardown(void **state) {
        nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
}

static char *path_in(const char *rel) {
        static char buf[4][1024];
        static int k;
        char *p = buf[k++ % 4];
        snprintf(p, 1024, "%s/%s", tmpdir, rel);
        return p;
}

static void write_file(const char *rel, const char *content) {
        const char *p = path_in(rel);
        FILE *f = fopen(p, "we");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

/* A new mtime even on file systems with coarse timestamps: rename a fresh file over it. */
static void replace_file(const char *rel, const char *content) {
        char tmp[512];
        snprintf(tmp, sizeof(tmp), "%s.new", rel);
        write_file(tmp, content);
        assert_int_equal(rename(path_in(tmp), path_in(rel)), 0);
}

static bool has_diag(const DiagList *l, const char *path_suffix, unsigned line, unsigned col,
                     const char *text) {
        for (size_t i = 0; i < l->n; i++)
                if (endswith(l->items[i].path, path_suffix) && l->items[i].line == line &&
                    l->items[i].column == col && strstr(l->items[i].message, text))
                        return true;
        return false;
}

/* The one list of names (reconciler/desired/desired-path.h) that the scan, the directory watch
 * and the daemon's per-file path share. */
static void test_skip_rules(void **state) {
        static const struct {
                const char *name;
                bool hidden, backup, wanted;
        } names[] = {
                /* desired-state files */
                { "a.yaml", false, false, true },
                { "b.yml", false, false, true },
                { "a.b.yaml", false, false, true },
                { "#a.yaml", false, false, true },
                { "a#.yaml", false, false, true },
                { "4913.yaml", false, false, true },
                /* hidden */
                { ".a.yaml", true, false, false },
                { "..data", true, false, false },
                { ".git", true, false, false },
                { ".yaml", true, false, false },
                /* editor backups and scratch files */
                { "a.yaml~", false, true, false },
                { "#a.yaml#", false, true, false },
                { ".#a.yaml", true, true, false },
                { ".a.yaml.swp", true, true, false },
                { "a.yaml.swp", false, true, false },
                { "a.yaml.swo", false, true, false },
                { "a.yaml.swx", false, true, false },
                { "a.yaml.bak", false, true, false },
                { "x.yml.bak", false, true, false },
                { "a.yaml.tmp", false, true, false },
                { "a.yaml.orig", false, true, false },
                { "4913", false, true, false },
                /* other names: neither, and not read */
                { "a.json", false, false, false },
                { "README.md", false, false, false },
                { "#", false, false, false },
                { "yaml", false, false, false },
                { "a.yaml.d", false, false, false },
                /* case matters */
                { "a.YAML", false, false, false },
                { "a.Yml", false, false, false },
                { "a.yaml.BAK", false, false, false },
        };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                print_message("name: '%s'\n", names[i].name);
                assert_int_equal(desired_name_is_hidden(names[i].name), names[i].hidden);
                assert_int_equal(desired_name_is_backup(names[i].name), names[i].backup);
                assert_int_equal(desired_file_name_wanted(names[i].name), names[i].wanted);
        }
}

static void test_path_hidden(void **state) {
        static const struct {
                const char *rel;
                bool hidden;
        } paths[] = {
                { "a.yaml", false },
                { "sub/a.yaml", false },
                { "a.b/c.d/e.yaml", false },
                { "sub/", false },
                { ".a.yaml", true },
                { "sub/.a.yaml", true },
                { ".git/a.yaml", true },
                { "a/..data/b.yaml", true },
                { "a/..2024_01/b/c.yaml", true },
        };
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                print_message("path: '%s'\n", paths[i].rel);
                assert_int_equal(desired_path_is_hidden(paths[i].rel), paths[i].hidden);
        }
}

static void test_scan_tree(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;

        assert_int_equal(mkdir(path_in("sub"), 0755), 0);
        assert_int_equal(mkdir(path_in(".git"), 0755), 0);
        write_file("a.yaml", DOC("a", "fa"));
        write_file("b.yml", DOC("b", "fb"));
        write_file("sub/c.yaml", DOC("c", "fc"));
        write_file(".git/d.yaml", "broken: [");
        write_file("a.yaml~", "broken: [");
        write_file("#a.yaml#", "broken: [");
        write_file("a.yaml.swp", "broken: [");
        write_file(".#a.yaml", "broken: [");
        write_file("notes.txt", "broken: [");
        assert_int_equal(symlink(".", path_in("sub/loop")), 0); /* a loop: read once */
        assert_int_equal(symlink("missing.yaml", path_in("dangling.yaml")), 0);

        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(desired_set_rescan(s, tmpdir), 3);
        assert_int_equal(s->n_files, 3);
        assert_int_equal(desired_set_n_resources(s), 3);
        assert_int_equal(s->scan_diags.n_errors, 0);
        assert_non_null(desired_set_get_file(s, path_in("sub/c.yaml")));
        /* unchanged files are not read again */
        assert_int_equal(desired_set_rescan(s, tmpdir), 0);
}

static void deep_dir(char *rel, size_t size, unsigned levels);

/* desired_path_classify() says of each path what the scan does with it. */
static void test_path_classify_agrees_with_scan(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        char deep[256], deeper[264], deep_file[272], deeper_file[280];
        const struct {
                const char *rel;
                DesiredPathKind kind;
        } paths[] = {
                { "a.yaml", DESIRED_PATH_FILE },
                { "sub/b.yml", DESIRED_PATH_FILE },
                { "link.yaml", DESIRED_PATH_FILE }, /* a symlink to a file: followed */
                { deep_file, DESIRED_PATH_FILE },   /* the deepest level the scan reads */
                { "a.yaml.bak", DESIRED_PATH_IGNORED },
                { "a.yaml.orig", DESIRED_PATH_IGNORED },
                { "notes.txt", DESIRED_PATH_IGNORED },
                { "A.YAML", DESIRED_PATH_IGNORED },
                { "sub", DESIRED_PATH_UNKNOWN }, /* a directory */
                { "gone.yaml", DESIRED_PATH_UNKNOWN },
                { "dangling.yaml", DESIRED_PATH_UNKNOWN },
                { "fifo.yaml", DESIRED_PATH_UNKNOWN },
                { ".h/c.yaml", DESIRED_PATH_UNKNOWN },      /* read only through symlinks */
                { "sub/loop/b.yml", DESIRED_PATH_UNKNOWN }, /* the scan reads sub/b.yml */
                { "top/sub/b.yml", DESIRED_PATH_UNKNOWN },  /* top is the root again */
                { deeper_file, DESIRED_PATH_UNKNOWN },      /* one level too deep */
        };

        deep_dir(deep, sizeof(deep), LIMIT_DIRECTORY_DEPTH);
        snprintf(deep_file, sizeof(deep_file), "%s/e.yaml", deep);
        snprintf(deeper, sizeof(deeper), "%s/d", deep);
        assert_int_equal(mkdir(path_in(deeper), 0755), 0);
        snprintf(deeper_file, sizeof(deeper_file), "%s/f.yaml", deeper);
        assert_int_equal(mkdir(path_in("sub"), 0755), 0);
        assert_int_equal(mkdir(path_in(".h"), 0755), 0);
        write_file("a.yaml", DOC("a", "fa"));
        write_file("sub/b.yml", DOC("b", "fb"));
        write_file(".h/c.yaml", DOC("c", "fc"));
        write_file(deep_file, DOC("e", "fe"));
        write_file(deeper_file, DOC("f", "ff"));
        write_file("a.yaml.bak", "broken: [");
        write_file("a.yaml.orig", "broken: [");
        write_file("notes.txt", "broken: [");
        write_file("A.YAML", "broken: [");
        assert_int_equal(symlink(".h/c.yaml", path_in("link.yaml")), 0);
        assert_int_equal(symlink("missing.yaml", path_in("dangling.yaml")), 0);
        assert_int_equal(mkfifo(path_in("fifo.yaml"), 0644), 0);
        assert_int_equal(symlink(".", path_in("sub/loop")), 0);
        assert_int_equal(symlink(".", path_in("top")), 0);

        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_true(desired_set_rescan(s, tmpdir) >= 0);
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                DesiredPathKind kind = desired_path_classify(tmpdir, path_in(paths[i].rel));

                print_message("path: '%s'\n", paths[i].rel);
                assert_int_equal(kind, paths[i].kind);
                /* the scan read exactly the files classified as desired-state files */
                assert_int_equal(desired_set_get_file(s, path_in(paths[i].rel)) != NULL,
                                 kind == DESIRED_PATH_FILE);
        }
        assert_int_equal(s->n_files, 4);
        /* not below the root */
        assert_int_equal(desired_path_classify(path_in("sub"), path_in("a.yaml")),
                         DESIRED_PATH_UNKNOWN);
}

/* The daemon's per-file path names and judges a file as the scan does. */
static void test_update_file(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        char root[128];
        const DesiredFile *f = NULL;

        assert_int_equal(mkdir(path_in("sub"), 0755), 0);
        write_file("sub/a.yaml", DOC("a", "fa"));
        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(desired_set_rescan(s, tmpdir), 1);
        /* the directory written with a trailing slash names the same file */
        snprintf(root, sizeof(root), "%s//", tmpdir);
        assert_int_equal(desired_set_update_file(s, root, "sub/a.yaml", &f), DESIRED_UPDATE_NONE);
        replace_file("sub/a.yaml", DOC("a2", "fa"));
        assert_int_equal(desired_set_update_file(s, root, "sub/a.yaml", &f),
                         DESIRED_UPDATE_ACCEPTED);
        assert_ptr_equal(f, desired_set_get_file(s, path_in("sub/a.yaml")));
        assert_string_equal(f->resources[0]->name, "a2");
        assert_int_equal(s->n_files, 1);
        replace_file("sub/a.yaml", "spec: [\n");
        assert_int_equal(desired_set_update_file(s, tmpdir, "sub/a.yaml", &f),
                         DESIRED_UPDATE_REJECTED);
        assert_int_equal(f->state, DESIRED_FILE_ERROR);
        assert_string_equal(f->resources[0]->name, "a2");
        /* a rejected version is read again at the next hint: it may load by then */
        assert_int_equal(desired_set_update_file(s, tmpdir, "sub/a.yaml", &f),
                         DESIRED_UPDATE_REJECTED);
        /* names the loader does not take; what only a rescan can judge */
        write_file("sub/a.yaml.orig", DOC("o", "fo"));
        assert_int_equal(desired_set_update_file(s, tmpdir, "sub/a.yaml.orig", NULL),
                         DESIRED_UPDATE_NONE);
        assert_int_equal(desired_set_update_file(s, tmpdir, "sub", NULL), DESIRED_UPDATE_RESCAN);
        assert_int_equal(desired_set_update_file(s, tmpdir, "gone.yaml", NULL),
                         DESIRED_UPDATE_RESCAN);
        assert_int_equal(s->n_files, 1);
}

static void test_configmap_layout(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        const ResourceSpec *r;
        DesiredIterator it = {};

        /* What kubelet creates: the real files in a timestamped dir, "..data" pointing at it,
         * and each visible name a symlink through "..data". */
        assert_int_equal(mkdir(path_in("..2024_01_01_00_00_00.1"), 0755), 0);
        write_file("..2024_01_01_00_00_00.1/orders.yaml", DOC("orders", "orders"));
        assert_int_equal(symlink("..2024_01_01_00_00_00.1", path_in("..data")), 0);
        assert_int_equal(symlink("..data/orders.yaml", path_in("orders.yaml")), 0);

        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(desired_set_rescan(s, tmpdir), 1);
        assert_int_equal(s->n_files, 1);
        r = desired_set_next(s, &it);
        assert_non_null(r);
        assert_string_equal(r->name, "orders");
        assert_true(endswith(r->path, "/orders.yaml"));
        assert_null(strstr(r->path, "..")); /* read through the symlink, not the hidden dir */
        assert_null(desired_set_next(s, &it));

        /* An update swaps "..data" to a new directory: the file is seen as changed. */
        assert_int_equal(mkdir(path_in("..2024_01_02_00_00_00.2"), 0755), 0);
        write_file("..2024_01_02_00_00_00.2/orders.yaml", DOC("orders-v2", "orders"));
        assert_int_equal(symlink("..2024_01_02_00_00_00.2", path_in("..data_tmp")), 0);
        assert_int_equal(rename(path_in("..data_tmp"), path_in("..data")), 0);
        assert_int_equal(desired_set_rescan(s, tmpdir), 1);
        it = (DesiredIterator){};
        assert_string_equal(desired_set_next(s, &it)->name, "orders-v2");
}

static void test_last_good_version(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        const DesiredFile *f;
        DesiredIterator it = {};

        write_file("a.yaml", DOC("good", "orders"));
        write_file("b.yaml", DOC("other", "other"));
        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(desired_set_rescan(s, tmpdir), 2);

        /* A broken new version: rejected, the old resources stay in force. */
        replace_file("a.yaml", DOC("good-v2", "orders") "---\nspec: [\n");
        assert_int_equal(desired_set_rescan(s, tmpdir), 1);
        f = desired_set_get_file(s, path_in("a.yaml"));
        assert_int_equal(f->state, DESIRED_FILE_ERROR);
        assert_true(f->has_good);
        assert_int_equal(f->n_resources, 1);
        assert_string_equal(f->resources[0]->name, "good");
        assert_true(f->diags.n_errors > 0);
        assert_true(has_diag(&f->diags, "a.yaml", 7, 1, "syntax error"));
        assert_int_equal(desired_set_n_files_in_state(s, DESIRED_FILE_ERROR), 1);
        assert_int_equal(desired_set_n_resources(s), 2);

        /* Fixed: the new version replaces the old one. */
        replace_file("a.yaml", DOC("good-v3", "orders"));
        assert_int_equal(desired_set_rescan(s, tmpdir), 1);
        f = desired_set_get_file(s, path_in("a.yaml"));
        assert_int_equal(f->state, DESIRED_FILE_OK);
        assert_int_equal(f->diags.n, 0);
        assert_string_equal(f->resources[0]->name, "good-v3");

        /* The direct API: load_file keeps the last good version too. */
        write_file("a.yaml", "apiVersion: asyncfg.io/v1\n");
        assert_int_equal(desired_set_load_file(s, path_in("a.yaml")), 0);
        assert_string_equal(desired_set_get_file(s, path_in("a.yaml"))->resources[0]->name,
                            "good-v3");
        /* A file that cannot be read is rejected, never removed. */
        assert_int_equal(desired_set_load_file(s, path_in("gone.yaml")), 0);
        assert_int_equal(desired_set_get_file(s, path_in("gone.yaml"))->state, DESIRED_FILE_ERROR);
        assert_true(has_diag(&desired_set_get_file(s, path_in("gone.yaml"))->diags, "gone.yaml", 0,
                             0, "cannot read file: No such file or directory"));
        assert_int_equal(desired_set_remove_file(s, path_in("gone.yaml")), 1);

        /* Only a file that is really gone takes its resources away. */
        assert_int_equal(unlink(path_in("a.yaml")), 0);
        assert_int_equal(desired_set_rescan(s, tmpdir), 1);
        assert_null(desired_set_get_file(s, path_in("a.yaml")));
        assert_int_equal(desired_set_n_resources(s), 1);
        assert_string_equal(desired_set_next(s, &it)->name, "other");
        assert_int_equal(desired_set_remove_file(s, path_in("a.yaml")), 0);
}

static void test_empty_and_missing_dir(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;

        write_file("a.yaml", DOC("a", "fa"));
        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(desired_set_rescan(s, tmpdir), 1);
        /* all files gone: an error, and nothing is removed */
        assert_int_equal(unlink(path_in("a.yaml")), 0);
        assert_int_equal(desired_set_rescan(s, tmpdir), -ENODATA);
        assert_int_equal(desired_set_n_resources(s), 1);
        assert_true(s->scan_diags.n_errors == 1);
        assert_int_equal(desired_set_rescan(s, path_in("nope")), -ENOENT);
        assert_int_equal(desired_set_n_resources(s), 1);
        /* A missing directory is said to be missing, with no line to point at. */
        _cleanup_free_ char *line = NULL, *want = NULL;
        assert_int_equal(s->scan_diags.n, 1);
        assert_int_equal(s->scan_diags.items[0].line, DIAG_LINE_NONE);
        assert_int_equal(diag_format(&s->scan_diags.items[0], &line), 0);
        assert_true(asprintf(&want, "%s: error: the desired-state directory does not exist",
                             path_in("nope")) > 0);
        assert_string_equal(line, want);
}

/* ---- what is gone: each way a file can fail to be read, and a file really gone ---- */

/* Runs as an unprivileged user when root (CI), for whom chmod 000 does not stop reading: the
 * effective uid is the one permission checks use, and the saved uid lets it come back. */
static int unprivileged(int (*fn)(DesiredSet *s, const char *dir), DesiredSet *s) {
        bool root = geteuid() == 0;
        int r;

        if (root)
                assert_int_equal(seteuid(65534), 0);
        r = fn(s, tmpdir);
        if (root)
                assert_int_equal(seteuid(0), 0);
        return r;
}

static int rescan_unprivileged(DesiredSet *s) {
        return unprivileged(desired_set_rescan, s);
}

static bool is_gone_unprivileged(const char *rel) {
        bool root = geteuid() == 0, gone;

        if (root)
                assert_int_equal(seteuid(65534), 0);
        gone = desired_path_is_gone(tmpdir, path_in(rel));
        if (root)
                assert_int_equal(seteuid(0), 0);
        return gone;
}

static void deep_dir(char *rel, size_t size, unsigned levels) {
        rel[0] = 0;
        for (unsigned i = 0; i < levels; i++) {
                strncat(rel, i ? "/d" : "d", size - strlen(rel) - 1);
                assert_int_equal(mkdir(path_in(rel), 0755), 0);
        }
}

static void break_unreadable_file(const char *rel) {
        /* a new version (a chmod alone leaves the stat identity, and the version in force, as
         * they were) */
        replace_file(rel, DOC("r2", "fr"));
        assert_int_equal(chmod(path_in(rel), 0), 0);
}
static void break_unreadable_dir(const char *rel) {
        assert_int_equal(chmod(path_in("sub"), 0), 0);
}
static void break_unlistable_dir(const char *rel) {
        assert_int_equal(chmod(path_in("sub"), 0311), 0); /* searchable, not readable */
}
static void break_symlink_loop(const char *rel) {
        assert_int_equal(rename(path_in("sub"), path_in(".hold")), 0);
        assert_int_equal(symlink("sub", path_in("sub")), 0);
}
static void break_dir_loop(const char *rel) {
        /* "sub" becomes the root itself, which the scan entered first: sub/r.yaml is there
         * (it is the root's r.yaml) but never read under that path. The root's r.yaml
         * collides with sub/r.yaml's last good version, so only sub/r.yaml could load. */
        assert_int_equal(rename(path_in("sub"), path_in(".hold")), 0);
        assert_int_equal(symlink(".", path_in("sub")), 0);
        write_file("r.yaml", DOC("r2", "fr"));
}
static void break_emptied(const char *rel) {
        replace_file(rel, "");
}
static void break_comment_only(const char *rel) {
        replace_file(rel, "# moved elsewhere\n\n   \n# ---\n");
}
static void break_fifo(const char *rel) {
        assert_int_equal(unlink(path_in(rel)), 0);
        assert_int_equal(mkfifo(path_in(rel), 0644), 0);
}
static void break_too_deep(const char *rel) {
        char deep[256];

        /* the file's directory moves below the depth limit: its old path is gone, but the
         * document may be in the part of the tree the scan does not read */
        deep_dir(deep, sizeof(deep), LIMIT_DIRECTORY_DEPTH);
        strncat(deep, "/sub", sizeof(deep) - strlen(deep) - 1);
        assert_int_equal(rename(path_in("sub"), path_in(deep)), 0);
}
static void break_deleted(const char *rel) {
        assert_int_equal(unlink(path_in(rel)), 0);
}
static void break_dir_deleted(const char *rel) {
        assert_int_equal(unlink(path_in(rel)), 0);
        assert_int_equal(rmdir(path_in("sub")), 0);
}

/* rel keeps its last good version ("r") and is in error for the reason error. */
static void assert_kept_in_error(const DesiredSet *s, const char *rel, const char *error) {
        const DesiredFile *f = desired_set_get_file(s, path_in(rel));

        assert_non_null(f);
        assert_int_equal(f->state, DESIRED_FILE_ERROR);
        assert_int_equal(f->n_resources, 1);
        assert_string_equal(f->resources[0]->name, "r");
        assert_true(has_diag(&f->diags, "r.yaml", f->diags.items[0].line, f->diags.items[0].column,
                             error));
        assert_int_equal(desired_set_n_resources(s), 2);
}

static void test_only_gone_removes(void **state) {
        static const struct {
                const char *name;
                void (*apply)(const char *rel);
                bool gone;    /* desired_path_is_gone() */
                bool removed; /* by the rescan */
                const char *error;
        } cases[] = {
                { "unreadable file", break_unreadable_file, false, false,
                  "cannot read file: Permission denied" },
                { "unreadable dir", break_unreadable_dir, false, false,
                  "cannot read file: Permission denied" },
                { "unlistable dir", break_unlistable_dir, false, false,
                  "the scan did not reach the file" },
                { "symlink loop", break_symlink_loop, false, false,
                  "Too many levels of symbolic links" },
                { "directory loop", break_dir_loop, false, false,
                  "the scan did not reach the file" },
                { "emptied", break_emptied, false, false, "holds no document" },
                { "comment only", break_comment_only, false, false, "holds no document" },
                { "fifo", break_fifo, false, false, "not a regular file" },
                { "too deep", break_too_deep, true, false, "part of the tree could not be read" },
                { "deleted", break_deleted, true, true, NULL },
                { "directory deleted", break_dir_deleted, true, true, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(desired_set_freep) DesiredSet *s = NULL;
                char rel[256];
                const DesiredFile *f;

                print_message("case: %s\n", cases[i].name);
                assert_int_equal(setup(NULL), 0);
                assert_int_equal(chmod(tmpdir, 0755), 0);
                write_file("keep.yaml", DOC("keep", "fk"));
                assert_int_equal(desired_set_new(NULL, &s), 0);
                assert_int_equal(mkdir(path_in("sub"), 0755), 0);
                snprintf(rel, sizeof(rel), "sub/r.yaml");
                write_file(rel, DOC("r", "fr"));
                assert_int_equal(desired_set_rescan(s, tmpdir), 2);
                assert_int_equal(desired_set_n_resources(s), 2);

                cases[i].apply(rel);
                assert_int_equal(is_gone_unprivileged(rel), cases[i].gone);
                assert_true(rescan_unprivileged(s) >= 0);
                f = desired_set_get_file(s, path_in(rel));
                if (cases[i].removed) {
                        assert_null(f);
                        assert_int_equal(desired_set_n_resources(s), 1);
                } else {
                        assert_kept_in_error(s, rel, cases[i].error);
                        /* a second pass decides the same */
                        assert_true(rescan_unprivileged(s) >= 0);
                        assert_int_equal(desired_set_n_resources(s), 2);
                        /* and so does the daemon's retry after an inotify hint: it reads
                         * again only what the scan reads */
                        assert_int_equal(unprivileged(desired_set_retry_errors, s), 0);
                        assert_kept_in_error(s, rel, cases[i].error);
                }
                assert_int_equal(desired_set_get_file(s, path_in("keep.yaml"))->state,
                                 DESIRED_FILE_OK);
                (void) chmod(path_in("sub"), 0755);
                (void) chmod(path_in("sub/r.yaml"), 0644);
                assert_int_equal(teardown(NULL), 0);
        }
}

/* The whole directory unreadable, or readable but not listable: nothing is gone. */
static void test_unreadable_root_removes_nothing(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        const mode_t modes[] = { 0, 0311 };

        assert_int_equal(chmod(tmpdir, 0755), 0);
        write_file("a.yaml", DOC("a", "fa"));
        write_file("b.yaml", DOC("b", "fb"));
        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(desired_set_rescan(s, tmpdir), 2);
        for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
                assert_int_equal(chmod(tmpdir, modes[i]), 0);
                (void) rescan_unprivileged(s);
                assert_int_equal(chmod(tmpdir, 0755), 0);
                assert_int_equal(s->n_files, 2);
                assert_int_equal(desired_set_n_resources(s), 2);
                assert_int_equal(desired_set_n_files_in_state(s, DESIRED_FILE_ERROR), 2);
        }
        assert_int_equal(desired_set_rescan(s, tmpdir), 2);
        assert_int_equal(desired_set_n_files_in_state(s, DESIRED_FILE_OK), 2);
}

/* A reload keeps the set: a new configuration makes every file be read again. */
static void test_set_config_rereads(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;

        write_file("a.yaml", DOC("a", "fa"));
        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(desired_set_rescan(s, tmpdir), 1);
        assert_int_equal(desired_set_rescan(s, tmpdir), 0);
        desired_set_set_config(s, NULL);
        assert_int_equal(desired_set_rescan(s, tmpdir), 1);
        assert_int_equal(desired_set_n_resources(s), 1);
}

static void test_duplicates_across_files(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        const DesiredFile *f;

        /* Three spellings of one AWS function + qualifier. */
        write_file("a.yaml", DOC("one", "orders"));
        write_file("b.yaml",
                   "\n" DOC("two", "arn:aws:lambda:us-east-1:123456789012:function:orders"));
        write_file("c.yaml", DOC("three", "orders:$LATEST"));
        write_file("d.yaml", DOC("one", "unrelated"));
        write_file("e.yaml", DOC("five", "orders:live")); /* another qualifier: fine */
        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_true(desired_set_rescan(s, tmpdir) >= 5);

        assert_int_equal(desired_set_get_file(s, path_in("a.yaml"))->state, DESIRED_FILE_OK);
        f = desired_set_get_file(s, path_in("b.yaml"));
        assert_int_equal(f->state, DESIRED_FILE_ERROR);
        assert_true(has_diag(&f->diags, "b.yaml", 2, 1,
                             "duplicate resource: function 'orders' qualifier '$LATEST' is also "
                             "declared at "));
        assert_non_null(strstr(f->diags.items[0].message, "a.yaml:1:1"));
        f = desired_set_get_file(s, path_in("c.yaml"));
        assert_int_equal(f->state, DESIRED_FILE_ERROR);
        f = desired_set_get_file(s, path_in("d.yaml"));
        assert_int_equal(f->state, DESIRED_FILE_ERROR);
        assert_true(has_diag(&f->diags, "d.yaml", 1, 1, "duplicate name 'one': also used at "));
        assert_int_equal(desired_set_get_file(s, path_in("e.yaml"))->state, DESIRED_FILE_OK);
        assert_int_equal(desired_set_n_resources(s), 2);

        /* Once a.yaml lets go of the function, the next rescan accepts b.yaml (it is retried). */
        replace_file("a.yaml", DOC("one", "payments"));
        replace_file("c.yaml", DOC("three", "refunds"));
        replace_file("d.yaml", DOC("four", "unrelated"));
        assert_true(desired_set_rescan(s, tmpdir) >= 3);
        assert_int_equal(desired_set_n_files_in_state(s, DESIRED_FILE_ERROR), 0);
        assert_int_equal(desired_set_n_resources(s), 5);
}

static void test_duplicates_in_one_file(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        const char *y = DOC("x", "f") "---\n" DOC("y", "f:$LATEST");
        const DesiredFile *f;

        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(desired_set_load_data(s, "m.yaml", y, strlen(y)), 0);
        f = desired_set_get_file(s, "m.yaml");
        assert_true(has_diag(&f->diags, "m.yaml", 6, 1, "is also declared at m.yaml:1:1"));
        assert_int_equal(f->n_resources, 0);
}

static void test_huawei_identity_duplicate(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
#define URN "urn:fss:cn-north-4:0123456789abcdef0123456789abcdef:function:default:f"
        const char *a = "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: a}\n"
                        "spec: {provider: huaweicloud, function: '" URN ":latest'}\n";
        const char *b = "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: b}\n"
                        "spec: {provider: huaweicloud, function: '" URN "'}\n";
        const char *c = "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: c}\n"
                        "spec: {provider: huaweicloud, function: '" URN "', qualifier: v1}\n";

        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(desired_set_load_data(s, "a.yaml", a, strlen(a)), 1);
        assert_int_equal(desired_set_load_data(s, "b.yaml", b, strlen(b)), 0);
        assert_true(has_diag(&desired_set_get_file(s, "b.yaml")->diags, "b.yaml", 1, 1,
                             "qualifier 'latest' is also declared at a.yaml:1:1"));
        assert_int_equal(desired_set_load_data(s, "c.yaml", c, strlen(c)), 1);
}

/* The index of other files' resources follows every change: a replaced version and a removed
 * file free their names and functions; of several files a resource collides with, the first
 * in path order is named. */
static void test_duplicate_index_follows_changes(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        const char *a = DOC("x", "f1"), *b = DOC("y", "f2"), *c = DOC("y", "f1");
        const char *a2 = DOC("x2", "f3");

        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(desired_set_load_data(s, "b.yaml", b, strlen(b)), 1);
        assert_int_equal(desired_set_load_data(s, "a.yaml", a, strlen(a)), 1);
        assert_int_equal(desired_set_load_data(s, "c.yaml", c, strlen(c)), 0);
        assert_true(has_diag(&desired_set_get_file(s, "c.yaml")->diags, "c.yaml", 1, 1,
                             "duplicate resource: function 'f1' qualifier '$LATEST' is also "
                             "declared at a.yaml:1:1"));

        /* a.yaml lets go of f1: c.yaml now only collides with b.yaml's name. */
        assert_int_equal(desired_set_load_data(s, "a.yaml", a2, strlen(a2)), 1);
        assert_int_equal(desired_set_load_data(s, "c.yaml", c, strlen(c)), 0);
        assert_true(has_diag(&desired_set_get_file(s, "c.yaml")->diags, "c.yaml", 1, 1,
                             "duplicate name 'y': also used at b.yaml:1:1"));

        /* b.yaml is gone: c.yaml is accepted, and a file reusing a.yaml's old name too. */
        assert_int_equal(desired_set_remove_file(s, "b.yaml"), 1);
        assert_int_equal(desired_set_load_data(s, "c.yaml", c, strlen(c)), 1);
        assert_int_equal(desired_set_load_data(s, "d.yaml", a, strlen(a)), 0); /* f1 is c's */
        assert_int_equal(desired_set_load_data(s, "d.yaml", DOC("x", "f4"), strlen(DOC("x", "f4"))),
                         1);
        assert_int_equal(desired_set_n_resources(s), 3);
}

/* Resources that share a function (other qualifiers) or whose file is read again share one
 * entry of the index: whichever of them leaves first, the others are still found. */
static void test_duplicate_index_shared_keys(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        const char *a = DOC("a", "f:one") "---\n" DOC("a2", "g"), *b = DOC("b", "f:two");
        const char *c = DOC("c", "f:two"), *c2 = DOC("c", "f:one");
        const char *bad = DOC("d", "h") "---\n" DOC("d2", "h");

        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(desired_set_load_data(s, "a.yaml", a, strlen(a)), 1);
        assert_int_equal(desired_set_load_data(s, "b.yaml", b, strlen(b)), 1);
        /* a.yaml again: its new version meets its old one, which then leaves */
        assert_int_equal(desired_set_load_data(s, "a.yaml", a, strlen(a)), 1);
        assert_int_equal(desired_set_load_data(s, "a.yaml", a, strlen(a)), 1);
        assert_int_equal(desired_set_remove_file(s, "a.yaml"), 1);
        assert_int_equal(desired_set_load_data(s, "c.yaml", c, strlen(c)), 0);
        assert_true(has_diag(&desired_set_get_file(s, "c.yaml")->diags, "c.yaml", 1, 1,
                             "duplicate resource: function 'f' qualifier 'two' is also declared "
                             "at b.yaml:1:1"));
        assert_int_equal(desired_set_load_data(s, "d.yaml", b, strlen(b)), 0);
        assert_true(has_diag(&desired_set_get_file(s, "d.yaml")->diags, "d.yaml", 1, 1,
                             "is also declared at b.yaml:1:1"));
        /* a rejected version leaves nothing behind, nor does a.yaml's last one */
        assert_int_equal(desired_set_load_data(s, "e.yaml", bad, strlen(bad)), 0);
        assert_int_equal(desired_set_load_data(s, "c.yaml", c2, strlen(c2)), 1);
        assert_int_equal(desired_set_load_data(s, "d.yaml", DOC("d", "h"), strlen(DOC("d", "h"))),
                         1);
        assert_int_equal(desired_set_load_data(s, "f.yaml", a, strlen(a)), 0);
        assert_true(has_diag(&desired_set_get_file(s, "f.yaml")->diags, "f.yaml", 1, 1,
                             "is also declared at c.yaml:1:1"));
        assert_int_equal(desired_set_load_data(s, "f.yaml", DOC("a2", "g"), strlen(DOC("a2", "g"))),
                         1);
        assert_int_equal(desired_set_n_resources(s), 4);
}

/* The documents of one file share one copy of its path (10,000 documents in 100 files were
 * 10,000 copies). */
static void test_specs_share_path(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        const char *y = DOC("a", "fa") "---\n" DOC("b", "fb") "---\n" DOC("c", "fc");
        const DesiredFile *f;

        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(desired_set_load_data(s, "dir/m.yaml", y, strlen(y)), 1);
        f = desired_set_get_file(s, "dir/m.yaml");
        assert_int_equal(f->n_resources, 3);
        assert_string_equal(f->resources[0]->path, "dir/m.yaml");
        assert_ptr_equal(f->resources[0]->path, f->resources[1]->path);
        assert_ptr_equal(f->resources[0]->path, f->resources[2]->path);
}

/* The limit is the daemon configuration's limits.files (a small one here); the default is far
 * above a tree of one file per function for 100,000 functions. */
static void test_file_count_limit(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        DaemonConfig config = { .limits.files = 5 };
        char name[64];

        assert_true(LIMIT_FILES >= 1000000u);
        assert_int_equal(mkdir(path_in("many"), 0755), 0);
        for (unsigned i = 0; i <= 5; i++) {
                snprintf(name, sizeof(name), "many/f%05u.yaml", i);
                write_file(name, "");
        }
        assert_int_equal(desired_set_new(&config, &s), 0);
        assert_int_equal(desired_set_rescan(s, path_in("many")), -E2BIG);
        assert_int_equal(s->n_files, 0);
        assert_true(has_diag(&s->scan_diags, "many", 0, 0,
                             "more than 5 YAML files (limits.files of the daemon configuration); "
                             "nothing is loaded or removed"));
        /* exactly at the limit is fine */
        snprintf(name, sizeof(name), "many/f%05u.yaml", 5);
        assert_int_equal(unlink(path_in(name)), 0);
        assert_int_equal(desired_set_rescan(s, path_in("many")), 5);
}

static void test_file_size_limit(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        _cleanup_free_ char *big = malloc(LIMIT_FILE_SIZE + 2);
        const DesiredFile *f;

        assert_non_null(big);
        memset(big, '#', LIMIT_FILE_SIZE + 1);
        big[LIMIT_FILE_SIZE + 1] = 0;
        write_file("big.yaml", big);
        big[LIMIT_FILE_SIZE] = 0; /* exactly the limit: read whole (a comment-only file) */
        write_file("ok.yaml", big);
        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(desired_set_load_file(s, path_in("big.yaml")), 0);
        f = desired_set_get_file(s, path_in("big.yaml"));
        assert_true(has_diag(&f->diags, "big.yaml", 1, 1,
                             "file is too large (1048577 bytes, limit 1048576)"));
        assert_int_equal(desired_set_load_file(s, path_in("ok.yaml")), 0);
        f = desired_set_get_file(s, path_in("ok.yaml"));
        assert_int_equal(f->diags.n, 1);
        assert_true(has_diag(&f->diags, "ok.yaml", 1, 1, "holds no document"));
}

/* ---- loading on several threads gives what loading one file at a time gives ---- */

static void assert_same_diags(const DiagList *a, const DiagList *b) {
        assert_int_equal(a->n, b->n);
        assert_int_equal(a->n_errors, b->n_errors);
        for (size_t i = 0; i < a->n; i++) {
                assert_string_equal(a->items[i].path, b->items[i].path);
                assert_int_equal(a->items[i].line, b->items[i].line);
                assert_int_equal(a->items[i].column, b->items[i].column);
                assert_int_equal(a->items[i].severity, b->items[i].severity);
                assert_string_equal(a->items[i].message, b->items[i].message);
        }
}

static void assert_same_sets(const DesiredSet *a, const DesiredSet *b) {
        assert_same_diags(&a->scan_diags, &b->scan_diags);
        assert_int_equal(a->n_files, b->n_files);
        for (size_t i = 0; i < a->n_files; i++) {
                const DesiredFile *x = a->files[i], *y = b->files[i];
                assert_string_equal(x->path, y->path);
                assert_int_equal(x->state, y->state);
                assert_int_equal(x->has_good, y->has_good);
                assert_same_diags(&x->diags, &y->diags);
                assert_int_equal(x->n_resources, y->n_resources);
                for (size_t k = 0; k < x->n_resources; k++) {
                        _cleanup_free_ char *kx = NULL, *ky = NULL;
                        assert_string_equal(x->resources[k]->name, y->resources[k]->name);
                        assert_string_equal(x->resources[k]->path, y->resources[k]->path);
                        assert_int_equal(x->resources[k]->line, y->resources[k]->line);
                        assert_int_equal(x->resources[k]->column, y->resources[k]->column);
                        assert_int_equal(resource_spec_identity(x->resources[k], &kx), 0);
                        assert_int_equal(resource_spec_identity(y->resources[k], &ky), 0);
                        assert_string_equal(kx, ky);
                }
        }
}

/* n documents r<base>..r<base+n-1> for functions fn-<base>..., or a broken file. */
static void write_docs(const char *rel, unsigned base, unsigned n, bool replace) {
        _cleanup_free_ char *y = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&y, &size);

        assert_non_null(f);
        for (unsigned i = 0; i < n; i++)
                fprintf(f, "%s" DOC("r%u", "fn-%u"), i > 0 ? "---\n" : "", base + i, base + i);
        assert_int_equal(fclose(f), 0);
        (replace ? replace_file : write_file)(rel, y);
}

static void test_parallel_load_same_as_serial(void **state) {
        _cleanup_(desired_set_freep) DesiredSet *serial = NULL, *par3 = NULL, *par2 = NULL;
        _cleanup_free_ char *big = malloc(LIMIT_FILE_SIZE + 2);
        char name[64];
        int r;

        /* Files of very different sizes, so that the threads finish them out of order. */
        assert_int_equal(mkdir(path_in("sub"), 0755), 0);
        for (unsigned i = 0; i < 24; i++) {
                snprintf(name, sizeof(name), "%sf%02u.yaml", i % 5 == 4 ? "sub/" : "", i);
                write_docs(name, i * 1000, i % 3 == 0 ? 150 : 1 + i % 4, false);
        }
        write_file("f05a.yaml", DOC("x5", "fn-2000"));    /* f02's function: duplicate */
        write_file("f07a.yaml", DOC("r1000", "other-7")); /* f01's name: duplicate */
        write_file("f09a.yaml", "broken: [");             /* YAML error */
        write_file("f11a.yaml", "apiVersion: asyncfg.io/v1\nkind: Nope\n"); /* schema error */
        write_file("f13a.yaml", ""); /* no documents: an error */
        write_file("f15a.yaml", DOC("x15", "fn-3000") "---\n" DOC("x15", "z")); /* both */
        assert_non_null(big);
        memset(big, '#', LIMIT_FILE_SIZE + 1);
        big[LIMIT_FILE_SIZE + 1] = 0;
        write_file("f17a.yaml", big); /* too large */

        assert_int_equal(desired_set_new(NULL, &serial), 0);
        assert_int_equal(desired_set_new(NULL, &par3), 0);
        assert_int_equal(desired_set_new(NULL, &par2), 0);
        desired_set_set_load_threads(par3, 3, 1);
        desired_set_set_load_threads(par2, 2, 4);
        r = desired_set_rescan(serial, tmpdir);
        assert_int_equal(r, 31);
        assert_int_equal(desired_set_rescan(par3, tmpdir), r);
        assert_int_equal(desired_set_rescan(par2, tmpdir), r);
        assert_int_equal(desired_set_n_files_in_state(serial, DESIRED_FILE_ERROR), 7);
        assert_true(has_diag(&desired_set_get_file(serial, path_in("f05a.yaml"))->diags,
                             "f05a.yaml", 1, 1, "is also declared at "));
        assert_same_sets(serial, par3);
        assert_same_sets(serial, par2);

        /* A change: f03 takes f20's function, which f20 gives up in the same rescan (f03 is
         * rejected first, then accepted on the retry), f02 lets go of what f05a wanted, f09a
         * is fixed, f01 breaks (its last good version stays). */
        write_docs("f03.yaml", 20000, 1, true);
        write_docs("sub/f04.yaml", 90000, 2, true);
        replace_file("f20.yaml", DOC("m20", "moved"));
        write_docs("f02.yaml", 70000, 3, true);
        replace_file("f09a.yaml", DOC("x9", "fixed"));
        replace_file("f01.yaml", "broken: [");
        r = desired_set_rescan(serial, tmpdir);
        assert_true(r >= 6);
        assert_int_equal(desired_set_rescan(par3, tmpdir), r);
        assert_int_equal(desired_set_rescan(par2, tmpdir), r);
        assert_int_equal(desired_set_get_file(serial, path_in("f03.yaml"))->state, DESIRED_FILE_OK);
        assert_int_equal(desired_set_get_file(serial, path_in("f05a.yaml"))->state,
                         DESIRED_FILE_OK);
        assert_int_equal(desired_set_get_file(serial, path_in("f01.yaml"))->state,
                         DESIRED_FILE_ERROR);
        assert_same_sets(serial, par3);
        assert_same_sets(serial, par2);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_skip_rules),
                cmocka_unit_test(test_path_hidden),
                cmocka_unit_test_setup_teardown(test_scan_tree, setup, teardown),
                cmocka_unit_test_setup_teardown(test_path_classify_agrees_with_scan, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_update_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_configmap_layout, setup, teardown),
                cmocka_unit_test_setup_teardown(test_last_good_version, setup, teardown),
                cmocka_unit_test_setup_teardown(test_empty_and_missing_dir, setup, teardown),
                cmocka_unit_test(test_only_gone_removes),
                cmocka_unit_test_setup_teardown(test_unreadable_root_removes_nothing, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_set_config_rereads, setup, teardown),
                cmocka_unit_test_setup_teardown(test_duplicates_across_files, setup, teardown),
                cmocka_unit_test(test_duplicates_in_one_file),
                cmocka_unit_test(test_huawei_identity_duplicate),
                cmocka_unit_test(test_duplicate_index_follows_changes),
                cmocka_unit_test(test_duplicate_index_shared_keys),
                cmocka_unit_test(test_specs_share_path),
                cmocka_unit_test_setup_teardown(test_file_count_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_file_size_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_parallel_load_same_as_serial, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
