/* SPDX-License-Identifier: MIT */
#pragma once

/* The desired state: every *.yaml and *.yml file of a directory tree, each with its last good
 * version (DESIGN.md §3.1-3.2).
 *
 * A file is accepted all or nothing: only when every document in it is valid (and no resource
 * or name in it collides with another file's) do its resources replace the ones it had. A
 * broken new version keeps the previous good resources in force and records its errors, and so
 * does a file that holds no document (empty or only comments). Only a file that is really gone
 * (desired_path_is_gone()) loses its resources; a file that is not gone but cannot be read, is
 * no longer a regular file, or that the scan could not reach (a directory above it unreadable,
 * too deep or in a symlink loop) is in error and keeps its last good version.
 *
 * Scanning skips hidden paths and editor backups (reconciler/desired/desired-path.h says which
 * names are desired-state files), follows symlinks to files and directories, and guards against
 * symlink loops. */

#include <sys/stat.h>

#include "lib/diag.h"
#include "reconciler/spec/daemon-config.h"
#include "reconciler/desired/desired-index.h"
#include "reconciler/desired/desired-path.h"
#include "reconciler/spec/spec.h"

typedef enum DesiredFileState {
        DESIRED_FILE_OK,
        DESIRED_FILE_ERROR, /* the latest version is broken; resources are the last good ones */
        _DESIRED_FILE_STATE_MAX,
} DesiredFileState;

typedef struct DesiredFile {
        char *path;
        DesiredFileState state;
        DiagList diags;           /* problems of the latest version; empty when ok */
        ResourceSpec **resources; /* the last good version's resources (owned) */
        size_t n_resources;
        bool has_good;             /* some version was ever accepted */
        DesiredIndexFile *indexed; /* internal: resources in the set's index */
        /* stat identity of the version last read, so a rescan can skip unchanged files */
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime;
        bool seen; /* internal: found by the current rescan, or the scan would
                                    * read it (desired_set_retry_errors()) */
} DesiredFile;

typedef struct DesiredSet {
        DesiredFile **files; /* sorted by path */
        size_t n_files;
        size_t n_files_allocated; /* internal: grown geometrically */
        /* internal: the files per state, kept as states change: the daemon shows them at every
         * turn of its loop, and counting 1,000 files there per completed request added up */
        size_t n_files_in_state[_DESIRED_FILE_STATE_MAX];
        const DaemonConfig *config; /* optional, not owned: resolves and checks spec.account */
        DiagList scan_diags;        /* problems of the last rescan itself (limits, unreadable) */
        DesiredIndex *index;        /* internal: every file's resources, for duplicate checks */
        unsigned load_threads;      /* see desired_set_set_load_threads(); 0, 1: one at a time */
        unsigned load_files_per_thread;
} DesiredSet;

/* A rescan reads and parses at most this many files at once, and by default one per this many
 * files to load (a thread costs more than a few small files). */
#define DESIRED_LOAD_MAX_THREADS 8u
#define DESIRED_LOAD_FILES_PER_THREAD 8u

const char *desired_file_state_to_string(DesiredFileState s);

/* config may be NULL (then spec.account is left as written). */
int desired_set_new(const DaemonConfig *config, DesiredSet **ret);
DesiredSet *desired_set_free(DesiredSet *s);
static inline void desired_set_freep(DesiredSet **s) {
        desired_set_free(*s);
}

/* Lets desired_set_rescan() read and parse the files it loads on up to n threads (0: one per
 * CPU, at most DESIRED_LOAD_MAX_THREADS), but one per files_per_thread files at most (0:
 * DESIRED_LOAD_FILES_PER_THREAD). The files are still taken in path order, one after the
 * other, so the result (resources, diagnostics, duplicates across files) is the same as when
 * they are loaded one at a time, which is the default. Only for a caller that may block for
 * the whole load (the CLI); nothing else of the set may be used meanwhile. */
void desired_set_set_load_threads(DesiredSet *s, unsigned n, unsigned files_per_thread);

/* Reads and validates one file. Returns 1 if the new version was accepted (its resources now
 * in force), 0 if it was rejected (the previous good resources stay; the file's diags say
 * why), -ENOMEM. An unreadable file is "rejected", not removed. */
int desired_set_load_file(DesiredSet *s, const char *path);
/* The same with the content given (tests, fuzzing); path is only the name. */
int desired_set_load_data(DesiredSet *s, const char *path, const void *data, size_t size);
/* Forgets a file that is really gone. Returns 1 if it was known, 0 if not. */
int desired_set_remove_file(DesiredSet *s, const char *path);

/* Scans dir: loads new and changed files, re-tries files in error, removes files that are
 * gone. Returns the number of files loaded or removed (>= 0), -ENOENT/-ENOTDIR when dir is
 * missing, -ENODATA when it holds no YAML file (then nothing is removed: an empty directory is
 * an error, not "delete everything"), -E2BIG over the config's limits.files (LIMIT_FILES
 * without a config; nothing is changed). The
 * reasons are in s->scan_diags too. A known file the scan did not find is removed only when
 * the scan read every directory and entry of the tree (a file missing from its old path may
 * have moved into a part that could not be read) and desired_path_is_gone() says so;
 * otherwise it is in error with its last good version. Every
 * way the daemon learns of a change (inotify hint, periodic or full rescan, SIGHUP, start)
 * ends here, so this is the one place that decides what is gone (DESIGN.md §3.2). */
int desired_set_rescan(DesiredSet *s, const char *dir);

/* What desired_set_update_file() did. */
typedef enum DesiredUpdate {
        DESIRED_UPDATE_RESCAN,   /* only a full rescan can tell what the path is now */
        DESIRED_UPDATE_NONE,     /* not a desired-state file, or the version already read */
        DESIRED_UPDATE_ACCEPTED, /* read again; the new version is in force */
        DESIRED_UPDATE_REJECTED, /* read again and broken: the last good version stays */
} DesiredUpdate;

/* Reads rel, a path below dir that changed (a hint of the directory watch), again when it is a
 * desired-state file that the scan would read (desired_path_classify()) and its stat identity
 * (dev, ino, size, mtime) is not the one read last. Never removes a file: a path that may be
 * gone, a directory or anything else the scan alone can judge is DESIRED_UPDATE_RESCAN. The
 * file's path is dir's as desired_set_rescan() writes it, so both name a file alike. Returns a
 * DesiredUpdate, with *ret_file (optional) the file when it was read again, or -ENOMEM. */
int desired_set_update_file(DesiredSet *s, const char *dir, const char *rel,
                            const DesiredFile **ret_file);

/* Reads every file in error again that the scan of dir would read (desired_path_classify()):
 * its error may have been a collision with a file that changed since. A file the scan would
 * not reach keeps its error and its last good version until a rescan reaches it. This is the
 * retry desired_set_rescan() makes after loading. Returns 0 or -ENOMEM. */
int desired_set_retry_errors(DesiredSet *s, const char *dir);

/* Puts another daemon configuration in force for account resolution (a reload) and makes the
 * next rescan read every file again. The files keep their last good version meanwhile. */
void desired_set_set_config(DesiredSet *s, const DaemonConfig *config);

const DesiredFile *desired_set_get_file(const DesiredSet *s, const char *path);

/* Iterates the effective resources (the last good version of every file), in path order:
 *   DesiredIterator it = {}; const ResourceSpec *r;
 *   while ((r = desired_set_next(s, &it))) ... */
typedef struct DesiredIterator {
        size_t file, index;
} DesiredIterator;
const ResourceSpec *desired_set_next(const DesiredSet *s, DesiredIterator *it);

size_t desired_set_n_resources(const DesiredSet *s);
size_t desired_set_n_files_in_state(const DesiredSet *s, DesiredFileState state);
/* Every current problem: the scan's and those of every file in error, sorted. */
int desired_set_collect_diags(const DesiredSet *s, DiagList *ret);
