/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * khp_exhaust_run(): breadth-first search over the worlds a grammar reaches
 * (docs/proofs.md).
 *
 * A state is a world's canonical bytes (khp_world_canon()), kept as a
 * 128-bit hash in a set; each state is expanded once, at its least depth.
 * The frontier of a depth is a list of programs (grammar indices); a state
 * is rebuilt by replaying its program, saved with khp_world_copy(), and
 * every grammar op is applied to it, the world restored from the copy after
 * each op the world accepted (a refused op leaves the world unchanged).
 * Reductions, all sound: a program's last op produces a record only if it
 * is a khugepaged or collapse op, so at the last depth only those are
 * evaluated and no state is kept, and the states of the depth before are
 * evaluated as they are found (no frontier, no replay); an op leading to a known state (a no-op
 * among them) is not expanded again; an op on an mm that does not exist is
 * refused without being applied.
 *
 * Sharding: every shard runs the depths up to the shard depth (2, or less
 * for fewer than 4 ops) in full; the frontier entry i at that depth belongs to
 * shard i mod K.  Each shard keeps the sets of the states it expanded and of
 * the false-negative and false-positive transitions (hash of state and op),
 * so that khp_exhaust_merge() counts each one once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "khpsim/exhaust.h"
#include "search/exhaust_int.h"

struct search {
	const struct khp_exhaust_bounds *b;
	struct khp_op *g;
	size_t nr_g;
	uint16_t *gidx;            /* s->g[i] is op gidx[i] of the whole grammar */
	struct khp_world *w, *base, *leaf;
	struct hset seen, fn, fp;
	uint8_t *canon;
	size_t canon_cap;
	uint16_t *front, *next;    /* depth d: nr_front programs of d indices */
	size_t nr_front, nr_next, cap_next;
	struct khp_exhaust_result *r;
	void (*progress)(void *arg, unsigned depth, unsigned long states);
	void *arg;
	char *msg;
	size_t len;
};

void khp_exhaust_bounds_default(struct khp_exhaust_bounds *b)
{
	b->mms = 2;
	b->ops = 4;
	b->grammar = KHP_GRAMMAR_CORE;
	b->shard = 0;
	b->nr_shards = 1;
	b->subset = NULL;
	b->nr_subset = 0;
}

int khp_exhaust_bounds_check(const struct khp_exhaust_bounds *b, char *msg, size_t len)
{
	char m[160];

	if (khp_config_check(&b->config, m, sizeof(m)))
		return snprintf(msg, len, "%s", m), -EINVAL;
	if (b->mms < 1 || b->mms > KHP_EXHAUST_MAX_MMS)
		return snprintf(msg, len, "mms %u out of range 1..%u", b->mms, KHP_EXHAUST_MAX_MMS),
		       -EINVAL;
	if (b->ops < 1 || b->ops > KHP_EXHAUST_MAX_OPS)
		return snprintf(msg, len, "ops %u out of range 1..%u", b->ops, KHP_EXHAUST_MAX_OPS),
		       -EINVAL;
	if ((unsigned)b->grammar >= KHP_NR_GRAMMARS)
		return snprintf(msg, len, "unknown grammar %u", b->grammar), -EINVAL;
	if (!b->nr_shards || b->shard >= b->nr_shards)
		return snprintf(msg, len, "shard %u of %u: need 0 <= shard < shards", b->shard,
				b->nr_shards), -EINVAL;
	return 0;
}

static int fail(struct search *s, int err, const char *what)
{
	snprintf(s->msg, s->len, "%s: %s", what, err == -ENOMEM ? "out of memory" : "failed");
	return err;
}

static struct khp_hash128 state_hash(struct search *s, const struct khp_world *w, int *err)
{
	size_t n = khp_world_canon(w, &s->canon, &s->canon_cap, err);

	return exhaust_hash(s->canon, n);
}

/* Rebuild the state of program prog (d ops) in s->w. */
static int replay(struct search *s, const uint16_t *prog, unsigned d)
{
	khp_world_reset(s->w);
	for (unsigned i = 0; i < d; i++) {
		int ret = khp_world_apply(s->w, &s->g[prog[i]], NULL);

		if (ret) {
			snprintf(s->msg, s->len, "replay of a known state failed at op %u: %s", i,
				 khp_world_error(s->w));
			return -EUCLEAN;
		}
	}
	return 0;
}

static int push_next(struct search *s, const uint16_t *prog, unsigned d, uint16_t op)
{
	size_t need = (s->nr_next + 1) * (d + 1);

	if (need > s->cap_next) {
		size_t cap = s->cap_next ? 2 * s->cap_next : 4096;
		uint16_t *p;

		while (cap < need)
			cap *= 2;
		p = realloc(s->next, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		s->next = p;
		s->cap_next = cap;
	}
	memcpy(s->next + s->nr_next * (d + 1), prog, d * sizeof(*prog));
	s->next[s->nr_next * (d + 1) + d] = op;
	s->nr_next++;
	return 0;
}

int khp_exhaust_witness_cmp(const struct khp_exhaust_result *a, const struct khp_exhaust_result *b)
{
	if (a->max_fn_waste != b->max_fn_waste)
		return a->max_fn_waste > b->max_fn_waste ? -1 : 1;
	if (a->witness_len != b->witness_len)
		return a->witness_len < b->witness_len ? -1 : 1;
	for (unsigned i = 0; i < a->witness_len; i++)
		if (a->witness[i] != b->witness[i])
			return a->witness[i] < b->witness[i] ? -1 : 1;
	return 0;
}

/* The record of op g after program prog (d ops) in state h. */
static int note_record(struct search *s, const struct khp_record *rec, struct khp_hash128 h,
		       const uint16_t *prog, unsigned d, uint16_t g)
{
	struct khp_exhaust_result cand;
	struct khp_exhaust_result *r = s->r;

	if (rec->verdict == KHP_VERDICT_FALSE_NEGATIVE &&
	    hset_add(&s->fn, exhaust_hash_pair(h, s->gidx[g])) < 0)
		return -ENOMEM;
	if (rec->verdict == KHP_VERDICT_FALSE_POSITIVE &&
	    hset_add(&s->fp, exhaust_hash_pair(h, s->gidx[g])) < 0)
		return -ENOMEM;
	if (rec->fn_waste_pages <= 0)
		return 0;
	cand.max_fn_waste = rec->fn_waste_pages;
	cand.witness_len = d + 1;
	for (unsigned i = 0; i < d; i++)
		cand.witness[i] = s->gidx[prog[i]];
	cand.witness[d] = s->gidx[g];
	if (!r->witness_len || khp_exhaust_witness_cmp(&cand, r) < 0) {
		r->max_fn_waste = cand.max_fn_waste;
		r->witness_len = cand.witness_len;
		memcpy(r->witness, cand.witness, sizeof(cand.witness));
	}
	return 0;
}

static bool is_collapse(const struct khp_op *op)
{
	return op->type == KHP_OP_KHUGEPAGED || op->type == KHP_OP_COLLAPSE;
}

/* Apply op g to s->w (0, or 1 if the world refused it); the record into rec. */
static int try_op(struct search *s, size_t g, struct khp_record *rec)
{
	const struct khp_op *op = &s->g[g];

	s->r->transitions++;
	if (op->type != KHP_OP_SPLIT && op->type != KHP_OP_FAIL_ALLOC &&
	    !khp_world_mm_alive(s->w, op->mm)) {
		s->r->refused++;
		return 1;
	}
	memset(rec, 0, sizeof(*rec));
	if (khp_world_apply(s->w, op, rec)) {
		s->r->refused++;
		return 1;
	}
	return 0;
}

/*
 * The last depth: the collapse ops from the state of prog (d ops, hash h,
 * in s->w), which is restored from `save` after each.
 */
static int expand_last(struct search *s, const uint16_t *prog, unsigned d, struct khp_hash128 h,
		       struct khp_world *save)
{
	int ret;

	for (size_t g = 0; g < s->nr_g; g++) {
		struct khp_record rec;

		if (!is_collapse(&s->g[g]) || try_op(s, g, &rec))
			continue;
		if ((ret = note_record(s, &rec, h, prog, d, (uint16_t)g)))
			return fail(s, ret, "record");
		if ((ret = khp_world_copy(s->w, save)))
			return fail(s, ret, "copy");
	}
	return 0;
}

/*
 * A new state (prog + g, depth d + 1, hash c, in s->w): into the next
 * frontier, or, if its depth is the last one expanded, evaluated at once
 * (no frontier, no replay).
 */
static int new_state(struct search *s, const uint16_t *prog, unsigned d, uint16_t g,
		     struct khp_hash128 c)
{
	uint16_t kid[KHP_EXHAUST_MAX_OPS];
	int ret;

	s->r->level[d + 1]++;
	if (d + 2 != s->b->ops)
		return push_next(s, prog, d, g) ? fail(s, -ENOMEM, "frontier") : 0;
	memcpy(kid, prog, d * sizeof(*prog));
	kid[d] = g;
	if ((ret = khp_world_copy(s->leaf, s->w)))
		return fail(s, ret, "copy");
	return expand_last(s, kid, d + 1, c, s->leaf);
}

/* Every op of the grammar from the state of prog (depth d, hash h, in s->w). */
static int expand(struct search *s, const uint16_t *prog, unsigned d, struct khp_hash128 h)
{
	int ret;

	if ((ret = khp_world_copy(s->base, s->w)))
		return fail(s, ret, "copy");
	if (d + 1 == s->b->ops)
		return expand_last(s, prog, d, h, s->base);
	for (size_t g = 0; g < s->nr_g; g++) {
		struct khp_record rec;
		struct khp_hash128 c;

		if (try_op(s, g, &rec))
			continue;
		if (is_collapse(&s->g[g]) && (ret = note_record(s, &rec, h, prog, d, (uint16_t)g)))
			return fail(s, ret, "record");
		c = state_hash(s, s->w, &ret);
		if (ret)
			return fail(s, ret, "canon");
		ret = hset_add(&s->seen, c);
		if (ret < 0)
			return fail(s, ret, "states");
		if (ret > 0 && (ret = new_state(s, prog, d, (uint16_t)g, c)))
			return ret;
		if ((ret = khp_world_copy(s->w, s->base)))
			return fail(s, ret, "copy");
	}
	return 0;
}

/* The depth whose frontier is split between shards (the last one with a frontier is ops - 2). */
static unsigned shard_depth(const struct khp_exhaust_bounds *b)
{
	return b->ops >= 4 ? 2 : b->ops >= 2 ? b->ops - 2 : 0;
}

/* Expand every program of the frontier at depth d. */
static int depth(struct search *s, unsigned d)
{
	const struct khp_exhaust_bounds *b = s->b;
	int ret;

	s->nr_next = 0;
	for (size_t i = 0; i < s->nr_front; i++) {
		const uint16_t *prog = s->front + i * d;
		struct khp_hash128 h;

		if (d == shard_depth(b) && i % b->nr_shards != b->shard)
			continue;
		if ((ret = replay(s, prog, d)))
			return ret;
		h = state_hash(s, s->w, &ret);
		if (ret)
			return fail(s, ret, "canon");
		if ((ret = expand(s, prog, d, h)))
			return ret;
	}
	/* the next frontier becomes this one (run() swaps the capacities) */
	uint16_t *t = s->front;

	s->front = s->next;
	s->next = t;
	s->nr_front = s->nr_next;
	return 0;
}

/* Keep the ops of b->subset only (all if NULL), with their indices. */
static int subset(struct search *s, const struct khp_exhaust_bounds *b)
{
	size_t n = b->subset ? b->nr_subset : s->nr_g;

	s->gidx = malloc((n ? n : 1) * sizeof(*s->gidx));
	if (!s->gidx)
		return fail(s, -ENOMEM, "grammar");
	for (size_t i = 0; i < n; i++) {
		size_t k = b->subset ? b->subset[i] : i;

		if (k >= s->nr_g || (i && b->subset && k <= b->subset[i - 1]))
			return snprintf(s->msg, s->len, "subset: index %zu is not below %zu and "
					"increasing", k, s->nr_g), -EINVAL;
		s->gidx[i] = (uint16_t)k;
		s->g[i] = s->g[k];
	}
	s->nr_g = n;
	return 0;
}

static int search_init(struct search *s, const struct khp_exhaust_bounds *b,
		       const struct khp_profile *p)
{
	int ret;

	if ((ret = khp_exhaust_grammar_ops(b, &s->g, &s->nr_g)))
		return fail(s, ret, "grammar");
	if (s->nr_g > UINT16_MAX)
		return snprintf(s->msg, s->len, "grammar of %zu ops is too large", s->nr_g), -E2BIG;
	if ((ret = subset(s, b)))
		return ret;
	if (khp_world_new(&b->config, *p, &s->w) || khp_world_new(&b->config, *p, &s->base) ||
	    khp_world_new(&b->config, *p, &s->leaf))
		return snprintf(s->msg, s->len, "cannot create a world for profile %s",
				khp_profile_name(p)), -EINVAL;
	return 0;
}

static int run(struct search *s)
{
	const struct khp_exhaust_bounds *b = s->b;
	size_t cap_front = 0;
	struct khp_hash128 h;
	int ret;

	h = state_hash(s, s->w, &ret);
	if (ret || hset_add(&s->seen, h) < 0)
		return fail(s, -ENOMEM, "canon");
	s->r->level[0] = 1;
	s->nr_front = 1;
	s->front = calloc(1, sizeof(uint16_t));
	if (!s->front)
		return fail(s, -ENOMEM, "frontier");
	for (unsigned d = 0; d < b->ops && s->nr_front; d++) {
		size_t cap = s->cap_next;

		if ((ret = depth(s, d)))
			return ret;
		s->cap_next = cap_front;
		cap_front = cap;
		if (s->progress)
			s->progress(s->arg, d + 1, (unsigned long)s->seen.nr);
	}
	return 0;
}

int khp_exhaust_run(const struct khp_exhaust_bounds *b, const struct khp_profile *p,
		    void (*progress)(void *arg, unsigned depth, unsigned long states), void *arg,
		    struct khp_exhaust_result *r, char *msg, size_t len)
{
	struct search s;
	int ret;

	memset(r, 0, sizeof(*r));
	if ((ret = khp_exhaust_bounds_check(b, msg, len)))
		return ret;
	memset(&s, 0, sizeof(s));
	s.b = b;
	s.r = r;
	s.msg = msg;
	s.len = len;
	s.progress = progress;
	s.arg = arg;
	ret = search_init(&s, b, p);
	if (!ret)
		ret = run(&s);
	if (!ret)
		ret = hset_sorted(&s.seen, &r->set[KHP_EXHAUST_SET_STATES],
				  &r->nr_set[KHP_EXHAUST_SET_STATES]) ||
		      hset_sorted(&s.fn, &r->set[KHP_EXHAUST_SET_FN], &r->nr_set[KHP_EXHAUST_SET_FN]) ||
		      hset_sorted(&s.fp, &r->set[KHP_EXHAUST_SET_FP], &r->nr_set[KHP_EXHAUST_SET_FP]) ?
		      fail(&s, -ENOMEM, "sets") : 0;
	r->states = s.seen.nr;
	r->fn = s.fn.nr;
	r->fp = s.fp.nr;
	hset_free(&s.seen);
	hset_free(&s.fn);
	hset_free(&s.fp);
	free(s.front);
	free(s.next);
	free(s.canon);
	free(s.g);
	free(s.gidx);
	khp_world_free(s.w);
	khp_world_free(s.base);
	khp_world_free(s.leaf);
	if (ret)
		khp_exhaust_result_free(r);
	return ret;
}

void khp_exhaust_result_free(struct khp_exhaust_result *r)
{
	for (int i = 0; i < 3; i++) {
		free(r->set[i]);
		r->set[i] = NULL;
		r->nr_set[i] = 0;
	}
}

int khp_exhaust_merge(struct khp_exhaust_result *r, const struct khp_exhaust_result *s)
{
	for (int i = 0; i < 3; i++)
		if (hash_union(&r->set[i], &r->nr_set[i], s->set[i], s->nr_set[i]))
			return -ENOMEM;
	r->states = r->nr_set[KHP_EXHAUST_SET_STATES];
	r->fn = r->nr_set[KHP_EXHAUST_SET_FN];
	r->fp = r->nr_set[KHP_EXHAUST_SET_FP];
	r->transitions += s->transitions;
	r->refused += s->refused;
	for (unsigned d = 0; d <= KHP_EXHAUST_MAX_OPS; d++)
		r->level[d] += s->level[d];     /* work, like transitions: states are exact */
	if (s->witness_len && (!r->witness_len || khp_exhaust_witness_cmp(s, r) < 0)) {
		r->max_fn_waste = s->max_fn_waste;
		r->witness_len = s->witness_len;
		memcpy(r->witness, s->witness, sizeof(s->witness));
	}
	return 0;
}

int khp_exhaust_witness_program(const struct khp_exhaust_bounds *b,
				const struct khp_exhaust_result *r, struct khp_program *out)
{
	struct khp_op *g;
	size_t nr;
	int ret = khp_exhaust_grammar_ops(b, &g, &nr);

	khp_program_init(out, &b->config);
	if (ret)
		return ret;
	for (unsigned i = 0; i < r->witness_len && !ret; i++)
		ret = r->witness[i] < nr ? khp_program_push(out, &g[r->witness[i]]) : -EINVAL;
	free(g);
	return ret;
}
