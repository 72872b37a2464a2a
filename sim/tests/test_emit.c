/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The bridge to real kernels (sim/src/oracle/emit.c, docs/oracle.md):
 *
 *  - every scenario of scenarios/ and oracle/scenarios/ that emit-c accepts
 *    becomes C that builds with `gcc -static -Wall -Werror` (all of them in
 *    one program);
 *  - ops a real kernel cannot realise (age, split, fail_alloc, pmd_pages !=
 *    512) are refused with a message naming the op and the step;
 *  - KHPSIM-STEP lines parse (and malformed ones are refused);
 *  - the comparison, on guest output recorded from real Debian 6.1, 6.12 and
 *    7.3 kernels (sim/tests/data/oracle/), finds the real decisions the
 *    model must reproduce, reports a changed field with both values, and
 *    honours the known-difference list.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "khp_test.h"
#include <khpsim/emit.h>

#define DATA KHP_SOURCE_DIR "/sim/tests/data/oracle"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted *.json paths of dir (caller frees). */
static size_t list_json(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char *p;

		if (len < 6 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		v = realloc(v, (n + 1) * sizeof(*v));
		assert_non_null(v);
		p = malloc(strlen(dir) + len + 2);
		assert_non_null(p);
		sprintf(p, "%s/%s", dir, de->d_name);
		v[n++] = p;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	return n;
}

static void load(const char *path, struct khp_scenario *sc)
{
	char err[512];

	khp_scenario_init(sc);
	if (khp_scenario_load_file(path, sc, err, sizeof(err)))
		fail_msg("%s", err);
}

/* Every accepted scenario of scenarios/ in one program, built static. */
static void emit_all_scenarios_compile(void **state)
{
	char **files, dir[] = "/tmp/khp-emit-XXXXXX", src[64], bin[64], cmd[256], err[512];
	struct khp_scenario *scs;
	const struct khp_scenario **ptrs;
	const char **names;
	size_t n, i, m = 0;
	FILE *f;

	(void)state;
	if (system("gcc --version >/dev/null 2>&1")) {
		skip();
		return;
	}
	n = list_json(KHP_SOURCE_DIR "/scenarios", &files);
	{
		char **more;
		size_t nm = list_json(KHP_SOURCE_DIR "/oracle/scenarios", &more);

		files = realloc(files, (n + nm + 1) * sizeof(*files));
		assert_non_null(files);
		memcpy(files + n, more, nm * sizeof(*more));
		n += nm;
		free(more);
	}
	scs = calloc(n + 1, sizeof(*scs));
	ptrs = calloc(n + 1, sizeof(*ptrs));
	names = calloc(n + 1, sizeof(*names));
	assert_true(scs && ptrs && names);
	for (i = 0; i < n; i++) {
		char msg[256];

		khp_scenario_init(&scs[i]);
		if (khp_scenario_load_file(files[i], &scs[i], err, sizeof(err)))
			continue;  /* not a scenario (e.g. schema.json); test_scenario covers loading */
		if (khp_emit_check(&scs[i], msg, sizeof(msg))) {
			assert_non_null(strstr(msg, "step"));
			continue;
		}
		ptrs[m] = &scs[i];
		names[m++] = files[i];
	}
	assert_true(m > 0);
	assert_non_null(mkdtemp(dir));
	snprintf(src, sizeof(src), "%s/all.c", dir);
	snprintf(bin, sizeof(bin), "%s/all", dir);
	f = fopen(src, "w");
	assert_non_null(f);
	assert_int_equal(khp_emit_c(f, ptrs, names, m, err, sizeof(err)), 0);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "gcc -static -O1 -Wall -Werror -o %s %s", bin, src);
	if (system(cmd))
		fail_msg("emitted program does not build: %s (kept in %s)", cmd, dir);
	unlink(bin);
	unlink(src);
	rmdir(dir);
	for (i = 0; i < n; i++) {
		khp_scenario_free(&scs[i]);
		free(files[i]);
	}
	free(files);
	free(scs);
	free(ptrs);
	free(names);
}

static void expect_refused(const char *json, const char *n1, const char *n2)
{
	struct khp_scenario sc;
	char err[512], msg[256] = "";

	khp_scenario_init(&sc);
	if (khp_scenario_load_buf(json, strlen(json), "t.json", &sc, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(khp_emit_check(&sc, msg, sizeof(msg)), -ENOTSUP);
	if (!strstr(msg, n1) || (n2 && !strstr(msg, n2)))
		fail_msg("refusal \"%s\" lacks \"%s\" / \"%s\"", msg, n1, n2 ? n2 : "");
	khp_scenario_free(&sc);
}

#define MMAP_OP "{\"op\": \"mmap\", \"mm\": 0, \"addr\": 0, \"pages\": 512}"

static void emit_refuses_unrealisable(void **state)
{
	(void)state;
	expect_refused("{\"khpsim\": 1, \"program\": [" MMAP_OP ", {\"op\": \"age\", \"mm\": 0}]}",
		       "step 1", "'age'");
	expect_refused("{\"khpsim\": 1, \"program\": [" MMAP_OP ", {\"op\": \"split\"}]}", "step 1",
		       "'split'");
	expect_refused("{\"khpsim\": 1, \"program\": [{\"op\": \"fail_alloc\", \"count\": 1}]}",
		       "step 0", "'fail_alloc'");
	expect_refused("{\"khpsim\": 1, \"config\": {\"pmd_pages\": 8}, \"program\": []}",
		       "pmd_pages", "512");
}

static void emit_name_is_a_token(void **state)
{
	struct khp_scenario sc;
	char buf[KHP_EMIT_NAME_MAX];

	(void)state;
	khp_scenario_init(&sc);
	khp_emit_name(&sc, "dir/my scenario.json", buf, sizeof(buf));
	assert_string_equal(buf, "my_scenario");
	assert_int_equal(khp_scenario_set_str(&sc.name, "a=b c/d"), 0);
	khp_emit_name(&sc, "x.json", buf, sizeof(buf));
	assert_string_equal(buf, "a_b_c_d");
	khp_scenario_free(&sc);
}

static void guest_lines_parse(void **state)
{
	struct khp_guest_step st;

	(void)state;
	assert_int_equal(khp_guest_parse_line("[  3.1] random console noise", &st), 0);
	assert_int_equal(khp_guest_parse_line(
		"KHPSIM-STEP scenario=s step=10 kind=khugepaged status=succeeded none_or_zero=255 "
		"unmapped=0 referenced=257 writable=1 scans=3 any_succeeded=1 last=page_pmd_mapped "
		"statuses=succeeded,page_pmd_mapped pmd_mapped=1 hidden=0", &st), 1);
	assert_string_equal(st.scenario, "s");
	assert_int_equal(st.step, 10);
	assert_int_equal(st.kind, KHP_GUEST_KHUGEPAGED);
	assert_string_equal(st.status, "succeeded");
	assert_int_equal(st.none_or_zero, 255);
	assert_int_equal(st.referenced, 257);
	assert_int_equal(st.writable, 1);
	assert_int_equal(st.pmd_mapped, 1);
	assert_false(st.conflict);
	/* 7.3 has no writable field */
	assert_int_equal(khp_guest_parse_line(
		"KHPSIM-STEP scenario=s step=2 kind=collapse ret=-1 errno=EINVAL status=pmd_none "
		"none_or_zero=0 unmapped=0 referenced=0 scans=1 statuses=pmd_none pmd_mapped=0", &st), 1);
	assert_int_equal(st.kind, KHP_GUEST_COLLAPSE);
	assert_string_equal(st.err_name, "EINVAL");
	assert_int_equal(st.writable, -1);
	assert_int_equal(khp_guest_parse_line(
		"KHPSIM-STEP scenario=s step=4 kind=mremap error=EINVAL", &st), 1);
	assert_int_equal(st.kind, KHP_GUEST_OPERR);
	assert_string_equal(st.op, "mremap");
	/* malformed */
	assert_int_equal(khp_guest_parse_line("KHPSIM-STEP scenario=s kind=khugepaged", &st), -EINVAL);
	assert_int_equal(khp_guest_parse_line("KHPSIM-STEP scenario=s step=x1 kind=collapse "
					      "status=a errno=0", &st), -EINVAL);
	assert_int_equal(khp_guest_parse_line("KHPSIM-STEP scenario=s step=1 kind=bogus status=a",
					      &st), -EINVAL);
	assert_int_equal(khp_guest_parse_line("KHPSIM-STEP scenario=s step=1 kind=collapse "
					      "status=a", &st), -EINVAL);
}

/* A hand-made model step, to test the comparison alone. */
static struct khp_model_step model_scan(enum scan_result r, unsigned none, unsigned refd,
					bool writable, bool pmd)
{
	struct khp_model_step m;

	memset(&m, 0, sizeof(m));
	m.has_record = true;
	m.rec.op = KHP_OP_KHUGEPAGED;
	m.rec.result = r;
	m.rec.none_or_zero = none;
	m.rec.referenced = refd;
	m.rec.writable = writable;
	m.pmd_mapped = pmd;
	return m;
}

static void compare_fields(void **state)
{
	struct khp_model_step m = model_scan(SCAN_SUCCEED, 255, 257, true, true);
	struct khp_diff d[KHP_MAX_DIFFS];
	struct khp_guest_step g;
	const char *why;
	size_t nd;

	(void)state;
	assert_int_equal(khp_guest_parse_line(
		"KHPSIM-STEP scenario=s step=10 kind=khugepaged status=succeeded none_or_zero=255 "
		"unmapped=0 referenced=257 writable=1 scans=3 pmd_mapped=1 hidden=0", &g), 1);
	assert_int_equal(khp_oracle_compare(&g, &m, KHP_LINUX_6_12, d, &nd, &why), KHP_ORACLE_AGREE);
	assert_int_equal(nd, 0);

	m = model_scan(SCAN_EXCEED_SHARED_PTE, 1, 0, false, false);
	assert_int_equal(khp_oracle_compare(&g, &m, KHP_LINUX_6_12, d, &nd, &why), KHP_ORACLE_DIFFER);
	assert_true(nd >= 2);
	assert_string_equal(d[0].field, "status");
	assert_string_equal(d[0].real, "succeeded");
	assert_string_equal(d[0].model, "exceed_shared_pte");
	assert_string_equal(d[nd - 1].field, "pmd_mapped");

	/* 7.3: writable is not compared */
	m = model_scan(SCAN_SUCCEED, 255, 257, false, true);
	assert_int_equal(khp_oracle_compare(&g, &m, KHP_LINUX_7_3, d, &nd, &why), KHP_ORACLE_AGREE);
	assert_int_equal(khp_oracle_compare(&g, &m, KHP_LINUX_6_1, d, &nd, &why), KHP_ORACLE_DIFFER);
	assert_string_equal(d[0].field, "writable");

	/* an op both refuse agrees; an op only the guest refuses differs */
	assert_int_equal(khp_guest_parse_line("KHPSIM-STEP scenario=s step=3 kind=mremap error=EFAULT",
					      &g), 1);
	memset(&m, 0, sizeof(m));
	assert_int_equal(khp_oracle_compare(&g, &m, KHP_LINUX_6_1, d, &nd, &why), KHP_ORACLE_DIFFER);
	m.error = true;
	m.err = -EFAULT;
	assert_int_equal(khp_oracle_compare(&g, &m, KHP_LINUX_6_1, d, &nd, &why), KHP_ORACLE_AGREE);

	/* a step that could not be isolated is skipped, not compared */
	assert_int_equal(khp_guest_parse_line(
		"KHPSIM-STEP scenario=s step=1 kind=khugepaged status=succeeded pmd_mapped=1 "
		"conflict=eligible_neighbour", &g), 1);
	m = model_scan(SCAN_EXCEED_NONE_PTE, 512, 0, false, false);
	assert_int_equal(khp_oracle_compare(&g, &m, KHP_LINUX_6_1, d, &nd, &why), KHP_ORACLE_SKIPPED);
	assert_non_null(why);
}

/*
 * Recorded real output (scripts/oracle, TCG, Debian 6.1.0-56, 6.12.107,
 * 7.3.4) against the model for layouts of test_oracle_layouts.c whose real
 * decisions are documented facts (docs/fidelity.md).
 */
struct recorded {
	const char *scenario;   /* file under DATA */
	unsigned step;
	enum khp_kernel kernel;
	const char *status;     /* the real status recorded */
	int pmd_mapped;
};

static const struct recorded recorded[] = {
	{ "oracle-d2-both-pte-p0-unmapped-shared0", 10, KHP_LINUX_6_1, "exceed_shared_pte", 0 },
	{ "oracle-d2-both-pte-p0-unmapped-shared0", 10, KHP_LINUX_6_12, "succeeded", 1 },
	{ "oracle-d2-both-pte-p0-unmapped-shared0", 10, KHP_LINUX_7_3, "exceed_shared_pte", 0 },
	{ "oracle-c-fork-childwrites-parent-ro-shared0", 5, KHP_LINUX_6_1, "no_writable_page", 0 },
	{ "oracle-c-fork-childwrites-parent-ro-shared0", 5, KHP_LINUX_6_12, "no_writable_page", 0 },
	{ "oracle-c-fork-childwrites-parent-ro-shared0", 5, KHP_LINUX_7_3, "succeeded", 1 },
	{ "selftest-collapse_max_ptes_swap-khugepaged", 4, KHP_LINUX_6_12, "exceed_swap_pte", 0 },
	{ "selftest-collapse_max_ptes_swap-khugepaged", 8, KHP_LINUX_6_12, "succeeded", 1 },
	{ "selftest-collapse_empty-madvise", 2, KHP_LINUX_7_3, "-", 0 },
};

static const char *log_name(enum khp_kernel k)
{
	return k == KHP_LINUX_6_1 ? DATA "/guest-6.1.log" :
	       k == KHP_LINUX_6_12 ? DATA "/guest-6.12.log" : DATA "/guest-7.3.log";
}

static void compare_recorded(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(recorded) / sizeof(recorded[0]); i++) {
		const struct recorded *r = &recorded[i];
		const struct khp_guest_step *g = NULL;
		struct khp_guest_log log;
		struct khp_model_step *model;
		struct khp_scenario sc;
		struct khp_diff d[KHP_MAX_DIFFS];
		enum khp_kernel k;
		char path[512], err[256];
		const char *why;
		size_t nd, j;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s.json", DATA, r->scenario);
		load(path, &sc);
		f = fopen(log_name(r->kernel), "r");
		assert_non_null(f);
		assert_int_equal(khp_guest_log_read(f, &log, err, sizeof(err)), 0);
		fclose(f);
		assert_true(log.done);
		assert_int_equal(khp_guest_kernel(log.release, &k), 0);
		assert_int_equal(k, r->kernel);
		for (j = 0; j < log.nr; j++)
			if (log.steps[j].step == r->step && !strcmp(log.steps[j].scenario, r->scenario))
				g = &log.steps[j];
		if (!g)
			fail_msg("%s step %u: not in %s", r->scenario, r->step, log_name(r->kernel));
		assert_string_equal(g->status, r->status);
		assert_int_equal(g->pmd_mapped, r->pmd_mapped);

		model = calloc(sc.program.nr_ops, sizeof(*model));
		assert_non_null(model);
		assert_int_equal(khp_model_steps(&sc, r->kernel, model), 0);
		if (khp_oracle_compare(g, &model[r->step], r->kernel, d, &nd, &why) != KHP_ORACLE_AGREE)
			fail_msg("%s step %u %s: %s real=%s model=%s", r->scenario, r->step,
				 khp_kernel_name(r->kernel), d[0].field, d[0].real, d[0].model);
		free(model);
		khp_guest_log_free(&log);
		khp_scenario_free(&sc);
	}
}

static const char known_ok[] =
	"{\"entries\": [{\"scenario\": \"a\", \"kernel\": \"6.12\", \"field\": \"referenced\", "
	"\"reason\": \"because of x y z\", \"source\": \"mm/khugepaged.c\"}]}";
static const char known_bad[] = "{\"entries\": [{\"scenario\": \"a\", \"typo\": 1}]}";

static void known_list(void **state)
{
	struct khp_known_list kl;
	char path[] = "/tmp/khp-known-XXXXXX", err[256];
	int fd;

	(void)state;
	assert_int_equal(khp_known_load(KHP_SOURCE_DIR "/oracle/known-differences.json", &kl, err,
					sizeof(err)), 0);
	for (size_t i = 0; i < kl.nr; i++) {
		assert_true(strlen(kl.v[i].reason) > 10);
		assert_true(strlen(kl.v[i].source) > 5);
	}
	khp_known_free(&kl);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_true(write(fd, known_ok, strlen(known_ok)) == (ssize_t)strlen(known_ok));
	close(fd);
	assert_int_equal(khp_known_load(path, &kl, err, sizeof(err)), 0);
	assert_int_equal(kl.nr, 1);
	assert_non_null(khp_known_find(&kl, "a", 7, KHP_LINUX_6_12, "referenced"));
	assert_null(khp_known_find(&kl, "a", 7, KHP_LINUX_6_1, "referenced"));
	assert_null(khp_known_find(&kl, "a", 7, KHP_LINUX_6_12, "status"));
	assert_null(khp_known_find(&kl, "b", 7, KHP_LINUX_6_12, "referenced"));
	khp_known_free(&kl);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_true(write(fd, known_bad, strlen(known_bad)) == (ssize_t)strlen(known_bad));
	close(fd);
	assert_int_equal(khp_known_load(path, &kl, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "entries[0].typo"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(emit_refuses_unrealisable),
		cmocka_unit_test(emit_name_is_a_token),
		cmocka_unit_test(guest_lines_parse),
		cmocka_unit_test(compare_fields),
		cmocka_unit_test(compare_recorded),
		cmocka_unit_test(known_list),
		cmocka_unit_test(emit_all_scenarios_compile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
