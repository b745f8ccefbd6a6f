/* SPDX-License-Identifier: MIT */

#include <stdio.h>
#include <stdlib.h>

#include "lib/macro.h"
#include "reconciler/core/status-summary.h"

/* How each state reads in the line, singular and plural. */
static const struct {
        const char *one, *many;
} status_state_words[_RESOURCE_STATE_MAX] = {
        [RESOURCE_STATE_IN_SYNC] = { "in sync", "in sync" },
        [RESOURCE_STATE_DRIFTED] = { "drifted", "drifted" },
        [RESOURCE_STATE_CHANGING] = { "changing", "changing" },
        [RESOURCE_STATE_PENDING] = { "pending", "pending" },
        [RESOURCE_STATE_RETRYING] = { "retrying", "retrying" },
        [RESOURCE_STATE_ERROR] = { "error", "errors" },
        [RESOURCE_STATE_ORPHANED] = { "orphaned", "orphaned" },
};

unsigned status_counts_total(const StatusCounts *c) {
        unsigned total = 0;

        for (ResourceState s = 0; s < _RESOURCE_STATE_MAX; s++)
                total += c->n[s];
        return total;
}

char *status_line_format(const StatusCounts *c) {
        unsigned long total = status_counts_total(c);
        const char *sep = ": ";
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return NULL;
        fprintf(f, "%lu resource%s", total, total == 1 ? "" : "s");
        for (ResourceState s = 0; s < _RESOURCE_STATE_MAX; s++) {
                if (c->n[s] == 0)
                        continue;
                fprintf(f, "%s%u %s", sep, c->n[s],
                        c->n[s] == 1 ? status_state_words[s].one : status_state_words[s].many);
                sep = ", ";
        }
        bool failed = ferror(f);
        if (fclose(f) != 0 || failed) {
                free(buf);
                return NULL;
        }
        return buf;
}
