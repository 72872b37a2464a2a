/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The op dispatcher: khp_world_apply() checks an op, hands it to the mm
 * model or to khugepaged, and runs the invariant checker after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mm/mm.h"
#include "khugepaged/khugepaged.h"

static int apply(struct khp_world *w, const struct khp_op *op, struct khp_record *rec,
		 const struct khp_daemon_sink *sink)
{
	switch (op->type) {
	case KHP_OP_MMAP:       return op_mmap(w, op);
	case KHP_OP_TOUCH:      return op_touch(w, op);
	case KHP_OP_FORK:       return op_fork(w, op->mm, op->child);
	case KHP_OP_EXIT:       return op_exit(w, op);
	case KHP_OP_DONTNEED:
	case KHP_OP_MUNMAP:     return op_zap(w, op);
	case KHP_OP_MREMAP:     return op_mremap(w, op);
	case KHP_OP_MPROTECT:   return op_mprotect(w, op);
	case KHP_OP_MADVISE:    return op_madvise(w, op);
	case KHP_OP_PIN:        return op_pin(w, op, true);
	case KHP_OP_UNPIN:      return op_pin(w, op, false);
	case KHP_OP_AGE:        return op_age(w, op);
	case KHP_OP_KHUGEPAGED:
		if (op->count)
			return khugepaged_daemon(w, op->count, sink);
		return op_khugepaged(w, op, rec);
	case KHP_OP_COLLAPSE:   return op_collapse(w, op, rec);
	case KHP_OP_SPLIT:      deferred_split_scan(w); return 0;
	case KHP_OP_FAIL_ALLOC: w->fail_alloc += op->count; return 0;
	default:                return khp_err(w, -EINVAL, "unknown op %u", op->type);
	}
}

int khp_world_apply(struct khp_world *w, const struct khp_op *op, struct khp_record *rec)
{
	return khp_world_apply_sink(w, op, rec, NULL);
}

int khp_world_apply_sink(struct khp_world *w, const struct khp_op *op, struct khp_record *rec,
			 const struct khp_daemon_sink *sink)
{
	char msg[160];
	int ret;

	w->err[0] = 0;
	ret = khp_op_check(op, &w->cfg, msg, sizeof(msg));
	if (ret)
		return khp_err(w, ret, "%s", msg);
	if (rec && op->type == KHP_OP_KHUGEPAGED && op->count) {
		memset(rec, 0, sizeof(*rec));      /* a daemon op's records go to the sink */
		rec->op = KHP_OP_KHUGEPAGED;
		rec->result = KHP_NOT_VISITED;
	}
	ret = apply(w, op, rec, sink);
	if (w->check) {
		if (world_check(w, msg, sizeof(msg))) {
			fprintf(stderr, "khpsim: invariant broken after %s (%s): %s\n",
				khp_op_name((enum khp_op_type)op->type), khp_profile_name(&w->prof), msg);
			abort();
		}
	}
	return ret;
}

int khp_world_check(struct khp_world *w, char *msg, size_t len)
{
	return world_check(w, msg, len);
}

