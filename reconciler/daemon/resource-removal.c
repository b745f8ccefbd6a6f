/* SPDX-License-Identifier: MIT */

/* A resource whose document is gone (resource.h). What happens is decided in one place,
 * resource_removal_decide(), from its deletionPolicy and management, and, when its DELETE is
 * about to go, from where its config was applied (below):
 *
 *   deleted already (its DELETE succeeded)      forgotten: out of the table and the state store
 *   deletionPolicy delete, enforce mode          DELETE after a grace period (below), if it
 *                                                goes where the config was applied
 *   deletionPolicy orphan, or observe mode       orphaned (below); also at a stop
 *
 * Deferred deletes. A rename that the directory watch sees in two debounce batches (the old
 * name gone in one, the new name in the next) looks like "removed, then added": deleting at
 * once would DELETE the live config and PUT it again a moment later, and leave the function
 * without its configuration in between. So the DELETE of a removed resource waits for a grace
 * period of one debounce plus MANAGER_DELETE_GRACE_USEC; if a document of the same identity
 * appears meanwhile (resource_unremove()), nothing is deleted and the resource is simply
 * managed from its new file. One timer serves every pending delete (a mass removal is one
 * batch). A delete that fails is retried by the work queue with backoff, not deferred again.
 * A stop during the grace carries no delete out: the record stays, and the next start lists it
 * as an orphan (never deleting on a guess).
 *
 * The right function, or none (DESIGN.md §3.12). A document that names its function by bare
 * name is reached through its account's location (region, account or project id, api,
 * endpoint); a SIGHUP can change that location and remove the document at once, and the
 * DELETE would then reach another function of the same name. So when the queue runs a DELETE
 * (resource_removal_start(), after the grace), the decision first compares the location its
 * state-store record says the config was applied in with the account's now:
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
 *                                exactly the mistake this prevents.
 *
 * Orphans. An orphan stays in the runtime table in state `orphaned` (counted in STATUS= and
 * asyncfg_resources{state="orphaned"}, listed in /status with the name, provider, account,
 * function and qualifier its record keeps) and is never queued. Its state-store record is kept
 * and marked orphaned (orphanedAtUsec), so the listing survives restarts. It leaves when
 *   - its document comes back (same identity): it is managed again, and its last-applied
 *     record is still there to tell drift from change;
 *   - orphanRetention (default 24h) after it was orphaned: it is forgotten, out of the table,
 *     the record dropped from the state store (ownership given up). 0s forgets at once.
 * A resource without a record (never applied, or observe mode never in sync) owns nothing: it
 * is listed until the retention ends or the daemon restarts, whichever comes first. Records
 * that no document declares at start become orphans too (manager_orphan_unowned_records()), and
 * in cluster mode those of each bucket as it is taken and read (manager_orphan_records()). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/time-util.h"
#include "reconciler/daemon/manager-internal.h"

typedef enum ResourceRemoval {
        RESOURCE_REMOVAL_FORGET,
        RESOURCE_REMOVAL_DELETE,
        RESOURCE_REMOVAL_ORPHAN,
        RESOURCE_REMOVAL_HOLD, /* the DELETE would not go where the config was applied */
} ResourceRemoval;

static usec_t manager_orphan_retention(const Manager *m) {
        return m->gen->config->orphan_retention;
}

void resource_forget(Resource *r, const char *why) {
        Manager *m = r->manager;

        if (state_store_remove(m->state, r->key) > 0)
                manager_schedule_save(m);
        if (why)
                log_info("%s: %s", r->spec->name, why);
        resource_drop(r);
}

/* ---- orphans ------------------------------------------------------------------------------- */

static int on_orphan_timer(ClockTimer *t, usec_t usec, void *userdata);

/* Arms the expiry timer for the earliest orphan. orphanedAtUsec is wall time (it survives
 * restarts), the timer runs on the manager's clock: the wait is the difference. */
static void manager_arm_orphan_timer(Manager *m, uint64_t when_realtime) {
        usec_t now_rt = clock_now_realtime(m->clock);
        usec_t when = clock_now(m->clock) + (when_realtime > now_rt ? when_realtime - now_rt : 0);

        if (manager_arm_timer_earliest(m, &m->orphan_timer, when, on_orphan_timer) < 0)
                log_warning("Cannot time the expiry of orphans; they stay listed.");
}

static int orphan_compare(const void *x, const void *y) {
        const Resource *a = x, *b = y;

        return a->orphaned_usec < b->orphaned_usec ? -1 : a->orphaned_usec > b->orphaned_usec;
}

/* Keeps r (orphaned_usec set) among the orphans by time orphaned: the retention is one for all,
 * so that is also the order of expiry, and the timer finds the due ones without a pass over
 * the table. */
static void manager_track_orphan(Manager *m, Resource *r) {
        if (!m->orphans)
                m->orphans = prioq_new(orphan_compare);
        if (m->orphans && (prioq_reshuffle(m->orphans, r, &r->orphan_idx) > 0 ||
                           prioq_put(m->orphans, r, &r->orphan_idx) >= 0))
                return;
        log_warning("%s: cannot time the expiry of this orphan; it stays listed.", r->spec->name);
}

void resource_untrack_orphan(Resource *r) {
        if (r->manager->orphans)
                (void) prioq_remove(r->manager->orphans, r, &r->orphan_idx);
}

/* Forgets the orphans whose retention is over, earliest first; re-arms for the next one. One
 * whose run is in flight (a held removal's DELETE tried again) is passed over, as its run's
 * end decides (resource_hold() re-arms). O(expired × log orphans), not a pass over the table. */
static int on_orphan_timer(ClockTimer *t, usec_t usec, void *userdata) {
        Manager *m = userdata;
        uint64_t now_rt = clock_now_realtime(m->clock);
        usec_t keep = manager_orphan_retention(m);
        _cleanup_free_ Resource **busy = NULL;
        size_t n_busy = 0;
        Resource *r;

        while ((r = prioq_peek(m->orphans)) && r->orphaned_usec + keep <= now_rt) {
                Resource **a;

                if (!resource_run_in_flight(r)) {
                        resource_forget(r, "orphaned long enough (orphanRetention): forgotten");
                        continue;
                }
                a = reallocarray(busy, n_busy + 1, sizeof(Resource *));
                if (!a) {
                        r = NULL;
                        manager_arm_orphan_timer(m, now_rt + USEC_PER_SEC);
                        break;
                }
                busy = a;
                busy[n_busy++] = prioq_pop(m->orphans); /* aside until the loop ends */
        }
        if (r)
                manager_arm_orphan_timer(m, r->orphaned_usec + keep);
        for (size_t i = 0; i < n_busy; i++)
                manager_track_orphan(m, busy[i]);
        return 0;
}

/* Marks r orphaned since since_usec (its record too, when it has one). */
static void resource_set_orphaned(Resource *r, uint64_t since_usec, const char *why) {
        Manager *m = r->manager;
        const ResourceSpec *s = r->spec;
        StateResourceInfo info;

        reconcile_state_info(s, &info);

        r->removed = true;
        r->orphaned_usec = since_usec;
        if (state_store_set_orphaned(m->state, r->key, since_usec) > 0)
                manager_schedule_save(m);
        if (state_store_get(m->state, r->key) && state_store_set_info(m->state, r->key, &info) > 0)
                manager_schedule_save(m);
        (void) workqueue_remove(m->queue, r->key);
        resource_keep(&r->diff, NULL);
        resource_set_state(r, RESOURCE_EVENT_REMOVED, why);
        (void) metrics_gauge_remove(m->metrics->resource_drifted, s->name);
        manager_track_orphan(m, r);
        manager_arm_orphan_timer(m, since_usec + manager_orphan_retention(m));
}

/* The document of r is gone and its live config is left alone: r is listed as orphaned. */
static void resource_orphan(Resource *r, const char *why) {
        Manager *m = r->manager;

        if (manager_orphan_retention(m) == 0) {
                resource_set_state(r, RESOURCE_EVENT_REMOVED, why);
                resource_forget(r, NULL);
                return;
        }
        /* No longer managed: what fired for it is resolved now, not when retention ends. */
        manager_alerts_forget(m, r);
        resource_set_orphaned(r, clock_now_realtime(m->clock), why);
}

/* Removed r keeps its record and its live config for now (its DELETE was refused): it is
 * forgotten when orphanRetention has passed since, as an orphan is, and a restart lists it as
 * one. */
static void resource_hold(Resource *r) {
        Manager *m = r->manager;

        if (r->orphaned_usec == 0)
                r->orphaned_usec = clock_now_realtime(m->clock);
        if (state_store_set_orphaned(m->state, r->key, r->orphaned_usec) > 0)
                manager_schedule_save(m);
        manager_track_orphan(m, r);
        manager_arm_orphan_timer(m, r->orphaned_usec + manager_orphan_retention(m));
}

/* r's document is back: no longer an orphan (its record stays, not orphaned). */
static void resource_unorphan(Resource *r) {
        Manager *m = r->manager;

        resource_untrack_orphan(r);
        if (r->orphaned_usec == 0 && !state_store_get(m->state, r->key))
                return;
        r->orphaned_usec = 0;
        if (state_store_set_orphaned(m->state, r->key, 0) > 0)
                manager_schedule_save(m);
}

/* A Resource for a record without a document: its spec from the record's info (or the key). */
static int manager_add_orphan_from_record(Manager *m, const StateRecord *rec, uint64_t now_rt) {
        _cleanup_(state_resource_info_done) StateResourceInfo parsed = {};
        _cleanup_(resource_spec_freep) ResourceSpec *copy = NULL;
        const StateResourceInfo *i = &rec->info;
        uint64_t since = rec->orphaned_usec ?: now_rt;
        ResourceSpec spec = {};
        Resource *r;

        if ((!i->provider || !i->function || !i->qualifier) &&
            state_record_info_from_key(rec->key, &parsed) >= 0)
                i = &parsed;
        spec.provider = provider_from_string(i->provider);
        if (spec.provider < 0)
                return -EINVAL; /* not a key of ours: leave the record alone */
        spec.name = rec->info.name ?: i->function;
        spec.account = rec->info.account ?: i->account;
        spec.function = spec.id.function = i->function;
        spec.qualifier = spec.id.qualifier = i->qualifier;
        spec.id.provider = spec.provider;
        spec.path = rec->info.file;
        /* The Resource shares its spec (resource_spec_ref()): one of its own, not this one. */
        if (resource_spec_copy(&spec, &copy) < 0)
                return -ENOMEM;
        r = manager_resource_new(m, rec->key, copy);
        if (!r)
                return -ENOMEM;
        if (since + manager_orphan_retention(m) <= now_rt) {
                resource_forget(r, "orphaned long enough (orphanRetention): forgotten");
                return 0;
        }
        resource_set_orphaned(r, since,
                              rec->orphaned_usec ? "still orphaned (no document declares it)"
                                                 : "no document declares it any more: "
                                                   "orphaned (its live config is left alone)");
        return 1;
}

/* Whether a record without a document may be taken for an orphan now: only when the desired
 * state was read completely and without errors (a broken file could have declared it). */
static bool manager_desired_is_complete(const Manager *m) {
        return !m->dir_error && m->desired->n_files > 0 &&
               desired_set_n_files_in_state(m->desired, DESIRED_FILE_ERROR) == 0 &&
               m->desired->scan_diags.n == 0;
}

int manager_orphan_records(Manager *m, char *const *keys, size_t n) {
        uint64_t now_rt = clock_now_realtime(m->clock);
        size_t done = 0;

        if (!manager_desired_is_complete(m))
                return 0;
        for (size_t i = 0; i < n; i++) {
                const StateRecord *rec = state_store_get(m->state, keys[i]);
                int k;

                if (!rec || resource_table_get(&m->table, keys[i]))
                        continue;
                k = manager_add_orphan_from_record(m, rec, now_rt);
                if (k == -ENOMEM)
                        return k;
                done += k > 0;
        }
        return (int) done;
}

/* At start: records of the state store that no document declares (the file was removed while
 * the daemon was down, or it was orphaned before) become orphans: their deletionPolicy is not
 * known any more, and the safe choice is not to delete. */
int manager_orphan_unowned_records(Manager *m) {
        _cleanup_strv_free_ char **gone = NULL;
        size_t n = 0, n_records = state_store_size(m->state);

        if (!manager_desired_is_complete(m))
                return 0;
        /* Keys first: adding orphans may drop records (expired), which moves the others. */
        gone = calloc(n_records + 1, sizeof(char *));
        if (!gone)
                return log_oom();
        for (size_t i = 0; i < n_records; i++) {
                const StateRecord *rec = state_store_get_nth(m->state, i);

                if (!resource_table_get(&m->table, rec->key) && !(gone[n++] = strdup(rec->key)))
                        return log_oom();
        }
        return manager_orphan_records(m, gone, n) == -ENOMEM ? log_oom() : 0;
}

/* ---- deferred deletes ---------------------------------------------------------------------- */

static int on_delete_timer(ClockTimer *t, usec_t usec, void *userdata);

static int manager_arm_delete_timer(Manager *m, uint64_t when) {
        return manager_arm_timer_earliest(m, &m->delete_timer, when, on_delete_timer);
}

/* Whether the grace of r's DELETE is over now; else *next is lowered to when it will be. */
static bool resource_delete_due(Resource *r, usec_t now_usec, usec_t *next) {
        if (r->delete_due_usec == 0)
                return false;
        if (!r->removed) {
                r->delete_due_usec = 0; /* its document came back */
                return false;
        }
        if (r->delete_due_usec > now_usec) {
                *next = MIN(*next, r->delete_due_usec);
                return false;
        }
        r->delete_due_usec = 0;
        r->delete_grace_over = true;
        return true;
}

/* Queues the DELETEs whose grace is over (their document did not come back). */
static int on_delete_timer(ClockTimer *t, usec_t usec, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ Resource **a = NULL;
        usec_t now_usec = clock_now(m->clock), next = USEC_INFINITY;
        size_t n;

        if (m->stopping)
                return 0;
        if (resource_table_sorted(&m->table, NULL, &a, &n) < 0) {
                (void) manager_arm_delete_timer(m, now_usec + USEC_PER_SEC);
                return 0;
        }
        for (size_t i = 0; i < n; i++)
                if (resource_delete_due(a[i], now_usec, &next))
                        (void) manager_enqueue(m, a[i], WORK_PRIORITY_CHANGE);
        if (next != USEC_INFINITY)
                (void) manager_arm_delete_timer(m, next);
        return 0;
}

/* Defers the DELETE of removed r by the grace period: true when deferred (the timer queues it
 * unless its document comes back), false when the grace is over (queue it now). */
static bool resource_defer_delete(Resource *r) {
        Manager *m = r->manager;
        usec_t grace = m->debounce_usec + MANAGER_DELETE_GRACE_USEC;

        if (r->delete_grace_over)
                return false;
        if (r->delete_due_usec == 0)
                r->delete_due_usec = clock_now(m->clock) + grace;
        if (manager_arm_delete_timer(m, r->delete_due_usec) < 0) {
                log_warning("%s: cannot time the deferred delete; deleting at once.",
                            r->spec->name);
                r->delete_due_usec = 0;
                r->delete_grace_over = true;
                return false;
        }
        (void) workqueue_remove(m->queue, r->key); /* no poll runs the DELETE early */
        log_info("%s: document removed; deleting its live config in %llums unless it comes back.",
                 r->spec->name, (unsigned long long) (grace / 1000));
        return true;
}

/* ---- the decision -------------------------------------------------------------------------- */

/* Whether the DELETE of r through client goes where its config was applied (the table in the
 * head comment): DELETE, FORGET (no record: nothing applied) or HOLD. */
static ResourceRemoval resource_removal_decide_target(const Resource *r, CloudClient *client,
                                                      const char **ret_why) {
        const StateRecord *rec = state_store_get(r->manager->state, r->key);
        StateLocation here;

        *ret_why = NULL;
        if (!rec) {
                *ret_why = "document removed; asyncfg never applied its config (no record), so "
                           "nothing is deleted.";
                return RESOURCE_REMOVAL_FORGET;
        }
        reconcile_state_location(cloud_client_get_account(client), &here);
        return state_location_equal(&rec->location, &here) ? RESOURCE_REMOVAL_DELETE
                                                           : RESOURCE_REMOVAL_HOLD;
}

/* What the removal of r does now, and why (for the log and /status). The one decision of the
 * delete path: a check that must keep a DELETE from going out belongs here. client is the one
 * the DELETE would go through when the queue runs it, NULL before (the document just removed,
 * a run ended): where it goes is decided when it is to go, with the account then in force. */
static ResourceRemoval resource_removal_decide(const Resource *r, CloudClient *client,
                                               const char **ret_why) {
        const ResourceSpec *s = r->spec;

        if (r->deleted) {
                *ret_why = "document removed; live config deleted";
                return RESOURCE_REMOVAL_FORGET;
        }
        if (s->deletion_policy == DELETION_POLICY_DELETE && s->management == MANAGEMENT_ENFORCE &&
            !r->manager->stopping) {
                *ret_why = NULL;
                return client ? resource_removal_decide_target(r, client, ret_why)
                              : RESOURCE_REMOVAL_DELETE;
        }
        *ret_why =
                s->management == MANAGEMENT_OBSERVE && s->deletion_policy == DELETION_POLICY_DELETE
                        ? "document removed; observe mode, live config left alone"
                        : "document removed; live config left alone (orphan)";
        return RESOURCE_REMOVAL_ORPHAN;
}

void resource_finish_removal(Resource *r) {
        const char *why;

        if (resource_run_in_flight(r))
                return; /* the run's callback comes back here */
        switch (resource_removal_decide(r, NULL, &why)) {
        case RESOURCE_REMOVAL_FORGET:
                resource_forget(r, why);
                break;
        case RESOURCE_REMOVAL_DELETE:
                if (!resource_defer_delete(r))
                        (void) manager_enqueue(r->manager, r, WORK_PRIORITY_CHANGE);
                break;
        case RESOURCE_REMOVAL_ORPHAN:
                resource_orphan(r, why);
                break;
        case RESOURCE_REMOVAL_HOLD: /* only decided with a client */
                break;
        }
}

static const char *or_default(const char *s, const char *dflt) {
        return s ?: dflt;
}

/* Equal, two NULLs included. */
static bool same(const char *a, const char *b) {
        return a == b || (a && b && streq(a, b));
}

/* How was (the record) and now (the account) differ, for the refusal of a DELETE. */
static int location_difference(const StateLocation *was, const StateLocation *now, char **ret) {
        if (!state_location_is_known(was))
                return asprintf(ret, "its record (written by an older asyncfg) does not say where "
                                     "the config was applied, and no run has confirmed it since");
        if (!same(was->account, now->account))
                return asprintf(ret, "the config was applied through account '%s', not '%s'",
                                was->account, now->account);
        if (!same(was->api, now->api))
                return asprintf(ret, "the config was applied through %s, account '%s' now uses %s",
                                was->api, now->account, now->api);
        if (!same(was->region, now->region))
                return asprintf(ret, "the config was applied in %s, account '%s' is now in %s",
                                was->region, now->account, now->region);
        if (!same(was->account_id, now->account_id))
                return asprintf(ret,
                                "the config was applied with accountId %s, account '%s' now has %s",
                                or_default(was->account_id, "unset"), now->account,
                                or_default(now->account_id, "none"));
        if (!same(was->project_id, now->project_id))
                return asprintf(ret,
                                "the config was applied in project %s, account '%s' is now in %s",
                                or_default(was->project_id, "unset"), now->account,
                                or_default(now->project_id, "none"));
        return asprintf(ret, "the config was applied through endpoint %s, account '%s' now uses %s",
                        or_default(was->endpoint, "(the default)"), now->account,
                        or_default(now->endpoint, "the default"));
}

/* Why the DELETE of r through client is not sent; NULL on out of memory. */
static char *resource_delete_refusal(const Resource *r, CloudClient *client) {
        const StateRecord *rec = state_store_get(r->manager->state, r->key);
        _cleanup_free_ char *diff = NULL;
        char *msg = NULL, keep[32];
        StateLocation here;

        reconcile_state_location(cloud_client_get_account(client), &here);
        if (!rec || location_difference(&rec->location, &here, &diff) < 0)
                return NULL;
        format_duration(keep, sizeof(keep), manager_orphan_retention(r->manager));
        if (asprintf(&msg,
                     "not deleting: %s; put the account back as it was to delete it there, or "
                     "it is forgotten after orphanRetention (%s) and its live config left alone",
                     diff, keep) < 0)
                return NULL;
        return msg;
}

/* Refuses the DELETE of r: error with the reason, and held (resource_hold()). */
static int resource_refuse_delete(Resource *r, CloudClient *client) {
        _cleanup_free_ char *msg = resource_delete_refusal(r, client);
        int k;

        if (!msg)
                return -ENOMEM;
        k = resource_fail_run(r, CLOUD_ERROR_PERMANENT, "delete", msg);
        resource_hold(r);
        return k;
}

int resource_removal_start(Resource *r, CloudClient *client) {
        const char *why;
        ResourceRemoval d = resource_removal_decide(r, client, &why);

        if (d == RESOURCE_REMOVAL_DELETE)
                return 1;
        if (d == RESOURCE_REMOVAL_HOLD)
                return resource_refuse_delete(r, client);
        /* Nothing to send: the queue's item is done, then r goes as decided. */
        (void) workqueue_done(r->manager->queue, r->key, WORK_RESULT_SUCCESS, 0);
        if (d == RESOURCE_REMOVAL_FORGET)
                resource_forget(r, why);
        else
                resource_orphan(r, why);
        return 0;
}

void resource_remove(Resource *r) {
        r->removed = true;
        resource_finish_removal(r);
}

void resource_unremove(Resource *r) {
        r->removed = false;
        r->delete_due_usec = 0;
        r->delete_grace_over = false;
        resource_unorphan(r);
}
