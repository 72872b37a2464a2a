/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one runner every fuzz target uses: decode, run per profile, inspect
 * records, write findings as scenario JSON, give value feedback.
 */
#ifndef KHPSIM_FUZZ_COMMON_H
#define KHPSIM_FUZZ_COMMON_H

#include <stdbool.h>

#include "khpsim/khpsim.h"
#include "khpsim/decode.h"

#define FUZZ_MAX_PROFILES 8

struct fuzz_ctx {
	struct khp_decode_opts dopts;
	struct khp_profile profs[FUZZ_MAX_PROFILES];
	size_t nr_profs;
	struct khp_world *w[FUZZ_MAX_PROFILES];
	struct khp_config wconf;        /* config the worlds were made for */
	struct khp_program prog;        /* the last decoded program */
	struct khp_run runs[FUZZ_MAX_PROFILES]; /* its runs, one per profile */
	bool check;                     /* invariant checker after every op */
	bool strict, quiet, stats;
	const char *findings_dir;
	long threshold;                 /* KHP_FN_THRESHOLD */
	unsigned long execs, rejected_runs, ops;
	int progress_fd;                /* KHP_PROGRESS_FILE, or -1 */
};

/* Every FUZZ_PROGRESS_EXECS execs a line is appended to $KHP_PROGRESS_FILE. */
#define FUZZ_PROGRESS_EXECS 4096u

/* The process-wide context, created at the first call. */
struct fuzz_ctx *fuzz_ctx(bool check);
/* Decode data and run it under every profile (results in c->runs). */
void fuzz_execute(struct fuzz_ctx *c, const uint8_t *data, size_t size);
/*
 * Free the program and its runs.  The targets call it before they return,
 * so that an exec frees what it allocated: libFuzzer runs an input again
 * under LeakSanitizer whenever it saw more mallocs than frees.
 */
void fuzz_done(struct fuzz_ctx *c);
/*
 * What an exec does only because of earlier execs (a new maximum written as
 * a finding, a lifted replay, a progress count) runs between these: under
 * AFL++ its edges are not recorded (selective coverage,
 * __AFL_COVERAGE_OFF()), so an input gives the same map every time it runs
 * (afl-fuzz's "stability").  No-ops in the other builds.
 */
void fuzz_coverage_off(void);
void fuzz_coverage_on(void);
/* Write c->prog as a finding scenario; path gets the file name. 0 or -errno. */
int fuzz_write_finding(struct fuzz_ctx *c, const char *prefix, const char *desc,
		       char *path, size_t pathlen);
/*
 * Value feedback: metric m (0..3) of profile p reached value v (pages).
 * Sets a libFuzzer extra counter indexed by v, bumps an AFL++ map byte
 * for v and walks a branch ladder over v / 8, so a new value is new coverage.
 */
void fuzz_feedback(unsigned m, size_t p, long v);

enum { FUZZ_M_FN_WASTE, FUZZ_M_FILL, FUZZ_M_DUP, FUZZ_M_SHARED_GAP, FUZZ_NR_METRICS };

#endif /* KHPSIM_FUZZ_COMMON_H */
