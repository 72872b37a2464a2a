/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcg32: the PCG-XSH-RR 64/32 generator of M. E. O'Neill (pcg-random.org),
 * written from the published algorithm.  Used by `khpsim explore` to feed
 * the fuzz decoder with reproducible byte streams.  Same seed and sequence
 * give the same stream on every platform; no global state.
 *
 * Reference vector (imneme/pcg-c check-pcg32.out), checked by test_rng.c:
 * seed 42, sequence 54 -> 0xa15c02b7 0x7b47f409 0xba1d3330 ...
 */
#ifndef KHPSIM_RNG_H
#define KHPSIM_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct khp_pcg32 {
	uint64_t state;   /* all values are possible */
	uint64_t inc;     /* stream selector; always odd */
};

/* pcg32_srandom_r(): seed with an initial state and a stream (sequence) id. */
void khp_pcg32_srandom_r(struct khp_pcg32 *rng, uint64_t initstate, uint64_t initseq);
/* pcg32_random_r(): the next uniformly distributed 32-bit value. */
uint32_t khp_pcg32_random_r(struct khp_pcg32 *rng);
/* pcg32_boundedrand_r(): uniform in [0, bound), without modulo bias; 0 if bound is 0. */
uint32_t khp_pcg32_boundedrand_r(struct khp_pcg32 *rng, uint32_t bound);
/* Fill buf with len pseudo-random bytes (little-endian words). */
void khp_pcg32_fill(struct khp_pcg32 *rng, uint8_t *buf, uint64_t len);
/*
 * The bytes of `khpsim explore` run `stream` of seed: 1..max_bytes of them
 * (the length drawn first) into buf (max_bytes long).  Returns the length.
 */
uint32_t khp_pcg32_stream(uint64_t seed, uint64_t stream, uint32_t max_bytes, uint8_t *buf);

#ifdef __cplusplus
}
#endif
#endif /* KHPSIM_RNG_H */
