/* SPDX-License-Identifier: MIT */
#include <stddef.h>
#include <stdio.h>

#include "tests/fakecloud/stats.h"
#include "lib/macro.h"

static const char *const provider_table[_FAKE_STATS_PROVIDER_MAX] = {
        [FAKE_STATS_AWS] = "aws",
        [FAKE_STATS_ALICLOUD] = "alicloud",
        [FAKE_STATS_HUAWEICLOUD] = "huaweicloud",
        [FAKE_STATS_UNKNOWN] = "unknown",
};

/* Index 0 collects every method not listed. */
static const char *const method_table[FAKE_STATS_N_METHODS] = {
        "OTHER", "GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS",
};

static const char *const fault_table[_FAKE_FAULT_KIND_MAX] = {
        [FAKE_FAULT_ERROR] = "error5xx", [FAKE_FAULT_THROTTLE] = "throttle",
        [FAKE_FAULT_DROP] = "drop",      [FAKE_FAULT_TRUNCATE] = "truncate",
        [FAKE_FAULT_DELAY] = "latency",
};

FakeStatsProvider fake_stats_provider_from_string(const char *provider) {
        for (size_t i = 0; i < FAKE_STATS_UNKNOWN; i++)
                if (provider && streq(provider, provider_table[i]))
                        return (FakeStatsProvider) i;
        return FAKE_STATS_UNKNOWN;
}

static size_t method_index(const char *method) {
        for (size_t i = 1; i < FAKE_STATS_N_METHODS; i++)
                if (method && streq(method, method_table[i]))
                        return i;
        return 0;
}

static void add(uint64_t *p) {
        __atomic_add_fetch(p, 1, __ATOMIC_RELAXED);
}

static uint64_t get(const uint64_t *p) {
        return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void fake_stats_count(FakeStats *s, FakeStatsProvider p, const char *method, unsigned status) {
        if (status >= FAKE_STATS_N_STATUS)
                status = 0;
        add(&s->requests[p][method_index(method)][status]);
}

void fake_stats_count_rejected(FakeStats *s, FakeStatsProvider p) {
        add(&s->signature_rejected[p]);
}

void fake_stats_count_fault(FakeStats *s, FakeFaultKind k) {
        add(&s->faults[k]);
}

void fake_stats_count_in_flight(FakeStats *s, int delta) {
        uint64_t n, max;

        if (delta < 0) {
                __atomic_sub_fetch(&s->in_flight, 1, __ATOMIC_RELAXED);
                return;
        }
        n = __atomic_add_fetch(&s->in_flight, 1, __ATOMIC_RELAXED);
        max = get(&s->max_in_flight);
        while (n > max && !__atomic_compare_exchange_n(&s->max_in_flight, &max, n, true,
                                                       __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                ;
}

void fake_stats_reset(FakeStats *s) {
        /* Not atomic as a whole; a reset while requests are in flight may keep a few counts.
         * Requests in flight stay counted: they still end. */
        uint64_t *p = (uint64_t *) s;

        for (size_t i = 0; i < offsetof(FakeStats, in_flight) / sizeof(uint64_t); i++)
                __atomic_store_n(&p[i], 0, __ATOMIC_RELAXED);
        __atomic_store_n(&s->max_in_flight, get(&s->in_flight), __ATOMIC_RELAXED);
}

static int json_add_count(json_t *o, const char *key, uint64_t n) {
        json_t *old = json_object_get(o, key);
        uint64_t base = old ? (uint64_t) json_integer_value(old) : 0;

        return json_object_set_new(o, key, json_integer((json_int_t) (base + n)));
}

json_t *fake_stats_to_json(const FakeStats *s) {
        json_t *root = json_object(), *by_p = json_object(), *by_m = json_object(),
               *by_s = json_object(), *rej = json_object(), *faults = json_object(),
               *detail = json_array();
        uint64_t total = 0, rejected = 0;
        bool oom = !root || !by_p || !by_m || !by_s || !rej || !faults || !detail;

        for (size_t p = 0; !oom && p < _FAKE_STATS_PROVIDER_MAX; p++)
                for (size_t m = 0; m < FAKE_STATS_N_METHODS; m++)
                        for (size_t st = 0; st < FAKE_STATS_N_STATUS; st++) {
                                uint64_t n = get(&s->requests[p][m][st]);
                                char code[8];
                                if (n == 0)
                                        continue;
                                snprintf(code, sizeof(code), "%zu", st);
                                total += n;
                                oom |= json_add_count(by_p, provider_table[p], n) < 0;
                                oom |= json_add_count(by_m, method_table[m], n) < 0;
                                oom |= json_add_count(by_s, code, n) < 0;
                                oom |= json_array_append_new(
                                               detail,
                                               json_pack("{s:s,s:s,s:i,s:I}", "provider",
                                                         provider_table[p], "method",
                                                         method_table[m], "status", (int) st,
                                                         "count", (json_int_t) n)) < 0;
                        }
        for (size_t p = 0; !oom && p < _FAKE_STATS_PROVIDER_MAX; p++) {
                rejected += get(&s->signature_rejected[p]);
                oom |= json_add_count(rej, provider_table[p], get(&s->signature_rejected[p])) < 0;
        }
        for (size_t k = 0; !oom && k < _FAKE_FAULT_KIND_MAX; k++)
                oom |= json_add_count(faults, fault_table[k], get(&s->faults[k])) < 0;
        if (oom) {
                json_decref(root);
                json_decref(by_p);
                json_decref(by_m);
                json_decref(by_s);
                json_decref(rej);
                json_decref(faults);
                json_decref(detail);
                return NULL;
        }
        json_object_set_new(root, "requests", json_integer((json_int_t) total));
        json_object_set_new(root, "signatureRejected", json_integer((json_int_t) rejected));
        json_object_set_new(root, "byProvider", by_p);
        json_object_set_new(root, "byMethod", by_m);
        json_object_set_new(root, "byStatus", by_s);
        json_object_set_new(root, "signatureRejectedByProvider", rej);
        json_object_set_new(root, "faults", faults);
        json_object_set_new(root, "detail", detail);
        json_object_set_new(root, "controlRequests",
                            json_integer((json_int_t) get(&s->control_requests)));
        json_object_set_new(root, "inFlight", json_integer((json_int_t) get(&s->in_flight)));
        json_object_set_new(root, "maxInFlight", json_integer((json_int_t) get(&s->max_in_flight)));
        return root;
}
