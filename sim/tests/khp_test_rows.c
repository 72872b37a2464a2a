/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * khp_test: per-kernel tables.  A row names a probe (a record field of a
 * step, a PTE, a folio, a total, a PMD map) and the value each kernel
 * must show; T_KERNELS() runs the program once per kernel and checks every
 * row against that kernel's column, struct t_kw does the same for one
 * kernel's turn that a test drives by hand.
 */
#include "khp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const t_pte_kinds[] = {
	[KHP_PTE_NONE] = "none", [KHP_PTE_ZERO] = "zero", [KHP_PTE_PRESENT] = "present",
	[KHP_PTE_SWAP] = "swap", [KHP_PTE_PMD] = "pmd", [KHP_PTE_NO_TABLE] = "no_table",
};

static unsigned kw_pmd_pages(const struct t_kw *t)
{
	return t->p->config.pmd_pages;
}

/* ---- turns ------------------------------------------------------------- */

void t_kw_start_(struct t_kw *t, const struct khp_program *p, enum khp_kernel k, size_t n,
		 const char *file, int line)
{
	struct khp_run_opts opts = { .check = true, .maps = true };
	struct khp_profile prof = khp_profile_kernel(k);
	struct khp_program prefix = *p;
	int err;

	memset(t, 0, sizeof(*t));
	t->k = k;
	t->profile = t_kernel_profiles[k];
	t->p = p;
	prefix.nr_ops = n < p->nr_ops ? n : p->nr_ops;
	err = khp_world_new(&p->config, prof, &t->w);
	if (err || !t->w) {
		print_error("%s:%d: %s: khp_world_new failed with %d\n", file, line, t->profile, err);
		_fail(file, line);
	}
	err = khp_run_in(t->w, &prefix, &opts, &t->run);
	if (err) {
		print_error("%s:%d: %s: run failed with %d (%s) at step %zu: %s\n", file, line,
			    t->profile, err, khp_errno_name(err < 0 ? -err : err), t->run.err_step,
			    t->run.errmsg);
		t_print_op(p, t->run.err_step);
		_fail(file, line);
	}
	t->played = prefix.nr_ops;
}

void t_kw_play_(struct t_kw *t, size_t n, const char *file, int line)
{
	for (; t->played < n && t->played < t->p->nr_ops; t->played++) {
		struct khp_record rec;
		int err = khp_world_apply(t->w, &t->p->ops[t->played], &rec);

		if (err) {
			print_error("%s:%d: %s: op %zu failed with %d: %s\n", file, line, t->profile,
				    t->played, err, khp_world_error(t->w));
			t_print_op(t->p, t->played);
			_fail(file, line);
		}
	}
}

void t_kw_end(struct t_kw *t)
{
	khp_run_free(&t->run);
	khp_world_free(t->w);
	memset(t, 0, sizeof(*t));
}

/* ---- probes ------------------------------------------------------------- */

static long long field_value(const void *base, unsigned off, unsigned size)
{
	const char *p = (const char *)base + off;

	if (size == 1)
		return *(const uint8_t *)p;
	if (size == 4) {
		int32_t v;

		memcpy(&v, p, sizeof(v));
		return v;
	}
	{
		int64_t v;

		memcpy(&v, p, sizeof(v));
		return v;
	}
}

/* What the probe looks at, for a failure message. */
static void probe_what(const struct t_kw *t, const struct t_probe *pr, char *buf, size_t n)
{
	char a[64], b[64];
	unsigned nr = kw_pmd_pages(t);

	t_addr_str(a, sizeof(a), pr->addr, nr);
	t_addr_str(b, sizeof(b), pr->addr2, nr);
	switch (pr->kind) {
	case TP_KIND:    snprintf(buf, n, "kind of the PTE of mm %u at %s", pr->mm, a); break;
	case TP_ORDER:   snprintf(buf, n, "order of the folio at mm %u %s", pr->mm, a); break;
	case TP_WRITE:   snprintf(buf, n, "write bit of mm %u %s", pr->mm, a); break;
	case TP_DIRTY:   snprintf(buf, n, "dirty bit of mm %u %s", pr->mm, a); break;
	case TP_YOUNG:   snprintf(buf, n, "young bit of mm %u %s", pr->mm, a); break;
	case TP_SUBPAGE: snprintf(buf, n, "subpage mapped at mm %u %s", pr->mm, a); break;
	case TP_SAME_FOLIO:
		snprintf(buf, n, "mm %u %s and mm %u %s map the same folio", pr->mm, a, pr->mm2, b);
		break;
	case TP_FOLIO:
		snprintf(buf, n, "%s of the folio at mm %u %s", pr->name, pr->mm, a);
		break;
	case TP_PAGE_MAPCOUNT:
		snprintf(buf, n, "page_mapcount(subpage %u) of the folio at mm %u %s", pr->sub,
			 pr->mm, a);
		break;
	case TP_TOTAL:     snprintf(buf, n, "totals.%s", pr->name); break;
	case TP_PMD_THPS:  snprintf(buf, n, "totals.pmd_thps[%u]", pr->mm); break;
	case TP_MM_ALIVE:  snprintf(buf, n, "mm %u alive", pr->mm); break;
	case TP_WORLD_OK:  snprintf(buf, n, "khp_world_check() passes"); break;
	case TP_RESULT:    snprintf(buf, n, "step %zu: result", pr->step); break;
	case TP_ERRNO:     snprintf(buf, n, "step %zu: errno", pr->step); break;
	case TP_VERDICT:   snprintf(buf, n, "step %zu: verdict", pr->step); break;
	case TP_REC:       snprintf(buf, n, "step %zu: %s", pr->step, pr->name); break;
	case TP_MAX_FN_WASTE: snprintf(buf, n, "khp_run_max_fn_waste()"); break;
	default:           snprintf(buf, n, "probe %d", pr->kind); break;
	}
}

static const char *value_str(const struct t_probe *pr, long long v, char *buf, size_t n)
{
	if (pr->kind == TP_RESULT && v >= 0 && v < KHP_NR_RESULTS)
		return khp_result_name((enum scan_result)v);
	if (pr->kind == TP_VERDICT && v >= 0 && v < KHP_NR_VERDICTS)
		return khp_verdict_name((enum khp_verdict)v);
	if (pr->kind == TP_ERRNO)
		return khp_errno_name((int)v);
	if (pr->kind == TP_KIND && v >= 0 && v < (long long)T_ARRAY_SIZE(t_pte_kinds))
		return t_pte_kinds[v];
	snprintf(buf, n, "%lld", v);
	return buf;
}

static const struct khp_record *kw_rec(struct t_kw *t, const struct t_probe *pr,
				       const char *file)
{
	const struct khp_record *rec = khp_run_record(&t->run, pr->step);

	if (!rec) {
		print_error("%s:%d: %s: no record for step %zu (not a khugepaged / collapse step "
			    "of the ops run)\n", file, pr->line, t->profile, pr->step);
		t_print_op(t->p, pr->step);
		_fail(file, pr->line);
	}
	return rec;
}

static struct khp_pte_info kw_pte(struct t_kw *t, unsigned mm, uint64_t addr, const char *file,
				  int line)
{
	return t_pte_(t->w, mm, addr, file, line);
}

static long long world_value(struct t_kw *t, const struct t_probe *pr, const char *file)
{
	struct khp_pte_info pi;
	struct khp_folio_info fi;
	struct khp_totals tot;

	switch (pr->kind) {
	case TP_SAME_FOLIO:
		return t_folio_at_(t->w, pr->mm, pr->addr, file, pr->line) ==
		       t_folio_at_(t->w, pr->mm2, pr->addr2, file, pr->line);
	case TP_FOLIO:
		fi = t_folio_(t->w, t_folio_at_(t->w, pr->mm, pr->addr, file, pr->line), file,
			      pr->line);
		return field_value(&fi, pr->off, pr->size);
	case TP_PAGE_MAPCOUNT:
		return khp_world_page_mapcount(t->w, t_folio_at_(t->w, pr->mm, pr->addr, file,
								 pr->line), pr->sub);
	case TP_TOTAL:
		khp_world_totals(t->w, &tot);
		return field_value(&tot, pr->off, pr->size);
	case TP_PMD_THPS:
		khp_world_totals(t->w, &tot);
		return pr->mm < KHP_MAX_MMS ? (long long)tot.pmd_thps[pr->mm] : -1;
	case TP_MM_ALIVE:
		return khp_world_mm_alive(t->w, pr->mm);
	case TP_WORLD_OK: {
		char msg[256];
		bool ok = khp_world_check(t->w, msg, sizeof(msg)) == 0;

		if (!ok)
			print_error("%s:%d: %s: khp_world_check: %s\n", file, pr->line, t->profile,
				    msg);
		return ok;
	}
	default:
		break;
	}
	pi = kw_pte(t, pr->mm, pr->addr, file, pr->line);
	switch (pr->kind) {
	case TP_KIND:    return pi.kind;
	case TP_ORDER:   return pi.order;
	case TP_WRITE:   return pi.write;
	case TP_DIRTY:   return pi.dirty;
	case TP_YOUNG:   return pi.young;
	default:         return pi.subpage;
	}
}

static long long probe_value(struct t_kw *t, const struct t_probe *pr, const char *file)
{
	const struct khp_record *rec;

	switch (pr->kind) {
	case TP_RESULT:
		return kw_rec(t, pr, file)->result;
	case TP_ERRNO:
		rec = kw_rec(t, pr, file);
		return rec->err < 0 ? -rec->err : rec->err;
	case TP_VERDICT:
		return kw_rec(t, pr, file)->verdict;
	case TP_REC:
		return field_value(kw_rec(t, pr, file), pr->off, pr->size);
	case TP_MAX_FN_WASTE:
		return khp_run_max_fn_waste(&t->run);
	default:
		return world_value(t, pr, file);
	}
}

/* ---- checks -------------------------------------------------------------- */

static bool is_record_probe(const struct t_probe *pr)
{
	return pr->kind == TP_RESULT || pr->kind == TP_ERRNO || pr->kind == TP_VERDICT ||
	       pr->kind == TP_REC || pr->kind == TP_MAP_BEFORE;
}

/* The probe looks at a PTE (mm, addr): a failure draws its range. */
static bool probe_has_place(const struct t_probe *pr)
{
	return pr->kind >= TP_KIND && pr->kind <= TP_PAGE_MAPCOUNT;
}

/* After a failed row: the record and the map before its step, or the map now. */
static void kw_fail(struct t_kw *t, const struct t_probe *pr, const char *file)
{
	const struct khp_record *rec;

	if (is_record_probe(pr)) {
		rec = khp_run_record(&t->run, pr->step);
		t_print_op(t->p, pr->step);
		if (rec) {
			t_print_rec(rec);
			if (t->run.maps)
				t_print_map("PMD map before the step", t->run.maps[rec - t->run.recs]);
		}
	} else if (probe_has_place(pr)) {
		char map[KHP_MAP_MAX];

		if (khp_world_pmd_map(t->w, pr->mm, pr->addr, map, sizeof(map)) == 0)
			t_print_map("PMD map now", map);
	}
	_fail(file, pr->line);
}

static void kw_map_row(struct t_kw *t, const struct t_row *row, const char *file)
{
	const struct t_probe *pr = &row->probe;
	const char *spec = row->map[t->k];
	char where[128], a[64], ctx[160];
	const struct khp_record *rec;
	unsigned nr = kw_pmd_pages(t);
	const char *map;

	if (!spec)
		return;
	snprintf(ctx, sizeof(ctx), "%s%s%s", t->profile, row->note ? ": " : "",
		 row->note ? row->note : "");
	if (pr->kind == TP_MAP) {
		t_assert_map_(t->w, pr->mm, pr->addr, spec, ctx, file, pr->line);
		return;
	}
	rec = kw_rec(t, pr, file);
	map = t->run.maps ? t->run.maps[rec - t->run.recs] : NULL;
	if (!map || !map[0]) {
		print_error("%s:%d: %s: no map recorded before step %zu\n", file, pr->line,
			    t->profile, pr->step);
		_fail(file, pr->line);
	}
	snprintf(where, sizeof(where), "PMD map before step %zu (mm %u at %s)", pr->step,
		 t->p->ops[pr->step].mm,
		 t_addr_str(a, sizeof(a), t->p->ops[pr->step].addr & ~(uint64_t)(nr - 1), nr));
	if (!t_map_matches(ctx, where, map, nr, spec, file, pr->line)) {
		t_print_op(t->p, pr->step);
		t_print_rec(rec);
		_fail(file, pr->line);
	}
}

static void kw_row(struct t_kw *t, const struct t_row *row, const char *file)
{
	const struct t_probe *pr = &row->probe;
	char what[200], e[32], g[32];
	long long exp = row->v[t->k], act;

	if (pr->kind == TP_MAP || pr->kind == TP_MAP_BEFORE) {
		kw_map_row(t, row, file);
		return;
	}
	if (exp == NA)
		return;
	act = probe_value(t, pr, file);
	if (act == exp)
		return;
	probe_what(t, pr, what, sizeof(what));
	print_error("%s:%d: %s: %s%s%s: expected %s actual %s\n", file, pr->line, t->profile,
		    row->note ? row->note : "", row->note ? ": " : "", what,
		    value_str(pr, exp, e, sizeof(e)), value_str(pr, act, g, sizeof(g)));
	kw_fail(t, pr, file);
}

void t_kw_rows_(struct t_kw *t, const struct t_row *rows, size_t nr, const char *file,
		int line)
{
	(void)line;
	for (size_t i = 0; i < nr; i++)
		kw_row(t, &rows[i], file);
}

void t_kw_eq_(struct t_kw *t, const char *what, long long actual, const long long exp[],
	      const char *file, int line)
{
	if (exp[t->k] == NA || actual == exp[t->k])
		return;
	print_error("%s:%d: %s: %s: expected %lld actual %lld (after %zu ops)\n", file, line,
		    t->profile, what, exp[t->k], actual, t->played);
	_fail(file, line);
}

/* Kernel k has a value in some row. */
static bool kernel_checked(const struct t_row *rows, size_t nr, enum khp_kernel k)
{
	for (size_t i = 0; i < nr; i++) {
		bool map = rows[i].probe.kind == TP_MAP || rows[i].probe.kind == TP_MAP_BEFORE;

		if (map ? rows[i].map[k] != NULL : rows[i].v[k] != NA)
			return true;
	}
	return false;
}

void t_kernels_(const struct khp_program *p, size_t n, const struct t_row *rows, size_t nr,
		const char *file, int line)
{
	unsigned k;

	for_each_kernel(k) {
		struct t_kw t;

		if (!kernel_checked(rows, nr, k))
			continue;
		t_kw_start_(&t, p, k, n, file, line);
		t_kw_rows_(&t, rows, nr, file, line);
		t_kw_end(&t);
	}
}
