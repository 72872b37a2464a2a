/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Property: no profile's sharing predicate lets khugepaged collapse a
 * range that the exact per-page oracle says is shared beyond
 * max_ptes_shared, wasting memory.  For every decoded program run under
 * each profile, a khugepaged step with verdict false_negative and
 * fn_waste_pages >= KHP_FN_THRESHOLD (default 1) is a finding: it is
 * written as scenario JSON with its expectations into $KHP_FINDINGS_DIR
 * (default ".") and the target aborts, so the engine keeps the input too.
 */
#include "fuzz.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ctx *c = fuzz_ctx(false);
	char path[4096] = "";

	fuzz_execute(c, data, size);
	for (size_t p = 0; p < c->nr_profs; p++) {
		long fn = khp_run_max_fn_waste(&c->runs[p]);

		fuzz_feedback(FUZZ_M_FN_WASTE, p, fn);
		if (fn < c->threshold)
			continue;
		if (fuzz_write_finding(c, "fn", "differential fuzz finding", path, sizeof(path)))
			snprintf(path, sizeof(path), "(could not write the scenario)");
		fprintf(stderr, "differential: false_negative under %s with fn_waste_pages %ld: %s\n",
			khp_profile_name(&c->profs[p]), fn, path);
		abort();
	}
	fuzz_done(c);
	return 0;
}
