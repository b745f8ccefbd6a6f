/* SPDX-License-Identifier: MIT */
#pragma once

/* The duplicate index of the desired state: resources looked up by function and by name, so
 * that a file's resources are checked against everything else in O(its size) instead of
 * against every resource of the directory (10,000 resources in 100 files were 50 million
 * comparisons per load, and rebuilding one index per file was still O(n²)).
 *
 * Each resource is indexed with its position: the path of its file and its index in that file.
 * "Earliest" means the smaller (path, index): files in path order, then document order, the
 * order in which a directory is checked. The index does not own the resources nor the paths:
 * a resource must be removed before it or its file's path is freed. */

#include <stddef.h>

#include "lib/macro.h"
#include "reconciler/spec/spec.h"

typedef struct DesiredIndex DesiredIndex;

int desired_index_new(DesiredIndex **ret);
DesiredIndex *desired_index_free(DesiredIndex *x);
DEFINE_TRIVIAL_CLEANUP_FUNC(DesiredIndex *, desired_index_free);

/* Indexes spec under its function and its name (each when set). 0 or -ENOMEM (then nothing
 * was added). */
int desired_index_add(DesiredIndex *x, const ResourceSpec *spec, const char *file, size_t index);

/* Forgets spec (added before; a spec not in the index is ignored). Never fails. */
void desired_index_remove(DesiredIndex *x, const ResourceSpec *spec);

/* The earliest indexed resource that collides with spec (the same identity, or the same
 * name), not counting those of file skip (compared as a pointer; NULL skips nothing), or
 * NULL. */
const ResourceSpec *desired_index_find(const DesiredIndex *x, const ResourceSpec *spec,
                                       const char *skip);
