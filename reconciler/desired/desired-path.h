/* SPDX-License-Identifier: MIT */
#pragma once

/* Which paths below the desired-state directory are desired-state files. The scan
 * (desired_set_rescan()), the directory watch (which events are worth a rescan) and the daemon's
 * per-file path (desired_set_update_file(), desired_set_retry_errors()) all ask here, so that
 * none of them reads a file another skips, or drops an event about a file another reads.
 *
 *   hidden   a name that starts with '.': dotfiles, dot-directories, ".git", a ConfigMap's
 *            "..data" and "..2024_..." (whose files are read once, through the visible
 *            symlinks). The scan never enters or reads one.
 *   backup   editor backups and scratch files: "x~", "#x#", ".#x", "*.swp", "*.swo", "*.swx",
 *            "*.bak", "*.tmp", "*.orig", and vim's write test "4913". Never read, and a change
 *            to one says nothing about the desired state. Only files: a directory of any name
 *            but a hidden one is scanned.
 *   wanted   a file name that ends in ".yaml" or ".yml" (case matters: "x.YAML" is not read)
 *            after at least one character, and is neither hidden nor a backup. */

#include <stdbool.h>

bool desired_name_is_hidden(const char *name);
/* Whether a path relative to the root has a hidden component. */
bool desired_path_is_hidden(const char *rel);
bool desired_name_is_backup(const char *name);
/* Whether a file name is one the scan takes (*.yaml and *.yml, not hidden, not a backup). */
bool desired_file_name_wanted(const char *name);

typedef enum DesiredPathKind {
        DESIRED_PATH_FILE,    /* a desired-state file that the scan reads under this path */
        DESIRED_PATH_IGNORED, /* a regular file whose name the scan does not take */
        DESIRED_PATH_UNKNOWN, /* only a full scan can tell what it is now (see below) */
        _DESIRED_PATH_KIND_MAX,
} DesiredPathKind;

/* What path, a path below root, is now as the scan would see it. DESIRED_PATH_UNKNOWN: not
 * below root, hidden, gone, not a regular file, or a file the scan would not reach under this
 * path: more than LIMIT_DIRECTORY_DEPTH directories below root, below a directory that cannot
 * be listed, or behind a symlink loop (a directory met twice on the way). A directory reached
 * through two different paths (not a loop) is read by the scan under the first one it lists,
 * which one path alone cannot tell: both are taken here. */
DesiredPathKind desired_path_classify(const char *root, const char *path);

/* Whether path, a file below the directory root, is really gone: lstat() says it does not
 * exist, and the nearest directory above it that exists (root or below) can be read, so its
 * absence is established rather than guessed. A file that is there in any form (unreadable, a
 * FIFO, a dangling symlink), or whose absence cannot be established (EACCES, ELOOP, ENOTDIR,
 * an unreadable directory above it), is not gone. */
bool desired_path_is_gone(const char *root, const char *path);
