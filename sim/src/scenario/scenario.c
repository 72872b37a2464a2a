/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Scenario format 1: strict JSON reader, canonical writer, expectation
 * checking and the per-profile runner (design.md section 6).
 *
 * Reader invariants:
 *  - the input is bounded before cJSON sees it: at most
 *    KHP_SCENARIO_MAX_BYTES bytes, no NUL bytes, at most
 *    KHP_SCENARIO_MAX_VALUES JSON values (counted by a linear pre-scan), so
 *    the parse tree is bounded too; cJSON refuses nesting deeper than
 *    CJSON_NESTING_LIMIT with a syntax error;
 *  - every object is walked once against the list of keys its position
 *    allows: an unknown key or a key seen twice (cJSON keeps both) is an
 *    error, so a typo never passes silently;
 *  - numbers must be finite integers inside the field's range; the config
 *    and every op are then checked with khp_config_check / khp_op_check;
 *  - the first error wins and is reported as "FILE: PATH: reason".
 * Writer invariants: canonical key order, defaults omitted, 2-space indent,
 * one op / expectation per line, so write -> read -> write is the identity.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cJSON.h>

#include "khpsim/scenario.h"

#define JSON_INT_MAX 9007199254740992.0 /* 2^53: exact in a double */
/* Format 1 nests 3 levels (top, program, op); anything much deeper is junk. */
#define KHP_SCENARIO_MAX_DEPTH 16u

struct reader {
	const char *file;
	char *err;
	size_t errlen;
	int rc;
};

/*
 * Every expectation field: its JSON key, how it is read and written, and
 * where it lives in struct khp_expect and in struct khp_record (the same
 * names and types), so one table serves reader, writer and check.
 */
enum field_kind { FK_RESULT, FK_ERRNO, FK_VERDICT, FK_BOOL, FK_UINT, FK_LONG };

struct field_desc {
	const char *name;
	enum field_kind kind;
	size_t off;         /* in struct khp_expect */
	size_t rec_off;     /* in struct khp_record */
};

#define FIELD(f, key, kind, member) \
	[f] = { key, kind, offsetof(struct khp_expect, member), offsetof(struct khp_record, member) }
static const struct field_desc fields[KHP_NR_EXPECT_FIELDS] = {
	FIELD(KHP_EF_RESULT, "result", FK_RESULT, result),
	FIELD(KHP_EF_ERRNO, "errno", FK_ERRNO, err),
	FIELD(KHP_EF_COLLAPSED, "collapsed", FK_BOOL, collapsed),
	FIELD(KHP_EF_NONE_OR_ZERO, "none_or_zero", FK_UINT, none_or_zero),
	FIELD(KHP_EF_UNMAPPED, "unmapped", FK_UINT, unmapped),
	FIELD(KHP_EF_REFERENCED, "referenced", FK_UINT, referenced),
	FIELD(KHP_EF_WRITABLE, "writable", FK_BOOL, writable),
	FIELD(KHP_EF_SHARED, "shared", FK_UINT, shared),
	FIELD(KHP_EF_SHARED_EXACT, "shared_exact", FK_UINT, shared_exact),
	FIELD(KHP_EF_SHARED_PROFILE, "shared_profile", FK_UINT, shared_profile),
	FIELD(KHP_EF_VERDICT, "verdict", FK_VERDICT, verdict),
	FIELD(KHP_EF_ALLOC_PAGES, "alloc_pages", FK_LONG, alloc_pages),
	FIELD(KHP_EF_FREED_PAGES, "freed_pages", FK_LONG, freed_pages),
	FIELD(KHP_EF_FILL_PAGES, "fill_pages", FK_LONG, fill_pages),
	FIELD(KHP_EF_DUP_PAGES, "dup_pages", FK_LONG, dup_pages),
	FIELD(KHP_EF_WASTE_PAGES, "waste_pages", FK_LONG, waste_pages),
	FIELD(KHP_EF_FN_WASTE_PAGES, "fn_waste_pages", FK_LONG, fn_waste_pages),
};
#undef FIELD

/* The storage of field f in an expectation (or a record, with rec_off). */
#define FIELD_AT(base, off, type) ((type *)((char *)(base) + (off)))

const char *khp_expect_field_name(enum khp_expect_field f)
{
	return (unsigned)f < KHP_NR_EXPECT_FIELDS ? fields[f].name : "?";
}

/* ---- small helpers ---------------------------------------------------- */

static int rd_fail(struct reader *rd, int rc, const char *path, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	if (rd->rc)
		return rd->rc;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (rd->err && rd->errlen)
		snprintf(rd->err, rd->errlen, "%s: %s: %s", rd->file,
			 path && *path ? path : "(top level)", reason);
	rd->rc = rc;
	return rc;
}

static void sub_path(char *out, size_t n, const char *path, const char *key)
{
	if (path && *path)
		snprintf(out, n, "%s.%s", path, key);
	else
		snprintf(out, n, "%s", key);
}

static const char *json_type_name(const cJSON *v)
{
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "invalid";
}

/*
 * Collect the members of obj into out[] (indexed like keys[]).  Keys not in
 * keys[], or not in the allowed mask, and duplicate keys are errors.
 */
static int get_members(struct reader *rd, const cJSON *obj, const char *path,
		       const char *const *keys, unsigned nkeys, uint32_t allowed,
		       const char *what, const cJSON **out)
{
	const cJSON *it;
	unsigned i;

	if (!cJSON_IsObject(obj))
		return rd_fail(rd, -EINVAL, path, "expected an object, found %s",
			       json_type_name(obj));
	for (i = 0; i < nkeys; i++)
		out[i] = NULL;
	cJSON_ArrayForEach(it, obj) {
		char p[160];

		for (i = 0; i < nkeys; i++)
			if (!strcmp(it->string, keys[i]))
				break;
		sub_path(p, sizeof(p), path, it->string);
		if (i == nkeys || !(allowed & (1u << i)))
			return rd_fail(rd, -EINVAL, p, "unknown key \"%s\"%s%s", it->string,
				       what ? " for " : "", what ? what : "");
		if (out[i])
			return rd_fail(rd, -EINVAL, p, "duplicate key \"%s\"", it->string);
		out[i] = it;
	}
	return 0;
}

static int get_u64(struct reader *rd, const cJSON *v, const char *path, uint64_t max,
		   uint64_t *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return rd_fail(rd, -EINVAL, path, "expected an integer, found %s",
			       json_type_name(v));
	d = v->valuedouble;
	if (!isfinite(d) || fabs(d) > JSON_INT_MAX)
		return rd_fail(rd, -ERANGE, path, "number too large");
	if (d != floor(d))
		return rd_fail(rd, -EINVAL, path, "expected an integer, found %g", d);
	if (d < 0)
		return rd_fail(rd, -ERANGE, path, "negative value %.0f not allowed", d);
	if (d > (double)max)
		return rd_fail(rd, -ERANGE, path, "%.0f out of range (0..%llu)", d,
			       (unsigned long long)max);
	*out = (uint64_t)d;
	return 0;
}

static int get_u32(struct reader *rd, const cJSON *v, const char *path, uint32_t max,
		   uint32_t *out)
{
	uint64_t x = 0;
	int rc = get_u64(rd, v, path, max, &x);

	if (!rc)
		*out = (uint32_t)x;
	return rc;
}

static int get_long(struct reader *rd, const cJSON *v, const char *path, long *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return rd_fail(rd, -EINVAL, path, "expected an integer, found %s",
			       json_type_name(v));
	d = v->valuedouble;
	if (!isfinite(d) || fabs(d) > JSON_INT_MAX)
		return rd_fail(rd, -ERANGE, path, "number too large");
	if (d != floor(d))
		return rd_fail(rd, -EINVAL, path, "expected an integer, found %g", d);
	*out = (long)d;
	return 0;
}

static int get_bool(struct reader *rd, const cJSON *v, const char *path, bool *out)
{
	if (!cJSON_IsBool(v))
		return rd_fail(rd, -EINVAL, path, "expected true or false, found %s",
			       json_type_name(v));
	*out = cJSON_IsTrue(v);
	return 0;
}

static int get_str(struct reader *rd, const cJSON *v, const char *path, const char **out)
{
	if (!cJSON_IsString(v) || !v->valuestring)
		return rd_fail(rd, -EINVAL, path, "expected a string, found %s",
			       json_type_name(v));
	*out = v->valuestring;
	return 0;
}

/* ---- scenario object lifetime ----------------------------------------- */

void khp_scenario_init(struct khp_scenario *sc)
{
	struct khp_config c;

	memset(sc, 0, sizeof(*sc));
	khp_config_default(&c, 512);
	khp_program_init(&sc->program, &c);
}

void khp_scenario_free(struct khp_scenario *sc)
{
	free(sc->name);
	free(sc->description);
	free(sc->source);
	khp_program_free(&sc->program);
	free(sc->expects);
	memset(sc, 0, sizeof(*sc));
}

int khp_scenario_set_str(char **field, const char *s)
{
	char *d = NULL;

	if (s) {
		d = strdup(s);
		if (!d)
			return -ENOMEM;
	}
	free(*field);
	*field = d;
	return 0;
}

int khp_scenario_add_expect(struct khp_scenario *sc, const struct khp_expect *e)
{
	if (sc->nr_expects >= KHP_SCENARIO_MAX_EXPECT)
		return -E2BIG;
	if (sc->nr_expects == sc->cap_expects) {
		size_t cap = sc->cap_expects ? sc->cap_expects * 2 : 16;
		struct khp_expect *n = realloc(sc->expects, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		sc->expects = n;
		sc->cap_expects = cap;
	}
	sc->expects[sc->nr_expects++] = *e;
	return 0;
}

static void default_profiles(struct khp_profile *p, size_t *nr)
{
	unsigned k;

	for (k = 0; k < KHP_NR_KERNELS; k++)
		p[k] = khp_profile_kernel((enum khp_kernel)k);
	*nr = KHP_NR_KERNELS;
}

/* ---- config ------------------------------------------------------------ */

enum { CK_PMD_PAGES, CK_NONE, CK_SWAP, CK_SHARED, CK_THP, CK_ZERO, CK_SWAPDEV,
       CK_SHRINK, CK_MTHP, CK_NR };
static const char *const config_keys[CK_NR] = {
	"pmd_pages", "max_ptes_none", "max_ptes_swap", "max_ptes_shared", "thp",
	"use_zero_page", "swap", "shrink_underused", "mthp_orders",
};

static const char *const thp_names[] = { "never", "madvise", "always" };

static int parse_thp(const char *s, enum khp_thp_mode *m)
{
	unsigned i;

	for (i = 0; i < 3; i++)
		if (!strcmp(s, thp_names[i])) {
			*m = (enum khp_thp_mode)i;
			return 0;
		}
	return -EINVAL;
}

static int read_config(struct reader *rd, const cJSON *obj, struct khp_config *c)
{
	const cJSON *m[CK_NR];
	uint32_t pmd = 512, v;
	const char *s = NULL;
	char msg[160];
	bool b = false;

	if (get_members(rd, obj, "config", config_keys, CK_NR, (1u << CK_NR) - 1, NULL, m))
		return rd->rc;
	if (m[CK_PMD_PAGES]) {
		if (get_u32(rd, m[CK_PMD_PAGES], "config.pmd_pages", KHP_PMD_PAGES_MAX, &pmd))
			return rd->rc;
		if (pmd < KHP_PMD_PAGES_MIN || (pmd & (pmd - 1)))
			return rd_fail(rd, -ERANGE, "config.pmd_pages",
				       "%u is not a power of two in %u..%u", pmd,
				       KHP_PMD_PAGES_MIN, KHP_PMD_PAGES_MAX);
	}
	khp_config_default(c, pmd);
	if (m[CK_NONE] && !get_u32(rd, m[CK_NONE], "config.max_ptes_none", pmd - 1, &v))
		c->max_ptes_none = v;
	if (m[CK_SWAP] && !get_u32(rd, m[CK_SWAP], "config.max_ptes_swap", pmd - 1, &v))
		c->max_ptes_swap = v;
	if (m[CK_SHARED] && !get_u32(rd, m[CK_SHARED], "config.max_ptes_shared", pmd - 1, &v))
		c->max_ptes_shared = v;
	if (rd->rc)
		return rd->rc;
	if (m[CK_THP]) {
		if (get_str(rd, m[CK_THP], "config.thp", &s))
			return rd->rc;
		if (parse_thp(s, &c->thp))
			return rd_fail(rd, -EINVAL, "config.thp",
				       "unknown mode \"%s\" (never, madvise, always)", s);
	}
	if (m[CK_ZERO]) {
		if (get_bool(rd, m[CK_ZERO], "config.use_zero_page", &b))
			return rd->rc;
		c->use_zero_page = b;
	}
	if (m[CK_SWAPDEV]) {
		if (get_bool(rd, m[CK_SWAPDEV], "config.swap", &b))
			return rd->rc;
		c->swap = b;
	}
	if (m[CK_SHRINK]) {
		if (get_bool(rd, m[CK_SHRINK], "config.shrink_underused", &b))
			return rd->rc;
		c->shrink_underused = b;
	}
	if (m[CK_MTHP]) {
		const cJSON *it;
		unsigned i = 0, order = khp_pmd_order(pmd);

		if (!cJSON_IsArray(m[CK_MTHP]))
			return rd_fail(rd, -EINVAL, "config.mthp_orders",
				       "expected an array of orders, found %s",
				       json_type_name(m[CK_MTHP]));
		c->mthp_orders = 0;
		cJSON_ArrayForEach(it, m[CK_MTHP]) {
			char p[64];

			snprintf(p, sizeof(p), "config.mthp_orders[%u]", i++);
			if (get_u32(rd, it, p, 31, &v))
				return rd->rc;
			if (v < 2 || v >= order)
				return rd_fail(rd, -ERANGE, p,
					       "order %u out of range (2..%u for pmd_pages %u)",
					       v, order - 1, pmd);
			if (c->mthp_orders & (1u << v))
				return rd_fail(rd, -EINVAL, p, "order %u listed twice", v);
			c->mthp_orders |= 1u << v;
		}
	}
	msg[0] = 0;
	if (khp_config_check(c, msg, sizeof(msg)))
		return rd_fail(rd, -ERANGE, "config", "%s", msg[0] ? msg : "invalid config");
	return 0;
}

/* ---- ops --------------------------------------------------------------- */

enum { OK_OP, OK_MM, OK_CHILD, OK_ADDR, OK_PAGES, OK_TO, OK_NEW_PAGES, OK_HUGEPAGE,
       OK_NOHUGEPAGE, OK_UFFD, OK_WRITE, OK_ADVICE, OK_COUNT, OK_NR };
static const char *const op_keys[OK_NR] = {
	"op", "mm", "child", "addr", "pages", "to", "new_pages", "hugepage",
	"nohugepage", "uffd", "write", "advice", "count",
};

#define B(k) (1u << (k))
struct op_shape {
	uint32_t allowed;   /* besides "op" */
	uint32_t required;
};

static const struct op_shape op_shapes[KHP_NR_OPS] = {
	[KHP_OP_MMAP] = { B(OK_MM) | B(OK_ADDR) | B(OK_PAGES) | B(OK_HUGEPAGE) |
			  B(OK_NOHUGEPAGE) | B(OK_UFFD) | B(OK_WRITE),
			  B(OK_MM) | B(OK_ADDR) | B(OK_PAGES) },
	[KHP_OP_TOUCH] = { B(OK_MM) | B(OK_ADDR) | B(OK_PAGES) | B(OK_WRITE),
			   B(OK_MM) | B(OK_ADDR) },
	[KHP_OP_FORK] = { B(OK_MM) | B(OK_CHILD), B(OK_MM) | B(OK_CHILD) },
	[KHP_OP_EXIT] = { B(OK_MM), B(OK_MM) },
	[KHP_OP_DONTNEED] = { B(OK_MM) | B(OK_ADDR) | B(OK_PAGES),
			      B(OK_MM) | B(OK_ADDR) | B(OK_PAGES) },
	[KHP_OP_MUNMAP] = { B(OK_MM) | B(OK_ADDR) | B(OK_PAGES),
			    B(OK_MM) | B(OK_ADDR) | B(OK_PAGES) },
	[KHP_OP_MREMAP] = { B(OK_MM) | B(OK_ADDR) | B(OK_PAGES) | B(OK_TO) | B(OK_NEW_PAGES),
			    B(OK_MM) | B(OK_ADDR) | B(OK_PAGES) },
	[KHP_OP_MPROTECT] = { B(OK_MM) | B(OK_ADDR) | B(OK_PAGES) | B(OK_WRITE),
			      B(OK_MM) | B(OK_ADDR) | B(OK_PAGES) | B(OK_WRITE) },
	[KHP_OP_MADVISE] = { B(OK_MM) | B(OK_ADDR) | B(OK_PAGES) | B(OK_ADVICE),
			     B(OK_MM) | B(OK_ADDR) | B(OK_PAGES) | B(OK_ADVICE) },
	[KHP_OP_PIN] = { B(OK_MM) | B(OK_ADDR), B(OK_MM) | B(OK_ADDR) },
	[KHP_OP_UNPIN] = { B(OK_MM) | B(OK_ADDR), B(OK_MM) | B(OK_ADDR) },
	[KHP_OP_AGE] = { B(OK_MM) | B(OK_ADDR) | B(OK_PAGES), B(OK_MM) },
	[KHP_OP_KHUGEPAGED] = { B(OK_MM) | B(OK_ADDR), B(OK_MM) | B(OK_ADDR) },
	[KHP_OP_COLLAPSE] = { B(OK_MM) | B(OK_ADDR) | B(OK_PAGES),
			      B(OK_MM) | B(OK_ADDR) | B(OK_PAGES) },
	[KHP_OP_SPLIT] = { 0, 0 },
	[KHP_OP_FAIL_ALLOC] = { B(OK_COUNT), B(OK_COUNT) },
};

static int read_op(struct reader *rd, const cJSON *obj, const char *path,
		   const struct khp_config *c, struct khp_op *op)
{
	const cJSON *m[OK_NR];
	const struct op_shape *shape;
	enum khp_op_type t;
	char p[160], what[48], msg[160];
	const char *s = NULL;
	uint64_t v;
	unsigned k;
	bool b = false;

	memset(op, 0, sizeof(*op));
	if (get_members(rd, obj, path, op_keys, OK_NR, (1u << OK_NR) - 1, NULL, m))
		return rd->rc;
	sub_path(p, sizeof(p), path, "op");
	if (!m[OK_OP])
		return rd_fail(rd, -EINVAL, p, "missing required key \"op\"");
	if (get_str(rd, m[OK_OP], p, &s))
		return rd->rc;
	if (khp_op_parse(s, &t) || (unsigned)t >= KHP_NR_OPS)
		return rd_fail(rd, -EINVAL, p, "unknown op \"%s\"", s);
	op->type = (uint8_t)t;
	shape = &op_shapes[t];
	snprintf(what, sizeof(what), "op %s", s);
	for (k = 1; k < OK_NR; k++) {
		sub_path(p, sizeof(p), path, op_keys[k]);
		if (m[k] && !(shape->allowed & B(k)))
			return rd_fail(rd, -EINVAL, p, "key \"%s\" not allowed for %s",
				       op_keys[k], what);
		if (!m[k] && (shape->required & B(k)))
			return rd_fail(rd, -EINVAL, path, "missing required key \"%s\" for %s",
				       op_keys[k], what);
	}
	/* defaults */
	if (t == KHP_OP_MMAP || t == KHP_OP_TOUCH)
		op->flags |= KHP_OPF_WRITE;
	if (t == KHP_OP_TOUCH)
		op->pages = 1;
	for (k = 1; k < OK_NR; k++) {
		if (!m[k])
			continue;
		sub_path(p, sizeof(p), path, op_keys[k]);
		switch (k) {
		case OK_MM:
			if (get_u64(rd, m[k], p, KHP_MAX_MMS - 1, &v))
				return rd->rc;
			op->mm = (uint32_t)v;
			break;
		case OK_CHILD:
			if (get_u64(rd, m[k], p, KHP_MAX_MMS - 1, &v))
				return rd->rc;
			op->child = (uint32_t)v;
			break;
		case OK_ADDR:
			if (get_u64(rd, m[k], p, KHP_ADDR_LIMIT - 1, &op->addr))
				return rd->rc;
			break;
		case OK_PAGES:
			if (get_u64(rd, m[k], p, KHP_MAX_OP_PAGES, &op->pages))
				return rd->rc;
			break;
		case OK_TO:
			if (get_u64(rd, m[k], p, KHP_ADDR_LIMIT - 1, &op->to))
				return rd->rc;
			op->flags |= KHP_OPF_TO;
			break;
		case OK_NEW_PAGES:
			if (get_u64(rd, m[k], p, KHP_MAX_OP_PAGES, &op->new_pages))
				return rd->rc;
			op->flags |= KHP_OPF_NEW_PAGES;
			break;
		case OK_HUGEPAGE:
		case OK_NOHUGEPAGE:
		case OK_UFFD:
		case OK_WRITE: {
			static const uint8_t fl[OK_NR] = {
				[OK_HUGEPAGE] = KHP_OPF_HUGEPAGE,
				[OK_NOHUGEPAGE] = KHP_OPF_NOHUGEPAGE,
				[OK_UFFD] = KHP_OPF_UFFD, [OK_WRITE] = KHP_OPF_WRITE,
			};
			if (get_bool(rd, m[k], p, &b))
				return rd->rc;
			if (b)
				op->flags |= fl[k];
			else
				op->flags &= (uint8_t)~fl[k];
			break;
		}
		case OK_ADVICE: {
			enum khp_advice a;

			if (get_str(rd, m[k], p, &s))
				return rd->rc;
			if (khp_advice_parse(s, &a) || (unsigned)a >= KHP_NR_ADVICE)
				return rd_fail(rd, -EINVAL, p,
					       "unknown advice \"%s\" (hugepage, nohugepage, pageout, cold, free)",
					       s);
			op->advice = (uint8_t)a;
			break;
		}
		case OK_COUNT:
			if (get_u64(rd, m[k], p, UINT32_MAX, &v))
				return rd->rc;
			op->count = (uint32_t)v;
			break;
		}
	}
	if (t == KHP_OP_AGE) {
		if (!!m[OK_ADDR] != !!m[OK_PAGES])
			return rd_fail(rd, -EINVAL, path,
				       "age takes both \"addr\" and \"pages\" or neither");
		if (m[OK_ADDR])
			op->flags |= KHP_OPF_RANGE;
	}
	msg[0] = 0;
	if (khp_op_check(op, c, msg, sizeof(msg)))
		return rd_fail(rd, -ERANGE, path, "%s", msg[0] ? msg : "invalid op");
	return 0;
}

static int read_program(struct reader *rd, const cJSON *arr, struct khp_program *prog)
{
	const cJSON *it;
	size_t i = 0;
	int n;

	if (!cJSON_IsArray(arr))
		return rd_fail(rd, -EINVAL, "program", "expected an array of ops, found %s",
			       json_type_name(arr));
	n = cJSON_GetArraySize(arr);
	if (n < 0 || (size_t)n > KHP_MAX_OPS)
		return rd_fail(rd, -E2BIG, "program", "%d ops, more than the limit of %u",
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
			return rd_fail(rd, rc, p, "cannot add op: %s", strerror(-rc));
	}
	return 0;
}

/* ---- profiles and expectations ----------------------------------------- */

static int read_profiles(struct reader *rd, const cJSON *arr, struct khp_scenario *sc)
{
	const cJSON *it;
	size_t i = 0, j;

	if (!cJSON_IsArray(arr))
		return rd_fail(rd, -EINVAL, "profiles", "expected an array of profile names, found %s",
			       json_type_name(arr));
	sc->nr_profiles = 0;
	cJSON_ArrayForEach(it, arr) {
		struct khp_profile pr;
		const char *s = NULL;
		char p[48];

		snprintf(p, sizeof(p), "profiles[%zu]", i++);
		if (get_str(rd, it, p, &s))
			return rd->rc;
		if (khp_profile_parse(s, &pr))
			return rd_fail(rd, -EINVAL, p,
				       "unknown profile \"%s\" (linux-6.1, linux-6.12, linux-7.3, optionally +exact)",
				       s);
		for (j = 0; j < sc->nr_profiles; j++)
			if (khp_profile_same(&sc->profiles[j], &pr))
				return rd_fail(rd, -EINVAL, p, "profile \"%s\" listed twice", s);
		if (sc->nr_profiles == KHP_SCENARIO_MAX_PROFILES)
			return rd_fail(rd, -E2BIG, p, "more than %u profiles",
				       KHP_SCENARIO_MAX_PROFILES);
		sc->profiles[sc->nr_profiles++] = pr;
	}
	if (!sc->nr_profiles)
		return rd_fail(rd, -EINVAL, "profiles", "empty (omit the key to run all three kernels)");
	return 0;
}

/* Expectation keys: "step", "profile", then the field names in enum order. */
#define EK_STEP    KHP_NR_EXPECT_FIELDS
#define EK_PROFILE (KHP_NR_EXPECT_FIELDS + 1)
#define EK_NR      (KHP_NR_EXPECT_FIELDS + 2)

static int read_expect_field(struct reader *rd, const cJSON *v, const char *p,
			     enum khp_expect_field f, struct khp_expect *e)
{
	const char *s = NULL;
	uint32_t u = 0;
	long l = 0;
	bool b = false;

	switch (fields[f].kind) {
	case FK_RESULT: {
		enum scan_result r;

		if (get_str(rd, v, p, &s))
			return rd->rc;
		if (khp_result_parse(s, &r) || (unsigned)r >= KHP_NR_RESULTS)
			return rd_fail(rd, -EINVAL, p, "unknown result \"%s\"", s);
		if (!khp_result_exists(e->profile.kernel, r))
			return rd_fail(rd, -EINVAL, p, "%s does not exist in %s", s,
				       khp_kernel_name(e->profile.kernel));
		e->result = r;
		break;
	}
	case FK_ERRNO:
		if (cJSON_IsNumber(v)) {
			if (v->valuedouble != 0)
				return rd_fail(rd, -EINVAL, p,
					       "errno is a name such as \"EINVAL\", or 0");
			e->err = 0;
		} else {
			int x;

			if (get_str(rd, v, p, &s))
				return rd->rc;
			if (khp_errno_parse(s, &x) || x < 0)
				return rd_fail(rd, -EINVAL, p, "unknown errno name \"%s\"", s);
			e->err = x;
		}
		break;
	case FK_BOOL:
		if (get_bool(rd, v, p, &b))
			return rd->rc;
		*FIELD_AT(e, fields[f].off, bool) = b;
		break;
	case FK_UINT:
		if (get_u32(rd, v, p, UINT32_MAX, &u))
			return rd->rc;
		*FIELD_AT(e, fields[f].off, unsigned) = u;
		break;
	case FK_VERDICT: {
		enum khp_verdict vd;

		if (get_str(rd, v, p, &s))
			return rd->rc;
		if (khp_verdict_parse(s, &vd) || (unsigned)vd >= KHP_NR_VERDICTS)
			return rd_fail(rd, -EINVAL, p,
				       "unknown verdict \"%s\" (none, agree, false_negative, false_positive)",
				       s);
		e->verdict = vd;
		break;
	}
	case FK_LONG:
		if (get_long(rd, v, p, &l))
			return rd->rc;
		*FIELD_AT(e, fields[f].off, long) = l;
		break;
	}
	return 0;
}

static int read_expect(struct reader *rd, const cJSON *obj, const char *path,
		       struct khp_scenario *sc, struct khp_expect *e)
{
	const char *keys[EK_NR];
	const cJSON *m[EK_NR];
	const char *s = NULL;
	char p[160];
	unsigned k;
	size_t j;
	uint64_t step;

	for (k = 0; k < KHP_NR_EXPECT_FIELDS; k++)
		keys[k] = fields[k].name;
	keys[EK_STEP] = "step";
	keys[EK_PROFILE] = "profile";
	memset(e, 0, sizeof(*e));
	if (get_members(rd, obj, path, keys, EK_NR, (1u << EK_NR) - 1, NULL, m))
		return rd->rc;
	if (!m[EK_STEP])
		return rd_fail(rd, -EINVAL, path, "missing required key \"step\"");
	if (!m[EK_PROFILE])
		return rd_fail(rd, -EINVAL, path, "missing required key \"profile\"");
	sub_path(p, sizeof(p), path, "step");
	if (get_u64(rd, m[EK_STEP], p, UINT32_MAX, &step))
		return rd->rc;
	if (step >= sc->program.nr_ops)
		return rd_fail(rd, -ERANGE, p, "step %llu is past the end of the program (%zu ops)",
			       (unsigned long long)step, sc->program.nr_ops);
	if (sc->program.ops[step].type != KHP_OP_KHUGEPAGED &&
	    sc->program.ops[step].type != KHP_OP_COLLAPSE)
		return rd_fail(rd, -EINVAL, p,
			       "step %llu is a %s op; only khugepaged and collapse steps have records",
			       (unsigned long long)step,
			       khp_op_name((enum khp_op_type)sc->program.ops[step].type));
	e->step = (uint32_t)step;
	sub_path(p, sizeof(p), path, "profile");
	if (get_str(rd, m[EK_PROFILE], p, &s))
		return rd->rc;
	if (khp_profile_parse(s, &e->profile))
		return rd_fail(rd, -EINVAL, p, "unknown profile \"%s\"", s);
	for (j = 0; j < sc->nr_profiles; j++)
		if (khp_profile_same(&sc->profiles[j], &e->profile))
			break;
	if (j == sc->nr_profiles)
		return rd_fail(rd, -EINVAL, p, "profile \"%s\" is not in \"profiles\"", s);
	for (k = 0; k < KHP_NR_EXPECT_FIELDS; k++) {
		if (!m[k])
			continue;
		sub_path(p, sizeof(p), path, fields[k].name);
		if (read_expect_field(rd, m[k], p, (enum khp_expect_field)k, e))
			return rd->rc;
		e->fields |= KHP_EF(k);
	}
	if (!e->fields)
		return rd_fail(rd, -EINVAL, path, "expectation names no field to check");
	return 0;
}

static int read_expects(struct reader *rd, const cJSON *arr, struct khp_scenario *sc)
{
	const cJSON *it;
	size_t i = 0;

	if (!cJSON_IsArray(arr))
		return rd_fail(rd, -EINVAL, "expect", "expected an array of expectations, found %s",
			       json_type_name(arr));
	cJSON_ArrayForEach(it, arr) {
		struct khp_expect e;
		char p[48];
		int rc;

		snprintf(p, sizeof(p), "expect[%zu]", i++);
		if (read_expect(rd, it, p, sc, &e))
			return rd->rc;
		rc = khp_scenario_add_expect(sc, &e);
		if (rc)
			return rd_fail(rd, rc, p, "cannot add expectation: %s", strerror(-rc));
	}
	return 0;
}

/* ---- top level ---------------------------------------------------------- */

enum { TK_FORMAT, TK_NAME, TK_DESC, TK_SOURCE, TK_CONFIG, TK_PROFILES, TK_PROGRAM,
       TK_EXPECT, TK_NR };
static const char *const top_keys[TK_NR] = {
	"khpsim", "name", "description", "source", "config", "profiles", "program", "expect",
};

static int read_top(struct reader *rd, const cJSON *root, struct khp_scenario *sc)
{
	const cJSON *m[TK_NR];
	struct khp_config c;
	uint64_t fmt;
	const char *s = NULL;
	int rc;

	/* scenarios/schema.json sits beside the scenarios: say what it is */
	if (cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "$schema") &&
	    !cJSON_GetObjectItemCaseSensitive(root, "khpsim"))
		return rd_fail(rd, KHP_SCENARIO_NOT_SCENARIO, "",
			       "a JSON Schema document, not a scenario (skipped)");
	if (get_members(rd, root, "", top_keys, TK_NR, (1u << TK_NR) - 1, NULL, m))
		return rd->rc;
	if (!m[TK_FORMAT])
		return rd_fail(rd, -EINVAL, "", "missing required key \"khpsim\" (format version)");
	if (get_u64(rd, m[TK_FORMAT], "khpsim", UINT32_MAX, &fmt))
		return rd->rc;
	if (fmt != KHP_SCENARIO_FORMAT)
		return rd_fail(rd, -EINVAL, "khpsim", "unsupported format %llu (this is format %d)",
			       (unsigned long long)fmt, KHP_SCENARIO_FORMAT);
	if (!m[TK_PROGRAM])
		return rd_fail(rd, -EINVAL, "", "missing required key \"program\"");
	if (m[TK_NAME]) {
		if (get_str(rd, m[TK_NAME], "name", &s))
			return rd->rc;
		if (khp_scenario_set_str(&sc->name, s))
			return rd_fail(rd, -ENOMEM, "name", "out of memory");
	}
	if (m[TK_DESC]) {
		if (get_str(rd, m[TK_DESC], "description", &s))
			return rd->rc;
		if (khp_scenario_set_str(&sc->description, s))
			return rd_fail(rd, -ENOMEM, "description", "out of memory");
	}
	if (m[TK_SOURCE]) {
		if (get_str(rd, m[TK_SOURCE], "source", &s))
			return rd->rc;
		if (khp_scenario_set_str(&sc->source, s))
			return rd_fail(rd, -ENOMEM, "source", "out of memory");
	}
	if (m[TK_CONFIG]) {
		if (read_config(rd, m[TK_CONFIG], &c))
			return rd->rc;
	} else {
		khp_config_default(&c, 512);
	}
	khp_program_free(&sc->program);
	khp_program_init(&sc->program, &c);
	if (m[TK_PROFILES]) {
		if (read_profiles(rd, m[TK_PROFILES], sc))
			return rd->rc;
	} else {
		default_profiles(sc->profiles, &sc->nr_profiles);
	}
	rc = read_program(rd, m[TK_PROGRAM], &sc->program);
	if (rc)
		return rc;
	if (m[TK_EXPECT] && read_expects(rd, m[TK_EXPECT], sc))
		return rd->rc;
	return 0;
}

/*
 * Count JSON values (an upper bound: commas + opening brackets + 1) and the
 * deepest nesting outside strings, without building anything.
 */
static size_t count_values(const char *buf, size_t len, unsigned *max_depth)
{
	size_t i, n = 1;
	unsigned depth = 0;
	bool in_str = false;

	*max_depth = 0;
	for (i = 0; i < len; i++) {
		char ch = buf[i];

		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
			continue;
		}
		if (ch == '"') {
			in_str = true;
		} else if (ch == '[' || ch == '{') {
			n++;
			if (++depth > *max_depth)
				*max_depth = depth;
		} else if (ch == ']' || ch == '}') {
			if (depth)
				depth--;
		} else if (ch == ',') {
			n++;
		}
	}
	return n;
}

static void line_col(const char *buf, size_t off, unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

int khp_scenario_load_buf(const char *buf, size_t len, const char *name,
			  struct khp_scenario *sc, char *err, size_t errlen)
{
	struct reader rd = { .file = name ? name : "<buffer>", .err = err, .errlen = errlen };
	const char *end = NULL, *nul;
	cJSON *root;
	char *copy;
	unsigned depth;
	size_t nv;

	khp_scenario_free(sc);
	khp_scenario_init(sc);
	if (err && errlen)
		err[0] = 0;
	if (len > KHP_SCENARIO_MAX_BYTES)
		return rd_fail(&rd, -E2BIG, "", "%zu bytes, larger than the limit of %u bytes",
			       len, KHP_SCENARIO_MAX_BYTES);
	if (!len)
		return rd_fail(&rd, -EINVAL, "", "empty input");
	nul = memchr(buf, 0, len);
	if (nul)
		return rd_fail(&rd, -EINVAL, "", "NUL byte at offset %zu", (size_t)(nul - buf));
	nv = count_values(buf, len, &depth);
	if (depth > KHP_SCENARIO_MAX_DEPTH)
		return rd_fail(&rd, -EINVAL, "", "JSON nested %u levels deep, more than the limit of %u",
			       depth, KHP_SCENARIO_MAX_DEPTH);
	if (nv > KHP_SCENARIO_MAX_VALUES)
		return rd_fail(&rd, -E2BIG, "", "about %zu JSON values, more than the limit of %u",
			       nv, KHP_SCENARIO_MAX_VALUES);
	copy = malloc(len + 1);
	if (!copy)
		return rd_fail(&rd, -ENOMEM, "", "out of memory");
	memcpy(copy, buf, len);
	copy[len] = 0;
	root = cJSON_ParseWithLengthOpts(copy, len + 1, &end, 1);
	if (!root) {
		unsigned line, col;
		size_t off = end && end >= copy ? (size_t)(end - copy) : 0;

		if (off > len)
			off = len;
		line_col(copy, off, &line, &col);
		free(copy);
		if (off >= len)
			return rd_fail(&rd, -EINVAL, "", "JSON syntax error: unexpected end of input (line %u, column %u)",
				       line, col);
		return rd_fail(&rd, -EINVAL, "",
			       "JSON syntax error at line %u, column %u",
			       line, col);
	}
	free(copy);
	if (!cJSON_IsObject(root)) {
		rd_fail(&rd, -EINVAL, "", "expected a JSON object, found %s", json_type_name(root));
	} else {
		read_top(&rd, root, sc);
	}
	cJSON_Delete(root);
	if (rd.rc) {
		khp_scenario_free(sc);
		khp_scenario_init(sc);
	}
	return rd.rc;
}

int khp_scenario_load_file(const char *path, struct khp_scenario *sc, char *err, size_t errlen)
{
	struct reader rd = { .file = path, .err = err, .errlen = errlen };
	bool is_stdin = !strcmp(path, "-");
	FILE *f;
	struct stat st;
	char *buf;
	size_t len = 0, cap = 1 << 16;
	int rc;

	khp_scenario_free(sc);
	khp_scenario_init(sc);
	f = is_stdin ? stdin : fopen(path, "rb");
	if (!f)
		return rd_fail(&rd, errno == ENOENT ? -ENOENT : -EIO, "", "cannot open: %s",
			       strerror(errno));
	if (fstat(fileno(f), &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			if (!is_stdin)
				fclose(f);
			return rd_fail(&rd, -EINVAL, "", "is a directory");
		}
		if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > KHP_SCENARIO_MAX_BYTES) {
			if (!is_stdin)
				fclose(f);
			return rd_fail(&rd, -E2BIG, "",
				       "file of %lld bytes is larger than the limit of %u bytes",
				       (long long)st.st_size, KHP_SCENARIO_MAX_BYTES);
		}
	}
	buf = malloc(cap);
	if (!buf) {
		if (!is_stdin)
			fclose(f);
		return rd_fail(&rd, -ENOMEM, "", "out of memory");
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			char *nb;

			if (cap > KHP_SCENARIO_MAX_BYTES) {
				free(buf);
				if (!is_stdin)
					fclose(f);
				return rd_fail(&rd, -E2BIG, "", "input larger than the limit of %u bytes",
					       KHP_SCENARIO_MAX_BYTES);
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				if (!is_stdin)
					fclose(f);
				return rd_fail(&rd, -ENOMEM, "", "out of memory");
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		if (!is_stdin)
			fclose(f);
		return rd_fail(&rd, -EIO, "", "read error");
	}
	if (!is_stdin)
		fclose(f);
	rc = khp_scenario_load_buf(buf, len, path, sc, err, errlen);
	free(buf);
	return rc;
}

/* ---- writer -------------------------------------------------------------- */

static void put_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Emits ", " between members of one line. */
struct line {
	FILE *f;
	bool first;
};

static void key(struct line *l, const char *k)
{
	if (!l->first)
		fputs(", ", l->f);
	l->first = false;
	put_str(l->f, k);
	fputs(": ", l->f);
}

static void kv_u64(struct line *l, const char *k, unsigned long long v)
{
	key(l, k);
	fprintf(l->f, "%llu", v);
}

static void kv_long(struct line *l, const char *k, long v)
{
	key(l, k);
	fprintf(l->f, "%ld", v);
}

static void kv_bool(struct line *l, const char *k, bool v)
{
	key(l, k);
	fputs(v ? "true" : "false", l->f);
}

static void kv_str(struct line *l, const char *k, const char *v)
{
	key(l, k);
	put_str(l->f, v);
}

static bool config_is_default(const struct khp_config *c)
{
	struct khp_config d;

	khp_config_default(&d, 512);
	return d.pmd_pages == c->pmd_pages && d.max_ptes_none == c->max_ptes_none &&
	       d.max_ptes_swap == c->max_ptes_swap && d.max_ptes_shared == c->max_ptes_shared &&
	       d.thp == c->thp && d.use_zero_page == c->use_zero_page && d.swap == c->swap &&
	       d.shrink_underused == c->shrink_underused && d.mthp_orders == c->mthp_orders;
}

static void write_config(FILE *f, const struct khp_config *c)
{
	struct khp_config d;
	struct line l = { f, true };
	unsigned o;

	khp_config_default(&d, c->pmd_pages);
	fputs("  \"config\": {", f);
	if (c->pmd_pages != 512)
		kv_u64(&l, "pmd_pages", c->pmd_pages);
	if (c->max_ptes_none != d.max_ptes_none)
		kv_u64(&l, "max_ptes_none", c->max_ptes_none);
	if (c->max_ptes_swap != d.max_ptes_swap)
		kv_u64(&l, "max_ptes_swap", c->max_ptes_swap);
	if (c->max_ptes_shared != d.max_ptes_shared)
		kv_u64(&l, "max_ptes_shared", c->max_ptes_shared);
	if (c->thp != d.thp)
		kv_str(&l, "thp", (unsigned)c->thp < 3 ? thp_names[c->thp] : "madvise");
	if (c->use_zero_page != d.use_zero_page)
		kv_bool(&l, "use_zero_page", c->use_zero_page);
	if (c->swap != d.swap)
		kv_bool(&l, "swap", c->swap);
	if (c->shrink_underused != d.shrink_underused)
		kv_bool(&l, "shrink_underused", c->shrink_underused);
	if (c->mthp_orders != d.mthp_orders) {
		bool first = true;

		key(&l, "mthp_orders");
		fputc('[', f);
		for (o = 0; o < 32; o++)
			if (c->mthp_orders & (1u << o)) {
				fprintf(f, first ? "%u" : ", %u", o);
				first = false;
			}
		fputc(']', f);
	}
	fputs("},\n", f);
}

static void write_op(FILE *f, const struct khp_op *op)
{
	struct line l = { f, true };
	enum khp_op_type t = (enum khp_op_type)op->type;
	const struct op_shape *sh = &op_shapes[t < KHP_NR_OPS ? t : KHP_OP_SPLIT];
	bool def_write = (t == KHP_OP_MMAP || t == KHP_OP_TOUCH);

	fputc('{', f);
	kv_str(&l, "op", khp_op_name(t));
	if (sh->allowed & B(OK_MM))
		kv_u64(&l, "mm", op->mm);
	if (sh->allowed & B(OK_CHILD))
		kv_u64(&l, "child", op->child);
	if (t != KHP_OP_AGE || (op->flags & KHP_OPF_RANGE)) {
		if (sh->allowed & B(OK_ADDR))
			kv_u64(&l, "addr", op->addr);
		if ((sh->allowed & B(OK_PAGES)) && !(t == KHP_OP_TOUCH && op->pages == 1))
			kv_u64(&l, "pages", op->pages);
	}
	if ((sh->allowed & B(OK_TO)) && (op->flags & KHP_OPF_TO))
		kv_u64(&l, "to", op->to);
	if ((sh->allowed & B(OK_NEW_PAGES)) && (op->flags & KHP_OPF_NEW_PAGES))
		kv_u64(&l, "new_pages", op->new_pages);
	if ((sh->allowed & B(OK_HUGEPAGE)) && (op->flags & KHP_OPF_HUGEPAGE))
		kv_bool(&l, "hugepage", true);
	if ((sh->allowed & B(OK_NOHUGEPAGE)) && (op->flags & KHP_OPF_NOHUGEPAGE))
		kv_bool(&l, "nohugepage", true);
	if ((sh->allowed & B(OK_UFFD)) && (op->flags & KHP_OPF_UFFD))
		kv_bool(&l, "uffd", true);
	if (sh->allowed & B(OK_WRITE)) {
		bool w = op->flags & KHP_OPF_WRITE;

		if (!def_write || !w)
			kv_bool(&l, "write", w);
	}
	if (sh->allowed & B(OK_ADVICE))
		kv_str(&l, "advice", khp_advice_name((enum khp_advice)op->advice));
	if (sh->allowed & B(OK_COUNT))
		kv_u64(&l, "count", op->count);
	fputc('}', f);
}

static void write_expect(FILE *f, const struct khp_expect *e)
{
	struct line l = { f, true };
	unsigned k;

	fputc('{', f);
	kv_u64(&l, "step", e->step);
	kv_str(&l, "profile", khp_profile_name(&e->profile));
	for (k = 0; k < KHP_NR_EXPECT_FIELDS; k++) {
		const char *n = fields[k].name;

		if (!(e->fields & KHP_EF(k)))
			continue;
		switch (fields[k].kind) {
		case FK_RESULT:
			kv_str(&l, n, khp_result_name(e->result));
			break;
		case FK_ERRNO:
			if (e->err)
				kv_str(&l, n, khp_errno_name(e->err));
			else
				kv_u64(&l, n, 0);
			break;
		case FK_VERDICT:
			kv_str(&l, n, khp_verdict_name(e->verdict));
			break;
		case FK_BOOL:
			kv_bool(&l, n, *FIELD_AT(e, fields[k].off, const bool));
			break;
		case FK_UINT:
			kv_u64(&l, n, *FIELD_AT(e, fields[k].off, const unsigned));
			break;
		case FK_LONG:
			kv_long(&l, n, *FIELD_AT(e, fields[k].off, const long));
			break;
		}
	}
	fputc('}', f);
}

static bool profiles_are_default(const struct khp_scenario *sc)
{
	size_t i;

	if (sc->nr_profiles != KHP_NR_KERNELS)
		return sc->nr_profiles == 0;
	for (i = 0; i < KHP_NR_KERNELS; i++)
		if (strcmp(sc->profiles[i].name, khp_kernel_name((enum khp_kernel)i)))
			return false;
	return true;
}

int khp_scenario_write(FILE *f, const struct khp_scenario *sc)
{
	size_t i;

	fprintf(f, "{\n  \"khpsim\": %d,\n", KHP_SCENARIO_FORMAT);
	if (sc->name) {
		fputs("  \"name\": ", f);
		put_str(f, sc->name);
		fputs(",\n", f);
	}
	if (sc->description) {
		fputs("  \"description\": ", f);
		put_str(f, sc->description);
		fputs(",\n", f);
	}
	if (sc->source) {
		fputs("  \"source\": ", f);
		put_str(f, sc->source);
		fputs(",\n", f);
	}
	if (!config_is_default(&sc->program.config))
		write_config(f, &sc->program.config);
	if (!profiles_are_default(sc)) {
		fputs("  \"profiles\": [", f);
		for (i = 0; i < sc->nr_profiles; i++) {
			if (i)
				fputs(", ", f);
			put_str(f, khp_profile_name(&sc->profiles[i]));
		}
		fputs("],\n", f);
	}
	fputs("  \"program\": [", f);
	for (i = 0; i < sc->program.nr_ops; i++) {
		fputs(i ? ",\n    " : "\n    ", f);
		write_op(f, &sc->program.ops[i]);
	}
	fputs(sc->program.nr_ops ? "\n  ]" : "]", f);
	if (sc->nr_expects) {
		fputs(",\n  \"expect\": [", f);
		for (i = 0; i < sc->nr_expects; i++) {
			fputs(i ? ",\n    " : "\n    ", f);
			write_expect(f, &sc->expects[i]);
		}
		fputs("\n  ]", f);
	}
	fputs("\n}\n", f);
	return ferror(f) ? -EIO : 0;
}

int khp_scenario_write_file(const char *path, const struct khp_scenario *sc)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -EIO;
	rc = khp_scenario_write(f, sc);
	if (fclose(f) && !rc)
		rc = -EIO;
	return rc;
}

/* ---- expectations against runs ------------------------------------------ */

static bool same_profile(struct khp_profile a, struct khp_profile b)
{
	return khp_profile_same(&a, &b);
}

static void expect_from_record(struct khp_expect *e, const struct khp_record *r)
{
	for (unsigned k = 0; k < KHP_NR_EXPECT_FIELDS; k++) {
		const struct field_desc *d = &fields[k];

		switch (d->kind) {
		case FK_RESULT:
			e->result = r->result;
			break;
		case FK_ERRNO:
			e->err = r->err;
			break;
		case FK_VERDICT:
			e->verdict = r->verdict;
			break;
		case FK_BOOL:
			*FIELD_AT(e, d->off, bool) = *FIELD_AT(r, d->rec_off, const bool);
			break;
		case FK_UINT:
			*FIELD_AT(e, d->off, unsigned) = *FIELD_AT(r, d->rec_off, const unsigned);
			break;
		case FK_LONG:
			*FIELD_AT(e, d->off, long) = *FIELD_AT(r, d->rec_off, const long);
			break;
		}
	}
}

/* Format field f of e into buf (as the JSON would show it). */
static void field_str(const struct khp_expect *e, unsigned f, char *buf, size_t n)
{
	switch (fields[f].kind) {
	case FK_RESULT:
		snprintf(buf, n, "%s", khp_result_name(e->result));
		break;
	case FK_ERRNO:
		snprintf(buf, n, "%s", khp_errno_name(e->err));
		break;
	case FK_VERDICT:
		snprintf(buf, n, "%s", khp_verdict_name(e->verdict));
		break;
	case FK_BOOL:
		snprintf(buf, n, "%s", *FIELD_AT(e, fields[f].off, const bool) ? "true" : "false");
		break;
	case FK_UINT:
		snprintf(buf, n, "%u", *FIELD_AT(e, fields[f].off, const unsigned));
		break;
	case FK_LONG:
		snprintf(buf, n, "%ld", *FIELD_AT(e, fields[f].off, const long));
		break;
	}
}

size_t khp_scenario_check(const struct khp_scenario *sc, const struct khp_run *runs,
			  size_t nr_runs, FILE *report)
{
	size_t i, j, bad = 0;

	for (i = 0; i < sc->nr_expects; i++) {
		const struct khp_expect *e = &sc->expects[i];
		const struct khp_run *run = NULL;
		const struct khp_record *r;
		struct khp_expect act;
		unsigned k;

		for (j = 0; j < nr_runs; j++)
			if (same_profile(runs[j].profile, e->profile)) {
				run = &runs[j];
				break;
			}
		if (!run) {
			bad++;
			if (report)
				fprintf(report, "  step %u profile %s: not run\n", e->step,
					khp_profile_name(&e->profile));
			continue;
		}
		r = khp_run_record(run, e->step);
		if (!r) {
			bad++;
			if (report) {
				if (run->err)
					fprintf(report,
						"  step %u profile %s: no record (program stopped at step %zu: %s)\n",
						e->step, khp_profile_name(&e->profile), run->err_step,
						run->errmsg);
				else
					fprintf(report, "  step %u profile %s: no record\n", e->step,
						khp_profile_name(&e->profile));
			}
			continue;
		}
		memset(&act, 0, sizeof(act));
		expect_from_record(&act, r);
		for (k = 0; k < KHP_NR_EXPECT_FIELDS; k++) {
			char want[64], got[64];

			if (!(e->fields & KHP_EF(k)))
				continue;
			field_str(e, k, want, sizeof(want));
			field_str(&act, k, got, sizeof(got));
			if (!strcmp(want, got))
				continue;
			bad++;
			if (report)
				fprintf(report, "  step %u profile %s: %s expected %s, got %s\n",
					e->step, khp_profile_name(&e->profile), fields[k].name,
					want, got);
		}
	}
	return bad;
}

int khp_scenario_expect_from_runs(struct khp_scenario *sc, const struct khp_run *runs,
				  size_t nr_runs, uint32_t mask)
{
	size_t i, j;

	/* every run's profile must be listed, or the file would not read back */
	for (i = 0; i < nr_runs; i++) {
		for (j = 0; j < sc->nr_profiles; j++)
			if (same_profile(sc->profiles[j], runs[i].profile))
				break;
		if (j == sc->nr_profiles) {
			if (sc->nr_profiles == KHP_SCENARIO_MAX_PROFILES)
				return -E2BIG;
			sc->profiles[sc->nr_profiles++] = runs[i].profile;
		}
	}
	sc->nr_expects = 0;
	for (i = 0; i < nr_runs; i++) {
		for (j = 0; j < runs[i].nr_recs; j++) {
			const struct khp_record *r = &runs[i].recs[j];
			struct khp_expect e;
			int rc;

			memset(&e, 0, sizeof(e));
			e.step = r->step;
			e.profile = runs[i].profile;
			e.fields = mask & KHP_EF_ALL;
			if (r->op != KHP_OP_COLLAPSE)
				e.fields &= ~KHP_EF(KHP_EF_ERRNO);
			if (!e.fields)
				continue;
			expect_from_record(&e, r);
			rc = khp_scenario_add_expect(sc, &e);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int khp_scenario_run_all(const struct khp_scenario *sc, const struct khp_run_opts *opts,
			 struct khp_run *runs_out)
{
	struct khp_profile defp[KHP_NR_KERNELS];
	const struct khp_profile *prof = sc->profiles;
	size_t nr = sc->nr_profiles, i;

	if (!nr) {
		default_profiles(defp, &nr);
		prof = defp;
	}
	for (i = 0; i < nr; i++) {
		memset(&runs_out[i], 0, sizeof(runs_out[i]));
		khp_run_program(&sc->program, prof[i], opts, &runs_out[i]);
		runs_out[i].profile = prof[i];
	}
	return (int)nr;
}
