/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One khugepaged visit of a PMD range: khugepaged_scan_mm_slot() decides
 * whether the range is visited, hpage_collapse_scan_pmd() [6.1, 6.12] /
 * collapse_scan_pmd() [7.3] scans it and collapse_huge_page() or
 * mthp_collapse() collapses it.
 */
#include <string.h>
#include "khugepaged.h"

/*
 * The PMD range [index] lies wholly in v and khugepaged would visit v
 * (khugepaged_scan_mm_slot(); docs/kernel-rules.md#registration).
 */
static bool khugepaged_visits(const struct khp_world *w, const struct mm *mm,
			      const struct vma *v, uint64_t index)
{
	uint64_t base = index << w->pmd_order;

	if (!mm->registered || !khugepaged_enabled(w) || !v)
		return false;
	if (base < v->start || base + pmd_nr(w) > v->end || !v->anon_vma)
		return false;
	return vma_collapse_orders(w, v, true) != 0;
}

/* One khugepaged visit: hpage_collapse_scan_pmd() then collapse_huge_page(). */
int op_khugepaged(struct khp_world *w, const struct khp_op *op, struct khp_record *rec)
{
	struct khp_record dummy;
	struct mm *mm = mm_get(w, op->mm);
	uint64_t index = pmd_index(w, op->addr);
	struct scan_state ss;
	struct vma *v;
	enum scan_result r;

	if (!mm)
		return -ENOENT;
	if (!rec)
		rec = &dummy;
	memset(rec, 0, sizeof(*rec));
	rec->op = KHP_OP_KHUGEPAGED;
	lru_add_drain(w);           /* khugepaged_do_scan(): lru_add_drain_all() */
	v = vma_find(mm, op->addr);
	if (!khugepaged_visits(w, mm, v, index)) {
		rec->result = KHP_NOT_VISITED;
		rec->pages_in_use = w->pages_in_use;
		return 0;
	}
	scan_pmd(w, mm, v, index, true, &ss);
	record_scan(rec, &ss);
	rec->shared_exact = ss.shared_exact;
	rec->shared_profile = ss.shared_profile;
	r = ss.result;
	if (r == SCAN_SUCCEED) {
		if (w->rules->mthp_collapse)
			r = mthp_collapse(w, mm, v, index, &ss, rec);
		else
			r = collapse_huge_page(w, mm, index, 0, w->pmd_order, true, ss.unmapped, rec);
	}
	record_step_end(w, rec);
	rec->result = r;
	record_verdict(w, v, &ss, r, rec);
	return 0;
}
