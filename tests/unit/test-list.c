/* SPDX-License-Identifier: MIT */
/* lib/list.h: appends and prepends keep both ends right, unlinking from the head, the middle,
 * the tail and the last item leaves a consistent list with NULL links, and one item can sit on
 * two lists through two pairs of links; the head-only variant does the same with one pointer
 * for the list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/list.h"

typedef struct Item {
        int v;
        struct Item *prev, *next;
        struct Item *b_prev, *b_next;
} Item;

/* The values from head to tail, checked against the walk from tail to head. */
static int walk(Item *head, Item *tail, int *out) {
        int n = 0, m = 0;

        for (Item *i = head; i; i = i->next)
                out[n++] = i->v;
        for (Item *i = tail; i; i = i->prev)
                assert_int_equal(i->v, out[n - 1 - m++]);
        assert_int_equal(n, m);
        return n;
}

static void test_append_prepend_unlink(void **state) {
        Item it[5] = { { .v = 0 }, { .v = 1 }, { .v = 2 }, { .v = 3 }, { .v = 4 } };
        Item *head = NULL, *tail = NULL;
        int out[5];

        DLIST_APPEND(head, tail, &it[1], prev, next);
        DLIST_APPEND(head, tail, &it[2], prev, next);
        DLIST_PREPEND(head, tail, &it[0], prev, next);
        DLIST_APPEND(head, tail, &it[3], prev, next);
        assert_int_equal(walk(head, tail, out), 4);
        for (int i = 0; i < 4; i++)
                assert_int_equal(out[i], i);

        DLIST_UNLINK(head, tail, &it[2], prev, next); /* middle */
        assert_null(it[2].prev);
        assert_null(it[2].next);
        assert_int_equal(walk(head, tail, out), 3);
        assert_int_equal(out[1], 1);
        assert_int_equal(out[2], 3);
        DLIST_UNLINK(head, tail, &it[0], prev, next); /* head */
        DLIST_UNLINK(head, tail, &it[3], prev, next); /* tail */
        assert_ptr_equal(head, &it[1]);
        assert_ptr_equal(tail, &it[1]);
        DLIST_UNLINK(head, tail, &it[1], prev, next); /* the last one */
        assert_null(head);
        assert_null(tail);
        DLIST_PREPEND(head, tail, &it[4], prev, next); /* prepending to an empty list */
        assert_ptr_equal(head, &it[4]);
        assert_ptr_equal(tail, &it[4]);
}

static void test_two_lists(void **state) {
        Item it[3] = { { .v = 0 }, { .v = 1 }, { .v = 2 } };
        Item *a_head = NULL, *a_tail = NULL, *b_head = NULL, *b_tail = NULL;

        for (int i = 0; i < 3; i++) {
                DLIST_APPEND(a_head, a_tail, &it[i], prev, next);
                DLIST_PREPEND(b_head, b_tail, &it[i], b_prev, b_next);
        }
        DLIST_UNLINK(a_head, a_tail, &it[1], prev, next);
        assert_ptr_equal(a_head->next, &it[2]);
        assert_ptr_equal(b_head, &it[2]);
        assert_ptr_equal(b_head->b_next, &it[1]); /* still on the other list */
        assert_ptr_equal(b_tail, &it[0]);
}

/* The values from head on, each item's prev checked against the one before it. */
static int walk_head(Item *head, int *out) {
        int n = 0;

        for (Item *i = head, *before = NULL; i; before = i, i = i->next) {
                assert_ptr_equal(i->prev, before);
                out[n++] = i->v;
        }
        return n;
}

static void test_head_only(void **state) {
        Item it[4] = { { .v = 0 }, { .v = 1 }, { .v = 2 }, { .v = 3 } };
        Item *head = NULL;
        int out[4];

        for (int i = 3; i >= 0; i--)
                DLIST_HEAD_PREPEND(head, &it[i], prev, next);
        assert_int_equal(walk_head(head, out), 4);
        for (int i = 0; i < 4; i++)
                assert_int_equal(out[i], i);

        DLIST_HEAD_UNLINK(head, &it[2], prev, next); /* middle */
        assert_null(it[2].prev);
        assert_null(it[2].next);
        assert_int_equal(walk_head(head, out), 3);
        assert_int_equal(out[2], 3);
        DLIST_HEAD_UNLINK(head, &it[3], prev, next); /* last */
        assert_null(it[1].next);
        DLIST_HEAD_UNLINK(head, &it[0], prev, next); /* head */
        assert_ptr_equal(head, &it[1]);
        assert_null(it[1].prev);
        DLIST_HEAD_UNLINK(head, &it[1], prev, next); /* the only one */
        assert_null(head);
        DLIST_HEAD_PREPEND(head, &it[2], prev, next); /* prepending to an empty list */
        assert_ptr_equal(head, &it[2]);
        assert_null(it[2].prev);
        assert_null(it[2].next);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_append_prepend_unlink),
                cmocka_unit_test(test_two_lists),
                cmocka_unit_test(test_head_only),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
