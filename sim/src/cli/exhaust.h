/* SPDX-License-Identifier: GPL-2.0-only */
/* `khpsim exhaust`: what exhaust.c (the command) and exhaust_io.c (output, shard files) share. */
#ifndef KHPSIM_CLI_EXHAUST_H
#define KHPSIM_CLI_EXHAUST_H

#include "cli/cli.h"
#include "khpsim/exhaust.h"

#define EXHAUST_MAX_PROFILES 8
#define EXHAUST_LIFT_PAGES 512u

struct exhaust_profile {
	struct khp_profile prof;
	struct khp_exhaust_result r;
	long lifted_fn_waste;      /* the witness at EXHAUST_LIFT_PAGES; -1: no witness or refused */
	char lift_note[320];       /* why a construction does not scale, or "" */
	char witness_file[4096];
	double seconds;            /* wall clock: the only field that is not reproducible */
};

struct exhaust {
	struct khp_exhaust_bounds b;
	struct exhaust_profile p[EXHAUST_MAX_PROFILES];
	size_t nr;
	const char *out;
	bool json, quiet;
	char command[2048];        /* the command that reproduces the certificate */
};

/* The text report on stdout (or JSON with x->json). */
void exhaust_print(const struct exhaust *x);
/* The witness of x->p[i] lifted to 512 pages: fills lifted_fn_waste and lift_note. */
void exhaust_lift(const struct exhaust *x, struct exhaust_profile *p);
/* --out DIR: certificate.json, one PROFILE.sets per profile, the witness scenarios. */
int exhaust_write(struct exhaust *x);
/* --merge: read every .sets file of the directories dirs into x (bounds must agree). */
int exhaust_merge_dirs(struct exhaust *x, char **dirs, int nr);
/* The ops of a witness as text, one line each, indented. */
void exhaust_print_witness(FILE *f, const struct exhaust *x, const struct exhaust_profile *p);

#endif
