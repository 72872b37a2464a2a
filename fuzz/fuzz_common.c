/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The runner shared by the fuzz targets (see fuzz_common.h).  State lives
 * in one struct fuzz_ctx per process (libFuzzer/AFL++ call the entry point
 * repeatedly); the worlds are reused across inputs, which keeps an exec
 * free of world allocation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_common.h"
#include "mutate.h"
#include "khpsim/minimize.h"
#include "khpsim/parse.h"

#define FEEDBACK_VALUES 512u       /* values are pages: 0..pmd_pages */
#ifndef FEEDBACK_GRAIN
#define FEEDBACK_GRAIN 1u          /* pages per counter (a build option, for measurements) */
#endif
#define FEEDBACK_PROFILES 4u

/*
 * libFuzzer extra counters: every (metric, profile, value) that is hit
 * becomes a feature, so an input reaching a value not seen before (in
 * particular a new maximum, even by one page: 255 -> 256) enters the corpus.
 */
__attribute__((section("__libfuzzer_extra_counters"), used))
static uint8_t extra_counters[FUZZ_NR_METRICS * FEEDBACK_PROFILES * FEEDBACK_VALUES];

/*
 * AFL++ has no extra counters.  Two ways into its coverage map:
 *  - a branch ladder over value / 8 (rung k taken when bucket > k), so a
 *    higher bucket is a new edge.  Each rung is its own basic block (the
 *    volatile asm with a distinct immediate keeps the compiler from merging
 *    or if-converting them) and the ladder is inlined once per (metric,
 *    profile), so the edges are distinct.  64 rungs per site: a rung per
 *    page would make afl-clang-fast spend minutes on this file.
 *  - the exact value: when the AFL++ runtime is linked, one map byte per
 *    (metric, profile, value) is bumped (fuzz_afl_value.c), so 255 -> 256
 *    is new coverage too.
 */
#define RUNG(v, k) do { if ((v) > (k)) __asm__ __volatile__("" : : "i"(k)); } while (0)
#define RUNG8(v, k) RUNG(v, k); RUNG(v, k + 1); RUNG(v, k + 2); RUNG(v, k + 3); \
		    RUNG(v, k + 4); RUNG(v, k + 5); RUNG(v, k + 6); RUNG(v, k + 7)

static inline __attribute__((always_inline)) void ladder(unsigned b)
{
	RUNG8(b, 0); RUNG8(b, 8); RUNG8(b, 16); RUNG8(b, 24);
	RUNG8(b, 32); RUNG8(b, 40); RUNG8(b, 48); RUNG8(b, 56);
}

#define SITE(n) case n: ladder(b); break

/*
 * afl-cc defines __AFL_COVERAGE(), which turns selective coverage on and
 * declares the runtime's switches; spelled out here with prototypes (the
 * macro's declarations have none: -Wstrict-prototypes).
 */
#ifdef __AFL_COVERAGE
int __afl_selective_coverage = 1;
void __afl_coverage_on(void);
void __afl_coverage_off(void);
#endif

void fuzz_coverage_off(void)
{
#ifdef __AFL_COVERAGE
	__afl_coverage_off();
#endif
}

void fuzz_coverage_on(void)
{
#ifdef __AFL_COVERAGE
	__afl_coverage_on();
#endif
}

/* fuzz_afl_value.c: no-op unless the AFL++ runtime is linked. */
void fuzz_afl_value(unsigned site, unsigned v);

void fuzz_feedback(unsigned m, size_t p, long value)
{
	unsigned v, b, site;

	if (value <= 0 || m >= FUZZ_NR_METRICS || p >= FEEDBACK_PROFILES)
		return;
	v = value >= (long)FEEDBACK_VALUES ? FEEDBACK_VALUES - 1 : (unsigned)value;
	site = m * FEEDBACK_PROFILES + (unsigned)p;
	extra_counters[site * FEEDBACK_VALUES + v / FEEDBACK_GRAIN] = 1;
	fuzz_afl_value(site * FEEDBACK_VALUES + v, 0);
	b = (v + 7) / 8;
	switch (site) {
	SITE(0); SITE(1); SITE(2); SITE(3); SITE(4); SITE(5); SITE(6); SITE(7);
	SITE(8); SITE(9); SITE(10); SITE(11); SITE(12); SITE(13); SITE(14); SITE(15);
	default: break;
	}
}

static bool env_flag(const char *name)
{
	const char *s = getenv(name);

	return s && *s && strcmp(s, "0");
}

static void parse_profiles(struct fuzz_ctx *c)
{
	const char *s = getenv("KHP_PROFILES");
	char msg[256];

	/* The invariants target (check on) also runs the exact-oracle variants. */
	if (!s || !*s)
		s = c->check ? "linux-6.1,linux-6.12,linux-7.3,"
			       "linux-6.1+exact,linux-6.12+exact,linux-7.3+exact"
			     : "linux-6.1,linux-6.12,linux-7.3";
	if (khp_profile_list_parse(s, c->profs, FUZZ_MAX_PROFILES, &c->nr_profs, msg,
				   sizeof(msg))) {
		fprintf(stderr, "KHP_PROFILES: %s\n", msg);
		exit(2);
	}
}

static void print_stats(struct fuzz_ctx *c)
{
	fprintf(stderr, "khpsim-fuzz: %lu execs, %lu ops, %lu runs with a rejected op (%.3f%%)\n",
		c->execs, c->ops, c->rejected_runs,
		c->execs ? 100.0 * c->rejected_runs / (c->execs * c->nr_profs) : 0.0);
}

static struct fuzz_ctx *the_ctx;

static void at_exit(void)
{
	if (the_ctx && the_ctx->stats)
		print_stats(the_ctx);
}

struct fuzz_ctx *fuzz_ctx(bool check)
{
	char msg[256] = "";
	struct fuzz_ctx *c = the_ctx;
	const char *th;

	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	FUZZ_ASSERT(c);
	fuzz_decode_opts(&c->dopts);
	c->check = check;
	parse_profiles(c);
	c->strict = env_flag("KHP_STRICT");
	c->quiet = env_flag("KHP_FUZZ_QUIET");
	c->stats = env_flag("KHP_FUZZ_STATS");
	c->findings_dir = getenv("KHP_FINDINGS_DIR");
	if (!c->findings_dir || !*c->findings_dir)
		c->findings_dir = ".";
	mkdir(c->findings_dir, 0777);
	c->progress_fd = -1;
	if (getenv("KHP_PROGRESS_FILE") && *getenv("KHP_PROGRESS_FILE"))
		c->progress_fd = open(getenv("KHP_PROGRESS_FILE"),
				      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	th = getenv("KHP_FN_THRESHOLD");
	c->threshold = 1;
	if (th && *th) {
		uint64_t v;

		if (khp_parse_u64(th, 0, 1000000000, &v, msg, sizeof(msg))) {
			fprintf(stderr, "KHP_FN_THRESHOLD: %s\n", msg);
			exit(2);
		}
		c->threshold = v ? (long)v : 1;
	}
	khp_program_init(&c->prog, &c->dopts.config);
	the_ctx = c;
	atexit(at_exit);
	return c;
}

/* (Re)create the worlds when the config changes (explore-config variant). */
static void ensure_worlds(struct fuzz_ctx *c, const struct khp_config *conf)
{
	if (c->w[0] && !memcmp(&c->wconf, conf, sizeof(*conf)))
		return;
	for (size_t i = 0; i < c->nr_profs; i++) {
		if (c->w[i])
			khp_world_free(c->w[i]);
		c->w[i] = NULL;
		FUZZ_ASSERT_MSG(!khp_world_new(conf, c->profs[i], &c->w[i]), "khp_world_new");
		khp_world_set_check(c->w[i], c->check);
	}
	c->wconf = *conf;
}

void fuzz_done(struct fuzz_ctx *c)
{
	for (size_t i = 0; i < c->nr_profs; i++)
		khp_run_free(&c->runs[i]);
	memset(c->runs, 0, sizeof(c->runs));
	khp_program_free(&c->prog);
}

void fuzz_execute(struct fuzz_ctx *c, const uint8_t *data, size_t size)
{
	struct khp_run_opts opts = { .check = c->check };

	fuzz_done(c);
	FUZZ_ASSERT_MSG(!khp_decode(data, size, &c->dopts, &c->prog), "khp_decode");
	ensure_worlds(c, &c->prog.config);
	c->execs++;
	c->ops += c->prog.nr_ops;
	/* Exec counts for the campaign's progress line (AFL++ updates its
	 * fuzzer_stats only about once a minute).  Appending keeps the counts
	 * of restarted processes. */
	fuzz_coverage_off();
	if (c->progress_fd >= 0 && c->execs % FUZZ_PROGRESS_EXECS == 0 &&
	    write(c->progress_fd, "4096\n", 5) != 5)
		c->progress_fd = -1;
	fuzz_coverage_on();
	for (size_t i = 0; i < c->nr_profs; i++) {
		struct khp_run *r = &c->runs[i];

		khp_run_in(c->w[i], &c->prog, &opts, r);
		if (r->err) {
			c->rejected_runs++;
			if (c->strict) {
				fprintf(stderr, "khpsim-fuzz: %s rejected step %zu: %s\n",
					khp_profile_name(&c->profs[i]), r->err_step, r->errmsg);
				abort();
			}
		}
		FUZZ_ASSERT_MSG(r->err != -EUCLEAN, r->errmsg);
	}
}

int fuzz_write_finding(struct fuzz_ctx *c, const char *prefix, const char *desc,
		       char *path, size_t pathlen)
{
	return khp_finding_write(c->findings_dir, prefix, desc, &c->prog, c->profs,
				 c->nr_profs, path, pathlen);
}
