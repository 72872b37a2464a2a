/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Findings and the minimiser (minimize.c): the 2024 extreme case
 * (commit 1bafe96e89f0 and its thread,
 * 20240424122630.495788-1-david@redhat.com: folio_likely_mapped_shared()
 * [6.12] is false when page 0 is unmapped and total mappings <= 512) buried in noise ops is
 * shrunk back to its core without losing fn_waste_pages, the result
 * replays with its refreshed expectations, findings are written as
 * replayable scenarios, and a program without a finding is refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "khp_test.h"
#include "khpsim/minimize.h"

/*
 * The extreme case with noise: parent and child keep pages 1..256 of a
 * fork-shared THP, the parent writes page 257 (one writable private page,
 * 255 pte_none), khugepaged in the parent.  Noise: a second unrelated VMA,
 * touches elsewhere, a deferred-split pass before the fork, aging the child.
 */
static void build_noisy_extreme(struct khp_program *p, unsigned pmd)
{
	const uint64_t thp = 4 * pmd, noise = 8 * pmd;
	unsigned h = pmd / 2;

	t_prog(p, pmd);
	t_cfg(p)->max_ptes_shared = 0;
	t_mmap(p, 0, noise, pmd, T_RW);                    /* noise */
	t_mmap(p, 0, thp, pmd, T_RW | T_HUGE);
	t_touch(p, 0, noise, 3, false);                    /* noise */
	t_touch(p, 0, thp, pmd, true);
	t_split(p);                                        /* noise */
	t_fork(p, 0, 1);
	t_age_mm(p, 1);                                    /* noise */
	t_dontneed(p, 0, thp, 1);
	t_dontneed(p, 0, thp + h + 1, h - 1);
	t_dontneed(p, 1, thp, 1);
	t_dontneed(p, 1, thp + h + 1, h - 1);
	t_touch(p, 1, noise, 2, false);                    /* noise */
	t_touch(p, 0, thp + h + 1, 1, true);
	t_touch(p, 1, noise + 5, 1, false);                /* noise */
	t_khugepaged(p, 0, thp);
	t_khugepaged(p, 1, noise);                         /* noise */
}

static void test_minimize_extreme(void **state)
{
	struct khp_scenario sc;
	struct khp_min_stats st;
	struct khp_run runs[KHP_SCENARIO_MAX_PROFILES];
	int n;

	(void)state;
	khp_scenario_init(&sc);
	khp_program_free(&sc.program);
	build_noisy_extreme(&sc.program, 512);
	assert_int_equal(khp_minimize(&sc, NULL, &st), 0);
	assert_int_equal(st.ops_before, 16);
	assert_true(st.ops_after <= 9);
	assert_true(st.fn_waste >= 256);
	assert_int_equal(st.profile.kernel, KHP_LINUX_6_12);
	/* The refreshed expectations hold. */
	n = khp_scenario_run_all(&sc, &(struct khp_run_opts){ .check = true }, runs);
	assert_int_equal(n, 3);
	assert_int_equal(khp_scenario_check(&sc, runs, (size_t)n, stderr), 0);
	assert_true(sc.nr_expects > 0);
	for (int i = 0; i < n; i++)
		khp_run_free(&runs[i]);
	khp_scenario_free(&sc);
}

static void test_minimize_refuses_non_finding(void **state)
{
	struct khp_scenario sc;
	struct khp_min_stats st;

	(void)state;
	khp_scenario_init(&sc);
	t_mmap(&sc.program, 0, 0, 512, T_RW | T_HUGE);
	t_touch(&sc.program, 0, 0, 512, true);
	t_khugepaged(&sc.program, 0, 0);
	assert_int_equal(khp_minimize(&sc, NULL, &st), -ENOENT);
	khp_scenario_free(&sc);
}

static void test_finding_write_replays(void **state)
{
	struct khp_profile profs[3];
	struct khp_program p;
	struct khp_scenario sc;
	struct khp_run runs[KHP_SCENARIO_MAX_PROFILES];
	char dir[] = "/tmp/khp_test_findings_XXXXXX", path[4096], err[512];
	int n;

	(void)state;
	for (int k = 0; k < 3; k++)
		profs[k] = khp_profile_kernel((enum khp_kernel)k);
	assert_non_null(mkdtemp(dir));
	build_noisy_extreme(&p, 64);
	assert_int_equal(khp_finding_write(dir, "test", "unit test", &p, profs, 3,
					   path, sizeof(path)), 0);
	assert_non_null(strstr(path, "test-linux-6.12-fn32-"));
	khp_scenario_init(&sc);
	if (khp_scenario_load_file(path, &sc, err, sizeof(err)))
		fail_msg("%s", err);
	/* Cut after the finding's step (the last noise khugepaged is gone). */
	assert_int_equal(sc.program.nr_ops, 15);
	n = khp_scenario_run_all(&sc, &(struct khp_run_opts){ 0 }, runs);
	assert_int_equal(n, 3);
	assert_int_equal(khp_scenario_check(&sc, runs, (size_t)n, stderr), 0);
	for (int i = 0; i < n; i++)
		khp_run_free(&runs[i]);
	khp_scenario_free(&sc);
	khp_program_free(&p);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimize_extreme),
		cmocka_unit_test(test_minimize_refuses_non_finding),
		cmocka_unit_test(test_finding_write_replays),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
