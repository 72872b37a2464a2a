/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fork(): dup_mmap() + copy_page_range().  The child gets copies of the
 * VMAs (with its own anon_vma, no userfaultfd registration); anonymous PTEs
 * and PMDs are write-protected in both mms and old in the child; PMD
 * mappings stay shared; a maybe-pinned folio is copied eagerly for the child
 * (copy_present_page(), page_needs_cow_for_dma()); swap entries are
 * duplicated and lose their exclusive bit.
 */
#include <stdlib.h>
#include <string.h>
#include "mm.h"

/* mm_alloc_id(): the IDA hands out the lowest free id */
static uint32_t mm_alloc_id(const struct khp_world *w)
{
	for (uint32_t id = 1;; id++) {
		bool used = false;

		for (unsigned m = 0; m < w->nr_mms && !used; m++)
			used = w->mms[m].alive && w->mms[m].mm_id == id;
		if (!used)
			return id;
	}
}

/* __folio_try_dup_anon_rmap() fails: an exclusive page that may be pinned */
static bool folio_needs_cow_for_dma(const struct mm *parent, const struct folio *f,
				    uint8_t flags)
{
	return parent->has_pinned && f->pincount > 0 && (flags & PTE_EXCL);
}

/* copy_present_page(): the child gets its own copy of a pinned page */
static int copy_pinned_pte(struct khp_world *w, struct mm *child, const struct vma *v,
			   const struct pte *src, struct pte *dst)
{
	uint32_t id;
	int ret = folio_alloc(w, 0, &id);

	if (ret)
		return ret;
	folio_of(w, id)->data0 = folio_data(folio_of(w, src->val))[src->subpage];
	rmap_add_ptes(w, id, 0, 1, child);
	dst->kind = PTE_PRESENT;
	dst->val = id;
	dst->subpage = 0;
	dst->flags = PTE_YOUNG | PTE_DIRTY | PTE_EXCL | ((v->flags & VM_WRITE) ? PTE_WRITE : 0);
	return 0;
}

/*
 * The PTE copy of copy_present_pte(): both write-protected and not
 * exclusive, the child's old and without the uffd-wp bit.  As words: a
 * byte store then a load of the whole PTE would stall the store forwarding.
 */
static inline void copy_pte_wrprotect(struct pte *src, struct pte *dst)
{
	uint64_t x = pte_word(src) & ~PTE_WORD_FLAGS(PTE_WRITE | PTE_EXCL);

	pte_set_word(src, x);
	pte_set_word(dst, x & ~PTE_WORD_FLAGS(PTE_YOUNG | PTE_UFFD));
}

/*
 * copy_present_ptes() [6.12, 7.3]: a run of PTEs mapping consecutive pages
 * of one folio (folio_pte_batch()) takes its references and rmap in one
 * step; each PTE is write-protected and copied as one PTE would be.  6.1
 * copies one PTE at a time, with the same result; small folios go one by
 * one here too.
 */
static unsigned copy_present_run(struct khp_world *w, struct mm *child, struct pte *src,
				 struct pte *dst, unsigned max)
{
	unsigned n = folio_pte_batch(src, max, 0);

	folio_get(w, src->val, (int)n);
	rmap_add_ptes(w, src->val, src->subpage, n, child);
	for (unsigned j = 0; j < n; j++)
		copy_pte_wrprotect(&src[j], &dst[j]);
	return n;
}

/* copy_pte_range() for one table */
static int copy_pte_table(struct khp_world *w, struct mm *parent, struct mm *child,
			  const struct vma *v, struct pte *src, struct pte *dst, unsigned from,
			  unsigned to)
{
	for (unsigned i = from; i < to; i++) {
		struct pte *s = &src[i], *d = &dst[i];
		int ret;

		switch (s->kind) {
		case PTE_NONE:
			break;
		case PTE_ZERO:
			*d = *s;
			d->flags &= ~PTE_YOUNG;
			break;
		case PTE_SWAP:        /* copy_nonpresent_pte() */
			w->swap[s->val].count++;
			s->flags &= ~PTE_EXCL;
			*d = *s;
			d->flags &= ~PTE_UFFD;
			break;
		case PTE_PRESENT:     /* copy_present_pte() */
			if (folio_needs_cow_for_dma(parent, folio_of(w, s->val), s->flags)) {
				ret = copy_pinned_pte(w, child, v, s, d);
				if (ret)
					return ret;
				break;
			}
			/* a maybe-pinned folio is decided PTE by PTE (above) */
			if (folio_of(w, s->val)->order &&
			    !(parent->has_pinned && folio_of(w, s->val)->pincount)) {
				i += copy_present_run(w, child, s, d, to - i) - 1;
				break;
			}
			folio_get(w, s->val, 1);
			rmap_add_ptes(w, s->val, s->subpage, 1, child);
			copy_pte_wrprotect(s, d);
			break;
		}
	}
	return 0;
}

/* copy_pmd_range() over one VMA's part of PMD range idx */
static int copy_pmd(struct khp_world *w, struct mm *parent, struct mm *child,
		    const struct vma *v, uint64_t idx)
{
	struct pmd *s = pmd_lookup(parent, idx), *d;
	unsigned from, to;
	int ret;

	pmd_clip(w, idx, v->start, v->end, &from, &to);

	if (!s)
		return 0;
	if (s->kind == PMD_HUGE && folio_needs_cow_for_dma(parent, folio_of(w, s->folio), s->flags)) {
		ret = split_huge_pmd(w, parent, idx);   /* copy_huge_pmd() -EAGAIN */
		if (ret)
			return ret;
		s = pmd_lookup(parent, idx);
	}
	if (s->kind != PMD_TABLE) {                    /* copy_huge_pmd() */
		ret = pmd_alloc_huge(w, child, idx, &d);
		if (ret)
			return ret;
		s = pmd_lookup(parent, idx);
		d->kind = s->kind;
		d->folio = s->folio;
		if (s->kind == PMD_HUGE) {
			folio_get(w, s->folio, 1);
			rmap_add_pmd(w, s->folio, child);
			s->flags &= ~(PTE_WRITE | PTE_EXCL);
			d->flags = s->flags & ~PTE_YOUNG;
		} else {
			d->flags = s->flags & ~PTE_YOUNG;
		}
		return 0;
	}
	d = pmd_lookup(child, idx);
	if (!d) {
		ret = pmd_alloc_table(w, child, idx, &d);
		if (ret)
			return ret;
	}
	s = pmd_lookup(parent, idx);
	return copy_pte_table(w, parent, child, v, s->ptes, d->ptes, from, to);
}

int op_fork(struct khp_world *w, unsigned pid, unsigned cid)
{
	struct mm *parent = mm_get(w, pid), *child;
	int ret;

	if (!parent)
		return -ENOENT;
	if (cid < w->nr_mms && w->mms[cid].alive)
		return khp_err(w, -EEXIST, "fork: child mm %u is in use", cid);
	child = &w->mms[cid];
	child->alive = true;
	child->mm_id = mm_alloc_id(w);
	child->registered = parent->registered;   /* khugepaged_fork() */
	if (child->registered)
		child->reg_seq = ++w->next_reg_seq;
	child->has_pinned = false;
	if (cid >= w->nr_mms)
		w->nr_mms = cid + 1;
	for (uint32_t i = 0; i < parent->nr_vmas; i++) {
		struct vma v = parent->vmas[i];

		v.flags &= ~VM_UFFD_WP;               /* dup_userfaultfd() without EVENT_FORK */
		if (v.anon_vma)
			v.anon_vma = ++w->next_anon_vma;  /* anon_vma_fork() */
		ret = vma_insert(w, child, &v);
		if (ret)
			return ret;
	}
	for (uint32_t i = 0; i < parent->nr_vmas; i++) {
		struct vma v = parent->vmas[i];

		if (!v.anon_vma)
			continue;            /* vma_needs_copy(): nothing to copy */
		for (uint64_t idx = pmd_index(w, v.start); idx <= pmd_index(w, v.end - 1); idx++) {
			ret = copy_pmd(w, parent, child, &v, idx);
			if (ret)
				return ret;
		}
	}
	return 0;
}
