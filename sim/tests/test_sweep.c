/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sweeps (khpsim/sweep.h): axes from their specs, the grid's row-major
 * order, the point's config and profile, the error codes of bad grids,
 * and a program swept over max_ptes_none (a range with n none PTEs
 * collapses exactly when max_ptes_none >= n).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "khp_test.h"
#include "khpsim/sweep.h"

static int add(struct khp_sweep *s, const char *spec)
{
	char msg[512];

	return khp_sweep_add_axis(s, spec, msg, sizeof(msg));
}

static void test_axes_and_grid(void **state)
{
	struct khp_sweep s;
	char v[64];

	(void)state;
	khp_sweep_init(&s);
	assert_int_equal(add(&s, "max_ptes_shared=0:511:32"), 0);
	assert_int_equal(s.axes[0].nr, 16);
	assert_int_equal(s.axes[0].values[15], 480);
	assert_int_equal(add(&s, "shared=page_mapcount,exact"), 0);
	assert_int_equal(s.axes[1].kind, KHP_SWEEP_RULE);
	assert_int_equal(s.axes[1].values[1], KHP_SHARED_EXACT);
	assert_int_equal(s.nr_points, 32);
	/* row-major: the last axis varies fastest */
	assert_int_equal(khp_sweep_coord(&s, 0, 0), 0);
	assert_int_equal(khp_sweep_coord(&s, 1, 0), 0);
	assert_int_equal(khp_sweep_coord(&s, 1, 1), 1);
	assert_int_equal(khp_sweep_coord(&s, 31, 0), 15);
	assert_int_equal(khp_sweep_coord(&s, 31, 1), 1);
	khp_sweep_value_format(&s.axes[1], 1, v, sizeof(v));
	assert_string_equal(v, "exact");
	assert_string_equal(khp_sweep_axis_label(&s.axes[0]), "khugepaged/max_ptes_shared");
	assert_int_equal(add(&s, "max_ptes_none=0"), -E2BIG);          /* a third axis */
	khp_sweep_free(&s);
}

static void test_bad_axes(void **state)
{
	static const struct { const char *spec; int rc; } bad[] = {
		{ "max_ptes_shared=", -EINVAL },         { "max_ptes_shared=5:1:1", -EINVAL },
		{ "max_ptes_shared=0:9:0", -EINVAL },    { "max_ptes_shared=0:600:100", -EINVAL },
		{ "max_ptes_shard=1", -EINVAL },         { "max_ptes_shared", -EINVAL },
		{ "max_ptes_shared=1,1", -EINVAL },      { "shared=0:4:1", -EINVAL },
		{ "max_ptes_shared=0:4000:1", -E2BIG },  { "pmd_pages=8:512:8", -EINVAL },
		{ "thp=sometimes", -EINVAL },            { "mthp_orders=2;2", -EINVAL },
	};
	struct khp_sweep s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		khp_sweep_init(&s);
		assert_int_equal(add(&s, bad[i].spec), bad[i].rc);
		assert_int_equal(s.nr_axes, 0);
	}
	khp_sweep_init(&s);
	assert_int_equal(add(&s, "max_ptes_shared=0:511:1"), 0);
	assert_int_equal(add(&s, "max_ptes_none=0:511:1"), -E2BIG);   /* 262144 points */
	assert_int_equal(s.nr_axes, 1);
	assert_int_equal(add(&s, "max_ptes_shared=1"), -EINVAL);      /* twice */
}

/* A THP-eligible range with `none` PTEs never faulted, then khugepaged. */
static void none_program(struct khp_program *p, unsigned none)
{
	t_prog(p, 512);
	t_mmap(p, 0, 512, 512, KHP_OPF_WRITE);       /* small pages first, then eligible */
	t_touch(p, 0, 512 + none, 512 - none, true);
	t_madvise(p, 0, 512, 512, KHP_ADV_HUGEPAGE);
	t_khugepaged(p, 0, 512);
}

static void test_point_and_run(void **state)
{
	struct khp_sweep_eval ev = { .name = "scenario", .eval = khp_sweep_eval_scenario };
	struct khp_program p, pt;
	struct khp_profile prof;
	struct khp_sweep s;
	char msg[512];

	(void)state;
	none_program(&p, 100);
	khp_sweep_init(&s);
	s.profiles[s.nr_profiles++] = khp_profile_kernel(KHP_LINUX_6_12);
	assert_int_equal(add(&s, "max_ptes_none=0,99,100,511"), 0);
	assert_int_equal(khp_sweep_point(&s, &p, 2, 0, &pt, &prof, msg, sizeof(msg)), 0);
	assert_int_equal(pt.config.max_ptes_none, 100);
	assert_ptr_equal(pt.ops, p.ops);
	assert_int_equal(khp_sweep_run(&s, &p, &ev, msg, sizeof(msg)), 0);
	for (unsigned i = 0; i < 4; i++) {
		const struct khp_sweep_result *r = &s.results[i];

		assert_int_equal(r->err, 0);
		assert_int_equal(r->collapsed, s.axes[0].values[i] >= 100);
		assert_string_equal(r->results, s.axes[0].values[i] >= 100 ? "3:SCAN_SUCCEED"
									: "3:SCAN_EXCEED_NONE_PTE");
	}
	khp_sweep_free(&s);

	/* a point that does not fit: every point is checked before a run */
	khp_sweep_init(&s);
	s.profiles[s.nr_profiles++] = khp_profile_kernel(KHP_LINUX_6_1);
	assert_int_equal(khp_knob_settings_assign(&s.fixed, "pmd_pages=256", KHP_KNOB_FROM_SET,
						  msg, sizeof(msg)), 0);
	assert_int_equal(add(&s, "max_ptes_none=0,300"), 0);
	assert_int_equal(khp_sweep_run(&s, &p, &ev, msg, sizeof(msg)), -ERANGE);
	assert_non_null(strstr(msg, "at max_ptes_none=300"));
	assert_null(s.results);
	khp_sweep_free(&s);

	/* a rule that needs another one */
	khp_sweep_init(&s);
	s.profiles[s.nr_profiles++] = khp_profile_kernel(KHP_LINUX_6_1);
	assert_int_equal(add(&s, "mthp_max_ptes_none=scaled"), 0);
	assert_int_equal(khp_sweep_check(&s, &p, msg, sizeof(msg)), -EINVAL);
	khp_sweep_free(&s);
	khp_program_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_axes_and_grid),
		cmocka_unit_test(test_bad_axes),
		cmocka_unit_test(test_point_and_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
