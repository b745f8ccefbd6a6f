/* SPDX-License-Identifier: MIT */
#pragma once

/* A bump allocator for many small objects that die together (the nodes and scalars of a
 * parsed YAML file): one malloc per chunk instead of one per object, and one free per chunk.
 * Freeing a few hundred thousand small chunks one by one was a visible part of loading
 * 10,000 documents, and their fragments made glibc's malloc_consolidate() expensive.
 *
 * Memory is 16-byte aligned (max_align_t), not zeroed unless asked, and stays valid until
 * arena_done(). An Arena is zero-initialised ("Arena a = {};") and needs no setup. */

#include <stddef.h>

typedef struct ArenaChunk ArenaChunk;

typedef struct Arena {
        ArenaChunk *chunks; /* the current chunk first */
        size_t used;        /* bytes used in the current chunk */
} Arena;

/* NULL on allocation failure (or size 0 is fine: a valid unique pointer). */
void *arena_alloc(Arena *a, size_t size);
void *arena_alloc0(Arena *a, size_t size);
/* A NUL-terminated copy of the n bytes at s. */
char *arena_strndup(Arena *a, const char *s, size_t n);
void *arena_memdup(Arena *a, const void *p, size_t size);
/* Frees every chunk; a is empty (and usable) again. */
void arena_done(Arena *a);
