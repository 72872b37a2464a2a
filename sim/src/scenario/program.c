/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The program of a scenario: "config" (through the knob table,
 * khpsim/knobs.h) and "program" (one object per op, with the keys its op
 * allows), read and written.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "khpsim/knobs.h"
#include "scenario/internal.h"

/* ---- config ------------------------------------------------------------ */

/* The orders array of "mthp_orders": each in range for pmd_pages, none twice. */
static int read_orders(struct scn_reader *rd, const cJSON *arr, unsigned pmd, uint32_t *mask)
{
	const cJSON *it;
	unsigned i = 0;

	if (!cJSON_IsArray(arr))
		return scn_fail(rd, -EINVAL, "config.mthp_orders",
				"expected an array of orders, found %s", scn_type_name(arr));
	*mask = 0;
	cJSON_ArrayForEach(it, arr) {
		char p[64], msg[96];
		uint32_t o;

		snprintf(p, sizeof(p), "config.mthp_orders[%u]", i++);
		if (scn_get_u32(rd, it, p, 31, &o))
			return rd->rc;
		if (khp_knob_check_order(o, pmd, msg, sizeof(msg)))
			return scn_fail(rd, -ERANGE, p, "%s", msg);
		if (*mask & (1u << o))
			return scn_fail(rd, -EINVAL, p, "order %u listed twice", o);
		*mask |= 1u << o;
	}
	return 0;
}

/* One knob other than pmd_pages, as its kind reads from JSON. */
static int read_knob(struct scn_reader *rd, const cJSON *v, enum khp_knob k, unsigned pmd,
		     struct khp_config *c)
{
	char p[64], msg[128];
	const char *s = NULL;
	uint32_t x = 0;
	bool b = false;

	snprintf(p, sizeof(p), "config.%s", khp_knob(k)->name);
	switch (khp_knob(k)->kind) {
	case KHP_KNOB_KIND_PTES:
		if (scn_get_u32(rd, v, p, pmd - 1, &x))
			return rd->rc;
		break;
	case KHP_KNOB_KIND_MODE:
		if (scn_get_str(rd, v, p, &s))
			return rd->rc;
		if (khp_knob_parse(k, s, &x, msg, sizeof(msg)))
			return scn_fail(rd, -EINVAL, p, "%s", msg);
		break;
	case KHP_KNOB_KIND_BOOL:
		if (scn_get_bool(rd, v, p, &b))
			return rd->rc;
		x = b;
		break;
	case KHP_KNOB_KIND_ORDERS:
		if (read_orders(rd, v, pmd, &x))
			return rd->rc;
		break;
	case KHP_KNOB_KIND_PMD:
		return scn_fail(rd, -EINVAL, p, "read first");
	}
	khp_knob_put(c, k, x);
	return 0;
}

int scn_read_config(struct scn_reader *rd, const cJSON *obj, struct khp_config *c)
{
	const char *keys[KHP_NR_KNOBS];
	const cJSON *m[KHP_NR_KNOBS];
	uint32_t pmd = 512;
	char msg[160];

	for (unsigned k = 0; k < KHP_NR_KNOBS; k++)
		keys[k] = khp_knob((enum khp_knob)k)->name;
	if (scn_get_members(rd, obj, "config", keys, KHP_NR_KNOBS, m))
		return rd->rc;
	/* pmd_pages first: the other knobs' defaults and ranges follow it */
	if (m[KHP_KNOB_PMD_PAGES]) {
		if (scn_get_u32(rd, m[KHP_KNOB_PMD_PAGES], "config.pmd_pages", KHP_PMD_PAGES_MAX,
				&pmd))
			return rd->rc;
		if (khp_knob_check(KHP_KNOB_PMD_PAGES, pmd, pmd, msg, sizeof(msg)))
			return scn_fail(rd, -ERANGE, "config.pmd_pages", "%s", msg);
	}
	khp_config_default(c, pmd);
	for (unsigned k = KHP_KNOB_PMD_PAGES + 1; k < KHP_NR_KNOBS; k++)
		if (m[k] && read_knob(rd, m[k], (enum khp_knob)k, pmd, c))
			return rd->rc;
	msg[0] = 0;
	if (khp_config_check(c, msg, sizeof(msg)))
		return scn_fail(rd, -ERANGE, "config", "%s", msg[0] ? msg : "invalid config");
	return 0;
}

void scn_write_config(FILE *f, const struct khp_config *c)
{
	struct khp_config d;
	struct scn_line l = { f, true };

	khp_config_default(&d, c->pmd_pages);
	d.pmd_pages = 512;             /* pmd_pages is written when it is not 512 */
	fputs("  \"config\": {", f);
	for (unsigned k = 0; k < KHP_NR_KNOBS; k++) {
		uint32_t v = khp_knob_get(c, (enum khp_knob)k);
		char buf[128];

		if (v == khp_knob_get(&d, (enum khp_knob)k))
			continue;
		khp_knob_format_json((enum khp_knob)k, v, buf, sizeof(buf));
		scn_key(&l, khp_knob((enum khp_knob)k)->name);
		fputs(buf, f);
	}
	fputs("},\n", f);
}

/* ---- ops --------------------------------------------------------------- */

enum { OK_OP, OK_MM, OK_CHILD, OK_ADDR, OK_PAGES, OK_TO, OK_NEW_PAGES, OK_HUGEPAGE,
       OK_NOHUGEPAGE, OK_UFFD, OK_WRITE, OK_ADVICE, OK_COUNT, OK_PASSES, OK_NR };
static const char *const op_keys[OK_NR] = {
	"op", "mm", "child", "addr", "pages", "to", "new_pages", "hugepage",
	"nohugepage", "uffd", "write", "advice", "count", "passes",
};

#define B(k) (1u << (k))
/* The keys each op allows (besides "op") and those it requires. */
struct op_shape {
	uint32_t allowed;
	uint32_t required;
};

#define MM_RANGE (B(OK_MM) | B(OK_ADDR) | B(OK_PAGES))
static const struct op_shape op_shapes[KHP_NR_OPS] = {
	[KHP_OP_MMAP] = { MM_RANGE | B(OK_HUGEPAGE) | B(OK_NOHUGEPAGE) | B(OK_UFFD) | B(OK_WRITE),
			  MM_RANGE },
	[KHP_OP_TOUCH] = { MM_RANGE | B(OK_WRITE), B(OK_MM) | B(OK_ADDR) },
	[KHP_OP_FORK] = { B(OK_MM) | B(OK_CHILD), B(OK_MM) | B(OK_CHILD) },
	[KHP_OP_EXIT] = { B(OK_MM), B(OK_MM) },
	[KHP_OP_DONTNEED] = { MM_RANGE, MM_RANGE },
	[KHP_OP_MUNMAP] = { MM_RANGE, MM_RANGE },
	[KHP_OP_MREMAP] = { MM_RANGE | B(OK_TO) | B(OK_NEW_PAGES), MM_RANGE },
	[KHP_OP_MPROTECT] = { MM_RANGE | B(OK_WRITE), MM_RANGE | B(OK_WRITE) },
	[KHP_OP_MADVISE] = { MM_RANGE | B(OK_ADVICE), MM_RANGE | B(OK_ADVICE) },
	[KHP_OP_PIN] = { B(OK_MM) | B(OK_ADDR), B(OK_MM) | B(OK_ADDR) },
	[KHP_OP_UNPIN] = { B(OK_MM) | B(OK_ADDR), B(OK_MM) | B(OK_ADDR) },
	[KHP_OP_AGE] = { MM_RANGE, B(OK_MM) },
	/* one PMD range (mm, addr), or the daemon's passes over every mm (passes) */
	[KHP_OP_KHUGEPAGED] = { B(OK_MM) | B(OK_ADDR) | B(OK_PASSES), 0 },
	[KHP_OP_COLLAPSE] = { MM_RANGE, MM_RANGE },
	[KHP_OP_SPLIT] = { 0, 0 },
	[KHP_OP_FAIL_ALLOC] = { B(OK_COUNT), B(OK_COUNT) },
};

/* The op's name and that its keys are exactly those it allows and requires. */
static int read_op_shape(struct scn_reader *rd, const cJSON **m, const char *path,
			 struct khp_op *op)
{
	const struct op_shape *shape;
	enum khp_op_type t;
	const char *s = NULL;
	char p[SCN_PATH_MAX];

	scn_sub_path(p, sizeof(p), path, "op");
	if (!m[OK_OP])
		return scn_fail(rd, -EINVAL, p, "missing required key \"op\"");
	if (scn_get_str(rd, m[OK_OP], p, &s))
		return rd->rc;
	if (khp_op_parse(s, &t) || (unsigned)t >= KHP_NR_OPS)
		return scn_fail(rd, -EINVAL, p, "unknown op \"%s\"", s);
	op->type = (uint8_t)t;
	shape = &op_shapes[t];
	for (unsigned k = 1; k < OK_NR; k++) {
		scn_sub_path(p, sizeof(p), path, op_keys[k]);
		if (m[k] && !(shape->allowed & B(k)))
			return scn_fail(rd, -EINVAL, p, "key \"%s\" not allowed for op %s",
					op_keys[k], s);
		if (!m[k] && (shape->required & B(k)))
			return scn_fail(rd, -EINVAL, path, "missing required key \"%s\" for op %s",
					op_keys[k], s);
	}
	return 0;
}

/* A boolean key: the KHP_OPF_* flag it sets or clears. */
static const uint8_t op_flag[OK_NR] = {
	[OK_HUGEPAGE] = KHP_OPF_HUGEPAGE, [OK_NOHUGEPAGE] = KHP_OPF_NOHUGEPAGE,
	[OK_UFFD] = KHP_OPF_UFFD, [OK_WRITE] = KHP_OPF_WRITE,
};

/* Op key k (present in the object) into op. */
static int read_op_key(struct scn_reader *rd, const cJSON *v, unsigned k, const char *p,
		       struct khp_op *op)
{
	const char *s = NULL;
	enum khp_advice a;
	uint64_t x = 0;
	bool b = false;

	switch (k) {
	case OK_MM:
	case OK_CHILD:
		if (scn_get_u64(rd, v, p, KHP_MAX_MMS - 1, &x))
			return rd->rc;
		*(k == OK_MM ? &op->mm : &op->child) = (uint32_t)x;
		return 0;
	case OK_ADDR:
		return scn_get_u64(rd, v, p, KHP_ADDR_LIMIT - 1, &op->addr);
	case OK_PAGES:
		return scn_get_u64(rd, v, p, KHP_MAX_OP_PAGES, &op->pages);
	case OK_TO:
		op->flags |= KHP_OPF_TO;
		return scn_get_u64(rd, v, p, KHP_ADDR_LIMIT - 1, &op->to);
	case OK_NEW_PAGES:
		op->flags |= KHP_OPF_NEW_PAGES;
		return scn_get_u64(rd, v, p, KHP_MAX_OP_PAGES, &op->new_pages);
	case OK_ADVICE:
		if (scn_get_str(rd, v, p, &s))
			return rd->rc;
		if (khp_advice_parse(s, &a) || (unsigned)a >= KHP_NR_ADVICE)
			return scn_fail(rd, -EINVAL, p, "unknown advice \"%s\" (hugepage, nohugepage, "
					"pageout, cold, free)", s);
		op->advice = (uint8_t)a;
		return 0;
	case OK_COUNT:
	case OK_PASSES:
		if (scn_get_u64(rd, v, p, k == OK_PASSES ? KHP_MAX_PASSES : UINT32_MAX, &x))
			return rd->rc;
		if (k == OK_PASSES && !x)
			return scn_fail(rd, -ERANGE, p, "passes: at least 1");
		op->count = (uint32_t)x;
		return 0;
	default:
		if (scn_get_bool(rd, v, p, &b))
			return rd->rc;
		if (b)
			op->flags |= op_flag[k];
		else
			op->flags &= (uint8_t)~op_flag[k];
		return 0;
	}
}

static int read_op(struct scn_reader *rd, const cJSON *obj, const char *path,
		   const struct khp_config *c, struct khp_op *op)
{
	const cJSON *m[OK_NR];
	char p[SCN_PATH_MAX], msg[160];

	memset(op, 0, sizeof(*op));
	if (scn_get_members(rd, obj, path, op_keys, OK_NR, m) || read_op_shape(rd, m, path, op))
		return rd->rc;
	/* defaults */
	if (op->type == KHP_OP_MMAP || op->type == KHP_OP_TOUCH)
		op->flags |= KHP_OPF_WRITE;
	if (op->type == KHP_OP_TOUCH)
		op->pages = 1;
	for (unsigned k = 1; k < OK_NR; k++) {
		if (!m[k])
			continue;
		scn_sub_path(p, sizeof(p), path, op_keys[k]);
		if (read_op_key(rd, m[k], k, p, op))
			return rd->rc;
	}
	if (op->type == KHP_OP_KHUGEPAGED && !m[OK_PASSES] != (m[OK_MM] && m[OK_ADDR]))
		return scn_fail(rd, -EINVAL, path, "khugepaged takes \"mm\" and \"addr\" (one PMD "
				"range) or \"passes\" (the daemon over every mm), not both");
	if (op->type == KHP_OP_AGE) {
		if (!!m[OK_ADDR] != !!m[OK_PAGES])
			return scn_fail(rd, -EINVAL, path,
					"age takes both \"addr\" and \"pages\" or neither");
		if (m[OK_ADDR])
			op->flags |= KHP_OPF_RANGE;
	}
	msg[0] = 0;
	if (khp_op_check(op, c, msg, sizeof(msg)))
		return scn_fail(rd, -ERANGE, path, "%s", msg[0] ? msg : "invalid op");
	return 0;
}

int scn_read_program(struct scn_reader *rd, const cJSON *arr, struct khp_program *prog)
{
	const cJSON *it;
	size_t i = 0;
	int n;

	if (!cJSON_IsArray(arr))
		return scn_fail(rd, -EINVAL, "program", "expected an array of ops, found %s",
				scn_type_name(arr));
	n = cJSON_GetArraySize(arr);
	if (n < 0 || (size_t)n > KHP_MAX_OPS)
		return scn_fail(rd, -E2BIG, "program", "%d ops, more than the limit of %u",
				n, KHP_MAX_OPS);
	cJSON_ArrayForEach(it, arr) {
		struct khp_op op;
		char p[48];
		int rc;

		snprintf(p, sizeof(p), "program[%zu]", i++);
		if (read_op(rd, it, p, &prog->config, &op))
			return rd->rc;
		rc = khp_program_push(prog, &op);
		if (rc)
			return scn_fail(rd, rc, p, "cannot add op: %s", strerror(-rc));
	}
	return 0;
}

void scn_write_op(FILE *f, const struct khp_op *op)
{
	struct scn_line l = { f, true };
	enum khp_op_type t = (enum khp_op_type)op->type;
	const struct op_shape *sh = &op_shapes[t < KHP_NR_OPS ? t : KHP_OP_SPLIT];
	bool def_write = (t == KHP_OP_MMAP || t == KHP_OP_TOUCH);

	fputc('{', f);
	scn_kv_str(&l, "op", khp_op_name(t));
	if (t == KHP_OP_KHUGEPAGED && op->count) {
		scn_kv_u64(&l, "passes", op->count);
		fputc('}', f);
		return;
	}
	if (sh->allowed & B(OK_MM))
		scn_kv_u64(&l, "mm", op->mm);
	if (sh->allowed & B(OK_CHILD))
		scn_kv_u64(&l, "child", op->child);
	if (t != KHP_OP_AGE || (op->flags & KHP_OPF_RANGE)) {
		if (sh->allowed & B(OK_ADDR))
			scn_kv_u64(&l, "addr", op->addr);
		if ((sh->allowed & B(OK_PAGES)) && !(t == KHP_OP_TOUCH && op->pages == 1))
			scn_kv_u64(&l, "pages", op->pages);
	}
	if ((sh->allowed & B(OK_TO)) && (op->flags & KHP_OPF_TO))
		scn_kv_u64(&l, "to", op->to);
	if ((sh->allowed & B(OK_NEW_PAGES)) && (op->flags & KHP_OPF_NEW_PAGES))
		scn_kv_u64(&l, "new_pages", op->new_pages);
	for (unsigned k = OK_HUGEPAGE; k <= OK_UFFD; k++)
		if ((sh->allowed & B(k)) && (op->flags & op_flag[k]))
			scn_kv_bool(&l, op_keys[k], true);
	if (sh->allowed & B(OK_WRITE)) {
		bool w = op->flags & KHP_OPF_WRITE;

		if (!def_write || !w)
			scn_kv_bool(&l, "write", w);
	}
	if (sh->allowed & B(OK_ADVICE))
		scn_kv_str(&l, "advice", khp_advice_name((enum khp_advice)op->advice));
	if (sh->allowed & B(OK_COUNT))
		scn_kv_u64(&l, "count", op->count);
	fputc('}', f);
}
