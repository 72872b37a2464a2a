/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Decoder options (khpsim/decode.h): the defaults, the KHP_* environment
 * overrides the fuzz targets and scripts/campaign use, and the config
 * bytes of an "explore config" input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_int.h"

/* A knob byte: a boundary value (mod pmd) or the kernel default. */
static unsigned knob(struct decoder *d, unsigned dflt)
{
	uint32_t b = khp_dp_u8(&d->dp) & 7;

	if (b >= 6)
		return dflt;
	return (unsigned)dec_boundary(d, b == 5 ? 5 : b) % d->pmd;
}

/*
 * Config bytes: pmd size, none, swap, shared, flags.  Byte values 0x00
 * give the "kernel default at 512 pages, shared 0" corner the campaign
 * cares about most; see docs/fuzzing.md.
 */
void dec_config(struct decoder *d, struct khp_config *c)
{
	uint32_t b = khp_dp_u8(&d->dp), f;
	unsigned pmd = (b & 0x80) || (b & 7) >= 6 ? 512 : 8u << (b & 7);

	khp_config_default(c, pmd);
	d->pmd = pmd;
	c->max_ptes_none = knob(d, c->max_ptes_none);
	c->max_ptes_swap = knob(d, c->max_ptes_swap);
	c->max_ptes_shared = knob(d, c->max_ptes_shared);
	f = khp_dp_u8(&d->dp);
	c->thp = (f & 3) == 1 ? KHP_THP_ALWAYS : (f & 3) == 2 ? KHP_THP_NEVER : KHP_THP_MADVISE;
	c->use_zero_page = f & 4;
	c->swap = !(f & 8);
	c->shrink_underused = f & 0x10;
	c->mthp_orders = 0;
	if ((f & 0x20) && khp_pmd_order(pmd) > 2)
		c->mthp_orders |= 1u << 2;
	if ((f & 0x40) && khp_pmd_order(pmd) > 4)
		c->mthp_orders |= 1u << 4;
}

void khp_decode_opts_default(struct khp_decode_opts *o)
{
	memset(o, 0, sizeof(*o));
	khp_config_default(&o->config, 512);
	o->max_ops = 48;
	o->max_mms = 6;
	o->max_pmds = 4;
	o->macros = true;
}

static int env_uint(const char *name, unsigned long max, unsigned long *out, bool *set,
		    char *msg, size_t msglen)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	*set = false;
	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > max || s[0] == '-') {
		if (msg)
			snprintf(msg, msglen, "%s=%s: not a number in 0..%lu", name, s, max);
		return -EINVAL;
	}
	*out = v;
	*set = true;
	return 0;
}

static int env_thp(struct khp_config *c, char *msg, size_t msglen)
{
	const char *thp = getenv("KHP_THP");

	if (!thp || !*thp)
		return 0;
	if (!strcmp(thp, "never"))
		c->thp = KHP_THP_NEVER;
	else if (!strcmp(thp, "madvise"))
		c->thp = KHP_THP_MADVISE;
	else if (!strcmp(thp, "always"))
		c->thp = KHP_THP_ALWAYS;
	else {
		if (msg)
			snprintf(msg, msglen, "KHP_THP=%s: expected never, madvise or always", thp);
		return -EINVAL;
	}
	return 0;
}

int khp_decode_opts_from_env(struct khp_decode_opts *o, char *msg, size_t msglen)
{
	static const struct { const char *name; unsigned long max; } vars[] = {
		{ "KHP_PMD_PAGES", KHP_PMD_PAGES_MAX },     /* 0 */
		{ "KHP_MAX_PTES_NONE", KHP_PMD_PAGES_MAX }, /* 1 */
		{ "KHP_MAX_PTES_SWAP", KHP_PMD_PAGES_MAX }, /* 2 */
		{ "KHP_MAX_PTES_SHARED", KHP_PMD_PAGES_MAX }, /* 3 */
		{ "KHP_USE_ZERO_PAGE", 1 },                 /* 4 */
		{ "KHP_SWAP", 1 },                          /* 5 */
		{ "KHP_SHRINK_UNDERUSED", 1 },              /* 6 */
		{ "KHP_MTHP_ORDERS", 0xffffffffu },         /* 7 */
		{ "KHP_EXPLORE_CONFIG", 1 },                /* 8 */
		{ "KHP_MAX_OPS", 4096 },                    /* 9 */
		{ "KHP_MAX_MMS", KHP_MAX_MMS },             /* 10 */
		{ "KHP_MAX_PMDS", 64 },                     /* 11 */
		{ "KHP_MACROS", 1 },                        /* 12 */
	};
	unsigned long v[13];
	bool set[13];
	struct khp_config *c = &o->config;
	int ret;

	for (unsigned i = 0; i < 13; i++) {
		ret = env_uint(vars[i].name, vars[i].max, &v[i], &set[i], msg, msglen);
		if (ret)
			return ret;
	}
	if (set[0]) {
		enum khp_thp_mode mode = c->thp;

		khp_config_default(c, (unsigned)v[0]);
		c->thp = mode;
	}
	if (set[1]) c->max_ptes_none = (unsigned)v[1];
	if (set[2]) c->max_ptes_swap = (unsigned)v[2];
	if (set[3]) c->max_ptes_shared = (unsigned)v[3];
	if (set[4]) c->use_zero_page = v[4];
	if (set[5]) c->swap = v[5];
	if (set[6]) c->shrink_underused = v[6];
	if (set[7]) c->mthp_orders = (uint32_t)v[7];
	if (set[8]) o->config_from_input = v[8];
	if (set[9]) o->max_ops = v[9] ? (unsigned)v[9] : 1;
	if (set[10]) o->max_mms = v[10] ? (unsigned)v[10] : 1;
	if (set[11]) o->max_pmds = v[11] ? (unsigned)v[11] : 1;
	if (set[12]) o->macros = v[12];
	ret = env_thp(c, msg, msglen);
	return ret ? ret : khp_config_check(c, msg, msglen);
}
