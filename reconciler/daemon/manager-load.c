/* SPDX-License-Identifier: MIT */

/* What the manager reads: the daemon configuration (with its accounts), the desired-state
 * directory (through the directory watch's hints), and how the desired state is carried into
 * the runtime table (the sorted diff of resource-table.h). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/log.h"
#include "lib/string-util.h"
#include "reconciler/daemon/manager-internal.h"
#include "reconciler/desired/desired-revision.h"

static void log_diags(int level, const DiagList *l) {
        for (size_t i = 0; i < l->n; i++) {
                _cleanup_free_ char *line = NULL;
                char field[4200];
                const char *fields[] = { field, NULL };

                if (diag_format(&l->items[i], &line) < 0)
                        continue;
                snprintf(field, sizeof(field), "FILE=%s", strna(l->items[i].path));
                (void) log_struct_internal(level, 0, fields, "%s", line);
        }
}

/* The problems of diags as one line ("a; b"), or the errno's text when there are none. */
static char *diags_join(const DiagList *l, int error) {
        _cleanup_free_ char *joined = NULL;

        for (size_t i = 0; i < l->n; i++) {
                _cleanup_free_ char *line = NULL, *next = NULL;

                if (diag_format(&l->items[i], &line) < 0 ||
                    asprintf(&next, "%s%s%s", joined ?: "", joined ? "; " : "", line) < 0)
                        return NULL;
                free(joined);
                joined = TAKE_PTR(next);
        }
        return joined ? TAKE_PTR(joined) : strdup(strerror(-error));
}

int manager_load_config(Manager *m, DaemonConfig **ret, char **ret_error) {
        _cleanup_(diag_list_done) DiagList diags = {};
        DaemonConfig *c = NULL;
        int k;

        diag_list_init(&diags);
        k = daemon_config_load(m->config_path, &diags, &c);
        log_diags(LOG_ERR, &diags);
        if (k < 0) {
                if (ret_error)
                        *ret_error = diags_join(&diags, k);
                return log_error_errno(k, "Configuration '%s' is not usable.", m->config_path);
        }
        *ret = c;
        return 0;
}

ManagerGeneration *manager_generation_free(ManagerGeneration *g) {
        if (!g)
                return NULL;
        account_set_free(g->accounts);
        daemon_config_free(g->config);
        free(g);
        return NULL;
}

/* Builds the accounts of config (taking it); an unusable account is logged, not fatal. */
int manager_generation_new(Manager *m, DaemonConfig *config, ManagerGeneration **ret) {
        ManagerGeneration *g = calloc(1, sizeof(*g));
        int k;

        if (!g) {
                daemon_config_free(config);
                return log_oom();
        }
        g->config = config;
        k = account_set_new(m->event, m->http, config, &g->accounts);
        if (k < 0) {
                manager_generation_free(g);
                return log_error_errno(k, "Failed to set up the cloud accounts: %m");
        }
        for (size_t i = 0; i < g->accounts->n_accounts; i++) {
                Account *a = &g->accounts->accounts[i];

                if (a->client)
                        cloud_client_set_observer(a->client, manager_cloud_observer, m);
                else
                        /* a->error names the account (accounts.c). */
                        log_error("%s; nothing is reconciled through it.", strna(a->error));
        }
        *ret = g;
        return 0;
}

/* Puts g in force: the queue's options and accounts, the desired set's account resolution.
 * The previous generation retires until no run can use it any more. */
/* The queue's options and accounts of c; logged. */
static int manager_configure_queue(Manager *m, const DaemonConfig *c) {
        WorkQueueOptions o = {
                .concurrency = c->concurrency,
                .backoff = { .base = c->backoff_base, .cap = c->backoff_cap },
                .resync = c->resync_interval,
        };
        int k;

        k = workqueue_set_options(m->queue, &o);
        if (k < 0)
                return log_error_errno(k, "Invalid queue options: %m");
        /* Every account of a region shares one host: without this, libcurl's default cap on
         * connections per host, not concurrency, would bound the requests in flight. The
         * spare connections are for alert sinks and metadata services. */
        k = http_engine_set_limits(m->http, c->concurrency,
                                   MAX(c->concurrency + MANAGER_HTTP_SPARE_CONNECTIONS, 64u));
        if (k < 0)
                return log_error_errno(k, "Failed to size the HTTP engine for %u requests: %m",
                                       c->concurrency);
        for (size_t i = 0; i < c->n_accounts; i++) {
                k = workqueue_add_account(m->queue, c->accounts[i].name, c->accounts[i].rate_qps,
                                          c->accounts[i].rate_burst);
                if (k < 0)
                        return log_error_errno(k, "Invalid rate limit of account '%s': %m",
                                               c->accounts[i].name);
        }
        manager_cluster_share_rates(m, c); /* cluster mode: this member's share of each */
        return 0;
}

int manager_install_generation(Manager *m, ManagerGeneration *g) {
        int k;

        k = manager_configure_queue(m, g->config);
        if (k < 0) {
                manager_generation_free(g);
                /* The queue may have taken some of g's options: back to the ones in force. */
                if (m->gen)
                        (void) manager_configure_queue(m, m->gen->config);
                return k;
        }
        if (m->gen) {
                m->gen->next = m->retired;
                m->retired = m->gen;
        }
        m->gen = g;
        manager_release_retired(m);
        return manager_alerts_configure(m);
}

void manager_update_file_metrics(Manager *m) {
        size_t ok, error;

        manager_count_files(m, &ok, &error);
        (void) metrics_gauge_set(m->metrics->desired_files, (double) ok,
                                 desired_file_state_to_string(DESIRED_FILE_OK));
        (void) metrics_gauge_set(m->metrics->desired_files, (double) error,
                                 desired_file_state_to_string(DESIRED_FILE_ERROR));
}

/* ---- the sorted diff: desired state → runtime table -------------------------------------- */

Resource *manager_resource_new(Manager *m, const char *key, const ResourceSpec *spec) {
        Resource *r = resource_new(key, spec);

        if (!r) {
                log_oom();
                return NULL;
        }
        r->manager = m;
        if (resource_table_add(&m->table, r) < 0) {
                resource_free(r);
                log_oom();
                return NULL;
        }
        /* Counted once its bucket is held here (manager-cluster.c). */
        if (!manager_cluster_schedules(m, key))
                resource_set_elsewhere(r, true);
        return r;
}

static int manager_sync_add(const DesiredRef *d, void *userdata) {
        Manager *m = userdata;
        Resource *r = resource_table_get(&m->table, d->key);

        if (r) {
                /* Its removal is pending or in flight, or it is an orphan, and the document is
                 * back. */
                if (resource_set_spec(r, d->spec) < 0)
                        return log_oom();
        } else {
                r = manager_resource_new(m, d->key, d->spec);
                if (!r)
                        return -ENOMEM;
        }
        resource_unremove(r); /* a new one's record may say it was orphaned */
        r->spec_changed = true;
        resource_set_state(r, RESOURCE_EVENT_CHANGED, "declared");
        /* Not started yet: the first pass at start (main() loads before it starts). */
        if (!m->started)
                return manager_enqueue_start(m, r);
        return manager_enqueue(m, r, WORK_PRIORITY_CHANGE);
}

static int manager_sync_update(Resource *r, const DesiredRef *d, bool changed, void *userdata) {
        Manager *m = userdata;

        if (resource_set_spec(r, d->spec) < 0)
                return log_oom();
        (void) workqueue_set_resync(m->queue, r->key, r->spec->resync_interval);
        if (!changed)
                return 0;
        r->spec_changed = true;
        resource_set_state(r, RESOURCE_EVENT_CHANGED, "document changed");
        return manager_enqueue(m, r, WORK_PRIORITY_CHANGE);
}

/* Whether r's file is still there and broken: its last good version stays in force. */
static bool manager_file_broken(Manager *m, const Resource *r) {
        const DesiredFile *f = desired_set_get_file(m->desired, r->spec->path);

        return f && f->state == DESIRED_FILE_ERROR;
}

static int manager_sync_remove(Resource *r, void *userdata) {
        Manager *m = userdata;

        /* DESIGN.md §3.2: only a file that is really gone (or a good new version without the
         * document) removes a resource; a broken file keeps what it declared. A file in error
         * without a good version in the set (the account it named left the configuration at a
         * reload): keep ours. */
        if (manager_file_broken(m, r))
                return 0;
        resource_remove(r);
        return 0;
}

static int manager_sync_keep(Resource *r, void *userdata) {
        return 0;
}

static void broken_files_free(Hashmap *h) {
        char *path;
        size_t state = 0;

        while (hashmap_iterate(h, &state, NULL, (void **) &path))
                free(path);
        hashmap_free(h);
}

void manager_broken_files_free(Manager *m) {
        broken_files_free(m->broken_files);
        m->broken_files = NULL;
}

/* The paths of the files in error now; NULL on out of memory. */
static Hashmap *broken_files_collect(const DesiredSet *s) {
        Hashmap *h = hashmap_new();

        for (size_t i = 0; h && i < s->n_files; i++) {
                char *path;

                if (s->files[i]->state != DESIRED_FILE_ERROR)
                        continue;
                path = strdup(s->files[i]->path);
                if (!path || hashmap_put(h, path, path) < 0) {
                        free(path);
                        broken_files_free(h);
                        return NULL;
                }
        }
        return h;
}

/* A file that was in error and loads again is news as much as its breaking was (which
 * manager_rescan_one() and manager_log_file_errors() log). */
static void manager_log_recovered_files(Manager *m) {
        Hashmap *now_broken = broken_files_collect(m->desired);

        if (!now_broken) {
                log_oom();
                return;
        }
        for (size_t i = 0; m->broken_files && i < m->desired->n_files; i++) {
                const DesiredFile *f = m->desired->files[i];

                if (f->state == DESIRED_FILE_OK && hashmap_get(m->broken_files, f->path))
                        log_info("'%s' is valid again; %zu resource%s in force.", f->path,
                                 f->n_resources, f->n_resources == 1 ? "" : "s");
        }
        manager_broken_files_free(m);
        m->broken_files = now_broken;
}

static void desired_refs_free(DesiredRef *refs, size_t n) {
        for (size_t i = 0; i < n; i++)
                free((char *) refs[i].key);
        free(refs);
}

/* Carries the desired set into the runtime table. When no file of the directory loads (every
 * one broken), nothing is removed (DESIGN.md §3.2). */
int manager_apply_desired(Manager *m) {
        static const ResourceSyncOps ops = {
                .add = manager_sync_add,
                .update = manager_sync_update,
                .remove = manager_sync_remove,
        };
        static const ResourceSyncOps ops_keep = {
                .add = manager_sync_add,
                .update = manager_sync_update,
                .remove = manager_sync_keep,
        };
        size_t n = desired_set_n_resources(m->desired), i = 0;
        DesiredIterator it = {};
        const ResourceSpec *spec;
        DesiredRef *refs;
        bool all_broken;
        int k;

        refs = calloc(MAX(n, 1u), sizeof(*refs));
        if (!refs)
                return log_oom();
        while ((spec = desired_set_next(m->desired, &it)) && i < n) {
                char *key;

                if (resource_spec_identity(spec, &key) < 0) {
                        desired_refs_free(refs, i);
                        return log_oom();
                }
                refs[i++] = (DesiredRef){ .key = key, .spec = spec };
        }
        all_broken = m->desired->n_files > 0 &&
                     desired_set_n_files_in_state(m->desired, DESIRED_FILE_OK) == 0;
        if (all_broken)
                log_error("Every file of the desired-state directory fails to load: nothing is "
                          "removed, the resources known keep their last good version.");
        k = resource_table_sync(&m->table, refs, i, all_broken ? &ops_keep : &ops, m);
        desired_refs_free(refs, i);
        manager_log_recovered_files(m);
        manager_update_file_metrics(m);
        manager_schedule_publish(m);
        return k < 0 ? k : 0;
}

/* ---- rescans ------------------------------------------------------------------------------ */

static const char *manager_desired_dir(const Manager *m) {
        return m->gen->config->desired_dir;
}

static void manager_set_dir_error(Manager *m, int error, const char *msg) {
        free(m->dir_error);
        m->dir_error = msg ? strdup(msg) : NULL;
        m->dir_errno = msg ? error : 0;
}

/* Why desired_set_rescan() failed with error, in words; NULL on -ENOMEM. */
/* What is wrong with the directory, as the end of "desired-state directory 'DIR' ...". */
static char *manager_dir_error_reason(const Manager *m, int error) {
        char *s = NULL;

        if (error == -ENOENT)
                return strdup("does not exist");
        if (error == -ENODATA)
                return strdup("has no *.yaml or *.yml files");
        if (error == -E2BIG)
                return asprintf(&s,
                                "has more YAML files than limits.files (%u) allows, so none "
                                "is read",
                                m->gen->config->limits.files) < 0
                               ? NULL
                               : s;
        return asprintf(&s, "cannot be used (%s)", strerror(-error)) < 0 ? NULL : s;
}

/* Logs the problems of the files a rescan touched that are (still) broken. */
static void manager_log_file_errors(Manager *m) {
        _cleanup_(diag_list_done) DiagList diags = {};

        diag_list_init(&diags);
        if (desired_set_collect_diags(m->desired, &diags) >= 0)
                log_diags(LOG_ERR, &diags);
}

/* The revision the rescan found in the directory: /status's summary.revision and
 * asyncfg_desired_revision_info{revision}. A revision file that cannot be read or is no
 * revision leaves none; the documents are applied all the same. */
static void manager_update_revision(Manager *m, const char *dir) {
        _cleanup_free_ char *rev = NULL;
        int k = desired_revision_read(dir, &rev);

        if (k == -ENOMEM)
                log_oom();
        else if (k < 0)
                log_warning_errno(k, "'%s/%s' is not usable (%m); no revision is reported.", dir,
                                  DESIRED_REVISION_FILE);
        if (streq_ptr(rev, m->revision))
                return;
        if (m->revision)
                (void) metrics_gauge_remove(m->metrics->desired_revision_info, m->revision);
        if (rev) {
                (void) metrics_gauge_set(m->metrics->desired_revision_info, 1, rev);
                log_info("The desired state is at revision '%s'.", rev);
        }
        free(m->revision);
        m->revision = TAKE_PTR(rev);
}

/* What is wrong with the desired-state directory (desired_set_rescan()'s error), in words. */
/* Everything: new, changed, gone files (desired_set_rescan() guards the empty or missing
 * directory and an unreadable subdirectory: then nothing is removed). */
int manager_rescan_full(Manager *m, const char *why) {
        const char *dir = manager_desired_dir(m);
        int k;

        log_debug("Rescanning '%s' (%s).", dir, why);
        k = desired_set_rescan(m->desired, dir);
        m->first_pass_done = true; /* readiness: published with the rest (manager.c) */
        if (k == -ENOMEM)
                return log_oom();
        if (k < 0) {
                _cleanup_free_ char *msg = NULL, *reason = manager_dir_error_reason(m, k);

                if (!reason || asprintf(&msg,
                                        "desired-state directory '%s' %s; nothing is removed, %zu "
                                        "resources keep their last known version",
                                        dir, reason, resource_table_size(&m->table)) < 0)
                        return log_oom();
                if (k == -E2BIG) /* located at the directory, naming the setting to change */
                        log_diags(LOG_ERR, &m->desired->scan_diags);
                log_error("%s", msg);
                manager_set_dir_error(m, k, msg);
                manager_update_file_metrics(m);
                manager_schedule_publish(m);
                return 0;
        }
        manager_set_dir_error(m, 0, NULL);
        manager_update_revision(m, dir);
        manager_log_file_errors(m);
        if (m->ready_pending)
                manager_notify_ready(m);
        return manager_apply_desired(m);
}

/* Reads one changed file again (desired_set_update_file()). 1 when it was handled, 0 when only
 * a full rescan can handle the path, -ENOMEM. */
static int manager_rescan_one(Manager *m, const char *rel) {
        const DesiredFile *f = NULL;
        int k = desired_set_update_file(m->desired, manager_desired_dir(m), rel, &f);

        if (k < 0)
                return k;
        if (k == DESIRED_UPDATE_RESCAN)
                return 0;
        if (k == DESIRED_UPDATE_REJECTED) {
                log_diags(LOG_ERR, &f->diags);
                log_error("'%s' is not valid; %s.", f->path,
                          f->has_good ? "its last good version stays in force"
                                      : "nothing of it is applied");
        }
        return 1;
}

void manager_on_dirwatch(Dirwatch *dw, const DirwatchChange *change, void *userdata) {
        Manager *m = userdata;
        bool full = change->full;
        int k = 0;

        if (m->stopping)
                return;
        /* A problem of the directory itself (no YAML file left, an unreadable subdirectory)
         * is a fact about the whole tree that only a full rescan finds or clears: while one
         * stands, every change is looked at through a full rescan. Otherwise files moved out
         * and back unchanged are "already loaded" and the error stays in /status for good. */
        if (m->dir_error || m->desired->scan_diags.n > 0)
                full = true;
        for (size_t i = 0; !full && i < change->n_paths; i++) {
                k = manager_rescan_one(m, change->paths[i]);
                if (k < 0)
                        break;
                if (k == 0)
                        full = true;
        }
        /* Files in error may load now: the conflict that broke them (a duplicate identity with
         * another file) may be gone. */
        if (k >= 0 && !full)
                k = desired_set_retry_errors(m->desired, manager_desired_dir(m));
        if (k < 0) {
                log_oom();
                full = true;
        }
        if (full) {
                (void) manager_rescan_full(m, dirwatch_reason_to_string(change->reason));
                return;
        }
        (void) manager_apply_desired(m);
}

int manager_watch_dir(Manager *m) {
        const char *dir = manager_desired_dir(m);
        int k;

        if (m->dirwatch && m->watched_dir && streq(m->watched_dir, dir))
                return 0;
        m->dirwatch = dirwatch_free(m->dirwatch);
        free(m->watched_dir);
        m->watched_dir = strdup(dir);
        if (!m->watched_dir)
                return log_oom();
        k = dirwatch_new(m->event, m->clock, dir, m->debounce_usec, manager_on_dirwatch, m,
                         &m->dirwatch);
        if (k < 0)
                return log_error_errno(k, "Failed to watch '%s': %m", dir);
        dirwatch_set_max_delay(m->dirwatch, MAX(m->debounce_usec * 5, 1000000ULL));
        return 0;
}
