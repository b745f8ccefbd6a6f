/* SPDX-License-Identifier: MIT */
#pragma once

/* The state store: per resource, the document asyncfg last applied (PUT) and whether asyncfg
 * created the configuration or adopted one that existed. It is what tells drift from change
 * (DESIGN.md §3.6).
 *
 * One JSON file, <dir>/state.json:
 *
 *   {"format": "asyncfg-state", "version": 1,
 *    "resources": {"<identity key>": {"appliedAtUsec": 1700000000000000, "created": true,
 *                                     "config": {"maxRetryAttempts": 0, ...},
 *                                     "resource": {"name": "orders", "provider": "aws",
 *                                                  "account": "aws-prod", "function": "orders",
 *                                                  "qualifier": "$LATEST", "file": "/etc/..."},
 *                                     "location": {"account": "aws-prod", "api": "lambda",
 *                                                  "region": "us-east-1"},
 *                                     "orphanedAtUsec": 1700000000000000}}}
 *
 * "resource" (what the document said, so that an orphan can be shown without its document),
 * "location" (where the config was applied: the account and how it was reached, so that a
 * DELETE goes exactly there or nowhere, DESIGN.md §3.12) and "orphanedAtUsec" (the document is
 * gone and the daemon keeps the record as an orphan) are optional and were added within
 * version 1: older readers ignore unknown keys, and a record without them loads with empty
 * info (StateRecord.info; state_record_info_from_key() recovers provider, account, function
 * and qualifier from the key), an unknown location (state_location_is_known() false) and not
 * orphaned.
 *
 * "format" is the owner marker: a file without it is not ours and is never trusted or
 * overwritten. Saving is atomic (DESIGN.md §3.10): a temporary file in the same directory,
 * fsync, rename over state.json, fsync of the directory; a crash at any moment leaves either
 * the old or the new file, never a mix. Keys are opaque strings (the resource identity). */

#include <stdbool.h>
#include <stdint.h>

#include "clouds/model.h"
#include "lib/diag.h"
#include "lib/macro.h"

#define STATE_FILE_NAME "state.json"
#define STATE_FORMAT "asyncfg-state"
#define STATE_VERSION 1
#define STATE_FILE_MAX (64u * 1024u * 1024u)

/* Who a record belongs to, as its document said; any member may be NULL (unknown). */
typedef struct StateResourceInfo {
        char *name;      /* metadata.name */
        char *provider;  /* "aws", ... */
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
        char *account;    /* the account's name */
        char *api;        /* "lambda", "fc3", "fc2", "functiongraph": the provider follows */
        char *region;
        char *account_id; /* where configured */
        char *project_id; /* where configured */
        char *endpoint;   /* the override, where set */
} StateLocation;

typedef struct StateRecord {
        char *key;
        AsyncConfig applied;   /* the document last PUT */
        uint64_t applied_usec; /* CLOCK_REALTIME, µs, of that PUT */
        bool created;          /* asyncfg created the config (none existed); false: adopted */
        StateResourceInfo info;
        uint64_t orphaned_usec; /* CLOCK_REALTIME when it was orphaned; 0: it is not */
        StateLocation location; /* where applied; unknown in records older than it */
} StateRecord;

typedef struct StateStore StateStore;

/* Opens the store of dir and loads dir/state.json; a missing file is an empty store. A file
 * that cannot be parsed, is truncated, has the wrong shape, is not ours (format marker) or has
 * an unknown version is reported in diags (state.json:line:col where known) and the call fails
 * with -EBADMSG (damaged) or -EPROTONOSUPPORT (foreign or newer): its content is not trusted.
 * The caller decides: give up, or state_store_quarantine() and open again (empty). Other
 * errors: -errno from the file system, -ENOMEM. */
int state_store_open(const char *dir, DiagList *diags, StateStore **ret);

/* Moves a bad dir/state.json aside to dir/state.json.broken-<usec> so that it is kept for
 * inspection and the next open starts empty. Returns 1 and the new path in *ret_path
 * (optional), 0 if there was no file, or -errno. */
int state_store_quarantine(const char *dir, char **ret_path);

StateStore *state_store_free(StateStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(StateStore *, state_store_free);

/* The record of key, or NULL. Valid until the next put/remove/free. */
/* While shared, state_store_get(), _put(), _remove(), _set_info(), _set_location() and
 * _set_orphaned() take a lock, so that several threads may use the store at once, each for its
 * own keys (a record returned by state_store_get() stays valid while nobody else changes that
 * key). The rest (open, save, iterating) is for one thread, with the store not shared. */
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

/* Writes the store if it changed since it was opened or last saved. Returns 1 if written, 0
 * if there was nothing to write, or -errno (the old file is then untouched). */
int state_store_save(StateStore *s);
