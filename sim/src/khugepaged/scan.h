/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside the per-PMD scan: what scan.c (the kernel's PTE loop) and
 * scan_sums.c (the packed sums that stand in for it until a PTE fails)
 * share.  Private to khugepaged/.
 */
#ifndef KHPSIM_KHUGEPAGED_SCAN_H
#define KHPSIM_KHUGEPAGED_SCAN_H

#include "khugepaged.h"

/* The limits of one scan; MADV_COLLAPSE ignores none/swap/shared (cc->is_khugepaged). */
struct scan_limits {
	unsigned none, swap, shared;
};

/* The counters of the PTE loop; they reach the scan_state on every exit. */
struct scan_counts {
	unsigned none, unmapped, shared, referenced, sh_exact, sh_profile;
	unsigned pte_flags;     /* OR of the present PTEs' flags seen: writable */
};

/* The folio-wide shared predicate of rule, false for the per-page ones. */
static inline bool folio_wide_shared(enum khp_shared_rule rule, const struct folio *f)
{
	return rule == KHP_SHARED_LIKELY_MAPPED ? folio_likely_mapped_shared(f) :
	       rule == KHP_SHARED_MAYBE_MAPPED ? folio_maybe_mapped_shared(f) : false;
}

static inline bool shared_per_page(enum khp_shared_rule rule)
{
	return rule == KHP_SHARED_PAGE_MAPCOUNT || rule == KHP_SHARED_EXACT;
}

/*
 * The sums of the PTE table ptes (scan_sums.c): the counts of the PTEs
 * before the returned index into *c.  Every one of them passes the scan;
 * the kernel's loop must go on from the returned index, where the scan
 * fails (pmd_nr(): none fails, *c is the whole range).
 */
unsigned scan_sums(struct khp_world *w, const struct pte *ptes, bool khugepaged,
		   const struct scan_limits *l, struct scan_counts *c);

#endif
