/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The decoder's shadow VMA table of one mm (decode_int.h): sorted,
 * non-overlapping [start, end) ranges with the flags the decoder needs
 * (writable, THP advice, uffd).  Capacity SH_MAX_VMAS; sh_insert() is the
 * only function that adds an entry and it refuses when the table is full,
 * and no function needs more entries on the way than it leaves at the end,
 * so the table never overflows.  A function that cannot fit its result
 * returns false.
 */
#include <string.h>

#include "decode_int.h"

int sh_find(const struct sh_mm *m, uint64_t addr)
{
	for (unsigned i = 0; i < m->nr; i++)
		if (addr >= m->v[i].start && addr < m->v[i].end)
			return (int)i;
	return -1;
}

bool sh_free(const struct sh_mm *m, uint64_t start, uint64_t end)
{
	if (end <= start || end > KHP_ADDR_LIMIT)
		return false;
	for (unsigned i = 0; i < m->nr; i++)
		if (m->v[i].start < end && start < m->v[i].end)
			return false;
	return true;
}

bool sh_insert(struct sh_mm *m, const struct sh_vma *v)
{
	unsigned i = 0;

	if (m->nr >= SH_MAX_VMAS)
		return false;
	while (i < m->nr && m->v[i].start < v->start)
		i++;
	memmove(&m->v[i + 1], &m->v[i], (m->nr - i) * sizeof(m->v[0]));
	m->v[i] = *v;
	m->nr++;
	return true;
}

bool sh_split_at(struct sh_mm *m, uint64_t addr)
{
	int i = sh_find(m, addr);
	struct sh_vma right;

	if (i < 0 || m->v[i].start == addr)
		return true;
	if (m->nr >= SH_MAX_VMAS)
		return false;
	right = m->v[i];
	right.start = addr;
	m->v[i].end = addr;
	return sh_insert(m, &right);
}

/*
 * In place: VMAs inside [start, end) go, VMAs overlapping one end are
 * trimmed; only a VMA strictly containing the range becomes two (one more
 * entry), so the table never holds more entries than the result.
 */
bool sh_remove(struct sh_mm *m, uint64_t start, uint64_t end)
{
	int k = sh_find(m, start);
	unsigned j = 0;

	if (k >= 0 && m->v[k].start < start && end < m->v[k].end) {
		struct sh_vma right = m->v[k];

		if (m->nr >= SH_MAX_VMAS)
			return false;
		right.start = end;
		m->v[k].end = start;
		return sh_insert(m, &right);
	}
	for (unsigned i = 0; i < m->nr; i++) {
		struct sh_vma v = m->v[i];

		if (v.start >= start && v.end <= end)
			continue;                       /* inside: unmapped */
		if (v.start < start && v.end > start)
			v.end = start;                  /* overlaps the start */
		else if (v.start < end && v.end > end)
			v.start = end;                  /* overlaps the end */
		m->v[j++] = v;
	}
	m->nr = j;
	return true;
}

bool sh_modify(struct sh_mm *m, uint64_t start, uint64_t end, int write, uint8_t thp)
{
	struct sh_mm next = *m;

	if (!sh_split_at(&next, start) || !sh_split_at(&next, end))
		return false;
	for (unsigned i = 0; i < next.nr; i++) {
		if (next.v[i].start < start || next.v[i].end > end)
			continue;
		if (write >= 0)
			next.v[i].write = write;
		if (thp != 0xff)
			next.v[i].thp = thp;
	}
	*m = next;
	return true;
}

uint64_t sh_covered_end(const struct sh_mm *m, uint64_t addr, bool need_write)
{
	int i = sh_find(m, addr);
	uint64_t end;

	if (i < 0 || (need_write && !m->v[i].write))
		return addr;
	end = m->v[i].end;
	for (unsigned k = (unsigned)i + 1; k < m->nr; k++) {
		if (m->v[k].start != end || (need_write && !m->v[k].write))
			break;
		end = m->v[k].end;
	}
	return end;
}
