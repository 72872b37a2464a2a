/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `khpsim minimize FILE [-o OUT]`: shrink a finding scenario while the
 * profile that had it keeps a false_negative with fn_waste_pages not lower
 * than before (minimize.h), then write it with expectations refreshed from
 * its own runs, so `khpsim replay OUT` exits 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "khpsim/minimize.h"
#include "khpsim/scenario.h"

static void usage(FILE *f)
{
	fputs("usage: khpsim minimize FILE [-o OUT] [--max-runs N] [--quiet]\n"
	      "Delta-debug the program of scenario FILE (drop ops in chunks, shrink page\n"
	      "counts, lower addresses, clear flags) while the profile with the largest\n"
	      "fn_waste_pages keeps a false_negative at least that large and every profile\n"
	      "runs the program cleanly.  Writes the result to OUT (default: stdout).\n"
	      "Exit: 0 written, 2 bad input or no finding in FILE.\n", f);
}

int cmd_minimize(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	struct khp_min_opts mo = { .max_runs = 0, .log = stderr };
	struct khp_min_stats st;
	struct khp_scenario sc;
	char err[1024];
	int ret;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return KHP_EXIT_OK;
		} else if ((!strcmp(a, "-o") || !strcmp(a, "--out")) && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(a, "--max-runs") && i + 1 < argc) {
			char *end;

			mo.max_runs = strtoul(argv[++i], &end, 0);
			if (*end || !mo.max_runs) {
				fprintf(stderr, "khpsim minimize: --max-runs needs a positive number\n");
				return KHP_EXIT_USAGE;
			}
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			mo.log = NULL;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "khpsim minimize: unknown argument \"%s\"\n", a);
			usage(stderr);
			return KHP_EXIT_USAGE;
		} else if (!in) {
			in = a;
		} else {
			fprintf(stderr, "khpsim minimize: only one FILE\n");
			return KHP_EXIT_USAGE;
		}
	}
	if (!in) {
		usage(stderr);
		return KHP_EXIT_USAGE;
	}
	khp_scenario_init(&sc);
	ret = khp_scenario_load_file(in, &sc, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "khpsim minimize: %s\n", err);
		khp_scenario_free(&sc);
		return KHP_EXIT_USAGE;
	}
	ret = khp_minimize(&sc, &mo, &st);
	if (ret == -ENOENT) {
		fprintf(stderr, "khpsim minimize: %s: no false_negative with fn_waste_pages > 0 "
			"under its profiles: nothing to keep\n", in);
	} else if (ret == -EINVAL) {
		fprintf(stderr, "khpsim minimize: %s: the program does not run cleanly under "
			"every profile (replay it to see the error)\n", in);
	} else if (ret) {
		fprintf(stderr, "khpsim minimize: %s: %s\n", in, strerror(-ret));
	}
	if (ret) {
		khp_scenario_free(&sc);
		return KHP_EXIT_USAGE;
	}
	fprintf(stderr, "khpsim minimize: %s: %zu -> %zu ops, %s fn_waste_pages %ld, %lu runs\n",
		in, st.ops_before, st.ops_after, khp_profile_name(&st.profile), st.fn_waste, st.runs);
	if (out)
		ret = khp_scenario_write_file(out, &sc);
	else
		ret = khp_scenario_write(stdout, &sc);
	if (ret)
		fprintf(stderr, "khpsim minimize: cannot write %s\n", out ? out : "stdout");
	khp_scenario_free(&sc);
	return ret ? KHP_EXIT_USAGE : KHP_EXIT_OK;
}
