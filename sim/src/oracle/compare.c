/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One step of a scenario, real against model (docs/oracle.md §4): the model
 * runs the scenario in a world of the matching kernel profile and keeps its
 * record of every khugepaged / collapse step; each guest KHPSIM-STEP line is
 * compared field by field with that record.
 */
#include <errno.h>
#include <string.h>

#include "khpsim/oracle.h"

/* ---- the model side ------------------------------------------------------ */

int khp_model_steps(const struct khp_scenario *sc, enum khp_kernel k,
		    struct khp_model_step *model)
{
	struct khp_profile prof = khp_profile_kernel(k);
	struct khp_world *w;
	size_t i, pmd = sc->program.config.pmd_pages;
	int err = 0, r;

	memset(model, 0, sc->program.nr_ops * sizeof(*model));
	r = khp_world_new(&sc->program.config, prof, &w);
	if (r)
		return r;
	for (i = 0; i < sc->program.nr_ops; i++) {
		const struct khp_op *op = &sc->program.ops[i];
		struct khp_model_step *m = &model[i];
		struct khp_pte_info pi;

		if (err) {
			m->error = true;
			m->err = err;
			continue;
		}
		r = khp_world_apply(w, op, &m->rec);
		if (r) {
			m->error = true;
			m->err = err = r;
			continue;
		}
		if (op->type != KHP_OP_KHUGEPAGED && op->type != KHP_OP_COLLAPSE)
			continue;
		m->has_record = true;
		m->rec.step = (uint32_t)i;
		if (!khp_world_pte(w, op->mm, op->addr / pmd * pmd, &pi))
			m->pmd_mapped = pi.kind == KHP_PTE_PMD;
	}
	khp_world_free(w);
	return 0;
}

/* ---- comparison ---------------------------------------------------------- */

static void add_diff(struct khp_diff *d, size_t *n, const char *field, const char *real,
		     const char *model)
{
	if (*n >= KHP_MAX_DIFFS)
		return;
	snprintf(d[*n].field, sizeof(d[*n].field), "%s", field);
	snprintf(d[*n].real, sizeof(d[*n].real), "%s", real);
	snprintf(d[*n].model, sizeof(d[*n].model), "%s", model);
	(*n)++;
}

static void cmp_long(struct khp_diff *d, size_t *n, const char *field, long real, long model)
{
	char a[24], b[24];

	if (real < 0 || real == model)
		return;
	snprintf(a, sizeof(a), "%ld", real);
	snprintf(b, sizeof(b), "%ld", model);
	add_diff(d, n, field, a, b);
}

/* A khugepaged step: the first mm_khugepaged_scan_pmd event of the window. */
static void cmp_khugepaged(const struct khp_guest_step *g, const struct khp_record *r,
			   enum khp_kernel k, struct khp_diff *d, size_t *n)
{
	const char *model_status = khp_result_trace(r->result);

	if (strcmp(g->status, model_status))
		add_diff(d, n, "status", g->status, model_status);
	if (!strcmp(g->status, "not_visited") || r->result == KHP_NOT_VISITED)
		return;
	cmp_long(d, n, "none_or_zero", g->none_or_zero, r->none_or_zero);
	cmp_long(d, n, "unmapped", g->unmapped, r->unmapped);
	cmp_long(d, n, "referenced", g->referenced, r->referenced);
	/* without the writable gate (7.3) mm_khugepaged_scan_pmd has no writable field */
	if (khp_kernel_rules(k)->writable_gate)
		cmp_long(d, n, "writable", g->writable, r->writable);
}

/* A collapse step: the errno; status and counters only for one PMD range. */
static void cmp_collapse(const struct khp_guest_step *g, const struct khp_record *r,
			 struct khp_diff *d, size_t *n)
{
	const char *model_status = khp_result_trace(r->result);
	const char *model_err = r->err ? khp_errno_name(r->err) : "0";

	if (strcmp(g->err_name, model_err))
		add_diff(d, n, "errno", g->err_name, model_err);
	/* one PMD range: the one tracepoint is the model's record */
	if (g->scans == 1) {
		if (strcmp(g->status, model_status))
			add_diff(d, n, "status", g->status, model_status);
		cmp_long(d, n, "none_or_zero", g->none_or_zero, r->none_or_zero);
		cmp_long(d, n, "unmapped", g->unmapped, r->unmapped);
	}
}

/* An op that failed in the guest or in the model, or a step without a record. */
static enum khp_verdict_oracle cmp_op(const struct khp_guest_step *g,
				      const struct khp_model_step *m, struct khp_diff *d,
				      size_t *n)
{
	char buf[96];

	if (g->kind == KHP_GUEST_OPERR) {
		if (m->error)
			return KHP_ORACLE_AGREE;   /* both refuse the op */
		snprintf(buf, sizeof(buf), "%s failed: %s", g->op, g->error);
		add_diff(d, n, "op", buf, "ok");
		return KHP_ORACLE_DIFFER;
	}
	if (m->error) {
		add_diff(d, n, "op", "ok", khp_errno_name(-m->err));
		return KHP_ORACLE_DIFFER;
	}
	add_diff(d, n, "kind", g->kind == KHP_GUEST_COLLAPSE ? "collapse" : "khugepaged",
		 "no record");
	return KHP_ORACLE_DIFFER;
}

enum khp_verdict_oracle khp_oracle_compare(const struct khp_guest_step *g,
					   const struct khp_model_step *m, enum khp_kernel k,
					   struct khp_diff *diffs, size_t *nr_diffs,
					   const char **skip_reason)
{
	*nr_diffs = 0;
	*skip_reason = NULL;
	if (g->kind == KHP_GUEST_OPERR || m->error || !m->has_record)
		return cmp_op(g, m, diffs, nr_diffs);
	if (g->conflict) {
		*skip_reason = "an eligible VMA of the target mm could not be hidden (thp=always)";
		return KHP_ORACLE_SKIPPED;
	}
	if (g->scan_timeout) {
		*skip_reason = "khugepaged did not complete two full scans";
		return KHP_ORACLE_SKIPPED;
	}
	if (g->kind == KHP_GUEST_KHUGEPAGED)
		cmp_khugepaged(g, &m->rec, k, diffs, nr_diffs);
	else
		cmp_collapse(g, &m->rec, diffs, nr_diffs);
	cmp_long(diffs, nr_diffs, "pmd_mapped", g->pmd_mapped, m->pmd_mapped);
	return *nr_diffs ? KHP_ORACLE_DIFFER : KHP_ORACLE_AGREE;
}
