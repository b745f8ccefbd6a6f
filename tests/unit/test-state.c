/* SPDX-License-Identifier: MIT */
/* The state store: round trip, atomic save, damaged and foreign files. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "reconciler/spec/async-config.h"
#include "reconciler/spec/field.h"
#include "reconciler/core/state.h"

static char *make_dir(void) {
        char *d = strdup("/tmp/asyncfg-test-state-XXXXXX");
        assert_non_null(mkdtemp(d));
        return d;
}

static void remove_dir(char *d) {
        DIR *dir = opendir(d);
        struct dirent *de;
        assert_non_null(dir);
        while ((de = readdir(dir))) {
                char *p;
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                assert_true(asprintf(&p, "%s/%s", d, de->d_name) >= 0);
                assert_int_equal(unlink(p), 0);
                free(p);
        }
        closedir(dir);
        assert_int_equal(rmdir(d), 0);
        free(d);
}

/* The names in d, sorted, joined with ",". */
static char *list_dir(const char *d) {
        struct dirent **names;
        int n = scandir(d, &names, NULL, alphasort);
        char *all = strdup("");
        assert_true(n >= 0);
        for (int i = 0; i < n; i++) {
                if (names[i]->d_name[0] != '.' || (!streq(names[i]->d_name, ".") && !streq(names[i]->d_name, ".."))) {
                        char *s;
                        assert_true(asprintf(&s, "%s%s%s", all, *all ? "," : "", names[i]->d_name) >= 0);
                        free(all);
                        all = s;
                }
                free(names[i]);
        }
        free(names);
        return all;
}

static void write_text(const char *dir, const char *name, const char *text) {
        char *p;
        assert_true(asprintf(&p, "%s/%s", dir, name) >= 0);
        FILE *f = fopen(p, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        free(p);
}

static void config_from(const char *text, AsyncConfig *ret) {
        json_t *j = json_loads(text, 0, NULL);
        assert_non_null(j);
        assert_int_equal(async_config_from_json(j, ret), 0);
        json_decref(j);
}

static void assert_config_equal(const AsyncConfig *a, const AsyncConfig *b) {
        for (AsyncField f = 0; f < _ASYNC_FIELD_MAX; f++) {
                assert_int_equal(async_config_field_present(a, f), async_config_field_present(b, f));
                assert_true(async_field_equal(a, b, f));
        }
}

#define KEY_AWS "aws/aws-prod/orders-worker/$LATEST"
#define KEY_HW "huaweicloud/hw/urn:fss:cn-north-4:p:function:default:f:latest/latest"

static void test_round_trip(void **state) {
        char *dir = make_dir(), *names;
        _cleanup_(state_store_freep) StateStore *s = NULL;
        AsyncConfig aws = {}, hw = {};
        DiagList diags;

        diag_list_init(&diags);
        config_from("{\"maxRetryAttempts\":0,\"maxEventAgeSeconds\":60,"
                    "\"onFailure\":{\"destination\":\"arn:aws:sqs:us-east-1:1:q\"}}",
                    &aws);
        config_from("{\"maxRetryAttempts\":3,\"enableAsyncStatusLog\":false,"
                    "\"onSuccess\":{\"destination\":\"OBS\",\"param\":{\"bucket\":\"b\",\"expires\":0}}}",
                    &hw);

        assert_int_equal(state_store_open(dir, &diags, &s), 0);
        assert_int_equal(state_store_size(s), 0);
        assert_int_equal(state_store_save(s), 0); /* nothing to write */
        assert_int_equal(state_store_put(s, KEY_HW, &hw, 1700000000000001u, true), 0);
        assert_int_equal(state_store_put(s, KEY_AWS, &aws, 1700000000000000u, false), 0);
        assert_int_equal(state_store_save(s), 1);
        assert_int_equal(state_store_save(s), 0);
        /* No temporary file is left behind. */
        names = list_dir(dir);
        assert_string_equal(names, "state.json");
        free(names);
        s = state_store_free(s);

        assert_int_equal(state_store_open(dir, &diags, &s), 0);
        assert_int_equal(diags.n, 0);
        assert_int_equal(state_store_size(s), 2);
        assert_string_equal(state_store_get_nth(s, 0)->key, KEY_AWS); /* sorted */
        const StateRecord *r = state_store_get(s, KEY_AWS);
        assert_non_null(r);
        assert_config_equal(&r->applied, &aws);
        assert_true(r->applied.has_max_retry_attempts); /* 0 survives */
        assert_int_equal(r->applied.max_retry_attempts, 0);
        assert_int_equal(r->applied_usec, 1700000000000000u);
        assert_false(r->created);
        r = state_store_get(s, KEY_HW);
        assert_non_null(r);
        assert_config_equal(&r->applied, &hw);
        assert_true(r->applied.has_async_status_log);
        assert_true(r->created);
        assert_null(state_store_get(s, "aws/other/f/$LATEST"));

        /* A second put replaces the config, keeps "created" from the first. */
        assert_int_equal(state_store_put(s, KEY_HW, &aws, 5, false), 0);
        r = state_store_get(s, KEY_HW);
        assert_true(r->created);
        assert_int_equal(r->applied_usec, 5);
        assert_config_equal(&r->applied, &aws);

        assert_int_equal(state_store_remove(s, KEY_AWS), 1);
        assert_int_equal(state_store_remove(s, KEY_AWS), 0);
        assert_int_equal(state_store_save(s), 1);
        s = state_store_free(s);
        assert_int_equal(state_store_open(dir, &diags, &s), 0);
        assert_int_equal(state_store_size(s), 1);
        assert_null(state_store_get(s, KEY_AWS));

        async_config_done(&aws);
        async_config_done(&hw);
        diag_list_done(&diags);
        remove_dir(dir);
}

/* A crash between creating the temporary file and the rename leaves a stray temporary file:
 * the store still opens the last complete state.json and ignores the stray. */
static void test_crash_leftover(void **state) {
        char *dir = make_dir();
        _cleanup_(state_store_freep) StateStore *s = NULL;
        AsyncConfig c = {};
        DiagList diags;

        diag_list_init(&diags);
        config_from("{\"maxRetryAttempts\":1}", &c);
        assert_int_equal(state_store_open(dir, &diags, &s), 0);
        assert_int_equal(state_store_put(s, "k", &c, 1, true), 0);
        assert_int_equal(state_store_save(s), 1);
        s = state_store_free(s);
        write_text(dir, ".state.json.abc123", "{\"format\":\"asyncfg-st");

        assert_int_equal(state_store_open(dir, &diags, &s), 0);
        assert_int_equal(diags.n, 0);
        assert_non_null(state_store_get(s, "k"));
        /* Saving replaces state.json whole. */
        assert_int_equal(state_store_put(s, "k2", &c, 2, true), 0);
        assert_int_equal(state_store_save(s), 1);
        char *names = list_dir(dir);
        assert_string_equal(names, ".state.json.abc123,state.json");
        free(names);

        async_config_done(&c);
        diag_list_done(&diags);
        remove_dir(dir);
}

typedef struct BadFile {
        const char *text;
        int error;
        const char *message; /* expected substring of the diagnostic */
} BadFile;

static void test_bad_files(void **state) {
        static const BadFile bad[] = {
                { "", -EBADMSG, "damaged state file" },
                { "\x01\x02garbage", -EBADMSG, "damaged state file" },
                /* Truncated in the middle of a record. */
                { "{\"format\":\"asyncfg-state\",\"version\":1,\"resources\":{\"k\":{\"appliedAtUsec\":1,",
                  -EBADMSG, "damaged state file" },
                { "{\"format\":\"asyncfg-state\",\"version\":1,\"resources\":{\"k\":{\"appliedAtUsec\":1,\"created\":true}}}",
                  -EBADMSG, "resource 'k'" },
                { "{\"format\":\"asyncfg-state\",\"version\":1,\"resources\":{\"k\":{\"appliedAtUsec\":1,\"created\":true,\"config\":{\"maxRetryAttempts\":\"x\"}}}}",
                  -EBADMSG, "resource 'k': malformed config" },
                { "{\"format\":\"asyncfg-state\",\"version\":1,\"resources\":[]}", -EBADMSG, "resources" },
                { "{\"format\":\"asyncfg-state\",\"version\":1,\"version\":1,\"resources\":{}}", -EBADMSG,
                  "duplicate" },
                /* Foreign files. */
                { "{\"version\":4,\"resources\":[]}", -EPROTONOSUPPORT, "not an asyncfg state file" },
                { "{\"format\":\"terraform\",\"version\":1,\"resources\":{}}", -EPROTONOSUPPORT,
                  "not an asyncfg state file" },
                { "[1,2]", -EPROTONOSUPPORT, "not an asyncfg state file" },
                { "{\"format\":\"asyncfg-state\",\"version\":2,\"resources\":{}}", -EPROTONOSUPPORT,
                  "unsupported state file version" },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *dir = make_dir(), *msg;
                StateStore *s = NULL;
                DiagList diags;

                print_message("bad file %zu\n", i);
                diag_list_init(&diags);
                write_text(dir, "state.json", bad[i].text);
                assert_int_equal(state_store_open(dir, &diags, &s), bad[i].error);
                assert_null(s);
                assert_true(diags.n_errors >= 1);
                assert_int_equal(diag_format(&diags.items[0], &msg), 0);
                print_message("  %s\n", msg);
                assert_non_null(strstr(msg, "state.json:"));
                assert_non_null(strstr(msg, bad[i].message));
                free(msg);
                diag_list_done(&diags);
                remove_dir(dir);
        }
}

static void test_quarantine(void **state) {
        char *dir = make_dir(), *moved = NULL, *names;
        StateStore *s = NULL;
        DiagList diags;

        diag_list_init(&diags);
        assert_int_equal(state_store_quarantine(dir, &moved), 0);
        assert_null(moved);
        write_text(dir, "state.json", "{broken");
        assert_int_equal(state_store_open(dir, &diags, &s), -EBADMSG);
        assert_int_equal(state_store_quarantine(dir, &moved), 1);
        assert_non_null(strstr(moved, "/state.json.broken-"));
        free(moved);
        names = list_dir(dir);
        assert_true(startswith(names, "state.json.broken-"));
        free(names);
        assert_int_equal(state_store_open(dir, &diags, &s), 0);
        assert_int_equal(state_store_size(s), 0);
        state_store_free(s);
        diag_list_done(&diags);
        remove_dir(dir);
}

static void test_open_errors(void **state) {
        StateStore *s = NULL;
        DiagList diags;

        diag_list_init(&diags);
        assert_int_equal(state_store_open("/nonexistent/asyncfg-state", &diags, &s), -ENOENT);
        assert_int_equal(state_store_open("/etc/hostname", &diags, &s), -ENOTDIR);
        assert_null(s);
        diag_list_done(&diags);
}

/* The optional "resource" and "orphanedAtUsec" of a record: a round trip, a version-1 file
 * without them (it loads, empty info), and malformed ones (damaged). */
static void test_info_and_orphans(void **state) {
        char *d = make_dir();
        StateStore *s = NULL;
        const StateRecord *r;
        AsyncConfig c = { .has_max_retry_attempts = true, .max_retry_attempts = 1 };
        StateResourceInfo info = { .name = "orders", .provider = "aws", .account = "aws-prod",
                                   .function = "orders", .qualifier = "$LATEST", .file = "/d/o.yaml" };
        DiagList diags;

        assert_int_equal(state_store_open(d, NULL, &s), 0);
        assert_int_equal(state_store_set_info(s, "aws/aws-prod/orders/$LATEST", &info), -ENOENT);
        assert_int_equal(state_store_put(s, "aws/aws-prod/orders/$LATEST", &c, 1, true), 0);
        assert_int_equal(state_store_set_info(s, "aws/aws-prod/orders/$LATEST", &info), 1);
        assert_int_equal(state_store_set_info(s, "aws/aws-prod/orders/$LATEST", &info), 0);
        assert_int_equal(state_store_set_orphaned(s, "aws/aws-prod/orders/$LATEST", 77), 1);
        assert_int_equal(state_store_set_orphaned(s, "aws/aws-prod/orders/$LATEST", 77), 0);
        /* a put keeps both */
        assert_int_equal(state_store_put(s, "aws/aws-prod/orders/$LATEST", &c, 2, false), 0);
        assert_int_equal(state_store_save(s), 1);
        s = state_store_free(s);

        assert_int_equal(state_store_open(d, NULL, &s), 0);
        r = state_store_get(s, "aws/aws-prod/orders/$LATEST");
        assert_non_null(r);
        assert_string_equal(r->info.name, "orders");
        assert_string_equal(r->info.account, "aws-prod");
        assert_string_equal(r->info.qualifier, "$LATEST");
        assert_string_equal(r->info.file, "/d/o.yaml");
        assert_int_equal(r->orphaned_usec, 77);
        assert_true(r->created);
        s = state_store_free(s);

        /* Version 1 as the first daemon wrote it. */
        write_text(d, "state.json",
                   "{\"format\": \"asyncfg-state\", \"version\": 1, \"resources\": {\"fc3/-/f/LATEST\": "
                   "{\"appliedAtUsec\": 5, \"created\": false, \"config\": {}}}}");
        assert_int_equal(state_store_open(d, NULL, &s), 0);
        r = state_store_get(s, "fc3/-/f/LATEST");
        assert_non_null(r);
        assert_null(r->info.name);
        assert_int_equal(r->orphaned_usec, 0);
        s = state_store_free(s);

        diag_list_init(&diags);
        write_text(d, "state.json",
                   "{\"format\": \"asyncfg-state\", \"version\": 1, \"resources\": {\"k\": "
                   "{\"appliedAtUsec\": 5, \"created\": false, \"config\": {}, \"resource\": {\"name\": 1}}}}");
        assert_int_equal(state_store_open(d, &diags, &s), -EBADMSG);
        write_text(d, "state.json",
                   "{\"format\": \"asyncfg-state\", \"version\": 1, \"resources\": {\"k\": "
                   "{\"appliedAtUsec\": 5, \"created\": false, \"config\": {}, \"orphanedAtUsec\": -1}}}");
        assert_int_equal(state_store_open(d, &diags, &s), -EBADMSG);
        assert_true(diags.n >= 2);
        diag_list_done(&diags);
        remove_dir(d);
}

/* Where a config was applied: kept through a save, compared member by member; a record
 * written before locations loads with an unknown one, and a malformed one is refused. */
static void test_location(void **state) {
        char *d = make_dir();
        StateStore *s = NULL;
        const StateRecord *r;
        AsyncConfig c = { .has_max_retry_attempts = true, .max_retry_attempts = 1 };
        StateLocation east = { .account = "aws-prod", .api = "lambda", .region = "us-east-1",
                               .endpoint = "http://127.0.0.1:1" },
                      west = east, hw = { .account = "hw", .api = "functiongraph",
                                          .region = "cn-north-4", .project_id = "p1",
                                          .account_id = "a1" };
        DiagList diags;

        west.region = "eu-west-1";
        assert_true(state_location_is_known(&east));
        assert_false(state_location_is_known(&(StateLocation){}));
        assert_true(state_location_equal(&east, &east));
        assert_false(state_location_equal(&east, &west));
        assert_false(state_location_equal(&east, &(StateLocation){ .account = "aws-prod",
                                                                  .api = "lambda",
                                                                  .region = "us-east-1" }));

        assert_int_equal(state_store_open(d, NULL, &s), 0);
        assert_int_equal(state_store_set_location(s, "aws/aws-prod/orders/$LATEST", &east), -ENOENT);
        assert_int_equal(state_store_put(s, "aws/aws-prod/orders/$LATEST", &c, 1, true), 0);
        assert_false(state_location_is_known(&state_store_get(s, "aws/aws-prod/orders/$LATEST")->location));
        assert_int_equal(state_store_set_location(s, "aws/aws-prod/orders/$LATEST", &west), 1);
        assert_int_equal(state_store_set_location(s, "aws/aws-prod/orders/$LATEST", &east), 1);
        assert_int_equal(state_store_set_location(s, "aws/aws-prod/orders/$LATEST", &east), 0);
        assert_int_equal(state_store_put(s, "huaweicloud/hw/urn/latest", &c, 2, false), 0);
        assert_int_equal(state_store_set_location(s, "huaweicloud/hw/urn/latest", &hw), 1);
        assert_int_equal(state_store_put(s, "aws/aws-prod/old/$LATEST", &c, 3, false), 0);
        /* a put keeps it */
        assert_int_equal(state_store_put(s, "aws/aws-prod/orders/$LATEST", &c, 4, false), 0);
        assert_int_equal(state_store_save(s), 1);
        s = state_store_free(s);

        assert_int_equal(state_store_open(d, NULL, &s), 0);
        r = state_store_get(s, "aws/aws-prod/orders/$LATEST");
        assert_non_null(r);
        assert_true(state_location_equal(&r->location, &east));
        assert_string_equal(r->location.endpoint, "http://127.0.0.1:1");
        assert_null(r->location.account_id);
        r = state_store_get(s, "huaweicloud/hw/urn/latest");
        assert_true(state_location_equal(&r->location, &hw));
        r = state_store_get(s, "aws/aws-prod/old/$LATEST");
        assert_false(state_location_is_known(&r->location));
        s = state_store_free(s);

        /* Version 1 as the daemon wrote it before locations: unknown, not an error. */
        write_text(d, "state.json",
                   "{\"format\": \"asyncfg-state\", \"version\": 1, \"resources\": {\"aws/a/f/$LATEST\": "
                   "{\"appliedAtUsec\": 5, \"created\": true, \"config\": {}, "
                   "\"resource\": {\"name\": \"f\"}}}}");
        assert_int_equal(state_store_open(d, NULL, &s), 0);
        r = state_store_get(s, "aws/a/f/$LATEST");
        assert_non_null(r);
        assert_string_equal(r->info.name, "f");
        assert_false(state_location_is_known(&r->location));
        assert_null(r->location.region);
        s = state_store_free(s);

        diag_list_init(&diags);
        write_text(d, "state.json",
                   "{\"format\": \"asyncfg-state\", \"version\": 1, \"resources\": {\"k\": "
                   "{\"appliedAtUsec\": 5, \"created\": false, \"config\": {}, \"location\": {\"region\": 1}}}}");
        assert_int_equal(state_store_open(d, &diags, &s), -EBADMSG);
        write_text(d, "state.json",
                   "{\"format\": \"asyncfg-state\", \"version\": 1, \"resources\": {\"k\": "
                   "{\"appliedAtUsec\": 5, \"created\": false, \"config\": {}, \"location\": \"x\"}}}");
        assert_int_equal(state_store_open(d, &diags, &s), -EBADMSG);
        assert_true(diags.n >= 2);
        diag_list_done(&diags);
        remove_dir(d);
        (void) state;
}

static void test_info_from_key(void **state) {
        StateResourceInfo i = {};

        assert_int_equal(state_record_info_from_key("alicloud/ali-prod/svc/fn/LATEST", &i), 0);
        assert_string_equal(i.provider, "alicloud");
        assert_string_equal(i.account, "ali-prod");
        assert_string_equal(i.function, "svc/fn");
        assert_string_equal(i.qualifier, "LATEST");
        assert_null(i.name);
        state_resource_info_done(&i);
        assert_int_equal(state_record_info_from_key("aws/-/orders/$LATEST", &i), 0);
        assert_null(i.account);
        assert_string_equal(i.function, "orders");
        state_resource_info_done(&i);
        assert_int_equal(state_record_info_from_key("aws/-/orders", &i), -EINVAL);
        assert_int_equal(state_record_info_from_key("aws//orders/q", &i), -EINVAL);
        assert_int_equal(state_record_info_from_key("aws/-/orders/", &i), -EINVAL);
        assert_int_equal(state_record_info_from_key("garbage", &i), -EINVAL);
}

/* Sets o[key] to the object of names[n]: values[n] for the values that are not NULL; nothing
 * when all are. */
static void set_strings(json_t *o, const char *key, const char *const *names,
                        const char *const *values, size_t n) {
        json_t *res = NULL;

        for (size_t i = 0; i < n; i++) {
                if (!values[i])
                        continue;
                if (!res) {
                        res = json_object();
                        assert_int_equal(json_object_set_new(o, key, res), 0);
                }
                assert_int_equal(json_object_set_new(res, names[i], json_string(values[i])), 0);
        }
}

/* The tree the store was once saved as (json_dumps(JSON_INDENT(1) | JSON_SORT_KEYS) of the
 * whole document), built here from the public getters: the streamed save must give exactly
 * these bytes. */
static char *state_as_one_tree(StateStore *s) {
        static const char *const names[] = { "name", "provider", "account", "function", "qualifier", "file" };
        static const char *const location_names[] = { "account", "api", "region", "accountId",
                                                      "projectId", "endpoint" };
        json_t *resources = json_object(), *root;
        char *text;

        for (size_t i = 0; i < state_store_size(s); i++) {
                const StateRecord *r = state_store_get_nth(s, i);
                const char *info[] = { r->info.name,     r->info.provider,  r->info.account,
                                       r->info.function, r->info.qualifier, r->info.file };
                const char *location[] = { r->location.account,    r->location.api,
                                           r->location.region,     r->location.account_id,
                                           r->location.project_id, r->location.endpoint };
                json_t *config, *o;
                assert_int_equal(async_config_to_json(&r->applied, &config), 0);
                o = json_pack("{s:I, s:b, s:o}", "appliedAtUsec", (json_int_t) r->applied_usec,
                              "created", r->created, "config", config);
                assert_non_null(o);
                set_strings(o, "resource", names, info, ELEMENTSOF(names));
                set_strings(o, "location", location_names, location, ELEMENTSOF(location_names));
                if (r->orphaned_usec > 0)
                        assert_int_equal(json_object_set_new(o, "orphanedAtUsec",
                                                             json_integer((json_int_t) r->orphaned_usec)), 0);
                assert_int_equal(json_object_set_new(resources, r->key, o), 0);
        }
        root = json_pack("{s:s, s:i, s:o}", "format", STATE_FORMAT, "version", STATE_VERSION,
                         "resources", resources);
        assert_non_null(root);
        text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
        assert_non_null(text);
        json_decref(root);
        return text;
}

static char *read_state(const char *dir) {
        char *p, *data = NULL;
        size_t size = 0;
        FILE *f, *m = open_memstream(&data, &size);
        int c;
        assert_true(asprintf(&p, "%s/state.json", dir) >= 0);
        f = fopen(p, "re");
        assert_non_null(f);
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(f);
        fclose(m);
        free(p);
        return data;
}

static void assert_saved_as_one_tree(StateStore *s, const char *dir) {
        char *want = state_as_one_tree(s), *got;
        assert_int_equal(state_store_save(s), 1);
        got = read_state(dir);
        assert_string_equal(got, want);
        assert_int_equal(strlen(got), strlen(want));
        free(got);
        free(want);
}

/* The record-by-record save writes the bytes of the one-tree dump: empty, one record, many
 * records in random order, keys that need escaping or are not ASCII, info and orphans. */
static void test_save_bytes(void **state) {
        char *dir = make_dir();
        _cleanup_(state_store_freep) StateStore *s = NULL;
        AsyncConfig a = {}, b = {};
        DiagList diags;
        char key[64];

        diag_list_init(&diags);
        config_from("{\"maxRetryAttempts\":0,\"maxEventAgeSeconds\":60,"
                    "\"onFailure\":{\"destination\":\"arn:aws:sqs:us-east-1:1:q\"}}", &a);
        config_from("{\"maxRetryAttempts\":3,\"enableAsyncStatusLog\":false,"
                    "\"onSuccess\":{\"destination\":\"OBS\",\"param\":{\"bucket\":\"b\",\"expires\":0}}}", &b);
        assert_int_equal(state_store_open(dir, &diags, &s), 0);

        assert_int_equal(state_store_put(s, KEY_AWS, &a, 1, true), 0); /* marks it dirty */
        assert_int_equal(state_store_remove(s, KEY_AWS), 1);
        assert_saved_as_one_tree(s, dir);                             /* empty */

        assert_int_equal(state_store_put(s, KEY_HW, &b, 1700000000000001, false), 0);
        assert_saved_as_one_tree(s, dir);                             /* one */

        for (unsigned i = 0; i < 200; i++) {
                snprintf(key, sizeof key, "aws/acct/fn-%u/$LATEST", (i * 7919u) % 1000u);
                assert_int_equal(state_store_put(s, key, i % 2 ? &a : &b, 1700000000000000 + i, i % 3 == 0), 0);
        }
        assert_int_equal(state_store_put(s, "a/\"quoted\"\\back\tslash/\x01", &a, 5, true), 0);
        assert_int_equal(state_store_put(s, "huaweicloud/hw/f\xc3\xa9/latest", &b, 6, false), 0);
        assert_int_equal(state_store_put(s, "z/with/slash/", &b, 7, false), 0);
        assert_int_equal(state_store_set_info(s, KEY_HW, &(StateResourceInfo){
                                .name = (char *) "orders", .provider = (char *) "huaweicloud",
                                .function = (char *) "f\"n\n", .file = (char *) "/etc/asyncfg/d.yaml" }), 1);
        assert_int_equal(state_store_set_info(s, "z/with/slash/", &(StateResourceInfo){
                                .name = (char *) "n", .provider = (char *) "p", .account = (char *) "a",
                                .function = (char *) "f", .qualifier = (char *) "q", .file = (char *) "d" }), 1);
        assert_int_equal(state_store_set_orphaned(s, KEY_HW, 1700000000000123), 1);
        assert_int_equal(state_store_set_orphaned(s, "z/with/slash/", 42), 1);
        assert_int_equal(state_store_set_location(s, KEY_HW, &(StateLocation){
                                .account = (char *) "hw", .api = (char *) "functiongraph",
                                .region = (char *) "cn-north-4", .project_id = (char *) "p\"1",
                                .account_id = (char *) "a", .endpoint = (char *) "https://h" }), 1);
        assert_int_equal(state_store_set_location(s, "z/with/slash/", &(StateLocation){
                                .account = (char *) "a", .api = (char *) "lambda",
                                .region = (char *) "us-east-1" }), 1);
        assert_saved_as_one_tree(s, dir);                             /* many */

        async_config_done(&a);
        async_config_done(&b);
        remove_dir(dir);
        (void) state;
}

/* Records go in in any order (an apply puts them as the cloud answers) and come out of
 * state_store_get_nth() in key order, also after removals and puts between two reads. */
static void test_order(void **state) {
        char *dir = make_dir();
        _cleanup_(state_store_freep) StateStore *s = NULL;
        AsyncConfig a = {};
        DiagList diags;
        char key[64];

        diag_list_init(&diags);
        config_from("{\"maxRetryAttempts\":1}", &a);
        assert_int_equal(state_store_open(dir, &diags, &s), 0);
        for (unsigned i = 0; i < 500; i++) {
                snprintf(key, sizeof key, "aws/acct/fn-%03u/$LATEST", (i * 7919u) % 500u);
                assert_int_equal(state_store_put(s, key, &a, i, true), 0);
        }
        assert_int_equal(state_store_size(s), 500);
        for (size_t i = 0; i < 500; i++) {
                snprintf(key, sizeof key, "aws/acct/fn-%03zu/$LATEST", i);
                assert_string_equal(state_store_get_nth(s, i)->key, key);
                assert_ptr_equal(state_store_get(s, key), state_store_get_nth(s, i));
        }
        /* Removing every other record, then adding one that sorts first. */
        for (unsigned i = 0; i < 500; i += 2) {
                snprintf(key, sizeof key, "aws/acct/fn-%03u/$LATEST", i);
                assert_int_equal(state_store_remove(s, key), 1);
                assert_null(state_store_get(s, key));
        }
        assert_int_equal(state_store_put(s, "a/first/f/q", &a, 1, false), 0);
        assert_int_equal(state_store_size(s), 251);
        assert_string_equal(state_store_get_nth(s, 0)->key, "a/first/f/q");
        for (size_t i = 1; i < 251; i++) {
                snprintf(key, sizeof key, "aws/acct/fn-%03zu/$LATEST", 2 * i - 1);
                assert_string_equal(state_store_get_nth(s, i)->key, key);
        }
        assert_null(state_store_get_nth(s, 251));

        async_config_done(&a);
        remove_dir(dir);
        (void) state;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip), cmocka_unit_test(test_crash_leftover),
                cmocka_unit_test(test_bad_files),  cmocka_unit_test(test_quarantine),
                cmocka_unit_test(test_open_errors), cmocka_unit_test(test_save_bytes),
                cmocka_unit_test(test_order),
                cmocka_unit_test(test_info_and_orphans), cmocka_unit_test(test_info_from_key),
                cmocka_unit_test(test_location),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
