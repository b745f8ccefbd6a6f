/* SPDX-License-Identifier: MIT */
#pragma once

/* The daemon's runtime resource table: one Resource per identity that the desired state
 * declares (or declared, while its removal is being carried out), holding what the daemon
 * knows about it between runs (state, last observation, last error, the run in flight).
 *
 * Reload is a sorted diff (chrony's source-directory reload): the desired resources and the
 * table's resources, both sorted by identity, are walked side by side; an identity on both
 * sides keeps its Resource (backoff in the queue, last observation, the run in flight) and is
 * told whether its document changed in a way that needs a reconcile; one only desired is
 * added; one only in the table is removed. The walk itself is pure (no I/O), so it is unit
 * tested on its own. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/hashmap.h"
#include "reconciler/daemon/resource.h"
#include "reconciler/spec/spec.h"

/* Whether two documents of the same identity ask for the same reconcile: the managed fields
 * and their values, ignore, management. Name, file, line, labels, deletionPolicy and
 * resyncInterval do not need a run (they are taken over without one). */
bool resource_spec_reconcile_equal(const ResourceSpec *a, const ResourceSpec *b);

/* One desired resource for resource_table_sync(): its identity and its document. */
typedef struct DesiredRef {
        const char *key;
        const ResourceSpec *spec;
} DesiredRef;

typedef struct ResourceSyncOps {
        /* Only desired: create it (the callee adds it to the table). */
        int (*add)(const DesiredRef *d, void *userdata);
        /* On both sides: changed says whether a run is needed (resource_spec_reconcile_equal). */
        int (*update)(Resource *r, const DesiredRef *d, bool changed, void *userdata);
        /* Only in the table: the callee removes it (now, or when its run ends). */
        int (*remove)(Resource *r, void *userdata);
} ResourceSyncOps;

typedef struct ResourceTable {
        Hashmap *by_key; /* key → Resource */
} ResourceTable;

int resource_table_init(ResourceTable *t);
/* Frees every Resource. */
void resource_table_done(ResourceTable *t);
Resource *resource_table_get(const ResourceTable *t, const char *key);
size_t resource_table_size(const ResourceTable *t);
/* Takes ownership of r. 0, -EEXIST, -ENOMEM. */
int resource_table_add(ResourceTable *t, Resource *r);
/* Unlinks r from the table (does not free it). */
void resource_table_unlink(ResourceTable *t, Resource *r);
/* The resources sorted by cmp (NULL: by key), in a new array of n pointers. 0 or -ENOMEM. */
int resource_table_sorted(const ResourceTable *t, int (*cmp)(const void *, const void *),
                          Resource ***ret, size_t *ret_n);
/* qsort comparators over Resource *const *. */
int resource_compare_by_key(const void *a, const void *b);
int resource_compare_by_name(const void *a, const void *b);

/* The sorted diff: sorts desired (in place) by key and walks it against the table, calling
 * ops for each identity in key order. Resources in the table that are marked removed count as
 * absent (a document that comes back while its removal is in flight is added again). Stops
 * at the first negative return of an op and returns it; otherwise returns the number of
 * adds + changed updates + removes. A duplicate key in desired is -EINVAL (the desired set
 * never has one). */
int resource_table_sync(ResourceTable *t, DesiredRef *desired, size_t n, const ResourceSyncOps *ops,
                        void *userdata);
