/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every per-PMD scan check and its result code, per profile, at the knob
 * boundaries (KR section 3), MADV_COLLAPSE's errno mapping (KR 3.3), and
 * the record's counters as the mm_khugepaged_scan_pmd tracepoint would
 * show them at the failure point (partial on early exit).
 *
 * Layouts are built on 4 KiB pages (thp=madvise, touch before
 * MADV_HUGEPAGE, as oracle.md section 4 recommends): the MADV_HUGEPAGE
 * makes the VMA eligible and registers the mm (KR 2.3).
 */
#include "khp_test.h"

#include <errno.h>

#define N   512u
#define A   (4 * N)

/* mm 0: an N-page read-write VMA at A; faults give 4 KiB pages. */
static void k_prog(struct khp_program *p)
{
	t_prog(p, N);
	t_mmap(p, 0, A, N, T_RW);
}

/* MADV_HUGEPAGE, then one khugepaged visit of the range. */
static size_t k_scan(struct khp_program *p)
{
	t_madvise(p, 0, A, N, KHP_ADV_HUGEPAGE);
	return t_khugepaged(p, 0, A);
}

/* ---- max_ptes_none -------------------------------------------------------- */

/* n none PTEs at the end of the range (or 511 zero + 1 none when n = 512). */
static size_t none_layout(struct khp_program *p, unsigned max, unsigned n)
{
	k_prog(p);
	t_cfg(p)->max_ptes_none = max;
	if (n == N) {
		t_touch(p, 0, A, 1, true);
		t_touch(p, 0, A + 1, N - 1, false);
		t_dontneed(p, 0, A, 1);
	} else {
		t_touch(p, 0, A, N - n, true);
	}
	return k_scan(p);
}

static void check_none_ok(unsigned max, unsigned n)
{
	struct khp_program p;
	size_t step = none_layout(&p, max, n);
	unsigned k;

	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, step, SCAN_SUCCEED);
		T_EQ(&r, step, collapsed, true);
		T_EQ(&r, step, none_or_zero, n);
		T_EQ(&r, step, referenced, N - n);
		T_EQ(&r, step, alloc_pages, N);
		T_EQ(&r, step, fill_pages, n);
		T_EQ(&r, step, freed_pages, N - n);
		T_EQ(&r, step, dup_pages, 0);
		T_EQ(&r, step, waste_pages, n);
		T_TOTAL(&r, pages_in_use, N);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

static void check_none_exceed(unsigned max)
{
	struct khp_program p;
	unsigned n = max + 1;
	size_t step = none_layout(&p, max, n);
	unsigned k;

	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, step, SCAN_EXCEED_NONE_PTE);
		T_EQ(&r, step, collapsed, false);
		T_EQ(&r, step, none_or_zero, max + 1);
		T_EQ(&r, step, referenced, n == N ? 0 : N - n);
		T_EQ(&r, step, unmapped, 0);
		if (k != KHP_LINUX_7_3)
			T_EQ(&r, step, writable, n != N);
		T_EQ(&r, step, alloc_pages, 0);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

static void test_max_ptes_none_0(void **state)
{
	check_none_ok(0, 0);
	check_none_exceed(0);
}

static void test_max_ptes_none_1(void **state)
{
	check_none_ok(1, 1);
	check_none_exceed(1);
}

static void test_max_ptes_none_255(void **state)
{
	check_none_ok(255, 255);
	check_none_exceed(255);
}

static void test_max_ptes_none_256(void **state)
{
	check_none_ok(256, 256);
	check_none_exceed(256);
}

static void test_max_ptes_none_511(void **state)
{
	check_none_ok(511, 511);
	check_none_exceed(511);   /* 511 zero-page PTEs + 1 none */
}

/* ---- max_ptes_shared ------------------------------------------------------ */

/*
 * All 512 pages written, fork; the parent writes (CoWs) its first 512 - s
 * pages, so s small pages at the end stay shared with the live child.
 */
static size_t shared_layout(struct khp_program *p, unsigned max, unsigned s)
{
	k_prog(p);
	t_cfg(p)->max_ptes_shared = max;
	t_touch(p, 0, A, N, true);
	t_fork(p, 0, 1);
	if (s < N)
		t_touch(p, 0, A, N - s, true);
	return k_scan(p);
}

static void check_shared(unsigned max)
{
	struct khp_program p;
	size_t step;
	unsigned k;

	/* s = max: passes */
	step = shared_layout(&p, max, max);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, step, SCAN_SUCCEED);
		T_EQ(&r, step, collapsed, true);
		T_EQ(&r, step, shared, max);
		T_EQ(&r, step, shared_exact, max);
		T_VERDICT(&r, step, KHP_VERDICT_AGREE);
		T_EQ(&r, step, alloc_pages, N);
		T_EQ(&r, step, dup_pages, max);
		T_EQ(&r, step, freed_pages, N - max);
		T_EQ(&r, step, waste_pages, max);
		T_EQ(&r, step, fn_waste_pages, 0);
		t_run_free(&r);
	}
	khp_program_free(&p);

	/* s = max + 1: the scan stops at the (max+1)th shared PTE */
	step = shared_layout(&p, max, max + 1);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, step, SCAN_EXCEED_SHARED_PTE);
		T_EQ(&r, step, collapsed, false);
		T_EQ(&r, step, shared, max + 1);
		T_EQ(&r, step, shared_exact, max + 1);
		T_VERDICT(&r, step, KHP_VERDICT_AGREE);
		/* (511 - max) own young pages, then max shared young pages passed */
		T_EQ(&r, step, referenced, N - 1);
		T_EQ(&r, step, none_or_zero, 0);
		if (k != KHP_LINUX_7_3)
			T_EQ(&r, step, writable, max + 1 < N);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

static void test_max_ptes_shared_0(void **state)   { check_shared(0); }
static void test_max_ptes_shared_1(void **state)   { check_shared(1); }
static void test_max_ptes_shared_255(void **state) { check_shared(255); }
static void test_max_ptes_shared_256(void **state) { check_shared(256); }
static void test_max_ptes_shared_510(void **state) { check_shared(510); }
static void test_max_ptes_shared_511(void **state) { check_shared(511); }

/* ---- max_ptes_swap and the referenced rule --------------------------------- */

/* All written, the first n paged out (swap=true), the rest young. */
static size_t swap_layout(struct khp_program *p, unsigned max, unsigned n)
{
	k_prog(p);
	t_cfg(p)->swap = true;
	t_cfg(p)->max_ptes_swap = max;
	t_touch(p, 0, A, N, true);
	t_madvise(p, 0, A, n, KHP_ADV_PAGEOUT);
	return k_scan(p);
}

static void check_swap(unsigned max, unsigned n)
{
	struct khp_program p;
	size_t step = swap_layout(&p, max, n);
	unsigned k;

	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		if (n <= max) {
			T_RESULT(&r, step, SCAN_SUCCEED);
			T_EQ(&r, step, collapsed, true);
			T_EQ(&r, step, unmapped, n);
			T_EQ(&r, step, referenced, N - n);
			T_TOTAL(&r, swap_slots_in_use, 0);
			T_TOTAL(&r, pages_in_use, N);
		} else {
			T_RESULT(&r, step, SCAN_EXCEED_SWAP_PTE);
			T_EQ(&r, step, collapsed, false);
			T_EQ(&r, step, unmapped, max + 1);
			T_EQ(&r, step, referenced, 0);
			T_TOTAL(&r, swap_slots_in_use, n);
			T_TOTAL(&r, pages_in_use, N - n);
		}
		t_run_free(&r);
	}
	khp_program_free(&p);
}

static void test_max_ptes_swap_63(void **state) { check_swap(64, 63); }
static void test_max_ptes_swap_64(void **state) { check_swap(64, 64); }
static void test_max_ptes_swap_65(void **state) { check_swap(64, 65); }
static void test_max_ptes_swap_0(void **state)  { check_swap(0, 1); }

/* Without a swap device, pageout swaps nothing: the range collapses. */
static void test_pageout_without_swap(void **state)
{
	struct khp_program p;
	size_t step;

	k_prog(&p);
	t_cfg(&p)->swap = false;
	t_cfg(&p)->max_ptes_swap = 0;
	t_touch(&p, 0, A, N, true);
	t_madvise(&p, 0, A, 8, KHP_ADV_PAGEOUT);
	step = k_scan(&p);
	T_RESULTS3(&p, step, SCAN_SUCCEED, SCAN_SUCCEED, SCAN_SUCCEED);
	khp_program_free(&p);
}

/*
 * One swap PTE: khugepaged needs referenced >= 256 (HPAGE_PMD_NR / 2) over
 * the present pages.  511 present, `aged` of them made old by the age op.
 */
static void check_swap_referenced(unsigned aged, enum scan_result exp)
{
	struct khp_program p;
	size_t step;
	unsigned k;

	k_prog(&p);
	t_cfg(&p)->swap = true;
	t_touch(&p, 0, A, N, true);
	t_madvise(&p, 0, A, 1, KHP_ADV_PAGEOUT);
	t_age(&p, 0, A + 1, aged);
	step = k_scan(&p);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, step, exp);
		T_EQ(&r, step, unmapped, 1);
		T_EQ(&r, step, referenced, 511 - aged);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

static void test_referenced_256_with_swap(void **state)
{
	check_swap_referenced(255, SCAN_SUCCEED);
}

static void test_referenced_255_with_swap(void **state)
{
	check_swap_referenced(256, SCAN_LACK_REFERENCED_PAGE);
}

/* KR 3.1 example: 1 swap + 200 young present + 311 none -> LACK_REFERENCED. */
static void test_referenced_kr_example(void **state)
{
	struct khp_program p;
	size_t step;
	unsigned k;

	k_prog(&p);
	t_cfg(&p)->swap = true;
	t_touch(&p, 0, A, 201, true);
	t_madvise(&p, 0, A + 200, 1, KHP_ADV_PAGEOUT);
	step = k_scan(&p);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, step, SCAN_LACK_REFERENCED_PAGE);
		T_EQ(&r, step, unmapped, 1);
		T_EQ(&r, step, referenced, 200);
		T_EQ(&r, step, none_or_zero, 311);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/* Without swap PTEs one young PTE is enough. */
static void test_referenced_one_young(void **state)
{
	struct khp_program p;
	size_t step;

	k_prog(&p);
	t_touch(&p, 0, A, N, true);
	t_age(&p, 0, A, N - 1);
	step = k_scan(&p);
	T_RESULTS3(&p, step, SCAN_SUCCEED, SCAN_SUCCEED, SCAN_SUCCEED);
	khp_program_free(&p);
}

/* Everything old: LACK_REFERENCED_PAGE for khugepaged; MADV_COLLAPSE ignores it. */
static void test_lack_referenced_page(void **state)
{
	struct khp_program p;
	size_t step, cstep;
	unsigned k;

	k_prog(&p);
	t_touch(&p, 0, A, N, true);
	t_age_mm(&p, 0);
	step = k_scan(&p);
	cstep = t_collapse(&p, 0, A, N);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, step, SCAN_LACK_REFERENCED_PAGE);
		T_EQ(&r, step, referenced, 0);
		T_EQ(&r, step, collapsed, false);
		T_RESULT(&r, cstep, SCAN_SUCCEED);
		T_ERRNO(&r, cstep, 0);
		T_EQ(&r, cstep, collapsed, true);
		T_EQ(&r, cstep, referenced, 0);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/* ---- writable (SCAN_PAGE_RO) ------------------------------------------------ */

/*
 * mprotect(PROT_READ) after writing: 6.1 / 6.12 refuse (PAGE_RO, in
 * khugepaged and MADV_COLLAPSE: EINVAL); 7.3 has no writable rule and
 * installs a read-only PMD (KR 3.2).
 */
static void test_page_ro(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	size_t step, cstep;
	unsigned k;

	k_prog(&p);
	t_touch(&p, 0, A, N, true);
	t_mprotect(&p, 0, A, N, false);
	step = k_scan(&p);
	T_RESULTS3(&p, step, SCAN_PAGE_RO, SCAN_PAGE_RO, SCAN_SUCCEED);
	for (k = 0; k < KHP_LINUX_7_3; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_EQ(&r, step, writable, false);
		T_EQ(&r, step, referenced, N);
		T_EQ(&r, step, none_or_zero, 0);
		t_run_free(&r);
	}
	w = T_WORLD(&p, "linux-7.3");
	T_W_EQ(w, 0, A, "PMD-mapped after the 7.3 collapse", T_PTE(w, 0, A).kind, KHP_PTE_PMD);
	T_W_EQ(w, 0, A, "the new PMD is read-only", T_PTE(w, 0, A).write, false);
	khp_world_free(w);
	khp_program_free(&p);

	k_prog(&p);
	t_touch(&p, 0, A, N, true);
	t_mprotect(&p, 0, A, N, false);
	cstep = t_collapse(&p, 0, A, N);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, cstep, k == KHP_LINUX_7_3 ? SCAN_SUCCEED : SCAN_PAGE_RO);
		T_ERRNO(&r, cstep, k == KHP_LINUX_7_3 ? 0 : EINVAL);
		T_EQ(&r, cstep, collapsed, k == KHP_LINUX_7_3);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/* ---- PMD-level results -------------------------------------------------------- */

/* THP at fault: khugepaged sees PMD_MAPPED; MADV_COLLAPSE counts it as success. */
static void test_pmd_mapped(void **state)
{
	struct khp_program p;
	size_t step, cstep;
	unsigned k;

	t_prog(&p, N);
	t_mmap(&p, 0, A, N, T_RW | T_HUGE);
	t_touch(&p, 0, A, N, true);
	step = t_khugepaged(&p, 0, A);
	cstep = t_collapse(&p, 0, A, N);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, step, SCAN_PMD_MAPPED);
		T_EQ(&r, step, alloc_pages, 0);
		T_RESULT(&r, cstep, SCAN_PMD_MAPPED);
		T_ERRNO(&r, cstep, 0);
		T_EQ(&r, cstep, alloc_pages, 0);
		T_TOTAL(&r, pages_in_use, N);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/* A never-touched range next to a touched one (same PMD table): pmd_none. */
static void test_pmd_none_untouched(void **state)
{
	struct khp_program p;
	size_t step, cstep;
	unsigned k;

	t_prog(&p, N);
	t_mmap(&p, 0, A, 2 * N, T_RW);
	t_touch(&p, 0, A, 1, true);
	t_madvise(&p, 0, A, 2 * N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, A + N);
	cstep = t_collapse(&p, 0, A + N, N);
	T_RESULTS3(&p, step, SCAN_PMD_NONE, SCAN_PMD_NONE, SCAN_NO_PTE_TABLE);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, cstep, k == KHP_LINUX_7_3 ? SCAN_NO_PTE_TABLE : SCAN_PMD_NONE);
		T_ERRNO(&r, cstep, EINVAL);
		T_EQ(&r, step, none_or_zero, 0);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/*
 * No PMD table at all (mm_find_pmd() returns NULL: nothing was ever faulted
 * in this 1 GiB PUD range): SCAN_PMD_NULL on 6.1 / 6.12 (KR 3, step 1).
 * The VMA straddles the 1 GiB boundary; only its first page is touched.
 */
static void test_pmd_null_no_pud(void **state)
{
	struct khp_program p;
	const uint64_t gib = (uint64_t)N * 512;   /* pages per PUD entry */
	size_t step;

	t_prog(&p, N);
	t_mmap(&p, 0, gib - N, 2 * N, T_RW);
	t_touch(&p, 0, gib - N, 1, true);
	t_madvise(&p, 0, gib - N, 2 * N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, gib);
	T_RESULTS3(&p, step, SCAN_PMD_NULL, SCAN_PMD_NULL, SCAN_NO_PTE_TABLE);
	khp_program_free(&p);
}

/*
 * A whole-PMD MADV_DONTNEED: 6.1 / 6.12 keep the PTE table (512 none ->
 * EXCEED_NONE_PTE); 7.3 PT reclaim frees it (NO_PTE_TABLE).  Two partial
 * DONTNEEDs keep the table on 7.3 too.
 */
static void test_whole_pmd_dontneed_pt_reclaim(void **state)
{
	struct khp_program p;
	size_t step;
	unsigned k;

	k_prog(&p);
	t_touch(&p, 0, A, N, true);
	t_dontneed(&p, 0, A, N);
	step = k_scan(&p);
	T_RESULTS3(&p, step, SCAN_EXCEED_NONE_PTE, SCAN_EXCEED_NONE_PTE, SCAN_NO_PTE_TABLE);
	for (k = 0; k < KHP_LINUX_7_3; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_EQ(&r, step, none_or_zero, N);
		t_run_free(&r);
	}
	khp_program_free(&p);

	k_prog(&p);
	t_touch(&p, 0, A, N, true);
	t_dontneed(&p, 0, A, N / 2);
	t_dontneed(&p, 0, A + N / 2, N / 2);
	step = k_scan(&p);
	T_RESULTS3(&p, step, SCAN_EXCEED_NONE_PTE, SCAN_EXCEED_NONE_PTE, SCAN_EXCEED_NONE_PTE);
	khp_program_free(&p);
}

/* ---- per-page checks ----------------------------------------------------------- */

/* A GUP pin: refcount != mapcount -> PAGE_COUNT; MADV_COLLAPSE -> EAGAIN. */
static void test_page_count_pin(void **state)
{
	struct khp_program p;
	size_t step, cstep;
	unsigned k;

	k_prog(&p);
	t_touch(&p, 0, A, N, true);
	t_pin(&p, 0, A + 5);
	step = k_scan(&p);
	cstep = t_collapse(&p, 0, A, N);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, step, SCAN_PAGE_COUNT);
		T_EQ(&r, step, referenced, 5);
		T_EQ(&r, step, none_or_zero, 0);
		if (k != KHP_LINUX_7_3)
			T_EQ(&r, step, writable, true);
		T_RESULT(&r, cstep, SCAN_PAGE_COUNT);
		T_ERRNO(&r, cstep, EAGAIN);
		T_EQ(&r, cstep, collapsed, false);
		t_run_free(&r);
	}
	khp_program_free(&p);

	/* unpinned again: collapses */
	k_prog(&p);
	t_touch(&p, 0, A, N, true);
	t_pin(&p, 0, A + 5);
	t_unpin(&p, 0, A + 5);
	step = k_scan(&p);
	T_RESULTS3(&p, step, SCAN_SUCCEED, SCAN_SUCCEED, SCAN_SUCCEED);
	khp_program_free(&p);
}

/* MADV_FREE'd clean page: 7.3 khugepaged skips (PAGE_LAZYFREE); not MADV_COLLAPSE. */
static void test_page_lazyfree(void **state)
{
	struct khp_program p;
	size_t step, cstep;
	unsigned k;

	k_prog(&p);
	t_touch(&p, 0, A, N, true);
	t_madvise(&p, 0, A + 5, 1, KHP_ADV_FREE);
	step = k_scan(&p);
	T_RESULTS3(&p, step, SCAN_SUCCEED, SCAN_SUCCEED, SCAN_PAGE_LAZYFREE);
	{
		struct t_run r;

		T_RUN(&r, &p, "linux-7.3");
		T_EQ(&r, step, referenced, 5);
		T_EQ(&r, step, collapsed, false);
		t_run_free(&r);
	}
	khp_program_free(&p);

	k_prog(&p);
	t_touch(&p, 0, A, N, true);
	t_madvise(&p, 0, A + 5, 1, KHP_ADV_FREE);
	cstep = t_collapse(&p, 0, A, N);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, cstep, SCAN_SUCCEED);
		T_ERRNO(&r, cstep, 0);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/* fail_alloc: ALLOC_HUGE_PAGE_FAIL (khugepaged), ENOMEM (MADV_COLLAPSE). */
static void test_alloc_huge_page_fail(void **state)
{
	struct khp_program p;
	size_t step, step2, cstep, cstep2;
	unsigned k;

	k_prog(&p);
	t_touch(&p, 0, A, N, true);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	t_fail_alloc(&p, 1);
	step = t_khugepaged(&p, 0, A);
	step2 = t_khugepaged(&p, 0, A);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, step, SCAN_ALLOC_HUGE_PAGE_FAIL);
		T_EQ(&r, step, collapsed, false);
		T_EQ(&r, step, alloc_pages, 0);
		T_RESULT(&r, step2, SCAN_SUCCEED);
		T_EQ(&r, step2, collapsed, true);
		t_run_free(&r);
	}
	khp_program_free(&p);

	k_prog(&p);
	t_touch(&p, 0, A, N, true);
	t_fail_alloc(&p, 1);
	cstep = t_collapse(&p, 0, A, N);
	cstep2 = t_collapse(&p, 0, A, N);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, cstep, SCAN_ALLOC_HUGE_PAGE_FAIL);
		T_ERRNO(&r, cstep, ENOMEM);
		T_RESULT(&r, cstep2, SCAN_SUCCEED);
		T_ERRNO(&r, cstep2, 0);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/*
 * Partial counters on early exit: 100 written, 100 none, 10 swapped out,
 * 302 written with a pin on page 300 -> PAGE_COUNT at PTE 300 with
 * none_or_zero 100, unmapped 10, referenced 100 + 90.
 */
static void test_counters_partial_on_early_exit(void **state)
{
	struct khp_program p;
	size_t step;
	unsigned k;

	k_prog(&p);
	t_cfg(&p)->swap = true;
	t_touch(&p, 0, A, 100, true);
	t_touch(&p, 0, A + 200, N - 200, true);
	t_madvise(&p, 0, A + 200, 10, KHP_ADV_PAGEOUT);
	t_pin(&p, 0, A + 300);
	step = k_scan(&p);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, step, SCAN_PAGE_COUNT);
		T_EQ(&r, step, none_or_zero, 100);
		T_EQ(&r, step, unmapped, 10);
		T_EQ(&r, step, referenced, 190);
		T_EQ(&r, step, shared, 0);
		if (k != KHP_LINUX_7_3)
			T_EQ(&r, step, writable, true);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/* ---- not visited ------------------------------------------------------------------ */

static void check_not_visited(const struct khp_program *p, size_t step)
{
	unsigned k;

	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, p, t_kernel_profiles[k]);
		T_RESULT(&r, step, KHP_NOT_VISITED);
		T_EQ(&r, step, collapsed, false);
		T_VERDICT(&r, step, KHP_VERDICT_NONE);
		t_run_free(&r);
	}
}

/* thp=madvise and no MADV_HUGEPAGE: the VMA is not eligible. */
static void test_not_visited_vma_not_eligible(void **state)
{
	struct khp_program p;
	size_t step;

	k_prog(&p);
	t_touch(&p, 0, A, N, true);
	step = t_khugepaged(&p, 0, A);
	check_not_visited(&p, step);
	khp_program_free(&p);
}

/* thp=never: khugepaged enforces sysfs; MADV_COLLAPSE ignores it. */
static void test_not_visited_thp_never(void **state)
{
	struct khp_program p;
	size_t step, cstep;
	unsigned k;

	k_prog(&p);
	t_cfg(&p)->thp = KHP_THP_NEVER;
	t_touch(&p, 0, A, N, true);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, A);
	cstep = t_collapse(&p, 0, A, N);
	check_not_visited(&p, step);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, cstep, SCAN_SUCCEED);
		T_ERRNO(&r, cstep, 0);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/* VM_NOHUGEPAGE under thp=always, in an mm registered through another VMA. */
static void test_not_visited_nohugepage(void **state)
{
	struct khp_program p;
	size_t step, other;

	t_prog(&p, N);
	t_cfg(&p)->thp = KHP_THP_ALWAYS;
	t_mmap(&p, 0, A, N, T_RW | T_NOHUGE);
	t_touch(&p, 0, A, N, true);
	t_mmap(&p, 0, A + 4 * N, N, T_RW);
	t_touch(&p, 0, A + 4 * N, 1, true);     /* THP fault: registers the mm */
	step = t_khugepaged(&p, 0, A);
	other = t_khugepaged(&p, 0, A + 4 * N);
	check_not_visited(&p, step);
	T_RESULTS3(&p, other, SCAN_PMD_MAPPED, SCAN_PMD_MAPPED, SCAN_PMD_MAPPED);
	khp_program_free(&p);
}

/*
 * An eligible VMA (thp=always, anon_vma present) in an mm that was never
 * registered: the only fault hit a PMD range not inside the VMA, which
 * falls back to 4 KiB before khugepaged_enter_vma (KR 2.3).
 */
static void test_not_visited_mm_not_registered(void **state)
{
	struct khp_program p;
	size_t step;

	t_prog(&p, N);
	t_cfg(&p)->thp = KHP_THP_ALWAYS;
	t_mmap(&p, 0, A, N + 88, T_RW);
	t_touch(&p, 0, A + N + 10, 1, true);
	step = t_khugepaged(&p, 0, A);
	check_not_visited(&p, step);
	khp_program_free(&p);
}

/* The PMD range is not wholly inside the VMA. */
static void test_not_visited_range_not_in_vma(void **state)
{
	struct khp_program p;
	size_t step, first;

	t_prog(&p, N);
	t_mmap(&p, 0, A, N + 88, T_RW);
	t_touch(&p, 0, A, N + 88, true);
	t_madvise(&p, 0, A, N + 88, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, A + N + 10);
	first = t_khugepaged(&p, 0, A);
	check_not_visited(&p, step);
	T_RESULTS3(&p, first, SCAN_SUCCEED, SCAN_SUCCEED, SCAN_SUCCEED);
	khp_program_free(&p);
}

/* ---- MADV_COLLAPSE errno mapping (KR 3.3) --------------------------------------- */

/* A never-faulted VMA: no anon_vma, the entry check fails: EINVAL everywhere. */
static void test_collapse_untouched_einval(void **state)
{
	struct khp_program p;
	size_t cstep;
	unsigned k;

	k_prog(&p);
	cstep = t_collapse(&p, 0, A, N);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_ERRNO(&r, cstep, EINVAL);
		T_EQ(&r, cstep, collapsed, false);
		T_TOTAL(&r, pages_in_use, 0);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/*
 * Only none / zero-page PTEs in an existing PTE table: 7.3 installs a
 * zero-filled THP (KR 3.2); 6.1 / 6.12 end with PAGE_RO -> EINVAL.
 */
static void test_collapse_zero_only_range(void **state)
{
	struct khp_program p;
	size_t cstep, kstep;
	unsigned k;

	k_prog(&p);
	t_cfg(&p)->use_zero_page = true;
	t_touch(&p, 0, A, 1, true);
	t_touch(&p, 0, A + 1, N - 1, false);
	t_dontneed(&p, 0, A, 1);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	kstep = t_khugepaged(&p, 0, A);
	cstep = t_collapse(&p, 0, A, N);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;
		bool is73 = k == KHP_LINUX_7_3;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, kstep, SCAN_EXCEED_NONE_PTE);
		T_RESULT(&r, cstep, is73 ? SCAN_SUCCEED : SCAN_PAGE_RO);
		T_ERRNO(&r, cstep, is73 ? 0 : EINVAL);
		T_EQ(&r, cstep, collapsed, is73);
		T_EQ(&r, cstep, none_or_zero, N);
		if (is73) {
			T_EQ(&r, cstep, alloc_pages, N);
			T_EQ(&r, cstep, fill_pages, N);
			T_EQ(&r, cstep, freed_pages, 0);
			T_EQ(&r, cstep, waste_pages, N);
			T_TOTAL(&r, pages_in_use, N);
		} else {
			T_TOTAL(&r, pages_in_use, 0);
		}
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/*
 * uffd-armed VMA: one none PTE fails with EXCEED_NONE_PTE even for
 * MADV_COLLAPSE and with max_ptes_none = 511; the errno is EINVAL on 6.1
 * and EBUSY from 6.12 (7.3 keeps 6.12's mapping).
 */
static void test_collapse_uffd_exceed_none(void **state)
{
	struct khp_program p;
	size_t cstep, kstep;
	unsigned k;

	t_prog(&p, N);
	t_mmap(&p, 0, A, N, T_RW | T_UFFD);
	t_touch(&p, 0, A + 1, 1, true);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	kstep = t_khugepaged(&p, 0, A);
	cstep = t_collapse(&p, 0, A, N);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, kstep, SCAN_EXCEED_NONE_PTE);
		T_EQ(&r, kstep, none_or_zero, 1);
		T_RESULT(&r, cstep, SCAN_EXCEED_NONE_PTE);
		T_ERRNO(&r, cstep, k == KHP_LINUX_6_1 ? EINVAL : EBUSY);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/*
 * No aligned PMD inside the range: hstart > hend wraps on 6.1 / 6.12
 * (EINVAL); 7.3 returns 0.  hstart == hend returns 0 everywhere.
 */
static void test_collapse_no_aligned_pmd(void **state)
{
	struct khp_program p;
	size_t c1, c2;
	unsigned k;

	k_prog(&p);
	t_touch(&p, 0, A, N, true);
	c1 = t_collapse(&p, 0, A + 8, 8);
	c2 = t_collapse(&p, 0, A + 8, N - 8);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_ERRNO(&r, c1, k == KHP_LINUX_7_3 ? 0 : EINVAL);
		T_EQ(&r, c1, collapsed, false);
		T_ERRNO(&r, c2, 0);
		T_EQ(&r, c2, collapsed, false);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/* MADV_COLLAPSE over two ranges, one fails: the call fails; the other collapses. */
static void test_collapse_multi_pmd_last_failure(void **state)
{
	struct khp_program p;
	size_t cstep;
	unsigned k;

	t_prog(&p, N);
	t_mmap(&p, 0, A, 2 * N, T_RW);
	t_touch(&p, 0, A, 2 * N, true);
	t_pin(&p, 0, A + 3);
	cstep = t_collapse(&p, 0, A, 2 * N);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_ERRNO(&r, cstep, EAGAIN);
		T_EQ(&r, cstep, nr_collapsed, 1);
		T_EQ(&r, cstep, collapsed, true);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/*
 * MADV_COLLAPSE stops on a result that is not whitelisted (KR 3.3): an
 * untouched first range is SCAN_PMD_NONE on 6.1 / 6.12 -> stop at once,
 * the second (full) range is not collapsed; 7.3 whitelists NO_PTE_TABLE,
 * continues and collapses the second range, but still fails (EINVAL).
 */
static void test_collapse_stops_on_pmd_none(void **state)
{
	struct khp_program p;
	size_t cstep;
	unsigned k;

	t_prog(&p, N);
	t_mmap(&p, 0, A, 2 * N, T_RW);
	t_touch(&p, 0, A + N, N, true);
	cstep = t_collapse(&p, 0, A, 2 * N);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;
		bool is73 = k == KHP_LINUX_7_3;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_ERRNO(&r, cstep, EINVAL);
		T_EQ(&r, cstep, nr_collapsed, is73 ? 1 : 0);
		T_TOTAL(&r, pmd_thps[0], is73 ? 1 : 0);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/* An allocation failure stops MADV_COLLAPSE at once in every version. */
static void test_collapse_stops_on_alloc_fail(void **state)
{
	struct khp_program p;
	size_t cstep;
	unsigned k;

	t_prog(&p, N);
	t_mmap(&p, 0, A, 2 * N, T_RW);
	t_touch(&p, 0, A, 2 * N, true);
	t_fail_alloc(&p, 1);
	cstep = t_collapse(&p, 0, A, 2 * N);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_ERRNO(&r, cstep, ENOMEM);
		T_EQ(&r, cstep, nr_collapsed, 0);
		T_TOTAL(&r, pmd_thps[0], 0);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/* A PMD-mapped range next to a collapsible one: both count, errno 0. */
static void test_collapse_mapped_plus_success(void **state)
{
	struct khp_program p;
	size_t cstep;
	unsigned k;

	t_prog(&p, N);
	t_mmap(&p, 0, A, 2 * N, T_RW | T_HUGE);
	t_touch(&p, 0, A, 1, true);               /* THP at fault */
	t_madvise(&p, 0, A + N, N, KHP_ADV_NOHUGEPAGE);
	t_touch(&p, 0, A + N, N, true);           /* 4 KiB pages */
	t_madvise(&p, 0, A + N, N, KHP_ADV_HUGEPAGE);
	cstep = t_collapse(&p, 0, A, 2 * N);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_ERRNO(&r, cstep, 0);
		T_EQ(&r, cstep, nr_collapsed, 1);
		T_TOTAL(&r, pmd_thps[0], 2);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/*
 * KR 3.1: SCAN_PAGE_RO is tested before the referenced rule.  All PTEs
 * read-only and old: 6.1 / 6.12 PAGE_RO, 7.3 (no writable rule)
 * LACK_REFERENCED_PAGE.
 */
static void test_page_ro_before_referenced(void **state)
{
	struct khp_program p;
	size_t step;

	k_prog(&p);
	t_touch(&p, 0, A, N, true);
	t_mprotect(&p, 0, A, N, false);
	t_age_mm(&p, 0);
	step = k_scan(&p);
	T_RESULTS3(&p, step, SCAN_PAGE_RO, SCAN_PAGE_RO, SCAN_LACK_REFERENCED_PAGE);
	khp_program_free(&p);
}

/*
 * 7.3 lazyfree skip needs a clean PTE (KR 3.2 E2): a MADV_FREE'd page
 * written again is dirty and does not stop the scan.
 */
static void test_lazyfree_redirtied(void **state)
{
	struct khp_program p;
	size_t step;

	k_prog(&p);
	t_touch(&p, 0, A, N, true);
	t_madvise(&p, 0, A + 5, 1, KHP_ADV_FREE);
	t_touch(&p, 0, A + 5, 1, true);
	step = k_scan(&p);
	T_RESULTS3(&p, step, SCAN_SUCCEED, SCAN_SUCCEED, SCAN_SUCCEED);
	khp_program_free(&p);
}

/* MADV_COLLAPSE on a huge-zero-page PMD: success without allocating (KR 3.3). */
static void test_collapse_huge_zero_page(void **state)
{
	struct khp_program p;
	size_t cstep;
	unsigned k;

	t_prog(&p, N);
	t_cfg(&p)->thp = KHP_THP_ALWAYS;
	t_cfg(&p)->use_zero_page = true;
	t_mmap(&p, 0, A, N, T_RW);
	t_touch(&p, 0, A, 1, false);
	cstep = t_collapse(&p, 0, A, N);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, cstep, SCAN_PMD_MAPPED);
		T_ERRNO(&r, cstep, 0);
		T_EQ(&r, cstep, alloc_pages, 0);
		T_TOTAL(&r, pages_in_use, 0);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/* VM_NOHUGEPAGE is enforced by MADV_COLLAPSE too (KR 2.2): EINVAL. */
static void test_collapse_nohugepage_einval(void **state)
{
	struct khp_program p;
	size_t cstep;
	unsigned k;

	t_prog(&p, N);
	t_mmap(&p, 0, A, N, T_RW | T_NOHUGE);
	t_touch(&p, 0, A, N, true);
	cstep = t_collapse(&p, 0, A, N);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_ERRNO(&r, cstep, EINVAL);
		T_EQ(&r, cstep, collapsed, false);
		T_TOTAL(&r, pmd_thps[0], 0);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/*
 * Small worlds scale the kernel formulas: pmd_pages = 16 has defaults
 * none 15, swap 2, shared 8, and the swap rule needs referenced >= 8
 * (HPAGE_PMD_NR / 2).
 */
static void test_small_pmd_scaling(void **state)
{
	unsigned aged, k;

	for (aged = 7; aged <= 8; aged++) {
		struct khp_program p;
		size_t step;

		t_prog(&p, 16);
		assert_int_equal(t_cfg(&p)->max_ptes_none, 15);
		assert_int_equal(t_cfg(&p)->max_ptes_swap, 2);
		assert_int_equal(t_cfg(&p)->max_ptes_shared, 8);
		t_cfg(&p)->swap = true;
		t_mmap(&p, 0, 64, 16, T_RW);
		t_touch(&p, 0, 64, 16, true);
		t_madvise(&p, 0, 64, 1, KHP_ADV_PAGEOUT);
		t_age(&p, 0, 65, aged);
		t_madvise(&p, 0, 64, 16, KHP_ADV_HUGEPAGE);
		step = t_khugepaged(&p, 0, 64);
		for (k = 0; k < KHP_NR_KERNELS; k++) {
			struct t_run r;

			T_RUN(&r, &p, t_kernel_profiles[k]);
			T_RESULT(&r, step, aged == 7 ? SCAN_SUCCEED : SCAN_LACK_REFERENCED_PAGE);
			T_EQ(&r, step, referenced, 15 - aged);
			t_run_free(&r);
		}
		khp_program_free(&p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_max_ptes_none_0),
		cmocka_unit_test(test_max_ptes_none_1),
		cmocka_unit_test(test_max_ptes_none_255),
		cmocka_unit_test(test_max_ptes_none_256),
		cmocka_unit_test(test_max_ptes_none_511),
		cmocka_unit_test(test_max_ptes_shared_0),
		cmocka_unit_test(test_max_ptes_shared_1),
		cmocka_unit_test(test_max_ptes_shared_255),
		cmocka_unit_test(test_max_ptes_shared_256),
		cmocka_unit_test(test_max_ptes_shared_510),
		cmocka_unit_test(test_max_ptes_shared_511),
		cmocka_unit_test(test_max_ptes_swap_63),
		cmocka_unit_test(test_max_ptes_swap_64),
		cmocka_unit_test(test_max_ptes_swap_65),
		cmocka_unit_test(test_max_ptes_swap_0),
		cmocka_unit_test(test_pageout_without_swap),
		cmocka_unit_test(test_referenced_256_with_swap),
		cmocka_unit_test(test_referenced_255_with_swap),
		cmocka_unit_test(test_referenced_kr_example),
		cmocka_unit_test(test_referenced_one_young),
		cmocka_unit_test(test_lack_referenced_page),
		cmocka_unit_test(test_page_ro),
		cmocka_unit_test(test_pmd_mapped),
		cmocka_unit_test(test_pmd_none_untouched),
		cmocka_unit_test(test_pmd_null_no_pud),
		cmocka_unit_test(test_whole_pmd_dontneed_pt_reclaim),
		cmocka_unit_test(test_page_count_pin),
		cmocka_unit_test(test_page_lazyfree),
		cmocka_unit_test(test_alloc_huge_page_fail),
		cmocka_unit_test(test_counters_partial_on_early_exit),
		cmocka_unit_test(test_not_visited_vma_not_eligible),
		cmocka_unit_test(test_not_visited_thp_never),
		cmocka_unit_test(test_not_visited_nohugepage),
		cmocka_unit_test(test_not_visited_mm_not_registered),
		cmocka_unit_test(test_not_visited_range_not_in_vma),
		cmocka_unit_test(test_collapse_untouched_einval),
		cmocka_unit_test(test_collapse_zero_only_range),
		cmocka_unit_test(test_collapse_uffd_exceed_none),
		cmocka_unit_test(test_collapse_no_aligned_pmd),
		cmocka_unit_test(test_collapse_multi_pmd_last_failure),
		cmocka_unit_test(test_collapse_stops_on_pmd_none),
		cmocka_unit_test(test_collapse_stops_on_alloc_fail),
		cmocka_unit_test(test_collapse_mapped_plus_success),
		cmocka_unit_test(test_page_ro_before_referenced),
		cmocka_unit_test(test_lazyfree_redirtied),
		cmocka_unit_test(test_collapse_huge_zero_page),
		cmocka_unit_test(test_collapse_nohugepage_einval),
		cmocka_unit_test(test_small_pmd_scaling),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
