/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The test helpers themselves: map specs expand to the maps they name,
 * bad specs are refused with a reason, a map and its spec round-trip, a
 * mismatch is detected, and the per-kernel probes read what the public
 * inspection functions report.  (That a failed row or map ends the test
 * with both values printed was checked by hand once per helper; a cmocka
 * test cannot expect its own failure.)
 */
#include "khp_test.h"

#include <string.h>

#define N 512u
#define A (8 * N)

static void expect_expand(const char *spec, unsigned nr, const char *want)
{
	char out[KHP_MAP_MAX], err[128] = "";

	if (t_map_expand(spec, nr, out, sizeof(out), err, sizeof(err)))
		fail_msg("spec \"%s\" refused: %s", spec, err);
	assert_string_equal(out, want);
}

static void expect_refused(const char *spec, unsigned nr, const char *reason)
{
	char out[KHP_MAP_MAX], err[128] = "";

	if (!t_map_expand(spec, nr, out, sizeof(out), err, sizeof(err)))
		fail_msg("spec \"%s\" accepted as \"%s\"", spec, out);
	if (!strstr(err, reason))
		fail_msg("spec \"%s\": reason \"%s\" lacks \"%s\"", spec, err, reason);
}

static void test_map_spec_grammar(void **state)
{
	expect_expand("1. 2s 1E 4.", 8, ".ssE....");
	expect_expand("E 7.", 8, "E.......");
	expect_expand("  3w   5*0 ", 8, "www00000");
	expect_expand("0 0 6H", 8, "00HHHHHH");
	expect_expand("2~ 2_ 2z 1e 1S", 8, "  __zzeS");
	expect_expand("8*e", 8, "eeeeeeee");
	expect_refused("7.", 8, "covers 7 of 8 PTEs");
	expect_refused("9.", 8, "covers more than 8 PTEs");
	expect_refused("10", 8, "N*0");
	expect_refused("4x 4.", 8, "no map character");
	expect_refused("4E4.", 8, "no space after");
	expect_refused("0. 8.", 8, "bad count");
	expect_refused("4* 4.", 8, "no map character");
}

static void test_map_spec_round_trip(void **state)
{
	static const char *const maps[] = { ".ssE....", "00000000", "  __zzeS", "HHHHHHHH" };
	char spec[T_SPEC_MAX], back[KHP_MAP_MAX], err[128];

	for (size_t i = 0; i < T_ARRAY_SIZE(maps); i++) {
		t_map_spec(maps[i], spec, sizeof(spec));
		assert_int_equal(t_map_expand(spec, 8, back, sizeof(back), err, sizeof(err)), 0);
		assert_string_equal(back, maps[i]);
	}
	t_map_spec(".ssE....", spec, sizeof(spec));
	assert_string_equal(spec, "1. 2s 1E 4.");
	t_map_spec("00000  _", spec, sizeof(spec));
	assert_string_equal(spec, "5*0 2~ 1_");
	assert_string_equal(T_MAP_RUNS(spec, 0, 'E', 3, '0', 5, '.'), "3*0 5.");
	assert_string_equal(T_MAP_RUNS(spec, 8, 'E', 0, '.'), "8E");
}

static void test_map_matches(void **state)
{
	assert_true(t_map_matches(NULL, "here", "..EE", 4, "2. 2E", __FILE__, __LINE__));
	/* a mismatch and a bad spec are reported (on stderr) and refused */
	assert_false(t_map_matches("demo", "here", "..EE", 4, "1. 3E", __FILE__, __LINE__));
	assert_false(t_map_matches("demo", "here", "..EE", 4, "2. 1E", __FILE__, __LINE__));
}

/* Every probe of a table reads what khp_world_* and the record report. */
static void test_rows_probe_values(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_pte_info pi;
	struct khp_totals tot;
	size_t step;

	t_prog(&p, N);
	t_mmap(&p, 0, A, N, T_RW);
	t_touch(&p, 0, A, 300, true);
	t_fork(&p, 0, 1);
	t_touch(&p, 1, A + 1, 1, true);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, A);
	w = T_WORLD(&p, "linux-6.12");
	pi = T_PTE(w, 1, A + 1);
	khp_world_totals(w, &tot);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           MALL("1s 1e 298s 212.") },
		{ MAP(1, A),                  MALL("1s 1E 298s 212.") },
		{ KIND(1, A + 1),             ALL(pi.kind) },
		{ ORDER(1, A + 1),            ALL(pi.order) },
		{ WRITE(1, A + 1),            ALL(pi.write) },
		{ DIRTY(1, A + 1),            ALL(pi.dirty) },
		{ YOUNG(1, A + 1),            ALL(pi.young) },
		{ SUBPAGE(1, A + 1),          ALL(pi.subpage) },
		{ SAME_FOLIO(1, A + 2, 1, A + 3), ALL(T_FOLIO_AT(w, 1, A + 2) ==
						    T_FOLIO_AT(w, 1, A + 3)) },
		{ FOLIO(1, A + 1, refcount),  ALL(T_FOLIO(w, pi.folio).refcount) },
		{ PAGE_MAPCOUNT(1, A + 2, 0), ALL(khp_world_page_mapcount(w, T_FOLIO_AT(w, 1, A + 2),
									  0)) },
		{ PAGES(),                    ALL(tot.pages_in_use) },
		{ PMD_THPS(1),                ALL(tot.pmd_thps[1]) },
		{ MM_ALIVE(1),                ALL(1) },
		{ WORLD_OK(),                 ALL(1) },
		{ RESULT(step),               ALL(SCAN_EXCEED_SHARED_PTE) },
		{ ERRNO(step),                ALL(0) },
		{ VERDICT(step),              ALL(KHP_VERDICT_AGREE) },
		{ REC(step, shared),          ALL(257) },
		{ MAX_FN_WASTE(),             ALL(0) },
	};
	khp_world_free(w);
	T_KERNELS(&p, rows);
	khp_program_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_spec_grammar),
		cmocka_unit_test(test_map_spec_round_trip),
		cmocka_unit_test(test_map_matches),
		cmocka_unit_test(test_rows_probe_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
