/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Structure-aware mutation of decoder inputs (mutate.h).  The decision
 * boundaries come from the decoder itself (khp_decode_spans()), so they are
 * right for every byte string; a mutation then works on whole decisions:
 *   delete one, duplicate one elsewhere, swap two neighbours, insert a new
 *   one (a selector and boundary-biased operands), retarget one (another
 *   live mm), reselect one (another op on the same operands), set an
 *   operand byte to a boundary value, or cut the tail.
 * Everything is drawn from a pcg32 stream seeded by the engine's seed, so a
 * mutation is reproducible.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mutate.h"
#include "khpsim/rng.h"

#define MAX_SPANS 1024u
#define NEW_OPERANDS 6u         /* operand bytes of an inserted decision, at most */

void fuzz_decode_opts(struct khp_decode_opts *o)
{
	char msg[256] = "";

	khp_decode_opts_default(o);
	/* Build-time defaults for engines that cannot set the environment. */
#ifdef FUZZ_DEFAULT_MAX_PTES_SHARED
	o->config.max_ptes_shared = FUZZ_DEFAULT_MAX_PTES_SHARED;
#endif
#ifdef FUZZ_DEFAULT_EXPLORE_CONFIG
	o->config_from_input = FUZZ_DEFAULT_EXPLORE_CONFIG;
#endif
	if (khp_decode_opts_from_env(o, msg, sizeof(msg))) {
		fprintf(stderr, "khpsim-fuzz: %s\n", msg);
		exit(2);
	}
}

bool fuzz_mutator_enabled(void)
{
	const char *s = getenv("KHP_MUTATOR");

	return s && *s && strcmp(s, "0");
}

/* The decisions of an input: [start[i], start[i + 1]), the last ending at start[nr]. */
struct decisions {
	size_t start[MAX_SPANS + 1];
	size_t nr;
};

static bool find_decisions(const struct khp_decode_opts *o, const uint8_t *data, size_t size,
			   struct decisions *ds)
{
	struct khp_decode_spans sp = { .start = ds->start, .max = MAX_SPANS };
	struct khp_program p;
	int ret = khp_decode_spans(data, size, o, &p, &sp);

	khp_program_free(&p);
	if (ret || !sp.nr)
		return false;
	if (sp.nr <= MAX_SPANS) {
		ds->nr = sp.nr;
		ds->start[ds->nr] = sp.end;
	} else {
		ds->nr = MAX_SPANS - 1;     /* start[MAX_SPANS - 1] ends the last one kept */
	}
	return ds->nr > 0;
}

static uint32_t below(struct khp_pcg32 *r, size_t n)
{
	return n ? khp_pcg32_boundedrand_r(r, (uint32_t)n) : 0;
}

/* Replace [at, at + old) with n bytes of src (src may lie in data); the new size or 0. */
static size_t splice(uint8_t *data, size_t size, size_t max, size_t at, size_t old,
		     const uint8_t *src, size_t n)
{
	uint8_t tmp[512];

	if (size - old + n > max || n > sizeof(tmp))
		return 0;
	memcpy(tmp, src, n);
	memmove(data + at + n, data + at + old, size - at - old);
	memcpy(data + at, tmp, n);
	return size - old + n;
}

/* An operand byte: a boundary value (0..7) three times in four, else any byte. */
static uint8_t operand(struct khp_pcg32 *r)
{
	uint32_t x = khp_pcg32_random_r(r);

	return (x & 3) ? (uint8_t)((x >> 8) & 7) : (uint8_t)(x >> 16);
}

size_t fuzz_mutate(const struct khp_decode_opts *o, uint8_t *data, size_t size, size_t max,
		   uint32_t seed)
{
	struct decisions dd, *ds = &dd;
	struct khp_pcg32 r;
	size_t i, j, si, ni, out = 0;
	uint8_t buf[1 + NEW_OPERANDS];

	if (!find_decisions(o, data, size, ds))
		return 0;
	khp_pcg32_srandom_r(&r, seed, 0x6b6870);        /* "khp" */
	i = below(&r, ds->nr);
	j = below(&r, ds->nr + 1);
	si = ds->start[i];
	ni = ds->start[i + 1] - si;
	switch (below(&r, 8)) {
	case 0:         /* delete decision i */
		out = ds->nr > 1 ? splice(data, size, max, si, ni, data, 0) : 0;
		break;
	case 1:         /* duplicate decision i before decision j */
		out = splice(data, size, max, ds->start[j], 0, data + si, ni);
		break;
	case 2:         /* swap decisions i and i + 1 */
		if (i + 1 < ds->nr) {
			size_t nj = ds->start[i + 2] - ds->start[i + 1];
			uint8_t two[512];

			if (ni + nj <= sizeof(two)) {
				memcpy(two, data + si + ni, nj);
				memcpy(two + nj, data + si, ni);
				out = splice(data, size, max, si, ni + nj, two, ni + nj);
			}
		}
		break;
	case 3: {       /* insert a new decision before decision j */
		size_t n = 1 + below(&r, NEW_OPERANDS + 1);

		buf[0] = (uint8_t)(below(&r, KHP_NR_DEC_SEL) | below(&r, 8) << 5);
		for (size_t k = 1; k < n; k++)
			buf[k] = operand(&r);
		out = splice(data, size, max, ds->start[j], 0, buf, n);
		break;
	}
	case 4:         /* retarget: another live mm */
		data[si] = (uint8_t)((data[si] & 31) | below(&r, 8) << 5);
		out = size;
		break;
	case 5:         /* reselect: another op on the same operands */
		data[si] = (uint8_t)((data[si] & 0xe0) | below(&r, KHP_NR_DEC_SEL));
		out = size;
		break;
	case 6:         /* an operand byte of decision i to a boundary value */
		if (ni > 1) {
			data[si + 1 + below(&r, ni - 1)] = (uint8_t)below(&r, 8);
			out = size;
		}
		break;
	default:        /* cut after decision i */
		out = ds->start[i + 1] < size ? ds->start[i + 1] : 0;
		break;
	}
	return out;
}

size_t fuzz_crossover(const struct khp_decode_opts *o, const uint8_t *a, size_t na,
		      const uint8_t *b, size_t nb, uint8_t *out, size_t max, uint32_t seed)
{
	struct decisions da, db;
	struct khp_pcg32 r;
	size_t n = 0;

	if (find_decisions(o, a, na, &da) && find_decisions(o, b, nb, &db)) {
		size_t cut, from, tail;

		khp_pcg32_srandom_r(&r, seed, 0x78);
		cut = da.start[1 + below(&r, da.nr)];
		from = db.start[below(&r, db.nr)];
		tail = db.start[db.nr] - from;
		if (cut > max)
			cut = max;
		if (tail > max - cut)
			tail = max - cut;
		memcpy(out, a, cut);
		memcpy(out + cut, b + from, tail);
		n = cut + tail;
	}
	return n;
}
