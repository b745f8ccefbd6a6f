/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "lib/json-dump.h"

typedef struct IndentedOut {
        FILE *out;
        size_t indent;
} IndentedOut;

static int indented_write(const char *buffer, size_t size, void *data) {
        static const char spaces[] = "        ";
        IndentedOut *io = data;

        assert(io->indent < sizeof(spaces));
        while (size > 0) {
                const char *nl = memchr(buffer, '\n', size);
                size_t n = nl ? (size_t) (nl - buffer) + 1 : size;

                if (fwrite(buffer, 1, n, io->out) != n)
                        return -1;
                if (nl && fwrite(spaces, 1, io->indent, io->out) != io->indent)
                        return -1;
                buffer += n;
                size -= n;
        }
        return 0;
}

int json_dump_indented(json_t *j, size_t flags, size_t indent, FILE *out) {
        IndentedOut io = { .out = out, .indent = indent };
        int r;

        if (!j)
                return -ENOMEM;
        r = json_dump_callback(j, indented_write, &io, flags);
        json_decref(j);
        return r < 0 ? -EIO : 0;
}

int json_dump_string(const char *s, FILE *out) {
        const unsigned char *p;

        /* Printable ASCII without '"' and '\\' is written as is (jansson escapes '/' only with
         * JSON_ESCAPE_SLASH); anything else goes through jansson, which also checks UTF-8. */
        for (p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
                        break;
        if (*p) {
                json_t *j = json_string(s);
                if (!j)
                        return -ENOMEM;
                return json_dump_indented(j, JSON_ENCODE_ANY, 0, out);
        }
        if (fputc('"', out) == EOF || fputs(s, out) == EOF || fputc('"', out) == EOF)
                return -EIO;
        return 0;
}
