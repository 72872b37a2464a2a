/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The `khpsim` command: dispatch argv[1] to the cmd_* function of cli.h.
 * `khpsim --help` lists the subcommands, `khpsim help CMD` (or
 * `khpsim CMD --help`) prints a subcommand's own help.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct khp_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct khp_cmd khp_cmds[] = {
	{ "replay", cmd_replay, "run scenario files under their profiles, report, check expectations" },
	{ "validate", cmd_validate, "parse and check scenario files without running them" },
	{ "run", cmd_run, "what-if: a scenario under other profiles or knob values" },
	{ "explore", cmd_explore, "search random programs (pcg32 streams) for false negatives" },
	{ "minimize", cmd_minimize, "shrink a scenario while a finding still holds" },
	{ "profiles", cmd_profiles, "the rules of each profile, their values and kernel sources" },
	{ "bench", cmd_bench, "time the simulator on generated programs" },
	{ "emit-c", cmd_emit_c, "write a C reproducer that runs a scenario on a real kernel" },
	{ "oracle", cmd_oracle, "compare real-kernel reproducer output with the model" },
};

#define NR_CMDS (sizeof(khp_cmds) / sizeof(khp_cmds[0]))

static void usage(FILE *f)
{
	size_t i;

	fputs("usage: khpsim COMMAND [ARGS...]\n"
	      "       khpsim help COMMAND | khpsim COMMAND --help\n"
	      "\n"
	      "A khugepaged collapse-policy simulator (Linux 6.1, 6.12, 7.3 and an exact\n"
	      "per-page oracle).\n"
	      "\n"
	      "Commands:\n", f);
	for (i = 0; i < NR_CMDS; i++)
		fprintf(f, "  %-10s %s\n", khp_cmds[i].name, khp_cmds[i].summary);
	fputs("\nExit status: 0 ok, 1 an expectation failed or a finding was made,\n"
	      "2 bad input or usage error, 3 (oracle) a guest kernel did not complete.\n", f);
}

static const struct khp_cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NR_CMDS; i++)
		if (!strcmp(khp_cmds[i].name, name))
			return &khp_cmds[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct khp_cmd *cmd;
	int ret;

	if (argc < 2) {
		usage(stderr);
		return KHP_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return KHP_EXIT_OK;
	}
	if (!strcmp(argv[1], "help")) {
		char help[] = "--help";
		char *sub[3];

		if (argc < 3) {
			usage(stdout);
			return KHP_EXIT_OK;
		}
		cmd = find_cmd(argv[2]);
		if (!cmd) {
			fprintf(stderr, "khpsim: unknown command \"%s\"\n", argv[2]);
			usage(stderr);
			return KHP_EXIT_USAGE;
		}
		sub[0] = argv[2];
		sub[1] = help;
		sub[2] = NULL;
		return cmd->fn(2, sub);
	}
	cmd = find_cmd(argv[1]);
	if (!cmd) {
		fprintf(stderr, "khpsim: unknown command \"%s\"\n", argv[1]);
		usage(stderr);
		return KHP_EXIT_USAGE;
	}
	ret = cmd->fn(argc - 1, argv + 1);
	/* a write error on stdout (a full disk, a closed pipe) is an error of the command */
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "khpsim: error writing the output\n");
		return KHP_EXIT_USAGE;
	}
	return ret;
}
