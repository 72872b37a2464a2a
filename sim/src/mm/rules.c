/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The rules table: one row per modelled kernel, and the descriptor of each
 * rule (name, values, meaning, the kernel function each row mirrors).  The
 * rows were read from Debian's linux-source-6.1, -6.12 and -7.3 packages;
 * docs/profiles.md is generated from this file (`khpsim profiles
 * --markdown`) and a test keeps the two equal.
 */
#include <stdio.h>
#include <string.h>
#include "mm.h"

static const struct khp_rules kernel_rows[KHP_NR_KERNELS] = {
	[KHP_LINUX_6_1] = {
		.shared = KHP_SHARED_PAGE_MAPCOUNT, .young_referenced = 0, .writable_gate = 1,
		.uffd_result = 0, .lazyfree_skip = 0, .no_pte_table = 0, .mthp_collapse = 0,
		.mthp_max_ptes_none = KHP_MTHP_NONE_ZERO_OR_MAX,
		.mthp_limits = KHP_MTHP_LIMITS_FAIL_ANY, .collapse_batch = 0,
		.collapse_none_ebusy = 0, .collapse_small_ok = 0, .thp_shrinker = 0, .lru_batch = KHP_LRU_BATCH_15,
		.mthp_fault = 0, .fault_referenced = 0, .wp_reuse_large = KHP_WP_REUSE_REFCOUNT,
		.huge_zero_wp_thp = 0, .swapin_skip_cache = 1, .swapin_reuse_refcount = 1,
		.swapin_free_cache = 0, .swapin_write = KHP_SWAPIN_WRITE_NEVER,
		.split_to_zero = 0, .deferred_split_all = 1, .split_pmd_dirty = 1, .zap_batch = 0,
		.reclaim_pt = 0, .lazyfree_busy_stays = 0, .madv_shared = KHP_SHARED_PAGE_MAPCOUNT, .madv_split_covered = 1,
		.madv_stop_at_shared = 1, .pageout_clear_young = 1,
		.hugepage_enter = KHP_ENTER_EVERY_CALL, .mprotect_pmd_write = 0,
		.mprotect_pte_dirty = 1, .mprotect_batch = 0,
	},
	[KHP_LINUX_6_12] = {
		.shared = KHP_SHARED_LIKELY_MAPPED, .young_referenced = 1, .writable_gate = 1,
		.uffd_result = 0, .lazyfree_skip = 0, .no_pte_table = 0, .mthp_collapse = 0,
		.mthp_max_ptes_none = KHP_MTHP_NONE_ZERO_OR_MAX,
		.mthp_limits = KHP_MTHP_LIMITS_FAIL_ANY, .collapse_batch = 0,
		.collapse_none_ebusy = 1, .collapse_small_ok = 0, .thp_shrinker = 1, .lru_batch = KHP_LRU_BATCH_31,
		.mthp_fault = 1, .fault_referenced = 0, .wp_reuse_large = KHP_WP_REUSE_NEVER,
		.huge_zero_wp_thp = 0, .swapin_skip_cache = 1, .swapin_reuse_refcount = 1,
		.swapin_free_cache = 0, .swapin_write = KHP_SWAPIN_WRITE_REUSABLE,
		.split_to_zero = 1, .deferred_split_all = 0, .split_pmd_dirty = 0, .zap_batch = 1,
		.reclaim_pt = 0, .lazyfree_busy_stays = 0, .madv_shared = KHP_SHARED_LIKELY_MAPPED, .madv_split_covered = 0,
		.madv_stop_at_shared = 0, .pageout_clear_young = 0,
		.hugepage_enter = KHP_ENTER_ON_CHANGE, .mprotect_pmd_write = 1,
		.mprotect_pte_dirty = 0, .mprotect_batch = 0,
	},
	[KHP_LINUX_7_3] = {
		.shared = KHP_SHARED_MAYBE_MAPPED, .young_referenced = 1, .writable_gate = 0,
		.uffd_result = 1, .lazyfree_skip = 1, .no_pte_table = 1, .mthp_collapse = 1,
		.mthp_max_ptes_none = KHP_MTHP_NONE_ZERO_OR_MAX,
		.mthp_limits = KHP_MTHP_LIMITS_FAIL_ANY, .collapse_batch = 1,
		.collapse_none_ebusy = 1, .collapse_small_ok = 1, .thp_shrinker = 1, .lru_batch = KHP_LRU_BATCH_31,
		.mthp_fault = 1, .fault_referenced = 1, .wp_reuse_large = KHP_WP_REUSE_MM_ID,
		.huge_zero_wp_thp = 1, .swapin_skip_cache = 0, .swapin_reuse_refcount = 0,
		.swapin_free_cache = 1, .swapin_write = KHP_SWAPIN_WRITE_EXCLUSIVE,
		.split_to_zero = 1, .deferred_split_all = 0, .split_pmd_dirty = 0, .zap_batch = 1,
		.reclaim_pt = 1, .lazyfree_busy_stays = 1, .madv_shared = KHP_SHARED_MAYBE_MAPPED, .madv_split_covered = 0,
		.madv_stop_at_shared = 0, .pageout_clear_young = 0,
		.hugepage_enter = KHP_ENTER_ON_CHANGE, .mprotect_pmd_write = 1,
		.mprotect_pte_dirty = 0, .mprotect_batch = 1,
	},
};

const struct khp_rules *khp_kernel_rules(enum khp_kernel k)
{
	return (unsigned)k < KHP_NR_KERNELS ? &kernel_rows[k] : NULL;
}

static const struct khp_rule_value no_yes[] = {
	{ "0", "no" }, { "1", "yes" },
};

static const struct khp_rule_value shared_values[] = {
	{ "page_mapcount", "page_mapcount(page) > 1: this page is mapped more than once" },
	{ "likely_mapped_shared",
	  "folio_likely_mapped_shared(): folio-wide, guessed from the first subpage" },
	{ "maybe_mapped_shared",
	  "folio_maybe_mapped_shared(): MM-ID slots; per folio, so a page another mm "
	  "no longer maps still counts as shared; sticky beyond two mms" },
	{ "exact", "another live mm maps this very page (the oracle)" },
};

/* MADV_COLD / PAGEOUT / FREE have no oracle variant: the kernels' three tests */
static const struct khp_rule_value madv_shared_values[] = {
	{ "page_mapcount", "page_mapcount() of the page met (subpage 0 for MADV_FREE) != 1" },
	{ "likely_mapped_shared", "folio_likely_mapped_shared()" },
	{ "maybe_mapped_shared", "folio_maybe_mapped_shared()" },
};

static const struct khp_rule_value mthp_none_values[] = {
	{ "zero_or_max", "only 0 and HPAGE_PMD_NR-1 are honoured; other values act as 0" },
	{ "scaled", "max_ptes_none >> (PMD order - o): a collapse can qualify the next order "
		    "once max_ptes_none >= HPAGE_PMD_NR/2 (creep)" },
	{ "scaled_capped", "values of at least HPAGE_PMD_NR/2 capped to HPAGE_PMD_NR/2 - 1, "
			   "then scaled: no creep" },
};

static const struct khp_rule_value mthp_limits_values[] = {
	{ "fail_any", "an mTHP collapse fails on any shared or swap PTE" },
	{ "scaled", "max_ptes_shared and max_ptes_swap >> (PMD order - o); swap PTEs are "
		    "swapped in" },
};

static const struct khp_rule_value wp_reuse_values[] = {
	{ "refcount", "reuse when the folio's refcount is 1, as for a small folio" },
	{ "never", "never reuse a large folio that is not exclusive: copy" },
	{ "mm_id", "reuse when more than one page is mapped, the MM-ID shared bit is "
		   "clear and no reference is left beyond the mappings" },
};

static const struct khp_rule_value swapin_write_values[] = {
	{ "never", "a read fault maps the page read-only" },
	{ "reusable", "a read fault maps an exclusive or reusable page writable" },
	{ "exclusive", "a read fault maps only an exclusive page writable" },
};

static const struct khp_rule_value lru_batch_values[] = {
	{ "15", "15 folios (PAGEVEC_SIZE)" },
	{ "31", "31 folios (PAGEVEC_SIZE / FOLIO_BATCH_SIZE)" },
};

static const struct khp_rule_value enter_values[] = {
	{ "every_call", "khugepaged_enter_vma() for every VMA of the range, before the change" },
	{ "on_change", "khugepaged_enter_vma() for each VMA whose flags changed, after" },
};

#define BOOL_RULE(field, meaning, s61, s612, s73)					\
	{ #field, meaning, offsetof(struct khp_rules, field), 2, no_yes,		\
	  { s61, s612, s73 }, NULL }
#define ENUM_RULE(field, meaning, vals, s61, s612, s73)					\
	ENUM_RULE_IF(field, meaning, vals, s61, s612, s73, NULL)
/* a rule that only means something while rule `req` is 1 */
#define ENUM_RULE_IF(field, meaning, vals, s61, s612, s73, req)				\
	{ #field, meaning, offsetof(struct khp_rules, field),				\
	  sizeof(vals) / sizeof(vals[0]), vals, { s61, s612, s73 }, req }

static const struct khp_rule_info rules[] = {
	ENUM_RULE(shared, "which PTEs count against max_ptes_shared (scan and isolate)",
		  shared_values, "hpage_collapse_scan_pmd(): page_mapcount() [6.1]",
		  "hpage_collapse_scan_pmd(): folio_likely_mapped_shared() [6.12]",
		  "collapse_scan_pmd(): folio_maybe_mapped_shared() [7.3]"),
	BOOL_RULE(young_referenced, "PG_young (page idle tracking) counts as referenced",
		  "folio_test_young() is always false without PAGE_IDLE_FLAG [6.1]",
		  "hpage_collapse_scan_pmd(): folio_test_young() [6.12]",
		  "collapse_scan_pmd(): folio_test_young() [7.3]"),
	BOOL_RULE(writable_gate, "a range with no writable PTE fails SCAN_PAGE_RO",
		  "hpage_collapse_scan_pmd(), __collapse_huge_page_isolate(): writable [6.1]",
		  "same [6.12]", "removed: no writable tracking [7.3]"),
	BOOL_RULE(uffd_result, "a uffd-wp PTE fails SCAN_PTE_UFFD (1) or SCAN_PTE_UFFD_WP (0)",
		  "SCAN_PTE_UFFD_WP [6.1]", "SCAN_PTE_UFFD_WP [6.12]",
		  "renamed SCAN_PTE_UFFD [7.3]"),
	BOOL_RULE(lazyfree_skip, "khugepaged leaves a clean lazyfree folio: SCAN_PAGE_LAZYFREE",
		  "absent [6.1]", "absent [6.12]",
		  "collapse_scan_pmd(): folio_test_lazyfree() && !pte_dirty() [7.3]"),
	BOOL_RULE(no_pte_table, "a range without a page table fails SCAN_NO_PTE_TABLE",
		  "find_pmd_or_thp_or_none(): SCAN_PMD_NULL / SCAN_PMD_NONE [6.1]", "same [6.12]",
		  "find_pmd_or_thp_or_none(): SCAN_NO_PTE_TABLE [7.3]"),
	BOOL_RULE(mthp_collapse, "khugepaged collapses to the enabled mTHP orders too",
		  "absent [6.1]", "absent: mTHP only at fault [6.12]",
		  "mthp_collapse(), hugepage_enabled() [7.3]"),
	ENUM_RULE_IF(mthp_max_ptes_none, "how an mTHP collapse of order o applies max_ptes_none",
		     mthp_none_values, "no mTHP collapse [6.1]", "no mTHP collapse [6.12]",
		     "collapse_max_ptes_none() [7.3]", "mthp_collapse"),
	ENUM_RULE_IF(mthp_limits, "how an mTHP collapse of order o applies max_ptes_shared and "
		     "max_ptes_swap", mthp_limits_values, "no mTHP collapse [6.1]",
		     "no mTHP collapse [6.12]", "collapse_max_ptes_shared/swap(): 0 below PMD [7.3]",
		     "mthp_collapse"),
	BOOL_RULE(collapse_batch, "the collapse copy unmaps a folio's PTE run at once",
		  "__collapse_huge_page_copy_succeeded(): per PTE [6.1]", "per PTE [6.12]",
		  "__collapse_huge_page_copy_succeeded(): folio_pte_batch() [7.3]"),
	BOOL_RULE(collapse_none_ebusy, "MADV_COLLAPSE: SCAN_EXCEED_NONE_PTE is EBUSY, not EINVAL",
		  "madvise_collapse_errno(): EINVAL [6.1]", "madvise_collapse_errno(): EBUSY [6.12]",
		  "EBUSY [7.3]"),
	BOOL_RULE(collapse_small_ok, "MADV_COLLAPSE of a range holding no whole PMD range is 0",
		  "madvise_collapse(): EINVAL [6.1]", "EINVAL [6.12]", "0 [7.3]"),
	BOOL_RULE(thp_shrinker, "new THPs go on the deferred split list for the underused shrinker",
		  "absent [6.1]", "deferred_split_folio(folio, false), thp_underused() [6.12]",
		  "same [7.3]"),
	ENUM_RULE(lru_batch, "folios the per-CPU lru_add batch holds before it drains: a collapse "
		  "puts isolated folios back through it (release_pte_pages(), folio_putback_lru())",
		  lru_batch_values, "PAGEVEC_SIZE 15 [6.1]", "PAGEVEC_SIZE 31 [6.12]",
		  "FOLIO_BATCH_SIZE 31 [7.3]"),
	BOOL_RULE(mthp_fault, "anonymous write faults map the largest enabled mTHP order",
		  "absent [6.1]", "alloc_anon_folio() [6.12]", "alloc_anon_folio() [7.3]"),
	BOOL_RULE(fault_referenced, "a folio added in a fault is PG_referenced",
		  "no [6.1]", "no [6.12]",
		  "folio_add_lru(): lru_gen_in_fault() -> folio_mark_accessed() [7.3]"),
	ENUM_RULE(wp_reuse_large, "a write fault's reuse of a large folio that is not exclusive",
		  wp_reuse_values, "wp_can_reuse_anon_folio(): refcount [6.1]",
		  "wp_can_reuse_anon_folio(): never [6.12]",
		  "__wp_can_reuse_large_anon_folio() [7.3]"),
	BOOL_RULE(huge_zero_wp_thp, "a write to the huge zero PMD maps a new THP",
		  "split, one 4 KiB page [6.1]", "same [6.12]", "do_huge_zero_wp_pmd() [7.3]"),
	BOOL_RULE(swapin_skip_cache, "swap-in of a slot with one user bypasses the swap cache",
		  "do_swap_page(): SWP_SYNCHRONOUS_IO [6.1]", "same [6.12]",
		  "through the swap cache [7.3]"),
	BOOL_RULE(swapin_reuse_refcount, "swap-in reuses a non-exclusive page whose refcount is 1",
		  "do_swap_page() [6.1]", "do_swap_page() [6.12]", "exclusive pages only [7.3]"),
	BOOL_RULE(swapin_free_cache, "swap-in always drops the swap cache",
		  "should_try_to_free_swap(): write faults [6.1]", "same [6.12]",
		  "should_try_to_free_swap(): always [7.3]"),
	ENUM_RULE(swapin_write, "which pages a swap-in read fault maps writable",
		  swapin_write_values, "do_swap_page() [6.1]", "do_swap_page() [6.12]",
		  "do_swap_page() [7.3]"),
	BOOL_RULE(split_to_zero, "splitting a large folio maps its zero-filled pages to the zero page",
		  "absent [6.1]", "try_to_map_unused_to_zeropage() [6.12]", "same [7.3]"),
	BOOL_RULE(deferred_split_all, "a large folio is queued for deferred split even when fully unmapped",
		  "page_remove_rmap() [6.1]", "__folio_remove_rmap(): partially mapped only [6.12]",
		  "same [7.3]"),
	BOOL_RULE(split_pmd_dirty, "a PMD split moves the dirty bit to PG_dirty, PTEs clean",
		  "__split_huge_pmd_locked() [6.1]", "PTEs keep the dirty bit [6.12]",
		  "same [7.3]"),
	BOOL_RULE(zap_batch, "zap unmaps a folio's PTE run at once",
		  "zap_pte_range(): per PTE [6.1]", "zap_present_ptes(): folio_pte_batch() [6.12]",
		  "same [7.3]"),
	BOOL_RULE(reclaim_pt, "MADV_DONTNEED of a whole table frees the empty PTE table",
		  "absent [6.1]", "absent [6.12]", "CONFIG_PT_RECLAIM: try_to_free_pte() [7.3]"),
	BOOL_RULE(lazyfree_busy_stays, "reclaim leaves a clean lazyfree folio it cannot discard "
		  "(an extra reference) lazyfree instead of swap-backed",
		  "try_to_unmap_one(): folio_set_swapbacked() [6.1]", "same [6.12]",
		  "ttu_anon_lazyfree_folio(): left lazyfree [7.3]"),
	ENUM_RULE(madv_shared, "which large folios MADV_COLD / PAGEOUT / FREE treat as shared",
		  madv_shared_values, "madvise_cold_or_pageout_pte_range(): page_mapcount() [6.1]",
		  "folio_likely_mapped_shared() [6.12]", "folio_maybe_mapped_shared() [7.3]"),
	BOOL_RULE(madv_split_covered, "MADV_COLD / PAGEOUT / FREE split a large folio the range covers",
		  "madvise_cold_or_pageout_pte_range(): always split [6.1]",
		  "split unless covered whole [6.12]", "same [7.3]"),
	BOOL_RULE(madv_stop_at_shared, "the MADV_COLD / PAGEOUT / FREE walk stops at a shared large folio",
		  "madvise_cold_or_pageout_pte_range(): break [6.1]", "skip it [6.12]",
		  "same [7.3]"),
	BOOL_RULE(pageout_clear_young, "MADV_PAGEOUT clears the young bits as MADV_COLD does",
		  "madvise_cold_or_pageout_pte_range(): ptep_test_and_clear_young() [6.1]",
		  "only for MADV_COLD [6.12]", "same [7.3]"),
	ENUM_RULE(hugepage_enter, "when MADV_HUGEPAGE registers the mm with khugepaged",
		  enter_values, "hugepage_madvise() [6.1]", "madvise_update_vma() [6.12.117]",
		  "madvise_update_vma() [7.3]"),
	BOOL_RULE(mprotect_pmd_write, "mprotect(PROT_WRITE) makes an exclusive PMD writable",
		  "change_huge_pmd(): never [6.1]", "change_huge_pmd() [6.12]", "same [7.3]"),
	BOOL_RULE(mprotect_pte_dirty, "mprotect(PROT_WRITE) upgrades an exclusive PTE only when dirty",
		  "can_change_pte_writable() [6.1]", "exclusive is enough [6.12]", "same [7.3]"),
	BOOL_RULE(mprotect_batch, "mprotect ORs young and dirty over a large folio's PTE batch",
		  "per PTE [6.1]", "per PTE [6.12]", "change_pte_range(): folio_pte_batch() [7.3]"),
};

_Static_assert(sizeof(rules) / sizeof(rules[0]) == KHP_NR_RULES,
	       "every field of struct khp_rules has a descriptor");

const struct khp_rule_info *khp_rule_info(unsigned i)
{
	return i < KHP_NR_RULES ? &rules[i] : NULL;
}

const struct khp_rule_info *khp_rule_find(const char *name)
{
	for (unsigned i = 0; i < KHP_NR_RULES; i++)
		if (!strcmp(rules[i].name, name))
			return &rules[i];
	return NULL;
}

int khp_rules_check(const struct khp_rules *r, char *msg, size_t len)
{
	for (unsigned i = 0; i < KHP_NR_RULES; i++) {
		uint8_t v = khp_rule_get(r, &rules[i]);

		if (v >= rules[i].nr_values) {
			if (msg)
				snprintf(msg, len, "rule %s: value %u out of range", rules[i].name, v);
			return -EINVAL;
		}
	}
	return 0;
}

int khp_rules_combination(const struct khp_rules *r, const struct khp_rules *base, char *msg,
			  size_t len)
{
	int ret = khp_rules_check(r, msg, len);

	if (ret)
		return ret;
	for (unsigned i = 0; i < KHP_NR_RULES; i++) {
		const struct khp_rule_info *ri = &rules[i], *req;

		if (!ri->requires || khp_rule_get(r, ri) == khp_rule_get(base, ri))
			continue;
		req = khp_rule_find(ri->requires);
		if (!khp_rule_get(r, req)) {
			if (msg)
				snprintf(msg, len, "rule %s means nothing while %s=0 (set %s=1 too)",
					 ri->name, req->name, req->name);
			return -EINVAL;
		}
	}
	return 0;
}
