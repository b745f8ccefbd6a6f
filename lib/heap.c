/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "lib/heap.h"
#include "lib/macro.h"

/* The size of a PMD-mapped transparent huge page on x86-64 and on arm64 with 4 KiB pages:
 * only whole, aligned 2 MiB ranges of the block can be mapped huge. */
#define HUGE_PAGE_SIZE ((uintptr_t) 2 * 1024 * 1024)

void heap_reserve_huge_pages(size_t bytes) {
        _cleanup_free_ char *block = malloc(bytes);
        uintptr_t start, end;

        if (!block)
                return;
        start = ((uintptr_t) block + HUGE_PAGE_SIZE - 1) & ~(HUGE_PAGE_SIZE - 1);
        end = ((uintptr_t) block + bytes) & ~(HUGE_PAGE_SIZE - 1);
        if (end > start) /* EINVAL without THP in the kernel: then there is nothing to gain */
                (void) madvise((void *) start, end - start, MADV_HUGEPAGE);
}
