/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Long-term GUP pins (pin_user_pages(FOLL_LONGTERM)) and their release:
 * a pin is a reference on a folio that no page table accounts for.
 */
#include <stdlib.h>
#include <string.h>
#include "mm.h"

/* The folio mapped at addr (PTE or PMD), 0 if none. */
static uint32_t folio_at(struct khp_world *w, struct mm *mm, uint64_t addr)
{
	struct pmd *pmd = pmd_lookup(mm, pmd_index(w, addr));
	struct pte *pte;

	if (!pmd)
		return 0;
	if (pmd->kind == PMD_HUGE)
		return pmd->folio;
	if (pmd->kind != PMD_TABLE)
		return 0;
	pte = &pmd->ptes[addr & (pmd_nr(w) - 1)];
	return pte->kind == PTE_PRESENT ? pte->val : 0;
}

/* pin_user_pages(FOLL_WRITE | FOLL_LONGTERM) of one page, and unpin_user_page() */
int op_pin(struct khp_world *w, const struct khp_op *op, bool pin)
{
	struct mm *mm = mm_get(w, op->mm);
	struct vma *v;
	uint32_t id;
	int ret;

	if (!mm)
		return -ENOENT;
	if (!pin) {
		for (uint32_t i = w->nr_pins; i-- > 0;) {
			if (w->pins[i].mm != op->mm || w->pins[i].addr != op->addr)
				continue;
			id = w->pins[i].folio;
			w->pins[i] = w->pins[--w->nr_pins];
			folio_of(w, id)->pincount--;
			folio_put(w, id, 1);
			return 0;
		}
		return khp_err(w, -EINVAL, "unpin: mm %u holds no pin at %#llx", op->mm,
			       (unsigned long long)op->addr);
	}
	v = vma_find(mm, op->addr);
	if (!v)
		return khp_err(w, -EFAULT, "pin: %#llx is not mapped in mm %u",
			       (unsigned long long)op->addr, op->mm);
	if (!(v->flags & VM_WRITE))
		return khp_err(w, -EFAULT, "pin: %#llx is not writable in mm %u",
			       (unsigned long long)op->addr, op->mm);
	if (w->nr_pins >= 65536)
		return khp_err(w, -ENOMEM, "too many pins");
	if (array_reserve(&w->pins, &w->cap_pins, w->nr_pins + 1, sizeof(*w->pins), 8))
		return khp_err(w, -ENOMEM, "out of memory for pins");
	ret = handle_mm_fault(w, mm, op->addr, true);
	if (ret)
		return ret;
	id = folio_at(w, mm, op->addr);
	folio_of(w, id)->pincount++;
	folio_get(w, id, 1);
	mm->has_pinned = true;
	w->pins[w->nr_pins++] = (struct pin){ .mm = op->mm, .folio = id, .addr = op->addr };
	return 0;
}

/* Drop the pins an exiting mm held (its io_uring goes away with it). */
void unpin_mm(struct khp_world *w, unsigned mm)
{
	for (uint32_t i = w->nr_pins; i-- > 0;) {
		uint32_t id = w->pins[i].folio;

		if (w->pins[i].mm != mm)
			continue;
		w->pins[i] = w->pins[--w->nr_pins];
		folio_of(w, id)->pincount--;
		folio_put(w, id, 1);
	}
}
