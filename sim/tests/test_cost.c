/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The cost of a collapse beyond memory (docs/model.md, The cost of a
 * collapse): copied_pages, ptes_cleared and tlb_flushes of each record, and
 * struct khp_totals.cost summing them with fill_pages and freed_pages.
 *
 *   - MADV_COLLAPSE over two PMD ranges, one with zero-page PTEs: both
 *     collapses add up, a zero-page PTE is filled and cleared, a none PTE
 *     only filled;
 *   - [7.3] mTHP: one attempt; a visit of several attempts, each flushing
 *     the PMD range;
 *   - attempts that fail after allocating: in isolate (flushed once, copied
 *     nothing) and, [7.3] mTHP, at the swap-in (no flush);
 *   - the khugepaged daemon: one record per visit, the totals after each
 *     pass and after the program are the sums of the records so far.
 */
#include "khp_test.h"

#define N   512u
#define A   (16 * N)

/* The sums of the records of run: what totals.cost must be. */
static struct khp_collapse_cost sum_records(const struct khp_run *run, size_t nr)
{
	struct khp_collapse_cost c = { 0 };

	for (size_t i = 0; i < nr; i++) {
		const struct khp_record *r = &run->recs[i];

		c.copied_pages += r->copied_pages;
		c.fill_pages += r->fill_pages;
		c.ptes_cleared += r->ptes_cleared;
		c.tlb_flushes += r->tlb_flushes;
		c.freed_pages += r->freed_pages;
	}
	return c;
}

static void assert_cost(const struct khp_collapse_cost *got, const struct khp_collapse_cost *want)
{
	assert_int_equal(got->copied_pages, want->copied_pages);
	assert_int_equal(got->fill_pages, want->fill_pages);
	assert_int_equal(got->ptes_cleared, want->ptes_cleared);
	assert_int_equal(got->tlb_flushes, want->tlb_flushes);
	assert_int_equal(got->freed_pages, want->freed_pages);
}

static void assert_totals_add_up(const struct t_run *r)
{
	struct khp_collapse_cost sum = sum_records(&r->run, r->run.nr_recs);

	assert_cost(&r->run.totals.cost, &sum);
}

/*
 * Two PMD ranges: range 0 written whole; range 1 with 256 pages written,
 * 128 read (zero page) and 128 none.  MADV_COLLAPSE over both.
 */
static size_t two_ranges_prog(struct khp_program *p)
{
	t_prog(p, N);
	t_mmap(p, 0, A, 2 * N, T_RW | T_NOHUGE);
	t_touch(p, 0, A, N, true);
	t_touch(p, 0, A + N, 256, true);
	t_touch(p, 0, A + N + 256, 128, false);
	t_madvise(p, 0, A, 2 * N, KHP_ADV_HUGEPAGE);
	return t_collapse(p, 0, A, 2 * N);
}

static void test_cost_madvise_two_ranges(void **state)
{
	static const char *const profiles[] = { "linux-6.1", "linux-6.12", "linux-7.3" };
	struct khp_program p;
	size_t step = two_ranges_prog(&p);

	for (size_t i = 0; i < T_ARRAY_SIZE(profiles); i++) {
		struct t_run r;

		T_RUN(&r, &p, profiles[i]);
		T_MAP_BEFORE(&r, step, "512E");
		T_ERRNO(&r, step, 0);
		T_EQ(&r, step, nr_collapsed, 2);
		T_EQ(&r, step, alloc_pages, 2 * N);
		/* 512 + 256 written pages copied; 128 zero-page + 128 none PTEs filled */
		T_EQ(&r, step, copied_pages, N + 256);
		T_EQ(&r, step, fill_pages, 256);
		/* the zero-page PTEs are cleared too, the none ones are not */
		T_EQ(&r, step, ptes_cleared, N + 256 + 128);
		/* one pmdp_collapse_flush() per PMD range */
		T_EQ(&r, step, tlb_flushes, 2);
		T_EQ(&r, step, freed_pages, N + 256);
		T_EQ(&r, step, dup_pages, 0);
		assert_totals_add_up(&r);
		T_TOTAL(&r, cost.tlb_flushes, 2);
		t_run_free(&r);
	}
	khp_program_free(&p);
}

/* The creep study's range (docs/policies.md): 4 pages written, mTHP orders 2..8. */
static size_t creep_prog(struct khp_program *p, unsigned max_ptes_none, unsigned passes)
{
	struct khp_op o = t_op(KHP_OP_KHUGEPAGED, 0, 0, 0);

	t_prog(p, N);
	t_cfg(p)->max_ptes_none = max_ptes_none;
	t_cfg(p)->mthp_orders = 0x1fc;
	t_mmap(p, 0, A, N, T_RW | T_NOHUGE);
	t_touch(p, 0, A, 4, true);
	t_madvise(p, 0, A, N, KHP_ADV_HUGEPAGE);
	o.count = passes;
	return t_push(p, &o);
}

/*
 * [7.3] max_ptes_none 0, 4 pages written, orders 2..8: only order 2 at
 * offset 0 qualifies (mthp_collapse()): one attempt, 4 pages copied and
 * cleared, nothing filled, one flush of the PMD range.
 */
static void test_cost_mthp_single_attempt(void **state)
{
	struct khp_program p;
	struct t_run r;
	size_t step;

	t_prog(&p, N);
	t_cfg(&p)->max_ptes_none = 0;
	t_cfg(&p)->mthp_orders = 0x1fc;
	t_mmap(&p, 0, A, N, T_RW | T_NOHUGE);
	t_touch(&p, 0, A, 4, true);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, A);
	T_RUN(&r, &p, "linux-7.3");
	T_RESULT(&r, step, SCAN_SUCCEED);
	T_EQ(&r, step, nr_collapsed, 1);
	T_EQ(&r, step, alloc_pages, 4);
	T_EQ(&r, step, copied_pages, 4);
	T_EQ(&r, step, fill_pages, 0);
	T_EQ(&r, step, ptes_cleared, 4);
	T_EQ(&r, step, tlb_flushes, 1);
	assert_totals_add_up(&r);
	t_run_free(&r);
	khp_program_free(&p);
}

/*
 * [7.3] mTHP, several attempts in one visit: 32 pages written, orders 2
 * and 4 enabled (thp never), pages 4..7 still shared with a child (the mTHP
 * shared limit is 0).  Order 4 at 0 fails in isolate at PTE 4 after
 * allocating, and its release puts pages 0..3 in the lru_add batch; so
 * order 2 at 0 fails too (SCAN_PAGE_COUNT: the batch's reference), order
 * 2 at 4 fails (shared); order 2 at 8 and 12 and order 4 at 16 collapse.
 * Six attempts, six flushes of the PMD range; three failed after
 * allocating (16 + 4 + 4 pages allocated and freed), copying nothing.
 */
static void test_cost_mthp_attempts(void **state)
{
	struct khp_program p;
	struct t_run r;
	size_t step;

	t_prog(&p, N);
	t_cfg(&p)->max_ptes_none = 511;
	t_cfg(&p)->thp = KHP_THP_NEVER;
	t_cfg(&p)->mthp_orders = (1u << 2) | (1u << 4);
	t_mmap(&p, 0, A, N, T_RW | T_NOHUGE);
	t_touch(&p, 0, A, 32, true);
	t_fork(&p, 0, 1);
	t_dontneed(&p, 1, A, 4);
	t_dontneed(&p, 1, A + 8, 24);
	t_touch(&p, 0, A, 4, true);
	t_touch(&p, 0, A + 8, 24, true);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, A);
	T_RUN(&r, &p, "linux-7.3");
	T_MAP_BEFORE(&r, step, "4E 4s 24E 480.");
	T_RESULT(&r, step, SCAN_SUCCEED);
	T_EQ(&r, step, nr_collapsed, 3);
	T_EQ(&r, step, alloc_pages, 16 + 4 + 4 + 4 + 4 + 16);
	T_EQ(&r, step, copied_pages, 4 + 4 + 16);
	T_EQ(&r, step, fill_pages, 0);
	T_EQ(&r, step, ptes_cleared, 24);
	T_EQ(&r, step, tlb_flushes, 6);
	/* the failed attempts' folios and the 24 old pages */
	T_EQ(&r, step, freed_pages, 24 + 24);
	assert_totals_add_up(&r);
	t_run_free(&r);
	khp_program_free(&p);
}

/*
 * The daemon: [7.3] with scaled mTHP none limits the range creeps 4 -> 16
 * -> 64 -> 256 -> 512 over four passes (a visit each, one attempt each),
 * then PMD-mapped; plain 7.3 collapses order 2, then its next visit fails
 * in isolate after allocating (the order-2 folio is already there:
 * SCAN_PTE_MAPPED_HUGEPAGE): 4 pages allocated and freed, one flush,
 * nothing copied.
 */
static void test_cost_daemon_passes(void **state)
{
	static const struct { long copied, fill, flushes, alloc; } creep[] = {
		{ 4, 12, 1, 16 }, { 16, 48, 1, 64 }, { 64, 192, 1, 256 }, { 256, 256, 1, 512 },
		{ 0, 0, 0, 0 },
	};
	struct khp_program p;
	struct t_run r;
	size_t step = creep_prog(&p, 400, 8);

	T_RUN(&r, &p, "linux-7.3+mthp_max_ptes_none=scaled");
	assert_int_equal(r.run.nr_recs, T_ARRAY_SIZE(creep));
	for (size_t i = 0; i < r.run.nr_recs; i++) {
		const struct khp_record *rec = &r.run.recs[i];
		struct khp_collapse_cost sofar = sum_records(&r.run, i + 1);

		assert_int_equal(rec->step, step);
		assert_int_equal(rec->pass, i + 1);
		assert_int_equal(rec->copied_pages, creep[i].copied);
		assert_int_equal(rec->fill_pages, creep[i].fill);
		assert_int_equal(rec->ptes_cleared, creep[i].copied);
		assert_int_equal(rec->tlb_flushes, creep[i].flushes);
		assert_int_equal(rec->alloc_pages, creep[i].alloc);
		/* the totals after pass i + 1 hold the records up to it */
		assert_int_equal(r.run.passes[i].pass, i + 1);
		assert_cost(&r.run.passes[i].totals.cost, &sofar);
	}
	assert_totals_add_up(&r);
	T_TOTAL(&r, cost.copied_pages, 4 + 16 + 64 + 256);
	T_TOTAL(&r, cost.fill_pages, 12 + 48 + 192 + 256);
	T_TOTAL(&r, cost.tlb_flushes, 4);
	t_run_free(&r);

	T_RUN(&r, &p, "linux-7.3");
	assert_int_equal(r.run.nr_recs, 2);
	assert_int_equal(r.run.recs[1].result, SCAN_FAIL);
	assert_false(r.run.recs[1].collapsed);
	assert_int_equal(r.run.recs[1].alloc_pages, 4);
	assert_int_equal(r.run.recs[1].freed_pages, 4);
	assert_int_equal(r.run.recs[1].copied_pages, 0);
	assert_int_equal(r.run.recs[1].ptes_cleared, 0);
	assert_int_equal(r.run.recs[1].tlb_flushes, 1);
	assert_totals_add_up(&r);
	T_TOTAL(&r, cost.tlb_flushes, 2);
	t_run_free(&r);
	khp_program_free(&p);
}

/*
 * [7.3] an mTHP attempt that fails at the swap-in (a swap entry in its
 * range: SCAN_EXCEED_SWAP_PTE) frees its folio before pmdp_collapse_flush():
 * allocated and freed, no flush.  Order 4 only (thp never); 257 pages
 * written (the scan needs 256 referenced to swap in), page 3 paged out:
 * the block at 0 fails at the swap-in, the 15 full ones and the one with
 * page 256 alone collapse.
 */
static void test_cost_mthp_swapin_fails(void **state)
{
	struct khp_program p;
	struct t_run r;
	size_t step;

	t_prog(&p, N);
	t_cfg(&p)->max_ptes_none = 511;
	t_cfg(&p)->thp = KHP_THP_NEVER;
	t_cfg(&p)->mthp_orders = 1u << 4;
	t_mmap(&p, 0, A, N, T_RW | T_NOHUGE);
	t_touch(&p, 0, A, 257, true);
	t_madvise(&p, 0, A + 3, 1, KHP_ADV_PAGEOUT);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, A);
	T_RUN(&r, &p, "linux-7.3");
	T_MAP_BEFORE(&r, step, "3E 1w 253E 255.");
	T_RESULT(&r, step, SCAN_SUCCEED);
	T_EQ(&r, step, nr_collapsed, 16);
	/* 17 attempts allocated, the first freed its folio again */
	T_EQ(&r, step, alloc_pages, 17 * 16);
	T_EQ(&r, step, copied_pages, 240 + 1);
	T_EQ(&r, step, fill_pages, 15);
	T_EQ(&r, step, freed_pages, 16 + 241);
	T_EQ(&r, step, ptes_cleared, 241);
	/* only the 16 attempts that got past the swap-in flushed */
	T_EQ(&r, step, tlb_flushes, 16);
	assert_totals_add_up(&r);
	t_run_free(&r);
	khp_program_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cost_madvise_two_ranges),
		cmocka_unit_test(test_cost_mthp_single_attempt),
		cmocka_unit_test(test_cost_mthp_attempts),
		cmocka_unit_test(test_cost_daemon_passes),
		cmocka_unit_test(test_cost_mthp_swapin_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
