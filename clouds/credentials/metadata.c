/* SPDX-License-Identifier: MIT */
/* Instance metadata clients (credentials-metadata.h). A fetch is a small state machine:
 *
 *   state    request                                  next
 *   TOKEN    PUT token path (TTL header)               200: ROLE/CREDS; 403/404/405/timeout:
 *                                                      same without a token (IMDSv1) unless
 *                                                      the vendor's "v1 disabled" variable says so
 *   ROLE     GET role path (token header)              200: CREDS with the first listed role
 *   CREDS    GET role path + role, or the fixed path   200: parse, done
 *
 * A 401 on a GET sent with a cached token drops the token and starts over from TOKEN (once).
 * Every http callback goes through a heap "ticket" that outlives the client: freeing a client
 * cancels its request and clears the ticket, so the late -ECANCELED callback finds nothing. */
#include <jansson.h>
#include <stdarg.h>
#include <strings.h>
#include <time.h>

#include "clouds/credentials/metadata.h"
#include "lib/log.h"
#include "lib/time-util.h"

#define TOKEN_TTL_SEC 21600U
#define TOKEN_TTL_STR "21600"
/* A cached token is not used in its last minute. */
#define TOKEN_MARGIN_USEC (60ULL * 1000000ULL)
#define METADATA_CONNECT_TIMEOUT_USEC (1ULL * 1000000ULL)
#define METADATA_TOTAL_TIMEOUT_USEC (5ULL * 1000000ULL)
#define METADATA_MAX_RESPONSE (64U * 1024U)

static const char *strempty(const char *s) {
        return s ?: "";
}

typedef struct Flavour {
        const char *default_endpoint, *endpoint_env;
        const char *token_path, *token_ttl_header, *token_header;
        const char *role_path; /* NULL: no role; creds_path is fixed */
        const char *creds_path;
        const char *role_env;        /* the role name from the environment */
        const char *v1_disabled_env; /* "true": no fallback without a token */
        /* JSON: the object holding the fields (NULL: the top level) and the field names. */
        const char *wrapper, *f_id, *f_secret, *f_token, *f_expiration;
        bool has_code; /* "Code": "Success" */
} Flavour;

static const Flavour flavour_table[_PROVIDER_MAX] = {
        [PROVIDER_AWS] = {
                .default_endpoint = "http://169.254.169.254",
                .endpoint_env = "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                .token_path = "/latest/api/token",
                .token_ttl_header = "x-aws-ec2-metadata-token-ttl-seconds",
                .token_header = "x-aws-ec2-metadata-token",
                .role_path = "/latest/meta-data/iam/security-credentials/",
                .v1_disabled_env = "AWS_EC2_METADATA_V1_DISABLED",
                .f_id = "AccessKeyId",
                .f_secret = "SecretAccessKey",
                .f_token = "Token",
                .f_expiration = "Expiration",
                .has_code = true,
        },
        [PROVIDER_ALICLOUD] = {
                .default_endpoint = "http://100.100.100.200",
                .endpoint_env = "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT",
                .token_path = "/latest/api/token",
                .token_ttl_header = "X-aliyun-ecs-metadata-token-ttl-seconds",
                .token_header = "X-aliyun-ecs-metadata-token",
                .role_path = "/latest/meta-data/ram/security-credentials/",
                .role_env = "ALIBABA_CLOUD_ECS_METADATA",
                .v1_disabled_env = "ALIBABA_CLOUD_IMDSV1_DISABLED",
                .f_id = "AccessKeyId",
                .f_secret = "AccessKeySecret",
                .f_token = "SecurityToken",
                .f_expiration = "Expiration",
                .has_code = true,
        },
        [PROVIDER_HUAWEICLOUD] = {
                .default_endpoint = "http://169.254.169.254",
                .endpoint_env = "HUAWEICLOUD_METADATA_ENDPOINT",
                .token_path = "/meta-data/latest/api/token",
                .token_ttl_header = "X-Metadata-Token-Ttl-Seconds",
                .token_header = "X-Metadata-Token",
                .creds_path = "/openstack/latest/securitykey",
                .wrapper = "credential",
                .f_id = "access",
                .f_secret = "secret",
                .f_token = "securitytoken",
                .f_expiration = "expires_at",
        },
};

typedef enum FetchState {
        FETCH_IDLE,
        FETCH_TOKEN,
        FETCH_ROLE,
        FETCH_CREDS,
} FetchState;

typedef struct Ticket {
        MetadataClient *client; /* NULL once the client is gone */
} Ticket;

struct MetadataClient {
        HttpEngine *http;
        const Flavour *flavour;
        Provider provider;
        char *account;
        char *endpoint;
        char *configured_role;
        char *role; /* of the fetch in progress */
        char *token;
        uint64_t token_expires_usec; /* CLOCK_MONOTONIC */
        bool v1_allowed;
        bool token_retried;
        FetchState state;
        HttpRequest *request;
        Ticket *ticket;
        MetadataCallback cb;
        void *userdata;
};

static void wipe_string(char **s) {
        if (*s) {
                explicit_bzero(*s, strlen(*s));
                free(*s);
                *s = NULL;
        }
}

static bool env_true(const char *name) {
        const char *v = name ? getenv(name) : NULL;
        return v && (strcasecmp(v, "true") == 0 || streq(v, "1"));
}

const char *metadata_default_endpoint(Provider provider) {
        if ((unsigned) provider >= _PROVIDER_MAX)
                return NULL;
        const Flavour *f = &flavour_table[provider];
        const char *e = getenv(f->endpoint_env);
        return isempty(e) ? f->default_endpoint : e;
}

int metadata_client_new(HttpEngine *http, Provider provider, const char *account,
                        const char *endpoint, const char *role, MetadataClient **ret) {
        if (!http || (unsigned) provider >= _PROVIDER_MAX || isempty(account))
                return -EINVAL;

        MetadataClient *m = calloc(1, sizeof(MetadataClient));
        if (!m)
                return -ENOMEM;
        m->http = http;
        m->provider = provider;
        m->flavour = &flavour_table[provider];
        if (isempty(role) && m->flavour->role_env)
                role = getenv(m->flavour->role_env);
        m->account = strdup(account);
        m->endpoint = strdup(isempty(endpoint) ? metadata_default_endpoint(provider) : endpoint);
        m->configured_role = isempty(role) ? NULL : strdup(role);
        m->v1_allowed = !env_true(m->flavour->v1_disabled_env);
        if (!m->account || !m->endpoint || (!isempty(role) && !m->configured_role)) {
                metadata_client_free(m);
                return -ENOMEM;
        }
        size_t n = strlen(m->endpoint);
        while (n > 0 && m->endpoint[n - 1] == '/')
                m->endpoint[--n] = '\0';
        *ret = m;
        return 0;
}

static void client_cancel(MetadataClient *m) {
        if (m->ticket) {
                m->ticket->client = NULL;
                m->ticket = NULL;
        }
        if (m->request) {
                http_request_cancel(m->request);
                m->request = NULL;
        }
        m->state = FETCH_IDLE;
}

MetadataClient *metadata_client_free(MetadataClient *m) {
        if (!m)
                return NULL;
        client_cancel(m);
        free(m->account);
        free(m->endpoint);
        free(m->configured_role);
        free(m->role);
        wipe_string(&m->token);
        free(m);
        return NULL;
}

const char *metadata_client_endpoint(const MetadataClient *m) {
        return m->endpoint;
}

/* Ends the fetch: the callback fires once. */
static void client_finish(MetadataClient *m, int error, Credentials *creds, const char *message) {
        MetadataCallback cb = m->cb;
        void *userdata = m->userdata;

        m->state = FETCH_IDLE;
        m->cb = NULL;
        m->userdata = NULL;
        free(m->role);
        m->role = NULL;
        if (cb)
                cb(m, error, creds, message, userdata);
}

static _printf_(3, 4) void client_fail(MetadataClient *m, int error, const char *format, ...) {
        _cleanup_free_ char *detail = NULL, *message = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&detail, format, ap) < 0)
                detail = NULL;
        va_end(ap);
        free(m->role);
        m->role = NULL;
        if (asprintf(&message, "metadata service %s: %s", m->endpoint, detail ?: "failed") < 0)
                message = NULL;
        log_debug("account '%s': %s", m->account, strna(message));
        client_finish(m, error, NULL, message ?: "metadata service failed");
}

static void on_response(HttpRequest *req, int error, const HttpResponse *resp, void *userdata);

static int client_send(MetadataClient *m, FetchState state, const char *method, const char *path,
                       const char *role) {
        _cleanup_(http_request_freep) HttpRequest *r = NULL;
        _cleanup_free_ char *url = NULL;
        const Flavour *f = m->flavour;
        int k;

        if (asprintf(&url, "%s%s%s", m->endpoint, path, strempty(role)) < 0)
                return -ENOMEM;
        k = http_request_new(m->http, method, url, &r);
        if (k < 0)
                return k;
        if (state == FETCH_TOKEN)
                k = http_request_add_header(r, f->token_ttl_header, TOKEN_TTL_STR);
        else if (m->token)
                k = http_request_add_header(r, f->token_header, m->token);
        if (k >= 0)
                k = http_request_set_timeouts(r, METADATA_CONNECT_TIMEOUT_USEC,
                                              METADATA_TOTAL_TIMEOUT_USEC);
        if (k >= 0)
                k = http_request_set_max_response_size(r, METADATA_MAX_RESPONSE);
        if (k < 0)
                return k;

        Ticket *t = calloc(1, sizeof(Ticket));
        if (!t)
                return -ENOMEM;
        t->client = m;
        k = http_request_start(r, on_response, t);
        if (k < 0) {
                free(t);
                return k;
        }
        m->ticket = t;
        m->request = TAKE_PTR(r);
        m->state = state;
        return 0;
}

static bool token_usable(const MetadataClient *m) {
        return m->token && now(CLOCK_MONOTONIC) + TOKEN_MARGIN_USEC < m->token_expires_usec;
}

/* The step after the token: the role listing, or the credentials. */
static int client_send_after_token(MetadataClient *m) {
        const Flavour *f = m->flavour;

        if (!f->role_path)
                return client_send(m, FETCH_CREDS, "GET", f->creds_path, NULL);
        if (m->configured_role) {
                free(m->role);
                if (!(m->role = strdup(m->configured_role)))
                        return -ENOMEM;
                return client_send(m, FETCH_CREDS, "GET", f->role_path, m->role);
        }
        return client_send(m, FETCH_ROLE, "GET", f->role_path, NULL);
}

static int client_begin(MetadataClient *m) {
        if (!token_usable(m)) {
                wipe_string(&m->token);
                return client_send(m, FETCH_TOKEN, "PUT", m->flavour->token_path, NULL);
        }
        return client_send_after_token(m);
}

int metadata_client_fetch(MetadataClient *m, MetadataCallback cb, void *userdata) {
        if (!m || !cb)
                return -EINVAL;
        if (m->state != FETCH_IDLE)
                return -EBUSY;
        m->token_retried = false;
        int r = client_begin(m);
        if (r < 0)
                return r;
        m->cb = cb;
        m->userdata = userdata;
        return 0;
}

static const char *state_step(const MetadataClient *m, FetchState s) {
        switch (s) {
        case FETCH_TOKEN:
                return "token (PUT)";
        case FETCH_ROLE:
                return "role listing";
        case FETCH_CREDS:
                return m->role ? "role credentials" : "security key";
        default:
                return "request";
        }
}

static void handle_token(MetadataClient *m, int error, const HttpResponse *resp) {
        /* botocore's rule: no IMDSv2 here (or the PUT timed out), try IMDSv1. */
        bool fallback =
                error == -ETIMEDOUT ||
                (!error && (resp->status == 403 || resp->status == 404 || resp->status == 405));
        int r;

        if (!error && resp->status == 200) {
                char *t = strndup(resp->body, resp->body_size);
                if (!t) {
                        client_fail(m, -ENOMEM, "out of memory");
                        return;
                }
                size_t n = strlen(t);
                while (n > 0 && strchr(" \t\r\n", t[n - 1]))
                        t[--n] = '\0';
                if (n == 0 || strpbrk(t, "\r\n")) {
                        wipe_string(&t);
                        client_fail(m, -EBADMSG, "token (PUT): malformed token");
                        return;
                }
                m->token = t;
                m->token_expires_usec = now(CLOCK_MONOTONIC) + TOKEN_TTL_SEC * 1000000ULL;
        } else if (fallback && m->v1_allowed) {
                log_debug("account '%s': metadata service %s: no session token, continuing without",
                          m->account, m->endpoint);
        } else if (error) {
                client_fail(m, error, "token (PUT): %s", strerror(-error));
                return;
        } else {
                client_fail(m, -EIO, "token (PUT): HTTP %ld%s", resp->status,
                            fallback ? " and IMDSv1 is disabled" : "");
                return;
        }

        r = client_send_after_token(m);
        if (r < 0)
                client_fail(m, r, "%s", strerror(-r));
}

static void handle_role(MetadataClient *m, const HttpResponse *resp) {
        int r = metadata_parse_role(resp->body, resp->body_size, &m->role);
        if (r < 0) {
                client_fail(m, r, "role listing: %s",
                            r == -ENOMEM ? "out of memory"
                                         : "no usable role name (is a role attached?)");
                return;
        }
        r = client_send(m, FETCH_CREDS, "GET", m->flavour->role_path, m->role);
        if (r < 0)
                client_fail(m, r, "%s", strerror(-r));
}

static void handle_creds(MetadataClient *m, const HttpResponse *resp) {
        _cleanup_(credentials_done) Credentials c = {};
        const char *reason = NULL;
        int r;

        r = metadata_parse_credentials(m->provider, resp->body, resp->body_size, &c, &reason);
        if (r < 0) {
                client_fail(m, r, "%s: %s", state_step(m, FETCH_CREDS), reason);
                return;
        }
        c.kind = CREDENTIAL_SOURCE_METADATA;
        if (asprintf(&c.source, "metadata:%s", m->endpoint) < 0) {
                c.source = NULL;
                client_fail(m, -ENOMEM, "out of memory");
                return;
        }
        free(m->role);
        m->role = NULL;
        log_debug("account '%s': metadata service %s: credentials fetched", m->account,
                  m->endpoint);
        client_finish(m, 0, &c, NULL);
}

/* A GET answered 401 with a cached token: the token went stale, start over once. */
static bool retry_stale_token(MetadataClient *m, FetchState s, const HttpResponse *resp) {
        if (s == FETCH_TOKEN || resp->status != 401 || !m->token || m->token_retried)
                return false;
        m->token_retried = true;
        wipe_string(&m->token);
        free(m->role);
        m->role = NULL;
        int r = client_begin(m);
        if (r < 0)
                client_fail(m, r, "%s", strerror(-r));
        return true;
}

static void on_response(HttpRequest *req, int error, const HttpResponse *resp, void *userdata) {
        Ticket *t = userdata;
        MetadataClient *m = t->client;

        free(t);
        if (!m)
                return; /* the client is gone */
        FetchState s = m->state;
        m->ticket = NULL;
        m->request = NULL;

        if (s == FETCH_TOKEN) {
                handle_token(m, error, resp);
                return;
        }
        if (error < 0) {
                const char *detail = http_request_error_detail(req);
                client_fail(m, error, "%s: %s%s%s", state_step(m, s), strerror(-error),
                            detail ? ": " : "", strempty(detail));
                return;
        }
        if (retry_stale_token(m, s, resp))
                return;
        if (resp->status != 200) {
                client_fail(m, -EIO, "%s: HTTP %ld", state_step(m, s), resp->status);
                return;
        }
        if (s == FETCH_ROLE) {
                handle_role(m, resp);
                return;
        }
        handle_creds(m, resp);
}

static bool role_char_ok(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               strchr("+=,.@_-", c);
}

int metadata_parse_role(const char *body, size_t size, char **ret) {
        const char *p = body, *end = body + size;

        /* Skip empty lines; take the first name. */
        while (p < end && strchr(" \t\r\n", *p) && *p)
                p++;
        const char *e = p;
        while (e < end && *e != '\n' && *e != '\r')
                e++;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
        if (e == p || e - p > 128)
                return -EINVAL;
        for (const char *c = p; c < e; c++)
                if (*c == '\0' || !role_char_ok(*c))
                        return -EINVAL;
        char *s = strndup(p, (size_t) (e - p));
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int json_take_string(json_t *o, const char *key, bool required, char **ret,
                            const char **ret_reason, const char *missing) {
        json_t *v = json_object_get(o, key);
        if (!v || json_is_null(v)) {
                if (required) {
                        *ret_reason = missing;
                        return -EINVAL;
                }
                return 0;
        }
        if (!json_is_string(v) || json_string_length(v) == 0 ||
            strlen(json_string_value(v)) != json_string_length(v)) {
                *ret_reason = missing;
                return -EINVAL;
        }
        if (!(*ret = strdup(json_string_value(v))))
                return -ENOMEM;
        return 0;
}

/* jansson keeps the body's strings in the json_t; wipe the secret ones before freeing. */
static void json_wipe(json_t *o, const Flavour *f) {
        const char *keys[] = { f->f_secret, f->f_token };
        for (size_t i = 0; o && i < ELEMENTSOF(keys); i++) {
                json_t *v = json_object_get(o, keys[i]);
                if (json_is_string(v))
                        explicit_bzero((char *) json_string_value(v), json_string_length(v));
        }
}

static int parse_fields(const Flavour *f, json_t *o, Credentials *c, const char **ret_reason) {
        _cleanup_free_ char *expiration = NULL;
        int r;

        if (f->has_code) {
                json_t *code = json_object_get(o, "Code");
                if (code && (!json_is_string(code) || !streq(json_string_value(code), "Success"))) {
                        *ret_reason = "the answer's Code is not 'Success'";
                        return -EINVAL;
                }
        }
        if ((r = json_take_string(o, f->f_id, true, &c->access_key_id, ret_reason,
                                  "the access key id is missing or not a string")) < 0 ||
            (r = json_take_string(o, f->f_secret, true, &c->secret, ret_reason,
                                  "the secret is missing or not a string")) < 0 ||
            (r = json_take_string(o, f->f_token, false, &c->token, ret_reason,
                                  "the token is not a string")) < 0 ||
            (r = json_take_string(o, f->f_expiration, true, &expiration, ret_reason,
                                  "the expiration time is missing or not a string")) < 0)
                return r;
        if (credentials_parse_time(expiration, &c->expires_usec) < 0 || c->expires_usec == 0) {
                *ret_reason = "the expiration time is not an ISO 8601 time";
                return -EINVAL;
        }
        return 0;
}

int metadata_parse_credentials(Provider provider, const char *body, size_t size, Credentials *ret,
                               const char **ret_reason) {
        _cleanup_(credentials_done) Credentials c = {};
        const char *reason = "out of memory";
        json_error_t jerr;
        int r;

        if ((unsigned) provider >= _PROVIDER_MAX)
                return -EINVAL;
        const Flavour *f = &flavour_table[provider];

        /* Never quote jansson's message: it may contain text of the (secret) body. */
        json_t *root = json_loadb(body, size, JSON_REJECT_DUPLICATES, &jerr);
        json_t *o = root && f->wrapper ? json_object_get(root, f->wrapper) : root;
        if (!root)
                reason = "the answer is not JSON";
        else if (!json_is_object(o))
                reason = f->wrapper ? "the answer has no 'credential' object"
                                    : "the answer is not a JSON object";
        r = root && json_is_object(o) ? parse_fields(f, o, &c, &reason) : -EINVAL;
        json_wipe(json_is_object(o) ? o : NULL, f);
        json_decref(root);
        if (r < 0) {
                if (ret_reason)
                        *ret_reason = r == -ENOMEM ? "out of memory" : reason;
                return r;
        }
        *ret = c;
        c = (Credentials){};
        return 0;
}
