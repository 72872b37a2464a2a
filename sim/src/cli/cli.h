/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The `khpsim` command: one function per subcommand.  main.c dispatches on
 * argv[1]; each cmd_* gets argc/argv starting at the subcommand name and
 * returns the process exit status:
 *   0 ok, 1 an expectation failed or a finding was made, 2 bad input or usage,
 *   3 (oracle only) a guest kernel did not complete: an infrastructure
 *   failure, not a finding.
 * Every subcommand answers --help on stdout with exit 0, and reads its
 * options with getopt_long (options.c): `--opt=value` and `--opt value`
 * both work, `--` ends the options, and an unknown option or a missing
 * value exits 2 with one line naming the option.  main() turns a write
 * error on standard output into exit 2.
 */
#ifndef KHPSIM_CLI_H
#define KHPSIM_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "khpsim/khpsim.h"
#include "khpsim/scenario.h"

#define KHP_EXIT_OK      0
#define KHP_EXIT_FINDING 1
#define KHP_EXIT_USAGE   2
#define KHP_EXIT_INFRA   3

int cmd_replay(int argc, char **argv);    /* replay.c */
int cmd_validate(int argc, char **argv);  /* validate.c */
int cmd_run(int argc, char **argv);       /* run.c */
int cmd_bench(int argc, char **argv);     /* bench.c */
int cmd_explore(int argc, char **argv);   /* explore.c */
int cmd_exhaust(int argc, char **argv);   /* exhaust.c */
int cmd_minimize(int argc, char **argv);  /* minimize.c */
int cmd_emit_c(int argc, char **argv);    /* emit.c */
int cmd_profiles(int argc, char **argv);  /* profiles.c */
int cmd_sweep(int argc, char **argv);     /* sweep.c */
/* Compare guest output of emitted reproducers with the model's prediction. */
int cmd_oracle(int argc, char **argv);    /* emit.c */

/* ---- options.c: options and messages ------------------------------------ */

/* getopt_long over one subcommand's argv. */
struct cli {
	const char *cmd;                  /* "replay": messages start "khpsim replay: " */
	int argc;
	char **argv;
	const char *shortopts;
	const struct option *longopts;
	const char *arg;                  /* the value of the option cli_next() returned */
};

#define CLI_BAD (-2)                      /* cli_next(): a usage error was printed */

void cli_init(struct cli *c, const char *cmd, int argc, char **argv, const char *shortopts,
	      const struct option *longopts);
/* The next option's val, -1 after the last option (operands from cli_operands()), or CLI_BAD. */
int cli_next(struct cli *c);
/* The operands after the options (argv[optind..]); *nr their number. */
char **cli_operands(const struct cli *c, int *nr);
/* How messages name the option val ("--runs", "-o"). */
const char *cli_optname(const struct cli *c, int val, char *buf, size_t n);

/* "khpsim CMD: message" (escaped for the terminal) on stderr; returns KHP_EXIT_USAGE. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* c->arg as a decimal number in min..max, or a message naming the option; 0 or -EINVAL. */
int cli_number(const struct cli *c, int val, uint64_t min, uint64_t max, uint64_t *out);
/* c->arg as a decimal fraction in min..max. */
int cli_decimal(const struct cli *c, int val, double min, double max, double *out);
/* c->arg as a profile list (none twice, at most max). */
int cli_profiles(const struct cli *c, int val, struct khp_profile *out, size_t max, size_t *nr);
/* s on f, escaped for a terminal. */
void cli_text(FILE *f, const char *s);

/* ---- report.c: running a scenario and reporting it (replay and run) ---- */

struct cli_report_opts {
	const char *cmd;
	bool json;
	bool check;                /* invariant checker after every op */
	bool quiet;                /* only the summary line per file */
	bool check_expect;         /* compare the expectations (replay) */
	struct khp_profile profiles[KHP_SCENARIO_MAX_PROFILES];
	size_t nr_profiles;        /* 0: the scenario's own */
};

/* Report state across the files of one command. */
struct cli_report {
	bool legend_done;
	bool first_json;
};

void cli_report_begin(const struct cli_report_opts *o, struct cli_report *r);
void cli_report_end(const struct cli_report_opts *o, struct cli_report *r);
/* A file that could not be read: its error (and a JSON entry). */
void cli_report_load_error(const struct cli_report_opts *o, struct cli_report *r,
			   const char *file, const char *err);
/* Run sc (profiles overridden by o) and report; the exit status for this file. */
int cli_run_and_report(const char *file, struct khp_scenario *sc, const struct cli_report_opts *o,
		       struct cli_report *r);

#endif
