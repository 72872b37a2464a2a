/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The khugepaged scan's packed sums (khugepaged/scan_sums.c) against the
 * kernel's PTE loop alone (scan_pmd_reference()), and the invariant
 * checker on the folio state they read (the derived flags, the multi
 * bitmap and its count).
 *
 * Property: for every world reached by decoded random programs (pmd_pages
 * 8..512, each kernel's profile and +exact, the decoder's own configs too),
 * after every op, every PTE table of every live mm scans to the same
 * scan_state both ways, for khugepaged and MADV_COLLAPSE: the sums may stand
 * in for the loop only where they give what the loop gives.
 */
#include "khp_test.h"

#include <string.h>

#include "khpsim/decode.h"
#include "khpsim/rng.h"
#include "khugepaged/khugepaged.h"

#define RUNS_PER_CONFIG 100u

static const char *const profiles[] = {
	"linux-6.1", "linux-6.12", "linux-7.3",
	"linux-6.1+exact", "linux-6.12+exact", "linux-7.3+exact",
};

static unsigned scans_compared;
/*
 * The model never sets a uffd-wp bit on a PTE (there is no UFFDIO_WRITEPROTECT
 * op): with poke_uffd, one PTE of each table gets the bit for the comparison.
 */
static bool poke_uffd;

/* Both scans of PMD range idx of mm, in context khugepaged, agree. */
static void compare_one(struct khp_world *w, struct mm *mm, unsigned m, struct vma *v,
			uint64_t idx, bool khugepaged, const char *prof, unsigned long run,
			size_t step)
{
	struct scan_state a, b;
	size_t n = offsetof(struct scan_state, present);

	scan_pmd(w, mm, v, idx, khugepaged, &a);
	scan_pmd_reference(w, mm, v, idx, khugepaged, &b);
	scans_compared++;
	if (!memcmp(&a, &b, n) && (!a.bitmap || !memcmp(a.present, b.present, sizeof(a.present))))
		return;
	print_error("%s run %lu step %zu mm %u PMD %llu %s: result %s/%s none %u/%u unmapped %u/%u "
		    "referenced %u/%u shared %u/%u writable %d/%d exact %u/%u profile %u/%u "
		    "done %d/%d bitmap %d/%d\n", prof, run, step, m, (unsigned long long)idx,
		    khugepaged ? "khugepaged" : "collapse", khp_result_name(a.result),
		    khp_result_name(b.result), a.none_or_zero, b.none_or_zero, a.unmapped,
		    b.unmapped, a.referenced, b.referenced, a.shared, b.shared, a.writable,
		    b.writable, a.shared_exact, b.shared_exact, a.shared_profile, b.shared_profile,
		    a.loop_done, b.loop_done, a.bitmap, b.bitmap);
	fail();
}

/* Every PTE table of every live mm whose first page lies in a VMA. */
static void compare_world(struct khp_world *w, const char *prof, unsigned long run, size_t step)
{
	for (unsigned m = 0; m < w->nr_mms; m++) {
		struct mm *mm = &w->mms[m];

		for (uint32_t i = 0; mm->alive && i < mm->nr_pmds; i++) {
			uint64_t idx = mm->pmds[i].index;
			struct vma *v = vma_find(mm, idx << w->pmd_order);

			struct pte *poked = NULL;

			if (!v || mm->pmds[i].kind != PMD_TABLE)
				continue;
			if (poke_uffd) {
				poked = &mm->pmds[i].ptes[(step * 37 + run) % pmd_nr(w)];
				poked->flags ^= PTE_UFFD;
			}
			compare_one(w, mm, m, v, idx, true, prof, run, step);
			compare_one(w, mm, m, v, idx, false, prof, run, step);
			if (poked)
				poked->flags ^= PTE_UFFD;
		}
	}
}

/* Decode run `run` of the stream and play it into a world per profile, comparing after each op. */
static void play(const struct khp_decode_opts *o, unsigned long run)
{
	uint8_t buf[512];
	struct khp_pcg32 rng;
	struct khp_program prog;
	size_t len;

	khp_pcg32_srandom_r(&rng, 0x5ca9, run);
	len = 1 + khp_pcg32_boundedrand_r(&rng, sizeof(buf) - 1);
	khp_pcg32_fill(&rng, buf, len);
	assert_int_equal(khp_decode(buf, len, o, &prog), 0);
	for (size_t p = 0; p < sizeof(profiles) / sizeof(profiles[0]); p++) {
		struct khp_profile prof;
		struct khp_world *w;

		assert_int_equal(khp_profile_parse(profiles[p], &prof), 0);
		assert_int_equal(khp_world_new(&prog.config, prof, &w), 0);
		for (size_t s = 0; s < prog.nr_ops; s++) {
			if (khp_world_apply(w, &prog.ops[s], NULL))
				continue;
			compare_world(w, profiles[p], run, s);
		}
		khp_world_free(w);
	}
	khp_program_free(&prog);
}

static void sums_match_loop(unsigned pmd_pages, bool explore_config)
{
	struct khp_decode_opts o;

	const unsigned shared[3] = { 0, pmd_pages / 2, pmd_pages - 1 };

	khp_decode_opts_default(&o);
	khp_config_default(&o.config, pmd_pages);
	o.config_from_input = explore_config;
	for (unsigned long run = 0; run < RUNS_PER_CONFIG; run++) {
		o.config.max_ptes_shared = shared[run % 3];
		o.config.max_ptes_swap = shared[(run / 3) % 3];
		o.config.max_ptes_none = shared[(run / 9) % 3];
		o.config.swap = run % 2;
		o.config.use_zero_page = run % 5 != 0;
		o.max_pmds = 1 + run % 4;
		play(&o, run + pmd_pages * 1000 + explore_config * 500);
	}
}

static void test_sums_match_loop_8(void **state)
{
	(void)state;
	sums_match_loop(8, false);
}

static void test_sums_match_loop_64(void **state)
{
	(void)state;
	sums_match_loop(64, false);
}

static void test_sums_match_loop_512(void **state)
{
	(void)state;
	scans_compared = 0;
	sums_match_loop(512, false);
	/* the property was tested on many tables, not vacuously */
	print_message("%u scans compared\n", scans_compared);
	assert_true(scans_compared > 10000);
}

static void test_sums_match_loop_explore_config(void **state)
{
	(void)state;
	sums_match_loop(512, true);
}

static void test_sums_match_loop_uffd(void **state)
{
	(void)state;
	poke_uffd = true;
	sums_match_loop(16, false);
	sums_match_loop(512, false);
	poke_uffd = false;
}

/* A world with a forked PTE-mapped THP (multi bits set) and small forked pages. */
static struct khp_world *shared_world(uint32_t *large, uint32_t *small)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_pte_info pte;

	t_prog(&p, 512);
	t_mmap(&p, 0, 0, 1024, T_RW | T_HUGE);
	t_touch(&p, 0, 0, 1, true);          /* a THP at fault */
	t_dontneed(&p, 0, 511, 1);           /* PTE-mapped now */
	t_mmap(&p, 0, 2048, 8, T_RW);
	t_touch(&p, 0, 2048, 8, true);       /* small pages */
	t_fork(&p, 0, 1);
	w = T_WORLD(&p, t_kernel_profiles[KHP_LINUX_6_12]);
	khp_program_free(&p);
	assert_int_equal(khp_world_pte(w, 0, 0, &pte), 0);
	assert_int_equal(pte.kind, KHP_PTE_PRESENT);
	*large = pte.folio;
	assert_int_equal(khp_world_pte(w, 0, 2048, &pte), 0);
	*small = pte.folio;
	return w;
}

static void expect_broken(struct khp_world *w, const char *what)
{
	char msg[200] = "";

	assert_int_equal(khp_world_check(w, msg, sizeof(msg)), -EUCLEAN);
	if (!strstr(msg, what)) {
		print_error("checker said \"%s\", expected \"%s\"\n", msg, what);
		fail();
	}
}

static void test_checker_derived_flags(void **state)
{
	char msg[200] = "";
	uint32_t large, small;
	struct khp_world *w = shared_world(&large, &small);

	(void)state;
	assert_int_equal(khp_world_check(w, msg, sizeof(msg)), 0);
	assert_true(w->folios[small].flags & FOLIO_MULTI_MAPPED);
	w->folios[small].flags &= ~FOLIO_MULTI_MAPPED;
	expect_broken(w, "derived flags");
	w->folios[small].flags |= FOLIO_MULTI_MAPPED | FOLIO_EXTRA_REFS;
	expect_broken(w, "derived flags");
	w->folios[small].flags &= ~FOLIO_EXTRA_REFS;
	w->folios[large].flags &= ~FOLIO_LARGE;
	expect_broken(w, "derived flags");
	w->folios[large].flags |= FOLIO_LARGE;
	assert_int_equal(khp_world_check(w, msg, sizeof(msg)), 0);
	khp_world_free(w);
}

static void test_checker_multi_bitmap(void **state)
{
	char msg[200] = "";
	uint32_t large, small;
	struct khp_world *w = shared_world(&large, &small);
	struct folio *f = &w->folios[large];

	(void)state;
	/* both mms map pages 0..510: each is mapped twice */
	assert_int_equal(f->nr_multi, 511);
	assert_int_equal(folio_pages_multi(f, 0, 511), 511);
	folio_multi(f)[3] ^= 1ull << 5;       /* subpage 197 */
	expect_broken(w, "multi bit of subpage 197");
	folio_multi(f)[3] ^= 1ull << 5;
	f->nr_multi--;
	expect_broken(w, "nr_multi 510");
	f->nr_multi++;
	assert_int_equal(khp_world_check(w, msg, sizeof(msg)), 0);
	khp_world_free(w);
}

/* The recount: a PTE outside every VMA, a subpage count off by one. */
static void test_checker_recount(void **state)
{
	char msg[200] = "";
	uint32_t large, small;
	struct khp_world *w = shared_world(&large, &small);
	struct mm *mm = &w->mms[1];
	struct pmd *pmd = NULL;

	(void)state;
	for (uint32_t i = 0; i < mm->nr_pmds; i++)
		if (mm->pmds[i].index == 2048 / 512)
			pmd = &mm->pmds[i];
	assert_non_null(pmd);
	/* the child's VMA [2048, 2056): PTE 8 of the table lies in no VMA */
	assert_int_equal(pmd->ptes[8].kind, PTE_NONE);
	pmd->ptes[8] = pmd->ptes[7];
	expect_broken(w, "PTE at 0x808 outside any VMA");
	pmd->ptes[8].kind = PTE_NONE;
	assert_int_equal(khp_world_check(w, msg, sizeof(msg)), 0);
	folio_pmc(&w->folios[large])[3]++;
	expect_broken(w, "subpage 3 mapcount 3, page tables say 2");
	folio_pmc(&w->folios[large])[3]--;
	assert_int_equal(khp_world_check(w, msg, sizeof(msg)), 0);
	khp_world_free(w);
}

/* The multi bitmap queries, on a folio with some pages mapped twice. */
static void test_folio_pages_multi(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_pte_info pte;
	struct folio *f;

	(void)state;
	t_prog(&p, 512);
	t_mmap(&p, 0, 0, 512, T_RW | T_HUGE);
	t_touch(&p, 0, 0, 1, true);
	t_dontneed(&p, 0, 511, 1);
	t_fork(&p, 0, 1);
	t_dontneed(&p, 1, 0, 100);           /* the child keeps 100..510 */
	t_dontneed(&p, 1, 300, 10);          /* ... but not 300..309 */
	w = T_WORLD(&p, t_kernel_profiles[KHP_LINUX_6_12]);
	khp_program_free(&p);
	assert_int_equal(khp_world_pte(w, 0, 0, &pte), 0);
	f = &w->folios[pte.folio];
	assert_int_equal(f->nr_multi, 401);
	assert_int_equal(folio_pages_multi(f, 0, 100), 0);
	assert_int_equal(folio_pages_multi(f, 0, 511), 401);
	assert_int_equal(folio_pages_multi(f, 90, 20), 10);
	assert_int_equal(folio_pages_multi(f, 295, 20), 10);
	assert_int_equal(folio_multi_select(f, 0, 1), 100);
	assert_int_equal(folio_multi_select(f, 0, 200), 299);
	assert_int_equal(folio_multi_select(f, 0, 201), 310);
	assert_int_equal(folio_multi_select(f, 127, 2), 1);
	khp_world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker_derived_flags),
		cmocka_unit_test(test_checker_multi_bitmap),
		cmocka_unit_test(test_checker_recount),
		cmocka_unit_test(test_folio_pages_multi),
		cmocka_unit_test(test_sums_match_loop_8),
		cmocka_unit_test(test_sums_match_loop_64),
		cmocka_unit_test(test_sums_match_loop_512),
		cmocka_unit_test(test_sums_match_loop_explore_config),
		cmocka_unit_test(test_sums_match_loop_uffd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
