/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A guest's serial log, read back (docs/oracle.md §3 "Output" and "How a
 * guest run ends"): the KHPSIM-STEP lines of oracle/runtime.c, its notes,
 * and how the run ended.  Kernel messages and anything else on the console
 * are ignored, except the lines that show the kernel oopsed or panicked.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "khpsim/oracle.h"

/* ---- one line ------------------------------------------------------------ */

/* Copy the value of " key=" (up to the next space) into buf; false if absent. */
static bool field_str(const char *line, const char *key, char *buf, size_t len)
{
	char pat[32];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	while (p[n] && !isspace((unsigned char)p[n]))
		n++;
	if (len) {
		if (n >= len)
			n = len - 1;
		memcpy(buf, p, n);
		buf[n] = 0;
	}
	return true;
}

static long field_long(const char *line, const char *key)
{
	char buf[32], *end;
	long v;

	if (!field_str(line, key, buf, sizeof(buf)) || !buf[0])
		return -1;
	v = strtol(buf, &end, 10);
	return *end ? -1 : v;
}

/* The fields of a khugepaged or collapse line (after "kind="). */
static int parse_scan_fields(const char *p, const char *kind, struct khp_guest_step *out)
{
	char note[64];

	if (!strcmp(kind, "khugepaged"))
		out->kind = KHP_GUEST_KHUGEPAGED;
	else if (!strcmp(kind, "collapse"))
		out->kind = KHP_GUEST_COLLAPSE;
	else
		return -EINVAL;
	if (!field_str(p, "status", out->status, sizeof(out->status)))
		return -EINVAL;
	if (out->kind == KHP_GUEST_COLLAPSE &&
	    !field_str(p, "errno", out->err_name, sizeof(out->err_name)))
		return -EINVAL;
	out->conflict = field_str(p, "conflict", NULL, 0);
	out->scan_timeout = field_str(p, "note", note, sizeof(note)) &&
			    !strcmp(note, "scan_timeout");
	return 1;
}

int khp_guest_parse_line(const char *line, struct khp_guest_step *out)
{
	const char *p = strstr(line, "KHPSIM-STEP ");
	char kind[16], buf[32], *end;

	if (!p)
		return 0;
	p += strlen("KHPSIM-STEP");
	memset(out, 0, sizeof(*out));
	if (!field_str(p, "scenario", out->scenario, sizeof(out->scenario)) ||
	    !field_str(p, "step", buf, sizeof(buf)) || !field_str(p, "kind", kind, sizeof(kind)))
		return -EINVAL;
	out->step = (unsigned)strtoul(buf, &end, 10);
	if (!buf[0] || *end || !isdigit((unsigned char)buf[0]))
		return -EINVAL;
	out->none_or_zero = field_long(p, "none_or_zero");
	out->unmapped = field_long(p, "unmapped");
	out->referenced = field_long(p, "referenced");
	out->writable = field_long(p, "writable");
	out->scans = field_long(p, "scans");
	out->pmd_mapped = field_long(p, "pmd_mapped");
	out->hidden = field_long(p, "hidden");
	out->ret = field_long(p, "ret");
	if (field_str(p, "error", out->error, sizeof(out->error))) {
		out->kind = KHP_GUEST_OPERR;
		snprintf(out->op, sizeof(out->op), "%s", kind);
		return 1;
	}
	return parse_scan_fields(p, kind, out);
}

/* ---- how the run ended --------------------------------------------------- */

/* ": %04lx [#%d]", the header die() prints for every oops on x86
 * (__die_header() [6.1, 6.12, 7.3], arch/x86/kernel/dumpstack.c), whatever
 * the trap: "Oops: 0002 [#1]", "int3: 0000 [#1]", "Oops: int3: 0000 [#1]". */
static bool has_die_header(const char *s)
{
	for (const char *p = strstr(s, ": "); p; p = strstr(p + 1, ": ")) {
		const char *q = p + 2;
		int i;

		for (i = 0; i < 4 && isxdigit((unsigned char)q[i]); i++)
			;
		if (i < 4 || strncmp(q + 4, " [#", 3) || !isdigit((unsigned char)q[7]))
			continue;
		for (q += 7; isdigit((unsigned char)*q); q++)
			;
		if (*q == ']')
			return true;
	}
	return false;
}

/* A console line showing that the guest kernel oopsed or panicked:
 * panic() [kernel/panic.c] "Kernel panic - not syncing: ...", BUG()
 * "kernel BUG at FILE:LINE!", a kernel page fault (page_fault_oops()
 * [arch/x86/mm/fault.c]) "BUG: unable to handle ..." / "BUG: kernel NULL
 * pointer dereference", and the die() header of every oops. */
static bool is_panic_line(const char *s)
{
	static const char *const marks[] = {
		"Kernel panic - not syncing", "kernel BUG at ", "BUG: unable to handle",
		"BUG: kernel NULL pointer dereference", "Oops: ",
	};

	if (strstr(s, "KHPSIM-"))
		return false;   /* our own lines carry only tokens */
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strstr(s, marks[i]))
			return true;
	return has_die_header(s);
}

/* Remember the first evidence line, without the printk timestamp "[ t] ". */
static void note_end(struct khp_guest_log *log, unsigned long lineno, const char *line)
{
	const char *s = line;
	size_t n;

	if (*s == '[' && strchr(s, ']'))
		s = strchr(s, ']') + 1;
	while (*s == ' ')
		s++;
	n = strcspn(s, "\r\n");
	if (n >= sizeof(log->end_msg))
		n = sizeof(log->end_msg) - 1;
	memcpy(log->end_msg, s, n);
	log->end_msg[n] = 0;
	log->end_line = lineno;
}

static void classify_line(struct khp_guest_log *log, unsigned long lineno, const char *line,
			  bool *panicked, bool *timed_out)
{
	if (!*panicked && is_panic_line(line)) {
		*panicked = true;
		note_end(log, lineno, line);
	} else if (!*panicked && !*timed_out && strstr(line, "KHPSIM-HOST timeout")) {
		*timed_out = true;
		note_end(log, lineno, strstr(line, "KHPSIM-HOST"));
	}
}

static enum khp_guest_end classify_end(const struct khp_guest_log *log, bool panicked,
				       bool timed_out)
{
	if (panicked)
		return KHP_GUEST_PANICKED;
	if (log->done)
		return KHP_GUEST_COMPLETE;
	return timed_out ? KHP_GUEST_TIMED_OUT : KHP_GUEST_TRUNCATED;
}

const char *khp_guest_end_name(enum khp_guest_end e)
{
	switch (e) {
	case KHP_GUEST_COMPLETE:
		return "complete";
	case KHP_GUEST_PANICKED:
		return "panicked";
	case KHP_GUEST_TIMED_OUT:
		return "timed_out";
	case KHP_GUEST_TRUNCATED:
		return "truncated";
	}
	return "?";
}

void khp_guest_end_describe(const struct khp_guest_log *log, char *buf, size_t len)
{
	switch (log->end) {
	case KHP_GUEST_COMPLETE:
		snprintf(buf, len, "complete");
		break;
	case KHP_GUEST_PANICKED:
		snprintf(buf, len, "panicked at line %lu: %s", log->end_line, log->end_msg);
		break;
	case KHP_GUEST_TIMED_OUT:
		snprintf(buf, len, "timed out (line %lu: %s)", log->end_line, log->end_msg);
		break;
	case KHP_GUEST_TRUNCATED:
		snprintf(buf, len, "truncated: the log ends before KHPSIM-DONE%s",
			 log->release[0] ? "" : " (and before /init started)");
		break;
	}
}

/* ---- the whole log ------------------------------------------------------- */

static int push_name(struct khp_name_list *l, const char *name)
{
	char (*nv)[KHP_EMIT_NAME_MAX] = realloc(l->v, (l->nr + 1) * sizeof(*l->v));

	if (!nv)
		return -ENOMEM;
	l->v = nv;
	snprintf(nv[l->nr], KHP_EMIT_NAME_MAX, "%s", name);
	l->nr++;
	return 0;
}

bool khp_name_in(const struct khp_name_list *l, const char *name)
{
	for (size_t i = 0; i < l->nr; i++)
		if (!strcmp(l->v[i], name))
			return true;
	return false;
}

/* KHPSIM-KERNEL release=R version=V...: V is the rest of the line. */
static void read_kernel_line(struct khp_guest_log *log, const char *p)
{
	const char *v;
	size_t n;

	field_str(p, "release", log->release, sizeof(log->release));
	v = strstr(p, " version=");
	if (!v)
		return;
	v += strlen(" version=");
	n = strcspn(v, "\r\n");
	if (n >= sizeof(log->build))
		n = sizeof(log->build) - 1;
	memcpy(log->build, v, n);
	log->build[n] = 0;
}

/* The KHPSIM-KERNEL / -NOTE / -END / -DONE lines; 0 or -ENOMEM. */
static int read_marker_line(struct khp_guest_log *log, const char *line)
{
	char name[KHP_EMIT_NAME_MAX], v[32];
	const char *p;
	int r = 0;

	if ((p = strstr(line, "KHPSIM-KERNEL ")))
		read_kernel_line(log, p + strlen("KHPSIM-KERNEL"));
	if (strstr(line, "KHPSIM-DONE"))
		log->done = true;
	if ((p = strstr(line, "KHPSIM-END ")) && field_str(p + strlen("KHPSIM-END"), "name", name,
							    sizeof(name)))
		r = push_name(&log->ended, name);
	if ((p = strstr(line, "KHPSIM-NOTE ")) &&
	    field_str(p + strlen("KHPSIM-NOTE"), "scenario", name, sizeof(name))) {
		p += strlen("KHPSIM-NOTE");
		if (field_str(p, "swap", v, sizeof(v)) && !strcmp(v, "unavailable"))
			r = r ? r : push_name(&log->no_swap, name);
		if (field_str(p, "mthp", v, sizeof(v)) && !strcmp(v, "unsupported"))
			r = r ? r : push_name(&log->no_mthp, name);
	}
	return r;
}

static int push_step(struct khp_guest_log *log, const struct khp_guest_step *st)
{
	if (log->nr == log->cap) {
		size_t cap = log->cap ? log->cap * 2 : 64;
		struct khp_guest_step *nv = realloc(log->steps, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		log->steps = nv;
		log->cap = cap;
	}
	log->steps[log->nr++] = *st;
	return 0;
}

int khp_guest_log_read(FILE *f, struct khp_guest_log *log, char *err, size_t errlen)
{
	char line[8192];
	unsigned long lineno = 0;
	bool panicked = false, timed_out = false;
	int r = 0;

	memset(log, 0, sizeof(*log));
	while (!r && fgets(line, sizeof(line), f)) {
		struct khp_guest_step st;

		lineno++;
		classify_line(log, lineno, line, &panicked, &timed_out);
		r = read_marker_line(log, line);
		if (r)
			break;
		r = khp_guest_parse_line(line, &st);
		if (r == 1)
			r = push_step(log, &st);
		else if (r < 0 && err)
			snprintf(err, errlen, "line %lu: malformed KHPSIM-STEP line", lineno);
	}
	if (!r && ferror(f))
		r = -EIO;
	if (r) {
		if (err && r == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		else if (err && r == -EIO)
			snprintf(err, errlen, "read error after line %lu", lineno);
		khp_guest_log_free(log);
		return r;
	}
	log->end = classify_end(log, panicked, timed_out);
	return 0;
}

void khp_guest_log_free(struct khp_guest_log *log)
{
	free(log->steps);
	free(log->no_swap.v);
	free(log->no_mthp.v);
	free(log->ended.v);
	memset(log, 0, sizeof(*log));
}

int khp_guest_kernel(const char *release, enum khp_kernel *out)
{
	if (!strncmp(release, "6.1.", 4) || !strncmp(release, "6.1-", 4) || !strcmp(release, "6.1"))
		*out = KHP_LINUX_6_1;
	else if (!strncmp(release, "6.12", 4))
		*out = KHP_LINUX_6_12;
	else if (!strncmp(release, "7.3", 3))
		*out = KHP_LINUX_7_3;
	else
		return -EINVAL;
	return 0;
}
