/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every khpsim fuzz target shares (after zstd's tests/fuzz/fuzz.h).
 *
 * Each target is one small file defining LLVMFuzzerTestOneInput(); it
 * decodes the input with the library's decoder (sim/src/search/decode*.c) and runs
 * the program under each profile with the library's runner (khp_run_in on
 * one reused world per profile); scenario.c instead reads the input as a
 * scenario file (its own budget and properties are in its first comment,
 * and it reads only KHP_FUZZ_STATS).  The same sources build
 *   - with libFuzzer   (KHP_FUZZ_ENGINE=libfuzzer: -fsanitize=fuzzer),
 *   - with AFL++       (KHP_FUZZ_ENGINE=afl: afl-clang-fast -fsanitize=fuzzer,
 *                       which links libAFLDriver: persistent + shmem mode),
 *   - as regression drivers (regression_driver.c main(), run by ctest).
 *
 * Environment (read once, at the first input):
 *   KHP_PROFILES        comma list, default "linux-6.1,linux-6.12,linux-7.3"
 *                       (invariants: also the three "+exact" variants)
 *   KHP_PMD_PAGES, KHP_MAX_PTES_NONE/SWAP/SHARED, KHP_THP, KHP_USE_ZERO_PAGE,
 *   KHP_SWAP, KHP_SHRINK_UNDERUSED, KHP_MTHP_ORDERS, KHP_EXPLORE_CONFIG,
 *   KHP_MAX_OPS, KHP_MAX_MMS, KHP_MAX_PMDS, KHP_MACROS
 *                       the decoder (decode.h); default: kernel config at
 *                       512 pages, thp=madvise
 *   KHP_FINDINGS_DIR    where findings are written (default ".")
 *   KHP_FN_THRESHOLD    differential: smallest fn_waste_pages that aborts (default 1)
 *   KHP_STRICT          1: abort when the world rejects a decoded op (a decoder bug)
 *   KHP_FUZZ_QUIET      1: no "new maximum" lines
 *   KHP_FUZZ_STATS      1: print exec/reject counts at exit
 *   KHP_PROGRESS_FILE   append a line "4096" every 4096 execs (campaign progress)
 *   KHP_LIFT_TO         maximiser: lift new maxima to this pmd_pages, write only those
 *   KHP_MUTATOR         1: structure-aware mutations too (mutate.h; default: off)
 *
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION is defined by the fuzz builds,
 * as everywhere in OSS-Fuzz; the library does not depend on it.
 */
#ifndef KHPSIM_FUZZ_H
#define KHPSIM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Always-on assertion: prints file, line and condition, then abort(). */
#define FUZZ_ASSERT_MSG(cond, msg)                                            \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: assertion failed: %s (%s)\n", \
				__FILE__, __LINE__, #cond, (msg));            \
			abort();                                              \
		}                                                             \
	} while (0)
#define FUZZ_ASSERT(cond) FUZZ_ASSERT_MSG((cond), "")

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* The structure-aware mutator's hooks (mutator_libfuzzer.c; decoder targets, libFuzzer only). */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
				 uint8_t *out, size_t max_out, unsigned int seed);

#endif /* KHPSIM_FUZZ_H */
