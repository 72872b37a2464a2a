/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Findings: turning a fuzz or explore program into a replayable scenario,
 * and shrinking it.
 *
 * A *finding* is a program whose run under some profile has a khugepaged
 * false negative with fn_waste_pages > 0 (docs/model.md, Records).  The
 * minimiser keeps the property "the profile that had the finding still has
 * a false_negative step with fn_waste_pages >= the original value, and
 * every profile of the scenario runs the program without a rejected op"
 * while it
 *   1. drops ops in chunks (delta debugging: halves, quarters, ... single ops),
 *   2. shrinks mmap/op page counts and fail_alloc counts,
 *   3. lowers addresses (the whole program moved down by PMD ranges),
 *   4. clears optional flags (uffd, nohugepage, age ranges),
 * repeating until nothing changes.  The result gets fresh expectations from
 * its own runs, so it replays with exit 0.
 *
 * Error convention as in khpsim.h: 0 or a negative errno.
 */
#ifndef KHPSIM_MINIMIZE_H
#define KHPSIM_MINIMIZE_H

#include <stdio.h>

#include "khpsim.h"
#include "scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The fields findings expect: the decision, the sharing counts and the waste. */
#define KHP_FINDING_FIELDS (KHP_EF_DECISION | KHP_EF(KHP_EF_SHARED_EXACT) | \
			    KHP_EF(KHP_EF_SHARED_PROFILE) | KHP_EF(KHP_EF_DUP_PAGES) | \
			    KHP_EF(KHP_EF_FN_WASTE_PAGES))

/* The largest fn_waste_pages of a set of runs, with the run index and step. */
struct khp_finding_max {
	long fn_waste;             /* 0: no finding */
	size_t run;                /* index into runs */
	uint32_t step;             /* program step of that record */
};
void khp_finding_max(const struct khp_run *runs, size_t nr_runs, struct khp_finding_max *out);

/*
 * Make prog replayable under profs: cut it after step `last_step` (use
 * SIZE_MAX to keep it whole) and drop ops that some profile rejects, until
 * every profile runs it cleanly.  Writes the cleaned program to out
 * (initialised here).  Returns 0, or -EINVAL if it cannot be cleaned.
 */
int khp_program_make_replayable(const struct khp_program *prog, size_t last_step,
				const struct khp_profile *profs, size_t nr_profs,
				struct khp_program *out);

/*
 * Write a finding: clean prog as above (cut after the finding's step),
 * run it under profs, set expectations (KHP_FINDING_FIELDS) from those runs
 * and write dir/<prefix>-<profile>-fn<waste>-<hash>.json (<prefix>-<hash>.json
 * when no profile has a false negative).  name and
 * description go into the scenario.  path (may be NULL) receives the file
 * name.  Returns 0, -EINVAL (nothing to write), -EIO, -ENOMEM.
 */
int khp_finding_write(const char *dir, const char *prefix, const char *description,
		      const struct khp_program *prog, const struct khp_profile *profs,
		      size_t nr_profs, char *path, size_t pathlen);

struct khp_min_opts {
	unsigned long max_runs;    /* property evaluations at most (0: 20000) */
	FILE *log;                 /* progress lines, or NULL */
};

struct khp_min_stats {
	size_t ops_before, ops_after;
	long fn_waste;             /* the preserved fn_waste_pages (>= the original) */
	struct khp_profile profile;/* the profile that had the finding */
	unsigned long runs;        /* property evaluations made */
};

/*
 * Minimise sc in place (program and expectations).  Returns 0, -ENOENT when
 * the scenario's program has no finding under its profiles, -ENOMEM.
 */
int khp_minimize(struct khp_scenario *sc, const struct khp_min_opts *o,
		 struct khp_min_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* KHPSIM_MINIMIZE_H */
