/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * khp_world_canon(): the canonical bytes of a world, the identity of a state
 * for the exhaustive search (search/exhaust.c).
 *
 * Two worlds whose bytes are equal differ only in names the model never
 * compares except for equality: folio ids, swap slot ids and anon_vma ids
 * (renumbered here in order of first appearance: mms in id order, then each
 * mm's VMAs, PMD entries and PTEs in address order, then the pins and the
 * lru_add batch, then the folios and swap slots in their new order, which
 * may name more of each), and the khugepaged list order (reg_seq, written as
 * the rank among registered mms).  Left out as not being state: the event
 * counters (vm_events: records use their differences), the lookup hints,
 * mark_gen and folio marks (per collapse), the free lists, the scan table
 * (a function of the rules), the error message.  mm ids and MM-IDs are kept
 * as they are (fork's child id and mm_alloc_id() depend on them).
 */
#include <stdlib.h>
#include <string.h>
#include "mm.h"

_Static_assert(sizeof(struct mm) == 72, "struct mm changed: update canon.c");
_Static_assert(sizeof(struct vma) == 32, "struct vma changed: update canon.c");
_Static_assert(sizeof(struct pmd) == 24, "struct pmd changed: update canon.c");
_Static_assert(sizeof(struct folio) == 64, "struct folio changed: update canon.c");
_Static_assert(sizeof(struct swap_slot) == 12, "struct swap_slot changed: update canon.c");
_Static_assert(sizeof(struct pin) == 16, "struct pin changed: update canon.c");

struct canon {
	const struct khp_world *w;
	uint8_t *buf;
	size_t len, cap;
	uint32_t *fmap, *smap, *amap;   /* old id -> new id (0: not yet) */
	uint32_t *forder, *sorder;      /* new id - 1 -> old id */
	uint32_t nf, ns, na;
	int err;
};

static void put(struct canon *c, const void *p, size_t n)
{
	if (c->err)
		return;
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		uint8_t *b;

		while (cap < c->len + n)
			cap *= 2;
		b = realloc(c->buf, cap);
		if (!b) {
			c->err = -ENOMEM;
			return;
		}
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
}

static void put32(struct canon *c, uint32_t v) { put(c, &v, sizeof(v)); }
static void put64(struct canon *c, uint64_t v) { put(c, &v, sizeof(v)); }

static uint32_t folio_name(struct canon *c, uint32_t id)
{
	if (!id || id >= c->w->nr_folios)
		return 0;
	if (!c->fmap[id]) {
		c->fmap[id] = ++c->nf;
		c->forder[c->nf - 1] = id;
	}
	return c->fmap[id];
}

static uint32_t slot_name(struct canon *c, uint32_t id)
{
	if (!id || id >= c->w->nr_swap)
		return 0;
	if (!c->smap[id]) {
		c->smap[id] = ++c->ns;
		c->sorder[c->ns - 1] = id;
	}
	return c->smap[id];
}

static uint32_t anon_vma_name(struct canon *c, uint32_t id)
{
	if (!id || id > c->w->next_anon_vma)
		return id ? 0xffffffffu : 0;
	if (!c->amap[id])
		c->amap[id] = ++c->na;
	return c->amap[id];
}

static void put_pte(struct canon *c, const struct pte *p)
{
	uint32_t v = p->kind == PTE_PRESENT ? folio_name(c, p->val) :
		     p->kind == PTE_SWAP ? slot_name(c, p->val) : p->val;

	put32(c, v);
	put32(c, (uint32_t)p->subpage | (uint32_t)p->kind << 16 | (uint32_t)p->flags << 24);
}

/* The rank of mm's reg_seq among the registered live mms (0: not registered). */
static uint32_t reg_rank(const struct khp_world *w, const struct mm *mm)
{
	uint32_t r = 1;

	if (!mm->registered)
		return 0;
	for (unsigned m = 0; m < w->nr_mms; m++)
		r += w->mms[m].registered && w->mms[m].reg_seq < mm->reg_seq;
	return r;
}

static void put_mm(struct canon *c, const struct mm *mm)
{
	const struct khp_world *w = c->w;

	put32(c, (uint32_t)mm->alive | (uint32_t)mm->registered << 1 |
		 (uint32_t)mm->has_pinned << 2);
	put32(c, reg_rank(w, mm));
	put32(c, mm->mm_id);
	put32(c, mm->nr_vmas);
	for (uint32_t i = 0; i < mm->nr_vmas; i++) {
		const struct vma *v = &mm->vmas[i];

		put64(c, v->start);
		put64(c, v->end);
		put64(c, v->pgoff);
		put32(c, anon_vma_name(c, v->anon_vma));
		put32(c, v->flags);
	}
	put32(c, mm->nr_puds);
	for (uint32_t i = 0; i < mm->nr_puds; i++)
		put64(c, mm->puds[i]);
	put32(c, mm->nr_pmds);
	for (uint32_t i = 0; i < mm->nr_pmds; i++) {
		const struct pmd *pmd = &mm->pmds[i];

		put64(c, pmd->index);
		put32(c, (uint32_t)pmd->kind | (uint32_t)pmd->flags << 8 |
			 (uint32_t)(pmd->ptes != NULL) << 16);
		put32(c, folio_name(c, pmd->folio));
		if (pmd->ptes)
			for (unsigned k = 0; k < pmd_nr(w); k++)
				put_pte(c, &pmd->ptes[k]);
	}
}

static void put_folio(struct canon *c, const struct folio *f)
{
	put32(c, (uint32_t)f->refcount);
	put32(c, (uint32_t)f->entire_mapcount);
	put32(c, (uint32_t)f->large_mapcount);
	put32(c, (uint32_t)f->nr_pages_mapped);
	put32(c, (uint32_t)f->pincount);
	put32(c, f->mm_id[0]);
	put32(c, f->mm_id[1]);
	put32(c, (uint32_t)f->mm_id_mapcount[0]);
	put32(c, (uint32_t)f->mm_id_mapcount[1]);
	put32(c, slot_name(c, f->swap));
	put32(c, (uint32_t)f->flags | (uint32_t)f->order << 16 | (uint32_t)f->data0 << 24);
	put32(c, (uint32_t)(uint16_t)f->pmc0 | (uint32_t)f->nr_multi << 16);
	if (f->order && f->pmc) {
		put(c, folio_pmc_c(f), folio_nr_pages(f) * sizeof(int16_t));
		put(c, folio_data_c(f), folio_nr_pages(f));
	}
}

static void put_world(struct canon *c)
{
	const struct khp_world *w = c->w;

	put32(c, w->nr_mms);
	for (unsigned m = 0; m < w->nr_mms; m++)
		put_mm(c, &w->mms[m]);
	put32(c, w->nr_pins);
	for (uint32_t i = 0; i < w->nr_pins; i++) {
		put32(c, w->pins[i].mm);
		put32(c, folio_name(c, w->pins[i].folio));
		put64(c, w->pins[i].addr);
	}
	put32(c, w->lru_add.nr);
	for (unsigned i = 0; i < w->lru_add.nr; i++)
		put32(c, folio_name(c, w->lru_add.folio[i]));
	put32(c, w->fail_alloc);
	put64(c, (uint64_t)w->pages_in_use);
	put64(c, (uint64_t)w->swap_in_use);
	/* the folios and slots in their new order (each may name more) */
	for (uint32_t fi = 0, si = 0; fi < c->nf || si < c->ns;) {
		if (fi < c->nf) {
			put_folio(c, &w->folios[c->forder[fi++]]);
			continue;
		}
		const struct swap_slot *s = &w->swap[c->sorder[si++]];

		put32(c, s->count);
		put32(c, folio_name(c, s->folio));
		put32(c, (uint32_t)s->data | (uint32_t)s->used << 8);
	}
	put32(c, c->nf);
	put32(c, c->ns);
}

size_t khp_world_canon(const struct khp_world *w, uint8_t **buf, size_t *cap, int *err)
{
	struct canon c = { .w = w, .buf = *buf, .cap = *cap };
	size_t nf = (size_t)w->nr_folios + 1, ns = (size_t)w->nr_swap + 1;
	uint32_t *ids = calloc(2 * nf + 2 * ns + w->next_anon_vma + 1, sizeof(uint32_t));

	if (!ids) {
		*err = -ENOMEM;
		return 0;
	}
	c.fmap = ids;
	c.forder = ids + nf;
	c.smap = ids + 2 * nf;
	c.sorder = ids + 2 * nf + ns;
	c.amap = ids + 2 * nf + 2 * ns;
	put_world(&c);
	free(ids);
	*buf = c.buf;
	*cap = c.cap;
	*err = c.err;
	return c.err ? 0 : c.len;
}
