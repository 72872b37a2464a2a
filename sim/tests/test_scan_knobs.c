/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every per-PMD scan check and its result code, per kernel, at the knob
 * boundaries (hpage_collapse_scan_pmd() [6.1, 6.12], collapse_scan_pmd()
 * [7.3]), MADV_COLLAPSE's errno mapping (madvise_collapse_errno()), and
 * the record's counters as the mm_khugepaged_scan_pmd tracepoint would
 * show them at the failure point (partial on early exit).
 *
 * Layouts are built on 4 KiB pages (thp=madvise, touch before
 * MADV_HUGEPAGE, as the real-kernel oracle does, docs/oracle.md): the
 * MADV_HUGEPAGE makes the VMA eligible and registers the mm
 * (hugepage_madvise() -> khugepaged_enter_vma()).  Each test draws the
 * range the scan sees (MAP_BEFORE) and gives each kernel's values in one
 * row { 6.1, 6.12, 7.3 }.
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

/* k_prog with all N pages written. */
static void k_written(struct khp_program *p)
{
	k_prog(p);
	t_touch(p, 0, A, N, true);
}

/* MADV_HUGEPAGE, then one khugepaged visit of the range. */
static size_t k_scan(struct khp_program *p)
{
	t_madvise(p, 0, A, N, KHP_ADV_HUGEPAGE);
	return t_khugepaged(p, 0, A);
}

/* ---- max_ptes_none -------------------------------------------------------- */

/*
 * n none PTEs at the end of the range (or 511 zero + 1 none when n = 512),
 * drawn into spec.
 */
static size_t none_layout(struct khp_program *p, unsigned max, unsigned n, char *spec,
			  size_t len)
{
	k_prog(p);
	t_cfg(p)->max_ptes_none = max;
	if (n == N) {
		t_touch(p, 0, A, 1, true);
		t_touch(p, 0, A + 1, N - 1, false);
		t_dontneed(p, 0, A, 1);
		t_map_runs_(spec, len, 1, '.', N - 1, '0', -1);
	} else {
		t_touch(p, 0, A, N - n, true);
		t_map_runs_(spec, len, N - n, 'E', n, '.', -1);
	}
	return k_scan(p);
}

static void check_none_ok(unsigned max, unsigned n)
{
	struct khp_program p;
	char spec[T_SPEC_MAX];
	size_t step = none_layout(&p, max, n, spec, sizeof(spec));
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),          MALL(spec) },
		{ RESULT(step),              ALL(SCAN_SUCCEED) },
		{ REC(step, collapsed),      ALL(1) },
		{ REC(step, none_or_zero),   ALL(n) },
		{ REC(step, referenced),     ALL(N - n) },
		{ REC(step, alloc_pages),    ALL(N) },
		{ REC(step, fill_pages),     ALL(n) },
		{ REC(step, freed_pages),    ALL(N - n) },
		{ REC(step, dup_pages),      ALL(0) },
		{ REC(step, waste_pages),    ALL(n) },
		{ PAGES(),                   ALL(N) },
	};

	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

static void check_none_exceed(unsigned max)
{
	struct khp_program p;
	char spec[T_SPEC_MAX];
	unsigned n = max + 1;
	size_t step = none_layout(&p, max, n, spec, sizeof(spec));
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),          MALL(spec) },
		{ RESULT(step),              ALL(SCAN_EXCEED_NONE_PTE) },
		{ REC(step, collapsed),      ALL(0) },
		{ REC(step, none_or_zero),   ALL(max + 1) },
		{ REC(step, referenced),     ALL(n == N ? 0 : N - n) },
		{ REC(step, unmapped),       ALL(0) },
		{ REC(step, writable),       K3(n != N, n != N, NA) },
		{ REC(step, alloc_pages),    ALL(0) },
	};

	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

static void check_none(unsigned max)
{
	check_none_ok(max, max);
	check_none_exceed(max);
}

static void test_max_ptes_none_0(void **state)   { check_none(0); }
static void test_max_ptes_none_1(void **state)   { check_none(1); }
static void test_max_ptes_none_255(void **state) { check_none(255); }
static void test_max_ptes_none_256(void **state) { check_none(256); }
/* exceeded by 511 zero-page PTEs + 1 none */
static void test_max_ptes_none_511(void **state) { check_none(511); }

/* ---- max_ptes_shared ------------------------------------------------------ */

/*
 * All 512 pages written, fork; the parent writes (CoWs) its first 512 - s
 * pages, so s small pages at the end stay shared with the live child.
 */
static size_t shared_layout(struct khp_program *p, unsigned max, unsigned s, char *spec,
			    size_t len)
{
	k_written(p);
	t_cfg(p)->max_ptes_shared = max;
	t_fork(p, 0, 1);
	if (s < N)
		t_touch(p, 0, A, N - s, true);
	t_map_runs_(spec, len, N - s, 'E', s, 's', -1);
	return k_scan(p);
}

static void check_shared(unsigned max)
{
	struct khp_program p;
	char spec[T_SPEC_MAX];
	size_t step;

	/* s = max: passes */
	step = shared_layout(&p, max, max, spec, sizeof(spec));
	const struct t_row pass[] = {
		{ MAP_BEFORE(step),           MALL(spec) },
		{ RESULT(step),               ALL(SCAN_SUCCEED) },
		{ REC(step, collapsed),       ALL(1) },
		{ REC(step, shared),          ALL(max) },
		{ REC(step, shared_exact),    ALL(max) },
		{ VERDICT(step),              ALL(KHP_VERDICT_AGREE) },
		{ REC(step, alloc_pages),     ALL(N) },
		{ REC(step, dup_pages),       ALL(max) },
		{ REC(step, freed_pages),     ALL(N - max) },
		{ REC(step, waste_pages),     ALL(max) },
		{ REC(step, fn_waste_pages),  ALL(0) },
	};
	T_KERNELS(&p, pass);
	khp_program_free(&p);

	/* s = max + 1: the scan stops at the (max+1)th shared PTE */
	step = shared_layout(&p, max, max + 1, spec, sizeof(spec));
	const struct t_row stop[] = {
		{ MAP_BEFORE(step),           MALL(spec) },
		{ RESULT(step),               ALL(SCAN_EXCEED_SHARED_PTE) },
		{ REC(step, collapsed),       ALL(0) },
		{ REC(step, shared),          ALL(max + 1) },
		{ REC(step, shared_exact),    ALL(max + 1) },
		{ VERDICT(step),              ALL(KHP_VERDICT_AGREE) },
		/* (511 - max) own young pages, then max shared young pages passed */
		{ REC(step, referenced),      ALL(N - 1) },
		{ REC(step, none_or_zero),    ALL(0) },
		{ REC(step, writable),        K3(max + 1 < N, max + 1 < N, NA) },
	};
	T_KERNELS(&p, stop);
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
	k_written(p);
	t_cfg(p)->swap = true;
	t_cfg(p)->max_ptes_swap = max;
	t_madvise(p, 0, A, n, KHP_ADV_PAGEOUT);
	return k_scan(p);
}

static void check_swap(unsigned max, unsigned n)
{
	struct khp_program p;
	char spec[T_SPEC_MAX];
	size_t step = swap_layout(&p, max, n);
	const struct t_row pass[] = {
		{ MAP_BEFORE(step),           MALL(T_MAP_RUNS(spec, n, 'w', N - n, 'E')) },
		{ RESULT(step),               ALL(SCAN_SUCCEED) },
		{ REC(step, collapsed),       ALL(1) },
		{ REC(step, unmapped),        ALL(n) },
		{ REC(step, referenced),      ALL(N - n) },
		{ SWAP_SLOTS(),               ALL(0) },
		{ PAGES(),                    ALL(N) },
	};
	const struct t_row stop[] = {
		{ MAP_BEFORE(step),           MALL(spec) },
		{ RESULT(step),               ALL(SCAN_EXCEED_SWAP_PTE) },
		{ REC(step, collapsed),       ALL(0) },
		{ REC(step, unmapped),        ALL(max + 1) },
		{ REC(step, referenced),      ALL(0) },
		{ SWAP_SLOTS(),               ALL(n) },
		{ PAGES(),                    ALL(N - n) },
	};

	if (n <= max)
		T_KERNELS(&p, pass);
	else
		T_KERNELS(&p, stop);
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

	k_written(&p);
	t_cfg(&p)->swap = false;
	t_cfg(&p)->max_ptes_swap = 0;
	t_madvise(&p, 0, A, 8, KHP_ADV_PAGEOUT);
	step = k_scan(&p);
	T_SCAN3(&p, step, "512E", SCAN_SUCCEED, SCAN_SUCCEED, SCAN_SUCCEED);
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

	k_written(&p);
	t_cfg(&p)->swap = true;
	t_madvise(&p, 0, A, 1, KHP_ADV_PAGEOUT);
	t_age(&p, 0, A + 1, aged);
	step = k_scan(&p);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           MALL("1w 511E") },
		{ RESULT(step),               ALL(exp) },
		{ REC(step, unmapped),        ALL(1) },
		{ REC(step, referenced),      ALL(511 - aged) },
	};
	T_KERNELS(&p, rows);
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

/*
 * 1 swap + 200 young present + 311 none -> LACK_REFERENCED_PAGE: the
 * swap-in rule counts referenced over the present pages only
 * (`unmapped && referenced < HPAGE_PMD_NR / 2`).
 */
static void test_referenced_swap_and_none(void **state)
{
	struct khp_program p;
	size_t step;

	k_prog(&p);
	t_cfg(&p)->swap = true;
	t_touch(&p, 0, A, 201, true);
	t_madvise(&p, 0, A + 200, 1, KHP_ADV_PAGEOUT);
	step = k_scan(&p);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           MALL("200E 1w 311.") },
		{ RESULT(step),               ALL(SCAN_LACK_REFERENCED_PAGE) },
		{ REC(step, unmapped),        ALL(1) },
		{ REC(step, referenced),      ALL(200) },
		{ REC(step, none_or_zero),    ALL(311) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* Without swap PTEs one young PTE is enough. */
static void test_referenced_one_young(void **state)
{
	struct khp_program p;
	size_t step;

	k_written(&p);
	t_age(&p, 0, A, N - 1);
	step = k_scan(&p);
	T_SCAN3(&p, step, "512E", SCAN_SUCCEED, SCAN_SUCCEED, SCAN_SUCCEED);
	khp_program_free(&p);
}

/* Everything old: LACK_REFERENCED_PAGE for khugepaged; MADV_COLLAPSE ignores it. */
static void test_lack_referenced_page(void **state)
{
	struct khp_program p;
	size_t step, cstep;

	k_written(&p);
	t_age_mm(&p, 0);
	step = k_scan(&p);
	cstep = t_collapse(&p, 0, A, N);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           MALL("512E") },
		{ RESULT(step),               ALL(SCAN_LACK_REFERENCED_PAGE) },
		{ REC(step, referenced),      ALL(0) },
		{ REC(step, collapsed),       ALL(0) },
		{ RESULT(cstep),              ALL(SCAN_SUCCEED) },
		{ ERRNO(cstep),               ALL(0) },
		{ REC(cstep, collapsed),      ALL(1) },
		{ REC(cstep, referenced),     ALL(0) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* ---- writable (SCAN_PAGE_RO) ------------------------------------------------ */

/*
 * mprotect(PROT_READ) after writing: 6.1 / 6.12 refuse (PAGE_RO, in
 * khugepaged and MADV_COLLAPSE: EINVAL); 7.3 has no writable rule and
 * installs a read-only PMD (collapse_huge_page() keeps vma->vm_page_prot).
 */
static void test_page_ro(void **state)
{
	struct khp_program p;
	size_t step, cstep;

	k_written(&p);
	t_mprotect(&p, 0, A, N, false);
	step = k_scan(&p);
	const struct t_row scan[] = {
		{ MAP_BEFORE(step),           MALL("512e") },
		{ RESULT(step),               K3(SCAN_PAGE_RO, SCAN_PAGE_RO, SCAN_SUCCEED) },
		{ REC(step, writable),        K3(0, 0, NA) },
		{ REC(step, referenced),      K3(N, N, NA) },
		{ REC(step, none_or_zero),    K3(0, 0, NA) },
		{ MAP(0, A),                  M3("512e", "512e", "512H") },
		{ KIND(0, A),                 K3(NA, NA, KHP_PTE_PMD), "after the 7.3 collapse" },
		{ WRITE(0, A),                K3(NA, NA, 0), "the new PMD is read-only" },
	};
	T_KERNELS(&p, scan);
	khp_program_free(&p);

	k_written(&p);
	t_mprotect(&p, 0, A, N, false);
	cstep = t_collapse(&p, 0, A, N);
	const struct t_row collapse[] = {
		{ MAP_BEFORE(cstep),          MALL("512e") },
		{ RESULT(cstep),              K3(SCAN_PAGE_RO, SCAN_PAGE_RO, SCAN_SUCCEED) },
		{ ERRNO(cstep),               K3(EINVAL, EINVAL, 0) },
		{ REC(cstep, collapsed),      K3(0, 0, 1) },
	};
	T_KERNELS(&p, collapse);
	khp_program_free(&p);
}

/* ---- PMD-level results: find_pmd_or_thp_or_none() ---------------------------- */

/* THP at fault: khugepaged sees PMD_MAPPED; MADV_COLLAPSE counts it as success. */
static void test_pmd_mapped(void **state)
{
	struct khp_program p;
	size_t step, cstep;

	t_prog(&p, N);
	t_mmap(&p, 0, A, N, T_RW | T_HUGE);
	t_touch(&p, 0, A, N, true);
	step = t_khugepaged(&p, 0, A);
	cstep = t_collapse(&p, 0, A, N);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           MALL("512H") },
		{ RESULT(step),               ALL(SCAN_PMD_MAPPED) },
		{ REC(step, alloc_pages),     ALL(0) },
		{ RESULT(cstep),              ALL(SCAN_PMD_MAPPED) },
		{ ERRNO(cstep),               ALL(0) },
		{ REC(cstep, alloc_pages),    ALL(0) },
		{ PAGES(),                    ALL(N) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* A never-touched range next to a touched one (same PMD table): pmd_none. */
static void test_pmd_none_untouched(void **state)
{
	struct khp_program p;
	size_t step, cstep;

	t_prog(&p, N);
	t_mmap(&p, 0, A, 2 * N, T_RW);
	t_touch(&p, 0, A, 1, true);
	t_madvise(&p, 0, A, 2 * N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, A + N);
	cstep = t_collapse(&p, 0, A + N, N);
	const struct t_row rows[] = {
		{ MAP(0, A),                  MALL("1E 511.") },
		{ MAP_BEFORE(step),           MALL("512_") },
		{ RESULT(step),               K3(SCAN_PMD_NONE, SCAN_PMD_NONE, SCAN_NO_PTE_TABLE) },
		{ RESULT(cstep),              K3(SCAN_PMD_NONE, SCAN_PMD_NONE, SCAN_NO_PTE_TABLE) },
		{ ERRNO(cstep),               ALL(EINVAL) },
		{ REC(step, none_or_zero),    ALL(0) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * No PMD table at all (mm_find_pmd() returns NULL: nothing was ever faulted
 * in this 1 GiB PUD range): SCAN_PMD_NULL on 6.1 / 6.12.  The VMA
 * straddles the 1 GiB boundary; only its first page is touched.
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
	const struct t_row rows[] = {
		{ MAP(0, gib - N),            MALL("1E 511.") },
		{ MAP_BEFORE(step),           MALL("512_") },
		{ RESULT(step),               K3(SCAN_PMD_NULL, SCAN_PMD_NULL, SCAN_NO_PTE_TABLE) },
	};
	T_KERNELS(&p, rows);
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

	k_written(&p);
	t_dontneed(&p, 0, A, N);
	step = k_scan(&p);
	const struct t_row whole[] = {
		{ MAP_BEFORE(step),           M3("512.", "512.", "512_") },
		{ RESULT(step),               K3(SCAN_EXCEED_NONE_PTE, SCAN_EXCEED_NONE_PTE,
					         SCAN_NO_PTE_TABLE) },
		{ REC(step, none_or_zero),    K3(N, N, NA) },
	};
	T_KERNELS(&p, whole);
	khp_program_free(&p);

	k_written(&p);
	t_dontneed(&p, 0, A, N / 2);
	t_dontneed(&p, 0, A + N / 2, N / 2);
	step = k_scan(&p);
	T_SCAN3(&p, step, "512.", SCAN_EXCEED_NONE_PTE, SCAN_EXCEED_NONE_PTE,
		SCAN_EXCEED_NONE_PTE);
	khp_program_free(&p);
}

/* ---- per-page checks ----------------------------------------------------------- */

/* A GUP pin: refcount != mapcount -> PAGE_COUNT; MADV_COLLAPSE -> EAGAIN. */
static void test_page_count_pin(void **state)
{
	struct khp_program p;
	size_t step, cstep;

	k_written(&p);
	t_pin(&p, 0, A + 5);
	step = k_scan(&p);
	cstep = t_collapse(&p, 0, A, N);
	const struct t_row pinned[] = {
		{ MAP_BEFORE(step),           MALL("512E") },
		{ RESULT(step),               ALL(SCAN_PAGE_COUNT) },
		{ REC(step, referenced),      ALL(5) },
		{ REC(step, none_or_zero),    ALL(0) },
		{ REC(step, writable),        K3(1, 1, NA) },
		{ RESULT(cstep),              ALL(SCAN_PAGE_COUNT) },
		{ ERRNO(cstep),               ALL(EAGAIN) },
		{ REC(cstep, collapsed),      ALL(0) },
	};
	T_KERNELS(&p, pinned);
	khp_program_free(&p);

	/* unpinned again: collapses */
	k_written(&p);
	t_pin(&p, 0, A + 5);
	t_unpin(&p, 0, A + 5);
	step = k_scan(&p);
	const struct t_row unpinned[] = {
		{ RESULT(step),               ALL(SCAN_SUCCEED) },
	};
	T_KERNELS(&p, unpinned);
	khp_program_free(&p);
}

/* MADV_FREE'd clean page: 7.3 khugepaged skips (PAGE_LAZYFREE); not MADV_COLLAPSE. */
static void test_page_lazyfree(void **state)
{
	struct khp_program p;
	size_t step, cstep;

	k_written(&p);
	t_madvise(&p, 0, A + 5, 1, KHP_ADV_FREE);
	step = k_scan(&p);
	const struct t_row scan[] = {
		{ MAP_BEFORE(step),           MALL("512E") },
		{ RESULT(step),               K3(SCAN_SUCCEED, SCAN_SUCCEED, SCAN_PAGE_LAZYFREE) },
		{ REC(step, referenced),      K3(NA, NA, 5) },
		{ REC(step, collapsed),       K3(NA, NA, 0) },
	};
	T_KERNELS(&p, scan);
	khp_program_free(&p);

	k_written(&p);
	t_madvise(&p, 0, A + 5, 1, KHP_ADV_FREE);
	cstep = t_collapse(&p, 0, A, N);
	const struct t_row collapse[] = {
		{ RESULT(cstep),              ALL(SCAN_SUCCEED) },
		{ ERRNO(cstep),               ALL(0) },
	};
	T_KERNELS(&p, collapse);
	khp_program_free(&p);
}

/* fail_alloc: ALLOC_HUGE_PAGE_FAIL (khugepaged), ENOMEM (MADV_COLLAPSE). */
static void test_alloc_huge_page_fail(void **state)
{
	struct khp_program p;
	size_t step, step2, cstep, cstep2;

	k_written(&p);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	t_fail_alloc(&p, 1);
	step = t_khugepaged(&p, 0, A);
	step2 = t_khugepaged(&p, 0, A);
	const struct t_row scan[] = {
		{ MAP_BEFORE(step2),          MALL("512E") },
		{ RESULT(step),               ALL(SCAN_ALLOC_HUGE_PAGE_FAIL) },
		{ REC(step, collapsed),       ALL(0) },
		{ REC(step, alloc_pages),     ALL(0) },
		{ RESULT(step2),              ALL(SCAN_SUCCEED) },
		{ REC(step2, collapsed),      ALL(1) },
	};
	T_KERNELS(&p, scan);
	khp_program_free(&p);

	k_written(&p);
	t_fail_alloc(&p, 1);
	cstep = t_collapse(&p, 0, A, N);
	cstep2 = t_collapse(&p, 0, A, N);
	const struct t_row collapse[] = {
		{ RESULT(cstep),              ALL(SCAN_ALLOC_HUGE_PAGE_FAIL) },
		{ ERRNO(cstep),               ALL(ENOMEM) },
		{ RESULT(cstep2),             ALL(SCAN_SUCCEED) },
		{ ERRNO(cstep2),              ALL(0) },
	};
	T_KERNELS(&p, collapse);
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

	k_prog(&p);
	t_cfg(&p)->swap = true;
	t_touch(&p, 0, A, 100, true);
	t_touch(&p, 0, A + 200, N - 200, true);
	t_madvise(&p, 0, A + 200, 10, KHP_ADV_PAGEOUT);
	t_pin(&p, 0, A + 300);
	step = k_scan(&p);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           MALL("100E 100. 10w 302E") },
		{ RESULT(step),               ALL(SCAN_PAGE_COUNT) },
		{ REC(step, none_or_zero),    ALL(100) },
		{ REC(step, unmapped),        ALL(10) },
		{ REC(step, referenced),      ALL(190) },
		{ REC(step, shared),          ALL(0) },
		{ REC(step, writable),        K3(1, 1, NA) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* ---- not visited: khugepaged_scan_mm_slot() skips the range ------------------------ */

/* The khugepaged step saw spec and did not visit the range, in every kernel. */
static void check_not_visited(const struct khp_program *p, size_t step, const char *spec)
{
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           MALL(spec) },
		{ RESULT(step),               ALL(KHP_NOT_VISITED) },
		{ REC(step, collapsed),       ALL(0) },
		{ VERDICT(step),              ALL(KHP_VERDICT_NONE) },
	};

	T_KERNELS(p, rows);
}

/* thp=madvise and no MADV_HUGEPAGE: the VMA is not eligible. */
static void test_not_visited_vma_not_eligible(void **state)
{
	struct khp_program p;
	size_t step;

	k_written(&p);
	step = t_khugepaged(&p, 0, A);
	check_not_visited(&p, step, "512E");
	khp_program_free(&p);
}

/* thp=never: khugepaged enforces sysfs; MADV_COLLAPSE ignores it. */
static void test_not_visited_thp_never(void **state)
{
	struct khp_program p;
	size_t step, cstep;

	k_written(&p);
	t_cfg(&p)->thp = KHP_THP_NEVER;
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, A);
	cstep = t_collapse(&p, 0, A, N);
	check_not_visited(&p, step, "512E");
	const struct t_row collapse[] = {
		{ RESULT(cstep),              ALL(SCAN_SUCCEED) },
		{ ERRNO(cstep),               ALL(0) },
	};
	T_KERNELS(&p, collapse);
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
	check_not_visited(&p, step, "512E");
	T_SCAN3(&p, other, "512H", SCAN_PMD_MAPPED, SCAN_PMD_MAPPED, SCAN_PMD_MAPPED);
	khp_program_free(&p);
}

/*
 * An eligible VMA (thp=always, anon_vma present) in an mm that was never
 * registered: the only fault hit a PMD range not inside the VMA, which
 * falls back to 4 KiB before khugepaged_enter_vma() (do_anonymous_page()).
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
	check_not_visited(&p, step, "512_");
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
	check_not_visited(&p, step, "88E 424~");
	T_SCAN3(&p, first, "512E", SCAN_SUCCEED, SCAN_SUCCEED, SCAN_SUCCEED);
	khp_program_free(&p);
}

/* ---- madvise_collapse() and madvise_collapse_errno() ------------------------------- */

/* A never-faulted VMA: no anon_vma, the entry check fails: EINVAL everywhere. */
static void test_collapse_untouched_einval(void **state)
{
	struct khp_program p;
	size_t cstep;

	k_prog(&p);
	cstep = t_collapse(&p, 0, A, N);
	const struct t_row rows[] = {
		{ MAP_BEFORE(cstep),          MALL("512_") },
		{ ERRNO(cstep),               ALL(EINVAL) },
		{ REC(cstep, collapsed),      ALL(0) },
		{ PAGES(),                    ALL(0) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * Only none / zero-page PTEs in an existing PTE table: 7.3 installs a
 * zero-filled THP (no writable gate, and the none/zero-only range is
 * allowed for MADV_COLLAPSE); 6.1 / 6.12 end with PAGE_RO -> EINVAL.
 */
static void test_collapse_zero_only_range(void **state)
{
	struct khp_program p;
	size_t cstep, kstep;

	k_prog(&p);
	t_cfg(&p)->use_zero_page = true;
	t_touch(&p, 0, A, 1, true);
	t_touch(&p, 0, A + 1, N - 1, false);
	t_dontneed(&p, 0, A, 1);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	kstep = t_khugepaged(&p, 0, A);
	cstep = t_collapse(&p, 0, A, N);
	const struct t_row rows[] = {
		{ MAP_BEFORE(kstep),          MALL("1. 511*0") },
		{ RESULT(kstep),              ALL(SCAN_EXCEED_NONE_PTE) },
		{ RESULT(cstep),              K3(SCAN_PAGE_RO, SCAN_PAGE_RO, SCAN_SUCCEED) },
		{ ERRNO(cstep),               K3(EINVAL, EINVAL, 0) },
		{ REC(cstep, collapsed),      K3(0, 0, 1) },
		{ REC(cstep, none_or_zero),   ALL(N) },
		{ REC(cstep, alloc_pages),    K3(NA, NA, N) },
		{ REC(cstep, fill_pages),     K3(NA, NA, N) },
		{ REC(cstep, freed_pages),    K3(NA, NA, 0) },
		{ REC(cstep, waste_pages),    K3(NA, NA, N) },
		{ PAGES(),                    K3(0, 0, N) },
	};
	T_KERNELS(&p, rows);
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

	t_prog(&p, N);
	t_mmap(&p, 0, A, N, T_RW | T_UFFD);
	t_touch(&p, 0, A + 1, 1, true);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	kstep = t_khugepaged(&p, 0, A);
	cstep = t_collapse(&p, 0, A, N);
	const struct t_row rows[] = {
		{ MAP_BEFORE(kstep),          MALL("1. 1E 510.") },
		{ RESULT(kstep),              ALL(SCAN_EXCEED_NONE_PTE) },
		{ REC(kstep, none_or_zero),   ALL(1) },
		{ RESULT(cstep),              ALL(SCAN_EXCEED_NONE_PTE) },
		{ ERRNO(cstep),               K3(EINVAL, EBUSY, EBUSY) },
	};
	T_KERNELS(&p, rows);
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

	k_written(&p);
	c1 = t_collapse(&p, 0, A + 8, 8);
	c2 = t_collapse(&p, 0, A + 8, N - 8);
	const struct t_row rows[] = {
		{ MAP_BEFORE(c1),             MALL("512E") },
		{ ERRNO(c1),                  K3(EINVAL, EINVAL, 0) },
		{ REC(c1, collapsed),         ALL(0) },
		{ ERRNO(c2),                  ALL(0) },
		{ REC(c2, collapsed),         ALL(0) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* Two PMD ranges, both written; the first call of MADV_COLLAPSE covers both. */
static void k_two_ranges(struct khp_program *p, uint64_t written)
{
	t_prog(p, N);
	t_mmap(p, 0, A, 2 * N, T_RW);
	t_touch(p, 0, A + 2 * N - written, written, true);
}

/* MADV_COLLAPSE over two ranges, one fails: the call fails; the other collapses. */
static void test_collapse_multi_pmd_last_failure(void **state)
{
	struct khp_program p;
	size_t cstep;

	k_two_ranges(&p, 2 * N);
	t_pin(&p, 0, A + 3);
	cstep = t_collapse(&p, 0, A, 2 * N);
	const struct t_row rows[] = {
		{ MAP_BEFORE(cstep),          MALL("512E") },
		{ MAP(0, A + N),              MALL("512H") },
		{ ERRNO(cstep),               ALL(EAGAIN) },
		{ REC(cstep, nr_collapsed),   ALL(1) },
		{ REC(cstep, collapsed),      ALL(1) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * MADV_COLLAPSE stops on a result that is not whitelisted
 * (madvise_collapse(): `switch (result)`): an untouched first range is
 * SCAN_PMD_NONE on 6.1 / 6.12 -> stop at once, the second (full) range is
 * not collapsed; 7.3 whitelists NO_PTE_TABLE, continues and collapses the
 * second range, but still fails (EINVAL).
 */
static void test_collapse_stops_on_pmd_none(void **state)
{
	struct khp_program p;
	size_t cstep;

	k_two_ranges(&p, N);
	cstep = t_collapse(&p, 0, A, 2 * N);
	const struct t_row rows[] = {
		{ MAP_BEFORE(cstep),          MALL("512_") },
		{ MAP(0, A + N),              M3("512E", "512E", "512H") },
		{ ERRNO(cstep),               ALL(EINVAL) },
		{ REC(cstep, nr_collapsed),   K3(0, 0, 1) },
		{ PMD_THPS(0),                K3(0, 0, 1) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* An allocation failure stops MADV_COLLAPSE at once in every version. */
static void test_collapse_stops_on_alloc_fail(void **state)
{
	struct khp_program p;
	size_t cstep;

	k_two_ranges(&p, 2 * N);
	t_fail_alloc(&p, 1);
	cstep = t_collapse(&p, 0, A, 2 * N);
	const struct t_row rows[] = {
		{ MAP_BEFORE(cstep),          MALL("512E") },
		{ ERRNO(cstep),               ALL(ENOMEM) },
		{ REC(cstep, nr_collapsed),   ALL(0) },
		{ PMD_THPS(0),                ALL(0) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* A PMD-mapped range next to a collapsible one: both count, errno 0. */
static void test_collapse_mapped_plus_success(void **state)
{
	struct khp_program p;
	size_t cstep;

	t_prog(&p, N);
	t_mmap(&p, 0, A, 2 * N, T_RW | T_HUGE);
	t_touch(&p, 0, A, 1, true);               /* THP at fault */
	t_madvise(&p, 0, A + N, N, KHP_ADV_NOHUGEPAGE);
	t_touch(&p, 0, A + N, N, true);           /* 4 KiB pages */
	t_madvise(&p, 0, A + N, N, KHP_ADV_HUGEPAGE);
	cstep = t_collapse(&p, 0, A, 2 * N);
	const struct t_row rows[] = {
		{ MAP_BEFORE(cstep),          MALL("512H") },
		{ MAP(0, A + N),              MALL("512H") },
		{ ERRNO(cstep),               ALL(0) },
		{ REC(cstep, nr_collapsed),   ALL(1) },
		{ PMD_THPS(0),                ALL(2) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * SCAN_PAGE_RO is tested after the loop, before the referenced rule
 * (hpage_collapse_scan_pmd() [6.1, 6.12]).  All PTEs read-only and old:
 * 6.1 / 6.12 PAGE_RO, 7.3 (no writable rule) LACK_REFERENCED_PAGE.
 */
static void test_page_ro_before_referenced(void **state)
{
	struct khp_program p;
	size_t step;

	k_written(&p);
	t_mprotect(&p, 0, A, N, false);
	t_age_mm(&p, 0);
	step = k_scan(&p);
	T_SCAN3(&p, step, "512e", SCAN_PAGE_RO, SCAN_PAGE_RO, SCAN_LACK_REFERENCED_PAGE);
	khp_program_free(&p);
}

/*
 * The 7.3 lazyfree skip needs a clean PTE (`folio_test_lazyfree(folio) &&
 * !pte_dirty(pteval)`): a MADV_FREE'd page written again is dirty and does
 * not stop the scan.
 */
static void test_lazyfree_redirtied(void **state)
{
	struct khp_program p;
	size_t step;

	k_written(&p);
	t_madvise(&p, 0, A + 5, 1, KHP_ADV_FREE);
	t_touch(&p, 0, A + 5, 1, true);
	step = k_scan(&p);
	T_SCAN3(&p, step, "512E", SCAN_SUCCEED, SCAN_SUCCEED, SCAN_SUCCEED);
	khp_program_free(&p);
}

/*
 * MADV_COLLAPSE on a huge-zero-page PMD: success without allocating
 * (find_pmd_or_thp_or_none() sees a huge PMD: SCAN_PMD_MAPPED).
 */
static void test_collapse_huge_zero_page(void **state)
{
	struct khp_program p;
	size_t cstep;

	t_prog(&p, N);
	t_cfg(&p)->thp = KHP_THP_ALWAYS;
	t_cfg(&p)->use_zero_page = true;
	t_mmap(&p, 0, A, N, T_RW);
	t_touch(&p, 0, A, 1, false);
	cstep = t_collapse(&p, 0, A, N);
	const struct t_row rows[] = {
		{ MAP_BEFORE(cstep),          MALL("512z") },
		{ RESULT(cstep),              ALL(SCAN_PMD_MAPPED) },
		{ ERRNO(cstep),               ALL(0) },
		{ REC(cstep, alloc_pages),    ALL(0) },
		{ PAGES(),                    ALL(0) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * VM_NOHUGEPAGE is enforced by MADV_COLLAPSE too (hugepage_vma_check() [6.1],
 * thp_vma_allowable_order() [6.12, 7.3]): EINVAL.
 */
static void test_collapse_nohugepage_einval(void **state)
{
	struct khp_program p;
	size_t cstep;

	t_prog(&p, N);
	t_mmap(&p, 0, A, N, T_RW | T_NOHUGE);
	t_touch(&p, 0, A, N, true);
	cstep = t_collapse(&p, 0, A, N);
	const struct t_row rows[] = {
		{ MAP_BEFORE(cstep),          MALL("512E") },
		{ ERRNO(cstep),               ALL(EINVAL) },
		{ REC(cstep, collapsed),      ALL(0) },
		{ PMD_THPS(0),                ALL(0) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * Small worlds scale the kernel formulas: pmd_pages = 16 has defaults
 * none 15, swap 2, shared 8, and the swap rule needs referenced >= 8
 * (HPAGE_PMD_NR / 2).
 */
static void test_small_pmd_scaling(void **state)
{
	unsigned aged;

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
		const struct t_row rows[] = {
			{ MAP_BEFORE(step),   MALL("1w 15E") },
			{ RESULT(step),       ALL(aged == 7 ? SCAN_SUCCEED :
						  SCAN_LACK_REFERENCED_PAGE) },
			{ REC(step, referenced), ALL(15 - aged) },
		};
		T_KERNELS(&p, rows);
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
		cmocka_unit_test(test_referenced_swap_and_none),
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
