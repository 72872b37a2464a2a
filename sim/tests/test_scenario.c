/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Scenario format 1 (sim/src/scenario/scenario.c): round trips and bad input.
 *
 *  - write -> read -> write gives identical bytes, for every file of
 *    scenarios/ and for a scenario using every op, flag and expectation
 *    field;
 *  - each kind of bad input (truncated, empty, 100 MB, deep nesting, NaN and
 *    huge numbers, duplicate keys, 10^6 ops, unknown keys, wrong types,
 *    unknown names, out-of-range values) is refused with an error naming
 *    the file, the JSON path and the reason, without crashing and with
 *    bounded memory;
 *  - expectations filled from runs hold, and a changed one is reported as
 *    "step S profile P: FIELD expected X, got Y".
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "khp_test.h"
#include <khpsim/scenario.h>

#define ERRLEN 512

static char *write_to_string(const struct khp_scenario *sc, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	assert_int_equal(khp_scenario_write(f, sc), 0);
	fclose(f);
	return buf;
}

static int load_str(const char *json, struct khp_scenario *sc, char *err)
{
	return khp_scenario_load_buf(json, strlen(json), "t.json", sc, err, ERRLEN);
}

/* rc must be negative and err must contain every needle. */
static void expect_error(const char *json, int rc_want, const char *n1, const char *n2)
{
	struct khp_scenario sc;
	char err[ERRLEN];
	int rc;

	khp_scenario_init(&sc);
	rc = load_str(json, &sc, err);
	if (rc >= 0 || (rc_want && rc != rc_want) || (n1 && !strstr(err, n1)) ||
	    (n2 && !strstr(err, n2)))
		fail_msg("input %.120s: rc %d (want %d), error \"%s\" (want \"%s\" and \"%s\")",
			 json, rc, rc_want, err, n1 ? n1 : "", n2 ? n2 : "");
	assert_int_equal(sc.program.nr_ops, 0);
	assert_int_equal(sc.nr_expects, 0);
	khp_scenario_free(&sc);
}

static void assert_round_trip(const struct khp_scenario *sc)
{
	struct khp_scenario again;
	char *a, *b, err[ERRLEN];
	size_t la, lb;

	a = write_to_string(sc, &la);
	khp_scenario_init(&again);
	if (khp_scenario_load_buf(a, la, "written", &again, err, sizeof(err)))
		fail_msg("re-reading written scenario failed: %s\n%s", err, a);
	b = write_to_string(&again, &lb);
	if (la != lb || memcmp(a, b, la))
		fail_msg("write -> read -> write differs:\n%s\n----\n%s", a, b);
	assert_int_equal(again.program.nr_ops, sc->program.nr_ops);
	assert_memory_equal(again.program.ops, sc->program.ops,
			    sc->program.nr_ops * sizeof(struct khp_op));
	assert_int_equal(again.nr_expects, sc->nr_expects);
	khp_scenario_free(&again);
	free(a);
	free(b);
}

/* ---- round trips ------------------------------------------------------- */

static void test_round_trip_suite(void **state)
{
	const char *dir = KHP_SOURCE_DIR "/scenarios";
	struct dirent *de;
	DIR *d = opendir(dir);
	unsigned n = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		struct khp_scenario sc;
		char path[1024], err[ERRLEN];

		if (l < 6 || strcmp(de->d_name + l - 5, ".json") || !strcmp(de->d_name, "schema.json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		khp_scenario_init(&sc);
		if (khp_scenario_load_file(path, &sc, err, sizeof(err)))
			fail_msg("%s", err);
		assert_true(sc.nr_expects > 0);
		assert_non_null(sc.name);
		assert_non_null(sc.source);
		assert_round_trip(&sc);
		khp_scenario_free(&sc);
		n++;
	}
	closedir(d);
	assert_true(n >= 40);
}

static void test_round_trip_every_field(void **state)
{
	static const char json[] =
		"{\"khpsim\": 1, \"name\": \"all \\\"fields\\\"\\n\", \"description\": \"tab\\there \\u00e9\",\n"
		" \"source\": \"x\\\\y\",\n"
		" \"config\": {\"pmd_pages\": 16, \"max_ptes_none\": 3, \"max_ptes_swap\": 1,\n"
		"   \"max_ptes_shared\": 15, \"thp\": \"always\", \"use_zero_page\": false, \"swap\": false,\n"
		"   \"shrink_underused\": false, \"mthp_orders\": [3, 2]},\n"
		" \"profiles\": [\"linux-7.3+exact\", \"linux-6.1\"],\n"
		" \"program\": [\n"
		"  {\"op\": \"mmap\", \"mm\": 0, \"addr\": 16, \"pages\": 64, \"hugepage\": true, \"nohugepage\": false, \"uffd\": true, \"write\": false},\n"
		"  {\"op\": \"mmap\", \"mm\": 0, \"addr\": 128, \"pages\": 32, \"nohugepage\": true},\n"
		"  {\"op\": \"touch\", \"mm\": 0, \"addr\": 16, \"pages\": 1, \"write\": true},\n"
		"  {\"op\": \"touch\", \"mm\": 0, \"addr\": 17, \"pages\": 5, \"write\": false},\n"
		"  {\"op\": \"fork\", \"mm\": 0, \"child\": 15},\n"
		"  {\"op\": \"exit\", \"mm\": 15},\n"
		"  {\"op\": \"dontneed\", \"mm\": 0, \"addr\": 16, \"pages\": 2},\n"
		"  {\"op\": \"munmap\", \"mm\": 0, \"addr\": 18, \"pages\": 2},\n"
		"  {\"op\": \"mremap\", \"mm\": 0, \"addr\": 20, \"pages\": 4, \"to\": 256, \"new_pages\": 8},\n"
		"  {\"op\": \"mremap\", \"mm\": 0, \"addr\": 24, \"pages\": 4},\n"
		"  {\"op\": \"mprotect\", \"mm\": 0, \"addr\": 16, \"pages\": 2, \"write\": false},\n"
		"  {\"op\": \"madvise\", \"mm\": 0, \"addr\": 16, \"pages\": 2, \"advice\": \"free\"},\n"
		"  {\"op\": \"pin\", \"mm\": 0, \"addr\": 30},\n"
		"  {\"op\": \"unpin\", \"mm\": 0, \"addr\": 30},\n"
		"  {\"op\": \"age\", \"mm\": 0},\n"
		"  {\"op\": \"age\", \"mm\": 0, \"addr\": 16, \"pages\": 3},\n"
		"  {\"op\": \"khugepaged\", \"mm\": 0, \"addr\": 16},\n"
		"  {\"op\": \"collapse\", \"mm\": 0, \"addr\": 16, \"pages\": 16},\n"
		"  {\"op\": \"split\"},\n"
		"  {\"op\": \"fail_alloc\", \"count\": 1000}\n"
		" ],\n"
		" \"expect\": [\n"
		"  {\"fn_waste_pages\": 7, \"step\": 16, \"profile\": \"linux-6.1\", \"result\": \"SCAN_PAGE_RO\", \"errno\": 0,\n"
		"   \"collapsed\": false, \"none_or_zero\": 1, \"unmapped\": 2, \"referenced\": 3, \"writable\": true,\n"
		"   \"shared\": 4, \"shared_exact\": 5, \"shared_profile\": 6, \"verdict\": \"false_positive\",\n"
		"   \"alloc_pages\": -1, \"freed_pages\": -2, \"fill_pages\": 3, \"dup_pages\": 4, \"waste_pages\": -5,\n"
		"   \"copied_pages\": 8, \"ptes_cleared\": 9, \"tlb_flushes\": 10},\n"
		"  {\"step\": 17, \"profile\": \"linux-7.3+exact\", \"result\": \"not_visited\", \"errno\": \"EAGAIN\"}\n"
		" ]}\n";
	struct khp_scenario sc;
	char err[ERRLEN];
	const struct khp_expect *e;

	(void)state;
	khp_scenario_init(&sc);
	if (load_str(json, &sc, err))
		fail_msg("%s", err);
	assert_int_equal(sc.program.nr_ops, 20);
	assert_int_equal(sc.program.config.pmd_pages, 16);
	assert_int_equal(sc.program.config.mthp_orders, (1u << 2) | (1u << 3));
	assert_int_equal(sc.program.ops[0].flags, KHP_OPF_HUGEPAGE | KHP_OPF_UFFD);
	assert_int_equal(sc.program.ops[1].flags, KHP_OPF_NOHUGEPAGE | KHP_OPF_WRITE);
	assert_int_equal(sc.program.ops[8].flags, KHP_OPF_TO | KHP_OPF_NEW_PAGES);
	assert_int_equal(sc.program.ops[14].flags, 0);
	assert_int_equal(sc.program.ops[15].flags, KHP_OPF_RANGE);
	assert_int_equal(sc.program.ops[19].count, 1000);
	assert_int_equal(sc.nr_profiles, 2);
	assert_true(khp_profile_exact(&sc.profiles[0]));
	e = &sc.expects[0];
	assert_int_equal(e->fields, KHP_EF_ALL);
	assert_int_equal(e->result, SCAN_PAGE_RO);
	assert_int_equal(e->verdict, KHP_VERDICT_FALSE_POSITIVE);
	assert_int_equal(e->alloc_pages, -1);
	assert_int_equal(e->copied_pages, 8);
	assert_int_equal(e->ptes_cleared, 9);
	assert_int_equal(e->tlb_flushes, 10);
	assert_int_equal(sc.expects[1].err, EAGAIN);
	assert_int_equal(sc.expects[1].result, KHP_NOT_VISITED);
	assert_string_equal(sc.name, "all \"fields\"\n");
	assert_round_trip(&sc);
	khp_scenario_free(&sc);
}

static void test_defaults(void **state)
{
	struct khp_scenario sc;
	struct khp_config d;
	char err[ERRLEN], *out;
	size_t len;

	(void)state;
	khp_scenario_init(&sc);
	assert_int_equal(load_str("{\"khpsim\": 1, \"program\": []}", &sc, err), 0);
	khp_config_default(&d, 512);
	assert_int_equal(sc.program.config.thp, KHP_THP_MADVISE);
	assert_int_equal(sc.program.config.max_ptes_none, 511);
	assert_int_equal(sc.program.config.max_ptes_swap, 64);
	assert_int_equal(sc.program.config.max_ptes_shared, 256);
	assert_int_equal(sc.nr_profiles, 3);
	out = write_to_string(&sc, &len);
	assert_string_equal(out, "{\n  \"khpsim\": 1,\n  \"program\": []\n}\n");
	free(out);
	/* knobs scale with pmd_pages */
	assert_int_equal(load_str("{\"khpsim\": 1, \"config\": {\"pmd_pages\": 8}, \"program\": []}",
				  &sc, err), 0);
	assert_int_equal(sc.program.config.max_ptes_none, 7);
	assert_int_equal(sc.program.config.max_ptes_swap, 1);
	assert_int_equal(sc.program.config.max_ptes_shared, 4);
	khp_scenario_free(&sc);
}

/* ---- bad input ----------------------------------------------------------- */

static void test_bad_syntax(void **state)
{
	(void)state;
	expect_error("", -EINVAL, "t.json", "empty");
	expect_error("   \n", -EINVAL, "t.json", "syntax");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"split\"}", -EINVAL, "t.json",
		     "unexpected end");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"spl", -EINVAL, "t.json", "syntax");
	expect_error("{\"khpsim\": 1, \"program\": []} trailing", -EINVAL, "t.json", "syntax");
	expect_error("[1, 2]", -EINVAL, "(top level)", "expected a JSON object");
	expect_error("{\"khpsim\": 1, \"program\": [], }", -EINVAL, "t.json", "syntax");
	/* a NUL byte inside the buffer */
	{
		struct khp_scenario sc;
		char err[ERRLEN];
		static const char buf[] = "{\"khpsim\": 1,\0 \"program\": []}";

		khp_scenario_init(&sc);
		assert_int_equal(khp_scenario_load_buf(buf, sizeof(buf) - 1, "nul.json", &sc, err,
						       sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "NUL byte at offset 13"));
		khp_scenario_free(&sc);
	}
}

static void test_bad_numbers(void **state)
{
	(void)state;
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"touch\", \"mm\": 0, \"addr\": NaN}]}",
		     -EINVAL, "t.json", "syntax");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"touch\", \"mm\": 0, \"addr\": Infinity}]}",
		     -EINVAL, "t.json", "syntax");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"touch\", \"mm\": 0, \"addr\": 1e400}]}",
		     -ERANGE, "program[0].addr", "too large");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"touch\", \"mm\": 0, \"addr\": -1e400}]}",
		     -ERANGE, "program[0].addr", "too large");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"touch\", \"mm\": 0, \"addr\": 1e17}]}",
		     -ERANGE, "program[0].addr", "too large");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"touch\", \"mm\": 0, \"addr\": 4294967296}]}",
		     -ERANGE, "program[0].addr", "out of range");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"touch\", \"mm\": 0, \"addr\": 1.5}]}",
		     -EINVAL, "program[0].addr", "expected an integer");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"touch\", \"mm\": -1, \"addr\": 0}]}",
		     -ERANGE, "program[0].mm", "negative");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"touch\", \"mm\": 16, \"addr\": 0}]}",
		     -ERANGE, "program[0].mm", "out of range");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"mmap\", \"mm\": 0, \"addr\": 0, \"pages\": 1048577}]}",
		     -ERANGE, "program[0].pages", "out of range");
	expect_error("{\"khpsim\": 1.0000001, \"program\": []}", -EINVAL, "khpsim", "integer");
	expect_error("{\"khpsim\": 2, \"program\": []}", -EINVAL, "khpsim", "unsupported format 2");
	expect_error("{\"khpsim\": 1, \"config\": {\"max_ptes_none\": 512}, \"program\": []}",
		     -ERANGE, "config.max_ptes_none", "out of range");
	expect_error("{\"khpsim\": 1, \"config\": {\"pmd_pages\": 8, \"max_ptes_shared\": 8}, \"program\": []}",
		     -ERANGE, "config.max_ptes_shared", "out of range");
	expect_error("{\"khpsim\": 1, \"config\": {\"pmd_pages\": 24}, \"program\": []}",
		     -ERANGE, "config.pmd_pages", "power of two");
	expect_error("{\"khpsim\": 1, \"config\": {\"mthp_orders\": [9]}, \"program\": []}",
		     -ERANGE, "config.mthp_orders[0]", "order 9");
	expect_error("{\"khpsim\": 1, \"config\": {\"mthp_orders\": [4, 4]}, \"program\": []}",
		     -EINVAL, "config.mthp_orders[1]", "twice");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"split\"}], \"expect\": "
		     "[{\"step\": 0, \"profile\": \"linux-6.1\", \"result\": \"SCAN_FAIL\"}]}",
		     -EINVAL, "expect[0].step", "only khugepaged and collapse");
}

static void test_bad_keys_and_types(void **state)
{
	(void)state;
	expect_error("{\"khpsim\": 1, \"program\": [], \"programme\": []}", -EINVAL, "programme",
		     "unknown key");
	expect_error("{\"khpsim\": 1}", -EINVAL, "(top level)", "missing required key \"program\"");
	expect_error("{\"program\": []}", -EINVAL, "(top level)", "missing required key \"khpsim\"");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"touch\", \"mm\": 0, \"adr\": 0}]}",
		     -EINVAL, "program[0].adr", "unknown key");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"touch\", \"mm\": 0}]}",
		     -EINVAL, "program[0]", "missing required key \"addr\"");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"touch\", \"mm\": 0, \"addr\": 0, \"child\": 1}]}",
		     -EINVAL, "program[0].child", "not allowed for op touch");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"age\", \"mm\": 0, \"addr\": 0}]}",
		     -EINVAL, "program[0]", "both");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"jump\"}]}", -EINVAL, "program[0].op",
		     "unknown op \"jump\"");
	expect_error("{\"khpsim\": 1, \"program\": [{\"mm\": 0}]}", -EINVAL, "program[0].op",
		     "missing");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": 3}]}", -EINVAL, "program[0].op",
		     "expected a string, found a number");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"touch\", \"mm\": \"0\", \"addr\": 0}]}",
		     -EINVAL, "program[0].mm", "expected an integer, found a string");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"touch\", \"mm\": 0, \"addr\": 0, \"write\": 1}]}",
		     -EINVAL, "program[0].write", "expected true or false");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"madvise\", \"mm\": 0, \"addr\": 0, \"pages\": 1, \"advice\": \"huge\"}]}",
		     -EINVAL, "program[0].advice", "unknown advice");
	expect_error("{\"khpsim\": 1, \"program\": {}}", -EINVAL, "program", "expected an array");
	expect_error("{\"khpsim\": 1, \"program\": [[]]}", -EINVAL, "program[0]", "expected an object");
	expect_error("{\"khpsim\": 1, \"config\": [], \"program\": []}", -EINVAL, "config",
		     "expected an object");
	expect_error("{\"khpsim\": 1, \"config\": {\"thp\": \"sometimes\"}, \"program\": []}", -EINVAL,
		     "config.thp", "unknown mode");
	expect_error("{\"khpsim\": 1, \"name\": 5, \"program\": []}", -EINVAL, "name",
		     "expected a string");
	expect_error("{\"khpsim\": 1, \"profiles\": [\"linux-6.2\"], \"program\": []}", -EINVAL,
		     "profiles[0]", "unknown profile");
	expect_error("{\"khpsim\": 1, \"profiles\": [], \"program\": []}", -EINVAL, "profiles", "empty");
	expect_error("{\"khpsim\": 1, \"profiles\": [\"linux-6.1\", \"linux-6.1\"], \"program\": []}",
		     -EINVAL, "profiles[1]", "twice");
#define KH "{\"khpsim\": 1, \"profiles\": [\"linux-6.1\", \"linux-7.3\"], " \
	   "\"program\": [{\"op\": \"khugepaged\", \"mm\": 0, \"addr\": 0}], \"expect\": "
	expect_error(KH "[{\"step\": 0, \"profile\": \"linux-6.12\", \"collapsed\": true}]}", -EINVAL,
		     "expect[0].profile", "not in \"profiles\"");
	expect_error(KH "[{\"step\": 1, \"profile\": \"linux-6.1\", \"collapsed\": true}]}", -ERANGE,
		     "expect[0].step", "past the end");
	expect_error(KH "[{\"step\": 0, \"profile\": \"linux-6.1\"}]}", -EINVAL, "expect[0]",
		     "no field");
	expect_error(KH "[{\"step\": 0, \"profile\": \"linux-6.1\", \"result\": \"SUCCEED\"}]}", -EINVAL,
		     "expect[0].result", "unknown result");
	expect_error(KH "[{\"step\": 0, \"profile\": \"linux-7.3\", \"result\": \"SCAN_PAGE_RO\"}]}",
		     -EINVAL, "expect[0].result", "does not exist in linux-7.3");
	expect_error(KH "[{\"step\": 0, \"profile\": \"linux-6.1\", \"verdict\": \"maybe\"}]}", -EINVAL,
		     "expect[0].verdict", "unknown verdict");
	expect_error(KH "[{\"step\": 0, \"profile\": \"linux-6.1\", \"errno\": \"EWHAT\"}]}", -EINVAL,
		     "expect[0].errno", "unknown errno");
	expect_error(KH "[{\"step\": 0, \"profile\": \"linux-6.1\", \"errno\": 22}]}", -EINVAL,
		     "expect[0].errno", "name");
	expect_error(KH "[{\"step\": 0, \"profile\": \"linux-6.1\", \"shared\": true}]}", -EINVAL,
		     "expect[0].shared", "expected an integer");
	expect_error(KH "[{\"step\": 0, \"profile\": \"linux-6.1\", \"sharde\": 1}]}", -EINVAL,
		     "expect[0].sharde", "unknown key");
#undef KH
}

static void test_duplicate_keys(void **state)
{
	(void)state;
	expect_error("{\"khpsim\": 1, \"khpsim\": 1, \"program\": []}", -EINVAL, "khpsim",
		     "duplicate key");
	expect_error("{\"khpsim\": 1, \"program\": [], \"program\": []}", -EINVAL, "program",
		     "duplicate key");
	expect_error("{\"khpsim\": 1, \"config\": {\"thp\": \"never\", \"thp\": \"always\"}, \"program\": []}",
		     -EINVAL, "config.thp", "duplicate key");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"touch\", \"mm\": 0, \"addr\": 1, \"addr\": 2}]}",
		     -EINVAL, "program[0].addr", "duplicate key");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"split\", \"op\": \"split\"}]}",
		     -EINVAL, "program[0].op", "duplicate key");
}

static void test_deep_nesting(void **state)
{
	size_t depth = 200000, i;
	char *buf = malloc(2 * depth + 1);
	struct khp_scenario sc;
	char err[ERRLEN];

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < depth; i++) {
		buf[i] = '[';
		buf[depth + i] = ']';
	}
	buf[2 * depth] = 0;
	khp_scenario_init(&sc);
	assert_int_equal(khp_scenario_load_buf(buf, 2 * depth, "deep.json", &sc, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "deep.json"));
	assert_non_null(strstr(err, "nested"));
	/* nesting inside a valid document, just over cJSON's own limit */
	{
		static const char head[] = "{\"khpsim\": 1, \"program\": [], \"name\": ";
		size_t h = sizeof(head) - 1;

		memcpy(buf, head, h);
		for (i = h; i < h + 1001; i++)
			buf[i] = '[';
		buf[i] = 0;
		assert_int_equal(load_str(buf, &sc, err), -EINVAL);
		assert_non_null(strstr(err, "nested 1002 levels"));
	}
	khp_scenario_free(&sc);
	free(buf);
}

static char *tmp_path(char *buf, size_t n, const char *name)
{
	const char *dir = getenv("TMPDIR");

	snprintf(buf, n, "%s/khp_test_scenario_%d_%s", dir && *dir ? dir : "/tmp", (int)getpid(), name);
	return buf;
}

static void test_huge_file(void **state)
{
	struct khp_scenario sc;
	char path[512], err[ERRLEN];
	FILE *f;

	(void)state;
	tmp_path(path, sizeof(path), "100mb.json");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"khpsim\": 1, \"program\": [", f);
	/* 100 MB: sparse tail (NUL bytes) after a valid-looking start */
	assert_int_equal(ftruncate(fileno(f), 100l << 20), 0);
	fclose(f);
	khp_scenario_init(&sc);
	assert_int_equal(khp_scenario_load_file(path, &sc, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "larger than the limit"));
	unlink(path);
	/* and a missing file */
	tmp_path(path, sizeof(path), "missing.json");
	assert_int_equal(khp_scenario_load_file(path, &sc, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot open"));
	khp_scenario_free(&sc);
}

static char *many_ops(size_t n, size_t *len)
{
	static const char head[] = "{\"khpsim\": 1, \"program\": [";
	static const char op[] = "{\"op\":\"split\"},";
	size_t cap = sizeof(head) + n * (sizeof(op) - 1) + 4, i;
	char *buf = malloc(cap), *p = buf;

	assert_non_null(buf);
	memcpy(p, head, sizeof(head) - 1);
	p += sizeof(head) - 1;
	for (i = 0; i < n; i++) {
		memcpy(p, op, sizeof(op) - 1);
		p += sizeof(op) - 1;
	}
	p[-1] = ']';
	*p++ = '}';
	*p = 0;
	*len = (size_t)(p - buf);
	return buf;
}

static long max_rss_mb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

static void test_too_many_ops(void **state)
{
	struct khp_scenario sc;
	char err[ERRLEN];
	size_t len;
	char *buf;

	(void)state;
	khp_scenario_init(&sc);
	/* 10^6 ops: refused by the value count before a tree is built */
	buf = many_ops(1000000, &len);
	assert_true(len < KHP_SCENARIO_MAX_BYTES);
	assert_int_equal(khp_scenario_load_buf(buf, len, "million.json", &sc, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "million.json"));
	free(buf);
	/* KHP_MAX_OPS + 1 ops: parsed, then refused by the program length */
	buf = many_ops(KHP_MAX_OPS + 1, &len);
	assert_int_equal(khp_scenario_load_buf(buf, len, "long.json", &sc, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "long.json: program:"));
	free(buf);
	/* exactly KHP_MAX_OPS is fine */
	buf = many_ops(KHP_MAX_OPS, &len);
	assert_int_equal(khp_scenario_load_buf(buf, len, "max.json", &sc, err, sizeof(err)), 0);
	assert_int_equal(sc.program.nr_ops, KHP_MAX_OPS);
	free(buf);
	khp_scenario_free(&sc);
	/* bounded memory: the whole test stays well below 1 GiB peak RSS */
	assert_true(max_rss_mb() < 1024);
}

/* ---- expectations against runs -------------------------------------------- */

static void test_check_and_expect_from_runs(void **state)
{
	static const char json[] =
		"{\"khpsim\": 1, \"config\": {\"max_ptes_none\": 511},\n"
		" \"program\": [\n"
		"  {\"op\": \"mmap\", \"mm\": 0, \"addr\": 262144, \"pages\": 512},\n"
		"  {\"op\": \"touch\", \"mm\": 0, \"addr\": 262144},\n"
		"  {\"op\": \"madvise\", \"mm\": 0, \"addr\": 262144, \"pages\": 512, \"advice\": \"hugepage\"},\n"
		"  {\"op\": \"khugepaged\", \"mm\": 0, \"addr\": 262144},\n"
		"  {\"op\": \"collapse\", \"mm\": 0, \"addr\": 262144, \"pages\": 512}\n"
		" ]}\n";
	struct khp_run runs[KHP_SCENARIO_MAX_PROFILES];
	struct khp_run_opts opts = { .check = true, .maps = true };
	struct khp_scenario sc;
	char err[ERRLEN], *text = NULL;
	size_t len = 0, i;
	int nr;
	FILE *f;

	(void)state;
	khp_scenario_init(&sc);
	assert_int_equal(load_str(json, &sc, err), 0);
	nr = khp_scenario_run_all(&sc, &opts, runs);
	assert_int_equal(nr, 3);
	for (i = 0; i < (size_t)nr; i++)
		assert_int_equal(runs[i].err, 0);
	assert_int_equal(khp_scenario_expect_from_runs(&sc, runs, (size_t)nr, KHP_EF_ALL), 0);
	assert_int_equal(sc.nr_expects, 6);
	assert_int_equal(khp_scenario_check(&sc, runs, (size_t)nr, NULL), 0);
	/* selftest collapse_single_pte_entry: the khugepaged step collapses */
	assert_int_equal(sc.expects[0].step, 3);
	assert_int_equal(sc.expects[0].result, SCAN_SUCCEED);
	assert_false(sc.expects[0].fields & KHP_EF(KHP_EF_ERRNO));
	assert_true(sc.expects[1].fields & KHP_EF(KHP_EF_ERRNO));
	/* written and read back, the expectations still hold */
	assert_round_trip(&sc);
	/* one changed field: one mismatch naming step, profile, field, values */
	sc.expects[0].none_or_zero = 7;
	f = open_memstream(&text, &len);
	assert_int_equal(khp_scenario_check(&sc, runs, (size_t)nr, f), 1);
	fclose(f);
	assert_non_null(strstr(text, "step 3 profile linux-6.1: none_or_zero expected 7, got 511"));
	free(text);
	/* a scenario built from scratch (no profiles) gets the runs' profiles */
	{
		struct khp_scenario fresh;

		khp_scenario_init(&fresh);
		assert_int_equal(khp_program_copy(&fresh.program, &sc.program), 0);
		assert_int_equal(khp_scenario_expect_from_runs(&fresh, &runs[2], 1,
							       KHP_EF_DECISION), 0);
		assert_int_equal(fresh.nr_profiles, 1);
		assert_int_equal(fresh.profiles[0].kernel, KHP_LINUX_7_3);
		assert_round_trip(&fresh);
		khp_scenario_free(&fresh);
	}
	/* an expectation for a profile that did not run is a mismatch too */
	assert_int_equal(khp_scenario_check(&sc, runs, 1, NULL), 1 + 2 * 2);
	for (i = 0; i < (size_t)nr; i++)
		khp_run_free(&runs[i]);
	khp_scenario_free(&sc);
}

/*
 * Strings cJSON would take but JSON does not allow, refused with their path:
 * "\u0000" (cJSON cut "linux-6.12\u0000junk" to "linux-6.12", so it passed),
 * raw control characters, bytes that are not UTF-8.
 */
static void test_bad_strings(void **state)
{
	(void)state;
	expect_error("{\"khpsim\": 1, \"name\": \"a\\u0000junk\", \"program\": []}", -EINVAL,
		     "t.json: name:", "\\u0000");
	expect_error("{\"khpsim\": 1, \"profiles\": [\"linux-6.1\", \"linux-6.12\\u0000junk\"], "
		     "\"program\": []}", -EINVAL, "profiles[1]:", "\\u0000");
	expect_error("{\"khpsim\": 1, \"config\": {\"thp\\u0000x\": \"never\"}, \"program\": []}",
		     -EINVAL, "t.json: config: a key", "\\u0000");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"split\"}, {\"op\": \"split\\u0000\"}]}",
		     -EINVAL, "program[1].op:", "\\u0000");
	expect_error("{\"khpsim\": 1, \"program\": [{\"op\": \"khugepaged\", \"mm\": 0, \"addr\": 0}], "
		     "\"expect\": [{\"step\": 0, \"profile\": \"linux-6.1\\u0000\", \"collapsed\": true}]}",
		     -EINVAL, "expect[0].profile:", "\\u0000");
	/* an escaped backslash before "u0000" is not a NUL */
	{
		struct khp_scenario sc;
		char err[ERRLEN];

		khp_scenario_init(&sc);
		assert_int_equal(load_str("{\"khpsim\": 1, \"name\": \"a\\\\u0000\", \"program\": []}",
					  &sc, err), 0);
		assert_string_equal(sc.name, "a\\u0000");
		khp_scenario_free(&sc);
	}
	expect_error("{\"khpsim\": 1, \"name\": \"\x1b[31mred\", \"program\": []}", -EINVAL,
		     "t.json: name:", "raw control character");
	expect_error("{\"khpsim\": 1, \"description\": \"tab\there\", \"program\": []}", -EINVAL,
		     "description:", "raw control character");
	expect_error("{\"khpsim\": 1, \"source\": \"\xff\xfe\", \"program\": []}", -EINVAL,
		     "source:", "not valid UTF-8");
	expect_error("{\"khpsim\": 1, \"name\": \"\xc0\x80\", \"program\": []}", -EINVAL, "name:",
		     "not valid UTF-8");
	expect_error("{\"khpsim\": 1, \"name\": \"\xed\xa0\x80\", \"program\": []}", -EINVAL, "name:",
		     "not valid UTF-8");
	expect_error("{\"khpsim\": 1, \"name\": \"\xe2\x82\", \"program\": []}", -EINVAL, "name:",
		     "not valid UTF-8");
}

/* The writer refuses what the reader would refuse, and writes nothing then. */
static void test_writer_runs_reader_checks(void **state)
{
	struct khp_scenario sc;
	char err[ERRLEN], *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	khp_scenario_init(&sc);
	assert_int_equal(load_str("{\"khpsim\": 1, \"program\": [{\"op\": \"split\"}]}", &sc, err), 0);
	sc.profiles[1] = sc.profiles[0];           /* linux-6.1 twice */
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(khp_scenario_write(f, &sc), -EINVAL);
	fclose(f);
	assert_int_equal(len, 0);
	free(buf);
	assert_int_equal(khp_scenario_validate(&sc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "profiles[1]: profile \"linux-6.1\" listed twice"));
	sc.profiles[1] = khp_profile_kernel(KHP_LINUX_6_12);
	assert_int_equal(khp_scenario_validate(&sc, err, sizeof(err)), 0);
	/* an expectation on a step that has no record */
	{
		struct khp_expect e;

		memset(&e, 0, sizeof(e));
		e.profile = sc.profiles[0];
		e.fields = KHP_EF(KHP_EF_COLLAPSED);
		assert_int_equal(khp_scenario_add_expect(&sc, &e), 0);
	}
	assert_int_equal(khp_scenario_validate(&sc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "expect[0].step"));
	assert_int_equal(khp_scenario_write_file("/nonexistent-dir/x.json", &sc), -EINVAL);
	khp_scenario_free(&sc);
}

/* Strings set through the API are written as valid UTF-8 JSON and read back. */
static void test_writer_escapes(void **state)
{
	struct khp_scenario sc, back;
	char err[ERRLEN], *out;
	size_t len;

	(void)state;
	khp_scenario_init(&sc);
	assert_int_equal(khp_scenario_set_str(&sc.name, "\x1b[31m\xff\xc2\x9b\x7f\xc3\xa9"), 0);
	out = write_to_string(&sc, &len);
	assert_non_null(strstr(out, "\"name\": \"\\u001b[31m\\ufffd\\u009b\\u007f\xc3\xa9\""));
	khp_scenario_init(&back);
	if (khp_scenario_load_buf(out, len, "w", &back, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(back.name, "\x1b[31m\xef\xbf\xbd\xc2\x9b\x7f\xc3\xa9");
	free(out);
	khp_scenario_free(&back);
	khp_scenario_free(&sc);
}

static void test_write_file(void **state)
{
	struct khp_scenario sc, back;
	char path[512], err[ERRLEN];

	(void)state;
	khp_scenario_init(&sc);
	assert_int_equal(load_str("{\"khpsim\": 1, \"name\": \"w\", \"program\": [{\"op\": \"split\"}]}",
				  &sc, err), 0);
	tmp_path(path, sizeof(path), "w.json");
	assert_int_equal(khp_scenario_write_file(path, &sc), 0);
	khp_scenario_init(&back);
	assert_int_equal(khp_scenario_load_file(path, &back, err, sizeof(err)), 0);
	assert_string_equal(back.name, "w");
	assert_int_equal(back.program.nr_ops, 1);
	unlink(path);
	assert_int_equal(khp_scenario_write_file("/nonexistent-dir/x.json", &sc), -EIO);
	khp_scenario_free(&back);
	khp_scenario_free(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_suite),
		cmocka_unit_test(test_round_trip_every_field),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bad_syntax),
		cmocka_unit_test(test_bad_numbers),
		cmocka_unit_test(test_bad_keys_and_types),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_huge_file),
		cmocka_unit_test(test_too_many_ops),
		cmocka_unit_test(test_check_and_expect_from_runs),
		cmocka_unit_test(test_bad_strings),
		cmocka_unit_test(test_writer_runs_reader_checks),
		cmocka_unit_test(test_writer_escapes),
		cmocka_unit_test(test_write_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
