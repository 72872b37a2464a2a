/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Macro decisions (decode_int.h): one decision byte emits several ops, so
 * that blind search reaches the sharing patterns of the kernel's corner
 * cases (a populated THP, a PMD range made of two large folios, a fork
 * whose parent and child keep different parts of one PMD range, a scan of
 * everything, a COW run) in a handful of bytes.
 */
#include "decode_int.h"

/*
 * mmap n PMD-aligned pages with MADV_HUGEPAGE at the first free slot from
 * PMD index first, and write every page (THPs at fault); the address in *a.
 */
static bool thp_area(struct decoder *d, unsigned mm, uint64_t first, uint64_t n, uint64_t *a)
{
	struct sh_mm *m = &d->mm[mm], next;
	struct sh_vma v = { 0 };
	struct khp_op op;

	*a = dec_free_pmd_slot(d, m, first % d->o->max_pmds, n);
	v.start = *a;
	v.end = *a + n;
	v.write = true;
	v.thp = KHP_OPF_HUGEPAGE;
	next = *m;
	if (!sh_free(m, *a, *a + n) || !sh_insert(&next, &v))
		return false;
	dec_op_init(&op, KHP_OP_MMAP, mm);
	op.addr = *a;
	op.pages = n;
	op.flags = KHP_OPF_HUGEPAGE | KHP_OPF_WRITE;
	if (!dec_emit(d, &op))
		return false;
	*m = next;
	dec_op_init(&op, KHP_OP_TOUCH, mm);
	op.addr = *a;
	op.pages = n;
	op.flags = KHP_OPF_WRITE;
	return dec_emit(d, &op);
}

/* mmap one or two PMD-aligned ranges with MADV_HUGEPAGE and write every page. */
void dec_m_thp(struct decoder *d, unsigned mm)
{
	uint32_t b = khp_dp_u8(&d->dp);
	uint64_t a;

	if (dec_room(d, 2))
		thp_area(d, mm, b & 0x0f, (1 + ((b >> 4) & 1)) * (uint64_t)d->pmd, &a);
}

/*
 * A PMD range whose pages come from two large folios: two THPs (as
 * dec_m_thp()), then the window [a + s, a + s + pmd), s a boundary value
 * in [1, pmd - 1], moves as one VMA to a free PMD-aligned slot (mremap
 * MREMAP_FIXED; the kernel's move_page_tables() splits both huge PMDs).
 * The slot holds the first folio's last pmd - s pages and the second
 * folio's first s.  With mode bit 0 the head [a, a + s) and the tail
 * [a + s + pmd, a + 2 pmd) are unmapped first, so that the two folios are
 * mapped by the window alone.
 */
void dec_m_mosaic(struct decoder *d, unsigned mm)
{
	uint32_t mode = khp_dp_u8(&d->dp);
	uint64_t s = dec_boundary(d, khp_dp_u8(&d->dp)), p = d->pmd, a;
	struct sh_mm next;
	struct khp_op op;
	int vi;

	if (s == 0 || s >= p)
		s = p / 2;
	if (!dec_room(d, 5) || !thp_area(d, mm, mode >> 4, 2 * p, &a))
		return;
	if ((mode & 1) && (!dec_emit_zap(d, mm, KHP_OP_MUNMAP, a, s) ||
			   !dec_emit_zap(d, mm, KHP_OP_MUNMAP, a + s + p, p - s)))
		return;
	dec_op_init(&op, KHP_OP_MREMAP, mm);
	op.addr = a + s;
	op.pages = p;
	op.to = dec_free_pmd_slot(d, &d->mm[mm], d->o->max_pmds, p);
	op.flags = KHP_OPF_TO;
	next = d->mm[mm];
	vi = sh_find(&next, op.addr);
	if (vi < 0 || !sh_free(&next, op.to, op.to + p) || !sh_mremap(&next, &op, vi) ||
	    !dec_emit(d, &op))
		return;
	dec_drop_pins(d, mm, op.addr, op.addr + p);
	d->mm[mm] = next;
}

/* Zap [base, base + a) and [base + b, base + pmd) of mm, clipped to its VMAs. */
static void keep_range(struct decoder *d, unsigned mm, uint64_t base, uint64_t a, uint64_t b)
{
	uint64_t lo[2] = { base, base + b }, hi[2] = { base + a, base + d->pmd };

	for (int i = 0; i < 2; i++) {
		uint64_t s = lo[i], e;

		while (s < hi[i] && sh_find(&d->mm[mm], s) < 0)
			s++;
		if (s >= hi[i])
			continue;
		e = sh_covered_end(&d->mm[mm], s, false);
		if (e > hi[i])
			e = hi[i];
		if (!dec_emit_zap(d, mm, KHP_OP_DONTNEED, s, e - s))
			return;
	}
}

/*
 * fork, then the parent keeps [a, b) and the child keeps [c, e) of one PMD
 * range (each a boundary value); the rest of that PMD range is zapped.
 * A mode byte with bit 0 clear makes the child keep the parent's range
 * (two values instead of four: the common "both unmapped the same part"
 * pattern).
 */
void dec_m_fork_keep(struct decoder *d, unsigned mm)
{
	uint64_t addr, base, a, b, c, e;
	unsigned child;
	uint32_t mode;
	int vi;

	if (d->nr_ids >= d->o->max_mms || !dec_room(d, 5) ||
	    !dec_pick_addr(d, &d->mm[mm], &addr, &vi))
		return;
	base = dec_pmd_down(d, addr);
	mode = khp_dp_u8(&d->dp);
	a = dec_value(d) % d->pmd;
	b = dec_value(d);
	if (mode & 1) {
		c = dec_value(d) % d->pmd;
		e = dec_value(d);
	} else {
		c = a;
		e = b;
	}
	if (b <= a || b > d->pmd)
		b = d->pmd;
	if (e <= c || e > d->pmd)
		e = d->pmd;
	child = d->nr_ids;
	dec_fork(d, mm);
	if (d->nr_ids == child)
		return;
	keep_range(d, mm, base, a, b);
	keep_range(d, child, base, c, e);
}

/* khugepaged on every PMD range of every live mm (in mm order), bounded. */
void dec_m_scan_all(struct decoder *d)
{
	for (unsigned i = 0; i < d->nr_ids; i++) {
		const struct sh_mm *m = &d->mm[i];
		uint64_t last = UINT64_MAX;

		if (!m->alive)
			continue;
		for (unsigned k = 0; k < m->nr; k++) {
			for (uint64_t p = dec_pmd_down(d, m->v[k].start); p < m->v[k].end;
			     p += d->pmd) {
				struct khp_op op;

				if (p == last)
					continue;
				last = p;
				dec_op_init(&op, KHP_OP_KHUGEPAGED, i);
				op.addr = p < m->v[k].start ? m->v[k].start : p;
				if (!dec_emit(d, &op))
					return;
			}
		}
	}
}

/* Write [base + a, base + b) of one PMD range in mm (writable part only). */
void dec_m_cow(struct decoder *d, unsigned mm)
{
	uint64_t addr, base, a, b, end;
	struct khp_op op;
	int vi;

	if (!dec_pick_addr(d, &d->mm[mm], &addr, &vi))
		return;
	base = dec_pmd_down(d, addr);
	a = dec_value(d) % d->pmd;
	b = dec_value(d);
	if (b <= a || b > d->pmd)
		b = a + 1;
	if (sh_find(&d->mm[mm], base + a) < 0)
		return;
	end = sh_covered_end(&d->mm[mm], base + a, true);
	if (end > base + b)
		end = base + b;
	if (end <= base + a)
		return;
	dec_op_init(&op, KHP_OP_TOUCH, mm);
	op.addr = base + a;
	op.pages = end - op.addr;
	op.flags = KHP_OPF_WRITE;
	dec_emit(d, &op);
}
