/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The bridge to real kernels, the way there (sim/src/oracle/emit.c,
 * docs/oracle.md); the way back is test_oracle.c:
 *
 *  - every scenario of scenarios/ and oracle/scenarios/ that emit-c accepts
 *    becomes C that builds with `gcc -static -Wall -Werror` (all of them in
 *    one program);
 *  - ops a real kernel cannot realise (age, split, fail_alloc, pmd_pages !=
 *    512) are refused with a message naming the op and the step;
 *  - a scenario's name in guest output is a token.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "khp_test.h"
#include <khpsim/emit.h>

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
			/* an op it cannot realise, or a PMD size a real kernel does not have */
			assert_true(strstr(msg, "step") || strstr(msg, "pmd_pages"));
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


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(emit_refuses_unrealisable),
		cmocka_unit_test(emit_name_is_a_token),
		cmocka_unit_test(emit_all_scenarios_compile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
