/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The strict reader of scenario format 1 (docs/scenario-format.md).
 *
 * Invariants:
 *  - the input is bounded before cJSON sees it: at most
 *    KHP_SCENARIO_MAX_BYTES bytes, no NUL bytes, at most
 *    KHP_SCENARIO_MAX_VALUES JSON values and KHP_SCENARIO_MAX_DEPTH levels
 *    (counted by a linear pre-scan), so the parse tree is bounded too;
 *  - strings are JSON strings: valid UTF-8, no raw control characters, and
 *    no \u0000 (cJSON would cut the string there);
 *  - every object is walked once against the keys its position allows: an
 *    unknown key or a key seen twice (cJSON keeps both) is an error, so a
 *    typo never passes silently;
 *  - numbers must be finite integers inside the field's range; the config
 *    and every op are then checked with khp_config_check / khp_op_check;
 *  - the first error wins and is reported as "FILE: PATH: reason".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scenario/internal.h"

/* {"name": ..., "base": "linux-6.12", "rules": {"shared": "page_mapcount", ...}} */
static int read_named_profile(struct scn_reader *rd, const cJSON *obj, const char *path,
			      struct khp_profile *pr)
{
	static const char *const keys[] = { "name", "base", "rules" };
	const cJSON *m[3], *it;
	const char *name = NULL, *base = NULL;
	char p[SCN_PATH_MAX], msg[768];
	struct khp_profile parsed;

	if (scn_get_members(rd, obj, path, keys, 3, m))
		return rd->rc;
	for (unsigned k = 0; k < 3; k++)
		if (!m[k])
			return scn_fail(rd, -EINVAL, path, "missing required key \"%s\"", keys[k]);
	scn_sub_path(p, sizeof(p), path, "base");
	if (scn_get_str(rd, m[1], p, &base))
		return rd->rc;
	if (khp_profile_parse_msg(base, pr, msg, sizeof(msg)))
		return scn_fail(rd, -EINVAL, p, "%s", msg);
	scn_sub_path(p, sizeof(p), path, "rules");
	if (!cJSON_IsObject(m[2]))
		return scn_fail(rd, -EINVAL, p, "expected an object of RULE: VALUE, found %s",
				scn_type_name(m[2]));
	cJSON_ArrayForEach(it, m[2]) {
		const char *v = NULL;
		char rp[SCN_PATH_MAX];

		scn_sub_path(rp, sizeof(rp), p, it->string);
		if (scn_get_str(rd, it, rp, &v))
			return rd->rc;
		if (khp_profile_set_rule(pr, it->string, v, msg, sizeof(msg)))
			return scn_fail(rd, -EINVAL, rp, "%s", msg);
	}
	if (khp_rules_combination(&pr->rules, khp_kernel_rules(pr->kernel), msg, sizeof(msg)))
		return scn_fail(rd, -EINVAL, p, "%s", msg);
	scn_sub_path(p, sizeof(p), path, "name");
	if (scn_get_str(rd, m[0], p, &name))
		return rd->rc;
	if (!name[0] || strlen(name) >= sizeof(pr->name))
		return scn_fail(rd, -EINVAL, p, "a name of 1 to %u characters",
				KHP_PROFILE_NAME_MAX - 1);
	/* a name that reads as a profile must be that profile */
	if (!khp_profile_parse(name, &parsed) && memcmp(&parsed.rules, &pr->rules, sizeof(pr->rules)))
		return scn_fail(rd, -EINVAL, p, "\"%s\" names another profile; choose another name",
				name);
	snprintf(pr->name, sizeof(pr->name), "%s", name);
	return 0;
}

static int read_profile(struct scn_reader *rd, const cJSON *it, const char *p,
			struct khp_profile *pr)
{
	const char *s = NULL;
	char msg[768];

	if (cJSON_IsObject(it))
		return read_named_profile(rd, it, p, pr);
	if (scn_get_str(rd, it, p, &s))
		return rd->rc;
	if (khp_profile_parse_msg(s, pr, msg, sizeof(msg)))
		return scn_fail(rd, -EINVAL, p, "%s", msg);
	return 0;
}

static int read_profiles(struct scn_reader *rd, const cJSON *arr, struct khp_scenario *sc)
{
	const cJSON *it;
	size_t i = 0, j;

	if (!cJSON_IsArray(arr))
		return scn_fail(rd, -EINVAL, "profiles", "expected an array of profile names, found %s",
				scn_type_name(arr));
	sc->nr_profiles = 0;
	cJSON_ArrayForEach(it, arr) {
		struct khp_profile pr;
		char p[48];

		snprintf(p, sizeof(p), "profiles[%zu]", i++);
		if (read_profile(rd, it, p, &pr))
			return rd->rc;
		for (j = 0; j < sc->nr_profiles; j++)
			if (khp_profile_same(&sc->profiles[j], &pr))
				return scn_fail(rd, -EINVAL, p, "profile \"%s\" listed twice", pr.name);
		if (sc->nr_profiles == KHP_SCENARIO_MAX_PROFILES)
			return scn_fail(rd, -E2BIG, p, "more than %u profiles",
					KHP_SCENARIO_MAX_PROFILES);
		sc->profiles[sc->nr_profiles++] = pr;
	}
	if (!sc->nr_profiles)
		return scn_fail(rd, -EINVAL, "profiles", "empty (omit the key to run all three kernels)");
	return 0;
}

enum { TK_FORMAT, TK_NAME, TK_DESC, TK_SOURCE, TK_CONFIG, TK_PROFILES, TK_PROGRAM,
       TK_EXPECT, TK_NR };
static const char *const top_keys[TK_NR] = {
	"khpsim", "name", "description", "source", "config", "profiles", "program", "expect",
};

static int read_text(struct scn_reader *rd, const cJSON *v, const char *key, char **field)
{
	const char *s = NULL;

	if (!v)
		return 0;
	if (scn_get_str(rd, v, key, &s))
		return rd->rc;
	if (khp_scenario_set_str(field, s))
		return scn_fail(rd, -ENOMEM, key, "out of memory");
	return 0;
}

/* "khpsim" and "program" are there, and the format is 1. */
static int read_format(struct scn_reader *rd, const cJSON **m)
{
	uint64_t fmt;

	if (!m[TK_FORMAT])
		return scn_fail(rd, -EINVAL, "", "missing required key \"khpsim\" (format version)");
	if (scn_get_u64(rd, m[TK_FORMAT], "khpsim", UINT32_MAX, &fmt))
		return rd->rc;
	if (fmt != KHP_SCENARIO_FORMAT)
		return scn_fail(rd, -EINVAL, "khpsim", "unsupported format %llu (this is format %d)",
				(unsigned long long)fmt, KHP_SCENARIO_FORMAT);
	if (!m[TK_PROGRAM])
		return scn_fail(rd, -EINVAL, "", "missing required key \"program\"");
	return 0;
}

static int read_top(struct scn_reader *rd, const cJSON *root, struct khp_scenario *sc)
{
	const cJSON *m[TK_NR];
	struct khp_config c;

	/* scenarios/schema.json sits beside the scenarios: say what it is */
	if (cJSON_GetObjectItemCaseSensitive(root, "$schema") &&
	    !cJSON_GetObjectItemCaseSensitive(root, "khpsim"))
		return scn_fail(rd, KHP_SCENARIO_NOT_SCENARIO, "",
				"a JSON Schema document, not a scenario (skipped)");
	if (scn_get_members(rd, root, "", top_keys, TK_NR, m) || read_format(rd, m) ||
	    read_text(rd, m[TK_NAME], "name", &sc->name) ||
	    read_text(rd, m[TK_DESC], "description", &sc->description) ||
	    read_text(rd, m[TK_SOURCE], "source", &sc->source))
		return rd->rc;
	if (m[TK_CONFIG]) {
		if (scn_read_config(rd, m[TK_CONFIG], &c))
			return rd->rc;
	} else {
		khp_config_default(&c, 512);
	}
	khp_program_free(&sc->program);
	khp_program_init(&sc->program, &c);
	if (m[TK_PROFILES]) {
		if (read_profiles(rd, m[TK_PROFILES], sc))
			return rd->rc;
	} else {
		for (unsigned k = 0; k < KHP_NR_KERNELS; k++)
			sc->profiles[k] = khp_profile_kernel((enum khp_kernel)k);
		sc->nr_profiles = KHP_NR_KERNELS;
	}
	if (scn_read_program(rd, m[TK_PROGRAM], &sc->program))
		return rd->rc;
	if (m[TK_EXPECT] && scn_read_expects(rd, m[TK_EXPECT], sc))
		return rd->rc;
	return 0;
}

/* The bounds of the raw text (size, NUL bytes, values, depth). */
static int check_bounds(struct scn_reader *rd, const char *buf, size_t len,
			struct scn_prescan *ps)
{
	const char *nul;

	if (len > KHP_SCENARIO_MAX_BYTES)
		return scn_fail(rd, -E2BIG, "", "%zu bytes, larger than the limit of %u bytes",
				len, KHP_SCENARIO_MAX_BYTES);
	if (!len)
		return scn_fail(rd, -EINVAL, "", "empty input");
	nul = memchr(buf, 0, len);
	if (nul)
		return scn_fail(rd, -EINVAL, "", "NUL byte at offset %zu", (size_t)(nul - buf));
	scn_prescan(buf, len, ps);
	if (ps->depth > KHP_SCENARIO_MAX_DEPTH)
		return scn_fail(rd, -EINVAL, "", "JSON nested %u levels deep, more than the limit of %u",
				ps->depth, KHP_SCENARIO_MAX_DEPTH);
	if (ps->values > KHP_SCENARIO_MAX_VALUES)
		return scn_fail(rd, -E2BIG, "", "about %zu JSON values, more than the limit of %u",
				ps->values, KHP_SCENARIO_MAX_VALUES);
	return 0;
}

/* cJSON's tree of buf, or NULL after a syntax error naming line and column. */
static cJSON *parse(struct scn_reader *rd, const char *buf, size_t len)
{
	const char *end = NULL;
	unsigned line, col;
	size_t off;
	cJSON *root;
	char *copy = malloc(len + 1);

	if (!copy) {
		scn_fail(rd, -ENOMEM, "", "out of memory");
		return NULL;
	}
	memcpy(copy, buf, len);
	copy[len] = 0;
	root = cJSON_ParseWithLengthOpts(copy, len + 1, &end, 1);
	if (root) {
		free(copy);
		return root;
	}
	off = end && end >= copy ? (size_t)(end - copy) : 0;
	if (off > len)
		off = len;
	scn_line_col(copy, off, &line, &col);
	free(copy);
	if (off >= len)
		scn_fail(rd, -EINVAL, "", "JSON syntax error: unexpected end of input (line %u, column %u)",
			 line, col);
	else
		scn_fail(rd, -EINVAL, "", "JSON syntax error at line %u, column %u", line, col);
	return NULL;
}

int khp_scenario_load_buf(const char *buf, size_t len, const char *name,
			  struct khp_scenario *sc, char *err, size_t errlen)
{
	struct scn_reader rd = { .file = name ? name : "<buffer>", .err = err, .errlen = errlen };
	struct scn_prescan ps;
	cJSON *root;

	khp_scenario_free(sc);
	khp_scenario_init(sc);
	if (err && errlen)
		err[0] = 0;
	if (check_bounds(&rd, buf, len, &ps))
		return rd.rc;
	root = parse(&rd, buf, len);
	if (!root)
		return rd.rc;
	if (ps.bad_string) {
		char path[SCN_PATH_MAX];

		bool key = scn_path_at(buf, ps.bad_at, path, sizeof(path));

		scn_fail(&rd, -EINVAL, path, "%s %s", key ? "a key" : "the string", ps.bad_why);
	} else if (!cJSON_IsObject(root)) {
		scn_fail(&rd, -EINVAL, "", "expected a JSON object, found %s", scn_type_name(root));
	} else {
		read_top(&rd, root, sc);
	}
	cJSON_Delete(root);
	if (rd.rc) {
		khp_scenario_free(sc);
		khp_scenario_init(sc);
	}
	return rd.rc;
}

/* The whole of f into *buf (at most KHP_SCENARIO_MAX_BYTES + 1 bytes). */
static int slurp(struct scn_reader *rd, FILE *f, char **buf, size_t *len)
{
	size_t cap = 1 << 16, n;
	char *b = malloc(cap), *nb;

	*len = 0;
	while (b) {
		if (*len == cap) {
			if (cap > KHP_SCENARIO_MAX_BYTES) {
				free(b);
				return scn_fail(rd, -E2BIG, "", "input larger than the limit of %u bytes",
						KHP_SCENARIO_MAX_BYTES);
			}
			cap *= 2;
			nb = realloc(b, cap);
			if (!nb)
				break;
			b = nb;
		}
		n = fread(b + *len, 1, cap - *len, f);
		*len += n;
		if (n)
			continue;
		if (ferror(f)) {
			free(b);
			return scn_fail(rd, -EIO, "", "read error");
		}
		*buf = b;
		return 0;
	}
	free(b);
	return scn_fail(rd, -ENOMEM, "", "out of memory");
}

/* A directory or a regular file too large is refused before reading. */
static int check_stat(struct scn_reader *rd, FILE *f)
{
	struct stat st;

	if (fstat(fileno(f), &st))
		return 0;
	if (S_ISDIR(st.st_mode))
		return scn_fail(rd, -EINVAL, "", "is a directory");
	if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > KHP_SCENARIO_MAX_BYTES)
		return scn_fail(rd, -E2BIG, "", "file of %lld bytes is larger than the limit of %u bytes",
				(long long)st.st_size, KHP_SCENARIO_MAX_BYTES);
	return 0;
}

int khp_scenario_load_file(const char *path, struct khp_scenario *sc, char *err, size_t errlen)
{
	struct scn_reader rd = { .file = path, .err = err, .errlen = errlen };
	bool is_stdin = !strcmp(path, "-");
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	khp_scenario_free(sc);
	khp_scenario_init(sc);
	f = is_stdin ? stdin : fopen(path, "rb");
	if (!f)
		return scn_fail(&rd, errno == ENOENT ? -ENOENT : -EIO, "", "cannot open: %s",
				strerror(errno));
	rc = check_stat(&rd, f);
	if (!rc)
		rc = slurp(&rd, f, &buf, &len);
	if (!is_stdin)
		fclose(f);
	if (rc)
		return rc;
	rc = khp_scenario_load_buf(buf, len, path, sc, err, errlen);
	free(buf);
	return rc;
}
