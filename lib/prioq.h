/* SPDX-License-Identifier: MIT */
#pragma once

/* A binary min-heap of opaque pointers (after systemd's Prioq). Each element may carry an index
 * slot (unsigned *idx, owned by the element) that the heap keeps up to date, so that removing or
 * re-ordering an element after its key changed is O(log n) instead of a search. An element
 * whose idx slot holds PRIOQ_IDX_NULL is not in the heap. The heap never frees elements. */

#include <limits.h>
#include <stdbool.h>

#include "lib/macro.h"

#define PRIOQ_IDX_NULL UINT_MAX

/* Like strcmp(): < 0 when a must come out before b. */
typedef int (*prioq_compare_func_t)(const void *a, const void *b);

typedef struct Prioq Prioq;

Prioq *prioq_new(prioq_compare_func_t compare);
Prioq *prioq_free(Prioq *q);
DEFINE_TRIVIAL_CLEANUP_FUNC(Prioq *, prioq_free);

/* Adds data; idx (may be NULL) receives its position and is updated as it moves. 1 or -ENOMEM. */
int prioq_put(Prioq *q, void *data, unsigned *idx);
/* Removes data; with idx the lookup is O(1), without it a linear search. 1 when removed, 0 when
 * data was not in the heap. Sets *idx to PRIOQ_IDX_NULL. */
int prioq_remove(Prioq *q, void *data, unsigned *idx);
/* Restores the order after data's key changed. 1 when data is in the heap, 0 otherwise. */
int prioq_reshuffle(Prioq *q, void *data, unsigned *idx);
/* The first element (NULL when empty), without or with taking it out. */
void *prioq_peek(const Prioq *q);
void *prioq_pop(Prioq *q);
unsigned prioq_size(const Prioq *q);
