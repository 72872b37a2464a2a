/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Lifting a program found at a small pmd_pages to a larger one
 * (docs/proofs.md#lifting): every address and length is mapped to its
 * counterpart.  An address is a PMD range k and an offset o in it; the
 * boundary offsets 0, 1, P/2-1, P/2, P/2+1, P-1 (and the end P) keep their
 * meaning at Q pages (0, 1, Q/2-1, Q/2, Q/2+1, Q-1, Q), every other offset
 * is scaled by Q/P.  Lengths are the distance between lifted end points;
 * the PTE limits are lifted as offsets.  The fuzzing campaign reuses it.
 */
#ifndef KHPSIM_LIFT_H
#define KHPSIM_LIFT_H

#include <stddef.h>
#include <stdint.h>
#include "khpsim/khpsim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Offset o (0..P) of a PMD range of P pages as an offset of a range of Q pages. */
uint64_t khp_lift_offset(uint64_t o, unsigned p, unsigned q);
/* Page address a at P pages per PMD range as the address at Q. */
uint64_t khp_lift_addr(uint64_t a, unsigned p, unsigned q);
/*
 * dst = src lifted to q pages per PMD range (dst is initialised here; the
 * caller frees it).  0, -EINVAL (q not a valid pmd_pages, or smaller than
 * src's) with msg, or -ENOMEM.
 */
int khp_lift_program(const struct khp_program *src, unsigned q, struct khp_program *dst,
		     char *msg, size_t len);

#ifdef __cplusplus
}
#endif
#endif
