/* SPDX-License-Identifier: MIT */

/* The state store's SQLite back end: stateDir/state.db, one row per resource.
 *
 *   CREATE TABLE resources (key TEXT PRIMARY KEY NOT NULL, record TEXT NOT NULL) WITHOUT ROWID;
 *
 * record is the resource's record in the JSON form of state.h. PRAGMA application_id is the
 * owner marker ('acfg'), PRAGMA user_version the schema version: a database without our marker
 * is not ours, one of a newer version is not understood, and neither is trusted or written.
 * The marker is read before anything is written (even the journal mode), so that a foreign or
 * damaged file is left exactly as it was.
 *
 * Durability (DESIGN.md §3.10): WAL mode with synchronous=FULL, so a commit returns only once
 * its WAL frames are fsync'd. NORMAL would survive a kill -9 (the frames are in the page
 * cache) but not a power loss, and a write is acknowledged once committed: FULL makes
 * "acknowledged" mean durable. Its cost, one fsync per transaction, is paid per batch of the
 * writes that complete together (group commit, see the daemon's manager.c), not per PUT.
 * Readers never block the writer (WAL); two writers (the CLI and the daemon) take turns on
 * SQLite's write lock, each waiting up to the busy timeout. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/macro.h"
#include "lib/time-util.h"
#include "reconciler/core/state-backend.h"

#define STATE_DB_NAME "state.db"
#define STATE_DB_APPLICATION_ID 0x61636667 /* "acfg" */
#define STATE_DB_VERSION 1
#define STATE_DB_BUSY_MSEC 5000

struct StateBackend {
        sqlite3 *db;
        char *path;
        bool wal;   /* journal_mode=WAL set (on the first write, never on a file only read) */
        bool empty; /* opened read-only and holds no table yet: no rows */
        sqlite3_stmt *put, *delete, *get;
};

/* SQLite's result codes at the boundary. */
static int sqlite_to_errno(int rc) {
        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_DONE:
        case SQLITE_ROW:
                return 0;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
        case SQLITE_FORMAT:
                return -EBADMSG;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH:
                return -EACCES;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_CANTOPEN:
                return -ENOENT;
        default:
                return -EIO;
        }
}

static int sqlite_exec(StateBackend *b, const char *sql) {
        return sqlite_to_errno(sqlite3_exec(b->db, sql, NULL, NULL, NULL));
}

static StateBackend *sqlite_close(StateBackend *b) {
        if (!b)
                return NULL;
        sqlite3_finalize(b->put);
        sqlite3_finalize(b->delete);
        sqlite3_finalize(b->get);
        sqlite3_close_v2(b->db);
        free(b->path);
        free(b);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(StateBackend *, sqlite_close);

/* One integer of a PRAGMA that reads one. */
static int sqlite_pragma_int(StateBackend *b, const char *sql, int64_t *ret) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(b->db, sql, -1, &st, NULL);

        if (rc == SQLITE_OK)
                rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : sqlite_to_errno(rc ?: SQLITE_ERROR);
}

/* Reads the marker, version and object count without writing anything. */
static int sqlite_probe(StateBackend *b, int64_t *ret_app, int64_t *ret_version,
                        int64_t *ret_objects) {
        int r = sqlite_pragma_int(b, "PRAGMA application_id", ret_app);

        if (r >= 0)
                r = sqlite_pragma_int(b, "PRAGMA user_version", ret_version);
        if (r >= 0)
                r = sqlite_pragma_int(b, "SELECT count(*) FROM sqlite_master", ret_objects);
        return r;
}

static int sqlite_create_schema(StateBackend *b) {
        int r = sqlite_exec(b, "PRAGMA journal_mode=WAL");

        if (r >= 0)
                r = sqlite_exec(b, "BEGIN IMMEDIATE;"
                                   "CREATE TABLE IF NOT EXISTS resources (key TEXT PRIMARY KEY NOT "
                                   "NULL, record TEXT NOT NULL) WITHOUT ROWID;"
                                   "PRAGMA application_id=1633904231;" /* STATE_DB_APPLICATION_ID */
                                   "PRAGMA user_version=1;"            /* STATE_DB_VERSION */
                                   "COMMIT");
        if (r < 0)
                (void) sqlite_exec(b, "ROLLBACK");
        return r;
}
_Static_assert(STATE_DB_APPLICATION_ID == 1633904231, "the marker in the schema's SQL");

/* Decides whether the file is ours: a new (empty) database gets the schema; one with our
 * marker and version is used; anything else is reported and left alone. */
static int sqlite_check_owner(StateBackend *b, DiagList *diags) {
        int64_t app = 0, version = 0, objects = 0;
        int r = sqlite_probe(b, &app, &version, &objects);

        if (r == -EBADMSG) {
                diag_error(diags, b->path, 0, 0, "damaged state database (%s), not trusted",
                           sqlite3_errmsg(b->db));
                return -EBADMSG;
        }
        if (r < 0)
                return r;
        if (app == 0 && version == 0 && objects == 0)
                return sqlite_create_schema(b);
        if (app != STATE_DB_APPLICATION_ID) {
                diag_error(diags, b->path, 0, 0,
                           "not an asyncfg state database (application_id %" PRId64
                           "), not trusted",
                           app);
                return -EPROTONOSUPPORT;
        }
        if (version != STATE_DB_VERSION) {
                diag_error(diags, b->path, 0, 0,
                           "unsupported state database version %" PRId64 " (expected %d), not "
                           "trusted",
                           version, STATE_DB_VERSION);
                return -EPROTONOSUPPORT;
        }
        return 0;
}

static int sqlite_prepare(StateBackend *b) {
        static const struct {
                size_t offset;
                const char *sql;
        } statements[] = {
                { offsetof(StateBackend, put),
                  "INSERT INTO resources (key, record) VALUES (?1, ?2) "
                  "ON CONFLICT(key) DO UPDATE SET record = excluded.record" },
                { offsetof(StateBackend, delete), "DELETE FROM resources WHERE key = ?1" },
                { offsetof(StateBackend, get), "SELECT record FROM resources WHERE key = ?1" },
        };

        for (size_t i = 0; i < ELEMENTSOF(statements); i++) {
                sqlite3_stmt **st = (sqlite3_stmt **) ((uint8_t *) b + statements[i].offset);
                int rc = sqlite3_prepare_v3(b->db, statements[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
                                            st, NULL);
                if (rc != SQLITE_OK)
                        return sqlite_to_errno(rc);
        }
        return 0;
}

/* Creates path 0600 when it does not exist, whatever the umask: SQLite would create it 0644,
 * and it gives the -wal and -shm files the mode of the database file. An existing file is left
 * as it is (a foreign one must stay exactly as it was). */
static int sqlite_create_private(const char *path) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

        if (fd < 0) /* an existing one may be read-only to us: SQLite then opens it so */
                return errno == EEXIST ? 0 : -errno;
        close(fd);
        return 0;
}

/* Read-only (asyncfg plan): a database that is ours is read, never written; an empty one has
 * no rows (nothing is created). */
static int sqlite_check_owner_readonly(StateBackend *b, DiagList *diags) {
        int64_t app = 0, version = 0, objects = 0;
        int r = sqlite_probe(b, &app, &version, &objects);

        if (r >= 0 && app == 0 && version == 0 && objects == 0) {
                b->empty = true;
                return 0;
        }
        return sqlite_check_owner(b, diags);
}

/* Opens path read-only: first as usual (WAL readers need the -shm file, and a missing one is
 * created, which a read-only stateDir refuses), then as immutable, which reads the database file
 * without any lock or -shm. Immutable misses what only the WAL holds; that is there only while
 * a writer runs (a clean close checkpoints it into the file), and a writer can write its -shm. */
static int sqlite_open_readonly_db(StateBackend *b, DiagList *diags) {
        static const char *const modes[] = { "mode=ro", "mode=ro&immutable=1" };
        _cleanup_free_ char *uri = NULL;
        int r = -EIO;

        for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
                sqlite3_close_v2(b->db);
                b->db = NULL;
                free(uri);
                if (asprintf(&uri, "file:%s?%s", b->path, modes[i]) < 0) {
                        uri = NULL;
                        return -ENOMEM;
                }
                r = sqlite3_open_v2(uri, &b->db,
                                    SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                                    NULL);
                r = sqlite_to_errno(r);
                if (r >= 0)
                        r = sqlite_check_owner_readonly(b, diags);
                if (r != -ENOENT && r != -EACCES && r != -EIO)
                        return r;
        }
        return r;
}

/* A back end of dir's state.db, not opened yet. NULL when out of memory. */
static StateBackend *sqlite_backend_new(const char *dir) {
        _cleanup_(sqlite_closep) StateBackend *b = calloc(1, sizeof(StateBackend));

        if (!b)
                return NULL;
        if (asprintf(&b->path, "%s/%s", dir, STATE_DB_NAME) < 0) {
                b->path = NULL;
                return NULL;
        }
        return TAKE_PTR(b);
}

static int sqlite_open_readonly(const char *dir, DiagList *diags, StateBackend **ret) {
        _cleanup_(sqlite_closep) StateBackend *b = sqlite_backend_new(dir);
        int r;

        if (!b)
                return -ENOMEM;
        if (access(b->path, F_OK) < 0)
                return -errno; /* -ENOENT: no store yet, which a read never creates */
        r = sqlite_open_readonly_db(b, diags);
        if (r >= 0 && !b->empty)
                r = sqlite_prepare(b);
        if (r < 0)
                return r;
        sqlite3_busy_timeout(b->db, STATE_DB_BUSY_MSEC);
        *ret = TAKE_PTR(b);
        return 0;
}

static int sqlite_open(const char *dir, DiagList *diags, StateBackend **ret) {
        _cleanup_(sqlite_closep) StateBackend *b = sqlite_backend_new(dir);
        int r;

        if (!b)
                return -ENOMEM;
        r = sqlite_create_private(b->path);
        if (r < 0)
                return r;
        r = sqlite3_open_v2(b->path, &b->db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
        if (r != SQLITE_OK)
                return sqlite_to_errno(r);
        sqlite3_busy_timeout(b->db, STATE_DB_BUSY_MSEC);
        r = sqlite_check_owner(b, diags);
        if (r >= 0)
                r = sqlite_exec(b, "PRAGMA synchronous=FULL"); /* see the top */
        if (r >= 0)
                r = sqlite_prepare(b);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(b);
        return 0;
}

/* Runs st (bound) to its end and resets it. */
static int sqlite_step_done(sqlite3_stmt *st) {
        int rc = sqlite3_step(st);

        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return rc == SQLITE_DONE ? 0 : sqlite_to_errno(rc);
}

static int sqlite_put(StateBackend *b, const char *key, const char *value) {
        if (sqlite3_bind_text(b->put, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
            sqlite3_bind_text(b->put, 2, value, -1, SQLITE_STATIC) != SQLITE_OK) {
                sqlite3_reset(b->put);
                return -ENOMEM;
        }
        return sqlite_step_done(b->put);
}

static int sqlite_delete(StateBackend *b, const char *key) {
        if (sqlite3_bind_text(b->delete, 1, key, -1, SQLITE_STATIC) != SQLITE_OK)
                return -ENOMEM;
        return sqlite_step_done(b->delete);
}

static int sqlite_get(StateBackend *b, const char *key, char **ret_value) {
        int rc, r = 0;

        if (b->empty)
                return 0;
        if (sqlite3_bind_text(b->get, 1, key, -1, SQLITE_STATIC) != SQLITE_OK)
                return -ENOMEM;
        rc = sqlite3_step(b->get);
        if (rc == SQLITE_ROW) {
                const char *v = (const char *) sqlite3_column_text(b->get, 0);
                *ret_value = strdup(v ?: "");
                r = *ret_value ? 1 : -ENOMEM;
        } else if (rc != SQLITE_DONE)
                r = sqlite_to_errno(rc);
        sqlite3_reset(b->get);
        sqlite3_clear_bindings(b->get);
        return r;
}

static int sqlite_iterate(StateBackend *b, StateBackendRowFunc fn, void *userdata,
                          DiagList *diags) {
        sqlite3_stmt *st = NULL;
        int rc, r = 0;

        if (b->empty)
                return 0;
        rc = sqlite3_prepare_v2(b->db, "SELECT key, record FROM resources ORDER BY key", -1, &st,
                                NULL);
        while (rc == SQLITE_OK && r >= 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *key = (const char *) sqlite3_column_text(st, 0),
                           *value = (const char *) sqlite3_column_text(st, 1);
                r = fn(key ?: "", value ?: "", (size_t) sqlite3_column_bytes(st, 1), userdata);
                rc = SQLITE_OK;
        }
        if (r >= 0 && rc != SQLITE_DONE && rc != SQLITE_OK) {
                r = sqlite_to_errno(rc);
                if (r == -EBADMSG)
                        diag_error(diags, b->path, 0, 0, "damaged state database (%s), not trusted",
                                   sqlite3_errmsg(b->db));
        }
        sqlite3_finalize(st);
        return r;
}

static int sqlite_begin(StateBackend *b) {
        /* WAL is kept in the file once set (a database asyncfg created has it already); it is
         * set here, not at open, so that a file whose records turn out damaged is not written. */
        if (!b->wal) {
                int r = sqlite_exec(b, "PRAGMA journal_mode=WAL");
                if (r < 0)
                        return r;
                b->wal = true;
        }
        /* IMMEDIATE: the write lock now, or -EBUSY now, never half way through. */
        return sqlite_exec(b, "BEGIN IMMEDIATE");
}

static int sqlite_commit(StateBackend *b) {
        int r = sqlite_exec(b, "COMMIT");

        if (r < 0)
                (void) sqlite_exec(b, "ROLLBACK");
        return r;
}

static void sqlite_rollback(StateBackend *b) {
        (void) sqlite_exec(b, "ROLLBACK");
}

static void sqlite_set_busy_timeout(StateBackend *b, unsigned msec) {
        sqlite3_busy_timeout(b->db, (int) MIN(msec, (unsigned) INT32_MAX));
}

/* Renames dir/name<suffix> to dir/name.broken-<usec><suffix>; 1, 0 (none), -errno. */
static int sqlite_move_aside(const char *dir, const char *suffix, uint64_t usec, char **ret) {
        _cleanup_free_ char *from = NULL, *to = NULL;

        if (asprintf(&from, "%s/%s%s", dir, STATE_DB_NAME, suffix) < 0 ||
            asprintf(&to, "%s/%s.broken-%" PRIu64 "%s", dir, STATE_DB_NAME, usec, suffix) < 0)
                return -ENOMEM;
        if (rename(from, to) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (ret)
                *ret = TAKE_PTR(to);
        return 1;
}

/* The database and its WAL move together (the WAL holds committed transactions); the shared
 * memory index is rebuilt from them, and moves along so that nothing of it is reused. */
static int sqlite_quarantine(const char *dir, char **ret_path) {
        uint64_t usec = now(CLOCK_REALTIME);
        int r = sqlite_move_aside(dir, "", usec, ret_path);

        if (r <= 0)
                return r;
        (void) sqlite_move_aside(dir, "-wal", usec, NULL);
        (void) sqlite_move_aside(dir, "-shm", usec, NULL);
        return 1;
}

const StateBackendOps state_backend_sqlite = {
        .name = "sqlite",
        .file_name = STATE_DB_NAME,
        .open = sqlite_open,
        .open_readonly = sqlite_open_readonly,
        .close = sqlite_close,
        .get = sqlite_get,
        .iterate = sqlite_iterate,
        .begin = sqlite_begin,
        .put = sqlite_put,
        .delete = sqlite_delete,
        .commit = sqlite_commit,
        .rollback = sqlite_rollback,
        .set_busy_timeout = sqlite_set_busy_timeout,
        .quarantine = sqlite_quarantine,
};
