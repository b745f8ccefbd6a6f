/* SPDX-License-Identifier: MIT */
#include <strings.h>

#include "clouds/cloud-json.h"
#include "lib/macro.h"

int cloud_json_parse_object(const char *body, size_t size, json_t **ret) {
        json_error_t err;
        json_t *v;

        if (!body || size == 0)
                return -EBADMSG;
        v = json_loadb(body, size, JSON_REJECT_DUPLICATES, &err);
        if (!v)
                return -EBADMSG;
        if (!json_is_object(v)) {
                json_decref(v);
                return -EBADMSG;
        }
        *ret = v;
        return 0;
}

json_t *cloud_json_get_ci(const json_t *object, const char *key) {
        const char *k;
        json_t *v, *exact;

        if (!json_is_object(object))
                return NULL;
        exact = json_object_get(object, key);
        if (exact)
                return exact;
        json_object_foreach((json_t *) object, k, v) if (strcasecmp(k, key) == 0) return v;
        return NULL;
}

int cloud_json_get_int(const json_t *object, const char *key, bool *ret_has, int64_t *ret) {
        json_t *v = json_object_get(object, key);

        if (!v || json_is_null(v)) {
                *ret_has = false;
                return 0;
        }
        if (!json_is_integer(v))
                return -EBADMSG;
        *ret = json_integer_value(v);
        *ret_has = true;
        return 0;
}

int cloud_json_get_bool(const json_t *object, const char *key, bool *ret_has, bool *ret) {
        json_t *v = json_object_get(object, key);

        if (!v || json_is_null(v)) {
                *ret_has = false;
                return 0;
        }
        if (!json_is_boolean(v))
                return -EBADMSG;
        *ret = json_is_true(v);
        *ret_has = true;
        return 0;
}

int cloud_json_get_string(const json_t *object, const char *key, const char **ret) {
        json_t *v = json_object_get(object, key);

        if (!v || json_is_null(v)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_string(v))
                return -EBADMSG;
        *ret = isempty(json_string_value(v)) ? NULL : json_string_value(v);
        return 0;
}

int cloud_json_get_object(const json_t *object, const char *key, json_t **ret) {
        json_t *v = json_object_get(object, key);

        if (!v || json_is_null(v)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_object(v))
                return -EBADMSG;
        *ret = v;
        return 0;
}

int cloud_json_get_array(const json_t *object, const char *key, json_t **ret) {
        json_t *v = json_object_get(object, key);

        if (!v || json_is_null(v)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_array(v))
                return -EBADMSG;
        *ret = v;
        return 0;
}

int cloud_json_dump(const json_t *value, char **ret, size_t *ret_size) {
        char *s = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER);

        if (!s)
                return -ENOMEM;
        *ret_size = strlen(s);
        *ret = s;
        return 0;
}

static int parse_destination(const json_t *config, const char *key, const char *dest_key,
                             Destination *ret) {
        json_t *d;
        const char *s;
        int r;

        r = cloud_json_get_object(config, key, &d);
        if (r < 0 || !d)
                return r;
        r = cloud_json_get_string(d, dest_key, &s);
        if (r < 0 || !s)
                return r;
        ret->target = strdup(s);
        return ret->target ? 0 : -ENOMEM;
}

int cloud_json_parse_destinations(const json_t *object, const CloudDestinationKeys *k,
                                  AsyncConfig *c) {
        json_t *config;
        int r;

        r = cloud_json_get_object(object, k->config, &config);
        if (r < 0 || !config)
                return r;
        r = parse_destination(config, k->on_success, k->destination, &c->on_success);
        if (r < 0)
                return r;
        return parse_destination(config, k->on_failure, k->destination, &c->on_failure);
}

/* ---- request bodies ----------------------------------------------------------------- */

static void writer_key(CloudJsonWriter *w, const char *key) {
        if (key)
                json_writer_key(&w->json, key);
        else
                json_writer_init_compact(&w->json);
}

void cloud_json_writer_open(CloudJsonWriter *w, const char *key) {
        writer_key(w, key);
        json_writer_open_object(&w->json);
}

void cloud_json_writer_close(CloudJsonWriter *w) {
        json_writer_close_object(&w->json);
}

void cloud_json_writer_int(CloudJsonWriter *w, const char *key, int64_t v) {
        json_writer_key(&w->json, key);
        json_writer_integer(&w->json, v);
}

void cloud_json_writer_bool(CloudJsonWriter *w, const char *key, bool v) {
        json_writer_key(&w->json, key);
        json_writer_bool(&w->json, v);
}

void cloud_json_writer_string(CloudJsonWriter *w, const char *key, const char *s) {
        json_writer_key(&w->json, key);
        json_writer_string(&w->json, s);
}

void cloud_json_writer_fail(CloudJsonWriter *w, int error) {
        json_writer_fail(&w->json, error);
}

int cloud_json_writer_take(CloudJsonWriter *w, char **ret, size_t *ret_size) {
        return json_writer_take(&w->json, ret, ret_size);
}

static void write_destination(CloudJsonWriter *w, const char *key, const char *dest_key,
                              const Destination *d) {
        if (!d->target)
                return;
        cloud_json_writer_open(w, key);
        cloud_json_writer_string(w, dest_key, d->target);
        cloud_json_writer_close(w);
}

void cloud_json_write_destinations(CloudJsonWriter *w, const CloudDestinationKeys *k,
                                   const AsyncConfig *c) {
        if (!c->on_success.target && !c->on_failure.target)
                return;
        cloud_json_writer_open(w, k->config);
        if (k->failure_first)
                write_destination(w, k->on_failure, k->destination, &c->on_failure);
        write_destination(w, k->on_success, k->destination, &c->on_success);
        if (!k->failure_first)
                write_destination(w, k->on_failure, k->destination, &c->on_failure);
        cloud_json_writer_close(w);
}

int cloud_json_parse_list(const char *body, size_t size, const char *items_key,
                          const char *next_key, CloudListItemFunc item, json_t **ret_root,
                          CloudConfigList *ret) {
        _cleanup_(cloud_config_list_done) CloudConfigList l = {};
        json_auto_t *o = NULL;
        json_t *items, *v;
        const char *next = NULL;
        size_t i;
        int r;

        r = cloud_json_parse_object(body, size, &o);
        if (r < 0)
                return r;
        r = cloud_json_get_array(o, items_key, &items);
        if (r >= 0 && next_key)
                r = cloud_json_get_string(o, next_key, &next);
        if (r < 0)
                return r;
        if (items && json_array_size(items) > 0) {
                l.items = calloc(json_array_size(items), sizeof(*l.items));
                if (!l.items)
                        return -ENOMEM;
        }
        json_array_foreach(items, i, v) {
                if (!json_is_object(v))
                        return -EBADMSG;
                r = item(v, &l.items[l.n_items]);
                if (r < 0)
                        return r;
                l.n_items++;
        }
        if (next && !(l.next_token = strdup(next)))
                return -ENOMEM;
        if (ret_root)
                *ret_root = TAKE_PTR(o);
        *ret = l;
        l = (CloudConfigList){};
        return 0;
}

static int cloud_json_names_from_array(const json_t *items, const char *name_key,
                                       CloudConfigList *l) {
        const char *name;
        json_t *v;
        size_t i;
        int r;

        if (json_array_size(items) == 0)
                return 0;
        l->items = calloc(json_array_size(items), sizeof(*l->items));
        if (!l->items)
                return -ENOMEM;
        json_array_foreach(items, i, v) {
                if (!json_is_object(v))
                        return -EBADMSG;
                r = cloud_json_get_string(v, name_key, &name);
                if (r < 0)
                        return r;
                if (!name)
                        return -EBADMSG;
                l->items[l->n_items].qualifier = strdup(name);
                if (!l->items[l->n_items].qualifier)
                        return -ENOMEM;
                l->n_items++;
        }
        return 0;
}

int cloud_json_parse_names(const char *body, size_t size, const char *items_key,
                           const char *name_key, const char *next_key, json_t **ret_root,
                           CloudConfigList *ret) {
        _cleanup_(cloud_config_list_done) CloudConfigList l = {};
        json_auto_t *o = NULL;
        const char *next = NULL;
        json_t *items;
        int r;

        if (items_key) {
                r = cloud_json_parse_object(body, size, &o);
                if (r >= 0)
                        r = cloud_json_get_array(o, items_key, &items);
                if (r >= 0 && next_key)
                        r = cloud_json_get_string(o, next_key, &next);
        } else {
                o = body && size > 0 ? json_loadb(body, size, JSON_REJECT_DUPLICATES, NULL) : NULL;
                items = o;
                r = json_is_array(o) ? 0 : -EBADMSG;
        }
        if (r >= 0)
                r = cloud_json_names_from_array(items, name_key, &l);
        if (r < 0)
                return r;
        if (next && !(l.next_token = strdup(next)))
                return -ENOMEM;
        if (ret_root)
                *ret_root = TAKE_PTR(o);
        *ret = l;
        l = (CloudConfigList){};
        return 0;
}
