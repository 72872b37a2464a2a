/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * khp_test: the program builder and assertion helpers linked into every
 * CMocka unit test, in the manner of the kernel's tools/testing/vma: a test
 * builds a layout with one builder call per op, draws the PMD range it
 * asserts (assert_map), and states what it expects of each kernel in one
 * row of a table.
 *
 *   t_*()          push one op onto a struct khp_program (each returns the
 *                  step index of the op it pushed);
 *   assert_map()   the PMD map of a range in the alphabet of `khpsim
 *                  replay`, run-length encoded ("1. 256s 1E 254.");
 *   T_KERNELS()    run the program under linux-6.1, linux-6.12 and
 *                  linux-7.3 and check a table of rows
 *                  { probe, { 6.1, 6.12, 7.3 } }: a record field of a step,
 *                  a PTE, a folio, a total or a map;
 *   struct t_kw    one kernel's turn (run, then more ops applied by hand)
 *                  for tests that follow one folio across ops;
 *   T_RUN / T_EQ   one run under one profile and checks on its records;
 *   T_WORLD / T_W_EQ  a world built op by op and checks on it.
 *
 * A failed check prints file and line (of the row, for a table), profile,
 * what was looked at, expected and actual, then the PMD map of the range
 * (before the step for a record), and ends the test through cmocka's
 * _fail().
 *
 * Expected values come from the kernels' sources (the function and version
 * are named next to each test; docs/profiles.md lists the rules) or from
 * the real kernels (docs/oracle.md, docs/fidelity.md), never from the
 * simulator's output.
 */
#ifndef KHP_TEST_H
#define KHP_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <limits.h>
#include <cmocka.h>

#include <khpsim/khpsim.h>

/* mmap flags shorthands */
#define T_RW    KHP_OPF_WRITE
#define T_HUGE  KHP_OPF_HUGEPAGE
#define T_NOHUGE KHP_OPF_NOHUGEPAGE
#define T_UFFD  KHP_OPF_UFFD

/* The selftest's BASE_ADDR (1 GiB) in 4 KiB pages. */
#define T_SELFTEST_BASE 0x40000ull

#define T_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define T_SPEC_MAX      (8 * KHP_MAP_MAX)   /* a map spec's buffer */

extern const char *const t_kernel_profiles[KHP_NR_KERNELS];

#define for_each_kernel(k) for ((k) = 0; (k) < KHP_NR_KERNELS; (k)++)

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

/* ---- PMD maps (khp_test_map.c) ----------------------------------------- */
/*
 * A map spec is the PMD map of one range (khp_world_pmd_map(), the
 * alphabet of `khpsim replay`, khp_pmd_map_legend) run-length encoded:
 * tokens "<count><char>" separated by spaces, the count optional (1).
 *   '.' none  '0' zero page  'e'/'E' exclusive page (read-only/writable)
 *   's'/'S' page mapped twice or more (read-only/writable)  'w' swap entry
 *   'H' PMD-mapped THP  'z' huge zero page  '_' no page table
 *   '~' no VMA (the map's ' ', written visibly)
 * Because '0' is a digit, a count before it needs a '*': "508*0"; the '*'
 * is allowed before any character ("256*s").  The counts must add up to
 * pmd_pages.  Example: "1. 256s 1E 254." is one none PTE, 256 read-only
 * shared pages, one writable exclusive page and 254 none PTEs.
 */
/* Expand spec into out (pmd_pages + 1 bytes); 0, or -EINVAL with a reason in err. */
int t_map_expand(const char *spec, unsigned pmd_pages, char *out, size_t n,
		 char *err, size_t errlen);
/*
 * A spec from runs a test computes: pairs (count, char) of ints, ended by
 * a negative count; runs of 0 are left out.  Returns buf.
 *   T_MAP_RUNS(buf, N - n, 'E', n, '.')  ->  "512E" when n == 0
 */
const char *t_map_runs_(char *buf, size_t n, ...);
#define T_MAP_RUNS(buf, ...) t_map_runs_((buf), sizeof(buf), __VA_ARGS__, -1)
/* The run-length spec of a map (out should hold 8 * strlen(map) + 1 bytes). */
void t_map_spec(const char *map, char *out, size_t n);
/*
 * Compare a map with a spec; on a mismatch print "where", both specs and
 * the rows that differ, and return false.  ctx (may be NULL) is printed
 * first (the profile).
 */
bool t_map_matches(const char *ctx, const char *where, const char *map, unsigned pmd_pages,
		   const char *spec, const char *file, int line);
void t_assert_map_(const struct khp_world *w, unsigned mm, uint64_t addr, const char *spec,
		   const char *ctx, const char *file, int line);
#define assert_map(w, mm, addr, spec) \
	t_assert_map_((w), (mm), (addr), (spec), NULL, __FILE__, __LINE__)

/* Print a PMD map (pmd_pages chars) as rows of 64 with the page offset. */
void t_print_map(const char *title, const char *map);

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
/* The PMD map the run recorded before `step` is spec. */
void t_map_before_(struct t_run *r, size_t step, const char *spec, const char *file, int line);

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
#define T_MAP_BEFORE(r, step, spec) t_map_before_((r), (step), (spec), __FILE__, __LINE__)

/* ---- per-kernel tables (khp_test_rows.c) -------------------------------- */
/*
 * What a row looks at.  PTE and folio probes read the world after the
 * program; record probes read the record of a khugepaged / collapse step.
 */
enum t_probe_kind {
	TP_MAP,            /* PMD map of the range of (mm, addr): row.map */
	TP_MAP_BEFORE,     /* PMD map recorded before step: row.map */
	TP_KIND,           /* enum khp_pte_kind of the PTE at (mm, addr) */
	TP_ORDER,          /* order of the folio the PTE maps */
	TP_WRITE,
	TP_DIRTY,
	TP_YOUNG,
	TP_SUBPAGE,
	TP_SAME_FOLIO,     /* (mm, addr) and (mm2, addr2) map the same folio */
	TP_FOLIO,          /* a struct khp_folio_info field of the folio at (mm, addr) */
	TP_PAGE_MAPCOUNT,  /* khp_world_page_mapcount(folio at (mm, addr), sub) */
	TP_TOTAL,          /* a struct khp_totals field */
	TP_PMD_THPS,       /* totals.pmd_thps[mm] */
	TP_MM_ALIVE,
	TP_WORLD_OK,       /* khp_world_check() passes: 1 */
	TP_RESULT,         /* record of step: result */
	TP_ERRNO,          /* record of step: |err| (positive errno or 0) */
	TP_VERDICT,
	TP_REC,            /* record of step: a struct khp_record field */
	TP_MAX_FN_WASTE,   /* khp_run_max_fn_waste() of the run */
	TP_NR_KINDS
};

struct t_probe {
	enum t_probe_kind kind;
	unsigned mm, mm2;
	uint64_t addr, addr2;
	size_t step;
	unsigned sub;              /* TP_PAGE_MAPCOUNT */
	unsigned off, size;        /* TP_FOLIO / TP_TOTAL / TP_REC field */
	const char *name;          /* the field */
	int line;                  /* of the row */
};

#define T_PROBE(k, ...) { .kind = (k), .line = __LINE__, __VA_ARGS__ }
#define T_FIELD_(type, field) \
	.off = offsetof(type, field), .size = sizeof(((type *)0)->field), .name = #field

#define MAP(m, a)        T_PROBE(TP_MAP, .mm = (m), .addr = (a))
#define MAP_BEFORE(s)    T_PROBE(TP_MAP_BEFORE, .step = (s))
#define KIND(m, a)       T_PROBE(TP_KIND, .mm = (m), .addr = (a))
#define ORDER(m, a)      T_PROBE(TP_ORDER, .mm = (m), .addr = (a))
#define WRITE(m, a)      T_PROBE(TP_WRITE, .mm = (m), .addr = (a))
#define DIRTY(m, a)      T_PROBE(TP_DIRTY, .mm = (m), .addr = (a))
#define YOUNG(m, a)      T_PROBE(TP_YOUNG, .mm = (m), .addr = (a))
#define SUBPAGE(m, a)    T_PROBE(TP_SUBPAGE, .mm = (m), .addr = (a))
#define SAME_FOLIO(m, a, m2, a2) \
	T_PROBE(TP_SAME_FOLIO, .mm = (m), .addr = (a), .mm2 = (m2), .addr2 = (a2))
#define FOLIO(m, a, field) \
	T_PROBE(TP_FOLIO, .mm = (m), .addr = (a), T_FIELD_(struct khp_folio_info, field))
#define PAGE_MAPCOUNT(m, a, s) T_PROBE(TP_PAGE_MAPCOUNT, .mm = (m), .addr = (a), .sub = (s))
#define TOTAL(field)     T_PROBE(TP_TOTAL, T_FIELD_(struct khp_totals, field))
#define PAGES()          TOTAL(pages_in_use)
#define SWAP_SLOTS()     TOTAL(swap_slots_in_use)
#define PMD_THPS(m)      T_PROBE(TP_PMD_THPS, .mm = (m))
#define MM_ALIVE(m)      T_PROBE(TP_MM_ALIVE, .mm = (m))
#define WORLD_OK()       T_PROBE(TP_WORLD_OK)
#define RESULT(s)        T_PROBE(TP_RESULT, .step = (s))
#define ERRNO(s)         T_PROBE(TP_ERRNO, .step = (s))
#define VERDICT(s)       T_PROBE(TP_VERDICT, .step = (s))
#define REC(s, field)    T_PROBE(TP_REC, .step = (s), T_FIELD_(struct khp_record, field))
#define MAX_FN_WASTE()   T_PROBE(TP_MAX_FN_WASTE)

/* A row's expected value for a kernel that is not checked (6.1 has no such flag). */
#define NA LLONG_MIN

/*
 * One row: a probe and what each kernel must show, in enum khp_kernel
 * order (6.1, 6.12, 7.3); map probes take map specs (NULL: not checked).
 *   { ORDER(0, A), K3(0, 0, 9), "the write reuses the THP on 7.3" }
 *   { MAP(0, A), M3("1E 511e", "1E 511e", "512E") }
 */
struct t_row {
	struct t_probe probe;
	long long v[KHP_NR_KERNELS];
	const char *note;
	const char *map[KHP_NR_KERNELS];
};

#define K3(a, b, c) .v = { (long long)(a), (long long)(b), (long long)(c) }
#define ALL(x)      K3(x, x, x)
#define M3(a, b, c) .map = { (a), (b), (c) }
#define MALL(s)     M3(s, s, s)

/* One kernel's turn: the program (or its first ops) run, then its world. */
struct t_kw {
	enum khp_kernel k;
	const char *profile;
	const struct khp_program *p;
	struct khp_world *w;       /* the world after the ops played so far */
	struct khp_run run;        /* records of the steps run by t_kw_start_() */
	size_t played;             /* ops of p applied to w */
};

/* Run the first n ops of p under kernel k (records, maps, check on). */
void t_kw_start_(struct t_kw *t, const struct khp_program *p, enum khp_kernel k, size_t n,
		 const char *file, int line);
/* Apply ops [t->played, n) of p to the world (no records); each must succeed. */
void t_kw_play_(struct t_kw *t, size_t n, const char *file, int line);
/* Check rows against kernel t->k's column. */
void t_kw_rows_(struct t_kw *t, const struct t_row *rows, size_t nr, const char *file,
		int line);
/* One inline row: actual against exp[t->k]. */
void t_kw_eq_(struct t_kw *t, const char *what, long long actual, const long long exp[],
	      const char *file, int line);
void t_kw_end(struct t_kw *t);

#define T_KW_START(t, p, k, n) t_kw_start_((t), (p), (k), (n), __FILE__, __LINE__)
#define T_KW_PLAY(t, n)        t_kw_play_((t), (n), __FILE__, __LINE__)
#define T_KW_ROWS(t, rows)     t_kw_rows_((t), (rows), T_ARRAY_SIZE(rows), __FILE__, __LINE__)
/* The turn's world shows spec at (mm, addr) (every kernel alike). */
#define T_KW_MAP(t, mm, addr, spec) \
	t_assert_map_((t)->w, (mm), (addr), (spec), (t)->profile, __FILE__, __LINE__)
/* T_KW_EQ(t, "what", actual, 6.1, 6.12, 7.3) */
#define T_KW_EQ(t, what, act, e61, e612, e73) \
	t_kw_eq_((t), (what), (long long)(act), \
		 (const long long[KHP_NR_KERNELS]){ (e61), (e612), (e73) }, __FILE__, __LINE__)

/*
 * Run the first n ops of p under each kernel whose column holds a value
 * and check every row.
 */
void t_kernels_(const struct khp_program *p, size_t n, const struct t_row *rows, size_t nr,
		const char *file, int line);
#define T_KERNELS(p, rows) \
	t_kernels_((p), (p)->nr_ops, (rows), T_ARRAY_SIZE(rows), __FILE__, __LINE__)
#define T_KERNELS_AT(p, n, rows) \
	t_kernels_((p), (n), (rows), T_ARRAY_SIZE(rows), __FILE__, __LINE__)
/* The first nr rows of an array a test fills at run time. */
#define T_KERNELS_N(p, rows, nr) \
	t_kernels_((p), (p)->nr_ops, (rows), (nr), __FILE__, __LINE__)
/* The PMD map `step` saw (every kernel) and its result under each kernel. */
#define T_SCAN3(p, step, spec, r61, r612, r73) \
	t_kernels_((p), (p)->nr_ops, \
		   (const struct t_row[]){ { MAP_BEFORE(step), MALL(spec) }, \
					   { RESULT(step), K3(r61, r612, r73) } }, 2, \
		   __FILE__, __LINE__)
/* The result of `step` under each kernel. */
#define T_RESULTS3(p, step, r61, r612, r73) \
	t_kernels_((p), (p)->nr_ops, \
		   (const struct t_row[]){ { RESULT(step), K3(r61, r612, r73) } }, 1, \
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
/*
 * The shared predicate of each kernel for the PTE of mm mapping (folio,
 * sub), in one world: exp[k] for khp_kernel_rules(k)->shared.  A failure
 * prints the PMD map of (mm, addr).
 */
void t_shared3_(const struct khp_world *w, unsigned mm, uint64_t addr, uint32_t folio,
		unsigned sub, const long long exp[], const char *file, int line);
#define T_SHARED3(w, mm, addr, folio, sub, e61, e612, e73) \
	t_shared3_((w), (mm), (addr), (folio), (sub), \
		   (const long long[KHP_NR_KERNELS]){ (e61), (e612), (e73) }, __FILE__, __LINE__)
/* The world's invariants hold. */
void t_world_ok_(struct khp_world *w, const char *file, int line);
#define T_WORLD_OK(w) t_world_ok_((w), __FILE__, __LINE__)
long t_pages_in_use(const struct khp_world *w);
long t_swap_slots(const struct khp_world *w);

/* ---- failure output shared by the helpers -------------------------------- */
void t_print_op(const struct khp_program *p, size_t step);
void t_print_rec(const struct khp_record *rec);
/* "16389 (PMD range 32 + 5)" */
const char *t_addr_str(char *buf, size_t n, uint64_t addr, unsigned pmd_pages);

#endif /* KHP_TEST_H */
