/* SPDX-License-Identifier: MIT */
/* Basic authentication of the endpoint: bcrypt checks, what is denied, the cache of successful
 * headers and the budget of uncached checks, on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/crypto.h"
#include "lib/macro.h"
#include "reconciler/daemon/endpoint-auth.h"

/* Cost 4: made with crypt_gensalt("$2b$", 4) and crypt() of "pw1" and "pw:2". */
static const WebUser users[] = {
        { (char *) "prom",
          (char *) "$2b$04$FLnRymGEUIir4.TK.PiAKe7gWm.A3eJDwW5ZkvXSgtqD8m3Neg0t." },
        { (char *) "ops", (char *) "$2y$04$/36RacRq.52xRhHtJ8lXvuOa5p.Xks9fIBGztnEgN40AHUFNJ4MN2" },
};

#define T0 (1000 * USEC_PER_SEC)

static char *basic(const char *pair) {
        _cleanup_free_ char *b64 = NULL;
        char *h = NULL;

        assert_int_equal(crypto_base64_encode(pair, strlen(pair), &b64), 0);
        assert_true(asprintf(&h, "Basic %s", b64) > 0);
        return h;
}

static int check(EndpointAuth *a, const char *pair, usec_t t) {
        _cleanup_free_ char *h = basic(pair);

        return endpoint_auth_check(a, h, t);
}

static void test_check(void **state) {
        EndpointAuth *a = NULL;

        assert_int_equal(endpoint_auth_new(users, ELEMENTSOF(users), &a), 0);
        assert_int_equal(check(a, "prom:pw1", T0), 1);
        assert_int_equal(check(a, "ops:pw:2", T0), 1); /* the password may hold ':' */
        assert_int_equal(check(a, "prom:pw2", T0), 0);
        assert_int_equal(check(a, "ops:pw1", 2 * T0), 0); /* another user's password */
        assert_int_equal(check(a, "nobody:pw1", 2 * T0), 0);
        assert_int_equal(check(a, "prom", 3 * T0), 0);
        assert_int_equal(check(a, ":pw1", 3 * T0), 0);
        assert_int_equal(endpoint_auth_check(a, NULL, T0), 0);
        assert_int_equal(endpoint_auth_check(a, "Bearer cHJvbTpwdzE=", T0), 0);
        assert_int_equal(endpoint_auth_check(a, "Basic !!notbase64", T0), 0);
        assert_int_equal(endpoint_auth_check(a, "Basic cHJvbQBwdzE=", T0), 0); /* "prom\0pw1" */
        assert_int_equal(endpoint_auth_check(a, "basic cHJvbTpwdzE=", T0),
                         1); /* scheme: any case */
        endpoint_auth_free(a);
        assert_int_equal(endpoint_auth_new(users, 0, &a), -EINVAL);
}

/* Wrong passwords use up the second's budget; then uncached checks get -EBUSY (429) until the
 * next second, while a header that succeeded before is still let in from the cache. */
static void test_cache_and_budget(void **state) {
        EndpointAuth *a = NULL;

        assert_int_equal(endpoint_auth_new(users, ELEMENTSOF(users), &a), 0);
        assert_int_equal(check(a, "prom:pw1", T0), 1);
        /* Cost 4: one unit a check. */
        for (unsigned i = 0; i < ENDPOINT_AUTH_BUDGET; i++)
                assert_int_equal(check(a, "prom:wrong", T0 + USEC_PER_SEC), 0);
        assert_int_equal(check(a, "prom:wrong", T0 + USEC_PER_SEC), -EBUSY);
        assert_int_equal(check(a, "ops:pw:2", T0 + USEC_PER_SEC + 5), -EBUSY);
        assert_int_equal(check(a, "prom:pw1", T0 + USEC_PER_SEC + 9), 1); /* cached */
        assert_int_equal(check(a, "ops:pw:2", T0 + 2 * USEC_PER_SEC), 1);
        /* A failure is never cached: the same wrong header is checked (and denied) again. */
        assert_int_equal(check(a, "prom:wrong", T0 + 3 * USEC_PER_SEC), 0);
        /* An unknown user costs a cost-10 check (64 units): four fill the second. */
        for (unsigned i = 0; i < ENDPOINT_AUTH_BUDGET / 64; i++)
                assert_int_equal(check(a, "nobody:x", T0 + 4 * USEC_PER_SEC), 0);
        assert_int_equal(check(a, "prom:pw2", T0 + 4 * USEC_PER_SEC), -EBUSY);
        endpoint_auth_free(a);
        endpoint_auth_free(NULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_check),
                cmocka_unit_test(test_cache_and_budget),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
