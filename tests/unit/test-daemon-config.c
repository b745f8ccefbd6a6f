/* SPDX-License-Identifier: MIT */
/* The daemon configuration: values and defaults, located errors, spec.account resolution,
 * and "asyncfg validate" on the shipped examples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "reconciler/spec/daemon-config.h"
#include "reconciler/desired/desired.h"
#include "reconciler/cli/validate.h"

static DaemonConfig *parse_ok(const char *y) {
        DaemonConfig *c = NULL;
        DiagList d;

        diag_list_init(&d);
        int r = daemon_config_parse("cfg.yaml", y, strlen(y), &d, &c);
        if (r != 0)
                diag_list_print(&d, stderr);
        assert_int_equal(r, 0);
        diag_list_done(&d);
        return c;
}

static void test_full(void **state) {
        _cleanup_(daemon_config_freep) DaemonConfig *c = parse_ok(
                "desiredDir: /srv/desired\nstateDir: /srv/state\nlisten: '[::1]:9000'\n"
                "resyncInterval: 1h30m\nconcurrency: 8\nbackoff: {base: 500ms, cap: 2m}\n"
                "accounts:\n"
                "  - name: aws-prod\n    provider: aws\n    region: us-east-1\n"
                "    endpoint: http://127.0.0.1:8080\n    rateLimit: {qps: 2.5, burst: 5}\n"
                "    credentials: {source: file, path: /etc/creds}\n    caFile: /etc/ca.pem\n"
                "  - {name: ali, provider: alicloud, region: cn-hangzhou, accountId: '1234', api: fc2}\n"
                "  - {name: hw, provider: huaweicloud, region: cn-north-4, projectId: abc}\n"
                "alerts:\n  - {name: hook, type: webhook, url: 'https://x/y', secret: s3cr3t}\n"
                "alerting: {fireAfter: 4, errorAfter: 5, remindEvery: 30m}\n"
                "limits: {files: 250000}\n");

        assert_string_equal(c->desired_dir, "/srv/desired");
        assert_string_equal(c->state_dir, "/srv/state");
        assert_string_equal(c->listen, "[::1]:9000");
        assert_int_equal(c->resync_interval, 90 * USEC_PER_MINUTE);
        assert_int_equal(c->concurrency, 8);
        assert_int_equal(c->backoff_base, 500 * USEC_PER_MSEC);
        assert_int_equal(c->backoff_cap, 2 * USEC_PER_MINUTE);
        assert_int_equal(c->n_accounts, 3);
        assert_string_equal(c->accounts[0].name, "aws-prod");
        assert_int_equal(c->accounts[0].provider, PROVIDER_AWS);
        assert_int_equal(c->accounts[0].api, CLOUD_API_AWS_LAMBDA);
        assert_string_equal(c->accounts[0].endpoint, "http://127.0.0.1:8080");
        assert_true(c->accounts[0].rate_qps == 2.5);
        assert_int_equal(c->accounts[0].rate_burst, 5);
        assert_int_equal(c->accounts[0].credential_source, CREDENTIAL_SOURCE_FILE);
        assert_string_equal(c->accounts[0].credentials_path, "/etc/creds");
        assert_string_equal(c->accounts[0].ca_file, "/etc/ca.pem");
        assert_int_equal(c->accounts[0].line, 8);
        assert_int_equal(c->accounts[0].column, 5);
        assert_int_equal(c->accounts[1].api, CLOUD_API_FC2);
        assert_string_equal(c->accounts[1].account_id, "1234");
        assert_true(c->accounts[1].rate_qps == 10.0);
        assert_int_equal(c->accounts[1].credential_source, CREDENTIAL_SOURCE_AUTO);
        assert_int_equal(c->accounts[2].api, CLOUD_API_FUNCTIONGRAPH);
        assert_string_equal(c->accounts[2].project_id, "abc");
        assert_int_equal(c->n_alerts, 1);
        assert_int_equal(c->alerts[0].type, ALERT_TYPE_WEBHOOK);
        assert_string_equal(c->alerts[0].secret, "s3cr3t");
        assert_int_equal(c->alerting.fire_after, 4);
        assert_int_equal(c->alerting.error_after, 5);
        assert_int_equal(c->alerting.remind_every, 30 * USEC_PER_MINUTE);
        assert_int_equal(c->limits.files, 250000);
        assert_ptr_equal(daemon_config_find_account(c, "hw"), &c->accounts[2]);
        assert_null(daemon_config_find_account(c, "nope"));
}

static void test_defaults(void **state) {
        _cleanup_(daemon_config_freep) DaemonConfig *c = parse_ok(
                "accounts: [{name: a, provider: alicloud, region: cn-hangzhou}]\nlisten: \"\"\n");

        assert_string_equal(c->desired_dir, "/etc/asyncfg/desired.d");
        assert_string_equal(c->state_dir, "/var/lib/asyncfg");
        assert_string_equal(c->listen, "");
        assert_int_equal(c->resync_interval, 5 * USEC_PER_MINUTE);
        assert_int_equal(c->concurrency, 32);
        assert_int_equal(c->backoff_base, USEC_PER_SEC);
        assert_int_equal(c->backoff_cap, 5 * USEC_PER_MINUTE);
        assert_int_equal(c->accounts[0].api, CLOUD_API_FC3);
        assert_int_equal(c->accounts[0].rate_burst, 20);
        assert_int_equal(c->n_alerts, 0);
        assert_int_equal(c->alerting.fire_after, 2);
        assert_int_equal(c->alerting.error_after, 3);
        assert_int_equal(c->alerting.remind_every, USEC_PER_HOUR);
        assert_int_equal(c->limits.files, 1000000);
}

typedef struct Case {
        const char *yaml;
        unsigned line, column;
        const char *message;
} Case;

#define A1 "accounts: [{name: a, provider: aws, region: r}]\n"
static const Case invalid[] = {
        { "desiredDir: /x\n", 1, 1, "missing required key 'accounts' in configuration" },
        { A1 "bogus: 1\n", 2, 1, "unknown key 'bogus' in configuration" },
        { A1 "listen: 9733\n", 2, 9, "'listen' must be a string, got an integer" },
        { A1 "listen: localhost\n", 2, 9, "'listen' must be HOST:PORT" },
        { A1 "listen: 'h:70000'\n", 2, 9, "'listen' must be HOST:PORT" },
        { A1 "resyncInterval: 5 minutes\n", 2, 17, "'resyncInterval' is not a valid duration" },
        { A1 "concurrency: 0\n", 2, 14, "'concurrency' must be between 1 and 4096, got 0" },
        { A1 "backoff: {base: 1s, cap: 1d1s}\n", 2, 26, "'cap' must be between 1ms and 1d" },
        { A1 "backoff: {base: 10s, cap: 1s}\n", 2, 10,
          "backoff 'base' must not be larger than 'cap'" },
        { A1 "backoff: {jitter: 1}\n", 2, 11, "unknown key 'jitter' in 'backoff'" },
        { "accounts: {name: a}\n", 1, 11, "'accounts' must be a sequence, got a mapping" },
        { "accounts: [{name: a, region: r}]\n", 1, 12,
          "missing required key 'provider' in account" },
        { "accounts: [{name: a, provider: gcp, region: r}]\n", 1, 32,
          "'provider' must be one of aws, alicloud, huaweicloud, got 'gcp'" },
        { "accounts: [{name: a, provider: aws}]\n", 1, 12,
          "missing required key 'region' in account" },
        { "accounts: [{name: 'a/b', provider: aws, region: r}]\n", 1, 19, "invalid name 'a/b'" },
        { "accounts: [{name: a, provider: aws, region: r}, {name: a, provider: aws, region: s}]\n",
          1, 56, "duplicate account name 'a' (first at line 1, column 19)" },
        { "accounts: [{name: a, provider: aws, region: r, accountId: '1'}]\n", 1, 59,
          "'accountId' of an aws account must be its 12-digit AWS account id" },
        { "accounts: [{name: a, provider: aws, region: r, accountId: '1234567890123'}]\n", 1, 59,
          "'accountId' of an aws account must be its 12-digit AWS account id" },
        { "accounts: [{name: a, provider: aws, region: r, accountId: '12345678901a'}]\n", 1, 59,
          "'accountId' must be a quoted string of digits" },
        { "accounts: [{name: a, provider: huaweicloud, region: r, projectId: p, accountId: '123456789012'}]\n",
          1, 70, "key 'accountId' is only valid for provider aws or alicloud" },
        { "accounts: [{name: a, provider: aws, region: r, api: fc2}]\n", 1, 48,
          "key 'api' is only valid for provider alicloud" },
        { "accounts: [{name: a, provider: alicloud, region: r, api: fc4}]\n", 1, 58,
          "'api' must be one of fc3, fc2, got 'fc4'" },
        { "accounts: [{name: a, provider: alicloud, region: r, api: fc2}]\n", 1, 12,
          "uses api fc2, which needs 'accountId'" },
        { "accounts: [{name: a, provider: alicloud, region: r, accountId: 1234}]\n", 1, 64,
          "'accountId' must be a string, got an integer" },
        { "accounts: [{name: a, provider: alicloud, region: r, accountId: '12a'}]\n", 1, 64,
          "'accountId' must be a quoted string of digits" },
        { "accounts: [{name: a, provider: huaweicloud, region: r}]\n", 1, 12,
          "missing required key 'projectId' in account" },
        { "accounts: [{name: a, provider: aws, region: r, projectId: p}]\n", 1, 48,
          "key 'projectId' is only valid for provider huaweicloud" },
        { "accounts: [{name: a, provider: aws, region: r, endpoint: 'ftp://x'}]\n", 1, 58,
          "'endpoint' must be an http:// or https:// URL" },
        { "accounts: [{name: a, provider: aws, region: r, rateLimit: {qps: 0}}]\n", 1, 65,
          "'qps' must be more than 0" },
        { "accounts: [{name: a, provider: aws, region: r, rateLimit: {qps: x}}]\n", 1, 65,
          "'qps' must be a number, got a string" },
        { "accounts: [{name: a, provider: aws, region: r, rateLimit: {burst: 0}}]\n", 1, 67,
          "'burst' must be between 1 and 10000, got 0" },
        { "accounts: [{name: a, provider: aws, region: r, credentials: {source: vault}}]\n", 1, 70,
          "'source' must be one of auto, file, systemd, env, shared-file, metadata, got 'vault'" },
        { "accounts: [{name: a, provider: aws, region: r, credentials: {source: file}}]\n", 1, 61,
          "'credentials' with source file needs a 'path'" },
        { "accounts: [{name: a, provider: aws, region: r, credentials: {source: env, path: /x}}]\n",
          1, 81, "'path' is only valid with source file" },
        { A1 "alerts: [{name: x, type: pager, url: 'http://x'}]\n", 2, 26,
          "'type' must be one of webhook, slack, alertmanager, got 'pager'" },
        { A1 "alerts: [{name: x, type: slack}]\n", 2, 10, "missing required key 'url' in alert" },
        { A1
          "alerts: [{name: x, type: slack, url: 'http://a'}, {name: x, type: slack, url: 'http://b'}]\n",
          2, 58, "duplicate alert name 'x'" },
        { A1 "alerts: [{name: x, type: slack, url: 'http://a', secret: s}]\n", 2, 58,
          "'secret' is only valid for type webhook" },
        { A1 "alerting: {fireAfter: 0}\n", 2, 23, "'fireAfter' must be between 1 and 1000, got 0" },
        { A1 "alerting: {remindEvery: 10s}\n", 2, 25, "'remindEvery' must be between 1m and 7d" },
        { A1 "alerting: {resolve: true}\n", 2, 12, "unknown key 'resolve' in 'alerting'" },
        { A1 "limits: {files: 0}\n", 2, 17, "'files' must be between 1 and 100000000, got 0" },
        { A1 "limits: {dirs: 3}\n", 2, 10, "unknown key 'dirs' in 'limits'" },
        { A1 "alerting: [2]\n", 2, 11, "'alerting' must be a mapping" },
        { A1 "web: {tlsCertFile: /nonexistent/web.crt, tlsKeyFile: /etc/passwd}\n", 2, 20,
          "cannot read 'tlsCertFile' '/nonexistent/web.crt': No such file or directory" },
        { A1 "web: {tlsCertFile: /dev/null, tlsKeyFile: /etc/passwd}\n", 2, 20,
          "'tlsCertFile' '/dev/null' must be a non-empty PEM file" },
        { A1 "web: {basicAuthUsers: {prom: secret}}\n", 2, 30,
          "the password of user 'prom' must be a bcrypt hash" },
        { A1
          "web: {basicAuthUsers: {prom: '$2b$31$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u'}}\n",
          2, 30, "cost 04 to 12" },
        { A1 "web: {basicAuthUsers: {prom: 10}}\n", 2, 30, "'prom' must be a string" },
        { A1 "web: {basicAuthUsers: [prom]}\n", 2, 23, "'basicAuthUsers' must be a mapping" },
        { A1 "web: {basicAuth: {}}\n", 2, 7, "unknown key 'basicAuth' in 'web'" },
        { A1
          "web: {basicAuthUsers: {'a:b': '$2b$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u'}}\n",
          2, 24, "without ':'" },
        { A1 "---\n" A1, 3, 1, "the configuration must be exactly one YAML document" },
        { "accounts: [\n", 2, 1, "syntax error" },
};

static void test_invalid(void **state) {
        size_t failed = 0;

        for (size_t i = 0; i < ELEMENTSOF(invalid); i++) {
                DaemonConfig *c = NULL;
                DiagList d;
                bool found = false;

                diag_list_init(&d);
                assert_int_equal(daemon_config_parse("cfg.yaml", invalid[i].yaml,
                                                     strlen(invalid[i].yaml), &d, &c),
                                 -EINVAL);
                assert_null(c);
                for (size_t j = 0; j < d.n; j++)
                        found = found || (d.items[j].line == invalid[i].line &&
                                          d.items[j].column == invalid[i].column &&
                                          strstr(d.items[j].message, invalid[i].message));
                if (!found || d.n_errors != 1) {
                        fprintf(stderr, "case %zu: expected %u:%u %s, got:\n", i, invalid[i].line,
                                invalid[i].column, invalid[i].message);
                        diag_list_print(&d, stderr);
                        failed++;
                }
                diag_list_done(&d);
        }
        assert_int_equal(failed, 0);
}

/* The web block: files that exist, and bcrypt hashes; exporter-toolkit's keys in camelCase. */
static void test_web(void **state) {
        char dir[] = "/tmp/test-web-XXXXXX", crt[64], key[64], *yaml = NULL;
        FILE *f;

        assert_non_null(mkdtemp(dir));
        snprintf(crt, sizeof(crt), "%s/web.crt", dir);
        snprintf(key, sizeof(key), "%s/web.key", dir);
        assert_non_null(f = fopen(crt, "w"));
        fputs("-----BEGIN CERTIFICATE-----\n", f);
        fclose(f);
        assert_non_null(f = fopen(key, "w"));
        fputs("-----BEGIN PRIVATE KEY-----\n", f);
        fclose(f);
        assert_true(asprintf(&yaml,
                             A1 "web:\n  tlsCertFile: %s\n  tlsKeyFile: %s\n  basicAuthUsers:\n"
                                "    prom: '%s'\n    ops: '%s'\n",
                             crt, key,
                             "$2b$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u",
                             "$2y$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u") > 0);
        DaemonConfig *c = parse_ok(yaml);
        assert_string_equal(c->web.tls_cert_file, crt);
        assert_string_equal(c->web.tls_key_file, key);
        assert_int_equal(c->web.n_users, 2);
        assert_string_equal(c->web.users[1].name, "ops");
        assert_true(web_config_is_protected(&c->web));
        daemon_config_free(c);
        free(yaml);

        /* one file without the other */
        assert_true(asprintf(&yaml, A1 "web: {tlsCertFile: %s}\n", crt) > 0);
        DiagList d;
        diag_list_init(&d);
        assert_int_equal(daemon_config_parse("cfg.yaml", yaml, strlen(yaml), &d, &c), -EINVAL);
        assert_int_equal(d.n_errors, 1);
        assert_non_null(strstr(d.items[0].message, "both 'tlsCertFile' and 'tlsKeyFile'"));
        diag_list_done(&d);
        free(yaml);

        c = parse_ok(A1);
        assert_false(web_config_is_protected(&c->web));
        daemon_config_free(c);
        assert_int_equal(unlink(crt), 0);
        assert_int_equal(unlink(key), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void test_bcrypt_syntax(void **state) {
        assert_true(web_bcrypt_hash_is_valid(
                "$2b$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u"));
        assert_true(web_bcrypt_hash_is_valid(
                "$2y$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u"));
        assert_false(web_bcrypt_hash_is_valid("$1$abcdefgh$abcdefghijklmnopqrstuv"));
        assert_false(web_bcrypt_hash_is_valid(
                "$2b$03$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u"));
        assert_false(web_bcrypt_hash_is_valid(
                "$2b$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2"));
        assert_false(web_bcrypt_hash_is_valid(
                "$2b$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2!"));
        assert_false(web_bcrypt_hash_is_valid(
                "$2x$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u"));
        assert_false(web_bcrypt_hash_is_valid(NULL));
}

static void test_listen_address(void **state) {
        _cleanup_free_ char *h = NULL;
        unsigned port;

        assert_int_equal(parse_listen_address("127.0.0.1:9733", &h, &port), 0);
        assert_string_equal(h, "127.0.0.1");
        assert_int_equal(port, 9733);
        assert_int_equal(parse_listen_address(":80", NULL, NULL), -EINVAL);
        assert_int_equal(parse_listen_address("::1:80", NULL, NULL), -EINVAL);
        assert_int_equal(parse_listen_address("[::1]", NULL, NULL), -EINVAL);
        assert_int_equal(parse_listen_address("h:0", NULL, NULL), -EINVAL);
        assert_int_equal(parse_listen_address("h:80x", NULL, NULL), -EINVAL);
}

#define CONFIG                                                                                     \
        "accounts:\n"                                                                              \
        "  - {name: aws-prod, provider: aws, region: us-east-1}\n"                                 \
        "  - {name: ali-prod, provider: alicloud, region: cn-hangzhou}\n"                          \
        "  - {name: ali-old, provider: alicloud, region: cn-hangzhou, accountId: '1', api: fc2}\n"
#define DOC(spec)                                                                                  \
        "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: t}\nspec:\n" spec

static void expect_account(const DaemonConfig *c, const char *yaml, const char *account,
                           unsigned line, unsigned col, const char *message) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        const DesiredFile *f;

        assert_int_equal(desired_set_new(c, &s), 0);
        int r = desired_set_load_data(s, "d.yaml", yaml, strlen(yaml));
        f = desired_set_get_file(s, "d.yaml");
        if (account) {
                if (r != 1)
                        diag_list_print(&f->diags, stderr);
                assert_int_equal(r, 1);
                assert_string_equal(f->resources[0]->account, account);
                return;
        }
        assert_int_equal(r, 0);
        assert_int_equal(f->diags.n_errors, 1);
        if (f->diags.items[0].line != line || f->diags.items[0].column != col ||
            !strstr(f->diags.items[0].message, message)) {
                diag_list_print(&f->diags, stderr);
                fail();
        }
}

static void test_resolve_account(void **state) {
        _cleanup_(daemon_config_freep) DaemonConfig *c = parse_ok(CONFIG);

        expect_account(c, DOC("  provider: aws\n  function: f\n"), "aws-prod", 0, 0, NULL);
        expect_account(c, DOC("  provider: aws\n  account: aws-prod\n  function: f\n"), "aws-prod",
                       0, 0, NULL);
        expect_account(c, DOC("  provider: alicloud\n  account: ali-old\n  function: s/f\n"),
                       "ali-old", 0, 0, NULL);
        expect_account(c, DOC("  provider: aws\n  account: aws-dev\n  function: f\n"), NULL, 6, 12,
                       "account 'aws-dev' is not defined in cfg.yaml");
        expect_account(c, DOC("  provider: aws\n  account: ali-prod\n  function: f\n"), NULL, 6, 12,
                       "account 'ali-prod' is a alicloud account, not aws");
        expect_account(c, DOC("  provider: alicloud\n  function: f\n"), NULL, 5, 3,
                       "'account' is required: cfg.yaml has more than one alicloud account");
        expect_account(
                c, DOC("  provider: huaweicloud\n  function: 'urn:fss:r:p:function:default:f'\n"),
                NULL, 5, 3, "no account of provider huaweicloud in cfg.yaml");
        expect_account(c, DOC("  provider: alicloud\n  account: ali-old\n  function: f\n"), NULL, 7,
                       13,
                       "account 'ali-old' uses api fc2: write the function as 'service/function'");
        expect_account(c, DOC("  provider: alicloud\n  account: ali-prod\n  function: s/f\n"), NULL,
                       7, 13, "account 'ali-prod' uses api fc3");
}

/* DESIGN.md §3.12: a function ARN/URN of another region, account or project is an error at
 * spec.function naming both sides; one of the account's own loads. */
#define FOREIGN_CONFIG                                                                             \
        "accounts:\n"                                                                              \
        "  - {name: use1, provider: aws, region: us-east-1, accountId: '123456789012'}\n"          \
        "  - {name: use1-anon, provider: aws, region: us-east-1}\n"                                \
        "  - {name: hw, provider: huaweicloud, region: cn-north-4, projectId: p0}\n"               \
        "  - {name: ali, provider: alicloud, region: cn-hangzhou}\n"

static const struct {
        const char *spec;
        const char *account; /* NULL: an error at 7:13 (spec.function) containing message */
        const char *message;
        const char *message2;
} foreign[] = {
        { "  provider: aws\n  account: use1\n  function: 'arn:aws:lambda:eu-west-1:123456789012:function:orders-worker'\n",
          NULL, "is in region 'eu-west-1', but account 'use1' is in region 'us-east-1'" },
        { "  provider: aws\n  account: use1\n  function: 'arn:aws:lambda:eu-west-1:999999999999:function:orders-worker'\n",
          NULL, "'eu-west-1'", "'us-east-1'" },
        { "  provider: aws\n  account: use1\n  function: 'arn:aws:lambda:us-east-1:999999999999:function:orders-worker'\n",
          NULL,
          "belongs to AWS account 999999999999, but account 'use1' is AWS account 123456789012" },
        { "  provider: aws\n  account: use1\n  function: '999999999999:function:orders-worker'\n",
          NULL, "belongs to AWS account 999999999999" },
        { "  provider: aws\n  account: use1\n  function: '999999999999:function:orders-worker:live'\n",
          NULL, "belongs to AWS account 999999999999" },
        { "  provider: aws\n  account: use1-anon\n  function: 'arn:aws:lambda:eu-west-1:123456789012:function:orders-worker:live'\n",
          NULL, "is in region 'eu-west-1', but account 'use1-anon' is in region 'us-east-1'" },
        { "  provider: huaweicloud\n  account: hw\n  function: 'urn:fss:cn-east-3:p0:function:default:f'\n",
          NULL, "is in region 'cn-east-3', but account 'hw' is in region 'cn-north-4'" },
        { "  provider: huaweicloud\n  account: hw\n  function: 'urn:fss:cn-north-4:p9:function:default:f:latest'\n",
          NULL, "is in project 'p9', but account 'hw' has project 'p0'" },
        /* the account's own: loads */
        { "  provider: aws\n  account: use1\n  function: 'arn:aws:lambda:us-east-1:123456789012:function:orders-worker'\n",
          "use1", NULL },
        { "  provider: aws\n  account: use1\n  function: '123456789012:function:orders-worker:live'\n",
          "use1", NULL },
        { "  provider: aws\n  account: use1-anon\n  function: 'arn:aws:lambda:us-east-1:999999999999:function:orders-worker'\n",
          "use1-anon", NULL }, /* no accountId configured: only the region is known */
        { "  provider: aws\n  account: use1\n  function: orders-worker\n", "use1", NULL },
        { "  provider: huaweicloud\n  account: hw\n  function: 'urn:fss:cn-north-4:p0:function:default:f'\n",
          "hw", NULL },
};

static void test_foreign_function(void **state) {
        _cleanup_(daemon_config_freep) DaemonConfig *c = parse_ok(FOREIGN_CONFIG);

        for (size_t i = 0; i < ELEMENTSOF(foreign); i++) {
                _cleanup_(desired_set_freep) DesiredSet *s = NULL;
                _cleanup_free_ char *yaml = NULL;
                const DesiredFile *f;
                int r;

                assert_int_equal(asprintf(&yaml, DOC("%s"), foreign[i].spec) > 0, true);
                assert_int_equal(desired_set_new(c, &s), 0);
                r = desired_set_load_data(s, "d.yaml", yaml, strlen(yaml));
                f = desired_set_get_file(s, "d.yaml");
                if (foreign[i].account
                            ? r != 1
                            : r != 0 || f->diags.n_errors != 1 || f->diags.items[0].line != 7 ||
                                      f->diags.items[0].column != 13 ||
                                      !strstr(f->diags.items[0].message, foreign[i].message) ||
                                      (foreign[i].message2 &&
                                       !strstr(f->diags.items[0].message, foreign[i].message2))) {
                        fprintf(stderr, "case %zu: r=%d\n", i, r);
                        diag_list_print(&f->diags, stderr);
                        fail();
                }
        }
}

/* With an account resolved, "f" in the only account and "f" with that account named are one. */
static void test_resolved_duplicates(void **state) {
        _cleanup_(daemon_config_freep) DaemonConfig *c = parse_ok(CONFIG);
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        const char *a = DOC("  provider: aws\n  function: f\n");
        const char *b = "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: u}\n"
                        "spec: {provider: aws, account: aws-prod, function: 'f:$LATEST'}\n";

        assert_int_equal(desired_set_new(c, &s), 0);
        assert_int_equal(desired_set_load_data(s, "a.yaml", a, strlen(a)), 1);
        assert_int_equal(desired_set_load_data(s, "b.yaml", b, strlen(b)), 0);
}

/* The shipped examples validate cleanly (the tests run from the source tree). */
static void test_shipped_examples(void **state) {
        char *paths[] = { (char *) "config/desired" };
        char *out = NULL, *err = NULL;
        size_t out_n = 0, err_n = 0;
        FILE *o = open_memstream(&out, &out_n), *e = open_memstream(&err, &err_n);

        if (access("config/asyncfgd.yaml", F_OK) < 0)
                skip();
        assert_int_equal(
                validate_paths(paths, 1, "config/asyncfgd.yaml", VALIDATE_OUTPUT_TEXT, o, e), 0);
        fclose(o);
        fclose(e);
        assert_string_equal(err, "");
        assert_non_null(strstr(out, "config/desired: "));
        assert_non_null(strstr(out, " files, valid\n"));
        free(out);
        free(err);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_listen_address),
                cmocka_unit_test(test_web),
                cmocka_unit_test(test_bcrypt_syntax),
                cmocka_unit_test(test_resolve_account),
                cmocka_unit_test(test_foreign_function),
                cmocka_unit_test(test_resolved_duplicates),
                cmocka_unit_test(test_shipped_examples),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
