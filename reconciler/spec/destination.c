/* SPDX-License-Identifier: MIT */
#include <ctype.h>

#include "reconciler/spec/destination.h"
#include "reconciler/spec/identity.h"

static bool chars_in(const char *s, size_t min, size_t max, const char *extra) {
        size_t n = strlen(s);

        if (n < min || n > max)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr(extra, *s))
                        return false;
        return true;
}

static bool digits(const char *s) {
        return *s && strspn(s, "0123456789") == strlen(s);
}

static bool s3_bucket_valid(const char *s) {
        size_t n = strlen(s);

        return n >= 3 && n <= 63 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n &&
               isalnum((unsigned char) s[0]) && isalnum((unsigned char) s[n - 1]);
}

/* SQS queue / SNS topic names: letters, digits, '-', '_', optionally ending in ".fifo". */
static bool queue_name_valid(const char *s, size_t max) {
        size_t n = strlen(s);

        if (n > 5 && endswith(s, ".fifo"))
                n -= 5;
        if (n < 1 || n > max)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && s[i] != '-' && s[i] != '_')
                        return false;
        return true;
}

static bool aws_lambda_resource_valid(const char *r) {
        char buf[COLON_SPLIT_MAX];
        const char *parts[3];
        int n = colon_split(r, buf, sizeof(buf), parts, 3);

        return (n == 2 || n == 3) && streq(parts[0], "function") &&
               aws_function_name_valid(parts[1]) && (n == 2 || aws_qualifier_valid(parts[2]));
}

const char *aws_destination_check(const char *arn, DestinationSide side) {
        char buf[COLON_SPLIT_MAX];
        const char *p[6];
        int n = colon_split(arn, buf, sizeof(buf), p, 6);

        if (n != 6 || !streq(p[0], "arn") || !startswith(p[1], "aws") ||
            !chars_in(p[1], 3, 16, "-"))
                return "is not an AWS ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)";
        if (streq(p[2], "s3")) {
                if (side != DESTINATION_ON_FAILURE)
                        return "is an S3 bucket, which is accepted only for onFailure";
                if (!isempty(p[3]) || !isempty(p[4]) || !s3_bucket_valid(p[5]))
                        return "is not a valid S3 bucket ARN (arn:aws:s3:::BUCKET)";
                return NULL;
        }
        if (!streq(p[2], "sqs") && !streq(p[2], "sns") && !streq(p[2], "lambda") &&
            !streq(p[2], "events"))
                return side == DESTINATION_ON_FAILURE
                               ? "is not an SQS queue, SNS topic, Lambda function, EventBridge "
                                 "event bus or S3 bucket ARN"
                               : "is not an SQS queue, SNS topic, Lambda function or EventBridge "
                                 "event bus ARN";
        if (!chars_in(p[3], 1, 64, "-") || !aws_account_id_valid(p[4]))
                return "has an invalid region or account (12 digits)";
        if (streq(p[2], "sqs") && !queue_name_valid(p[5], 80))
                return "is not a valid SQS queue ARN";
        if (streq(p[2], "sns") && !queue_name_valid(p[5], 256))
                return "is not a valid SNS topic ARN";
        if (streq(p[2], "lambda") && !aws_lambda_resource_valid(p[5]))
                return "is not a valid Lambda function ARN";
        if (streq(p[2], "events") &&
            (!startswith(p[5], "event-bus/") || !chars_in(p[5] + 10, 1, 256, "-_./")))
                return "is not a valid EventBridge event bus ARN (…:event-bus/NAME)";
        return NULL;
}

/* "/queues/NAME/messages" or "/topics/NAME/messages" */
static bool mns_resource_valid(const char *r) {
        const char *name;
        size_t n;

        if (startswith(r, "/queues/"))
                name = r + 8;
        else if (startswith(r, "/topics/"))
                name = r + 8;
        else
                return false;
        if (!endswith(name, "/messages"))
                return false;
        n = strlen(name) - strlen("/messages");
        if (n < 1 || n > 256)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) name[i]) && name[i] != '-' && name[i] != '_')
                        return false;
        return true;
}

/* "functions/NAME", or the FC2 form "services/SVC[.QUALIFIER]/functions/NAME" (UNCONFIRMED in
 * docs/cloud-apis.md §2.4, accepted so FC2 users are not blocked). */
static bool fc_resource_valid(const char *r) {
        if (startswith(r, "functions/"))
                return chars_in(r + 10, 1, 128, "-_");
        if (startswith(r, "services/")) {
                const char *f = strstr(r, "/functions/");
                if (!f || f == r + 9)
                        return false;
                for (const char *c = r + 9; c < f; c++)
                        if (!isalnum((unsigned char) *c) && !strchr("-_.", *c))
                                return false;
                return chars_in(f + 11, 1, 128, "-_");
        }
        return false;
}

const char *alicloud_destination_check(const char *arn) {
        char buf[COLON_SPLIT_MAX];
        const char *p[5];
        int n = colon_split(arn, buf, sizeof(buf), p, 5);

        if (n != 5 || !streq(p[0], "acs"))
                return "is not an Alibaba Cloud ARN (acs:SERVICE:REGION:ACCOUNT:RESOURCE)";
        if (!streq(p[1], "mns") && !streq(p[1], "fc") && !streq(p[1], "eventbridge"))
                return "is not an MNS queue or topic, FC function or EventBridge ARN";
        if (!chars_in(p[2], 1, 64, "-") || !digits(p[3]) || strlen(p[3]) > 32)
                return "has an invalid region or account ID";
        if (streq(p[1], "mns") && !mns_resource_valid(p[4]))
                return "is not a valid MNS ARN (…:/queues/NAME/messages or …:/topics/NAME/messages)";
        if (streq(p[1], "fc") && !fc_resource_valid(p[4]))
                return "is not a valid FC function ARN (…:functions/NAME)";
        if (streq(p[1], "eventbridge") &&
            (!startswith(p[4], "eventbus/") || !chars_in(p[4] + 9, 1, 128, "-_.")))
                return "is not a valid EventBridge ARN (…:eventbus/NAME)";
        return NULL;
}

/* ---- Huawei: type + param ----------------------------------------------------------------- */

typedef struct HuaweiParam {
        char *bucket, *prefix, *topic_urn, *stream_name, *func_urn;
        bool has_expires;
        int64_t expires;
} HuaweiParam;

static void huawei_param_done(HuaweiParam *p) {
        free(p->bucket);
        free(p->prefix);
        free(p->topic_urn);
        free(p->stream_name);
        free(p->func_urn);
}

static const SchemaField obs_fields[] = {
        { "bucket", schema_parse_string, offsetof(HuaweiParam, bucket), .required = true, .max = 63 },
        { "prefix", schema_parse_string, offsetof(HuaweiParam, prefix), .required = true, .max = 1024 },
        { "expires", schema_parse_int, offsetof(HuaweiParam, expires), .min = 0, .max = 365,
          .has_offset = SCHEMA_HAS(HuaweiParam, has_expires) },
        {}
};
static const SchemaField smn_fields[] = {
        { "topic_urn", schema_parse_string, offsetof(HuaweiParam, topic_urn), .required = true },
        {}
};
static const SchemaField dis_fields[] = {
        { "stream_name", schema_parse_string, offsetof(HuaweiParam, stream_name), .required = true,
          .max = 64 },
        {}
};
static const SchemaField functiongraph_fields[] = {
        { "func_urn", schema_parse_string, offsetof(HuaweiParam, func_urn), .required = true },
        {}
};

static const struct {
        const char *type;
        const SchemaField *fields;
} huawei_types[] = {
        { "OBS", obs_fields },
        { "SMN", smn_fields },
        { "DIS", dis_fields },
        { "FunctionGraph", functiongraph_fields },
};

/* urn:smn:REGION:PROJECT:TOPIC */
static bool smn_urn_valid(const char *s) {
        char buf[COLON_SPLIT_MAX];
        const char *p[6];
        int n = colon_split(s, buf, sizeof(buf), p, 6);

        return n == 5 && streq(p[0], "urn") && streq(p[1], "smn") && chars_in(p[2], 1, 64, "-") &&
               chars_in(p[3], 1, 64, "") && chars_in(p[4], 1, 256, "-_");
}

/* Semantic checks of the values, each located at its own node. */
static int huawei_param_check(SchemaContext *ctx, const YamlNode *node, const HuaweiParam *p) {
        int r = 0;

        if (p->bucket && !s3_bucket_valid(p->bucket))
                r = yaml_error(ctx->diags, ctx->path, schema_locate(node, "bucket"),
                               "invalid OBS bucket name '%s'", p->bucket);
        if (p->topic_urn && !smn_urn_valid(p->topic_urn))
                r = yaml_error(ctx->diags, ctx->path, schema_locate(node, "topic_urn"),
                               "invalid SMN topic URN '%s' (expected urn:smn:REGION:PROJECT:TOPIC)",
                               p->topic_urn);
        if (p->stream_name && !chars_in(p->stream_name, 1, 64, "-_"))
                r = yaml_error(ctx->diags, ctx->path, schema_locate(node, "stream_name"),
                               "invalid DIS stream name '%s'", p->stream_name);
        if (p->func_urn && !huawei_function_urn_valid(p->func_urn))
                r = yaml_error(ctx->diags, ctx->path, schema_locate(node, "func_urn"),
                               "invalid function URN '%s'", p->func_urn);
        return r;
}

static int huawei_param_to_json(const HuaweiParam *p, json_t **ret) {
        json_t *o = json_object();
        int r = 0;

        if (!o)
                return -ENOMEM;
        if (p->bucket)
                r |= json_object_set_new(o, "bucket", json_string(p->bucket));
        if (p->prefix)
                r |= json_object_set_new(o, "prefix", json_string(p->prefix));
        if (p->has_expires)
                r |= json_object_set_new(o, "expires", json_integer(p->expires));
        if (p->topic_urn)
                r |= json_object_set_new(o, "topic_urn", json_string(p->topic_urn));
        if (p->stream_name)
                r |= json_object_set_new(o, "stream_name", json_string(p->stream_name));
        if (p->func_urn)
                r |= json_object_set_new(o, "func_urn", json_string(p->func_urn));
        if (r != 0) {
                json_decref(o);
                return -ENOMEM;
        }
        *ret = o;
        return 0;
}

static int huawei_param_parse(SchemaContext *ctx, const char *type, const YamlNode *node,
                              json_t **ret) {
        HuaweiParam p = {};
        const SchemaField *fields = NULL;
        char what[64];
        int r;

        for (size_t i = 0; i < ELEMENTSOF(huawei_types); i++)
                if (streq(huawei_types[i].type, type))
                        fields = huawei_types[i].fields;
        if (!fields)
                return -EINVAL; /* reported by the caller */
        snprintf(what, sizeof(what), "%s param", type);
        /* The param keys are the same for every provider: no per-variant checks inside. */
        SchemaContext sub = *ctx;
        sub.variant = -1;
        r = schema_parse_mapping(&sub, node, what, fields, &p, NULL);
        if (r >= 0)
                r = huawei_param_check(ctx, node, &p);
        if (r >= 0)
                r = huawei_param_to_json(&p, ret);
        huawei_param_done(&p);
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

#define VARIANT_HUAWEI (1u << PROVIDER_HUAWEICLOUD)

static const SchemaField destination_fields[] = {
        { "destination", schema_parse_string, offsetof(DestinationRaw, destination),
          .required = true, .max = 350 },
        { "param", parse_param_node, offsetof(DestinationRaw, param), .variants = VARIANT_HUAWEI },
        {}
};

static int check_target(SchemaContext *ctx, const YamlNode *dnode, const char *key,
                        const char *target, DestinationSide side) {
        const char *why = NULL;

        if (ctx->variant == PROVIDER_AWS)
                why = aws_destination_check(target, side);
        else if (ctx->variant == PROVIDER_ALICLOUD)
                why = alicloud_destination_check(target);
        if (why)
                return yaml_error(ctx->diags, ctx->path, dnode, "%s destination '%s' %s", key,
                                  target, why);
        return 0;
}

static int huawei_destination(SchemaContext *ctx, const YamlNode *node, const char *key,
                              const DestinationRaw *raw, Destination *d) {
        const YamlNode *dnode = schema_locate(node, "destination");
        bool known = false;

        for (size_t i = 0; i < ELEMENTSOF(huawei_types); i++)
                known = known || streq(huawei_types[i].type, raw->destination);
        if (!known)
                return yaml_error(ctx->diags, ctx->path, dnode,
                                  "%s destination type '%s' is not one of OBS, SMN, DIS, "
                                  "FunctionGraph",
                                  key, raw->destination);
        if (!raw->param)
                return yaml_error(ctx->diags, ctx->path, node,
                                  "missing required key 'param' in '%s' (destination %s)", key,
                                  raw->destination);
        return huawei_param_parse(ctx, raw->destination, raw->param, &d->param);
}

int destination_parse_field(SchemaContext *ctx, const YamlNode *node, const SchemaField *f,
                            void *dest) {
        DestinationSide side = *(const DestinationSide *) f->data;
        _cleanup_free_ char *what = NULL;
        DestinationRaw raw = {};
        Destination d = {};
        int r;

        if (asprintf(&what, "'%s'", f->key) < 0)
                return -ENOMEM;
        r = schema_parse_mapping(ctx, node, what, destination_fields, &raw, NULL);
        if (r < 0)
                goto finish;
        if (ctx->variant == PROVIDER_HUAWEICLOUD)
                r = huawei_destination(ctx, node, f->key, &raw, &d);
        else
                r = check_target(ctx, schema_locate(node, "destination"), f->key, raw.destination,
                                 side);
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
