/* SPDX-License-Identifier: MIT */

/* The manager's side of alerts (reconciler/daemon/alerts.h): what counts as a detection, with which
 * content, and when a condition is gone. Called from the ends of runs (resource.c), from
 * the removal of a resource, and when a configuration is put in force (load, SIGHUP).
 *
 *   run result                         DRIFT                         ERROR
 *   in sync                            clear                         clear
 *   created / updated (enforce)        observe if drift was found     clear
 *                                      (live ≠ last applied), else
 *                                      clear
 *   would create / update (observe)    observe (live ≠ desired)       clear
 *   failed (any step, any cause)       unchanged (nothing was seen)   observe (not while stopping:
 *                                                                    cancelled runs)
 *   resource removed                   forget (resolves what fired)
 *
 * CONFLICT (resource-conflict.c) is observed at each reversal of a resource in conflict and
 * cleared when the conflict is over; its content is the names of the fields fought over.
 *
 * Content (what deduplication is on): for a drift the fields that differ with their live and
 * desired values as canonical JSON, in field order; for an error the step, the error class,
 * the HTTP status and the cloud's error code (or the errno) — never the cloud's message, which
 * may carry request details and changes between attempts. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "reconciler/daemon/manager-internal.h"

static AlertSubject resource_alert_subject(const Resource *r) {
        const ResourceSpec *s = r->spec;

        return (AlertSubject){
                .key = r->key,
                .name = s->name,
                .provider = provider_to_string(s->provider),
                .account = s->account,
                .function = s->function,
                .qualifier = s->qualifier,
                .file = s->path,
                .line = s->line,
                .labels = s->labels,
        };
}

static void on_alert_delivery(const char *sink, AlertStatus status, bool sent, void *userdata) {
        Manager *m = userdata;

        (void) metrics_counter_inc(sent ? m->metrics->alerts_sent_total
                                        : m->metrics->alerts_dropped_total,
                                   sink, alert_status_to_string(status));
}

int manager_alerts_configure(Manager *m) {
        const DaemonConfig *c = m->gen->config;
        int k;

        if (m->alerts)
                k = alerts_reconfigure(m->alerts, c->alerts, c->n_alerts, &c->alerting);
        else
                k = alerts_new(m->clock, m->http, c->alerts, c->n_alerts, &c->alerting, &m->alerts);
        if (k < 0)
                return log_error_errno(k, "Failed to set up the alert sinks: %m");
        alerts_set_observer(m->alerts, on_alert_delivery, m);
        return 0;
}

/* The drift as content, summary and fields; only the drifted fields when drift_only (enforce:
 * live ≠ last applied), all differing fields otherwise. 0 with nothing set when there is none. */
static int drift_describe(const Diff *d, bool drift_only, char **ret_content, char **ret_summary,
                          json_t **ret_fields) {
        _cleanup_free_ char *content = NULL, *summary = NULL;
        size_t content_size = 0, summary_size = 0;
        FILE *c = open_memstream(&content, &content_size),
             *s = open_memstream(&summary, &summary_size);
        json_t *fields = json_array();
        unsigned n = 0;

        for (size_t i = 0; c && s && fields && d && i < d->n_entries; i++) {
                const DiffEntry *e = &d->entries[i];
                _cleanup_free_ char *from = NULL, *to = NULL, *text = NULL;
                json_t *j = NULL;

                if (drift_only && !e->drift)
                        continue;
                if (diff_entry_to_json(d, e, &j) < 0)
                        break;
                from = json_dumps(json_object_get(j, "from"),
                                  JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
                to = json_dumps(json_object_get(j, "to"),
                                JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
                (void) diff_format_field_value(d, e, &text);
                fprintf(c, "%s=%s->%s\n", strna(json_string_value(json_object_get(j, "field"))),
                        strna(from), strna(to));
                fprintf(s, "%s%s",
                        n++ ? "; " : "live differs from desired (live → desired): ", strna(text));
                (void) json_array_append_new(fields, j);
        }
        if (!c || !s || fclose(c) != 0 || fclose(s) != 0 || !fields) {
                json_decref(fields);
                return -ENOMEM;
        }
        if (n == 0) {
                json_decref(fields);
                return 0;
        }
        *ret_content = TAKE_PTR(content);
        *ret_summary = TAKE_PTR(summary);
        *ret_fields = fields;
        return 1;
}

static void manager_alerts_drift(Manager *m, Resource *r, const Diff *d, bool drift_only) {
        AlertSubject s = resource_alert_subject(r);
        _cleanup_free_ char *content = NULL, *summary = NULL;
        json_t *fields = NULL;
        int k = drift_describe(d, drift_only, &content, &summary, &fields);

        if (k < 0)
                log_oom();
        else if (k == 0)
                (void) alerts_clear(m->alerts, &s, ALERT_KIND_DRIFT);
        else if (alerts_observe(m->alerts, &s, ALERT_KIND_DRIFT, content, summary, fields) < 0)
                log_oom();
        json_decref(fields);
}

void manager_alerts_on_run(Manager *m, Resource *r, ReconcileOutcome outcome, const Diff *diff) {
        AlertSubject s = resource_alert_subject(r);

        if (!m->alerts || outcome == RECONCILE_ERROR)
                return;
        (void) alerts_clear(m->alerts, &s, ALERT_KIND_ERROR);
        switch (outcome) {
        case RECONCILE_CREATED:
        case RECONCILE_UPDATED:
                manager_alerts_drift(m, r, r->drift ? diff : NULL, true);
                break;
        case RECONCILE_WOULD_CREATE:
        case RECONCILE_WOULD_UPDATE:
                manager_alerts_drift(m, r, diff, false);
                break;
        default:
                (void) alerts_clear(m->alerts, &s, ALERT_KIND_DRIFT);
                break;
        }
}

char *manager_alerts_error_content(const char *what, CloudErrorClass class, const CloudError *e) {
        char *content;

        /* No errno: a failure without an answer is one condition whatever the socket said. An
         * unreachable endpoint alternates between "connection refused" and "reset by peer",
         * and each new content resolved the alert and fired another one: up to 8 alerts per
         * resource in a 20 s outage (tests/reliability/test_outage.py). */
        if (asprintf(&content, "%s/%s/%ld/%.64s", what, cloud_error_class_to_string(class),
                     e ? e->http_status : 0, e && e->code ? e->code : "") < 0)
                return NULL;
        return content;
}

void manager_alerts_on_error(Manager *m, Resource *r, CloudErrorClass class, const CloudError *e,
                             const char *what) {
        AlertSubject s = resource_alert_subject(r);
        _cleanup_free_ char *content = NULL, *summary = NULL;
        char detail[128] = "";

        /* Runs cancelled by a stop are no observation of the cloud. */
        if (!m->alerts || m->stopping)
                return;
        if (e && e->http_status > 0)
                snprintf(detail, sizeof(detail), " (HTTP %ld%s%.64s)", e->http_status,
                         e->code ? " " : "", e->code ?: "");
        else if (e && e->error < 0)
                snprintf(detail, sizeof(detail), " (%s)", strerror(-e->error));
        content = manager_alerts_error_content(what, class, e);
        if (!content ||
            asprintf(&summary, "%s failed: %s%s", what, cloud_error_class_to_string(class),
                     detail) < 0 ||
            alerts_observe(m->alerts, &s, ALERT_KIND_ERROR, content, summary, NULL) < 0)
                log_oom();
}

json_t *manager_alerts_status_json(const Manager *m, const Resource *r) {
        AlertSubject s = resource_alert_subject(r);
        json_t *list = NULL;

        for (AlertKind k = 0; m->alerts && k < _ALERT_KIND_MAX; k++) {
                AlertFiring f;
                char since[32];

                if (!alerts_get_firing(m->alerts, &s, k, &f))
                        continue;
                if (!list && !(list = json_array()))
                        return NULL;
                (void) json_array_append_new(
                        list,
                        json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", alert_kind_to_string(k),
                                  "alertname", alert_kind_alertname(k), "status",
                                  alert_status_to_string(ALERT_STATUS_FIRING), "since",
                                  manager_format_time(f.since, since) < 0 ? "" : since,
                                  "fingerprint", f.fingerprint));
        }
        return list;
}

void manager_alerts_on_conflict(Manager *m, Resource *r, const Diff *d, AsyncFieldSet set,
                                const char *summary) {
        AlertSubject s = resource_alert_subject(r);
        _cleanup_free_ char *drift_content = NULL, *drift_summary = NULL;
        char content[512] = "conflict";
        json_t *fields = NULL;
        size_t n = strlen(content);

        if (!m->alerts)
                return;
        /* Deduplicated on which fields are fought over, not on the values they swing between. */
        for (AsyncField f = 0; f < _ASYNC_FIELD_MAX && n < sizeof(content); f++)
                if (ASYNC_FIELD_IN_SET(set, f))
                        n += (size_t) snprintf(content + n, sizeof(content) - n, " %s",
                                               async_field_to_string(f));
        if (drift_describe(d, true, &drift_content, &drift_summary, &fields) < 0 ||
            alerts_observe(m->alerts, &s, ALERT_KIND_CONFLICT, content, summary, fields) < 0)
                log_oom();
        json_decref(fields);
}

void manager_alerts_conflict_over(Manager *m, Resource *r) {
        AlertSubject s = resource_alert_subject(r);

        if (m->alerts)
                (void) alerts_clear(m->alerts, &s, ALERT_KIND_CONFLICT);
}

void manager_alerts_forget(Manager *m, Resource *r) {
        AlertSubject s = resource_alert_subject(r);

        if (m->alerts)
                (void) alerts_forget(m->alerts, &s);
}
