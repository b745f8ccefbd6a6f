/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <sys/stat.h>

#include "reconciler/cli/tfstate.h"

#define MODULE_DEPTH_MAX 64u

/* The walk over one state: where diagnostics go and what has been collected. */
typedef struct TfWalk {
        const char *path;
        DiagList *diags;
        TfStateImport *out;
        size_t allocated;
        int error; /* -EINVAL once anything was reported; -ENOMEM wins */
} TfWalk;

/* One resource instance being converted. */
typedef struct TfResource {
        TfWalk *walk;
        const char *address;
        const json_t *attrs;
} TfResource;

static int walk_error(TfWalk *w, int r) {
        if (r == -ENOMEM || w->error != -ENOMEM)
                w->error = r;
        return r;
}

_printf_(2, 3) static int tf_error(TfResource *t, const char *format, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&msg, format, ap);
        va_end(ap);
        if (r < 0)
                return walk_error(t->walk, -ENOMEM);
        r = diag_error(t->walk->diags, t->walk->path, 0, 0, "%s: %s", t->address, msg);
        return walk_error(t->walk, r);
}

static const char *json_type_name(const json_t *v) {
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "a list";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
        case JSON_REAL:
                return "a number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        default:
                return "null";
        }
}

/* ---- attribute readers: absent (missing, null, "") is 0, a value 1, a wrong type < 0 ---- */

static int attr_string(TfResource *t, const json_t *obj, const char *key, const char **ret) {
        const json_t *v = json_object_get(obj, key);

        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return tf_error(t, "'%s' must be a string, got %s", key, json_type_name(v));
        if (json_string_length(v) == 0)
                return 0;
        if (strlen(json_string_value(v)) != json_string_length(v))
                return tf_error(t, "'%s' contains a NUL character", key);
        *ret = json_string_value(v);
        return 1;
}

static int attr_required_string(TfResource *t, const json_t *obj, const char *key,
                                const char **ret) {
        int r = attr_string(t, obj, key, ret);
        if (r == 0)
                return tf_error(t, "'%s' is missing", key);
        return r;
}

static int attr_int(TfResource *t, const char *key, bool *has, int64_t *ret) {
        const json_t *v = json_object_get(t->attrs, key);

        if (!v || json_is_null(v))
                return 0;
        if (json_is_integer(v))
                *ret = json_integer_value(v);
        else if (json_is_real(v) && json_real_value(v) == trunc(json_real_value(v)) &&
                 fabs(json_real_value(v)) < 9.0e15)
                *ret = (int64_t) json_real_value(v); /* "2.0": still an integer */
        else
                return tf_error(t, "'%s' must be an integer, got %s", key,
                                json_is_real(v) ? "a fractional number" : json_type_name(v));
        *has = true;
        return 1;
}

/* An event age of 0 is the SDK's zero value for "never set" (outside every range). */
static int attr_age(TfResource *t, const char *key, AsyncConfig *c) {
        int r = attr_int(t, key, &c->has_max_event_age, &c->max_event_age_seconds);
        if (r > 0 && c->max_event_age_seconds == 0)
                c->has_max_event_age = false;
        return r;
}

static int attr_bool(TfResource *t, const char *key, bool *has, bool *ret) {
        const json_t *v = json_object_get(t->attrs, key);

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_boolean(v))
                return tf_error(t, "'%s' must be a boolean, got %s", key, json_type_name(v));
        *has = true;
        *ret = json_is_true(v);
        return 1;
}

/* A nested block: a list of at most one object (Terraform's MaxItems: 1). */
static int attr_block(TfResource *t, const json_t *obj, const char *key, const json_t **ret) {
        const json_t *v = json_object_get(obj, key);

        *ret = NULL;
        if (!v || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0))
                return 0;
        if (json_is_object(v)) { /* tolerated: some tools flatten single blocks */
                *ret = v;
                return 1;
        }
        if (!json_is_array(v))
                return tf_error(t, "'%s' must be a list of blocks, got %s", key, json_type_name(v));
        if (json_array_size(v) > 1)
                return tf_error(t, "'%s' has %zu blocks, expected at most one", key,
                                json_array_size(v));
        if (!json_is_object(json_array_get(v, 0)))
                return tf_error(t, "'%s' must hold an object, got %s", key,
                                json_type_name(json_array_get(v, 0)));
        *ret = json_array_get(v, 0);
        return 1;
}

static int dup_string(const char *s, char **ret) {
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

/* on_success/on_failure block {destination} (AWS, Alibaba) or {destination, param} (Huawei). */
static int convert_destination(TfResource *t, const json_t *parent, const char *key,
                               bool with_param, Destination *d) {
        const json_t *block;
        const char *target = NULL, *param = NULL;
        int r;

        r = attr_block(t, parent, key, &block);
        if (r <= 0)
                return r;
        r = attr_string(t, block, "destination", &target);
        if (r <= 0) /* an empty destination is no destination */
                return r;
        if (with_param) {
                r = attr_string(t, block, "param", &param);
                if (r < 0)
                        return r;
        }
        if (param) {
                json_error_t err;
                d->param = json_loads(param, 0, &err);
                if (!json_is_object(d->param)) {
                        json_decref(TAKE_PTR(d->param));
                        return tf_error(t, "'%s.param' must be a JSON object in a string", key);
                }
        }
        return dup_string(target, &d->target) < 0 ? walk_error(t->walk, -ENOMEM) : 1;
}

static int worst(int a, int b) {
        return MIN(a, b);
}

/* destination_config [{on_success [...], on_failure [...]}] */
static int convert_destination_config(TfResource *t, AsyncConfig *c) {
        const json_t *dc;
        int r, k;

        r = attr_block(t, t->attrs, "destination_config", &dc);
        if (r <= 0)
                return r;
        r = convert_destination(t, dc, "on_success", false, &c->on_success);
        k = convert_destination(t, dc, "on_failure", false, &c->on_failure);
        return MIN(r, k);
}

/* What differs between the four resource types is only the attribute names: one table. */
typedef struct TfType {
        const char *type;
        Provider provider;
        const char *service;   /* FC2: service_name; the function becomes "service/function" */
        const char *function;  /* function_name, or Huawei's function_urn */
        const char *qualifier; /* NULL: none (Huawei: the URN's version) */
        const char *retries;
        const char *age;
        const char *task;       /* alicloud: stateful_invocation (FC2) / async_task (FC3) */
        const char *status_log; /* huaweicloud */
        bool huawei;            /* on_success/on_failure at the top, with a param */
} TfType;

static const TfType tf_types[] = {
        { "aws_lambda_function_event_invoke_config", PROVIDER_AWS, NULL, "function_name",
          "qualifier", "maximum_retry_attempts", "maximum_event_age_in_seconds", NULL, NULL,
          false },
        { "alicloud_fc_function_async_invoke_config", PROVIDER_ALICLOUD, "service_name",
          "function_name", "qualifier", "maximum_retry_attempts", "maximum_event_age_in_seconds",
          "stateful_invocation", NULL, false },
        { "alicloud_fcv3_async_invoke_config", PROVIDER_ALICLOUD, NULL, "function_name",
          "qualifier", "max_async_retry_attempts", "max_async_event_age_in_seconds", "async_task",
          NULL, false },
        { "huaweicloud_fgs_async_invoke_configuration", PROVIDER_HUAWEICLOUD, NULL, "function_urn",
          NULL, "max_async_retry_attempts", "max_async_event_age_in_seconds", NULL,
          "enable_async_status_log", true },
};

static const TfType *tf_type_find(const char *type) {
        for (size_t i = 0; i < ELEMENTSOF(tf_types); i++)
                if (streq(tf_types[i].type, type))
                        return &tf_types[i];
        return NULL;
}

static int convert_destinations(TfResource *t, const TfType *k, AsyncConfig *c) {
        int r;

        if (!k->huawei)
                return convert_destination_config(t, c);
        r = convert_destination(t, t->attrs, "on_success", true, &c->on_success);
        return worst(r, convert_destination(t, t->attrs, "on_failure", true, &c->on_failure));
}

static int convert_names(const TfType *k, const char *svc, const char *fn, const char *q,
                         EmitResource *e) {
        e->provider = k->provider;
        if (svc ? asprintf(&e->function, "%s/%s", svc, fn) < 0 : !(e->function = strdup(fn))) {
                e->function = NULL;
                return -ENOMEM;
        }
        if (q && !(e->qualifier = strdup(q)))
                return -ENOMEM;
        return 0;
}

/* Every reader runs (one statement each, in order), so that every malformed attribute is
 * reported, not just the first. */
static int convert_resource(TfResource *t, const TfType *k, EmitResource *e) {
        const char *svc = NULL, *fn = NULL, *q = NULL;
        AsyncConfig *c = &e->config;
        int r = 0;

        if (k->service)
                r = worst(r, attr_required_string(t, t->attrs, k->service, &svc));
        r = worst(r, attr_required_string(t, t->attrs, k->function, &fn));
        if (k->qualifier)
                r = worst(r, attr_string(t, t->attrs, k->qualifier, &q));
        r = worst(r, attr_int(t, k->retries, &c->has_max_retry_attempts, &c->max_retry_attempts));
        r = worst(r, attr_age(t, k->age, c));
        r = worst(r, attr_bool(t, k->task ?: k->status_log,
                               k->task ? &c->has_async_task : &c->has_async_status_log,
                               k->task ? &c->async_task : &c->async_status_log));
        r = worst(r, convert_destinations(t, k, c));
        if (r < 0)
                return r;
        return convert_names(k, svc, fn, q, e);
}

/* ---- the walk ----------------------------------------------------------------------- */

static int walk_add_resource(TfWalk *w, EmitResource *e) {
        TfStateImport *o = w->out;

        if (o->n_resources == w->allocated) {
                size_t a = MAX(w->allocated * 2, 8u);
                EmitResource *n = reallocarray(o->resources, a, sizeof(EmitResource));
                if (!n)
                        return -ENOMEM;
                o->resources = n;
                w->allocated = a;
        }
        o->resources[o->n_resources++] = *e;
        *e = (EmitResource){};
        return 0;
}

static int walk_add_skipped(TfWalk *w, const char *address) {
        TfStateImport *o = w->out;
        char **n = reallocarray(o->skipped, o->n_skipped + 2, sizeof(char *));

        if (!n)
                return -ENOMEM;
        o->skipped = n;
        n[o->n_skipped] = strdup(address);
        if (!n[o->n_skipped])
                return -ENOMEM;
        n[++o->n_skipped] = NULL;
        return 0;
}

/* One instance of a resource of a known type (attrs is its attributes/values object). */
static int walk_instance(TfWalk *w, const TfType *kind, const char *address, const json_t *attrs) {
        TfResource t = { .walk = w, .address = address, .attrs = attrs };
        EmitResource e = {};
        int r;

        if (!json_is_object(attrs))
                return tf_error(&t, "no attributes object");
        r = convert_resource(&t, kind, &e);
        if (r >= 0)
                r = walk_add_resource(w, &e);
        emit_resource_done(&e);
        return r == -ENOMEM ? walk_error(w, r) : r;
}

/* "module.a.aws_x.name[0]" / ["key"] */
static int format_address(const char *module, const char *mode, const char *type, const char *name,
                          const json_t *index, char **ret) {
        _cleanup_free_ char *idx = NULL;
        int r;

        if (json_is_integer(index))
                r = asprintf(&idx, "[%" JSON_INTEGER_FORMAT "]", json_integer_value(index));
        else if (json_is_string(index))
                r = asprintf(&idx, "[\"%s\"]", json_string_value(index));
        else
                r = asprintf(&idx, "%s", "");
        if (r < 0)
                return -ENOMEM;
        r = asprintf(ret, "%s%s%s%s.%s%s", module ?: "", isempty(module) ? "" : ".",
                     streq(mode, "data") ? "data." : "", type, name, idx);
        return r < 0 ? -ENOMEM : 0;
}

/* Common to both formats: decide by mode and type. Returns the converter, or NULL when the
 * resource is not converted (after recording it as skipped where that applies). */
static int walk_classify(TfWalk *w, const char *mode, const char *type, const char *address,
                         const TfType **ret) {
        *ret = NULL;
        if (!streq(mode, "managed"))
                return 0; /* data sources describe, they do not manage */
        *ret = tf_type_find(type);
        if (*ret)
                return 0;
        return walk_add_skipped(w, address) < 0 ? walk_error(w, -ENOMEM) : 0;
}

static int walk_bad(TfWalk *w, const char *what) {
        return walk_error(w, diag_error(w->diags, w->path, 0, 0, "%s", what));
}

/* A v4 "resources" entry. */
static int walk_v4_resource(TfWalk *w, const json_t *res, size_t i) {
        const char *mode = json_string_value(json_object_get(res, "mode")),
                   *type = json_string_value(json_object_get(res, "type")),
                   *name = json_string_value(json_object_get(res, "name")),
                   *module = json_string_value(json_object_get(res, "module"));
        const json_t *instances = json_object_get(res, "instances");
        const TfType *kind;
        int r;

        if (!mode || !type || !name || !json_is_array(instances)) {
                _cleanup_free_ char *m = NULL;
                if (asprintf(&m, "resources[%zu]: expected mode, type, name and instances", i) < 0)
                        return walk_error(w, -ENOMEM);
                return walk_bad(w, m);
        }
        for (size_t k = 0; k < json_array_size(instances); k++) {
                const json_t *inst = json_array_get(instances, k);
                _cleanup_free_ char *address = NULL;
                if (format_address(module, mode, type, name, json_object_get(inst, "index_key"),
                                   &address) < 0)
                        return walk_error(w, -ENOMEM);
                r = walk_classify(w, mode, type, address, &kind);
                if (r < 0)
                        return r;
                if (!kind)
                        continue;
                r = walk_instance(w, kind, address, json_object_get(inst, "attributes"));
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}

static int walk_v4(TfWalk *w, const json_t *root) {
        const json_t *resources = json_object_get(root, "resources");

        if (!json_is_array(resources))
                return walk_bad(w, "state version 4 without a \"resources\" list");
        for (size_t i = 0; i < json_array_size(resources); i++) {
                const json_t *res = json_array_get(resources, i);
                int r = walk_v4_resource(w, res, i);
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}

/* A `terraform show -json` module: resources, then child modules, depth first. */
static int walk_module(TfWalk *w, const json_t *module, unsigned depth) {
        const json_t *resources = json_object_get(module, "resources"),
                     *children = json_object_get(module, "child_modules");
        int r;

        if (depth > MODULE_DEPTH_MAX)
                return walk_bad(w, "modules nested too deeply");
        if (!json_is_object(module) || (resources && !json_is_array(resources)) ||
            (children && !json_is_array(children)))
                return walk_bad(w, "malformed module (expected resources and child_modules lists)");
        for (size_t i = 0; i < json_array_size(resources); i++) {
                const json_t *res = json_array_get(resources, i);
                const char *address = json_string_value(json_object_get(res, "address")),
                           *mode = json_string_value(json_object_get(res, "mode")),
                           *type = json_string_value(json_object_get(res, "type"));
                const TfType *kind;
                if (!address || !mode || !type) {
                        r = walk_bad(w, "a module resource without address, mode or type");
                        continue;
                }
                r = walk_classify(w, mode, type, address, &kind);
                if (r >= 0 && kind)
                        r = walk_instance(w, kind, address, json_object_get(res, "values"));
                if (r == -ENOMEM)
                        return r;
        }
        for (size_t i = 0; i < json_array_size(children); i++) {
                r = walk_module(w, json_array_get(children, i), depth + 1);
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}

static int walk_root(TfWalk *w, const json_t *root) {
        const json_t *values = json_object_get(root, "values"),
                     *version = json_object_get(root, "version");

        if (!json_is_object(root))
                return walk_bad(w, "not a Terraform state (expected a JSON object)");
        if (values) {
                const json_t *rm = json_object_get(values, "root_module");
                if (!json_is_object(values) || !rm)
                        return walk_bad(w, "\"values\" without \"root_module\" "
                                           "(expected `terraform show -json` output)");
                return walk_module(w, rm, 0);
        }
        if (!version)
                return walk_bad(w, "not a Terraform state (neither \"version\" nor \"values\")");
        if (!json_is_integer(version) || json_integer_value(version) != 4)
                return walk_bad(w, "unsupported Terraform state version (expected 4; run "
                                   "`terraform show -json` or upgrade the state)");
        return walk_v4(w, root);
}

TfStateImport *tfstate_import_free(TfStateImport *t) {
        if (!t)
                return NULL;
        emit_resource_array_free(t->resources, t->n_resources);
        strv_free(t->skipped);
        free(t);
        return NULL;
}

int tfstate_parse(const char *path, const void *data, size_t size, DiagList *diags,
                  TfStateImport **ret) {
        _cleanup_(tfstate_import_freep) TfStateImport *out = NULL;
        json_error_t err;
        json_t *root;

        out = calloc(1, sizeof(TfStateImport));
        if (!out)
                return -ENOMEM;
        TfWalk w = { .path = path, .diags = diags, .out = out };

        root = json_loadb(data, size, JSON_REJECT_DUPLICATES, &err);
        if (!root) {
                int r = diag_error(diags, path, err.line > 0 ? (unsigned) err.line : 0,
                                   err.column > 0 ? (unsigned) err.column : 0, "invalid JSON: %s",
                                   err.text);
                return r == -ENOMEM ? r : -EINVAL;
        }
        (void) walk_root(&w, root);
        json_decref(root);
        if (w.error == -ENOMEM)
                return -ENOMEM;
        if (w.error < 0)
                return -EINVAL;
        *ret = TAKE_PTR(out);
        return 0;
}

int tfstate_parse_file(const char *path, DiagList *diags, TfStateImport **ret) {
        _cleanup_free_ char *data = NULL;
        size_t size = 0, allocated = 0;
        FILE *f;
        int r = 0;

        f = streq(path, "-") ? stdin : fopen(path, "re");
        if (!f)
                return diag_error(diags, path, 0, 0, "cannot open: %m");
        for (;;) {
                if (size == allocated) {
                        if (allocated >= TFSTATE_FILE_MAX) {
                                r = diag_error(diags, path, 0, 0, "larger than %u MiB",
                                               TFSTATE_FILE_MAX >> 20);
                                break;
                        }
                        allocated = allocated ? allocated * 2 : 65536;
                        char *n = realloc(data, allocated);
                        if (!n) {
                                r = -ENOMEM;
                                break;
                        }
                        data = n;
                }
                size_t k = fread(data + size, 1, allocated - size, f);
                size += k;
                if (k == 0) {
                        if (ferror(f))
                                r = diag_error(diags, path, 0, 0, "read error");
                        break;
                }
        }
        if (f != stdin)
                fclose(f);
        if (r < 0)
                return r;
        return tfstate_parse(path, data, size, diags, ret);
}

int tfstate_import_to_yaml(const TfStateImport *t, char **ret) {
        return emit_yaml(t->resources, t->n_resources, ret);
}
