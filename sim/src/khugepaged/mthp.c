/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * [7.3] mthp_collapse(): after a successful scan of the PMD range, try the
 * PMD order first, then each smaller enabled order over naturally aligned
 * blocks (profiles with rule mthp_collapse).
 */
#include "khugepaged.h"

static unsigned popcount_range(const uint32_t *bits, unsigned from, unsigned n)
{
	unsigned c = 0;

	for (unsigned i = from; i < from + n; i++)
		c += (bits[i / 32] >> (i % 32)) & 1;
	return c;
}

/* [7.3] mthp_collapse(): PMD first, then smaller enabled orders, naturally aligned */
enum scan_result mthp_collapse(struct khp_world *w, struct mm *mm, struct vma *v,
				      uint64_t index, const struct scan_state *ss,
				      struct khp_record *rec)
{
	unsigned nr = pmd_nr(w), order = w->pmd_order, offset = 0, collapsed = 0;
	uint32_t orders = vma_collapse_orders(w, v, true);
	enum scan_result last = SCAN_FAIL;
	bool alloc_failed = false;

	while (offset < nr) {
		unsigned n = 1u << order;

		if (orders & (1u << order)) {
			/* present pages, and for the PMD candidate the swap PTEs too */
			unsigned occupied = ss->bitmap ? popcount_range(ss->present, offset, n) : 0;

			if (order == w->pmd_order)
				occupied = ss->bitmap ? occupied + ss->unmapped : n - ss->none_or_zero;
			/* mthp_collapse() asks collapse_max_ptes_none() without the VMA */
			if (occupied + collapse_max_ptes_none(w, NULL, order, true) >= n) {
				enum scan_result r = collapse_huge_page(w, mm, index, offset, order,
									true, ss->unmapped, rec);

				switch (r) {
				case SCAN_SUCCEED:
					collapsed++;
					/* fall through */
				case SCAN_PTE_MAPPED_HUGEPAGE:
					goto next_offset;
				case SCAN_ALLOC_HUGE_PAGE_FAIL:
					alloc_failed = true;
					/* fall through */
				case SCAN_LACK_REFERENCED_PAGE: case SCAN_EXCEED_NONE_PTE:
				case SCAN_EXCEED_SWAP_PTE: case SCAN_EXCEED_SHARED_PTE:
				case SCAN_PAGE_LOCK: case SCAN_PAGE_COUNT: case SCAN_PAGE_NULL:
				case SCAN_DEL_PAGE_LRU: case SCAN_PTE_NON_PRESENT:
				case SCAN_PTE_UFFD: case SCAN_PAGE_LAZYFREE:
					last = r;
					break;
				default:
					last = r;
					goto out;
				}
			}
		}
		if (order > 2 && (orders & ((1u << order) - 1) & ~3u)) {
			order--;
			continue;
		}
next_offset:
		offset += n;
		order = offset ? (unsigned)__builtin_ctz(offset) : w->pmd_order;
		if (order > w->pmd_order)
			order = w->pmd_order;
	}
out:
	if (collapsed)
		return SCAN_SUCCEED;
	return alloc_failed ? SCAN_ALLOC_HUGE_PAGE_FAIL : last;
}
