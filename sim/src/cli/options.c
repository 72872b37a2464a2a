/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Options of every subcommand, through getopt_long(3) with its messages
 * replaced by one line each that names the option:
 *   khpsim explore: unknown option '--frobnicate'
 *   khpsim explore: option '--out' needs a value
 *   khpsim replay: option '--json' takes no value
 * A value taken from the next word that looks like an option ("--out
 * --runs 10") counts as missing: write "--out=--runs" to mean it.  Numbers
 * and profile lists go through the library's parsers (khpsim/parse.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "khpsim/parse.h"

void cli_init(struct cli *c, const char *cmd, int argc, char **argv, const char *shortopts,
	      const struct option *longopts)
{
	c->cmd = cmd;
	c->argc = argc;
	c->argv = argv;
	c->shortopts = shortopts;
	c->longopts = longopts;
	c->arg = NULL;
	optind = 0;                       /* glibc: start over, as for a new argv */
	opterr = 0;
}

int cli_fail(const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "khpsim %s: ", cmd);
	cli_text(stderr, msg);
	fputc('\n', stderr);
	return KHP_EXIT_USAGE;
}

void cli_text(FILE *f, const char *s)
{
	khp_text_put(f, s);
}

static const struct option *long_by_val(const struct cli *c, int val)
{
	for (const struct option *o = c->longopts; o && o->name; o++)
		if (!o->flag && o->val == val)
			return o;
	return NULL;
}

const char *cli_optname(const struct cli *c, int val, char *buf, size_t n)
{
	const struct option *o = long_by_val(c, val);

	if (o)
		snprintf(buf, n, "--%s", o->name);
	else
		snprintf(buf, n, "-%c", val > 0 && val < 128 ? val : '?');
	return buf;
}

/* The word getopt just looked at, as written up to any "=value". */
static void last_word(const struct cli *c, char *buf, size_t n)
{
	const char *w = optind > 0 && optind <= c->argc ? c->argv[optind - 1] : "?";
	const char *eq = strchr(w, '=');

	snprintf(buf, n, "%.*s", (int)(eq && !strncmp(w, "--", 2) ? eq - w : (int)strlen(w)), w);
}

/* "--pr" abbreviates more than one option: their names into buf, else false. */
static bool ambiguous(const struct cli *c, const char *word, char *buf, size_t n)
{
	size_t len = strlen(word + 2), o = 0, hits = 0;
	int first = 0;

	buf[0] = 0;
	for (const struct option *opt = c->longopts; opt && opt->name; opt++) {
		if (strncmp(opt->name, word + 2, len))
			continue;
		if (hits++ && opt->val == first)
			continue;
		if (hits == 1)
			first = opt->val;
		o += (size_t)snprintf(buf + (o < n ? o : n), o < n ? n - o : 0, "%s--%s",
				      o ? ", " : "", opt->name);
	}
	return hits > 1 && strchr(buf, ',');
}

/* A usage error from getopt ('?' or ':'): its one line. */
static int bad_option(const struct cli *c, int rc)
{
	const struct option *o = optopt ? long_by_val(c, optopt) : NULL;
	char word[128], name[160], which[256];

	last_word(c, word, sizeof(word));
	/* a long option is named by its word; a short one by its letter */
	if (!strncmp(word, "--", 2) && o && !strncmp(word + 2, o->name, strlen(o->name)))
		snprintf(name, sizeof(name), "--%s", o->name);
	else if (optopt)
		snprintf(name, sizeof(name), "-%c", optopt);
	else
		snprintf(name, sizeof(name), "%s", word);
	if (rc == ':')
		cli_fail(c->cmd, "option '%s' needs a value", name);
	else if (optopt && !strncmp(word, "--", 2) && o)
		cli_fail(c->cmd, "option '%s' takes no value", name);
	else if (!optopt && !strncmp(word, "--", 2) && ambiguous(c, word, which, sizeof(which)))
		cli_fail(c->cmd, "ambiguous option '%s' (%s)", name, which);
	else
		cli_fail(c->cmd, "unknown option '%s' (khpsim %s --help lists them)", name, c->cmd);
	return CLI_BAD;
}

/* A value in the next word that is an option itself ("--out --runs"), not "-" or "-1". */
static bool looks_like_option(const struct cli *c)
{
	const char *a = c->arg;

	return a == c->argv[optind - 1] && a[0] == '-' &&
	       (a[1] == '-' || (a[1] >= 'a' && a[1] <= 'z') || (a[1] >= 'A' && a[1] <= 'Z'));
}

int cli_next(struct cli *c)
{
	char sopts[64], name[64];
	int rc;

	snprintf(sopts, sizeof(sopts), ":%s", c->shortopts ? c->shortopts : "");
	rc = getopt_long(c->argc, c->argv, sopts, c->longopts, NULL);
	c->arg = optarg;
	if (rc == '?' || rc == ':')
		return bad_option(c, rc);
	if (rc >= 0 && c->arg && looks_like_option(c)) {
		cli_fail(c->cmd, "option '%s' needs a value (got the option '%s'; "
			 "write %s=%s if that is the value)", cli_optname(c, rc, name, sizeof(name)),
			 c->arg, name, c->arg);
		return CLI_BAD;
	}
	return rc;
}

char **cli_operands(const struct cli *c, int *nr)
{
	*nr = optind < c->argc ? c->argc - optind : 0;
	return c->argv + (optind < c->argc ? optind : c->argc);
}

int cli_number(const struct cli *c, int val, uint64_t min, uint64_t max, uint64_t *out)
{
	char msg[160], name[64];

	if (khp_parse_u64(c->arg, min, max, out, msg, sizeof(msg))) {
		cli_fail(c->cmd, "%s: %s", cli_optname(c, val, name, sizeof(name)), msg);
		return -EINVAL;
	}
	return 0;
}

int cli_decimal(const struct cli *c, int val, double min, double max, double *out)
{
	char msg[160], name[64];

	if (khp_parse_decimal(c->arg, min, max, out, msg, sizeof(msg))) {
		cli_fail(c->cmd, "%s: %s", cli_optname(c, val, name, sizeof(name)), msg);
		return -EINVAL;
	}
	return 0;
}

int cli_profiles(const struct cli *c, int val, struct khp_profile *out, size_t max, size_t *nr)
{
	char msg[256], name[64];

	if (khp_profile_list_parse(c->arg, out, max, nr, msg, sizeof(msg))) {
		cli_fail(c->cmd, "%s: %s", cli_optname(c, val, name, sizeof(name)), msg);
		return -EINVAL;
	}
	return 0;
}
