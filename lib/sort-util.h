/* SPDX-License-Identifier: MIT */
#pragma once

/* Binary search over arrays kept sorted by a string key (strcmp order). */

#include <stdbool.h>
#include <stddef.h>

/* The key of element i of array. */
typedef const char *(*SortedKeyFunc)(const void *array, size_t i);

/* Returns the index of key in the n sorted elements of array, or the index where it would be
 * inserted; *ret_found tells which. */
size_t sorted_find(const void *array, size_t n, SortedKeyFunc key_at, const char *key,
                   bool *ret_found);
