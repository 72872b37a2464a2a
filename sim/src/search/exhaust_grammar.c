/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The op grammars of the exhaustive search (docs/proofs.md#the-grammar).
 *
 * The window is PMD ranges 1 and 2: pages [P, 3P) at P = pmd_pages; range
 * 3 ([3P, 4P)) is where mremap moves to.  An interval is [a, b) with a < b
 * from a point set: in each of the two ranges the offsets of the point set,
 * and the end 3P.  Grammar full-1 takes the boundary offsets 0, 1, P/2-1,
 * P/2, P/2+1, P-1 (13 points, 78 intervals) and every op type; core-1 the
 * offsets 0, 1, P/2, P-1 (9 points, 36 intervals) and the six op types of
 * the known cases.  Bump the version when either changes: a certificate
 * names it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "khpsim/exhaust.h"

static const char *const grammar_names[KHP_NR_GRAMMARS] = { "full-1", "core-1" };

const char *khp_exhaust_grammar_name(enum khp_exhaust_grammar g)
{
	return (unsigned)g < KHP_NR_GRAMMARS ? grammar_names[g] : "?";
}

int khp_exhaust_grammar_parse(const char *s, enum khp_exhaust_grammar *out)
{
	for (unsigned g = 0; g < KHP_NR_GRAMMARS; g++) {
		size_t n = strlen(grammar_names[g]) - 2;   /* "full" without "-1" too */

		if (!strcmp(s, grammar_names[g]) || (strlen(s) == n && !strncmp(s, grammar_names[g], n))) {
			*out = (enum khp_exhaust_grammar)g;
			return 0;
		}
	}
	return -EINVAL;
}

struct gram {
	struct khp_op *ops;
	size_t nr, cap;
	int err;
	uint64_t pts[16];
	unsigned nr_pts;
};

static void emit(struct gram *g, struct khp_op op)
{
	if (g->err)
		return;
	if (g->nr == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 256;
		struct khp_op *p = realloc(g->ops, cap * sizeof(*p));

		if (!p) {
			g->err = -ENOMEM;
			return;
		}
		g->ops = p;
		g->cap = cap;
	}
	g->ops[g->nr++] = op;
}

/* The window's points: each offset of offs in ranges 1 and 2, then 3P. */
static void points(struct gram *g, unsigned p, const unsigned *offs, unsigned n)
{
	g->nr_pts = 0;
	for (unsigned r = 1; r <= 2; r++)
		for (unsigned i = 0; i < n; i++)
			g->pts[g->nr_pts++] = (uint64_t)r * p + offs[i];
	g->pts[g->nr_pts++] = 3ull * p;
}

/* op over every interval of the points. */
static void intervals(struct gram *g, struct khp_op op)
{
	for (unsigned i = 0; i < g->nr_pts; i++)
		for (unsigned j = i + 1; j < g->nr_pts; j++) {
			op.addr = g->pts[i];
			op.pages = g->pts[j] - g->pts[i];
			emit(g, op);
		}
}

static struct khp_op mk(enum khp_op_type t, unsigned mm, uint8_t flags)
{
	struct khp_op op;

	memset(&op, 0, sizeof(op));
	op.type = (uint8_t)t;
	op.mm = mm;
	op.flags = flags;
	return op;
}

/* fork to every other id, khugepaged on each range, collapse of each range. */
static void mm_common(struct gram *g, unsigned p, unsigned m, unsigned mms)
{
	struct khp_op op;

	for (unsigned c = 0; c < mms; c++)
		if (c != m) {
			op = mk(KHP_OP_FORK, m, 0);
			op.child = c;
			emit(g, op);
		}
	for (unsigned r = 1; r <= 2; r++) {
		op = mk(KHP_OP_KHUGEPAGED, m, 0);
		op.addr = (uint64_t)r * p;
		emit(g, op);
		op = mk(KHP_OP_COLLAPSE, m, 0);
		op.addr = (uint64_t)r * p;
		op.pages = p;
		emit(g, op);
	}
}

static void core_mm(struct gram *g, unsigned p, unsigned m, unsigned mms)
{
	struct khp_op op = mk(KHP_OP_MMAP, m, KHP_OPF_WRITE | KHP_OPF_HUGEPAGE);

	op.addr = p;
	op.pages = 2ull * p;
	emit(g, op);
	intervals(g, mk(KHP_OP_TOUCH, m, KHP_OPF_WRITE));
	intervals(g, mk(KHP_OP_DONTNEED, m, 0));
	mm_common(g, p, m, mms);
}

static void full_mm(struct gram *g, unsigned p, unsigned m, unsigned mms)
{
	static const uint8_t mmap_flags[] = {
		KHP_OPF_WRITE | KHP_OPF_HUGEPAGE, KHP_OPF_WRITE, KHP_OPF_HUGEPAGE,
		KHP_OPF_WRITE | KHP_OPF_NOHUGEPAGE, KHP_OPF_WRITE | KHP_OPF_HUGEPAGE | KHP_OPF_UFFD,
	};
	struct khp_op op;

	for (unsigned f = 0; f < sizeof(mmap_flags); f++)
		intervals(g, mk(KHP_OP_MMAP, m, mmap_flags[f]));
	intervals(g, mk(KHP_OP_TOUCH, m, 0));
	intervals(g, mk(KHP_OP_TOUCH, m, KHP_OPF_WRITE));
	intervals(g, mk(KHP_OP_DONTNEED, m, 0));
	intervals(g, mk(KHP_OP_MUNMAP, m, 0));
	intervals(g, mk(KHP_OP_MPROTECT, m, 0));
	intervals(g, mk(KHP_OP_MPROTECT, m, KHP_OPF_WRITE));
	for (unsigned a = 0; a < KHP_NR_ADVICE; a++) {
		op = mk(KHP_OP_MADVISE, m, 0);
		op.advice = (uint8_t)a;
		intervals(g, op);
	}
	for (unsigned i = 0; i + 1 < g->nr_pts; i++) {
		op = mk(KHP_OP_PIN, m, 0);
		op.addr = g->pts[i];
		op.pages = 1;
		emit(g, op);
		op.type = KHP_OP_UNPIN;
		emit(g, op);
	}
	emit(g, mk(KHP_OP_AGE, m, 0));
	intervals(g, mk(KHP_OP_AGE, m, KHP_OPF_RANGE));
	/* mremap: range 1 moved to range 3; the window shrunk to range 1; range 1 grown */
	op = mk(KHP_OP_MREMAP, m, KHP_OPF_TO);
	op.addr = p, op.pages = p, op.to = 3ull * p;
	emit(g, op);
	op = mk(KHP_OP_MREMAP, m, KHP_OPF_NEW_PAGES);
	op.addr = p, op.pages = 2ull * p, op.new_pages = p;
	emit(g, op);
	op = mk(KHP_OP_MREMAP, m, KHP_OPF_NEW_PAGES);
	op.addr = p, op.pages = p, op.new_pages = 2ull * p;
	emit(g, op);
	op = mk(KHP_OP_COLLAPSE, m, 0);
	op.addr = p, op.pages = 2ull * p;
	emit(g, op);
	emit(g, mk(KHP_OP_EXIT, m, 0));
	mm_common(g, p, m, mms);
}

int khp_exhaust_grammar_ops(const struct khp_exhaust_bounds *b, struct khp_op **ops, size_t *nr)
{
	unsigned p = b->config.pmd_pages;
	const unsigned full_offs[] = { 0, 1, p / 2 - 1, p / 2, p / 2 + 1, p - 1 };
	const unsigned core_offs[] = { 0, 1, p / 2, p - 1 };
	struct gram g;

	memset(&g, 0, sizeof(g));
	if (b->grammar == KHP_GRAMMAR_FULL)
		points(&g, p, full_offs, 6);
	else
		points(&g, p, core_offs, 4);
	for (unsigned m = 0; m < b->mms; m++) {
		if (b->grammar == KHP_GRAMMAR_FULL)
			full_mm(&g, p, m, b->mms);
		else
			core_mm(&g, p, m, b->mms);
	}
	if (b->grammar == KHP_GRAMMAR_FULL) {
		struct khp_op op = mk(KHP_OP_SPLIT, 0, 0);

		emit(&g, op);
		op = mk(KHP_OP_FAIL_ALLOC, 0, 0);
		op.count = 1;
		emit(&g, op);
	}
	if (g.err) {
		free(g.ops);
		return g.err;
	}
	*ops = g.ops;
	*nr = g.nr;
	return 0;
}
