/* SPDX-License-Identifier: MIT */
#include <crypt.h>
#include <strings.h>

#include "lib/crypto.h"
#include "lib/macro.h"
#include "reconciler/daemon/endpoint-auth.h"

/* What an unknown user's password is checked against, so that it costs the same time; that
 * user never passes, whatever the password. */
#define DUMMY_HASH "$2b$10$CwTycUXWue0Thq9StjUM0uGAPS7UozKic8WKZt.EuyeNqkR/GXSUO"

struct EndpointAuth {
        WebUser *users;
        size_t n_users;
        struct crypt_data crypt; /* about 32 KiB: one, reused */
        char cache[ENDPOINT_AUTH_CACHE][CRYPTO_SHA256_HEX_SIZE];
        size_t cache_next;
        usec_t window;  /* the second the budget counts in */
        unsigned spent; /* units of uncached checks in it */
};

int endpoint_auth_new(const WebUser *users, size_t n, EndpointAuth **ret) {
        EndpointAuth *a;

        if (n == 0)
                return -EINVAL;
        a = calloc(1, sizeof(EndpointAuth));
        if (!a || !(a->users = calloc(n, sizeof(WebUser)))) {
                free(a);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++, a->n_users++) {
                a->users[i].name = strdup(users[i].name);
                a->users[i].hash = strdup(users[i].hash);
                if (!a->users[i].name || !a->users[i].hash) {
                        a->n_users++;
                        endpoint_auth_free(a);
                        return -ENOMEM;
                }
        }
        *ret = a;
        return 0;
}

EndpointAuth *endpoint_auth_free(EndpointAuth *a) {
        if (!a)
                return NULL;
        for (size_t i = 0; i < a->n_users; i++) {
                free(a->users[i].name);
                free(a->users[i].hash);
        }
        free(a->users);
        explicit_bzero(a, sizeof(*a));
        free(a);
        return NULL;
}

static bool auth_cached(const EndpointAuth *a, const char *digest) {
        bool found = false;

        /* Every entry is compared, found or not: the time says nothing about which. */
        for (size_t i = 0; i < ENDPOINT_AUTH_CACHE; i++)
                found |= a->cache[i][0] && crypto_streq_consttime(a->cache[i], digest);
        return found;
}

/* 2^(cost-4) for a hash of cost 4..12 (web_bcrypt_hash_is_valid() vouches for its shape). */
static unsigned auth_hash_units(const char *hash) {
        unsigned cost = (unsigned) (hash[4] - '0') * 10 + (unsigned) (hash[5] - '0');

        return 1u << (MIN(MAX(cost, 4u), 16u) - 4);
}

static bool auth_budget_take(EndpointAuth *a, const char *hash, usec_t now) {
        unsigned units = auth_hash_units(hash);

        if (now / USEC_PER_SEC != a->window) {
                a->window = now / USEC_PER_SEC;
                a->spent = 0;
        }
        /* The first check of a second always runs: a cost-12 hash alone fills the budget. */
        if (a->spent > 0 && a->spent + units > ENDPOINT_AUTH_BUDGET)
                return false;
        a->spent += units;
        return true;
}

/* The user's hash (or the dummy one) and whether the user exists. */
static const char *auth_hash_of(const EndpointAuth *a, const char *name, bool *ret_known) {
        for (size_t i = 0; i < a->n_users; i++)
                if (streq(a->users[i].name, name)) {
                        *ret_known = true;
                        return a->users[i].hash;
                }
        *ret_known = false;
        return DUMMY_HASH;
}

/* "user:password" checked with bcrypt, within the budget: 1, 0, or -EBUSY. */
static int auth_check_password(EndpointAuth *a, char *credentials, usec_t now) {
        char *colon = strchr(credentials, ':');
        const char *hash, *out;
        bool known;

        if (!colon)
                return 0;
        *colon = 0;
        hash = auth_hash_of(a, credentials, &known);
        if (!auth_budget_take(a, hash, now))
                return -EBUSY;
        out = crypt_r(colon + 1, hash, &a->crypt);
        return crypto_streq_consttime(out, hash) && known;
}

int endpoint_auth_check(EndpointAuth *a, const char *authorization, usec_t now) {
        char digest[CRYPTO_SHA256_HEX_SIZE];
        _cleanup_free_ char *credentials = NULL;
        size_t size;
        int r;

        if (!authorization || strncasecmp(authorization, "Basic ", 6) != 0)
                return 0;
        if (crypto_sha256_hex(authorization, strlen(authorization), digest) < 0)
                return -ENOMEM;
        if (auth_cached(a, digest))
                return 1;
        if (crypto_base64_decode(authorization + 6, (void **) &credentials, &size) < 0 ||
            strlen(credentials) != size)
                return 0;
        r = auth_check_password(a, credentials, now);
        explicit_bzero(credentials, size);
        if (r <= 0)
                return r;
        memcpy(a->cache[a->cache_next], digest, sizeof(digest));
        a->cache_next = (a->cache_next + 1) % ENDPOINT_AUTH_CACHE;
        return 1;
}
