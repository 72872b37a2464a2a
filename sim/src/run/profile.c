/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Profiles: a kernel's row of the rules table under the name a user gave
 * it.  "linux-6.12" is the row itself; "+exact" replaces the shared
 * predicate by the oracle (rule shared = exact).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "khpsim/khpsim.h"

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

int khp_profile_parse(const char *s, struct khp_profile *out)
{
	for (unsigned k = 0; s && k < KHP_NR_KERNELS; k++) {
		size_t n = strlen(kernel_names[k]);

		if (strncmp(s, kernel_names[k], n))
			continue;
		if (s[n] && strcmp(s + n, "+exact"))
			continue;
		*out = khp_profile_kernel((enum khp_kernel)k);
		if (s[n]) {
			out->rules.shared = KHP_SHARED_EXACT;
			snprintf(out->name, sizeof(out->name), "%s", s);
		}
		return 0;
	}
	return -EINVAL;
}
