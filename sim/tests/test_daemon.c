/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The khugepaged daemon op ({"op": "khugepaged", "passes": N}) and the mTHP
 * rules of custom profiles: pass-by-pass totals of the creep study
 * (docs/policies.md), the mm_slot order, the stop after a pass without a
 * collapse, and the rule values scaled / scaled_capped that a profile can
 * select.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include "khpsim/khpsim.h"
#include "khpsim/scenario.h"

#define BASE 262144u

static struct khp_op op(enum khp_op_type type, unsigned mm, uint64_t addr, uint64_t pages,
			unsigned flags)
{
	struct khp_op o = { .type = (uint8_t)type, .mm = mm, .addr = addr, .pages = pages,
			    .flags = (uint8_t)flags };
	return o;
}

/* One PMD range; four pages written while MADV_NOHUGEPAGE, then MADV_HUGEPAGE, then passes. */
static void creep_program(struct khp_program *p, unsigned max_ptes_none, unsigned passes)
{
	struct khp_config c;
	struct khp_op o;

	khp_config_default(&c, 512);
	c.max_ptes_none = max_ptes_none;
	c.mthp_orders = 0x1fc;        /* orders 2..8 */
	khp_program_init(p, &c);
	o = op(KHP_OP_MMAP, 0, BASE, 512, KHP_OPF_WRITE | KHP_OPF_NOHUGEPAGE);
	assert_int_equal(khp_program_push(p, &o), 0);
	o = op(KHP_OP_TOUCH, 0, BASE, 4, KHP_OPF_WRITE);
	assert_int_equal(khp_program_push(p, &o), 0);
	o = op(KHP_OP_MADVISE, 0, BASE, 512, 0);
	o.advice = KHP_ADV_HUGEPAGE;
	assert_int_equal(khp_program_push(p, &o), 0);
	o = op(KHP_OP_KHUGEPAGED, 0, 0, 0, 0);
	o.count = passes;
	assert_int_equal(khp_program_push(p, &o), 0);
}

static void run_profile(const struct khp_program *p, const char *profile, struct khp_run *run)
{
	struct khp_profile prof;
	struct khp_run_opts opts = { .check = true };
	char msg[512];

	assert_int_equal(khp_profile_parse_msg(profile, &prof, msg, sizeof(msg)), 0);
	assert_int_equal(khp_run_program(p, prof, &opts, run), 0);
}

/* pages_in_use after each pass and the order of the one mapped large folio */
static void assert_passes(const struct khp_run *run, const long *pages, const unsigned *order,
			  size_t n)
{
	assert_int_equal(run->nr_passes, n);
	for (size_t i = 0; i < n; i++) {
		const struct khp_pass *ps = &run->passes[i];

		assert_int_equal(ps->pass, i + 1);
		assert_int_equal(ps->step, 3);
		assert_int_equal(ps->totals.pages_in_use, pages[i]);
		assert_int_equal(ps->totals.folios_by_order[order[i]], 1);
		/* every pass but the last collapsed something */
		assert_int_equal(ps->changed, i + 1 < n);
	}
}

/* max_ptes_none 400 > HPAGE_PMD_NR/2: scaled creeps to a PMD THP, the others stop at order 2. */
static void test_creep_above_half(void **state)
{
	static const long scaled_pages[] = { 16, 64, 256, 512, 512 };
	static const unsigned scaled_order[] = { 4, 6, 8, 9, 9 };
	static const long stop_pages[] = { 4, 4 };
	static const unsigned stop_order[] = { 2, 2 };
	struct khp_program p;
	struct khp_run run;

	(void)state;
	creep_program(&p, 400, 10);
	run_profile(&p, "linux-7.3+mthp_max_ptes_none=scaled", &run);
	assert_passes(&run, scaled_pages, scaled_order, 5);
	/* one visit per pass, the range of mm 0, numbered by pass */
	assert_int_equal(run.nr_recs, 5);
	for (size_t i = 0; i < run.nr_recs; i++) {
		assert_int_equal(run.recs[i].step, 3);
		assert_int_equal(run.recs[i].pass, i + 1);
		assert_int_equal(run.recs[i].mm, 0);
		assert_int_equal(run.recs[i].addr, BASE);
	}
	assert_int_equal(run.recs[4].result, SCAN_PMD_MAPPED);
	khp_run_free(&run);
	run_profile(&p, "linux-7.3", &run);
	assert_passes(&run, stop_pages, stop_order, 2);
	khp_run_free(&run);
	run_profile(&p, "linux-7.3+mthp_max_ptes_none=scaled_capped", &run);
	assert_passes(&run, stop_pages, stop_order, 2);
	khp_run_free(&run);
	khp_program_free(&p);
}

/* max_ptes_none 200 < HPAGE_PMD_NR/2: scaled needs nearly full blocks and does not creep. */
static void test_no_creep_below_half(void **state)
{
	static const long pages[] = { 4, 4 };
	static const unsigned order[] = { 2, 2 };
	static const char *const profiles[] = {
		"linux-7.3", "linux-7.3+mthp_max_ptes_none=scaled",
		"linux-7.3+mthp_max_ptes_none=scaled_capped",
	};
	struct khp_program p;
	struct khp_run run;

	(void)state;
	creep_program(&p, 200, 10);
	for (size_t i = 0; i < 3; i++) {
		run_profile(&p, profiles[i], &run);
		assert_passes(&run, pages, order, 2);
		khp_run_free(&run);
	}
	khp_program_free(&p);
}

/* passes bound the walk: one pass of the creep is one step up */
static void test_pass_limit(void **state)
{
	static const long pages[] = { 16, 64 };
	static const unsigned order[] = { 4, 6 };
	struct khp_program p;
	struct khp_run run;

	(void)state;
	creep_program(&p, 400, 2);
	run_profile(&p, "linux-7.3+mthp_max_ptes_none=scaled", &run);
	assert_int_equal(run.nr_passes, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(run.passes[i].totals.pages_in_use, pages[i]);
		assert_int_equal(run.passes[i].totals.folios_by_order[order[i]], 1);
		assert_true(run.passes[i].changed);
	}
	khp_run_free(&run);
	khp_program_free(&p);
}

/*
 * The mm_slot list is in registration order: mm 1 registers (MADV_HUGEPAGE)
 * before mm 0, so a pass visits mm 1's range first; a fork registers the
 * child after its parent (khugepaged_fork()).
 */
static void test_registration_order(void **state)
{
	struct khp_config c;
	struct khp_program p;
	struct khp_run run;
	struct khp_op o;

	(void)state;
	khp_config_default(&c, 512);
	khp_program_init(&p, &c);
	o = op(KHP_OP_FORK, 0, 0, 0, 0);
	o.child = 1;
	assert_int_equal(khp_program_push(&p, &o), 0);
	for (unsigned mm = 2; mm-- > 0;) {
		o = op(KHP_OP_MMAP, mm, BASE, 512, KHP_OPF_WRITE | KHP_OPF_HUGEPAGE);
		assert_int_equal(khp_program_push(&p, &o), 0);
		o = op(KHP_OP_TOUCH, mm, BASE, 1, 0);        /* a read: the huge zero page */
		assert_int_equal(khp_program_push(&p, &o), 0);
	}
	/* a write to each, small pages: the zero-page PMD is split */
	for (unsigned mm = 0; mm < 2; mm++) {
		o = op(KHP_OP_DONTNEED, mm, BASE, 512, 0);
		assert_int_equal(khp_program_push(&p, &o), 0);
		o = op(KHP_OP_MADVISE, mm, BASE, 512, 0);
		o.advice = KHP_ADV_NOHUGEPAGE;
		assert_int_equal(khp_program_push(&p, &o), 0);
		o = op(KHP_OP_TOUCH, mm, BASE, 512, KHP_OPF_WRITE);
		assert_int_equal(khp_program_push(&p, &o), 0);
		o = op(KHP_OP_MADVISE, mm, BASE, 512, 0);
		o.advice = KHP_ADV_HUGEPAGE;
		assert_int_equal(khp_program_push(&p, &o), 0);
	}
	o = op(KHP_OP_KHUGEPAGED, 0, 0, 0, 0);
	o.count = 3;
	assert_int_equal(khp_program_push(&p, &o), 0);
	run_profile(&p, "linux-6.12", &run);
	/* pass 1 collapses both ranges, mm 1 first; pass 2 finds both PMD-mapped and stops */
	assert_int_equal(run.nr_passes, 2);
	assert_int_equal(run.nr_recs, 4);
	assert_int_equal(run.recs[0].mm, 1);
	assert_true(run.recs[0].collapsed);
	assert_int_equal(run.recs[1].mm, 0);
	assert_true(run.recs[1].collapsed);
	assert_int_equal(run.recs[2].mm, 1);
	assert_int_equal(run.recs[2].result, SCAN_PMD_MAPPED);
	assert_int_equal(run.passes[0].totals.pmd_thps[0], 1);
	assert_int_equal(run.passes[0].totals.pmd_thps[1], 1);
	assert_false(run.passes[1].changed);
	khp_run_free(&run);
	khp_program_free(&p);
}

/* A daemon op takes no mm or addr, and at most KHP_MAX_PASSES passes. */
static void test_daemon_op_check(void **state)
{
	struct khp_config c;
	struct khp_op o = op(KHP_OP_KHUGEPAGED, 1, 0, 0, 0);
	char msg[160];

	(void)state;
	khp_config_default(&c, 512);
	o.count = 2;
	assert_true(khp_op_check(&o, &c, msg, sizeof(msg)) < 0);
	o.mm = 0;
	assert_int_equal(khp_op_check(&o, &c, msg, sizeof(msg)), 0);
	o.count = KHP_MAX_PASSES + 1;
	assert_true(khp_op_check(&o, &c, msg, sizeof(msg)) < 0);
}

/* Every mTHP rule value is refused on a profile without mTHP collapse. */
static void test_mthp_rules_need_mthp_collapse(void **state)
{
	static const char *const bad[] = {
		"linux-6.1+mthp_max_ptes_none=scaled", "linux-6.12+mthp_max_ptes_none=scaled_capped",
		"linux-6.12+mthp_limits=scaled", "linux-7.3+mthp_collapse=0+mthp_limits=scaled",
	};
	struct khp_profile p;
	char msg[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(khp_profile_parse_msg(bad[i], &p, msg, sizeof(msg)) < 0);
		assert_non_null(strstr(msg, "mthp_collapse"));
	}
	assert_int_equal(khp_profile_parse_msg("linux-6.12+mthp_collapse=1+mthp_limits=scaled", &p,
					       msg, sizeof(msg)), 0);
	assert_int_equal(p.rules.mthp_limits, KHP_MTHP_LIMITS_SCALED);
}

/* Custom profiles: every error names what is wrong and lists the choices. */
static void test_profile_parse_errors(void **state)
{
	static const struct { const char *s, *says; } bad[] = {
		{ "linux-6.12+foo=1", "unknown rule 'foo'" },
		{ "linux-6.12+shared=bar", "values: page_mapcount, likely_mapped_shared" },
		{ "linux-6.12+shared", "not +exact or +RULE=VALUE" },
		{ "linux-6.12x", "unknown profile" },
		{ "linux-5.15+exact", "unknown profile" },
		{ "linux-6.12+madv_shared=exact", "rule madv_shared: unknown value 'exact'" },
		{ "linux-6.12+writable_gate=2", "values: 0, 1" },
	};
	struct khp_profile p;
	char msg[768];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg[0] = 0;
		assert_true(khp_profile_parse_msg(bad[i].s, &p, msg, sizeof(msg)) < 0);
		if (!strstr(msg, bad[i].says))
			fail_msg("%s: \"%s\" does not say \"%s\"", bad[i].s, msg, bad[i].says);
	}
	/* the name is what the user wrote; the rules are the base row with the changes */
	assert_int_equal(khp_profile_parse_msg("linux-6.12+exact+young_referenced=0", &p, msg,
					       sizeof(msg)), 0);
	assert_string_equal(khp_profile_name(&p), "linux-6.12+exact+young_referenced=0");
	assert_int_equal(p.rules.shared, KHP_SHARED_EXACT);
	assert_int_equal(p.rules.young_referenced, 0);
	assert_int_equal(p.rules.writable_gate, khp_kernel_rules(KHP_LINUX_6_12)->writable_gate);
	assert_false(khp_profile_is_kernel(&p));
	assert_int_equal(khp_profile_parse_msg("linux-7.3", &p, msg, sizeof(msg)), 0);
	assert_true(khp_profile_is_kernel(&p));
}

/* A scenario's named profile: read, used by expectations, written back as an object. */
static void test_named_profile_json(void **state)
{
	static const char ok[] =
		"{\"khpsim\": 1, \"profiles\": [\"linux-6.12\", {\"name\": \"612-mapcount\", "
		"\"base\": \"linux-6.12\", \"rules\": {\"shared\": \"page_mapcount\"}}], "
		"\"program\": [{\"op\": \"mmap\", \"mm\": 0, \"addr\": 0, \"pages\": 512}, "
		"{\"op\": \"khugepaged\", \"mm\": 0, \"addr\": 0}], "
		"\"expect\": [{\"step\": 1, \"profile\": \"612-mapcount\", \"result\": \"not_visited\"}]}";
	static const struct { const char *json, *says; } bad[] = {
		{ "{\"khpsim\": 1, \"profiles\": [{\"name\": \"x\", \"base\": \"linux-6.12\", "
		  "\"rules\": {\"shared\": \"nope\"}}], \"program\": []}", "profiles[0].rules.shared" },
		{ "{\"khpsim\": 1, \"profiles\": [{\"name\": \"linux-7.3\", \"base\": \"linux-6.12\", "
		  "\"rules\": {}}], \"program\": []}", "names another profile" },
		{ "{\"khpsim\": 1, \"profiles\": [{\"name\": \"x\", \"base\": \"linux-6.1\", "
		  "\"rules\": {\"mthp_limits\": \"scaled\"}}], \"program\": []}", "mthp_collapse" },
		{ "{\"khpsim\": 1, \"profiles\": [{\"name\": \"x\", \"rules\": {}}], "
		  "\"program\": []}", "missing required key \"base\"" },
	};
	struct khp_scenario sc;
	char err[512];
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	(void)state;
	khp_scenario_init(&sc);
	assert_int_equal(khp_scenario_load_buf(ok, sizeof(ok) - 1, "t.json", &sc, err, sizeof(err)), 0);
	assert_int_equal(sc.nr_profiles, 2);
	assert_string_equal(sc.profiles[1].name, "612-mapcount");
	assert_int_equal(sc.profiles[1].rules.shared, KHP_SHARED_PAGE_MAPCOUNT);
	assert_string_equal(sc.expects[0].profile.name, "612-mapcount");
	f = open_memstream(&out, &outlen);
	assert_non_null(f);
	assert_int_equal(khp_scenario_write(f, &sc), 0);
	fclose(f);
	if (!strstr(out, "{\"name\": \"612-mapcount\", \"base\": \"linux-6.12\", \"rules\": "
			 "{\"shared\": \"page_mapcount\"}}"))
		fail_msg("written back as: %s", out);
	free(out);
	khp_scenario_free(&sc);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		khp_scenario_init(&sc);
		err[0] = 0;
		assert_true(khp_scenario_load_buf(bad[i].json, strlen(bad[i].json), "t.json", &sc, err,
						  sizeof(err)) < 0);
		if (!strstr(err, bad[i].says))
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err, bad[i].says);
		khp_scenario_free(&sc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_creep_above_half),
		cmocka_unit_test(test_no_creep_below_half),
		cmocka_unit_test(test_pass_limit),
		cmocka_unit_test(test_registration_order),
		cmocka_unit_test(test_daemon_op_check),
		cmocka_unit_test(test_mthp_rules_need_mthp_collapse),
		cmocka_unit_test(test_profile_parse_errors),
		cmocka_unit_test(test_named_profile_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
