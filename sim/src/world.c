/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The world: creation, the op dispatcher (khp_world_apply) with its
 * argument validation, mmap / munmap / exit, totals and inspection.
 * Validation happens before any change, so a refused op leaves the world
 * as it was; only a world limit (-ENOMEM) can stop an op half-way.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"


const char khp_pmd_map_legend[] =
	"'.' none  '0' zero page  'e'/'E' exclusive page (read-only/writable)  "
	"'s'/'S' page another mm maps too (read-only/writable)  'w' swap entry  "
	"'H' PMD-mapped THP  'z' huge zero page  '_' no page table  ' ' no VMA";

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

	if (khp_config_check(c, msg, sizeof(msg)) || (unsigned)p.kernel >= KHP_NR_KERNELS)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->cfg = *c;
	w->prof = p;
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
			free(mm->pmds[i].ptes);
		mm->nr_pmds = mm->nr_vmas = mm->nr_puds = 0;
		mm->alive = mm->registered = mm->has_pinned = false;
		mm->mm_id = 0;
	}
	for (uint32_t i = 1; i < w->nr_folios; i++) {
		free(w->folios[i].pmc);
		free(w->folios[i].data);
	}
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
	w->fail_alloc = 0;
	w->pages_in_use = 0;
	w->swap_in_use = 0;
	w->mark_gen = 0;
	w->err[0] = 0;
	world_init_state(w);
}

void khp_world_set_check(struct khp_world *w, bool on)
{
	w->check = on;
}

/* ---- ops implemented here ---------------------------------------------- */
static int op_mmap(struct khp_world *w, const struct khp_op *op)
{
	struct mm *mm = mm_get(w, op->mm);
	struct vma v = { .start = op->addr, .end = op->addr + op->pages, .pgoff = op->addr };
	struct khp_op adv = *op;
	int ret;

	if (!mm)
		return -ENOENT;
	if ((op->flags & KHP_OPF_HUGEPAGE) && (op->flags & KHP_OPF_NOHUGEPAGE))
		return khp_err(w, -EINVAL, "mmap: hugepage and nohugepage together");
	if (!vma_range_free(mm, v.start, v.end))
		return khp_err(w, -EEXIST, "mmap: [%#llx, %#llx) overlaps a mapping of mm %u",
			       (unsigned long long)v.start, (unsigned long long)v.end, op->mm);
	if (op->flags & KHP_OPF_WRITE)
		v.flags |= VM_WRITE;
	if (op->flags & KHP_OPF_UFFD)
		v.flags |= VM_UFFD_WP;
	ret = vma_insert(w, mm, &v);
	if (ret)
		return ret;
	vma_merge_around(w, mm, v.start, v.end);
	adv.type = KHP_OP_MADVISE;
	if (op->flags & (KHP_OPF_HUGEPAGE | KHP_OPF_NOHUGEPAGE)) {
		adv.advice = (op->flags & KHP_OPF_HUGEPAGE) ? KHP_ADV_HUGEPAGE : KHP_ADV_NOHUGEPAGE;
		return op_madvise(w, &adv);
	}
	return 0;
}

static int op_touch(struct khp_world *w, const struct khp_op *op)
{
	uint64_t start = op->addr, end = op->addr + op->pages;
	bool write = op->flags & KHP_OPF_WRITE;
	struct mm *mm;
	int ret = mm_get_range(w, op, &mm);

	if (ret)
		return ret;
	for (struct vma *v = vma_find(mm, start); write && v && v->start < end; v++) {
		if (!(v->flags & VM_WRITE))
			return khp_err(w, -EFAULT, "touch: write to read-only [%#llx, %#llx) of mm %u",
				       (unsigned long long)v->start, (unsigned long long)v->end,
				       op->mm);
		if (v + 1 >= mm->vmas + mm->nr_vmas)
			break;
	}
	for (uint64_t a = start; a < end; a++) {
		ret = handle_mm_fault(w, mm, a, write);
		if (ret)
			return ret;
	}
	return 0;
}

/* do_vmi_munmap(): split at the edges, zap, drop the VMAs and their page tables */
int op_munmap_range(struct khp_world *w, struct mm *mm, uint64_t start, uint64_t end)
{
	int ret = vma_isolate_range(w, mm, start, end);

	if (ret)
		return ret;
	ret = zap_range(w, mm, start, end, false);
	if (ret)
		return ret;
	vma_remove_range(mm, start, end);
	free_pgtables(w, mm, start, end);
	return 0;
}

static int op_zap(struct khp_world *w, const struct khp_op *op)
{
	struct mm *mm = mm_get(w, op->mm);
	uint64_t start = op->addr, end = op->addr + op->pages;

	if (!mm)
		return -ENOENT;
	if (op->type == KHP_OP_MUNMAP) {
		if (vma_range_free(mm, start, end))
			return khp_err(w, -EFAULT, "munmap: nothing mapped at [%#llx, %#llx) in mm %u",
				       (unsigned long long)start, (unsigned long long)end, op->mm);
		return op_munmap_range(w, mm, start, end);
	}
	if (!vma_range_covered(mm, start, end))
		return mm_get_range(w, op, &mm);
	return zap_range(w, mm, start, end, true);
}

static int op_exit(struct khp_world *w, const struct khp_op *op)
{
	struct mm *mm = mm_get(w, op->mm);

	if (!mm)
		return -ENOENT;
	unpin_mm(w, op->mm);
	zap_mm(w, mm);
	return 0;
}

static int apply(struct khp_world *w, const struct khp_op *op, struct khp_record *rec)
{
	switch (op->type) {
	case KHP_OP_MMAP:       return op_mmap(w, op);
	case KHP_OP_TOUCH:      return op_touch(w, op);
	case KHP_OP_FORK:       return op_fork(w, op->mm, op->child);
	case KHP_OP_EXIT:       return op_exit(w, op);
	case KHP_OP_DONTNEED:
	case KHP_OP_MUNMAP:     return op_zap(w, op);
	case KHP_OP_MREMAP:     return op_mremap(w, op);
	case KHP_OP_MPROTECT:   return op_mprotect(w, op);
	case KHP_OP_MADVISE:    return op_madvise(w, op);
	case KHP_OP_PIN:        return op_pin(w, op, true);
	case KHP_OP_UNPIN:      return op_pin(w, op, false);
	case KHP_OP_AGE:        return op_age(w, op);
	case KHP_OP_KHUGEPAGED: return op_khugepaged(w, op, rec);
	case KHP_OP_COLLAPSE:   return op_collapse(w, op, rec);
	case KHP_OP_SPLIT:      deferred_split_scan(w); return 0;
	case KHP_OP_FAIL_ALLOC: w->fail_alloc += op->count; return 0;
	default:                return khp_err(w, -EINVAL, "unknown op %u", op->type);
	}
}

int khp_world_apply(struct khp_world *w, const struct khp_op *op, struct khp_record *rec)
{
	char msg[160];
	int ret;

	w->err[0] = 0;
	ret = khp_op_check(op, &w->cfg, msg, sizeof(msg));
	if (ret)
		return khp_err(w, ret, "%s", msg);
	ret = apply(w, op, rec);
	if (w->check) {
		if (world_check(w, msg, sizeof(msg))) {
			fprintf(stderr, "khpsim: invariant broken after %s (%s): %s\n",
				khp_op_name((enum khp_op_type)op->type), khp_profile_name(w->prof), msg);
			abort();
		}
	}
	return ret;
}

int khp_world_check(const struct khp_world *w, char *msg, size_t len)
{
	return world_check(w, msg, len);
}

/* ---- totals and inspection ------------------------------------------- */
void khp_world_totals(const struct khp_world *w, struct khp_totals *t)
{
	memset(t, 0, sizeof(*t));
	t->pages_in_use = w->pages_in_use;
	t->nr_mms = w->nr_mms;
	t->swap_slots_in_use = w->swap_in_use;
	for (unsigned m = 0; m < w->nr_mms; m++)
		for (uint32_t i = 0; w->mms[m].alive && i < w->mms[m].nr_pmds; i++)
			t->pmd_thps[m] += w->mms[m].pmds[i].kind == PMD_HUGE;
	for (uint32_t id = 1; id < w->nr_folios; id++) {
		const struct folio *f = &w->folios[id];

		if (!f->refcount || !f->order)
			continue;
		t->large_folios++;
		t->large_folio_pages += folio_nr_pages(f);
	}
	t->meta_per_page_bytes = 4 * t->large_folio_pages;
	t->meta_per_folio_bytes = 16 * t->large_folios;
}

static bool world_mm_ok(const struct khp_world *w, unsigned mm)
{
	return mm < w->nr_mms && w->mms[mm].alive;
}

int khp_world_pmd_map(const struct khp_world *w, unsigned mmid, uint64_t addr, char *buf,
		      size_t n)
{
	unsigned nr = pmd_nr(w);
	uint64_t base = addr & ~(uint64_t)(nr - 1);
	struct mm *mm;
	struct pmd *pmd;

	if (n < nr + 1 || !world_mm_ok(w, mmid) || addr >= KHP_ADDR_LIMIT)
		return -EINVAL;
	mm = (struct mm *)&w->mms[mmid];
	pmd = pmd_lookup(mm, pmd_index(w, addr));
	for (unsigned i = 0; i < nr; i++) {
		const struct pte *pte = pmd && pmd->kind == PMD_TABLE ? &pmd->ptes[i] : NULL;
		char c;

		if (!vma_find(mm, base + i))
			c = ' ';
		else if (!pmd)
			c = '_';
		else if (pmd->kind == PMD_HUGE)
			c = 'H';
		else if (pmd->kind == PMD_HUGE_ZERO)
			c = 'z';
		else if (pte->kind == PTE_NONE)
			c = '.';
		else if (pte->kind == PTE_ZERO)
			c = '0';
		else if (pte->kind == PTE_SWAP)
			c = 'w';
		else if (page_mapcount(&w->folios[pte->val], pte->subpage) > 1)
			c = (pte->flags & PTE_WRITE) ? 'S' : 's';
		else
			c = (pte->flags & PTE_WRITE) ? 'E' : 'e';
		buf[i] = c;
	}
	buf[nr] = 0;
	return 0;
}

int khp_world_pte(const struct khp_world *w, unsigned mmid, uint64_t addr,
		  struct khp_pte_info *out)
{
	struct mm *mm;
	struct pmd *pmd;
	const struct pte *pte;

	memset(out, 0, sizeof(*out));
	if (!world_mm_ok(w, mmid) || addr >= KHP_ADDR_LIMIT)
		return -ENOENT;
	mm = (struct mm *)&w->mms[mmid];
	pmd = pmd_lookup(mm, pmd_index(w, addr));
	if (!pmd) {
		out->kind = KHP_PTE_NO_TABLE;
		return 0;
	}
	if (pmd->kind != PMD_TABLE) {
		out->kind = KHP_PTE_PMD;
		out->folio = pmd->folio;
		out->subpage = (unsigned)(addr & (pmd_nr(w) - 1));
		out->order = pmd->kind == PMD_HUGE ? w->pmd_order : 0;
		out->write = pmd->flags & PTE_WRITE;
		out->young = pmd->flags & PTE_YOUNG;
		out->dirty = pmd->flags & PTE_DIRTY;
		return 0;
	}
	pte = &pmd->ptes[addr & (pmd_nr(w) - 1)];
	out->kind = pte->kind == PTE_NONE ? KHP_PTE_NONE : pte->kind == PTE_ZERO ? KHP_PTE_ZERO :
		    pte->kind == PTE_SWAP ? KHP_PTE_SWAP : KHP_PTE_PRESENT;
	out->write = pte->flags & PTE_WRITE;
	out->young = pte->flags & PTE_YOUNG;
	out->dirty = pte->flags & PTE_DIRTY;
	out->uffd_wp = pte->flags & PTE_UFFD;
	if (pte->kind == PTE_PRESENT || pte->kind == PTE_SWAP)
		out->folio = pte->val;
	if (pte->kind == PTE_PRESENT) {
		out->subpage = pte->subpage;
		out->order = w->folios[pte->val].order;
	}
	return 0;
}

static const struct folio *folio_ok(const struct khp_world *w, uint32_t id)
{
	if (!id || id >= w->nr_folios || !w->folios[id].refcount)
		return NULL;
	return &w->folios[id];
}

int khp_world_folio(const struct khp_world *w, uint32_t id, struct khp_folio_info *out)
{
	const struct folio *f = folio_ok(w, id);

	memset(out, 0, sizeof(*out));
	if (!f)
		return -ENOENT;
	out->order = f->order;
	out->refcount = f->refcount;
	out->entire_mapcount = f->entire_mapcount;
	out->large_mapcount = f->large_mapcount;
	out->nr_pages_mapped = f->nr_pages_mapped;
	for (int s = 0; s < 2; s++) {
		out->mm_id[s] = f->mm_id[s];
		out->mm_id_mapcount[s] = f->mm_id_mapcount[s];
	}
	out->maybe_shared = f->flags & FOLIO_SHARED_BIT;
	out->swapcache = f->flags & FOLIO_SWAPCACHE;
	out->deferred_split = f->flags & FOLIO_DEFERRED;
	out->partially_mapped = f->flags & FOLIO_PARTIAL;
	out->lazyfree = f->flags & FOLIO_LAZYFREE;
	out->referenced = f->flags & FOLIO_REFERENCED;
	out->young = f->flags & FOLIO_YOUNG;
	out->pinned = f->pincount > 0;
	return 0;
}

int khp_world_page_mapcount(const struct khp_world *w, uint32_t id, unsigned sub)
{
	const struct folio *f = folio_ok(w, id);

	if (!f || sub >= folio_nr_pages(f))
		return -ENOENT;
	return page_mapcount(f, sub);
}

bool khp_world_page_shared(const struct khp_world *w, enum khp_kernel k, bool exact,
			   unsigned mm, uint32_t id, unsigned sub)
{
	const struct folio *f = folio_ok(w, id);

	(void)mm;
	if (!f || sub >= folio_nr_pages(f) || (unsigned)k >= KHP_NR_KERNELS)
		return false;
	return page_shared(w, k, exact, f, sub);
}

unsigned khp_world_mm_id(const struct khp_world *w, unsigned mm)
{
	return world_mm_ok(w, mm) ? w->mms[mm].mm_id : 0;
}

bool khp_world_mm_alive(const struct khp_world *w, unsigned mm)
{
	return world_mm_ok(w, mm);
}
