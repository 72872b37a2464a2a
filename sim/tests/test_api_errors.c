/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Bad input to the public API (khpsim.h error convention): unknown and
 * dead mms, ranges outside VMAs, a fork child id in use, zero-length
 * ranges, bad pmd_pages and knobs, huge addresses, bad op fields, world
 * limits (VMAs, page tables).  Each refused op returns the documented negative code, leaves a
 * one-line message (khp_world_error), and leaves the world unchanged
 * (khp_world_check passes, totals and PMD maps identical); nothing
 * crashes (run under ASan + UBSan).
 */
#include "khp_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N   512u
#define A   (64 * N)

/* mm 0: VMA [A, A+2N) with a THP and some small pages; mm 1 its fork, exited; mm 2 alive. */
static struct khp_world *base_world(struct khp_program *p)
{
	struct khp_world *w;

	t_prog(p, N);
	t_cfg(p)->swap = true;
	t_mmap(p, 0, A, 2 * N, T_RW | T_HUGE);
	t_touch(p, 0, A, N, true);
	t_mmap(p, 0, A + 4 * N, 64, T_RW);
	t_touch(p, 0, A + 4 * N, 64, true);
	t_madvise(p, 0, A + 4 * N, 8, KHP_ADV_PAGEOUT);
	t_fork(p, 0, 1);
	t_exit(p, 1);
	t_fork(p, 0, 2);
	t_dontneed(p, 2, A + 3, 1);
	w = T_WORLD(p, "linux-6.12");
	assert_map(w, 0, A, "512H");
	assert_map(w, 0, A + N, "512_");
	assert_map(w, 0, A + 4 * N, "8w 56s 448~");
	assert_map(w, 2, A, "3s 1. 508s");
	return w;
}

struct snap {
	struct khp_totals t;
	char map[4][KHP_MAP_MAX];
};

static void snap_take(const struct khp_world *w, struct snap *s)
{
	static const struct { unsigned mm; uint64_t addr; } where[4] = {
		{ 0, A }, { 0, A + N }, { 0, A + 4 * N }, { 2, A },
	};
	unsigned i;

	memset(s, 0, sizeof(*s));
	khp_world_totals(w, &s->t);
	for (i = 0; i < 4; i++)
		khp_world_pmd_map(w, where[i].mm, where[i].addr, s->map[i], KHP_MAP_MAX);
}

/*
 * Apply op; it must fail with `expected` (or any negative code when
 * expected is 0), leave a message and leave the world unchanged.
 */
static void expect_refused_(struct khp_world *w, const struct khp_op *op, int expected,
			    const char *file, int line)
{
	struct snap before, after;
	struct khp_record rec;
	char msg[256];
	int err;

	snap_take(w, &before);
	err = khp_world_apply(w, op, &rec);
	if (err >= 0 || (expected && err != expected)) {
		print_error("%s:%d: op %s mm=%u addr=%llu pages=%llu: expected %s, got %d (%s)\n",
			    file, line, khp_op_name((enum khp_op_type)(op->type < KHP_NR_OPS ?
							 op->type : 0)),
			    op->mm, (unsigned long long)op->addr, (unsigned long long)op->pages,
			    expected ? khp_errno_name(-expected) : "a negative error", err,
			    khp_world_error(w));
		_fail(file, line);
	}
	if (!khp_world_error(w) || !khp_world_error(w)[0]) {
		print_error("%s:%d: refused op left no message\n", file, line);
		_fail(file, line);
	}
	if (khp_world_check(w, msg, sizeof(msg))) {
		print_error("%s:%d: world broken after a refused op: %s\n", file, line, msg);
		_fail(file, line);
	}
	snap_take(w, &after);
	if (memcmp(&before, &after, sizeof(before))) {
		print_error("%s:%d: a refused op changed the world (pages_in_use %ld -> %ld)\n",
			    file, line, before.t.pages_in_use, after.t.pages_in_use);
		_fail(file, line);
	}
}

#define EXPECT_REFUSED(w, op, e) expect_refused_((w), (op), (e), __FILE__, __LINE__)

static struct khp_op op_of(enum khp_op_type type, unsigned mm, uint64_t addr, uint64_t pages,
			   unsigned flags)
{
	struct khp_op op = t_op(type, mm, addr, pages);

	op.flags = (uint8_t)flags;
	return op;
}

static void test_api_unknown_mm(void **state)
{
	struct khp_program p;
	struct khp_world *w = base_world(&p);
	struct khp_op op;

	op = op_of(KHP_OP_TOUCH, 5, A, 1, KHP_OPF_WRITE);
	EXPECT_REFUSED(w, &op, -ENOENT);
	op = op_of(KHP_OP_MMAP, 7, A, 1, KHP_OPF_WRITE);
	EXPECT_REFUSED(w, &op, -ENOENT);
	op = op_of(KHP_OP_KHUGEPAGED, 9, A, 0, 0);
	EXPECT_REFUSED(w, &op, -ENOENT);
	op = op_of(KHP_OP_COLLAPSE, 3, A, N, 0);
	EXPECT_REFUSED(w, &op, -ENOENT);
	op = op_of(KHP_OP_EXIT, 4, 0, 0, 0);
	EXPECT_REFUSED(w, &op, -ENOENT);
	op = op_of(KHP_OP_TOUCH, KHP_MAX_MMS, A, 1, 0);
	EXPECT_REFUSED(w, &op, 0);
	op = op_of(KHP_OP_TOUCH, UINT32_MAX, A, 1, 0);
	EXPECT_REFUSED(w, &op, 0);
	op = op_of(KHP_OP_FORK, 6, 0, 0, 0);
	op.child = 7;
	EXPECT_REFUSED(w, &op, -ENOENT);
	khp_world_free(w);
	khp_program_free(&p);
}

static void test_api_dead_mm(void **state)
{
	static const enum khp_op_type types[] = {
		KHP_OP_TOUCH, KHP_OP_MMAP, KHP_OP_EXIT, KHP_OP_DONTNEED, KHP_OP_MUNMAP,
		KHP_OP_MPROTECT, KHP_OP_PIN, KHP_OP_AGE, KHP_OP_KHUGEPAGED, KHP_OP_COLLAPSE,
	};
	struct khp_program p;
	struct khp_world *w = base_world(&p);
	struct khp_op op;
	unsigned i;

	T_W_EQ(w, 1, A, "mm 1 dead", khp_world_mm_alive(w, 1), false);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		op = op_of(types[i], 1, A, 1, 0);
		EXPECT_REFUSED(w, &op, -ENOENT);
	}
	op = op_of(KHP_OP_FORK, 1, 0, 0, 0);
	op.child = 3;
	EXPECT_REFUSED(w, &op, -ENOENT);
	op = op_of(KHP_OP_MADVISE, 1, A, 1, 0);
	op.advice = KHP_ADV_HUGEPAGE;
	EXPECT_REFUSED(w, &op, -ENOENT);
	khp_world_free(w);
	khp_program_free(&p);
}

static void test_api_range_outside_vma(void **state)
{
	struct khp_program p;
	struct khp_world *w = base_world(&p);
	struct khp_op op;

	op = op_of(KHP_OP_TOUCH, 0, A + 2 * N, 1, KHP_OPF_WRITE);     /* just past the VMA */
	EXPECT_REFUSED(w, &op, -EFAULT);
	op = op_of(KHP_OP_TOUCH, 0, A + 2 * N - 1, 2, 0);             /* straddles the end */
	EXPECT_REFUSED(w, &op, -EFAULT);
	op = op_of(KHP_OP_TOUCH, 0, A - 1, 1, 0);
	EXPECT_REFUSED(w, &op, -EFAULT);
	op = op_of(KHP_OP_DONTNEED, 0, A + 3 * N, 4, 0);
	EXPECT_REFUSED(w, &op, -EFAULT);
	op = op_of(KHP_OP_MPROTECT, 0, A + 3 * N, 4, 0);
	EXPECT_REFUSED(w, &op, -EFAULT);
	op = op_of(KHP_OP_MADVISE, 0, A + 3 * N, 4, 0);
	op.advice = KHP_ADV_PAGEOUT;
	EXPECT_REFUSED(w, &op, -EFAULT);
	op = op_of(KHP_OP_COLLAPSE, 0, A + 3 * N, N, 0);
	EXPECT_REFUSED(w, &op, -EFAULT);
	op = op_of(KHP_OP_PIN, 0, A + 3 * N, 1, 0);
	EXPECT_REFUSED(w, &op, -EFAULT);
	op = op_of(KHP_OP_MREMAP, 0, A + 3 * N, 4, KHP_OPF_NEW_PAGES);
	op.new_pages = 8;
	EXPECT_REFUSED(w, &op, -EFAULT);
	khp_world_free(w);
	khp_program_free(&p);
}

static void test_api_fork_child_in_use(void **state)
{
	struct khp_program p;
	struct khp_world *w = base_world(&p);
	struct khp_op op;

	op = op_of(KHP_OP_FORK, 0, 0, 0, 0);
	op.child = 0;                  /* itself */
	EXPECT_REFUSED(w, &op, -EEXIST);
	op.child = 2;                  /* a live mm */
	EXPECT_REFUSED(w, &op, -EEXIST);
	op.child = KHP_MAX_MMS;        /* out of range */
	EXPECT_REFUSED(w, &op, 0);
	khp_world_free(w);
	khp_program_free(&p);
}

static void test_api_zero_length(void **state)
{
	static const enum khp_op_type types[] = {
		KHP_OP_MMAP, KHP_OP_TOUCH, KHP_OP_DONTNEED, KHP_OP_MUNMAP, KHP_OP_MPROTECT,
		KHP_OP_COLLAPSE, KHP_OP_MREMAP,
	};
	struct khp_program p;
	struct khp_world *w = base_world(&p);
	struct khp_op op;
	unsigned i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		op = op_of(types[i], 0, A, 0, 0);
		EXPECT_REFUSED(w, &op, -EINVAL);
	}
	op = op_of(KHP_OP_MADVISE, 0, A, 0, 0);
	op.advice = KHP_ADV_HUGEPAGE;
	EXPECT_REFUSED(w, &op, -EINVAL);
	op = op_of(KHP_OP_AGE, 0, A, 0, KHP_OPF_RANGE);
	EXPECT_REFUSED(w, &op, -EINVAL);
	op = op_of(KHP_OP_MREMAP, 0, A, 4, KHP_OPF_NEW_PAGES);
	op.new_pages = 0;
	EXPECT_REFUSED(w, &op, -EINVAL);
	khp_world_free(w);
	khp_program_free(&p);
}

static void test_api_bad_op_fields(void **state)
{
	struct khp_program p;
	struct khp_world *w = base_world(&p);
	struct khp_op op;
	char msg[128];

	op = op_of(KHP_NR_OPS, 0, A, 1, 0);
	EXPECT_REFUSED(w, &op, -EINVAL);
	op = op_of(250, 0, A, 1, 0);
	EXPECT_REFUSED(w, &op, -EINVAL);
	op = op_of(KHP_OP_MADVISE, 0, A, 1, 0);
	op.advice = KHP_NR_ADVICE;
	EXPECT_REFUSED(w, &op, -EINVAL);
	op = op_of(KHP_OP_MMAP, 0, A + 8 * N, 4, KHP_OPF_HUGEPAGE | KHP_OPF_NOHUGEPAGE);
	EXPECT_REFUSED(w, &op, -EINVAL);
	T_W_EQ(w, 0, A, "khp_op_check refuses an unknown op",
	       khp_op_check(&(struct khp_op){ .type = KHP_NR_OPS }, khp_world_config(w),
			    msg, sizeof(msg)) < 0, true);
	khp_world_free(w);
	khp_program_free(&p);
}

static void test_api_huge_addresses(void **state)
{
	struct khp_program p;
	struct khp_world *w = base_world(&p);
	struct khp_op op;

	op = op_of(KHP_OP_MMAP, 0, KHP_ADDR_LIMIT, 1, KHP_OPF_WRITE);
	EXPECT_REFUSED(w, &op, -ERANGE);
	op = op_of(KHP_OP_MMAP, 0, KHP_ADDR_LIMIT - 1, 2, KHP_OPF_WRITE);
	EXPECT_REFUSED(w, &op, -ERANGE);
	op = op_of(KHP_OP_MMAP, 0, UINT64_MAX - 1, 16, KHP_OPF_WRITE);
	EXPECT_REFUSED(w, &op, -ERANGE);
	op = op_of(KHP_OP_MMAP, 0, A + 8 * N, (uint64_t)KHP_MAX_OP_PAGES + 1, KHP_OPF_WRITE);
	EXPECT_REFUSED(w, &op, -ERANGE);
	op = op_of(KHP_OP_TOUCH, 0, UINT64_MAX, UINT64_MAX, 0);
	EXPECT_REFUSED(w, &op, 0);
	op = op_of(KHP_OP_KHUGEPAGED, 0, UINT64_MAX, 0, 0);
	EXPECT_REFUSED(w, &op, 0);
	op = op_of(KHP_OP_MREMAP, 0, A + 4 * N, 4, KHP_OPF_TO);
	op.to = UINT64_MAX - 2;
	EXPECT_REFUSED(w, &op, 0);
	op = op_of(KHP_OP_MREMAP, 0, A + 4 * N, 4, KHP_OPF_NEW_PAGES);
	op.new_pages = UINT64_MAX;
	EXPECT_REFUSED(w, &op, 0);
	khp_world_free(w);
	khp_program_free(&p);
}

/* Configs: pmd_pages not a power of two / out of range, knobs out of range. */
static void test_api_bad_config(void **state)
{
	static const unsigned bad_pmd[] = { 0, 1, 4, 7, 12, 500, 1024, 4096, UINT32_MAX };
	struct khp_config c;
	struct khp_profile prof = khp_profile_kernel(KHP_LINUX_6_12);
	struct khp_world *w;
	char msg[128];
	unsigned i;

	for (i = 0; i < sizeof(bad_pmd) / sizeof(bad_pmd[0]); i++) {
		khp_config_default(&c, 512);
		c.pmd_pages = bad_pmd[i];
		msg[0] = 0;
		if (khp_config_check(&c, msg, sizeof(msg)) >= 0 || !msg[0]) {
			print_error("pmd_pages %u accepted\n", bad_pmd[i]);
			fail();
		}
		w = NULL;
		if (khp_world_new(&c, prof, &w) >= 0 || w) {
			print_error("khp_world_new accepted pmd_pages %u\n", bad_pmd[i]);
			fail();
		}
	}
	for (i = 8; i <= 512; i *= 2) {
		khp_config_default(&c, i);
		assert_int_equal(khp_config_check(&c, NULL, 0), 0);
		assert_int_equal(c.max_ptes_none, i - 1);
		assert_int_equal(c.max_ptes_swap, i / 8);
		assert_int_equal(c.max_ptes_shared, i / 2);
		assert_int_equal(khp_pmd_order(i), __builtin_ctz(i));
	}

	khp_config_default(&c, 512);
	c.max_ptes_none = 512;
	assert_true(khp_config_check(&c, msg, sizeof(msg)) < 0);
	assert_non_null(strstr(msg, "max_ptes_none"));
	khp_config_default(&c, 512);
	c.max_ptes_swap = 512;
	assert_true(khp_config_check(&c, msg, sizeof(msg)) < 0);
	assert_non_null(strstr(msg, "max_ptes_swap"));
	khp_config_default(&c, 512);
	c.max_ptes_shared = 100000;
	assert_true(khp_config_check(&c, msg, sizeof(msg)) < 0);
	assert_non_null(strstr(msg, "max_ptes_shared"));
	khp_config_default(&c, 64);
	c.max_ptes_none = 64;
	assert_true(khp_config_check(&c, msg, sizeof(msg)) < 0);
	khp_config_default(&c, 512);
	c.thp = (enum khp_thp_mode)7;
	assert_true(khp_config_check(&c, msg, sizeof(msg)) < 0);
	khp_config_default(&c, 512);
	c.mthp_orders = 1u << 9;       /* the PMD order itself */
	assert_true(khp_config_check(&c, msg, sizeof(msg)) < 0);
	khp_config_default(&c, 512);
	c.mthp_orders = 1u << 1;       /* below order 2 */
	assert_true(khp_config_check(&c, msg, sizeof(msg)) < 0);
	khp_config_default(&c, 512);
	c.mthp_orders = 1u << 31;
	assert_true(khp_config_check(&c, msg, sizeof(msg)) < 0);
	w = NULL;
	assert_true(khp_world_new(&c, prof, &w) < 0);
	assert_null(w);
	khp_config_default(&c, 512);
	prof.kernel = KHP_NR_KERNELS;
	assert_true(khp_world_new(&c, prof, &w) < 0);
	assert_null(w);
	/* a rule value outside its enum, and a profile without a name */
	prof = khp_profile_kernel(KHP_LINUX_6_12);
	prof.rules.shared = KHP_NR_SHARED_RULES;
	assert_true(khp_world_new(&c, prof, &w) < 0);
	assert_null(w);
	prof = khp_profile_kernel(KHP_LINUX_6_12);
	prof.name[0] = 0;
	assert_true(khp_world_new(&c, prof, &w) < 0);
	assert_null(w);
}

/* Parsers and name tables: bad strings are refused, names round-trip. */
static void test_api_parsers(void **state)
{
	struct khp_profile prof;
	enum khp_op_type t;
	enum khp_advice a;
	enum scan_result r;
	enum khp_verdict v;
	int e;
	unsigned i;

	assert_true(khp_profile_parse("linux-5.15", &prof) < 0);
	assert_true(khp_profile_parse("", &prof) < 0);
	assert_true(khp_profile_parse("linux-6.12+exactly", &prof) < 0);
	assert_int_equal(khp_profile_parse("linux-6.12+exact", &prof), 0);
	assert_int_equal(prof.kernel, KHP_LINUX_6_12);
	assert_true(khp_profile_exact(&prof));
	assert_int_equal(prof.rules.shared, KHP_SHARED_EXACT);
	assert_int_equal(prof.rules.young_referenced, khp_kernel_rules(KHP_LINUX_6_12)->young_referenced);
	assert_string_equal(khp_profile_name(&prof), "linux-6.12+exact");
	assert_true(khp_op_parse("tuoch", &t) < 0);
	assert_true(khp_advice_parse("HUGEPAGE!", &a) < 0);
	assert_true(khp_result_parse("SCAN_NOPE", &r) < 0);
	assert_true(khp_verdict_parse("maybe", &v) < 0);
	assert_true(khp_errno_parse("EWHAT", &e) < 0);
	for (i = 0; i < KHP_NR_OPS; i++) {
		assert_int_equal(khp_op_parse(khp_op_name(i), &t), 0);
		assert_int_equal(t, i);
	}
	for (i = 0; i < KHP_NR_RESULTS; i++) {
		assert_int_equal(khp_result_parse(khp_result_name(i), &r), 0);
		assert_int_equal(r, i);
	}
	assert_string_equal(khp_result_name(KHP_NOT_VISITED), "not_visited");
	assert_string_equal(khp_result_trace(SCAN_EXCEED_SHARED_PTE), "exceed_shared_pte");
	assert_string_equal(khp_result_trace(SCAN_PAGE_RO), "no_writable_page");
	assert_string_equal(khp_result_trace(SCAN_PMD_MAPPED), "page_pmd_mapped");
	/* which codes each kernel's enum scan_result has (mm/khugepaged.c) */
	assert_true(khp_result_exists(KHP_LINUX_6_1, SCAN_PAGE_RO));
	assert_false(khp_result_exists(KHP_LINUX_7_3, SCAN_PAGE_RO));
	assert_false(khp_result_exists(KHP_LINUX_6_12, SCAN_NO_PTE_TABLE));
	assert_true(khp_result_exists(KHP_LINUX_7_3, SCAN_NO_PTE_TABLE));
	assert_false(khp_result_exists(KHP_LINUX_7_3, SCAN_PMD_NONE));
	assert_false(khp_result_exists(KHP_LINUX_6_1, SCAN_COPY_MC));
	assert_true(khp_result_exists(KHP_LINUX_6_12, SCAN_PAGE_FILLED));
	assert_true(khp_result_exists(KHP_LINUX_7_3, SCAN_PAGE_LAZYFREE));
	assert_false(khp_result_exists(KHP_LINUX_6_12, SCAN_PAGE_LAZYFREE));
	assert_string_equal(khp_errno_name(0), "0");
	assert_string_equal(khp_errno_name(EINVAL), "EINVAL");
	assert_int_equal(khp_errno_parse("EBUSY", &e), 0);
	assert_int_equal(e, EBUSY);
}

/* Inspection functions on bad arguments. */
static void test_api_inspection_bad_args(void **state)
{
	struct khp_program p;
	struct khp_world *w = base_world(&p);
	struct khp_pte_info pi;
	struct khp_folio_info fi;
	char small[8];
	char map[KHP_MAP_MAX];

	assert_true(khp_world_pmd_map(w, 0, A, small, sizeof(small)) < 0);
	assert_true(khp_world_pmd_map(w, 9, A, map, sizeof(map)) < 0);
	assert_true(khp_world_pte(w, 9, A, &pi) < 0);
	assert_true(khp_world_folio(w, UINT32_MAX, &fi) < 0);
	assert_true(khp_world_folio(w, 0, &fi) < 0);
	assert_false(khp_world_mm_alive(w, 9));
	assert_false(khp_world_mm_alive(w, UINT32_MAX));
	assert_int_equal(khp_world_pmd_map(w, 0, A + 2 * N, map, sizeof(map)), 0);
	assert_int_equal(strlen(map), N);
	assert_int_equal(map[0], ' ');     /* no VMA */
	T_WORLD_OK(w);
	khp_world_free(w);
	khp_program_free(&p);
}

/* A program with a bad op: run.err, err_step and errmsg; records up to it. */
static void test_api_run_reports_failing_step(void **state)
{
	struct khp_program p;
	struct t_run r;
	size_t step;
	int err;

	t_prog(&p, N);
	t_mmap(&p, 0, A, N, T_RW);
	t_touch(&p, 0, A, N, true);
	t_madvise(&p, 0, A, N, KHP_ADV_HUGEPAGE);
	step = t_khugepaged(&p, 0, A);
	t_touch(&p, 4, A, 1, true);
	t_khugepaged(&p, 0, A);
	err = t_run_may_fail(&r, &p, "linux-6.1");
	assert_int_equal(err, -ENOENT);
	assert_int_equal(r.run.err, -ENOENT);
	assert_int_equal(r.run.err_step, step + 1);
	assert_true(r.run.errmsg[0] != 0);
	T_RESULT(&r, step, SCAN_SUCCEED);
	t_run_free(&r);
	khp_program_free(&p);
}

/* Program limits: KHP_MAX_OPS. */
static void test_api_program_too_long(void **state)
{
	struct khp_program p;
	struct khp_op op = t_op(KHP_OP_SPLIT, 0, 0, 0);
	size_t i;

	t_prog(&p, 8);
	for (i = 0; i < KHP_MAX_OPS; i++)
		assert_int_equal(khp_program_push(&p, &op), 0);
	assert_int_equal(khp_program_push(&p, &op), -E2BIG);
	assert_int_equal(p.nr_ops, KHP_MAX_OPS);
	khp_program_free(&p);
}

/* World limit: more VMAs than KHP_MAX_VMAS -> -ENOMEM, world intact. */
static void test_api_vma_limit(void **state)
{
	struct khp_program p;
	struct khp_world *w;
	struct khp_op op;
	unsigned i;
	int err = 0;

	t_prog(&p, 8);
	w = T_WORLD(&p, "linux-7.3");
	khp_world_set_check(w, false);
	for (i = 0; i <= KHP_MAX_VMAS && !err; i++) {
		/* alternate protections so that neighbours never merge */
		op = op_of(KHP_OP_MMAP, 0, 16 + 2 * (uint64_t)i, 1, (i & 1) ? KHP_OPF_WRITE : 0);
		err = khp_world_apply(w, &op, NULL);
	}
	assert_int_equal(err, -ENOMEM);
	assert_int_equal(i, KHP_MAX_VMAS + 1);
	assert_true(khp_world_error(w)[0] != 0);
	T_WORLD_OK(w);
	khp_world_free(w);
	khp_program_free(&p);
}

/*
 * World limit on page tables: read faults on anonymous memory map the zero
 * page and allocate no page, so KHP_MAX_PAGES_IN_USE never trips; every
 * populated PMD entry (a PTE table or a huge mapping) counts pmd_pages
 * against KHP_MAX_PTES instead.  Without that limit the 583 KB scenario of
 * 4096 x (mmap 2^20 pages, read all of them) asked for about 34 GB of PTE
 * tables.  Here: n x 2^20 pages at pmd_pages=512 fill exactly
 * KHP_MAX_PTES / 512 tables, the next read needs one more and fails with
 * -ENOMEM and a message naming the limit, and the world stays consistent.
 * The same for huge zero-page PMDs at pmd_pages=8 (no PTE table at all).
 */
static void page_table_limit(unsigned pmd, unsigned thp_flags)
{
	const uint64_t per = KHP_MAX_OP_PAGES, n = (uint64_t)KHP_MAX_PTES / per;
	struct khp_program p;
	struct khp_world *w;
	struct khp_op op;
	uint64_t i;

	t_prog(&p, pmd);
	t_cfg(&p)->use_zero_page = true;
	w = T_WORLD(&p, "linux-6.12");
	khp_world_set_check(w, false);
	for (i = 0; i <= n; i++) {
		op = op_of(KHP_OP_MMAP, 0, i * per, per, thp_flags);
		assert_int_equal(khp_world_apply(w, &op, NULL), 0);
	}
	for (i = 0; i < n; i++) {
		op = op_of(KHP_OP_TOUCH, 0, i * per, per, 0);
		assert_int_equal(khp_world_apply(w, &op, NULL), 0);
	}
	op = op_of(KHP_OP_TOUCH, 0, n * per, 1, 0);
	assert_int_equal(khp_world_apply(w, &op, NULL), -ENOMEM);
	assert_non_null(strstr(khp_world_error(w), "page-table"));
	khp_world_set_check(w, true);
	T_WORLD_OK(w);
	khp_world_free(w);
	khp_program_free(&p);
}

static void test_api_page_table_limit(void **state)
{
	page_table_limit(512, 0);
	page_table_limit(8, KHP_OPF_HUGEPAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_unknown_mm),
		cmocka_unit_test(test_api_dead_mm),
		cmocka_unit_test(test_api_range_outside_vma),
		cmocka_unit_test(test_api_fork_child_in_use),
		cmocka_unit_test(test_api_zero_length),
		cmocka_unit_test(test_api_bad_op_fields),
		cmocka_unit_test(test_api_huge_addresses),
		cmocka_unit_test(test_api_bad_config),
		cmocka_unit_test(test_api_parsers),
		cmocka_unit_test(test_api_inspection_bad_args),
		cmocka_unit_test(test_api_run_reports_failing_step),
		cmocka_unit_test(test_api_program_too_long),
		cmocka_unit_test(test_api_vma_limit),
		cmocka_unit_test(test_api_page_table_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
