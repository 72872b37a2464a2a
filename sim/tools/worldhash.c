/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * khp_worldhash DIR...: one line per input file of each DIR (in name
 * order), "<hash> <name>": an FNV-1a hash over the runs of the decoded
 * program (khp_decode(), the fuzz targets' decoder, options from the same
 * KHP_* environment) under the six profiles linux-6.1, -6.12, -7.3 and
 * their +exact variants, of every op's return code, its record (khugepaged
 * and collapse ops, as `replay --json` prints it), the daemon's per-range
 * records and pass totals, and the canonical world bytes after the op
 * (khp_world_canon()), the invariant checker on after every op.
 *
 * Two builds that print the same lines behave the same on these inputs, op
 * by op: scripts/refactor-check runs it on a base commit and on the work
 * tree (docs/architecture.md, "A refactor proves itself").
 * Exit: 0, 2 on a bad directory, environment or memory error.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khpsim/decode.h"
#include "khpsim/khpsim.h"
#include "khpsim/report.h"

#define INPUT_MAX (1u << 20)

static const char *const profiles[] = {
	"linux-6.1", "linux-6.12", "linux-7.3",
	"linux-6.1+exact", "linux-6.12+exact", "linux-7.3+exact",
};
#define NR_PROFILES (sizeof(profiles) / sizeof(profiles[0]))

struct hasher {
	uint64_t h;
	uint8_t *canon;
	size_t cap;
};

static void mix(struct hasher *x, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		x->h ^= b[i];
		x->h *= 0x100000001b3ull;
	}
}

/* The record as replay --json writes it: every field, by name. */
static int mix_record(struct hasher *x, const struct khp_record *r)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	if (!f)
		return -ENOMEM;
	khp_report_record_json(f, r);
	if (fclose(f))
		return free(s), -ENOMEM;
	mix(x, s, n);
	free(s);
	return 0;
}

static int sink_record(void *arg, const struct khp_record *r)
{
	return mix_record(arg, r);
}

static void sink_pass(void *arg, const struct khp_pass *p)
{
	mix(arg, &p->step, sizeof(p->step));
	mix(arg, &p->pass, sizeof(p->pass));
	mix(arg, &p->changed, sizeof(p->changed));
	mix(arg, &p->totals.pages_in_use, sizeof(p->totals.pages_in_use));
}

/* Every op of prog under profile name, into x. */
static int hash_run(struct hasher *x, const struct khp_program *prog, const char *name)
{
	struct khp_daemon_sink sink = { sink_record, sink_pass, x };
	struct khp_profile prof;
	struct khp_world *w;
	int ret = khp_profile_parse(name, &prof);

	if (ret || (ret = khp_world_new(&prog->config, prof, &w)))
		return ret;
	khp_world_set_check(w, true);
	for (size_t i = 0; i < prog->nr_ops && !ret; i++) {
		const struct khp_op *op = &prog->ops[i];
		struct khp_record rec;
		int rc, err = 0;
		size_t n;

		memset(&rec, 0, sizeof(rec));
		rc = khp_world_apply_sink(w, op, &rec, &sink);
		mix(x, &rc, sizeof(rc));
		if (!rc && (op->type == KHP_OP_KHUGEPAGED || op->type == KHP_OP_COLLAPSE))
			ret = mix_record(x, &rec);
		n = khp_world_canon(w, &x->canon, &x->cap, &err);
		if (err)
			ret = err;
		mix(x, x->canon, n);
	}
	khp_world_free(w);
	return ret;
}

static int hash_file(struct hasher *x, const char *path, const struct khp_decode_opts *o,
		     uint8_t *buf)
{
	FILE *f = fopen(path, "rb");
	struct khp_program prog;
	size_t len;
	int ret;

	if (!f)
		return -errno;
	len = fread(buf, 1, INPUT_MAX, f);
	fclose(f);
	ret = khp_decode(buf, len, o, &prog);
	x->h = 0xcbf29ce484222325ull;
	for (size_t p = 0; p < NR_PROFILES && !ret; p++)
		ret = hash_run(x, &prog, profiles[p]);
	khp_program_free(&prog);
	return ret;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir, sorted; NULL (errno set) on failure. */
static char **list_dir(const char *dir, size_t *nr)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	struct dirent *e;

	*nr = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		char **more;

		if (e->d_name[0] == '.')
			continue;
		more = realloc(names, (*nr + 1) * sizeof(*names));
		if (!more || !(more[*nr] = strdup(e->d_name))) {
			names = more ? more : names;
			break;
		}
		names = more;
		++*nr;
	}
	closedir(d);
	if (names)
		qsort(names, *nr, sizeof(*names), by_name);
	return names ? names : calloc(1, sizeof(*names));
}

static int hash_dir(struct hasher *x, const char *dir, const struct khp_decode_opts *o,
		    uint8_t *buf)
{
	size_t nr;
	char **names = list_dir(dir, &nr);
	int ret = 0;

	if (!names) {
		fprintf(stderr, "khp_worldhash: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	for (size_t i = 0; i < nr; i++) {
		char path[4096];
		int err;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		err = hash_file(x, path, o, buf);
		if (err) {
			fprintf(stderr, "khp_worldhash: %s: %s\n", path, strerror(-err));
			ret = 2;
		} else {
			printf("%016llx %s\n", (unsigned long long)x->h, names[i]);
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	struct hasher x = { 0 };
	struct khp_decode_opts o;
	uint8_t *buf = malloc(INPUT_MAX);
	char msg[256];
	int ret = 0;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs("usage: khp_worldhash DIR...  (decoder options from KHP_* as the fuzz targets)\n",
		      argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	khp_decode_opts_default(&o);
	if (khp_decode_opts_from_env(&o, msg, sizeof(msg))) {
		fprintf(stderr, "khp_worldhash: %s\n", msg);
		return 2;
	}
	if (!buf)
		return fputs("khp_worldhash: out of memory\n", stderr), 2;
	for (int i = 1; i < argc; i++)
		ret |= hash_dir(&x, argv[i], &o, buf);
	free(buf);
	free(x.canon);
	if (fflush(stdout) || ferror(stdout))
		ret = 2;
	return ret;
}
