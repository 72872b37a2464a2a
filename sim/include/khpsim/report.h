/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reports of runs: the side-by-side text table of the profiles per
 * khugepaged / collapse step with the PMD map before the step, the
 * post-program totals, and the records (struct khp_record) as JSON.
 * Output is deterministic (no clock, no addresses of objects).
 */
#ifndef KHPSIM_REPORT_H
#define KHPSIM_REPORT_H

#include <stdio.h>

#include "khpsim.h"
#include "scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "pmd_pages=512 max_ptes_none=511 ... thp=madvise mthp_orders=none" */
void khp_report_config_line(FILE *f, const struct khp_config *c);

/*
 * One block per khugepaged / collapse step of the program: the op, the
 * PMD map of the range before the step (if the runs recorded maps; once
 * when all profiles agree, else per profile) and a table with one column
 * per run.  *legend_done (may be NULL) makes the map legend print once.
 */
void khp_report_steps(FILE *f, const struct khp_program *p, const struct khp_run *runs,
		      size_t nr_runs, bool *legend_done);

/* The table of one step only (no map). */
void khp_report_step_table(FILE *f, const struct khp_program *p, const struct khp_run *runs,
			   size_t nr_runs, size_t step);

/* Post-program totals, one column per run, plus the metadata line. */
void khp_report_totals(FILE *f, const struct khp_run *runs, size_t nr_runs);

/* Program errors ("linux-6.1: step 4 (munmap): message"); returns how many runs failed. */
size_t khp_report_errors(FILE *f, const struct khp_program *p, const struct khp_run *runs,
			 size_t nr_runs);

/* JSON: one record as a single-line object with every struct khp_record field. */
void khp_report_record_json(FILE *f, const struct khp_record *r);
/* JSON: the config as a single-line object with every field. */
void khp_report_config_json(FILE *f, const struct khp_config *c);
/*
 * JSON: one run as an object {"profile", "error", "records": [...],
 * "totals": {...}}, indented by `indent` spaces, no trailing newline.
 */
void khp_report_run_json(FILE *f, const struct khp_run *run, int indent);
/* A JSON string literal: valid UTF-8 JSON whatever s holds (khp_json_put_string()). */
void khp_report_json_string(FILE *f, const char *s);

#ifdef __cplusplus
}
#endif
#endif /* KHPSIM_REPORT_H */
