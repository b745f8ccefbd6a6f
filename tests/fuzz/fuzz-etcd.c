/* SPDX-License-Identifier: MIT */
/* lib/etcd's response parsers: the first byte selects the parser, the rest is the body. Any
 * bytes parse or fail cleanly; a parsed result's pointers are all readable. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/etcd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void touch_kv(const EtcdKeyValue *kv) {
        sink += strlen(kv->key) + kv->key_size + kv->value_size;
        if (kv->value[kv->value_size] != 0)
                __builtin_trap();
}

static void touch_range(const EtcdRangeResult *r) {
        for (size_t i = 0; i < r->n_kvs; i++)
                touch_kv(&r->kvs[i]);
}

static void fuzz_range(const char *body, size_t size) {
        EtcdResultArena *a = NULL;
        EtcdRangeResult r;

        if (etcd_parse_range_response(body, size, &r, &a) >= 0)
                touch_range(&r);
        etcd_result_free(a);
}

static void fuzz_txn(const char *body, size_t size) {
        EtcdResultArena *a = NULL;
        EtcdTxnResult t;

        if (etcd_parse_txn_response(body, size, &t, &a) >= 0)
                for (size_t i = 0; i < t.n_responses; i++)
                        touch_range(&t.responses[i]);
        etcd_result_free(a);
}

static void fuzz_watch(const char *body, size_t size) {
        EtcdResultArena *a = NULL;
        EtcdWatchResult w;
        int k = etcd_parse_watch_message(body, size, &w, &a);

        if (k >= 0 || k == -ESTALE)
                for (size_t i = 0; i < w.n_events; i++) {
                        touch_kv(&w.events[i].kv);
                        if (w.events[i].prev_kv.key)
                                touch_kv(&w.events[i].prev_kv);
                }
        else if (a)
                __builtin_trap();
        etcd_result_free(a);
}

static void fuzz_small(const char *body, size_t size) {
        EtcdResultArena *a = NULL;
        EtcdStatusResult s;
        EtcdLeaseResult l;
        EtcdHeader h;
        char *token = NULL, *message = NULL;

        (void) etcd_parse_header_response(body, size, &h);
        (void) etcd_parse_lease_response(body, size, &l);
        if (etcd_parse_auth_response(body, size, &token) >= 0)
                sink += strlen(token);
        if (etcd_parse_status_response(body, size, &s, &a) >= 0)
                sink += strlen(s.version);
        if (etcd_parse_error(body, size, &message) < 0)
                sink += strlen(message);
        free(token);
        free(message);
        etcd_result_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static void (*const parsers[])(const char *, size_t) = {
                fuzz_range,
                fuzz_txn,
                fuzz_watch,
                fuzz_small,
        };

        if (size < 1)
                return 0;
        parsers[data[0] % 4]((const char *) data + 1, size - 1);
        return 0;
}
