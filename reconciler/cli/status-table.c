/* SPDX-License-Identifier: MIT */

/* The table is built as a grid of cells first (sanitised strings), so column widths are known
 * before anything is printed. */

#include <jansson.h>

#include "lib/macro.h"
#include "lib/string-table.h"
#include "reconciler/core/status-summary.h"
#include "reconciler/cli/status-table.h"

#define N_COLUMNS 7

static const char *const status_format_table[_STATUS_FORMAT_MAX] = {
        [STATUS_FORMAT_TABLE] = "table",
        [STATUS_FORMAT_JSON] = "json",
};

DEFINE_STRING_TABLE_LOOKUP(status_format, StatusFormat);

static const char *const headers[N_COLUMNS] = {
        "NAME", "PROVIDER", "ACCOUNT", "FUNCTION", "QUALIFIER", "STATE", "DETAIL",
};

/* Fields of a resource shown in the first six columns. */
static const char *const fields[N_COLUMNS - 1] = {
        "name", "provider", "account", "function", "qualifier", "state",
};

static const struct {
        const char *state, *color;
} state_colors[] = {
        { "in_sync", "\033[32m" },  { "drifted", "\033[33m" }, { "error", "\033[31m" },
        { "changing", "\033[36m" }, { "pending", "\033[36m" }, { "retrying", "\033[36m" },
        { "orphaned", "\033[2m" },
};

#define COLOR_BOLD "\033[1m"
#define COLOR_RESET "\033[0m"

static const char *state_color(const char *state) {
        for (size_t i = 0; i < ELEMENTSOF(state_colors); i++)
                if (streq(state_colors[i].state, state))
                        return state_colors[i].color;
        return NULL;
}

/* Control characters become '?': nothing from the document reaches the terminal raw. */
static char *sanitize(char *s) {
        for (char *p = s; p && *p; p++)
                if ((unsigned char) *p < ' ' || *p == 0x7f)
                        *p = '?';
        return s;
}

/* Width in code points (UTF-8 continuation bytes do not count). */
static size_t display_width(const char *s) {
        size_t n = 0;

        for (; *s; s++)
                if (((unsigned char) *s & 0xc0) != 0x80)
                        n++;
        return n;
}

static const char *json_str(const json_t *o, const char *key) {
        const char *s = json_string_value(json_object_get(o, key));
        return isempty(s) ? NULL : s;
}

/* ---- DETAIL ------------------------------------------------------------------------------- */

static void write_value(FILE *f, const json_t *v) {
        if (!v || json_is_null(v)) {
                fputs("(none)", f);
                return;
        }
        if (json_is_string(v)) {
                fputs(json_string_value(v), f);
                return;
        }
        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        fputs(s ?: "?", f);
        free(s);
}

/* "conflict: maxRetryAttempts changed back 3 times since T" (a write conflict, /status); "; "
 * after it when more follows. */
static void write_conflict(FILE *f, const json_t *conflict, bool more) {
        const json_t *n = json_object_get(conflict, "count");
        size_t i;
        json_t *field;

        if (!json_is_object(conflict))
                return;
        fputs("conflict: ", f);
        json_array_foreach(json_object_get(conflict, "fields"), i, field)
                fprintf(f, "%s%s", i > 0 ? ", " : "", json_string_value(field) ?: "?");
        fprintf(f, " changed back %" JSON_INTEGER_FORMAT " times since %s%s",
                json_is_integer(n) ? json_integer_value(n) : 0, json_str(conflict, "since") ?: "?",
                more ? "; " : "");
}

static void write_detail(FILE *f, const json_t *res) {
        const json_t *err = json_object_get(res, "last_error");
        const json_t *diff = json_object_get(res, "diff");
        size_t i;
        json_t *d;

        write_conflict(f, json_object_get(res, "conflict"),
                       json_is_object(err) || json_array_size(diff) > 0);
        if (json_is_object(err)) {
                const char *class = json_str(err, "class"), *msg = json_str(err, "message");
                fprintf(f, "%s%s%s", class ?: "", class && msg ? ": " : "", msg ?: "");
                return;
        }
        json_array_foreach(diff, i, d) {
                fprintf(f, "%s%s: ", i > 0 ? ", " : "", json_str(d, "field") ?: "?");
                write_value(f, json_object_get(d, "from"));
                fputs(" -> ", f);
                write_value(f, json_object_get(d, "to"));
        }
}

static char *format_detail(const json_t *res) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        write_detail(f, res);
        bool failed = ferror(f);
        if (fclose(f) != 0 || failed) {
                free(buf);
                return NULL;
        }
        return sanitize(buf);
}

/* ---- the grid ----------------------------------------------------------------------------- */

typedef struct Grid {
        char **cells; /* n_rows * N_COLUMNS */
        size_t n_rows;
        size_t width[N_COLUMNS];
} Grid;

static void grid_done(Grid *g) {
        for (size_t i = 0; g->cells && i < g->n_rows * N_COLUMNS; i++)
                free(g->cells[i]);
        free(g->cells);
}

static int grid_fill(Grid *g, const json_t *resources) {
        size_t n = json_array_size(resources);

        g->cells = calloc(MAX(n, 1) * N_COLUMNS, sizeof(char *));
        if (!g->cells)
                return -ENOMEM;
        g->n_rows = n;
        for (size_t c = 0; c < N_COLUMNS; c++)
                g->width[c] = strlen(headers[c]);
        for (size_t r = 0; r < n; r++) {
                const json_t *res = json_array_get(resources, r);
                char **row = g->cells + r * N_COLUMNS;
                for (size_t c = 0; c < N_COLUMNS - 1; c++)
                        row[c] = sanitize(strdup(json_str(res, fields[c]) ?: "-"));
                row[N_COLUMNS - 1] = format_detail(res);
                for (size_t c = 0; c < N_COLUMNS; c++) {
                        if (!row[c])
                                return -ENOMEM;
                        g->width[c] = MAX(g->width[c], display_width(row[c]));
                }
        }
        return 0;
}

/* One row; the last non-empty cell ends the line, so there are no trailing blanks. */
static void grid_write_row(FILE *f, const Grid *g, const char *const *row, bool header,
                           bool color) {
        size_t last = N_COLUMNS;

        while (last > 0 && isempty(row[last - 1]))
                last--;
        for (size_t c = 0; c < last; c++) {
                const char *on = !color   ? NULL
                                 : header ? COLOR_BOLD
                                 : c == 5 ? state_color(row[c])
                                          : NULL;
                fprintf(f, "%s%s%s", on ?: "", row[c], on ? COLOR_RESET : "");
                if (c + 1 < last)
                        fprintf(f, "%*s", (int) (g->width[c] - display_width(row[c]) + 2), "");
        }
        fputc('\n', f);
}

/* ---- files and summary -------------------------------------------------------------------- */

static int write_file_errors(FILE *f, const json_t *files) {
        size_t i, j;
        json_t *file, *diag;

        json_array_foreach(files, i, file) {
                if (!streq(json_str(file, "state") ?: "", "error"))
                        continue;
                json_t *diags = json_object_get(file, "diagnostics");
                if (json_array_size(diags) == 0) {
                        _cleanup_free_ char *path = sanitize(strdup(json_str(file, "path") ?: "-"));
                        if (!path)
                                return -ENOMEM;
                        fprintf(f, "%s: error: failed to load\n", path);
                }
                json_array_foreach(diags, j, diag) {
                        _cleanup_free_ char *line =
                                sanitize(strdup(json_string_value(diag) ?: "?"));
                        if (!line)
                                return -ENOMEM;
                        fprintf(f, "%s\n", line);
                }
        }
        return 0;
}

/* summary.states if present, else counted from the resources. */
static void count_states(const json_t *doc, StatusCounts *ret) {
        const json_t *states = json_object_get(json_object_get(doc, "summary"), "states");
        StatusCounts c = {};
        const char *key;
        json_t *v;
        size_t i;

        if (json_is_object(states))
                json_object_foreach((json_t *) states, key, v) {
                        ResourceState st = resource_state_from_string(key);
                        if (st >= 0 && json_is_integer(v) && json_integer_value(v) >= 0)
                                c.n[st] = (unsigned) json_integer_value(v);
                }
        else
                json_array_foreach(json_object_get(doc, "resources"), i, v) {
                        ResourceState st = resource_state_from_string(json_str(v, "state"));
                        if (st >= 0)
                                c.n[st]++;
                }
        *ret = c;
}

/* Files in error: the daemon's own count (summary.files.error, the number its metrics give)
 * when the document has it, else the entries of "files" in state error. */
static size_t count_bad_files(const json_t *doc) {
        const json_t *n =
                json_object_get(json_object_get(json_object_get(doc, "summary"), "files"), "error");
        size_t bad = 0, i;
        json_t *file;

        if (json_is_integer(n) && json_integer_value(n) >= 0)
                return (size_t) json_integer_value(n);
        json_array_foreach(json_object_get(doc, "files"), i,
                           file) if (streq(json_str(file, "state") ?: "", "error")) bad++;
        return bad;
}

/* Files in all: summary.files when the document has it ("files" may list only those in
 * error), else the entries of "files". */
static size_t count_files(const json_t *doc, const json_t *files) {
        const json_t *n = json_object_get(json_object_get(doc, "summary"), "files");
        const json_t *ok = json_object_get(n, "ok"), *error = json_object_get(n, "error");

        if (json_is_integer(ok) && json_is_integer(error) && json_integer_value(ok) >= 0 &&
            json_integer_value(error) >= 0)
                return (size_t) (json_integer_value(ok) + json_integer_value(error));
        return json_array_size(files);
}

/* Cluster mode (summary.cluster): a member lists and counts only the resources of the buckets
 * it holds; how many it leaves out, and where to see them, or nothing without a cluster. */
static int write_cluster(FILE *f, const json_t *summary) {
        const json_t *c = json_object_get(summary, "cluster");
        const json_t *elsewhere = json_object_get(c, "resources_elsewhere");
        _cleanup_free_ char *member = NULL;
        json_int_t n = json_integer_value(elsewhere);

        if (!json_is_integer(elsewhere) || !json_str(c, "member"))
                return 0;
        member = sanitize(strdup(json_str(c, "member")));
        if (!member)
                return -ENOMEM;
        fprintf(f,
                "Member %s holds %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
                " buckets; %" JSON_INTEGER_FORMAT " resource%s in other members' buckets %s"
                " not listed or counted here (ask those members, or asyncfg status --cluster).\n",
                member, json_integer_value(json_object_get(c, "buckets_held")),
                json_integer_value(json_object_get(c, "buckets")), n, n == 1 ? "" : "s",
                n == 1 ? "is" : "are");
        return 0;
}

static int write_summary(FILE *f, const json_t *doc) {
        const json_t *summary = json_object_get(doc, "summary");
        const json_t *files = json_object_get(doc, "files");
        _cleanup_free_ char *line = NULL, *sync = NULL;
        StatusCounts counts;
        size_t n_files = count_files(doc, files), n_bad = count_bad_files(doc);

        count_states(doc, &counts);
        line = status_line_format(&counts);
        if (!line || write_cluster(f, summary) < 0)
                return -ENOMEM;
        fprintf(f, "%s; %zu file%s, %zu with errors", line, n_files, n_files == 1 ? "" : "s",
                n_bad);
        /* Which commit the daemon applies (the git sync's .asyncfg-revision): what an operator
         * compares with the repository's head. Sanitised like every string of the document. */
        if (json_str(summary, "revision")) {
                _cleanup_free_ char *rev = sanitize(strdup(json_str(summary, "revision")));
                if (!rev)
                        return -ENOMEM;
                fprintf(f, " at revision %s", rev);
        }
        if (json_str(summary, "last_successful_sync")) {
                sync = sanitize(strdup(json_str(summary, "last_successful_sync")));
                if (!sync)
                        return -ENOMEM;
                fprintf(f, "; last successful sync %s", sync);
        }
        if (json_integer_value(json_object_get(summary, "conflicts")) > 0)
                fprintf(f, "; %" JSON_INTEGER_FORMAT " in a write conflict",
                        json_integer_value(json_object_get(summary, "conflicts")));
        if (json_is_false(json_object_get(summary, "ready")))
                fputs("; not ready", f);
        fputc('\n', f);
        return 0;
}

static int print_table(FILE *f, const json_t *doc, bool color) {
        const json_t *resources = json_object_get(doc, "resources");
        Grid g = {};
        int r;

        r = grid_fill(&g, resources);
        if (r >= 0 && g.n_rows > 0) {
                grid_write_row(f, &g, headers, true, color);
                for (size_t i = 0; i < g.n_rows; i++)
                        grid_write_row(f, &g, (const char *const *) g.cells + i * N_COLUMNS, false,
                                       color);
        }
        grid_done(&g);
        if (r < 0)
                return r;
        if (json_is_string(json_object_get(doc, "next")))
                fprintf(f, "(more: asyncfg status --all, or /status?after=%s)\n",
                        json_string_value(json_object_get(doc, "next")));
        r = write_file_errors(f, json_object_get(doc, "files"));
        if (r < 0)
                return r;
        return write_summary(f, doc);
}

static bool document_valid(const json_t *doc) {
        const json_t *resources = json_object_get(doc, "resources");
        const json_t *files = json_object_get(doc, "files");
        size_t i;
        json_t *v;

        /* A summary without a list is a document too (/status without a query). */
        if (!json_is_object(doc) || (resources ? !json_is_array(resources)
                                               : !json_is_object(json_object_get(doc, "summary"))))
                return false;
        json_array_foreach(resources, i, v) if (!json_is_object(v)) return false;
        if (files && !json_is_array(files))
                return false;
        json_array_foreach(files, i, v) if (!json_is_object(v)) return false;
        return true;
}

int status_print(FILE *f, const char *json, size_t size, StatusFormat format, bool color) {
        json_t *doc;
        int r = 0;

        if (!f || !json || format < 0 || format >= _STATUS_FORMAT_MAX)
                return -EINVAL;
        doc = json_loadb(json, size, JSON_REJECT_DUPLICATES, NULL);
        if (!document_valid(doc)) {
                json_decref(doc);
                return -EBADMSG;
        }
        if (format == STATUS_FORMAT_JSON) {
                fwrite(json, 1, size, f);
                if (size == 0 || json[size - 1] != '\n')
                        fputc('\n', f);
        } else
                r = print_table(f, doc, color);
        json_decref(doc);
        if (r < 0)
                return r;
        return fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
}

int status_check(const char *json, size_t size, StatusProblems *ret) {
        json_t *doc;
        StatusCounts counts;

        if (!json || !ret)
                return -EINVAL;
        doc = json_loadb(json, size, JSON_REJECT_DUPLICATES, NULL);
        if (!document_valid(doc)) {
                json_decref(doc);
                return -EBADMSG;
        }
        count_states(doc, &counts);
        *ret = (StatusProblems){
                .resources_in_error = counts.n[RESOURCE_STATE_ERROR],
                .files_in_error = count_bad_files(doc),
                .directory_error = json_is_string(
                        json_object_get(json_object_get(doc, "summary"), "directory_error")),
        };
        json_decref(doc);
        return ret->resources_in_error > 0 || ret->files_in_error > 0 || ret->directory_error;
}
