/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A sweep's results as sweep.csv (one row per profile and point, RFC 4180
 * quoting) and sweep.json (the axes, their defaults per profile and every
 * point), docs/sweeps.md.  Nothing depends on the clock: the same sweep
 * gives the same bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "khpsim/knobs.h"
#include "khpsim/parse.h"
#include "khpsim/sweep.h"

/* A search evaluator (explore, exhaust) rather than the program itself. */
static bool is_search(const struct khp_sweep_eval *ev)
{
	return strcmp(ev->name, "scenario") != 0;
}

/* One CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *s, bool first)
{
	if (!first)
		fputc(',', f);
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static const char *status_text(const struct khp_sweep_result *r, char *buf, size_t n)
{
	if (!r->err)
		return "ok";
	snprintf(buf, n, "error: %s", r->errmsg);
	return buf;
}

int khp_sweep_write_csv(FILE *f, const struct khp_sweep *s, const struct khp_sweep_eval *ev)
{
	bool search = is_search(ev);

	fputs("profile", f);
	for (unsigned a = 0; a < s->nr_axes; a++)
		csv_field(f, khp_sweep_axis_name(&s->axes[a]), false);
	fputs(",status,results,collapsed,waste_pages,fn_waste_pages,pages_in_use", f);
	fputs(search ? ",runs,worst_run\n" : "\n", f);
	for (size_t p = 0; p < s->nr_profiles; p++) {
		for (size_t i = 0; i < s->nr_points; i++) {
			const struct khp_sweep_result *r = &s->results[p * s->nr_points + i];
			char v[300];

			csv_field(f, khp_profile_name(&s->profiles[p]), true);
			for (unsigned a = 0; a < s->nr_axes; a++) {
				khp_sweep_value_format(&s->axes[a], khp_sweep_coord(s, i, a), v,
						       sizeof(v));
				csv_field(f, v, false);
			}
			csv_field(f, status_text(r, v, sizeof(v)), false);
			csv_field(f, r->results ? r->results : "", false);
			fprintf(f, ",%ld,%ld,%ld,%ld", r->collapsed, r->waste_pages, r->fn_waste_pages,
				r->pages_in_use);
			if (search)
				fprintf(f, ",%lu,%ld", r->runs, r->worst_run);
			fputc('\n', f);
		}
	}
	return ferror(f) ? -EIO : 0;
}

static void json_axis(FILE *f, const struct khp_sweep_axis *ax)
{
	enum khp_knob_kind kind = ax->kind == KHP_SWEEP_KNOB ? khp_knob(ax->knob)->kind
							    : KHP_KNOB_KIND_MODE;
	bool numeric = kind == KHP_KNOB_KIND_PTES || kind == KHP_KNOB_KIND_PMD;

	fputs("\n    {\"name\": ", f);
	khp_json_put_string(f, khp_sweep_axis_name(ax));
	fprintf(f, ", \"kind\": \"%s\", \"label\": ", ax->kind == KHP_SWEEP_KNOB ? "knob" : "rule");
	khp_json_put_string(f, khp_sweep_axis_label(ax));
	fprintf(f, ", \"numeric\": %s, \"values\": [", numeric ? "true" : "false");
	for (unsigned i = 0; i < ax->nr; i++) {
		char v[256];

		khp_sweep_value_format(ax, i, v, sizeof(v));
		fputs(i ? ", " : "", f);
		khp_json_put_string(f, v);
	}
	fputs("]}", f);
}

static void json_profiles(FILE *f, const struct khp_sweep *s, const struct khp_config *base)
{
	for (size_t p = 0; p < s->nr_profiles; p++) {
		fputs(p ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
		khp_json_put_string(f, khp_profile_name(&s->profiles[p]));
		fputs(", \"defaults\": [", f);
		for (unsigned a = 0; a < s->nr_axes; a++) {
			char v[256];

			khp_sweep_default_format(s, a, p, base, v, sizeof(v));
			fputs(a ? ", " : "", f);
			khp_json_put_string(f, v);
		}
		fputs("]}", f);
	}
}

static void json_point(FILE *f, const struct khp_sweep *s, size_t p, size_t i, bool search)
{
	const struct khp_sweep_result *r = &s->results[p * s->nr_points + i];

	fprintf(f, "    {\"profile\": %zu, \"coords\": [", p);
	for (unsigned a = 0; a < s->nr_axes; a++)
		fprintf(f, "%s%u", a ? ", " : "", khp_sweep_coord(s, i, a));
	fputs("], \"error\": ", f);
	khp_json_put_string(f, r->err ? r->errmsg : NULL);
	fputs(", \"results\": ", f);
	khp_json_put_string(f, r->results);
	fprintf(f, ", \"collapsed\": %ld, \"waste_pages\": %ld, \"fn_waste_pages\": %ld, "
		"\"pages_in_use\": %ld", r->collapsed, r->waste_pages, r->fn_waste_pages,
		r->pages_in_use);
	if (search)
		fprintf(f, ", \"runs\": %lu, \"worst_run\": %ld", r->runs, r->worst_run);
	fputc('}', f);
}

int khp_sweep_write_json(FILE *f, const struct khp_sweep *s, const struct khp_sweep_eval *ev,
			 const char *source, const struct khp_program *base)
{
	bool search = is_search(ev);
	char line[512];

	fputs("{\n  \"khpsim_sweep\": 1,\n  \"source\": ", f);
	khp_json_put_string(f, source);
	fputs(",\n  \"search\": ", f);
	khp_json_put_string(f, ev->name);
	if (search)
		fprintf(f, ",\n  \"budget\": %lu,\n  \"seed\": %llu", ev->budget,
			(unsigned long long)ev->seed);
	khp_config_format(&base->config, line, sizeof(line));
	fputs(",\n  \"config\": ", f);
	khp_json_put_string(f, line);
	fputs(",\n  \"axes\": [", f);
	for (unsigned a = 0; a < s->nr_axes; a++) {
		fputs(a ? "," : "", f);
		json_axis(f, &s->axes[a]);
	}
	fputs("],\n  \"profiles\": [", f);
	json_profiles(f, s, &base->config);
	fputs("],\n  \"points\": [\n", f);
	for (size_t p = 0; p < s->nr_profiles; p++)
		for (size_t i = 0; i < s->nr_points; i++) {
			json_point(f, s, p, i, search);
			fputs(p + 1 == s->nr_profiles && i + 1 == s->nr_points ? "\n" : ",\n", f);
		}
	fputs("  ]\n}\n", f);
	return ferror(f) ? -EIO : 0;
}
