/* SPDX-License-Identifier: MIT */
/* Every cloud response parser: the first byte selects the parser, the rest is the body.
 * Also checks that a parsed config survives serialisation and parses back equal. A list body
 * also goes through the cloud's version and alias list parsers. */
#include <stdint.h>
#include <stdlib.h>

#include "clouds/cloud.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The parsers are reached through the tables, as the clients reach them. */
static const CloudOps *const parsers[] = {
        &cloud_ops_aws,
        &cloud_ops_fc3,
        &cloud_ops_fc2,
        &cloud_ops_huaweicloud,
};

static bool config_equal(const AsyncConfig *a, const AsyncConfig *b) {
        return a->has_max_retry_attempts == b->has_max_retry_attempts &&
               (!a->has_max_retry_attempts || a->max_retry_attempts == b->max_retry_attempts) &&
               a->has_max_event_age == b->has_max_event_age &&
               (!a->has_max_event_age || a->max_event_age_seconds == b->max_event_age_seconds) &&
               destination_equal(&a->on_success, &b->on_success) &&
               destination_equal(&a->on_failure, &b->on_failure);
}

static void fuzz_config(unsigned i, const char *body, size_t size) {
        AsyncConfig c = {}, back = {};
        char *out = NULL;
        size_t n;

        if (parsers[i]->parse_config(body, size, &c) < 0)
                return;
        /* what we read, we can write, and it reads back the same */
        if (parsers[i]->serialize_config(&c, &out, &n) >= 0) {
                if (parsers[i]->parse_config(out, n, &back) < 0 || !config_equal(&c, &back))
                        abort();
                async_config_done(&back);
                free(out);
        }
        async_config_done(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        unsigned sel, i;

        if (size < 1 || size > 65536)
                return 0;
        sel = data[0] % (3 * ELEMENTSOF(parsers));
        i = sel / 3;
        const char *body = (const char *) data + 1;
        size--;

        switch (sel % 3) {
        case 0:
                fuzz_config(i, body, size);
                break;
        case 1: {
                CloudConfigList l = {};
                if (parsers[i]->parse_list(body, size, &l) >= 0)
                        cloud_config_list_done(&l);
                /* The version and alias lists read the same kind of body. */
                for (CloudOp op = CLOUD_OP_LIST_VERSIONS; op <= CLOUD_OP_LIST_ALIASES; op++)
                        if (parsers[i]->parse_qualifiers(op, body, size, &l) >= 0)
                                cloud_config_list_done(&l);
                break;
        }
        default: {
                CloudError e = {};
                (void) parsers[i]->parse_error(body, size, &e);
                if (e.message) /* the sanitiser must cope with whatever came */
                        (void) cloud_error_set_message(&e, e.message,
                                                       (const char *const[]){ "a", NULL });
                cloud_error_done(&e);
                break;
        }
        }
        return 0;
}
