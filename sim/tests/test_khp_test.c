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

/* Specs and the 8-PTE maps they expand to. */
static const char *const good_specs[][2] = {
	{ "1. 2s 1E 4.",    ".ssE...." },
	{ "E 7.",           "E......." },
	{ "  3w   5*0 ",    "www00000" },
	{ "0 0 6H",         "00HHHHHH" },
	{ "2~ 2_ 2z 1e 1S", "  __zzeS" },
	{ "8*e",            "eeeeeeee" },
};

/* Specs refused for 8 PTEs, and a word of the reason. */
static const char *const bad_specs[][2] = {
	{ "7.",    "covers 7 of 8 PTEs" },
	{ "9.",    "covers more than 8 PTEs" },
	{ "10",    "N*0" },
	{ "4x 4.", "no map character" },
	{ "4E4.",  "no space after" },
	{ "0. 8.", "bad count" },
	{ "4* 4.", "no map character" },
};

static void test_map_spec_grammar(void **state)
{
	char out[KHP_MAP_MAX], err[128];

	for (size_t i = 0; i < T_ARRAY_SIZE(good_specs); i++) {
		err[0] = 0;
		if (t_map_expand(good_specs[i][0], 8, out, sizeof(out), err, sizeof(err)))
			fail_msg("spec \"%s\" refused: %s", good_specs[i][0], err);
		assert_string_equal(out, good_specs[i][1]);
	}
	for (size_t i = 0; i < T_ARRAY_SIZE(bad_specs); i++) {
		err[0] = 0;
		if (!t_map_expand(bad_specs[i][0], 8, out, sizeof(out), err, sizeof(err)))
			fail_msg("spec \"%s\" accepted as \"%s\"", bad_specs[i][0], out);
		if (!strstr(err, bad_specs[i][1]))
			fail_msg("spec \"%s\": reason \"%s\" lacks \"%s\"", bad_specs[i][0], err,
				 bad_specs[i][1]);
	}
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

/* A row checked on linux-6.12 only. */
#define AT612(x) K3(NA, x, NA)

/* Every probe of a table reads what khp_world_* and the record report (6.12). */
static void test_rows_probe_values(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_pte_info pi;
	struct khp_totals tot;
	size_t step;

	t_prog(&p, N);
	t_mmap(&p, 0, A, N, T_RW | T_HUGE);
	t_touch(&p, 0, A, N, true);
	t_fork(&p, 0, 1);
	t_dontneed(&p, 1, A + 3, 1);
	step = t_khugepaged(&p, 1, A);
	w = T_WORLD(&p, "linux-6.12");
	pi = T_PTE(w, 1, A + 1);
	khp_world_totals(w, &tot);
	const struct t_row rows[] = {
		{ MAP_BEFORE(step),           M3(NULL, "3s 1. 508s", NULL) },
		{ MAP(0, A),                  M3(NULL, "512H", NULL) },
		{ KIND(1, A + 1),             AT612(pi.kind) },
		{ ORDER(1, A + 1),            AT612(pi.order) },
		{ WRITE(1, A + 1),            AT612(pi.write) },
		{ DIRTY(1, A + 1),            AT612(pi.dirty) },
		{ YOUNG(1, A + 1),            AT612(pi.young) },
		{ SUBPAGE(1, A + 1),          AT612(pi.subpage) },
		{ SAME_FOLIO(1, A + 2, 1, A + 4), AT612(T_FOLIO_AT(w, 1, A + 2) ==
						    T_FOLIO_AT(w, 1, A + 4)) },
		{ FOLIO(1, A + 1, refcount),  AT612(T_FOLIO(w, pi.folio).refcount) },
		{ PAGE_MAPCOUNT(1, A + 2, 0), AT612(khp_world_page_mapcount(w, T_FOLIO_AT(w, 1, A + 2),
									  0)) },
		{ PAGES(),                    AT612(tot.pages_in_use) },
		{ PMD_THPS(0),                AT612(tot.pmd_thps[0]) },
		{ MM_ALIVE(1),                AT612(1) },
		{ WORLD_OK(),                 AT612(1) },
		{ RESULT(step),               AT612(SCAN_EXCEED_SHARED_PTE) },
		{ ERRNO(step),                AT612(0) },
		{ VERDICT(step),              AT612(KHP_VERDICT_AGREE) },
		{ REC(step, shared),          AT612(257) },
		{ MAX_FN_WASTE(),             AT612(0) },
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
