/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The structure-aware mutator (mutate.c): every result stays within its
 * room and decodes; a seed gives one result; the decision operations do
 * what they say on an input whose decisions are known (the 2024 extreme
 * case); the crossover joins a prefix of one input's decisions and a
 * suffix of the other's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mutate.h"
#include "khpsim/rng.h"

/* M_THP | M_FORK_KEEP | M_COW | khugepaged: four decisions (docs/fuzzing.md). */
static const uint8_t extreme[] = {
	0x13, 0x00,
	0x14, 0x00, 0x00, 0x00, 0x01, 0x04,
	0x16, 0x00, 0x00, 0x04, 0x00,
	0x0e, 0x00, 0x00,
};

static size_t decisions(const struct khp_decode_opts *o, const uint8_t *d, size_t n,
			size_t *start, size_t max)
{
	struct khp_decode_spans sp = { .start = start, .max = max };
	struct khp_program p;

	assert_int_equal(khp_decode_spans(d, n, o, &p, &sp), 0);
	khp_program_free(&p);
	return sp.nr;
}

static void test_spans_of_extreme(void **state)
{
	static const size_t want[] = { 0, 2, 8, 13 };
	struct khp_decode_opts o;
	size_t start[8];

	(void)state;
	khp_decode_opts_default(&o);
	assert_int_equal(decisions(&o, extreme, sizeof(extreme), start, 8), 4);
	assert_memory_equal(start, want, sizeof(want));
}

static void test_random_inputs_stay_valid(void **state)
{
	struct khp_decode_opts o;
	struct khp_pcg32 r;
	uint8_t a[256], b[256], orig[256];
	unsigned changed = 0, structural = 0;

	(void)state;
	khp_decode_opts_default(&o);
	khp_pcg32_srandom_r(&r, 42, 1);
	for (uint32_t seed = 0; seed < 20000; seed++) {
		size_t n = 1 + khp_pcg32_boundedrand_r(&r, 128), max = n + 64, m, m2;
		size_t start[300];

		khp_pcg32_fill(&r, a, n);
		memcpy(b, a, n);
		memcpy(orig, a, n);
		m = fuzz_mutate(&o, a, n, max, seed);
		m2 = fuzz_mutate(&o, b, n, max, seed);
		assert_int_equal(m, m2);                  /* a seed gives one result */
		assert_true(m <= max);
		if (!m)
			continue;
		structural++;
		assert_memory_equal(a, b, m);
		changed += m != n || memcmp(a, orig, m);
		decisions(&o, a, m, start, 300);        /* decodes (asserts 0) */
	}
	/* inputs with a decision get a structural result; most change */
	assert_true(structural > 15000);
	assert_true(changed > structural * 8 / 10);
}

/* Run seeds until one gives a result of size want_size (an operation of that shape). */
static size_t mutate_to_size(const struct khp_decode_opts *o, uint8_t *out, size_t want_size)
{
	for (uint32_t seed = 0; seed < 100000; seed++) {
		memcpy(out, extreme, sizeof(extreme));
		if (fuzz_mutate(o, out, sizeof(extreme), 64, seed) == want_size)
			return seed;
	}
	fail_msg("no seed gave size %zu", want_size);
	return 0;
}

static void test_decision_operations(void **state)
{
	struct khp_decode_opts o;
	uint8_t out[64];
	size_t start[16], nr;

	(void)state;
	khp_decode_opts_default(&o);
	/* deleting M_COW (5 bytes) leaves the three other decisions */
	mutate_to_size(&o, out, sizeof(extreme) - 5);
	nr = decisions(&o, out, sizeof(extreme) - 5, start, 16);
	assert_true(nr == 3 || nr == 4);
	/* duplicating M_FORK_KEEP (6 bytes) gives five decisions */
	mutate_to_size(&o, out, sizeof(extreme) + 6);
	assert_true(decisions(&o, out, sizeof(extreme) + 6, start, 16) >= 4);
	/* cutting after M_THP leaves one decision */
	mutate_to_size(&o, out, 2);
	assert_int_equal(decisions(&o, out, 2, start, 16), 1);
	assert_memory_equal(out, extreme, 2);
}

static void test_crossover(void **state)
{
	static const uint8_t scan[] = { 0x13, 0x00, 0x03, 0x15 };   /* M_THP fork M_SCAN_ALL */
	struct khp_decode_opts o;
	uint8_t out[64];
	unsigned joined = 0;

	(void)state;
	khp_decode_opts_default(&o);
	for (uint32_t seed = 0; seed < 200; seed++) {
		size_t n = fuzz_crossover(&o, extreme, sizeof(extreme), scan, sizeof(scan), out,
					  sizeof(out), seed);
		size_t start[16];

		assert_true(n >= 2 && n <= sizeof(extreme) + sizeof(scan));
		assert_memory_equal(out, extreme, 2);     /* the first decision of a */
		decisions(&o, out, n, start, 16);
		joined += n == sizeof(extreme) + sizeof(scan);
	}
	assert_true(joined > 0);
	assert_int_equal(fuzz_crossover(&o, extreme, sizeof(extreme), scan, sizeof(scan), out, 3, 1)
			 <= 3, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spans_of_extreme),
		cmocka_unit_test(test_random_inputs_stay_valid),
		cmocka_unit_test(test_decision_operations),
		cmocka_unit_test(test_crossover),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
