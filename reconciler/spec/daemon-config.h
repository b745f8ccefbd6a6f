/* SPDX-License-Identifier: MIT */
#pragma once

/* The daemon configuration (DESIGN.md §5), parsed with the same YAML tree and schema engine as
 * the desired state; every problem is located (path:line:col). This struct is what the cloud
 * clients, the manager and the HTTP endpoint consume; it is read-only after loading.
 *
 *   desiredDir, stateDir       absolute paths (defaults /etc/asyncfg/desired.d, /var/lib/asyncfg)
 *   listen                     "host:port"; "" disables the endpoint (default 127.0.0.1:9733)
 *   resyncInterval             default drift-poll interval (default 5m)
 *   concurrency                requests in flight, all accounts together (default 32)
 *   backoff {base, cap}        per-resource retry backoff (default 1s, 5m)
 *   orphanRetention            how long an orphaned resource (its document gone, its live
 *                              config left alone) stays listed as orphaned (default 24h; 0s:
 *                              forgotten at once)
 *   accounts[]                 see AccountConfig; names unique
 *   alerts[]                   see AlertConfig; names unique
 *   alerting {fireAfter, errorAfter, remindEvery}
 *                              the alert policy (AlertPolicy; defaults 2, 3, 1h)
 *   limits {files}             caps on the desired-state tree (DaemonLimits)
 *   web {tlsCertFile, tlsKeyFile, basicAuthUsers}
 *                              TLS and basic auth of the endpoint (web-config.h)
 *   cluster                    optional: cluster mode on etcd (ClusterConfig); NULL: alone
 */

#include "clouds/cloud.h"
#include "clouds/credentials/credentials.h" /* CredentialSource: one enum for the config and the providers */
#include "clouds/model.h"
#include "lib/diag.h"
#include "lib/time-util.h"
#include "reconciler/spec/cluster-config.h"
#include "reconciler/spec/spec.h"
#include "reconciler/spec/web-config.h"

typedef enum AlertType {
        ALERT_TYPE_WEBHOOK,
        ALERT_TYPE_SLACK,
        ALERT_TYPE_ALERTMANAGER,
        _ALERT_TYPE_MAX,
        _ALERT_TYPE_INVALID = -22,
} AlertType;

typedef struct AccountConfig {
        char *name;
        Provider provider;
        CloudApi api; /* lambda, functiongraph, or alicloud's fc3 (default) / fc2 */
        char *region;
        char *endpoint;      /* optional URL override; NULL: the provider's default */
        double rate_qps;     /* token bucket refill, requests per second (default 10) */
        unsigned rate_burst; /* bucket size (default 20) */
        CredentialSource credential_source;
        char *credentials_path; /* source file: the file */
        char *account_id;       /* alicloud: the numeric account ID (FC2 endpoint host);
                                   * aws: optional 12-digit account ID, checked against ARNs */
        char *project_id;       /* huaweicloud: the project ID */
        char *ca_file;          /* optional CA bundle (tests, private endpoints) */
        unsigned line, column;  /* of the account's mapping in the config file */
} AccountConfig;

typedef struct AlertConfig {
        char *name;
        AlertType type;
        char *url;
        char *secret; /* webhook HMAC secret; never printed */
        unsigned line, column;
} AlertConfig;

/* When alerts fire and how often they are repeated (reconciler/daemon/alerts.h); 0 means the default. */
typedef struct AlertPolicy {
        unsigned fire_after;  /* drift detections in a row before a drift alert fires [2] */
        unsigned error_after; /* failed runs in a row before an error alert fires [3] */
        usec_t remind_every;  /* a firing alert is sent again this often [1h] */
} AlertPolicy;

/* Caps on what the daemon reads; 0 means the default. */
typedef struct DaemonLimits {
        unsigned files; /* YAML files in the desired-state tree [LIMIT_FILES]; over it,
                         * nothing is loaded (and nothing removed) */
} DaemonLimits;

typedef struct DaemonConfig {
        char *path; /* the file it came from */
        char *desired_dir;
        char *state_dir;
        char *listen; /* "" disables */
        usec_t resync_interval;
        unsigned concurrency;
        usec_t backoff_base, backoff_cap;
        usec_t orphan_retention;
        AccountConfig *accounts;
        size_t n_accounts;
        AlertConfig *alerts;
        size_t n_alerts;
        AlertPolicy alerting;
        DaemonLimits limits;
        WebConfig web;
        ClusterConfig *cluster; /* NULL: single-host mode */
} DaemonConfig;

const char *alert_type_to_string(AlertType t);
AlertType alert_type_from_string(const char *s);

/* Reads and validates a configuration file. All problems go to diags; returns 0 and the config,
 * -EINVAL when it had problems, -errno when it could not be read (also recorded in diags). */
int daemon_config_load(const char *path, DiagList *diags, DaemonConfig **ret);
/* The same from memory (tests, fuzzing). */
int daemon_config_parse(const char *path, const void *data, size_t size, DiagList *diags,
                        DaemonConfig **ret);

DaemonConfig *daemon_config_free(DaemonConfig *c);
static inline void daemon_config_freep(DaemonConfig **c) {
        daemon_config_free(*c);
}

const AccountConfig *daemon_config_find_account(const DaemonConfig *c, const char *name);

/* Checks spec.account against the config and fills it in when it was omitted and exactly one
 * account of the provider exists; for alicloud, the account's API (fc3/fc2) must match the
 * spelling of the function; a function spelled with a region, account or project (ARN, URN)
 * must be the account's own (the provider's CloudOps.check_target). Problems go to diags at
 * spec.account (or spec.function). Returns 0, -EINVAL, -ENOMEM. */
int daemon_config_resolve_account(const DaemonConfig *c, ResourceSpec *spec, DiagList *diags);

/* A SchemaParser for names that are also file names under $CREDENTIALS_DIRECTORY, metric label
 * values and etcd key segments: up to 63 letters, digits, '-', '_', '.', not starting with '.'
 * or '-' ("invalid <key> '...'" otherwise). dest: char**. */
int daemon_config_parse_name(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                             void *dest);

/* Splits "host:port" (also "[v6]:port"); port 1..65535. Returns 0 or -EINVAL. */
int parse_listen_address(const char *s, char **ret_host, unsigned *ret_port);

/* The account as clouds/cloud.h's CloudAccount, borrowing a's strings (no credentials). */
void account_config_to_cloud(const AccountConfig *a, CloudAccount *ret);
