/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "clouds/cloud.h"
#include "reconciler/spec/daemon-config.h"
#include "reconciler/spec/limits.h"
#include "reconciler/spec/schema.h"
#include "reconciler/spec/yaml-tree.h"

#include "lib/string-table.h"

#define DEFAULT_DESIRED_DIR "/etc/asyncfg/desired.d"
#define DEFAULT_STATE_DIR "/var/lib/asyncfg"
#define DEFAULT_LISTEN "127.0.0.1:9733"
#define DEFAULT_RESYNC (5 * USEC_PER_MINUTE)
#define DEFAULT_ORPHAN_RETENTION (24 * USEC_PER_HOUR)
#define DEFAULT_CONCURRENCY 32u
#define DEFAULT_BACKOFF_BASE USEC_PER_SEC
#define DEFAULT_BACKOFF_CAP (5 * USEC_PER_MINUTE)
#define DEFAULT_QPS 10.0
#define DEFAULT_BURST 20u
#define MAX_ACCOUNTS 1000u
#define MAX_ALERTS 100u

static const char *const alert_type_table[] = {
        [ALERT_TYPE_WEBHOOK] = "webhook",
        [ALERT_TYPE_SLACK] = "slack",
        [ALERT_TYPE_ALERTMANAGER] = "alertmanager",
        NULL,
};

/* What "api:" accepts: alicloud's two APIs (the others are implied by the provider). */
static const char *const alicloud_api_names[] = { "fc3", "fc2", NULL };

DEFINE_STRING_TABLE_LOOKUP(alert_type, AlertType);

static void account_config_done(AccountConfig *a) {
        free(a->name);
        free(a->region);
        free(a->endpoint);
        free(a->credentials_path);
        free(a->account_id);
        free(a->project_id);
        free(a->ca_file);
}

static void alert_config_done(AlertConfig *a) {
        free(a->name);
        free(a->url);
        free(a->secret);
}

DaemonConfig *daemon_config_free(DaemonConfig *c) {
        if (!c)
                return NULL;
        free(c->path);
        free(c->desired_dir);
        free(c->state_dir);
        free(c->listen);
        for (size_t i = 0; i < c->n_accounts; i++)
                account_config_done(&c->accounts[i]);
        free(c->accounts);
        for (size_t i = 0; i < c->n_alerts; i++)
                alert_config_done(&c->alerts[i]);
        free(c->alerts);
        web_config_done(&c->web);
        cluster_config_free(c->cluster);
        free(c);
        return NULL;
}

int parse_listen_address(const char *s, char **ret_host, unsigned *ret_port) {
        const char *colon, *host_end, *host = s;
        char *end;
        unsigned long port;

        if (s[0] == '[') {
                host_end = strchr(s, ']');
                if (!host_end || host_end[1] != ':')
                        return -EINVAL;
                host = s + 1;
                colon = host_end + 1;
        } else {
                colon = strrchr(s, ':');
                if (!colon || memchr(s, ':', (size_t) (colon - s)))
                        return -EINVAL;
                host_end = colon;
        }
        if (host_end == host || !isdigit((unsigned char) colon[1]))
                return -EINVAL;
        errno = 0;
        port = strtoul(colon + 1, &end, 10);
        if (errno != 0 || *end || port < 1 || port > 65535)
                return -EINVAL;
        if (ret_host && !(*ret_host = strndup(host, (size_t) (host_end - host))))
                return -ENOMEM;
        if (ret_port)
                *ret_port = (unsigned) port;
        return 0;
}

/* ---- parsers specific to this file -------------------------------------------------------- */

static int parse_listen(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                        void *dest) {
        int r = schema_parse_string_empty_ok(ctx, node, f, dest);

        if (r < 0)
                return r;
        if (!isempty(*(char **) dest) && parse_listen_address(*(char **) dest, NULL, NULL) < 0)
                return yaml_error(ctx->diags, ctx->path, node,
                                  "'listen' must be HOST:PORT (port 1-65535) or \"\" to disable, "
                                  "got '%s'",
                                  *(char **) dest);
        return 0;
}

static int parse_url(SchemaContext *ctx, const YamlNode *node, const SchemaField *f, void *dest) {
        int r = schema_parse_string(ctx, node, f, dest);

        if (r < 0)
                return r;
        if (!startswith(*(char **) dest, "http://") && !startswith(*(char **) dest, "https://"))
                return yaml_error(ctx->diags, ctx->path, node,
                                  "'%s' must be an http:// or https:// URL", f->key);
        return 0;
}

int daemon_config_parse_name(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                             void *dest) {
        int r = schema_parse_string(ctx, node, f, dest);
        const char *s;

        if (r < 0)
                return r;
        s = *(char **) dest;
        /* Also a file name under $CREDENTIALS_DIRECTORY and a metric label value. */
        if (strlen(s) > 63 || s[0] == '.' || s[0] == '-' ||
            strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
                    strlen(s))
                return yaml_error(ctx->diags, ctx->path, node,
                                  "invalid %s '%s': use up to 63 letters, digits, '-', '_' or "
                                  "'.', not starting with '.' or '-'",
                                  f->key, s);
        return 0;
}

static int parse_digits(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                        void *dest) {
        int r = schema_parse_string(ctx, node, f, dest);

        if (r < 0)
                return r;
        if (strspn(*(char **) dest, "0123456789") != strlen(*(char **) dest))
                return yaml_error(ctx->diags, ctx->path, node,
                                  "'%s' must be a quoted string of digits", f->key);
        /* An AWS account id is checked against function ARNs: a wrong length never matches. */
        if (ctx->variant == PROVIDER_AWS && strlen(*(char **) dest) != 12)
                return yaml_error(ctx->diags, ctx->path, node,
                                  "'%s' of an aws account must be its 12-digit AWS account id",
                                  f->key);
        return 0;
}

static int parse_qps(SchemaContext *ctx, const YamlNode *node, const SchemaField *f, void *dest) {
        double v;

        if (!node || node->type != YAML_TREE_SCALAR ||
            (node->kind != YAML_KIND_INT && node->kind != YAML_KIND_FLOAT))
                return yaml_error(ctx->diags, ctx->path, node, "'%s' must be a number, got %s",
                                  f->key, yaml_node_describe(node));
        v = node->kind == YAML_KIND_INT ? (double) node->int_value : strtod(node->value, NULL);
        if (!(v > 0 && v <= 10000))
                return yaml_error(ctx->diags, ctx->path, node,
                                  "'%s' must be more than 0 and at most 10000", f->key);
        *(double *) dest = v;
        return 0;
}

static int parse_alicloud_api(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                              void *dest) {
        int i;
        SchemaField e = *f;

        e.data = alicloud_api_names;
        if (schema_parse_enum(ctx, node, &e, &i) < 0)
                return -EINVAL;
        *(CloudApi *) dest = i == 0 ? CLOUD_API_FC3 : CLOUD_API_FC2;
        return 0;
}

/* ---- tables -------------------------------------------------------------------------------- */

#define ACC(m) offsetof(AccountConfig, m)
#define ALICLOUD_ONLY (1u << PROVIDER_ALICLOUD)
#define HUAWEI_ONLY (1u << PROVIDER_HUAWEICLOUD)
#define AWS_ONLY (1u << PROVIDER_AWS)

static const SchemaField rate_limit_fields[] = {
        { "qps", parse_qps, 0 },
        { "burst", schema_parse_uint, ACC(rate_burst) - ACC(rate_qps), .min = 1, .max = 10000 },
        {}
};

typedef struct CredentialsYaml {
        int source;
        char *path;
} CredentialsYaml;

static const SchemaField credentials_fields[] = {
        { "source", schema_parse_enum, offsetof(CredentialsYaml, source), .required = true,
          .data = credential_source_table },
        { "path", schema_parse_string, offsetof(CredentialsYaml, path), .max = 4096 },
        {}
};

static int parse_credentials(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                             void *dest) {
        AccountConfig *a = dest;
        CredentialsYaml c = {};
        int r;

        r = schema_parse_mapping(ctx, node, "'credentials'", credentials_fields, &c, NULL);
        if (r >= 0 && c.source == CREDENTIAL_SOURCE_FILE && !c.path)
                r = yaml_error(ctx->diags, ctx->path, node,
                               "'credentials' with source file needs a 'path'");
        if (r >= 0 && c.source != CREDENTIAL_SOURCE_FILE && c.path)
                r = yaml_error(ctx->diags, ctx->path, schema_locate(node, "path"),
                               "'path' is only valid with source file");
        if (r < 0) {
                free(c.path);
                return r;
        }
        a->credential_source = c.source;
        free(a->credentials_path);
        a->credentials_path = c.path;
        return 0;
}

static const SchemaField account_fields[] = {
        { "name", daemon_config_parse_name, ACC(name), .required = true },
        { "provider", schema_parse_enum, ACC(provider), .required = true, .data = provider_table },
        { "region", schema_parse_string, ACC(region), .required = true, .max = 64 },
        { "endpoint", parse_url, ACC(endpoint), .max = 1024 },
        { "rateLimit", schema_parse_mapping_field, ACC(rate_qps), .data = rate_limit_fields },
        { "credentials", parse_credentials, 0 },
        { "accountId", parse_digits, ACC(account_id), .variants = ALICLOUD_ONLY | AWS_ONLY,
          .max = 32 },
        { "api", parse_alicloud_api, ACC(api), .variants = ALICLOUD_ONLY },
        { "projectId", schema_parse_string, ACC(project_id), .required = true,
          .variants = HUAWEI_ONLY, .max = 64 },
        { "caFile", schema_parse_string, ACC(ca_file), .max = 4096 },
        {}
};

#define ALERT(m) offsetof(AlertConfig, m)
static const SchemaField alert_fields[] = {
        { "name", daemon_config_parse_name, ALERT(name), .required = true },
        { "type", schema_parse_enum, ALERT(type), .required = true, .data = alert_type_table },
        { "url", parse_url, ALERT(url), .required = true, .max = 4096 },
        { "secret", schema_parse_string, ALERT(secret), .max = 4096 },
        {}
};

static int account_check(SchemaContext *ctx, const YamlNode *node, const AccountConfig *a) {
        if (a->provider == PROVIDER_ALICLOUD && a->api == CLOUD_API_FC2 && !a->account_id)
                return yaml_error(ctx->diags, ctx->path, node,
                                  "account '%s' uses api fc2, which needs 'accountId' (the FC2 "
                                  "endpoint is ACCOUNTID.REGION.fc.aliyuncs.com)",
                                  strna(a->name));
        return 0;
}

static int parse_one_account(SchemaContext *ctx, const YamlNode *node, AccountConfig *a) {
        const char *p = yaml_node_string(yaml_node_get(node, "provider"));
        SchemaContext sub = *ctx;
        int r;

        sub.variant = provider_from_string(p);
        if (sub.variant < 0)
                sub.variant = -1;
        *a = (AccountConfig){
                .provider = sub.variant >= 0 ? (Provider) sub.variant : _PROVIDER_INVALID,
                /* The provider's default api (alicloud: FC3 unless 'api' says fc2). */
                .api = sub.variant >= 0 ? cloud_ops_from_provider(sub.variant)->api
                                        : _CLOUD_API_INVALID,
                .rate_qps = DEFAULT_QPS,
                .rate_burst = DEFAULT_BURST,
                .line = node ? node->line : 1,
                .column = node ? node->column : 1,
        };
        r = schema_parse_mapping(&sub, node, "account", account_fields, a, NULL);
        if (r >= 0)
                r = account_check(ctx, node, a);
        return r;
}

/* Later duplicates of a name are reported at their own name, pointing at the first. */
static int check_unique_names(SchemaContext *ctx, const YamlNode *seq, const char *what,
                              const char *const *names, size_t n) {
        int r = 0;

        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < i && names[i]; j++)
                        if (names[j] && streq(names[i], names[j])) {
                                const YamlNode *a = schema_locate(seq->items[j], "name");
                                r = yaml_error(ctx->diags, ctx->path,
                                               schema_locate(seq->items[i], "name"),
                                               "duplicate %s name '%s' (first at line %u, "
                                               "column %u)",
                                               what, names[i], a->line, a->column);
                                break;
                        }
        return r;
}

static int parse_accounts(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                          void *dest) {
        DaemonConfig *c = (DaemonConfig *) ((uint8_t *) dest - offsetof(DaemonConfig, accounts));
        _cleanup_free_ const char **names = NULL;
        bool bad = false;

        if (!node || node->type != YAML_TREE_SEQUENCE)
                return yaml_error(ctx->diags, ctx->path, node,
                                  "'accounts' must be a sequence, got %s",
                                  yaml_node_describe(node));
        if (node->n_items > MAX_ACCOUNTS)
                return yaml_error(ctx->diags, ctx->path, node, "too many accounts (limit %u)",
                                  MAX_ACCOUNTS);
        c->accounts = calloc(node->n_items, sizeof(AccountConfig));
        names = calloc(node->n_items + 1, sizeof(char *));
        if ((!c->accounts && node->n_items) || !names)
                return -ENOMEM;
        for (size_t i = 0; i < node->n_items; i++) {
                int r = parse_one_account(ctx, node->items[i], &c->accounts[i]);
                c->n_accounts++;
                if (r == -ENOMEM)
                        return r;
                bad = bad || r < 0;
                names[i] = c->accounts[i].name;
        }
        if (check_unique_names(ctx, node, "account", names, node->n_items) < 0)
                bad = true;
        return bad ? -EINVAL : 0;
}

static int parse_alerts(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                        void *dest) {
        DaemonConfig *c = (DaemonConfig *) ((uint8_t *) dest - offsetof(DaemonConfig, alerts));
        _cleanup_free_ const char **names = NULL;
        bool bad = false;

        if (!node || node->type != YAML_TREE_SEQUENCE)
                return yaml_error(ctx->diags, ctx->path, node,
                                  "'alerts' must be a sequence, got %s", yaml_node_describe(node));
        if (node->n_items > MAX_ALERTS)
                return yaml_error(ctx->diags, ctx->path, node, "too many alerts (limit %u)",
                                  MAX_ALERTS);
        c->alerts = calloc(node->n_items, sizeof(AlertConfig));
        names = calloc(node->n_items + 1, sizeof(char *));
        if ((!c->alerts && node->n_items) || !names)
                return -ENOMEM;
        for (size_t i = 0; i < node->n_items; i++) {
                AlertConfig *a = &c->alerts[i];
                a->line = node->items[i]->line;
                a->column = node->items[i]->column;
                int r = schema_parse_mapping(ctx, node->items[i], "alert", alert_fields, a, NULL);
                c->n_alerts++;
                if (r == -ENOMEM)
                        return r;
                /* Only the generic webhook signs; a secret elsewhere would be silently unused. */
                if (r >= 0 && a->secret && a->type != ALERT_TYPE_WEBHOOK)
                        r = yaml_error(ctx->diags, ctx->path,
                                       schema_locate(node->items[i], "secret"),
                                       "'secret' is only valid for type webhook");
                bad = bad || r < 0;
                names[i] = a->name;
        }
        if (check_unique_names(ctx, node, "alert", names, node->n_items) < 0)
                bad = true;
        return bad ? -EINVAL : 0;
}

typedef struct Backoff {
        usec_t base, cap;
} Backoff;

static const SchemaField backoff_fields[] = {
        { "base", schema_parse_duration, offsetof(Backoff, base), .min = (int64_t) USEC_PER_MSEC,
          .max = (int64_t) USEC_PER_HOUR },
        { "cap", schema_parse_duration, offsetof(Backoff, cap), .min = (int64_t) USEC_PER_MSEC,
          .max = (int64_t) USEC_PER_DAY },
        {}
};

static const SchemaField alerting_fields[] = {
        { "fireAfter", schema_parse_uint, offsetof(AlertPolicy, fire_after), .min = 1,
          .max = 1000 },
        { "errorAfter", schema_parse_uint, offsetof(AlertPolicy, error_after), .min = 1,
          .max = 1000 },
        { "remindEvery", schema_parse_duration, offsetof(AlertPolicy, remind_every),
          .min = (int64_t) USEC_PER_MINUTE, .max = (int64_t) (7 * USEC_PER_DAY) },
        {}
};

static const SchemaField limits_fields[] = { { "files", schema_parse_uint,
                                               offsetof(DaemonLimits, files), .min = 1,
                                               .max = LIMIT_FILES_MAX },
                                             {} };

#define CFG(m) offsetof(DaemonConfig, m)
static const SchemaField config_fields[] = {
        { "desiredDir", schema_parse_string, CFG(desired_dir), .max = 4096 },
        { "stateDir", schema_parse_string, CFG(state_dir), .max = 4096 },
        { "listen", parse_listen, CFG(listen), .max = 512 },
        { "resyncInterval", schema_parse_duration, CFG(resync_interval),
          .min = (int64_t) USEC_PER_SEC, .max = (int64_t) (7 * USEC_PER_DAY) },
        { "concurrency", schema_parse_uint, CFG(concurrency), .min = 1, .max = 4096 },
        { "backoff", schema_parse_mapping_field, CFG(backoff_base), .data = backoff_fields },
        { "orphanRetention", schema_parse_duration, CFG(orphan_retention), .min = 0,
          .max = (int64_t) (366 * USEC_PER_DAY) },
        { "accounts", parse_accounts, CFG(accounts), .required = true },
        { "alerts", parse_alerts, CFG(alerts) },
        { "alerting", schema_parse_mapping_field, CFG(alerting), .data = alerting_fields },
        { "limits", schema_parse_mapping_field, CFG(limits), .data = limits_fields },
        { "web", web_config_parse, CFG(web) },
        { "cluster", cluster_config_parse, CFG(cluster) },
        {}
};

static int config_set_defaults(DaemonConfig *c) {
        c->resync_interval = DEFAULT_RESYNC;
        c->concurrency = DEFAULT_CONCURRENCY;
        c->backoff_base = DEFAULT_BACKOFF_BASE;
        c->backoff_cap = DEFAULT_BACKOFF_CAP;
        c->alerting =
                (AlertPolicy){ .fire_after = 2, .error_after = 3, .remind_every = USEC_PER_HOUR };
        c->orphan_retention = DEFAULT_ORPHAN_RETENTION;
        c->limits.files = LIMIT_FILES;
        if (!(c->desired_dir = strdup(DEFAULT_DESIRED_DIR)) ||
            !(c->state_dir = strdup(DEFAULT_STATE_DIR)) || !(c->listen = strdup(DEFAULT_LISTEN)))
                return -ENOMEM;
        return 0;
}

int daemon_config_parse(const char *path, const void *data, size_t size, DiagList *diags,
                        DaemonConfig **ret) {
        _cleanup_(yaml_stream_freep) YamlStream *stream = NULL;
        _cleanup_(daemon_config_freep) DaemonConfig *c = NULL;
        SchemaContext ctx = {
                .path = path,
                .diags = diags,
                .variant = -1,
                .variant_kind = "provider",
                .variant_names = provider_table,
        };
        int r;

        r = yaml_tree_parse(path, data, size, diags, &stream);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return -EINVAL;
        if (stream->n_documents != 1)
                return yaml_error_at(diags, path,
                                     stream->n_documents ? stream->documents[1]->line : 1,
                                     stream->n_documents ? stream->documents[1]->column : 1,
                                     "the configuration must be exactly one YAML document");
        c = calloc(1, sizeof(*c));
        if (!c || !(c->path = strdup(path)) || config_set_defaults(c) < 0)
                return -ENOMEM;
        r = schema_parse_mapping(&ctx, stream->documents[0], "configuration", config_fields, c,
                                 NULL);
        if (r == -ENOMEM)
                return r;
        if (r >= 0 && c->backoff_base > c->backoff_cap)
                r = yaml_error(diags, path, yaml_node_get(stream->documents[0], "backoff"),
                               "backoff 'base' must not be larger than 'cap'");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

int daemon_config_load(const char *path, DiagList *diags, DaemonConfig **ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        ssize_t n;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0) {
                int r = -errno;
                if (r == -ENOENT)
                        (void) yaml_error_at(diags, path, DIAG_LINE_NONE, 0,
                                             "the configuration file does not exist");
                else
                        (void) yaml_error_at(diags, path, DIAG_LINE_NONE, 0,
                                             "cannot read configuration: %s", strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > (off_t) LIMIT_FILE_SIZE) {
                (void) yaml_error_at(diags, path, 0, 0,
                                     "configuration is not a regular file of at most %u bytes",
                                     LIMIT_FILE_SIZE);
                return -EINVAL;
        }
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        n = read(fd, buf, (size_t) st.st_size);
        if (n < 0) {
                int r = -errno;
                (void) yaml_error_at(diags, path, 0, 0, "cannot read configuration: %s",
                                     strerror(-r));
                return r;
        }
        return daemon_config_parse(path, buf, (size_t) n, diags, ret);
}

const AccountConfig *daemon_config_find_account(const DaemonConfig *c, const char *name) {
        for (size_t i = 0; name && i < c->n_accounts; i++)
                if (streq(c->accounts[i].name, name))
                        return &c->accounts[i];
        return NULL;
}

static const AccountConfig *only_account_of(const DaemonConfig *c, Provider p, size_t *ret_n) {
        const AccountConfig *found = NULL;
        size_t n = 0;

        for (size_t i = 0; i < c->n_accounts; i++)
                if (c->accounts[i].provider == p) {
                        found = &c->accounts[i];
                        n++;
                }
        *ret_n = n;
        return n == 1 ? found : NULL;
}

static int check_api(const DaemonConfig *c, const AccountConfig *a, const ResourceSpec *spec,
                     DiagList *diags) {
        if (spec->provider != PROVIDER_ALICLOUD || a->api == spec->id.api)
                return 0;
        return yaml_error_at(diags, spec->path, spec->function_line, spec->function_column,
                             a->api == CLOUD_API_FC2
                                     ? "account '%s' uses api fc2: write the function as "
                                       "'service/function'"
                                     : "account '%s' uses api fc3: 'service/function' is an FC2 "
                                       "function (set api: fc2 on the account)",
                             a->name);
}

void account_config_to_cloud(const AccountConfig *a, CloudAccount *ret) {
        *ret = (CloudAccount){
                .name = a->name,
                .api = a->api,
                .region = a->region,
                .endpoint = a->endpoint,
                .account_id = a->account_id,
                .project_id = a->project_id,
                .ca_file = a->ca_file,
        };
}

/* The provider's check that a function spelled with a region, account or project (ARN, URN)
 * is the account's own (DESIGN.md §3.12), located at spec.function. */
static int check_target(const AccountConfig *a, const ResourceSpec *spec, DiagList *diags) {
        const CloudOps *ops = cloud_ops_from_api(a->api);
        _cleanup_free_ char *msg = NULL;
        CloudAccount ca;
        int r;

        if (!ops || !ops->check_target || !spec->function)
                return 0;
        account_config_to_cloud(a, &ca);
        r = ops->check_target(&ca, spec->function, &msg);
        if (r == -ENOMEM || (r < 0 && !msg))
                return -ENOMEM;
        if (r < 0)
                return yaml_error_at(diags, spec->path, spec->function_line, spec->function_column,
                                     "%s", msg);
        return 0;
}

/* Both checks of a document against its account, each reported. */
static int check_account_of(const DaemonConfig *c, const AccountConfig *a, const ResourceSpec *spec,
                            DiagList *diags) {
        int r = check_api(c, a, spec, diags);

        /* A function spelled for the other API has nothing to compare. */
        return r < 0 ? r : check_target(a, spec, diags);
}

int daemon_config_resolve_account(const DaemonConfig *c, ResourceSpec *spec, DiagList *diags) {
        const char *provider = provider_to_string(spec->provider);
        const AccountConfig *a;
        size_t n;

        if (!spec->account) {
                a = only_account_of(c, spec->provider, &n);
                if (!a)
                        return yaml_error_at(
                                diags, spec->path, spec->account_line, spec->account_column,
                                n == 0 ? "no account of provider %s in %s"
                                       : "'account' is required: %s has more than one "
                                         "%s account",
                                n == 0 ? provider : c->path, n == 0 ? c->path : provider);
                if (resource_spec_set_account(spec, a->name) < 0)
                        return -ENOMEM;
                return check_account_of(c, a, spec, diags);
        }
        a = daemon_config_find_account(c, spec->account);
        if (!a)
                return yaml_error_at(diags, spec->path, spec->account_line, spec->account_column,
                                     "account '%s' is not defined in %s", spec->account, c->path);
        if (a->provider != spec->provider)
                return yaml_error_at(diags, spec->path, spec->account_line, spec->account_column,
                                     "account '%s' is a %s account, not %s", spec->account,
                                     strna(provider_to_string(a->provider)), provider);
        return check_account_of(c, a, spec, diags);
}
