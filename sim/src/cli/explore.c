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
 * expectations (design.md sections 5-7).  A baseline for the coverage-guided
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
	      "                      [--pmd-pages N] [--max-ptes-none N] [--max-ptes-swap N]\n"
	      "                      [--max-ptes-shared N] [--thp never|madvise|always]\n"
	      "                      [--explore-config] [--max-ops N] [--keep-maxima]\n"
	      "Decode N pcg32 byte streams (seed S, stream i for run i) into programs, run each\n"
	      "under every profile (default linux-6.1,linux-6.12,linux-7.3) and print the best\n"
	      "fn_waste_pages per profile.  The worst finding is written as a scenario into DIR\n"
	      "(default .); with --keep-maxima every new worst one is written as it is found.\n"
	      "Decoder knobs can also come from the KHP_* environment (fuzz/fuzz.h).\n"
	      "Exit: 0 no finding, 1 a finding was written, 2 usage or error.\n", f);
}

static int parse_profiles(const char *arg, struct explore_opts *o)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", arg);
	o->nr_profs = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->nr_profs == EXPLORE_MAX_PROFILES ||
		    khp_profile_parse(tok, &o->profs[o->nr_profs])) {
			fprintf(stderr, "khpsim explore: bad profile \"%s\"\n", tok);
			return -EINVAL;
		}
		o->nr_profs++;
	}
	return o->nr_profs ? 0 : -EINVAL;
}

static int parse_num(const char *opt, const char *s, unsigned long long max,
		     unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s ? s : "", &end, 0);
	if (!s || !*s || *end || errno || *v > max || s[0] == '-') {
		fprintf(stderr, "khpsim explore: %s needs a number in 0..%llu\n", opt, max);
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct explore_opts *o)
{
	struct khp_config *c = &o->dopts.config;
	char msg[256];

	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->runs = 100000;
	o->max_bytes = 256;
	o->out = ".";
	khp_decode_opts_default(&o->dopts);
	if (khp_decode_opts_from_env(&o->dopts, msg, sizeof(msg))) {
		fprintf(stderr, "khpsim explore: %s\n", msg);
		return -EINVAL;
	}
	parse_profiles("linux-6.1,linux-6.12,linux-7.3", o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long long n;
		bool takes = true;

		if (!strcmp(a, "--seed")) {
			if (parse_num(a, v, UINT64_MAX, &n)) return -EINVAL;
			o->seed = n;
		} else if (!strcmp(a, "--runs")) {
			if (parse_num(a, v, 1ull << 40, &n)) return -EINVAL;
			o->runs = (unsigned long)n;
		} else if (!strcmp(a, "--bytes")) {
			if (parse_num(a, v, 1u << 16, &n) || n < 1) return -EINVAL;
			o->max_bytes = (unsigned)n;
		} else if (!strcmp(a, "--seconds")) {
			if (parse_num(a, v, 1u << 30, &n)) return -EINVAL;
			o->seconds = (double)n;
		} else if (!strcmp(a, "--report-every")) {
			if (parse_num(a, v, 1ull << 40, &n)) return -EINVAL;
			o->report_every = (unsigned long)n;
		} else if (!strcmp(a, "--max-ops")) {
			if (parse_num(a, v, KHP_MAX_OPS, &n) || !n) return -EINVAL;
			o->dopts.max_ops = (unsigned)n;
		} else if (!strcmp(a, "--out") || !strcmp(a, "-o")) {
			if (!v) return -EINVAL;
			o->out = v;
		} else if (!strcmp(a, "--profile") || !strcmp(a, "--profiles")) {
			if (!v || parse_profiles(v, o)) return -EINVAL;
		} else if (!strcmp(a, "--pmd-pages")) {
			enum khp_thp_mode mode = c->thp;

			if (parse_num(a, v, KHP_PMD_PAGES_MAX, &n)) return -EINVAL;
			khp_config_default(c, (unsigned)n);
			c->thp = mode;
		} else if (!strcmp(a, "--max-ptes-none")) {
			if (parse_num(a, v, KHP_PMD_PAGES_MAX, &n)) return -EINVAL;
			c->max_ptes_none = (unsigned)n;
		} else if (!strcmp(a, "--max-ptes-swap")) {
			if (parse_num(a, v, KHP_PMD_PAGES_MAX, &n)) return -EINVAL;
			c->max_ptes_swap = (unsigned)n;
		} else if (!strcmp(a, "--max-ptes-shared")) {
			if (parse_num(a, v, KHP_PMD_PAGES_MAX, &n)) return -EINVAL;
			c->max_ptes_shared = (unsigned)n;
		} else if (!strcmp(a, "--thp")) {
			if (v && !strcmp(v, "never")) c->thp = KHP_THP_NEVER;
			else if (v && !strcmp(v, "madvise")) c->thp = KHP_THP_MADVISE;
			else if (v && !strcmp(v, "always")) c->thp = KHP_THP_ALWAYS;
			else {
				fprintf(stderr, "khpsim explore: --thp never|madvise|always\n");
				return -EINVAL;
			}
		} else {
			takes = false;
			if (!strcmp(a, "--explore-config"))
				o->dopts.config_from_input = true;
			else if (!strcmp(a, "--quiet") || !strcmp(a, "-q"))
				o->quiet = true;
			else if (!strcmp(a, "--keep-maxima"))
				o->keep_maxima = true;
			else {
				fprintf(stderr, "khpsim explore: unknown argument \"%s\"\n", a);
				return -EINVAL;
			}
		}
		if (takes)
			i++;
	}
	if (khp_config_check(c, msg, sizeof(msg))) {
		fprintf(stderr, "khpsim explore: bad config: %s\n", msg);
		return -EINVAL;
	}
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
	struct khp_pcg32 rng;
	size_t len;

	khp_pcg32_srandom_r(&rng, o->seed, i);
	len = 1 + khp_pcg32_boundedrand_r(&rng, o->max_bytes);
	khp_pcg32_fill(&rng, buf, len);
	return len;
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

int cmd_explore(int argc, char **argv)
{
	struct khp_world *w[EXPLORE_MAX_PROFILES] = { 0 };
	struct best best[EXPLORE_MAX_PROFILES] = { { 0, 0 } };
	struct khp_config wconf = { 0 };
	struct explore_opts o;
	struct khp_run_opts ropts = { 0 };
	struct khp_program prog, worst;
	long worst_fn = 0;
	unsigned long i, rejected = 0;
	uint8_t *buf;
	double t0 = now();
	int ret = KHP_EXIT_OK;

	for (int a = 1; a < argc; a++)
		if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
			usage(stdout);
			return KHP_EXIT_OK;
		}
	if (parse_args(argc, argv, &o)) {
		usage(stderr);
		return KHP_EXIT_USAGE;
	}
	buf = malloc(o.max_bytes);
	if (!buf)
		return KHP_EXIT_USAGE;
	khp_program_init(&worst, &o.dopts.config);
	for (i = 0; i < o.runs; i++) {
		size_t len = stream_bytes(&o, i, buf);
		bool improved = false;

		if (khp_decode(buf, len, &o.dopts, &prog)) {
			khp_program_free(&prog);
			fprintf(stderr, "khpsim explore: out of memory\n");
			ret = KHP_EXIT_USAGE;
			break;
		}
		if (!w[0] || memcmp(&wconf, &prog.config, sizeof(wconf))) {
			for (size_t p = 0; p < o.nr_profs; p++) {
				if (w[p])
					khp_world_free(w[p]);
				w[p] = NULL;
				if (khp_world_new(&prog.config, o.profs[p], &w[p])) {
					fprintf(stderr, "khpsim explore: cannot create a world\n");
					khp_program_free(&prog);
					ret = KHP_EXIT_USAGE;
					goto out;
				}
			}
			wconf = prog.config;
		}
		for (size_t p = 0; p < o.nr_profs; p++) {
			struct khp_run run;
			long fn;

			memset(&run, 0, sizeof(run));
			khp_run_in(w[p], &prog, &ropts, &run);
			rejected += run.err != 0;
			fn = khp_run_max_fn_waste(&run);
			khp_run_free(&run);
			if (fn > best[p].fn) {
				best[p].fn = fn;
				best[p].run = i;
				if (!o.quiet)
					fprintf(stderr, "explore: run %lu (%.1f s): new max fn_waste_pages "
						"%ld under %s\n", i, now() - t0, fn,
						khp_profile_name(&o.profs[p]));
				if (fn > worst_fn) {
					worst_fn = fn;
					improved = true;
				}
			}
		}
		if (improved) {
			khp_program_free(&worst);
			khp_program_init(&worst, &prog.config);
			for (size_t k = 0; k < prog.nr_ops; k++)
				khp_program_push(&worst, &prog.ops[k]);
			if (o.keep_maxima) {
				mkdir(o.out, 0777);
				if (khp_finding_write(o.out, "explore", "khpsim explore: new maximum",
						      &worst, o.profs, o.nr_profs, NULL, 0))
					fprintf(stderr, "khpsim explore: cannot write into %s\n", o.out);
			}
		}
		khp_program_free(&prog);
		if (o.report_every && (i + 1) % o.report_every == 0 && !o.quiet) {
			double t = now() - t0;

			fprintf(stderr, "explore: %lu runs, %.0f runs/s, best", i + 1,
				t > 0 ? (i + 1) / t : 0.0);
			for (size_t p = 0; p < o.nr_profs; p++)
				fprintf(stderr, " %s=%ld", khp_profile_name(&o.profs[p]), best[p].fn);
			fprintf(stderr, "\n");
		}
		if (o.seconds > 0 && (i & 63) == 63 && now() - t0 >= o.seconds) {
			i++;
			break;
		}
	}
	printf("explore: seed %llu, %lu runs, %zu profiles, %lu runs with a rejected op\n",
	       (unsigned long long)o.seed, i, o.nr_profs, rejected);
	print_best(&o, best);
	if (worst_fn > 0 && ret == KHP_EXIT_OK) {
		char path[4096];
		int err;

		mkdir(o.out, 0777);     /* one level, like the fuzz targets' findings dir */
		err = khp_finding_write(o.out, "explore", "khpsim explore: worst finding",
					    &worst, o.profs, o.nr_profs, path, sizeof(path));

		if (err) {
			fprintf(stderr, "khpsim explore: cannot write the finding into %s: %s\n",
				o.out, strerror(-err));
			ret = KHP_EXIT_USAGE;
		} else {
			printf("worst finding: %s\n", path);
			ret = KHP_EXIT_FINDING;
		}
	}
out:
	khp_program_free(&worst);
	for (size_t p = 0; p < o.nr_profs; p++)
		if (w[p])
			khp_world_free(w[p]);
	free(buf);
	return ret;
}
