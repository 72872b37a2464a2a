/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mmap, munmap / MADV_DONTNEED and exit: the ops that create and tear
 * down mappings.  Validation happens before any change, so a refused op
 * leaves the world as it was; only a world limit (-ENOMEM) can stop an op
 * half-way.
 */
#include "mm.h"

/* ---- ops implemented here ---------------------------------------------- */
int op_mmap(struct khp_world *w, const struct khp_op *op)
{
	struct mm *mm = mm_get(w, op->mm);
	struct vma v = { .start = op->addr, .end = op->addr + op->pages, .pgoff = op->addr };
	struct khp_op adv = *op;
	int ret;

	if (!mm)
		return -ENOENT;
	if ((op->flags & KHP_OPF_HUGEPAGE) && (op->flags & KHP_OPF_NOHUGEPAGE))
		return khp_err(w, -EINVAL, "mmap: hugepage and nohugepage together");
	if (!vma_range_free(mm, v.start, v.end))
		return khp_err(w, -EEXIST, "mmap: [%#llx, %#llx) overlaps a mapping of mm %u",
			       (unsigned long long)v.start, (unsigned long long)v.end, op->mm);
	if (op->flags & KHP_OPF_WRITE)
		v.flags |= VM_WRITE;
	if (op->flags & KHP_OPF_UFFD)
		v.flags |= VM_UFFD_WP;
	ret = vma_insert(w, mm, &v);
	if (ret)
		return ret;
	vma_merge_around(w, mm, v.start, v.end);
	adv.type = KHP_OP_MADVISE;
	if (op->flags & (KHP_OPF_HUGEPAGE | KHP_OPF_NOHUGEPAGE)) {
		adv.advice = (op->flags & KHP_OPF_HUGEPAGE) ? KHP_ADV_HUGEPAGE : KHP_ADV_NOHUGEPAGE;
		return op_madvise(w, &adv);
	}
	return 0;
}


/* do_vmi_munmap(): split at the edges, zap, drop the VMAs and their page tables */
int op_munmap_range(struct khp_world *w, struct mm *mm, uint64_t start, uint64_t end)
{
	int ret = vma_isolate_range(w, mm, start, end);

	if (ret)
		return ret;
	ret = zap_range(w, mm, start, end, false);
	if (ret)
		return ret;
	vma_remove_range(mm, start, end);
	free_pgtables(w, mm, start, end);
	return 0;
}

int op_zap(struct khp_world *w, const struct khp_op *op)
{
	struct mm *mm = mm_get(w, op->mm);
	uint64_t start = op->addr, end = op->addr + op->pages;

	if (!mm)
		return -ENOENT;
	if (op->type == KHP_OP_MUNMAP) {
		if (vma_range_free(mm, start, end))
			return khp_err(w, -EFAULT, "munmap: nothing mapped at [%#llx, %#llx) in mm %u",
				       (unsigned long long)start, (unsigned long long)end, op->mm);
		return op_munmap_range(w, mm, start, end);
	}
	if (!vma_range_covered(mm, start, end))
		return mm_get_range(w, op, &mm);
	return zap_range(w, mm, start, end, true);
}

int op_exit(struct khp_world *w, const struct khp_op *op)
{
	struct mm *mm = mm_get(w, op->mm);

	if (!mm)
		return -ENOENT;
	unpin_mm(w, op->mm);
	zap_mm(w, mm);
	return 0;
}
