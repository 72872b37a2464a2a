/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sweeps (`khpsim sweep`, docs/sweeps.md): a program run at every point of
 * a grid of one or two axes, under each of a list of profiles.  An axis is
 * a knob of the knob table (khpsim/knobs.h) or a rule of struct khp_rules
 * (khpsim/rules.h), with its values given as "NAME=FROM:TO:STEP" (FROM,
 * FROM+STEP, ... up to TO) or "NAME=v1,v2,..." (";" separates the values
 * of mthp_orders, whose values have commas).
 *
 * Knob values go through the knob table's parser and, per point, through
 * khp_knob_settings_apply() and khp_op_check() as `khpsim run --set` does;
 * rule values through khp_profile_set_rule() and khp_rules_combination().
 * Every point is checked before anything runs.
 *
 * What is run at a point is an evaluator (struct khp_sweep_eval): the
 * program itself (khp_sweep_eval_scenario), or a search for the worst
 * program (khp_sweep_eval_explore, khpsim/decode.h's layer).
 *
 * Error convention as in khpsim.h: 0 or a negative errno with a one-line
 * message (msg may be NULL).
 */
#ifndef KHPSIM_SWEEP_H
#define KHPSIM_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "khpsim.h"
#include "knobs.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KHP_SWEEP_MAX_AXES     2u
#define KHP_SWEEP_MAX_VALUES   512u   /* values on one axis (0:511:1 fits) */
#define KHP_SWEEP_MAX_POINTS   4096u  /* grid points: the product of the axes' values */
#define KHP_SWEEP_MAX_PROFILES 8u

enum khp_sweep_axis_kind { KHP_SWEEP_KNOB, KHP_SWEEP_RULE };

struct khp_sweep_axis {
	enum khp_sweep_axis_kind kind;
	enum khp_knob knob;                  /* KHP_SWEEP_KNOB */
	const struct khp_rule_info *rule;    /* KHP_SWEEP_RULE */
	unsigned nr;
	uint32_t values[KHP_SWEEP_MAX_VALUES]; /* knob values (khp_knob_get()), rule value indices */
};

/* What one point under one profile gave. */
struct khp_sweep_result {
	int err;                   /* 0, or the run's first op error (negative errno) */
	char errmsg[256];          /* "program[3]: ..." */
	char *results;             /* "10:SCAN_SUCCEED 12:SCAN_PMD_MAPPED*3", or NULL (search) */
	long collapsed;            /* huge pages installed (sum of nr_collapsed) */
	long waste_pages, fn_waste_pages;
	long pages_in_use;         /* at the end of the run */
	unsigned long runs;        /* search: programs run; scenario: 1 */
	long worst_run;            /* search: the run that gave fn_waste_pages (-1: none) */
};

/*
 * The evaluator: run prog (the point's config) under prof and fill *out.
 * A refused op is data (out->err); a negative return (-ENOMEM) stops the
 * sweep, with msg.
 */
struct khp_sweep_eval {
	const char *name;          /* "scenario", "explore": the JSON's "search" */
	int (*eval)(void *arg, const struct khp_program *prog, const struct khp_profile *prof,
		    struct khp_sweep_result *out, char *msg, size_t msglen);
	void *arg;
	unsigned long budget;      /* search: programs per point (the JSON's "budget") */
	uint64_t seed;             /* search: the seed of every point */
	/* NULL, or called after each evaluated point (done of total, over all profiles) */
	void (*progress)(void *arg, size_t done, size_t total);
	void *progress_arg;
};

struct khp_sweep {
	struct khp_sweep_axis axes[KHP_SWEEP_MAX_AXES];
	unsigned nr_axes;
	struct khp_profile profiles[KHP_SWEEP_MAX_PROFILES];
	size_t nr_profiles;
	struct khp_knob_settings fixed;    /* knobs set for every point (--set) */
	size_t nr_points;                  /* the product of the axes' nr */
	struct khp_sweep_result *results;  /* [profile * nr_points + point], after khp_sweep_run() */
};

void khp_sweep_init(struct khp_sweep *s);
void khp_sweep_free(struct khp_sweep *s);
/* One axis "NAME=FROM:TO:STEP" or "NAME=v1,v2,...": -EINVAL, -ERANGE or -E2BIG. */
int khp_sweep_add_axis(struct khp_sweep *s, const char *spec, char *msg, size_t msglen);
/* The value index of axis a at point (row-major: the last axis varies fastest). */
unsigned khp_sweep_coord(const struct khp_sweep *s, size_t point, unsigned a);
/* The text form of axis a's value i ("256", "page_mapcount"). */
int khp_sweep_value_format(const struct khp_sweep_axis *ax, unsigned i, char *buf, size_t n);
/* The axis's name ("max_ptes_shared", "shared") and its label ("khugepaged/max_ptes_shared"). */
const char *khp_sweep_axis_name(const struct khp_sweep_axis *ax);
const char *khp_sweep_axis_label(const struct khp_sweep_axis *ax);
/* The default of axis a for profile p and the base config, in its text form. */
int khp_sweep_default_format(const struct khp_sweep *s, unsigned a, size_t p,
			     const struct khp_config *base, char *buf, size_t n);
/*
 * The program and profile of (point, profile p): *out shares base's ops
 * (do not free it); its config is base's with s->fixed and the point's
 * knobs applied.  0, or -ERANGE/-EINVAL with msg naming the point.
 */
int khp_sweep_point(const struct khp_sweep *s, const struct khp_program *base, size_t point,
		    size_t p, struct khp_program *out, struct khp_profile *prof,
		    char *msg, size_t msglen);
/* Every point under every profile is valid (khp_sweep_point()). */
int khp_sweep_check(const struct khp_sweep *s, const struct khp_program *base, char *msg,
		    size_t msglen);
/* Check, then evaluate every point under every profile into s->results. */
int khp_sweep_run(struct khp_sweep *s, const struct khp_program *base,
		  const struct khp_sweep_eval *ev, char *msg, size_t msglen);

/* The evaluator that runs the program itself (arg: NULL, or a bool *: the invariant checker). */
int khp_sweep_eval_scenario(void *arg, const struct khp_program *prog,
			    const struct khp_profile *prof, struct khp_sweep_result *out,
			    char *msg, size_t msglen);

/* sweep.csv and sweep.json (docs/sweeps.md); source: the scenario file or "". */
int khp_sweep_write_csv(FILE *f, const struct khp_sweep *s, const struct khp_sweep_eval *ev);
int khp_sweep_write_json(FILE *f, const struct khp_sweep *s, const struct khp_sweep_eval *ev,
			 const char *source, const struct khp_program *base);

#ifdef __cplusplus
}
#endif
#endif /* KHPSIM_SWEEP_H */
