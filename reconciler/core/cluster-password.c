/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "lib/macro.h"
#include "reconciler/core/cluster-password.h"

#define PASSWORD_MAX 4096

static int read_secret_file(const char *path, char **ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *buf = NULL;
        ssize_t n;

        if (fd < 0)
                return -errno;
        buf = malloc(PASSWORD_MAX + 1);
        if (!buf)
                return -ENOMEM;
        n = read(fd, buf, PASSWORD_MAX);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        buf[strcspn(buf, "\r\n")] = 0; /* one line: a trailing newline is not part of it */
        *ret = TAKE_PTR(buf);
        return 0;
}

int cluster_password_read(const ClusterConfig *c, char **ret, char **ret_path) {
        _cleanup_free_ char *path = NULL;
        const char *dir = getenv("CREDENTIALS_DIRECTORY");
        int k;

        *ret = NULL;
        if (!c->user)
                return 0;
        if (c->password_credential &&
            asprintf(&path, "%s/%s", isempty(dir) ? "$CREDENTIALS_DIRECTORY" : dir,
                     c->password_credential) < 0)
                return -ENOMEM;
        if (!path && !(path = strdup(c->password_file)))
                return -ENOMEM;
        k = c->password_credential && isempty(dir) ? -ENOENT : read_secret_file(path, ret);
        if (k < 0 && ret_path)
                *ret_path = TAKE_PTR(path);
        return k;
}
