/* SPDX-License-Identifier: GPL-2.0-only */
/* Internals of the exhaustive search (exhaust.c, exhaust_set.c). */
#ifndef KHPSIM_SEARCH_EXHAUST_INT_H
#define KHPSIM_SEARCH_EXHAUST_INT_H

#include <stdbool.h>
#include "khpsim/exhaust.h"

struct hset {
	struct khp_hash128 *tab;
	size_t nr, cap;            /* cap: a power of two, at most half full */
};

struct khp_hash128 exhaust_hash(const uint8_t *p, size_t n);
struct khp_hash128 exhaust_hash_pair(struct khp_hash128 h, uint64_t v);
/* 1 if h was added, 0 if it was there, -ENOMEM. */
int hset_add(struct hset *s, struct khp_hash128 h);
void hset_free(struct hset *s);
/* The elements of s, sorted (khp_hash128_cmp), into a malloc'ed array. */
int hset_sorted(const struct hset *s, struct khp_hash128 **out, size_t *nr);
int khp_hash128_cmp(const void *a, const void *b);
/* *a = *a united with b (both sorted, no duplicates). */
int hash_union(struct khp_hash128 **a, size_t *na, const struct khp_hash128 *b, size_t nb);

#endif
