/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Decimal numbers and profile lists from user text (khpsim/parse.h).
 * Nothing here uses strtoul(): it accepts signs, spaces, octal and hex, and
 * wraps "-1" to ULONG_MAX.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "khpsim/parse.h"
#include "run/run.h"

/* Kept equal to the profile names of run/profile.c (test_knobs checks it). */
static const char valid_profiles[] =
	"linux-6.1, linux-6.12, linux-7.3, each optionally +exact";

const char *khp_profile_valid_names(void)
{
	return valid_profiles;
}


/* User text quoted in a message: escaped for the terminal, at most ~40 bytes. */
#define Q(s) khp_text_escape((char[48]){ 0 }, 48, (s))

/*
 * The digits of s as a number: 0 and *out, or -EINVAL (no digits, or any
 * other character), or -ERANGE (more than 64 bits).  *end: first character
 * not a digit (so that a fraction can follow).
 */
static int scan_digits(const char *s, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *p = s;
	int rc = 0;

	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			rc = -ERANGE;          /* keep scanning: "1e" is still not a number */
		else
			v = v * 10 + d;
	}
	*end = p;
	if (p == s)
		return -EINVAL;
	*out = v;
	return rc;
}

int khp_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		  char *msg, size_t msglen)
{
	const char *end;
	uint64_t v = 0;
	int rc;

	if (!s)
		return run_say(msg, msglen, -EINVAL, "a decimal number is missing");
	rc = scan_digits(s, &v, &end);
	if (rc == -EINVAL || *end)
		return run_say(msg, msglen, -EINVAL, "\"%s\" is not a decimal number", Q(s));
	if (rc || v < min || v > max)
		return run_say(msg, msglen, -ERANGE, "%s is out of range (%llu..%llu)", Q(s),
			   (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int khp_parse_decimal(const char *s, double min, double max, double *out,
		      char *msg, size_t msglen)
{
	const char *end, *frac;
	uint64_t ip = 0;
	double v, scale = 1;
	int rc;

	if (!s)
		return run_say(msg, msglen, -EINVAL, "a decimal number is missing");
	rc = scan_digits(s, &ip, &end);
	v = (double)ip;
	if (rc != -EINVAL && *end == '.') {
		frac = end + 1;
		for (end = frac; *end >= '0' && *end <= '9'; end++) {
			scale /= 10;
			v += (*end - '0') * scale;
		}
		if (end == frac)
			end = frac - 1;            /* "3." is not a number */
	}
	if (rc == -EINVAL || *end)
		return run_say(msg, msglen, -EINVAL, "\"%s\" is not a decimal number", Q(s));
	if (rc || v < min || v > max)
		return run_say(msg, msglen, -ERANGE, "%s is out of range (%.10g..%.10g)", Q(s), min, max);
	*out = v;
	return 0;
}

int khp_profile_list_parse(const char *s, struct khp_profile *out, size_t max, size_t *nr,
			   char *msg, size_t msglen)
{
	const char *p = s;
	size_t n = 0;

	if (!s || !*s)
		return run_say(msg, msglen, -EINVAL, "no profile given (%s)", valid_profiles);
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		struct khp_profile pr;
		char name[KHP_PROFILE_NAME_MAX];

		if (!len)
			return run_say(msg, msglen, -EINVAL, "empty profile name in \"%s\" (%s)", Q(s),
				   valid_profiles);
		char why[512];

		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		if (len >= sizeof(name))
			return run_say(msg, msglen, -EINVAL, "profile name \"%s...\" too long", Q(name));
		if (khp_profile_parse_msg(name, &pr, why, sizeof(why)))
			return run_say(msg, msglen, -EINVAL, "%s", why);
		for (size_t i = 0; i < n; i++)
			if (khp_profile_same(&out[i], &pr))
				return run_say(msg, msglen, -EINVAL,
					   "profile \"%s\" listed twice (%s)", name, valid_profiles);
		if (n == max)
			return run_say(msg, msglen, -E2BIG, "more than %zu profiles", max);
		out[n++] = pr;
		if (!comma)
			break;
		p = comma + 1;
	}
	*nr = n;
	return 0;
}
