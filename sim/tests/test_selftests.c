/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The anonymous cases of the kernel selftest tools/testing/selftests/mm/
 * khugepaged.c as programs, in both of its contexts:
 *   K (khugepaged): setup with 4 KiB faults, then MADV_HUGEPAGE (makes the
 *     VMA eligible and registers the mm: hugepage_madvise() ->
 *     khugepaged_enter_vma()), then one khugepaged visit per PMD range;
 *   M (MADV_COLLAPSE): MADV_HUGEPAGE, then MADV_COLLAPSE over the area.
 * Config as the selftest pushes it: thp=madvise (M: enabled=never, which
 * MADV_COLLAPSE ignores), use_zero_page=0, max_ptes_none=511,
 * max_ptes_swap=64, max_ptes_shared=256, a swap device.  The knob pushes of
 * single cases are set in the config up front (the knobs they change are
 * only read by the khugepaged steps that follow).
 *
 * "Expect collapsed" is checked on the record (K: SCAN_SUCCEED and a
 * huge page installed; M: errno 0 and one huge page per PMD range), every
 * kernel alike; each case draws the range its collapse starts from.  The
 * phase-2 parts follow each phase 1 in the same program.
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

/* sel_prog and one N-page VMA at B, its first `written` pages (if any) written. */
static void sel_written(struct khp_program *p, enum ctx c, uint64_t written)
{
	sel_prog(p, c, false);
	t_mmap(p, 0, B, N, T_RW);
	if (written)
		t_touch(p, 0, B, written, true);
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

/*
 * Rows for the context's outcome at step (nr ranges), collapsed (expect)
 * or not, into out; returns how many.  M refused: callers pin the errno.
 */
static size_t sel_rows(struct t_row *out, enum ctx c, size_t step, unsigned nr, bool expect)
{
	size_t n = 0;

	if (c == CTX_M && expect) {
		out[n++] = (struct t_row){ ERRNO(step), ALL(0) };
		out[n++] = (struct t_row){ REC(step, nr_collapsed), ALL(nr) };
	} else if (c == CTX_M) {
		out[n++] = (struct t_row){ REC(step, collapsed), ALL(0) };
	}
	for (unsigned i = 0; c == CTX_K && i < nr; i++) {
		if (expect)
			out[n++] = (struct t_row){ RESULT(step + i), ALL(SCAN_SUCCEED) };
		out[n++] = (struct t_row){ REC(step + i, collapsed), ALL(expect) };
	}
	return n;
}

/* Append rows[0..nr) to out (room for cap rows) at *n. */
static void add_rows(struct t_row *out, size_t cap, size_t *n, const struct t_row *rows,
		     size_t nr)
{
	assert_true(*n + nr <= cap);
	for (size_t i = 0; i < nr; i++)
		out[(*n)++] = rows[i];
}

#define ADD_ROWS(out, n, rows) \
	add_rows((out), T_ARRAY_SIZE(out), &(n), (rows), T_ARRAY_SIZE(rows))

/* Check rows[0..n) and more[0..nr) under every kernel, then free p. */
static void sel_check(struct khp_program *p, struct t_row *rows, size_t cap, size_t n,
		      const struct t_row *more, size_t nr)
{
	add_rows(rows, cap, &n, more, nr);
	T_KERNELS_N(p, rows, n);
	khp_program_free(p);
}

#define SEL_CHECK(p, rows, n, more) \
	sel_check((p), (rows), T_ARRAY_SIZE(rows), (n), (more), T_ARRAY_SIZE(more))

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
	size_t faulted;

	t_prog(&p, N);
	t_cfg(&p)->thp = KHP_THP_ALWAYS;
	t_mmap(&p, 0, B, N, T_RW);
	faulted = t_touch(&p, 0, B, 1, true) + 1;
	t_dontneed(&p, 0, B, 1);
	const struct t_row fault[] = {
		{ MAP(0, B),                  MALL("512H") },
		{ KIND(0, B),                 ALL(KHP_PTE_PMD), "PMD THP at fault" },
		{ PMD_THPS(0),                ALL(1) },
		{ PAGES(),                    ALL(N) },
	};
	const struct t_row split[] = {
		{ MAP(0, B),                  MALL("1. 511E") },
		{ KIND(0, B),                 ALL(KHP_PTE_NONE), "split: page 0 none" },
		{ KIND(0, B + 1),             ALL(KHP_PTE_PRESENT), "split: PTE-mapped" },
		{ PMD_THPS(0),                ALL(0) },
	};
	T_KERNELS_AT(&p, faulted, fault);
	T_KERNELS(&p, split);
	khp_program_free(&p);
}

/* 2. collapse_full: 4 PMDs fully faulted: all collapse. */
static void selftest_collapse_full(enum ctx c)
{
	struct khp_program p;
	struct t_row rows[16];
	size_t step, n;

	sel_prog(&p, c, false);
	t_mmap(&p, 0, B, 4 * N, T_RW);
	t_touch(&p, 0, B, 4 * N, true);
	step = sel_collapse(&p, c, 0, B, 4);
	n = sel_rows(rows, c, step, 4, true);
	const struct t_row more[] = {
		{ MAP_BEFORE(step),           MALL("512E") },
		{ MAP(0, B + 3 * N),          MALL("512H") },
		{ PMD_THPS(0),                ALL(4) },
		{ PAGES(),                    ALL(4 * N) },
	};
	SEL_CHECK(&p, rows, n, more);
}

static void test_selftest_collapse_full_k(void **state) { selftest_collapse_full(CTX_K); }
static void test_selftest_collapse_full_m(void **state) { selftest_collapse_full(CTX_M); }

/* 3. collapse_empty: never touched: not collapsed (K: VMA has no anon_vma). */
static void selftest_collapse_empty(enum ctx c)
{
	struct khp_program p;
	struct t_row rows[8];
	size_t step, n;

	sel_written(&p, c, 0);
	step = sel_collapse(&p, c, 0, B, 1);
	n = sel_rows(rows, c, step, 1, false);
	const struct t_row more[] = {
		{ MAP_BEFORE(step),           MALL("512_") },
		c == CTX_K ? (struct t_row){ RESULT(step), ALL(KHP_NOT_VISITED) }
			   : (struct t_row){ ERRNO(step), ALL(EINVAL) },
		{ PAGES(),                    ALL(0) },
	};
	SEL_CHECK(&p, rows, n, more);
}

static void test_selftest_collapse_empty_k(void **state) { selftest_collapse_empty(CTX_K); }
static void test_selftest_collapse_empty_m(void **state) { selftest_collapse_empty(CTX_M); }

/* 5. collapse_single_pte_entry: page 0 only; none = 511 <= 511. */
static void selftest_single_pte_entry(enum ctx c)
{
	struct khp_program p;
	struct t_row rows[8];
	size_t step, n;

	sel_written(&p, c, 1);
	step = sel_collapse(&p, c, 0, B, 1);
	n = sel_rows(rows, c, step, 1, true);
	const struct t_row more[] = {
		{ MAP_BEFORE(step),           MALL("1E 511.") },
		{ REC(step, none_or_zero),    ALL(511) },
		{ REC(step, referenced),      ALL(c == CTX_K ? 1 : 0) },
		{ REC(step, fill_pages),      ALL(511) },
		{ REC(step, freed_pages),     ALL(1) },
	};
	SEL_CHECK(&p, rows, n, more);
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
	struct t_row rows[16];
	size_t step, n;

	sel_written(&p, c, N - 256 - 1);
	t_cfg(&p)->max_ptes_none = 256;
	step = sel_collapse(&p, c, 0, B, 1);
	n = sel_rows(rows, c, step, 1, c == CTX_M);
	const struct t_row first[] = {
		{ MAP_BEFORE(step),           MALL("255E 257.") },
		{ REC(step, none_or_zero),    ALL(257) },
	};
	if (c == CTX_K) {
		size_t step2;

		t_touch(&p, 0, B, N - 256, true);
		step2 = t_khugepaged(&p, 0, B);
		const struct t_row second[] = {
			{ RESULT(step),               ALL(SCAN_EXCEED_NONE_PTE) },
			{ MAP_BEFORE(step2),          MALL("256E 256.") },
			{ REC(step2, none_or_zero),   ALL(256) },
		};
		n += sel_rows(rows + n, c, step2, 1, true);
		ADD_ROWS(rows, n, second);
	}
	SEL_CHECK(&p, rows, n, first);
}

static void test_selftest_max_ptes_none_k(void **state) { selftest_max_ptes_none(CTX_K); }
static void test_selftest_max_ptes_none_m(void **state) { selftest_max_ptes_none(CTX_M); }

/* 7. collapse_swapin_single_pte: page 0 paged out; collapsed in both. */
static void selftest_swapin_single_pte(enum ctx c)
{
	struct khp_program p;
	struct t_row rows[8];
	size_t step, n;

	sel_written(&p, c, N);
	t_madvise(&p, 0, B, 1, KHP_ADV_PAGEOUT);
	step = sel_collapse(&p, c, 0, B, 1);
	n = sel_rows(rows, c, step, 1, true);
	const struct t_row more[] = {
		{ MAP_BEFORE(step),           MALL("1w 511E") },
		{ REC(step, unmapped),        ALL(1) },
		{ REC(step, referenced),      ALL(c == CTX_K ? 511 : NA) },
		{ SWAP_SLOTS(),               ALL(0) },
		{ PAGES(),                    ALL(N) },
	};
	SEL_CHECK(&p, rows, n, more);
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
	struct t_row rows[16];
	size_t step, n;

	sel_written(&p, c, N);
	t_madvise(&p, 0, B, 65, KHP_ADV_PAGEOUT);
	step = sel_collapse(&p, c, 0, B, 1);
	n = sel_rows(rows, c, step, 1, c == CTX_M);
	const struct t_row first[] = {
		{ MAP_BEFORE(step),           MALL("65w 447E") },
		{ REC(step, unmapped),        ALL(65) },
		{ SWAP_SLOTS(),               ALL(0) },
	};
	if (c == CTX_K) {
		size_t step2;

		t_touch(&p, 0, B, N, true);
		t_madvise(&p, 0, B, 64, KHP_ADV_PAGEOUT);
		step2 = t_khugepaged(&p, 0, B);
		const struct t_row second[] = {
			{ RESULT(step),               ALL(SCAN_EXCEED_SWAP_PTE) },
			{ MAP_BEFORE(step2),          MALL("64w 448E") },
			{ REC(step2, unmapped),       ALL(64) },
			{ REC(step2, referenced),     ALL(448) },
		};
		n += sel_rows(rows + n, c, step2, 1, true);
		ADD_ROWS(rows, n, second);
	}
	SEL_CHECK(&p, rows, n, first);
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
	struct t_row rows[16];
	size_t step, astep, n;

	sel_prog(&p, c, false);
	astep = alloc_hpage(&p, B);
	t_madvise(&p, 0, B, N, KHP_ADV_NOHUGEPAGE);
	t_dontneed(&p, 0, B + 1, N - 1);
	step = sel_collapse(&p, c, 0, B, 1);
	n = sel_rows(rows, c, step, 1, true);
	const struct t_row more[] = {
		{ ERRNO(astep),               ALL(0) },
		{ REC(astep, collapsed),      ALL(1) },
		{ MAP_BEFORE(step),           MALL("1E 511.") },
		{ REC(step, none_or_zero),    ALL(511) },
		{ REC(step, alloc_pages),     ALL(N) },
		{ REC(step, fill_pages),      ALL(511) },
		{ REC(step, freed_pages),     ALL(N) },
		{ REC(step, waste_pages),     ALL(0) },
		{ PAGES(),                    ALL(N) },
	};
	SEL_CHECK(&p, rows, n, more);
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
	struct t_row rows[8];
	size_t step, n;

	sel_prog(&p, c, false);
	alloc_hpage(&p, B);
	pmd_split_idiom(&p, 0, B);
	w = T_WORLD(&p, "linux-6.12");
	assert_map(w, 0, B, "512E");
	T_W_EQ(w, 0, B, "PTE-mapped THP", T_PTE(w, 0, B).kind, KHP_PTE_PRESENT);
	T_W_EQ(w, 0, B, "order", T_PTE(w, 0, B).order, 9);
	T_W_EQ(w, 0, B, "large_mapcount", T_FOLIO(w, T_FOLIO_AT(w, 0, B)).large_mapcount, N);
	khp_world_free(w);
	step = sel_collapse(&p, c, 0, B, 1);
	n = sel_rows(rows, c, step, 1, true);
	const struct t_row more[] = {
		{ REC(step, shared),          ALL(0) },
		{ REC(step, none_or_zero),    ALL(0) },
		{ REC(step, freed_pages),     ALL(N) },
		{ REC(step, dup_pages),       ALL(0) },
		{ PAGES(),                    ALL(N) },
	};
	SEL_CHECK(&p, rows, n, more);
}

static void test_selftest_full_of_compound_k(void **state) { selftest_full_of_compound(CTX_K); }
static void test_selftest_full_of_compound_m(void **state) { selftest_full_of_compound(CTX_M); }

/* The selftest's mremap loop: PTE i of base - n maps subpage 0 of the i-th THP. */
static void compound_extreme_layout(struct khp_program *p, unsigned n, uint64_t base)
{
	for (unsigned i = 0; i < n; i++) {
		t_madvise(p, 0, base, n, KHP_ADV_HUGEPAGE);
		t_touch(p, 0, base, n, true);
		t_madvise(p, 0, base, n, KHP_ADV_NOHUGEPAGE);
		t_mremap(p, 0, base - i, i + n, KHP_OPF_TO | KHP_OPF_NEW_PAGES,
			 base + 2 * n, i + 1);
		t_mremap(p, 0, base + 2 * n, i + 1, KHP_OPF_TO | KHP_OPF_NEW_PAGES,
			 base - (i + 1), i + 1 + n);
	}
}

/*
 * 11. collapse_compound_extreme: PTE i maps subpage 0 of the i-th THP,
 * built with the selftest's mremap loop.  Run at pmd_pages = n (the loop
 * has n iterations); the mechanism does not depend on n.
 */
static void selftest_compound_extreme(enum ctx c, unsigned n)
{
	struct khp_program p;
	const uint64_t base = (uint64_t)n * 1024;
	char spec[T_SPEC_MAX];
	struct t_row rows[8];
	size_t step, nr;

	t_prog(&p, n);
	t_cfg(&p)->thp = KHP_THP_MADVISE;
	t_cfg(&p)->use_zero_page = false;
	t_mmap(&p, 0, base, n, T_RW);
	compound_extreme_layout(&p, n, base);
	t_munmap(&p, 0, base, n);
	t_touch(&p, 0, base - n, n, true);
	t_madvise(&p, 0, base - n, n, KHP_ADV_HUGEPAGE);
	step = (c == CTX_M) ? t_collapse(&p, 0, base - n, n) : t_khugepaged(&p, 0, base - n);
	nr = sel_rows(rows, c, step, 1, true);
	const struct t_row more[] = {
		{ MAP_BEFORE(step),           MALL(T_MAP_RUNS(spec, n, 'E')) },
		{ REC(step, shared),          ALL(0) },
		{ REC(step, none_or_zero),    ALL(0) },
		{ REC(step, freed_pages),     ALL((long)n * n) },
		{ PAGES(),                    ALL(n) },
	};
	SEL_CHECK(&p, rows, nr, more);
	if (n < N) {
		struct khp_world *w;
		uint32_t f0, f1;

		/* rebuild without the collapse to look at the layout */
		t_prog(&p, n);
		t_mmap(&p, 0, base, n, T_RW);
		compound_extreme_layout(&p, n, base);
		w = T_WORLD(&p, "linux-6.12");
		assert_map(w, 0, base - n, spec);
		f0 = T_FOLIO_AT(w, 0, base - n);
		f1 = T_FOLIO_AT(w, 0, base - n + 1);
		T_W_EQ(w, 0, base - n, "different THPs", f0 != f1, true);
		T_W_EQ(w, 0, base - n, "order", T_PTE(w, 0, base - n).order, khp_pmd_order(n));
		T_W_EQ(w, 0, base - n, "subpage 0", T_PTE(w, 0, base - n + 1).subpage, 0);
		T_W_EQ(w, 0, base - n, "mapcount 1", T_FOLIO(w, f1).large_mapcount, 1);
		T_W_EQ(w, 0, base - n, "pages_in_use", t_pages_in_use(w), (long)n * n);
		khp_world_free(w);
		khp_program_free(&p);
	}
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
	struct t_row rows[16];
	size_t step, n;

	sel_written(&p, c, 1);
	t_fork(&p, 0, 1);
	t_touch(&p, 1, B + 1, 1, true);
	step = sel_collapse(&p, c, 1, B, 1);
	t_exit(&p, 1);
	n = sel_rows(rows, c, step, 1, true);
	const struct t_row more[] = {
		{ MAP_BEFORE(step),           MALL("1s 1E 510.") },
		{ REC(step, shared),          ALL(1) },
		{ REC(step, none_or_zero),    ALL(510) },
		{ REC(step, dup_pages),       ALL(1) },
		{ REC(step, freed_pages),     ALL(1) },
		{ PAGES(),                    ALL(1) },
		{ PMD_THPS(0),                ALL(0) },
		{ MAP(0, B),                  MALL("1e 511.") },
		{ KIND(0, B),                 ALL(KHP_PTE_PRESENT), "parent page 0 still small" },
		{ ORDER(0, B),                ALL(0), "parent page 0 still small" },
	};
	SEL_CHECK(&p, rows, n, more);
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
	struct t_row rows[16];
	size_t step, n;

	sel_prog(&p, c, false);
	t_cfg(&p)->max_ptes_shared = 511;
	alloc_hpage(&p, B);
	t_fork(&p, 0, 1);
	pmd_split_idiom(&p, 1, B);
	t_touch(&p, 1, B, 1, true);
	step = sel_collapse(&p, c, 1, B, 1);
	n = sel_rows(rows, c, step, 1, true);
	const struct t_row more[] = {
		{ MAP_BEFORE(step),           MALL("1E 511s") },
		{ REC(step, shared),          ALL(511) },
		{ REC(step, dup_pages),       ALL(511) },
		{ REC(step, freed_pages),     ALL(1) },
		{ PMD_THPS(0),                ALL(1) },
		{ PMD_THPS(1),                ALL(1) },
		{ PAGES(),                    ALL(2 * N) },
		{ MAP(0, B),                  MALL("512H") },
		{ KIND(0, B),                 ALL(KHP_PTE_PMD), "parent still PMD-mapped" },
		{ FOLIO(0, B, partially_mapped), ALL(0) },
		{ FOLIO(0, B, large_mapcount), ALL(1), "parent THP mapcount" },
	};
	SEL_CHECK(&p, rows, n, more);
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
	struct t_row rows[16];
	size_t step, n;

	sel_prog(&p, c, false);
	alloc_hpage(&p, B);
	t_fork(&p, 0, 1);
	w = T_WORLD(&p, "linux-6.1");
	assert_map(w, 1, B, "512H");
	T_W_EQ(w, 1, B, "child sees the THP PMD-mapped", T_PTE(w, 1, B).kind, KHP_PTE_PMD);
	khp_world_free(w);
	t_touch(&p, 1, B, N - 256 - 1, true);
	step = sel_collapse(&p, c, 1, B, 1);
	n = sel_rows(rows, c, step, 1, c == CTX_M);
	const struct t_row first[] = {
		{ MAP_BEFORE(step),           MALL("255E 257s") },
		{ REC(step, shared),          ALL(257) },
		{ PMD_THPS(0),                ALL(1) },
	};
	if (c == CTX_K) {
		size_t step2;

		t_touch(&p, 1, B, N - 256, true);
		step2 = t_khugepaged(&p, 1, B);
		const struct t_row second[] = {
			{ RESULT(step),               ALL(SCAN_EXCEED_SHARED_PTE) },
			{ REC(step, referenced),      ALL(255) },
			{ MAP_BEFORE(step2),          MALL("256E 256s") },
			{ REC(step2, shared),         ALL(256) },
			{ REC(step2, dup_pages),      ALL(256) },
		};
		n += sel_rows(rows + n, c, step2, 1, true);
		ADD_ROWS(rows, n, second);
	} else {
		rows[n++] = (struct t_row){ REC(step, dup_pages), ALL(257) };
	}
	SEL_CHECK(&p, rows, n, first);
}

static void test_selftest_max_ptes_shared_k(void **state) { selftest_max_ptes_shared(CTX_K); }
static void test_selftest_max_ptes_shared_m(void **state) { selftest_max_ptes_shared(CTX_M); }

/* 15. madvise_collapse_existing_thps (M only): a second MADV_COLLAPSE succeeds. */
static void test_selftest_collapse_existing_thps_m(void **state)
{
	struct khp_program p;
	struct t_row rows[16];
	size_t step, step2, n;

	sel_written(&p, CTX_M, N);
	step = sel_collapse(&p, CTX_M, 0, B, 1);
	step2 = t_collapse(&p, 0, B, N);
	n = sel_rows(rows, CTX_M, step, 1, true);
	const struct t_row more[] = {
		{ MAP_BEFORE(step),           MALL("512E") },
		{ MAP_BEFORE(step2),          MALL("512H") },
		{ RESULT(step2),              ALL(SCAN_PMD_MAPPED) },
		{ ERRNO(step2),               ALL(0) },
		{ REC(step2, alloc_pages),    ALL(0) },
		{ PMD_THPS(0),                ALL(1) },
		{ PAGES(),                    ALL(N) },
	};
	SEL_CHECK(&p, rows, n, more);
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
