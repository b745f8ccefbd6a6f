/* SPDX-License-Identifier: MIT */

/* Write conflicts (resource.h): another writer keeps undoing what asyncfg writes. Without this a
 * resource that someone keeps changing back is written again at every poll, forever, and the
 * operator sees only a drift that "was corrected" each time. Here the second reversal within
 * a window makes it a conflict: its writes back off, it is counted, alerted on and logged once,
 * and /status shows it; it ends when a window passes without a reversal, or when its YAML
 * changes (the new document deserves a write at once). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/log.h"
#include "lib/time-util.h"
#include "reconciler/daemon/manager-internal.h"

/* The shortest window: polls every minute must still see two reversals within it. */
#define CONFLICT_WINDOW_MIN_USEC (10 * USEC_PER_MINUTE)

static usec_t resource_resync(const Resource *r) {
        return r->spec->resync_interval ?: r->manager->gen->config->resync_interval;
}

/* max(2 × resyncInterval, 10 min): a reversal seen one poll after a write always falls in it. */
static usec_t conflict_window(const Resource *r) {
        return MAX(2 * resource_resync(r), (usec_t) CONFLICT_WINDOW_MIN_USEC);
}

/* The hold of the writes after the n-th reversal (n ≥ 2): base doubling per repeat, up to the
 * window (or backoff.cap if longer), so that a conflict that lasts writes about once a window. */
static usec_t conflict_hold(const Resource *r, unsigned n) {
        const DaemonConfig *c = r->manager->gen->config;
        usec_t cap = MAX(conflict_window(r), c->backoff_cap), hold = c->backoff_base;

        for (unsigned i = 2; i < n && hold < cap; i++)
                hold *= 2;
        return MIN(hold, cap);
}

static usec_t manager_clock_now(const Resource *r) {
        return clock_now(r->manager->clock);
}

bool resource_in_conflict(const Resource *r) {
        return r->conflict && r->conflict->count >= 2;
}

void resource_conflict_on_write(Resource *r) {
        r->written_at = manager_clock_now(r);
}

/* The fields that the last write of r set, as a set (r->last_write: what it fixed). */
static AsyncFieldSet resource_written_fields(const Resource *r) {
        AsyncFieldSet set = 0;

        for (size_t i = 0; r->last_write && i < r->last_write->n_entries; i++)
                set |= ASYNC_FIELD_BIT(r->last_write->entries[i].field);
        return set;
}

/* "maxRetryAttempts, onFailure" (at most every field's name). */
static void conflict_fields_text(AsyncFieldSet set, char *buf, size_t size) {
        size_t n = 0;

        buf[0] = 0;
        for (AsyncField f = 0; f < _ASYNC_FIELD_MAX && n < size; f++)
                if (ASYNC_FIELD_IN_SET(set, f))
                        n += (size_t) snprintf(buf + n, size - n, "%s%s", n ? ", " : "",
                                               async_field_to_string(f));
}

/* The conflict began (the second reversal) or goes on (a further one). */
static void resource_conflict_report(Resource *r, const Diff *d) {
        ResourceConflict *c = r->conflict;
        Manager *m = r->manager;
        char fields[512], summary[768], since[32] = "?", hold_text[32];
        usec_t hold = conflict_hold(r, c->count);

        c->write_held_until = manager_clock_now(r) + hold;
        conflict_fields_text(c->fields, fields, sizeof(fields));
        (void) manager_format_time(c->since_usec, since);
        snprintf(summary, sizeof(summary), "someone keeps changing %s back (%u times since %s)",
                 fields, c->count, since);
        (void) metrics_counter_inc(m->metrics->write_conflicts_total,
                                   provider_to_string(r->spec->provider));
        manager_alerts_on_conflict(m, r, d, c->fields, summary);
        if (c->count > 2)
                return;
        m->n_conflicts++;
        resource_log(LOG_WARNING, r, 0,
                     "write conflict: another writer keeps changing %s back (%u times since %s); "
                     "asyncfg's writes back off (doubling from %s), polls and reports go on",
                     fields, c->count, since, format_duration(hold_text, sizeof(hold_text), hold));
}

void resource_conflict_on_drift(Resource *r, const Diff *d) {
        AsyncFieldSet reverted = d ? d->drift & resource_written_fields(r) : 0;
        usec_t t = manager_clock_now(r);
        ResourceConflict *c = r->conflict;

        if (!reverted || r->written_at == 0 || t - r->written_at > conflict_window(r))
                return;
        if (c && c->counted_write == r->written_at)
                return; /* this write's reversal is counted already */
        if (!c) {
                c = r->conflict = calloc(1, sizeof(ResourceConflict));
                if (!c)
                        return (void) log_oom();
                c->since_usec = clock_now_realtime(r->manager->clock);
        }
        c->counted_write = r->written_at;
        c->fields |= reverted;
        c->count++;
        c->last_seen = t;
        c->last_seen_usec = clock_now_realtime(r->manager->clock);
        if (c->count >= 2)
                resource_conflict_report(r, d);
}

bool resource_conflict_write_held(Resource *r) {
        return resource_in_conflict(r) && manager_clock_now(r) < r->conflict->write_held_until;
}

void resource_conflict_reset(Resource *r, const char *why) {
        bool was = resource_in_conflict(r);

        /* A drift of what was written before is not a reversal of what is written next. */
        r->written_at = 0;
        if (!r->conflict)
                return;
        free(r->conflict);
        r->conflict = NULL;
        if (!was)
                return;
        r->manager->n_conflicts--;
        manager_alerts_conflict_over(r->manager, r);
        if (why)
                resource_log(LOG_INFO, r, 0, "write conflict over: %s", why);
        manager_schedule_publish(r->manager);
}

void resource_conflict_on_quiet(Resource *r) {
        if (!r->conflict || manager_clock_now(r) - r->conflict->last_seen < conflict_window(r))
                return;
        resource_conflict_reset(r, "no write of asyncfg was undone for a window");
}

json_t *resource_conflict_json(const Resource *r) {
        const ResourceConflict *c = r->conflict;
        Clock *clock = r->manager->clock;
        json_t *fields = json_array(), *o;
        char since[32] = "", last[32] = "", held[32];
        usec_t t = clock_now(clock);

        if (!resource_in_conflict(r) || !fields)
                return json_decref(fields), NULL;
        for (AsyncField f = 0; f < _ASYNC_FIELD_MAX; f++)
                if (ASYNC_FIELD_IN_SET(c->fields, f))
                        (void) json_array_append_new(fields, json_string(async_field_to_string(f)));
        (void) manager_format_time(c->since_usec, since);
        (void) manager_format_time(c->last_seen_usec, last);
        o = json_pack("{s:o, s:i, s:s, s:s}", "fields", fields, "count", (json_int_t) c->count,
                      "since", since, "last_seen", last);
        if (o && c->write_held_until > t &&
            manager_format_time(clock_now_realtime(clock) + (c->write_held_until - t), held) >= 0)
                json_object_set_new(o, "writes_held_until", json_string(held));
        return o;
}
