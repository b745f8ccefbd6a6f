/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/macro.h"
#include "reconciler/desired/desired-path.h"
#include "reconciler/spec/limits.h"

bool desired_name_is_hidden(const char *name) {
        return name[0] == '.';
}

bool desired_path_is_hidden(const char *rel) {
        for (const char *p = rel; p; p = strchr(p, '/'), p = p ? p + 1 : NULL)
                if (desired_name_is_hidden(p))
                        return true;
        return false;
}

bool desired_name_is_backup(const char *name) {
        static const char *const suffixes[] = {
                "~", ".swp", ".swo", ".swx", ".bak", ".tmp", ".orig"
        };
        size_t n = strlen(name);

        if (streq(name, "4913") || startswith(name, ".#"))
                return true;
        if (n > 1 && name[0] == '#' && name[n - 1] == '#')
                return true;
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++)
                if (endswith(name, suffixes[i]))
                        return true;
        return false;
}

bool desired_file_name_wanted(const char *name) {
        size_t n = strlen(name);

        if (desired_name_is_hidden(name) || desired_name_is_backup(name))
                return false;
        return (endswith(name, ".yaml") && n > 5) || (endswith(name, ".yml") && n > 4);
}

/* The part of path below root ("a/b.yaml"), or NULL when path is not below root. */
static const char *path_below(const char *root, const char *path) {
        size_t n = strlen(root);

        if (!strneq(path, root, n) || path[n] != '/')
                return NULL;
        return path + n + 1;
}

/* Opens and reads the first entry of dir: the scan could have listed it. */
static bool dir_readable(const char *dir) {
        DIR *d = opendir(dir);
        bool ok;

        if (!d)
                return false;
        errno = 0;
        ok = readdir(d) || errno == 0;
        closedir(d);
        return ok;
}

typedef struct DirId {
        dev_t dev;
        ino_t ino;
} DirId;

/* Enters dir as the scan would: a directory that can be listed and was not entered before on
 * the same way down (ids[0..*n)). */
static bool dir_enter(const char *dir, DirId *ids, size_t *n) {
        struct stat st;

        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || !dir_readable(dir))
                return false;
        for (size_t i = 0; i < *n; i++)
                if (ids[i].dev == st.st_dev && ids[i].ino == st.st_ino)
                        return false;
        ids[(*n)++] = (DirId){ st.st_dev, st.st_ino };
        return true;
}

/* Whether the scan gets from root down to path's own directory (rel starts below root). */
static bool path_reached(const char *path, const char *rel) {
        DirId ids[LIMIT_DIRECTORY_DEPTH + 1];
        _cleanup_free_ char *dir = strdup(path);
        size_t n = 0;

        if (!dir)
                return false;
        /* root, then each directory below it: p is the '/' that ends the next one */
        for (char *p = dir + (rel - path) - 1; p; p = strchr(p + 1, '/')) {
                bool ok;

                if (n > LIMIT_DIRECTORY_DEPTH)
                        return false;
                *p = 0;
                ok = dir_enter(dir, ids, &n);
                *p = '/';
                if (!ok)
                        return false;
        }
        return true;
}

DesiredPathKind desired_path_classify(const char *root, const char *path) {
        const char *rel = path_below(root, path), *base;
        struct stat st;

        if (!rel || desired_path_is_hidden(rel))
                return DESIRED_PATH_UNKNOWN;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                return DESIRED_PATH_UNKNOWN;
        base = strrchr(rel, '/');
        if (!desired_file_name_wanted(base ? base + 1 : rel))
                return DESIRED_PATH_IGNORED;
        return path_reached(path, rel) ? DESIRED_PATH_FILE : DESIRED_PATH_UNKNOWN;
}

bool desired_path_is_gone(const char *root, const char *path) {
        _cleanup_free_ char *dir = NULL;
        size_t n = strlen(root);
        struct stat st;

        if (!path_below(root, path))
                return false;
        if (lstat(path, &st) >= 0 || errno != ENOENT)
                return false; /* there, or not known to be absent (EACCES, ELOOP, ENOTDIR) */
        dir = strdup(path);
        if (!dir)
                return false;
        /* The nearest directory above it that exists must be one the scan can read. */
        for (;;) {
                char *slash = strrchr(dir, '/');

                if (!slash || (size_t) (slash - dir) < n)
                        return false;
                *slash = 0;
                if (lstat(dir, &st) >= 0)
                        return stat(dir, &st) >= 0 && S_ISDIR(st.st_mode) && dir_readable(dir);
                if (errno != ENOENT)
                        return false;
        }
}
