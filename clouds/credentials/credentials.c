/* SPDX-License-Identifier: MIT */
/* The per-account credential provider: resolves the static sources once, or keeps metadata
 * credentials fresh with a refresh timer (credentials.h has the rules). */
#include <time.h>

#include "clouds/credentials/metadata.h"
#include "clouds/credentials/credentials.h"
#include "lib/log.h"
#include "lib/string-table.h"
#include "lib/string-util.h"
#include "lib/time-util.h"

#define REFRESH_MARGIN_USEC (5ULL * 60ULL * USEC_PER_SEC)
#define REFRESH_MIN_USEC (50ULL * 1000ULL)
#define RETRY_BASE_USEC (1ULL * USEC_PER_SEC)
#define RETRY_CAP_USEC (60ULL * USEC_PER_SEC)

const char *const credential_source_table[_CREDENTIAL_SOURCE_MAX + 1] = {
        [CREDENTIAL_SOURCE_AUTO] = "auto",
        [CREDENTIAL_SOURCE_FILE] = "file",
        [CREDENTIAL_SOURCE_SYSTEMD] = "systemd",
        [CREDENTIAL_SOURCE_ENV] = "env",
        [CREDENTIAL_SOURCE_SHARED_FILE] = "shared-file",
        [CREDENTIAL_SOURCE_METADATA] = "metadata",
        NULL,
};

DEFINE_STRING_TABLE_LOOKUP(credential_source, CredentialSource);

static void wipe_free(char *s) {
        if (s) {
                explicit_bzero(s, strlen(s));
                free(s);
        }
}

void credentials_done(Credentials *c) {
        if (!c)
                return;
        wipe_free(c->access_key_id);
        wipe_free(c->secret);
        wipe_free(c->token);
        free(c->source);
        *c = (Credentials){};
}

int credentials_copy(const Credentials *c, Credentials *ret) {
        Credentials n = { .expires_usec = c->expires_usec, .kind = c->kind };

        if (strdup_opt(c->access_key_id, &n.access_key_id) < 0 ||
            strdup_opt(c->secret, &n.secret) < 0 || strdup_opt(c->token, &n.token) < 0 ||
            strdup_opt(c->source, &n.source) < 0) {
                credentials_done(&n);
                return -ENOMEM;
        }
        *ret = n;
        return 0;
}

bool credentials_valid(const Credentials *c, uint64_t now_usec) {
        return c && c->access_key_id && c->secret &&
               (c->expires_usec == 0 || now_usec < c->expires_usec);
}

/* Reads exactly n digits. */
static bool read_digits(const char **p, unsigned n, int *ret) {
        int v = 0;
        for (unsigned i = 0; i < n; i++, (*p)++) {
                if (**p < '0' || **p > '9')
                        return false;
                v = v * 10 + (**p - '0');
        }
        *ret = v;
        return true;
}

static bool expect_char(const char **p, char c) {
        if (**p != c)
                return false;
        (*p)++;
        return true;
}

/* "Z", "+HH:MM", "-HH:MM" or nothing: the offset from UTC in seconds. */
static bool read_zone(const char **p, long *ret) {
        int h, m;
        char sign = **p;

        *ret = 0;
        if (sign == 'Z' || sign == 'z') {
                (*p)++;
                return true;
        }
        if (sign != '+' && sign != '-')
                return true;
        (*p)++;
        if (!read_digits(p, 2, &h) || !expect_char(p, ':') || !read_digits(p, 2, &m) || h > 23 ||
            m > 59)
                return false;
        *ret = (sign == '+' ? 1 : -1) * (h * 3600L + m * 60L);
        return true;
}

int credentials_parse_time(const char *s, uint64_t *ret_usec) {
        struct tm tm = {};
        const char *p = s;
        uint64_t frac = 0, scale = USEC_PER_SEC;
        long zone;

        if (!s || !read_digits(&p, 4, &tm.tm_year) || !expect_char(&p, '-') ||
            !read_digits(&p, 2, &tm.tm_mon) || !expect_char(&p, '-') ||
            !read_digits(&p, 2, &tm.tm_mday) || (*p != 'T' && *p != 't' && *p != ' '))
                return -EINVAL;
        p++;
        if (!read_digits(&p, 2, &tm.tm_hour) || !expect_char(&p, ':') ||
            !read_digits(&p, 2, &tm.tm_min) || !expect_char(&p, ':') ||
            !read_digits(&p, 2, &tm.tm_sec))
                return -EINVAL;
        if (*p == '.')
                for (p++; *p >= '0' && *p <= '9'; p++)
                        if (scale > 1) {
                                scale /= 10;
                                frac += (uint64_t) (*p - '0') * scale;
                        }
        if (!read_zone(&p, &zone) || *p != '\0')
                return -EINVAL;
        if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
            tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
                return -EINVAL;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        time_t t = timegm(&tm);
        if (t == (time_t) -1 || (int64_t) t - zone < 0)
                return -EINVAL;
        *ret_usec = (uint64_t) ((int64_t) t - zone) * USEC_PER_SEC + frac;
        return 0;
}

struct CredentialProvider {
        sd_event *event;
        HttpEngine *http;
        Provider provider;
        CredentialSource source;
        char *account, *path, *profile, *metadata_endpoint, *role;

        Credentials creds;
        bool started;
        bool from_chain; /* metadata because nothing else was found */
        char *error;
        MetadataClient *metadata;
        sd_event_source *timer;
        unsigned n_failures;
        unsigned n_fetches;
        CredentialCallback cb;
        void *userdata;
};

int credential_provider_new(sd_event *event, HttpEngine *http, const CredentialConfig *cfg,
                            CredentialProvider **ret) {
        if (!event || !cfg || (unsigned) cfg->provider >= _PROVIDER_MAX || isempty(cfg->account) ||
            (unsigned) cfg->source >= _CREDENTIAL_SOURCE_MAX)
                return -EINVAL;

        _cleanup_(credential_provider_freep) CredentialProvider *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->event = sd_event_ref(event);
        p->http = http;
        p->provider = cfg->provider;
        p->source = cfg->source;
        if (strdup_opt(cfg->account, &p->account) < 0 || strdup_opt(cfg->path, &p->path) < 0 ||
            strdup_opt(cfg->profile, &p->profile) < 0 ||
            strdup_opt(cfg->metadata_endpoint, &p->metadata_endpoint) < 0 ||
            strdup_opt(cfg->role, &p->role) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(p);
        return 0;
}

CredentialProvider *credential_provider_free(CredentialProvider *p) {
        if (!p)
                return NULL;
        metadata_client_free(p->metadata);
        sd_event_source_disable_unref(p->timer);
        sd_event_unref(p->event);
        credentials_done(&p->creds);
        free(p->account);
        free(p->path);
        free(p->profile);
        free(p->metadata_endpoint);
        free(p->role);
        free(p->error);
        free(p);
        return NULL;
}

void credential_provider_set_callback(CredentialProvider *p, CredentialCallback cb,
                                      void *userdata) {
        p->cb = cb;
        p->userdata = userdata;
}

static void provider_set_error(CredentialProvider *p, char *message) {
        free(p->error);
        p->error = message;
}

static int provider_fetch(CredentialProvider *p);

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        CredentialProvider *p = userdata;
        int r = provider_fetch(p);
        if (r < 0)
                log_debug_errno(r, "account '%s': cannot start the metadata fetch: %m", p->account);
        return 0;
}

static int provider_arm_timer(CredentialProvider *p, uint64_t delay_usec) {
        int r;

        if (!p->timer)
                return sd_event_add_time_relative(p->event, &p->timer, CLOCK_MONOTONIC, delay_usec,
                                                  1000, on_timer, p);
        r = sd_event_source_set_time_relative(p->timer, delay_usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
}

/* When to fetch again: with max(5 min, 10 % of the remaining lifetime) left, but not before
 * half of it has passed: short-lived credentials are then neither fetched in a loop nor
 * refreshed too late. */
static uint64_t refresh_delay(uint64_t remaining_usec) {
        uint64_t margin = MAX(REFRESH_MARGIN_USEC, remaining_usec / 10);
        uint64_t delay = remaining_usec > margin ? remaining_usec - margin : 0;
        return MAX(MAX(delay, remaining_usec / 2), REFRESH_MIN_USEC);
}

static uint64_t retry_delay(unsigned n_failures) {
        unsigned shift = MIN(n_failures > 0 ? n_failures - 1 : 0, 16U);
        return MIN(RETRY_BASE_USEC << shift, RETRY_CAP_USEC);
}

static void provider_schedule(CredentialProvider *p, bool failed) {
        uint64_t t = now(CLOCK_REALTIME), delay;

        if (failed)
                delay = retry_delay(p->n_failures);
        else if (p->creds.expires_usec == 0)
                return; /* never expires: nothing to refresh */
        else
                delay = refresh_delay(p->creds.expires_usec > t ? p->creds.expires_usec - t : 0);
        int r = provider_arm_timer(p, delay);
        if (r < 0)
                log_debug_errno(r, "account '%s': cannot arm the refresh timer: %m", p->account);
}

static void on_metadata(MetadataClient *m, int error, Credentials *creds, const char *message,
                        void *userdata) {
        CredentialProvider *p = userdata;

        if (error >= 0 && !credentials_valid(creds, now(CLOCK_REALTIME))) {
                error = -ESTALE;
                message = NULL;
                char *msg = NULL;
                if (asprintf(&msg,
                             "metadata service %s: the credentials it returned have already "
                             "expired",
                             metadata_client_endpoint(m)) < 0)
                        msg = NULL;
                provider_set_error(p, msg);
        } else if (error < 0) {
                char *msg = NULL;
                /* Someone with no credentials configured at all should learn that from the
                 * message, not only that 169.254.169.254 did not answer. */
                if (asprintf(&msg, "%s%s", strna(message),
                             p->from_chain && p->n_fetches == 0
                                     ? " (and no systemd credential, environment variables or "
                                       "shared credentials file were found)"
                                     : "") < 0)
                        msg = NULL;
                provider_set_error(p, msg);
        }

        if (error < 0) {
                p->n_failures++;
                provider_schedule(p, true);
        } else {
                credentials_done(&p->creds);
                p->creds = *creds;
                *creds = (Credentials){};
                p->n_failures = 0;
                p->n_fetches++;
                provider_set_error(p, NULL);
                provider_schedule(p, false);
        }
        if (p->cb)
                p->cb(p, error, p->userdata);
}

static int provider_fetch(CredentialProvider *p) {
        int r = metadata_client_fetch(p->metadata, on_metadata, p);
        if (r == -EBUSY)
                return 0;
        if (r < 0) {
                /* Could not even start (e.g. out of memory): try again later. */
                p->n_failures++;
                provider_schedule(p, true);
                return r;
        }
        return 0;
}

static int provider_start_metadata(CredentialProvider *p, char *found_role) {
        _cleanup_free_ char *role = found_role;
        char *msg = NULL;
        int r;

        if (!p->http) {
                msg = strdup("the metadata source needs an HTTP engine");
                provider_set_error(p, msg);
                return -EINVAL;
        }
        r = metadata_client_new(p->http, p->provider, p->account, p->metadata_endpoint,
                                role ?: p->role, &p->metadata);
        if (r >= 0)
                r = metadata_client_fetch(p->metadata, on_metadata, p);
        if (r < 0) {
                if (asprintf(&msg, "cannot start the metadata fetch: %s", strerror(-r)) < 0)
                        msg = NULL;
                provider_set_error(p, msg);
                return r;
        }
        log_debug("account '%s': fetching credentials from the metadata service %s", p->account,
                  metadata_client_endpoint(p->metadata));
        return 0;
}

int credential_provider_start(CredentialProvider *p) {
        CredentialConfig cfg = {
                .provider = p->provider,
                .account = p->account,
                .source = p->source,
                .path = p->path,
                .profile = p->profile,
                .metadata_endpoint = p->metadata_endpoint,
                .role = p->role,
        };
        char *role = NULL, *error = NULL;
        int r;

        if (p->started)
                return -EALREADY;
        p->started = true;

        r = credentials_resolve_static(&cfg, &p->creds, &role, &error);
        if (r < 0) {
                provider_set_error(p, error);
                return r;
        }
        free(error);
        if (r > 0) {
                log_debug("account '%s': credentials from %s", p->account, p->creds.source);
                return 1;
        }
        p->from_chain = p->source == CREDENTIAL_SOURCE_AUTO && !p->path && !role;
        return provider_start_metadata(p, role);
}

const Credentials *credential_provider_get(CredentialProvider *p) {
        if (!p || !credentials_valid(&p->creds, now(CLOCK_REALTIME)))
                return NULL;
        return &p->creds;
}

const char *credential_provider_error(const CredentialProvider *p) {
        return p ? p->error : NULL;
}

unsigned credential_provider_n_fetches(const CredentialProvider *p) {
        return p ? p->n_fetches : 0;
}
