/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The knob table (khpsim/knobs.h): names, kinds, range rules, parsers and
 * printers of the struct khp_config fields, and settings that apply in any
 * order.  khp_config_check() is the table's range rules over a whole config.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khpsim/knobs.h"
#include "khpsim/parse.h"
#include "run/run.h"

#define K(id, nm, opt, env, kind, what, fs) [id] = { nm, opt, env, kind, what, fs }
static const struct khp_knob_desc knobs[KHP_NR_KNOBS] = {
	K(KHP_KNOB_PMD_PAGES, "pmd_pages", "pmd-pages", "KHP_PMD_PAGES", KHP_KNOB_KIND_PMD,
	  "pages per PMD (HPAGE_PMD_NR); the PTE limits' defaults scale with it",
	  "HPAGE_PMD_NR (pmd_pages)"),
	K(KHP_KNOB_MAX_PTES_NONE, "max_ptes_none", "max-ptes-none", "KHP_MAX_PTES_NONE",
	  KHP_KNOB_KIND_PTES, "khugepaged/max_ptes_none (default pmd_pages - 1)",
	  "khugepaged/max_ptes_none"),
	K(KHP_KNOB_MAX_PTES_SWAP, "max_ptes_swap", "max-ptes-swap", "KHP_MAX_PTES_SWAP",
	  KHP_KNOB_KIND_PTES, "khugepaged/max_ptes_swap (default pmd_pages / 8)",
	  "khugepaged/max_ptes_swap"),
	K(KHP_KNOB_MAX_PTES_SHARED, "max_ptes_shared", "max-ptes-shared", "KHP_MAX_PTES_SHARED",
	  KHP_KNOB_KIND_PTES, "khugepaged/max_ptes_shared (default pmd_pages / 2)",
	  "khugepaged/max_ptes_shared"),
	K(KHP_KNOB_THP, "thp", "thp", "KHP_THP", KHP_KNOB_KIND_MODE,
	  "transparent_hugepage/enabled (default madvise, as the kernel selftests use)",
	  "transparent_hugepage/enabled"),
	K(KHP_KNOB_USE_ZERO_PAGE, "use_zero_page", "use-zero-page", "KHP_USE_ZERO_PAGE",
	  KHP_KNOB_KIND_BOOL, "transparent_hugepage/use_zero_page (default 1)",
	  "transparent_hugepage/use_zero_page"),
	K(KHP_KNOB_SWAP, "swap", "swap", "KHP_SWAP", KHP_KNOB_KIND_BOOL,
	  "a swap device exists, so MADV_PAGEOUT can swap (default 1)",
	  "a swap device (swap)"),
	K(KHP_KNOB_SHRINK_UNDERUSED, "shrink_underused", "shrink-underused",
	  "KHP_SHRINK_UNDERUSED", KHP_KNOB_KIND_BOOL,
	  "transparent_hugepage/shrink_underused, 6.12+ (default 1)",
	  "transparent_hugepage/shrink_underused"),
	K(KHP_KNOB_MTHP_ORDERS, "mthp_orders", "mthp-orders", "KHP_MTHP_ORDERS",
	  KHP_KNOB_KIND_ORDERS, "orders whose hugepages-<size>kB/enabled is always (default none)",
	  "hugepages-<size>kB/enabled (mthp_orders)"),
};
#undef K

/* Where each knob lives in struct khp_config (all unsigned-sized but thp and the bools). */
static const size_t knob_off[KHP_NR_KNOBS] = {
	[KHP_KNOB_PMD_PAGES] = offsetof(struct khp_config, pmd_pages),
	[KHP_KNOB_MAX_PTES_NONE] = offsetof(struct khp_config, max_ptes_none),
	[KHP_KNOB_MAX_PTES_SWAP] = offsetof(struct khp_config, max_ptes_swap),
	[KHP_KNOB_MAX_PTES_SHARED] = offsetof(struct khp_config, max_ptes_shared),
	[KHP_KNOB_THP] = offsetof(struct khp_config, thp),
	[KHP_KNOB_USE_ZERO_PAGE] = offsetof(struct khp_config, use_zero_page),
	[KHP_KNOB_SWAP] = offsetof(struct khp_config, swap),
	[KHP_KNOB_SHRINK_UNDERUSED] = offsetof(struct khp_config, shrink_underused),
	[KHP_KNOB_MTHP_ORDERS] = offsetof(struct khp_config, mthp_orders),
};


const struct khp_knob_desc *khp_knob(enum khp_knob k)
{
	return (unsigned)k < KHP_NR_KNOBS ? &knobs[k] : NULL;
}

int khp_knob_lookup(const char *name, enum khp_knob *out)
{
	for (unsigned k = 0; name && k < KHP_NR_KNOBS; k++)
		if (!strcmp(knobs[k].name, name)) {
			*out = (enum khp_knob)k;
			return 0;
		}
	return -EINVAL;
}

uint32_t khp_knob_get(const struct khp_config *c, enum khp_knob k)
{
	const char *p = (const char *)c + knob_off[k];

	switch (knobs[k].kind) {
	case KHP_KNOB_KIND_MODE:
		return (uint32_t)c->thp;
	case KHP_KNOB_KIND_BOOL:
		return *(const bool *)p;
	default:
		return *(const uint32_t *)p;
	}
}

void khp_knob_put(struct khp_config *c, enum khp_knob k, uint32_t v)
{
	char *p = (char *)c + knob_off[k];

	switch (knobs[k].kind) {
	case KHP_KNOB_KIND_MODE:
		c->thp = (enum khp_thp_mode)v;
		break;
	case KHP_KNOB_KIND_BOOL:
		*(bool *)p = v != 0;
		break;
	default:
		*(uint32_t *)p = v;
		break;
	}
}

/* ---- range rules ------------------------------------------------------- */

static bool pmd_valid(uint32_t n)
{
	return n >= KHP_PMD_PAGES_MIN && n <= KHP_PMD_PAGES_MAX && !(n & (n - 1));
}

/* mTHP orders: KHUGEPAGED_MIN_MTHP_ORDER (2) .. PMD order - 1 [7.3] */
int khp_knob_check_order(unsigned o, unsigned pmd_pages, char *msg, size_t msglen)
{
	unsigned top = khp_pmd_order(pmd_pages);

	if (o < 2 || o >= top)
		return run_say(msg, msglen, -ERANGE, "order %u out of range (2..%u for pmd_pages %u)",
			   o, top - 1, pmd_pages);
	return 0;
}

/* The range rule of k, without the knob's name in the message. */
static int check_value(enum khp_knob k, uint32_t v, unsigned pmd_pages, char *msg, size_t msglen)
{
	switch (knobs[k].kind) {
	case KHP_KNOB_KIND_PMD:
		if (!pmd_valid(v))
			return run_say(msg, msglen, -ERANGE, "%u is not a power of two in %u..%u", v,
				   KHP_PMD_PAGES_MIN, KHP_PMD_PAGES_MAX);
		return 0;
	case KHP_KNOB_KIND_PTES:
		if (v > pmd_pages - 1)
			return run_say(msg, msglen, -ERANGE, "%u out of range (0..%u for pmd_pages %u)",
				   v, pmd_pages - 1, pmd_pages);
		return 0;
	case KHP_KNOB_KIND_MODE:
		return v > KHP_THP_ALWAYS ? run_say(msg, msglen, -EINVAL, "unknown mode %u", v) : 0;
	case KHP_KNOB_KIND_BOOL:
		return v > 1 ? run_say(msg, msglen, -EINVAL, "%u is not 0 or 1", v) : 0;
	case KHP_KNOB_KIND_ORDERS:
		for (unsigned o = 0; o < 32; o++)
			if ((v & (1u << o)) && khp_knob_check_order(o, pmd_pages, msg, msglen))
				return -ERANGE;
		return 0;
	}
	return -EINVAL;
}

int khp_knob_check(enum khp_knob k, uint32_t v, unsigned pmd_pages, char *msg, size_t msglen)
{
	char m[128];
	int rc = check_value(k, v, pmd_pages, m, sizeof(m));

	return rc ? run_say(msg, msglen, rc, "%s: %s", knobs[k].name, m) : 0;
}

int khp_config_check(const struct khp_config *c, char *msg, size_t len)
{
	int rc = khp_knob_check(KHP_KNOB_PMD_PAGES, c->pmd_pages, 0, msg, len);

	for (unsigned k = 1; !rc && k < KHP_NR_KNOBS; k++) {
		uint32_t v = khp_knob_get(c, (enum khp_knob)k);

		rc = khp_knob_check((enum khp_knob)k, v, c->pmd_pages, msg, len);
	}
	return rc;
}

/* ---- text and JSON forms ------------------------------------------------- */

static int parse_bool(const char *s, uint32_t *v)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };

	for (unsigned i = 0; i < 4; i++) {
		if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
			*v = !strcmp(s, yes[i]);
			return 0;
		}
	}
	return -EINVAL;
}

/* "2,4" or "none": no empty element, no order twice, each in 2..PMD order - 1 of 512. */
static int parse_orders(const char *s, uint32_t *v, char *msg, size_t msglen)
{
	uint32_t mask = 0;
	const char *p = s;

	if (!strcmp(s, "none")) {
		*v = 0;
		return 0;
	}
	for (;;) {
		const char *comma = strchr(p, ',');
		char tok[24], m[96];
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		uint64_t o;

		if (!len)
			return run_say(msg, msglen, -EINVAL,
				   "empty order in \"%.40s\" (comma-separated orders, or none)", s);
		snprintf(tok, sizeof(tok), "%.*s", (int)len, p);
		if (len >= sizeof(tok) || khp_parse_u64(tok, 0, 31, &o, m, sizeof(m)))
			return run_say(msg, msglen, -EINVAL, "bad order \"%.20s\" (comma-separated orders "
				   "in 2..%u, or none)", tok, khp_pmd_order(KHP_PMD_PAGES_MAX) - 1);
		if (khp_knob_check_order((unsigned)o, KHP_PMD_PAGES_MAX, m, sizeof(m)))
			return run_say(msg, msglen, -ERANGE, "%s", m);
		if (mask & (1u << o))
			return run_say(msg, msglen, -EINVAL, "order %u listed twice", (unsigned)o);
		mask |= 1u << o;
		if (!comma)
			break;
		p = comma + 1;
	}
	*v = mask;
	return 0;
}

int khp_knob_parse(enum khp_knob k, const char *s, uint32_t *v, char *msg, size_t msglen)
{
	char q[64];
	uint64_t u;
	enum khp_thp_mode mode;
	int rc;

	if (!s)
		return run_say(msg, msglen, -EINVAL, "no value");
	khp_text_escape(q, sizeof(q), s);
	switch (knobs[k].kind) {
	case KHP_KNOB_KIND_PMD:
		rc = khp_parse_u64(s, 0, UINT32_MAX, &u, NULL, 0);
		if (rc || !pmd_valid((uint32_t)u))
			return run_say(msg, msglen, rc == -EINVAL ? -EINVAL : -ERANGE,
				   "\"%s\" is not a power of two in %u..%u", q, KHP_PMD_PAGES_MIN,
				   KHP_PMD_PAGES_MAX);
		*v = (uint32_t)u;
		return 0;
	case KHP_KNOB_KIND_PTES:
		rc = khp_parse_u64(s, 0, KHP_PMD_PAGES_MAX - 1, &u, msg, msglen);
		if (!rc)
			*v = (uint32_t)u;
		return rc;
	case KHP_KNOB_KIND_MODE:
		if (khp_thp_mode_parse(s, &mode))
			return run_say(msg, msglen, -EINVAL, "unknown mode \"%s\" (never, madvise, always)", q);
		*v = (uint32_t)mode;
		return 0;
	case KHP_KNOB_KIND_BOOL:
		if (parse_bool(s, v))
			return run_say(msg, msglen, -EINVAL, "\"%s\" is not 1 or 0 (true/false, yes/no, on/off)",
				   q);
		return 0;
	case KHP_KNOB_KIND_ORDERS:
		return parse_orders(s, v, msg, msglen);
	}
	return -EINVAL;
}

/* The orders of mask joined by sep, or empty. */
static int orders_format(uint32_t mask, const char *sep, char *buf, size_t n)
{
	size_t len = 0;

	if (n)
		buf[0] = 0;
	for (unsigned o = 0; o < 32; o++) {
		if (!(mask & (1u << o)))
			continue;
		len += (size_t)snprintf(buf + (len < n ? len : n), len < n ? n - len : 0, "%s%u",
					len ? sep : "", o);
	}
	return (int)len;
}

int khp_knob_format(enum khp_knob k, uint32_t v, char *buf, size_t n)
{
	switch (knobs[k].kind) {
	case KHP_KNOB_KIND_MODE:
		return snprintf(buf, n, "%s", khp_thp_mode_name((enum khp_thp_mode)v));
	case KHP_KNOB_KIND_ORDERS:
		return v ? orders_format(v, ",", buf, n) : snprintf(buf, n, "none");
	default:
		return snprintf(buf, n, "%u", v);
	}
}

int khp_knob_format_json(enum khp_knob k, uint32_t v, char *buf, size_t n)
{
	char list[128];

	switch (knobs[k].kind) {
	case KHP_KNOB_KIND_MODE:
		return snprintf(buf, n, "\"%s\"", khp_thp_mode_name((enum khp_thp_mode)v));
	case KHP_KNOB_KIND_BOOL:
		return snprintf(buf, n, "%s", v ? "true" : "false");
	case KHP_KNOB_KIND_ORDERS:
		orders_format(v, ", ", list, sizeof(list));
		return snprintf(buf, n, "[%s]", list);
	default:
		return snprintf(buf, n, "%u", v);
	}
}

int khp_config_format(const struct khp_config *c, char *buf, size_t n)
{
	size_t len = 0;

	if (n)
		buf[0] = 0;
	for (unsigned k = 0; k < KHP_NR_KNOBS; k++) {
		char v[128];

		khp_knob_format((enum khp_knob)k, khp_knob_get(c, (enum khp_knob)k), v, sizeof(v));
		len += (size_t)snprintf(buf + (len < n ? len : n), len < n ? n - len : 0, "%s%s=%s",
					k ? " " : "", knobs[k].name, v);
	}
	return (int)len;
}

/* ---- settings ------------------------------------------------------------ */

void khp_knob_settings_init(struct khp_knob_settings *s)
{
	memset(s, 0, sizeof(*s));
}

/* How a message names knob k given from origin: "--set swap", "--swap", "KHP_SWAP". */
static const char *where(enum khp_knob k, enum khp_knob_origin origin, char *buf, size_t n)
{
	switch (origin) {
	case KHP_KNOB_FROM_OPTION:
		snprintf(buf, n, "--%s", knobs[k].option);
		break;
	case KHP_KNOB_FROM_ENV:
		snprintf(buf, n, "%s", knobs[k].env);
		break;
	case KHP_KNOB_FROM_SWEEP:
		snprintf(buf, n, "--knob %s", knobs[k].name);
		break;
	default:
		snprintf(buf, n, "--set %s", knobs[k].name);
		break;
	}
	return buf;
}

int khp_knob_settings_parse(struct khp_knob_settings *s, enum khp_knob k, const char *text,
			    enum khp_knob_origin origin, char *msg, size_t msglen)
{
	char m[192], w[48];
	uint32_t v;

	if (khp_knob_parse(k, text, &v, m, sizeof(m)))
		return run_say(msg, msglen, -EINVAL, "%s: %s", where(k, origin, w, sizeof(w)), m);
	s->value[k] = v;
	s->set |= 1u << k;
	s->origin[k] = origin;
	return 0;
}

int khp_knob_settings_assign(struct khp_knob_settings *s, const char *kv,
			     enum khp_knob_origin origin, char *msg, size_t msglen)
{
	const char *eq = strchr(kv, '=');
	char name[32], q[64];
	enum khp_knob k;

	if (!eq || (size_t)(eq - kv) >= sizeof(name))
		return run_say(msg, msglen, -EINVAL, "--set wants KNOB=VALUE, not \"%s\"",
			   khp_text_escape(q, sizeof(q), kv));
	snprintf(name, sizeof(name), "%.*s", (int)(eq - kv), kv);
	if (khp_knob_lookup(name, &k))
		return run_say(msg, msglen, -EINVAL, "unknown knob \"%s\" (pmd_pages, max_ptes_none, "
			   "max_ptes_swap, max_ptes_shared, thp, use_zero_page, swap, "
			   "shrink_underused, mthp_orders)", khp_text_escape(q, sizeof(q), name));
	return khp_knob_settings_parse(s, k, eq + 1, origin, msg, msglen);
}

int khp_knob_settings_from_env(struct khp_knob_settings *s, char *msg, size_t msglen)
{
	for (unsigned k = 0; k < KHP_NR_KNOBS; k++) {
		const char *v = getenv(knobs[k].env);
		int rc;

		if (!v || !*v)
			continue;
		rc = khp_knob_settings_parse(s, (enum khp_knob)k, v, KHP_KNOB_FROM_ENV, msg, msglen);
		if (rc)
			return rc;
	}
	return 0;
}

void khp_knob_settings_merge(struct khp_knob_settings *dst, const struct khp_knob_settings *src)
{
	for (unsigned k = 0; k < KHP_NR_KNOBS; k++) {
		if (!(src->set & (1u << k)))
			continue;
		dst->value[k] = src->value[k];
		dst->origin[k] = src->origin[k];
		dst->set |= 1u << k;
	}
}

int khp_knob_settings_apply(const struct khp_knob_settings *s, struct khp_config *c,
			    char *msg, size_t msglen)
{
	struct khp_config n = *c, od, nd;
	char m[160], w[48];

	if (s->set & (1u << KHP_KNOB_PMD_PAGES)) {
		/* knobs nobody set follow the new size when they sat at the old default */
		khp_config_default(&od, c->pmd_pages);
		khp_config_default(&nd, s->value[KHP_KNOB_PMD_PAGES]);
		for (unsigned k = 0; k < KHP_NR_KNOBS; k++) {
			enum khp_knob kk = (enum khp_knob)k;

			if (!(s->set & (1u << k)) && khp_knob_get(c, kk) == khp_knob_get(&od, kk))
				khp_knob_put(&n, kk, khp_knob_get(&nd, kk));
		}
	}
	for (unsigned k = 0; k < KHP_NR_KNOBS; k++) {
		if (!(s->set & (1u << k)))
			continue;
		if (check_value((enum khp_knob)k, s->value[k], n.pmd_pages, m, sizeof(m)))
			return run_say(msg, msglen, -ERANGE, "%s: %s",
				   where((enum khp_knob)k, s->origin[k], w, sizeof(w)), m);
		khp_knob_put(&n, (enum khp_knob)k, s->value[k]);
	}
	if (khp_config_check(&n, m, sizeof(m)))
		return run_say(msg, msglen, -ERANGE, "%s", m);
	*c = n;
	return 0;
}

int khp_knob_settings_apply_program(const struct khp_knob_settings *s, struct khp_program *p,
				    char *msg, size_t msglen)
{
	struct khp_config c = p->config;
	char m[256];
	int rc = khp_knob_settings_apply(s, &c, msg, msglen);

	if (rc)
		return rc;
	for (size_t i = 0; i < p->nr_ops; i++)
		if ((rc = khp_op_check(&p->ops[i], &c, m, sizeof(m))))
			return run_say(msg, msglen, rc, "program[%zu] does not fit the new config: %s",
				   i, m);
	p->config = c;
	return 0;
}
