/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The real-kernel oracle, the way back from a guest (docs/oracle.md):
 *
 *   guest log    the serial console output of a QEMU guest that ran the
 *                program of khp_emit_c() (emit.h): its KHPSIM-STEP lines,
 *                and how the run ended (complete, panicked, timed out,
 *                truncated);
 *   comparison   each step of each scenario against the model's record for
 *                the matching profile, one row per step;
 *   known        the documented known differences
 *                (oracle/known-differences.json);
 *   summary      the table and the JSON summary of `khpsim oracle`.
 *
 * Error convention as in khpsim.h: 0 or a negative errno.
 */
#ifndef KHPSIM_ORACLE_H
#define KHPSIM_ORACLE_H

#include <stdio.h>

#include "emit.h"
#include "khpsim.h"
#include "scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- guest output (guestlog.c) ---------------------------------------- */

enum khp_guest_kind {
	KHP_GUEST_KHUGEPAGED,
	KHP_GUEST_COLLAPSE,
	KHP_GUEST_OPERR,           /* an op failed in the guest ("error=") */
};

/* One "KHPSIM-STEP" line.  Numbers are -1 when absent. */
struct khp_guest_step {
	char scenario[KHP_EMIT_NAME_MAX];
	unsigned step;
	enum khp_guest_kind kind;
	char op[16];               /* op name of a failed op */
	char error[32];            /* errno name of a failed op */
	char status[48];           /* first mm_khugepaged_scan_pmd status (collapse: last) */
	long none_or_zero, unmapped, referenced, writable;
	long scans, pmd_mapped, hidden, ret;
	char err_name[32];         /* collapse: errno name or "0" */
	bool conflict;             /* an eligible range could not be hidden */
	bool scan_timeout;         /* khugepaged did not finish two full scans */
};

/*
 * How a guest run ended.  A run is complete when the guest printed
 * KHPSIM-DONE (every scenario ran to its last step) and the kernel never
 * oopsed; anything else is an infrastructure failure, not a verdict on the
 * model.  Precedence: panicked, then complete, then timed out, then
 * truncated (docs/oracle.md, "How a guest run ends").
 */
enum khp_guest_end {
	KHP_GUEST_COMPLETE,        /* KHPSIM-DONE seen, no panic */
	KHP_GUEST_PANICKED,        /* an Oops, a kernel BUG or "Kernel panic" line */
	KHP_GUEST_TIMED_OUT,       /* the host stopped it ("KHPSIM-HOST timeout" line) */
	KHP_GUEST_TRUNCATED,       /* the log ends before KHPSIM-DONE */
};

/* A list of scenario names (tokens of khp_emit_name()). */
struct khp_name_list {
	char (*v)[KHP_EMIT_NAME_MAX];
	size_t nr;
};

struct khp_guest_log {
	char release[96];          /* uname -r of the guest */
	char build[128];           /* uname -v, e.g. "#1 SMP ... Debian 6.1.158-1 (...)" */
	struct khp_guest_step *steps;
	size_t nr, cap;
	struct khp_name_list no_swap;   /* "KHPSIM-NOTE scenario=X swap=unavailable" */
	struct khp_name_list no_mthp;   /* "KHPSIM-NOTE scenario=X mthp=unsupported" */
	struct khp_name_list ended;     /* "KHPSIM-END name=X": X ran to its end */
	bool done;                 /* "KHPSIM-DONE" seen */
	enum khp_guest_end end;    /* how the run ended */
	unsigned long end_line;    /* line of the evidence (panic, timeout), else 0 */
	char end_msg[160];         /* that line without its timestamp, else "" */
};

/* 1 and *out filled for a KHPSIM-STEP line, 0 for any other line, -EINVAL
 * for a malformed KHPSIM-STEP line. */
int khp_guest_parse_line(const char *line, struct khp_guest_step *out);
/* Read a whole guest log (serial console output; other lines ignored) and
 * classify how it ended (log->end).  -EINVAL (line named in err) for a
 * malformed KHPSIM-STEP line, -ENOMEM. */
int khp_guest_log_read(FILE *f, struct khp_guest_log *log, char *err, size_t errlen);
void khp_guest_log_free(struct khp_guest_log *log);
/* "complete", "panicked", "timed_out", "truncated". */
const char *khp_guest_end_name(enum khp_guest_end e);
/* One line for a person: "complete", "panicked at line 57: Oops: int3: ...". */
void khp_guest_end_describe(const struct khp_guest_log *log, char *buf, size_t len);
/* "6.1.0-56-amd64" -> KHP_LINUX_6_1 etc.; -EINVAL if unknown. */
int khp_guest_kernel(const char *release, enum khp_kernel *out);
bool khp_name_in(const struct khp_name_list *l, const char *name);

/* ---- one step against the model (compare.c) ---------------------------- */

/* What the model says about one step. */
struct khp_model_step {
	bool error;                /* the model refused the op of this step */
	int err;                   /* its negative errno */
	bool has_record;
	struct khp_record rec;
	bool pmd_mapped;           /* the step's PMD range is PMD-mapped afterwards */
};

/* Run sc under kernel k (no exact override): model[i] for program step i;
 * model must hold sc->program.nr_ops entries.  Steps after a model error
 * are marked error with the same err. */
int khp_model_steps(const struct khp_scenario *sc, enum khp_kernel k,
		    struct khp_model_step *model);

struct khp_diff {
	char field[24];
	char real[96];
	char model[96];
};
#define KHP_MAX_DIFFS 8

/* The verdict of one row; khp_oracle_compare() gives the first three. */
enum khp_verdict_oracle {
	KHP_ORACLE_AGREE,
	KHP_ORACLE_DIFFER,         /* a step that ran differs, undocumented */
	KHP_ORACLE_SKIPPED,        /* not comparable (no swap, conflict, ...) */
	KHP_ORACLE_KNOWN,          /* differs only as the known-differences list says */
	KHP_ORACLE_MISSING,        /* a finished scenario printed no line for it */
	KHP_ORACLE_NOT_RUN,        /* the guest stopped (panic, timeout) before it */
	KHP_ORACLE_REFUSED,        /* emit-c refuses the scenario */
};

/*
 * Compare one guest step with the model.  Fills diffs (at most
 * KHP_MAX_DIFFS) and *nr_diffs; skip_reason is set for SKIPPED.
 */
enum khp_verdict_oracle khp_oracle_compare(const struct khp_guest_step *g,
					   const struct khp_model_step *m, enum khp_kernel k,
					   struct khp_diff *diffs, size_t *nr_diffs,
					   const char **skip_reason);

/* ---- known differences (known.c) ---------------------------------------- */

struct khp_known {
	char scenario[KHP_EMIT_NAME_MAX];   /* "*" matches every scenario */
	long step;                          /* -1: every step */
	char kernel[8];                     /* "6.1", "6.12", "7.3" or "*" */
	char field[24];                     /* "*" matches every field */
	char *reason, *source;
};
struct khp_known_list {
	struct khp_known *v;
	size_t nr;
};
/* Load oracle/known-differences.json; a message naming the file and the
 * JSON path of the first problem in err. */
int khp_known_load(const char *path, struct khp_known_list *kl, char *err, size_t errlen);
void khp_known_free(struct khp_known_list *kl);
/* The entry covering (scenario, step, kernel, field), or NULL. */
const struct khp_known *khp_known_find(const struct khp_known_list *kl, const char *scenario,
				       unsigned step, enum khp_kernel k, const char *field);

/* ---- a comparison run (rows.c) ----------------------------------------- */

/* One guest log and what the host knows about it (scripts/oracle). */
struct khp_oracle_guest {
	const char *path;
	enum khp_kernel kernel;
	char package[128];         /* Debian package of its vmlinuz, "" if not given */
	char package_version[64];  /* that package's version, "" if not given */
	unsigned boots;            /* boots it took (1 + retries), 0 if not given */
	struct khp_guest_log log;
};

/* One row of the table: a scenario's step on one kernel. */
struct khp_oracle_row {
	char scenario[KHP_EMIT_NAME_MAX];
	long step;                 /* -1 for a refused scenario */
	const char *op;            /* khp_op_name() of the step, "-" */
	enum khp_kernel kernel;
	enum khp_verdict_oracle verdict;
	struct khp_diff diffs[KHP_MAX_DIFFS];
	size_t nr_diffs;
	char why[256];             /* reason of a skip / known / missing / refusal */
	bool has_guest;
	struct khp_guest_step guest;    /* the guest's line, if any */
};

struct khp_oracle_totals {
	unsigned steps, agree, differ, known, skipped, missing, not_run;
};

struct khp_oracle_rows {
	struct khp_oracle_row *v;
	size_t nr, cap;
	struct khp_oracle_totals t;
};

/* Append the rows of scenario sc (from file) against guest g; -ENOMEM. */
int khp_oracle_scenario(const struct khp_scenario *sc, const char *file,
			const struct khp_oracle_guest *g, const struct khp_known_list *known,
			struct khp_oracle_rows *rows);
void khp_oracle_rows_free(struct khp_oracle_rows *rows);

enum khp_oracle_outcome {
	KHP_ORACLE_OK,             /* every step agrees or differs only as documented */
	KHP_ORACLE_DISAGREE,       /* a step that ran differs, or a finished one is missing */
	KHP_ORACLE_INCOMPLETE,     /* no disagreement, but a guest did not complete */
};
/* A disagreement wins over an incomplete guest. */
enum khp_oracle_outcome khp_oracle_outcome(const struct khp_oracle_rows *rows,
					   const struct khp_oracle_guest *guests, size_t n);

/* ---- the table and the JSON summary (summary.c) ------------------------- */

void khp_oracle_print_header(FILE *f);
/* "# PATH: linux-7.3 7.3.4+deb13-amd64 (pkg=ver), 2 boots, panicked at ..." */
void khp_oracle_print_guest(FILE *f, const struct khp_oracle_guest *g);
void khp_oracle_print_row(FILE *f, const struct khp_oracle_row *r);
void khp_oracle_print_totals(FILE *f, const struct khp_oracle_totals *t);
/* The JSON summary: every row, every guest (profile, release, package,
 * version, boots, end), the totals.  -EIO if a write failed. */
int khp_oracle_write_json(FILE *f, const struct khp_oracle_rows *rows,
			  const struct khp_oracle_guest *guests, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* KHPSIM_ORACLE_H */
