/* SPDX-License-Identifier: MIT */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/macro.h"
#include "reconciler/desired/desired-revision.h"

/* The first line of buf, trailing blanks cut off, if it is a revision. */
static int revision_parse(char *buf, char **ret) {
        size_t n = strcspn(buf, "\n");

        while (n > 0 && isspace((unsigned char) buf[n - 1]))
                n--;
        if (n == 0 || n > DESIRED_REVISION_MAX)
                return -EBADMSG;
        for (size_t i = 0; i < n; i++)
                if (!isgraph((unsigned char) buf[i]))
                        return -EBADMSG;
        *ret = strndup(buf, n);
        return *ret ? 1 : -ENOMEM;
}

int desired_revision_read(const char *dir, char **ret) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        char buf[DESIRED_REVISION_MAX + 2];
        ssize_t n;

        if (asprintf(&path, "%s/%s", dir, DESIRED_REVISION_FILE) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 && errno == ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (fd < 0)
                return -errno;
        /* Enough for the longest revision and its newline; a longer line is no revision. */
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        return revision_parse(buf, ret);
}
