/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal structures of the simulator core.
 *
 * One struct khp_world owns everything: mms (VMAs + page tables), the folio
 * pool, the swap slots.  Folios and swap slots are named by 32-bit ids
 * (index into their pool, 0 = none) because the pools are reallocated.
 *
 * Invariants (checked by check.c after every op, and after every collapse
 * attempt, when enabled):
 *  - a folio's counters equal what the page tables of all live mms imply:
 *    pmc[i] = PTEs mapping subpage i, entire_mapcount = PMDs mapping it,
 *    large_mapcount = all of them, nr_pages_mapped = #{i : pmc[i] > 0};
 *  - refcount = large_mapcount + pincount + (swapcache ? nr_pages : 0)
 *    + the entries of the lru_add batch naming it;
 *  - the derived folio flags match the counters (folio_derive()), and a
 *    large folio's multi bitmap has bit i set iff pmc[i] > 1, nr_multi bits;
 *  - MM-ID slots (large folios) follow folio_add_return_large_mapcount()
 *    [7.3] (docs/kernel-rules.md#73-mm-id-tracking): a slot's count never exceeds
 *    the mappings its mm really holds, and a free slot has count 0;
 *  - a free folio is mapped nowhere; every allocated folio is referenced;
 *  - swap slot count = swap PTEs referring to it; a slot with neither PTEs
 *    nor a swap-cache folio is free.
 */
#ifndef KHPSIM_MM_H
#define KHPSIM_MM_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "khpsim/khpsim.h"

#define KHP_PUD_PMDS 512u   /* PMD entries per PUD (PTRS_PER_PMD) */

/* ---- PTEs and PMDs --------------------------------------------------- */
enum pte_kind { PTE_NONE, PTE_ZERO, PTE_PRESENT, PTE_SWAP };

#define PTE_WRITE  0x01u   /* pte_write */
#define PTE_YOUNG  0x02u   /* pte_young (accessed) */
#define PTE_DIRTY  0x04u   /* pte_dirty */
#define PTE_UFFD   0x08u   /* pte_uffd_wp / pte_swp_uffd_wp */
#define PTE_EXCL   0x10u   /* PageAnonExclusive / pte_swp_exclusive */

struct pte {
	uint32_t val;      /* folio id (PRESENT) or swap slot id (SWAP) */
	uint16_t subpage;  /* page index inside the folio */
	uint8_t kind;      /* enum pte_kind */
	uint8_t flags;     /* PTE_* */
};

/* A PTE as one 64-bit word: val, subpage, kind, flags from the low bits up. */
static inline uint64_t pte_word(const struct pte *pte)
{
	uint64_t x;

	__builtin_memcpy(&x, pte, sizeof(x));
	return x;
}

#define PTE_WORD_SUBPAGE  (1ull << 32)    /* the word of the next subpage of the same folio */
#define PTE_WORD_FLAGS(f) ((uint64_t)(f) << 56)    /* PTE_* bits f in the word */

static inline void pte_set_word(struct pte *pte, uint64_t x)
{
	__builtin_memcpy(pte, &x, sizeof(x));
}

_Static_assert(sizeof(struct pte) == 8 && __builtin_offsetof(struct pte, val) == 0 &&
	       __builtin_offsetof(struct pte, subpage) == 4 &&
	       __builtin_offsetof(struct pte, kind) == 6 &&
	       __builtin_offsetof(struct pte, flags) == 7, "pte_word() layout");

enum pmd_kind { PMD_TABLE, PMD_HUGE, PMD_HUGE_ZERO };

struct pmd {
	uint64_t index;    /* PMD range number */
	uint8_t kind;      /* enum pmd_kind; a missing entry is pmd_none */
	uint8_t flags;     /* PTE_* for huge mappings */
	uint32_t folio;    /* PMD_HUGE */
	struct pte *ptes;  /* PMD_TABLE: pmd_pages entries */
};

/* ---- VMAs and mms ---------------------------------------------------- */
#define VM_WRITE      0x01u
#define VM_HUGEPAGE   0x02u
#define VM_NOHUGEPAGE 0x04u
#define VM_UFFD_WP    0x08u

struct vma {
	uint64_t start, end;   /* pages, [start, end) */
	uint64_t pgoff;        /* vm_pgoff: travels with the pages on mremap */
	uint32_t anon_vma;     /* 0 until the first anonymous fault */
	uint8_t flags;         /* VM_* */
};

struct mm {
	bool alive;
	bool registered;       /* MMF_VM_HUGEPAGE: on khugepaged's list */
	bool has_pinned;       /* MMF_HAS_PINNED */
	uint32_t reg_seq;      /* registration order: khugepaged's mm_slot list */
	uint32_t mm_id;        /* MM-ID (7.3), 1-based */
	struct vma *vmas;      /* sorted by start, non-overlapping */
	uint32_t nr_vmas, cap_vmas;
	struct pmd *pmds;      /* sorted by index */
	uint32_t nr_pmds, cap_pmds;
	uint64_t *puds;        /* populated PUD entries, sorted */
	uint32_t nr_puds, cap_puds;
	uint32_t pmd_hint, vma_hint;   /* last lookups (validated before use) */
};

/* ---- folios ---------------------------------------------------------- */
/* Page flags, and the folio's state the scan needs in one word (see below). */
#define FOLIO_DIRTY       0x001u  /* PG_dirty (6.1 PMD split moves the dirty bit here) */
#define FOLIO_SWAPCACHE   0x002u
#define FOLIO_DEFERRED    0x004u  /* on the deferred split queue */
#define FOLIO_PARTIAL     0x008u  /* queued as partially mapped */
#define FOLIO_SHARED_BIT  0x010u  /* MM-ID "maybe mapped shared" */
#define FOLIO_REFERENCED  0x020u  /* PG_referenced */
#define FOLIO_YOUNG       0x040u  /* PG_young (6.12+) */
#define FOLIO_LAZYFREE    0x080u  /* anon && !swapbacked: MADV_FREE'd */
#define FOLIO_MULTI_MAPPED 0x100u /* derived: large_mapcount > 1 */
#define FOLIO_EXTRA_REFS  0x200u  /* derived: refcount != mappings + swap cache */
#define FOLIO_LARGE       0x400u  /* derived: order > 0 */
/*
 * The derived bits are a cache of the counters, so that the khugepaged scan
 * reads one word per small folio (khugepaged/scan.c): folio_derive() renews
 * them wherever refcount or large_mapcount change (folio_get/put, rmap's
 * mapcount updates, allocation, split); the checker compares them with the
 * counters.  Bits 0x020..0x400 are the scan's table index, above the PTE's
 * five bits.
 */
#define FOLIO_DERIVED     (FOLIO_MULTI_MAPPED | FOLIO_EXTRA_REFS | FOLIO_LARGE)

struct folio {
	int32_t refcount;          /* 0: free */
	int32_t entire_mapcount;   /* PMD mappings */
	int32_t large_mapcount;    /* PTE + PMD mappings (also for small folios) */
	int32_t nr_pages_mapped;   /* subpages with >= 1 PTE mapping */
	int32_t pincount;
	uint32_t mm_id[2];
	int32_t mm_id_mapcount[2];
	uint32_t swap;             /* swap slot while in the swap cache */
	uint16_t flags;            /* FOLIO_* */
	uint8_t order;
	uint8_t data0;             /* small folio: content is not zero */
	int16_t pmc0;              /* small folio: pmc[0] */
	uint16_t nr_multi;         /* large folio: subpages with pmc > 1 (bits of folio_multi()) */
	/*
	 * Large folio: per-subpage PTE mapcounts, inside one block with the
	 * multi bitmap before them (bit i set iff pmc[i] > 1) and the
	 * per-subpage "not zero" bytes after them (folio_multi(), folio_data()).
	 */
	int16_t *pmc;
	union {
		uint32_t next_free;    /* free folio: the free list */
		uint32_t mark;         /* collapse: seen in this isolate round */
	};
};

/* Renew the derived bits of f from its counters. */
static inline void folio_derive(struct folio *f)
{
	int cache = (f->flags & FOLIO_SWAPCACHE) ? 1 << f->order : 0;
	unsigned fl = f->flags & ~FOLIO_DERIVED;

	if (f->large_mapcount > 1)
		fl |= FOLIO_MULTI_MAPPED;
	if (f->refcount != f->large_mapcount + cache)
		fl |= FOLIO_EXTRA_REFS;
	if (f->order)
		fl |= FOLIO_LARGE;
	f->flags = (uint16_t)fl;
}

struct swap_slot {
	uint32_t count;            /* swap PTEs referring to it */
	uint32_t folio;            /* swap-cache folio, 0 if none */
	uint8_t data;              /* content was not zero */
	uint8_t used;
};

struct pin {
	uint32_t mm, folio;
	uint64_t addr;
};

/* ---- event counters (the kernel's PGALLOC / PGFREE vm events) --------- */
struct vm_events {
	long pgalloc;                 /* pages ever allocated */
	long pgfree;                  /* pages ever freed */
};

/*
 * ---- the per-CPU lru_add batch (cpu_fbatches.lru_add) ------------------
 * folio_putback_lru() -> folio_add_lru() holds one reference on each small
 * folio until the batch drains.  Only collapse puts folios back in the
 * model (khugepaged/collapse.c); every other folio is on the LRU.
 */
#define LRU_BATCH_MAX 31u    /* the largest PAGEVEC_SIZE / FOLIO_BATCH_SIZE */

struct lru_batch {
	uint32_t folio[LRU_BATCH_MAX];   /* folio ids, one reference each */
	unsigned nr;
};

/* A free list of same-sized blocks (pool.c). */
struct pool {
	void **items;
	uint32_t nr, cap;
};

/* ---- the world ------------------------------------------------------- */
#define KHP_SCAN_TAB_SIZE 2064u  /* khugepaged/scan.c: folio bits x PTE bits, non-present */

struct khp_world {
	struct khp_config cfg;
	struct khp_profile prof;
	const struct khp_rules *rules; /* &prof.rules: what the model asks */
	unsigned pmd_order;
	unsigned nr_mms;              /* ids ever created */
	struct mm mms[KHP_MAX_MMS];
	struct folio *folios;         /* folios[0] unused */
	uint32_t nr_folios, cap_folios, free_folio;
	struct swap_slot *swap;       /* swap[0] unused */
	uint32_t nr_swap, cap_swap, free_swap;
	uint32_t next_anon_vma;
	uint32_t next_reg_seq;        /* __khugepaged_enter() appends to the list */
	uint32_t fail_alloc;
	long pages_in_use;
	long swap_in_use;
	bool check;
	bool in_fault;                /* inside handle_mm_fault(): lru_gen_in_fault() */
	struct vm_events vm_events;   /* read by khugepaged's per-step accounting */
	struct khp_collapse_cost cost; /* the records' cost fields summed (record_step_end()) */
	struct lru_batch lru_add;     /* empty between khugepaged / collapse steps */
	uint32_t *scratch;            /* 2 * pmd_pages ids, for scan/collapse */
	struct pool tables;           /* freed page tables (pool.c) */
	void *check_arena;            /* the invariant checker's tables (check.c) */
	size_t check_cap;
	struct pool metas[KHP_PMD_ORDER_MAX + 1]; /* freed large-folio metadata, per order */
	uint32_t mark_gen;
	struct pin *pins;             /* long-term GUP pins: (mm, folio) */
	uint32_t nr_pins, cap_pins;
	/* khugepaged/scan.c: what a small folio's PTE adds to the sums, per context */
	uint64_t scan_tab[2][KHP_SCAN_TAB_SIZE];
	bool scan_tab_ready;          /* built from the rules at the first scan */
	char err[192];
};

/* ---- world.c --------------------------------------------------------- */
int array_reserve(void *arrp, uint32_t *cap, uint32_t need, size_t size, uint32_t min);
int array_insert(void *arrp, uint32_t *nr, uint32_t *cap, uint32_t at, size_t size, uint32_t min);
int khp_err(struct khp_world *w, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct mm *mm_get(struct khp_world *w, unsigned id);
int mm_get_range(struct khp_world *w, const struct khp_op *op, struct mm **out);
static inline unsigned pmd_nr(const struct khp_world *w) { return w->cfg.pmd_pages; }
static inline uint64_t pmd_index(const struct khp_world *w, uint64_t addr)
{
	return addr >> w->pmd_order;
}

/* The part [*from, *to) of PMD range idx that [start, end) covers, as PTE indices. */
static inline void pmd_clip(const struct khp_world *w, uint64_t idx, uint64_t start, uint64_t end,
			    unsigned *from, unsigned *to)
{
	uint64_t base = idx << w->pmd_order;

	*from = start > base ? (unsigned)(start - base) : 0;
	*to = end < base + pmd_nr(w) ? (unsigned)(end - base) : pmd_nr(w);
}

/* ---- folio.c --------------------------------------------------------- */
static inline struct folio *folio_of(const struct khp_world *w, uint32_t id)
{
	return &w->folios[id];
}
static inline unsigned folio_nr_pages(const struct folio *f) { return 1u << f->order; }
static inline int16_t *folio_pmc(struct folio *f) { return f->order ? f->pmc : &f->pmc0; }
static inline const int16_t *folio_pmc_c(const struct folio *f) { return f->order ? f->pmc : &f->pmc0; }
/* Words of the multi bitmap of a folio of nr pages. */
static inline unsigned folio_multi_words(unsigned nr) { return (nr + 63) / 64; }
static inline uint64_t *folio_multi(const struct folio *f)
{
	return (uint64_t *)(void *)f->pmc - folio_multi_words(folio_nr_pages(f));
}
static inline uint8_t *folio_data(struct folio *f)
{
	return f->order ? (uint8_t *)(f->pmc + folio_nr_pages(f)) : &f->data0;
}
static inline const uint8_t *folio_data_c(const struct folio *f)
{
	return f->order ? (const uint8_t *)(f->pmc + folio_nr_pages(f)) : &f->data0;
}
/* ---- pool.c --------------------------------------------------------- */
struct pte *pte_table_alloc(struct khp_world *w, bool zero);
void pte_table_free(struct khp_world *w, struct pte *ptes);
size_t folio_meta_size(unsigned order);
uint64_t *folio_meta_alloc(struct khp_world *w, unsigned order);
void folio_meta_put(struct khp_world *w, uint64_t *block, unsigned order);
void folio_meta_free(struct khp_world *w, struct folio *f);
void pool_release_all(struct khp_world *w);
int folio_alloc(struct khp_world *w, unsigned order, uint32_t *id);
void folio_get(struct khp_world *w, uint32_t id, int refs);
void folio_put(struct khp_world *w, uint32_t id, int refs);
bool folio_alloc_huge_fails(struct khp_world *w);
int folio_split(struct khp_world *w, uint32_t id);
void free_swap_cache(struct khp_world *w, uint32_t id);
void folio_free_swap(struct khp_world *w, uint32_t id);
void swap_slot_release(struct khp_world *w, uint32_t slot);

/*
 * The folio flags that make a page referenced for khugepaged (the scan and
 * the isolate round): PG_referenced, and PG_young under rule
 * young_referenced (folio_test_young() [6.12, 7.3]); a young PTE counts too.
 */
static inline unsigned folio_referenced_mask(const struct khp_rules *r)
{
	return FOLIO_REFERENCED | (r->young_referenced ? FOLIO_YOUNG : 0);
}

/* ---- rmap.c ---------------------------------------------------------- */
void rmap_add_ptes(struct khp_world *w, uint32_t id, unsigned sub, unsigned nr, struct mm *mm);
void rmap_remove_ptes(struct khp_world *w, uint32_t id, unsigned sub, unsigned nr, struct mm *mm);
void rmap_add_pmd(struct khp_world *w, uint32_t id, struct mm *mm);
void rmap_remove_pmd(struct khp_world *w, uint32_t id, struct mm *mm);
void map_anon_folio_pmd(struct khp_world *w, struct mm *mm, struct pmd *pmd, uint32_t id,
			uint8_t flags);
typedef int (*pmd_walk_fn)(struct khp_world *w, struct mm *mm, struct pmd *pmd, void *arg);
int pmd_walk(struct khp_world *w, pmd_walk_fn fn, void *arg);
/* map_anon_folio_pte_nopf() [7.3]: map the nr pages of the new folio id at ptes[0..nr). */
static inline void map_anon_folio_pte(struct khp_world *w, struct mm *mm, struct pte *ptes,
				      uint32_t id, unsigned nr, uint8_t flags)
{
	folio_get(w, id, (int)nr - 1);
	for (unsigned i = 0; i < nr; i++) {
		ptes[i].kind = PTE_PRESENT;
		ptes[i].val = id;
		ptes[i].subpage = (uint16_t)i;
		ptes[i].flags = flags;
	}
	rmap_add_ptes(w, id, 0, nr, mm);
}

/* 6.1 page_mapcount(): PTEs of this subpage + PMD mappings of the folio */
static inline int page_mapcount(const struct folio *f, unsigned sub)
{
	return folio_pmc_c(f)[sub] + f->entire_mapcount;
}

/* 6.12 folio_likely_mapped_shared() (include/linux/mm.h) */
static inline bool folio_likely_mapped_shared(const struct folio *f)
{
	int mapcount = f->large_mapcount;

	if (!f->order)
		return mapcount > 1;
	if (mapcount <= 1)
		return false;
	if (f->entire_mapcount || mapcount > (int)folio_nr_pages(f))
		return true;
	return f->pmc[0] > 1;   /* guess from the first subpage */
}

/* 7.3 folio_maybe_mapped_shared() with CONFIG_MM_ID */
static inline bool folio_maybe_mapped_shared(const struct folio *f)
{
	if (!f->order)
		return f->large_mapcount > 1;
	if (f->large_mapcount <= 1)
		return false;
	return f->flags & FOLIO_SHARED_BIT;
}
bool page_shared(enum khp_shared_rule rule, const struct folio *f, unsigned sub);
/* Of the n pages of large folio f from subpage sub (all mapped): how many have page_mapcount > 1. */
unsigned folio_pages_multi(const struct folio *f, unsigned sub, unsigned n);
/* The offset from subpage sub of the k-th (1-based) such page of f at or after sub. */
unsigned folio_multi_select(const struct folio *f, unsigned sub, unsigned k);

/* ---- vma.c ----------------------------------------------------------- */
struct vma *vma_find(struct mm *mm, uint64_t addr);
bool vma_range_covered(struct mm *mm, uint64_t start, uint64_t end);
int vma_split_at(struct khp_world *w, struct mm *mm, uint64_t addr);
int vma_isolate_range(struct khp_world *w, struct mm *mm, uint64_t start, uint64_t end);
void vma_merge_around(struct khp_world *w, struct mm *mm, uint64_t start, uint64_t end);
void vma_khugepaged_enter(struct khp_world *w, struct mm *mm, const struct vma *v);
uint32_t vma_collapse_orders(const struct khp_world *w, const struct vma *v, bool khugepaged);
bool khugepaged_enabled(const struct khp_world *w);
int vma_insert(struct khp_world *w, struct mm *mm, const struct vma *v);
void vma_remove_range(struct mm *mm, uint64_t start, uint64_t end);
void vma_anon_prepare(struct khp_world *w, struct mm *mm, struct vma *v);
bool vma_thp_eligible(const struct khp_world *w, const struct vma *v, bool enforce_sysfs);
bool vma_range_free(struct mm *mm, uint64_t start, uint64_t end);
bool vma_thp_policy(const struct khp_world *w, const struct vma *v, bool enforce_sysfs);

/* ---- pgtable.c ------------------------------------------------------- */
struct pmd *__pmd_lookup(struct mm *mm, uint64_t index);

/* The PMD entry of range index, NULL for pmd_none; consecutive lookups hit the last one. */
static inline struct pmd *pmd_lookup(struct mm *mm, uint64_t index)
{
	uint32_t i = mm->pmd_hint;

	if (i < mm->nr_pmds && mm->pmds[i].index == index)
		return &mm->pmds[i];
	return __pmd_lookup(mm, index);
}
int pmd_alloc_table(struct khp_world *w, struct mm *mm, uint64_t index, struct pmd **out);
int pmd_alloc_huge(struct khp_world *w, struct mm *mm, uint64_t index, struct pmd **out);
void pmd_free_entry(struct khp_world *w, struct mm *mm, uint64_t index);
bool pud_present(struct mm *mm, uint64_t pmd_idx);
void pud_free_unused(struct mm *mm, unsigned pmd_order);
int split_huge_pmd(struct khp_world *w, struct mm *mm, uint64_t index);
struct pte *pte_lookup(struct khp_world *w, struct mm *mm, uint64_t addr);
unsigned folio_pte_batch(const struct pte *ptes, unsigned max, uint8_t same);
/* folio_pte_batch() with every PTE bit the same */
static inline unsigned pte_run(const struct pte *ptes, unsigned max)
{
	return folio_pte_batch(ptes, max, 0xff);
}
int pte_alloc(struct khp_world *w, struct mm *mm, uint64_t addr, struct pte **out);

/* ---- zap.c ----------------------------------------------------------- */
void zap_pte(struct khp_world *w, struct mm *mm, struct pte *pte);
int zap_range(struct khp_world *w, struct mm *mm, uint64_t start, uint64_t end, bool free_tables);
void zap_mm(struct khp_world *w, struct mm *mm);
void free_pgtables(struct khp_world *w, struct mm *mm, uint64_t start, uint64_t end);

/* ---- fault.c --------------------------------------------------------- */
int handle_mm_fault(struct khp_world *w, struct mm *mm, uint64_t addr, bool write);
int do_swap_page(struct khp_world *w, struct mm *mm, struct vma *v, struct pte *pte, bool write);

/* ---- ops ------------------------------------------------------------- */
int op_fork(struct khp_world *w, unsigned parent, unsigned child);
int op_mremap(struct khp_world *w, const struct khp_op *op);
int op_madvise(struct khp_world *w, const struct khp_op *op);
int op_mprotect(struct khp_world *w, const struct khp_op *op);
int op_pin(struct khp_world *w, const struct khp_op *op, bool pin);
int op_age(struct khp_world *w, const struct khp_op *op);
void deferred_split_scan(struct khp_world *w);
int swap_out_pte(struct khp_world *w, struct mm *mm, struct pte *pte);
int swap_out_folio_ptes(struct khp_world *w, struct mm *mm, struct pte *ptes, unsigned n);
int swap_out_pmd(struct khp_world *w, struct mm *mm, uint64_t idx);
int split_pmd_mapped_folio(struct khp_world *w, uint32_t id);
void unpin_mm(struct khp_world *w, unsigned mm);
int op_munmap_range(struct khp_world *w, struct mm *mm, uint64_t start, uint64_t end);
int op_mmap(struct khp_world *w, const struct khp_op *op);
int op_zap(struct khp_world *w, const struct khp_op *op);
int op_exit(struct khp_world *w, const struct khp_op *op);
int op_touch(struct khp_world *w, const struct khp_op *op);

/* ---- lru.c ----------------------------------------------------------- */
void lru_add_drain(struct khp_world *w);
void folio_putback_lru(struct khp_world *w, uint32_t id);

/* ---- check.c --------------------------------------------------------- */
int world_check(struct khp_world *w, char *msg, size_t len);

#endif
