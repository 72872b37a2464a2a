/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The three "shared" predicates of khugepaged's max_ptes_shared test, each
 * branch on its own:
 *   6.1  page_mapcount(subpage) = PTEs of the subpage + PMD mappings
 *   6.12 folio_likely_mapped_shared(): small folio, mapcount <= 1, entire
 *        mapcount != 0, mapcount > nr_pages, subpage-0 guess
 *   7.3  folio_maybe_mapped_shared() with the MM-ID slots
 *        (folio_add_return_large_mapcount() / folio_sub_...): slot add /
 *        remove, the shared bit, and the > 2 mm sticky false positive
 * plus the shared count khugepaged records in five layouts (a parent and
 * a child mapping a THP in different ways), read from the record's
 * `shared` (max_ptes_shared = 511 so the scan never stops on the shared
 * limit before the end, except where 512 PTEs are shared).
 *
 * Layouts are built in a world with khp_world_apply (T_WORLD / T_PLAY),
 * drawn with assert_map and inspected with khp_world_folio,
 * khp_world_page_mapcount and khp_world_page_shared (T_SHARED3: the three
 * kernels' predicates on one world).  Expected values come from the
 * kernel functions named above.
 */
#include "khp_test.h"

#define N   512u          /* HPAGE_PMD_NR */
#define A   (2 * N)       /* the test range: PMD range 2 */

/* One kernel's shared predicate on (mm, folio, subpage). */
static bool shared_of(const struct khp_world *w, enum khp_kernel k, unsigned mm,
		      uint32_t folio, unsigned sub)
{
	return khp_world_page_shared(w, khp_kernel_rules(k)->shared, mm, folio, sub);
}

/* mm 0: a PMD-mapped THP at A (VM_HUGEPAGE VMA, write fault). */
static void prog_thp(struct khp_program *p)
{
	t_prog(p, N);
	t_mmap(p, 0, A, N, T_RW | T_HUGE);
	t_touch(p, 0, A, N, true);
}

/* prog_thp's world under profile. */
static struct khp_world *thp_world(struct khp_program *p, const char *profile)
{
	prog_thp(p);
	return T_WORLD(p, profile);
}

/* Small pages: page_mapcount and all predicates are mapcount > 1. */
static void test_predicates_small_folio(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	uint32_t f, g;
	size_t n;

	t_prog(&p, N);
	t_mmap(&p, 0, A, N, T_RW);
	t_touch(&p, 0, A, 1, true);
	w = T_WORLD(&p, "linux-6.12");
	assert_map(w, 0, A, "1E 511.");
	f = T_FOLIO_AT(w, 0, A);
	T_W_EQ(w, 0, A, "small folio order", T_FOLIO(w, f).order, 0);
	T_W_EQ(w, 0, A, "page_mapcount before fork", khp_world_page_mapcount(w, f, 0), 1);
	T_SHARED3(w, 0, A, f, 0, false, false, false);

	n = p.nr_ops;
	t_fork(&p, 0, 1);
	T_PLAY(w, &p, n);
	assert_map(w, 0, A, "1s 511.");
	T_W_EQ(w, 0, A, "child maps the same folio", T_FOLIO_AT(w, 1, A), f);
	T_W_EQ(w, 0, A, "page_mapcount after fork", khp_world_page_mapcount(w, f, 0), 2);
	T_SHARED3(w, 0, A, f, 0, true, true, true);
	T_SHARED3(w, 1, A, f, 0, true, true, true);

	/* the child's write CoWs: both pages exclusive again */
	n = p.nr_ops;
	t_touch(&p, 1, A, 1, true);
	T_PLAY(w, &p, n);
	assert_map(w, 0, A, "1e 511.");
	assert_map(w, 1, A, "1E 511.");
	g = T_FOLIO_AT(w, 1, A);
	T_W_EQ(w, 1, A, "CoW gave the child a new folio", g != f, true);
	T_W_EQ(w, 0, A, "page_mapcount parent after CoW", khp_world_page_mapcount(w, f, 0), 1);
	T_W_EQ(w, 1, A, "page_mapcount child after CoW", khp_world_page_mapcount(w, g, 0), 1);
	T_SHARED3(w, 0, A, f, 0, false, false, false);
	T_SHARED3(w, 1, A, g, 0, false, false, false);
	khp_world_free(w);
	khp_program_free(&p);
}

/* 6.1: PMD-mapped in one mm -> 1; in two mms -> 2. */
static void test_page_mapcount_pmd_mapped(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_folio_info fi;
	uint32_t f;
	size_t n;

	w = thp_world(&p, "linux-6.1");
	assert_map(w, 0, A, "512H");
	T_W_EQ(w, 0, A, "PMD-mapped", T_PTE(w, 0, A).kind, KHP_PTE_PMD);
	f = T_FOLIO_AT(w, 0, A);
	fi = T_FOLIO(w, f);
	T_W_EQ(w, 0, A, "order", fi.order, 9);
	T_W_EQ(w, 0, A, "entire_mapcount", fi.entire_mapcount, 1);
	T_W_EQ(w, 0, A, "large_mapcount", fi.large_mapcount, 1);
	T_W_EQ(w, 0, A, "page_mapcount(0)", khp_world_page_mapcount(w, f, 0), 1);
	T_W_EQ(w, 0, A, "page_mapcount(511)", khp_world_page_mapcount(w, f, 511), 1);

	n = p.nr_ops;
	t_fork(&p, 0, 1);
	T_PLAY(w, &p, n);
	assert_map(w, 1, A, "512H");
	T_W_EQ(w, 1, A, "child PMD-maps it", T_PTE(w, 1, A).kind, KHP_PTE_PMD);
	fi = T_FOLIO(w, f);
	T_W_EQ(w, 0, A, "entire_mapcount after fork", fi.entire_mapcount, 2);
	T_W_EQ(w, 0, A, "large_mapcount after fork", fi.large_mapcount, 2);
	T_W_EQ(w, 0, A, "page_mapcount(7) after fork", khp_world_page_mapcount(w, f, 7), 2);
	khp_world_free(w);
	khp_program_free(&p);
}

/* 6.1: PTE-mapped in one mm -> 1 for mapped subpages, 0 for the others. */
static void test_page_mapcount_pte_mapped(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_folio_info fi;
	uint32_t f;

	prog_thp(&p);
	t_dontneed(&p, 0, A + 256, 256);
	w = T_WORLD(&p, "linux-6.1");
	assert_map(w, 0, A, "256E 256.");
	T_W_EQ(w, 0, A, "PMD split into PTEs", T_PTE(w, 0, A).kind, KHP_PTE_PRESENT);
	f = T_FOLIO_AT(w, 0, A);
	fi = T_FOLIO(w, f);
	T_W_EQ(w, 0, A, "entire_mapcount", fi.entire_mapcount, 0);
	T_W_EQ(w, 0, A, "large_mapcount", fi.large_mapcount, 256);
	T_W_EQ(w, 0, A, "nr_pages_mapped", fi.nr_pages_mapped, 256);
	T_W_EQ(w, 0, A, "page_mapcount(0)", khp_world_page_mapcount(w, f, 0), 1);
	T_W_EQ(w, 0, A, "page_mapcount(255)", khp_world_page_mapcount(w, f, 255), 1);
	T_W_EQ(w, 0, A, "page_mapcount(256)", khp_world_page_mapcount(w, f, 256), 0);
	T_W_EQ(w, 0, A, "page_mapcount(511)", khp_world_page_mapcount(w, f, 511), 0);
	T_W_EQ(w, 0, A, "6.1 shared", shared_of(w, KHP_LINUX_6_1, 0, f, 3), false);
	khp_world_free(w);
	khp_program_free(&p);
}

/*
 * 6.1: PMD in the parent + PTEs in the child -> 2 where the child maps the
 * subpage, 1 where it does not; then both PTE-mapped (DoubleMap gone).
 */
static void test_page_mapcount_pmd_plus_pte(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	uint32_t f;
	size_t n;

	prog_thp(&p);
	t_fork(&p, 0, 1);
	t_dontneed(&p, 1, A, 1);
	w = T_WORLD(&p, "linux-6.1");
	assert_map(w, 0, A, "512H");
	assert_map(w, 1, A, "1. 511s");
	f = T_FOLIO_AT(w, 0, A);
	T_W_EQ(w, 0, A, "parent still PMD-mapped", T_PTE(w, 0, A).kind, KHP_PTE_PMD);
	T_W_EQ(w, 1, A + 1, "child PTE maps subpage 1", T_PTE(w, 1, A + 1).subpage, 1);
	T_W_EQ(w, 0, A, "entire_mapcount", T_FOLIO(w, f).entire_mapcount, 1);
	T_W_EQ(w, 0, A, "large_mapcount", T_FOLIO(w, f).large_mapcount, 1 + 511);
	T_W_EQ(w, 1, A, "page_mapcount(0)", khp_world_page_mapcount(w, f, 0), 1);
	T_W_EQ(w, 1, A, "page_mapcount(1)", khp_world_page_mapcount(w, f, 1), 2);
	T_W_EQ(w, 1, A, "page_mapcount(511)", khp_world_page_mapcount(w, f, 511), 2);
	T_W_EQ(w, 1, A, "6.1 shared child subpage 1",
	       shared_of(w, KHP_LINUX_6_1, 1, f, 1), true);

	/* the parent splits too: only PTE mappings are left */
	n = p.nr_ops;
	t_dontneed(&p, 0, A + 511, 1);
	T_PLAY(w, &p, n);
	assert_map(w, 0, A, "1e 510s 1.");
	assert_map(w, 1, A, "1. 510s 1e");
	T_W_EQ(w, 0, A, "entire_mapcount", T_FOLIO(w, f).entire_mapcount, 0);
	T_W_EQ(w, 0, A, "large_mapcount", T_FOLIO(w, f).large_mapcount, 511 + 511);
	T_W_EQ(w, 0, A, "page_mapcount(0)", khp_world_page_mapcount(w, f, 0), 1);
	T_W_EQ(w, 0, A, "page_mapcount(5)", khp_world_page_mapcount(w, f, 5), 2);
	T_W_EQ(w, 0, A, "page_mapcount(511)", khp_world_page_mapcount(w, f, 511), 1);
	T_W_EQ(w, 0, A, "6.1 shared parent subpage 0",
	       shared_of(w, KHP_LINUX_6_1, 0, f, 0), false);
	T_W_EQ(w, 0, A, "6.1 shared parent subpage 5",
	       shared_of(w, KHP_LINUX_6_1, 0, f, 5), true);
	khp_world_free(w);
	khp_program_free(&p);
}

/* 6.12 branch 3: a large folio with folio_mapcount <= 1 is never shared. */
static void test_likely_shared_mapcount_le1(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	uint32_t f;

	prog_thp(&p);
	t_dontneed(&p, 0, A + 1, N - 1);
	w = T_WORLD(&p, "linux-6.12");
	assert_map(w, 0, A, "1E 511.");
	f = T_FOLIO_AT(w, 0, A);
	T_W_EQ(w, 0, A, "large_mapcount", T_FOLIO(w, f).large_mapcount, 1);
	T_W_EQ(w, 0, A, "6.12 shared", shared_of(w, KHP_LINUX_6_12, 0, f, 0), false);
	T_W_EQ(w, 0, A, "7.3 shared", shared_of(w, KHP_LINUX_7_3, 0, f, 0), false);
	khp_world_free(w);
	khp_program_free(&p);
}

/*
 * 6.12 branch 4a: any PMD mapping -> every PTE of the folio is shared,
 * although the total (2) is <= 512 and subpage 0 has no PTE at all.
 */
static void test_likely_shared_entire_mapcount(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	uint32_t f;

	prog_thp(&p);
	t_fork(&p, 0, 1);
	t_dontneed(&p, 1, A, N - 1);    /* the child keeps only subpage 511 */
	w = T_WORLD(&p, "linux-6.12");
	assert_map(w, 0, A, "512H");
	assert_map(w, 1, A, "511. 1s");
	f = T_FOLIO_AT(w, 0, A);
	T_W_EQ(w, 1, A, "large_mapcount", T_FOLIO(w, f).large_mapcount, 2);
	T_W_EQ(w, 1, A, "entire_mapcount", T_FOLIO(w, f).entire_mapcount, 1);
	T_W_EQ(w, 1, A, "6.12 shared (child, subpage 511)",
	       shared_of(w, KHP_LINUX_6_12, 1, f, 511), true);
	T_W_EQ(w, 1, A, "6.1 shared (child, subpage 511)",
	       shared_of(w, KHP_LINUX_6_1, 1, f, 511), true);
	khp_world_free(w);
	khp_program_free(&p);
}

/*
 * 6.12 branch 4b: no PMD mapping, total 1022 > 512 -> shared, although
 * subpage 0 is mapped by nobody (the guess alone would say "exclusive").
 */
static void test_likely_shared_mapcount_gt_nr(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	uint32_t f;

	prog_thp(&p);
	t_fork(&p, 0, 1);
	t_dontneed(&p, 0, A, 1);
	t_dontneed(&p, 1, A, 1);
	w = T_WORLD(&p, "linux-6.12");
	assert_map(w, 0, A, "1. 511s");
	assert_map(w, 1, A, "1. 511s");
	f = T_FOLIO_AT(w, 0, A + 1);
	T_W_EQ(w, 0, A, "entire_mapcount", T_FOLIO(w, f).entire_mapcount, 0);
	T_W_EQ(w, 0, A, "large_mapcount", T_FOLIO(w, f).large_mapcount, 1022);
	T_W_EQ(w, 0, A, "page_mapcount(0)", khp_world_page_mapcount(w, f, 0), 0);
	T_W_EQ(w, 0, A, "6.12 shared", shared_of(w, KHP_LINUX_6_12, 0, f, 1), true);
	T_W_EQ(w, 0, A, "7.3 shared", shared_of(w, KHP_LINUX_7_3, 0, f, 1), true);
	khp_world_free(w);
	khp_program_free(&p);
}

/*
 * 6.12 branch 5, the subpage-0 guess (the real kernels' layouts d2, d3, d4
 * of test_oracle_layouts.c): both mms PTE-map part of the THP, total <=
 * 512, no PMD mapping.
 *   page 0 mapped by nobody / once  -> "exclusive" (false negative)
 *   page 0 mapped twice             -> "shared"
 * 6.1 and 7.3 say shared in all three.
 */
static void likely_guess_case(bool parent_maps0, bool child_maps0, bool expect_612)
{
	struct khp_program p;
	struct khp_world *w;
	uint32_t f;

	prog_thp(&p);
	t_madvise(&p, 0, A, N, KHP_ADV_NOHUGEPAGE);
	t_fork(&p, 0, 1);
	t_dontneed(&p, 0, A + 256, 256);
	t_dontneed(&p, 1, A + 256, 256);
	if (!parent_maps0)
		t_dontneed(&p, 0, A, 1);
	if (!child_maps0)
		t_dontneed(&p, 1, A, 1);
	w = T_WORLD(&p, "linux-6.12");
	assert_map(w, 0, A, !parent_maps0 ? "1. 255s 256." :
			    child_maps0 ? "256s 256." : "1e 255s 256.");
	f = T_FOLIO_AT(w, 0, A + 1);
	T_W_EQ(w, 0, A, "large_mapcount", T_FOLIO(w, f).large_mapcount,
	       510 + parent_maps0 + child_maps0);
	T_W_EQ(w, 0, A, "page_mapcount(0)", khp_world_page_mapcount(w, f, 0),
	       parent_maps0 + child_maps0);
	T_SHARED3(w, 0, A, f, 1, true, expect_612, true);
	T_W_EQ(w, 0, A, "exact shared", khp_world_page_shared(w, KHP_SHARED_EXACT, 0, f, 1), true);
	khp_world_free(w);
	khp_program_free(&p);
}

static void test_likely_shared_guess_page0_unmapped(void **state)
{
	likely_guess_case(false, false, false);     /* d2 */
}

static void test_likely_shared_guess_page0_once(void **state)
{
	likely_guess_case(false, true, false);      /* d3 */
}

static void test_likely_shared_guess_page0_twice(void **state)
{
	likely_guess_case(true, true, true);        /* d4 */
}

/*
 * 7.3 MM-ID slots: new folio -> slot0 = owner, count n (1 for a PMD), bit
 * clear; fork -> slot1 = child, bit set; the child splits its PMD -> its
 * slot counts 511 PTEs; the child exits -> slot freed, the owner holds all
 * mappings again -> bit clear.
 */
static void test_mm_id_slots_two_mms(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_folio_info fi;
	unsigned id0, id1;
	uint32_t f;
	size_t n;

	w = thp_world(&p, "linux-7.3");
	assert_map(w, 0, A, "512H");
	f = T_FOLIO_AT(w, 0, A);
	id0 = khp_world_mm_id(w, 0);
	T_W_EQ(w, 0, A, "mm 0 has an mm_id", id0 != 0, true);
	fi = T_FOLIO(w, f);
	T_W_EQ(w, 0, A, "slot0 id", fi.mm_id[0], id0);
	T_W_EQ(w, 0, A, "slot0 count", fi.mm_id_mapcount[0], 1);
	T_W_EQ(w, 0, A, "slot1 id", fi.mm_id[1], 0);
	T_W_EQ(w, 0, A, "slot1 count", fi.mm_id_mapcount[1], 0);
	T_W_EQ(w, 0, A, "bit", fi.maybe_shared, false);

	n = p.nr_ops;
	t_fork(&p, 0, 1);
	T_PLAY(w, &p, n);
	assert_map(w, 1, A, "512H");
	id1 = khp_world_mm_id(w, 1);
	T_W_EQ(w, 1, A, "child mm_id differs", id1 != 0 && id1 != id0, true);
	fi = T_FOLIO(w, f);
	T_W_EQ(w, 1, A, "slot0 id", fi.mm_id[0], id0);
	T_W_EQ(w, 1, A, "slot1 id after fork", fi.mm_id[1], id1);
	T_W_EQ(w, 1, A, "slot1 count after fork", fi.mm_id_mapcount[1], 1);
	T_W_EQ(w, 1, A, "bit after fork", fi.maybe_shared, true);

	n = p.nr_ops;
	t_dontneed(&p, 1, A, 1);
	T_PLAY(w, &p, n);
	assert_map(w, 1, A, "1. 511s");
	fi = T_FOLIO(w, f);
	T_W_EQ(w, 1, A, "slot0 count", fi.mm_id_mapcount[0], 1);
	T_W_EQ(w, 1, A, "slot1 count after split", fi.mm_id_mapcount[1], 511);
	T_W_EQ(w, 1, A, "large_mapcount", fi.large_mapcount, 512);
	T_W_EQ(w, 1, A, "bit", fi.maybe_shared, true);
	T_W_EQ(w, 1, A, "7.3 shared (child)", shared_of(w, KHP_LINUX_7_3, 1, f, 1), true);

	n = p.nr_ops;
	t_exit(&p, 1);
	T_PLAY(w, &p, n);
	assert_map(w, 0, A, "512H");
	fi = T_FOLIO(w, f);
	T_W_EQ(w, 0, A, "slot1 freed", fi.mm_id[1], 0);
	T_W_EQ(w, 0, A, "slot1 count freed", fi.mm_id_mapcount[1], 0);
	T_W_EQ(w, 0, A, "large_mapcount", fi.large_mapcount, 1);
	T_W_EQ(w, 0, A, "bit cleared (slot0 count == total)", fi.maybe_shared, false);
	khp_world_free(w);
	khp_program_free(&p);
}

/*
 * 7.3: a free slot0 taken by a new mm while the folio is mapped elsewhere
 * sets the bit (folio_add_return_large_mapcount() [7.3]: slot0 free ->
 * take it, and set the bit if the folio already had other mappings).
 * Parent exits (slot0 freed, bit clear because slot1 == total), then child
 * 1 forks child 2: child 2 takes slot0.
 */
static void test_mm_id_slot0_reuse_sets_bit(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_folio_info fi;
	uint32_t f;
	size_t n;

	prog_thp(&p);
	t_fork(&p, 0, 1);
	t_exit(&p, 0);
	w = T_WORLD(&p, "linux-7.3");
	assert_map(w, 1, A, "512H");
	f = T_FOLIO_AT(w, 1, A);
	fi = T_FOLIO(w, f);
	T_W_EQ(w, 1, A, "slot0 freed", fi.mm_id[0], 0);
	T_W_EQ(w, 1, A, "slot1 = child 1", fi.mm_id[1], khp_world_mm_id(w, 1));
	T_W_EQ(w, 1, A, "bit clear", fi.maybe_shared, false);

	n = p.nr_ops;
	t_fork(&p, 1, 2);
	T_PLAY(w, &p, n);
	assert_map(w, 2, A, "512H");
	fi = T_FOLIO(w, f);
	T_W_EQ(w, 2, A, "slot0 = child 2", fi.mm_id[0], khp_world_mm_id(w, 2));
	T_W_EQ(w, 2, A, "slot0 count", fi.mm_id_mapcount[0], 1);
	T_W_EQ(w, 2, A, "bit set", fi.maybe_shared, true);
	khp_world_free(w);
	khp_program_free(&p);
}

/*
 * 7.3 sticky false positive: parent, child 1 and child 2 share a THP;
 * child 2 took no slot.  Child 2 PTE-maps it (split), child 1 exits, the
 * parent exits: child 2 alone maps 511 subpages, yet the bit stays set
 * (no slot count ever equals the total).  khugepaged in child 2: 6.1 and
 * 6.12 collapse; 7.3 refuses with EXCEED_SHARED_PTE (false positive).
 */
static size_t build_sticky(struct khp_program *p)
{
	prog_thp(p);
	t_fork(p, 0, 1);
	t_fork(p, 0, 2);
	t_dontneed(p, 2, A, 1);         /* split child 2's PMD, 511 PTEs */
	t_exit(p, 1);
	t_exit(p, 0);
	t_touch(p, 2, A, 1, true);      /* a writable, young private page at PTE 0 */
	return p->nr_ops;
}

#define STICKY_MAP "1E 511e"

static void test_mm_id_sticky_false_positive(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_folio_info fi;
	uint32_t f;
	size_t step;

	build_sticky(&p);
	w = T_WORLD(&p, "linux-7.3");
	assert_map(w, 2, A, STICKY_MAP);
	f = T_FOLIO_AT(w, 2, A + 1);
	fi = T_FOLIO(w, f);
	T_W_EQ(w, 2, A, "slot0 freed", fi.mm_id[0], 0);
	T_W_EQ(w, 2, A, "slot1 freed", fi.mm_id[1], 0);
	T_W_EQ(w, 2, A, "large_mapcount", fi.large_mapcount, 511);
	T_W_EQ(w, 2, A, "bit sticky", fi.maybe_shared, true);
	T_SHARED3(w, 2, A, f, 1, false, false, true);
	T_W_EQ(w, 2, A, "7.3+exact shared",
	       khp_world_page_shared(w, KHP_SHARED_EXACT, 2, f, 1), false);
	khp_world_free(w);

	step = t_khugepaged(&p, 2, A);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           MALL(STICKY_MAP) },
		{ RESULT(step),               K3(SCAN_SUCCEED, SCAN_SUCCEED, SCAN_EXCEED_SHARED_PTE) },
		{ REC(step, shared),          K3(0, 0, 257) },
		{ REC(step, shared_exact),    K3(NA, NA, 0) },
		{ VERDICT(step),              K3(NA, KHP_VERDICT_AGREE, KHP_VERDICT_FALSE_POSITIVE) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* ---- the shared count khugepaged records, per layout --------------------- */

/* Row 1: P PMD-maps the THP; C split its PMD and CoW'd k pages; scan in C. */
static void test_shared_parent_pmd_child_cow(void **state)
{
	struct khp_program p;
	const unsigned k = 10;
	size_t step;

	prog_thp(&p);
	t_cfg(&p)->max_ptes_shared = 511;
	t_fork(&p, 0, 1);
	t_touch(&p, 1, A, k, true);
	step = t_khugepaged(&p, 1, A);
	const struct t_row rows[] = {
		{ MAP(0, A),                  MALL("512H") },
		{ MAP_BEFORE(step),           MALL("10E 502s") },
		{ REC(step, shared),          ALL(512 - k) },
		{ RESULT(step),               ALL(SCAN_SUCCEED) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* Row 2: P maps small page 0; C maps it (fork) plus its own page 1. */
static void test_shared_small_page_fork(void **state)
{
	struct khp_program p;
	size_t step;

	t_prog(&p, N);
	t_mmap(&p, 0, A, N, T_RW);
	t_touch(&p, 0, A, 1, true);
	t_fork(&p, 0, 1);
	t_touch(&p, 1, A + 1, 1, true);
	t_madvise(&p, 1, A, N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 1, A);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           MALL("1s 1E 510.") },
		{ REC(step, shared),          ALL(1) },
		{ RESULT(step),               ALL(SCAN_SUCCEED) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* P PTE-maps the THP (PMD-split idiom), forks; C CoW's k pages; MADV_HUGEPAGE in mm. */
static size_t build_both_pte(struct khp_program *p, unsigned k, unsigned scan_mm)
{
	prog_thp(p);
	t_cfg(p)->max_ptes_shared = 511;
	t_madvise(p, 0, A, 1, KHP_ADV_NOHUGEPAGE);
	t_madvise(p, 0, A, N, KHP_ADV_NOHUGEPAGE);
	t_fork(p, 0, 1);
	t_touch(p, 1, A, k, true);
	t_madvise(p, scan_mm, A, N, KHP_ADV_HUGEPAGE);
	return t_khugepaged(p, scan_mm, A);
}

/* Row 3: both PTE-map the THP; C CoW'd k pages; P maps all 512; scan in C. */
static void test_shared_both_pte_scan_child(void **state)
{
	struct khp_program p;
	const unsigned k = 10;
	size_t step = build_both_pte(&p, k, 1);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           MALL("10E 502s") },
		{ MAP(0, A),                  MALL("512e"), .note = "after C's collapse P alone maps the THP" },
		{ REC(step, shared),          ALL(512 - k) },
		{ RESULT(step),               ALL(SCAN_SUCCEED) },
	};

	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * Row 4: the same, scanning in P: 6.1 counts the 502 subpages C still
 * maps (and then fails with PAGE_RO: every parent PTE was write-protected
 * by fork); 6.12 and 7.3 count all 512 and stop at the 512th.  6.12 and
 * 7.3 refuse with 512 "shared" PTEs while only 502 are really shared
 * (<= 511): false_positive; 6.1 passes the shared gate: agree.
 */
static void test_shared_both_pte_scan_parent(void **state)
{
	struct khp_program p;
	const unsigned k = 10;
	size_t step = build_both_pte(&p, k, 0);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           MALL("10e 502s") },
		{ REC(step, shared),          K3(512 - k, 512, 512) },
		{ RESULT(step),               K3(SCAN_PAGE_RO, SCAN_EXCEED_SHARED_PTE,
					         SCAN_EXCEED_SHARED_PTE) },
		{ REC(step, shared_exact),    ALL(512 - k) },
		{ REC(step, shared_profile),  K3(512 - k, 512, 512) },
		{ VERDICT(step),              K3(KHP_VERDICT_AGREE, KHP_VERDICT_FALSE_POSITIVE,
					         KHP_VERDICT_FALSE_POSITIVE) },
	};

	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * Row 5: P unmapped 256..511, C unmapped 0..255; scanning in C: 6.1 0,
 * 6.12 0 (false negative), 7.3 256.  C writes a none page (PTE 0 after
 * its dontneed) so the writable and referenced rules pass.
 */
static void test_shared_split_halves(void **state)
{
	struct khp_program p;
	size_t step;

	prog_thp(&p);
	t_cfg(&p)->max_ptes_shared = 511;
	t_madvise(&p, 0, A, N, KHP_ADV_NOHUGEPAGE);
	t_fork(&p, 0, 1);
	t_dontneed(&p, 0, A + 256, 256);
	t_dontneed(&p, 1, A, 256);
	t_touch(&p, 1, A, 1, true);
	t_madvise(&p, 1, A, N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 1, A);
	const struct t_row rows[] = {
		{ MAP(0, A),                  MALL("256e 256.") },
		{ MAP_BEFORE(step),           MALL("1E 255. 256e") },
		{ REC(step, shared),          K3(0, 0, 256) },
		{ RESULT(step),               ALL(SCAN_SUCCEED) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* The "+exact" oracle on the sticky layout: not shared, collapses, agree. */
static void test_mm_id_sticky_exact_profile(void **state)
{
	struct khp_program p;
	struct t_run r;
	size_t step;

	build_sticky(&p);
	step = t_khugepaged(&p, 2, A);
	T_RUN(&r, &p, "linux-7.3+exact");
	T_MAP_BEFORE(&r, step, STICKY_MAP);
	T_RESULT(&r, step, SCAN_SUCCEED);
	T_EQ(&r, step, shared, 0);
	T_VERDICT(&r, step, KHP_VERDICT_AGREE);
	t_run_free(&r);
	khp_program_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_predicates_small_folio),
		cmocka_unit_test(test_page_mapcount_pmd_mapped),
		cmocka_unit_test(test_page_mapcount_pte_mapped),
		cmocka_unit_test(test_page_mapcount_pmd_plus_pte),
		cmocka_unit_test(test_likely_shared_mapcount_le1),
		cmocka_unit_test(test_likely_shared_entire_mapcount),
		cmocka_unit_test(test_likely_shared_mapcount_gt_nr),
		cmocka_unit_test(test_likely_shared_guess_page0_unmapped),
		cmocka_unit_test(test_likely_shared_guess_page0_once),
		cmocka_unit_test(test_likely_shared_guess_page0_twice),
		cmocka_unit_test(test_mm_id_slots_two_mms),
		cmocka_unit_test(test_mm_id_slot0_reuse_sets_bit),
		cmocka_unit_test(test_mm_id_sticky_false_positive),
		cmocka_unit_test(test_shared_parent_pmd_child_cow),
		cmocka_unit_test(test_shared_small_page_fork),
		cmocka_unit_test(test_shared_both_pte_scan_child),
		cmocka_unit_test(test_shared_both_pte_scan_parent),
		cmocka_unit_test(test_shared_split_halves),
		cmocka_unit_test(test_mm_id_sticky_exact_profile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
