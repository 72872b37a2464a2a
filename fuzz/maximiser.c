/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Property (an objective, not an assertion): climb the memory khugepaged
 * wastes.  Per profile it tracks the largest fn_waste_pages (pages a
 * false-negative collapse duplicates) and, separately, the largest
 * none-fill (fill_pages of any collapse: zero-filled PTEs).  Every new
 * maximum is printed and written as scenario JSON into $KHP_FINDINGS_DIR.
 * The values are fed back to the engine (libFuzzer extra counters, an
 * AFL++ branch ladder; fuzz_common.c), together with the dup_pages of any
 * collapse and the gap between exact and predicted sharing, so inputs that
 * waste more become new coverage and the search climbs.  Never aborts.
 *
 * Lifting (KHP_LIFT_TO=Q with the decoder at a smaller KHP_PMD_PAGES): the
 * search climbs at the small size, which runs faster; every new small
 * maximum, and one input in LIFT_TIES_EVERY that ties it, is lifted to Q
 * pages (khp_lift_program(), docs/proofs.md#lifting) and replayed there.
 * Only lifted findings are written, named by their value at Q, so the
 * campaign's best line stays in pages of Q.
 */
#include <string.h>

#include "fuzz.h"
#include "fuzz_common.h"
#include "khpsim/lift.h"
#include "khpsim/minimize.h"
#include "khpsim/parse.h"

#define LIFT_TIES_EVERY 256u

static long best_fn[FUZZ_MAX_PROFILES], best_fill[FUZZ_MAX_PROFILES];
static long best_lifted[FUZZ_MAX_PROFILES];

/* KHP_LIFT_TO, read once: 0 (no lifting) or a pmd_pages above the decoder's. */
static unsigned lift_to(const struct fuzz_ctx *c)
{
	static long q = -1;
	const char *s;
	char msg[256];
	uint64_t v = 0;

	if (q >= 0)
		return (unsigned)q;
	s = getenv("KHP_LIFT_TO");
	if (s && *s && (khp_parse_u64(s, 0, KHP_PMD_PAGES_MAX, &v, msg, sizeof(msg)) ||
			(v && ((v & (v - 1)) || v <= c->dopts.config.pmd_pages)))) {
		fprintf(stderr, "KHP_LIFT_TO: %s: a power of two above KHP_PMD_PAGES (%u) up to %u\n",
			s, c->dopts.config.pmd_pages, KHP_PMD_PAGES_MAX);
		exit(2);
	}
	q = (long)v;
	return (unsigned)q;
}

/* Replay c->prog lifted to q pages; write and print each new lifted maximum. */
static void lift(struct fuzz_ctx *c, unsigned q)
{
	struct khp_program big;
	char msg[256], path[4096];

	if (khp_lift_program(&c->prog, q, &big, msg, sizeof(msg)))
		return;         /* -E2BIG or -ENOMEM: this input is not lifted */
	for (size_t p = 0; p < c->nr_profs; p++) {
		struct khp_run run;
		long fn;

		memset(&run, 0, sizeof(run));
		khp_run_program(&big, c->profs[p], &(struct khp_run_opts){ .check = false }, &run);
		fn = khp_run_max_fn_waste(&run);
		khp_run_free(&run);
		if (fn <= best_lifted[p])
			continue;
		best_lifted[p] = fn;
		snprintf(msg, sizeof(msg), "maximiser: new maximum, found at %u pages per PMD range "
			 "and lifted to %u", c->prog.config.pmd_pages, q);
		if (khp_finding_write(c->findings_dir, "fn_waste", msg, &big, c->profs, c->nr_profs,
				      path, sizeof(path)))
			snprintf(path, sizeof(path), "(not written)");
		if (!c->quiet)
			fprintf(stderr, "maximiser: new max fn_waste %ld under %s (lifted from %u "
				"pages): %s\n", fn, khp_profile_name(&c->profs[p]),
				c->prog.config.pmd_pages, path);
	}
	khp_program_free(&big);
}

static void report(struct fuzz_ctx *c, const char *what, size_t p, long v)
{
	char path[4096] = "", prefix[64];

	/* fn_waste files are named by the writer (<profile>-fn<N>); fill ones here. */
	if (strcmp(what, "fill"))
		snprintf(prefix, sizeof(prefix), "%s", what);
	else
		snprintf(prefix, sizeof(prefix), "fill%ld-%s", v, khp_profile_name(&c->profs[p]));
	if (fuzz_write_finding(c, prefix, "maximiser: new maximum", path, sizeof(path)))
		snprintf(path, sizeof(path), "(not written)");
	if (!c->quiet)
		fprintf(stderr, "maximiser: new max %s %ld under %s: %s\n", what, v,
			khp_profile_name(&c->profs[p]), path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ctx *c = fuzz_ctx(false);
	unsigned q = lift_to(c);
	bool lifted = false;

	fuzz_execute(c, data, size);
	for (size_t p = 0; p < c->nr_profs; p++) {
		const struct khp_run *run = &c->runs[p];
		long fn = 0, fill = 0, dup = 0, gap = 0;

		for (size_t i = 0; i < run->nr_recs; i++) {
			const struct khp_record *r = &run->recs[i];
			long g = (long)r->shared_exact - (long)r->shared_profile;

			if (r->fn_waste_pages > fn)
				fn = r->fn_waste_pages;
			if (r->collapsed && r->fill_pages > fill)
				fill = r->fill_pages;
			if (r->collapsed && r->dup_pages > dup)
				dup = r->dup_pages;
			if (r->result != SCAN_EXCEED_SHARED_PTE && g > gap)
				gap = g;
		}
		fuzz_feedback(FUZZ_M_FN_WASTE, p, fn);
		fuzz_feedback(FUZZ_M_FILL, p, fill);
		fuzz_feedback(FUZZ_M_DUP, p, dup);
		fuzz_feedback(FUZZ_M_SHARED_GAP, p, gap);
		/* what follows depends on earlier execs' maxima: not coverage */
		fuzz_coverage_off();
		if (q && !lifted && fn > 0 && (fn > best_fn[p] ||
		    (fn == best_fn[p] && c->execs % LIFT_TIES_EVERY == 0))) {
			lift(c, q);
			lifted = true;
		}
		if (fn > best_fn[p]) {
			best_fn[p] = fn;
			if (!q)
				report(c, "fn_waste", p, fn);
		}
		if (fill > best_fill[p] && !q) {
			best_fill[p] = fill;
			report(c, "fill", p, fill);
		}
		fuzz_coverage_on();
	}
	fuzz_done(c);
	return 0;
}
