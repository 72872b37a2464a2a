/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mremap(2) (mm/mremap.c): shrink in place, grow in place, or move with
 * MREMAP_MAYMOVE | MREMAP_FIXED.  Pages keep their folio, PTE bits and
 * rmap; the new VMA carries the old page offset, so it merges with its
 * neighbours only when the kernel's vma_merge() would.  A PMD mapping moves
 * whole when source and destination are PMD-aligned and the whole PMD moves
 * (move_huge_pmd()); otherwise it is split first.
 */
#include <string.h>
#include "mm.h"

/* The first entry of ptes[0, n) that is not none, or n. */
static unsigned first_mapped(const struct pte *ptes, unsigned n)
{
	unsigned i = 0;

	while (i < n && ptes[i].kind == PTE_NONE)
		i++;
	return i;
}

/*
 * move_ptes() for n entries from src to dst, both inside one page table:
 * the destination table is made (its huge PMD split) only when a source
 * entry is mapped, and only the mapped entries move.
 */
static int move_pte_run(struct khp_world *w, struct mm *mm, uint64_t src, uint64_t dst,
			unsigned n)
{
	uint64_t mask = pmd_nr(w) - 1;
	struct pmd *spmd = pmd_lookup(mm, pmd_index(w, src)), *dpmd;
	unsigned i = spmd ? first_mapped(&spmd->ptes[src & mask], n) : n;
	struct pte *s, *d;
	int ret;

	if (i == n)
		return 0;
	dpmd = pmd_lookup(mm, pmd_index(w, dst));
	if (dpmd && dpmd->kind != PMD_TABLE) {
		ret = split_huge_pmd(w, mm, dpmd->index);
		if (ret)
			return ret;
	}
	ret = pte_alloc(w, mm, dst + i, &d);
	if (ret)
		return ret;
	d -= i;
	s = pte_lookup(w, mm, src);     /* the pmd array may have moved */
	for (; i < n; i++) {
		if (s[i].kind == PTE_NONE)
			continue;
		d[i] = s[i];
		memset(&s[i], 0, sizeof(s[i]));
	}
	return 0;
}

/*
 * move_page_tables() for [from, from + len) -> to, a page table at a time:
 * a huge PMD moves whole when both ends are PMD-aligned and all of it moves
 * (move_huge_pmd()), else it is split and its entries move (move_ptes()).
 */
static int move_ptes(struct khp_world *w, struct mm *mm, uint64_t from, uint64_t to,
		     uint64_t len)
{
	unsigned nr = pmd_nr(w);
	uint64_t mask = nr - 1;
	uint64_t done = 0;

	while (done < len) {
		uint64_t src = from + done, dst = to + done;
		uint64_t n = len - done;
		struct pmd *spmd = pmd_lookup(mm, pmd_index(w, src));
		int ret;

		if (n > nr - (src & mask))
			n = nr - (src & mask);
		if (n > nr - (dst & mask))
			n = nr - (dst & mask);
		if (spmd && spmd->kind != PMD_TABLE) {
			if (!(src & mask) && !(dst & mask) && n == nr &&
			    !pmd_lookup(mm, pmd_index(w, dst))) {
				struct pmd copy = *spmd, *dpmd;

				pmd_free_entry(w, mm, spmd->index);
				ret = pmd_alloc_huge(w, mm, pmd_index(w, dst), &dpmd);
				if (ret)
					return ret;
				dpmd->kind = copy.kind;
				dpmd->folio = copy.folio;
				dpmd->flags = copy.flags;
				done += nr;
				continue;
			}
			ret = split_huge_pmd(w, mm, spmd->index);
			if (ret)
				return ret;
		}
		ret = move_pte_run(w, mm, src, dst, (unsigned)n);
		if (ret)
			return ret;
		done += n;
	}
	return 0;
}

/* move_vma(): a new VMA at `to` of new_len pages, old_len pages of it populated */
static int move_vma(struct khp_world *w, struct mm *mm, uint64_t addr, uint64_t old_len,
		    uint64_t to, uint64_t new_len)
{
	struct vma *v = vma_find(mm, addr);
	struct vma nv = *v;
	int ret;

	nv.start = to;
	nv.end = to + new_len;
	nv.pgoff = v->pgoff + (addr - v->start);
	ret = vma_insert(w, mm, &nv);
	if (ret)
		return ret;
	ret = move_ptes(w, mm, addr, to, old_len);
	if (ret)
		return ret;
	ret = op_munmap_range(w, mm, addr, addr + old_len);
	if (ret)
		return ret;
	vma_merge_around(w, mm, to, to + new_len);
	return 0;
}

int op_mremap(struct khp_world *w, const struct khp_op *op)
{
	struct mm *mm = mm_get(w, op->mm);
	uint64_t addr = op->addr, old_len = op->pages;
	uint64_t new_len = (op->flags & KHP_OPF_NEW_PAGES) ? op->new_pages : op->pages;
	struct vma *v;
	int ret;

	if (!mm)
		return -ENOENT;
	v = vma_find(mm, addr);
	/* vma_to_resize(): the old range must lie in one VMA */
	if (!v || addr + old_len > v->end)
		return khp_err(w, -EFAULT, "mremap: [%#llx, %#llx) is not inside one VMA of mm %u",
			       (unsigned long long)addr, (unsigned long long)(addr + old_len), op->mm);
	if (!(op->flags & KHP_OPF_TO)) {
		if (new_len < old_len)
			return op_munmap_range(w, mm, addr + new_len, addr + old_len);
		if (new_len == old_len)
			return 0;
		/* grow in place: only at the end of the VMA into free space */
		if (addr + old_len != v->end || !vma_range_free(mm, v->end, addr + new_len))
			return khp_err(w, -ENOMEM, "mremap: cannot grow [%#llx, +%llu) in place",
				       (unsigned long long)addr, (unsigned long long)old_len);
		v->end = addr + new_len;
		/* vma_merge() [6.1.192] / vma_merge_extend() [6.12, 7.3] registers the grown VMA */
		vma_khugepaged_enter(w, mm, v);
		vma_merge_around(w, mm, addr, addr + new_len);
		return 0;
	}
	if (addr + old_len > op->to && op->to + new_len > addr)
		return khp_err(w, -EINVAL, "mremap: source and destination overlap");
	/* MREMAP_FIXED: whatever is mapped at the destination goes first */
	ret = op_munmap_range(w, mm, op->to, op->to + new_len);
	if (ret)
		return ret;
	if (new_len < old_len) {
		ret = op_munmap_range(w, mm, addr + new_len, addr + old_len);
		if (ret)
			return ret;
		old_len = new_len;
	}
	return move_vma(w, mm, addr, old_len, op->to, new_len);
}
