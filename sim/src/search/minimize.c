/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Findings and their minimisation (see minimize.h).
 *
 * Everything here is a client of the public runner: a program is judged
 * only by running it (khp_run_in on one reused world per profile), so the
 * minimiser cannot disagree with replay.  Deterministic: the candidate
 * order depends only on the program.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khpsim/minimize.h"

void khp_finding_max(const struct khp_run *runs, size_t nr_runs, struct khp_finding_max *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t r = 0; r < nr_runs; r++) {
		for (size_t i = 0; i < runs[r].nr_recs; i++) {
			const struct khp_record *rec = &runs[r].recs[i];

			if (rec->fn_waste_pages > out->fn_waste) {
				out->fn_waste = rec->fn_waste_pages;
				out->run = r;
				out->step = rec->step;
			}
		}
	}
}

/* A copy of p without ops [from, from + n). */
static int program_without(const struct khp_program *p, size_t from, size_t n,
			   struct khp_program *out)
{
	khp_program_init(out, &p->config);
	for (size_t i = 0; i < p->nr_ops; i++) {
		int ret;

		if (i >= from && i < from + n)
			continue;
		ret = khp_program_push(out, &p->ops[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static int program_dup(const struct khp_program *p, struct khp_program *out)
{
	return program_without(p, 0, 0, out);
}

/* Worlds reused across runs, one per profile. */
struct runner {
	const struct khp_profile *profs;
	size_t nr;
	struct khp_world *w[KHP_SCENARIO_MAX_PROFILES];
};

static int runner_init(struct runner *r, const struct khp_config *c,
		       const struct khp_profile *profs, size_t nr)
{
	memset(r, 0, sizeof(*r));
	if (nr > KHP_SCENARIO_MAX_PROFILES || !nr)
		return -EINVAL;
	r->profs = profs;
	r->nr = nr;
	for (size_t i = 0; i < nr; i++) {
		int ret = khp_world_new(c, profs[i], &r->w[i]);

		if (ret)
			return ret;
	}
	return 0;
}

static void runner_free(struct runner *r)
{
	for (size_t i = 0; i < r->nr; i++)
		if (r->w[i])
			khp_world_free(r->w[i]);
}

/* Run p under every profile into runs[] (caller frees).  Index of the first
 * run with a rejected op, or -1 if all ran cleanly. */
static int runner_run(struct runner *r, const struct khp_program *p, struct khp_run *runs)
{
	struct khp_run_opts opts = { 0 };
	int bad = -1;

	for (size_t i = 0; i < r->nr; i++) {
		memset(&runs[i], 0, sizeof(runs[i]));
		khp_run_in(r->w[i], p, &opts, &runs[i]);
		if (runs[i].err && bad < 0)
			bad = (int)i;
	}
	return bad;
}

static void runs_free(struct khp_run *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		khp_run_free(&runs[i]);
}

int khp_program_make_replayable(const struct khp_program *prog, size_t last_step,
				const struct khp_profile *profs, size_t nr_profs,
				struct khp_program *out)
{
	struct khp_run runs[KHP_SCENARIO_MAX_PROFILES];
	struct runner r;
	size_t keep = prog->nr_ops;
	int ret;

	if (last_step != SIZE_MAX && last_step + 1 < keep)
		keep = last_step + 1;
	ret = program_without(prog, keep, prog->nr_ops - keep, out);
	if (ret)
		return ret;
	ret = runner_init(&r, &prog->config, profs, nr_profs);
	if (ret) {
		runner_free(&r);
		return ret;
	}
	for (size_t tries = 0; tries <= prog->nr_ops; tries++) {
		struct khp_program next;
		int bad = runner_run(&r, out, runs);
		size_t step = bad >= 0 ? runs[bad].err_step : 0;

		runs_free(runs, r.nr);
		if (bad < 0) {
			runner_free(&r);
			return out->nr_ops ? 0 : -EINVAL;
		}
		ret = program_without(out, step, 1, &next);
		khp_program_free(out);
		*out = next;
		if (ret)
			break;
	}
	runner_free(&r);
	return ret ? ret : -EINVAL;
}

static uint64_t fnv1a(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8) {
		h ^= v & 0xff;
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t program_hash(const struct khp_program *p)
{
	const struct khp_config *c = &p->config;
	uint64_t h = 0xcbf29ce484222325ull;

	h = fnv1a(h, c->pmd_pages);
	h = fnv1a(h, c->max_ptes_none | (uint64_t)c->max_ptes_swap << 16 |
		  (uint64_t)c->max_ptes_shared << 32 | (uint64_t)c->thp << 48);
	h = fnv1a(h, c->use_zero_page | c->swap << 1 | c->shrink_underused << 2 |
		  (uint64_t)c->mthp_orders << 8);
	for (size_t i = 0; i < p->nr_ops; i++) {
		const struct khp_op *op = &p->ops[i];

		h = fnv1a(h, op->type | op->advice << 8 | op->flags << 16 | (uint64_t)op->mm << 32);
		h = fnv1a(h, op->child | (uint64_t)op->count << 32);
		h = fnv1a(h, op->addr);
		h = fnv1a(h, op->pages);
		h = fnv1a(h, op->to);
		h = fnv1a(h, op->new_pages);
	}
	return h;
}

/* Fill sc's expectations from its own runs; returns the finding maximum. */
static int scenario_refresh(struct khp_scenario *sc, struct khp_finding_max *max)
{
	struct khp_run runs[KHP_SCENARIO_MAX_PROFILES];
	struct khp_run_opts opts = { 0 };
	int n, ret;

	n = khp_scenario_run_all(sc, &opts, runs);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (runs[i].err) {
			runs_free(runs, (size_t)n);
			return -EINVAL;
		}
	}
	sc->nr_expects = 0;
	ret = khp_scenario_expect_from_runs(sc, runs, (size_t)n, KHP_FINDING_FIELDS);
	if (max)
		khp_finding_max(runs, (size_t)n, max);
	runs_free(runs, (size_t)n);
	return ret;
}

int khp_finding_write(const char *dir, const char *prefix, const char *description,
		      const struct khp_program *prog, const struct khp_profile *profs,
		      size_t nr_profs, char *path, size_t pathlen)
{
	struct khp_run runs[KHP_SCENARIO_MAX_PROFILES];
	struct khp_finding_max max;
	struct khp_scenario sc;
	struct runner r;
	char name[160], file[4096];
	size_t last = SIZE_MAX;
	int ret;

	if (nr_profs > KHP_SCENARIO_MAX_PROFILES || !nr_profs)
		return -EINVAL;
	/* Cut after the worst step so that the scenario ends with the finding. */
	if (!runner_init(&r, &prog->config, profs, nr_profs)) {
		runner_run(&r, prog, runs);
		khp_finding_max(runs, r.nr, &max);
		if (max.fn_waste > 0)
			last = max.step;
		runs_free(runs, r.nr);
	}
	runner_free(&r);

	khp_scenario_init(&sc);
	khp_program_free(&sc.program);
	ret = khp_program_make_replayable(prog, last, profs, nr_profs, &sc.program);
	if (ret)
		goto out;
	memcpy(sc.profiles, profs, nr_profs * sizeof(profs[0]));
	sc.nr_profiles = nr_profs;
	ret = scenario_refresh(&sc, &max);
	if (ret)
		goto out;
	if (max.fn_waste > 0)
		snprintf(name, sizeof(name), "%s-%s-fn%ld-%016llx", prefix ? prefix : "finding",
			 khp_profile_name(&profs[max.run]), max.fn_waste,
			 (unsigned long long)program_hash(&sc.program));
	else
		snprintf(name, sizeof(name), "%s-%016llx", prefix ? prefix : "finding",
			 (unsigned long long)program_hash(&sc.program));
	ret = khp_scenario_set_str(&sc.name, name);
	if (!ret && description)
		ret = khp_scenario_set_str(&sc.description, description);
	if (ret)
		goto out;
	snprintf(file, sizeof(file), "%s/%s.json", dir && *dir ? dir : ".", name);
	ret = khp_scenario_write_file(file, &sc);
	if (!ret && path)
		snprintf(path, pathlen, "%s", file);
out:
	khp_scenario_free(&sc);
	return ret;
}

/* ---- minimisation --------------------------------------------------------- */

struct minctx {
	struct runner r;
	size_t target;             /* profile index of the finding */
	long fn_waste;             /* value to preserve (at least) */
	unsigned long runs, max_runs;
};

static bool holds(struct minctx *m, const struct khp_program *p)
{
	struct khp_run runs[KHP_SCENARIO_MAX_PROFILES];
	bool ok;

	if (!p->nr_ops || m->runs >= m->max_runs)
		return false;
	m->runs++;
	ok = runner_run(&m->r, p, runs) < 0 &&
	     khp_run_max_fn_waste(&runs[m->target]) >= m->fn_waste;
	runs_free(runs, m->r.nr);
	return ok;
}

/* Accept cand into *cur if the property holds; frees cand otherwise. */
static bool try_accept(struct minctx *m, struct khp_program *cur, struct khp_program *cand)
{
	if (holds(m, cand)) {
		khp_program_free(cur);
		*cur = *cand;
		return true;
	}
	khp_program_free(cand);
	return false;
}

static bool pass_drop_ops(struct minctx *m, struct khp_program *cur)
{
	bool changed = false;

	for (size_t chunk = cur->nr_ops / 2 ? cur->nr_ops / 2 : 1; chunk >= 1; chunk /= 2) {
		size_t i = 0;

		while (i < cur->nr_ops) {
			struct khp_program cand;

			if (program_without(cur, i, chunk, &cand)) {
				khp_program_free(&cand);
				return changed;
			}
			if (try_accept(m, cur, &cand))
				changed = true;
			else
				i += chunk;
		}
		if (chunk == 1)
			break;
	}
	return changed;
}

/* Try a modified copy of op i. */
static bool try_op(struct minctx *m, struct khp_program *cur, size_t i, const struct khp_op *op)
{
	struct khp_program cand;

	if (!memcmp(op, &cur->ops[i], sizeof(*op)) || program_dup(cur, &cand))
		return false;
	cand.ops[i] = *op;
	return try_accept(m, cur, &cand);
}

/*
 * Shrink one u64 field of op i: binary search for the smallest value in
 * [1, current] that keeps the property (assuming it is monotone; when it
 * is not, the search still only ever accepts values that hold).
 */
static bool shrink_u64(struct minctx *m, struct khp_program *cur, size_t i, size_t field)
{
	uint64_t lo = 1, hi = *(uint64_t *)((char *)&cur->ops[i] + field);
	bool changed = false;

	while (lo < hi) {
		struct khp_op op = cur->ops[i];
		uint64_t mid = lo + (hi - lo) / 2;

		*(uint64_t *)((char *)&op + field) = mid;
		if (try_op(m, cur, i, &op)) {
			hi = mid;
			changed = true;
		} else {
			lo = mid + 1;
		}
	}
	return changed;
}

static bool pass_shrink_fields(struct minctx *m, struct khp_program *cur)
{
	bool changed = false;

	for (size_t i = 0; i < cur->nr_ops; i++) {
		struct khp_op op = cur->ops[i];

		if (op.pages)
			changed |= shrink_u64(m, cur, i, offsetof(struct khp_op, pages));
		if (op.flags & KHP_OPF_NEW_PAGES)
			changed |= shrink_u64(m, cur, i, offsetof(struct khp_op, new_pages));
		op = cur->ops[i];
		if (op.type == KHP_OP_FAIL_ALLOC && op.count > 1) {
			op.count = 1;
			changed |= try_op(m, cur, i, &op);
		}
		op = cur->ops[i];
		if (op.flags & (KHP_OPF_UFFD | KHP_OPF_NOHUGEPAGE)) {
			op.flags &= ~(KHP_OPF_UFFD | KHP_OPF_NOHUGEPAGE);
			changed |= try_op(m, cur, i, &op);
		}
	}
	return changed;
}

/* Move every address of the program down by `by` pages. */
static bool try_shift(struct minctx *m, struct khp_program *cur, uint64_t by)
{
	struct khp_program cand;

	if (!by || program_dup(cur, &cand))
		return false;
	for (size_t i = 0; i < cand.nr_ops; i++) {
		struct khp_op *op = &cand.ops[i];

		if (op->type == KHP_OP_FORK || op->type == KHP_OP_EXIT ||
		    op->type == KHP_OP_SPLIT || op->type == KHP_OP_FAIL_ALLOC ||
		    (op->type == KHP_OP_AGE && !(op->flags & KHP_OPF_RANGE)))
			continue;
		op->addr -= by;
		if (op->flags & KHP_OPF_TO)
			op->to -= by;
	}
	return try_accept(m, cur, &cand);
}

static bool pass_lower_addresses(struct minctx *m, struct khp_program *cur)
{
	uint64_t lo = UINT64_MAX, pmd = cur->config.pmd_pages;
	bool changed = false;

	for (size_t i = 0; i < cur->nr_ops; i++) {
		const struct khp_op *op = &cur->ops[i];

		if (op->type == KHP_OP_MMAP && op->addr < lo)
			lo = op->addr;
		if (op->type == KHP_OP_MREMAP && (op->flags & KHP_OPF_TO) && op->to < lo)
			lo = op->to;
	}
	if (lo == UINT64_MAX || lo < pmd)
		return false;
	changed = try_shift(m, cur, lo - lo % pmd);
	if (!changed)
		changed = try_shift(m, cur, pmd);
	/* Lower single mremap destinations, PMD range by PMD range. */
	for (size_t i = 0; i < cur->nr_ops; i++) {
		struct khp_op op = cur->ops[i];

		if (op.type != KHP_OP_MREMAP || !(op.flags & KHP_OPF_TO))
			continue;
		while (op.to >= pmd) {
			op.to -= pmd;
			if (!try_op(m, cur, i, &op))
				break;
			changed = true;
		}
	}
	return changed;
}

int khp_minimize(struct khp_scenario *sc, const struct khp_min_opts *o,
		 struct khp_min_stats *st)
{
	struct khp_profile all[KHP_NR_KERNELS];
	const struct khp_profile *profs = sc->profiles;
	struct khp_run runs[KHP_SCENARIO_MAX_PROFILES];
	struct khp_finding_max max;
	struct khp_program cur;
	struct minctx m;
	size_t nr = sc->nr_profiles;
	int ret, round = 0;

	memset(st, 0, sizeof(*st));
	memset(&m, 0, sizeof(m));
	if (!nr) {
		for (int k = 0; k < KHP_NR_KERNELS; k++)
			all[k] = khp_profile_kernel((enum khp_kernel)k);
		profs = all;
		nr = KHP_NR_KERNELS;
	}
	ret = runner_init(&m.r, &sc->program.config, profs, nr);
	if (ret)
		goto out_free;
	m.max_runs = o && o->max_runs ? o->max_runs : 20000;
	if (runner_run(&m.r, &sc->program, runs) >= 0) {
		runs_free(runs, nr);
		ret = -EINVAL;
		goto out_free;
	}
	khp_finding_max(runs, nr, &max);
	runs_free(runs, nr);
	if (max.fn_waste <= 0) {
		ret = -ENOENT;
		goto out_free;
	}
	m.target = max.run;
	m.fn_waste = max.fn_waste;
	st->ops_before = sc->program.nr_ops;
	st->profile = profs[max.run];

	ret = program_dup(&sc->program, &cur);
	if (ret)
		goto out_free;
	for (;;) {
		bool changed = pass_drop_ops(&m, &cur);

		changed |= pass_shrink_fields(&m, &cur);
		changed |= pass_lower_addresses(&m, &cur);
		if (o && o->log)
			fprintf(o->log, "minimize: round %d: %zu ops, %lu runs\n",
				++round, cur.nr_ops, m.runs);
		if (!changed || m.runs >= m.max_runs)
			break;
	}
	khp_program_free(&sc->program);
	sc->program = cur;
	ret = scenario_refresh(sc, &max);
	st->ops_after = sc->program.nr_ops;
	st->fn_waste = max.fn_waste;
	st->runs = m.runs;
out_free:
	runner_free(&m.r);
	return ret;
}
