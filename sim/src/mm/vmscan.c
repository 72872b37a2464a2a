/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reclaim of the pages an advice or an age op hands it: swap-out
 * (shrink_folio_list(), try_to_unmap_one() [6.1, 6.12, 7.3]: a swap entry
 * per PTE, the swap cache), the MADV_FREE check of lazyfree folios, and
 * reclaim aging (young bits, PG_referenced / PG_young).
 */
#include <stdlib.h>
#include <string.h>
#include "mm.h"

static int swap_slot_alloc(struct khp_world *w, uint32_t *out)
{
	uint32_t slot;

	if (w->free_swap) {
		slot = w->free_swap;
		w->free_swap = w->swap[slot].folio;
	} else {
		if (!w->nr_swap)
			w->nr_swap = 1;     /* slot 0 means "no slot" */
		if (array_reserve(&w->swap, &w->cap_swap, w->nr_swap + 1, sizeof(*w->swap), 64))
			return khp_err(w, -ENOMEM, "out of memory for swap");
		slot = w->nr_swap++;
	}
	memset(&w->swap[slot], 0, sizeof(w->swap[slot]));
	w->swap[slot].used = 1;
	w->swap_in_use++;
	*out = slot;
	return 0;
}

/*
 * Turn a present PTE into a swap entry of slot (0: a new slot), holding a
 * page whose content is data (zero or not).
 */
static int pte_to_swap(struct khp_world *w, struct pte *pte, uint32_t slot, uint8_t data)
{
	int ret = slot ? 0 : swap_slot_alloc(w, &slot);

	if (ret)
		return ret;
	w->swap[slot].count++;
	w->swap[slot].data = data;
	pte->kind = PTE_SWAP;
	pte->val = slot;
	pte->subpage = 0;
	pte->flags &= PTE_EXCL | PTE_UFFD;   /* pte_swp_mkexclusive() for AnonExclusive pages */
	return 0;
}

/*
 * try_to_unmap_one()'s MADV_FREE check [6.1, 6.12] / ttu_anon_lazyfree_folio()
 * [7.3] for a lazyfree order-0 folio: the dirty bit of the cleared PTE goes
 * to the folio (folio_mark_dirty()); a clean folio with no other reference
 * is discarded (the PTE becomes none); otherwise the PTE is restored as it
 * was, a redirtied folio is swap-backed again and reclaim keeps it.
 */
static void lazyfree_unmap_pte(struct khp_world *w, struct mm *mm, struct pte *pte)
{
	struct folio *f = folio_of(w, pte->val);
	bool busy = f->refcount != f->large_mapcount;   /* pins, GUP references */

	if (pte->flags & PTE_DIRTY)
		f->flags |= FOLIO_DIRTY;
	if (!(f->flags & FOLIO_DIRTY) && !busy) {
		zap_pte(w, mm, pte);
		return;
	}
	if ((f->flags & FOLIO_DIRTY) || !w->rules->lazyfree_busy_stays)
		f->flags &= ~FOLIO_LAZYFREE;        /* folio_set_swapbacked() */
}

/*
 * shrink_folio_list() for one order-0 folio mapped by one PTE: a lazyfree
 * folio is never written to swap (lazyfree_unmap_pte()), anything else is
 * written to swap and freed (a synchronous device: the swap cache is gone
 * when reclaim is done).
 */
int swap_out_pte(struct khp_world *w, struct mm *mm, struct pte *pte)
{
	uint32_t id = pte->val;
	struct folio *f = folio_of(w, id);
	int cache = (f->flags & FOLIO_SWAPCACHE) ? 1 : 0;
	uint32_t slot = f->swap;
	int ret;

	if (f->order)
		return 0;
	if (f->flags & FOLIO_LAZYFREE) {
		lazyfree_unmap_pte(w, mm, pte);
		return 0;
	}
	if (f->pincount || f->refcount != f->large_mapcount + cache)
		return 0;
	if (!w->cfg.swap)
		return 0;
	ret = pte_to_swap(w, pte, cache ? slot : 0, f->data0);
	if (ret)
		return ret;
	rmap_remove_ptes(w, id, 0, 1, mm);
	folio_put(w, id, 1);
	if (cache) {                          /* __remove_mapping() after writeback */
		f = folio_of(w, id);
		f->flags &= ~FOLIO_SWAPCACHE;
		f->swap = 0;
		w->swap[slot].folio = 0;
		folio_put(w, id, 1);
	}
	return 0;
}

/* add_to_swap() of a whole large folio mapped by ptes[0..n): THP_SWAP, no split */
int swap_out_folio_ptes(struct khp_world *w, struct mm *mm, struct pte *ptes, unsigned n)
{
	uint32_t id = ptes[0].val;
	struct folio *f = folio_of(w, id);
	unsigned sub = ptes[0].subpage;
	int ret;

	if (f->pincount || f->refcount != f->large_mapcount)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		ret = pte_to_swap(w, &ptes[i], 0, folio_data(f)[sub + i]);
		if (ret)
			return ret;
		f = folio_of(w, id);
	}
	rmap_remove_ptes(w, id, sub, n, mm);
	folio_put(w, id, (int)n);
	return 0;
}

/* A PMD-mapped THP swapped out whole: the PMD becomes a table of swap entries */
int swap_out_pmd(struct khp_world *w, struct mm *mm, uint64_t idx)
{
	struct pmd *pmd = pmd_lookup(mm, idx);
	uint32_t id = pmd->folio;
	struct folio *f = folio_of(w, id);
	uint8_t excl = pmd->flags & PTE_EXCL;
	struct pte *ptes;
	int ret;

	if (f->pincount || f->refcount != f->large_mapcount || f->large_mapcount != 1)
		return 0;
	ptes = pte_table_alloc(w, false);   /* every entry is written below */
	if (!ptes)
		return khp_err(w, -ENOMEM, "out of memory for page tables");
	for (unsigned i = 0; i < pmd_nr(w); i++) {
		ptes[i].flags = excl;
		ret = pte_to_swap(w, &ptes[i], 0, folio_data(folio_of(w, id))[i]);
		if (ret) {
			for (unsigned j = 0; j < i; j++)
				swap_slot_release(w, (w->swap[ptes[j].val].count = 0, ptes[j].val));
			pte_table_free(w, ptes);
			return ret;
		}
	}
	pmd = pmd_lookup(mm, idx);
	rmap_remove_pmd(w, id, mm);
	folio_put(w, id, 1);
	pmd->kind = PMD_TABLE;
	pmd->folio = 0;
	pmd->flags = 0;
	pmd->ptes = ptes;
	return 0;
}

/* Reclaim aging: young bits and PG_referenced / PG_young cleared */
int op_age(struct khp_world *w, const struct khp_op *op)
{
	bool range = op->flags & KHP_OPF_RANGE;
	uint64_t start = range ? op->addr : 0, end = range ? op->addr + op->pages : UINT64_MAX;
	struct mm *mm = mm_get(w, op->mm);
	int ret = mm && range ? mm_get_range(w, op, &mm) : 0;

	if (!mm)
		return -ENOENT;
	if (ret)
		return ret;
	for (uint32_t p = 0; p < mm->nr_pmds; p++) {
		struct pmd *pmd = &mm->pmds[p];
		uint64_t base = pmd->index << w->pmd_order;

		if (pmd->kind != PMD_TABLE) {
			if (base >= start && base < end) {
				pmd->flags &= ~PTE_YOUNG;
				if (pmd->kind == PMD_HUGE)
					folio_of(w, pmd->folio)->flags &= ~(FOLIO_REFERENCED | FOLIO_YOUNG);
			}
			continue;
		}
		for (unsigned i = 0; i < pmd_nr(w); i++) {
			struct pte *pte = &pmd->ptes[i];

			if (base + i < start || base + i >= end)
				continue;
			pte->flags &= ~PTE_YOUNG;
			if (pte->kind == PTE_PRESENT)
				folio_of(w, pte->val)->flags &= ~(FOLIO_REFERENCED | FOLIO_YOUNG);
		}
	}
	return 0;
}
