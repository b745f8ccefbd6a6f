/* SPDX-License-Identifier: MIT */
/* reconciler/dirwatch against real inotify in a temporary directory, with its timers on a fake
 * clock: the inotify events are real (they are queued by the syscalls that make them), only the
 * waiting goes. Each wait reads what inotify has, then moves the fake clock to the next timer,
 * until the expected callback or 3 s of fake time; "nothing more happens" is checked by moving
 * the clock a few debounce periods. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

#include "lib/macro.h"
#include "reconciler/daemon/dirwatch.h"

#define DEBOUNCE (50 * 1000ULL)
#define DEADLINE (3 * 1000 * 1000ULL)

typedef struct Fixture {
        char tmp[64];  /* the mkdtemp directory */
        char root[96]; /* tmp/root: the watched directory */
        sd_event *event;
        Clock *clock; /* fake */
        Dirwatch *dw;
        unsigned calls;
        unsigned full_calls;
        DirwatchReason last_reason;
        bool last_full;
        char **paths; /* the union of the paths of every callback, unsorted */
        size_t n_paths;
} Fixture;

/* Dispatches what is ready on the loop (the inotify events queued so far), without waiting. */
static void pump(Fixture *f) {
        int r;

        while ((r = sd_event_run(f->event, 0)) > 0)
                ;
        assert_true(r >= 0);
}

/* Reads inotify, then moves the fake clock to the next timer, unless that is beyond end (or
 * none is armed): false then. */
static bool step(Fixture *f, usec_t end) {
        usec_t next;

        pump(f);
        next = clock_fake_next(f->clock);
        if (next == USEC_INFINITY || next > end)
                return false;
        assert_true(clock_fake_advance(f->clock, next - MIN(next, clock_now(f->clock))) >= 0);
        pump(f);
        return true;
}

static void on_change(Dirwatch *dw, const DirwatchChange *c, void *userdata) {
        Fixture *f = userdata;

        f->calls++;
        f->last_full = c->full;
        f->last_reason = c->reason;
        if (c->full) {
                f->full_calls++;
                assert_int_equal(c->n_paths, 0);
                assert_int_not_equal(c->reason, DIRWATCH_REASON_PATHS);
        } else
                assert_int_equal(c->reason, DIRWATCH_REASON_PATHS);
        assert_null(c->paths[c->n_paths]);
        for (size_t i = 0; i < c->n_paths; i++) {
                if (i > 0) /* sorted and unique */
                        assert_true(strcmp(c->paths[i - 1], c->paths[i]) < 0);
                f->paths = reallocarray(f->paths, f->n_paths + 1, sizeof(char *));
                assert_non_null(f->paths);
                f->paths[f->n_paths++] = strdup(c->paths[i]);
        }
}

static bool seen(const Fixture *f, const char *path) {
        for (size_t i = 0; i < f->n_paths; i++)
                if (streq(f->paths[i], path))
                        return true;
        return false;
}

static void forget(Fixture *f) {
        for (size_t i = 0; i < f->n_paths; i++)
                free(f->paths[i]);
        free(f->paths);
        f->paths = NULL;
        f->n_paths = 0;
        f->calls = f->full_calls = 0;
        f->last_full = false;
}

/* Runs the loop until the number of callbacks reaches calls or the deadline passes. */
static void wait_calls(Fixture *f, unsigned calls) {
        usec_t end = clock_now(f->clock) + DEADLINE;

        pump(f);
        while (f->calls < calls && step(f, end))
                ;
        assert_true(f->calls >= calls);
}

/* Runs the loop until every path was reported or the deadline passes. */
static void wait_paths(Fixture *f, const char *const *paths) {
        usec_t end = clock_now(f->clock) + DEADLINE;
        bool all;

        pump(f);
        do {
                all = true;
                for (const char *const *p = paths; *p; p++)
                        all = all && seen(f, *p);
                if (all)
                        return;
        } while (step(f, end));
        for (const char *const *p = paths; *p; p++)
                if (!seen(f, *p))
                        fail_msg("path '%s' was not reported", *p);
}

/* Runs the loop for a few debounce periods: what is pending is delivered. */
static void settle(Fixture *f) {
        pump(f);
        assert_true(clock_fake_advance(f->clock, 4 * DEBOUNCE) >= 0);
        pump(f);
}

static char *at(const Fixture *f, const char *rel) {
        static char buf[4][512];
        static unsigned n;
        char *b = buf[n++ % 4];
        snprintf(b, sizeof(buf[0]), "%s/%s", f->root, rel);
        return b;
}

static void write_file(const char *path, const char *content) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, strlen(content)), (ssize_t) strlen(content));
        assert_int_equal(close(fd), 0);
}

static void read_file(const char *path, char *buf, size_t size) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;
        assert_true(fd >= 0);
        n = read(fd, buf, size - 1);
        assert_true(n >= 0);
        buf[n] = 0;
        close(fd);
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void rm_rf(const char *path) {
        assert_int_equal(nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void start(Fixture *f) {
        assert_int_equal(dirwatch_new(f->event, f->clock, f->root, DEBOUNCE, on_change, f, &f->dw),
                         0);
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        strcpy(f->tmp, "/tmp/test-dirwatch-XXXXXX");
        assert_non_null(mkdtemp(f->tmp));
        snprintf(f->root, sizeof(f->root), "%s/root", f->tmp);
        assert_int_equal(mkdir(f->root, 0755), 0);
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(clock_new_fake(1000 * USEC_PER_SEC, &f->clock), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        dirwatch_free(f->dw);
        clock_free(f->clock);
        sd_event_unref(f->event);
        rm_rf(f->tmp);
        forget(f);
        free(f);
        return 0;
}

static void test_strings(void **state) {
        for (int i = 0; i < _DIRWATCH_STATE_MAX; i++)
                assert_non_null(dirwatch_state_to_string(i));
        for (int i = 0; i < _DIRWATCH_REASON_MAX; i++)
                assert_non_null(dirwatch_reason_to_string(i));
        assert_null(dirwatch_reason_to_string(_DIRWATCH_REASON_MAX));
        assert_string_equal(dirwatch_reason_to_string(DIRWATCH_REASON_OVERFLOW), "overflow");
        assert_string_equal(dirwatch_state_to_string(DIRWATCH_STATE_ROOT_MISSING), "root-missing");
}

static void test_create_and_write(void **state) {
        Fixture *f = *state;

        write_file(at(f, "old.yaml"), "a");
        start(f);
        assert_int_equal(dirwatch_get_state(f->dw), DIRWATCH_STATE_WATCHING);
        assert_int_equal(dirwatch_get_n_watches(f->dw), 1);
        settle(f);
        assert_int_equal(f->calls, 0); /* nothing at start */

        write_file(at(f, "a.yaml"), "kind: x\n");
        wait_calls(f, 1);
        assert_false(f->last_full);
        assert_true(seen(f, "a.yaml"));
        assert_int_equal(f->n_paths, 1);

        forget(f);
        write_file(at(f, "old.yaml"), "b");
        wait_calls(f, 1);
        assert_true(seen(f, "old.yaml"));
        assert_int_equal(f->n_paths, 1);
        settle(f);
        assert_int_equal(f->calls, 1);
}

static void test_atomic_rename(void **state) {
        Fixture *f = *state;

        write_file(at(f, "a.yaml"), "old");
        start(f);
        write_file(at(f, "a.yaml.tmp"), "new");
        assert_int_equal(rename(at(f, "a.yaml.tmp"), at(f, "a.yaml")), 0);
        wait_calls(f, 1);
        settle(f);
        assert_int_equal(f->calls, 1);
        assert_false(f->last_full);
        assert_true(seen(f, "a.yaml"));
        assert_false(seen(f, "a.yaml.tmp"));
        assert_int_equal(f->n_paths, 1);
}

static void test_editor_scratch(void **state) {
        Fixture *f = *state;

        write_file(at(f, "a.yaml"), "old");
        start(f);
        /* what vim and emacs leave around a save, and patch or a merge tool (the loader reads
         * none of them: desired_name_is_backup()) */
        write_file(at(f, "4913"), "");
        write_file(at(f, "a.yaml.bak"), "backup");
        write_file(at(f, "a.yaml.orig"), "before the merge");
        assert_int_equal(unlink(at(f, "4913")), 0);
        write_file(at(f, ".a.yaml.swp"), "swap");
        write_file(at(f, "#a.yaml#"), "autosave");
        assert_int_equal(symlink("user@host.1234", at(f, ".#a.yaml")), 0);
        assert_int_equal(rename(at(f, "a.yaml"), at(f, "a.yaml~")), 0);
        settle(f);
        /* the real file moved away: that one is news */
        assert_int_equal(f->calls, 1);
        assert_true(seen(f, "a.yaml"));
        assert_int_equal(f->n_paths, 1);

        forget(f);
        write_file(at(f, "a.yaml"), "new");
        assert_int_equal(unlink(at(f, ".a.yaml.swp")), 0);
        assert_int_equal(unlink(at(f, "#a.yaml#")), 0);
        assert_int_equal(unlink(at(f, ".#a.yaml")), 0);
        assert_int_equal(unlink(at(f, "a.yaml~")), 0);
        assert_int_equal(unlink(at(f, "a.yaml.bak")), 0);
        assert_int_equal(unlink(at(f, "a.yaml.orig")), 0);
        wait_calls(f, 1);
        settle(f);
        assert_int_equal(f->calls, 1);
        assert_false(f->last_full);
        assert_true(seen(f, "a.yaml"));
        assert_int_equal(f->n_paths, 1);
}

static void test_delete(void **state) {
        Fixture *f = *state;

        write_file(at(f, "a.yaml"), "x");
        write_file(at(f, "b.yaml"), "x");
        start(f);
        assert_int_equal(unlink(at(f, "a.yaml")), 0);
        wait_calls(f, 1);
        assert_false(f->last_full);
        assert_true(seen(f, "a.yaml"));
        assert_int_equal(f->n_paths, 1);
}

static void test_directory_created(void **state) {
        Fixture *f = *state;
        static const char *const expect[] = { "d",     "d/x.yaml",     "p", "p/q",
                                              "p/q/r", "p/q/r/y.yaml", NULL };

        start(f);
        /* files written right after mkdir may predate the new directory's watch */
        assert_int_equal(mkdir(at(f, "d"), 0755), 0);
        write_file(at(f, "d/x.yaml"), "x");
        assert_int_equal(mkdir(at(f, "p"), 0755), 0);
        assert_int_equal(mkdir(at(f, "p/q"), 0755), 0);
        assert_int_equal(mkdir(at(f, "p/q/r"), 0755), 0);
        write_file(at(f, "p/q/r/y.yaml"), "y");
        wait_paths(f, expect);
        assert_int_equal(dirwatch_get_n_watches(f->dw), 5);

        /* the new directories are watched themselves */
        forget(f);
        write_file(at(f, "p/q/r/z.yaml"), "z");
        wait_calls(f, 1);
        assert_true(seen(f, "p/q/r/z.yaml"));
        assert_int_equal(f->n_paths, 1);
}

static void test_directory_removed(void **state) {
        Fixture *f = *state;
        static const char *const expect[] = { "d", "d/x.yaml", NULL };

        assert_int_equal(mkdir(at(f, "d"), 0755), 0);
        write_file(at(f, "d/x.yaml"), "x");
        start(f);
        assert_int_equal(dirwatch_get_n_watches(f->dw), 2);
        rm_rf(at(f, "d"));
        wait_paths(f, expect);
        settle(f);
        assert_int_equal(dirwatch_get_n_watches(f->dw), 1);

        /* a directory that is gone before its event is handled breaks nothing */
        forget(f);
        assert_int_equal(mkdir(at(f, "e"), 0755), 0);
        assert_int_equal(rmdir(at(f, "e")), 0);
        wait_calls(f, 1);
        assert_true(seen(f, "e"));
        assert_int_equal(dirwatch_get_n_watches(f->dw), 1);
}

static void test_nested(void **state) {
        Fixture *f = *state;

        assert_int_equal(mkdir(at(f, "a"), 0755), 0);
        assert_int_equal(mkdir(at(f, "a/b"), 0755), 0);
        assert_int_equal(mkdir(at(f, "a/b/c"), 0755), 0);
        assert_int_equal(mkdir(at(f, ".git"), 0755), 0); /* not watched */
        assert_int_equal(mkdir(at(f, ".git/objects"), 0755), 0);
        start(f);
        assert_int_equal(dirwatch_get_n_watches(f->dw), 4);
        write_file(at(f, "a/b/c/x.yaml"), "x");
        wait_calls(f, 1);
        assert_false(f->last_full);
        assert_true(seen(f, "a/b/c/x.yaml"));
        assert_int_equal(f->n_paths, 1);

        /* a directory moved inside the tree reports under its new name afterwards */
        forget(f);
        assert_int_equal(rename(at(f, "a/b"), at(f, "B")), 0);
        wait_calls(f, 1);
        assert_true(seen(f, "a/b"));
        assert_true(seen(f, "B"));
        forget(f);
        write_file(at(f, "B/c/y.yaml"), "y");
        wait_calls(f, 1);
        assert_true(seen(f, "B/c/y.yaml"));
        assert_int_equal(f->n_paths, 1);
        assert_int_equal(dirwatch_get_n_watches(f->dw), 4);
}

/* The layout kubelet's atomic writer makes of a ConfigMap volume, and its update. */
static void test_configmap_swap(void **state) {
        Fixture *f = *state;
        struct stat before, after;
        char buf[64];

        assert_int_equal(mkdir(at(f, "..2024_01_01_00_00_00.1"), 0755), 0);
        write_file(at(f, "..2024_01_01_00_00_00.1/x.yaml"), "version: 1\n");
        assert_int_equal(symlink("..2024_01_01_00_00_00.1", at(f, "..data")), 0);
        assert_int_equal(symlink("..data/x.yaml", at(f, "x.yaml")), 0);
        start(f);
        assert_int_equal(dirwatch_get_n_watches(f->dw), 2);
        assert_int_equal(stat(at(f, "x.yaml"), &before), 0);

        assert_int_equal(mkdir(at(f, "..2024_01_01_00_00_01.2"), 0755), 0);
        write_file(at(f, "..2024_01_01_00_00_01.2/x.yaml"), "version: 22\n");
        assert_int_equal(symlink("..2024_01_01_00_00_01.2", at(f, "..data_tmp")), 0);
        assert_int_equal(rename(at(f, "..data_tmp"), at(f, "..data")), 0);
        rm_rf(at(f, "..2024_01_01_00_00_00.1"));
        wait_calls(f, 1);
        assert_true(f->last_full);
        settle(f);
        assert_int_equal(dirwatch_get_n_watches(f->dw), 2);

        /* what the consumer's rescan sees: a new identity and the new content */
        assert_int_equal(stat(at(f, "x.yaml"), &after), 0);
        assert_true(before.st_ino != after.st_ino || before.st_size != after.st_size);
        read_file(at(f, "x.yaml"), buf, sizeof(buf));
        assert_string_equal(buf, "version: 22\n");

        /* the swap of the symlink alone is reported as one */
        forget(f);
        assert_int_equal(symlink("..2024_01_01_00_00_01.2", at(f, "..data_tmp")), 0);
        assert_int_equal(rename(at(f, "..data_tmp"), at(f, "..data")), 0);
        wait_calls(f, 1);
        assert_true(f->last_full);
        assert_int_equal(f->last_reason, DIRWATCH_REASON_SYMLINK_SWAP);
}

static void test_symlinked_directory(void **state) {
        Fixture *f = *state;
        char other[128], other2[128];

        snprintf(other, sizeof(other), "%s/other", f->tmp);
        snprintf(other2, sizeof(other2), "%s/other2", f->tmp);
        assert_int_equal(mkdir(other, 0755), 0);
        assert_int_equal(mkdir(other2, 0755), 0);
        assert_int_equal(symlink(other, at(f, "current")), 0);
        assert_int_equal(symlink(".", at(f, "loop")), 0); /* entered once */
        start(f);
        assert_int_equal(dirwatch_get_n_watches(f->dw), 2);

        snprintf(other, sizeof(other), "%s/other/x.yaml", f->tmp);
        write_file(other, "x");
        wait_calls(f, 1);
        assert_false(f->last_full);
        assert_true(seen(f, "current/x.yaml"));

        forget(f);
        assert_int_equal(symlink(other2, at(f, "current.new")), 0);
        assert_int_equal(rename(at(f, "current.new"), at(f, "current")), 0);
        wait_calls(f, 1);
        assert_true(f->last_full);
        assert_int_equal(f->last_reason, DIRWATCH_REASON_SYMLINK_SWAP);
        forget(f);
        snprintf(other2, sizeof(other2), "%s/other2/y.yaml", f->tmp);
        write_file(other2, "y");
        wait_calls(f, 1);
        assert_true(seen(f, "current/y.yaml"));
        assert_int_equal(dirwatch_get_n_watches(f->dw), 2);

        forget(f);
        assert_int_equal(unlink(at(f, "current")), 0);
        wait_calls(f, 1);
        assert_true(f->last_full);
        assert_int_equal(dirwatch_get_n_watches(f->dw), 1);
}

static void test_checkout_burst(void **state) {
        Fixture *f = *state;
        char name[32];

        for (unsigned i = 0; i < 200; i++) {
                snprintf(name, sizeof(name), "f%03u.yaml", i);
                write_file(at(f, name), "old");
        }
        /* a debounce that a loaded CI machine cannot exceed between two files */
        assert_int_equal(
                dirwatch_new(f->event, f->clock, f->root, 300 * 1000, on_change, f, &f->dw), 0);
        /* git checkout: unlink, create, write, close, file after file */
        for (unsigned i = 0; i < 200; i++) {
                snprintf(name, sizeof(name), "f%03u.yaml", i);
                assert_int_equal(unlink(at(f, name)), 0);
                write_file(at(f, name), "new");
        }
        {
                usec_t end = clock_now(f->clock) + DEADLINE;
                while (f->n_paths < 200 && step(f, end))
                        ;
        }
        settle(f);
        assert_int_equal(f->full_calls, 0);
        assert_int_equal(f->n_paths, 200); /* each once: one batch, or a few disjoint ones */
        assert_true(f->calls >= 1 && f->calls <= 3);
        assert_true(seen(f, "f000.yaml") && seen(f, "f199.yaml"));
}

static void test_too_many_paths(void **state) {
        Fixture *f = *state;
        char name[32];

        start(f);
        for (unsigned i = 0; i < DIRWATCH_MAX_PATHS + 10; i++) {
                snprintf(name, sizeof(name), "f%04u.yaml", i);
                write_file(at(f, name), "x");
        }
        {
                usec_t end = clock_now(f->clock) + DEADLINE;
                while (f->full_calls == 0 && step(f, end))
                        ;
        }
        assert_int_equal(f->full_calls, 1);
        assert_int_equal(f->last_reason, DIRWATCH_REASON_TOO_MANY_PATHS);
}

static void test_overflow(void **state) {
        Fixture *f = *state;
        struct inotify_event ev = { .wd = -1, .mask = IN_Q_OVERFLOW };

        assert_int_equal(mkdir(at(f, "d"), 0755), 0);
        start(f);
        write_file(at(f, "a.yaml"), "x");
        assert_int_equal(dirwatch_process_event(f->dw, &ev), 0);
        wait_calls(f, 1);
        settle(f);
        assert_int_equal(f->calls, 1);
        assert_true(f->last_full);
        assert_int_equal(f->last_reason, DIRWATCH_REASON_OVERFLOW);
        /* the watches were re-established and work */
        assert_int_equal(dirwatch_get_n_watches(f->dw), 2);
        forget(f);
        write_file(at(f, "d/b.yaml"), "x");
        wait_calls(f, 1);
        assert_false(f->last_full);
        assert_true(seen(f, "d/b.yaml"));
}

static void test_hint_full(void **state) {
        Fixture *f = *state;

        start(f);
        assert_int_equal(dirwatch_rescan_hint_full(f->dw), 0);
        wait_calls(f, 1);
        assert_true(f->last_full);
        assert_int_equal(f->last_reason, DIRWATCH_REASON_REQUESTED);
        assert_int_equal(dirwatch_get_n_watches(f->dw), 1);
}

static void test_max_delay(void **state) {
        Fixture *f = *state;

        /* a debounce far beyond the deadline: only the cap can deliver the batch in time */
        assert_int_equal(
                dirwatch_new(f->event, f->clock, f->root, 60 * 1000000ULL, on_change, f, &f->dw),
                0);
        dirwatch_set_max_delay(f->dw, 100 * 1000);
        write_file(at(f, "a.yaml"), "x");
        wait_calls(f, 1);
        assert_true(seen(f, "a.yaml"));
}

static void test_root_deleted_and_recreated(void **state) {
        Fixture *f = *state;

        write_file(at(f, "a.yaml"), "x");
        start(f);
        rm_rf(f->root);
        wait_calls(f, 1);
        settle(f);
        assert_true(f->last_full);
        assert_int_equal(f->last_reason, DIRWATCH_REASON_ROOT);
        assert_int_equal(dirwatch_get_state(f->dw), DIRWATCH_STATE_ROOT_MISSING);
        assert_int_equal(dirwatch_get_n_watches(f->dw), 0);

        forget(f);
        assert_int_equal(mkdir(f->root, 0755), 0);
        write_file(at(f, "b.yaml"), "x");
        wait_calls(f, 1);
        settle(f);
        assert_true(f->last_full);
        assert_int_equal(dirwatch_get_state(f->dw), DIRWATCH_STATE_WATCHING);
        assert_int_equal(dirwatch_get_n_watches(f->dw), 1);

        forget(f);
        write_file(at(f, "c.yaml"), "x");
        wait_calls(f, 1);
        assert_false(f->last_full);
        assert_true(seen(f, "c.yaml"));
}

static void test_root_missing_at_start(void **state) {
        Fixture *f = *state;

        rm_rf(f->root);
        start(f);
        assert_int_equal(dirwatch_get_state(f->dw), DIRWATCH_STATE_ROOT_MISSING);
        assert_int_equal(dirwatch_get_n_watches(f->dw), 0);
        settle(f);
        assert_int_equal(f->calls, 0);

        /* the root appears by a rename, as a deploy tool would make it */
        {
                char staged[128];
                snprintf(staged, sizeof(staged), "%s/staged", f->tmp);
                assert_int_equal(mkdir(staged, 0755), 0);
                assert_int_equal(rename(staged, f->root), 0);
        }
        wait_calls(f, 1);
        assert_true(f->last_full);
        assert_int_equal(f->last_reason, DIRWATCH_REASON_ROOT);
        assert_int_equal(dirwatch_get_state(f->dw), DIRWATCH_STATE_WATCHING);
}

static void test_root_symlink_swap(void **state) {
        Fixture *f = *state;
        char a[128], b[128], link[128];

        snprintf(a, sizeof(a), "%s/a", f->tmp);
        snprintf(b, sizeof(b), "%s/b", f->tmp);
        snprintf(link, sizeof(link), "%s/root.new", f->tmp);
        rm_rf(f->root);
        assert_int_equal(mkdir(a, 0755), 0);
        assert_int_equal(mkdir(b, 0755), 0);
        assert_int_equal(symlink("a", f->root), 0);
        start(f);
        assert_int_equal(dirwatch_get_state(f->dw), DIRWATCH_STATE_WATCHING);
        assert_int_equal(symlink("b", link), 0);
        assert_int_equal(rename(link, f->root), 0);
        wait_calls(f, 1);
        assert_true(f->last_full);
        assert_int_equal(f->last_reason, DIRWATCH_REASON_ROOT);

        /* now b is the one watched */
        forget(f);
        snprintf(b, sizeof(b), "%s/b/x.yaml", f->tmp);
        write_file(b, "x");
        wait_calls(f, 1);
        assert_true(seen(f, "x.yaml"));
}

static void test_root_symlink_target_gone(void **state) {
        Fixture *f = *state;
        char a[128];

        snprintf(a, sizeof(a), "%s/a", f->tmp);
        rm_rf(f->root);
        assert_int_equal(mkdir(a, 0755), 0);
        assert_int_equal(symlink("a", f->root), 0);
        start(f);
        dirwatch_set_poll_interval(f->dw, 100 * 1000);
        assert_int_equal(rmdir(a), 0);
        wait_calls(f, 1);
        assert_true(f->last_full);
        assert_int_equal(dirwatch_get_state(f->dw), DIRWATCH_STATE_ROOT_MISSING);

        /* nothing in the root's parent changes: the retry timer finds it */
        forget(f);
        assert_int_equal(mkdir(a, 0755), 0);
        wait_calls(f, 1);
        assert_true(f->last_full);
        assert_int_equal(f->last_reason, DIRWATCH_REASON_ROOT);
        assert_int_equal(dirwatch_get_state(f->dw), DIRWATCH_STATE_WATCHING);
        assert_int_equal(dirwatch_get_n_watches(f->dw), 1);
}

static void test_watch_limit_polls(void **state) {
        Fixture *f = *state;

        start(f);
        dirwatch_set_poll_interval(f->dw, 100 * 1000);
        dirwatch_set_max_watches(f->dw, 2);
        assert_int_equal(mkdir(at(f, "a"), 0755), 0);
        assert_int_equal(mkdir(at(f, "b"), 0755), 0);
        wait_calls(f, 1);
        assert_true(f->last_full);
        assert_int_equal(f->last_reason, DIRWATCH_REASON_WATCH_FAILED);
        assert_int_equal(dirwatch_get_state(f->dw), DIRWATCH_STATE_POLLING);
        assert_int_equal(dirwatch_get_error(f->dw), -ENOSPC);

        /* the periodic full rescan, and a new attempt to watch at each */
        forget(f);
        wait_calls(f, 1);
        assert_true(f->last_full);
        assert_int_equal(f->last_reason, DIRWATCH_REASON_POLL);
        assert_int_equal(dirwatch_get_state(f->dw), DIRWATCH_STATE_POLLING);

        dirwatch_set_max_watches(f->dw, 0);
        forget(f);
        wait_calls(f, 1);
        assert_int_equal(dirwatch_get_state(f->dw), DIRWATCH_STATE_WATCHING);
        assert_int_equal(dirwatch_get_n_watches(f->dw), 3);
        assert_int_equal(dirwatch_get_error(f->dw), 0);
        settle(f);
        forget(f);
        settle(f);
        assert_int_equal(f->calls, 0); /* no more polling */
}

static void test_invalid(void **state) {
        Fixture *f = *state;
        Dirwatch *dw = NULL;

        assert_int_equal(dirwatch_new(f->event, f->clock, "", 0, on_change, f, &dw), -EINVAL);
        assert_int_equal(dirwatch_new(f->event, f->clock, f->root, 0, NULL, f, &dw), -EINVAL);
        assert_int_equal(dirwatch_new(f->event, NULL, f->root, 0, on_change, f, &dw), -EINVAL);
        assert_null(dw);
        assert_null(dirwatch_free(NULL));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_strings),
                T(test_create_and_write),
                T(test_atomic_rename),
                T(test_editor_scratch),
                T(test_delete),
                T(test_directory_created),
                T(test_directory_removed),
                T(test_nested),
                T(test_configmap_swap),
                T(test_symlinked_directory),
                T(test_checkout_burst),
                T(test_too_many_paths),
                T(test_overflow),
                T(test_hint_full),
                T(test_max_delay),
                T(test_root_deleted_and_recreated),
                T(test_root_missing_at_start),
                T(test_root_symlink_swap),
                T(test_root_symlink_target_gone),
                T(test_watch_limit_polls),
                T(test_invalid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
