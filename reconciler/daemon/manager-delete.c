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
 * on a guess).
 *
 * The right function, or none (DESIGN.md §3.12). A document that names its function by bare
 * name is reached through its account's location (region, account or project id, api,
 * endpoint); a SIGHUP can change that location and remove the document at once, and the
 * DELETE would then reach another function of the same name. So every DELETE first compares
 * the location its state-store record says the config was applied in with the account's now:
 *
 *   record                       what happens
 *   none                         nothing was applied, nothing to delete: forgotten, no DELETE
 *                                (a PUT whose answer was lost is the one way a config of it
 *                                can exist: left alone then, rather than deleted on a guess)
 *   same location                the DELETE is sent
 *   another location             no DELETE; error (the reason in /status, one log line, an
 *                                alert); the record kept and held as an orphan is: the check
 *                                runs again at every resync (the account put back as it was:
 *                                the DELETE goes there), and the resource is forgotten, its
 *                                live config left alone, once orphanRetention has passed
 *   location unknown             the same as another location. Such a record predates
 *                                locations, and every run in sync or write since records one,
 *                                so it is only left when no run succeeded since the upgrade:
 *                                then nothing says where the config is, and guessing "here" is
 *                                exactly the mistake this prevents. */

#include <errno.h>

#include "lib/log.h"
#include "lib/time-util.h"
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

static const char *or_default(const char *s, const char *dflt) {
        return s ?: dflt;
}

/* Equal, two NULLs included. */
static bool same(const char *a, const char *b) {
        return a == b || (a && b && streq(a, b));
}

/* Why the DELETE of r is not sent: how was (the record) and now (the account) differ. */
static char *delete_refusal_message(const Manager *m, const StateLocation *was,
                                    const StateLocation *now) {
        _cleanup_free_ char *diff = NULL;
        char *msg = NULL;
        char keep[32];
        int k;

        if (!state_location_is_known(was))
                k = asprintf(&diff, "its record (written by an older asyncfg) does not say where the "
                                    "config was applied, and no run has confirmed it since");
        else if (!same(was->account, now->account))
                k = asprintf(&diff, "the config was applied through account '%s', not '%s'",
                             was->account, now->account);
        else if (!same(was->api, now->api))
                k = asprintf(&diff, "the config was applied through %s, account '%s' now uses %s",
                             was->api, now->account, now->api);
        else if (!same(was->region, now->region))
                k = asprintf(&diff, "the config was applied in %s, account '%s' is now in %s",
                             was->region, now->account, now->region);
        else if (!same(was->account_id, now->account_id))
                k = asprintf(&diff, "the config was applied with accountId %s, account '%s' now has %s",
                             or_default(was->account_id, "unset"), now->account,
                             or_default(now->account_id, "none"));
        else if (!same(was->project_id, now->project_id))
                k = asprintf(&diff, "the config was applied in project %s, account '%s' is now in %s",
                             or_default(was->project_id, "unset"), now->account,
                             or_default(now->project_id, "none"));
        else
                k = asprintf(&diff, "the config was applied through endpoint %s, account '%s' now uses %s",
                             or_default(was->endpoint, "(the default)"), now->account,
                             or_default(now->endpoint, "the default"));
        if (k < 0)
                return NULL;
        format_duration(keep, sizeof(keep), m->gen->config->orphan_retention);
        if (asprintf(&msg, "not deleting: %s; put the account back as it was to delete it there, or "
                           "it is forgotten after orphanRetention (%s) and its live config left alone",
                     diff, keep) < 0)
                return NULL;
        return msg;
}

int manager_delete_check_target(Manager *m, Resource *r, CloudClient *client) {
        const StateRecord *rec = state_store_get(m->state, r->key);
        _cleanup_free_ char *msg = NULL;
        StateLocation now;
        int k;

        if (!rec) {
                (void) workqueue_done(m->queue, r->key, WORK_RESULT_SUCCESS, 0);
                manager_resource_forget(m, r, "document removed; asyncfg never applied its config "
                                              "(no record), so nothing is deleted.");
                return 0;
        }
        reconcile_state_location(cloud_client_get_account(client), &now);
        if (state_location_equal(&rec->location, &now))
                return 1;
        msg = delete_refusal_message(m, &rec->location, &now);
        if (!msg)
                return -ENOMEM;
        k = manager_fail_run(m, r, r->key, CLOUD_ERROR_PERMANENT, "delete", msg);
        manager_resource_hold(m, r);
        return k;
}
