/* SPDX-License-Identifier: MIT */
/* The cloud clients end to end: every operation of every cloud through lib/http against a
 * small libmicrohttpd server on 127.0.0.1 that checks each request's signature with the
 * verifier of clouds/sign/sign.h and answers from a script of canned responses. Also list
 * pagination, error classification on the wire, malformed 200s, cancellation and a refused
 * connection: each callback fires exactly once. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "clouds/cloud.h"
#include "clouds/credentials/credentials.h"
#include "lib/urlenc.h"
#include "tests/unit/mhd-upload.h"

#define SECRET "test-secret/K7MDENG"
#define TOKEN "test-session-token"
#define MAX_SCRIPT 8

typedef struct Canned {
        unsigned status;
        const char *header_name, *header_value;
        const char *body;
} Canned;

typedef struct Seen {
        char method[16];
        char target[1024]; /* path?query as on the wire */
        char body[4096];
        bool signature_ok;
        char authorization[512];
} Seen;

static struct {
        struct MHD_Daemon *daemon;
        uint16_t port;
        pthread_mutex_t lock;
        Canned script[MAX_SCRIPT];
        unsigned n_script, next;
        Seen seen[MAX_SCRIPT];
        unsigned n_seen;
} srv;

typedef struct Collect {
        SignHeader headers[32];
        size_t n_headers;
        SignParam query[8];
        size_t n_query;
        char raw_query[1024];
} Collect;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value) {
        Collect *c = cls;

        if (c->n_headers < ELEMENTSOF(c->headers))
                c->headers[c->n_headers++] = (SignHeader){ key, value ?: "" };
        return MHD_YES;
}

/* With the no-op unescaper below, MHD hands over the query raw: decode it like a server. */
static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
        Collect *c = cls;
        char *k = NULL, *v = NULL;
        size_t used = strlen(c->raw_query);

        snprintf(c->raw_query + used, sizeof(c->raw_query) - used, "%s%s=%s", used ? "&" : "?", key,
                 value ?: "");
        if (c->n_query < ELEMENTSOF(c->query) && urlenc_unescape(key, SIZE_MAX, false, &k) >= 0 &&
            urlenc_unescape(value ?: "", SIZE_MAX, false, &v) >= 0)
                c->query[c->n_query++] = (SignParam){ k, v };
        return MHD_YES;
}

static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s) {
        return strlen(s);
}

static bool verify(const char *method, const char *url, Collect *c, const Upload *u, Seen *seen) {
        const char *auth = sign_header_get(c->headers, c->n_headers, "Authorization");
        _cleanup_(sign_authorization_freep) SignAuthorization *a = NULL;
        SignHeader h[32];
        size_t n = 0;

        if (!auth || sign_parse_authorization(auth, &a) < 0)
                return false;
        snprintf(seen->authorization, sizeof(seen->authorization), "%s", auth);
        for (size_t i = 0; i < c->n_headers; i++)
                if (strcasecmp(c->headers[i].name, "Authorization") != 0)
                        h[n++] = c->headers[i];
        SignInput in = {
                .method = method,
                .path = url,
                .query = c->query,
                .n_query = c->n_query,
                .headers = h,
                .n_headers = n,
                .body = u->data,
                .body_size = u->size,
        };
        return sign_verify(&in, a, SECRET, time(NULL), NULL) == 0;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls) {
        Upload *u;
        Collect c = {};
        Canned canned = { 500, NULL, NULL, "{}" };
        struct MHD_Response *resp;
        enum MHD_Result ret;

        if (mhd_upload_step(con_cls, upload_data, upload_data_size, &u, &ret))
                return ret;
        MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &c);
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &c);

        pthread_mutex_lock(&srv.lock);
        if (srv.n_seen < MAX_SCRIPT) {
                Seen *s = &srv.seen[srv.n_seen++];
                snprintf(s->method, sizeof(s->method), "%s", method);
                snprintf(s->target, sizeof(s->target), "%s%s", url, c.raw_query);
                snprintf(s->body, sizeof(s->body), "%.*s", (int) u->size, u->data ?: "");
                s->signature_ok = verify(method, url, &c, u, s);
                if (!s->signature_ok)
                        canned = (Canned){ 403, NULL, NULL, "{\"message\":\"signature\"}" };
                else if (srv.next < srv.n_script)
                        canned = srv.script[srv.next++];
        }
        pthread_mutex_unlock(&srv.lock);
        for (size_t i = 0; i < c.n_query; i++) {
                free((char *) c.query[i].key);
                free((char *) c.query[i].value);
        }

        resp = MHD_create_response_from_buffer(strlen(canned.body), (void *) canned.body,
                                               MHD_RESPMEM_MUST_COPY);
        if (canned.header_name)
                MHD_add_response_header(resp, canned.header_name, canned.header_value);
        ret = MHD_queue_response(conn, canned.status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static int server_start(void **state) {
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

        pthread_mutex_init(&srv.lock, NULL);
        srv.daemon = MHD_start_daemon(
                MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
                handler, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_UNESCAPE_CALLBACK, no_unescape,
                NULL, MHD_OPTION_NOTIFY_COMPLETED, mhd_upload_completed, NULL, MHD_OPTION_END);
        if (!srv.daemon)
                return -1;
        srv.port = MHD_get_daemon_info(srv.daemon, MHD_DAEMON_INFO_BIND_PORT)->port;
        return 0;
}

static int server_stop(void **state) {
        MHD_stop_daemon(srv.daemon);
        return 0;
}

static void script(const Canned *c, unsigned n) {
        pthread_mutex_lock(&srv.lock);
        memcpy(srv.script, c, n * sizeof(*c));
        srv.n_script = n;
        srv.next = 0;
        srv.n_seen = 0;
        memset(srv.seen, 0, sizeof(srv.seen));
        pthread_mutex_unlock(&srv.lock);
}

/* ---- the client side -------------------------------------------------------------------- */

typedef struct Result {
        unsigned calls;
        CloudError error;
        AsyncConfig config;
        bool has_config;
        CloudConfigList list;
        bool has_list;
} Result;

static bool use_token;

static int creds_get(void *userdata, CloudCredentials *ret) {
        *ret = (CloudCredentials){ .access_key_id = "AKTEST",
                                   .secret = SECRET,
                                   .token = use_token ? TOKEN : NULL };
        return 0;
}

static void on_config(CloudCall *call, const CloudError *e, const AsyncConfig *c, void *userdata) {
        Result *r = userdata;

        r->calls++;
        assert_int_equal(cloud_error_copy(&r->error, e), 0);
        if (c) {
                assert_int_equal(async_config_copy(&r->config, c), 0);
                r->has_config = true;
        }
}

static void on_done(CloudCall *call, const CloudError *e, void *userdata) {
        on_config(call, e, NULL, userdata);
}

static void on_list(CloudCall *call, const CloudError *e, const CloudConfigList *l,
                    void *userdata) {
        Result *r = userdata;

        on_config(call, e, NULL, userdata);
        if (l) {
                r->has_list = true;
                for (size_t i = 0; i < l->n_items; i++) {
                        CloudConfigList one = {};
                        one.items = calloc(1, sizeof(*one.items));
                        one.n_items = 1;
                        one.items[0].qualifier = strdup(l->items[i].qualifier);
                        assert_int_equal(
                                async_config_copy(&one.items[0].config, &l->items[i].config), 0);
                        assert_int_equal(cloud_config_list_take(&r->list, &one), 0);
                        cloud_config_list_done(&one);
                }
        }
}

static void result_done(Result *r) {
        cloud_error_done(&r->error);
        async_config_done(&r->config);
        cloud_config_list_done(&r->list);
        *r = (Result){};
}

typedef struct Env {
        sd_event *event;
        HttpEngine *engine;
        CloudClient *client;
} Env;

static void env_new(Env *env, CloudApi api, uint16_t port) {
        char endpoint[64];
        CloudAccount a = {
                /* Lambda: the region of the flavours' ARN, no account id (an ARN of another
                 * region or account is refused before any request). */
                .name = "t",
                .api = api,
                .endpoint = endpoint,
                .region = api == CLOUD_API_AWS_LAMBDA ? "us-east-1" : "cn-north-4",
                .account_id = api == CLOUD_API_AWS_LAMBDA ? NULL : "1234567890123456",
                .project_id = "0123456789abcdef0123456789abcdef",
                .credentials = creds_get,
        };

        snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%u", port);
        assert_int_equal(sd_event_new(&env->event), 0);
        assert_int_equal(http_engine_new(env->event, NULL, &env->engine), 0);
        assert_int_equal(cloud_client_new(env->engine, &a, &env->client), 0);
}

static void env_free(Env *env) {
        cloud_client_unref(env->client);
        http_engine_free(env->engine);
        sd_event_unref(env->event);
}

/* Runs the loop until r has its callback (at most 10 s). */
static void run_until(Env *env, const Result *r) {
        for (unsigned i = 0; i < 1000 && r->calls == 0; i++)
                assert_true(sd_event_run(env->event, 10 * 1000) >= 0);
        assert_int_equal(r->calls, 1);
        /* and never again */
        assert_true(sd_event_run(env->event, 0) >= 0);
        assert_int_equal(r->calls, 1);
}

typedef struct Flavour {
        CloudApi api;
        const char *function;
        const char *config_body; /* a GET answer with max retries 1 */
        const char *absent_body; /* 404 body meaning "no config" */
        const char *list_page1, *list_page2;
        const char *list_qualifiers[3];
        const char *get_target; /* expected path?query of the GET */
} Flavour;

#define URN "urn:fss:cn-north-4:0123456789abcdef0123456789abcdef:function:default:f"
static const Flavour flavours[] = {
        { CLOUD_API_AWS_LAMBDA,
          "arn:aws:lambda:us-east-1:1:function:f",
          "{\"FunctionArn\":\"arn:aws:lambda:us-east-1:1:function:f:$LATEST\",\"MaximumRetryAttempts\":1,\"LastModified\":1700000000.1}",
          "{\"Message\":\"The function arn:aws:lambda:us-east-1:1:function:f:$LATEST doesn't have an EventInvokeConfig\",\"Type\":\"User\"}",
          "{\"FunctionEventInvokeConfigs\":[{\"FunctionArn\":\"arn:aws:lambda:us-east-1:1:function:f:$LATEST\",\"MaximumRetryAttempts\":1}],\"NextMarker\":\"m2\"}",
          "{\"FunctionEventInvokeConfigs\":[{\"FunctionArn\":\"arn:aws:lambda:us-east-1:1:function:f:live\"},{\"FunctionArn\":\"arn:aws:lambda:us-east-1:1:function:f:7\"}]}",
          { "$LATEST", "live", "7" },
          "/2019-09-25/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af/event-invoke-config?Qualifier=%24LATEST" },
        { CLOUD_API_FC3,
          "f",
          "{\"maxAsyncRetryAttempts\":1,\"functionArn\":\"acs:fc:cn-north-4:1:functions/f\"}",
          "{\"Code\":\"AsyncConfigNotExists\",\"Message\":\"no\"}",
          "{\"configs\":[{\"functionArn\":\"acs:fc:cn-north-4:1:functions/f\",\"qualifier\":\"LATEST\"},{\"functionArn\":\"acs:fc:cn-north-4:1:functions/f-other\",\"qualifier\":\"x\"}],\"nextToken\":\"n2\"}",
          "{\"configs\":[{\"functionArn\":\"acs:fc:cn-north-4:1:functions/f\",\"qualifier\":\"prod\"},{\"functionArn\":\"acs:fc:cn-north-4:1:functions/f\",\"qualifier\":\"1\"}],\"nextToken\":\"\"}",
          { "LATEST", "prod", "1" },
          "/2023-03-30/functions/f/async-invoke-config?qualifier=LATEST" },
        { CLOUD_API_FC2,
          "s/f",
          "{\"maxAsyncRetryAttempts\":1,\"service\":\"s\",\"function\":\"f\",\"qualifier\":\"LATEST\"}",
          "{\"ErrorCode\":\"AsyncConfigNotExists\",\"ErrorMessage\":\"no\"}",
          "{\"configs\":[{\"qualifier\":\"LATEST\"}],\"nextToken\":\"n2\"}",
          "{\"configs\":[{\"qualifier\":\"prod\"},{\"qualifier\":\"1\"}]}",
          { "LATEST", "prod", "1" },
          "/2021-04-06/services/s/functions/f/async-invoke-config?qualifier=LATEST" },
        { CLOUD_API_FUNCTIONGRAPH,
          URN ":latest",
          "{\"func_urn\":\"" URN ":latest\",\"max_async_retry_attempts\":1}",
          "{\"error_code\":\"FSS.0404\",\"error_msg\":\"no\"}",
          "{\"async_invoke_configs\":[{\"func_urn\":\"" URN
          ":latest\"}],\"count\":3,\"page_info\":{\"next_marker\":1}}",
          "{\"async_invoke_configs\":[{\"func_urn\":\"" URN ":prod\"},{\"func_urn\":\"" URN
          ":1\"}],\"count\":3,\"page_info\":{\"next_marker\":3}}",
          { "latest", "prod", "1" },
          "/v2/0123456789abcdef0123456789abcdef/fgs/functions/" URN ":latest/async-invoke-config" },
};

static void test_round_trip(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(flavours); i++) {
                const Flavour *f = &flavours[i];
                const CloudTarget t = { .function = f->function };
                Env env = {};
                Result r = {};
                AsyncConfig desired = { .has_max_retry_attempts = true,
                                        .max_retry_attempts = 0,
                                        .has_max_event_age = true,
                                        .max_event_age_seconds = 600 };

                use_token = i % 2 == 1;
                env_new(&env, f->api, srv.port);

                /* get */
                script((Canned[]){ { 200, NULL, NULL, f->config_body } }, 1);
                assert_int_equal(cloud_get(env.client, &t, on_config, &r, NULL), 0);
                run_until(&env, &r);
                assert_int_equal(r.error.class, CLOUD_ERROR_NONE);
                assert_true(r.has_config);
                assert_int_equal(r.config.max_retry_attempts, 1);
                assert_true(srv.seen[0].signature_ok);
                assert_string_equal(srv.seen[0].method, "GET");
                assert_string_equal(srv.seen[0].target, f->get_target);
                result_done(&r);

                /* put: the body sent is the complete document; any 2xx is success */
                _cleanup_free_ char *body = NULL;
                size_t n;
                assert_int_equal(cloud_ops_from_api(f->api)->serialize_config(&desired, &body, &n),
                                 0);
                script((Canned[]){ { 200, NULL, NULL, body } }, 1);
                assert_int_equal(cloud_put(env.client, &t, &desired, on_done, &r, NULL), 0);
                run_until(&env, &r);
                assert_int_equal(r.error.class, CLOUD_ERROR_NONE);
                assert_true(srv.seen[0].signature_ok);
                assert_string_equal(srv.seen[0].method, "PUT");
                assert_string_equal(srv.seen[0].body, body);
                result_done(&r);
                /* the echo is not read: one that cannot be parsed does not make the write that
                 * took effect an error (a GET's does: test_failures) */
                script((Canned[]){ { 200, NULL, NULL, "{\"MaximumRetryAttempts\":" } }, 1);
                assert_int_equal(cloud_put(env.client, &t, &desired, on_done, &r, NULL), 0);
                run_until(&env, &r);
                assert_int_equal(r.calls, 1);
                assert_int_equal(r.error.class, CLOUD_ERROR_NONE);
                assert_false(r.has_config);
                result_done(&r);
                /* and an error answer to a PUT is classified as any other */
                script((Canned[]){ { 500, NULL, NULL, "{}" } }, 1);
                assert_int_equal(cloud_put(env.client, &t, &desired, on_done, &r, NULL), 0);
                run_until(&env, &r);
                assert_int_equal(r.error.class, CLOUD_ERROR_TRANSIENT);
                assert_int_equal(r.error.http_status, 500);
                result_done(&r);

                /* delete: 204, and not-found is success too */
                script((Canned[]){ { 204, NULL, NULL, "" } }, 1);
                assert_int_equal(cloud_delete(env.client, &t, on_done, &r, NULL), 0);
                run_until(&env, &r);
                assert_int_equal(r.error.class, CLOUD_ERROR_NONE);
                assert_string_equal(srv.seen[0].method, "DELETE");
                assert_true(srv.seen[0].signature_ok);
                result_done(&r);
                script((Canned[]){ { 404, "x-amzn-ErrorType",
                                     f->api == CLOUD_API_AWS_LAMBDA ? "ResourceNotFoundException"
                                                                    : "X",
                                     f->absent_body } },
                       1);
                assert_int_equal(cloud_delete(env.client, &t, on_done, &r, NULL), 0);
                run_until(&env, &r);
                assert_int_equal(r.error.class, CLOUD_ERROR_NONE);
                result_done(&r);

                /* get of a missing config */
                script((Canned[]){ { 404,
                                     f->api == CLOUD_API_AWS_LAMBDA ? "x-amzn-ErrorType"
                                                                    : "X-Other",
                                     "ResourceNotFoundException", f->absent_body } },
                       1);
                assert_int_equal(cloud_get(env.client, &t, on_config, &r, NULL), 0);
                run_until(&env, &r);
                assert_int_equal(r.error.class, CLOUD_ERROR_CONFIG_ABSENT);
                assert_int_equal(r.error.http_status, 404);
                assert_false(r.has_config);
                result_done(&r);

                /* list over two pages */
                script((Canned[]){ { 200, NULL, NULL, f->list_page1 },
                                   { 200, NULL, NULL, f->list_page2 } },
                       2);
                assert_int_equal(cloud_list(env.client, &t, on_list, &r, NULL), 0);
                run_until(&env, &r);
                assert_int_equal(r.error.class, CLOUD_ERROR_NONE);
                assert_int_equal(srv.n_seen, 2);
                assert_true(srv.seen[0].signature_ok && srv.seen[1].signature_ok);
                assert_true(r.has_list);
                assert_int_equal(r.list.n_items, 3);
                for (size_t q = 0; q < 3; q++)
                        assert_non_null(cloud_config_list_find(&r.list, f->list_qualifiers[q]));
                result_done(&r);

                env_free(&env);
        }
        use_token = false;
}

static void test_failures(void **state) {
        const CloudTarget t = { .function = "f" };
        Env env = {};
        Result r = {};
        CloudCall *call = NULL;

        env_new(&env, CLOUD_API_AWS_LAMBDA, srv.port);

        /* a malformed 200 decides nothing */
        script((Canned[]){ { 200, NULL, NULL, "{\"MaximumRetryAttempts\":" } }, 1);
        assert_int_equal(cloud_get(env.client, &t, on_config, &r, NULL), 0);
        run_until(&env, &r);
        assert_int_equal(r.error.class, CLOUD_ERROR_TRANSIENT);
        assert_int_equal(r.error.error, -EBADMSG);
        assert_false(r.has_config);
        result_done(&r);

        /* throttling with the server's wait */
        script((Canned[]){ { 429, "Retry-After", "3", "{\"message\":\"Rate exceeded\"}" } }, 1);
        assert_int_equal(cloud_get(env.client, &t, on_config, &r, NULL), 0);
        run_until(&env, &r);
        assert_int_equal(r.error.class, CLOUD_ERROR_THROTTLED);
        assert_int_equal(r.error.retry_after_usec, 3000000ULL);
        result_done(&r);

        /* a cloud that echoes the secret and the token used to sign: both cut out */
        use_token = true;
        script((Canned[]){ { 400, NULL, NULL,
                             "{\"message\":\"bad: " SECRET " / " TOKEN " / " SECRET "\"}" } },
               1);
        assert_int_equal(cloud_get(env.client, &t, on_config, &r, NULL), 0);
        run_until(&env, &r);
        use_token = false;
        assert_int_equal(r.error.http_status, 400);
        assert_non_null(r.error.message);
        assert_null(strstr(r.error.message, SECRET));
        assert_null(strstr(r.error.message, TOKEN));
        assert_string_equal(r.error.message, "bad: <redacted> / <redacted> / <redacted>");
        result_done(&r);

        /* a list page that cannot be read fails the whole list */
        script((Canned[]){ { 200, NULL, NULL,
                             "{\"FunctionEventInvokeConfigs\":[],\"NextMarker\":\"x\"}" },
                           { 200, NULL, NULL, "[]" } },
               2);
        assert_int_equal(cloud_list(env.client, &t, on_list, &r, NULL), 0);
        run_until(&env, &r);
        assert_int_equal(r.error.class, CLOUD_ERROR_TRANSIENT);
        assert_false(r.has_list);
        result_done(&r);

        /* cancel: the callback fires once, later, with -ECANCELED */
        script((Canned[]){ { 200, NULL, NULL, "{}" } }, 1);
        assert_int_equal(cloud_get(env.client, &t, on_config, &r, &call), 0);
        cloud_call_cancel(call);
        assert_int_equal(r.calls, 0);
        run_until(&env, &r);
        assert_int_equal(r.error.class, CLOUD_ERROR_TRANSIENT);
        assert_int_equal(r.error.error, -ECANCELED);
        result_done(&r);

        /* freeing the engine cancels what is in flight; the client outlives it safely */
        script((Canned[]){ { 200, NULL, NULL, "{}" } }, 1);
        assert_int_equal(cloud_put(env.client, &t, &(AsyncConfig){}, on_done, &r, NULL), 0);
        env.engine = http_engine_free(env.engine);
        assert_int_equal(r.calls, 1);
        assert_int_equal(r.error.error, -ECANCELED);
        result_done(&r);
        env_free(&env);

        /* nobody listening */
        env_new(&env, CLOUD_API_FC3, 1);
        assert_int_equal(cloud_get(env.client, &t, on_config, &r, NULL), 0);
        run_until(&env, &r);
        assert_int_equal(r.error.class, CLOUD_ERROR_TRANSIENT);
        assert_int_equal(r.error.http_status, 0);
        assert_true(r.error.error < 0);
        result_done(&r);

        /* bad targets start nothing */
        assert_int_equal(
                cloud_get(env.client, &(CloudTarget){ .function = "s/f" }, on_config, &r, NULL),
                -EINVAL);
        assert_int_equal(
                cloud_get(env.client, &(CloudTarget){ .function = NULL }, on_config, &r, NULL),
                -EINVAL);
        assert_int_equal(r.calls, 0);
        env_free(&env);
}

/* Wired to clouds/credentials/credentials.h: the provider's keys sign the request. */
static void test_credential_provider(void **state) {
        _cleanup_(credential_provider_freep) CredentialProvider *p = NULL;
        CredentialConfig cfg = { .provider = PROVIDER_AWS,
                                 .account = "t",
                                 .source = CREDENTIAL_SOURCE_ENV };
        char endpoint[64];
        Env env = {};
        Result r = {};

        snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%u", srv.port);
        assert_int_equal(sd_event_new(&env.event), 0);
        assert_int_equal(http_engine_new(env.event, NULL, &env.engine), 0);
        assert_int_equal(credential_provider_new(env.event, NULL, &cfg, &p), 0);
        CloudAccount a = { .name = "t",
                           .api = CLOUD_API_AWS_LAMBDA,
                           .region = "us-east-1",
                           .endpoint = endpoint,
                           .credentials = cloud_credentials_from_provider,
                           .credentials_userdata = p };
        assert_int_equal(cloud_client_new(env.engine, &a, &env.client), 0);

        /* nothing resolved yet: nothing is sent */
        assert_int_equal(
                cloud_get(env.client, &(CloudTarget){ .function = "f" }, on_config, &r, NULL),
                -EAGAIN);

        setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
        setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
        setenv("AWS_SESSION_TOKEN", TOKEN, 1);
        assert_int_equal(credential_provider_start(p), 1);
        script((Canned[]){ { 200, NULL, NULL, "{}" } }, 1);
        assert_int_equal(
                cloud_get(env.client, &(CloudTarget){ .function = "f" }, on_config, &r, NULL), 0);
        run_until(&env, &r);
        assert_int_equal(r.error.class, CLOUD_ERROR_NONE);
        assert_true(srv.seen[0].signature_ok);
        assert_true(startswith(srv.seen[0].authorization, "AWS4-HMAC-SHA256 Credential=AKENV/"));
        assert_non_null(strstr(srv.seen[0].authorization, "x-amz-security-token"));
        result_done(&r);
        unsetenv("AWS_ACCESS_KEY_ID");
        unsetenv("AWS_SECRET_ACCESS_KEY");
        unsetenv("AWS_SESSION_TOKEN");
        env_free(&env);
}

/* A copy shares the Huawei param (never changed once built) and owns its own reference: the
 * diff, the PUT and the record each deep-copied it before. */
static void test_destination_copy_shares_param(void **state) {
        json_t *param = json_pack("{s:s, s:s}", "bucket", "b", "prefix", "/f");
        Destination src = { .target = strdup("OBS"), .param = param }, dst = {};

        (void) state;
        assert_int_equal(destination_copy(&dst, &src), 0);
        assert_ptr_equal(dst.param, param);
        assert_int_equal(param->refcount, 2);
        assert_ptr_not_equal(dst.target, src.target);
        assert_string_equal(dst.target, "OBS");
        assert_true(destination_equal(&dst, &src));
        destination_done(&src);
        assert_int_equal(dst.param->refcount, 1);
        assert_string_equal(json_string_value(json_object_get(dst.param, "bucket")), "b");
        destination_done(&dst);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_destination_copy_shares_param),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_failures),
                cmocka_unit_test(test_credential_provider),
        };
        return cmocka_run_group_tests(tests, server_start, server_stop);
}
