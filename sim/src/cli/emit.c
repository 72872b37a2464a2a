/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `khpsim emit-c` (scenario -> C reproducer) and `khpsim oracle` (guest
 * output -> comparison with the model), docs/oracle.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "khpsim/emit.h"
#include "khpsim/oracle.h"

/* ---- emit-c --------------------------------------------------------------- */

static void emit_usage(FILE *f)
{
	fputs("usage: khpsim emit-c [-o FILE] [--check] [--] SCENARIO...\n"
	      "  Write one self-contained C program (libc + Linux headers) that runs the\n"
	      "  scenarios with real syscalls and prints one KHPSIM-STEP line per\n"
	      "  khugepaged / collapse step.  Build it with gcc -static.\n"
	      "  -o, --out FILE   write to FILE instead of stdout\n"
	      "  --check          only say whether each scenario can be realised\n"
	      "exit: 0 ok, 1 a scenario cannot be realised (the op and step are named),\n"
	      "      2 bad input or usage\n", f);
}

static void free_scenarios(struct khp_scenario *scs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		khp_scenario_free(&scs[i]);
	free(scs);
}

/* Load every file; 0 or KHP_EXIT_USAGE (message printed). */
static int load_all(char **files, size_t n, struct khp_scenario **out)
{
	struct khp_scenario *scs = calloc(n ? n : 1, sizeof(*scs));
	char err[512];
	size_t i;

	if (!scs) {
		fprintf(stderr, "khpsim: out of memory\n");
		return KHP_EXIT_USAGE;
	}
	for (i = 0; i < n; i++) {
		khp_scenario_init(&scs[i]);
		if (khp_scenario_load_file(files[i], &scs[i], err, sizeof(err))) {
			fprintf(stderr, "khpsim: %s\n", err);
			free_scenarios(scs, i + 1);
			return KHP_EXIT_USAGE;
		}
	}
	*out = scs;
	return 0;
}

static const struct option emit_opts[] = {
	{ "out", required_argument, NULL, 'o' },
	{ "check", no_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* 0, 1 (--help done) or KHP_EXIT_USAGE; the scenario files in *files. */
static int emit_args(int argc, char **argv, const char **outpath, bool *check, char ***files,
		     size_t *n)
{
	struct cli c;
	int opt, nr;

	cli_init(&c, "emit-c", argc, argv, "o:h", emit_opts);
	while ((opt = cli_next(&c)) != -1) {
		if (opt == 'o') {
			*outpath = c.arg;
		} else if (opt == 'c') {
			*check = true;
		} else if (opt == 'h') {
			emit_usage(stdout);
			return 1;
		} else {
			return KHP_EXIT_USAGE;
		}
	}
	*files = cli_operands(&c, &nr);
	*n = (size_t)nr;
	if (!nr)
		return cli_fail("emit-c", "no scenario file given (khpsim emit-c --help)");
	return 0;
}

int cmd_emit_c(int argc, char **argv)
{
	const char *outpath = NULL;
	struct khp_scenario *scs = NULL;
	const struct khp_scenario **ptrs = NULL;
	char **files = NULL;
	char msg[512];
	size_t n = 0, i, refused = 0;
	bool check = false;
	int r;
	FILE *out;

	r = emit_args(argc, argv, &outpath, &check, &files, &n);
	if (r)
		return r == 1 ? KHP_EXIT_OK : r;
	r = load_all(files, n, &scs);
	if (r)
		return r;
	for (i = 0; i < n; i++) {
		if (khp_emit_check(&scs[i], msg, sizeof(msg))) {
			fprintf(stderr, "khpsim emit-c: %s: refused: %s\n", files[i], msg);
			refused++;
		} else if (check) {
			printf("%s: ok\n", files[i]);
		}
	}
	if (check || refused) {
		free_scenarios(scs, n);
		return refused ? KHP_EXIT_FINDING : KHP_EXIT_OK;
	}
	ptrs = calloc(n, sizeof(*ptrs));
	out = outpath ? fopen(outpath, "w") : stdout;
	if (!ptrs || !out) {
		fprintf(stderr, "khpsim emit-c: %s: %s\n", outpath ? outpath : "stdout", strerror(errno));
		r = KHP_EXIT_USAGE;
		goto done;
	}
	for (i = 0; i < n; i++)
		ptrs[i] = &scs[i];
	r = khp_emit_c(out, ptrs, (const char *const *)files, n, msg, sizeof(msg));
	if (outpath && fclose(out) && !r)
		r = -EIO;
	if (r) {
		fprintf(stderr, "khpsim emit-c: %s\n", msg);
		r = r == -ENOTSUP ? KHP_EXIT_FINDING : KHP_EXIT_USAGE;
	}
done:
	free(ptrs);
	free_scenarios(scs, n);
	return r;
}

/* ---- oracle --------------------------------------------------------------- */

static void oracle_usage(FILE *f)
{
	fputs("usage: khpsim oracle --log GUEST_LOG [--kernel K] [--package NAME=VERSION]\n"
	      "                     [--boots N] [--log LOG2 ...] [--known FILE] [--json OUT]\n"
	      "                     SCENARIO...\n"
	      "       khpsim oracle --classify GUEST_LOG...\n"
	      "  Compare the KHPSIM-STEP lines a guest printed (scripts/oracle) with the\n"
	      "  model's records for the matching profile, step by step.\n"
	      "  --kernel K     6.1, 6.12 or 7.3 for the preceding --log (default: from the\n"
	      "                 guest's KHPSIM-KERNEL line)\n"
	      "  --package P=V  the Debian package (and version) of that log's kernel, for\n"
	      "                 the record\n"
	      "  --boots N      boots that log took (1 + retries), for the record\n"
	      "  --known FILE   documented known differences (JSON, docs/oracle.md)\n"
	      "  --json OUT     also write a JSON summary\n"
	      "  --classify     only say how each guest run ended: complete, panicked,\n"
	      "                 timed_out or truncated\n"
	      "exit: 0 every step agrees or differs only as documented (--classify: every\n"
	      "      log is complete), 1 an undocumented difference or a missing step,\n"
	      "      2 bad input or usage, 3 no difference but a guest did not complete\n"
	      "      (panic, timeout, truncated log): an infrastructure failure\n", f);
}

#define ORACLE_MAX_LOGS 8

struct oracle_args {
	struct khp_oracle_guest g[ORACLE_MAX_LOGS];
	bool kernel_set[ORACLE_MAX_LOGS];
	size_t nr;
	const char *known_path, *json_path;
	bool classify;
	char **files;
	size_t nr_files;
};

/* The option argument of the last --log; NULL (message printed) if none. */
static struct khp_oracle_guest *last_log(struct oracle_args *a, const char *opt)
{
	if (a->nr)
		return &a->g[a->nr - 1];
	fprintf(stderr, "khpsim oracle: %s: give it after a --log\n", opt);
	return NULL;
}

static int opt_kernel(struct oracle_args *a, const char *arg)
{
	struct khp_oracle_guest *g = last_log(a, "--kernel");
	struct khp_profile p;
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "linux-%s", arg);
	if (!g || khp_profile_parse(tmp, &p) || khp_profile_exact(&p)) {
		fprintf(stderr, "khpsim oracle: --kernel %s: give 6.1, 6.12 or 7.3 after a --log\n", arg);
		return -EINVAL;
	}
	g->kernel = p.kernel;
	a->kernel_set[a->nr - 1] = true;
	return 0;
}

static int opt_package(struct oracle_args *a, const char *arg)
{
	struct khp_oracle_guest *g = last_log(a, "--package");
	const char *eq = strchr(arg, '=');

	if (!g)
		return -EINVAL;
	if (!eq || eq == arg || !eq[1] || (size_t)(eq - arg) >= sizeof(g->package) ||
	    strlen(eq + 1) >= sizeof(g->package_version)) {
		fprintf(stderr, "khpsim oracle: --package %s: give NAME=VERSION\n", arg);
		return -EINVAL;
	}
	snprintf(g->package, sizeof(g->package), "%.*s", (int)(eq - arg), arg);
	snprintf(g->package_version, sizeof(g->package_version), "%s", eq + 1);
	return 0;
}

static int opt_boots(struct oracle_args *a, const struct cli *c)
{
	struct khp_oracle_guest *g = last_log(a, "--boots");
	uint64_t v;

	if (!g || cli_number(c, 'b', 1, 99, &v))
		return -EINVAL;
	g->boots = (unsigned)v;
	return 0;
}

static int opt_log(struct oracle_args *a, const char *arg)
{
	if (a->nr == ORACLE_MAX_LOGS) {
		fprintf(stderr, "khpsim oracle: at most %d logs\n", ORACLE_MAX_LOGS);
		return -EINVAL;
	}
	a->g[a->nr++].path = arg;
	return 0;
}

/* 0 parsed, 1 --help printed, -EINVAL (message printed). */
static int oracle_parse(int argc, char **argv, struct oracle_args *a)
{
	static const struct option opts[] = {
		{ "log", required_argument, NULL, 'l' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "package", required_argument, NULL, 'p' },
		{ "boots", required_argument, NULL, 'b' },
		{ "known", required_argument, NULL, 'K' },
		{ "json", required_argument, NULL, 'j' },
		{ "classify", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c;
	int opt, r = 0;

	cli_init(&c, "oracle", argc, argv, "h", opts);
	while (!r && (opt = cli_next(&c)) != -1) {
		switch (opt) {
		case 'l': r = opt_log(a, c.arg); break;
		case 'k': r = opt_kernel(a, c.arg); break;
		case 'p': r = opt_package(a, c.arg); break;
		case 'b': r = opt_boots(a, &c); break;
		case 'K': a->known_path = c.arg; break;
		case 'j': a->json_path = c.arg; break;
		case 'c': a->classify = true; break;
		case 'h': oracle_usage(stdout); return 1;
		default: return -EINVAL;
		}
	}
	if (r)
		return r;
	a->files = cli_operands(&c, &opt);
	a->nr_files = (size_t)opt;
	if (a->classify ? (!a->nr_files || a->nr) : (!a->nr || !a->nr_files)) {
		cli_fail("oracle", a->classify ? "--classify takes guest logs, not --log"
			 : "needs --log and at least one scenario (khpsim oracle --help)");
		return -EINVAL;
	}
	return 0;
}

static int read_log(const char *path, struct khp_guest_log *log)
{
	FILE *f = fopen(path, "r");
	char err[256];
	int r;

	if (!f) {
		fprintf(stderr, "khpsim oracle: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	r = khp_guest_log_read(f, log, err, sizeof(err));
	fclose(f);
	if (r)
		fprintf(stderr, "khpsim oracle: %s: %s\n", path, err);
	return r;
}

/* --classify: one line per log; 0 all complete, 3 one is not, 2 unreadable. */
static int oracle_classify(const struct oracle_args *a)
{
	int rc = KHP_EXIT_OK;

	for (size_t i = 0; i < a->nr_files; i++) {
		struct khp_guest_log log;
		char end[256];

		if (read_log(a->files[i], &log))
			return KHP_EXIT_USAGE;
		khp_guest_end_describe(&log, end, sizeof(end));
		printf("%s: %s\n", a->files[i], end);
		if (log.end != KHP_GUEST_COMPLETE)
			rc = KHP_EXIT_INFRA;
		khp_guest_log_free(&log);
	}
	return rc;
}

/* Read every --log and settle its kernel; 0 or -errno (message printed). */
static int read_guests(struct oracle_args *a)
{
	for (size_t l = 0; l < a->nr; l++) {
		struct khp_oracle_guest *g = &a->g[l];
		int r = read_log(g->path, &g->log);

		if (r)
			return r;
		if (a->kernel_set[l])
			continue;
		if (!g->log.release[0]) {
			fprintf(stderr, "khpsim oracle: %s: no KHPSIM-KERNEL line (the guest did not "
				"reach /init; give --kernel)\n", g->path);
			return -EINVAL;
		}
		if (khp_guest_kernel(g->log.release, &g->kernel)) {
			fprintf(stderr, "khpsim oracle: %s: unknown guest kernel '%s' (use --kernel)\n",
				g->path, g->log.release);
			return -EINVAL;
		}
	}
	return 0;
}

/* The table on stdout, rows in *rows; 0 or -ENOMEM. */
static int oracle_table(const struct oracle_args *a, const struct khp_scenario *scs,
			const struct khp_known_list *known, struct khp_oracle_rows *rows)
{
	khp_oracle_print_header(stdout);
	for (size_t l = 0; l < a->nr; l++) {
		khp_oracle_print_guest(stdout, &a->g[l]);
		for (size_t i = 0; i < a->nr_files; i++) {
			size_t first = rows->nr;
			int r = khp_oracle_scenario(&scs[i], a->files[i], &a->g[l], known, rows);

			if (r) {
				fprintf(stderr, "khpsim oracle: %s: %s\n", a->files[i], strerror(-r));
				return r;
			}
			for (size_t j = first; j < rows->nr; j++)
				khp_oracle_print_row(stdout, &rows->v[j]);
		}
	}
	khp_oracle_print_totals(stdout, &rows->t);
	return 0;
}

static int write_json(const char *path, const struct khp_oracle_rows *rows,
		      const struct oracle_args *a)
{
	FILE *f = fopen(path, "w");
	int r;

	if (!f) {
		fprintf(stderr, "khpsim oracle: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	r = khp_oracle_write_json(f, rows, a->g, a->nr);
	if (fclose(f) && !r)
		r = -EIO;
	if (r)
		fprintf(stderr, "khpsim oracle: %s: write error\n", path);
	return r;
}

static int outcome_exit(enum khp_oracle_outcome o)
{
	switch (o) {
	case KHP_ORACLE_OK:
		return KHP_EXIT_OK;
	case KHP_ORACLE_DISAGREE:
		return KHP_EXIT_FINDING;
	case KHP_ORACLE_INCOMPLETE:
		printf("# no step differs, but a guest did not complete: an infrastructure failure\n");
		return KHP_EXIT_INFRA;
	}
	return KHP_EXIT_USAGE;
}

int cmd_oracle(int argc, char **argv)
{
	struct oracle_args a;
	struct khp_known_list known = { 0 };
	struct khp_oracle_rows rows = { 0 };
	struct khp_scenario *scs = NULL;
	char err[512];
	int r = KHP_EXIT_USAGE;

	memset(&a, 0, sizeof(a));
	switch (oracle_parse(argc, argv, &a)) {
	case 0: break;
	case 1: return KHP_EXIT_OK;
	default: return KHP_EXIT_USAGE;
	}
	if (a.classify)
		return oracle_classify(&a);
	if (a.known_path && khp_known_load(a.known_path, &known, err, sizeof(err))) {
		fprintf(stderr, "khpsim oracle: %s\n", err);
		goto out;
	}
	if (read_guests(&a) || load_all(a.files, a.nr_files, &scs))
		goto out;
	if (oracle_table(&a, scs, &known, &rows) ||
	    (a.json_path && write_json(a.json_path, &rows, &a)))
		goto out;
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "khpsim oracle: stdout: write error\n");
		goto out;
	}
	r = outcome_exit(khp_oracle_outcome(&rows, a.g, a.nr));
out:
	if (scs)
		free_scenarios(scs, a.nr_files);
	khp_oracle_rows_free(&rows);
	for (size_t l = 0; l < a.nr; l++)
		khp_guest_log_free(&a.g[l].log);
	khp_known_free(&known);
	return r;
}
