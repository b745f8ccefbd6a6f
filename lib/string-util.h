/* SPDX-License-Identifier: MIT */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A copy of s, or NULL for NULL, in *ret (written either way: NULL when the copy failed).
 * 0 or -ENOMEM. */
static inline int strdup_opt(const char *s, char **ret) {
        *ret = s ? strdup(s) : NULL;
        return s && !*ret ? -ENOMEM : 0;
}

/* Whether a and b are equal strings, or both NULL. */
static inline bool streq_ptr(const char *a, const char *b) {
        return a && b ? strcmp(a, b) == 0 : a == b;
}
