/* SPDX-License-Identifier: MIT */

/* The alert engine (alerts.h): state per (subject, kind), the decisions (fire, dedupe, replace,
 * remind, resolve), the journal entries, and the hand-over to the sinks (alert-sink.h). */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/crypto.h"
#include "lib/hashmap.h"
#include "lib/log.h"
#include "lib/prioq.h"
#include "lib/string-table.h"
#include "lib/time-util.h"
#include "reconciler/daemon/alert-sink.h"
#include "reconciler/daemon/alerts.h"

#define ALERT_FIELDS_MAX 32u

static const char *const alert_kind_table[_ALERT_KIND_MAX] = {
        [ALERT_KIND_DRIFT] = "drift",
        [ALERT_KIND_ERROR] = "error",
        [ALERT_KIND_CONFLICT] = "conflict",
};

static const char *const alert_kind_alertname_table[_ALERT_KIND_MAX] = {
        [ALERT_KIND_DRIFT] = "AsyncfgDrift",
        [ALERT_KIND_ERROR] = "AsyncfgError",
        [ALERT_KIND_CONFLICT] = "AsyncfgConflict",
};

static const char *const alert_status_table[_ALERT_STATUS_MAX] = {
        [ALERT_STATUS_FIRING] = "firing",
        [ALERT_STATUS_RESOLVED] = "resolved",
};

DEFINE_STRING_TABLE_LOOKUP(alert_kind, AlertKind);
DEFINE_STRING_TABLE_LOOKUP(alert_status, AlertStatus);

const char *alert_kind_alertname(AlertKind k) {
        return k >= 0 && k < _ALERT_KIND_MAX ? alert_kind_alertname_table[k] : NULL;
}

typedef struct AlertState {
        char *key; /* "<kind>/<subject key>": the map's key */
        AlertKind kind;
        char *subject_key, *name, *provider, *account, *function, *qualifier, *file;
        unsigned line;
        char **labels;
        unsigned count; /* consecutive detections */
        bool fired;
        char fingerprint[ALERT_FINGERPRINT_LEN + 1];
        char *summary;
        json_t *fields;
        uint64_t starts_at;   /* CLOCK_REALTIME of the fire */
        usec_t next_reminder; /* the engine's clock */
        unsigned idx;         /* in Alerts.reminders */
} AlertState;

struct Alerts {
        Clock *clock;
        HttpEngine *http;
        AlertPolicy policy;
        Hashmap *states;
        Prioq *reminders; /* fired states, by next_reminder */
        ClockTimer *timer;
        AlertSink **sinks;
        size_t n_sinks;
        AlertsDeliveryObserver observer;
        void *userdata;
};

/* ---- strings ------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s) {
        size_t n = *s < 0x80             ? 1
                   : (*s & 0xe0) == 0xc0 ? 2
                   : (*s & 0xf0) == 0xe0 ? 3
                   : (*s & 0xf8) == 0xf0 ? 4
                                         : 0;

        if (n == 2 && *s < 0xc2)
                return 0; /* overlong */
        for (size_t i = 1; i < n; i++)
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
        return n;
}

int alert_string_sanitize(const char *s, size_t max, char **ret) {
        size_t n = strlen(s ?: ""), o = 0;
        char *out = malloc(MIN(n, max) + 4);

        if (!out)
                return -ENOMEM;
        for (const unsigned char *p = (const unsigned char *) (s ?: ""); *p;) {
                size_t l = utf8_len(p);

                if (o + MAX(l, 1u) > max) {
                        memcpy(out + o, "...", 3);
                        o += 3;
                        break;
                }
                if (l == 0 || (l == 1 && (*p < 0x20 || *p == 0x7f)))
                        out[o++] = l == 0 ? '?' : ' ';
                else
                        memcpy(out + o, p, l), o += l;
                p += MAX(l, 1u);
        }
        out[o] = 0;
        *ret = out;
        return 0;
}

/* A copy of j with every string capped (jansson's strings are valid UTF-8 already) and arrays
 * and objects bounded; NULL on allocation failure. */
static json_t *json_capped(const json_t *j, unsigned depth) {
        json_t *c, *v;
        const char *k;
        size_t i;

        if (depth > 4)
                return json_null();
        switch (json_typeof(j)) {
        case JSON_STRING: {
                _cleanup_free_ char *s = NULL;
                return alert_string_sanitize(json_string_value(j), ALERT_STRING_MAX, &s) < 0
                               ? NULL
                               : json_string(s);
        }
        case JSON_ARRAY:
                c = json_array();
                json_array_foreach((json_t *) j, i,
                                   v) if (c && i < ALERT_FIELDS_MAX &&
                                          json_array_append_new(c, json_capped(v, depth + 1)) <
                                                  0) return json_decref(c),
                        NULL;
                return c;
        case JSON_OBJECT:
                c = json_object();
                json_object_foreach((json_t *) j, k,
                                    v) if (c &&
                                           json_object_set_new(c, k, json_capped(v, depth + 1)) <
                                                   0) return json_decref(c),
                        NULL;
                return c;
        default:
                return json_deep_copy(j);
        }
}

/* ---- state --------------------------------------------------------------------------------- */

static void state_free_subject(AlertState *st) {
        free(st->subject_key);
        free(st->name);
        free(st->provider);
        free(st->account);
        free(st->function);
        free(st->qualifier);
        free(st->file);
        strv_free(st->labels);
}

static AlertState *state_free(AlertState *st) {
        if (!st)
                return NULL;
        state_free_subject(st);
        free(st->key);
        free(st->summary);
        json_decref(st->fields);
        free(st);
        return NULL;
}

static int dup_capped(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        return alert_string_sanitize(s, ALERT_STRING_MAX, ret);
}

/* Replaces the state's copy of the subject (names and labels may change between runs). */
static int state_set_subject(AlertState *st, const AlertSubject *s) {
        AlertState n = { .line = s->line };
        size_t k = 0;

        while (s->labels && s->labels[k])
                k++;
        if (dup_capped(s->key ?: s->name, &n.subject_key) < 0 || dup_capped(s->name, &n.name) < 0 ||
            dup_capped(s->provider, &n.provider) < 0 || dup_capped(s->account, &n.account) < 0 ||
            dup_capped(s->function, &n.function) < 0 ||
            dup_capped(s->qualifier, &n.qualifier) < 0 || dup_capped(s->file, &n.file) < 0 ||
            !(n.labels = calloc(k + 1, sizeof(char *))))
                goto fail;
        for (size_t i = 0; i < k; i++)
                if (alert_string_sanitize(s->labels[i], i % 2 ? ALERT_STRING_MAX : 128,
                                          &n.labels[i]) < 0)
                        goto fail;
        state_free_subject(st);
        st->subject_key = n.subject_key;
        st->name = n.name;
        st->provider = n.provider;
        st->account = n.account;
        st->function = n.function;
        st->qualifier = n.qualifier;
        st->file = n.file;
        st->line = n.line;
        st->labels = n.labels;
        return 0;
fail:
        state_free_subject(&n);
        return -ENOMEM;
}

static AlertSubject state_subject(const AlertState *st) {
        return (AlertSubject){
                .key = st->subject_key,
                .name = st->name,
                .provider = st->provider,
                .account = st->account,
                .function = st->function,
                .qualifier = st->qualifier,
                .file = st->file,
                .line = st->line,
                .labels = st->labels,
        };
}

static char *state_key(const AlertSubject *s, AlertKind kind) {
        char *k = NULL;

        if (asprintf(&k, "%s/%s", alert_kind_to_string(kind), strna(s->key ?: s->name)) < 0)
                return NULL;
        return k;
}

static AlertState *alerts_get_state(const Alerts *a, const AlertSubject *s, AlertKind kind) {
        _cleanup_free_ char *k = state_key(s, kind);

        return k ? hashmap_get(a->states, k) : NULL;
}

static int fingerprint_of(const AlertSubject *s, AlertKind kind, const char *content,
                          char ret[static ALERT_FINGERPRINT_LEN + 1]) {
        _cleanup_free_ char *text = NULL;
        char hex[CRYPTO_SHA256_HEX_SIZE];
        int k;

        if (asprintf(&text, "%s\n%s\n%s", alert_kind_to_string(kind), strna(s->key ?: s->name),
                     content ?: "") < 0)
                return -ENOMEM;
        k = crypto_sha256_hex(text, strlen(text), hex);
        if (k < 0)
                return k;
        memcpy(ret, hex, ALERT_FINGERPRINT_LEN);
        ret[ALERT_FINGERPRINT_LEN] = 0;
        return 0;
}

/* ---- notifications ------------------------------------------------------------------------- */

static void alerts_journal(const AlertState *st, AlertStatus status, bool reminder,
                           const char *why) {
        char alert[64], resource[ALERT_STRING_MAX + 16], kind[32], stat[32], fp[48], provider[64],
                account[ALERT_STRING_MAX + 16];
        const char *fields[] = { alert, resource, kind, stat, fp, provider, account, NULL };
        int level = status == ALERT_STATUS_RESOLVED ? LOG_INFO
                    : reminder                      ? LOG_NOTICE
                                                    : LOG_WARNING;

        snprintf(alert, sizeof(alert), "ALERT=%s", alert_kind_alertname(st->kind));
        snprintf(resource, sizeof(resource), "RESOURCE=%s", strna(st->name));
        snprintf(kind, sizeof(kind), "KIND=%s", alert_kind_to_string(st->kind));
        snprintf(stat, sizeof(stat), "STATUS=%s", alert_status_to_string(status));
        snprintf(fp, sizeof(fp), "FINGERPRINT=%s", st->fingerprint);
        snprintf(provider, sizeof(provider), "PROVIDER=%s", strna(st->provider));
        snprintf(account, sizeof(account), "ACCOUNT=%s", strna(st->account));
        (void) log_struct_internal(level, 0, fields, "Alert %s %s%s for '%s' (%s): %s%s%s",
                                   alert_kind_alertname(st->kind), alert_status_to_string(status),
                                   reminder ? " (reminder)" : "", strna(st->name), st->fingerprint,
                                   strna(st->summary), why ? "; " : "", why ?: "");
}

/* The journal entry, then one notification to each sink. */
static void alerts_notify(Alerts *a, const AlertState *st, AlertStatus status, bool reminder,
                          const char *why) {
        uint64_t t = now(CLOCK_REALTIME);
        AlertSubject subject = state_subject(st);
        AlertMessage m = {
                .kind = st->kind,
                .status = status,
                .reminder = reminder,
                .subject = &subject,
                .summary = st->summary ?: "",
                .fields = st->fields,
                .fingerprint = st->fingerprint,
                .starts_at = st->starts_at,
                .ends_at = status == ALERT_STATUS_RESOLVED ? t : 0,
                .expires_at = status == ALERT_STATUS_FIRING
                                      ? t + ALERT_EXPIRY_REMINDERS * a->policy.remind_every
                                      : 0,
        };

        alerts_journal(st, status, reminder, why);
        for (size_t i = 0; i < a->n_sinks; i++)
                if (alert_sink_enqueue(a->sinks[i], &m) == -ENOMEM)
                        log_oom();
}

static void alerts_arm(Alerts *a) {
        AlertState *st = prioq_peek(a->reminders);

        if (st)
                (void) clock_timer_arm(a->timer, st->next_reminder);
        else
                (void) clock_timer_disarm(a->timer);
}

static void alerts_fire(Alerts *a, AlertState *st) {
        st->fired = true;
        st->starts_at = now(CLOCK_REALTIME);
        st->next_reminder = clock_now(a->clock) + a->policy.remind_every;
        if (prioq_put(a->reminders, st, &st->idx) < 0)
                log_oom(); /* it fires, but will not be reminded */
        alerts_arm(a);
        alerts_notify(a, st, ALERT_STATUS_FIRING, false, NULL);
}

/* Resolves st if it fired, takes it out of the engine and frees it. 1 if resolved. */
static int alerts_drop_state(Alerts *a, AlertState *st, const char *why) {
        bool fired = st->fired;

        if (fired) {
                alerts_notify(a, st, ALERT_STATUS_RESOLVED, false, why);
                (void) prioq_remove(a->reminders, st, &st->idx);
                alerts_arm(a);
        }
        hashmap_remove(a->states, st->key);
        state_free(st);
        return fired;
}

static int on_reminder(ClockTimer *t, usec_t now, void *userdata) {
        Alerts *a = userdata;
        AlertState *st;

        while ((st = prioq_peek(a->reminders)) && st->next_reminder <= now) {
                st->next_reminder = now + a->policy.remind_every;
                (void) prioq_reshuffle(a->reminders, st, &st->idx);
                alerts_notify(a, st, ALERT_STATUS_FIRING, true, NULL);
        }
        alerts_arm(a);
        return 0;
}

/* ---- the interface ------------------------------------------------------------------------- */

static AlertState *alerts_make_state(Alerts *a, const AlertSubject *s, AlertKind kind) {
        AlertState *st = calloc(1, sizeof(*st));

        if (!st)
                return NULL;
        st->kind = kind;
        st->idx = PRIOQ_IDX_NULL;
        st->key = state_key(s, kind);
        if (!st->key || hashmap_put(a->states, st->key, st) < 0)
                return state_free(st);
        return st;
}

/* Takes what the next notification of st will say. */
static int state_set_content(AlertState *st, const char *fp, const char *summary,
                             const json_t *fields) {
        _cleanup_free_ char *s = NULL;
        json_t *f = fields ? json_capped(fields, 0) : json_array();

        if (!f || alert_string_sanitize(summary ?: "", ALERT_STRING_MAX, &s) < 0) {
                json_decref(f);
                return -ENOMEM;
        }
        if (!json_is_array(f)) {
                json_decref(f);
                f = json_array();
        }
        free(st->summary);
        st->summary = TAKE_PTR(s);
        json_decref(st->fields);
        st->fields = f;
        memcpy(st->fingerprint, fp, sizeof(st->fingerprint));
        return 0;
}

int alerts_observe(Alerts *a, const AlertSubject *s, AlertKind kind, const char *content,
                   const char *summary, const json_t *fields) {
        unsigned threshold = kind == ALERT_KIND_DRIFT   ? a->policy.fire_after
                             : kind == ALERT_KIND_ERROR ? a->policy.error_after
                                                        : 1;
        char fp[ALERT_FINGERPRINT_LEN + 1];
        AlertState *st;
        int k;

        if (kind < 0 || kind >= _ALERT_KIND_MAX)
                return -EINVAL;
        st = alerts_get_state(a, s, kind);
        k = fingerprint_of(s, kind, content, fp);
        if (k < 0)
                return k;
        if (!st && !(st = alerts_make_state(a, s, kind)))
                return -ENOMEM;
        if (state_set_subject(st, s) < 0)
                return -ENOMEM;
        if (st->count < UINT_MAX)
                st->count++;
        if (st->fired && streq(st->fingerprint, fp))
                return state_set_content(st, fp, summary, fields); /* a duplicate: nothing sent */
        if (st->fired) {
                /* What it is about changed: the old alert is no longer true, the new one is. */
                alerts_notify(a, st, ALERT_STATUS_RESOLVED, false, "replaced by a new alert");
                (void) prioq_remove(a->reminders, st, &st->idx);
                st->fired = false;
        }
        if (state_set_content(st, fp, summary, fields) < 0)
                return -ENOMEM;
        if (st->count < threshold)
                return 0;
        alerts_fire(a, st);
        return 1;
}

int alerts_clear(Alerts *a, const AlertSubject *s, AlertKind kind) {
        AlertState *st = alerts_get_state(a, s, kind);

        return st ? alerts_drop_state(a, st, NULL) : 0;
}

int alerts_forget(Alerts *a, const AlertSubject *s) {
        int r = 0;

        for (AlertKind k = 0; k < _ALERT_KIND_MAX; k++) {
                AlertState *st = alerts_get_state(a, s, k);

                if (st && alerts_drop_state(a, st, "the resource is no longer managed") > 0)
                        r = 1;
        }
        return r;
}

bool alerts_is_firing(const Alerts *a, const AlertSubject *s, AlertKind kind) {
        AlertState *st = alerts_get_state(a, s, kind);

        return st && st->fired;
}

unsigned alerts_get_count(const Alerts *a, const AlertSubject *s, AlertKind kind) {
        AlertState *st = alerts_get_state(a, s, kind);

        return st ? st->count : 0;
}

const char *alerts_get_fingerprint(const Alerts *a, const AlertSubject *s, AlertKind kind) {
        AlertState *st = alerts_get_state(a, s, kind);

        return st ? st->fingerprint : NULL;
}

bool alerts_get_firing(const Alerts *a, const AlertSubject *s, AlertKind kind, AlertFiring *ret) {
        AlertState *st = alerts_get_state(a, s, kind);

        if (!st || !st->fired)
                return false;
        *ret = (AlertFiring){ .since = st->starts_at };
        memcpy(ret->fingerprint, st->fingerprint, sizeof(ret->fingerprint));
        return true;
}

size_t alerts_pending(const Alerts *a) {
        size_t n = 0;

        for (size_t i = 0; i < a->n_sinks; i++)
                n += alert_sink_pending(a->sinks[i]);
        return n;
}

void alerts_set_observer(Alerts *a, AlertsDeliveryObserver cb, void *userdata) {
        a->observer = cb;
        a->userdata = userdata;
}

static void on_delivery(const char *sink, AlertStatus status, bool sent, void *userdata) {
        Alerts *a = userdata;

        if (a->observer)
                a->observer(sink, status, sent, a->userdata);
}

static int compare_reminder(const void *x, const void *y) {
        const AlertState *a = x, *b = y;

        return a->next_reminder < b->next_reminder ? -1 : a->next_reminder > b->next_reminder;
}

static void policy_apply(AlertPolicy *dst, const AlertPolicy *src) {
        *dst = src ? *src : (AlertPolicy){};
        if (dst->fire_after == 0)
                dst->fire_after = ALERT_FIRE_AFTER_DEFAULT;
        if (dst->error_after == 0)
                dst->error_after = ALERT_ERROR_AFTER_DEFAULT;
        if (dst->remind_every == 0)
                dst->remind_every = ALERT_REMIND_EVERY_DEFAULT;
}

int alerts_reconfigure(Alerts *a, const AlertConfig *cfgs, size_t n, const AlertPolicy *policy) {
        _cleanup_free_ AlertSink **sinks = calloc(n + 1, sizeof(AlertSink *));
        int k = 0;

        if (!sinks)
                return -ENOMEM;
        /* First the sinks to keep or make; the old set changes only once nothing can fail. */
        for (size_t i = 0; i < n && k >= 0; i++) {
                for (size_t j = 0; j < a->n_sinks && !sinks[i]; j++)
                        if (a->sinks[j] && alert_sink_matches(a->sinks[j], &cfgs[i]))
                                sinks[i] = a->sinks[j];
                if (!sinks[i])
                        k = alert_sink_new(a->clock, a->http, &cfgs[i], on_delivery, a, &sinks[i]);
        }
        for (size_t i = 0; i < n; i++) {
                bool kept = false;

                for (size_t j = 0; j < a->n_sinks; j++)
                        kept = kept || sinks[i] == a->sinks[j];
                if (k < 0 && !kept)
                        alert_sink_free(sinks[i], true);
        }
        if (k < 0)
                return k;
        for (size_t j = 0; j < a->n_sinks; j++) {
                bool kept = false;

                for (size_t i = 0; i < n; i++)
                        kept = kept || sinks[i] == a->sinks[j];
                if (!kept)
                        alert_sink_free(a->sinks[j], false);
        }
        free(a->sinks);
        a->sinks = TAKE_PTR(sinks);
        a->n_sinks = n;
        policy_apply(&a->policy, policy);
        return 0;
}

int alerts_new(Clock *clock, HttpEngine *http, const AlertConfig *cfgs, size_t n,
               const AlertPolicy *policy, Alerts **ret) {
        _cleanup_(alerts_freep) Alerts *a = calloc(1, sizeof(*a));
        int k;

        if (!a)
                return -ENOMEM;
        a->clock = clock;
        a->http = http;
        policy_apply(&a->policy, policy);
        a->states = hashmap_new();
        a->reminders = prioq_new(compare_reminder);
        if (!a->states || !a->reminders)
                return -ENOMEM;
        k = clock_timer_new(clock, on_reminder, a, &a->timer);
        if (k < 0)
                return k;
        k = alerts_reconfigure(a, cfgs, n, policy);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(a);
        return 0;
}

Alerts *alerts_free(Alerts *a) {
        const char *key;
        void *v;

        if (!a)
                return NULL;
        for (size_t i = 0; i < a->n_sinks; i++)
                alert_sink_free(a->sinks[i], true);
        free(a->sinks);
        for (size_t i = 0; a->states && hashmap_iterate(a->states, &i, &key, &v);)
                state_free(v);
        hashmap_free(a->states);
        prioq_free(a->reminders);
        clock_timer_free(a->timer);
        free(a);
        return NULL;
}
