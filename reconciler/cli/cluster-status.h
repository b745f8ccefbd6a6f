/* SPDX-License-Identifier: MIT */
#pragma once

/* `asyncfg status --cluster --config FILE` (issue 16): reads the cluster's keys in etcd (the
 * config's cluster: block) and the desired state of the config, and prints the members, the
 * buckets each holds, the resources in them, the buckets nobody holds, and the last handover
 * (the claim created last). Exit 0 when every bucket is held by a live member, 1 otherwise or
 * when etcd cannot be read (one line on err saying why). */

#include "reconciler/cli/status.h"

int cli_cluster_status_run(const CliStatusOptions *o);
