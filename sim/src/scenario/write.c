/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The canonical writer: keys in a fixed order, defaults omitted, 2-space
 * indent, one op / expectation per line, so write -> read -> write is the
 * identity.  Strings are written as valid UTF-8 JSON whatever they hold.
 *
 * The writer never writes a scenario the reader would refuse: it writes
 * into memory, reads that back with the reader's checks (duplicate
 * profiles, expectations on steps without records, ...), and only then
 * copies it out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khpsim/knobs.h"
#include "khpsim/parse.h"
#include "scenario/internal.h"

void scn_key(struct scn_line *l, const char *k)
{
	if (!l->first)
		fputs(", ", l->f);
	l->first = false;
	khp_json_put_string(l->f, k);
	fputs(": ", l->f);
}

void scn_kv_u64(struct scn_line *l, const char *k, unsigned long long v)
{
	scn_key(l, k);
	fprintf(l->f, "%llu", v);
}

void scn_kv_long(struct scn_line *l, const char *k, long v)
{
	scn_key(l, k);
	fprintf(l->f, "%ld", v);
}

void scn_kv_bool(struct scn_line *l, const char *k, bool v)
{
	scn_key(l, k);
	fputs(v ? "true" : "false", l->f);
}

void scn_kv_str(struct scn_line *l, const char *k, const char *v)
{
	scn_key(l, k);
	khp_json_put_string(l->f, v);
}

static bool config_is_default(const struct khp_config *c)
{
	struct khp_config d;

	khp_config_default(&d, 512);
	for (unsigned k = 0; k < KHP_NR_KNOBS; k++)
		if (khp_knob_get(c, (enum khp_knob)k) != khp_knob_get(&d, (enum khp_knob)k))
			return false;
	return true;
}

/* A profile by its name, or, when the name does not say its rules, as an object. */
static void write_profile(FILE *f, const struct khp_profile *p)
{
	const struct khp_rules *base = khp_kernel_rules(p->kernel);
	struct khp_profile parsed;
	bool first = true;

	if (!khp_profile_parse(p->name, &parsed) && !memcmp(&parsed.rules, &p->rules, sizeof(p->rules))) {
		khp_json_put_string(f, p->name);
		return;
	}
	fputs("{\"name\": ", f);
	khp_json_put_string(f, p->name);
	fputs(", \"base\": ", f);
	khp_json_put_string(f, khp_kernel_name(p->kernel));
	fputs(", \"rules\": {", f);
	for (unsigned i = 0; i < KHP_NR_RULES; i++) {
		const struct khp_rule_info *ri = khp_rule_info(i);

		if (khp_rule_get(&p->rules, ri) == khp_rule_get(base, ri))
			continue;
		fprintf(f, "%s\"%s\": \"%s\"", first ? "" : ", ", ri->name,
			ri->values[khp_rule_get(&p->rules, ri)].name);
		first = false;
	}
	fputs("}}", f);
}

static bool profiles_are_default(const struct khp_scenario *sc)
{
	if (sc->nr_profiles != KHP_NR_KERNELS)
		return sc->nr_profiles == 0;
	for (size_t i = 0; i < KHP_NR_KERNELS; i++)
		if (strcmp(sc->profiles[i].name, khp_kernel_name((enum khp_kernel)i)))
			return false;
	return true;
}

static void write_text(FILE *f, const char *key, const char *s)
{
	if (!s)
		return;
	fprintf(f, "  \"%s\": ", key);
	khp_json_put_string(f, s);
	fputs(",\n", f);
}

/* The canonical bytes, unchecked. */
static void write_raw(FILE *f, const struct khp_scenario *sc)
{
	size_t i;

	fprintf(f, "{\n  \"khpsim\": %d,\n", KHP_SCENARIO_FORMAT);
	write_text(f, "name", sc->name);
	write_text(f, "description", sc->description);
	write_text(f, "source", sc->source);
	if (!config_is_default(&sc->program.config))
		scn_write_config(f, &sc->program.config);
	if (!profiles_are_default(sc)) {
		fputs("  \"profiles\": [", f);
		for (i = 0; i < sc->nr_profiles; i++) {
			if (i)
				fputs(", ", f);
			write_profile(f, &sc->profiles[i]);
		}
		fputs("],\n", f);
	}
	fputs("  \"program\": [", f);
	for (i = 0; i < sc->program.nr_ops; i++) {
		fputs(i ? ",\n    " : "\n    ", f);
		scn_write_op(f, &sc->program.ops[i]);
	}
	fputs(sc->program.nr_ops ? "\n  ]" : "]", f);
	if (sc->nr_expects) {
		fputs(",\n  \"expect\": [", f);
		for (i = 0; i < sc->nr_expects; i++) {
			fputs(i ? ",\n    " : "\n    ", f);
			scn_write_expect(f, &sc->expects[i]);
		}
		fputs("\n  ]", f);
	}
	fputs("\n}\n", f);
}

/* The canonical bytes of sc in *buf, after the reader accepted them. */
static int write_checked(const struct khp_scenario *sc, char **buf, size_t *len,
			 char *err, size_t errlen)
{
	struct khp_scenario back;
	FILE *m;
	int rc;

	*buf = NULL;
	*len = 0;
	m = open_memstream(buf, len);
	if (!m)
		return -ENOMEM;
	write_raw(m, sc);
	if (fclose(m)) {
		free(*buf);
		*buf = NULL;
		return -ENOMEM;
	}
	khp_scenario_init(&back);
	rc = khp_scenario_load_buf(*buf, *len, "the scenario to write", &back, err, errlen);
	khp_scenario_free(&back);
	if (rc) {
		free(*buf);
		*buf = NULL;
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	return 0;
}

int khp_scenario_validate(const struct khp_scenario *sc, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc = write_checked(sc, &buf, &len, err, errlen);

	free(buf);
	return rc;
}

int khp_scenario_write(FILE *f, const struct khp_scenario *sc)
{
	char *buf;
	size_t len;
	int rc = write_checked(sc, &buf, &len, NULL, 0);

	if (rc)
		return rc;
	if (fwrite(buf, 1, len, f) != len || fflush(f))
		rc = -EIO;
	free(buf);
	return rc ? rc : ferror(f) ? -EIO : 0;
}

int khp_scenario_write_file(const char *path, const struct khp_scenario *sc)
{
	char *buf;
	size_t len;
	FILE *f;
	int rc = write_checked(sc, &buf, &len, NULL, 0);

	if (rc)
		return rc;
	f = fopen(path, "w");
	if (!f) {
		free(buf);
		return -EIO;
	}
	if (fwrite(buf, 1, len, f) != len)
		rc = -EIO;
	if (fclose(f) && !rc)
		rc = -EIO;
	free(buf);
	return rc;
}
