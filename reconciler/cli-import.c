/* SPDX-License-Identifier: MIT */
#include "lib/log.h"
#include "reconciler/accounts.h"
#include "reconciler/cli-import.h"
#include "reconciler/emit.h"
#include "reconciler/identity.h"
#include "reconciler/tfstate.h"

/* ---- from the cloud ----------------------------------------------------------------- */

typedef struct ImportCall {
        sd_event *event;
        CloudError error;
        bool absent; /* GET: no config */
        CloudConfigList list;
} ImportCall;

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
        (void) sd_event_exit(c->event, 0);
}

static void on_list(CloudCall *call, const CloudError *error, const CloudConfigList *list,
                    void *userdata) {
        ImportCall *c = userdata;

        if (error->class != CLOUD_ERROR_NONE)
                import_keep_error(c, error);
        else if (cloud_config_list_take(&c->list, (CloudConfigList *) list) < 0)
                c->error.class = CLOUD_ERROR_TRANSIENT, c->error.error = -ENOMEM;
        (void) sd_event_exit(c->event, 0);
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
        return sd_event_loop(c->event);
}

static int emit_list(const CliImportOptions *o, const AccountConfig *acc, const FunctionId *id,
                     const CloudConfigList *list) {
        EmitResource *res = calloc(list->n_items ?: 1, sizeof(EmitResource));
        _cleanup_free_ char *yaml = NULL;
        size_t n = 0;
        int r = 0;

        if (!res)
                return -ENOMEM;
        for (size_t i = 0; i < list->n_items && r >= 0; i++) {
                const CloudQualifiedConfig *q = &list->items[i];
                EmitResource *e = &res[n++];
                e->provider = acc->provider;
                e->account = strdup(acc->name);
                e->function = strdup(id->function);
                e->qualifier = strdup(q->qualifier ?: id->qualifier);
                if (!e->account || !e->function || !e->qualifier)
                        r = -ENOMEM;
                else
                        r = async_config_copy(&e->config, &q->config);
        }
        if (r >= 0)
                r = emit_yaml(res, n, &yaml);
        emit_resource_array_free(res, n);
        if (r < 0)
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
                fprintf(o->err, "%s: error: no account '%s' in the configuration\n",
                        config->path, o->account);
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
                fprintf(o->err, "error: account '%s' uses api %s, but '%s' is spelled for %s "
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

static int import_report(const CliImportOptions *o, const AccountConfig *acc,
                         const FunctionId *id, bool one, ImportCall *c) {
        _cleanup_free_ char *detail = NULL;

        if (c->error.class != CLOUD_ERROR_NONE) {
                if (cloud_error_format(&c->error, &detail) < 0)
                        return -ENOMEM;
                fprintf(o->err, "error: %s of function '%s' in account '%s' failed: %s\n",
                        one ? "reading the config" : "listing the configs", o->function,
                        acc->name, detail);
                return 1;
        }
        if (c->absent || c->list.n_items == 0) {
                if (one)
                        fprintf(o->err, "function '%s' has no async-invocation config for "
                                        "qualifier '%s' in account '%s'\n",
                                o->function, id->qualifier, acc->name);
                else
                        fprintf(o->err, "function '%s' has no async-invocation config in "
                                        "account '%s'\n",
                                o->function, acc->name);
                return one ? 1 : 0;
        }
        fprintf(o->err, "imported %zu config%s of '%s' from account '%s'\n", c->list.n_items,
                c->list.n_items == 1 ? "" : "s", o->function, acc->name);
        return emit_list(o, acc, id, &c->list);
}

/* Whether the function's spelling carries a version or alias (identity.h's forms): AWS
 * name:q, 123456789012:function:name:q, arn:aws:lambda:r:a:function:name:q; a Huawei URN with
 * its eighth part. Alibaba names never do. */
static bool function_spells_qualifier(Provider p, const char *function) {
        size_t colons = cloud_count_char(function, ':');

        switch (p) {
        case PROVIDER_AWS:
                return startswith(function, "arn:") ? colons >= 7
                       : strstr(function, ":function:") ? colons >= 3
                                                        : colons >= 1;
        case PROVIDER_HUAWEICLOUD:
                return colons >= 7;
        default:
                return false;
        }
}

static int import_with_config(const CliImportOptions *o, const DaemonConfig *config) {
        const AccountConfig *acc = NULL;
        _cleanup_(function_id_done) FunctionId id = {};
        ImportCall c = {};
        HttpEngine *http = NULL;
        Account account = {};
        bool one;
        int r;

        r = import_check_args(o, config, &acc, &id);
        if (r != 0)
                return r;
        /* A qualifier spelled in the function (name:alias, a versioned URN) counts as given. */
        one = o->qualifier || function_spells_qualifier(acc->provider, o->function);
        r = sd_event_new(&c.event);
        if (r < 0)
                return r;
        r = http_engine_new(c.event, NULL, &http);
        if (r >= 0)
                r = account_open(c.event, http, acc, &account);
        if (r >= 0 && account.error) {
                fprintf(o->err, "error: %s\n", account.error);
                r = 1;
        } else if (r >= 0) {
                r = import_call(&account, &id, one, &c);
                if (r < 0)
                        fprintf(o->err, "error: cannot call account '%s': %s\n", acc->name,
                                strerror(-r));
                r = r < 0 ? 1 : import_report(o, acc, &id, one, &c);
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
