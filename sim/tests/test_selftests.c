/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The anonymous cases of the kernel selftest tools/testing/selftests/mm/
 * khugepaged.c (KR section 8.2) as programs, in both contexts:
 *   K (khugepaged): setup with 4 KiB faults, then MADV_HUGEPAGE (makes the
 *     VMA eligible and registers the mm, KR 2.3), then one khugepaged
 *     visit per PMD range;
 *   M (MADV_COLLAPSE): MADV_HUGEPAGE, then MADV_COLLAPSE over the area.
 * Config as the selftest pushes it: thp=madvise (M: enabled=never, which
 * MADV_COLLAPSE ignores), use_zero_page=0, max_ptes_none=511,
 * max_ptes_swap=64, max_ptes_shared=256, a swap device.  The knob pushes of
 * single cases are set in the config up front (the knobs they change are
 * only read by the khugepaged steps that follow).
 *
 * "Expect collapsed" is checked on the record (K: SCAN_SUCCEED and a
 * huge page installed; M: errno 0 and one huge page per PMD range) and
 * the PMD map is printed on failure.  The phase-2 parts follow each
 * phase 1 in the same program.
 */
#include "khp_test.h"

#include <errno.h>

#define N    512u
#define B    T_SELFTEST_BASE

enum ctx { CTX_K, CTX_M };

static void sel_prog(struct khp_program *p, enum ctx c, bool thp_at_fault)
{
	struct khp_config *cfg;

	t_prog(p, N);
	cfg = t_cfg(p);
	cfg->thp = (c == CTX_M && !thp_at_fault) ? KHP_THP_NEVER : KHP_THP_MADVISE;
	cfg->use_zero_page = false;
	cfg->max_ptes_none = 511;
	cfg->max_ptes_swap = 64;
	cfg->max_ptes_shared = 256;
	cfg->swap = true;
}

/*
 * The context's collapse of nr PMD ranges at addr in mm.  Returns the
 * step of the first khugepaged op (K; one per range follows) or of the
 * MADV_COLLAPSE (M).
 */
static size_t sel_collapse(struct khp_program *p, enum ctx c, unsigned mm, uint64_t addr,
			   unsigned nr)
{
	size_t first;
	unsigned i;

	t_madvise(p, mm, addr, (uint64_t)nr * N, KHP_ADV_HUGEPAGE);
	if (c == CTX_M)
		return t_collapse(p, mm, addr, (uint64_t)nr * N);
	first = t_khugepaged(p, mm, addr);
	for (i = 1; i < nr; i++)
		t_khugepaged(p, mm, addr + (uint64_t)i * N);
	return first;
}

/* Check the context's outcome in run r: collapsed (expect) or not. */
static void sel_check(struct t_run *r, enum ctx c, size_t step, unsigned nr, bool expect)
{
	unsigned i;

	if (c == CTX_M) {
		if (expect) {
			T_ERRNO(r, step, 0);
			T_EQ(r, step, nr_collapsed, nr);
		} else {
			T_EQ(r, step, err != 0, true);
			T_EQ(r, step, collapsed, false);
		}
		return;
	}
	for (i = 0; i < nr; i++) {
		if (expect)
			T_RESULT(r, step + i, SCAN_SUCCEED);
		T_EQ(r, step + i, collapsed, expect);
	}
}

/* alloc_hpage(): a PMD-mapped THP from 512 faulted pages and MADV_COLLAPSE. */
static size_t alloc_hpage(struct khp_program *p, uint64_t addr)
{
	size_t step;

	t_mmap(p, 0, addr, N, T_RW);
	t_touch(p, 0, addr, N, true);
	step = t_collapse(p, 0, addr, N);
	t_madvise(p, 0, addr, N, KHP_ADV_HUGEPAGE);
	return step;
}

/* The PMD-split idiom: NOHUGEPAGE on one page (splits VMA and PMD), then on all. */
static void pmd_split_idiom(struct khp_program *p, unsigned mm, uint64_t addr)
{
	t_madvise(p, mm, addr, 1, KHP_ADV_NOHUGEPAGE);
	t_madvise(p, mm, addr, N, KHP_ADV_NOHUGEPAGE);
}

/* 1. alloc_at_fault: THP=always, one write -> PMD THP; DONTNEED 4 KiB splits it. */
static void test_selftest_alloc_at_fault(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_totals t;
	unsigned k;
	size_t n;

	for (k = 0; k < KHP_NR_KERNELS; k++) {
		t_prog(&p, N);
		t_cfg(&p)->thp = KHP_THP_ALWAYS;
		t_mmap(&p, 0, B, N, T_RW);
		t_touch(&p, 0, B, 1, true);
		w = T_WORLD(&p, t_kernel_profiles[k]);
		T_W_EQ(w, 0, B, "PMD THP at fault", T_PTE(w, 0, B).kind, KHP_PTE_PMD);
		khp_world_totals(w, &t);
		T_W_EQ(w, 0, B, "pmd_thps", t.pmd_thps[0], 1);
		T_W_EQ(w, 0, B, "pages_in_use", t.pages_in_use, N);
		n = p.nr_ops;
		t_dontneed(&p, 0, B, 1);
		T_PLAY(w, &p, n);
		T_W_EQ(w, 0, B, "split: page 0 none", T_PTE(w, 0, B).kind, KHP_PTE_NONE);
		T_W_EQ(w, 0, B + 1, "split: PTE-mapped", T_PTE(w, 0, B + 1).kind, KHP_PTE_PRESENT);
		khp_world_totals(w, &t);
		T_W_EQ(w, 0, B, "pmd_thps after split", t.pmd_thps[0], 0);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/* 2. collapse_full: 4 PMDs fully faulted: all collapse. */
static void selftest_collapse_full(enum ctx c)
{
	struct khp_program p;
	size_t step;
	unsigned k;

	sel_prog(&p, c, false);
	t_mmap(&p, 0, B, 4 * N, T_RW);
	t_touch(&p, 0, B, 4 * N, true);
	step = sel_collapse(&p, c, 0, B, 4);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		sel_check(&r, c, step, 4, true);
		T_TOTAL(&r, pmd_thps[0], 4);
		T_TOTAL(&r, pages_in_use, 4 * N);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

static void test_selftest_collapse_full_k(void **state) { selftest_collapse_full(CTX_K); }
static void test_selftest_collapse_full_m(void **state) { selftest_collapse_full(CTX_M); }

/* 3. collapse_empty: never touched: not collapsed (K: VMA has no anon_vma). */
static void selftest_collapse_empty(enum ctx c)
{
	struct khp_program p;
	size_t step;
	unsigned k;

	sel_prog(&p, c, false);
	t_mmap(&p, 0, B, N, T_RW);
	step = sel_collapse(&p, c, 0, B, 1);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		sel_check(&r, c, step, 1, false);
		if (c == CTX_K)
			T_RESULT(&r, step, KHP_NOT_VISITED);
		else
			T_ERRNO(&r, step, EINVAL);
		T_TOTAL(&r, pages_in_use, 0);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

static void test_selftest_collapse_empty_k(void **state) { selftest_collapse_empty(CTX_K); }
static void test_selftest_collapse_empty_m(void **state) { selftest_collapse_empty(CTX_M); }

/* 5. collapse_single_pte_entry: page 0 only; none = 511 <= 511. */
static void selftest_single_pte_entry(enum ctx c)
{
	struct khp_program p;
	size_t step;
	unsigned k;

	sel_prog(&p, c, false);
	t_mmap(&p, 0, B, N, T_RW);
	t_touch(&p, 0, B, 1, true);
	step = sel_collapse(&p, c, 0, B, 1);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		sel_check(&r, c, step, 1, true);
		T_EQ(&r, step, none_or_zero, 511);
		T_EQ(&r, step, referenced, c == CTX_K ? 1 : 0);
		T_EQ(&r, step, fill_pages, 511);
		T_EQ(&r, step, freed_pages, 1);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

static void test_selftest_single_pte_entry_k(void **state) { selftest_single_pte_entry(CTX_K); }
static void test_selftest_single_pte_entry_m(void **state) { selftest_single_pte_entry(CTX_M); }

/*
 * 6. collapse_max_ptes_none: max_ptes_none = 256, 255 pages (none = 257):
 * K not collapsed (EXCEED_NONE_PTE), M collapsed.  Phase 2 (K): 256 pages
 * (none = 256) -> collapsed.
 */
static void selftest_max_ptes_none(enum ctx c)
{
	struct khp_program p;
	size_t step, step2 = 0;
	unsigned k;

	sel_prog(&p, c, false);
	t_cfg(&p)->max_ptes_none = 256;
	t_mmap(&p, 0, B, N, T_RW);
	t_touch(&p, 0, B, N - 256 - 1, true);
	step = sel_collapse(&p, c, 0, B, 1);
	if (c == CTX_K) {
		t_touch(&p, 0, B, N - 256, true);
		step2 = t_khugepaged(&p, 0, B);
	}
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		if (c == CTX_K) {
			sel_check(&r, c, step, 1, false);
			T_RESULT(&r, step, SCAN_EXCEED_NONE_PTE);
			T_EQ(&r, step, none_or_zero, 257);
			sel_check(&r, c, step2, 1, true);
			T_EQ(&r, step2, none_or_zero, 256);
		} else {
			sel_check(&r, c, step, 1, true);
			T_EQ(&r, step, none_or_zero, 257);
		}
		t_run_free(&r);
	}
	khp_program_free(&p);
}

static void test_selftest_max_ptes_none_k(void **state) { selftest_max_ptes_none(CTX_K); }
static void test_selftest_max_ptes_none_m(void **state) { selftest_max_ptes_none(CTX_M); }

/* 7. collapse_swapin_single_pte: page 0 paged out; collapsed in both. */
static void selftest_swapin_single_pte(enum ctx c)
{
	struct khp_program p;
	size_t step;
	unsigned k;

	sel_prog(&p, c, false);
	t_mmap(&p, 0, B, N, T_RW);
	t_touch(&p, 0, B, N, true);
	t_madvise(&p, 0, B, 1, KHP_ADV_PAGEOUT);
	step = sel_collapse(&p, c, 0, B, 1);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		sel_check(&r, c, step, 1, true);
		T_EQ(&r, step, unmapped, 1);
		if (c == CTX_K)
			T_EQ(&r, step, referenced, 511);
		T_TOTAL(&r, swap_slots_in_use, 0);
		T_TOTAL(&r, pages_in_use, N);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

static void test_selftest_swapin_single_pte_k(void **state) { selftest_swapin_single_pte(CTX_K); }
static void test_selftest_swapin_single_pte_m(void **state) { selftest_swapin_single_pte(CTX_M); }

/*
 * 8. collapse_max_ptes_swap: 65 paged out: K not collapsed
 * (EXCEED_SWAP_PTE), M collapsed.  Phase 2 (K): re-fault the PMD, page out
 * 64 -> collapsed (64 <= 64, referenced 448 >= 256).
 */
static void selftest_max_ptes_swap(enum ctx c)
{
	struct khp_program p;
	size_t step, step2 = 0;
	unsigned k;

	sel_prog(&p, c, false);
	t_mmap(&p, 0, B, N, T_RW);
	t_touch(&p, 0, B, N, true);
	t_madvise(&p, 0, B, 65, KHP_ADV_PAGEOUT);
	step = sel_collapse(&p, c, 0, B, 1);
	if (c == CTX_K) {
		t_touch(&p, 0, B, N, true);
		t_madvise(&p, 0, B, 64, KHP_ADV_PAGEOUT);
		step2 = t_khugepaged(&p, 0, B);
	}
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		if (c == CTX_K) {
			sel_check(&r, c, step, 1, false);
			T_RESULT(&r, step, SCAN_EXCEED_SWAP_PTE);
			T_EQ(&r, step, unmapped, 65);
			sel_check(&r, c, step2, 1, true);
			T_EQ(&r, step2, unmapped, 64);
			T_EQ(&r, step2, referenced, 448);
		} else {
			sel_check(&r, c, step, 1, true);
			T_EQ(&r, step, unmapped, 65);
		}
		T_TOTAL(&r, swap_slots_in_use, 0);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

static void test_selftest_max_ptes_swap_k(void **state) { selftest_max_ptes_swap(CTX_K); }
static void test_selftest_max_ptes_swap_m(void **state) { selftest_max_ptes_swap(CTX_M); }

/*
 * 9. collapse_single_pte_entry_compound: alloc_hpage; NOHUGEPAGE; DONTNEED
 * all but page 0 (PMD split, the THP is partially mapped).  Collapsed in
 * both; the old THP is freed.
 */
static void selftest_single_pte_entry_compound(enum ctx c)
{
	struct khp_program p;
	size_t step, astep;
	unsigned k;

	sel_prog(&p, c, false);
	astep = alloc_hpage(&p, B);
	t_madvise(&p, 0, B, N, KHP_ADV_NOHUGEPAGE);
	t_dontneed(&p, 0, B + 1, N - 1);
	step = sel_collapse(&p, c, 0, B, 1);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_ERRNO(&r, astep, 0);
		T_EQ(&r, astep, collapsed, true);
		sel_check(&r, c, step, 1, true);
		T_EQ(&r, step, none_or_zero, 511);
		T_EQ(&r, step, alloc_pages, N);
		T_EQ(&r, step, fill_pages, 511);
		T_EQ(&r, step, freed_pages, N);
		T_EQ(&r, step, waste_pages, 0);
		T_TOTAL(&r, pages_in_use, N);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

static void test_selftest_single_pte_entry_compound_k(void **state)
{
	selftest_single_pte_entry_compound(CTX_K);
}

static void test_selftest_single_pte_entry_compound_m(void **state)
{
	selftest_single_pte_entry_compound(CTX_M);
}

/* 10. collapse_full_of_compound: a PTE-mapped THP in one mm: copied, old one freed. */
static void selftest_full_of_compound(enum ctx c)
{
	struct khp_program p;
	struct khp_world *w;
	size_t step;
	unsigned k;

	sel_prog(&p, c, false);
	alloc_hpage(&p, B);
	pmd_split_idiom(&p, 0, B);
	w = T_WORLD(&p, "linux-6.12");
	T_W_EQ(w, 0, B, "PTE-mapped THP", T_PTE(w, 0, B).kind, KHP_PTE_PRESENT);
	T_W_EQ(w, 0, B, "order", T_PTE(w, 0, B).order, 9);
	T_W_EQ(w, 0, B, "large_mapcount", T_FOLIO(w, T_FOLIO_AT(w, 0, B)).large_mapcount, N);
	khp_world_free(w);
	step = sel_collapse(&p, c, 0, B, 1);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		sel_check(&r, c, step, 1, true);
		T_EQ(&r, step, shared, 0);
		T_EQ(&r, step, none_or_zero, 0);
		T_EQ(&r, step, freed_pages, N);
		T_EQ(&r, step, dup_pages, 0);
		T_TOTAL(&r, pages_in_use, N);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

static void test_selftest_full_of_compound_k(void **state) { selftest_full_of_compound(CTX_K); }
static void test_selftest_full_of_compound_m(void **state) { selftest_full_of_compound(CTX_M); }

/*
 * 11. collapse_compound_extreme: PTE i maps subpage 0 of the i-th THP,
 * built with the selftest's mremap loop.  Run at pmd_pages = n (the loop
 * has n iterations); the mechanism does not depend on n.
 */
static void selftest_compound_extreme(enum ctx c, unsigned n)
{
	struct khp_program p;
	const uint64_t base = (uint64_t)n * 1024;
	size_t step;
	unsigned i, k;

	t_prog(&p, n);
	t_cfg(&p)->thp = KHP_THP_MADVISE;
	t_cfg(&p)->use_zero_page = false;
	t_mmap(&p, 0, base, n, T_RW);
	for (i = 0; i < n; i++) {
		t_madvise(&p, 0, base, n, KHP_ADV_HUGEPAGE);
		t_touch(&p, 0, base, n, true);
		t_madvise(&p, 0, base, n, KHP_ADV_NOHUGEPAGE);
		t_mremap(&p, 0, base - i, i + n, KHP_OPF_TO | KHP_OPF_NEW_PAGES,
			 base + 2 * n, i + 1);
		t_mremap(&p, 0, base + 2 * n, i + 1, KHP_OPF_TO | KHP_OPF_NEW_PAGES,
			 base - (i + 1), i + 1 + n);
	}
	t_munmap(&p, 0, base, n);
	t_touch(&p, 0, base - n, n, true);
	t_madvise(&p, 0, base - n, n, KHP_ADV_HUGEPAGE);
	step = (c == CTX_M) ? t_collapse(&p, 0, base - n, n) : t_khugepaged(&p, 0, base - n);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		sel_check(&r, c, step, 1, true);
		T_EQ(&r, step, shared, 0);
		T_EQ(&r, step, none_or_zero, 0);
		T_EQ(&r, step, freed_pages, (long)n * n);
		T_TOTAL(&r, pages_in_use, n);
		t_run_free(&r);
	}
	if (n < N) {
		struct khp_world *w;
		uint32_t f0, f1;

		khp_program_free(&p);
		/* rebuild without the collapse to look at the layout */
		t_prog(&p, n);
		t_mmap(&p, 0, base, n, T_RW);
		for (i = 0; i < n; i++) {
			t_madvise(&p, 0, base, n, KHP_ADV_HUGEPAGE);
			t_touch(&p, 0, base, n, true);
			t_madvise(&p, 0, base, n, KHP_ADV_NOHUGEPAGE);
			t_mremap(&p, 0, base - i, i + n, KHP_OPF_TO | KHP_OPF_NEW_PAGES,
				 base + 2 * n, i + 1);
			t_mremap(&p, 0, base + 2 * n, i + 1, KHP_OPF_TO | KHP_OPF_NEW_PAGES,
				 base - (i + 1), i + 1 + n);
		}
		w = T_WORLD(&p, "linux-6.12");
		f0 = T_FOLIO_AT(w, 0, base - n);
		f1 = T_FOLIO_AT(w, 0, base - n + 1);
		T_W_EQ(w, 0, base - n, "different THPs", f0 != f1, true);
		T_W_EQ(w, 0, base - n, "order", T_PTE(w, 0, base - n).order, khp_pmd_order(n));
		T_W_EQ(w, 0, base - n, "subpage 0", T_PTE(w, 0, base - n + 1).subpage, 0);
		T_W_EQ(w, 0, base - n, "mapcount 1", T_FOLIO(w, f1).large_mapcount, 1);
		T_W_EQ(w, 0, base - n, "pages_in_use", t_pages_in_use(w), (long)n * n);
		khp_world_free(w);
	}
	khp_program_free(&p);
}

static void test_selftest_compound_extreme_k(void **state)
{
	selftest_compound_extreme(CTX_K, 64);
}

static void test_selftest_compound_extreme_m(void **state)
{
	selftest_compound_extreme(CTX_M, 64);
}

static void test_selftest_compound_extreme_512_k(void **state)
{
	selftest_compound_extreme(CTX_K, N);
}

/*
 * 12. collapse_fork: parent faults page 0, forks; the child writes page 1
 * and collapses (shared = 1, none = 510).  After the child exits the
 * parent still maps its small page 0.
 */
static void selftest_collapse_fork(enum ctx c)
{
	struct khp_program p;
	struct khp_world *w;
	size_t step;
	unsigned k;

	sel_prog(&p, c, false);
	t_mmap(&p, 0, B, N, T_RW);
	t_touch(&p, 0, B, 1, true);
	t_fork(&p, 0, 1);
	t_touch(&p, 1, B + 1, 1, true);
	step = sel_collapse(&p, c, 1, B, 1);
	t_exit(&p, 1);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		sel_check(&r, c, step, 1, true);
		T_EQ(&r, step, shared, 1);
		T_EQ(&r, step, none_or_zero, 510);
		T_EQ(&r, step, dup_pages, 1);
		T_EQ(&r, step, freed_pages, 1);
		T_TOTAL(&r, pages_in_use, 1);
		T_TOTAL(&r, pmd_thps[0], 0);
		t_run_free(&r);

		w = T_WORLD(&p, t_kernel_profiles[k]);
		T_W_EQ(w, 0, B, "parent page 0 still small",
		       T_PTE(w, 0, B).kind == KHP_PTE_PRESENT && T_PTE(w, 0, B).order == 0, true);
		khp_world_free(w);
	}
	khp_program_free(&p);
}

static void test_selftest_collapse_fork_k(void **state) { selftest_collapse_fork(CTX_K); }
static void test_selftest_collapse_fork_m(void **state) { selftest_collapse_fork(CTX_M); }

/*
 * 13. collapse_fork_compound: alloc_hpage, fork; the child splits its PMD
 * (idiom), CoWs page 0; max_ptes_shared = 511: collapsed (shared = 511).
 * The parent keeps its PMD-mapped THP, not partially mapped.
 */
static void selftest_fork_compound(enum ctx c)
{
	struct khp_program p;
	struct khp_world *w;
	size_t step;
	unsigned k;

	sel_prog(&p, c, false);
	t_cfg(&p)->max_ptes_shared = 511;
	alloc_hpage(&p, B);
	t_fork(&p, 0, 1);
	pmd_split_idiom(&p, 1, B);
	t_touch(&p, 1, B, 1, true);
	step = sel_collapse(&p, c, 1, B, 1);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;
		struct khp_folio_info fi;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		sel_check(&r, c, step, 1, true);
		T_EQ(&r, step, shared, 511);
		T_EQ(&r, step, dup_pages, 511);
		T_EQ(&r, step, freed_pages, 1);
		T_TOTAL(&r, pmd_thps[0], 1);
		T_TOTAL(&r, pmd_thps[1], 1);
		T_TOTAL(&r, pages_in_use, 2 * N);
		t_run_free(&r);

		w = T_WORLD(&p, t_kernel_profiles[k]);
		T_W_EQ(w, 0, B, "parent still PMD-mapped", T_PTE(w, 0, B).kind, KHP_PTE_PMD);
		fi = T_FOLIO(w, T_FOLIO_AT(w, 0, B));
		T_W_EQ(w, 0, B, "parent THP not partially mapped", fi.partially_mapped, false);
		T_W_EQ(w, 0, B, "parent THP mapcount", fi.large_mapcount, 1);
		khp_world_free(w);
	}
	khp_program_free(&p);
}

static void test_selftest_fork_compound_k(void **state) { selftest_fork_compound(CTX_K); }
static void test_selftest_fork_compound_m(void **state) { selftest_fork_compound(CTX_M); }

/*
 * 14. collapse_max_ptes_shared: alloc_hpage, fork; the child writes pages
 * 0..254 (the first write splits its PMD): 257 PTEs still map the
 * parent's PMD-mapped THP.  K: not collapsed (shared 257 > 256); M:
 * collapsed.  Phase 2 (K): one more CoW (shared 256) -> collapsed.
 */
static void selftest_max_ptes_shared(enum ctx c)
{
	struct khp_program p;
	struct khp_world *w;
	size_t step, step2 = 0;
	unsigned k;

	sel_prog(&p, c, false);
	alloc_hpage(&p, B);
	t_fork(&p, 0, 1);
	w = T_WORLD(&p, "linux-6.1");
	T_W_EQ(w, 1, B, "child sees the THP PMD-mapped", T_PTE(w, 1, B).kind, KHP_PTE_PMD);
	khp_world_free(w);
	t_touch(&p, 1, B, N - 256 - 1, true);
	step = sel_collapse(&p, c, 1, B, 1);
	if (c == CTX_K) {
		t_touch(&p, 1, B, N - 256, true);
		step2 = t_khugepaged(&p, 1, B);
	}
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		if (c == CTX_K) {
			sel_check(&r, c, step, 1, false);
			T_RESULT(&r, step, SCAN_EXCEED_SHARED_PTE);
			T_EQ(&r, step, shared, 257);
			T_EQ(&r, step, referenced, 255);
			sel_check(&r, c, step2, 1, true);
			T_EQ(&r, step2, shared, 256);
			T_EQ(&r, step2, dup_pages, 256);
		} else {
			sel_check(&r, c, step, 1, true);
			T_EQ(&r, step, shared, 257);
			T_EQ(&r, step, dup_pages, 257);
		}
		T_TOTAL(&r, pmd_thps[0], 1);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

static void test_selftest_max_ptes_shared_k(void **state) { selftest_max_ptes_shared(CTX_K); }
static void test_selftest_max_ptes_shared_m(void **state) { selftest_max_ptes_shared(CTX_M); }

/* 15. madvise_collapse_existing_thps (M only): a second MADV_COLLAPSE succeeds. */
static void test_selftest_collapse_existing_thps_m(void **state)
{
	struct khp_program p;
	size_t step, step2;
	unsigned k;

	sel_prog(&p, CTX_M, false);
	t_mmap(&p, 0, B, N, T_RW);
	t_touch(&p, 0, B, N, true);
	step = sel_collapse(&p, CTX_M, 0, B, 1);
	step2 = t_collapse(&p, 0, B, N);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		sel_check(&r, CTX_M, step, 1, true);
		T_RESULT(&r, step2, SCAN_PMD_MAPPED);
		T_ERRNO(&r, step2, 0);
		T_EQ(&r, step2, alloc_pages, 0);
		T_TOTAL(&r, pmd_thps[0], 1);
		T_TOTAL(&r, pages_in_use, N);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selftest_alloc_at_fault),
		cmocka_unit_test(test_selftest_collapse_full_k),
		cmocka_unit_test(test_selftest_collapse_full_m),
		cmocka_unit_test(test_selftest_collapse_empty_k),
		cmocka_unit_test(test_selftest_collapse_empty_m),
		cmocka_unit_test(test_selftest_single_pte_entry_k),
		cmocka_unit_test(test_selftest_single_pte_entry_m),
		cmocka_unit_test(test_selftest_max_ptes_none_k),
		cmocka_unit_test(test_selftest_max_ptes_none_m),
		cmocka_unit_test(test_selftest_swapin_single_pte_k),
		cmocka_unit_test(test_selftest_swapin_single_pte_m),
		cmocka_unit_test(test_selftest_max_ptes_swap_k),
		cmocka_unit_test(test_selftest_max_ptes_swap_m),
		cmocka_unit_test(test_selftest_single_pte_entry_compound_k),
		cmocka_unit_test(test_selftest_single_pte_entry_compound_m),
		cmocka_unit_test(test_selftest_full_of_compound_k),
		cmocka_unit_test(test_selftest_full_of_compound_m),
		cmocka_unit_test(test_selftest_compound_extreme_k),
		cmocka_unit_test(test_selftest_compound_extreme_m),
		cmocka_unit_test(test_selftest_compound_extreme_512_k),
		cmocka_unit_test(test_selftest_collapse_fork_k),
		cmocka_unit_test(test_selftest_collapse_fork_m),
		cmocka_unit_test(test_selftest_fork_compound_k),
		cmocka_unit_test(test_selftest_fork_compound_m),
		cmocka_unit_test(test_selftest_max_ptes_shared_k),
		cmocka_unit_test(test_selftest_max_ptes_shared_m),
		cmocka_unit_test(test_selftest_collapse_existing_thps_m),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
