/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Parsers of user text that every front end shares (the scenario reader,
 * the options of every khpsim subcommand, the KHP_* environment of the fuzz
 * targets): decimal numbers and profile lists; and what every output
 * shares: text escaped for a terminal, strings escaped for JSON.
 *
 * Numbers are decimal only ("010" is ten, not octal eight; no sign, no
 * spaces, no "0x"), range-checked, and never wrap: a value too large for
 * 64 bits is out of range like any other.
 *
 * Error convention as in khpsim.h: 0 or a negative errno, and a one-line
 * message in msg (may be NULL) that quotes the offending text.
 */
#ifndef KHPSIM_PARSE_H
#define KHPSIM_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "khpsim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A decimal integer in min..max.  0, -EINVAL (not a decimal number) or -ERANGE. */
int khp_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		  char *msg, size_t msglen);

/* A decimal number with an optional fraction ("0.5", "3"; no exponent) in min..max. */
int khp_parse_decimal(const char *s, double min, double max, double *out,
		      char *msg, size_t msglen);

/*
 * A comma-separated list of profiles ("linux-6.1,linux-6.12+exact"): each
 * one khp_profile_parse() accepts, none twice, no empty element, at least
 * one and at most max.  0, -EINVAL or -E2BIG; the message lists the valid
 * profiles.
 */
int khp_profile_list_parse(const char *s, struct khp_profile *out, size_t max, size_t *nr,
			   char *msg, size_t msglen);

/* The valid profile names, for messages: "linux-6.1, linux-6.12, linux-7.3, each optionally +exact". */
const char *khp_profile_valid_names(void);

/* ---- text out (run/text.c) ----------------------------------------------- */

/*
 * Length of the well-formed UTF-8 sequence at p (1..4; no overlong forms,
 * surrogates or code points above U+10FFFF), or 0 if the bytes there are
 * not UTF-8.  avail: bytes readable at p.
 */
size_t khp_utf8_len(const unsigned char *p, size_t avail);

/*
 * s made safe for a terminal: control characters (C0 including newline
 * and tab, DEL, and the C1 range U+0080..U+009F) become \xNN or \u00NN and
 * bytes that are not UTF-8 become \xNN; the rest is copied.  dst gets at
 * most n - 1 bytes, cut on a character boundary.  Returns dst.
 */
char *khp_text_escape(char *dst, size_t n, const char *s);
/* The same on f, whole. */
void khp_text_put(FILE *f, const char *s);

/*
 * s as a JSON string literal on f: valid UTF-8 whatever s holds.  ", \ and
 * control characters are escaped (\n, \t, \r, else \u00NN, C1 and DEL
 * included); a byte that is not UTF-8 becomes U+FFFD.  NULL prints "".
 */
void khp_json_put_string(FILE *f, const char *s);

#ifdef __cplusplus
}
#endif
#endif /* KHPSIM_PARSE_H */
