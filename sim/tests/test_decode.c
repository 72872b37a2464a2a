/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fuzz decoder (sim/src/search/decode*.c): deterministic, total (any
 * bytes decode), valid (the world accepts the ops it emits: fewer than 1% of runs see a
 * rejected op), every decoded program survives the scenario writer and
 * reader unchanged and replays to identical records, and the
 * hand-encoded extreme case of Hildenbrand's 2024 mail (lore: "[PATCH v1]
 * mm/khugepaged: replace page_mapcount() check by
 * folio_likely_mapped_shared()", 20240424122630.495788-1-david@redhat.com,
 * commit 1bafe96e89f0)
 * decodes to a false negative duplicating pmd/2 pages under linux-6.12 at
 * max_ptes_shared=0 (the seed corpus/differential/extreme-2024 is this
 * byte string); the shadow VMA table never overflows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "khpsim/decode.h"
#include "khpsim/rng.h"
#include "khpsim/scenario.h"
#include "search/decode_int.h"

#define NR_RANDOM 1500

/* M_THP(pmd 0) | M_FORK_KEEP(both keep [1,257)) | M_COW([257,258)) | khugepaged(0) */
static const uint8_t extreme[] = {
	0x13, 0x00,
	0x14, 0x00, 0x00, 0x00, 0x01, 0x04,
	0x16, 0x00, 0x00, 0x04, 0x00,
	0x0e, 0x00, 0x00,
};

static size_t random_input(uint64_t seed, unsigned long i, uint8_t *buf, size_t max)
{
	struct khp_pcg32 rng;
	size_t len;

	khp_pcg32_srandom_r(&rng, seed, i);
	len = 1 + khp_pcg32_boundedrand_r(&rng, (uint32_t)max);
	khp_pcg32_fill(&rng, buf, len);
	return len;
}

static bool same_program(const struct khp_program *a, const struct khp_program *b)
{
	if (a->nr_ops != b->nr_ops || memcmp(&a->config, &b->config, sizeof(a->config)))
		return false;
	for (size_t i = 0; i < a->nr_ops; i++) {
		const struct khp_op *x = &a->ops[i], *y = &b->ops[i];

		if (x->type != y->type || x->mm != y->mm || x->addr != y->addr ||
		    x->pages != y->pages || x->flags != y->flags || x->advice != y->advice)
			return false;
		if (x->type == KHP_OP_FORK && x->child != y->child)
			return false;
		if (x->type == KHP_OP_MREMAP && (x->to != y->to || x->new_pages != y->new_pages))
			return false;
		if (x->type == KHP_OP_FAIL_ALLOC && x->count != y->count)
			return false;
	}
	return true;
}

static bool same_records(const struct khp_run *a, const struct khp_run *b)
{
	if (a->nr_recs != b->nr_recs || a->err != b->err)
		return false;
	for (size_t i = 0; i < a->nr_recs; i++) {
		const struct khp_record *x = &a->recs[i], *y = &b->recs[i];

		if (x->step != y->step || x->result != y->result || x->collapsed != y->collapsed ||
		    x->verdict != y->verdict || x->dup_pages != y->dup_pages ||
		    x->fn_waste_pages != y->fn_waste_pages || x->shared_exact != y->shared_exact)
			return false;
	}
	return true;
}

static void test_producer(void **state)
{
	static const uint8_t b[] = { 0x12, 0x34, 0x56 };
	struct khp_dp dp;

	(void)state;
	khp_dp_init(&dp, b, sizeof(b));
	assert_int_equal(khp_dp_u8(&dp), 0x12);
	assert_int_equal(khp_dp_range(&dp, 0, 0xffff), 0x3456);
	assert_true(khp_dp_empty(&dp));
	assert_int_equal(khp_dp_u8(&dp), 0);
	assert_int_equal(khp_dp_range(&dp, 7, 9), 7);
}

static void test_empty_and_deterministic(void **state)
{
	struct khp_decode_opts o;
	struct khp_program a, b;
	uint8_t buf[300];

	(void)state;
	khp_decode_opts_default(&o);
	assert_int_equal(khp_decode(NULL, 0, &o, &a), 0);
	assert_int_equal(a.nr_ops, 0);
	khp_program_free(&a);
	for (unsigned long i = 0; i < 100; i++) {
		size_t len = random_input(3, i, buf, sizeof(buf));

		assert_int_equal(khp_decode(buf, len, &o, &a), 0);
		assert_int_equal(khp_decode(buf, len, &o, &b), 0);
		assert_true(same_program(&a, &b));
		assert_true(a.nr_ops <= o.max_ops);
		khp_program_free(&a);
		khp_program_free(&b);
	}
}

/* Decode NR_RANDOM inputs with opts; every op passes khp_op_check and the
 * world rejects an op in fewer than 1% of the runs. */
static void check_valid(struct khp_decode_opts *o, uint64_t seed)
{
	struct khp_world *w[KHP_NR_KERNELS];
	unsigned long runs = 0, rejected = 0, ops = 0;
	uint8_t buf[400];

	for (int k = 0; k < KHP_NR_KERNELS; k++)
		w[k] = NULL;
	for (unsigned long i = 0; i < NR_RANDOM; i++) {
		struct khp_program p;
		size_t len = random_input(seed, i, buf, sizeof(buf));
		char msg[200];

		assert_int_equal(khp_decode(buf, len, o, &p), 0);
		for (size_t k = 0; k < p.nr_ops; k++) {
			int r = khp_op_check(&p.ops[k], &p.config, msg, sizeof(msg));

			if (r)
				fail_msg("input %lu op %zu: %s", i, k, msg);
		}
		ops += p.nr_ops;
		for (int k = 0; k < KHP_NR_KERNELS; k++) {
			struct khp_profile prof = khp_profile_kernel((enum khp_kernel)k);
			struct khp_run_opts ro = { .check = (i % 16) == 0 };
			struct khp_run run;

			if (w[k])
				khp_world_free(w[k]);
			assert_int_equal(khp_world_new(&p.config, prof, &w[k]), 0);
			memset(&run, 0, sizeof(run));
			khp_run_in(w[k], &p, &ro, &run);
			runs++;
			if (run.err) {
				rejected++;
				if (getenv("KHP_TEST_VERBOSE"))
					fprintf(stderr, "input %lu %s: step %zu (%s): %s\n", i,
						khp_profile_name(&prof), run.err_step,
						khp_op_name((enum khp_op_type)p.ops[run.err_step].type),
						run.errmsg);
			}
			khp_run_free(&run);
		}
		khp_program_free(&p);
	}
	for (int k = 0; k < KHP_NR_KERNELS; k++)
		khp_world_free(w[k]);
	fprintf(stderr, "decode: %lu runs, %lu ops, %lu runs with a rejected op\n",
		runs, ops, rejected);
	assert_true(ops > NR_RANDOM);
	assert_true(rejected * 100 < runs);
}

static void test_valid_fixed_config(void **state)
{
	struct khp_decode_opts o;

	(void)state;
	khp_decode_opts_default(&o);
	check_valid(&o, 11);
}

static void test_valid_small_pmd_and_explore_config(void **state)
{
	struct khp_decode_opts o;

	(void)state;
	khp_decode_opts_default(&o);
	khp_config_default(&o.config, 16);
	check_valid(&o, 12);
	khp_decode_opts_default(&o);
	o.config_from_input = true;
	check_valid(&o, 13);
}

/* Decoded program -> scenario JSON -> program: identical, and same records. */
static void test_scenario_round_trip(void **state)
{
	struct khp_decode_opts o;
	uint8_t buf[300];

	(void)state;
	khp_decode_opts_default(&o);
	o.config_from_input = true;
	for (unsigned long i = 0; i < 150; i++) {
		struct khp_scenario sc, back;
		struct khp_run ra[KHP_SCENARIO_MAX_PROFILES], rb[KHP_SCENARIO_MAX_PROFILES];
		size_t len = random_input(21, i, buf, sizeof(buf));
		char *text = NULL, err[512];
		size_t tlen = 0;
		FILE *f;
		int na, nb;

		khp_scenario_init(&sc);
		khp_scenario_init(&back);
		khp_program_free(&sc.program);
		assert_int_equal(khp_decode(buf, len, &o, &sc.program), 0);
		f = open_memstream(&text, &tlen);
		assert_non_null(f);
		assert_int_equal(khp_scenario_write(f, &sc), 0);
		fclose(f);
		if (khp_scenario_load_buf(text, tlen, "decoded", &back, err, sizeof(err)))
			fail_msg("input %lu: %s\n%s", i, err, text);
		assert_true(same_program(&sc.program, &back.program));
		na = khp_scenario_run_all(&sc, &(struct khp_run_opts){ 0 }, ra);
		nb = khp_scenario_run_all(&back, &(struct khp_run_opts){ 0 }, rb);
		assert_int_equal(na, 3);
		assert_int_equal(nb, 3);
		for (int k = 0; k < na; k++) {
			assert_true(same_records(&ra[k], &rb[k]));
			khp_run_free(&ra[k]);
			khp_run_free(&rb[k]);
		}
		free(text);
		khp_scenario_free(&sc);
		khp_scenario_free(&back);
	}
}

static void test_extreme_case_bytes(void **state)
{
	struct khp_decode_opts o;
	struct khp_profile prof = khp_profile_kernel(KHP_LINUX_6_12);
	struct khp_run run;
	struct khp_program p;

	(void)state;
	khp_decode_opts_default(&o);
	o.config.max_ptes_shared = 0;
	assert_int_equal(khp_decode(extreme, sizeof(extreme), &o, &p), 0);
	/* mmap, touch, fork, 2 + 2 dontneed, touch, khugepaged */
	assert_int_equal(p.nr_ops, 9);
	assert_int_equal(p.ops[8].type, KHP_OP_KHUGEPAGED);
	memset(&run, 0, sizeof(run));
	assert_int_equal(khp_run_program(&p, prof, &(struct khp_run_opts){ .check = true }, &run), 0);
	assert_int_equal(khp_run_max_fn_waste(&run), 256);
	assert_int_equal(run.recs[0].verdict, KHP_VERDICT_FALSE_NEGATIVE);
	khp_run_free(&run);
	khp_program_free(&p);
}

/*
 * M_MOSAIC(drop the rest, window at 256) | fork | M_COW([256, 257) of the
 * moved range) | M_SCAN_ALL: the range holds the last 256 pages of one THP
 * and the first 256 of the next, all mapped by the child too, page 256 a
 * private copy.  Each folio's total mapcount is at most 512 with its first
 * page mapped at most once, so folio_likely_mapped_shared() [6.12] calls
 * both exclusive: 511 pages duplicated at max_ptes_shared=0.  6.1's
 * per-page count and 7.3's MM-ID test see them shared.
 */
static const uint8_t mosaic[] = {
	0x17, 0x01, 0x03,
	0x03,
	0x16, 0x00, 0x00, 0x03, 0x04,
	0x15,
};

static void test_mosaic_bytes(void **state)
{
	static const struct { enum khp_kernel k; long fn; } want[] = {
		{ KHP_LINUX_6_1, 0 }, { KHP_LINUX_6_12, 511 }, { KHP_LINUX_7_3, 0 },
	};
	struct khp_decode_opts o;
	struct khp_program p;

	(void)state;
	khp_decode_opts_default(&o);
	o.config.max_ptes_shared = 0;
	assert_int_equal(khp_decode(mosaic, sizeof(mosaic), &o, &p), 0);
	/* mmap, touch, munmap head, munmap tail, mremap, fork, touch, 2 x khugepaged */
	assert_int_equal(p.nr_ops, 9);
	assert_int_equal(p.ops[2].type, KHP_OP_MUNMAP);
	assert_int_equal(p.ops[2].addr, 0);
	assert_int_equal(p.ops[2].pages, 256);
	assert_int_equal(p.ops[3].addr, 768);
	assert_int_equal(p.ops[4].type, KHP_OP_MREMAP);
	assert_int_equal(p.ops[4].addr, 256);
	assert_int_equal(p.ops[4].pages, 512);
	assert_true(p.ops[4].flags & KHP_OPF_TO);
	assert_int_equal(p.ops[4].to % 512, 0);
	assert_int_equal(p.ops[6].addr, p.ops[4].to + 256);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct khp_run run;

		memset(&run, 0, sizeof(run));
		assert_int_equal(khp_run_program(&p, khp_profile_kernel(want[i].k),
						 &(struct khp_run_opts){ .check = true }, &run), 0);
		assert_int_equal(khp_run_max_fn_waste(&run), want[i].fn);
		khp_run_free(&run);
	}
	khp_program_free(&p);
}

/*
 * Regression: a munmap in the middle of a VMA when the decoder's shadow
 * table holds one VMA less than its capacity (24).  The munmap leaves one
 * VMA more (the two halves), which fits, but the shadow used to split at
 * both ends before dropping the middle, writing one entry past the table
 * into the next mm's shadow, which then looked alive: the decoder emitted
 * ops for the exited mm 1 (and UBSan reported "index 24 out of bounds").
 * Bytes: fork; exit mm 1; mmap [1, 256) and 22 one-page VMAs (23 in all);
 * munmap [16, 17); then two exit decisions naming the second live mm.
 */
static void test_shadow_full_munmap_middle(void **state)
{
	static const uint8_t off[6] = { 0, 1, 2, 3, 4, 5 };   /* 0 1 255 256 257 511 */
	struct khp_profile prof = khp_profile_kernel(KHP_LINUX_6_12);
	struct khp_decode_opts o;
	struct khp_program p;
	struct khp_run run;
	uint8_t buf[256];
	size_t n = 0;

	(void)state;
	buf[n++] = KHP_DEC_FORK;                       /* mm 0 forks mm 1 */
	buf[n++] = 1u << 5 | KHP_DEC_EXIT;             /* the second live mm (1) exits */
	buf[n++] = KHP_DEC_MMAP;                       /* [1, 256): PMD 0, offset 1, 255 pages */
	buf[n++] = 0; buf[n++] = 0; buf[n++] = 1; buf[n++] = 2;
	for (unsigned pmd = 0; pmd < 4; pmd++) {
		for (unsigned k = 0; k < 6; k++) {
			if (pmd == 0 && (k == 1 || k == 2))
				continue;      /* inside [1, 256) */
			buf[n++] = KHP_DEC_MMAP;
			buf[n++] = 0; buf[n++] = (uint8_t)pmd; buf[n++] = off[k]; buf[n++] = 1;
		}
	}
	buf[n++] = KHP_DEC_MUNMAP;                     /* VMA 1 ([1, 256)), PMD range 0 */
	buf[n++] = 0x01; buf[n++] = 0xc0; buf[n++] = 16; buf[n++] = 1;  /* [16, 17) */
	buf[n++] = 1u << 5 | KHP_DEC_EXIT;
	buf[n++] = 1u << 5 | KHP_DEC_EXIT;
	assert_true(n <= sizeof(buf));

	khp_decode_opts_default(&o);
	assert_int_equal(khp_decode(buf, n, &o, &p), 0);
	/* fork, exit, 23 mmaps, munmap; the exits are skipped (one mm is left) */
	assert_int_equal(p.nr_ops, 26);
	assert_int_equal(p.ops[25].type, KHP_OP_MUNMAP);
	assert_int_equal(p.ops[25].addr, 16);
	assert_int_equal(p.ops[25].pages, 1);
	memset(&run, 0, sizeof(run));
	assert_int_equal(khp_run_program(&p, prof, &(struct khp_run_opts){ .check = true }, &run), 0);
	if (run.err)
		fail_msg("step %zu: %s", run.err_step, run.errmsg);
	khp_run_free(&run);
	khp_program_free(&p);
}

/*
 * The shadow VMA table against a reference with room to spare (the
 * split-then-compact algorithm the decoder used to run in place): on random
 * removes, modifies and inserts, a change whose result fits SH_MAX_VMAS
 * gives the reference's table, one that does not fit returns false and
 * leaves the table as it was, and nothing is written past the table.
 */
#define REF_MAX 64u

struct ref_mm {
	unsigned nr;
	struct sh_vma v[REF_MAX];
};

static void ref_split_at(struct ref_mm *r, uint64_t addr)
{
	for (unsigned i = 0; i < r->nr; i++) {
		if (addr <= r->v[i].start || addr >= r->v[i].end)
			continue;
		memmove(&r->v[i + 2], &r->v[i + 1], (r->nr - i - 1) * sizeof(r->v[0]));
		r->v[i + 1] = r->v[i];
		r->v[i + 1].start = addr;
		r->v[i].end = addr;
		r->nr++;
		return;
	}
}

static void ref_apply(struct ref_mm *r, int kind, uint64_t s, uint64_t e, int write)
{
	unsigned j = 0;

	ref_split_at(r, s);
	ref_split_at(r, e);
	for (unsigned i = 0; i < r->nr; i++) {
		bool inside = r->v[i].start >= s && r->v[i].end <= e;

		if (kind == 0 && inside)
			continue;               /* remove */
		if (kind == 1 && inside)
			r->v[i].write = write;  /* modify */
		r->v[j++] = r->v[i];
	}
	r->nr = j;
}

static void test_shadow_table_never_overflows(void **state)
{
	struct { struct sh_mm m; uint8_t canary[64]; } t;
	struct khp_pcg32 rng;
	unsigned full = 0, refused = 0;

	(void)state;
	khp_pcg32_srandom_r(&rng, 7, 1);
	memset(&t, 0, sizeof(t));
	memset(t.canary, 0xa5, sizeof(t.canary));
	for (unsigned step = 0; step < 200000; step++) {
		uint64_t s = khp_pcg32_boundedrand_r(&rng, 200), e = s + 1 + khp_pcg32_boundedrand_r(&rng, 20);
		int kind = (int)khp_pcg32_boundedrand_r(&rng, 3), write = step & 1;
		struct sh_mm before = t.m;
		struct ref_mm ref = { .nr = t.m.nr };
		bool ok, fits;

		memcpy(ref.v, t.m.v, t.m.nr * sizeof(t.m.v[0]));
		if (kind == 2) {                /* insert into free space */
			struct sh_vma v = { .start = s, .end = e, .write = write };

			if (!sh_free(&t.m, s, e))
				continue;
			ok = sh_insert(&t.m, &v);
			fits = before.nr < SH_MAX_VMAS;
		} else {
			ref_apply(&ref, kind, s, e, write);
			ok = kind ? sh_modify(&t.m, s, e, write, 0xff) : sh_remove(&t.m, s, e);
			fits = ref.nr <= SH_MAX_VMAS;
			if (ok) {
				assert_int_equal(t.m.nr, ref.nr);
				assert_memory_equal(t.m.v, ref.v, ref.nr * sizeof(ref.v[0]));
			}
		}
		assert_int_equal(ok, fits);
		if (!ok) {
			assert_memory_equal(&t.m, &before, sizeof(before));
			refused++;
		}
		assert_true(t.m.nr <= SH_MAX_VMAS);
		for (unsigned i = 0; i < sizeof(t.canary); i++)
			assert_int_equal(t.canary[i], 0xa5);
		for (unsigned i = 1; i < t.m.nr; i++)
			assert_true(t.m.v[i - 1].end <= t.m.v[i].start);
		full += t.m.nr == SH_MAX_VMAS;
	}
	/* The walk reaches a full table and refuses changes there. */
	assert_true(full > 100 && refused > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_producer),
		cmocka_unit_test(test_empty_and_deterministic),
		cmocka_unit_test(test_valid_fixed_config),
		cmocka_unit_test(test_valid_small_pmd_and_explore_config),
		cmocka_unit_test(test_scenario_round_trip),
		cmocka_unit_test(test_extreme_case_bytes),
		cmocka_unit_test(test_mosaic_bytes),
		cmocka_unit_test(test_shadow_full_munmap_middle),
		cmocka_unit_test(test_shadow_table_never_overflows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
