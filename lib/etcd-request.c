/* SPDX-License-Identifier: MIT */

/* The JSON bodies of etcd gateway requests: keys and values base64, int64 as strings, enums
 * by name, zero fields left out (as the gateway itself writes them). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crypto.h"
#include "lib/etcd-internal.h"
#include "lib/macro.h"

void etcd_json_bytes_field(JsonWriter *w, const char *name, const void *data, size_t size) {
        _cleanup_free_ char *b64 = NULL;
        int k;

        k = crypto_base64_encode(data, size, &b64);
        if (k < 0) {
                json_writer_fail(w, k);
                return;
        }
        json_writer_key(w, name);
        json_writer_string(w, b64);
}

void etcd_json_int_field(JsonWriter *w, const char *name, int64_t v) {
        char buf[24];

        snprintf(buf, sizeof(buf), "%" PRIi64, v);
        json_writer_key(w, name);
        json_writer_string(w, buf);
}

void etcd_json_range_end_field(JsonWriter *w, const char *range_end) {
        if (!range_end)
                return;
        /* "" stands for the one byte "\0": every key from the key on. */
        etcd_json_bytes_field(w, "range_end", range_end[0] ? range_end : "",
                              range_end[0] ? strlen(range_end) : 1);
}

static int etcd_body_take(JsonWriter *w, char **ret, size_t *ret_size) {
        json_writer_close_object(w);
        return json_writer_take(w, ret, ret_size);
}

static void etcd_json_key(JsonWriter *w, const char *key) {
        etcd_json_bytes_field(w, "key", key, strlen(key));
}

int etcd_body_range(const char *key, const char *range_end, int64_t revision, int64_t limit,
                    bool keys_only, char **ret, size_t *ret_size) {
        JsonWriter w;

        json_writer_init_compact(&w);
        json_writer_open_object(&w);
        etcd_json_key(&w, key);
        etcd_json_range_end_field(&w, range_end);
        if (revision > 0)
                etcd_json_int_field(&w, "revision", revision);
        if (limit > 0)
                etcd_json_int_field(&w, "limit", limit);
        if (keys_only) {
                json_writer_key(&w, "keys_only");
                json_writer_bool(&w, true);
        }
        return etcd_body_take(&w, ret, ret_size);
}

static void etcd_json_put(JsonWriter *w, const char *key, const void *value, size_t size,
                          int64_t lease) {
        etcd_json_key(w, key);
        etcd_json_bytes_field(w, "value", value, size);
        if (lease != 0)
                etcd_json_int_field(w, "lease", lease);
}

int etcd_body_put(const char *key, const void *value, size_t size, int64_t lease, char **ret,
                  size_t *ret_size) {
        JsonWriter w;

        json_writer_init_compact(&w);
        json_writer_open_object(&w);
        etcd_json_put(&w, key, value, size, lease);
        return etcd_body_take(&w, ret, ret_size);
}

int etcd_body_delete_range(const char *key, const char *range_end, char **ret, size_t *ret_size) {
        JsonWriter w;

        json_writer_init_compact(&w);
        json_writer_open_object(&w);
        etcd_json_key(&w, key);
        etcd_json_range_end_field(&w, range_end);
        return etcd_body_take(&w, ret, ret_size);
}

int etcd_body_compact(int64_t revision, char **ret, size_t *ret_size) {
        JsonWriter w;

        json_writer_init_compact(&w);
        json_writer_open_object(&w);
        etcd_json_int_field(&w, "revision", revision);
        json_writer_key(&w, "physical");
        json_writer_bool(&w, true);
        return etcd_body_take(&w, ret, ret_size);
}

/* The compare's operand field, by target (etcdserverpb.Compare's oneof). */
static void etcd_json_compare_operand(JsonWriter *w, const EtcdCompare *cmp) {
        switch (cmp->target) {
        case ETCD_COMPARE_VERSION:
                etcd_json_int_field(w, "version", cmp->number);
                break;
        case ETCD_COMPARE_CREATE:
                etcd_json_int_field(w, "create_revision", cmp->number);
                break;
        case ETCD_COMPARE_MOD:
                etcd_json_int_field(w, "mod_revision", cmp->number);
                break;
        case ETCD_COMPARE_LEASE:
                etcd_json_int_field(w, "lease", cmp->number);
                break;
        case ETCD_COMPARE_VALUE:
                etcd_json_bytes_field(w, "value", cmp->value ?: "", cmp->value_size);
                break;
        default:
                json_writer_fail(w, -EINVAL);
        }
}

static void etcd_json_compare(JsonWriter *w, const EtcdCompare *cmp) {
        const char *result = etcd_compare_result_to_string(cmp->result);
        const char *target = etcd_compare_target_to_string(cmp->target);

        if (!cmp->key || !result || !target) {
                json_writer_fail(w, -EINVAL);
                return;
        }
        json_writer_open_object(w);
        etcd_json_key(w, cmp->key);
        etcd_json_range_end_field(w, cmp->range_end);
        json_writer_key(w, "target");
        json_writer_string(w, target);
        json_writer_key(w, "result");
        json_writer_string(w, result);
        etcd_json_compare_operand(w, cmp);
        json_writer_close_object(w);
}

static void etcd_json_op(JsonWriter *w, const EtcdOp *op) {
        static const char *const names[_ETCD_OP_TYPE_MAX] = {
                [ETCD_OP_PUT] = "request_put",
                [ETCD_OP_DELETE] = "request_delete_range",
                [ETCD_OP_RANGE] = "request_range",
        };

        if ((unsigned) op->type >= _ETCD_OP_TYPE_MAX || !op->key) {
                json_writer_fail(w, -EINVAL);
                return;
        }
        json_writer_open_object(w);
        json_writer_key(w, names[op->type]);
        json_writer_open_object(w);
        if (op->type == ETCD_OP_PUT)
                etcd_json_put(w, op->key, op->value ?: "", op->size, op->lease);
        else {
                etcd_json_key(w, op->key);
                etcd_json_range_end_field(w, op->range_end);
        }
        json_writer_close_object(w);
        json_writer_close_object(w);
}

static void etcd_json_ops(JsonWriter *w, const char *name, const EtcdOp *ops, size_t n) {
        if (n == 0)
                return;
        json_writer_key(w, name);
        json_writer_open_array(w);
        for (size_t i = 0; i < n; i++)
                etcd_json_op(w, &ops[i]);
        json_writer_close_array(w);
}

int etcd_body_txn(const EtcdCompare *compares, size_t n_compares, const EtcdOp *success,
                  size_t n_success, const EtcdOp *failure, size_t n_failure, char **ret,
                  size_t *ret_size) {
        JsonWriter w;

        json_writer_init_compact(&w);
        json_writer_open_object(&w);
        if (n_compares > 0) {
                json_writer_key(&w, "compare");
                json_writer_open_array(&w);
                for (size_t i = 0; i < n_compares; i++)
                        etcd_json_compare(&w, &compares[i]);
                json_writer_close_array(&w);
        }
        etcd_json_ops(&w, "success", success, n_success);
        etcd_json_ops(&w, "failure", failure, n_failure);
        return etcd_body_take(&w, ret, ret_size);
}

int etcd_body_lease(const char *field, int64_t v, char **ret, size_t *ret_size) {
        JsonWriter w;

        json_writer_init_compact(&w);
        json_writer_open_object(&w);
        etcd_json_int_field(&w, field, v);
        return etcd_body_take(&w, ret, ret_size);
}

int etcd_body_auth(const char *user, const char *password, char **ret, size_t *ret_size) {
        JsonWriter w;

        json_writer_init_compact(&w);
        json_writer_open_object(&w);
        json_writer_key(&w, "name");
        json_writer_string(&w, user);
        json_writer_key(&w, "password");
        json_writer_string(&w, password);
        return etcd_body_take(&w, ret, ret_size);
}

int etcd_body_watch(const char *key, const char *range_end, int64_t start_revision, char **ret,
                    size_t *ret_size) {
        JsonWriter w;

        json_writer_init_compact(&w);
        json_writer_open_object(&w);
        json_writer_key(&w, "create_request");
        json_writer_open_object(&w);
        etcd_json_key(&w, key);
        etcd_json_range_end_field(&w, range_end);
        if (start_revision > 0)
                etcd_json_int_field(&w, "start_revision", start_revision);
        json_writer_close_object(&w);
        return etcd_body_take(&w, ret, ret_size);
}
