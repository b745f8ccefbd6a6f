/* SPDX-License-Identifier: MIT */

/* One alert sink's delivery queue (alert-sink.h): FIFO, one request in flight, retries with
 * backoff on a lib/clock.h timer, bounded. A delivery in flight when its sink is freed is
 * detached (its sink pointer cleared) and frees itself in its callback, which lib/http always
 * delivers, cancellation included. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/http.h"
#include "lib/log.h"
#include "lib/rng.h"
#include "reconciler/daemon/alert-sink.h"
#include "lib/backoff.h"
#include "lib/time-util.h"

typedef struct AlertDelivery {
        struct AlertDelivery *next;
        AlertSink *sink; /* NULL once the sink is gone (the request still in flight) */
        char *body;
        AlertStatus status;
        Backoff backoff;
        unsigned attempts;
} AlertDelivery;

struct AlertSink {
        const AlertSinkOps *ops;
        char *name, *url, *configured_url, *secret;
        AlertType type;
        Clock *clock;
        HttpEngine *http;
        ClockTimer *retry_timer;
        Rng rng;
        AlertDelivery *head, *tail; /* head is the one in flight or waiting to retry */
        size_t n_queued;
        HttpRequest *request;  /* head's, while in flight */
        unsigned dropped_full; /* since the last warning */
        AlertsDeliveryObserver observer;
        void *userdata;
};

static AlertDelivery *delivery_free(AlertDelivery *d) {
        if (d) {
                free(d->body);
                free(d);
        }
        return NULL;
}

static void sink_report(AlertSink *s, AlertStatus status, bool sent) {
        if (s->observer)
                s->observer(s->name, status, sent, s->userdata);
}

static void sink_start_next(AlertSink *s);

/* Takes the head off the queue (done or dropped) and goes on with the next one. */
static void sink_pop(AlertSink *s) {
        AlertDelivery *d = s->head;

        s->head = d->next;
        if (!s->head)
                s->tail = NULL;
        s->n_queued--;
        delivery_free(d);
        if (s->n_queued == 0 && s->dropped_full > 0) {
                log_warning("Alert sink '%s': %u notifications were dropped while its queue was "
                            "full.",
                            s->name, s->dropped_full);
                s->dropped_full = 0;
        }
        sink_start_next(s);
}

/* Whether a failed attempt is worth another: no answer, 5xx, 429, 408. */
static bool delivery_retryable(int error, const HttpResponse *resp) {
        if (error < 0)
                return error != -EINVAL && error != -ENOMEM;
        return resp->status >= 500 || resp->status == 429 || resp->status == 408;
}

static void sink_failed(AlertSink *s, AlertDelivery *d, int error, const HttpResponse *resp) {
        uint64_t retry_after = 0;
        char why[64];
        const char *ra;

        if (error < 0)
                snprintf(why, sizeof(why), "%s", strerror(-error));
        else
                snprintf(why, sizeof(why), "HTTP %ld", resp->status);
        if (d->attempts < ALERT_SINK_ATTEMPTS && delivery_retryable(error, resp)) {
                if (resp && (ra = http_response_header(resp, "Retry-After")))
                        (void) http_parse_retry_after(ra, now(CLOCK_REALTIME), &retry_after);
                usec_t delay = backoff_next(&d->backoff, &s->rng, retry_after);
                log_debug("Alert sink '%s': delivery failed (%s), retrying in %llums.", s->name,
                          why, (unsigned long long) (delay / USEC_PER_MSEC));
                if (clock_timer_arm(s->retry_timer, clock_now(s->clock) + delay) >= 0)
                        return;
        }
        /* One line per dropped notification: they are rare and each one is a lost alert. */
        log_warning("Alert sink '%s': dropping a '%s' notification after %u attempt%s (%s).",
                    s->name, alert_status_to_string(d->status), d->attempts,
                    d->attempts == 1 ? "" : "s", why);
        sink_report(s, d->status, false);
        sink_pop(s);
}

static void on_delivered(HttpRequest *req, int error, const HttpResponse *resp, void *userdata) {
        AlertDelivery *d = userdata;
        AlertSink *s = d->sink;

        if (!s) {
                delivery_free(d); /* the sink was freed while this was in flight */
                return;
        }
        s->request = NULL;
        if (error == 0 && resp->status >= 200 && resp->status < 300) {
                log_debug("Alert sink '%s': '%s' delivered (HTTP %ld).", s->name,
                          alert_status_to_string(d->status), resp->status);
                sink_report(s, d->status, true);
                sink_pop(s);
                return;
        }
        sink_failed(s, d, error, error == 0 ? resp : NULL);
}

static int sink_send(AlertSink *s, AlertDelivery *d) {
        _cleanup_(http_request_freep) HttpRequest *r = NULL;
        int k;

        k = http_request_new(s->http, "POST", s->url, &r);
        if (k < 0)
                return k;
        k = http_request_add_header(r, "Content-Type", "application/json");
        if (k >= 0 && s->ops->sign)
                k = s->ops->sign(r, s->secret, d->body, now(CLOCK_REALTIME));
        if (k >= 0)
                k = http_request_set_body(r, d->body, strlen(d->body));
        if (k >= 0)
                k = http_request_set_timeouts(r, 0, ALERT_SINK_TIMEOUT_USEC);
        if (k >= 0)
                k = http_request_start(r, on_delivered, d);
        if (k < 0)
                return k;
        s->request = TAKE_PTR(r);
        return 0;
}

/* Starts the head unless something is in flight or waiting to be retried. */
static void sink_start_next(AlertSink *s) {
        AlertDelivery *d = s->head;
        int k;

        if (!d || s->request || clock_timer_get(s->retry_timer) != USEC_INFINITY)
                return;
        d->attempts++;
        k = sink_send(s, d);
        if (k < 0)
                sink_failed(s, d, k, NULL);
}

static int on_retry(ClockTimer *t, usec_t now, void *userdata) {
        sink_start_next(userdata);
        return 0;
}

int alert_sink_enqueue(AlertSink *s, const AlertMessage *m) {
        AlertDelivery *d;
        int k;

        if (s->n_queued >= ALERT_SINK_QUEUE_MAX) {
                if (s->dropped_full++ == 0)
                        log_warning("Alert sink '%s': %u notifications pending, dropping new ones "
                                    "until it catches up.",
                                    s->name, ALERT_SINK_QUEUE_MAX);
                sink_report(s, m->status, false);
                return 0;
        }
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        k = s->ops->format(m, &d->body);
        if (k < 0) {
                free(d);
                return k;
        }
        d->sink = s;
        d->status = m->status;
        backoff_init(&d->backoff, &(BackoffConfig){ .base = ALERT_SINK_BACKOFF_BASE,
                                                    .cap = ALERT_SINK_BACKOFF_CAP });
        if (s->tail)
                s->tail->next = d;
        else
                s->head = d;
        s->tail = d;
        s->n_queued++;
        sink_start_next(s);
        return 1;
}

int alert_sink_new(Clock *clock, HttpEngine *http, const AlertConfig *cfg,
                   AlertsDeliveryObserver observer, void *userdata, AlertSink **ret) {
        const AlertSinkOps *ops = alert_sink_ops_for(cfg->type);
        AlertSink *s;
        int k;

        if (!ops)
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->ops = ops;
        s->type = cfg->type;
        s->clock = clock;
        s->http = http;
        s->observer = observer;
        s->userdata = userdata;
        (void) rng_seed_random(&s->rng);
        s->name = strdup(cfg->name);
        s->configured_url = strdup(cfg->url);
        s->secret = cfg->secret ? strdup(cfg->secret) : NULL;
        k = !s->name || !s->configured_url || (cfg->secret && !s->secret)
                    ? -ENOMEM
                    : ops->url(cfg->url, &s->url);
        if (k >= 0)
                k = clock_timer_new(clock, on_retry, s, &s->retry_timer);
        if (k < 0) {
                alert_sink_free(s, true);
                return k;
        }
        *ret = s;
        return 0;
}

AlertSink *alert_sink_free(AlertSink *s, bool quiet) {
        AlertDelivery *in_flight;

        if (!s)
                return NULL;
        in_flight = s->request ? s->head : NULL;
        while (s->head) {
                AlertDelivery *d = s->head;

                s->head = d->next;
                if (!quiet)
                        sink_report(s, d->status, false);
                if (d == in_flight) {
                        d->sink = NULL; /* its callback frees it */
                        http_request_cancel(s->request);
                } else
                        delivery_free(d);
        }
        clock_timer_free(s->retry_timer);
        if (s->secret)
                explicit_bzero(s->secret, strlen(s->secret));
        free(s->secret);
        free(s->name);
        free(s->url);
        free(s->configured_url);
        free(s);
        return NULL;
}

bool alert_sink_matches(const AlertSink *s, const AlertConfig *cfg) {
        return cfg->type == s->type && streq(cfg->name, s->name) &&
               streq(cfg->url, s->configured_url) &&
               ((!cfg->secret && !s->secret) ||
                (cfg->secret && s->secret && streq(cfg->secret, s->secret)));
}

const char *alert_sink_name(const AlertSink *s) {
        return s->name;
}

size_t alert_sink_pending(const AlertSink *s) {
        return s->n_queued;
}
