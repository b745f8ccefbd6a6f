/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/macro.h"
#include "reconciler/core/cluster-etcd.h"

int cluster_etcd_prefix(const ClusterConfig *c, const char *sub, char **ret) {
        return asprintf(ret, "/asyncfg/%s/%s", c->name, sub ?: "") < 0 ? -ENOMEM : 0;
}

int cluster_etcd_client_new(sd_event *event, const ClusterConfig *c, const char *password,
                            uint64_t timeout_usec, EtcdClient **ret) {
        EtcdOptions o = {
                .endpoints = (const char *const *) c->etcd,
                .timeout_usec = timeout_usec,
                .user = c->user,
                .password = password,
                .ca_file = c->ca_file,
                .cert_file = c->cert_file,
                .key_file = c->key_file,
        };

        return etcd_client_new(event, &o, ret);
}
