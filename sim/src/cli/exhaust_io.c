/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `khpsim exhaust` output: the text and JSON certificate, the lifted
 * witness, the --out directory (certificate.json, PROFILE.sets, witness
 * scenarios) and --merge, which reads the .sets files of shards back.
 *
 * A .sets file: three text lines ("khpsim-exhaust-sets 1", "bounds ...",
 * "profile NAME shard I") then, in host byte order, the result's counters
 * and its three sorted hash sets (states, false negatives, false positives).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/exhaust.h"
#include "khpsim/knobs.h"
#include "khpsim/lift.h"
#include "khpsim/minimize.h"

#define SETS_MAGIC "khpsim-exhaust-sets 1\n"

/* ---- ops as text ----------------------------------------------------------- */
static void op_text(const struct khp_op *op, char *buf, size_t n)
{
	size_t k = (size_t)snprintf(buf, n, "%s", khp_op_name((enum khp_op_type)op->type));

	switch (op->type) {
	case KHP_OP_SPLIT:
		return;
	case KHP_OP_FAIL_ALLOC:
		snprintf(buf + k, n - k, " count=%u", op->count);
		return;
	case KHP_OP_FORK:
		snprintf(buf + k, n - k, " mm=%u child=%u", op->mm, op->child);
		return;
	case KHP_OP_EXIT:
		snprintf(buf + k, n - k, " mm=%u", op->mm);
		return;
	case KHP_OP_KHUGEPAGED:
	case KHP_OP_PIN:
	case KHP_OP_UNPIN:
		snprintf(buf + k, n - k, " mm=%u addr=%llu", op->mm, (unsigned long long)op->addr);
		return;
	default:
		break;
	}
	k += (size_t)snprintf(buf + k, n - k, " mm=%u addr=%llu pages=%llu", op->mm,
			      (unsigned long long)op->addr, (unsigned long long)op->pages);
	if (op->type == KHP_OP_MADVISE)
		k += (size_t)snprintf(buf + k, n - k, " advice=%s",
				      khp_advice_name((enum khp_advice)op->advice));
	if (op->type == KHP_OP_MREMAP)
		k += (size_t)snprintf(buf + k, n - k, " to=%llu new_pages=%llu",
				      (unsigned long long)op->to, (unsigned long long)op->new_pages);
	snprintf(buf + k, n - k, "%s%s%s%s%s", op->flags & KHP_OPF_WRITE ? " write" : "",
		 op->flags & KHP_OPF_HUGEPAGE ? " hugepage" : "",
		 op->flags & KHP_OPF_NOHUGEPAGE ? " nohugepage" : "",
		 op->flags & KHP_OPF_UFFD ? " uffd" : "",
		 op->flags & KHP_OPF_RANGE && op->type == KHP_OP_AGE ? " range" : "");
}

static int witness_ops(const struct exhaust *x, const struct exhaust_profile *p,
		       struct khp_program *prog)
{
	return khp_exhaust_witness_program(&x->b, &p->r, prog);
}

void exhaust_print_witness(FILE *f, const struct exhaust *x, const struct exhaust_profile *p)
{
	struct khp_program prog;
	char buf[256];

	if (witness_ops(x, p, &prog) == 0)
		for (size_t i = 0; i < prog.nr_ops; i++) {
			op_text(&prog.ops[i], buf, sizeof(buf));
			fprintf(f, "      %s\n", buf);
		}
	khp_program_free(&prog);
}

/* ---- lifting ---------------------------------------------------------------- */
void exhaust_lift(const struct exhaust *x, struct exhaust_profile *p)
{
	struct khp_run_opts ro = { 0 };
	struct khp_program prog, big;
	struct khp_run run;
	unsigned P = x->b.config.pmd_pages, Q = EXHAUST_LIFT_PAGES;

	p->lifted_fn_waste = -1;
	p->lift_note[0] = 0;
	if (!p->r.witness_len || witness_ops(x, p, &prog))
		return;
	if (khp_lift_program(&prog, Q, &big, p->lift_note, sizeof(p->lift_note))) {
		khp_program_free(&prog);
		return;
	}
	memset(&run, 0, sizeof(run));
	khp_run_program(&big, p->prof, &ro, &run);
	if (run.err)
		snprintf(p->lift_note, sizeof(p->lift_note), "the lifted program is refused at op %zu: %s",
			 run.err_step, run.errmsg);
	else
		p->lifted_fn_waste = khp_run_max_fn_waste(&run);
	if (!run.err && p->lifted_fn_waste != p->r.max_fn_waste * (long)(Q / P))
		snprintf(p->lift_note, sizeof(p->lift_note),
			 "does not scale: %ld at %u pages is not %ld x %u", p->lifted_fn_waste, Q,
			 p->r.max_fn_waste, Q / P);
	khp_run_free(&run);
	khp_program_free(&big);
	khp_program_free(&prog);
}

/* ---- the report ---------------------------------------------------------------- */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_profile(FILE *f, const struct exhaust *x, const struct exhaust_profile *p)
{
	const struct khp_exhaust_result *r = &p->r;
	struct khp_program prog;
	char buf[256];

	fprintf(f, "    {\"profile\": ");
	json_str(f, khp_profile_name(&p->prof));
	fprintf(f, ", \"max_fn_waste_pages\": %ld, \"false_negatives\": %lu, "
		"\"false_positives\": %lu, \"states\": %lu, \"transitions\": %lu, \"refused\": %lu,\n"
		"     \"levels\": [", r->max_fn_waste, r->fn, r->fp, r->states, r->transitions,
		r->refused);
	for (unsigned d = 0; d < x->b.ops; d++)
		fprintf(f, "%s%lu", d ? ", " : "", r->level[d]);
	fprintf(f, "],\n     \"witness\": [");
	if (!witness_ops(x, p, &prog))
		for (size_t i = 0; i < prog.nr_ops; i++) {
			op_text(&prog.ops[i], buf, sizeof(buf));
			fprintf(f, "%s", i ? ", " : "");
			json_str(f, buf);
		}
	khp_program_free(&prog);
	fprintf(f, "],\n     \"witness_file\": ");
	json_str(f, p->witness_file);
	fprintf(f, ", \"lifted_pmd_pages\": %u, \"lifted_fn_waste_pages\": %ld, \"lift_note\": ",
		EXHAUST_LIFT_PAGES, p->lifted_fn_waste);
	json_str(f, p->lift_note);
	fprintf(f, ",\n     \"seconds\": %.3f}", p->seconds);
}

static void print_json(FILE *f, const struct exhaust *x)
{
	char cfg[512];

	khp_config_format(&x->b.config, cfg, sizeof(cfg));
	fprintf(f, "{\"certificate\": {\"grammar\": \"%s\", \"pmd_pages\": %u, \"mms\": %u, "
		"\"ops\": %u, \"shard\": %u, \"shards\": %u,\n  \"config\": ",
		khp_exhaust_grammar_name(x->b.grammar), x->b.config.pmd_pages, x->b.mms, x->b.ops,
		x->b.shard, x->b.nr_shards);
	json_str(f, cfg);
	fprintf(f, ",\n  \"command\": ");
	json_str(f, x->command);
	fprintf(f, "},\n \"profiles\": [\n");
	for (size_t i = 0; i < x->nr; i++) {
		json_profile(f, x, &x->p[i]);
		fprintf(f, "%s\n", i + 1 < x->nr ? "," : "");
	}
	fprintf(f, " ]}\n");
}

static void print_text(FILE *f, const struct exhaust *x)
{
	char cfg[512];

	khp_config_format(&x->b.config, cfg, sizeof(cfg));
	fprintf(f, "exhaust: grammar %s, at most %u ops over mms 0..%u, %s", 
		khp_exhaust_grammar_name(x->b.grammar), x->b.ops, x->b.mms - 1, cfg);
	if (x->b.nr_shards > 1)
		fprintf(f, ", shard %u/%u", x->b.shard, x->b.nr_shards);
	fprintf(f, "\ncertificate: %s\n", x->command);
	for (size_t i = 0; i < x->nr; i++) {
		const struct exhaust_profile *p = &x->p[i];
		const struct khp_exhaust_result *r = &p->r;

		fprintf(f, "  %-18s max fn_waste_pages %ld, false negatives %lu, false positives %lu, "
			"states %lu, transitions %lu, %.2f s\n", khp_profile_name(&p->prof),
			r->max_fn_waste, r->fn, r->fp, r->states, r->transitions, p->seconds);
		if (!r->witness_len)
			continue;
		fprintf(f, "    witness (%u ops):\n", r->witness_len);
		exhaust_print_witness(f, x, p);
		if (p->lifted_fn_waste >= 0)
			fprintf(f, "    lifted to %u pages: fn_waste_pages %ld%s%s\n",
				EXHAUST_LIFT_PAGES, p->lifted_fn_waste, p->lift_note[0] ? "; " : "",
				p->lift_note);
		else if (p->lift_note[0])
			fprintf(f, "    lifted to %u pages: %s\n", EXHAUST_LIFT_PAGES, p->lift_note);
		if (p->witness_file[0])
			fprintf(f, "    scenario: %s\n", p->witness_file);
	}
}

void exhaust_print(const struct exhaust *x)
{
	if (x->json)
		print_json(stdout, x);
	else
		print_text(stdout, x);
}

/* ---- --out ----------------------------------------------------------------------- */
static void bounds_line(const struct exhaust *x, char *buf, size_t n)
{
	char cfg[512];

	khp_config_format(&x->b.config, cfg, sizeof(cfg));
	snprintf(buf, n, "bounds grammar=%s mms=%u ops=%u shards=%u %s",
		 khp_exhaust_grammar_name(x->b.grammar), x->b.mms, x->b.ops, x->b.nr_shards, cfg);
}

static int write_sets(const struct exhaust *x, const struct exhaust_profile *p, const char *path)
{
	const struct khp_exhaust_result *r = &p->r;
	FILE *f = fopen(path, "wb");
	char line[768];
	int64_t fnw = r->max_fn_waste;
	uint64_t v[3] = { r->witness_len, r->transitions, r->refused };
	bool ok;

	if (!f)
		return -errno;
	bounds_line(x, line, sizeof(line));
	fprintf(f, SETS_MAGIC "%s\nprofile %s shard %u\n", line, khp_profile_name(&p->prof),
		x->b.shard);
	ok = fwrite(&fnw, sizeof(fnw), 1, f) == 1 && fwrite(v, sizeof(v), 1, f) == 1 &&
	     fwrite(r->witness, sizeof(r->witness), 1, f) == 1 &&
	     fwrite(r->level, sizeof(r->level), 1, f) == 1;
	for (int s = 0; s < 3 && ok; s++) {
		uint64_t nr = r->nr_set[s];

		ok = fwrite(&nr, sizeof(nr), 1, f) == 1 &&
		     fwrite(r->set[s], sizeof(*r->set[s]), nr, f) == nr;
	}
	if (fclose(f) || !ok)
		return -EIO;
	return 0;
}

/* A file name for a profile ("linux-6.12+exact" as it is: no '/' in a profile name). */
static void profile_file(const char *dir, const struct exhaust_profile *p, const char *ext,
			 char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s%s", dir, khp_profile_name(&p->prof), ext);
}

int exhaust_write(struct exhaust *x)
{
	struct khp_profile profs[EXHAUST_MAX_PROFILES];
	char path[4096];
	FILE *f;
	int ret;

	/* a witness carries the expectations of every profile of the run */
	for (size_t i = 0; i < x->nr; i++)
		profs[i] = x->p[i].prof;
	mkdir(x->out, 0777);
	for (size_t i = 0; i < x->nr; i++) {
		struct exhaust_profile *p = &x->p[i];
		struct khp_program prog;

		profile_file(x->out, p, ".sets", path, sizeof(path));
		if ((ret = write_sets(x, p, path)))
			return cli_fail("exhaust", "cannot write %s: %s", path, strerror(-ret)), ret;
		if (!p->r.witness_len || witness_ops(x, p, &prog))
			continue;
		ret = khp_finding_write(x->out, "exhaust", x->command, &prog, profs, x->nr,
					p->witness_file, sizeof(p->witness_file));
		khp_program_free(&prog);
		if (ret)
			return cli_fail("exhaust", "cannot write the witness into %s: %s", x->out,
					strerror(-ret)), ret;
	}
	snprintf(path, sizeof(path), "%s/certificate.json", x->out);
	f = fopen(path, "w");
	if (!f)
		return cli_fail("exhaust", "cannot write %s: %s", path, strerror(errno)), -EIO;
	print_json(f, x);
	if (fclose(f))
		return cli_fail("exhaust", "cannot write %s", path), -EIO;
	return 0;
}

/* ---- --merge ---------------------------------------------------------------------- */
/* The bounds of a "bounds ..." line into x->b; 0 or -EINVAL. */
static int parse_bounds(struct exhaust *x, char *line)
{
	struct khp_knob_settings ks;
	char msg[256], *save = NULL;
	unsigned long v;

	khp_knob_settings_init(&ks);
	x->b.nr_shards = 0;
	if (strncmp(line, "bounds ", 7))
		return -EINVAL;
	for (char *t = strtok_r(line + 7, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		if (!strncmp(t, "grammar=", 8)) {
			if (khp_exhaust_grammar_parse(t + 8, &x->b.grammar))
				return -EINVAL;
		} else if (sscanf(t, "mms=%lu", &v) == 1) {
			x->b.mms = (unsigned)v;
		} else if (sscanf(t, "ops=%lu", &v) == 1) {
			x->b.ops = (unsigned)v;
		} else if (sscanf(t, "shards=%lu", &v) == 1) {
			x->b.nr_shards = (unsigned)v;
		} else if (khp_knob_settings_assign(&ks, t, KHP_KNOB_FROM_SET, msg, sizeof(msg))) {
			return -EINVAL;
		}
	}
	khp_config_default(&x->b.config, 8);
	if (khp_knob_settings_apply(&ks, &x->b.config, msg, sizeof(msg)))
		return -EINVAL;
	x->b.shard = 0;
	return khp_exhaust_bounds_check(&x->b, msg, sizeof(msg));
}

static int read_result(FILE *f, struct khp_exhaust_result *r)
{
	int64_t fnw;
	uint64_t v[3];

	memset(r, 0, sizeof(*r));
	if (fread(&fnw, sizeof(fnw), 1, f) != 1 || fread(v, sizeof(v), 1, f) != 1 ||
	    fread(r->witness, sizeof(r->witness), 1, f) != 1 ||
	    fread(r->level, sizeof(r->level), 1, f) != 1 || v[0] > KHP_EXHAUST_MAX_OPS)
		return -EINVAL;
	r->max_fn_waste = (long)fnw;
	r->witness_len = (unsigned)v[0];
	r->transitions = v[1];
	r->refused = v[2];
	for (int s = 0; s < 3; s++) {
		uint64_t nr;

		if (fread(&nr, sizeof(nr), 1, f) != 1 || nr > (1ull << 36))
			return -EINVAL;
		r->set[s] = malloc((nr ? nr : 1) * sizeof(*r->set[s]));
		if (!r->set[s])
			return -ENOMEM;
		if (fread(r->set[s], sizeof(*r->set[s]), nr, f) != nr)
			return -EINVAL;
		r->nr_set[s] = nr;
		for (uint64_t i = 1; i < nr; i++)
			if (khp_hash128_cmp_public(&r->set[s][i - 1], &r->set[s][i]) >= 0)
				return -EINVAL;
	}
	r->states = r->nr_set[0];
	r->fn = r->nr_set[1];
	r->fp = r->nr_set[2];
	return fgetc(f) == EOF ? 0 : -EINVAL;
}

/* The entry of profile name in x (a new one if there is none); NULL if full. */
static struct exhaust_profile *profile_slot(struct exhaust *x, const char *name, char *msg,
					    size_t n)
{
	for (size_t i = 0; i < x->nr; i++)
		if (!strcmp(khp_profile_name(&x->p[i].prof), name))
			return &x->p[i];
	if (x->nr == EXHAUST_MAX_PROFILES) {
		snprintf(msg, n, "more than %u profiles", EXHAUST_MAX_PROFILES);
		return NULL;
	}
	if (khp_profile_parse_msg(name, &x->p[x->nr].prof, msg, n))
		return NULL;
	return &x->p[x->nr++];
}

struct merge {
	char bounds[768];
	uint64_t *seen[EXHAUST_MAX_PROFILES];    /* shard bitmaps */
};

/* One .sets file into x. */
static int merge_file(struct exhaust *x, struct merge *m, const char *path, char *msg, size_t n)
{
	char line[768], name[128];
	unsigned shard;
	struct exhaust_profile *p;
	struct khp_exhaust_result r;
	FILE *f = fopen(path, "rb");
	int ret = -EINVAL;

	if (!f)
		return snprintf(msg, n, "%s", strerror(errno)), -EIO;
	if (!fgets(line, sizeof(line), f) || strcmp(line, SETS_MAGIC)) {
		snprintf(msg, n, "not a khpsim exhaust .sets file");
		goto out;
	}
	if (!fgets(line, sizeof(line), f) || (m->bounds[0] && strcmp(line, m->bounds))) {
		snprintf(msg, n, "its bounds differ from the first shard's: %s", line);
		goto out;
	}
	if (!m->bounds[0]) {
		snprintf(m->bounds, sizeof(m->bounds), "%s", line);
		if (parse_bounds(x, line)) {
			snprintf(msg, n, "bad bounds line");
			goto out;
		}
	}
	if (!fgets(line, sizeof(line), f) || sscanf(line, "profile %127s shard %u", name, &shard) != 2 ||
	    shard >= x->b.nr_shards) {
		snprintf(msg, n, "bad profile line");
		goto out;
	}
	if (!(p = profile_slot(x, name, msg, n)))
		goto out;
	if (!m->seen[p - x->p] && !(m->seen[p - x->p] = calloc((x->b.nr_shards + 63) / 64, 8))) {
		ret = -ENOMEM;
		goto out;
	}
	if (m->seen[p - x->p][shard / 64] >> (shard % 64) & 1) {
		snprintf(msg, n, "shard %u of %s given twice", shard, name);
		goto out;
	}
	m->seen[p - x->p][shard / 64] |= 1ull << (shard % 64);
	if ((ret = read_result(f, &r)) == 0)
		ret = khp_exhaust_merge(&p->r, &r);
	else
		snprintf(msg, n, "truncated or corrupt");
	khp_exhaust_result_free(&r);
out:
	fclose(f);
	return ret;
}

static int merge_dir(struct exhaust *x, struct merge *m, const char *dir)
{
	struct dirent **ents;
	char path[4096], msg[1024];
	int n = scandir(dir, &ents, NULL, alphasort), ret = 0, found = 0;

	if (n < 0)
		return cli_fail("exhaust", "--merge: %s: %s", dir, strerror(errno)), -EIO;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(ents[i]->d_name);

		if (!ret && len > 5 && !strcmp(ents[i]->d_name + len - 5, ".sets")) {
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			found++;
			if ((ret = merge_file(x, m, path, msg, sizeof(msg))))
				cli_fail("exhaust", "--merge: %s: %s", path, msg);
		}
		free(ents[i]);
	}
	free(ents);
	if (!ret && !found)
		return cli_fail("exhaust", "--merge: %s holds no .sets file", dir), -EINVAL;
	return ret;
}

int exhaust_merge_dirs(struct exhaust *x, char **dirs, int nr)
{
	struct merge m;
	int ret = 0;

	memset(&m, 0, sizeof(m));
	x->nr = 0;
	for (int i = 0; i < nr && !ret; i++)
		ret = merge_dir(x, &m, dirs[i]);
	for (size_t p = 0; p < x->nr && !ret; p++)
		for (unsigned s = 0; s < x->b.nr_shards && !ret; s++)
			if (!(m.seen[p][s / 64] >> (s % 64) & 1))
				ret = (cli_fail("exhaust", "--merge: shard %u/%u of %s is missing",
						s, x->b.nr_shards, khp_profile_name(&x->p[p].prof)),
				       -EINVAL);
	for (size_t p = 0; p < EXHAUST_MAX_PROFILES; p++)
		free(m.seen[p]);
	x->b.shard = 0;
	x->b.nr_shards = 1;
	return ret;
}
