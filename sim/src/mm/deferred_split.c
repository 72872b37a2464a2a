/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The deferred split queue's shrinker: deferred_split_scan() [6.1, 6.12,
 * 7.3], with thp_underused() on profiles with rule thp_shrinker.
 */
#include <stdlib.h>
#include <string.h>
#include "mm.h"

/* [6.12+] thp_underused(): more than max_ptes_none zero-filled subpages */
static bool thp_underused(const struct khp_world *w, const struct folio *f)
{
	unsigned zero = 0;

	if (!w->rules->thp_shrinker || !w->cfg.shrink_underused ||
	    w->cfg.max_ptes_none == pmd_nr(w) - 1)
		return false;
	for (unsigned i = 0; i < folio_nr_pages(f); i++)
		zero += !folio_data_c(f)[i];
	return zero > w->cfg.max_ptes_none;
}

/*
 * deferred_split_scan(): split the queued partially mapped folios (those
 * with extra references stay queued); 6.12+ also splits underused THPs and
 * drops the other fully mapped ones from the queue.
 */
void deferred_split_scan(struct khp_world *w)
{
	for (uint32_t id = 1; id < w->nr_folios; id++) {
		struct folio *f = folio_of(w, id);

		if (!f->refcount || !f->order || !(f->flags & FOLIO_DEFERRED))
			continue;
		if (!(f->flags & FOLIO_PARTIAL)) {
			if (!thp_underused(w, f) || f->pincount) {
				f->flags &= ~FOLIO_DEFERRED;
				continue;
			}
			split_pmd_mapped_folio(w, id);
			continue;
		}
		folio_split(w, id);
	}
}
