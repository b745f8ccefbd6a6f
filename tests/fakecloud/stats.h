/* SPDX-License-Identifier: MIT */
#pragma once

/* Request counters for GET /_fake/stats: cloud requests by provider, method and status,
 * rejected signatures, injected faults. Lock-free (relaxed atomics): the hot path only adds. */

#include <jansson.h>
#include <stdint.h>

typedef enum FakeStatsProvider {
        FAKE_STATS_AWS,
        FAKE_STATS_ALICLOUD,
        FAKE_STATS_HUAWEICLOUD,
        FAKE_STATS_UNKNOWN, /* no cloud's path prefix */
        _FAKE_STATS_PROVIDER_MAX,
} FakeStatsProvider;

typedef enum FakeFaultKind {
        FAKE_FAULT_ERROR,
        FAKE_FAULT_THROTTLE,
        FAKE_FAULT_DROP,
        FAKE_FAULT_TRUNCATE,
        FAKE_FAULT_DELAY,
        _FAKE_FAULT_KIND_MAX,
} FakeFaultKind;

#define FAKE_STATS_N_METHODS 8
#define FAKE_STATS_N_STATUS 600

typedef struct FakeStats {
        uint64_t requests[_FAKE_STATS_PROVIDER_MAX][FAKE_STATS_N_METHODS][FAKE_STATS_N_STATUS];
        uint64_t signature_rejected[_FAKE_STATS_PROVIDER_MAX];
        uint64_t faults[_FAKE_FAULT_KIND_MAX];
        uint64_t control_requests;
        uint64_t max_in_flight; /* the most cloud requests in flight at once since the reset */
        uint64_t in_flight;     /* kept by a reset, so it must stay last */
} FakeStats;

FakeStatsProvider fake_stats_provider_from_string(const char *provider);
void fake_stats_count(FakeStats *s, FakeStatsProvider p, const char *method, unsigned status);
void fake_stats_count_rejected(FakeStats *s, FakeStatsProvider p);
void fake_stats_count_fault(FakeStats *s, FakeFaultKind k);
void fake_stats_count_in_flight(FakeStats *s, int delta);
void fake_stats_reset(FakeStats *s);
/* The GET /_fake/stats document (README.md); NULL on -ENOMEM. */
json_t *fake_stats_to_json(const FakeStats *s);
