/* SPDX-License-Identifier: MIT */
#pragma once

/* Every cap on user input in one place. Each one, when hit, is a located error, never a crash
 * and never a silent truncation. The values are far above any real desired-state tree and far
 * below what would let one bad file exhaust the daemon's memory. */

#define LIMIT_FILE_SIZE (1024u * 1024u) /* bytes per YAML file */
#define LIMIT_DOCUMENTS_PER_FILE 1000u  /* "---" separated documents */
#define LIMIT_NESTING_DEPTH 32u         /* nested mappings/sequences */
#define LIMIT_SCALAR_LENGTH 4096u       /* bytes per scalar (key or value) */
#define LIMIT_NODES_PER_FILE 200000u    /* nodes of all documents of a file together */
#define LIMIT_FILES                                                                                \
        1000000u                        /* YAML files in the desired-state tree (the daemon
                                          * config's limits.files overrides it) */
#define LIMIT_FILES_MAX 100000000u      /* the most limits.files may say */
#define LIMIT_DIAGNOSTICS_PER_FILE 100u /* after this, one "too many errors" and stop */
#define LIMIT_LABELS 64u                /* metadata.labels entries */
#define LIMIT_DIRECTORY_DEPTH 16u       /* subdirectory levels below the desired-state dir */
