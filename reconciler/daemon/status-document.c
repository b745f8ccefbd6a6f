/* SPDX-License-Identifier: MIT */

/* /status: the JSON document documented in endpoint.h, built from the runtime table and the
 * desired set. Secrets are never in it: nothing here reads credentials, and error messages
 * come from cloud_error_format(), which redacts. */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/strbuf.h"
#include "reconciler/daemon/manager-internal.h"

/* A page holds at most this many resources; entries are written this many per turn of the
 * loop (a piece of the response). */
#define STATUS_LIMIT_MAX 10000u
#define STATUS_STREAM_BATCH 64u

int manager_format_time(uint64_t usec, char buf[static 32]) {
        time_t t = (time_t) (usec / 1000000ULL);
        struct tm tm;

        if (usec == 0 || !gmtime_r(&t, &tm))
                return -EINVAL;
        strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return 0;
}

static json_t *json_time(uint64_t usec) {
        char buf[32];

        return manager_format_time(usec, buf) < 0 ? json_null() : json_string(buf);
}

static json_t *json_string_or_null(const char *s) {
        return s ? json_string(s) : json_null();
}

static json_t *resource_error_json(const Resource *r) {
        if (r->error_class == CLOUD_ERROR_NONE || !r->error)
                return json_null();
        return json_pack("{s:s, s:s}", "class", cloud_error_class_to_string(r->error_class),
                         "message", r->error);
}

static json_t *resource_to_json(const Manager *m, const Resource *r) {
        const ResourceSpec *s = r->spec;
        WorkItemInfo info = {};
        json_t *o, *alerts;

        o = json_pack("{s:s, s:s, s:i, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:b, s:o, s:o, "
                      "s:o, s:o, s:o}",
                      "name", s->name, "file", s->path ?: "", "line", (json_int_t) s->line,
                      "provider", provider_to_string(s->provider), "account",
                      json_string_or_null(s->account), "function", s->id.function, "qualifier",
                      s->id.qualifier, "management", management_to_string(s->management),
                      "deletion_policy", deletion_policy_to_string(s->deletion_policy), "state",
                      resource_state_to_string(r->state), "diff",
                      resource_diff_json(r->diff, false), "drift", r->drift, "last_error",
                      resource_error_json(r), "last_observed", json_time(r->last_observed_usec),
                      "last_changed", json_time(r->last_changed_usec), "last_drift",
                      json_time(r->last_drift_usec), "last_drift_diff",
                      resource_diff_json(r->last_drift, true));
        if (!o)
                return NULL;
        json_object_set_new(o, "last_write_diff", resource_diff_json(r->last_write, true));
        if (r->orphaned_usec >
            0) /* orphaned, or held after a refused DELETE (resource-removal.c) */
                json_object_set_new(o, "orphaned_since", json_time(r->orphaned_usec));
        if (resource_in_conflict(r))
                json_object_set_new(o, "conflict", resource_conflict_json(r) ?: json_null());
        alerts = manager_alerts_status_json(m, r);
        if (alerts)
                json_object_set_new(o, "alerts", alerts);
        if (workqueue_get_item(m->queue, r->key, &info) >= 0 && info.attempt > 0)
                json_object_set_new(o, "attempts", json_integer(info.attempt));
        return o;
}

static json_t *file_to_json(const DesiredFile *f) {
        json_t *diags = json_array(), *o;

        for (size_t i = 0; diags && i < f->diags.n; i++) {
                _cleanup_free_ char *line = NULL;
                if (diag_format(&f->diags.items[i], &line) >= 0)
                        json_array_append_new(diags, json_string(line));
        }
        o = json_pack("{s:s, s:s, s:i, s:b, s:o}", "path", f->path, "state",
                      desired_file_state_to_string(f->state), "resources",
                      (json_int_t) f->n_resources, "has_good_version", f->has_good, "diagnostics",
                      diags);
        return o;
}

void manager_count_files(const Manager *m, size_t *ret_ok, size_t *ret_error) {
        *ret_ok = desired_set_n_files_in_state(m->desired, DESIRED_FILE_OK);
        *ret_error = desired_set_n_files_in_state(m->desired, DESIRED_FILE_ERROR) +
                     m->desired->scan_diags.n;
}

static json_t *last_reload_to_json(const Manager *m) {
        return json_pack("{s:b, s:o, s:o}", "successful", m->reload_successful, "at",
                         json_time(m->reload_usec), "error", json_string_or_null(m->reload_error));
}

static json_t *summary_to_json(const Manager *m) {
        json_t *states = json_object();
        unsigned total = status_counts_total(&m->counts);
        size_t n_ok, n_error;

        for (ResourceState s = 0; states && s < _RESOURCE_STATE_MAX; s++)
                json_object_set_new(states, resource_state_to_string(s),
                                    json_integer(m->counts.n[s]));
        manager_count_files(m, &n_ok, &n_error);
        return json_pack("{s:i, s:o, s:{s:i, s:i}, s:b, s:o, s:o, s:i, s:i, s:o, s:o, s:i}",
                         "resources", (json_int_t) total, "states", states, "files", "ok",
                         (json_int_t) n_ok, "error", (json_int_t) n_error, "ready",
                         manager_is_ready(m), "last_successful_sync",
                         json_time(m->last_success_usec), "directory_error",
                         json_string_or_null(m->dir_error), "queue_depth",
                         (json_int_t) workqueue_get_depth(m->queue), "in_flight",
                         (json_int_t) m->n_runs, "last_reload", last_reload_to_json(m), "accounts",
                         manager_poll_intervals_json(m), "conflicts", (json_int_t) m->n_conflicts);
}

/* summary.revision: the commit a Git sync checked out (deploy/git-sync), or null. */
static json_t *summary_set_revision(json_t *summary, const Manager *m) {
        if (summary)
                json_object_set_new(summary, "revision", json_string_or_null(m->revision));
        if (summary && m->cluster)
                json_object_set_new(summary, "cluster", manager_cluster_status_json(m));
        return summary;
}

/* ---- the streamed document ---------------------------------------------------------------- */

/* What a /status query asks for (endpoint.h): the resources listed at all, which ones, and the
 * page. The list is in name order, "after" a name, at most limit of them. */
typedef struct StatusFilter {
        bool list;       /* resources listed (any of the query's keys given) */
        bool all_files;  /* every file, not only those in error (resources=all) */
        unsigned states; /* bit per ResourceState; 0: any */
        const char *account, *after;
        size_t limit; /* 0: no limit */
} StatusFilter;

typedef enum StatusPhase {
        STATUS_PHASE_RESOURCES,
        STATUS_PHASE_FILES,
        STATUS_PHASE_END,
} StatusPhase;

/* The open document: what is left to write. The resources and files are named by key and
 * path, found again as their entries are written: one that went away meanwhile is left out,
 * and the rest is written as it is then. */
typedef struct StatusStream {
        Manager *m;
        StatusPhase phase;
        char **keys, **paths; /* strv */
        size_t n_keys, n_paths, i;
        char *next;       /* the page's last name when more match, for "next" */
        size_t n_written; /* entries of the current list written */
        StrBuf out;       /* written, not yet read */
        size_t out_pos;
} StatusStream;

static void status_stream_free(void *p) {
        StatusStream *st = p;

        if (!st)
                return;
        strv_free(st->keys);
        strv_free(st->paths);
        free(st->next);
        strbuf_done(&st->out);
        free(st);
}

static int status_parse_states(const char *s, unsigned *ret) {
        _cleanup_free_ char *copy = strdup(s);
        unsigned mask = 0;
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *n = strtok_r(copy, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
                ResourceState st = resource_state_from_string(n);
                if (st < 0)
                        return -EINVAL;
                mask |= 1u << st;
        }
        if (mask == 0)
                return -EINVAL;
        *ret = mask;
        return 0;
}

static int status_parse_limit(const char *s, size_t *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v == 0 || v > STATUS_LIMIT_MAX || s[0] == '-')
                return -EINVAL;
        *ret = v;
        return 0;
}

/* The query in f; -EINVAL with the reason in *ret_error. */
static int status_filter_parse(const EndpointStatusQuery *q, StatusFilter *f, char **ret_error) {
        const char *bad = NULL;
        int r = 0;

        *f = (StatusFilter){ .account = q->account, .after = q->after };
        f->list = q->resources || q->state || q->account || q->limit || q->after;
        f->all_files = q->resources != NULL;
        if (q->resources && !streq(q->resources, "all"))
                bad = "'resources' must be 'all'";
        else if (q->state && (r = status_parse_states(q->state, &f->states)) == -EINVAL)
                bad = "'state' must be a comma-separated list of resource states";
        else if (q->limit && status_parse_limit(q->limit, &f->limit) < 0)
                bad = "'limit' must be a number from 1 to 10000";
        if (r == -ENOMEM || (bad && !(*ret_error = strdup(bad))))
                return -ENOMEM;
        return bad ? -EINVAL : 0;
}

/* A resource in a write conflict is listed with the drifted ones even in the moments its last
 * write holds (in_sync): `asyncfg status` lists what is not in sync, and a fight is not. */
static bool status_filter_match_state(const StatusFilter *f, const Resource *r) {
        return !f->states || (f->states & (1u << r->state)) ||
               ((f->states & (1u << RESOURCE_STATE_DRIFTED)) && resource_in_conflict(r));
}

static bool status_filter_match(const StatusFilter *f, const Resource *r) {
        /* Another member's: that member serves its state (DESIGN.md §8). */
        if (r->elsewhere)
                return false;
        if (!status_filter_match_state(f, r))
                return false;
        if (f->account && (!r->spec->account || !streq(f->account, r->spec->account)))
                return false;
        return !f->after || strcmp(r->spec->name, f->after) > 0;
}

/* The keys of the resources to list, in name order; the page's cursor in st->next. */
static int status_stream_pick_resources(StatusStream *st, const StatusFilter *f) {
        _cleanup_free_ Resource **rs = NULL;
        size_t n, max;

        if (!f->list)
                return 0;
        if (resource_table_sorted(&st->m->table, resource_compare_by_name, &rs, &n) < 0)
                return -ENOMEM;
        max = f->limit ?: n;
        st->keys = calloc(MIN(max, n) + 1, sizeof(char *));
        if (!st->keys)
                return -ENOMEM;
        for (size_t i = 0, last = 0; i < n; i++) {
                if (!status_filter_match(f, rs[i]))
                        continue;
                if (st->n_keys == max) /* one more matches: there is a next page */
                        return (st->next = strdup(rs[last]->spec->name)) ? 0 : -ENOMEM;
                if (!(st->keys[st->n_keys++] = strdup(rs[i]->key)))
                        return -ENOMEM;
                last = i;
        }
        return 0;
}

/* The paths of the files to list: all of them, or those in error. */
static int status_stream_pick_files(StatusStream *st, bool all) {
        const DesiredSet *d = st->m->desired;

        st->paths = calloc(d->n_files + 1, sizeof(char *));
        if (!st->paths)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_files; i++)
                if ((all || d->files[i]->state == DESIRED_FILE_ERROR) &&
                    !(st->paths[st->n_paths++] = strdup(d->files[i]->path)))
                        return -ENOMEM;
        return 0;
}

/* Appends o, compact, and drops it. */
static void status_stream_put_json(StatusStream *st, json_t *o) {
        _cleanup_free_ char *text = o ? json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

        json_decref(o);
        if (!text)
                st->out.failed = true;
        else
                strbuf_puts(&st->out, text);
}

static void status_stream_put_head(StatusStream *st, bool list) {
        strbuf_puts(&st->out, "{\"summary\":");
        status_stream_put_json(st, summary_set_revision(summary_to_json(st->m), st->m));
        if (list)
                strbuf_puts(&st->out, ",\n\"resources\":[");
}

/* The directory scan's problems: one entry each, after the files. */
static void status_stream_put_scan_diags(StatusStream *st) {
        const DiagList *diags = &st->m->desired->scan_diags;

        for (size_t i = 0; i < diags->n; i++) {
                _cleanup_free_ char *line = NULL;
                if (diag_format(&diags->items[i], &line) < 0)
                        continue;
                strbuf_puts(&st->out, st->n_written++ > 0 ? ",\n" : "\n");
                status_stream_put_json(st, json_pack("{s:s, s:s, s:[s]}", "path",
                                                     diags->items[i].path ?: "", "state", "error",
                                                     "diagnostics", line));
        }
}

/* Writes the next few entries of the current phase into st->out. */
static void status_stream_fill(StatusStream *st) {
        size_t end;

        switch (st->phase) {
        case STATUS_PHASE_RESOURCES:
                for (end = MIN(st->i + STATUS_STREAM_BATCH, st->n_keys); st->i < end; st->i++) {
                        Resource *r = resource_table_get(&st->m->table, st->keys[st->i]);
                        if (!r)
                                continue;
                        strbuf_puts(&st->out, st->n_written++ > 0 ? ",\n" : "\n");
                        status_stream_put_json(st, resource_to_json(st->m, r));
                }
                if (st->i < st->n_keys)
                        return;
                if (st->keys) {
                        strbuf_puts(&st->out, "],\n\"next\":");
                        status_stream_put_json(st, st->next ? json_string(st->next) : json_null());
                }
                strbuf_puts(&st->out, ",\n\"files\":[");
                st->phase = STATUS_PHASE_FILES;
                st->i = st->n_written = 0;
                return;
        case STATUS_PHASE_FILES:
                for (end = MIN(st->i + STATUS_STREAM_BATCH, st->n_paths); st->i < end; st->i++) {
                        const DesiredFile *f =
                                desired_set_get_file(st->m->desired, st->paths[st->i]);
                        if (!f)
                                continue;
                        strbuf_puts(&st->out, st->n_written++ > 0 ? ",\n" : "\n");
                        status_stream_put_json(st, file_to_json(f));
                }
                if (st->i < st->n_paths)
                        return;
                status_stream_put_scan_diags(st);
                strbuf_puts(&st->out, "]}\n");
                st->phase = STATUS_PHASE_END;
                return;
        case STATUS_PHASE_END:
                return;
        }
}

static ssize_t status_stream_read(void *p, char *buf, size_t max) {
        StatusStream *st = p;
        size_t n;

        while (st->out_pos == st->out.len && st->phase != STATUS_PHASE_END) {
                st->out.len = st->out_pos = 0;
                status_stream_fill(st);
        }
        if (st->out.failed)
                return -ENOMEM;
        n = MIN(max, st->out.len - st->out_pos);
        memcpy(buf, st->out.s + st->out_pos, n);
        st->out_pos += n;
        return (ssize_t) n;
}

int manager_status_open(void *userdata, const EndpointStatusQuery *q, EndpointBody *ret,
                        char **ret_error) {
        StatusStream *st;
        StatusFilter f;
        int r;

        r = status_filter_parse(q, &f, ret_error);
        if (r < 0)
                return r;
        st = calloc(1, sizeof(*st));
        if (!st)
                return -ENOMEM;
        st->m = userdata;
        r = status_stream_pick_resources(st, &f);
        if (r >= 0)
                r = status_stream_pick_files(st, f.all_files);
        if (r < 0) {
                status_stream_free(st);
                return r;
        }
        status_stream_put_head(st, f.list);
        *ret = (EndpointBody){ .read = status_stream_read,
                               .free = status_stream_free,
                               .stream = st };
        return 0;
}
