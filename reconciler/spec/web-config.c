/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/macro.h"
#include "reconciler/spec/web-config.h"

#define WEB_FILE_MAX (1024u * 1024u) /* a certificate chain or a key, PEM */

static const char bcrypt_alphabet[] =
        "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

bool web_bcrypt_hash_is_valid(const char *s) {
        unsigned cost;

        if (!s || strlen(s) != 60 || s[0] != '$' || s[1] != '2' || !strchr("aby", s[2]) ||
            s[3] != '$' || s[6] != '$' || s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9')
                return false;
        cost = (unsigned) (s[4] - '0') * 10 + (unsigned) (s[5] - '0');
        return cost >= 4 && cost <= WEB_BCRYPT_COST_MAX && strspn(s + 7, bcrypt_alphabet) == 53;
}

/* A file the daemon will read at start: it must be a readable regular file, not too large. */
static int web_check_file(SchemaContext *ctx, const YamlNode *node, const char *key,
                          const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0)
                return yaml_error(ctx->diags, ctx->path, node, "cannot read '%s' '%s': %s", key,
                                  path, strerror(errno));
        if (!S_ISREG(st.st_mode) || st.st_size == 0 || st.st_size > (off_t) WEB_FILE_MAX)
                return yaml_error(ctx->diags, ctx->path, node,
                                  "'%s' '%s' must be a non-empty PEM file of at most %u bytes", key,
                                  path, WEB_FILE_MAX);
        return 0;
}

static int web_parse_file(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                          void *dest) {
        int r = schema_parse_string(ctx, node, f, dest);

        if (r < 0)
                return r;
        if (*(char **) dest)
                return web_check_file(ctx, node, f->key, *(char **) dest);
        return 0;
}

static int web_parse_user(SchemaContext *ctx, const YamlPair *p, WebUser *u) {
        const char *hash;

        if (schema_expect_string(ctx, p->value, p->key->value, &hash) < 0)
                return -EINVAL;
        if (isempty(p->key->value) || strchr(p->key->value, ':'))
                return yaml_error(ctx->diags, ctx->path, p->key,
                                  "a basic-auth user name must be non-empty and without ':'");
        if (!web_bcrypt_hash_is_valid(hash))
                return yaml_error(ctx->diags, ctx->path, p->value,
                                  "the password of user '%s' must be a bcrypt hash ($2b$, $2y$ "
                                  "or $2a$, cost 04 to %02u, 60 characters), as made by "
                                  "'htpasswd -nbBC 10 USER PASSWORD'",
                                  p->key->value, WEB_BCRYPT_COST_MAX);
        u->name = strdup(p->key->value);
        u->hash = strdup(hash);
        return u->name && u->hash ? 0 : -ENOMEM;
}

static int web_parse_users(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                           void *dest) {
        WebConfig *w = (WebConfig *) ((uint8_t *) dest - offsetof(WebConfig, users));
        int r = 0;

        if (schema_expect_mapping(ctx, node, f->key) < 0)
                return -EINVAL;
        if (node->n_pairs > WEB_USERS_MAX)
                return yaml_error(ctx->diags, ctx->path, node,
                                  "too many basic-auth users (limit %u)", WEB_USERS_MAX);
        w->users = calloc(node->n_pairs ?: 1, sizeof(WebUser));
        if (!w->users)
                return -ENOMEM;
        for (size_t i = 0; i < node->n_pairs; i++) {
                int k = web_parse_user(ctx, &node->pairs[i], &w->users[w->n_users++]);
                if (k == -ENOMEM)
                        return k;
                r = r < 0 ? r : k;
        }
        return r;
}

#define WEB(m) offsetof(WebConfig, m)
static const SchemaField web_fields[] = {
        { "tlsCertFile", web_parse_file, WEB(tls_cert_file), .max = 4096 },
        { "tlsKeyFile", web_parse_file, WEB(tls_key_file), .max = 4096 },
        { "basicAuthUsers", web_parse_users, WEB(users) },
        {}
};

int web_config_parse(SchemaContext *ctx, const YamlNode *node, const SchemaField *f, void *dest) {
        WebConfig *w = dest;
        int r;

        r = schema_parse_mapping(ctx, node, "'web'", web_fields, w, NULL);
        if (r == -ENOMEM)
                return r;
        if (!w->tls_cert_file != !w->tls_key_file)
                return yaml_error(ctx->diags, ctx->path, node,
                                  "'web' needs both 'tlsCertFile' and 'tlsKeyFile', or neither");
        return r;
}

void web_config_done(WebConfig *w) {
        free(w->tls_cert_file);
        free(w->tls_key_file);
        for (size_t i = 0; i < w->n_users; i++) {
                free(w->users[i].name);
                free(w->users[i].hash);
        }
        free(w->users);
        *w = (WebConfig){};
}
