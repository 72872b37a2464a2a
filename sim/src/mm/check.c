/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The invariant checker: recount every folio's mappings from the page
 * tables of all live mms and compare with what rmap.c maintained (see the
 * list in mm.h).  Allocates; never on a scan path.
 */
#include <stdlib.h>
#include <string.h>
#include "mm.h"

struct expect {
	int32_t *pmc;        /* per folio: offset into the subpage counts */
	int32_t entire, large;
	int32_t per_mm[KHP_MAX_MMS];
	int32_t pins;
	int32_t lru;         /* references held by the lru_add batch */
};

#define FAIL(...) do { snprintf(msg, len, __VA_ARGS__); goto out; } while (0)

static int check_vmas(const struct khp_world *w, const struct mm *mm, unsigned m, char *msg,
		      size_t len)
{
	for (uint32_t i = 0; i < mm->nr_vmas; i++) {
		const struct vma *v = &mm->vmas[i];

		if (v->start >= v->end || (i && mm->vmas[i - 1].end > v->start)) {
			snprintf(msg, len, "mm %u: VMA %u [%#llx, %#llx) unordered or empty", m, i,
				 (unsigned long long)v->start, (unsigned long long)v->end);
			return -EUCLEAN;
		}
	}
	for (uint32_t i = 1; i < mm->nr_pmds; i++) {
		if (mm->pmds[i - 1].index >= mm->pmds[i].index) {
			snprintf(msg, len, "mm %u: PMD entries out of order", m);
			return -EUCLEAN;
		}
	}
	(void)w;
	return 0;
}

int world_check(const struct khp_world *w, char *msg, size_t len)
{
	uint32_t nf = w->nr_folios ? w->nr_folios : 1;
	struct expect *e = calloc(nf, sizeof(*e));
	uint32_t *swapc = calloc(w->nr_swap ? w->nr_swap : 1, sizeof(uint32_t));
	long pages = 0, slots = 0;
	int ret = -EUCLEAN;

	if (!e || !swapc) {
		snprintf(msg, len, "out of memory in the checker");
		ret = -ENOMEM;
		goto out;
	}
	for (uint32_t id = 1; id < w->nr_folios; id++) {
		const struct folio *f = &w->folios[id];

		if (f->refcount) {
			e[id].pmc = calloc(folio_nr_pages(f), sizeof(int32_t));
			if (!e[id].pmc) {
				ret = -ENOMEM;
				goto out;
			}
			pages += folio_nr_pages(f);
		}
	}
	for (uint32_t i = 0; i < w->nr_pins; i++)
		e[w->pins[i].folio].pins++;
	if (w->lru_add.nr >= LRU_BATCH_MAX)
		FAIL("lru_add batch holds %u folios: it drains when full", w->lru_add.nr);
	for (unsigned i = 0; i < w->lru_add.nr; i++) {
		uint32_t id = w->lru_add.folio[i];

		if (!id || id >= w->nr_folios || !w->folios[id].refcount || w->folios[id].order)
			FAIL("lru_add batch entry %u: folio %u is not an allocated small folio", i, id);
		e[id].lru++;
	}
	for (unsigned m = 0; m < w->nr_mms; m++) {
		const struct mm *mm = &w->mms[m];

		if (!mm->alive)
			continue;
		if (check_vmas(w, mm, m, msg, len))
			goto out;
		for (uint32_t p = 0; p < mm->nr_pmds; p++) {
			const struct pmd *pmd = &mm->pmds[p];
			uint64_t base = pmd->index << w->pmd_order;

			if (pmd->kind != PMD_TABLE) {
				const struct vma *v = vma_find((struct mm *)mm, base);

				if (!v || v->end < base + pmd_nr(w))
					FAIL("mm %u: huge PMD %#llx not inside one VMA", m,
					     (unsigned long long)base);
				if (pmd->kind == PMD_HUGE) {
					const struct folio *f = &w->folios[pmd->folio];

					if (!f->refcount || f->order != w->pmd_order)
						FAIL("mm %u: PMD %#llx maps a free or small folio %u", m,
						     (unsigned long long)base, pmd->folio);
					e[pmd->folio].entire++;
					e[pmd->folio].large++;
					e[pmd->folio].per_mm[m]++;
				}
				continue;
			}
			for (unsigned i = 0; i < pmd_nr(w); i++) {
				const struct pte *pte = &pmd->ptes[i];

				if (pte->kind == PTE_NONE)
					continue;
				if (!vma_find((struct mm *)mm, base + i))
					FAIL("mm %u: PTE at %#llx outside any VMA", m,
					     (unsigned long long)(base + i));
				if (pte->kind == PTE_SWAP) {
					if (!pte->val || pte->val >= w->nr_swap || !w->swap[pte->val].used)
						FAIL("mm %u: swap PTE at %#llx names free slot %u", m,
						     (unsigned long long)(base + i), pte->val);
					swapc[pte->val]++;
				}
				if (pte->kind != PTE_PRESENT)
					continue;
				if (!pte->val || pte->val >= w->nr_folios || !w->folios[pte->val].refcount)
					FAIL("mm %u: PTE at %#llx maps free folio %u", m,
					     (unsigned long long)(base + i), pte->val);
				if (pte->subpage >= folio_nr_pages(&w->folios[pte->val]))
					FAIL("mm %u: PTE at %#llx maps subpage %u beyond folio %u", m,
					     (unsigned long long)(base + i), pte->subpage, pte->val);
				e[pte->val].pmc[pte->subpage]++;
				e[pte->val].large++;
				e[pte->val].per_mm[m]++;
			}
		}
	}
	for (uint32_t id = 1; id < w->nr_folios; id++) {
		const struct folio *f = &w->folios[id];
		const int16_t *pmc = folio_pmc_c(f);
		unsigned nr = folio_nr_pages(f), mapped = 0, mms = 0;
		int cache = (f->flags & FOLIO_SWAPCACHE) ? (int)nr : 0;

		if (!f->refcount)
			continue;
		for (unsigned i = 0; i < nr; i++) {
			if (pmc[i] != e[id].pmc[i])
				FAIL("folio %u: subpage %u mapcount %d, page tables say %d", id, i,
				     pmc[i], e[id].pmc[i]);
			mapped += pmc[i] > 0;
		}
		if (f->entire_mapcount != e[id].entire)
			FAIL("folio %u: entire mapcount %d, page tables say %d", id,
			     f->entire_mapcount, e[id].entire);
		if (f->large_mapcount != e[id].large)
			FAIL("folio %u: large mapcount %d, page tables say %d", id,
			     f->large_mapcount, e[id].large);
		if (f->nr_pages_mapped != (int)mapped)
			FAIL("folio %u: nr_pages_mapped %d, page tables say %u", id,
			     f->nr_pages_mapped, mapped);
		if (f->pincount != e[id].pins)
			FAIL("folio %u: pincount %d, %d pins held", id, f->pincount, e[id].pins);
		if (f->refcount != f->large_mapcount + f->pincount + cache + e[id].lru)
			FAIL("folio %u: refcount %d != mappings %d + pins %d + swap cache %d"
			     " + lru batch %d", id, f->refcount, f->large_mapcount, f->pincount,
			     cache, e[id].lru);
		if (cache && (f->order || !f->swap || w->swap[f->swap].folio != id))
			FAIL("folio %u: swap cache link broken", id);
		if (!f->order)
			continue;
		for (unsigned m = 0; m < w->nr_mms; m++)
			mms += e[id].per_mm[m] > 0;
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
			    f->mm_id_mapcount[s] > e[id].per_mm[owner])
				FAIL("folio %u: MM-ID slot %d (id %u) count %d exceeds its mm's mappings",
				     id, s, f->mm_id[s], f->mm_id_mapcount[s]);
		}
		if (mms > 1 && !(f->flags & FOLIO_SHARED_BIT))
			FAIL("folio %u: mapped by %u mms but the MM-ID shared bit is clear", id, mms);
	}
	if (pages != w->pages_in_use)
		FAIL("pages_in_use %ld, allocated folios hold %ld", w->pages_in_use, pages);
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
	ret = 0;
out:
	if (e)
		for (uint32_t id = 0; id < nf; id++)
			free(e[id].pmc);
	free(e);
	free(swapc);
	return ret;
}
