/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The search evaluators of a sweep (khpsim/sweep.h): at each grid point,
 * the worst fn_waste_pages a search finds with a fixed budget.
 *
 *   explore  runs pcg32 streams 0..budget-1 of one seed through the decoder
 *            (khpsim/decode.h), as `khpsim explore --seed S --runs N` does,
 *            with the point's config; the same seed at every point, so the
 *            points differ by their knobs and rules only.
 *
 *   exhaust  the bounded exhaustive search (khpsim/exhaust.h) with the
 *            point's config: its maximum fn_waste_pages within the bounds;
 *            runs counts its states, and the witness is replayed for the
 *            collapsed, waste and pages_in_use columns.
 *
 * A new search is one more evaluator of this shape and a line in the table
 * of `khpsim sweep --search`.
 */
#ifndef KHPSIM_SWEEP_SEARCH_H
#define KHPSIM_SWEEP_SEARCH_H

#include "decode.h"
#include "exhaust.h"
#include "sweep.h"

#ifdef __cplusplus
extern "C" {
#endif

struct khp_sweep_explore {
	uint64_t seed;
	unsigned long runs;          /* programs per point and profile */
	unsigned max_bytes;          /* bytes per stream: 1..max_bytes (explore --bytes) */
	struct khp_decode_opts dopts;/* its config is replaced by the point's */
};

void khp_sweep_explore_init(struct khp_sweep_explore *x);
/* The evaluator: arg is a struct khp_sweep_explore. */
int khp_sweep_eval_explore(void *arg, const struct khp_program *prog,
			   const struct khp_profile *prof, struct khp_sweep_result *out,
			   char *msg, size_t msglen);

struct khp_sweep_exhaust {
	unsigned mms, ops;           /* exhaust --mms, --ops */
	enum khp_exhaust_grammar grammar;
};

void khp_sweep_exhaust_init(struct khp_sweep_exhaust *x);
/* The evaluator: arg is a struct khp_sweep_exhaust. */
int khp_sweep_eval_exhaust(void *arg, const struct khp_program *prog,
			   const struct khp_profile *prof, struct khp_sweep_result *out,
			   char *msg, size_t msglen);

#ifdef __cplusplus
}
#endif
#endif /* KHPSIM_SWEEP_SEARCH_H */
