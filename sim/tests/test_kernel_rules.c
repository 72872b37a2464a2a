/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The simulator's behaviour outside the khugepaged scan, per kernel, as
 * the Debian 6.1.192 / 6.12.107 / 7.3.4 sources have it (the rules are
 * the rows of docs/profiles.md): COW reuse, huge PMD write faults,
 * MADV_PAGEOUT / MADV_COLD, MADV_FREE, zero-page remapping on split,
 * swap-in, fork, khugepaged registration, 7.3 page-table reclaim,
 * deferred-split queueing, the mprotect write upgrade and the mTHP fault
 * order.  Each section names the kernel functions it follows.
 *
 * Every test draws the range it builds (MAP rows, T_KW_MAP) and states
 * each kernel's value in one row { 6.1, 6.12, 7.3 }.  Each is built so
 * that it fails if the rule it names were modelled the other way.
 */
#include "khp_test.h"

#define N	512u
#define A	(32 * N)

#define PRESENT KHP_PTE_PRESENT
#define SWAP    KHP_PTE_SWAP
#define ZERO    KHP_PTE_ZERO
#define NONE    KHP_PTE_NONE
#define PMD     KHP_PTE_PMD

/* A PMD-mapped THP at A, its first `written` pages written (thp=madvise, VM_HUGEPAGE). */
static void thp_written(struct khp_program *p, uint64_t written)
{
	t_prog(p, N);
	t_mmap(p, 0, A, N, T_RW | T_HUGE);
	t_touch(p, 0, A, written, true);
}

/* mm 0: an N-page VMA at A without VM_HUGEPAGE, its first `written` pages written. */
static void small_written(struct khp_program *p, uint64_t written)
{
	t_prog(p, N);
	t_mmap(p, 0, A, N, T_RW);
	t_touch(p, 0, A, written, true);
}

/*
 * Split the PMD mapping of the THP at A without unmapping any page: a
 * one-page mprotect splits the VMA and the PMD (__split_huge_pmd), the
 * second restores the protection and vma_merge() joins the VMAs again.
 * The folio stays large and fully PTE-mapped; on 6.1 the last PTE stays
 * read-only (a clean PTE from a 6.1 split is not upgraded by mprotect).
 */
static void split_pmd_keep_mapped(struct khp_program *p)
{
	t_mprotect(p, 0, A + N - 1, 1, false);
	t_mprotect(p, 0, A + N - 1, 1, true);
}

#define SPLIT_KEPT_MAP M3("511E 1e", "512E", "512E")

/* ---- do_wp_page(), wp_can_reuse_anon_folio() [6.1, 6.12, 7.3] ----------- */

/*
 * A small non-exclusive folio is reused iff its refcount is 1: after fork
 * the parent's write copies while the child maps the page, and reuses it
 * once the child has exited (all versions).
 */
static void test_cow_small_nonexclusive(void **state)
{
	struct khp_program p;
	size_t forked, copied;
	unsigned k;

	small_written(&p, 2);
	forked = t_fork(&p, 0, 1) + 1;
	copied = t_touch(&p, 0, A + 1, 1, true) + 1;   /* the child still maps it: copy */
	t_exit(&p, 1);
	t_touch(&p, 0, A, 1, true);                    /* refcount 1: reuse */
	for_each_kernel(k) {
		struct t_kw t;
		uint32_t f;

		T_KW_START(&t, &p, k, forked);
		T_KW_MAP(&t, 0, A, "2s 510.");
		f = T_FOLIO_AT(t.w, 0, A);
		T_KW_PLAY(&t, copied);
		T_KW_MAP(&t, 0, A, "1s 1E 510.");
		T_KW_EQ(&t, "shared small page copied", t_pages_in_use(t.w), 3, 3, 3);
		T_KW_PLAY(&t, p.nr_ops);
		T_KW_MAP(&t, 0, A, "2E 510.");
		T_KW_EQ(&t, "refcount 1: same folio", T_FOLIO_AT(t.w, 0, A), f, f, f);
		T_KW_EQ(&t, "reused PTE writable", T_PTE(t.w, 0, A).write, 1, 1, 1);
		T_KW_EQ(&t, "reuse allocates nothing", t_pages_in_use(t.w), 2, 2, 2);
		t_kw_end(&t);
	}
	khp_program_free(&p);
}

/*
 * Non-exclusive subpage of a PTE-mapped THP (511 pages mapped), after
 * fork and the child's exit: 6.1 copies (refcount 511 > 3), 6.12 always
 * copies a large folio, 7.3 reuses (large_mapcount 511 > 1, MM-ID shared
 * bit clear once the child's slot is gone, large_mapcount == refcount).
 */
static void test_cow_large_after_child_exit(void **state)
{
	struct khp_program p;

	thp_written(&p, N);
	t_dontneed(&p, 0, A + N - 1, 1);  /* PTE-mapped, 511 pages */
	t_fork(&p, 0, 1);
	t_exit(&p, 1);
	t_touch(&p, 0, A, 1, true);
	const struct t_row rows[] = {
		{ MAP(0, A),                  MALL("1E 510e 1.") },
		{ SAME_FOLIO(0, A, 0, A + 1), K3(0, 0, 1), "written subpage stays in the THP" },
		{ ORDER(0, A),                K3(0, 0, 9) },
		{ WRITE(0, A),                ALL(1) },
		{ PAGES(),                    K3(N + 1, N + 1, N) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* The same while the child still maps the THP: every version copies. */
static void test_cow_large_child_alive(void **state)
{
	struct khp_program p;

	thp_written(&p, N);
	t_dontneed(&p, 0, A + N - 1, 1);
	t_fork(&p, 0, 1);
	t_touch(&p, 0, A, 1, true);
	const struct t_row rows[] = {
		{ MAP(0, A),                  MALL("1E 510s 1.") },
		{ MAP(1, A),                  MALL("1e 510s 1.") },
		{ ORDER(0, A),                ALL(0), "copied to order 0" },
		{ SAME_FOLIO(1, A, 0, A),     ALL(0), "child keeps the THP page" },
		{ PAGES(),                    ALL(N + 1) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * 7.3 also needs large_mapcount == refcount: an extra reference (a pin on
 * another subpage) makes the write copy.  The pin's own write fault on
 * A + 1 is reused in 7.3 (no extra reference yet) and copied in 6.1/6.12.
 */
static void test_cow_large_73_extra_ref(void **state)
{
	struct khp_program p;

	thp_written(&p, N);
	t_dontneed(&p, 0, A + N - 1, 1);
	t_fork(&p, 0, 1);
	t_exit(&p, 1);
	t_pin(&p, 0, A + 1);
	t_touch(&p, 0, A, 1, true);
	const struct t_row rows[] = {
		{ MAP(0, A),                  MALL("2E 509e 1.") },
		{ ORDER(0, A + 1),            K3(0, 0, 9), "pinned page order" },
		{ ORDER(0, A),                ALL(0), "extra reference: copied" },
		{ PAGES(),                    K3(N + 2, N + 2, N + 1) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * Only one subpage of the THP mapped, fork, child exits, parent writes:
 * 6.1 reuses (refcount == 1), 6.12 copies (large), 7.3 copies
 * (large_mapcount <= 1: "free up a large folio if only a single page is
 * mapped").  A copy frees the THP (its last mapping goes) and keeps one
 * page.
 */
static void test_cow_large_single_page_mapped(void **state)
{
	struct khp_program p;

	thp_written(&p, N);
	t_dontneed(&p, 0, A + 1, N - 1);  /* only subpage 0 stays mapped */
	t_fork(&p, 0, 1);
	t_exit(&p, 1);
	t_touch(&p, 0, A, 1, true);
	const struct t_row rows[] = {
		{ MAP(0, A),                  MALL("1E 511.") },
		{ ORDER(0, A),                K3(9, 0, 0), "order after the write" },
		{ WRITE(0, A),                ALL(1) },
		{ PAGES(),                    K3(N, 1, 1) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * An exclusive subpage is reused whatever the folio size.  6.1 is the
 * version with a userspace path to a write-protected exclusive PTE of a
 * large folio: the PMD split leaves clean PTEs (__split_huge_pmd_locked()
 * [6.1]) and 6.1 mprotect does not upgrade clean PTEs
 * (can_change_pte_writable() [6.1]).  In 6.12 / 7.3 mprotect makes such a
 * PTE writable without a fault.
 */
static void test_cow_exclusive_large_reused_61(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	uint32_t f;

	thp_written(&p, N);
	t_dontneed(&p, 0, A + N - 1, 1);
	t_mprotect(&p, 0, A, 1, false);
	t_mprotect(&p, 0, A, 1, true);
	w = T_WORLD(&p, "linux-6.1");
	assert_map(w, 0, A, "1e 510E 1.");
	f = T_FOLIO_AT(w, 0, A + 1);
	T_W_EQ(w, 0, A, "6.1: clean exclusive PTE still read-only", T_PTE(w, 0, A).write, false);
	t_touch(&p, 0, A, 1, true);
	T_PLAY(w, &p, p.nr_ops - 1);
	assert_map(w, 0, A, "511E 1.");
	T_W_EQ(w, 0, A, "exclusive subpage reused", T_FOLIO_AT(w, 0, A), f);
	T_W_EQ(w, 0, A, "reused PTE writable", T_PTE(w, 0, A).write, true);
	T_W_EQ(w, 0, A, "reused PTE dirty", T_PTE(w, 0, A).dirty, true);
	T_W_EQ(w, 0, A, "no copy", t_pages_in_use(w), N);
	khp_world_free(w);
	khp_program_free(&p);
}

/* ---- do_huge_pmd_wp_page() [6.1, 6.12], do_huge_zero_wp_pmd() [7.3] ----- */

/*
 * Shared PMD (after fork): the parent's write splits its PMD mapping only
 * and COWs one 4 KiB page at PTE level (6.1 refcount > 3, 6.12 large,
 * 7.3 MM-ID shared bit set); the child keeps its PMD.
 */
static void test_huge_pmd_wp_shared(void **state)
{
	struct khp_program p;

	thp_written(&p, N);
	t_fork(&p, 0, 1);
	t_touch(&p, 0, A + 5, 1, true);
	const struct t_row rows[] = {
		{ MAP(0, A),                  MALL("5s 1E 506s") },
		{ MAP(1, A),                  MALL("512H") },
		{ KIND(1, A),                 ALL(PMD), "child keeps the PMD" },
		{ KIND(0, A),                 ALL(PRESENT), "parent PMD split" },
		{ SAME_FOLIO(0, A + 6, 1, A), ALL(1), "parent's other pages still the THP" },
		{ ORDER(0, A + 5),            ALL(0), "written page is a 4K copy" },
		{ SAME_FOLIO(0, A + 5, 1, A), ALL(0), "the copy differs" },
		{ WRITE(0, A + 5),            ALL(1) },
		{ PAGES(),                    ALL(N + 1) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* After the other mm exited, refcount 1: the PMD is reused (all). */
static void test_huge_pmd_wp_reuse_after_exit(void **state)
{
	struct khp_program p;
	size_t exited;
	unsigned k;

	thp_written(&p, N);
	t_fork(&p, 0, 1);
	exited = t_exit(&p, 1) + 1;
	t_touch(&p, 0, A + 5, 1, true);
	for_each_kernel(k) {
		struct t_kw t;
		uint32_t thp;

		T_KW_START(&t, &p, k, exited);
		T_KW_MAP(&t, 0, A, "512H");
		thp = T_FOLIO_AT(t.w, 0, A);
		T_KW_EQ(&t, "write-protected by fork", T_PTE(t.w, 0, A).write, 0, 0, 0);
		T_KW_PLAY(&t, p.nr_ops);
		T_KW_MAP(&t, 0, A, "512H");
		T_KW_EQ(&t, "PMD kept", T_PTE(t.w, 0, A).kind, PMD, PMD, PMD);
		T_KW_EQ(&t, "same THP", T_FOLIO_AT(t.w, 0, A), thp, thp, thp);
		T_KW_EQ(&t, "PMD writable", T_PTE(t.w, 0, A).write, 1, 1, 1);
		T_KW_EQ(&t, "no copy", t_pages_in_use(t.w), N, N, N);
		t_kw_end(&t);
	}
	khp_program_free(&p);
}

/*
 * Write to the huge zero PMD: 6.1/6.12 do_huge_pmd_wp_page() split it
 * into zero-page PTEs and COW one order-0 page; 7.3 do_huge_zero_wp_pmd()
 * maps a fresh THP.
 */
static void test_huge_zero_pmd_write(void **state)
{
	struct khp_program p;

	t_prog(&p, N);
	t_mmap(&p, 0, A, N, T_RW | T_HUGE);
	t_touch(&p, 0, A, 1, false);
	const struct t_row before[] = {
		{ MAP(0, A),                  MALL("512z") },
	};
	T_KERNELS(&p, before);
	t_touch(&p, 0, A + 7, 1, true);
	const struct t_row rows[] = {
		{ MAP(0, A),             M3("7*0 1E 504*0", "7*0 1E 504*0", "512H") },
		{ KIND(0, A + 7),        K3(PRESENT, PRESENT, PMD), "written page" },
		{ ORDER(0, A + 7),       K3(0, 0, 9) },
		{ KIND(0, A),            K3(ZERO, ZERO, PMD), "neighbour" },
		{ PAGES(),               K3(1, 1, N) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * PTEs made by a PMD split (__split_huge_pmd_locked()): 6.1 leaves them
 * clean ("we don't do pte_mkdirty when dirty==true"), 6.12/7.3 copy the
 * PMD's dirty bit.  Write and young are inherited in all versions.
 */
static void test_pmd_split_dirty(void **state)
{
	struct khp_program p;

	thp_written(&p, N);
	t_dontneed(&p, 0, A + N - 1, 1);
	const struct t_row rows[] = {
		{ MAP(0, A),             MALL("511E 1.") },
		{ KIND(0, A),            ALL(PRESENT) },
		{ DIRTY(0, A),           K3(0, 1, 1) },
		{ WRITE(0, A),           ALL(1) },
		{ YOUNG(0, A),           ALL(1) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* ---- madvise_cold_or_pageout_pte_range() [6.1, 6.12, 7.3] --------------- */

/* A small exclusive page is swapped out; one shared with a child is skipped. */
static void test_pageout_small(void **state)
{
	struct khp_program p;

	small_written(&p, 2);
	t_madvise(&p, 0, A, 1, KHP_ADV_PAGEOUT);
	const struct t_row exclusive[] = {
		{ MAP(0, A),             MALL("1w 1E 510.") },
		{ KIND(0, A),            ALL(SWAP), "paged out" },
		{ KIND(0, A + 1),        ALL(PRESENT), "outside the range" },
		{ PAGES(),               ALL(1) },
		{ SWAP_SLOTS(),          ALL(1) },
	};
	T_KERNELS(&p, exclusive);
	khp_program_free(&p);

	small_written(&p, 2);
	t_fork(&p, 0, 1);
	t_madvise(&p, 0, A, 2, KHP_ADV_PAGEOUT);
	const struct t_row shared[] = {
		{ MAP(0, A),             MALL("2s 510.") },
		{ KIND(0, A),            ALL(PRESENT), "shared page skipped" },
		{ PAGES(),               ALL(2) },
		{ SWAP_SLOTS(),          ALL(0) },
	};
	T_KERNELS(&p, shared);
	khp_program_free(&p);
}

/*
 * Young bit: COLD clears it everywhere; PAGEOUT clears it on 6.1 only
 * (6.12/7.3: `if (!pageout && pte_young(ptent))`).  Without swap the paged
 * out page stays mapped, so its PTE can be looked at.
 */
static void test_pageout_cold_young(void **state)
{
	struct khp_program p;

	small_written(&p, 2);
	t_cfg(&p)->swap = false;
	t_madvise(&p, 0, A, 1, KHP_ADV_COLD);
	t_madvise(&p, 0, A + 1, 1, KHP_ADV_PAGEOUT);
	const struct t_row rows[] = {
		{ MAP(0, A),             MALL("2E 510.") },
		{ YOUNG(0, A),           ALL(0), "COLD: old" },
		{ KIND(0, A),            ALL(PRESENT), "COLD: still present" },
		{ KIND(0, A + 1),        ALL(PRESENT), "PAGEOUT without swap: present" },
		{ YOUNG(0, A + 1),       K3(0, 1, 1), "PAGEOUT: young kept on 6.12+" },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * A fully covered, fully PTE-mapped THP with only 4 pages ever written:
 * 6.12/7.3 page it out whole (no split, so no zero-page remap: all 512
 * PTEs become swap entries); 6.1 splits it first (no zero-page remap in
 * 6.1), then swaps the 512 small pages.  Either way every PTE is a swap
 * entry and pages_in_use drops by 512.
 */
static void test_pageout_pte_mapped_thp_covered(void **state)
{
	struct khp_program p;
	size_t split;

	thp_written(&p, 4);
	split_pmd_keep_mapped(&p);
	split = p.nr_ops;
	t_madvise(&p, 0, A, N, KHP_ADV_PAGEOUT);
	const struct t_row before[] = {
		{ MAP(0, A),             SPLIT_KEPT_MAP },
		{ KIND(0, A),            ALL(PRESENT), "PTE-mapped" },
		{ ORDER(0, A),           ALL(9) },
	};
	const struct t_row after[] = {
		{ MAP(0, A),             MALL("512w") },
		{ KIND(0, A),            ALL(SWAP), "written page swapped" },
		{ KIND(0, A + 100),      ALL(SWAP), "never-written page swapped too" },
		{ KIND(0, A + N - 1),    ALL(SWAP), "last page swapped" },
		{ PAGES(),               ALL(0) },
		{ SWAP_SLOTS(),          ALL(N) },
	};
	T_KERNELS_AT(&p, split, before);
	T_KERNELS(&p, after);
	khp_program_free(&p);
}

/*
 * 6.12/7.3 mTHP (order 4, 4 of 16 pages written): fully covered -> paged
 * out whole (16 swap PTEs); partly covered -> split with zero-page remap
 * (only the written pages stay and are swapped, the rest become zero-page
 * PTEs).  6.1 has no mTHP and is not looked at.
 */
static void test_pageout_mthp(void **state)
{
	struct khp_program p;
	size_t faulted;

	small_written(&p, 4);
	t_cfg(&p)->mthp_orders = 1u << 4;
	faulted = p.nr_ops;
	t_madvise(&p, 0, A, 16, KHP_ADV_PAGEOUT);
	const struct t_row fault[] = {
		{ MAP(0, A),             M3(NULL, "16E 496.", "16E 496.") },
		{ ORDER(0, A),           K3(NA, 4, 4), "mTHP at fault" },
		{ PAGES(),               K3(NA, 16, 16) },
	};
	const struct t_row whole[] = {
		{ MAP(0, A),             M3(NULL, "16w 496.", "16w 496.") },
		{ KIND(0, A),            K3(NA, SWAP, SWAP), "whole: written page swapped" },
		{ KIND(0, A + 10),       K3(NA, SWAP, SWAP), "whole: unwritten page swapped" },
		{ PAGES(),               K3(NA, 0, 0) },
		{ SWAP_SLOTS(),          K3(NA, 16, 16) },
	};
	T_KERNELS_AT(&p, faulted, fault);
	T_KERNELS(&p, whole);
	khp_program_free(&p);

	small_written(&p, 4);
	t_cfg(&p)->mthp_orders = 1u << 4;
	t_madvise(&p, 0, A, 8, KHP_ADV_PAGEOUT);
	const struct t_row partial[] = {
		{ MAP(0, A),             M3(NULL, "4w 12*0 496.", "4w 12*0 496.") },
		{ KIND(0, A + 3),        K3(NA, SWAP, SWAP), "partial: written page swapped" },
		{ KIND(0, A + 5),        K3(NA, ZERO, ZERO), "unwritten page in range" },
		{ KIND(0, A + 12),       K3(NA, ZERO, ZERO), "unwritten page outside" },
		{ PAGES(),               K3(NA, 0, 0) },
		{ SWAP_SLOTS(),          K3(NA, 4, 4) },
	};
	T_KERNELS(&p, partial);
	khp_program_free(&p);
}

/*
 * A partly covered PTE-mapped THP (4 pages written, 511 mapped) is split
 * by PAGEOUT in every version.  6.12/7.3 remap the never-written pages to
 * the zero page, so only the 4 written pages remain (and are swapped);
 * 6.1 keeps all 511 pages and swaps the 8 in the range.
 */
static void test_pageout_partial_thp(void **state)
{
	struct khp_program p;

	thp_written(&p, 4);
	t_dontneed(&p, 0, A + N - 1, 1);
	t_madvise(&p, 0, A, 8, KHP_ADV_PAGEOUT);
	const struct t_row rows[] = {
		{ MAP(0, A),             M3("8w 503E 1.", "4w 507*0 1.", "4w 507*0 1.") },
		{ KIND(0, A),            ALL(SWAP), "written page in range swapped" },
		{ KIND(0, A + 5),        K3(SWAP, ZERO, ZERO), "unwritten page in range" },
		{ KIND(0, A + 100),      K3(PRESENT, ZERO, ZERO), "unwritten page outside" },
		{ ORDER(0, A + 100),     K3(0, NA, NA), "6.1: split to order 0" },
		{ PAGES(),               K3(N - 1 - 8, 0, 0) },
		{ SWAP_SLOTS(),          K3(8, 4, 4) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * The same for a PMD-mapped THP and a partial range: the whole folio is
 * split (6.1 split_huge_page, 6.12/7.3 split_folio, then goto
 * regular_page / regular_folio), with the zero-page remap on 6.12/7.3.
 */
static void test_pageout_partial_pmd(void **state)
{
	struct khp_program p;

	thp_written(&p, 4);
	t_madvise(&p, 0, A, 8, KHP_ADV_PAGEOUT);
	const struct t_row rows[] = {
		{ MAP(0, A),             M3("8w 504E", "4w 508*0", "4w 508*0") },
		{ KIND(0, A),            ALL(SWAP), "written page in range swapped" },
		{ KIND(0, A + 5),        K3(SWAP, ZERO, ZERO), "unwritten page in range" },
		{ KIND(0, A + 100),      K3(PRESENT, ZERO, ZERO), "unwritten page outside" },
		{ PAGES(),               K3(N - 8, 0, 0) },
		{ SWAP_SLOTS(),          K3(8, 4, 4) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * 6.1 stops at the first shared large folio of the table (`break`), so a
 * small exclusive page after it in the same PMD range is not paged out;
 * 6.12/7.3 skip the shared batch (`continue`) and page the small one out.
 */
static void test_pageout_61_break(void **state)
{
	struct khp_program p;

	thp_written(&p, N);
	t_dontneed(&p, 0, A + N - 1, 1);    /* PTE-mapped THP, 511 pages */
	t_fork(&p, 0, 1);                   /* shared with the child */
	t_touch(&p, 0, A + N - 1, 1, true); /* a small exclusive page after it */
	t_madvise(&p, 0, A, N, KHP_ADV_PAGEOUT);
	const struct t_row rows[] = {
		{ MAP(0, A),             M3("511s 1E", "511s 1w", "511s 1w") },
		{ MAP(1, A),             MALL("511s 1.") },
		{ ORDER(1, A),           ALL(9), "child maps the THP" },
		{ KIND(0, A),            ALL(PRESENT), "shared THP pages stay" },
		{ KIND(0, A + N - 1),    K3(PRESENT, SWAP, SWAP), "small exclusive page after it" },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* A PMD-mapped THP paged out whole: 512 swap PTEs; a shared PMD is skipped. */
static void test_pageout_pmd(void **state)
{
	struct khp_program p;

	thp_written(&p, N);
	t_madvise(&p, 0, A, N, KHP_ADV_PAGEOUT);
	const struct t_row exclusive[] = {
		{ MAP(0, A),             MALL("512w") },
		{ KIND(0, A),            ALL(SWAP), "first PTE" },
		{ KIND(0, A + N - 1),    ALL(SWAP), "last PTE" },
		{ PAGES(),               ALL(0) },
		{ SWAP_SLOTS(),          ALL(N) },
	};
	T_KERNELS(&p, exclusive);
	khp_program_free(&p);

	thp_written(&p, N);
	t_fork(&p, 0, 1);
	t_madvise(&p, 0, A, N, KHP_ADV_PAGEOUT);
	const struct t_row shared[] = {
		{ MAP(0, A),             MALL("512H") },
		{ KIND(0, A),            ALL(PMD), "shared PMD skipped" },
		{ PAGES(),               ALL(N) },
		{ SWAP_SLOTS(),          ALL(0) },
	};
	T_KERNELS(&p, shared);
	khp_program_free(&p);
}

/*
 * No swap device: PAGEOUT of a PMD-mapped THP (4 pages written) isolates
 * it whole, add_to_swap() fails and shrink_folio_list() falls back to
 * split_folio_to_list() in every version.  That split remaps the
 * never-written subpages to the zero page on 6.12/7.3
 * (try_to_map_unused_to_zeropage()); 6.1 keeps 512 small pages.
 */
static void test_pageout_no_swap_splits(void **state)
{
	struct khp_program p;

	thp_written(&p, 4);
	t_cfg(&p)->swap = false;
	t_madvise(&p, 0, A, N, KHP_ADV_PAGEOUT);
	const struct t_row rows[] = {
		{ MAP(0, A),             M3("512E", "4E 508*0", "4E 508*0") },
		{ KIND(0, A + 2),        ALL(PRESENT), "written page kept" },
		{ ORDER(0, A + 2),       ALL(0), "split to order 0" },
		{ KIND(0, A + 100),      K3(PRESENT, ZERO, ZERO), "never-written page" },
		{ PAGES(),               K3(N, 4, 4) },
		{ SWAP_SLOTS(),          ALL(0) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* ---- madvise_free_pte_range() [6.1, 6.12, 7.3] ------------------------- */

/* 512 small written pages in a registered VM_HUGEPAGE VMA, then MADV_FREE of A. */
static void free_setup(struct khp_program *p)
{
	small_written(p, N);
	t_madvise(p, 0, A, N, KHP_ADV_HUGEPAGE);
	t_madvise(p, 0, A, 1, KHP_ADV_FREE);
}

/*
 * MADV_FREE cleans and ages the PTE and marks the folio lazyfree.  7.3
 * khugepaged then fails with SCAN_PAGE_LAZYFREE (clean PTE, lazyfree
 * folio, is_khugepaged: hpage_collapse_scan_pmd() [7.3]); 6.1/6.12 have
 * no such test.
 */
static void test_free_lazyfree_khugepaged(void **state)
{
	struct khp_program p;
	size_t step;

	free_setup(&p);
	step = t_khugepaged(&p, 0, A);
	const struct t_row freed[] = {
		{ MAP(0, A),                  MALL("512E") },
		{ KIND(0, A),                 ALL(PRESENT), "still mapped" },
		{ DIRTY(0, A),                ALL(0), "clean" },
		{ YOUNG(0, A),                ALL(0), "old" },
		{ FOLIO(0, A, lazyfree),      ALL(1) },
		{ DIRTY(0, A + 1),            ALL(1), "neighbour untouched" },
	};
	const struct t_row scan[] = {
		{ MAP_BEFORE(step),           MALL("512E") },
		{ RESULT(step),               K3(SCAN_SUCCEED, SCAN_SUCCEED, SCAN_PAGE_LAZYFREE) },
	};
	T_KERNELS_AT(&p, step, freed);
	T_KERNELS(&p, scan);
	khp_program_free(&p);
}

/* MADV_COLLAPSE ignores lazyfree (the test is `cc->is_khugepaged && ...`). */
static void test_free_collapse_ignores_lazyfree(void **state)
{
	struct khp_program p;
	size_t step;

	free_setup(&p);
	step = t_collapse(&p, 0, A, N);
	T_SCAN3(&p, step, "512E", SCAN_SUCCEED, SCAN_SUCCEED, SCAN_SUCCEED);
	khp_program_free(&p);
}

/* A write after MADV_FREE re-dirties the PTE: the 7.3 scan passes it. */
static void test_free_redirtied(void **state)
{
	struct khp_program p;
	size_t step;

	free_setup(&p);
	t_touch(&p, 0, A, 1, true);
	step = t_khugepaged(&p, 0, A);
	const struct t_row written[] = {
		{ DIRTY(0, A),                ALL(1), "re-dirtied" },
	};
	const struct t_row scan[] = {
		{ MAP_BEFORE(step),           MALL("512E") },
		{ RESULT(step),               ALL(SCAN_SUCCEED) },
	};
	T_KERNELS_AT(&p, step, written);
	T_KERNELS(&p, scan);
	khp_program_free(&p);
}

/* ---- zero-page remap on split: try_to_map_unused_to_zeropage() [6.12, 7.3] */

/*
 * A THP with 4 written pages, PMD split by a partial DONTNEED (partially
 * mapped, queued), then the deferred-split pass: 6.12/7.3 remap the
 * never-written subpages to the zero page; 6.1 has no such remap and keeps
 * 511 small pages.
 */
static void test_split_zero_page_remap(void **state)
{
	struct khp_program p;

	thp_written(&p, 4);
	t_dontneed(&p, 0, A + N - 1, 1);
	t_split(&p);
	const struct t_row rows[] = {
		{ MAP(0, A),             M3("511E 1.", "4E 507*0 1.", "4E 507*0 1.") },
		{ KIND(0, A + 2),        ALL(PRESENT), "written page kept" },
		{ ORDER(0, A + 2),       ALL(0), "split to order 0" },
		{ KIND(0, A + 100),      K3(PRESENT, ZERO, ZERO), "never-written page" },
		{ YOUNG(0, A + 100),     K3(NA, 1, 1), "zero-page PTE young" },
		{ PAGES(),               K3(N - 1, 4, 4) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* ---- do_swap_page() [6.1, 6.12, 7.3] ----------------------------------- */

/* mm 0: one page written and paged out at A. */
static void swapped_out(struct khp_program *p)
{
	small_written(p, 1);
	t_madvise(p, 0, A, 1, KHP_ADV_PAGEOUT);
}

/*
 * The first `read` ops end with a read swap-in at A (rows hold there);
 * the write fault after it reuses the page the read mapped: same folio,
 * writable, one page, no swap slot left (do_wp_page() -> wp_page_reuse()).
 */
static void check_write_reuses(const struct khp_program *p, size_t read,
			       const struct t_row *rows, size_t nr)
{
	unsigned k;

	for_each_kernel(k) {
		struct t_kw t;
		uint32_t f;

		T_KW_START(&t, p, k, read);
		t_kw_rows_(&t, rows, nr, __FILE__, __LINE__);
		f = T_FOLIO_AT(t.w, 0, A);
		T_KW_PLAY(&t, p->nr_ops);
		T_KW_MAP(&t, 0, A, "1E 511.");
		T_KW_EQ(&t, "the write reuses the page", T_FOLIO_AT(t.w, 0, A), f, f, f);
		T_KW_EQ(&t, "writable", T_PTE(t.w, 0, A).write, 1, 1, 1);
		T_KW_EQ(&t, "one page", t_pages_in_use(t.w), 1, 1, 1);
		T_KW_EQ(&t, "no swap slot", t_swap_slots(t.w), 0, 0, 0);
		t_kw_end(&t);
	}
}

/*
 * Read swap-in of an exclusive page: 6.1 maps it read-only (a later write
 * reuses it: PageAnonExclusive), 6.12/7.3 writable and clean.  The swap
 * slot is released (synchronous device, swap count 1).
 */
static void test_swapin_exclusive(void **state)
{
	struct khp_program p;
	size_t read;

	swapped_out(&p);
	read = t_touch(&p, 0, A, 1, false) + 1;
	t_touch(&p, 0, A, 1, true);
	const struct t_row rows[] = {
		{ MAP(0, A),             M3("1e 511.", "1E 511.", "1E 511.") },
		{ KIND(0, A),            ALL(PRESENT), "swapped in" },
		{ WRITE(0, A),           K3(0, 1, 1), "writable on read" },
		{ YOUNG(0, A),           ALL(1) },
		{ DIRTY(0, A),           ALL(0), "read fault" },
		{ SWAP_SLOTS(),          ALL(0), "swap slot freed" },
	};
	check_write_reuses(&p, read, rows, T_ARRAY_SIZE(rows));
	khp_program_free(&p);
}

/*
 * A swap entry shared by fork whose other user has exited (swap count
 * 1, but fork cleared the parent's swp-exclusive bit).  Read swap-in:
 * 6.1 read-only (never writable on read); 6.12 bypasses the swap cache on
 * the synchronous device (folio != swapcache: exclusive) -> writable; 7.3
 * reads through the swap cache, exclusive = pte_swp_exclusive = false,
 * and only `if (exclusive)` upgrades -> read-only.  The write then reuses
 * the page everywhere (refcount 1 once the swap cache entry is freed).
 */
static void test_swapin_after_sharer_exit(void **state)
{
	struct khp_program p;
	size_t read;

	swapped_out(&p);
	t_fork(&p, 0, 1);
	t_exit(&p, 1);
	read = t_touch(&p, 0, A, 1, false) + 1;
	t_touch(&p, 0, A, 1, true);
	const struct t_row rows[] = {
		{ MAP(0, A),             M3("1e 511.", "1E 511.", "1e 511.") },
		{ WRITE(0, A),           K3(0, 1, 0), "writable on read" },
	};
	check_write_reuses(&p, read, rows, T_ARRAY_SIZE(rows));
	khp_program_free(&p);
}

/*
 * A swap entry shared by fork: both swap-ins map the same folio
 * read-only in every version (fork cleared the swp-exclusive bit, the
 * swap cache holds a reference).  After both write (child copies, parent
 * reuses) no swap slot is left.
 */
static void test_swapin_shared_by_fork(void **state)
{
	struct khp_program p;
	size_t child_read, parent_read;

	swapped_out(&p);
	t_fork(&p, 0, 1);
	child_read = t_touch(&p, 1, A, 1, false) + 1;
	parent_read = t_touch(&p, 0, A, 1, false) + 1;
	t_touch(&p, 1, A, 1, true);
	t_touch(&p, 0, A, 1, true);
	const struct t_row child[] = {
		{ MAP(0, A),             MALL("1w 511.") },
		{ MAP(1, A),             MALL("1e 511.") },
		{ KIND(1, A),            ALL(PRESENT), "child swapped in" },
		{ WRITE(1, A),           ALL(0), "child read-only" },
		{ KIND(0, A),            ALL(SWAP), "parent still swap" },
	};
	const struct t_row parent[] = {
		{ MAP(0, A),             MALL("1s 511.") },
		{ WRITE(0, A),           ALL(0), "parent read-only" },
		{ SAME_FOLIO(0, A, 1, A), ALL(1) },
		{ PAGES(),               ALL(1) },
	};
	const struct t_row written[] = {
		{ MAP(0, A),             MALL("1E 511.") },
		{ MAP(1, A),             MALL("1E 511.") },
		{ PAGES(),               ALL(2), "child copy + parent reuse" },
		{ SWAP_SLOTS(),          ALL(0), "no swap slot leaked" },
	};
	T_KERNELS_AT(&p, child_read, child);
	T_KERNELS_AT(&p, parent_read, parent);
	T_KERNELS(&p, written);
	khp_program_free(&p);
}

/* ---- copy_present_pte() / copy_nonpresent_pte() [6.1, 6.12, 7.3] -------- */

/* Both write-protected; the child's PTE old, the parent's young; dirty kept. */
static void test_fork_bits(void **state)
{
	struct khp_program p;

	small_written(&p, 2);
	t_fork(&p, 0, 1);
	const struct t_row rows[] = {
		{ MAP(0, A),             MALL("2s 510.") },
		{ MAP(1, A),             MALL("2s 510.") },
		{ YOUNG(0, A),           ALL(1), "parent young" },
		{ YOUNG(1, A),           ALL(0), "child old" },
		{ DIRTY(0, A),           ALL(1) },
		{ DIRTY(1, A),           ALL(1) },
		{ WRITE(0, A),           ALL(0), "parent write-protected" },
		{ WRITE(1, A),           ALL(0), "child write-protected" },
		{ SAME_FOLIO(1, A, 0, A), ALL(1) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* A pinned exclusive page is copied for the child; the parent stays writable. */
static void test_fork_pinned_exclusive(void **state)
{
	struct khp_program p;

	small_written(&p, 2);
	t_pin(&p, 0, A);
	t_fork(&p, 0, 1);
	const struct t_row rows[] = {
		{ MAP(0, A),                  MALL("1E 1s 510.") },
		{ MAP(1, A),                  MALL("1E 1s 510.") },
		{ SAME_FOLIO(1, A, 0, A),     ALL(0), "child gets its own copy" },
		{ WRITE(0, A),                ALL(1), "parent stays writable" },
		{ WRITE(1, A),                ALL(1), "child copy writable" },
		{ DIRTY(1, A),                ALL(1), "child copy dirty" },
		{ YOUNG(1, A),                ALL(1), "child copy young" },
		{ SAME_FOLIO(1, A + 1, 0, A + 1), ALL(1), "unpinned page shared" },
		{ PAGES(),                    ALL(3) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * A maybe-pinned page that is no longer exclusive is dup'ed, not copied.
 * PTE-mapped THP, fork, child exits; the parent pins subpage 0 (a write
 * fault: 7.3 reuses it in the THP and it becomes exclusive; 6.1/6.12 copy
 * it to a small page).  A second fork copies the exclusive pinned page,
 * while the other subpages (folio-wide _pincount makes them maybe-pinned
 * in 7.3, but they are not exclusive) stay shared with the child.
 */
static void test_fork_pinned_not_exclusive(void **state)
{
	struct khp_program p;

	thp_written(&p, N);
	t_dontneed(&p, 0, A + N - 1, 1);
	t_fork(&p, 0, 1);
	t_exit(&p, 1);
	t_pin(&p, 0, A);
	t_fork(&p, 0, 2);
	const struct t_row rows[] = {
		{ MAP(0, A),                  MALL("1E 510s 1.") },
		{ MAP(2, A),                  MALL("1E 510s 1.") },
		{ ORDER(0, A),                K3(0, 0, 9), "pinned page order" },
		{ SAME_FOLIO(2, A, 0, A),     ALL(0), "pinned exclusive page copied" },
		{ WRITE(0, A),                ALL(1), "parent writable" },
		{ SAME_FOLIO(2, A + 1, 0, A + 1), ALL(1), "non-exclusive subpage not copied" },
		{ ORDER(2, A + 1),            ALL(9), "child maps the THP" },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* Only read faults (zero page, no anon_vma): the child gets no page table. */
static void test_fork_no_anon_vma(void **state)
{
	struct khp_program p;

	t_prog(&p, N);
	t_mmap(&p, 0, A, N, T_RW);
	t_touch(&p, 0, A, 4, false);
	t_fork(&p, 0, 1);
	const struct t_row rows[] = {
		{ MAP(0, A),             MALL("4*0 508.") },
		{ MAP(1, A),             MALL("512_") },
		{ KIND(0, A),            ALL(ZERO), "parent zero page" },
		{ KIND(1, A),            ALL(KHP_PTE_NO_TABLE), "child: no page table" },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* ---- hugepage_madvise(), khugepaged_enter_vma() [6.1, 6.12, 7.3] -------- */

/*
 * MADV_HUGEPAGE on an untouched VMA registers nothing (no anon_vma);
 * after write faults (small pages under thp=madvise: anon_vma, no
 * registration) MADV_HUGEPAGE registers the mm in every version.
 */
static void test_register_madvise(void **state)
{
	struct khp_program p;
	size_t before, after;

	t_prog(&p, N);
	t_mmap(&p, 0, A, N, T_RW | T_HUGE);
	before = t_khugepaged(&p, 0, A);
	T_SCAN3(&p, before, "512_", KHP_NOT_VISITED, KHP_NOT_VISITED, KHP_NOT_VISITED);
	khp_program_free(&p);

	small_written(&p, N);
	before = t_khugepaged(&p, 0, A);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	after = t_khugepaged(&p, 0, A);
	const struct t_row written[] = {
		{ MAP_BEFORE(before),    MALL("512E") },
		{ RESULT(before),        ALL(KHP_NOT_VISITED) },
		{ RESULT(after),         ALL(SCAN_SUCCEED) },
	};
	T_KERNELS(&p, written);
	khp_program_free(&p);
}

/*
 * The first MADV_HUGEPAGE (at mmap) comes before any fault.  A write
 * outside the VMA's whole PMD range takes do_anonymous_page (anon_vma,
 * no registration).  A second MADV_HUGEPAGE with unchanged flags
 * registers on 6.1 (hugepage_madvise() calls khugepaged_enter_vma()
 * anyway) but not on 6.12.117 and 7.3 (madvise_update_vma() returns early;
 * 6.12.107 still registered here, the real 6.12.117 does not:
 * scenarios/registration-mremap-move.json).  6.1 then scans the empty PMD
 * range 0: SCAN_PMD_NONE.
 */
static void test_register_second_madvise(void **state)
{
	struct khp_program p;
	size_t step;

	t_prog(&p, N);
	t_mmap(&p, 0, A, N + 16, T_RW | T_HUGE);
	t_touch(&p, 0, A + N, 1, true);
	t_madvise(&p, 0, A, N + 16, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, A);
	T_SCAN3(&p, step, "512_", SCAN_PMD_NONE, KHP_NOT_VISITED, KHP_NOT_VISITED);
	khp_program_free(&p);

	/* control: a flag change (NOHUGEPAGE, then HUGEPAGE) registers on 6.12 and 7.3 too */
	t_prog(&p, N);
	t_mmap(&p, 0, A, N + 16, T_RW | T_HUGE);
	t_touch(&p, 0, A + N, 1, true);
	t_madvise(&p, 0, A, N + 16, KHP_ADV_NOHUGEPAGE);
	t_madvise(&p, 0, A, N + 16, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, A);
	T_SCAN3(&p, step, "512_", SCAN_PMD_NONE, SCAN_PMD_NONE, SCAN_NO_PTE_TABLE);
	khp_program_free(&p);
}

/*
 * A VM_HUGEPAGE VMA too small for a PMD range is written (small pages, no
 * registration) and grown in place by mremap to a whole PMD range: every
 * version registers the grown VMA (6.1.192 mremap() expands through
 * vma_merge(), 6.12 and 7.3 through vma_merge_extend(); both call
 * khugepaged_enter_vma()), so khugepaged collapses it.  A move to a free
 * aligned address registers nothing (copy_vma() without a merge).
 */
static void test_register_mremap(void **state)
{
	struct khp_program p;
	size_t step;

	t_prog(&p, N);
	t_mmap(&p, 0, A, N / 2, T_RW | T_HUGE);
	t_touch(&p, 0, A, N / 2, true);
	t_mremap(&p, 0, A, N / 2, KHP_OPF_NEW_PAGES, 0, N);
	step = t_khugepaged(&p, 0, A);
	T_RESULTS3(&p, step, SCAN_SUCCEED, SCAN_SUCCEED, SCAN_SUCCEED);
	khp_program_free(&p);

	t_prog(&p, N);
	t_mmap(&p, 0, A + N / 2, N, T_RW | T_HUGE);
	t_touch(&p, 0, A + N / 2, N, true);
	t_mremap(&p, 0, A + N / 2, N, KHP_OPF_TO, A + 4 * N, 0);
	step = t_khugepaged(&p, 0, A + 4 * N);
	T_RESULTS3(&p, step, KHP_NOT_VISITED, KHP_NOT_VISITED, KHP_NOT_VISITED);
	khp_program_free(&p);
}

/* ---- 7.3 PT_RECLAIM: zap_pte_range() frees an emptied PTE table ----------------- */

/* 512 written small pages at A, MADV_HUGEPAGE (registered), then DONTNEEDs. */
static void pt_reclaim_setup(struct khp_program *p)
{
	small_written(p, N);
	t_madvise(p, 0, A, N, KHP_ADV_HUGEPAGE);
}

/*
 * One DONTNEED over the whole PMD range frees the PTE table on 7.3
 * (SCAN_NO_PTE_TABLE); 6.1/6.12 keep an empty table (512 none PTEs >
 * max_ptes_none 511: SCAN_EXCEED_NONE_PTE).  511 pages, or the whole
 * range in two calls, keep the table on 7.3.
 */
static void test_pt_reclaim(void **state)
{
	struct khp_program p;
	size_t step;

	pt_reclaim_setup(&p);
	t_dontneed(&p, 0, A, N);
	step = t_khugepaged(&p, 0, A);
	const struct t_row whole[] = {
		{ KIND(0, A),            K3(NONE, NONE, KHP_PTE_NO_TABLE), "whole-range DONTNEED" },
	};
	const struct t_row scan[] = {
		{ MAP_BEFORE(step),      M3("512.", "512.", "512_") },
		{ RESULT(step),          K3(SCAN_EXCEED_NONE_PTE, SCAN_EXCEED_NONE_PTE,
					    SCAN_NO_PTE_TABLE) },
	};
	T_KERNELS_AT(&p, step, whole);
	T_KERNELS(&p, scan);
	khp_program_free(&p);

	pt_reclaim_setup(&p);
	t_dontneed(&p, 0, A, N - 1);
	const struct t_row most[] = {
		{ MAP(0, A),             MALL("511. 1E") },
		{ KIND(0, A),            ALL(NONE), "511-page DONTNEED keeps the table" },
	};
	T_KERNELS(&p, most);
	khp_program_free(&p);

	pt_reclaim_setup(&p);
	t_dontneed(&p, 0, A, N / 2);
	t_dontneed(&p, 0, A + N / 2, N / 2);
	const struct t_row halves[] = {
		{ MAP(0, A),             MALL("512.") },
		{ KIND(0, A),            ALL(NONE), "two half DONTNEEDs keep the table" },
	};
	T_KERNELS(&p, halves);
	khp_program_free(&p);
}

/* ---- deferred_split_folio() on unmap: __folio_remove_rmap() [6.1, 6.12, 7.3] */

/*
 * A fully PTE-mapped THP, kept alive by a pin, zapped by one DONTNEED:
 * 6.12/7.3 remove the rmap of the whole batch at once (never partially
 * mapped: not queued); 6.1 removes it PTE by PTE and queues it at the
 * first one.  shrink_underused is off: with it on, 6.12/7.3 queue every
 * PMD THP at fault (deferred_split_folio(folio, false)), which would hide
 * the rule.  A whole-range DONTNEED also frees the 7.3 PTE table.
 */
static void test_deferred_split_whole_zap(void **state)
{
	struct khp_program p;
	size_t pinned;
	unsigned k;

	thp_written(&p, N);
	t_cfg(&p)->shrink_underused = false;
	split_pmd_keep_mapped(&p);
	pinned = t_pin(&p, 0, A) + 1;
	t_dontneed(&p, 0, A, N);
	const struct t_row mapped[] = {
		{ MAP(0, A),             SPLIT_KEPT_MAP },
		{ KIND(0, A),            ALL(PRESENT), "PTE-mapped THP" },
		{ FOLIO(0, A, deferred_split), ALL(0), "not queued by the PMD split" },
	};
	const struct t_row zapped[] = {
		{ MAP(0, A),             M3("512.", "512.", "512_") },
	};
	for_each_kernel(k) {
		struct t_kw t;
		struct khp_folio_info fi;
		uint32_t f;

		T_KW_START(&t, &p, k, pinned);
		T_KW_ROWS(&t, mapped);
		f = T_FOLIO_AT(t.w, 0, A);
		T_KW_PLAY(&t, p.nr_ops);
		T_KW_ROWS(&t, zapped);
		fi = T_FOLIO(t.w, f);
		T_KW_EQ(&t, "pinned folio kept", fi.order, 9, 9, 9);
		T_KW_EQ(&t, "unmapped", fi.large_mapcount, 0, 0, 0);
		T_KW_EQ(&t, "queued for deferred split", fi.deferred_split, 1, 0, 0);
		/* 6.1 has no PG_partially_mapped */
		T_KW_EQ(&t, "not partially mapped", fi.partially_mapped, NA, 0, 0);
		t_kw_end(&t);
	}
	khp_program_free(&p);
}

/* A partial zap queues it (6.12/7.3: as partially mapped). */
static void test_deferred_split_partial_zap(void **state)
{
	struct khp_program p;

	thp_written(&p, N);
	t_dontneed(&p, 0, A + N - 1, 1);
	const struct t_row rows[] = {
		{ MAP(0, A),                       MALL("511E 1.") },
		{ FOLIO(0, A, deferred_split),     ALL(1), "queued" },
		{ FOLIO(0, A, partially_mapped),   K3(NA, 1, 1) },
		{ FOLIO(0, A, nr_pages_mapped),    ALL(N - 1) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* ---- change_pte_range(), change_huge_pmd() [6.1, 6.12, 7.3] ------------- */

/*
 * PTEs: 6.1 upgrades only dirty exclusive PTEs (a clean one, from a 6.1
 * PMD split, stays read-only); 6.12/7.3 upgrade any exclusive PTE
 * (can_change_pte_writable()).  A dirty small page is upgraded everywhere.
 */
static void test_mprotect_pte_upgrade(void **state)
{
	struct khp_program p;

	thp_written(&p, N);
	t_dontneed(&p, 0, A + N - 1, 1);     /* PMD split: 6.1 PTEs clean */
	t_mprotect(&p, 0, A, 4, false);
	t_mprotect(&p, 0, A, 4, true);
	t_mmap(&p, 0, A + 2 * N, N, T_RW);
	t_touch(&p, 0, A + 2 * N, 1, true);  /* dirty small page */
	t_mprotect(&p, 0, A + 2 * N, N, false);
	t_mprotect(&p, 0, A + 2 * N, N, true);
	const struct t_row rows[] = {
		{ MAP(0, A),             M3("4e 507E 1.", "511E 1.", "511E 1.") },
		{ MAP(0, A + 2 * N),     MALL("1E 511.") },
		{ WRITE(0, A),           K3(0, 1, 1), "clean exclusive PTE upgraded" },
		{ WRITE(0, A + 2 * N),   ALL(1), "dirty exclusive PTE upgraded" },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * PMD: 6.1 change_huge_pmd never upgrades; 6.12/7.3 upgrade an exclusive
 * PMD.  A write fault then reuses the exclusive PMD (do_huge_pmd_wp_page()).
 */
static void test_mprotect_pmd_upgrade(void **state)
{
	struct khp_program p;
	size_t restored;
	unsigned k;

	thp_written(&p, N);
	t_mprotect(&p, 0, A, N, false);
	restored = t_mprotect(&p, 0, A, N, true) + 1;
	t_touch(&p, 0, A + 3, 1, true);
	for_each_kernel(k) {
		struct t_kw t;
		uint32_t thp;

		T_KW_START(&t, &p, k, restored);
		T_KW_MAP(&t, 0, A, "512H");
		thp = T_FOLIO_AT(t.w, 0, A);
		T_KW_EQ(&t, "PMD upgraded", T_PTE(t.w, 0, A).write, 0, 1, 1);
		T_KW_PLAY(&t, p.nr_ops);
		T_KW_MAP(&t, 0, A, "512H");
		T_KW_EQ(&t, "same THP after the write", T_FOLIO_AT(t.w, 0, A), thp, thp, thp);
		T_KW_EQ(&t, "writable", T_PTE(t.w, 0, A).write, 1, 1, 1);
		T_KW_EQ(&t, "no copy", t_pages_in_use(t.w), N, N, N);
		t_kw_end(&t);
	}
	khp_program_free(&p);
}

/*
 * 7.3 batches mprotect over a PTE-mapped large folio and the generic
 * modify_prot_start_ptes() [7.3] ORs young/dirty over the batch, so one
 * young PTE makes the whole batch young again.  6.1/6.12 change PTE by
 * PTE (change_pte_range()).
 */
static void test_mprotect_73_batch_young(void **state)
{
	struct khp_program p;
	size_t aged;

	thp_written(&p, N);
	split_pmd_keep_mapped(&p);
	aged = t_age(&p, 0, A, 8) + 1;
	t_mprotect(&p, 0, A, N, false);
	const struct t_row before[] = {
		{ MAP(0, A),             SPLIT_KEPT_MAP },
		{ YOUNG(0, A),           ALL(0), "aged" },
		{ YOUNG(0, A + 8),       ALL(1), "not aged" },
	};
	const struct t_row after[] = {
		{ MAP(0, A),             MALL("512e") },
		{ WRITE(0, A),           ALL(0), "read-only" },
		{ YOUNG(0, A),           K3(0, 0, 1), "young after mprotect" },
	};
	T_KERNELS_AT(&p, aged, before);
	T_KERNELS(&p, after);
	khp_program_free(&p);
}

/* ---- alloc_anon_folio(), thp_vma_allowable_orders() [6.12, 7.3] --------- */

/*
 * With the 64 KiB mTHP size enabled: a uffd-armed VMA faults order 0
 * (userfaultfd_armed -> fallback); a plain VMA gets order 4 on 6.12/7.3
 * (6.1 has no mTHP); a read fault maps the zero page in every case.
 */
static void test_mthp_fault_order(void **state)
{
	struct khp_program p;

	t_prog(&p, N);
	t_cfg(&p)->mthp_orders = 1u << 4;
	t_mmap(&p, 0, A, N, T_RW | T_UFFD);
	t_touch(&p, 0, A, 1, true);
	t_mmap(&p, 0, A + 2 * N, N, T_RW);
	t_touch(&p, 0, A + 2 * N, 1, true);
	t_mmap(&p, 0, A + 4 * N, N, T_RW);
	t_touch(&p, 0, A + 4 * N, 1, false);
	const struct t_row rows[] = {
		{ MAP(0, A),                  MALL("1E 511.") },
		{ MAP(0, A + 2 * N),          M3("1E 511.", "16E 496.", "16E 496.") },
		{ MAP(0, A + 4 * N),          MALL("0 511.") },
		{ ORDER(0, A),                ALL(0), "uffd: order 0" },
		{ KIND(0, A + 1),             ALL(NONE), "uffd: one page" },
		{ ORDER(0, A + 2 * N),        K3(0, 4, 4), "plain VMA" },
		{ KIND(0, A + 4 * N),         ALL(ZERO), "read fault: zero page" },
		{ KIND(0, A + 4 * N + 1),     ALL(NONE), "read fault: neighbour none" },
		{ PAGES(),                    K3(2, 17, 17) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * The PMD fault path (do_huge_pmd_anonymous_page()) has no userfaultfd_wp
 * test, so a uffd-wp registered VM_HUGEPAGE VMA still gets a PMD THP on a
 * write fault (only the mTHP path falls back to order 0 for
 * userfaultfd_armed).
 */
static void test_uffd_wp_pmd_thp_at_fault(void **state)
{
	struct khp_program p;

	t_prog(&p, N);
	t_cfg(&p)->mthp_orders = 1u << 4;
	t_mmap(&p, 0, A, N, T_RW | T_HUGE | T_UFFD);
	t_touch(&p, 0, A + 3, 1, true);
	const struct t_row rows[] = {
		{ MAP(0, A),             MALL("512H") },
		{ KIND(0, A + 3),        ALL(PMD), "PMD THP in a uffd-wp VMA" },
		{ PAGES(),               ALL(N) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cow_small_nonexclusive),
		cmocka_unit_test(test_cow_large_after_child_exit),
		cmocka_unit_test(test_cow_large_child_alive),
		cmocka_unit_test(test_cow_large_73_extra_ref),
		cmocka_unit_test(test_cow_large_single_page_mapped),
		cmocka_unit_test(test_cow_exclusive_large_reused_61),
		cmocka_unit_test(test_huge_pmd_wp_shared),
		cmocka_unit_test(test_huge_pmd_wp_reuse_after_exit),
		cmocka_unit_test(test_huge_zero_pmd_write),
		cmocka_unit_test(test_pmd_split_dirty),
		cmocka_unit_test(test_pageout_small),
		cmocka_unit_test(test_pageout_cold_young),
		cmocka_unit_test(test_pageout_pte_mapped_thp_covered),
		cmocka_unit_test(test_pageout_mthp),
		cmocka_unit_test(test_pageout_partial_thp),
		cmocka_unit_test(test_pageout_partial_pmd),
		cmocka_unit_test(test_pageout_61_break),
		cmocka_unit_test(test_pageout_pmd),
		cmocka_unit_test(test_pageout_no_swap_splits),
		cmocka_unit_test(test_free_lazyfree_khugepaged),
		cmocka_unit_test(test_free_collapse_ignores_lazyfree),
		cmocka_unit_test(test_free_redirtied),
		cmocka_unit_test(test_split_zero_page_remap),
		cmocka_unit_test(test_swapin_exclusive),
		cmocka_unit_test(test_swapin_shared_by_fork),
		cmocka_unit_test(test_swapin_after_sharer_exit),
		cmocka_unit_test(test_fork_bits),
		cmocka_unit_test(test_fork_pinned_exclusive),
		cmocka_unit_test(test_fork_pinned_not_exclusive),
		cmocka_unit_test(test_fork_no_anon_vma),
		cmocka_unit_test(test_register_madvise),
		cmocka_unit_test(test_register_second_madvise),
		cmocka_unit_test(test_register_mremap),
		cmocka_unit_test(test_pt_reclaim),
		cmocka_unit_test(test_deferred_split_whole_zap),
		cmocka_unit_test(test_deferred_split_partial_zap),
		cmocka_unit_test(test_mprotect_pte_upgrade),
		cmocka_unit_test(test_mprotect_pmd_upgrade),
		cmocka_unit_test(test_mprotect_73_batch_young),
		cmocka_unit_test(test_mthp_fault_order),
		cmocka_unit_test(test_uffd_wp_pmd_thp_at_fault),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
