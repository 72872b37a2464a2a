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
#include "internal.h"

/* "Do not interfere with other mappings of this page" in each era */
static bool folio_mapped_shared(const struct khp_world *w, const struct folio *f, unsigned sub)
{
	switch (w->prof.kernel) {
	case KHP_LINUX_6_1:
		return page_mapcount(f, sub) != 1;
	case KHP_LINUX_6_12:
		return f->order ? folio_likely_mapped_shared(f) : f->large_mapcount != 1;
	default:
		return f->order ? folio_maybe_mapped_shared(f) : f->large_mapcount != 1;
	}
}

static int swap_slot_alloc(struct khp_world *w, uint32_t *out)
{
	uint32_t slot;

	if (w->free_swap) {
		slot = w->free_swap;
		w->free_swap = w->swap[slot].folio;
	} else {
		if (w->nr_swap + 1 >= w->cap_swap) {
			uint32_t cap = w->cap_swap ? w->cap_swap * 2 : 64;
			struct swap_slot *s = realloc(w->swap, cap * sizeof(*s));

			if (!s)
				return khp_err(w, -ENOMEM, "out of memory for swap");
			memset(s + w->cap_swap, 0, (cap - w->cap_swap) * sizeof(*s));
			w->swap = s;
			w->cap_swap = cap;
			if (!w->nr_swap)
				w->nr_swap = 1;
		}
		slot = w->nr_swap++;
	}
	memset(&w->swap[slot], 0, sizeof(w->swap[slot]));
	w->swap[slot].used = 1;
	w->swap_in_use++;
	*out = slot;
	return 0;
}

/*
 * shrink_folio_list() for one order-0 folio mapped by one PTE: a clean
 * lazyfree folio is discarded, anything else is written to swap and freed.
 */
int swap_out_pte(struct khp_world *w, struct mm *mm, struct pte *pte)
{
	uint32_t id = pte->val, slot;
	struct folio *f = folio_of(w, id);
	int cache = (f->flags & FOLIO_SWAPCACHE) ? 1 : 0;
	int ret;

	if (f->order || f->pincount || f->refcount != f->large_mapcount + cache)
		return 0;
	if ((f->flags & FOLIO_LAZYFREE) && !(pte->flags & PTE_DIRTY)) {
		zap_pte(w, mm, pte);          /* discarded: the PTE becomes none */
		return 0;
	}
	if (!w->cfg.swap)
		return 0;
	if (cache) {
		slot = f->swap;
	} else {
		ret = swap_slot_alloc(w, &slot);
		if (ret)
			return ret;
	}
	w->swap[slot].count++;
	w->swap[slot].data = f->data0;
	rmap_remove_ptes(w, id, 0, 1, mm);
	pte->kind = PTE_SWAP;
	pte->val = slot;
	pte->subpage = 0;
	pte->flags = (pte->flags & (PTE_EXCL | PTE_UFFD));
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

/* Split a PTE-mapped large folio so its pages can be handled one by one. */
static bool split_for_reclaim(struct khp_world *w, uint32_t id)
{
	return folio_split(w, id) == 0;
}

static int cold_or_pageout_pte(struct khp_world *w, struct mm *mm, struct pte *pte,
			       enum khp_advice adv)
{
	struct folio *f;

	if (pte->kind != PTE_PRESENT)
		return 0;
	f = folio_of(w, pte->val);
	if (folio_mapped_shared(w, f, pte->subpage))
		return 0;
	if (f->order && !split_for_reclaim(w, pte->val))
		return 0;
	f = folio_of(w, pte->val);
	if (f->large_mapcount != 1)
		return 0;
	pte->flags &= ~PTE_YOUNG;            /* ptep_test_and_clear_young() */
	f->flags &= ~(FOLIO_REFERENCED | FOLIO_YOUNG);   /* folio_deactivate() */
	if (adv == KHP_ADV_PAGEOUT)
		return swap_out_pte(w, mm, pte);
	return 0;
}

/* madvise_free_pte_range() for one PTE */
static int free_pte(struct khp_world *w, struct mm *mm, struct pte *pte)
{
	struct folio *f;

	if (pte->kind == PTE_SWAP) {
		zap_pte(w, mm, pte);
		return 0;
	}
	if (pte->kind != PTE_PRESENT)
		return 0;
	f = folio_of(w, pte->val);
	if (folio_mapped_shared(w, f, pte->subpage))
		return 0;
	if (f->order && !split_for_reclaim(w, pte->val))
		return 0;
	f = folio_of(w, pte->val);
	if (f->large_mapcount != 1)
		return 0;
	folio_free_swap(w, pte->val);
	pte->flags &= ~(PTE_YOUNG | PTE_DIRTY);
	f = folio_of(w, pte->val);
	if (!(f->flags & FOLIO_SWAPCACHE))
		f->flags |= FOLIO_LAZYFREE;        /* mark_page_lazyfree() */
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
		int ret;

		if (!pmd || pmd->kind == PMD_HUGE_ZERO)
			continue;
		if (pmd->kind == PMD_HUGE) {
			struct folio *f = folio_of(w, pmd->folio);

			if (folio_mapped_shared(w, f, 0))
				continue;
			if (adv == KHP_ADV_COLD && from == 0 && to == pmd_nr(w)) {
				pmd->flags &= ~PTE_YOUNG;
				f->flags &= ~(FOLIO_REFERENCED | FOLIO_YOUNG);
				continue;
			}
			if (adv == KHP_ADV_FREE && from == 0 && to == pmd_nr(w)) {
				pmd->flags &= ~(PTE_YOUNG | PTE_DIRTY);
				f->flags |= FOLIO_LAZYFREE;
				continue;
			}
			ret = split_huge_pmd(w, mm, idx);
			if (ret)
				return ret;
			pmd = pmd_lookup(mm, idx);
		}
		for (unsigned i = from; i < to; i++) {
			struct pte *pte = &pmd_lookup(mm, idx)->ptes[i];

			ret = adv == KHP_ADV_FREE ? free_pte(w, mm, pte) :
						    cold_or_pageout_pte(w, mm, pte, adv);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* hugepage_madvise(): VM_HUGEPAGE / VM_NOHUGEPAGE on [start, end) */
static int advise_flags(struct khp_world *w, struct mm *mm, uint64_t start, uint64_t end,
			enum khp_advice adv)
{
	int ret = vma_isolate_range(w, mm, start, end);
	bool changed = false;

	if (ret)
		return ret;
	for (struct vma *v = vma_find(mm, start); v && v->start < end; v++) {
		uint8_t old = v->flags;

		if (adv == KHP_ADV_HUGEPAGE)
			v->flags = (uint8_t)((v->flags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE);
		else
			v->flags = (uint8_t)((v->flags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE);
		changed |= old != v->flags;
		if (v + 1 >= mm->vmas + mm->nr_vmas)
			break;
	}
	vma_merge_around(mm, start, end);
	/* khugepaged_enter_vma(); 7.3 only calls it when the flags changed */
	if (adv == KHP_ADV_HUGEPAGE && (changed || w->prof.kernel != KHP_LINUX_7_3))
		for (struct vma *v = vma_find(mm, start); v && v->start < end; v++) {
			vma_khugepaged_enter(w, mm, v);
			if (v + 1 >= mm->vmas + mm->nr_vmas)
				break;
		}
	return 0;
}

int op_madvise(struct khp_world *w, const struct khp_op *op)
{
	struct mm *mm = mm_get(w, op->mm);
	uint64_t start = op->addr, end = op->addr + op->pages;

	if (!mm)
		return -ENOENT;
	if (!vma_range_covered(mm, start, end))
		return khp_err(w, -EFAULT, "madvise: [%#llx, %#llx) is not mapped in mm %u",
			       (unsigned long long)start, (unsigned long long)end, op->mm);
	switch (op->advice) {
	case KHP_ADV_HUGEPAGE:
	case KHP_ADV_NOHUGEPAGE:
		return advise_flags(w, mm, start, end, (enum khp_advice)op->advice);
	default:
		return advise_range(w, mm, start, end, (enum khp_advice)op->advice);
	}
}

/*
 * mprotect(): PROT_WRITE off write-protects every PTE and PMD; on, only
 * exclusive anonymous pages become writable at once (can_change_pte_writable()).
 */
int op_mprotect(struct khp_world *w, const struct khp_op *op)
{
	struct mm *mm = mm_get(w, op->mm);
	uint64_t start = op->addr, end = op->addr + op->pages;
	bool write = op->flags & KHP_OPF_WRITE;
	int ret;

	if (!mm)
		return -ENOENT;
	if (!vma_range_covered(mm, start, end))
		return khp_err(w, -EFAULT, "mprotect: [%#llx, %#llx) is not mapped in mm %u",
			       (unsigned long long)start, (unsigned long long)end, op->mm);
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
			if (!write)
				pmd->flags &= ~PTE_WRITE;
			else if (pmd->kind == PMD_HUGE && (pmd->flags & PTE_EXCL))
				pmd->flags |= PTE_WRITE;
			continue;
		}
		for (unsigned i = 0; i < pmd_nr(w); i++) {
			uint64_t a = (idx << w->pmd_order) + i;
			struct pte *pte = &pmd->ptes[i];

			if (a < start || a >= end || pte->kind != PTE_PRESENT)
				continue;
			if (!write)
				pte->flags &= ~PTE_WRITE;
			else if (pte->flags & PTE_EXCL)
				pte->flags |= PTE_WRITE;
		}
	}
	vma_merge_register(w, mm, start, end);
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
	if (w->nr_pins == w->cap_pins) {
		uint32_t cap = w->cap_pins ? w->cap_pins * 2 : 8;
		struct pin *p;

		if (cap > 65536)
			return khp_err(w, -ENOMEM, "too many pins");
		p = realloc(w->pins, cap * sizeof(*p));
		if (!p)
			return khp_err(w, -ENOMEM, "out of memory for pins");
		w->pins = p;
		w->cap_pins = cap;
	}
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
	struct mm *mm = mm_get(w, op->mm);
	bool range = op->flags & KHP_OPF_RANGE;
	uint64_t start = range ? op->addr : 0, end = range ? op->addr + op->pages : UINT64_MAX;

	if (!mm)
		return -ENOENT;
	if (range && !vma_range_covered(mm, start, end))
		return khp_err(w, -EFAULT, "age: [%#llx, %#llx) is not mapped in mm %u",
			       (unsigned long long)start, (unsigned long long)end, op->mm);
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

	if (w->prof.kernel == KHP_LINUX_6_1 || !w->cfg.shrink_underused ||
	    w->cfg.max_ptes_none == pmd_nr(w) - 1)
		return false;
	for (unsigned i = 0; i < folio_nr_pages(f); i++)
		zero += !f->data[i];
	return zero > w->cfg.max_ptes_none;
}

/* split_folio() of a PMD-mapped folio: unmap_folio() splits every PMD first */
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
