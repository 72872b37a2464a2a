/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The extreme false negative of folio_likely_mapped_shared() [6.12] (the
 * real kernels' layout d2 of test_oracle_layouts.c pushed to the limit),
 * with max_ptes_shared = 0:
 *
 *   PTE 0        a private writable page of the parent
 *   PTE 1..256   subpages 1..256 of a THP, also mapped by a live child
 *   PTE 257..511 none (255)
 *   subpage 0 of the THP is mapped by nobody
 *
 * that is, the parent's PMD range is "1E 256s 255.".  folio_mapcount =
 * 256 + 256 = 512 = nr_pages, no PMD mapping, subpage 0 unmapped -> 6.12
 * says "not shared" and collapses, duplicating the 256 shared pages (the
 * child keeps the old THP): verdict false_negative, fn_waste_pages 256.
 * 6.1 (exact page_mapcount) and 7.3 (MM-ID bit) stop at PTE 1 with
 * EXCEED_SHARED_PTE.
 *
 * Accounting of the 6.12 collapse: alloc 512, fill 255 (none PTEs), 256
 * copies that stay allocated (dup), 1 private page freed, waste 511.
 */
#include "khp_test.h"

#define N   512u
#define A   (16 * N)

#define PARENT_MAP "1E 256s 255."
#define CHILD_MAP  "1. 256s 255."

static void extreme_prog(struct khp_program *p, bool child_exits)
{
	t_prog(p, N);
	t_cfg(p)->max_ptes_shared = 0;
	t_cfg(p)->max_ptes_none = 511;
	t_mmap(p, 0, A, N, T_RW | T_HUGE);
	t_touch(p, 0, A, N, true);
	t_madvise(p, 0, A, N, KHP_ADV_NOHUGEPAGE);
	t_fork(p, 0, 1);
	t_dontneed(p, 0, A, 1);
	t_dontneed(p, 0, A + 257, 255);
	t_dontneed(p, 1, A, 1);
	t_dontneed(p, 1, A + 257, 255);
	t_touch(p, 0, A, 1, true);
	if (child_exits)
		t_exit(p, 1);
	t_madvise(p, 0, A, N, KHP_ADV_HUGEPAGE);
}

/* The layout itself, before the scan. */
static void test_extreme_layout(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_folio_info fi;
	uint32_t thp;

	extreme_prog(&p, false);
	w = T_WORLD(&p, "linux-6.12");
	assert_map(w, 0, A, PARENT_MAP);
	assert_map(w, 1, A, CHILD_MAP);
	thp = T_FOLIO_AT(w, 0, A + 1);
	fi = T_FOLIO(w, thp);
	T_W_EQ(w, 0, A, "THP order", fi.order, 9);
	T_W_EQ(w, 0, A, "folio_mapcount", fi.large_mapcount, 512);
	T_W_EQ(w, 0, A, "entire_mapcount", fi.entire_mapcount, 0);
	T_W_EQ(w, 0, A, "page_mapcount(0)", khp_world_page_mapcount(w, thp, 0), 0);
	T_W_EQ(w, 0, A, "page_mapcount(1)", khp_world_page_mapcount(w, thp, 1), 2);
	T_W_EQ(w, 0, A, "PTE 0 is a small private page", T_PTE(w, 0, A).order, 0);
	T_W_EQ(w, 0, A, "PTE 0 writable", T_PTE(w, 0, A).write, true);
	T_W_EQ(w, 0, A, "PTE 257 none", T_PTE(w, 0, A + 257).kind, KHP_PTE_NONE);
	T_SHARED3(w, 0, A, thp, 1, true, false, true);
	T_W_EQ(w, 0, A, "pages_in_use", t_pages_in_use(w), N + 1);
	khp_world_free(w);
	khp_program_free(&p);
}

static void test_extreme_612_false_negative(void **state)
{
	struct khp_program p;
	struct t_run r;
	size_t step;

	extreme_prog(&p, false);
	step = t_khugepaged(&p, 0, A);
	T_RUN(&r, &p, "linux-6.12");
	T_MAP_BEFORE(&r, step, PARENT_MAP);
	T_RESULT(&r, step, SCAN_SUCCEED);
	T_EQ(&r, step, collapsed, true);
	T_EQ(&r, step, nr_collapsed, 1);
	T_EQ(&r, step, shared, 0);
	T_EQ(&r, step, shared_exact, 256);
	T_EQ(&r, step, shared_profile, 0);
	T_EQ(&r, step, none_or_zero, 255);
	T_EQ(&r, step, writable, true);
	T_VERDICT(&r, step, KHP_VERDICT_FALSE_NEGATIVE);
	T_EQ(&r, step, alloc_pages, 512);
	T_EQ(&r, step, fill_pages, 255);
	T_EQ(&r, step, dup_pages, 256);
	T_EQ(&r, step, freed_pages, 1);
	T_EQ(&r, step, waste_pages, 511);
	T_EQ(&r, step, waste_pages, T_REC(&r, step)->alloc_pages - T_REC(&r, step)->freed_pages);
	T_EQ(&r, step, fn_waste_pages, 256);
	/* the cost: PTE 0 and the 256 shared subpages copied and cleared, the
	 * 255 none PTEs filled and left alone, one pmdp_collapse_flush() */
	T_EQ(&r, step, copied_pages, 257);
	T_EQ(&r, step, ptes_cleared, 257);
	T_EQ(&r, step, tlb_flushes, 1);
	T_TOTAL(&r, cost.copied_pages, 257);
	T_TOTAL(&r, cost.fill_pages, 255);
	T_TOTAL(&r, cost.ptes_cleared, 257);
	T_TOTAL(&r, cost.tlb_flushes, 1);
	T_TOTAL(&r, cost.freed_pages, 1);
	T_TOTAL(&r, pages_in_use, 2 * N);
	T_TOTAL(&r, pmd_thps[0], 1);
	assert_int_equal(khp_run_max_fn_waste(&r.run), 256);
	t_run_free(&r);
	khp_program_free(&p);
}

static void test_extreme_61_73_refuse(void **state)
{
	struct khp_program p;
	size_t step;

	extreme_prog(&p, false);
	step = t_khugepaged(&p, 0, A);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           M3(PARENT_MAP, NULL, PARENT_MAP) },
		{ RESULT(step),               K3(SCAN_EXCEED_SHARED_PTE, NA, SCAN_EXCEED_SHARED_PTE) },
		{ REC(step, collapsed),       K3(0, NA, 0) },
		{ REC(step, shared),          K3(1, NA, 1) },
		{ REC(step, shared_exact),    K3(256, NA, 256) },
		{ REC(step, shared_profile),  K3(256, NA, 256) },
		{ REC(step, referenced),      K3(1, NA, 1) },
		{ REC(step, none_or_zero),    K3(0, NA, 0) },
		{ REC(step, writable),        K3(1, NA, NA) },
		{ VERDICT(step),              K3(KHP_VERDICT_AGREE, NA, KHP_VERDICT_AGREE) },
		{ REC(step, alloc_pages),     K3(0, NA, 0) },
		{ REC(step, dup_pages),       K3(0, NA, 0) },
		{ REC(step, fn_waste_pages),  K3(0, NA, 0) },
		/* refused by the scan: no attempt, no cost */
		{ REC(step, copied_pages),    K3(0, NA, 0) },
		{ REC(step, ptes_cleared),    K3(0, NA, 0) },
		{ REC(step, tlb_flushes),     K3(0, NA, 0) },
		{ PAGES(),                    K3(N + 1, NA, N + 1) },
		{ MAX_FN_WASTE(),             K3(0, NA, 0) },
	};

	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* The exact oracle profile refuses too (shared iff another live mm maps it). */
static void test_extreme_exact_profile_refuses(void **state)
{
	struct khp_program p;
	struct t_run r;
	size_t step;

	extreme_prog(&p, false);
	step = t_khugepaged(&p, 0, A);
	T_RUN(&r, &p, "linux-6.12+exact");
	T_MAP_BEFORE(&r, step, PARENT_MAP);
	T_RESULT(&r, step, SCAN_EXCEED_SHARED_PTE);
	T_EQ(&r, step, shared, 1);
	T_VERDICT(&r, step, KHP_VERDICT_AGREE);
	t_run_free(&r);
	khp_program_free(&p);
}

/*
 * The child exits first: nothing is shared any more, every kernel
 * collapses; the old THP is freed with its last mapping, so the collapse
 * frees more than it allocates (waste -1).
 */
static void test_extreme_child_dead_no_waste(void **state)
{
	struct khp_program p;
	size_t step;

	extreme_prog(&p, true);
	step = t_khugepaged(&p, 0, A);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           MALL("1E 256e 255.") },
		{ RESULT(step),               ALL(SCAN_SUCCEED) },
		{ REC(step, shared_exact),    ALL(0) },
		{ VERDICT(step),              ALL(KHP_VERDICT_AGREE) },
		{ REC(step, alloc_pages),     ALL(512) },
		{ REC(step, dup_pages),       ALL(0) },
		{ REC(step, freed_pages),     ALL(513) },
		{ REC(step, waste_pages),     ALL(-1) },
		{ REC(step, fn_waste_pages),  ALL(0) },
		{ PAGES(),                    ALL(N) },
	};

	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * MADV_COLLAPSE ignores max_ptes_shared in every version: all three
 * collapse the extreme layout and duplicate the 256 shared pages, but a
 * MADV_COLLAPSE step has no verdict and no fn_waste (docs/model.md, Records).
 */
static void test_extreme_madv_collapse_no_verdict(void **state)
{
	struct khp_program p;
	size_t step;

	extreme_prog(&p, false);
	step = t_collapse(&p, 0, A, N);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           MALL(PARENT_MAP) },
		{ RESULT(step),               ALL(SCAN_SUCCEED) },
		{ ERRNO(step),                ALL(0) },
		{ REC(step, dup_pages),       ALL(256) },
		{ REC(step, fill_pages),      ALL(255) },
		{ VERDICT(step),              ALL(KHP_VERDICT_NONE) },
		{ REC(step, fn_waste_pages),  ALL(0) },
	};

	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * After the 6.12 false-negative collapse the child alone maps 256
 * subpages of the old THP (partially mapped, queued): the split pass
 * frees its 256 unmapped subpages, leaving 512 (new THP) + 256.
 */
static void test_extreme_612_split_after(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_folio_info fi;
	size_t n;

	extreme_prog(&p, false);
	t_khugepaged(&p, 0, A);
	w = T_WORLD(&p, "linux-6.12");
	assert_map(w, 0, A, "512H");
	assert_map(w, 1, A, "1. 256e 255.");
	T_W_EQ(w, 0, A, "parent PMD-mapped", T_PTE(w, 0, A).kind, KHP_PTE_PMD);
	fi = T_FOLIO(w, T_FOLIO_AT(w, 1, A + 1));
	T_W_EQ(w, 1, A, "old THP mapped by the child only", fi.large_mapcount, 256);
	T_W_EQ(w, 1, A, "old THP partially mapped", fi.partially_mapped, true);
	T_W_EQ(w, 1, A, "old THP queued", fi.deferred_split, true);
	n = p.nr_ops;
	t_split(&p);
	T_PLAY(w, &p, n);
	assert_map(w, 1, A, "1. 256e 255.");
	T_W_EQ(w, 1, A + 1, "child pages now small", T_PTE(w, 1, A + 1).order, 0);
	T_W_EQ(w, 1, A, "pages_in_use", t_pages_in_use(w), N + 256);
	khp_world_free(w);
	khp_program_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extreme_layout),
		cmocka_unit_test(test_extreme_612_false_negative),
		cmocka_unit_test(test_extreme_61_73_refuse),
		cmocka_unit_test(test_extreme_exact_profile_refuses),
		cmocka_unit_test(test_extreme_child_dead_no_waste),
		cmocka_unit_test(test_extreme_madv_collapse_no_verdict),
		cmocka_unit_test(test_extreme_612_split_after),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
