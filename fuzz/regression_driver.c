/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Regression driver (after zstd's tests/fuzz/regression_driver.c): a main()
 * that feeds every file named on the command line, and every file in every
 * directory named (in sorted order, not recursive), to
 * LLVMFuzzerTestOneInput().  Linked with a target instead of libFuzzer, it
 * replays the checked-in corpus under ctest (with sanitizers when the build
 * has them).  A failing input aborts, naming the file first.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REGRESSION_MAX_INPUT (1u << 20)

static int run_file(const char *path, unsigned long *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t len;

	if (!f) {
		fprintf(stderr, "regression: cannot open %s\n", path);
		return 1;
	}
	buf = malloc(REGRESSION_MAX_INPUT);
	FUZZ_ASSERT(buf);
	len = fread(buf, 1, REGRESSION_MAX_INPUT, f);
	fclose(f);
	fprintf(stderr, "regression: %s (%zu bytes)\n", path, len);
	/* Copy into an exact-size buffer so ASan sees reads past the input. */
	{
		uint8_t *exact = malloc(len ? len : 1);

		FUZZ_ASSERT(exact);
		memcpy(exact, buf, len);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	free(buf);
	(*n)++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, unsigned long *n)
{
	char **names = NULL;
	size_t nr = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d) {
		fprintf(stderr, "regression: cannot open directory %s\n", dir);
		return 1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (nr == cap) {
			cap = cap ? 2 * cap : 64;
			names = realloc(names, cap * sizeof(*names));
			FUZZ_ASSERT(names);
		}
		names[nr] = malloc(strlen(dir) + strlen(de->d_name) + 2);
		FUZZ_ASSERT(names[nr]);
		sprintf(names[nr++], "%s/%s", dir, de->d_name);
	}
	closedir(d);
	qsort(names, nr, sizeof(*names), cmp_str);
	for (size_t i = 0; i < nr; i++) {
		struct stat st;

		if (!stat(names[i], &st) && S_ISREG(st.st_mode))
			ret |= run_file(names[i], n);
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned long n = 0;
	int ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st)) {
			fprintf(stderr, "regression: cannot stat %s\n", argv[i]);
			ret = 1;
		} else if (S_ISDIR(st.st_mode)) {
			ret |= run_dir(argv[i], &n);
		} else {
			ret |= run_file(argv[i], &n);
		}
	}
	fprintf(stderr, "regression: %lu inputs, %s\n", n, ret ? "FAILED" : "ok");
	return ret;
}
