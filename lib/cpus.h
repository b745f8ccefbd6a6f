/* SPDX-License-Identifier: MIT */
#pragma once

/* How many threads a CPU-bound stage uses by default: one per CPU online, at least one and at
 * most max (the CLI's workers, the parsing of a large desired tree). */

#include <unistd.h>

#include "lib/macro.h"

static inline unsigned cpus_online(unsigned max) {
        return (unsigned) CLAMP(sysconf(_SC_NPROCESSORS_ONLN), 1L, (long) max);
}
