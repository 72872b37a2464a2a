/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Names and parsers of every enum of the public API, the configuration
 * defaults, op field checks, and the program container (the knobs' range
 * rules are in knobs.c).  Nothing here touches a world.
 */
#include <stdlib.h>
#include <string.h>
#include "mm/mm.h"
#include "run/run.h"

static int parse_table(const char *const *names, unsigned n, const char *s, unsigned *out)
{
	if (!s)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (names[i] && !strcmp(names[i], s)) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- config ----------------------------------------------------------- */
unsigned khp_pmd_order(unsigned pmd_pages)
{
	unsigned o = 0;

	while ((1u << o) < pmd_pages)
		o++;
	return o;
}

/* khugepaged_init(): none = HPAGE_PMD_NR - 1, swap = /8, shared = /2 */
void khp_config_default(struct khp_config *c, unsigned pmd_pages)
{
	memset(c, 0, sizeof(*c));
	c->pmd_pages = pmd_pages;
	c->max_ptes_none = pmd_pages - 1;
	c->max_ptes_swap = pmd_pages / 8;
	c->max_ptes_shared = pmd_pages / 2;
	c->thp = KHP_THP_MADVISE;
	c->use_zero_page = true;
	c->swap = true;
	c->shrink_underused = true;
	c->mthp_orders = 0;
}


/* transparent_hugepage/enabled */
static const char *const thp_mode_names[] = {
	[KHP_THP_NEVER] = "never", [KHP_THP_MADVISE] = "madvise", [KHP_THP_ALWAYS] = "always",
};

const char *khp_thp_mode_name(enum khp_thp_mode m)
{
	return (unsigned)m <= KHP_THP_ALWAYS ? thp_mode_names[m] : "?";
}

int khp_thp_mode_parse(const char *s, enum khp_thp_mode *out)
{
	unsigned v;
	int ret = parse_table(thp_mode_names, KHP_THP_ALWAYS + 1, s, &v);

	if (!ret)
		*out = (enum khp_thp_mode)v;
	return ret;
}

/* ---- ops -------------------------------------------------------------- */
static const char *const op_names[KHP_NR_OPS] = {
	[KHP_OP_MMAP] = "mmap",         [KHP_OP_TOUCH] = "touch",
	[KHP_OP_FORK] = "fork",         [KHP_OP_EXIT] = "exit",
	[KHP_OP_DONTNEED] = "dontneed", [KHP_OP_MUNMAP] = "munmap",
	[KHP_OP_MREMAP] = "mremap",     [KHP_OP_MPROTECT] = "mprotect",
	[KHP_OP_MADVISE] = "madvise",   [KHP_OP_PIN] = "pin",
	[KHP_OP_UNPIN] = "unpin",       [KHP_OP_AGE] = "age",
	[KHP_OP_KHUGEPAGED] = "khugepaged", [KHP_OP_COLLAPSE] = "collapse",
	[KHP_OP_SPLIT] = "split",       [KHP_OP_FAIL_ALLOC] = "fail_alloc",
};

static const char *const advice_names[KHP_NR_ADVICE] = {
	"hugepage", "nohugepage", "pageout", "cold", "free",
};

const char *khp_op_name(enum khp_op_type t)
{
	return (unsigned)t < KHP_NR_OPS ? op_names[t] : "?";
}

int khp_op_parse(const char *s, enum khp_op_type *out)
{
	unsigned v;
	int ret = parse_table(op_names, KHP_NR_OPS, s, &v);

	if (!ret)
		*out = (enum khp_op_type)v;
	return ret;
}

const char *khp_advice_name(enum khp_advice a)
{
	return (unsigned)a < KHP_NR_ADVICE ? advice_names[a] : "?";
}

int khp_advice_parse(const char *s, enum khp_advice *out)
{
	unsigned v;
	int ret = parse_table(advice_names, KHP_NR_ADVICE, s, &v);

	if (!ret)
		*out = (enum khp_advice)v;
	return ret;
}

static int check_range(uint64_t addr, uint64_t pages, const char *what, char *msg, size_t len)
{
	if (pages == 0)
		return run_say(msg, len, -EINVAL, "%s: zero-length range", what);
	if (pages > KHP_MAX_OP_PAGES)
		return run_say(msg, len, -ERANGE, "%s: %llu pages exceed the limit of %u", what,
			   (unsigned long long)pages, KHP_MAX_OP_PAGES);
	if (addr >= KHP_ADDR_LIMIT || pages > KHP_ADDR_LIMIT - addr)
		return run_say(msg, len, -ERANGE, "%s: range beyond the address space (%llu pages)",
			   what, (unsigned long long)KHP_ADDR_LIMIT);
	return 0;
}

int khp_op_check(const struct khp_op *op, const struct khp_config *c, char *msg, size_t len)
{
	const char *name = khp_op_name((enum khp_op_type)op->type);

	if (op->type >= KHP_NR_OPS)
		return run_say(msg, len, -EINVAL, "op: unknown op %u", op->type);
	if (op->type != KHP_OP_SPLIT && op->type != KHP_OP_FAIL_ALLOC && op->mm >= KHP_MAX_MMS)
		return run_say(msg, len, -ERANGE, "%s: mm %u out of range 0..%u", name, op->mm,
			   KHP_MAX_MMS - 1);
	switch (op->type) {
	case KHP_OP_MMAP:
	case KHP_OP_DONTNEED:
	case KHP_OP_MUNMAP:
	case KHP_OP_MPROTECT:
	case KHP_OP_TOUCH:
	case KHP_OP_COLLAPSE:
		return check_range(op->addr, op->pages, name, msg, len);
	case KHP_OP_MADVISE:
		if (op->advice >= KHP_NR_ADVICE)
			return run_say(msg, len, -EINVAL, "madvise: unknown advice %u", op->advice);
		return check_range(op->addr, op->pages, name, msg, len);
	case KHP_OP_MREMAP: {
		int ret = check_range(op->addr, op->pages, name, msg, len);

		if (ret)
			return ret;
		if (op->flags & KHP_OPF_NEW_PAGES) {
			ret = check_range(op->addr, op->new_pages, "mremap new_pages", msg, len);
			if (ret)
				return ret;
		}
		if (op->flags & KHP_OPF_TO)
			return check_range(op->to, (op->flags & KHP_OPF_NEW_PAGES) ? op->new_pages :
					   op->pages, "mremap to", msg, len);
		return 0;
	}
	case KHP_OP_AGE:
		if (op->flags & KHP_OPF_RANGE)
			return check_range(op->addr, op->pages, name, msg, len);
		return 0;
	case KHP_OP_KHUGEPAGED:
		if (op->count > KHP_MAX_PASSES)
			return run_say(msg, len, -ERANGE, "khugepaged: %u passes exceed %u", op->count,
				   KHP_MAX_PASSES);
		if (op->count && (op->mm || op->addr))
			return run_say(msg, len, -EINVAL, "khugepaged: passes with an mm or addr");
		return check_range(op->addr, 1, name, msg, len);
	case KHP_OP_PIN:
	case KHP_OP_UNPIN:
		return check_range(op->addr, 1, name, msg, len);
	case KHP_OP_FORK:
		if (op->child >= KHP_MAX_MMS)
			return run_say(msg, len, -ERANGE, "fork: child %u out of range 0..%u", op->child,
				   KHP_MAX_MMS - 1);
		return 0;
	case KHP_OP_FAIL_ALLOC:
		if (op->count > 1000000)
			return run_say(msg, len, -ERANGE, "fail_alloc: count %u too large", op->count);
		return 0;
	default:
		return 0;
	}
}

/* ---- programs --------------------------------------------------------- */
void khp_program_init(struct khp_program *p, const struct khp_config *c)
{
	memset(p, 0, sizeof(*p));
	if (c)
		p->config = *c;
	else
		khp_config_default(&p->config, KHP_PMD_PAGES_MAX);
}

int khp_program_push(struct khp_program *p, const struct khp_op *op)
{
	if (p->nr_ops >= KHP_MAX_OPS)
		return -E2BIG;
	if (p->nr_ops == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct khp_op *ops = realloc(p->ops, cap * sizeof(*ops));

		if (!ops)
			return -ENOMEM;
		p->ops = ops;
		p->cap = cap;
	}
	p->ops[p->nr_ops++] = *op;
	return 0;
}

void khp_program_free(struct khp_program *p)
{
	free(p->ops);
	p->ops = NULL;
	p->nr_ops = p->cap = 0;
}

int khp_program_copy(struct khp_program *dst, const struct khp_program *src)
{
	khp_program_init(dst, &src->config);
	if (!src->nr_ops)
		return 0;
	dst->ops = malloc(src->nr_ops * sizeof(*dst->ops));
	if (!dst->ops)
		return -ENOMEM;
	memcpy(dst->ops, src->ops, src->nr_ops * sizeof(*dst->ops));
	dst->nr_ops = dst->cap = src->nr_ops;
	return 0;
}

/* ---- results ---------------------------------------------------------- */
struct result_desc {
	const char *name;
	const char *trace;     /* __print_symbolic string */
	uint8_t kernels;       /* bit k: exists in kernel k */
};

#define ALL 7u
#define OLD 3u   /* 6.1, 6.12 */
#define NEW 6u   /* 6.12, 7.3 */
#define K73 4u
static const struct result_desc results[KHP_NR_RESULTS] = {
	[SCAN_FAIL] = { "SCAN_FAIL", "failed", ALL },
	[SCAN_SUCCEED] = { "SCAN_SUCCEED", "succeeded", ALL },
	[SCAN_PMD_NULL] = { "SCAN_PMD_NULL", "pmd_null", OLD },
	[SCAN_PMD_NONE] = { "SCAN_PMD_NONE", "pmd_none", OLD },
	[SCAN_NO_PTE_TABLE] = { "SCAN_NO_PTE_TABLE", "no_pte_table", K73 },
	[SCAN_PMD_MAPPED] = { "SCAN_PMD_MAPPED", "page_pmd_mapped", ALL },
	[SCAN_EXCEED_NONE_PTE] = { "SCAN_EXCEED_NONE_PTE", "exceed_none_pte", ALL },
	[SCAN_EXCEED_SWAP_PTE] = { "SCAN_EXCEED_SWAP_PTE", "exceed_swap_pte", ALL },
	[SCAN_EXCEED_SHARED_PTE] = { "SCAN_EXCEED_SHARED_PTE", "exceed_shared_pte", ALL },
	[SCAN_PTE_NON_PRESENT] = { "SCAN_PTE_NON_PRESENT", "pte_non_present", ALL },
	[SCAN_PTE_UFFD_WP] = { "SCAN_PTE_UFFD_WP", "pte_uffd_wp", OLD },
	[SCAN_PTE_UFFD] = { "SCAN_PTE_UFFD", "pte_uffd_wp", K73 },
	[SCAN_PTE_MAPPED_HUGEPAGE] = { "SCAN_PTE_MAPPED_HUGEPAGE", "pte_mapped_hugepage", ALL },
	[SCAN_PAGE_RO] = { "SCAN_PAGE_RO", "no_writable_page", OLD },
	[SCAN_LACK_REFERENCED_PAGE] = { "SCAN_LACK_REFERENCED_PAGE", "lack_referenced_page", ALL },
	[SCAN_PAGE_NULL] = { "SCAN_PAGE_NULL", "page_null", ALL },
	[SCAN_SCAN_ABORT] = { "SCAN_SCAN_ABORT", "scan_aborted", ALL },
	[SCAN_PAGE_COUNT] = { "SCAN_PAGE_COUNT", "not_suitable_page_count", ALL },
	[SCAN_PAGE_LRU] = { "SCAN_PAGE_LRU", "page_not_in_lru", ALL },
	[SCAN_PAGE_LOCK] = { "SCAN_PAGE_LOCK", "page_locked", ALL },
	[SCAN_PAGE_ANON] = { "SCAN_PAGE_ANON", "page_not_anon", ALL },
	[SCAN_PAGE_LAZYFREE] = { "SCAN_PAGE_LAZYFREE", "page_lazyfree", K73 },
	[SCAN_PAGE_COMPOUND] = { "SCAN_PAGE_COMPOUND", "page_compound", ALL },
	[SCAN_ANY_PROCESS] = { "SCAN_ANY_PROCESS", "no_process_for_page", ALL },
	[SCAN_VMA_NULL] = { "SCAN_VMA_NULL", "vma_null", ALL },
	[SCAN_VMA_CHECK] = { "SCAN_VMA_CHECK", "vma_check_failed", ALL },
	[SCAN_ADDRESS_RANGE] = { "SCAN_ADDRESS_RANGE", "not_suitable_address_range", ALL },
	[SCAN_DEL_PAGE_LRU] = { "SCAN_DEL_PAGE_LRU", "could_not_delete_page_from_lru", ALL },
	[SCAN_ALLOC_HUGE_PAGE_FAIL] = { "SCAN_ALLOC_HUGE_PAGE_FAIL", "alloc_huge_page_failed", ALL },
	[SCAN_CGROUP_CHARGE_FAIL] = { "SCAN_CGROUP_CHARGE_FAIL", "ccgroup_charge_failed", ALL },
	[SCAN_TRUNCATED] = { "SCAN_TRUNCATED", "truncated", ALL },
	[SCAN_PAGE_HAS_PRIVATE] = { "SCAN_PAGE_HAS_PRIVATE", "page_has_private", ALL },
	[SCAN_STORE_FAILED] = { "SCAN_STORE_FAILED", "store_failed", ALL },
	[SCAN_COPY_MC] = { "SCAN_COPY_MC", "copy_poisoned_page", NEW },
	[SCAN_PAGE_FILLED] = { "SCAN_PAGE_FILLED", "page_filled", NEW },
	[SCAN_PAGE_DIRTY_OR_WRITEBACK] = { "SCAN_PAGE_DIRTY_OR_WRITEBACK",
					   "page_dirty_or_writeback", K73 },
	[KHP_NOT_VISITED] = { "not_visited", "not_visited", ALL },
};

const char *khp_result_name(enum scan_result r)
{
	return (unsigned)r < KHP_NR_RESULTS ? results[r].name : "?";
}

const char *khp_result_trace(enum scan_result r)
{
	return (unsigned)r < KHP_NR_RESULTS ? results[r].trace : "?";
}

bool khp_result_exists(enum khp_kernel k, enum scan_result r)
{
	return (unsigned)r < KHP_NR_RESULTS && (unsigned)k < KHP_NR_KERNELS &&
	       (results[r].kernels & (1u << k));
}

int khp_result_parse(const char *s, enum scan_result *out)
{
	for (unsigned i = 0; s && i < KHP_NR_RESULTS; i++) {
		if (!strcmp(results[i].name, s)) {
			*out = (enum scan_result)i;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *const verdict_names[KHP_NR_VERDICTS] = {
	"none", "agree", "false_negative", "false_positive",
};

const char *khp_verdict_name(enum khp_verdict v)
{
	return (unsigned)v < KHP_NR_VERDICTS ? verdict_names[v] : "?";
}

int khp_verdict_parse(const char *s, enum khp_verdict *out)
{
	unsigned v;
	int ret = parse_table(verdict_names, KHP_NR_VERDICTS, s, &v);

	if (!ret)
		*out = (enum khp_verdict)v;
	return ret;
}

static const struct { int err; const char *name; } errnos[] = {
	{ 0, "0" }, { EINVAL, "EINVAL" }, { ENOMEM, "ENOMEM" }, { EBUSY, "EBUSY" },
	{ EAGAIN, "EAGAIN" }, { EPERM, "EPERM" }, { EFAULT, "EFAULT" },
};

const char *khp_errno_name(int err)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].err == err)
			return errnos[i].name;
	return "?";
}

int khp_errno_parse(const char *s, int *out)
{
	for (size_t i = 0; s && i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		if (!strcmp(errnos[i].name, s)) {
			*out = errnos[i].err;
			return 0;
		}
	}
	return -EINVAL;
}
