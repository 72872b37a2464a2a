/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The rules table: every behaviour in which the modelled kernels differ is
 * one named field of struct khp_rules.  Each kernel profile is one row of
 * the table in sim/src/mm/rules.c; the model asks `rules->writable_gate`,
 * never the kernel version.  A custom profile is a kernel's row with some
 * fields changed ("linux-6.12+shared=page_mapcount").
 *
 * Fields are small enums (bool-like rules have the values 0 and 1); the
 * names, values, meanings and kernel sources are in the descriptor table
 * that khp_rule_info() returns, and docs/profiles.md is generated from it.
 */
#ifndef KHPSIM_RULES_H
#define KHPSIM_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Which pages count as shared: khugepaged's max_ptes_shared test. */
enum khp_shared_rule {
	KHP_SHARED_PAGE_MAPCOUNT,   /* page_mapcount(page) > 1, per page [6.1] */
	KHP_SHARED_LIKELY_MAPPED,   /* folio_likely_mapped_shared() [6.12] */
	KHP_SHARED_MAYBE_MAPPED,    /* folio_maybe_mapped_shared(), MM-ID [7.3] */
	KHP_SHARED_EXACT,           /* the oracle: another live mm maps this page */
	KHP_NR_SHARED_RULES
};

/* How mTHP collapse applies max_ptes_none to an order below the PMD's. */
enum khp_mthp_none_rule {
	KHP_MTHP_NONE_ZERO_OR_MAX,  /* only 0 and HPAGE_PMD_NR-1 honoured [7.3] */
	KHP_MTHP_NONE_SCALED,       /* max_ptes_none >> (PMD order - o) (v10-v13 series) */
	KHP_MTHP_NONE_SCALED_CAPPED,/* capped to HPAGE_PMD_NR/2 - 1, then scaled */
	KHP_NR_MTHP_NONE_RULES
};

/* How mTHP collapse applies max_ptes_shared and max_ptes_swap to an order below the PMD's. */
enum khp_mthp_limits_rule {
	KHP_MTHP_LIMITS_FAIL_ANY,   /* fail on any shared or swap PTE [7.3] */
	KHP_MTHP_LIMITS_SCALED,     /* the knob >> (PMD order - o); swap PTEs are swapped in */
	KHP_NR_MTHP_LIMITS_RULES
};

/* wp_can_reuse_anon_folio() for a large folio that is not exclusive. */
enum khp_wp_reuse_rule {
	KHP_WP_REUSE_REFCOUNT,      /* refcount == 1, as for small folios [6.1] */
	KHP_WP_REUSE_NEVER,         /* never: always copy [6.12] */
	KHP_WP_REUSE_MM_ID,         /* __wp_can_reuse_large_anon_folio() [7.3] */
	KHP_NR_WP_REUSE_RULES
};

/* do_swap_page() on a read fault: when the PTE is made writable. */
enum khp_swapin_write_rule {
	KHP_SWAPIN_WRITE_NEVER,     /* read-only until the write fault [6.1] */
	KHP_SWAPIN_WRITE_REUSABLE,  /* exclusive or reusable page [6.12] */
	KHP_SWAPIN_WRITE_EXCLUSIVE, /* exclusive page only [7.3] */
	KHP_NR_SWAPIN_WRITE_RULES
};

/* The per-CPU lru_add batch that folio_putback_lru() fills (its size). */
enum khp_lru_batch_rule {
	KHP_LRU_BATCH_15,           /* PAGEVEC_SIZE 15 [6.1] */
	KHP_LRU_BATCH_31,           /* PAGEVEC_SIZE / FOLIO_BATCH_SIZE 31 [6.12, 7.3] */
	KHP_NR_LRU_BATCH_RULES
};

/* hugepage_madvise(): when MADV_HUGEPAGE registers the mm with khugepaged. */
enum khp_hugepage_enter_rule {
	KHP_ENTER_EVERY_CALL,       /* every VMA of the range, before the split [6.1] */
	KHP_ENTER_ON_CHANGE,        /* each VMA whose flags changed, after [6.12.117, 7.3] */
	KHP_NR_HUGEPAGE_ENTER_RULES
};

struct khp_rules {
	/* khugepaged and MADV_COLLAPSE */
	uint8_t shared;               /* enum khp_shared_rule */
	uint8_t young_referenced;     /* PG_young counts as referenced */
	uint8_t writable_gate;        /* no writable PTE: SCAN_PAGE_RO */
	uint8_t uffd_result;          /* uffd-wp PTE: 0 SCAN_PTE_UFFD_WP, 1 SCAN_PTE_UFFD */
	uint8_t lazyfree_skip;        /* khugepaged leaves clean lazyfree folios */
	uint8_t no_pte_table;         /* no table: SCAN_NO_PTE_TABLE (else PMD_NULL/NONE) */
	uint8_t mthp_collapse;        /* khugepaged collapses mTHP orders */
	uint8_t mthp_max_ptes_none;   /* enum khp_mthp_none_rule */
	uint8_t mthp_limits;          /* enum khp_mthp_limits_rule: shared and swap */
	uint8_t collapse_batch;       /* the copy unmaps a folio's PTE run at once */
	uint8_t collapse_none_ebusy;  /* MADV_COLLAPSE: EXCEED_NONE_PTE is EBUSY */
	uint8_t collapse_small_ok;    /* MADV_COLLAPSE of no whole PMD range is 0 */
	uint8_t thp_shrinker;         /* new THPs go on the deferred list (underused) */
	uint8_t lru_batch;            /* enum khp_lru_batch_rule: the put-back batch */
	/* faults */
	uint8_t mthp_fault;           /* anonymous faults map mTHP orders */
	uint8_t fault_referenced;     /* a faulted folio is PG_referenced (MGLRU) */
	uint8_t wp_reuse_large;       /* enum khp_wp_reuse_rule */
	uint8_t huge_zero_wp_thp;     /* a write to the huge zero PMD maps a new THP */
	uint8_t swapin_skip_cache;    /* one-user slot: swap-in bypasses the cache */
	uint8_t swapin_reuse_refcount;/* swap-in reuses a non-exclusive page, refcount 1 */
	uint8_t swapin_free_cache;    /* swap-in always drops the swap cache */
	uint8_t swapin_write;         /* enum khp_swapin_write_rule */
	/* rmap, split, zap */
	uint8_t split_to_zero;        /* a split maps zero-filled pages to the zero page */
	uint8_t deferred_split_all;   /* queue a large folio even when fully unmapped */
	uint8_t split_pmd_dirty;      /* a PMD split moves the dirty bit to PG_dirty */
	uint8_t zap_batch;            /* zap unmaps a folio's PTE run at once */
	uint8_t reclaim_pt;           /* MADV_DONTNEED frees an emptied PTE table */
	uint8_t lazyfree_busy_stays;  /* reclaim leaves a busy clean lazyfree folio lazyfree */
	/* madvise, mprotect, mremap */
	uint8_t madv_shared;          /* enum khp_shared_rule (not exact): large folios */
	uint8_t madv_split_covered;   /* COLD/PAGEOUT/FREE split a covered large folio */
	uint8_t madv_stop_at_shared;  /* the PTE walk stops at a shared large folio */
	uint8_t pageout_clear_young;  /* MADV_PAGEOUT clears the young bits */
	uint8_t hugepage_enter;       /* enum khp_hugepage_enter_rule */
	uint8_t mprotect_pmd_write;   /* mprotect upgrades an exclusive PMD to writable */
	uint8_t mprotect_pte_dirty;   /* mprotect upgrades a PTE only when dirty */
	uint8_t mprotect_batch;       /* mprotect ORs young/dirty over a folio batch */
};

#define KHP_NR_RULES ((unsigned)sizeof(struct khp_rules))

/* One value of a rule: its name in profiles ("page_mapcount") and meaning. */
struct khp_rule_value {
	const char *name;
	const char *meaning;
};

/* One rule: its name ("shared"), meaning, values and each kernel's source. */
struct khp_rule_info {
	const char *name;
	const char *meaning;
	size_t offset;                     /* in struct khp_rules */
	unsigned nr_values;
	const struct khp_rule_value *values;
	const char *source[3];             /* kernel function per enum khp_kernel */
	const char *requires;              /* NULL, or the rule that must be 1 to change it */
};

/* The descriptor of rule i (0 <= i < KHP_NR_RULES), or NULL. */
const struct khp_rule_info *khp_rule_info(unsigned i);
/* The rule named name, or NULL. */
const struct khp_rule_info *khp_rule_find(const char *name);
/* 0, or -EINVAL with msg naming the first rule whose value is out of range. */
int khp_rules_check(const struct khp_rules *r, char *msg, size_t len);
/*
 * 0 when the model can run r: every value in range, and a rule that needs
 * another (khp_rule_info.requires) changed from base only while that one is
 * 1.  Else -EINVAL with msg naming the rules.
 */
int khp_rules_combination(const struct khp_rules *r, const struct khp_rules *base, char *msg,
			  size_t len);
static inline uint8_t khp_rule_get(const struct khp_rules *r, const struct khp_rule_info *ri)
{
	return ((const uint8_t *)r)[ri->offset];
}

#ifdef __cplusplus
}
#endif

#endif
