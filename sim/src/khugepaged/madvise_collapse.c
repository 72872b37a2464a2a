/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MADV_COLLAPSE: madvise_collapse() [6.1, 6.12, 7.3] walks the VMAs of the
 * range and collapses every whole PMD range of each, synchronously and
 * without khugepaged's limits; its errno (madvise_collapse_errno()).
 */
#include <string.h>
#include "khugepaged.h"

/* madvise_collapse_errno() (the file-only results never occur for anonymous memory) */
static int collapse_errno(const struct khp_rules *rules, enum scan_result r)
{
	switch (r) {
	case SCAN_ALLOC_HUGE_PAGE_FAIL:
		return ENOMEM;
	case SCAN_CGROUP_CHARGE_FAIL:
		return EBUSY;
	case SCAN_EXCEED_NONE_PTE:
		return rules->collapse_none_ebusy ? EBUSY : EINVAL;
	case SCAN_PAGE_COUNT: case SCAN_PAGE_LOCK: case SCAN_PAGE_LRU: case SCAN_DEL_PAGE_LRU:
		return EAGAIN;
	default:
		return EINVAL;
	}
}

/* Results after which madvise_collapse() goes on with the next PMD range */
static bool collapse_continues(enum scan_result r)
{
	switch (r) {
	case SCAN_PMD_NULL: case SCAN_PTE_NON_PRESENT: case SCAN_PTE_UFFD_WP: case SCAN_PTE_UFFD:
	case SCAN_PAGE_RO: case SCAN_LACK_REFERENCED_PAGE: case SCAN_PAGE_NULL:
	case SCAN_PAGE_COUNT: case SCAN_PAGE_LOCK: case SCAN_PAGE_COMPOUND:
	case SCAN_PAGE_LRU: case SCAN_DEL_PAGE_LRU:
	case SCAN_NO_PTE_TABLE:            /* only rule no_pte_table [7.3] returns it */
		return true;
	default:
		return false;
	}
}

/* madvise_collapse() for one VMA's part [start, end) of the range */
static int madvise_collapse_vma(struct khp_world *w, struct mm *mm, struct vma *v,
				uint64_t start, uint64_t end, struct khp_record *rec,
				enum scan_result *last)
{
	uint64_t mask = pmd_nr(w) - 1;
	uint64_t hstart = (start + mask) & ~mask, hend = end & ~mask;
	uint64_t thps = 0, want;
	uint64_t vstart = v->start;

	if (!vma_thp_eligible(w, v, false))
		return EINVAL;
	if (hstart >= hend)
		return hstart == hend || w->rules->collapse_small_ok ? 0 : EINVAL;
	want = (hend - hstart) >> w->pmd_order;
	for (uint64_t addr = hstart; addr < hend; addr += pmd_nr(w)) {
		uint64_t index = pmd_index(w, addr);
		struct scan_state ss;
		enum scan_result r;

		v = vma_find(mm, vstart);
		scan_pmd(w, mm, v, index, false, &ss);
		record_scan(rec, &ss);
		rec->shared_exact += ss.shared_exact;
		rec->shared_profile += ss.shared_profile;
		r = ss.result;
		if (r == SCAN_SUCCEED)
			r = collapse_huge_page(w, mm, index, 0, w->pmd_order, false, ss.unmapped, rec);
		if (r == SCAN_SUCCEED || r == SCAN_PMD_MAPPED) {
			thps++;
			if (*last == SCAN_FAIL || *last == SCAN_SUCCEED || *last == SCAN_PMD_MAPPED)
				*last = r;
			continue;
		}
		*last = r;
		if (!collapse_continues(r))
			break;
	}
	return thps == want ? 0 : collapse_errno(w->rules, *last);
}

/* MADV_COLLAPSE over [addr, addr + pages): madvise walks the VMAs, stopping at an error */
int op_collapse(struct khp_world *w, const struct khp_op *op, struct khp_record *rec)
{
	struct khp_record dummy;
	uint64_t start = op->addr, end = op->addr + op->pages;
	enum scan_result last = SCAN_FAIL;
	struct mm *mm;
	int err = mm_get_range(w, op, &mm);

	if (err)
		return err;
	if (!rec)
		rec = &dummy;
	memset(rec, 0, sizeof(*rec));
	rec->op = KHP_OP_COLLAPSE;
	while (start < end && !err) {
		struct vma *v = vma_find(mm, start);
		uint64_t stop = v->end < end ? v->end : end;

		lru_add_drain(w);       /* madvise_collapse(): lru_add_drain_all() per VMA */
		err = madvise_collapse_vma(w, mm, v, start, stop, rec, &last);
		start = stop;
	}
	record_step_end(w, rec);
	rec->err = err;
	rec->result = err ? last : (last == SCAN_FAIL ? SCAN_SUCCEED : last);
	if (err && last == SCAN_FAIL && !rec->nr_collapsed)
		rec->result = SCAN_VMA_CHECK;
	return 0;
}
