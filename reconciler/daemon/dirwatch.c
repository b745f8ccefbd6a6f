/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "lib/log.h"
#include "lib/macro.h"
#include "lib/string-table.h"
#include "reconciler/daemon/dirwatch.h"
#include "reconciler/desired/desired-path.h"

/* One mask for every watch: the root's parent may be reached again through a symlink in the
 * tree, and inotify_add_watch() on an inode already watched replaces the mask. */
#define WATCH_MASK                                                                                 \
        (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF |   \
         IN_MOVE_SELF | IN_ATTRIB | IN_ONLYDIR | IN_EXCL_UNLINK)

typedef struct Watch {
        int wd;
        char *path; /* relative to the root; "" is the root */
} Watch;

struct Dirwatch {
        sd_event *event; /* the inotify fd's source */
        Clock *clock;    /* the debounce and poll timers (a fake one in tests) */
        char *root;      /* as given, trailing slashes removed */
        char *parent;    /* the root's parent directory; NULL when the root is "/" */
        char *root_name; /* the root's last component, as it appears in the parent */
        DirwatchCallback cb;
        void *userdata;
        uint64_t debounce_usec, max_delay_usec, poll_usec;
        unsigned max_watches;

        int fd;
        sd_event_source *io;
        ClockTimer *debounce, *poll;
        int parent_wd;  /* -1: not watched */
        Watch *watches; /* the tree's directories, sorted by wd */
        size_t n_watches;
        char **dirlinks; /* symlinks to directories seen in the tree (relative paths) */
        size_t n_dirlinks;
        DirwatchState state;
        int error; /* why the tree is not (fully) watched, negative errno, or 0 */
        bool root_is_link;
        bool watch_failed;

        /* the batch the next callback reports */
        char **paths; /* sorted, unique */
        size_t n_paths;
        bool full;
        DirwatchReason reason;
        bool batch_open;
        uint64_t batch_start;
};

static const char *const dirwatch_state_table[_DIRWATCH_STATE_MAX] = {
        [DIRWATCH_STATE_WATCHING] = "watching",
        [DIRWATCH_STATE_ROOT_MISSING] = "root-missing",
        [DIRWATCH_STATE_POLLING] = "polling",
};

static const char *const dirwatch_reason_table[_DIRWATCH_REASON_MAX] = {
        [DIRWATCH_REASON_PATHS] = "paths",
        [DIRWATCH_REASON_OVERFLOW] = "overflow",
        [DIRWATCH_REASON_ROOT] = "root",
        [DIRWATCH_REASON_SYMLINK_SWAP] = "symlink-swap",
        [DIRWATCH_REASON_HIDDEN] = "hidden",
        [DIRWATCH_REASON_TOO_MANY_PATHS] = "too-many-paths",
        [DIRWATCH_REASON_WATCH_FAILED] = "watch-failed",
        [DIRWATCH_REASON_POLL] = "poll",
        [DIRWATCH_REASON_REQUESTED] = "requested",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(dirwatch_state, DirwatchState);
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(dirwatch_reason, DirwatchReason);

/* ---- paths ------------------------------------------------------------------------------- */

static char *path_join_rel(const char *dir, const char *name) {
        char *p;

        if (isempty(dir))
                return strdup(name);
        return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static char *dirwatch_abs(const Dirwatch *dw, const char *rel) {
        char *p;

        if (isempty(rel))
                return strdup(dw->root);
        return asprintf(&p, "%s/%s", dw->root, rel) < 0 ? NULL : p;
}

static bool path_is_under(const char *path, const char *dir) {
        size_t n = strlen(dir);
        return strneq(path, dir, n) && (path[n] == 0 || path[n] == '/');
}

/* The errors of a path that changed under us: nothing to watch there any more. */
static bool errno_is_gone(int e) {
        return e == ENOENT || e == ENOTDIR || e == ELOOP || e == ENAMETOOLONG;
}

static unsigned path_depth(const char *rel) {
        unsigned n = 1;
        for (const char *p = rel; *p; p++)
                n += *p == '/';
        return n;
}

/* ---- the batch --------------------------------------------------------------------------- */

static void batch_clear_paths(Dirwatch *dw) {
        for (size_t i = 0; i < dw->n_paths; i++)
                free(dw->paths[i]);
        free(dw->paths);
        dw->paths = NULL;
        dw->n_paths = 0;
}

/* (Re)arms the debounce timer: debounce after this event, but never later than max_delay
 * after the batch's first event. */
static void batch_arm(Dirwatch *dw) {
        uint64_t now = clock_now(dw->clock), when;

        if (!dw->batch_open) {
                dw->batch_open = true;
                dw->batch_start = now;
        }
        when = MIN(now + dw->debounce_usec, dw->batch_start + dw->max_delay_usec);
        (void) clock_timer_arm(dw->debounce, when);
}

/* "hidden" and "too-many-paths" only say that the paths are not worth listing; any other
 * reason says more about what happened, so it replaces them. Otherwise the first one stays. */
static bool reason_is_weak(DirwatchReason r) {
        return r == DIRWATCH_REASON_HIDDEN || r == DIRWATCH_REASON_TOO_MANY_PATHS;
}

static void batch_add_full(Dirwatch *dw, DirwatchReason reason) {
        if (!dw->full || (reason_is_weak(dw->reason) && !reason_is_weak(reason)))
                dw->reason = reason;
        if (!dw->full) {
                dw->full = true;
                batch_clear_paths(dw);
        }
        batch_arm(dw);
}

static size_t paths_lower_bound(char **l, size_t n, const char *p) {
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(l[mid], p) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static int batch_add_path(Dirwatch *dw, const char *rel) {
        size_t i;
        char *s, **l;

        if (dw->full)
                return batch_arm(dw), 0;
        if (desired_path_is_hidden(rel))
                return batch_add_full(dw, DIRWATCH_REASON_HIDDEN), 0;
        i = paths_lower_bound(dw->paths, dw->n_paths, rel);
        if (i < dw->n_paths && streq(dw->paths[i], rel))
                return batch_arm(dw), 0;
        if (dw->n_paths >= DIRWATCH_MAX_PATHS)
                return batch_add_full(dw, DIRWATCH_REASON_TOO_MANY_PATHS), 0;
        s = strdup(rel);
        l = s ? reallocarray(dw->paths, dw->n_paths + 2, sizeof(char *)) : NULL;
        if (!l) {
                free(s);
                return -ENOMEM;
        }
        dw->paths = l;
        memmove(l + i + 1, l + i, (dw->n_paths - i) * sizeof(char *));
        l[i] = s;
        l[++dw->n_paths] = NULL;
        batch_arm(dw);
        return 0;
}

static int on_debounce(ClockTimer *t, usec_t usec, void *userdata) {
        Dirwatch *dw = userdata;
        char *empty[] = { NULL };
        char **paths = dw->paths ?: empty;
        size_t n = dw->n_paths;
        DirwatchChange change = {
                .full = dw->full,
                .reason = dw->full ? dw->reason : DIRWATCH_REASON_PATHS,
                .paths = paths,
                .n_paths = n,
        };

        /* The batch is detached first, so the callback may start the next one. */
        dw->paths = NULL;
        dw->n_paths = 0;
        dw->full = false;
        dw->batch_open = false;
        dw->cb(dw, &change, dw->userdata);
        for (size_t i = 0; i < n; i++)
                free(paths[i]);
        if (paths != empty)
                free(paths);
        return 0;
}

/* ---- state ------------------------------------------------------------------------------- */

static void dirwatch_update_poll(Dirwatch *dw) {
        /* A missing root is waited for through its parent's watch, except when the parent is
         * missing too, or the root is a symlink whose target is missing (the target's
         * directory is somewhere else). */
        bool need =
                dw->state == DIRWATCH_STATE_POLLING || (dw->state == DIRWATCH_STATE_ROOT_MISSING &&
                                                        (dw->parent_wd < 0 || dw->root_is_link));

        if (!need) {
                (void) clock_timer_disarm(dw->poll);
                return;
        }
        if (clock_timer_get(dw->poll) != USEC_INFINITY)
                return; /* keep the running period */
        (void) clock_timer_arm(dw->poll, clock_now(dw->clock) + dw->poll_usec);
}

/* The one place the state changes. The watcher decides here to fall back to polling, so it
 * logs that here, once per change. */
static void dirwatch_set_state(Dirwatch *dw, DirwatchState state) {
        if (state == DIRWATCH_STATE_POLLING && dw->state != DIRWATCH_STATE_POLLING)
                log_warning_errno(dw->error,
                                  "Cannot watch '%s' with inotify: %m; rescanning it fully every "
                                  "%.1fs.",
                                  dw->root, (double) dw->poll_usec / 1e6);
        else if (state != DIRWATCH_STATE_POLLING && dw->state == DIRWATCH_STATE_POLLING)
                log_info("Watching '%s' with inotify again.", dw->root);
        else if (state != dw->state)
                log_debug("Watch of '%s': %s.", dw->root, dirwatch_state_to_string(state));
        dw->state = state;
        dirwatch_update_poll(dw);
}

/* A watch could not be added: the tree is not covered, so only polling is correct. */
static void dirwatch_watch_failed(Dirwatch *dw, int error) {
        dw->watch_failed = true;
        dw->error = error;
        if (dw->state != DIRWATCH_STATE_WATCHING)
                return; /* already polling: the poll's own full rescan covers it */
        dirwatch_set_state(dw, DIRWATCH_STATE_POLLING);
        batch_add_full(dw, DIRWATCH_REASON_WATCH_FAILED);
}

/* ---- watches ----------------------------------------------------------------------------- */

static ssize_t watch_find(const Dirwatch *dw, int wd) {
        size_t lo = 0, hi = dw->n_watches;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (dw->watches[mid].wd == wd)
                        return (ssize_t) mid;
                if (dw->watches[mid].wd < wd)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return -1;
}

static int watch_insert(Dirwatch *dw, int wd, const char *rel) {
        size_t i = 0;
        Watch *l;
        char *p = strdup(rel);

        l = p ? reallocarray(dw->watches, dw->n_watches + 1, sizeof(Watch)) : NULL;
        if (!l) {
                free(p);
                return -ENOMEM;
        }
        dw->watches = l;
        while (i < dw->n_watches && l[i].wd < wd)
                i++;
        memmove(l + i + 1, l + i, (dw->n_watches - i) * sizeof(Watch));
        l[i] = (Watch){ .wd = wd, .path = p };
        dw->n_watches++;
        return 0;
}

static void watch_drop(Dirwatch *dw, size_t i, bool rm) {
        if (rm && dw->fd >= 0 && dw->watches[i].wd != dw->parent_wd)
                (void) inotify_rm_watch(dw->fd, dw->watches[i].wd);
        free(dw->watches[i].path);
        memmove(dw->watches + i, dw->watches + i + 1, (dw->n_watches - i - 1) * sizeof(Watch));
        dw->n_watches--;
}

static bool dirlink_known(const Dirwatch *dw, const char *rel, size_t *ret_index) {
        for (size_t i = 0; i < dw->n_dirlinks; i++)
                if (streq(dw->dirlinks[i], rel)) {
                        if (ret_index)
                                *ret_index = i;
                        return true;
                }
        return false;
}

static int dirlink_add(Dirwatch *dw, const char *rel) {
        char **l, *p;

        if (dirlink_known(dw, rel, NULL))
                return 0;
        p = strdup(rel);
        l = p ? reallocarray(dw->dirlinks, dw->n_dirlinks + 1, sizeof(char *)) : NULL;
        if (!l) {
                free(p);
                return -ENOMEM;
        }
        dw->dirlinks = l;
        l[dw->n_dirlinks++] = p;
        return 0;
}

/* Forgets the watches and directory symlinks at and below rel (everything for ""). */
static void tree_forget(Dirwatch *dw, const char *rel) {
        for (size_t i = dw->n_watches; i > 0; i--)
                if (path_is_under(dw->watches[i - 1].path, rel))
                        watch_drop(dw, i - 1, true);
        for (size_t i = dw->n_dirlinks; i > 0; i--)
                if (path_is_under(dw->dirlinks[i - 1], rel)) {
                        free(dw->dirlinks[i - 1]);
                        dw->dirlinks[i - 1] = dw->dirlinks[--dw->n_dirlinks];
                }
}

static int tree_watch(Dirwatch *dw, const char *rel, unsigned depth, bool report);

/* One entry of a directory being watched: a directory (or a symlink to one) is watched in
 * turn; with report, every entry is also put in the batch (it may predate the watch). */
static int tree_watch_entry(Dirwatch *dw, int dfd, const char *dir, const struct dirent *de,
                            unsigned depth, bool report) {
        _cleanup_free_ char *rel = path_join_rel(dir, de->d_name);
        struct stat st;
        bool is_dir = de->d_type == DT_DIR, is_link = de->d_type == DT_LNK;
        int r;

        if (!rel)
                return -ENOMEM;
        if (de->d_type == DT_UNKNOWN && fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) >= 0) {
                is_dir = S_ISDIR(st.st_mode);
                is_link = S_ISLNK(st.st_mode);
        }
        if (is_link && fstatat(dfd, de->d_name, &st, 0) >= 0 && S_ISDIR(st.st_mode)) {
                r = dirlink_add(dw, rel);
                if (r < 0)
                        return r;
                is_dir = true;
        }
        if (report && (r = batch_add_path(dw, rel)) < 0)
                return r;
        if (!is_dir || streq(de->d_name, ".git"))
                return 0;
        return tree_watch(dw, rel, depth + 1, report);
}

static int tree_list(Dirwatch *dw, const char *rel, unsigned depth, bool report) {
        _cleanup_free_ char *path = dirwatch_abs(dw, rel);
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (!path)
                return -ENOMEM;
        d = opendir(path);
        if (!d)
                return 0; /* gone again, or unreadable: the loader reports that */
        while (r >= 0 && (de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        r = tree_watch_entry(dw, dirfd(d), rel, de, depth, report);
        closedir(d);
        return r;
}

/* Watches directory rel and everything below it. A directory inode already watched (through
 * another path, a symlink loop) is not entered again. Returns 0 or -ENOMEM; a watch that
 * cannot be added because the directory went away is no error (its parent's events say so),
 * any other failure switches to polling. */
static int tree_watch(Dirwatch *dw, const char *rel, unsigned depth, bool report) {
        _cleanup_free_ char *path = NULL;
        int wd, r;

        if (depth > DIRWATCH_MAX_DEPTH || dw->fd < 0)
                return 0;
        if (dw->n_watches >= dw->max_watches) {
                dirwatch_watch_failed(dw, -ENOSPC);
                return 0;
        }
        path = dirwatch_abs(dw, rel);
        if (!path)
                return -ENOMEM;
        wd = inotify_add_watch(dw->fd, path, WATCH_MASK);
        if (wd < 0) {
                if (errno_is_gone(errno))
                        return 0;
                if (errno == EACCES && !isempty(rel)) { /* a chmod's IN_ATTRIB retries */
                        (void) log_debug_errno(-errno, "Cannot watch '%s': %m", path);
                        return 0;
                }
                dirwatch_watch_failed(dw, -errno);
                return 0;
        }
        if (wd == dw->parent_wd || watch_find(dw, wd) >= 0)
                return 0;
        r = watch_insert(dw, wd, rel);
        if (r < 0)
                return r;
        return tree_list(dw, rel, depth, report);
}

/* ---- setting up and tearing down --------------------------------------------------------- */

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata);

/* An inotify instance of our own; when the per-user instance limit is hit, polling. */
static int dirwatch_open_inotify(Dirwatch *dw) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (dw->fd >= 0)
                return 0;
        fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0) {
                dw->error = -errno;
                return 0;
        }
        r = sd_event_add_io(dw->event, &dw->io, fd, EPOLLIN, on_inotify, dw);
        if (r < 0)
                return r;
        dw->fd = TAKE_FD(fd);
        return 0;
}

static void dirwatch_watch_parent(Dirwatch *dw) {
        if (dw->parent_wd >= 0 || dw->fd < 0 || !dw->parent)
                return;
        dw->parent_wd = inotify_add_watch(dw->fd, dw->parent, WATCH_MASK);
        if (dw->parent_wd < 0)
                dw->parent_wd = -1; /* retried every poll interval while the root is missing */
}

static void dirwatch_teardown(Dirwatch *dw) {
        tree_forget(dw, "");
}

/* Establishes every watch from scratch and sets the state to what it finds. Events for the
 * old watches that are still queued name unknown watch descriptors and are dropped. */
static int dirwatch_setup(Dirwatch *dw) {
        struct stat st;
        int r;

        dirwatch_teardown(dw);
        dw->watch_failed = false;
        r = dirwatch_open_inotify(dw);
        if (r < 0)
                return r;
        if (dw->fd < 0) {
                dirwatch_set_state(dw, DIRWATCH_STATE_POLLING);
                return 0;
        }
        dw->error = 0;
        dirwatch_watch_parent(dw);
        dw->root_is_link = lstat(dw->root, &st) >= 0 && S_ISLNK(st.st_mode);
        if (stat(dw->root, &st) < 0 || !S_ISDIR(st.st_mode)) {
                dirwatch_set_state(dw, DIRWATCH_STATE_ROOT_MISSING);
                return 0;
        }
        r = tree_watch(dw, "", 0, false);
        if (r < 0)
                return r;
        if (!dw->watch_failed && dw->n_watches == 0)
                /* the root vanished between stat() and inotify_add_watch() */
                dirwatch_set_state(dw, DIRWATCH_STATE_ROOT_MISSING);
        else
                dirwatch_set_state(dw, dw->watch_failed ? DIRWATCH_STATE_POLLING
                                                        : DIRWATCH_STATE_WATCHING);
        return 0;
}

static int dirwatch_resync(Dirwatch *dw, DirwatchReason reason) {
        int r = dirwatch_setup(dw);
        batch_add_full(dw, reason);
        return r;
}

/* ---- events ------------------------------------------------------------------------------ */

static int handle_parent_event(Dirwatch *dw, const struct inotify_event *ev) {
        if (ev->mask & (IN_MOVE_SELF | IN_DELETE_SELF | IN_IGNORED)) {
                /* The parent itself went away or moved: the root's path means something
                 * else now. */
                if (!(ev->mask & IN_IGNORED))
                        (void) inotify_rm_watch(dw->fd, dw->parent_wd);
                dw->parent_wd = -1;
                return dirwatch_resync(dw, DIRWATCH_REASON_ROOT);
        }
        if (ev->len > 0 && streq(ev->name, dw->root_name) &&
            (ev->mask & (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM)))
                return dirwatch_resync(dw, DIRWATCH_REASON_ROOT);
        return 0;
}

/* An entry of a watched directory appeared or went away, or a directory's metadata changed. */
static int handle_dir_entry(Dirwatch *dw, const char *rel, const struct inotify_event *ev) {
        int r;

        if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
                tree_forget(dw, rel);
        if ((ev->mask & (IN_CREATE | IN_MOVED_TO | IN_ATTRIB)) && !streq(ev->name, ".git")) {
                /* IN_ATTRIB: a directory that could not be watched (EACCES) may be now */
                bool known = false;
                for (size_t i = 0; i < dw->n_watches && !known; i++)
                        known = streq(dw->watches[i].path, rel);
                if (!known && (r = tree_watch(dw, rel, path_depth(rel), true)) < 0)
                        return r;
        }
        return batch_add_path(dw, rel);
}

/* A symlink to a directory was created, renamed over or removed: everything reached through
 * it may have changed at once (a ConfigMap's "..data"). */
static int handle_dirlink(Dirwatch *dw, const char *rel, const struct inotify_event *ev) {
        size_t i;
        struct stat st;
        _cleanup_free_ char *path = NULL;
        bool was = dirlink_known(dw, rel, &i), is = false;
        int r;

        if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
                path = dirwatch_abs(dw, rel);
                if (!path)
                        return -ENOMEM;
                is = lstat(path, &st) >= 0 && S_ISLNK(st.st_mode) && stat(path, &st) >= 0 &&
                     S_ISDIR(st.st_mode);
        }
        if (!was && !is)
                return 0;
        tree_forget(dw, rel);
        if (is) {
                r = dirlink_add(dw, rel);
                if (r < 0)
                        return r;
                r = tree_watch(dw, rel, path_depth(rel), false);
                if (r < 0)
                        return r;
        }
        batch_add_full(dw, DIRWATCH_REASON_SYMLINK_SWAP);
        return 1;
}

static int handle_tree_event(Dirwatch *dw, size_t i, const struct inotify_event *ev) {
        _cleanup_free_ char *rel = NULL;
        bool is_root = isempty(dw->watches[i].path);
        int r;

        if (ev->mask & IN_IGNORED) {
                watch_drop(dw, i, false);
                return is_root ? dirwatch_resync(dw, DIRWATCH_REASON_ROOT) : 0;
        }
        if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
                /* below the root, the parent's IN_DELETE/IN_MOVED_FROM says it with a path */
                return is_root ? dirwatch_resync(dw, DIRWATCH_REASON_ROOT) : 0;
        if (ev->len == 0 || ev->name[0] == 0)
                return is_root ? 0 : batch_add_path(dw, dw->watches[i].path);

        rel = path_join_rel(dw->watches[i].path, ev->name);
        if (!rel)
                return -ENOMEM;
        if (ev->mask & IN_ISDIR)
                return handle_dir_entry(dw, rel, ev);
        r = handle_dirlink(dw, rel, ev);
        if (r != 0)
                return r < 0 ? r : 0;
        if (desired_name_is_backup(ev->name)) /* a file the loader never reads */
                return 0;
        return batch_add_path(dw, rel);
}

int dirwatch_process_event(Dirwatch *dw, const struct inotify_event *ev) {
        ssize_t i;
        int r;

        if (ev->mask & IN_Q_OVERFLOW)
                return dirwatch_resync(dw, DIRWATCH_REASON_OVERFLOW);
        if (ev->wd >= 0 && ev->wd == dw->parent_wd) {
                r = handle_parent_event(dw, ev);
                if (r < 0 || dw->parent_wd != ev->wd)
                        return r;
        }
        i = watch_find(dw, ev->wd);
        if (i < 0)
                return 0; /* a watch forgotten since the event was queued */
        return handle_tree_event(dw, (size_t) i, ev);
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Dirwatch *dw = userdata;
        union {
                struct inotify_event ev;
                uint8_t raw[16 * 1024];
        } buf;
        ssize_t n;
        int r;

        /* One read per wake-up: the source is level-triggered, and the loop stays fair. */
        n = read(fd, &buf, sizeof(buf));
        if (n < 0)
                return errno == EAGAIN || errno == EINTR
                               ? 0
                               : dirwatch_resync(dw, DIRWATCH_REASON_OVERFLOW);
        for (uint8_t *p = buf.raw; p < buf.raw + n;) {
                struct inotify_event *ev = (struct inotify_event *) (void *) p;
                p += sizeof(*ev) + ev->len;
                r = dirwatch_process_event(dw, ev);
                if (r < 0) {
                        /* out of memory: what was lost can only be recovered in full */
                        batch_add_full(dw, DIRWATCH_REASON_OVERFLOW);
                        return 0;
                }
        }
        return 0;
}

static int on_poll(ClockTimer *t, usec_t usec, void *userdata) {
        Dirwatch *dw = userdata;
        DirwatchState old = dw->state;

        /* The timer is disarmed when this runs, so dirwatch_update_poll() re-arms a full
         * period. */
        if (dirwatch_setup(dw) < 0 || old == DIRWATCH_STATE_POLLING)
                batch_add_full(dw, DIRWATCH_REASON_POLL);
        else if (dw->state != old)
                batch_add_full(dw, DIRWATCH_REASON_ROOT);
        dirwatch_update_poll(dw);
        return 0;
}

/* ---- the object -------------------------------------------------------------------------- */

static int dirwatch_split_root(Dirwatch *dw, const char *root) {
        size_t n = strlen(root);
        char *slash;

        while (n > 1 && root[n - 1] == '/')
                n--;
        dw->root = strndup(root, n);
        if (!dw->root)
                return -ENOMEM;
        if (streq(dw->root, "/"))
                return 0;
        slash = strrchr(dw->root, '/');
        dw->root_name = strdup(slash ? slash + 1 : dw->root);
        if (!slash)
                dw->parent = strdup(".");
        else if (slash == dw->root)
                dw->parent = strdup("/");
        else
                dw->parent = strndup(dw->root, (size_t) (slash - dw->root));
        if (!dw->root_name || !dw->parent)
                return -ENOMEM;
        if (streq(dw->root_name, ".") || streq(dw->root_name, ".."))
                /* "x/.." has no name in a parent to watch: watch without the parent */
                dw->parent = (free(dw->parent), NULL);
        return 0;
}

int dirwatch_new(sd_event *e, Clock *clock, const char *root, uint64_t debounce_usec,
                 DirwatchCallback cb, void *userdata, Dirwatch **ret) {
        _cleanup_(dirwatch_freep) Dirwatch *dw = NULL;
        int r;

        if (!e || !clock || isempty(root) || !cb || !ret)
                return -EINVAL;
        dw = calloc(1, sizeof(*dw));
        if (!dw)
                return -ENOMEM;
        dw->fd = -EBADF;
        dw->parent_wd = -1;
        dw->event = sd_event_ref(e);
        dw->clock = clock;
        dw->cb = cb;
        dw->userdata = userdata;
        dw->debounce_usec = debounce_usec ?: DIRWATCH_DEBOUNCE_USEC_DEFAULT;
        dw->max_delay_usec = MAX(DIRWATCH_MAX_DELAY_USEC_DEFAULT, dw->debounce_usec);
        dw->poll_usec = DIRWATCH_POLL_USEC_DEFAULT;
        dw->max_watches = DIRWATCH_MAX_WATCHES_DEFAULT;
        dw->state = DIRWATCH_STATE_WATCHING;
        r = dirwatch_split_root(dw, root);
        if (r < 0)
                return r;
        r = clock_timer_new(clock, on_debounce, dw, &dw->debounce);
        if (r < 0)
                return r;
        r = clock_timer_new(clock, on_poll, dw, &dw->poll);
        if (r < 0)
                return r;
        r = dirwatch_setup(dw);
        if (r < 0)
                return r;
        /* no callback at start: the consumer loads everything once itself */
        batch_clear_paths(dw);
        dw->full = false;
        dw->batch_open = false;
        (void) clock_timer_disarm(dw->debounce);
        *ret = TAKE_PTR(dw);
        return 0;
}

Dirwatch *dirwatch_free(Dirwatch *dw) {
        if (!dw)
                return NULL;
        for (size_t i = 0; i < dw->n_watches; i++)
                free(dw->watches[i].path);
        free(dw->watches);
        for (size_t i = 0; i < dw->n_dirlinks; i++)
                free(dw->dirlinks[i]);
        free(dw->dirlinks);
        batch_clear_paths(dw);
        sd_event_source_disable_unref(dw->io);
        clock_timer_free(dw->debounce);
        clock_timer_free(dw->poll);
        if (dw->fd >= 0)
                close(dw->fd); /* drops every watch at once */
        sd_event_unref(dw->event);
        free(dw->root);
        free(dw->parent);
        free(dw->root_name);
        free(dw);
        return NULL;
}

void dirwatch_set_max_delay(Dirwatch *dw, uint64_t usec) {
        dw->max_delay_usec = usec ?: DIRWATCH_MAX_DELAY_USEC_DEFAULT;
}

void dirwatch_set_poll_interval(Dirwatch *dw, uint64_t usec) {
        dw->poll_usec = usec ?: DIRWATCH_POLL_USEC_DEFAULT;
        if (clock_timer_get(dw->poll) != USEC_INFINITY) {
                (void) clock_timer_disarm(dw->poll);
                dirwatch_update_poll(dw);
        }
}

void dirwatch_set_max_watches(Dirwatch *dw, unsigned n) {
        dw->max_watches = n ?: DIRWATCH_MAX_WATCHES_DEFAULT;
}

int dirwatch_rescan_hint_full(Dirwatch *dw) {
        return dirwatch_resync(dw, DIRWATCH_REASON_REQUESTED);
}

DirwatchState dirwatch_get_state(const Dirwatch *dw) {
        return dw->state;
}

size_t dirwatch_get_n_watches(const Dirwatch *dw) {
        return dw->n_watches;
}

const char *dirwatch_get_root(const Dirwatch *dw) {
        return dw->root;
}

int dirwatch_get_error(const Dirwatch *dw) {
        return dw->error;
}
