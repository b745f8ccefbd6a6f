/* SPDX-License-Identifier: MIT */
#pragma once

/* Intrusive doubly linked lists with a head and a tail, after systemd's src/basic/list.h: the
 * links live in the items (any two pointer fields, named by the caller, so that an item can be
 * on several lists), the list is the pair of variables or fields head and tail. Appending,
 * prepending and unlinking are O(1); an unlinked item's links are NULL. */

#define DLIST_APPEND(head, tail, item, prev, next)                                                 \
        do {                                                                                       \
                typeof(item) _i = (item);                                                          \
                _i->prev = (tail);                                                                 \
                _i->next = NULL;                                                                   \
                if (tail)                                                                          \
                        (tail)->next = _i;                                                         \
                else                                                                               \
                        (head) = _i;                                                               \
                (tail) = _i;                                                                       \
        } while (0)

#define DLIST_PREPEND(head, tail, item, prev, next)                                                \
        do {                                                                                       \
                typeof(item) _i = (item);                                                          \
                _i->prev = NULL;                                                                   \
                _i->next = (head);                                                                 \
                if (head)                                                                          \
                        (head)->prev = _i;                                                         \
                else                                                                               \
                        (tail) = _i;                                                               \
                (head) = _i;                                                                       \
        } while (0)

#define DLIST_UNLINK(head, tail, item, prev, next)                                                 \
        do {                                                                                       \
                typeof(item) _i = (item);                                                          \
                if (_i->prev)                                                                      \
                        _i->prev->next = _i->next;                                                 \
                else                                                                               \
                        (head) = _i->next;                                                         \
                if (_i->next)                                                                      \
                        _i->next->prev = _i->prev;                                                 \
                else                                                                               \
                        (tail) = _i->prev;                                                         \
                _i->prev = _i->next = NULL;                                                        \
        } while (0)

/* Head-only lists (systemd's LIST_PREPEND/LIST_REMOVE): the list is one pointer, head, for
 * items that are only ever added at the front and unlinked; one pointer less per list than the
 * pair above, for lists of which there are many (a table of them). Both O(1): the macros above,
 * with a tail that nobody keeps. */

#define DLIST_HEAD_PREPEND(head, item, prev, next)                                                 \
        do {                                                                                       \
                typeof(head) _unkept_tail = NULL;                                                  \
                DLIST_PREPEND(head, _unkept_tail, item, prev, next);                               \
                (void) _unkept_tail;                                                               \
        } while (0)

#define DLIST_HEAD_UNLINK(head, item, prev, next)                                                  \
        do {                                                                                       \
                typeof(head) _unkept_tail = NULL;                                                  \
                DLIST_UNLINK(head, _unkept_tail, item, prev, next);                                \
                (void) _unkept_tail;                                                               \
        } while (0)
