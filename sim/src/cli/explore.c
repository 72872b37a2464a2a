/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `khpsim explore`: the fuzz decoder fed by pcg32 byte streams.
 *
 * Run i decodes khp_pcg32_fill() bytes of stream (seed, i), so every run is
 * reproducible from (seed, i) alone and the whole exploration from the
 * seed: the same seed gives the same output on every machine (unless
 * --seconds stops it early).  Every run is executed under each profile
 * with the same runner as the fuzz targets; the best fn_waste_pages per
 * profile is printed, and the worst finding is written as a scenario with
 * expectations (docs/fuzzing.md).  A baseline for the coverage-guided
 * fuzzers, and the search for machines without clang.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "khpsim/decode.h"
#include "khpsim/knobs.h"
#include "khpsim/parse.h"
#include "khpsim/minimize.h"
#include "khpsim/rng.h"
#include "khpsim/scenario.h"

#define EXPLORE_MAX_PROFILES 8

struct explore_opts {
	uint64_t seed;
	unsigned long runs;
	unsigned max_bytes;
	double seconds;            /* 0: no time limit */
	unsigned long report_every;
	const char *out;
	bool quiet;
	bool keep_maxima;          /* write every new worst finding at once */
	struct khp_profile profs[EXPLORE_MAX_PROFILES];
	size_t nr_profs;
	struct khp_decode_opts dopts;
};

static void usage(FILE *f)
{
	fputs("usage: khpsim explore [--seed S] [--runs N] [--profile LIST] [--out DIR]\n"
	      "                      [--bytes B] [--seconds T] [--report-every N] [--quiet]\n"
	      "                      [--explore-config] [--max-ops N] [--keep-maxima]\n"
	      "                      [--pmd-pages N] [--max-ptes-none N] [--max-ptes-swap N]\n"
	      "                      [--max-ptes-shared N] [--thp never|madvise|always]\n"
	      "                      [--use-zero-page B] [--swap B] [--shrink-underused B]\n"
	      "                      [--mthp-orders LIST|none]\n"
	      "Decode N pcg32 byte streams (seed S, stream i for run i) into programs, run each\n"
	      "under every profile (default linux-6.1,linux-6.12,linux-7.3; none twice) and\n"
	      "print the best fn_waste_pages per profile.  The worst finding is written as a\n"
	      "scenario into DIR (default .); with --keep-maxima every new worst one is written\n"
	      "as it is found.  Numbers are decimal.  The knob options are those of\n"
	      "`khpsim run --set` (and the KHP_<KNOB> environment of the fuzz targets, which\n"
	      "they override); their order does not matter, and the PTE limits not given\n"
	      "follow --pmd-pages.  Decoder limits can also come from KHP_MAX_OPS,\n"
	      "KHP_MAX_MMS, KHP_MAX_PMDS, KHP_MACROS and KHP_EXPLORE_CONFIG (fuzz/fuzz.h).\n"
	      "Exit: 0 no finding, 1 a finding was written, 2 usage or error.\n", f);
}

enum {
	OPT_SEED = 1000, OPT_RUNS, OPT_BYTES, OPT_SECONDS, OPT_REPORT_EVERY, OPT_MAX_OPS,
	OPT_EXPLORE_CONFIG, OPT_KEEP_MAXIMA,
	OPT_KNOB,                  /* OPT_KNOB + k: the option of knob k */
};

static const struct option fixed_opts[] = {
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "runs", required_argument, NULL, OPT_RUNS },
	{ "bytes", required_argument, NULL, OPT_BYTES },
	{ "seconds", required_argument, NULL, OPT_SECONDS },
	{ "report-every", required_argument, NULL, OPT_REPORT_EVERY },
	{ "max-ops", required_argument, NULL, OPT_MAX_OPS },
	{ "out", required_argument, NULL, 'o' },
	{ "profile", required_argument, NULL, 'p' },
	{ "profiles", required_argument, NULL, 'p' },
	{ "explore-config", no_argument, NULL, OPT_EXPLORE_CONFIG },
	{ "keep-maxima", no_argument, NULL, OPT_KEEP_MAXIMA },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
};

#define NR_FIXED (sizeof(fixed_opts) / sizeof(fixed_opts[0]))

/* The fixed options, one per knob of the knob table, and the end marker. */
static void build_options(struct option *opts)
{
	memcpy(opts, fixed_opts, sizeof(fixed_opts));
	for (unsigned k = 0; k < KHP_NR_KNOBS; k++)
		opts[NR_FIXED + k] = (struct option){ khp_knob((enum khp_knob)k)->option,
						      required_argument, NULL, OPT_KNOB + (int)k };
	opts[NR_FIXED + KHP_NR_KNOBS] = (struct option){ NULL, 0, NULL, 0 };
}

/* A numeric option into o; 0 or -EINVAL after a message. */
static int number_option(struct cli *c, int opt, struct explore_opts *o)
{
	uint64_t n = 0;

	switch (opt) {
	case OPT_SEED:
		return cli_number(c, opt, 0, UINT64_MAX, &o->seed);
	case OPT_RUNS:
		if (cli_number(c, opt, 0, 1ull << 40, &n))
			return -EINVAL;
		o->runs = (unsigned long)n;
		return 0;
	case OPT_BYTES:
		if (cli_number(c, opt, 1, 1u << 16, &n))
			return -EINVAL;
		o->max_bytes = (unsigned)n;
		return 0;
	case OPT_SECONDS:
		return cli_decimal(c, opt, 0, 1u << 30, &o->seconds);
	case OPT_REPORT_EVERY:
		if (cli_number(c, opt, 0, 1ull << 40, &n))
			return -EINVAL;
		o->report_every = (unsigned long)n;
		return 0;
	default:                       /* OPT_MAX_OPS */
		if (cli_number(c, opt, 1, KHP_MAX_OPS, &n))
			return -EINVAL;
		o->dopts.max_ops = (unsigned)n;
		return 0;
	}
}

/* One option into o (knobs into ks); 0, 1 (--help done) or CLI_BAD. */
static int one_option(struct cli *c, int opt, struct explore_opts *o, struct khp_knob_settings *ks)
{
	char msg[256];

	if (opt >= OPT_KNOB && opt < OPT_KNOB + KHP_NR_KNOBS) {
		if (khp_knob_settings_parse(ks, (enum khp_knob)(opt - OPT_KNOB), c->arg,
					    KHP_KNOB_FROM_OPTION, msg, sizeof(msg)))
			return cli_fail(c->cmd, "%s", msg), CLI_BAD;
		return 0;
	}
	switch (opt) {
	case 'o':
		o->out = c->arg;
		return 0;
	case 'p':
		return cli_profiles(c, opt, o->profs, EXPLORE_MAX_PROFILES, &o->nr_profs) ? CLI_BAD : 0;
	case OPT_EXPLORE_CONFIG:
		o->dopts.config_from_input = true;
		return 0;
	case OPT_KEEP_MAXIMA:
		o->keep_maxima = true;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	case 'h':
		usage(stdout);
		return 1;
	case CLI_BAD:
		return CLI_BAD;
	default:
		return number_option(c, opt, o) ? CLI_BAD : 0;
	}
}

/* Defaults, then the KHP_* environment, then the options (which win). */
static int parse_args(int argc, char **argv, struct explore_opts *o)
{
	struct option opts[NR_FIXED + KHP_NR_KNOBS + 1];
	struct khp_knob_settings ks, cli_ks;
	struct cli c;
	char msg[256];
	int opt, rc;

	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->runs = 100000;
	o->max_bytes = 256;
	o->out = ".";
	khp_decode_opts_default(&o->dopts);
	khp_knob_settings_init(&ks);
	khp_knob_settings_init(&cli_ks);
	if (khp_decode_opts_from_env(&o->dopts, msg, sizeof(msg)) ||
	    khp_knob_settings_from_env(&ks, msg, sizeof(msg)))
		return cli_fail("explore", "%s", msg), CLI_BAD;
	khp_profile_list_parse("linux-6.1,linux-6.12,linux-7.3", o->profs, EXPLORE_MAX_PROFILES,
			       &o->nr_profs, NULL, 0);
	build_options(opts);
	cli_init(&c, "explore", argc, argv, "o:p:qh", opts);
	while ((opt = cli_next(&c)) != -1)
		if ((rc = one_option(&c, opt, o, &cli_ks)))
			return rc;
	if (cli_operands(&c, &rc) && rc)
		return cli_fail("explore", "unexpected argument '%s'", argv[optind]), CLI_BAD;
	/* the knobs, in any order: the environment's, then the options' */
	khp_knob_settings_merge(&ks, &cli_ks);
	khp_config_default(&o->dopts.config, 512);
	if (khp_knob_settings_apply(&ks, &o->dopts.config, msg, sizeof(msg)))
		return cli_fail("explore", "%s", msg), CLI_BAD;
	return 0;
}

struct best {
	long fn;
	unsigned long run;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The bytes of run i. */
static size_t stream_bytes(const struct explore_opts *o, unsigned long i, uint8_t *buf)
{
	return khp_pcg32_stream(o->seed, i, o->max_bytes, buf);
}

static void print_best(const struct explore_opts *o, const struct best *best)
{
	for (size_t p = 0; p < o->nr_profs; p++) {
		if (best[p].fn)
			printf("  %-18s best fn_waste_pages %5ld  (run %lu)\n",
			       khp_profile_name(&o->profs[p]), best[p].fn, best[p].run);
		else
			printf("  %-18s best fn_waste_pages %5d\n", khp_profile_name(&o->profs[p]), 0);
	}
}

/* What the search keeps across runs. */
struct explore {
	const struct explore_opts *o;
	struct khp_world *w[EXPLORE_MAX_PROFILES];
	struct khp_config wconf;     /* the config the worlds were made for */
	struct best best[EXPLORE_MAX_PROFILES];
	struct khp_program worst;    /* the program with the largest fn_waste_pages */
	long worst_fn;
	unsigned long rejected;      /* runs with an op the world refused */
	double t0;
};

/* One world per profile for config (made again when the config changes). */
static int worlds_for(struct explore *x, const struct khp_config *c)
{
	if (x->w[0] && !memcmp(&x->wconf, c, sizeof(*c)))
		return 0;
	for (size_t p = 0; p < x->o->nr_profs; p++) {
		if (x->w[p])
			khp_world_free(x->w[p]);
		x->w[p] = NULL;
		if (khp_world_new(c, x->o->profs[p], &x->w[p]))
			return cli_fail("explore", "cannot create a world");
	}
	x->wconf = *c;
	return 0;
}

/* Run prog (run i) under every profile; true if it is the worst program so far. */
static bool run_profiles(struct explore *x, const struct khp_program *prog, unsigned long i)
{
	const struct explore_opts *o = x->o;
	struct khp_run_opts ropts = { 0 };
	bool improved = false;

	for (size_t p = 0; p < o->nr_profs; p++) {
		struct khp_run run;
		long fn;

		memset(&run, 0, sizeof(run));
		khp_run_in(x->w[p], prog, &ropts, &run);
		x->rejected += run.err != 0;
		fn = khp_run_max_fn_waste(&run);
		khp_run_free(&run);
		if (fn <= x->best[p].fn)
			continue;
		x->best[p].fn = fn;
		x->best[p].run = i;
		if (!o->quiet)
			fprintf(stderr, "explore: run %lu (%.1f s): new max fn_waste_pages %ld under %s\n",
				i, now() - x->t0, fn, khp_profile_name(&o->profs[p]));
		if (fn > x->worst_fn) {
			x->worst_fn = fn;
			improved = true;
		}
	}
	return improved;
}

/* prog is the new worst: keep it (and write it with --keep-maxima). */
static void keep_worst(struct explore *x, const struct khp_program *prog)
{
	const struct explore_opts *o = x->o;

	khp_program_free(&x->worst);
	khp_program_init(&x->worst, &prog->config);
	for (size_t k = 0; k < prog->nr_ops; k++)
		khp_program_push(&x->worst, &prog->ops[k]);
	if (!o->keep_maxima)
		return;
	mkdir(o->out, 0777);
	if (khp_finding_write(o->out, "explore", "khpsim explore: new maximum", &x->worst,
			      o->profs, o->nr_profs, NULL, 0))
		cli_fail("explore", "cannot write into %s", o->out);
}

static void report_progress(const struct explore *x, unsigned long done)
{
	double t = now() - x->t0;

	fprintf(stderr, "explore: %lu runs, %.0f runs/s, best", done, t > 0 ? done / t : 0.0);
	for (size_t p = 0; p < x->o->nr_profs; p++)
		fprintf(stderr, " %s=%ld", khp_profile_name(&x->o->profs[p]), x->best[p].fn);
	fprintf(stderr, "\n");
}

/* The runs; how many were made, or -1 after an error. */
static long search(struct explore *x, uint8_t *buf)
{
	const struct explore_opts *o = x->o;
	struct khp_program prog;
	unsigned long i;

	for (i = 0; i < o->runs; i++) {
		size_t len = stream_bytes(o, i, buf);

		if (khp_decode(buf, len, &o->dopts, &prog)) {
			khp_program_free(&prog);
			cli_fail("explore", "out of memory");
			return -1;
		}
		if (worlds_for(x, &prog.config)) {
			khp_program_free(&prog);
			return -1;
		}
		if (run_profiles(x, &prog, i))
			keep_worst(x, &prog);
		khp_program_free(&prog);
		if (o->report_every && (i + 1) % o->report_every == 0 && !o->quiet)
			report_progress(x, i + 1);
		if (o->seconds > 0 && (i & 63) == 63 && now() - x->t0 >= o->seconds)
			return (long)i + 1;
	}
	return (long)i;
}

/* The summary, and the worst finding written into --out. */
static int finish(struct explore *x, unsigned long runs)
{
	const struct explore_opts *o = x->o;
	char path[4096];
	int err;

	printf("explore: seed %llu, %lu runs, %zu profiles, %lu runs with a rejected op\n",
	       (unsigned long long)o->seed, runs, o->nr_profs, x->rejected);
	print_best(o, x->best);
	if (x->worst_fn <= 0)
		return KHP_EXIT_OK;
	mkdir(o->out, 0777);     /* one level, like the fuzz targets' findings dir */
	err = khp_finding_write(o->out, "explore", "khpsim explore: worst finding", &x->worst,
				o->profs, o->nr_profs, path, sizeof(path));
	if (err)
		return cli_fail("explore", "cannot write the finding into %s: %s", o->out,
				strerror(-err));
	printf("worst finding: ");
	cli_text(stdout, path);
	printf("\n");
	return KHP_EXIT_FINDING;
}

int cmd_explore(int argc, char **argv)
{
	struct explore_opts o;
	struct explore x;
	uint8_t *buf;
	long runs;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret == 1 ? KHP_EXIT_OK : KHP_EXIT_USAGE;
	buf = malloc(o.max_bytes);
	if (!buf)
		return cli_fail("explore", "out of memory");
	memset(&x, 0, sizeof(x));
	x.o = &o;
	x.t0 = now();
	khp_program_init(&x.worst, &o.dopts.config);
	runs = search(&x, buf);
	ret = runs < 0 ? KHP_EXIT_USAGE : finish(&x, (unsigned long)runs);
	khp_program_free(&x.worst);
	for (size_t p = 0; p < o.nr_profs; p++)
		if (x.w[p])
			khp_world_free(x.w[p]);
	free(buf);
	return ret;
}
