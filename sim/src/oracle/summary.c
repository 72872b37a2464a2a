/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The output of `khpsim oracle` (docs/oracle.md §4): one table row per
 * scenario, step and kernel, a line per guest, the totals, and the same as a
 * JSON summary (format "khpsim_oracle": 2).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "khpsim/oracle.h"

/* ---- the table ------------------------------------------------------------ */

static const char *verdict_word(enum khp_verdict_oracle v)
{
	switch (v) {
	case KHP_ORACLE_AGREE: return "agree";
	case KHP_ORACLE_DIFFER: return "DIFFER";
	case KHP_ORACLE_SKIPPED: return "skipped";
	case KHP_ORACLE_KNOWN: return "known";
	case KHP_ORACLE_MISSING: return "MISSING";
	case KHP_ORACLE_NOT_RUN: return "NOT RUN";
	case KHP_ORACLE_REFUSED: return "refused by emit-c";
	}
	return "?";
}

/* The JSON spelling: lower case, "differ", "not_run", "refused". */
static const char *verdict_json(enum khp_verdict_oracle v)
{
	switch (v) {
	case KHP_ORACLE_DIFFER: return "differ";
	case KHP_ORACLE_MISSING: return "missing";
	case KHP_ORACLE_NOT_RUN: return "not_run";
	case KHP_ORACLE_REFUSED: return "refused";
	default: return verdict_word(v);
	}
}

void khp_oracle_print_header(FILE *f)
{
	fprintf(f, "%-40s %-4s %-11s %-10s %s\n", "scenario", "step", "op", "kernel", "verdict");
}

void khp_oracle_print_guest(FILE *f, const struct khp_oracle_guest *g)
{
	char end[256];

	khp_guest_end_describe(&g->log, end, sizeof(end));
	fprintf(f, "# %s: %s %s", g->path, khp_kernel_name(g->kernel),
		g->log.release[0] ? g->log.release : "(no KHPSIM-KERNEL line)");
	if (g->package[0])
		fprintf(f, " (%s=%s)", g->package, g->package_version[0] ? g->package_version : "?");
	if (g->boots)
		fprintf(f, ", %u boot%s", g->boots, g->boots == 1 ? "" : "s");
	fprintf(f, ", %s\n", end);
}

/* What an agreeing step was: the real status, errno, PMD-mapped. */
static void print_agree_detail(FILE *f, const struct khp_guest_step *g)
{
	bool collapse = g->kind == KHP_GUEST_COLLAPSE;

	if (g->kind == KHP_GUEST_OPERR)
		fprintf(f, " (both refuse %s: %s)", g->op, g->error);
	else
		fprintf(f, " (%s%s%s, pmd_mapped=%ld)", g->status, collapse ? ", errno=" : "",
			collapse ? g->err_name : "", g->pmd_mapped);
}

void khp_oracle_print_row(FILE *f, const struct khp_oracle_row *r)
{
	const char *k = khp_kernel_name(r->kernel);

	if (r->step < 0) {
		fprintf(f, "%-40s %-4s %-11s %-10s %s: %s\n", r->scenario, "-", "-", k,
			verdict_word(r->verdict), r->why);
		return;
	}
	fprintf(f, "%-40s %-4ld %-11s %-10s %s", r->scenario, r->step, r->op, k,
		verdict_word(r->verdict));
	if (!r->has_guest && !r->nr_diffs && r->why[0]) {
		fprintf(f, ": %s\n", r->why);   /* skipped, MISSING, NOT RUN without a line */
		return;
	}
	if (r->verdict == KHP_ORACLE_AGREE && r->has_guest)
		print_agree_detail(f, &r->guest);
	for (size_t j = 0; j < r->nr_diffs; j++)
		fprintf(f, "%s %s real=%s model=%s", j ? ";" : ":", r->diffs[j].field,
			r->diffs[j].real, r->diffs[j].model);
	if (r->why[0])
		fprintf(f, " [%s]", r->why);
	fputc('\n', f);
}

void khp_oracle_print_totals(FILE *f, const struct khp_oracle_totals *t)
{
	fprintf(f, "# steps %u: agree %u, known %u, differ %u, skipped %u, missing %u, not run %u\n",
		t->steps, t->agree, t->known, t->differ, t->skipped, t->missing, t->not_run);
}

/* ---- the JSON summary ------------------------------------------------------ */

static cJSON *row_json(const struct khp_oracle_row *r)
{
	cJSON *o = cJSON_CreateObject(), *d;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "scenario", r->scenario);
	if (r->step >= 0)
		cJSON_AddNumberToObject(o, "step", (double)r->step);
	else
		cJSON_AddNullToObject(o, "step");
	cJSON_AddStringToObject(o, "kind", r->op);
	cJSON_AddStringToObject(o, "kernel", khp_kernel_name(r->kernel));
	cJSON_AddStringToObject(o, "verdict", verdict_json(r->verdict));
	if (r->nr_diffs && (d = cJSON_AddArrayToObject(o, "diffs"))) {
		for (size_t i = 0; i < r->nr_diffs; i++) {
			cJSON *e = cJSON_CreateObject();

			cJSON_AddStringToObject(e, "field", r->diffs[i].field);
			cJSON_AddStringToObject(e, "real", r->diffs[i].real);
			cJSON_AddStringToObject(e, "model", r->diffs[i].model);
			cJSON_AddItemToArray(d, e);
		}
	}
	if (r->why[0])
		cJSON_AddStringToObject(o, "reason", r->why);
	return o;
}

static cJSON *guest_json(const struct khp_oracle_guest *g)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "profile", khp_kernel_name(g->kernel));
	cJSON_AddStringToObject(o, "release", g->log.release);
	cJSON_AddStringToObject(o, "build", g->log.build);
	cJSON_AddStringToObject(o, "package", g->package);
	cJSON_AddStringToObject(o, "package_version", g->package_version);
	cJSON_AddNumberToObject(o, "boots", g->boots);
	cJSON_AddStringToObject(o, "end", khp_guest_end_name(g->log.end));
	if (g->log.end_msg[0])
		cJSON_AddStringToObject(o, "end_line", g->log.end_msg);
	cJSON_AddBoolToObject(o, "finished", g->log.end == KHP_GUEST_COMPLETE);
	cJSON_AddStringToObject(o, "log", g->path);
	return o;
}

static cJSON *totals_json(const struct khp_oracle_totals *t)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "steps", t->steps);
	cJSON_AddNumberToObject(o, "agree", t->agree);
	cJSON_AddNumberToObject(o, "known", t->known);
	cJSON_AddNumberToObject(o, "differ", t->differ);
	cJSON_AddNumberToObject(o, "skipped", t->skipped);
	cJSON_AddNumberToObject(o, "missing", t->missing);
	cJSON_AddNumberToObject(o, "not_run", t->not_run);
	return o;
}

/* One item on its own line ("sep" before it); consumes o. */
static int put_item(FILE *f, const char *sep, cJSON *o)
{
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;
	int r = s && fprintf(f, "%s%s", sep, s) >= 0 ? 0 : -EIO;

	cJSON_free(s);
	cJSON_Delete(o);
	return r;
}

int khp_oracle_write_json(FILE *f, const struct khp_oracle_rows *rows,
			  const struct khp_oracle_guest *guests, size_t n)
{
	int r = fputs("{\n  \"khpsim_oracle\": 2,\n  \"kernels\": [", f) < 0 ? -EIO : 0;

	for (size_t i = 0; i < n && !r; i++)
		r = put_item(f, i ? ",\n    " : "\n    ", guest_json(&guests[i]));
	if (!r && fputs("\n  ],\n  \"entries\": [", f) < 0)
		r = -EIO;
	for (size_t i = 0; i < rows->nr && !r; i++)
		r = put_item(f, i ? ",\n    " : "\n    ", row_json(&rows->v[i]));
	if (!r && fputs("\n  ],\n  \"totals\": ", f) < 0)
		r = -EIO;
	if (!r)
		r = put_item(f, "", totals_json(&rows->t));
	if (!r && fputs("\n}\n", f) < 0)
		r = -EIO;
	return r;
}
