/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The real-kernel oracle, the way back from a guest (sim/src/oracle/
 * guestlog.c, compare.c, rows.c, known.c, summary.c; docs/oracle.md):
 *
 *  - KHPSIM-STEP lines parse (and malformed ones are refused);
 *  - the comparison, on guest output recorded from real Debian 6.1, 6.12 and
 *    7.3 kernels (sim/tests/data/oracle/), finds the real decisions the
 *    model must reproduce, reports a changed field with both values, and
 *    honours the known-difference list;
 *  - a guest log is classified complete, panicked, timed out or truncated
 *    (recorded good logs, and bad ones made from them: an early-boot panic,
 *    a mid-run panic, a truncated log, a timeout);
 *  - the steps an incomplete guest did not reach are NOT_RUN, never
 *    MISSING or DIFFER, so the run's outcome is "incomplete", while a step
 *    that ran and differs still makes it "disagree".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "khp_test.h"
#include <khpsim/oracle.h>

#define DATA KHP_SOURCE_DIR "/sim/tests/data/oracle"

static void load(const char *path, struct khp_scenario *sc)
{
	char err[512];

	khp_scenario_init(sc);
	if (khp_scenario_load_file(path, sc, err, sizeof(err)))
		fail_msg("%s", err);
}

static void read_log(const char *path, struct khp_guest_log *log)
{
	char err[256];
	FILE *f = fopen(path, "r");

	if (!f)
		fail_msg("%s: cannot open", path);
	if (khp_guest_log_read(f, log, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	fclose(f);
}

static void guest_lines_parse(void **state)
{
	struct khp_guest_step st;

	(void)state;
	assert_int_equal(khp_guest_parse_line("[  3.1] random console noise", &st), 0);
	assert_int_equal(khp_guest_parse_line(
		"KHPSIM-STEP scenario=s step=10 kind=khugepaged status=succeeded none_or_zero=255 "
		"unmapped=0 referenced=257 writable=1 scans=3 any_succeeded=1 last=page_pmd_mapped "
		"statuses=succeeded,page_pmd_mapped pmd_mapped=1 hidden=0", &st), 1);
	assert_string_equal(st.scenario, "s");
	assert_int_equal(st.step, 10);
	assert_int_equal(st.kind, KHP_GUEST_KHUGEPAGED);
	assert_string_equal(st.status, "succeeded");
	assert_int_equal(st.none_or_zero, 255);
	assert_int_equal(st.referenced, 257);
	assert_int_equal(st.writable, 1);
	assert_int_equal(st.pmd_mapped, 1);
	assert_false(st.conflict);
	/* 7.3 has no writable field */
	assert_int_equal(khp_guest_parse_line(
		"KHPSIM-STEP scenario=s step=2 kind=collapse ret=-1 errno=EINVAL status=pmd_none "
		"none_or_zero=0 unmapped=0 referenced=0 scans=1 statuses=pmd_none pmd_mapped=0", &st), 1);
	assert_int_equal(st.kind, KHP_GUEST_COLLAPSE);
	assert_string_equal(st.err_name, "EINVAL");
	assert_int_equal(st.writable, -1);
	assert_int_equal(khp_guest_parse_line(
		"KHPSIM-STEP scenario=s step=4 kind=mremap error=EINVAL", &st), 1);
	assert_int_equal(st.kind, KHP_GUEST_OPERR);
	assert_string_equal(st.op, "mremap");
	/* malformed */
	assert_int_equal(khp_guest_parse_line("KHPSIM-STEP scenario=s kind=khugepaged", &st), -EINVAL);
	assert_int_equal(khp_guest_parse_line("KHPSIM-STEP scenario=s step=x1 kind=collapse "
					      "status=a errno=0", &st), -EINVAL);
	assert_int_equal(khp_guest_parse_line("KHPSIM-STEP scenario=s step=1 kind=bogus status=a",
					      &st), -EINVAL);
	assert_int_equal(khp_guest_parse_line("KHPSIM-STEP scenario=s step=1 kind=collapse "
					      "status=a", &st), -EINVAL);
}

/* A hand-made model step, to test the comparison alone. */
static struct khp_model_step model_scan(enum scan_result r, unsigned none, unsigned refd,
					bool writable, bool pmd)
{
	struct khp_model_step m;

	memset(&m, 0, sizeof(m));
	m.has_record = true;
	m.rec.op = KHP_OP_KHUGEPAGED;
	m.rec.result = r;
	m.rec.none_or_zero = none;
	m.rec.referenced = refd;
	m.rec.writable = writable;
	m.pmd_mapped = pmd;
	return m;
}

static void compare_fields(void **state)
{
	struct khp_model_step m = model_scan(SCAN_SUCCEED, 255, 257, true, true);
	struct khp_diff d[KHP_MAX_DIFFS];
	struct khp_guest_step g;
	const char *why;
	size_t nd;

	(void)state;
	assert_int_equal(khp_guest_parse_line(
		"KHPSIM-STEP scenario=s step=10 kind=khugepaged status=succeeded none_or_zero=255 "
		"unmapped=0 referenced=257 writable=1 scans=3 pmd_mapped=1 hidden=0", &g), 1);
	assert_int_equal(khp_oracle_compare(&g, &m, KHP_LINUX_6_12, d, &nd, &why), KHP_ORACLE_AGREE);
	assert_int_equal(nd, 0);

	m = model_scan(SCAN_EXCEED_SHARED_PTE, 1, 0, false, false);
	assert_int_equal(khp_oracle_compare(&g, &m, KHP_LINUX_6_12, d, &nd, &why), KHP_ORACLE_DIFFER);
	assert_true(nd >= 2);
	assert_string_equal(d[0].field, "status");
	assert_string_equal(d[0].real, "succeeded");
	assert_string_equal(d[0].model, "exceed_shared_pte");
	assert_string_equal(d[nd - 1].field, "pmd_mapped");

	/* 7.3: writable is not compared */
	m = model_scan(SCAN_SUCCEED, 255, 257, false, true);
	assert_int_equal(khp_oracle_compare(&g, &m, KHP_LINUX_7_3, d, &nd, &why), KHP_ORACLE_AGREE);
	assert_int_equal(khp_oracle_compare(&g, &m, KHP_LINUX_6_1, d, &nd, &why), KHP_ORACLE_DIFFER);
	assert_string_equal(d[0].field, "writable");

	/* an op both refuse agrees; an op only the guest refuses differs */
	assert_int_equal(khp_guest_parse_line("KHPSIM-STEP scenario=s step=3 kind=mremap error=EFAULT",
					      &g), 1);
	memset(&m, 0, sizeof(m));
	assert_int_equal(khp_oracle_compare(&g, &m, KHP_LINUX_6_1, d, &nd, &why), KHP_ORACLE_DIFFER);
	m.error = true;
	m.err = -EFAULT;
	assert_int_equal(khp_oracle_compare(&g, &m, KHP_LINUX_6_1, d, &nd, &why), KHP_ORACLE_AGREE);

	/* a step that could not be isolated is skipped, not compared */
	assert_int_equal(khp_guest_parse_line(
		"KHPSIM-STEP scenario=s step=1 kind=khugepaged status=succeeded pmd_mapped=1 "
		"conflict=eligible_neighbour", &g), 1);
	m = model_scan(SCAN_EXCEED_NONE_PTE, 512, 0, false, false);
	assert_int_equal(khp_oracle_compare(&g, &m, KHP_LINUX_6_1, d, &nd, &why), KHP_ORACLE_SKIPPED);
	assert_non_null(why);
}

/*
 * Recorded real output (scripts/oracle, TCG, Debian 6.1.0-56, 6.12.107,
 * 7.3.4) against the model for the layouts whose real decisions are
 * documented facts (docs/fidelity.md, "Where the kernels disagree").
 */
struct recorded {
	const char *scenario;   /* file under DATA */
	unsigned step;
	enum khp_kernel kernel;
	const char *status;     /* the real status recorded */
	int pmd_mapped;
};

static const struct recorded recorded[] = {
	{ "oracle-d2-both-pte-p0-unmapped-shared0", 10, KHP_LINUX_6_1, "exceed_shared_pte", 0 },
	{ "oracle-d2-both-pte-p0-unmapped-shared0", 10, KHP_LINUX_6_12, "succeeded", 1 },
	{ "oracle-d2-both-pte-p0-unmapped-shared0", 10, KHP_LINUX_7_3, "exceed_shared_pte", 0 },
	{ "oracle-c-fork-childwrites-parent-ro-shared0", 5, KHP_LINUX_6_1, "no_writable_page", 0 },
	{ "oracle-c-fork-childwrites-parent-ro-shared0", 5, KHP_LINUX_6_12, "no_writable_page", 0 },
	{ "oracle-c-fork-childwrites-parent-ro-shared0", 5, KHP_LINUX_7_3, "succeeded", 1 },
	{ "selftest-collapse_max_ptes_swap-khugepaged", 4, KHP_LINUX_6_12, "exceed_swap_pte", 0 },
	{ "selftest-collapse_max_ptes_swap-khugepaged", 8, KHP_LINUX_6_12, "succeeded", 1 },
	{ "selftest-collapse_empty-madvise", 2, KHP_LINUX_7_3, "-", 0 },
};

static const char *log_name(enum khp_kernel k)
{
	return k == KHP_LINUX_6_1 ? DATA "/guest-6.1.log" :
	       k == KHP_LINUX_6_12 ? DATA "/guest-6.12.log" : DATA "/guest-7.3.log";
}

static void compare_recorded(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(recorded) / sizeof(recorded[0]); i++) {
		const struct recorded *r = &recorded[i];
		const struct khp_guest_step *g = NULL;
		struct khp_guest_log log;
		struct khp_model_step *model;
		struct khp_scenario sc;
		struct khp_diff d[KHP_MAX_DIFFS];
		enum khp_kernel k;
		char path[512], err[256];
		const char *why;
		size_t nd, j;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s.json", DATA, r->scenario);
		load(path, &sc);
		f = fopen(log_name(r->kernel), "r");
		assert_non_null(f);
		assert_int_equal(khp_guest_log_read(f, &log, err, sizeof(err)), 0);
		fclose(f);
		assert_true(log.done);
		assert_int_equal(khp_guest_kernel(log.release, &k), 0);
		assert_int_equal(k, r->kernel);
		for (j = 0; j < log.nr; j++)
			if (log.steps[j].step == r->step && !strcmp(log.steps[j].scenario, r->scenario))
				g = &log.steps[j];
		if (!g)
			fail_msg("%s step %u: not in %s", r->scenario, r->step, log_name(r->kernel));
		assert_string_equal(g->status, r->status);
		assert_int_equal(g->pmd_mapped, r->pmd_mapped);

		model = calloc(sc.program.nr_ops, sizeof(*model));
		assert_non_null(model);
		assert_int_equal(khp_model_steps(&sc, r->kernel, model), 0);
		if (khp_oracle_compare(g, &model[r->step], r->kernel, d, &nd, &why) != KHP_ORACLE_AGREE)
			fail_msg("%s step %u %s: %s real=%s model=%s", r->scenario, r->step,
				 khp_kernel_name(r->kernel), d[0].field, d[0].real, d[0].model);
		free(model);
		khp_guest_log_free(&log);
		khp_scenario_free(&sc);
	}
}

static const char known_ok[] =
	"{\"entries\": [{\"scenario\": \"a\", \"kernel\": \"6.12\", \"field\": \"referenced\", "
	"\"reason\": \"because of x y z\", \"source\": \"mm/khugepaged.c\"}]}";
static const char known_bad[] = "{\"entries\": [{\"scenario\": \"a\", \"typo\": 1}]}";

static void known_list(void **state)
{
	struct khp_known_list kl;
	char path[] = "/tmp/khp-known-XXXXXX", err[256];
	int fd;

	(void)state;
	assert_int_equal(khp_known_load(KHP_SOURCE_DIR "/oracle/known-differences.json", &kl, err,
					sizeof(err)), 0);
	for (size_t i = 0; i < kl.nr; i++) {
		assert_true(strlen(kl.v[i].reason) > 10);
		assert_true(strlen(kl.v[i].source) > 5);
	}
	khp_known_free(&kl);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_true(write(fd, known_ok, strlen(known_ok)) == (ssize_t)strlen(known_ok));
	close(fd);
	assert_int_equal(khp_known_load(path, &kl, err, sizeof(err)), 0);
	assert_int_equal(kl.nr, 1);
	assert_non_null(khp_known_find(&kl, "a", 7, KHP_LINUX_6_12, "referenced"));
	assert_null(khp_known_find(&kl, "a", 7, KHP_LINUX_6_1, "referenced"));
	assert_null(khp_known_find(&kl, "a", 7, KHP_LINUX_6_12, "status"));
	assert_null(khp_known_find(&kl, "b", 7, KHP_LINUX_6_12, "referenced"));
	khp_known_free(&kl);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_true(write(fd, known_bad, strlen(known_bad)) == (ssize_t)strlen(known_bad));
	close(fd);
	assert_int_equal(khp_known_load(path, &kl, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "entries[0].typo"));
	unlink(path);
}

/* ---- how a guest run ended ------------------------------------------------ */

struct ending {
	const char *log;            /* file under DATA */
	enum khp_guest_end end;
	unsigned long line;         /* of the evidence, 0: none */
	const char *msg;            /* the evidence starts with this ("" none) */
	const char *release;
};

static const struct ending endings[] = {
	{ "guest-6.1.log", KHP_GUEST_COMPLETE, 0, "", "6.1.0-56-amd64" },
	{ "guest-6.12.log", KHP_GUEST_COMPLETE, 0, "", "6.12.107+deb13-amd64" },
	{ "guest-7.3.log", KHP_GUEST_COMPLETE, 0, "", "7.3.4+deb13-amd64" },
	{ "guest-6.12-differ.log", KHP_GUEST_COMPLETE, 0, "", "6.12.107+deb13-amd64" },
	/* the boot of the issue: an oops before /init, no KHPSIM line */
	{ "guest-7.3-panic-early.log", KHP_GUEST_PANICKED, 11, "Oops: int3: 0000 [#1] SMP NOPTI", "" },
	/* 6.1's die() header has no "Oops:" prefix */
	{ "guest-6.1-panic.log", KHP_GUEST_PANICKED, 11, "int3: 0000 [#1] PREEMPT SMP NOPTI",
	  "6.1.0-56-amd64" },
	{ "guest-6.12-truncated.log", KHP_GUEST_TRUNCATED, 0, "", "6.12.107+deb13-amd64" },
	{ "guest-7.3-timeout.log", KHP_GUEST_TIMED_OUT, 25, "KHPSIM-HOST timeout: no output for 300 s",
	  "7.3.4+deb13-amd64" },
};

static void guest_log_endings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(endings) / sizeof(endings[0]); i++) {
		const struct ending *e = &endings[i];
		struct khp_guest_log log;
		char path[512], desc[256];

		snprintf(path, sizeof(path), "%s/%s", DATA, e->log);
		read_log(path, &log);
		if (log.end != e->end)
			fail_msg("%s: %s, expected %s", e->log, khp_guest_end_name(log.end),
				 khp_guest_end_name(e->end));
		assert_int_equal(log.end_line, e->line);
		if (strncmp(log.end_msg, e->msg, strlen(e->msg)) || (!e->msg[0] && log.end_msg[0]))
			fail_msg("%s: evidence \"%s\", expected \"%s\"", e->log, log.end_msg, e->msg);
		assert_string_equal(log.release, e->release);
		assert_int_equal(log.done, e->end == KHP_GUEST_COMPLETE);
		khp_guest_end_describe(&log, desc, sizeof(desc));
		assert_non_null(strstr(desc, e->end == KHP_GUEST_TIMED_OUT ? "timed out" :
					     khp_guest_end_name(e->end)));
		khp_guest_log_free(&log);
	}
}

/* Console lines that look like kernel trouble but are not an oops. */
static void guest_log_not_panics(void **state)
{
	static const char text[] =
		"KHPSIM-KERNEL release=6.12.107+deb13-amd64 version=#1 SMP Debian 6.12.107-1\n"
		"[    5.1] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [khugepaged:35]\n"
		"[    5.2] ------------[ cut here ]------------\n"
		"[    5.3] WARNING: CPU: 0 PID: 1 at mm/huge_memory.c:1234 foo+0x1/0x2\n"
		"[    5.4] rcu: INFO: rcu_preempt self-detected stall on CPU\n"
		"KHPSIM-STEP scenario=Oops step=1 kind=mremap error=EINVAL\n"
		"KHPSIM-DONE errors=0\n"
		"[    9.9] reboot: Power down\n";
	struct khp_guest_log log;
	char err[128];
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

	(void)state;
	assert_non_null(f);
	assert_int_equal(khp_guest_log_read(f, &log, err, sizeof(err)), 0);
	fclose(f);
	assert_int_equal(log.end, KHP_GUEST_COMPLETE);
	assert_string_equal(log.build, "#1 SMP Debian 6.12.107-1");
	khp_guest_log_free(&log);
}

/* ---- rows and the outcome ------------------------------------------------- */

static const char *const data_scenarios[] = {
	"oracle-c-fork-childwrites-parent-ro-shared0",
	"oracle-d2-both-pte-p0-unmapped-shared0",
	"selftest-collapse_empty-madvise",
	"selftest-collapse_max_ptes_swap-khugepaged",
};
#define NR_DATA_SCENARIOS (sizeof(data_scenarios) / sizeof(data_scenarios[0]))

/* Rows of every scenario of DATA against one guest log (read into *g,
 * whose path is path[]). */
static void run_rows(const char *log, enum khp_kernel k, struct khp_oracle_guest *g,
		     char path[512], struct khp_oracle_rows *rows)
{
	struct khp_known_list known = { 0 };

	memset(g, 0, sizeof(*g));
	snprintf(path, 512, "%s/%s", DATA, log);
	g->path = path;
	g->kernel = k;
	read_log(path, &g->log);
	for (size_t i = 0; i < NR_DATA_SCENARIOS; i++) {
		struct khp_scenario sc;
		char file[512];

		snprintf(file, sizeof(file), "%s/%s.json", DATA, data_scenarios[i]);
		load(file, &sc);
		assert_int_equal(khp_oracle_scenario(&sc, file, g, &known, rows), 0);
		khp_scenario_free(&sc);
	}
}

struct rows_case {
	const char *log;
	enum khp_kernel kernel;
	struct khp_oracle_totals t;
	enum khp_oracle_outcome outcome;
};

/* The 5 khugepaged / collapse steps of the 4 scenarios on each log. */
static const struct rows_case rows_cases[] = {
	{ "guest-6.1.log", KHP_LINUX_6_1, { .steps = 5, .agree = 5 }, KHP_ORACLE_OK },
	{ "guest-6.12.log", KHP_LINUX_6_12, { .steps = 5, .agree = 5 }, KHP_ORACLE_OK },
	{ "guest-7.3.log", KHP_LINUX_7_3, { .steps = 5, .agree = 5 }, KHP_ORACLE_OK },
	{ "guest-6.12-differ.log", KHP_LINUX_6_12, { .steps = 5, .agree = 4, .differ = 1 },
	  KHP_ORACLE_DISAGREE },
	{ "guest-7.3-panic-early.log", KHP_LINUX_7_3, { .steps = 5, .not_run = 5 },
	  KHP_ORACLE_INCOMPLETE },
	{ "guest-6.1-panic.log", KHP_LINUX_6_1, { .steps = 5, .agree = 1, .not_run = 4 },
	  KHP_ORACLE_INCOMPLETE },
	{ "guest-6.12-truncated.log", KHP_LINUX_6_12, { .steps = 5, .agree = 2, .not_run = 3 },
	  KHP_ORACLE_INCOMPLETE },
	{ "guest-7.3-timeout.log", KHP_LINUX_7_3, { .steps = 5, .agree = 4, .not_run = 1 },
	  KHP_ORACLE_INCOMPLETE },
};

static void rows_by_guest_end(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows_cases) / sizeof(rows_cases[0]); i++) {
		const struct rows_case *c = &rows_cases[i];
		struct khp_oracle_rows rows = { 0 };
		struct khp_oracle_guest g;
		const struct khp_oracle_totals *t = &rows.t;
		char path[512];

		run_rows(c->log, c->kernel, &g, path, &rows);
		if (memcmp(t, &c->t, sizeof(*t)))
			fail_msg("%s: steps %u agree %u differ %u known %u skipped %u missing %u "
				 "not_run %u", c->log, t->steps, t->agree, t->differ, t->known,
				 t->skipped, t->missing, t->not_run);
		assert_int_equal(khp_oracle_outcome(&rows, &g, 1), c->outcome);
		for (size_t j = 0; j < rows.nr; j++)
			if (rows.v[j].verdict == KHP_ORACLE_NOT_RUN)
				assert_non_null(strstr(rows.v[j].why, g.path));
		khp_guest_log_free(&g.log);
		khp_oracle_rows_free(&rows);
	}
}

/* A disagreement on one kernel wins over a panic on another. */
static void outcome_disagree_wins(void **state)
{
	struct khp_oracle_rows rows = { 0 };
	struct khp_oracle_guest g[2];
	char path[2][512];

	(void)state;
	run_rows("guest-6.12-differ.log", KHP_LINUX_6_12, &g[0], path[0], &rows);
	run_rows("guest-7.3-panic-early.log", KHP_LINUX_7_3, &g[1], path[1], &rows);
	assert_int_equal(rows.t.differ, 1);
	assert_int_equal(rows.t.not_run, 5);
	assert_int_equal(khp_oracle_outcome(&rows, g, 2), KHP_ORACLE_DISAGREE);
	assert_int_equal(khp_oracle_outcome(&rows, g + 1, 1), KHP_ORACLE_DISAGREE);
	khp_guest_log_free(&g[0].log);
	khp_guest_log_free(&g[1].log);
	khp_oracle_rows_free(&rows);
}

/*
 * Lines a guest got past are MISSING, even in an incomplete log: a complete
 * guest without a step line, or a scenario that ended without it.
 */
static void missing_when_reached(void **state)
{
	struct khp_oracle_rows rows = { 0 };
	struct khp_known_list known = { 0 };
	struct khp_oracle_guest g;
	struct khp_scenario sc;
	char line[8192], file[512], *buf = NULL, err[128];
	size_t len = 0;
	FILE *in, *out;

	(void)state;
	/* guest-7.3.log without the KHPSIM-STEP line of d2 step 10: complete */
	in = fopen(DATA "/guest-7.3.log", "r");
	out = open_memstream(&buf, &len);
	assert_true(in && out);
	while (fgets(line, sizeof(line), in))
		if (!strstr(line, "KHPSIM-STEP scenario=oracle-d2"))
			fputs(line, out);
	fclose(in);
	fclose(out);
	memset(&g, 0, sizeof(g));
	g.path = "dropped";
	g.kernel = KHP_LINUX_7_3;
	in = fmemopen(buf, len, "r");
	assert_int_equal(khp_guest_log_read(in, &g.log, err, sizeof(err)), 0);
	fclose(in);
	snprintf(file, sizeof(file), "%s/%s.json", DATA, data_scenarios[1]);
	load(file, &sc);
	assert_int_equal(khp_oracle_scenario(&sc, file, &g, &known, &rows), 0);
	assert_int_equal(rows.t.missing, 1);
	assert_int_equal(khp_oracle_outcome(&rows, &g, 1), KHP_ORACLE_DISAGREE);
	/* the same log cut before KHPSIM-DONE: d2 had ended, still MISSING */
	khp_guest_log_free(&g.log);
	khp_oracle_rows_free(&rows);
	*strstr(buf, "KHPSIM-DONE") = 0;
	in = fmemopen(buf, strlen(buf), "r");
	assert_int_equal(khp_guest_log_read(in, &g.log, err, sizeof(err)), 0);
	fclose(in);
	assert_int_equal(g.log.end, KHP_GUEST_TRUNCATED);
	assert_int_equal(khp_oracle_scenario(&sc, file, &g, &known, &rows), 0);
	assert_int_equal(rows.t.missing, 1);
	assert_int_equal(rows.t.not_run, 0);
	assert_int_equal(khp_oracle_outcome(&rows, &g, 1), KHP_ORACLE_DISAGREE);
	khp_guest_log_free(&g.log);
	khp_oracle_rows_free(&rows);
	khp_scenario_free(&sc);
	free(buf);
}

/* The JSON summary carries each guest's kernel package, version and end. */
static void summary_json(void **state)
{
	struct khp_oracle_rows rows = { 0 };
	struct khp_oracle_guest g[2];
	const cJSON *k0, *k1, *t;
	char *buf = NULL, path[2][512];
	size_t len = 0;
	cJSON *root;
	FILE *f;

	(void)state;
	run_rows("guest-6.1.log", KHP_LINUX_6_1, &g[0], path[0], &rows);
	snprintf(g[0].package, sizeof(g[0].package), "linux-image-6.1.0-56-amd64");
	snprintf(g[0].package_version, sizeof(g[0].package_version), "6.1.192-2");
	g[0].boots = 1;
	run_rows("guest-7.3-panic-early.log", KHP_LINUX_7_3, &g[1], path[1], &rows);
	g[1].boots = 3;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(khp_oracle_write_json(f, &rows, g, 2), 0);
	fclose(f);
	root = cJSON_Parse(buf);
	if (!root)
		fail_msg("summary is not JSON: %s", buf);
	assert_int_equal(cJSON_GetObjectItem(root, "khpsim_oracle")->valueint, 2);
	k0 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "kernels"), 0);
	k1 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "kernels"), 1);
	assert_string_equal(cJSON_GetObjectItem(k0, "package")->valuestring,
			    "linux-image-6.1.0-56-amd64");
	assert_string_equal(cJSON_GetObjectItem(k0, "package_version")->valuestring, "6.1.192-2");
	assert_string_equal(cJSON_GetObjectItem(k0, "release")->valuestring, "6.1.0-56-amd64");
	assert_non_null(strstr(cJSON_GetObjectItem(k0, "build")->valuestring, "Debian 6.1.192-2"));
	assert_string_equal(cJSON_GetObjectItem(k0, "end")->valuestring, "complete");
	assert_string_equal(cJSON_GetObjectItem(k1, "end")->valuestring, "panicked");
	assert_int_equal(cJSON_GetObjectItem(k1, "boots")->valueint, 3);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(k1, "finished")));
	t = cJSON_GetObjectItem(root, "totals");
	assert_int_equal(cJSON_GetObjectItem(t, "agree")->valueint, 5);
	assert_int_equal(cJSON_GetObjectItem(t, "not_run")->valueint, 5);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "entries")), 10);
	cJSON_Delete(root);
	free(buf);
	khp_guest_log_free(&g[0].log);
	khp_guest_log_free(&g[1].log);
	khp_oracle_rows_free(&rows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(guest_lines_parse),
		cmocka_unit_test(compare_fields),
		cmocka_unit_test(compare_recorded),
		cmocka_unit_test(known_list),
		cmocka_unit_test(guest_log_endings),
		cmocka_unit_test(guest_log_not_panics),
		cmocka_unit_test(rows_by_guest_end),
		cmocka_unit_test(outcome_disagree_wins),
		cmocka_unit_test(missing_when_reached),
		cmocka_unit_test(summary_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
