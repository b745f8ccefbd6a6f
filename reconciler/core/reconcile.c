/* SPDX-License-Identifier: MIT */
#include <time.h>

#include "lib/log.h"
#include "lib/string-table.h"
#include "lib/time-util.h"
#include "reconciler/core/accounts.h"
#include "reconciler/core/reconcile.h"

struct Reconcile {
        CloudClient *client;
        ResourceSpec *spec;
        StateStore *store; /* borrowed, may be NULL */
        char *key;
        ReconcileMode mode;
        ReconcileCallback cb;
        ReconcilePutStartedCallback put_started;
        ReconcileGate gate;
        ReconcileGate fence;
        void *userdata;
        CloudCall *call; /* in flight, or NULL */
        Diff *diff;
        AsyncConfig put_doc;
        bool live_absent;
        bool put_sent;
        bool put_in_flight;
        bool waiting;   /* for the gate's token of the PUT */
        bool cancelled; /* while waiting */
};

static const char *const reconcile_mode_table[_RECONCILE_MODE_MAX] = {
        [RECONCILE_PLAN] = "plan",
        [RECONCILE_APPLY] = "apply",
};

static const char *const reconcile_outcome_table[_RECONCILE_OUTCOME_MAX] = {
        [RECONCILE_IN_SYNC] = "in_sync",           [RECONCILE_CREATED] = "created",
        [RECONCILE_UPDATED] = "updated",           [RECONCILE_WOULD_CREATE] = "would_create",
        [RECONCILE_WOULD_UPDATE] = "would_update", [RECONCILE_ERROR] = "error",
};

DEFINE_STRING_TABLE_LOOKUP(reconcile_mode, ReconcileMode);
DEFINE_STRING_TABLE_LOOKUP(reconcile_outcome, ReconcileOutcome);

static Reconcile *reconcile_free(Reconcile *r) {
        if (!r)
                return NULL;
        cloud_client_unref(r->client);
        resource_spec_free(r->spec);
        free(r->key);
        diff_free(r->diff);
        async_config_done(&r->put_doc);
        free(r);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Reconcile *, reconcile_free);

/* Delivers the result and frees r. Always called from a cloud callback (the event loop). */
static void reconcile_finish(Reconcile *r, ReconcileOutcome outcome, CloudOp op,
                             const CloudError *error) {
        static const CloudError none = {};
        ReconcileResult res = {
                .outcome = outcome,
                .diff = r->diff,
                .error = error ?: &none,
                .error_op = op,
                .put_sent = r->put_sent,
                .live_absent = r->live_absent,
        };

        r->cb(r, &res, r->userdata);
        r->diff = res.diff; /* NULL when the callback took it */
        reconcile_free(r);
}

void reconcile_error_from_errno(int error, CloudError *ret) {
        *ret = (CloudError){
                .class = error == -ENOKEY ? CLOUD_ERROR_AUTH : CLOUD_ERROR_TRANSIENT,
                .error = error,
        };
        /* Without the message the class and errno still say what happened. */
        (void) cloud_error_set_message(
                ret, error == -EAGAIN ? "credentials not available yet" : strerror(-error), NULL);
}

/* A request that could not even be started: reported like a failed call. */
static void reconcile_finish_errno(Reconcile *r, CloudOp op, int error) {
        CloudError e;

        reconcile_error_from_errno(error, &e);
        reconcile_finish(r, RECONCILE_ERROR, op, &e);
        cloud_error_done(&e);
}

static bool async_config_equal(const AsyncConfig *a, const AsyncConfig *b) {
        for (AsyncField f = 0; f < _ASYNC_FIELD_MAX; f++)
                if (!async_field_equal(a, b, f))
                        return false;
        return true;
}

void reconcile_state_info(const ResourceSpec *spec, StateResourceInfo *ret) {
        *ret = (StateResourceInfo){
                .name = spec->name,
                .provider = (char *) provider_to_string(spec->provider),
                .account = spec->account,
                .function = spec->id.function,
                .qualifier = spec->id.qualifier,
                .file = spec->path,
        };
}

void reconcile_state_location(const CloudAccount *a, StateLocation *ret) {
        *ret = (StateLocation){
                .account = (char *) a->name,
                .api = (char *) cloud_api_to_string(a->api),
                .region = (char *) a->region,
                .account_id = (char *) a->account_id,
                .project_id = (char *) a->project_id,
                .endpoint = (char *) a->endpoint,
        };
}

/* Records doc as last applied, with who it belongs to (an orphan is shown from that) and where
 * (the account's location now: a DELETE goes there or nowhere). Failing to remember is not
 * failing to apply: the next run only cannot tell drift from change, so it is logged at debug
 * level and otherwise ignored. */
static void reconcile_record(Reconcile *r, const AsyncConfig *doc, bool created) {
        StateResourceInfo info;
        StateLocation location;
        int k;

        if (!r->store || !r->key)
                return;
        reconcile_state_info(r->spec, &info);
        reconcile_state_location(cloud_client_get_account(r->client), &location);
        k = state_store_put_with(r->store, r->key, doc, now(CLOCK_REALTIME), created, &info,
                                 &location);
        if (k < 0)
                log_debug_errno(k, "Could not record the state of '%s': %m", r->key);
}

/* In sync: adopt what is live as last applied (enforce), or as the baseline of the last
 * agreement (observe), when the record is missing or stale (see reconcile.h). A record of
 * another location is stale too: the config that agrees with the YAML is here now (the
 * account moved), and a record older than locations learns its location this way, on its
 * first run in sync. */
static void reconcile_adopt(Reconcile *r, const AsyncConfig *live) {
        const StateRecord *rec;
        StateLocation here;

        if (r->mode != RECONCILE_APPLY || !r->store || !r->key)
                return;
        rec = state_store_get(r->store, r->key);
        reconcile_state_location(cloud_client_get_account(r->client), &here);
        if (rec && async_config_equal(&rec->applied, live) &&
            state_location_equal(&rec->location, &here))
                return;
        reconcile_record(r, live, false);
}

static void on_put(CloudCall *call, const CloudError *error, void *userdata) {
        Reconcile *r = userdata;

        r->call = NULL;
        r->put_in_flight = false;
        if (error->class != CLOUD_ERROR_NONE) {
                reconcile_finish(r, RECONCILE_ERROR, CLOUD_OP_PUT, error);
                return;
        }
        /* What we sent is what was applied: an echo may leave out fields the cloud defaults. */
        reconcile_record(r, &r->put_doc, r->live_absent);
        reconcile_finish(r, r->live_absent ? RECONCILE_CREATED : RECONCILE_UPDATED, CLOUD_OP_PUT,
                         NULL);
}

static int reconcile_send_put(Reconcile *r) {
        CloudTarget t;
        int k;

        k = r->fence ? r->fence(r, r->userdata) : 0;
        if (k < 0)
                return k;
        resource_spec_to_target(r->spec, &t);
        k = cloud_put(r->client, &t, &r->put_doc, on_put, r, &r->call);
        if (k < 0)
                return k;
        r->put_sent = true;
        r->put_in_flight = true;
        if (r->put_started)
                r->put_started(r, r->userdata);
        return 0;
}

/* The complete desired document, then the PUT once the gate gives its token. */
static int reconcile_put(Reconcile *r, const AsyncConfig *live) {
        int k;

        k = async_config_merge_for_put(&r->spec->config,
                                       async_config_present_fields(&r->spec->config),
                                       (AsyncFieldSet) r->spec->ignore, live, &r->put_doc);
        if (k < 0)
                return k;
        k = r->gate ? r->gate(r, r->userdata) : 0;
        if (k < 0)
                return k;
        if (k == RECONCILE_GATE_HOLD) {
                reconcile_finish(r, live ? RECONCILE_WOULD_UPDATE : RECONCILE_WOULD_CREATE,
                                 CLOUD_OP_GET, NULL);
                return 0;
        }
        if (k > 0) {
                r->waiting = true; /* reconcile_resume() sends it */
                return 0;
        }
        return reconcile_send_put(r);
}

void reconcile_resume(Reconcile *r) {
        int k;

        if (!r || !r->waiting)
                return;
        r->waiting = false;
        if (r->cancelled) {
                reconcile_finish_errno(r, CLOUD_OP_PUT, -ECANCELED);
                return;
        }
        k = reconcile_send_put(r);
        if (k < 0)
                reconcile_finish_errno(r, CLOUD_OP_PUT, k);
}

static void on_get(CloudCall *call, const CloudError *error, const AsyncConfig *config,
                   void *userdata) {
        Reconcile *r = userdata;
        const StateRecord *rec;
        const AsyncConfig *live = config;
        int k;

        r->call = NULL;
        if (error->class == CLOUD_ERROR_CONFIG_ABSENT)
                live = NULL;
        else if (error->class != CLOUD_ERROR_NONE || !config) {
                /* Unknown, not absent (DESIGN.md §3.3): decide nothing. */
                reconcile_finish(r, RECONCILE_ERROR, CLOUD_OP_GET, error);
                return;
        }
        r->live_absent = !live;

        rec = r->store && r->key ? state_store_get(r->store, r->key) : NULL;
        k = diff_resource(r->spec, live, rec ? &rec->applied : NULL, &r->diff);
        if (k < 0)
                reconcile_finish_errno(r, CLOUD_OP_GET, k);
        else if (live && diff_is_empty(r->diff)) {
                reconcile_adopt(r, live);
                reconcile_finish(r, RECONCILE_IN_SYNC, CLOUD_OP_GET, NULL);
        } else if (r->mode != RECONCILE_APPLY || r->spec->management == MANAGEMENT_OBSERVE)
                reconcile_finish(r, live ? RECONCILE_WOULD_UPDATE : RECONCILE_WOULD_CREATE,
                                 CLOUD_OP_GET, NULL);
        else {
                k = reconcile_put(r, live);
                if (k < 0)
                        reconcile_finish_errno(r, CLOUD_OP_PUT, k);
        }
}

int reconcile_start(CloudClient *client, const ResourceSpec *spec, StateStore *store,
                    const char *state_key, ReconcileMode mode, ReconcileCallback cb, void *userdata,
                    Reconcile **ret) {
        _cleanup_(reconcile_freep) Reconcile *r = NULL;
        CloudTarget t;
        int k;

        if (!client || !spec || !cb || (unsigned) mode >= _RECONCILE_MODE_MAX)
                return -EINVAL;
        r = calloc(1, sizeof(Reconcile));
        if (!r)
                return -ENOMEM;
        r->client = cloud_client_ref(client);
        r->store = store;
        r->mode = mode;
        r->cb = cb;
        r->userdata = userdata;
        r->spec = resource_spec_ref(spec);
        if (state_key) {
                r->key = strdup(state_key);
                if (!r->key)
                        return -ENOMEM;
        }
        resource_spec_to_target(r->spec, &t);
        k = cloud_get(client, &t, on_get, r, &r->call);
        if (k < 0)
                return k;
        if (ret)
                *ret = r;
        TAKE_PTR(r);
        return 0;
}

void reconcile_set_put_started(Reconcile *r, ReconcilePutStartedCallback cb) {
        if (r)
                r->put_started = cb;
}

void reconcile_set_gate(Reconcile *r, ReconcileGate gate) {
        if (r)
                r->gate = gate;
}

void reconcile_set_fence(Reconcile *r, ReconcileGate fence) {
        if (r)
                r->fence = fence;
}

bool reconcile_is_waiting(const Reconcile *r) {
        return r && r->waiting;
}

bool reconcile_put_in_flight(const Reconcile *r) {
        return r && r->put_in_flight;
}

Diff *reconcile_get_diff(const Reconcile *r) {
        return r ? r->diff : NULL;
}

void reconcile_cancel(Reconcile *r) {
        if (!r)
                return;
        if (r->waiting)
                r->cancelled = true; /* finished when the gate resumes it */
        if (r->call)
                cloud_call_cancel(r->call);
}

int reconcile_delete(CloudClient *client, const ResourceSpec *spec, CloudDoneCallback cb,
                     void *userdata, CloudCall **ret_call) {
        CloudTarget t;

        resource_spec_to_target(spec, &t);
        return cloud_delete(client, &t, cb, userdata, ret_call);
}
