/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * khp_world_copy(): an exact deep copy of a world (the exhaustive search
 * expands each state from a copy).  Every pool and table is copied through
 * one small helper, so a change of how world.c allocates touches one place;
 * the static asserts fail when a struct gains a field, so that the copy (and
 * canon.c) are revisited.
 */
#include <stdlib.h>
#include <string.h>
#include "mm.h"

/* The structs the copy walks; a new field must be copied (and canonicalised). */
_Static_assert(sizeof(struct mm) == 72, "struct mm changed: update copy.c and canon.c");
_Static_assert(sizeof(struct vma) == 32, "struct vma changed: update copy.c and canon.c");
_Static_assert(sizeof(struct pmd) == 24, "struct pmd changed: update copy.c and canon.c");
_Static_assert(sizeof(struct folio) == 64, "struct folio changed: update copy.c and canon.c");
_Static_assert(sizeof(struct swap_slot) == 12, "struct swap_slot changed: update copy.c and canon.c");
_Static_assert(sizeof(struct pin) == 16, "struct pin changed: update copy.c and canon.c");
/* khp_world_copy() copies the world's head and then restores the pointers d owns. */
_Static_assert(sizeof(struct khp_world) == 35016,
	       "struct khp_world changed: a new pointer must be d's own in khp_world_copy()");
/* *dst = a copy of the nr elements of src (dst's capacity *cap grows as needed). */
static int copy_array(void *dstp, uint32_t *cap, const void *src, uint32_t nr, size_t size)
{
	void *p;

	if (array_reserve(dstp, cap, nr ? nr : 1, size, nr ? nr : 1))
		return -ENOMEM;
	memcpy(&p, dstp, sizeof(p));
	if (nr)
		memcpy(p, src, (size_t)nr * size);
	return 0;
}

/* The PTE table of a copied PMD entry (its own allocation). */
static int copy_ptes(struct khp_world *w, struct pmd *pmd)
{
	struct pte *ptes;

	if (!pmd->ptes)
		return 0;
	ptes = pte_table_alloc(w, false);   /* every entry is written below */
	if (!ptes) {
		pmd->ptes = NULL;
		return -ENOMEM;
	}
	memcpy(ptes, pmd->ptes, pmd_nr(w) * sizeof(*ptes));
	pmd->ptes = ptes;
	return 0;
}

/* Free dst's per-entry allocations (PTE tables, folio metadata), keep the arrays. */
static void release_entries(struct khp_world *w)
{
	for (unsigned m = 0; m < KHP_MAX_MMS; m++) {
		struct mm *mm = &w->mms[m];

		for (uint32_t i = 0; i < mm->nr_pmds; i++)
			pte_table_free(w, mm->pmds[i].ptes);
		mm->nr_pmds = 0;
	}
	for (uint32_t i = 1; i < w->nr_folios; i++)
		folio_meta_free(w, &w->folios[i]);
	w->nr_folios = 0;
}

static int copy_mm(struct khp_world *dw, struct mm *d, const struct mm *s)
{
	struct mm keep = *d;
	int ret = 0;

	*d = *s;
	d->vmas = keep.vmas, d->cap_vmas = keep.cap_vmas;
	d->pmds = keep.pmds, d->cap_pmds = keep.cap_pmds;
	d->puds = keep.puds, d->cap_puds = keep.cap_puds;
	d->nr_pmds = 0;
	if (copy_array(&d->vmas, &d->cap_vmas, s->vmas, s->nr_vmas, sizeof(*s->vmas)) ||
	    copy_array(&d->puds, &d->cap_puds, s->puds, s->nr_puds, sizeof(*s->puds)) ||
	    copy_array(&d->pmds, &d->cap_pmds, s->pmds, s->nr_pmds, sizeof(*s->pmds)))
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nr_pmds; i++) {
		ret = copy_ptes(dw, &d->pmds[i]);
		d->nr_pmds = i + 1;
		if (ret) {
			d->nr_pmds = i;
			return ret;
		}
	}
	return 0;
}

/* The metadata block of a copied large folio (d's own, from its pool). */
static int copy_folio_meta(struct khp_world *d, struct folio *f)
{
	unsigned words = folio_multi_words(folio_nr_pages(f));
	uint64_t *block;

	if (!f->order || !f->pmc)
		return 0;
	block = folio_meta_alloc(d, f->order);
	if (!block) {
		f->pmc = NULL;
		return -ENOMEM;
	}
	memcpy(block, folio_multi(f), folio_meta_size(f->order));
	f->pmc = (int16_t *)(void *)(block + words);
	return 0;
}

static int copy_folios(struct khp_world *d, const struct khp_world *s)
{
	if (copy_array(&d->folios, &d->cap_folios, s->folios, s->nr_folios, sizeof(*s->folios)))
		return -ENOMEM;
	for (uint32_t i = 1; i < s->nr_folios; i++) {
		d->nr_folios = i + 1;
		if (copy_folio_meta(d, &d->folios[i])) {
			/* the rest still point into s: forget them */
			for (uint32_t j = i; j < s->nr_folios; j++)
				d->folios[j].pmc = NULL;
			return -ENOMEM;
		}
	}
	d->nr_folios = s->nr_folios;
	return 0;
}

int khp_world_copy(struct khp_world *d, const struct khp_world *s)
{
	struct khp_world keep;
	int ret;

	if (d->cfg.pmd_pages != s->cfg.pmd_pages)
		return -EINVAL;
	release_entries(d);
	keep = *d;
	memcpy(d, s, offsetof(struct khp_world, scan_tab));
	d->err[0] = 0;
	/* the arrays d owns */
	for (unsigned m = 0; m < KHP_MAX_MMS; m++) {
		d->mms[m] = keep.mms[m];
		d->mms[m].nr_pmds = 0;
	}
	d->folios = keep.folios, d->cap_folios = keep.cap_folios, d->nr_folios = 0;
	d->swap = keep.swap, d->cap_swap = keep.cap_swap;
	d->pins = keep.pins, d->cap_pins = keep.cap_pins;
	d->scratch = keep.scratch;
	d->tables = keep.tables;                 /* d's own free lists and checker arena */
	memcpy(d->metas, keep.metas, sizeof(d->metas));
	d->check_arena = keep.check_arena, d->check_cap = keep.check_cap;
	d->rules = &d->prof.rules;
	if (s->scan_tab_ready)
		memcpy(d->scan_tab, s->scan_tab, sizeof(s->scan_tab));
	d->scan_tab_ready = s->scan_tab_ready;
	for (unsigned m = 0; m < KHP_MAX_MMS; m++)
		if ((ret = copy_mm(d, &d->mms[m], &s->mms[m])))
			goto fail;
	if ((ret = copy_folios(d, s)) ||
	    (ret = copy_array(&d->swap, &d->cap_swap, s->swap, s->nr_swap, sizeof(*s->swap))) ||
	    (ret = copy_array(&d->pins, &d->cap_pins, s->pins, s->nr_pins, sizeof(*s->pins))))
		goto fail;
	return 0;
fail:
	khp_world_reset(d);
	return ret;
}
