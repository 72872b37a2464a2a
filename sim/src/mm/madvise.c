/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * madvise(2) advice: MADV_HUGEPAGE / NOHUGEPAGE (VMA flags; splits and
 * merges), MADV_COLD and MADV_PAGEOUT (madvise_cold_or_pageout_pte_range():
 * only folios this mm maps alone, by the rule madv_shared; pageout hands
 * them to reclaim, vmscan.c) and MADV_FREE (lazyfree).
 */
#include <stdlib.h>
#include <string.h>
#include "mm.h"

/*
 * The "do not interfere with other mappings" test of MADV_COLD / PAGEOUT /
 * FREE for a large folio (rule madv_shared): page_mapcount() of the page
 * met [6.1] (subpage 0 for MADV_FREE's folio_estimated_sharers(),
 * total_mapcount() for a PMD), folio_likely_mapped_shared() [6.12],
 * folio_maybe_mapped_shared() [7.3].
 */
static bool large_folio_shared(const struct khp_world *w, const struct folio *f, unsigned sub,
			       bool pmd, enum khp_advice adv)
{
	switch (w->rules->madv_shared) {
	case KHP_SHARED_PAGE_MAPCOUNT:
		if (pmd && adv == KHP_ADV_FREE)
			return f->large_mapcount != 1;
		return page_mapcount(f, adv == KHP_ADV_FREE ? 0 : sub) != 1;
	case KHP_SHARED_LIKELY_MAPPED:
		return folio_likely_mapped_shared(f);
	default:
		return folio_maybe_mapped_shared(f);
	}
}

/* split_folio() of a folio some PMD maps: unmap_folio() splits every PMD first */
static int split_if_maps(struct khp_world *w, struct mm *mm, struct pmd *pmd, void *arg)
{
	uint32_t id = *(const uint32_t *)arg;

	return pmd->kind == PMD_HUGE && pmd->folio == id ? split_huge_pmd(w, mm, pmd->index) : 0;
}

int split_pmd_mapped_folio(struct khp_world *w, uint32_t id)
{
	int ret = pmd_walk(w, split_if_maps, &id);

	return ret ? ret : folio_split(w, id);
}

/*
 * madvise_cold_or_pageout_pte_range() and madvise_free_pte_range() on the
 * PTEs [from, to) of one table.  A large folio is split when the range does
 * not cover it (6.1: always) unless it is shared; a covered one (6.12+) is
 * handled whole.  6.1 stops the table at the first shared large folio.
 */
static int advise_ptes(struct khp_world *w, struct mm *mm, uint64_t idx, unsigned from,
		       unsigned to, enum khp_advice adv)
{
	const struct khp_rules *r = w->rules;
	bool clear_young = adv == KHP_ADV_COLD || (r->pageout_clear_young && adv == KHP_ADV_PAGEOUT);

	for (unsigned i = from; i < to;) {
		struct pte *ptes = pmd_lookup(mm, idx)->ptes, *pte = &ptes[i];
		struct folio *f;
		unsigned n = 1;
		int ret;

		if (pte->kind == PTE_SWAP && adv == KHP_ADV_FREE)
			zap_pte(w, mm, pte);
		if (pte->kind != PTE_PRESENT) {
			i++;
			continue;
		}
		f = folio_of(w, pte->val);
		if (f->order) {
			n = folio_pte_batch(pte, to - i, 0);
			if (r->madv_split_covered || n < folio_nr_pages(f) || pte->subpage) {
				if (large_folio_shared(w, f, pte->subpage, false, adv)) {
					if (r->madv_stop_at_shared)
						return 0;       /* break */
					i += n;
					continue;
				}
				if (folio_split(w, pte->val)) {
					if (r->madv_stop_at_shared)
						return 0;
					i += n;
					continue;
				}
				continue;                       /* look again: now small folios */
			}
		}
		/* the common tests: on the LRU, and every mapping is ours */
		if (adv != KHP_ADV_FREE && f->large_mapcount != (int)folio_nr_pages(f)) {
			i += n;
			continue;
		}
		if (adv == KHP_ADV_FREE) {
			if ((f->flags & (FOLIO_SWAPCACHE | FOLIO_DIRTY))) {
				if (f->large_mapcount != (int)folio_nr_pages(f)) {
					i += n;
					continue;
				}
				folio_free_swap(w, pte->val);
				f = folio_of(w, pte->val);
				if (f->flags & FOLIO_SWAPCACHE) {
					i += n;
					continue;
				}
				f->flags &= ~FOLIO_DIRTY;
			}
			for (unsigned j = 0; j < n; j++)
				pte[j].flags &= ~(PTE_YOUNG | PTE_DIRTY);
			f->flags |= FOLIO_LAZYFREE;             /* folio_mark_lazyfree() */
			i += n;
			continue;
		}
		if (clear_young)
			for (unsigned j = 0; j < n; j++)
				pte[j].flags &= ~PTE_YOUNG;
		f->flags &= ~(FOLIO_REFERENCED | FOLIO_YOUNG);   /* folio_deactivate() */
		if (adv == KHP_ADV_PAGEOUT) {
			if (!f->order)
				ret = swap_out_pte(w, mm, pte);
			else if (w->cfg.swap)
				ret = swap_out_folio_ptes(w, mm, pte, n);
			else
				ret = folio_split(w, pte->val) == -ENOMEM ? -ENOMEM : 0;
			if (ret)
				return ret;
		}
		i += n;
	}
	return 0;
}

/* madvise_cold_or_pageout_pte_range() / madvise_free_huge_pmd() for a PMD mapping */
static int advise_pmd(struct khp_world *w, struct mm *mm, uint64_t idx, bool whole,
		      enum khp_advice adv, bool *as_ptes)
{
	struct pmd *pmd = pmd_lookup(mm, idx);
	struct folio *f = folio_of(w, pmd->folio);
	*as_ptes = false;
	if (large_folio_shared(w, f, 0, true, adv))
		return 0;
	if (!whole) {
		/* split_huge_page() of the whole folio, then the PTE path */
		if (split_pmd_mapped_folio(w, pmd->folio))
			return 0;
		*as_ptes = true;
		return 0;
	}
	if (adv == KHP_ADV_FREE) {
		pmd->flags &= ~(PTE_YOUNG | PTE_DIRTY);
		f->flags = (uint16_t)((f->flags & ~FOLIO_DIRTY) | FOLIO_LAZYFREE);
		return 0;
	}
	if (adv == KHP_ADV_COLD || w->rules->pageout_clear_young)
		pmd->flags &= ~PTE_YOUNG;
	f->flags &= ~(FOLIO_REFERENCED | FOLIO_YOUNG);
	if (adv != KHP_ADV_PAGEOUT)
		return 0;
	if (w->cfg.swap)
		return swap_out_pmd(w, mm, idx);
	/* no swap: add_to_swap() fails, the THP is split and kept */
	split_pmd_mapped_folio(w, pmd->folio);
	return 0;
}

static int advise_range(struct khp_world *w, struct mm *mm, uint64_t start, uint64_t end,
			enum khp_advice adv)
{
	for (uint64_t idx = pmd_index(w, start); idx <= pmd_index(w, end - 1); idx++) {
		struct pmd *pmd = pmd_lookup(mm, idx);
		bool as_ptes = true;
		unsigned from, to;

		pmd_clip(w, idx, start, end, &from, &to);
		int ret;

		if (!pmd || pmd->kind == PMD_HUGE_ZERO)
			continue;
		if (pmd->kind == PMD_HUGE) {
			ret = advise_pmd(w, mm, idx, from == 0 && to == pmd_nr(w), adv, &as_ptes);
			if (ret)
				return ret;
		}
		if (!as_ptes)
			continue;
		ret = advise_ptes(w, mm, idx, from, to, adv);
		if (ret)
			return ret;
	}
	return 0;
}

/* MADV_HUGEPAGE / MADV_NOHUGEPAGE on [start, end): split, set the flags, merge. */
static int advise_flags(struct khp_world *w, struct mm *mm, uint64_t start, uint64_t end,
			enum khp_advice adv)
{
	bool hugepage = adv == KHP_ADV_HUGEPAGE;
	uint32_t i;
	int ret;

	if (hugepage && w->rules->hugepage_enter == KHP_ENTER_EVERY_CALL) {
		for (i = 0; i < mm->nr_vmas; i++) {
			struct vma v = mm->vmas[i];

			if (v.end <= start || v.start >= end)
				continue;
			v.flags = (uint8_t)((v.flags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE);
			vma_khugepaged_enter(w, mm, &v);
		}
	}
	ret = vma_isolate_range(w, mm, start, end);
	if (ret)
		return ret;
	for (i = 0; i < mm->nr_vmas; i++) {
		struct vma *v = &mm->vmas[i];
		uint8_t old = v->flags;

		if (v->end <= start || v->start >= end)
			continue;
		if (hugepage)
			v->flags = (uint8_t)((v->flags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE);
		else
			v->flags = (uint8_t)((v->flags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE);
		if (w->rules->hugepage_enter == KHP_ENTER_ON_CHANGE && hugepage && old != v->flags)
			vma_khugepaged_enter(w, mm, v);
	}
	vma_merge_around(w, mm, start, end);
	return 0;
}

int op_madvise(struct khp_world *w, const struct khp_op *op)
{
	uint64_t start = op->addr, end = op->addr + op->pages;
	struct mm *mm;
	int ret = mm_get_range(w, op, &mm);

	if (ret)
		return ret;
	switch (op->advice) {
	case KHP_ADV_HUGEPAGE:
	case KHP_ADV_NOHUGEPAGE:
		return advise_flags(w, mm, start, end, (enum khp_advice)op->advice);
	default:
		return advise_range(w, mm, start, end, (enum khp_advice)op->advice);
	}
}
