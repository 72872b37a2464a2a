/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The `khpsim` command: dispatch argv[1] to the cmd_* function of cli.h.
 * `khpsim --help` lists the subcommands, `khpsim help CMD` (or
 * `khpsim CMD --help`) prints a subcommand's own help, `khpsim --version`
 * the project version.  Whatever the command, a write error on standard
 * output (a full disk, a closed pipe) is exit status 2 with a message.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#ifndef KHP_VERSION
#define KHP_VERSION "unknown"
#endif

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
	{ "exhaust", cmd_exhaust, "every program within bounds: maxima, witnesses, a certificate" },
	{ "minimize", cmd_minimize, "shrink a scenario while a finding still holds" },
	{ "profiles", cmd_profiles, "the rules of each profile, their values and kernel sources" },
	{ "bench", cmd_bench, "time the simulator on generated programs" },
	{ "emit-c", cmd_emit_c, "write a C reproducer that runs a scenario on a real kernel" },
	{ "oracle", cmd_oracle, "compare real-kernel reproducer output with the model" },
	{ "sweep", cmd_sweep, "a scenario or a search over a grid of knobs or rules: CSV, JSON, heatmaps" },
};

#define NR_CMDS (sizeof(khp_cmds) / sizeof(khp_cmds[0]))

static void usage(FILE *f)
{
	size_t i;

	fputs("usage: khpsim COMMAND [ARGS...]\n"
	      "       khpsim help COMMAND | khpsim COMMAND --help | khpsim --version\n"
	      "\n"
	      "A khugepaged collapse-policy simulator (Linux 6.1, 6.12, 7.3 and an exact\n"
	      "per-page oracle).\n"
	      "\n"
	      "Commands:\n", f);
	for (i = 0; i < NR_CMDS; i++)
		fprintf(f, "  %-10s %s\n", khp_cmds[i].name, khp_cmds[i].summary);
	fputs("\nExit status: 0 ok, 1 an expectation failed or a finding was made,\n"
	      "2 bad input, usage error or a write error, 3 (oracle) a guest kernel did\n"
	      "not complete.\n", f);
}

static const struct khp_cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NR_CMDS; i++)
		if (!strcmp(khp_cmds[i].name, name))
			return &khp_cmds[i];
	return NULL;
}

/* The status of cmd, or 2 if standard output could not be written. */
static int finish(int status)
{
	int bad = ferror(stdout), err = 0;

	if (fflush(stdout)) {
		bad = 1;
		err = errno;
	}
	if (fclose(stdout) && !bad) {
		bad = 1;
		err = errno;
	}
	if (!bad)
		return status;
	fprintf(stderr, "khpsim: write error on standard output%s%s\n", err ? ": " : "",
		err ? strerror(err) : "");
	return KHP_EXIT_USAGE;
}

/* `khpsim help CMD`: the command's own --help. */
static int help(int argc, char **argv)
{
	const struct khp_cmd *cmd;
	char opt[] = "--help";
	char *sub[3];

	if (argc < 3) {
		usage(stdout);
		return KHP_EXIT_OK;
	}
	cmd = find_cmd(argv[2]);
	if (!cmd) {
		fprintf(stderr, "khpsim: unknown command \"%s\" (khpsim --help lists them)\n",
			argv[2]);
		return KHP_EXIT_USAGE;
	}
	sub[0] = argv[2];
	sub[1] = opt;
	sub[2] = NULL;
	return cmd->fn(2, sub);
}

static int dispatch(int argc, char **argv)
{
	const struct khp_cmd *cmd;

	if (argc < 2) {
		usage(stderr);
		return KHP_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return KHP_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("khpsim %s\n", KHP_VERSION);
		return KHP_EXIT_OK;
	}
	if (!strcmp(argv[1], "help"))
		return help(argc, argv);
	cmd = find_cmd(argv[1]);
	if (!cmd) {
		fprintf(stderr, "khpsim: unknown command \"%s\" (khpsim --help lists them)\n",
			argv[1]);
		return KHP_EXIT_USAGE;
	}
	return cmd->fn(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	return finish(dispatch(argc, argv));
}
