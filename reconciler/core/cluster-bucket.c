/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "reconciler/core/cluster-bucket.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv1a(uint64_t h, const void *data, size_t size) {
        const unsigned char *p = data;

        for (size_t i = 0; i < size; i++) {
                h ^= p[i];
                h *= FNV_PRIME;
        }
        return h;
}

static uint64_t mix64(uint64_t x) {
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9ULL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebULL;
        x ^= x >> 31;
        return x;
}

unsigned cluster_bucket_of(const char *key) {
        return (unsigned) (mix64(fnv1a(FNV_OFFSET, key, strlen(key))) % CLUSTER_BUCKETS);
}

uint64_t cluster_bucket_score(const char *member, unsigned bucket) {
        unsigned char b[4] = { bucket >> 24, bucket >> 16, bucket >> 8, bucket };
        /* The NUL keeps ("a1", 0) and ("a", ...) apart. */
        uint64_t h = fnv1a(FNV_OFFSET, member, strlen(member) + 1);

        return mix64(fnv1a(h, b, sizeof(b)));
}

int cluster_bucket_owner(const char *const *members, size_t n, unsigned bucket) {
        uint64_t best = 0;
        int owner = -ENOENT;

        for (size_t i = 0; i < n; i++) {
                uint64_t s = cluster_bucket_score(members[i], bucket);

                if (owner < 0 || s > best ||
                    (s == best && strcmp(members[i], members[owner]) < 0)) {
                        best = s;
                        owner = (int) i;
                }
        }
        return owner;
}
