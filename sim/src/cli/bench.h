/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `khpsim bench` inside the command: the scan layouts (bench_layouts.c),
 * the naive reference loop every measurement is compared with
 * (bench_naive.c) and the measurements (bench.c).
 */
#ifndef KHPSIM_CLI_BENCH_H
#define KHPSIM_CLI_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "khpsim/khpsim.h"

#define BENCH_PMD_PAGES  512u
#define BENCH_BASE       1024u   /* first page of the benchmark range */

/* ---- bench_layouts.c ----------------------------------------------------- */

/* What one scan layout is, and what its scan must report. */
struct scan_layout {
	const char *name;         /* "full-shared": measured as scan/full-shared */
	bool needs_writable_gate; /* only profiles with rule writable_gate */
	void (*config)(struct khp_config *c);
	int (*build)(struct khp_world *w);
	/* 0, or a nonzero value after writing the reason into msg. */
	int (*verify)(const struct khp_world *w, const struct khp_record *r,
		      char *msg, size_t n);
};

extern const struct scan_layout bench_layouts[];
extern const unsigned bench_nr_layouts;

/* khp_world_apply() of op, with a message on stderr when it fails. */
int bench_apply(struct khp_world *w, struct khp_op op);
struct khp_op bench_op(enum khp_op_type type, unsigned mm, uint64_t addr, uint64_t pages,
		       uint8_t flags);
struct khp_op bench_fork_op(unsigned mm, unsigned child);

/* ---- bench_naive.c ------------------------------------------------------- */

/*
 * The naive reference: a flat array of 512 PTEs and the struct pages they
 * map, and hpage_collapse_scan_pmd() [6.1] written as the obvious loop over
 * it (one page read per present PTE).  It is what every measurement is
 * compared with, in the same process and interleaved with it.
 */
struct naive_pte {
	uint32_t page;            /* index into naive_range.pages (present PTEs) */
	uint8_t kind;             /* enum khp_pte_kind: none, zero, present, swap */
	uint8_t flags;            /* NAIVE_PTE_* */
};

struct naive_page {
	int32_t mapcount;         /* this page's PTE mappings (_mapcount + 1) */
	int32_t compound_mapcount; /* head: PMD mappings of the folio */
	int32_t total_mapcount;   /* head: every mapping of the folio */
	int32_t refcount;         /* head: page_count() */
	int32_t nr_pages;         /* head: folio_nr_pages() */
	uint32_t head;            /* index of the head page (itself when small) */
	uint32_t flags;           /* head: NAIVE_PG_* */
};

struct naive_range {
	struct naive_pte ptes[BENCH_PMD_PAGES];
	struct naive_page pages[2 * BENCH_PMD_PAGES];
	unsigned nr_pages;
	unsigned max_ptes_none, max_ptes_swap, max_ptes_shared;
	bool uffd_armed;          /* userfaultfd_armed(vma); no bench layout is */
};

/* What the naive loop found: the fields of a khp_record it fills. */
struct naive_result {
	enum scan_result result;
	unsigned none_or_zero, unmapped, referenced, shared;
	bool writable;
};

/* The naive range of mm 0's PMD range at addr in w (the layout just built). */
int naive_range_build(const struct khp_world *w, uint64_t addr, struct naive_range *r);
/* One khugepaged scan of r [6.1]. */
void naive_scan(const struct naive_range *r, struct naive_result *out);
/* The record fields of a naive result (for the layouts' verify functions). */
void naive_record(const struct naive_result *n, struct khp_record *rec);

#endif
