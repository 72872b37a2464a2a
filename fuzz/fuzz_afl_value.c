/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Exact-value feedback for AFL++: bump one byte of the AFL++ coverage map
 * per value, so a new maximum is new coverage even within a ladder bucket.
 *
 * This file must be compiled WITHOUT afl-clang-fast: the AFL++ pass defines
 * its own __afl_area_ptr in every module it instruments, and a declaration
 * here would clash with it (the build uses the plain clang for this file).
 * The runtime symbols are weak, so without AFL++ this is a no-op.  The map
 * index is hashed and may collide with a real edge: noise, not harm.
 */
#include <stdint.h>

extern uint8_t *__afl_area_ptr __attribute__((weak));
extern uint32_t __afl_map_size __attribute__((weak));

void fuzz_afl_value(unsigned key, unsigned unused);

void fuzz_afl_value(unsigned key, unsigned unused)
{
	uint32_t h = (key + 1u) * 0x9e3779b1u;

	(void)unused;
	if (!&__afl_area_ptr || !&__afl_map_size || !__afl_area_ptr || !__afl_map_size)
		return;
	__afl_area_ptr[(h ^ (h >> 15)) % __afl_map_size]++;
}
