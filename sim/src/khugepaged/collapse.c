/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The collapse: collapse_huge_page() with its swap-in, isolate round, copy
 * and the fate of the old folios (KR 4), linux-7.3's mthp_collapse() (KR
 * 4.4), and the two entry points: one khugepaged visit of a PMD range and
 * MADV_COLLAPSE (madvise_collapse(), KR 3.3).  A step's alloc and freed
 * pages are the change of the world's PGALLOC / PGFREE counters across it.
 */
#include <stdlib.h>
#include <string.h>
#include "khugepaged.h"

/* What one collapse copied: zero-filled pages and pages another mm still maps. */
struct collapse_acct {
	long fill, dup;
};

/*
 * The per-CPU lru_add batch that folio_putback_lru() fills.  It drains
 * when an add fills it (folio_batch_add() returns no space left), when a
 * large folio is added (folio_may_be_lru_cached()), after a swap-in
 * (__collapse_huge_page_swapin()), and at the start of every khugepaged
 * and MADV_COLLAPSE pass (lru_add_drain_all()).  The model also drains it
 * at the end of each step (docs/known-differences.md).
 */

/* [6.1] PAGEVEC_SIZE is 15; [6.12] PAGEVEC_SIZE and [7.3] FOLIO_BATCH_SIZE are 31 */
static unsigned lru_batch_size(const struct khp_world *w)
{
	return w->rules->lru_batch == KHP_LRU_BATCH_15 ? 15u : 31u;
}

/* lru_add_drain(): folio_batch_move_lru() drops the batch's references */
static void lru_add_drain(struct khp_world *w)
{
	struct lru_batch *b = &w->lru_add;

	for (unsigned i = 0; i < b->nr; i++)
		folio_put(w, b->folio[i], 1);
	b->nr = 0;
}

/*
 * folio_putback_lru() of an isolated small folio: folio_add_lru() takes the
 * batch's reference (the isolation reference it then drops is not modelled).
 */
static void folio_putback_lru(struct khp_world *w, uint32_t id)
{
	struct lru_batch *b = &w->lru_add;

	folio_get(w, id, 1);
	b->folio[b->nr++] = id;
	if (b->nr == lru_batch_size(w))
		lru_add_drain(w);
}

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
static unsigned max_ptes_none(const struct khp_world *w, const struct vma *v, unsigned order,
			      bool khugepaged)
{
	unsigned nr = pmd_nr(w);

	if (v && (v->flags & VM_UFFD_WP))
		return 0;
	if (!khugepaged)
		return nr;
	if (order == w->pmd_order)
		return w->cfg.max_ptes_none;
	/* mTHP: only 0 and HPAGE_PMD_NR-1 mean something; other values act as 0 */
	return w->cfg.max_ptes_none == nr - 1 ? (1u << order) - 1 : 0;
}

/* __collapse_huge_page_swapin(): read faults on every swap PTE of the range */
static enum scan_result collapse_swapin(struct khp_world *w, struct mm *mm, struct vma *v,
					struct pte *ptes, unsigned offset, unsigned order)
{
	unsigned swapped_in = 0;

	for (unsigned i = offset; i < offset + (1u << order); i++) {
		if (ptes[i].kind != PTE_SWAP)
			continue;
		if (order != w->pmd_order)
			return SCAN_EXCEED_SWAP_PTE;   /* [7.3] mTHP never swaps in */
		if (do_swap_page(w, mm, v, &ptes[i], false))
			return SCAN_FAIL;
		swapped_in++;
	}
	if (swapped_in)
		lru_add_drain(w);   /* "drain LRU cache to remove extra pin on the swapped in pages" */
	return SCAN_SUCCEED;
}

/*
 * __collapse_huge_page_isolate(): the second round of checks (KR 4.2).  On
 * failure *end is the first PTE not isolated (the whole range for a failure
 * after the loop).
 */
static enum scan_result isolate_ptes(struct khp_world *w, struct vma *v, struct pte *ptes,
				     unsigned offset, unsigned order, bool khugepaged,
				     unsigned *end)
{
	const struct khp_rules *rules = w->rules;
	unsigned none = 0, shared = 0, referenced = 0;
	unsigned max_none = max_ptes_none(w, v, order, khugepaged);
	unsigned max_shared = !khugepaged ? pmd_nr(w) :
			      order == w->pmd_order ? w->cfg.max_ptes_shared : 0;
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
		if (khugepaged && ((pte->flags & PTE_YOUNG) || (f->flags & FOLIO_REFERENCED) ||
				   (rules->young_referenced && (f->flags & FOLIO_YOUNG))))
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
 * copies another mm keeps mapped (dup).
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

		if (pte->kind != PTE_PRESENT) {
			acct->fill++;               /* clear_user_highpage() */
			continue;
		}
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
		free(pmd->ptes);    /* deposited as the THP's page table */
		pmd->ptes = NULL;
		pmd->kind = PMD_HUGE;
		pmd->folio = id;
		pmd->flags = flags | PTE_DIRTY;   /* mk_huge_pmd() + pmd_mkdirty() */
		rmap_add_pmd(w, id, mm);
		/* [6.12, 7.3] deferred_split_folio(folio, false) */
		if (w->rules->thp_shrinker && w->cfg.shrink_underused)
			folio_of(w, id)->flags |= FOLIO_DEFERRED;
		return 0;
	}
	folio_get(w, id, (int)nr - 1);
	for (unsigned i = 0; i < nr; i++) {
		struct pte *pte = &pmd->ptes[offset + i];

		pte->kind = PTE_PRESENT;
		pte->val = id;
		pte->subpage = (uint16_t)i;
		pte->flags = flags;
	}
	rmap_add_ptes(w, id, 0, nr, mm);
	return 0;
}

/*
 * With the checker on, the invariants are also checked after every collapse
 * attempt, while the lru_add batch may hold references (a step's end drains it).
 */
static void collapse_check(const struct khp_world *w)
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
	if (r == SCAN_SUCCEED)
		r = collapse_isolate(w, v, pmd->ptes, offset, order, khugepaged);
	if (r == SCAN_SUCCEED) {
		collapse_copy(w, mm, pmd->ptes, offset, order, id, &acct);
		collapse_install(w, mm, v, index, offset, order, id);
	} else {
		folio_put(w, id, 1);
	}
	collapse_check(w);
	if (rec) {
		rec->alloc_pages += w->vm_events.pgalloc - before.pgalloc;
		rec->freed_pages += w->vm_events.pgfree - before.pgfree;
		rec->fill_pages += acct.fill;
		rec->dup_pages += acct.dup;
		rec->waste_pages = rec->alloc_pages - rec->freed_pages;
		if (r == SCAN_SUCCEED) {
			rec->collapsed = true;
			rec->nr_collapsed++;
		}
	}
	return r;
}

static unsigned popcount_range(const uint32_t *bits, unsigned from, unsigned n)
{
	unsigned c = 0;

	for (unsigned i = from; i < from + n; i++)
		c += (bits[i / 32] >> (i % 32)) & 1;
	return c;
}

/* [7.3] mthp_collapse(): PMD first, then smaller enabled orders, naturally aligned */
static enum scan_result mthp_collapse(struct khp_world *w, struct mm *mm, struct vma *v,
				      uint64_t index, const struct scan_state *ss,
				      struct khp_record *rec)
{
	unsigned nr = pmd_nr(w), order = w->pmd_order, offset = 0, collapsed = 0;
	uint32_t orders = vma_collapse_orders(w, v, true);
	enum scan_result last = SCAN_FAIL;
	bool alloc_failed = false;

	while (offset < nr) {
		unsigned n = 1u << order;

		if (orders & (1u << order)) {
			/* present pages, and for the PMD candidate the swap PTEs too */
			unsigned occupied = ss->bitmap ? popcount_range(ss->present, offset, n) : 0;

			if (order == w->pmd_order)
				occupied = ss->bitmap ? occupied + ss->unmapped : n - ss->none_or_zero;
			/* mthp_collapse() asks collapse_max_ptes_none() without the VMA */
			if (occupied + max_ptes_none(w, NULL, order, true) >= n) {
				enum scan_result r = collapse_huge_page(w, mm, index, offset, order,
									true, ss->unmapped, rec);

				switch (r) {
				case SCAN_SUCCEED:
					collapsed++;
					/* fall through */
				case SCAN_PTE_MAPPED_HUGEPAGE:
					goto next_offset;
				case SCAN_ALLOC_HUGE_PAGE_FAIL:
					alloc_failed = true;
					/* fall through */
				case SCAN_LACK_REFERENCED_PAGE: case SCAN_EXCEED_NONE_PTE:
				case SCAN_EXCEED_SWAP_PTE: case SCAN_EXCEED_SHARED_PTE:
				case SCAN_PAGE_LOCK: case SCAN_PAGE_COUNT: case SCAN_PAGE_NULL:
				case SCAN_DEL_PAGE_LRU: case SCAN_PTE_NON_PRESENT:
				case SCAN_PTE_UFFD: case SCAN_PAGE_LAZYFREE:
					last = r;
					break;
				default:
					last = r;
					goto out;
				}
			}
		}
		if (order > 2 && (orders & ((1u << order) - 1) & ~3u)) {
			order--;
			continue;
		}
next_offset:
		offset += n;
		order = offset ? (unsigned)__builtin_ctz(offset) : w->pmd_order;
		if (order > w->pmd_order)
			order = w->pmd_order;
	}
out:
	if (collapsed)
		return SCAN_SUCCEED;
	return alloc_failed ? SCAN_ALLOC_HUGE_PAGE_FAIL : last;
}

/*
 * The end of a step: the model drains the batch (the kernel keeps it until
 * the next pass or the CPU's next lru_add_drain()); old pages it held are
 * freed now and belong to this step's accounting.
 */
static void step_end_drain(struct khp_world *w, struct khp_record *rec)
{
	long pgfree = w->vm_events.pgfree;

	if (!w->lru_add.nr)
		return;
	lru_add_drain(w);
	rec->freed_pages += w->vm_events.pgfree - pgfree;
	rec->waste_pages = rec->alloc_pages - rec->freed_pages;
}

static void record_scan(struct khp_record *rec, const struct scan_state *ss)
{
	rec->none_or_zero = ss->none_or_zero;
	rec->unmapped = ss->unmapped;
	rec->referenced = ss->referenced;
	rec->shared = ss->shared;
	rec->writable = ss->writable;
}

/* The PMD range [index] lies wholly in v and khugepaged would visit v (KR 2.3). */
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

/*
 * The verdict judges the shared predicate at the max_ptes_shared gate.  A
 * 7.3 mTHP attempt fails EXCEED_SHARED at its own limit of 0
 * (collapse_max_ptes_shared()), which says nothing about the predicate.
 */
static enum khp_verdict verdict(const struct khp_world *w, const struct vma *v,
				const struct scan_state *ss, enum scan_result r,
				unsigned shared_exact)
{
	bool over = shared_exact > w->cfg.max_ptes_shared;
	bool mthp = w->rules->mthp_collapse &&
		    vma_collapse_orders(w, v, true) != (1u << w->pmd_order);
	bool gate = ss->result == SCAN_EXCEED_SHARED_PTE ||
		    (r == SCAN_EXCEED_SHARED_PTE && !mthp);

	if (ss->loop_done && r != SCAN_EXCEED_SHARED_PTE && over)
		return KHP_VERDICT_FALSE_NEGATIVE;
	if (gate && !over)
		return KHP_VERDICT_FALSE_POSITIVE;
	return KHP_VERDICT_AGREE;
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
	step_end_drain(w, rec);
	rec->result = r;
	rec->verdict = verdict(w, v, &ss, r, rec->shared_exact);
	if (rec->verdict == KHP_VERDICT_FALSE_NEGATIVE && rec->collapsed)
		rec->fn_waste_pages = rec->dup_pages;
	return 0;
}

/* madvise_collapse_errno() (the file-only results never occur for anonymous memory) */
static int collapse_errno(const struct khp_rules *rules, enum scan_result r)
{
	switch (r) {
	case SCAN_ALLOC_HUGE_PAGE_FAIL:
		return ENOMEM;
	case SCAN_CGROUP_CHARGE_FAIL:
		return EBUSY;
	case SCAN_EXCEED_NONE_PTE:
		return rules->collapse_none_ebusy ? EBUSY : EINVAL;
	case SCAN_PAGE_COUNT: case SCAN_PAGE_LOCK: case SCAN_PAGE_LRU: case SCAN_DEL_PAGE_LRU:
		return EAGAIN;
	default:
		return EINVAL;
	}
}

/* Results after which madvise_collapse() goes on with the next PMD range */
static bool collapse_continues(enum scan_result r)
{
	switch (r) {
	case SCAN_PMD_NULL: case SCAN_PTE_NON_PRESENT: case SCAN_PTE_UFFD_WP: case SCAN_PTE_UFFD:
	case SCAN_PAGE_RO: case SCAN_LACK_REFERENCED_PAGE: case SCAN_PAGE_NULL:
	case SCAN_PAGE_COUNT: case SCAN_PAGE_LOCK: case SCAN_PAGE_COMPOUND:
	case SCAN_PAGE_LRU: case SCAN_DEL_PAGE_LRU:
	case SCAN_NO_PTE_TABLE:            /* only rule no_pte_table [7.3] returns it */
		return true;
	default:
		return false;
	}
}

/* madvise_collapse() for one VMA's part [start, end) of the range */
static int madvise_collapse_vma(struct khp_world *w, struct mm *mm, struct vma *v,
				uint64_t start, uint64_t end, struct khp_record *rec,
				enum scan_result *last)
{
	uint64_t mask = pmd_nr(w) - 1;
	uint64_t hstart = (start + mask) & ~mask, hend = end & ~mask;
	uint64_t thps = 0, want;
	uint64_t vstart = v->start;

	if (!vma_thp_eligible(w, v, false))
		return EINVAL;
	if (hstart >= hend)
		return hstart == hend || w->rules->collapse_small_ok ? 0 : EINVAL;
	want = (hend - hstart) >> w->pmd_order;
	for (uint64_t addr = hstart; addr < hend; addr += pmd_nr(w)) {
		uint64_t index = pmd_index(w, addr);
		struct scan_state ss;
		enum scan_result r;

		v = vma_find(mm, vstart);
		scan_pmd(w, mm, v, index, false, &ss);
		record_scan(rec, &ss);
		rec->shared_exact += ss.shared_exact;
		rec->shared_profile += ss.shared_profile;
		r = ss.result;
		if (r == SCAN_SUCCEED)
			r = collapse_huge_page(w, mm, index, 0, w->pmd_order, false, ss.unmapped, rec);
		if (r == SCAN_SUCCEED || r == SCAN_PMD_MAPPED) {
			thps++;
			if (*last == SCAN_FAIL || *last == SCAN_SUCCEED || *last == SCAN_PMD_MAPPED)
				*last = r;
			continue;
		}
		*last = r;
		if (!collapse_continues(r))
			break;
	}
	return thps == want ? 0 : collapse_errno(w->rules, *last);
}

/* MADV_COLLAPSE over [addr, addr + pages): madvise walks the VMAs, stopping at an error */
int op_collapse(struct khp_world *w, const struct khp_op *op, struct khp_record *rec)
{
	struct khp_record dummy;
	uint64_t start = op->addr, end = op->addr + op->pages;
	enum scan_result last = SCAN_FAIL;
	struct mm *mm;
	int err = mm_get_range(w, op, &mm);

	if (err)
		return err;
	if (!rec)
		rec = &dummy;
	memset(rec, 0, sizeof(*rec));
	rec->op = KHP_OP_COLLAPSE;
	while (start < end && !err) {
		struct vma *v = vma_find(mm, start);
		uint64_t stop = v->end < end ? v->end : end;

		lru_add_drain(w);       /* madvise_collapse(): lru_add_drain_all() per VMA */
		err = madvise_collapse_vma(w, mm, v, start, stop, rec, &last);
		start = stop;
	}
	step_end_drain(w, rec);
	rec->err = err;
	rec->result = err ? last : (last == SCAN_FAIL ? SCAN_SUCCEED : last);
	if (err && last == SCAN_FAIL && !rec->nr_collapsed)
		rec->result = SCAN_VMA_CHECK;
	return 0;
}
