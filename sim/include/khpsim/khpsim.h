/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * khpsim: a khugepaged collapse-policy simulator.
 *
 * Public API of libkhpsim.  A *program* (config + ops) is run in a *world*
 * (mms, VMAs, page tables, folios) under one *profile* (a kernel's rules,
 * optionally with the exact per-page sharing oracle).  Every khugepaged /
 * collapse step yields a struct khp_record (its fields: docs/model.md).
 *
 * Error convention (the only one in the project): a function returning int
 * returns 0 on success or a negative errno-like code:
 *   -EINVAL  malformed argument (bad op field, bad config, zero-length range)
 *   -ENOENT  unknown or dead mm
 *   -EFAULT  address range not covered by VMAs of that mm
 *   -EEXIST  id already in use (fork child)
 *   -ERANGE  number outside its allowed range (address space, op size)
 *   -ENOMEM  a world limit was hit (pages in use, VMAs)
 *   -E2BIG   program longer than KHP_MAX_OPS
 *   -EUCLEAN an invariant of the world is broken (a simulator bug)
 *   -EBUSY   inside the model only: a folio cannot be split now
 *            (split_folio()); the callers carry on as the kernel does
 * Functions that can fail for a reason a user must read also leave a
 * one-line message (khp_world_error(), struct khp_run.errmsg, or a msg
 * buffer argument); khp_world_new() has none: khp_config_check() and
 * khp_rules_check() say why a config or profile is refused.  Positive
 * errno values are data, never return codes: khp_record.err is the errno
 * MADV_COLLAPSE returned to the modelled program.
 *
 * Addresses and lengths are in pages (virtual page numbers); PMD range k
 * covers [k * pmd_pages, (k + 1) * pmd_pages).
 */
#ifndef KHPSIM_KHPSIM_H
#define KHPSIM_KHPSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "khpsim/rules.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits ---------------------------------------------------------- */
#define KHP_PMD_PAGES_MIN   8u
#define KHP_PMD_PAGES_MAX   512u
#define KHP_MAX_MMS         16u           /* mm ids are 0..KHP_MAX_MMS-1 */
#define KHP_MAX_OPS         100000u       /* ops in one program */
#define KHP_MAX_PASSES      31u           /* khugepaged daemon passes in one op */
#define KHP_ADDR_LIMIT      (1ull << 32)  /* pages (16 TiB of 4 KiB pages) */
#define KHP_MAX_OP_PAGES    (1u << 20)    /* pages one op may cover */
#define KHP_MAX_PAGES_IN_USE (1u << 22)   /* pages allocated in one world */
#define KHP_MAX_VMAS        4096u         /* VMAs per mm */
/* Page-table entries in one world: every populated PMD entry (a PTE table or
 * a huge mapping) counts pmd_pages, so a world holds at most
 * KHP_MAX_PTES / pmd_pages PMD entries (16384 at 512 pages). */
#define KHP_MAX_PTES        (1u << 23)
#define KHP_MAP_MAX         (KHP_PMD_PAGES_MAX + 1)
#define KHP_PMD_ORDER_MAX   9u            /* log2(KHP_PMD_PAGES_MAX) */

/* ---- profiles -------------------------------------------------------- */
enum khp_kernel {
	KHP_LINUX_6_1,
	KHP_LINUX_6_12,
	KHP_LINUX_7_3,
	KHP_NR_KERNELS
};

/*
 * A profile: a row of the rules table (khpsim/rules.h), named as the user
 * wrote it.  The kernel profiles are "linux-6.1", "linux-6.12" and
 * "linux-7.3"; "+exact" replaces the shared predicate by the oracle.
 */
#define KHP_PROFILE_NAME_MAX 64

struct khp_profile {
	enum khp_kernel kernel;          /* the row it starts from (names, emit-c, oracle) */
	struct khp_rules rules;
	char name[KHP_PROFILE_NAME_MAX];
};

/* The rules of kernel k's row, or NULL. */
const struct khp_rules *khp_kernel_rules(enum khp_kernel k);
/* Kernel k's own profile ("linux-6.12"). */
struct khp_profile khp_profile_kernel(enum khp_kernel k);
/*
 * "linux-6.1", "linux-6.12" or "linux-7.3", then any number of "+exact"
 * (rule shared = exact) and "+RULE=VALUE" (khpsim/rules.h names):
 * "linux-6.12+shared=page_mapcount".  0, or -EINVAL with a one-line
 * message naming the bad part and listing the valid choices.
 */
int khp_profile_parse_msg(const char *s, struct khp_profile *out, char *msg, size_t len);
int khp_profile_parse(const char *s, struct khp_profile *out);
/* Set one rule by name and value name ("shared", "exact"); 0 or -EINVAL with msg. */
int khp_profile_set_rule(struct khp_profile *p, const char *rule, const char *value,
			 char *msg, size_t len);
/* The profile's rules are exactly its kernel's row (emit-c and the oracle can run it). */
bool khp_profile_is_kernel(const struct khp_profile *p);
const char *khp_profile_name(const struct khp_profile *p);
/* The shared predicate is the oracle's. */
bool khp_profile_exact(const struct khp_profile *p);
/* Same name (the identity a user gave a profile). */
bool khp_profile_same(const struct khp_profile *a, const struct khp_profile *b);
const char *khp_kernel_name(enum khp_kernel k);

/* ---- configuration (sysfs knobs and world shape) ---------------------- */
enum khp_thp_mode { KHP_THP_NEVER, KHP_THP_MADVISE, KHP_THP_ALWAYS };
const char *khp_thp_mode_name(enum khp_thp_mode m);   /* "never", "madvise", "always" */
int khp_thp_mode_parse(const char *s, enum khp_thp_mode *out);

struct khp_config {
	unsigned pmd_pages;        /* HPAGE_PMD_NR: power of two, 8..512 */
	unsigned max_ptes_none;    /* 0..pmd_pages-1 */
	unsigned max_ptes_swap;    /* 0..pmd_pages-1 */
	unsigned max_ptes_shared;  /* 0..pmd_pages-1 */
	enum khp_thp_mode thp;     /* transparent_hugepage/enabled */
	bool use_zero_page;        /* transparent_hugepage/use_zero_page (huge zero page) */
	bool swap;                 /* a swap device exists: pageout can swap */
	bool shrink_underused;     /* transparent_hugepage/shrink_underused (6.12+) */
	uint32_t mthp_orders;      /* bit o: hugepages-<4K<<o>/enabled=always, 2 <= o < PMD order */
};

/* Kernel defaults for pmd_pages (none = n-1, swap = n/8, shared = n/2),
 * except thp = madvise as the kernel selftests use. */
void khp_config_default(struct khp_config *c, unsigned pmd_pages);
/* 0 or -EINVAL/-ERANGE; msg (may be NULL) names the offending field
 * (the range rules of the knob table, khpsim/knobs.h). */
int khp_config_check(const struct khp_config *c, char *msg, size_t msglen);
unsigned khp_pmd_order(unsigned pmd_pages);

/* ---- operations (docs/scenario-format.md, "Ops") ----------------------- */
enum khp_op_type {
	KHP_OP_MMAP,
	KHP_OP_TOUCH,
	KHP_OP_FORK,
	KHP_OP_EXIT,
	KHP_OP_DONTNEED,
	KHP_OP_MUNMAP,
	KHP_OP_MREMAP,
	KHP_OP_MPROTECT,
	KHP_OP_MADVISE,
	KHP_OP_PIN,
	KHP_OP_UNPIN,
	KHP_OP_AGE,
	KHP_OP_KHUGEPAGED,
	KHP_OP_COLLAPSE,
	KHP_OP_SPLIT,
	KHP_OP_FAIL_ALLOC,
	KHP_NR_OPS
};

enum khp_advice {
	KHP_ADV_HUGEPAGE,
	KHP_ADV_NOHUGEPAGE,
	KHP_ADV_PAGEOUT,
	KHP_ADV_COLD,
	KHP_ADV_FREE,
	KHP_NR_ADVICE
};

/* khp_op.flags */
#define KHP_OPF_WRITE      0x01u  /* touch: write access; mmap/mprotect: PROT_WRITE */
#define KHP_OPF_HUGEPAGE   0x02u  /* mmap: MADV_HUGEPAGE right after mmap */
#define KHP_OPF_NOHUGEPAGE 0x04u  /* mmap: MADV_NOHUGEPAGE right after mmap */
#define KHP_OPF_UFFD       0x08u  /* mmap: userfaultfd-registered (WP mode) */
#define KHP_OPF_TO         0x10u  /* mremap: `to` is set (MREMAP_MAYMOVE|FIXED) */
#define KHP_OPF_NEW_PAGES  0x20u  /* mremap: `new_pages` is set */
#define KHP_OPF_RANGE      0x40u  /* age: addr/pages given (else the whole mm) */

struct khp_op {
	uint8_t type;      /* enum khp_op_type */
	uint8_t advice;    /* enum khp_advice, for KHP_OP_MADVISE */
	uint8_t flags;     /* KHP_OPF_* */
	uint32_t mm;       /* acting mm */
	uint32_t child;    /* fork: the new mm id */
	uint64_t addr;     /* first page */
	uint64_t pages;    /* length in pages */
	uint64_t to;       /* mremap destination */
	uint64_t new_pages;/* mremap new length */
	uint32_t count;    /* fail_alloc: allocations to fail; khugepaged: daemon passes (0: one range) */
};

const char *khp_op_name(enum khp_op_type t);          /* "mmap", ... */
int khp_op_parse(const char *s, enum khp_op_type *out);
const char *khp_advice_name(enum khp_advice a);       /* "hugepage", ... */
int khp_advice_parse(const char *s, enum khp_advice *out);
/* Field-level check of one op against a config (not against a world). */
int khp_op_check(const struct khp_op *op, const struct khp_config *c, char *msg, size_t msglen);

struct khp_program {
	struct khp_config config;
	struct khp_op *ops;
	size_t nr_ops, cap;
};

void khp_program_init(struct khp_program *p, const struct khp_config *c);
int khp_program_push(struct khp_program *p, const struct khp_op *op); /* -E2BIG, -ENOMEM */
void khp_program_free(struct khp_program *p);
int khp_program_copy(struct khp_program *dst, const struct khp_program *src);

/* ---- results ---------------------------------------------------------- */
/* The union of the three kernels' enum scan_result (mm/khugepaged.c). */
enum scan_result {
	SCAN_FAIL,
	SCAN_SUCCEED,
	SCAN_PMD_NULL,             /* 6.1, 6.12 */
	SCAN_PMD_NONE,             /* 6.1, 6.12 */
	SCAN_NO_PTE_TABLE,         /* 7.3 */
	SCAN_PMD_MAPPED,
	SCAN_EXCEED_NONE_PTE,
	SCAN_EXCEED_SWAP_PTE,
	SCAN_EXCEED_SHARED_PTE,
	SCAN_PTE_NON_PRESENT,
	SCAN_PTE_UFFD_WP,          /* 6.1, 6.12 */
	SCAN_PTE_UFFD,             /* 7.3 */
	SCAN_PTE_MAPPED_HUGEPAGE,
	SCAN_PAGE_RO,              /* 6.1, 6.12 */
	SCAN_LACK_REFERENCED_PAGE,
	SCAN_PAGE_NULL,
	SCAN_SCAN_ABORT,
	SCAN_PAGE_COUNT,
	SCAN_PAGE_LRU,
	SCAN_PAGE_LOCK,
	SCAN_PAGE_ANON,
	SCAN_PAGE_LAZYFREE,        /* 7.3 */
	SCAN_PAGE_COMPOUND,
	SCAN_ANY_PROCESS,
	SCAN_VMA_NULL,
	SCAN_VMA_CHECK,
	SCAN_ADDRESS_RANGE,
	SCAN_DEL_PAGE_LRU,
	SCAN_ALLOC_HUGE_PAGE_FAIL,
	SCAN_CGROUP_CHARGE_FAIL,
	SCAN_TRUNCATED,
	SCAN_PAGE_HAS_PRIVATE,
	SCAN_STORE_FAILED,
	SCAN_COPY_MC,              /* 6.12, 7.3 */
	SCAN_PAGE_FILLED,          /* 6.12, 7.3 */
	SCAN_PAGE_DIRTY_OR_WRITEBACK, /* 7.3 */
	KHP_NOT_VISITED,           /* khugepaged would not visit this range */
	KHP_NR_RESULTS
};

const char *khp_result_name(enum scan_result r);     /* "SCAN_SUCCEED", "not_visited" */
int khp_result_parse(const char *s, enum scan_result *out);
bool khp_result_exists(enum khp_kernel k, enum scan_result r);
/* The tracepoint's status string in kernel k ("succeeded", "exceed_shared_pte"). */
const char *khp_result_trace(enum scan_result r);

enum khp_verdict {
	KHP_VERDICT_NONE,          /* not a khugepaged scan (collapse, not visited) */
	KHP_VERDICT_AGREE,
	KHP_VERDICT_FALSE_NEGATIVE,
	KHP_VERDICT_FALSE_POSITIVE,
	KHP_NR_VERDICTS
};
const char *khp_verdict_name(enum khp_verdict v);    /* "none", "agree", ... */
int khp_verdict_parse(const char *s, enum khp_verdict *out);

const char *khp_errno_name(int err);                 /* 0 -> "0", EINVAL -> "EINVAL" */
int khp_errno_parse(const char *s, int *out);

/* What one khugepaged / collapse step recorded (docs/model.md). */
struct khp_record {
	uint32_t step;             /* index into the program */
	uint8_t op;                /* KHP_OP_KHUGEPAGED or KHP_OP_COLLAPSE */
	enum scan_result result;
	int err;                   /* collapse: errno MADV_COLLAPSE returns (0 on success) */
	bool collapsed;            /* a huge page (PMD or mTHP) was installed */
	unsigned nr_collapsed;     /* huge pages installed by this step */
	unsigned none_or_zero, unmapped, referenced, shared;
	bool writable;             /* 6.1 / 6.12 tracepoint field */
	unsigned shared_exact, shared_profile;
	/* the exact count when the isolate round failed at max_ptes_shared (the verdict's) */
	unsigned isolate_shared_exact;
	enum khp_verdict verdict;
	long alloc_pages, freed_pages, fill_pages, dup_pages, waste_pages;
	long fn_waste_pages;       /* dup_pages of a false_negative collapse, else 0 */
	/* the cost beyond memory (docs/model.md#the-cost-of-a-collapse) */
	long copied_pages;         /* present PTEs' pages copied (copy_user_highpage()) */
	long ptes_cleared;         /* old PTEs cleared: present and zero-page ones (ptep_clear()) */
	long tlb_flushes;          /* pmdp_collapse_flush(): one flush_tlb_range() of the PMD range */
	/* the khugepaged daemon (op.count passes): which pass visited which range */
	uint16_t pass;             /* 1-based; 0 for a one-range khugepaged op or a collapse */
	uint8_t mm;
	uint64_t addr;             /* first page of the PMD range */
	long pages_in_use;         /* after the visit (every record) */
};

/*
 * What the collapses of a run cost beyond memory: the sums of the records'
 * copied_pages, fill_pages, ptes_cleared, tlb_flushes and freed_pages.
 */
struct khp_collapse_cost {
	long copied_pages, fill_pages, ptes_cleared, tlb_flushes, freed_pages;
};

struct khp_totals {
	long pages_in_use;         /* allocated small pages (THP = pmd_pages) */
	unsigned nr_mms;           /* mm ids ever created */
	unsigned pmd_thps[KHP_MAX_MMS]; /* PMD-mapped THPs per mm */
	unsigned long large_folios, large_folio_pages;
	unsigned long meta_per_page_bytes;  /* 4-byte _mapcount per page of large folios */
	unsigned long meta_per_folio_bytes; /* MM-ID slots: 16 bytes per large folio */
	long swap_slots_in_use;
	unsigned long folios_by_order[KHP_PMD_ORDER_MAX + 1]; /* mapped large folios (order >= 2) */
	struct khp_collapse_cost cost;  /* summed over every khugepaged / collapse record */
};

/* The totals after one daemon pass (step: the op's index). */
struct khp_pass {
	uint32_t step;
	uint16_t pass;             /* 1-based */
	bool changed;              /* a range collapsed (else the daemon stopped here) */
	struct khp_totals totals;
};

/* ---- the world -------------------------------------------------------- */
struct khp_world;

int khp_world_new(const struct khp_config *c, struct khp_profile p, struct khp_world **out);
void khp_world_free(struct khp_world *w);
/* Back to the initial state (mm 0 alive and empty) without freeing memory. */
void khp_world_reset(struct khp_world *w);
/* Check the invariants after every op; a broken one aborts naming it. */
void khp_world_set_check(struct khp_world *w, bool on);
/*
 * Apply one op.  For khugepaged/collapse ops *rec (if not NULL) is filled.
 * Returns 0, or a negative error: the op is one the kernel would refuse
 * (khp_world_error() says why); the world is unchanged in that case.
 */
int khp_world_apply(struct khp_world *w, const struct khp_op *op, struct khp_record *rec);

/*
 * Where the records of a khugepaged daemon op (op.count passes) go: one per
 * visited PMD range (record() may refuse with a negative error, which stops
 * the op), and the totals after each pass.
 */
struct khp_daemon_sink {
	int (*record)(void *arg, const struct khp_record *rec);
	void (*pass)(void *arg, const struct khp_pass *pass);
	void *arg;
};
/* khp_world_apply(), with the daemon's records going to sink (may be NULL). */
int khp_world_apply_sink(struct khp_world *w, const struct khp_op *op, struct khp_record *rec,
			 const struct khp_daemon_sink *sink);
const char *khp_world_error(const struct khp_world *w);
/*
 * Make dst an exact copy of src (same pmd_pages; dst's profile and config
 * become src's).  0, -EINVAL (different pmd_pages) or -ENOMEM (dst is then
 * reset).  Applying the same op to both gives the same world and record.
 */
int khp_world_copy(struct khp_world *dst, const struct khp_world *src);
/*
 * The canonical bytes of w (mm/canon.c): two worlds with the same bytes
 * behave the same under every program.  Folio ids, swap slots and anon_vma
 * ids are renumbered in order of first appearance (mms in id order, VMAs,
 * PMD entries and PTEs in address order), the khugepaged list order is kept
 * as ranks; event counters and caches are left out.  *buf (capacity *cap)
 * is grown with realloc; returns the length, or 0 with -ENOMEM in *err.
 */
size_t khp_world_canon(const struct khp_world *w, uint8_t **buf, size_t *cap, int *err);
/* 0, or -EUCLEAN with the first broken invariant in msg. */
int khp_world_check(struct khp_world *w, char *msg, size_t msglen);
void khp_world_totals(const struct khp_world *w, struct khp_totals *t);
const struct khp_config *khp_world_config(const struct khp_world *w);

/*
 * PMD map of the range containing addr in mm: one char per PTE, NUL-ended.
 *   '.' none  '0' zero page  'e'/'E' exclusive page (read-only/writable)
 *   's'/'S' page mapped by another mm too (read-only/writable)
 *   'w' swap entry  'H' PMD-mapped THP (whole range)  '_' no page table
 *   ' ' outside any VMA
 * buf must hold pmd_pages + 1 bytes.
 */
int khp_world_pmd_map(const struct khp_world *w, unsigned mm, uint64_t addr, char *buf, size_t n);
extern const char khp_pmd_map_legend[];

/* Inspection, mainly for tests. */
enum khp_pte_kind { KHP_PTE_NONE, KHP_PTE_ZERO, KHP_PTE_PRESENT, KHP_PTE_SWAP, KHP_PTE_PMD, KHP_PTE_NO_TABLE };
struct khp_pte_info {
	enum khp_pte_kind kind;
	bool write, young, dirty, uffd_wp;
	uint32_t folio;            /* folio id (PRESENT/PMD) or swap slot (SWAP) */
	unsigned subpage;
	unsigned order;
};
int khp_world_pte(const struct khp_world *w, unsigned mm, uint64_t addr, struct khp_pte_info *out);

struct khp_folio_info {
	unsigned order;
	int refcount;
	int entire_mapcount;       /* PMD mappings */
	int large_mapcount;        /* all PTE + PMD mappings (folio_mapcount) */
	int nr_pages_mapped;       /* subpages with their own PTE mapping */
	unsigned mm_id[2];         /* MM-ID slots (0 = free) */
	int mm_id_mapcount[2];     /* natural counts (0 when free) */
	bool maybe_shared;         /* the MM-ID "maybe mapped shared" bit */
	bool swapcache, deferred_split, partially_mapped, lazyfree, referenced, young, pinned;
};
int khp_world_folio(const struct khp_world *w, uint32_t folio, struct khp_folio_info *out);
/* page_mapcount(subpage) as 6.1 computes it: PTEs of this subpage + PMD mappings. */
int khp_world_page_mapcount(const struct khp_world *w, uint32_t folio, unsigned subpage);
/* The shared predicate `rule` for a PTE of mm mapping (folio, subpage). */
bool khp_world_page_shared(const struct khp_world *w, enum khp_shared_rule rule,
			   unsigned mm, uint32_t folio, unsigned subpage);
unsigned khp_world_mm_id(const struct khp_world *w, unsigned mm);
bool khp_world_mm_alive(const struct khp_world *w, unsigned mm);

/* ---- running programs ------------------------------------------------- */
struct khp_run;

/*
 * Progress of a long run: progress() is called after each op that brings
 * the work done past a multiple of progress_work (default
 * KHP_PROGRESS_WORK), where an op counts KHP_PROGRESS_OP_WORK plus the
 * pages it covers (pmd_pages for a khugepaged visit).  Counted in ops, so
 * the calls do not depend on the machine or the clock.
 */
#define KHP_PROGRESS_OP_WORK 512u
#define KHP_PROGRESS_WORK    (1ull << 29)    /* a few seconds of a release build */

struct khp_run_opts {
	bool check;                /* invariant checker after every op */
	bool maps;                 /* record the PMD map before each step */
	void (*progress)(void *arg, const struct khp_run *run, size_t done, size_t nr_ops);
	void *progress_arg;
	uint64_t progress_work;    /* 0: KHP_PROGRESS_WORK */
};

struct khp_run {
	struct khp_profile profile;
	struct khp_record *recs;   /* one per khugepaged / collapse op, one per daemon visit */
	char (*maps)[KHP_MAP_MAX]; /* if opts.maps: maps[i] belongs to recs[i] ("" for daemon visits) */
	size_t nr_recs, cap_recs;
	struct khp_pass *passes;   /* the totals after every daemon pass */
	size_t nr_passes, cap_passes;
	struct khp_totals totals;
	int err;                   /* 0, or the first op's error */
	size_t err_step;
	char errmsg[192];
};

/* Run p under prof in a fresh world.  Returns run->err. */
int khp_run_program(const struct khp_program *p, struct khp_profile prof,
		    const struct khp_run_opts *opts, struct khp_run *run);
/* Same, reusing w (reset first); no allocation for the world. */
int khp_run_in(struct khp_world *w, const struct khp_program *p,
	       const struct khp_run_opts *opts, struct khp_run *run);
void khp_run_free(struct khp_run *run);
/* The record of program step `step`, or NULL (binary search: records are in step order). */
const struct khp_record *khp_run_record(const struct khp_run *run, size_t step);

/* Largest fn_waste_pages over a run's records. */
long khp_run_max_fn_waste(const struct khp_run *run);

#ifdef __cplusplus
}
#endif
#endif /* KHPSIM_KHPSIM_H */
