/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Structure-aware mutation of decoder inputs (mutate.c), shared by the
 * libFuzzer hooks (mutator_libfuzzer.c) and the AFL++ custom mutator
 * (mutator_afl.c).  An input is a config prefix and a list of decisions
 * (khp_decode_spans()); a mutation deletes, duplicates, moves, inserts or
 * retargets whole decisions, or sets an operand to a boundary value, so the
 * program changes by an op or a macro instead of by a flipped bit that
 * shifts every later operand.
 *
 * Environment: KHP_MUTATOR=1 turns the structural mutations on; by default
 * the engines mutate bytes only, which found the maxima sooner in the
 * measurements of docs/performance.md.
 */
#ifndef KHPSIM_FUZZ_MUTATE_H
#define KHPSIM_FUZZ_MUTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "khpsim/decode.h"

/* The decoder options of the fuzz targets: defaults, build-time defaults,
 * the environment (exits 2 with a message on a bad variable). */
void fuzz_decode_opts(struct khp_decode_opts *o);

/* KHP_MUTATOR is set and not 0. */
bool fuzz_mutator_enabled(void);

/*
 * One structural mutation of data[0, size) in place (room for max bytes),
 * chosen by seed: the new size (>= 1), or 0 when the input has no decision
 * to work on (the caller mutates bytes instead).
 */
size_t fuzz_mutate(const struct khp_decode_opts *o, uint8_t *data, size_t size, size_t max,
		   uint32_t seed);

/* The config and first decisions of a, then decisions of b, into out (max
 * bytes): the new size, 0 when either has no decision. */
size_t fuzz_crossover(const struct khp_decode_opts *o, const uint8_t *a, size_t na,
		      const uint8_t *b, size_t nb, uint8_t *out, size_t max, uint32_t seed);

#endif /* KHPSIM_FUZZ_MUTATE_H */
