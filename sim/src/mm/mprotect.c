/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mprotect(2): change_protection() [6.1, 6.12, 7.3] on the VMAs and page
 * tables of the range (write removed, or restored where
 * can_change_pte_writable() allows).
 */
#include <stdlib.h>
#include <string.h>
#include "mm.h"

/*
 * [7.3] change_present_ptes() batches the PTEs of one large folio
 * (mprotect_folio_pte_batch(), respecting write) and the generic
 * modify_prot_start_ptes() ORs their young and dirty bits, which
 * modify_prot_commit_ptes() then writes to every PTE of the batch.
 */
static void mprotect_batch_bits(struct pte *ptes, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to;) {
		unsigned n;
		uint8_t bits;

		if (ptes[i].kind != PTE_PRESENT) {
			i++;
			continue;
		}
		n = folio_pte_batch(&ptes[i], to - i, PTE_WRITE);
		bits = 0;
		for (unsigned j = i; j < i + n; j++)
			bits |= ptes[j].flags & (PTE_YOUNG | PTE_DIRTY);
		for (unsigned j = i; j < i + n; j++)
			ptes[j].flags |= bits;
		i += n;
	}
}

/*
 * mprotect(): PROT_WRITE off write-protects every PTE and PMD; on, only
 * exclusive anonymous pages become writable at once (can_change_pte_writable()).
 */
int op_mprotect(struct khp_world *w, const struct khp_op *op)
{
	uint64_t start = op->addr, end = op->addr + op->pages;
	bool write = op->flags & KHP_OPF_WRITE;
	struct mm *mm;
	int ret = mm_get_range(w, op, &mm);

	if (ret)
		return ret;
	ret = vma_isolate_range(w, mm, start, end);
	if (ret)
		return ret;
	for (struct vma *v = vma_find(mm, start); v && v->start < end; v++) {
		v->flags = (uint8_t)(write ? v->flags | VM_WRITE : v->flags & ~VM_WRITE);
		if (v + 1 >= mm->vmas + mm->nr_vmas)
			break;
	}
	for (uint64_t idx = pmd_index(w, start); idx <= pmd_index(w, end - 1); idx++) {
		struct pmd *pmd = pmd_lookup(mm, idx);

		if (!pmd)
			continue;
		if (pmd->kind != PMD_TABLE) {
			/* change_huge_pmd(): 6.1 never upgrades a PMD */
			if (!write)
				pmd->flags &= ~PTE_WRITE;
			else if (pmd->kind == PMD_HUGE && (pmd->flags & PTE_EXCL) &&
				 w->rules->mprotect_pmd_write)
				pmd->flags |= PTE_WRITE;
			continue;
		}
		unsigned from, to;

		pmd_clip(w, idx, start, end, &from, &to);

		if (w->rules->mprotect_batch)
			mprotect_batch_bits(pmd->ptes, from, to);
		for (unsigned i = from; i < to; i++) {
			struct pte *pte = &pmd->ptes[i];

			if (pte->kind != PTE_PRESENT)
				continue;
			/* can_change_pte_writable(): 6.1 also wants pte_dirty */
			if (!write)
				pte->flags &= ~PTE_WRITE;
			else if ((pte->flags & PTE_EXCL) && !(pte->flags & PTE_UFFD) &&
				 ((pte->flags & PTE_DIRTY) || !w->rules->mprotect_pte_dirty))
				pte->flags |= PTE_WRITE;
		}
	}
	vma_merge_around(w, mm, start, end);
	return 0;
}
