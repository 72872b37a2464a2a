/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcg32 (PCG-XSH-RR, 64-bit state, 32-bit output), after the minimal C
 * implementation published at pcg-random.org (pcg-c-basic).  Deterministic:
 * the explorer's results depend only on (seed, sequence).
 */
#include "khpsim/rng.h"

#define PCG32_MULT 6364136223846793005ull

uint32_t khp_pcg32_random_r(struct khp_pcg32 *rng)
{
	uint64_t oldstate = rng->state;
	uint32_t xorshifted, rot;

	rng->state = oldstate * PCG32_MULT + rng->inc;
	xorshifted = (uint32_t)(((oldstate >> 18u) ^ oldstate) >> 27u);
	rot = (uint32_t)(oldstate >> 59u);
	return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

void khp_pcg32_srandom_r(struct khp_pcg32 *rng, uint64_t initstate, uint64_t initseq)
{
	rng->state = 0u;
	rng->inc = (initseq << 1u) | 1u;
	khp_pcg32_random_r(rng);
	rng->state += initstate;
	khp_pcg32_random_r(rng);
}

uint32_t khp_pcg32_boundedrand_r(struct khp_pcg32 *rng, uint32_t bound)
{
	/* Reject the low (2^32 mod bound) values so every residue is equally likely. */
	uint32_t threshold, r;

	if (!bound)
		return 0;
	threshold = -bound % bound;
	for (;;) {
		r = khp_pcg32_random_r(rng);
		if (r >= threshold)
			return r % bound;
	}
}

void khp_pcg32_fill(struct khp_pcg32 *rng, uint8_t *buf, uint64_t len)
{
	uint64_t i = 0;

	while (i < len) {
		uint32_t v = khp_pcg32_random_r(rng);

		for (int b = 0; b < 4 && i < len; b++, v >>= 8)
			buf[i++] = (uint8_t)v;
	}
}

uint32_t khp_pcg32_stream(uint64_t seed, uint64_t stream, uint32_t max_bytes, uint8_t *buf)
{
	struct khp_pcg32 rng;
	uint32_t len;

	khp_pcg32_srandom_r(&rng, seed, stream);
	len = 1 + khp_pcg32_boundedrand_r(&rng, max_bytes);
	khp_pcg32_fill(&rng, buf, len);
	return len;
}
