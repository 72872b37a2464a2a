/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The structure-aware mutator as an AFL++ custom mutator (mutate.h): the
 * afl build makes it a plain, uninstrumented shared object
 * (build/afl/fuzz/afl_mutator.so) that afl-fuzz loads from
 * AFL_CUSTOM_MUTATOR_LIBRARY (scripts/campaign sets it) and calls beside
 * its own stages.  One mutation in four is a crossover with the input AFL++
 * offers, the others fuzz_mutate(); an input without a decision is skipped
 * (return 0).  The decoder options come from the environment afl-fuzz runs
 * in, the same as the target's.
 */
#include <stdlib.h>
#include <string.h>

#include "mutate.h"

struct afl_mutator {
	struct khp_decode_opts o;
	uint8_t *buf;
	size_t cap;
	uint32_t seed;
	bool on;
};

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
		       uint8_t *add_buf, size_t add_buf_size, size_t max_size);
void afl_custom_deinit(void *data);

void *afl_custom_init(void *afl, unsigned int seed)
{
	struct afl_mutator *m = calloc(1, sizeof(*m));

	(void)afl;
	if (!m)
		return NULL;
	fuzz_decode_opts(&m->o);
	m->on = fuzz_mutator_enabled();
	m->seed = seed;
	return m;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
		       uint8_t *add_buf, size_t add_buf_size, size_t max_size)
{
	struct afl_mutator *m = data;
	size_t n = 0, len = buf_size < max_size ? buf_size : max_size;

	if (!m->on || !max_size)
		return 0;
	if (m->cap < max_size) {
		uint8_t *p = realloc(m->buf, max_size);

		if (!p)
			return 0;
		m->buf = p;
		m->cap = max_size;
	}
	m->seed = m->seed * 747796405u + 2891336453u;   /* the next seed: an LCG step */
	if (add_buf && add_buf_size && !(m->seed >> 30))
		n = fuzz_crossover(&m->o, buf, buf_size, add_buf, add_buf_size, m->buf, max_size,
				   m->seed);
	if (!n) {
		memcpy(m->buf, buf, len);
		n = fuzz_mutate(&m->o, m->buf, len, max_size, m->seed);
	}
	*out_buf = m->buf;
	return n;
}

void afl_custom_deinit(void *data)
{
	struct afl_mutator *m = data;

	if (m)
		free(m->buf);
	free(m);
}
