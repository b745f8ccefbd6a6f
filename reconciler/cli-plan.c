/* SPDX-License-Identifier: MIT */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/json-dump.h"
#include "reconciler/cli-plan.h"
#include "reconciler/cli-run.h"

/* What a run did or would do to one resource, as the report names it. */
typedef enum Action {
        ACTION_IN_SYNC,
        ACTION_CREATE,
        ACTION_UPDATE,
        ACTION_CREATED,
        ACTION_UPDATED,
        ACTION_OBSERVE,
        ACTION_ERROR,
        _ACTION_MAX,
} Action;

static const struct {
        const char *json, *text, *color;
} action_table[_ACTION_MAX] = {
        [ACTION_IN_SYNC] = { "in_sync", "in sync", "" },
        [ACTION_CREATE] = { "create", "create", "\033[32m" },
        [ACTION_UPDATE] = { "update", "update", "\033[33m" },
        [ACTION_CREATED] = { "created", "created", "\033[32m" },
        [ACTION_UPDATED] = { "updated", "updated", "\033[33m" },
        [ACTION_OBSERVE] = { "observe", "observe", "\033[36m" },
        [ACTION_ERROR] = { "error", "error", "\033[31m" },
};

static Action item_action(const CliRunItem *item, bool apply) {
        switch (item->outcome) {
        case RECONCILE_IN_SYNC:
                return ACTION_IN_SYNC;
        case RECONCILE_CREATED:
                return ACTION_CREATED;
        case RECONCILE_UPDATED:
                return ACTION_UPDATED;
        case RECONCILE_WOULD_CREATE:
                return apply ? ACTION_OBSERVE : ACTION_CREATE;
        case RECONCILE_WOULD_UPDATE:
                return apply ? ACTION_OBSERVE : ACTION_UPDATE;
        default:
                return ACTION_ERROR;
        }
}

static bool use_color(FILE *f) {
        return isatty(fileno(f)) && !getenv("NO_COLOR");
}

/* ---- text --------------------------------------------------------------------------- */

typedef struct Widths {
        int action, name, provider, account, qualifier;
} Widths;

static int width_of(const char *s) {
        return s ? (int) strlen(s) : 1;
}

static void compute_widths(const CliRun *run, bool apply, Widths *w) {
        *w = (Widths){ .action = 7 };
        for (size_t i = 0; i < run->n_items; i++) {
                const CliRunItem *item = &run->items[i];
                const ResourceSpec *s = item->spec;
                w->action = MAX(w->action, width_of(action_table[item_action(item, apply)].text));
                w->name = MAX(w->name, width_of(s->name));
                w->provider = MAX(w->provider, width_of(provider_to_string(s->provider)));
                w->account = MAX(w->account, width_of(s->account));
                w->qualifier = MAX(w->qualifier, width_of(s->id.qualifier));
        }
}

static void print_diff_text(const Diff *d, FILE *out) {
        for (size_t i = 0; d && i < d->n_entries; i++) {
                const DiffEntry *e = &d->entries[i];
                const char *note = !d->has_last_applied      ? ""
                                   : e->drift && e->change  ? "   (drift and change)"
                                   : e->drift               ? "   (drift)"
                                   : e->change              ? "   (change)"
                                                            : "";
                fprintf(out, "    %s: %s → %s%s\n", async_field_to_string(e->field), e->from, e->to,
                        note);
        }
}

static int print_item_text(const CliRunItem *item, bool apply, const Widths *w, bool color,
                           FILE *out) {
        const ResourceSpec *s = item->spec;
        Action a = item_action(item, apply);
        _cleanup_free_ char *msg = NULL;

        /* The function goes last: URNs and ARNs are long. */
        fprintf(out, "%s%-*s%s  %-*s  %-*s  %-*s  %-*s  %s%s\n", color ? action_table[a].color : "",
                w->action, action_table[a].text, color && *action_table[a].color ? "\033[0m" : "",
                w->name, s->name, w->provider, provider_to_string(s->provider), w->account,
                strna(s->account), w->qualifier, s->id.qualifier, s->function,
                !apply && s->management == MANAGEMENT_OBSERVE && a != ACTION_IN_SYNC &&
                                a != ACTION_ERROR
                        ? "   (management: observe, apply will not write it)"
                        : "");
        if (a == ACTION_ERROR) {
                if (cli_run_item_error_message(item, &msg) < 0)
                        return -ENOMEM;
                fprintf(out, "    %s\n", msg);
        } else if (a != ACTION_IN_SYNC)
                print_diff_text(item->diff, out);
        return 0;
}

static int print_text(const CliRun *run, bool apply, const size_t *counts, FILE *out) {
        bool color = use_color(out);
        Widths w;
        int r;

        compute_widths(run, apply, &w);
        for (size_t i = 0; i < run->n_items; i++) {
                r = print_item_text(&run->items[i], apply, &w, color, out);
                if (r < 0)
                        return r;
        }
        if (run->n_items > 0)
                fputc('\n', out);
        if (apply)
                fprintf(out, "Apply: %zu created, %zu updated, %zu in sync, %zu observed (not written), "
                             "%zu error%s.\n",
                        counts[ACTION_CREATED], counts[ACTION_UPDATED], counts[ACTION_IN_SYNC],
                        counts[ACTION_OBSERVE], counts[ACTION_ERROR],
                        counts[ACTION_ERROR] == 1 ? "" : "s");
        else
                fprintf(out, "Plan: %zu to create, %zu to update, %zu in sync, %zu error%s.\n",
                        counts[ACTION_CREATE], counts[ACTION_UPDATE], counts[ACTION_IN_SYNC],
                        counts[ACTION_ERROR], counts[ACTION_ERROR] == 1 ? "" : "s");
        return 0;
}

/* ---- JSON --------------------------------------------------------------------------- */

static json_t *item_error_json(const CliRunItem *item) {
        _cleanup_free_ char *msg = NULL;

        if (cli_run_item_error_message(item, &msg) < 0)
                return NULL;
        return json_pack("{s:s, s:s}", "class",
                         strna(cloud_error_class_to_string(item->error.class)), "message", msg);
}

static json_t *item_json(const CliRunItem *item, bool apply) {
        const ResourceSpec *s = item->spec;
        Action a = item_action(item, apply);
        json_t *diff = NULL, *o;

        if (a != ACTION_ERROR && a != ACTION_IN_SYNC && item->diff) {
                if (diff_to_json(item->diff, &diff) < 0)
                        return NULL;
        } else
                diff = json_array();
        o = json_pack("{s:s, s:s, s:I, s:s, s:s?, s:s, s:s, s:s, s:s, s:o}", "name", s->name,
                      "file", s->path, "line", (json_int_t) s->line, "provider",
                      provider_to_string(s->provider), "account", s->account, "function",
                      s->function, "qualifier", s->id.qualifier, "management",
                      management_to_string(s->management), "action", action_table[a].json, "diff",
                      diff);
        if (o && a == ACTION_ERROR && json_object_set_new(o, "error", item_error_json(item)) < 0)
                o = (json_decref(o), NULL);
        return o;
}

/* The same bytes as json_dumpf(JSON_INDENT(2) | JSON_PRESERVE_ORDER) of
 * {"resources": [...], "summary": {...}}, but one resource at a time: as one tree, 10,000
 * resources are a few hundred thousand small allocations alive at once, and freeing them
 * at the end was ~6 % of an apply's CPU (malloc_consolidate). */
#define JSON_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER)

static int print_json(const CliRun *run, bool apply, const size_t *counts, FILE *out) {
        json_t *summary;
        int r;

        fputs(run->n_items > 0 ? "{\n  \"resources\": [\n    " : "{\n  \"resources\": [],\n  ", out);
        for (size_t i = 0; i < run->n_items; i++) {
                r = json_dump_indented(item_json(&run->items[i], apply), JSON_FLAGS, 4, out);
                if (r < 0)
                        return r;
                fputs(i + 1 < run->n_items ? ",\n    " : "\n  ],\n  ", out);
        }
        summary = json_object();
        if (!summary || json_object_set_new(summary, "total", json_integer((json_int_t) run->n_items)) < 0)
                return (json_decref(summary), -ENOMEM);
        for (Action a = 0; a < _ACTION_MAX; a++)
                if ((counts[a] > 0 || a == ACTION_IN_SYNC || a == ACTION_ERROR ||
                     (apply ? a == ACTION_CREATED || a == ACTION_UPDATED
                            : a == ACTION_CREATE || a == ACTION_UPDATE)) &&
                    json_object_set_new(summary, action_table[a].json,
                                        json_integer((json_int_t) counts[a])) < 0)
                        return (json_decref(summary), -ENOMEM);
        fputs("\"summary\": ", out);
        r = json_dump_indented(summary, JSON_FLAGS, 2, out);
        if (r < 0)
                return r;
        fputs("\n}\n", out);
        return 0;
}

/* ---- the verb ----------------------------------------------------------------------- */

int cli_plan_run(const CliPlanOptions *o) {
        _cleanup_(cli_run_freep) CliRun *run = NULL;
        size_t counts[_ACTION_MAX] = {};
        int r;

        r = cli_run_load(o->config_path, o->dir, o->err, &run);
        if (r != 0)
                return r;
        run->verb = o->apply ? "apply" : "plan";
        run->progress_file = o->err;
        run->progress = isatty(fileno(o->err));
        r = cli_run_execute(run, o->apply ? RECONCILE_APPLY : RECONCILE_PLAN, o->err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < run->n_items; i++)
                counts[item_action(&run->items[i], o->apply)]++;
        r = o->json ? print_json(run, o->apply, counts, o->out)
                    : print_text(run, o->apply, counts, o->out);
        if (r < 0)
                return r;
        if (counts[ACTION_ERROR] > 0)
                return 1;
        if (!o->apply && (counts[ACTION_CREATE] > 0 || counts[ACTION_UPDATE] > 0))
                return 2;
        return 0;
}
