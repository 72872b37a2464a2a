/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The `khpsim` command: one function per subcommand.  main.c dispatches on
 * argv[1]; each cmd_* gets argc/argv starting at the subcommand name and
 * returns the process exit status:
 *   0 ok, 1 an expectation failed or a finding was made, 2 bad input or usage,
 *   3 (oracle only) a guest kernel did not complete: an infrastructure
 *   failure, not a finding.
 * Every subcommand answers --help on stdout with exit 0.
 */
#ifndef KHPSIM_CLI_H
#define KHPSIM_CLI_H

#define KHP_EXIT_OK      0
#define KHP_EXIT_FINDING 1
#define KHP_EXIT_USAGE   2
#define KHP_EXIT_INFRA   3

int cmd_replay(int argc, char **argv);    /* replay.c */
int cmd_validate(int argc, char **argv);  /* replay.c */
int cmd_run(int argc, char **argv);       /* replay.c */
int cmd_bench(int argc, char **argv);     /* bench.c */
int cmd_explore(int argc, char **argv);   /* explore.c */
int cmd_minimize(int argc, char **argv);  /* minimize.c */
int cmd_emit_c(int argc, char **argv);    /* emit.c */
int cmd_profiles(int argc, char **argv);  /* profiles.c */
/* Compare guest output of emitted reproducers with the model's prediction. */
int cmd_oracle(int argc, char **argv);    /* emit.c */

#endif
