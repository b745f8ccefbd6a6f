/* SPDX-License-Identifier: MIT */
/* The reference for `asyncfg validate`'s load rate: libyaml's event parser over the same files
 * and nothing else (no tree, no schema, no diagnostics). Counts documents.
 *
 *   yaml-events FILE...
 *   -> "N documents, M events in F files"
 *
 * Exits 1 when a file cannot be read or does not parse. */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

static int count_file(const char *path, unsigned long *docs, unsigned long *events) {
        yaml_parser_t parser;
        yaml_event_t event;
        FILE *f = fopen(path, "re");
        int r = 0;

        if (!f) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -1;
        }
        yaml_parser_initialize(&parser);
        yaml_parser_set_input_file(&parser, f);
        for (bool done = false; !done;) {
                if (!yaml_parser_parse(&parser, &event)) {
                        fprintf(stderr, "%s:%zu:%zu: error: %s\n", path,
                                parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                                parser.problem ? parser.problem : "cannot parse");
                        r = -1;
                        break;
                }
                (*events)++;
                *docs += event.type == YAML_DOCUMENT_START_EVENT;
                done = event.type == YAML_STREAM_END_EVENT;
                yaml_event_delete(&event);
        }
        yaml_parser_delete(&parser);
        fclose(f);
        return r;
}

int main(int argc, char **argv) {
        unsigned long docs = 0, events = 0;

        for (int i = 1; i < argc; i++)
                if (count_file(argv[i], &docs, &events) < 0)
                        return 1;
        printf("%lu documents, %lu events in %d files\n", docs, events, argc - 1);
        return 0;
}
