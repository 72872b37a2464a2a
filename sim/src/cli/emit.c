/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `khpsim emit-c` (scenario -> C reproducer) and `khpsim oracle` (guest
 * output -> comparison with the model), docs/oracle.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "khpsim/emit.h"

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
	fputs("usage: khpsim oracle --log GUEST_LOG [--kernel K] [--log LOG2 [--kernel K2]...]\n"
	      "                     [--known FILE] [--json OUT] SCENARIO...\n"
	      "  Compare the KHPSIM-STEP lines a guest printed (scripts/oracle) with the\n"
	      "  model's records for the matching profile, step by step.\n"
	      "  --kernel K   6.1, 6.12 or 7.3 for the preceding --log (default: from the\n"
	      "               guest's KHPSIM-KERNEL line)\n"
	      "  --known FILE documented known differences (JSON, docs/oracle.md)\n"
	      "  --json OUT   also write a JSON summary\n"
	      "exit: 0 every step agrees or differs only as documented, 1 an undocumented\n"
	      "      difference or a missing step, 2 bad input or usage\n", f);
}

struct oracle_log {
	const char *path;
	enum khp_kernel kernel;
	bool kernel_set;
	struct khp_guest_log log;
};

struct oracle_totals {
	unsigned steps, agree, differ, known, skipped, missing;
};

static bool name_in(char (*v)[KHP_EMIT_NAME_MAX], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], name))
			return true;
	return false;
}

static bool uses_pageout(const struct khp_scenario *sc)
{
	for (size_t i = 0; i < sc->program.nr_ops; i++)
		if (sc->program.ops[i].type == KHP_OP_MADVISE &&
		    sc->program.ops[i].advice == KHP_ADV_PAGEOUT)
			return true;
	return false;
}

static const struct khp_guest_step *find_step(const struct khp_guest_log *log, const char *name,
					      size_t step)
{
	for (size_t i = 0; i < log->nr; i++)
		if (log->steps[i].step == step && !strcmp(log->steps[i].scenario, name))
			return &log->steps[i];
	return NULL;
}

/* The step whose op failed in the guest (the scenario stopped there), if any. */
static const struct khp_guest_step *find_operr(const struct khp_guest_log *log, const char *name)
{
	for (size_t i = 0; i < log->nr; i++)
		if (log->steps[i].kind == KHP_GUEST_OPERR && !strcmp(log->steps[i].scenario, name))
			return &log->steps[i];
	return NULL;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_entry(FILE *jf, bool *first, const char *name, size_t step, const char *kind,
		       enum khp_kernel k, const char *verdict, const struct khp_diff *d, size_t nd,
		       const char *why)
{
	if (!jf)
		return;
	fputs(*first ? "\n    " : ",\n    ", jf);
	*first = false;
	fputs("{\"scenario\": ", jf);
	json_str(jf, name);
	fprintf(jf, ", \"step\": %zu, \"kind\": \"%s\", \"kernel\": \"%s\", \"verdict\": \"%s\"",
		step, kind, khp_kernel_name(k), verdict);
	if (nd) {
		fputs(", \"diffs\": [", jf);
		for (size_t i = 0; i < nd; i++) {
			fprintf(jf, "%s{\"field\": ", i ? ", " : "");
			json_str(jf, d[i].field);
			fputs(", \"real\": ", jf);
			json_str(jf, d[i].real);
			fputs(", \"model\": ", jf);
			json_str(jf, d[i].model);
			fputc('}', jf);
		}
		fputc(']', jf);
	}
	if (why) {
		fputs(", \"reason\": ", jf);
		json_str(jf, why);
	}
	fputc('}', jf);
}

static const char *step_kind(const struct khp_op *op)
{
	return khp_op_name((enum khp_op_type)op->type);
}

/* Compare one scenario on one kernel; prints rows, updates totals. */
static void oracle_scenario(const struct khp_scenario *sc, const char *file,
			    const struct oracle_log *ol, const struct khp_known_list *known,
			    struct oracle_totals *t, FILE *jf, bool *jfirst)
{
	enum khp_kernel k = ol->kernel;
	const struct khp_guest_log *log = &ol->log;
	struct khp_model_step *model;
	const struct khp_guest_step *operr;
	char name[KHP_EMIT_NAME_MAX], msg[256];
	const char *skip_all = NULL;
	size_t i;

	khp_emit_name(sc, file, name, sizeof(name));
	if (khp_emit_check(sc, msg, sizeof(msg))) {
		printf("%-40s %-4s %-11s %-10s refused by emit-c: %s\n", name, "-", "-",
		       khp_kernel_name(k), msg);
		json_entry(jf, jfirst, name, 0, "-", k, "refused", NULL, 0, msg);
		return;
	}
	model = calloc(sc->program.nr_ops ? sc->program.nr_ops : 1, sizeof(*model));
	if (!model || khp_model_steps(sc, k, model)) {
		printf("%-40s cannot run the model\n", name);
		t->missing++;
		free(model);
		return;
	}
	if (sc->program.config.swap && uses_pageout(sc) && name_in(log->no_swap, log->nr_no_swap, name))
		skip_all = "no swap device in this guest";
	if (sc->program.config.mthp_orders && k != KHP_LINUX_6_1 &&
	    name_in(log->no_mthp, log->nr_no_mthp, name))
		skip_all = "mTHP sizes unavailable in this guest";
	operr = find_operr(log, name);

	for (i = 0; i < sc->program.nr_ops; i++) {
		const struct khp_op *op = &sc->program.ops[i];
		const struct khp_guest_step *g = find_step(log, name, i);
		struct khp_diff diffs[KHP_MAX_DIFFS];
		const char *why = NULL, *verdict;
		enum khp_verdict_oracle v;
		size_t nd = 0, j, nknown = 0;

		if (!g && op->type != KHP_OP_KHUGEPAGED && op->type != KHP_OP_COLLAPSE) {
			/* an ordinary op: only interesting if the model refused it */
			if (!model[i].error || (i && model[i - 1].error) || (operr && operr->step < i))
				continue;
			snprintf(diffs[0].field, sizeof(diffs[0].field), "op");
			snprintf(diffs[0].real, sizeof(diffs[0].real), "ok");
			snprintf(diffs[0].model, sizeof(diffs[0].model), "%s",
				 khp_errno_name(-model[i].err));
			nd = 1;
			v = KHP_ORACLE_DIFFER;
		} else if (!g) {
			if (operr && operr->step < i)
				continue;  /* the guest stopped at an earlier failed op */
			t->steps++;
			if (skip_all) {
				t->skipped++;
				printf("%-40s %-4zu %-11s %-10s skipped: %s\n", name, i, step_kind(op),
				       khp_kernel_name(k), skip_all);
				json_entry(jf, jfirst, name, i, step_kind(op), k, "skipped", NULL, 0, skip_all);
				continue;
			}
			t->missing++;
			printf("%-40s %-4zu %-11s %-10s MISSING: no KHPSIM-STEP line in %s\n", name, i,
			       step_kind(op), khp_kernel_name(k), ol->path);
			json_entry(jf, jfirst, name, i, step_kind(op), k, "missing", NULL, 0, NULL);
			continue;
		} else {
			v = khp_oracle_compare(g, &model[i], k, diffs, &nd, &why);
		}
		t->steps++;
		if (skip_all && v != KHP_ORACLE_AGREE) {
			v = KHP_ORACLE_SKIPPED;
			why = skip_all;
		}
		if (v == KHP_ORACLE_DIFFER) {
			const struct khp_known *kn = NULL;

			for (j = 0; j < nd; j++) {
				kn = khp_known_find(known, name, (unsigned)i, k, diffs[j].field);
				nknown += kn != NULL;
			}
			if (nknown == nd) {
				why = kn ? kn->reason : NULL;
				verdict = "known";
				t->known++;
			} else {
				verdict = "DIFFER";
				t->differ++;
			}
		} else if (v == KHP_ORACLE_SKIPPED) {
			verdict = "skipped";
			t->skipped++;
		} else {
			verdict = "agree";
			t->agree++;
		}
		printf("%-40s %-4zu %-11s %-10s %s", name, i, step_kind(op), khp_kernel_name(k), verdict);
		if (v == KHP_ORACLE_AGREE && g && g->kind != KHP_GUEST_OPERR)
			printf(" (%s%s%s, pmd_mapped=%ld)", g->status,
			       g->kind == KHP_GUEST_COLLAPSE ? ", errno=" : "",
			       g->kind == KHP_GUEST_COLLAPSE ? g->err_name : "", g->pmd_mapped);
		if (v == KHP_ORACLE_AGREE && g && g->kind == KHP_GUEST_OPERR)
			printf(" (both refuse %s: %s)", g->op, g->error);
		for (j = 0; j < nd; j++)
			printf("%s %s real=%s model=%s", j ? ";" : ":", diffs[j].field, diffs[j].real,
			       diffs[j].model);
		if (why)
			printf(" [%s]", why);
		putchar('\n');
		json_entry(jf, jfirst, name, i, step_kind(op), k,
			   !strcmp(verdict, "DIFFER") ? "differ" : verdict, diffs, nd, why);
		if (g && g->kind == KHP_GUEST_OPERR)
			break;
	}
	free(model);
}

enum { OPT_LOG = 1000, OPT_KERNEL, OPT_KNOWN, OPT_JSON };

static const struct option oracle_opts[] = {
	{ "log", required_argument, NULL, OPT_LOG },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "known", required_argument, NULL, OPT_KNOWN },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* --kernel K for the preceding --log. */
static int oracle_kernel(const char *k, struct oracle_log *logs, size_t nlogs)
{
	struct khp_profile p;
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "linux-%s", k);
	if (!nlogs || khp_profile_parse(tmp, &p) || khp_profile_exact(&p))
		return cli_fail("oracle", "--kernel %s: give 6.1, 6.12 or 7.3 after a --log", k);
	logs[nlogs - 1].kernel = p.kernel;
	logs[nlogs - 1].kernel_set = true;
	return 0;
}

/* 0, 1 (--help done) or KHP_EXIT_USAGE; logs[] hold 8. */
static int oracle_args(int argc, char **argv, struct oracle_log *logs, size_t *nlogs,
		       const char **known_path, const char **json_path, char ***files, size_t *n)
{
	struct cli c;
	int opt, nr;

	cli_init(&c, "oracle", argc, argv, "h", oracle_opts);
	while ((opt = cli_next(&c)) != -1) {
		if (opt == OPT_LOG) {
			if (*nlogs == 8)
				return cli_fail("oracle", "at most 8 logs");
			logs[(*nlogs)++].path = c.arg;
		} else if (opt == OPT_KERNEL) {
			if (oracle_kernel(c.arg, logs, *nlogs))
				return KHP_EXIT_USAGE;
		} else if (opt == OPT_KNOWN) {
			*known_path = c.arg;
		} else if (opt == OPT_JSON) {
			*json_path = c.arg;
		} else if (opt == 'h') {
			oracle_usage(stdout);
			return 1;
		} else {
			return KHP_EXIT_USAGE;
		}
	}
	*files = cli_operands(&c, &nr);
	*n = (size_t)nr;
	if (!*nlogs || !nr)
		return cli_fail("oracle", "needs --log and at least one scenario (khpsim oracle --help)");
	return 0;
}

int cmd_oracle(int argc, char **argv)
{
	struct oracle_log logs[8];
	struct khp_known_list known = { 0 };
	struct oracle_totals t = { 0 };
	struct khp_scenario *scs = NULL;
	const char *known_path = NULL, *json_path = NULL;
	char **files = NULL, err[512];
	size_t nlogs = 0, n = 0, i, l;
	bool jfirst = true;
	FILE *jf = NULL;
	int r;

	memset(logs, 0, sizeof(logs));
	r = oracle_args(argc, argv, logs, &nlogs, &known_path, &json_path, &files, &n);
	if (r) {
		r = r == 1 ? KHP_EXIT_OK : r;
		goto out;
	}
	r = KHP_EXIT_USAGE;
	if (known_path && khp_known_load(known_path, &known, err, sizeof(err))) {
		fprintf(stderr, "khpsim oracle: %s\n", err);
		goto out;
	}
	for (l = 0; l < nlogs; l++) {
		FILE *f = fopen(logs[l].path, "r");

		if (!f) {
			fprintf(stderr, "khpsim oracle: %s: %s\n", logs[l].path, strerror(errno));
			goto out;
		}
		if (khp_guest_log_read(f, &logs[l].log, err, sizeof(err))) {
			fclose(f);
			fprintf(stderr, "khpsim oracle: %s: %s\n", logs[l].path, err);
			goto out;
		}
		fclose(f);
		if (!logs[l].kernel_set &&
		    khp_guest_kernel(logs[l].log.release, &logs[l].kernel)) {
			fprintf(stderr, "khpsim oracle: %s: unknown guest kernel '%s' (use --kernel)\n",
				logs[l].path, logs[l].log.release);
			goto out;
		}
	}
	if (load_all(files, n, &scs))
		goto out;
	if (json_path && !(jf = fopen(json_path, "w"))) {
		fprintf(stderr, "khpsim oracle: %s: %s\n", json_path, strerror(errno));
		goto out;
	}
	if (jf)
		fputs("{\n  \"khpsim_oracle\": 1,\n  \"entries\": [", jf);
	printf("%-40s %-4s %-11s %-10s %s\n", "scenario", "step", "op", "kernel", "verdict");
	for (l = 0; l < nlogs; l++) {
		if (!logs[l].log.done)
			printf("# %s: the guest did not finish (no KHPSIM-DONE line)\n", logs[l].path);
		for (i = 0; i < n; i++)
			oracle_scenario(&scs[i], files[i], &logs[l], &known, &t, jf, &jfirst);
	}
	printf("# steps %u: agree %u, known %u, differ %u, skipped %u, missing %u\n", t.steps,
	       t.agree, t.known, t.differ, t.skipped, t.missing);
	if (jf) {
		fputs("\n  ],\n  \"kernels\": [", jf);
		for (l = 0; l < nlogs; l++) {
			fprintf(jf, "%s{\"profile\": \"%s\", \"release\": ", l ? ", " : "",
				khp_kernel_name(logs[l].kernel));
			json_str(jf, logs[l].log.release);
			fprintf(jf, ", \"finished\": %s}", logs[l].log.done ? "true" : "false");
		}
		fprintf(jf, "],\n  \"totals\": {\"steps\": %u, \"agree\": %u, \"known\": %u, "
			    "\"differ\": %u, \"skipped\": %u, \"missing\": %u}\n}\n",
			t.steps, t.agree, t.known, t.differ, t.skipped, t.missing);
		fclose(jf);
	}
	r = (t.differ || t.missing) ? KHP_EXIT_FINDING : KHP_EXIT_OK;
	free_scenarios(scs, n);
out:
	for (l = 0; l < nlogs; l++)
		khp_guest_log_free(&logs[l].log);
	khp_known_free(&known);
	return r;
}
