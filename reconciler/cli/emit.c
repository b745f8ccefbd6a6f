/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <strings.h>
#include <yaml.h>

#include "lib/sort-util.h"
#include "lib/macro.h"

#include "reconciler/cli/emit.h"
#include "reconciler/spec/async-config.h"
#include "reconciler/spec/field.h"

#define NAME_MAX_LENGTH 63u

void emit_resource_done(EmitResource *r) {
        if (!r)
                return;
        free(r->name);
        free(r->account);
        free(r->function);
        free(r->qualifier);
        async_config_done(&r->config);
        *r = (EmitResource){};
}

EmitResource *emit_resource_array_free(EmitResource *r, size_t n) {
        for (size_t i = 0; r && i < n; i++)
                emit_resource_done(&r[i]);
        free(r);
        return NULL;
}

/* ---- names -------------------------------------------------------------------------- */

/* Appends the DNS-label form of s to buf (of at least NAME_MAX_LENGTH + 1 bytes). */
static void name_append(char *buf, const char *s, size_t len) {
        size_t n = strlen(buf);

        for (size_t i = 0; i < len && n < NAME_MAX_LENGTH; i++) {
                char c = (char) tolower((unsigned char) s[i]);
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                        buf[n++] = c;
                else if (n > 0 && buf[n - 1] != '-')
                        buf[n++] = '-';
        }
        buf[n] = 0;
}

static void name_trim(char *buf) {
        size_t n = strlen(buf);
        while (n > 0 && buf[n - 1] == '-')
                buf[--n] = 0;
}

static bool qualifier_is_default(const char *q) {
        return isempty(q) || strcasecmp(q, "$LATEST") == 0 || strcasecmp(q, "LATEST") == 0;
}

int emit_resource_name(Provider provider, const char *function, const char *qualifier, char **ret) {
        char buf[NAME_MAX_LENGTH + 1] = "";
        const char *name = function ?: "", *embedded = NULL, *p;
        size_t name_len;

        /* AWS ARN ("...:function:name[:q]") and Huawei URN ("...:function:package:name[:v]"). */
        p = strstr(name, ":function:");
        if (p && provider != PROVIDER_ALICLOUD) {
                name = p + strlen(":function:");
                if (provider == PROVIDER_HUAWEICLOUD && (p = strchr(name, ':')))
                        name = p + 1;
        }
        if (provider != PROVIDER_ALICLOUD && (p = strchr(name, ':'))) {
                name_len = (size_t) (p - name);
                embedded = p + 1;
        } else
                name_len = strlen(name);

        name_append(buf, name, name_len);
        qualifier = qualifier ?: embedded;
        if (!qualifier_is_default(qualifier)) {
                name_trim(buf);
                name_append(buf, "-", 1);
                name_append(buf, qualifier, strlen(qualifier));
        }
        name_trim(buf);
        char *s = strdup(buf[0] ? buf : "function");
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static bool name_used(char *const *used, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(used[i], name))
                        return true;
        return false;
}

/* base made unique against used[0..n): base, base-2, base-3, ... within 63 characters. */
static int name_unique(char *const *used, size_t n, const char *base, char **ret) {
        char buf[NAME_MAX_LENGTH + 1];

        if (!name_used(used, n, base)) {
                char *s = strdup(base);
                if (!s)
                        return -ENOMEM;
                *ret = s;
                return 0;
        }
        for (unsigned i = 2;; i++) {
                char suffix[16];
                int k = snprintf(suffix, sizeof(suffix), "-%u", i);
                snprintf(buf, sizeof(buf), "%.*s", (int) (NAME_MAX_LENGTH - (size_t) k), base);
                name_trim(buf);
                strcat(buf, suffix);
                if (!name_used(used, n, buf)) {
                        char *s = strdup(buf);
                        if (!s)
                                return -ENOMEM;
                        *ret = s;
                        return 0;
                }
        }
}

/* ---- YAML --------------------------------------------------------------------------- */

/* Would a YAML 1.2 core-schema (or 1.1) reader resolve this plain scalar to something other
 * than a string? Conservative: anything that starts like a number is quoted. */
static bool string_needs_quotes(const char *s) {
        static const char *const words[] = { "null", "true", "false", "yes", "no",
                                             "on",   "off",  "y",     "n",   "~" };

        if (isempty(s) || strchr("0123456789+-.", s[0]))
                return true;
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (strcasecmp(s, words[i]) == 0)
                        return true;
        return false;
}

static int emit_event(yaml_emitter_t *e, yaml_event_t *ev, int ok) {
        if (!ok)
                return -ENOMEM;
        return yaml_emitter_emit(e, ev) ? 0 : (e->error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL);
}

static int emit_scalar(yaml_emitter_t *e, const char *s, bool plain) {
        yaml_event_t ev;
        bool quote = !plain && string_needs_quotes(s);

        return emit_event(e, &ev,
                          yaml_scalar_event_initialize(
                                  &ev, NULL, NULL, (yaml_char_t *) s, (int) strlen(s), !quote, 1,
                                  quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE));
}

static int emit_string(yaml_emitter_t *e, const char *s) {
        return emit_scalar(e, s, false);
}

static int emit_int(yaml_emitter_t *e, int64_t v) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%" PRIi64, v);
        return emit_scalar(e, buf, true);
}

static int emit_mapping_start(yaml_emitter_t *e) {
        yaml_event_t ev;
        return emit_event(
                e, &ev,
                yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

static int emit_mapping_end(yaml_emitter_t *e) {
        yaml_event_t ev;
        return emit_event(e, &ev, yaml_mapping_end_event_initialize(&ev));
}

static int emit_pair(yaml_emitter_t *e, const char *key, const char *value) {
        int r = emit_string(e, key);
        return r < 0 ? r : emit_string(e, value);
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* A JSON value of a Huawei param as YAML; object keys sorted for stable output. */
static int emit_json(yaml_emitter_t *e, const json_t *v, unsigned depth) {
        yaml_event_t ev;
        char buf[64];
        int r;

        if (depth > 32)
                return -EINVAL;
        switch (json_typeof(v)) {
        case JSON_STRING:
                return emit_string(e, json_string_value(v));
        case JSON_INTEGER:
                return emit_int(e, json_integer_value(v));
        case JSON_REAL:
                snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
                return emit_scalar(e, buf, true);
        case JSON_TRUE:
        case JSON_FALSE:
                return emit_scalar(e, json_is_true(v) ? "true" : "false", true);
        case JSON_NULL:
                return emit_scalar(e, "null", true);
        case JSON_ARRAY: {
                r = emit_event(e, &ev,
                               yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                                                    YAML_BLOCK_SEQUENCE_STYLE));
                for (size_t i = 0; r >= 0 && i < json_array_size(v); i++)
                        r = emit_json(e, json_array_get(v, i), depth + 1);
                return r < 0 ? r : emit_event(e, &ev, yaml_sequence_end_event_initialize(&ev));
        }
        case JSON_OBJECT: {
                size_t n = json_object_size(v), i = 0;
                const char **keys = calloc(MAX(n, 1u), sizeof(char *));
                const char *key;
                json_t *x;
                if (!keys)
                        return -ENOMEM;
                json_object_foreach((json_t *) v, key, x) keys[i++] = key;
                qsort_safe(keys, n, sizeof(char *), strcmp_ptr);
                r = emit_mapping_start(e);
                for (i = 0; r >= 0 && i < n; i++) {
                        r = emit_string(e, keys[i]);
                        if (r >= 0)
                                r = emit_json(e, json_object_get(v, keys[i]), depth + 1);
                }
                free(keys);
                return r < 0 ? r : emit_mapping_end(e);
        }
        default:
                return -EINVAL;
        }
}

static int emit_destination(yaml_emitter_t *e, const Destination *d) {
        json_t *p = destination_param_normalise(d->param);
        int r;

        if (!p)
                return -ENOMEM;
        r = emit_mapping_start(e);
        if (r >= 0)
                r = emit_pair(e, "destination", d->target);
        if (r >= 0 && (!json_is_object(p) || json_object_size(p) > 0)) {
                r = emit_string(e, "param");
                if (r >= 0)
                        r = emit_json(e, p, 0);
        }
        json_decref(p);
        return r < 0 ? r : emit_mapping_end(e);
}

static int emit_field(yaml_emitter_t *e, const AsyncConfig *c, AsyncField f) {
        int r;

        if (!async_config_field_present(c, f))
                return 0;
        r = emit_string(e, async_field_to_string(f));
        if (r < 0)
                return r;
        switch (f) {
        case ASYNC_FIELD_MAX_RETRY_ATTEMPTS:
                return emit_int(e, c->max_retry_attempts);
        case ASYNC_FIELD_MAX_EVENT_AGE_SECONDS:
                return emit_int(e, c->max_event_age_seconds);
        case ASYNC_FIELD_ON_SUCCESS:
        case ASYNC_FIELD_ON_FAILURE:
                return emit_destination(e, async_config_destination(c, f));
        case ASYNC_FIELD_ASYNC_TASK:
                return emit_scalar(e, c->async_task ? "true" : "false", true);
        case ASYNC_FIELD_ENABLE_ASYNC_STATUS_LOG:
                return emit_scalar(e, c->async_status_log ? "true" : "false", true);
        default:
                return -EINVAL;
        }
}

static int emit_spec(yaml_emitter_t *e, const EmitResource *res) {
        int r;

        r = emit_string(e, "spec");
        if (r >= 0)
                r = emit_mapping_start(e);
        if (r >= 0)
                r = emit_pair(e, "provider", provider_to_string(res->provider));
        if (r >= 0 && res->account)
                r = emit_pair(e, "account", res->account);
        if (r >= 0)
                r = emit_pair(e, "function", res->function);
        if (r >= 0 && res->qualifier)
                r = emit_pair(e, "qualifier", res->qualifier);
        for (AsyncField f = 0; r >= 0 && f < _ASYNC_FIELD_MAX; f++)
                r = emit_field(e, &res->config, f);
        return r < 0 ? r : emit_mapping_end(e);
}

static int emit_document(yaml_emitter_t *e, const EmitResource *res, const char *name) {
        yaml_event_t ev;
        int r;

        r = emit_event(e, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0));
        if (r >= 0)
                r = emit_mapping_start(e);
        if (r >= 0)
                r = emit_pair(e, "apiVersion", "asyncfg.io/v1");
        if (r >= 0)
                r = emit_pair(e, "kind", "AsyncInvokeConfig");
        if (r >= 0)
                r = emit_string(e, "metadata");
        if (r >= 0)
                r = emit_mapping_start(e);
        if (r >= 0)
                r = emit_pair(e, "name", name);
        if (r >= 0)
                r = emit_mapping_end(e);
        if (r >= 0)
                r = emit_spec(e, res);
        if (r >= 0)
                r = emit_mapping_end(e);
        if (r >= 0)
                r = emit_event(e, &ev, yaml_document_end_event_initialize(&ev, 1));
        return r;
}

static int emit_stream(yaml_emitter_t *e, const EmitResource *r, size_t n, char **names) {
        yaml_event_t ev;
        int k;

        k = emit_event(e, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
        for (size_t i = 0; k >= 0 && i < n; i++)
                k = emit_document(e, &r[i], names[i]);
        if (k >= 0)
                k = emit_event(e, &ev, yaml_stream_end_event_initialize(&ev));
        return k;
}

/* The metadata.name of every resource, unique within the output. */
static int emit_names(const EmitResource *r, size_t n, char ***ret) {
        _cleanup_strv_free_ char **names = calloc(n + 1, sizeof(char *));
        int k;

        if (!names)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *base = NULL;
                if (!r[i].function || !provider_to_string(r[i].provider))
                        return -EINVAL;
                if (r[i].name)
                        base = strdup(r[i].name);
                else if (emit_resource_name(r[i].provider, r[i].function, r[i].qualifier, &base) <
                         0)
                        base = NULL;
                if (!base)
                        return -ENOMEM;
                k = name_unique(names, i, base, &names[i]);
                if (k < 0)
                        return k;
        }
        *ret = TAKE_PTR(names);
        return 0;
}

int emit_yaml(const EmitResource *r, size_t n, char **ret) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        yaml_emitter_t e;
        FILE *f;
        int k;

        k = emit_names(r, n, &names);
        if (k < 0)
                return k;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        if (!yaml_emitter_initialize(&e)) {
                fclose(f);
                return -ENOMEM;
        }
        yaml_emitter_set_output_file(&e, f);
        yaml_emitter_set_unicode(&e, 1);
        yaml_emitter_set_indent(&e, 2);
        yaml_emitter_set_width(&e, -1);
        k = emit_stream(&e, r, n, names);
        if (k >= 0 && !yaml_emitter_flush(&e))
                k = -EIO;
        yaml_emitter_delete(&e);
        if (fclose(f) != 0 && k >= 0)
                k = -ENOMEM;
        if (k < 0)
                return k;
        *ret = TAKE_PTR(buf);
        return 0;
}
