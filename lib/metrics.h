/* SPDX-License-Identifier: MIT */
#pragma once

/* A small Prometheus metrics registry: counters, gauges and histograms with label names and
 * one series per set of label values, rendered in the text exposition format 0.0.4.
 *
 * Output (metrics_format()) is deterministic: families sorted by name, series sorted by their
 * label values (compared label by label, bytewise), histogram buckets in increasing order and
 * then "+Inf". A family without any series is left out entirely (as client_golang does for an
 * empty vector); a family without label names has its one series from registration on, at 0.
 *
 *   # HELP asyncfg_reconcile_total Reconciliations by provider and result.
 *   # TYPE asyncfg_reconcile_total counter
 *   asyncfg_reconcile_total{provider="aws",result="success"} 3
 *
 * Numbers are printed with the fewest digits that read back to the same double, in plain
 * notation for exponents -4..15 ("0.1", "3", "1714564800"), else with an exponent ("1e-07",
 * "1e+21"); "+Inf", "-Inf", "NaN". Label values are escaped as the format requires:
 * backslash as \\, double quote as \", line feed as \n. HELP text escapes backslash and line
 * feed.
 *
 * Handles: a family is registered once and kept as a typed handle (MetricCounter,
 * MetricGauge, MetricHistogram) owned by the registry; the handle stays valid until
 * metrics_free(). The update functions take the label values as further arguments, exactly as
 * many as the family has label names, in the order of the names:
 *
 *   metrics_counter_inc(m->reconcile_total, "aws", "success");
 *   metrics_gauge_set(m->resource_drifted, 1, "orders-worker");
 *   metrics_histogram_observe(m->reconcile_time, 0.42);
 *
 * Passing a different number of values is undefined behaviour (as with printf), so each
 * variadic function has a "v" form taking an array of values for generic code. Label values
 * are copied; NULL is refused (-EINVAL). Update functions return 0 or -ENOMEM / -EINVAL; they
 * never log.
 *
 * Not thread-safe: everything runs on the one event loop. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct Metrics Metrics;
typedef struct MetricCounter MetricCounter;
typedef struct MetricGauge MetricGauge;
typedef struct MetricHistogram MetricHistogram;

typedef enum MetricType {
        METRIC_COUNTER,
        METRIC_GAUGE,
        METRIC_HISTOGRAM,
        _METRIC_TYPE_MAX,
        _METRIC_TYPE_INVALID = -EINVAL,
} MetricType;

const char *metric_type_to_string(MetricType t);
MetricType metric_type_from_string(const char *s);

int metrics_new(Metrics **ret);
Metrics *metrics_free(Metrics *m);
static inline void metrics_freep(Metrics **m) {
        metrics_free(*m);
}

/* Registration. name must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*
 * and not start with "__"; help is any text. labels is a NULL-terminated list (NULL for none).
 * Histogram buckets are upper bounds, strictly increasing and finite ("+Inf" is implicit);
 * "le" is not allowed as a label name of a histogram. All strings are copied.
 * Returns -EINVAL for a bad name or bucket list, -EEXIST for a name already registered. */
int metrics_add_counter(Metrics *m, const char *name, const char *help, const char *const *labels,
                        MetricCounter **ret);
int metrics_add_gauge(Metrics *m, const char *name, const char *help, const char *const *labels,
                      MetricGauge **ret);
int metrics_add_histogram(Metrics *m, const char *name, const char *help, const char *const *labels,
                          const double *buckets, size_t n_buckets, MetricHistogram **ret);

/* Counters only go up: a negative or NaN delta is refused (-EINVAL). */
int metrics_counter_add(MetricCounter *c, double delta, ...);
int metrics_counter_inc(MetricCounter *c, ...);
int metrics_counter_addv(MetricCounter *c, double delta, const char *const *values);

int metrics_gauge_set(MetricGauge *g, double value, ...);
int metrics_gauge_add(MetricGauge *g, double delta, ...);
int metrics_gauge_setv(MetricGauge *g, double value, const char *const *values);
int metrics_gauge_addv(MetricGauge *g, double delta, const char *const *values);

int metrics_histogram_observe(MetricHistogram *h, double value, ...);
int metrics_histogram_observev(MetricHistogram *h, double value, const char *const *values);

/* Removes one series (a deleted resource's asyncfg_resource_drifted{name}). Returns 1 if it
 * existed, 0 if not. Removing the series of a family without labels is allowed: it then
 * reappears, at 0, on its next update. */
int metrics_counter_remove(MetricCounter *c, ...);
int metrics_gauge_remove(MetricGauge *g, ...);
int metrics_histogram_remove(MetricHistogram *h, ...);
int metrics_counter_removev(MetricCounter *c, const char *const *values);
int metrics_gauge_removev(MetricGauge *g, const char *const *values);
int metrics_histogram_removev(MetricHistogram *h, const char *const *values);

/* Removes every series of a gauge (to recompute, e.g., asyncfg_resources{state}). */
void metrics_gauge_clear(MetricGauge *g);

/* Reads a series' value (tests, status). Returns -ENOENT if the series does not exist. */
int metrics_counter_getv(MetricCounter *c, const char *const *values, double *ret);
int metrics_gauge_getv(MetricGauge *g, const char *const *values, double *ret);

/* The text exposition format 0.0.4, NUL-terminated; *ret_size excludes the NUL. */
int metrics_format(const Metrics *m, char **ret, size_t *ret_size);

/* The Content-Type of metrics_format()'s output. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Formats v as metrics_format() prints numbers (see above). buf must hold at least METRICS_NUMBER_MAX bytes. */
#define METRICS_NUMBER_MAX 32
const char *metrics_format_number(double v, char buf[static METRICS_NUMBER_MAX]);
