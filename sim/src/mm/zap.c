/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unmapping: zap_pte_range() / zap_huge_pmd() for MADV_DONTNEED, munmap and
 * exit.  A partial zap of a PMD mapping splits it first.  6.12 and 7.3 batch
 * consecutive PTEs of one folio into one rmap removal (zap_present_ptes), 6.1
 * removes page by page; the difference decides deferred-split queueing.
 * 7.3 (CONFIG_PT_RECLAIM) frees a PTE table emptied by a DONTNEED that
 * covered all of it.
 */
#include <stdlib.h>
#include <string.h>
#include "mm.h"

static void swap_entry_free(struct khp_world *w, uint32_t slot)
{
	struct swap_slot *s = &w->swap[slot];

	s->count--;
	if (s->count)
		return;
	if (s->folio)
		free_swap_cache(w, s->folio);   /* free_swap_and_cache() */
	else
		swap_slot_release(w, slot);
}

static void zap_present(struct khp_world *w, struct mm *mm, uint32_t id, unsigned sub,
			unsigned nr)
{
	rmap_remove_ptes(w, id, sub, nr, mm);
	if (w->folios[id].flags & FOLIO_SWAPCACHE && !w->folios[id].large_mapcount) {
		folio_put(w, id, (int)nr);
		free_swap_cache(w, id);
		return;
	}
	folio_put(w, id, (int)nr);
}

void zap_pte(struct khp_world *w, struct mm *mm, struct pte *pte)
{
	switch (pte->kind) {
	case PTE_PRESENT:
		zap_present(w, mm, pte->val, pte->subpage, 1);
		break;
	case PTE_SWAP:
		swap_entry_free(w, pte->val);
		break;
	default:
		break;
	}
	memset(pte, 0, sizeof(*pte));
}

static void zap_table(struct khp_world *w, struct mm *mm, struct pte *ptes, unsigned from,
		      unsigned to)
{
	bool batch = w->rules->zap_batch;

	for (unsigned i = from; i < to;) {
		struct pte *pte = &ptes[i];
		unsigned n = 1;

		if (pte->kind == PTE_PRESENT && batch) {
			n = folio_pte_batch(pte, to - i, 0);
			zap_present(w, mm, pte->val, pte->subpage, n);
			memset(pte, 0, n * sizeof(*pte));
		} else {
			zap_pte(w, mm, pte);
		}
		i += n;
	}
}

static bool table_empty(const struct khp_world *w, const struct pte *ptes)
{
	for (unsigned i = 0; i < pmd_nr(w); i++)
		if (ptes[i].kind != PTE_NONE)
			return false;
	return true;
}

/*
 * zap_page_range_single() over [start, end) of mm.  reclaim_pt: this is a
 * MADV_DONTNEED (7.3 frees tables it emptied completely).
 */
int zap_range(struct khp_world *w, struct mm *mm, uint64_t start, uint64_t end, bool reclaim_pt)
{
	unsigned nr = pmd_nr(w);

	for (uint64_t idx = pmd_index(w, start); idx <= pmd_index(w, end - 1); idx++) {
		struct pmd *pmd = pmd_lookup(mm, idx);
		unsigned from, to;
		int ret;

		pmd_clip(w, idx, start, end, &from, &to);

		if (!pmd)
			continue;
		if (pmd->kind != PMD_TABLE) {
			if (from == 0 && to == nr) {    /* zap_huge_pmd() */
				if (pmd->kind == PMD_HUGE) {
					rmap_remove_pmd(w, pmd->folio, mm);
					folio_put(w, pmd->folio, 1);
				}
				pmd_free_entry(w, mm, idx);
				continue;
			}
			ret = split_huge_pmd(w, mm, idx);
			if (ret)
				return ret;
		}
		zap_table(w, mm, pmd->ptes, from, to);
		if (reclaim_pt && w->rules->reclaim_pt && from == 0 && to == nr &&
		    table_empty(w, pmd->ptes))
			pmd_free_entry(w, mm, idx);
	}
	return 0;
}

/* free_pgtables(): tables of PMD ranges no VMA overlaps any more */
void free_pgtables(struct khp_world *w, struct mm *mm, uint64_t start, uint64_t end)
{
	for (uint64_t idx = pmd_index(w, start); idx <= pmd_index(w, end - 1); idx++) {
		uint64_t base = idx << w->pmd_order;
		struct pmd *pmd = pmd_lookup(mm, idx);

		if (pmd && vma_range_free(mm, base, base + pmd_nr(w))) {
			zap_range(w, mm, base, base + pmd_nr(w), false);
			pmd_free_entry(w, mm, idx);
		}
	}
	pud_free_unused(mm, w->pmd_order);
}

/* exit_mmap() */
void zap_mm(struct khp_world *w, struct mm *mm)
{
	for (uint32_t i = mm->nr_pmds; i-- > 0;) {
		uint64_t base = mm->pmds[i].index << w->pmd_order;

		zap_range(w, mm, base, base + pmd_nr(w), false);
	}
	for (uint32_t i = 0; i < mm->nr_pmds; i++)
		pte_table_free(w, mm->pmds[i].ptes);
	mm->nr_pmds = 0;
	mm->nr_vmas = 0;
	mm->nr_puds = 0;
	mm->alive = false;
	mm->registered = false;
	mm->has_pinned = false;
}
