/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The scan layouts of `khpsim bench` (bench.h): PMD ranges whose khugepaged
 * scan walks every PTE and then fails, so the world is the same after each
 * visit and the visit can be repeated.  pmd_pages = 512; mm 0 maps the
 * range at BENCH_BASE.
 *
 *   full-shared   512 written pages, forked (the child stays alive),
 *                 max_ptes_shared = 511: every PTE is shared in every
 *                 profile, the 512th one exceeds the limit
 *                 (SCAN_EXCEED_SHARED_PTE, shared 512, referenced 511).
 *   full-old      512 written pages, then aged (young bits cleared): the
 *                 loop accepts every PTE and the check after it fails
 *                 (SCAN_LACK_REFERENCED_PAGE, referenced 0).
 *   full-ro       rule writable_gate only (linux-6.1 / 6.12): 512 written
 *                 pages, forked, the child exited: exclusive but
 *                 write-protected PTEs give SCAN_PAGE_RO after the loop.
 *   mixed         PTE i is none, zero page, exclusive (CoW'd after fork),
 *                 shared with a live child, or a swap entry, by i % 5; all
 *                 limits at 511, so the loop ends with fewer than 256
 *                 referenced pages next to swap entries:
 *                 SCAN_LACK_REFERENCED_PAGE.
 *   large-shared  a THP from a fault, its PMD split by MADV_DONTNEED of
 *                 the last page (511 PTEs of one large folio), forked (the
 *                 child stays alive), max_ptes_shared = 510: the 511th PTE
 *                 exceeds the limit (SCAN_EXCEED_SHARED_PTE, shared 511,
 *                 referenced 510).
 *   large-old     the same PTE-mapped THP, not forked, aged:
 *                 SCAN_LACK_REFERENCED_PAGE after the loop.
 *
 * Each layout comes with a verify function: the record must have the
 * result and the counters above (so the walk really visited every PTE).
 */
#include <stdio.h>
#include <string.h>

#include "cli/bench.h"

struct khp_op bench_op(enum khp_op_type type, unsigned mm, uint64_t addr, uint64_t pages,
		       uint8_t flags)
{
	struct khp_op op;

	memset(&op, 0, sizeof(op));
	op.type = (uint8_t)type;
	op.mm = mm;
	op.addr = addr;
	op.pages = pages;
	op.flags = flags;
	return op;
}

struct khp_op bench_fork_op(unsigned mm, unsigned child)
{
	struct khp_op op = bench_op(KHP_OP_FORK, mm, 0, 0, 0);

	op.child = child;
	return op;
}

static struct khp_op mk_madvise(unsigned mm, uint64_t addr, uint64_t pages,
				enum khp_advice advice)
{
	struct khp_op op = bench_op(KHP_OP_MADVISE, mm, addr, pages, 0);

	op.advice = (uint8_t)advice;
	return op;
}

int bench_apply(struct khp_world *w, struct khp_op op)
{
	int err = khp_world_apply(w, &op, NULL);

	if (err)
		fprintf(stderr, "bench: %s (mm %u, addr %llu, pages %llu) failed: %s: %s\n",
			khp_op_name((enum khp_op_type)op.type), (unsigned)op.mm,
			(unsigned long long)op.addr, (unsigned long long)op.pages,
			khp_errno_name(-err), khp_world_error(w));
	return err;
}

/*
 * mm 0 maps BENCH_PMD_PAGES pages and writes all of them; only then is the
 * VMA marked VM_HUGEPAGE, so that the faults install small pages (thp is
 * "madvise") and the range becomes a khugepaged candidate.
 */
static int build_written(struct khp_world *w)
{
	int err;

	err = bench_apply(w, bench_op(KHP_OP_MMAP, 0, BENCH_BASE, BENCH_PMD_PAGES, KHP_OPF_WRITE));
	if (!err)
		err = bench_apply(w, bench_op(KHP_OP_TOUCH, 0, BENCH_BASE, BENCH_PMD_PAGES,
					      KHP_OPF_WRITE));
	if (!err)
		err = bench_apply(w, mk_madvise(0, BENCH_BASE, BENCH_PMD_PAGES, KHP_ADV_HUGEPAGE));
	return err;
}

/*
 * A THP from a write fault in a VM_HUGEPAGE mapping, its PMD split by
 * MADV_DONTNEED of the last page: 511 PTEs map pages 0..510 of one folio.
 */
static int build_large(struct khp_world *w)
{
	int err;

	err = bench_apply(w, bench_op(KHP_OP_MMAP, 0, BENCH_BASE, BENCH_PMD_PAGES,
				      KHP_OPF_WRITE | KHP_OPF_HUGEPAGE));
	if (!err)
		err = bench_apply(w, bench_op(KHP_OP_TOUCH, 0, BENCH_BASE, 1, KHP_OPF_WRITE));
	if (!err)
		err = bench_apply(w, bench_op(KHP_OP_DONTNEED, 0, BENCH_BASE + BENCH_PMD_PAGES - 1,
					      1, 0));
	return err;
}

static void config_default(struct khp_config *c)
{
}

static void config_shared_limit(struct khp_config *c)
{
	c->max_ptes_shared = BENCH_PMD_PAGES - 1;
}

static void config_large_shared(struct khp_config *c)
{
	c->max_ptes_shared = BENCH_PMD_PAGES - 2;
}

static void config_mixed(struct khp_config *c)
{
	c->max_ptes_none = BENCH_PMD_PAGES - 1;
	c->max_ptes_swap = BENCH_PMD_PAGES - 1;
	c->max_ptes_shared = BENCH_PMD_PAGES - 1;
	c->swap = true;
	c->use_zero_page = true;
}

static int build_full_shared(struct khp_world *w)
{
	int err = build_written(w);

	return err ? err : bench_apply(w, bench_fork_op(0, 1));
}

static int build_full_old(struct khp_world *w)
{
	int err = build_written(w);

	return err ? err : bench_apply(w, bench_op(KHP_OP_AGE, 0, 0, 0, 0));
}

static int build_full_ro(struct khp_world *w)
{
	int err = build_written(w);

	if (!err)
		err = bench_apply(w, bench_fork_op(0, 1));
	return err ? err : bench_apply(w, bench_op(KHP_OP_EXIT, 1, 0, 0, 0));
}

static int build_large_shared(struct khp_world *w)
{
	int err = build_large(w);

	return err ? err : bench_apply(w, bench_fork_op(0, 1));
}

static int build_large_old(struct khp_world *w)
{
	int err = build_large(w);

	return err ? err : bench_apply(w, bench_op(KHP_OP_AGE, 0, 0, 0, 0));
}

/* The mixed layout: what PTE i of the range is. */
enum mixed_kind { MIX_NONE, MIX_ZERO, MIX_EXCL, MIX_SHARED, MIX_SWAP, MIX_NR };

static enum mixed_kind mixed_kind(unsigned i)
{
	return (enum mixed_kind)(i % MIX_NR);
}

/* The PMD map character each kind must show in mm 0 (khp_world_pmd_map). */
static const char mixed_map_char[MIX_NR] = { '.', '0', 'E', 's', 'w' };

static int build_mixed(struct khp_world *w)
{
	uint64_t a;
	unsigned i;
	int err;

	err = bench_apply(w, bench_op(KHP_OP_MMAP, 0, BENCH_BASE, BENCH_PMD_PAGES, KHP_OPF_WRITE));
	for (i = 0; i < BENCH_PMD_PAGES && !err; i++) {
		a = BENCH_BASE + i;
		switch (mixed_kind(i)) {
		case MIX_NONE:
			break;
		case MIX_ZERO:
			err = bench_apply(w, bench_op(KHP_OP_TOUCH, 0, a, 1, 0));
			break;
		default:
			err = bench_apply(w, bench_op(KHP_OP_TOUCH, 0, a, 1, KHP_OPF_WRITE));
			break;
		}
	}
	if (!err)
		err = bench_apply(w, mk_madvise(0, BENCH_BASE, BENCH_PMD_PAGES, KHP_ADV_HUGEPAGE));
	if (!err)
		err = bench_apply(w, bench_fork_op(0, 1));
	/* Exclusive and swap pages: CoW in the parent; then swap out the latter. */
	for (i = 0; i < BENCH_PMD_PAGES && !err; i++) {
		a = BENCH_BASE + i;
		if (mixed_kind(i) == MIX_EXCL || mixed_kind(i) == MIX_SWAP)
			err = bench_apply(w, bench_op(KHP_OP_TOUCH, 0, a, 1, KHP_OPF_WRITE));
		if (!err && mixed_kind(i) == MIX_SWAP)
			err = bench_apply(w, mk_madvise(0, a, 1, KHP_ADV_PAGEOUT));
	}
	return err;
}

/* ---- checking that a scan walked the whole range ---------------------- */

static int expect_result(const struct khp_record *r, enum scan_result want,
			 char *msg, size_t n)
{
	if (r->result != want) {
		snprintf(msg, n, "result %s, expected %s", khp_result_name(r->result),
			 khp_result_name(want));
		return 1;
	}
	if (r->collapsed || r->nr_collapsed) {
		snprintf(msg, n, "the step collapsed (the world changed)");
		return 1;
	}
	return 0;
}

static int expect_counts(const struct khp_record *r, unsigned none_or_zero,
			 unsigned unmapped, unsigned referenced, unsigned shared,
			 char *msg, size_t n)
{
	if (r->none_or_zero == none_or_zero && r->unmapped == unmapped &&
	    r->referenced == referenced && r->shared == shared)
		return 0;
	snprintf(msg, n, "counters none_or_zero %u unmapped %u referenced %u shared %u, "
		 "expected %u %u %u %u", r->none_or_zero, r->unmapped, r->referenced,
		 r->shared, none_or_zero, unmapped, referenced, shared);
	return 1;
}

/*
 * The 512th PTE is the one that exceeds max_ptes_shared = 511; the 511
 * before it passed every check and were counted as referenced.
 */
static int verify_full_shared(const struct khp_world *w, const struct khp_record *r,
			      char *msg, size_t n)
{
	if (expect_result(r, SCAN_EXCEED_SHARED_PTE, msg, n))
		return 1;
	return expect_counts(r, 0, 0, BENCH_PMD_PAGES - 1, BENCH_PMD_PAGES, msg, n);
}

/* Only a result computed after the loop can come with these counters. */
static int verify_full_old(const struct khp_world *w, const struct khp_record *r,
			   char *msg, size_t n)
{
	if (expect_result(r, SCAN_LACK_REFERENCED_PAGE, msg, n))
		return 1;
	return expect_counts(r, 0, 0, 0, 0, msg, n);
}

static int verify_full_ro(const struct khp_world *w, const struct khp_record *r,
			  char *msg, size_t n)
{
	if (expect_result(r, SCAN_PAGE_RO, msg, n))
		return 1;
	if (r->writable) {
		snprintf(msg, n, "writable is set");
		return 1;
	}
	return expect_counts(r, 0, 0, BENCH_PMD_PAGES, 0, msg, n);
}

static int verify_mixed(const struct khp_world *w, const struct khp_record *r,
			char *msg, size_t n)
{
	unsigned count[MIX_NR] = { 0 };
	char map[KHP_MAP_MAX];
	unsigned i;
	int err;

	err = khp_world_pmd_map(w, 0, BENCH_BASE, map, sizeof(map));
	if (err) {
		snprintf(msg, n, "khp_world_pmd_map: %s", khp_errno_name(-err));
		return 1;
	}
	for (i = 0; i < BENCH_PMD_PAGES; i++) {
		count[mixed_kind(i)]++;
		if (map[i] != mixed_map_char[mixed_kind(i)]) {
			snprintf(msg, n, "PTE %u is '%c', expected '%c' (map %.40s...)",
				 i, map[i], mixed_map_char[mixed_kind(i)], map);
			return 1;
		}
	}
	if (expect_result(r, SCAN_LACK_REFERENCED_PAGE, msg, n))
		return 1;
	/* Every present page is young in the parent: all PTEs are counted. */
	return expect_counts(r, count[MIX_NONE] + count[MIX_ZERO], count[MIX_SWAP],
			     count[MIX_EXCL] + count[MIX_SHARED], count[MIX_SHARED],
			     msg, n);
}

/* The PTE-mapped THP: 511 PTEs of one large folio, then a none PTE. */
static int verify_large_map(const struct khp_world *w, char want, char *msg, size_t n)
{
	struct khp_pte_info first, pte;
	char map[KHP_MAP_MAX];

	if (khp_world_pmd_map(w, 0, BENCH_BASE, map, sizeof(map)) ||
	    khp_world_pte(w, 0, BENCH_BASE, &first)) {
		snprintf(msg, n, "cannot read the range");
		return 1;
	}
	for (unsigned i = 0; i < BENCH_PMD_PAGES; i++) {
		char c = i == BENCH_PMD_PAGES - 1 ? '.' : want;

		khp_world_pte(w, 0, BENCH_BASE + i, &pte);
		if (map[i] != c || (c != '.' && (pte.folio != first.folio || !pte.order))) {
			snprintf(msg, n, "PTE %u is '%c' (folio %u order %u), expected '%c' of "
				 "folio %u", i, map[i], pte.folio, pte.order, c, first.folio);
			return 1;
		}
	}
	return 0;
}

static int verify_large_shared(const struct khp_world *w, const struct khp_record *r,
			       char *msg, size_t n)
{
	if (verify_large_map(w, 's', msg, n) || expect_result(r, SCAN_EXCEED_SHARED_PTE, msg, n))
		return 1;
	return expect_counts(r, 0, 0, BENCH_PMD_PAGES - 2, BENCH_PMD_PAGES - 1, msg, n);
}

static int verify_large_old(const struct khp_world *w, const struct khp_record *r,
			    char *msg, size_t n)
{
	if (verify_large_map(w, 'E', msg, n) ||
	    expect_result(r, SCAN_LACK_REFERENCED_PAGE, msg, n))
		return 1;
	return expect_counts(r, 1, 0, 0, 0, msg, n);
}

const struct scan_layout bench_layouts[] = {
	{ "full-shared",  false, config_shared_limit, build_full_shared,  verify_full_shared },
	{ "full-old",     false, config_default,      build_full_old,     verify_full_old },
	{ "full-ro",      true,  config_default,      build_full_ro,      verify_full_ro },
	{ "mixed",        false, config_mixed,        build_mixed,        verify_mixed },
	{ "large-shared", false, config_large_shared, build_large_shared, verify_large_shared },
	{ "large-old",    false, config_default,      build_large_old,    verify_large_old },
};

const unsigned bench_nr_layouts = sizeof(bench_layouts) / sizeof(bench_layouts[0]);
