/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The invariant checker: recount every folio's mappings from the page
 * tables of all live mms and compare with what rmap.c maintained (see the
 * list in mm.h).  Its tables live in an arena of the world that grows to the
 * largest world checked; never on a scan path.
 */
#include <stdlib.h>
#include <string.h>
#include "mm.h"

struct expect {
	int16_t *pmc;        /* per folio: its slice of recount.pmc */
	uint64_t *multi;     /* a large folio's multi bitmap: its slice of recount.bits */
	int32_t entire, large;
	int32_t mapped;      /* subpages mapped at least once */
	int32_t nr_multi;    /* ... and more than once */
	int32_t per_mm[KHP_MAX_MMS];
	int32_t pins;
	int32_t lru;         /* references held by the lru_add batch */
};

/* The checker's recount: per folio what the page tables imply, per swap slot its PTEs. */
struct recount {
	struct expect *e;
	int16_t *pmc;        /* the subpage counts of all allocated folios */
	uint64_t *bits;      /* the multi bitmaps of all allocated large folios */
	uint32_t *swapc;
	char *msg;
	size_t len;
};

#define FAIL(...) do { snprintf(msg, len, __VA_ARGS__); return -EUCLEAN; } while (0)

static int check_vmas(const struct mm *mm, unsigned m, char *msg, size_t len)
{
	for (uint32_t i = 0; i < mm->nr_vmas; i++) {
		const struct vma *v = &mm->vmas[i];

		if (v->start >= v->end || (i && mm->vmas[i - 1].end > v->start))
			FAIL("mm %u: VMA %u [%#llx, %#llx) unordered or empty", m, i,
			     (unsigned long long)v->start, (unsigned long long)v->end);
	}
	for (uint32_t i = 1; i < mm->nr_pmds; i++)
		if (mm->pmds[i - 1].index >= mm->pmds[i].index)
			FAIL("mm %u: PMD entries out of order", m);
	return 0;
}

/* The references the lru_add batch holds (lru.c): small allocated folios, never full. */
static int recount_lru(const struct khp_world *w, struct recount *rc)
{
	char *msg = rc->msg;
	size_t len = rc->len;

	if (w->lru_add.nr >= LRU_BATCH_MAX)
		FAIL("lru_add batch holds %u folios: it drains when full", w->lru_add.nr);
	for (unsigned i = 0; i < w->lru_add.nr; i++) {
		uint32_t id = w->lru_add.folio[i];

		if (!id || id >= w->nr_folios || !w->folios[id].refcount || w->folios[id].order)
			FAIL("lru_add batch entry %u: folio %u is not an allocated small folio", i, id);
		rc->e[id].lru++;
	}
	return 0;
}

/* A huge PMD entry: inside one VMA, mapping an allocated PMD-order folio. */
static int recount_huge_pmd(const struct khp_world *w, const struct mm *mm, unsigned m,
			    const struct pmd *pmd, struct recount *rc)
{
	uint64_t base = pmd->index << w->pmd_order;
	const struct vma *v = vma_find((struct mm *)mm, base);
	char *msg = rc->msg;
	size_t len = rc->len;

	if (!v || v->end < base + pmd_nr(w))
		FAIL("mm %u: huge PMD %#llx not inside one VMA", m, (unsigned long long)base);
	if (pmd->kind == PMD_HUGE) {
		const struct folio *f = &w->folios[pmd->folio];

		if (!f->refcount || f->order != w->pmd_order)
			FAIL("mm %u: PMD %#llx maps a free or small folio %u", m,
			     (unsigned long long)base, pmd->folio);
		rc->e[pmd->folio].entire++;
		rc->e[pmd->folio].large++;
		rc->e[pmd->folio].per_mm[m]++;
	}
	return 0;
}

/* One more PTE maps subpage i: the counts and bits check_folio() compares. */
static void recount_subpage(struct expect *e, unsigned i)
{
	int16_t c = ++e->pmc[i];

	if (c == 1)
		e->mapped++;
	if (c == 2 && e->multi) {
		e->nr_multi++;
		e->multi[i / 64] |= 1ull << (i % 64);
	}
}

/* One PTE at addr, inside a VMA (the caller checks): a swap entry names a used slot; a page is allocated. */
static int recount_pte(const struct khp_world *w, unsigned m, uint64_t addr,
		       const struct pte *pte, struct recount *rc)
{
	char *msg = rc->msg;
	size_t len = rc->len;

	if (pte->kind == PTE_SWAP) {
		if (!pte->val || pte->val >= w->nr_swap || !w->swap[pte->val].used)
			FAIL("mm %u: swap PTE at %#llx names free slot %u", m,
			     (unsigned long long)addr, pte->val);
		rc->swapc[pte->val]++;
	}
	if (pte->kind != PTE_PRESENT)
		return 0;
	if (!pte->val || pte->val >= w->nr_folios || !w->folios[pte->val].refcount)
		FAIL("mm %u: PTE at %#llx maps free folio %u", m, (unsigned long long)addr, pte->val);
	if (pte->subpage >= folio_nr_pages(&w->folios[pte->val]))
		FAIL("mm %u: PTE at %#llx maps subpage %u beyond folio %u", m,
		     (unsigned long long)addr, pte->subpage, pte->val);
	recount_subpage(&rc->e[pte->val], pte->subpage);
	rc->e[pte->val].large++;
	rc->e[pte->val].per_mm[m]++;
	return 0;
}

/*
 * The PTEs of one page table, walked beside the mm's sorted VMAs (a cursor,
 * not a lookup per PTE): every non-none PTE lies inside a VMA.
 */
static int recount_table(const struct khp_world *w, const struct mm *mm, unsigned m,
			 const struct pmd *pmd, struct recount *rc)
{
	uint64_t base = pmd->index << w->pmd_order;
	const struct vma *v = mm->vmas, *vend = mm->vmas + mm->nr_vmas;
	char *msg = rc->msg;
	size_t len = rc->len;

	for (unsigned i = 0; i < pmd_nr(w); i++) {
		const struct pte *pte = &pmd->ptes[i];
		uint64_t addr = base + i;

		if (pte->kind == PTE_NONE)
			continue;
		while (v < vend && v->end <= addr)
			v++;
		if (v == vend || v->start > addr)
			FAIL("mm %u: PTE at %#llx outside any VMA", m, (unsigned long long)addr);
		if (recount_pte(w, m, addr, pte, rc))
			return -EUCLEAN;
	}
	return 0;
}

/* Every mapping of every live mm, counted into rc. */
static int recount_mappings(const struct khp_world *w, struct recount *rc)
{
	for (unsigned m = 0; m < w->nr_mms; m++) {
		const struct mm *mm = &w->mms[m];

		if (!mm->alive)
			continue;
		if (check_vmas(mm, m, rc->msg, rc->len))
			return -EUCLEAN;
		for (uint32_t p = 0; p < mm->nr_pmds; p++) {
			const struct pmd *pmd = &mm->pmds[p];
			int ret = pmd->kind == PMD_TABLE ? recount_table(w, mm, m, pmd, rc)
							 : recount_huge_pmd(w, mm, m, pmd, rc);

			if (ret)
				return ret;
		}
	}
	return 0;
}

/* The MM-ID slots of a large folio (folio_add_rmap_ptes() [7.3]): counts bounded by the mm's mappings. */
static int check_mm_ids(const struct khp_world *w, uint32_t id, const struct expect *e,
			char *msg, size_t len)
{
	const struct folio *f = &w->folios[id];
	unsigned mms = 0;

	for (unsigned m = 0; m < w->nr_mms; m++)
		mms += e->per_mm[m] > 0;
	for (int s = 0; s < 2; s++) {
		unsigned owner = KHP_MAX_MMS;

		if (!f->mm_id[s]) {
			if (f->mm_id_mapcount[s])
				FAIL("folio %u: free MM-ID slot %d has count %d", id, s,
				     f->mm_id_mapcount[s]);
			continue;
		}
		for (unsigned m = 0; m < w->nr_mms; m++)
			if (w->mms[m].alive && w->mms[m].mm_id == f->mm_id[s])
				owner = m;
		if (owner == KHP_MAX_MMS || f->mm_id_mapcount[s] <= 0 ||
		    f->mm_id_mapcount[s] > e->per_mm[owner])
			FAIL("folio %u: MM-ID slot %d (id %u) count %d exceeds its mm's mappings",
			     id, s, f->mm_id[s], f->mm_id_mapcount[s]);
	}
	if (mms > 1 && !(f->flags & FOLIO_SHARED_BIT))
		FAIL("folio %u: mapped by %u mms but the MM-ID shared bit is clear", id, mms);
	return 0;
}

/* The first subpage where two count arrays differ (they do). */
static unsigned first_diff16(const int16_t *a, const int16_t *b)
{
	unsigned i = 0;

	while (a[i] == b[i])
		i++;
	return i;
}

/* The derived flags and the multi bitmap (mm.h) against the counters. */
static int check_derived(const struct folio *f, uint32_t id, const struct expect *e,
			 char *msg, size_t len)
{
	struct folio d = *f;
	unsigned words = f->order ? folio_multi_words(folio_nr_pages(f)) : 0;

	folio_derive(&d);
	if (d.flags != f->flags)
		FAIL("folio %u: derived flags %#x, the counters say %#x", id,
		     f->flags & FOLIO_DERIVED, d.flags & FOLIO_DERIVED);
	if (words && memcmp(folio_multi(f), e->multi, words * sizeof(uint64_t))) {
		unsigned w = 0, i;

		while (folio_multi(f)[w] == e->multi[w])
			w++;
		i = w * 64 + (unsigned)__builtin_ctzll(folio_multi(f)[w] ^ e->multi[w]);
		FAIL("folio %u: multi bit of subpage %u wrong (mapcount %d)", id, i, f->pmc[i]);
	}
	if ((int)f->nr_multi != e->nr_multi)
		FAIL("folio %u: nr_multi %u, %d subpages mapped more than once", id, f->nr_multi,
		     e->nr_multi);
	return 0;
}

/* One allocated folio's counters against the recount. */
static int check_folio(const struct khp_world *w, uint32_t id, const struct expect *e,
		       char *msg, size_t len)
{
	const struct folio *f = &w->folios[id];
	const int16_t *pmc = folio_pmc_c(f);
	unsigned nr = folio_nr_pages(f);
	int cache = (f->flags & FOLIO_SWAPCACHE) ? (int)nr : 0;

	if (memcmp(pmc, e->pmc, nr * sizeof(*pmc))) {
		unsigned i = first_diff16(pmc, e->pmc);

		FAIL("folio %u: subpage %u mapcount %d, page tables say %d", id, i, pmc[i],
		     e->pmc[i]);
	}
	if (f->entire_mapcount != e->entire)
		FAIL("folio %u: entire mapcount %d, page tables say %d", id,
		     f->entire_mapcount, e->entire);
	if (f->large_mapcount != e->large)
		FAIL("folio %u: large mapcount %d, page tables say %d", id, f->large_mapcount,
		     e->large);
	if (f->nr_pages_mapped != e->mapped)
		FAIL("folio %u: nr_pages_mapped %d, page tables say %d", id, f->nr_pages_mapped,
		     e->mapped);
	if (f->pincount != e->pins)
		FAIL("folio %u: pincount %d, %d pins held", id, f->pincount, e->pins);
	if (f->refcount != f->large_mapcount + f->pincount + cache + e->lru)
		FAIL("folio %u: refcount %d != mappings %d + pins %d + swap cache %d"
		     " + lru batch %d", id, f->refcount, f->large_mapcount, f->pincount,
		     cache, e->lru);
	if (cache && (f->order || !f->swap || w->swap[f->swap].folio != id))
		FAIL("folio %u: swap cache link broken", id);
	if (check_derived(f, id, e, msg, len))
		return -EUCLEAN;
	return f->order ? check_mm_ids(w, id, e, msg, len) : 0;
}

/* Swap slots: count = swap PTEs, no leak, the in-use total. */
static int check_swap(const struct khp_world *w, const uint32_t *swapc, char *msg, size_t len)
{
	long slots = 0;

	for (uint32_t s = 1; s < w->nr_swap; s++) {
		const struct swap_slot *sl = &w->swap[s];

		if (!sl->used)
			continue;
		slots++;
		if (sl->count != swapc[s])
			FAIL("swap slot %u: count %u, %u swap PTEs", s, sl->count, swapc[s]);
		if (!sl->count && !sl->folio)
			FAIL("swap slot %u: leaked (no PTE, no cache)", s);
	}
	if (slots != w->swap_in_use)
		FAIL("swap slots in use %ld, counted %ld", w->swap_in_use, slots);
	return 0;
}

/* Round n up to a multiple of 8 bytes, so each table of the arena is aligned. */
static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/*
 * The recount's tables, carved from one zeroed arena that the world keeps
 * between checks (it only grows): the per-folio expectations, the subpage
 * counts and the multi bitmaps of all allocated folios (each folio's slice
 * at an offset), the swap counts.  *pages: the pages the allocated folios
 * hold.
 */
static int recount_alloc(struct khp_world *w, struct recount *rc, long *pages)
{
	size_t nf = w->nr_folios ? w->nr_folios : 1, words = 0, off = 0, size;
	char *p;

	for (uint32_t id = 1; id < w->nr_folios; id++) {
		const struct folio *f = &w->folios[id];

		if (!f->refcount)
			continue;
		*pages += folio_nr_pages(f);
		words += f->order ? folio_multi_words(folio_nr_pages(f)) : 0;
	}
	size = align8(nf * sizeof(*rc->e)) + words * sizeof(*rc->bits) +
	       align8((size_t)*pages * sizeof(*rc->pmc)) +
	       (w->nr_swap ? w->nr_swap : 1) * sizeof(*rc->swapc);
	if (size > w->check_cap) {
		p = realloc(w->check_arena, size);
		if (!p)
			return -ENOMEM;
		w->check_arena = p;
		w->check_cap = size;
	}
	p = w->check_arena;
	memset(p, 0, size);
	rc->e = (struct expect *)(void *)p;
	p += align8(nf * sizeof(*rc->e));
	rc->bits = (uint64_t *)(void *)p;
	p += words * sizeof(*rc->bits);
	rc->pmc = (int16_t *)(void *)p;
	p += align8((size_t)*pages * sizeof(*rc->pmc));
	rc->swapc = (uint32_t *)(void *)p;
	words = 0;
	for (uint32_t id = 1; id < w->nr_folios; id++) {
		const struct folio *f = &w->folios[id];

		if (!f->refcount)
			continue;
		rc->e[id].pmc = rc->pmc + off;
		off += folio_nr_pages(f);
		if (f->order) {
			rc->e[id].multi = rc->bits + words;
			words += folio_multi_words(folio_nr_pages(f));
		}
	}
	for (uint32_t i = 0; i < w->nr_pins; i++)
		rc->e[w->pins[i].folio].pins++;
	return 0;
}

static int check_all(const struct khp_world *w, struct recount *rc, long pages)
{
	char *msg = rc->msg;
	size_t len = rc->len;

	if (recount_lru(w, rc) || recount_mappings(w, rc))
		return -EUCLEAN;
	for (uint32_t id = 1; id < w->nr_folios; id++)
		if (w->folios[id].refcount && check_folio(w, id, &rc->e[id], msg, len))
			return -EUCLEAN;
	if (pages != w->pages_in_use)
		FAIL("pages_in_use %ld, allocated folios hold %ld", w->pages_in_use, pages);
	return check_swap(w, rc->swapc, msg, len);
}

int world_check(struct khp_world *w, char *msg, size_t len)
{
	struct recount rc = { .msg = msg, .len = len };
	long pages = 0;
	int ret = recount_alloc(w, &rc, &pages);

	if (ret)
		snprintf(msg, len, "out of memory in the checker");
	else
		ret = check_all(w, &rc, pages);
	return ret;
}
