/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The world's free lists of page tables and large-folio metadata blocks:
 * what the kernel's page-table and folio allocators are to it.  A freed
 * block goes on its list and the next allocation of that kind takes it
 * back, so a program that ran before costs no malloc() the second time, and
 * a world reset costs what the last program used.  Under AddressSanitizer a
 * block on a list is poisoned, so a use after free is still reported.
 */
#include <stdlib.h>
#include <string.h>
#include "mm.h"

#if defined(__SANITIZE_ADDRESS__)
#define KHP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KHP_ASAN 1
#endif
#endif

#ifdef KHP_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* Take a block of size bytes from the list, zeroed if asked, or malloc() one. */
static void *pool_take(struct pool *pl, size_t size, bool zero)
{
	void *p;

	if (!pl->nr)
		return zero ? calloc(1, size) : malloc(size);
	p = pl->items[--pl->nr];
	UNPOISON(p, size);
	if (zero)
		memset(p, 0, size);
	return p;
}

/* Put a block back (free() it if the list cannot grow). */
static void pool_put(struct pool *pl, void *p, size_t size)
{
	if (!p)
		return;
	if (array_reserve(&pl->items, &pl->cap, pl->nr + 1, sizeof(*pl->items), 16)) {
		free(p);
		return;
	}
	POISON(p, size);
	pl->items[pl->nr++] = p;
}

static void pool_drain(struct pool *pl, size_t size)
{
	for (uint32_t i = 0; i < pl->nr; i++) {
		UNPOISON(pl->items[i], size);
		free(pl->items[i]);
	}
	free(pl->items);
	memset(pl, 0, sizeof(*pl));
}

static size_t table_size(const struct khp_world *w)
{
	return pmd_nr(w) * sizeof(struct pte);
}

/* The metadata of a folio of 2^order pages: multi bitmap, subpage mapcounts, contents. */
size_t folio_meta_size(unsigned order)
{
	unsigned nr = 1u << order;

	return folio_multi_words(nr) * sizeof(uint64_t) + nr * (sizeof(int16_t) + 1);
}

/* pte_alloc_one(): a page table; zero: all pte_none (else the caller writes every entry) */
struct pte *pte_table_alloc(struct khp_world *w, bool zero)
{
	return pool_take(&w->tables, table_size(w), zero);
}

/* pte_free() */
void pte_table_free(struct khp_world *w, struct pte *ptes)
{
	pool_put(&w->tables, ptes, table_size(w));
}

/* A zeroed metadata block for a large folio (folio_multi() .. folio_data()). */
uint64_t *folio_meta_alloc(struct khp_world *w, unsigned order)
{
	return pool_take(&w->metas[order], folio_meta_size(order), true);
}

/* A metadata block of a folio of 2^order pages goes back to its list. */
void folio_meta_put(struct khp_world *w, uint64_t *block, unsigned order)
{
	pool_put(&w->metas[order], block, folio_meta_size(order));
}

/* A large folio's metadata block goes back to its list. */
void folio_meta_free(struct khp_world *w, struct folio *f)
{
	if (f->order && f->pmc)
		folio_meta_put(w, folio_multi(f), f->order);
	f->pmc = NULL;
}

void pool_release_all(struct khp_world *w)
{
	pool_drain(&w->tables, table_size(w));
	for (unsigned o = 0; o <= KHP_PMD_ORDER_MAX; o++)
		pool_drain(&w->metas[o], folio_meta_size(o));
}
