/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * User input and output text (khpsim/parse.h, khpsim/knobs.h):
 *  - decimal numbers: "010" is ten, signs, spaces, hex and overflow are refused;
 *  - profile lists: duplicates and empty elements refused, the message lists
 *    the valid profiles (and that list matches the profile table);
 *  - the knob table: every knob's text and JSON forms round-trip, range rules
 *    follow pmd_pages, settings apply in any order and a knob the user set
 *    is never reset by pmd_pages;
 *  - escaping: terminal text has no control characters, JSON is UTF-8;
 *  - the runner's progress calls are counted in ops, and khp_run_record()
 *    finds every step's record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khp_test.h"
#include <khpsim/knobs.h>
#include <khpsim/parse.h>

static void test_numbers(void **state)
{
	static const struct { const char *s; int rc; uint64_t v; } cases[] = {
		{ "0", 0, 0 }, { "010", 0, 10 }, { "512", 0, 512 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -ERANGE, 0 }, { "99999999999999999999", -ERANGE, 0 },
		{ "-1", -EINVAL, 0 }, { "+1", -EINVAL, 0 }, { " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 }, { "0x10", -EINVAL, 0 }, { "", -EINVAL, 0 },
		{ "1e3", -EINVAL, 0 }, { "1.0", -EINVAL, 0 },
	};
	char msg[128];
	uint64_t v;
	double d;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = khp_parse_u64(cases[i].s, 0, UINT64_MAX, &v, msg, sizeof(msg));

		if (rc != cases[i].rc || (!rc && v != cases[i].v))
			fail_msg("\"%s\": rc %d (want %d), %llu", cases[i].s, rc, cases[i].rc,
				 (unsigned long long)v);
	}
	assert_int_equal(khp_parse_u64("20001", 1, 20000, &v, msg, sizeof(msg)), -ERANGE);
	assert_non_null(strstr(msg, "20001 is out of range (1..20000)"));
	assert_int_equal(khp_parse_u64("0", 1, 20000, &v, msg, sizeof(msg)), -ERANGE);
	assert_int_equal(khp_parse_u64("\x1b[2J", 0, 9, &v, msg, sizeof(msg)), -EINVAL);
	assert_null(strchr(msg, '\x1b'));
	assert_int_equal(khp_parse_decimal("0.25", 0, 10, &d, NULL, 0), 0);
	assert_true(d == 0.25);
	assert_int_equal(khp_parse_decimal("3", 0, 10, &d, NULL, 0), 0);
	assert_true(d == 3);
	assert_int_equal(khp_parse_decimal("3.", 0, 10, &d, NULL, 0), -EINVAL);
	assert_int_equal(khp_parse_decimal(".5", 0, 10, &d, NULL, 0), -EINVAL);
	assert_int_equal(khp_parse_decimal("1e3", 0, 1e9, &d, NULL, 0), -EINVAL);
	assert_int_equal(khp_parse_decimal("nan", 0, 1e9, &d, NULL, 0), -EINVAL);
	assert_int_equal(khp_parse_decimal("-0.5", -1, 1, &d, NULL, 0), -EINVAL);
	assert_int_equal(khp_parse_decimal("99999999999999999999", 0, 1e9, &d, NULL, 0), -ERANGE);
	assert_int_equal(khp_parse_decimal("0", 0.001, 10, &d, NULL, 0), -ERANGE);
}

static void test_profile_lists(void **state)
{
	struct khp_profile p[4];
	char msg[256], names[256] = "";
	size_t nr = 0;

	(void)state;
	assert_int_equal(khp_profile_list_parse("linux-7.3,linux-6.1+exact", p, 4, &nr, msg,
						sizeof(msg)), 0);
	assert_int_equal(nr, 2);
	assert_string_equal(p[0].name, "linux-7.3");
	assert_true(khp_profile_exact(&p[1]));
	assert_int_equal(khp_profile_list_parse("linux-6.12,linux-6.12", p, 4, &nr, msg,
						sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "profile \"linux-6.12\" listed twice"));
	assert_non_null(strstr(msg, khp_profile_valid_names()));
	assert_int_equal(khp_profile_list_parse("linux-6.1,,linux-7.3", p, 4, &nr, msg,
						sizeof(msg)), -EINVAL);
	assert_int_equal(khp_profile_list_parse("linux-6.1,", p, 4, &nr, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(khp_profile_list_parse("", p, 4, &nr, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(khp_profile_list_parse("linux-6.2", p, 4, &nr, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "linux-6.2"));
	assert_int_equal(khp_profile_list_parse("linux-6.1,linux-6.12,linux-7.3", p, 2, &nr, msg,
						sizeof(msg)), -E2BIG);
	/* the names in messages are the profile table's */
	for (unsigned k = 0; k < KHP_NR_KERNELS; k++) {
		strcat(names, khp_kernel_name((enum khp_kernel)k));
		strcat(names, ", ");
	}
	strcat(names, "each optionally +exact");
	assert_string_equal(khp_profile_valid_names(), names);
}

/* Every knob: text -> value -> text, the JSON form, and the range rules. */
static void test_knob_table(void **state)
{
	static const struct { enum khp_knob k; const char *text, *canon, *json; } cases[] = {
		{ KHP_KNOB_PMD_PAGES, "064", "64", "64" },
		{ KHP_KNOB_MAX_PTES_NONE, "511", "511", "511" },
		{ KHP_KNOB_MAX_PTES_SWAP, "0", "0", "0" },
		{ KHP_KNOB_MAX_PTES_SHARED, "010", "10", "10" },
		{ KHP_KNOB_THP, "always", "always", "\"always\"" },
		{ KHP_KNOB_USE_ZERO_PAGE, "false", "0", "false" },
		{ KHP_KNOB_SWAP, "on", "1", "true" },
		{ KHP_KNOB_SHRINK_UNDERUSED, "no", "0", "false" },
		{ KHP_KNOB_MTHP_ORDERS, "4,2", "2,4", "[2, 4]" },
		{ KHP_KNOB_MTHP_ORDERS, "none", "none", "[]" },
	};
	static const struct { enum khp_knob k; const char *text; } bad[] = {
		{ KHP_KNOB_PMD_PAGES, "100" }, { KHP_KNOB_PMD_PAGES, "1024" },
		{ KHP_KNOB_MAX_PTES_NONE, "512" }, { KHP_KNOB_MAX_PTES_SHARED, "-1" },
		{ KHP_KNOB_THP, "sometimes" }, { KHP_KNOB_SWAP, "2" },
		{ KHP_KNOB_MTHP_ORDERS, "4,,4" }, { KHP_KNOB_MTHP_ORDERS, "4,4" },
		{ KHP_KNOB_MTHP_ORDERS, "" }, { KHP_KNOB_MTHP_ORDERS, "1" },
		{ KHP_KNOB_MTHP_ORDERS, "9" }, { KHP_KNOB_MTHP_ORDERS, "2," },
	};
	char buf[64], msg[160];
	enum khp_knob k;
	uint32_t v;

	(void)state;
	for (unsigned i = 0; i < KHP_NR_KNOBS; i++) {
		assert_int_equal(khp_knob_lookup(khp_knob((enum khp_knob)i)->name, &k), 0);
		assert_int_equal(k, i);
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (khp_knob_parse(cases[i].k, cases[i].text, &v, msg, sizeof(msg)))
			fail_msg("%s=%s: %s", khp_knob(cases[i].k)->name, cases[i].text, msg);
		khp_knob_format(cases[i].k, v, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].canon);
		khp_knob_format_json(cases[i].k, v, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].json);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!khp_knob_parse(bad[i].k, bad[i].text, &v, msg, sizeof(msg)))
			fail_msg("%s=\"%s\" accepted", khp_knob(bad[i].k)->name, bad[i].text);
	/* ranges follow pmd_pages */
	assert_int_equal(khp_knob_check(KHP_KNOB_MAX_PTES_SHARED, 63, 64, NULL, 0), 0);
	assert_int_equal(khp_knob_check(KHP_KNOB_MAX_PTES_SHARED, 64, 64, msg, sizeof(msg)), -ERANGE);
	assert_non_null(strstr(msg, "max_ptes_shared: 64 out of range (0..63 for pmd_pages 64)"));
	assert_int_equal(khp_knob_check(KHP_KNOB_MTHP_ORDERS, 1u << 5, 64, NULL, 0), 0);
	assert_int_equal(khp_knob_check(KHP_KNOB_MTHP_ORDERS, 1u << 6, 64, NULL, 0), -ERANGE);
}

/* The config line of the reports, through the table. */
static void test_config_line(void **state)
{
	struct khp_config c;
	char line[512];

	(void)state;
	khp_config_default(&c, 512);
	c.mthp_orders = (1u << 2) | (1u << 4);
	c.swap = false;
	khp_config_format(&c, line, sizeof(line));
	assert_string_equal(line, "pmd_pages=512 max_ptes_none=511 max_ptes_swap=64 "
			    "max_ptes_shared=256 thp=madvise use_zero_page=1 swap=0 "
			    "shrink_underused=1 mthp_orders=2,4");
}

static int settle(const char *const *sets, size_t n, struct khp_config *c, char *msg)
{
	struct khp_knob_settings s;
	int rc;

	khp_knob_settings_init(&s);
	for (size_t i = 0; i < n; i++) {
		rc = khp_knob_settings_assign(&s, sets[i], KHP_KNOB_FROM_SET, msg, 256);
		if (rc)
			return rc;
	}
	return khp_knob_settings_apply(&s, c, msg, 256);
}

/*
 * Settings apply in any order: explore --max-ptes-shared 0 --pmd-pages 512
 * reset max_ptes_shared to 256 before the knob table.
 */
static void test_settings_order(void **state)
{
	static const char *const a[] = { "max_ptes_shared=0", "pmd_pages=64" };
	static const char *const b[] = { "pmd_pages=64", "max_ptes_shared=0" };
	static const char *const same[] = { "max_ptes_shared=0", "pmd_pages=512" };
	static const char *const big[] = { "max_ptes_shared=300", "pmd_pages=256" };
	struct khp_config ca, cb, base;
	char msg[256];

	(void)state;
	khp_config_default(&ca, 512);
	khp_config_default(&cb, 512);
	assert_int_equal(settle(a, 2, &ca, msg), 0);
	assert_int_equal(settle(b, 2, &cb, msg), 0);
	assert_memory_equal(&ca, &cb, sizeof(ca));
	assert_int_equal(ca.pmd_pages, 64);
	assert_int_equal(ca.max_ptes_shared, 0);      /* set: kept */
	assert_int_equal(ca.max_ptes_none, 63);       /* not set, at the default: follows */
	assert_int_equal(ca.max_ptes_swap, 8);
	khp_config_default(&ca, 512);
	assert_int_equal(settle(same, 2, &ca, msg), 0);
	assert_int_equal(ca.max_ptes_shared, 0);
	/* a knob not set and not at its default (a scenario's) keeps its value */
	khp_config_default(&base, 512);
	base.max_ptes_none = 7;
	assert_int_equal(settle(b + 0, 1, &base, msg), 0);
	assert_int_equal(base.max_ptes_none, 7);
	assert_int_equal(base.max_ptes_swap, 8);
	/* a set knob must fit the final pmd_pages, and c is unchanged on error */
	khp_config_default(&ca, 512);
	cb = ca;
	assert_int_equal(settle(big, 2, &ca, msg), -ERANGE);
	assert_non_null(strstr(msg, "--set max_ptes_shared: 300 out of range (0..255 for pmd_pages 256)"));
	assert_memory_equal(&ca, &cb, sizeof(ca));
}

/* The KHP_<KNOB> environment, and the later setting winning (options over env). */
static void test_settings_env(void **state)
{
	struct khp_knob_settings env, opt;
	struct khp_config c;
	char msg[256];

	(void)state;
	setenv("KHP_MAX_PTES_SHARED", "0", 1);
	setenv("KHP_MTHP_ORDERS", "2", 1);
	setenv("KHP_THP", "", 1);                     /* empty: not set */
	khp_knob_settings_init(&env);
	assert_int_equal(khp_knob_settings_from_env(&env, msg, sizeof(msg)), 0);
	assert_int_equal(env.set, (1u << KHP_KNOB_MAX_PTES_SHARED) | (1u << KHP_KNOB_MTHP_ORDERS));
	khp_knob_settings_init(&opt);
	assert_int_equal(khp_knob_settings_parse(&opt, KHP_KNOB_PMD_PAGES, "64",
						 KHP_KNOB_FROM_OPTION, msg, sizeof(msg)), 0);
	assert_int_equal(khp_knob_settings_parse(&opt, KHP_KNOB_MTHP_ORDERS, "3",
						 KHP_KNOB_FROM_OPTION, msg, sizeof(msg)), 0);
	khp_knob_settings_merge(&env, &opt);
	khp_config_default(&c, 512);
	assert_int_equal(khp_knob_settings_apply(&env, &c, msg, sizeof(msg)), 0);
	assert_int_equal(c.pmd_pages, 64);
	assert_int_equal(c.max_ptes_shared, 0);
	assert_int_equal(c.mthp_orders, 1u << 3);
	setenv("KHP_MAX_PTES_SHARED", "010x", 1);
	khp_knob_settings_init(&env);
	assert_int_equal(khp_knob_settings_from_env(&env, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "KHP_MAX_PTES_SHARED: \"010x\" is not a decimal number"));
	unsetenv("KHP_MAX_PTES_SHARED");
	unsetenv("KHP_MTHP_ORDERS");
	unsetenv("KHP_THP");
}

static void test_escapes(void **state)
{
	char buf[128], *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	khp_text_escape(buf, sizeof(buf), "a\x1b[31m\n\t\x7f\xc2\x85\xff\xc3\xa9\xe2\x82\xac");
	assert_string_equal(buf, "a\\x1b[31m\\x0a\\x09\\x7f\\u0085\\xff\xc3\xa9\xe2\x82\xac");
	khp_text_escape(buf, 8, "abcdefghij");
	assert_string_equal(buf, "abcdefg");
	khp_text_escape(buf, 6, "abc\x1b");          /* an escape does not fit: cut before it */
	assert_string_equal(buf, "abc");
	f = open_memstream(&out, &len);
	assert_non_null(f);
	khp_json_put_string(f, "q\"b\\\n\r\t\x01\x7f\xc2\x9b\xff\xc3\xa9\xf0\x9f\x98\x80\xed\xa0\x80");
	fclose(f);
	assert_string_equal(out, "\"q\\\"b\\\\\\n\\r\\t\\u0001\\u007f\\u009b\\ufffd\xc3\xa9"
			    "\xf0\x9f\x98\x80\\ufffd\\ufffd\\ufffd\"");
	free(out);
	assert_int_equal(khp_utf8_len((const unsigned char *)"\xc0\x80", 2), 0);
	assert_int_equal(khp_utf8_len((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);
	assert_int_equal(khp_utf8_len((const unsigned char *)"\xf4\x8f\xbf\xbf", 4), 4);
	assert_int_equal(khp_utf8_len((const unsigned char *)"\xe2\x82", 2), 0);
}

struct calls {
	size_t n;
	size_t done[8];
};

static void count_progress(void *arg, const struct khp_run *run, size_t done, size_t nr_ops)
{
	struct calls *c = arg;

	(void)run;
	assert_int_equal(nr_ops, 6);
	if (c->n < 8)
		c->done[c->n] = done;
	c->n++;
}

/*
 * Progress after the ops that pass each multiple of progress_work (an op is
 * KHP_PROGRESS_OP_WORK + its pages), and every step's record found.
 */
static void test_progress_and_records(void **state)
{
	struct khp_program p;
	struct calls c = { 0 };
	struct khp_run_opts o = { .progress = count_progress, .progress_arg = &c,
				  .progress_work = 2 * KHP_PROGRESS_OP_WORK + 1000 };
	struct khp_run run;

	(void)state;
	t_prog(&p, 512);
	t_mmap(&p, 0, 0, 4096, T_RW);              /* work 512 + 4096: past 2024 and 4048 */
	t_touch(&p, 0, 0, 1, true);                /* 5121 */
	t_khugepaged(&p, 0, 0);                    /* 6145: past 6072 */
	t_touch(&p, 0, 600, 1, true);              /* 6658 */
	t_khugepaged(&p, 0, 512);                  /* 7682 */
	t_khugepaged(&p, 0, 1024);                 /* 8706: past 8096 */
	assert_int_equal(khp_run_program(&p, khp_profile_kernel(KHP_LINUX_6_12), &o, &run), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.done[0], 1);
	assert_int_equal(c.done[1], 3);
	assert_int_equal(c.done[2], 6);
	assert_int_equal(run.nr_recs, 3);
	for (size_t step = 0; step < p.nr_ops; step++) {
		const struct khp_record *r = khp_run_record(&run, step);
		bool has = p.ops[step].type == KHP_OP_KHUGEPAGED;

		assert_true(has == (r != NULL));
		if (r)
			assert_int_equal(r->step, step);
	}
	assert_null(khp_run_record(&run, 100));
	khp_run_free(&run);
	khp_program_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_profile_lists),
		cmocka_unit_test(test_knob_table),
		cmocka_unit_test(test_config_line),
		cmocka_unit_test(test_settings_order),
		cmocka_unit_test(test_settings_env),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_progress_and_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
