/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The simulator's behaviour outside the khugepaged scan, per kernel
 * profile, against the Debian 6.1.192 / 6.12.107 / 7.3.4 sources as
 * summarised in ksrc/ANSWERS.md ("AN"): COW reuse (AN §1), huge PMD write
 * faults (§2), MADV_PAGEOUT / MADV_COLD (§3), MADV_FREE (§4), zero-page
 * remapping on split (§5), swap-in (§6), fork (§7), khugepaged
 * registration (§8), 7.3 page-table reclaim (§9), deferred-split queueing
 * (§10), the mprotect write upgrade (§11) and the mTHP fault order (§12).
 *
 * Every expected value is derived from those sources, never from the
 * simulator's output.  Each test is built so that it fails if the rule
 * it names were modelled the other way.
 */
#include "khp_test.h"

#include <string.h>

#define N	512u
#define A	(32 * N)

#define K61	KHP_LINUX_6_1
#define K612	KHP_LINUX_6_12
#define K73	KHP_LINUX_7_3

#define for_each_kernel(k) for ((k) = 0; (k) < KHP_NR_KERNELS; (k)++)

/* T_W_EQ that names the profile of the world on failure */
#define K_EQ(k, w, mm, addr, what, act, exp)					\
	do {									\
		if ((long long)(act) != (long long)(exp))			\
			print_error("profile %s:\n", prof(k));			\
		T_W_EQ(w, mm, addr, what, act, exp);				\
	} while (0)

static const char *prof(unsigned k)
{
	return t_kernel_profiles[k];
}

static long swap_slots(const struct khp_world *w)
{
	struct khp_totals t;

	khp_world_totals(w, &t);
	return t.swap_slots_in_use;
}

/* A PMD-mapped THP at A, every page written (thp=madvise, VM_HUGEPAGE). */
static void thp_written(struct khp_program *p, uint64_t written)
{
	t_mmap(p, 0, A, N, T_RW | T_HUGE);
	t_touch(p, 0, A, written, true);
}

/*
 * Split the PMD mapping of the THP at A without unmapping any page: a
 * one-page mprotect splits the VMA and the PMD (__split_huge_pmd), the
 * second restores the protection and vma_merge() joins the VMAs again.
 * The folio stays large and fully PTE-mapped.
 */
static void split_pmd_keep_mapped(struct khp_program *p)
{
	t_mprotect(p, 0, A + N - 1, 1, false);
	t_mprotect(p, 0, A + N - 1, 1, true);
}

/* ---- AN §1: do_wp_page / wp_can_reuse_anon_folio ----------------------- */

/*
 * A small non-exclusive folio is reused iff its refcount is 1: after fork
 * the parent's write copies while the child maps the page, and reuses it
 * once the child has exited (all versions).
 */
static void test_cow_small_nonexclusive(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		uint32_t f;
		size_t n;

		t_prog(&p, N);
		t_mmap(&p, 0, A, N, T_RW);
		t_touch(&p, 0, A, 2, true);
		t_fork(&p, 0, 1);
		w = T_WORLD(&p, prof(k));
		f = T_FOLIO_AT(w, 0, A);

		n = p.nr_ops;
		t_touch(&p, 0, A + 1, 1, true);   /* child still maps it: copy */
		T_PLAY(w, &p, n);
		K_EQ(k, w, 0, A + 1, "shared small page copied", t_pages_in_use(w), 3);

		n = p.nr_ops;
		t_exit(&p, 1);
		t_touch(&p, 0, A, 1, true);       /* refcount 1: reuse */
		T_PLAY(w, &p, n);
		K_EQ(k, w, 0, A, "refcount 1: same folio", T_FOLIO_AT(w, 0, A), f);
		K_EQ(k, w, 0, A, "reused PTE writable", T_PTE(w, 0, A).write, true);
		K_EQ(k, w, 0, A, "reuse allocates nothing", t_pages_in_use(w), 2);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/*
 * Non-exclusive subpage of a PTE-mapped THP (511 pages mapped), after
 * fork and the child's exit: 6.1 copies (refcount 511 > 3), 6.12 always
 * copies a large folio, 7.3 reuses (large_mapcount 511 > 1, MM-ID shared
 * bit clear once the child's slot is gone, large_mapcount == refcount).
 */
static void test_cow_large_after_child_exit(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		bool reuse = k == K73;
		uint32_t f;

		t_prog(&p, N);
		thp_written(&p, N);
		t_dontneed(&p, 0, A + N - 1, 1);  /* PTE-mapped, 511 pages */
		t_fork(&p, 0, 1);
		t_exit(&p, 1);
		t_touch(&p, 0, A, 1, true);
		w = T_WORLD(&p, prof(k));
		f = T_FOLIO_AT(w, 0, A + 1);
		K_EQ(k, w, 0, A, "written subpage stays in the THP", T_FOLIO_AT(w, 0, A) == f,
		     reuse);
		K_EQ(k, w, 0, A, "order after the write", T_PTE(w, 0, A).order, reuse ? 9 : 0);
		K_EQ(k, w, 0, A, "writable", T_PTE(w, 0, A).write, true);
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), reuse ? N : N + 1);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/* The same while the child still maps the THP: every version copies. */
static void test_cow_large_child_alive(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;

		t_prog(&p, N);
		thp_written(&p, N);
		t_dontneed(&p, 0, A + N - 1, 1);
		t_fork(&p, 0, 1);
		t_touch(&p, 0, A, 1, true);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "copied to order 0", T_PTE(w, 0, A).order, 0);
		K_EQ(k, w, 0, A, "child keeps the THP page",
		     T_FOLIO_AT(w, 1, A) != T_FOLIO_AT(w, 0, A),
		     true);
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), N + 1);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/*
 * 7.3 also needs large_mapcount == refcount: an extra reference (a pin on
 * another subpage) makes the write copy.  The pin's own write fault on
 * A + 1 is reused in 7.3 (no extra reference yet) and copied in 6.1/6.12.
 */
static void test_cow_large_73_extra_ref(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;

		t_prog(&p, N);
		thp_written(&p, N);
		t_dontneed(&p, 0, A + N - 1, 1);
		t_fork(&p, 0, 1);
		t_exit(&p, 1);
		t_pin(&p, 0, A + 1);
		t_touch(&p, 0, A, 1, true);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A + 1, "pinned page order", T_PTE(w, 0, A + 1).order,
		     k == K73 ? 9 : 0);
		K_EQ(k, w, 0, A, "extra reference: copied", T_PTE(w, 0, A).order, 0);
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), k == K73 ? N + 1 : N + 2);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/*
 * Only one subpage of the THP mapped, fork, child exits, parent writes:
 * 6.1 reuses (refcount == 1), 6.12 copies (large), 7.3 copies
 * (large_mapcount <= 1: "free up a large folio if only a single page is
 * mapped").
 */
static void test_cow_large_single_page_mapped(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		bool reuse = k == K61;

		t_prog(&p, N);
		thp_written(&p, N);
		t_dontneed(&p, 0, A + 1, N - 1);  /* only subpage 0 stays mapped */
		t_fork(&p, 0, 1);
		t_exit(&p, 1);
		t_touch(&p, 0, A, 1, true);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "order after the write", T_PTE(w, 0, A).order, reuse ? 9 : 0);
		K_EQ(k, w, 0, A, "writable", T_PTE(w, 0, A).write, true);
		/* a copy frees the THP (its last mapping goes) and keeps one page */
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), reuse ? N : 1);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/*
 * An exclusive subpage is reused whatever the folio size.  6.1 is the
 * version with a userspace path to a write-protected exclusive PTE of a
 * large folio: the PMD split leaves clean PTEs and 6.1 mprotect does not
 * upgrade clean PTEs (AN §2, §11).  In 6.12 / 7.3 mprotect makes such a
 * PTE writable without a fault.
 */
static void test_cow_exclusive_large_reused_61(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	unsigned k = K61;
	uint32_t f;

	t_prog(&p, N);
	thp_written(&p, N);
	t_dontneed(&p, 0, A + N - 1, 1);
	t_mprotect(&p, 0, A, 1, false);
	t_mprotect(&p, 0, A, 1, true);
	w = T_WORLD(&p, "linux-6.1");
	f = T_FOLIO_AT(w, 0, A + 1);
	K_EQ(k, w, 0, A, "6.1: clean exclusive PTE still read-only", T_PTE(w, 0, A).write, false);
	t_touch(&p, 0, A, 1, true);
	T_PLAY(w, &p, p.nr_ops - 1);
	K_EQ(k, w, 0, A, "exclusive subpage reused", T_FOLIO_AT(w, 0, A), f);
	K_EQ(k, w, 0, A, "reused PTE writable", T_PTE(w, 0, A).write, true);
	K_EQ(k, w, 0, A, "reused PTE dirty", T_PTE(w, 0, A).dirty, true);
	K_EQ(k, w, 0, A, "no copy", t_pages_in_use(w), N);
	khp_world_free(w);
	khp_program_free(&p);
}

/* ---- AN §2: do_huge_pmd_wp_page -------------------------------------------- */

/*
 * Shared PMD (after fork): the parent's write splits its PMD mapping only
 * and COWs one 4 KiB page at PTE level (6.1 refcount > 3, 6.12 large,
 * 7.3 MM-ID shared bit set); the child keeps its PMD.
 */
static void test_huge_pmd_wp_shared(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		uint32_t thp;

		t_prog(&p, N);
		thp_written(&p, N);
		t_fork(&p, 0, 1);
		t_touch(&p, 0, A + 5, 1, true);
		w = T_WORLD(&p, prof(k));
		thp = T_FOLIO_AT(w, 1, A);
		K_EQ(k, w, 1, A, "child keeps the PMD", T_PTE(w, 1, A).kind, KHP_PTE_PMD);
		K_EQ(k, w, 0, A, "parent PMD split", T_PTE(w, 0, A).kind, KHP_PTE_PRESENT);
		K_EQ(k, w, 0, A, "parent other pages still the THP", T_FOLIO_AT(w, 0, A + 6), thp);
		K_EQ(k, w, 0, A + 5, "written page is a 4K copy", T_PTE(w, 0, A + 5).order, 0);
		K_EQ(k, w, 0, A + 5, "copy differs", T_FOLIO_AT(w, 0, A + 5) != thp, true);
		K_EQ(k, w, 0, A + 5, "copy writable", T_PTE(w, 0, A + 5).write, true);
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), N + 1);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/* After the other mm exited, refcount 1: the PMD is reused (all). */
static void test_huge_pmd_wp_reuse_after_exit(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		uint32_t thp;

		t_prog(&p, N);
		thp_written(&p, N);
		t_fork(&p, 0, 1);
		t_exit(&p, 1);
		w = T_WORLD(&p, prof(k));
		thp = T_FOLIO_AT(w, 0, A);
		K_EQ(k, w, 0, A, "write-protected by fork", T_PTE(w, 0, A).write, false);
		t_touch(&p, 0, A + 5, 1, true);
		T_PLAY(w, &p, p.nr_ops - 1);
		K_EQ(k, w, 0, A, "PMD kept", T_PTE(w, 0, A).kind, KHP_PTE_PMD);
		K_EQ(k, w, 0, A, "same THP", T_FOLIO_AT(w, 0, A), thp);
		K_EQ(k, w, 0, A, "PMD writable", T_PTE(w, 0, A).write, true);
		K_EQ(k, w, 0, A, "no copy", t_pages_in_use(w), N);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/*
 * Write to the huge zero PMD: 6.1/6.12 split it into zero-page PTEs and
 * COW one order-0 page; 7.3 do_huge_zero_wp_pmd() maps a fresh THP.
 */
static void test_huge_zero_pmd_write(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		bool thp = k == K73;

		t_prog(&p, N);
		t_mmap(&p, 0, A, N, T_RW | T_HUGE);
		t_touch(&p, 0, A, 1, false);
		t_touch(&p, 0, A + 7, 1, true);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A + 7, "written page kind", T_PTE(w, 0, A + 7).kind,
		     thp ? KHP_PTE_PMD : KHP_PTE_PRESENT);
		K_EQ(k, w, 0, A + 7, "written page order", T_PTE(w, 0, A + 7).order, thp ? 9 : 0);
		K_EQ(k, w, 0, A, "neighbour", T_PTE(w, 0, A).kind,
		     thp ? KHP_PTE_PMD : KHP_PTE_ZERO);
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), thp ? N : 1);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/*
 * PTEs made by a PMD split: 6.1 leaves them clean ("we don't do
 * pte_mkdirty when dirty==true"), 6.12/7.3 copy the PMD's dirty bit.
 * Write and young are inherited in all versions.
 */
static void test_pmd_split_dirty(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		struct khp_pte_info pi;

		t_prog(&p, N);
		thp_written(&p, N);
		t_dontneed(&p, 0, A + N - 1, 1);
		w = T_WORLD(&p, prof(k));
		pi = T_PTE(w, 0, A);
		K_EQ(k, w, 0, A, "split PTE present", pi.kind, KHP_PTE_PRESENT);
		K_EQ(k, w, 0, A, "split PTE dirty", pi.dirty, k != K61);
		K_EQ(k, w, 0, A, "split PTE writable", pi.write, true);
		K_EQ(k, w, 0, A, "split PTE young", pi.young, true);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/* ---- AN §3: MADV_PAGEOUT / MADV_COLD --------------------------------------- */

/* A small exclusive page is swapped out; one shared with a child is skipped. */
static void test_pageout_small(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;

		t_prog(&p, N);
		t_mmap(&p, 0, A, N, T_RW);
		t_touch(&p, 0, A, 2, true);
		t_madvise(&p, 0, A, 1, KHP_ADV_PAGEOUT);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "paged out", T_PTE(w, 0, A).kind, KHP_PTE_SWAP);
		K_EQ(k, w, 0, A + 1, "outside the range", T_PTE(w, 0, A + 1).kind, KHP_PTE_PRESENT);
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), 1);
		K_EQ(k, w, 0, A, "swap slots", swap_slots(w), 1);
		khp_world_free(w);
		khp_program_free(&p);

		t_prog(&p, N);
		t_mmap(&p, 0, A, N, T_RW);
		t_touch(&p, 0, A, 2, true);
		t_fork(&p, 0, 1);
		t_madvise(&p, 0, A, 2, KHP_ADV_PAGEOUT);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "shared page skipped", T_PTE(w, 0, A).kind, KHP_PTE_PRESENT);
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), 2);
		K_EQ(k, w, 0, A, "no swap", swap_slots(w), 0);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/*
 * Young bit: COLD clears it everywhere; PAGEOUT clears it on 6.1 only
 * (6.12/7.3: `if (!pageout && pte_young(ptent))`).  Without swap the paged
 * out page stays mapped, so its PTE can be looked at.
 */
static void test_pageout_cold_young(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;

		t_prog(&p, N);
		t_cfg(&p)->swap = false;
		t_mmap(&p, 0, A, N, T_RW);
		t_touch(&p, 0, A, 2, true);
		t_madvise(&p, 0, A, 1, KHP_ADV_COLD);
		t_madvise(&p, 0, A + 1, 1, KHP_ADV_PAGEOUT);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "COLD: old", T_PTE(w, 0, A).young, false);
		K_EQ(k, w, 0, A, "COLD: still present", T_PTE(w, 0, A).kind, KHP_PTE_PRESENT);
		K_EQ(k, w, 0, A + 1, "PAGEOUT without swap: present",
		     T_PTE(w, 0, A + 1).kind, KHP_PTE_PRESENT);
		K_EQ(k, w, 0, A + 1, "PAGEOUT: young kept on 6.12+", T_PTE(w, 0, A + 1).young,
		     k != K61);
		khp_world_free(w);
		khp_program_free(&p);
	}
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
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;

		t_prog(&p, N);
		thp_written(&p, 4);
		split_pmd_keep_mapped(&p);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "PTE-mapped", T_PTE(w, 0, A).kind, KHP_PTE_PRESENT);
		K_EQ(k, w, 0, A, "still order 9", T_PTE(w, 0, A).order, 9);
		t_madvise(&p, 0, A, N, KHP_ADV_PAGEOUT);
		T_PLAY(w, &p, p.nr_ops - 1);
		K_EQ(k, w, 0, A, "written page swapped", T_PTE(w, 0, A).kind, KHP_PTE_SWAP);
		K_EQ(k, w, 0, A + 100, "never-written page swapped too",
		     T_PTE(w, 0, A + 100).kind, KHP_PTE_SWAP);
		K_EQ(k, w, 0, A + N - 1, "last page swapped", T_PTE(w, 0, A + N - 1).kind,
		     KHP_PTE_SWAP);
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), 0);
		K_EQ(k, w, 0, A, "swap slots", swap_slots(w), N);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/*
 * 6.12/7.3 mTHP (order 4, 4 of 16 pages written): fully covered -> paged
 * out whole (16 swap PTEs); partly covered -> split with zero-page remap
 * (only the written pages stay and are swapped, the rest become zero-page
 * PTEs).
 */
static void test_pageout_mthp(void **state)
{
	unsigned k;

	for (k = K612; k <= K73; k++) {
		struct khp_program p;
		struct khp_world *w;

		t_prog(&p, N);
		t_cfg(&p)->mthp_orders = 1u << 4;
		t_mmap(&p, 0, A, N, T_RW);
		t_touch(&p, 0, A, 4, true);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "mTHP at fault", T_PTE(w, 0, A).order, 4);
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), 16);
		t_madvise(&p, 0, A, 16, KHP_ADV_PAGEOUT);
		T_PLAY(w, &p, p.nr_ops - 1);
		K_EQ(k, w, 0, A, "whole: written page swapped", T_PTE(w, 0, A).kind, KHP_PTE_SWAP);
		K_EQ(k, w, 0, A + 10, "whole: unwritten page swapped", T_PTE(w, 0, A + 10).kind,
		     KHP_PTE_SWAP);
		K_EQ(k, w, 0, A, "whole: pages_in_use", t_pages_in_use(w), 0);
		K_EQ(k, w, 0, A, "whole: swap slots", swap_slots(w), 16);
		khp_world_free(w);
		khp_program_free(&p);

		t_prog(&p, N);
		t_cfg(&p)->mthp_orders = 1u << 4;
		t_mmap(&p, 0, A, N, T_RW);
		t_touch(&p, 0, A, 4, true);
		t_madvise(&p, 0, A, 8, KHP_ADV_PAGEOUT);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "partial: written page swapped", T_PTE(w, 0, A + 3).kind,
		     KHP_PTE_SWAP);
		K_EQ(k, w, 0, A + 5, "partial: unwritten page in range -> zero page",
		     T_PTE(w, 0, A + 5).kind, KHP_PTE_ZERO);
		K_EQ(k, w, 0, A + 12, "partial: unwritten page outside -> zero page",
		     T_PTE(w, 0, A + 12).kind, KHP_PTE_ZERO);
		K_EQ(k, w, 0, A, "partial: pages_in_use", t_pages_in_use(w), 0);
		K_EQ(k, w, 0, A, "partial: swap slots", swap_slots(w), 4);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/*
 * A partly covered PTE-mapped THP (4 pages written, 511 mapped) is split
 * by PAGEOUT in every version.  6.12/7.3 remap the never-written pages to
 * the zero page, so only the 4 written pages remain (and are swapped);
 * 6.1 keeps all 511 pages and swaps the 8 in the range.
 */
static void test_pageout_partial_thp(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		bool zero = k != K61;

		t_prog(&p, N);
		thp_written(&p, 4);
		t_dontneed(&p, 0, A + N - 1, 1);
		t_madvise(&p, 0, A, 8, KHP_ADV_PAGEOUT);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "written page in range swapped", T_PTE(w, 0, A).kind,
		     KHP_PTE_SWAP);
		K_EQ(k, w, 0, A + 5, "unwritten page in range", T_PTE(w, 0, A + 5).kind,
		     zero ? KHP_PTE_ZERO : KHP_PTE_SWAP);
		K_EQ(k, w, 0, A + 100, "unwritten page outside the range",
		     T_PTE(w, 0, A + 100).kind, zero ? KHP_PTE_ZERO : KHP_PTE_PRESENT);
		if (!zero)
			K_EQ(k, w, 0, A + 100, "6.1: split to order 0",
			     T_PTE(w, 0, A + 100).order, 0);
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), zero ? 0 : N - 1 - 8);
		K_EQ(k, w, 0, A, "swap slots", swap_slots(w), zero ? 4 : 8);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/*
 * The same for a PMD-mapped THP and a partial range: the whole folio is
 * split (6.1 split_huge_page, 6.12/7.3 split_folio, then goto
 * regular_page / regular_folio), with the zero-page remap on 6.12/7.3.
 */
static void test_pageout_partial_pmd(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		bool zero = k != K61;

		t_prog(&p, N);
		thp_written(&p, 4);
		t_madvise(&p, 0, A, 8, KHP_ADV_PAGEOUT);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "written page in range swapped", T_PTE(w, 0, A).kind,
		     KHP_PTE_SWAP);
		K_EQ(k, w, 0, A + 5, "unwritten page in range", T_PTE(w, 0, A + 5).kind,
		     zero ? KHP_PTE_ZERO : KHP_PTE_SWAP);
		K_EQ(k, w, 0, A + 100, "unwritten page outside the range",
		     T_PTE(w, 0, A + 100).kind, zero ? KHP_PTE_ZERO : KHP_PTE_PRESENT);
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), zero ? 0 : N - 8);
		K_EQ(k, w, 0, A, "swap slots", swap_slots(w), zero ? 4 : 8);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/*
 * 6.1 stops at the first shared large folio of the table (`break`), so a
 * small exclusive page after it in the same PMD range is not paged out;
 * 6.12/7.3 skip the shared batch (`continue`) and page the small one out.
 */
static void test_pageout_61_break(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;

		t_prog(&p, N);
		thp_written(&p, N);
		t_dontneed(&p, 0, A + N - 1, 1);  /* PTE-mapped THP, 511 pages */
		t_fork(&p, 0, 1);                 /* shared with the child */
		t_touch(&p, 0, A + N - 1, 1, true); /* a small exclusive page after it */
		t_madvise(&p, 0, A, N, KHP_ADV_PAGEOUT);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 1, A, "child maps the THP", T_PTE(w, 1, A).order, 9);
		K_EQ(k, w, 0, A, "shared THP pages stay", T_PTE(w, 0, A).kind, KHP_PTE_PRESENT);
		K_EQ(k, w, 0, A + N - 1, "small exclusive page after the shared THP",
		     T_PTE(w, 0, A + N - 1).kind, k == K61 ? KHP_PTE_PRESENT : KHP_PTE_SWAP);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/* A PMD-mapped THP paged out whole: 512 swap PTEs; a shared PMD is skipped. */
static void test_pageout_pmd(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;

		t_prog(&p, N);
		thp_written(&p, N);
		t_madvise(&p, 0, A, N, KHP_ADV_PAGEOUT);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "first PTE swap", T_PTE(w, 0, A).kind, KHP_PTE_SWAP);
		K_EQ(k, w, 0, A + N - 1, "last PTE swap", T_PTE(w, 0, A + N - 1).kind,
		     KHP_PTE_SWAP);
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), 0);
		K_EQ(k, w, 0, A, "swap slots", swap_slots(w), N);
		khp_world_free(w);
		khp_program_free(&p);

		t_prog(&p, N);
		thp_written(&p, N);
		t_fork(&p, 0, 1);
		t_madvise(&p, 0, A, N, KHP_ADV_PAGEOUT);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "shared PMD skipped", T_PTE(w, 0, A).kind, KHP_PTE_PMD);
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), N);
		K_EQ(k, w, 0, A, "no swap", swap_slots(w), 0);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/*
 * No swap device: PAGEOUT of a PMD-mapped THP (4 pages written) isolates
 * it whole, add_to_swap() fails and shrink_folio_list() falls back to
 * split_folio_to_list() in every version.  That split remaps the
 * never-written subpages to the zero page on 6.12/7.3 (AN §5); 6.1 keeps
 * 512 small pages.
 */
static void test_pageout_no_swap_splits(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		bool zero = k != K61;

		t_prog(&p, N);
		t_cfg(&p)->swap = false;
		thp_written(&p, 4);
		t_madvise(&p, 0, A, N, KHP_ADV_PAGEOUT);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A + 2, "written page kept", T_PTE(w, 0, A + 2).kind,
		     KHP_PTE_PRESENT);
		K_EQ(k, w, 0, A + 2, "split to order 0", T_PTE(w, 0, A + 2).order, 0);
		K_EQ(k, w, 0, A + 100, "never-written page", T_PTE(w, 0, A + 100).kind,
		     zero ? KHP_PTE_ZERO : KHP_PTE_PRESENT);
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), zero ? 4 : N);
		K_EQ(k, w, 0, A, "no swap", swap_slots(w), 0);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/* ---- AN §4: MADV_FREE -------------------------------------------------------- */

/* 512 small written pages in a registered VM_HUGEPAGE VMA, then MADV_FREE of A. */
static void free_setup(struct khp_program *p)
{
	t_prog(p, N);
	t_mmap(p, 0, A, N, T_RW);
	t_touch(p, 0, A, N, true);
	t_madvise(p, 0, A, N, KHP_ADV_HUGEPAGE);
	t_madvise(p, 0, A, 1, KHP_ADV_FREE);
}

/*
 * MADV_FREE cleans and ages the PTE and marks the folio lazyfree.  7.3
 * khugepaged then fails with SCAN_PAGE_LAZYFREE (clean PTE, lazyfree
 * folio, is_khugepaged); 6.1/6.12 have no such test.
 */
static void test_free_lazyfree_khugepaged(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_pte_info pi;
	size_t step;
	unsigned k;

	free_setup(&p);
	step = t_khugepaged(&p, 0, A);
	for_each_kernel(k) {
		struct khp_program q;

		khp_program_init(&q, &p.config);
		for (size_t i = 0; i < step; i++)
			t_push(&q, &p.ops[i]);
		w = T_WORLD(&q, prof(k));
		pi = T_PTE(w, 0, A);
		K_EQ(k, w, 0, A, "still mapped", pi.kind, KHP_PTE_PRESENT);
		K_EQ(k, w, 0, A, "clean", pi.dirty, false);
		K_EQ(k, w, 0, A, "old", pi.young, false);
		K_EQ(k, w, 0, A, "folio lazyfree", T_FOLIO(w, pi.folio).lazyfree, true);
		K_EQ(k, w, 0, A + 1, "neighbour untouched", T_PTE(w, 0, A + 1).dirty, true);
		khp_world_free(w);
		khp_program_free(&q);
	}
	T_RESULTS3(&p, step, SCAN_SUCCEED, SCAN_SUCCEED, SCAN_PAGE_LAZYFREE);
	khp_program_free(&p);
}

/* MADV_COLLAPSE ignores lazyfree (the test is `cc->is_khugepaged && ...`). */
static void test_free_collapse_ignores_lazyfree(void **state)
{
	struct khp_program p;
	size_t step;

	free_setup(&p);
	step = t_collapse(&p, 0, A, N);
	T_RESULTS3(&p, step, SCAN_SUCCEED, SCAN_SUCCEED, SCAN_SUCCEED);
	khp_program_free(&p);
}

/* A write after MADV_FREE re-dirties the PTE: the 7.3 scan passes it. */
static void test_free_redirtied(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	size_t step;
	unsigned k;

	free_setup(&p);
	t_touch(&p, 0, A, 1, true);
	step = t_khugepaged(&p, 0, A);
	for_each_kernel(k) {
		struct khp_program q;

		khp_program_init(&q, &p.config);
		for (size_t i = 0; i < step; i++)
			t_push(&q, &p.ops[i]);
		w = T_WORLD(&q, prof(k));
		K_EQ(k, w, 0, A, "re-dirtied", T_PTE(w, 0, A).dirty, true);
		khp_world_free(w);
		khp_program_free(&q);
	}
	T_RESULTS3(&p, step, SCAN_SUCCEED, SCAN_SUCCEED, SCAN_SUCCEED);
	khp_program_free(&p);
}

/* ---- AN §5: zero-page remap on split ------------------------------------------ */

/*
 * A THP with 4 written pages, PMD split by a partial DONTNEED (partially
 * mapped, queued), then the deferred-split pass: 6.12/7.3 remap the
 * never-written subpages to the zero page; 6.1 has no such remap and keeps
 * 511 small pages.
 */
static void test_split_zero_page_remap(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		bool zero = k != K61;

		t_prog(&p, N);
		thp_written(&p, 4);
		t_dontneed(&p, 0, A + N - 1, 1);
		t_split(&p);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A + 2, "written page kept", T_PTE(w, 0, A + 2).kind, KHP_PTE_PRESENT);
		K_EQ(k, w, 0, A + 2, "split to order 0", T_PTE(w, 0, A + 2).order, 0);
		K_EQ(k, w, 0, A + 100, "never-written page", T_PTE(w, 0, A + 100).kind,
		     zero ? KHP_PTE_ZERO : KHP_PTE_PRESENT);
		if (zero)
			K_EQ(k, w, 0, A + 100, "zero-page PTE young", T_PTE(w, 0, A + 100).young,
			     true);
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), zero ? 4 : N - 1);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/* ---- AN §6: do_swap_page ------------------------------------------------------- */

/*
 * Read swap-in of an exclusive page: 6.1 maps it read-only (a later write
 * reuses it: PageAnonExclusive), 6.12/7.3 writable and clean.  The swap
 * slot is released (synchronous device, swap count 1).
 */
static void test_swapin_exclusive(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		struct khp_pte_info pi;
		uint32_t f;

		t_prog(&p, N);
		t_mmap(&p, 0, A, N, T_RW);
		t_touch(&p, 0, A, 1, true);
		t_madvise(&p, 0, A, 1, KHP_ADV_PAGEOUT);
		t_touch(&p, 0, A, 1, false);
		w = T_WORLD(&p, prof(k));
		pi = T_PTE(w, 0, A);
		f = pi.folio;
		K_EQ(k, w, 0, A, "swapped in", pi.kind, KHP_PTE_PRESENT);
		K_EQ(k, w, 0, A, "writable on read", pi.write, k != K61);
		K_EQ(k, w, 0, A, "young", pi.young, true);
		K_EQ(k, w, 0, A, "not dirty (read fault)", pi.dirty, false);
		K_EQ(k, w, 0, A, "swap slot freed", swap_slots(w), 0);
		t_touch(&p, 0, A, 1, true);
		T_PLAY(w, &p, p.nr_ops - 1);
		K_EQ(k, w, 0, A, "write reuses the exclusive page", T_FOLIO_AT(w, 0, A), f);
		K_EQ(k, w, 0, A, "writable", T_PTE(w, 0, A).write, true);
		K_EQ(k, w, 0, A, "one page", t_pages_in_use(w), 1);
		khp_world_free(w);
		khp_program_free(&p);
	}
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
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		uint32_t f;

		t_prog(&p, N);
		t_mmap(&p, 0, A, N, T_RW);
		t_touch(&p, 0, A, 1, true);
		t_madvise(&p, 0, A, 1, KHP_ADV_PAGEOUT);
		t_fork(&p, 0, 1);
		t_exit(&p, 1);
		t_touch(&p, 0, A, 1, false);
		w = T_WORLD(&p, prof(k));
		f = T_FOLIO_AT(w, 0, A);
		K_EQ(k, w, 0, A, "writable on read", T_PTE(w, 0, A).write, k == K612);
		t_touch(&p, 0, A, 1, true);
		T_PLAY(w, &p, p.nr_ops - 1);
		K_EQ(k, w, 0, A, "write reuses", T_FOLIO_AT(w, 0, A), f);
		K_EQ(k, w, 0, A, "one page", t_pages_in_use(w), 1);
		K_EQ(k, w, 0, A, "no swap slot", swap_slots(w), 0);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/*
 * A swap entry shared by fork: both swap-ins map the same folio
 * read-only in every version (fork cleared the swp-exclusive bit, the
 * swap cache holds a reference).  After both write (child copies, parent
 * reuses) no swap slot is left.
 */
static void test_swapin_shared_by_fork(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;

		t_prog(&p, N);
		t_mmap(&p, 0, A, N, T_RW);
		t_touch(&p, 0, A, 1, true);
		t_madvise(&p, 0, A, 1, KHP_ADV_PAGEOUT);
		t_fork(&p, 0, 1);
		t_touch(&p, 1, A, 1, false);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 1, A, "child swapped in", T_PTE(w, 1, A).kind, KHP_PTE_PRESENT);
		K_EQ(k, w, 1, A, "child read-only", T_PTE(w, 1, A).write, false);
		K_EQ(k, w, 0, A, "parent still swap", T_PTE(w, 0, A).kind, KHP_PTE_SWAP);
		t_touch(&p, 0, A, 1, false);
		T_PLAY(w, &p, p.nr_ops - 1);
		K_EQ(k, w, 0, A, "parent read-only", T_PTE(w, 0, A).write, false);
		K_EQ(k, w, 0, A, "same folio", T_FOLIO_AT(w, 0, A), T_FOLIO_AT(w, 1, A));
		K_EQ(k, w, 0, A, "one page", t_pages_in_use(w), 1);
		t_touch(&p, 1, A, 1, true);
		t_touch(&p, 0, A, 1, true);
		T_PLAY(w, &p, p.nr_ops - 2);
		K_EQ(k, w, 0, A, "child copy + parent reuse", t_pages_in_use(w), 2);
		K_EQ(k, w, 0, A, "no swap slot leaked", swap_slots(w), 0);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/* ---- AN §7: fork ------------------------------------------------------------------ */

/* Both write-protected; the child's PTE old, the parent's young; dirty kept. */
static void test_fork_bits(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		struct khp_pte_info pi, ci;

		t_prog(&p, N);
		t_mmap(&p, 0, A, N, T_RW);
		t_touch(&p, 0, A, 2, true);
		t_fork(&p, 0, 1);
		w = T_WORLD(&p, prof(k));
		pi = T_PTE(w, 0, A);
		ci = T_PTE(w, 1, A);
		K_EQ(k, w, 0, A, "parent young", pi.young, true);
		K_EQ(k, w, 1, A, "child old", ci.young, false);
		K_EQ(k, w, 0, A, "parent dirty", pi.dirty, true);
		K_EQ(k, w, 1, A, "child dirty", ci.dirty, true);
		K_EQ(k, w, 0, A, "parent write-protected", pi.write, false);
		K_EQ(k, w, 1, A, "child write-protected", ci.write, false);
		K_EQ(k, w, 1, A, "same folio", ci.folio, pi.folio);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/* A pinned exclusive page is copied for the child; the parent stays writable. */
static void test_fork_pinned_exclusive(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		struct khp_pte_info pi, ci;

		t_prog(&p, N);
		t_mmap(&p, 0, A, N, T_RW);
		t_touch(&p, 0, A, 2, true);
		t_pin(&p, 0, A);
		t_fork(&p, 0, 1);
		w = T_WORLD(&p, prof(k));
		pi = T_PTE(w, 0, A);
		ci = T_PTE(w, 1, A);
		K_EQ(k, w, 1, A, "child gets its own copy", ci.folio != pi.folio, true);
		K_EQ(k, w, 0, A, "parent stays writable", pi.write, true);
		K_EQ(k, w, 1, A, "child copy writable", ci.write, true);
		K_EQ(k, w, 1, A, "child copy dirty", ci.dirty, true);
		K_EQ(k, w, 1, A, "child copy young", ci.young, true);
		K_EQ(k, w, 1, A + 1, "unpinned page shared", T_FOLIO_AT(w, 1, A + 1),
		     T_FOLIO_AT(w, 0, A + 1));
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), 3);
		khp_world_free(w);
		khp_program_free(&p);
	}
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
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;

		t_prog(&p, N);
		thp_written(&p, N);
		t_dontneed(&p, 0, A + N - 1, 1);
		t_fork(&p, 0, 1);
		t_exit(&p, 1);
		t_pin(&p, 0, A);
		t_fork(&p, 0, 2);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "pinned page order", T_PTE(w, 0, A).order, k == K73 ? 9 : 0);
		K_EQ(k, w, 2, A, "pinned exclusive page copied",
		     T_FOLIO_AT(w, 2, A) != T_FOLIO_AT(w, 0, A), true);
		K_EQ(k, w, 0, A, "parent writable", T_PTE(w, 0, A).write, true);
		K_EQ(k, w, 2, A + 1, "non-exclusive subpage not copied", T_FOLIO_AT(w, 2, A + 1),
		     T_FOLIO_AT(w, 0, A + 1));
		K_EQ(k, w, 2, A + 1, "child maps the THP", T_PTE(w, 2, A + 1).order, 9);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/* Only read faults (zero page, no anon_vma): the child gets no page table. */
static void test_fork_no_anon_vma(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;

		t_prog(&p, N);
		t_mmap(&p, 0, A, N, T_RW);
		t_touch(&p, 0, A, 4, false);
		t_fork(&p, 0, 1);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "parent zero page", T_PTE(w, 0, A).kind, KHP_PTE_ZERO);
		K_EQ(k, w, 1, A, "child: no page table", T_PTE(w, 1, A).kind, KHP_PTE_NO_TABLE);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/* ---- AN §8: khugepaged registration --------------------------------------------- */

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
	T_RESULTS3(&p, before, KHP_NOT_VISITED, KHP_NOT_VISITED, KHP_NOT_VISITED);
	khp_program_free(&p);

	t_prog(&p, N);
	t_mmap(&p, 0, A, N, T_RW);
	t_touch(&p, 0, A, N, true);
	before = t_khugepaged(&p, 0, A);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	after = t_khugepaged(&p, 0, A);
	T_RESULTS3(&p, before, KHP_NOT_VISITED, KHP_NOT_VISITED, KHP_NOT_VISITED);
	T_RESULTS3(&p, after, SCAN_SUCCEED, SCAN_SUCCEED, SCAN_SUCCEED);
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
	T_RESULTS3(&p, step, SCAN_PMD_NONE, KHP_NOT_VISITED, KHP_NOT_VISITED);
	khp_program_free(&p);

	/* control: a flag change (NOHUGEPAGE, then HUGEPAGE) registers on 6.12 and 7.3 too */
	t_prog(&p, N);
	t_mmap(&p, 0, A, N + 16, T_RW | T_HUGE);
	t_touch(&p, 0, A + N, 1, true);
	t_madvise(&p, 0, A, N + 16, KHP_ADV_NOHUGEPAGE);
	t_madvise(&p, 0, A, N + 16, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, A);
	T_RESULTS3(&p, step, SCAN_PMD_NONE, SCAN_PMD_NONE, SCAN_NO_PTE_TABLE);
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

/* ---- AN §9: 7.3 PT_RECLAIM ------------------------------------------------------ */

static void pt_reclaim_setup(struct khp_program *p)
{
	t_prog(p, N);
	t_mmap(p, 0, A, N, T_RW);
	t_touch(p, 0, A, N, true);
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
	struct khp_world *w;
	size_t step;
	unsigned k;

	pt_reclaim_setup(&p);
	t_dontneed(&p, 0, A, N);
	step = t_khugepaged(&p, 0, A);
	T_RESULTS3(&p, step, SCAN_EXCEED_NONE_PTE, SCAN_EXCEED_NONE_PTE, SCAN_NO_PTE_TABLE);
	khp_program_free(&p);

	for_each_kernel(k) {
		pt_reclaim_setup(&p);
		t_dontneed(&p, 0, A, N);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "whole-range DONTNEED", T_PTE(w, 0, A).kind,
		     k == K73 ? KHP_PTE_NO_TABLE : KHP_PTE_NONE);
		khp_world_free(w);
		khp_program_free(&p);

		pt_reclaim_setup(&p);
		t_dontneed(&p, 0, A, N - 1);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "511-page DONTNEED keeps the table", T_PTE(w, 0, A).kind,
		     KHP_PTE_NONE);
		khp_world_free(w);
		khp_program_free(&p);

		pt_reclaim_setup(&p);
		t_dontneed(&p, 0, A, N / 2);
		t_dontneed(&p, 0, A + N / 2, N / 2);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "two half DONTNEEDs keep the table", T_PTE(w, 0, A).kind,
		     KHP_PTE_NONE);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/* ---- AN §10: deferred split on unmap -------------------------------------------- */

/*
 * A fully PTE-mapped THP, kept alive by a pin, zapped by one DONTNEED:
 * 6.12/7.3 remove the rmap of the whole batch at once (never partially
 * mapped: not queued); 6.1 removes it PTE by PTE and queues it at the
 * first one.  shrink_underused is off: with it on, 6.12/7.3 queue every
 * PMD THP at fault (deferred_split_folio(folio, false)), which would hide
 * the rule.
 */
static void test_deferred_split_whole_zap(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		struct khp_folio_info fi;
		uint32_t f;

		t_prog(&p, N);
		t_cfg(&p)->shrink_underused = false;
		thp_written(&p, N);
		split_pmd_keep_mapped(&p);
		t_pin(&p, 0, A);
		w = T_WORLD(&p, prof(k));
		f = T_FOLIO_AT(w, 0, A);
		K_EQ(k, w, 0, A, "PTE-mapped THP", T_PTE(w, 0, A).kind, KHP_PTE_PRESENT);
		K_EQ(k, w, 0, A, "not queued by the PMD split", T_FOLIO(w, f).deferred_split,
		     false);
		t_dontneed(&p, 0, A, N);
		T_PLAY(w, &p, p.nr_ops - 1);
		fi = T_FOLIO(w, f);
		K_EQ(k, w, 0, A, "pinned folio kept", fi.order, 9);
		K_EQ(k, w, 0, A, "unmapped", fi.large_mapcount, 0);
		K_EQ(k, w, 0, A, "queued for deferred split", fi.deferred_split, k == K61);
		if (k != K61)   /* 6.1 has no PG_partially_mapped */
			K_EQ(k, w, 0, A, "not partially mapped", fi.partially_mapped, false);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/* A partial zap queues it (6.12/7.3: as partially mapped). */
static void test_deferred_split_partial_zap(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		struct khp_folio_info fi;

		t_prog(&p, N);
		thp_written(&p, N);
		t_dontneed(&p, 0, A + N - 1, 1);
		w = T_WORLD(&p, prof(k));
		fi = T_FOLIO(w, T_FOLIO_AT(w, 0, A));
		K_EQ(k, w, 0, A, "queued", fi.deferred_split, true);
		if (k != K61)
			K_EQ(k, w, 0, A, "partially mapped", fi.partially_mapped, true);
		K_EQ(k, w, 0, A, "511 pages mapped", fi.nr_pages_mapped, N - 1);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/* ---- AN §11: mprotect write upgrade -------------------------------------------- */

/*
 * PTEs: 6.1 upgrades only dirty exclusive PTEs (a clean one, from a 6.1
 * PMD split, stays read-only); 6.12/7.3 upgrade any exclusive PTE.  A
 * dirty small page is upgraded everywhere.
 */
static void test_mprotect_pte_upgrade(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;

		t_prog(&p, N);
		thp_written(&p, N);
		t_dontneed(&p, 0, A + N - 1, 1);     /* PMD split: 6.1 PTEs clean */
		t_mprotect(&p, 0, A, 4, false);
		t_mprotect(&p, 0, A, 4, true);
		t_mmap(&p, 0, A + 2 * N, N, T_RW);
		t_touch(&p, 0, A + 2 * N, 1, true);  /* dirty small page */
		t_mprotect(&p, 0, A + 2 * N, N, false);
		t_mprotect(&p, 0, A + 2 * N, N, true);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "clean exclusive PTE upgraded", T_PTE(w, 0, A).write, k != K61);
		K_EQ(k, w, 0, A + 2 * N, "dirty exclusive PTE upgraded",
		     T_PTE(w, 0, A + 2 * N).write, true);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/* PMD: 6.1 change_huge_pmd never upgrades; 6.12/7.3 upgrade an exclusive PMD. */
static void test_mprotect_pmd_upgrade(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;
		uint32_t thp;

		t_prog(&p, N);
		thp_written(&p, N);
		t_mprotect(&p, 0, A, N, false);
		t_mprotect(&p, 0, A, N, true);
		w = T_WORLD(&p, prof(k));
		thp = T_FOLIO_AT(w, 0, A);
		K_EQ(k, w, 0, A, "PMD kept", T_PTE(w, 0, A).kind, KHP_PTE_PMD);
		K_EQ(k, w, 0, A, "PMD upgraded", T_PTE(w, 0, A).write, k != K61);
		/* a write fault then reuses the exclusive PMD (AN §2 step 1) */
		t_touch(&p, 0, A + 3, 1, true);
		T_PLAY(w, &p, p.nr_ops - 1);
		K_EQ(k, w, 0, A, "PMD after the write", T_PTE(w, 0, A).kind, KHP_PTE_PMD);
		K_EQ(k, w, 0, A, "same THP", T_FOLIO_AT(w, 0, A), thp);
		K_EQ(k, w, 0, A, "writable", T_PTE(w, 0, A).write, true);
		K_EQ(k, w, 0, A, "no copy", t_pages_in_use(w), N);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/*
 * SIM DISAGREES (linux-7.3): expected per mm/mprotect.c:change_pte_range /
 * change_present_ptes and include/linux/pgtable.h:modify_prot_start_ptes;
 * the simulator leaves the aged PTE old.  Kept failing on purpose.
 *
 * 7.3 batches mprotect over a PTE-mapped large folio and the generic
 * modify_prot_start_ptes() ORs young/dirty over the batch, so one young
 * PTE makes the whole batch young again.  6.1/6.12 change PTE by PTE.
 */
static void test_sim_disagrees_mprotect_73_batch_young(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;

		t_prog(&p, N);
		thp_written(&p, N);
		split_pmd_keep_mapped(&p);
		t_age(&p, 0, A, 8);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "aged", T_PTE(w, 0, A).young, false);
		K_EQ(k, w, 0, A + 8, "not aged", T_PTE(w, 0, A + 8).young, true);
		t_mprotect(&p, 0, A, N, false);
		T_PLAY(w, &p, p.nr_ops - 1);
		K_EQ(k, w, 0, A, "read-only", T_PTE(w, 0, A).write, false);
		K_EQ(k, w, 0, A, "young after mprotect", T_PTE(w, 0, A).young, k == K73);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/* ---- AN §12: mTHP order at fault ------------------------------------------------- */

/*
 * With the 64 KiB mTHP size enabled: a uffd-armed VMA faults order 0
 * (userfaultfd_armed -> fallback); a plain VMA gets order 4 on 6.12/7.3
 * (6.1 has no mTHP); a read fault maps the zero page in every case.
 */
static void test_mthp_fault_order(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;

		t_prog(&p, N);
		t_cfg(&p)->mthp_orders = 1u << 4;
		t_mmap(&p, 0, A, N, T_RW | T_UFFD);
		t_touch(&p, 0, A, 1, true);
		t_mmap(&p, 0, A + 2 * N, N, T_RW);
		t_touch(&p, 0, A + 2 * N, 1, true);
		t_mmap(&p, 0, A + 4 * N, N, T_RW);
		t_touch(&p, 0, A + 4 * N, 1, false);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "uffd: order 0", T_PTE(w, 0, A).order, 0);
		K_EQ(k, w, 0, A, "uffd: one page", T_PTE(w, 0, A + 1).kind, KHP_PTE_NONE);
		K_EQ(k, w, 0, A + 2 * N, "plain VMA order", T_PTE(w, 0, A + 2 * N).order,
		     k == K61 ? 0 : 4);
		K_EQ(k, w, 0, A + 4 * N, "read fault: zero page", T_PTE(w, 0, A + 4 * N).kind,
		     KHP_PTE_ZERO);
		K_EQ(k, w, 0, A + 4 * N, "read fault: neighbour none",
		     T_PTE(w, 0, A + 4 * N + 1).kind, KHP_PTE_NONE);
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), k == K61 ? 2 : 17);
		khp_world_free(w);
		khp_program_free(&p);
	}
}

/*
 * AN §13: the PMD fault path has no userfaultfd_wp test, so a uffd-wp
 * registered VM_HUGEPAGE VMA still gets a PMD THP on a write fault (only
 * the mTHP path falls back to order 0 for userfaultfd_armed).
 */
static void test_uffd_wp_pmd_thp_at_fault(void **state)
{
	unsigned k;

	for_each_kernel(k) {
		struct khp_program p;
		struct khp_world *w;

		t_prog(&p, N);
		t_cfg(&p)->mthp_orders = 1u << 4;
		t_mmap(&p, 0, A, N, T_RW | T_HUGE | T_UFFD);
		t_touch(&p, 0, A + 3, 1, true);
		w = T_WORLD(&p, prof(k));
		K_EQ(k, w, 0, A, "PMD THP in a uffd-wp VMA", T_PTE(w, 0, A + 3).kind, KHP_PTE_PMD);
		K_EQ(k, w, 0, A, "pages_in_use", t_pages_in_use(w), N);
		khp_world_free(w);
		khp_program_free(&p);
	}
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
		cmocka_unit_test(test_sim_disagrees_mprotect_73_batch_young),
		cmocka_unit_test(test_mthp_fault_order),
		cmocka_unit_test(test_uffd_wp_pmd_thp_at_fault),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
