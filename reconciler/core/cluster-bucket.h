/* SPDX-License-Identifier: MIT */
#pragma once

/* Which member of a cluster writes a resource (DESIGN.md §8): every identity falls in one of
 * CLUSTER_BUCKETS fixed buckets, and a bucket belongs to the live member with the highest
 * rendezvous score for (member, bucket). A join or a leave thus moves only the buckets whose
 * highest score changes, about 1/N of them.
 *
 * Both hashes are part of the cluster's protocol: every member of one cluster must compute the
 * same, across hosts, builds and versions. They are FNV-1a 64 over the bytes, finished with
 * splitmix64's mixer (FNV alone spreads short, similar strings poorly); never the process's
 * seeded hash tables. */

#include <stddef.h>
#include <stdint.h>

#define CLUSTER_BUCKETS 1024u

/* The bucket of an identity key (reconciler/core/state.h's "provider/account/function/qualifier"). */
unsigned cluster_bucket_of(const char *key);

/* The rendezvous score of member for bucket. */
uint64_t cluster_bucket_score(const char *member, unsigned bucket);

/* The index in members[0..n) of bucket's owner (the highest score; a tie, which needs a 64-bit
 * collision, goes to the smaller name), or -ENOENT when n is 0. */
int cluster_bucket_owner(const char *const *members, size_t n, unsigned bucket);
