/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * khp_test: program builder, runner wrappers and the one-run / one-world
 * checks shared by every unit test (see khp_test.h).  Failures print
 * file:line, step, profile, field, expected and actual, then the PMD map
 * before the step, and end the test through cmocka's _fail().  Maps are in
 * khp_test_map.c, per-kernel tables in khp_test_rows.c.
 */
#include "khp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const t_kernel_profiles[KHP_NR_KERNELS] = {
	"linux-6.1", "linux-6.12", "linux-7.3",
};

void t_prog(struct khp_program *p, unsigned pmd_pages)
{
	struct khp_config c;

	khp_config_default(&c, pmd_pages);
	khp_program_init(p, &c);
}

struct khp_op t_op(enum khp_op_type type, unsigned mm, uint64_t addr, uint64_t pages)
{
	struct khp_op op;

	memset(&op, 0, sizeof(op));     /* padding too: programs are compared bytewise */
	op.type = (uint8_t)type;
	op.mm = mm;
	op.addr = addr;
	op.pages = pages;
	return op;
}

size_t t_push(struct khp_program *p, const struct khp_op *op)
{
	int err = khp_program_push(p, op);

	if (err) {
		print_error("khp_program_push(%s) failed: %d\n",
			    khp_op_name((enum khp_op_type)op->type), err);
		fail();
	}
	return p->nr_ops - 1;
}

/* Push op; its step index. */
static size_t push_op(struct khp_program *p, struct khp_op op)
{
	return t_push(p, &op);
}

/* The op on (mm, addr, pages) with flags. */
static struct khp_op op_flags(enum khp_op_type type, unsigned mm, uint64_t addr,
			      uint64_t pages, unsigned flags)
{
	struct khp_op op = t_op(type, mm, addr, pages);

	op.flags = (uint8_t)flags;
	return op;
}

size_t t_mmap(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages, unsigned flags)
{
	return push_op(p, op_flags(KHP_OP_MMAP, mm, addr, pages, flags));
}

size_t t_touch(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages, bool write)
{
	return push_op(p, op_flags(KHP_OP_TOUCH, mm, addr, pages, write ? KHP_OPF_WRITE : 0));
}

size_t t_fork(struct khp_program *p, unsigned mm, unsigned child)
{
	struct khp_op op = t_op(KHP_OP_FORK, mm, 0, 0);

	op.child = child;
	return t_push(p, &op);
}

size_t t_exit(struct khp_program *p, unsigned mm)
{
	return push_op(p, t_op(KHP_OP_EXIT, mm, 0, 0));
}

size_t t_dontneed(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages)
{
	return push_op(p, t_op(KHP_OP_DONTNEED, mm, addr, pages));
}

size_t t_munmap(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages)
{
	return push_op(p, t_op(KHP_OP_MUNMAP, mm, addr, pages));
}

size_t t_mremap(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages,
		unsigned flags, uint64_t to, uint64_t new_pages)
{
	struct khp_op op = op_flags(KHP_OP_MREMAP, mm, addr, pages, flags);

	op.to = to;
	op.new_pages = new_pages;
	return t_push(p, &op);
}

size_t t_mprotect(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages, bool write)
{
	return push_op(p, op_flags(KHP_OP_MPROTECT, mm, addr, pages, write ? KHP_OPF_WRITE : 0));
}

size_t t_madvise(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages,
		 enum khp_advice adv)
{
	struct khp_op op = t_op(KHP_OP_MADVISE, mm, addr, pages);

	op.advice = (uint8_t)adv;
	return t_push(p, &op);
}

/* pin / unpin one page */
size_t t_pin(struct khp_program *p, unsigned mm, uint64_t addr)
{
	return push_op(p, t_op(KHP_OP_PIN, mm, addr, 1));
}

size_t t_unpin(struct khp_program *p, unsigned mm, uint64_t addr)
{
	return push_op(p, t_op(KHP_OP_UNPIN, mm, addr, 1));
}

size_t t_age(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages)
{
	return push_op(p, op_flags(KHP_OP_AGE, mm, addr, pages, KHP_OPF_RANGE));
}

size_t t_age_mm(struct khp_program *p, unsigned mm)
{
	return push_op(p, t_op(KHP_OP_AGE, mm, 0, 0));
}

size_t t_khugepaged(struct khp_program *p, unsigned mm, uint64_t addr)
{
	return push_op(p, t_op(KHP_OP_KHUGEPAGED, mm, addr, 0));
}

size_t t_collapse(struct khp_program *p, unsigned mm, uint64_t addr, uint64_t pages)
{
	return push_op(p, t_op(KHP_OP_COLLAPSE, mm, addr, pages));
}

size_t t_split(struct khp_program *p)
{
	return push_op(p, t_op(KHP_OP_SPLIT, 0, 0, 0));
}

size_t t_fail_alloc(struct khp_program *p, unsigned count)
{
	struct khp_op op = t_op(KHP_OP_FAIL_ALLOC, 0, 0, 0);

	op.count = count;
	return t_push(p, &op);
}

/* ---- printing ------------------------------------------------------------ */

void t_print_op(const struct khp_program *p, size_t step)
{
	const struct khp_op *op;

	if (!p || step >= p->nr_ops)
		return;
	op = &p->ops[step];
	print_error("  op %zu: %s mm=%u addr=%llu pages=%llu flags=0x%x\n", step,
		    khp_op_name((enum khp_op_type)op->type), op->mm,
		    (unsigned long long)op->addr, (unsigned long long)op->pages, op->flags);
}

static const char *t_map_of(const struct t_run *r, const struct khp_record *rec)
{
	size_t i;

	if (!rec || !r->run.maps || !r->run.recs)
		return NULL;
	i = (size_t)(rec - r->run.recs);
	if (i >= r->run.nr_recs)
		return NULL;
	return r->run.maps[i];
}

void t_print_rec(const struct khp_record *rec)
{
	print_error("  record: result=%s err=%d collapsed=%d nr_collapsed=%u none_or_zero=%u "
		    "unmapped=%u referenced=%u shared=%u writable=%d shared_exact=%u "
		    "shared_profile=%u verdict=%s alloc=%ld freed=%ld fill=%ld dup=%ld "
		    "waste=%ld fn_waste=%ld copied=%ld ptes_cleared=%ld tlb_flushes=%ld\n",
		    khp_result_name(rec->result), rec->err, rec->collapsed, rec->nr_collapsed,
		    rec->none_or_zero, rec->unmapped, rec->referenced, rec->shared,
		    rec->writable, rec->shared_exact, rec->shared_profile,
		    khp_verdict_name(rec->verdict), rec->alloc_pages, rec->freed_pages,
		    rec->fill_pages, rec->dup_pages, rec->waste_pages, rec->fn_waste_pages,
		    rec->copied_pages, rec->ptes_cleared, rec->tlb_flushes);
}

static void t_fail_step(struct t_run *r, size_t step, const struct khp_record *rec,
			const char *file, int line)
{
	const char *map = t_map_of(r, rec);

	t_print_op(r->p, step);
	if (rec)
		t_print_rec(rec);
	if (map)
		t_print_map("PMD map before the step", map);
	_fail(file, line);
}

/* ---- runs ------------------------------------------------------------------ */

int t_run_may_fail(struct t_run *r, const struct khp_program *p, const char *profile)
{
	struct khp_profile prof;
	struct khp_run_opts opts = { .check = true, .maps = true };

	memset(r, 0, sizeof(*r));
	r->p = p;
	r->profile = profile;
	if (khp_profile_parse(profile, &prof)) {
		print_error("bad profile %s\n", profile);
		fail();
	}
	return khp_run_program(p, prof, &opts, &r->run);
}

void t_run_(struct t_run *r, const struct khp_program *p, const char *profile,
	    const char *file, int line)
{
	int err = t_run_may_fail(r, p, profile);

	if (err) {
		print_error("%s:%d: profile %s: run failed with %d (%s) at step %zu: %s\n",
			    file, line, profile, err, khp_errno_name(err < 0 ? -err : err),
			    r->run.err_step, r->run.errmsg);
		t_print_op(p, r->run.err_step);
		_fail(file, line);
	}
}

void t_run_free(struct t_run *r)
{
	khp_run_free(&r->run);
	memset(r, 0, sizeof(*r));
}

const struct khp_record *t_rec_(struct t_run *r, size_t step, const char *file, int line)
{
	const struct khp_record *rec = khp_run_record(&r->run, step);

	if (!rec) {
		print_error("%s:%d: profile %s: no record for step %zu\n", file, line,
			    r->profile, step);
		t_print_op(r->p, step);
		_fail(file, line);
	}
	return rec;
}

void t_eq_(struct t_run *r, size_t step, const char *field, long long actual,
	   long long expected, const char *file, int line)
{
	if (actual == expected)
		return;
	print_error("%s:%d: step %zu profile %s: %s expected %lld actual %lld\n", file, line,
		    step, r->profile, field, expected, actual);
	t_fail_step(r, step, khp_run_record(&r->run, step), file, line);
}

void t_result_(struct t_run *r, size_t step, enum scan_result expected,
	       const char *file, int line)
{
	const struct khp_record *rec = t_rec_(r, step, file, line);

	if (rec->result == expected)
		return;
	print_error("%s:%d: step %zu profile %s: result expected %s actual %s\n", file, line,
		    step, r->profile, khp_result_name(expected), khp_result_name(rec->result));
	t_fail_step(r, step, rec, file, line);
}

void t_errno_(struct t_run *r, size_t step, int expected, const char *file, int line)
{
	const struct khp_record *rec = t_rec_(r, step, file, line);
	int actual = rec->err < 0 ? -rec->err : rec->err;

	if (actual == expected)
		return;
	print_error("%s:%d: step %zu profile %s: errno expected %s actual %s\n", file, line,
		    step, r->profile, khp_errno_name(expected), khp_errno_name(actual));
	t_fail_step(r, step, rec, file, line);
}

void t_verdict_(struct t_run *r, size_t step, enum khp_verdict expected,
		const char *file, int line)
{
	const struct khp_record *rec = t_rec_(r, step, file, line);

	if (rec->verdict == expected)
		return;
	print_error("%s:%d: step %zu profile %s: verdict expected %s actual %s\n", file, line,
		    step, r->profile, khp_verdict_name(expected), khp_verdict_name(rec->verdict));
	t_fail_step(r, step, rec, file, line);
}

void t_total_eq_(struct t_run *r, const char *field, long long actual, long long expected,
		 const char *file, int line)
{
	if (actual == expected)
		return;
	print_error("%s:%d: profile %s: totals.%s expected %lld actual %lld\n", file, line,
		    r->profile, field, expected, actual);
	_fail(file, line);
}

void t_map_before_(struct t_run *r, size_t step, const char *spec, const char *file, int line)
{
	const struct khp_record *rec = t_rec_(r, step, file, line);
	const char *map = t_map_of(r, rec);
	char where[96];

	if (!map) {
		print_error("%s:%d: step %zu profile %s: no map recorded\n", file, line, step,
			    r->profile);
		_fail(file, line);
	}
	snprintf(where, sizeof(where), "PMD map before step %zu", step);
	if (t_map_matches(r->profile, where, map, r->p->config.pmd_pages, spec, file, line))
		return;
	t_print_op(r->p, step);
	_fail(file, line);
}

/* ---- worlds ------------------------------------------------------------------ */

void t_world_play_(struct khp_world *w, const struct khp_program *p, size_t from,
		   const char *file, int line)
{
	size_t i;

	for (i = from; i < p->nr_ops; i++) {
		struct khp_record rec;
		int err = khp_world_apply(w, &p->ops[i], &rec);

		if (err) {
			print_error("%s:%d: op %zu failed with %d: %s\n", file, line, i, err,
				    khp_world_error(w));
			t_print_op(p, i);
			_fail(file, line);
		}
	}
}

struct khp_world *t_world_(const struct khp_program *p, const char *profile,
			   const char *file, int line)
{
	struct khp_profile prof;
	struct khp_world *w = NULL;
	int err;

	if (khp_profile_parse(profile, &prof)) {
		print_error("%s:%d: bad profile %s\n", file, line, profile);
		_fail(file, line);
	}
	err = khp_world_new(&p->config, prof, &w);
	if (err || !w) {
		print_error("%s:%d: khp_world_new failed with %d\n", file, line, err);
		_fail(file, line);
	}
	khp_world_set_check(w, true);
	t_world_play_(w, p, 0, file, line);
	return w;
}

static void t_print_world_map(const struct khp_world *w, unsigned mm, uint64_t addr)
{
	char map[KHP_MAP_MAX];

	if (khp_world_pmd_map(w, mm, addr, map, sizeof(map)) == 0)
		t_print_map("PMD map now", map);
}

struct khp_pte_info t_pte_(const struct khp_world *w, unsigned mm, uint64_t addr,
			   const char *file, int line)
{
	struct khp_pte_info pi;
	int err;

	memset(&pi, 0, sizeof(pi));
	err = khp_world_pte(w, mm, addr, &pi);
	if (err) {
		print_error("%s:%d: khp_world_pte(mm %u, addr %llu) failed with %d\n", file, line,
			    mm, (unsigned long long)addr, err);
		_fail(file, line);
	}
	return pi;
}

uint32_t t_folio_at_(const struct khp_world *w, unsigned mm, uint64_t addr,
		     const char *file, int line)
{
	struct khp_pte_info pi = t_pte_(w, mm, addr, file, line);

	if (pi.kind != KHP_PTE_PRESENT && pi.kind != KHP_PTE_PMD) {
		print_error("%s:%d: mm %u addr %llu maps no folio (kind %d)\n", file, line, mm,
			    (unsigned long long)addr, pi.kind);
		t_print_world_map(w, mm, addr);
		_fail(file, line);
	}
	return pi.folio;
}

struct khp_folio_info t_folio_(const struct khp_world *w, uint32_t folio,
			       const char *file, int line)
{
	struct khp_folio_info fi;
	int err;

	memset(&fi, 0, sizeof(fi));
	err = khp_world_folio(w, folio, &fi);
	if (err) {
		print_error("%s:%d: khp_world_folio(%u) failed with %d\n", file, line, folio, err);
		_fail(file, line);
	}
	return fi;
}

void t_w_eq_(const struct khp_world *w, unsigned mm, uint64_t addr, const char *what,
	     long long actual, long long expected, const char *file, int line)
{
	if (actual == expected)
		return;
	print_error("%s:%d: %s expected %lld actual %lld (mm %u addr %llu)\n", file, line, what,
		    expected, actual, mm, (unsigned long long)addr);
	t_print_world_map(w, mm, addr);
	_fail(file, line);
}

void t_world_ok_(struct khp_world *w, const char *file, int line)
{
	char msg[256];

	if (khp_world_check(w, msg, sizeof(msg)) == 0)
		return;
	print_error("%s:%d: khp_world_check: %s\n", file, line, msg);
	_fail(file, line);
}

long t_pages_in_use(const struct khp_world *w)
{
	struct khp_totals t;

	khp_world_totals(w, &t);
	return t.pages_in_use;
}

long t_swap_slots(const struct khp_world *w)
{
	struct khp_totals t;

	khp_world_totals(w, &t);
	return t.swap_slots_in_use;
}

void t_shared3_(const struct khp_world *w, unsigned mm, uint64_t addr, uint32_t folio,
		unsigned sub, const long long exp[], const char *file, int line)
{
	unsigned k;

	for_each_kernel(k) {
		bool shared = khp_world_page_shared(w, khp_kernel_rules(k)->shared, mm, folio, sub);

		if (shared == exp[k])
			continue;
		print_error("%s:%d: %s shared predicate, mm %u folio %u subpage %u: expected %lld "
			    "actual %d\n", file, line, t_kernel_profiles[k], mm, folio, sub, exp[k],
			    shared);
		t_print_world_map(w, mm, addr);
		_fail(file, line);
	}
}

const char *t_addr_str(char *buf, size_t n, uint64_t addr, unsigned pmd_pages)
{
	snprintf(buf, n, "%llu (PMD range %llu + %llu)", (unsigned long long)addr,
		 (unsigned long long)(addr / pmd_pages), (unsigned long long)(addr % pmd_pages));
	return buf;
}
