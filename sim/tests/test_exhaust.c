/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exhaustive search (khpsim/exhaust.h) against an independent brute
 * force over the same grammar: every program replayed from an empty world,
 * states compared by their full canonical bytes (no hash, no copy).  Also:
 * a copy of a world is exact, shards merged equal the whole run, lifting.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "khpsim/exhaust.h"
#include "khpsim/lift.h"

/* ---- blobs: a list of byte strings, counted distinct ------------------------ */
struct blob {
	uint8_t *p;
	size_t n;
};

struct blobs {
	struct blob *v;
	size_t nr, cap;
};

static void blob_add(struct blobs *b, const uint8_t *p, size_t n, uint32_t tag)
{
	if (b->nr == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 1024;
		b->v = realloc(b->v, b->cap * sizeof(*b->v));
		assert_non_null(b->v);
	}
	b->v[b->nr].p = malloc(n + sizeof(tag));
	assert_non_null(b->v[b->nr].p);
	memcpy(b->v[b->nr].p, p, n);
	memcpy(b->v[b->nr].p + n, &tag, sizeof(tag));
	b->v[b->nr++].n = n + sizeof(tag);
}

static int blob_cmp(const void *a, const void *b)
{
	const struct blob *x = a, *y = b;
	int c;

	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	c = memcmp(x->p, y->p, x->n);
	return c;
}

static size_t blobs_distinct(struct blobs *b)
{
	size_t n = 0;

	if (!b->nr)
		return 0;
	qsort(b->v, b->nr, sizeof(*b->v), blob_cmp);
	for (size_t i = 0; i < b->nr; i++)
		n += !i || blob_cmp(&b->v[i - 1], &b->v[i]);
	return n;
}

static void blobs_free(struct blobs *b)
{
	for (size_t i = 0; i < b->nr; i++)
		free(b->v[i].p);
	free(b->v);
	memset(b, 0, sizeof(*b));
}

/* ---- the brute force ------------------------------------------------------------ */
struct brute {
	const struct khp_exhaust_bounds *b;
	struct khp_op *g;
	const uint16_t *sub;
	size_t nr_sub;
	struct khp_world *w;
	uint8_t *buf;
	size_t cap;
	struct blobs states, fn, fp;
	long max_fn;
};

/* Replay prog (n ops) from an empty world; the last op's return code and record. */
static int replay(struct brute *x, const uint16_t *prog, unsigned n, struct khp_record *rec)
{
	int ret = 0;

	khp_world_reset(x->w);
	for (unsigned i = 0; i < n && !ret; i++) {
		memset(rec, 0, sizeof(*rec));
		ret = khp_world_apply(x->w, &x->g[prog[i]], rec);
		if (ret && i + 1 < n)
			fail_msg("a prefix was refused");
	}
	return ret;
}

static size_t canon(struct brute *x)
{
	int err;
	size_t n = khp_world_canon(x->w, &x->buf, &x->cap, &err);

	assert_int_equal(err, 0);
	return n;
}

/* prog (n accepted ops): its state, then every one-op extension. */
static void brute_node(struct brute *x, uint16_t *prog, unsigned n)
{
	struct khp_record rec;
	uint8_t *pre;
	size_t npre;

	replay(x, prog, n, &rec);
	npre = canon(x);
	pre = malloc(npre);
	assert_non_null(pre);
	memcpy(pre, x->buf, npre);
	blob_add(&x->states, pre, npre, 0);
	for (size_t i = 0; i < x->nr_sub; i++) {
		prog[n] = x->sub[i];
		if (replay(x, prog, n + 1, &rec))
			continue;
		if (rec.verdict == KHP_VERDICT_FALSE_NEGATIVE)
			blob_add(&x->fn, pre, npre, prog[n]);
		if (rec.verdict == KHP_VERDICT_FALSE_POSITIVE)
			blob_add(&x->fp, pre, npre, prog[n]);
		if (rec.fn_waste_pages > x->max_fn)
			x->max_fn = rec.fn_waste_pages;
		if (n + 1 < x->b->ops)
			brute_node(x, prog, n + 1);
	}
	free(pre);
}

static void brute_force(const struct khp_exhaust_bounds *b, const struct khp_profile *p,
			struct brute *x)
{
	uint16_t prog[KHP_EXHAUST_MAX_OPS + 1];
	size_t nr;

	memset(x, 0, sizeof(*x));
	x->b = b;
	assert_int_equal(khp_exhaust_grammar_ops(b, &x->g, &nr), 0);
	x->sub = b->subset;
	x->nr_sub = b->nr_subset;
	if (!b->subset) {
		uint16_t *all = malloc(nr * sizeof(*all));

		assert_non_null(all);
		for (size_t i = 0; i < nr; i++)
			all[i] = (uint16_t)i;
		x->sub = all;
		x->nr_sub = nr;
	}
	assert_int_equal(khp_world_new(&b->config, *p, &x->w), 0);
	brute_node(x, prog, 0);
}

static void brute_free(struct brute *x)
{
	blobs_free(&x->states);
	blobs_free(&x->fn);
	blobs_free(&x->fp);
	khp_world_free(x->w);
	if (!x->b->subset)
		free((void *)x->sub);
	free(x->g);
	free(x->buf);
}

/*
 * core-1 at 8 pages, 2 mms: mmap, touch [8,9) and [8,12), dontneed [8,9)
 * and [8,12), fork 0->1, khugepaged and collapse of range 1 in mm 0,
 * khugepaged of range 1 in mm 1 (indices of khp_exhaust_grammar_ops()).
 */
static const uint16_t small_subset[] = { 0, 1, 2, 37, 38, 73, 74, 75, 152 };

static void small_bounds(struct khp_exhaust_bounds *b, unsigned ops)
{
	memset(b, 0, sizeof(*b));
	khp_config_default(&b->config, 8);
	b->config.max_ptes_shared = 0;
	b->mms = 2;
	b->ops = ops;
	b->grammar = KHP_GRAMMAR_CORE;
	b->nr_shards = 1;
	b->subset = small_subset;
	b->nr_subset = sizeof(small_subset) / sizeof(small_subset[0]);
}

static void test_grammar_layout(void **state)
{
	struct khp_exhaust_bounds b;
	struct khp_op *g;
	size_t nr;

	(void)state;
	small_bounds(&b, 1);
	assert_int_equal(khp_exhaust_grammar_ops(&b, &g, &nr), 0);
	assert_int_equal(nr, 156);
	assert_int_equal(g[0].type, KHP_OP_MMAP);
	assert_true(g[1].type == KHP_OP_TOUCH && g[1].addr == 8 && g[1].pages == 1);
	assert_true(g[38].type == KHP_OP_DONTNEED && g[38].addr == 8 && g[38].pages == 4);
	assert_true(g[73].type == KHP_OP_FORK && g[73].child == 1);
	assert_true(g[152].type == KHP_OP_KHUGEPAGED && g[152].mm == 1 && g[152].addr == 8);
	free(g);
	b.grammar = KHP_GRAMMAR_FULL;
	assert_int_equal(khp_exhaust_grammar_ops(&b, &g, &nr), 0);
	assert_true(nr > 1000);
	free(g);
}

static void compare_bounds(const struct khp_exhaust_bounds *bp, const char *profile,
			   long want_max);

static void compare_with_brute(const char *profile, unsigned ops, long want_max)
{
	struct khp_exhaust_bounds b;

	small_bounds(&b, ops);
	compare_bounds(&b, profile, want_max);
}

/* Every op type: full-1 at 8 pages, 2 mms, 2 ops, the whole grammar. */
static void test_brute_force_full(void **state)
{
	struct khp_exhaust_bounds b;

	(void)state;
	small_bounds(&b, 2);
	b.grammar = KHP_GRAMMAR_FULL;
	b.subset = NULL;
	b.nr_subset = 0;
	compare_bounds(&b, "linux-7.3", 0);
}

/* The search and the brute force agree on bp under profile; the maximum is want_max. */
static void compare_bounds(const struct khp_exhaust_bounds *bp, const char *profile,
			   long want_max)
{
	struct khp_exhaust_bounds b = *bp;
	struct khp_exhaust_result r;
	struct khp_profile p;
	struct brute x;
	char msg[256];

	assert_int_equal(khp_profile_parse(profile, &p), 0);
	assert_int_equal(khp_exhaust_run(&b, &p, NULL, NULL, &r, msg, sizeof(msg)), 0);
	brute_force(&b, &p, &x);
	print_message("%s: states %lu fn %lu fp %lu max %ld\n", profile, r.states, r.fn, r.fp, r.max_fn_waste);
	assert_int_equal(r.max_fn_waste, x.max_fn);
	assert_int_equal(r.max_fn_waste, want_max);
	assert_int_equal(r.states, blobs_distinct(&x.states));
	assert_int_equal(r.fn, blobs_distinct(&x.fn));
	assert_int_equal(r.fp, blobs_distinct(&x.fp));
	brute_free(&x);
	khp_exhaust_result_free(&r);
}

/* The 2024 case at 8 pages within 6 ops: 6.12 wastes 4 pages, 7.3 none. */
static void test_brute_force_612(void **state)
{
	(void)state;
	compare_with_brute("linux-6.12", 6, 4);
}

static void test_brute_force_73(void **state)
{
	(void)state;
	compare_with_brute("linux-7.3", 6, 0);
}

static void test_brute_force_61(void **state)
{
	(void)state;
	compare_with_brute("linux-6.1", 5, 0);
}

/* The witness program reproduces the maximum, and lifted to 512 it is 64 times larger. */
static void test_witness_and_lift(void **state)
{
	struct khp_exhaust_bounds b;
	struct khp_exhaust_result r;
	struct khp_program prog, big;
	struct khp_run_opts ro = { 0 };
	struct khp_run run;
	struct khp_profile p;
	char msg[256];

	(void)state;
	small_bounds(&b, 6);
	assert_int_equal(khp_profile_parse("linux-6.12", &p), 0);
	assert_int_equal(khp_exhaust_run(&b, &p, NULL, NULL, &r, msg, sizeof(msg)), 0);
	assert_int_equal(r.witness_len, 6);
	assert_int_equal(khp_exhaust_witness_program(&b, &r, &prog), 0);
	memset(&run, 0, sizeof(run));
	assert_int_equal(khp_run_program(&prog, p, &ro, &run), 0);
	assert_int_equal(khp_run_max_fn_waste(&run), 4);
	khp_run_free(&run);
	assert_int_equal(khp_lift_program(&prog, 512, &big, msg, sizeof(msg)), 0);
	assert_int_equal(big.config.pmd_pages, 512);
	memset(&run, 0, sizeof(run));
	assert_int_equal(khp_run_program(&big, p, &ro, &run), 0);
	assert_int_equal(khp_run_max_fn_waste(&run), 256);
	khp_run_free(&run);
	khp_program_free(&big);
	assert_int_equal(khp_lift_program(&prog, 12, &big, msg, sizeof(msg)), -EINVAL);
	khp_program_free(&prog);
	khp_exhaust_result_free(&r);
}

static void test_lift_offsets(void **state)
{
	static const uint64_t want[9] = { 0, 1, 128, 255, 256, 257, 384, 511, 512 };

	(void)state;
	for (unsigned o = 0; o <= 8; o++)
		assert_int_equal(khp_lift_offset(o, 8, 512), want[o]);
	assert_int_equal(khp_lift_addr(8 + 4, 8, 512), 512 + 256);
	assert_int_equal(khp_lift_addr(16 + 7, 8, 512), 1024 + 511);
	assert_int_equal(khp_lift_offset(5, 8, 8), 5);
}

/* Shards 0..2 of 3 merged give the counts, the maximum and the witness of the whole run. */
static void test_shards_merge(void **state)
{
	struct khp_exhaust_bounds b;
	struct khp_exhaust_result whole, sum, part;
	struct khp_profile p;
	char msg[256];

	(void)state;
	small_bounds(&b, 6);
	assert_int_equal(khp_profile_parse("linux-6.12", &p), 0);
	assert_int_equal(khp_exhaust_run(&b, &p, NULL, NULL, &whole, msg, sizeof(msg)), 0);
	memset(&sum, 0, sizeof(sum));
	b.nr_shards = 3;
	for (b.shard = 0; b.shard < 3; b.shard++) {
		assert_int_equal(khp_exhaust_run(&b, &p, NULL, NULL, &part, msg, sizeof(msg)), 0);
		assert_true(part.states < whole.states);
		assert_int_equal(khp_exhaust_merge(&sum, &part), 0);
		khp_exhaust_result_free(&part);
	}
	assert_int_equal(sum.states, whole.states);
	assert_int_equal(sum.fn, whole.fn);
	assert_true(whole.fn > 0);
	assert_int_equal(sum.fp, whole.fp);
	assert_int_equal(sum.max_fn_waste, whole.max_fn_waste);
	assert_int_equal(khp_exhaust_witness_cmp(&sum, &whole), 0);
	b.shard = 3;
	assert_int_equal(khp_exhaust_run(&b, &p, NULL, NULL, &part, msg, sizeof(msg)), -EINVAL);
	khp_exhaust_result_free(&sum);
	khp_exhaust_result_free(&whole);
}

/* A copy passes the checker, has the same canonical bytes, and every op does the same to both. */
static void test_copy_exact(void **state)
{
	static const uint16_t prefix[] = { 0, 1, 38, 73, 1 };
	struct khp_exhaust_bounds b;
	struct khp_world *w, *c, *a;
	struct khp_profile p;
	struct khp_op *g;
	uint8_t *x = NULL, *y = NULL;
	size_t nr, cx = 0, cy = 0, nx, ny;
	char msg[256];
	int err;

	(void)state;
	small_bounds(&b, 1);
	b.grammar = KHP_GRAMMAR_FULL;
	assert_int_equal(khp_exhaust_grammar_ops(&b, &g, &nr), 0);
	free(g);
	b.grammar = KHP_GRAMMAR_CORE;
	assert_int_equal(khp_exhaust_grammar_ops(&b, &g, &nr), 0);
	assert_int_equal(khp_profile_parse("linux-7.3", &p), 0);
	assert_int_equal(khp_world_new(&b.config, p, &w), 0);
	assert_int_equal(khp_world_new(&b.config, p, &c), 0);
	assert_int_equal(khp_world_new(&b.config, p, &a), 0);
	for (size_t k = 0; k <= sizeof(prefix) / sizeof(prefix[0]); k++) {
		assert_int_equal(khp_world_copy(c, w), 0);
		assert_int_equal(khp_world_check(c, msg, sizeof(msg)), 0);
		nx = khp_world_canon(w, &x, &cx, &err);
		ny = khp_world_canon(c, &y, &cy, &err);
		assert_int_equal(nx, ny);
		assert_memory_equal(x, y, nx);
		for (size_t i = 0; i < nr; i++) {
			struct khp_record r1, r2;
			int e1, e2;

			assert_int_equal(khp_world_copy(a, w), 0);
			assert_int_equal(khp_world_copy(c, w), 0);
			memset(&r1, 0, sizeof(r1));
			memset(&r2, 0, sizeof(r2));
			e1 = khp_world_apply(a, &g[i], &r1);
			e2 = khp_world_apply(c, &g[i], &r2);
			assert_int_equal(e1, e2);
			assert_memory_equal(&r1, &r2, sizeof(r1));
			assert_int_equal(khp_world_check(c, msg, sizeof(msg)), 0);
			nx = khp_world_canon(a, &x, &cx, &err);
			ny = khp_world_canon(c, &y, &cy, &err);
			assert_int_equal(nx, ny);
			assert_memory_equal(x, y, nx);
		}
		if (k < sizeof(prefix) / sizeof(prefix[0]))
			assert_int_equal(khp_world_apply(w, &g[prefix[k]], NULL), 0);
	}
	free(x);
	free(y);
	free(g);
	khp_world_free(w);
	khp_world_free(c);
	khp_world_free(a);
}

/* The canonical bytes ignore folio ids: the same state built in two orders is one state. */
static void test_canon_renames(void **state)
{
	struct khp_exhaust_bounds b;
	struct khp_world *w1, *w2;
	struct khp_profile p;
	struct khp_op *g;
	uint8_t *x = NULL, *y = NULL;
	size_t nr, cx = 0, cy = 0, nx, ny;
	int err;

	(void)state;
	small_bounds(&b, 1);
	assert_int_equal(khp_exhaust_grammar_ops(&b, &g, &nr), 0);
	assert_int_equal(khp_profile_parse("linux-6.1", &p), 0);
	assert_int_equal(khp_world_new(&b.config, p, &w1), 0);
	assert_int_equal(khp_world_new(&b.config, p, &w2), 0);
	/* mmap without the hugepage flag is not in core-1: use touch of pages in two orders */
	struct khp_op mm = g[0];

	mm.flags = KHP_OPF_WRITE;           /* small folios */
	struct khp_op t1 = g[1], t2 = g[1];

	t2.addr = 9;
	assert_int_equal(khp_world_apply(w1, &mm, NULL), 0);
	assert_int_equal(khp_world_apply(w1, &t1, NULL), 0);
	assert_int_equal(khp_world_apply(w1, &t2, NULL), 0);
	assert_int_equal(khp_world_apply(w2, &mm, NULL), 0);
	assert_int_equal(khp_world_apply(w2, &t2, NULL), 0);
	assert_int_equal(khp_world_apply(w2, &t1, NULL), 0);
	nx = khp_world_canon(w1, &x, &cx, &err);
	ny = khp_world_canon(w2, &y, &cy, &err);
	assert_int_equal(nx, ny);
	assert_memory_equal(x, y, nx);
	free(x);
	free(y);
	free(g);
	khp_world_free(w1);
	khp_world_free(w2);
}

static void test_bad_bounds(void **state)
{
	struct khp_exhaust_bounds b;
	struct khp_exhaust_result r;
	struct khp_profile p;
	char msg[256];

	(void)state;
	assert_int_equal(khp_profile_parse("linux-6.1", &p), 0);
	small_bounds(&b, 0);
	assert_int_equal(khp_exhaust_run(&b, &p, NULL, NULL, &r, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "ops 0"));
	small_bounds(&b, 2);
	b.mms = 9;
	assert_int_equal(khp_exhaust_run(&b, &p, NULL, NULL, &r, msg, sizeof(msg)), -EINVAL);
	small_bounds(&b, 2);
	b.nr_subset = 2;
	b.subset = (const uint16_t[]){ 5, 5 };
	assert_int_equal(khp_exhaust_run(&b, &p, NULL, NULL, &r, msg, sizeof(msg)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grammar_layout),
		cmocka_unit_test(test_brute_force_612),
		cmocka_unit_test(test_brute_force_73),
		cmocka_unit_test(test_brute_force_61),
		cmocka_unit_test(test_brute_force_full),
		cmocka_unit_test(test_witness_and_lift),
		cmocka_unit_test(test_lift_offsets),
		cmocka_unit_test(test_shards_merge),
		cmocka_unit_test(test_copy_exact),
		cmocka_unit_test(test_canon_renames),
		cmocka_unit_test(test_bad_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
