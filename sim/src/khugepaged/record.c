/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The record of a khugepaged or MADV_COLLAPSE step: the scan's counters,
 * the accounting of the pages a collapse allocated, freed, filled and
 * duplicated (the change of the world's PGALLOC / PGFREE counters across
 * it) with the cost beyond memory (copies, PTE clears, TLB flushes), and
 * the verdict on the shared predicate with its wasted pages.
 */
#include "khugepaged.h"

/* The run's sums (struct khp_totals.cost) take each step's record once, at its end. */
static void cost_add(struct khp_collapse_cost *c, const struct khp_record *rec)
{
	c->copied_pages += rec->copied_pages;
	c->fill_pages += rec->fill_pages;
	c->ptes_cleared += rec->ptes_cleared;
	c->tlb_flushes += rec->tlb_flushes;
	c->freed_pages += rec->freed_pages;
}

/*
 * The end of a step: the model drains the batch (the kernel keeps it until
 * the next pass or the CPU's next lru_add_drain()); old pages it held are
 * freed now and belong to this step's accounting.
 */
void record_step_end(struct khp_world *w, struct khp_record *rec)
{
	long pgfree = w->vm_events.pgfree;

	if (w->lru_add.nr) {
		lru_add_drain(w);
		rec->freed_pages += w->vm_events.pgfree - pgfree;
		rec->waste_pages = rec->alloc_pages - rec->freed_pages;
	}
	rec->pages_in_use = w->pages_in_use;
	cost_add(&w->cost, rec);
}

void record_scan(struct khp_record *rec, const struct scan_state *ss)
{
	rec->none_or_zero = ss->none_or_zero;
	rec->unmapped = ss->unmapped;
	rec->referenced = ss->referenced;
	rec->shared = ss->shared;
	rec->writable = ss->writable;
}

/*
 * The verdict judges the shared predicate at the max_ptes_shared gate that
 * decided: the scan's, against the exact count of the scan; or the isolate
 * round's (__collapse_huge_page_isolate()), against the exact count at that
 * moment (a swap-in for the collapse may have mapped a page another mm
 * already mapped from the swap cache).  A 7.3 mTHP attempt fails
 * EXCEED_SHARED at its own limit of 0 (collapse_max_ptes_shared()), which
 * says nothing about the predicate.
 */
static enum khp_verdict verdict(const struct khp_world *w, const struct vma *v,
				const struct scan_state *ss, enum scan_result r,
				const struct khp_record *rec)
{
	bool over = rec->shared_exact > w->cfg.max_ptes_shared;
	bool mthp = w->rules->mthp_collapse &&
		    vma_collapse_orders(w, v, true) != (1u << w->pmd_order);
	bool isolate = ss->result != SCAN_EXCEED_SHARED_PTE && r == SCAN_EXCEED_SHARED_PTE;

	if (ss->loop_done && r != SCAN_EXCEED_SHARED_PTE && over)
		return KHP_VERDICT_FALSE_NEGATIVE;
	if (ss->result == SCAN_EXCEED_SHARED_PTE && !over)
		return KHP_VERDICT_FALSE_POSITIVE;
	if (isolate && !mthp && rec->isolate_shared_exact <= w->cfg.max_ptes_shared)
		return KHP_VERDICT_FALSE_POSITIVE;
	return KHP_VERDICT_AGREE;
}

/* The verdict of a khugepaged step; a false negative that collapsed wasted its copies. */
void record_verdict(const struct khp_world *w, const struct vma *v, const struct scan_state *ss,
		    enum scan_result r, struct khp_record *rec)
{
	rec->verdict = verdict(w, v, ss, r, rec);
	if (rec->verdict == KHP_VERDICT_FALSE_NEGATIVE && rec->collapsed)
		rec->fn_waste_pages = rec->dup_pages;
}

/* One collapse attempt's pages: PGALLOC / PGFREE since before, its copies and its cost. */
void record_collapse(struct khp_record *rec, const struct khp_world *w,
		     const struct vm_events *before, const struct collapse_acct *acct,
		     enum scan_result r)
{
	if (!rec)
		return;
	rec->alloc_pages += w->vm_events.pgalloc - before->pgalloc;
	rec->freed_pages += w->vm_events.pgfree - before->pgfree;
	rec->fill_pages += acct->fill;
	rec->dup_pages += acct->dup;
	rec->copied_pages += acct->copied;
	rec->ptes_cleared += acct->cleared;
	rec->tlb_flushes += acct->flushes;
	rec->waste_pages = rec->alloc_pages - rec->freed_pages;
	if (r == SCAN_SUCCEED) {
		rec->collapsed = true;
		rec->nr_collapsed++;
	}
}
