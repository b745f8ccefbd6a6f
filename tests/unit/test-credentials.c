/* SPDX-License-Identifier: MIT */
/* clouds/credentials: the static sources (file, systemd credential, environment, shared file),
 * the order of the chain, broken and partial credentials, and that no message ever carries a
 * secret. Each test runs with a fresh $HOME in a temporary directory and none of the vendors'
 * variables set. The metadata services are in test-metadata.c. */
#include <setjmp.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "clouds/credentials/credentials.h"
#include "lib/macro.h"

/* Distinctive values, so that a leak into a message is found by a substring search. */
#define AKID "AKIDTESTVALUE0001"
#define SECRET "S3cr3tValueThatMustNeverBePrinted"
#define TOKEN "T0kenValueThatMustNeverBePrinted"

static const char *const vendor_env[] = {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_EC2_METADATA_DISABLED",
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
        "ALIBABA_CLOUD_CREDENTIALS_FILE",
        "ALIBABA_CLOUD_PROFILE",
        "ALIBABA_CLOUD_ECS_METADATA",
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED",
        "HUAWEICLOUD_SDK_AK",
        "HUAWEICLOUD_SDK_SK",
        "HUAWEICLOUD_SDK_SECURITY_TOKEN",
        "HUAWEICLOUD_SDK_CREDENTIALS_FILE",
        "CREDENTIALS_DIRECTORY",
};

static char home[64];

static void write_file(const char *rel, const char *text) {
        _cleanup_free_ char *path = NULL, *dir = NULL;

        assert_true(asprintf(&path, "%s/%s", home, rel) > 0);
        dir = strdup(path);
        for (char *s = strchr(dir + strlen(home) + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                (void) mkdir(dir, 0700);
                *s = '/';
        }
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static char *home_path(const char *rel) {
        static char buf[256];
        snprintf(buf, sizeof(buf), "%s/%s", home, rel);
        return buf;
}

static int setup(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(vendor_env); i++)
                unsetenv(vendor_env[i]);
        snprintf(home, sizeof(home), "/tmp/test-credentials-XXXXXX");
        assert_non_null(mkdtemp(home));
        setenv("HOME", home, 1);
        return 0;
}

static int teardown(void **state) {
        _cleanup_free_ char *cmd = NULL;
        assert_true(asprintf(&cmd, "rm -rf '%s'", home) > 0);
        assert_int_equal(system(cmd), 0);
        return 0;
}

static void assert_no_secret(const char *s) {
        if (!s)
                return;
        if (strstr(s, SECRET) || strstr(s, TOKEN))
                fail_msg("a secret leaked into: %s", s);
}

/* Resolves and expects success; checks the keys and returns the source description. */
static Credentials resolve_ok(Provider provider, CredentialSource source, const char *path) {
        CredentialConfig cfg = {
                .provider = provider, .account = "acct", .source = source, .path = path
        };
        Credentials c = {};
        char *error = NULL, *role = NULL;

        int r = credentials_resolve_static(&cfg, &c, &role, &error);
        if (r != 1)
                fail_msg("resolve: %d %s", r, strna(error));
        assert_null(error);
        assert_null(role);
        assert_string_equal(c.access_key_id, AKID);
        assert_string_equal(c.secret, SECRET);
        assert_no_secret(c.source);
        return c;
}

/* Resolves and expects the error r; returns the message (caller frees). */
static char *resolve_error(const CredentialConfig *cfg, int expected) {
        Credentials c = {};
        char *error = NULL;

        int r = credentials_resolve_static(cfg, &c, NULL, &error);
        if (r != expected)
                fail_msg("expected %d, got %d (%s)", expected, r, strna(error));
        assert_null(c.access_key_id);
        assert_non_null(error);
        assert_no_secret(error);
        /* The caller names the account, once (reconciler/core/accounts.c). */
        if (strstr(error, "account '"))
                fail_msg("the account is named: %s", error);
        return error;
}

static void test_env_aws(void **state) {
        setenv("AWS_ACCESS_KEY_ID", AKID, 1);
        setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
        setenv("AWS_SESSION_TOKEN", TOKEN, 1);
        setenv("AWS_CREDENTIAL_EXPIRATION", "2030-01-02T03:04:05Z", 1);

        Credentials c = resolve_ok(PROVIDER_AWS, CREDENTIAL_SOURCE_AUTO, NULL);
        assert_string_equal(c.token, TOKEN);
        assert_string_equal(c.source, "env");
        assert_int_equal(c.kind, CREDENTIAL_SOURCE_ENV);
        assert_int_equal(c.expires_usec, 1893553445ULL * 1000000ULL);
        credentials_done(&c);
        assert_null(c.secret);

        /* The legacy token name, and an empty variable counts as unset. */
        setenv("AWS_SESSION_TOKEN", "", 1);
        setenv("AWS_SECURITY_TOKEN", "legacy", 1);
        unsetenv("AWS_CREDENTIAL_EXPIRATION");
        c = resolve_ok(PROVIDER_AWS, CREDENTIAL_SOURCE_ENV, NULL);
        assert_string_equal(c.token, "legacy");
        assert_int_equal(c.expires_usec, 0);
        credentials_done(&c);
}

static void test_env_alicloud_huaweicloud(void **state) {
        setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AKID, 1);
        setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET, 1);
        setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN, 1);
        Credentials c = resolve_ok(PROVIDER_ALICLOUD, CREDENTIAL_SOURCE_AUTO, NULL);
        assert_string_equal(c.token, TOKEN);
        credentials_done(&c);

        setenv("HUAWEICLOUD_SDK_AK", AKID, 1);
        setenv("HUAWEICLOUD_SDK_SK", SECRET, 1);
        c = resolve_ok(PROVIDER_HUAWEICLOUD, CREDENTIAL_SOURCE_AUTO, NULL);
        assert_null(c.token);
        assert_string_equal(c.source, "env");
        credentials_done(&c);

        /* Another vendor's variables are not looked at. */
        CredentialConfig cfg = { .provider = PROVIDER_AWS,
                                 .account = "aws-acct",
                                 .source = CREDENTIAL_SOURCE_ENV };
        _cleanup_free_ char *e = resolve_error(&cfg, -ENOENT);
        assert_non_null(strstr(e, "AWS_ACCESS_KEY_ID"));
}

static void test_env_partial(void **state) {
        CredentialConfig cfg = { .provider = PROVIDER_AWS, .account = "aws-prod" };

        setenv("AWS_ACCESS_KEY_ID", AKID, 1);
        _cleanup_free_ char *e1 = resolve_error(&cfg, -EINVAL);
        assert_string_equal(
                e1, "environment: AWS_SECRET_ACCESS_KEY is not set, but AWS_ACCESS_KEY_ID is");

        unsetenv("AWS_ACCESS_KEY_ID");
        setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
        _cleanup_free_ char *e2 = resolve_error(&cfg, -EINVAL);
        assert_non_null(strstr(e2, "AWS_ACCESS_KEY_ID is not set"));

        /* A broken source stops the chain: the shared file is not used instead. */
        write_file(".aws/credentials",
                   "[default]\naws_access_key_id=" AKID "\naws_secret_access_key=" SECRET "\n");
        _cleanup_free_ char *e3 = resolve_error(&cfg, -EINVAL);

        setenv("AWS_CREDENTIAL_EXPIRATION", "tomorrow", 1);
        setenv("AWS_ACCESS_KEY_ID", AKID, 1);
        _cleanup_free_ char *e4 = resolve_error(&cfg, -EINVAL);
        assert_non_null(strstr(e4, "AWS_CREDENTIAL_EXPIRATION"));
}

static void test_chain_order(void **state) {
        _cleanup_free_ char *explicit = NULL;

        write_file(".aws/credentials",
                   "[default]\naws_access_key_id = " AKID "\naws_secret_access_key = " SECRET "\n");
        write_file("creds.d/acct", "access_key_id = " AKID "\nsecret_access_key = " SECRET "\n");
        write_file("explicit.ini",
                   "aws_access_key_id = " AKID "\naws_secret_access_key = " SECRET "\n");
        explicit = strdup(home_path("explicit.ini"));

        /* Only the shared file. */
        Credentials c = resolve_ok(PROVIDER_AWS, CREDENTIAL_SOURCE_AUTO, NULL);
        assert_true(startswith(c.source, "shared-file:"));
        assert_true(endswith(c.source, ".aws/credentials [default]"));
        assert_int_equal(c.kind, CREDENTIAL_SOURCE_SHARED_FILE);
        credentials_done(&c);

        /* The environment wins over the shared file. */
        setenv("AWS_ACCESS_KEY_ID", AKID, 1);
        setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
        c = resolve_ok(PROVIDER_AWS, CREDENTIAL_SOURCE_AUTO, NULL);
        assert_string_equal(c.source, "env");
        credentials_done(&c);

        /* A systemd credential wins over the environment. */
        setenv("CREDENTIALS_DIRECTORY", home_path("creds.d"), 1);
        c = resolve_ok(PROVIDER_AWS, CREDENTIAL_SOURCE_AUTO, NULL);
        assert_int_equal(c.kind, CREDENTIAL_SOURCE_SYSTEMD);
        assert_true(startswith(c.source, "systemd:"));
        assert_true(endswith(c.source, "/creds.d/acct"));
        credentials_done(&c);

        /* A file named in the config wins over everything. */
        c = resolve_ok(PROVIDER_AWS, CREDENTIAL_SOURCE_AUTO, explicit);
        assert_int_equal(c.kind, CREDENTIAL_SOURCE_FILE);
        assert_true(startswith(c.source, "file:/"));
        assert_true(endswith(c.source, "/explicit.ini"));
        credentials_done(&c);

        /* A systemd credential directory without this account's file is skipped. */
        setenv("CREDENTIALS_DIRECTORY", home, 1);
        c = resolve_ok(PROVIDER_AWS, CREDENTIAL_SOURCE_AUTO, NULL);
        assert_string_equal(c.source, "env");
        credentials_done(&c);

        /* Forced sources ignore the others. */
        c = resolve_ok(PROVIDER_AWS, CREDENTIAL_SOURCE_FILE, NULL); /* file without path */
        assert_int_equal(c.kind, CREDENTIAL_SOURCE_SHARED_FILE);
        credentials_done(&c);
        c = resolve_ok(PROVIDER_AWS, CREDENTIAL_SOURCE_SHARED_FILE, NULL);
        assert_int_equal(c.kind, CREDENTIAL_SOURCE_SHARED_FILE);
        credentials_done(&c);

        CredentialConfig cfg = { .provider = PROVIDER_AWS,
                                 .account = "acct",
                                 .source = CREDENTIAL_SOURCE_METADATA };
        assert_int_equal(credentials_resolve_static(&cfg, &c, NULL, NULL), 0);
        assert_null(c.access_key_id);
}

static void test_nothing_found(void **state) {
        CredentialConfig cfg = { .provider = PROVIDER_AWS, .account = "lonely" };
        Credentials c = {};
        char *role = (char *) "x", *error = NULL;

        /* Nothing found: the metadata service is next. */
        assert_int_equal(credentials_resolve_static(&cfg, &c, &role, &error), 0);
        assert_null(role);
        assert_null(error);

        setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
        _cleanup_free_ char *e = resolve_error(&cfg, -ENOENT);
        assert_non_null(strstr(e, "no credentials found"));
        assert_non_null(strstr(e, "AWS_EC2_METADATA_DISABLED"));

        /* Forced sources that find nothing are errors. */
        cfg.source = CREDENTIAL_SOURCE_SYSTEMD;
        _cleanup_free_ char *e2 = resolve_error(&cfg, -ENOENT);
        assert_non_null(strstr(e2, "CREDENTIALS_DIRECTORY"));
        setenv("CREDENTIALS_DIRECTORY", home, 1);
        _cleanup_free_ char *e3 = resolve_error(&cfg, -ENOENT);
        assert_non_null(strstr(e3, "lonely"));
        cfg.source = CREDENTIAL_SOURCE_SHARED_FILE;
        _cleanup_free_ char *e4 = resolve_error(&cfg, -ENOENT);
        assert_non_null(strstr(e4, ".aws/credentials"));
        cfg.source = CREDENTIAL_SOURCE_FILE;
        cfg.path = "/nonexistent/creds";
        _cleanup_free_ char *e5 = resolve_error(&cfg, -ENOENT);
        assert_non_null(strstr(e5, "/nonexistent/creds"));
}

static void test_shared_file_aws_profiles(void **state) {
        write_file("elsewhere",
                   "[default]\naws_access_key_id = other\naws_secret_access_key = other\n"
                   "[prod]\naws_access_key_id = " AKID "\naws_secret_access_key = " SECRET
                   "\naws_session_token = " TOKEN "\n");
        setenv("AWS_SHARED_CREDENTIALS_FILE", home_path("elsewhere"), 1);

        Credentials c = {};
        CredentialConfig cfg = { .provider = PROVIDER_AWS, .account = "acct" };
        assert_int_equal(credentials_resolve_static(&cfg, &c, NULL, NULL), 1);
        assert_string_equal(c.access_key_id, "other");
        credentials_done(&c);

        setenv("AWS_DEFAULT_PROFILE", "prod", 1);
        c = resolve_ok(PROVIDER_AWS, CREDENTIAL_SOURCE_AUTO, NULL);
        assert_true(endswith(c.source, "/elsewhere [prod]"));
        assert_string_equal(c.token, TOKEN);
        credentials_done(&c);

        /* An explicit profile that does not exist is an error, not "not found". */
        setenv("AWS_PROFILE", "staging", 1);
        _cleanup_free_ char *e = resolve_error(&cfg, -ENOENT);
        assert_non_null(strstr(e, "profile [staging] not found"));

        /* The config's profile wins over the environment. */
        cfg.profile = "prod";
        assert_int_equal(credentials_resolve_static(&cfg, &c, NULL, NULL), 1);
        assert_string_equal(c.access_key_id, AKID);
        credentials_done(&c);

        /* An explicitly named file that is missing is an error. */
        setenv("AWS_SHARED_CREDENTIALS_FILE", home_path("missing"), 1);
        _cleanup_free_ char *e2 = resolve_error(&cfg, -ENOENT);
        assert_non_null(strstr(e2, "missing"));

        /* "~/" in the variable is the home directory. */
        setenv("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere", 1);
        assert_int_equal(credentials_resolve_static(&cfg, &c, NULL, NULL), 1);
        credentials_done(&c);
}

static void test_shared_file_alicloud(void **state) {
        CredentialConfig cfg = { .provider = PROVIDER_ALICLOUD, .account = "ali" };
        Credentials c = {};
        char *role = NULL;

        write_file(".alibabacloud/credentials",
                   "[default]\ntype = access_key\naccess_key_id = " AKID
                   "\naccess_key_secret = " SECRET "\n"
                   "[sts]\ntype = sts\naccess_key_id = " AKID "\naccess_key_secret = " SECRET
                   "\nsecurity_token = " TOKEN "\n"
                   "[stsbroken]\ntype = sts\naccess_key_id = " AKID "\naccess_key_secret = " SECRET
                   "\n"
                   "[ecs]\ntype = ecs_ram_role\nrole_name = EcsRole\n"
                   "[rsa]\ntype = rsa_key_pair\npublic_key_id = x\n");
        c = resolve_ok(PROVIDER_ALICLOUD, CREDENTIAL_SOURCE_AUTO, NULL);
        assert_null(c.token);
        assert_true(endswith(c.source, ".alibabacloud/credentials [default]"));
        credentials_done(&c);

        setenv("ALIBABA_CLOUD_PROFILE", "sts", 1);
        assert_int_equal(credentials_resolve_static(&cfg, &c, NULL, NULL), 1);
        assert_string_equal(c.token, TOKEN);
        credentials_done(&c);

        setenv("ALIBABA_CLOUD_PROFILE", "stsbroken", 1);
        _cleanup_free_ char *e1 = resolve_error(&cfg, -EINVAL);
        assert_non_null(strstr(e1, "security_token"));

        /* ecs_ram_role: the metadata service, for that role. */
        setenv("ALIBABA_CLOUD_PROFILE", "ecs", 1);
        assert_int_equal(credentials_resolve_static(&cfg, &c, &role, NULL), 0);
        assert_string_equal(role, "EcsRole");
        free(role);

        setenv("ALIBABA_CLOUD_PROFILE", "rsa", 1);
        _cleanup_free_ char *e2 = resolve_error(&cfg, -EOPNOTSUPP);
        assert_non_null(strstr(e2, "credential type 'rsa_key_pair' is not supported"));

        /* ALIBABA_CLOUD_CREDENTIALS_FILE names another file. */
        unsetenv("ALIBABA_CLOUD_PROFILE");
        write_file("ali.ini",
                   "[default]\naccess_key_id = " AKID "\naccess_key_secret = " SECRET "\n");
        setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", home_path("ali.ini"), 1);
        c = resolve_ok(PROVIDER_ALICLOUD, CREDENTIAL_SOURCE_AUTO, NULL);
        assert_true(endswith(c.source, "/ali.ini [default]"));
        credentials_done(&c);
}

static void test_shared_file_huaweicloud(void **state) {
        write_file(".huaweicloud/credentials", "[global]\nak = global\nsk = global\n"
                                               "[basic]\nak = " AKID "\nsk = " SECRET
                                               "\nsecurity_token = " TOKEN "\nproject_id = p\n");
        Credentials c = resolve_ok(PROVIDER_HUAWEICLOUD, CREDENTIAL_SOURCE_AUTO, NULL);
        assert_string_equal(c.token, TOKEN);
        assert_true(endswith(c.source, ".huaweicloud/credentials [basic]"));
        credentials_done(&c);

        write_file("hw", "[default]\nak = " AKID "\nsk = " SECRET "\n");
        setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", home_path("hw"), 1);
        c = resolve_ok(PROVIDER_HUAWEICLOUD, CREDENTIAL_SOURCE_AUTO, NULL);
        assert_true(endswith(c.source, "/hw [default]"));
        credentials_done(&c);
}

static void test_partial_file(void **state) {
        CredentialConfig cfg = { .provider = PROVIDER_AWS, .account = "aws-prod" };

        write_file(".aws/credentials", "[default]\naws_access_key_id = " AKID "\n");
        _cleanup_free_ char *e1 = resolve_error(&cfg, -EINVAL);
        assert_non_null(strstr(
                e1,
                "[default]: 'aws_secret_access_key' is missing, but an access key id is given"));
        assert_null(strstr(e1, AKID));

        write_file(".aws/credentials", "[default]\naws_secret_access_key = " SECRET "\n");
        _cleanup_free_ char *e2 = resolve_error(&cfg, -EINVAL);
        assert_non_null(strstr(e2, "'aws_access_key_id' is missing, but a secret is given"));

        /* Huawei's names in Huawei's messages. */
        cfg.provider = PROVIDER_HUAWEICLOUD;
        write_file(".huaweicloud/credentials", "[basic]\nak = " AKID "\nsk =\n");
        _cleanup_free_ char *e3 = resolve_error(&cfg, -EINVAL);
        assert_non_null(strstr(e3, "'sk' is missing"));

        /* Two names for one field. */
        cfg.provider = PROVIDER_AWS;
        write_file(".aws/credentials", "[default]\naws_access_key_id = " AKID "\nak = " AKID
                                       "\naws_secret_access_key = " SECRET "\n");
        _cleanup_free_ char *e4 = resolve_error(&cfg, -EINVAL);
        assert_non_null(strstr(
                e4, ":3:1: error: 'ak' and 'aws_access_key_id' (line 2) give the same credential"));

        /* A syntax error: path:line:col, and the secret-looking line is not quoted. */
        write_file(".aws/credentials", "[default]\naws_access_key_id = " AKID "\n" SECRET "\n");
        _cleanup_free_ char *e5 = resolve_error(&cfg, -EINVAL);
        assert_non_null(strstr(e5, "/.aws/credentials:3:1: error: expected 'key = value'"));
}

static void test_config_file_formats(void **state) {
        _cleanup_free_ char *path = strdup(home_path("acct.creds"));
        CredentialConfig cfg = { .provider = PROVIDER_ALICLOUD, .account = "acct", .path = path };
        Credentials c = {};

        /* Environment-style lines, as a systemd credential might hold them. */
        write_file("acct.creds", "ALIBABA_CLOUD_ACCESS_KEY_ID=" AKID
                                 "\nALIBABA_CLOUD_ACCESS_KEY_SECRET=" SECRET "\n");
        c = resolve_ok(PROVIDER_ALICLOUD, CREDENTIAL_SOURCE_FILE, path);
        assert_null(c.token);
        credentials_done(&c);

        /* The generic names, in a section chosen by the profile. */
        write_file("acct.creds", "[a]\naccess_key_id = x\nsecret_access_key = y\n"
                                 "[b]\naccess_key_id = " AKID "\nsecret_access_key = " SECRET
                                 "\nsession_token = " TOKEN "\n");
        cfg.profile = "b";
        assert_int_equal(credentials_resolve_static(&cfg, &c, NULL, NULL), 1);
        assert_string_equal(c.access_key_id, AKID);
        assert_string_equal(c.token, TOKEN);
        credentials_done(&c);

        /* Without profile and global keys: [default]; without those: an error. */
        cfg.profile = NULL;
        _cleanup_free_ char *e = resolve_error(&cfg, -EINVAL);
        assert_non_null(strstr(e, "no credentials in the file"));

        /* The systemd credential has the same format. */
        write_file("cd/acct", "[default]\nak = " AKID "\nsk = " SECRET "\n");
        setenv("CREDENTIALS_DIRECTORY", home_path("cd"), 1);
        c = resolve_ok(PROVIDER_HUAWEICLOUD, CREDENTIAL_SOURCE_SYSTEMD, NULL);
        credentials_done(&c);

        /* An account name that cannot be a file name. */
        CredentialConfig bad = { .provider = PROVIDER_AWS,
                                 .account = "../etc",
                                 .source = CREDENTIAL_SOURCE_SYSTEMD };
        _cleanup_free_ char *e2 = resolve_error(&bad, -EINVAL);
}

static void test_parse_time(void **state) {
        static const struct {
                const char *s;
                uint64_t usec;
        } good[] = {
                { "1970-01-01T00:00:00Z", 0 },
                { "2030-01-02T03:04:05Z", 1893553445000000ULL },
                { "2030-01-02T03:04:05", 1893553445000000ULL },
                { "2030-01-02T03:04:05.25Z", 1893553445250000ULL },
                { "2030-01-02T03:04:05.123456789Z", 1893553445123456ULL },
                { "2030-01-02T05:04:05+02:00", 1893553445000000ULL },
                { "2030-01-01T22:04:05-05:00", 1893553445000000ULL },
                { "2030-01-02 03:04:05z", 1893553445000000ULL },
        };
        static const char *const bad[] = {
                "",
                "2030",
                "2030-01-02",
                "2030-01-02T03:04Z",
                "2030-13-02T03:04:05Z",
                "2030-01-02T03:04:05Zjunk",
                "2030-01-02T03:04:05+0200",
                "1969-12-31T23:59:59Z",
                "2030-01-02T24:00:00Z",
                "x030-01-02T03:04:05Z",
        };
        uint64_t u;

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                if (credentials_parse_time(good[i].s, &u) < 0)
                        fail_msg("rejected '%s'", good[i].s);
                assert_int_equal(u, good[i].usec);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (credentials_parse_time(bad[i], &u) >= 0)
                        fail_msg("accepted '%s'", bad[i]);
        assert_int_equal(credentials_parse_time(NULL, &u), -EINVAL);
}

static void test_helpers(void **state) {
        assert_string_equal(credential_source_to_string(CREDENTIAL_SOURCE_SHARED_FILE),
                            "shared-file");
        assert_int_equal(credential_source_from_string("metadata"), CREDENTIAL_SOURCE_METADATA);
        assert_int_equal(credential_source_from_string("env"), CREDENTIAL_SOURCE_ENV);
        assert_int_equal(credential_source_from_string("vault"), _CREDENTIAL_SOURCE_INVALID);
        assert_null(credential_source_to_string(_CREDENTIAL_SOURCE_MAX));

        Credentials a = { .access_key_id = strdup(AKID),
                          .secret = strdup(SECRET),
                          .expires_usec = 10,
                          .kind = CREDENTIAL_SOURCE_ENV,
                          .source = strdup("env") },
                    b;
        assert_int_equal(credentials_copy(&a, &b), 0);
        assert_string_equal(b.secret, SECRET);
        assert_null(b.token);
        assert_true(credentials_valid(&b, 9));
        assert_false(credentials_valid(&b, 10));
        b.expires_usec = 0;
        assert_true(credentials_valid(&b, UINT64_MAX));
        credentials_done(&a);
        credentials_done(&b);
        credentials_done(NULL);
        assert_false(credentials_valid(&a, 0));
}

static void test_provider_static(void **state) {
        _cleanup_(credential_provider_freep) CredentialProvider *p = NULL, *q = NULL;
        sd_event *e = NULL;

        assert_int_equal(sd_event_new(&e), 0);
        setenv("HUAWEICLOUD_SDK_AK", AKID, 1);
        setenv("HUAWEICLOUD_SDK_SK", SECRET, 1);

        CredentialConfig cfg = { .provider = PROVIDER_HUAWEICLOUD, .account = "hw" };
        assert_int_equal(credential_provider_new(e, NULL, &cfg, &p), 0);
        assert_null(credential_provider_get(p));
        assert_int_equal(credential_provider_start(p), 1);
        const Credentials *c = credential_provider_get(p);
        assert_non_null(c);
        assert_string_equal(c->secret, SECRET);
        assert_string_equal(c->source, "env");
        assert_null(credential_provider_error(p));
        assert_int_equal(credential_provider_start(p), -EALREADY);

        /* Errors are kept for the caller to report; it names the account. */
        unsetenv("HUAWEICLOUD_SDK_AK");
        CredentialConfig cfg2 = { .provider = PROVIDER_HUAWEICLOUD, .account = "hw2" };
        assert_int_equal(credential_provider_new(e, NULL, &cfg2, &q), 0);
        assert_int_equal(credential_provider_start(q), -EINVAL);
        assert_null(credential_provider_get(q));
        assert_string_equal(
                credential_provider_error(q),
                "environment: HUAWEICLOUD_SDK_AK is not set, but HUAWEICLOUD_SDK_SK is");
        q = credential_provider_free(q);

        /* The metadata source without an HTTP engine. */
        unsetenv("HUAWEICLOUD_SDK_SK");
        assert_int_equal(credential_provider_new(e, NULL, &cfg2, &q), 0);
        assert_int_equal(credential_provider_start(q), -EINVAL);
        assert_string_equal(credential_provider_error(q),
                            "the metadata source needs an HTTP engine");

        CredentialConfig bad = { .provider = PROVIDER_AWS };
        CredentialProvider *none = NULL;
        assert_int_equal(credential_provider_new(e, NULL, &bad, &none), -EINVAL);
        assert_null(none);
        sd_event_unref(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_env_aws, setup, teardown),
                cmocka_unit_test_setup_teardown(test_env_alicloud_huaweicloud, setup, teardown),
                cmocka_unit_test_setup_teardown(test_env_partial, setup, teardown),
                cmocka_unit_test_setup_teardown(test_chain_order, setup, teardown),
                cmocka_unit_test_setup_teardown(test_nothing_found, setup, teardown),
                cmocka_unit_test_setup_teardown(test_shared_file_aws_profiles, setup, teardown),
                cmocka_unit_test_setup_teardown(test_shared_file_alicloud, setup, teardown),
                cmocka_unit_test_setup_teardown(test_shared_file_huaweicloud, setup, teardown),
                cmocka_unit_test_setup_teardown(test_partial_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_config_file_formats, setup, teardown),
                cmocka_unit_test(test_parse_time),
                cmocka_unit_test(test_helpers),
                cmocka_unit_test_setup_teardown(test_provider_static, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
