/* SPDX-License-Identifier: MIT */
#pragma once

/* The one normalised model of an asynchronous-invocation configuration, shared by the YAML
 * loader (what is desired), the cloud clients (what is live) and the diff. It knows nothing
 * of YAML or of any cloud's JSON spelling.
 *
 * "Absent" and "0" are different things (DESIGN.md §3.4): every scalar has a has_* flag.
 * A Destination is absent when target is NULL. */

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum Provider {
        PROVIDER_AWS,
        PROVIDER_ALICLOUD,
        PROVIDER_HUAWEICLOUD,
        _PROVIDER_MAX,
        _PROVIDER_INVALID = -22, /* -EINVAL */
} Provider;

/* The wire API a resource is reached through. Alibaba has two (FC3 and FC2), chosen by the
 * account's "api" (DESIGN.md §5). */
typedef enum CloudApi {
        CLOUD_API_AWS_LAMBDA,
        CLOUD_API_FC3,
        CLOUD_API_FC2,
        CLOUD_API_FUNCTIONGRAPH,
        _CLOUD_API_MAX,
        _CLOUD_API_INVALID = -22,
} CloudApi;

/* The provider names, NULL-terminated, indexed by Provider (also the schema's enum). */
extern const char *const provider_table[_PROVIDER_MAX + 1];
const char *provider_to_string(Provider p);
Provider provider_from_string(const char *s);
const char *cloud_api_to_string(CloudApi a);
CloudApi cloud_api_from_string(const char *s);

typedef struct Destination {
        /* AWS, Alibaba: the destination ARN. Huawei: the type, one of OBS, SMN, DIS,
         * FunctionGraph. NULL: absent. */
        char *target;
        /* Huawei only: the parameters, a JSON object (compared as parsed JSON). NULL otherwise.
         * Never changed once built: copies share it (jansson's reference counts are atomic). */
        json_t *param;
} Destination;

/* The flags are together after the values: four AsyncConfigs per resource live in the daemon
 * (the document, the state record, a diff's two sides), and padding was 16 bytes of each. */
typedef struct AsyncConfig {
        int64_t max_retry_attempts;
        int64_t max_event_age_seconds;
        Destination on_success;
        Destination on_failure;
        bool has_max_retry_attempts;
        bool has_max_event_age;
        bool has_async_task; /* alicloud: FC3 asyncTask / FC2 statefulInvocation */
        bool async_task;
        bool has_async_status_log; /* huaweicloud: enable_async_status_log */
        bool async_status_log;
} AsyncConfig;

void destination_done(Destination *d);
int destination_copy(Destination *dst, const Destination *src);
bool destination_equal(const Destination *a, const Destination *b);

void async_config_done(AsyncConfig *c);
int async_config_copy(AsyncConfig *dst, const AsyncConfig *src);
