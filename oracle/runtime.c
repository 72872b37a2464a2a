/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest runtime of the programs `khpsim emit-c` writes (docs/oracle.md).
 *
 * This file is pasted verbatim at the top of every emitted C program (emit.c
 * includes it as the string table runtime.inc, which oracle/gen-runtime
 * generates into the build tree).  It needs only libc and the Linux UAPI headers and
 * must compile with `gcc -static -Wall -Werror`.
 *
 * Model: one *controller* process (pid 1 in the QEMU guest) drives one
 * process per scenario mm over pipes.  mm 0 is forked from the controller,
 * every other mm from its parent mm (the fork happens inside that process).
 * The controller keeps khugepaged asleep (scan_sleep_millisecs = one hour)
 * except during a khugepaged step.  A separate *anchor* process keeps one
 * registered mm on khugepaged's list, so that registering a scenario mm never
 * wakes khugepaged.  The controller itself is never registered (it runs with
 * PR_SET_THP_DISABLE), so mm 0 starts unregistered, as a fresh process does.
 * A khugepaged step makes every VM_HUGEPAGE range other than the target PMD
 * range ineligible (MADV_NOHUGEPAGE, undone afterwards), wakes khugepaged,
 * waits for two full scans and reads the mm_khugepaged_scan_pmd events.
 *
 * Output: one line per step, "KHPSIM-STEP key=value ...", plus
 * KHPSIM-KERNEL / KHPSIM-SCENARIO / KHPSIM-MAP / KHPSIM-ERROR lines.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/io_uring.h>
#include <linux/userfaultfd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef PR_SET_THP_DISABLE
#define PR_SET_THP_DISABLE 41
#endif

#define KHP_RT static __attribute__((unused))

#define KHP_PAGE        4096ul
#define KHP_PMD_NR      512ul
#define KHP_PMD_SIZE    (KHP_PAGE * KHP_PMD_NR)
#define KHP_BASE        0x40000000ul      /* scenario page 0 (1 GiB) */
#define KHP_MAX_MM      16
#define KHP_MAX_PINS    64
#define KHP_LONG_SLEEP  "3600000"          /* scan_sleep_millisecs between steps */
#define KHP_THP         "/sys/kernel/mm/transparent_hugepage/"
#define KHP_KHUGEPAGED  KHP_THP "khugepaged/"
#define KHP_TRACING     "/sys/kernel/tracing/"

/* Scenario configuration, as emitted. */
struct khp_cfg {
	const char *thp;           /* never / madvise / always */
	int max_ptes_none, max_ptes_swap, max_ptes_shared;
	int use_zero_page, swap, shrink_underused;
	unsigned mthp_orders;      /* bit o: hugepages-<4<<o>kB/enabled=always */
};

/* mm flags of khp_mmap() */
#define KHP_MF_WRITE    1
#define KHP_MF_HUGE     2
#define KHP_MF_NOHUGE   4
#define KHP_MF_UFFD     8

enum khp_cmd_op {
	KHP_C_MMAP, KHP_C_TOUCH, KHP_C_MADVISE, KHP_C_MPROTECT, KHP_C_MUNMAP,
	KHP_C_MREMAP, KHP_C_FORK, KHP_C_EXIT, KHP_C_PIN, KHP_C_UNPIN,
	KHP_C_THP_DISABLE,
};

struct khp_cmd {
	int op, arg;
	unsigned long a, b, c, d;
};

struct khp_reply {
	long ret;
	int err;
};

struct khp_mm {
	int alive;
	pid_t pid;
	int pidfd;
};

struct khp_rt {
	const char *scenario;      /* current scenario (sanitised name) */
	const struct khp_cfg *cfg;
	int failed;                /* an op failed: the rest of the scenario is skipped */
	int cmd[KHP_MAX_MM][2];    /* controller -> mm */
	int rep[KHP_MAX_MM][2];    /* mm -> controller */
	struct khp_mm mm[KHP_MAX_MM];
	int self;                  /* inside an mm process: its id */
	int is_init;               /* we are pid 1 */
	int have_trace, have_swapdev, swap_on;
	int thp_was_never;         /* the previous scenario stopped khugepaged */
	char swapdev[64];
	pid_t anchor;              /* the anchor process (0: none) */
	int nr_steps, nr_errors;
	/* mm-process side */
	unsigned long pin_addr[KHP_MAX_PINS];
	int pin_fd[KHP_MAX_PINS];
	int uffd;
};

/* ---- small helpers ---------------------------------------------------- */

static void khp_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void khp_out(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* one write per line: lines of different processes never interleave */
	if (write(1, buf, n) < 0)
		return;
}

static int khp_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Read a whole (small or large) file into a malloc'd NUL-ended buffer. */
static char *khp_read_file(const char *path, size_t *lenp)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = 0;
	if (lenp)
		*lenp = len;
	return buf;
}

static long khp_read_long(const char *path)
{
	char *s = khp_read_file(path, NULL);
	long v = -1;

	if (s) {
		v = strtol(s, NULL, 10);
		free(s);
	}
	return v;
}

static void khp_msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int khp_knob(const char *path, const char *val)
{
	int r = khp_write_file(path, val);

	if (r && r != -ENOENT)
		khp_out("KHPSIM-ERROR knob %s=%s: %s", path, val, strerror(-r));
	return r;
}

static int khp_knob_int(const char *path, long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", v);
	return khp_knob(path, buf);
}

static unsigned long khp_va(unsigned long page)
{
	return KHP_BASE + page * KHP_PAGE;
}

/* ---- the mm processes --------------------------------------------------- */

static sigjmp_buf khp_fault_env;

static void khp_segv(int sig)
{
	(void)sig;
	siglongjmp(khp_fault_env, 1);
}

static int khp_do_touch(unsigned long a, unsigned long len, int write)
{
	struct sigaction sa, old_segv, old_bus;
	volatile unsigned long p;
	volatile char sink;
	int r = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = khp_segv;
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	if (sigsetjmp(khp_fault_env, 1)) {
		r = -EFAULT;
		goto out;
	}
	for (p = a; p < a + len; p += KHP_PAGE) {
		if (write)
			*(volatile char *)p = (char)(p >> 12) | 1;
		else
			sink = *(volatile char *)p;
	}
	(void)sink;
out:
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return r;
}

static int khp_do_uffd(struct khp_rt *rt, unsigned long a, unsigned long len)
{
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };
	struct uffdio_register reg;

	if (rt->uffd < 0) {
		rt->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
		if (rt->uffd < 0)
			return -errno;
		if (ioctl(rt->uffd, UFFDIO_API, &api) < 0)
			return -errno;
	}
	memset(&reg, 0, sizeof(reg));
	reg.range.start = a;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	if (ioctl(rt->uffd, UFFDIO_REGISTER, &reg) < 0)
		return -errno;
	return 0;
}

/* A long-term pin of one page: an io_uring with that page as fixed buffer
 * (io_sqe_buffer_register -> pin_user_pages(FOLL_WRITE | FOLL_LONGTERM)). */
static int khp_do_pin(struct khp_rt *rt, unsigned long a)
{
	struct io_uring_params p;
	struct iovec iov = { (void *)a, KHP_PAGE };
	int i, fd;

	for (i = 0; i < KHP_MAX_PINS && rt->pin_fd[i] >= 0; i++)
		;
	if (i == KHP_MAX_PINS)
		return -ENOSPC;
	memset(&p, 0, sizeof(p));
	fd = syscall(SYS_io_uring_setup, 1, &p);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov, 1) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	rt->pin_fd[i] = fd;
	rt->pin_addr[i] = a;
	return 0;
}

static int khp_do_unpin(struct khp_rt *rt, unsigned long a)
{
	int i, r = 0;

	for (i = 0; i < KHP_MAX_PINS; i++) {
		if (rt->pin_fd[i] >= 0 && rt->pin_addr[i] == a)
			break;
	}
	if (i == KHP_MAX_PINS)
		return -ENOENT;
	if (syscall(SYS_io_uring_register, rt->pin_fd[i], IORING_UNREGISTER_BUFFERS, NULL, 0) < 0)
		r = -errno;
	close(rt->pin_fd[i]);
	rt->pin_fd[i] = -1;
	return r;
}

static void khp_mm_loop(struct khp_rt *rt, int id);

static long khp_mm_exec(struct khp_rt *rt, const struct khp_cmd *c)
{
	void *p;
	pid_t pid;
	int r;

	switch (c->op) {
	case KHP_C_MMAP:
		p = mmap((void *)c->a, c->b, c->c, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			 -1, 0);
		if (p == MAP_FAILED)
			return -errno;
		if (p != (void *)c->a) {
			munmap(p, c->b);
			return -EEXIST;
		}
		if ((c->d & KHP_MF_HUGE) && madvise(p, c->b, MADV_HUGEPAGE) < 0)
			return -errno;
		if ((c->d & KHP_MF_NOHUGE) && madvise(p, c->b, MADV_NOHUGEPAGE) < 0)
			return -errno;
		if (c->d & KHP_MF_UFFD)
			return khp_do_uffd(rt, c->a, c->b);
		return 0;
	case KHP_C_TOUCH:
		return khp_do_touch(c->a, c->b, (int)c->c);
	case KHP_C_MADVISE:
		return madvise((void *)c->a, c->b, (int)c->c) < 0 ? -errno : 0;
	case KHP_C_MPROTECT:
		return mprotect((void *)c->a, c->b, (int)c->c) < 0 ? -errno : 0;
	case KHP_C_MUNMAP:
		return munmap((void *)c->a, c->b) < 0 ? -errno : 0;
	case KHP_C_MREMAP:
		p = mremap((void *)c->a, c->b, c->c, c->arg, (void *)c->d);
		return p == MAP_FAILED ? -errno : 0;
	case KHP_C_FORK:
		pid = fork();
		if (pid < 0)
			return -errno;
		if (pid == 0) {
			khp_mm_loop(rt, c->arg);
			_exit(0);
		}
		return pid;
	case KHP_C_PIN:
		return khp_do_pin(rt, c->a);
	case KHP_C_UNPIN:
		return khp_do_unpin(rt, c->a);
	case KHP_C_THP_DISABLE:
		r = prctl(PR_SET_THP_DISABLE, c->c, 0, 0, 0);
		return r < 0 ? -errno : 0;
	}
	return -EINVAL;
}

static void khp_mm_loop(struct khp_rt *rt, int id)
{
	struct khp_reply rep = { 0, 0 };
	struct khp_cmd c;
	int i;

	rt->self = id;
	rt->uffd = -1;
	for (i = 0; i < KHP_MAX_PINS; i++)
		rt->pin_fd[i] = -1;
	if (write(rt->rep[id][1], &rep, sizeof(rep)) != sizeof(rep))
		_exit(1);
	for (;;) {
		if (read(rt->cmd[id][0], &c, sizeof(c)) != sizeof(c))
			_exit(1);
		if (c.op == KHP_C_EXIT)
			_exit(0);
		rep.ret = khp_mm_exec(rt, &c);
		rep.err = rep.ret < 0 ? (int)-rep.ret : 0;
		if (write(rt->rep[id][1], &rep, sizeof(rep)) != sizeof(rep))
			_exit(1);
	}
}

/* ---- controller side ----------------------------------------------------- */

/* Read one reply of mm, giving up after 120 s (a dead mm process). */
static long khp_reply(struct khp_rt *rt, int mm)
{
	struct pollfd pfd = { .fd = rt->rep[mm][0], .events = POLLIN };
	struct khp_reply rep;

	if (poll(&pfd, 1, 120000) != 1)
		return -ETIMEDOUT;
	if (read(rt->rep[mm][0], &rep, sizeof(rep)) != sizeof(rep))
		return -EPIPE;
	return rep.ret;
}

static long khp_call(struct khp_rt *rt, int mm, const struct khp_cmd *c)
{
	if (write(rt->cmd[mm][1], c, sizeof(*c)) != sizeof(*c))
		return -EPIPE;
	return khp_reply(rt, mm);
}

static int khp_wait_ready(struct khp_rt *rt, int mm)
{
	long r = khp_reply(rt, mm);

	return r < 0 ? (int)r : 0;
}

static void khp_reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Wait until process pid has exited (its mm is gone). */
static void khp_wait_gone(struct khp_mm *m)
{
	struct pollfd pfd;
	char path[64];
	int i;

	if (m->pidfd >= 0) {
		pfd.fd = m->pidfd;
		pfd.events = POLLIN;
		poll(&pfd, 1, 10000);
		close(m->pidfd);
		m->pidfd = -1;
	} else {
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)m->pid);
		for (i = 0; i < 1000 && access(path, F_OK) == 0; i++) {
			khp_reap();
			khp_msleep(5);
		}
	}
	khp_reap();
}

static void khp_track(struct khp_mm *m, pid_t pid)
{
	m->alive = 1;
	m->pid = pid;
	m->pidfd = syscall(SYS_pidfd_open, pid, 0);
}

static int khp_op_failed(struct khp_rt *rt, int step, const char *op, long r)
{
	if (r >= 0)
		return 0;
	khp_out("KHPSIM-STEP scenario=%s step=%d kind=%s error=%s", rt->scenario, step, op,
		strerrorname_np((int)-r));
	rt->failed = 1;
	rt->nr_errors++;
	return 1;
}

/* Skip the op after a failure; an op on an unknown or dead mm fails. */
static int khp_skip(struct khp_rt *rt, int step, int mm, const char *op)
{
	if (rt->failed)
		return 1;
	if (mm < 0 || mm >= KHP_MAX_MM || !rt->mm[mm].alive)
		return khp_op_failed(rt, step, op, -ESRCH);
	return 0;
}

/* ---- tracing, pagemap, smaps --------------------------------------------- */

static void khp_trace_clear(struct khp_rt *rt)
{
	int fd;

	if (!rt->have_trace)
		return;
	fd = open(KHP_TRACING "trace", O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
}

/* Value of "key=" in a trace line, or -1 if absent. */
static long khp_trace_field(const char *line, const char *key, char *sval, size_t slen)
{
	char pat[40];
	const char *p, *e;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	if (sval) {
		for (e = p; *e && *e != ',' && *e != ' ' && *e != '\n'; e++)
			;
		snprintf(sval, slen, "%.*s", (int)(e - p), p);
	}
	return strtol(p, NULL, 0);
}

struct khp_scan {
	int n;                     /* mm_khugepaged_scan_pmd events */
	int collapses;             /* mm_collapse_huge_page events */
	char first[40], last[40], any_succeeded;
	long none_or_zero, unmapped, referenced, writable;
	char statuses[512];
};

static void khp_trace_collect(struct khp_rt *rt, struct khp_scan *s)
{
	char *buf, *line, *save = NULL, st[40];

	memset(s, 0, sizeof(*s));
	s->none_or_zero = s->unmapped = s->referenced = s->writable = -1;
	if (!rt->have_trace)
		return;
	buf = khp_read_file(KHP_TRACING "trace", NULL);
	if (!buf)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		if (strstr(line, "mm_collapse_huge_page:"))
			s->collapses++;
		if (!strstr(line, "mm_khugepaged_scan_pmd:"))
			continue;
		khp_trace_field(line, "status", st, sizeof(st));
		if (s->n == 0) {
			snprintf(s->first, sizeof(s->first), "%s", st);
			s->none_or_zero = khp_trace_field(line, "none_or_zero", NULL, 0);
			s->unmapped = khp_trace_field(line, "unmapped", NULL, 0);
			s->referenced = khp_trace_field(line, "referenced", NULL, 0);
			s->writable = khp_trace_field(line, "writable", NULL, 0);
		}
		if (!strcmp(st, "succeeded"))
			s->any_succeeded = 1;
		snprintf(s->last, sizeof(s->last), "%s", st);
		if (strlen(s->statuses) + strlen(st) + 2 < sizeof(s->statuses)) {
			if (s->n)
				strcat(s->statuses, ",");
			strcat(s->statuses, st);
		}
		s->n++;
	}
	free(buf);
}

#define KHP_PM_PRESENT  (1ull << 63)
#define KHP_PM_SWAP     (1ull << 62)
#define KHP_PM_PFN      ((1ull << 55) - 1)
#define KHP_KPF_COMPOUND_HEAD 15
#define KHP_KPF_COMPOUND_TAIL 16
#define KHP_KPF_THP     22
#define KHP_KPF_ZERO    24

struct khp_pmdinfo {
	int contiguous;            /* 512 present PFNs of one aligned THP, in order */
	int huge_zero;             /* the same, of the huge zero page */
	char map[KHP_PMD_NR + 1];
};

static uint64_t khp_pread64(int fd, uint64_t idx)
{
	uint64_t v = 0;

	if (pread(fd, &v, sizeof(v), (off_t)(idx * 8)) != sizeof(v))
		return 0;
	return v;
}

/* One character per PTE of the PMD range at va (docs/oracle.md legend). */
static void khp_pmd_info(pid_t pid, unsigned long va, struct khp_pmdinfo *pi)
{
	uint64_t pm[KHP_PMD_NR], first = 0;
	int fd, kf, kc, i, contig = 1, zero = 1;
	char path[64];

	memset(pi->map, '?', KHP_PMD_NR);
	pi->map[KHP_PMD_NR] = 0;
	pi->contiguous = 0;
	pi->huge_zero = 0;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (pread(fd, pm, sizeof(pm), (off_t)(va / KHP_PAGE * 8)) != sizeof(pm)) {
		close(fd);
		return;
	}
	close(fd);
	kf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	kc = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
	for (i = 0; i < (int)KHP_PMD_NR; i++) {
		uint64_t pfn = pm[i] & KHP_PM_PFN, flags, count;

		if (!(pm[i] & KHP_PM_PRESENT)) {
			pi->map[i] = (pm[i] & KHP_PM_SWAP) ? 'w' : '.';
			contig = 0;
			zero = 0;
			continue;
		}
		flags = kf >= 0 ? khp_pread64(kf, pfn) : 0;
		count = kc >= 0 ? khp_pread64(kc, pfn) : 0;
		if (i == 0)
			first = pfn;
		if (flags & (1ull << KHP_KPF_ZERO)) {
			/* the huge zero page: 512 aligned consecutive PFNs with
			 * KPF_THP; otherwise the small zero page */
			pi->map[i] = '0';
			if (!(flags & (1ull << KHP_KPF_THP)) || pfn != first + i ||
			    (first & (KHP_PMD_NR - 1)))
				zero = 0;
			contig = 0;
			continue;
		}
		zero = 0;
		if (flags & ((1ull << KHP_KPF_COMPOUND_HEAD) | (1ull << KHP_KPF_COMPOUND_TAIL)))
			pi->map[i] = count > 1 ? 'P' : 'p';
		else
			pi->map[i] = count > 1 ? 's' : 'e';
		if (!(flags & (1ull << KHP_KPF_THP)) || pfn != first + i || (first & (KHP_PMD_NR - 1)))
			contig = 0;
	}
	if (kf >= 0)
		close(kf);
	if (kc >= 0)
		close(kc);
	pi->contiguous = contig;
	pi->huge_zero = zero;
}

/* An smaps VMA header "start-end perms ...": bounds into *s, *e. */
static int khp_vma_header(const char *line, unsigned long *s, unsigned long *e)
{
	unsigned long a, b;
	const char *dash = strchr(line, '-'), *sp = strchr(line, ' ');

	if (!dash || !sp || dash > sp || sscanf(line, "%lx-%lx ", &a, &b) != 2)
		return 0;
	*s = a;
	*e = b;
	return 1;
}

/* AnonHugePages (kB) and bounds of the VMA of pid containing va, or -1. */
static long khp_smaps_ahp(pid_t pid, unsigned long va, unsigned long *vs, unsigned long *ve)
{
	char path[64], *buf, *line, *save = NULL;
	unsigned long s, e;
	int in = 0;
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	buf = khp_read_file(path, NULL);
	if (!buf)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (khp_vma_header(line, &s, &e)) {
			in = va >= s && va < e;
			if (in) {
				*vs = s;
				*ve = e;
			}
			continue;
		}
		if (in && !strncmp(line, "AnonHugePages:", 14)) {
			kb = strtol(line + 14, NULL, 10);
			break;
		}
	}
	free(buf);
	return kb;
}

/*
 * Is the PMD range at va mapped by a PMD?  pagemap has no PMD bit, so: the
 * 512 PTE slots show one aligned THP in order, and the VMA's AnonHugePages
 * (PMD mappings only) covers every range of the VMA that looks like that.
 */
static int khp_pmd_mapped(pid_t pid, unsigned long va, struct khp_pmdinfo *pi)
{
	unsigned long vs = 0, ve = 0, r;
	struct khp_pmdinfo other;
	long kb, need = 0;

	khp_pmd_info(pid, va, pi);
	if (pi->huge_zero) {
		/* only a PMD maps the huge zero page (AnonHugePages omits it) */
		memset(pi->map, 'Z', KHP_PMD_NR);
		return 1;
	}
	if (!pi->contiguous)
		return 0;
	kb = khp_smaps_ahp(pid, va, &vs, &ve);
	if (kb <= 0)
		return 0;
	for (r = (vs + KHP_PMD_SIZE - 1) & ~(KHP_PMD_SIZE - 1); r + KHP_PMD_SIZE <= ve;
	     r += KHP_PMD_SIZE) {
		if (r == va) {
			need += 2048;
			continue;
		}
		khp_pmd_info(pid, r, &other);
		if (other.contiguous)
			need += 2048;
	}
	if (kb >= need) {
		memset(pi->map, 'H', KHP_PMD_NR);
		return 1;
	}
	return 0;
}

/* ---- set-up ------------------------------------------------------------- */

static void khp_setup_swapdev(struct khp_rt *rt)
{
	static const char *const mods[] = { "/brd.ko", NULL };
	unsigned long pages = 128ul << 8;  /* 128 MiB */
	char *page;
	int fd, i;

	for (i = 0; mods[i]; i++) {
		fd = open(mods[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (syscall(SYS_finit_module, fd, "rd_nr=1 rd_size=131072", 0) < 0 && errno != EEXIST)
			khp_out("KHPSIM-NOTE swap: loading %s failed: %s", mods[i], strerror(errno));
		close(fd);
	}
	mknod("/dev/ram0", S_IFBLK | 0600, makedev(1, 0));
	fd = open("/dev/ram0", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	page = calloc(1, KHP_PAGE);
	if (!page) {
		close(fd);
		return;
	}
	/* union swap_header: info at 1024 (version, last_page, nr_badpages),
	 * magic "SWAPSPACE2" at the end of the first page. */
	*(uint32_t *)(page + 1024) = 1;
	*(uint32_t *)(page + 1028) = (uint32_t)(pages - 1);
	memcpy(page + KHP_PAGE - 10, "SWAPSPACE2", 10);
	if (pwrite(fd, page, KHP_PAGE, 0) == (ssize_t)KHP_PAGE) {
		rt->have_swapdev = 1;
		snprintf(rt->swapdev, sizeof(rt->swapdev), "/dev/ram0");
	}
	fsync(fd);
	close(fd);
	free(page);
}

static void khp_set_swap(struct khp_rt *rt, int on)
{
	if (on == rt->swap_on || !rt->have_swapdev)
		return;
	if (on) {
		if (swapon(rt->swapdev, 0) < 0) {
			khp_out("KHPSIM-NOTE swap: swapon %s: %s", rt->swapdev, strerror(errno));
			return;
		}
	} else if (swapoff(rt->swapdev) < 0) {
		khp_out("KHPSIM-NOTE swap: swapoff %s: %s", rt->swapdev, strerror(errno));
		return;
	}
	rt->swap_on = on;
}

/*
 * The anchor: a process of its own that registers with khugepaged once (a
 * 2 MiB VM_HUGEPAGE range with one page touched), makes the range
 * ineligible and then sleeps until the guest powers off.  khugepaged's mm
 * list is never empty afterwards, so a scenario's first MADV_HUGEPAGE or THP
 * fault never wakes khugepaged (__khugepaged_enter() wakes it only when the
 * list was empty).  It is not an ancestor of any scenario mm.
 */
static void khp_start_anchor(struct khp_rt *rt)
{
	int ready[2];
	char c = 0;
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) < 0) {
		khp_out("KHPSIM-NOTE anchor: pipe: %s", strerrorname_np(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		char *base = mmap(NULL, 2 * KHP_PMD_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (base != MAP_FAILED) {
			char *a = (char *)(((unsigned long)base + KHP_PMD_SIZE - 1) &
					   ~(KHP_PMD_SIZE - 1));

			/* keep only the aligned 2 MiB: no other VMA holds a whole PMD range */
			if (a > base)
				munmap(base, a - base);
			munmap(a + KHP_PMD_SIZE, base + 2 * KHP_PMD_SIZE - (a + KHP_PMD_SIZE));
			a[0] = 1;
			madvise(a, KHP_PMD_SIZE, MADV_HUGEPAGE);
			madvise(a, KHP_PMD_SIZE, MADV_NOHUGEPAGE);
		}
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (pid < 0 || read(ready[0], &c, 1) != 1)
		khp_out("KHPSIM-NOTE anchor: %s", pid < 0 ? strerrorname_np(errno) : "no reply");
	else
		rt->anchor = pid;
	close(ready[0]);
}

KHP_RT void khp_init(struct khp_rt *rt, int argc, char **argv)
{
	struct utsname u;

	(void)argc;
	(void)argv;
	memset(rt, 0, sizeof(*rt));
	setvbuf(stdout, NULL, _IONBF, 0);
	rt->is_init = getpid() == 1;
	if (rt->is_init) {
		mkdir("/proc", 0755);
		mkdir("/sys", 0755);
		mkdir("/dev", 0755);
		mount("proc", "/proc", "proc", 0, NULL);
		mount("sysfs", "/sys", "sysfs", 0, NULL);
		mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	}
	if (access(KHP_TRACING "trace", F_OK) != 0)
		mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	/*
	 * Every scenario process runs on CPU 0 (inherited through fork).
	 * madvise(COLD/PAGEOUT) drains only the local CPU's LRU batches and
	 * skips folios that are not on the LRU yet, so pages faulted on another
	 * CPU would keep their young bit (seen on 6.1: docs/fidelity.md).
	 * The model assumes every folio is on the LRU.
	 */
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(0, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			khp_out("KHPSIM-NOTE affinity: %s", strerrorname_np(errno));
	}
	uname(&u);
	khp_out("KHPSIM-KERNEL release=%s version=%s", u.release, u.version);

	rt->have_trace =
		khp_write_file(KHP_TRACING "events/huge_memory/mm_khugepaged_scan_pmd/enable", "1") == 0;
	khp_write_file(KHP_TRACING "events/huge_memory/mm_collapse_huge_page/enable", "1");
	khp_write_file(KHP_TRACING "buffer_size_kb", "4096");
	khp_write_file(KHP_TRACING "tracing_on", "1");
	if (!rt->have_trace)
		khp_out("KHPSIM-NOTE tracing unavailable: khugepaged steps report pmd_mapped only");

	khp_knob(KHP_THP "enabled", "madvise");
	khp_knob(KHP_THP "defrag", "madvise");
	khp_knob_int(KHP_KHUGEPAGED "defrag", 1);
	khp_knob_int(KHP_KHUGEPAGED "alloc_sleep_millisecs", 10);
	khp_knob_int(KHP_KHUGEPAGED "pages_to_scan", 65536);
	khp_knob(KHP_KHUGEPAGED "scan_sleep_millisecs", KHP_LONG_SLEEP);

	khp_start_anchor(rt);
	/*
	 * The controller never becomes eligible for khugepaged, so it is never
	 * registered, and khugepaged_fork() does not register mm 0 (forked
	 * from it).  mm 0 clears the flag again first thing (khp_begin()).
	 */
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0)
		khp_out("KHPSIM-NOTE thp_disable: %s", strerrorname_np(errno));
	/*
	 * Debian 7.x boots with DAMON_STAT sampling physical memory: it clears
	 * PTE young bits and sets PG_young, which khugepaged's "referenced"
	 * counts for every mapping of the folio (docs/fidelity.md).  The model
	 * has no DAMON: switch it off.
	 */
	if (khp_write_file("/sys/module/damon_stat/parameters/enabled", "N") == 0)
		khp_out("KHPSIM-NOTE damon_stat=disabled");
	khp_setup_swapdev(rt);
	khp_out("KHPSIM-NOTE swap=%s tracing=%d", rt->have_swapdev ? rt->swapdev : "none",
		rt->have_trace);
}

static long khp_wait_scans(long target, int timeout_ms);

static void khp_mthp_knobs(unsigned orders)
{
	char path[128];
	int o;

	for (o = 2; o < 9; o++) {
		snprintf(path, sizeof(path), KHP_THP "hugepages-%dkB/enabled", 4 << o);
		if (access(path, F_OK) != 0)
			continue;
		khp_knob(path, (orders >> o) & 1 ? "always" : "never");
	}
	snprintf(path, sizeof(path), KHP_THP "hugepages-%dkB/enabled", 2048);
	if (access(path, F_OK) == 0)
		khp_knob(path, "inherit");
}

KHP_RT void khp_begin(struct khp_rt *rt, const char *name, const struct khp_cfg *cfg)
{
	long f;
	int i;

	rt->scenario = name;
	rt->cfg = cfg;
	rt->failed = 0;
	khp_out("KHPSIM-SCENARIO name=%s", name);
	f = khp_read_long(KHP_KHUGEPAGED "full_scans");
	khp_knob(KHP_THP "enabled", cfg->thp);
	if (rt->thp_was_never && strcmp(cfg->thp, "never")) {
		/* a new khugepaged thread starts with one pass: let it finish
		 * before the scenario builds anything */
		khp_wait_scans(f + 1, 5000);
	}
	rt->thp_was_never = !strcmp(cfg->thp, "never");
	khp_knob_int(KHP_THP "use_zero_page", cfg->use_zero_page);
	khp_knob_int(KHP_THP "shrink_underused", cfg->shrink_underused);
	khp_knob_int(KHP_KHUGEPAGED "max_ptes_none", cfg->max_ptes_none);
	khp_knob_int(KHP_KHUGEPAGED "max_ptes_swap", cfg->max_ptes_swap);
	khp_knob_int(KHP_KHUGEPAGED "max_ptes_shared", cfg->max_ptes_shared);
	khp_mthp_knobs(cfg->mthp_orders);
	if (cfg->mthp_orders && access(KHP_THP "hugepages-64kB/enabled", F_OK) != 0)
		khp_out("KHPSIM-NOTE scenario=%s mthp=unsupported", name);
	khp_set_swap(rt, cfg->swap);
	if (cfg->swap && !rt->swap_on)
		khp_out("KHPSIM-NOTE scenario=%s swap=unavailable", name);

	for (i = 0; i < KHP_MAX_MM; i++) {
		rt->mm[i].alive = 0;
		rt->mm[i].pidfd = -1;
		if (pipe2(rt->cmd[i], O_CLOEXEC) < 0 || pipe2(rt->rep[i], O_CLOEXEC) < 0) {
			khp_out("KHPSIM-ERROR pipe: %s", strerror(errno));
			rt->failed = 1;
			return;
		}
	}
	i = fork();
	if (i < 0) {
		khp_out("KHPSIM-ERROR fork: %s", strerror(errno));
		rt->failed = 1;
		return;
	}
	if (i == 0) {
		/* a fresh process: THP allowed, not on khugepaged's list */
		prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);
		khp_mm_loop(rt, 0);
		_exit(0);
	}
	khp_track(&rt->mm[0], i);
	khp_wait_ready(rt, 0);
}

KHP_RT void khp_end(struct khp_rt *rt)
{
	struct khp_cmd c = { .op = KHP_C_EXIT };
	int i;

	for (i = 0; i < KHP_MAX_MM; i++) {
		if (rt->mm[i].alive) {
			if (write(rt->cmd[i][1], &c, sizeof(c)) != sizeof(c))
				kill(rt->mm[i].pid, SIGKILL);
			khp_wait_gone(&rt->mm[i]);
			rt->mm[i].alive = 0;
		}
	}
	for (i = 0; i < KHP_MAX_MM; i++) {
		close(rt->cmd[i][0]);
		close(rt->cmd[i][1]);
		close(rt->rep[i][0]);
		close(rt->rep[i][1]);
	}
	khp_reap();
	khp_out("KHPSIM-END name=%s", rt->scenario);
}

KHP_RT int khp_finish(struct khp_rt *rt)
{
	khp_out("KHPSIM-DONE errors=%d", rt->nr_errors);
	if (rt->anchor > 0) {
		kill(rt->anchor, SIGKILL);
		waitpid(rt->anchor, NULL, 0);
	}
	if (rt->is_init) {
		sync();
		reboot(RB_POWER_OFF);
		for (;;)
			pause();
	}
	return rt->nr_errors ? 1 : 0;
}

/* ---- operations ------------------------------------------------------- */

KHP_RT void khp_mmap(struct khp_rt *rt, int step, int mm, unsigned long addr,
		     unsigned long pages, int flags)
{
	struct khp_cmd c = { .op = KHP_C_MMAP };

	if (khp_skip(rt, step, mm, "mmap"))
		return;
	c.a = khp_va(addr);
	c.b = pages * KHP_PAGE;
	c.c = PROT_READ | ((flags & KHP_MF_WRITE) ? PROT_WRITE : 0);
	c.d = flags;
	khp_op_failed(rt, step, "mmap", khp_call(rt, mm, &c));
}

KHP_RT void khp_touch(struct khp_rt *rt, int step, int mm, unsigned long addr,
		      unsigned long pages, int write)
{
	struct khp_cmd c = { .op = KHP_C_TOUCH };

	if (khp_skip(rt, step, mm, "touch"))
		return;
	c.a = khp_va(addr);
	c.b = pages * KHP_PAGE;
	c.c = write;
	khp_op_failed(rt, step, "touch", khp_call(rt, mm, &c));
}

KHP_RT void khp_madvise(struct khp_rt *rt, int step, int mm, unsigned long addr,
			unsigned long pages, int advice, const char *what)
{
	struct khp_cmd c = { .op = KHP_C_MADVISE };

	if (khp_skip(rt, step, mm, what))
		return;
	c.a = khp_va(addr);
	c.b = pages * KHP_PAGE;
	c.c = advice;
	khp_op_failed(rt, step, what, khp_call(rt, mm, &c));
}

KHP_RT void khp_munmap(struct khp_rt *rt, int step, int mm, unsigned long addr,
		       unsigned long pages)
{
	struct khp_cmd c = { .op = KHP_C_MUNMAP };

	if (khp_skip(rt, step, mm, "munmap"))
		return;
	c.a = khp_va(addr);
	c.b = pages * KHP_PAGE;
	khp_op_failed(rt, step, "munmap", khp_call(rt, mm, &c));
}

KHP_RT void khp_mprotect(struct khp_rt *rt, int step, int mm, unsigned long addr,
			 unsigned long pages, int write)
{
	struct khp_cmd c = { .op = KHP_C_MPROTECT };

	if (khp_skip(rt, step, mm, "mprotect"))
		return;
	c.a = khp_va(addr);
	c.b = pages * KHP_PAGE;
	c.c = PROT_READ | (write ? PROT_WRITE : 0);
	khp_op_failed(rt, step, "mprotect", khp_call(rt, mm, &c));
}

/* to_page < 0: resize in place (no MREMAP_MAYMOVE). */
KHP_RT void khp_mremap(struct khp_rt *rt, int step, int mm, unsigned long addr,
		       unsigned long pages, unsigned long new_pages, long to_page)
{
	struct khp_cmd c = { .op = KHP_C_MREMAP };

	if (khp_skip(rt, step, mm, "mremap"))
		return;
	c.a = khp_va(addr);
	c.b = pages * KHP_PAGE;
	c.c = new_pages * KHP_PAGE;
	if (to_page >= 0) {
		c.arg = MREMAP_MAYMOVE | MREMAP_FIXED;
		c.d = khp_va((unsigned long)to_page);
	}
	khp_op_failed(rt, step, "mremap", khp_call(rt, mm, &c));
}

KHP_RT void khp_fork(struct khp_rt *rt, int step, int mm, int child)
{
	struct khp_cmd c = { .op = KHP_C_FORK, .arg = child };
	long pid;

	if (khp_skip(rt, step, mm, "fork"))
		return;
	if (child < 0 || child >= KHP_MAX_MM || rt->mm[child].alive) {
		khp_op_failed(rt, step, "fork", -EEXIST);
		return;
	}
	pid = khp_call(rt, mm, &c);
	if (khp_op_failed(rt, step, "fork", pid))
		return;
	khp_track(&rt->mm[child], (pid_t)pid);
	khp_wait_ready(rt, child);
}

KHP_RT void khp_exit(struct khp_rt *rt, int step, int mm)
{
	struct khp_cmd c = { .op = KHP_C_EXIT };

	if (khp_skip(rt, step, mm, "exit"))
		return;
	if (write(rt->cmd[mm][1], &c, sizeof(c)) != sizeof(c))
		kill(rt->mm[mm].pid, SIGKILL);
	khp_wait_gone(&rt->mm[mm]);
	rt->mm[mm].alive = 0;
}

KHP_RT void khp_pin(struct khp_rt *rt, int step, int mm, unsigned long addr, int pin)
{
	struct khp_cmd c = { .op = pin ? KHP_C_PIN : KHP_C_UNPIN };

	if (khp_skip(rt, step, mm, pin ? "pin" : "unpin"))
		return;
	c.a = khp_va(addr);
	khp_op_failed(rt, step, pin ? "pin" : "unpin", khp_call(rt, mm, &c));
}

static void khp_print_map(struct khp_rt *rt, int step, const char *when, const struct khp_pmdinfo *pi)
{
	khp_out("KHPSIM-MAP scenario=%s step=%d when=%s map=%s", rt->scenario, step, when, pi->map);
}

/*
 * Hide (MADV_NOHUGEPAGE) or unhide (MADV_HUGEPAGE) every VM_HUGEPAGE VMA
 * part of every live mm except [ts, te) of mm tmm.  The list of hidden
 * ranges is recorded in hid[] so that unhide restores exactly those.
 */
struct khp_hidden {
	int mm;
	unsigned long s, e;
};
#define KHP_MAX_HIDDEN 256

static int khp_collect_huge(struct khp_rt *rt, int tmm, unsigned long ts, unsigned long te,
			    struct khp_hidden *hid, int *nr_neither)
{
	char path[64], *buf, *line, *save = NULL;
	unsigned long s = 0, e = 0;
	int n = 0, i;

	*nr_neither = 0;
	for (i = 0; i < KHP_MAX_MM; i++) {
		if (!rt->mm[i].alive)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/smaps", (int)rt->mm[i].pid);
		buf = khp_read_file(path, NULL);
		if (!buf)
			continue;
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (khp_vma_header(line, &s, &e))
				continue;
			if (strncmp(line, "VmFlags:", 8))
				continue;
			if (!strstr(line, " hg")) {
				unsigned long first = (s + KHP_PMD_SIZE - 1) & ~(KHP_PMD_SIZE - 1);

				/* thp=always: a VMA of the target mm with neither flag
				 * holding a whole PMD range besides the target */
				if (i == tmm && !strstr(line, " nh") && first + KHP_PMD_SIZE <= e &&
				    !(first == ts && first + 2 * KHP_PMD_SIZE > e))
					(*nr_neither)++;
				continue;
			}
			if (i == tmm && s < te && e > ts) {
				if (s < ts && n < KHP_MAX_HIDDEN)
					hid[n++] = (struct khp_hidden){ i, s, ts };
				if (e > te && n < KHP_MAX_HIDDEN)
					hid[n++] = (struct khp_hidden){ i, te, e };
			} else if (n < KHP_MAX_HIDDEN) {
				hid[n++] = (struct khp_hidden){ i, s, e };
			}
		}
		free(buf);
	}
	return n;
}

static void khp_hide(struct khp_rt *rt, const struct khp_hidden *hid, int n, int advice)
{
	struct khp_cmd c = { .op = KHP_C_MADVISE };
	int i;
	long r;

	for (i = 0; i < n; i++) {
		c.a = hid[i].s;
		c.b = hid[i].e - hid[i].s;
		c.c = advice;
		r = khp_call(rt, hid[i].mm, &c);
		if (r < 0)
			khp_out("KHPSIM-ERROR scenario=%s madvise(%s) of hidden range: %s", rt->scenario,
				advice == MADV_HUGEPAGE ? "hugepage" : "nohugepage", strerror((int)-r));
	}
}

static void khp_set_thp_disable(struct khp_rt *rt, int tmm, int on)
{
	struct khp_cmd c = { .op = KHP_C_THP_DISABLE };
	int i;

	c.c = on;
	for (i = 0; i < KHP_MAX_MM; i++) {
		if (i != tmm && rt->mm[i].alive)
			khp_call(rt, i, &c);
	}
}

/* Wait until full_scans >= target (or timeout); returns the last value. */
static long khp_wait_scans(long target, int timeout_ms)
{
	long v = khp_read_long(KHP_KHUGEPAGED "full_scans");
	int t;

	for (t = 0; v < target && t < timeout_ms; t += 5) {
		khp_msleep(5);
		v = khp_read_long(KHP_KHUGEPAGED "full_scans");
	}
	return v;
}

static void khp_line_counters(char *buf, size_t len, const struct khp_scan *s)
{
	size_t n = 0;

	buf[0] = 0;
	if (s->none_or_zero >= 0)
		n += snprintf(buf + n, len - n, " none_or_zero=%ld", s->none_or_zero);
	if (s->unmapped >= 0 && n < len)
		n += snprintf(buf + n, len - n, " unmapped=%ld", s->unmapped);
	if (s->referenced >= 0 && n < len)
		n += snprintf(buf + n, len - n, " referenced=%ld", s->referenced);
	if (s->writable >= 0 && n < len)
		snprintf(buf + n, len - n, " writable=%ld", s->writable);
}

KHP_RT void khp_khugepaged(struct khp_rt *rt, int step, int mm, unsigned long addr)
{
	unsigned long ts = khp_va(addr) & ~(KHP_PMD_SIZE - 1), te = ts + KHP_PMD_SIZE;
	static struct khp_hidden hid[KHP_MAX_HIDDEN];
	struct khp_pmdinfo pi;
	struct khp_scan s;
	char counters[160];
	int nh, neither, always, stopped;
	long f0, f1, prev;
	int i;

	if (khp_skip(rt, step, mm, "khugepaged"))
		return;
	khp_pmd_info(rt->mm[mm].pid, ts, &pi);
	khp_print_map(rt, step, "before", &pi);
	if (!strcmp(rt->cfg->thp, "never") && !rt->cfg->mthp_orders) {
		/* khugepaged is stopped: nothing can be visited.  (With an mTHP
		 * size enabled, 7.3 keeps it running: hugepage_enabled().) */
		khp_out("KHPSIM-STEP scenario=%s step=%d kind=khugepaged status=not_visited scans=0 "
			"pmd_mapped=%d note=khugepaged_stopped", rt->scenario, step,
			khp_pmd_mapped(rt->mm[mm].pid, ts, &pi));
		rt->nr_steps++;
		return;
	}
	/* thp=always or an mTHP size at "always": VMAs without VM_HUGEPAGE
	 * are eligible too, so the other mms are switched off as a whole */
	always = !strcmp(rt->cfg->thp, "always") || rt->cfg->mthp_orders;
	nh = khp_collect_huge(rt, mm, ts, te, hid, &neither);
	khp_hide(rt, hid, nh, MADV_NOHUGEPAGE);
	if (always)
		khp_set_thp_disable(rt, mm, 1);

	khp_trace_clear(rt);
	f0 = khp_read_long(KHP_KHUGEPAGED "full_scans");
	khp_knob_int(KHP_KHUGEPAGED "scan_sleep_millisecs", 10);
	stopped = !strcmp(rt->cfg->thp, "never");
	f1 = khp_wait_scans(f0 + 2, stopped ? 3000 : 60000);
	/* enabled=never and no scan at all: the khugepaged thread is stopped */
	stopped = stopped && f1 == f0;
	khp_knob(KHP_KHUGEPAGED "scan_sleep_millisecs", KHP_LONG_SLEEP);
	/* writing the knob runs one more pass: wait until the count is stable */
	prev = -1;
	for (i = 0; i < 400; i++) {
		long v;

		khp_msleep(25);
		v = khp_read_long(KHP_KHUGEPAGED "full_scans");
		if (v == prev && v > f1)
			break;
		prev = v;
	}
	khp_trace_collect(rt, &s);

	if (always)
		khp_set_thp_disable(rt, mm, 0);
	khp_hide(rt, hid, nh, MADV_HUGEPAGE);

	khp_line_counters(counters, sizeof(counters), &s);
	i = khp_pmd_mapped(rt->mm[mm].pid, ts, &pi);
	khp_print_map(rt, step, "after", &pi);
	khp_out("KHPSIM-STEP scenario=%s step=%d kind=khugepaged status=%s%s scans=%d "
		"any_succeeded=%d last=%s statuses=%s pmd_mapped=%d hidden=%d%s%s",
		rt->scenario, step, s.n ? s.first : (rt->have_trace ? "not_visited" : "unknown"),
		counters, s.n, s.any_succeeded, s.n ? s.last : "-", s.n ? s.statuses : "-", i, nh,
		(always && neither) ? " conflict=eligible_neighbour" : "",
		stopped ? " note=khugepaged_stopped" : f1 < f0 + 2 ? " note=scan_timeout" : "");
	rt->nr_steps++;
}

KHP_RT void khp_collapse(struct khp_rt *rt, int step, int mm, unsigned long addr,
			 unsigned long pages)
{
	struct khp_cmd c = { .op = KHP_C_MADVISE };
	unsigned long ts = khp_va(addr) & ~(KHP_PMD_SIZE - 1);
	struct khp_pmdinfo pi;
	struct khp_scan s;
	char counters[160];
	long r;

	if (khp_skip(rt, step, mm, "collapse"))
		return;
	khp_pmd_info(rt->mm[mm].pid, ts, &pi);
	khp_print_map(rt, step, "before", &pi);
	khp_trace_clear(rt);
	c.a = khp_va(addr);
	c.b = pages * KHP_PAGE;
	c.c = MADV_COLLAPSE;
	r = khp_call(rt, mm, &c);
	khp_trace_collect(rt, &s);
	khp_line_counters(counters, sizeof(counters), &s);
	khp_out("KHPSIM-STEP scenario=%s step=%d kind=collapse ret=%d errno=%s status=%s%s "
		"scans=%d statuses=%s pmd_mapped=%d",
		rt->scenario, step, r < 0 ? -1 : 0, r < 0 ? strerrorname_np((int)-r) : (const char *)"0",
		s.n ? s.last : "-", counters, s.n, s.n ? s.statuses : "-",
		khp_pmd_mapped(rt->mm[mm].pid, ts, &pi));
	khp_print_map(rt, step, "after", &pi);
	rt->nr_steps++;
}
