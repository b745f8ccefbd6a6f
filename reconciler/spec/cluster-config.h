/* SPDX-License-Identifier: MIT */
#pragma once

/* The daemon configuration's optional `cluster:` block (DESIGN.md §8): the etcd that several
 * asyncfgd share, this member's name and lease, and how to authenticate to etcd. Absent, the
 * daemon runs alone on its SQLite store exactly as before.
 *
 *   etcd[]                 http:// or https:// URLs of the etcd members (1..16), rotated on failure
 *   name                   the cluster's name: keys live under /asyncfg/<name>/
 *   member                 this member's name (default: the host name)
 *   leaseTTL               the member's lease (default 10s, 1s..5m); keepalive every TTL/5
 *   credentials {user, passwordFile | passwordCredential, caFile, certFile, keyFile}
 *                          user/password (the password from a file or from
 *                          $CREDENTIALS_DIRECTORY/<passwordCredential>, systemd's LoadCredential=)
 *                          and TLS (a CA bundle, a client certificate and its key)
 */

#include "lib/time-util.h"
#include "reconciler/spec/schema.h"

#define CLUSTER_DEFAULT_LEASE_TTL (10 * USEC_PER_SEC)

typedef struct ClusterConfig {
        char **etcd; /* NULL-terminated */
        char *name;
        char *member;
        usec_t lease_ttl;
        char *user;
        char *password_file;       /* absolute path, or NULL */
        char *password_credential; /* a name under $CREDENTIALS_DIRECTORY, or NULL */
        char *ca_file, *cert_file, *key_file;
        unsigned line, column; /* of the cluster mapping */
} ClusterConfig;

ClusterConfig *cluster_config_free(ClusterConfig *c);
static inline void cluster_config_freep(ClusterConfig **c) {
        cluster_config_free(*c);
}

/* The block's settings as one string, equal for equal blocks (NULL: not in cluster mode, "");
 * what a reload compares, since the block takes effect only at start. 0 or -ENOMEM. */
int cluster_config_fingerprint(const ClusterConfig *c, char **ret);

/* A SchemaParser for the `cluster:` key: dest is a ClusterConfig** set to a new, validated
 * block (member defaulted to the host name). Problems are located in ctx->diags; returns 0,
 * -EINVAL or -ENOMEM. */
int cluster_config_parse(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                         void *dest);
