/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The bridge to real kernels (docs/oracle.md), the way there.
 *
 * emit: a scenario becomes one self-contained C program (libc + Linux
 * UAPI headers only) that performs the program with real syscalls, one
 * process per mm, and prints one "KHPSIM-STEP key=value ..." line per
 * khugepaged / collapse step.  Scenario page p is mapped at
 * KHP_EMIT_BASE + p * 4 KiB.  Ops a real kernel cannot realise are refused
 * with a message naming the op and the step; nothing is skipped silently.
 *
 * The way back (the guest's log, the comparison with the model, the known
 * differences) is khpsim/oracle.h.
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

#ifdef __cplusplus
}
#endif
#endif /* KHPSIM_EMIT_H */
