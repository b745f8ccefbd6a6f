/* SPDX-License-Identifier: MIT */
#pragma once

/* The desired-state directory watch: inotify on the whole tree, debounced, reported as hints.
 *
 * inotify is a hint, not a data source (docs/style.md): the watcher never reads a file. It
 * collects which paths had events and, once the tree has been quiet for the debounce time
 * (or at the latest max_delay after the first event of a burst), calls the callback once with
 * either the sorted, de-duplicated list of changed paths (relative to the root) or "full"
 * (rescan everything) and the reason. The consumer then rescans and compares stat identity
 * (dev, ino, size, mtime); correctness comes from that rescan, never from the events.
 *
 * What is watched: the root and every directory below it, dot-directories included (the
 * "..2024_..." directories of a Kubernetes ConfigMap mount), ".git" excluded (its churn
 * says nothing about the working tree), symlinks to directories followed (the loader follows
 * them too), each directory inode once (loops are cut), DIRWATCH_MAX_DEPTH levels deep. A
 * directory that appears is watched and then listed, so files created in it before its
 * watch existed are reported too. The root's parent is watched for the root's own name, so a
 * root that is missing, deleted, recreated, moved away or replaced through a symlink swap
 * is noticed without polling.
 *
 * When the callback says "full" (DirwatchChange.full):
 *   overflow        IN_Q_OVERFLOW: events were lost (the watches are re-established first)
 *   root            the root appeared, vanished, moved or was replaced
 *   symlink-swap    a symlink to a directory was created, replaced or removed (the ConfigMap
 *                   "..data" swap, a "current -> release-N" switch)
 *   hidden          a hidden path changed: the loader skips those and reads them only through
 *                   symlinks, which the watcher does not map back
 *   too-many-paths  more than DIRWATCH_MAX_PATHS paths in one batch (a big git checkout)
 *   watch-failed    a directory could not be watched (inotify watch limit, ENOSPC): the
 *                   watcher is in DIRWATCH_STATE_POLLING from then on
 *   poll            the periodic full rescan while polling (every poll interval)
 *   requested       dirwatch_rescan_hint_full() (SIGHUP)
 * Editor backups and scratch files, which the loader never reads (desired_name_is_backup():
 * vim's "4913", *.swp, *.swo, *.swx, *~, *.bak, *.tmp, *.orig, emacs' #x# and .#x), are
 * dropped; an editor's atomic save is reported through the rename onto the real name. Which
 * paths are hidden is desired_path_is_hidden()'s decision, the loader's.
 *
 * States (dirwatch_get_state()), each change of which comes with a "full" callback:
 *   watching      the whole tree is covered by inotify
 *   root-missing  the root does not exist or is not a directory; the watcher waits for it
 *                 through its parent's watch (or, if the parent is missing too or the root
 *                 is a dangling symlink, by retrying every poll interval). The consumer
 *                 decides what a missing root means (DESIGN.md §3.2: an error that removes
 *                 nothing).
 *   polling       inotify cannot cover the tree (watch or instance limit, a watch failed):
 *                 a full rescan every poll interval, and a new attempt to watch at each one.
 *                 Logged once at warning level when entered, at info level when left.
 *
 * Using a list of paths: each names a file or directory, relative to the root, that had an
 * event; it may exist or be gone by now, and a directory's entries may or may not be listed
 * too. Rescanning a listed path means: a file is loaded again if its stat identity changed
 * and forgotten if it is gone; a directory is rescanned below it, and files known under a
 * directory that is gone are forgotten. Paths of files the loader does not take (other
 * suffixes) are listed too: a directory may be named "x.yml.d", a symlink "foo" may point to
 * a directory. Rescanning everything with stat identity is always correct as well.
 *
 * Known limits: a symlink to a file outside the tree is not watched (edits to its target are
 * seen at the next full rescan); a file changed through a symlink is reported under the path
 * inotify saw. The manager should create the watch before its first load, so that nothing
 * changed between the two is missed (at worst it rescans once more). No callback is made at
 * start. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/inotify.h>
#include <systemd/sd-event.h>

#include "lib/clock.h"

#define DIRWATCH_DEBOUNCE_USEC_DEFAULT (200 * 1000ULL)
#define DIRWATCH_MAX_DELAY_USEC_DEFAULT (2 * 1000 * 1000ULL)
#define DIRWATCH_POLL_USEC_DEFAULT (30 * 1000 * 1000ULL)
#define DIRWATCH_MAX_WATCHES_DEFAULT 10000u
#define DIRWATCH_MAX_PATHS 1000u
#define DIRWATCH_MAX_DEPTH 16u

typedef struct Dirwatch Dirwatch;

typedef enum DirwatchState {
        DIRWATCH_STATE_WATCHING,
        DIRWATCH_STATE_ROOT_MISSING,
        DIRWATCH_STATE_POLLING,
        _DIRWATCH_STATE_MAX,
} DirwatchState;

typedef enum DirwatchReason {
        DIRWATCH_REASON_PATHS, /* not full: only the listed paths changed */
        DIRWATCH_REASON_OVERFLOW,
        DIRWATCH_REASON_ROOT,
        DIRWATCH_REASON_SYMLINK_SWAP,
        DIRWATCH_REASON_HIDDEN,
        DIRWATCH_REASON_TOO_MANY_PATHS,
        DIRWATCH_REASON_WATCH_FAILED,
        DIRWATCH_REASON_POLL,
        DIRWATCH_REASON_REQUESTED,
        _DIRWATCH_REASON_MAX,
} DirwatchReason;

typedef struct DirwatchChange {
        bool full;             /* rescan everything; paths is then empty */
        DirwatchReason reason; /* why "full" (the most telling reason of the batch), or PATHS */
        char *const *paths;    /* sorted, unique, relative to the root, NULL-terminated */
        size_t n_paths;
} DirwatchChange;

/* Called from the event loop once per debounced batch. change and its strings belong to the
 * watcher and are valid only during the call. The callback may call any dirwatch function
 * except dirwatch_free(). */
typedef void (*DirwatchCallback)(Dirwatch *dw, const DirwatchChange *change, void *userdata);

const char *dirwatch_state_to_string(DirwatchState s);
const char *dirwatch_reason_to_string(DirwatchReason r);

/* Starts watching root (absolute or relative to the working directory; a symlink is followed
 * and its replacement noticed). debounce_usec 0 means DIRWATCH_DEBOUNCE_USEC_DEFAULT. A root
 * that is missing is not an error (the state says so). Returns 0, -EINVAL, -ENOMEM, or an
 * error of sd-event. The inotify instance or watch limit is not an error either: the watcher
 * then polls. inotify is read on e; the debounce and poll timers are on clock (a fake one in
 * tests), which must outlive the watcher. */
int dirwatch_new(sd_event *e, Clock *clock, const char *root, uint64_t debounce_usec,
                 DirwatchCallback cb, void *userdata, Dirwatch **ret);
Dirwatch *dirwatch_free(Dirwatch *dw);
static inline void dirwatch_freep(Dirwatch **dw) {
        dirwatch_free(*dw);
}

/* A burst of events cannot postpone the callback beyond this after its first event; 0 means
 * DIRWATCH_MAX_DELAY_USEC_DEFAULT (dirwatch_new() raises that to the debounce if greater). */
void dirwatch_set_max_delay(Dirwatch *dw, uint64_t usec);
/* Interval of full rescans while polling, and of retries while the root and its parent are
 * missing (default DIRWATCH_POLL_USEC_DEFAULT). */
void dirwatch_set_poll_interval(Dirwatch *dw, uint64_t usec);
/* Watches the watcher may hold (directories of the tree); 0 means the default. Beyond it the
 * watcher polls, as when the kernel's inotify watch limit is hit. Applies to new watches. */
void dirwatch_set_max_watches(Dirwatch *dw, unsigned n);

/* Re-establishes every watch and reports a full rescan (reason "requested") after the
 * debounce: for SIGHUP. Returns 0 or -ENOMEM. */
int dirwatch_rescan_hint_full(Dirwatch *dw);

DirwatchState dirwatch_get_state(const Dirwatch *dw);
/* Directories of the tree watched now (the root's parent not counted). */
size_t dirwatch_get_n_watches(const Dirwatch *dw);
const char *dirwatch_get_root(const Dirwatch *dw);
/* Why the tree is not (fully) watched (negative errno: -ENOSPC for the watch limit, -EMFILE
 * for the instance limit), or 0. For status output. */
int dirwatch_get_error(const Dirwatch *dw);

/* Internal, for tests: handles one event as if read from the inotify fd (an IN_Q_OVERFLOW,
 * which an unprivileged test cannot provoke). Returns 0 or -ENOMEM. */
int dirwatch_process_event(Dirwatch *dw, const struct inotify_event *ev);
