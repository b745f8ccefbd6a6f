/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/macro.h"
#include "lib/string-util.h"
#include "reconciler/core/cluster-etcd.h"

#define CLUSTER_PASSWORD_MAX 4096

int cluster_etcd_prefix(const ClusterConfig *c, const char *sub, char **ret) {
        return asprintf(ret, "/asyncfg/%s/%s", c->name, sub ?: "") < 0 ? -ENOMEM : 0;
}

/* The first line of a small secret file. */
static int cluster_read_secret(const char *path, char **ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *buf = NULL;
        ssize_t n;

        if (fd < 0)
                return -errno;
        buf = malloc(CLUSTER_PASSWORD_MAX + 1);
        if (!buf)
                return -ENOMEM;
        n = read(fd, buf, CLUSTER_PASSWORD_MAX);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        buf[strcspn(buf, "\r\n")] = 0; /* a trailing newline is not part of it */
        *ret = TAKE_PTR(buf);
        return 0;
}

int cluster_etcd_password(const ClusterConfig *c, char **ret, const char **ret_source) {
        static __thread char path[4096];
        const char *dir = getenv("CREDENTIALS_DIRECTORY");

        *ret = NULL;
        if (!c->user)
                return 0;
        if (!c->password_credential) {
                *ret_source = c->password_file;
                return c->password_file ? cluster_read_secret(c->password_file, ret) : 0;
        }
        if (isempty(dir)) {
                *ret_source = "$CREDENTIALS_DIRECTORY";
                return -ENOENT;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, c->password_credential);
        *ret_source = path;
        return cluster_read_secret(path, ret);
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
