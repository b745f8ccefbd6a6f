/* SPDX-License-Identifier: MIT */
/* The daemon configuration's cluster: block: values, defaults, located errors, and that a
 * configuration without it has no cluster (single-host mode unchanged). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <unistd.h>

#include "reconciler/spec/daemon-config.h"

#define A1 "accounts: [{name: a, provider: aws, region: r}]\n"

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

static void test_absent(void **state) {
        _cleanup_(daemon_config_freep) DaemonConfig *c = parse_ok(A1);

        assert_null(c->cluster);
}

static void test_full(void **state) {
        _cleanup_(daemon_config_freep) DaemonConfig *c = parse_ok(
                A1
                "cluster:\n"
                "  etcd: [http://10.0.0.1:2379, 'https://e2:2379']\n"
                "  name: prod\n  member: host-a\n  leaseTTL: 2s\n"
                "  credentials: {user: asyncfg, passwordCredential: etcd-password,\n"
                "                caFile: /etc/ca.pem, certFile: /etc/c.pem, keyFile: /etc/k.pem}\n");
        const ClusterConfig *k = c->cluster;

        assert_non_null(k);
        assert_string_equal(k->etcd[0], "http://10.0.0.1:2379");
        assert_string_equal(k->etcd[1], "https://e2:2379");
        assert_null(k->etcd[2]);
        assert_string_equal(k->name, "prod");
        assert_string_equal(k->member, "host-a");
        assert_int_equal(k->lease_ttl, 2 * USEC_PER_SEC);
        assert_string_equal(k->user, "asyncfg");
        assert_string_equal(k->password_credential, "etcd-password");
        assert_null(k->password_file);
        assert_string_equal(k->ca_file, "/etc/ca.pem");
        assert_string_equal(k->cert_file, "/etc/c.pem");
        assert_string_equal(k->key_file, "/etc/k.pem");
        assert_int_equal(k->line, 3);
        assert_int_equal(k->column, 3);
}

static void test_defaults(void **state) {
        _cleanup_(daemon_config_freep) DaemonConfig *c =
                parse_ok(A1 "cluster: {etcd: ['http://127.0.0.1:2379'], name: t}\n");
        char host[256] = {};

        assert_int_equal(c->cluster->lease_ttl, 10 * USEC_PER_SEC);
        assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
        host[strcspn(host, ".")] = 0;
        assert_string_equal(c->cluster->member, host);
        assert_null(c->cluster->user);
}

/* What a reload compares: equal blocks (whatever their layout) give equal fingerprints, any
 * changed setting another one, no block "". */
static void test_fingerprint(void **state) {
        static const char *const variants[] = {
                "cluster: {etcd: ['http://e1:2379'], name: t, member: m}\n",
                "cluster: {etcd: ['http://e1:2379', 'http://e2:2379'], name: t, member: m}\n",
                "cluster: {etcd: ['http://e1:2379'], name: u, member: m}\n",
                "cluster: {etcd: ['http://e1:2379'], name: t, member: n}\n",
                "cluster: {etcd: ['http://e1:2379'], name: t, member: m, leaseTTL: 20s}\n",
                "cluster: {etcd: ['http://e1:2379'], name: t, member: m, credentials: {user: x, "
                "passwordFile: /p}}\n",
                "cluster: {etcd: ['http://e1:2379'], name: t, member: m, credentials: {caFile: /ca}}\n",
        };
        char *f[ELEMENTSOF(variants)] = {};
        _cleanup_free_ char *none = NULL, *same = NULL;

        for (size_t i = 0; i < ELEMENTSOF(variants); i++) {
                _cleanup_(daemon_config_freep) DaemonConfig *c = NULL;
                _cleanup_free_ char *y = NULL;

                assert_true(asprintf(&y, "%s%s", A1, variants[i]) > 0);
                c = parse_ok(y);
                assert_int_equal(cluster_config_fingerprint(c->cluster, &f[i]), 0);
                for (size_t j = 0; j < i; j++)
                        assert_string_not_equal(f[i], f[j]);
        }
        {
                _cleanup_(daemon_config_freep) DaemonConfig *c = parse_ok(
                        A1 "cluster:\n  member: m\n  name: t\n  etcd:\n    - http://e1:2379\n");
                assert_int_equal(cluster_config_fingerprint(c->cluster, &same), 0);
                assert_string_equal(same, f[0]);
        }
        assert_int_equal(cluster_config_fingerprint(NULL, &none), 0);
        assert_string_equal(none, "");
        for (size_t i = 0; i < ELEMENTSOF(variants); i++)
                free(f[i]);
}

typedef struct Case {
        const char *yaml;
        unsigned line, column;
        const char *message;
} Case;

#define E "  etcd: ['http://e:2379']\n"
static const Case invalid[] = {
        { A1 "cluster: {name: x}\n", 2, 10, "missing required key 'etcd' in 'cluster'" },
        { A1 "cluster:\n" E, 3, 3, "missing required key 'name' in 'cluster'" },
        { A1 "cluster:\n  etcd: []\n  name: x\n", 3, 9, "'etcd' must list 1 to 16 URLs" },
        { A1 "cluster:\n  etcd: [e:2379]\n  name: x\n", 3, 10,
          "etcd endpoint 'e:2379' must be an http:// or https:// URL" },
        { A1 "cluster:\n" E "  name: 'a/b'\n", 4, 9, "invalid name 'a/b'" },
        { A1 "cluster:\n" E "  name: x\n  member: '-m'\n", 5, 11, "invalid member '-m'" },
        { A1 "cluster:\n" E "  name: x\n  leaseTTL: 500ms\n", 5, 13,
          "'leaseTTL' must be between 1s and 5m" },
        { A1 "cluster:\n" E "  name: x\n  bogus: 1\n", 5, 3, "unknown key 'bogus' in 'cluster'" },
        { A1 "cluster:\n" E "  name: x\n  credentials: {user: u}\n", 5, 23,
          "'user' needs 'passwordFile' or 'passwordCredential'" },
        { A1 "cluster:\n" E "  name: x\n  credentials: {passwordFile: /p}\n", 5, 16,
          "a password needs a 'user' to go with it" },
        { A1 "cluster:\n" E "  name: x\n  credentials: {user: u, passwordFile: p}\n", 5, 40,
          "'passwordFile' must be an absolute path" },
        { A1 "cluster:\n" E
             "  name: x\n  credentials: {user: u, passwordFile: /p, passwordCredential: c}\n",
          5, 64, "'passwordFile' and 'passwordCredential' exclude each other" },
        { A1 "cluster:\n" E "  name: x\n  credentials: {certFile: /c}\n", 5, 27,
          "'certFile' and 'keyFile' go together" },
};

static void test_invalid(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(invalid); i++) {
                DaemonConfig *c = NULL;
                bool found = false;
                DiagList d;

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
                }
                assert_true(found);
                assert_int_equal(d.n_errors, 1);
                diag_list_done(&d);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_absent),   cmocka_unit_test(test_full),
                cmocka_unit_test(test_defaults), cmocka_unit_test(test_fingerprint),
                cmocka_unit_test(test_invalid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
