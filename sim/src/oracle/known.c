/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The documented known differences between the model and a real kernel
 * (oracle/known-differences.json, docs/oracle.md §4): a difference a list
 * entry covers is reported "known" instead of "DIFFER".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "khpsim/oracle.h"

#define KNOWN_FILE_MAX (1u << 20)

/* The whole file as a string (at most KNOWN_FILE_MAX - 1 bytes). */
static int read_file(const char *path, char **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	size_t len;
	char *buf;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -ENOENT;
	}
	buf = malloc(KNOWN_FILE_MAX);
	len = buf ? fread(buf, 1, KNOWN_FILE_MAX - 1, f) : 0;
	fclose(f);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	buf[len] = 0;
	*out = buf;
	return 0;
}

static int known_str(const cJSON *o, const char *key, char *buf, size_t len, bool required,
		     size_t idx, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v) {
		if (!required) {
			snprintf(buf, len, "*");
			return 0;
		}
		snprintf(err, errlen, "entries[%zu].%s: missing", idx, key);
		return -EINVAL;
	}
	if (!cJSON_IsString(v) || !v->valuestring[0]) {
		snprintf(err, errlen, "entries[%zu].%s: must be a non-empty string", idx, key);
		return -EINVAL;
	}
	snprintf(buf, len, "%s", v->valuestring);
	return 0;
}

/* Every key of entry idx is one of the format's. */
static int check_keys(const cJSON *e, size_t idx, char *msg, size_t msglen)
{
	static const char *const keys[] = { "scenario", "step", "kernel", "field", "reason",
					    "source", NULL };
	const cJSON *it;

	cJSON_ArrayForEach(it, e) {
		size_t j;

		for (j = 0; keys[j] && strcmp(keys[j], it->string); j++)
			;
		if (!keys[j]) {
			snprintf(msg, msglen, "entries[%zu].%s: unknown key", idx, it->string);
			return -EINVAL;
		}
	}
	return 0;
}

static int known_step(const cJSON *e, size_t idx, long *out, char *msg, size_t msglen)
{
	const cJSON *step = cJSON_GetObjectItemCaseSensitive(e, "step");

	*out = -1;
	if (!step)
		return 0;
	if (!cJSON_IsNumber(step) || step->valuedouble < 0 || step->valuedouble > KHP_MAX_OPS ||
	    step->valuedouble != (double)(long)step->valuedouble) {
		snprintf(msg, msglen, "entries[%zu].step: not a step index", idx);
		return -EINVAL;
	}
	*out = (long)step->valuedouble;
	return 0;
}

/* One entry of the list; 0, -EINVAL (msg set) or -ENOMEM (msg empty). */
static int parse_entry(const cJSON *e, size_t idx, struct khp_known *k, char *msg,
		       size_t msglen)
{
	char tmp[1024];

	if (!cJSON_IsObject(e)) {
		snprintf(msg, msglen, "entries[%zu]: not an object", idx);
		return -EINVAL;
	}
	if (check_keys(e, idx, msg, msglen) ||
	    known_str(e, "scenario", k->scenario, sizeof(k->scenario), false, idx, msg, msglen) ||
	    known_str(e, "kernel", k->kernel, sizeof(k->kernel), false, idx, msg, msglen) ||
	    known_str(e, "field", k->field, sizeof(k->field), false, idx, msg, msglen) ||
	    known_str(e, "reason", tmp, sizeof(tmp), true, idx, msg, msglen))
		return -EINVAL;
	k->reason = strdup(tmp);
	if (known_str(e, "source", tmp, sizeof(tmp), true, idx, msg, msglen))
		return -EINVAL;
	k->source = strdup(tmp);
	if (!k->reason || !k->source)
		return -ENOMEM;
	if (known_step(e, idx, &k->step, msg, msglen))
		return -EINVAL;
	if (strcmp(k->kernel, "*") && strcmp(k->kernel, "6.1") && strcmp(k->kernel, "6.12") &&
	    strcmp(k->kernel, "7.3")) {
		snprintf(msg, msglen, "entries[%zu].kernel: \"%s\" is not 6.1, 6.12, 7.3 or *", idx,
			 k->kernel);
		return -EINVAL;
	}
	return 0;
}

static int parse_list(const cJSON *root, struct khp_known_list *kl, char *msg, size_t msglen)
{
	const cJSON *entries, *e;
	int r;

	if (!root || !cJSON_IsObject(root)) {
		snprintf(msg, msglen, "not a JSON object");
		return -EINVAL;
	}
	entries = cJSON_GetObjectItemCaseSensitive(root, "entries");
	if (!cJSON_IsArray(entries)) {
		snprintf(msg, msglen, "entries: missing or not an array");
		return -EINVAL;
	}
	/* one spare entry: a half-parsed one is freed with the others */
	kl->v = calloc((size_t)cJSON_GetArraySize(entries) + 1, sizeof(*kl->v));
	if (!kl->v)
		return -ENOMEM;
	cJSON_ArrayForEach(e, entries) {
		r = parse_entry(e, kl->nr, &kl->v[kl->nr], msg, msglen);
		if (r)
			return r;
		kl->nr++;
	}
	return 0;
}

int khp_known_load(const char *path, struct khp_known_list *kl, char *err, size_t errlen)
{
	char msg[192] = "";
	cJSON *root;
	char *buf = NULL;
	int r;

	memset(kl, 0, sizeof(*kl));
	r = read_file(path, &buf, err, errlen);
	if (r)
		return r;
	root = cJSON_Parse(buf);
	r = parse_list(root, kl, msg, sizeof(msg));
	if (r) {
		snprintf(err, errlen, "%s: %s", path, msg[0] ? msg : "out of memory");
		khp_known_free(kl);
	}
	cJSON_Delete(root);
	free(buf);
	return r;
}

void khp_known_free(struct khp_known_list *kl)
{
	for (size_t i = 0; kl->v && i <= kl->nr; i++) {
		free(kl->v[i].reason);
		free(kl->v[i].source);
	}
	free(kl->v);
	memset(kl, 0, sizeof(*kl));
}

static const char *kernel_tag(enum khp_kernel k)
{
	return k == KHP_LINUX_6_1 ? "6.1" : k == KHP_LINUX_6_12 ? "6.12" : "7.3";
}

const struct khp_known *khp_known_find(const struct khp_known_list *kl, const char *scenario,
				       unsigned step, enum khp_kernel k, const char *field)
{
	for (size_t i = 0; i < kl->nr; i++) {
		const struct khp_known *e = &kl->v[i];

		if (strcmp(e->scenario, "*") && strcmp(e->scenario, scenario))
			continue;
		if (e->step >= 0 && (unsigned long)e->step != step)
			continue;
		if (strcmp(e->kernel, "*") && strcmp(e->kernel, kernel_tag(k)))
			continue;
		if (strcmp(e->field, "*") && strcmp(e->field, field))
			continue;
		return e;
	}
	return NULL;
}
