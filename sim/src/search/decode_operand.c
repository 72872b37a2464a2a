/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Choosing operands and emitting ops (decode_int.h): which live mm acts,
 * addresses inside its shadow VMAs, lengths biased towards the kernel's
 * boundary values relative to PMD ranges, free PMD-aligned slots; and the
 * one function that appends an op to the program (dec_emit(): nothing
 * beyond max_ops, nothing after an error).
 */
#include <string.h>

#include "decode_int.h"

uint64_t dec_boundary(const struct decoder *d, unsigned i)
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
 * Bytes below 0xc0 pick a boundary value, the others (with one more byte)
 * any value in [0, 2 * pmd].
 */
uint64_t dec_value(struct decoder *d)
{
	uint32_t b = khp_dp_u8(&d->dp);

	if (b < 0xc0)
		return dec_boundary(d, b);
	return (((b & 0x3f) << 8) | khp_dp_u8(&d->dp)) % (2ull * d->pmd + 1);
}

bool dec_emit(struct decoder *d, const struct khp_op *op)
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

bool dec_room(const struct decoder *d, size_t n)
{
	return !d->err && d->prog->nr_ops + n <= d->max_ops;
}

void dec_op_init(struct khp_op *op, enum khp_op_type t, unsigned mm)
{
	memset(op, 0, sizeof(*op));
	op->type = (uint8_t)t;
	op->mm = mm;
}

unsigned dec_nr_alive(const struct decoder *d)
{
	unsigned n = 0;

	for (unsigned i = 0; i < d->nr_ids; i++)
		n += d->mm[i].alive;
	return n;
}

int dec_pick_mm(const struct decoder *d, unsigned n)
{
	unsigned alive = dec_nr_alive(d);

	if (!alive)
		return -1;
	n %= alive;
	for (unsigned i = 0; i < d->nr_ids; i++)
		if (d->mm[i].alive && !n--)
			return (int)i;
	return -1;
}

/*
 * A VMA and one of its PMD ranges are picked by one byte, the offset in
 * the PMD range by dec_value(); the result is clamped into the VMA.
 */
bool dec_pick_addr(struct decoder *d, const struct sh_mm *m, uint64_t *addr, int *vi)
{
	uint32_t b = khp_dp_u8(&d->dp);
	const struct sh_vma *v;
	uint64_t base, npmd, a;

	if (!m->nr)
		return false;
	*vi = (int)((b & 0x0f) % m->nr);
	v = &m->v[*vi];
	base = dec_pmd_down(d, v->start);
	npmd = (v->end - 1 - base) / d->pmd + 1;
	a = base + ((b >> 4) % npmd) * d->pmd + dec_value(d);
	if (a < v->start)
		a = v->start;
	if (a >= v->end)
		a = v->end - 1;
	*addr = a;
	return true;
}

uint64_t dec_pick_len(struct decoder *d, uint64_t addr, uint64_t limit)
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

bool dec_pick_range(struct decoder *d, const struct sh_mm *m, bool need_write,
		    uint64_t *addr, uint64_t *pages)
{
	uint64_t end;
	int vi;

	if (!dec_pick_addr(d, m, addr, &vi))
		return false;
	end = sh_covered_end(m, *addr, need_write);
	if (end <= *addr)
		return false;
	*pages = dec_pick_len(d, *addr, end - *addr);
	return true;
}

uint64_t dec_free_pmd_slot(const struct decoder *d, const struct sh_mm *m,
			   uint64_t first, uint64_t n)
{
	uint64_t a = first * d->pmd;

	while (!sh_free(m, a, a + n) && a < KHP_ADDR_LIMIT / 2)
		a += d->pmd;
	return a;
}

void dec_drop_pins(struct decoder *d, unsigned mm, uint64_t start, uint64_t end)
{
	unsigned j = 0;

	for (unsigned i = 0; i < d->nr_pins; i++)
		if (!(d->pins[i].mm == mm && d->pins[i].addr >= start && d->pins[i].addr < end))
			d->pins[j++] = d->pins[i];
	d->nr_pins = j;
}
