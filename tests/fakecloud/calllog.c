/* SPDX-License-Identifier: MIT */
/* One cloud request into the request log (reqlog.h): which function and qualifier it
 * addressed, read from the path the way each API reads it, but without answering anything,
 * so that a request that a fault cut short is attributed to its resource too. */

#include <stdio.h>
#include <time.h>

#include "tests/fakecloud/internal.h"

int64_t fake_realtime_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool call_is_config(const FakeCall *c) {
        const char *last = c->n_segments > 0 ? c->segments[c->n_segments - 1] : "";

        return streq(last, "event-invoke-config") || streq(last, "async-invoke-config");
}

static void identify_lambda(const FakeCall *c, FakeLogEntry *e) {
        const char *q = fake_call_query(c, "Qualifier");
        FakeLambdaId id;

        if (c->n_segments < 3 || !fake_lambda_parse_function_name(c->segments[2], &id))
                return;
        fake_log_copy(e->function, sizeof(e->function), id.name);
        if (call_is_config(c))
                fake_log_copy(e->qualifier, sizeof(e->qualifier),
                              q
                                      ?: id.qualifier[0] ? id.qualifier
                                                         : "$LATEST");
}

static void identify_fc(const FakeCall *c, FakeApi api, FakeLogEntry *e) {
        const char *q = fake_call_query(c, "qualifier");

        if (api == FAKE_API_FC3 && c->n_segments >= 3 && streq(c->segments[1], "functions"))
                fake_log_copy(e->function, sizeof(e->function), c->segments[2]);
        else if (api == FAKE_API_FC2 && c->n_segments >= 5 && streq(c->segments[3], "functions"))
                snprintf(e->function, sizeof(e->function), "%.90s/%.90s", c->segments[2],
                         c->segments[4]);
        else
                return;
        if (call_is_config(c))
                fake_log_copy(e->qualifier, sizeof(e->qualifier), q ?: "LATEST");
}

static void identify_functiongraph(const FakeCall *c, FakeLogEntry *e) {
        FakeFgId id;

        if (c->n_segments < 5 || !fake_fg_parse_urn(c->segments[4], &id))
                return;
        fake_log_copy(e->function, sizeof(e->function), id.key);
        if (call_is_config(c))
                fake_log_copy(e->qualifier, sizeof(e->qualifier), id.qualifier);
}

static void identify(const FakeCall *c, const FakeApiOps *ops, FakeLogEntry *e) {
        if (!ops || !c->segments)
                return;
        fake_log_copy(e->provider, sizeof(e->provider), fake_api_to_provider(ops->api));
        fake_log_copy(e->api, sizeof(e->api), fake_api_to_string(ops->api));
        if (ops->api == FAKE_API_LAMBDA)
                identify_lambda(c, e);
        else if (ops->api == FAKE_API_FUNCTIONGRAPH)
                identify_functiongraph(c, e);
        else
                identify_fc(c, ops->api, e);
}

uint64_t fake_call_log_request(FakeCall *c, const FakeApiOps *ops) {
        FakeLogEntry e = {
                .start_usec = c->log_start_usec,
                .end_usec = fake_realtime_usec() + (int64_t) c->resp->delay_usec,
                .status = (uint16_t) c->resp->status,
                .fault = (uint8_t) c->log_fault,
                .provider = "unknown",
        };

        fake_log_copy(e.method, sizeof(e.method), c->req->method);
        fake_log_copy(e.path, sizeof(e.path), c->path ?: c->req->target);
        fake_log_copy(e.user_agent, sizeof(e.user_agent), fake_call_header_get(c, "User-Agent"));
        identify(c, ops, &e);
        return fake_reqlog_append(&c->fc->log, &e);
}

void fake_cloud_log_end(FakeCloud *fc, uint64_t seq) {
        if (seq > 0)
                fake_reqlog_set_end(&fc->log, seq, fake_realtime_usec());
}
