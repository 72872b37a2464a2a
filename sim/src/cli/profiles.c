/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `khpsim profiles`: the rules table (sim/src/mm/rules.c) for people.
 * Every rule with its values and meanings, each profile's value, and the
 * kernel source each kernel row mirrors; `--diff A B` lists the rules in
 * which two profiles differ; `--markdown` prints the table of
 * docs/profiles.md (a test keeps the two equal).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "khpsim/khpsim.h"
#include "khpsim/report.h"

#define MAX_SHOWN 16

static void usage(FILE *f)
{
	fputs("usage: khpsim profiles [--json | --markdown] [PROFILE...]\n"
	      "       khpsim profiles --diff A B\n"
	      "\n"
	      "Every rule in which the modelled kernels differ: its values and their\n"
	      "meaning, each profile's value (default: linux-6.1, linux-6.12, linux-7.3)\n"
	      "and the kernel source each kernel's value mirrors.  A PROFILE is a kernel\n"
	      "with modifiers: linux-6.12+exact, linux-6.12+shared=page_mapcount.\n"
	      "\n"
	      "  --json       the same as one JSON document\n"
	      "  --markdown   the rules table of docs/profiles.md\n"
	      "  --diff A B   only the rules in which profiles A and B differ\n"
	      "\n"
	      "Exit status: 0 ok (--diff: also when they differ), 2 bad profile or usage.\n", f);
}

static const char *value_name(const struct khp_rule_info *ri, const struct khp_rules *r)
{
	return ri->values[khp_rule_get(r, ri)].name;
}

static void print_text(const struct khp_profile *p, size_t n)
{
	for (unsigned i = 0; i < KHP_NR_RULES; i++) {
		const struct khp_rule_info *ri = khp_rule_info(i);

		printf("%s: %s\n", ri->name, ri->meaning);
		if (ri->requires)
			printf("  (changes only while %s=1)\n", ri->requires);
		for (unsigned v = 0; v < ri->nr_values; v++)
			printf("  %-22s %s\n", ri->values[v].name, ri->values[v].meaning);
		for (size_t j = 0; j < n; j++) {
			printf("  %-22s = %s", khp_profile_name(&p[j]), value_name(ri, &p[j].rules));
			if (khp_rule_get(&p[j].rules, ri) ==
			    khp_rule_get(khp_kernel_rules(p[j].kernel), ri))
				printf("   %s", ri->source[p[j].kernel]);
			printf("\n");
		}
		printf("\n");
	}
}

static void json_rule(const struct khp_rule_info *ri, const struct khp_profile *p, size_t n)
{
	printf("    {\"name\": \"%s\", \"meaning\": ", ri->name);
	khp_report_json_string(stdout, ri->meaning);
	printf(", \"requires\": ");
	if (ri->requires)
		printf("\"%s\"", ri->requires);
	else
		printf("null");
	printf(",\n      \"values\": [");
	for (unsigned v = 0; v < ri->nr_values; v++) {
		printf("%s{\"name\": \"%s\", \"meaning\": ", v ? ", " : "", ri->values[v].name);
		khp_report_json_string(stdout, ri->values[v].meaning);
		printf("}");
	}
	printf("],\n      \"sources\": {");
	for (unsigned k = 0; k < KHP_NR_KERNELS; k++) {
		printf("%s\"%s\": ", k ? ", " : "", khp_kernel_name((enum khp_kernel)k));
		khp_report_json_string(stdout, ri->source[k]);
	}
	printf("},\n      \"profiles\": {");
	for (size_t j = 0; j < n; j++) {
		printf("%s", j ? ", " : "");
		khp_report_json_string(stdout, khp_profile_name(&p[j]));
		printf(": \"%s\"", value_name(ri, &p[j].rules));
	}
	printf("}}");
}

static void print_json(const struct khp_profile *p, size_t n)
{
	printf("{\n  \"khpsim\": 1,\n  \"rules\": [\n");
	for (unsigned i = 0; i < KHP_NR_RULES; i++) {
		json_rule(khp_rule_info(i), p, n);
		printf("%s\n", i + 1 < KHP_NR_RULES ? "," : "");
	}
	printf("  ]\n}\n");
}

/* A Markdown table cell: '|' would end the cell. */
static void md_cell(const char *s)
{
	for (; *s; s++)
		fputs(*s == '|' ? "\\|" : (char[]){ *s, 0 }, stdout);
}

static void print_markdown(void)
{
	printf("| rule | meaning | values | linux-6.1 | linux-6.12 | linux-7.3 |\n");
	printf("|---|---|---|---|---|---|\n");
	for (unsigned i = 0; i < KHP_NR_RULES; i++) {
		const struct khp_rule_info *ri = khp_rule_info(i);

		printf("| `%s` | ", ri->name);
		md_cell(ri->meaning);
		if (ri->requires)
			printf(" (only with `%s=1`)", ri->requires);
		printf(" | ");
		for (unsigned v = 0; v < ri->nr_values; v++)
			printf("%s`%s`", v ? ", " : "", ri->values[v].name);
		for (unsigned k = 0; k < KHP_NR_KERNELS; k++) {
			printf(" | `%s`: ", value_name(ri, khp_kernel_rules((enum khp_kernel)k)));
			md_cell(ri->source[k]);
		}
		printf(" |\n");
	}
}

static int print_diff(const struct khp_profile *a, const struct khp_profile *b)
{
	unsigned differ = 0;

	for (unsigned i = 0; i < KHP_NR_RULES; i++) {
		const struct khp_rule_info *ri = khp_rule_info(i);

		if (khp_rule_get(&a->rules, ri) == khp_rule_get(&b->rules, ri))
			continue;
		if (!differ++)
			printf("%-22s %-24s %s\n", "rule", khp_profile_name(a), khp_profile_name(b));
		printf("%-22s %-24s %s\n", ri->name, value_name(ri, &a->rules),
		       value_name(ri, &b->rules));
	}
	if (!differ)
		printf("%s and %s have the same rules\n", khp_profile_name(a), khp_profile_name(b));
	return KHP_EXIT_OK;
}

static int parse_profiles(int argc, char **argv, struct khp_profile *p, size_t *n)
{
	char msg[768];

	for (int i = 0; i < argc; i++) {
		if (*n == MAX_SHOWN) {
			fprintf(stderr, "profiles: at most %d profiles\n", MAX_SHOWN);
			return -1;
		}
		if (khp_profile_parse_msg(argv[i], &p[(*n)++], msg, sizeof(msg))) {
			fprintf(stderr, "profiles: %s\n", msg);
			return -1;
		}
	}
	return 0;
}

int cmd_profiles(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "markdown", no_argument, NULL, 'm' },
		{ "diff", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct khp_profile p[MAX_SHOWN];
	bool json = false, markdown = false, diff = false;
	size_t n = 0;
	struct cli cl;
	char **ops;
	int c, nr;

	cli_init(&cl, "profiles", argc, argv, "h", opts);
	while ((c = cli_next(&cl)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'm': markdown = true; break;
		case 'd': diff = true; break;
		case 'h': usage(stdout); return KHP_EXIT_OK;
		default: return KHP_EXIT_USAGE;
		}
	}
	if (json + markdown + diff > 1) {
		fprintf(stderr, "profiles: --json, --markdown and --diff exclude each other\n");
		return KHP_EXIT_USAGE;
	}
	ops = cli_operands(&cl, &nr);
	if (parse_profiles(nr, ops, p, &n))
		return KHP_EXIT_USAGE;
	if (diff) {
		if (n != 2) {
			fprintf(stderr, "profiles: --diff wants two profiles\n");
			return KHP_EXIT_USAGE;
		}
		return print_diff(&p[0], &p[1]);
	}
	if (markdown) {
		if (n) {
			fprintf(stderr, "profiles: --markdown shows the kernel rows only\n");
			return KHP_EXIT_USAGE;
		}
		print_markdown();
		return KHP_EXIT_OK;
	}
	if (!n)
		for (; n < KHP_NR_KERNELS; n++)
			p[n] = khp_profile_kernel((enum khp_kernel)n);
	if (json)
		print_json(p, n);
	else
		print_text(p, n);
	return KHP_EXIT_OK;
}
