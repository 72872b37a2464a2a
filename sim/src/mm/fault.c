/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page faults (mm/memory.c, mm/huge_memory.c): handle_mm_fault() for one
 * page.  pmd_none + THP-eligible: do_huge_pmd_anonymous_page() (huge zero
 * page on read when use_zero_page, a PMD THP on write); otherwise
 * do_anonymous_page() (zero page on read; an order-0 page, or on 6.12+ the
 * largest enabled mTHP that fits, on write); a write to a read-only PTE is
 * do_wp_page() (reuse when exclusive, else a 4 KiB copy); a swap PTE is
 * do_swap_page().  Every mapping installed here is young (x86 sets
 * _PAGE_ACCESSED in the protection bits).
 */
#include <string.h>
#include "mm.h"

static void set_data(struct folio *f, unsigned sub)
{
	folio_data(f)[sub] = 1;
}

/* do_huge_pmd_anonymous_page(); *done unless it falls back to small pages */
static int do_huge_pmd_anonymous_page(struct khp_world *w, struct mm *mm, struct vma *v,
				      uint64_t addr, bool write, bool *done)
{
	uint64_t index = pmd_index(w, addr), base = index << w->pmd_order;
	struct pmd *pmd;
	uint32_t id;
	int ret;

	if (!vma_thp_policy(w, v, true) || base < v->start || base + pmd_nr(w) > v->end)
		return 0;
	vma_anon_prepare(w, mm, v);
	vma_khugepaged_enter(w, mm, v);
	if (!write && w->cfg.use_zero_page) {
		ret = pmd_alloc_huge(w, mm, index, &pmd);
		if (ret)
			return ret;
		pmd->kind = PMD_HUGE_ZERO;
		pmd->flags = PTE_YOUNG;
		*done = true;
		return 0;
	}
	if (folio_alloc_huge_fails(w))
		return 0;    /* THP_FAULT_FALLBACK: small pages */
	ret = folio_alloc(w, w->pmd_order, &id);
	if (ret)
		return ret;
	ret = pmd_alloc_huge(w, mm, index, &pmd);
	if (ret) {
		folio_put(w, id, 1);
		return ret;
	}
	map_anon_folio_pmd(w, mm, pmd, id,
			   PTE_YOUNG | PTE_DIRTY | PTE_EXCL | ((v->flags & VM_WRITE) ? PTE_WRITE : 0));
	if (write)
		set_data(folio_of(w, id), (unsigned)(addr - base));
	*done = true;
	return 0;
}

/* alloc_anon_folio() [6.12+]: the largest enabled mTHP order whose aligned range is all none */
static unsigned anon_fault_order(struct khp_world *w, struct vma *v, struct pte *ptes,
				 uint64_t addr)
{
	uint64_t base = pmd_index(w, addr) << w->pmd_order;

	/* userfaultfd_armed(): order 0 */
	if (!w->rules->mthp_fault || !w->cfg.mthp_orders ||
	    (v->flags & (VM_NOHUGEPAGE | VM_UFFD_WP)))
		return 0;
	for (unsigned o = w->pmd_order - 1; o >= 2; o--) {
		uint64_t start = addr & ~((1ull << o) - 1);
		bool ok = (w->cfg.mthp_orders & (1u << o)) && start >= v->start &&
			  start + (1ull << o) <= v->end;

		for (unsigned i = 0; ok && i < (1u << o); i++)
			ok = ptes[start - base + i].kind == PTE_NONE;
		if (ok)
			return o;
	}
	return 0;
}

/* do_anonymous_page() for a write fault on pte_none */
static int do_anonymous_write(struct khp_world *w, struct mm *mm, struct vma *v,
			      struct pte *ptes, uint64_t addr)
{
	uint64_t base = pmd_index(w, addr) << w->pmd_order;
	unsigned order = anon_fault_order(w, v, ptes, addr);
	unsigned nr = 1u << order, first = (unsigned)((addr & ~((uint64_t)nr - 1)) - base);
	uint32_t id;
	int ret;

	vma_anon_prepare(w, mm, v);
	ret = folio_alloc(w, order, &id);
	if (ret)
		return ret;
	map_anon_folio_pte(w, mm, &ptes[first], id, nr,
			   PTE_YOUNG | PTE_DIRTY | PTE_EXCL | ((v->flags & VM_WRITE) ? PTE_WRITE : 0));
	set_data(folio_of(w, id), (unsigned)(addr - base) - first);
	return 0;
}

/*
 * wp_can_reuse_anon_folio() for a page that is not PageAnonExclusive:
 * small folios when no other reference remains (the swap cache is dropped
 * first); large ones: 6.1 the same test on the folio, 6.12 never, 7.3
 * __wp_can_reuse_large_anon_folio(): more than one page mapped, the MM-ID
 * shared bit clear, and no reference beyond the mappings.
 */
static bool wp_can_reuse(struct khp_world *w, uint32_t id)
{
	struct folio *f = folio_of(w, id);

	if (!f->order || w->rules->wp_reuse_large == KHP_WP_REUSE_REFCOUNT) {
		folio_free_swap(w, id);
		return folio_of(w, id)->refcount == 1;
	}
	if (w->rules->wp_reuse_large == KHP_WP_REUSE_NEVER)
		return false;
	return f->large_mapcount > 1 && !(f->flags & FOLIO_SHARED_BIT) &&
	       f->large_mapcount == f->refcount;
}

/* do_wp_page(): write to a present read-only PTE */
static int do_wp_page(struct khp_world *w, struct mm *mm, struct vma *v, struct pte *pte)
{
	uint32_t old = pte->val, id;
	unsigned sub = pte->subpage;
	uint8_t data;
	int ret;

	if (pte->kind == PTE_PRESENT && ((pte->flags & PTE_EXCL) || wp_can_reuse(w, old))) {
		pte->flags |= PTE_WRITE | PTE_DIRTY | PTE_YOUNG | PTE_EXCL;  /* wp_page_reuse() */
		set_data(folio_of(w, old), sub);
		return 0;
	}
	/* wp_page_copy(): a new 4 KiB page */
	vma_anon_prepare(w, mm, v);
	data = pte->kind == PTE_PRESENT ? folio_data(folio_of(w, old))[sub] : 0;
	ret = folio_alloc(w, 0, &id);
	if (ret)
		return ret;
	if (pte->kind == PTE_PRESENT) {
		rmap_remove_ptes(w, old, sub, 1, mm);
		folio_put(w, old, 1);
		free_swap_cache(w, old);
	}
	folio_of(w, id)->data0 = data;
	rmap_add_ptes(w, id, 0, 1, mm);
	pte->kind = PTE_PRESENT;
	pte->val = id;
	pte->subpage = 0;
	pte->flags = PTE_WRITE | PTE_DIRTY | PTE_YOUNG | PTE_EXCL;
	set_data(folio_of(w, id), 0);
	return 0;
}

/*
 * do_swap_page() from a SWP_SYNCHRONOUS_IO device (zram, brd): 6.1 and 6.12
 * skip the swap cache when this PTE is the slot's only user (the page is
 * then exclusive); 7.3 goes through the cache and frees it at once
 * (should_try_to_free_swap()).  On a read fault 6.12 maps an exclusive (or
 * unreferenced) page writable, 7.3 only an exclusive one, 6.1 never.
 */
int do_swap_page(struct khp_world *w, struct mm *mm, struct vma *v, struct pte *pte, bool write)
{
	const struct khp_rules *r = w->rules;
	uint32_t slot = pte->val, id = w->swap[slot].folio;
	bool exclusive = pte->flags & PTE_EXCL;
	bool bypass = r->swapin_skip_cache && !id && w->swap[slot].count == 1;
	bool reuse, writable;
	int ret;

	if (id) {
		folio_get(w, id, 1);
	} else {
		ret = folio_alloc(w, 0, &id);
		if (ret)
			return ret;
		folio_of(w, id)->data0 = w->swap[slot].data;
		if (bypass) {
			exclusive = true;
		} else {
			folio_of(w, id)->flags |= FOLIO_SWAPCACHE;   /* the cache's reference */
			folio_of(w, id)->swap = slot;
			w->swap[slot].folio = id;
			folio_get(w, id, 1);
		}
	}
	rmap_add_ptes(w, id, 0, 1, mm);
	w->swap[slot].count--;                      /* swap_free() */
	if (bypass)
		swap_slot_release(w, slot);
	reuse = exclusive || (r->swapin_reuse_refcount && folio_of(w, id)->refcount == 1);
	writable = (v->flags & VM_WRITE) && reuse &&
		   (write || r->swapin_write == KHP_SWAPIN_WRITE_REUSABLE ||
		    (r->swapin_write == KHP_SWAPIN_WRITE_EXCLUSIVE && exclusive));
	pte->kind = PTE_PRESENT;
	pte->val = id;
	pte->subpage = 0;
	pte->flags = PTE_YOUNG | (reuse ? PTE_EXCL : 0) | (writable ? PTE_WRITE : 0) |
		     (writable && write ? PTE_DIRTY : 0);
	/* should_try_to_free_swap() */
	if (r->swapin_free_cache ||
	    (write && folio_of(w, id)->refcount == 2 && (folio_of(w, id)->flags & FOLIO_SWAPCACHE)))
		folio_free_swap(w, id);
	if (!write)
		return 0;
	if (writable) {
		set_data(folio_of(w, id), 0);
		return 0;
	}
	return do_wp_page(w, mm, v, pte);
}

/* do_huge_pmd_wp_page(): reuse an exclusive THP (*done), else split the PMD and COW one page */
static int do_huge_pmd_wp_page(struct khp_world *w, struct mm *mm, struct pmd *pmd,
			       unsigned sub, bool *done)
{
	struct folio *f = folio_of(w, pmd->folio);

	if ((pmd->flags & PTE_EXCL) || f->refcount == 1) {
		pmd->flags |= PTE_WRITE | PTE_DIRTY | PTE_YOUNG | PTE_EXCL;
		set_data(f, sub);
		*done = true;
		return 0;
	}
	return split_huge_pmd(w, mm, pmd->index);
}

/* do_huge_zero_wp_pmd() [7.3]: a write to the huge zero PMD maps a new THP (*done), else split */
static int do_huge_zero_wp_pmd(struct khp_world *w, struct mm *mm, struct pmd *pmd, unsigned sub,
			       bool *done)
{
	uint32_t id;
	int ret;

	if (!w->rules->huge_zero_wp_thp || folio_alloc_huge_fails(w))
		return split_huge_pmd(w, mm, pmd->index);
	ret = folio_alloc(w, w->pmd_order, &id);
	if (ret)
		return ret;
	map_anon_folio_pmd(w, mm, pmd, id, PTE_YOUNG | PTE_DIRTY | PTE_EXCL | PTE_WRITE);
	set_data(folio_of(w, id), sub);
	*done = true;
	return 0;
}

/* huge_pmd_set_accessed() for page sub, unless it is a write to a read-only PMD */
static bool huge_pmd_access(struct khp_world *w, struct pmd *pmd, unsigned sub, bool write)
{
	if (write && !(pmd->flags & PTE_WRITE))
		return false;
	pmd->flags |= PTE_YOUNG | (write ? PTE_DIRTY : 0);
	if (write)
		set_data(folio_of(w, pmd->folio), sub);
	return true;
}

/*
 * The PMD level of a fault (__handle_mm_fault()): pmd_none may take a THP,
 * a huge PMD takes the access or a write fault; *done when nothing is left
 * for the PTE level.
 */
static int handle_pmd_fault(struct khp_world *w, struct mm *mm, struct vma *v, uint64_t addr,
			    struct pmd *pmd, bool write, bool *done)
{
	unsigned sub = (unsigned)(addr & (pmd_nr(w) - 1));

	if (!pmd)
		return do_huge_pmd_anonymous_page(w, mm, v, addr, write, done);
	if (pmd->kind == PMD_HUGE) {
		if (huge_pmd_access(w, pmd, sub, write)) {
			*done = true;
			return 0;
		}
		return do_huge_pmd_wp_page(w, mm, pmd, sub, done);
	}
	if (pmd->kind == PMD_HUGE_ZERO) {
		if (!write) {
			*done = true;
			return 0;
		}
		return do_huge_zero_wp_pmd(w, mm, pmd, sub, done);
	}
	return 0;
}

/* handle_pte_fault(): the PTE level */
static int handle_pte_fault(struct khp_world *w, struct mm *mm, struct vma *v, struct pte *pte,
			    uint64_t addr, bool write)
{
	unsigned sub = (unsigned)(addr & (pmd_nr(w) - 1));

	switch (pte->kind) {
	case PTE_NONE:
		if (write)
			return do_anonymous_write(w, mm, v, pte - sub, addr);
		pte->kind = PTE_ZERO;    /* the shared zero page; no anon_vma needed */
		pte->flags = PTE_YOUNG;
		return 0;
	case PTE_ZERO:
		pte->flags |= PTE_YOUNG;
		return write ? do_wp_page(w, mm, v, pte) : 0;
	case PTE_SWAP:
		return do_swap_page(w, mm, v, pte, write);
	default:
		pte->flags |= PTE_YOUNG;
		if (!write)
			return 0;
		if (pte->flags & PTE_WRITE) {
			pte->flags |= PTE_DIRTY;
			set_data(folio_of(w, pte->val), pte->subpage);
			return 0;
		}
		return do_wp_page(w, mm, v, pte);
	}
}

/* An access the MMU completes itself: it only sets the accessed/dirty bits. */
static bool mmu_access(struct khp_world *w, struct pte *pte, bool write)
{
	if (pte->kind != PTE_PRESENT || (write && !(pte->flags & PTE_WRITE)))
		return false;
	pte->flags |= PTE_YOUNG | (write ? PTE_DIRTY : 0);
	if (write)
		set_data(folio_of(w, pte->val), pte->subpage);
	return true;
}

static int __handle_mm_fault(struct khp_world *w, struct mm *mm, uint64_t addr, bool write)
{
	struct pmd *pmd = pmd_lookup(mm, pmd_index(w, addr));
	struct vma *v;
	struct pte *pte;
	bool done = false;
	int ret;

	if (pmd && pmd->kind == PMD_TABLE && mmu_access(w, &pmd->ptes[addr & (pmd_nr(w) - 1)], write))
		return 0;
	v = vma_find(mm, addr);
	ret = handle_pmd_fault(w, mm, v, addr, pmd, write, &done);
	if (ret || done)
		return ret;
	/* a split leaves the entry where it was; a fallback from pmd_none has none yet */
	if (pmd && pmd->kind == PMD_TABLE) {
		pte = &pmd->ptes[addr & (pmd_nr(w) - 1)];
	} else {
		ret = pte_alloc(w, mm, addr, &pte);
		if (ret)
			return ret;
	}
	return handle_pte_fault(w, mm, v, pte, addr, write);
}

/* handle_mm_fault(): lru_gen_enter_fault() .. lru_gen_exit_fault() around the fault */
int handle_mm_fault(struct khp_world *w, struct mm *mm, uint64_t addr, bool write)
{
	int ret;

	w->in_fault = true;
	ret = __handle_mm_fault(w, mm, addr, write);
	w->in_fault = false;
	return ret;
}

/*
 * The pages of [a, stop) of one huge PMD the MMU completes, in one step:
 * huge_pmd_access() of each page, which all pass or all fail.  Returns
 * where the access stopped (a: a write to a read-only PMD faults).
 */
static uint64_t mmu_access_pmd(struct khp_world *w, struct pmd *pmd, uint64_t a, uint64_t stop,
			       bool write)
{
	unsigned sub = (unsigned)(a & (pmd_nr(w) - 1));

	if (write && !(pmd->flags & PTE_WRITE))
		return a;
	pmd->flags |= PTE_YOUNG | (write ? PTE_DIRTY : 0);
	if (write)
		memset(folio_data(folio_of(w, pmd->folio)) + sub, 1, stop - a);
	return stop;
}

/*
 * A write to [a, stop) of one page table, up to the first page that faults:
 * the MMU completes the writes to writable present PTEs (mmu_access());
 * a run of PTEs of one folio finds its content bytes once.  Returns where
 * it stopped.
 */
static uint64_t write_ptes(struct khp_world *w, struct pte *ptes, uint64_t a, uint64_t stop)
{
	const uint64_t mask = pmd_nr(w) - 1;
	uint8_t *data = NULL;
	uint32_t id = 0;

	for (; a < stop; a++) {
		struct pte *pte = &ptes[a & mask];

		if (pte->kind != PTE_PRESENT || !(pte->flags & PTE_WRITE))
			break;
		pte->flags |= PTE_YOUNG | PTE_DIRTY;
		if (!data || pte->val != id) {
			id = pte->val;
			data = folio_data(folio_of(w, id));
		}
		data[pte->subpage] = 1;
	}
	return a;
}

/*
 * A read of [a, stop) of one page table, up to the first swap entry: the
 * MMU sets the accessed bit of present and zero-page PTEs, and a none PTE
 * takes handle_pte_fault()'s read fault: the shared zero page, young (no
 * allocation, no anon_vma).  Returns where it stopped.
 */
static uint64_t read_ptes(struct khp_world *w, struct pte *ptes, uint64_t a, uint64_t stop)
{
	const uint64_t mask = pmd_nr(w) - 1;

	for (; a < stop; a++) {
		struct pte *pte = &ptes[a & mask];

		if (pte->kind == PTE_SWAP)
			break;
		if (pte->kind == PTE_NONE) {
			pte->kind = PTE_ZERO;
			pte->flags = PTE_YOUNG;
		} else {
			pte->flags |= PTE_YOUNG;
		}
	}
	return a;
}

/* A touch op: one fault per page of [addr, addr + pages) (write needs VM_WRITE). */
int op_touch(struct khp_world *w, const struct khp_op *op)
{
	uint64_t start = op->addr, end = op->addr + op->pages;
	bool write = op->flags & KHP_OPF_WRITE;
	struct mm *mm;
	int ret = mm_get_range(w, op, &mm);

	if (ret)
		return ret;
	for (struct vma *v = vma_find(mm, start); write && v && v->start < end; v++) {
		if (!(v->flags & VM_WRITE))
			return khp_err(w, -EFAULT, "touch: write to read-only [%#llx, %#llx) of mm %u",
				       (unsigned long long)v->start, (unsigned long long)v->end,
				       op->mm);
		if (v + 1 >= mm->vmas + mm->nr_vmas)
			break;
	}
	for (uint64_t a = start; a < end;) {
		uint64_t idx = pmd_index(w, a);
		uint64_t stop = (idx + 1) << w->pmd_order;
		struct pmd *pmd = pmd_lookup(mm, idx);

		/* the pages the MMU completes, a page table at a time; a fault may move the tables */
		if (stop > end)
			stop = end;
		if (pmd && pmd->kind == PMD_HUGE)
			a = mmu_access_pmd(w, pmd, a, stop, write);
		else if (pmd && pmd->kind == PMD_TABLE)
			a = write ? write_ptes(w, pmd->ptes, a, stop) : read_ptes(w, pmd->ptes, a, stop);
		else if (pmd && pmd->kind == PMD_HUGE_ZERO && !write)
			a = stop;    /* handle_pmd_fault(): a read of the huge zero page is done */
		if (a == stop)
			continue;
		ret = handle_mm_fault(w, mm, a++, write);
		if (ret)
			return ret;
	}
	return 0;
}
