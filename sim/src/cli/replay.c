/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `khpsim replay`, `khpsim validate` and `khpsim run`: scenario files in,
 * side-by-side reports out (design.md section 6).
 *
 *   replay    run every profile of each scenario, print a table per
 *             khugepaged / collapse step (or --json records), check the
 *             expectations;
 *   validate  parse and check the files without running them;
 *   run       what-if: other profiles and knob values for one scenario,
 *             reported like replay but without checking expectations.
 *
 * Exit status (cli.h): 0 ok, 1 an expectation failed, 2 bad input, usage
 * error or a program error (an op the kernel would refuse).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "khpsim/report.h"
#include "khpsim/scenario.h"

#define ERRLEN 512

struct replay_opts {
	bool json;
	bool check;                /* invariant checker after every op */
	bool quiet;                /* replay: only the summary line per file */
	struct khp_profile profiles[KHP_SCENARIO_MAX_PROFILES];
	size_t nr_profiles;        /* 0: the scenario's own */
};

static int parse_profile_list(const char *arg, struct replay_opts *o)
{
	char buf[256], *save = NULL, *tok;

	if (strlen(arg) >= sizeof(buf)) {
		fprintf(stderr, "khpsim: --profile list too long\n");
		return -EINVAL;
	}
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct khp_profile p;
		size_t i;

		if (khp_profile_parse(tok, &p)) {
			fprintf(stderr, "khpsim: unknown profile \"%s\" (linux-6.1, linux-6.12, "
				"linux-7.3, optionally +exact)\n", tok);
			return -EINVAL;
		}
		for (i = 0; i < o->nr_profiles; i++)
			if (khp_profile_same(&o->profiles[i], &p))
				break;
		if (i < o->nr_profiles)
			continue;
		if (o->nr_profiles == KHP_SCENARIO_MAX_PROFILES) {
			fprintf(stderr, "khpsim: too many profiles\n");
			return -E2BIG;
		}
		o->profiles[o->nr_profiles++] = p;
	}
	if (!o->nr_profiles) {
		fprintf(stderr, "khpsim: --profile needs at least one profile\n");
		return -EINVAL;
	}
	return 0;
}

/* Expectations of profiles that were not run are left out of the check. */
static size_t check_run_profiles(const struct khp_scenario *sc, const struct khp_run *runs,
				 size_t nr_runs, FILE *out, size_t *checked)
{
	struct khp_scenario view = *sc;
	struct khp_expect *sel;
	size_t i, j, n = 0, bad;

	sel = calloc(sc->nr_expects ? sc->nr_expects : 1, sizeof(*sel));
	if (!sel)
		return 1;
	for (i = 0; i < sc->nr_expects; i++)
		for (j = 0; j < nr_runs; j++)
			if (khp_profile_same(&runs[j].profile, &sc->expects[i].profile)) {
				sel[n++] = sc->expects[i];
				break;
			}
	view.expects = sel;
	view.nr_expects = n;
	bad = khp_scenario_check(&view, runs, nr_runs, out);
	free(sel);
	*checked = n;
	return bad;
}

/* The mismatch lines of check_run_profiles as a JSON array of strings. */
static void mismatches_json(FILE *f, const char *text)
{
	const char *p = text;
	bool first = true;

	fputc('[', f);
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, n);
		char *s = line;

		if (!line)
			break;
		while (*s == ' ')
			s++;
		fputs(first ? "\n        " : ",\n        ", f);
		khp_report_json_string(f, s);
		first = false;
		free(line);
		p = nl ? nl + 1 : NULL;
	}
	fputs(first ? "]" : "\n      ]", f);
}

static void free_runs(struct khp_run *runs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		khp_run_free(&runs[i]);
}

/*
 * Run sc (profiles overridden by o if given) and report.  check_expect:
 * compare expectations.  Returns the exit status for this file.
 */
static int run_and_report(const char *file, struct khp_scenario *sc,
			  const struct replay_opts *o, bool check_expect, bool *legend_done,
			  bool *first_json)
{
	struct khp_run *runs;
	struct khp_run_opts ro = { .check = o->check, .maps = true };
	size_t nr, i, errors, checked = 0, bad = 0;
	char *mm_text = NULL;
	size_t mm_len = 0;
	FILE *mm;
	int status;

	if (o->nr_profiles) {
		memcpy(sc->profiles, o->profiles, o->nr_profiles * sizeof(o->profiles[0]));
		sc->nr_profiles = o->nr_profiles;
	}
	runs = calloc(KHP_SCENARIO_MAX_PROFILES, sizeof(*runs));
	if (!runs) {
		fprintf(stderr, "%s: out of memory\n", file);
		return KHP_EXIT_USAGE;
	}
	nr = (size_t)khp_scenario_run_all(sc, &ro, runs);
	mm = open_memstream(&mm_text, &mm_len);
	errors = 0;
	for (i = 0; i < nr; i++)
		if (runs[i].err)
			errors++;
	if (check_expect && mm)
		bad = check_run_profiles(sc, runs, nr, mm, &checked);
	if (mm)
		fclose(mm);
	status = errors ? KHP_EXIT_USAGE : bad ? KHP_EXIT_FINDING : KHP_EXIT_OK;

	if (o->json) {
		fputs(*first_json ? "\n    {" : ",\n    {", stdout);
		*first_json = false;
		fputs("\"file\": ", stdout);
		khp_report_json_string(stdout, file);
		fputs(", \"name\": ", stdout);
		khp_report_json_string(stdout, sc->name ? sc->name : "");
		fputs(",\n      \"config\": ", stdout);
		khp_report_config_json(stdout, &sc->program.config);
		fputs(",\n      \"runs\": [\n", stdout);
		for (i = 0; i < nr; i++) {
			khp_report_run_json(stdout, &runs[i], 8);
			fputs(i + 1 < nr ? ",\n" : "\n", stdout);
		}
		fprintf(stdout, "      ],\n      \"expectations_checked\": %zu, \"mismatches\": ",
			checked);
		mismatches_json(stdout, check_expect ? mm_text : NULL);
		fputs(", \"status\": ", stdout);
		khp_report_json_string(stdout, errors ? "error" : bad ? "mismatch" : "ok");
		fputc('}', stdout);
		khp_report_errors(stderr, &sc->program, runs, nr);
	} else {
		printf("== %s: %s\n", file, sc->name ? sc->name : "(unnamed)");
		if (!o->quiet) {
			if (sc->description)
				printf("   %s\n", sc->description);
			if (sc->source)
				printf("   source: %s\n", sc->source);
			printf("   config: ");
			khp_report_config_line(stdout, &sc->program.config);
			printf("\n   profiles:");
			for (i = 0; i < nr; i++)
				printf(" %s", khp_profile_name(&runs[i].profile));
			printf("\n");
			khp_report_steps(stdout, &sc->program, runs, nr, legend_done);
			khp_report_totals(stdout, runs, nr);
		}
		if (errors)
			khp_report_errors(stdout, &sc->program, runs, nr);
		if (check_expect) {
			printf("expectations: %zu checked, %zu mismatch%s\n", checked, bad,
			       bad == 1 ? "" : "es");
			if (bad && mm_text)
				fputs(mm_text, stdout);
		} else {
			printf("expectations: not checked (profiles or config changed by the command line)\n");
		}
		printf("%s: %s\n\n", file, errors ? "ERROR (program error)" :
		       bad ? "FAIL" : "ok");
	}
	free(mm_text);
	free_runs(runs, nr);
	free(runs);
	return status;
}

static int worse(int a, int b)
{
	return a > b ? a : b;
}

/* ---- replay --------------------------------------------------------------- */

static void replay_usage(FILE *f)
{
	fputs("usage: khpsim replay [--json] [--profile P[,P...]] [--check] [--quiet] FILE...\n"
	      "\n"
	      "Run each scenario (format 1, docs/scenario-format.md) under every profile it\n"
	      "names and print, per khugepaged / collapse step, the PMD map of the range\n"
	      "before the step and a table of the profiles side by side; then the totals\n"
	      "after the program and the expectation mismatches.\n"
	      "\n"
	      "  --json           one JSON document with the records of every run\n"
	      "  --profile LIST   run these profiles instead (linux-6.1, linux-6.12,\n"
	      "                   linux-7.3, each optionally +exact); expectations of\n"
	      "                   other profiles are skipped\n"
	      "  --check          run the world invariant checker after every op\n"
	      "  --quiet          only the expectation summary per file\n"
	      "  FILE             a scenario file, or - for standard input\n"
	      "\n"
	      "Exit status: 0 all expectations hold, 1 an expectation failed,\n"
	      "2 bad input, usage error or a program error (an op the kernel refuses).\n", f);
}

static int parse_common(int argc, char **argv, int *i, struct replay_opts *o, bool *handled)
{
	const char *a = argv[*i];

	*handled = true;
	if (!strcmp(a, "--json")) {
		o->json = true;
	} else if (!strcmp(a, "--check")) {
		o->check = true;
	} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
		o->quiet = true;
	} else if (!strcmp(a, "--profile") || !strcmp(a, "-p")) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "khpsim: %s needs an argument\n", a);
			return -EINVAL;
		}
		return parse_profile_list(argv[++*i], o);
	} else if (!strncmp(a, "--profile=", 10)) {
		return parse_profile_list(a + 10, o);
	} else {
		*handled = false;
	}
	return 0;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "--help") || !strcmp(a, "-h");
}

int cmd_replay(int argc, char **argv)
{
	struct replay_opts o = { 0 };
	const char **files;
	size_t nr_files = 0, i;
	bool legend_done = false, first_json = true, handled;
	int status = KHP_EXIT_OK, k, rc;

	files = calloc((size_t)argc + 1, sizeof(*files));
	if (!files)
		return KHP_EXIT_USAGE;
	for (k = 1; k < argc; k++) {
		const char *a = argv[k];

		if (is_help(a)) {
			replay_usage(stdout);
			free(files);
			return KHP_EXIT_OK;
		}
		if (!strcmp(a, "--")) {
			while (++k < argc)
				files[nr_files++] = argv[k];
			break;
		}
		if (parse_common(argc, argv, &k, &o, &handled)) {
			free(files);
			return KHP_EXIT_USAGE;
		}
		if (handled)
			continue;
		if (a[0] == '-' && a[1]) {
			fprintf(stderr, "khpsim replay: unknown option %s\n", a);
			replay_usage(stderr);
			free(files);
			return KHP_EXIT_USAGE;
		}
		files[nr_files++] = a;
	}
	if (!nr_files) {
		fprintf(stderr, "khpsim replay: no scenario file given\n");
		replay_usage(stderr);
		free(files);
		return KHP_EXIT_USAGE;
	}
	if (o.json)
		printf("{\n  \"khpsim\": %d,\n  \"scenarios\": [", KHP_SCENARIO_FORMAT);
	for (i = 0; i < nr_files; i++) {
		struct khp_scenario sc;
		char err[ERRLEN];

		khp_scenario_init(&sc);
		rc = khp_scenario_load_file(files[i], &sc, err, sizeof(err));
		if (rc == KHP_SCENARIO_NOT_SCENARIO) {
			if (!o.json)
				printf("%s\n", err);
		} else if (rc) {
			fprintf(stderr, "%s\n", err);
			if (o.json) {
				fputs(first_json ? "\n    {" : ",\n    {", stdout);
				first_json = false;
				fputs("\"file\": ", stdout);
				khp_report_json_string(stdout, files[i]);
				fputs(", \"status\": \"error\", \"error\": ", stdout);
				khp_report_json_string(stdout, err);
				fputc('}', stdout);
			}
			status = worse(status, KHP_EXIT_USAGE);
		} else {
			status = worse(status, run_and_report(files[i], &sc, &o, true,
							      &legend_done, &first_json));
		}
		khp_scenario_free(&sc);
	}
	if (o.json)
		printf("%s]\n}\n", first_json ? "" : "\n  ");
	free(files);
	return status;
}

/* ---- validate ------------------------------------------------------------- */

static void validate_usage(FILE *f)
{
	fputs("usage: khpsim validate [--quiet] FILE...\n"
	      "\n"
	      "Parse each scenario strictly and check its config, ops and expectations\n"
	      "without running it.  Errors name the file, the JSON path and the reason.\n"
	      "\n"
	      "Exit status: 0 all files valid, 2 a file is invalid or unreadable.\n", f);
}

int cmd_validate(int argc, char **argv)
{
	bool quiet = false, any = false;
	int status = KHP_EXIT_OK, k, rc;

	for (k = 1; k < argc; k++) {
		if (is_help(argv[k])) {
			validate_usage(stdout);
			return KHP_EXIT_OK;
		}
		if (!strcmp(argv[k], "--quiet") || !strcmp(argv[k], "-q"))
			quiet = true;
		else if (argv[k][0] == '-' && argv[k][1] && strcmp(argv[k], "--")) {
			fprintf(stderr, "khpsim validate: unknown option %s\n", argv[k]);
			validate_usage(stderr);
			return KHP_EXIT_USAGE;
		}
	}
	for (k = 1; k < argc; k++) {
		struct khp_scenario sc;
		char err[ERRLEN];

		if (!strcmp(argv[k], "--quiet") || !strcmp(argv[k], "-q") || !strcmp(argv[k], "--"))
			continue;
		any = true;
		khp_scenario_init(&sc);
		rc = khp_scenario_load_file(argv[k], &sc, err, sizeof(err));
		if (rc == KHP_SCENARIO_NOT_SCENARIO) {
			if (!quiet)
				printf("%s\n", err);
		} else if (rc) {
			fprintf(stderr, "%s\n", err);
			status = KHP_EXIT_USAGE;
		} else if (!quiet) {
			printf("%s: ok (%zu ops, %zu profiles, %zu expectations)\n", argv[k],
			       sc.program.nr_ops, sc.nr_profiles, sc.nr_expects);
		}
		khp_scenario_free(&sc);
	}
	if (!any) {
		fprintf(stderr, "khpsim validate: no scenario file given\n");
		validate_usage(stderr);
		return KHP_EXIT_USAGE;
	}
	return status;
}

/* ---- run (what-if) --------------------------------------------------------- */

static void run_usage(FILE *f)
{
	fputs("usage: khpsim run [--json] [--check] [--profile P[,P...]] [--set KNOB=VALUE]... FILE\n"
	      "\n"
	      "What-if: run one scenario under other profiles and/or knob values and\n"
	      "report it like replay.  Expectations are NOT checked, since they were\n"
	      "written for the scenario's own config.\n"
	      "\n"
	      "Knobs: max_ptes_none, max_ptes_swap, max_ptes_shared (0..pmd_pages-1),\n"
	      "  thp (never|madvise|always), use_zero_page, swap, shrink_underused\n"
	      "  (0|1|true|false), pmd_pages (power of two 8..512; the program must still\n"
	      "  fit; knobs at their old default follow the new default),\n"
	      "  mthp_orders (comma-separated orders, or none).\n"
	      "\n"
	      "Exit status: 0 ran, 2 bad input, usage error or a program error.\n", f);
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_uint(const char *v, unsigned long max, unsigned *out)
{
	char *end;
	unsigned long x;

	if (!*v || *v == '-' || *v == '+')
		return -EINVAL;
	errno = 0;
	x = strtoul(v, &end, 0);
	if (errno || *end || x > max)
		return -ERANGE;
	*out = (unsigned)x;
	return 0;
}

static int parse_orders(const char *v, uint32_t *out)
{
	char buf[128], *save = NULL, *tok;

	*out = 0;
	if (!strcmp(v, "none") || !*v)
		return 0;
	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned o;

		if (parse_uint(tok, 31, &o))
			return -EINVAL;
		*out |= 1u << o;
	}
	return 0;
}

/* Apply one KNOB=VALUE to c; explicit[] remembers which knobs were set. */
static int apply_set(const char *kv, struct khp_config *c, bool *set_none, bool *set_swap,
		     bool *set_shared)
{
	char name[64];
	const char *eq = strchr(kv, '='), *v;
	unsigned u = 0;
	bool b = false;
	int rc = 0;

	if (!eq || (size_t)(eq - kv) >= sizeof(name)) {
		fprintf(stderr, "khpsim run: --set wants KNOB=VALUE, got \"%s\"\n", kv);
		return -EINVAL;
	}
	memcpy(name, kv, (size_t)(eq - kv));
	name[eq - kv] = 0;
	v = eq + 1;
	if (!strcmp(name, "max_ptes_none")) {
		rc = parse_uint(v, KHP_PMD_PAGES_MAX, &u);
		c->max_ptes_none = u;
		*set_none = true;
	} else if (!strcmp(name, "max_ptes_swap")) {
		rc = parse_uint(v, KHP_PMD_PAGES_MAX, &u);
		c->max_ptes_swap = u;
		*set_swap = true;
	} else if (!strcmp(name, "max_ptes_shared")) {
		rc = parse_uint(v, KHP_PMD_PAGES_MAX, &u);
		c->max_ptes_shared = u;
		*set_shared = true;
	} else if (!strcmp(name, "thp")) {
		if (!strcmp(v, "never"))
			c->thp = KHP_THP_NEVER;
		else if (!strcmp(v, "madvise"))
			c->thp = KHP_THP_MADVISE;
		else if (!strcmp(v, "always"))
			c->thp = KHP_THP_ALWAYS;
		else
			rc = -EINVAL;
	} else if (!strcmp(name, "use_zero_page")) {
		rc = parse_bool(v, &b);
		c->use_zero_page = b;
	} else if (!strcmp(name, "swap")) {
		rc = parse_bool(v, &b);
		c->swap = b;
	} else if (!strcmp(name, "shrink_underused")) {
		rc = parse_bool(v, &b);
		c->shrink_underused = b;
	} else if (!strcmp(name, "mthp_orders")) {
		rc = parse_orders(v, &c->mthp_orders);
	} else if (!strcmp(name, "pmd_pages")) {
		return 0; /* applied first, by the caller */
	} else {
		fprintf(stderr, "khpsim run: unknown knob \"%s\"\n", name);
		return -EINVAL;
	}
	if (rc)
		fprintf(stderr, "khpsim run: bad value for %s: \"%s\"\n", name, v);
	return rc;
}

/* pmd_pages=N first: rescale the knobs that sit at their old defaults. */
static int apply_pmd_pages(char **sets, size_t nr_sets, struct khp_config *c)
{
	size_t i;

	for (i = 0; i < nr_sets; i++) {
		struct khp_config od, nd;
		unsigned u;

		if (strncmp(sets[i], "pmd_pages=", 10))
			continue;
		if (parse_uint(sets[i] + 10, KHP_PMD_PAGES_MAX, &u) || u < KHP_PMD_PAGES_MIN ||
		    (u & (u - 1))) {
			fprintf(stderr, "khpsim run: pmd_pages must be a power of two in %u..%u\n",
				KHP_PMD_PAGES_MIN, KHP_PMD_PAGES_MAX);
			return -ERANGE;
		}
		khp_config_default(&od, c->pmd_pages);
		khp_config_default(&nd, u);
		if (c->max_ptes_none == od.max_ptes_none)
			c->max_ptes_none = nd.max_ptes_none;
		if (c->max_ptes_swap == od.max_ptes_swap)
			c->max_ptes_swap = nd.max_ptes_swap;
		if (c->max_ptes_shared == od.max_ptes_shared)
			c->max_ptes_shared = nd.max_ptes_shared;
		c->pmd_pages = u;
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct replay_opts o = { 0 };
	struct khp_scenario sc;
	struct khp_config c;
	char **sets, err[ERRLEN];
	const char *file = NULL;
	size_t nr_sets = 0, i;
	bool handled, legend_done = false, first_json = true;
	bool sn = false, ss = false, sh = false;
	int k, status;

	sets = calloc((size_t)argc + 1, sizeof(*sets));
	if (!sets)
		return KHP_EXIT_USAGE;
	for (k = 1; k < argc; k++) {
		const char *a = argv[k];

		if (is_help(a)) {
			run_usage(stdout);
			free(sets);
			return KHP_EXIT_OK;
		}
		if (parse_common(argc, argv, &k, &o, &handled))
			goto usage;
		if (handled)
			continue;
		if (!strcmp(a, "--set") || !strcmp(a, "-s")) {
			if (k + 1 >= argc) {
				fprintf(stderr, "khpsim run: %s needs KNOB=VALUE\n", a);
				goto usage;
			}
			sets[nr_sets++] = argv[++k];
		} else if (!strncmp(a, "--set=", 6)) {
			sets[nr_sets++] = (char *)a + 6;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "khpsim run: unknown option %s\n", a);
			goto usage;
		} else if (file) {
			fprintf(stderr, "khpsim run: one scenario file only\n");
			goto usage;
		} else {
			file = a;
		}
	}
	if (!file) {
		fprintf(stderr, "khpsim run: no scenario file given\n");
		goto usage;
	}
	khp_scenario_init(&sc);
	if (khp_scenario_load_file(file, &sc, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		khp_scenario_free(&sc);
		free(sets);
		return KHP_EXIT_USAGE;
	}
	c = sc.program.config;
	if (apply_pmd_pages(sets, nr_sets, &c))
		goto bad;
	for (i = 0; i < nr_sets; i++)
		if (apply_set(sets[i], &c, &sn, &ss, &sh))
			goto bad;
	if (khp_config_check(&c, err, sizeof(err))) {
		fprintf(stderr, "khpsim run: config after --set: %s\n", err);
		goto bad;
	}
	for (i = 0; i < sc.program.nr_ops; i++) {
		if (khp_op_check(&sc.program.ops[i], &c, err, sizeof(err))) {
			fprintf(stderr, "khpsim run: %s: program[%zu] does not fit the new config: %s\n",
				file, i, err);
			goto bad;
		}
	}
	sc.program.config = c;
	if (o.json)
		printf("{\n  \"khpsim\": %d,\n  \"scenarios\": [", KHP_SCENARIO_FORMAT);
	status = run_and_report(file, &sc, &o, false, &legend_done, &first_json);
	if (o.json)
		printf("\n  ]\n}\n");
	khp_scenario_free(&sc);
	free(sets);
	return status;
bad:
	khp_scenario_free(&sc);
	free(sets);
	return KHP_EXIT_USAGE;
usage:
	run_usage(stderr);
	free(sets);
	return KHP_EXIT_USAGE;
}
