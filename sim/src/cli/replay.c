/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `khpsim replay`: run every profile of each scenario, print a table per
 * khugepaged / collapse step (or --json records) and check the
 * expectations (docs/scenario-format.md).
 *
 * Exit status (cli.h): 0 ok, 1 an expectation failed, 2 bad input, usage
 * error or a program error (an op the kernel would refuse).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

static void usage(FILE *f)
{
	fputs("usage: khpsim replay [--json] [--profile P[,P...]] [--check] [--quiet] [--] FILE...\n"
	      "\n"
	      "Run each scenario (format 1, docs/scenario-format.md) under every profile it\n"
	      "names and print, per khugepaged / collapse step, the PMD map of the range\n"
	      "before the step and a table of the profiles side by side; then the totals\n"
	      "after the program and the expectation mismatches.\n"
	      "\n"
	      "  --json           one JSON document with the records of every run\n"
	      "  --profile LIST   run these profiles instead (linux-6.1, linux-6.12,\n"
	      "                   linux-7.3, each optionally +exact; none twice);\n"
	      "                   expectations of other profiles are skipped\n"
	      "  --check          run the world invariant checker after every op\n"
	      "  --quiet          only the expectation summary per file\n"
	      "  FILE             a scenario file, or - for standard input\n"
	      "\n"
	      "Long runs print progress lines on standard error.\n"
	      "Exit status: 0 all expectations hold, 1 an expectation failed,\n"
	      "2 bad input, usage error, a program error (an op the kernel refuses)\n"
	      "or a write error.\n", f);
}

enum { OPT_JSON = 1000, OPT_CHECK };

static const struct option longopts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "quiet", no_argument, NULL, 'q' },
	{ "profile", required_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* 0, 1 (--help done) or CLI_BAD. */
static int parse_args(struct cli *c, struct cli_report_opts *o)
{
	int opt;

	while ((opt = cli_next(c)) != -1) {
		switch (opt) {
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_CHECK:
			o->check = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'p':
			if (cli_profiles(c, opt, o->profiles, KHP_SCENARIO_MAX_PROFILES,
					 &o->nr_profiles))
				return CLI_BAD;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return CLI_BAD;
		}
	}
	return 0;
}

static int worse(int a, int b)
{
	return a > b ? a : b;
}

int cmd_replay(int argc, char **argv)
{
	struct cli_report_opts o = { .cmd = "replay", .check_expect = true };
	struct cli_report r;
	struct cli c;
	char **files;
	int nr_files, status = KHP_EXIT_OK, rc;

	cli_init(&c, "replay", argc, argv, "qp:h", longopts);
	rc = parse_args(&c, &o);
	if (rc)
		return rc == 1 ? KHP_EXIT_OK : KHP_EXIT_USAGE;
	files = cli_operands(&c, &nr_files);
	if (!nr_files)
		return cli_fail("replay", "no scenario file given (khpsim replay --help)");
	cli_report_begin(&o, &r);
	for (int i = 0; i < nr_files; i++) {
		struct khp_scenario sc;
		char err[512];

		khp_scenario_init(&sc);
		rc = khp_scenario_load_file(files[i], &sc, err, sizeof(err));
		if (rc == KHP_SCENARIO_NOT_SCENARIO) {
			if (!o.json)
				printf("%s\n", err);
		} else if (rc) {
			cli_report_load_error(&o, &r, files[i], err);
			status = worse(status, KHP_EXIT_USAGE);
		} else {
			status = worse(status, cli_run_and_report(files[i], &sc, &o, &r));
		}
		khp_scenario_free(&sc);
	}
	cli_report_end(&o, &r);
	return status;
}
