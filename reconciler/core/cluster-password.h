/* SPDX-License-Identifier: MIT */
#pragma once

/* The etcd password of a cluster: block (reconciler/spec/cluster-config.h), for the daemon and
 * `asyncfg status --cluster` alike: the first line of passwordFile, or of
 * $CREDENTIALS_DIRECTORY/<passwordCredential> (systemd's LoadCredential=). */

#include "reconciler/spec/cluster-config.h"

/* 0 and the password in *ret (NULL when no user is configured), or -errno (-ENOENT also when
 * $CREDENTIALS_DIRECTORY is not set) with the path tried in *ret_path (may be NULL) for the
 * caller's message. */
int cluster_password_read(const ClusterConfig *c, char **ret, char **ret_path);
