/* SPDX-License-Identifier: MIT */
/* The FakeCloud object and the pure request handler: route by path prefix, verify the
 * signature, apply injected faults, hand the request to its API, count it. */

#include <stdio.h>
#include <time.h>

#include "tests/fakecloud/auth.h"
#include "tests/fakecloud/internal.h"

static const FakeApiOps *const api_ops[] = {
        &fake_lambda_ops, &fake_lambda_functions_ops, &fake_fc3_ops,
        &fake_fc2_ops,    &fake_functiongraph_ops,
};

static int dup_or_default(char **dst, const char *value, const char *def) {
        *dst = strdup(value ?: def);
        return *dst ? 0 : -ENOMEM;
}

int fake_cloud_new(const FakeCloudOptions *o, FakeCloud **ret) {
        _cleanup_(fake_cloud_freep) FakeCloud *fc = NULL;
        struct timespec ts;
        int r = 0;

        fc = calloc(1, sizeof(FakeCloud));
        if (!fc)
                return -ENOMEM;
        fake_faults_init(&fc->faults);
        fake_reqlog_init(&fc->log);
        r |= dup_or_default(&fc->aws_akid, o->aws.access_key_id, FAKE_DEFAULT_AWS_AKID);
        r |= dup_or_default(&fc->aws_secret, o->aws.secret, FAKE_DEFAULT_AWS_SECRET);
        r |= dup_or_default(&fc->ali_akid, o->alicloud.access_key_id, FAKE_DEFAULT_ALICLOUD_AKID);
        r |= dup_or_default(&fc->ali_secret, o->alicloud.secret, FAKE_DEFAULT_ALICLOUD_SECRET);
        r |= dup_or_default(&fc->hw_ak, o->huaweicloud.access_key_id, FAKE_DEFAULT_HUAWEI_AK);
        r |= dup_or_default(&fc->hw_sk, o->huaweicloud.secret, FAKE_DEFAULT_HUAWEI_SK);
        r |= dup_or_default(&fc->ali_account, o->alicloud_account, FAKE_DEFAULT_ALICLOUD_ACCOUNT);
        r |= dup_or_default(&fc->hw_project, o->huawei_project, FAKE_DEFAULT_HUAWEI_PROJECT);
        r |= dup_or_default(&fc->aws_account, o->aws_account, FAKE_DEFAULT_AWS_ACCOUNT);
        if (r < 0)
                return -ENOMEM;
        fc->unqualified_lists = o->unqualified_lists;
        r = fake_store_new(&fc->store);
        if (r < 0)
                return r;
        clock_gettime(CLOCK_REALTIME, &ts);
        fc->id_salt = (uint64_t) ts.tv_nsec ^ ((uint64_t) getpid() << 32);
        *ret = TAKE_PTR(fc);
        return 0;
}

FakeCloud *fake_cloud_free(FakeCloud *fc) {
        if (!fc)
                return NULL;
        fake_store_free(fc->store);
        fake_faults_done(&fc->faults);
        fake_reqlog_done(&fc->log);
        free(fc->aws_akid);
        free(fc->aws_secret);
        free(fc->ali_akid);
        free(fc->ali_secret);
        free(fc->hw_ak);
        free(fc->hw_sk);
        free(fc->ali_account);
        free(fc->hw_project);
        free(fc->aws_account);
        free(fc);
        return NULL;
}

void fake_cloud_set_time(FakeCloud *fc, int64_t unix_seconds) {
        __atomic_store_n(&fc->fixed_time, unix_seconds, __ATOMIC_RELAXED);
}

int64_t fake_cloud_now_usec(FakeCloud *fc) {
        int64_t fixed = __atomic_load_n(&fc->fixed_time, __ATOMIC_RELAXED);
        struct timespec ts;

        if (fixed != 0)
                return fixed * 1000000;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t mix(uint64_t x) {
        x += 0x9e3779b97f4a7c15ULL;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
}

void fake_cloud_new_request_id(FakeCloud *fc, FakeApi api, char ret[static 40]) {
        uint64_t n = __atomic_add_fetch(&fc->id_counter, 1, __ATOMIC_RELAXED);
        uint64_t a = mix(fc->id_salt ^ n), b = mix(a ^ n);

        if (api == FAKE_API_FUNCTIONGRAPH)
                snprintf(ret, 40, "%016llx%016llx", (unsigned long long) a, (unsigned long long) b);
        else if (api == FAKE_API_FC3)
                snprintf(ret, 40, "1-%08llx-%08llx%016llx", (unsigned long long) (a >> 32),
                         (unsigned long long) (b >> 32), (unsigned long long) (a ^ b));
        else
                snprintf(ret, 40, "%08llx-%04llx-4%03llx-8%03llx-%012llx",
                         (unsigned long long) (a >> 32), (unsigned long long) ((a >> 16) & 0xffff),
                         (unsigned long long) (a & 0xfff), (unsigned long long) (b & 0xfff),
                         (unsigned long long) (b >> 16));
}

static const FakeApiOps *find_api(const char *path) {
        for (size_t i = 0; i < ELEMENTSOF(api_ops); i++)
                if (startswith(path, api_ops[i]->prefix))
                        return api_ops[i];
        return NULL;
}

/* Splits the target into raw path, decoded query and decoded path segments. */
static int call_parse_target(FakeCall *c) {
        const char *t = c->req->target ?: "", *q = strchr(t, '?');
        _cleanup_strv_free_ char **raw = NULL;
        size_t n = 0;
        int r;

        c->path = strndup(t, q ? (size_t) (q - t) : strlen(t));
        if (!c->path)
                return -ENOMEM;
        if (q) {
                r = urlenc_parse_query(q + 1, false, &c->query, &c->n_query);
                if (r < 0)
                        return r;
        }
        r = urlenc_split_path(c->path, &raw);
        if (r < 0)
                return r;
        while (raw[n])
                n++;
        c->segments = calloc(n + 1, sizeof(char *));
        if (!c->segments)
                return -ENOMEM;
        /* The first segment is the empty one before the leading '/'. */
        for (size_t i = 1; i < n; i++) {
                r = urlenc_unescape(raw[i], SIZE_MAX, false, &c->segments[c->n_segments]);
                if (r < 0)
                        return r;
                c->n_segments++;
        }
        return 0;
}

static void call_done(FakeCall *c) {
        free(c->path);
        for (size_t i = 0; i < c->n_segments; i++)
                free(c->segments[i]);
        free(c->segments);
        urlenc_params_free(c->query, c->n_query);
}

/* The region of FC ARNs: from a real FC Host header (fcv3.REGION.aliyuncs.com,
 * ACCOUNT.REGION.fc.aliyuncs.com), else cn-hangzhou. */
static void call_region_from_host(FakeCall *c, const char *def) {
        const char *host = fake_call_header_get(c, "Host"), *a, *b;

        snprintf(c->region, sizeof(c->region), "%s", def);
        if (!host || c->api == FAKE_API_LAMBDA)
                return;
        a = strchr(host, '.');
        b = a ? strchr(a + 1, '.') : NULL;
        if (!a || !b || b - a - 1 <= 0 || (size_t) (b - a) >= sizeof(c->region))
                return;
        if (startswith(host, "fcv3.") || startswith(b, ".fc.aliyuncs.com") ||
            startswith(b, ".myhuaweicloud.com"))
                snprintf(c->region, sizeof(c->region), "%.*s", (int) (b - a - 1), a + 1);
}

static void apply_truncation(FakeCall *c) {
        if (c->resp->status < 200 || c->resp->status >= 300 || c->resp->body_size < 2)
                return;
        /* Cut in half: a body that starts like JSON and does not parse. */
        c->resp->body_size /= 2;
        c->resp->body[c->resp->body_size] = 0;
        c->log_fault = FAKE_LOG_FAULT_TRUNCATE;
        fake_stats_count_fault(&c->fc->stats, FAKE_FAULT_TRUNCATE);
}

static void handle_cloud(FakeCall *c, const FakeApiOps *ops) {
        FakeFaultDecision d;
        FakeErrorKind kind;
        char detail[256];
        int r;

        c->api = ops->api;
        call_region_from_host(c, c->api == FAKE_API_LAMBDA ? "us-east-1" : "cn-hangzhou");
        fake_cloud_new_request_id(c->fc, c->api, c->request_id);
        fake_call_header(c, ops->request_id_header, c->request_id);
        if (c->api == FAKE_API_FC2)
                fake_call_header(c, "x-acs-request-id", c->request_id);

        r = fake_auth_check(c, ops, &kind, detail, sizeof(detail));
        if (r == -EACCES) {
                fake_stats_count_rejected(&c->fc->stats, fake_stats_provider_from_string(
                                                                 fake_api_to_provider(c->api)));
                ops->error(c, kind, detail);
                return;
        }
        if (r < 0) {
                c->error_status = 500;
                ops->error(c, FAKE_ERROR_SERVER, "the signature could not be checked");
                return;
        }

        fake_faults_decide(&c->fc->faults, fake_api_to_provider(c->api), c->req->method, &d);
        c->roll = d.roll;
        if (d.delay_usec > 0) {
                c->resp->delay_usec = d.delay_usec;
                c->log_fault = FAKE_LOG_FAULT_LATENCY;
                fake_stats_count_fault(&c->fc->stats, FAKE_FAULT_DELAY);
        }
        switch (d.action) {
        case FAKE_FAULT_ACTION_DROP:
                c->resp->drop = true;
                c->resp->status = 0;
                c->log_fault = FAKE_LOG_FAULT_DROP;
                fake_stats_count_fault(&c->fc->stats, FAKE_FAULT_DROP);
                return;
        case FAKE_FAULT_ACTION_ERROR:
                c->error_status = d.error_status;
                c->log_fault = FAKE_LOG_FAULT_ERROR;
                fake_stats_count_fault(&c->fc->stats, FAKE_FAULT_ERROR);
                ops->error(c, FAKE_ERROR_SERVER, "injected server error");
                return;
        case FAKE_FAULT_ACTION_THROTTLE: {
                char s[16];
                c->retry_after = d.retry_after;
                c->log_fault = FAKE_LOG_FAULT_THROTTLE;
                snprintf(s, sizeof(s), "%u", d.retry_after);
                fake_call_header(c, "Retry-After", s);
                fake_stats_count_fault(&c->fc->stats, FAKE_FAULT_THROTTLE);
                ops->error(c, FAKE_ERROR_THROTTLED, "injected throttling");
                return;
        }
        default:
                break;
        }
        ops->handle(c);
        if (d.truncate)
                apply_truncation(c);
}

static void respond_no_api(FakeCall *c) {
        fake_call_respond(c, 404, strdup("{\"message\":\"no API at this path\"}"));
        if (!c->resp->body)
                c->oom = true;
}

int fake_handle_request(FakeCloud *fc, const FakeRequest *req, FakeResponse *ret) {
        FakeCall c = {
                .fc = fc,
                .req = req,
                .resp = ret,
                .api = _FAKE_API_INVALID,
        };
        const FakeApiOps *ops;
        bool control;
        int r;

        *ret = (FakeResponse){};
        c.now_usec = fake_cloud_now_usec(fc);
        c.log_start_usec = fake_realtime_usec();
        r = call_parse_target(&c);
        control = c.path && (streq(c.path, "/_fake") || startswith(c.path, "/_fake/"));
        ops = c.path ? find_api(c.path) : NULL;
        if (r == -ENOMEM)
                c.oom = true;
        else if (control) {
                __atomic_add_fetch(&fc->stats.control_requests, 1, __ATOMIC_RELAXED);
                fake_control_handle(&c);
        } else if (!ops)
                respond_no_api(&c);
        else if (r < 0) {
                c.api = ops->api;
                fake_cloud_new_request_id(fc, c.api, c.request_id);
                fake_call_header(&c, ops->request_id_header, c.request_id);
                ops->error(&c, FAKE_ERROR_BODY,
                           "the request target is not validly percent-encoded");
        } else
                handle_cloud(&c, ops);

        ret->cloud = !control;
        if (!control) /* a dropped connection counts with status 0 */
                fake_stats_count(
                        &fc->stats,
                        ops ? fake_stats_provider_from_string(fake_api_to_provider(ops->api))
                            : FAKE_STATS_UNKNOWN,
                        req->method, ret->status);
        if (!control)
                ret->log_seq = fake_call_log_request(&c, ops);
        call_done(&c);
        if (c.oom) {
                fake_response_done(ret);
                ret->status = 500;
                return -ENOMEM;
        }
        return 0;
}

void fake_cloud_count_in_flight(FakeCloud *fc, int delta) {
        fake_stats_count_in_flight(&fc->stats, delta);
}
