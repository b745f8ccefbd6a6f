/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "lib/macro.h"
#include "tests/fakecloud/reqlog.h"

static const char *const fault_table[_FAKE_LOG_FAULT_MAX] = {
        [FAKE_LOG_FAULT_NONE] = "none",         [FAKE_LOG_FAULT_ERROR] = "error5xx",
        [FAKE_LOG_FAULT_THROTTLE] = "throttle", [FAKE_LOG_FAULT_DROP] = "drop",
        [FAKE_LOG_FAULT_TRUNCATE] = "truncate", [FAKE_LOG_FAULT_LATENCY] = "latency",
};

const char *fake_log_fault_to_string(FakeLogFault f) {
        return f >= 0 && f < _FAKE_LOG_FAULT_MAX ? fault_table[f] : NULL;
}

void fake_reqlog_init(FakeReqLog *l) {
        *l = (FakeReqLog){ .first = 1, .next = 1 };
        pthread_mutex_init(&l->lock, NULL);
}

void fake_reqlog_done(FakeReqLog *l) {
        for (size_t i = 0; i < ELEMENTSOF(l->chunks); i++)
                free(l->chunks[i]);
        pthread_mutex_destroy(&l->lock);
}

/* The oldest sequence number still kept. Called with the lock held. */
static uint64_t oldest_kept(const FakeReqLog *l) {
        return l->next - l->first > FAKE_REQLOG_CAPACITY ? l->next - FAKE_REQLOG_CAPACITY
                                                         : l->first;
}

/* The slot of seq, allocating its chunk when needed; NULL without memory. Lock held. */
static FakeLogEntry *slot(FakeReqLog *l, uint64_t seq, bool allocate) {
        size_t i = (size_t) ((seq - 1) % FAKE_REQLOG_CAPACITY);
        FakeLogEntry **chunk = &l->chunks[i / FAKE_REQLOG_CHUNK];

        if (!*chunk && allocate)
                *chunk = malloc(FAKE_REQLOG_CHUNK * sizeof(FakeLogEntry));
        return *chunk ? &(*chunk)[i % FAKE_REQLOG_CHUNK] : NULL;
}

void fake_log_copy(char *dst, size_t size, const char *src) {
        size_t i = 0;

        /* Printable ASCII only: the answer is JSON, and a hostile header is not UTF-8. */
        for (; src && src[i] && i + 1 < size; i++)
                dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
        dst[i] = 0;
}

uint64_t fake_reqlog_append(FakeReqLog *l, FakeLogEntry *e) {
        FakeLogEntry *s;

        pthread_mutex_lock(&l->lock);
        s = slot(l, l->next, true);
        if (s) {
                e->seq = l->next++;
                *s = *e;
        }
        pthread_mutex_unlock(&l->lock);
        return s ? e->seq : 0;
}

void fake_reqlog_set_end(FakeReqLog *l, uint64_t seq, int64_t end_usec) {
        FakeLogEntry *s;

        pthread_mutex_lock(&l->lock);
        if (seq >= oldest_kept(l) && seq < l->next) {
                s = slot(l, seq, false);
                if (s && s->seq == seq)
                        s->end_usec = end_usec;
        }
        pthread_mutex_unlock(&l->lock);
}

void fake_reqlog_clear(FakeReqLog *l) {
        pthread_mutex_lock(&l->lock);
        l->first = l->next;
        pthread_mutex_unlock(&l->lock);
}

static json_t *time_to_json(int64_t usec) {
        return json_real((double) usec / 1e6);
}

static json_t *entry_to_json(const FakeLogEntry *e) {
        return json_pack("{s:I,s:o,s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s}", "seq",
                         (json_int_t) e->seq, "start", time_to_json(e->start_usec), "end",
                         time_to_json(e->end_usec), "provider", e->provider, "api", e->api,
                         "method", e->method, "path", e->path, "function", e->function, "qualifier",
                         e->qualifier, "status", (int) e->status, "fault",
                         fake_log_fault_to_string(e->fault) ?: "none", "userAgent", e->user_agent);
}

/* Copies the entries to answer, so the lock is not held while they are serialised. */
static size_t copy_out(FakeReqLog *l, uint64_t after, size_t limit, FakeLogEntry *buf,
                       uint64_t *ret_dropped) {
        uint64_t seq;
        size_t n = 0;

        pthread_mutex_lock(&l->lock);
        *ret_dropped = oldest_kept(l) - l->first;
        for (seq = MAX(after + 1, oldest_kept(l)); seq < l->next && n < limit; seq++) {
                const FakeLogEntry *s = slot(l, seq, false);
                if (s)
                        buf[n++] = *s;
        }
        pthread_mutex_unlock(&l->lock);
        return n;
}

json_t *fake_reqlog_to_json(FakeReqLog *l, uint64_t after, size_t limit) {
        _cleanup_free_ FakeLogEntry *buf = NULL;
        json_t *root, *entries;
        uint64_t dropped, next = after;
        size_t n;

        limit = MIN(limit, (size_t) FAKE_REQLOG_MAX_LIMIT);
        buf = malloc(MAX(limit, (size_t) 1) * sizeof(FakeLogEntry));
        if (!buf)
                return NULL;
        n = copy_out(l, after, limit, buf, &dropped);
        root = json_object();
        entries = json_array();
        if (!root || !entries || json_object_set_new(root, "entries", entries) < 0) {
                json_decref(entries);
                return json_decref(root), NULL;
        }
        for (size_t i = 0; i < n; i++) {
                if (json_array_append_new(entries, entry_to_json(&buf[i])) < 0)
                        return json_decref(root), NULL;
                next = buf[i].seq;
        }
        if (json_object_set_new(root, "next", json_integer((json_int_t) next)) < 0 ||
            json_object_set_new(root, "dropped", json_integer((json_int_t) dropped)) < 0)
                return json_decref(root), NULL;
        return root;
}
