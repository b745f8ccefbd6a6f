/* SPDX-License-Identifier: MIT */
#pragma once

/* Names of an enum's values (systemd's string tables): one array NAME_table indexed by the
 * enum, holes and a trailing NULL allowed, and one macro that defines both directions:
 *
 *   static const char *const work_result_table[_WORK_RESULT_MAX] = { [WORK_RESULT_SUCCESS] = "success", ... };
 *   DEFINE_STRING_TABLE_LOOKUP(work_result, WorkResult);
 *
 * defines work_result_to_string() (NULL for a value out of range or a hole) and
 * work_result_from_string() (-EINVAL for NULL or an unknown name, which is what every enum's
 * _X_INVALID is). */

#include <stddef.h>
#include <sys/types.h>

#include "lib/macro.h"

const char *string_table_lookup_to_string(const char *const *table, size_t len, ssize_t i);
ssize_t string_table_lookup_from_string(const char *const *table, size_t len, const char *key);

#define _DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, scope)                                   \
        scope const char *name##_to_string(type i) {                                               \
                return string_table_lookup_to_string(name##_table, ELEMENTSOF(name##_table), i);   \
        }

#define _DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type, scope)                                 \
        scope type name##_from_string(const char *s) {                                             \
                return (type) string_table_lookup_from_string(name##_table,                        \
                                                              ELEMENTSOF(name##_table), s);        \
        }

#define DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type)                                           \
        _DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, )
#define DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type)                                         \
        _DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type, )
#define DEFINE_STRING_TABLE_LOOKUP(name, type)                                                     \
        DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type)                                           \
        DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type)
