/* SPDX-License-Identifier: MIT */
#pragma once

/* Transparent huge pages for a heap that is about to grow by tens of megabytes.
 *
 * A process that builds a large data set (10,000 parsed documents, their records and requests)
 * first-touches every 4 KiB page of its heap once, and each touch is a page fault: 4,700 of
 * them in an apply of 10,000 resources, at 10-14 us each on the virtual machines asyncfg runs
 * on, a fifth of the apply's CPU. One 2 MiB huge page replaces 512 of those faults.
 *
 * heap_reserve_huge_pages() allocates `bytes`, marks the block MADV_HUGEPAGE and frees it. An
 * allocator that keeps freed memory for later allocations (tcmalloc, the programs' allocator:
 * see the Makefile) carves what the process allocates next out of that block, so the heap's
 * first `bytes` fault in 2 MiB at a time wherever the kernel's THP mode is "madvise" or
 * "always". Nothing is touched here: the resident size grows only with what is used, by at
 * most one huge page's worth. With glibc's malloc the block is mmap()ed and unmapped again on
 * free(): no effect, no harm. Best effort: failures are ignored. */

#include <stddef.h>

void heap_reserve_huge_pages(size_t bytes);
