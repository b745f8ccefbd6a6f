/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>

#include "lib/ini.h"

typedef struct IniParser {
        const char *path;
        DiagList *diags;
        IniFile *file;
        char *section; /* current section, "" before the first */
        size_t allocated;
        unsigned n_errors;
} IniParser;

static void entry_done(IniEntry *e) {
        free(e->section);
        free(e->key);
        if (e->value) {
                explicit_bzero(e->value, strlen(e->value));
                free(e->value);
        }
}

IniFile *ini_file_free(IniFile *f) {
        if (!f)
                return NULL;
        for (size_t i = 0; i < f->n_entries; i++)
                entry_done(&f->entries[i]);
        free(f->entries);
        strv_free(f->sections);
        free(f);
        return NULL;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* [*b, *e) without leading and trailing white space. */
static void trim(const char **b, const char **e) {
        while (*b < *e && is_blank(**b))
                (*b)++;
        while (*e > *b && is_blank((*e)[-1]))
                (*e)--;
}

static unsigned column_of(const char *line, const char *p) {
        return (unsigned) (p - line) + 1;
}

static int parser_error(IniParser *p, unsigned line, unsigned column, const char *message) {
        p->n_errors++;
        if (!p->diags)
                return 0;
        /* -EINVAL is the normal answer of diag_error(); only -ENOMEM stops the parse. */
        int r = diag_error(p->diags, p->path, line, column, "%s", message);
        return r == -ENOMEM ? r : 0;
}

static int parser_add_section(IniParser *p, const char *name, size_t n) {
        IniFile *f = p->file;
        char *s = strndup(name, n);
        if (!s)
                return -ENOMEM;
        free(p->section);
        p->section = s;

        for (size_t i = 0; i < f->n_sections; i++)
                if (streq(f->sections[i], s))
                        return 0;
        if (f->n_sections >= INI_ENTRIES_MAX)
                return -E2BIG;
        char **l = realloc(f->sections, (f->n_sections + 2) * sizeof(char *));
        if (!l)
                return -ENOMEM;
        f->sections = l;
        l[f->n_sections] = strdup(s);
        if (!l[f->n_sections])
                return -ENOMEM;
        l[++f->n_sections] = NULL;
        return 0;
}

static int parse_section(IniParser *p, const char *line, const char *b, const char *e,
                         unsigned lineno) {
        const char *close = memchr(b, ']', (size_t) (e - b));
        if (!close)
                return parser_error(p, lineno, column_of(line, b),
                                    "unterminated '[' in section header");
        const char *rest = close + 1, *rest_end = e;
        trim(&rest, &rest_end);
        if (rest != rest_end && *rest != '#' && *rest != ';')
                return parser_error(p, lineno, column_of(line, rest),
                                    "unexpected text after section header");
        const char *nb = b + 1, *ne = close;
        trim(&nb, &ne);
        if (nb == ne)
                return parser_error(p, lineno, column_of(line, b), "empty section name");
        return parser_add_section(p, nb, (size_t) (ne - nb));
}

static int parser_push(IniParser *p, IniEntry *entry) {
        IniFile *f = p->file;
        if (f->n_entries >= INI_ENTRIES_MAX)
                return -E2BIG;
        if (f->n_entries == p->allocated) {
                size_t k = MAX((size_t) 8, p->allocated * 2);
                IniEntry *l = realloc(f->entries, k * sizeof(IniEntry));
                if (!l)
                        return -ENOMEM;
                f->entries = l;
                p->allocated = k;
        }
        f->entries[f->n_entries++] = *entry;
        return 0;
}

/* Drops one pair of matching surrounding quotes. */
static void unquote(const char **b, const char **e) {
        if (*e - *b >= 2 && (**b == '"' || **b == '\'') && (*e)[-1] == **b) {
                (*b)++;
                (*e)--;
        }
}

static int parse_assignment(IniParser *p, const char *line, const char *b, const char *e,
                            unsigned lineno) {
        const char *sep = b;
        while (sep < e && *sep != '=' && *sep != ':')
                sep++;
        if (sep == e)
                /* Never quote the line: it may be a secret that lost its "key =". */
                return parser_error(p, lineno, column_of(line, b), "expected 'key = value'");

        const char *kb = b, *ke = sep, *vb = sep + 1, *ve = e;
        trim(&kb, &ke);
        trim(&vb, &ve);
        if (kb == ke)
                return parser_error(p, lineno, column_of(line, b), "empty key");
        unquote(&vb, &ve);

        _cleanup_free_ char *key = strndup(kb, (size_t) (ke - kb));
        if (!key)
                return -ENOMEM;
        if (ini_find(p->file, p->section, key)) {
                _cleanup_free_ char *m = NULL;
                if (asprintf(&m, "duplicate key '%s' in section '%s'", key, p->section) < 0)
                        return -ENOMEM;
                return parser_error(p, lineno, column_of(line, kb), m);
        }

        IniEntry entry = {
                .section = strdup(p->section),
                .key = TAKE_PTR(key),
                .value = strndup(vb, (size_t) (ve - vb)),
                .line = lineno,
                .column = column_of(line, vb),
        };
        int r = entry.section && entry.value ? parser_push(p, &entry) : -ENOMEM;
        if (r < 0)
                entry_done(&entry);
        return r;
}

static int parse_line(IniParser *p, const char *line, const char *end, unsigned lineno) {
        const char *b = line, *e = end;

        const char *nul = memchr(line, '\0', (size_t) (end - line));
        if (nul)
                return parser_error(p, lineno, column_of(line, nul), "NUL byte in file");
        trim(&b, &e);
        if (b == e || *b == '#' || *b == ';')
                return 0;
        if (*b == '[')
                return parse_section(p, line, b, e, lineno);
        return parse_assignment(p, line, b, e, lineno);
}

int ini_parse(const char *text, size_t size, const char *path, DiagList *diags, IniFile **ret) {
        IniParser p = { .path = path, .diags = diags };
        int r = 0;

        if (size > INI_SIZE_MAX)
                return -EFBIG;
        p.file = calloc(1, sizeof(IniFile));
        p.section = strdup("");
        if (!p.file || !p.section) {
                r = -ENOMEM;
                goto finish;
        }

        const char *s = text, *end = text + size;
        if (size >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
                s += 3;
        for (unsigned lineno = 1; s < end && r >= 0; lineno++) {
                const char *nl = memchr(s, '\n', (size_t) (end - s));
                const char *eol = nl ?: end;
                r = parse_line(&p, s, eol, lineno);
                s = nl ? nl + 1 : end;
        }
        if (r >= 0 && p.n_errors > 0)
                r = -EINVAL;

finish:
        free(p.section);
        if (r < 0) {
                ini_file_free(p.file);
                return r;
        }
        *ret = p.file;
        return 0;
}

int ini_parse_file(const char *path, DiagList *diags, IniFile **ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        struct stat st;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (st.st_size > (off_t) INI_SIZE_MAX)
                return -EFBIG;

        /* Read up to one byte more than the cap to notice files that grew. */
        size_t cap = INI_SIZE_MAX + 1, n = 0;
        char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        int r = 0;
        for (;;) {
                ssize_t k = read(fd, buf + n, cap - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n == cap) {
                        r = -EFBIG;
                        break;
                }
        }
        if (r >= 0)
                r = ini_parse(buf, n, path, diags, ret);
        explicit_bzero(buf, n);
        free(buf);
        return r;
}

const IniEntry *ini_find(const IniFile *f, const char *section, const char *key) {
        if (!f)
                return NULL;
        section = section ?: "";
        for (size_t i = 0; i < f->n_entries; i++)
                if (streq(f->entries[i].section, section) &&
                    strcasecmp(f->entries[i].key, key) == 0)
                        return &f->entries[i];
        return NULL;
}

const char *ini_get(const IniFile *f, const char *section, const char *key) {
        const IniEntry *e = ini_find(f, section, key);
        return e ? e->value : NULL;
}

bool ini_has_section(const IniFile *f, const char *section) {
        if (!f)
                return false;
        if (isempty(section)) {
                for (size_t i = 0; i < f->n_entries; i++)
                        if (f->entries[i].section[0] == '\0')
                                return true;
                return false;
        }
        for (size_t i = 0; i < f->n_sections; i++)
                if (streq(f->sections[i], section))
                        return true;
        return false;
}
