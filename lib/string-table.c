/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "lib/string-table.h"

const char *string_table_lookup_to_string(const char *const *table, size_t len, ssize_t i) {
        if (i < 0 || (size_t) i >= len)
                return NULL;
        return table[i];
}

ssize_t string_table_lookup_from_string(const char *const *table, size_t len, const char *key) {
        if (!key)
                return -EINVAL;
        for (size_t i = 0; i < len; i++)
                if (table[i] && streq(table[i], key))
                        return (ssize_t) i;
        return -EINVAL;
}
