/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The world's lifecycle (new, reset, free), its pools (array_reserve,
 * array_insert), the error message and the mm lookups every op uses.
 */
#include <stdlib.h>
#include <string.h>
#include "mm.h"

int khp_err(struct khp_world *w, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	return code;
}

const char *khp_world_error(const struct khp_world *w)
{
	return w->err;
}

/*
 * Grow the array whose pointer is at arrp (capacity *cap, doubling from
 * min) to hold need elements of size bytes; new slots are zeroed.  The
 * pools and tables of the world all grow this way.  0 or -ENOMEM.
 */
int array_reserve(void *arrp, uint32_t *cap, uint32_t need, size_t size, uint32_t min)
{
	uint32_t n = *cap ? *cap : min;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	memcpy(&p, arrp, sizeof(p));
	p = realloc(p, (size_t)n * size);
	if (!p)
		return -ENOMEM;
	memset((char *)p + (size_t)*cap * size, 0, (size_t)(n - *cap) * size);
	memcpy(arrp, &p, sizeof(p));
	*cap = n;
	return 0;
}

/* Open a zeroed slot at index at of a sorted array of *nr elements. */
int array_insert(void *arrp, uint32_t *nr, uint32_t *cap, uint32_t at, size_t size, uint32_t min)
{
	char *p;
	int ret = array_reserve(arrp, cap, *nr + 1, size, min);

	if (ret)
		return ret;
	memcpy(&p, arrp, sizeof(p));
	memmove(p + (size_t)(at + 1) * size, p + (size_t)at * size, (size_t)(*nr - at) * size);
	memset(p + (size_t)at * size, 0, size);
	(*nr)++;
	return 0;
}

struct mm *mm_get(struct khp_world *w, unsigned id)
{
	if (id >= w->nr_mms || !w->mms[id].alive) {
		khp_err(w, -ENOENT, "mm %u does not exist or has exited", id);
		return NULL;
	}
	return &w->mms[id];
}

/* The acting mm of op, whose VMAs must cover [addr, addr + pages) without a hole. */
int mm_get_range(struct khp_world *w, const struct khp_op *op, struct mm **out)
{
	struct mm *mm = mm_get(w, op->mm);

	if (!mm)
		return -ENOENT;
	if (!vma_range_covered(mm, op->addr, op->addr + op->pages))
		return khp_err(w, -EFAULT, "%s: [%#llx, %#llx) is not mapped in mm %u",
			       khp_op_name((enum khp_op_type)op->type), (unsigned long long)op->addr,
			       (unsigned long long)(op->addr + op->pages), op->mm);
	*out = mm;
	return 0;
}

const struct khp_config *khp_world_config(const struct khp_world *w)
{
	return &w->cfg;
}

static void world_init_state(struct khp_world *w)
{
	w->nr_mms = 1;
	w->mms[0].alive = true;
	w->mms[0].mm_id = 1;
}

int khp_world_new(const struct khp_config *c, struct khp_profile p, struct khp_world **out)
{
	struct khp_world *w;
	char msg[128];

	if (khp_config_check(c, msg, sizeof(msg)) || (unsigned)p.kernel >= KHP_NR_KERNELS ||
	    !p.name[0] || khp_rules_check(&p.rules, msg, sizeof(msg)))
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->cfg = *c;
	w->prof = p;
	w->rules = &w->prof.rules;
	w->pmd_order = khp_pmd_order(c->pmd_pages);
	w->scratch = calloc(2 * (size_t)c->pmd_pages, sizeof(uint32_t));
	if (!w->scratch) {
		free(w);
		return -ENOMEM;
	}
#ifdef KHP_CHECK_DEFAULT
	w->check = true;
#endif
	world_init_state(w);
	*out = w;
	return 0;
}

static void world_release(struct khp_world *w)
{
	for (unsigned m = 0; m < KHP_MAX_MMS; m++) {
		struct mm *mm = &w->mms[m];

		for (uint32_t i = 0; i < mm->nr_pmds; i++)
			pte_table_free(w, mm->pmds[i].ptes);
		mm->nr_pmds = mm->nr_vmas = mm->nr_puds = 0;
		mm->alive = mm->registered = mm->has_pinned = false;
		mm->reg_seq = 0;
		mm->mm_id = 0;
	}
	for (uint32_t i = 1; i < w->nr_folios; i++)
		folio_meta_free(w, &w->folios[i]);
}

void khp_world_free(struct khp_world *w)
{
	if (!w)
		return;
	world_release(w);
	for (unsigned m = 0; m < KHP_MAX_MMS; m++) {
		free(w->mms[m].vmas);
		free(w->mms[m].pmds);
		free(w->mms[m].puds);
	}
	free(w->folios);
	free(w->swap);
	free(w->pins);
	free(w->scratch);
	pool_release_all(w);
	free(w->check_arena);
	free(w);
}

void khp_world_reset(struct khp_world *w)
{
	world_release(w);
	/* only what was used: the pools keep their capacity between runs */
	if (w->folios)
		memset(w->folios, 0, (size_t)w->nr_folios * sizeof(*w->folios));
	if (w->swap)
		memset(w->swap, 0, (size_t)w->nr_swap * sizeof(*w->swap));
	w->nr_folios = w->folios ? 1 : 0;
	w->free_folio = 0;
	w->nr_swap = w->swap ? 1 : 0;
	w->free_swap = 0;
	w->nr_pins = 0;
	w->next_anon_vma = 0;
	w->next_reg_seq = 0;
	w->fail_alloc = 0;
	w->pages_in_use = 0;
	w->swap_in_use = 0;
	w->mark_gen = 0;
	w->lru_add.nr = 0;
	memset(&w->cost, 0, sizeof(w->cost));
	w->err[0] = 0;
	world_init_state(w);
}

void khp_world_set_check(struct khp_world *w, bool on)
{
	w->check = on;
}
