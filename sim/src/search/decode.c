/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fuzz decoder (khpsim/decode.h): bytes -> a valid program.
 *
 * A decision byte selects what to emit (low 5 bits, enum khp_dec_sel) and
 * which live mm acts (high 3 bits, modulo the live mms).  Further bytes
 * pick VMAs, PMD-relative offsets and lengths (decode_operand.c).  The
 * shadow of the world that keeps every emitted op valid, and the files of
 * the decoder, are described in decode_int.h.
 */
#include <errno.h>
#include <stdlib.h>

#include "decode_int.h"

static void dec_one(struct decoder *d)
{
	uint32_t b = khp_dp_u8(&d->dp);
	uint32_t sel = b & 31;
	int mm = dec_pick_mm(d, b >> 5);

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
	case KHP_DEC_M_MOSAIC: dec_m_mosaic(d, mm); break;
	}
}

int khp_decode_spans(const uint8_t *data, size_t size, const struct khp_decode_opts *o,
		     struct khp_program *out, struct khp_decode_spans *sp)
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
	if (sp) {
		sp->prefix = d->dp.pos;
		sp->nr = 0;
	}
	while (!khp_dp_empty(&d->dp) && !d->err && out->nr_ops < d->max_ops) {
		if (sp && sp->nr++ < sp->max)
			sp->start[sp->nr - 1] = d->dp.pos;
		dec_one(d);
	}
	if (sp)
		sp->end = d->dp.pos;
	ret = d->err;
	free(d);
	return ret;
}

int khp_decode(const uint8_t *data, size_t size, const struct khp_decode_opts *o,
	       struct khp_program *out)
{
	return khp_decode_spans(data, size, o, out, NULL);
}
