/* SPDX-License-Identifier: MIT */
#pragma once

/* The cloud accounts of a daemon configuration (DESIGN.md §5), ready to be called: per account
 * a CredentialProvider (clouds/credentials/credentials.h) and a CloudClient (clouds/cloud.h) built from its
 * endpoint override, region, accountId, api (fc3 | fc2), projectId and caFile. Shared by the
 * CLI (plan, apply, import) and the daemon.
 *
 * An account whose credentials cannot be resolved, or whose client cannot be built, is not a
 * failure of the whole set: it is kept with an error message (never containing a secret), and
 * every resource of it fails with that message (class AUTH), while the other accounts work.
 *
 * Metadata credentials are fetched asynchronously: until the first fetch completes, a request
 * of that account fails to start with -EAGAIN (the caller retries with backoff). */

#include <systemd/sd-event.h>

#include "clouds/cloud.h"
#include "clouds/credentials/credentials.h"
#include "lib/http.h"
#include "reconciler/spec/daemon-config.h"
#include "reconciler/spec/spec.h"

typedef struct Account {
        const AccountConfig *config; /* borrowed from the DaemonConfig */
        CredentialProvider *credentials;
        CloudClient *client; /* NULL when error is set */
        char *error;         /* why the account is unusable ("account 'x': ..."), or NULL */
} Account;

typedef struct AccountSet {
        Account *accounts; /* in the order of the configuration */
        size_t n_accounts;
} AccountSet;

/* Builds one account (credentials resolved, client built) into *ret; an unusable account is
 * still 0, with ret->error set. event, http and cfg must outlive it. 0 or -ENOMEM (then *ret
 * holds what was built: release it with account_done()). */
int account_open(sd_event *event, HttpEngine *http, const AccountConfig *cfg, Account *ret);
void account_done(Account *a);

/* Builds every account of config. config, event and http must outlive the set. Returns 0 (also
 * when some accounts are unusable: see Account.error), -ENOMEM. */
int account_set_new(sd_event *event, HttpEngine *http, const DaemonConfig *config,
                    AccountSet **ret);
AccountSet *account_set_free(AccountSet *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(AccountSet *, account_set_free);

/* The account named name, or NULL. */
Account *account_set_find(const AccountSet *s, const char *name);

/* The cloud address of a loaded (normalised) resource: its canonical function (the ARN when
 * the document named one, FunctionId.target) and qualifier, borrowed from spec. */
void resource_spec_to_target(const ResourceSpec *spec, CloudTarget *ret);
