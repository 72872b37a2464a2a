/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Read-only views of a world: totals, the PMD-range map of replay, PTE and
 * folio inspection.
 */
#include <string.h>
#include "mm.h"


const char khp_pmd_map_legend[] =
	"'.' none  '0' zero page  'e'/'E' exclusive page (read-only/writable)  "
	"'s'/'S' page another mm maps too (read-only/writable)  'w' swap entry  "
	"'H' PMD-mapped THP  'z' huge zero page  '_' no page table  ' ' no VMA";

/* ---- totals and inspection ------------------------------------------- */
void khp_world_totals(const struct khp_world *w, struct khp_totals *t)
{
	memset(t, 0, sizeof(*t));
	t->pages_in_use = w->pages_in_use;
	t->nr_mms = w->nr_mms;
	t->swap_slots_in_use = w->swap_in_use;
	for (unsigned m = 0; m < w->nr_mms; m++)
		for (uint32_t i = 0; w->mms[m].alive && i < w->mms[m].nr_pmds; i++)
			t->pmd_thps[m] += w->mms[m].pmds[i].kind == PMD_HUGE;
	for (uint32_t id = 1; id < w->nr_folios; id++) {
		const struct folio *f = &w->folios[id];

		if (!f->refcount || !f->order)
			continue;
		t->large_folios++;
		t->large_folio_pages += folio_nr_pages(f);
		if (f->order >= 2 && f->large_mapcount)
			t->folios_by_order[f->order]++;
	}
	t->meta_per_page_bytes = 4 * t->large_folio_pages;
	t->meta_per_folio_bytes = 16 * t->large_folios;
	t->cost = w->cost;
}

static bool world_mm_ok(const struct khp_world *w, unsigned mm)
{
	return mm < w->nr_mms && w->mms[mm].alive;
}

int khp_world_pmd_map(const struct khp_world *w, unsigned mmid, uint64_t addr, char *buf,
		      size_t n)
{
	unsigned nr = pmd_nr(w);
	uint64_t base = addr & ~(uint64_t)(nr - 1);
	struct mm *mm;
	struct pmd *pmd;

	if (n < nr + 1)
		return -EINVAL;
	if (!world_mm_ok(w, mmid))
		return -ENOENT;
	if (addr >= KHP_ADDR_LIMIT)
		return -ERANGE;
	mm = (struct mm *)&w->mms[mmid];
	pmd = pmd_lookup(mm, pmd_index(w, addr));
	for (unsigned i = 0; i < nr; i++) {
		const struct pte *pte = pmd && pmd->kind == PMD_TABLE ? &pmd->ptes[i] : NULL;
		char c;

		if (!vma_find(mm, base + i))
			c = ' ';
		else if (!pmd)
			c = '_';
		else if (pmd->kind == PMD_HUGE)
			c = 'H';
		else if (pmd->kind == PMD_HUGE_ZERO)
			c = 'z';
		else if (pte->kind == PTE_NONE)
			c = '.';
		else if (pte->kind == PTE_ZERO)
			c = '0';
		else if (pte->kind == PTE_SWAP)
			c = 'w';
		else if (page_mapcount(&w->folios[pte->val], pte->subpage) > 1)
			c = (pte->flags & PTE_WRITE) ? 'S' : 's';
		else
			c = (pte->flags & PTE_WRITE) ? 'E' : 'e';
		buf[i] = c;
	}
	buf[nr] = 0;
	return 0;
}

int khp_world_pte(const struct khp_world *w, unsigned mmid, uint64_t addr,
		  struct khp_pte_info *out)
{
	struct mm *mm;
	struct pmd *pmd;
	const struct pte *pte;

	memset(out, 0, sizeof(*out));
	if (!world_mm_ok(w, mmid) || addr >= KHP_ADDR_LIMIT)
		return -ENOENT;
	mm = (struct mm *)&w->mms[mmid];
	pmd = pmd_lookup(mm, pmd_index(w, addr));
	if (!pmd) {
		out->kind = KHP_PTE_NO_TABLE;
		return 0;
	}
	if (pmd->kind != PMD_TABLE) {
		out->kind = KHP_PTE_PMD;
		out->folio = pmd->folio;
		out->subpage = (unsigned)(addr & (pmd_nr(w) - 1));
		out->order = pmd->kind == PMD_HUGE ? w->pmd_order : 0;
		out->write = pmd->flags & PTE_WRITE;
		out->young = pmd->flags & PTE_YOUNG;
		out->dirty = pmd->flags & PTE_DIRTY;
		return 0;
	}
	pte = &pmd->ptes[addr & (pmd_nr(w) - 1)];
	out->kind = pte->kind == PTE_NONE ? KHP_PTE_NONE : pte->kind == PTE_ZERO ? KHP_PTE_ZERO :
		    pte->kind == PTE_SWAP ? KHP_PTE_SWAP : KHP_PTE_PRESENT;
	out->write = pte->flags & PTE_WRITE;
	out->young = pte->flags & PTE_YOUNG;
	out->dirty = pte->flags & PTE_DIRTY;
	out->uffd_wp = pte->flags & PTE_UFFD;
	if (pte->kind == PTE_PRESENT || pte->kind == PTE_SWAP)
		out->folio = pte->val;
	if (pte->kind == PTE_PRESENT) {
		out->subpage = pte->subpage;
		out->order = w->folios[pte->val].order;
	}
	return 0;
}

static const struct folio *folio_ok(const struct khp_world *w, uint32_t id)
{
	if (!id || id >= w->nr_folios || !w->folios[id].refcount)
		return NULL;
	return &w->folios[id];
}

int khp_world_folio(const struct khp_world *w, uint32_t id, struct khp_folio_info *out)
{
	const struct folio *f = folio_ok(w, id);

	memset(out, 0, sizeof(*out));
	if (!f)
		return -ENOENT;
	out->order = f->order;
	out->refcount = f->refcount;
	out->entire_mapcount = f->entire_mapcount;
	out->large_mapcount = f->large_mapcount;
	out->nr_pages_mapped = f->nr_pages_mapped;
	for (int s = 0; s < 2; s++) {
		out->mm_id[s] = f->mm_id[s];
		out->mm_id_mapcount[s] = f->mm_id_mapcount[s];
	}
	out->maybe_shared = f->flags & FOLIO_SHARED_BIT;
	out->swapcache = f->flags & FOLIO_SWAPCACHE;
	out->deferred_split = f->flags & FOLIO_DEFERRED;
	out->partially_mapped = f->flags & FOLIO_PARTIAL;
	out->lazyfree = f->flags & FOLIO_LAZYFREE;
	out->referenced = f->flags & FOLIO_REFERENCED;
	out->young = f->flags & FOLIO_YOUNG;
	out->pinned = f->pincount > 0;
	return 0;
}

int khp_world_page_mapcount(const struct khp_world *w, uint32_t id, unsigned sub)
{
	const struct folio *f = folio_ok(w, id);

	if (!f || sub >= folio_nr_pages(f))
		return -ENOENT;
	return page_mapcount(f, sub);
}

bool khp_world_page_shared(const struct khp_world *w, enum khp_shared_rule rule,
			   unsigned mm, uint32_t id, unsigned sub)
{
	const struct folio *f = folio_ok(w, id);

	(void)mm;
	if (!f || sub >= folio_nr_pages(f) || (unsigned)rule >= KHP_NR_SHARED_RULES)
		return false;
	return page_shared(rule, f, sub);
}

unsigned khp_world_mm_id(const struct khp_world *w, unsigned mm)
{
	return world_mm_ok(w, mm) ? w->mms[mm].mm_id : 0;
}

bool khp_world_mm_alive(const struct khp_world *w, unsigned mm)
{
	return world_mm_ok(w, mm);
}
