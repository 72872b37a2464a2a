/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * khugepaged and MADV_COLLAPSE over the mm model: the PMD-range scan
 * (scan.c), the collapse (collapse.c) and the per-step record they fill.
 */
#ifndef KHPSIM_KHUGEPAGED_H
#define KHPSIM_KHUGEPAGED_H

#include "mm/mm.h"

/* ---- scan.c / collapse.c --------------------------------------------- */
struct scan_state {
	enum scan_result result;
	unsigned none_or_zero, unmapped, referenced, shared;
	bool writable;
	bool loop_done;        /* the PTE loop ran to the end (passed every gate) */
	unsigned shared_exact;   /* whole range, no early exit: another mm maps the page */
	unsigned shared_profile; /* whole range, no early exit: the profile's predicate */
	bool bitmap;           /* present[] was filled (7.3 with mTHP orders) */
	uint32_t present[KHP_PMD_PAGES_MAX / 32]; /* 7.3: present-PTE bitmap */
};
void scan_pmd(struct khp_world *w, struct mm *mm, struct vma *v, uint64_t index,
	      bool khugepaged, struct scan_state *ss);
/* The same scan by the kernel's loop alone, PTE by PTE (what tests compare scan_pmd() with). */
void scan_pmd_reference(struct khp_world *w, struct mm *mm, struct vma *v, uint64_t index,
			bool khugepaged, struct scan_state *ss);
enum scan_result find_pmd_or_thp_or_none(struct khp_world *w, struct mm *mm, uint64_t index);
int op_khugepaged(struct khp_world *w, const struct khp_op *op, struct khp_record *rec);
int op_collapse(struct khp_world *w, const struct khp_op *op, struct khp_record *rec);
enum scan_result collapse_huge_page(struct khp_world *w, struct mm *mm, uint64_t index,
				    unsigned offset, unsigned order, bool khugepaged,
				    unsigned unmapped, struct khp_record *rec);
unsigned collapse_max_ptes_none(const struct khp_world *w, const struct vma *v, unsigned order,
				bool khugepaged);
unsigned mthp_max_ptes_none(const struct khp_world *w, unsigned order);

/* ---- daemon.c -------------------------------------------------------- */
int khugepaged_daemon(struct khp_world *w, unsigned passes, const struct khp_daemon_sink *sink);

/* ---- mthp.c ---------------------------------------------------------- */
enum scan_result mthp_collapse(struct khp_world *w, struct mm *mm, struct vma *v,
			       uint64_t index, const struct scan_state *ss,
			       struct khp_record *rec);

/* ---- record.c -------------------------------------------------------- */
/*
 * What one collapse attempt did besides allocating and freeing: pages
 * zero-filled, copies another mm still maps, pages copied, old PTEs
 * cleared, TLB flushes (docs/model.md#the-cost-of-a-collapse).
 */
struct collapse_acct {
	long fill, dup, copied, cleared, flushes;
};

void record_scan(struct khp_record *rec, const struct scan_state *ss);
void record_collapse(struct khp_record *rec, const struct khp_world *w,
		     const struct vm_events *before, const struct collapse_acct *acct,
		     enum scan_result r);
void record_verdict(const struct khp_world *w, const struct vma *v, const struct scan_state *ss,
		    enum scan_result r, struct khp_record *rec);
void record_step_end(struct khp_world *w, struct khp_record *rec);

#endif
