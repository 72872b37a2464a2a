/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `khpsim bench`: throughput of the simulator core, per profile.
 *
 * Three kinds of measurement, each timed for --seconds with
 * clock_gettime(CLOCK_MONOTONIC) (wall time appears only in this output,
 * never in a record or a result):
 *
 *  scan/<layout>  one khugepaged visit (khp_world_apply(KHP_OP_KHUGEPAGED))
 *                 of a PMD range whose scan walks every PTE and then fails,
 *                 so the world is the same after each visit and the visit
 *                 can be repeated.  The layouts (pmd_pages = 512):
 *     full-shared  512 written pages, forked (the child stays alive),
 *                  max_ptes_shared = 511: every PTE is shared in every
 *                  profile, the 512th one exceeds the limit
 *                  (SCAN_EXCEED_SHARED_PTE with shared == 512 and
 *                  referenced == 511).
 *     full-old     512 written pages, then aged (young bits cleared):
 *                  the loop accepts every PTE and the check after it
 *                  fails (SCAN_LACK_REFERENCED_PAGE, referenced == 0).
 *     full-ro      linux-6.1 / 6.12 only: 512 written pages, forked, the
 *                  child exited: exclusive but write-protected PTEs give
 *                  SCAN_PAGE_RO after the loop.  (linux-7.3 has no
 *                  writable gate; it would collapse the range.)
 *     mixed        PTE i is none, zero page, exclusive (CoW'd after fork),
 *                  shared with a live child, or a swap entry, by i % 5;
 *                  all limits at 511, so the loop ends with fewer than 256
 *                  referenced pages next to swap entries:
 *                  SCAN_LACK_REFERENCED_PAGE.
 *  fork-loop      khp_world_apply() calls per second of a fork-heavy
 *                 program: a 2048-page written mapping in mm 0, then per
 *                 iteration fork 0->1, the child writes 64 pages (CoW), the
 *                 parent writes 64 other pages (CoW), the child exits.
 *
 * Before timing, each scan layout is checked once: the step must end with
 * the expected result, collapse nothing, and its counters must account for
 * every PTE of the range (so the walk really visited all of them).  Every
 * timed step is compared with that result too.  A failed check prints why
 * and makes the command exit 1.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "khpsim/khpsim.h"
#include "cli/cli.h"

#define BENCH_PMD_PAGES  512u
#define BENCH_BASE       1024u   /* first page of the benchmark range */
#define BENCH_BATCH      64u     /* steps between two clock reads */
#define FORK_PAGES       2048u
#define FORK_TOUCH       64u

/* What one scan layout is, and what its scan must report. */
struct scan_layout {
	const char *name;
	bool needs_writable_gate; /* only profiles with rule writable_gate */
	void (*config)(struct khp_config *c);
	int (*build)(struct khp_world *w);
	/* 0, or a nonzero value after writing the reason into msg. */
	int (*verify)(const struct khp_world *w, const struct khp_record *r,
		      char *msg, size_t n);
};

#define BENCH_MAX_PROFILES (2 * KHP_NR_KERNELS)   /* each kernel, and +exact */

struct bench_opts {
	double seconds;
	struct khp_profile profiles[BENCH_MAX_PROFILES];
	unsigned nr_profiles;
};

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- building worlds ------------------------------------------------- */

static struct khp_op mk_op(enum khp_op_type type, unsigned mm, uint64_t addr,
			   uint64_t pages, uint8_t flags)
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

static struct khp_op mk_fork(unsigned mm, unsigned child)
{
	struct khp_op op = mk_op(KHP_OP_FORK, mm, 0, 0, 0);

	op.child = child;
	return op;
}

static struct khp_op mk_madvise(unsigned mm, uint64_t addr, uint64_t pages,
				enum khp_advice advice)
{
	struct khp_op op = mk_op(KHP_OP_MADVISE, mm, addr, pages, 0);

	op.advice = (uint8_t)advice;
	return op;
}

static int apply(struct khp_world *w, struct khp_op op)
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

	err = apply(w, mk_op(KHP_OP_MMAP, 0, BENCH_BASE, BENCH_PMD_PAGES, KHP_OPF_WRITE));
	if (!err)
		err = apply(w, mk_op(KHP_OP_TOUCH, 0, BENCH_BASE, BENCH_PMD_PAGES, KHP_OPF_WRITE));
	if (!err)
		err = apply(w, mk_madvise(0, BENCH_BASE, BENCH_PMD_PAGES, KHP_ADV_HUGEPAGE));
	return err;
}

static void config_default(struct khp_config *c)
{
}

static void config_shared_limit(struct khp_config *c)
{
	c->max_ptes_shared = BENCH_PMD_PAGES - 1;
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

	return err ? err : apply(w, mk_fork(0, 1));
}

static int build_full_old(struct khp_world *w)
{
	int err = build_written(w);

	return err ? err : apply(w, mk_op(KHP_OP_AGE, 0, 0, 0, 0));
}

static int build_full_ro(struct khp_world *w)
{
	int err = build_written(w);

	if (!err)
		err = apply(w, mk_fork(0, 1));
	return err ? err : apply(w, mk_op(KHP_OP_EXIT, 1, 0, 0, 0));
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

	err = apply(w, mk_op(KHP_OP_MMAP, 0, BENCH_BASE, BENCH_PMD_PAGES, KHP_OPF_WRITE));
	for (i = 0; i < BENCH_PMD_PAGES && !err; i++) {
		a = BENCH_BASE + i;
		switch (mixed_kind(i)) {
		case MIX_NONE:
			break;
		case MIX_ZERO:
			err = apply(w, mk_op(KHP_OP_TOUCH, 0, a, 1, 0));
			break;
		default:
			err = apply(w, mk_op(KHP_OP_TOUCH, 0, a, 1, KHP_OPF_WRITE));
			break;
		}
	}
	if (!err)
		err = apply(w, mk_madvise(0, BENCH_BASE, BENCH_PMD_PAGES, KHP_ADV_HUGEPAGE));
	if (!err)
		err = apply(w, mk_fork(0, 1));
	/* Exclusive and swap pages: CoW in the parent; then swap out the latter. */
	for (i = 0; i < BENCH_PMD_PAGES && !err; i++) {
		a = BENCH_BASE + i;
		if (mixed_kind(i) == MIX_EXCL || mixed_kind(i) == MIX_SWAP)
			err = apply(w, mk_op(KHP_OP_TOUCH, 0, a, 1, KHP_OPF_WRITE));
		if (!err && mixed_kind(i) == MIX_SWAP)
			err = apply(w, mk_madvise(0, a, 1, KHP_ADV_PAGEOUT));
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

static const struct scan_layout scan_layouts[] = {
	{ "full-shared", false, config_shared_limit, build_full_shared, verify_full_shared },
	{ "full-old",    false, config_default,      build_full_old,    verify_full_old },
	{ "full-ro",     true,  config_default,      build_full_ro,     verify_full_ro },
	{ "mixed",       false, config_mixed,        build_mixed,       verify_mixed },
};

/* ---- measurements ---------------------------------------------------- */

static void print_line(struct khp_profile p, const char *what, const char *result,
		       unsigned long steps, double elapsed, const char *unit)
{
	double ns = elapsed * 1e9 / (double)steps;

	printf("%-17s %-18s %-26s %10.1f ns/%-4s %12.0f %s/s  (%lu in %.2f s)\n",
	       khp_profile_name(&p), what, result, ns, unit, (double)steps / elapsed,
	       unit, steps, elapsed);
}

static int new_world(struct khp_profile p, void (*config)(struct khp_config *c),
		     struct khp_world **out)
{
	struct khp_config c;
	char msg[160] = "";
	int err;

	khp_config_default(&c, BENCH_PMD_PAGES);
	config(&c);
	err = khp_config_check(&c, msg, sizeof(msg));
	if (!err)
		err = khp_world_new(&c, p, out);
	if (err) {
		fprintf(stderr, "bench: cannot create a world: %s %s\n", khp_errno_name(-err), msg);
		return err;
	}
	/* Measure the model, not the invariant checker (KHP_CHECK builds). */
	khp_world_set_check(*out, false);
	return 0;
}

static int bench_scan(const struct bench_opts *o, struct khp_profile p,
		      const struct scan_layout *l)
{
	struct khp_op op = mk_op(KHP_OP_KHUGEPAGED, 0, BENCH_BASE, 0, 0);
	struct khp_record rec, first;
	unsigned long steps = 0;
	char what[32], msg[200] = "";
	struct khp_world *w;
	double start, elapsed;
	unsigned i;
	int ret = KHP_EXIT_FINDING;

	snprintf(what, sizeof(what), "scan/%s", l->name);
	if (new_world(p, l->config, &w))
		return KHP_EXIT_FINDING;
	if (l->build(w))
		goto out;
	if (apply(w, op))
		goto out;
	if (khp_world_apply(w, &op, &first) || l->verify(w, &first, msg, sizeof(msg))) {
		fprintf(stderr, "bench: %s %s: the layout does not scan as intended: %s\n",
			khp_profile_name(&p), what, msg);
		goto out;
	}
	start = now_seconds();
	do {
		for (i = 0; i < BENCH_BATCH; i++) {
			if (khp_world_apply(w, &op, &rec) || rec.result != first.result ||
			    rec.collapsed) {
				fprintf(stderr, "bench: %s %s: step %lu changed the result to %s\n",
					khp_profile_name(&p), what, steps, khp_result_name(rec.result));
				goto out;
			}
		}
		steps += BENCH_BATCH;
		elapsed = now_seconds() - start;
	} while (elapsed < o->seconds);
	if (khp_world_check(w, msg, sizeof(msg))) {
		fprintf(stderr, "bench: %s %s: invariant broken: %s\n", khp_profile_name(&p), what, msg);
		goto out;
	}
	print_line(p, what, khp_result_name(first.result), steps, elapsed, "scan");
	ret = KHP_EXIT_OK;
out:
	khp_world_free(w);
	return ret;
}

/* One fork/touch/touch/exit iteration; `round` picks the pages touched. */
static int fork_round(struct khp_world *w, unsigned round)
{
	uint64_t child_at = BENCH_BASE + (round * FORK_TOUCH) % FORK_PAGES;
	uint64_t parent_at = BENCH_BASE + (round * FORK_TOUCH + FORK_PAGES / 2) % FORK_PAGES;
	int err;

	err = apply(w, mk_fork(0, 1));
	if (!err)
		err = apply(w, mk_op(KHP_OP_TOUCH, 1, child_at, FORK_TOUCH, KHP_OPF_WRITE));
	if (!err)
		err = apply(w, mk_op(KHP_OP_TOUCH, 0, parent_at, FORK_TOUCH, KHP_OPF_WRITE));
	if (!err)
		err = apply(w, mk_op(KHP_OP_EXIT, 1, 0, 0, 0));
	return err;
}

static int bench_fork(const struct bench_opts *o, struct khp_profile p)
{
	const unsigned ops_per_round = 4;
	unsigned long rounds = 0;
	struct khp_totals t0, t1;
	char msg[200] = "";
	struct khp_world *w;
	double start, elapsed;
	unsigned i;
	int ret = KHP_EXIT_FINDING;

	if (new_world(p, config_default, &w))
		return KHP_EXIT_FINDING;
	if (apply(w, mk_op(KHP_OP_MMAP, 0, BENCH_BASE, FORK_PAGES, KHP_OPF_WRITE)) ||
	    apply(w, mk_op(KHP_OP_TOUCH, 0, BENCH_BASE, FORK_PAGES, KHP_OPF_WRITE)) ||
	    fork_round(w, 0))
		goto out;
	khp_world_totals(w, &t0);
	start = now_seconds();
	do {
		for (i = 0; i < BENCH_BATCH; i++)
			if (fork_round(w, (unsigned)rounds + i + 1))
				goto out;
		rounds += BENCH_BATCH;
		elapsed = now_seconds() - start;
	} while (elapsed < o->seconds);
	/* Steady state: every round frees what it allocates. */
	khp_world_totals(w, &t1);
	if (t1.pages_in_use != t0.pages_in_use) {
		fprintf(stderr, "bench: %s fork-loop: pages in use went from %ld to %ld\n",
			khp_profile_name(&p), t0.pages_in_use, t1.pages_in_use);
		goto out;
	}
	if (khp_world_check(w, msg, sizeof(msg))) {
		fprintf(stderr, "bench: %s fork-loop: invariant broken: %s\n", khp_profile_name(&p), msg);
		goto out;
	}
	print_line(p, "fork-loop", "fork/touch/touch/exit", rounds * ops_per_round,
		   elapsed, "op");
	ret = KHP_EXIT_OK;
out:
	khp_world_free(w);
	return ret;
}

/* ---- command line ---------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: khpsim bench [--seconds S] [--profile P[,P...]]\n"
		"\n"
		"Time the simulator core: khugepaged scans of full 512-PTE ranges\n"
		"(scan/full-shared, scan/full-old, scan/full-ro on linux-6.1/6.12),\n"
		"of a mixed range (scan/mixed: none, zero, exclusive, shared and swap\n"
		"PTEs), and a fork/touch/exit loop (fork-loop).  One line per\n"
		"measurement: ns per step and steps per second.\n"
		"\n"
		"  --seconds S   time each measurement for S seconds (decimal, 0.001..3600;\n"
		"                default 0.5)\n"
		"  --profile P   only these profiles (linux-6.1, linux-6.12, linux-7.3,\n"
		"                optionally +exact; none twice); default: the three kernels\n"
		"\n"
		"Exit status: 0 ok, 1 a layout did not behave as intended, 2 usage.\n");
}

static const struct option longopts[] = {
	{ "seconds", required_argument, NULL, 's' },
	{ "profile", required_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* 0, -1 after --help, or KHP_EXIT_USAGE. */
static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	struct cli c;
	size_t nr = 0;
	int opt;

	o->seconds = 0.5;
	cli_init(&c, "bench", argc, argv, "s:p:h", longopts);
	while ((opt = cli_next(&c)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return -1;
		}
		if ((opt == 's' && cli_decimal(&c, opt, 0.001, 3600, &o->seconds)) ||
		    (opt == 'p' && cli_profiles(&c, opt, o->profiles, BENCH_MAX_PROFILES, &nr)) ||
		    (opt != 's' && opt != 'p'))
			return KHP_EXIT_USAGE;
	}
	if (cli_operands(&c, &opt) && opt)
		return cli_fail("bench", "unexpected argument '%s'", argv[optind]);
	o->nr_profiles = (unsigned)nr;
	if (!o->nr_profiles) {
		for (unsigned i = 0; i < KHP_NR_KERNELS; i++)
			o->profiles[i] = khp_profile_kernel((enum khp_kernel)i);
		o->nr_profiles = KHP_NR_KERNELS;
	}
	return 0;
}

static void print_header(const struct bench_opts *o)
{
	printf("# khpsim bench: pmd_pages %u, %.2f s per measurement", BENCH_PMD_PAGES,
	       o->seconds);
#ifndef __OPTIMIZE__
	printf(", NOT an optimized build");
#endif
#if defined(__SANITIZE_ADDRESS__)
	printf(", AddressSanitizer on");
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	printf(", AddressSanitizer on");
#endif
#endif
	printf("\n");
}

int cmd_bench(int argc, char **argv)
{
	struct bench_opts o;
	unsigned i, l;
	int ret, status = KHP_EXIT_OK;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret < 0 ? KHP_EXIT_OK : ret;
	print_header(&o);
	for (i = 0; i < o.nr_profiles; i++) {
		for (l = 0; l < sizeof(scan_layouts) / sizeof(scan_layouts[0]); l++) {
			if (scan_layouts[l].needs_writable_gate && !o.profiles[i].rules.writable_gate)
				continue;
			if (bench_scan(&o, o.profiles[i], &scan_layouts[l]))
				status = KHP_EXIT_FINDING;
		}
		if (bench_fork(&o, o.profiles[i]))
			status = KHP_EXIT_FINDING;
		fflush(stdout);
	}
	return status;
}
