/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `khpsim run`: what-if.  One scenario under other profiles and/or knob
 * values (--set KNOB=VALUE, the knob table of khpsim/knobs.h), reported
 * like replay but without checking expectations, which were written for
 * the scenario's own config.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "khpsim/knobs.h"

static void usage(FILE *f)
{
	fputs("usage: khpsim run [--json] [--check] [--quiet] [--profile P[,P...]]\n"
	      "                  [--set KNOB=VALUE]... [--] FILE\n"
	      "\n"
	      "What-if: run one scenario under other profiles and/or knob values and\n"
	      "report it like replay.  Expectations are NOT checked, since they were\n"
	      "written for the scenario's own config.\n"
	      "\n"
	      "Knobs: max_ptes_none, max_ptes_swap, max_ptes_shared (0..pmd_pages-1),\n"
	      "  thp (never|madvise|always), use_zero_page, swap, shrink_underused\n"
	      "  (1|0|true|false|yes|no|on|off), pmd_pages (power of two 8..512; the\n"
	      "  program must still fit), mthp_orders (comma-separated orders, or none).\n"
	      "  Numbers are decimal.  The order of --set options does not matter: a knob\n"
	      "  you set keeps its value; with pmd_pages, the PTE limits you do not set\n"
	      "  that sit at their old default follow the new default.\n"
	      "\n"
	      "Exit status: 0 ran, 2 bad input, usage error, a program error or a write\n"
	      "error.\n", f);
}

enum { OPT_JSON = 1000, OPT_CHECK };

static const struct option longopts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "quiet", no_argument, NULL, 'q' },
	{ "profile", required_argument, NULL, 'p' },
	{ "set", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* 0, 1 (--help done) or CLI_BAD. */
static int parse_args(struct cli *c, struct cli_report_opts *o, struct khp_knob_settings *ks)
{
	char msg[256];
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
		case 's':
			if (khp_knob_settings_assign(ks, c->arg, KHP_KNOB_FROM_SET, msg, sizeof(msg))) {
				cli_fail(c->cmd, "%s", msg);
				return CLI_BAD;
			}
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

/* The --set knobs applied to sc's program (khp_knob_settings_apply_program()). */
static int apply_knobs(const char *file, struct khp_scenario *sc,
		       const struct khp_knob_settings *ks)
{
	char msg[320];

	if (khp_knob_settings_apply_program(ks, &sc->program, msg, sizeof(msg)))
		return cli_fail("run", "%s: after --set: %s", file, msg);
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct cli_report_opts o = { .cmd = "run" };
	struct khp_knob_settings ks;
	struct khp_scenario sc;
	struct cli_report r;
	struct cli c;
	char **files, err[512];
	int nr, status;

	khp_knob_settings_init(&ks);
	cli_init(&c, "run", argc, argv, "qp:s:h", longopts);
	status = parse_args(&c, &o, &ks);
	if (status)
		return status == 1 ? KHP_EXIT_OK : KHP_EXIT_USAGE;
	files = cli_operands(&c, &nr);
	if (nr != 1)
		return cli_fail("run", nr ? "one scenario file only" : "no scenario file given");
	khp_scenario_init(&sc);
	if (khp_scenario_load_file(files[0], &sc, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		status = KHP_EXIT_USAGE;
	} else if (apply_knobs(files[0], &sc, &ks)) {
		status = KHP_EXIT_USAGE;
	} else {
		cli_report_begin(&o, &r);
		status = cli_run_and_report(files[0], &sc, &o, &r);
		cli_report_end(&o, &r);
	}
	khp_scenario_free(&sc);
	return status;
}
