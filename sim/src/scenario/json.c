/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The reader's JSON helpers: typed access to cJSON values with range
 * checks and messages, strict object members, and the pre-scan that bounds
 * the input before cJSON parses it.
 *
 * cJSON accepts more than JSON inside strings: raw control characters,
 * bytes that are not UTF-8, and "\u0000", which it decodes into a NUL that
 * silently cuts the string ("linux-6.12\u0000junk" would read as
 * "linux-6.12").  The pre-scan finds the first such string so that the
 * reader refuses it with its JSON path.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "khpsim/parse.h"
#include "scenario/internal.h"

#define JSON_INT_MAX 9007199254740992.0 /* 2^53: exact in a double */

int scn_fail(struct scn_reader *rd, int rc, const char *path, const char *fmt, ...)
{
	char reason[256], safe[320], where[SCN_PATH_MAX];
	va_list ap;

	if (rd->rc)
		return rd->rc;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (rd->err && rd->errlen) {
		char file[256];

		khp_text_escape(file, sizeof(file), rd->file);
		khp_text_escape(where, sizeof(where), path && *path ? path : "(top level)");
		khp_text_escape(safe, sizeof(safe), reason);
		snprintf(rd->err, rd->errlen, "%s: %s: %s", file, where, safe);
	}
	rd->rc = rc;
	return rc;
}

void scn_sub_path(char *out, size_t n, const char *path, const char *key)
{
	if (path && *path)
		snprintf(out, n, "%s.%s", path, key);
	else
		snprintf(out, n, "%s", key);
}

const char *scn_type_name(const cJSON *v)
{
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "invalid";
}

int scn_get_members(struct scn_reader *rd, const cJSON *obj, const char *path,
		    const char *const *keys, unsigned nkeys, const cJSON **out)
{
	const cJSON *it;
	unsigned i;

	if (!cJSON_IsObject(obj))
		return scn_fail(rd, -EINVAL, path, "expected an object, found %s",
				scn_type_name(obj));
	for (i = 0; i < nkeys; i++)
		out[i] = NULL;
	cJSON_ArrayForEach(it, obj) {
		char p[SCN_PATH_MAX];

		for (i = 0; i < nkeys; i++)
			if (!strcmp(it->string, keys[i]))
				break;
		scn_sub_path(p, sizeof(p), path, it->string);
		if (i == nkeys)
			return scn_fail(rd, -EINVAL, p, "unknown key \"%s\"", it->string);
		if (out[i])
			return scn_fail(rd, -EINVAL, p, "duplicate key \"%s\"", it->string);
		out[i] = it;
	}
	return 0;
}

/* A finite integer within 2^53 (exact in the double cJSON keeps). */
static int get_integer(struct scn_reader *rd, const cJSON *v, const char *path, double *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return scn_fail(rd, -EINVAL, path, "expected an integer, found %s",
				scn_type_name(v));
	d = v->valuedouble;
	if (!isfinite(d) || fabs(d) > JSON_INT_MAX)
		return scn_fail(rd, -ERANGE, path, "number too large");
	if (d != floor(d))
		return scn_fail(rd, -EINVAL, path, "expected an integer, found %g", d);
	*out = d;
	return 0;
}

int scn_get_u64(struct scn_reader *rd, const cJSON *v, const char *path, uint64_t max,
		uint64_t *out)
{
	double d = 0;

	if (get_integer(rd, v, path, &d))
		return rd->rc;
	if (d < 0)
		return scn_fail(rd, -ERANGE, path, "negative value %.0f not allowed", d);
	if (d > (double)max)
		return scn_fail(rd, -ERANGE, path, "%.0f out of range (0..%llu)", d,
				(unsigned long long)max);
	*out = (uint64_t)d;
	return 0;
}

int scn_get_u32(struct scn_reader *rd, const cJSON *v, const char *path, uint32_t max,
		uint32_t *out)
{
	uint64_t x = 0;
	int rc = scn_get_u64(rd, v, path, max, &x);

	if (!rc)
		*out = (uint32_t)x;
	return rc;
}

int scn_get_long(struct scn_reader *rd, const cJSON *v, const char *path, long *out)
{
	double d = 0;

	if (get_integer(rd, v, path, &d))
		return rd->rc;
	*out = (long)d;
	return 0;
}

int scn_get_bool(struct scn_reader *rd, const cJSON *v, const char *path, bool *out)
{
	if (!cJSON_IsBool(v))
		return scn_fail(rd, -EINVAL, path, "expected true or false, found %s",
				scn_type_name(v));
	*out = cJSON_IsTrue(v);
	return 0;
}

int scn_get_str(struct scn_reader *rd, const cJSON *v, const char *path, const char **out)
{
	if (!cJSON_IsString(v) || !v->valuestring)
		return scn_fail(rd, -EINVAL, path, "expected a string, found %s",
				scn_type_name(v));
	*out = v->valuestring;
	return 0;
}

/* ---- the pre-scan ------------------------------------------------------- */

/*
 * Check the string whose contents start at buf[i] (after the quote): the
 * first problem goes into ps.  Returns the offset of the closing quote
 * (or len).
 */
static size_t scan_string(const char *buf, size_t len, size_t i, size_t quote,
			  struct scn_prescan *ps)
{
	const unsigned char *u = (const unsigned char *)buf;
	const char *why = NULL;

	while (i < len && buf[i] != '"') {
		size_t k = 1;

		if (buf[i] == '\\') {
			if (!why && i + 5 < len && !memcmp(buf + i + 1, "u0000", 5))
				why = "holds \\u0000 (NUL), which would cut it short";
			k = 2;
		} else if (u[i] < 0x20) {
			if (!why)
				why = "holds a raw control character (JSON wants it escaped, as \\u00XX)";
		} else if (u[i] >= 0x80) {
			k = khp_utf8_len(u + i, len - i);
			if (!k) {
				if (!why)
					why = "is not valid UTF-8";
				k = 1;
			}
		}
		i += k;
	}
	if (why && !ps->bad_string) {
		ps->bad_string = true;
		ps->bad_at = quote;
		snprintf(ps->bad_why, sizeof(ps->bad_why), "%s", why);
	}
	return i;
}

void scn_prescan(const char *buf, size_t len, struct scn_prescan *ps)
{
	unsigned depth = 0;

	memset(ps, 0, sizeof(*ps));
	ps->values = 1;
	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];

		if (ch == '"') {
			i = scan_string(buf, len, i + 1, i, ps);
		} else if (ch == '[' || ch == '{') {
			ps->values++;
			if (++depth > ps->depth)
				ps->depth = depth;
		} else if (ch == ']' || ch == '}') {
			if (depth)
				depth--;
		} else if (ch == ',') {
			ps->values++;
		}
	}
}

/* Where a path walk is: one frame per open object or array. */
struct frame {
	bool array;
	bool want_key;             /* object: the next string is a key */
	size_t index;              /* array: the current element */
	size_t key, key_len;       /* object: the current key in the raw text */
};

static void frames_path(const char *buf, const struct frame *fr, unsigned n, bool last_key,
			char *out, size_t size)
{
	size_t o = 0;

	out[0] = 0;
	for (unsigned j = 0; j < n && o < size; j++) {
		if (j + 1 == n && last_key)
			break;             /* the string is a key: the path is its object */
		if (fr[j].array)
			o += (size_t)snprintf(out + o, size - o, "[%zu]", fr[j].index);
		else
			o += (size_t)snprintf(out + o, size - o, "%s%.*s", o ? "." : "",
					      (int)fr[j].key_len, buf + fr[j].key);
	}
}

bool scn_path_at(const char *buf, size_t off, char *out, size_t n)
{
	struct frame fr[KHP_SCENARIO_MAX_DEPTH + 1];
	unsigned depth = 0;
	struct scn_prescan dummy = { 0 };

	for (size_t i = 0; i < off; i++) {
		struct frame *top = depth ? &fr[depth - 1] : NULL;
		char ch = buf[i];

		if (ch == '"') {
			size_t end = scan_string(buf, off, i + 1, i, &dummy);

			if (top && !top->array && top->want_key) {
				top->key = i + 1;
				top->key_len = end - i - 1;
				top->want_key = false;
			}
			i = end;
		} else if ((ch == '{' || ch == '[') && depth <= KHP_SCENARIO_MAX_DEPTH) {
			fr[depth++] = (struct frame){ .array = ch == '[', .want_key = ch == '{' };
		} else if ((ch == '}' || ch == ']') && depth) {
			depth--;
		} else if (ch == ',' && top) {
			if (top->array)
				top->index++;
			else
				top->want_key = true;
		}
	}
	bool key = depth && !fr[depth - 1].array && fr[depth - 1].want_key;

	frames_path(buf, fr, depth, key, out, n);
	return key;
}

void scn_line_col(const char *buf, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}
