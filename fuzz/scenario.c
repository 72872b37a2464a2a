/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Property: the scenario reader, the writer and the runner agree.  The input
 * is a scenario file, read with khp_scenario_load_buf() (what `khpsim
 * validate` runs).  A refused file must come with a message.  An accepted one
 *  - passes the field checks again (khp_config_check, khp_op_check);
 *  - written (khp_scenario_write) and read back, equals the first, field by
 *    field, and writing that again gives the same bytes;
 *  - runs under linux-6.1, linux-6.12, linux-7.3 and their "+exact"
 *    variants with the invariant checker, and every op the world refuses
 *    fails with a documented code (khpsim.h), never -EUCLEAN;
 *  - its expectations are checked against those runs (khp_scenario_check);
 *  - with the expectations replaced by the runs' records
 *    (khp_scenario_expect_from_runs, what findings are made of), written and
 *    read back, it is accepted and its runs match all of them: khpsim never
 *    writes a scenario it would refuse or contradict.
 * Any violation aborts after printing the texts involved.
 *
 * Cost budget (an input over it is skipped before anything runs, so that no
 * input costs more than about a second under ASan): at most
 * SCN_MAX_BYTES bytes, SCN_MAX_OPS ops, SCN_MAX_EXPECTS expectations,
 * SCN_MAX_MAPPED pages created by mmap and mremap, SCN_MAX_WORK page-steps
 * of all ops (see op_work()); the checker runs after every op only while
 * ops x world pages stay under SCN_CHECK_WORK, otherwise once at the end.
 * docs/fuzzing.md states the same bounds.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "khpsim/scenario.h"

#define SCN_MAX_BYTES   65536u
#define SCN_MAX_OPS     4096u
#define SCN_MAX_EXPECTS 4096u
#define SCN_MAX_MAPPED  16384u
#define SCN_MAX_WORK    (1u << 18)
#define SCN_CHECK_WORK  (1u << 18)
#define SCN_NR_PROFILES 6

/* KHP_FUZZ_STATS=1: counts printed at exit (the one piece of process state). */
static struct { unsigned long inputs, refused, over_budget, run, checked; } stats;

static void print_stats(void)
{
	fprintf(stderr, "scenario fuzz: %lu inputs, %lu refused by the reader, %lu over the budget, "
		"%lu run (%lu with the checker after every op)\n", stats.inputs, stats.refused,
		stats.over_budget, stats.run, stats.checked);
}

static void count_input(void)
{
	const char *s;

	if (!stats.inputs++ && (s = getenv("KHP_FUZZ_STATS")) && *s && strcmp(s, "0"))
		atexit(print_stats);
}

static const char *const profile_names[SCN_NR_PROFILES] = {
	"linux-6.1", "linux-6.12", "linux-7.3",
	"linux-6.1+exact", "linux-6.12+exact", "linux-7.3+exact",
};

struct budget {
	unsigned long mapped;   /* pages mmap / mremap may have created */
	unsigned long work;     /* page-steps of all ops */
	unsigned long world;    /* pages the world may map, over all mms */
};

static unsigned long min_ul(unsigned long a, unsigned long b)
{
	return a < b ? a : b;
}

/* Pages one op may visit, given the pages mapped so far. */
static unsigned long op_work(const struct khp_op *op, const struct khp_config *c,
			     unsigned long mapped)
{
	switch ((enum khp_op_type)op->type) {
	case KHP_OP_MMAP:
	case KHP_OP_FAIL_ALLOC:
	case KHP_OP_PIN:
	case KHP_OP_UNPIN:
		return 1;
	case KHP_OP_KHUGEPAGED:
		return c->pmd_pages;
	case KHP_OP_FORK:
	case KHP_OP_EXIT:
	case KHP_OP_SPLIT:
		return mapped + 1;
	case KHP_OP_AGE:
		return (op->flags & KHP_OPF_RANGE ? min_ul(op->pages, mapped) : mapped) + 1;
	case KHP_OP_COLLAPSE:
		return min_ul(op->pages, mapped) + c->pmd_pages;
	default:
		return min_ul(op->pages, mapped) + 1;
	}
}

/* false when the program is over the budget (the input is skipped). */
static bool within_budget(const struct khp_scenario *sc, struct budget *b)
{
	const struct khp_program *p = &sc->program;
	unsigned long mms = 1;

	memset(b, 0, sizeof(*b));
	if (p->nr_ops > SCN_MAX_OPS || sc->nr_expects > SCN_MAX_EXPECTS)
		return false;
	for (size_t i = 0; i < p->nr_ops; i++) {
		const struct khp_op *op = &p->ops[i];

		if (op->type == KHP_OP_MMAP)
			b->mapped += op->pages;
		if (op->type == KHP_OP_MREMAP)
			b->mapped += op->flags & KHP_OPF_NEW_PAGES ? op->new_pages : op->pages;
		if (op->type == KHP_OP_FORK && mms < KHP_MAX_MMS)
			mms++;
		if (b->mapped > SCN_MAX_MAPPED)
			return false;
		b->work += op_work(op, &p->config, b->mapped);
	}
	b->world = b->mapped * mms;
	return b->work <= SCN_MAX_WORK;
}

/* ---- equality of two scenarios ---------------------------------------------- */

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool same_profile(struct khp_profile a, struct khp_profile b)
{
	return khp_profile_same(&a, &b) && !memcmp(&a.rules, &b.rules, sizeof(a.rules));
}

static bool same_config(const struct khp_config *a, const struct khp_config *b)
{
	return a->pmd_pages == b->pmd_pages && a->max_ptes_none == b->max_ptes_none &&
	       a->max_ptes_swap == b->max_ptes_swap && a->max_ptes_shared == b->max_ptes_shared &&
	       a->thp == b->thp && a->use_zero_page == b->use_zero_page && a->swap == b->swap &&
	       a->shrink_underused == b->shrink_underused && a->mthp_orders == b->mthp_orders;
}

static bool same_op(const struct khp_op *a, const struct khp_op *b)
{
	return a->type == b->type && a->advice == b->advice && a->flags == b->flags &&
	       a->mm == b->mm && a->child == b->child && a->addr == b->addr &&
	       a->pages == b->pages && a->to == b->to && a->new_pages == b->new_pages &&
	       a->count == b->count;
}

/* The fields of struct khp_expect in enum khp_expect_field order. */
static const struct { size_t off, size; } expect_fields[KHP_NR_EXPECT_FIELDS] = {
#define EF(m) { offsetof(struct khp_expect, m), sizeof(((struct khp_expect *)0)->m) }
	EF(result), EF(err), EF(collapsed), EF(none_or_zero), EF(unmapped), EF(referenced),
	EF(writable), EF(shared), EF(shared_exact), EF(shared_profile), EF(verdict),
	EF(alloc_pages), EF(freed_pages), EF(fill_pages), EF(dup_pages), EF(waste_pages),
	EF(fn_waste_pages), EF(copied_pages), EF(ptes_cleared), EF(tlb_flushes),
	EF(pages_in_use),
#undef EF
};

static bool same_expect(const struct khp_expect *a, const struct khp_expect *b)
{
	if (a->step != b->step || !same_profile(a->profile, b->profile) || a->fields != b->fields)
		return false;
	for (unsigned k = 0; k < KHP_NR_EXPECT_FIELDS; k++)
		if ((a->fields & KHP_EF(k)) &&
		    memcmp((const char *)a + expect_fields[k].off,
			   (const char *)b + expect_fields[k].off, expect_fields[k].size))
			return false;
	return true;
}

/* NULL if equal, else what differs. */
static const char *scenario_diff(const struct khp_scenario *a, const struct khp_scenario *b)
{
	if (!same_str(a->name, b->name) || !same_str(a->description, b->description) ||
	    !same_str(a->source, b->source))
		return "name, description or source";
	if (!same_config(&a->program.config, &b->program.config))
		return "config";
	if (a->program.nr_ops != b->program.nr_ops)
		return "number of ops";
	for (size_t i = 0; i < a->program.nr_ops; i++)
		if (!same_op(&a->program.ops[i], &b->program.ops[i]))
			return "an op";
	if (a->nr_profiles != b->nr_profiles)
		return "number of profiles";
	for (size_t i = 0; i < a->nr_profiles; i++)
		if (!same_profile(a->profiles[i], b->profiles[i]))
			return "a profile";
	if (a->nr_expects != b->nr_expects)
		return "number of expectations";
	for (size_t i = 0; i < a->nr_expects; i++)
		if (!same_expect(&a->expects[i], &b->expects[i]))
			return "an expectation";
	return NULL;
}

/* ---- write, read back ------------------------------------------------------- */

/* The canonical text of sc (malloc'd, NUL-terminated, length in *len). */
static char *write_text(const struct khp_scenario *sc, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	FUZZ_ASSERT(f);
	FUZZ_ASSERT_MSG(!khp_scenario_write(f, sc), "khp_scenario_write");
	FUZZ_ASSERT(!fclose(f));
	return text;
}

static void die_text(const char *what, const char *detail, const char *text)
{
	fprintf(stderr, "scenario fuzz: %s: %s\n--- text ---\n%s\n", what, detail, text);
	abort();
}

/* Write sc, read it back into out (which must succeed); returns the text. */
static char *round_trip(const struct khp_scenario *sc, struct khp_scenario *out, size_t *len)
{
	char *text = write_text(sc, len);
	char err[512];

	khp_scenario_init(out);
	if (khp_scenario_load_buf(text, *len, "written", out, err, sizeof(err)))
		die_text("the reader refuses what the writer wrote", err, text);
	return text;
}

/* ---- runs ------------------------------------------------------------------- */

static bool documented_error(int err)
{
	return err == 0 || err == -EINVAL || err == -ENOENT || err == -EFAULT ||
	       err == -EEXIST || err == -ERANGE || err == -ENOMEM || err == -E2BIG;
}

static void run_all(const struct khp_scenario *sc, const struct budget *b,
		    struct khp_run *runs)
{
	bool check = (unsigned long)sc->program.nr_ops * b->world <= SCN_CHECK_WORK;
	struct khp_run_opts opts = { .check = check };
	char msg[256];

	stats.run++;
	stats.checked += check;
	for (int i = 0; i < SCN_NR_PROFILES; i++) {
		struct khp_profile prof;
		struct khp_world *w;

		FUZZ_ASSERT(!khp_profile_parse(profile_names[i], &prof));
		FUZZ_ASSERT_MSG(!khp_world_new(&sc->program.config, prof, &w), "khp_world_new");
		memset(&runs[i], 0, sizeof(runs[i]));
		khp_run_in(w, &sc->program, &opts, &runs[i]);
		FUZZ_ASSERT_MSG(runs[i].err != -EUCLEAN, runs[i].errmsg);
		FUZZ_ASSERT_MSG(documented_error(runs[i].err), runs[i].errmsg);
		FUZZ_ASSERT_MSG(!runs[i].err || runs[i].errmsg[0], "an error without a message");
		if (!check && khp_world_check(w, msg, sizeof(msg)))
			FUZZ_ASSERT_MSG(0, msg);
		khp_world_free(w);
	}
}

/* Expectations from the runs, written, read back: accepted and all matched. */
static void check_findings_format(const char *text, size_t len, const struct khp_run *runs)
{
	struct khp_scenario sc, back;
	size_t len2, bad;
	char err[512], *text2;

	khp_scenario_init(&sc);
	FUZZ_ASSERT(!khp_scenario_load_buf(text, len, "written", &sc, err, sizeof(err)));
	FUZZ_ASSERT_MSG(!khp_scenario_expect_from_runs(&sc, runs, SCN_NR_PROFILES, KHP_EF_ALL),
			"khp_scenario_expect_from_runs");
	text2 = round_trip(&sc, &back, &len2);
	bad = khp_scenario_check(&back, runs, SCN_NR_PROFILES, stderr);
	if (bad)
		die_text("expectations from the runs do not match the runs", "see above", text2);
	free(text2);
	khp_scenario_free(&back);
	khp_scenario_free(&sc);
}

/* ---- the target --------------------------------------------------------------- */

static void check_fields(const struct khp_scenario *sc)
{
	char msg[256];

	if (khp_config_check(&sc->program.config, msg, sizeof(msg)))
		FUZZ_ASSERT_MSG(0, msg);
	for (size_t i = 0; i < sc->program.nr_ops; i++)
		if (khp_op_check(&sc->program.ops[i], &sc->program.config, msg, sizeof(msg)))
			FUZZ_ASSERT_MSG(0, msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct khp_scenario a, b, c;
	struct khp_run runs[SCN_NR_PROFILES];
	struct budget bud;
	char err[512], *t1, *t2;
	size_t l1, l2;
	const char *diff;

	count_input();
	if (size > SCN_MAX_BYTES) {
		stats.over_budget++;
		return 0;
	}
	khp_scenario_init(&a);
	if (khp_scenario_load_buf((const char *)data, size, "input", &a, err, sizeof(err))) {
		FUZZ_ASSERT_MSG(err[0], "a refused scenario without a message");
		stats.refused++;
		khp_scenario_free(&a);
		return 0;
	}
	if (!within_budget(&a, &bud)) {
		stats.over_budget++;
		khp_scenario_free(&a);
		return 0;
	}
	check_fields(&a);
	t1 = round_trip(&a, &b, &l1);
	diff = scenario_diff(&a, &b);
	if (diff)
		die_text("read -> write -> read changed the scenario", diff, t1);
	t2 = round_trip(&b, &c, &l2);
	if (l1 != l2 || memcmp(t1, t2, l1))
		die_text("write -> read -> write changed the bytes", t2, t1);
	run_all(&a, &bud, runs);
	khp_scenario_check(&a, runs, SCN_NR_PROFILES, NULL);
	check_findings_format(t1, l1, runs);
	for (int i = 0; i < SCN_NR_PROFILES; i++)
		khp_run_free(&runs[i]);
	free(t1);
	free(t2);
	khp_scenario_free(&a);
	khp_scenario_free(&b);
	khp_scenario_free(&c);
	return 0;
}
