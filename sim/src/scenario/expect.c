/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Expectations: one field table (key, kind, offsets in struct khp_expect
 * and struct khp_record, which use the same names and types) serves the
 * reader, the writer, the copy from records and the check against runs.
 *
 * The check is linear in the expectations: each finds its run among at
 * most KHP_SCENARIO_MAX_PROFILES and its record by binary search
 * (khp_run_record()).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scenario/internal.h"

enum field_kind { FK_RESULT, FK_ERRNO, FK_VERDICT, FK_BOOL, FK_UINT, FK_LONG };

struct field_desc {
	const char *name;
	enum field_kind kind;
	size_t off;         /* in struct khp_expect */
	size_t rec_off;     /* in struct khp_record */
};

#define FIELD(f, key, kind, member) \
	[f] = { key, kind, offsetof(struct khp_expect, member), offsetof(struct khp_record, member) }
static const struct field_desc fields[KHP_NR_EXPECT_FIELDS] = {
	FIELD(KHP_EF_RESULT, "result", FK_RESULT, result),
	FIELD(KHP_EF_ERRNO, "errno", FK_ERRNO, err),
	FIELD(KHP_EF_COLLAPSED, "collapsed", FK_BOOL, collapsed),
	FIELD(KHP_EF_NONE_OR_ZERO, "none_or_zero", FK_UINT, none_or_zero),
	FIELD(KHP_EF_UNMAPPED, "unmapped", FK_UINT, unmapped),
	FIELD(KHP_EF_REFERENCED, "referenced", FK_UINT, referenced),
	FIELD(KHP_EF_WRITABLE, "writable", FK_BOOL, writable),
	FIELD(KHP_EF_SHARED, "shared", FK_UINT, shared),
	FIELD(KHP_EF_SHARED_EXACT, "shared_exact", FK_UINT, shared_exact),
	FIELD(KHP_EF_SHARED_PROFILE, "shared_profile", FK_UINT, shared_profile),
	FIELD(KHP_EF_VERDICT, "verdict", FK_VERDICT, verdict),
	FIELD(KHP_EF_ALLOC_PAGES, "alloc_pages", FK_LONG, alloc_pages),
	FIELD(KHP_EF_FREED_PAGES, "freed_pages", FK_LONG, freed_pages),
	FIELD(KHP_EF_FILL_PAGES, "fill_pages", FK_LONG, fill_pages),
	FIELD(KHP_EF_DUP_PAGES, "dup_pages", FK_LONG, dup_pages),
	FIELD(KHP_EF_WASTE_PAGES, "waste_pages", FK_LONG, waste_pages),
	FIELD(KHP_EF_FN_WASTE_PAGES, "fn_waste_pages", FK_LONG, fn_waste_pages),
	FIELD(KHP_EF_COPIED_PAGES, "copied_pages", FK_LONG, copied_pages),
	FIELD(KHP_EF_PTES_CLEARED, "ptes_cleared", FK_LONG, ptes_cleared),
	FIELD(KHP_EF_TLB_FLUSHES, "tlb_flushes", FK_LONG, tlb_flushes),
	FIELD(KHP_EF_PAGES_IN_USE, "pages_in_use", FK_LONG, pages_in_use),
};
#undef FIELD

/* The storage of a field in an expectation (off) or a record (rec_off). */
#define FIELD_AT(base, off, type) ((type *)((char *)(base) + (off)))

const char *khp_expect_field_name(enum khp_expect_field f)
{
	return (unsigned)f < KHP_NR_EXPECT_FIELDS ? fields[f].name : "?";
}

/* ---- reader ------------------------------------------------------------- */

/* Expectation keys: the field names in enum order, then "step", "profile", "pass", "addr". */
#define EK_STEP    KHP_NR_EXPECT_FIELDS
#define EK_PROFILE (KHP_NR_EXPECT_FIELDS + 1)
#define EK_PASS    (KHP_NR_EXPECT_FIELDS + 2)
#define EK_ADDR    (KHP_NR_EXPECT_FIELDS + 3)
#define EK_NR      (KHP_NR_EXPECT_FIELDS + 4)

static int read_name_field(struct scn_reader *rd, const cJSON *v, const char *p,
			   enum field_kind kind, struct khp_expect *e)
{
	const char *s = NULL;
	enum scan_result r;
	enum khp_verdict vd;

	if (scn_get_str(rd, v, p, &s))
		return rd->rc;
	if (kind == FK_VERDICT) {
		if (khp_verdict_parse(s, &vd) || (unsigned)vd >= KHP_NR_VERDICTS)
			return scn_fail(rd, -EINVAL, p, "unknown verdict \"%s\" (none, agree, "
					"false_negative, false_positive)", s);
		e->verdict = vd;
		return 0;
	}
	if (khp_result_parse(s, &r) || (unsigned)r >= KHP_NR_RESULTS)
		return scn_fail(rd, -EINVAL, p, "unknown result \"%s\"", s);
	if (!khp_result_exists(e->profile.kernel, r))
		return scn_fail(rd, -EINVAL, p, "%s does not exist in %s", s,
				khp_kernel_name(e->profile.kernel));
	e->result = r;
	return 0;
}

static int read_errno(struct scn_reader *rd, const cJSON *v, const char *p, struct khp_expect *e)
{
	const char *s = NULL;
	int x;

	if (cJSON_IsNumber(v)) {
		if (v->valuedouble != 0)
			return scn_fail(rd, -EINVAL, p, "errno is a name such as \"EINVAL\", or 0");
		e->err = 0;
		return 0;
	}
	if (scn_get_str(rd, v, p, &s))
		return rd->rc;
	if (khp_errno_parse(s, &x) || x < 0)
		return scn_fail(rd, -EINVAL, p, "unknown errno name \"%s\"", s);
	e->err = x;
	return 0;
}

static int read_field(struct scn_reader *rd, const cJSON *v, const char *p,
		      enum khp_expect_field f, struct khp_expect *e)
{
	const struct field_desc *d = &fields[f];
	uint32_t u = 0;
	long l = 0;
	bool b = false;

	switch (d->kind) {
	case FK_RESULT:
	case FK_VERDICT:
		return read_name_field(rd, v, p, d->kind, e);
	case FK_ERRNO:
		return read_errno(rd, v, p, e);
	case FK_BOOL:
		if (scn_get_bool(rd, v, p, &b))
			return rd->rc;
		*FIELD_AT(e, d->off, bool) = b;
		return 0;
	case FK_UINT:
		if (scn_get_u32(rd, v, p, UINT32_MAX, &u))
			return rd->rc;
		*FIELD_AT(e, d->off, unsigned) = u;
		return 0;
	case FK_LONG:
		if (scn_get_long(rd, v, p, &l))
			return rd->rc;
		*FIELD_AT(e, d->off, long) = l;
		return 0;
	}
	return 0;
}

/* "pass" and "addr": which visit of a daemon step (khugepaged with passes). */
static int read_pass_addr(struct scn_reader *rd, const cJSON **m, const char *path,
			  const struct khp_program *prog, struct khp_expect *e)
{
	const struct khp_op *op = &prog->ops[e->step];
	char p[SCN_PATH_MAX];
	uint64_t x;

	if ((m[EK_PASS] || m[EK_ADDR]) && !(op->type == KHP_OP_KHUGEPAGED && op->count))
		return scn_fail(rd, -EINVAL, path, "\"pass\" and \"addr\" select a visit of a "
				"khugepaged step with \"passes\"");
	if (m[EK_PASS]) {
		scn_sub_path(p, sizeof(p), path, "pass");
		if (scn_get_u64(rd, m[EK_PASS], p, op->count, &x))
			return rd->rc;
		if (!x)
			return scn_fail(rd, -ERANGE, p, "passes count from 1");
		e->pass = (unsigned)x;
	}
	if (m[EK_ADDR]) {
		scn_sub_path(p, sizeof(p), path, "addr");
		if (scn_get_u64(rd, m[EK_ADDR], p, KHP_ADDR_LIMIT - 1, &e->addr))
			return rd->rc;
		e->has_addr = true;
	}
	return 0;
}

/* "step" and "profile": a khugepaged / collapse step, a profile the scenario lists. */
static int read_step_profile(struct scn_reader *rd, const cJSON **m, const char *path,
			     const struct khp_scenario *sc, struct khp_expect *e)
{
	const struct khp_program *prog = &sc->program;
	const char *s = NULL;
	char p[SCN_PATH_MAX];
	uint64_t step;
	size_t j;

	if (!m[EK_STEP])
		return scn_fail(rd, -EINVAL, path, "missing required key \"step\"");
	if (!m[EK_PROFILE])
		return scn_fail(rd, -EINVAL, path, "missing required key \"profile\"");
	scn_sub_path(p, sizeof(p), path, "step");
	if (scn_get_u64(rd, m[EK_STEP], p, UINT32_MAX, &step))
		return rd->rc;
	if (step >= prog->nr_ops)
		return scn_fail(rd, -ERANGE, p, "step %llu is past the end of the program (%zu ops)",
				(unsigned long long)step, prog->nr_ops);
	if (prog->ops[step].type != KHP_OP_KHUGEPAGED && prog->ops[step].type != KHP_OP_COLLAPSE)
		return scn_fail(rd, -EINVAL, p,
				"step %llu is a %s op; only khugepaged and collapse steps have records",
				(unsigned long long)step,
				khp_op_name((enum khp_op_type)prog->ops[step].type));
	e->step = (uint32_t)step;
	scn_sub_path(p, sizeof(p), path, "profile");
	if (scn_get_str(rd, m[EK_PROFILE], p, &s))
		return rd->rc;
	/* a profile the scenario lists, by the name it gave it */
	for (j = 0; j < sc->nr_profiles; j++) {
		if (!strcmp(sc->profiles[j].name, s)) {
			e->profile = sc->profiles[j];
			return read_pass_addr(rd, m, path, prog, e);
		}
	}
	if (khp_profile_parse(s, &e->profile))
		return scn_fail(rd, -EINVAL, p, "unknown profile \"%s\"", s);
	return scn_fail(rd, -EINVAL, p, "profile \"%s\" is not in \"profiles\"", s);
}

static int read_expect(struct scn_reader *rd, const cJSON *obj, const char *path,
		       const struct khp_scenario *sc, struct khp_expect *e)
{
	const char *keys[EK_NR];
	const cJSON *m[EK_NR];
	char p[SCN_PATH_MAX];
	unsigned k;

	for (k = 0; k < KHP_NR_EXPECT_FIELDS; k++)
		keys[k] = fields[k].name;
	keys[EK_STEP] = "step";
	keys[EK_PROFILE] = "profile";
	keys[EK_PASS] = "pass";
	keys[EK_ADDR] = "addr";
	memset(e, 0, sizeof(*e));
	if (scn_get_members(rd, obj, path, keys, EK_NR, m) ||
	    read_step_profile(rd, m, path, sc, e))
		return rd->rc;
	for (k = 0; k < KHP_NR_EXPECT_FIELDS; k++) {
		if (!m[k])
			continue;
		scn_sub_path(p, sizeof(p), path, fields[k].name);
		if (read_field(rd, m[k], p, (enum khp_expect_field)k, e))
			return rd->rc;
		e->fields |= KHP_EF(k);
	}
	if (!e->fields)
		return scn_fail(rd, -EINVAL, path, "expectation names no field to check");
	return 0;
}

int scn_read_expects(struct scn_reader *rd, const cJSON *arr, struct khp_scenario *sc)
{
	const cJSON *it;
	size_t i = 0;

	if (!cJSON_IsArray(arr))
		return scn_fail(rd, -EINVAL, "expect", "expected an array of expectations, found %s",
				scn_type_name(arr));
	cJSON_ArrayForEach(it, arr) {
		struct khp_expect e;
		char p[48];
		int rc;

		snprintf(p, sizeof(p), "expect[%zu]", i++);
		if (read_expect(rd, it, p, sc, &e))
			return rd->rc;
		rc = khp_scenario_add_expect(sc, &e);
		if (rc)
			return scn_fail(rd, rc, p, "cannot add expectation: %s", strerror(-rc));
	}
	return 0;
}

/* ---- writer ------------------------------------------------------------- */

/* Field f of e as JSON (write) or as the report shows it (json false). */
static void field_str(const struct khp_expect *e, unsigned f, bool json, char *buf, size_t n)
{
	const struct field_desc *d = &fields[f];

	switch (d->kind) {
	case FK_RESULT:
		snprintf(buf, n, json ? "\"%s\"" : "%s", khp_result_name(e->result));
		break;
	case FK_ERRNO:
		if (json && !e->err)
			snprintf(buf, n, "0");
		else
			snprintf(buf, n, json ? "\"%s\"" : "%s", khp_errno_name(e->err));
		break;
	case FK_VERDICT:
		snprintf(buf, n, json ? "\"%s\"" : "%s", khp_verdict_name(e->verdict));
		break;
	case FK_BOOL:
		snprintf(buf, n, "%s", *FIELD_AT(e, d->off, const bool) ? "true" : "false");
		break;
	case FK_UINT:
		snprintf(buf, n, "%u", *FIELD_AT(e, d->off, const unsigned));
		break;
	case FK_LONG:
		snprintf(buf, n, "%ld", *FIELD_AT(e, d->off, const long));
		break;
	}
}

void scn_write_expect(FILE *f, const struct khp_expect *e)
{
	struct scn_line l = { f, true };

	fputc('{', f);
	scn_kv_u64(&l, "step", e->step);
	scn_kv_str(&l, "profile", khp_profile_name(&e->profile));
	if (e->pass)
		scn_kv_u64(&l, "pass", e->pass);
	if (e->has_addr)
		scn_kv_u64(&l, "addr", e->addr);
	for (unsigned k = 0; k < KHP_NR_EXPECT_FIELDS; k++) {
		char v[64];

		if (!(e->fields & KHP_EF(k)))
			continue;
		field_str(e, k, true, v, sizeof(v));
		scn_key(&l, fields[k].name);
		fputs(v, f);
	}
	fputc('}', f);
}

/* ---- against runs ----------------------------------------------------------- */

static void expect_from_record(struct khp_expect *e, const struct khp_record *r)
{
	e->result = r->result;
	e->err = r->err;
	e->verdict = r->verdict;
	for (unsigned k = 0; k < KHP_NR_EXPECT_FIELDS; k++) {
		const struct field_desc *d = &fields[k];

		if (d->kind == FK_BOOL)
			*FIELD_AT(e, d->off, bool) = *FIELD_AT(r, d->rec_off, const bool);
		else if (d->kind == FK_UINT)
			*FIELD_AT(e, d->off, unsigned) = *FIELD_AT(r, d->rec_off, const unsigned);
		else if (d->kind == FK_LONG)
			*FIELD_AT(e, d->off, long) = *FIELD_AT(r, d->rec_off, const long);
	}
}

static const struct khp_run *find_run(const struct khp_run *runs, size_t nr_runs,
				      const struct khp_profile *p)
{
	for (size_t j = 0; j < nr_runs; j++)
		if (khp_profile_same(&runs[j].profile, p))
			return &runs[j];
	return NULL;
}

/* The record e names: its step's first, or the visit of pass e->pass (at e->addr). */
static const struct khp_record *find_record(const struct khp_run *run, const struct khp_expect *e)
{
	const struct khp_record *r = khp_run_record(run, e->step);

	if (!e->pass && !e->has_addr)
		return r;
	for (; r && r < run->recs + run->nr_recs && r->step == e->step; r++)
		if ((!e->pass || r->pass == e->pass) && (!e->has_addr || r->addr == e->addr))
			return r;
	return NULL;
}

/* An expectation without a record: not run, or the program stopped before its step. */
static void report_missing(FILE *report, const struct khp_expect *e, const struct khp_run *run)
{
	const char *pn = khp_profile_name(&e->profile);

	if (!report)
		return;
	if (!run)
		fprintf(report, "  step %u profile %s: not run\n", e->step, pn);
	else if (run->err)
		fprintf(report, "  step %u profile %s: no record (program stopped at step %zu: %s)\n",
			e->step, pn, run->err_step, run->errmsg);
	else
		fprintf(report, "  step %u profile %s: no record\n", e->step, pn);
}

size_t khp_scenario_check(const struct khp_scenario *sc, const struct khp_run *runs,
			  size_t nr_runs, FILE *report)
{
	size_t bad = 0;

	for (size_t i = 0; i < sc->nr_expects; i++) {
		const struct khp_expect *e = &sc->expects[i];
		const struct khp_run *run = find_run(runs, nr_runs, &e->profile);
		const struct khp_record *r = run ? find_record(run, e) : NULL;
		struct khp_expect act;

		if (!r) {
			bad++;
			report_missing(report, e, run);
			continue;
		}
		memset(&act, 0, sizeof(act));
		expect_from_record(&act, r);
		for (unsigned k = 0; k < KHP_NR_EXPECT_FIELDS; k++) {
			char want[64], got[64];

			if (!(e->fields & KHP_EF(k)))
				continue;
			field_str(e, k, false, want, sizeof(want));
			field_str(&act, k, false, got, sizeof(got));
			if (!strcmp(want, got))
				continue;
			bad++;
			if (report)
				fprintf(report, "  step %u profile %s: %s expected %s, got %s\n",
					e->step, khp_profile_name(&e->profile), fields[k].name,
					want, got);
		}
	}
	return bad;
}

int khp_scenario_expect_from_runs(struct khp_scenario *sc, const struct khp_run *runs,
				  size_t nr_runs, uint32_t mask)
{
	size_t i, j;

	/* every run's profile must be listed, or the file would not read back */
	for (i = 0; i < nr_runs; i++) {
		for (j = 0; j < sc->nr_profiles; j++)
			if (khp_profile_same(&sc->profiles[j], &runs[i].profile))
				break;
		if (j == sc->nr_profiles) {
			if (sc->nr_profiles == KHP_SCENARIO_MAX_PROFILES)
				return -E2BIG;
			sc->profiles[sc->nr_profiles++] = runs[i].profile;
		}
	}
	sc->nr_expects = 0;
	for (i = 0; i < nr_runs; i++) {
		for (j = 0; j < runs[i].nr_recs; j++) {
			const struct khp_record *r = &runs[i].recs[j];
			struct khp_expect e;
			int rc;

			memset(&e, 0, sizeof(e));
			e.step = r->step;
			e.pass = r->pass;
			e.has_addr = r->pass != 0;
			e.addr = r->addr;
			e.profile = runs[i].profile;
			e.fields = mask & KHP_EF_ALL;
			if (r->op != KHP_OP_COLLAPSE)
				e.fields &= ~KHP_EF(KHP_EF_ERRNO);
			if (!e.fields)
				continue;
			expect_from_record(&e, r);
			rc = khp_scenario_add_expect(sc, &e);
			if (rc)
				return rc;
		}
	}
	return 0;
}
