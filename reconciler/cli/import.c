/* SPDX-License-Identifier: MIT */
#include "lib/log.h"
#include "lib/ratelimit.h"
#include "lib/time-util.h"
#include "reconciler/core/accounts.h"
#include "reconciler/cli/import.h"
#include "reconciler/cli/emit.h"
#include "clouds/function-id.h"
#include "reconciler/cli/tfstate.h"
#include "reconciler/core/user-agent.h"

/* ---- from the cloud ----------------------------------------------------------------- */

/* The account's rateLimit over import's requests: every request, each page of a list too,
 * takes a token (DESIGN.md §3.8), through the client's gate. Import sends one request at a
 * time, so at most one call is held. */
typedef struct ImportPace {
        sd_event *event;
        RateLimit limit;
        CloudCall *held;
} ImportPace;

static int import_pace_arm(ImportPace *p, usec_t wait);

static int on_pace(sd_event_source *s, uint64_t usec, void *userdata) {
        ImportPace *p = userdata;
        usec_t wait = ratelimit_take(&p->limit, now(CLOCK_MONOTONIC));

        if (wait > 0 && import_pace_arm(p, wait) >= 0)
                return 0;
        cloud_call_resume(TAKE_PTR(p->held));
        return 0;
}

/* A floating timer: the loop owns it and frees it with itself. */
static int import_pace_arm(ImportPace *p, usec_t wait) {
        return sd_event_add_time_relative(p->event, NULL, CLOCK_MONOTONIC, wait, 1, on_pace, p);
}

static int import_gate(CloudCall *call, void *userdata) {
        ImportPace *p = userdata;
        usec_t wait = ratelimit_take(&p->limit, now(CLOCK_MONOTONIC));

        if (wait == 0 || import_pace_arm(p, wait) < 0)
                return 0; /* a token, or no timer: sent now rather than never */
        p->held = call;
        return 1;
}

static int import_pace_init(ImportPace *p, sd_event *event, const AccountConfig *acc,
                            CloudClient *client) {
        int r;

        p->event = event;
        r = ratelimit_init(&p->limit, acc->rate_qps, MAX(acc->rate_burst, 1u),
                           now(CLOCK_MONOTONIC));
        if (r < 0)
                return r;
        cloud_client_set_gate(client, import_gate, p);
        return 0;
}

typedef struct ImportCall {
        sd_event *event;
        CloudError error;
        bool absent; /* GET: no config */
        bool done;   /* the callback ran */
        CloudConfigList list;
} ImportCall;

/* Runs the loop until the call's callback has run: import makes several calls one after the
 * other on one loop, so the callbacks mark the call done rather than exit the loop. */
static int import_wait(ImportCall *c) {
        while (!c->done) {
                int r = sd_event_run(c->event, UINT64_MAX);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void import_keep_error(ImportCall *c, const CloudError *error) {
        if (cloud_error_copy(&c->error, error) < 0)
                c->error.class = error->class;
}

static void on_get(CloudCall *call, const CloudError *error, const AsyncConfig *config,
                   void *userdata) {
        ImportCall *c = userdata;

        if (error->class == CLOUD_ERROR_CONFIG_ABSENT)
                c->absent = true;
        else if (error->class != CLOUD_ERROR_NONE)
                import_keep_error(c, error);
        else {
                c->list.items = calloc(1, sizeof(CloudQualifiedConfig));
                if (!c->list.items || async_config_copy(&c->list.items[0].config, config) < 0)
                        c->error.class = CLOUD_ERROR_TRANSIENT, c->error.error = -ENOMEM;
                else
                        c->list.n_items = 1;
        }
        c->done = true;
}

static void on_list(CloudCall *call, const CloudError *error, const CloudConfigList *list,
                    void *userdata) {
        ImportCall *c = userdata;

        if (error->class != CLOUD_ERROR_NONE)
                import_keep_error(c, error);
        else if (cloud_config_list_take(&c->list, (CloudConfigList *) list) < 0)
                c->error.class = CLOUD_ERROR_TRANSIENT, c->error.error = -ENOMEM;
        c->done = true;
}

/* Runs one GET (qualifier given) or LIST on the account's client. 0 (outcome in c) or a
 * negative errno when the call could not start. */
static int import_call(const Account *a, const FunctionId *id, bool one, ImportCall *c) {
        CloudTarget t = { .function = id->target ?: id->function,
                          .qualifier = one ? id->qualifier : NULL };
        int r;

        r = one ? cloud_get(a->client, &t, on_get, c, NULL)
                : cloud_list(a->client, &t, on_list, c, NULL);
        if (r < 0)
                return r;
        r = import_wait(c);
        /* A GET's item is of the qualifier asked for. */
        if (r >= 0 && one && c->list.n_items == 1 &&
            !(c->list.items[0].qualifier = strdup(id->qualifier)))
                return -ENOMEM;
        return r;
}

/* ---- when a list does not say which qualifier a config is of ------------------------ */

/* Import never guesses (DESIGN.md §3.12): when a list item does not say its version or alias
 * (FC3's documented bare functionArn, moto's unqualified Lambda FunctionArn), the function's
 * versions and aliases are listed and the config of each of them, and of the default
 * qualifier, is read by GET, which names its qualifier. What exists is imported, once. If
 * that finds fewer configs than the list holds, some config is of a qualifier no list names
 * (an alias deleted with its config left behind): nothing is imported. */

static size_t list_count_unknown(const CloudConfigList *l) {
        size_t n = 0;

        for (size_t i = 0; i < l->n_items; i++)
                n += !l->items[i].qualifier;
        return n;
}

/* Appends qualifier to the candidates unless it is there already. 0 or -ENOMEM. */
static int candidates_add(CloudConfigList *cand, const char *qualifier) {
        CloudConfigList one = {};
        int r;

        if (!qualifier || cloud_config_list_find(cand, qualifier))
                return 0;
        one.items = calloc(1, sizeof(CloudQualifiedConfig));
        if (!one.items || !(one.items[0].qualifier = strdup(qualifier))) {
                cloud_config_list_done(&one);
                return -ENOMEM;
        }
        one.n_items = 1;
        r = cloud_config_list_take(cand, &one);
        cloud_config_list_done(&one);
        return r;
}

static int candidates_add_list(CloudConfigList *cand, const CloudConfigList *l) {
        for (size_t i = 0; i < l->n_items; i++) {
                int r = candidates_add(cand, l->items[i].qualifier);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Lists the versions or aliases of the function into c (an empty ImportCall on c->event).
 * 0 (outcome in c) or a negative errno when the call could not start. */
static int import_list_qualifiers(const Account *a, const FunctionId *id, CloudOp op,
                                  ImportCall *c) {
        CloudTarget t = { .function = id->function };
        int r;

        r = cloud_list_qualifiers(a->client, op, &t, on_list, c, NULL);
        if (r < 0)
                return r;
        return import_wait(c);
}

/* The default qualifier, every qualifier the list names, every version and alias. 0, or the
 * failed ImportCall's error in *failed (class set), or a negative errno. */
static int import_candidates(const Account *a, const FunctionId *id, const CloudConfigList *list,
                             sd_event *event, CloudConfigList *cand, CloudError *failed) {
        static const CloudOp ops[] = { CLOUD_OP_LIST_VERSIONS, CLOUD_OP_LIST_ALIASES };
        int r;

        r = candidates_add(cand, cloud_client_get_ops(a->client)->default_qualifier);
        if (r >= 0)
                r = candidates_add_list(cand, list);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(ops); i++) {
                ImportCall c = { .event = event };

                r = import_list_qualifiers(a, id, ops[i], &c);
                if (r >= 0 && c.error.class != CLOUD_ERROR_NONE) {
                        *failed = c.error;
                        c.error = (CloudError){};
                        cloud_config_list_done(&c.list);
                        return 0;
                }
                if (r >= 0)
                        r = candidates_add_list(cand, &c.list);
                cloud_config_list_done(&c.list);
        }
        return r;
}

/* GETs the config of every candidate into found (the qualifier set on each). A candidate
 * without a config, or whose version or alias is gone by now, is skipped. 0, the first other
 * failure in *failed, or a negative errno. */
static int import_get_candidates(const Account *a, const FunctionId *id,
                                 const CloudConfigList *cand, sd_event *event,
                                 CloudConfigList *found, CloudError *failed) {
        for (size_t i = 0; i < cand->n_items; i++) {
                CloudTarget t = { .function = id->function, .qualifier = cand->items[i].qualifier };
                ImportCall c = { .event = event };
                int r;

                r = cloud_get(a->client, &t, on_get, &c, NULL);
                if (r >= 0)
                        r = import_wait(&c);
                if (r >= 0 && c.error.class == CLOUD_ERROR_FUNCTION_ABSENT)
                        cloud_error_done(&c.error);
                if (r >= 0 && c.error.class != CLOUD_ERROR_NONE) {
                        *failed = c.error;
                        return 0;
                }
                if (r >= 0 && c.list.n_items == 1 &&
                    !(c.list.items[0].qualifier = strdup(t.qualifier)))
                        r = -ENOMEM;
                if (r >= 0)
                        r = cloud_config_list_take(found, &c.list);
                cloud_config_list_done(&c.list);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int import_report_ambiguous(const CliImportOptions *o, const AccountConfig *acc,
                                   const CloudConfigList *list, const CloudError *failed,
                                   size_t n_found) {
        _cleanup_free_ char *detail = NULL;
        size_t unknown = list_count_unknown(list);

        fprintf(o->err,
                "error: the list of async-invocation configs of function '%s' in account "
                "'%s' does not say which version or alias %zu of its %zu config%s belong%s "
                "to, ",
                o->function, acc->name, unknown, list->n_items, list->n_items == 1 ? "" : "s",
                unknown == 1 ? "s" : "");
        if (failed->class != CLOUD_ERROR_NONE) {
                if (cloud_error_format(failed, &detail) < 0)
                        return -ENOMEM;
                fprintf(o->err, "and reading its versions and aliases failed: %s;", detail);
        } else
                fprintf(o->err,
                        "and reading the config of each of its versions and aliases "
                        "found only %zu;",
                        n_found);
        fprintf(o->err, " nothing imported (import each with --qualifier)\n");
        return 1;
}

/* Replaces c->list, which has items without a qualifier, by the configs read per qualifier.
 * 0, 1 (ambiguous; printed), or a negative errno. */
static int import_resolve_qualifiers(const CliImportOptions *o, const AccountConfig *acc,
                                     const Account *a, const FunctionId *id, ImportCall *c) {
        _cleanup_(cloud_config_list_done) CloudConfigList cand = {}, found = {};
        _cleanup_(cloud_error_done) CloudError failed = {};
        int r;

        r = import_candidates(a, id, &c->list, c->event, &cand, &failed);
        if (r >= 0 && failed.class == CLOUD_ERROR_NONE)
                r = import_get_candidates(a, id, &cand, c->event, &found, &failed);
        if (r < 0)
                return r;
        if (failed.class != CLOUD_ERROR_NONE || found.n_items < c->list.n_items)
                return import_report_ambiguous(o, acc, &c->list, &failed, found.n_items);
        cloud_config_list_done(&c->list);
        c->list = found;
        found = (CloudConfigList){};
        return 0;
}

/* The index of an earlier identity equal to ids[k] (DESIGN.md §2), or -1. */
static int import_find_same(const FunctionId *ids, size_t k) {
        for (size_t j = 0; j < k; j++)
                if (function_id_same(&ids[j], &ids[k]))
                        return (int) j;
        return -1;
}

/* Whether two configs of one cloud are the same: their PUT bodies are equal. */
static int import_config_same(const CloudOps *ops, const AsyncConfig *a, const AsyncConfig *b) {
        _cleanup_free_ char *x = NULL, *y = NULL;
        size_t nx, ny;
        int r;

        r = ops->serialize_config(a, &x, &nx);
        if (r >= 0)
                r = ops->serialize_config(b, &y, &ny);
        if (r < 0)
                return r;
        return nx == ny && memcmp(x, y, nx) == 0;
}

/* The last safety net of DESIGN.md §3.12: never two documents with one identity. A repeated
 * identity with the same config is dropped; with a different one, nothing is imported. 0, 1
 * (printed), -ENOMEM. */
static int import_dedupe(const CliImportOptions *o, const AccountConfig *acc, EmitResource *res,
                         size_t *n) {
        const CloudOps *ops = cloud_ops_from_api(acc->api);
        FunctionId *ids = calloc(*n ?: 1, sizeof(FunctionId));
        size_t k = 0;
        int r = 0;

        if (!ids)
                return -ENOMEM;
        for (size_t i = 0; i < *n && r == 0; i++) {
                _cleanup_free_ char *msg = NULL;
                int j;

                r = function_id_parse(acc->provider, res[i].function, res[i].qualifier, &ids[k],
                                      &msg);
                if (r < 0) {
                        if (r != -ENOMEM)
                                fprintf(o->err,
                                        "error: the cloud named a qualifier asyncfg cannot "
                                        "write: %s\n",
                                        strna(msg));
                        r = r == -ENOMEM ? r : 1;
                        break;
                }
                j = import_find_same(ids, k);
                if (j < 0) {
                        EmitResource t = res[k];
                        res[k++] = res[i];
                        res[i] = t;
                        continue;
                }
                function_id_done(&ids[k]);
                r = import_config_same(ops, &res[j].config, &res[i].config);
                if (r == 0) {
                        fprintf(o->err,
                                "error: the cloud answered two different configs for "
                                "function '%s' qualifier '%s' in account '%s'; nothing "
                                "imported\n",
                                res[i].function, res[i].qualifier, acc->name);
                        r = 1;
                } else if (r > 0)
                        r = 0;
        }
        for (size_t i = 0; i < k; i++)
                function_id_done(&ids[i]);
        free(ids);
        /* Dropped duplicates sit past k and are freed with the array. */
        if (r == 0)
                *n = k;
        return r;
}

static int emit_list(const CliImportOptions *o, const AccountConfig *acc, const FunctionId *id,
                     const CloudConfigList *list) {
        EmitResource *res = calloc(list->n_items ?: 1, sizeof(EmitResource));
        _cleanup_free_ char *yaml = NULL;
        size_t n = 0, n_emit;
        int r = 0;

        if (!res)
                return -ENOMEM;
        for (size_t i = 0; i < list->n_items && r >= 0; i++) {
                const CloudQualifiedConfig *q = &list->items[i];
                EmitResource *e = &res[n++];
                e->provider = acc->provider;
                e->account = strdup(acc->name);
                e->function = strdup(id->function);
                e->qualifier = q->qualifier ? strdup(q->qualifier) : NULL;
                if (!e->account || !e->function || !e->qualifier)
                        r = -ENOMEM; /* a qualifier the cloud did not say never gets here */
                else
                        r = async_config_copy(&e->config, &q->config);
        }
        n_emit = n;
        if (r >= 0)
                r = import_dedupe(o, acc, res, &n_emit);
        if (r == 0) {
                fprintf(o->err, "imported %zu config%s of '%s' from account '%s'\n", n_emit,
                        n_emit == 1 ? "" : "s", o->function, acc->name);
                r = emit_yaml(res, n_emit, &yaml);
        }
        emit_resource_array_free(res, n);
        if (r != 0)
                return r;
        fputs(yaml, o->out);
        return 0;
}

/* A function ARN/URN of another region, account or project is not the account's: never
 * called (DESIGN.md §3.12). 0, 1 (printed), -ENOMEM. */
static int import_check_target(const CliImportOptions *o, const AccountConfig *acc) {
        const CloudOps *ops = cloud_ops_from_api(acc->api);
        _cleanup_free_ char *msg = NULL;
        CloudAccount ca;
        int r;

        account_config_to_cloud(acc, &ca);
        r = ops && ops->check_target ? ops->check_target(&ca, o->function, &msg) : 0;
        if (r == -ENOMEM || (r < 0 && !msg))
                return -ENOMEM;
        if (r < 0)
                fprintf(o->err, "error: %s\n", msg);
        return r < 0 ? 1 : 0;
}

/* The checks the loader makes, so that what is imported also loads. 0, or 1 (printed). */
static int import_check_args(const CliImportOptions *o, const DaemonConfig *config,
                             const AccountConfig **ret_acc, FunctionId *ret_id) {
        const AccountConfig *acc = daemon_config_find_account(config, o->account);
        _cleanup_free_ char *msg = NULL;
        int r;

        if (!acc) {
                fprintf(o->err, "%s: error: no account '%s' in the configuration\n", config->path,
                        o->account);
                return 1;
        }
        r = function_id_parse(acc->provider, o->function, o->qualifier, ret_id, &msg);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                fprintf(o->err, "error: %s\n", strna(msg));
                return 1;
        }
        if (acc->provider == PROVIDER_ALICLOUD && ret_id->api != acc->api) {
                fprintf(o->err,
                        "error: account '%s' uses api %s, but '%s' is spelled for %s "
                        "(FC2 functions are \"service/function\")\n",
                        acc->name, cloud_api_to_string(acc->api), o->function,
                        cloud_api_to_string(ret_id->api));
                function_id_done(ret_id);
                return 1;
        }
        r = import_check_target(o, acc);
        if (r != 0) {
                function_id_done(ret_id);
                return r;
        }
        *ret_acc = acc;
        return 0;
}

static int import_report(const CliImportOptions *o, const AccountConfig *acc, const FunctionId *id,
                         bool one, ImportCall *c) {
        _cleanup_free_ char *detail = NULL;

        if (c->error.class != CLOUD_ERROR_NONE) {
                if (cloud_error_format(&c->error, &detail) < 0)
                        return -ENOMEM;
                fprintf(o->err, "error: %s of function '%s' in account '%s' failed: %s\n",
                        one ? "reading the config" : "listing the configs", o->function, acc->name,
                        detail);
                return 1;
        }
        if (c->absent || c->list.n_items == 0) {
                if (one)
                        fprintf(o->err,
                                "function '%s' has no async-invocation config for "
                                "qualifier '%s' in account '%s'\n",
                                o->function, id->qualifier, acc->name);
                else
                        fprintf(o->err,
                                "function '%s' has no async-invocation config in "
                                "account '%s'\n",
                                o->function, acc->name);
                return one ? 1 : 0;
        }
        return emit_list(o, acc, id, &c->list);
}

/* Whether the function's spelling carries a version or alias (identity.h's forms): AWS
 * name:q, 123456789012:function:name:q, arn:aws:lambda:r:a:function:name:q; a Huawei URN with
 * its eighth part. Alibaba names never do. */
static int import_with_config(const CliImportOptions *o, const DaemonConfig *config) {
        const AccountConfig *acc = NULL;
        _cleanup_(function_id_done) FunctionId id = {};
        ImportCall c = {};
        ImportPace pace = {};
        HttpEngine *http = NULL;
        Account account = {};
        bool one;
        int r;

        r = import_check_args(o, config, &acc, &id);
        if (r != 0)
                return r;
        /* A qualifier spelled in the function (name:alias, a versioned URN) counts as given. */
        one = o->qualifier || id.qualifier_spelled;
        r = sd_event_new(&c.event);
        if (r < 0)
                return r;
        r = http_engine_new(c.event, &(HttpEngineOptions){ .user_agent = ASYNCFG_USER_AGENT },
                            &http);
        if (r >= 0)
                r = account_open(c.event, http, acc, &account);
        if (r >= 0 && account.error) {
                fprintf(o->err, "error: %s\n", account.error);
                r = 1;
        } else if (r >= 0) {
                r = import_pace_init(&pace, c.event, acc, account.client);
                if (r >= 0)
                        r = import_call(&account, &id, one, &c);
                if (r < 0)
                        fprintf(o->err, "error: cannot call account '%s': %s\n", acc->name,
                                strerror(-r));
                else if (c.error.class == CLOUD_ERROR_NONE && list_count_unknown(&c.list) > 0) {
                        r = import_resolve_qualifiers(o, acc, &account, &id, &c);
                        if (r < 0)
                                fprintf(o->err,
                                        "error: cannot read the versions and aliases of "
                                        "'%s' in account '%s': %s\n",
                                        o->function, acc->name, strerror(-r));
                }
                r = r < 0 ? 1 : r > 0 ? r : import_report(o, acc, &id, one, &c);
        }
        http_engine_free(http);
        account_done(&account);
        cloud_config_list_done(&c.list);
        cloud_error_done(&c.error);
        sd_event_unref(c.event);
        return r;
}

int cli_import_cloud(const CliImportOptions *o) {
        _cleanup_(daemon_config_freep) DaemonConfig *config = NULL;
        DiagList diags;
        int r;

        diag_list_init(&diags);
        r = daemon_config_load(o->config_path, &diags, &config);
        diag_list_print(&diags, o->err);
        diag_list_done(&diags);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 1;
        return import_with_config(o, config);
}

/* ---- from Terraform state ----------------------------------------------------------- */

int cli_import_tfstate(const char *path, FILE *out, FILE *err) {
        _cleanup_(tfstate_import_freep) TfStateImport *t = NULL;
        _cleanup_free_ char *yaml = NULL;
        DiagList diags;
        int r;

        diag_list_init(&diags);
        r = tfstate_parse_file(path, &diags, &t);
        diag_list_print(&diags, err);
        diag_list_done(&diags);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 1;
        r = tfstate_import_to_yaml(t, &yaml);
        if (r < 0)
                return r;
        fputs(yaml, out);
        fprintf(err, "%s: %zu resource%s imported, %zu skipped (other resource types)\n", path,
                t->n_resources, t->n_resources == 1 ? "" : "s", t->n_skipped);
        for (size_t i = 0; i < t->n_skipped; i++)
                fprintf(err, "  skipped %s\n", t->skipped[i]);
        return 0;
}
