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
#include "khpsim/knobs.h"
#include "khpsim/parse.h"

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

/* KHP_<name>: decimal in 0..max when set and not empty. */
static int env_uint(const char *name, uint64_t max, uint64_t *out, bool *set,
		    char *msg, size_t msglen)
{
	const char *s = getenv(name);
	char m[160];

	*set = false;
	if (!s || !*s)
		return 0;
	if (khp_parse_u64(s, 0, max, out, m, sizeof(m))) {
		if (msg)
			snprintf(msg, msglen, "%s: %s", name, m);
		return -EINVAL;
	}
	*set = true;
	return 0;
}

int khp_decode_opts_from_env(struct khp_decode_opts *o, char *msg, size_t msglen)
{
	static const struct { const char *name; unsigned max; } vars[] = {
		{ "KHP_EXPLORE_CONFIG", 1 },                /* 0 */
		{ "KHP_MAX_OPS", 4096 },                    /* 1 */
		{ "KHP_MAX_MMS", KHP_MAX_MMS },             /* 2 */
		{ "KHP_MAX_PMDS", 64 },                     /* 3 */
		{ "KHP_MACROS", 1 },                        /* 4 */
	};
	struct khp_knob_settings ks;
	uint64_t v[5];
	bool set[5];
	int ret;

	/* the knobs: the knob table's KHP_<KNOB> variables, in any order */
	khp_knob_settings_init(&ks);
	ret = khp_knob_settings_from_env(&ks, msg, msglen);
	if (!ret)
		ret = khp_knob_settings_apply(&ks, &o->config, msg, msglen);
	for (unsigned i = 0; !ret && i < 5; i++)
		ret = env_uint(vars[i].name, vars[i].max, &v[i], &set[i], msg, msglen);
	if (ret)
		return ret;
	if (set[0]) o->config_from_input = v[0];
	if (set[1]) o->max_ops = v[1] ? (unsigned)v[1] : 1;
	if (set[2]) o->max_mms = v[2] ? (unsigned)v[2] : 1;
	if (set[3]) o->max_pmds = v[3] ? (unsigned)v[3] : 1;
	if (set[4]) o->macros = v[4];
	return 0;
}
