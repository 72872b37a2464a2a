/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reverse-map accounting of anonymous folios (mm/rmap.c) and the three
 * eras' "is this page shared?" predicates.
 *
 * All counters are kept separately so every era can be computed from the
 * same state (docs/kernel-rules.md#mapcounts): per-subpage PTE mapcounts, the entire (PMD) mapcount,
 * the large (total) mapcount, nr_pages_mapped, and the two MM-ID slots with
 * the "maybe mapped shared" bit (folio_maybe_mapped_shared() [7.3]).  Counts are natural (0-based),
 * unlike the kernel's -1-based storage.  References are folio.c's business.
 */
#include "mm.h"

/* folio_add_return_large_mapcount() [7.3]: MM-ID slot update */
static void mm_id_add(struct folio *f, uint32_t id, int diff, int old_total)
{
	if (f->mm_id[0] == id) {
		f->mm_id_mapcount[0] += diff;
	} else if (f->mm_id[1] == id) {
		f->mm_id_mapcount[1] += diff;
	} else if (!f->mm_id[0]) {
		f->mm_id[0] = id;
		f->mm_id_mapcount[0] = diff;
		if (old_total)
			f->flags |= FOLIO_SHARED_BIT;
	} else if (!f->mm_id[1]) {
		f->mm_id[1] = id;
		f->mm_id_mapcount[1] = diff;
		f->flags |= FOLIO_SHARED_BIT;
	}
	/* else: a third mm; only the total changes and the bit stays set */
}

/* folio_sub_return_large_mapcount() [7.3]: MM-ID slot update */
static void mm_id_sub(struct folio *f, uint32_t id, int diff, int new_total)
{
	for (int s = 0; s < 2; s++) {
		if (f->mm_id[s] != id)
			continue;
		f->mm_id_mapcount[s] -= diff;
		if (f->mm_id_mapcount[s] > 0)
			return;     /* slot still owned: no re-evaluation */
		f->mm_id[s] = 0;
		f->mm_id_mapcount[s] = 0;
		break;
	}
	if (f->mm_id_mapcount[0] == new_total || f->mm_id_mapcount[1] == new_total)
		f->flags &= ~FOLIO_SHARED_BIT;
}

static void mapcount_add(struct folio *f, const struct mm *mm, int diff)
{
	int old = f->large_mapcount;

	f->large_mapcount += diff;
	if (f->order)
		mm_id_add(f, mm->mm_id, diff, old);
	folio_derive(f);
}

static void mapcount_sub(struct folio *f, const struct mm *mm, int diff)
{
	f->large_mapcount -= diff;
	if (f->order)
		mm_id_sub(f, mm->mm_id, diff, f->large_mapcount);
	folio_derive(f);
}

/* deferred_split_folio(folio, partially_mapped) */
static void deferred_split_queue(struct folio *f, bool partial)
{
	if (f->flags & FOLIO_SWAPCACHE)
		return;
	f->flags |= FOLIO_DEFERRED;
	if (partial)
		f->flags |= FOLIO_PARTIAL;
}

/* folio_add_anon_rmap_ptes() / folio_try_dup_anon_rmap_ptes() */
void rmap_add_ptes(struct khp_world *w, uint32_t id, unsigned sub, unsigned nr, struct mm *mm)
{
	struct folio *f = folio_of(w, id);
	int16_t *pmc = folio_pmc(f);

	if (!f->order) {
		f->nr_pages_mapped += pmc[0]++ == 0;
	} else {
		uint64_t *multi = folio_multi(f);

		for (unsigned i = sub; i < sub + nr; i++) {
			int old = pmc[i]++;

			f->nr_pages_mapped += old == 0;
			if (old == 1) {
				multi[i / 64] |= 1ull << (i % 64);
				f->nr_multi++;
			}
		}
	}
	mapcount_add(f, mm, (int)nr);
}

/*
 * folio_remove_rmap_ptes(): one batch of consecutive subpages.  A large
 * folio left partially mapped is queued for deferred split: 6.1 per page
 * whose own mapcount hit zero (page_remove_rmap), 6.12+ once per batch
 * when pages became unmapped, others stay mapped and no PMD maps it.
 */
void rmap_remove_ptes(struct khp_world *w, uint32_t id, unsigned sub, unsigned nr, struct mm *mm)
{
	struct folio *f = folio_of(w, id);
	int16_t *pmc = folio_pmc(f);
	unsigned unmapped = 0;

	if (!f->order) {
		unmapped = --pmc[0] == 0;
		f->nr_pages_mapped -= (int)unmapped;
	} else {
		uint64_t *multi = folio_multi(f);

		for (unsigned i = sub; i < sub + nr; i++) {
			int now = --pmc[i];

			unmapped += now == 0;
			if (now == 1) {
				multi[i / 64] &= ~(1ull << (i % 64));
				f->nr_multi--;
			}
		}
		f->nr_pages_mapped -= (int)unmapped;
	}
	mapcount_sub(f, mm, (int)nr);
	if (!f->order || !unmapped || f->entire_mapcount)
		return;
	if (w->rules->deferred_split_all || f->nr_pages_mapped)
		deferred_split_queue(f, true);
}

/* folio_add_anon_rmap_pmd() / folio_try_dup_anon_rmap_pmd() */
void rmap_add_pmd(struct khp_world *w, uint32_t id, struct mm *mm)
{
	struct folio *f = folio_of(w, id);

	f->entire_mapcount++;
	mapcount_add(f, mm, 1);
}

/* folio_remove_rmap_pmd(): queue when the last PMD goes and only some pages stay mapped */
void rmap_remove_pmd(struct khp_world *w, uint32_t id, struct mm *mm)
{
	struct folio *f = folio_of(w, id);

	f->entire_mapcount--;
	mapcount_sub(f, mm, 1);
	if (!f->entire_mapcount && f->nr_pages_mapped &&
	    f->nr_pages_mapped < (int)folio_nr_pages(f))
		deferred_split_queue(f, true);
}

/* The mask of the bits of word `from / 64` in [from, from + n) (from + n within the word). */
static inline uint64_t word_mask(unsigned from, unsigned take)
{
	return (take == 64 ? ~0ull : (1ull << take) - 1) << (from % 64);
}

/* Set bits of words[] in [from, from + n). */
static unsigned popcount_range64(const uint64_t *words, unsigned from, unsigned n)
{
	unsigned count = 0;

	while (n) {
		unsigned take = 64 - from % 64 < n ? 64 - from % 64 : n;

		count += (unsigned)__builtin_popcountll(words[from / 64] & word_mask(from, take));
		from += take;
		n -= take;
	}
	return count;
}

/* The offset from `from` of the k-th (1-based) set bit of words[] at or after from. */
static unsigned select_from64(const uint64_t *words, unsigned from, unsigned k)
{
	unsigned at = from;

	for (;;) {
		unsigned take = 64 - at % 64;
		uint64_t bits = words[at / 64] & word_mask(at, take);
		unsigned c = (unsigned)__builtin_popcountll(bits);

		if (c >= k) {
			while (--k)
				bits &= bits - 1;
			return at / 64 * 64 + (unsigned)__builtin_ctzll(bits) - from;
		}
		k -= c;
		at += take;
	}
}

/*
 * Every mapped subpage of large folio f has page_mapcount() > 1:
 * page_mapcount() = pmc + entire_mapcount, and a mapped page has pmc >= 1.
 */
static bool folio_all_multi(const struct folio *f)
{
	return f->entire_mapcount || f->nr_multi == f->nr_pages_mapped;
}

/* The scan's exact shared count of a run (khugepaged/scan_sums.c), from the multi bitmap. */
unsigned folio_pages_multi(const struct folio *f, unsigned sub, unsigned n)
{
	if (folio_all_multi(f))
		return n;
	if (!f->nr_multi)
		return 0;
	return popcount_range64(folio_multi(f), sub, n);
}

unsigned folio_multi_select(const struct folio *f, unsigned sub, unsigned k)
{
	if (folio_all_multi(f))
		return k - 1;
	return select_from64(folio_multi(f), sub, k);
}

/*
 * The shared test khugepaged applies to a PTE mapping (f, sub) under the
 * rule `shared`.  The oracle (exact: another live mm maps this very page)
 * and page_mapcount() [6.1] agree: an anonymous private page is mapped at
 * most once per mm, so both are page_mapcount > 1.
 */
bool page_shared(enum khp_shared_rule rule, const struct folio *f, unsigned sub)
{
	switch (rule) {
	case KHP_SHARED_LIKELY_MAPPED:
		return folio_likely_mapped_shared(f);
	case KHP_SHARED_MAYBE_MAPPED:
		return folio_maybe_mapped_shared(f);
	default:
		return page_mapcount(f, sub) > 1;
	}
}

/*
 * map_anon_folio_pmd() [7.3] (set_pmd_at() and folio_add_new_anon_rmap() in
 * 6.1, 6.12): map the new PMD-order folio id at pmd; on profiles with rule
 * thp_shrinker it joins the deferred split queue (deferred_split_folio(folio,
 * false)) for the underused shrinker.
 */
void map_anon_folio_pmd(struct khp_world *w, struct mm *mm, struct pmd *pmd, uint32_t id,
			uint8_t flags)
{
	pmd->kind = PMD_HUGE;
	pmd->folio = id;
	pmd->flags = flags;
	rmap_add_pmd(w, id, mm);
	if (w->rules->thp_shrinker && w->cfg.shrink_underused)
		folio_of(w, id)->flags |= FOLIO_DEFERRED;
}

/*
 * rmap_walk() without anon_vmas: every PMD entry of every live mm, in mm
 * and address order, until fn returns non-zero (which pmd_walk returns).
 * fn may change the entry in place (split it), not add or remove entries.
 */
int pmd_walk(struct khp_world *w, pmd_walk_fn fn, void *arg)
{
	for (unsigned m = 0; m < w->nr_mms; m++) {
		struct mm *mm = &w->mms[m];

		for (uint32_t i = 0; mm->alive && i < mm->nr_pmds; i++) {
			int ret = fn(w, mm, &mm->pmds[i], arg);

			if (ret)
				return ret;
		}
	}
	return 0;
}
