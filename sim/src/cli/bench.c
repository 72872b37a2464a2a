/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `khpsim bench`: throughput of the simulator core, per profile, as a ratio
 * to a naive reference loop run in the same process.
 *
 *  scan/<layout>  one khugepaged visit (khp_world_apply(KHP_OP_KHUGEPAGED))
 *                 of a layout of bench_layouts.c, against naive_scan()
 *                 (bench_naive.c) over a flat copy of the same range.
 *  fork-loop      khp_world_apply() calls of a fork-heavy program: a
 *                 2048-page written mapping in mm 0, then per round fork
 *                 0->1, the child writes 64 pages (CoW), the parent writes
 *                 64 other pages (CoW), the child exits; against the naive
 *                 scan of the full-old layout (a unit of machine speed).
 *
 * Each measurement alternates batches of its own steps and of the naive
 * loop and sums the time of each side, so a change in the machine's load
 * during the run affects both alike and the ratio stays meaningful on a
 * shared machine.  With --seconds S both sides together run for about 2 S;
 * with --iterations N each side runs exactly N steps (fork-loop: N rounds
 * of 4 ops), so instruction counts (callgrind) are repeatable.  Wall time
 * (clock_gettime(CLOCK_MONOTONIC)) appears only in this output, never in a
 * record or a result.
 *
 * Before timing, each scan layout is checked once: the step must end with
 * the expected result, collapse nothing, and its counters must account for
 * every PTE of the range; the naive loop must agree with the layout's
 * verdict too.  Every timed step is compared with that result.  A failed
 * check prints why and makes the command exit 1.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/bench.h"
#include "cli/cli.h"

#define BENCH_BATCH      64u     /* steps between two clock reads */
#define FORK_BATCH       4u      /* fork-loop rounds (and naive scans) between clock reads */
#define FORK_PAGES       2048u
#define FORK_TOUCH       64u
#define FORK_OPS         4u      /* ops per fork-loop round */

#define BENCH_MAX_PROFILES (2 * KHP_NR_KERNELS)   /* each kernel, and +exact */
#define BENCH_MAX_ONLY 16

struct bench_opts {
	double seconds;
	uint64_t iterations;        /* 0: timed by --seconds */
	struct khp_profile profiles[BENCH_MAX_PROFILES];
	unsigned nr_profiles;
	const char *only[BENCH_MAX_ONLY];  /* measurement names; none: all */
	unsigned nr_only;
};

#define BENCH_MAX_PAIRS  8192u   /* batch pairs whose times are kept for the medians */

/*
 * The two sides of one measurement: totals, and per pair of batches (one of
 * each side, run back to back) the ns per step of each side.
 */
struct bench_clock {
	unsigned long steps, naive_steps;
	double elapsed, naive_elapsed;
	double *ns, *naive_ns;       /* BENCH_MAX_PAIRS each */
	unsigned nr_pairs;
	double naive_last;           /* ns per step of the last naive batch */
};

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Both sides have done their work (iterations), or run for their time. */
static bool bench_done(const struct bench_opts *o, const struct bench_clock *k)
{
	if (o->iterations)
		return k->steps >= o->iterations && k->naive_steps >= o->iterations;
	return k->elapsed + k->naive_elapsed >= 2 * o->seconds;
}

static unsigned long batch(const struct bench_opts *o, unsigned long done, unsigned size)
{
	if (o->iterations && o->iterations - done < size)
		return (unsigned long)(o->iterations - done);
	return size;
}

/* One batch of the naive loop; 0, or 1 if its result changed. */
static int naive_batch(const struct bench_opts *o, const struct naive_range *r,
		       const struct naive_result *want, unsigned size, struct bench_clock *k)
{
	unsigned long n = batch(o, k->naive_steps, size);
	struct naive_result got;
	double t0 = now_seconds();

	for (unsigned long i = 0; i < n; i++) {
		naive_scan(r, &got);
		if (got.result != want->result || got.referenced != want->referenced) {
			fprintf(stderr, "bench: the naive loop changed its result\n");
			return 1;
		}
	}
	t0 = now_seconds() - t0;
	k->naive_elapsed += t0;
	k->naive_steps += n;
	k->naive_last = n ? t0 * 1e9 / (double)n : 0;
	return 0;
}

/* The model's batch of n steps took t seconds: close the pair. */
static void model_batch_done(struct bench_clock *k, unsigned long n, double t)
{
	k->elapsed += t;
	k->steps += n;
	if (n && k->naive_last > 0 && k->nr_pairs < BENCH_MAX_PAIRS) {
		k->ns[k->nr_pairs] = t * 1e9 / (double)n;
		k->naive_ns[k->nr_pairs] = k->naive_last;
		k->nr_pairs++;
	}
}

static int clock_init(struct bench_clock *k)
{
	memset(k, 0, sizeof(*k));
	k->ns = malloc(BENCH_MAX_PAIRS * sizeof(double));
	k->naive_ns = malloc(BENCH_MAX_PAIRS * sizeof(double));
	return k->ns && k->naive_ns ? 0 : -ENOMEM;
}

static void clock_free(struct bench_clock *k)
{
	free(k->ns);
	free(k->naive_ns);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool wanted(const struct bench_opts *o, const char *what)
{
	if (!o->nr_only)
		return true;
	for (unsigned i = 0; i < o->nr_only; i++)
		if (!strcmp(o->only[i], what))
			return true;
	return false;
}

/*
 * ns per step of each side and their ratio: the medians over the pairs of
 * batches (robust to a burst of load on a shared machine), or the totals
 * when no pair was kept.  fork-loop pairs are per round: unit_per_step ops.
 */
static void print_line(struct khp_profile p, const char *what, const char *result,
		       struct bench_clock *k, const char *unit, unsigned unit_per_step)
{
	double ns = k->elapsed * 1e9 / (double)k->steps;
	double naive = k->naive_elapsed * 1e9 / (double)k->naive_steps;
	double ratio = ns / naive;

	if (k->nr_pairs) {
		for (unsigned i = 0; i < k->nr_pairs; i++)
			k->ns[i] /= k->naive_ns[i];      /* each pair's ratio */
		ratio = median(k->ns, k->nr_pairs);
		naive = median(k->naive_ns, k->nr_pairs);
		ns = ratio * naive;
	}
	ns /= unit_per_step;
	ratio /= unit_per_step;
	printf("%-17s %-19s %-26s %9.1f ns/%-4s %6.2fx  (naive %6.1f ns; %lu in %.2f s)\n",
	       khp_profile_name(&p), what, result, ns, unit, ratio, naive,
	       k->steps * unit_per_step, k->elapsed);
}

static int new_world(struct khp_profile p, void (*config)(struct khp_config *c),
		     struct khp_world **out)
{
	struct khp_config c;
	char msg[160] = "";
	int err;

	khp_config_default(&c, BENCH_PMD_PAGES);
	if (config)
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

/* The naive copy of layout l's range in w and its result, which l must accept. */
static int naive_prepare(const struct khp_world *w, const struct scan_layout *l,
			 struct naive_range *r, struct naive_result *res)
{
	struct khp_record rec;
	char msg[200] = "";

	if (naive_range_build(w, BENCH_BASE, r)) {
		fprintf(stderr, "bench: %s: cannot copy the range for the naive loop\n", l->name);
		return 1;
	}
	naive_scan(r, res);
	naive_record(res, &rec);
	if (l->verify(w, &rec, msg, sizeof(msg))) {
		fprintf(stderr, "bench: %s: the naive loop does not scan as intended: %s\n",
			l->name, msg);
		return 1;
	}
	return 0;
}

/* Layout l built in a new world *w, its first visit checked into *first. */
static int scan_setup(struct khp_profile p, const struct scan_layout *l, struct khp_world **w,
		      struct khp_record *first)
{
	struct khp_op op = bench_op(KHP_OP_KHUGEPAGED, 0, BENCH_BASE, 0, 0);
	char msg[200] = "";

	if (new_world(p, l->config, w))
		return 1;
	/* The first visit registers the mm; the second one is the one repeated. */
	if (l->build(*w) || bench_apply(*w, op))
		return 1;
	if (khp_world_apply(*w, &op, first) || l->verify(*w, first, msg, sizeof(msg))) {
		fprintf(stderr, "bench: %s scan/%s: the layout does not scan as intended: %s\n",
			khp_profile_name(&p), l->name, msg);
		return 1;
	}
	return 0;
}

static int bench_scan(const struct bench_opts *o, struct khp_profile p,
		      const struct scan_layout *l)
{
	struct khp_op op = bench_op(KHP_OP_KHUGEPAGED, 0, BENCH_BASE, 0, 0);
	struct khp_record rec, first;
	struct naive_result want;
	struct bench_clock k;
	struct naive_range *r = malloc(sizeof(*r));
	struct khp_world *w = NULL;
	char what[32], msg[200] = "";
	int ret = KHP_EXIT_FINDING;

	snprintf(what, sizeof(what), "scan/%s", l->name);
	if (clock_init(&k) || !r || scan_setup(p, l, &w, &first) || naive_prepare(w, l, r, &want))
		goto out;
	while (!bench_done(o, &k)) {
		unsigned long n = batch(o, k.steps, BENCH_BATCH);
		double t0;

		if (naive_batch(o, r, &want, BENCH_BATCH, &k))
			goto out;
		t0 = now_seconds();
		for (unsigned long i = 0; i < n; i++) {
			if (khp_world_apply(w, &op, &rec) || rec.result != first.result ||
			    rec.collapsed) {
				fprintf(stderr, "bench: %s %s: step %lu changed the result to %s\n",
					khp_profile_name(&p), what, k.steps + i,
					khp_result_name(rec.result));
				goto out;
			}
		}
		model_batch_done(&k, n, now_seconds() - t0);
	}
	if (khp_world_check(w, msg, sizeof(msg))) {
		fprintf(stderr, "bench: %s %s: invariant broken: %s\n", khp_profile_name(&p), what, msg);
		goto out;
	}
	print_line(p, what, khp_result_name(first.result), &k, "scan", 1);
	ret = KHP_EXIT_OK;
out:
	khp_world_free(w);
	clock_free(&k);
	free(r);
	return ret;
}

/* One fork/touch/touch/exit round; `round` picks the pages touched. */
static int fork_round(struct khp_world *w, unsigned long round)
{
	uint64_t child_at = BENCH_BASE + (round * FORK_TOUCH) % FORK_PAGES;
	uint64_t parent_at = BENCH_BASE + (round * FORK_TOUCH + FORK_PAGES / 2) % FORK_PAGES;
	int err;

	err = bench_apply(w, bench_fork_op(0, 1));
	if (!err)
		err = bench_apply(w, bench_op(KHP_OP_TOUCH, 1, child_at, FORK_TOUCH, KHP_OPF_WRITE));
	if (!err)
		err = bench_apply(w, bench_op(KHP_OP_TOUCH, 0, parent_at, FORK_TOUCH, KHP_OPF_WRITE));
	if (!err)
		err = bench_apply(w, bench_op(KHP_OP_EXIT, 1, 0, 0, 0));
	return err;
}

/* The naive reference of fork-loop: the naive scan of the full-old layout. */
static int fork_naive(struct khp_profile p, struct naive_range *r, struct naive_result *want)
{
	const struct scan_layout *l = &bench_layouts[1];
	struct khp_record first;
	struct khp_world *w = NULL;
	int ret;

	ret = scan_setup(p, l, &w, &first) || naive_prepare(w, l, r, want);
	khp_world_free(w);
	return ret;
}

/* Steady state: every round frees what it allocates, and the world is sound. */
static int fork_check(struct khp_profile p, struct khp_world *w, const struct khp_totals *t0)
{
	struct khp_totals t1;
	char msg[200] = "";

	khp_world_totals(w, &t1);
	if (t1.pages_in_use != t0->pages_in_use) {
		fprintf(stderr, "bench: %s fork-loop: pages in use went from %ld to %ld\n",
			khp_profile_name(&p), t0->pages_in_use, t1.pages_in_use);
		return 1;
	}
	if (khp_world_check(w, msg, sizeof(msg))) {
		fprintf(stderr, "bench: %s fork-loop: invariant broken: %s\n", khp_profile_name(&p), msg);
		return 1;
	}
	return 0;
}

static int bench_fork(const struct bench_opts *o, struct khp_profile p)
{
	struct naive_range *r = malloc(sizeof(*r));
	struct naive_result want;
	struct bench_clock k;
	struct khp_totals t0;
	struct khp_world *w = NULL;
	int ret = KHP_EXIT_FINDING;

	if (clock_init(&k) || !r || fork_naive(p, r, &want) || new_world(p, NULL, &w))
		goto out;
	if (bench_apply(w, bench_op(KHP_OP_MMAP, 0, BENCH_BASE, FORK_PAGES, KHP_OPF_WRITE)) ||
	    bench_apply(w, bench_op(KHP_OP_TOUCH, 0, BENCH_BASE, FORK_PAGES, KHP_OPF_WRITE)) ||
	    fork_round(w, 0))
		goto out;
	khp_world_totals(w, &t0);
	/* a step is a round here; print_line() reports per op */
	while (!bench_done(o, &k)) {
		unsigned long n = batch(o, k.steps, FORK_BATCH);
		double t1;

		if (naive_batch(o, r, &want, FORK_BATCH, &k))
			goto out;
		t1 = now_seconds();
		for (unsigned long i = 0; i < n; i++)
			if (fork_round(w, k.steps + i + 1))
				goto out;
		model_batch_done(&k, n, now_seconds() - t1);
	}
	if (fork_check(p, w, &t0))
		goto out;
	print_line(p, "fork-loop", "fork/touch/touch/exit", &k, "op", FORK_OPS);
	ret = KHP_EXIT_OK;
out:
	khp_world_free(w);
	clock_free(&k);
	free(r);
	return ret;
}

/* ---- command line ---------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: khpsim bench [--seconds S | --iterations N] [--profile P[,P...]]\n"
		"                    [--only NAME[,NAME...]]\n"
		"\n"
		"Time the simulator core against a naive reference loop (the 6.1\n"
		"khugepaged PTE scan written plainly over a flat copy of the range),\n"
		"run in the same process, interleaved: khugepaged scans of 512-PTE\n"
		"ranges (scan/full-shared, scan/full-old, scan/full-ro on profiles with\n"
		"the writable gate, scan/mixed: none, zero, exclusive, shared and swap\n"
		"PTEs, scan/large-shared and scan/large-old: a PTE-mapped THP), and a\n"
		"fork/touch/exit loop (fork-loop, against the naive scan of full-old).\n"
		"One line per measurement: ns per step, the ratio to the naive loop,\n"
		"the naive loop's ns, steps and seconds.\n"
		"\n"
		"  --seconds S     time each side of a measurement for S seconds (decimal,\n"
		"                  0.001..3600; default 0.5)\n"
		"  --iterations N  run exactly N steps of each side instead (fork-loop: N\n"
		"                  rounds of 4 ops; 1..1000000000): repeatable instruction\n"
		"                  counts under callgrind\n"
		"  --profile P     only these profiles (linux-6.1, linux-6.12, linux-7.3,\n"
		"                  optionally +exact; none twice); default: the three kernels\n"
		"  --only NAMES    only these measurements (scan/full-old, fork-loop, ...)\n"
		"\n"
		"Exit status: 0 ok, 1 a layout did not behave as intended, 2 usage.\n");
}

static const struct option longopts[] = {
	{ "seconds", required_argument, NULL, 's' },
	{ "iterations", required_argument, NULL, 'n' },
	{ "profile", required_argument, NULL, 'p' },
	{ "only", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static bool known_measurement(const char *name)
{
	if (!strcmp(name, "fork-loop"))
		return true;
	for (unsigned l = 0; l < bench_nr_layouts; l++)
		if (!strncmp(name, "scan/", 5) && !strcmp(name + 5, bench_layouts[l].name))
			return true;
	return false;
}

/* --only: a comma-separated list of measurement names (argv is modified). */
static int parse_only(struct bench_opts *o, char *list)
{
	for (char *s = strtok(list, ","); s; s = strtok(NULL, ",")) {
		if (!known_measurement(s))
			return cli_fail("bench", "--only: unknown measurement '%s' (scan/<layout> "
					"or fork-loop)", s);
		if (o->nr_only >= BENCH_MAX_ONLY)
			return cli_fail("bench", "--only: more than %d names", BENCH_MAX_ONLY);
		o->only[o->nr_only++] = s;
	}
	if (!o->nr_only)
		return cli_fail("bench", "--only: no measurement named");
	return 0;
}

static int parse_opt(struct cli *c, int opt, struct bench_opts *o, bool *seconds, size_t *nr)
{
	switch (opt) {
	case 's':
		*seconds = true;
		return cli_decimal(c, opt, 0.001, 3600, &o->seconds) ? KHP_EXIT_USAGE : 0;
	case 'n':
		return cli_number(c, opt, 1, 1000000000, &o->iterations) ? KHP_EXIT_USAGE : 0;
	case 'p':
		return cli_profiles(c, opt, o->profiles, BENCH_MAX_PROFILES, nr) ? KHP_EXIT_USAGE : 0;
	case 'o':
		return parse_only(o, (char *)c->arg);
	default:
		return KHP_EXIT_USAGE;
	}
}

/* 0, -1 after --help, or KHP_EXIT_USAGE. */
static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	bool seconds = false;
	struct cli c;
	size_t nr = 0;
	int opt;

	memset(o, 0, sizeof(*o));
	o->seconds = 0.5;
	cli_init(&c, "bench", argc, argv, "s:n:p:o:h", longopts);
	while ((opt = cli_next(&c)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return -1;
		}
		if (parse_opt(&c, opt, o, &seconds, &nr))
			return KHP_EXIT_USAGE;
	}
	if (cli_operands(&c, &opt) && opt)
		return cli_fail("bench", "unexpected argument '%s'", argv[optind]);
	if (seconds && o->iterations)
		return cli_fail("bench", "--seconds and --iterations: give one of them");
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
	printf("# khpsim bench: pmd_pages %u, ", BENCH_PMD_PAGES);
	if (o->iterations)
		printf("%llu steps per side", (unsigned long long)o->iterations);
	else
		printf("%.2f s per side", o->seconds);
	printf("; ratio = ns per step / ns per naive 6.1 scan of the same range");
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
	char what[32];
	int ret, status = KHP_EXIT_OK;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret < 0 ? KHP_EXIT_OK : ret;
	print_header(&o);
	for (unsigned i = 0; i < o.nr_profiles; i++) {
		for (unsigned l = 0; l < bench_nr_layouts; l++) {
			const struct scan_layout *sl = &bench_layouts[l];

			snprintf(what, sizeof(what), "scan/%s", sl->name);
			if ((sl->needs_writable_gate && !o.profiles[i].rules.writable_gate) ||
			    !wanted(&o, what))
				continue;
			if (bench_scan(&o, o.profiles[i], sl))
				status = KHP_EXIT_FINDING;
		}
		if (wanted(&o, "fork-loop") && bench_fork(&o, o.profiles[i]))
			status = KHP_EXIT_FINDING;
		fflush(stdout);
	}
	return status;
}
