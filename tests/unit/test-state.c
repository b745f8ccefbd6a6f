/* SPDX-License-Identifier: MIT */
/* The state store: round trip, rows written per key, two writers on one directory, the import
 * of state.json, damaged and foreign files. */
#include <dirent.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

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
                if (names[i]->d_name[0] != '.' ||
                    (!streq(names[i]->d_name, ".") && !streq(names[i]->d_name, ".."))) {
                        char *s;
                        assert_true(asprintf(&s, "%s%s%s", all, *all ? "," : "",
                                             names[i]->d_name) >= 0);
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
                assert_int_equal(async_config_field_present(a, f),
                                 async_config_field_present(b, f));
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
        config_from(
                "{\"maxRetryAttempts\":3,\"enableAsyncStatusLog\":false,"
                "\"onSuccess\":{\"destination\":\"OBS\",\"param\":{\"bucket\":\"b\",\"expires\":0}}}",
                &hw);

        assert_int_equal(state_store_open(dir, &diags, &s), 0);
        assert_int_equal(state_store_size(s), 0);
        assert_int_equal(state_store_save(s), 0); /* nothing to write */
        assert_int_equal(state_store_put(s, KEY_HW, &hw, 1700000000000001u, true), 0);
        assert_int_equal(state_store_put(s, KEY_AWS, &aws, 1700000000000000u, false), 0);
        assert_int_equal(state_store_save(s), 1);
        assert_int_equal(state_store_save(s), 0);
        /* One database (and its WAL while open), nothing else. */
        names = list_dir(dir);
        assert_string_equal(names, "state.db,state.db-shm,state.db-wal");
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

static void sql(const char *dir, const char *statement) {
        char *p;
        sqlite3 *db;
        assert_true(asprintf(&p, "%s/state.db", dir) >= 0);
        assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, statement, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        free(p);
}

/* Two stores on one directory (the CLI and the daemon): each writes only the rows it changed,
 * so neither undoes the other's records, whatever the order of their saves. */
static void test_two_writers(void **state) {
        char *dir = make_dir();
        _cleanup_(state_store_freep) StateStore *a = NULL, *b = NULL;
        AsyncConfig c = { .has_max_retry_attempts = true, .max_retry_attempts = 1 };

        assert_int_equal(state_store_open(dir, NULL, &a), 0);
        assert_int_equal(state_store_put(a, "k1", &c, 1, true), 0);
        assert_int_equal(state_store_save(a), 1);
        assert_int_equal(state_store_open(dir, NULL, &b), 0);
        assert_non_null(state_store_get(b, "k1"));
        assert_int_equal(state_store_put(a, "k2", &c, 2, true), 0);
        assert_int_equal(state_store_put(b, "k3", &c, 3, true), 0);
        assert_int_equal(state_store_remove(b, "k1"), 1);
        assert_int_equal(state_store_pending(b), 2);
        assert_int_equal(state_store_save(a), 1);
        assert_int_equal(state_store_save(b), 1); /* b never saw k2: it stays */
        assert_int_equal(state_store_pending(b), 0);
        assert_int_equal(state_store_put(a, "k4", &c, 4, true), 0);
        assert_int_equal(state_store_save(a), 1); /* a still holds k1: not written again */
        a = state_store_free(a);
        b = state_store_free(b);

        assert_int_equal(state_store_open(dir, NULL, &a), 0);
        assert_int_equal(state_store_size(a), 3);
        assert_null(state_store_get(a, "k1"));
        assert_non_null(state_store_get(a, "k2"));
        assert_non_null(state_store_get(a, "k3"));
        assert_non_null(state_store_get(a, "k4"));
        a = state_store_free(a);
        remove_dir(dir);
        (void) state;
}

/* Another process holding the write lock: the save fails with -EBUSY after the busy timeout,
 * keeps its changes pending, and succeeds once the lock is released. */
static void test_busy(void **state) {
        char *dir = make_dir(), *p;
        _cleanup_(state_store_freep) StateStore *s = NULL;
        AsyncConfig c = {};
        sqlite3 *other;

        assert_int_equal(state_store_open(dir, NULL, &s), 0);
        state_store_set_busy_timeout(s, 10);
        assert_true(asprintf(&p, "%s/state.db", dir) >= 0);
        assert_int_equal(sqlite3_open(p, &other), SQLITE_OK);
        assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(state_store_put(s, "k", &c, 1, true), 0);
        assert_int_equal(state_store_save(s), -EBUSY);
        assert_int_equal(state_store_pending(s), 1);
        assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(other);
        assert_int_equal(state_store_save(s), 1);
        s = state_store_free(s);
        assert_int_equal(state_store_open(dir, NULL, &s), 0);
        assert_non_null(state_store_get(s, "k"));
        free(p);
        remove_dir(dir);
        (void) state;
}

/* An existing state.json is imported once into the empty database and kept renamed; a
 * state.json next to a database that holds records (a crash between the import's commit and
 * the rename) is only renamed. */
static void test_migration(void **state) {
        char *dir = make_dir(), *names;
        _cleanup_(state_store_freep) StateStore *s = NULL;

        write_text(dir, "state.json",
                   "{\"format\": \"asyncfg-state\", \"version\": 1, \"resources\": {"
                   "\"aws/a/f/$LATEST\": {\"appliedAtUsec\": 5, \"created\": true, "
                   "\"config\": {\"maxRetryAttempts\": 0}, \"orphanedAtUsec\": 9, "
                   "\"resource\": {\"name\": \"f\"}, \"location\": {\"account\": \"a\", "
                   "\"api\": \"lambda\", \"region\": \"us-east-1\"}}}}");
        assert_int_equal(state_store_open(dir, NULL, &s), 0);
        assert_int_equal(state_store_size(s), 1);
        assert_int_equal(state_store_pending(s), 0); /* written already */
        s = state_store_free(s);
        names = list_dir(dir);
        assert_string_equal(names, "state.db,state.json.migrated");
        free(names);

        assert_int_equal(state_store_open(dir, NULL, &s), 0);
        const StateRecord *r = state_store_get(s, "aws/a/f/$LATEST");
        assert_non_null(r);
        assert_int_equal(r->applied_usec, 5);
        assert_true(r->created);
        assert_int_equal(r->orphaned_usec, 9);
        assert_string_equal(r->info.name, "f");
        assert_string_equal(r->location.region, "us-east-1");
        assert_true(r->applied.has_max_retry_attempts);
        /* r is the store's: put its config under another key before it is removed. */
        assert_int_equal(state_store_put(s, "other", &r->applied, 1, true), 0);
        assert_int_equal(state_store_remove(s, "aws/a/f/$LATEST"), 1);
        assert_int_equal(state_store_save(s), 1);
        s = state_store_free(s);

        /* Left over by a crash after the import: not imported again (the removed record stays
         * removed). */
        write_text(
                dir, "state.json",
                "{\"format\": \"asyncfg-state\", \"version\": 1, \"resources\": {"
                "\"aws/a/f/$LATEST\": {\"appliedAtUsec\": 5, \"created\": true, \"config\": {}}}}");
        assert_int_equal(state_store_open(dir, NULL, &s), 0);
        assert_int_equal(state_store_size(s), 1);
        assert_null(state_store_get(s, "aws/a/f/$LATEST"));
        s = state_store_free(s);
        assert_int_equal(access(dir, F_OK), 0);
        names = list_dir(dir);
        assert_string_equal(names, "state.db,state.json.migrated");
        free(names);
        remove_dir(dir);
        (void) state;
}

static char *read_file_named(const char *dir, const char *name, size_t *ret_size) {
        char *p, *data = NULL;
        size_t size = 0;
        FILE *f, *m = open_memstream(&data, &size);
        int c;
        assert_true(asprintf(&p, "%s/%s", dir, name) >= 0);
        f = fopen(p, "re");
        assert_non_null(f);
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(f);
        fclose(m);
        free(p);
        *ret_size = size;
        return data;
}

/* Opening dir fails with error, and the first diagnostic names file and says message. */
static void assert_open_fails(const char *dir, int error, const char *file, const char *message) {
        StateStore *s = NULL;
        DiagList diags;
        char *msg;

        diag_list_init(&diags);
        assert_int_equal(state_store_open(dir, &diags, &s), error);
        assert_null(s);
        assert_true(diags.n_errors >= 1);
        assert_int_equal(diag_format(&diags.items[0], &msg), 0);
        print_message("  %s\n", msg);
        assert_non_null(strstr(msg, file));
        assert_non_null(strstr(msg, message));
        free(msg);
        diag_list_done(&diags);
}

typedef struct BadDatabase {
        const char *sql;  /* run on a new state.db, or NULL */
        const char *text; /* else its bytes */
        int error;
        const char *message;
} BadDatabase;

/* A database that is damaged, not ours, or of a newer schema: reported (state.db:), not
 * trusted, not written to (its bytes unchanged), and moved aside by the quarantine. */
static void test_bad_databases(void **state) {
        static const BadDatabase bad[] = {
                { NULL, "SQLite format 3\0garbage garbage garbage garbage garbage garbage",
                  -EBADMSG, "damaged state database" },
                { NULL,
                  "not a database at all, just text that is long enough to have a header......"
                  "..........................................................................",
                  -EBADMSG, "damaged state database" },
                { "CREATE TABLE t(x)", NULL, -EPROTONOSUPPORT, "not an asyncfg state database" },
                { "PRAGMA application_id=42", NULL, -EPROTONOSUPPORT,
                  "not an asyncfg state database" },
                { "PRAGMA application_id=1633904231; PRAGMA user_version=2", NULL, -EPROTONOSUPPORT,
                  "unsupported state database version 2" },
                { "PRAGMA application_id=1633904231; PRAGMA user_version=1; CREATE TABLE resources "
                  "(key TEXT PRIMARY KEY, record TEXT); INSERT INTO resources VALUES ('k', '{x')",
                  NULL, -EBADMSG, "resource 'k': damaged record" },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *dir = make_dir(), *before, *after, *moved = NULL;
                size_t n_before, n_after;
                StateStore *s = NULL;

                print_message("bad database %zu\n", i);
                if (bad[i].sql)
                        sql(dir, bad[i].sql);
                else
                        write_text(dir, "state.db", bad[i].text);
                before = read_file_named(dir, "state.db", &n_before);
                assert_open_fails(dir, bad[i].error, "/state.db:", bad[i].message);
                after = read_file_named(dir, "state.db", &n_after);
                assert_int_equal(n_after, n_before);
                assert_memory_equal(after, before, n_before);
                {
                        assert_int_equal(state_store_quarantine(dir, &moved), 1);
                        assert_non_null(strstr(moved, "/state.db.broken-"));
                        assert_int_equal(state_store_open(dir, NULL, &s), 0);
                        assert_int_equal(state_store_size(s), 0);
                        s = state_store_free(s);
                }
                free(moved);
                free(before);
                free(after);
                remove_dir(dir);
        }
        (void) state;
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
                { "{\"format\":\"asyncfg-state\",\"version\":1,\"resources\":[]}", -EBADMSG,
                  "resources" },
                { "{\"format\":\"asyncfg-state\",\"version\":1,\"version\":1,\"resources\":{}}",
                  -EBADMSG, "duplicate" },
                /* Foreign files. */
                { "{\"version\":4,\"resources\":[]}", -EPROTONOSUPPORT,
                  "not an asyncfg state file" },
                { "{\"format\":\"terraform\",\"version\":1,\"resources\":{}}", -EPROTONOSUPPORT,
                  "not an asyncfg state file" },
                { "[1,2]", -EPROTONOSUPPORT, "not an asyncfg state file" },
                { "{\"format\":\"asyncfg-state\",\"version\":2,\"resources\":{}}", -EPROTONOSUPPORT,
                  "unsupported state file version" },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *dir = make_dir();

                print_message("bad file %zu\n", i);
                write_text(dir, "state.json", bad[i].text);
                assert_open_fails(dir, bad[i].error, "state.json:", bad[i].message);
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
        assert_true(startswith(names, "state.db,state.db-shm,state.db-wal,state.json.broken-") ||
                    startswith(names, "state.db,state.json.broken-"));
        free(names);
        assert_int_equal(state_store_open(dir, &diags, &s), 0);
        assert_int_equal(state_store_size(s), 0);
        state_store_free(s);
        diag_list_done(&diags);
        remove_dir(dir);
}

/* state.db and its -wal and -shm are 0600 whatever the umask (issue 15, suite 6): SQLite alone
 * creates them 0644, and the records say which functions exist in which accounts. */
static void test_private_files(void **state) {
        static const char *const names[] = { "state.db", "state.db-wal", "state.db-shm" };
        char *dir = make_dir();
        _cleanup_(state_store_freep) StateStore *s = NULL;
        AsyncConfig c = {};
        mode_t old = umask(022);

        config_from("{\"maxRetryAttempts\":1}", &c);
        assert_int_equal(state_store_open(dir, NULL, &s), 0);
        assert_int_equal(state_store_put(s, KEY_AWS, &c, 1700000000000000u, false), 0);
        assert_int_equal(state_store_save(s), 1);
        umask(old);
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                char *p;
                struct stat st;
                assert_true(asprintf(&p, "%s/%s", dir, names[i]) >= 0);
                assert_int_equal(stat(p, &st), 0);
                assert_int_equal(st.st_mode & 07777, 0600);
                free(p);
        }
        s = state_store_free(s);
        async_config_done(&c);
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
        StateResourceInfo info = { .name = "orders",
                                   .provider = "aws",
                                   .account = "aws-prod",
                                   .function = "orders",
                                   .qualifier = "$LATEST",
                                   .file = "/d/o.yaml" };
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

        /* Version 1 as the first daemon wrote it, imported into an empty store. */
        remove_dir(d);
        d = make_dir();
        write_text(
                d, "state.json",
                "{\"format\": \"asyncfg-state\", \"version\": 1, \"resources\": {\"fc3/-/f/LATEST\": "
                "{\"appliedAtUsec\": 5, \"created\": false, \"config\": {}}}}");
        assert_int_equal(state_store_open(d, NULL, &s), 0);
        r = state_store_get(s, "fc3/-/f/LATEST");
        assert_non_null(r);
        assert_null(r->info.name);
        assert_int_equal(r->orphaned_usec, 0);
        s = state_store_free(s);

        diag_list_init(&diags);
        remove_dir(d);
        d = make_dir();
        write_text(
                d, "state.json",
                "{\"format\": \"asyncfg-state\", \"version\": 1, \"resources\": {\"k\": "
                "{\"appliedAtUsec\": 5, \"created\": false, \"config\": {}, \"resource\": {\"name\": 1}}}}");
        assert_int_equal(state_store_open(d, &diags, &s), -EBADMSG);
        write_text(
                d, "state.json",
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
        StateLocation east = { .account = "aws-prod",
                               .api = "lambda",
                               .region = "us-east-1",
                               .endpoint = "http://127.0.0.1:1" },
                      west = east,
                      hw = { .account = "hw",
                             .api = "functiongraph",
                             .region = "cn-north-4",
                             .project_id = "p1",
                             .account_id = "a1" };
        DiagList diags;

        west.region = "eu-west-1";
        assert_true(state_location_is_known(&east));
        assert_false(state_location_is_known(&(StateLocation){}));
        assert_true(state_location_equal(&east, &east));
        assert_false(state_location_equal(&east, &west));
        assert_false(state_location_equal(
                &east,
                &(StateLocation){ .account = "aws-prod", .api = "lambda", .region = "us-east-1" }));

        assert_int_equal(state_store_open(d, NULL, &s), 0);
        assert_int_equal(state_store_set_location(s, "aws/aws-prod/orders/$LATEST", &east),
                         -ENOENT);
        assert_int_equal(state_store_put(s, "aws/aws-prod/orders/$LATEST", &c, 1, true), 0);
        assert_false(state_location_is_known(
                &state_store_get(s, "aws/aws-prod/orders/$LATEST")->location));
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
        remove_dir(d);
        d = make_dir();
        write_text(
                d, "state.json",
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
        remove_dir(d);
        d = make_dir();
        write_text(
                d, "state.json",
                "{\"format\": \"asyncfg-state\", \"version\": 1, \"resources\": {\"k\": "
                "{\"appliedAtUsec\": 5, \"created\": false, \"config\": {}, \"location\": {\"region\": 1}}}}");
        assert_int_equal(state_store_open(d, &diags, &s), -EBADMSG);
        write_text(
                d, "state.json",
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
        static const char *const names[] = { "name",     "provider",  "account",
                                             "function", "qualifier", "file" };
        static const char *const location_names[] = { "account",   "api",       "region",
                                                      "accountId", "projectId", "endpoint" };
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
                        assert_int_equal(
                                json_object_set_new(o, "orphanedAtUsec",
                                                    json_integer((json_int_t) r->orphaned_usec)),
                                0);
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

/* The state.json document of the store (asyncfg state list -o json) is exactly the bytes the
 * one tree gave, and the save keeps it: the same document after a reopen. */
static void assert_saved_as_one_tree(StateStore *s, const char *dir) {
        char *want = state_as_one_tree(s), *got = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&got, &size);
        StateStore *again = NULL;

        assert_int_equal(state_store_write_json(s, m), 0);
        fclose(m);
        assert_string_equal(got, want);
        assert_int_equal(strlen(got), strlen(want));
        free(got);
        assert_true(state_store_save(s) >= 0);
        assert_int_equal(state_store_open(dir, NULL, &again), 0);
        got = state_as_one_tree(again);
        assert_string_equal(got, want);
        state_store_free(again);
        free(got);
        free(want);
}

/* The streamed document has the bytes of the one-tree dump, and rows survive a reopen: empty, one record, many
 * records in random order, keys that need escaping or are not ASCII, info and orphans. */
static void test_save_bytes(void **state) {
        char *dir = make_dir();
        _cleanup_(state_store_freep) StateStore *s = NULL;
        AsyncConfig a = {}, b = {};
        DiagList diags;
        char key[64];

        diag_list_init(&diags);
        config_from("{\"maxRetryAttempts\":0,\"maxEventAgeSeconds\":60,"
                    "\"onFailure\":{\"destination\":\"arn:aws:sqs:us-east-1:1:q\"}}",
                    &a);
        config_from(
                "{\"maxRetryAttempts\":3,\"enableAsyncStatusLog\":false,"
                "\"onSuccess\":{\"destination\":\"OBS\",\"param\":{\"bucket\":\"b\",\"expires\":0}}}",
                &b);
        assert_int_equal(state_store_open(dir, &diags, &s), 0);

        assert_int_equal(state_store_put(s, KEY_AWS, &a, 1, true), 0); /* marks it dirty */
        assert_int_equal(state_store_remove(s, KEY_AWS), 1);
        assert_saved_as_one_tree(s, dir); /* empty */

        assert_int_equal(state_store_put(s, KEY_HW, &b, 1700000000000001, false), 0);
        assert_saved_as_one_tree(s, dir); /* one */

        for (unsigned i = 0; i < 200; i++) {
                snprintf(key, sizeof key, "aws/acct/fn-%u/$LATEST", (i * 7919u) % 1000u);
                assert_int_equal(
                        state_store_put(s, key, i % 2 ? &a : &b, 1700000000000000 + i, i % 3 == 0),
                        0);
        }
        assert_int_equal(state_store_put(s, "a/\"quoted\"\\back\tslash/\x01", &a, 5, true), 0);
        assert_int_equal(state_store_put(s, "huaweicloud/hw/f\xc3\xa9/latest", &b, 6, false), 0);
        assert_int_equal(state_store_put(s, "z/with/slash/", &b, 7, false), 0);
        assert_int_equal(state_store_set_info(
                                 s, KEY_HW,
                                 &(StateResourceInfo){ .name = (char *) "orders",
                                                       .provider = (char *) "huaweicloud",
                                                       .function = (char *) "f\"n\n",
                                                       .file = (char *) "/etc/asyncfg/d.yaml" }),
                         1);
        assert_int_equal(state_store_set_info(s, "z/with/slash/",
                                              &(StateResourceInfo){ .name = (char *) "n",
                                                                    .provider = (char *) "p",
                                                                    .account = (char *) "a",
                                                                    .function = (char *) "f",
                                                                    .qualifier = (char *) "q",
                                                                    .file = (char *) "d" }),
                         1);
        assert_int_equal(state_store_set_orphaned(s, KEY_HW, 1700000000000123), 1);
        assert_int_equal(state_store_set_orphaned(s, "z/with/slash/", 42), 1);
        assert_int_equal(
                state_store_set_location(s, KEY_HW,
                                         &(StateLocation){ .account = (char *) "hw",
                                                           .api = (char *) "functiongraph",
                                                           .region = (char *) "cn-north-4",
                                                           .project_id = (char *) "p\"1",
                                                           .account_id = (char *) "a",
                                                           .endpoint = (char *) "https://h" }),
                1);
        assert_int_equal(
                state_store_set_location(s, "z/with/slash/",
                                         &(StateLocation){ .account = (char *) "a",
                                                           .api = (char *) "lambda",
                                                           .region = (char *) "us-east-1" }),
                1);
        assert_saved_as_one_tree(s, dir); /* many */

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

/* The strings every record repeats (file, account, location) are one pooled copy, released
 * with the last record that holds it. */
static void test_pooled_strings(void **state) {
        char *dir = make_dir();
        _cleanup_(state_store_freep) StateStore *s = NULL;
        AsyncConfig a = { .has_max_retry_attempts = true, .max_retry_attempts = 1 };
        StateResourceInfo info = { .name = "f1",
                                   .provider = "aws",
                                   .account = "acct",
                                   .function = "f1",
                                   .qualifier = "$LATEST",
                                   .file = "/d/a.yaml" };
        StateLocation loc = { .account = "acct", .api = "lambda", .region = "us-east-1" };
        const StateRecord *r1, *r2;

        assert_int_equal(state_store_open(dir, NULL, &s), 0);
        assert_int_equal(state_store_put(s, "aws/acct/f1/$LATEST", &a, 1, true), 0);
        assert_int_equal(state_store_put(s, "aws/acct/f2/$LATEST", &a, 1, true), 0);
        assert_int_equal(state_store_set_info(s, "aws/acct/f1/$LATEST", &info), 1);
        assert_int_equal(state_store_set_location(s, "aws/acct/f1/$LATEST", &loc), 1);
        info.name = info.function = "f2";
        assert_int_equal(state_store_set_info(s, "aws/acct/f2/$LATEST", &info), 1);
        assert_int_equal(state_store_set_location(s, "aws/acct/f2/$LATEST", &loc), 1);
        r1 = state_store_get(s, "aws/acct/f1/$LATEST");
        r2 = state_store_get(s, "aws/acct/f2/$LATEST");
        assert_ptr_equal(r1->info.file, r2->info.file);
        assert_ptr_equal(r1->info.account, r2->location.account);
        assert_ptr_equal(r1->location.region, r2->location.region);
        assert_ptr_not_equal(r1->info.name, r2->info.name);
        assert_string_equal(r2->info.name, "f2");

        /* Moving one record to another file leaves the other's alone. */
        info.file = "/d/b.yaml";
        assert_int_equal(state_store_set_info(s, "aws/acct/f2/$LATEST", &info), 1);
        assert_string_equal(r1->info.file, "/d/a.yaml");
        assert_string_equal(r2->info.file, "/d/b.yaml");
        assert_int_equal(state_store_remove(s, "aws/acct/f1/$LATEST"), 1);
        assert_string_equal(r2->location.region, "us-east-1");
        assert_int_equal(state_store_save(s), 1);

        remove_dir(dir);
        (void) state;
}

/* A read-only open (asyncfg plan) creates nothing: no store is an empty one, an existing one is
 * read without writing a byte of it, and saving is refused. */
static void test_readonly(void **state) {
        char *dir = make_dir();
        _cleanup_(state_store_freep) StateStore *s = NULL, *w = NULL;
        AsyncConfig c = { .has_max_retry_attempts = true, .max_retry_attempts = 3 };
        struct stat before, after;
        char *p;

        assert_int_equal(state_store_open_readonly(dir, NULL, &s), 0);
        assert_int_equal(state_store_size(s), 0);
        assert_true(asprintf(&p, "%s/state.db", dir) >= 0);
        assert_int_equal(access(p, F_OK), -1); /* not created */
        s = state_store_free(s);

        assert_int_equal(state_store_open(dir, NULL, &w), 0);
        assert_int_equal(state_store_put(w, "k", &c, 1, true), 0);
        assert_int_equal(state_store_save(w), 1);
        w = state_store_free(w);
        assert_int_equal(stat(p, &before), 0);
        assert_int_equal(state_store_open_readonly(dir, NULL, &s), 0);
        assert_int_equal(state_store_size(s), 1);
        assert_int_equal(state_store_get(s, "k")->applied.max_retry_attempts, 3);
        assert_int_equal(state_store_put(s, "k2", &c, 2, true), 0);
        assert_int_equal(state_store_save(s), -EROFS);
        s = state_store_free(s);
        assert_int_equal(stat(p, &after), 0);
        assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
        assert_int_equal(before.st_size, after.st_size);
        free(p);
        remove_dir(dir);
        (void) state;
}

typedef struct Taken {
        char keys[4][128];
        char values[4][1024];
        bool deleted[4];
        size_t n;
        int fail; /* returned once n reaches 1 */
} Taken;

static int take_row(const char *key, const char *value, size_t size, void *userdata) {
        Taken *t = userdata;

        if (t->fail && t->n == 1)
                return t->fail;
        assert_true(t->n < 4);
        snprintf(t->keys[t->n], sizeof(t->keys[0]), "%s", key);
        t->deleted[t->n] = !value;
        if (value) {
                assert_int_equal(strlen(value), size);
                snprintf(t->values[t->n], sizeof(t->values[0]), "%s", value);
        }
        t->n++;
        return 0;
}

/* Cluster mode's seam: a store without a back end whose owner loads rows and takes the
 * changed ones (as encoded for a back end), a failed take keeping them all pending. */
static void test_memory_store(void **state) {
        _cleanup_(state_store_freep) StateStore *s = NULL, *t = NULL;
        AsyncConfig c = {};
        Taken taken = {};

        config_from("{\"maxRetryAttempts\":1}", &c);
        assert_int_equal(state_store_new_memory(&s), 0);
        assert_int_equal(state_store_save(s), 0); /* nothing to write */
        assert_int_equal(state_store_put(s, KEY_AWS, &c, 1000, true), 0);
        assert_int_equal(state_store_save(s), -EOPNOTSUPP);
        assert_int_equal(state_store_pending(s), 1);

        taken.fail = -EIO;
        assert_int_equal(state_store_put(s, KEY_HW, &c, 2000, false), 0);
        assert_int_equal(state_store_take_changes(s, take_row, &taken), -EIO);
        assert_int_equal(state_store_pending(s), 2);
        taken = (Taken){};
        assert_int_equal(state_store_take_changes(s, take_row, &taken), 0);
        assert_int_equal(taken.n, 2);
        assert_int_equal(state_store_pending(s), 0);

        /* What was taken loads into another store as the same record, not as a change. */
        assert_int_equal(state_store_new_memory(&t), 0);
        for (size_t i = 0; i < taken.n; i++)
                assert_int_equal(state_store_load_row(t, taken.keys[i], taken.values[i],
                                                      strlen(taken.values[i]), NULL),
                                 0);
        assert_int_equal(state_store_size(t), 2);
        assert_int_equal(state_store_pending(t), 0);
        assert_config_equal(&state_store_get(t, KEY_AWS)->applied, &c);
        assert_true(state_store_get(t, KEY_AWS)->created);
        assert_false(state_store_get(t, KEY_HW)->created);
        assert_int_equal(state_store_get(t, KEY_HW)->applied_usec, 2000);
        /* A damaged row is refused and leaves no record. */
        assert_int_equal(state_store_load_row(t, KEY_HW, "{", 1, NULL), -EBADMSG);
        assert_null(state_store_get(t, KEY_HW));

        /* A removal is taken as a delete; forgetting is not a change. */
        assert_int_equal(state_store_remove(s, KEY_AWS), 1);
        state_store_forget(s, KEY_HW);
        assert_int_equal(state_store_size(s), 0);
        taken = (Taken){};
        assert_int_equal(state_store_take_changes(s, take_row, &taken), 0);
        assert_int_equal(taken.n, 1);
        assert_string_equal(taken.keys[0], KEY_AWS);
        assert_true(taken.deleted[0]);
        /* A failed write is counted as changed again. */
        assert_int_equal(state_store_mark_changed(s, KEY_AWS), 0);
        assert_int_equal(state_store_pending(s), 1);
        async_config_done(&c);
        (void) state;
}

/* The keys of a take's rows joined with ",", in the order taken; its deletes, each once, in
 * any order (a hash map's), sorted here; and the last row's value. */
typedef struct Changes {
        char keys[4096];
        char *deleted[32];
        size_t n_deleted;
        char value[1024];
} Changes;

static int collect_change(const char *key, const char *value, size_t size, void *userdata) {
        Changes *c = userdata;
        size_t n = strlen(c->keys);

        if (!value) {
                assert_true(c->n_deleted < ELEMENTSOF(c->deleted));
                c->deleted[c->n_deleted++] = strdup(key);
                return 0;
        }
        assert_int_equal(c->n_deleted, 0); /* rows first */
        snprintf(c->keys + n, sizeof(c->keys) - n, "%s%s", n > 0 ? "," : "", key);
        snprintf(c->value, sizeof(c->value), "%.*s", (int) size, value);
        return 0;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Takes s's changes into c: the rows' keys; "-" and the deleted keys, sorted, follow them. */
static char *take_changes(StateStore *s, Changes *c) {
        *c = (Changes){};
        assert_int_equal(state_store_take_changes(s, collect_change, c), 0);
        assert_int_equal(state_store_pending(s), 0);
        qsort(c->deleted, c->n_deleted, sizeof(char *), compare_strings);
        for (size_t i = 0; i < c->n_deleted; i++) {
                size_t n = strlen(c->keys);
                snprintf(c->keys + n, sizeof(c->keys) - n, "%s-%s", n > 0 ? "," : "",
                         c->deleted[i]);
                free(c->deleted[i]);
        }
        return c->keys;
}

/* What the store counts as changed, kept without a lookup by key (StateRecord.changed):
 * config, info and location recorded in one call; each key once however often it changed; a
 * key removed then put again written as a row, one put then removed as a delete; a record
 * dropped from the changes while others stay; the rows in key order, then the deletes. */
static void test_changes(void **state) {
        _cleanup_(state_store_freep) StateStore *s = NULL;
        StateResourceInfo info = { .name = (char *) "orders", .provider = (char *) "aws" };
        StateLocation here = { .account = (char *) "aws-prod",
                               .api = (char *) "lambda",
                               .region = (char *) "us-east-1" };
        const StateRecord *rec;
        AsyncConfig c = {};
        Changes taken;
        char key[64];

        config_from("{\"maxRetryAttempts\":1}", &c);
        assert_int_equal(state_store_new_memory(&s), 0);
        assert_int_equal(state_store_put_with(s, KEY_AWS, &c, 7, true, &info, &here), 0);
        rec = state_store_get(s, KEY_AWS);
        assert_non_null(rec);
        assert_string_equal(rec->info.name, "orders");
        assert_true(state_location_equal(&rec->location, &here));
        assert_int_equal(state_store_pending(s), 1);
        assert_string_equal(take_changes(s, &taken), KEY_AWS);
        assert_non_null(strstr(taken.value, "\"location\":{\"account\":\"aws-prod\""));
        assert_non_null(strstr(taken.value, "\"resource\":{\"name\":\"orders\""));
        /* The same again changes nothing but the time; info and location NULL are kept. */
        assert_int_equal(state_store_put_with(s, KEY_AWS, &c, 8, false, NULL, NULL), 0);
        assert_true(state_store_get(s, KEY_AWS)->created);
        assert_true(state_location_equal(&state_store_get(s, KEY_AWS)->location, &here));
        assert_string_equal(take_changes(s, &taken), KEY_AWS);

        /* Twenty keys put in a scrambled order, some twice, five removed again. */
        for (unsigned i = 0; i < 30; i++) {
                snprintf(key, sizeof key, "aws/a/fn-%02u/q", (i * 7u) % 20u);
                assert_int_equal(state_store_put(s, key, &c, i, true), 0);
        }
        for (unsigned i = 0; i < 20; i += 4) {
                snprintf(key, sizeof key, "aws/a/fn-%02u/q", i);
                assert_int_equal(state_store_remove(s, key), 1);
        }
        assert_int_equal(state_store_pending(s), 20);
        /* Removed, then put again: a row, not a delete. */
        assert_int_equal(state_store_put(s, "aws/a/fn-08/q", &c, 99, true), 0);
        assert_int_equal(state_store_pending(s), 20);
        assert_string_equal(take_changes(s, &taken),
                            "aws/a/fn-01/q,aws/a/fn-02/q,aws/a/fn-03/q,aws/a/fn-05/q,aws/a/fn-06/q,"
                            "aws/a/fn-07/q,aws/a/fn-08/q,aws/a/fn-09/q,aws/a/fn-10/q,aws/a/fn-11/q,"
                            "aws/a/fn-13/q,aws/a/fn-14/q,aws/a/fn-15/q,aws/a/fn-17/q,aws/a/fn-18/q,"
                            "aws/a/fn-19/q,-aws/a/fn-00/q,-aws/a/fn-04/q,-aws/a/fn-12/q,"
                            "-aws/a/fn-16/q");

        /* A changed record forgotten or removed leaves the others' changes as they were. */
        assert_int_equal(state_store_put(s, "aws/a/fn-01/q", &c, 1, true), 0);
        assert_int_equal(state_store_put(s, "aws/a/fn-02/q", &c, 1, true), 0);
        assert_int_equal(state_store_put(s, "aws/a/fn-03/q", &c, 1, true), 0);
        state_store_forget(s, "aws/a/fn-01/q");
        assert_int_equal(state_store_remove(s, "aws/a/fn-02/q"), 1);
        assert_int_equal(state_store_set_orphaned(s, "aws/a/fn-05/q", 5), 1);
        assert_int_equal(state_store_mark_changed(s, "aws/a/fn-06/q"), 0);
        assert_int_equal(state_store_mark_changed(s, "aws/a/gone/q"), 0);
        assert_string_equal(
                take_changes(s, &taken),
                "aws/a/fn-03/q,aws/a/fn-05/q,aws/a/fn-06/q,-aws/a/fn-02/q,-aws/a/gone/q");
        async_config_done(&c);
        (void) state;
}

static unsigned group_of_key(const char *key) {
        return (unsigned) strlen(key) % 16;
}

/* The bytes that malloc gave n records of one key length in a store, with 16 groups or
 * without (a record is one allocation, the struct first). */
static size_t heap_of_records(bool grouped, unsigned n) {
        _cleanup_(state_store_freep) StateStore *s = NULL;
        AsyncConfig c = {};
        size_t total = 0;
        char key[64];

        assert_int_equal(state_store_new_memory(&s), 0);
        if (grouped)
                assert_int_equal(state_store_set_groups(s, 16, group_of_key), 0);
        for (unsigned i = 0; i < n; i++) {
                snprintf(key, sizeof(key), "aws/aws-prod/fn-%06u/$LATEST", i);
                assert_int_equal(state_store_put(s, key, &c, 1, true), 0);
                total += malloc_usable_size((void *) state_store_get(s, key));
        }
        return total;
}

/* Single-host mode never groups its records, and pays nothing for the groups of cluster mode:
 * each record of a grouped store carries its list links, one of a plain store does not (the
 * peak memory per resource is held to 2 KiB at 100,000). */
static void test_group_cost(void **state) {
        size_t plain = heap_of_records(false, 1000), grouped = heap_of_records(true, 1000);

        /* 24 bytes of links; the allocator's rounding makes it 16 or 32 for these keys */
        assert_true(grouped >= plain + 1000 * sizeof(void *));
        (void) state;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_two_writers),
                cmocka_unit_test(test_busy),           cmocka_unit_test(test_migration),
                cmocka_unit_test(test_bad_databases),  cmocka_unit_test(test_bad_files),
                cmocka_unit_test(test_quarantine),     cmocka_unit_test(test_open_errors),
                cmocka_unit_test(test_save_bytes),     cmocka_unit_test(test_order),
                cmocka_unit_test(test_pooled_strings), cmocka_unit_test(test_info_and_orphans),
                cmocka_unit_test(test_info_from_key),  cmocka_unit_test(test_location),
                cmocka_unit_test(test_readonly),       cmocka_unit_test(test_private_files),
                cmocka_unit_test(test_memory_store),   cmocka_unit_test(test_group_cost),
                cmocka_unit_test(test_changes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
