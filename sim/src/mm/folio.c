/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Folio pool: allocation, references, freeing, splitting (split_folio) and
 * the swap cache hooks.  A folio lives while its refcount is positive; the
 * caller that allocates owns the first reference (as alloc_pages does).
 * rmap.c counts mappings; this file counts references.
 */
#include <stdlib.h>
#include <string.h>
#include "mm.h"


/* The next `fail_alloc` huge page allocations fail (fault and collapse). */
bool folio_alloc_huge_fails(struct khp_world *w)
{
	if (!w->fail_alloc)
		return false;
	w->fail_alloc--;
	return true;
}

/* A pool slot for a folio of this order (metadata only, no page accounting). */
static int folio_slot(struct khp_world *w, unsigned order, uint32_t *out)
{
	unsigned nr = 1u << order;
	struct folio *f;
	uint32_t id;

	if (w->free_folio) {
		id = w->free_folio;
		w->free_folio = w->folios[id].next_free;
	} else {
		if (!w->nr_folios)
			w->nr_folios = 1;   /* id 0 means "no folio" */
		if (array_reserve(&w->folios, &w->cap_folios, w->nr_folios + 1,
				  sizeof(*w->folios), 256))
			return khp_err(w, -ENOMEM, "out of memory for folios");
		id = w->nr_folios++;
	}
	f = &w->folios[id];
	memset(f, 0, sizeof(*f));
	f->order = (uint8_t)order;
	if (order) {
		unsigned words = folio_multi_words(nr);
		uint64_t *block = folio_meta_alloc(w, order);

		if (!block) {
			f->next_free = w->free_folio;
			w->free_folio = id;
			return khp_err(w, -ENOMEM, "out of memory for folio metadata");
		}
		f->pmc = (int16_t *)(void *)(block + words);
	}
	f->refcount = 1;
	folio_derive(f);
	*out = id;
	return 0;
}

/* folio_alloc(): a new anonymous folio, refcount 1, content zero. */
int folio_alloc(struct khp_world *w, unsigned order, uint32_t *out)
{
	unsigned nr = 1u << order;
	int ret;

	if (w->pages_in_use + nr > KHP_MAX_PAGES_IN_USE)
		return khp_err(w, -ENOMEM, "world limit of %u pages in use reached",
			       KHP_MAX_PAGES_IN_USE);
	ret = folio_slot(w, order, out);
	if (ret)
		return ret;
	/*
	 * [7.3] folio_add_lru() (mm/folio.c): with MGLRU on (Debian's default)
	 * a folio added in a fault is folio_mark_accessed(): PG_referenced.
	 */
	if (w->in_fault && w->rules->fault_referenced)
		w->folios[*out].flags |= FOLIO_REFERENCED;
	w->pages_in_use += nr;
	w->vm_events.pgalloc += nr;
	return 0;
}

void folio_get(struct khp_world *w, uint32_t id, int refs)
{
	w->folios[id].refcount += refs;
	folio_derive(&w->folios[id]);
}

static void folio_free(struct khp_world *w, uint32_t id)
{
	struct folio *f = &w->folios[id];
	unsigned nr = folio_nr_pages(f);

	w->pages_in_use -= nr;
	w->vm_events.pgfree += nr;
	folio_meta_free(w, f);
	memset(f, 0, sizeof(*f));
	f->next_free = w->free_folio;
	w->free_folio = id;
}

/* folio_put_refs() */
void folio_put(struct khp_world *w, uint32_t id, int refs)
{
	struct folio *f = &w->folios[id];

	f->refcount -= refs;
	if (f->refcount <= 0)
		folio_free(w, id);
	else
		folio_derive(f);
}

void swap_slot_release(struct khp_world *w, uint32_t slot)
{
	struct swap_slot *s = &w->swap[slot];

	if (s->count || s->folio)
		return;
	memset(s, 0, sizeof(*s));
	s->folio = w->free_swap;    /* free list link */
	w->free_swap = slot;
	w->swap_in_use--;
}

/* folio_free_swap(): leave the swap cache when no swap PTE needs the slot */
void folio_free_swap(struct khp_world *w, uint32_t id)
{
	struct folio *f = &w->folios[id];
	uint32_t slot = f->swap;

	if (!(f->flags & FOLIO_SWAPCACHE) || w->swap[slot].count)
		return;
	f->flags &= ~FOLIO_SWAPCACHE;
	f->swap = 0;
	w->swap[slot].folio = 0;
	swap_slot_release(w, slot);
	folio_put(w, id, (int)folio_nr_pages(f));
}

/* free_swap_cache(): the same, for a folio nobody maps any more */
void free_swap_cache(struct khp_world *w, uint32_t id)
{
	if (!w->folios[id].large_mapcount)
		folio_free_swap(w, id);
}

#define SPLIT_TO_ZERO UINT32_MAX

/*
 * Rewrite every PTE of folio `id` through map[sub]: a new order-0 folio, or
 * SPLIT_TO_ZERO for a zero-filled page remapped to the shared zero page.
 */
struct remap {
	uint32_t id;
	const uint32_t *map;
};

static int remap_table(struct khp_world *w, struct mm *mm, struct pmd *pmd, void *arg)
{
	const struct remap *r = arg;

	if (pmd->kind != PMD_TABLE)
		return 0;
	for (unsigned j = 0; j < pmd_nr(w); j++) {
		struct pte *pte = &pmd->ptes[j];

		if (pte->kind != PTE_PRESENT || pte->val != r->id)
			continue;
		if (r->map[pte->subpage] == SPLIT_TO_ZERO) {
			pte->kind = PTE_ZERO;
			pte->val = 0;
			pte->flags = PTE_YOUNG;
		} else {
			pte->val = r->map[pte->subpage];
		}
		pte->subpage = 0;
	}
	return 0;
}

static void remap_split_ptes(struct khp_world *w, uint32_t id, const uint32_t *map)
{
	struct remap r = { id, map };

	pmd_walk(w, remap_table, &r);
}

/*
 * [6.12+] try_to_map_unused_to_zeropage(): when an anonymous large folio is
 * split, every mapped zero-filled page goes to the zero page (no mlock in
 * the model).  Marks those subpages SPLIT_TO_ZERO in map[].
 */
static void split_mark_zero(const struct khp_world *w, const struct folio *f, uint32_t *map)
{
	for (unsigned i = 0; i < folio_nr_pages(f); i++)
		map[i] = w->rules->split_to_zero && f->pmc[i] && !folio_data_c(f)[i] ?
			 SPLIT_TO_ZERO : 0;
}

/*
 * split_folio(): turn a PTE-mapped large folio into order-0 folios.  Fails
 * (-EBUSY) while it is PMD-mapped or holds references other than its
 * mappings (can_split_folio()).  Unmapped subpages are freed; 6.12+ maps
 * zero-filled ones to the zero page and frees them too.
 */
int folio_split(struct khp_world *w, uint32_t id)
{
	struct folio *f = &w->folios[id];
	unsigned nr = folio_nr_pages(f);
	uint32_t *map = w->scratch;
	int16_t *pmc;
	uint8_t *data;
	uint64_t *block;
	uint16_t keep;
	unsigned order = f->order;

	if (!f->order)
		return 0;
	if (f->entire_mapcount || f->refcount != f->large_mapcount || f->pincount)
		return -EBUSY;
	split_mark_zero(w, f, map);
	pmc = f->pmc;
	data = folio_data(f);
	block = folio_multi(f);
	keep = f->flags & (FOLIO_REFERENCED | FOLIO_YOUNG | FOLIO_LAZYFREE | FOLIO_DIRTY);
	memset(f, 0, sizeof(*f));
	for (unsigned i = 0; i < nr; i++) {
		uint32_t nid = id;

		if (!pmc[i] || map[i] == SPLIT_TO_ZERO) {
			w->pages_in_use--;
			w->vm_events.pgfree++;
			continue;
		}
		if (i && folio_slot(w, 0, &nid))
			abort();    /* host out of memory half-way: a split cannot be undone */
		f = &w->folios[nid];
		f->refcount = pmc[i];
		f->large_mapcount = pmc[i];
		f->nr_pages_mapped = 1;
		f->pmc0 = pmc[i];
		f->data0 = data[i];
		f->flags = keep;
		folio_derive(f);
		map[i] = nid;
	}
	if (!map[0] || map[0] == SPLIT_TO_ZERO) {
		/* the head page is gone: its id is free now */
		f = &w->folios[id];
		memset(f, 0, sizeof(*f));
		f->next_free = w->free_folio;
		w->free_folio = id;
	}
	folio_meta_put(w, block, order);
	remap_split_ptes(w, id, map);
	return 0;
}
