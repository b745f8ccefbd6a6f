/* SPDX-License-Identifier: MIT */
#pragma once

/* Binary search over arrays kept sorted by a string key (strcmp order). */

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

/* The key of element i of array. */
typedef const char *(*SortedKeyFunc)(const void *array, size_t i);

/* Returns the index of key in the n sorted elements of array, or the index where it would be
 * inserted; *ret_found tells which. */
size_t sorted_find(const void *array, size_t n, SortedKeyFunc key_at, const char *key,
                   bool *ret_found);

/* qsort() that accepts an empty array given as NULL (qsort's base must never be NULL, even for
 * n == 0: undefined behaviour that UBSan reports), as systemd's qsort_safe(). */
static inline void qsort_safe(void *base, size_t n, size_t size,
                              int (*compare)(const void *, const void *)) {
        if (n > 1)
                qsort(base, n, size, compare);
}
