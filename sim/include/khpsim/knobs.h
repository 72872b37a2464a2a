/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The knob table: every field of struct khp_config a user can set (the
 * sysfs knobs of /sys/kernel/mm/transparent_hugepage/ and its khugepaged/
 * directory, and the PMD size) with its name, kind, range rule, parser and
 * printer.  One table serves
 *   - the scenario reader and writer (the keys of "config"),
 *   - `khpsim run --set KNOB=VALUE`,
 *   - `khpsim explore --KNOB VALUE` (the name with dashes: --max-ptes-shared),
 *   - `khpsim sweep --knob KNOB=VALUES` (khpsim/sweep.h),
 *   - the environment of the fuzz targets and explore (KHP_MAX_PTES_SHARED),
 *   - the reports (the config line and the JSON config).
 *
 * Text forms (--set, options, environment, the config line):
 *   pmd_pages             decimal, a power of two in 8..512
 *   max_ptes_{none,swap,shared}   decimal, 0..pmd_pages-1
 *   thp                   never | madvise | always
 *   use_zero_page, swap, shrink_underused   1 | 0 (also true/false, yes/no, on/off)
 *   mthp_orders           comma-separated orders in 2..PMD order-1 ("2,4"), or none
 *
 * Settings do not depend on their order (struct khp_knob_settings): a knob
 * the user set keeps its value whatever else is set, and knobs the user did
 * not set follow the pmd_pages default (those at the default for the old
 * pmd_pages take the default for the new one).
 *
 * Error convention as in khpsim.h: 0 or a negative errno with a one-line
 * message (msg may be NULL).
 */
#ifndef KHPSIM_KNOBS_H
#define KHPSIM_KNOBS_H

#include <stddef.h>
#include <stdint.h>

#include "khpsim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* In the order of struct khp_config, of the config line and of the writer. */
enum khp_knob {
	KHP_KNOB_PMD_PAGES,
	KHP_KNOB_MAX_PTES_NONE,
	KHP_KNOB_MAX_PTES_SWAP,
	KHP_KNOB_MAX_PTES_SHARED,
	KHP_KNOB_THP,
	KHP_KNOB_USE_ZERO_PAGE,
	KHP_KNOB_SWAP,
	KHP_KNOB_SHRINK_UNDERUSED,
	KHP_KNOB_MTHP_ORDERS,
	KHP_NR_KNOBS
};

enum khp_knob_kind {
	KHP_KNOB_KIND_PMD,     /* a power of two in KHP_PMD_PAGES_MIN..KHP_PMD_PAGES_MAX */
	KHP_KNOB_KIND_PTES,    /* a PTE count limit, 0..pmd_pages-1 */
	KHP_KNOB_KIND_MODE,    /* enum khp_thp_mode */
	KHP_KNOB_KIND_BOOL,
	KHP_KNOB_KIND_ORDERS,  /* bit o: mTHP order o, 2 <= o < PMD order */
};

struct khp_knob_desc {
	const char *name;      /* "max_ptes_shared": scenario key and --set name */
	const char *option;    /* "max-ptes-shared": the long option */
	const char *env;       /* "KHP_MAX_PTES_SHARED" */
	enum khp_knob_kind kind;
	const char *meaning;   /* one line, naming the kernel's sysfs file */
	const char *sysfs;     /* "khugepaged/max_ptes_shared": plot axes (what the knob is) */
};

/* The row of knob k (k < KHP_NR_KNOBS). */
const struct khp_knob_desc *khp_knob(enum khp_knob k);
/* By name ("max_ptes_shared").  0 or -EINVAL. */
int khp_knob_lookup(const char *name, enum khp_knob *out);

/* Every knob's value as a number: the count, the mode, 0/1, the order mask. */
uint32_t khp_knob_get(const struct khp_config *c, enum khp_knob k);
void khp_knob_put(struct khp_config *c, enum khp_knob k, uint32_t v);

/* v is a value of k for pmd_pages.  0, -ERANGE or -EINVAL. */
int khp_knob_check(enum khp_knob k, uint32_t v, unsigned pmd_pages, char *msg, size_t msglen);
/* One mTHP order o for pmd_pages (the reader checks them one by one). */
int khp_knob_check_order(unsigned o, unsigned pmd_pages, char *msg, size_t msglen);

/*
 * The text form of a value of k into *v: decimal only, checked against the
 * largest PMD (KHP_PMD_PAGES_MAX) since the final pmd_pages may not be known
 * yet; an order list has no empty element and no order twice.
 */
int khp_knob_parse(enum khp_knob k, const char *s, uint32_t *v, char *msg, size_t msglen);

/* The text form ("512", "madvise", "1", "2,4", "none"), like snprintf. */
int khp_knob_format(enum khp_knob k, uint32_t v, char *buf, size_t n);
/* The JSON form ("512", "\"madvise\"", "true", "[2, 4]"), like snprintf. */
int khp_knob_format_json(enum khp_knob k, uint32_t v, char *buf, size_t n);

/* The config line of the reports: "pmd_pages=512 max_ptes_none=511 ... mthp_orders=none". */
int khp_config_format(const struct khp_config *c, char *buf, size_t n);

/* ---- settings a user gave ------------------------------------------------ */

/* Where a setting came from: how messages name it. */
enum khp_knob_origin {
	KHP_KNOB_FROM_SET,     /* "--set max_ptes_shared" */
	KHP_KNOB_FROM_OPTION,  /* "--max-ptes-shared" */
	KHP_KNOB_FROM_ENV,     /* "KHP_MAX_PTES_SHARED" */
	KHP_KNOB_FROM_SWEEP,   /* "--knob max_ptes_shared" (khpsim/sweep.h) */
};

struct khp_knob_settings {
	uint32_t value[KHP_NR_KNOBS];
	uint32_t set;                             /* bit k: knob k was given */
	enum khp_knob_origin origin[KHP_NR_KNOBS];
};

void khp_knob_settings_init(struct khp_knob_settings *s);
/* Set knob k from its text form; a later setting of the same knob wins. */
int khp_knob_settings_parse(struct khp_knob_settings *s, enum khp_knob k, const char *text,
			    enum khp_knob_origin origin, char *msg, size_t msglen);
/* "KNOB=VALUE" (run --set). */
int khp_knob_settings_assign(struct khp_knob_settings *s, const char *kv,
			     enum khp_knob_origin origin, char *msg, size_t msglen);
/* Every KHP_<KNOB> variable that is set and not empty. */
int khp_knob_settings_from_env(struct khp_knob_settings *s, char *msg, size_t msglen);
/* The same settings from src (src wins where both set a knob). */
void khp_knob_settings_merge(struct khp_knob_settings *dst, const struct khp_knob_settings *src);
/*
 * Apply s to c: pmd_pages first (rescaling the PTE limits s does not set
 * that sit at the old size's default), then every knob s sets; each must
 * fit the final pmd_pages, then khp_config_check() the result.  On error c
 * is unchanged.
 */
int khp_knob_settings_apply(const struct khp_knob_settings *s, struct khp_config *c,
			    char *msg, size_t msglen);

/*
 * khp_knob_settings_apply() to p's config, then khp_op_check() of every op
 * against the new config (a program must still fit, e.g. a smaller
 * pmd_pages).  On error p is unchanged and msg says why ("program[3] does
 * not fit the new config: ...").
 */
int khp_knob_settings_apply_program(const struct khp_knob_settings *s, struct khp_program *p,
				    char *msg, size_t msglen);

#ifdef __cplusplus
}
#endif
#endif /* KHPSIM_KNOBS_H */
