/* SPDX-License-Identifier: MIT */
#pragma once

/* Cloud credentials per account (DESIGN.md §5).
 *
 * Sources, in the order of the chain that applies when the account names no source (the first
 * that is configured or found wins; a source that is found but broken is an error, the chain
 * does not skip over it):
 *
 *   1. file         the file the config names (credentials: {source: file, path: ...}).
 *   2. systemd      $CREDENTIALS_DIRECTORY/<account name> (LoadCredential= in the unit).
 *   3. env          the vendor's environment variables:
 *                     aws          AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
 *                                  (or the legacy AWS_SECURITY_TOKEN), AWS_CREDENTIAL_EXPIRATION
 *                     alicloud     ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET,
 *                                  ALIBABA_CLOUD_SECURITY_TOKEN
 *                     huaweicloud  HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK,
 *                                  HUAWEICLOUD_SDK_SECURITY_TOKEN
 *                   An empty variable counts as unset. An access key without its secret (or the
 *                   other way round) is an error.
 *   4. shared-file  the vendor's shared credentials file (INI, see lib/ini.h):
 *                     aws          $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials; section:
 *                                  the profile (config "profile", else $AWS_PROFILE, else
 *                                  $AWS_DEFAULT_PROFILE, else "default"); keys
 *                                  aws_access_key_id, aws_secret_access_key, aws_session_token
 *                     alicloud     $ALIBABA_CLOUD_CREDENTIALS_FILE or ~/.alibabacloud/credentials;
 *                                  section: profile, else $ALIBABA_CLOUD_PROFILE, else "default";
 *                                  keys type (access_key | sts | ecs_ram_role), access_key_id,
 *                                  access_key_secret, security_token, role_name (ecs_ram_role:
 *                                  the credentials come from the metadata service for that role)
 *                     huaweicloud  $HUAWEICLOUD_SDK_CREDENTIALS_FILE or ~/.huaweicloud/credentials;
 *                                  section: profile, else "basic", else "default"; keys ak, sk,
 *                                  security_token
 *                   A file or profile named explicitly (config or environment) that is missing is
 *                   an error; the default file or profile being missing only means "not found".
 *   5. metadata     the instance metadata service, fetched asynchronously and refreshed before
 *                   the credentials expire:
 *                     aws          IMDSv2: PUT /latest/api/token (x-aws-ec2-metadata-token-ttl-
 *                                  seconds: 21600), GET /latest/meta-data/iam/security-
 *                                  credentials/ (the role), GET .../<role>, token sent as
 *                                  x-aws-ec2-metadata-token. Base URL: metadataEndpoint, else
 *                                  $AWS_EC2_METADATA_SERVICE_ENDPOINT (botocore's name), else
 *                                  http://169.254.169.254. Falls back to IMDSv1 (no token) when
 *                                  the PUT answers 403/404/405 or times out, unless
 *                                  AWS_EC2_METADATA_V1_DISABLED=true.
 *                     alicloud     PUT /latest/api/token (X-aliyun-ecs-metadata-token-ttl-seconds),
 *                                  GET /latest/meta-data/ram/security-credentials/[<role>] with
 *                                  X-aliyun-ecs-metadata-token. The role: config "role", else
 *                                  $ALIBABA_CLOUD_ECS_METADATA, else asked from the service. Base
 *                                  URL: metadataEndpoint, else $ALIBABA_CLOUD_ECS_METADATA_ENDPOINT
 *                                  (asyncfg's name), else http://100.100.100.200. IMDSv1
 *                                  fallback unless ALIBABA_CLOUD_IMDSV1_DISABLED=true.
 *                     huaweicloud  optional PUT /meta-data/latest/api/token
 *                                  (X-Metadata-Token-Ttl-Seconds), GET
 *                                  /openstack/latest/securitykey with X-Metadata-Token. Base URL:
 *                                  metadataEndpoint, else $HUAWEICLOUD_METADATA_ENDPOINT
 *                                  (asyncfg's name), else http://169.254.169.254.
 *                   In the chain (no source configured) the metadata service is the last resort;
 *                   AWS_EC2_METADATA_DISABLED=true / ALIBABA_CLOUD_ECS_METADATA_DISABLED=true
 *                   take it out of the chain (not when forced with source: metadata).
 *
 * The source may be forced per account: "file" (with a path: that file; without: the vendor's
 * shared file), "systemd", "env", "shared-file" (same as "file" without a path), "metadata".
 *
 * The format of a file named in the config and of a systemd credential: INI (lib/ini.h), i.e.
 * "key = value" lines, with or without a section. The section: the configured profile if any,
 * else the keys outside any section, else [default] (huaweicloud: [basic], then [default]).
 * Keys (case-insensitive; each field may be given under exactly one of its names):
 *   access key id   access_key_id, aws_access_key_id, ak, ALIBABA_CLOUD_ACCESS_KEY_ID,
 *                   HUAWEICLOUD_SDK_AK
 *   secret          secret_access_key, aws_secret_access_key, access_key_secret, sk,
 *                   ALIBABA_CLOUD_ACCESS_KEY_SECRET, HUAWEICLOUD_SDK_SK
 *   token           session_token, aws_session_token, aws_security_token, security_token,
 *                   ALIBABA_CLOUD_SECURITY_TOKEN, HUAWEICLOUD_SDK_SECURITY_TOKEN
 *   type            optional, as in Alibaba's file: access_key | sts | ecs_ram_role
 * so the vendor's own credentials file and an environment-style file ("AWS_ACCESS_KEY_ID=...")
 * are both accepted. Example:
 *
 *     access_key_id = AKIDEXAMPLE
 *     secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
 *
 * Refresh (metadata): when less than max(5 min, 10 % of the remaining lifetime) remains, but
 * not before half of the remaining lifetime has passed (so credentials that live only minutes
 * or seconds are not fetched in a tight loop). On failure: retried after 1 s, 2 s, 4 s, ... up
 * to 60 s; the old credentials stay in use until they expire. Metadata requests time out after
 * 1 s (connect) / 5 s (total). Note: libcurl honours http_proxy/no_proxy for these requests
 * too; hosts with a proxy need the metadata address in no_proxy (as for the vendors' SDKs).
 *
 * Secrets: secrets and tokens are wiped (explicit_bzero) when dropped; they never appear in a
 * log line, an error message or a source description. Messages name the source and the key,
 * never a value; not the account, which the caller that reports them names once. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "clouds/model.h"
#include "lib/http.h"

typedef enum CredentialSource {
        CREDENTIAL_SOURCE_AUTO,        /* "auto": the chain above */
        CREDENTIAL_SOURCE_FILE,        /* "file" */
        CREDENTIAL_SOURCE_SYSTEMD,     /* "systemd" */
        CREDENTIAL_SOURCE_ENV,         /* "env" */
        CREDENTIAL_SOURCE_SHARED_FILE, /* "shared-file" */
        CREDENTIAL_SOURCE_METADATA,    /* "metadata" */
        _CREDENTIAL_SOURCE_MAX,
        _CREDENTIAL_SOURCE_INVALID = -22, /* -EINVAL */
} CredentialSource;

/* Indexed by CredentialSource and NULL-terminated (for table-driven parsers). */
extern const char *const credential_source_table[];
const char *credential_source_to_string(CredentialSource s);
CredentialSource credential_source_from_string(const char *s);

/* What the account's configuration says about its credentials. Everything but provider and
 * account may be NULL / zero. Copied by credential_provider_new(). */
typedef struct CredentialConfig {
        Provider provider;
        const char *account;           /* the account's name (systemd credential name, messages) */
        CredentialSource source;       /* CREDENTIAL_SOURCE_AUTO: the chain */
        const char *path;              /* "file": the file; with source AUTO, a path means "file" */
        const char *profile;           /* section in the file / shared file */
        const char *metadata_endpoint; /* metadata base URL, e.g. "http://127.0.0.1:8080" */
        const char *role;              /* metadata: the role name instead of asking the service */
} CredentialConfig;

typedef struct Credentials {
        char *access_key_id;
        char *secret;          /* secret access key / access key secret / SK */
        char *token;           /* session / security token, or NULL */
        uint64_t expires_usec; /* CLOCK_REALTIME; 0: never */
        CredentialSource kind; /* where they came from (never AUTO) */
        char *source;          /* description, never secret: "env", "file:/etc/x",
                                * "systemd:/run/credentials/x/acct", "shared-file:/root/.aws/
                                * credentials [default]", "metadata:http://169.254.169.254" */
} Credentials;

/* Wipes and frees the members (not c itself). Accepts NULL. */
void credentials_done(Credentials *c);
/* Deep copy into *ret (which is overwritten, not freed). */
int credentials_copy(const Credentials *c, Credentials *ret);
/* Whether c exists and has not expired at now_usec (CLOCK_REALTIME). */
bool credentials_valid(const Credentials *c, uint64_t now_usec);

/* Parses an ISO 8601 / RFC 3339 UTC time as the metadata services and AWS_CREDENTIAL_EXPIRATION
 * write it: "YYYY-MM-DDTHH:MM:SS" with optional fraction and "Z" or "+HH:MM"/"-HH:MM" (a
 * missing zone means UTC). Returns 0 and µs since the epoch, or -EINVAL. */
int credentials_parse_time(const char *s, uint64_t *ret_usec);

/* Resolves the sources that need no network: file, systemd, env, shared-file. Returns 1 and
 * *ret when credentials were found; 0 when the metadata service is next (source metadata, or
 * nothing found in the chain; or an Alibaba file of type ecs_ram_role), then *ret_role is the
 * role to ask for or NULL; a negative errno on error, with *error set to a message (never
 * secret; the caller frees it): -ENOENT nothing found and metadata disabled, -EINVAL broken or
 * partial credentials, -EOPNOTSUPP an unsupported credential type, or an error reading a file.
 * Reads the environment (getenv) and the file system. error and ret_role may be NULL; *error
 * is only written on failure (and may stay NULL when out of memory). */
int credentials_resolve_static(const CredentialConfig *cfg, Credentials *ret, char **ret_role,
                               char **error);

typedef struct CredentialProvider CredentialProvider;

/* Called after each metadata fetch (never for static sources, never from inside a
 * credential_provider_*() call): error 0 means new credentials are available through
 * credential_provider_get(); a negative error means the fetch failed (the message is in
 * credential_provider_error(); earlier credentials stay in use until they expire, and the
 * fetch is retried with backoff). The callback may free the provider. */
typedef void (*CredentialCallback)(CredentialProvider *p, int error, void *userdata);

/* http is needed only for the metadata source and may be NULL otherwise; both event and http
 * must outlive the provider. */
int credential_provider_new(sd_event *event, HttpEngine *http, const CredentialConfig *cfg,
                            CredentialProvider **ret);
/* Cancels an in-flight fetch (the callback is not called) and wipes the credentials. Accepts
 * NULL, returns NULL. */
CredentialProvider *credential_provider_free(CredentialProvider *p);
static inline void credential_provider_freep(CredentialProvider **p) {
        credential_provider_free(*p);
}

void credential_provider_set_callback(CredentialProvider *p, CredentialCallback cb, void *userdata);

/* Static sources resolve synchronously: returns 1, credentials available. Metadata: starts the
 * fetch, returns 0; the callback reports the outcome. Negative errno on error (message in
 * credential_provider_error()); -EALREADY if already started. */
int credential_provider_start(CredentialProvider *p);

/* The current credentials, or NULL while none are (yet) available or after they expired. Never
 * blocks. The pointer is valid until control returns to the event loop (a refresh replaces
 * it): sign with it right away or credentials_copy() it. */
const Credentials *credential_provider_get(CredentialProvider *p);

/* The message of the last failure (names the source, not the account; never a secret), or
 * NULL. */
const char *credential_provider_error(const CredentialProvider *p);

/* Number of completed successful metadata fetches (for status and tests). */
unsigned credential_provider_n_fetches(const CredentialProvider *p);
