/* SPDX-License-Identifier: MIT */

/* Orphans: resources whose document is gone while their live config is left alone
 * (deletionPolicy orphan, or observe mode), and state-store records that no document declares
 * any more after a restart.
 *
 * An orphan stays in the runtime table in state `orphaned` (counted in STATUS= and
 * asyncfg_resources{state="orphaned"}, listed in /status with the name, provider, account,
 * function and qualifier its record keeps) and is never queued. Its state-store record is kept
 * and marked orphaned (orphanedAtUsec), so the listing survives restarts.
 *
 * How an orphan leaves (the operator's choice in the daemon configuration):
 *   - its document comes back (same identity): it is managed again, and its last-applied
 *     record is still there to tell drift from change;
 *   - orphanRetention (default 24h) after it was orphaned, it is forgotten: out of the table,
 *     the record dropped from the state store (ownership given up). 0s forgets at once.
 * A resource without a record (never applied, or observe mode never in sync) owns nothing: it
 * is listed until the retention ends or the daemon restarts, whichever comes first. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "reconciler/daemon/manager-internal.h"
#include "reconciler/core/reconcile.h"

static usec_t manager_orphan_retention(const Manager *m) {
        return m->gen->config->orphan_retention;
}

/* Forgets r: out of the state store, the counts, the metrics, the queue and the table. */
void manager_resource_forget(Manager *m, Resource *r, const char *why) {
        if (state_store_remove(m->state, r->key) > 0)
                manager_schedule_save(m);
        if (why)
                log_info("%s: %s", r->spec->name, why);
        manager_resource_drop(m, r);
}

static int on_orphan_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* Arms the expiry timer for the earliest orphan (CLOCK_REALTIME: orphanedAtUsec is wall
 * time, and survives restarts). */
static void manager_arm_orphan_timer(Manager *m, uint64_t when) {
        if (manager_arm_timer_earliest(m, &m->orphan_timer, CLOCK_REALTIME, when, USEC_PER_SEC,
                                       on_orphan_timer) < 0)
                log_warning("Cannot time the expiry of orphans; they stay listed.");
}

/* Forgets the orphans whose retention is over; re-arms for the next one. */
static int on_orphan_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ Resource **a = NULL;
        uint64_t now = now_realtime_usec(), next = UINT64_MAX;
        usec_t keep = manager_orphan_retention(m);
        size_t n;

        if (resource_table_sorted(&m->table, NULL, &a, &n) < 0) {
                manager_arm_orphan_timer(m, now + USEC_PER_SEC);
                return 0;
        }
        for (size_t i = 0; i < n; i++) {
                Resource *r = a[i];

                /* Orphans, and removed resources held (manager_resource_hold()). */
                if (!r->removed || r->orphaned_usec == 0 || r->run)
                        continue;
                if (r->orphaned_usec + keep <= now)
                        manager_resource_forget(m, r, "orphaned long enough (orphanRetention): "
                                                      "forgotten");
                else
                        next = MIN(next, r->orphaned_usec + keep);
        }
        if (next != UINT64_MAX)
                manager_arm_orphan_timer(m, next);
        return 0;
}

/* Marks r orphaned since since_usec (its record too, when it has one). */
static void manager_resource_set_orphaned(Manager *m, Resource *r, uint64_t since_usec,
                                          const char *why) {
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
        json_decref(r->diff_json);
        r->diff_json = NULL;
        manager_resource_event(m, r, RESOURCE_EVENT_REMOVED, why);
        (void) metrics_gauge_remove(m->metrics->resource_drifted, s->name);
        manager_arm_orphan_timer(m, since_usec + manager_orphan_retention(m));
}

void manager_resource_hold(Manager *m, Resource *r) {
        if (r->orphaned_usec == 0)
                r->orphaned_usec = now_realtime_usec();
        if (state_store_set_orphaned(m->state, r->key, r->orphaned_usec) > 0)
                manager_schedule_save(m);
        manager_arm_orphan_timer(m, r->orphaned_usec + manager_orphan_retention(m));
}

void manager_resource_orphan(Manager *m, Resource *r, const char *why) {
        if (manager_orphan_retention(m) == 0) {
                manager_resource_event(m, r, RESOURCE_EVENT_REMOVED, why);
                manager_resource_forget(m, r, NULL);
                return;
        }
        /* No longer managed: what fired for it is resolved now, not when retention ends. */
        manager_alerts_forget(m, r);
        manager_resource_set_orphaned(m, r, now_realtime_usec(), why);
}

void manager_resource_unorphan(Manager *m, Resource *r) {
        if (r->orphaned_usec == 0 && !state_store_get(m->state, r->key))
                return;
        r->orphaned_usec = 0;
        if (state_store_set_orphaned(m->state, r->key, 0) > 0)
                manager_schedule_save(m);
}

/* A Resource for a record without a document: its spec from the record's info (or the key). */
static int manager_add_orphan_from_record(Manager *m, const StateRecord *rec, uint64_t now) {
        _cleanup_(state_resource_info_done) StateResourceInfo parsed = {};
        const StateResourceInfo *i = &rec->info;
        uint64_t since = rec->orphaned_usec ?: now;
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
        r = manager_resource_new(m, rec->key, &spec);
        if (!r)
                return -ENOMEM;
        if (since + manager_orphan_retention(m) <= now) {
                manager_resource_forget(m, r, "orphaned long enough (orphanRetention): forgotten");
                return 0;
        }
        manager_resource_set_orphaned(m, r, since,
                                      rec->orphaned_usec ? "still orphaned (no document declares it)"
                                                         : "no document declares it any more: "
                                                           "orphaned (its live config is left alone)");
        return 1;
}

/* At start: records of the state store that no document declares (the file was removed while
 * the daemon was down, or it was orphaned before) become orphans: their deletionPolicy is not
 * known any more, and the safe choice is not to delete. Only when the desired state was read
 * completely and without errors: a broken file could have declared them. */
int manager_orphan_unowned_records(Manager *m) {
        _cleanup_strv_free_ char **gone = NULL;
        size_t n = 0, n_records = state_store_size(m->state);
        uint64_t now = now_realtime_usec();

        if (m->dir_error || m->desired->n_files == 0 ||
            desired_set_n_files_in_state(m->desired, DESIRED_FILE_ERROR) > 0 ||
            m->desired->scan_diags.n > 0)
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
        for (size_t i = 0; i < n; i++) {
                const StateRecord *rec = state_store_get(m->state, gone[i]);

                if (rec && manager_add_orphan_from_record(m, rec, now) == -ENOMEM)
                        return -ENOMEM;
        }
        return (int) n;
}
