/* SPDX-License-Identifier: MIT */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/json-writer.h"
#include "reconciler/cli/plan.h"
#include "reconciler/cli/run.h"

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

static int print_diff_text(const Diff *d, FILE *out) {
        for (size_t i = 0; d && i < d->n_entries; i++) {
                const DiffEntry *e = &d->entries[i];
                _cleanup_free_ char *text = NULL;
                const char *note = !d->has_last_applied    ? ""
                                   : e->drift && e->change ? "   (drift and change)"
                                   : e->drift              ? "   (drift)"
                                   : e->change             ? "   (change)"
                                                           : "";
                if (diff_format_field_value(d, e, &text) < 0)
                        return -ENOMEM;
                fprintf(out, "    %s%s\n", text, note);
        }
        return 0;
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
                return print_diff_text(item->diff, out);
        return 0;
}

static int print_text(const CliRun *run, bool apply, const size_t *counts, bool color, FILE *out) {
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
                fprintf(out,
                        "Apply: %zu created, %zu updated, %zu in sync, %zu observed (not written), "
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

/* The bytes of json_dumpf(JSON_INDENT(2) | JSON_PRESERVE_ORDER) of {"resources": [...],
 * "summary": {...}} as one tree, written straight from the items: a jansson object per item
 * (diff entries, error) only to dump it was most of the cost of -o json. The keys of the diff
 * entries are diff_entry_to_json()'s (test-plan compares the two). */

/* A failed allocation is the writer's error (json_writer_json() of NULL). */
static void diff_value_write_json(JsonWriter *w, const AsyncConfig *c, AsyncField f) {
        _cleanup_(json_decrefp) json_t *j = async_field_to_json(c, f);

        if (!j)
                json_writer_fail(w, -ENOMEM);
        else
                json_writer_json(w, j);
}

static void diff_write_json(JsonWriter *w, const Diff *d) {
        json_writer_open_array(w);
        for (size_t i = 0; d && i < d->n_entries; i++) {
                const DiffEntry *e = &d->entries[i];
                json_writer_open_object(w);
                json_writer_key(w, "field");
                json_writer_string(w, async_field_to_string(e->field));
                json_writer_key(w, "from");
                diff_value_write_json(w, &d->from, e->field);
                json_writer_key(w, "to");
                diff_value_write_json(w, &d->to, e->field);
                if (d->has_last_applied) {
                        json_writer_key(w, "drift");
                        json_writer_bool(w, e->drift);
                        json_writer_key(w, "change");
                        json_writer_bool(w, e->change);
                }
                json_writer_close_object(w);
        }
        json_writer_close_array(w);
}

static int item_error_write_json(JsonWriter *w, const CliRunItem *item) {
        _cleanup_free_ char *msg = NULL;

        if (cli_run_item_error_message(item, &msg) < 0)
                return -ENOMEM;
        json_writer_key(w, "error");
        json_writer_open_object(w);
        json_writer_key(w, "class");
        json_writer_string(w, strna(cloud_error_class_to_string(item->error.class)));
        json_writer_key(w, "message");
        json_writer_string(w, msg);
        json_writer_close_object(w);
        return 0;
}

static void json_writer_member(JsonWriter *w, const char *key, const char *value) {
        json_writer_key(w, key);
        json_writer_string(w, value);
}

static int item_write_json(JsonWriter *w, const CliRunItem *item, bool apply) {
        const ResourceSpec *s = item->spec;
        Action a = item_action(item, apply);

        json_writer_open_object(w);
        json_writer_member(w, "name", s->name);
        json_writer_member(w, "file", s->path);
        json_writer_key(w, "line");
        json_writer_integer(w, s->line);
        json_writer_member(w, "provider", provider_to_string(s->provider));
        json_writer_key(w, "account");
        json_writer_string_or_null(w, s->account);
        json_writer_member(w, "function", s->function);
        json_writer_member(w, "qualifier", s->id.qualifier);
        json_writer_member(w, "management", management_to_string(s->management));
        json_writer_member(w, "action", action_table[a].json);
        json_writer_key(w, "diff");
        diff_write_json(w, a != ACTION_ERROR && a != ACTION_IN_SYNC ? item->diff : NULL);
        if (a == ACTION_ERROR && item_error_write_json(w, item) < 0)
                return -ENOMEM;
        json_writer_close_object(w);
        return json_writer_error(w) < 0 ? -ENOMEM : 0;
}

static void summary_write_json(JsonWriter *w, const CliRun *run, bool apply, const size_t *counts) {
        json_writer_key(w, "summary");
        json_writer_open_object(w);
        json_writer_key(w, "total");
        json_writer_integer(w, (int64_t) run->n_items);
        for (Action a = 0; a < _ACTION_MAX; a++)
                if (counts[a] > 0 || a == ACTION_IN_SYNC || a == ACTION_ERROR ||
                    (apply ? a == ACTION_CREATED || a == ACTION_UPDATED
                           : a == ACTION_CREATE || a == ACTION_UPDATE)) {
                        json_writer_key(w, action_table[a].json);
                        json_writer_integer(w, (int64_t) counts[a]);
                }
        json_writer_close_object(w);
}

/* Each item goes out once it is complete. One that fails (out of memory, a string that is not
 * UTF-8) is not written, and the output stops where the dump of the tree stopped then: after
 * the separator before it. */
static int print_json_items(JsonWriter *w, const CliRun *run, bool apply, FILE *out) {
        int r;

        for (size_t i = 0; i < run->n_items; i++) {
                r = item_write_json(w, &run->items[i], apply);
                if (r < 0) {
                        fputs(i > 0 ? ",\n    " : "\n    ", out);
                        return r;
                }
                r = json_writer_flush(w, out);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cli_plan_print_json(const CliRun *run, bool apply, FILE *out) {
        size_t counts[_ACTION_MAX] = {};
        JsonWriter w;
        int r;

        for (size_t i = 0; i < run->n_items; i++)
                counts[item_action(&run->items[i], apply)]++;
        json_writer_init(&w, 2, 0, false);
        json_writer_open_object(&w);
        json_writer_key(&w, "resources");
        json_writer_open_array(&w);
        r = json_writer_flush(&w, out);
        if (r >= 0)
                r = print_json_items(&w, run, apply, out);
        if (r >= 0) {
                json_writer_close_array(&w);
                summary_write_json(&w, run, apply, counts);
                json_writer_close_object(&w);
                r = json_writer_flush(&w, out);
        }
        json_writer_done(&w);
        if (r < 0)
                return r;
        fputc('\n', out);
        return 0;
}

/* ---- the verb ----------------------------------------------------------------------- */

static int print_report(const CliRun *run, const CliPlanOptions *o, const size_t *counts,
                        FILE *out) {
        return o->json ? cli_plan_print_json(run, o->apply, out)
                       : print_text(run, o->apply, counts, use_color(o->out), out);
}

int cli_plan_run(const CliPlanOptions *o) {
        _cleanup_(cli_run_freep) CliRun *run = NULL;
        size_t counts[_ACTION_MAX] = {};
        int r;

        r = cli_run_load(o->config_path, o->dir, o->jobs, o->err, &run);
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
        r = print_report(run, o, counts, o->out);
        if (r < 0)
                return r;
        if (counts[ACTION_ERROR] > 0)
                return 1;
        if (!o->apply && (counts[ACTION_CREATE] > 0 || counts[ACTION_UPDATE] > 0))
                return 2;
        return 0;
}
