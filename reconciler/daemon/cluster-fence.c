/* SPDX-License-Identifier: MIT */
#include "reconciler/daemon/cluster-fence.h"

void cluster_fence_init(ClusterFence *f, usec_t ttl) {
        *f = (ClusterFence){
                .ttl = ttl,
                .write_timeout = ttl / 2,
                .margin = ttl / 10,
        };
}

void cluster_fence_renewed(ClusterFence *f, usec_t sent_at) {
        /* Sent after the deadline: the lease lived on in etcd, but writes were (or could have
         * been) refused meanwhile and claims may have moved: re-read them first. */
        if (f->deadline > 0 && sent_at >= f->deadline)
                f->must_reread = true;
        if (sent_at + f->ttl > f->deadline) {
                f->deadline = sent_at + f->ttl;
                f->renewed_at = sent_at;
        }
}

void cluster_fence_lost(ClusterFence *f) {
        f->deadline = 0;
        f->renewed_at = 0;
        f->must_reread = false; /* a new lease starts with no claims at all */
}

bool cluster_fence_allows(ClusterFence *f, usec_t now) {
        if (f->deadline == 0)
                return false;
        if (now >= f->deadline)
                f->must_reread = true;
        if (f->must_reread)
                return false;
        return now + f->write_timeout + f->margin < f->deadline;
}

void cluster_fence_reread(ClusterFence *f, usec_t list_started_at) {
        if (f->deadline > 0 && list_started_at >= f->renewed_at)
                f->must_reread = false;
}

usec_t cluster_fence_remaining(const ClusterFence *f, usec_t now) {
        return f->deadline > now ? f->deadline - now : 0;
}
