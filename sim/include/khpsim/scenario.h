/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Scenario format 1 (docs/scenario-format.md): a JSON file holding a
 * program (config + ops), the profiles to run it under and expectations on
 * the records of its khugepaged / collapse steps.
 *
 * The reader is strict: unknown keys, duplicate keys, wrong types,
 * non-integers, out-of-range numbers, unknown names, strings that are not
 * valid UTF-8 or hold a raw control character or \u0000, and programs
 * longer than KHP_MAX_OPS are errors.  Each error message names the file,
 * the JSON path (e.g. "program[7].pages") and the reason.  The writer emits
 * stable bytes (canonical key order, defaults omitted, one op per line), so
 * write -> read -> write is the identity, and it never writes what the
 * reader would refuse.
 *
 * Error convention as in khpsim.h: 0 or a negative errno.
 */
#ifndef KHPSIM_SCENARIO_H
#define KHPSIM_SCENARIO_H

#include <errno.h>
#include <stdio.h>

#include "khpsim.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KHP_SCENARIO_FORMAT     1
/* load error for a JSON Schema document (scenarios/schema.json): callers skip it */
#define KHP_SCENARIO_NOT_SCENARIO (-ENOTSUP)
#define KHP_SCENARIO_MAX_BYTES  (16u << 20)  /* larger files are refused unread */
#define KHP_SCENARIO_MAX_EXPECT (1u << 20)   /* expectations in one scenario */
/* JSON values (objects, arrays, scalars) in one file: bounds the parse tree
 * (about 100 bytes per value) before cJSON allocates it. */
#define KHP_SCENARIO_MAX_VALUES 1500000u

/* Which struct khp_expect fields are set (and compared). */
enum khp_expect_field {
	KHP_EF_RESULT,
	KHP_EF_ERRNO,
	KHP_EF_COLLAPSED,
	KHP_EF_NONE_OR_ZERO,
	KHP_EF_UNMAPPED,
	KHP_EF_REFERENCED,
	KHP_EF_WRITABLE,
	KHP_EF_SHARED,
	KHP_EF_SHARED_EXACT,
	KHP_EF_SHARED_PROFILE,
	KHP_EF_VERDICT,
	KHP_EF_ALLOC_PAGES,
	KHP_EF_FREED_PAGES,
	KHP_EF_FILL_PAGES,
	KHP_EF_DUP_PAGES,
	KHP_EF_WASTE_PAGES,
	KHP_EF_FN_WASTE_PAGES,
	KHP_EF_COPIED_PAGES,
	KHP_EF_PTES_CLEARED,
	KHP_EF_TLB_FLUSHES,
	KHP_EF_PAGES_IN_USE,       /* after the step: for the daemon's pass-by-pass growth */
	KHP_NR_EXPECT_FIELDS
};

#define KHP_EF(f)           (1u << (f))
/* Every field of a step's record (pages_in_use is asked for explicitly). */
#define KHP_EF_ALL          ((1u << KHP_EF_PAGES_IN_USE) - 1)
/* Fields that do not depend on the accounting (handy for findings). */
#define KHP_EF_DECISION     (KHP_EF(KHP_EF_RESULT) | KHP_EF(KHP_EF_ERRNO) | \
			     KHP_EF(KHP_EF_COLLAPSED) | KHP_EF(KHP_EF_VERDICT))

/* JSON key of a field ("result", "errno", "none_or_zero", ...). */
const char *khp_expect_field_name(enum khp_expect_field f);

/* One expectation: a subset of the record of one step under one profile. */
struct khp_expect {
	uint32_t step;             /* 0-based index into program */
	struct khp_profile profile;
	uint32_t fields;           /* KHP_EF() bits of the fields below that are set */
	enum scan_result result;
	int err;                   /* "errno": positive errno value or 0 */
	bool collapsed;
	bool writable;
	unsigned none_or_zero, unmapped, referenced, shared;
	unsigned shared_exact, shared_profile;
	enum khp_verdict verdict;
	long alloc_pages, freed_pages, fill_pages, dup_pages, waste_pages;
	long fn_waste_pages;
	long copied_pages, ptes_cleared, tlb_flushes;
	long pages_in_use;
	/* a daemon step (khugepaged with passes): which visit; pass 0 = the step's first record */
	unsigned pass;
	bool has_addr;
	uint64_t addr;
};

#define KHP_SCENARIO_MAX_PROFILES 16

struct khp_scenario {
	char *name;                /* NULL or malloc'd */
	char *description;
	char *source;
	struct khp_program program;
	struct khp_profile profiles[KHP_SCENARIO_MAX_PROFILES];
	size_t nr_profiles;        /* 0 after init; the reader defaults to all three kernels */
	struct khp_expect *expects;
	size_t nr_expects, cap_expects;
};

/* Empty scenario: default config (512 pages, thp madvise), no ops, no profiles. */
void khp_scenario_init(struct khp_scenario *sc);
void khp_scenario_free(struct khp_scenario *sc);
/* Replace a string field (NULL clears it).  0 or -ENOMEM. */
int khp_scenario_set_str(char **field, const char *s);
int khp_scenario_add_expect(struct khp_scenario *sc, const struct khp_expect *e);

/*
 * Read a scenario.  sc must be initialised (or freshly khp_scenario_init'ed);
 * it is freed and re-initialised first.  On error, sc is left empty and err
 * holds "FILE: PATH: reason".  Returns 0, -EINVAL (syntax / type / unknown
 * key), -ERANGE (number out of range), -E2BIG (program or file too large),
 * -ENOENT / -EIO (cannot read the file), -ENOMEM.
 * name is used in messages only (e.g. the file name).
 */
int khp_scenario_load_file(const char *path, struct khp_scenario *sc, char *err, size_t errlen);
int khp_scenario_load_buf(const char *buf, size_t len, const char *name,
			  struct khp_scenario *sc, char *err, size_t errlen);

/*
 * Canonical JSON (stable bytes).  Nothing is written if the reader would
 * refuse the result (-EINVAL: khp_scenario_validate() says why).  0,
 * -EINVAL, -ENOMEM or -EIO.
 */
int khp_scenario_write(FILE *f, const struct khp_scenario *sc);
int khp_scenario_write_file(const char *path, const struct khp_scenario *sc);
/* 0 if the reader accepts what khp_scenario_write() would write, else -EINVAL and why. */
int khp_scenario_validate(const struct khp_scenario *sc, char *err, size_t errlen);

/*
 * Compare expectations with runs (runs[i] is the run of some profile; an
 * expectation whose profile has no run, or whose step has no record, is a
 * mismatch).  Each mismatch is printed to report (if not NULL) as
 * "step S profile P: FIELD expected X, got Y".  Returns the number of
 * mismatches.
 */
size_t khp_scenario_check(const struct khp_scenario *sc, const struct khp_run *runs,
			  size_t nr_runs, FILE *report);

/*
 * Replace the expectations by the actual records of runs: one expectation
 * per (record, run) with the fields in mask (KHP_EF() bits; errno is kept
 * for collapse steps only).  Profiles of runs missing from sc->profiles are
 * added, so the written file reads back.  0, -ENOMEM or -E2BIG.
 */
int khp_scenario_expect_from_runs(struct khp_scenario *sc, const struct khp_run *runs,
				  size_t nr_runs, uint32_t mask);

/*
 * Run the program once per profile of sc (all three kernels if it names
 * none): runs_out[i] for sc->profiles[i]; runs_out must hold
 * KHP_SCENARIO_MAX_PROFILES entries.  Returns the number of runs made
 * (the caller khp_run_free()s each), or a negative errno if nothing ran.
 * A program error is in runs_out[i].err, not in the return value.
 */
int khp_scenario_run_all(const struct khp_scenario *sc, const struct khp_run_opts *opts,
			 struct khp_run *runs_out);

#ifdef __cplusplus
}
#endif
#endif /* KHPSIM_SCENARIO_H */
