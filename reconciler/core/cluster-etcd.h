/* SPDX-License-Identifier: MIT */
#pragma once

/* A cluster's etcd as the daemon and the CLI both reach it: the `cluster:` block's endpoints,
 * TLS files and user, and the password read from passwordFile or from
 * $CREDENTIALS_DIRECTORY/<passwordCredential> (systemd's LoadCredential=). */

#include "lib/etcd.h"
#include "reconciler/spec/cluster-config.h"

/* The key prefix of the cluster, "/asyncfg/<name>/", a fresh string. */
int cluster_etcd_prefix(const ClusterConfig *c, const char *sub, char **ret);

/* The password (its first line), or NULL without a user. On failure *ret_source names the file
 * or the missing variable that caused it (static or owned by c: do not free), for the
 * caller's message. -ENOENT: a credential without $CREDENTIALS_DIRECTORY, or no such file. */
int cluster_etcd_password(const ClusterConfig *c, char **ret, const char **ret_source);

/* An etcd client for c (password may be NULL). */
int cluster_etcd_client_new(sd_event *event, const ClusterConfig *c, const char *password,
                            uint64_t timeout_usec, EtcdClient **ret);
