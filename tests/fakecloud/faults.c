/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>

#include "lib/macro.h"
#include "tests/fakecloud/faults.h"

void fake_faults_init(FakeFaults *f) {
        *f = (FakeFaults){};
        pthread_mutex_init(&f->lock, NULL);
        f->config.limit = -1;
}

void fake_faults_done(FakeFaults *f) {
        pthread_mutex_destroy(&f->lock);
}

void fake_faults_clear(FakeFaults *f) {
        pthread_mutex_lock(&f->lock);
        f->config = (FakeFaultConfig){ .limit = -1 };
        f->counter = 0;
        __atomic_store_n(&f->active, false, __ATOMIC_RELAXED);
        pthread_mutex_unlock(&f->lock);
}

static int fail(char *error, size_t size, const char *key, const char *what) {
        snprintf(error, size, "'%s': %s", key, what);
        return -EINVAL;
}

static int parse_fraction(const json_t *v, const char *key, double *ret, char *error, size_t size) {
        double d;

        if (!json_is_number(v))
                return fail(error, size, key, "must be a number between 0 and 1");
        d = json_number_value(v);
        if (!(d >= 0.0 && d <= 1.0))
                return fail(error, size, key, "must be a number between 0 and 1");
        *ret = d;
        return 0;
}

static int parse_uint(const json_t *v, const char *key, json_int_t lo, json_int_t hi,
                      json_int_t *ret, char *error, size_t size) {
        if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
                return fail(error, size, key, "must be an integer in range");
        *ret = json_integer_value(v);
        return 0;
}

static int parse_string(const json_t *v, const char *key, char *buf, size_t bufsize, char *error,
                        size_t size) {
        if (!json_is_string(v) || json_string_length(v) >= bufsize)
                return fail(error, size, key, "must be a short string");
        memcpy(buf, json_string_value(v), json_string_length(v) + 1);
        return 0;
}

/* One key of the body into c. */
static int parse_key(FakeFaultConfig *c, const char *key, const json_t *v, char *error,
                     size_t size) {
        json_int_t i = 0;
        int r;

        if (streq(key, "error5xx"))
                return parse_fraction(v, key, &c->error5xx, error, size);
        if (streq(key, "throttle"))
                return parse_fraction(v, key, &c->throttle, error, size);
        if (streq(key, "drop"))
                return parse_fraction(v, key, &c->drop, error, size);
        if (streq(key, "truncate"))
                return parse_fraction(v, key, &c->truncate, error, size);
        if (streq(key, "provider")) {
                r = parse_string(v, key, c->provider, sizeof(c->provider), error, size);
                if (r == 0 && !streq(c->provider, "aws") && !streq(c->provider, "alicloud") &&
                    !streq(c->provider, "huaweicloud"))
                        return fail(error, size, key, "must be aws, alicloud or huaweicloud");
                return r;
        }
        if (streq(key, "method"))
                return parse_string(v, key, c->method, sizeof(c->method), error, size);
        if (streq(key, "errorStatus")) {
                r = parse_uint(v, key, 500, 599, &i, error, size);
                c->error_status = (unsigned) i;
        } else if (streq(key, "retryAfter")) {
                r = parse_uint(v, key, 0, 86400, &i, error, size);
                c->retry_after = (unsigned) i;
        } else if (streq(key, "latencyMs")) {
                r = parse_uint(v, key, 0, 600000, &i, error, size);
                c->latency_ms = (unsigned) i;
        } else if (streq(key, "jitterMs")) {
                r = parse_uint(v, key, 0, 600000, &i, error, size);
                c->jitter_ms = (unsigned) i;
        } else if (streq(key, "seed")) {
                r = parse_uint(v, key, 0, INT64_MAX, &i, error, size);
                c->seed = (uint64_t) i;
        } else if (streq(key, "limit")) {
                r = parse_uint(v, key, -1, INT64_MAX, &i, error, size);
                c->limit = i;
        } else
                return fail(error, size, key, "unknown key");
        return r;
}

int fake_faults_set(FakeFaults *f, const json_t *body, char *error, size_t size) {
        FakeFaultConfig c = { .error_status = 500, .retry_after = 1, .limit = -1 };
        const char *key;
        json_t *v;

        if (!json_is_object(body))
                return fail(error, size, "body", "must be a JSON object");
        json_object_foreach((json_t *) body, key, v) {
                int r = parse_key(&c, key, v, error, size);
                if (r < 0)
                        return r;
        }
        if (c.error5xx + c.throttle + c.drop > 1.0 + 1e-9)
                return fail(error, size, "error5xx+throttle+drop", "must not exceed 1");
        pthread_mutex_lock(&f->lock);
        f->config = c;
        f->counter = 0;
        __atomic_store_n(&f->active,
                         c.error5xx > 0 || c.throttle > 0 || c.drop > 0 || c.truncate > 0 ||
                                 c.latency_ms > 0 || c.jitter_ms > 0,
                         __ATOMIC_RELAXED);
        pthread_mutex_unlock(&f->lock);
        return 0;
}

json_t *fake_faults_to_json(FakeFaults *f) {
        FakeFaultConfig c;

        pthread_mutex_lock(&f->lock);
        c = f->config;
        pthread_mutex_unlock(&f->lock);
        return json_pack("{s:f,s:i,s:f,s:i,s:i,s:i,s:f,s:f,s:I,s:s,s:s,s:I}", "error5xx",
                         c.error5xx, "errorStatus", (int) c.error_status, "throttle", c.throttle,
                         "retryAfter", (int) c.retry_after, "latencyMs", (int) c.latency_ms,
                         "jitterMs", (int) c.jitter_ms, "drop", c.drop, "truncate", c.truncate,
                         "seed", (json_int_t) c.seed, "provider", c.provider, "method", c.method,
                         "limit", (json_int_t) c.limit);
}

static uint64_t splitmix64(uint64_t x) {
        x += 0x9e3779b97f4a7c15ULL;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
}

/* A uniform double in [0, 1). */
static double next_unit(FakeFaults *f) {
        return (double) (splitmix64(f->config.seed ^ (f->counter++ * 0xd1b54a32d192ed03ULL)) >>
                         11) *
               0x1.0p-53;
}

static bool take_one(FakeFaults *f) {
        if (f->config.limit == 0)
                return false;
        if (f->config.limit > 0)
                f->config.limit--;
        return true;
}

void fake_faults_decide(FakeFaults *f, const char *provider, const char *method,
                        FakeFaultDecision *ret) {
        FakeFaultConfig *c = &f->config;
        double r;

        *ret = (FakeFaultDecision){};
        if (!__atomic_load_n(&f->active, __ATOMIC_RELAXED))
                return;
        pthread_mutex_lock(&f->lock);
        if ((c->provider[0] && !streq(c->provider, provider)) ||
            (c->method[0] && !streq(c->method, method)))
                goto finish;
        r = next_unit(f);
        if (r < c->drop) {
                if (take_one(f))
                        ret->action = FAKE_FAULT_ACTION_DROP;
        } else if (r < c->drop + c->error5xx) {
                if (take_one(f))
                        ret->action = FAKE_FAULT_ACTION_ERROR;
        } else if (r < c->drop + c->error5xx + c->throttle) {
                if (take_one(f))
                        ret->action = FAKE_FAULT_ACTION_THROTTLE;
        }
        ret->error_status = c->error_status;
        ret->retry_after = c->retry_after;
        if (ret->action == FAKE_FAULT_ACTION_NONE && c->truncate > 0 && next_unit(f) < c->truncate)
                ret->truncate = take_one(f);
        if (c->latency_ms > 0 || c->jitter_ms > 0)
                ret->delay_usec = (uint64_t) c->latency_ms * 1000 +
                                  (uint64_t) (next_unit(f) * (double) c->jitter_ms * 1000.0);
        ret->roll = splitmix64(c->seed ^ f->counter++);
finish:
        pthread_mutex_unlock(&f->lock);
}
