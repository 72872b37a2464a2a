/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The extreme false negative of folio_likely_mapped_shared (KR 5.2,
 * oracle.md d2 pushed to the limit), with max_ptes_shared = 0:
 *
 *   PTE 0        a private writable page of the parent
 *   PTE 1..256   subpages 1..256 of a THP, also mapped by a live child
 *   PTE 257..511 none (255)
 *   subpage 0 of the THP is mapped by nobody
 *
 * folio_mapcount = 256 + 256 = 512 = nr_pages, no PMD mapping, subpage 0
 * unmapped -> 6.12 says "not shared" and collapses, duplicating the 256
 * shared pages (the child keeps the old THP): verdict false_negative,
 * fn_waste_pages 256.  6.1 (exact page_mapcount) and 7.3 (MM-ID bit)
 * stop at PTE 1 with EXCEED_SHARED_PTE.
 *
 * Accounting of the 6.12 collapse: alloc 512, fill 255 (none PTEs), 256
 * copies that stay allocated (dup), 1 private page freed, waste 511.
 */
#include "khp_test.h"

#define N   512u
#define A   (16 * N)

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
	T_W_EQ(w, 0, A, "6.12 shared", khp_world_page_shared(w, khp_kernel_rules(KHP_LINUX_6_12)->shared, 0, thp, 1),
	       false);
	T_W_EQ(w, 0, A, "6.1 shared", khp_world_page_shared(w, khp_kernel_rules(KHP_LINUX_6_1)->shared, 0, thp, 1),
	       true);
	T_W_EQ(w, 0, A, "7.3 shared", khp_world_page_shared(w, khp_kernel_rules(KHP_LINUX_7_3)->shared, 0, thp, 1),
	       true);
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
	T_TOTAL(&r, pages_in_use, 2 * N);
	T_TOTAL(&r, pmd_thps[0], 1);
	if (khp_run_max_fn_waste(&r.run) != 256) {
		print_error("khp_run_max_fn_waste: expected 256 actual %ld\n",
			    khp_run_max_fn_waste(&r.run));
		fail();
	}
	t_run_free(&r);
	khp_program_free(&p);
}

static void test_extreme_61_73_refuse(void **state)
{
	static const enum khp_kernel ks[] = { KHP_LINUX_6_1, KHP_LINUX_7_3 };
	struct khp_program p;
	size_t step;
	unsigned i;

	extreme_prog(&p, false);
	step = t_khugepaged(&p, 0, A);
	for (i = 0; i < 2; i++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[ks[i]]);
		T_RESULT(&r, step, SCAN_EXCEED_SHARED_PTE);
		T_EQ(&r, step, collapsed, false);
		T_EQ(&r, step, shared, 1);
		T_EQ(&r, step, shared_exact, 256);
		T_EQ(&r, step, shared_profile, 256);
		T_EQ(&r, step, referenced, 1);
		T_EQ(&r, step, none_or_zero, 0);
		if (ks[i] == KHP_LINUX_6_1)
			T_EQ(&r, step, writable, true);
		T_VERDICT(&r, step, KHP_VERDICT_AGREE);
		T_EQ(&r, step, alloc_pages, 0);
		T_EQ(&r, step, dup_pages, 0);
		T_EQ(&r, step, fn_waste_pages, 0);
		T_TOTAL(&r, pages_in_use, N + 1);
		if (khp_run_max_fn_waste(&r.run) != 0) {
			print_error("khp_run_max_fn_waste: expected 0 actual %ld\n",
				    khp_run_max_fn_waste(&r.run));
			fail();
		}
		t_run_free(&r);
	}
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
	unsigned k;

	extreme_prog(&p, true);
	step = t_khugepaged(&p, 0, A);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, step, SCAN_SUCCEED);
		T_EQ(&r, step, shared_exact, 0);
		T_VERDICT(&r, step, KHP_VERDICT_AGREE);
		T_EQ(&r, step, alloc_pages, 512);
		T_EQ(&r, step, dup_pages, 0);
		T_EQ(&r, step, freed_pages, 513);
		T_EQ(&r, step, waste_pages, -1);
		T_EQ(&r, step, fn_waste_pages, 0);
		T_TOTAL(&r, pages_in_use, N);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/*
 * MADV_COLLAPSE ignores max_ptes_shared in every version: all three
 * collapse the extreme layout and duplicate the 256 shared pages, but a
 * MADV_COLLAPSE step has no verdict and no fn_waste (design.md 5).
 */
static void test_extreme_madv_collapse_no_verdict(void **state)
{
	struct khp_program p;
	size_t step;
	unsigned k;

	extreme_prog(&p, false);
	step = t_collapse(&p, 0, A, N);
	for (k = 0; k < KHP_NR_KERNELS; k++) {
		struct t_run r;

		T_RUN(&r, &p, t_kernel_profiles[k]);
		T_RESULT(&r, step, SCAN_SUCCEED);
		T_ERRNO(&r, step, 0);
		T_EQ(&r, step, dup_pages, 256);
		T_EQ(&r, step, fill_pages, 255);
		T_VERDICT(&r, step, KHP_VERDICT_NONE);
		T_EQ(&r, step, fn_waste_pages, 0);
		t_run_free(&r);
	}
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
	T_W_EQ(w, 0, A, "parent PMD-mapped", T_PTE(w, 0, A).kind, KHP_PTE_PMD);
	fi = T_FOLIO(w, T_FOLIO_AT(w, 1, A + 1));
	T_W_EQ(w, 1, A, "old THP mapped by the child only", fi.large_mapcount, 256);
	T_W_EQ(w, 1, A, "old THP partially mapped", fi.partially_mapped, true);
	T_W_EQ(w, 1, A, "old THP queued", fi.deferred_split, true);
	n = p.nr_ops;
	t_split(&p);
	T_PLAY(w, &p, n);
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
