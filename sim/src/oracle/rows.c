/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One scenario on one guest kernel, step by step (docs/oracle.md §4): the
 * rows of `khpsim oracle`'s table and the run's outcome.
 *
 * A step the guest printed is compared with the model (compare.c).  A step
 * it did not print is MISSING when the guest got past it (the scenario
 * ended, or a later step of it is in the log, or the guest completed), and
 * NOT_RUN when the guest stopped before it (a panic, a timeout, a truncated
 * log): that is a failure of the infrastructure, not of the model.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "khpsim/oracle.h"

/* What one scenario's rows are computed from. */
struct scenario_ctx {
	const struct khp_scenario *sc;
	const struct khp_oracle_guest *g;
	const struct khp_known_list *known;
	struct khp_model_step *model;
	char name[KHP_EMIT_NAME_MAX];
	const char *skip_all;               /* why no step of it is comparable */
	const struct khp_guest_step *operr; /* the op that failed in the guest */
	long last_step;                     /* highest step the guest printed, -1 */
	bool ended;                         /* KHPSIM-END printed for it */
};

static struct khp_oracle_row *row_push(struct khp_oracle_rows *rows,
				       const struct scenario_ctx *c, long step)
{
	struct khp_oracle_row *r;

	if (rows->nr == rows->cap) {
		size_t cap = rows->cap ? rows->cap * 2 : 64;
		struct khp_oracle_row *nv = realloc(rows->v, cap * sizeof(*nv));

		if (!nv)
			return NULL;
		rows->v = nv;
		rows->cap = cap;
	}
	r = &rows->v[rows->nr++];
	memset(r, 0, sizeof(*r));
	snprintf(r->scenario, sizeof(r->scenario), "%s", c->name);
	r->step = step;
	r->op = step >= 0 ? khp_op_name((enum khp_op_type)c->sc->program.ops[step].type) : "-";
	r->kernel = c->g->kernel;
	return r;
}

/* A refused scenario counts nowhere; a whole-scenario row (step -1) is no
 * step but counts in its verdict. */
static void count(struct khp_oracle_totals *t, const struct khp_oracle_row *r)
{
	unsigned *c[] = {
		[KHP_ORACLE_AGREE] = &t->agree,
		[KHP_ORACLE_DIFFER] = &t->differ,
		[KHP_ORACLE_SKIPPED] = &t->skipped,
		[KHP_ORACLE_KNOWN] = &t->known,
		[KHP_ORACLE_MISSING] = &t->missing,
		[KHP_ORACLE_NOT_RUN] = &t->not_run,
		[KHP_ORACLE_REFUSED] = NULL,
	};

	if (!c[r->verdict])
		return;
	t->steps += r->step >= 0;
	(*c[r->verdict])++;
}

static bool uses_pageout(const struct khp_scenario *sc)
{
	for (size_t i = 0; i < sc->program.nr_ops; i++)
		if (sc->program.ops[i].type == KHP_OP_MADVISE &&
		    sc->program.ops[i].advice == KHP_ADV_PAGEOUT)
			return true;
	return false;
}

static const struct khp_guest_step *find_step(const struct khp_guest_log *log, const char *name,
					      size_t step)
{
	for (size_t i = 0; i < log->nr; i++)
		if (log->steps[i].step == step && !strcmp(log->steps[i].scenario, name))
			return &log->steps[i];
	return NULL;
}

/* The guest's view of the scenario: notes, the failed op, how far it got. */
static void ctx_guest(struct scenario_ctx *c)
{
	const struct khp_guest_log *log = &c->g->log;
	const struct khp_config *cfg = &c->sc->program.config;

	if (cfg->swap && uses_pageout(c->sc) && khp_name_in(&log->no_swap, c->name))
		c->skip_all = "no swap device in this guest";
	if (cfg->mthp_orders && khp_kernel_rules(c->g->kernel)->mthp_fault && khp_name_in(&log->no_mthp, c->name))
		c->skip_all = "mTHP sizes unavailable in this guest";
	c->ended = khp_name_in(&log->ended, c->name);
	c->last_step = -1;
	for (size_t i = 0; i < log->nr; i++) {
		const struct khp_guest_step *s = &log->steps[i];

		if (strcmp(s->scenario, c->name))
			continue;
		if (s->kind == KHP_GUEST_OPERR && !c->operr)
			c->operr = s;
		if ((long)s->step > c->last_step)
			c->last_step = s->step;
	}
}

/* The guest got past step i: the scenario ended, a later step of it is in
 * the log, or the guest completed. */
static bool reached(const struct scenario_ctx *c, size_t i)
{
	return c->ended || (long)i < c->last_step || c->g->log.end == KHP_GUEST_COMPLETE;
}

/* A step the guest did not get to. */
static void not_run(const struct scenario_ctx *c, struct khp_oracle_row *r)
{
	enum khp_guest_end e = c->g->log.end;

	r->verdict = KHP_ORACLE_NOT_RUN;
	snprintf(r->why, sizeof(r->why), "the guest %s before this step (%s)",
		 e == KHP_GUEST_PANICKED ? "panicked" : e == KHP_GUEST_TIMED_OUT ? "timed out" :
		 "stopped", c->g->path);
}

/* DIFFER becomes KNOWN when the list covers every differing field. */
static void apply_known(const struct scenario_ctx *c, size_t i, struct khp_oracle_row *r)
{
	const struct khp_known *kn = NULL;
	size_t nknown = 0;

	for (size_t j = 0; j < r->nr_diffs; j++) {
		kn = khp_known_find(c->known, c->name, (unsigned)i, c->g->kernel, r->diffs[j].field);
		nknown += kn != NULL;
	}
	if (nknown == r->nr_diffs && kn) {
		r->verdict = KHP_ORACLE_KNOWN;
		snprintf(r->why, sizeof(r->why), "%s", kn->reason);
	}
}

/* A step the guest printed: compare, then the skip and known overrides. */
static void compared(const struct scenario_ctx *c, size_t i, const struct khp_guest_step *g,
		     struct khp_oracle_row *r)
{
	const char *why = NULL;

	r->has_guest = true;
	r->guest = *g;
	r->verdict = khp_oracle_compare(g, &c->model[i], c->g->kernel, r->diffs, &r->nr_diffs, &why);
	if (c->skip_all && r->verdict != KHP_ORACLE_AGREE) {
		r->verdict = KHP_ORACLE_SKIPPED;
		why = c->skip_all;
	}
	if (why)
		snprintf(r->why, sizeof(r->why), "%s", why);
	if (r->verdict == KHP_ORACLE_DIFFER)
		apply_known(c, i, r);
}

/*
 * An ordinary op (no khugepaged / collapse) has a row only when the model
 * refused it first and the guest did not (the guest prints nothing for an
 * op that succeeds, and stops a scenario at an op that fails).
 */
static bool ordinary_has_row(const struct scenario_ctx *c, size_t i)
{
	const struct khp_model_step *m = c->model;

	return m[i].error && !(i && m[i - 1].error) && !(c->operr && c->operr->step < i);
}

/* The guest performed an op the model refused. */
static void model_refused(const struct scenario_ctx *c, size_t i, struct khp_oracle_row *r)
{
	struct khp_diff *d = &r->diffs[0];

	snprintf(d->field, sizeof(d->field), "op");
	snprintf(d->real, sizeof(d->real), "ok");
	snprintf(d->model, sizeof(d->model), "%s", khp_errno_name(-c->model[i].err));
	r->nr_diffs = 1;
	r->verdict = KHP_ORACLE_DIFFER;
	apply_known(c, i, r);
}

/* The row of step i, if it has one: 1 row pushed, 0 none, -ENOMEM. */
static int step_row(const struct scenario_ctx *c, size_t i, struct khp_oracle_rows *rows)
{
	const struct khp_op *op = &c->sc->program.ops[i];
	const struct khp_guest_step *g = find_step(&c->g->log, c->name, i);
	bool scan = op->type == KHP_OP_KHUGEPAGED || op->type == KHP_OP_COLLAPSE;
	struct khp_oracle_row *r;

	if (!g && !scan && !ordinary_has_row(c, i))
		return 0;
	if (!g && scan && c->operr && c->operr->step < i)
		return 0;  /* the guest stopped at an earlier failed op */
	r = row_push(rows, c, (long)i);
	if (!r)
		return -ENOMEM;
	if (g) {
		compared(c, i, g, r);
	} else if (c->skip_all) {
		r->verdict = KHP_ORACLE_SKIPPED;
		snprintf(r->why, sizeof(r->why), "%s", c->skip_all);
	} else if (!reached(c, i)) {
		not_run(c, r);
	} else if (!scan) {
		model_refused(c, i, r);
	} else {
		r->verdict = KHP_ORACLE_MISSING;
		snprintf(r->why, sizeof(r->why), "no KHPSIM-STEP line in %s", c->g->path);
	}
	count(&rows->t, r);
	return 1;
}

/* A scenario without per-step rows: refused by emit-c, or the model fails. */
static int whole_row(const struct scenario_ctx *c, enum khp_verdict_oracle v, const char *why,
		     struct khp_oracle_rows *rows)
{
	struct khp_oracle_row *r = row_push(rows, c, -1);

	if (!r)
		return -ENOMEM;
	r->verdict = v;
	snprintf(r->why, sizeof(r->why), "%s", why);
	count(&rows->t, r);
	return 0;
}

int khp_oracle_scenario(const struct khp_scenario *sc, const char *file,
			const struct khp_oracle_guest *g, const struct khp_known_list *known,
			struct khp_oracle_rows *rows)
{
	struct scenario_ctx c = { .sc = sc, .g = g, .known = known };
	char msg[256];
	int r = 0;

	khp_emit_name(sc, file, c.name, sizeof(c.name));
	if (khp_emit_check(sc, msg, sizeof(msg)))
		return whole_row(&c, KHP_ORACLE_REFUSED, msg, rows);
	c.model = calloc(sc->program.nr_ops ? sc->program.nr_ops : 1, sizeof(*c.model));
	if (!c.model)
		return -ENOMEM;
	r = khp_model_steps(sc, g->kernel, c.model);
	if (r) {
		snprintf(msg, sizeof(msg), "the model cannot run it: %s", khp_errno_name(-r));
		r = whole_row(&c, KHP_ORACLE_MISSING, msg, rows);
		free(c.model);
		return r;
	}
	ctx_guest(&c);
	for (size_t i = 0; i < sc->program.nr_ops && r >= 0; i++) {
		const struct khp_guest_step *gs = find_step(&g->log, c.name, i);

		r = step_row(&c, i, rows);
		if (gs && gs->kind == KHP_GUEST_OPERR)
			break;
	}
	free(c.model);
	return r < 0 ? r : 0;
}

void khp_oracle_rows_free(struct khp_oracle_rows *rows)
{
	free(rows->v);
	memset(rows, 0, sizeof(*rows));
}

enum khp_oracle_outcome khp_oracle_outcome(const struct khp_oracle_rows *rows,
					   const struct khp_oracle_guest *guests, size_t n)
{
	if (rows->t.differ || rows->t.missing)
		return KHP_ORACLE_DISAGREE;
	for (size_t i = 0; i < n; i++)
		if (guests[i].log.end != KHP_GUEST_COMPLETE)
			return KHP_ORACLE_INCOMPLETE;
	return rows->t.not_run ? KHP_ORACLE_INCOMPLETE : KHP_ORACLE_OK;
}
