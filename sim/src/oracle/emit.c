/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Scenario -> C reproducer, and the way back: guest output -> comparison
 * with the model (docs/oracle.md).
 *
 * The emitted program is oracle/runtime.c (pasted from the generated
 * string table runtime.inc, generated from oracle/runtime.c) followed by one function per scenario
 * that calls the runtime once per op, and a main().  Everything that decides
 * how an op is realised on a real kernel lives in the runtime; this file
 * only decides *whether* an op can be realised (khp_emit_check) and
 * translates fields.
 *
 * The comparison reads the "KHPSIM-STEP" lines back and matches them with
 * the records of the simulator run step by step in a world of the matching
 * kernel profile.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "khpsim/emit.h"

static const char *const runtime_src[] = {
#include "runtime.inc"   /* generated from oracle/runtime.c by the build */
};

/* ---- what can be realised ------------------------------------------------ */

static int refuse(char *msg, size_t len, size_t step, const char *op, const char *why)
{
	if (msg)
		snprintf(msg, len, "step %zu: op '%s' cannot be realised on a real kernel: %s",
			 step, op, why);
	return -ENOTSUP;
}

int khp_emit_check(const struct khp_scenario *sc, char *msg, size_t msglen)
{
	const struct khp_config *c = &sc->program.config;
	size_t i;

	if (c->pmd_pages != 512) {
		if (msg)
			snprintf(msg, msglen,
				 "config.pmd_pages is %u: a real x86-64 kernel has 512 (HPAGE_PMD_NR)",
				 c->pmd_pages);
		return -ENOTSUP;
	}
	for (i = 0; i < sc->program.nr_ops; i++) {
		const struct khp_op *op = &sc->program.ops[i];
		const char *name = khp_op_name((enum khp_op_type)op->type);

		switch (op->type) {
		case KHP_OP_AGE:
			return refuse(msg, msglen, i, name,
				      "no syscall clears PTE young bits the way the model's aging does "
				      "(idle page tracking is not built into the Debian kernels)");
		case KHP_OP_SPLIT:
			return refuse(msg, msglen, i, name,
				      "the deferred-split shrinker runs only under memory pressure");
		case KHP_OP_FAIL_ALLOC:
			return refuse(msg, msglen, i, name,
				      "huge page allocation failures cannot be injected "
				      "(no fault injection in the Debian kernels)");
		default:
			break;
		}
		if (op->mm >= KHP_MAX_MMS || (op->type == KHP_OP_FORK && op->child >= KHP_MAX_MMS))
			return refuse(msg, msglen, i, name, "mm id out of range");
	}
	return 0;
}

void khp_emit_name(const struct khp_scenario *sc, const char *file, char *buf, size_t len)
{
	const char *src = sc->name, *slash;
	size_t n = 0, end;

	if (!len)
		return;
	if (!src || !*src) {
		src = file ? file : "scenario";
		slash = strrchr(src, '/');
		if (slash)
			src = slash + 1;
	}
	end = strlen(src);
	if ((!sc->name || !*sc->name) && end > 5 && !strcmp(src + end - 5, ".json"))
		end -= 5;
	for (size_t i = 0; i < end && n + 1 < len; i++) {
		unsigned char ch = (unsigned char)src[i];

		buf[n++] = (isalnum(ch) || ch == '.' || ch == '_' || ch == '-') ? (char)ch : '_';
	}
	if (!n && len > 1)
		buf[n++] = '_';
	buf[n] = 0;
}

/* ---- writing the program ------------------------------------------------- */

static const char *advice_macro(enum khp_advice a)
{
	switch (a) {
	case KHP_ADV_HUGEPAGE:
		return "MADV_HUGEPAGE";
	case KHP_ADV_NOHUGEPAGE:
		return "MADV_NOHUGEPAGE";
	case KHP_ADV_PAGEOUT:
		return "MADV_PAGEOUT";
	case KHP_ADV_COLD:
		return "MADV_COLD";
	case KHP_ADV_FREE:
		return "MADV_FREE";
	default:
		return "-1";
	}
}

/* A comment-safe copy of s (no "*" followed by "/"). */
static void comment_str(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\n' || *s == '\r') {
			fputc(' ', out);
			continue;
		}
		if (s[0] == '*' && s[1] == '/') {
			fputs("* /", out);
			s++;
			continue;
		}
		fputc(*s, out);
	}
}

static void emit_op(FILE *out, const struct khp_op *op, size_t step)
{
	unsigned long long addr = op->addr, pages = op->pages;
	unsigned mm = op->mm;

	switch (op->type) {
	case KHP_OP_MMAP:
		fprintf(out, "\tkhp_mmap(rt, %zu, %u, %lluul, %lluul, 0", step, mm, addr, pages);
		if (op->flags & KHP_OPF_WRITE)
			fputs(" | KHP_MF_WRITE", out);
		if (op->flags & KHP_OPF_HUGEPAGE)
			fputs(" | KHP_MF_HUGE", out);
		if (op->flags & KHP_OPF_NOHUGEPAGE)
			fputs(" | KHP_MF_NOHUGE", out);
		if (op->flags & KHP_OPF_UFFD)
			fputs(" | KHP_MF_UFFD", out);
		fputs(");\n", out);
		break;
	case KHP_OP_TOUCH:
		fprintf(out, "\tkhp_touch(rt, %zu, %u, %lluul, %lluul, %d);\n", step, mm, addr,
			pages ? pages : 1, !!(op->flags & KHP_OPF_WRITE));
		break;
	case KHP_OP_FORK:
		fprintf(out, "\tkhp_fork(rt, %zu, %u, %u);\n", step, mm, op->child);
		break;
	case KHP_OP_EXIT:
		fprintf(out, "\tkhp_exit(rt, %zu, %u);\n", step, mm);
		break;
	case KHP_OP_DONTNEED:
		fprintf(out, "\tkhp_madvise(rt, %zu, %u, %lluul, %lluul, MADV_DONTNEED, \"dontneed\");\n",
			step, mm, addr, pages);
		break;
	case KHP_OP_MUNMAP:
		fprintf(out, "\tkhp_munmap(rt, %zu, %u, %lluul, %lluul);\n", step, mm, addr, pages);
		break;
	case KHP_OP_MREMAP:
		fprintf(out, "\tkhp_mremap(rt, %zu, %u, %lluul, %lluul, %lluul, %lld);\n", step, mm,
			addr, pages,
			(unsigned long long)((op->flags & KHP_OPF_NEW_PAGES) ? op->new_pages : pages),
			(op->flags & KHP_OPF_TO) ? (long long)op->to : -1ll);
		break;
	case KHP_OP_MPROTECT:
		fprintf(out, "\tkhp_mprotect(rt, %zu, %u, %lluul, %lluul, %d);\n", step, mm, addr,
			pages, !!(op->flags & KHP_OPF_WRITE));
		break;
	case KHP_OP_MADVISE:
		fprintf(out, "\tkhp_madvise(rt, %zu, %u, %lluul, %lluul, %s, \"madvise\");\n", step, mm,
			addr, pages, advice_macro((enum khp_advice)op->advice));
		break;
	case KHP_OP_PIN:
	case KHP_OP_UNPIN:
		fprintf(out, "\tkhp_pin(rt, %zu, %u, %lluul, %d);\n", step, mm, addr,
			op->type == KHP_OP_PIN);
		break;
	case KHP_OP_KHUGEPAGED:
		fprintf(out, "\tkhp_khugepaged(rt, %zu, %u, %lluul);\n", step, mm, addr);
		break;
	case KHP_OP_COLLAPSE:
		fprintf(out, "\tkhp_collapse(rt, %zu, %u, %lluul, %lluul);\n", step, mm, addr, pages);
		break;
	default:
		/* refused by khp_emit_check() */
		break;
	}
}

static void emit_scenario(FILE *out, const struct khp_scenario *sc, const char *file, size_t idx)
{
	const struct khp_config *c = &sc->program.config;
	char name[KHP_EMIT_NAME_MAX];
	size_t i;

	khp_emit_name(sc, file, name, sizeof(name));
	fputs("\n/*\n * scenario ", out);
	comment_str(out, name);
	if (file) {
		fputs(" (", out);
		comment_str(out, file);
		fputs(")", out);
	}
	if (sc->description) {
		fputs("\n * ", out);
		comment_str(out, sc->description);
	}
	fputs("\n */\n", out);
	fprintf(out, "static void khp_scenario_%zu(struct khp_rt *rt)\n{\n", idx);
	fprintf(out, "\tstatic const struct khp_cfg cfg = {\n"
		     "\t\t.thp = \"%s\", .max_ptes_none = %u, .max_ptes_swap = %u,\n"
		     "\t\t.max_ptes_shared = %u, .use_zero_page = %d, .swap = %d,\n"
		     "\t\t.shrink_underused = %d, .mthp_orders = 0x%xu,\n\t};\n\n",
		khp_thp_mode_name(c->thp), c->max_ptes_none, c->max_ptes_swap, c->max_ptes_shared,
		c->use_zero_page, c->swap, c->shrink_underused, (unsigned)c->mthp_orders);
	fprintf(out, "\tkhp_begin(rt, \"%s\", &cfg);\n", name);
	for (i = 0; i < sc->program.nr_ops; i++)
		emit_op(out, &sc->program.ops[i], i);
	fputs("\tkhp_end(rt);\n}\n", out);
}

int khp_emit_c(FILE *out, const struct khp_scenario *const *scs, const char *const *files,
	       size_t n, char *err, size_t errlen)
{
	char msg[256];
	size_t i;

	for (i = 0; i < n; i++) {
		if (khp_emit_check(scs[i], msg, sizeof(msg))) {
			if (err)
				snprintf(err, errlen, "%s: %s", files && files[i] ? files[i] : "scenario",
					 msg);
			return -ENOTSUP;
		}
	}
	fputs("/* SPDX-License-Identifier: GPL-2.0-only */\n"
	      "/*\n * Generated by `khpsim emit-c`: a real-kernel reproducer of", out);
	for (i = 0; i < n; i++) {
		char name[KHP_EMIT_NAME_MAX];

		khp_emit_name(scs[i], files ? files[i] : NULL, name, sizeof(name));
		fputs(i ? ", " : " ", out);
		comment_str(out, name);
	}
	fputs(".\n * Build: gcc -static -O2 -Wall -o init THIS.c; run as root (or as /init of\n"
	      " * an initramfs, see scripts/oracle).  It changes the THP and khugepaged\n"
	      " * sysfs knobs of the machine it runs on.\n */\n", out);
	for (i = 0; i < sizeof(runtime_src) / sizeof(runtime_src[0]); i++)
		fputs(runtime_src[i], out);
	for (i = 0; i < n; i++)
		emit_scenario(out, scs[i], files ? files[i] : NULL, i);
	fputs("\nint main(int argc, char **argv)\n{\n\tstatic struct khp_rt rt;\n\n"
	      "\tkhp_init(&rt, argc, argv);\n", out);
	for (i = 0; i < n; i++)
		fprintf(out, "\tkhp_scenario_%zu(&rt);\n", i);
	fputs("\treturn khp_finish(&rt);\n}\n", out);
	if (fflush(out) || ferror(out)) {
		if (err)
			snprintf(err, errlen, "write error");
		return -EIO;
	}
	return 0;
}

/* ---- guest output ------------------------------------------------------- */

/* Copy the value of " key=" (up to the next space) into buf; false if absent. */
static bool field_str(const char *line, const char *key, char *buf, size_t len)
{
	char pat[32];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	while (p[n] && !isspace((unsigned char)p[n]))
		n++;
	if (len) {
		if (n >= len)
			n = len - 1;
		memcpy(buf, p, n);
		buf[n] = 0;
	}
	return true;
}

static long field_long(const char *line, const char *key)
{
	char buf[32], *end;
	long v;

	if (!field_str(line, key, buf, sizeof(buf)) || !buf[0])
		return -1;
	v = strtol(buf, &end, 10);
	return *end ? -1 : v;
}

int khp_guest_parse_line(const char *line, struct khp_guest_step *out)
{
	const char *p = strstr(line, "KHPSIM-STEP ");
	char kind[16], buf[32], note[64], *end;

	if (!p)
		return 0;
	p += strlen("KHPSIM-STEP") ;
	memset(out, 0, sizeof(*out));
	if (!field_str(p, "scenario", out->scenario, sizeof(out->scenario)) ||
	    !field_str(p, "step", buf, sizeof(buf)) || !field_str(p, "kind", kind, sizeof(kind)))
		return -EINVAL;
	out->step = (unsigned)strtoul(buf, &end, 10);
	if (!buf[0] || *end)
		return -EINVAL;
	out->none_or_zero = field_long(p, "none_or_zero");
	out->unmapped = field_long(p, "unmapped");
	out->referenced = field_long(p, "referenced");
	out->writable = field_long(p, "writable");
	out->scans = field_long(p, "scans");
	out->pmd_mapped = field_long(p, "pmd_mapped");
	out->hidden = field_long(p, "hidden");
	out->ret = field_long(p, "ret");
	if (field_str(p, "error", out->error, sizeof(out->error))) {
		out->kind = KHP_GUEST_OPERR;
		snprintf(out->op, sizeof(out->op), "%s", kind);
		return 1;
	}
	if (!strcmp(kind, "khugepaged"))
		out->kind = KHP_GUEST_KHUGEPAGED;
	else if (!strcmp(kind, "collapse"))
		out->kind = KHP_GUEST_COLLAPSE;
	else
		return -EINVAL;
	if (!field_str(p, "status", out->status, sizeof(out->status)))
		return -EINVAL;
	if (out->kind == KHP_GUEST_COLLAPSE &&
	    !field_str(p, "errno", out->err_name, sizeof(out->err_name)))
		return -EINVAL;
	out->conflict = field_str(p, "conflict", NULL, 0);
	out->scan_timeout = field_str(p, "note", note, sizeof(note)) &&
			    !strcmp(note, "scan_timeout");
	return 1;
}

static int push_name(char (**v)[KHP_EMIT_NAME_MAX], size_t *nr, const char *name)
{
	char (*nv)[KHP_EMIT_NAME_MAX] = realloc(*v, (*nr + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	snprintf(nv[*nr], KHP_EMIT_NAME_MAX, "%s", name);
	(*nr)++;
	return 0;
}

int khp_guest_log_read(FILE *f, struct khp_guest_log *log, char *err, size_t errlen)
{
	char line[8192], name[KHP_EMIT_NAME_MAX];
	unsigned long lineno = 0;
	int r;

	memset(log, 0, sizeof(*log));
	while (fgets(line, sizeof(line), f)) {
		struct khp_guest_step st;
		const char *p;

		lineno++;
		if ((p = strstr(line, "KHPSIM-KERNEL ")))
			field_str(p + 12, "release", log->release, sizeof(log->release));
		if (strstr(line, "KHPSIM-DONE"))
			log->done = true;
		if ((p = strstr(line, "KHPSIM-NOTE ")) && field_str(p + 11, "scenario", name, sizeof(name))) {
			char v[32];

			r = 0;
			if (field_str(p + 11, "swap", v, sizeof(v)) && !strcmp(v, "unavailable"))
				r = push_name(&log->no_swap, &log->nr_no_swap, name);
			if (field_str(p + 11, "mthp", v, sizeof(v)) && !strcmp(v, "unsupported"))
				r = push_name(&log->no_mthp, &log->nr_no_mthp, name);
			if (r)
				goto nomem;
		}
		r = khp_guest_parse_line(line, &st);
		if (r < 0) {
			if (err)
				snprintf(err, errlen, "line %lu: malformed KHPSIM-STEP line", lineno);
			khp_guest_log_free(log);
			return r;
		}
		if (r == 0)
			continue;
		if (log->nr == log->cap) {
			size_t cap = log->cap ? log->cap * 2 : 64;
			struct khp_guest_step *nv = realloc(log->steps, cap * sizeof(*nv));

			if (!nv)
				goto nomem;
			log->steps = nv;
			log->cap = cap;
		}
		log->steps[log->nr++] = st;
	}
	return 0;
nomem:
	if (err)
		snprintf(err, errlen, "out of memory");
	khp_guest_log_free(log);
	return -ENOMEM;
}

void khp_guest_log_free(struct khp_guest_log *log)
{
	free(log->steps);
	free(log->no_swap);
	free(log->no_mthp);
	memset(log, 0, sizeof(*log));
}

int khp_guest_kernel(const char *release, enum khp_kernel *out)
{
	if (!strncmp(release, "6.1.", 4) || !strncmp(release, "6.1-", 4) || !strcmp(release, "6.1"))
		*out = KHP_LINUX_6_1;
	else if (!strncmp(release, "6.12", 4))
		*out = KHP_LINUX_6_12;
	else if (!strncmp(release, "7.3", 3))
		*out = KHP_LINUX_7_3;
	else
		return -EINVAL;
	return 0;
}

/* ---- the model side ------------------------------------------------------ */

int khp_model_steps(const struct khp_scenario *sc, enum khp_kernel k,
		    struct khp_model_step *model)
{
	struct khp_profile prof = khp_profile_kernel(k);
	struct khp_world *w;
	size_t i, pmd = sc->program.config.pmd_pages;
	int err = 0, r;

	memset(model, 0, sc->program.nr_ops * sizeof(*model));
	r = khp_world_new(&sc->program.config, prof, &w);
	if (r)
		return r;
	for (i = 0; i < sc->program.nr_ops; i++) {
		const struct khp_op *op = &sc->program.ops[i];
		struct khp_model_step *m = &model[i];
		struct khp_pte_info pi;

		if (err) {
			m->error = true;
			m->err = err;
			continue;
		}
		r = khp_world_apply(w, op, &m->rec);
		if (r) {
			m->error = true;
			m->err = err = r;
			continue;
		}
		if (op->type != KHP_OP_KHUGEPAGED && op->type != KHP_OP_COLLAPSE)
			continue;
		m->has_record = true;
		m->rec.step = (uint32_t)i;
		if (!khp_world_pte(w, op->mm, op->addr / pmd * pmd, &pi))
			m->pmd_mapped = pi.kind == KHP_PTE_PMD;
	}
	khp_world_free(w);
	return 0;
}

/* ---- comparison ---------------------------------------------------------- */

static void add_diff(struct khp_diff *d, size_t *n, const char *field, const char *real,
		     const char *model)
{
	if (*n >= KHP_MAX_DIFFS)
		return;
	snprintf(d[*n].field, sizeof(d[*n].field), "%s", field);
	snprintf(d[*n].real, sizeof(d[*n].real), "%s", real);
	snprintf(d[*n].model, sizeof(d[*n].model), "%s", model);
	(*n)++;
}

static void cmp_long(struct khp_diff *d, size_t *n, const char *field, long real, long model)
{
	char a[24], b[24];

	if (real < 0 || real == model)
		return;
	snprintf(a, sizeof(a), "%ld", real);
	snprintf(b, sizeof(b), "%ld", model);
	add_diff(d, n, field, a, b);
}

enum khp_verdict_oracle khp_oracle_compare(const struct khp_guest_step *g,
					   const struct khp_model_step *m, enum khp_kernel k,
					   struct khp_diff *diffs, size_t *nr_diffs,
					   const char **skip_reason)
{
	const struct khp_record *r = &m->rec;
	const char *model_status;
	char buf[96];

	*nr_diffs = 0;
	*skip_reason = NULL;
	if (g->kind == KHP_GUEST_OPERR) {
		if (m->error)
			return KHP_ORACLE_AGREE;   /* both refuse the op */
		snprintf(buf, sizeof(buf), "%s failed: %s", g->op, g->error);
		add_diff(diffs, nr_diffs, "op", buf, "ok");
		return KHP_ORACLE_DIFFER;
	}
	if (m->error) {
		add_diff(diffs, nr_diffs, "op", "ok", khp_errno_name(-m->err));
		return KHP_ORACLE_DIFFER;
	}
	if (!m->has_record) {
		add_diff(diffs, nr_diffs, "kind", g->kind == KHP_GUEST_COLLAPSE ? "collapse" : "khugepaged",
			 "no record");
		return KHP_ORACLE_DIFFER;
	}
	if (g->conflict) {
		*skip_reason = "an eligible VMA of the target mm could not be hidden (thp=always)";
		return KHP_ORACLE_SKIPPED;
	}
	if (g->scan_timeout) {
		*skip_reason = "khugepaged did not complete two full scans";
		return KHP_ORACLE_SKIPPED;
	}
	model_status = khp_result_trace(r->result);
	if (g->kind == KHP_GUEST_KHUGEPAGED) {
		if (strcmp(g->status, model_status))
			add_diff(diffs, nr_diffs, "status", g->status, model_status);
		if (strcmp(g->status, "not_visited") && r->result != KHP_NOT_VISITED) {
			cmp_long(diffs, nr_diffs, "none_or_zero", g->none_or_zero, r->none_or_zero);
			cmp_long(diffs, nr_diffs, "unmapped", g->unmapped, r->unmapped);
			cmp_long(diffs, nr_diffs, "referenced", g->referenced, r->referenced);
			if (khp_kernel_rules(k)->writable_gate)   /* else the guest has no count */
				cmp_long(diffs, nr_diffs, "writable", g->writable, r->writable);
		}
	} else {
		const char *model_err = r->err ? khp_errno_name(r->err) : "0";

		if (strcmp(g->err_name, model_err))
			add_diff(diffs, nr_diffs, "errno", g->err_name, model_err);
		/* one PMD range: the one tracepoint is the model's record */
		if (g->scans == 1) {
			if (strcmp(g->status, model_status))
				add_diff(diffs, nr_diffs, "status", g->status, model_status);
			cmp_long(diffs, nr_diffs, "none_or_zero", g->none_or_zero, r->none_or_zero);
			cmp_long(diffs, nr_diffs, "unmapped", g->unmapped, r->unmapped);
		}
	}
	cmp_long(diffs, nr_diffs, "pmd_mapped", g->pmd_mapped, m->pmd_mapped);
	return *nr_diffs ? KHP_ORACLE_DIFFER : KHP_ORACLE_AGREE;
}

/* ---- known differences --------------------------------------------------- */

static int known_str(const cJSON *o, const char *key, char *buf, size_t len, bool required,
		     size_t idx, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v) {
		if (!required) {
			snprintf(buf, len, "*");
			return 0;
		}
		snprintf(err, errlen, "entries[%zu].%s: missing", idx, key);
		return -EINVAL;
	}
	if (!cJSON_IsString(v) || !v->valuestring[0]) {
		snprintf(err, errlen, "entries[%zu].%s: must be a non-empty string", idx, key);
		return -EINVAL;
	}
	snprintf(buf, len, "%s", v->valuestring);
	return 0;
}

int khp_known_load(const char *path, struct khp_known_list *kl, char *err, size_t errlen)
{
	static const char *const keys[] = { "scenario", "step", "kernel", "field", "reason",
					    "source", NULL };
	char msg[192] = "", tmp[1024];
	const cJSON *entries, *e;
	cJSON *root = NULL;
	size_t len, idx = 0;
	char *buf = NULL;
	FILE *f;
	int r = -EINVAL;

	memset(kl, 0, sizeof(*kl));
	f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -ENOENT;
	}
	buf = malloc(1 << 20);
	len = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	buf[len] = 0;
	root = cJSON_Parse(buf);
	if (!root || !cJSON_IsObject(root)) {
		snprintf(msg, sizeof(msg), "not a JSON object");
		goto out;
	}
	entries = cJSON_GetObjectItemCaseSensitive(root, "entries");
	if (!cJSON_IsArray(entries)) {
		snprintf(msg, sizeof(msg), "entries: missing or not an array");
		goto out;
	}
	kl->v = calloc((size_t)cJSON_GetArraySize(entries) + 1, sizeof(*kl->v));
	if (!kl->v) {
		r = -ENOMEM;
		goto out;
	}
	cJSON_ArrayForEach(e, entries) {
		struct khp_known *k = &kl->v[idx];
		const cJSON *step, *it;

		if (!cJSON_IsObject(e)) {
			snprintf(msg, sizeof(msg), "entries[%zu]: not an object", idx);
			goto out;
		}
		cJSON_ArrayForEach(it, e) {
			size_t j;

			for (j = 0; keys[j] && strcmp(keys[j], it->string); j++)
				;
			if (!keys[j]) {
				snprintf(msg, sizeof(msg), "entries[%zu].%s: unknown key", idx, it->string);
				goto out;
			}
		}
		if (known_str(e, "scenario", k->scenario, sizeof(k->scenario), false, idx, msg, sizeof(msg)) ||
		    known_str(e, "kernel", k->kernel, sizeof(k->kernel), false, idx, msg, sizeof(msg)) ||
		    known_str(e, "field", k->field, sizeof(k->field), false, idx, msg, sizeof(msg)) ||
		    known_str(e, "reason", tmp, sizeof(tmp), true, idx, msg, sizeof(msg)))
			goto out;
		k->reason = strdup(tmp);
		if (known_str(e, "source", tmp, sizeof(tmp), true, idx, msg, sizeof(msg)))
			goto out;
		k->source = strdup(tmp);
		if (!k->reason || !k->source) {
			r = -ENOMEM;
			goto out;
		}
		step = cJSON_GetObjectItemCaseSensitive(e, "step");
		k->step = -1;
		if (step) {
			if (!cJSON_IsNumber(step) || step->valuedouble < 0 ||
			    step->valuedouble != (double)(long)step->valuedouble) {
				snprintf(msg, sizeof(msg), "entries[%zu].step: not a step index", idx);
				goto out;
			}
			k->step = (long)step->valuedouble;
		}
		if (strcmp(k->kernel, "*") && strcmp(k->kernel, "6.1") && strcmp(k->kernel, "6.12") &&
		    strcmp(k->kernel, "7.3")) {
			snprintf(msg, sizeof(msg), "entries[%zu].kernel: \"%s\" is not 6.1, 6.12, 7.3 or *",
				 idx, k->kernel);
			goto out;
		}
		idx++;
		kl->nr = idx;
	}
	r = 0;
out:
	if (r) {
		snprintf(err, errlen, "%s: %s", path, msg[0] ? msg : "out of memory");
		khp_known_free(kl);
	}
	cJSON_Delete(root);
	free(buf);
	return r;
}

void khp_known_free(struct khp_known_list *kl)
{
	for (size_t i = 0; kl->v && i <= kl->nr; i++) {
		free(kl->v[i].reason);
		free(kl->v[i].source);
	}
	free(kl->v);
	memset(kl, 0, sizeof(*kl));
}

static const char *kernel_tag(enum khp_kernel k)
{
	return k == KHP_LINUX_6_1 ? "6.1" : k == KHP_LINUX_6_12 ? "6.12" : "7.3";
}

const struct khp_known *khp_known_find(const struct khp_known_list *kl, const char *scenario,
				       unsigned step, enum khp_kernel k, const char *field)
{
	for (size_t i = 0; i < kl->nr; i++) {
		const struct khp_known *e = &kl->v[i];

		if (strcmp(e->scenario, "*") && strcmp(e->scenario, scenario))
			continue;
		if (e->step >= 0 && (unsigned long)e->step != step)
			continue;
		if (strcmp(e->kernel, "*") && strcmp(e->kernel, kernel_tag(k)))
			continue;
		if (strcmp(e->field, "*") && strcmp(e->field, field))
			continue;
		return e;
	}
	return NULL;
}
