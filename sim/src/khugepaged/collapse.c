/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The collapse: collapse_huge_page() [6.1, 6.12, 7.3] with its swap-in
 * (__collapse_huge_page_swapin()), the isolate round
 * (__collapse_huge_page_isolate()), the copy (__collapse_huge_page_copy())
 * and the fate of the old folios, for the PMD order and, on profiles with
 * rule mthp_collapse, for an mTHP order (docs/kernel-rules.md).
 */
#include <stdlib.h>
#include <string.h>
#include "khugepaged.h"

/*
 * folio_putback_lru() of the compound_pagelist: a large folio is never
 * cached (folio_may_be_lru_cached()), so adding it drains the batch.
 */
static void putback_compound_pagelist(struct khp_world *w, bool any_large)
{
	if (any_large)
		lru_add_drain(w);
}

/*
 * release_pte_pages() after a failed isolate round that stopped at PTE
 * end: the small folios of [from, end) go back last to first, then the
 * large ones (every present PTE before end was isolated).
 */
static void release_pte_pages(struct khp_world *w, const struct pte *ptes, unsigned from,
			      unsigned end)
{
	bool any_large = false;

	for (unsigned i = end; i-- > from;) {
		if (ptes[i].kind != PTE_PRESENT)
			continue;
		if (folio_of(w, ptes[i].val)->order)
			any_large = true;
		else
			folio_putback_lru(w, ptes[i].val);
	}
	putback_compound_pagelist(w, any_large);
}

/* collapse_max_ptes_none(): the none limit of one collapse order */
unsigned collapse_max_ptes_none(const struct khp_world *w, const struct vma *v, unsigned order,
			       bool khugepaged)
{
	unsigned nr = pmd_nr(w);

	if (v && (v->flags & VM_UFFD_WP))
		return 0;
	if (!khugepaged)
		return nr;
	if (order == w->pmd_order)
		return w->cfg.max_ptes_none;
	return mthp_max_ptes_none(w, order);
}

/*
 * The none limit of an mTHP order o < PMD order (rule mthp_max_ptes_none):
 * zero_or_max [7.3] honours only 0 and HPAGE_PMD_NR-1 ("[PATCH 7.2 v16
 * 04/13] mm/khugepaged: generalize __collapse_huge_page_* for mTHP
 * support"); scaled is max_ptes_none >> (PMD order - o) (the v10-v13
 * series), scaled_capped caps values of at least HPAGE_PMD_NR/2 to
 * HPAGE_PMD_NR/2 - 1 first, so that a collapse cannot fill enough pages to
 * qualify the next order ("creep").
 */
unsigned mthp_max_ptes_none(const struct khp_world *w, unsigned order)
{
	unsigned nr = pmd_nr(w), max = w->cfg.max_ptes_none, shift = w->pmd_order - order;

	switch (w->rules->mthp_max_ptes_none) {
	case KHP_MTHP_NONE_SCALED:
		return max >> shift;
	case KHP_MTHP_NONE_SCALED_CAPPED:
		return (max >= nr / 2 ? nr / 2 - 1 : max) >> shift;
	default:
		return max == nr - 1 ? (1u << order) - 1 : 0;
	}
}

/*
 * The shared or swap limit of a khugepaged collapse of order o: the knob at
 * the PMD order; below it 0 (rule mthp_limits fail_any [7.3]: mTHP collapse
 * fails on any shared or swapped entry) or the knob >> (PMD order - o) (scaled).
 */
static unsigned order_limit(const struct khp_world *w, unsigned knob, unsigned order)
{
	if (order == w->pmd_order)
		return knob;
	return w->rules->mthp_limits == KHP_MTHP_LIMITS_SCALED ? knob >> (w->pmd_order - order) : 0;
}

/* __collapse_huge_page_swapin(): read faults on every swap PTE of the range */
static enum scan_result collapse_swapin(struct khp_world *w, struct mm *mm, struct vma *v,
					struct pte *ptes, unsigned offset, unsigned order)
{
	unsigned swapped_in = 0, swap = 0, max_swap = order_limit(w, w->cfg.max_ptes_swap, order);

	for (unsigned i = offset; i < offset + (1u << order); i++)
		swap += ptes[i].kind == PTE_SWAP;
	if (order != w->pmd_order && swap > max_swap)
		return SCAN_EXCEED_SWAP_PTE;   /* [7.3] an mTHP collapse fails on a swap entry */
	for (unsigned i = offset; swap && i < offset + (1u << order); i++) {
		if (ptes[i].kind != PTE_SWAP)
			continue;
		if (do_swap_page(w, mm, v, &ptes[i], false))
			return SCAN_FAIL;
		swapped_in++;
	}
	if (swapped_in)
		lru_add_drain(w);   /* "drain LRU cache to remove extra pin on the swapped in pages" */
	return SCAN_SUCCEED;
}

/*
 * __collapse_huge_page_isolate(): the second round of checks
 * (docs/kernel-rules.md#isolate).  On
 * failure *end is the first PTE not isolated (the whole range for a failure
 * after the loop).
 */
static enum scan_result isolate_ptes(struct khp_world *w, struct vma *v, struct pte *ptes,
				     unsigned offset, unsigned order, bool khugepaged,
				     unsigned *end)
{
	const struct khp_rules *rules = w->rules;
	unsigned none = 0, shared = 0, referenced = 0;
	unsigned max_none = collapse_max_ptes_none(w, v, order, khugepaged);
	unsigned max_shared = !khugepaged ? pmd_nr(w) :
			      order_limit(w, w->cfg.max_ptes_shared, order);
	bool writable = false;
	uint32_t mark = ++w->mark_gen;

	for (unsigned i = offset; i < offset + (1u << order); i++) {
		struct pte *pte = &ptes[i];
		struct folio *f;

		*end = i;
		if (pte->kind == PTE_NONE || pte->kind == PTE_ZERO) {
			if (++none > max_none)     /* 0 in a uffd-armed VMA */
				return SCAN_EXCEED_NONE_PTE;
			continue;
		}
		if (pte->kind != PTE_PRESENT)
			return SCAN_PTE_NON_PRESENT;
		if (pte->flags & PTE_UFFD)
			return rules->uffd_result ? SCAN_PTE_UFFD : SCAN_PTE_UFFD_WP;
		f = folio_of(w, pte->val);
		if (rules->lazyfree_skip && khugepaged && (f->flags & FOLIO_LAZYFREE) &&
		    !(pte->flags & PTE_DIRTY))
			return SCAN_PAGE_LAZYFREE;
		if (page_shared(rules->shared, f, pte->subpage) && ++shared > max_shared)
			return SCAN_EXCEED_SHARED_PTE;
		if (order != w->pmd_order && f->order >= order)
			return SCAN_PTE_MAPPED_HUGEPAGE;
		if (f->mark != mark) {        /* not on the compound list yet */
			int expected = f->large_mapcount +
				       ((f->flags & FOLIO_SWAPCACHE) ? (int)folio_nr_pages(f) : 0);

			if (f->refcount != expected)
				return SCAN_PAGE_COUNT;
			f->mark = mark;
		}
		if (khugepaged && ((pte->flags & PTE_YOUNG) ||
				   (f->flags & folio_referenced_mask(rules))))
			referenced++;
		if (pte->flags & PTE_WRITE)
			writable = true;
	}
	*end = offset + (1u << order);
	if (rules->writable_gate && !writable)
		return SCAN_PAGE_RO;
	if (khugepaged && !referenced)
		return SCAN_LACK_REFERENCED_PAGE;
	return SCAN_SUCCEED;
}

/*
 * The exact shared count of a block at this moment: a collapse that fails
 * SCAN_EXCEED_SHARED_PTE in isolate (a swap-in may have made a page shared
 * since the scan) is judged against it (record.c).
 */
static unsigned exact_shared(struct khp_world *w, const struct pte *ptes, unsigned offset,
			     unsigned order)
{
	unsigned shared = 0;

	for (unsigned i = offset; i < offset + (1u << order); i++)
		if (ptes[i].kind == PTE_PRESENT &&
		    page_shared(KHP_SHARED_EXACT, folio_of(w, ptes[i].val), ptes[i].subpage))
			shared++;
	return shared;
}

/* The isolate round; a failure puts back what it isolated (release_pte_pages()). */
static enum scan_result collapse_isolate(struct khp_world *w, struct vma *v, struct pte *ptes,
					 unsigned offset, unsigned order, bool khugepaged)
{
	unsigned end = offset;
	enum scan_result r = isolate_ptes(w, v, ptes, offset, order, khugepaged, &end);

	if (r != SCAN_SUCCEED)
		release_pte_pages(w, ptes, offset, end);
	return r;
}

/*
 * __collapse_huge_page_copy() and _succeeded(): fill the new folio, unmap
 * and release the old pages (7.3 in folio_pte_batch() runs; each small one
 * is put back on the LRU first, the large ones after the loop), count the
 * pages copied and zero-filled, the PTEs cleared (present and zero-page
 * ones: ptep_clear() [6.1, 6.12], clear_ptes() [7.3]; a none PTE is left
 * alone) and the copies another mm keeps mapped (dup).
 */
static void collapse_copy(struct khp_world *w, struct mm *mm, struct pte *ptes,
			  unsigned offset, unsigned order, uint32_t id, struct collapse_acct *acct)
{
	unsigned nr = 1u << order;
	uint32_t *src = w->scratch, *sub = w->scratch + pmd_nr(w);
	uint8_t *data = folio_data(folio_of(w, id));
	unsigned nsrc = 0;
	bool any_large = false;

	for (unsigned i = 0; i < nr; i++) {
		struct pte *pte = &ptes[offset + i];

		acct->cleared += pte->kind != PTE_NONE;
		if (pte->kind != PTE_PRESENT) {
			acct->fill++;               /* clear_user_highpage() */
			continue;
		}
		acct->copied++;                     /* copy_user_highpage() / copy_mc_user_highpage() */
		data[i] = folio_data(folio_of(w, pte->val))[pte->subpage];
	}
	for (unsigned i = 0; i < nr;) {
		struct pte *pte = &ptes[offset + i];
		unsigned n = 1;

		if (pte->kind != PTE_PRESENT) {
			memset(pte, 0, sizeof(*pte));
			i++;
			continue;
		}
		if (w->rules->collapse_batch)
			n = folio_pte_batch(pte, nr - i, 0);
		if (folio_of(w, pte->val)->order)
			any_large = true;
		else
			folio_putback_lru(w, pte->val);     /* release_pte_folio() */
		for (unsigned j = 0; j < n; j++) {
			src[nsrc] = pte->val;
			sub[nsrc++] = pte->subpage + j;
		}
		rmap_remove_ptes(w, pte->val, pte->subpage, n, mm);
		folio_put(w, pte->val, (int)n);
		if (folio_of(w, pte->val)->refcount)
			free_swap_cache(w, pte->val);
		memset(pte, 0, n * sizeof(*pte));
		i += n;
	}
	putback_compound_pagelist(w, any_large);
	/* what another mm still maps stays allocated: duplicated memory */
	for (unsigned i = 0; i < nsrc; i++) {
		const struct folio *f = folio_of(w, src[i]);

		if (f->refcount && page_mapcount(f, sub[i]) > 0)
			acct->dup++;
	}
}

/* Install the new folio: a PMD (set_pmd_at) or, for an mTHP, PTEs. */
static int collapse_install(struct khp_world *w, struct mm *mm, struct vma *v, uint64_t index,
			    unsigned offset, unsigned order, uint32_t id)
{
	/* maybe_pmd_mkwrite(pmd_mkdirty()) / map_anon_folio_pte_nopf(): dirty+write iff VM_WRITE */
	uint8_t flags = PTE_YOUNG | PTE_EXCL | ((v->flags & VM_WRITE) ? PTE_WRITE | PTE_DIRTY : 0);
	struct pmd *pmd = pmd_lookup(mm, index);
	unsigned nr = 1u << order;

	/* folio_add_lru_vma() of the new large folio: never cached, the batch drains */
	lru_add_drain(w);
	if (order == w->pmd_order) {
		pte_table_free(w, pmd->ptes);    /* deposited as the THP's page table */
		pmd->ptes = NULL;
		map_anon_folio_pmd(w, mm, pmd, id, flags | PTE_DIRTY);  /* mk_huge_pmd() + pmd_mkdirty() */
		return 0;
	}
	map_anon_folio_pte(w, mm, &pmd->ptes[offset], id, nr, flags);
	return 0;
}

/*
 * With the checker on, the invariants are also checked after every collapse
 * attempt, while the lru_add batch may hold references (a step's end drains it).
 */
static void collapse_check(struct khp_world *w)
{
	char msg[160];

	if (w->check && world_check(w, msg, sizeof(msg))) {
		fprintf(stderr, "khpsim: invariant broken inside a collapse (%s): %s\n",
			khp_profile_name(&w->prof), msg);
		abort();
	}
}

enum scan_result collapse_huge_page(struct khp_world *w, struct mm *mm, uint64_t index,
				    unsigned offset, unsigned order, bool khugepaged,
				    unsigned unmapped, struct khp_record *rec)
{
	struct vma *v = vma_find(mm, index << w->pmd_order);
	struct vm_events before = w->vm_events;
	struct collapse_acct acct = { 0 };
	enum scan_result r;
	struct pmd *pmd;
	uint32_t id;

	/* alloc_charge_folio() comes first; a later failure frees the folio */
	if (folio_alloc_huge_fails(w))
		return SCAN_ALLOC_HUGE_PAGE_FAIL;
	if (folio_alloc(w, order, &id))
		return SCAN_ALLOC_HUGE_PAGE_FAIL;
	pmd = pmd_lookup(mm, index);
	r = unmapped ? collapse_swapin(w, mm, v, pmd->ptes, offset, order) : SCAN_SUCCEED;
	if (r == SCAN_SUCCEED) {
		/* pmdp_collapse_flush() of the whole PMD range, mTHP too, before isolating */
		acct.flushes++;
		r = collapse_isolate(w, v, pmd->ptes, offset, order, khugepaged);
	}
	if (r == SCAN_SUCCEED) {
		collapse_copy(w, mm, pmd->ptes, offset, order, id, &acct);
		collapse_install(w, mm, v, index, offset, order, id);
	} else {
		if (r == SCAN_EXCEED_SHARED_PTE && rec)
			rec->isolate_shared_exact = exact_shared(w, pmd->ptes, offset, order);
		folio_put(w, id, 1);
	}
	collapse_check(w);
	record_collapse(rec, w, &before, &acct, r);
	return r;
}
