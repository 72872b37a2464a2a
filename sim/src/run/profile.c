/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Profiles: a kernel's row of the rules table under the name a user gave
 * it.  "linux-6.12" is the row itself; "+exact" replaces the shared
 * predicate by the oracle (rule shared = exact).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "khpsim/khpsim.h"
#include "run/run.h"

static const char *const kernel_names[KHP_NR_KERNELS] = {
	"linux-6.1", "linux-6.12", "linux-7.3",
};

const char *khp_kernel_name(enum khp_kernel k)
{
	return (unsigned)k < KHP_NR_KERNELS ? kernel_names[k] : "?";
}

struct khp_profile khp_profile_kernel(enum khp_kernel k)
{
	struct khp_profile p = { .kernel = k };

	if ((unsigned)k < KHP_NR_KERNELS) {
		p.rules = *khp_kernel_rules(k);
		snprintf(p.name, sizeof(p.name), "%s", kernel_names[k]);
	}
	return p;
}

const char *khp_profile_name(const struct khp_profile *p)
{
	return p->name[0] ? p->name : "?";
}

bool khp_profile_exact(const struct khp_profile *p)
{
	return p->rules.shared == KHP_SHARED_EXACT;
}

bool khp_profile_same(const struct khp_profile *a, const struct khp_profile *b)
{
	return !strcmp(a->name, b->name);
}

/* "a, b, c" of every rule name (or of rule ri's value names) into buf. */
static const char *choices(const struct khp_rule_info *ri, char *buf, size_t len)
{
	size_t n = 0;
	unsigned count = ri ? ri->nr_values : KHP_NR_RULES;

	buf[0] = 0;
	for (unsigned i = 0; i < count && n < len; i++) {
		const char *name = ri ? ri->values[i].name : khp_rule_info(i)->name;

		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", name);
	}
	return buf;
}

int khp_profile_set_rule(struct khp_profile *p, const char *rule, const char *value,
			 char *msg, size_t len)
{
	const struct khp_rule_info *ri = khp_rule_find(rule);
	char buf[640];

	if (!ri)
		return run_say(msg, len, -EINVAL, "unknown rule '%s' (rules: %s)", rule, choices(NULL, buf, sizeof(buf)));
	for (unsigned v = 0; v < ri->nr_values; v++) {
		if (strcmp(value, ri->values[v].name))
			continue;
		((uint8_t *)&p->rules)[ri->offset] = (uint8_t)v;
		return 0;
	}
	return run_say(msg, len, -EINVAL, "rule %s: unknown value '%s' (values: %s)", rule, value,
		   choices(ri, buf, sizeof(buf)));
}

/* The base kernel's name at the start of s: its length, or 0. */
static size_t base_kernel(const char *s, enum khp_kernel *k)
{
	size_t best = 0;

	for (unsigned i = 0; i < KHP_NR_KERNELS; i++) {
		size_t n = strlen(kernel_names[i]);

		/* "linux-6.1" is a prefix of "linux-6.12": the name must end at '+' or NUL */
		if (!strncmp(s, kernel_names[i], n) && (s[n] == '+' || !s[n]) && n > best) {
			best = n;
			*k = (enum khp_kernel)i;
		}
	}
	return best;
}

/* One "+RULE=VALUE" or "+exact" modifier [s, s + n). */
static int apply_modifier(struct khp_profile *p, const char *s, size_t n, char *msg, size_t len)
{
	char rule[64], *eq;

	if (n == 5 && !strncmp(s, "exact", 5)) {
		p->rules.shared = KHP_SHARED_EXACT;
		return 0;
	}
	if (n >= sizeof(rule))
		return run_say(msg, len, -EINVAL, "modifier '%.*s...' is too long", 20, s);
	memcpy(rule, s, n);
	rule[n] = 0;
	eq = strchr(rule, '=');
	if (!eq)
		return run_say(msg, len, -EINVAL, "'+%s' is not +exact or +RULE=VALUE", rule);
	*eq = 0;
	return khp_profile_set_rule(p, rule, eq + 1, msg, len);
}

int khp_profile_parse_msg(const char *s, struct khp_profile *out, char *msg, size_t len)
{
	struct khp_profile p;
	enum khp_kernel k = KHP_LINUX_6_1;
	size_t n = s ? base_kernel(s, &k) : 0;
	int ret;

	if (!n)
		return run_say(msg, len, -EINVAL, "unknown profile '%s' (linux-6.1, linux-6.12 or linux-7.3, "
			   "then +exact or +RULE=VALUE...; `khpsim profiles` lists the rules)",
			   s ? s : "");
	if (strlen(s) >= sizeof(p.name))
		return run_say(msg, len, -EINVAL, "profile name '%.40s...' is longer than %u characters", s,
			   KHP_PROFILE_NAME_MAX - 1);
	p = khp_profile_kernel(k);
	for (const char *m = s + n; *m == '+';) {
		const char *end = strchr(m + 1, '+');
		size_t mlen = end ? (size_t)(end - m - 1) : strlen(m + 1);

		ret = apply_modifier(&p, m + 1, mlen, msg, len);
		if (ret)
			return ret;
		m += 1 + mlen;
	}
	ret = khp_rules_combination(&p.rules, khp_kernel_rules(k), msg, len);
	if (ret)
		return ret;
	snprintf(p.name, sizeof(p.name), "%s", s);
	*out = p;
	return 0;
}

int khp_profile_parse(const char *s, struct khp_profile *out)
{
	return khp_profile_parse_msg(s, out, NULL, 0);
}

bool khp_profile_is_kernel(const struct khp_profile *p)
{
	return !memcmp(&p->rules, khp_kernel_rules(p->kernel), sizeof(p->rules));
}
