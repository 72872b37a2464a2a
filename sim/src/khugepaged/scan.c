/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The per-PMD scan: hpage_collapse_scan_pmd() [6.1, 6.12] and
 * collapse_scan_pmd() [7.3], check by check in each kernel's order
 * (docs/kernel-rules.md#scan-order).  It reads the world and writes nothing but *ss; no allocation.
 *
 * The same pass counts shared_exact and shared_profile over the whole range
 * (the scan's own early exit does not stop them).  The loop is specialised
 * per shared predicate and context (scan_loop() is inlined with constant
 * arguments); the other rules are read once per scan.  The folio-wide facts
 * are computed once per run of PTEs mapping one folio.
 */
#include <string.h>
#include "khugepaged.h"

/* find_pmd_or_thp_or_none() */
enum scan_result find_pmd_or_thp_or_none(struct khp_world *w, struct mm *mm, uint64_t index)
{
	struct pmd *pmd = pmd_lookup(mm, index);

	if (!pmd) {
		if (w->rules->no_pte_table)
			return SCAN_NO_PTE_TABLE;
		return pud_present(mm, index) ? SCAN_PMD_NONE : SCAN_PMD_NULL;
	}
	if (pmd->kind != PMD_TABLE)
		return SCAN_PMD_MAPPED;     /* pmd_trans_huge(), huge zero page included */
	return SCAN_SUCCEED;
}

/* The limits of one scan; MADV_COLLAPSE ignores none/swap/shared (cc->is_khugepaged). */
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

/* Facts about one large folio, computed once per run of PTEs that map it. */
struct folio_facts {
	uint32_t id;
	unsigned flags;    /* FOLIO_* */
	bool shared;       /* folio-wide predicate (likely / maybe mapped shared) */
	bool refcount_ok;  /* is_refcount_suitable() / folio_expected_ref_count() */
};

static inline void folio_facts(const struct khp_world *w, enum khp_shared_rule rule,
			       uint32_t id, struct folio_facts *ff)
{
	const struct folio *f = folio_of(w, id);
	int expected = f->large_mapcount;

	if (f->flags & FOLIO_SWAPCACHE)
		expected += (int)folio_nr_pages(f);
	ff->id = id;
	ff->flags = f->flags;
	ff->refcount_ok = f->refcount == expected;
	ff->shared = rule == KHP_SHARED_LIKELY_MAPPED ? folio_likely_mapped_shared(f) :
		     rule == KHP_SHARED_MAYBE_MAPPED ? folio_maybe_mapped_shared(f) : false;
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
		ss->shared_profile += page_shared(w->rules->shared, f, pte->subpage);
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
 * The PTE loop, specialised at compile time for the shared predicate and
 * the khugepaged / MADV_COLLAPSE context.  One function on purpose, longer
 * than the others: it is the hot loop, and its counters stay in registers
 * only while it is not split (docs/performance.md).
 */
static inline __attribute__((always_inline)) void
scan_loop(struct khp_world *w, const struct pte *ptes, const bool khugepaged,
	  const struct scan_limits *l, struct scan_state *ss, const enum khp_shared_rule rule,
	  const bool bitmap)
{
	const bool per_page = rule == KHP_SHARED_PAGE_MAPCOUNT || rule == KHP_SHARED_EXACT;
	/* folio flags that make a page referenced; that make it skipped as lazyfree */
	const unsigned ref_mask = folio_referenced_mask(w->rules);
	const unsigned lazy_mask = khugepaged && w->rules->lazyfree_skip ? FOLIO_LAZYFREE : 0;
	const enum scan_result uffd = w->rules->uffd_result ? SCAN_PTE_UFFD : SCAN_PTE_UFFD_WP;
	const struct folio *folios = w->folios;
	const unsigned max_none = l->none, max_swap = l->swap, max_shared = l->shared;
	struct folio_facts ff = { .id = 0 };
	struct scan_counts c = { 0 };
	uint32_t present[KHP_PMD_PAGES_MAX / 32] = { 0 };
	unsigned nr = pmd_nr(w);

	for (unsigned i = 0; i < nr; i++) {
		const struct pte pte = ptes[i];
		const struct folio *f;
		bool shared_exact, shared, refcount_ok;
		unsigned fl;

		if (pte.kind <= PTE_ZERO) {
			if (++c.none > max_none)
				SCAN_FAIL_AT(SCAN_EXCEED_NONE_PTE);
			continue;
		}
		if (__builtin_expect(pte.kind == PTE_SWAP, 0)) {
			if (++c.unmapped > max_swap)
				SCAN_FAIL_AT(SCAN_EXCEED_SWAP_PTE);
			if (pte.flags & PTE_UFFD)
				SCAN_FAIL_AT(uffd);
			continue;
		}
		f = &folios[pte.val];
		if (!f->order) {
			/* small folio: every predicate is mapcount > 1 */
			fl = f->flags;
			shared_exact = f->large_mapcount > 1;
			shared = shared_exact;
			refcount_ok = f->refcount ==
				      f->large_mapcount + ((fl & FOLIO_SWAPCACHE) ? 1 : 0);
		} else {
			if (pte.val != ff.id)
				folio_facts(w, rule, pte.val, &ff);
			fl = ff.flags;
			refcount_ok = ff.refcount_ok;
			shared_exact = f->pmc[pte.subpage] + f->entire_mapcount > 1;
			shared = per_page ? shared_exact : ff.shared;
		}
		c.sh_exact += shared_exact;
		c.sh_profile += shared;
		if (__builtin_expect(pte.flags & PTE_UFFD, 0))
			SCAN_FAIL_AT(uffd);
		c.pte_flags |= pte.flags;    /* writable = true, after the uffd-wp test */
		/* [7.3] folio_test_lazyfree() && !pte_dirty() */
		if ((fl & lazy_mask) && !(pte.flags & PTE_DIRTY))
			SCAN_FAIL_AT(SCAN_PAGE_LAZYFREE);
		if (shared && ++c.shared > max_shared)
			SCAN_FAIL_AT(SCAN_EXCEED_SHARED_PTE);
		if (bitmap)
			present[i / 32] |= 1u << (i % 32);
		/* node_reclaim_mode is 0; every folio is on the LRU (lru_add_drain_all()), unlocked */
		if (__builtin_expect(!refcount_ok, 0))
			SCAN_FAIL_AT(SCAN_PAGE_COUNT);
		if (khugepaged)
			c.referenced += ((pte.flags & PTE_YOUNG) != 0) | ((fl & ref_mask) != 0);
	}
	if (!w->rules->writable_gate)
		c.pte_flags &= ~PTE_WRITE;      /* no writable tracking without the gate [7.3] */
	scan_store(ss, &c);
	if (bitmap) {
		memcpy(ss->present, present, sizeof(present));
		ss->bitmap = true;
	}
	ss->loop_done = true;
	if (w->rules->writable_gate && !ss->writable)
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
	mthp = w->rules->mthp_collapse && khugepaged &&
	       vma_collapse_orders(w, v, true) != (1u << w->pmd_order);
	scan_limits(w, v, khugepaged, mthp, &l);
	ptes = pmd_lookup(mm, index)->ptes;
	/* one specialised copy per shared predicate, context and bitmap */
#define SCAN_CASE(rule, kh, bm)								\
	case (rule) * 4 + (kh) * 2 + (bm):						\
		scan_loop(w, ptes, kh, &l, ss, rule, bm);				\
		break
#define SCAN_CASES(rule) \
	SCAN_CASE(rule, 0, 0); SCAN_CASE(rule, 1, 0); SCAN_CASE(rule, 1, 1)
	switch (w->rules->shared * 4 + khugepaged * 2 + mthp) {
	SCAN_CASES(KHP_SHARED_PAGE_MAPCOUNT);
	SCAN_CASES(KHP_SHARED_LIKELY_MAPPED);
	SCAN_CASES(KHP_SHARED_MAYBE_MAPPED);
	SCAN_CASES(KHP_SHARED_EXACT);
	}
#undef SCAN_CASES
#undef SCAN_CASE
}
