/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reconciler/desired/desired.h"
#include "reconciler/desired/desired-index.h"
#include "reconciler/spec/limits.h"
#include "reconciler/spec/yaml-tree.h"
#include "lib/cpus.h"
#include "lib/sort-util.h"
#include "lib/string-table.h"

static const char *const desired_file_state_table[_DESIRED_FILE_STATE_MAX] = {
        [DESIRED_FILE_OK] = "ok",
        [DESIRED_FILE_ERROR] = "error",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(desired_file_state, DesiredFileState);

/* ---- files --------------------------------------------------------------------------------- */

static void resources_free(ResourceSpec **l, size_t n) {
        for (size_t i = 0; i < n; i++)
                resource_spec_free(l[i]);
        free(l);
}

/* Frees f, and its version in the index without taking it out (the index goes too, or the
 * caller took it out). */
static DesiredFile *desired_file_free(DesiredFile *f) {
        if (!f)
                return NULL;
        desired_index_file_free(f->indexed);
        free(f->path);
        diag_list_done(&f->diags);
        resources_free(f->resources, f->n_resources);
        free(f);
        return NULL;
}

int desired_set_new(const DaemonConfig *config, DesiredSet **ret) {
        DesiredSet *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        if (desired_index_new(&s->index) < 0) {
                free(s);
                return -ENOMEM;
        }
        s->config = config;
        diag_list_init(&s->scan_diags);
        *ret = s;
        return 0;
}

DesiredSet *desired_set_free(DesiredSet *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_files; i++)
                desired_file_free(s->files[i]);
        free(s->files);
        desired_index_free(s->index);
        diag_list_done(&s->scan_diags);
        free(s);
        return NULL;
}

static const char *file_key(const void *array, size_t i) {
        return ((DesiredFile *const *) array)[i]->path;
}

/* The index of path, or where it would go (and *found false). */
static size_t file_index(const DesiredSet *s, const char *path, bool *found) {
        return sorted_find(s->files, s->n_files, file_key, path, found);
}

const DesiredFile *desired_set_get_file(const DesiredSet *s, const char *path) {
        bool found;
        size_t i = file_index(s, path, &found);

        return found ? s->files[i] : NULL;
}

/* The one place a file's state changes (the counts follow it). */
static void file_set_state(DesiredSet *s, DesiredFile *f, DesiredFileState state) {
        s->n_files_in_state[f->state]--;
        s->n_files_in_state[state]++;
        f->state = state;
}

/* Room for one more file: 0 or -ENOMEM. */
static int desired_set_reserve_file(DesiredSet *s) {
        DesiredFile **l;
        size_t a;

        if (s->n_files < s->n_files_allocated)
                return 0;
        a = MAX(s->n_files_allocated * 2, 64u);
        l = reallocarray(s->files, a, sizeof(*l));
        if (!l)
                return -ENOMEM;
        s->files = l;
        s->n_files_allocated = a;
        return 0;
}

static int desired_set_get_or_add(DesiredSet *s, const char *path, DesiredFile **ret) {
        bool found;
        size_t i = file_index(s, path, &found);
        DesiredFile *f;

        if (found) {
                *ret = s->files[i];
                return 0;
        }
        if (desired_set_reserve_file(s) < 0)
                return -ENOMEM;
        f = calloc(1, sizeof(*f));
        if (!f || !(f->path = strdup(path))) {
                free(f);
                return -ENOMEM;
        }
        diag_list_init(&f->diags);
        f->state = DESIRED_FILE_ERROR; /* until a version is accepted */
        s->n_files_in_state[f->state]++;
        memmove(s->files + i + 1, s->files + i, (s->n_files - i) * sizeof(*s->files));
        s->files[i] = f;
        s->n_files++;
        *ret = f;
        return 0;
}

int desired_set_remove_file(DesiredSet *s, const char *path) {
        bool found;
        size_t i = file_index(s, path, &found);

        if (!found)
                return 0;
        desired_index_remove_file(s->index, TAKE_PTR(s->files[i]->indexed));
        s->n_files_in_state[s->files[i]->state]--;
        desired_file_free(s->files[i]);
        memmove(s->files + i, s->files + i + 1, (s->n_files - i - 1) * sizeof(*s->files));
        s->n_files--;
        return 1;
}

/* ---- validation of one file's candidate resources ----------------------------------------- */

static bool is_duplicate_identity(const ResourceSpec *a, const ResourceSpec *b) {
        return resource_spec_same_identity(a, b);
}

static int report_duplicate(DiagList *diags, const ResourceSpec *r, const ResourceSpec *other,
                            bool identity) {
        if (identity)
                return yaml_error_at(diags, r->path, r->line, r->column,
                                     "duplicate resource: function '%s' qualifier '%s' is also "
                                     "declared at %s:%u:%u",
                                     r->id.function, r->id.qualifier, other->path, other->line,
                                     other->column);
        return yaml_error_at(diags, r->path, r->line, r->column,
                             "duplicate name '%s': also used at %s:%u:%u", r->name, other->path,
                             other->line, other->column);
}

/* Reports every resource of version v (f's candidate, in the index already) that collides with
 * an earlier one of the same version (preferred) or with a resource of another file (the
 * earliest, see reconciler/desired/desired-index.h); f's current version does not count. O(n)
 * in v's size. */
static void check_duplicates(const DesiredFile *f, const DesiredIndexFile *v, ResourceSpec **l,
                             size_t n, DiagList *diags) {
        for (size_t i = 0; i < n; i++) {
                const ResourceSpec *other = desired_index_find(v, i, f->indexed);

                if (other)
                        (void) report_duplicate(diags, l[i], other,
                                                is_duplicate_identity(l[i], other));
        }
}

static int parse_resources(const DesiredSet *s, const char *path, const void *data, size_t size,
                           DiagList *diags, ResourceSpec ***ret, size_t *ret_n) {
        _cleanup_(yaml_stream_freep) YamlStream *stream = NULL;
        _cleanup_(spec_path_unrefp) SpecPath *shared = NULL;
        ResourceSpec **l = NULL;
        size_t n = 0;
        int r;

        r = yaml_tree_parse(path, data, size, diags, &stream);
        if (r == -ENOMEM)
                return r;
        if (stream && stream->n_documents > 0) {
                l = calloc(stream->n_documents, sizeof(*l));
                shared = spec_path_new(path);
                if (!l || !shared) {
                        free(l);
                        return -ENOMEM;
                }
        }
        for (size_t i = 0; stream && i < stream->n_documents; i++) {
                ResourceSpec *spec = NULL;
                r = resource_spec_from_node_shared(shared, stream->documents[i], diags, &spec);
                if (r == -ENOMEM) {
                        resources_free(l, n);
                        return r;
                }
                if (r < 0)
                        continue;
                l[n++] = spec;
                if (s->config && daemon_config_resolve_account(s->config, spec, diags) == -ENOMEM) {
                        resources_free(l, n);
                        return -ENOMEM;
                }
        }
        if (diags->n_errors == 0 && (!stream || stream->n_documents == 0) &&
            yaml_error_at(diags, path, 1, 1,
                          "the file holds no document (it is empty or only comments); delete "
                          "the file to remove what it declared") == -ENOMEM) {
                resources_free(l, n);
                return -ENOMEM;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

/* Weighs one file's parsed version against the other files and takes it when it is valid
 * (see desired_set_load_data()). Takes diags and the resources in any case. */
static int file_commit_parsed(DesiredSet *s, DesiredFile *f, DiagList *diags, ResourceSpec **l,
                              size_t n) {
        DesiredIndexFile *v = NULL;

        if (diags->n_errors == 0) {
                if (desired_index_add_file(s->index, f->path, l, n, &v) < 0) {
                        resources_free(l, n);
                        diag_list_done(diags);
                        return -ENOMEM;
                }
                check_duplicates(f, v, l, n, diags);
        }
        diag_list_done(&f->diags);
        f->diags = *diags;
        diag_list_init(diags);
        if (f->diags.n_errors > 0) {
                desired_index_remove_file(s->index, v);
                resources_free(l, n);
                file_set_state(s, f, DESIRED_FILE_ERROR);
                return 0;
        }
        /* the old version leaves the index before its resources are freed */
        desired_index_remove_file(s->index, f->indexed);
        f->indexed = v;
        resources_free(f->resources, f->n_resources);
        f->resources = l;
        f->n_resources = n;
        file_set_state(s, f, DESIRED_FILE_OK);
        f->has_good = true;
        return 1;
}

int desired_set_load_data(DesiredSet *s, const char *path, const void *data, size_t size) {
        DiagList diags;
        ResourceSpec **l = NULL;
        DesiredFile *f;
        size_t n = 0;
        int r;

        r = desired_set_get_or_add(s, path, &f);
        if (r < 0)
                return r;
        diag_list_init(&diags);
        r = parse_resources(s, path, data, size, &diags, &l, &n);
        if (r < 0) {
                diag_list_done(&diags);
                return r;
        }
        return file_commit_parsed(s, f, &diags, l, n);
}

/* Grows buf to hold at least want + 1 bytes (at most LIMIT_FILE_SIZE + 2). */
static int read_buffer_grow(char **buf, size_t *allocated, size_t want) {
        size_t a = MIN(MAX(want + 1, *allocated * 2), (size_t) LIMIT_FILE_SIZE + 2);
        char *p = realloc(*buf, a);

        if (!p)
                return -ENOMEM;
        *buf = p;
        *allocated = a;
        return 0;
}

/* Reads at most LIMIT_FILE_SIZE + 1 bytes, so that an oversized file is still "too large"
 * and never read whole. The buffer starts at the size fstat() gives (and grows if the file
 * does): a buffer of the whole limit per file made each file's read a large allocation, and
 * every large allocation makes glibc consolidate the small chunks freed since. */
static int read_file(const char *path, char **ret, size_t *ret_size, struct stat *ret_st) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, allocated = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, ret_st) < 0)
                return -errno;
        if (!S_ISREG(ret_st->st_mode))
                return -EBADFD;
        if (read_buffer_grow(&buf, &allocated,
                             MIN((size_t) ret_st->st_size + 1, (size_t) LIMIT_FILE_SIZE + 1)) < 0)
                return -ENOMEM;
        while (n < LIMIT_FILE_SIZE + 1) {
                ssize_t k;
                if (n + 1 >= allocated && read_buffer_grow(&buf, &allocated, n + 1) < 0)
                        return -ENOMEM;
                k = read(fd, buf + n, MIN(allocated - 1, (size_t) LIMIT_FILE_SIZE + 1) - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

static void file_note_stat(DesiredFile *f, const struct stat *st) {
        f->dev = st->st_dev;
        f->ino = st->st_ino;
        f->size = st->st_size;
        f->mtime = st->st_mtim;
}

/* One version of a file as read and parsed on its own, before it is weighed against the other
 * files. Making one only reads the set's configuration, so several are made at once on as many
 * threads (load_files()); taking them (file_version_commit()) is for one thread, in path
 * order. */
typedef struct FileVersion {
        const char *path; /* borrowed */
        int result;       /* of file_version_make(): 0 or -ENOMEM */
        int read_error;   /* the file could not be read: -errno, -EBADFD not a regular file */
        struct stat st;
        DiagList diags;
        ResourceSpec **resources;
        size_t n_resources;
} FileVersion;

static void file_version_done(FileVersion *v) {
        diag_list_done(&v->diags);
        resources_free(v->resources, v->n_resources);
        v->resources = NULL;
        v->n_resources = 0;
}

/* Sets v->result: 0 (a read error is v->read_error) or -ENOMEM. */
static void file_version_make(const DesiredSet *s, FileVersion *v) {
        _cleanup_free_ char *data = NULL;
        size_t size = 0;
        int r;

        diag_list_init(&v->diags);
        r = read_file(v->path, &data, &size, &v->st);
        if (r < 0) {
                v->read_error = r;
                v->result = r == -ENOMEM ? r : 0;
                return;
        }
        v->result =
                parse_resources(s, v->path, data, size, &v->diags, &v->resources, &v->n_resources);
}

/* Takes a made version into s (see desired_set_load_file()); v is emptied. */
static int file_version_commit(DesiredSet *s, FileVersion *v) {
        DesiredFile *f;
        int r;

        if (v->result < 0)
                return v->result;
        r = desired_set_get_or_add(s, v->path, &f);
        if (r < 0)
                return r;
        if (v->read_error < 0) {
                diag_list_clear(&f->diags);
                (void) yaml_error_at(&f->diags, v->path, 0, 0, "cannot read file: %s",
                                     v->read_error == -EBADFD ? "not a regular file"
                                                              : strerror(-v->read_error));
                file_set_state(s, f, DESIRED_FILE_ERROR);
                return 0;
        }
        r = file_commit_parsed(s, f, &v->diags, TAKE_PTR(v->resources), v->n_resources);
        v->n_resources = 0;
        if (r >= 0)
                file_note_stat(f, &v->st);
        return r;
}

int desired_set_load_file(DesiredSet *s, const char *path) {
        FileVersion v = { .path = path };
        int r;

        file_version_make(s, &v);
        r = file_version_commit(s, &v);
        file_version_done(&v);
        return r;
}

void desired_set_set_config(DesiredSet *s, const DaemonConfig *config) {
        s->config = config;
        /* the next rescan reads every file again: no stat identity matches this one */
        for (size_t i = 0; i < s->n_files; i++)
                s->files[i]->size = -1;
}

void desired_set_set_load_threads(DesiredSet *s, unsigned n, unsigned files_per_thread) {
        if (n == 0)
                n = cpus_online(DESIRED_LOAD_MAX_THREADS);
        s->load_threads = n;
        s->load_files_per_thread = files_per_thread ?: DESIRED_LOAD_FILES_PER_THREAD;
}

static void file_mark_seen(DesiredSet *s, const char *path) {
        DesiredFile *f = (DesiredFile *) desired_set_get_file(s, path);

        if (f)
                f->seen = true;
}

/* Files being made on several threads, each taking the next file not yet taken, while this
 * thread takes the made ones into the set in order (and makes files itself whenever the next
 * one in order is not ready). */
typedef struct LoadBatch {
        const DesiredSet *set;
        FileVersion *versions;
        bool *ready; /* under lock */
        size_t n;
        atomic_size_t next; /* the next file to make */
        pthread_mutex_t lock;
        pthread_cond_t made;
} LoadBatch;

/* Makes the next file not yet taken. false when there is none. */
static bool load_batch_make_one(LoadBatch *b) {
        size_t i = atomic_fetch_add(&b->next, 1);

        if (i >= b->n)
                return false;
        file_version_make(b->set, &b->versions[i]);
        pthread_mutex_lock(&b->lock);
        b->ready[i] = true;
        pthread_cond_signal(&b->made);
        pthread_mutex_unlock(&b->lock);
        return true;
}

static void *load_batch_thread(void *userdata) {
        while (load_batch_make_one(userdata))
                ;
        return NULL;
}

/* Waits until versions[i] is made, making other files meanwhile. */
static void load_batch_wait(LoadBatch *b, size_t i) {
        for (;;) {
                pthread_mutex_lock(&b->lock);
                bool ready = b->ready[i];
                pthread_mutex_unlock(&b->lock);
                if (ready || !load_batch_make_one(b))
                        break;
        }
        pthread_mutex_lock(&b->lock);
        while (!b->ready[i])
                pthread_cond_wait(&b->made, &b->lock);
        pthread_mutex_unlock(&b->lock);
}

/* load_files() with up to s->load_threads threads (this one among them); a thread that cannot
 * be started leaves its share to the others. */
static int load_files_parallel(DesiredSet *s, char *const *paths, size_t n) {
        _cleanup_free_ FileVersion *versions = calloc(n, sizeof(FileVersion));
        _cleanup_free_ bool *ready = calloc(n, sizeof(bool));
        LoadBatch b = { .set = s, .versions = versions, .ready = ready, .n = n };
        unsigned k = (unsigned) MIN(MIN(s->load_threads, DESIRED_LOAD_MAX_THREADS),
                                    n / MAX(s->load_files_per_thread, 1u));
        pthread_t threads[DESIRED_LOAD_MAX_THREADS];
        unsigned started = 0;
        int accepted = 0, r = 0;

        if (!versions || !ready)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                versions[i].path = paths[i];
        atomic_init(&b.next, 0);
        pthread_mutex_init(&b.lock, NULL);
        pthread_cond_init(&b.made, NULL);
        for (; started + 1 < k; started++)
                if (pthread_create(&threads[started], NULL, load_batch_thread, &b) != 0)
                        break;
        for (size_t i = 0; i < n && r >= 0; i++) {
                load_batch_wait(&b, i);
                r = file_version_commit(s, &versions[i]);
                if (r < 0)
                        atomic_store(&b.next, n); /* out of memory: stop making more */
                else {
                        accepted += r;
                        file_mark_seen(s, paths[i]);
                }
        }
        for (unsigned i = 0; i < started; i++)
                (void) pthread_join(threads[i], NULL);
        for (size_t i = 0; i < n; i++)
                file_version_done(&versions[i]);
        pthread_cond_destroy(&b.made);
        pthread_mutex_destroy(&b.lock);
        return r < 0 ? r : accepted;
}

/* Loads the files of paths in their order, exactly as desired_set_load_file() one after the
 * other would: only the reading and parsing, which never look at the other files, may run in
 * parallel (s->load_threads), while the duplicate checks and the bookkeeping run here in
 * order. Each file is marked seen. Returns how many were accepted (>= 0) or -ENOMEM (the
 * files before the one that failed are loaded). */
static int load_files(DesiredSet *s, char *const *paths, size_t n) {
        int accepted = 0, r;

        if (s->load_threads > 1 && n >= 2 * (size_t) MAX(s->load_files_per_thread, 1u))
                return load_files_parallel(s, paths, n);
        for (size_t i = 0; i < n; i++) {
                r = desired_set_load_file(s, paths[i]);
                if (r < 0)
                        return r;
                accepted += r;
                file_mark_seen(s, paths[i]);
        }
        return accepted;
}

/* ---- scanning ------------------------------------------------------------------------------ */

typedef struct Scan {
        const char *root;
        DiagList *diags;
        char **paths;
        size_t n_paths;
        struct {
                dev_t dev;
                ino_t ino;
        } * dirs; /* every directory entered: symlink loops and diamonds are read once */
        size_t n_dirs;
        bool incomplete; /* a directory or an entry could not be read: nothing is known gone */
        bool too_many;
        unsigned max_files;
} Scan;

static void scan_done(Scan *sc) {
        for (size_t i = 0; i < sc->n_paths; i++)
                free(sc->paths[i]);
        free(sc->paths);
        free(sc->dirs);
}

static int scan_enter_dir(Scan *sc, const struct stat *st) {
        void *p;

        for (size_t i = 0; i < sc->n_dirs; i++)
                if (sc->dirs[i].dev == st->st_dev && sc->dirs[i].ino == st->st_ino)
                        return 0;
        p = reallocarray(sc->dirs, sc->n_dirs + 1, sizeof(*sc->dirs));
        if (!p)
                return -ENOMEM;
        sc->dirs = p;
        sc->dirs[sc->n_dirs].dev = st->st_dev;
        sc->dirs[sc->n_dirs].ino = st->st_ino;
        sc->n_dirs++;
        return 1;
}

static int scan_add_file(Scan *sc, char *path) {
        char **p;

        if (sc->n_paths >= sc->max_files) {
                if (!sc->too_many)
                        (void) yaml_error_at(sc->diags, sc->root, 0, 0,
                                             "more than %u YAML files (limits.files of the daemon "
                                             "configuration); nothing is loaded or removed",
                                             sc->max_files);
                sc->too_many = true;
                free(path);
                return 0;
        }
        p = reallocarray(sc->paths, sc->n_paths + 1, sizeof(*p));
        if (!p) {
                free(path);
                return -ENOMEM;
        }
        sc->paths = p;
        sc->paths[sc->n_paths++] = path;
        return 0;
}

static int scan_dir(Scan *sc, const char *dir, unsigned depth);

static int scan_entry(Scan *sc, const char *dir, const char *name, unsigned depth) {
        _cleanup_free_ char *path = NULL;
        struct stat st;

        if (desired_name_is_hidden(name))
                return 0; /* dotfiles, dot-dirs, ".", "..", ConfigMap "..data" */
        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        if (stat(path, &st) < 0) {
                if (errno == ENOENT)
                        return 0; /* a dangling symlink or a file that just went away */
                /* a symlink loop, a directory without search permission: what is behind it is
                 * unknown, not absent */
                sc->incomplete = true;
                return yaml_error_at(sc->diags, path, 0, 0, "cannot read: %m") == -ENOMEM ? -ENOMEM
                                                                                          : 0;
        }
        if (S_ISDIR(st.st_mode)) {
                int r = scan_enter_dir(sc, &st);
                if (r <= 0)
                        return r;
                if (depth >= LIMIT_DIRECTORY_DEPTH) {
                        sc->incomplete = true;
                        return yaml_error_at(sc->diags, path, 0, 0,
                                             "directory nesting is too deep (limit %u)",
                                             LIMIT_DIRECTORY_DEPTH) == -EINVAL
                                       ? 0
                                       : -ENOMEM;
                }
                return scan_dir(sc, path, depth + 1);
        }
        if (!desired_file_name_wanted(name))
                return 0;
        if (S_ISREG(st.st_mode))
                return scan_add_file(sc, TAKE_PTR(path));
        /* a FIFO or a device where a file should be: not opened (that may block or have
         * effects), and not "no file" either */
        return yaml_error_at(sc->diags, path, 0, 0, "cannot read file: not a regular file") ==
                               -ENOMEM
                       ? -ENOMEM
                       : 0;
}

static int scan_dir(Scan *sc, const char *dir, unsigned depth) {
        DIR *d = opendir(dir);
        struct dirent *de;
        int r = 0;

        if (!d) {
                sc->incomplete = true;
                (void) yaml_error_at(sc->diags, dir, 0, 0, "cannot read directory: %m");
                return 0;
        }
        while ((de = readdir(d)) && r >= 0)
                r = scan_entry(sc, dir, de->d_name, depth);
        closedir(d);
        return r;
}

/* dir without trailing slashes: "dir/" and "dir" name the same tree, and its files' paths are
 * free of "//" whichever way it was written. */
static char *root_dup(const char *dir) {
        char *root = strdup(dir);

        while (root && strlen(root) > 1 && endswith(root, "/"))
                root[strlen(root) - 1] = 0;
        return root;
}

static int path_compare(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The known file at path when the set holds the version that is there now (the same stat
 * identity, and accepted), or NULL: the one "unchanged" test of the rescan and of the per-file
 * path. */
static DesiredFile *file_get_unchanged(DesiredSet *s, const char *path) {
        DesiredFile *f = (DesiredFile *) desired_set_get_file(s, path);
        struct stat st;

        if (!f || f->state != DESIRED_FILE_OK || stat(path, &st) < 0)
                return NULL;
        if (f->dev != st.st_dev || f->ino != st.st_ino || f->size != st.st_size ||
            f->mtime.tv_sec != st.st_mtim.tv_sec || f->mtime.tv_nsec != st.st_mtim.tv_nsec)
                return NULL;
        return f;
}

/* Loads what is new or changed, and re-tries what is in error (its error may have been a
 * collision with a file that has changed since). Loading a file changes only that file's
 * entry, so which files are unchanged can be decided for all of them first. */
static int rescan_load(DesiredSet *s, const Scan *sc) {
        _cleanup_free_ char **todo = calloc(sc->n_paths ?: 1, sizeof(char *));
        size_t n = 0;
        int r;

        if (!todo)
                return -ENOMEM;
        for (size_t i = 0; i < sc->n_paths; i++) {
                DesiredFile *f = file_get_unchanged(s, sc->paths[i]);

                if (f)
                        f->seen = true;
                else
                        todo[n++] = sc->paths[i];
        }
        r = load_files(s, todo, n);
        return r < 0 ? r : (int) n;
}

/* Loads the files in error that are marked seen again. A file rejected for colliding with one
 * that loads later in the same pass is accepted on a second pass once the other has moved its
 * resource away. Bounded by the files in error. Loading a file changes only that file's state,
 * so a pass is over the files in error when it starts. */
static int retry_seen_errors(DesiredSet *s) {
        for (size_t pass = 0; pass < 4; pass++) {
                _cleanup_free_ char **paths = calloc(s->n_files ?: 1, sizeof(char *));
                size_t n = 0;
                int r;

                if (!paths)
                        return -ENOMEM;
                for (size_t i = 0; i < s->n_files; i++)
                        if (s->files[i]->state == DESIRED_FILE_ERROR && s->files[i]->seen)
                                paths[n++] = s->files[i]->path;
                r = load_files(s, paths, n);
                if (r <= 0)
                        return r;
        }
        return 0;
}

/* The one decision of what is gone (DESIGN.md §3.2), for every way a rescan is started: a
 * known file the scan did not find, when the scan read the whole tree (a file missing from its
 * old path may have moved into a part that could not be read) and desired_path_is_gone(). */
static int rescan_remove_gone(DesiredSet *s, const Scan *sc) {
        const char *dir = sc->root;
        int removed = 0;

        if (sc->incomplete)
                return 0;
        for (size_t i = 0; i < s->n_files;) {
                DesiredFile *f = s->files[i];

                if (!f->seen && desired_path_is_gone(dir, f->path)) {
                        desired_set_remove_file(s, f->path);
                        removed++;
                        continue;
                }
                i++;
        }
        return removed;
}

/* A file the set knows that the scan did not reach and that is not gone: under a directory
 * that cannot be read, nested too deep, behind a symlink loop, or no longer a regular file. It
 * keeps its last good version and is in error until the scan reaches it again. */
static int file_mark_unreached(DesiredSet *s, DesiredFile *f) {
        struct stat st;
        int r;

        diag_list_clear(&f->diags);
        file_set_state(s, f, DESIRED_FILE_ERROR);
        if (stat(f->path, &st) < 0 && errno == ENOENT)
                r = yaml_error_at(&f->diags, f->path, 0, 0,
                                  "the file is not here any more, but part of the tree could not "
                                  "be read: nothing is removed until all of it can be");
        else if (stat(f->path, &st) < 0)
                r = yaml_error_at(&f->diags, f->path, 0, 0, "cannot read file: %m");
        else if (!S_ISREG(st.st_mode))
                r = yaml_error_at(&f->diags, f->path, 0, 0, "cannot read file: not a regular file");
        else
                r = yaml_error_at(&f->diags, f->path, 0, 0,
                                  "the scan did not reach the file (a directory above it cannot "
                                  "be read, is nested too deep or is in a symlink loop)");
        return r == -ENOMEM ? r : 0;
}

static int rescan_mark_unreached(DesiredSet *s, const char *dir) {
        size_t n = strlen(dir);

        for (size_t i = 0; i < s->n_files; i++) {
                DesiredFile *f = s->files[i];

                if (!f->seen && strneq(f->path, dir, n) && f->path[n] == '/' &&
                    file_mark_unreached(s, f) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static unsigned desired_set_max_files(const DesiredSet *s) {
        return s->config && s->config->limits.files ? s->config->limits.files : LIMIT_FILES;
}

/* The directory itself, which has no line to point at: 0 when it is one, else a negative errno
 * with the reason in s->scan_diags (a missing directory is said to be missing). What follows
 * from it (nothing is removed) is for the caller to say. */
static int rescan_stat_root(DesiredSet *s, const char *root, struct stat *st) {
        int r = stat(root, st) < 0 ? -errno : S_ISDIR(st->st_mode) ? 0 : -ENOTDIR;

        if (r == -ENOENT)
                (void) yaml_error_at(&s->scan_diags, root, DIAG_LINE_NONE, 0,
                                     "the desired-state directory does not exist");
        else if (r < 0)
                (void) yaml_error_at(&s->scan_diags, root, DIAG_LINE_NONE, 0,
                                     "the desired-state directory cannot be used: %s",
                                     strerror(-r));
        return r;
}

int desired_set_rescan(DesiredSet *s, const char *dir) {
        _cleanup_free_ char *root = root_dup(dir);
        Scan sc = {
                .diags = &s->scan_diags,
                .max_files = desired_set_max_files(s),
        };
        struct stat st;
        int r, loaded, removed = 0;

        if (!root)
                return -ENOMEM;
        sc.root = root;
        diag_list_clear(&s->scan_diags);
        r = rescan_stat_root(s, root, &st);
        if (r < 0)
                return r;
        r = scan_enter_dir(&sc, &st);
        if (r >= 0)
                r = scan_dir(&sc, root, 0);
        if (r < 0)
                goto finish;
        if (sc.too_many) {
                r = -E2BIG;
                goto finish;
        }
        if (sc.n_paths == 0 && !sc.incomplete) {
                (void) yaml_error_at(&s->scan_diags, root, DIAG_LINE_NONE, 0,
                                     "no *.yaml or *.yml files found");
                r = -ENODATA;
                goto finish;
        }
        qsort_safe(sc.paths, sc.n_paths, sizeof(char *), path_compare);
        for (size_t i = 0; i < s->n_files; i++)
                s->files[i]->seen = false;
        /* Removals first, so that a resource moved from a deleted file to a new one is free.
         * What the scan found is marked first; of the rest, desired_path_is_gone() decides. */
        for (size_t i = 0; i < sc.n_paths; i++) {
                DesiredFile *f = (DesiredFile *) desired_set_get_file(s, sc.paths[i]);
                if (f)
                        f->seen = true;
        }
        removed = rescan_remove_gone(s, &sc);
        loaded = rescan_load(s, &sc);
        if (loaded < 0) {
                r = loaded;
                goto finish;
        }
        r = retry_seen_errors(s);
        if (r >= 0)
                r = rescan_mark_unreached(s, root);
        if (r >= 0)
                r = loaded + removed;
finish:
        scan_done(&sc);
        return r;
}

int desired_set_update_file(DesiredSet *s, const char *dir, const char *rel,
                            const DesiredFile **ret_file) {
        _cleanup_free_ char *root = root_dup(dir), *path = NULL;
        DesiredPathKind kind;
        int r;

        if (!root || asprintf(&path, "%s/%s", root, rel) < 0)
                return -ENOMEM;
        kind = desired_path_classify(root, path);
        if (kind == DESIRED_PATH_UNKNOWN)
                return DESIRED_UPDATE_RESCAN;
        if (kind == DESIRED_PATH_IGNORED || file_get_unchanged(s, path))
                return DESIRED_UPDATE_NONE;
        /* A file more than the limit allows: only the scan applies the limit to the tree. */
        if (!desired_set_get_file(s, path) && s->n_files >= desired_set_max_files(s))
                return DESIRED_UPDATE_RESCAN;
        r = desired_set_load_file(s, path);
        if (r < 0)
                return r;
        if (ret_file)
                *ret_file = desired_set_get_file(s, path);
        return r > 0 ? DESIRED_UPDATE_ACCEPTED : DESIRED_UPDATE_REJECTED;
}

int desired_set_retry_errors(DesiredSet *s, const char *dir) {
        _cleanup_free_ char *root = root_dup(dir);

        if (!root)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_files; i++) {
                DesiredFile *f = s->files[i];

                if (f->state == DESIRED_FILE_ERROR)
                        f->seen = desired_path_classify(root, f->path) == DESIRED_PATH_FILE;
        }
        return retry_seen_errors(s);
}

/* ---- queries ------------------------------------------------------------------------------- */

const ResourceSpec *desired_set_next(const DesiredSet *s, DesiredIterator *it) {
        while (it->file < s->n_files) {
                const DesiredFile *f = s->files[it->file];
                if (it->index < f->n_resources)
                        return f->resources[it->index++];
                it->file++;
                it->index = 0;
        }
        return NULL;
}

size_t desired_set_n_resources(const DesiredSet *s) {
        size_t n = 0;

        for (size_t i = 0; i < s->n_files; i++)
                n += s->files[i]->n_resources;
        return n;
}

size_t desired_set_n_files_in_state(const DesiredSet *s, DesiredFileState state) {
        return s->n_files_in_state[state];
}

int desired_set_collect_diags(const DesiredSet *s, DiagList *ret) {
        int r = diag_list_append(ret, &s->scan_diags);

        for (size_t i = 0; r >= 0 && i < s->n_files; i++)
                r = diag_list_append(ret, &s->files[i]->diags);
        if (r < 0)
                return r;
        diag_list_sort(ret);
        return 0;
}
