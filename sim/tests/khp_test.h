/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * khp_test: the program builder and assertion helpers linked into every
 * CMocka unit test.
 *
 * A test builds a struct khp_program with the t_*() op builders (each
 * returns the step index of the op it pushed), runs it under one profile
 * with the invariant checker on (T_RUN), and checks the record of a step
 * with T_EQ / T_RESULT / T_ERRNO.  A failed check prints file, line, step,
 * profile, field, expected and actual values, then the PMD map recorded
 * before that step, in the style of tools/testing/vma.
 *
 * World-level tests (predicates, ops) play a program into a world with
 * t_world() and inspect it through the public khp_world_* functions; their
 * checks (T_W_EQ) print the PMD map of the range being looked at.
 *
 * Every expected value in the tests comes from kernel-reference.md (KR) or
 * oracle.md, never from the simulator's output.
 */
#ifndef KHP_TEST_H
#define KHP_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <cmocka.h>

#include <khpsim/khpsim.h>

/* mmap flags shorthands */
#define T_RW    KHP_OPF_WRITE
#define T_HUGE  KHP_OPF_HUGEPAGE
#define T_NOHUGE KHP_OPF_NOHUGEPAGE
#define T_UFFD  KHP_OPF_UFFD

/* The selftest's BASE_ADDR (1 GiB) in 4 KiB pages. */
#define T_SELFTEST_BASE 0x40000ull

extern const char *const t_kernel_profiles[KHP_NR_KERNELS];

/* ---- program builder ------------------------------------------------- */
/* Kernel-default config for pmd_pages (khp_config_default) and no ops. */
void t_prog(struct khp_program *p, unsigned pmd_pages);
static inline struct khp_config *t_cfg(struct khp_program *p)
{
	return &p->config;
}
struct khp_op t_op(enum khp_op_type type, unsigned mm, uint64_t addr, uint64_t pages);
size_t t_push(struct khp_program *p, const struct khp_op *op);
size_t t_mmap(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages, unsigned flags);
size_t t_touch(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages, bool write);
size_t t_fork(struct khp_program *p, unsigned mm, unsigned child);
size_t t_exit(struct khp_program *p, unsigned mm);
size_t t_dontneed(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages);
size_t t_munmap(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages);
/* to / new_pages are used when KHP_OPF_TO / KHP_OPF_NEW_PAGES are in flags */
size_t t_mremap(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages,
		unsigned flags, uint64_t to, uint64_t new_pages);
size_t t_mprotect(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages, bool write);
size_t t_madvise(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages,
		 enum khp_advice adv);
size_t t_pin(struct khp_program *p, unsigned mm, uint64_t addr);
size_t t_unpin(struct khp_program *p, unsigned mm, uint64_t addr);
size_t t_age(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages);
size_t t_age_mm(struct khp_program *p, unsigned mm);
size_t t_khugepaged(struct khp_program *p, unsigned mm, uint64_t addr);
size_t t_collapse(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages);
size_t t_split(struct khp_program *p);
size_t t_fail_alloc(struct khp_program *p, unsigned count);

/* ---- running programs ------------------------------------------------ */
struct t_run {
	struct khp_run run;
	const struct khp_program *p;
	const char *profile;
};

/* Run p under profile ("linux-6.12", ...) with check + maps on; the run must succeed. */
void t_run_(struct t_run *r, const struct khp_program *p, const char *profile,
	    const char *file, int line);
/* Same, but the run may fail; returns run.err. */
int t_run_may_fail(struct t_run *r, const struct khp_program *p, const char *profile);
void t_run_free(struct t_run *r);
const struct khp_record *t_rec_(struct t_run *r, size_t step, const char *file, int line);
void t_eq_(struct t_run *r, size_t step, const char *field, long long actual,
	   long long expected, const char *file, int line);
void t_result_(struct t_run *r, size_t step, enum scan_result expected,
	       const char *file, int line);
void t_errno_(struct t_run *r, size_t step, int expected, const char *file, int line);
void t_verdict_(struct t_run *r, size_t step, enum khp_verdict expected,
		const char *file, int line);
/* A check on the run's totals (pages_in_use, ...). */
void t_total_eq_(struct t_run *r, const char *field, long long actual, long long expected,
		 const char *file, int line);

#define T_RUN(r, p, prof)   t_run_((r), (p), (prof), __FILE__, __LINE__)
#define T_REC(r, step)      t_rec_((r), (step), __FILE__, __LINE__)
#define T_EQ(r, step, field, exp) \
	t_eq_((r), (step), #field, (long long)T_REC((r), (step))->field, (long long)(exp), \
	      __FILE__, __LINE__)
#define T_RESULT(r, step, exp)  t_result_((r), (step), (exp), __FILE__, __LINE__)
/* exp: a positive errno (EINVAL) or 0; the record's sign is not judged. */
#define T_ERRNO(r, step, exp)   t_errno_((r), (step), (exp), __FILE__, __LINE__)
#define T_VERDICT(r, step, exp) t_verdict_((r), (step), (exp), __FILE__, __LINE__)
#define T_TOTAL(r, field, exp) \
	t_total_eq_((r), #field, (long long)(r)->run.totals.field, (long long)(exp), \
		    __FILE__, __LINE__)

/*
 * Run p under each kernel profile and check the result of `step`:
 * expected[k] for enum khp_kernel k.
 */
void t_results3_(const struct khp_program *p, size_t step, const enum scan_result expected[3],
		 const char *file, int line);
#define T_RESULTS3(p, step, r61, r612, r73) \
	t_results3_((p), (step), (const enum scan_result[3]){ (r61), (r612), (r73) }, \
		    __FILE__, __LINE__)

/* ---- worlds ------------------------------------------------------------ */
/* A new world (check on) with every op of p applied (each must return 0). */
struct khp_world *t_world_(const struct khp_program *p, const char *profile,
			   const char *file, int line);
#define T_WORLD(p, prof) t_world_((p), (prof), __FILE__, __LINE__)
/* Apply ops [from, p->nr_ops) of p; each must return 0. */
void t_world_play_(struct khp_world *w, const struct khp_program *p, size_t from,
		   const char *file, int line);
#define T_PLAY(w, p, from) t_world_play_((w), (p), (from), __FILE__, __LINE__)
/* The folio id mapped at (mm, addr): the PTE must be present or PMD-mapped. */
uint32_t t_folio_at_(const struct khp_world *w, unsigned mm, uint64_t addr,
		     const char *file, int line);
#define T_FOLIO_AT(w, mm, addr) t_folio_at_((w), (mm), (addr), __FILE__, __LINE__)
struct khp_pte_info t_pte_(const struct khp_world *w, unsigned mm, uint64_t addr,
			   const char *file, int line);
#define T_PTE(w, mm, addr) t_pte_((w), (mm), (addr), __FILE__, __LINE__)
struct khp_folio_info t_folio_(const struct khp_world *w, uint32_t folio,
			       const char *file, int line);
#define T_FOLIO(w, id) t_folio_((w), (id), __FILE__, __LINE__)
/* Check: on failure print what, values, and the PMD map of (mm, addr). */
void t_w_eq_(const struct khp_world *w, unsigned mm, uint64_t addr, const char *what,
	     long long actual, long long expected, const char *file, int line);
#define T_W_EQ(w, mm, addr, what, act, exp) \
	t_w_eq_((w), (mm), (addr), (what), (long long)(act), (long long)(exp), __FILE__, __LINE__)
/* The world's invariants hold. */
void t_world_ok_(const struct khp_world *w, const char *file, int line);
#define T_WORLD_OK(w) t_world_ok_((w), __FILE__, __LINE__)
long t_pages_in_use(const struct khp_world *w);

/* Print a PMD map (pmd_pages chars) as rows of 64 with the page offset. */
void t_print_map(const char *title, const char *map);

#endif /* KHP_TEST_H */
