/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * khp_test: PMD maps in tests.  A spec is the run-length form of the map
 * khp_world_pmd_map() draws (the alphabet of `khpsim replay`, see
 * khp_test.h); assert_map() compares a range with one and, when they
 * differ, prints both specs and the rows of 64 PTEs that differ with a
 * marker under each differing PTE.
 */
#include "khp_test.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The map characters of khp_pmd_map_legend; a spec writes ' ' as '~'. */
static const char t_map_chars[] = ".0eEsSwHz_~";

static char spec_to_map(char c)
{
	return c == '~' ? ' ' : c;
}

static char map_to_spec(char c)
{
	return c == ' ' ? '~' : c;
}

/*
 * One token "[count][*]char" at *s: 0 and the run, or -EINVAL.  A token of
 * digits alone is only "0" (one zero page): "10" would be ambiguous.
 */
static int spec_token(const char **s, unsigned long *count, char *c, char *err, size_t errlen)
{
	const char *tok = *s, *p = tok;
	unsigned long n = 0;

	while (isdigit((unsigned char)*p) && n <= KHP_PMD_PAGES_MAX)
		n = n * 10 + (unsigned long)(*p++ - '0');
	if (*p == '*' && p > tok)
		p++;
	else if (!*p || *p == ' ')
		p = (p == tok + 1 && *tok == '0') ? tok : NULL;
	if (!p || !*p || !strchr(t_map_chars, *p)) {
		snprintf(err, errlen, "no map character in \"%.12s\" (one of \"%s\"; a run of "
			 "zero pages is N*0)", tok, t_map_chars);
		return -EINVAL;
	}
	if (p[1] && p[1] != ' ') {
		snprintf(err, errlen, "no space after \"%.*s\"", (int)(p + 1 - tok), tok);
		return -EINVAL;
	}
	*count = p == tok ? 1 : n;
	if (!*count || *count > KHP_PMD_PAGES_MAX) {
		snprintf(err, errlen, "bad count in \"%.*s\"", (int)(p + 1 - tok), tok);
		return -EINVAL;
	}
	*c = spec_to_map(*p);
	*s = p + 1;
	return 0;
}

int t_map_expand(const char *spec, unsigned pmd_pages, char *out, size_t n,
		 char *err, size_t errlen)
{
	const char *s = spec;
	size_t len = 0;

	if (n < (size_t)pmd_pages + 1) {
		snprintf(err, errlen, "buffer too small");
		return -EINVAL;
	}
	for (;;) {
		unsigned long count;
		char c;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (spec_token(&s, &count, &c, err, errlen))
			return -EINVAL;
		if (len + count > pmd_pages) {
			snprintf(err, errlen, "covers more than %u PTEs", pmd_pages);
			return -EINVAL;
		}
		memset(out + len, c, count);
		len += count;
	}
	if (len != pmd_pages) {
		snprintf(err, errlen, "covers %zu of %u PTEs", len, pmd_pages);
		return -EINVAL;
	}
	out[len] = 0;
	return 0;
}

void t_map_spec(const char *map, char *out, size_t n)
{
	size_t i = 0, len = strlen(map), used = 0;

	out[0] = 0;
	while (i < len && used < n) {
		size_t run = 1;
		char c = map[i];
		int w;

		while (i + run < len && map[i + run] == c)
			run++;
		w = snprintf(out + used, n - used, "%s%zu%s%c", used ? " " : "", run,
			     c == '0' ? "*" : "", map_to_spec(c));
		if (w < 0)
			break;
		used += (size_t)w;
		i += run;
	}
}

const char *t_map_runs_(char *buf, size_t n, ...)
{
	size_t used = 0;
	int count;
	va_list ap;

	buf[0] = 0;
	va_start(ap, n);
	while ((count = va_arg(ap, int)) >= 0) {
		char c = (char)va_arg(ap, int);
		int w;

		if (!count)
			continue;
		w = snprintf(buf + used, n - used, "%s%d%s%c", used ? " " : "", count,
			     c == '0' ? "*" : "", c);
		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
	va_end(ap);
	return buf;
}

void t_print_map(const char *title, const char *map)
{
	char spec[T_SPEC_MAX];
	size_t n = strlen(map), i;

	t_map_spec(map, spec, sizeof(spec));
	print_error("  %s: \"%s\"\n  (%zu PTEs; %s)\n", title, spec, n, khp_pmd_map_legend);
	for (i = 0; i < n; i += 64)
		print_error("    %4zu |%.64s|\n", i, map + i);
}

/* The rows of 64 PTEs where exp and act differ, each with a marker row. */
static void print_diff_rows(const char *exp, const char *act, size_t n)
{
	for (size_t row = 0; row < n; row += 64) {
		size_t w = n - row < 64 ? n - row : 64;
		char mark[65];

		if (!memcmp(exp + row, act + row, w))
			continue;
		for (size_t i = 0; i < w; i++)
			mark[i] = exp[row + i] == act[row + i] ? ' ' : '^';
		mark[w] = 0;
		print_error("    %4zu |%.*s| expected\n", row, (int)w, exp + row);
		print_error("         |%.*s| actual\n", (int)w, act + row);
		print_error("         |%s|\n", mark);
	}
}

bool t_map_matches(const char *ctx, const char *where, const char *map, unsigned pmd_pages,
		   const char *spec, const char *file, int line)
{
	char exp[KHP_MAP_MAX], err[128], act_spec[T_SPEC_MAX];
	size_t n = strlen(map), diff = 0, first = 0;

	if (t_map_expand(spec, pmd_pages, exp, sizeof(exp), err, sizeof(err))) {
		print_error("%s:%d: %s%s%s: bad map spec \"%s\": %s\n", file, line, ctx ? ctx : "",
			    ctx ? ": " : "", where, spec, err);
		return false;
	}
	if (!strcmp(exp, map))
		return true;
	for (size_t i = n; i-- > 0;)
		if (exp[i] != map[i])
			diff++, first = i;
	t_map_spec(map, act_spec, sizeof(act_spec));
	print_error("%s:%d: %s%s%s: %zu of %zu PTEs differ, the first at PTE %zu (expected '%c', "
		    "actual '%c')\n", file, line, ctx ? ctx : "", ctx ? ": " : "", where, diff, n,
		    first, exp[first], map[first]);
	print_error("  expected \"%s\"\n", spec);
	print_error("  actual   \"%s\"\n", act_spec);
	print_error("  legend: %s (a spec writes ' ' as '~')\n", khp_pmd_map_legend);
	print_diff_rows(exp, map, n);
	return false;
}

void t_assert_map_(const struct khp_world *w, unsigned mm, uint64_t addr, const char *spec,
		   const char *ctx, const char *file, int line)
{
	unsigned nr = khp_world_config(w)->pmd_pages;
	char map[KHP_MAP_MAX], where[128], a[64];
	int err = khp_world_pmd_map(w, mm, addr, map, sizeof(map));

	if (err) {
		print_error("%s:%d: khp_world_pmd_map(mm %u, addr %llu) failed with %d\n", file,
			    line, mm, (unsigned long long)addr, err);
		_fail(file, line);
	}
	snprintf(where, sizeof(where), "PMD map of mm %u at %s", mm,
		 t_addr_str(a, sizeof(a), addr & ~(uint64_t)(nr - 1), nr));
	if (!t_map_matches(ctx, where, map, nr, spec, file, line))
		_fail(file, line);
}
