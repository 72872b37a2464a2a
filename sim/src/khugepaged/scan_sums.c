/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The packed sums of a PTE table (scan.h): what the kernel's PTE loop
 * (scan.c) would count, for all PTEs up to the first one where the scan
 * fails, without the loop's per-check branches.
 *
 *  - A small folio's PTE adds one entry of a table indexed by the PTE's
 *    bits and its folio's flag word (with the derived bits of mm/mm.h:
 *    mapped more than once, an extra reference, large); a non-present PTE
 *    one entry by its kind.  The table is built from the rules at a world's
 *    first scan.  The sums of a block of SCAN_BLOCK PTEs are added with
 *    the limits tested once per block.
 *  - A run of PTEs mapping consecutive pages of one large folio with the
 *    same bits (folio_pte_batch()) is one step: its folio facts once, its
 *    exact shared count from the folio's multi bitmap (rmap.c).
 *  - "rare" counts PTEs that fail the scan wherever they are reached
 *    (uffd-wp, a lazyfree folio under a clean PTE, an extra reference); a
 *    large folio's PTE counts as rare in a block, which sends the block to
 *    scan_walk(), one PTE or run at a time, to find the PTE where the scan
 *    fails.
 * No allocation.
 */
#include <string.h>
#include "scan.h"

/*
 * The sums, packed in one word: four 11-bit fields (10 bits of count, at
 * most 512, and a guard bit) whose limits are tested at once, and two
 * 10-bit fields.
 */
#define SCAN_BLOCK  16u
#define F_NONE      0
#define F_SWAP      11
#define F_SHARED    22
#define F_RARE      33
#define F_REF       44
#define F_WRITE     54
#define F_MASK      0x3ffull
#define F_GUARDS    ((1ull << (F_NONE + 10)) | (1ull << (F_SWAP + 10)) | \
		     (1ull << (F_SHARED + 10)) | (1ull << (F_RARE + 10)))
#define FIELD(acc, f) ((unsigned)(((acc) >> (f)) & F_MASK))

/*
 * The table index of a small folio's present PTE: the folio's flags that
 * matter (bits 0x020..0x400) over the PTE's bits (below 0x20).
 */
#define SCAN_TAB_FOLIO_BITS (FOLIO_REFERENCED | FOLIO_YOUNG | FOLIO_LAZYFREE | \
			     FOLIO_MULTI_MAPPED | FOLIO_EXTRA_REFS | FOLIO_LARGE)
#define SCAN_TAB_PTE_BITS   0x1fu     /* WRITE YOUNG DIRTY UFFD EXCL: every PTE bit */
#define SCAN_TAB_INDEX(pf, fl) (((fl) & SCAN_TAB_FOLIO_BITS) | (unsigned)(pf))

_Static_assert(SCAN_TAB_FOLIO_BITS == 0x7e0, "scan table index: folio bits above the PTE's");
_Static_assert((PTE_WRITE | PTE_YOUNG | PTE_DIRTY | PTE_UFFD | PTE_EXCL) == SCAN_TAB_PTE_BITS,
	       "scan table index: a PTE's flags are below 0x20");
_Static_assert(KHP_SCAN_TAB_SIZE == SCAN_TAB_FOLIO_BITS + SCAN_TAB_PTE_BITS + 1 + 2 * PTE_UFFD,
	       "scan table size");

/*
 * What a non-present PTE adds: none or zero page; swap entry, rare with a
 * uffd-wp bit.  These entries follow the small folios' in the same table.
 */
#define SCAN_TAB_NONPRESENT (SCAN_TAB_FOLIO_BITS + SCAN_TAB_PTE_BITS + 1)

static uint64_t scan_nonpresent_entry(unsigned i)
{
	unsigned kind = i & ~PTE_UFFD;

	if (kind == PTE_NONE || kind == PTE_ZERO)
		return 1ull << F_NONE;
	if (kind == PTE_SWAP)
		return (1ull << F_SWAP) | ((uint64_t)((i & PTE_UFFD) != 0) << F_RARE);
	return 0;
}

static inline uint64_t scan_nonpresent(const uint64_t *tab, const struct pte *pte)
{
	return tab[SCAN_TAB_NONPRESENT + pte->kind + (pte->flags & PTE_UFFD)];
}

/*
 * What a small folio's present PTE adds to the sums; a large folio's PTE
 * counts as rare, which sends its block to the loop that knows runs.
 */
static uint64_t scan_tab_entry(const struct khp_rules *r, bool khugepaged, unsigned fl,
			       unsigned pf)
{
	unsigned ref_mask = FOLIO_REFERENCED | (r->young_referenced ? FOLIO_YOUNG : 0);
	bool lazy = khugepaged && r->lazyfree_skip && (fl & FOLIO_LAZYFREE) && !(pf & PTE_DIRTY);
	bool rare = (pf & PTE_UFFD) || (fl & FOLIO_EXTRA_REFS) || lazy;
	bool ref = khugepaged && ((pf & PTE_YOUNG) || (fl & ref_mask));

	if (fl & FOLIO_LARGE)
		return 1ull << F_RARE;
	return ((uint64_t)!!(fl & FOLIO_MULTI_MAPPED) << F_SHARED) |
	       ((uint64_t)rare << F_RARE) | ((uint64_t)ref << F_REF) |
	       ((uint64_t)!!(pf & PTE_WRITE) << F_WRITE);
}

static void scan_tables_init(struct khp_world *w)
{
	for (unsigned kh = 0; kh < 2; kh++) {
		for (unsigned i = 0; i < SCAN_TAB_NONPRESENT; i++)
			w->scan_tab[kh][i] = scan_tab_entry(w->rules, kh, i & SCAN_TAB_FOLIO_BITS,
							    i & SCAN_TAB_PTE_BITS);
		for (unsigned i = 0; i < 2 * PTE_UFFD; i++)
			w->scan_tab[kh][SCAN_TAB_NONPRESENT + i] = scan_nonpresent_entry(i);
	}
	w->scan_tab_ready = true;
}

/* The shared counts of large-folio runs (small folios: the shared field is both). */
struct large_sums {
	unsigned exact, profile;
};

/* What n PTEs of a run of large folio f from ptes[0] add to the sums. */
static inline void run_sums(const struct khp_world *w, const struct pte *ptes, unsigned n,
			    const struct folio *f, bool khugepaged, enum khp_shared_rule rule,
			    uint64_t *acc, struct large_sums *ls)
{
	const bool per_page = shared_per_page(rule);
	unsigned exact = folio_pages_multi(f, ptes[0].subpage, n);
	unsigned profile = per_page ? exact : folio_wide_shared(rule, f) ? n : 0;
	/* the table entry of a small folio with these bits, but for n PTEs */
	uint64_t e = w->scan_tab[khugepaged][SCAN_TAB_INDEX(ptes[0].flags, f->flags &
							    ~(FOLIO_MULTI_MAPPED | FOLIO_LARGE))];

	*acc += (FIELD(e, F_RARE) ? 1ull << F_RARE : 0) + (uint64_t)profile * (1ull << F_SHARED) +
		(uint64_t)(FIELD(e, F_REF) * n) * (1ull << F_REF) +
		(uint64_t)(FIELD(e, F_WRITE) * n) * (1ull << F_WRITE);
	ls->exact += exact;
	ls->profile += profile;
}

/*
 * The PTE of a run of n (its sums just added to acc0 to give acc) where the
 * scan fails, as an offset in the run: the first PTE if it is rare, else the
 * one that passes max_ptes_shared.
 */
static unsigned run_event_at(const struct pte *ptes, unsigned n, const struct folio *f,
			     enum khp_shared_rule rule, uint64_t acc0, uint64_t acc,
			     unsigned max_shared)
{
	const bool per_page = shared_per_page(rule);
	unsigned k = max_shared - FIELD(acc0, F_SHARED) + 1;  /* the k-th shared PTE fails */

	if (FIELD(acc, F_RARE) != FIELD(acc0, F_RARE) || FIELD(acc, F_SHARED) <= max_shared)
		return 0;
	if (!per_page)
		return k - 1;
	return folio_multi_select(f, ptes[0].subpage, k);
}

/*
 * A run of large folio f from ptes[i] (at most nr - i PTEs) into the sums.
 * Returns the run's length, or with *event the offset in it where the scan
 * fails (the sums then cover the PTEs before that one).
 */
static __attribute__((noinline)) unsigned
scan_run(const struct khp_world *w, const struct pte *ptes, unsigned max, const struct folio *f,
	 bool khugepaged, enum khp_shared_rule rule, uint64_t thresh, unsigned max_shared,
	 uint64_t *acc, struct large_sums *ls, bool *event)
{
	unsigned n = pte_run(ptes, max), at;
	uint64_t acc0 = *acc;
	struct large_sums ls0 = *ls;

	run_sums(w, ptes, n, f, khugepaged, rule, acc, ls);
	if (__builtin_expect(!((*acc + thresh) & F_GUARDS), 1))
		return n;
	at = run_event_at(ptes, n, f, rule, acc0, *acc, max_shared);
	*acc = acc0;
	*ls = ls0;
	if (at)
		run_sums(w, ptes, at, f, khugepaged, rule, acc, ls);
	*event = true;
	return at;
}

/* SCAN_BLOCK PTEs from p into the sums (unrolled); a large folio counts as rare. */
static inline __attribute__((always_inline)) uint64_t
scan_block(const struct folio *folios, const uint64_t *tab, const struct pte *p, uint64_t acc)
{
#pragma GCC unroll 16
	for (unsigned i = 0; i < SCAN_BLOCK; i++) {
		if (__builtin_expect(p[i].kind == PTE_PRESENT, 1)) {
			uint64_t fl = folios[p[i].val].flags, pf = p[i].flags;

			acc += tab[(fl & SCAN_TAB_FOLIO_BITS) | pf];
		} else {
			acc += scan_nonpresent(tab, &p[i]);
		}
	}
	return acc;
}

/* The state of the fast loop. */
struct scan_sums {
	uint64_t acc;          /* the packed sums */
	struct large_sums ls;
	uint64_t thresh;       /* acc + thresh sets a guard bit when a limit is passed */
	bool event;
};

/*
 * ptes[i, to) one PTE (or one run of a large folio) at a time, testing the
 * limits after each: the PTE where the scan fails (the sums are those
 * before it), or where the walk ended (to, or beyond with a run).
 */
static __attribute__((noinline)) unsigned
scan_walk(const struct khp_world *w, const struct pte *ptes, unsigned i, unsigned to,
	  bool khugepaged, const struct scan_limits *l, enum khp_shared_rule rule,
	  struct scan_sums *s)
{
	const uint64_t *tab = w->scan_tab[khugepaged];
	unsigned nr = pmd_nr(w);

	while (i < to) {
		const struct pte *pte = &ptes[i];
		const struct folio *f = pte->kind == PTE_PRESENT ? folio_of(w, pte->val) : NULL;
		uint64_t e;

		if (f && (f->flags & FOLIO_LARGE)) {
			i += scan_run(w, pte, nr - i, f, khugepaged, rule, s->thresh, l->shared,
				      &s->acc, &s->ls, &s->event);
			if (s->event)
				return i;
			continue;
		}
		e = f ? tab[SCAN_TAB_INDEX(pte->flags, f->flags)] : scan_nonpresent(tab, pte);
		if ((s->acc + e + s->thresh) & F_GUARDS) {
			s->event = true;
			return i;
		}
		s->acc += e;
		i++;
	}
	return i;
}

/*
 * Whole blocks of small folios' PTEs while nothing happens; a block with an
 * event or a large folio is walked PTE by PTE.  Returns nr, or the PTE
 * from which the kernel's loop must go on; *acc and *ls hold the sums
 * before it.
 */
static unsigned scan_blocks(const struct khp_world *w, const struct pte *ptes, bool khugepaged,
			    const struct scan_limits *l, enum khp_shared_rule rule, uint64_t *accp,
			    struct large_sums *lsp)
{
	const uint64_t *tab = w->scan_tab[khugepaged];
	struct scan_sums s = {
		.thresh = ((uint64_t)(F_MASK - l->none) << F_NONE) |
			  ((uint64_t)(F_MASK - l->swap) << F_SWAP) |
			  ((uint64_t)(F_MASK - l->shared) << F_SHARED) | (F_MASK << F_RARE),
	};
	const uint64_t thresh = s.thresh;
	const struct folio *folios = w->folios;
	const struct pte *p = ptes, *end = ptes + pmd_nr(w);
	unsigned nr = pmd_nr(w), i = 0;
	uint64_t acc = 0;

	for (;;) {
		for (; end - p >= SCAN_BLOCK; p += SCAN_BLOCK) {
			uint64_t next = scan_block(folios, tab, p, acc);

			if (__builtin_expect((next + thresh) & F_GUARDS, 0))
				break;
			acc = next;
		}
		i = (unsigned)(p - ptes);
		if (i == nr)
			break;
		s.acc = acc;
		i = scan_walk(w, ptes, i, i + SCAN_BLOCK < nr ? i + SCAN_BLOCK : nr, khugepaged,
			      l, rule, &s);
		acc = s.acc;
		if (s.event || i >= nr)
			break;
		p = ptes + i;
	}
	*accp = acc;
	*lsp = s.ls;
	return i < nr ? i : nr;
}

/* The counts the sums stand for. */
static void sums_to_counts(uint64_t acc, const struct large_sums *ls, struct scan_counts *c)
{
	unsigned small_shared = FIELD(acc, F_SHARED) - ls->profile;

	memset(c, 0, sizeof(*c));
	c->none = FIELD(acc, F_NONE);
	c->unmapped = FIELD(acc, F_SWAP);
	c->shared = FIELD(acc, F_SHARED);
	c->referenced = FIELD(acc, F_REF);
	c->pte_flags = FIELD(acc, F_WRITE) ? PTE_WRITE : 0;
	c->sh_exact = small_shared + ls->exact;
	c->sh_profile = FIELD(acc, F_SHARED);
}

unsigned scan_sums(struct khp_world *w, const struct pte *ptes, bool khugepaged,
		   const struct scan_limits *l, struct scan_counts *c)
{
	struct large_sums ls;
	uint64_t acc;
	unsigned from;

	if (!w->scan_tab_ready)
		scan_tables_init(w);
	from = scan_blocks(w, ptes, khugepaged, l, w->rules->shared, &acc, &ls);
	sums_to_counts(acc, &ls, c);
	return from;
}
