/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exhaust evaluator of a sweep (khpsim/sweep_search.h): at one grid
 * point, the bounded exhaustive search (khpsim/exhaust.h) with the point's
 * config and profile; the result is the certificate's maximum
 * fn_waste_pages, and the witness replayed for the other columns.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "khpsim/exhaust.h"
#include "khpsim/sweep_search.h"

void khp_sweep_exhaust_init(struct khp_sweep_exhaust *x)
{
	struct khp_exhaust_bounds b;

	khp_exhaust_bounds_default(&b);
	memset(x, 0, sizeof(*x));
	x->mms = b.mms;
	x->ops = b.ops;
	x->grammar = b.grammar;
}

/* The witness's run: its collapses, waste and pages in use. */
static int replay_witness(const struct khp_exhaust_bounds *b, const struct khp_exhaust_result *r,
			  const struct khp_profile *prof, struct khp_sweep_result *out)
{
	struct khp_run_opts ropts = { 0 };
	struct khp_program p;
	struct khp_world *w = NULL;
	struct khp_run run;

	if (khp_exhaust_witness_program(b, r, &p))
		return -ENOMEM;
	if (khp_world_new(&p.config, *prof, &w)) {
		khp_program_free(&p);
		return -ENOMEM;
	}
	memset(&run, 0, sizeof(run));
	khp_run_in(w, &p, &ropts, &run);
	for (size_t k = 0; k < run.nr_recs; k++) {
		out->collapsed += run.recs[k].nr_collapsed;
		out->waste_pages += run.recs[k].waste_pages;
	}
	out->pages_in_use = run.totals.pages_in_use;
	khp_run_free(&run);
	khp_world_free(w);
	khp_program_free(&p);
	return 0;
}

int khp_sweep_eval_exhaust(void *arg, const struct khp_program *prog,
			   const struct khp_profile *prof, struct khp_sweep_result *out,
			   char *msg, size_t msglen)
{
	const struct khp_sweep_exhaust *x = arg;
	struct khp_exhaust_bounds b;
	struct khp_exhaust_result r;
	int rc;

	khp_exhaust_bounds_default(&b);
	b.config = prog->config;
	b.mms = x->mms;
	b.ops = x->ops;
	b.grammar = x->grammar;
	memset(&r, 0, sizeof(r));
	rc = khp_exhaust_run(&b, prof, NULL, NULL, &r, msg, msglen);
	if (!rc) {
		out->fn_waste_pages = r.max_fn_waste;
		out->runs = r.states;
		out->worst_run = -1;
		if (r.witness_len && replay_witness(&b, &r, prof, out)) {
			snprintf(msg, msglen, "out of memory");
			rc = -ENOMEM;
		}
	}
	khp_exhaust_result_free(&r);
	return rc;
}
