/* SPDX-License-Identifier: MIT */
#pragma once

/* Where the state store keeps its records: a back end is one const StateBackendOps (like a
 * cloud's CloudOps) over rows of (key, value), the value being one record in its JSON form
 * (state.h). The store (state.c) keeps the records in memory, encodes them, and writes the
 * rows that changed in one transaction: begin, put/delete per row, commit. A back end never
 * rewrites rows that did not change, so a write costs the same at 100 as at 100,000 records.
 *
 * Contract:
 *  - open() fails with -EBADMSG (damaged) or -EPROTONOSUPPORT (not ours, or a newer schema),
 *    reported in diags naming the file, and leaves what it found exactly as it was;
 *  - commit() returns 0 only once the transaction is durable (it survives a kill -9 and a
 *    power loss); on failure the transaction is rolled back and nothing of it is kept;
 *  - -EBUSY: another process (the CLI, the daemon) holds the store's write lock longer than the
 *    back end waits for it; the caller retries later.
 * Every call is synchronous and for one thread at a time. */

#include <stddef.h>

#include "lib/diag.h"

typedef struct StateBackend StateBackend;

/* One row; value is NUL-terminated (size excludes the NUL). A negative return stops the walk
 * and is returned by iterate(). */
typedef int (*StateBackendRowFunc)(const char *key, const char *value, size_t size, void *userdata);

typedef struct StateBackendOps {
        const char *name;      /* "sqlite" */
        const char *file_name; /* in stateDir: "state.db" */
        int (*open)(const char *dir, DiagList *diags, StateBackend **ret);
        /* Opens dir's store for reading only: nothing is created or written, not even a lock
         * file, so that a read-only stateDir can be read. -ENOENT: there is no store. Only get()
         * and iterate() may be called on it. */
        int (*open_readonly)(const char *dir, DiagList *diags, StateBackend **ret);
        StateBackend *(*close)(StateBackend *b);
        /* 1 and the value in *ret_value, 0 if there is no such row, or -errno. */
        int (*get)(StateBackend *b, const char *key, char **ret_value);
        /* Every row, in key order. -EBADMSG (with a diagnostic) if the store is damaged. */
        int (*iterate)(StateBackend *b, StateBackendRowFunc fn, void *userdata, DiagList *diags);
        int (*begin)(StateBackend *b);
        int (*put)(StateBackend *b, const char *key, const char *value);
        int (*delete)(StateBackend *b, const char *key);
        int (*commit)(StateBackend *b);
        void (*rollback)(StateBackend *b);
        /* How long a write waits for another writer's lock before -EBUSY. */
        void (*set_busy_timeout)(StateBackend *b, unsigned msec);
        /* Moves dir's store aside to <file>.broken-<usec> (never writing to it): 1 and the new
         * path, 0 if there is none, or -errno. */
        int (*quarantine)(const char *dir, char **ret_path);
} StateBackendOps;

extern const StateBackendOps state_backend_sqlite;
