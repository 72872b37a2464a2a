/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The per-PMD scan: hpage_collapse_scan_pmd() [6.1, 6.12] and
 * collapse_scan_pmd() [7.3], check by check in each kernel's order
 * (docs/kernel-rules.md#scan-order).  It reads the world and writes nothing but *ss
 * (and, once per world, the tables of scan_sums.c); no allocation.
 *
 * The same pass counts shared_exact and shared_profile over the whole range
 * (the scan's own early exit does not stop them).
 *
 * The packed sums of scan_sums.c stand in for the loop over every PTE that
 * passes; the kernel's loop, scan_precise(), goes on from the first PTE
 * where the scan may fail (or, for a check, from PTE 0:
 * scan_pmd_reference()).  It is specialised per shared predicate, context
 * and bitmap (inlined with constant arguments); the rules are read once per
 * scan.
 */
#include <stddef.h>
#include <string.h>
#include "scan.h"

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

	ff->id = id;
	ff->flags = f->flags;
	ff->refcount_ok = !(f->flags & FOLIO_EXTRA_REFS);
	ff->shared = folio_wide_shared(rule, f);
}

/* The present-PTE bitmap over [from, to): every present PTE there passed the scan. */
static void fill_present(const struct pte *ptes, unsigned from, unsigned to, uint32_t *present)
{
	for (unsigned i = from; i < to; i++)
		if (ptes[i].kind == PTE_PRESENT)
			present[i / 32] |= 1u << (i % 32);
}

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

/* The checks after the loop, which ran to the end. */
static inline void scan_end(struct khp_world *w, bool khugepaged, const uint32_t *present,
			    struct scan_counts *c, struct scan_state *ss)
{
	unsigned nr = pmd_nr(w);

	if (!w->rules->writable_gate)
		c->pte_flags &= ~PTE_WRITE;      /* no writable tracking without the gate [7.3] */
	scan_store(ss, c);
	if (present) {
		memcpy(ss->present, present, sizeof(ss->present));
		ss->bitmap = true;
	}
	ss->loop_done = true;
	if (w->rules->writable_gate && !ss->writable)
		ss->result = SCAN_PAGE_RO;
	else if (khugepaged && (!c->referenced || (c->unmapped && c->referenced < nr / 2)))
		ss->result = SCAN_LACK_REFERENCED_PAGE;
	else
		ss->result = SCAN_SUCCEED;
}

/* Count the sharing of present PTEs [from, nr) without scanning them. */
static inline void count_rest(const struct khp_world *w, const struct pte *ptes, unsigned from,
			      enum khp_shared_rule rule, struct scan_state *ss)
{
	const bool per_page = shared_per_page(rule);
	unsigned nr = pmd_nr(w);

	for (unsigned i = from, n; i < nr; i += n) {
		const struct pte *pte = &ptes[i];
		const struct folio *f;
		unsigned exact;

		n = 1;
		if (pte->kind != PTE_PRESENT)
			continue;
		f = folio_of(w, pte->val);
		if (!f->order) {
			exact = (f->flags & FOLIO_MULTI_MAPPED) != 0;
			ss->shared_exact += exact;
			ss->shared_profile += exact;
			continue;
		}
		n = pte_run(pte, nr - i);
		exact = folio_pages_multi(f, pte->subpage, n);
		ss->shared_exact += exact;
		ss->shared_profile += per_page ? exact : folio_wide_shared(rule, f) ? n : 0;
	}
}

#define SCAN_FAIL_AT(r) do {						\
		scan_store(ss, &c);					\
		ss->result = (r);					\
		count_rest(w, ptes, i + 1, rule, ss);			\
		return;							\
	} while (0)

/*
 * The kernel's PTE loop from PTE `from` on, with the counts of the PTEs
 * before it (which all passed) in *start, specialised at compile time for
 * the shared predicate and the khugepaged / MADV_COLLAPSE context.  One function on purpose, longer
 * than the others: it is the hot loop, and its counters stay in registers
 * only while it is not split (docs/performance.md).
 */
static inline __attribute__((always_inline)) void
scan_precise(struct khp_world *w, const struct pte *ptes, unsigned from,
	     const struct scan_counts *start, const bool khugepaged, const struct scan_limits *l,
	     struct scan_state *ss, const enum khp_shared_rule rule, const bool bitmap)
{
	const bool per_page = shared_per_page(rule);
	/* folio flags that make a page referenced; that make it skipped as lazyfree */
	const unsigned ref_mask = folio_referenced_mask(w->rules);
	const unsigned lazy_mask = khugepaged && w->rules->lazyfree_skip ? FOLIO_LAZYFREE : 0;
	const enum scan_result uffd = w->rules->uffd_result ? SCAN_PTE_UFFD : SCAN_PTE_UFFD_WP;
	const struct folio *folios = w->folios;
	const unsigned max_none = l->none, max_swap = l->swap, max_shared = l->shared;
	struct folio_facts ff = { .id = 0 };
	struct scan_counts c = *start;
	uint32_t present[KHP_PMD_PAGES_MAX / 32] = { 0 };
	unsigned nr = pmd_nr(w);

	if (bitmap)
		fill_present(ptes, 0, from, present);
	for (unsigned i = from; i < nr; i++) {
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
			shared_exact = fl & FOLIO_MULTI_MAPPED;
			shared = shared_exact;
			refcount_ok = !(fl & FOLIO_EXTRA_REFS);
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
	scan_end(w, khugepaged, bitmap ? present : NULL, &c, ss);
}

/* The sums up to where the scan may fail, then the kernel's loop from there (from 0: reference). */
static inline __attribute__((always_inline)) void
scan_loop(struct khp_world *w, const struct pte *ptes, const bool khugepaged,
	  const struct scan_limits *l, struct scan_state *ss, const enum khp_shared_rule rule,
	  const bool bitmap, bool reference)
{
	uint32_t present[KHP_PMD_PAGES_MAX / 32] = { 0 };
	struct scan_counts c = { 0 };
	unsigned from = reference ? 0 : scan_sums(w, ptes, khugepaged, l, &c);

	if (from < pmd_nr(w)) {
		scan_precise(w, ptes, from, &c, khugepaged, l, ss, rule, bitmap);
		return;
	}
	if (bitmap)
		fill_present(ptes, 0, pmd_nr(w), present);
	scan_end(w, khugepaged, bitmap ? present : NULL, &c, ss);
}

static void scan_pmd_loop(struct khp_world *w, struct mm *mm, struct vma *v, uint64_t index,
			  bool khugepaged, struct scan_state *ss, bool reference)
{
	struct scan_limits l;
	const struct pte *ptes;
	bool mthp;

	/* present[] is read only with ss->bitmap set */
	memset(ss, 0, offsetof(struct scan_state, present));
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
		scan_loop(w, ptes, kh, &l, ss, rule, bm, reference);			\
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

void scan_pmd(struct khp_world *w, struct mm *mm, struct vma *v, uint64_t index,
	      bool khugepaged, struct scan_state *ss)
{
	scan_pmd_loop(w, mm, v, index, khugepaged, ss, false);
}

void scan_pmd_reference(struct khp_world *w, struct mm *mm, struct vma *v, uint64_t index,
			bool khugepaged, struct scan_state *ss)
{
	scan_pmd_loop(w, mm, v, index, khugepaged, ss, true);
}
