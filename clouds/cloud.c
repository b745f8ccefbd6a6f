/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <sys/random.h>
#include <time.h>

#include "clouds/cloud.h"
#include "clouds/credentials/credentials.h"
#include "lib/crypto.h"
#include "lib/log.h"
#include "lib/rng.h"
#include "lib/string-util.h"
#include "lib/time-util.h"

/* A list that never ends is a server bug; stop there rather than loop (50 × 1000 configs
 * is far more than any function has). */
#define CLOUD_LIST_MAX_PAGES 1000

struct CloudClient {
        unsigned n_ref;
        HttpEngine *engine;
        const CloudOps *ops;
        CloudAccount account; /* strings owned */
        char *base_url;
        char *host;
        CloudObserver observer;
        void *observer_userdata;
        CloudGateFunc gate;
        void *gate_userdata;
        Rng nonce_rng; /* see cloud_client_make_nonce() */
};

/* Room in a call for the secret used to sign (access key secrets are 30 to 40 characters);
 * a longer one, and a token, are copied to the heap. */
#define CLOUD_CALL_SECRET_SIZE 64

struct CloudCall {
        CloudClient *client;
        CloudOp op;
        CloudTarget target; /* strings in names */
        AsyncConfig desired;
        HttpRequest *request; /* in flight; NULL between pages and after the end */
        union {
                CloudConfigCallback config;
                CloudDoneCallback done;
                CloudListCallback list;
        } cb;
        void *userdata;
        CloudConfigList list; /* LIST: accumulated over pages */
        char *page_token;     /* LIST: the token of the page in flight */
        unsigned n_pages;
        bool held;      /* the gate holds its next request: cloud_call_resume() sends it */
        bool cancelled; /* cancelled while held */
        /* The secret and token used to sign, to cut out of messages (NULL-terminated): the
         * provider may replace its credentials while the call is in flight, so they are
         * copied, the secret into secret_buf when it fits. */
        char *redact[3];
        char secret_buf[CLOUD_CALL_SECRET_SIZE];
        uint64_t sent_usec; /* CLOCK_MONOTONIC when the exchange in flight was started */
        char names[];       /* target.function and target.qualifier: one allocation per call */
};

/* ---- lists --------------------------------------------------------------------------- */

void cloud_config_list_done(CloudConfigList *l) {
        if (!l)
                return;
        for (size_t i = 0; i < l->n_items; i++) {
                free(l->items[i].qualifier);
                free(l->items[i].function);
                async_config_done(&l->items[i].config);
        }
        free(l->items);
        free(l->next_token);
        *l = (CloudConfigList){};
}

int cloud_config_list_take(CloudConfigList *dst, CloudConfigList *src) {
        CloudQualifiedConfig *n;

        if (src->n_items == 0)
                return 0;
        n = reallocarray(dst->items, dst->n_items + src->n_items, sizeof(*n));
        if (!n)
                return -ENOMEM;
        memcpy(n + dst->n_items, src->items, src->n_items * sizeof(*n));
        dst->items = n;
        dst->n_items += src->n_items;
        free(src->items);
        src->items = NULL;
        src->n_items = 0;
        return 0;
}

const AsyncConfig *cloud_config_list_find(const CloudConfigList *l, const char *qualifier) {
        for (size_t i = 0; i < l->n_items; i++)
                if (l->items[i].qualifier && streq(l->items[i].qualifier, qualifier))
                        return &l->items[i].config;
        return NULL;
}

/* ---- tables ------------------------------------------------------------------------ */

int cloud_refuse(char **ret_message, int error, const char *format, ...) {
        va_list ap;
        int r;

        if (!ret_message)
                return error;
        va_start(ap, format);
        r = vasprintf(ret_message, format, ap);
        va_end(ap);
        if (r < 0) {
                *ret_message = NULL;
                return -ENOMEM;
        }
        return error;
}

const CloudOps *cloud_ops_from_api(CloudApi api) {
        static const CloudOps *const table[_CLOUD_API_MAX] = {
                [CLOUD_API_AWS_LAMBDA] = &cloud_ops_aws,
                [CLOUD_API_FC3] = &cloud_ops_fc3,
                [CLOUD_API_FC2] = &cloud_ops_fc2,
                [CLOUD_API_FUNCTIONGRAPH] = &cloud_ops_huaweicloud,
        };

        if (api < 0 || api >= _CLOUD_API_MAX)
                return NULL;
        return table[api];
}

const CloudOps *cloud_ops_from_provider(Provider provider) {
        static const CloudOps *const table[_PROVIDER_MAX] = {
                [PROVIDER_AWS] = &cloud_ops_aws,
                [PROVIDER_ALICLOUD] = &cloud_ops_fc3,
                [PROVIDER_HUAWEICLOUD] = &cloud_ops_huaweicloud,
        };

        if (provider < 0 || provider >= _PROVIDER_MAX)
                return NULL;
        return table[provider];
}

int cloud_ops_check_limit(const CloudOps *ops, CloudLimit limit, int64_t value,
                          char **ret_message) {
        CloudRange range = ops->limits[limit];

        if (value >= range.min && value <= range.max)
                return 0;
        return cloud_refuse(ret_message, -ERANGE,
                            "must be between %" PRId64 " and %" PRId64
                            " for provider %s, got %" PRId64,
                            range.min, range.max, provider_to_string(ops->provider), value);
}

int cloud_aws_error_code_clean(const char *value, char **ret) {
        const char *s = value, *hash;
        char *c;

        hash = strchr(s, '#');
        if (hash)
                s = hash + 1;
        c = strndup(s, strcspn(s, ":"));
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

/* ---- clients ------------------------------------------------------------------------ */

static void account_done(CloudAccount *a) {
        free((char *) a->name);
        free((char *) a->region);
        free((char *) a->endpoint);
        free((char *) a->account_id);
        free((char *) a->project_id);
        free((char *) a->ca_file);
        *a = (CloudAccount){};
}

/* The client's own copy of the account's strings; they are const in CloudAccount for the
 * caller's sake, owned here (account_done() frees them). */
static int account_copy(CloudAccount *dst, const CloudAccount *src) {
        CloudAccount t = *src;

        if (strdup_opt(src->name, (char **) &t.name) < 0 ||
            strdup_opt(src->region, (char **) &t.region) < 0 ||
            strdup_opt(src->endpoint, (char **) &t.endpoint) < 0 ||
            strdup_opt(src->account_id, (char **) &t.account_id) < 0 ||
            strdup_opt(src->project_id, (char **) &t.project_id) < 0 ||
            strdup_opt(src->ca_file, (char **) &t.ca_file) < 0) {
                account_done(&t);
                return -ENOMEM;
        }
        *dst = t;
        return 0;
}

static CloudClient *cloud_client_free(CloudClient *c) {
        if (!c)
                return NULL;
        account_done(&c->account);
        free(c->base_url);
        free(c->host);
        free(c);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(CloudClient *, cloud_client_free);

/* A request's nonce (ACS3's x-acs-signature-nonce) only has to be unique: the server refuses a
 * nonce it saw within the signature's lifetime. It is signed, so guessing it gains nothing.
 * RAND_bytes() per request (with its fork check, a getpid() syscall) was a visible part of a
 * request's cost; a generator with all 256 bits of state from getrandom() per client gives
 * values as unique. The clock-seeded fallback only happens where getrandom() fails. */
static void cloud_client_seed_nonces(CloudClient *c) {
        Rng *rng = &c->nonce_rng;

        if (getrandom(rng->s, sizeof(rng->s), GRND_NONBLOCK) == (ssize_t) sizeof(rng->s) &&
            (rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) != 0)
                return;
        (void) rng_seed_random(rng);
}

/* 32 hex digits (128 bits) into buf. */
static void cloud_client_make_nonce(CloudClient *c, char buf[static 33]) {
        uint64_t v[2] = { rng_next(&c->nonce_rng), rng_next(&c->nonce_rng) };

        crypto_hex_encode(v, sizeof(v), buf);
}

int cloud_client_new(HttpEngine *engine, const CloudAccount *account, CloudClient **ret) {
        _cleanup_(cloud_client_freep) CloudClient *c = NULL;
        _cleanup_free_ char *endpoint = NULL;
        const CloudOps *ops;
        int r;

        ops = cloud_ops_from_api(account->api);
        /* The region becomes part of a host name. */
        if (!ops || isempty(account->region) || !account->credentials ||
            account->region[strspn(account->region, "abcdefghijklmnopqrstuvwxyz0123456789-")])
                return -EINVAL;
        r = ops->check_account ? ops->check_account(account) : 0;
        if (r < 0)
                return r;

        c = calloc(1, sizeof(CloudClient));
        if (!c)
                return -ENOMEM;
        c->n_ref = 1;
        c->engine = engine;
        c->ops = ops;
        cloud_client_seed_nonces(c);
        r = account_copy(&c->account, account);
        if (r < 0)
                return r;
        if (account->endpoint)
                endpoint = strdup(account->endpoint);
        else if ((r = ops->default_endpoint(account, &endpoint)) < 0)
                return r;
        if (!endpoint)
                return -ENOMEM;
        r = cloud_endpoint_split(endpoint, &c->base_url, &c->host);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

CloudClient *cloud_client_ref(CloudClient *c) {
        if (c)
                c->n_ref++;
        return c;
}

CloudClient *cloud_client_unref(CloudClient *c) {
        if (c && --c->n_ref == 0)
                cloud_client_free(c);
        return NULL;
}

const CloudAccount *cloud_client_get_account(const CloudClient *c) {
        return &c->account;
}

void cloud_client_set_observer(CloudClient *c, CloudObserver observer, void *userdata) {
        c->observer = observer;
        c->observer_userdata = userdata;
}

void cloud_client_set_gate(CloudClient *c, CloudGateFunc gate, void *userdata) {
        c->gate = gate;
        c->gate_userdata = userdata;
}

const CloudOps *cloud_client_get_ops(const CloudClient *c) {
        return c->ops;
}

int cloud_credentials_from_provider(void *userdata, CloudCredentials *ret) {
        const Credentials *c = credential_provider_get(userdata);

        if (!c)
                return -EAGAIN;
        *ret = (CloudCredentials){
                .access_key_id = c->access_key_id,
                .secret = c->secret,
                .token = c->token,
        };
        return 0;
}

/* ---- requests ----------------------------------------------------------------------- */

int cloud_client_build_request(CloudClient *c, CloudOp op, const CloudTarget *t,
                               const AsyncConfig *desired, const char *page_token,
                               const CloudCredentials *creds, time_t now, const char *nonce,
                               CloudRequest *ret) {
        _cleanup_(cloud_request_done) CloudRequest req = {};
        int r;

        if (!t || isempty(t->function) || (op == CLOUD_OP_PUT && !desired) || !creds ||
            isempty(creds->access_key_id) || isempty(creds->secret))
                return -EINVAL;
        r = cloud_request_set_base_url(&req, c->base_url);
        if (r < 0)
                return r;
        /* Host exactly as the endpoint names it: it is signed, and lib/http sends the
         * caller's Host header unchanged. */
        r = cloud_request_add_header(&req, "Host", c->host);
        if (r < 0)
                return r;
        r = c->ops->build_request(&c->account, op, t, desired, page_token, &req);
        if (r < 0)
                return r;
        r = c->ops->sign_request(&c->account, &req, creds, now, nonce);
        if (r < 0)
                return r;
        *ret = req;
        req = (CloudRequest){};
        return 0;
}

/* ---- errors ----------------------------------------------------------------------------- */

/* A bad URL or a refused certificate is configuration (DESIGN.md §3.7): retrying cannot help. */
static int error_set_transport(CloudError *e, int error, const char *detail) {
        *e = (CloudError){
                .class = error == -EINVAL || error == -EKEYREJECTED ? CLOUD_ERROR_PERMANENT
                                                                    : CLOUD_ERROR_TRANSIENT,
                .error = error,
        };
        return cloud_error_set_message(e, detail ?: strerror(-error), NULL);
}

int cloud_error_from_response(const CloudOps *ops, CloudOp op, const HttpResponse *resp,
                              uint64_t now_usec, const char *const *redact, CloudError *ret) {
        _cleanup_(cloud_error_done) CloudError e = { .http_status = resp->status };
        const char *v;
        int r;

        /* Whatever the body holds; a body that is not the cloud's error JSON (an HTML page
         * from a proxy) leaves code and message empty and the status decides. */
        r = ops->parse_error(resp->body, resp->body_size, &e);
        if (r == -ENOMEM)
                return r;
        if (ops->code_header && (v = http_response_header(resp, ops->code_header)) && *v) {
                free(e.code);
                e.code = NULL;
                if (cloud_aws_error_code_clean(v, &e.code) < 0)
                        return -ENOMEM;
        }
        if (e.message && cloud_error_set_message(&e, e.message, redact) < 0)
                return -ENOMEM;
        if (!e.request_id && ops->request_id_header &&
            (v = http_response_header(resp, ops->request_id_header)) && !(e.request_id = strdup(v)))
                return -ENOMEM;

        ops->classify_error(op, &e);
        /* A PUT cannot find "no config": the thing missing is the function. */
        if (op == CLOUD_OP_PUT && e.class == CLOUD_ERROR_CONFIG_ABSENT)
                e.class = CLOUD_ERROR_FUNCTION_ABSENT;
        if (e.class == CLOUD_ERROR_THROTTLED) {
                uint64_t u;
                if ((v = http_response_header(resp, "Retry-After")) &&
                    http_parse_retry_after(v, now_usec, &u) >= 0)
                        e.retry_after_usec = u;
                else if ((cloud_parse_alicloud_time_left(
                                  http_response_header(resp, "x-ratelimit-user-api"), &u) >= 0) ||
                         (cloud_parse_alicloud_time_left(
                                  http_response_header(resp, "x-ratelimit-user"), &u) >= 0))
                        e.retry_after_usec = u;
        }
        *ret = e;
        e = (CloudError){};
        return 0;
}

/* ---- calls --------------------------------------------------------------------------- */

static bool cloud_op_is_list(CloudOp op) {
        return op == CLOUD_OP_LIST || op == CLOUD_OP_LIST_VERSIONS || op == CLOUD_OP_LIST_ALIASES;
}

/* Wipes and drops the copies of the secrets. */
static void cloud_call_forget_secrets(CloudCall *call) {
        for (size_t i = 0; i < ELEMENTSOF(call->redact); i++) {
                if (!call->redact[i])
                        continue;
                explicit_bzero(call->redact[i], strlen(call->redact[i]));
                if (call->redact[i] != call->secret_buf)
                        free(call->redact[i]);
                call->redact[i] = NULL;
        }
}

static CloudCall *cloud_call_free(CloudCall *call) {
        if (!call)
                return NULL;
        async_config_done(&call->desired);
        cloud_config_list_done(&call->list);
        free(call->page_token);
        cloud_call_forget_secrets(call);
        cloud_client_unref(call->client);
        free(call);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(CloudCall *, cloud_call_free);

static void cloud_call_finish(CloudCall *call, const CloudError *e, const AsyncConfig *config) {
        switch (call->op) {
        case CLOUD_OP_GET:
                call->cb.config(call, e, e->class == CLOUD_ERROR_NONE ? config : NULL,
                                call->userdata);
                break;
        case CLOUD_OP_PUT:
        case CLOUD_OP_DELETE:
                call->cb.done(call, e, call->userdata);
                break;
        case CLOUD_OP_LIST:
        case CLOUD_OP_LIST_VERSIONS:
        case CLOUD_OP_LIST_ALIASES:
                call->cb.list(call, e, e->class == CLOUD_ERROR_NONE ? &call->list : NULL,
                              call->userdata);
                break;
        default:
                break;
        }
        cloud_call_free(call);
}

static void cloud_call_fail(CloudCall *call, int error, const char *detail) {
        _cleanup_(cloud_error_done) CloudError e = {};

        (void) error_set_transport(&e, error, detail);
        cloud_call_finish(call, &e, NULL);
}

static void cloud_call_remember_secrets(CloudCall *call, const CloudCredentials *creds) {
        const char *s[] = { creds->secret, creds->token };

        cloud_call_forget_secrets(call);
        for (size_t i = 0, j = 0; i < ELEMENTSOF(s); i++) {
                size_t n;

                if (isempty(s[i]))
                        continue;
                n = strlen(s[i]);
                if (i == 0 && n < sizeof(call->secret_buf))
                        call->redact[j] = memcpy(call->secret_buf, s[i], n + 1);
                else
                        /* Best effort: without the copy a message is only not redacted. */
                        call->redact[j] = strdup(s[i]);
                if (call->redact[j])
                        j++;
        }
}

static void cloud_call_on_response(HttpRequest *req, int error, const HttpResponse *resp,
                                   void *userdata);

/* Builds, signs and starts the (next) request of call. */
static int cloud_call_start(CloudCall *call) {
        CloudClient *c = call->client;
        _cleanup_(cloud_request_done) CloudRequest req = {};
        _cleanup_(http_request_freep) HttpRequest *hr = NULL;
        _cleanup_free_ char *url = NULL;
        CloudCredentials creds = {};
        char nonce[33];
        int r;

        r = c->account.credentials(c->account.credentials_userdata, &creds);
        if (r < 0)
                return r;
        if (isempty(creds.access_key_id) || isempty(creds.secret))
                return -ENOKEY;
        cloud_client_make_nonce(c, nonce);
        r = cloud_client_build_request(c, call->op, &call->target, &call->desired, call->page_token,
                                       &creds, time(NULL), nonce, &req);
        if (r < 0)
                return r;
        cloud_call_remember_secrets(call, &creds);

        r = cloud_request_url(&req, &url);
        if (r < 0)
                return r;
        r = http_request_new(c->engine, req.method, url, &hr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < req.n_headers; i++) {
                r = http_request_add_header(hr, req.headers[i].name, req.headers[i].value);
                if (r < 0)
                        return r;
        }
        if (req.body) {
                r = http_request_set_body(hr, req.body, req.body_size);
                if (r < 0)
                        return r;
        }
        if (c->account.ca_file) {
                r = http_request_set_ca_file(hr, c->account.ca_file);
                if (r < 0)
                        return r;
        }
        r = http_request_start(hr, cloud_call_on_response, call);
        if (r < 0)
                return r;
        call->request = TAKE_PTR(hr);
        call->sent_usec = now(CLOCK_MONOTONIC);
        log_debug("cloud %s: %s %s", strna(c->account.name), req.method, req.path);
        return 0;
}

/* Starts the call's next request, or leaves it held when the client's gate says so. */
static int cloud_call_start_gated(CloudCall *call) {
        CloudClient *c = call->client;

        if (c->gate && c->gate(call, c->gate_userdata) > 0) {
                call->held = true;
                return 0;
        }
        return cloud_call_start(call);
}

void cloud_call_resume(CloudCall *call) {
        int r;

        if (!call || !call->held)
                return;
        call->held = false;
        r = call->cancelled ? -ECANCELED : cloud_call_start(call);
        if (r < 0)
                cloud_call_fail(call, r, NULL);
}

/* A 2xx LIST page: keep its items, then fetch the next page or finish. */
static void cloud_call_on_list_page(CloudCall *call, const HttpResponse *resp) {
        _cleanup_(cloud_config_list_done) CloudConfigList page = {};
        CloudError ok = {};
        int r;

        r = call->op == CLOUD_OP_LIST
                    ? call->client->ops->parse_list(resp->body, resp->body_size, &page)
                    : call->client->ops->parse_qualifiers(call->op, resp->body, resp->body_size,
                                                          &page);
        if (r < 0) {
                cloud_call_fail(call, r == -ENOMEM ? r : -EBADMSG, "malformed response");
                return;
        }
        /* FC3 lists by a functionName filter: keep only the items of that function. */
        for (size_t i = 0; i < page.n_items; i++)
                if (page.items[i].function &&
                    !streq(page.items[i].function, call->target.function)) {
                        free(page.items[i].qualifier);
                        free(page.items[i].function);
                        async_config_done(&page.items[i].config);
                        page.items[i--] = page.items[--page.n_items];
                }
        if (cloud_config_list_take(&call->list, &page) < 0) {
                cloud_call_fail(call, -ENOMEM, NULL);
                return;
        }
        /* The last page, or a server that hands out the same token again. */
        if (!page.next_token || (call->page_token && streq(page.next_token, call->page_token))) {
                cloud_call_finish(call, &ok, NULL);
                return;
        }
        if (++call->n_pages >= CLOUD_LIST_MAX_PAGES) {
                cloud_call_fail(call, -E2BIG, "too many pages in list response");
                return;
        }
        free(call->page_token);
        call->page_token = TAKE_PTR(page.next_token);
        r = cloud_call_start_gated(call);
        if (r < 0)
                cloud_call_fail(call, r, NULL);
}

static void cloud_call_on_success(CloudCall *call, const HttpResponse *resp) {
        _cleanup_(async_config_done) AsyncConfig config = {};
        CloudError ok = {};
        int r;

        if (cloud_op_is_list(call->op)) {
                cloud_call_on_list_page(call, resp);
                return;
        }
        if (call->op == CLOUD_OP_PUT || call->op == CLOUD_OP_DELETE) {
                cloud_call_finish(call, &ok, NULL); /* a PUT's echo is not read: cloud_put() */
                return;
        }
        /* A 200 that cannot be read decides nothing (DESIGN.md §3.3). */
        r = call->client->ops->parse_config(resp->body, resp->body_size, &config);
        if (r < 0) {
                cloud_call_fail(call, r == -ENOMEM ? r : -EBADMSG, "malformed response");
                return;
        }
        cloud_call_finish(call, &ok, &config);
}

/* Tells the client's observer (metrics) about one finished HTTP exchange. */
static void cloud_call_observe(CloudCall *call, int error, const HttpResponse *resp) {
        CloudClient *c = call->client;

        if (!c->observer)
                return;
        c->observer(&c->account, c->ops->provider, call->op, error < 0 ? 0 : resp->status, error,
                    now(CLOCK_MONOTONIC) - call->sent_usec, c->observer_userdata);
}

static void cloud_call_on_response(HttpRequest *req, int error, const HttpResponse *resp,
                                   void *userdata) {
        CloudCall *call = userdata;
        _cleanup_(cloud_error_done) CloudError e = {};

        call->request = NULL; /* lib/http frees req after we return */
        cloud_call_observe(call, error, resp);
        if (error < 0) {
                cloud_call_fail(call, error, http_request_error_detail(req));
                return;
        }
        if (resp->status >= 200 && resp->status < 300) {
                cloud_call_on_success(call, resp);
                return;
        }

        if (cloud_error_from_response(call->client->ops, call->op, resp, now(CLOCK_REALTIME),
                                      (const char *const *) call->redact, &e) < 0) {
                cloud_call_fail(call, -ENOMEM, NULL);
                return;
        }
        /* Deleting what is not there is done; a list of a function without configs (if a
         * cloud answers it with "no config") is empty. */
        if ((call->op == CLOUD_OP_DELETE &&
             (e.class == CLOUD_ERROR_CONFIG_ABSENT || e.class == CLOUD_ERROR_FUNCTION_ABSENT)) ||
            (call->op == CLOUD_OP_LIST && e.class == CLOUD_ERROR_CONFIG_ABSENT))
                cloud_error_done(&e);
        cloud_call_finish(call, &e, NULL);
}

static int cloud_call_new(CloudClient *c, CloudOp op, const CloudTarget *t, void *userdata,
                          CloudCall **ret) {
        const char *qualifier = !cloud_op_is_list(op) ? t->qualifier : NULL;
        size_t nf, nq;
        CloudCall *call;

        if (!c || !t || isempty(t->function))
                return -EINVAL;
        nf = strlen(t->function) + 1;
        nq = qualifier ? strlen(qualifier) + 1 : 0;
        call = calloc(1, sizeof(CloudCall) + nf + nq);
        if (!call)
                return -ENOMEM;
        call->client = cloud_client_ref(c);
        call->op = op;
        call->userdata = userdata;
        call->target.function = memcpy(call->names, t->function, nf);
        if (qualifier)
                call->target.qualifier = memcpy(call->names + nf, qualifier, nq);
        *ret = call;
        return 0;
}

static int cloud_call_run(CloudCall *call, CloudCall **ret_call) {
        int r = cloud_call_start_gated(call);

        if (r < 0) {
                cloud_call_free(call);
                return r;
        }
        if (ret_call)
                *ret_call = call;
        return 0;
}

int cloud_get(CloudClient *c, const CloudTarget *t, CloudConfigCallback cb, void *userdata,
              CloudCall **ret_call) {
        CloudCall *call;
        int r;

        if (!cb)
                return -EINVAL;
        r = cloud_call_new(c, CLOUD_OP_GET, t, userdata, &call);
        if (r < 0)
                return r;
        call->cb.config = cb;
        return cloud_call_run(call, ret_call);
}

int cloud_put(CloudClient *c, const CloudTarget *t, const AsyncConfig *desired,
              CloudDoneCallback cb, void *userdata, CloudCall **ret_call) {
        CloudCall *call;
        int r;

        if (!cb || !desired)
                return -EINVAL;
        r = cloud_call_new(c, CLOUD_OP_PUT, t, userdata, &call);
        if (r < 0)
                return r;
        call->cb.done = cb;
        r = async_config_copy(&call->desired, desired);
        if (r < 0) {
                cloud_call_free(call);
                return r;
        }
        return cloud_call_run(call, ret_call);
}

int cloud_delete(CloudClient *c, const CloudTarget *t, CloudDoneCallback cb, void *userdata,
                 CloudCall **ret_call) {
        CloudCall *call;
        int r;

        if (!cb)
                return -EINVAL;
        r = cloud_call_new(c, CLOUD_OP_DELETE, t, userdata, &call);
        if (r < 0)
                return r;
        call->cb.done = cb;
        return cloud_call_run(call, ret_call);
}

int cloud_list(CloudClient *c, const CloudTarget *t, CloudListCallback cb, void *userdata,
               CloudCall **ret_call) {
        CloudCall *call;
        int r;

        if (!cb)
                return -EINVAL;
        r = cloud_call_new(c, CLOUD_OP_LIST, t, userdata, &call);
        if (r < 0)
                return r;
        call->cb.list = cb;
        return cloud_call_run(call, ret_call);
}

int cloud_list_qualifiers(CloudClient *c, CloudOp op, const CloudTarget *t, CloudListCallback cb,
                          void *userdata, CloudCall **ret_call) {
        CloudCall *call;
        int r;

        if (!cb || (op != CLOUD_OP_LIST_VERSIONS && op != CLOUD_OP_LIST_ALIASES))
                return -EINVAL;
        r = cloud_call_new(c, op, t, userdata, &call);
        if (r < 0)
                return r;
        call->cb.list = cb;
        return cloud_call_run(call, ret_call);
}

void cloud_call_cancel(CloudCall *call) {
        if (call && call->held)
                call->cancelled = true; /* failed when its gate resumes it */
        else if (call && call->request)
                http_request_cancel(call->request);
}

CloudOp cloud_call_get_op(const CloudCall *call) {
        return call->op;
}
