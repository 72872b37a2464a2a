/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The per-PMD scan: hpage_collapse_scan_pmd() [6.1, 6.12] and
 * collapse_scan_pmd() [7.3], check by check in each kernel's order (KR 3.1,
 * 3.2).  It reads the world and writes nothing but *ss; no allocation.
 */
#include <string.h>
#include "internal.h"

/* find_pmd_or_thp_or_none() */
enum scan_result find_pmd_or_thp_or_none(struct khp_world *w, struct mm *mm, uint64_t index)
{
	struct pmd *pmd = pmd_lookup(mm, index);

	if (!pmd) {
		if (w->prof.kernel == KHP_LINUX_7_3)
			return SCAN_NO_PTE_TABLE;
		return pud_present(mm, index) ? SCAN_PMD_NONE : SCAN_PMD_NULL;
	}
	if (pmd->kind != PMD_TABLE)
		return SCAN_PMD_MAPPED;     /* pmd_trans_huge(), huge zero page included */
	return SCAN_SUCCEED;
}

/* khugepaged's referenced test: pte_young, PG_young (6.12+), PG_referenced */
static bool pte_referenced(const struct khp_world *w, const struct pte *pte,
			   const struct folio *f)
{
	if (pte->flags & PTE_YOUNG)
		return true;
	if (f->flags & FOLIO_REFERENCED)
		return true;
	/* 6.1 has no PAGE_IDLE_FLAG: folio_test_young() is always false */
	return w->prof.kernel != KHP_LINUX_6_1 && (f->flags & FOLIO_YOUNG);
}

/* is_refcount_suitable() / folio_expected_ref_count() for anonymous folios */
static bool refcount_suitable(const struct folio *f)
{
	int expected = f->large_mapcount;

	if (f->flags & FOLIO_SWAPCACHE)
		expected += (int)folio_nr_pages(f);
	return f->refcount == expected;
}

/* The limits of one scan; MADV_COLLAPSE ignores none/swap/shared (KR 2.2). */
struct scan_limits {
	unsigned none, swap, shared;
};

static void scan_limits(const struct khp_world *w, const struct vma *v, bool khugepaged,
			struct scan_limits *l)
{
	unsigned nr = pmd_nr(w);

	l->none = khugepaged ? w->cfg.max_ptes_none : nr;
	l->swap = khugepaged ? w->cfg.max_ptes_swap : nr;
	l->shared = khugepaged ? w->cfg.max_ptes_shared : nr;
	if (w->prof.kernel != KHP_LINUX_7_3) {
		if (v->flags & VM_UFFD_WP)
			l->none = 0;
		return;
	}
	/* collapse_scan_pmd(): uffd -> 0; mTHP enabled -> fill the bitmap (511) */
	if (v->flags & VM_UFFD_WP)
		l->none = 0;
	else if (khugepaged && (w->cfg.mthp_orders & ~(1u << w->pmd_order)))
		l->none = nr - 1;
}

static enum scan_result scan_fail(struct scan_state *ss, enum scan_result r)
{
	ss->result = r;
	return r;
}

/* One present, non-zero PTE; SCAN_SUCCEED means "go on". */
static enum scan_result scan_present(struct khp_world *w, const struct pte *pte, unsigned i,
				     bool khugepaged, const struct scan_limits *l,
				     struct scan_state *ss)
{
	enum khp_kernel k = w->prof.kernel;
	const struct folio *f = folio_of(w, pte->val);

	if (pte->flags & PTE_UFFD)
		return scan_fail(ss, k == KHP_LINUX_7_3 ? SCAN_PTE_UFFD : SCAN_PTE_UFFD_WP);
	if (k != KHP_LINUX_7_3 && (pte->flags & PTE_WRITE))
		ss->writable = true;
	/* [7.3] folio_test_lazyfree() && !pte_dirty() */
	if (k == KHP_LINUX_7_3 && khugepaged && (f->flags & FOLIO_LAZYFREE) &&
	    !(pte->flags & PTE_DIRTY))
		return scan_fail(ss, SCAN_PAGE_LAZYFREE);
	if (page_shared(w, k, w->prof.exact, f, pte->subpage)) {
		if (++ss->shared > l->shared)
			return scan_fail(ss, SCAN_EXCEED_SHARED_PTE);
	}
	if (k == KHP_LINUX_7_3)
		ss->present[i / 32] |= 1u << (i % 32);
	/* node_reclaim_mode is 0, every folio is on the LRU (lru_add_drain_all) and unlocked */
	if (!refcount_suitable(f))
		return scan_fail(ss, SCAN_PAGE_COUNT);
	if (khugepaged && pte_referenced(w, pte, f))
		ss->referenced++;
	return SCAN_SUCCEED;
}

void scan_pmd(struct khp_world *w, struct mm *mm, struct vma *v, uint64_t index,
	      bool khugepaged, struct scan_state *ss)
{
	bool new_order = w->prof.kernel == KHP_LINUX_7_3;
	bool uffd = v->flags & VM_UFFD_WP;
	unsigned nr = pmd_nr(w);
	struct scan_limits l;
	const struct pte *ptes;

	memset(ss, 0, sizeof(*ss));
	ss->result = find_pmd_or_thp_or_none(w, mm, index);
	if (ss->result != SCAN_SUCCEED)
		return;
	scan_limits(w, v, khugepaged, &l);
	ptes = pmd_lookup(mm, index)->ptes;
	for (unsigned i = 0; i < nr; i++) {
		const struct pte *pte = &ptes[i];

		if (pte->kind == PTE_NONE || pte->kind == PTE_ZERO) {
			/* 6.1/6.12 test uffd-armed directly; 7.3 folds it into the limit */
			if (++ss->none_or_zero > l.none || (uffd && !new_order))
				return (void)scan_fail(ss, SCAN_EXCEED_NONE_PTE);
			continue;
		}
		if (pte->kind == PTE_SWAP) {
			if (++ss->unmapped > l.swap)
				return (void)scan_fail(ss, SCAN_EXCEED_SWAP_PTE);
			if (pte->flags & PTE_UFFD)
				return (void)scan_fail(ss, new_order ? SCAN_PTE_UFFD : SCAN_PTE_UFFD_WP);
			continue;
		}
		if (scan_present(w, pte, i, khugepaged, &l, ss) != SCAN_SUCCEED)
			return;
	}
	ss->loop_done = true;
	if (!new_order && !ss->writable)
		ss->result = SCAN_PAGE_RO;
	else if (khugepaged && (!ss->referenced || (ss->unmapped && ss->referenced < nr / 2)))
		ss->result = SCAN_LACK_REFERENCED_PAGE;
	else
		ss->result = SCAN_SUCCEED;
}

/* shared_exact / shared_profile: present PTEs of the range judged shared, no early exit */
unsigned count_shared(struct khp_world *w, struct mm *mm, uint64_t index, bool exact_oracle)
{
	struct pmd *pmd = pmd_lookup(mm, index);
	unsigned n = 0;

	if (!pmd || pmd->kind != PMD_TABLE)
		return 0;
	for (unsigned i = 0; i < pmd_nr(w); i++) {
		const struct pte *pte = &pmd->ptes[i];

		if (pte->kind == PTE_PRESENT &&
		    page_shared(w, w->prof.kernel, exact_oracle || w->prof.exact,
				folio_of(w, pte->val), pte->subpage))
			n++;
	}
	return n;
}
