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
 */
#include <string.h>

#include "fuzz.h"
#include "fuzz_common.h"

static long best_fn[FUZZ_MAX_PROFILES], best_fill[FUZZ_MAX_PROFILES];

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
		if (fn > best_fn[p]) {
			best_fn[p] = fn;
			report(c, "fn_waste", p, fn);
		}
		if (fill > best_fill[p]) {
			best_fill[p] = fill;
			report(c, "fill", p, fill);
		}
	}
	fuzz_done(c);
	return 0;
}
