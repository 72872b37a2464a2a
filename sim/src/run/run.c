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
	run->cap_recs = n;
	if (n && (!run->recs || (maps && !run->maps)))
		return -ENOMEM;
	return 0;
}

/* The daemon's sink: records and pass totals of the step being run. */
struct daemon_ctx {
	struct khp_run *run;
	uint32_t step;
	bool maps;
};

/* Room for one more record (and its map): the daemon's visits are not counted ahead. */
static int run_grow(struct khp_run *run, bool maps)
{
	size_t cap = run->cap_recs ? 2 * run->cap_recs : 16;
	void *p;

	if (run->nr_recs < run->cap_recs)
		return 0;
	p = realloc(run->recs, cap * sizeof(*run->recs));
	if (!p)
		return -ENOMEM;
	run->recs = p;
	if (maps) {
		p = realloc(run->maps, cap * sizeof(*run->maps));
		if (!p)
			return -ENOMEM;
		run->maps = p;
	}
	run->cap_recs = cap;
	return 0;
}

static int daemon_record(void *arg, const struct khp_record *rec)
{
	struct daemon_ctx *d = arg;
	struct khp_run *run = d->run;

	if (run_grow(run, d->maps))
		return -ENOMEM;
	if (d->maps)
		run->maps[run->nr_recs][0] = 0;    /* no map before a daemon visit */
	run->recs[run->nr_recs] = *rec;
	run->recs[run->nr_recs++].step = d->step;
	return 0;
}

static void daemon_pass(void *arg, const struct khp_pass *pass)
{
	struct daemon_ctx *d = arg;
	struct khp_run *run = d->run;

	if (run->nr_passes == run->cap_passes) {
		size_t cap = run->cap_passes ? 2 * run->cap_passes : 8;
		void *p = realloc(run->passes, cap * sizeof(*run->passes));

		if (!p)
			return;     /* the pass table is a report; the records are complete */
		run->passes = p;
		run->cap_passes = cap;
	}
	run->passes[run->nr_passes] = *pass;
	run->passes[run->nr_passes++].step = d->step;
}

/* One op of the program; a daemon op's records go to the run through the sink. */
static int run_op(struct khp_world *w, const struct khp_op *op, size_t i, bool maps,
		  struct khp_run *run)
{
	struct daemon_ctx d = { run, (uint32_t)i, maps };
	struct khp_daemon_sink sink = { daemon_record, daemon_pass, &d };
	struct khp_record *rec = NULL;
	int ret;

	if (op->type == KHP_OP_KHUGEPAGED && op->count)
		return khp_world_apply_sink(w, op, NULL, &sink);
	if (op->type == KHP_OP_KHUGEPAGED || op->type == KHP_OP_COLLAPSE) {
		if (run_grow(run, maps))
			return -ENOMEM;
		rec = &run->recs[run->nr_recs];
		if (maps && khp_world_pmd_map(w, op->mm, op->addr, run->maps[run->nr_recs],
					      KHP_MAP_MAX))
			run->maps[run->nr_recs][0] = 0;
	}
	ret = khp_world_apply(w, op, rec);
	if (!ret && rec) {
		rec->step = (uint32_t)i;
		run->nr_recs++;
	}
	return ret;
}

/* The work of op (see struct khp_run_opts): an estimate of its cost in pages. */
static uint64_t op_work(const struct khp_op *op, unsigned pmd_pages)
{
	if (op->type == KHP_OP_KHUGEPAGED)
		return KHP_PROGRESS_OP_WORK + pmd_pages;
	return KHP_PROGRESS_OP_WORK + op->pages;
}

/* Call opts->progress when the work done passes the next multiple. */
static void progress(const struct khp_run_opts *opts, const struct khp_run *run, uint64_t *work,
		     const struct khp_op *op, const struct khp_program *p, size_t done)
{
	uint64_t every = opts->progress_work ? opts->progress_work : KHP_PROGRESS_WORK;
	uint64_t w = op_work(op, p->config.pmd_pages);

	if (*work / every != (*work + w) / every)
		opts->progress(opts->progress_arg, run, done, p->nr_ops);
	*work += w;
}

int khp_run_in(struct khp_world *w, const struct khp_program *p, const struct khp_run_opts *opts,
	       struct khp_run *run)
{
	bool maps = opts && opts->maps;
	uint64_t work = 0;
	int ret;

	khp_world_reset(w);
	if (opts)
		khp_world_set_check(w, opts->check);
	run->profile = w->prof;
	run->nr_recs = 0;
	run->nr_passes = 0;
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

		ret = run_op(w, op, i, maps, run);
		if (ret) {
			run->err = ret;
			run->err_step = i;
			snprintf(run->errmsg, sizeof(run->errmsg), "step %zu (%s): %s", i,
				 khp_op_name((enum khp_op_type)op->type), khp_world_error(w));
			break;
		}
		if (opts && opts->progress)
			progress(opts, run, &work, op, p, i + 1);
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
	free(run->passes);
	run->recs = NULL;
	run->maps = NULL;
	run->passes = NULL;
	run->nr_recs = run->cap_recs = 0;
	run->nr_passes = run->cap_passes = 0;
}

const struct khp_record *khp_run_record(const struct khp_run *run, size_t step)
{
	size_t lo = 0, hi = run->nr_recs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (run->recs[mid].step < step)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < run->nr_recs && run->recs[lo].step == step ? &run->recs[lo] : NULL;
}

long khp_run_max_fn_waste(const struct khp_run *run)
{
	long best = 0;

	for (size_t i = 0; i < run->nr_recs; i++)
		if (run->recs[i].fn_waste_pages > best)
			best = run->recs[i].fn_waste_pages;
	return best;
}
