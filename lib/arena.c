/* SPDX-License-Identifier: MIT */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"

#define ARENA_CHUNK_SIZE (64u * 1024u)
#define ARENA_ALIGN alignof(max_align_t)

struct ArenaChunk {
        ArenaChunk *next;
        size_t size; /* bytes of data */
        alignas(max_align_t) unsigned char data[];
};

static size_t align_up(size_t n) {
        return (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
}

static ArenaChunk *chunk_new(size_t size) {
        ArenaChunk *c;

        if (size > SIZE_MAX - sizeof(ArenaChunk))
                return NULL;
        c = malloc(sizeof(ArenaChunk) + size);
        if (c)
                c->size = size;
        return c;
}

/* A request bigger than a quarter chunk gets a chunk of its own, linked behind the current
 * one so that the room left there is still used. */
static void *arena_alloc_large(Arena *a, size_t size) {
        ArenaChunk *c = chunk_new(size);

        if (!c)
                return NULL;
        if (a->chunks) {
                c->next = a->chunks->next;
                a->chunks->next = c;
        } else {
                c->next = NULL;
                a->chunks = c;
                a->used = size;
        }
        return c->data;
}

void *arena_alloc(Arena *a, size_t size) {
        ArenaChunk *c = a->chunks;
        void *p;

        size = align_up(size ?: 1);
        if (size == 0) /* overflowed */
                return NULL;
        if (!c || c->size - a->used < size) {
                if (size > ARENA_CHUNK_SIZE / 4)
                        return arena_alloc_large(a, size);
                c = chunk_new(ARENA_CHUNK_SIZE);
                if (!c)
                        return NULL;
                c->next = a->chunks;
                a->chunks = c;
                a->used = 0;
        }
        p = c->data + a->used;
        a->used += size;
        return p;
}

void *arena_alloc0(Arena *a, size_t size) {
        void *p = arena_alloc(a, size);

        return p ? memset(p, 0, size) : NULL;
}

void *arena_memdup(Arena *a, const void *p, size_t size) {
        void *q = arena_alloc(a, size);

        return q && size > 0 ? memcpy(q, p, size) : q;
}

char *arena_strndup(Arena *a, const char *s, size_t n) {
        char *q = n < SIZE_MAX ? arena_alloc(a, n + 1) : NULL;

        if (!q)
                return NULL;
        memcpy(q, s, n);
        q[n] = 0;
        return q;
}

void arena_done(Arena *a) {
        while (a->chunks) {
                ArenaChunk *c = a->chunks;
                a->chunks = c->next;
                free(c);
        }
        a->used = 0;
}
