/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running a scenario under its profiles and reporting it, for `replay` and
 * `run`: the text report (per khugepaged / collapse step the PMD map and
 * the profiles side by side, the totals, the expectation mismatches) or one
 * JSON document for all files.  Everything printed from a scenario or the
 * command line is escaped (cli_text(), khp_report_json_string()); long runs
 * print progress lines on stderr (struct khp_run_opts.progress).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "khpsim/report.h"

/* What one file's report is made of. */
struct file_report {
	const char *file;
	const struct khp_scenario *sc;
	struct khp_run *runs;
	size_t nr, errors, checked, bad;
	char *mismatches;          /* the check's lines, or NULL */
};

void cli_report_begin(const struct cli_report_opts *o, struct cli_report *r)
{
	r->legend_done = false;
	r->first_json = true;
	if (o->json)
		printf("{\n  \"khpsim\": %d,\n  \"scenarios\": [", KHP_SCENARIO_FORMAT);
}

void cli_report_end(const struct cli_report_opts *o, struct cli_report *r)
{
	if (o->json)
		printf("%s]\n}\n", r->first_json ? "" : "\n  ");
}

static void json_entry(struct cli_report *r)
{
	fputs(r->first_json ? "\n    {" : ",\n    {", stdout);
	r->first_json = false;
}

void cli_report_load_error(const struct cli_report_opts *o, struct cli_report *r,
			   const char *file, const char *err)
{
	fprintf(stderr, "%s\n", err);        /* the reader escaped it */
	if (!o->json)
		return;
	json_entry(r);
	fputs("\"file\": ", stdout);
	khp_report_json_string(stdout, file);
	fputs(", \"status\": \"error\", \"error\": ", stdout);
	khp_report_json_string(stdout, err);
	fputc('}', stdout);
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

/* The mismatch lines of the check as a JSON array of strings. */
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

static void report_json(const struct file_report *fr, bool check_expect, struct cli_report *r)
{
	const char *status = fr->errors ? "error" : fr->bad ? "mismatch" : "ok";

	json_entry(r);
	fputs("\"file\": ", stdout);
	khp_report_json_string(stdout, fr->file);
	fputs(", \"name\": ", stdout);
	khp_report_json_string(stdout, fr->sc->name ? fr->sc->name : "");
	fputs(",\n      \"config\": ", stdout);
	khp_report_config_json(stdout, &fr->sc->program.config);
	fputs(",\n      \"runs\": [\n", stdout);
	for (size_t i = 0; i < fr->nr; i++) {
		khp_report_run_json(stdout, &fr->runs[i], 8);
		fputs(i + 1 < fr->nr ? ",\n" : "\n", stdout);
	}
	printf("      ],\n      \"expectations_checked\": %zu, \"mismatches\": ", fr->checked);
	mismatches_json(stdout, check_expect ? fr->mismatches : NULL);
	fputs(", \"status\": ", stdout);
	khp_report_json_string(stdout, status);
	fputc('}', stdout);
	khp_report_errors(stderr, &fr->sc->program, fr->runs, fr->nr);
}

/* The scenario's header: name, description, source, config, profiles. */
static void report_header(const struct file_report *fr)
{
	const struct khp_scenario *sc = fr->sc;

	printf("   ");
	if (sc->description) {
		cli_text(stdout, sc->description);
		printf("\n   ");
	}
	if (sc->source) {
		printf("source: ");
		cli_text(stdout, sc->source);
		printf("\n   ");
	}
	printf("config: ");
	khp_report_config_line(stdout, &sc->program.config);
	printf("\n   profiles:");
	for (size_t i = 0; i < fr->nr; i++)
		printf(" %s", khp_profile_name(&fr->runs[i].profile));
	printf("\n");
}

static void report_text(const struct file_report *fr, const struct cli_report_opts *o,
			struct cli_report *r)
{
	const struct khp_scenario *sc = fr->sc;

	printf("== ");
	cli_text(stdout, fr->file);
	printf(": ");
	cli_text(stdout, sc->name ? sc->name : "(unnamed)");
	printf("\n");
	if (!o->quiet) {
		report_header(fr);
		khp_report_steps(stdout, &sc->program, fr->runs, fr->nr, &r->legend_done);
		khp_report_totals(stdout, fr->runs, fr->nr);
	}
	if (fr->errors)
		khp_report_errors(stdout, &sc->program, fr->runs, fr->nr);
	if (o->check_expect) {
		printf("expectations: %zu checked, %zu mismatch%s\n", fr->checked, fr->bad,
		       fr->bad == 1 ? "" : "es");
		if (fr->bad && fr->mismatches)
			fputs(fr->mismatches, stdout);
	} else {
		printf("expectations: not checked (profiles or config changed by the command line)\n");
	}
	cli_text(stdout, fr->file);
	printf(": %s\n\n", fr->errors ? "ERROR (program error)" : fr->bad ? "FAIL" : "ok");
}

struct progress_ctx {
	const char *cmd;
	const char *file;
};

/* A long run's progress on stderr: counted in ops, so the same lines on every machine. */
static void progress(void *arg, const struct khp_run *run, size_t done, size_t nr_ops)
{
	const struct progress_ctx *p = arg;

	fprintf(stderr, "khpsim %s: ", p->cmd);
	cli_text(stderr, p->file);
	fprintf(stderr, ": %s: op %zu of %zu\n", khp_profile_name(&run->profile), done, nr_ops);
}

int cli_run_and_report(const char *file, struct khp_scenario *sc, const struct cli_report_opts *o,
		       struct cli_report *r)
{
	struct progress_ctx pc = { o->cmd, file };
	struct khp_run_opts ro = { .check = o->check, .maps = true, .progress = progress,
				   .progress_arg = &pc };
	struct file_report fr = { .file = file, .sc = sc };
	size_t mm_len = 0;
	FILE *mm = NULL;

	if (o->nr_profiles) {
		memcpy(sc->profiles, o->profiles, o->nr_profiles * sizeof(o->profiles[0]));
		sc->nr_profiles = o->nr_profiles;
	}
	fr.runs = calloc(KHP_SCENARIO_MAX_PROFILES, sizeof(*fr.runs));
	if (!fr.runs)
		return cli_fail(o->cmd, "%s: out of memory", file);
	fr.nr = (size_t)khp_scenario_run_all(sc, &ro, fr.runs);
	for (size_t i = 0; i < fr.nr; i++)
		fr.errors += fr.runs[i].err != 0;
	if (o->check_expect)
		mm = open_memstream(&fr.mismatches, &mm_len);
	if (mm) {
		fr.bad = check_run_profiles(sc, fr.runs, fr.nr, mm, &fr.checked);
		fclose(mm);
	}
	if (o->json)
		report_json(&fr, o->check_expect, r);
	else
		report_text(&fr, o, r);
	free(fr.mismatches);
	for (size_t i = 0; i < fr.nr; i++)
		khp_run_free(&fr.runs[i]);
	free(fr.runs);
	return fr.errors ? KHP_EXIT_USAGE : fr.bad ? KHP_EXIT_FINDING : KHP_EXIT_OK;
}
