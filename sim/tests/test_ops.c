/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The syscall-level operations (docs/scenario-format.md lists them)
 * against the kernels' semantics: faults (zero page, THP and huge zero
 * page at fault, mTHP at fault), CoW and reuse, fork (write-protect, old
 * child PTEs, shared PMD, eager copy of pinned pages), PMD splits on
 * partial DONTNEED / mprotect / mremap, mremap move and resize, exit,
 * pageout and swap-in, the deferred-split pass, and 7.3 mTHP collapse
 * (mthp_collapse() [7.3]).  pages_in_use is checked after each step where
 * it is well defined, and each range is drawn where it is built.
 */
#include "khp_test.h"

#define N   512u
#define A   (32 * N)

#define PRESENT KHP_PTE_PRESENT
#define NONE    KHP_PTE_NONE
#define ZERO    KHP_PTE_ZERO
#define PMD     KHP_PTE_PMD

/* mm 0: an N-page VMA at A (VM_HUGEPAGE if huge), its first `written` pages written. */
static void vma_written(struct khp_program *p, unsigned flags, uint64_t written)
{
	t_prog(p, N);
	t_mmap(p, 0, A, N, T_RW | flags);
	t_touch(p, 0, A, written, true);
}

/* 7.3 mTHP collapse setup: orders {PMD, 4}, 4 KiB pages at fault. */
static void mthp_prog(struct khp_program *p, unsigned max_ptes_none, uint64_t written)
{
	t_prog(p, N);
	t_cfg(p)->mthp_orders = 1u << 4;
	t_cfg(p)->max_ptes_none = max_ptes_none;
	t_mmap(p, 0, A, N, T_RW | T_NOHUGE);
	t_touch(p, 0, A, written, true);
}

/*
 * MADV_HUGEPAGE and one khugepaged visit under linux-7.3 (into r): the
 * visit saw spec and installed one huge page.  Returns its step.
 */
static size_t mthp_collapse_once_73(struct khp_program *p, struct t_run *r, const char *spec)
{
	size_t step;

	t_madvise(p, 0, A, N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(p, 0, A);
	T_RUN(r, p, "linux-7.3");
	T_MAP_BEFORE(r, step, spec);
	T_RESULT(r, step, SCAN_SUCCEED);
	T_EQ(r, step, nr_collapsed, 1);
	return step;
}

/* Read -> zero page (no memory); write on it -> a new private page. */
static void test_fault_read_zero_then_write(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	size_t n;
	int use;

	for (use = 0; use < 2; use++) {
		t_prog(&p, N);
		t_cfg(&p)->use_zero_page = use;   /* only the huge zero page depends on it */
		t_mmap(&p, 0, A, N, T_RW);
		t_touch(&p, 0, A, 4, false);
		w = T_WORLD(&p, "linux-6.12");
		assert_map(w, 0, A, "4*0 508.");
		T_W_EQ(w, 0, A, "read fault maps the zero page", T_PTE(w, 0, A).kind, ZERO);
		T_W_EQ(w, 0, A, "no memory", t_pages_in_use(w), 0);
		n = p.nr_ops;
		t_touch(&p, 0, A, 1, true);
		T_PLAY(w, &p, n);
		assert_map(w, 0, A, "1E 3*0 508.");
		T_W_EQ(w, 0, A, "write -> present", T_PTE(w, 0, A).kind, PRESENT);
		T_W_EQ(w, 0, A, "write -> writable", T_PTE(w, 0, A).write, true);
		T_W_EQ(w, 0, A, "write -> order 0", T_PTE(w, 0, A).order, 0);
		T_W_EQ(w, 0, A + 1, "neighbour still zero", T_PTE(w, 0, A + 1).kind, ZERO);
		T_W_EQ(w, 0, A, "one page", t_pages_in_use(w), 1);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/* THP at fault: thp=always, or madvise + VM_HUGEPAGE; not madvise alone. */
static void test_fault_thp_when_eligible(void **state)
{
	static const struct { enum khp_thp_mode thp; unsigned flags; bool huge; } cases[] = {
		{ KHP_THP_ALWAYS, T_RW, true },
		{ KHP_THP_MADVISE, T_RW | T_HUGE, true },
		{ KHP_THP_MADVISE, T_RW, false },
		{ KHP_THP_NEVER, T_RW | T_HUGE, false },
		{ KHP_THP_ALWAYS, T_RW | T_NOHUGE, false },
	};

	for (unsigned i = 0; i < T_ARRAY_SIZE(cases); i++) {
		struct khp_program p;
		bool huge = cases[i].huge;

		t_prog(&p, N);
		t_cfg(&p)->thp = cases[i].thp;
		t_mmap(&p, 0, A, N, cases[i].flags);
		t_touch(&p, 0, A + 5, 1, true);
		const struct t_row rows[] = {
			{ MAP(0, A),             MALL(huge ? "512H" : "5. 1E 506.") },
			{ KIND(0, A + 5),        ALL(huge ? PMD : PRESENT), "PMD THP at fault" },
			{ PAGES(),               ALL(huge ? N : 1) },
			{ PMD_THPS(0),           ALL(huge) },
			{ TOTAL(large_folios),   ALL(huge) },
		};
		T_KERNELS(&p, rows);
		khp_program_free(&p);
	}
}

/*
 * A read fault in a THP-eligible range maps the huge zero page when
 * use_zero_page is set (no memory; khugepaged sees PMD_MAPPED), else a
 * THP is allocated.  A write to the huge zero PMD: 6.1/6.12
 * do_huge_pmd_wp_page() split it into zero-page PTEs and CoW one 4 KiB
 * page; 7.3 do_huge_zero_wp_pmd() maps a fresh THP.
 */
static void test_fault_huge_zero_page(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	size_t n, step;

	t_prog(&p, N);
	t_cfg(&p)->thp = KHP_THP_ALWAYS;
	t_cfg(&p)->use_zero_page = true;
	t_mmap(&p, 0, A, N, T_RW);
	t_touch(&p, 0, A, N, false);
	step = t_khugepaged(&p, 0, A);
	w = T_WORLD(&p, "linux-6.1");
	assert_map(w, 0, A, "512z");
	T_W_EQ(w, 0, A, "no memory", t_pages_in_use(w), 0);
	n = p.nr_ops;
	t_touch(&p, 0, A + 7, 1, true);
	T_PLAY(w, &p, n);
	assert_map(w, 0, A, "7*0 1E 504*0");
	T_W_EQ(w, 0, A, "split into zero PTEs", T_PTE(w, 0, A).kind, ZERO);
	T_W_EQ(w, 0, A + 7, "written page", T_PTE(w, 0, A + 7).kind, PRESENT);
	T_W_EQ(w, 0, A + 7, "written page order", T_PTE(w, 0, A + 7).order, 0);
	T_W_EQ(w, 0, A, "one page", t_pages_in_use(w), 1);
	khp_world_free(w);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),      MALL("512z") },
		{ RESULT(step),          ALL(SCAN_PMD_MAPPED) },
		{ PAGES(),               K3(1, 1, N) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);

	t_prog(&p, N);
	t_cfg(&p)->thp = KHP_THP_ALWAYS;
	t_cfg(&p)->use_zero_page = false;
	t_mmap(&p, 0, A, N, T_RW);
	t_touch(&p, 0, A, 1, false);
	w = T_WORLD(&p, "linux-6.1");
	assert_map(w, 0, A, "512H");
	T_W_EQ(w, 0, A, "THP on read without use_zero_page", T_PTE(w, 0, A).kind, PMD);
	T_W_EQ(w, 0, A, "pages_in_use", t_pages_in_use(w), N);
	khp_world_free(w);
	khp_program_free(&p);
}

/* CoW copies 4 KiB; the last mapper reuses its page. */
static void test_cow_copy_and_reuse(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	uint32_t f, g;
	size_t n;

	vma_written(&p, 0, 2);
	t_fork(&p, 0, 1);
	w = T_WORLD(&p, "linux-6.12");
	assert_map(w, 0, A, "2s 510.");
	f = T_FOLIO_AT(w, 0, A);
	T_W_EQ(w, 0, A, "pages_in_use after fork", t_pages_in_use(w), 2);

	n = p.nr_ops;
	t_touch(&p, 1, A, 1, true);     /* child: CoW */
	T_PLAY(w, &p, n);
	assert_map(w, 0, A, "1e 1s 510.");
	assert_map(w, 1, A, "1E 1s 510.");
	g = T_FOLIO_AT(w, 1, A);
	T_W_EQ(w, 1, A, "child got a copy", g != f, true);
	T_W_EQ(w, 1, A, "copy is order 0", T_PTE(w, 1, A).order, 0);
	T_W_EQ(w, 1, A, "copy writable", T_PTE(w, 1, A).write, true);
	T_W_EQ(w, 1, A, "parent keeps its folio", T_FOLIO_AT(w, 0, A), f);
	T_W_EQ(w, 1, A, "pages_in_use after CoW", t_pages_in_use(w), 3);

	n = p.nr_ops;
	t_touch(&p, 0, A, 1, true);     /* parent: now exclusive -> reuse */
	T_PLAY(w, &p, n);
	assert_map(w, 0, A, "1E 1s 510.");
	T_W_EQ(w, 0, A, "parent reuses", T_FOLIO_AT(w, 0, A), f);
	T_W_EQ(w, 0, A, "parent writable again", T_PTE(w, 0, A).write, true);
	T_W_EQ(w, 0, A, "no new page on reuse", t_pages_in_use(w), 3);
	khp_world_free(w);
	khp_program_free(&p);
}

/* fork: both write-protected, child PTEs old, PMD mappings shared. */
static void test_fork_state(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_pte_info pi, ci;
	struct khp_totals t;
	uint32_t thp;

	vma_written(&p, 0, 4);
	t_mmap(&p, 0, A + 2 * N, N, T_RW | T_HUGE);
	t_touch(&p, 0, A + 2 * N, N, true);
	t_fork(&p, 0, 1);
	w = T_WORLD(&p, "linux-7.3");
	assert_map(w, 0, A, "4s 508.");
	assert_map(w, 1, A, "4s 508.");
	assert_map(w, 1, A + 2 * N, "512H");
	pi = T_PTE(w, 0, A);
	ci = T_PTE(w, 1, A);
	T_W_EQ(w, 0, A, "same folio", ci.folio, pi.folio);
	T_W_EQ(w, 0, A, "parent write-protected", pi.write, false);
	T_W_EQ(w, 1, A, "child write-protected", ci.write, false);
	T_W_EQ(w, 0, A, "parent stays young", pi.young, true);
	T_W_EQ(w, 1, A, "child PTE old", ci.young, false);
	pi = T_PTE(w, 0, A + 2 * N);
	ci = T_PTE(w, 1, A + 2 * N);
	T_W_EQ(w, 1, A + 2 * N, "child PMD-mapped", ci.kind, PMD);
	T_W_EQ(w, 1, A + 2 * N, "PMD shared", ci.folio, pi.folio);
	T_W_EQ(w, 1, A + 2 * N, "parent PMD write-protected", pi.write, false);
	T_W_EQ(w, 1, A + 2 * N, "child PMD write-protected", ci.write, false);
	T_W_EQ(w, 1, A + 2 * N, "child PMD old", ci.young, false);
	thp = pi.folio;
	T_W_EQ(w, 1, A + 2 * N, "entire_mapcount", T_FOLIO(w, thp).entire_mapcount, 2);
	T_W_EQ(w, 1, A + 2 * N, "refcount", T_FOLIO(w, thp).refcount, 2);
	T_W_EQ(w, 0, A, "pages_in_use unchanged by fork", t_pages_in_use(w), N + 4);
	khp_world_totals(w, &t);
	T_W_EQ(w, 0, A, "nr_mms", t.nr_mms, 2);
	T_W_EQ(w, 0, A, "pmd_thps parent", t.pmd_thps[0], 1);
	T_W_EQ(w, 0, A, "pmd_thps child", t.pmd_thps[1], 1);
	T_W_EQ(w, 1, A, "child alive", khp_world_mm_alive(w, 1), true);
	khp_world_free(w);
	khp_program_free(&p);
}

/* A pinned (GUP) exclusive page is copied at fork; the parent keeps write access. */
static void test_fork_pinned_page_copied(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_pte_info pi, ci;

	vma_written(&p, 0, 2);
	t_pin(&p, 0, A);
	t_fork(&p, 0, 1);
	w = T_WORLD(&p, "linux-6.1");
	assert_map(w, 0, A, "1E 1s 510.");
	assert_map(w, 1, A, "1E 1s 510.");
	pi = T_PTE(w, 0, A);
	ci = T_PTE(w, 1, A);
	T_W_EQ(w, 1, A, "child got its own copy", ci.folio != pi.folio, true);
	T_W_EQ(w, 0, A, "parent keeps write access", pi.write, true);
	T_W_EQ(w, 0, A, "parent folio pinned", T_FOLIO(w, pi.folio).pinned, true);
	T_W_EQ(w, 0, A, "unpinned page shared", T_PTE(w, 1, A + 1).folio, T_PTE(w, 0, A + 1).folio);
	T_W_EQ(w, 0, A, "pages_in_use", t_pages_in_use(w), 3);
	khp_world_free(w);
	khp_program_free(&p);
}

/* PMD split on a partial DONTNEED; the THP is queued for deferred split. */
static void test_split_partial_dontneed(void **state)
{
	struct khp_program p;

	vma_written(&p, T_HUGE, N);
	t_dontneed(&p, 0, A + 10, 1);
	const struct t_row rows[] = {
		{ MAP(0, A),                       MALL("10E 1. 501E") },
		{ KIND(0, A),                      ALL(PRESENT), "split" },
		{ KIND(0, A + 10),                 ALL(NONE), "zapped" },
		{ WRITE(0, A + 11),                ALL(1), "PTE keeps write" },
		{ FOLIO(0, A, large_mapcount),     ALL(N - 1) },
		{ FOLIO(0, A, deferred_split),     ALL(1), "deferred split queued" },
		{ FOLIO(0, A, partially_mapped),   K3(NA, 1, 1) },
		{ PAGES(),                         ALL(N), "THP still allocated" },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* mprotect of part of a THP splits VMA and PMD. */
static void test_split_partial_mprotect(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_folio_info fi;

	vma_written(&p, T_HUGE, N);
	t_mprotect(&p, 0, A, 1, false);
	w = T_WORLD(&p, "linux-6.12");
	assert_map(w, 0, A, "1e 511E");
	T_W_EQ(w, 0, A, "split", T_PTE(w, 0, A).kind, PRESENT);
	T_W_EQ(w, 0, A, "PTE 0 read-only", T_PTE(w, 0, A).write, false);
	T_W_EQ(w, 0, A, "PTE 1 writable", T_PTE(w, 0, A + 1).write, true);
	fi = T_FOLIO(w, T_PTE(w, 0, A).folio);
	T_W_EQ(w, 0, A, "all 512 still mapped", fi.large_mapcount, N);
	T_W_EQ(w, 0, A, "entire_mapcount", fi.entire_mapcount, 0);
	T_W_EQ(w, 0, A, "pages_in_use", t_pages_in_use(w), N);
	khp_world_free(w);
	khp_program_free(&p);
}

/*
 * mremap: moving one page out of a THP splits the PMD (the page keeps its
 * folio and subpage); moving a whole aligned THP keeps the PMD.
 */
static void test_mremap_split_and_move(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_pte_info pi;
	uint32_t thp;
	const uint64_t to = A + 8 * N;

	vma_written(&p, T_HUGE, N);
	w = T_WORLD(&p, "linux-6.1");
	thp = T_FOLIO_AT(w, 0, A);
	khp_world_free(w);
	t_mremap(&p, 0, A + 3, 1, KHP_OPF_TO, to + 3, 0);
	w = T_WORLD(&p, "linux-6.1");
	assert_map(w, 0, A, "3E 1~ 508E");
	assert_map(w, 0, to, "3~ 1E 508~");
	T_W_EQ(w, 0, A, "split", T_PTE(w, 0, A).kind, PRESENT);
	pi = T_PTE(w, 0, to + 3);
	T_W_EQ(w, 0, to + 3, "moved page keeps its folio", pi.folio, thp);
	T_W_EQ(w, 0, to + 3, "moved page keeps its subpage", pi.subpage, 3);
	T_W_EQ(w, 0, A, "pages_in_use", t_pages_in_use(w), N);
	khp_world_free(w);
	khp_program_free(&p);

	vma_written(&p, T_HUGE, N);
	t_mremap(&p, 0, A, N, KHP_OPF_TO, to, 0);
	w = T_WORLD(&p, "linux-6.1");
	assert_map(w, 0, to, "512H");
	assert_map(w, 0, A, "512~");
	T_W_EQ(w, 0, to, "PMD moved whole", T_PTE(w, 0, to).kind, PMD);
	T_W_EQ(w, 0, A, "old range unmapped", khp_world_pte(w, 0, A, &pi) != 0 ||
	       pi.kind == NONE || pi.kind == KHP_PTE_NO_TABLE, true);
	T_W_EQ(w, 0, to, "pages_in_use", t_pages_in_use(w), N);
	khp_world_free(w);
	khp_program_free(&p);
}

/* mremap resize: shrinking unmaps the tail (freeing it), growing extends the VMA. */
static void test_mremap_resize(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	uint32_t f2;
	size_t n;
	const uint64_t to = A + 8 * N;

	t_prog(&p, N);
	t_mmap(&p, 0, A, 10, T_RW);
	t_touch(&p, 0, A, 10, true);
	w = T_WORLD(&p, "linux-6.12");
	assert_map(w, 0, A, "10E 502~");
	f2 = T_FOLIO_AT(w, 0, A + 2);
	n = p.nr_ops;
	t_mremap(&p, 0, A, 10, KHP_OPF_NEW_PAGES, 0, 5);
	T_PLAY(w, &p, n);
	assert_map(w, 0, A, "5E 507~");
	T_W_EQ(w, 0, A, "tail freed", t_pages_in_use(w), 5);
	n = p.nr_ops;
	t_mremap(&p, 0, A, 5, KHP_OPF_NEW_PAGES, 0, 20);
	t_touch(&p, 0, A + 15, 1, true);
	T_PLAY(w, &p, n);
	assert_map(w, 0, A, "5E 10. 1E 4. 492~");
	T_W_EQ(w, 0, A, "grown VMA faults", t_pages_in_use(w), 6);
	T_W_EQ(w, 0, A + 5, "grown part empty", T_PTE(w, 0, A + 5).kind, NONE);
	n = p.nr_ops;
	t_mremap(&p, 0, A, 20, KHP_OPF_TO, to, 0);
	T_PLAY(w, &p, n);
	assert_map(w, 0, to, "5E 10. 1E 4. 492~");
	assert_map(w, 0, A, "512~");
	T_W_EQ(w, 0, to + 2, "move keeps the pages", T_FOLIO_AT(w, 0, to + 2), f2);
	T_W_EQ(w, 0, to, "pages_in_use after move", t_pages_in_use(w), 6);
	khp_world_free(w);
	khp_program_free(&p);
}

/* exit frees everything, in any order. */
static void test_exit_frees_everything(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_totals t;

	t_prog(&p, N);
	t_cfg(&p)->swap = true;
	t_mmap(&p, 0, A, 2 * N, T_RW | T_HUGE);
	t_touch(&p, 0, A, N, true);
	t_touch(&p, 0, A + N, 1, false);
	t_mmap(&p, 0, A + 4 * N, 16, T_RW);
	t_touch(&p, 0, A + 4 * N, 16, true);
	t_madvise(&p, 0, A + 4 * N, 4, KHP_ADV_PAGEOUT);
	t_fork(&p, 0, 1);
	t_touch(&p, 1, A + 4 * N + 8, 4, true);
	t_dontneed(&p, 1, A + 5, 1);
	w = T_WORLD(&p, "linux-7.3");
	assert_map(w, 0, A, "512H");
	assert_map(w, 0, A + N, "512z");
	assert_map(w, 0, A + 4 * N, "4w 4s 4e 4s 496~");
	assert_map(w, 1, A, "5s 1. 506s");
	assert_map(w, 1, A + 4 * N, "4w 4s 4E 4s 496~");
	t_exit(&p, 0);
	t_exit(&p, 1);
	T_PLAY(w, &p, p.nr_ops - 2);
	khp_world_totals(w, &t);
	T_W_EQ(w, 0, A, "pages_in_use", t.pages_in_use, 0);
	T_W_EQ(w, 0, A, "swap slots", t.swap_slots_in_use, 0);
	T_W_EQ(w, 0, A, "large folios", t.large_folios, 0);
	T_W_EQ(w, 0, A, "mm 0 dead", khp_world_mm_alive(w, 0), false);
	T_W_EQ(w, 0, A, "mm 1 dead", khp_world_mm_alive(w, 1), false);
	T_WORLD_OK(w);
	khp_world_free(w);
	khp_program_free(&p);
}

/* pageout skips pages another mm maps and swaps exclusive ones; touch swaps in. */
static void test_pageout_and_swapin(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_totals t;
	size_t n;

	vma_written(&p, 0, 2);
	t_cfg(&p)->swap = true;
	t_fork(&p, 0, 1);
	t_touch(&p, 1, A + 1, 1, true);          /* page 1 now exclusive in both */
	t_madvise(&p, 0, A, 2, KHP_ADV_PAGEOUT);
	w = T_WORLD(&p, "linux-6.12");
	assert_map(w, 0, A, "1s 1w 510.");
	T_W_EQ(w, 0, A, "shared page not swapped", T_PTE(w, 0, A).kind, PRESENT);
	T_W_EQ(w, 0, A + 1, "exclusive page swapped", T_PTE(w, 0, A + 1).kind, KHP_PTE_SWAP);
	khp_world_totals(w, &t);
	T_W_EQ(w, 0, A, "swap slots", t.swap_slots_in_use, 1);
	T_W_EQ(w, 0, A, "pages_in_use", t.pages_in_use, 2);

	n = p.nr_ops;
	t_touch(&p, 0, A + 1, 1, true);
	T_PLAY(w, &p, n);
	assert_map(w, 0, A, "1s 1E 510.");
	T_W_EQ(w, 0, A + 1, "swapped in", T_PTE(w, 0, A + 1).kind, PRESENT);
	T_W_EQ(w, 0, A + 1, "write swap-in is writable", T_PTE(w, 0, A + 1).write, true);
	khp_world_totals(w, &t);
	T_W_EQ(w, 0, A, "swap slot freed on write", t.swap_slots_in_use, 0);
	T_W_EQ(w, 0, A, "pages_in_use", t.pages_in_use, 3);
	khp_world_free(w);
	khp_program_free(&p);

	/* no swap device: pageout swaps nothing */
	vma_written(&p, 0, 2);
	t_cfg(&p)->swap = false;
	t_madvise(&p, 0, A, 2, KHP_ADV_PAGEOUT);
	w = T_WORLD(&p, "linux-6.12");
	assert_map(w, 0, A, "2E 510.");
	T_W_EQ(w, 0, A, "not swapped", T_PTE(w, 0, A).kind, PRESENT);
	khp_world_free(w);
	khp_program_free(&p);
}

/* The split op splits partially mapped queued THPs; the unmapped half is freed. */
static void test_split_op_partially_mapped(void **state)
{
	struct khp_program p;

	vma_written(&p, T_HUGE, N);
	t_mmap(&p, 0, A + 2 * N, N, T_RW | T_HUGE);
	t_touch(&p, 0, A + 2 * N, N, true);
	t_dontneed(&p, 0, A + 256, 256);
	t_split(&p);
	const struct t_row rows[] = {
		{ MAP(0, A),                  MALL("256E 256.") },
		{ MAP(0, A + 2 * N),          MALL("512H") },
		{ ORDER(0, A),                ALL(0), "split into small folios" },
		{ KIND(0, A + 255),           ALL(PRESENT), "still mapped" },
		{ KIND(0, A + 2 * N),         ALL(PMD), "fully mapped THP untouched" },
		{ PAGES(),                    ALL(256 + N) },
		{ WORLD_OK(),                 ALL(1) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * 6.12 / 7.3 underused-THP shrinker (thp_underused() [6.12]): with
 * max_ptes_none < 511 a THP with more than max_ptes_none zero-filled
 * subpages is split by the split pass and its zero subpages become
 * zero-page PTEs.  6.1 has no such shrinker; max_ptes_none = 511 disables
 * it.
 */
static void test_split_op_underused(void **state)
{
	for (unsigned none = 255; none <= 511; none += 256) {
		struct khp_program p;
		bool split = none < 511;

		t_prog(&p, N);
		t_cfg(&p)->thp = KHP_THP_ALWAYS;
		t_cfg(&p)->shrink_underused = true;
		t_cfg(&p)->max_ptes_none = none;
		t_mmap(&p, 0, A, N, T_RW);
		t_touch(&p, 0, A, 1, true);
		t_split(&p);
		const struct t_row rows[] = {
			{ MAP(0, A),             M3("512H", split ? "1E 511*0" : "512H",
						    split ? "1E 511*0" : "512H") },
			{ KIND(0, A),            K3(PMD, split ? PRESENT : PMD, split ? PRESENT : PMD),
			  "split" },
			{ KIND(0, A + 1),        K3(NA, split ? ZERO : NA, split ? ZERO : NA),
			  "zero subpage -> zero page" },
			{ PAGES(),               K3(N, split ? 1 : N, split ? 1 : N) },
		};
		T_KERNELS(&p, rows);
		khp_program_free(&p);
	}
}

/* mTHP at fault (6.12, 7.3) when an mTHP order is enabled; 6.1 has none. */
static void test_fault_mthp(void **state)
{
	struct khp_program p;

	t_prog(&p, N);
	t_cfg(&p)->mthp_orders = 1u << 4;
	t_mmap(&p, 0, A, N, T_RW);
	t_touch(&p, 0, A, 1, true);
	const struct t_row rows[] = {
		{ MAP(0, A),             M3("1E 511.", "16E 496.", "16E 496.") },
		{ ORDER(0, A),           K3(0, 4, 4), "folio order" },
		{ KIND(0, A + 15),       K3(NONE, PRESENT, PRESENT) },
		{ KIND(0, A + 16),       ALL(NONE) },
		{ PAGES(),               K3(1, 16, 16) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * 7.3 mTHP collapse (mthp_collapse() [7.3]): orders {PMD (madvise +
 * VM_HUGEPAGE), 4}, max_ptes_none = 0.  The scan runs with max_ptes_none
 * 511 (order set is not {PMD}); the PMD candidate needs 512 occupied
 * (fails), order 4 at offset 0 has 16 of 16 -> one order-4 folio.  6.1 /
 * 6.12 stop at the first none PTE (EXCEED_NONE_PTE).  The pages are
 * faulted in a VM_NOHUGEPAGE VMA so that they are 4 KiB.
 */
static void test_mthp_collapse_73(void **state)
{
	struct khp_program p;
	size_t step;

	mthp_prog(&p, 0, 16);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, A);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           MALL("16E 496.") },
		{ MAP(0, A),                  MALL("16E 496.") },
		{ RESULT(step),               K3(SCAN_EXCEED_NONE_PTE, SCAN_EXCEED_NONE_PTE,
					         SCAN_SUCCEED) },
		{ REC(step, collapsed),       K3(NA, NA, 1) },
		{ REC(step, nr_collapsed),    K3(NA, NA, 1) },
		{ REC(step, alloc_pages),     K3(NA, NA, 16) },
		{ REC(step, freed_pages),     K3(NA, NA, 16) },
		{ PMD_THPS(0),                K3(NA, NA, 0) },
		{ PAGES(),                    K3(NA, NA, 16) },
		{ ORDER(0, A),                K3(NA, NA, 4), "order-4 folio" },
		{ KIND(0, A),                 K3(NA, NA, PRESENT), "PTE-mapped" },
		{ SAME_FOLIO(0, A + 15, 0, A), K3(NA, NA, 1) },
		{ KIND(0, A + 16),            K3(NA, NA, NONE) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* MADV_COLLAPSE stays PMD-only in 7.3 even with mTHP orders enabled. */
static void test_mthp_not_for_madv_collapse(void **state)
{
	struct khp_program p;
	struct t_run r;
	size_t step;

	mthp_prog(&p, N - 1, 16);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	step = t_collapse(&p, 0, A, N);
	T_RUN(&r, &p, "linux-7.3");
	T_MAP_BEFORE(&r, step, "16E 496.");
	T_RESULT(&r, step, SCAN_SUCCEED);
	T_TOTAL(&r, pmd_thps[0], 1);
	T_TOTAL(&r, pages_in_use, N);
	t_run_free(&r);
	khp_program_free(&p);
}

/*
 * 7.3 mTHP: each isolate needs >= 1 referenced PTE in its own sub-range
 * (__collapse_huge_page_isolate() per order).  [0,16) aged, [16,32)
 * young: order 4 at 0 fails (LACK_REFERENCED), order 4 at 16 is collapsed.
 */
static void test_mthp_collapse_needs_referenced_subrange(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct t_run r;
	size_t step;

	mthp_prog(&p, 0, 32);
	t_age(&p, 0, A, 16);
	step = mthp_collapse_once_73(&p, &r, "32E 480.");
	T_EQ(&r, step, referenced, 16);
	T_TOTAL(&r, pages_in_use, 32);
	t_run_free(&r);
	w = T_WORLD(&p, "linux-7.3");
	assert_map(w, 0, A, "32E 480.");
	T_W_EQ(w, 0, A, "aged sub-range stays 4 KiB", T_PTE(w, 0, A).order, 0);
	T_W_EQ(w, 0, A + 16, "young sub-range collapsed", T_PTE(w, 0, A + 16).order, 4);
	khp_world_free(w);
	khp_program_free(&p);
}

/*
 * 7.3 mTHP: max_ptes_shared is 0 for mTHP orders.  [0,16) still shared
 * with a child, [16,32) CoW'd by the parent: only offset 16 collapses.
 */
static void test_mthp_collapse_shared_limit_zero(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct t_run r;
	size_t step;

	mthp_prog(&p, 0, 32);
	t_fork(&p, 0, 1);
	t_touch(&p, 0, A + 16, 16, true);
	step = mthp_collapse_once_73(&p, &r, "16s 16E 480.");
	T_EQ(&r, step, shared, 16);
	t_run_free(&r);
	w = T_WORLD(&p, "linux-7.3");
	T_W_EQ(w, 0, A, "shared sub-range stays 4 KiB", T_PTE(w, 0, A).order, 0);
	T_W_EQ(w, 0, A + 16, "exclusive sub-range collapsed", T_PTE(w, 0, A + 16).order, 4);
	khp_world_free(w);
	khp_program_free(&p);
}

/*
 * 7.3 mTHP and max_ptes_none: 511 lets the PMD candidate win (>= 1
 * occupied); any other value (255) means 0 for mTHP orders while the PMD
 * order keeps 255 (needs 257 occupied): 24 pages -> one order-4 folio.
 */
static void test_mthp_collapse_max_ptes_none_scaling(void **state)
{
	for (unsigned none = 255; none <= 511; none += 256) {
		struct khp_program p;
		struct t_run r;

		mthp_prog(&p, none, 24);
		mthp_collapse_once_73(&p, &r, "24E 488.");
		T_TOTAL(&r, pmd_thps[0], none == 511 ? 1 : 0);
		T_TOTAL(&r, pages_in_use, none == 511 ? N : 24);
		t_run_free(&r);
		khp_program_free(&p);
	}
}

/*
 * 7.3 mTHP: an order-4 folio from the fault path is not collapsed again
 * at order 4 (isolate: PTE_MAPPED_HUGEPAGE, next offset); 6.1 / 6.12 stop
 * on max_ptes_none 0.  Which code the step reports when the only attempt
 * ended in PTE_MAPPED_HUGEPAGE is left open (mthp_collapse() [7.3] keeps
 * "the last failure"), so 7.3 is only required not to succeed and not to
 * allocate.
 */
static void test_mthp_existing_folio_skipped(void **state)
{
	struct khp_program p;
	struct t_run r;
	size_t step;

	t_prog(&p, N);
	t_cfg(&p)->mthp_orders = 1u << 4;
	t_cfg(&p)->max_ptes_none = 0;
	t_mmap(&p, 0, A, N, T_RW);
	t_touch(&p, 0, A, 1, true);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, A);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           M3("1E 511.", "16E 496.", "16E 496.") },
		{ RESULT(step),               K3(SCAN_EXCEED_NONE_PTE, SCAN_EXCEED_NONE_PTE, NA) },
		{ REC(step, collapsed),       K3(NA, NA, 0) },
		{ REC(step, nr_collapsed),    K3(NA, NA, 0) },
		{ PAGES(),                    K3(NA, NA, 16) },
	};
	T_KERNELS(&p, rows);
	T_RUN(&r, &p, "linux-7.3");
	T_EQ(&r, step, result != SCAN_SUCCEED, true);
	t_run_free(&r);
	khp_program_free(&p);
}

/* 7.3 MM-ID: a new mTHP mapped by 16 PTEs starts with slot0 = owner, count 16. */
static void test_mthp_fault_mm_id_slot(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_folio_info fi;

	t_prog(&p, N);
	t_cfg(&p)->mthp_orders = 1u << 4;
	t_mmap(&p, 0, A, N, T_RW);
	t_touch(&p, 0, A, 1, true);
	w = T_WORLD(&p, "linux-7.3");
	assert_map(w, 0, A, "16E 496.");
	fi = T_FOLIO(w, T_FOLIO_AT(w, 0, A));
	T_W_EQ(w, 0, A, "order", fi.order, 4);
	T_W_EQ(w, 0, A, "slot0 id", fi.mm_id[0], khp_world_mm_id(w, 0));
	T_W_EQ(w, 0, A, "slot0 count", fi.mm_id_mapcount[0], 16);
	T_W_EQ(w, 0, A, "large_mapcount", fi.large_mapcount, 16);
	T_W_EQ(w, 0, A, "bit", fi.maybe_shared, false);
	khp_world_free(w);
	khp_program_free(&p);
}

/*
 * From 6.12 a collapsed THP joins the deferred-split list (not partially
 * mapped) when shrink_underused is set (collapse_huge_page() ->
 * deferred_split_folio(folio, false)); 6.1 has no such list.
 */
static void test_collapsed_thp_deferred_split_queue(void **state)
{
	for (unsigned su = 0; su < 2; su++) {
		struct khp_program p;

		vma_written(&p, 0, N);
		t_cfg(&p)->shrink_underused = su;
		t_collapse(&p, 0, A, N);
		const struct t_row rows[] = {
			{ MAP(0, A),                       MALL("512H") },
			{ KIND(0, A),                      ALL(PMD) },
			{ FOLIO(0, A, deferred_split),     K3(0, su, su),
			  "queued for the underused shrinker" },
			{ FOLIO(0, A, partially_mapped),   ALL(0) },
		};
		T_KERNELS(&p, rows);
		khp_program_free(&p);
	}
}

/*
 * After a collapse: MADV_COLLAPSE of 200 written pages zero-fills 312
 * subpages; with max_ptes_none = 255 that THP is underused, and the split
 * pass (6.12, 7.3: thp_underused()) splits it back: 200 pages, 312
 * zero-page PTEs.
 */
static void test_underused_split_after_collapse(void **state)
{
	struct khp_program p;

	vma_written(&p, 0, 200);
	t_cfg(&p)->shrink_underused = true;
	t_cfg(&p)->max_ptes_none = 255;
	t_collapse(&p, 0, A, N);
	t_split(&p);
	const struct t_row rows[] = {
		{ MAP(0, A),             M3("512H", "200E 312*0", "200E 312*0") },
		{ KIND(0, A),            K3(PMD, PRESENT, PRESENT), "split" },
		{ KIND(0, A + 300),      K3(NA, ZERO, ZERO), "zero-filled -> zero page" },
		{ PAGES(),               K3(N, 200, 200) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* Swap entries are shared by fork; the slot lives until the last mm goes. */
static void test_swap_entry_shared_by_fork(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_totals t;
	size_t n;

	vma_written(&p, 0, 4);
	t_cfg(&p)->swap = true;
	t_madvise(&p, 0, A, 4, KHP_ADV_PAGEOUT);
	t_fork(&p, 0, 1);
	w = T_WORLD(&p, "linux-6.1");
	assert_map(w, 0, A, "4w 508.");
	assert_map(w, 1, A, "4w 508.");
	T_W_EQ(w, 1, A, "child has the swap entry", T_PTE(w, 1, A).kind, KHP_PTE_SWAP);
	khp_world_totals(w, &t);
	T_W_EQ(w, 0, A, "4 slots", t.swap_slots_in_use, 4);
	T_W_EQ(w, 0, A, "no pages", t.pages_in_use, 0);
	n = p.nr_ops;
	t_exit(&p, 0);
	T_PLAY(w, &p, n);
	khp_world_totals(w, &t);
	T_W_EQ(w, 1, A, "slots kept for the child", t.swap_slots_in_use, 4);
	n = p.nr_ops;
	t_exit(&p, 1);
	T_PLAY(w, &p, n);
	khp_world_totals(w, &t);
	T_W_EQ(w, 1, A, "slots freed", t.swap_slots_in_use, 0);
	khp_world_free(w);
	khp_program_free(&p);
}

/* Metadata line: 4 bytes per page of large folios vs 16 bytes per large folio. */
static void test_totals_metadata(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_totals t;

	t_prog(&p, N);
	t_cfg(&p)->mthp_orders = 1u << 4;
	t_mmap(&p, 0, A, 2 * N, T_RW | T_HUGE);
	t_touch(&p, 0, A, 2 * N, true);
	t_mmap(&p, 0, A + 4 * N, N, T_RW);
	t_touch(&p, 0, A + 4 * N, 1, true);       /* one order-4 mTHP (6.12+) */
	w = T_WORLD(&p, "linux-6.12");
	assert_map(w, 0, A, "512H");
	assert_map(w, 0, A + N, "512H");
	assert_map(w, 0, A + 4 * N, "16E 496.");
	khp_world_totals(w, &t);
	T_W_EQ(w, 0, A, "large folios", t.large_folios, 3);
	T_W_EQ(w, 0, A, "large folio pages", t.large_folio_pages, 2 * N + 16);
	T_W_EQ(w, 0, A, "per-page bytes", t.meta_per_page_bytes, 4 * (2 * N + 16));
	T_W_EQ(w, 0, A, "per-folio bytes", t.meta_per_folio_bytes, 16 * 3);
	T_W_EQ(w, 0, A, "pages_in_use", t.pages_in_use, 2 * N + 16);
	khp_world_free(w);
	khp_program_free(&p);
}

/* Registration is inherited at fork: an unregistered parent's child is not visited. */
static void test_fork_registration_inherited(void **state)
{
	struct khp_program p;
	size_t step_unreg, step_reg;

	t_prog(&p, N);
	t_cfg(&p)->thp = KHP_THP_ALWAYS;
	t_mmap(&p, 0, A, N + 88, T_RW);
	t_touch(&p, 0, A + N + 10, 1, true);      /* 4 KiB fallback: no registration */
	t_fork(&p, 0, 1);
	step_unreg = t_khugepaged(&p, 1, A);
	t_mmap(&p, 0, A + 8 * N, N, T_RW);
	t_touch(&p, 0, A + 8 * N, 1, true);       /* THP fault registers mm 0 */
	t_fork(&p, 0, 2);
	step_reg = t_khugepaged(&p, 2, A + 8 * N);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step_unreg),     MALL("512_") },
		{ RESULT(step_unreg),         ALL(KHP_NOT_VISITED) },
		{ MAP_BEFORE(step_reg),       MALL("512H") },
		{ RESULT(step_reg),           ALL(SCAN_PMD_MAPPED) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * 7.3 mthp_collapse(): for the PMD candidate swap PTEs count as occupied
 * ("occupied += unmapped").  Orders {PMD, 4}, max_ptes_none 0, 511
 * present + 1 swap PTE: 512 >= 512, so the PMD order is collapsed.
 */
static void test_mthp_pmd_candidate_counts_swap(void **state)
{
	struct khp_program p;
	size_t step;

	mthp_prog(&p, 0, N);
	t_cfg(&p)->swap = true;
	t_madvise(&p, 0, A + 100, 1, KHP_ADV_PAGEOUT);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, A);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           MALL("100E 1w 411E") },
		{ MAP(0, A),                  MALL("512H") },
		{ RESULT(step),               ALL(SCAN_SUCCEED) },
		{ REC(step, unmapped),        ALL(1) },
		{ REC(step, nr_collapsed),    ALL(1) },
		{ PMD_THPS(0),                ALL(1) },
		{ SWAP_SLOTS(),               ALL(0) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_read_zero_then_write),
		cmocka_unit_test(test_fault_thp_when_eligible),
		cmocka_unit_test(test_fault_huge_zero_page),
		cmocka_unit_test(test_cow_copy_and_reuse),
		cmocka_unit_test(test_fork_state),
		cmocka_unit_test(test_fork_pinned_page_copied),
		cmocka_unit_test(test_split_partial_dontneed),
		cmocka_unit_test(test_split_partial_mprotect),
		cmocka_unit_test(test_mremap_split_and_move),
		cmocka_unit_test(test_mremap_resize),
		cmocka_unit_test(test_exit_frees_everything),
		cmocka_unit_test(test_pageout_and_swapin),
		cmocka_unit_test(test_split_op_partially_mapped),
		cmocka_unit_test(test_split_op_underused),
		cmocka_unit_test(test_fault_mthp),
		cmocka_unit_test(test_mthp_collapse_73),
		cmocka_unit_test(test_mthp_not_for_madv_collapse),
		cmocka_unit_test(test_mthp_collapse_needs_referenced_subrange),
		cmocka_unit_test(test_mthp_collapse_shared_limit_zero),
		cmocka_unit_test(test_mthp_collapse_max_ptes_none_scaling),
		cmocka_unit_test(test_mthp_existing_folio_skipped),
		cmocka_unit_test(test_mthp_fault_mm_id_slot),
		cmocka_unit_test(test_collapsed_thp_deferred_split_queue),
		cmocka_unit_test(test_underused_split_after_collapse),
		cmocka_unit_test(test_swap_entry_shared_by_fork),
		cmocka_unit_test(test_totals_metadata),
		cmocka_unit_test(test_fork_registration_inherited),
		cmocka_unit_test(test_mthp_pmd_candidate_counts_swap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
