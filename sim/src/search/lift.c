/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Lifting a program to a larger pmd_pages (khpsim/lift.h): the boundary
 * offsets of a PMD range keep their meaning, the others scale.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "khpsim/lift.h"

uint64_t khp_lift_offset(uint64_t o, unsigned p, unsigned q)
{
	uint64_t h = p / 2;

	if (o <= 1)
		return o;
	if (o >= p)
		return q + (o - p);
	if (o == p - 1)
		return q - 1;
	if (o == h - 1 || o == h || o == h + 1)
		return q / 2 + o - h;
	return o * q / p;
}

uint64_t khp_lift_addr(uint64_t a, unsigned p, unsigned q)
{
	return a / p * q + khp_lift_offset(a % p, p, q);
}

/* The length of [a, a + n) lifted: the distance between its lifted ends. */
static uint64_t lift_len(uint64_t a, uint64_t n, unsigned p, unsigned q)
{
	uint64_t end = a + n;
	uint64_t le = end % p ? khp_lift_addr(end, p, q) : end / p * q;

	return le - khp_lift_addr(a, p, q);
}

/* A PTE limit (0..P-1) lifted as an offset (P-1 stays "all but one"). */
static unsigned lift_limit(unsigned v, unsigned p, unsigned q)
{
	return (unsigned)khp_lift_offset(v, p, q);
}

static void lift_op(struct khp_op *op, unsigned p, unsigned q)
{
	uint64_t a = op->addr;

	op->pages = lift_len(a, op->pages, p, q);
	if (op->type == KHP_OP_MREMAP && (op->flags & KHP_OPF_NEW_PAGES))
		op->new_pages = lift_len(a, op->new_pages, p, q);
	if (op->type == KHP_OP_MREMAP && (op->flags & KHP_OPF_TO))
		op->to = khp_lift_addr(op->to, p, q);
	op->addr = khp_lift_addr(a, p, q);
}

int khp_lift_program(const struct khp_program *src, unsigned q, struct khp_program *dst,
		     char *msg, size_t len)
{
	struct khp_config c = src->config;
	unsigned p = c.pmd_pages;

	khp_program_init(dst, &src->config);
	if (q < p || q < KHP_PMD_PAGES_MIN || q > KHP_PMD_PAGES_MAX || (q & (q - 1))) {
		snprintf(msg, len, "lift: %u pages per PMD range is not a power of two in %u..%u "
			 "at least %u", q, p > KHP_PMD_PAGES_MIN ? p : KHP_PMD_PAGES_MIN,
			 KHP_PMD_PAGES_MAX, p);
		return -EINVAL;
	}
	c.pmd_pages = q;
	c.max_ptes_none = lift_limit(c.max_ptes_none, p, q);
	c.max_ptes_swap = lift_limit(c.max_ptes_swap, p, q);
	c.max_ptes_shared = lift_limit(c.max_ptes_shared, p, q);
	dst->config = c;
	for (size_t i = 0; i < src->nr_ops; i++) {
		struct khp_op op = src->ops[i];
		int ret;

		lift_op(&op, p, q);
		ret = khp_program_push(dst, &op);
		if (ret) {
			snprintf(msg, len, "lift: op %zu: %s", i, ret == -E2BIG ? "too many ops" :
				 "out of memory");
			khp_program_free(dst);
			return ret;
		}
	}
	return 0;
}
