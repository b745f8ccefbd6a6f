/* SPDX-License-Identifier: MIT */
#pragma once

/* A cluster's etcd as the CLI reaches it: the `cluster:` block's endpoints, TLS files and
 * user (the password: reconciler/core/cluster-password.h), and its key prefix. */

#include "lib/etcd.h"
#include "reconciler/spec/cluster-config.h"

/* The key prefix of the cluster, "/asyncfg/<name>/", a fresh string. */
int cluster_etcd_prefix(const ClusterConfig *c, const char *sub, char **ret);

/* An etcd client for c (password may be NULL). */
int cluster_etcd_client_new(sd_event *event, const ClusterConfig *c, const char *password,
                            uint64_t timeout_usec, EtcdClient **ret);
