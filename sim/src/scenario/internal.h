/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private interface of the scenario layer: what the reader (read.c, json.c),
 * the program and expectation codecs (program.c, expect.c) and the writer
 * (write.c) share.
 *
 * Reader conventions: every read_* / scn_get_* function returns 0 or the
 * reader's error code; the first error wins (struct scn_reader.rc) and is
 * formatted as "FILE: JSON-PATH: reason" with the reason escaped for a
 * terminal.
 */
#ifndef KHPSIM_SCENARIO_INTERNAL_H
#define KHPSIM_SCENARIO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cJSON.h>

#include "khpsim/scenario.h"

/* Format 1 nests 3 levels (top, program, op); anything much deeper is junk. */
#define KHP_SCENARIO_MAX_DEPTH 16u
/* Room for a JSON path ("expect[1048575].fn_waste_pages") or a reason. */
#define SCN_PATH_MAX 160

struct scn_reader {
	const char *file;
	char *err;
	size_t errlen;
	int rc;
};

/* ---- json.c: reader helpers ------------------------------------------ */
int scn_fail(struct scn_reader *rd, int rc, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void scn_sub_path(char *out, size_t n, const char *path, const char *key);
const char *scn_type_name(const cJSON *v);
/* Members of obj by keys[] (unknown and duplicate keys are errors). */
int scn_get_members(struct scn_reader *rd, const cJSON *obj, const char *path,
		    const char *const *keys, unsigned nkeys, const cJSON **out);
int scn_get_u64(struct scn_reader *rd, const cJSON *v, const char *path, uint64_t max,
		uint64_t *out);
int scn_get_u32(struct scn_reader *rd, const cJSON *v, const char *path, uint32_t max,
		uint32_t *out);
int scn_get_long(struct scn_reader *rd, const cJSON *v, const char *path, long *out);
int scn_get_bool(struct scn_reader *rd, const cJSON *v, const char *path, bool *out);
int scn_get_str(struct scn_reader *rd, const cJSON *v, const char *path, const char **out);

/*
 * The bounds pre-scan of the raw text, before cJSON builds anything: an
 * upper bound of the JSON values, the deepest nesting, and the first
 * string cJSON would take but the reader refuses (a raw control character,
 * bytes that are not UTF-8, or the escape \u0000 that would cut the string).
 */
struct scn_prescan {
	size_t values;
	unsigned depth;
	bool bad_string;
	size_t bad_at;             /* offset of the offending string's opening quote */
	char bad_why[96];
};
void scn_prescan(const char *buf, size_t len, struct scn_prescan *ps);
/* The JSON path of the string starting at off, in text that cJSON parsed;
 * true if that string is a key (the path is then its object's). */
bool scn_path_at(const char *buf, size_t off, char *out, size_t n);
void scn_line_col(const char *buf, size_t off, unsigned *line, unsigned *col);

/* ---- program.c: config and ops ------------------------------------------ */
int scn_read_config(struct scn_reader *rd, const cJSON *obj, struct khp_config *c);
int scn_read_program(struct scn_reader *rd, const cJSON *arr, struct khp_program *prog);

/* ---- expect.c: expectations -------------------------------------------- */
int scn_read_expects(struct scn_reader *rd, const cJSON *arr, struct khp_scenario *sc);

/* ---- write.c: one JSON line of "key": value members ---------------------- */
struct scn_line {
	FILE *f;
	bool first;
};
void scn_key(struct scn_line *l, const char *k);
void scn_kv_u64(struct scn_line *l, const char *k, unsigned long long v);
void scn_kv_long(struct scn_line *l, const char *k, long v);
void scn_kv_bool(struct scn_line *l, const char *k, bool v);
void scn_kv_str(struct scn_line *l, const char *k, const char *v);
void scn_write_config(FILE *f, const struct khp_config *c);
void scn_write_op(FILE *f, const struct khp_op *op);
void scn_write_expect(FILE *f, const struct khp_expect *e);

#endif /* KHPSIM_SCENARIO_INTERNAL_H */
