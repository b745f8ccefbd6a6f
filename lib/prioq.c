/* SPDX-License-Identifier: MIT */
#include "lib/prioq.h"

typedef struct PrioqItem {
        void *data;
        unsigned *idx;
} PrioqItem;

struct Prioq {
        prioq_compare_func_t compare;
        PrioqItem *items;
        unsigned n_items;
        unsigned n_allocated;
};

Prioq *prioq_new(prioq_compare_func_t compare) {
        Prioq *q = calloc(1, sizeof(Prioq));

        if (q)
                q->compare = compare;
        return q;
}

Prioq *prioq_free(Prioq *q) {
        if (!q)
                return NULL;
        free(q->items);
        free(q);
        return NULL;
}

static void prioq_set(Prioq *q, unsigned i, PrioqItem item) {
        q->items[i] = item;
        if (item.idx)
                *item.idx = i;
}

static bool prioq_less(const Prioq *q, unsigned a, unsigned b) {
        return q->compare(q->items[a].data, q->items[b].data) < 0;
}

static void prioq_swap(Prioq *q, unsigned a, unsigned b) {
        PrioqItem t = q->items[a];

        prioq_set(q, a, q->items[b]);
        prioq_set(q, b, t);
}

/* Moves item i towards the root while it is smaller than its parent; returns its new place. */
static unsigned prioq_shift_up(Prioq *q, unsigned i) {
        while (i > 0) {
                unsigned parent = (i - 1) / 2;

                if (!prioq_less(q, i, parent))
                        break;
                prioq_swap(q, i, parent);
                i = parent;
        }
        return i;
}

static void prioq_shift_down(Prioq *q, unsigned i) {
        for (;;) {
                unsigned left = 2 * i + 1, right = left + 1, smallest = i;

                if (left < q->n_items && prioq_less(q, left, smallest))
                        smallest = left;
                if (right < q->n_items && prioq_less(q, right, smallest))
                        smallest = right;
                if (smallest == i)
                        return;
                prioq_swap(q, i, smallest);
                i = smallest;
        }
}

int prioq_put(Prioq *q, void *data, unsigned *idx) {
        if (q->n_items >= q->n_allocated) {
                unsigned n = MAX(16u, q->n_allocated * 2);
                PrioqItem *items;

                if (q->n_allocated > UINT_MAX / 4)
                        return -ENOMEM;
                items = reallocarray(q->items, n, sizeof(PrioqItem));
                if (!items)
                        return -ENOMEM;
                q->items = items;
                q->n_allocated = n;
        }
        prioq_set(q, q->n_items++, (PrioqItem){ .data = data, .idx = idx });
        prioq_shift_up(q, q->n_items - 1);
        return 1;
}

/* The position of data, or PRIOQ_IDX_NULL. */
static unsigned prioq_find(const Prioq *q, void *data, unsigned *idx) {
        if (idx)
                return *idx < q->n_items && q->items[*idx].data == data ? *idx : PRIOQ_IDX_NULL;
        for (unsigned i = 0; i < q->n_items; i++)
                if (q->items[i].data == data)
                        return i;
        return PRIOQ_IDX_NULL;
}

/* Takes out the item at i: the last item fills the hole and moves up or down to its place. */
static void prioq_remove_at(Prioq *q, unsigned i) {
        unsigned last = --q->n_items;

        if (q->items[i].idx)
                *q->items[i].idx = PRIOQ_IDX_NULL;
        if (i == last)
                return;
        prioq_set(q, i, q->items[last]);
        if (prioq_shift_up(q, i) == i)
                prioq_shift_down(q, i);
}

int prioq_remove(Prioq *q, void *data, unsigned *idx) {
        unsigned i = prioq_find(q, data, idx);

        if (i == PRIOQ_IDX_NULL)
                return 0;
        prioq_remove_at(q, i);
        return 1;
}

int prioq_reshuffle(Prioq *q, void *data, unsigned *idx) {
        unsigned i = prioq_find(q, data, idx);

        if (i == PRIOQ_IDX_NULL)
                return 0;
        if (prioq_shift_up(q, i) == i)
                prioq_shift_down(q, i);
        return 1;
}

void *prioq_peek(const Prioq *q) {
        return q && q->n_items > 0 ? q->items[0].data : NULL;
}

void *prioq_pop(Prioq *q) {
        void *data = prioq_peek(q);

        if (data)
                prioq_remove_at(q, 0);
        return data;
}

unsigned prioq_size(const Prioq *q) {
        return q ? q->n_items : 0;
}
