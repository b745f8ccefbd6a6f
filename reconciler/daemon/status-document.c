/* SPDX-License-Identifier: MIT */

/* /status: the JSON document documented in endpoint.h, built from the runtime table and the
 * desired set. Secrets are never in it: nothing here reads credentials, and error messages
 * come from cloud_error_format(), which redacts. */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "reconciler/daemon/manager-internal.h"

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
                      "provider", provider_to_string(s->provider),
                      "account", json_string_or_null(s->account),
                      "function", s->id.function, "qualifier", s->id.qualifier,
                      "management", management_to_string(s->management),
                      "deletion_policy", deletion_policy_to_string(s->deletion_policy),
                      "state", resource_state_to_string(r->state),
                      "diff", resource_diff_json(r->diff, false),
                      "drift", r->drift,
                      "last_error", resource_error_json(r),
                      "last_observed", json_time(r->last_observed_usec),
                      "last_changed", json_time(r->last_changed_usec),
                      "last_drift", json_time(r->last_drift_usec),
                      "last_drift_diff", resource_diff_json(r->last_drift, true));
        if (!o)
                return NULL;
        json_object_set_new(o, "last_write_diff",
                            resource_diff_json(r->last_write, true));
        if (r->orphaned_usec > 0) /* orphaned, or held after a refused DELETE (resource-removal.c) */
                json_object_set_new(o, "orphaned_since", json_time(r->orphaned_usec));
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
        o = json_pack("{s:s, s:s, s:i, s:b, s:o}", "path", f->path,
                      "state", desired_file_state_to_string(f->state),
                      "resources", (json_int_t) f->n_resources,
                      "has_good_version", f->has_good, "diagnostics", diags);
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
        return json_pack("{s:i, s:o, s:{s:i, s:i}, s:b, s:o, s:o, s:i, s:i, s:o, s:o}",
                         "resources", (json_int_t) total, "states", states,
                         "files", "ok", (json_int_t) n_ok, "error", (json_int_t) n_error,
                         "ready", manager_is_ready(m),
                         "last_successful_sync", json_time(m->last_success_usec),
                         "directory_error", json_string_or_null(m->dir_error),
                         "queue_depth", (json_int_t) workqueue_get_depth(m->queue),
                         "in_flight", (json_int_t) m->n_runs,
                         "last_reload", last_reload_to_json(m),
                         "accounts", manager_poll_intervals_json(m));
}

char *manager_status_json(void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ Resource **rs = NULL;
        json_t *root, *resources, *files;
        size_t n;
        char *text;

        if (resource_table_sorted(&m->table, resource_compare_by_name, &rs, &n) < 0)
                return NULL;
        resources = json_array();
        files = json_array();
        for (size_t i = 0; resources && i < n; i++)
                json_array_append_new(resources, resource_to_json(m, rs[i]));
        for (size_t i = 0; files && i < m->desired->n_files; i++)
                json_array_append_new(files, file_to_json(m->desired->files[i]));
        for (size_t i = 0; files && i < m->desired->scan_diags.n; i++) {
                _cleanup_free_ char *line = NULL;
                if (diag_format(&m->desired->scan_diags.items[i], &line) >= 0)
                        json_array_append_new(files, json_pack("{s:s, s:s, s:[s]}", "path",
                                                               m->desired->scan_diags.items[i].path ?: "",
                                                               "state", "error", "diagnostics", line));
        }
        root = json_pack("{s:o, s:o, s:o}", "summary", summary_to_json(m), "resources",
                         resources, "files", files);
        if (!root)
                return NULL;
        text = json_dumps(root, JSON_INDENT(2));
        json_decref(root);
        return text;
}
