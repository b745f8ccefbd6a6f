/* SPDX-License-Identifier: MIT */
/* The credential sources that need no network: a configured file, a systemd credential, the
 * vendor's environment variables and the vendor's shared credentials file (credentials.h has
 * the rules). Every message names the source and the key, never a value, and not the account:
 * the caller that decides what an account without credentials means names it, once. */
#include <stdarg.h>
#include <strings.h>
#include <sys/stat.h>

#include "clouds/credentials/credentials.h"
#include "lib/ini.h"

typedef struct Vendor {
        const char *env_id, *env_secret, *env_token, *env_token_legacy, *env_expiration;
        const char *shared_file_env, *shared_file_home; /* the latter relative to $HOME */
        const char *profile_env, *profile_env_legacy;
        const char *default_sections[3]; /* tried in order when no profile is set */
        const char *key_id, *key_secret; /* the vendor's names for the messages */
        const char *metadata_disabled_env;
} Vendor;

static const Vendor vendor_table[_PROVIDER_MAX] = {
        [PROVIDER_AWS] = {
                .env_id = "AWS_ACCESS_KEY_ID",
                .env_secret = "AWS_SECRET_ACCESS_KEY",
                .env_token = "AWS_SESSION_TOKEN",
                .env_token_legacy = "AWS_SECURITY_TOKEN",
                .env_expiration = "AWS_CREDENTIAL_EXPIRATION",
                .shared_file_env = "AWS_SHARED_CREDENTIALS_FILE",
                .shared_file_home = ".aws/credentials",
                .profile_env = "AWS_PROFILE",
                .profile_env_legacy = "AWS_DEFAULT_PROFILE",
                .default_sections = { "default" },
                .key_id = "aws_access_key_id",
                .key_secret = "aws_secret_access_key",
                .metadata_disabled_env = "AWS_EC2_METADATA_DISABLED",
        },
        [PROVIDER_ALICLOUD] = {
                .env_id = "ALIBABA_CLOUD_ACCESS_KEY_ID",
                .env_secret = "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                .env_token = "ALIBABA_CLOUD_SECURITY_TOKEN",
                .shared_file_env = "ALIBABA_CLOUD_CREDENTIALS_FILE",
                .shared_file_home = ".alibabacloud/credentials",
                .profile_env = "ALIBABA_CLOUD_PROFILE",
                .default_sections = { "default" },
                .key_id = "access_key_id",
                .key_secret = "access_key_secret",
                .metadata_disabled_env = "ALIBABA_CLOUD_ECS_METADATA_DISABLED",
        },
        [PROVIDER_HUAWEICLOUD] = {
                .env_id = "HUAWEICLOUD_SDK_AK",
                .env_secret = "HUAWEICLOUD_SDK_SK",
                .env_token = "HUAWEICLOUD_SDK_SECURITY_TOKEN",
                .shared_file_env = "HUAWEICLOUD_SDK_CREDENTIALS_FILE",
                .shared_file_home = ".huaweicloud/credentials",
                .default_sections = { "basic", "default" },
                .key_id = "ak",
                .key_secret = "sk",
        },
};

/* Every name a field may have in a credentials file, whatever the provider. */
static const char *const keys_id[] = {
        "access_key_id",
        "aws_access_key_id",
        "ak",
        "alibaba_cloud_access_key_id",
        "huaweicloud_sdk_ak",
        NULL,
};
static const char *const keys_secret[] = {
        "secret_access_key",
        "aws_secret_access_key",
        "access_key_secret",
        "sk",
        "alibaba_cloud_access_key_secret",
        "huaweicloud_sdk_sk",
        NULL,
};
static const char *const keys_token[] = {
        "session_token",
        "aws_session_token",
        "aws_security_token",
        "security_token",
        "alibaba_cloud_security_token",
        "huaweicloud_sdk_security_token",
        NULL,
};

/* Only for file sources: what the chain found in a file besides plain keys. */
typedef struct FileResult {
        Credentials creds;
        char *role; /* type = ecs_ram_role */
        bool use_metadata;
} FileResult;

static _printf_(3, 4) int fail(char **error, int r, const char *format, ...) {
        va_list ap;

        if (error) {
                va_start(ap, format);
                if (vasprintf(error, format, ap) < 0)
                        *error = NULL;
                va_end(ap);
        }
        return r;
}

static bool env_true(const char *name) {
        const char *v = name ? getenv(name) : NULL;
        return v && (strcasecmp(v, "true") == 0 || streq(v, "1"));
}

static const char *env_nonempty(const char *name) {
        const char *v = name ? getenv(name) : NULL;
        return isempty(v) ? NULL : v;
}

static int set_source(Credentials *c, CredentialSource kind, const char *format, ...)
        _printf_(3, 4);
static int set_source(Credentials *c, CredentialSource kind, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        free(c->source);
        r = vasprintf(&c->source, format, ap);
        va_end(ap);
        if (r < 0) {
                c->source = NULL;
                return -ENOMEM;
        }
        c->kind = kind;
        return 0;
}

static int fill(Credentials *c, const char *id, const char *secret, const char *token) {
        c->access_key_id = strdup(id);
        c->secret = strdup(secret);
        c->token = isempty(token) ? NULL : strdup(token);
        if (!c->access_key_id || !c->secret || (!isempty(token) && !c->token))
                return -ENOMEM;
        return 0;
}

static int load_env(const CredentialConfig *cfg, const Vendor *v, Credentials *ret, char **error) {
        _cleanup_(credentials_done) Credentials c = {};
        const char *id = env_nonempty(v->env_id), *secret = env_nonempty(v->env_secret);
        const char *token = env_nonempty(v->env_token) ?: env_nonempty(v->env_token_legacy);
        const char *expiration = env_nonempty(v->env_expiration);
        int r;

        if (!id && !secret)
                return 0;
        if (!id || !secret)
                return fail(error, -EINVAL, "environment: %s is not set, but %s is",
                            id ? v->env_secret : v->env_id, id ? v->env_id : v->env_secret);
        if (expiration && credentials_parse_time(expiration, &c.expires_usec) < 0)
                return fail(error, -EINVAL, "environment: %s is not an ISO 8601 time",
                            v->env_expiration);
        r = fill(&c, id, secret, token);
        if (r >= 0)
                r = set_source(&c, CREDENTIAL_SOURCE_ENV, "env");
        if (r < 0)
                return fail(error, r, "out of memory");
        *ret = c;
        c = (Credentials){};
        return 1;
}

/* The value of the one name of a field that the section uses; two names at once are an error. */
static int ini_get_field(const IniFile *f, const char *section, const char *const *names,
                         const char *path, const char **ret, char **error) {
        const IniEntry *found = NULL;

        for (const char *const *n = names; *n; n++) {
                const IniEntry *e = ini_find(f, section, *n);
                if (!e)
                        continue;
                if (found)
                        return fail(error, -EINVAL,
                                    "%s:%u:1: error: '%s' and '%s' (line %u) give the same "
                                    "credential",
                                    path, e->line, e->key, found->key, found->line);
                found = e;
        }
        *ret = found ? found->value : NULL;
        return 0;
}

/* The section to read: the profile if given, else the global keys, else the vendor's defaults.
 * NULL if none is there. */
static const char *pick_section(const IniFile *f, const Vendor *v, const char *profile,
                                bool allow_global) {
        if (profile)
                return ini_has_section(f, profile) ? profile : NULL;
        if (allow_global && ini_has_section(f, ""))
                return "";
        for (size_t i = 0; i < ELEMENTSOF(v->default_sections) && v->default_sections[i]; i++)
                if (ini_has_section(f, v->default_sections[i]))
                        return v->default_sections[i];
        return NULL;
}

static int credentials_from_section(const IniFile *f, const char *section, const Vendor *v,
                                    const char *path, FileResult *res, char **error) {
        const char *id, *secret, *token, *type = ini_get(f, section, "type");
        const char *where = isempty(section) ? "" : section;
        int r;

        if (type && !streq(type, "access_key") && !streq(type, "sts") &&
            !streq(type, "ecs_ram_role"))
                return fail(error, -EOPNOTSUPP,
                            "%s: [%s]: credential type '%s' is not supported (supported: "
                            "access_key, sts, ecs_ram_role)",
                            path, where, type);
        if (type && streq(type, "ecs_ram_role")) {
                const char *role = ini_get(f, section, "role_name");
                if (!isempty(role) && !(res->role = strdup(role)))
                        return -ENOMEM;
                res->use_metadata = true;
                return 0;
        }

        if ((r = ini_get_field(f, section, keys_id, path, &id, error)) < 0 ||
            (r = ini_get_field(f, section, keys_secret, path, &secret, error)) < 0 ||
            (r = ini_get_field(f, section, keys_token, path, &token, error)) < 0)
                return r;
        if (isempty(id) || isempty(secret))
                return fail(error, -EINVAL, "%s: [%s]: '%s' is missing%s", path, where,
                            isempty(id) ? v->key_id : v->key_secret,
                            isempty(id) && isempty(secret) ? ", and so is the secret"
                            : isempty(id)                  ? ", but a secret is given"
                                                           : ", but an access key id is given");
        if (type && streq(type, "sts") && isempty(token))
                return fail(error, -EINVAL, "%s: [%s]: type 'sts' needs 'security_token'", path,
                            where);
        return fill(&res->creds, id, secret, token);
}

/* Parses path and reads the credentials in it. Returns 1 found, 0 the file or section does not
 * exist (only when !required), negative on error. */
static int load_ini(const char *path, const Vendor *v, const char *profile, bool allow_global,
                    bool required, FileResult *res, const char **ret_section, char **error) {
        _cleanup_(ini_file_freep) IniFile *f = NULL;
        DiagList diags;
        int r;

        diag_list_init(&diags);
        r = ini_parse_file(path, &diags, &f);
        if (r == -ENOENT && !required)
                return 0;
        if (r == -EINVAL && diags.n > 0) {
                _cleanup_free_ char *line = NULL;
                (void) diag_format(&diags.items[0], &line);
                r = fail(error, r, "%s%s", strna(line),
                         diags.n > 1 ? " (more errors follow in the file)" : "");
                diag_list_done(&diags);
                return r;
        }
        diag_list_done(&diags);
        if (r < 0)
                return fail(error, r, "cannot read credentials file %s: %s", path, strerror(-r));

        const char *section = pick_section(f, v, profile, allow_global);
        if (!section) {
                if (!required)
                        return 0;
                if (profile)
                        return fail(error, -ENOENT, "%s: profile [%s] not found", path, profile);
                return fail(error, -EINVAL, "%s: no credentials in the file", path);
        }
        r = credentials_from_section(f, section, v, path, res, error);
        if (r < 0)
                return r == -ENOMEM ? fail(error, r, "out of memory") : r;
        *ret_section = section;
        return 1;
}

static int load_file(const CredentialConfig *cfg, const Vendor *v, const char *path,
                     CredentialSource kind, FileResult *res, char **error) {
        const char *section = NULL;
        int r = load_ini(path, v, cfg->profile, true, true, res, &section, error);
        if (r <= 0)
                return r;
        if (res->use_metadata)
                return 1;
        r = set_source(&res->creds, kind, "%s:%s", credential_source_to_string(kind), path);
        return r < 0 ? fail(error, r, "out of memory") : 1;
}

/* $CREDENTIALS_DIRECTORY/<account>: 0 when there is none. */
static int systemd_path(const CredentialConfig *cfg, bool required, char **ret, char **error) {
        const char *dir = env_nonempty("CREDENTIALS_DIRECTORY");
        struct stat st;

        if (!dir)
                return required ? fail(error, -ENOENT,
                                       "$CREDENTIALS_DIRECTORY is not set (no "
                                       "LoadCredential= in the unit?)")
                                : 0;
        if (strchr(cfg->account, '/') || streq(cfg->account, ".") || streq(cfg->account, ".."))
                return fail(error, -EINVAL,
                            "the account's name cannot be a systemd credential name");
        if (asprintf(ret, "%s/%s", dir, cfg->account) < 0)
                return fail(error, -ENOMEM, "out of memory");
        if (!required && stat(*ret, &st) < 0 && errno == ENOENT) {
                free(*ret);
                *ret = NULL;
                return 0;
        }
        return 1;
}

static int shared_file_path(const Vendor *v, char **ret, bool *ret_explicit) {
        const char *p = env_nonempty(v->shared_file_env), *home;
        int r;

        *ret_explicit = p != NULL;
        if (p) {
                if (startswith(p, "~/") && (home = env_nonempty("HOME")))
                        r = asprintf(ret, "%s/%s", home, p + 2);
                else
                        r = (*ret = strdup(p)) ? 0 : -1;
        } else {
                if (!(home = env_nonempty("HOME")))
                        return 0;
                r = asprintf(ret, "%s/%s", home, v->shared_file_home);
        }
        return r < 0 ? -ENOMEM : 1;
}

static int load_shared_file(const CredentialConfig *cfg, const Vendor *v, bool required,
                            FileResult *res, char **error) {
        _cleanup_free_ char *path = NULL;
        const char *profile = cfg->profile ?: env_nonempty(v->profile_env) ?:
                                                env_nonempty(v->profile_env_legacy);
        const char *section = NULL;
        bool explicit_file;
        int r;

        r = shared_file_path(v, &path, &explicit_file);
        if (r < 0)
                return fail(error, r, "out of memory");
        if (r == 0)
                return required ? fail(error, -ENOENT,
                                       "no shared credentials file ($HOME and $%s are not set)",
                                       v->shared_file_env)
                                : 0;
        r = load_ini(path, v, profile, false, required || explicit_file || profile, res, &section,
                     error);
        if (r <= 0)
                return r;
        if (res->use_metadata)
                return 1;
        r = set_source(&res->creds, CREDENTIAL_SOURCE_SHARED_FILE, "shared-file:%s [%s]", path,
                       section);
        return r < 0 ? fail(error, r, "out of memory") : 1;
}

static int load_systemd(const CredentialConfig *cfg, const Vendor *v, bool required,
                        FileResult *res, char **error) {
        _cleanup_free_ char *path = NULL;
        int r = systemd_path(cfg, required, &path, error);
        if (r <= 0)
                return r;
        return load_file(cfg, v, path, CREDENTIAL_SOURCE_SYSTEMD, res, error);
}

/* One source; 1 found (in res), 0 not found, negative error. */
static int load_one(const CredentialConfig *cfg, CredentialSource s, bool required, FileResult *res,
                    char **error) {
        const Vendor *v = &vendor_table[cfg->provider];

        switch (s) {
        case CREDENTIAL_SOURCE_FILE:
                return load_file(cfg, v, cfg->path, CREDENTIAL_SOURCE_FILE, res, error);
        case CREDENTIAL_SOURCE_SYSTEMD:
                return load_systemd(cfg, v, required, res, error);
        case CREDENTIAL_SOURCE_ENV: {
                int r = load_env(cfg, v, &res->creds, error);
                if (r == 0 && required)
                        return fail(error, -ENOENT, "environment: %s and %s are not set", v->env_id,
                                    v->env_secret);
                return r;
        }
        case CREDENTIAL_SOURCE_SHARED_FILE:
                return load_shared_file(cfg, v, required, res, error);
        default:
                return -EINVAL;
        }
}

static CredentialSource effective_source(const CredentialConfig *cfg) {
        if (cfg->source == CREDENTIAL_SOURCE_AUTO && cfg->path)
                return CREDENTIAL_SOURCE_FILE;
        if (cfg->source == CREDENTIAL_SOURCE_FILE && !cfg->path)
                return CREDENTIAL_SOURCE_SHARED_FILE;
        return cfg->source;
}

static int finish(FileResult *res, Credentials *ret, char **ret_role) {
        if (res->use_metadata) {
                if (ret_role)
                        *ret_role = TAKE_PTR(res->role);
                return 0;
        }
        *ret = res->creds;
        res->creds = (Credentials){};
        return 1;
}

int credentials_resolve_static(const CredentialConfig *cfg, Credentials *ret, char **ret_role,
                               char **error) {
        static const CredentialSource chain[] = {
                CREDENTIAL_SOURCE_SYSTEMD,
                CREDENTIAL_SOURCE_ENV,
                CREDENTIAL_SOURCE_SHARED_FILE,
        };
        FileResult res = {};
        CredentialSource s = effective_source(cfg);
        int r = 0;

        if ((unsigned) cfg->provider >= _PROVIDER_MAX || isempty(cfg->account) ||
            (unsigned) cfg->source >= _CREDENTIAL_SOURCE_MAX)
                return fail(error, -EINVAL,
                            "credentials: no provider, source or account name given");
        if (ret_role)
                *ret_role = NULL;

        if (s == CREDENTIAL_SOURCE_METADATA)
                return 0;
        if (s != CREDENTIAL_SOURCE_AUTO)
                r = load_one(cfg, s, true, &res, error);
        else
                for (size_t i = 0; i < ELEMENTSOF(chain) && r == 0; i++)
                        r = load_one(cfg, chain[i], false, &res, error);

        if (r > 0)
                r = finish(&res, ret, ret_role);
        else if (r == 0 && env_true(vendor_table[cfg->provider].metadata_disabled_env))
                r = fail(error, -ENOENT,
                         "no credentials found (systemd credential, environment, shared file) "
                         "and the metadata service is disabled by $%s",
                         vendor_table[cfg->provider].metadata_disabled_env);
        credentials_done(&res.creds);
        free(res.role);
        return r;
}
