/* SPDX-License-Identifier: MIT */
#pragma once

/* The network side of the emulator: libmicrohttpd with a pool of epoll threads calling
 * fake_handle_request(), plus a timer thread that resumes connections held back by injected
 * latency (so a delayed answer never occupies a worker thread). */

#include <stdint.h>

#include "tests/fakecloud/fakecloud.h"

typedef struct FakeServer FakeServer;

typedef struct FakeServerOptions {
        const char *host;         /* numeric IPv4/IPv6 address or a name; NULL: 127.0.0.1 */
        uint16_t port;            /* 0: a free port */
        unsigned threads;         /* 0: the number of CPUs */
        const char *tls_cert_pem; /* both set: HTTPS */
        const char *tls_key_pem;
} FakeServerOptions;

/* Starts serving fc (which must outlive the server). 0, or negative errno; on failure the
 * reason is in error. */
int fake_server_start(FakeCloud *fc, const FakeServerOptions *o, FakeServer **ret, char *error,
                      size_t error_size);
uint16_t fake_server_port(const FakeServer *s);
FakeServer *fake_server_stop(FakeServer *s);
