/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VMAs of an mm: a sorted array of anonymous private mappings.  Splits and
 * merges follow mm/vma.c: a split inside a PMD-mapped range splits the PMD
 * (vma_adjust_trans_huge), and two neighbours merge only when their flags
 * match, their anon_vmas are compatible and their page offsets continue
 * (vma_merge / is_mergeable_anon_vma), which is what decides whether a
 * PMD range ends up wholly inside one VMA.
 */
#include <stdlib.h>
#include <string.h>
#include "mm.h"

static uint32_t vma_index(const struct mm *mm, uint64_t addr)
{
	uint32_t lo = 0, hi = mm->nr_vmas;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (mm->vmas[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;    /* first VMA with end > addr */
}

/* find_vma() restricted to VMAs containing addr */
struct vma *vma_find(struct mm *mm, uint64_t addr)
{
	uint32_t i = mm->vma_hint;

	if (i < mm->nr_vmas && mm->vmas[i].start <= addr && addr < mm->vmas[i].end)
		return &mm->vmas[i];
	i = vma_index(mm, addr);
	mm->vma_hint = i;

	if (i < mm->nr_vmas && mm->vmas[i].start <= addr)
		return &mm->vmas[i];
	return NULL;
}

bool vma_range_covered(struct mm *mm, uint64_t start, uint64_t end)
{
	uint32_t i = vma_index(mm, start);
	uint64_t at = start;

	for (; i < mm->nr_vmas && at < end; i++) {
		if (mm->vmas[i].start > at)
			return false;
		at = mm->vmas[i].end;
	}
	return at >= end;
}

bool vma_range_free(struct mm *mm, uint64_t start, uint64_t end)
{
	uint32_t i = vma_index(mm, start);

	return i >= mm->nr_vmas || mm->vmas[i].start >= end;
}

static int vma_make_room(struct khp_world *w, struct mm *mm, uint32_t at)
{
	if (mm->nr_vmas >= KHP_MAX_VMAS)
		return khp_err(w, -ENOMEM, "more than %u VMAs in one mm", KHP_MAX_VMAS);
	if (array_insert(&mm->vmas, &mm->nr_vmas, &mm->cap_vmas, at, sizeof(*mm->vmas), 8))
		return khp_err(w, -ENOMEM, "out of memory for VMAs");
	return 0;
}

/* __split_vma(): addr becomes a VMA boundary; a PMD mapping across it is split. */
int vma_split_at(struct khp_world *w, struct mm *mm, uint64_t addr)
{
	struct vma *v = vma_find(mm, addr);
	uint32_t i;
	int ret;

	if (!v || v->start == addr)
		return 0;
	if (addr & (pmd_nr(w) - 1)) {
		struct pmd *pmd = pmd_lookup(mm, pmd_index(w, addr));

		if (pmd && pmd->kind != PMD_TABLE) {
			ret = split_huge_pmd(w, mm, pmd->index);
			if (ret)
				return ret;
		}
	}
	i = (uint32_t)(v - mm->vmas);
	ret = vma_make_room(w, mm, i + 1);
	if (ret)
		return ret;
	v = &mm->vmas[i];
	mm->vmas[i + 1] = *v;
	mm->vmas[i + 1].start = addr;
	mm->vmas[i + 1].pgoff = v->pgoff + (addr - v->start);
	v->end = addr;
	return 0;
}

int vma_isolate_range(struct khp_world *w, struct mm *mm, uint64_t start, uint64_t end)
{
	int ret = vma_split_at(w, mm, start);

	return ret ? ret : vma_split_at(w, mm, end);
}

/* is_mergeable_vma() + is_mergeable_anon_vma() + pgoff continuity */
static bool vma_can_merge(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && a->flags == b->flags &&
	       (!a->anon_vma || !b->anon_vma || a->anon_vma == b->anon_vma) &&
	       b->pgoff == a->pgoff + (a->end - a->start);
}

/* transhuge_vma_suitable() for an order: some naturally aligned range of it fits in v */
static bool vma_order_suitable(const struct vma *v, unsigned order)
{
	uint64_t size = 1ull << order;

	return ((v->start + size - 1) & ~(size - 1)) + size <= v->end;
}

/*
 * __thp_vma_allowable_orders() outside the fault path drops the orders
 * above the highest one whose aligned range fits in the VMA.
 */
static uint32_t vma_suitable_orders(const struct vma *v, uint32_t orders)
{
	while (orders) {
		unsigned o = 31 - (unsigned)__builtin_clz(orders);   /* the highest order left */

		if (vma_order_suitable(v, o))
			return orders;
		orders &= ~(1u << o);
	}
	return 0;
}

/*
 * Orders khugepaged may collapse v to: [6.1, 6.12] the PMD order under the
 * sysfs policy; [7.3] collapse_possible_orders(): every anonymous order
 * allowed (mTHP sizes are "always" in the model), MADV_COLLAPSE PMD only.
 * Only orders that fit in the VMA count.
 */
uint32_t vma_collapse_orders(const struct khp_world *w, const struct vma *v, bool khugepaged)
{
	uint32_t orders = 0;

	if (vma_thp_policy(w, v, khugepaged))
		orders |= 1u << w->pmd_order;
	if (khugepaged && w->rules->mthp_collapse && !(v->flags & VM_NOHUGEPAGE))
		orders |= w->cfg.mthp_orders;
	return vma_suitable_orders(v, orders);
}

/* hugepage_flags_enabled() / hugepage_pmd_enabled() / [7.3] hugepage_enabled() */
bool khugepaged_enabled(const struct khp_world *w)
{
	return w->cfg.thp != KHP_THP_NEVER ||
	       (w->rules->mthp_collapse && w->cfg.mthp_orders);
}

/* khugepaged_enter_vma(): register the mm if khugepaged could collapse v */
void vma_khugepaged_enter(struct khp_world *w, struct mm *mm, const struct vma *v)
{
	if (!mm->registered && khugepaged_enabled(w) && v->anon_vma &&
	    vma_collapse_orders(w, v, true)) {
		mm->registered = true;
		mm->reg_seq = ++w->next_reg_seq;   /* list_add_tail(&slot->mm_node, ...) */
	}
}

/* vma_merge(): merge neighbours touching [start, end]; a merged VMA registers. */
void vma_merge_around(struct khp_world *w, struct mm *mm, uint64_t start, uint64_t end)
{
	uint32_t i = vma_index(mm, start ? start - 1 : 0);

	while (i + 1 < mm->nr_vmas && mm->vmas[i].start <= end) {
		struct vma *a = &mm->vmas[i], *b = &mm->vmas[i + 1];

		if (vma_can_merge(a, b)) {
			a->end = b->end;
			if (!a->anon_vma)
				a->anon_vma = b->anon_vma;
			memmove(b, b + 1, (mm->nr_vmas - i - 2) * sizeof(*b));
			mm->nr_vmas--;
			vma_khugepaged_enter(w, mm, a);
			continue;
		}
		i++;
	}
}

int vma_insert(struct khp_world *w, struct mm *mm, const struct vma *v)
{
	uint32_t i = vma_index(mm, v->start);
	int ret = vma_make_room(w, mm, i);

	if (ret)
		return ret;
	mm->vmas[i] = *v;
	return 0;
}

/* Remove [start, end) from the VMA list (pages must be zapped by the caller). */
void vma_remove_range(struct mm *mm, uint64_t start, uint64_t end)
{
	uint32_t i = vma_index(mm, start), j = i;

	while (j < mm->nr_vmas && mm->vmas[j].start < end)
		j++;
	memmove(&mm->vmas[i], &mm->vmas[j], (mm->nr_vmas - j) * sizeof(struct vma));
	mm->nr_vmas -= j - i;
}

/* anon_vma_prepare(): reuse a compatible neighbour's anon_vma (find_mergeable_anon_vma) */
void vma_anon_prepare(struct khp_world *w, struct mm *mm, struct vma *v)
{
	uint32_t i = (uint32_t)(v - mm->vmas);

	if (v->anon_vma)
		return;
	if (i > 0 && vma_can_merge(&mm->vmas[i - 1], v) && mm->vmas[i - 1].anon_vma)
		v->anon_vma = mm->vmas[i - 1].anon_vma;
	else if (i + 1 < mm->nr_vmas && vma_can_merge(v, &mm->vmas[i + 1]) &&
		 mm->vmas[i + 1].anon_vma)
		v->anon_vma = mm->vmas[i + 1].anon_vma;
	else
		v->anon_vma = ++w->next_anon_vma;
}

/* The sysfs policy part of hugepage_vma_check() / thp_vma_allowable_order(PMD_ORDER). */
bool vma_thp_policy(const struct khp_world *w, const struct vma *v, bool enforce_sysfs)
{
	if (v->flags & VM_NOHUGEPAGE)
		return false;
	return !enforce_sysfs || w->cfg.thp == KHP_THP_ALWAYS ||
	       (w->cfg.thp == KHP_THP_MADVISE && (v->flags & VM_HUGEPAGE));
}

/*
 * hugepage_vma_check() [6.1] / thp_vma_allowable_order(PMD_ORDER) [6.12, 7.3]
 * outside the fault path: the policy, an aligned PMD range inside the VMA
 * (transhuge_vma_suitable()) and an anon_vma.
 */
bool vma_thp_eligible(const struct khp_world *w, const struct vma *v, bool enforce_sysfs)
{
	return vma_thp_policy(w, v, enforce_sysfs) && vma_order_suitable(v, w->pmd_order) &&
	       v->anon_vma != 0;
}

