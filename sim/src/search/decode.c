/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fuzz decoder (see decode.h): bytes -> a valid program.
 *
 * A decision byte selects what to emit (low 5 bits, enum khp_dec_sel) and
 * which live mm acts (high 3 bits, modulo the live mms).  Further bytes
 * pick VMAs, PMD-relative offsets and lengths.  The shadow below mirrors
 * what the world needs to accept an op:
 *   - the acting mm is alive; fork children get fresh, never-used ids;
 *   - ranges lie in VMAs (mremap: inside one VMA; touch with write: in
 *     writable VMAs), mmap and mremap destinations lie in free space;
 *   - unpin names a page the decoder pinned and that was not zapped since.
 * Shadow VMAs are split whenever the world could split (mprotect, madvise,
 * munmap, mremap) and never merged, so "inside one shadow VMA" implies
 * "inside one world VMA" whatever the world merges.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "khpsim/decode.h"
#include "khpsim/knobs.h"
#include "khpsim/parse.h"

#define SH_MAX_VMAS   24u
#define SH_MAX_PINS   8u
#define SH_MAX_MMS    KHP_MAX_MMS

/* ---- data producer ------------------------------------------------------ */

void khp_dp_init(struct khp_dp *dp, const uint8_t *data, size_t size)
{
	dp->data = data;
	dp->size = data ? size : 0;
	dp->pos = 0;
}

bool khp_dp_empty(const struct khp_dp *dp)
{
	return dp->pos >= dp->size;
}

size_t khp_dp_remaining(const struct khp_dp *dp)
{
	return dp->pos >= dp->size ? 0 : dp->size - dp->pos;
}

uint32_t khp_dp_u8(struct khp_dp *dp)
{
	if (dp->pos >= dp->size)
		return 0;
	return dp->data[dp->pos++];
}

uint32_t khp_dp_range(struct khp_dp *dp, uint32_t min, uint32_t max)
{
	uint64_t span, v = 0;
	uint32_t used = 0;

	if (max <= min)
		return min;
	span = (uint64_t)max - min;
	while (used < 32 && (span >> used) && !khp_dp_empty(dp)) {
		v = (v << 8) | khp_dp_u8(dp);
		used += 8;
	}
	return min + (uint32_t)(v % (span + 1));
}

/* ---- shadow world -------------------------------------------------------- */

struct sh_vma {
	uint64_t start, end;    /* [start, end) in pages */
	bool write;
	uint8_t thp;            /* KHP_OPF_HUGEPAGE / KHP_OPF_NOHUGEPAGE / 0 */
	bool uffd;
};

struct sh_mm {
	bool alive;
	unsigned nr;
	struct sh_vma v[SH_MAX_VMAS];
};

struct sh_pin {
	unsigned mm;
	uint64_t addr;
};

struct decoder {
	struct khp_dp dp;
	const struct khp_decode_opts *o;
	struct khp_program *prog;
	unsigned pmd;           /* pmd_pages */
	unsigned nr_ids;        /* mm ids created so far (0 exists at start) */
	struct sh_mm mm[SH_MAX_MMS];
	struct sh_pin pins[SH_MAX_PINS];
	unsigned nr_pins;
	unsigned max_ops;
	int err;
};

static uint64_t boundary(const struct decoder *d, unsigned i)
{
	uint64_t h = d->pmd / 2;

	switch (i & 7) {
	case 0: return 0;
	case 1: return 1;
	case 2: return h - 1;
	case 3: return h;
	case 4: return h + 1;
	case 5: return d->pmd - 1;
	case 6: return d->pmd;
	default: return 2ull * d->pmd;
	}
}

/*
 * A page count or offset: bytes below 0xc0 pick a boundary value, the
 * others (with one more byte) any value in [0, 2 * pmd].
 */
static uint64_t dec_value(struct decoder *d)
{
	uint32_t b = khp_dp_u8(&d->dp);

	if (b < 0xc0)
		return boundary(d, b);
	return (((b & 0x3f) << 8) | khp_dp_u8(&d->dp)) % (2ull * d->pmd + 1);
}

static bool emit(struct decoder *d, const struct khp_op *op)
{
	int ret;

	if (d->err || d->prog->nr_ops >= d->max_ops)
		return false;
	ret = khp_program_push(d->prog, op);
	if (ret) {
		d->err = ret;
		return false;
	}
	return true;
}

static bool room(const struct decoder *d, size_t n)
{
	return !d->err && d->prog->nr_ops + n <= d->max_ops;
}

static int sh_find(const struct sh_mm *m, uint64_t addr)
{
	for (unsigned i = 0; i < m->nr; i++)
		if (addr >= m->v[i].start && addr < m->v[i].end)
			return (int)i;
	return -1;
}

static bool sh_free(const struct sh_mm *m, uint64_t start, uint64_t end)
{
	if (end <= start || end > KHP_ADDR_LIMIT)
		return false;
	for (unsigned i = 0; i < m->nr; i++)
		if (m->v[i].start < end && start < m->v[i].end)
			return false;
	return true;
}

static void sh_insert(struct sh_mm *m, const struct sh_vma *v)
{
	unsigned i = 0;

	while (i < m->nr && m->v[i].start < v->start)
		i++;
	memmove(&m->v[i + 1], &m->v[i], (m->nr - i) * sizeof(m->v[0]));
	m->v[i] = *v;
	m->nr++;
}

/* Split the VMA containing addr at addr (no-op at a boundary or in a hole). */
static void sh_split_at(struct sh_mm *m, uint64_t addr)
{
	int i = sh_find(m, addr);
	struct sh_vma right;

	if (i < 0 || m->v[i].start == addr)
		return;
	right = m->v[i];
	right.start = addr;
	m->v[i].end = addr;
	sh_insert(m, &right);
}

static void sh_remove(struct sh_mm *m, uint64_t start, uint64_t end)
{
	unsigned i, j = 0;

	sh_split_at(m, start);
	sh_split_at(m, end);
	for (i = 0; i < m->nr; i++)
		if (!(m->v[i].start >= start && m->v[i].end <= end))
			m->v[j++] = m->v[i];
	m->nr = j;
}

/* End of the run of adjacent VMAs from addr (that are writable if need_write). */
static uint64_t sh_covered_end(const struct sh_mm *m, uint64_t addr, bool need_write)
{
	int i = sh_find(m, addr);
	uint64_t end;

	if (i < 0 || (need_write && !m->v[i].write))
		return addr;
	end = m->v[i].end;
	for (unsigned k = (unsigned)i + 1; k < m->nr; k++) {
		if (m->v[k].start != end || (need_write && !m->v[k].write))
			break;
		end = m->v[k].end;
	}
	return end;
}

static void sh_drop_pins(struct decoder *d, unsigned mm, uint64_t start, uint64_t end)
{
	unsigned j = 0;

	for (unsigned i = 0; i < d->nr_pins; i++)
		if (!(d->pins[i].mm == mm && d->pins[i].addr >= start && d->pins[i].addr < end))
			d->pins[j++] = d->pins[i];
	d->nr_pins = j;
}

/* ---- choosing operands ---------------------------------------------------- */

/* The n-th live mm (n taken modulo the live count); -1 if none is alive. */
static int pick_mm(const struct decoder *d, unsigned n)
{
	unsigned alive = 0, i;

	for (i = 0; i < d->nr_ids; i++)
		alive += d->mm[i].alive;
	if (!alive)
		return -1;
	n %= alive;
	for (i = 0; i < d->nr_ids; i++)
		if (d->mm[i].alive && !n--)
			return (int)i;
	return -1;
}

static uint64_t pmd_down(const struct decoder *d, uint64_t a)
{
	return a - a % d->pmd;
}

/*
 * An address inside a VMA of m: a VMA and one of its PMD ranges are picked
 * by one byte, the offset in the PMD range by dec_value(); the result is
 * clamped into the VMA.  Returns false if m has no VMA.
 */
static bool pick_addr(struct decoder *d, const struct sh_mm *m, uint64_t *addr, int *vi)
{
	uint32_t b = khp_dp_u8(&d->dp);
	const struct sh_vma *v;
	uint64_t base, npmd, a;

	if (!m->nr)
		return false;
	*vi = (int)((b & 0x0f) % m->nr);
	v = &m->v[*vi];
	base = pmd_down(d, v->start);
	npmd = (v->end - 1 - base) / d->pmd + 1;
	a = base + ((b >> 4) % npmd) * d->pmd + dec_value(d);
	if (a < v->start)
		a = v->start;
	if (a >= v->end)
		a = v->end - 1;
	*addr = a;
	return true;
}

/* A length in [1, limit]: a boundary value (0 means "to the end of the PMD range"). */
static uint64_t pick_len(struct decoder *d, uint64_t addr, uint64_t limit)
{
	uint64_t n = dec_value(d);

	if (!n)
		n = d->pmd - addr % d->pmd;
	if (n > limit)
		n = limit;
	if (n > KHP_MAX_OP_PAGES)
		n = KHP_MAX_OP_PAGES;
	return n ? n : 1;
}

/* addr and a length inside the covered run from addr. */
static bool pick_range(struct decoder *d, const struct sh_mm *m, bool need_write,
		       uint64_t *addr, uint64_t *pages)
{
	uint64_t end;
	int vi;

	if (!pick_addr(d, m, addr, &vi))
		return false;
	end = sh_covered_end(m, *addr, need_write);
	if (end <= *addr)
		return false;
	*pages = pick_len(d, *addr, end - *addr);
	return true;
}

/* First PMD-aligned free range of n pages at PMD index >= first. */
static uint64_t free_pmd_slot(const struct decoder *d, const struct sh_mm *m,
			      uint64_t first, uint64_t n)
{
	uint64_t a = first * d->pmd;

	while (!sh_free(m, a, a + n) && a < KHP_ADDR_LIMIT / 2)
		a += d->pmd;
	return a;
}

static void op_init(struct khp_op *op, enum khp_op_type t, unsigned mm)
{
	memset(op, 0, sizeof(*op));
	op->type = (uint8_t)t;
	op->mm = mm;
}

/* ---- single ops ----------------------------------------------------------- */

static void dec_mmap(struct decoder *d, unsigned mm)
{
	struct sh_mm *m = &d->mm[mm];
	uint32_t f = khp_dp_u8(&d->dp);
	uint64_t pmdi = khp_dp_u8(&d->dp) % d->o->max_pmds;
	uint64_t off = dec_value(d), n = dec_value(d), a;
	struct sh_vma v = { 0 };
	struct khp_op op;

	if (!n)
		n = d->pmd;
	if (m->nr + 1 > SH_MAX_VMAS)
		return;
	a = pmdi * d->pmd + off;
	if (!sh_free(m, a, a + n))
		a = free_pmd_slot(d, m, pmdi, n) + off;
	if (!sh_free(m, a, a + n))
		return;
	op_init(&op, KHP_OP_MMAP, mm);
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
	if (!emit(d, &op))
		return;
	v.start = a;
	v.end = a + n;
	v.write = op.flags & KHP_OPF_WRITE;
	v.thp = op.flags & (KHP_OPF_HUGEPAGE | KHP_OPF_NOHUGEPAGE);
	v.uffd = op.flags & KHP_OPF_UFFD;
	sh_insert(m, &v);
}

static void dec_touch(struct decoder *d, unsigned mm, bool write)
{
	struct khp_op op;

	op_init(&op, KHP_OP_TOUCH, mm);
	if (write && !pick_range(d, &d->mm[mm], true, &op.addr, &op.pages))
		write = false;
	if (!write && !pick_range(d, &d->mm[mm], false, &op.addr, &op.pages))
		return;
	if (write)
		op.flags |= KHP_OPF_WRITE;
	emit(d, &op);
}

static void sh_fork(struct decoder *d, unsigned parent, unsigned child)
{
	d->mm[child] = d->mm[parent];
	d->mm[child].alive = true;
}

static void dec_fork(struct decoder *d, unsigned mm)
{
	struct khp_op op;

	if (d->nr_ids >= d->o->max_mms)
		return;
	op_init(&op, KHP_OP_FORK, mm);
	op.child = d->nr_ids;
	if (!emit(d, &op))
		return;
	sh_fork(d, mm, d->nr_ids++);
}

static unsigned nr_alive(const struct decoder *d)
{
	unsigned n = 0;

	for (unsigned i = 0; i < d->nr_ids; i++)
		n += d->mm[i].alive;
	return n;
}

static void dec_exit(struct decoder *d, unsigned mm)
{
	struct khp_op op;

	/* Keep one mm alive: a program whose last mm exited has nothing to say. */
	if (nr_alive(d) < 2)
		return;
	op_init(&op, KHP_OP_EXIT, mm);
	if (!emit(d, &op))
		return;
	d->mm[mm].alive = false;
	d->mm[mm].nr = 0;
	sh_drop_pins(d, mm, 0, UINT64_MAX);
}

static void dec_zap(struct decoder *d, unsigned mm, enum khp_op_type t)
{
	struct sh_mm *m = &d->mm[mm];
	struct khp_op op;

	op_init(&op, t, mm);
	if (!pick_range(d, m, false, &op.addr, &op.pages))
		return;
	if (t == KHP_OP_MUNMAP && m->nr + 1 > SH_MAX_VMAS)
		return;
	if (!emit(d, &op))
		return;
	sh_drop_pins(d, mm, op.addr, op.addr + op.pages);
	if (t == KHP_OP_MUNMAP)
		sh_remove(m, op.addr, op.addr + op.pages);
}

/*
 * mremap: the source lies inside one VMA.  Mode bits: move (to a free,
 * PMD-relative destination) and/or resize (shrink anywhere; grow in place
 * only at the VMA end into free space, as the kernel's vma_expandable()).
 */
static void dec_mremap(struct decoder *d, unsigned mm)
{
	struct sh_mm *m = &d->mm[mm];
	uint32_t mode = khp_dp_u8(&d->dp);
	struct sh_vma nv;
	struct khp_op op;
	uint64_t addr, pages, newp, to = 0;
	int vi;

	if (!pick_addr(d, m, &addr, &vi) || m->nr + 2 > SH_MAX_VMAS)
		return;
	if (mode & 0x80) {          /* the whole VMA */
		addr = m->v[vi].start;
		pages = m->v[vi].end - addr;
	} else {
		pages = pick_len(d, addr, m->v[vi].end - addr);
	}
	newp = pages;
	if (mode & 2) {             /* resize */
		newp = dec_value(d);
		if (!newp)
			newp = pages * 2;
		if (newp > KHP_MAX_OP_PAGES)
			newp = KHP_MAX_OP_PAGES;
	}
	op_init(&op, KHP_OP_MREMAP, mm);
	op.addr = addr;
	op.pages = pages;
	if (mode & 1 || newp == pages) {    /* move */
		uint64_t pmdi = d->o->max_pmds + khp_dp_u8(&d->dp) % (d->o->max_pmds + 1);
		uint64_t off = dec_value(d) % d->pmd;
		uint64_t slot;

		if (mode & 0x40)            /* keep the offset within the PMD range */
			off = addr % d->pmd;
		slot = free_pmd_slot(d, m, pmdi, newp + off + d->pmd);
		to = slot + off;
		if (!sh_free(m, to, to + newp) || (to < addr + pages && addr < to + newp))
			return;
		op.flags |= KHP_OPF_TO;
		op.to = to;
	} else if (newp > pages) {          /* grow in place */
		if (addr + pages != m->v[vi].end ||
		    !sh_free(m, addr + pages, addr + newp))
			newp = pages - (pages > 1);
		if (newp == pages)
			return;
	}
	if (newp != pages) {
		op.flags |= KHP_OPF_NEW_PAGES;
		op.new_pages = newp;
	}
	if (!emit(d, &op))
		return;
	nv = m->v[vi];
	sh_drop_pins(d, mm, addr, addr + pages);
	if (op.flags & KHP_OPF_TO) {
		sh_remove(m, addr, addr + pages);
		nv.start = to;
		nv.end = to + newp;
		sh_insert(m, &nv);
	} else if (newp < pages) {
		sh_remove(m, addr + newp, addr + pages);
	} else {
		sh_split_at(m, addr);
		vi = sh_find(m, addr);
		m->v[vi].end = addr + newp;
	}
}

/* Split at both ends of [start, end) and apply fn to the VMAs inside. */
static void sh_modify(struct sh_mm *m, uint64_t start, uint64_t end, int write, uint8_t thp)
{
	sh_split_at(m, start);
	sh_split_at(m, end);
	for (unsigned i = 0; i < m->nr; i++) {
		if (m->v[i].start < start || m->v[i].end > end)
			continue;
		if (write >= 0)
			m->v[i].write = write;
		if (thp != 0xff)
			m->v[i].thp = thp;
	}
}

static void dec_mprotect(struct decoder *d, unsigned mm)
{
	struct sh_mm *m = &d->mm[mm];
	uint32_t f = khp_dp_u8(&d->dp);
	struct khp_op op;

	op_init(&op, KHP_OP_MPROTECT, mm);
	if (m->nr + 2 > SH_MAX_VMAS || !pick_range(d, m, false, &op.addr, &op.pages))
		return;
	if (f & 1)
		op.flags |= KHP_OPF_WRITE;
	if (emit(d, &op))
		sh_modify(m, op.addr, op.addr + op.pages, !!(f & 1), 0xff);
}

static void dec_madvise(struct decoder *d, unsigned mm)
{
	struct sh_mm *m = &d->mm[mm];
	uint32_t a = khp_dp_u8(&d->dp) % KHP_NR_ADVICE;
	struct khp_op op;

	op_init(&op, KHP_OP_MADVISE, mm);
	op.advice = (uint8_t)a;
	if (m->nr + 2 > SH_MAX_VMAS || !pick_range(d, m, false, &op.addr, &op.pages))
		return;
	if (!emit(d, &op))
		return;
	if (a == KHP_ADV_HUGEPAGE)
		sh_modify(m, op.addr, op.addr + op.pages, -1, KHP_OPF_HUGEPAGE);
	else if (a == KHP_ADV_NOHUGEPAGE)
		sh_modify(m, op.addr, op.addr + op.pages, -1, KHP_OPF_NOHUGEPAGE);
	else if (a == KHP_ADV_PAGEOUT || a == KHP_ADV_FREE)
		sh_drop_pins(d, mm, op.addr, op.addr + op.pages);
}

static void dec_pin(struct decoder *d, unsigned mm)
{
	struct khp_op op;
	uint64_t addr;
	int vi;

	if (d->nr_pins >= SH_MAX_PINS || !pick_addr(d, &d->mm[mm], &addr, &vi))
		return;
	if (!d->mm[mm].v[vi].write)
		return;
	for (unsigned i = 0; i < d->nr_pins; i++)
		if (d->pins[i].mm == mm && d->pins[i].addr == addr)
			return;
	op_init(&op, KHP_OP_PIN, mm);
	op.addr = addr;
	if (!emit(d, &op))
		return;
	d->pins[d->nr_pins].mm = mm;
	d->pins[d->nr_pins++].addr = addr;
}

static void dec_unpin(struct decoder *d)
{
	unsigned i;
	struct khp_op op;

	if (!d->nr_pins)
		return;
	i = khp_dp_u8(&d->dp) % d->nr_pins;
	op_init(&op, KHP_OP_UNPIN, d->pins[i].mm);
	op.addr = d->pins[i].addr;
	if (emit(d, &op))
		d->pins[i] = d->pins[--d->nr_pins];
}

static void dec_age(struct decoder *d, unsigned mm)
{
	struct khp_op op;

	op_init(&op, KHP_OP_AGE, mm);
	if (khp_dp_u8(&d->dp) & 1) {
		if (!pick_range(d, &d->mm[mm], false, &op.addr, &op.pages))
			return;
		op.flags |= KHP_OPF_RANGE;
	}
	emit(d, &op);
}

static void dec_khugepaged(struct decoder *d, unsigned mm)
{
	struct khp_op op;
	int vi;

	op_init(&op, KHP_OP_KHUGEPAGED, mm);
	if (!pick_addr(d, &d->mm[mm], &op.addr, &vi))
		return;
	emit(d, &op);
}

static void dec_collapse(struct decoder *d, unsigned mm)
{
	struct khp_op op;

	op_init(&op, KHP_OP_COLLAPSE, mm);
	if (pick_range(d, &d->mm[mm], false, &op.addr, &op.pages))
		emit(d, &op);
}

static void dec_simple(struct decoder *d, enum khp_op_type t)
{
	struct khp_op op;

	op_init(&op, t, 0);
	if (t == KHP_OP_FAIL_ALLOC)
		op.count = 1 + khp_dp_u8(&d->dp) % 3;
	emit(d, &op);
}

/* ---- macros ----------------------------------------------------------------- */

/* mmap n PMD-aligned ranges with MADV_HUGEPAGE and write every page. */
static void dec_m_thp(struct decoder *d, unsigned mm)
{
	struct sh_mm *m = &d->mm[mm];
	uint32_t b = khp_dp_u8(&d->dp);
	uint64_t n = (1 + ((b >> 4) & 1)) * (uint64_t)d->pmd, a;
	struct sh_vma v = { 0 };
	struct khp_op op;

	if (m->nr + 1 > SH_MAX_VMAS || !room(d, 2))
		return;
	a = free_pmd_slot(d, m, (b & 0x0f) % d->o->max_pmds, n);
	if (!sh_free(m, a, a + n))
		return;
	op_init(&op, KHP_OP_MMAP, mm);
	op.addr = a;
	op.pages = n;
	op.flags = KHP_OPF_HUGEPAGE | KHP_OPF_WRITE;
	emit(d, &op);
	v.start = a;
	v.end = a + n;
	v.write = true;
	v.thp = KHP_OPF_HUGEPAGE;
	sh_insert(m, &v);
	op_init(&op, KHP_OP_TOUCH, mm);
	op.addr = a;
	op.pages = n;
	op.flags = KHP_OPF_WRITE;
	emit(d, &op);
}

/* Zap [base, base + a) and [base + b, base + pmd) of m, clipped to its VMAs. */
static void keep_range(struct decoder *d, unsigned mm, uint64_t base, uint64_t a, uint64_t b)
{
	struct khp_op op;
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
		op_init(&op, KHP_OP_DONTNEED, mm);
		op.addr = s;
		op.pages = e - s;
		if (!emit(d, &op))
			return;
		sh_drop_pins(d, mm, s, e);
	}
}

/*
 * fork, then the parent keeps [a, b) and the child keeps [c, e) of one PMD
 * range (each a boundary value); the rest of that PMD range is zapped.
 * A mode byte with bit 0 clear makes the child keep the parent's range
 * (two values instead of four: the common "both unmapped the same part"
 * pattern).
 */
static void dec_m_fork_keep(struct decoder *d, unsigned mm)
{
	uint64_t addr, base, a, b, c, e;
	unsigned child;
	uint32_t mode;
	int vi;

	if (d->nr_ids >= d->o->max_mms || !room(d, 5) ||
	    !pick_addr(d, &d->mm[mm], &addr, &vi))
		return;
	base = pmd_down(d, addr);
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
static void dec_m_scan_all(struct decoder *d)
{
	for (unsigned i = 0; i < d->nr_ids; i++) {
		const struct sh_mm *m = &d->mm[i];
		uint64_t last = UINT64_MAX;

		if (!m->alive)
			continue;
		for (unsigned k = 0; k < m->nr; k++) {
			for (uint64_t p = pmd_down(d, m->v[k].start); p < m->v[k].end; p += d->pmd) {
				struct khp_op op;

				if (p == last)
					continue;
				last = p;
				op_init(&op, KHP_OP_KHUGEPAGED, i);
				op.addr = p < m->v[k].start ? m->v[k].start : p;
				if (!emit(d, &op))
					return;
			}
		}
	}
}

/* Write [base + a, base + b) of one PMD range in mm (writable part only). */
static void dec_m_cow(struct decoder *d, unsigned mm)
{
	uint64_t addr, base, a, b, end;
	struct khp_op op;
	int vi;

	if (!pick_addr(d, &d->mm[mm], &addr, &vi))
		return;
	base = pmd_down(d, addr);
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
	op_init(&op, KHP_OP_TOUCH, mm);
	op.addr = base + a;
	op.pages = end - op.addr;
	op.flags = KHP_OPF_WRITE;
	emit(d, &op);
}

/* ---- config ------------------------------------------------------------------ */

static unsigned knob(struct decoder *d, unsigned dflt)
{
	uint32_t b = khp_dp_u8(&d->dp) & 7;

	if (b >= 6)
		return dflt;
	return (unsigned)boundary(d, b == 5 ? 5 : b) % d->pmd;
}

/*
 * Config bytes: pmd size, none, swap, shared, flags.  Byte values 0x00
 * give the "kernel default at 512 pages, shared 0" corner the campaign
 * cares about most; see docs/fuzzing.md.
 */
static void dec_config(struct decoder *d, struct khp_config *c)
{
	uint32_t b = khp_dp_u8(&d->dp), f;
	unsigned pmd = (b & 0x80) || (b & 7) >= 6 ? 512 : 8u << (b & 7);

	khp_config_default(c, pmd);
	d->pmd = pmd;
	c->max_ptes_none = knob(d, c->max_ptes_none);
	c->max_ptes_swap = knob(d, c->max_ptes_swap);
	c->max_ptes_shared = knob(d, c->max_ptes_shared);
	f = khp_dp_u8(&d->dp);
	c->thp = (f & 3) == 1 ? KHP_THP_ALWAYS : (f & 3) == 2 ? KHP_THP_NEVER : KHP_THP_MADVISE;
	c->use_zero_page = f & 4;
	c->swap = !(f & 8);
	c->shrink_underused = f & 0x10;
	c->mthp_orders = 0;
	if ((f & 0x20) && khp_pmd_order(pmd) > 2)
		c->mthp_orders |= 1u << 2;
	if ((f & 0x40) && khp_pmd_order(pmd) > 4)
		c->mthp_orders |= 1u << 4;
}

/* ---- entry points -------------------------------------------------------------- */

void khp_decode_opts_default(struct khp_decode_opts *o)
{
	memset(o, 0, sizeof(*o));
	khp_config_default(&o->config, 512);
	o->max_ops = 48;
	o->max_mms = 6;
	o->max_pmds = 4;
	o->macros = true;
}

/* KHP_<name>: decimal in 0..max when set and not empty. */
static int env_uint(const char *name, uint64_t max, uint64_t *out, bool *set,
		    char *msg, size_t msglen)
{
	const char *s = getenv(name);
	char m[160];

	*set = false;
	if (!s || !*s)
		return 0;
	if (khp_parse_u64(s, 0, max, out, m, sizeof(m))) {
		if (msg)
			snprintf(msg, msglen, "%s: %s", name, m);
		return -EINVAL;
	}
	*set = true;
	return 0;
}

int khp_decode_opts_from_env(struct khp_decode_opts *o, char *msg, size_t msglen)
{
	static const struct { const char *name; unsigned max; } vars[] = {
		{ "KHP_EXPLORE_CONFIG", 1 },                /* 0 */
		{ "KHP_MAX_OPS", 4096 },                    /* 1 */
		{ "KHP_MAX_MMS", KHP_MAX_MMS },             /* 2 */
		{ "KHP_MAX_PMDS", 64 },                     /* 3 */
		{ "KHP_MACROS", 1 },                        /* 4 */
	};
	struct khp_knob_settings ks;
	uint64_t v[5];
	bool set[5];
	int ret;

	/* the knobs: the knob table's KHP_<KNOB> variables, in any order */
	khp_knob_settings_init(&ks);
	ret = khp_knob_settings_from_env(&ks, msg, msglen);
	if (!ret)
		ret = khp_knob_settings_apply(&ks, &o->config, msg, msglen);
	for (unsigned i = 0; !ret && i < 5; i++)
		ret = env_uint(vars[i].name, vars[i].max, &v[i], &set[i], msg, msglen);
	if (ret)
		return ret;
	if (set[0]) o->config_from_input = v[0];
	if (set[1]) o->max_ops = v[1] ? (unsigned)v[1] : 1;
	if (set[2]) o->max_mms = v[2] ? (unsigned)v[2] : 1;
	if (set[3]) o->max_pmds = v[3] ? (unsigned)v[3] : 1;
	if (set[4]) o->macros = v[4];
	return 0;
}

static void dec_one(struct decoder *d)
{
	uint32_t b = khp_dp_u8(&d->dp);
	uint32_t sel = b & 31;
	int mm = pick_mm(d, b >> 5);

	if (sel >= KHP_NR_DEC_SEL)
		sel -= KHP_NR_DEC_SEL;
	if (!d->o->macros && sel >= KHP_DEC_M_THP)
		sel = KHP_DEC_KHUGEPAGED;
	if (mm < 0)
		return;
	switch (sel) {
	case KHP_DEC_MMAP: dec_mmap(d, mm); break;
	case KHP_DEC_TOUCH: dec_touch(d, mm, true); break;
	case KHP_DEC_TOUCH2: dec_touch(d, mm, false); break;
	case KHP_DEC_FORK: dec_fork(d, mm); break;
	case KHP_DEC_EXIT: dec_exit(d, mm); break;
	case KHP_DEC_DONTNEED:
	case KHP_DEC_DONTNEED2: dec_zap(d, mm, KHP_OP_DONTNEED); break;
	case KHP_DEC_MUNMAP: dec_zap(d, mm, KHP_OP_MUNMAP); break;
	case KHP_DEC_MREMAP: dec_mremap(d, mm); break;
	case KHP_DEC_MPROTECT: dec_mprotect(d, mm); break;
	case KHP_DEC_MADVISE: dec_madvise(d, mm); break;
	case KHP_DEC_PIN: dec_pin(d, mm); break;
	case KHP_DEC_UNPIN: dec_unpin(d); break;
	case KHP_DEC_AGE: dec_age(d, mm); break;
	case KHP_DEC_KHUGEPAGED:
	case KHP_DEC_KHUGEPAGED2: dec_khugepaged(d, mm); break;
	case KHP_DEC_COLLAPSE: dec_collapse(d, mm); break;
	case KHP_DEC_SPLIT: dec_simple(d, KHP_OP_SPLIT); break;
	case KHP_DEC_FAIL_ALLOC: dec_simple(d, KHP_OP_FAIL_ALLOC); break;
	case KHP_DEC_M_THP: dec_m_thp(d, mm); break;
	case KHP_DEC_M_FORK_KEEP: dec_m_fork_keep(d, mm); break;
	case KHP_DEC_M_SCAN_ALL: dec_m_scan_all(d); break;
	case KHP_DEC_M_COW: dec_m_cow(d, mm); break;
	}
}

int khp_decode(const uint8_t *data, size_t size, const struct khp_decode_opts *o,
	       struct khp_program *out)
{
	struct decoder *d = calloc(1, sizeof(*d));
	struct khp_config c = o->config;
	int ret;

	khp_program_init(out, &o->config);
	if (!d)
		return -ENOMEM;
	khp_dp_init(&d->dp, data, size);
	d->o = o;
	d->prog = out;
	d->pmd = c.pmd_pages;
	if (o->config_from_input) {
		dec_config(d, &c);
		out->config = c;
	}
	d->max_ops = o->max_ops < KHP_MAX_OPS ? o->max_ops : KHP_MAX_OPS;
	d->nr_ids = 1;
	d->mm[0].alive = true;
	while (!khp_dp_empty(&d->dp) && !d->err && out->nr_ops < d->max_ops)
		dec_one(d);
	ret = d->err;
	free(d);
	return ret;
}
