/* SPDX-License-Identifier: MIT */
#pragma once

/* Alerts on drift and on persistent errors (DESIGN.md §4), independent of the manager: the
 * caller reports observations, the engine decides when to fire, remind and resolve, writes a
 * structured journal entry for each, and hands notifications to the sinks (alert-sink.h),
 * which deliver them asynchronously with retries.
 *
 * State per (subject key, kind):
 *
 *   observation \ state   quiet (count < N)              firing
 *   observe, content C    count++; fire when count ≥ N   same fingerprint: nothing is sent (the
 *                                                        summary and fields are updated for
 *                                                        the next reminder); other fingerprint:
 *                                                        the old alert is resolved and a new
 *                                                        one fires at once (the condition has
 *                                                        lasted N detections already; only what
 *                                                        it is about changed)
 *   clear                 forgotten                      "resolved", then forgotten
 *   forget                forgotten                      "resolved" (the resource is no longer
 *                                                        watched: nobody must be left with an
 *                                                        alert that can never resolve)
 *   reminder due (R)      -                              "firing" again, same startsAt and
 *                                                        fingerprint
 *
 * N is policy.fire_after for DRIFT, policy.error_after for ERROR and 1 for CONFLICT (a conflict
 * is already a repeated detection: resource.h); count counts consecutive
 * observations of the condition, whatever their content (a drift that someone keeps changing
 * is still a drift). "Consecutive" means no alerts_clear() in between: in enforce mode a drift
 * that is corrected and found again at every poll (a fight with another tool) fires; one that
 * stays corrected is cleared by the next in-sync observation and never fires (set N to 1 to be
 * told about every single drift).
 *
 * Deduplication is on content only: the fingerprint is a hash of the kind, the subject's key
 * and the caller's canonical content (for a drift the sorted field=value list, for an error its
 * class and code); the summary text never takes part. Fingerprints are stable across restarts
 * (no time in them), so a receiver may deduplicate on them too.
 *
 * Reminders: one timer (lib/clock.h) for the earliest reminder of all firing alerts (a heap);
 * nothing polls. The alert state lives in memory only: after a restart a condition that still
 * holds fires again after N detections, with the same fingerprint.
 *
 * The journal gets one entry per fire, reminder and resolve (fields ALERT=AsyncfgDrift|
 * AsyncfgError|AsyncfgConflict, RESOURCE=, KIND=, STATUS=, FINGERPRINT=, PROVIDER=, ACCOUNT=), with or without
 * sinks. Secrets: the engine never sees one (the callers pass classified errors, not cloud
 * messages; sink secrets stay in alert-sink.c); every string that goes into a payload is capped
 * (ALERT_STRING_MAX) and made valid UTF-8. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/clock.h"
#include "lib/http.h"
#include "reconciler/spec/daemon-config.h"

#define ALERT_FIRE_AFTER_DEFAULT 2u
#define ALERT_ERROR_AFTER_DEFAULT 3u
#define ALERT_REMIND_EVERY_DEFAULT (1 * USEC_PER_HOUR)
/* The longest string (summary, label value, field value) put into a payload, in bytes. */
#define ALERT_STRING_MAX 1024u
/* Hex digits of a fingerprint (the first 64 bits of a SHA-256, like Alertmanager's). */
#define ALERT_FINGERPRINT_LEN 16u

typedef enum AlertKind {
        ALERT_KIND_DRIFT,
        ALERT_KIND_ERROR,
        ALERT_KIND_CONFLICT, /* another writer keeps undoing asyncfg's writes */
        _ALERT_KIND_MAX,
        _ALERT_KIND_INVALID = -22,
} AlertKind;

typedef enum AlertStatus {
        ALERT_STATUS_FIRING,
        ALERT_STATUS_RESOLVED,
        _ALERT_STATUS_MAX,
        _ALERT_STATUS_INVALID = -22,
} AlertStatus;

/* What an alert is about. Borrowed for the call; the engine copies what it keeps. */
typedef struct AlertSubject {
        const char *key;  /* stable identity (the manager's resource key); NULL: name */
        const char *name; /* metadata.name */
        const char *provider, *account, *function, *qualifier; /* account/qualifier may be NULL */
        const char *file; /* where it is declared, may be NULL */
        unsigned line;
        char *const *labels; /* metadata.labels: key, value, ..., NULL; may be NULL */
} AlertSubject;

/* One notification, as the sinks format it (alert-sink.h). Times are CLOCK_REALTIME usec. */
typedef struct AlertMessage {
        AlertKind kind;
        AlertStatus status;
        bool reminder; /* a firing alert sent again */
        const AlertSubject *subject;
        const char *summary;     /* capped, valid UTF-8 */
        const json_t *fields;    /* JSON array (may be empty), never NULL */
        const char *fingerprint; /* ALERT_FINGERPRINT_LEN hex digits */
        uint64_t starts_at;      /* when it fired */
        uint64_t ends_at;        /* resolved: when; firing: 0 */
        uint64_t expires_at;     /* firing: when a receiver that is not reminded may drop it
                                  * (Alertmanager's endsAt for a firing alert); resolved: 0 */
} AlertMessage;

typedef struct Alerts Alerts;

/* Told about each delivery's end: sent (a 2xx answer) or dropped (retries exhausted, a 4xx, a
 * full queue, a sink removed by alerts_set_sinks()). For asyncfg_alerts_sent_total. */
typedef void (*AlertsDeliveryObserver)(const char *sink, AlertStatus status, bool sent,
                                       void *userdata);

const char *alert_kind_to_string(AlertKind k); /* "drift", "error", "conflict" */
AlertKind alert_kind_from_string(const char *s);
const char *alert_status_to_string(AlertStatus s); /* "firing", "resolved" */
AlertStatus alert_status_from_string(const char *s);
/* "AsyncfgDrift", "AsyncfgError", "AsyncfgConflict". */
const char *alert_kind_alertname(AlertKind k);

/* policy NULL or 0 fields: the defaults above. The sinks' configurations are copied. Timers
 * run on clock; deliveries on http (both must outlive the engine). 0, -EINVAL (an unknown sink
 * type), -ENOMEM. */
int alerts_new(Clock *clock, HttpEngine *http, const AlertConfig *cfgs, size_t n,
               const AlertPolicy *policy, Alerts **ret);
/* Deliveries in flight are cancelled (not sent); nothing is resolved. Accepts NULL. */
Alerts *alerts_free(Alerts *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(Alerts *, alerts_free);

/* Reload: sinks equal in name, type, url and secret are kept with their queues; the others
 * are dropped (pending notifications with them) and new ones start empty (they hear of the
 * alerts firing now at the next reminder). The alert state is kept; a new policy applies from
 * the next observation (and the next reminder that is armed). 0, -EINVAL, -ENOMEM (then
 * nothing changed). */
int alerts_reconfigure(Alerts *a, const AlertConfig *cfgs, size_t n, const AlertPolicy *policy);

void alerts_set_observer(Alerts *a, AlertsDeliveryObserver cb, void *userdata);

/* One detection of the condition kind on s. content: the canonical content (what dedupe is
 * on); summary: one line for people; fields: a JSON array of details for the payloads (NULL:
 * none; copied). Returns 1 when a notification was issued, 0 otherwise, -ENOMEM. */
int alerts_observe(Alerts *a, const AlertSubject *s, AlertKind kind, const char *content,
                   const char *summary, const json_t *fields);
/* The condition is gone: "resolved" if it had fired. 1 if resolved, 0 otherwise. */
int alerts_clear(Alerts *a, const AlertSubject *s, AlertKind kind);
/* The subject is gone: every kind is cleared (see the table above). 1 if anything resolved. */
int alerts_forget(Alerts *a, const AlertSubject *s);

/* Introspection (tests, /status): whether (s, kind) is firing, its count of detections and
 * fingerprint (NULL when there is no state). */
bool alerts_is_firing(const Alerts *a, const AlertSubject *s, AlertKind kind);
unsigned alerts_get_count(const Alerts *a, const AlertSubject *s, AlertKind kind);
const char *alerts_get_fingerprint(const Alerts *a, const AlertSubject *s, AlertKind kind);
/* Whether (s, kind) is firing; if so, when it fired (CLOCK_REALTIME usec, the startsAt of its
 * notifications) and its fingerprint (a copy, so the caller may keep it). Read-only. */
typedef struct AlertFiring {
        uint64_t since;
        char fingerprint[ALERT_FINGERPRINT_LEN + 1];
} AlertFiring;
bool alerts_get_firing(const Alerts *a, const AlertSubject *s, AlertKind kind, AlertFiring *ret);
/* A copy of s (NULL: "") of at most max bytes plus "..." when cut (at a character boundary),
 * with invalid UTF-8 bytes as '?' and control characters as ' '. 0 or -ENOMEM. */
int alert_string_sanitize(const char *s, size_t max, char **ret);

/* Notifications queued or in flight, all sinks. */
size_t alerts_pending(const Alerts *a);
