/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The runner every front end shares (CLI, fuzzers, explorer): a program
 * under one profile in a fresh or reused world, one record per khugepaged /
 * collapse step, the totals at the end.
 */
#include <stdlib.h>
#include <string.h>
#include "mm/mm.h"

static int run_alloc(struct khp_run *run, const struct khp_program *p, bool maps)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nr_ops; i++)
		n += p->ops[i].type == KHP_OP_KHUGEPAGED || p->ops[i].type == KHP_OP_COLLAPSE;
	run->recs = n ? calloc(n, sizeof(*run->recs)) : NULL;
	run->maps = n && maps ? calloc(n, sizeof(*run->maps)) : NULL;
	if (n && (!run->recs || (maps && !run->maps)))
		return -ENOMEM;
	return 0;
}

int khp_run_in(struct khp_world *w, const struct khp_program *p, const struct khp_run_opts *opts,
	       struct khp_run *run)
{
	bool maps = opts && opts->maps;
	int ret;

	khp_world_reset(w);
	if (opts)
		khp_world_set_check(w, opts->check);
	run->profile = w->prof;
	run->nr_recs = 0;
	run->err = 0;
	run->errmsg[0] = 0;
	ret = run_alloc(run, p, maps);
	if (ret) {
		run->err = ret;
		snprintf(run->errmsg, sizeof(run->errmsg), "out of memory for records");
		return ret;
	}
	for (size_t i = 0; i < p->nr_ops; i++) {
		const struct khp_op *op = &p->ops[i];
		struct khp_record *rec = NULL;

		if (op->type == KHP_OP_KHUGEPAGED || op->type == KHP_OP_COLLAPSE) {
			rec = &run->recs[run->nr_recs];
			if (maps && khp_world_pmd_map(w, op->mm, op->addr, run->maps[run->nr_recs],
						      KHP_MAP_MAX))
				run->maps[run->nr_recs][0] = 0;
		}
		ret = khp_world_apply(w, op, rec);
		if (ret) {
			run->err = ret;
			run->err_step = i;
			snprintf(run->errmsg, sizeof(run->errmsg), "step %zu (%s): %s", i,
				 khp_op_name((enum khp_op_type)op->type), khp_world_error(w));
			break;
		}
		if (rec)
			rec->step = (uint32_t)i;
		run->nr_recs += rec != NULL;
	}
	khp_world_totals(w, &run->totals);
	return run->err;
}

int khp_run_program(const struct khp_program *p, struct khp_profile prof,
		    const struct khp_run_opts *opts, struct khp_run *run)
{
	struct khp_world *w;
	char msg[128];
	int ret;

	memset(run, 0, sizeof(*run));
	run->profile = prof;
	ret = khp_config_check(&p->config, msg, sizeof(msg));
	if (!ret)
		ret = khp_world_new(&p->config, prof, &w);
	if (ret) {
		run->err = ret;
		snprintf(run->errmsg, sizeof(run->errmsg), "config: %s",
			 khp_config_check(&p->config, msg, sizeof(msg)) ? msg : "cannot create world");
		return ret;
	}
	ret = khp_run_in(w, p, opts, run);
	khp_world_free(w);
	return ret;
}

void khp_run_free(struct khp_run *run)
{
	free(run->recs);
	free(run->maps);
	run->recs = NULL;
	run->maps = NULL;
	run->nr_recs = 0;
}

const struct khp_record *khp_run_record(const struct khp_run *run, size_t step)
{
	for (size_t i = 0; i < run->nr_recs; i++)
		if (run->recs[i].step == step)
			return &run->recs[i];
	return NULL;
}

long khp_run_max_fn_waste(const struct khp_run *run)
{
	long best = 0;

	for (size_t i = 0; i < run->nr_recs; i++)
		if (run->recs[i].fn_waste_pages > best)
			best = run->recs[i].fn_waste_pages;
	return best;
}
