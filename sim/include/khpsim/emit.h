/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The bridge to real kernels (design.md section 8, docs/oracle.md).
 *
 * emit: a scenario becomes one self-contained C program (libc + Linux
 * UAPI headers only) that performs the program with real syscalls, one
 * process per mm, and prints one "KHPSIM-STEP key=value ..." line per
 * khugepaged / collapse step.  Scenario page p is mapped at
 * KHP_EMIT_BASE + p * 4 KiB.  Ops a real kernel cannot realise are refused
 * with a message naming the op and the step; nothing is skipped silently.
 *
 * guest log + compare: the lines a guest printed are parsed back and each
 * step is compared with the simulator's record for the matching profile.
 *
 * Error convention as in khpsim.h: 0 or a negative errno.
 */
#ifndef KHPSIM_EMIT_H
#define KHPSIM_EMIT_H

#include <stdio.h>

#include "khpsim.h"
#include "scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KHP_EMIT_BASE      0x40000000ull   /* 1 GiB, as the kernel selftest */
#define KHP_EMIT_PAGE_SIZE 4096u
#define KHP_EMIT_NAME_MAX  96

/*
 * 0 if sc can be realised on a real x86-64 kernel, else -ENOTSUP with a
 * message such as "step 4: op 'age' cannot be realised: ...".
 */
int khp_emit_check(const struct khp_scenario *sc, char *msg, size_t msglen);

/*
 * The token a scenario is known by in guest output: sc->name, else the
 * file's base name without ".json"; characters outside [A-Za-z0-9._-]
 * become '_'.
 */
void khp_emit_name(const struct khp_scenario *sc, const char *file, char *buf, size_t len);

/*
 * Write one C program running scs[0..n-1] in order (files[i] names
 * scs[i] in comments and, without a scenario name, in output).  Every
 * scenario must pass khp_emit_check().  Returns 0, -ENOTSUP (with the
 * refusal in err) or -EIO.
 */
int khp_emit_c(FILE *out, const struct khp_scenario *const *scs, const char *const *files,
	       size_t n, char *err, size_t errlen);

/* ---- guest output ------------------------------------------------------ */

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

struct khp_guest_log {
	char release[96];          /* uname -r of the guest */
	struct khp_guest_step *steps;
	size_t nr, cap;
	/* scenario names with "swap=unavailable" / "mthp=unsupported" notes */
	char (*no_swap)[KHP_EMIT_NAME_MAX];
	size_t nr_no_swap;
	char (*no_mthp)[KHP_EMIT_NAME_MAX];
	size_t nr_no_mthp;
	bool done;                 /* "KHPSIM-DONE" seen: the guest finished */
};

/* 1 and *out filled for a KHPSIM-STEP line, 0 for any other line, -EINVAL
 * for a malformed KHPSIM-STEP line. */
int khp_guest_parse_line(const char *line, struct khp_guest_step *out);
/* Read a whole guest log (serial console output; other lines ignored). */
int khp_guest_log_read(FILE *f, struct khp_guest_log *log, char *err, size_t errlen);
void khp_guest_log_free(struct khp_guest_log *log);
/* "6.1.0-56-amd64" -> KHP_LINUX_6_1 etc.; -EINVAL if unknown. */
int khp_guest_kernel(const char *release, enum khp_kernel *out);

/* ---- comparison ------------------------------------------------------- */

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

enum khp_verdict_oracle {
	KHP_ORACLE_AGREE,
	KHP_ORACLE_DIFFER,
	KHP_ORACLE_SKIPPED,        /* not comparable (no swap, conflict, ...) */
};

/*
 * Compare one guest step with the model.  Fills diffs (at most
 * KHP_MAX_DIFFS) and *nr_diffs; skip_reason is set for SKIPPED.
 */
enum khp_verdict_oracle khp_oracle_compare(const struct khp_guest_step *g,
					   const struct khp_model_step *m, enum khp_kernel k,
					   struct khp_diff *diffs, size_t *nr_diffs,
					   const char **skip_reason);

/* Known differences (oracle/known-differences.json). */
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
int khp_known_load(const char *path, struct khp_known_list *kl, char *err, size_t errlen);
void khp_known_free(struct khp_known_list *kl);
/* The entry covering (scenario, step, kernel, field), or NULL. */
const struct khp_known *khp_known_find(const struct khp_known_list *kl, const char *scenario,
				       unsigned step, enum khp_kernel k, const char *field);

#ifdef __cplusplus
}
#endif
#endif /* KHPSIM_EMIT_H */
