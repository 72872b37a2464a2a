/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reports of runs (text and JSON), see khpsim/report.h.
 *
 * The text table has one row per record field and one column per profile,
 * so that the kernels' decisions on the same step read side by side.  The
 * PMD map is the one the runner recorded before the step (struct
 * khp_run.maps), printed 64 PTEs per line.  JSON output is hand-written
 * with a fixed key order so that it is byte-stable and jq-friendly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khpsim/knobs.h"
#include "khpsim/parse.h"
#include "khpsim/report.h"

#define CELL 64   /* a profile name (KHP_PROFILE_NAME_MAX) fits */
#define MAP_LINE 64

void khp_report_config_line(FILE *f, const struct khp_config *c)
{
	char line[512];

	khp_config_format(c, line, sizeof(line));
	fputs(line, f);
}

/* Names of the API's error codes (khpsim.h), for program errors. */
static const char *api_errno_name(int err)
{
	switch (err) {
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EFAULT: return "EFAULT";
	case EEXIST: return "EEXIST";
	case ERANGE: return "ERANGE";
	case ENOMEM: return "ENOMEM";
	case E2BIG: return "E2BIG";
	case EUCLEAN: return "EUCLEAN";
	default: return khp_errno_name(err);
	}
}

/* ---- the text table ----------------------------------------------------- */

struct table {
	size_t nr_cols;              /* data columns */
	size_t nr_rows;
	const char *labels[32];
	char cells[32][KHP_SCENARIO_MAX_PROFILES][CELL];
	char heads[KHP_SCENARIO_MAX_PROFILES][CELL];
};

static char *cell(struct table *t, size_t row, size_t col)
{
	return t->cells[row][col];
}

static size_t add_row(struct table *t, const char *label)
{
	size_t r = t->nr_rows++;
	size_t c;

	t->labels[r] = label;
	for (c = 0; c < t->nr_cols; c++)
		t->cells[r][c][0] = 0;
	return r;
}

static void print_table(FILE *f, const struct table *t)
{
	size_t w[KHP_SCENARIO_MAX_PROFILES], lw = 0, r, c;

	for (r = 0; r < t->nr_rows; r++)
		if (strlen(t->labels[r]) > lw)
			lw = strlen(t->labels[r]);
	for (c = 0; c < t->nr_cols; c++) {
		w[c] = strlen(t->heads[c]);
		for (r = 0; r < t->nr_rows; r++)
			if (strlen(t->cells[r][c]) > w[c])
				w[c] = strlen(t->cells[r][c]);
	}
	fprintf(f, "  %-*s", (int)lw, "");
	for (c = 0; c < t->nr_cols; c++)
		fprintf(f, "  %-*s", (int)w[c], t->heads[c]);
	fputc('\n', f);
	for (r = 0; r < t->nr_rows; r++) {
		fprintf(f, "  %-*s", (int)lw, t->labels[r]);
		for (c = 0; c < t->nr_cols; c++) {
			if (c + 1 == t->nr_cols)
				fprintf(f, "  %s", t->cells[r][c]);
			else
				fprintf(f, "  %-*s", (int)w[c], t->cells[r][c]);
		}
		fputc('\n', f);
	}
}

static void describe_op(FILE *f, const struct khp_op *op, unsigned pmd_pages)
{
	if (op->type == KHP_OP_KHUGEPAGED && op->count)
		fprintf(f, "khugepaged daemon, up to %u passes over every registered mm", op->count);
	else if (op->type == KHP_OP_KHUGEPAGED)
		fprintf(f, "khugepaged mm %u addr %llu (PMD range %llu)", op->mm,
			(unsigned long long)op->addr,
			(unsigned long long)(op->addr / pmd_pages));
	else
		fprintf(f, "collapse mm %u addr %llu pages %llu", op->mm,
			(unsigned long long)op->addr, (unsigned long long)op->pages);
}

static void fill_record_rows(struct table *t, size_t col, const struct khp_record *r,
			     bool is_collapse)
{
	size_t row = 0;

#define ROW(...) snprintf(cell(t, row++, col), CELL, __VA_ARGS__)
	if (!r) {
		ROW("(no record)");
		while (row < t->nr_rows)
			ROW("-");
		return;
	}
	ROW("%s", khp_result_name(r->result));
	if (is_collapse)
		ROW("%s", khp_errno_name(r->err));
	ROW("%s", r->collapsed ? "yes" : "no");
	ROW("%u", r->nr_collapsed);
	ROW("%u", r->none_or_zero);
	ROW("%u", r->unmapped);
	ROW("%u", r->referenced);
	ROW("%s", r->writable ? "yes" : "no");
	ROW("%u", r->shared);
	ROW("%u", r->shared_exact);
	ROW("%u", r->shared_profile);
	ROW("%s", khp_verdict_name(r->verdict));
	ROW("%ld", r->alloc_pages);
	ROW("%ld", r->freed_pages);
	ROW("%ld", r->fill_pages);
	ROW("%ld", r->dup_pages);
	ROW("%ld", r->waste_pages);
	ROW("%ld", r->fn_waste_pages);
	ROW("%ld", r->copied_pages);
	ROW("%ld", r->ptes_cleared);
	ROW("%ld", r->tlb_flushes);
#undef ROW
}

void khp_report_step_table(FILE *f, const struct khp_program *p, const struct khp_run *runs,
			   size_t nr_runs, size_t step)
{
	static const char *const rows[] = {
		"result", "errno", "collapsed", "nr_collapsed", "none_or_zero", "unmapped",
		"referenced", "writable", "shared", "shared_exact", "shared_profile",
		"verdict", "alloc_pages", "freed_pages", "fill_pages", "dup_pages",
		"waste_pages", "fn_waste_pages", "copied_pages", "ptes_cleared", "tlb_flushes",
	};
	bool is_collapse = p->ops[step].type == KHP_OP_COLLAPSE;
	struct table *t;
	size_t c, i;

	if (nr_runs > KHP_SCENARIO_MAX_PROFILES)
		nr_runs = KHP_SCENARIO_MAX_PROFILES;
	t = calloc(1, sizeof(*t));
	if (!t)
		return;
	t->nr_cols = nr_runs;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (i != 1 || is_collapse)
			add_row(t, rows[i]);
	for (c = 0; c < nr_runs; c++) {
		snprintf(t->heads[c], CELL, "%s", khp_profile_name(&runs[c].profile));
		fill_record_rows(t, c, khp_run_record(&runs[c], step), is_collapse);
	}
	print_table(f, t);
	free(t);
}

static const char *run_map(const struct khp_run *run, size_t step)
{
	const struct khp_record *r = khp_run_record(run, step);

	if (!r || !run->maps)
		return NULL;
	return run->maps[r - run->recs];
}

static void print_map(FILE *f, const char *label, const char *map)
{
	size_t len = strlen(map), off;

	for (off = 0; off < len || off == 0; off += MAP_LINE) {
		size_t n = len - off < MAP_LINE ? len - off : MAP_LINE;

		fprintf(f, "  %-12s %3zu |%.*s|\n", off ? "" : label, off, (int)n, map + off);
		if (!len)
			break;
	}
}

static void report_maps(FILE *f, const struct khp_run *runs, size_t nr_runs, size_t step,
			bool *legend_done)
{
	const char *first = NULL;
	bool same = true;
	size_t c;

	for (c = 0; c < nr_runs; c++) {
		const char *m = run_map(&runs[c], step);

		if (!m)
			continue;
		if (!first)
			first = m;
		else if (strcmp(first, m))
			same = false;
	}
	if (!first)
		return;
	if (legend_done && !*legend_done) {
		fprintf(f, "  legend: %s\n", khp_pmd_map_legend);
		*legend_done = true;
	}
	if (same) {
		print_map(f, "map before", first);
		return;
	}
	for (c = 0; c < nr_runs; c++) {
		const char *m = run_map(&runs[c], step);

		if (m)
			print_map(f, khp_profile_name(&runs[c].profile), m);
	}
}

/* One cell of the daemon's table: the collapses of a pass and what is mapped after it. */
static void pass_cell(char *c, const struct khp_run *run, size_t step, unsigned pass)
{
	const struct khp_pass *ps = NULL;
	unsigned visits = 0, collapses = 0;
	size_t n = 0;

	for (size_t i = 0; i < run->nr_passes; i++)
		if (run->passes[i].step == step && run->passes[i].pass == pass)
			ps = &run->passes[i];
	if (!ps) {
		snprintf(c, CELL, "-");
		return;
	}
	for (const struct khp_record *r = khp_run_record(run, step);
	     r && r < run->recs + run->nr_recs && r->step == step; r++) {
		visits += r->pass == pass;
		collapses += r->pass == pass ? r->nr_collapsed : 0;
	}
	n += (size_t)snprintf(c + n, CELL - n, "%u of %u collapsed, %ld pages", collapses, visits,
			      ps->totals.pages_in_use);
	for (unsigned o = KHP_PMD_ORDER_MAX + 1; o-- > 2 && n < CELL;)
		if (ps->totals.folios_by_order[o])
			n += (size_t)snprintf(c + n, CELL - n, ", %lu order-%u", ps->totals.folios_by_order[o], o);
	if (!ps->changed && n < CELL)
		snprintf(c + n, CELL - n, " (stop)");
}

/*
 * A daemon step: one row per pass, each profile's collapses / visits, the
 * pages in use after the pass and its mapped large folios by order.
 */
static void report_daemon(FILE *f, const struct khp_op *op, const struct khp_run *runs,
			  size_t nr_runs, size_t step)
{
	static const char *const labels[] = {
		"pass 1", "pass 2", "pass 3", "pass 4", "pass 5", "pass 6", "pass 7", "pass 8",
		"pass 9", "pass 10", "pass 11", "pass 12", "pass 13", "pass 14", "pass 15",
		"pass 16", "pass 17", "pass 18", "pass 19", "pass 20", "pass 21", "pass 22",
		"pass 23", "pass 24", "pass 25", "pass 26", "pass 27", "pass 28", "pass 29",
		"pass 30", "pass 31",
	};
	struct table *t = calloc(1, sizeof(*t));
	unsigned last = 0;

	if (!t)
		return;
	t->nr_cols = nr_runs < KHP_SCENARIO_MAX_PROFILES ? nr_runs : KHP_SCENARIO_MAX_PROFILES;
	for (size_t c = 0; c < t->nr_cols; c++)
		for (size_t i = 0; i < runs[c].nr_passes; i++)
			if (runs[c].passes[i].step == step && runs[c].passes[i].pass > last)
				last = runs[c].passes[i].pass;
	for (unsigned ps = 1; ps <= last && ps <= op->count && ps <= KHP_MAX_PASSES; ps++)
		add_row(t, labels[ps - 1]);
	for (size_t c = 0; c < t->nr_cols; c++) {
		snprintf(t->heads[c], CELL, "%s", khp_profile_name(&runs[c].profile));
		for (unsigned ps = 1; ps <= t->nr_rows; ps++)
			pass_cell(cell(t, ps - 1, c), &runs[c], step, ps);
	}
	print_table(f, t);
	free(t);
}

void khp_report_steps(FILE *f, const struct khp_program *p, const struct khp_run *runs,
		      size_t nr_runs, bool *legend_done)
{
	size_t step;

	for (step = 0; step < p->nr_ops; step++) {
		const struct khp_op *op = &p->ops[step];

		if (op->type != KHP_OP_KHUGEPAGED && op->type != KHP_OP_COLLAPSE)
			continue;
		fprintf(f, "\nstep %zu: ", step);
		describe_op(f, op, p->config.pmd_pages);
		fputc('\n', f);
		if (op->type == KHP_OP_KHUGEPAGED && op->count) {
			report_daemon(f, op, runs, nr_runs, step);
			continue;
		}
		report_maps(f, runs, nr_runs, step, legend_done);
		khp_report_step_table(f, p, runs, nr_runs, step);
	}
}

void khp_report_totals(FILE *f, const struct khp_run *runs, size_t nr_runs)
{
	struct table *t;
	size_t c;

	if (nr_runs > KHP_SCENARIO_MAX_PROFILES)
		nr_runs = KHP_SCENARIO_MAX_PROFILES;
	t = calloc(1, sizeof(*t));
	if (!t)
		return;
	t->nr_cols = nr_runs;
	add_row(t, "pages_in_use");
	add_row(t, "pmd_thps");
	add_row(t, "swap_slots");
	add_row(t, "large_folios");
	add_row(t, "meta per-page");
	add_row(t, "meta per-folio");
	add_row(t, "copied_pages");
	add_row(t, "fill_pages");
	add_row(t, "ptes_cleared");
	add_row(t, "tlb_flushes");
	add_row(t, "freed_pages");
	for (c = 0; c < nr_runs; c++) {
		const struct khp_totals *tt = &runs[c].totals;
		char *s = cell(t, 1, c);
		size_t len = 0;
		unsigned mm;

		snprintf(t->heads[c], CELL, "%s", khp_profile_name(&runs[c].profile));
		snprintf(cell(t, 0, c), CELL, "%ld", tt->pages_in_use);
		for (mm = 0; mm < tt->nr_mms && mm < KHP_MAX_MMS && len < CELL; mm++)
			len += (size_t)snprintf(s + len, CELL - len, "%smm%u=%u", mm ? " " : "",
						mm, tt->pmd_thps[mm]);
		if (!tt->nr_mms)
			snprintf(s, CELL, "-");
		snprintf(cell(t, 2, c), CELL, "%ld", tt->swap_slots_in_use);
		snprintf(cell(t, 3, c), CELL, "%lu (%lu pages)", tt->large_folios,
			 tt->large_folio_pages);
		snprintf(cell(t, 4, c), CELL, "%lu B", tt->meta_per_page_bytes);
		snprintf(cell(t, 5, c), CELL, "%lu B", tt->meta_per_folio_bytes);
		snprintf(cell(t, 6, c), CELL, "%ld", tt->cost.copied_pages);
		snprintf(cell(t, 7, c), CELL, "%ld", tt->cost.fill_pages);
		snprintf(cell(t, 8, c), CELL, "%ld", tt->cost.ptes_cleared);
		snprintf(cell(t, 9, c), CELL, "%ld", tt->cost.tlb_flushes);
		snprintf(cell(t, 10, c), CELL, "%ld", tt->cost.freed_pages);
	}
	fputs("\ntotals after the program:\n", f);
	print_table(f, t);
	fputs("  (metadata: per-page 4-byte mapcounts vs per-folio MM-ID tracking of the large folios in use)\n"
	      "  (copied_pages .. freed_pages: the cost of the collapses, summed over the records)\n", f);
	free(t);
}

size_t khp_report_errors(FILE *f, const struct khp_program *p, const struct khp_run *runs,
			 size_t nr_runs)
{
	size_t c, bad = 0;

	for (c = 0; c < nr_runs; c++) {
		const struct khp_run *r = &runs[c];
		const char *opn = "?";

		if (!r->err)
			continue;
		bad++;
		if (r->err_step < p->nr_ops)
			opn = khp_op_name((enum khp_op_type)p->ops[r->err_step].type);
		if (!strncmp(r->errmsg, "step ", 5))
			fprintf(f, "%s: program error: %s (%s)\n", khp_profile_name(&r->profile),
				r->errmsg, api_errno_name(-r->err));
		else
			fprintf(f, "%s: program error at step %zu (%s): %s (%s)\n",
				khp_profile_name(&r->profile), r->err_step, opn,
				r->errmsg[0] ? r->errmsg : "op refused", api_errno_name(-r->err));
	}
	return bad;
}

/* ---- JSON --------------------------------------------------------------- */

void khp_report_json_string(FILE *f, const char *s)
{
	khp_json_put_string(f, s);
}

void khp_report_record_json(FILE *f, const struct khp_record *r)
{
	fprintf(f, "{\"step\": %u, \"op\": ", r->step);
	khp_report_json_string(f, khp_op_name((enum khp_op_type)r->op));
	fputs(", \"result\": ", f);
	khp_report_json_string(f, khp_result_name(r->result));
	fputs(", \"errno\": ", f);
	if (r->err)
		khp_report_json_string(f, khp_errno_name(r->err));
	else
		fputs("0", f);
	fprintf(f, ", \"collapsed\": %s, \"nr_collapsed\": %u, \"none_or_zero\": %u, "
		"\"unmapped\": %u, \"referenced\": %u, \"writable\": %s, \"shared\": %u, "
		"\"shared_exact\": %u, \"shared_profile\": %u, \"verdict\": ",
		r->collapsed ? "true" : "false", r->nr_collapsed, r->none_or_zero,
		r->unmapped, r->referenced, r->writable ? "true" : "false", r->shared,
		r->shared_exact, r->shared_profile);
	khp_report_json_string(f, khp_verdict_name(r->verdict));
	fprintf(f, ", \"alloc_pages\": %ld, \"freed_pages\": %ld, \"fill_pages\": %ld, "
		"\"dup_pages\": %ld, \"waste_pages\": %ld, \"fn_waste_pages\": %ld",
		r->alloc_pages, r->freed_pages, r->fill_pages, r->dup_pages, r->waste_pages,
		r->fn_waste_pages);
	fprintf(f, ", \"copied_pages\": %ld, \"ptes_cleared\": %ld, \"tlb_flushes\": %ld",
		r->copied_pages, r->ptes_cleared, r->tlb_flushes);
	if (r->pass)
		fprintf(f, ", \"pass\": %u, \"mm\": %u, \"addr\": %llu, \"pages_in_use\": %ld",
			r->pass, r->mm, (unsigned long long)r->addr, r->pages_in_use);
	fputc('}', f);
}

void khp_report_config_json(FILE *f, const struct khp_config *c)
{
	for (unsigned k = 0; k < KHP_NR_KNOBS; k++) {
		char v[128];

		khp_knob_format_json((enum khp_knob)k, khp_knob_get(c, (enum khp_knob)k), v, sizeof(v));
		fprintf(f, "%s\"%s\": %s", k ? ", " : "{", khp_knob((enum khp_knob)k)->name, v);
	}
	fputc('}', f);
}

static void totals_json(FILE *f, const struct khp_totals *t)
{
	unsigned mm;

	fprintf(f, "{\"pages_in_use\": %ld, \"nr_mms\": %u, \"pmd_thps\": [",
		t->pages_in_use, t->nr_mms);
	for (mm = 0; mm < t->nr_mms && mm < KHP_MAX_MMS; mm++)
		fprintf(f, mm ? ", %u" : "%u", t->pmd_thps[mm]);
	fprintf(f, "], \"large_folios\": %lu, \"large_folio_pages\": %lu, "
		"\"meta_per_page_bytes\": %lu, \"meta_per_folio_bytes\": %lu, "
		"\"swap_slots_in_use\": %ld, \"collapse_cost\": {\"copied_pages\": %ld, "
		"\"fill_pages\": %ld, \"ptes_cleared\": %ld, \"tlb_flushes\": %ld, "
		"\"freed_pages\": %ld}}",
		t->large_folios, t->large_folio_pages, t->meta_per_page_bytes,
		t->meta_per_folio_bytes, t->swap_slots_in_use, t->cost.copied_pages,
		t->cost.fill_pages, t->cost.ptes_cleared, t->cost.tlb_flushes, t->cost.freed_pages);
}

/* "9": 1, "4": 2: the orders that have mapped large folios */
static void folios_by_order_json(FILE *f, const struct khp_totals *t)
{
	bool first = true;

	for (unsigned o = KHP_PMD_ORDER_MAX + 1; o-- > 2;) {
		if (!t->folios_by_order[o])
			continue;
		fprintf(f, "%s\"%u\": %lu", first ? "" : ", ", o, t->folios_by_order[o]);
		first = false;
	}
}

void khp_report_run_json(FILE *f, const struct khp_run *run, int indent)
{
	size_t i;

	fprintf(f, "%*s{\"profile\": ", indent, "");
	khp_report_json_string(f, khp_profile_name(&run->profile));
	fputs(", \"error\": ", f);
	if (run->err) {
		fprintf(f, "{\"step\": %zu, \"errno\": ", run->err_step);
		khp_report_json_string(f, api_errno_name(-run->err));
		fputs(", \"message\": ", f);
		khp_report_json_string(f, run->errmsg);
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	fputs(",\n", f);
	fprintf(f, "%*s \"records\": [", indent, "");
	for (i = 0; i < run->nr_recs; i++) {
		fprintf(f, "%s\n%*s  ", i ? "," : "", indent, "");
		khp_report_record_json(f, &run->recs[i]);
	}
	if (run->nr_recs)
		fprintf(f, "\n%*s ", indent, "");
	fputs("],\n", f);
	if (run->maps) {
		/* maps[i]: the PMD map before records[i] */
		fprintf(f, "%*s \"maps\": [", indent, "");
		for (i = 0; i < run->nr_recs; i++) {
			fprintf(f, "%s\n%*s  ", i ? "," : "", indent, "");
			khp_report_json_string(f, run->maps[i]);
		}
		if (run->nr_recs)
			fprintf(f, "\n%*s ", indent, "");
		fputs("],\n", f);
	}
	if (run->nr_passes) {
		/* the daemon's passes: totals after each, with the mapped large folios by order */
		fprintf(f, "%*s \"passes\": [", indent, "");
		for (i = 0; i < run->nr_passes; i++) {
			const struct khp_pass *ps = &run->passes[i];

			fprintf(f, "%s\n%*s  {\"step\": %u, \"pass\": %u, \"changed\": %s, "
				"\"folios_by_order\": {", i ? "," : "", indent, "", ps->step, ps->pass,
				ps->changed ? "true" : "false");
			folios_by_order_json(f, &ps->totals);
			fputs("}, \"totals\": ", f);
			totals_json(f, &ps->totals);
			fputc('}', f);
		}
		fprintf(f, "\n%*s ],\n", indent, "");
	}
	fprintf(f, "%*s \"totals\": ", indent, "");
	totals_json(f, &run->totals);
	fputc('}', f);
}
