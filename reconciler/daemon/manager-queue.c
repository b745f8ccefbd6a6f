/* SPDX-License-Identifier: MIT */

/* The manager's wiring of the work queue: what is queued, and the queue's callback, which
 * finds the resource and its account and starts its run (resource.c); the cloud clients'
 * request metrics. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/log.h"
#include "reconciler/daemon/manager-internal.h"

int manager_enqueue(Manager *m, Resource *r, WorkPriority priority) {
        const char *account = r->spec->account;
        double qps;
        int k;

        if (account && workqueue_get_account_qps(m->queue, account, &qps) < 0)
                account = NULL; /* unknown account: the run reports it */
        k = workqueue_add(m->queue, r->key, account, priority, 0, r);
        if (k < 0)
                return log_error_errno(k, "Failed to queue '%s': %m", r->spec->name);
        (void) workqueue_set_resync(m->queue, r->key, r->spec->resync_interval);
        return 0;
}

int manager_process(WorkQueue *q, const char *key, void *item_userdata, void *userdata) {
        Manager *m = userdata;
        Resource *r = resource_table_get(&m->table, key);
        _cleanup_free_ char *msg = NULL;
        Account *a;

        if (m->stopping || !r)
                return -ECANCELED;
        a = r->spec->account ? account_set_find(m->gen->accounts, r->spec->account) : NULL;
        if (a && a->client)
                return resource_start_run(r, a->client);
        if (asprintf(&msg, "account '%s' %s%s", strna(r->spec->account),
                     a ? "is unusable: " : "is not configured", a ? strna(a->error) : "") < 0)
                return -ENOMEM;
        return resource_fail_config(r, msg);
}

void manager_cancel_runs(Manager *m) {
        _cleanup_free_ Resource **a = NULL;
        size_t n;

        if (resource_table_sorted(&m->table, NULL, &a, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++)
                resource_cancel_run(a[i]);
}

void manager_cloud_observer(const CloudAccount *account, Provider provider, CloudOp op,
                            long http_status, int error, uint64_t duration_usec, void *userdata) {
        Manager *m = userdata;
        static const char *const methods[_CLOUD_OP_MAX] = { "GET", "PUT", "DELETE", "GET", "GET", "GET" };
        char code[32];

        if (http_status > 0)
                snprintf(code, sizeof(code), "%ld", http_status);
        else
                snprintf(code, sizeof(code), "%s", error == -ETIMEDOUT ? "timeout" : "transport");
        (void) metrics_counter_inc(m->metrics->cloud_requests_total, provider_to_string(provider),
                                   op >= 0 && op < _CLOUD_OP_MAX ? methods[op] : "GET", code);
        (void) metrics_histogram_observe(m->metrics->cloud_request_duration,
                                         (double) duration_usec / 1e6);
}
