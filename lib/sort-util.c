/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "lib/sort-util.h"

size_t sorted_find(const void *array, size_t n, SortedKeyFunc key_at, const char *key,
                   bool *ret_found) {
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(key_at(array, mid), key);
                if (c == 0) {
                        *ret_found = true;
                        return mid;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *ret_found = false;
        return lo;
}
