/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Bounded exhaustive search (docs/proofs.md): every program of at most
 * `ops` ops of the grammar over at most `mms` mms, explored as a state space
 * (each canonical world, khp_world_canon(), is expanded once) under one
 * profile.  The result is a certificate: the bounds, the grammar version,
 * the maximum fn_waste_pages with a witness, the number of false negatives
 * and false positives, the states.
 */
#ifndef KHPSIM_EXHAUST_H
#define KHPSIM_EXHAUST_H

#include <stddef.h>
#include <stdint.h>
#include "khpsim/khpsim.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KHP_EXHAUST_MAX_OPS 12u
#define KHP_EXHAUST_MAX_MMS 4u

enum khp_exhaust_grammar {
	KHP_GRAMMAR_FULL,          /* every op type (docs/proofs.md#the-grammar) */
	KHP_GRAMMAR_CORE,          /* mmap, touch, dontneed, fork, khugepaged, collapse */
	KHP_NR_GRAMMARS
};
/* "full-1", "core-1": the name with its version; the certificate names it. */
const char *khp_exhaust_grammar_name(enum khp_exhaust_grammar g);
int khp_exhaust_grammar_parse(const char *s, enum khp_exhaust_grammar *out);

struct khp_exhaust_bounds {
	struct khp_config config;  /* pmd_pages and the knobs */
	unsigned mms;              /* mm ids 0..mms-1 */
	unsigned ops;              /* program length at most */
	enum khp_exhaust_grammar grammar;
	unsigned shard, nr_shards; /* this run is shard `shard` of nr_shards (0 of 1: all) */
	/* Tests and grammar experiments: only these indices of the grammar (NULL: all);
	 * a witness still names indices of the whole grammar. */
	const uint16_t *subset;
	size_t nr_subset;
};

/*
 * The ops of the grammar for these bounds, in their fixed order (a witness
 * is a list of indices into it).  *ops is malloc'ed.  0 or -ENOMEM.
 */
int khp_exhaust_grammar_ops(const struct khp_exhaust_bounds *b, struct khp_op **ops, size_t *nr);

/* A 128-bit hash (of a state, or of a (state, op) transition). */
struct khp_hash128 {
	uint64_t lo, hi;
};

struct khp_exhaust_result {
	long max_fn_waste;         /* the largest fn_waste_pages of a record */
	uint16_t witness[KHP_EXHAUST_MAX_OPS];  /* grammar indices of a program reaching it */
	unsigned witness_len;      /* 0: no record with fn_waste_pages > 0 */
	unsigned long fn, fp;      /* (state, op) transitions whose record is a false negative / positive */
	unsigned long states;      /* distinct states within ops - 1 ops: each expanded once */
	unsigned long transitions; /* (state, op) pairs evaluated, refused ops included */
	unsigned long refused;     /* of them, ops the world refused */
	unsigned long level[KHP_EXHAUST_MAX_OPS + 1]; /* new states per depth */
	/* for khp_exhaust_merge(): the sorted sets behind states, fn, fp */
	struct khp_hash128 *set[3];
	size_t nr_set[3];
};
enum { KHP_EXHAUST_SET_STATES, KHP_EXHAUST_SET_FN, KHP_EXHAUST_SET_FP };

/*
 * Explore the bounds under profile p.  0, or a negative errno with msg
 * (bad bounds: -EINVAL; -ENOMEM).  progress (may be NULL) is called after
 * each depth with the states so far.
 */
int khp_exhaust_run(const struct khp_exhaust_bounds *b, const struct khp_profile *p,
		    void (*progress)(void *arg, unsigned depth, unsigned long states), void *arg,
		    struct khp_exhaust_result *r, char *msg, size_t len);
void khp_exhaust_result_free(struct khp_exhaust_result *r);
/* The command's defaults: 2 mms, 4 ops, grammar core, the whole search (config untouched). */
void khp_exhaust_bounds_default(struct khp_exhaust_bounds *b);
/* 0 if the bounds are valid (msg says why not). */
int khp_exhaust_bounds_check(const struct khp_exhaust_bounds *b, char *msg, size_t len);
/* Witness a is better than b: longer fn_waste, then shorter, then smaller indices. */
int khp_exhaust_witness_cmp(const struct khp_exhaust_result *a, const struct khp_exhaust_result *b);
/* Order of 128-bit hashes (the sets are sorted by it). */
int khp_hash128_cmp_public(const void *a, const void *b);
/* Fold shard result s into r (sets united, counts recomputed from them). 0 or -ENOMEM. */
int khp_exhaust_merge(struct khp_exhaust_result *r, const struct khp_exhaust_result *s);
/* The witness as a program (config of b). 0 or -ENOMEM. */
int khp_exhaust_witness_program(const struct khp_exhaust_bounds *b,
				const struct khp_exhaust_result *r, struct khp_program *out);

#ifdef __cplusplus
}
#endif
#endif
