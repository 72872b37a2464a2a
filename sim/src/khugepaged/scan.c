/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The per-PMD scan: hpage_collapse_scan_pmd() [6.1, 6.12] and
 * collapse_scan_pmd() [7.3], check by check in each kernel's order (KR 3.1,
 * 3.2).  It reads the world and writes nothing but *ss; no allocation.
 *
 * The same pass counts shared_exact and shared_profile over the whole range
 * (the scan's own early exit does not stop them).  The loop is specialised
 * per kernel (scan_loop() is inlined with a constant kernel), and the
 * folio-wide facts are computed once per run of PTEs mapping one folio.
 */
#include <string.h>
#include "khugepaged.h"

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

/* The limits of one scan; MADV_COLLAPSE ignores none/swap/shared (KR 2.2). */
struct scan_limits {
	unsigned none, swap, shared;
};

static void scan_limits(const struct khp_world *w, const struct vma *v, bool khugepaged,
			bool mthp, struct scan_limits *l)
{
	unsigned nr = pmd_nr(w);

	l->none = khugepaged ? w->cfg.max_ptes_none : nr;
	l->swap = khugepaged ? w->cfg.max_ptes_swap : nr;
	l->shared = khugepaged ? w->cfg.max_ptes_shared : nr;
	/* a uffd-armed VMA allows no none PTE at all (6.1/6.12 test it directly) */
	if (v->flags & VM_UFFD_WP)
		l->none = 0;
	/* [7.3] collapse_scan_pmd(): unless PMD is the only order, fill the bitmap */
	if (mthp)
		l->none = nr - 1;
}

/* Facts about one folio, computed once per run of PTEs that map it. */
struct folio_facts {
	uint32_t id;
	bool shared;       /* folio-wide predicate (6.12, 7.3) */
	bool refcount_ok;  /* is_refcount_suitable() / folio_expected_ref_count() */
	bool referenced;   /* PG_referenced, or PG_young on 6.12+ */
	bool lazyfree;
};

static inline void folio_facts(const struct khp_world *w, enum khp_kernel k, uint32_t id,
			       struct folio_facts *ff)
{
	const struct folio *f = folio_of(w, id);
	int expected = f->large_mapcount;

	if (f->flags & FOLIO_SWAPCACHE)
		expected += (int)folio_nr_pages(f);
	ff->id = id;
	ff->refcount_ok = f->refcount == expected;
	/* 6.1 has no PAGE_IDLE_FLAG: folio_test_young() is always false */
	ff->referenced = (f->flags & FOLIO_REFERENCED) ||
			 (k != KHP_LINUX_6_1 && (f->flags & FOLIO_YOUNG));
	ff->lazyfree = f->flags & FOLIO_LAZYFREE;
	ff->shared = k == KHP_LINUX_6_12 ? folio_likely_mapped_shared(f) :
		     k == KHP_LINUX_7_3 ? folio_maybe_mapped_shared(f) : false;
}

/* Count the sharing of present PTEs [from, nr) without scanning them. */
static void count_rest(const struct khp_world *w, const struct pte *ptes, unsigned from,
		       struct scan_state *ss)
{
	for (unsigned i = from; i < pmd_nr(w); i++) {
		const struct pte *pte = &ptes[i];
		const struct folio *f;

		if (pte->kind != PTE_PRESENT)
			continue;
		f = folio_of(w, pte->val);
		ss->shared_exact += page_mapcount(f, pte->subpage) > 1;
		ss->shared_profile += page_shared(w, w->prof.kernel, w->prof.exact, f, pte->subpage);
	}
}

/* Counters live in registers during the loop; they reach *ss on every exit. */
struct scan_counts {
	unsigned none, unmapped, shared, referenced, sh_exact, sh_profile;
	unsigned pte_flags;     /* OR of the present PTEs' flags seen: writable */
};

static inline void scan_store(struct scan_state *ss, const struct scan_counts *c)
{
	ss->none_or_zero = c->none;
	ss->unmapped = c->unmapped;
	ss->shared = c->shared;
	ss->referenced = c->referenced;
	ss->writable = c->pte_flags & PTE_WRITE;
	ss->shared_exact = c->sh_exact;
	ss->shared_profile = c->sh_profile;
}

#define SCAN_FAIL_AT(r) do {						\
		scan_store(ss, &c);					\
		ss->result = (r);					\
		count_rest(w, ptes, i + 1, ss);				\
		return;							\
	} while (0)

/*
 * The PTE loop, specialised at compile time for kernel k, the exact oracle
 * and the khugepaged / MADV_COLLAPSE context.
 */
static inline __attribute__((always_inline)) void
scan_loop(struct khp_world *w, const struct pte *ptes, const bool khugepaged,
	  const struct scan_limits *l, struct scan_state *ss, const enum khp_kernel k,
	  const bool exact, const bool bitmap)
{
	const bool new_order = k == KHP_LINUX_7_3;
	const struct folio *folios = w->folios;
	const unsigned max_none = l->none, max_swap = l->swap, max_shared = l->shared;
	struct folio_facts ff = { .id = 0 };
	struct scan_counts c = { 0 };
	uint32_t present[KHP_PMD_PAGES_MAX / 32] = { 0 };
	unsigned nr = pmd_nr(w);

	for (unsigned i = 0; i < nr; i++) {
		const struct pte pte = ptes[i];
		const struct folio *f;
		bool shared_exact, shared;

		if (pte.kind <= PTE_ZERO) {
			if (++c.none > max_none)
				SCAN_FAIL_AT(SCAN_EXCEED_NONE_PTE);
			continue;
		}
		if (__builtin_expect(pte.kind == PTE_SWAP, 0)) {
			if (++c.unmapped > max_swap)
				SCAN_FAIL_AT(SCAN_EXCEED_SWAP_PTE);
			if (pte.flags & PTE_UFFD)
				SCAN_FAIL_AT(new_order ? SCAN_PTE_UFFD : SCAN_PTE_UFFD_WP);
			continue;
		}
		f = &folios[pte.val];
		if (!f->order) {
			/* small folio: every era's predicate is mapcount > 1 */
			unsigned fl = f->flags;

			shared_exact = f->large_mapcount > 1;
			shared = shared_exact;
			ff.id = 0;
			ff.refcount_ok = f->refcount ==
					 f->large_mapcount + ((fl & FOLIO_SWAPCACHE) ? 1 : 0);
			ff.referenced = (fl & FOLIO_REFERENCED) ||
					(k != KHP_LINUX_6_1 && (fl & FOLIO_YOUNG));
			ff.lazyfree = fl & FOLIO_LAZYFREE;
		} else {
			if (pte.val != ff.id)
				folio_facts(w, k, pte.val, &ff);
			shared_exact = f->pmc[pte.subpage] + f->entire_mapcount > 1;
			shared = (exact || k == KHP_LINUX_6_1) ? shared_exact : ff.shared;
		}
		c.sh_exact += shared_exact;
		c.sh_profile += shared;
		if (__builtin_expect(pte.flags & PTE_UFFD, 0))
			SCAN_FAIL_AT(new_order ? SCAN_PTE_UFFD : SCAN_PTE_UFFD_WP);
		c.pte_flags |= pte.flags;    /* writable = true, after the uffd-wp test */
		/* [7.3] folio_test_lazyfree() && !pte_dirty() */
		if (new_order && khugepaged && ff.lazyfree && !(pte.flags & PTE_DIRTY))
			SCAN_FAIL_AT(SCAN_PAGE_LAZYFREE);
		if (shared && ++c.shared > max_shared)
			SCAN_FAIL_AT(SCAN_EXCEED_SHARED_PTE);
		if (new_order && bitmap)
			present[i / 32] |= 1u << (i % 32);
		/* node_reclaim_mode is 0; every folio is on the LRU (lru_add_drain_all()), unlocked */
		if (__builtin_expect(!ff.refcount_ok, 0))
			SCAN_FAIL_AT(SCAN_PAGE_COUNT);
		if (khugepaged)
			c.referenced += ((pte.flags & PTE_YOUNG) != 0) | ff.referenced;
	}
	if (new_order)
		c.pte_flags &= ~PTE_WRITE;      /* 7.3 has no writable tracking */
	scan_store(ss, &c);
	if (new_order && bitmap) {
		memcpy(ss->present, present, sizeof(present));
		ss->bitmap = true;
	}
	ss->loop_done = true;
	if (!new_order && !ss->writable)
		ss->result = SCAN_PAGE_RO;
	else if (khugepaged && (!c.referenced || (c.unmapped && c.referenced < nr / 2)))
		ss->result = SCAN_LACK_REFERENCED_PAGE;
	else
		ss->result = SCAN_SUCCEED;
}

void scan_pmd(struct khp_world *w, struct mm *mm, struct vma *v, uint64_t index,
	      bool khugepaged, struct scan_state *ss)
{
	struct scan_limits l;
	const struct pte *ptes;
	bool mthp;

	memset(ss, 0, sizeof(*ss));
	ss->result = find_pmd_or_thp_or_none(w, mm, index);
	if (ss->result != SCAN_SUCCEED)
		return;
	/* [7.3] with orders besides PMD, mthp_collapse() needs the present bitmap */
	mthp = w->prof.kernel == KHP_LINUX_7_3 && khugepaged &&
	       vma_collapse_orders(w, v, true) != (1u << w->pmd_order);
	scan_limits(w, v, khugepaged, mthp, &l);
	ptes = pmd_lookup(mm, index)->ptes;
	/* one specialised copy per kernel, predicate and context */
#define SCAN_CASE(kern, ex, kh)								\
	case (kern) * 4 + (ex) * 2 + (kh):						\
		scan_loop(w, ptes, kh, &l, ss, kern, ex, mthp);			\
		break
	switch (w->prof.kernel * 4 + w->prof.exact * 2 + khugepaged) {
	SCAN_CASE(KHP_LINUX_6_1, 0, 0);  SCAN_CASE(KHP_LINUX_6_1, 0, 1);
	SCAN_CASE(KHP_LINUX_6_1, 1, 0);  SCAN_CASE(KHP_LINUX_6_1, 1, 1);
	SCAN_CASE(KHP_LINUX_6_12, 0, 0); SCAN_CASE(KHP_LINUX_6_12, 0, 1);
	SCAN_CASE(KHP_LINUX_6_12, 1, 0); SCAN_CASE(KHP_LINUX_6_12, 1, 1);
	SCAN_CASE(KHP_LINUX_7_3, 0, 0);  SCAN_CASE(KHP_LINUX_7_3, 0, 1);
	SCAN_CASE(KHP_LINUX_7_3, 1, 0);  SCAN_CASE(KHP_LINUX_7_3, 1, 1);
	}
#undef SCAN_CASE
}
