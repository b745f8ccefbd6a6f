/* SPDX-License-Identifier: MIT */

/* The metrics registry: exact exposition text for counters, gauges and histograms with and
 * without labels, escaping, removal, ordering, refused registrations; and the daemon's family
 * set run through a strict checker of the text format 0.0.4 (promtool is not in the build
 * dependencies: Debian's prometheus package is ~100 MB). */

#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "lib/macro.h"
#include "reconciler/daemon/metrics-asyncfg.h"
#include "reconciler/core/resource-state.h"
#include "lib/metrics.h"

#define LABELS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void assert_text(const Metrics *m, const char *expected) {
        _cleanup_free_ char *text = NULL;
        size_t size;

        assert_int_equal(metrics_format(m, &text, &size), 0);
        assert_int_equal(size, strlen(text));
        assert_string_equal(text, expected);
}

static void test_counter(void **state) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        MetricCounter *c, *plain;

        assert_int_equal(metrics_new(&m), 0);
        assert_int_equal(
                metrics_add_counter(m, "t_total", "Things.", LABELS("provider", "result"), &c), 0);
        assert_int_equal(metrics_add_counter(m, "a_total", "Plain.", NULL, &plain), 0);

        /* A labelled family without series is left out; a plain one shows at 0. */
        assert_text(m, "# HELP a_total Plain.\n# TYPE a_total counter\na_total 0\n");

        assert_int_equal(metrics_counter_inc(c, "huaweicloud", "success"), 0);
        assert_int_equal(metrics_counter_inc(c, "aws", "success"), 0);
        assert_int_equal(metrics_counter_inc(c, "aws", "error"), 0);
        assert_int_equal(metrics_counter_add(c, 2.5, "aws", "success"), 0);
        assert_int_equal(metrics_counter_inc(plain), 0);
        assert_int_equal(metrics_counter_add(c, -1, "aws", "success"), -EINVAL);
        assert_int_equal(metrics_counter_add(c, NAN, "aws", "success"), -EINVAL);
        assert_int_equal(metrics_counter_addv(c, 1, LABELS("aws", NULL)), -EINVAL);

        assert_text(m, "# HELP a_total Plain.\n"
                       "# TYPE a_total counter\n"
                       "a_total 1\n"
                       "# HELP t_total Things.\n"
                       "# TYPE t_total counter\n"
                       "t_total{provider=\"aws\",result=\"error\"} 1\n"
                       "t_total{provider=\"aws\",result=\"success\"} 3.5\n"
                       "t_total{provider=\"huaweicloud\",result=\"success\"} 1\n");

        double v;
        assert_int_equal(metrics_counter_getv(c, LABELS("aws", "success"), &v), 0);
        assert_true(v == 3.5);
        assert_int_equal(metrics_counter_getv(c, LABELS("aws", "nope"), &v), -ENOENT);
}

static void test_gauge_remove(void **state) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        MetricGauge *g;

        assert_int_equal(metrics_new(&m), 0);
        assert_int_equal(metrics_add_gauge(m, "drifted", "Drift (0/1).", LABELS("name"), &g), 0);
        assert_int_equal(metrics_gauge_set(g, 1, "orders"), 0);
        assert_int_equal(metrics_gauge_set(g, 0, "billing"), 0);
        assert_int_equal(metrics_gauge_add(g, -0.5, "billing"), 0);
        assert_int_equal(metrics_gauge_set(g, 0.1, "zeta"), 0);
        assert_text(m, "# HELP drifted Drift (0/1).\n"
                       "# TYPE drifted gauge\n"
                       "drifted{name=\"billing\"} -0.5\n"
                       "drifted{name=\"orders\"} 1\n"
                       "drifted{name=\"zeta\"} 0.1\n");

        assert_int_equal(metrics_gauge_remove(g, "orders"), 1);
        assert_int_equal(metrics_gauge_remove(g, "orders"), 0);
        assert_text(m, "# HELP drifted Drift (0/1).\n"
                       "# TYPE drifted gauge\n"
                       "drifted{name=\"billing\"} -0.5\n"
                       "drifted{name=\"zeta\"} 0.1\n");

        metrics_gauge_clear(g);
        assert_text(m, "");
        assert_int_equal(metrics_gauge_set(g, 7, "orders"), 0);
        assert_text(
                m,
                "# HELP drifted Drift (0/1).\n# TYPE drifted gauge\ndrifted{name=\"orders\"} 7\n");
}

static void test_histogram(void **state) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        MetricHistogram *h, *plain;
        const double b[] = { 0.1, 1, 10 };

        assert_int_equal(metrics_new(&m), 0);
        assert_int_equal(metrics_add_histogram(m, "lat_seconds", "Latency.", LABELS("provider"), b,
                                               ELEMENTSOF(b), &h),
                         0);
        assert_int_equal(metrics_add_histogram(m, "dur_seconds", "Duration.", NULL, b, 2, &plain),
                         0);
        assert_int_equal(metrics_histogram_observe(h, 0.05, "aws"), 0);
        assert_int_equal(metrics_histogram_observe(h, 0.1, "aws"), 0); /* le is inclusive */
        assert_int_equal(metrics_histogram_observe(h, 5, "aws"), 0);
        assert_int_equal(metrics_histogram_observe(h, 100, "aws"), 0);
        assert_int_equal(metrics_histogram_observe(h, 2, "alicloud"), 0);
        assert_int_equal(metrics_histogram_observe(plain, 0.5), 0);
        assert_int_equal(metrics_histogram_observe(h, NAN, "aws"), -EINVAL);

        assert_text(m, "# HELP dur_seconds Duration.\n"
                       "# TYPE dur_seconds histogram\n"
                       "dur_seconds_bucket{le=\"0.1\"} 0\n"
                       "dur_seconds_bucket{le=\"1\"} 1\n"
                       "dur_seconds_bucket{le=\"+Inf\"} 1\n"
                       "dur_seconds_sum 0.5\n"
                       "dur_seconds_count 1\n"
                       "# HELP lat_seconds Latency.\n"
                       "# TYPE lat_seconds histogram\n"
                       "lat_seconds_bucket{provider=\"alicloud\",le=\"0.1\"} 0\n"
                       "lat_seconds_bucket{provider=\"alicloud\",le=\"1\"} 0\n"
                       "lat_seconds_bucket{provider=\"alicloud\",le=\"10\"} 1\n"
                       "lat_seconds_bucket{provider=\"alicloud\",le=\"+Inf\"} 1\n"
                       "lat_seconds_sum{provider=\"alicloud\"} 2\n"
                       "lat_seconds_count{provider=\"alicloud\"} 1\n"
                       "lat_seconds_bucket{provider=\"aws\",le=\"0.1\"} 2\n"
                       "lat_seconds_bucket{provider=\"aws\",le=\"1\"} 2\n"
                       "lat_seconds_bucket{provider=\"aws\",le=\"10\"} 3\n"
                       "lat_seconds_bucket{provider=\"aws\",le=\"+Inf\"} 4\n"
                       "lat_seconds_sum{provider=\"aws\"} 105.15\n"
                       "lat_seconds_count{provider=\"aws\"} 4\n");

        assert_int_equal(metrics_histogram_remove(h, "aws"), 1);
        assert_int_equal(metrics_histogram_remove(plain), 1);
        assert_text(m, "# HELP lat_seconds Latency.\n"
                       "# TYPE lat_seconds histogram\n"
                       "lat_seconds_bucket{provider=\"alicloud\",le=\"0.1\"} 0\n"
                       "lat_seconds_bucket{provider=\"alicloud\",le=\"1\"} 0\n"
                       "lat_seconds_bucket{provider=\"alicloud\",le=\"10\"} 1\n"
                       "lat_seconds_bucket{provider=\"alicloud\",le=\"+Inf\"} 1\n"
                       "lat_seconds_sum{provider=\"alicloud\"} 2\n"
                       "lat_seconds_count{provider=\"alicloud\"} 1\n");
}

static void test_escaping(void **state) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        MetricGauge *g;

        assert_int_equal(metrics_new(&m), 0);
        assert_int_equal(
                metrics_add_gauge(m, "x", "Back\\slash \"quoted\"\nnext line.", LABELS("name"), &g),
                0);
        assert_int_equal(metrics_gauge_set(g, 1, "a\\b\"c\nd"), 0);
        assert_int_equal(metrics_gauge_set(g, INFINITY, "inf"), 0);
        assert_int_equal(metrics_gauge_set(g, -INFINITY, "minus"), 0);
        assert_int_equal(metrics_gauge_set(g, 1700000123.25, "time"), 0);
        assert_int_equal(metrics_gauge_set(g, 1e-7, "tiny"), 0);
        assert_int_equal(metrics_gauge_set(g, 0, "zero"), 0);
        assert_int_equal(metrics_gauge_set(g, 3, "\xc3\xa4"), 0); /* UTF-8 passes unchanged */
        /* HELP escapes backslash and line feed only; label values also the double quote. */
        assert_text(m, "# HELP x Back\\\\slash \"quoted\"\\nnext line.\n"
                       "# TYPE x gauge\n"
                       "x{name=\"a\\\\b\\\"c\\nd\"} 1\n"
                       "x{name=\"inf\"} +Inf\n"
                       "x{name=\"minus\"} -Inf\n"
                       "x{name=\"time\"} 1700000123.25\n"
                       "x{name=\"tiny\"} 1e-07\n"
                       "x{name=\"zero\"} 0\n"
                       "x{name=\"\xc3\xa4\"} 3\n");
        assert_int_equal(metrics_gauge_set(g, NAN, "nan"), -EINVAL);
}

static void test_format_number(void **state) {
        char buf[METRICS_NUMBER_MAX];

        assert_string_equal(metrics_format_number(0.1, buf), "0.1");
        assert_string_equal(metrics_format_number(0.005, buf), "0.005");
        assert_string_equal(metrics_format_number(60, buf), "60");
        assert_string_equal(metrics_format_number(-2, buf), "-2");
        assert_string_equal(metrics_format_number(1.0 / 3, buf), "0.3333333333333333");
        assert_string_equal(metrics_format_number(NAN, buf), "NaN");
        assert_string_equal(metrics_format_number(1e21, buf), "1e+21");
}

static void test_refused(void **state) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        MetricCounter *c;
        MetricHistogram *h;
        const double bad[] = { 1, 1 }, inf[] = { 1, INFINITY }, ok[] = { 1 };

        assert_int_equal(metrics_new(&m), 0);
        assert_int_equal(metrics_add_counter(m, "a_total", "A.", NULL, &c), 0);
        assert_int_equal(metrics_add_counter(m, "a_total", "Again.", NULL, &c), -EEXIST);
        assert_int_equal(metrics_add_counter(m, "1abc", "x", NULL, &c), -EINVAL);
        assert_int_equal(metrics_add_counter(m, "a-b", "x", NULL, &c), -EINVAL);
        assert_int_equal(metrics_add_counter(m, "", "x", NULL, &c), -EINVAL);
        assert_int_equal(metrics_add_counter(m, "ok:colon", "x", LABELS("__x"), &c), -EINVAL);
        assert_int_equal(metrics_add_counter(m, "ok:colon", "x", LABELS("a:b"), &c), -EINVAL);
        assert_int_equal(metrics_add_counter(m, "ok:colon", "x", LABELS("a", "a"), &c), -EINVAL);
        assert_int_equal(metrics_add_counter(m, "ok:colon", NULL, NULL, &c), -EINVAL);
        assert_int_equal(metrics_add_histogram(m, "h", "x", NULL, bad, 2, &h), -EINVAL);
        assert_int_equal(metrics_add_histogram(m, "h", "x", NULL, inf, 2, &h), -EINVAL);
        assert_int_equal(metrics_add_histogram(m, "h", "x", LABELS("le"), ok, 1, &h), -EINVAL);
        assert_int_equal(metrics_add_counter(m, "ok:colon", "x", NULL, &c), 0);
        assert_string_equal(metric_type_to_string(METRIC_HISTOGRAM), "histogram");
        assert_int_equal(metric_type_from_string("gauge"), METRIC_GAUGE);
        assert_int_equal(metric_type_from_string("summary"), _METRIC_TYPE_INVALID);
}

/* ---- a strict checker of the text format ------------------------------------------------- */

typedef struct Checker {
        char family[128];
        char type[16];
        bool help_seen, type_seen;
        char seen_families[64][128];
        size_t n_seen;
        /* histogram state for the current label set */
        char hist_key[512];
        bool hist_started;
        double last_le;
        uint64_t last_bucket;
        bool inf_seen;
        uint64_t inf_count;
} Checker;

static bool is_name_char(char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
               (!first && c >= '0' && c <= '9');
}

/* Reads a metric name at *p; returns its length. */
static size_t check_name(const char *p) {
        size_t n = 0;
        while (is_name_char(p[n], n == 0))
                n++;
        assert_true(n > 0);
        return n;
}

/* Parses {a="x",b="y"}; fills key with the labels except le, and *le with le's value. */
static const char *check_labels(const char *p, char *key, size_t key_size, char *le,
                                size_t le_size) {
        key[0] = 0;
        le[0] = 0;
        if (*p != '{')
                return p;
        p++;
        while (*p != '}') {
                char name[64], value[64];
                size_t n = check_name(p), v = 0;
                assert_true(n < sizeof(name));
                memcpy(name, p, n);
                name[n] = 0;
                assert_true(p[n] != ':' && strchr(name, ':') == NULL);
                p += n;
                assert_int_equal(*p++, '=');
                assert_int_equal(*p++, '"');
                for (; *p != '"'; p++) {
                        assert_true(*p != 0 && *p != '\n');
                        if (*p == '\\') {
                                p++;
                                assert_true(*p == '\\' || *p == '"' || *p == 'n');
                        }
                        assert_true(v + 1 < sizeof(value));
                        value[v++] = *p;
                }
                value[v] = 0;
                p++;
                if (streq(name, "le"))
                        snprintf(le, le_size, "%s", value);
                else {
                        size_t used = strlen(key);
                        snprintf(key + used, key_size - used, "%s=%s;", name, value);
                }
                if (*p == ',')
                        p++;
                else
                        assert_int_equal(*p, '}');
        }
        return p + 1;
}

static double check_value(const char *p) {
        char *end;
        double v;

        if (streq(p, "+Inf"))
                return INFINITY;
        if (streq(p, "-Inf"))
                return -INFINITY;
        if (streq(p, "NaN"))
                return NAN;
        v = strtod(p, &end);
        assert_true(end != p && *end == 0);
        return v;
}

static void check_comment(Checker *c, const char *line) {
        char name[128];
        size_t n;

        if (startswith(line, "# HELP ")) {
                n = check_name(line + 7);
                assert_true(n < sizeof(name) && line[7 + n] == ' ');
                memcpy(name, line + 7, n);
                name[n] = 0;
                for (size_t i = 0; i < c->n_seen; i++) /* each family once */
                        assert_string_not_equal(c->seen_families[i], name);
                if (c->n_seen > 0) /* sorted by name */
                        assert_true(strcmp(c->seen_families[c->n_seen - 1], name) < 0);
                assert_true(c->n_seen < ELEMENTSOF(c->seen_families));
                strcpy(c->seen_families[c->n_seen++], name);
                strcpy(c->family, name);
                c->help_seen = true;
                c->type_seen = false;
                c->hist_started = false;
                return;
        }
        assert_true(startswith(line, "# TYPE "));
        assert_true(c->help_seen && !c->type_seen);
        n = strlen(c->family);
        assert_true(strneq(line + 7, c->family, n) && line[7 + n] == ' ');
        snprintf(c->type, sizeof(c->type), "%s", line + 8 + n);
        assert_true(streq(c->type, "counter") || streq(c->type, "gauge") ||
                    streq(c->type, "histogram"));
        c->type_seen = true;
}

static void check_histogram_sample(Checker *c, const char *suffix, const char *key, const char *le,
                                   double v) {
        if (streq(suffix, "_bucket")) {
                assert_true(le[0] != 0);
                if (!c->hist_started || !streq(key, c->hist_key)) {
                        /* a new series: the previous one must have been completed */
                        assert_true(!c->hist_started || !c->inf_seen);
                        c->hist_started = true;
                        snprintf(c->hist_key, sizeof(c->hist_key), "%s", key);
                        c->last_le = -INFINITY;
                        c->last_bucket = 0;
                        c->inf_seen = false;
                }
                double bound = check_value(le);
                assert_true(bound > c->last_le);
                assert_true(v >= (double) c->last_bucket); /* cumulative */
                c->last_le = bound;
                c->last_bucket = (uint64_t) v;
                if (isinf(bound)) {
                        c->inf_seen = true;
                        c->inf_count = (uint64_t) v;
                }
                return;
        }
        assert_true(le[0] == 0);
        assert_true(c->hist_started);
        assert_string_equal(key, c->hist_key);
        assert_true(c->inf_seen);
        if (streq(suffix, "_count")) {
                assert_true(v == (double) c->inf_count);
                c->inf_seen = false; /* series complete */
        }
}

static void check_sample(Checker *c, const char *line) {
        char key[512], le[64];
        const char *p = line;
        size_t n = check_name(p);
        size_t fl = strlen(c->family);

        assert_true(c->type_seen);
        assert_true(strneq(p, c->family, fl));
        const char *suffix = p + fl;
        char suffix_buf[16];
        assert_true(n - fl < sizeof(suffix_buf));
        memcpy(suffix_buf, suffix, n - fl);
        suffix_buf[n - fl] = 0;
        p = check_labels(p + n, key, sizeof(key), le, sizeof(le));
        assert_int_equal(*p++, ' ');
        double v = check_value(p);

        if (streq(c->type, "histogram")) {
                assert_true(streq(suffix_buf, "_bucket") || streq(suffix_buf, "_sum") ||
                            streq(suffix_buf, "_count"));
                check_histogram_sample(c, suffix_buf, key, le, v);
                return;
        }
        assert_string_equal(suffix_buf, "");
        assert_true(le[0] == 0);
        if (streq(c->type, "counter"))
                assert_true(v >= 0);
}

/* Fails the test on anything the text format 0.0.4 does not allow or that a scraper would
 * reject: bad names or escapes, samples before their TYPE, families repeated or unsorted,
 * histogram buckets not increasing or not cumulative, +Inf missing or unequal to _count. */
static void check_exposition(const char *text) {
        Checker c = {};
        _cleanup_free_ char *copy = strdup(text);
        char *save = NULL;

        assert_non_null(copy);
        assert_true(text[0] == 0 || endswith(text, "\n"));
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (line[0] == '#')
                        check_comment(&c, line);
                else
                        check_sample(&c, line);
        }
}

static void test_asyncfg_families(void **state) {
        _cleanup_(metrics_free_asyncfgp) AsyncfgMetrics *m = NULL;
        _cleanup_free_ char *text = NULL;
        size_t size;

        assert_int_equal(metrics_new_asyncfg(&m), 0);
        assert_int_equal(metrics_counter_inc(m->reconcile_total, "aws", "success"), 0);
        assert_int_equal(metrics_counter_inc(m->reconcile_errors_total), 0);
        assert_int_equal(metrics_histogram_observe(m->reconcile_time, 0.3), 0);
        assert_int_equal(metrics_histogram_observe(m->reconcile_time, 75), 0);
        assert_int_equal(metrics_gauge_set(m->workqueue_depth, 4), 0);
        assert_int_equal(metrics_counter_inc(m->workqueue_retries_total), 0);
        assert_int_equal(metrics_gauge_set(m->resources, 117, "in_sync"), 0);
        assert_int_equal(metrics_gauge_set(m->resources, 2, "drifted"), 0);
        assert_int_equal(metrics_counter_inc(m->drift_detected_total, "alicloud"), 0);
        assert_int_equal(metrics_gauge_set(m->resource_drifted, 1, "orders-worker"), 0);
        assert_int_equal(metrics_gauge_set(m->resource_drifted, 0, "gone"), 0);
        assert_int_equal(metrics_gauge_remove(m->resource_drifted, "gone"), 1);
        assert_int_equal(metrics_counter_inc(m->cloud_requests_total, "aws", "PUT", "200"), 0);
        assert_int_equal(metrics_histogram_observe(m->cloud_request_duration, 0.02), 0);
        assert_int_equal(metrics_gauge_set(m->desired_files, 3, "ok"), 0);
        assert_int_equal(metrics_gauge_set(m->last_successful_sync, 1714564800), 0);
        assert_int_equal(metrics_gauge_set(m->config_last_reload_successful, 0), 0);
        assert_int_equal(metrics_gauge_set(m->config_last_reload_success_timestamp, 1714564700), 0);

        assert_int_equal(metrics_format(m->registry, &text, &size), 0);
        check_exposition(text);

        static const char *const expected[] = {
                "asyncfg_reconcile_total{provider=\"aws\",result=\"success\"} 1\n",
                "\nasyncfg_reconcile_errors_total 1\n",
                "asyncfg_reconcile_time_seconds_bucket{le=\"0.005\"} 0\n",
                "asyncfg_reconcile_time_seconds_bucket{le=\"0.3\"} 1\n",
                "asyncfg_reconcile_time_seconds_bucket{le=\"60\"} 1\n",
                "asyncfg_reconcile_time_seconds_bucket{le=\"+Inf\"} 2\n",
                "asyncfg_reconcile_time_seconds_sum 75.3\n",
                "asyncfg_reconcile_time_seconds_count 2\n",
                "# TYPE asyncfg_reconcile_time_seconds histogram\n",
                "\nasyncfg_workqueue_depth 4\n",
                "\nasyncfg_workqueue_retries_total 1\n",
                "asyncfg_resources{state=\"drifted\"} 2\n",
                "asyncfg_resources{state=\"in_sync\"} 117\n",
                "asyncfg_drift_detected_total{provider=\"alicloud\"} 1\n",
                "asyncfg_resource_drifted{name=\"orders-worker\"} 1\n# HELP",
                "asyncfg_cloud_requests_total{provider=\"aws\",method=\"PUT\",code=\"200\"} 1\n",
                "asyncfg_cloud_request_duration_seconds_bucket{le=\"0.025\"} 1\n",
                "# TYPE asyncfg_cloud_request_duration_seconds histogram\n",
                "asyncfg_desired_files{state=\"ok\"} 3\n",
                "\nasyncfg_last_successful_sync_timestamp_seconds 1714564800\n",
                "asyncfg_build_info{version=\"" ASYNCFG_VERSION "\"} 1\n",
                "# TYPE asyncfg_config_last_reload_successful gauge\n"
                "asyncfg_config_last_reload_successful 0\n",
                "# TYPE asyncfg_config_last_reload_success_timestamp_seconds gauge\n"
                "asyncfg_config_last_reload_success_timestamp_seconds 1714564700\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(expected); i++)
                if (!strstr(text, expected[i]))
                        fail_msg("missing: %s\nin:\n%s", expected[i], text);
        assert_null(strstr(text, "gone"));
        assert_int_equal(metrics_reconcile_time_buckets_n, 40);
        assert_true(metrics_reconcile_time_buckets[0] == 0.005);
        assert_true(metrics_reconcile_time_buckets[39] == 60);
}

/* asyncfg_resources{state} has every state from the start, zeros included, so that a
 * dashboard or an alert on a state no resource has entered yet reads 0, not "no data". */
static void test_asyncfg_every_state(void **state) {
        _cleanup_(metrics_free_asyncfgp) AsyncfgMetrics *m = NULL;
        _cleanup_free_ char *text = NULL;
        size_t size;

        assert_int_equal(metrics_new_asyncfg(&m), 0);
        assert_int_equal(metrics_format(m->registry, &text, &size), 0);
        check_exposition(text);
        for (ResourceState s = 0; s < _RESOURCE_STATE_MAX; s++) {
                char line[128];

                snprintf(line, sizeof(line), "\nasyncfg_resources{state=\"%s\"} 0\n",
                         resource_state_to_string(s));
                if (!strstr(text, line))
                        fail_msg("missing: %sin:\n%s", line + 1, text);
        }
        assert_int_equal(_RESOURCE_STATE_MAX, 7);
}

/* The checker itself must catch what it claims to catch. */
static void test_checker_catches(void **state) {
        static const char *const bad[] = {
                "x 1\n",                                         /* no HELP/TYPE */
                "# HELP x X.\n# TYPE x counter\nx -1\n",         /* negative counter */
                "# HELP x X.\n# TYPE x gauge\nx{a=\"\\t\"} 1\n", /* bad escape */
                "# HELP x X.\n# TYPE x gauge\nx{a=\"v\"} one\n", /* bad value */
                "# HELP b B.\n# TYPE b gauge\nb 1\n# HELP a A.\n# TYPE a gauge\na 1\n", /* order */
                "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", /* not cumulative */
                "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                /* cmocka has no "expect failure": run the checker in a child; a failed assertion
                 * there ends the child's test run with a non-zero exit. */
                pid_t pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        int null = open("/dev/null", O_WRONLY);
                        dup2(null, STDOUT_FILENO);
                        dup2(null, STDERR_FILENO);
                        check_exposition(bad[i]);
                        _exit(0);
                }
                int status;
                assert_int_equal(waitpid(pid, &status, 0), pid);
                if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                        fail_msg("checker accepted bad input %zu", i);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_counter),          cmocka_unit_test(test_gauge_remove),
                cmocka_unit_test(test_histogram),        cmocka_unit_test(test_escaping),
                cmocka_unit_test(test_format_number),    cmocka_unit_test(test_refused),
                cmocka_unit_test(test_asyncfg_families), cmocka_unit_test(test_asyncfg_every_state),
                cmocka_unit_test(test_checker_catches),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
