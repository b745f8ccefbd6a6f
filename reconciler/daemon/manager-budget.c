/* SPDX-License-Identifier: MIT */

/* The API budget of drift polls (DESIGN.md §3.9) as the operator sees it. The work queue
 * stretches an account's polls when its rate limit cannot poll every resource within the
 * resyncInterval (reconciler/core/workqueue.h); here, per account, the interval in force goes
 * to /status and to asyncfg_drift_poll_interval_seconds{account} (the configured interval when
 * not stretched), with one log line when stretching starts and one when it ends. */

#include "lib/log.h"
#include "reconciler/daemon/manager-internal.h"

/* Remembers whether account's polls are stretched (what was logged last): its name is in
 * m->poll_stretched (key and value, owned). 0 or -ENOMEM. */
static int manager_poll_set_stretched(Manager *m, const char *account, bool stretched) {
        _cleanup_free_ char *name = NULL;
        int r;

        if (!stretched) {
                free(hashmap_remove(m->poll_stretched, account));
                return 0;
        }
        name = strdup(account);
        if (!name)
                return -ENOMEM;
        r = hashmap_put(m->poll_stretched, name, name);
        if (r < 0)
                return r;
        TAKE_PTR(name);
        return 0;
}

void manager_poll_stretched_free(Manager *m) {
        char *name;
        size_t state = 0;

        while (hashmap_iterate(m->poll_stretched, &state, NULL, (void **) &name))
                free(name);
        m->poll_stretched = hashmap_free(m->poll_stretched);
}

static void manager_log_poll_stretch(Manager *m, const AccountConfig *a,
                                     const WorkPollInterval *p) {
        char configured[64], effective[64];
        bool stretched = p->effective > p->configured;

        if (!m->poll_stretched && !(m->poll_stretched = hashmap_new()))
                return; /* logged next time */
        if (stretched == !!hashmap_get(m->poll_stretched, a->name) ||
            manager_poll_set_stretched(m, a->name, stretched) < 0)
                return;
        format_duration(configured, sizeof(configured), p->configured);
        format_duration(effective, sizeof(effective), p->effective);
        if (stretched)
                log_warning("Account '%s': polling its %u resources every %s would take more than "
                            "%u%% of its rate limit (%g requests/s); drift polls are stretched to "
                            "every %s, the rest of the budget is kept for changes.",
                            a->name, p->n_polled, configured, WORKQUEUE_POLL_SHARE_PERCENT,
                            a->rate_qps, effective);
        else
                log_info(
                        "Account '%s': its drift polls fit its rate limit again; polling every %s.",
                        a->name, configured);
}

void manager_publish_poll_intervals(Manager *m) {
        const DaemonConfig *c = m->gen->config;
        WorkPollInterval p;

        for (size_t i = 0; i < c->n_accounts; i++) {
                if (workqueue_get_poll_interval(m->queue, c->accounts[i].name, &p) < 0)
                        continue;
                (void) metrics_gauge_set(m->metrics->drift_poll_interval,
                                         (double) p.effective / USEC_PER_SEC, c->accounts[i].name);
                manager_log_poll_stretch(m, &c->accounts[i], &p);
        }
}

json_t *manager_poll_intervals_json(const Manager *m) {
        const DaemonConfig *c = m->gen->config;
        json_t *accounts = json_object();
        WorkPollInterval p;

        for (size_t i = 0; accounts && i < c->n_accounts; i++) {
                if (workqueue_get_poll_interval(m->queue, c->accounts[i].name, &p) < 0)
                        continue;
                json_object_set_new(accounts, c->accounts[i].name,
                                    json_pack("{s:i, s:f, s:f, s:b}", "resources",
                                              (json_int_t) p.n_polled, "poll_interval_seconds",
                                              (double) p.configured / USEC_PER_SEC,
                                              "effective_poll_interval_seconds",
                                              (double) p.effective / USEC_PER_SEC, "stretched",
                                              p.effective > p.configured));
        }
        return accounts;
}
