/* SPDX-License-Identifier: MIT */

/* The registry keeps its families sorted by name and each family's series sorted by label
 * values, so that lookups are binary searches and metrics_format() is a straight walk. */

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>

#include "lib/macro.h"
#include "lib/metrics.h"
#include "lib/string-table.h"

/* More label names than this is a design mistake, not a use case. */
#define METRICS_LABELS_MAX 8

typedef struct Series {
        char **values;           /* n_labels strings */
        double value;            /* counter, gauge */
        uint64_t *bucket_counts; /* histogram: per bucket, not cumulative; n_buckets entries */
        double sum;
        uint64_t count;
} Series;

typedef struct MetricFamily {
        MetricType type;
        char *name;
        char *help;
        char **labels;
        size_t n_labels;
        double *buckets;
        size_t n_buckets;
        Series **series;
        size_t n_series;
} MetricFamily;

struct Metrics {
        MetricFamily **families;
        size_t n_families;
};

static const char *const metric_type_table[_METRIC_TYPE_MAX] = {
        [METRIC_COUNTER] = "counter",
        [METRIC_GAUGE] = "gauge",
        [METRIC_HISTOGRAM] = "histogram",
};

DEFINE_STRING_TABLE_LOOKUP(metric_type, MetricType);

/* ---- series ------------------------------------------------------------------------------- */

static Series *series_free(Series *s, size_t n_labels) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < n_labels && s->values; i++)
                free(s->values[i]);
        free(s->values);
        free(s->bucket_counts);
        free(s);
        return NULL;
}

static Series *series_new(const MetricFamily *f, const char *const *values) {
        Series *s = calloc(1, sizeof(Series));

        if (!s)
                return NULL;
        s->values = calloc(f->n_labels ?: 1, sizeof(char *));
        if (!s->values)
                return series_free(s, 0);
        for (size_t i = 0; i < f->n_labels; i++)
                if (!(s->values[i] = strdup(values[i])))
                        return series_free(s, f->n_labels);
        if (f->type == METRIC_HISTOGRAM) {
                s->bucket_counts = calloc(f->n_buckets ?: 1, sizeof(uint64_t));
                if (!s->bucket_counts)
                        return series_free(s, f->n_labels);
        }
        return s;
}

static int series_compare(const MetricFamily *f, const char *const *a, const char *const *b) {
        for (size_t i = 0; i < f->n_labels; i++) {
                int c = strcmp(a[i], b[i]);
                if (c != 0)
                        return c;
        }
        return 0;
}

/* Binary search. Returns true if found; *ret_index is the match or the insertion point. */
static bool family_find(const MetricFamily *f, const char *const *values, size_t *ret_index) {
        size_t lo = 0, hi = f->n_series;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = series_compare(f, (const char *const *) f->series[mid]->values, values);
                if (c == 0) {
                        *ret_index = mid;
                        return true;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *ret_index = lo;
        return false;
}

static int values_check(const MetricFamily *f, const char *const *values) {
        if (f->n_labels > 0 && !values)
                return -EINVAL;
        for (size_t i = 0; i < f->n_labels; i++)
                if (!values[i])
                        return -EINVAL;
        return 0;
}

/* The series for values, created (at 0) if missing. */
static int family_get_series(MetricFamily *f, const char *const *values, Series **ret) {
        size_t idx;
        int r;

        r = values_check(f, values);
        if (r < 0)
                return r;
        if (family_find(f, values, &idx)) {
                *ret = f->series[idx];
                return 0;
        }

        Series **a = reallocarray(f->series, f->n_series + 1, sizeof(Series *));
        if (!a)
                return -ENOMEM;
        f->series = a;
        Series *s = series_new(f, values);
        if (!s)
                return -ENOMEM;
        memmove(f->series + idx + 1, f->series + idx, (f->n_series - idx) * sizeof(Series *));
        f->series[idx] = s;
        f->n_series++;
        *ret = s;
        return 1;
}

static int family_remove_series(MetricFamily *f, const char *const *values) {
        size_t idx;
        int r;

        r = values_check(f, values);
        if (r < 0)
                return r;
        if (!family_find(f, values, &idx))
                return 0;
        series_free(f->series[idx], f->n_labels);
        memmove(f->series + idx, f->series + idx + 1, (f->n_series - idx - 1) * sizeof(Series *));
        f->n_series--;
        return 1;
}

static void family_clear(MetricFamily *f) {
        for (size_t i = 0; i < f->n_series; i++)
                series_free(f->series[i], f->n_labels);
        f->n_series = 0;
}

/* ---- families ----------------------------------------------------------------------------- */

static MetricFamily *family_free(MetricFamily *f) {
        if (!f)
                return NULL;
        family_clear(f);
        free(f->series);
        for (size_t i = 0; i < f->n_labels; i++)
                free(f->labels[i]);
        free(f->labels);
        free(f->buckets);
        free(f->name);
        free(f->help);
        free(f);
        return NULL;
}

static void family_freep(MetricFamily **f) {
        family_free(*f);
}

static bool name_valid(const char *s, bool colon) {
        if (isempty(s))
                return false;
        for (const char *p = s; *p; p++) {
                char c = *p;
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                          (colon && c == ':') || (p != s && c >= '0' && c <= '9');
                if (!ok)
                        return false;
        }
        return true;
}

static int labels_check(MetricType type, const char *const *labels, size_t *ret_n) {
        size_t n = 0;

        for (; labels && labels[n]; n++) {
                if (!name_valid(labels[n], false) || startswith(labels[n], "__"))
                        return -EINVAL;
                if (type == METRIC_HISTOGRAM && streq(labels[n], "le"))
                        return -EINVAL;
                for (size_t j = 0; j < n; j++)
                        if (streq(labels[j], labels[n]))
                                return -EINVAL;
        }
        if (n > METRICS_LABELS_MAX)
                return -EINVAL;
        *ret_n = n;
        return 0;
}

static int buckets_check(const double *buckets, size_t n) {
        if (n > 0 && !buckets)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (!isfinite(buckets[i]))
                        return -EINVAL;
                if (i > 0 && !(buckets[i] > buckets[i - 1]))
                        return -EINVAL;
        }
        return 0;
}

static int family_new(MetricType type, const char *name, const char *help,
                      const char *const *labels, const double *buckets, size_t n_buckets,
                      MetricFamily **ret) {
        _cleanup_(family_freep) MetricFamily *f = NULL;
        size_t n_labels;
        int r;

        if (!name_valid(name, true) || !help)
                return -EINVAL;
        r = labels_check(type, labels, &n_labels);
        if (r < 0)
                return r;
        r = buckets_check(buckets, n_buckets);
        if (r < 0)
                return r;

        f = calloc(1, sizeof(MetricFamily));
        if (!f)
                return -ENOMEM;
        f->type = type;
        f->name = strdup(name);
        f->help = strdup(help);
        f->labels = calloc(n_labels ?: 1, sizeof(char *));
        f->buckets = calloc(n_buckets ?: 1, sizeof(double));
        if (!f->name || !f->help || !f->labels || !f->buckets)
                return -ENOMEM;
        for (; f->n_labels < n_labels; f->n_labels++)
                if (!(f->labels[f->n_labels] = strdup(labels[f->n_labels])))
                        return -ENOMEM;
        if (n_buckets > 0)
                memcpy(f->buckets, buckets, n_buckets * sizeof(double));
        f->n_buckets = n_buckets;

        /* A family without labels exists from the start, at 0, like a plain client_golang
         * Counter; one with labels appears with its first series. */
        if (n_labels == 0) {
                Series *unused;
                r = family_get_series(f, NULL, &unused);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(f);
        return 0;
}

static int metrics_add(Metrics *m, MetricType type, const char *name, const char *help,
                       const char *const *labels, const double *buckets, size_t n_buckets,
                       MetricFamily **ret) {
        _cleanup_(family_freep) MetricFamily *f = NULL;
        size_t idx = 0;
        int r;

        if (!m || !ret)
                return -EINVAL;
        r = family_new(type, name, help, labels, buckets, n_buckets, &f);
        if (r < 0)
                return r;

        while (idx < m->n_families && strcmp(m->families[idx]->name, name) < 0)
                idx++;
        if (idx < m->n_families && streq(m->families[idx]->name, name))
                return -EEXIST;

        MetricFamily **a = reallocarray(m->families, m->n_families + 1, sizeof(MetricFamily *));
        if (!a)
                return -ENOMEM;
        m->families = a;
        memmove(m->families + idx + 1, m->families + idx,
                (m->n_families - idx) * sizeof(MetricFamily *));
        m->families[idx] = f;
        m->n_families++;
        *ret = TAKE_PTR(f);
        return 0;
}

int metrics_new(Metrics **ret) {
        Metrics *m = calloc(1, sizeof(Metrics));

        if (!m)
                return -ENOMEM;
        *ret = m;
        return 0;
}

Metrics *metrics_free(Metrics *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_families; i++)
                family_free(m->families[i]);
        free(m->families);
        free(m);
        return NULL;
}

/* The typed handles are the family itself: the public types are never defined, so the
 * compiler keeps a gauge from being passed where a counter is expected. */
int metrics_add_counter(Metrics *m, const char *name, const char *help, const char *const *labels,
                        MetricCounter **ret) {
        return metrics_add(m, METRIC_COUNTER, name, help, labels, NULL, 0, (MetricFamily **) ret);
}

int metrics_add_gauge(Metrics *m, const char *name, const char *help, const char *const *labels,
                      MetricGauge **ret) {
        return metrics_add(m, METRIC_GAUGE, name, help, labels, NULL, 0, (MetricFamily **) ret);
}

int metrics_add_histogram(Metrics *m, const char *name, const char *help, const char *const *labels,
                          const double *buckets, size_t n_buckets, MetricHistogram **ret) {
        return metrics_add(m, METRIC_HISTOGRAM, name, help, labels, buckets, n_buckets,
                           (MetricFamily **) ret);
}

/* ---- updates ------------------------------------------------------------------------------ */

#define FAMILY(h) ((MetricFamily *) (h))

/* Collects the family's label values from the variadic arguments after last. */
#define COLLECT_VALUES(f, last, vals)                                                              \
        const char *vals[METRICS_LABELS_MAX + 1] = {};                                             \
        do {                                                                                       \
                va_list _ap;                                                                       \
                va_start(_ap, last);                                                               \
                for (size_t _i = 0; _i < (f)->n_labels; _i++)                                      \
                        vals[_i] = va_arg(_ap, const char *);                                      \
                va_end(_ap);                                                                       \
        } while (0)

static int family_update(MetricFamily *f, MetricType type, double v, bool set,
                         const char *const *values) {
        Series *s;
        int r;

        if (!f || f->type != type || isnan(v))
                return -EINVAL;
        r = family_get_series(f, values, &s);
        if (r < 0)
                return r;
        s->value = set ? v : s->value + v;
        return 0;
}

int metrics_counter_addv(MetricCounter *c, double delta, const char *const *values) {
        if (delta < 0)
                return -EINVAL;
        return family_update(FAMILY(c), METRIC_COUNTER, delta, false, values);
}

int metrics_counter_add(MetricCounter *c, double delta, ...) {
        if (!c)
                return -EINVAL;
        COLLECT_VALUES(FAMILY(c), delta, vals);
        return metrics_counter_addv(c, delta, vals);
}

int metrics_counter_inc(MetricCounter *c, ...) {
        if (!c)
                return -EINVAL;
        COLLECT_VALUES(FAMILY(c), c, vals);
        return metrics_counter_addv(c, 1, vals);
}

int metrics_gauge_setv(MetricGauge *g, double value, const char *const *values) {
        return family_update(FAMILY(g), METRIC_GAUGE, value, true, values);
}

int metrics_gauge_addv(MetricGauge *g, double delta, const char *const *values) {
        return family_update(FAMILY(g), METRIC_GAUGE, delta, false, values);
}

int metrics_gauge_set(MetricGauge *g, double value, ...) {
        if (!g)
                return -EINVAL;
        COLLECT_VALUES(FAMILY(g), value, vals);
        return metrics_gauge_setv(g, value, vals);
}

int metrics_gauge_add(MetricGauge *g, double delta, ...) {
        if (!g)
                return -EINVAL;
        COLLECT_VALUES(FAMILY(g), delta, vals);
        return metrics_gauge_addv(g, delta, vals);
}

int metrics_histogram_observev(MetricHistogram *h, double value, const char *const *values) {
        MetricFamily *f = FAMILY(h);
        Series *s;
        int r;

        if (!f || f->type != METRIC_HISTOGRAM || isnan(value))
                return -EINVAL;
        r = family_get_series(f, values, &s);
        if (r < 0)
                return r;
        /* The first bucket whose upper bound holds value; none means only +Inf. */
        for (size_t i = 0; i < f->n_buckets; i++)
                if (value <= f->buckets[i]) {
                        s->bucket_counts[i]++;
                        break;
                }
        s->sum += value;
        s->count++;
        return 0;
}

int metrics_histogram_observe(MetricHistogram *h, double value, ...) {
        if (!h)
                return -EINVAL;
        COLLECT_VALUES(FAMILY(h), value, vals);
        return metrics_histogram_observev(h, value, vals);
}

static int family_removev(MetricFamily *f, MetricType type, const char *const *values) {
        if (!f || f->type != type)
                return -EINVAL;
        return family_remove_series(f, values);
}

int metrics_counter_removev(MetricCounter *c, const char *const *values) {
        return family_removev(FAMILY(c), METRIC_COUNTER, values);
}

int metrics_gauge_removev(MetricGauge *g, const char *const *values) {
        return family_removev(FAMILY(g), METRIC_GAUGE, values);
}

int metrics_histogram_removev(MetricHistogram *h, const char *const *values) {
        return family_removev(FAMILY(h), METRIC_HISTOGRAM, values);
}

int metrics_counter_remove(MetricCounter *c, ...) {
        if (!c)
                return -EINVAL;
        COLLECT_VALUES(FAMILY(c), c, vals);
        return metrics_counter_removev(c, vals);
}

int metrics_gauge_remove(MetricGauge *g, ...) {
        if (!g)
                return -EINVAL;
        COLLECT_VALUES(FAMILY(g), g, vals);
        return metrics_gauge_removev(g, vals);
}

int metrics_histogram_remove(MetricHistogram *h, ...) {
        if (!h)
                return -EINVAL;
        COLLECT_VALUES(FAMILY(h), h, vals);
        return metrics_histogram_removev(h, vals);
}

void metrics_gauge_clear(MetricGauge *g) {
        if (g && FAMILY(g)->type == METRIC_GAUGE)
                family_clear(FAMILY(g));
}

static int family_getv(MetricFamily *f, MetricType type, const char *const *values, double *ret) {
        size_t idx;
        int r;

        if (!f || f->type != type)
                return -EINVAL;
        r = values_check(f, values);
        if (r < 0)
                return r;
        if (!family_find(f, values, &idx))
                return -ENOENT;
        *ret = f->series[idx]->value;
        return 0;
}

int metrics_counter_getv(MetricCounter *c, const char *const *values, double *ret) {
        return family_getv(FAMILY(c), METRIC_COUNTER, values, ret);
}

int metrics_gauge_getv(MetricGauge *g, const char *const *values, double *ret) {
        return family_getv(FAMILY(g), METRIC_GAUGE, values, ret);
}

/* ---- exposition --------------------------------------------------------------------------- */

const char *metrics_format_number(double v, char buf[static METRICS_NUMBER_MAX]) {
        int digits, exp;

        if (isnan(v))
                return strcpy(buf, "NaN");
        if (isinf(v))
                return strcpy(buf, v > 0 ? "+Inf" : "-Inf");
        /* The fewest significant digits that read back as v. */
        for (digits = 1; digits < 17; digits++) {
                snprintf(buf, METRICS_NUMBER_MAX, "%.*e", digits - 1, v);
                if (strtod(buf, NULL) == v)
                        break;
        }
        snprintf(buf, METRICS_NUMBER_MAX, "%.*e", digits - 1, v);
        exp = atoi(strchr(buf, 'e') + 1);
        /* Plain notation where it is short and exact (counts, Unix timestamps, bucket bounds),
         * exponent notation for the very large and very small. */
        if (exp >= -4 && exp < 16)
                snprintf(buf, METRICS_NUMBER_MAX, "%.*f", MAX(digits - 1 - exp, 0), v);
        return buf;
}

static void write_escaped(FILE *f, const char *s, bool quote) {
        for (; *s; s++)
                if (*s == '\\')
                        fputs("\\\\", f);
                else if (*s == '\n')
                        fputs("\\n", f);
                else if (quote && *s == '"')
                        fputs("\\\"", f);
                else
                        fputc(*s, f);
}

/* {a="x",b="y"} plus an optional le="..." at the end; nothing at all if there are no labels. */
static void write_labels(FILE *f, const MetricFamily *fam, const Series *s, const char *le) {
        if (fam->n_labels == 0 && !le)
                return;
        fputc('{', f);
        for (size_t i = 0; i < fam->n_labels; i++) {
                fprintf(f, "%s%s=\"", i > 0 ? "," : "", fam->labels[i]);
                write_escaped(f, s->values[i], true);
                fputc('"', f);
        }
        if (le)
                fprintf(f, "%sle=\"%s\"", fam->n_labels > 0 ? "," : "", le);
        fputc('}', f);
}

static void write_histogram_series(FILE *f, const MetricFamily *fam, const Series *s) {
        char num[METRICS_NUMBER_MAX];
        uint64_t cumulative = 0;

        for (size_t i = 0; i < fam->n_buckets; i++) {
                cumulative += s->bucket_counts[i];
                fprintf(f, "%s_bucket", fam->name);
                write_labels(f, fam, s, metrics_format_number(fam->buckets[i], num));
                fprintf(f, " %" PRIu64 "\n", cumulative);
        }
        fprintf(f, "%s_bucket", fam->name);
        write_labels(f, fam, s, "+Inf");
        fprintf(f, " %" PRIu64 "\n", s->count);
        fprintf(f, "%s_sum", fam->name);
        write_labels(f, fam, s, NULL);
        fprintf(f, " %s\n", metrics_format_number(s->sum, num));
        fprintf(f, "%s_count", fam->name);
        write_labels(f, fam, s, NULL);
        fprintf(f, " %" PRIu64 "\n", s->count);
}

static void write_family(FILE *f, const MetricFamily *fam) {
        char num[METRICS_NUMBER_MAX];

        if (fam->n_series == 0)
                return;
        fprintf(f, "# HELP %s ", fam->name);
        write_escaped(f, fam->help, false);
        fprintf(f, "\n# TYPE %s %s\n", fam->name, metric_type_to_string(fam->type));
        for (size_t i = 0; i < fam->n_series; i++) {
                const Series *s = fam->series[i];
                if (fam->type == METRIC_HISTOGRAM) {
                        write_histogram_series(f, fam, s);
                        continue;
                }
                fputs(fam->name, f);
                write_labels(f, fam, s, NULL);
                fprintf(f, " %s\n", metrics_format_number(s->value, num));
        }
}

int metrics_format(const Metrics *m, char **ret, size_t *ret_size) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        if (!m)
                return -EINVAL;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_families; i++)
                write_family(f, m->families[i]);
        bool failed = ferror(f);
        if (fclose(f) != 0 || failed) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        if (ret_size)
                *ret_size = size;
        return 0;
}
