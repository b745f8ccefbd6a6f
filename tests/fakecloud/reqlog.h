/* SPDX-License-Identifier: MIT */
#pragma once

/* The request log (GET /_fake/log): every cloud request in arrival order, with its identity
 * (provider, API, method, path, function, qualifier), its answer (status, injected fault) and
 * when it started and ended, so a test can prove from the cloud's side what a client did
 * (no write based on a failed read, the request rate once faults stop).
 *
 * A ring of fixed-size entries behind one mutex: appending copies a few hundred bytes, so
 * the log never becomes a benchmark's bottleneck. Memory is taken in chunks as the log fills,
 * up to FAKE_REQLOG_CAPACITY entries; beyond it the oldest are forgotten and counted. Sequence
 * numbers start at 1 and keep growing across a reset, so a reader's "after" stays valid. */

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#define FAKE_REQLOG_CAPACITY 1000000u
#define FAKE_REQLOG_CHUNK 4096u
#define FAKE_REQLOG_DEFAULT_LIMIT 10000
#define FAKE_REQLOG_MAX_LIMIT 100000

typedef enum FakeLogFault {
        FAKE_LOG_FAULT_NONE,
        FAKE_LOG_FAULT_ERROR,
        FAKE_LOG_FAULT_THROTTLE,
        FAKE_LOG_FAULT_DROP,
        FAKE_LOG_FAULT_TRUNCATE,
        FAKE_LOG_FAULT_LATENCY,
        _FAKE_LOG_FAULT_MAX,
} FakeLogFault;

/* Strings are cut to their field's size (a path of a Huawei URN fits in 256). */
typedef struct FakeLogEntry {
        uint64_t seq;
        int64_t start_usec, end_usec; /* CLOCK_REALTIME */
        uint16_t status;              /* 0: the connection was dropped */
        uint8_t fault;                /* FakeLogFault */
        char provider[12];            /* "aws", "alicloud", "huaweicloud", "unknown" */
        char api[16];                 /* "lambda", "fc3", "fc2", "functiongraph", "" */
        char method[8];
        char path[256];
        char function[192];  /* as GET /_fake/configs names it; "" for lists */
        char qualifier[132]; /* the one addressed (default included); "" for lists */
        char user_agent[96];
} FakeLogEntry;

typedef struct FakeReqLog {
        pthread_mutex_t lock;
        FakeLogEntry *chunks[(FAKE_REQLOG_CAPACITY + FAKE_REQLOG_CHUNK - 1) / FAKE_REQLOG_CHUNK];
        uint64_t first; /* the first sequence number since the last reset */
        uint64_t next;  /* the next one to hand out */
} FakeReqLog;

void fake_reqlog_init(FakeReqLog *l);
void fake_reqlog_done(FakeReqLog *l);

/* Appends e (its seq is assigned) and returns the sequence number, or 0 when no memory was
 * left for a new chunk (the request is then not logged). */
uint64_t fake_reqlog_append(FakeReqLog *l, FakeLogEntry *e);
/* Sets the end time of entry seq, if it is still kept. */
void fake_reqlog_set_end(FakeReqLog *l, uint64_t seq, int64_t end_usec);
/* Forgets every entry (sequence numbers go on). */
void fake_reqlog_clear(FakeReqLog *l);
/* The GET /_fake/log document: entries with seq > after, at most limit. NULL on -ENOMEM. */
json_t *fake_reqlog_to_json(FakeReqLog *l, uint64_t after, size_t limit);

/* Copies src (NULL: "") into dst, cut to size, every byte that is not printable ASCII as '?'. */
void fake_log_copy(char *dst, size_t size, const char *src);

const char *fake_log_fault_to_string(FakeLogFault f);
