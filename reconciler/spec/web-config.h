/* SPDX-License-Identifier: MIT */
#pragma once

/* The daemon configuration's `web:` block: TLS and basic authentication for the HTTP endpoint,
 * after the Prometheus exporter-toolkit's web configuration file (tls_server_config.cert_file,
 * key_file; basic_auth_users: name → bcrypt hash), in this file's camelCase:
 *
 *   web:
 *     tlsCertFile: /etc/asyncfg/web.crt     PEM certificate (chain); with tlsKeyFile
 *     tlsKeyFile: /etc/asyncfg/web.key      PEM private key; with tlsCertFile
 *     basicAuthUsers:                       name → bcrypt hash ($2a$, $2b$ or $2y$, cost 4-12)
 *       prometheus: $2b$10$...
 *
 * Both files must exist and be readable when the configuration is loaded (so `asyncfg validate`
 * and a SIGHUP catch a typo), and every hash must be a well-formed bcrypt hash; each problem is
 * reported at its key or value. As in exporter-toolkit, authentication covers every path
 * (/healthz and /readyz too). */

#include <stdbool.h>

#include "reconciler/spec/schema.h"

#define WEB_USERS_MAX 100u
/* 2^12 rounds: a quarter to half a second per check, on the event loop; more would stall it. */
#define WEB_BCRYPT_COST_MAX 12u

typedef struct WebUser {
        char *name;
        char *hash; /* bcrypt, "$2b$10$" + 53 characters */
} WebUser;

typedef struct WebConfig {
        char *tls_cert_file; /* both or neither */
        char *tls_key_file;
        WebUser *users;
        size_t n_users;
} WebConfig;

/* The schema parser of `web:` (dest: a WebConfig). */
int web_config_parse(SchemaContext *ctx, const YamlNode *node, const SchemaField *f, void *dest);
void web_config_done(WebConfig *w);

/* Whether s is a bcrypt hash this daemon can check: $2a$/$2b$/$2y$, cost 04..WEB_BCRYPT_COST_MAX,
 * 22 characters of salt and 31 of hash from bcrypt's alphabet. */
bool web_bcrypt_hash_is_valid(const char *s);

static inline bool web_config_is_protected(const WebConfig *w) {
        return w->tls_cert_file || w->n_users > 0;
}
