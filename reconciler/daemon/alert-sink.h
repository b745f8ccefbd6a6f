/* SPDX-License-Identifier: MIT */
#pragma once

/* Where alert notifications go (DESIGN.md §4): one AlertSink per `alerts:` entry of the daemon
 * configuration, each a small table-driven back end (AlertSinkOps) plus one delivery queue.
 *
 * Back ends (alert-payload.c), what they POST:
 *   webhook       {url} as is, application/json:
 *                 {"status": "firing"|"resolved", "kind": "drift"|"error",
 *                  "resource": {"name", "provider", "account", "function", "qualifier", "file",
 *                               "line", "labels": {...}},
 *                  "fields": [...], "summary", "fingerprint", "startsAt", "endsAt" (resolved)}
 *                 With a secret: "X-Asyncfg-Timestamp: <Unix seconds>" and
 *                 "X-Asyncfg-Signature: sha256=<lower-case hex HMAC-SHA256(secret,
 *                 <timestamp> "." <body>)>". The timestamp is inside the MAC so that a captured
 *                 request cannot be replayed later: a receiver recomputes the MAC over the
 *                 header's timestamp, compares in constant time and refuses a timestamp more
 *                 than 5 minutes away from its clock. Each retry is signed afresh.
 *   slack         {url} (an incoming-webhook URL), {"text": "<one short line>"}; no secret (the
 *                 URL is the secret: it is never logged).
 *   alertmanager  {url}/api/v2/alerts, a JSON array of one alert:
 *                 [{"labels": {"alertname": "AsyncfgDrift"|"AsyncfgError", "resource",
 *                              "provider", "account", "function", "qualifier", + the resource's
 *                              labels (names made Prometheus-safe; ours win on a clash)},
 *                   "annotations": {"summary", "description", "fingerprint"},
 *                   "startsAt", "endsAt"}]
 *                 A firing alert carries endsAt = now + 3 × the reminder interval: Alertmanager
 *                 resolves an alert without endsAt after its resolve_timeout (5m by default),
 *                 long before the next reminder; with it, the alert stays up between reminders
 *                 and still expires if asyncfgd dies. A resolved alert carries endsAt = when.
 *
 * Delivery: a FIFO per sink with one request in flight (so a "resolved" never overtakes its
 * "firing"), at most ALERT_SINK_QUEUE_MAX notifications (beyond that new ones are dropped, with
 * one warning per episode). A failed POST (no answer, 5xx, 429) is retried with backoff
 * (lib/backoff.h, 1 s .. 30 s, Retry-After honoured) up to ALERT_SINK_ATTEMPTS times in
 * all, then dropped with one warning; any other non-2xx answer is dropped at once. Nothing
 * blocks: requests go through lib/http, waits through a lib/clock.h timer. Log lines name the
 * sink, never its URL or secret. */

#include <stdbool.h>
#include <stddef.h>

#include "lib/clock.h"
#include "lib/http.h"
#include "reconciler/daemon/alerts.h"
#include "reconciler/spec/daemon-config.h"

#define ALERT_SINK_QUEUE_MAX 1024u
#define ALERT_SINK_ATTEMPTS 4u
#define ALERT_SINK_TIMEOUT_USEC (10 * USEC_PER_SEC)
#define ALERT_SINK_BACKOFF_BASE USEC_PER_SEC
#define ALERT_SINK_BACKOFF_CAP (30 * USEC_PER_SEC)
/* A firing alert's expiry for receivers that are not reminded, in reminder intervals. */
#define ALERT_EXPIRY_REMINDERS 3u

typedef struct AlertSinkOps {
        AlertType type;
        /* The URL to POST to, from the configured one. 0 or -ENOMEM. */
        int (*url)(const char *configured, char **ret);
        /* The body for one notification (a fresh string). 0 or -ENOMEM. */
        int (*format)(const AlertMessage *m, char **ret);
        /* Extra headers at send time (signing); NULL: none. 0 or a negative errno. */
        int (*sign)(HttpRequest *r, const char *secret, const char *body, uint64_t now_realtime);
} AlertSinkOps;

extern const AlertSinkOps alert_sink_webhook, alert_sink_slack, alert_sink_alertmanager;
/* The back end of a type, or NULL. */
const AlertSinkOps *alert_sink_ops_for(AlertType t);

/* For the tests and the receivers' documentation: the signature header's value for body sent
 * at timestamp ts ("sha256=<hex>"). 0 or -EIO. */
int alert_sink_signature(const char *secret, const char *timestamp, const char *body,
                         char ret[static 7 + 64 + 1]);
/* RFC 3339 UTC with milliseconds ("2024-05-01T12:00:00.123Z") into buf (≥ 32 bytes). */
char *alert_format_time(uint64_t realtime_usec, char buf[static 32]);

typedef struct AlertSink AlertSink;

/* cfg is copied. observer may be NULL. 0, -EINVAL (unknown type), -ENOMEM. */
int alert_sink_new(Clock *clock, HttpEngine *http, const AlertConfig *cfg,
                   AlertsDeliveryObserver observer, void *userdata, AlertSink **ret);
/* Cancels the request in flight and drops what is queued (reported to the observer as
 * dropped unless quiet). Accepts NULL. */
AlertSink *alert_sink_free(AlertSink *s, bool quiet);

/* Formats m and queues it. 1 queued, 0 dropped (queue full), -ENOMEM. */
int alert_sink_enqueue(AlertSink *s, const AlertMessage *m);
/* Same name, type, URL and secret. */
bool alert_sink_matches(const AlertSink *s, const AlertConfig *cfg);
const char *alert_sink_name(const AlertSink *s);
size_t alert_sink_pending(const AlertSink *s);
