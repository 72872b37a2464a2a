/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A program built against an installed libkhpsim through pkg-config
 * (sim/tests/install/install.sh): it sees only the installed headers and
 * libraries, as a user's program would.
 *
 * consumer SCENARIO: for each kernel profile, parse the profile, build a
 * world with the config of the 2024 "extreme case" (max_ptes_none 511,
 * max_ptes_shared 0), apply its program op by op and check the khugepaged
 * step: linux-6.12 collapses and duplicates 256 pages a child still maps
 * (fn_waste_pages 256, a false negative), 6.1 and 7.3 refuse.  Then read
 * SCENARIO (scenarios/hildenbrand-2024-extreme.json, the same program)
 * through the scenario reader, which needs libcjson, and check that it
 * holds the same ops and that khp_run_program() gives the same records.
 * Exit 0 when everything holds, 1 otherwise.
 */
#include <stdio.h>
#include <string.h>

#include <khpsim/khpsim.h>
#include <khpsim/knobs.h>      /* khp_config_format() */
#include <khpsim/scenario.h>

#define BASE 262144u   /* PMD range 512 */

static const struct khp_op extreme[] = {
	{ .type = KHP_OP_MMAP, .addr = BASE, .pages = 512, .flags = KHP_OPF_WRITE | KHP_OPF_HUGEPAGE },
	{ .type = KHP_OP_TOUCH, .addr = BASE, .pages = 512, .flags = KHP_OPF_WRITE },
	{ .type = KHP_OP_MADVISE, .addr = BASE, .pages = 512, .advice = KHP_ADV_NOHUGEPAGE },
	{ .type = KHP_OP_FORK, .child = 1 },
	{ .type = KHP_OP_DONTNEED, .addr = BASE, .pages = 1 },
	{ .type = KHP_OP_DONTNEED, .addr = BASE + 257, .pages = 255 },
	{ .type = KHP_OP_DONTNEED, .mm = 1, .addr = BASE, .pages = 1 },
	{ .type = KHP_OP_DONTNEED, .mm = 1, .addr = BASE + 257, .pages = 255 },
	{ .type = KHP_OP_TOUCH, .addr = BASE + 257, .pages = 1, .flags = KHP_OPF_WRITE },
	{ .type = KHP_OP_MADVISE, .addr = BASE, .pages = 512, .advice = KHP_ADV_HUGEPAGE },
	{ .type = KHP_OP_KHUGEPAGED, .addr = BASE },
};

#define NR_OPS (sizeof(extreme) / sizeof(extreme[0]))

static const struct {
	const char *profile;
	enum scan_result result;
	long fn_waste_pages;
} want[] = {
	{ "linux-6.1", SCAN_EXCEED_SHARED_PTE, 0 },
	{ "linux-6.12", SCAN_SUCCEED, 256 },
	{ "linux-7.3", SCAN_EXCEED_SHARED_PTE, 0 },
};

#define NR_PROFILES (sizeof(want) / sizeof(want[0]))

static int failed;

static void check(int ok, const char *what, const char *profile)
{
	if (!ok) {
		fprintf(stderr, "consumer: %s: %s\n", profile, what);
		failed = 1;
	}
}

static void extreme_config(struct khp_config *c)
{
	khp_config_default(c, 512);
	c->max_ptes_none = 511;
	c->max_ptes_shared = 0;
}

/* The program op by op in a new world; the khugepaged step's record in *rec. */
static int run_by_hand(const struct khp_profile *p, struct khp_record *rec)
{
	struct khp_config c;
	struct khp_world *w;
	char msg[256];
	size_t i;
	int err;

	extreme_config(&c);
	if (khp_config_check(&c, msg, sizeof(msg))) {
		fprintf(stderr, "consumer: config: %s\n", msg);
		return -1;
	}
	err = khp_world_new(&c, *p, &w);
	if (err) {
		fprintf(stderr, "consumer: khp_world_new: %d\n", err);
		return -1;
	}
	memset(rec, 0, sizeof(*rec));
	for (i = 0; i < NR_OPS; i++) {
		err = khp_world_apply(w, &extreme[i], rec);
		if (err) {
			fprintf(stderr, "consumer: step %zu: %s\n", i, khp_world_error(w));
			break;
		}
	}
	if (!err && (err = khp_world_check(w, msg, sizeof(msg))))
		fprintf(stderr, "consumer: world check: %s\n", msg);
	khp_world_free(w);
	return err ? -1 : 0;
}

static int same_op(const struct khp_op *a, const struct khp_op *b)
{
	return a->type == b->type && a->advice == b->advice && a->flags == b->flags &&
	       a->mm == b->mm && a->child == b->child && a->addr == b->addr &&
	       a->pages == b->pages;
}

/* The scenario file through the reader and khp_run_program(). */
static void check_scenario(const char *path, const struct khp_record *by_hand)
{
	struct khp_scenario sc;
	struct khp_config c;
	char err[512], want_conf[256], conf[256];
	size_t i;

	khp_scenario_init(&sc);
	if (khp_scenario_load_file(path, &sc, err, sizeof(err))) {
		fprintf(stderr, "consumer: %s\n", err);
		failed = 1;
		return;
	}
	extreme_config(&c);
	check(sc.program.nr_ops == NR_OPS, "the scenario's program has another length", path);
	khp_config_format(&c, want_conf, sizeof(want_conf));
	khp_config_format(&sc.program.config, conf, sizeof(conf));
	check(!strcmp(conf, want_conf), "the scenario has another config", path);
	for (i = 0; i < NR_OPS && i < sc.program.nr_ops; i++)
		check(same_op(&sc.program.ops[i], &extreme[i]), "an op of the scenario differs", path);
	for (i = 0; i < NR_PROFILES; i++) {
		struct khp_profile p;
		struct khp_run run;
		const struct khp_record *r;

		memset(&run, 0, sizeof(run));
		if (khp_profile_parse(want[i].profile, &p) ||
		    khp_run_program(&sc.program, p, NULL, &run)) {
			check(0, run.errmsg[0] ? run.errmsg : "khp_run_program failed", want[i].profile);
			khp_run_free(&run);
			continue;
		}
		r = khp_run_record(&run, NR_OPS - 1);
		check(r && r->result == by_hand[i].result &&
		      r->fn_waste_pages == by_hand[i].fn_waste_pages &&
		      r->dup_pages == by_hand[i].dup_pages && r->verdict == by_hand[i].verdict,
		      "khp_run_program's record differs from the world's", want[i].profile);
		check(khp_run_max_fn_waste(&run) == want[i].fn_waste_pages,
		      "khp_run_max_fn_waste", want[i].profile);
		khp_run_free(&run);
	}
	khp_scenario_free(&sc);
}

int main(int argc, char **argv)
{
	struct khp_record recs[NR_PROFILES];
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: consumer SCENARIO\n");
		return 2;
	}
	for (i = 0; i < NR_PROFILES; i++) {
		struct khp_profile p;
		char msg[256];

		if (khp_profile_parse_msg(want[i].profile, &p, msg, sizeof(msg))) {
			check(0, msg, want[i].profile);
			continue;
		}
		check(!strcmp(khp_profile_name(&p), want[i].profile), "profile name", want[i].profile);
		if (run_by_hand(&p, &recs[i])) {
			check(0, "the program failed", want[i].profile);
			continue;
		}
		check(recs[i].op == KHP_OP_KHUGEPAGED, "no record for the khugepaged step", want[i].profile);
		check(recs[i].result == want[i].result, khp_result_name(recs[i].result),
		      want[i].profile);
		check(recs[i].fn_waste_pages == want[i].fn_waste_pages, "fn_waste_pages",
		      want[i].profile);
		check((recs[i].verdict == KHP_VERDICT_FALSE_NEGATIVE) == (want[i].fn_waste_pages > 0),
		      khp_verdict_name(recs[i].verdict), want[i].profile);
		printf("%s: %s, verdict %s, fn_waste_pages %ld\n", want[i].profile,
		       khp_result_name(recs[i].result), khp_verdict_name(recs[i].verdict),
		       recs[i].fn_waste_pages);
	}
	if (!failed)
		check_scenario(argv[1], recs);
	if (!failed)
		printf("consumer: ok\n");
	return failed;
}
