/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/macro.h"
#include "reconciler/cli/state.h"
#include "reconciler/core/state.h"
#include "reconciler/spec/daemon-config.h"

/* The store of the configuration's stateDir, or NULL (reported on err). */
static StateStore *cli_state_open(const CliStateOptions *o) {
        _cleanup_(daemon_config_freep) DaemonConfig *c = NULL;
        StateStore *s = NULL;
        DiagList diags;
        int r;

        diag_list_init(&diags);
        r = daemon_config_load(o->config_path, &diags, &c);
        if (r >= 0)
                r = state_store_open(c->state_dir, &diags, &s);
        diag_list_print(&diags, o->err);
        diag_list_done(&diags);
        if (r < 0 && c && r != -EBADMSG && r != -EPROTONOSUPPORT)
                fprintf(o->err, "error: cannot open the state store in '%s': %s\n", c->state_dir,
                        strerror(-r));
        return r < 0 ? NULL : s;
}

/* "2024-01-02T03:04:05Z", or "-" for 0. */
static const char *format_usec(uint64_t usec, char *buf, size_t size) {
        time_t t = (time_t) (usec / 1000000u);
        struct tm tm;

        if (usec == 0 || !gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return "-";
        return buf;
}

static void cli_state_print_record(const StateRecord *r, int width, FILE *out) {
        char applied[32], orphaned[32];

        fprintf(out, "%-*s  %-20s  %-7s  %-20s  %s/%s/%s\n", width, r->key,
                format_usec(r->applied_usec, applied, sizeof(applied)),
                r->created ? "created" : "adopted",
                format_usec(r->orphaned_usec, orphaned, sizeof(orphaned)),
                strna(r->location.account), strna(r->location.api), strna(r->location.region));
}

static int cli_state_list(const CliStateOptions *o, StateStore *s) {
        int r;

        if (o->json) {
                r = state_store_write_json(s, o->out);
                if (r >= 0)
                        fputc('\n', o->out);
                return r < 0 ? 1 : 0;
        }
        int width = 3;
        for (size_t i = 0; i < state_store_size(s); i++)
                width = MAX(width, (int) MIN(strlen(state_store_get_nth(s, i)->key), 200u));
        fprintf(o->out, "%-*s  %-20s  %-7s  %-20s  %s\n", width, "KEY", "APPLIED", "OWNER",
                "ORPHANED SINCE", "WHERE (account/api/region)");
        for (size_t i = 0; i < state_store_size(s); i++)
                cli_state_print_record(state_store_get_nth(s, i), width, o->out);
        return 0;
}

static int cli_state_forget(const CliStateOptions *o, StateStore *s) {
        _cleanup_free_ bool *gone = calloc(o->n_keys ?: 1, sizeof(bool));
        int r, result = 0;

        if (!gone)
                return 1;
        for (size_t i = 0; i < o->n_keys; i++) {
                r = state_store_remove(s, o->keys[i]);
                if (r < 0) {
                        fprintf(o->err, "error: cannot forget '%s': %s\n", o->keys[i],
                                strerror(-r));
                        return 1;
                }
                gone[i] = r > 0;
                if (r == 0) {
                        fprintf(o->err, "error: no record '%s' in the state store\n", o->keys[i]);
                        result = 1;
                }
        }
        r = state_store_save(s);
        if (r < 0) {
                fprintf(o->err, "error: cannot save the state store: %s; nothing was forgotten\n",
                        strerror(-r));
                return 1;
        }
        for (size_t i = 0; i < o->n_keys; i++)
                if (gone[i])
                        fprintf(o->out, "forgot '%s'\n", o->keys[i]);
        return result;
}

int cli_state_run(const CliStateOptions *o) {
        _cleanup_(state_store_freep) StateStore *s = cli_state_open(o);

        if (!s)
                return 1;
        if (streq(o->action, "list"))
                return cli_state_list(o, s);
        return cli_state_forget(o, s);
}
