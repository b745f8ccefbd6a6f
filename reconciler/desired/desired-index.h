/* SPDX-License-Identifier: MIT */
#pragma once

/* The duplicate index of the desired state: resources looked up by function and by name, so
 * that a file's resources are checked against everything else in O(its size) instead of
 * against every resource of the directory (10,000 resources in 100 files were 50 million
 * comparisons per load, and rebuilding one index per file was still O(n²)).
 *
 * A file version's resources enter and leave the index together, as one DesiredIndexFile:
 * one allocation per file, not one per resource and key. Each resource is indexed with its
 * position: the path of its file and its index in that file. "Earliest" means the smaller
 * (path, index): files in path order, then document order, the order in which a directory is
 * checked. The index does not own the resources nor the paths: a version must be removed
 * before its resources or its file's path are freed. */

#include <stddef.h>

#include "lib/macro.h"
#include "reconciler/spec/spec.h"

typedef struct DesiredIndex DesiredIndex;
typedef struct DesiredIndexFile DesiredIndexFile;

int desired_index_new(DesiredIndex **ret);
/* Frees the index, not the versions in it: each goes with desired_index_file_free(). */
DesiredIndex *desired_index_free(DesiredIndex *x);
DEFINE_TRIVIAL_CLEANUP_FUNC(DesiredIndex *, desired_index_free);

/* Indexes the n resources of l, a version of file, each under its function and its name
 * (each when set). 0 and the version in *ret, or -ENOMEM (then nothing was added). l must
 * stay as it is while the version is in the index. */
int desired_index_add_file(DesiredIndex *x, const char *file, ResourceSpec *const *l, size_t n,
                           DesiredIndexFile **ret);

/* Takes version v (NULL: nothing) out of the index and frees it. Never fails. */
void desired_index_remove_file(DesiredIndex *x, DesiredIndexFile *v);

/* Frees v without taking it out of the index: only when the whole index goes. */
DesiredIndexFile *desired_index_file_free(DesiredIndexFile *v);

/* The resource that the i-th resource of version v collides with (the same identity, or the
 * same name): the earliest of the resources before it in v, else the earliest of the other
 * versions in the index but skip (NULL skips nothing), else NULL. */
const ResourceSpec *desired_index_find(const DesiredIndexFile *v, size_t i,
                                       const DesiredIndexFile *skip);
