/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Scenario objects: lifetime, their strings and expectations, and the run
 * of the program under each of the scenario's profiles.  The reader is
 * read.c (with json.c, program.c, expect.c), the writer write.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "khpsim/scenario.h"

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

int khp_scenario_run_all(const struct khp_scenario *sc, const struct khp_run_opts *opts,
			 struct khp_run *runs_out)
{
	struct khp_profile defp[KHP_NR_KERNELS];
	const struct khp_profile *prof = sc->profiles;
	size_t nr = sc->nr_profiles, i;

	if (!nr) {
		for (i = 0; i < KHP_NR_KERNELS; i++)
			defp[i] = khp_profile_kernel((enum khp_kernel)i);
		nr = KHP_NR_KERNELS;
		prof = defp;
	}
	for (i = 0; i < nr; i++) {
		memset(&runs_out[i], 0, sizeof(runs_out[i]));
		khp_run_program(&sc->program, prof[i], opts, &runs_out[i]);
		runs_out[i].profile = prof[i];
	}
	return (int)nr;
}
