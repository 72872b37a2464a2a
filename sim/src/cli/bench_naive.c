/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The naive reference loop of `khpsim bench` (bench.h): the khugepaged PTE
 * scan of 6.1 written the obvious way, over a flat copy of one PMD range.
 *
 * The range is copied out of a world through the public inspection API
 * (khp_world_pte(), khp_world_folio(), khp_world_page_mapcount()) into an
 * array of 512 PTEs and an array of struct page stand-ins: one per mapped
 * page, plus a head page per large folio, as the kernel's memmap has.  The
 * loop then does, per PTE, what hpage_collapse_scan_pmd() [6.1] does: none
 * or zero page, swap entry, uffd-wp, writable, page_mapcount(page) > 1
 * against max_ptes_shared, compound_head(), is_refcount_suitable(), young or
 * referenced.  PageLRU, PageLocked and PageAnon hold for every page of the
 * model, so the loop has nothing to read for them.
 */
#include <errno.h>
#include <string.h>

#include "cli/bench.h"

#define NAIVE_PTE_WRITE 0x01u
#define NAIVE_PTE_YOUNG 0x02u
#define NAIVE_PTE_UFFD  0x04u

#define NAIVE_PG_REFERENCED 0x01u   /* PG_referenced */
#define NAIVE_PG_YOUNG      0x02u   /* PG_young (page_is_young()) */
#define NAIVE_PG_SWAPCACHE  0x04u

/* The head page of folio id in r, created at its first use. */
static int naive_head(const struct khp_world *w, struct naive_range *r, uint32_t id,
		      const uint32_t *head_folio, uint32_t *head)
{
	struct khp_folio_info fi;
	struct naive_page *h;

	for (unsigned i = 0; i < r->nr_pages; i++) {
		if (head_folio[i] == id && r->pages[i].head == i) {
			*head = i;
			return 0;
		}
	}
	if (khp_world_folio(w, id, &fi) || r->nr_pages >= 2 * BENCH_PMD_PAGES)
		return -EINVAL;
	*head = r->nr_pages++;
	h = &r->pages[*head];
	h->head = *head;
	h->compound_mapcount = fi.entire_mapcount;
	h->total_mapcount = fi.large_mapcount;
	h->refcount = fi.refcount;
	h->nr_pages = 1 << fi.order;
	h->flags = (fi.referenced ? NAIVE_PG_REFERENCED : 0) | (fi.young ? NAIVE_PG_YOUNG : 0) |
		   (fi.swapcache ? NAIVE_PG_SWAPCACHE : 0);
	h->mapcount = 0;
	return 0;
}

/* The struct page of present PTE info: the head itself for a small folio. */
static int naive_page(const struct khp_world *w, struct naive_range *r,
		      const struct khp_pte_info *info, uint32_t *head_folio, uint32_t *page)
{
	struct naive_page *p;
	uint32_t head;
	int mapcount = khp_world_page_mapcount(w, info->folio, info->subpage);

	if (naive_head(w, r, info->folio, head_folio, &head))
		return -EINVAL;
	head_folio[head] = info->folio;
	if (!info->order) {
		*page = head;
		r->pages[head].mapcount = mapcount;
		return 0;
	}
	if (r->nr_pages >= 2 * BENCH_PMD_PAGES)
		return -EINVAL;
	*page = r->nr_pages++;
	p = &r->pages[*page];
	memset(p, 0, sizeof(*p));
	p->head = head;
	p->mapcount = mapcount - r->pages[head].compound_mapcount;
	return 0;
}

int naive_range_build(const struct khp_world *w, uint64_t addr, struct naive_range *r)
{
	const struct khp_config *c = khp_world_config(w);
	uint32_t head_folio[2 * BENCH_PMD_PAGES];
	struct khp_pte_info info;
	uint64_t base = addr & ~(uint64_t)(BENCH_PMD_PAGES - 1);

	memset(r, 0, sizeof(*r));
	memset(head_folio, 0, sizeof(head_folio));
	if (c->pmd_pages != BENCH_PMD_PAGES)
		return -EINVAL;
	r->max_ptes_none = c->max_ptes_none;
	r->max_ptes_swap = c->max_ptes_swap;
	r->max_ptes_shared = c->max_ptes_shared;
	for (unsigned i = 0; i < BENCH_PMD_PAGES; i++) {
		struct naive_pte *pte = &r->ptes[i];

		if (khp_world_pte(w, 0, base + i, &info) || info.kind == KHP_PTE_PMD ||
		    info.kind == KHP_PTE_NO_TABLE)
			return -EINVAL;
		pte->kind = (uint8_t)info.kind;
		pte->flags = (info.write ? NAIVE_PTE_WRITE : 0) | (info.young ? NAIVE_PTE_YOUNG : 0) |
			     (info.uffd_wp ? NAIVE_PTE_UFFD : 0);
		if (info.kind == KHP_PTE_PRESENT && naive_page(w, r, &info, head_folio, &pte->page))
			return -EINVAL;
	}
	return 0;
}

/* is_refcount_suitable() [6.1] of a head page */
static bool naive_refcount_suitable(const struct naive_page *head)
{
	int expected = head->total_mapcount;

	if (head->flags & NAIVE_PG_SWAPCACHE)
		expected += head->nr_pages;
	return head->refcount == expected;
}

#define NAIVE_FAIL(r) do { res = (r); goto out; } while (0)

void naive_scan(const struct naive_range *r, struct naive_result *out)
{
	unsigned none = 0, unmapped = 0, shared = 0, referenced = 0;
	enum scan_result res;
	bool writable = false;

	for (unsigned i = 0; i < BENCH_PMD_PAGES; i++) {
		const struct naive_pte *pte = &r->ptes[i];
		const struct naive_page *page, *head;

		if (pte->kind == KHP_PTE_SWAP) {
			if (++unmapped > r->max_ptes_swap)
				NAIVE_FAIL(SCAN_EXCEED_SWAP_PTE);
			if (pte->flags & NAIVE_PTE_UFFD)
				NAIVE_FAIL(SCAN_PTE_UFFD_WP);
			continue;
		}
		if (pte->kind == KHP_PTE_NONE || pte->kind == KHP_PTE_ZERO) {
			if (r->uffd_armed || ++none > r->max_ptes_none)
				NAIVE_FAIL(SCAN_EXCEED_NONE_PTE);
			continue;
		}
		if (pte->flags & NAIVE_PTE_UFFD)
			NAIVE_FAIL(SCAN_PTE_UFFD_WP);
		if (pte->flags & NAIVE_PTE_WRITE)
			writable = true;
		page = &r->pages[pte->page];
		head = &r->pages[page->head];
		/* page_mapcount() [6.1]: the page's PTEs plus the folio's PMD mappings */
		if (page->mapcount + head->compound_mapcount > 1 && ++shared > r->max_ptes_shared)
			NAIVE_FAIL(SCAN_EXCEED_SHARED_PTE);
		if (!naive_refcount_suitable(head))
			NAIVE_FAIL(SCAN_PAGE_COUNT);
		if ((pte->flags & NAIVE_PTE_YOUNG) ||
		    (head->flags & (NAIVE_PG_YOUNG | NAIVE_PG_REFERENCED)))
			referenced++;
	}
	if (!writable)
		res = SCAN_PAGE_RO;
	else if (!referenced || (unmapped && referenced < BENCH_PMD_PAGES / 2))
		res = SCAN_LACK_REFERENCED_PAGE;
	else
		res = SCAN_SUCCEED;
out:
	out->result = res;
	out->none_or_zero = none;
	out->unmapped = unmapped;
	out->shared = shared;
	out->referenced = referenced;
	out->writable = writable;
}

void naive_record(const struct naive_result *n, struct khp_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->op = KHP_OP_KHUGEPAGED;
	rec->result = n->result;
	rec->none_or_zero = n->none_or_zero;
	rec->unmapped = n->unmapped;
	rec->referenced = n->referenced;
	rec->shared = n->shared;
	rec->writable = n->writable;
}
