/* SPDX-License-Identifier: MIT */
#pragma once

/* The emulator's control API in-process (tests/fakecloud/control.c), for the tests that run
 * real clients against it (test-reconcile.c, test-manager.c). Included after cmocka.h. */

#include <jansson.h>
#include <string.h>

#include "lib/macro.h"
#include "tests/fakecloud/fakecloud.h"

/* The answer's JSON (NULL when it has no body); fails the test on an HTTP error. */
static _unused_ json_t *fake_control(FakeCloud *fc, const char *method, const char *path,
                                     const char *body) {
        FakeRequest req = { .method = method,
                            .target = path,
                            .body = body,
                            .body_size = body ? strlen(body) : 0,
                            .loopback = true };
        FakeResponse resp = {};
        json_t *j = NULL;

        assert_int_equal(fake_handle_request(fc, &req, &resp), 0);
        if (resp.status >= 300)
                fail_msg("%s %s: %u %s", method, path, resp.status, strna(resp.body));
        if (resp.body)
                j = json_loadb(resp.body, resp.body_size, 0, NULL);
        fake_response_done(&resp);
        return j;
}

static _unused_ void fake_control_void(FakeCloud *fc, const char *method, const char *path,
                                       const char *body) {
        json_decref(fake_control(fc, method, path, body));
}

/* How many requests of method the emulator has answered. */
static _unused_ unsigned fake_count(FakeCloud *fc, const char *method) {
        json_t *s = fake_control(fc, "GET", "/_fake/stats", NULL);
        unsigned n = (unsigned) json_integer_value(
                json_object_get(json_object_get(s, "byMethod"), method));

        json_decref(s);
        return n;
}

/* The live MaximumRetryAttempts of the AWS function "orders", -1 when it has no config. */
static _unused_ json_int_t fake_live_retries(FakeCloud *fc) {
        json_t *c = fake_control(fc, "GET", "/_fake/configs?provider=aws&function=orders", NULL);
        json_int_t v = -1;

        if (json_array_size(c) == 1)
                v = json_integer_value(json_object_get(
                        json_object_get(json_array_get(c, 0), "config"), "MaximumRetryAttempts"));
        json_decref(c);
        return v;
}
