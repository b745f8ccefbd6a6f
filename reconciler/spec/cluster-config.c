/* SPDX-License-Identifier: MIT */
#include <unistd.h>

#include "lib/strbuf.h"
#include "reconciler/spec/cluster-config.h"
#include "reconciler/spec/daemon-config.h" /* daemon_config_parse_name() */
#include "reconciler/spec/yaml-tree.h"

#define MAX_ETCD_ENDPOINTS 16u

typedef struct ClusterCredentialsYaml {
        char *user, *password_file, *password_credential, *ca_file, *cert_file, *key_file;
} ClusterCredentialsYaml;

ClusterConfig *cluster_config_free(ClusterConfig *c) {
        if (!c)
                return NULL;
        strv_free(c->etcd);
        free(c->name);
        free(c->member);
        free(c->user);
        free(c->password_file);
        free(c->password_credential);
        free(c->ca_file);
        free(c->cert_file);
        free(c->key_file);
        free(c);
        return NULL;
}

static void fingerprint_put(StrBuf *b, const char *key, const char *value) {
        strbuf_puts(b, key);
        strbuf_putc(b, ' ');
        strbuf_puts(b, value ?: "-");
        strbuf_putc(b, '\n');
}

int cluster_config_fingerprint(const ClusterConfig *c, char **ret) {
        StrBuf b = {};

        if (c) {
                for (char **e = c->etcd; e && *e; e++)
                        fingerprint_put(&b, "etcd", *e);
                fingerprint_put(&b, "name", c->name);
                fingerprint_put(&b, "member", c->member);
                strbuf_puts(&b, "leaseTTL ");
                strbuf_put_int(&b, (int64_t) c->lease_ttl);
                strbuf_putc(&b, '\n');
                fingerprint_put(&b, "user", c->user);
                fingerprint_put(&b, "passwordFile", c->password_file);
                fingerprint_put(&b, "passwordCredential", c->password_credential);
                fingerprint_put(&b, "caFile", c->ca_file);
                fingerprint_put(&b, "certFile", c->cert_file);
                fingerprint_put(&b, "keyFile", c->key_file);
        }
        return strbuf_take(&b, ret);
}

static int parse_endpoints(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                           void *dest) {
        int r = schema_parse_string_list(ctx, node, f, dest);
        char **l;
        size_t n = 0;

        if (r < 0)
                return r;
        l = *(char ***) dest;
        for (; l[n]; n++)
                if (!startswith(l[n], "http://") && !startswith(l[n], "https://"))
                        r = yaml_error(ctx->diags, ctx->path, node->items[n],
                                       "etcd endpoint '%s' must be an http:// or https:// URL",
                                       l[n]);
        if (n == 0 || n > MAX_ETCD_ENDPOINTS)
                r = yaml_error(ctx->diags, ctx->path, node, "'etcd' must list 1 to %u URLs",
                               MAX_ETCD_ENDPOINTS);
        return r;
}

static int parse_absolute_path(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                               void *dest) {
        int r = schema_parse_string(ctx, node, f, dest);

        if (r < 0)
                return r;
        if ((*(char **) dest)[0] != '/')
                return yaml_error(ctx->diags, ctx->path, node, "'%s' must be an absolute path",
                                  f->key);
        return 0;
}

#define CRED(m) offsetof(ClusterCredentialsYaml, m)
static const SchemaField credentials_fields[] = {
        { "user", schema_parse_string, CRED(user), .max = 256 },
        { "passwordFile", parse_absolute_path, CRED(password_file), .max = 4096 },
        { "passwordCredential", daemon_config_parse_name, CRED(password_credential) },
        { "caFile", parse_absolute_path, CRED(ca_file), .max = 4096 },
        { "certFile", parse_absolute_path, CRED(cert_file), .max = 4096 },
        { "keyFile", parse_absolute_path, CRED(key_file), .max = 4096 },
        {}
};

static void credentials_yaml_done(ClusterCredentialsYaml *y) {
        free(y->user);
        free(y->password_file);
        free(y->password_credential);
        free(y->ca_file);
        free(y->cert_file);
        free(y->key_file);
}

/* A user needs exactly one password source, a password needs a user, a certificate its key. */
static int credentials_check(SchemaContext *ctx, const YamlNode *node,
                             const ClusterCredentialsYaml *y) {
        bool pw = y->password_file || y->password_credential;

        if (y->password_file && y->password_credential)
                return yaml_error(ctx->diags, ctx->path, schema_locate(node, "passwordCredential"),
                                  "'passwordFile' and 'passwordCredential' exclude each other");
        if (y->user && !pw)
                return yaml_error(ctx->diags, ctx->path, schema_locate(node, "user"),
                                  "'user' needs 'passwordFile' or 'passwordCredential'");
        if (!y->user && pw)
                return yaml_error(ctx->diags, ctx->path, node,
                                  "a password needs a 'user' to go with it");
        if (!y->cert_file != !y->key_file)
                return yaml_error(ctx->diags, ctx->path,
                                  schema_locate(node, y->cert_file ? "certFile" : "keyFile"),
                                  "'certFile' and 'keyFile' go together");
        return 0;
}

static int parse_credentials(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                             void *dest) {
        ClusterConfig *c = dest;
        ClusterCredentialsYaml y = {};
        int r;

        r = schema_parse_mapping(ctx, node, "'credentials'", credentials_fields, &y, NULL);
        if (r >= 0)
                r = credentials_check(ctx, node, &y);
        if (r < 0) {
                credentials_yaml_done(&y);
                return r;
        }
        c->user = y.user;
        c->password_file = y.password_file;
        c->password_credential = y.password_credential;
        c->ca_file = y.ca_file;
        c->cert_file = y.cert_file;
        c->key_file = y.key_file;
        return 0;
}

#define CL(m) offsetof(ClusterConfig, m)
static const SchemaField cluster_fields[] = {
        { "etcd", parse_endpoints, CL(etcd), .required = true },
        { "name", daemon_config_parse_name, CL(name), .required = true },
        { "member", daemon_config_parse_name, CL(member) },
        { "leaseTTL", schema_parse_duration, CL(lease_ttl), .min = (int64_t) USEC_PER_SEC,
          .max = (int64_t) (5 * USEC_PER_MINUTE) },
        { "credentials", parse_credentials, 0 },
        {}
};

static int default_member(ClusterConfig *c) {
        char host[256] = {};

        if (c->member)
                return 0;
        if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
                return -errno ?: -EINVAL;
        /* A fully qualified host name keeps its first label: members are key segments. */
        host[strcspn(host, ".")] = 0;
        c->member = strdup(host);
        return c->member ? 0 : -ENOMEM;
}

int cluster_config_parse(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                         void *dest) {
        _cleanup_(cluster_config_freep) ClusterConfig *c = calloc(1, sizeof(ClusterConfig));
        int r;

        if (!c)
                return -ENOMEM;
        c->lease_ttl = CLUSTER_DEFAULT_LEASE_TTL;
        c->line = node ? node->line : 1;
        c->column = node ? node->column : 1;
        r = schema_parse_mapping(ctx, node, "'cluster'", cluster_fields, c, NULL);
        if (r < 0)
                return r;
        if (default_member(c) < 0)
                return yaml_error(ctx->diags, ctx->path, node,
                                  "'member' is needed: the host name cannot be read");
        cluster_config_free(*(ClusterConfig **) dest);
        *(ClusterConfig **) dest = TAKE_PTR(c);
        return 0;
}
