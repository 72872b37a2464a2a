/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The layouts run on the real kernels (a: where the small pages come
 * from, b: max_ptes_none boundaries, c: fork and CoW, d1-d6: a PTE-mapped
 * THP shared with a child), each with the khugepaged decision observed on
 * the Debian kernels (6.1.0-56 -> linux-6.1, 6.12.107 -> linux-6.12,
 * 7.3.4 -> linux-7.3) and whether the range was PMD-mapped afterwards
 * (docs/oracle.md describes the guest, docs/fidelity.md the results).
 * Where the guest printed the mm_khugepaged_scan_pmd line (d2), its
 * counters are checked too.
 *
 * Each layout: THP enabled=madvise, a fresh 2 MiB RW range, the knobs it
 * names, setup, MADV_HUGEPAGE last (registers the mm), then one khugepaged
 * visit in the parent (mm 0), whose PMD map before the visit is drawn.
 * The simulator must reproduce every cell.
 */
#include "khp_test.h"

#define N   512u
#define A   (8 * N)

struct cell {
	enum scan_result result;
	bool pmd;       /* PMD-mapped afterwards */
};

static void o_prog(struct khp_program *p, unsigned none, unsigned shared)
{
	t_prog(p, N);
	t_cfg(p)->thp = KHP_THP_MADVISE;
	t_cfg(p)->use_zero_page = true;
	t_cfg(p)->max_ptes_none = none;
	t_cfg(p)->max_ptes_shared = shared;
	t_cfg(p)->max_ptes_swap = 64;
	t_mmap(p, 0, A, N, T_RW);
}

/*
 * MADV_HUGEPAGE in the parent, khugepaged; the parent's range before the
 * visit is spec; check the three kernels' cells.  extra: PMD-mapped THPs
 * of mm 0 outside the layout's range.
 */
static void o_check_n(struct khp_program *p, const char *spec, const struct cell c[3],
		      unsigned extra)
{
	size_t step;

	t_madvise(p, 0, A, N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(p, 0, A);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),       MALL(spec) },
		{ RESULT(step),           K3(c[0].result, c[1].result, c[2].result) },
		{ REC(step, collapsed),   K3(c[0].result == SCAN_SUCCEED, c[1].result == SCAN_SUCCEED,
					     c[2].result == SCAN_SUCCEED) },
		{ PMD_THPS(0),            K3(c[0].pmd + extra, c[1].pmd + extra, c[2].pmd + extra) },
	};

	T_KERNELS(p, rows);
	khp_program_free(p);
}

static void o_check(struct khp_program *p, const char *spec, const struct cell cells[3])
{
	o_check_n(p, spec, cells, 0);
}

#define CELLS(a, b, c) ((const struct cell[3]){ a, b, c })
#define OK     { SCAN_SUCCEED, true }
#define MAPPED { SCAN_PMD_MAPPED, true }
#define NONE   { SCAN_EXCEED_NONE_PTE, false }
#define SHARED { SCAN_EXCEED_SHARED_PTE, false }
#define RO     { SCAN_PAGE_RO, false }

/* ---- a: where the small pages come from ----------------------------------- */

static void test_oracle_a_write512_then_madvise(void **state)
{
	struct khp_program p;

	o_prog(&p, 511, 256);
	t_touch(&p, 0, A, N, true);
	o_check(&p, "512E", CELLS(OK, OK, OK));
}

/* MADV_HUGEPAGE before the faults: THP from the fault path. */
static void test_oracle_a_madvise_then_write512(void **state)
{
	struct khp_program p;
	size_t step;

	o_prog(&p, 511, 256);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	t_touch(&p, 0, A, N, true);
	step = t_khugepaged(&p, 0, A);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),       MALL("512H") },
		{ RESULT(step),           ALL(SCAN_PMD_MAPPED) },
		{ PMD_THPS(0),            ALL(1) },
	};
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/*
 * a_never_at_fault: small pages faulted while the range could not get a
 * THP, in an mm already registered.  Knobs cannot change inside a
 * program, so the "enabled=never at fault" part is modelled by
 * VM_NOHUGEPAGE at fault time, and registration by an earlier THP fault
 * in another VMA (the oracle's earlier layouts).
 */
static void test_oracle_a_never_at_fault(void **state)
{
	struct khp_program p;

	o_prog(&p, 511, 256);
	t_mmap(&p, 0, A + 4 * N, N, T_RW | T_HUGE);
	t_touch(&p, 0, A + 4 * N, 1, true);
	t_madvise(&p, 0, A, N, KHP_ADV_NOHUGEPAGE);
	t_touch(&p, 0, A, N, true);
	o_check_n(&p, "512E", CELLS(OK, OK, OK), 1);
}

/* ---- b: max_ptes_none boundaries ------------------------------------------- */

static void test_oracle_b_write1_none511(void **state)
{
	struct khp_program p;

	o_prog(&p, 511, 256);
	t_touch(&p, 0, A, 1, true);
	o_check(&p, "1E 511.", CELLS(OK, OK, OK));
}

static void test_oracle_b_write1_none0(void **state)
{
	struct khp_program p;

	o_prog(&p, 0, 256);
	t_touch(&p, 0, A, 1, true);
	o_check(&p, "1E 511.", CELLS(NONE, NONE, NONE));
}

static void test_oracle_b_write256_none256(void **state)
{
	struct khp_program p;

	o_prog(&p, 256, 256);
	t_touch(&p, 0, A, 256, true);
	o_check(&p, "256E 256.", CELLS(OK, OK, OK));
}

static void test_oracle_b_write256_none255(void **state)
{
	struct khp_program p;

	o_prog(&p, 255, 256);
	t_touch(&p, 0, A, 256, true);
	o_check(&p, "256E 256.", CELLS(NONE, NONE, NONE));
}

/* 511 zero-page PTEs count as none. */
static void test_oracle_b_read512_write1_none0(void **state)
{
	struct khp_program p;

	o_prog(&p, 0, 256);
	t_touch(&p, 0, A, N, false);
	t_touch(&p, 0, A, 1, true);
	o_check(&p, "1E 511*0", CELLS(NONE, NONE, NONE));
}

/* ---- c: fork, the parent CoWs its first n pages -------------------------------- */

static void c_layout(unsigned n, unsigned shared, const struct cell cells[3])
{
	struct khp_program p;
	char spec[T_SPEC_MAX];

	o_prog(&p, 511, shared);
	t_touch(&p, 0, A, N, true);
	t_fork(&p, 0, 1);
	if (n)
		t_touch(&p, 0, A, n, true);
	o_check(&p, T_MAP_RUNS(spec, n, 'E', N - n, 's'), cells);
}

static void test_oracle_c_fork_n8_shared0(void **state)
{
	c_layout(8, 0, CELLS(SHARED, SHARED, SHARED));
}

static void test_oracle_c_fork_n512_shared0(void **state)
{
	c_layout(512, 0, CELLS(OK, OK, OK));
}

static void test_oracle_c_fork_n256_shared256(void **state)
{
	c_layout(256, 256, CELLS(OK, OK, OK));
}

static void test_oracle_c_fork_n255_shared256(void **state)
{
	c_layout(255, 256, CELLS(SHARED, SHARED, SHARED));
}

static void test_oracle_c_fork_n0_shared511(void **state)
{
	c_layout(0, 511, CELLS(SHARED, SHARED, SHARED));
}

/* The child CoWs everything: the parent's pages are exclusive but read-only. */
static void test_oracle_c_fork_childwrites_parent_ro_shared0(void **state)
{
	struct khp_program p;

	o_prog(&p, 511, 0);
	t_touch(&p, 0, A, N, true);
	t_fork(&p, 0, 1);
	t_touch(&p, 1, A, N, true);
	o_check(&p, "512e", CELLS(RO, RO, OK));
}

/* ---- d: a PTE-mapped THP shared with a child --------------------------------------- */

/*
 * Common part: MADV_HUGEPAGE, write 512 -> PMD THP; MADV_NOHUGEPAGE; fork
 * (unless no_child).  Then the layout's DONTNEEDs and writes.
 */
static void d_prog(struct khp_program *p, unsigned shared, bool child)
{
	o_prog(p, 511, shared);
	t_madvise(p, 0, A, N, KHP_ADV_HUGEPAGE);
	t_touch(p, 0, A, N, true);
	t_madvise(p, 0, A, N, KHP_ADV_NOHUGEPAGE);
	if (child)
		t_fork(p, 0, 1);
}

/* d1: parent PTEs 1..255 + new page 300; the child keeps its PMD. */
static void test_oracle_d1_child_pmd_p0unmapped(void **state)
{
	struct khp_program p;

	d_prog(&p, 0, true);
	t_dontneed(&p, 0, A, 1);
	t_dontneed(&p, 0, A + 256, 256);
	t_touch(&p, 0, A + 300, 1, true);
	o_check(&p, "1. 255s 44. 1E 211.", CELLS(SHARED, SHARED, SHARED));
}

/* d2: both PTE-map 1..255, subpage 0 mapped by nobody; + parent page 300. */
#define D2_MAP "1. 255s 44. 1E 211."

static void d2_prog(struct khp_program *p, unsigned shared)
{
	d_prog(p, shared, true);
	t_dontneed(p, 0, A, 1);
	t_dontneed(p, 0, A + 256, 256);
	t_dontneed(p, 1, A, 1);
	t_dontneed(p, 1, A + 256, 256);
	t_touch(p, 0, A + 300, 1, true);
}

static void test_oracle_d2_both_pte_p0unmapped(void **state)
{
	struct khp_program p;

	d2_prog(&p, 0);
	o_check(&p, D2_MAP, CELLS(SHARED, OK, SHARED));
}

/*
 * d2 again, with the scan_pmd tracepoint counters the oracle printed:
 *   6.1:  writable=0, referenced=0, none_or_zero=1, exceed_shared_pte
 *   6.12: writable=1, referenced=256, none_or_zero=256, succeeded
 *   7.3:  referenced=0, none_or_zero=1, exceed_shared_pte
 * and the 6.12 collapse is the false negative: 255 pages duplicated.
 */
static void test_oracle_d2_trace_counters(void **state)
{
	struct khp_program p;
	size_t step;

	d2_prog(&p, 0);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, A);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),          MALL(D2_MAP) },
		{ RESULT(step),              K3(SCAN_EXCEED_SHARED_PTE, SCAN_SUCCEED,
					        SCAN_EXCEED_SHARED_PTE) },
		{ REC(step, writable),       K3(0, 1, NA) },
		{ REC(step, referenced),     K3(0, 256, 0) },
		{ REC(step, none_or_zero),   K3(1, 256, 1) },
		{ REC(step, shared),         K3(1, 0, 1) },
		{ REC(step, unmapped),       K3(0, 0, NA) },
		{ REC(step, shared_exact),   K3(NA, 255, NA) },
		{ VERDICT(step),             K3(KHP_VERDICT_AGREE, KHP_VERDICT_FALSE_NEGATIVE,
					        KHP_VERDICT_AGREE) },
		{ REC(step, dup_pages),      K3(NA, 255, NA) },
		{ REC(step, fn_waste_pages), K3(NA, 255, NA) },
		{ REC(step, fill_pages),     K3(NA, 256, NA) },
	};

	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

/* d3: child PTEs 0..255, parent 1..255 + page 300: subpage 0 mapped once. */
static void test_oracle_d3_child0_255_parent1_255(void **state)
{
	struct khp_program p;

	d_prog(&p, 0, true);
	t_dontneed(&p, 0, A, 1);
	t_dontneed(&p, 0, A + 256, 256);
	t_dontneed(&p, 1, A + 256, 256);
	t_touch(&p, 0, A + 300, 1, true);
	o_check(&p, "1. 255s 44. 1E 211.", CELLS(SHARED, OK, SHARED));
}

/* d4 (control): both map 0..255: subpage 0 mapped twice. */
static void test_oracle_d4_both_pte_p0shared(void **state)
{
	struct khp_program p;

	d_prog(&p, 0, true);
	t_dontneed(&p, 0, A + 256, 256);
	t_dontneed(&p, 1, A + 256, 256);
	t_touch(&p, 0, A + 300, 1, true);
	o_check(&p, "256s 44. 1E 211.", CELLS(SHARED, SHARED, SHARED));
}

/* d5: both 1..255; the parent CoW-copies page 100 (writable). */
static void test_oracle_d5_both_pte_p0unmapped_cow100(void **state)
{
	struct khp_program p;

	d_prog(&p, 0, true);
	t_dontneed(&p, 0, A, 1);
	t_dontneed(&p, 0, A + 256, 256);
	t_dontneed(&p, 1, A, 1);
	t_dontneed(&p, 1, A + 256, 256);
	t_touch(&p, 0, A + 100, 1, true);
	o_check(&p, "1. 99s 1E 155s 256.", CELLS(SHARED, OK, SHARED));
}

/* d6: no child, parent PTEs 1..255. */
static void test_oracle_d6_no_child_ptemapped(void **state)
{
	struct khp_program p;

	d_prog(&p, 0, false);
	t_dontneed(&p, 0, A, 1);
	t_dontneed(&p, 0, A + 256, 256);
	o_check(&p, "1. 255E 256.", CELLS(OK, OK, OK));
}

/* d2 with max_ptes_shared = 256: every kernel collapses. */
static void test_oracle_d2_shared256(void **state)
{
	struct khp_program p;

	d2_prog(&p, 256);
	o_check(&p, D2_MAP, CELLS(OK, OK, OK));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oracle_a_write512_then_madvise),
		cmocka_unit_test(test_oracle_a_madvise_then_write512),
		cmocka_unit_test(test_oracle_a_never_at_fault),
		cmocka_unit_test(test_oracle_b_write1_none511),
		cmocka_unit_test(test_oracle_b_write1_none0),
		cmocka_unit_test(test_oracle_b_write256_none256),
		cmocka_unit_test(test_oracle_b_write256_none255),
		cmocka_unit_test(test_oracle_b_read512_write1_none0),
		cmocka_unit_test(test_oracle_c_fork_n8_shared0),
		cmocka_unit_test(test_oracle_c_fork_n512_shared0),
		cmocka_unit_test(test_oracle_c_fork_n256_shared256),
		cmocka_unit_test(test_oracle_c_fork_n255_shared256),
		cmocka_unit_test(test_oracle_c_fork_n0_shared511),
		cmocka_unit_test(test_oracle_c_fork_childwrites_parent_ro_shared0),
		cmocka_unit_test(test_oracle_d1_child_pmd_p0unmapped),
		cmocka_unit_test(test_oracle_d2_both_pte_p0unmapped),
		cmocka_unit_test(test_oracle_d2_trace_counters),
		cmocka_unit_test(test_oracle_d3_child0_255_parent1_255),
		cmocka_unit_test(test_oracle_d4_both_pte_p0shared),
		cmocka_unit_test(test_oracle_d5_both_pte_p0unmapped_cow100),
		cmocka_unit_test(test_oracle_d6_no_child_ptemapped),
		cmocka_unit_test(test_oracle_d2_shared256),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
