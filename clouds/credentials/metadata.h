/* SPDX-License-Identifier: MIT */
#pragma once

/* The instance metadata services of the three clouds (the protocols are in credentials.h):
 * one MetadataClient per account fetches credentials asynchronously through lib/http. The
 * session token (IMDSv2) is kept and reused until shortly before its TTL ends; a 401 on a GET
 * drops it and the fetch starts over once. The role name is asked for on every fetch unless
 * it was configured (roles can be swapped on a running instance).
 *
 * Responses are parsed by metadata_parse_*(), separate so that a fuzzer reaches them. */

#include <stdbool.h>
#include <stddef.h>

#include "clouds/credentials/credentials.h"
#include "lib/http.h"

typedef struct MetadataClient MetadataClient;

/* error 0: creds holds new credentials and the callee takes them over (moves them out; what
 * is left in *creds is wiped after the callback returns). error < 0: message says what failed
 * (names the endpoint and the step, not the account: the caller names it; never a secret). */
typedef void (*MetadataCallback)(MetadataClient *m, int error, Credentials *creds,
                                 const char *message, void *userdata);

/* endpoint: base URL ("http://host[:port]"), NULL for the vendor default (see credentials.h
 * for the environment overrides). role: NULL to ask the service. All strings are copied. */
int metadata_client_new(HttpEngine *http, Provider provider, const char *account,
                        const char *endpoint, const char *role, MetadataClient **ret);

/* Cancels an in-flight fetch without calling its callback. Accepts NULL, returns NULL. */
MetadataClient *metadata_client_free(MetadataClient *m);
static inline void metadata_client_freep(MetadataClient **m) {
        metadata_client_free(*m);
}

/* Starts a fetch; cb fires exactly once, from the event loop (not from inside this call).
 * -EBUSY while a fetch is in flight; other errors from lib/http. */
int metadata_client_fetch(MetadataClient *m, MetadataCallback cb, void *userdata);

/* The base URL in use (no trailing '/'). */
const char *metadata_client_endpoint(const MetadataClient *m);

/* The endpoint an account without metadataEndpoint uses: the environment override or the
 * vendor's address. */
const char *metadata_default_endpoint(Provider provider);

/* The role named in a ".../security-credentials/" listing: its first non-empty line, trimmed.
 * -EINVAL for an empty listing or a name with characters outside [A-Za-z0-9+=,.@_-]. */
int metadata_parse_role(const char *body, size_t size, char **ret);

/* The credentials in a provider's JSON answer (AWS: AccessKeyId, SecretAccessKey, Token,
 * Expiration, Code; Alibaba: AccessKeyId, AccessKeySecret, SecurityToken, Expiration, Code;
 * Huawei: credential.{access, secret, securitytoken, expires_at}). Fills the key fields and
 * expires_usec of *ret (not kind or source). -EINVAL with *ret_reason (a static string, never
 * quoting the body) when something is missing or malformed. */
int metadata_parse_credentials(Provider provider, const char *body, size_t size, Credentials *ret,
                               const char **ret_reason);
