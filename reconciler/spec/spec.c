/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdio.h>

#include "clouds/cloud.h"
#include "reconciler/spec/destination.h"
#include "reconciler/spec/limits.h"
#include "reconciler/spec/spec.h"
#include "reconciler/spec/schema.h"

#include "lib/string-table.h"
#include "lib/string-util.h"

static const char *const management_table[] = {
        [MANAGEMENT_ENFORCE] = "enforce",
        [MANAGEMENT_OBSERVE] = "observe",
        NULL,
};

static const char *const deletion_policy_table[] = {
        [DELETION_POLICY_ORPHAN] = "orphan",
        [DELETION_POLICY_DELETE] = "delete",
        NULL,
};

static const struct {
        ResourceField field;
        const char *name;
        unsigned providers; /* 0: all */
} field_table[] = {
        { RESOURCE_FIELD_MAX_RETRY_ATTEMPTS, "maxRetryAttempts", 0 },
        { RESOURCE_FIELD_MAX_EVENT_AGE, "maxEventAgeSeconds", 0 },
        { RESOURCE_FIELD_ON_SUCCESS, "onSuccess", 0 },
        { RESOURCE_FIELD_ON_FAILURE, "onFailure", 0 },
        { RESOURCE_FIELD_ASYNC_TASK, "asyncTask", 1u << PROVIDER_ALICLOUD },
        { RESOURCE_FIELD_ASYNC_STATUS_LOG, "enableAsyncStatusLog", 1u << PROVIDER_HUAWEICLOUD },
};

DEFINE_STRING_TABLE_LOOKUP(management, Management);
DEFINE_STRING_TABLE_LOOKUP(deletion_policy, DeletionPolicy);

const char *resource_field_to_string(ResourceField f) {
        for (size_t i = 0; i < ELEMENTSOF(field_table); i++)
                if (field_table[i].field == f)
                        return field_table[i].name;
        return NULL;
}

ResourceField resource_field_from_string(const char *s) {
        for (size_t i = 0; s && i < ELEMENTSOF(field_table); i++)
                if (streq(field_table[i].name, s))
                        return field_table[i].field;
        return 0;
}

unsigned resource_fields_for_provider(Provider p) {
        unsigned m = 0;

        for (size_t i = 0; i < ELEMENTSOF(field_table); i++)
                if (!field_table[i].providers || (field_table[i].providers & (1u << p)))
                        m |= field_table[i].field;
        return m;
}

struct SpecPath {
        unsigned refs;
        char path[];
};

SpecPath *spec_path_new(const char *path) {
        size_t n = strlen(path);
        SpecPath *p = malloc(sizeof(SpecPath) + n + 1);

        if (!p)
                return NULL;
        p->refs = 1;
        memcpy(p->path, path, n + 1);
        return p;
}

static char *spec_path_ref(SpecPath *p) {
        __atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
        return p->path;
}

SpecPath *spec_path_unref(SpecPath *p) {
        if (p && __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) == 0)
                free(p);
        return NULL;
}

/* A new SpecPath of s, its one reference in *ret (s may be any string: a spec made by hand is
 * copied). 0, or -ENOMEM. */
static int spec_path_copy(const char *s, char **ret) {
        SpecPath *p = s ? spec_path_new(s) : NULL;

        if (s && !p)
                return -ENOMEM;
        *ret = p ? p->path : NULL;
        return 0;
}

/* The SpecPath whose characters s is (every spec's path is one). */
static SpecPath *spec_path_of(char *s) {
        return s ? (SpecPath *) (s - offsetof(SpecPath, path)) : NULL;
}

ResourceSpec *resource_spec_ref(const ResourceSpec *r) {
        ResourceSpec *s = (ResourceSpec *) r; /* the count is not the spec's value */

        if (s)
                __atomic_add_fetch(&s->n_extra_refs, 1, __ATOMIC_RELAXED);
        return s;
}

ResourceSpec *resource_spec_free(ResourceSpec *r) {
        if (!r)
                return NULL;
        /* Not the last reference: the others keep the spec. */
        if (__atomic_fetch_sub(&r->n_extra_refs, 1, __ATOMIC_ACQ_REL) > 0)
                return NULL;
        free(r->name);
        strv_free(r->labels);
        free(r->account);
        free(r->function);
        free(r->qualifier);
        function_id_done(&r->id);
        async_config_done(&r->config);
        spec_path_unref(spec_path_of(r->path));
        free(r);
        return NULL;
}

/* ---- field parsers specific to documents -------------------------------------------------- */

/* DNS-label-like: 1..63 of [a-z0-9-], not starting or ending with '-'. */
static bool resource_name_valid(const char *s) {
        size_t n = strlen(s);

        return n >= 1 && n <= 63 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n &&
               s[0] != '-' && s[n - 1] != '-';
}

static int parse_name(SchemaContext *ctx, const YamlNode *node, const SchemaField *f, void *dest) {
        int r = schema_parse_string(ctx, node, f, dest);

        if (r < 0)
                return r;
        if (!resource_name_valid(*(char **) dest))
                return yaml_error(ctx->diags, ctx->path, node,
                                  "invalid name '%s': use 1-63 lower-case letters, digits and "
                                  "'-', not starting or ending with '-'",
                                  *(char **) dest);
        return 0;
}

/* Prometheus label names: [a-zA-Z_][a-zA-Z0-9_]*, and "__" is reserved. */
static bool label_key_valid(const char *s) {
        if (!*s || isdigit((unsigned char) *s) || startswith(s, "__") || strlen(s) > 63)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && *s != '_')
                        return false;
        return true;
}

static int parse_labels(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                        void *dest) {
        _cleanup_strv_free_ char **l = NULL;
        bool bad = false;
        size_t n = 0;

        if (schema_expect_mapping(ctx, node, f->key) < 0)
                return -EINVAL;
        if (node->n_pairs > LIMIT_LABELS)
                return yaml_error(ctx->diags, ctx->path, node, "too many labels (limit %u)",
                                  LIMIT_LABELS);
        l = calloc(node->n_pairs * 2 + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < node->n_pairs; i++) {
                const YamlPair *p = &node->pairs[i];
                const char *v;

                if (p->key->kind != YAML_KIND_STRING || !label_key_valid(p->key->value)) {
                        bad = true;
                        (void) yaml_error(ctx->diags, ctx->path, p->key,
                                          "invalid label name '%s': use letters, digits and '_', "
                                          "not starting with a digit or '__'",
                                          p->key->value);
                        continue;
                }
                if (schema_expect_string(ctx, p->value, p->key->value, &v) < 0) {
                        bad = true;
                        continue;
                }
                if (!(l[n++] = strdup(p->key->value)) || !(l[n++] = strdup(v)))
                        return -ENOMEM;
        }
        if (bad)
                return -EINVAL;
        strv_free(*(char ***) dest);
        *(char ***) dest = TAKE_PTR(l);
        return 0;
}

static int parse_ignore(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                        void *dest) {
        unsigned mask = 0;
        bool bad = false;

        if (!node || node->type != YAML_TREE_SEQUENCE)
                return yaml_error(ctx->diags, ctx->path, node, "'%s' must be a sequence, got %s",
                                  f->key, yaml_node_describe(node));
        for (size_t i = 0; i < node->n_items; i++) {
                const YamlNode *item = node->items[i];
                const char *s;
                ResourceField field;

                if (schema_expect_string(ctx, item, f->key, &s) < 0) {
                        bad = true;
                        continue;
                }
                field = resource_field_from_string(s);
                if (field == 0) {
                        bad = true;
                        (void) yaml_error(ctx->diags, ctx->path, item,
                                          "'ignore' entry '%s' is not a field: use "
                                          "maxRetryAttempts, maxEventAgeSeconds, onSuccess, "
                                          "onFailure, asyncTask or enableAsyncStatusLog",
                                          s);
                        continue;
                }
                if (ctx->variant >= 0 && !(resource_fields_for_provider(ctx->variant) & field)) {
                        bad = true;
                        (void) yaml_error(ctx->diags, ctx->path, item,
                                          "'ignore' entry '%s' is not a field of provider %s", s,
                                          provider_table[ctx->variant]);
                        continue;
                }
                mask |= field;
        }
        if (bad)
                return -EINVAL;
        *(unsigned *) dest = mask;
        return 0;
}

/* ---- tables -------------------------------------------------------------------------------- */

/* The ranges are the provider's (clouds/: CloudOps.limits); the location is ours. */
static int parse_limit(SchemaContext *ctx, const YamlNode *node, const SchemaField *f, void *dest) {
        const CloudOps *ops = cloud_ops_from_provider(ctx->variant);
        _cleanup_free_ char *why = NULL;
        int64_t v;
        int r;

        r = schema_parse_int(ctx, node, f, &v);
        if (r < 0)
                return r;
        r = ops ? cloud_ops_check_limit(ops, *(const CloudLimit *) f->data, v, &why) : 0;
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return yaml_error(ctx->diags, ctx->path, node, "'%s' %s", f->key, why);
        *(int64_t *) dest = v;
        return 0;
}

static const CloudLimit limit_retry_attempts = CLOUD_LIMIT_RETRY_ATTEMPTS;
static const CloudLimit limit_event_age = CLOUD_LIMIT_EVENT_AGE_SECONDS;

static const DestinationSide side_success = DESTINATION_ON_SUCCESS;
static const DestinationSide side_failure = DESTINATION_ON_FAILURE;

#define SPEC(m) offsetof(ResourceSpec, m)
#define CONFIG(m) (offsetof(ResourceSpec, config) + offsetof(AsyncConfig, m))

static const SchemaField metadata_fields[] = { { "name", parse_name, SPEC(name), .required = true },
                                               { "labels", parse_labels, SPEC(labels) },
                                               {} };

static const SchemaField spec_fields[] = {
        { "provider", schema_parse_enum, SPEC(provider), .required = true, .data = provider_table },
        { "account", schema_parse_string, SPEC(account), .max = 128 },
        { "function", schema_parse_string, SPEC(function), .required = true, .max = 256 },
        { "qualifier", schema_parse_string, SPEC(qualifier), .max = 128 },
        { "maxRetryAttempts", parse_limit, CONFIG(max_retry_attempts),
          .data = &limit_retry_attempts, .has_offset = CONFIG(has_max_retry_attempts) + 1 },
        { "maxEventAgeSeconds", parse_limit, CONFIG(max_event_age_seconds),
          .data = &limit_event_age, .has_offset = CONFIG(has_max_event_age) + 1 },
        { "onSuccess", destination_parse_field, CONFIG(on_success), .data = &side_success },
        { "onFailure", destination_parse_field, CONFIG(on_failure), .data = &side_failure },
        { "asyncTask", schema_parse_bool, CONFIG(async_task), .variants = 1u << PROVIDER_ALICLOUD,
          .has_offset = CONFIG(has_async_task) + 1 },
        { "enableAsyncStatusLog", schema_parse_bool, CONFIG(async_status_log),
          .variants = 1u << PROVIDER_HUAWEICLOUD, .has_offset = CONFIG(has_async_status_log) + 1 },
        { "management", schema_parse_enum, SPEC(management), .data = management_table },
        { "deletionPolicy", schema_parse_enum, SPEC(deletion_policy),
          .data = deletion_policy_table },
        { "resyncInterval", schema_parse_duration, SPEC(resync_interval),
          .min = (int64_t) USEC_PER_SEC, .max = (int64_t) (7 * USEC_PER_DAY) },
        { "ignore", parse_ignore, SPEC(ignore) },
        {}
};

/* The document: apiVersion and kind are checked against constants after parsing, while the
 * tree they point into is still there. */
typedef struct Document {
        const char *api_version;
        const char *kind;
        ResourceSpec spec;
} Document;

static int parse_metadata(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                          void *dest) {
        return schema_parse_mapping(ctx, node, "'metadata'", metadata_fields, dest, NULL);
}

/* The provider decides the ranges and the provider-only keys, so it is read first. */
static int parse_spec(SchemaContext *ctx, const YamlNode *node, const SchemaField *f, void *dest) {
        const char *p = yaml_node_string(yaml_node_get(node, "provider"));
        SchemaContext sub = *ctx;

        sub.variant = p ? provider_from_string(p) : -1;
        if (sub.variant < 0)
                sub.variant = -1;
        return schema_parse_mapping(&sub, node, "'spec'", spec_fields, dest, NULL);
}

static const SchemaField document_fields[] = {
        { "apiVersion", schema_parse_string_borrowed, offsetof(Document, api_version),
          .required = true },
        { "kind", schema_parse_string_borrowed, offsetof(Document, kind), .required = true },
        { "metadata", parse_metadata, offsetof(Document, spec), .required = true },
        { "spec", parse_spec, offsetof(Document, spec), .required = true },
        {}
};

/* ---- post-parse checks --------------------------------------------------------------------- */

static int check_constants(SchemaContext *ctx, const YamlNode *root, const Document *d) {
        int r = 0;

        if (d->api_version && !streq(d->api_version, RESOURCE_API_VERSION))
                r = yaml_error(ctx->diags, ctx->path, schema_locate(root, "apiVersion"),
                               "unsupported apiVersion '%s' (expected '%s')", d->api_version,
                               RESOURCE_API_VERSION);
        if (d->kind && !streq(d->kind, RESOURCE_KIND))
                r = yaml_error(ctx->diags, ctx->path, schema_locate(root, "kind"),
                               "unsupported kind '%s' (expected '%s')", d->kind, RESOURCE_KIND);
        return r;
}

static int check_identity(SchemaContext *ctx, const YamlNode *spec, ResourceSpec *s) {
        _cleanup_free_ char *error = NULL;
        int r;

        r = function_id_parse(s->provider, s->function, s->qualifier, &s->id, &error);
        if (r == -ENOMEM || (r < 0 && !error))
                return -ENOMEM;
        if (r < 0)
                return yaml_error(ctx->diags, ctx->path,
                                  schema_locate(spec, r == -EDOM ? "qualifier" : "function"), "%s",
                                  error);
        return 0;
}

static void note_positions(ResourceSpec *s, const YamlNode *root) {
        const YamlNode *spec = yaml_node_get(root, "spec");
        const YamlNode *a = schema_locate(spec, "account");
        const YamlNode *f = schema_locate(spec, "function");

        s->line = root->line;
        s->column = root->column;
        /* schema_locate falls back to spec itself when the key is absent */
        s->account_line = a ? a->line : root->line;
        s->account_column = a ? a->column : root->column;
        s->function_line = f ? f->line : root->line;
        s->function_column = f ? f->column : root->column;
}

int resource_spec_from_node(const char *path, const YamlNode *root, DiagList *diags,
                            ResourceSpec **ret) {
        _cleanup_(spec_path_unrefp) SpecPath *p = spec_path_new(path);

        if (!p)
                return -ENOMEM;
        return resource_spec_from_node_shared(p, root, diags, ret);
}

int resource_spec_from_node_shared(SpecPath *path, const YamlNode *root, DiagList *diags,
                                   ResourceSpec **ret) {
        SchemaContext ctx = {
                .path = path->path,
                .diags = diags,
                .variant = -1,
                .variant_kind = "provider",
                .variant_names = provider_table,
        };
        Document d = { .spec.provider = _PROVIDER_INVALID };
        ResourceSpec *s;
        int r;

        r = schema_parse_mapping(&ctx, root, "document", document_fields, &d, NULL);
        if (r == -ENOMEM)
                goto fail;
        if (check_constants(&ctx, root, &d) < 0)
                r = -EINVAL;
        /* The identity is checked even when other keys were wrong: all problems at once. */
        if (d.spec.provider >= 0 && d.spec.function) {
                int k = check_identity(&ctx, yaml_node_get(root, "spec"), &d.spec);
                if (k < 0)
                        r = k == -ENOMEM ? k : -EINVAL;
        }
        if (r < 0)
                goto fail;
        s = malloc(sizeof(*s));
        if (!s) {
                r = -ENOMEM;
                goto fail;
        }
        d.spec.path = spec_path_ref(path);
        note_positions(&d.spec, root);
        *s = d.spec;
        *ret = s;
        return 0;
fail:
        d.spec.path = NULL;
        free(d.spec.name);
        strv_free(d.spec.labels);
        free(d.spec.account);
        free(d.spec.function);
        free(d.spec.qualifier);
        function_id_done(&d.spec.id);
        async_config_done(&d.spec.config);
        return r;
}

/* ---- identity ------------------------------------------------------------------------------ */

int resource_spec_identity(const ResourceSpec *r, char **ret) {
        char *s;

        if (asprintf(&s, "%s/%s/%s/%s", strna(provider_to_string(r->provider)), r->account ?: "-",
                     strna(r->id.function), strna(r->id.qualifier)) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* Accounts compare as written; an omitted account only equals an omitted one (without a daemon
 * config nothing tells which account it means; with one, it has been resolved by then). */
bool resource_spec_same_identity(const ResourceSpec *a, const ResourceSpec *b) {
        if (a->provider != b->provider)
                return false;
        if (!!a->account != !!b->account || (a->account && !streq(a->account, b->account)))
                return false;
        return function_id_same(&a->id, &b->id);
}

int resource_spec_set_account(ResourceSpec *r, const char *account) {
        char *a = strdup(account);

        if (!a)
                return -ENOMEM;
        free(r->account);
        r->account = a;
        return 0;
}

static int strv_copy(char **l, char ***ret) {
        size_t n = 0;
        char **c;

        *ret = NULL;
        if (!l)
                return 0;
        while (l[n])
                n++;
        if (!(c = calloc(n + 1, sizeof(char *))))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (!(c[i] = strdup(l[i]))) {
                        strv_free(c);
                        return -ENOMEM;
                }
        *ret = c;
        return 0;
}

int resource_spec_copy(const ResourceSpec *r, ResourceSpec **ret) {
        _cleanup_(resource_spec_freep) ResourceSpec *c = calloc(1, sizeof(*c));
        int k = 0;

        if (!c)
                return -ENOMEM;
        *c = (ResourceSpec){
                .provider = r->provider,
                .id = { .provider = r->id.provider, .api = r->id.api },
                .management = r->management,
                .deletion_policy = r->deletion_policy,
                .resync_interval = r->resync_interval,
                .ignore = r->ignore,
                .line = r->line,
                .column = r->column,
                .account_line = r->account_line,
                .account_column = r->account_column,
                .function_line = r->function_line,
                .function_column = r->function_column,
        };
        k |= strdup_opt(r->name, &c->name) | strv_copy(r->labels, &c->labels);
        k |= strdup_opt(r->account, &c->account) | strdup_opt(r->function, &c->function);
        k |= strdup_opt(r->qualifier, &c->qualifier) | spec_path_copy(r->path, &c->path);
        k |= strdup_opt(r->id.function, &c->id.function) | strdup_opt(r->id.name, &c->id.name);
        k |= strdup_opt(r->id.qualifier, &c->id.qualifier) |
             strdup_opt(r->id.region, &c->id.region);
        k |= strdup_opt(r->id.account_id, &c->id.account_id);
        k |= strdup_opt(r->id.target, &c->id.target);
        k |= async_config_copy(&c->config, &r->config);
        if (k != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(c);
        return 0;
}
