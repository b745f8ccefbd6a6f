/* SPDX-License-Identifier: MIT */
/* clouds/credentials against a fake instance metadata server: libmicrohttpd on 127.0.0.1:0 in
 * its own thread, speaking the three clouds' protocols at once (they differ in paths and
 * header names). The server hands out session tokens, checks them, serves numbered credentials
 * ("AKID1", "SECRET1", ...) with a chosen lifetime, and counts and records what it saw. The
 * tests drive sd-event with bounded runs; lifetimes are about a second, so the refresh tests
 * take about that long.
 *
 * Also: the response parsers, table driven. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <cmocka.h>

#include "clouds/credentials/metadata.h"
#include "clouds/credentials/credentials.h"
#include "lib/macro.h"

#define ROLE "asyncfg-role"

typedef struct FakeMetadata {
        struct MHD_Daemon *daemon;
        uint16_t port;
        char url[64];
        pthread_mutex_t lock;

        /* behaviour, set by the tests */
        unsigned lifetime_ms;  /* of served credentials */
        int expired;           /* serve credentials that expired already */
        unsigned token_status; /* answer to the token PUT; 0: 200 */
        unsigned creds_status; /* answer to the credentials GET; 0: 200 */
        bool require_token;    /* GETs without the current token get 401 */

        /* what happened */
        unsigned token_seq; /* tokens handed out; the current one is "tok-<seq>" */
        unsigned n_token_puts, n_role_gets, n_creds_gets, n_served, n_bad_token;
        char last_ttl_header[64]; /* "name: value" of the last PUT */
        char last_get_token[64];  /* the token header of the last GET, "" if none */
        char last_get_path[128];
        bool every_get_had_token; /* since the last reset */
} FakeMetadata;

static FakeMetadata fake;

/* ---- the fake metadata server -------------------------------------------------------------- */

static const char *header(struct MHD_Connection *c, const char *name) {
        return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static void iso_time(uint64_t usec, char *buf, size_t size) {
        time_t t = (time_t) (usec / 1000000ULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, size - n, ".%03uZ", (unsigned) (usec % 1000000ULL / 1000ULL));
}

static uint64_t realtime_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

/* Body of the credentials answer for a cloud; called with the lock held. */
static char *creds_body(const char *cloud) {
        char exp[64], *body = NULL;
        unsigned n = ++fake.n_served;
        uint64_t now = realtime_usec();
        uint64_t expires = fake.expired ? now - 10000000ULL : now + fake.lifetime_ms * 1000ULL;

        iso_time(expires, exp, sizeof(exp));
        if (streq(cloud, "aws"))
                assert_true(
                        asprintf(&body,
                                 "{\"Code\":\"Success\",\"LastUpdated\":\"2024-01-01T00:00:00Z\","
                                 "\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"AKID%u\","
                                 "\"SecretAccessKey\":\"SECRET%u\",\"Token\":\"TOKEN%u\","
                                 "\"Expiration\":\"%s\"}",
                                 n, n, n, exp) > 0);
        else if (streq(cloud, "ali"))
                assert_true(
                        asprintf(&body,
                                 "{\"AccessKeyId\":\"AKID%u\",\"AccessKeySecret\":\"SECRET%u\","
                                 "\"Expiration\":\"%s\",\"SecurityToken\":\"TOKEN%u\","
                                 "\"LastUpdated\":\"2024-01-01T00:00:00Z\",\"Code\":\"Success\"}",
                                 n, n, exp, n) > 0);
        else
                assert_true(
                        asprintf(&body,
                                 "{\"credential\":{\"access\":\"AKID%u\",\"secret\":\"SECRET%u\","
                                 "\"securitytoken\":\"TOKEN%u\",\"expires_at\":\"%s\"}}",
                                 n, n, n, exp) > 0);
        return body;
}

typedef struct Answer {
        unsigned status;
        char *body;
} Answer;

static Answer answer_token(struct MHD_Connection *c, const char *ttl_name) {
        const char *ttl = header(c, ttl_name);
        Answer a = { .status = fake.token_status ?: 200 };

        fake.n_token_puts++;
        snprintf(fake.last_ttl_header, sizeof(fake.last_ttl_header), "%s: %s", ttl_name,
                 strna(ttl));
        if (!ttl)
                return (Answer){ .status = 400, .body = strdup("ttl header missing") };
        if (a.status == 200)
                assert_true(asprintf(&a.body, "tok-%u", ++fake.token_seq) > 0);
        return a;
}

/* A GET: records the token header; 401 when a token is required and this one is not current. */
static bool check_token(struct MHD_Connection *c, const char *token_name, const char *path) {
        const char *t = header(c, token_name);
        char current[32];

        snprintf(fake.last_get_token, sizeof(fake.last_get_token), "%s", t ?: "");
        snprintf(fake.last_get_path, sizeof(fake.last_get_path), "%s", path);
        if (!t)
                fake.every_get_had_token = false;
        snprintf(current, sizeof(current), "tok-%u", fake.token_seq);
        if (fake.require_token && (!t || !streq(t, current))) {
                fake.n_bad_token++;
                return false;
        }
        return true;
}

static Answer answer_role_path(struct MHD_Connection *c, const char *url, const char *prefix,
                               const char *token_name, const char *cloud) {
        const char *role = url + strlen(prefix);

        if (!check_token(c, token_name, url))
                return (Answer){ .status = 401 };
        if (role[0] == '\0') {
                fake.n_role_gets++;
                return (Answer){ .status = 200, .body = strdup(ROLE "\n") };
        }
        fake.n_creds_gets++;
        if (!streq(role, ROLE))
                return (Answer){ .status = 404 };
        if (fake.creds_status)
                return (Answer){ .status = fake.creds_status };
        return (Answer){ .status = 200, .body = creds_body(cloud) };
}

static Answer route(struct MHD_Connection *c, const char *url, const char *method) {
        static const char aws_prefix[] = "/latest/meta-data/iam/security-credentials/";
        static const char ali_prefix[] = "/latest/meta-data/ram/security-credentials/";

        if (streq(method, "PUT") && streq(url, "/latest/api/token"))
                return answer_token(c, header(c, "X-aliyun-ecs-metadata-token-ttl-seconds")
                                               ? "X-aliyun-ecs-metadata-token-ttl-seconds"
                                               : "x-aws-ec2-metadata-token-ttl-seconds");
        if (streq(method, "PUT") && streq(url, "/meta-data/latest/api/token"))
                return answer_token(c, "X-Metadata-Token-Ttl-Seconds");
        if (!streq(method, "GET"))
                return (Answer){ .status = 405 };
        if (startswith(url, aws_prefix))
                return answer_role_path(c, url, aws_prefix, "x-aws-ec2-metadata-token", "aws");
        if (startswith(url, ali_prefix))
                return answer_role_path(c, url, ali_prefix, "X-aliyun-ecs-metadata-token", "ali");
        if (streq(url, "/openstack/latest/securitykey")) {
                if (!check_token(c, "X-Metadata-Token", url))
                        return (Answer){ .status = 401 };
                fake.n_creds_gets++;
                if (fake.creds_status)
                        return (Answer){ .status = fake.creds_status };
                return (Answer){ .status = 200, .body = creds_body("huawei") };
        }
        return (Answer){ .status = 404 };
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls) {
        static int marker;

        if (!*con_cls) {
                *con_cls = &marker;
                return MHD_YES;
        }
        if (*upload_data_size > 0) {
                *upload_data_size = 0;
                return MHD_YES;
        }

        pthread_mutex_lock(&fake.lock);
        Answer a = route(c, url, method);
        pthread_mutex_unlock(&fake.lock);

        struct MHD_Response *resp = MHD_create_response_from_buffer(
                a.body ? strlen(a.body) : 0, a.body ?: (char *) "", MHD_RESPMEM_MUST_COPY);
        free(a.body);
        enum MHD_Result ret = MHD_queue_response(c, a.status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static int fake_start(void **state) {
        struct sockaddr_in sa = {
                .sin_family = AF_INET,
                .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
        };

        pthread_mutex_init(&fake.lock, NULL);
        fake.daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler,
                                       NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
        assert_non_null(fake.daemon);
        const union MHD_DaemonInfo *info =
                MHD_get_daemon_info(fake.daemon, MHD_DAEMON_INFO_BIND_PORT);
        assert_non_null(info);
        fake.port = info->port;
        snprintf(fake.url, sizeof(fake.url), "http://127.0.0.1:%u", fake.port);
        return 0;
}

static int fake_stop(void **state) {
        MHD_stop_daemon(fake.daemon);
        pthread_mutex_destroy(&fake.lock);
        return 0;
}

/* Before each test: default behaviour, counters zero. */
static int fake_reset(void **state) {
        pthread_mutex_lock(&fake.lock);
        fake.lifetime_ms = 3600 * 1000;
        fake.expired = 0;
        fake.token_status = fake.creds_status = 0;
        fake.require_token = true;
        fake.token_seq = 0;
        fake.n_token_puts = fake.n_role_gets = fake.n_creds_gets = fake.n_served =
                fake.n_bad_token = 0;
        fake.last_ttl_header[0] = fake.last_get_token[0] = fake.last_get_path[0] = '\0';
        fake.every_get_had_token = true;
        pthread_mutex_unlock(&fake.lock);
        unsetenv("AWS_EC2_METADATA_V1_DISABLED");
        unsetenv("ALIBABA_CLOUD_ECS_METADATA");
        unsetenv("ALIBABA_CLOUD_IMDSV1_DISABLED");
        return 0;
}

static FakeMetadata fake_snapshot(void) {
        pthread_mutex_lock(&fake.lock);
        FakeMetadata s = fake;
        pthread_mutex_unlock(&fake.lock);
        return s;
}

#define FAKE_SET(field, value)                                                                     \
        do {                                                                                       \
                pthread_mutex_lock(&fake.lock);                                                    \
                fake.field = (value);                                                              \
                pthread_mutex_unlock(&fake.lock);                                                  \
        } while (0)

/* ---- the client side ----------------------------------------------------------------------- */

typedef struct Harness {
        sd_event *event;
        HttpEngine *http;
        CredentialProvider *provider;
        unsigned n_ok, n_err;
        int last_error;
        char *last_message;
} Harness;

static void on_credentials(CredentialProvider *p, int error, void *userdata) {
        Harness *h = userdata;

        if (error < 0) {
                h->n_err++;
                h->last_error = error;
                free(h->last_message);
                h->last_message = strdup(strna(credential_provider_error(p)));
        } else
                h->n_ok++;
}

static void harness_init(Harness *h, Provider provider, const char *endpoint, const char *role) {
        CredentialConfig cfg = {
                .provider = provider,
                .account = "meta-acct",
                .source = CREDENTIAL_SOURCE_METADATA,
                .metadata_endpoint = endpoint ?: fake.url,
                .role = role,
        };

        *h = (Harness){};
        assert_int_equal(sd_event_new(&h->event), 0);
        assert_int_equal(http_engine_new(h->event, NULL, &h->http), 0);
        assert_int_equal(credential_provider_new(h->event, h->http, &cfg, &h->provider), 0);
        credential_provider_set_callback(h->provider, on_credentials, h);
}

static void harness_done(Harness *h) {
        h->provider = credential_provider_free(h->provider);
        h->http = http_engine_free(h->http);
        h->event = sd_event_unref(h->event);
        free(h->last_message);
}

/* Runs the loop until *counter reaches n or timeout_ms passes; returns whether it did. */
static bool run_until(Harness *h, const unsigned *counter, unsigned n, unsigned timeout_ms) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t end = (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL +
                       timeout_ms * 1000ULL;

        while (*counter < n) {
                clock_gettime(CLOCK_MONOTONIC, &ts);
                uint64_t now = (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
                if (now >= end)
                        return false;
                assert_true(sd_event_run(h->event, end - now) >= 0);
        }
        return true;
}

static void assert_no_secret(const char *s) {
        if (s && (strstr(s, "SECRET") || strstr(s, "TOKEN") || strstr(s, "tok-")))
                fail_msg("a secret leaked into: %s", s);
}

static void expect_creds(Harness *h, unsigned n) {
        char buf[32];
        const Credentials *c = credential_provider_get(h->provider);

        assert_non_null(c);
        snprintf(buf, sizeof(buf), "AKID%u", n);
        assert_string_equal(c->access_key_id, buf);
        snprintf(buf, sizeof(buf), "SECRET%u", n);
        assert_string_equal(c->secret, buf);
        snprintf(buf, sizeof(buf), "TOKEN%u", n);
        assert_string_equal(c->token, buf);
        assert_int_equal(c->kind, CREDENTIAL_SOURCE_METADATA);
        assert_true(startswith(c->source, "metadata:http://127.0.0.1:"));
        assert_no_secret(c->source);
        assert_true(c->expires_usec > realtime_usec());
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_aws_imdsv2(void **state) {
        Harness h;

        harness_init(&h, PROVIDER_AWS, NULL, NULL);
        assert_int_equal(credential_provider_start(h.provider), 0);
        assert_null(credential_provider_get(h.provider));
        assert_true(run_until(&h, &h.n_ok, 1, 3000));
        expect_creds(&h, 1);
        assert_int_equal(h.n_err, 0);
        assert_int_equal(credential_provider_n_fetches(h.provider), 1);

        FakeMetadata s = fake_snapshot();
        assert_int_equal(s.n_token_puts, 1);
        assert_string_equal(s.last_ttl_header, "x-aws-ec2-metadata-token-ttl-seconds: 21600");
        assert_int_equal(s.n_role_gets, 1);
        assert_int_equal(s.n_creds_gets, 1);
        assert_true(s.every_get_had_token);
        assert_int_equal(s.n_bad_token, 0);
        assert_string_equal(s.last_get_token, "tok-1");
        assert_string_equal(s.last_get_path, "/latest/meta-data/iam/security-credentials/" ROLE);
        harness_done(&h);
}

static void test_alicloud_ram_role(void **state) {
        Harness h;

        harness_init(&h, PROVIDER_ALICLOUD, NULL, NULL);
        assert_int_equal(credential_provider_start(h.provider), 0);
        assert_true(run_until(&h, &h.n_ok, 1, 3000));
        expect_creds(&h, 1);
        FakeMetadata s = fake_snapshot();
        assert_string_equal(s.last_ttl_header, "X-aliyun-ecs-metadata-token-ttl-seconds: 21600");
        assert_int_equal(s.n_role_gets, 1);
        assert_true(s.every_get_had_token);
        assert_string_equal(s.last_get_token, "tok-1");
        assert_string_equal(s.last_get_path, "/latest/meta-data/ram/security-credentials/" ROLE);
        harness_done(&h);

        /* The role from ALIBABA_CLOUD_ECS_METADATA: no listing. */
        fake_reset(state);
        setenv("ALIBABA_CLOUD_ECS_METADATA", ROLE, 1);
        harness_init(&h, PROVIDER_ALICLOUD, NULL, NULL);
        assert_int_equal(credential_provider_start(h.provider), 0);
        assert_true(run_until(&h, &h.n_ok, 1, 3000));
        expect_creds(&h, 1);
        s = fake_snapshot();
        assert_int_equal(s.n_role_gets, 0);
        assert_int_equal(s.n_creds_gets, 1);
        harness_done(&h);

        /* A configured role that the instance does not have: 404, named in the error. */
        fake_reset(state);
        harness_init(&h, PROVIDER_ALICLOUD, NULL, "other-role");
        assert_int_equal(credential_provider_start(h.provider), 0);
        assert_true(run_until(&h, &h.n_err, 1, 3000));
        assert_true(startswith(h.last_message, "metadata service http://127.0.0.1:"));
        assert_true(endswith(h.last_message, ": role credentials: HTTP 404"));
        harness_done(&h);
}

static void test_huaweicloud_security_key(void **state) {
        Harness h;

        harness_init(&h, PROVIDER_HUAWEICLOUD, NULL, NULL);
        assert_int_equal(credential_provider_start(h.provider), 0);
        assert_true(run_until(&h, &h.n_ok, 1, 3000));
        expect_creds(&h, 1);
        FakeMetadata s = fake_snapshot();
        assert_int_equal(s.n_token_puts, 1);
        assert_string_equal(s.last_ttl_header, "X-Metadata-Token-Ttl-Seconds: 21600");
        assert_string_equal(s.last_get_token, "tok-1");
        assert_string_equal(s.last_get_path, "/openstack/latest/securitykey");
        harness_done(&h);

        /* The token is optional: a server without the token API is asked without one. */
        fake_reset(state);
        FAKE_SET(token_status, 404);
        FAKE_SET(require_token, false);
        harness_init(&h, PROVIDER_HUAWEICLOUD, NULL, NULL);
        assert_int_equal(credential_provider_start(h.provider), 0);
        assert_true(run_until(&h, &h.n_ok, 1, 3000));
        expect_creds(&h, 1);
        s = fake_snapshot();
        assert_int_equal(s.n_token_puts, 1);
        assert_string_equal(s.last_get_token, "");
        harness_done(&h);
}

static void test_imdsv1_fallback(void **state) {
        Harness h;

        FAKE_SET(token_status, 405);
        FAKE_SET(require_token, false);
        harness_init(&h, PROVIDER_AWS, NULL, NULL);
        assert_int_equal(credential_provider_start(h.provider), 0);
        assert_true(run_until(&h, &h.n_ok, 1, 3000));
        expect_creds(&h, 1);
        assert_false(fake_snapshot().every_get_had_token);
        harness_done(&h);

        /* Not when IMDSv1 is disabled. */
        fake_reset(state);
        FAKE_SET(token_status, 405);
        setenv("AWS_EC2_METADATA_V1_DISABLED", "true", 1);
        harness_init(&h, PROVIDER_AWS, NULL, NULL);
        assert_int_equal(credential_provider_start(h.provider), 0);
        assert_true(run_until(&h, &h.n_err, 1, 3000));
        assert_null(credential_provider_get(h.provider));
        assert_non_null(strstr(h.last_message, "token (PUT): HTTP 405 and IMDSv1 is disabled"));
        assert_int_equal(fake_snapshot().n_role_gets, 0);
        harness_done(&h);

        /* Any other answer to the PUT is an error too. */
        fake_reset(state);
        FAKE_SET(token_status, 500);
        harness_init(&h, PROVIDER_ALICLOUD, NULL, NULL);
        assert_int_equal(credential_provider_start(h.provider), 0);
        assert_true(run_until(&h, &h.n_err, 1, 3000));
        assert_non_null(strstr(h.last_message, "token (PUT): HTTP 500"));
        harness_done(&h);
}

static void test_refresh_before_expiry(void **state) {
        Harness h;

        /* 1.2 s of lifetime: refreshed after about half of it. */
        FAKE_SET(lifetime_ms, 1200);
        harness_init(&h, PROVIDER_AWS, NULL, NULL);
        assert_int_equal(credential_provider_start(h.provider), 0);
        assert_true(run_until(&h, &h.n_ok, 1, 3000));
        expect_creds(&h, 1);
        uint64_t first_expiry = credential_provider_get(h.provider)->expires_usec;

        assert_true(run_until(&h, &h.n_ok, 2, 3000));
        /* Refreshed before the first ones expired, and the new ones are served. */
        assert_true(realtime_usec() < first_expiry);
        expect_creds(&h, 2);
        assert_int_equal(credential_provider_n_fetches(h.provider), 2);
        FakeMetadata s = fake_snapshot();
        assert_int_equal(s.n_token_puts, 1); /* the session token was reused */
        assert_int_equal(s.n_role_gets, 2);
        assert_int_equal(s.n_creds_gets, 2);
        assert_true(s.every_get_had_token);
        assert_int_equal(h.n_err, 0);
        harness_done(&h);
}

static void test_failure_keeps_old_credentials(void **state) {
        Harness h;

        FAKE_SET(lifetime_ms, 1000);
        harness_init(&h, PROVIDER_HUAWEICLOUD, NULL, NULL);
        assert_int_equal(credential_provider_start(h.provider), 0);
        assert_true(run_until(&h, &h.n_ok, 1, 3000));
        uint64_t expiry = credential_provider_get(h.provider)->expires_usec;

        /* The refresh fails: the old credentials stay until they expire. */
        FAKE_SET(creds_status, 500);
        assert_true(run_until(&h, &h.n_err, 1, 3000));
        assert_true(realtime_usec() < expiry);
        expect_creds(&h, 1);
        assert_string_equal(credential_provider_error(h.provider), h.last_message);
        assert_true(startswith(h.last_message, "metadata service http://127.0.0.1:"));
        assert_true(endswith(h.last_message, ": security key: HTTP 500"));
        assert_no_secret(h.last_message);

        /* After the expiry: nothing. */
        while (realtime_usec() < expiry)
                assert_true(sd_event_run(h.event, expiry - realtime_usec() + 1000) >= 0);
        assert_null(credential_provider_get(h.provider));

        /* The server recovers: the retry (1 s after the failure) brings new credentials. */
        FAKE_SET(creds_status, 0);
        FAKE_SET(lifetime_ms, 3600 * 1000);
        assert_true(run_until(&h, &h.n_ok, 2, 3000));
        expect_creds(&h, 2);
        assert_null(credential_provider_error(h.provider));
        harness_done(&h);
}

static void test_stale_token(void **state) {
        Harness h;

        FAKE_SET(lifetime_ms, 600);
        harness_init(&h, PROVIDER_AWS, NULL, NULL);
        assert_int_equal(credential_provider_start(h.provider), 0);
        assert_true(run_until(&h, &h.n_ok, 1, 3000));

        /* The server forgets the token (as after a reboot): the GET gets 401, the client takes
         * a new token and tries again, once. */
        FAKE_SET(token_seq, 100);
        assert_true(run_until(&h, &h.n_ok, 2, 3000));
        expect_creds(&h, 2);
        FakeMetadata s = fake_snapshot();
        assert_int_equal(s.n_token_puts, 2);
        assert_int_equal(s.n_bad_token, 1);
        assert_string_equal(s.last_get_token, "tok-101");
        assert_int_equal(h.n_err, 0);
        harness_done(&h);
}

static void test_expired_answer_and_connection_refused(void **state) {
        Harness h;

        FAKE_SET(expired, 1);
        harness_init(&h, PROVIDER_ALICLOUD, NULL, NULL);
        assert_int_equal(credential_provider_start(h.provider), 0);
        assert_true(run_until(&h, &h.n_err, 1, 3000));
        assert_int_equal(h.last_error, -ESTALE);
        assert_non_null(strstr(h.last_message, "have already expired"));
        assert_null(credential_provider_get(h.provider));
        harness_done(&h);

        /* Nobody listening. */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
        char url[64];
        snprintf(url, sizeof(url), "http://127.0.0.1:%u/", ntohs(sa.sin_port));
        harness_init(&h, PROVIDER_AWS, url, NULL);
        assert_int_equal(credential_provider_start(h.provider), 0);
        assert_true(run_until(&h, &h.n_err, 1, 3000));
        assert_int_equal(h.last_error, -ECONNREFUSED);
        assert_true(startswith(h.last_message, "metadata service http://127.0.0.1:"));
        assert_non_null(strstr(h.last_message, "token (PUT): Connection refused"));
        assert_null(strstr(h.last_message, "no systemd credential"));
        harness_done(&h);

        /* The same at the end of the chain: the message says that nothing else was found. */
        h = (Harness){};
        CredentialConfig cfg = { .provider = PROVIDER_AWS,
                                 .account = "nothing",
                                 .metadata_endpoint = url };
        assert_int_equal(sd_event_new(&h.event), 0);
        assert_int_equal(http_engine_new(h.event, NULL, &h.http), 0);
        assert_int_equal(credential_provider_new(h.event, h.http, &cfg, &h.provider), 0);
        credential_provider_set_callback(h.provider, on_credentials, &h);
        assert_int_equal(credential_provider_start(h.provider), 0);
        assert_true(run_until(&h, &h.n_err, 1, 3000));
        assert_true(startswith(h.last_message, "metadata service http://127.0.0.1:"));
        assert_true(endswith(h.last_message,
                             "Connection refused (and no systemd credential, environment "
                             "variables or shared credentials file were found)"));
        harness_done(&h);
        close(fd);
}

static void test_free_while_in_flight(void **state) {
        Harness h;

        /* Freeing the provider with a request in flight: no callback, no use after free (the
         * engine delivers -ECANCELED to a detached ticket). */
        harness_init(&h, PROVIDER_AWS, NULL, NULL);
        assert_int_equal(credential_provider_start(h.provider), 0);
        h.provider = credential_provider_free(h.provider);
        for (int i = 0; i < 5; i++)
                assert_true(sd_event_run(h.event, 10000) >= 0);
        assert_int_equal(h.n_ok + h.n_err, 0);
        harness_done(&h);

        /* Same, with the engine freed first while the provider still waits. */
        harness_init(&h, PROVIDER_HUAWEICLOUD, NULL, NULL);
        assert_int_equal(credential_provider_start(h.provider), 0);
        h.http = http_engine_free(h.http);
        assert_int_equal(h.n_err, 1);
        assert_int_equal(h.last_error, -ECANCELED);
        harness_done(&h);
}

/* ---- parsers ------------------------------------------------------------------------------- */

static void test_parse_credentials(void **state) {
        static const struct {
                Provider provider;
                const char *body;
                const char *reason; /* NULL: accepted */
        } cases[] = {
                { PROVIDER_AWS,
                  "{\"Code\":\"Success\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRETx\",\"Token\":\"TOKENx\",\"Expiration\":\"2030-01-01T00:00:00Z\"}",
                  NULL },
                { PROVIDER_AWS,
                  "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRETx\",\"Expiration\":\"2030-01-01T00:00:00Z\"}",
                  NULL },
                { PROVIDER_AWS,
                  "{\"Code\":\"Failure\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRETx\",\"Expiration\":\"2030-01-01T00:00:00Z\"}",
                  "Code is not 'Success'" },
                { PROVIDER_AWS, "{\"AccessKeyId\":\"A\",\"Expiration\":\"2030-01-01T00:00:00Z\"}",
                  "secret is missing" },
                { PROVIDER_AWS,
                  "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"\",\"Expiration\":\"2030-01-01T00:00:00Z\"}",
                  "secret is missing" },
                { PROVIDER_AWS,
                  "{\"AccessKeyId\":7,\"SecretAccessKey\":\"SECRETx\",\"Expiration\":\"2030-01-01T00:00:00Z\"}",
                  "access key id is missing" },
                { PROVIDER_AWS, "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRETx\"}",
                  "expiration time is missing" },
                { PROVIDER_AWS,
                  "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRETx\",\"Expiration\":\"soon\"}",
                  "not an ISO 8601 time" },
                { PROVIDER_AWS,
                  "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRETx\",\"Token\":[],\"Expiration\":\"2030-01-01T00:00:00Z\"}",
                  "token is not a string" },
                { PROVIDER_AWS, "SECRETx is not json", "not JSON" },
                { PROVIDER_AWS, "[\"SECRETx\"]", "not a JSON object" },
                { PROVIDER_AWS, "{\"AccessKeyId\":\"A\",\"AccessKeyId\":\"B\"}", "not JSON" },
                { PROVIDER_ALICLOUD,
                  "{\"AccessKeyId\":\"A\",\"AccessKeySecret\":\"SECRETx\",\"SecurityToken\":\"TOKENx\",\"Expiration\":\"2030-01-01T00:00:00Z\",\"Code\":\"Success\"}",
                  NULL },
                { PROVIDER_ALICLOUD,
                  "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRETx\",\"Expiration\":\"2030-01-01T00:00:00Z\"}",
                  "secret is missing" },
                { PROVIDER_HUAWEICLOUD,
                  "{\"credential\":{\"access\":\"A\",\"secret\":\"SECRETx\",\"securitytoken\":\"TOKENx\",\"expires_at\":\"2030-01-01T00:00:00.000000Z\"}}",
                  NULL },
                { PROVIDER_HUAWEICLOUD,
                  "{\"access\":\"A\",\"secret\":\"SECRETx\",\"expires_at\":\"2030-01-01T00:00:00Z\"}",
                  "no 'credential' object" },
                { PROVIDER_HUAWEICLOUD, "{\"credential\":\"SECRETx\"}", "no 'credential' object" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Credentials c = {};
                const char *reason = NULL;
                int r = metadata_parse_credentials(cases[i].provider, cases[i].body,
                                                   strlen(cases[i].body), &c, &reason);
                if (!cases[i].reason) {
                        if (r < 0)
                                fail_msg("case %zu rejected: %s", i, reason);
                        assert_string_equal(c.access_key_id, "A");
                        assert_string_equal(c.secret, "SECRETx");
                        assert_int_equal(c.expires_usec, 1893456000ULL * 1000000ULL);
                        credentials_done(&c);
                        continue;
                }
                assert_int_equal(r, -EINVAL);
                assert_null(c.access_key_id);
                if (!strstr(reason, cases[i].reason))
                        fail_msg("case %zu: '%s' lacks '%s'", i, reason, cases[i].reason);
                assert_no_secret(reason);
        }
}

static void test_parse_role(void **state) {
        static const struct {
                const char *body;
                const char *role;
        } cases[] = {
                { "role-a\n", "role-a" },
                { "\n\n  Role_B@x.y+z=1,2  \r\nsecond\n", "Role_B@x.y+z=1,2" },
                { "only", "only" },
                { "", NULL },
                { "\n\n", NULL },
                { "../../etc\n", NULL },
                { "a b\n", NULL },
                { "role%2F\n", NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *role = NULL;
                int r = metadata_parse_role(cases[i].body, strlen(cases[i].body), &role);
                if (cases[i].role) {
                        assert_int_equal(r, 0);
                        assert_string_equal(role, cases[i].role);
                        free(role);
                } else {
                        assert_int_equal(r, -EINVAL);
                        assert_null(role);
                }
        }
}

static void test_default_endpoints(void **state) {
        unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
        unsetenv("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT");
        unsetenv("HUAWEICLOUD_METADATA_ENDPOINT");
        assert_string_equal(metadata_default_endpoint(PROVIDER_AWS), "http://169.254.169.254");
        assert_string_equal(metadata_default_endpoint(PROVIDER_ALICLOUD), "http://100.100.100.200");
        assert_string_equal(metadata_default_endpoint(PROVIDER_HUAWEICLOUD),
                            "http://169.254.169.254");
        setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://[fd00:ec2::254]", 1);
        setenv("HUAWEICLOUD_METADATA_ENDPOINT", "http://127.0.0.1:1", 1);
        assert_string_equal(metadata_default_endpoint(PROVIDER_AWS), "http://[fd00:ec2::254]");
        assert_string_equal(metadata_default_endpoint(PROVIDER_HUAWEICLOUD), "http://127.0.0.1:1");
        unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
        unsetenv("HUAWEICLOUD_METADATA_ENDPOINT");
}

static void test_endpoint_from_environment(void **state) {
        Harness h;

        /* No metadataEndpoint in the config: the environment's endpoint is used. */
        setenv("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", fake.url, 1);
        CredentialConfig cfg = { .provider = PROVIDER_ALICLOUD, .account = "ali" };
        h = (Harness){};
        assert_int_equal(sd_event_new(&h.event), 0);
        assert_int_equal(http_engine_new(h.event, NULL, &h.http), 0);
        assert_int_equal(credential_provider_new(h.event, h.http, &cfg, &h.provider), 0);
        credential_provider_set_callback(h.provider, on_credentials, &h);
        /* The chain finds nothing static (no variables, no files in a fresh $HOME). */
        assert_int_equal(credential_provider_start(h.provider), 0);
        assert_true(run_until(&h, &h.n_ok, 1, 3000));
        expect_creds(&h, 1);
        unsetenv("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT");
        harness_done(&h);
}

int main(void) {
        static const char *const clear[] = {
                "http_proxy",
                "https_proxy",
                "HTTPS_PROXY",
                "all_proxy",
                "ALL_PROXY",
                "ALIBABA_CLOUD_ACCESS_KEY_ID",
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                "ALIBABA_CLOUD_CREDENTIALS_FILE",
                "CREDENTIALS_DIRECTORY",
        };
        for (size_t i = 0; i < ELEMENTSOF(clear); i++)
                unsetenv(clear[i]);
        setenv("HOME", "/nonexistent-home-for-test", 1);

        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_aws_imdsv2, fake_reset),
                cmocka_unit_test_setup(test_alicloud_ram_role, fake_reset),
                cmocka_unit_test_setup(test_huaweicloud_security_key, fake_reset),
                cmocka_unit_test_setup(test_imdsv1_fallback, fake_reset),
                cmocka_unit_test_setup(test_refresh_before_expiry, fake_reset),
                cmocka_unit_test_setup(test_failure_keeps_old_credentials, fake_reset),
                cmocka_unit_test_setup(test_stale_token, fake_reset),
                cmocka_unit_test_setup(test_expired_answer_and_connection_refused, fake_reset),
                cmocka_unit_test_setup(test_free_while_in_flight, fake_reset),
                cmocka_unit_test_setup(test_endpoint_from_environment, fake_reset),
                cmocka_unit_test(test_parse_credentials),
                cmocka_unit_test(test_parse_role),
                cmocka_unit_test(test_default_endpoints),
        };
        return cmocka_run_group_tests(tests, fake_start, fake_stop);
}
