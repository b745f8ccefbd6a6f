/* SPDX-License-Identifier: MIT */
#pragma once

/* The state store: per resource, the document asyncfg last applied (PUT) and whether asyncfg
 * created the configuration or adopted one that existed. It is what tells drift from change
 * (DESIGN.md §3.6).
 *
 * The records live in a back end (state-backend.h; today SQLite, <dir>/state.db), one row per
 * resource whose value is the record's JSON object:
 *
 *   {"appliedAtUsec": 1700000000000000, "created": true,
 *    "config": {"maxRetryAttempts": 0, ...},
 *    "resource": {"name": "orders", "provider": "aws", "account": "aws-prod",
 *                 "function": "orders", "qualifier": "$LATEST", "file": "/etc/..."},
 *    "location": {"account": "aws-prod", "api": "lambda", "region": "us-east-1"},
 *    "orphanedAtUsec": 1700000000000000}
 *
 * "resource" (what the document said, so that an orphan can be shown without its document),
 * "location" (where the config was applied: the account and how it was reached, so that a
 * DELETE goes exactly there or nowhere, DESIGN.md §3.12) and "orphanedAtUsec" (the document is
 * gone and the daemon keeps the record as an orphan) are optional: a record without them loads
 * with empty info (StateRecord.info; state_record_info_from_key() recovers provider, account,
 * function and qualifier from the key), an unknown location (state_location_is_known() false)
 * and not orphaned.
 *
 * The store keeps the records in memory and remembers which keys changed; state_store_save()
 * writes those rows, and only those, in one transaction that is durable when it returns
 * (DESIGN.md §3.10): a write costs the same at 100 as at 100,000 records, and two processes
 * on one stateDir (the CLI and the daemon) never undo each other's records, only, for one key
 * both write, the later write wins (DESIGN.md §3.13).
 *
 * Before state.db, asyncfg kept one JSON file, <dir>/state.json:
 *
 *   {"format": "asyncfg-state", "version": 1, "resources": {"<identity key>": {record}}}
 *
 * An existing state.json is imported once, when the back end holds no record, and renamed
 * state.json.migrated. "format" is its owner marker: a file without it is not ours and is never
 * trusted. Keys are opaque strings (the resource identity). */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "clouds/model.h"
#include "lib/diag.h"
#include "lib/macro.h"
#include "reconciler/core/state-backend.h"

#define STATE_JSON_NAME "state.json"
#define STATE_MIGRATED_SUFFIX ".migrated"
#define STATE_FORMAT "asyncfg-state"
#define STATE_VERSION 1
#define STATE_FILE_MAX (64u * 1024u * 1024u) /* of a state.json */

/* Who a record belongs to, as its document said; any member may be NULL (unknown). */
typedef struct StateResourceInfo {
        char *name;     /* metadata.name */
        char *provider; /* "aws", ... */
        char *account;
        char *function;  /* normalised, as in the key */
        char *qualifier; /* normalised, as in the key */
        char *file;      /* the file that declared it last */
} StateResourceInfo;

/* Where a config was applied: the account of the daemon configuration and its location then.
 * The members are those of the account's CloudAccount that decide which function a bare name
 * reaches; NULL: not configured (accountId, projectId, endpoint) or not known (a record
 * written before locations were recorded has every member NULL). */
typedef struct StateLocation {
        char *account; /* the account's name */
        char *api;     /* "lambda", "fc3", "fc2", "functiongraph": the provider follows */
        char *region;
        char *account_id; /* where configured */
        char *project_id; /* where configured */
        char *endpoint;   /* the override, where set */
} StateLocation;

typedef struct StateRecord {
        char *key; /* in the record's own allocation, right after it (one malloc less each) */
        AsyncConfig applied;   /* the document last PUT */
        uint64_t applied_usec; /* CLOCK_REALTIME, µs, of that PUT */
        bool created;          /* asyncfg created the config (none existed); false: adopted */
        /* internal: 1 + its index in the store's list of records changed since the last save;
         * 0: not changed (in the padding after created: no byte more per record) */
        uint32_t changed;
        StateResourceInfo info;
        uint64_t orphaned_usec; /* CLOCK_REALTIME when it was orphaned; 0: it is not */
        StateLocation location; /* where applied; unknown in records older than it */
        size_t slot;            /* internal: its index in the store's array */
} StateRecord;

typedef struct StateStore StateStore;

/* Opens the store of dir (creating an empty one), loads its records, and imports dir/state.json
 * if the store is empty and there is one (see above). A store or state.json that is damaged,
 * not ours (owner marker) or of an unknown version is reported in diags (the file, and
 * line:col where known) and the call fails with -EBADMSG (damaged) or -EPROTONOSUPPORT
 * (foreign or newer): its content is not trusted, and nothing is written to it. The caller
 * decides: give up, or state_store_quarantine() and open again (empty). -EBUSY: another
 * process held the store's lock too long. Other errors: -errno, -ENOMEM. */
int state_store_open(const char *dir, DiagList *diags, StateStore **ret);

/* Opens the store of dir for reading only (asyncfg plan): nothing is created, written,
 * imported or renamed, so a read-only stateDir, or one the user cannot write, is read all the
 * same. No store is an empty one; a state.json not imported yet is read in its place. Records
 * may be changed in memory; state_store_save() then fails with -EROFS. Errors as
 * state_store_open(). */
int state_store_open_readonly(const char *dir, DiagList *diags, StateStore **ret);

/* Moves what made state_store_open() fail aside, keeping it for inspection: the store's file
 * (state.db, with its WAL, to state.db.broken-<usec>) if it is not usable, else a state.json
 * that could not be imported (to state.json.broken-<usec>). The next open starts empty.
 * Returns 1 and the new path in *ret_path (optional), 0 if there was nothing to move, or
 * -errno. */
int state_store_quarantine(const char *dir, char **ret_path);

/* Removes the temporary files an older asyncfg's JSON store may have left in dir on a crash
 * (".state.json.XXXXXX", regular files only). Returns how many, or -errno if dir cannot be
 * read. */
int state_remove_stale_temp(const char *dir);

/* How long a save waits for another process's write lock before it fails with -EBUSY (default
 * 5 s). */
void state_store_set_busy_timeout(StateStore *s, unsigned msec);

StateStore *state_store_free(StateStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(StateStore *, state_store_free);

/* The record of key, or NULL. Valid until the next put/remove/free. */
/* While shared, state_store_get(), _put(), _remove(), _set_info(), _set_location() and
 * _set_orphaned(), and state_store_save() and _pending(), take a lock, so that several threads may
 * use the store at once, each for its own keys (a record returned by state_store_get() stays
 * valid while nobody else changes that key), and any of them may commit what all have
 * recorded. The rest (open, iterating) is for one thread, with the store not shared. */
void state_store_set_shared(StateStore *s, bool shared);

const StateRecord *state_store_get(const StateStore *s, const char *key);
size_t state_store_size(const StateStore *s);
/* The i-th record in key order (i < state_store_size()). The first call after records were
 * added sorts them, hence not const. */
const StateRecord *state_store_get_nth(StateStore *s, size_t i);

/* Records that config was applied to key at applied_usec. created is taken when the record is
 * new; an existing record keeps its original created flag (ownership is decided by the first
 * apply). Returns 0, or -ENOMEM (the store is then unchanged). */
int state_store_put(StateStore *s, const char *key, const AsyncConfig *config,
                    uint64_t applied_usec, bool created);
/* state_store_put(), then state_store_set_info() and state_store_set_location() of the same
 * record where info and location are not NULL: one lookup and one lock for the three (a
 * reconcile records them together, once per write, 10,000 times in an apply). Returns 0, or
 * -ENOMEM (the record may then have the config without the info or the location, as after
 * the three calls one after another). */
int state_store_put_with(StateStore *s, const char *key, const AsyncConfig *config,
                         uint64_t applied_usec, bool created, const StateResourceInfo *info,
                         const StateLocation *location);
/* Returns 1 if key was removed, 0 if it was not there. */
int state_store_remove(StateStore *s, const char *key);

/* Sets the info of key's record (strings copied; NULL members stay NULL). 1 if it changed, 0
 * if it was the same, -ENOENT (no record), -ENOMEM (the record is then unchanged). */
int state_store_set_info(StateStore *s, const char *key, const StateResourceInfo *info);
/* Sets where key's record was applied (strings copied). 1 if it changed, 0 if it was the
 * same, -ENOENT (no record), -ENOMEM (the record is then unchanged). */
int state_store_set_location(StateStore *s, const char *key, const StateLocation *location);
/* Marks key's record orphaned at usec (0: not orphaned). 1 if it changed, 0 if not, -ENOENT. */
int state_store_set_orphaned(StateStore *s, const char *key, uint64_t usec);

/* Splits an identity key "provider/account/function/qualifier" ("-" for no account; the
 * function may hold '/', the others do not) into ret's provider, account, function and
 * qualifier (name and file NULL). 0, -EINVAL (not such a key), -ENOMEM. */
int state_record_info_from_key(const char *key, StateResourceInfo *ret);
void state_resource_info_done(StateResourceInfo *i);

/* A location is known when it names the account, api and region (every one that asyncfg
 * writes does); one read from a record older than locations is not. */
bool state_location_is_known(const StateLocation *l);
/* Every member equal (two NULLs are equal; NULL and a value are not). */
bool state_location_equal(const StateLocation *a, const StateLocation *b);
void state_location_done(StateLocation *l);

/* Writes the records changed since the store was opened or last saved, in one transaction
 * that is durable when this returns. Returns 1 if written, 0 if there was nothing to write, or
 * -errno (nothing of it was written, the changes stay pending: save again later); -EBUSY when
 * another process held the lock longer than the busy timeout. */
int state_store_save(StateStore *s);
/* How many keys changed since the last save. */
size_t state_store_pending(const StateStore *s);

/* The whole store as a state.json document (the format above), in key order. 0, or -errno. */
int state_store_write_json(StateStore *s, FILE *f);
/* Loads the state.json document data into s (a parser that a fuzzer reaches); problems are
 * reported as state.json:line:col. 0, -EBADMSG, -EPROTONOSUPPORT, -ENOMEM. */
int state_store_load_json(StateStore *s, const char *data, size_t size, DiagList *diags);

/* ---- cluster mode: the records live in etcd, written by the daemon's cluster code ---------- */

/* An empty store without a back end: state_store_save() fails with -EOPNOTSUPP; its owner
 * loads rows (state_store_load_row()) and writes the changes (state_store_take_changes()). */
int state_store_new_memory(StateStore **ret);
/* Replaces key's record with the row value (size bytes, a record's JSON as a back end holds
 * it), not as a change: 0, -EBADMSG (reported in diags, which may be NULL; the record is then
 * gone), -ENOMEM. */
int state_store_load_row(StateStore *s, const char *key, const char *value, size_t size,
                         DiagList *diags);
/* Drops key's record from memory, and its change if any, without writing anything. */
void state_store_forget(StateStore *s, const char *key);
/* Keeps the records in n_groups groups by group_of(key) (< n_groups; cluster mode: the
 * bucket), each a list, so that state_store_forget_group() costs what the group holds, not a
 * pass over the store. A store without groups pays nothing for them (the links are allocated
 * with each record only after this call). For an empty store only: 0, -EBUSY (not empty),
 * -ENOMEM. */
int state_store_set_groups(StateStore *s, unsigned n_groups, unsigned (*group_of)(const char *key));
/* state_store_forget() of every record of group, and of its keys removed and not saved yet:
 * no change of the group is left to write. O(the group's records + changes pending). */
void state_store_forget_group(StateStore *s, unsigned group);
/* Counts key as changed again (its write failed and is to be retried): 0 or -ENOMEM. */
int state_store_mark_changed(StateStore *s, const char *key);
/* Calls fn for every key changed since the last take (or save) with its row: the record's
 * JSON (these in key order), or NULL and 0 when the record was removed (after them); then
 * forgets them as changed. A negative
 * return of fn stops the walk, keeps every change pending, and is returned. */
int state_store_take_changes(StateStore *s, StateBackendRowFunc fn, void *userdata);
