/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exhaustive search's sets of 128-bit hashes (search/exhaust_int.h):
 * the hash of canonical bytes, an open-addressing set, sorted unions.
 *
 * The hash is two independent 64-bit lanes (multiply-xorshift over 8-byte
 * words, different seeds and multipliers, each finished by the fmix64 of
 * MurmurHash3).  It is not cryptographic: two distinct states are taken as
 * one with probability about n^2 / 2^129 for n states if the lanes behave
 * like random functions (1e-23 for n = 1e8); docs/proofs.md says so.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "search/exhaust_int.h"

static uint64_t fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return k;
}

struct khp_hash128 exhaust_hash(const uint8_t *p, size_t n)
{
	uint64_t a = 0x9e3779b97f4a7c15ull ^ n, b = 0x6a09e667f3bcc909ull ^ (n << 1);
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x;

		memcpy(&x, p + i, 8);
		a = (a ^ x) * 0x87c37b91114253d5ull;
		a ^= a >> 31;
		b = (b + x) * 0x4cf5ad432745937full;
		b ^= b >> 29;
	}
	if (i < n) {
		uint64_t x = 0;

		memcpy(&x, p + i, n - i);
		a = (a ^ x) * 0x87c37b91114253d5ull;
		b = (b + x) * 0x4cf5ad432745937full;
	}
	return (struct khp_hash128){ fmix64(a), fmix64(b ^ a) };
}

struct khp_hash128 exhaust_hash_pair(struct khp_hash128 h, uint64_t v)
{
	uint64_t w[3] = { h.lo, h.hi, v };

	return exhaust_hash((const uint8_t *)w, sizeof(w));
}

static size_t slot_of(const struct hset *s, struct khp_hash128 h)
{
	return (size_t)(h.lo & (s->cap - 1));
}

static bool is_empty(struct khp_hash128 h)
{
	return !h.lo && !h.hi;
}

static int grow(struct hset *s)
{
	struct hset n = { .cap = s->cap ? 2 * s->cap : 1024 };

	n.tab = calloc(n.cap, sizeof(*n.tab));
	if (!n.tab)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (!is_empty(s->tab[i])) {
			size_t k = slot_of(&n, s->tab[i]);

			while (!is_empty(n.tab[k]))
				k = (k + 1) & (n.cap - 1);
			n.tab[k] = s->tab[i];
		}
	n.nr = s->nr;
	free(s->tab);
	*s = n;
	return 0;
}

int hset_add(struct hset *s, struct khp_hash128 h)
{
	size_t k;

	if (is_empty(h))
		h.lo = 1;       /* (0, 0) marks an empty slot */
	if (2 * (s->nr + 1) > s->cap && grow(s))
		return -ENOMEM;
	k = slot_of(s, h);
	while (!is_empty(s->tab[k])) {
		if (s->tab[k].lo == h.lo && s->tab[k].hi == h.hi)
			return 0;
		k = (k + 1) & (s->cap - 1);
	}
	s->tab[k] = h;
	s->nr++;
	return 1;
}

void hset_free(struct hset *s)
{
	free(s->tab);
	memset(s, 0, sizeof(*s));
}

int khp_hash128_cmp(const void *a, const void *b)
{
	const struct khp_hash128 *x = a, *y = b;

	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

int hset_sorted(const struct hset *s, struct khp_hash128 **out, size_t *nr)
{
	struct khp_hash128 *v = malloc((s->nr ? s->nr : 1) * sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (!is_empty(s->tab[i]))
			v[n++] = s->tab[i];
	qsort(v, n, sizeof(*v), khp_hash128_cmp);
	*out = v;
	*nr = n;
	return 0;
}

int hash_union(struct khp_hash128 **a, size_t *na, const struct khp_hash128 *b, size_t nb)
{
	struct khp_hash128 *v = malloc((*na + nb + 1) * sizeof(*v));
	size_t i = 0, j = 0, n = 0;

	if (!v)
		return -ENOMEM;
	while (i < *na || j < nb) {
		int c = i == *na ? 1 : j == nb ? -1 : khp_hash128_cmp(&(*a)[i], &b[j]);

		if (c <= 0) {
			v[n++] = (*a)[i++];
			j += c == 0;
		} else {
			v[n++] = b[j++];
		}
	}
	free(*a);
	*a = v;
	*na = n;
	return 0;
}

int khp_hash128_cmp_public(const void *a, const void *b)
{
	return khp_hash128_cmp(a, b);
}
