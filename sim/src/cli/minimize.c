/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `khpsim minimize FILE [-o OUT]`: shrink a finding scenario while the
 * profile that had it keeps a false_negative with fn_waste_pages not lower
 * than before (minimize.h), then write it with expectations refreshed from
 * its own runs, so `khpsim replay OUT` exits 0.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "khpsim/minimize.h"

static void usage(FILE *f)
{
	fputs("usage: khpsim minimize [-o OUT] [--max-runs N] [--profile P[,P...]] [--quiet]\n"
	      "                       [--] FILE\n"
	      "Delta-debug the program of scenario FILE (drop ops in chunks, shrink page\n"
	      "counts, lower addresses, clear flags) while the profile with the largest\n"
	      "fn_waste_pages keeps a false_negative at least that large and every profile\n"
	      "runs the program cleanly.  Writes the result to OUT (default: stdout).\n"
	      "--max-runs: property evaluations at most (decimal, 1..10^9; default 20000).\n"
	      "--profile: minimise under these profiles instead of FILE's (linux-6.1,\n"
	      "linux-6.12, linux-7.3, each optionally +exact; none twice); OUT names them.\n"
	      "Exit: 0 written, 2 bad input, no finding in FILE, usage or a write error.\n", f);
}

enum { OPT_MAX_RUNS = 1000 };

static const struct option longopts[] = {
	{ "out", required_argument, NULL, 'o' },
	{ "max-runs", required_argument, NULL, OPT_MAX_RUNS },
	{ "profile", required_argument, NULL, 'p' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* --profile's list, when given, replaces the scenario's */
struct min_profiles {
	struct khp_profile p[KHP_SCENARIO_MAX_PROFILES];
	size_t nr;
};

/* 0, 1 (--help done) or CLI_BAD; *in the one operand. */
static int parse_args(struct cli *c, struct khp_min_opts *mo, struct min_profiles *profs,
		      const char **out, const char **in)
{
	uint64_t n;
	char **ops;
	int opt, nr;

	while ((opt = cli_next(c)) != -1) {
		switch (opt) {
		case 'o':
			*out = c->arg;
			break;
		case OPT_MAX_RUNS:
			if (cli_number(c, opt, 1, 1000000000, &n))
				return CLI_BAD;
			mo->max_runs = (unsigned long)n;
			break;
		case 'p':
			if (cli_profiles(c, opt, profs->p, KHP_SCENARIO_MAX_PROFILES, &profs->nr))
				return CLI_BAD;
			break;
		case 'q':
			mo->log = NULL;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return CLI_BAD;
		}
	}
	ops = cli_operands(c, &nr);
	if (nr != 1)
		return cli_fail(c->cmd, nr ? "only one FILE" : "no scenario file given"), CLI_BAD;
	*in = ops[0];
	return 0;
}

static int explain(const char *in, int ret)
{
	if (ret == -ENOENT)
		return cli_fail("minimize", "%s: no false_negative with fn_waste_pages > 0 "
				"under its profiles: nothing to keep", in);
	if (ret == -EINVAL)
		return cli_fail("minimize", "%s: the program does not run cleanly under every "
				"profile (replay it to see the error)", in);
	return cli_fail("minimize", "%s: %s", in, strerror(-ret));
}

/* The result to OUT or stdout (a write error on stdout is main()'s to report). */
static int write_result(const struct khp_scenario *sc, const char *out)
{
	char err[512];
	int ret;

	errno = 0;
	ret = out ? khp_scenario_write_file(out, sc) : khp_scenario_write(stdout, sc);
	if (ret == -EIO && !out)
		return KHP_EXIT_USAGE;

	if (ret == -EINVAL && !khp_scenario_validate(sc, err, sizeof(err)))
		snprintf(err, sizeof(err), "invalid scenario");
	if (ret == -EINVAL)
		return cli_fail("minimize", "refusing to write a scenario khpsim would not read: %s",
				err);
	if (ret)
		return cli_fail("minimize", "cannot write %s: %s", out,
				strerror(ret == -EIO && errno ? errno : -ret));
	return KHP_EXIT_OK;
}

int cmd_minimize(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	struct khp_min_opts mo = { .max_runs = 0, .log = stderr };
	struct min_profiles profs = { .nr = 0 };
	struct khp_min_stats st;
	struct khp_scenario sc;
	struct cli c;
	char err[1024];
	int ret;

	cli_init(&c, "minimize", argc, argv, "o:p:qh", longopts);
	ret = parse_args(&c, &mo, &profs, &out, &in);
	if (ret)
		return ret == 1 ? KHP_EXIT_OK : KHP_EXIT_USAGE;
	khp_scenario_init(&sc);
	ret = khp_scenario_load_file(in, &sc, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "khpsim minimize: %s\n", err);
		khp_scenario_free(&sc);
		return KHP_EXIT_USAGE;
	}
	if (profs.nr) {
		memcpy(sc.profiles, profs.p, profs.nr * sizeof(profs.p[0]));
		sc.nr_profiles = profs.nr;
	}
	ret = khp_minimize(&sc, &mo, &st);
	if (ret) {
		khp_scenario_free(&sc);
		return explain(in, ret);
	}
	fprintf(stderr, "khpsim minimize: ");
	cli_text(stderr, in);
	fprintf(stderr, ": %zu -> %zu ops, %s fn_waste_pages %ld, %lu runs\n", st.ops_before,
		st.ops_after, khp_profile_name(&st.profile), st.fn_waste, st.runs);
	ret = write_result(&sc, out);
	khp_scenario_free(&sc);
	return ret;
}
