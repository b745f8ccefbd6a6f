/* SPDX-License-Identifier: MIT */

/* The three alert back ends (alert-sink.h): what each one POSTs, as pure functions of an
 * AlertMessage, so that the payloads are unit tested byte for byte. The strings in a message
 * are already capped and valid UTF-8 (the engine sanitises them). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/crypto.h"
#include "reconciler/daemon/alert-sink.h"

char *alert_format_time(uint64_t realtime_usec, char buf[static 32]) {
        time_t t = (time_t) (realtime_usec / USEC_PER_SEC);
        struct tm tm;

        if (!gmtime_r(&t, &tm)) {
                snprintf(buf, 32, "1970-01-01T00:00:00.000Z");
                return buf;
        }
        strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + strlen(buf), 32 - strlen(buf), ".%03uZ",
                 (unsigned) (realtime_usec % USEC_PER_SEC / USEC_PER_MSEC));
        return buf;
}

/* json_object_set_new() for a string that may be NULL (then the key is left out). */
static int set_str(json_t *o, const char *key, const char *value) {
        if (!value)
                return 0;
        return json_object_set_new(o, key, json_string(value)) < 0 ? -ENOMEM : 0;
}

static int set_time(json_t *o, const char *key, uint64_t usec) {
        char buf[32];

        return usec == 0 ? 0 : set_str(o, key, alert_format_time(usec, buf));
}

static int dump(json_t *j, char **ret) {
        char *s;

        if (!j)
                return -ENOMEM;
        s = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static json_t *labels_json(char *const *labels) {
        json_t *o = json_object();

        for (size_t i = 0; o && labels && labels[i] && labels[i + 1]; i += 2)
                if (set_str(o, labels[i], labels[i + 1]) < 0) {
                        json_decref(o);
                        return NULL;
                }
        return o;
}

/* ---- webhook ------------------------------------------------------------------------------ */

static json_t *webhook_resource(const AlertSubject *s) {
        json_t *o = json_object();

        if (!o || set_str(o, "name", s->name) < 0 || set_str(o, "provider", s->provider) < 0 ||
            set_str(o, "account", s->account) < 0 || set_str(o, "function", s->function) < 0 ||
            set_str(o, "qualifier", s->qualifier) < 0 || set_str(o, "file", s->file) < 0 ||
            (s->file && json_object_set_new(o, "line", json_integer(s->line)) < 0) ||
            json_object_set_new(o, "labels", labels_json(s->labels)) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static int webhook_format(const AlertMessage *m, char **ret) {
        json_t *o = json_object();

        if (!o || set_str(o, "status", alert_status_to_string(m->status)) < 0 ||
            set_str(o, "kind", alert_kind_to_string(m->kind)) < 0 ||
            json_object_set_new(o, "resource", webhook_resource(m->subject)) < 0 ||
            json_object_set_new(o, "fields", json_deep_copy(m->fields)) < 0 ||
            set_str(o, "summary", m->summary) < 0 ||
            set_str(o, "fingerprint", m->fingerprint) < 0 ||
            set_time(o, "startsAt", m->starts_at) < 0 || set_time(o, "endsAt", m->ends_at) < 0) {
                json_decref(o);
                return -ENOMEM;
        }
        return dump(o, ret);
}

int alert_sink_signature(const char *secret, const char *timestamp, const char *body,
                         char ret[static 7 + 64 + 1]) {
        _cleanup_free_ char *msg = NULL;
        char hex[CRYPTO_SHA256_HEX_SIZE];
        int k;

        if (asprintf(&msg, "%s.%s", timestamp, body) < 0)
                return -ENOMEM;
        k = crypto_hmac_sha256_hex(secret, strlen(secret), msg, strlen(msg), hex);
        if (k < 0)
                return k;
        snprintf(ret, 7 + 64 + 1, "sha256=%s", hex);
        return 0;
}

static int webhook_sign(HttpRequest *r, const char *secret, const char *body, uint64_t now) {
        char ts[32], sig[7 + 64 + 1];
        int k;

        if (isempty(secret))
                return 0;
        snprintf(ts, sizeof(ts), "%llu", (unsigned long long) (now / USEC_PER_SEC));
        k = alert_sink_signature(secret, ts, body, sig);
        if (k < 0)
                return k;
        return http_request_add_header(r, "X-Asyncfg-Timestamp", ts)
                       ?: http_request_add_header(r, "X-Asyncfg-Signature", sig);
}

static int url_as_is(const char *configured, char **ret) {
        char *s = strdup(configured);

        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

const AlertSinkOps alert_sink_webhook = {
        .type = ALERT_TYPE_WEBHOOK,
        .url = url_as_is,
        .format = webhook_format,
        .sign = webhook_sign,
};

/* ---- slack ------------------------------------------------------------------------------- */

/* Slack's message text escapes exactly these three (its "mrkdwn" control characters). */
static void slack_escape(FILE *f, const char *s) {
        for (; s && *s; s++)
                switch (*s) {
                case '&':
                        fputs("&amp;", f);
                        break;
                case '<':
                        fputs("&lt;", f);
                        break;
                case '>':
                        fputs("&gt;", f);
                        break;
                default:
                        fputc(*s, f);
                }
}

static int slack_format(const AlertMessage *m, char **ret) {
        const AlertSubject *s = m->subject;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return -ENOMEM;
        fprintf(f, "[%s] asyncfg %s on ", m->status == ALERT_STATUS_FIRING ? "FIRING" : "RESOLVED",
                alert_kind_to_string(m->kind));
        slack_escape(f, s->name);
        fputs(" (", f);
        slack_escape(f, s->provider);
        fputs("/", f);
        slack_escape(f, s->account ?: "-");
        fputs(" ", f);
        slack_escape(f, s->function);
        if (s->qualifier) {
                fputs(":", f);
                slack_escape(f, s->qualifier);
        }
        fputs("): ", f);
        slack_escape(f, m->summary);
        if (m->reminder)
                fputs(" (still firing)", f);
        if (fclose(f) != 0 || !text)
                return -ENOMEM;
        return dump(json_pack("{s:s}", "text", text), ret);
}

const AlertSinkOps alert_sink_slack = {
        .type = ALERT_TYPE_SLACK,
        .url = url_as_is,
        .format = slack_format,
};

/* ---- alertmanager -------------------------------------------------------------------------- */

/* A Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*; anything else becomes '_'. */
static char *label_name_sanitize(const char *s) {
        char *n = malloc(strlen(s) + 2), *p = n;

        if (!n)
                return NULL;
        if (*s >= '0' && *s <= '9')
                *p++ = '_';
        for (; *s; s++)
                *p++ = (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
                               *s))
                               ? *s
                               : '_';
        *p = 0;
        return n;
}

static json_t *am_labels(const AlertMessage *m) {
        const AlertSubject *s = m->subject;
        json_t *o = json_object();

        if (!o || set_str(o, "alertname", alert_kind_alertname(m->kind)) < 0 ||
            set_str(o, "resource", s->name) < 0 || set_str(o, "provider", s->provider) < 0 ||
            set_str(o, "account", s->account) < 0 || set_str(o, "function", s->function) < 0 ||
            set_str(o, "qualifier", s->qualifier) < 0)
                goto fail;
        for (size_t i = 0; s->labels && s->labels[i] && s->labels[i + 1]; i += 2) {
                _cleanup_free_ char *n = label_name_sanitize(s->labels[i]);

                if (!n)
                        goto fail;
                if (!*n || strncmp(n, "__", 2) == 0 || json_object_get(o, n))
                        continue; /* reserved, or one of ours: ours win */
                if (set_str(o, n, s->labels[i + 1]) < 0)
                        goto fail;
        }
        return o;
fail:
        json_decref(o);
        return NULL;
}

/* "maxRetryAttempts: live 0, desired 1; ..." from the fields, else the summary. */
static char *am_description(const AlertMessage *m) {
        char *text = NULL;
        size_t size = 0, i, shown = 0;
        json_t *e;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return NULL;
        json_array_foreach((json_t *) m->fields, i, e) {
                _cleanup_free_ char *from =
                        json_dumps(json_object_get(e, "from"), JSON_ENCODE_ANY | JSON_COMPACT);
                _cleanup_free_ char *to =
                        json_dumps(json_object_get(e, "to"), JSON_ENCODE_ANY | JSON_COMPACT);
                const char *field = json_string_value(json_object_get(e, "field"));

                if (field)
                        fprintf(f, "%s%s: live %s, desired %s", shown++ > 0 ? "; " : "", field,
                                from ?: "null", to ?: "null");
        }
        if (ftell(f) == 0)
                fputs(m->summary, f);
        fprintf(f, " (%s:%u)", m->subject->file ?: "?", m->subject->line);
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

static json_t *am_annotations(const AlertMessage *m) {
        _cleanup_free_ char *desc = am_description(m);
        json_t *o = json_object();

        if (!o || !desc || set_str(o, "summary", m->summary) < 0 ||
            set_str(o, "description", desc) < 0 || set_str(o, "fingerprint", m->fingerprint) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static int am_format(const AlertMessage *m, char **ret) {
        json_t *a = json_object();

        /* json_object_set_new() takes the value (a NULL one is an error) even when it fails. */
        if (!a || json_object_set_new(a, "labels", am_labels(m)) < 0 ||
            json_object_set_new(a, "annotations", am_annotations(m)) < 0 ||
            set_time(a, "startsAt", m->starts_at) < 0 ||
            set_time(a, "endsAt", m->status == ALERT_STATUS_RESOLVED ? m->ends_at : m->expires_at) <
                    0) {
                json_decref(a);
                return -ENOMEM;
        }
        return dump(json_pack("[o]", a), ret);
}

static int am_url(const char *configured, char **ret) {
        size_t n = strlen(configured);

        while (n > 0 && configured[n - 1] == '/')
                n--;
        return asprintf(ret, "%.*s/api/v2/alerts", (int) n, configured) < 0 ? -ENOMEM : 0;
}

const AlertSinkOps alert_sink_alertmanager = {
        .type = ALERT_TYPE_ALERTMANAGER,
        .url = am_url,
        .format = am_format,
};

const AlertSinkOps *alert_sink_ops_for(AlertType t) {
        static const AlertSinkOps *const table[_ALERT_TYPE_MAX] = {
                [ALERT_TYPE_WEBHOOK] = &alert_sink_webhook,
                [ALERT_TYPE_SLACK] = &alert_sink_slack,
                [ALERT_TYPE_ALERTMANAGER] = &alert_sink_alertmanager,
        };

        return t >= 0 && t < _ALERT_TYPE_MAX ? table[t] : NULL;
}
