/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private to the run layer (sim/src/run): the one-line message helper of
 * the parsers and checks.
 */
#ifndef KHPSIM_RUN_H
#define KHPSIM_RUN_H

#include <stddef.h>

/* Print the message into msg (if not NULL) and return code: "return run_say(msg, len, -EINVAL, ...)". */
int run_say(char *msg, size_t len, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
