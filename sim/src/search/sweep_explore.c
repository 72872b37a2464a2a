/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The explore evaluator of a sweep (khpsim/sweep_search.h): at one grid
 * point, runs 0..runs-1 of the pcg32 streams of one seed, decoded with the
 * point's config (khp_pcg32_stream(), khp_decode(), as `khpsim explore`),
 * each run under the point's profile in one reused world; the result is
 * the worst run's (largest khp_run_max_fn_waste(), the first on a tie).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khpsim/rng.h"
#include "khpsim/sweep_search.h"

void khp_sweep_explore_init(struct khp_sweep_explore *x)
{
	memset(x, 0, sizeof(*x));
	x->seed = 1;
	x->runs = 1000;
	x->max_bytes = 256;
	khp_decode_opts_default(&x->dopts);
}

/* The worst run's figures into out. */
static void keep(struct khp_sweep_result *out, const struct khp_run *run, long fn,
		 unsigned long i)
{
	out->fn_waste_pages = fn;
	out->worst_run = (long)i;
	out->collapsed = out->waste_pages = 0;
	for (size_t k = 0; k < run->nr_recs; k++) {
		out->collapsed += run->recs[k].nr_collapsed;
		out->waste_pages += run->recs[k].waste_pages;
	}
	out->pages_in_use = run->totals.pages_in_use;
}

int khp_sweep_eval_explore(void *arg, const struct khp_program *prog,
			   const struct khp_profile *prof, struct khp_sweep_result *out,
			   char *msg, size_t msglen)
{
	const struct khp_sweep_explore *x = arg;
	struct khp_decode_opts d = x->dopts;
	struct khp_run_opts ropts = { 0 };
	struct khp_world *w = NULL;
	uint8_t *buf = malloc(x->max_bytes ? x->max_bytes : 1);
	int rc = 0;

	d.config = prog->config;
	d.config_from_input = false;
	if (!buf || khp_world_new(&prog->config, *prof, &w)) {
		free(buf);
		snprintf(msg, msglen, "cannot create a world for %s", khp_profile_name(prof));
		return -ENOMEM;
	}
	for (unsigned long i = 0; i < x->runs && !rc; i++) {
		uint32_t len = khp_pcg32_stream(x->seed, i, x->max_bytes, buf);
		struct khp_program p;
		struct khp_run run;
		long fn;

		if (khp_decode(buf, len, &d, &p)) {
			khp_program_free(&p);
			snprintf(msg, msglen, "out of memory");
			rc = -ENOMEM;
			break;
		}
		memset(&run, 0, sizeof(run));
		khp_run_in(w, &p, &ropts, &run);
		fn = khp_run_max_fn_waste(&run);
		if (fn > out->fn_waste_pages)
			keep(out, &run, fn, i);
		khp_run_free(&run);
		khp_program_free(&p);
		out->runs++;
	}
	khp_world_free(w);
	free(buf);
	return rc;
}
