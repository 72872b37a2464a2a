/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `khpsim validate`: the scenario reader's checks on each file, without
 * running anything.
 */
#include <stdio.h>

#include "cli/cli.h"

static void usage(FILE *f)
{
	fputs("usage: khpsim validate [--quiet] [--] FILE...\n"
	      "\n"
	      "Parse each scenario strictly and check its config, ops and expectations\n"
	      "without running it.  Errors name the file, the JSON path and the reason.\n"
	      "FILE may be - for standard input.\n"
	      "\n"
	      "Exit status: 0 all files valid, 2 a file is invalid or unreadable, a usage\n"
	      "error or a write error.\n", f);
}

static const struct option longopts[] = {
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int validate_file(const char *file, bool quiet)
{
	struct khp_scenario sc;
	char err[512];
	int rc;

	khp_scenario_init(&sc);
	rc = khp_scenario_load_file(file, &sc, err, sizeof(err));
	if (rc == KHP_SCENARIO_NOT_SCENARIO) {
		if (!quiet)
			printf("%s\n", err);
		rc = 0;
	} else if (rc) {
		fprintf(stderr, "%s\n", err);        /* the reader escaped it */
	} else if (!quiet) {
		cli_text(stdout, file);
		printf(": ok (%zu ops, %zu profiles, %zu expectations)\n", sc.program.nr_ops,
		       sc.nr_profiles, sc.nr_expects);
	}
	khp_scenario_free(&sc);
	return rc ? KHP_EXIT_USAGE : KHP_EXIT_OK;
}

int cmd_validate(int argc, char **argv)
{
	bool quiet = false;
	int status = KHP_EXIT_OK, opt, nr;
	struct cli c;
	char **files;

	cli_init(&c, "validate", argc, argv, "qh", longopts);
	while ((opt = cli_next(&c)) != -1) {
		if (opt == 'q') {
			quiet = true;
		} else if (opt == 'h') {
			usage(stdout);
			return KHP_EXIT_OK;
		} else {
			return KHP_EXIT_USAGE;
		}
	}
	files = cli_operands(&c, &nr);
	if (!nr)
		return cli_fail("validate", "no scenario file given (khpsim validate --help)");
	for (int i = 0; i < nr; i++)
		if (validate_file(files[i], quiet))
			status = KHP_EXIT_USAGE;
	return status;
}
