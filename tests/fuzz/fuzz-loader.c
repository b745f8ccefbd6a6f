/* SPDX-License-Identifier: MIT */
/* Fuzzes the desired-state loader: the input is one YAML file, loaded into a DesiredSet (YAML
 * tree, schema, identity, destinations, duplicates). If the first byte is '%', the rest is
 * parsed as a daemon configuration instead. The file is also loaded a second time under
 * another name, so cross-file duplicate detection and the last-good-version path run too.
 * Invariant checked: a file is accepted exactly when it produced no error. */
#include <stdint.h>
#include <stdlib.h>

#include "clouds/cloud.h"
#include "reconciler/spec/daemon-config.h"
#include "reconciler/desired/desired.h"
#include "reconciler/spec/destination.h"

/* What an accepted resource must satisfy whatever the input was: the oracle for "never accepts
 * something invalid". */
static void check_destination(const ResourceSpec *r, const Destination *d, DestinationSide side) {
        const CloudOps *ops = cloud_ops_from_provider(r->provider);
        char *why = NULL;

        if (!d->target)
                return;
        if (ops->check_destination(d->target, side == DESTINATION_ON_FAILURE, &why) < 0)
                abort();
        if (!ops->destination_types && d->param)
                abort();
        if (ops->destination_types &&
            (!json_is_object(d->param) || json_object_size(d->param) == 0))
                abort();
}

static void check_resource(const ResourceSpec *r) {
        static const int64_t max_retry[] = { 2, 8, 8 }, min_age[] = { 60, 1, 1 },
                             max_age[] = { 21600, 2592000, 86400 };
        const AsyncConfig *c = &r->config;

        if (r->provider < 0 || r->provider >= _PROVIDER_MAX || !r->name || !*r->name ||
            strlen(r->name) > 63 || !r->function || !r->id.function || !r->id.qualifier || !r->path)
                abort();
        if (c->has_max_retry_attempts &&
            (c->max_retry_attempts < 0 || c->max_retry_attempts > max_retry[r->provider]))
                abort();
        if (c->has_max_event_age && (c->max_event_age_seconds < min_age[r->provider] ||
                                     c->max_event_age_seconds > max_age[r->provider]))
                abort();
        if ((c->has_async_task && r->provider != PROVIDER_ALICLOUD) ||
            (c->has_async_status_log && r->provider != PROVIDER_HUAWEICLOUD))
                abort();
        if (r->ignore & ~resource_fields_for_provider(r->provider))
                abort();
        check_destination(r, &c->on_success, DESTINATION_ON_SUCCESS);
        check_destination(r, &c->on_failure, DESTINATION_ON_FAILURE);
}

static void check_file(const DesiredSet *s, const char *path, int r) {
        const DesiredFile *f = desired_set_get_file(s, path);

        if (!f)
                abort();
        if ((r == 1) != (f->diags.n_errors == 0))
                abort();
        if (r == 1 && f->state != DESIRED_FILE_OK)
                abort();
        for (size_t i = 0; i < f->n_resources; i++)
                check_resource(f->resources[i]);
}

static void fuzz_config(const uint8_t *data, size_t size) {
        DaemonConfig *c = NULL;
        DiagList diags;

        diag_list_init(&diags);
        int r = daemon_config_parse("fuzz.yaml", data, size, &diags, &c);
        if ((r == 0) != (diags.n_errors == 0 && c))
                abort();
        daemon_config_free(c);
        diag_list_done(&diags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        DesiredSet *s = NULL;
        DiagList all;
        int r;

        if (size > 0 && data[0] == '%') {
                fuzz_config(data + 1, size - 1);
                return 0;
        }
        if (desired_set_new(NULL, &s) < 0)
                return 0;
        r = desired_set_load_data(s, "a.yaml", data, size);
        if (r >= 0)
                check_file(s, "a.yaml", r);
        r = desired_set_load_data(s, "b.yaml", data, size);
        if (r >= 0) {
                check_file(s, "b.yaml", r);
                /* The same resources twice: b must be rejected if a had any. */
                if (r == 1 && desired_set_get_file(s, "a.yaml")->n_resources > 0)
                        abort();
        }
        diag_list_init(&all);
        (void) desired_set_collect_diags(s, &all);
        diag_list_done(&all);
        desired_set_free(s);
        return 0;
}
