/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The khugepaged daemon: khugepaged_do_scan() [6.1, 6.12, 7.3] walks the
 * mm_slot list (mms in registration order: __khugepaged_enter() appends,
 * khugepaged_fork() too), each mm's VMAs in address order and each VMA's
 * whole PMD ranges (khugepaged_scan_mm_slot()), and collapses what it can.
 * A pass here is one full walk of the list; the daemon stops after a pass
 * in which nothing collapsed.  Real pacing is not modelled: no
 * pages_to_scan budget, no sleeps between passes (docs/model.md).
 */
#include <string.h>
#include "khugepaged.h"

/* The next registered live mm after registration number seq, or KHP_MAX_MMS. */
static unsigned next_slot(const struct khp_world *w, uint32_t seq)
{
	unsigned best = KHP_MAX_MMS;

	for (unsigned m = 0; m < w->nr_mms; m++) {
		const struct mm *mm = &w->mms[m];

		if (mm->alive && mm->registered && mm->reg_seq > seq &&
		    (best == KHP_MAX_MMS || mm->reg_seq < w->mms[best].reg_seq))
			best = m;
	}
	return best;
}

/* One range of one mm: a record if khugepaged visited it. */
static int visit(struct khp_world *w, unsigned m, uint64_t addr, unsigned pass,
		 const struct khp_daemon_sink *sink, bool *changed)
{
	struct khp_op one = { .type = KHP_OP_KHUGEPAGED, .mm = m, .addr = addr };
	struct khp_record rec;
	int ret = op_khugepaged(w, &one, &rec);

	if (ret || rec.result == KHP_NOT_VISITED)
		return ret;
	rec.pass = (uint16_t)pass;
	rec.mm = (uint8_t)m;
	rec.addr = addr;
	*changed |= rec.collapsed;
	return sink && sink->record ? sink->record(sink->arg, &rec) : 0;
}

/* khugepaged_scan_mm_slot() over the whole mm m */
static int scan_mm_slot(struct khp_world *w, unsigned m, unsigned pass,
			const struct khp_daemon_sink *sink, bool *changed)
{
	const struct mm *mm = &w->mms[m];
	uint64_t nr = pmd_nr(w);

	for (uint32_t i = 0; i < mm->nr_vmas; i++) {
		uint64_t start = (mm->vmas[i].start + nr - 1) & ~(nr - 1);

		/* a collapse changes no VMA: the bounds are read again after each visit */
		for (uint64_t addr = start; addr + nr <= mm->vmas[i].end; addr += nr) {
			int ret = visit(w, m, addr, pass, sink, changed);

			if (ret)
				return ret;
		}
	}
	return 0;
}

int khugepaged_daemon(struct khp_world *w, unsigned passes, const struct khp_daemon_sink *sink)
{
	for (unsigned pass = 1; pass <= passes; pass++) {
		struct khp_pass p = { .pass = (uint16_t)pass };

		for (unsigned m = next_slot(w, 0); m < KHP_MAX_MMS;
		     m = next_slot(w, w->mms[m].reg_seq)) {
			int ret = scan_mm_slot(w, m, pass, sink, &p.changed);

			if (ret)
				return ret;
		}
		khp_world_totals(w, &p.totals);
		if (sink && sink->pass)
			sink->pass(sink->arg, &p);
		if (!p.changed)
			break;
	}
	return 0;
}
