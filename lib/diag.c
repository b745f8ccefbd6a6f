/* SPDX-License-Identifier: MIT */
#include <jansson.h>
#include <stdarg.h>

#include "lib/diag.h"
#include "lib/string-table.h"

static const char *const diag_severity_table[] = {
        [DIAG_ERROR] = "error",
        [DIAG_WARNING] = "warning",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(diag_severity, DiagSeverity);

void diag_list_init(DiagList *l) {
        *l = (DiagList){};
}

void diag_list_clear(DiagList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].path);
                free(l->items[i].message);
        }
        l->n = l->n_errors = 0;
}

void diag_list_done(DiagList *l) {
        if (!l)
                return;
        diag_list_clear(l);
        free(l->items);
        *l = (DiagList){};
}

static int diag_push(DiagList *l, DiagSeverity severity, const char *path, unsigned line,
                     unsigned column, char *message) {
        if (l->n == l->allocated) {
                size_t k = MAX(8u, l->allocated * 2);
                Diag *p = realloc(l->items, k * sizeof(Diag));
                if (!p)
                        return -ENOMEM;
                l->items = p;
                l->allocated = k;
        }
        char *p = strdup(path ?: "-");
        if (!p)
                return -ENOMEM;
        l->items[l->n++] = (Diag){
                .path = p,
                .line = line,
                .column = column,
                .severity = severity,
                .message = message,
        };
        if (severity == DIAG_ERROR)
                l->n_errors++;
        return 0;
}

int diag_addv(DiagList *l, DiagSeverity severity, const char *path, unsigned line, unsigned column,
              const char *format, va_list ap) {
        char *m;
        int r;

        if (vasprintf(&m, format, ap) < 0)
                return -ENOMEM;
        r = diag_push(l, severity, path, line, column, m);
        if (r < 0) {
                free(m);
                return r;
        }
        return severity == DIAG_ERROR ? -EINVAL : 0;
}

int diag_add(DiagList *l, DiagSeverity severity, const char *path, unsigned line, unsigned column,
             const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = diag_addv(l, severity, path, line, column, format, ap);
        va_end(ap);
        return r;
}

int diag_list_append(DiagList *dst, const DiagList *src) {
        for (size_t i = 0; i < src->n; i++) {
                const Diag *d = &src->items[i];
                char *m = strdup(d->message);
                if (!m)
                        return -ENOMEM;
                int r = diag_push(dst, d->severity, d->path, d->line, d->column, m);
                if (r < 0) {
                        free(m);
                        return r;
                }
        }
        return 0;
}

static int diag_compare(const void *a, const void *b) {
        const Diag *x = a, *y = b;
        int c = strcmp(x->path, y->path);

        if (c != 0)
                return c;
        if (x->line != y->line)
                return x->line < y->line ? -1 : 1;
        if (x->column != y->column)
                return x->column < y->column ? -1 : 1;
        return 0;
}

void diag_list_sort(DiagList *l) {
        /* qsort is not stable; break ties by original order via a temporary index. */
        for (size_t i = 1; i < l->n; i++) {
                Diag cur = l->items[i];
                size_t j = i;
                while (j > 0 && diag_compare(&l->items[j - 1], &cur) > 0) {
                        l->items[j] = l->items[j - 1];
                        j--;
                }
                l->items[j] = cur;
        }
}

int diag_format(const Diag *d, char **ret) {
        char *s;
        int k;

        k = d->line == DIAG_LINE_NONE ? asprintf(&s, "%s: %s: %s", d->path,
                                                 diag_severity_to_string(d->severity), d->message)
                                      : asprintf(&s, "%s:%u:%u: %s: %s", d->path, MAX(d->line, 1u),
                                                 MAX(d->column, 1u),
                                                 diag_severity_to_string(d->severity), d->message);
        if (k < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

void diag_list_print(const DiagList *l, FILE *f) {
        for (size_t i = 0; i < l->n; i++) {
                _cleanup_free_ char *s = NULL;
                if (diag_format(&l->items[i], &s) >= 0)
                        fprintf(f, "%s\n", s);
        }
}

int diag_list_to_json(const DiagList *l, char **ret) {
        json_t *a = json_array();
        char *s;

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < l->n; i++) {
                const Diag *d = &l->items[i];
                bool none = d->line == DIAG_LINE_NONE;
                json_t *o = json_pack("{s:s, s:i, s:i, s:s, s:s}", "path", d->path, "line",
                                      none ? 0 : (int) MAX(d->line, 1u), "column",
                                      none ? 0 : (int) MAX(d->column, 1u), "severity",
                                      diag_severity_to_string(d->severity), "message", d->message);
                if (!o || json_array_append_new(a, o) < 0) {
                        json_decref(a);
                        return -ENOMEM;
                }
        }
        s = json_dumps(a, JSON_INDENT(2));
        json_decref(a);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
