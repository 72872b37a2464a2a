/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `khpsim sweep`: one scenario (or a search) at every point of a grid of
 * one or two knobs or rules (khpsim/sweep.h), under each profile; writes
 * DIR/sweep.csv and DIR/sweep.json, and with --plot runs scripts/plot for
 * one heatmap per profile (docs/sweeps.md).
 */
#include <errno.h>
#include <stddef.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cli/cli.h"
#include "khpsim/knobs.h"
#include "khpsim/parse.h"
#include "khpsim/sweep.h"
#include "khpsim/sweep_search.h"

#ifndef KHP_PLOT_SCRIPT
#define KHP_PLOT_SCRIPT "scripts/plot"
#endif

extern char **environ;

static void usage(FILE *f)
{
	fputs("usage: khpsim sweep --knob NAME=FROM:TO:STEP|NAME=v1,v2,... [--knob ...]\n"
	      "                    [--profile LIST] [--out DIR] [--set KNOB=VALUE]...\n"
	      "                    [--plot] [--check] [--quiet]\n"
	      "                    [--search explore [--runs N] [--seed S] [--bytes B]]\n"
	      "                    [--search exhaust [--ops N] [--mms M] [--grammar G]] [FILE]\n"
	      "\n"
	      "Run the scenario FILE at every point of a grid of one or two axes (--knob:\n"
	      "a knob of `khpsim run --set`, or a rule of `khpsim profiles`) under every\n"
	      "profile (default linux-6.1,linux-6.12,linux-7.3) and write DIR/sweep.csv and\n"
	      "DIR/sweep.json (DIR default .).  FROM:TO:STEP is FROM, FROM+STEP, ... up to\n"
	      "TO; a list is comma-separated (mthp_orders: separated by ';').  Values are\n"
	      "checked like --set and \"+RULE=VALUE\" profiles, every point before the\n"
	      "first run; at most 512 values per axis and 4096 grid points.  --set fixes\n"
	      "other knobs.  With --search explore each point is the worst fn_waste_pages\n"
	      "of N explore runs (default 1000, seed S default 1, the same at every point);\n"
	      "FILE then only gives the base config and may be left out.  With --search\n"
	      "exhaust each point is the maximum fn_waste_pages of `khpsim exhaust` with the\n"
	      "point's config (default 4 ops, 2 mms, grammar core; set pmd_pages small, e.g.\n"
	      "--set pmd_pages=8; the runs column counts its states).  --plot draws\n"
	      "DIR/sweep-PROFILE.png and .svg with scripts/plot (python3-matplotlib;\n"
	      "KHP_PLOT names another script).\n"
	      "\n"
	      "Exit status: 0 written, 2 bad input, usage error, a plot or write error.\n", f);
}

enum { OPT_CHECK = 1000, OPT_PLOT, OPT_SEARCH, OPT_RUNS, OPT_SEED, OPT_BYTES, OPT_OPS, OPT_MMS,
       OPT_GRAMMAR };

static const struct option longopts[] = {
	{ "knob", required_argument, NULL, 'k' },
	{ "profile", required_argument, NULL, 'p' },
	{ "profiles", required_argument, NULL, 'p' },
	{ "out", required_argument, NULL, 'o' },
	{ "set", required_argument, NULL, 's' },
	{ "plot", no_argument, NULL, OPT_PLOT },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "search", required_argument, NULL, OPT_SEARCH },
	{ "runs", required_argument, NULL, OPT_RUNS },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "bytes", required_argument, NULL, OPT_BYTES },
	{ "ops", required_argument, NULL, OPT_OPS },
	{ "mms", required_argument, NULL, OPT_MMS },
	{ "grammar", required_argument, NULL, OPT_GRAMMAR },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct sweep_opts {
	struct khp_sweep s;
	const char *out;
	const char *search;        /* NULL: the scenario itself */
	bool plot, check, quiet, budget_given;
	bool exhaust_given;        /* --ops, --mms or --grammar */
	struct khp_sweep_explore explore;
	struct khp_sweep_exhaust exhaust;
};

/* The searches of --search: one evaluator each, and where its options live. */
static const struct {
	const char *name;
	int (*eval)(void *, const struct khp_program *, const struct khp_profile *,
		    struct khp_sweep_result *, char *, size_t);
	size_t arg;                /* offset of its options in struct sweep_opts */
} searches[] = {
	{ "explore", khp_sweep_eval_explore, offsetof(struct sweep_opts, explore) },
	{ "exhaust", khp_sweep_eval_exhaust, offsetof(struct sweep_opts, exhaust) },
};

#define NR_SEARCHES (sizeof(searches) / sizeof(searches[0]))

static int number(struct cli *c, int opt, struct sweep_opts *o)
{
	uint64_t n;

	switch (opt) {
	case OPT_OPS:
		o->exhaust_given = true;
		if (cli_number(c, opt, 1, KHP_EXHAUST_MAX_OPS, &n))
			return CLI_BAD;
		o->exhaust.ops = (unsigned)n;
		return 0;
	case OPT_MMS:
		o->exhaust_given = true;
		if (cli_number(c, opt, 1, KHP_EXHAUST_MAX_MMS, &n))
			return CLI_BAD;
		o->exhaust.mms = (unsigned)n;
		return 0;
	case OPT_RUNS:
		if (cli_number(c, opt, 1, 1ull << 32, &n))
			return CLI_BAD;
		o->explore.runs = (unsigned long)n;
		o->budget_given = true;
		return 0;
	case OPT_SEED:
		o->budget_given = true;
		return cli_number(c, opt, 0, UINT64_MAX, &o->explore.seed) ? CLI_BAD : 0;
	default:                       /* OPT_BYTES */
		if (cli_number(c, opt, 1, 1u << 16, &n))
			return CLI_BAD;
		o->explore.max_bytes = (unsigned)n;
		o->budget_given = true;
		return 0;
	}
}

/* One option; 0, 1 (--help done) or CLI_BAD. */
static int one_option(struct cli *c, int opt, struct sweep_opts *o)
{
	char msg[512];

	switch (opt) {
	case 'k':
		if (khp_sweep_add_axis(&o->s, c->arg, msg, sizeof(msg)))
			return cli_fail(c->cmd, "%s", msg), CLI_BAD;
		return 0;
	case 's':
		if (khp_knob_settings_assign(&o->s.fixed, c->arg, KHP_KNOB_FROM_SET, msg, sizeof(msg)))
			return cli_fail(c->cmd, "%s", msg), CLI_BAD;
		return 0;
	case 'p':
		return cli_profiles(c, opt, o->s.profiles, KHP_SWEEP_MAX_PROFILES,
				    &o->s.nr_profiles) ? CLI_BAD : 0;
	case 'o':
		o->out = c->arg;
		return 0;
	case OPT_PLOT:
		o->plot = true;
		return 0;
	case OPT_CHECK:
		o->check = true;
		return 0;
	case OPT_SEARCH:
		for (size_t i = 0; i < NR_SEARCHES; i++)
			if (!strcmp(c->arg, searches[i].name)) {
				o->search = searches[i].name;
				return 0;
			}
		return cli_fail(c->cmd, "--search: unknown search \"%s\" (explore, exhaust)", c->arg),
		       CLI_BAD;
	case OPT_GRAMMAR:
		o->exhaust_given = true;
		if (khp_exhaust_grammar_parse(c->arg, &o->exhaust.grammar))
			return cli_fail(c->cmd, "--grammar: unknown grammar \"%s\" (core, full)",
					c->arg), CLI_BAD;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	case 'h':
		usage(stdout);
		return 1;
	case OPT_RUNS:
	case OPT_SEED:
	case OPT_BYTES:
	case OPT_OPS:
	case OPT_MMS:
		return number(c, opt, o);
	default:
		return CLI_BAD;
	}
}

static int parse_args(int argc, char **argv, struct sweep_opts *o, const char **file)
{
	struct cli c;
	char **ops;
	int opt, rc, nr;

	cli_init(&c, "sweep", argc, argv, "k:p:o:s:qh", longopts);
	while ((opt = cli_next(&c)) != -1)
		if ((rc = one_option(&c, opt, o)))
			return rc;
	ops = cli_operands(&c, &nr);
	if (nr > 1)
		return cli_fail("sweep", "one scenario file only"), CLI_BAD;
	if (!nr && !o->search)
		return cli_fail("sweep", "no scenario file given"), CLI_BAD;
	if (o->budget_given && (!o->search || strcmp(o->search, "explore")))
		return cli_fail("sweep", "--runs, --seed and --bytes need --search explore"), CLI_BAD;
	if (o->exhaust_given && (!o->search || strcmp(o->search, "exhaust")))
		return cli_fail("sweep", "--ops, --mms and --grammar need --search exhaust"), CLI_BAD;
	if (!o->s.nr_axes)
		return cli_fail("sweep", "no axis: give --knob NAME=FROM:TO:STEP or NAME=v1,v2,..."),
		       CLI_BAD;
	for (unsigned a = 0; a < o->s.nr_axes; a++)
		if (o->s.axes[a].kind == KHP_SWEEP_KNOB && (o->s.fixed.set & (1u << o->s.axes[a].knob)))
			return cli_fail("sweep", "--set %s: the knob is an axis too",
					khp_sweep_axis_name(&o->s.axes[a])), CLI_BAD;
	if (o->check && o->search)
		return cli_fail("sweep", "--check is for a scenario sweep (a search runs without "
				"the checker)"), CLI_BAD;
	*file = nr ? ops[0] : NULL;
	if (!o->s.nr_profiles)
		khp_profile_list_parse("linux-6.1,linux-6.12,linux-7.3", o->s.profiles,
				       KHP_SWEEP_MAX_PROFILES, &o->s.nr_profiles, NULL, 0);
	return 0;
}

/* DIR/name written by fn; 0 or a message and KHP_EXIT_USAGE. */
static int write_file(const struct sweep_opts *o, const char *name, const struct khp_sweep_eval *ev,
		      const char *source, const struct khp_program *base)
{
	char path[4096];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", o->out, name);
	f = fopen(path, "w");
	if (!f)
		return cli_fail("sweep", "cannot write %s: %s", path, strerror(errno));
	rc = !strcmp(name, "sweep.csv") ? khp_sweep_write_csv(f, &o->s, ev)
					: khp_sweep_write_json(f, &o->s, ev, source, base);
	if (fclose(f) || rc)
		return cli_fail("sweep", "cannot write %s", path);
	if (!o->quiet) {
		printf("sweep: wrote ");
		cli_text(stdout, path);
		printf("\n");
	}
	return 0;
}

/* scripts/plot sweep DIR (or $KHP_PLOT, a path or a name on PATH); 0 or KHP_EXIT_USAGE after a message. */
static int plot(const struct sweep_opts *o)
{
	const char *script = getenv("KHP_PLOT");
	char *argv[4];
	pid_t pid;
	int st, rc;

	if (!script || !*script)
		script = KHP_PLOT_SCRIPT;
	argv[0] = (char *)script;
	argv[1] = (char *)"sweep";
	argv[2] = (char *)o->out;
	argv[3] = NULL;
	fflush(stdout);
	rc = posix_spawnp(&pid, script, NULL, NULL, argv, environ);   /* a bare name: PATH */
	if (rc)
		return cli_fail("sweep", "--plot: cannot run %s: %s (the data are in %s)", script,
				strerror(rc), o->out);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return cli_fail("sweep", "--plot: %s failed (the data are in %s)", script, o->out);
	return 0;
}

/* The base program: FILE's, or (a search without FILE) the default config. */
static int load_base(const char *file, struct khp_scenario *sc)
{
	char err[512];
	struct khp_config c;

	khp_scenario_init(sc);
	if (!file) {
		khp_config_default(&c, 512);
		khp_program_init(&sc->program, &c);
		return 0;
	}
	if (khp_scenario_load_file(file, sc, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return KHP_EXIT_USAGE;
	}
	return 0;
}

/* A search sweep's progress on stderr: every 5% of the points. */
static void progress(void *arg, size_t done, size_t total)
{
	(void)arg;
	if (done * 20 / total != (done - 1) * 20 / total)
		fprintf(stderr, "sweep: %zu of %zu points\n", done, total);
}

/* The JSON's "budget": explore's runs per point, exhaust's ops. */
static unsigned long ev_budget(const struct sweep_opts *o)
{
	return strcmp(o->search, "exhaust") ? o->explore.runs : o->exhaust.ops;
}

static int sweep(struct sweep_opts *o, const char *file, const struct khp_program *base)
{
	struct khp_sweep_eval ev = { .name = "scenario", .eval = khp_sweep_eval_scenario,
				     .arg = &o->check };
	struct khp_program fixed;
	char msg[640];
	int rc;

	for (size_t i = 0; o->search && i < NR_SEARCHES; i++)
		if (!strcmp(o->search, searches[i].name))
			ev = (struct khp_sweep_eval){ .name = searches[i].name,
						      .eval = searches[i].eval,
						      .arg = (char *)o + searches[i].arg,
						      .budget = ev_budget(o),
						      .seed = o->explore.seed,
						      .progress = o->quiet ? NULL : progress };
	if (khp_sweep_run(&o->s, base, &ev, msg, sizeof(msg)))
		return cli_fail("sweep", "%s%s%s", file ? file : "", file ? ": " : "", msg);
	if (mkdir(o->out, 0777) && errno != EEXIST)
		return cli_fail("sweep", "cannot create %s: %s", o->out, strerror(errno));
	/* the files' config and defaults: the base with --set applied (checked by the run) */
	fixed = *base;
	khp_knob_settings_apply(&o->s.fixed, &fixed.config, msg, sizeof(msg));
	if ((rc = write_file(o, "sweep.csv", &ev, file ? file : "", &fixed)) ||
	    (rc = write_file(o, "sweep.json", &ev, file ? file : "", &fixed)))
		return rc;
	return o->plot ? plot(o) : KHP_EXIT_OK;
}

/*
 * --search explore decodes as `khpsim explore` does: the decoder limits
 * (KHP_MAX_OPS, KHP_MAX_MMS, KHP_MAX_PMDS, KHP_MACROS) come from the
 * environment; the config is each point's (FILE, --set, the grid), so the
 * knob variables and KHP_EXPLORE_CONFIG have no effect.  0 or CLI_BAD.
 */
static int explore_env(struct sweep_opts *o)
{
	char msg[256];

	if (!o->search || strcmp(o->search, "explore") ||
	    !khp_decode_opts_from_env(&o->explore.dopts, msg, sizeof(msg)))
		return 0;
	return cli_fail("sweep", "%s", msg), CLI_BAD;
}

int cmd_sweep(int argc, char **argv)
{
	struct sweep_opts *o = calloc(1, sizeof(*o));
	struct khp_scenario sc;
	const char *file = NULL;
	int status;

	if (!o)
		return cli_fail("sweep", "out of memory");
	khp_sweep_init(&o->s);
	khp_sweep_explore_init(&o->explore);
	khp_sweep_exhaust_init(&o->exhaust);
	o->out = ".";
	status = parse_args(argc, argv, o, &file);
	if (!status)
		status = explore_env(o);
	if (status) {
		free(o);
		return status == 1 ? KHP_EXIT_OK : KHP_EXIT_USAGE;
	}
	status = load_base(file, &sc);
	if (!status)
		status = sweep(o, file, &sc.program);
	khp_scenario_free(&sc);
	khp_sweep_free(&o->s);
	free(o);
	return status;
}
