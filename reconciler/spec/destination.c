/* SPDX-License-Identifier: MIT */
#include "clouds/cloud.h"
#include "reconciler/spec/destination.h"

/* ---- typed destinations: the param map of a type (Huawei) ---------------------------------- */

/* One value of a param map; the SchemaField rows of a type point into an array of them. The
 * strings are the tree's: they go into the JSON object before the tree goes. */
typedef struct ParamValue {
        const char *string;
        int64_t integer;
        bool present;
} ParamValue;

#define PARAM_KEYS_MAX 8

/* The schema rows of a type's keys, at index i of a ParamValue array. -E2BIG if the provider
 * lists more keys than PARAM_KEYS_MAX. */
static int param_fields_build(const CloudParamKey *keys, SchemaField fields[PARAM_KEYS_MAX + 1]) {
        size_t i;

        for (i = 0; keys[i].key; i++) {
                const CloudParamKey *k = &keys[i];
                size_t base = i * sizeof(ParamValue);

                if (i >= PARAM_KEYS_MAX)
                        return -E2BIG;
                fields[i] = (SchemaField){
                        .key = k->key,
                        .parse = k->integer ? schema_parse_int : schema_parse_string_borrowed,
                        .offset = base + (k->integer ? offsetof(ParamValue, integer)
                                                     : offsetof(ParamValue, string)),
                        .required = k->required,
                        .min = k->min,
                        .max = k->max,
                        .has_offset = base + offsetof(ParamValue, present) + 1,
                };
        }
        fields[i] = (SchemaField){};
        return 0;
}

/* Semantic checks of the string values, each located at its own node. */
static int param_check(SchemaContext *ctx, const YamlNode *node, const CloudParamKey *keys,
                       const ParamValue *v) {
        int r = 0;

        for (size_t i = 0; keys[i].key; i++) {
                _cleanup_free_ char *why = NULL;
                int k;

                if (!keys[i].check || !v[i].string)
                        continue;
                k = keys[i].check(v[i].string, &why);
                if (k == -ENOMEM)
                        return k;
                if (k < 0)
                        r = yaml_error(ctx->diags, ctx->path, schema_locate(node, keys[i].key),
                                       "%s", why);
        }
        return r;
}

/* The values present, in the order of the type's keys. */
static int param_to_json(const CloudParamKey *keys, const ParamValue *v, json_t **ret) {
        json_t *o = json_object();
        int r = 0;

        if (!o)
                return -ENOMEM;
        for (size_t i = 0; keys[i].key; i++)
                if (keys[i].integer && v[i].present)
                        r |= json_object_set_new(o, keys[i].key, json_integer(v[i].integer));
                else if (!keys[i].integer && v[i].string)
                        r |= json_object_set_new(o, keys[i].key, json_string(v[i].string));
        if (r != 0) {
                json_decref(o);
                return -ENOMEM;
        }
        *ret = o;
        return 0;
}

static const CloudDestinationType *destination_type_find(const CloudOps *ops, const char *type) {
        for (const CloudDestinationType *t = ops->destination_types; t && t->name; t++)
                if (streq(t->name, type))
                        return t;
        return NULL;
}

static int param_parse(SchemaContext *ctx, const CloudDestinationType *type, const YamlNode *node,
                       json_t **ret) {
        ParamValue values[PARAM_KEYS_MAX] = {};
        SchemaField fields[PARAM_KEYS_MAX + 1];
        char what[64];
        int r;

        r = param_fields_build(type->keys, fields);
        if (r < 0)
                return r;
        snprintf(what, sizeof(what), "%s param", type->name);
        /* The param keys are the same for every provider: no per-variant checks inside. */
        SchemaContext sub = *ctx;
        sub.variant = -1;
        r = schema_parse_mapping(&sub, node, what, fields, values, NULL);
        if (r >= 0)
                r = param_check(ctx, node, type->keys, values);
        if (r >= 0)
                r = param_to_json(type->keys, values, ret);
        return r;
}

/* ---- the field parser --------------------------------------------------------------------- */

typedef struct DestinationRaw {
        char *destination;
        const YamlNode *param; /* huaweicloud */
} DestinationRaw;

static int parse_param_node(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                            void *dest) {
        *(const YamlNode **) dest = node;
        return schema_expect_mapping(ctx, node, f->key);
}

/* The providers whose destinations are typed take a param map: the key is refused (with the
 * providers that take it named) for the others. */
static unsigned param_variants(void) {
        unsigned m = 0;

        for (Provider p = 0; p < _PROVIDER_MAX; p++)
                if (cloud_ops_from_provider(p)->destination_types)
                        m |= 1u << p;
        return m;
}

static int parse_raw(SchemaContext *ctx, const YamlNode *node, const char *key,
                     DestinationRaw *raw) {
        const SchemaField fields[] = { { "destination", schema_parse_string,
                                         offsetof(DestinationRaw, destination), .required = true,
                                         .max = 350 },
                                       { "param", parse_param_node, offsetof(DestinationRaw, param),
                                         .variants = param_variants() },
                                       {} };
        char what[64];

        snprintf(what, sizeof(what), "'%s'", key);
        return schema_parse_mapping(ctx, node, what, fields, raw, NULL);
}

/* The provider's verdict on the target, then a typed destination's param map. */
static int check_target(SchemaContext *ctx, const YamlNode *node, const char *key,
                        const DestinationRaw *raw, DestinationSide side, Destination *d) {
        const CloudOps *ops = cloud_ops_from_provider(ctx->variant);
        const CloudDestinationType *type;
        _cleanup_free_ char *why = NULL;
        int r;

        if (!ops)
                return 0; /* no provider, no provider's checks */
        r = ops->check_destination(raw->destination, side == DESTINATION_ON_FAILURE, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return yaml_error(ctx->diags, ctx->path, schema_locate(node, "destination"),
                                  "%s %s", key, why);
        type = destination_type_find(ops, raw->destination);
        if (!type)
                return 0; /* an ARN, which carries everything */
        if (!raw->param)
                return yaml_error(ctx->diags, ctx->path, node,
                                  "missing required key 'param' in '%s' (destination %s)", key,
                                  raw->destination);
        return param_parse(ctx, type, raw->param, &d->param);
}

int destination_parse_field(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                            void *dest) {
        DestinationSide side = *(const DestinationSide *) f->data;
        DestinationRaw raw = {};
        Destination d = {};
        int r;

        r = parse_raw(ctx, node, f->key, &raw);
        if (r >= 0)
                r = check_target(ctx, node, f->key, &raw, side, &d);
        if (r < 0)
                goto finish;
        d.target = TAKE_PTR(raw.destination);
        destination_done(dest);
        *(Destination *) dest = d;
        d = (Destination){};
finish:
        free(raw.destination);
        destination_done(&d);
        return r;
}
