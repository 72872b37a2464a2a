/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One decision -> at most one op (decode_int.h).  Each function reads its
 * operand bytes, turns them into an op the world accepts (or gives up),
 * emits it and updates the shadow.  An op that changes VMAs is first
 * applied to a copy of the mm's shadow table: if the copy cannot take it
 * (the table would be full) the op is not emitted, so the shadow always
 * describes every op emitted.
 */
#include "decode_int.h"

void dec_mmap(struct decoder *d, unsigned mm)
{
	struct sh_mm *m = &d->mm[mm], next;
	uint32_t f = khp_dp_u8(&d->dp);
	uint64_t pmdi = khp_dp_u8(&d->dp) % d->o->max_pmds;
	uint64_t off = dec_value(d), n = dec_value(d), a;
	struct sh_vma v = { 0 };
	struct khp_op op;

	if (!n)
		n = d->pmd;
	a = pmdi * d->pmd + off;
	if (!sh_free(m, a, a + n))
		a = dec_free_pmd_slot(d, m, pmdi, n) + off;
	if (!sh_free(m, a, a + n))
		return;
	dec_op_init(&op, KHP_OP_MMAP, mm);
	op.addr = a;
	op.pages = n;
	if ((f & 3) != 3)
		op.flags |= KHP_OPF_HUGEPAGE;
	else if (f & 4)
		op.flags |= KHP_OPF_NOHUGEPAGE;
	if ((f & 0x18) == 0x18)
		op.flags |= KHP_OPF_UFFD;
	if ((f & 0x60) != 0x60)
		op.flags |= KHP_OPF_WRITE;
	v.start = a;
	v.end = a + n;
	v.write = op.flags & KHP_OPF_WRITE;
	v.thp = op.flags & (KHP_OPF_HUGEPAGE | KHP_OPF_NOHUGEPAGE);
	v.uffd = op.flags & KHP_OPF_UFFD;
	next = *m;
	if (sh_insert(&next, &v) && dec_emit(d, &op))
		*m = next;
}

void dec_touch(struct decoder *d, unsigned mm, bool write)
{
	struct khp_op op;

	dec_op_init(&op, KHP_OP_TOUCH, mm);
	if (write && !dec_pick_range(d, &d->mm[mm], true, &op.addr, &op.pages))
		write = false;
	if (!write && !dec_pick_range(d, &d->mm[mm], false, &op.addr, &op.pages))
		return;
	if (write)
		op.flags |= KHP_OPF_WRITE;
	dec_emit(d, &op);
}

void dec_fork(struct decoder *d, unsigned mm)
{
	struct khp_op op;

	if (d->nr_ids >= d->o->max_mms)
		return;
	dec_op_init(&op, KHP_OP_FORK, mm);
	op.child = d->nr_ids;
	if (!dec_emit(d, &op))
		return;
	d->mm[d->nr_ids] = d->mm[mm];
	d->mm[d->nr_ids++].alive = true;
}

void dec_exit(struct decoder *d, unsigned mm)
{
	struct khp_op op;

	/* Keep one mm alive: a program whose last mm exited has nothing to say. */
	if (dec_nr_alive(d) < 2)
		return;
	dec_op_init(&op, KHP_OP_EXIT, mm);
	if (!dec_emit(d, &op))
		return;
	d->mm[mm].alive = false;
	d->mm[mm].nr = 0;
	dec_drop_pins(d, mm, 0, UINT64_MAX);
}

bool dec_emit_zap(struct decoder *d, unsigned mm, enum khp_op_type t, uint64_t addr,
		  uint64_t pages)
{
	struct sh_mm next = d->mm[mm];
	struct khp_op op;

	dec_op_init(&op, t, mm);
	op.addr = addr;
	op.pages = pages;
	if (t == KHP_OP_MUNMAP && !sh_remove(&next, addr, addr + pages))
		return false;
	if (!dec_emit(d, &op))
		return false;
	dec_drop_pins(d, mm, addr, addr + pages);
	d->mm[mm] = next;
	return true;
}

/* MADV_DONTNEED or munmap of a range inside adjacent VMAs. */
void dec_zap(struct decoder *d, unsigned mm, enum khp_op_type t)
{
	uint64_t addr, pages;

	if (dec_pick_range(d, &d->mm[mm], false, &addr, &pages))
		dec_emit_zap(d, mm, t, addr, pages);
}

bool sh_mremap(struct sh_mm *next, const struct khp_op *op, int vi)
{
	uint64_t addr = op->addr, pages = op->pages;
	uint64_t newp = op->flags & KHP_OPF_NEW_PAGES ? op->new_pages : pages;
	struct sh_vma nv = next->v[vi];
	int k;

	if (op->flags & KHP_OPF_TO) {
		nv.start = op->to;
		nv.end = op->to + newp;
		return sh_remove(next, addr, addr + pages) && sh_insert(next, &nv);
	}
	if (newp < pages)
		return sh_remove(next, addr + newp, addr + pages);
	if (!sh_split_at(next, addr))
		return false;
	k = sh_find(next, addr);
	next->v[k].end = addr + newp;
	return true;
}

/* A free, PMD-relative destination for newp pages that misses the source. */
static bool mremap_dest(struct decoder *d, const struct sh_mm *m, uint32_t mode,
			const struct khp_op *op, uint64_t newp, uint64_t *to)
{
	uint64_t pmdi = d->o->max_pmds + khp_dp_u8(&d->dp) % (d->o->max_pmds + 1);
	uint64_t off = dec_value(d) % d->pmd;

	if (mode & 0x40)            /* keep the offset within the PMD range */
		off = op->addr % d->pmd;
	*to = dec_free_pmd_slot(d, m, pmdi, newp + off + d->pmd) + off;
	return sh_free(m, *to, *to + newp) &&
	       !(*to < op->addr + op->pages && op->addr < *to + newp);
}

/*
 * mremap: the source lies inside one VMA.  Mode bits: move (to a free,
 * PMD-relative destination) and/or resize (shrink anywhere; grow in place
 * only at the VMA end into free space, as the kernel's vma_expandable()).
 */
void dec_mremap(struct decoder *d, unsigned mm)
{
	struct sh_mm *m = &d->mm[mm], next;
	uint32_t mode = khp_dp_u8(&d->dp);
	struct khp_op op;
	uint64_t newp;
	int vi;

	dec_op_init(&op, KHP_OP_MREMAP, mm);
	if (!dec_pick_addr(d, m, &op.addr, &vi))
		return;
	if (mode & 0x80) {          /* the whole VMA */
		op.addr = m->v[vi].start;
		op.pages = m->v[vi].end - op.addr;
	} else {
		op.pages = dec_pick_len(d, op.addr, m->v[vi].end - op.addr);
	}
	newp = op.pages;
	if (mode & 2) {             /* resize */
		newp = dec_value(d);
		if (!newp)
			newp = op.pages * 2;
		if (newp > KHP_MAX_OP_PAGES)
			newp = KHP_MAX_OP_PAGES;
	}
	if (mode & 1 || newp == op.pages) {         /* move */
		if (!mremap_dest(d, m, mode, &op, newp, &op.to))
			return;
		op.flags |= KHP_OPF_TO;
	} else if (newp > op.pages) {               /* grow in place */
		if (op.addr + op.pages != m->v[vi].end ||
		    !sh_free(m, op.addr + op.pages, op.addr + newp))
			newp = op.pages - (op.pages > 1);
		if (newp == op.pages)
			return;
	}
	if (newp != op.pages) {
		op.flags |= KHP_OPF_NEW_PAGES;
		op.new_pages = newp;
	}
	next = *m;
	if (!sh_mremap(&next, &op, vi) || !dec_emit(d, &op))
		return;
	dec_drop_pins(d, mm, op.addr, op.addr + op.pages);
	*m = next;
}

void dec_mprotect(struct decoder *d, unsigned mm)
{
	struct sh_mm *m = &d->mm[mm], next;
	uint32_t f = khp_dp_u8(&d->dp);
	struct khp_op op;

	dec_op_init(&op, KHP_OP_MPROTECT, mm);
	if (!dec_pick_range(d, m, false, &op.addr, &op.pages))
		return;
	if (f & 1)
		op.flags |= KHP_OPF_WRITE;
	next = *m;
	if (sh_modify(&next, op.addr, op.addr + op.pages, !!(f & 1), 0xff) && dec_emit(d, &op))
		*m = next;
}

void dec_madvise(struct decoder *d, unsigned mm)
{
	struct sh_mm *m = &d->mm[mm], next;
	uint32_t a = khp_dp_u8(&d->dp) % KHP_NR_ADVICE;
	struct khp_op op;

	dec_op_init(&op, KHP_OP_MADVISE, mm);
	op.advice = (uint8_t)a;
	if (!dec_pick_range(d, m, false, &op.addr, &op.pages))
		return;
	next = *m;
	if (a == KHP_ADV_HUGEPAGE &&
	    !sh_modify(&next, op.addr, op.addr + op.pages, -1, KHP_OPF_HUGEPAGE))
		return;
	if (a == KHP_ADV_NOHUGEPAGE &&
	    !sh_modify(&next, op.addr, op.addr + op.pages, -1, KHP_OPF_NOHUGEPAGE))
		return;
	if (!dec_emit(d, &op))
		return;
	*m = next;
	if (a == KHP_ADV_PAGEOUT || a == KHP_ADV_FREE)
		dec_drop_pins(d, mm, op.addr, op.addr + op.pages);
}

void dec_pin(struct decoder *d, unsigned mm)
{
	struct khp_op op;
	uint64_t addr;
	int vi;

	if (d->nr_pins >= SH_MAX_PINS || !dec_pick_addr(d, &d->mm[mm], &addr, &vi))
		return;
	if (!d->mm[mm].v[vi].write)
		return;
	for (unsigned i = 0; i < d->nr_pins; i++)
		if (d->pins[i].mm == mm && d->pins[i].addr == addr)
			return;
	dec_op_init(&op, KHP_OP_PIN, mm);
	op.addr = addr;
	if (!dec_emit(d, &op))
		return;
	d->pins[d->nr_pins].mm = mm;
	d->pins[d->nr_pins++].addr = addr;
}

void dec_unpin(struct decoder *d)
{
	unsigned i;
	struct khp_op op;

	if (!d->nr_pins)
		return;
	i = khp_dp_u8(&d->dp) % d->nr_pins;
	dec_op_init(&op, KHP_OP_UNPIN, d->pins[i].mm);
	op.addr = d->pins[i].addr;
	if (dec_emit(d, &op))
		d->pins[i] = d->pins[--d->nr_pins];
}

void dec_age(struct decoder *d, unsigned mm)
{
	struct khp_op op;

	dec_op_init(&op, KHP_OP_AGE, mm);
	if (khp_dp_u8(&d->dp) & 1) {
		if (!dec_pick_range(d, &d->mm[mm], false, &op.addr, &op.pages))
			return;
		op.flags |= KHP_OPF_RANGE;
	}
	dec_emit(d, &op);
}

void dec_khugepaged(struct decoder *d, unsigned mm)
{
	struct khp_op op;
	int vi;

	dec_op_init(&op, KHP_OP_KHUGEPAGED, mm);
	if (dec_pick_addr(d, &d->mm[mm], &op.addr, &vi))
		dec_emit(d, &op);
}

void dec_collapse(struct decoder *d, unsigned mm)
{
	struct khp_op op;

	dec_op_init(&op, KHP_OP_COLLAPSE, mm);
	if (dec_pick_range(d, &d->mm[mm], false, &op.addr, &op.pages))
		dec_emit(d, &op);
}

void dec_simple(struct decoder *d, enum khp_op_type t)
{
	struct khp_op op;

	dec_op_init(&op, t, 0);
	if (t == KHP_OP_FAIL_ALLOC)
		op.count = 1 + khp_dp_u8(&d->dp) % 3;
	dec_emit(d, &op);
}
