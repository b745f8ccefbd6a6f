/* SPDX-License-Identifier: MIT */

#include <stdio.h>

#include "lib/macro.h"
#include "reconciler/core/status-summary.h"

const char *const status_state_names[STATUS_STATES_MAX] = {
        "in_sync", "drifted", "changing", "pending", "retrying", "error", "orphaned",
};

/* How each state reads in the line, singular and plural; same order as the names. */
static const struct {
        const char *one, *many;
} status_state_words[STATUS_STATES_MAX] = {
        { "in sync", "in sync" },   { "drifted", "drifted" },   { "changing", "changing" },
        { "pending", "pending" },   { "retrying", "retrying" }, { "error", "errors" },
        { "orphaned", "orphaned" },
};

static void status_counts_array(StatusCounts *c, unsigned *ret[STATUS_STATES_MAX]) {
        unsigned *fields[STATUS_STATES_MAX] = {
                &c->in_sync, &c->drifted,  &c->changing, &c->pending,
                &c->retrying, &c->error, &c->orphaned,
        };
        memcpy(ret, fields, sizeof(fields));
}

unsigned *status_counts_field(StatusCounts *c, const char *state) {
        unsigned *fields[STATUS_STATES_MAX];

        if (!c || !state)
                return NULL;
        status_counts_array(c, fields);
        for (size_t i = 0; i < STATUS_STATES_MAX; i++)
                if (streq(status_state_names[i], state))
                        return fields[i];
        return NULL;
}

char *status_line_format(const StatusCounts *c) {
        StatusCounts copy = *c;
        unsigned *fields[STATUS_STATES_MAX];
        unsigned long total = 0;
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        status_counts_array(&copy, fields);
        for (size_t i = 0; i < STATUS_STATES_MAX; i++)
                total += *fields[i];

        f = open_memstream(&buf, &size);
        if (!f)
                return NULL;
        fprintf(f, "%lu resource%s", total, total == 1 ? "" : "s");
        const char *sep = ": ";
        for (size_t i = 0; i < STATUS_STATES_MAX; i++) {
                if (*fields[i] == 0)
                        continue;
                fprintf(f, "%s%u %s", sep, *fields[i],
                        *fields[i] == 1 ? status_state_words[i].one : status_state_words[i].many);
                sep = ", ";
        }
        bool failed = ferror(f);
        if (fclose(f) != 0 || failed) {
                free(buf);
                return NULL;
        }
        return buf;
}
