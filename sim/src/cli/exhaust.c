/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `khpsim exhaust`: the bounded exhaustive search (khpsim/exhaust.h,
 * docs/proofs.md) per profile, its certificate, shards and their merge,
 * and the witness lifted to 512 pages per PMD range.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/exhaust.h"
#include "khpsim/knobs.h"
#include "khpsim/parse.h"

static void usage(FILE *f)
{
	fputs("usage: khpsim exhaust [--pmd-pages P] [--mms M] [--ops N] [--grammar core|full]\n"
	      "                      [--profile LIST] [--set KNOB=VALUE]... [--shard I/K]\n"
	      "                      [--json] [--out DIR] [--quiet]\n"
	      "       khpsim exhaust --merge [--json] [--out DIR] DIR...\n"
	      "Run every program of at most N ops (default 4) of the grammar (default core,\n"
	      "docs/proofs.md) over mms 0..M-1 (default 2) at P pages per PMD range (default 8)\n"
	      "under each profile (default linux-6.1,linux-6.12,linux-7.3), each distinct world\n"
	      "expanded once.  Per profile: the largest fn_waste_pages with a witness (and the\n"
	      "witness lifted to 512 pages), the false negatives and false positives, the\n"
	      "states, the time.  --shard I/K runs part I (0-based) of K; --merge unites the\n"
	      "--out directories of all K parts into one certificate (the bounds must agree).\n"
	      "--out DIR writes certificate.json, PROFILE.sets (for --merge) and the witness\n"
	      "scenarios.  Numbers are decimal.\n"
	      "Exit: 0 no false negative, 1 a record with fn_waste_pages > 0, 2 usage or error.\n", f);
}

enum { OPT_PMD = 1000, OPT_MMS, OPT_OPS, OPT_GRAMMAR, OPT_SHARD, OPT_JSON, OPT_MERGE };

static const struct option longopts[] = {
	{ "pmd-pages", required_argument, NULL, OPT_PMD },
	{ "mms", required_argument, NULL, OPT_MMS },
	{ "ops", required_argument, NULL, OPT_OPS },
	{ "grammar", required_argument, NULL, OPT_GRAMMAR },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "merge", no_argument, NULL, OPT_MERGE },
	{ "profile", required_argument, NULL, 'p' },
	{ "profiles", required_argument, NULL, 'p' },
	{ "set", required_argument, NULL, 's' },
	{ "out", required_argument, NULL, 'o' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct args {
	struct khp_knob_settings ks;
	uint64_t pmd_pages;
	struct khp_profile profs[EXHAUST_MAX_PROFILES];
	size_t nr_profs;
	bool merge;
};

/* "I/K" with 0 <= I < K <= 65536. */
static int shard_option(const char *s, struct khp_exhaust_bounds *b)
{
	char *end;
	unsigned long i, k;

	if (*s < '0' || *s > '9')
		return cli_fail("exhaust", "--shard: '%s' is not I/K (0 <= I < K)", s), -EINVAL;
	i = strtoul(s, &end, 10);
	if (*end != '/' || end[1] < '0' || end[1] > '9')
		return cli_fail("exhaust", "--shard: '%s' is not I/K (0 <= I < K)", s), -EINVAL;
	k = strtoul(end + 1, &end, 10);
	if (*end || !k || i >= k || k > 65536)
		return cli_fail("exhaust", "--shard: '%s' is not I/K with 0 <= I < K <= 65536", s),
		       -EINVAL;
	b->shard = (unsigned)i;
	b->nr_shards = (unsigned)k;
	return 0;
}

static int one_option(struct cli *c, int opt, struct exhaust *x, struct args *a)
{
	char msg[256];
	uint64_t n;

	switch (opt) {
	case OPT_PMD:
		return cli_number(c, opt, KHP_PMD_PAGES_MIN, KHP_PMD_PAGES_MAX, &a->pmd_pages);
	case OPT_MMS:
		if (cli_number(c, opt, 1, KHP_EXHAUST_MAX_MMS, &n))
			return -EINVAL;
		x->b.mms = (unsigned)n;
		return 0;
	case OPT_OPS:
		if (cli_number(c, opt, 1, KHP_EXHAUST_MAX_OPS, &n))
			return -EINVAL;
		x->b.ops = (unsigned)n;
		return 0;
	case OPT_GRAMMAR:
		if (khp_exhaust_grammar_parse(c->arg, &x->b.grammar))
			return cli_fail("exhaust", "--grammar: unknown grammar '%s' (core, full)",
					c->arg), -EINVAL;
		return 0;
	case OPT_SHARD:
		return shard_option(c->arg, &x->b);
	case OPT_JSON:
		x->json = true;
		return 0;
	case OPT_MERGE:
		a->merge = true;
		return 0;
	case 'p':
		return cli_profiles(c, opt, a->profs, EXHAUST_MAX_PROFILES, &a->nr_profs);
	case 's':
		if (khp_knob_settings_assign(&a->ks, c->arg, KHP_KNOB_FROM_SET, msg, sizeof(msg)))
			return cli_fail("exhaust", "--set: %s", msg), -EINVAL;
		return 0;
	case 'o':
		x->out = c->arg;
		return 0;
	case 'q':
		x->quiet = true;
		return 0;
	default:
		return -EINVAL;
	}
}

/* The options that reproduce the certificate, in one order. */
static void make_command(struct exhaust *x)
{
	const struct khp_config *c = &x->b.config;
	size_t n = 0, cap = sizeof(x->command);
	char v[64];

	n += (size_t)snprintf(x->command + n, cap - n,
			      "khpsim exhaust --grammar %s --pmd-pages %u --mms %u --ops %u",
			      khp_exhaust_grammar_name(x->b.grammar), c->pmd_pages, x->b.mms,
			      x->b.ops);
	for (unsigned k = KHP_KNOB_MAX_PTES_NONE; k < KHP_NR_KNOBS && n < cap; k++) {
		khp_knob_format((enum khp_knob)k, khp_knob_get(c, (enum khp_knob)k), v, sizeof(v));
		n += (size_t)snprintf(x->command + n, cap - n, " --set %s=%s",
				      khp_knob((enum khp_knob)k)->name, v);
	}
	if (n < cap)
		n += (size_t)snprintf(x->command + n, cap - n, " --profile ");
	for (size_t i = 0; i < x->nr && n < cap; i++)
		n += (size_t)snprintf(x->command + n, cap - n, "%s%s", i ? "," : "",
				      khp_profile_name(&x->p[i].prof));
}

/* Defaults, then the options; 0, 1 (--help done) or CLI_BAD. */
static int parse_args(int argc, char **argv, struct exhaust *x, struct args *a, char ***dirs,
		      int *nr_dirs)
{
	struct cli c;
	char msg[256];
	int opt;

	memset(a, 0, sizeof(*a));
	khp_knob_settings_init(&a->ks);
	a->pmd_pages = 8;
	khp_exhaust_bounds_default(&x->b);
	khp_profile_list_parse("linux-6.1,linux-6.12,linux-7.3", a->profs, EXHAUST_MAX_PROFILES,
			       &a->nr_profs, NULL, 0);
	cli_init(&c, "exhaust", argc, argv, "o:p:s:qh", longopts);
	while ((opt = cli_next(&c)) != -1) {
		if (opt == 'h')
			return usage(stdout), 1;
		if (opt == CLI_BAD || one_option(&c, opt, x, a))
			return CLI_BAD;
	}
	*dirs = cli_operands(&c, nr_dirs);
	if (!a->merge && *nr_dirs)
		return cli_fail("exhaust", "unexpected argument '%s' (directories go with --merge)",
				(*dirs)[0]), CLI_BAD;
	if (a->merge && !*nr_dirs)
		return cli_fail("exhaust", "--merge: no directory given"), CLI_BAD;
	khp_config_default(&x->b.config, (unsigned)a->pmd_pages);
	if (khp_knob_settings_apply(&a->ks, &x->b.config, msg, sizeof(msg)))
		return cli_fail("exhaust", "%s", msg), CLI_BAD;
	if (khp_exhaust_bounds_check(&x->b, msg, sizeof(msg)))
		return cli_fail("exhaust", "%s", msg), CLI_BAD;
	x->nr = a->nr_profs;
	for (size_t i = 0; i < a->nr_profs; i++)
		x->p[i].prof = a->profs[i];
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress(void *arg, unsigned depth, unsigned long states)
{
	const struct exhaust_profile *p = arg;

	fprintf(stderr, "exhaust: %s: depth %u done, %lu states\n", khp_profile_name(&p->prof),
		depth, states);
}

static int search(struct exhaust *x)
{
	char msg[256];

	for (size_t i = 0; i < x->nr; i++) {
		struct exhaust_profile *p = &x->p[i];
		double t0 = now();
		int ret = khp_exhaust_run(&x->b, &p->prof, x->quiet ? NULL : progress, p, &p->r, msg,
					  sizeof(msg));

		if (ret)
			return cli_fail("exhaust", "%s: %s", khp_profile_name(&p->prof), msg);
		p->seconds = now() - t0;
	}
	return 0;
}

int cmd_exhaust(int argc, char **argv)
{
	struct exhaust *x = calloc(1, sizeof(*x));
	struct args a;
	char **dirs;
	int nr_dirs, ret, status = KHP_EXIT_OK;

	if (!x)
		return cli_fail("exhaust", "out of memory");
	ret = parse_args(argc, argv, x, &a, &dirs, &nr_dirs);
	if (ret) {
		free(x);
		return ret == 1 ? KHP_EXIT_OK : KHP_EXIT_USAGE;
	}
	ret = a.merge ? exhaust_merge_dirs(x, dirs, nr_dirs) : search(x);
	if (!ret) {
		make_command(x);
		for (size_t i = 0; i < x->nr; i++)
			exhaust_lift(x, &x->p[i]);
		if (x->out)
			ret = exhaust_write(x);
	}
	if (!ret)
		exhaust_print(x);
	for (size_t i = 0; i < x->nr; i++) {
		if (x->p[i].r.max_fn_waste > 0)
			status = KHP_EXIT_FINDING;
		khp_exhaust_result_free(&x->p[i].r);
	}
	free(x);
	return ret ? KHP_EXIT_USAGE : status;
}
