/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fuzz decoder: bytes -> a valid struct khp_program.
 *
 * Shared by the fuzz targets (fuzz/), `khpsim explore` (pcg32 byte streams)
 * and the tests.  The decoder keeps a light shadow of the world (which mms
 * are alive, their VMAs with writability and THP flags, long-term pins) so
 * that every op it emits is one the world accepts; bytes that would make an
 * invalid op are turned into a valid op or skipped.  Sizes and offsets are
 * biased towards the kernel's boundary values
 *   0, 1, pmd/2-1, pmd/2, pmd/2+1, pmd-1, pmd (and 2*pmd)
 * relative to PMD ranges.  Besides the single ops there are a few "macro"
 * decisions that emit several ops at once (populate a PMD-aligned THP,
 * fork and keep sub-ranges in parent and child), so that blind search
 * reaches the interesting sharing patterns in a handful of bytes.
 *
 * Input layout (all control bytes are read front to back through
 * struct khp_dp; once the input runs out every read returns its minimum):
 *   [config bytes, only when config_from_input]  then  op decisions.
 * The byte format is documented in docs/fuzzing.md; the fuzz/ dictionaries hold the
 * byte strings the decoder treats specially.
 *
 * Deterministic: the same bytes and options give the same program.
 */
#ifndef KHPSIM_DECODE_H
#define KHPSIM_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "khpsim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- data producer (after zstd's tests/fuzz/fuzz_data_producer) -------- */
struct khp_dp {
	const uint8_t *data;
	size_t size;
	size_t pos;             /* next byte to read */
};

void khp_dp_init(struct khp_dp *dp, const uint8_t *data, size_t size);
bool khp_dp_empty(const struct khp_dp *dp);
size_t khp_dp_remaining(const struct khp_dp *dp);
/* One byte (0 when empty). */
uint32_t khp_dp_u8(struct khp_dp *dp);
/* A value in [min, max], reading as few bytes as the span needs (min when empty). */
uint32_t khp_dp_range(struct khp_dp *dp, uint32_t min, uint32_t max);

/* ---- decoder ------------------------------------------------------------ */
struct khp_decode_opts {
	struct khp_config config;   /* the fixed config (unless config_from_input) */
	bool config_from_input;     /* "explore config": the first bytes choose the config */
	unsigned max_ops;           /* ops emitted at most (macros count each op) */
	unsigned max_mms;           /* mm ids the decoder may create (<= KHP_MAX_MMS) */
	unsigned max_pmds;          /* PMD ranges where mmap places VMAs */
	bool macros;                /* allow the macro decisions */
};

/* Defaults: kernel config for 512 pages (thp madvise), 48 ops, 6 mms, 4 PMDs, macros. */
void khp_decode_opts_default(struct khp_decode_opts *o);

/*
 * Override opts from the environment (numbers are decimal):
 *   the knobs of the knob table (khpsim/knobs.h) in their text forms:
 *   KHP_PMD_PAGES, KHP_MAX_PTES_NONE, KHP_MAX_PTES_SWAP, KHP_MAX_PTES_SHARED,
 *   KHP_THP (never|madvise|always), KHP_USE_ZERO_PAGE, KHP_SWAP,
 *   KHP_SHRINK_UNDERUSED (1|0), KHP_MTHP_ORDERS (orders "2,4", or none);
 *   KHP_EXPLORE_CONFIG (0|1), KHP_MAX_OPS, KHP_MAX_MMS, KHP_MAX_PMDS, KHP_MACROS (0|1).
 * The knobs apply in any order (khp_knob_settings_apply()): a knob set keeps
 * its value, and with KHP_PMD_PAGES the PTE limits not set that sit at their
 * old default follow the new size's default.  0, or -EINVAL / -ERANGE with a
 * message naming the variable.
 */
int khp_decode_opts_from_env(struct khp_decode_opts *o, char *msg, size_t msglen);

/*
 * Decode data into out (initialised here; the caller khp_program_free()s it,
 * also on error).  Returns 0 or -ENOMEM.  Never fails on any byte string.
 */
int khp_decode(const uint8_t *data, size_t size, const struct khp_decode_opts *o,
	       struct khp_program *out);

/*
 * Where the decisions of an input start (for structure-aware mutators):
 * the config bytes are [0, prefix); decision i starts at start[i] and ends
 * where the next one starts (the last one at end).  Bytes from end on were
 * not read (the program was full).  nr counts every decision, also those
 * beyond max, which start[] does not hold.
 */
struct khp_decode_spans {
	size_t prefix, end;
	size_t nr, max;
	size_t *start;          /* max entries, the caller's */
};

/* khp_decode() that also fills spans (spans->start and ->max set by the caller). */
int khp_decode_spans(const uint8_t *data, size_t size, const struct khp_decode_opts *o,
		     struct khp_program *out, struct khp_decode_spans *spans);

/* Encode the byte that makes khp_dp-driven decoding pick boundary value i (0..7). */
#define KHP_DEC_BOUNDARY(i)  ((uint8_t)(i))

/* Decision selectors (the low 5 bits of a decision byte). */
enum khp_dec_sel {
	KHP_DEC_MMAP, KHP_DEC_TOUCH, KHP_DEC_TOUCH2, KHP_DEC_FORK, KHP_DEC_EXIT,
	KHP_DEC_DONTNEED, KHP_DEC_DONTNEED2, KHP_DEC_MUNMAP, KHP_DEC_MREMAP,
	KHP_DEC_MPROTECT, KHP_DEC_MADVISE, KHP_DEC_PIN, KHP_DEC_UNPIN, KHP_DEC_AGE,
	KHP_DEC_KHUGEPAGED, KHP_DEC_KHUGEPAGED2, KHP_DEC_COLLAPSE, KHP_DEC_SPLIT,
	KHP_DEC_FAIL_ALLOC,
	KHP_DEC_M_THP,          /* macro: mmap PMD-aligned hugepage VMA + write it all */
	KHP_DEC_M_FORK_KEEP,    /* macro: fork, then parent and child each keep [a,b) of a PMD */
	KHP_DEC_M_SCAN_ALL,     /* macro: khugepaged on every PMD of every live mm */
	KHP_DEC_M_COW,          /* macro: write [a,b) of a PMD in one mm */
	KHP_DEC_M_MOSAIC,       /* macro: a PMD range made of the parts of two THPs (mremap) */
	KHP_NR_DEC_SEL
};

#ifdef __cplusplus
}
#endif
#endif /* KHPSIM_DECODE_H */
