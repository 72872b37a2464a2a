/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer's custom mutator hooks for the decoder targets (mutate.h).
 * With LLVMFuzzerCustomMutator defined, libFuzzer calls it for every
 * mutation: half of them are structural (fuzz_mutate()), the others, and
 * any the input gives no decision for, are libFuzzer's own byte mutations
 * (LLVMFuzzerMutate(), with the dictionary).  The crossover cuts at
 * decision boundaries.  The options are read once per process, like the
 * fuzz context (fuzz_common.c).
 */
#include "fuzz.h"
#include "mutate.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

struct hooks {
	struct khp_decode_opts o;
	bool on;
};

static const struct hooks *hooks(void)
{
	static struct hooks h;
	static bool ready;

	if (!ready) {
		fuzz_decode_opts(&h.o);
		h.on = fuzz_mutator_enabled();
		ready = true;
	}
	return &h;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	const struct hooks *h = hooks();
	size_t n = 0;

	if (h->on && (seed & 1))
		n = fuzz_mutate(&h->o, data, size, max_size, seed >> 1);
	return n ? n : LLVMFuzzerMutate(data, size, max_size);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
				 uint8_t *out, size_t max_out, unsigned int seed)
{
	const struct hooks *h = hooks();

	return h->on ? fuzz_crossover(&h->o, a, na, b, nb, out, max_out, seed) : 0;
}
