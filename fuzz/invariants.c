/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Property: the simulator is internally consistent.  Every decoded program
 * runs under every profile (the three kernels and their "+exact" variants)
 * with the invariant checker after each op (folio
 * counters vs. page tables, refcounts, MM-ID slots, swap slots; check.c),
 * and every khugepaged/collapse record obeys the definitions of
 * docs/model.md, Records (waste = alloc - freed, fn_waste = dup of a false-negative
 * collapse, the cost fields consistent with the pages collapsed, verdicts consistent with shared_exact and max_ptes_shared,
 * and the "+exact" predicate counting exactly what shared_exact counts,
 * without false negatives).
 * Any inconsistency is a simulator bug and aborts.
 */
#include "fuzz.h"
#include "fuzz_common.h"

/* A broken property: the program is written as a scenario, then the target aborts. */
static void broken(struct fuzz_ctx *c, struct khp_profile prof, const struct khp_record *r,
		   const char *what, int line)
{
	char path[512] = "(not written)";

	if (fuzz_write_finding(c, "invariant", what, path, sizeof(path)))
		snprintf(path, sizeof(path), "(not written)");
	fprintf(stderr, "invariants.c:%d: %s broken under %s at step %u: %s\n", line, what,
		khp_profile_name(&prof), r->step, path);
	abort();
}

#define CHECK(cond) do { if (!(cond)) broken(c, prof, r, #cond, __LINE__); } while (0)

static void check_record(struct fuzz_ctx *c, struct khp_profile prof,
			 const struct khp_record *r)
{
	unsigned max_shared = c->prog.config.max_ptes_shared;
	unsigned pmd = c->prog.config.pmd_pages;
	const struct khp_op *op = &c->prog.ops[r->step];
	/* MADV_COLLAPSE sums the shared counts of every PMD range it covers */
	uint64_t ranges = r->op == KHP_OP_COLLAPSE && op->pages ?
			  (op->addr + op->pages - 1) / pmd - op->addr / pmd + 1 : 1;

	CHECK(r->waste_pages == r->alloc_pages - r->freed_pages);
	CHECK(r->shared_exact <= pmd * ranges && r->shared_profile <= pmd * ranges);
	CHECK(r->none_or_zero <= pmd && r->unmapped <= pmd);
	CHECK(r->fn_waste_pages ==
		    (r->verdict == KHP_VERDICT_FALSE_NEGATIVE && r->collapsed ? r->dup_pages : 0));
	/* A failed collapse may have allocated (swap-in, the huge page it then
	 * freed), but it copied nothing and filled nothing. */
	CHECK(r->collapsed || (r->dup_pages == 0 && r->fill_pages == 0));
	CHECK(r->dup_pages >= 0 && r->fill_pages >= 0);
	/*
	 * The cost (docs/model.md, The cost of a collapse): only a collapse
	 * copies and clears PTEs; every page of a new folio is copied or
	 * filled, a cleared PTE held a copied page or the zero page, a dup is
	 * a copy, and every collapse flushed once (failed attempts may too).
	 */
	CHECK(r->collapsed || (r->copied_pages == 0 && r->ptes_cleared == 0));
	CHECK(r->copied_pages <= r->ptes_cleared &&
		    r->ptes_cleared <= r->copied_pages + r->fill_pages);
	CHECK(r->dup_pages <= r->copied_pages);
	CHECK(r->tlb_flushes >= (long)r->nr_collapsed);
	if (!prof.rules.mthp_collapse)
		CHECK(r->copied_pages + r->fill_pages == (long)r->nr_collapsed * pmd);
	if (r->op == KHP_OP_COLLAPSE || r->result == KHP_NOT_VISITED)
		CHECK(r->verdict == KHP_VERDICT_NONE);
	if (r->verdict == KHP_VERDICT_FALSE_NEGATIVE)
		CHECK(r->shared_exact > max_shared);
	if (r->verdict == KHP_VERDICT_FALSE_POSITIVE)
		CHECK(r->result == SCAN_EXCEED_SHARED_PTE && r->shared_exact <= max_shared);
	if (r->result == SCAN_SUCCEED && r->op == KHP_OP_KHUGEPAGED)
		CHECK(r->collapsed);
	/*
	 * The oracle agrees with itself: "+exact" counts what shared_exact
	 * counts and has neither false negatives nor false positives (a 7.3
	 * mTHP attempt failing at its own shared limit of 0 is not a verdict
	 * on the predicate: collapse.c verdict()).
	 */
	if (khp_profile_exact(&prof) && r->result != KHP_NOT_VISITED) {
		CHECK(r->shared_profile == r->shared_exact);
		CHECK(r->verdict != KHP_VERDICT_FALSE_NEGATIVE);
		CHECK(r->verdict != KHP_VERDICT_FALSE_POSITIVE);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ctx *c = fuzz_ctx(true);

	fuzz_execute(c, data, size);
	for (size_t p = 0; p < c->nr_profs; p++) {
		const struct khp_run *run = &c->runs[p];

		for (size_t i = 0; i < run->nr_recs; i++)
			check_record(c, c->profs[p], &run->recs[i]);
	}
	fuzz_done(c);
	return 0;
}
