/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sweeps (khpsim/sweep.h): the axes and their values, the grid, the
 * program and profile of one point, and the loop that evaluates every
 * point under every profile.  Knob values go through the knob table
 * (khp_knob_settings_parse(), khp_knob_settings_apply_program()), rule
 * values through the rules table (khp_rules_combination()), as for
 * `khpsim run --set` and "+RULE=VALUE" profiles.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khpsim/knobs.h"
#include "khpsim/parse.h"
#include "khpsim/sweep.h"
#include "run/run.h"

void khp_sweep_init(struct khp_sweep *s)
{
	memset(s, 0, sizeof(*s));
	khp_knob_settings_init(&s->fixed);
}

void khp_sweep_free(struct khp_sweep *s)
{
	if (s->results)
		for (size_t i = 0; i < s->nr_profiles * s->nr_points; i++)
			free(s->results[i].results);
	free(s->results);
	s->results = NULL;
}

const char *khp_sweep_axis_name(const struct khp_sweep_axis *ax)
{
	return ax->kind == KHP_SWEEP_KNOB ? khp_knob(ax->knob)->name : ax->rule->name;
}

const char *khp_sweep_axis_label(const struct khp_sweep_axis *ax)
{
	return ax->kind == KHP_SWEEP_KNOB ? khp_knob(ax->knob)->sysfs : ax->rule->name;
}

int khp_sweep_value_format(const struct khp_sweep_axis *ax, unsigned i, char *buf, size_t n)
{
	if (ax->kind == KHP_SWEEP_KNOB)
		return khp_knob_format(ax->knob, ax->values[i], buf, n);
	return snprintf(buf, n, "%s", ax->rule->values[ax->values[i]].name);
}

unsigned khp_sweep_coord(const struct khp_sweep *s, size_t point, unsigned a)
{
	for (unsigned b = s->nr_axes; b-- > a + 1;)
		point /= s->axes[b].nr;
	return (unsigned)(point % s->axes[a].nr);
}

int khp_sweep_default_format(const struct khp_sweep *s, unsigned a, size_t p,
			     const struct khp_config *base, char *buf, size_t n)
{
	const struct khp_sweep_axis *ax = &s->axes[a];
	struct khp_config d;

	if (ax->kind == KHP_SWEEP_RULE)
		return snprintf(buf, n, "%s",
				ax->rule->values[khp_rule_get(&s->profiles[p].rules, ax->rule)].name);
	khp_config_default(&d, base->pmd_pages);
	return khp_knob_format(ax->knob, khp_knob_get(&d, ax->knob), buf, n);
}

/* ---- axes ---------------------------------------------------------------- */

/* "page_mapcount, likely_mapped_shared, ..." of rule ri (with their numbers for a range). */
static const char *value_names(const struct khp_rule_info *ri, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < ri->nr_values && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%u %s", i ? ", " : "", i,
					ri->values[i].name);
	return buf;
}

/* Value text of axis ax into *v: the knob table's parser, or a rule's value name/index. */
static int parse_value(const struct khp_sweep_axis *ax, const char *text, bool index,
		       uint32_t *v, char *msg, size_t msglen)
{
	struct khp_knob_settings tmp;
	char names[256];
	uint64_t u;

	if (ax->kind == KHP_SWEEP_KNOB) {
		khp_knob_settings_init(&tmp);
		if (khp_knob_settings_parse(&tmp, ax->knob, text, KHP_KNOB_FROM_SWEEP, msg, msglen))
			return -EINVAL;
		*v = tmp.value[ax->knob];
		return 0;
	}
	for (unsigned i = 0; !index && i < ax->rule->nr_values; i++)
		if (!strcmp(ax->rule->values[i].name, text)) {
			*v = i;
			return 0;
		}
	if (index && !khp_parse_u64(text, 0, ax->rule->nr_values - 1, &u, NULL, 0)) {
		*v = (uint32_t)u;
		return 0;
	}
	return run_say(msg, msglen, -EINVAL, "--knob %s: %s \"%s\" (values: %s)", ax->rule->name,
		       index ? "no value number" : "unknown value", text,
		       value_names(ax->rule, names, sizeof(names)));
}

/* A knob whose values are numbers (page counts, pmd_pages), not modes or flags. */
static bool axis_numeric(const struct khp_sweep_axis *ax)
{
	enum khp_knob_kind kind = ax->kind == KHP_SWEEP_KNOB ? khp_knob(ax->knob)->kind
							    : KHP_KNOB_KIND_MODE;

	return kind == KHP_KNOB_KIND_PTES || kind == KHP_KNOB_KIND_PMD;
}

static int push_value(struct khp_sweep_axis *ax, uint32_t v, const char *text, char *msg,
		      size_t msglen)
{
	for (unsigned i = 0; i < ax->nr; i++)
		if (ax->values[i] == v)
			return run_say(msg, msglen, -EINVAL, "--knob %s: value %s listed twice",
				       khp_sweep_axis_name(ax), text);
	if (ax->nr == KHP_SWEEP_MAX_VALUES)
		return run_say(msg, msglen, -E2BIG, "--knob %s: more than %u values",
			       khp_sweep_axis_name(ax), KHP_SWEEP_MAX_VALUES);
	/* a numeric axis is drawn as one: its values in increasing order */
	if (ax->nr && axis_numeric(ax) && v < ax->values[ax->nr - 1])
		return run_say(msg, msglen, -EINVAL, "--knob %s: value %s after %u: list the "
			       "values of a numeric knob in increasing order",
			       khp_sweep_axis_name(ax), text, ax->values[ax->nr - 1]);
	ax->values[ax->nr++] = v;
	return 0;
}

/* r as exactly three non-empty ':'-separated parts of at most 23 characters; 0 or -1. */
static int split_range(const char *r, char part[3][24])
{
	for (unsigned i = 0; i < 3; i++) {
		size_t len = strcspn(r, ":");

		if (!len || len >= 24 || (i < 2) != (r[len] == ':'))
			return -1;
		memcpy(part[i], r, len);
		part[i][len] = 0;
		r += len + (i < 2);
	}
	return 0;
}

/* "FROM:TO:STEP": FROM, FROM+STEP, ... <= TO. */
static int parse_range(struct khp_sweep_axis *ax, const char *r, char *msg, size_t msglen)
{
	const char *name = khp_sweep_axis_name(ax);
	char part[3][24], t[24];
	uint64_t n[3];
	int rc;

	if (split_range(r, part))
		return run_say(msg, msglen, -EINVAL, "--knob %s: \"%s\" is not FROM:TO:STEP", name, r);
	for (unsigned i = 0; i < 3; i++)
		if (khp_parse_u64(part[i], 0, UINT32_MAX, &n[i], NULL, 0))
			return run_say(msg, msglen, -EINVAL, "--knob %s: \"%s\" in \"%s\" is not a "
				       "decimal number", name, part[i], r);
	if (!n[2])
		return run_say(msg, msglen, -EINVAL, "--knob %s: step 0 in \"%s\"", name, r);
	if (n[0] > n[1])
		return run_say(msg, msglen, -EINVAL, "--knob %s: empty range \"%s\" (FROM > TO)",
			       name, r);
	if ((n[1] - n[0]) / n[2] + 1 > KHP_SWEEP_MAX_VALUES)
		return run_say(msg, msglen, -E2BIG, "--knob %s: \"%s\" has more than %u values",
			       name, r, KHP_SWEEP_MAX_VALUES);
	for (uint64_t v = n[0]; v <= n[1]; v += n[2]) {
		uint32_t x;

		snprintf(t, sizeof(t), "%llu", (unsigned long long)v);
		if ((rc = parse_value(ax, t, true, &x, msg, msglen)) ||
		    (rc = push_value(ax, x, t, msg, msglen)))
			return rc;
	}
	return 0;
}

/* "v1,v2,..." (";" when a value has commas: mthp_orders). */
static int parse_list(struct khp_sweep_axis *ax, const char *list, char *msg, size_t msglen)
{
	char sep = strchr(list, ';') ? ';' : ',';
	const char *p = list;
	int rc;

	for (;;) {
		const char *end = strchr(p, sep);
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char tok[64];
		uint32_t v;

		if (!len || len >= sizeof(tok))
			return run_say(msg, msglen, -EINVAL, "--knob %s: %s value in \"%.60s\"",
				       khp_sweep_axis_name(ax), len ? "too long a" : "an empty", list);
		snprintf(tok, sizeof(tok), "%.*s", (int)len, p);
		if ((rc = parse_value(ax, tok, false, &v, msg, msglen)) ||
		    (rc = push_value(ax, v, tok, msg, msglen)))
			return rc;
		if (!end)
			return 0;
		p = end + 1;
	}
}

/* Knob k or rule ri is already an axis. */
static bool has_axis(const struct khp_sweep *s, const struct khp_sweep_axis *ax)
{
	for (unsigned a = 0; a < s->nr_axes; a++)
		if (s->axes[a].kind == ax->kind && s->axes[a].knob == ax->knob &&
		    s->axes[a].rule == ax->rule)
			return true;
	return false;
}

int khp_sweep_add_axis(struct khp_sweep *s, const char *spec, char *msg, size_t msglen)
{
	struct khp_sweep_axis *ax;
	const char *eq = strchr(spec, '=');
	char name[48], q[64];
	size_t points;
	int rc;

	if (s->nr_axes == KHP_SWEEP_MAX_AXES)
		return run_say(msg, msglen, -E2BIG, "at most %u axes (--knob)", KHP_SWEEP_MAX_AXES);
	if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof(name))
		return run_say(msg, msglen, -EINVAL, "--knob wants NAME=FROM:TO:STEP or "
			       "NAME=v1,v2,..., not \"%s\"", khp_text_escape(q, sizeof(q), spec));
	snprintf(name, sizeof(name), "%.*s", (int)(eq - spec), spec);
	ax = &s->axes[s->nr_axes];
	memset(ax, 0, sizeof(*ax));
	if (!khp_knob_lookup(name, &ax->knob)) {
		ax->kind = KHP_SWEEP_KNOB;
	} else if ((ax->rule = khp_rule_find(name))) {
		ax->kind = KHP_SWEEP_RULE;
		ax->knob = KHP_NR_KNOBS;
	} else {
		return run_say(msg, msglen, -EINVAL, "--knob: unknown knob or rule \"%s\" (knobs: "
			       "pmd_pages, max_ptes_none, max_ptes_swap, max_ptes_shared, thp, "
			       "use_zero_page, swap, shrink_underused, mthp_orders; rules: khpsim "
			       "profiles)", khp_text_escape(q, sizeof(q), name));
	}
	if (has_axis(s, ax))
		return run_say(msg, msglen, -EINVAL, "--knob %s given twice", name);
	if (!eq[1])
		return run_say(msg, msglen, -EINVAL, "--knob %s: no values", name);
	rc = strchr(eq + 1, ':') ? parse_range(ax, eq + 1, msg, msglen)
				 : parse_list(ax, eq + 1, msg, msglen);
	if (rc)
		return rc;
	points = (s->nr_axes ? s->nr_points : 1) * ax->nr;
	if (points > KHP_SWEEP_MAX_POINTS)
		return run_say(msg, msglen, -E2BIG, "the grid has %zu points, more than %u",
			       points, KHP_SWEEP_MAX_POINTS);
	s->nr_points = points;
	s->nr_axes++;
	return 0;
}

/* ---- points ---------------------------------------------------------------- */

/* "max_ptes_shared=256 max_ptes_none=32" of point. */
static void point_name(const struct khp_sweep *s, size_t point, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = 0;
	for (unsigned a = 0; a < s->nr_axes && len < n; a++) {
		char v[64];

		khp_sweep_value_format(&s->axes[a], khp_sweep_coord(s, point, a), v, sizeof(v));
		len += (size_t)snprintf(buf + len, n - len, "%s%s=%s", a ? " " : "",
					khp_sweep_axis_name(&s->axes[a]), v);
	}
}

/* The point's rules on profile p; its name gets "+RULE=VALUE" while it fits. */
static int point_profile(const struct khp_sweep *s, size_t point, size_t p,
			 struct khp_profile *prof, char *msg, size_t msglen)
{
	*prof = s->profiles[p];
	for (unsigned a = 0; a < s->nr_axes; a++) {
		const struct khp_sweep_axis *ax = &s->axes[a];
		size_t len = strlen(prof->name);
		uint32_t value;
		const char *v;

		if (ax->kind != KHP_SWEEP_RULE)
			continue;
		value = ax->values[khp_sweep_coord(s, point, a)];
		v = ax->rule->values[value].name;
		((uint8_t *)&prof->rules)[ax->rule->offset] = (uint8_t)value;
		if (len + strlen(ax->rule->name) + strlen(v) + 3 < sizeof(prof->name))
			snprintf(prof->name + len, sizeof(prof->name) - len, "+%s=%s", ax->rule->name, v);
	}
	return khp_rules_combination(&prof->rules, khp_kernel_rules(prof->kernel), msg, msglen);
}

int khp_sweep_point(const struct khp_sweep *s, const struct khp_program *base, size_t point,
		    size_t p, struct khp_program *out, struct khp_profile *prof,
		    char *msg, size_t msglen)
{
	struct khp_knob_settings ks = s->fixed;
	char m[320], where[160];
	int rc;

	for (unsigned a = 0; a < s->nr_axes; a++) {
		const struct khp_sweep_axis *ax = &s->axes[a];

		if (ax->kind != KHP_SWEEP_KNOB)
			continue;
		ks.value[ax->knob] = ax->values[khp_sweep_coord(s, point, a)];
		ks.set |= 1u << ax->knob;
		ks.origin[ax->knob] = KHP_KNOB_FROM_SWEEP;
	}
	*out = *base;
	point_name(s, point, where, sizeof(where));
	if ((rc = khp_knob_settings_apply_program(&ks, out, m, sizeof(m))))
		return run_say(msg, msglen, rc, "at %s: %s", where, m);
	if ((rc = point_profile(s, point, p, prof, m, sizeof(m))))
		return run_say(msg, msglen, rc, "at %s under %s: %s", where,
			       khp_profile_name(&s->profiles[p]), m);
	return 0;
}

int khp_sweep_check(const struct khp_sweep *s, const struct khp_program *base, char *msg,
		    size_t msglen)
{
	struct khp_program prog;
	struct khp_profile prof;
	int rc;

	if (!s->nr_axes)
		return run_say(msg, msglen, -EINVAL, "no axis (give --knob NAME=VALUES)");
	if (!s->nr_profiles)
		return run_say(msg, msglen, -EINVAL, "no profile");
	for (size_t p = 0; p < s->nr_profiles; p++)
		for (size_t i = 0; i < s->nr_points; i++)
			if ((rc = khp_sweep_point(s, base, i, p, &prog, &prof, msg, msglen)))
				return rc;
	return 0;
}

int khp_sweep_run(struct khp_sweep *s, const struct khp_program *base,
		  const struct khp_sweep_eval *ev, char *msg, size_t msglen)
{
	struct khp_program prog;
	struct khp_profile prof;
	int rc = khp_sweep_check(s, base, msg, msglen);

	if (rc)
		return rc;
	khp_sweep_free(s);
	s->results = calloc(s->nr_profiles * s->nr_points, sizeof(*s->results));
	if (!s->results)
		return run_say(msg, msglen, -ENOMEM, "out of memory");
	for (size_t p = 0; p < s->nr_profiles; p++) {
		for (size_t i = 0; i < s->nr_points; i++) {
			struct khp_sweep_result *r = &s->results[p * s->nr_points + i];

			r->worst_run = -1;
			khp_sweep_point(s, base, i, p, &prog, &prof, NULL, 0);
			if ((rc = ev->eval(ev->arg, &prog, &prof, r, msg, msglen)))
				return rc;
			if (ev->progress)
				ev->progress(ev->progress_arg, p * s->nr_points + i + 1,
					     s->nr_profiles * s->nr_points);
		}
	}
	return 0;
}

/* ---- the scenario evaluator -------------------------------------------------- */

/* "STEP:RESULT" per record, a run of the same one as "STEP:RESULT*N". */
static char *results_text(const struct khp_run *run)
{
	size_t cap = 64 + run->nr_recs * 40, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	buf[0] = 0;
	for (size_t i = 0; i < run->nr_recs;) {
		const struct khp_record *r = &run->recs[i];
		size_t j = i + 1;

		while (j < run->nr_recs && run->recs[j].step == r->step &&
		       run->recs[j].result == r->result)
			j++;
		len += (size_t)snprintf(buf + len, cap - len, "%s%u:%s", len ? " " : "", r->step,
					khp_result_name(r->result));
		if (j - i > 1)
			len += (size_t)snprintf(buf + len, cap - len, "*%zu", j - i);
		i = j;
	}
	return buf;
}

int khp_sweep_eval_scenario(void *arg, const struct khp_program *prog,
			    const struct khp_profile *prof, struct khp_sweep_result *out,
			    char *msg, size_t msglen)
{
	struct khp_run_opts opts = { .check = arg && *(const bool *)arg };
	struct khp_run run;

	memset(&run, 0, sizeof(run));
	khp_run_program(prog, *prof, &opts, &run);
	out->err = run.err;
	if (run.err)
		snprintf(out->errmsg, sizeof(out->errmsg), "program[%zu]: %s", run.err_step,
			 run.errmsg);
	for (size_t i = 0; i < run.nr_recs; i++) {
		out->collapsed += run.recs[i].nr_collapsed;
		out->waste_pages += run.recs[i].waste_pages;
		out->fn_waste_pages += run.recs[i].fn_waste_pages;
	}
	out->pages_in_use = run.totals.pages_in_use;
	out->runs = 1;
	out->results = results_text(&run);
	khp_run_free(&run);
	return out->results ? 0 : run_say(msg, msglen, -ENOMEM, "out of memory");
}
