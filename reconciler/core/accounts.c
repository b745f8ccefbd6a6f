/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "reconciler/core/accounts.h"

void resource_spec_to_target(const ResourceSpec *spec, CloudTarget *ret) {
        *ret = (CloudTarget){
                .function = spec->id.target ?: spec->id.function,
                .qualifier = spec->id.qualifier,
        };
}

/* The one place that names the account in what is wrong with it: the credential providers'
 * messages (detail) do not, and whoever reports a->error adds no name of its own. */
static int account_fail(Account *a, const char *what, const char *detail) {
        free(a->error);
        if (asprintf(&a->error, "account '%s': %s%s%s", a->config->name, what, detail ? ": " : "",
                     detail ?: "") < 0) {
                a->error = NULL;
                return -ENOMEM;
        }
        return 0;
}

int account_open(sd_event *event, HttpEngine *http, const AccountConfig *cfg, Account *a) {
        CredentialConfig cc = {
                .provider = cfg->provider,
                .account = cfg->name,
                .source = cfg->credential_source,
                .path = cfg->credentials_path,
        };
        CloudAccount ca;
        int r;

        *a = (Account){ .config = cfg };
        r = credential_provider_new(event, http, &cc, &a->credentials);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return account_fail(a, "credentials", strerror(-r));
        r = credential_provider_start(a->credentials);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                /* The provider's message names the source and the key, never a value. */
                return account_fail(a, "no usable credentials",
                                    credential_provider_error(a->credentials) ?: strerror(-r));

        account_config_to_cloud(cfg, &ca);
        ca.credentials = cloud_credentials_from_provider;
        ca.credentials_userdata = a->credentials;
        r = cloud_client_new(http, &ca, &a->client);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return account_fail(a, "cannot build a client (endpoint, region or ids)",
                                    strerror(-r));
        return 0;
}

int account_set_new(sd_event *event, HttpEngine *http, const DaemonConfig *config,
                    AccountSet **ret) {
        _cleanup_(account_set_freep) AccountSet *s = calloc(1, sizeof(AccountSet));
        int r;

        if (!s)
                return -ENOMEM;
        s->accounts = calloc(config->n_accounts ?: 1, sizeof(Account));
        if (!s->accounts)
                return -ENOMEM;
        for (size_t i = 0; i < config->n_accounts; i++) {
                s->n_accounts++;
                r = account_open(event, http, &config->accounts[i], &s->accounts[i]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

void account_done(Account *a) {
        if (!a)
                return;
        a->client = cloud_client_unref(a->client);
        a->credentials = credential_provider_free(a->credentials);
        free(a->error);
        a->error = NULL;
}

AccountSet *account_set_free(AccountSet *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_accounts; i++)
                account_done(&s->accounts[i]);
        free(s->accounts);
        free(s);
        return NULL;
}

Account *account_set_find(const AccountSet *s, const char *name) {
        for (size_t i = 0; s && name && i < s->n_accounts; i++)
                if (streq(s->accounts[i].config->name, name))
                        return &s->accounts[i];
        return NULL;
}
