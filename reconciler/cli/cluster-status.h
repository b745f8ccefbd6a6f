/* SPDX-License-Identifier: MIT */
#pragma once

/* `asyncfg status --cluster --config FILE` (DESIGN.md §8): reads the `cluster:` block's etcd
 * and prints the live members, the buckets and resources each holds (the desired directory's
 * resources hashed into buckets, and the state records under state/), the unclaimed buckets
 * and the last handover, as a table or JSON. Exit 0 printed; 1 when the configuration has no
 * usable cluster: block, the password cannot be read or etcd cannot be read. */

#include <stdbool.h>
#include <stdio.h>

typedef struct CliClusterStatusOptions {
        const char *config_path;
        bool json;
        FILE *out, *err;
} CliClusterStatusOptions;

int cli_cluster_status_run(const CliClusterStatusOptions *o);
