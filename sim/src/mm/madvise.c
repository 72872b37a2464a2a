/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * madvise(2) advice, mprotect(2), long-term pins, aging and reclaim:
 * MADV_HUGEPAGE / NOHUGEPAGE (VMA flags; splits and merges), MADV_COLD and
 * MADV_PAGEOUT (madvise_cold_or_pageout_pte_range(): only folios this mm
 * maps alone, by each era's test; pageout swaps them out), MADV_FREE
 * (lazyfree), the deferred-split shrinker.
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
static int swap_out_folio_ptes(struct khp_world *w, struct mm *mm, struct pte *ptes, unsigned n)
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
static int swap_out_pmd(struct khp_world *w, struct mm *mm, uint64_t idx)
{
	struct pmd *pmd = pmd_lookup(mm, idx);
	uint32_t id = pmd->folio;
	struct folio *f = folio_of(w, id);
	uint8_t excl = pmd->flags & PTE_EXCL;
	struct pte *ptes;
	int ret;

	if (f->pincount || f->refcount != f->large_mapcount || f->large_mapcount != 1)
		return 0;
	ptes = calloc(pmd_nr(w), sizeof(*ptes));
	if (!ptes)
		return khp_err(w, -ENOMEM, "out of memory for page tables");
	for (unsigned i = 0; i < pmd_nr(w); i++) {
		ptes[i].flags = excl;
		ret = pte_to_swap(w, &ptes[i], 0, folio_data(folio_of(w, id))[i]);
		if (ret) {
			for (unsigned j = 0; j < i; j++)
				swap_slot_release(w, (w->swap[ptes[j].val].count = 0, ptes[j].val));
			free(ptes);
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

/* split_folio() of a folio some PMD maps: unmap_folio() splits every PMD first */
static int split_pmd_mapped_folio(struct khp_world *w, uint32_t id)
{
	for (unsigned m = 0; m < w->nr_mms; m++) {
		struct mm *mm = &w->mms[m];

		for (uint32_t i = 0; mm->alive && i < mm->nr_pmds; i++) {
			if (mm->pmds[i].kind == PMD_HUGE && mm->pmds[i].folio == id) {
				int ret = split_huge_pmd(w, mm, mm->pmds[i].index);

				if (ret)
					return ret;
			}
		}
	}
	return folio_split(w, id);
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
		uint64_t base = idx << w->pmd_order;
		unsigned from = start > base ? (unsigned)(start - base) : 0;
		unsigned to = end < base + pmd_nr(w) ? (unsigned)(end - base) : pmd_nr(w);
		struct pmd *pmd = pmd_lookup(mm, idx);
		bool as_ptes = true;
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

/*
 * [7.3] change_present_ptes() batches the PTEs of one large folio
 * (mprotect_folio_pte_batch(), respecting write) and the generic
 * modify_prot_start_ptes() ORs their young and dirty bits, which
 * modify_prot_commit_ptes() then writes to every PTE of the batch.
 */
static void mprotect_batch_bits(struct pte *ptes, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to;) {
		unsigned n;
		uint8_t bits;

		if (ptes[i].kind != PTE_PRESENT) {
			i++;
			continue;
		}
		n = folio_pte_batch(&ptes[i], to - i, PTE_WRITE);
		bits = 0;
		for (unsigned j = i; j < i + n; j++)
			bits |= ptes[j].flags & (PTE_YOUNG | PTE_DIRTY);
		for (unsigned j = i; j < i + n; j++)
			ptes[j].flags |= bits;
		i += n;
	}
}

/*
 * mprotect(): PROT_WRITE off write-protects every PTE and PMD; on, only
 * exclusive anonymous pages become writable at once (can_change_pte_writable()).
 */
int op_mprotect(struct khp_world *w, const struct khp_op *op)
{
	uint64_t start = op->addr, end = op->addr + op->pages;
	bool write = op->flags & KHP_OPF_WRITE;
	struct mm *mm;
	int ret = mm_get_range(w, op, &mm);

	if (ret)
		return ret;
	ret = vma_isolate_range(w, mm, start, end);
	if (ret)
		return ret;
	for (struct vma *v = vma_find(mm, start); v && v->start < end; v++) {
		v->flags = (uint8_t)(write ? v->flags | VM_WRITE : v->flags & ~VM_WRITE);
		if (v + 1 >= mm->vmas + mm->nr_vmas)
			break;
	}
	for (uint64_t idx = pmd_index(w, start); idx <= pmd_index(w, end - 1); idx++) {
		struct pmd *pmd = pmd_lookup(mm, idx);

		if (!pmd)
			continue;
		if (pmd->kind != PMD_TABLE) {
			/* change_huge_pmd(): 6.1 never upgrades a PMD */
			if (!write)
				pmd->flags &= ~PTE_WRITE;
			else if (pmd->kind == PMD_HUGE && (pmd->flags & PTE_EXCL) &&
				 w->rules->mprotect_pmd_write)
				pmd->flags |= PTE_WRITE;
			continue;
		}
		uint64_t base = idx << w->pmd_order;
		unsigned from = start > base ? (unsigned)(start - base) : 0;
		unsigned to = end < base + pmd_nr(w) ? (unsigned)(end - base) : pmd_nr(w);

		if (w->rules->mprotect_batch)
			mprotect_batch_bits(pmd->ptes, from, to);
		for (unsigned i = from; i < to; i++) {
			struct pte *pte = &pmd->ptes[i];

			if (pte->kind != PTE_PRESENT)
				continue;
			/* can_change_pte_writable(): 6.1 also wants pte_dirty */
			if (!write)
				pte->flags &= ~PTE_WRITE;
			else if ((pte->flags & PTE_EXCL) && !(pte->flags & PTE_UFFD) &&
				 ((pte->flags & PTE_DIRTY) || !w->rules->mprotect_pte_dirty))
				pte->flags |= PTE_WRITE;
		}
	}
	vma_merge_around(w, mm, start, end);
	return 0;
}

/* The folio mapped at addr (PTE or PMD), 0 if none. */
static uint32_t folio_at(struct khp_world *w, struct mm *mm, uint64_t addr)
{
	struct pmd *pmd = pmd_lookup(mm, pmd_index(w, addr));
	struct pte *pte;

	if (!pmd)
		return 0;
	if (pmd->kind == PMD_HUGE)
		return pmd->folio;
	if (pmd->kind != PMD_TABLE)
		return 0;
	pte = &pmd->ptes[addr & (pmd_nr(w) - 1)];
	return pte->kind == PTE_PRESENT ? pte->val : 0;
}

/* pin_user_pages(FOLL_WRITE | FOLL_LONGTERM) of one page, and unpin_user_page() */
int op_pin(struct khp_world *w, const struct khp_op *op, bool pin)
{
	struct mm *mm = mm_get(w, op->mm);
	struct vma *v;
	uint32_t id;
	int ret;

	if (!mm)
		return -ENOENT;
	if (!pin) {
		for (uint32_t i = w->nr_pins; i-- > 0;) {
			if (w->pins[i].mm != op->mm || w->pins[i].addr != op->addr)
				continue;
			id = w->pins[i].folio;
			w->pins[i] = w->pins[--w->nr_pins];
			folio_of(w, id)->pincount--;
			folio_put(w, id, 1);
			return 0;
		}
		return khp_err(w, -EINVAL, "unpin: mm %u holds no pin at %#llx", op->mm,
			       (unsigned long long)op->addr);
	}
	v = vma_find(mm, op->addr);
	if (!v)
		return khp_err(w, -EFAULT, "pin: %#llx is not mapped in mm %u",
			       (unsigned long long)op->addr, op->mm);
	if (!(v->flags & VM_WRITE))
		return khp_err(w, -EFAULT, "pin: %#llx is not writable in mm %u",
			       (unsigned long long)op->addr, op->mm);
	if (w->nr_pins >= 65536)
		return khp_err(w, -ENOMEM, "too many pins");
	if (array_reserve(&w->pins, &w->cap_pins, w->nr_pins + 1, sizeof(*w->pins), 8))
		return khp_err(w, -ENOMEM, "out of memory for pins");
	ret = handle_mm_fault(w, mm, op->addr, true);
	if (ret)
		return ret;
	id = folio_at(w, mm, op->addr);
	folio_of(w, id)->pincount++;
	folio_get(w, id, 1);
	mm->has_pinned = true;
	w->pins[w->nr_pins++] = (struct pin){ .mm = op->mm, .folio = id, .addr = op->addr };
	return 0;
}

/* Drop the pins an exiting mm held (its io_uring goes away with it). */
void unpin_mm(struct khp_world *w, unsigned mm)
{
	for (uint32_t i = w->nr_pins; i-- > 0;) {
		uint32_t id = w->pins[i].folio;

		if (w->pins[i].mm != mm)
			continue;
		w->pins[i] = w->pins[--w->nr_pins];
		folio_of(w, id)->pincount--;
		folio_put(w, id, 1);
	}
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

/* [6.12+] thp_underused(): more than max_ptes_none zero-filled subpages */
static bool thp_underused(const struct khp_world *w, const struct folio *f)
{
	unsigned zero = 0;

	if (!w->rules->thp_shrinker || !w->cfg.shrink_underused ||
	    w->cfg.max_ptes_none == pmd_nr(w) - 1)
		return false;
	for (unsigned i = 0; i < folio_nr_pages(f); i++)
		zero += !f->data[i];
	return zero > w->cfg.max_ptes_none;
}

/*
 * deferred_split_scan(): split the queued partially mapped folios (those
 * with extra references stay queued); 6.12+ also splits underused THPs and
 * drops the other fully mapped ones from the queue.
 */
void deferred_split_scan(struct khp_world *w)
{
	for (uint32_t id = 1; id < w->nr_folios; id++) {
		struct folio *f = folio_of(w, id);

		if (!f->refcount || !f->order || !(f->flags & FOLIO_DEFERRED))
			continue;
		if (!(f->flags & FOLIO_PARTIAL)) {
			if (!thp_underused(w, f) || f->pincount) {
				f->flags &= ~FOLIO_DEFERRED;
				continue;
			}
			split_pmd_mapped_folio(w, id);
			continue;
		}
		folio_split(w, id);
	}
}
