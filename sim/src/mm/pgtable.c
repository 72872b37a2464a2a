/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page tables: per mm a sorted array of PMD entries (a missing entry is
 * pmd_none), each a PTE table of pmd_pages entries or a huge mapping, plus
 * the set of populated PUD entries (mm_find_pmd() fails without one, which
 * is SCAN_PMD_NULL in 6.1 / 6.12).  split_huge_pmd() lives here.  Page
 * tables count against the world limit KHP_MAX_PTES (pmd_insert()).
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "mm.h"

static uint32_t pmd_slot(const struct mm *mm, uint64_t index)
{
	uint32_t lo = 0, hi = mm->nr_pmds;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (mm->pmds[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct pmd *__pmd_lookup(struct mm *mm, uint64_t index)
{
	uint32_t i = pmd_slot(mm, index);

	if (i < mm->nr_pmds && mm->pmds[i].index == index) {
		mm->pmd_hint = i;
		return &mm->pmds[i];
	}
	return NULL;
}

static int pud_populate(struct khp_world *w, struct mm *mm, uint64_t pmd_idx)
{
	uint64_t pud = pmd_idx / KHP_PUD_PMDS;
	uint32_t lo = 0, hi = mm->nr_puds;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (mm->puds[mid] < pud)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < mm->nr_puds && mm->puds[lo] == pud)
		return 0;
	if (array_insert(&mm->puds, &mm->nr_puds, &mm->cap_puds, lo, sizeof(*mm->puds), 4))
		return khp_err(w, -ENOMEM, "out of memory for page tables");
	mm->puds[lo] = pud;
	return 0;
}

bool pud_present(struct mm *mm, uint64_t pmd_idx)
{
	uint64_t pud = pmd_idx / KHP_PUD_PMDS;

	for (uint32_t i = 0; i < mm->nr_puds; i++)
		if (mm->puds[i] == pud)
			return true;
	return false;
}

/* free_pgtables(): PUD entries with no VMA left below them go away. */
void pud_free_unused(struct mm *mm, unsigned pmd_order)
{
	uint32_t out = 0;
	unsigned shift = pmd_order + 9;   /* log2(KHP_PUD_PMDS) = 9 */

	for (uint32_t i = 0; i < mm->nr_puds; i++) {
		uint64_t start = mm->puds[i] << shift, end = (mm->puds[i] + 1) << shift;
		bool used = false;

		for (uint32_t j = 0; j < mm->nr_vmas && !used; j++)
			used = mm->vmas[j].start < end && mm->vmas[j].end > start;
		if (used)
			mm->puds[out++] = mm->puds[i];
	}
	mm->nr_puds = out;
}

/*
 * World limit KHP_MAX_PTES: every populated PMD entry (a PTE table, or a
 * huge mapping that a split would turn into one) counts pmd_pages entries.
 */
static int pmd_charge(struct khp_world *w)
{
	uint64_t nr = 1;

	for (unsigned m = 0; m < w->nr_mms; m++)
		nr += w->mms[m].nr_pmds;
	if (nr << w->pmd_order > KHP_MAX_PTES)
		return khp_err(w, -ENOMEM, "world limit of %u page-table entries reached "
			       "(%u PMD entries of %u)", KHP_MAX_PTES,
			       KHP_MAX_PTES >> w->pmd_order, pmd_nr(w));
	return 0;
}

static int pmd_insert(struct khp_world *w, struct mm *mm, uint64_t index, struct pmd **out)
{
	uint32_t i = pmd_slot(mm, index);
	int ret = pmd_charge(w);

	if (!ret)
		ret = pud_populate(w, mm, index);
	if (ret)
		return ret;
	if (array_insert(&mm->pmds, &mm->nr_pmds, &mm->cap_pmds, i, sizeof(*mm->pmds), 8))
		return khp_err(w, -ENOMEM, "out of memory for page tables");
	mm->pmds[i].index = index;
	*out = &mm->pmds[i];
	return 0;
}

/* __pte_alloc(): an empty PTE table for a pmd_none entry */
int pmd_alloc_table(struct khp_world *w, struct mm *mm, uint64_t index, struct pmd **out)
{
	struct pte *ptes = pte_table_alloc(w, true);
	int ret;

	if (!ptes)
		return khp_err(w, -ENOMEM, "out of memory for page tables");
	ret = pmd_insert(w, mm, index, out);
	if (ret) {
		pte_table_free(w, ptes);
		return ret;
	}
	(*out)->kind = PMD_TABLE;
	(*out)->ptes = ptes;
	return 0;
}

int pmd_alloc_huge(struct khp_world *w, struct mm *mm, uint64_t index, struct pmd **out)
{
	int ret = pmd_insert(w, mm, index, out);

	if (!ret)
		(*out)->kind = PMD_HUGE;
	return ret;
}

/* pmd_clear() + pte_free(): the entry becomes pmd_none */
void pmd_free_entry(struct khp_world *w, struct mm *mm, uint64_t index)
{
	uint32_t i = pmd_slot(mm, index);

	if (i >= mm->nr_pmds || mm->pmds[i].index != index)
		return;
	pte_table_free(w, mm->pmds[i].ptes);
	memmove(&mm->pmds[i], &mm->pmds[i + 1], (mm->nr_pmds - i - 1) * sizeof(struct pmd));
	mm->nr_pmds--;
}

/* ptes[i] = the word first + i * step, for i < nr */
static void pte_fill_words(struct pte *ptes, unsigned nr, uint64_t first, uint64_t step)
{
	for (unsigned i = 0; i < nr; i++)
		pte_set_word(&ptes[i], first + i * step);
}

/*
 * __split_huge_pmd_locked() for anonymous memory: the PMD mapping becomes
 * pmd_pages PTEs with the PMD's write/young/dirty/exclusive bits; the huge
 * zero page becomes zero-page PTEs.
 */
int split_huge_pmd(struct khp_world *w, struct mm *mm, uint64_t index)
{
	struct pmd *pmd = pmd_lookup(mm, index);
	unsigned nr = pmd_nr(w);
	struct pte *ptes;

	if (!pmd || pmd->kind == PMD_TABLE)
		return 0;
	ptes = pte_table_alloc(w, false);   /* every entry is written below */
	if (!ptes)
		return khp_err(w, -ENOMEM, "out of memory for page tables");
	if (pmd->kind == PMD_HUGE_ZERO) {
		struct pte zero = { .kind = PTE_ZERO, .flags = pmd->flags & PTE_YOUNG };

		pte_fill_words(ptes, nr, pte_word(&zero), 0);
	} else {
		/* [6.1] "we don't do pte_mkdirty when dirty==true": PG_dirty instead */
		struct pte first = {
			.kind = PTE_PRESENT, .val = pmd->folio,
			.flags = pmd->flags & (w->rules->split_pmd_dirty ? ~PTE_DIRTY : 0xff),
		};

		pte_fill_words(ptes, nr, pte_word(&first), PTE_WORD_SUBPAGE);
	}
	if (pmd->kind == PMD_HUGE) {
		if (w->rules->split_pmd_dirty && (pmd->flags & PTE_DIRTY))
			folio_of(w, pmd->folio)->flags |= FOLIO_DIRTY;
		folio_get(w, pmd->folio, (int)nr - 1);
		rmap_add_ptes(w, pmd->folio, 0, nr, mm);
		rmap_remove_pmd(w, pmd->folio, mm);
	}
	pmd->kind = PMD_TABLE;
	pmd->folio = 0;
	pmd->flags = 0;
	pmd->ptes = ptes;
	return 0;
}

/*
 * folio_pte_batch(): how many PTEs from ptes[0] (present), at most max, map
 * consecutive pages of its folio, agreeing on the PTE bits in same.  As
 * 64-bit words (pte_word()), PTE n of a batch is the first one plus n
 * subpages, under the mask of what must agree: two PTEs at a time with SSE2.
 */
unsigned folio_pte_batch(const struct pte *ptes, unsigned max, uint8_t same)
{
	const uint64_t mask = ~(0xffull << 56) | ((uint64_t)same << 56);
	uint64_t x = pte_word(ptes) & mask;
	unsigned n = 1;

#ifdef __SSE2__
	const __m128i m = _mm_set1_epi64x((long long)mask);
	const __m128i step = _mm_set1_epi64x((long long)(2 * PTE_WORD_SUBPAGE));
	__m128i want = _mm_set_epi64x((long long)(x + 2 * PTE_WORD_SUBPAGE),
				      (long long)(x + PTE_WORD_SUBPAGE));

	while (n + 2 <= max) {
		__m128i got = _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)&ptes[n]),
					    m);

		if (_mm_movemask_epi8(_mm_cmpeq_epi32(got, want)) != 0xffff)
			break;
		want = _mm_add_epi64(want, step);
		n += 2;
	}
#endif
	while (n < max && (pte_word(&ptes[n]) & mask) == x + n * PTE_WORD_SUBPAGE)
		n++;
	return n;
}

struct pte *pte_lookup(struct khp_world *w, struct mm *mm, uint64_t addr)
{
	struct pmd *pmd = pmd_lookup(mm, pmd_index(w, addr));

	if (!pmd || pmd->kind != PMD_TABLE)
		return NULL;
	return &pmd->ptes[addr & (pmd_nr(w) - 1)];
}

/* pte_alloc(): the PTE of addr, allocating its table; the PMD must not be huge. */
int pte_alloc(struct khp_world *w, struct mm *mm, uint64_t addr, struct pte **out)
{
	uint64_t index = pmd_index(w, addr);
	struct pmd *pmd = pmd_lookup(mm, index);
	int ret;

	if (!pmd) {
		ret = pmd_alloc_table(w, mm, index, &pmd);
		if (ret)
			return ret;
	}
	if (pmd->kind != PMD_TABLE)
		return khp_err(w, -EUCLEAN, "a PTE table wanted at %#llx of a huge PMD (simulator bug)",
			       (unsigned long long)addr);
	*out = &pmd->ptes[addr & (pmd_nr(w) - 1)];
	return 0;
}
