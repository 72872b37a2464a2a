/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals of the fuzz decoder (khpsim/decode.h), shared by its files:
 *   decode.c          entry point and the decision byte
 *   decode_producer.c the data producer (struct khp_dp)
 *   decode_shadow.c   the shadow VMA table of one mm
 *   decode_operand.c  choosing mms, addresses, lengths; emitting ops
 *   decode_ops.c      one decision -> one op
 *   decode_macros.c   one decision -> several ops
 *   decode_opts.c     options, the environment, config bytes
 *
 * The shadow mirrors what the world needs to accept an op:
 *   - the acting mm is alive; fork children get fresh, never-used ids;
 *   - ranges lie in VMAs (mremap: inside one VMA; touch with write: in
 *     writable VMAs), mmap and mremap destinations lie in free space;
 *   - unpin names a page the decoder pinned and that was not zapped since.
 * Shadow VMAs are split whenever the world could split (mprotect, madvise,
 * munmap, mremap) and never merged, so "inside one shadow VMA" implies
 * "inside one world VMA" whatever the world merges.
 *
 * The shadow table of an mm has room for SH_MAX_VMAS entries and can never
 * overflow: sh_insert() is its only way to grow and refuses when it is
 * full, and every function that changes the table returns false (leaving
 * the entries within bounds) when the result would not fit.  An op that
 * changes VMAs is therefore applied to a copy of the mm's table first and
 * emitted only if the copy took the change (decode_ops.c, decode_macros.c);
 * the copy then replaces the table.
 */
#ifndef KHPSIM_SEARCH_DECODE_INT_H
#define KHPSIM_SEARCH_DECODE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "khpsim/decode.h"

#define SH_MAX_VMAS   24u
#define SH_MAX_PINS   8u
#define SH_MAX_MMS    KHP_MAX_MMS

/* ---- the shadow VMA table (decode_shadow.c) ----------------------------- */
struct sh_vma {
	uint64_t start, end;    /* [start, end) in pages */
	bool write;
	uint8_t thp;            /* KHP_OPF_HUGEPAGE / KHP_OPF_NOHUGEPAGE / 0 */
	bool uffd;
};

struct sh_mm {
	bool alive;
	unsigned nr;            /* entries in v, <= SH_MAX_VMAS */
	struct sh_vma v[SH_MAX_VMAS];   /* sorted by start, non-overlapping */
};

/* Index of the VMA containing addr, or -1. */
int sh_find(const struct sh_mm *m, uint64_t addr);
/* [start, end) is non-empty, below KHP_ADDR_LIMIT and overlaps no VMA. */
bool sh_free(const struct sh_mm *m, uint64_t start, uint64_t end);
/* Insert v in start order; false (nothing written) when the table is full. */
bool sh_insert(struct sh_mm *m, const struct sh_vma *v);
/* Split the VMA containing addr at addr (true and no change at a boundary
 * or in a hole); false when the table is full. */
bool sh_split_at(struct sh_mm *m, uint64_t addr);
/* Remove [start, end) from the VMAs; false (no change) when a VMA strictly
 * containing the range cannot be cut in two for lack of room. */
bool sh_remove(struct sh_mm *m, uint64_t start, uint64_t end);
/* Split at both ends of [start, end), then set write (unless < 0) and thp
 * (unless 0xff) of the VMAs inside; false (table unchanged) if the splits
 * do not fit. */
bool sh_modify(struct sh_mm *m, uint64_t start, uint64_t end, int write, uint8_t thp);
/* The shadow after mremap op of a range inside VMA vi, applied to m
 * (decode_ops.c); false (m within bounds) when it does not fit. */
bool sh_mremap(struct sh_mm *m, const struct khp_op *op, int vi);
/* End of the run of adjacent VMAs from addr (writable ones if need_write). */
uint64_t sh_covered_end(const struct sh_mm *m, uint64_t addr, bool need_write);

/* ---- the decoder's state -------------------------------------------------- */
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

/* ---- operands and output (decode_operand.c) ------------------------------- */
/* Boundary value i & 7: 0, 1, pmd/2-1, pmd/2, pmd/2+1, pmd-1, pmd, 2*pmd. */
uint64_t dec_boundary(const struct decoder *d, unsigned i);
/* A page count or offset: a boundary value, or any value in [0, 2 * pmd]. */
uint64_t dec_value(struct decoder *d);
/* Append op unless the program is full or an error is pending. */
bool dec_emit(struct decoder *d, const struct khp_op *op);
/* Room for n more ops. */
bool dec_room(const struct decoder *d, size_t n);
void dec_op_init(struct khp_op *op, enum khp_op_type t, unsigned mm);
unsigned dec_nr_alive(const struct decoder *d);
/* The n-th live mm (n modulo the live count); -1 if none is alive. */
int dec_pick_mm(const struct decoder *d, unsigned n);
static inline uint64_t dec_pmd_down(const struct decoder *d, uint64_t a)
{
	return a - a % d->pmd;
}
/* An address inside a VMA of m (index in *vi); false if m has no VMA. */
bool dec_pick_addr(struct decoder *d, const struct sh_mm *m, uint64_t *addr, int *vi);
/* A length in [1, limit] (0 from the bytes: to the end of the PMD range). */
uint64_t dec_pick_len(struct decoder *d, uint64_t addr, uint64_t limit);
/* addr and a length inside the covered run from addr. */
bool dec_pick_range(struct decoder *d, const struct sh_mm *m, bool need_write,
		    uint64_t *addr, uint64_t *pages);
/* First PMD-aligned free range of n pages at PMD index >= first. */
uint64_t dec_free_pmd_slot(const struct decoder *d, const struct sh_mm *m,
			   uint64_t first, uint64_t n);
/* Emit MADV_DONTNEED or munmap (t) of [addr, addr + pages), which lies in
 * adjacent VMAs of mm: the shadow and the pins follow; false when the op
 * does not fit (program or shadow table full; nothing changed). */
bool dec_emit_zap(struct decoder *d, unsigned mm, enum khp_op_type t, uint64_t addr,
		  uint64_t pages);
/* Forget the pins of mm in [start, end). */
void dec_drop_pins(struct decoder *d, unsigned mm, uint64_t start, uint64_t end);

/* ---- decisions (decode_ops.c, decode_macros.c) ---------------------------- */
void dec_mmap(struct decoder *d, unsigned mm);
void dec_touch(struct decoder *d, unsigned mm, bool write);
void dec_fork(struct decoder *d, unsigned mm);
void dec_exit(struct decoder *d, unsigned mm);
void dec_zap(struct decoder *d, unsigned mm, enum khp_op_type t);
void dec_mremap(struct decoder *d, unsigned mm);
void dec_mprotect(struct decoder *d, unsigned mm);
void dec_madvise(struct decoder *d, unsigned mm);
void dec_pin(struct decoder *d, unsigned mm);
void dec_unpin(struct decoder *d);
void dec_age(struct decoder *d, unsigned mm);
void dec_khugepaged(struct decoder *d, unsigned mm);
void dec_collapse(struct decoder *d, unsigned mm);
void dec_simple(struct decoder *d, enum khp_op_type t);
void dec_m_thp(struct decoder *d, unsigned mm);
void dec_m_fork_keep(struct decoder *d, unsigned mm);
void dec_m_scan_all(struct decoder *d);
void dec_m_cow(struct decoder *d, unsigned mm);
void dec_m_mosaic(struct decoder *d, unsigned mm);

/* ---- config bytes (decode_opts.c) ----------------------------------------- */
void dec_config(struct decoder *d, struct khp_config *c);

#endif /* KHPSIM_SEARCH_DECODE_INT_H */
