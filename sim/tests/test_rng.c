/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcg32 against the reference output of imneme/pcg-c
 * (test-high/expected/check-pcg32.out, round 1, the same as pcg-c-basic's
 * pcg32-demo): seed 42, sequence 54, six raw outputs, 65 coin flips and
 * 33 dice rolls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "khpsim/rng.h"

static void test_reference_vector(void **state)
{
	static const uint32_t expect[6] = {
		0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e,
	};
	static const char coins[] =
		"HHTTTHTHHHTHTTTHHHHHTTTHHHTHTHTHTTHTTTHHHHHHTTTTHHTTTTTHTTTTTTTHT";
	static const int dice[33] = {
		3, 4, 1, 1, 2, 2, 3, 2, 4, 3, 2, 4, 3, 3, 5, 2, 3,
		1, 3, 1, 5, 1, 4, 1, 5, 6, 4, 6, 6, 2, 6, 3, 3,
	};
	struct khp_pcg32 rng;
	int i;

	(void)state;
	khp_pcg32_srandom_r(&rng, 42u, 54u);
	for (i = 0; i < 6; i++)
		assert_int_equal(khp_pcg32_random_r(&rng), expect[i]);
	assert_int_equal(strlen(coins), 65);
	for (i = 0; i < 65; i++)
		assert_int_equal(khp_pcg32_boundedrand_r(&rng, 2) ? 'H' : 'T', coins[i]);
	for (i = 0; i < 33; i++)
		assert_int_equal((int)khp_pcg32_boundedrand_r(&rng, 6) + 1, dice[i]);
}

static void test_fill_reproducible(void **state)
{
	struct khp_pcg32 a, b;
	uint8_t x[37], y[37];

	(void)state;
	khp_pcg32_srandom_r(&a, 7, 1);
	khp_pcg32_srandom_r(&b, 7, 1);
	khp_pcg32_fill(&a, x, sizeof(x));
	khp_pcg32_fill(&b, y, sizeof(y));
	assert_memory_equal(x, y, sizeof(x));
	assert_int_equal(khp_pcg32_boundedrand_r(&a, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_vector),
		cmocka_unit_test(test_fill_reproducible),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
