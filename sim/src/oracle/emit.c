/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Scenario -> C reproducer (docs/oracle.md §3).  The way back, guest output
 * -> comparison with the model, is in guestlog.c, compare.c, rows.c,
 * known.c and summary.c (khpsim/oracle.h).
 *
 * The emitted program is oracle/runtime.c (pasted from the generated
 * string table runtime.inc, generated from oracle/runtime.c) followed by one
 * function per scenario that calls the runtime once per op, and a main().
 * Everything that decides how an op is realised on a real kernel lives in
 * the runtime; this file only decides *whether* an op can be realised
 * (khp_emit_check) and translates fields.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

	/*
	 * The profiles a scenario names do not matter here: the reproducer runs
	 * its program, and the oracle compares it with the kernel rows
	 * (khp_model_steps()), so a policy study's kernel columns are checked
	 * on real kernels too; its custom rows stay the model's.
	 */
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
		case KHP_OP_KHUGEPAGED:
			if (op->count)
				return refuse(msg, msglen, i, name,
					      "the daemon's passes are not steps a guest can drive "
					      "(the real khugepaged paces itself: pages_to_scan, sleeps)");
			break;
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
