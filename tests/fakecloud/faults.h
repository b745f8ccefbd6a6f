/* SPDX-License-Identifier: MIT */
#pragma once

/* Fault injection (POST /_fake/faults): per cloud request, after its signature was accepted,
 * one roll decides between a dropped connection, a 5xx answer, a 429 answer or normal
 * handling; independent rolls add a truncated body and latency. Rolls come from a seeded
 * generator, so a given seed and request order give the same faults. */

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct FakeFaultConfig {
        double error5xx;       /* fraction of requests answered with a 5xx */
        unsigned error_status; /* which 5xx (default 500) */
        double throttle;       /* fraction answered with the cloud's 429 */
        unsigned retry_after;  /* seconds, in Retry-After (default 1) */
        unsigned latency_ms;   /* added to every matching request */
        unsigned jitter_ms;    /* plus uniform 0..jitter_ms */
        double drop;           /* fraction of connections closed without an answer */
        double truncate;       /* fraction of 2xx bodies cut in half */
        uint64_t seed;
        char provider[16]; /* "" = every provider */
        char method[8];    /* "" = every method */
        int64_t limit;     /* faults (not latency) left to inject; -1 = unlimited */
} FakeFaultConfig;

typedef struct FakeFaults {
        pthread_mutex_t lock;
        bool active; /* read without the lock on the hot path (a relaxed atomic) */
        FakeFaultConfig config;
        uint64_t counter;
} FakeFaults;

typedef enum FakeFaultAction {
        FAKE_FAULT_ACTION_NONE,
        FAKE_FAULT_ACTION_DROP,
        FAKE_FAULT_ACTION_ERROR,
        FAKE_FAULT_ACTION_THROTTLE,
} FakeFaultAction;

typedef struct FakeFaultDecision {
        FakeFaultAction action;
        unsigned error_status;
        unsigned retry_after;
        bool truncate;
        uint64_t delay_usec;
        uint64_t roll; /* a spare random number (e.g. to pick one of two throttling codes) */
} FakeFaultDecision;

void fake_faults_init(FakeFaults *f);
void fake_faults_done(FakeFaults *f);

/* Parses a POST /_fake/faults body; {} clears. 0, or -EINVAL with a message in error. */
int fake_faults_set(FakeFaults *f, const json_t *body, char *error, size_t error_size);
void fake_faults_clear(FakeFaults *f);
json_t *fake_faults_to_json(FakeFaults *f);

/* Decides the faults of one request. */
void fake_faults_decide(FakeFaults *f, const char *provider, const char *method,
                        FakeFaultDecision *ret);
