/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The per-CPU lru_add batch (cpu_fbatches.lru_add, mm/swap.c) that
 * folio_putback_lru() fills.  It drains when an add fills it
 * (folio_batch_add() returns no space left), when a large folio is added
 * (folio_may_be_lru_cached()), after a swap-in (__collapse_huge_page_swapin())
 * and at the start of every khugepaged and MADV_COLLAPSE pass
 * (lru_add_drain_all()).  The model also drains it at the end of each step
 * (docs/known-differences.md).
 */
#include "mm.h"

/* [6.1] PAGEVEC_SIZE is 15; [6.12] PAGEVEC_SIZE and [7.3] FOLIO_BATCH_SIZE are 31 */
static unsigned lru_batch_size(const struct khp_world *w)
{
	return w->rules->lru_batch == KHP_LRU_BATCH_15 ? 15u : 31u;
}

/* lru_add_drain(): folio_batch_move_lru() drops the batch's references */
void lru_add_drain(struct khp_world *w)
{
	struct lru_batch *b = &w->lru_add;

	for (unsigned i = 0; i < b->nr; i++)
		folio_put(w, b->folio[i], 1);
	b->nr = 0;
}

/*
 * folio_putback_lru() of an isolated small folio: folio_add_lru() takes the
 * batch's reference (the isolation reference it then drops is not modelled).
 */
void folio_putback_lru(struct khp_world *w, uint32_t id)
{
	struct lru_batch *b = &w->lru_add;

	folio_get(w, id, 1);
	b->folio[b->nr++] = id;
	if (b->nr == lru_batch_size(w))
		lru_add_drain(w);
}
