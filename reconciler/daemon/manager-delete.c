/* SPDX-License-Identifier: MIT */

/* Deferred deletes (deletionPolicy: delete). A rename that the directory watch sees in two
 * debounce batches (the old name gone in one, the new name in the next) looks like "removed,
 * then added": deleting at once would DELETE the live config and PUT it again a moment later,
 * and leave the function without its configuration in between. So the DELETE of a removed
 * resource waits for a grace period of one debounce plus MANAGER_DELETE_GRACE_USEC; if a
 * document of the same identity appears meanwhile (manager_sync_add() clears Resource.removed),
 * nothing is deleted and the resource is simply managed from its new file.
 *
 * One timer serves every pending delete (a mass removal is one batch). A delete that fails is
 * retried by the work queue with backoff, not deferred again. A stop during the grace carries
 * no delete out: the record stays, and the next start lists it as an orphan (never deleting
 * on a guess). */

#include "lib/log.h"
#include "reconciler/daemon/manager-internal.h"

static int on_delete_timer(sd_event_source *s, uint64_t usec, void *userdata);

static int manager_arm_delete_timer(Manager *m, uint64_t when) {
        return manager_arm_timer_earliest(m, &m->delete_timer, CLOCK_MONOTONIC, when, 1000,
                                          on_delete_timer);
}

/* Queues the DELETEs whose grace is over (their document did not come back). */
static int on_delete_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ Resource **a = NULL;
        uint64_t now = now_monotonic_usec(), next = UINT64_MAX;
        size_t n;

        if (m->stopping)
                return 0;
        if (resource_table_sorted(&m->table, NULL, &a, &n) < 0) {
                (void) manager_arm_delete_timer(m, now + USEC_PER_SEC);
                return 0;
        }
        for (size_t i = 0; i < n; i++) {
                Resource *r = a[i];

                if (r->delete_due_usec == 0)
                        continue;
                if (!r->removed) {
                        r->delete_due_usec = 0; /* its document came back */
                        continue;
                }
                if (r->delete_due_usec > now) {
                        next = MIN(next, r->delete_due_usec);
                        continue;
                }
                r->delete_due_usec = 0;
                r->delete_grace_over = true;
                (void) manager_enqueue(m, r, WORK_PRIORITY_CHANGE);
        }
        if (next != UINT64_MAX)
                (void) manager_arm_delete_timer(m, next);
        return 0;
}

bool manager_defer_delete(Manager *m, Resource *r) {
        usec_t grace = m->debounce_usec + MANAGER_DELETE_GRACE_USEC;

        if (r->delete_grace_over)
                return false;
        if (r->delete_due_usec == 0)
                r->delete_due_usec = now_monotonic_usec() + grace;
        if (manager_arm_delete_timer(m, r->delete_due_usec) < 0) {
                log_warning("%s: cannot time the deferred delete; deleting at once.", r->spec->name);
                r->delete_due_usec = 0;
                r->delete_grace_over = true;
                return false;
        }
        (void) workqueue_remove(m->queue, r->key); /* no poll runs the DELETE early */
        log_info("%s: document removed; deleting its live config in %llums unless it comes back.",
                 r->spec->name, (unsigned long long) (grace / 1000));
        return true;
}
