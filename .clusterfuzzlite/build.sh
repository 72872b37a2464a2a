#!/bin/bash -eu
# SPDX-License-Identifier: GPL-2.0-only
#
# ClusterFuzzLite / OSS-Fuzz build: honours $CC $CFLAGS $LIB_FUZZING_ENGINE
# $OUT (and $SRC for cJSON).  Builds every fuzz/ target once with the
# default config (kernel knobs) and once as <target>_shared0
# (max_ptes_shared=0, the corner of the 2024 extreme case), each with its
# .dict, .options and a seed corpus zip; invariants takes its config from
# the input (FUZZ_DEFAULT_EXPLORE_CONFIG); scenario (the scenario reader)
# is built once.  The [env] sections of the
# .options are for scripts/campaign, so their values are compiled in here.
# Checked locally with
#   CC=clang CFLAGS="-fsanitize=fuzzer-no-link,address" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out .clusterfuzzlite/build.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${KHP_SRC:-$(cd "$here/.." && pwd)}
[ -d "$root/sim" ] || root=$SRC/khpsim
cjson=${CJSON_SRC:-${SRC:-/nonexistent}/cjson}
work=${WORK:-$(mktemp -d)}/khpsim-cflite
mkdir -p "$work" "$OUT"

inc=(-I"$root/sim/include" -I"$root/sim/src" -I"$root/fuzz")
defs=(-D_GNU_SOURCE -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -UNDEBUG)
if [ -f "$cjson/cJSON.c" ]; then
	inc+=(-I"$cjson")
	extra_src=("$cjson/cJSON.c")
	extra_lib=()
else
	# Local check without $SRC/cjson: the system library (not for CI).
	inc+=($(pkg-config --cflags libcjson))
	extra_src=()
	extra_lib=($(pkg-config --libs libcjson))
fi

# The library, once: the layers below oracle (sim/CMakeLists.txt); the
# emitter and the command serve the CLI, not the fuzzers.
objs=()
for src in "$root"/sim/src/{mm,khugepaged,run,scenario,search}/*.c "${extra_src[@]}"; do
	obj=$work/$(basename "$(dirname "$src")")-$(basename "$src" .c).o
	$CC $CFLAGS -std=gnu11 "${defs[@]}" "${inc[@]}" -c "$src" -o "$obj"
	objs+=("$obj")
done

# fuzz_afl_value.c must not go through the AFL++ pass (see the file).
plain_cc=$(command -v clang || echo "$CC")
"$plain_cc" -O2 -c "$root/fuzz/fuzz_afl_value.c" -o "$work/fuzz_afl_value.o"

for t in invariants differential maximiser; do
	for variant in "" _shared0; do
		vdefs=()
		[ -n "$variant" ] && vdefs=(-DFUZZ_DEFAULT_MAX_PTES_SHARED=0)
		# invariants: the config comes from the input (all knob corners).
		[ "$t" = invariants ] && vdefs+=(-DFUZZ_DEFAULT_EXPLORE_CONFIG=1)
		$CC $CFLAGS -std=gnu11 "${defs[@]}" "${vdefs[@]}" "${inc[@]}" \
			-c "$root/fuzz/$t.c" -o "$work/$t$variant.o"
		$CC $CFLAGS "${defs[@]}" "${vdefs[@]}" "${inc[@]}" \
			"$work/$t$variant.o" "$root/fuzz/fuzz_common.c" "$work/fuzz_afl_value.o" "${objs[@]}" \
			$LIB_FUZZING_ENGINE "${extra_lib[@]}" -lm -o "$OUT/$t$variant"
		cp "$root/fuzz/$t.dict" "$OUT/$t$variant.dict"
		# .options: the [libfuzzer] section only, pointing at this dict.
		sed -n '/^\[libfuzzer\]/,/^\[/{/^\[env\]/d;p}' "$root/fuzz/$t.options" |
			sed "s/^dict = .*/dict = $t$variant.dict/" >"$OUT/$t$variant.options"
		(cd "$root/corpus/$t" && zip -q -j "$OUT/${t}${variant}_seed_corpus.zip" ./*)
	done
done

# scenario: the scenario reader / writer / runner (no knobs: the config is
# in the scenario), seeded with scenarios/*.json (corpus/scenario/).
$CC $CFLAGS -std=gnu11 "${defs[@]}" "${inc[@]}" -c "$root/fuzz/scenario.c" -o "$work/scenario.o"
$CC $CFLAGS "${defs[@]}" "${inc[@]}" "$work/scenario.o" "$root/fuzz/fuzz_common.c" \
	"$work/fuzz_afl_value.o" "${objs[@]}" $LIB_FUZZING_ENGINE "${extra_lib[@]}" -lm -o "$OUT/scenario"
cp "$root/fuzz/scenario.dict" "$OUT/scenario.dict"
sed -n '/^\[libfuzzer\]/,/^\[/{/^\[env\]/d;p}' "$root/fuzz/scenario.options" >"$OUT/scenario.options"
(cd "$root/corpus/scenario" && zip -q -j "$OUT/scenario_seed_corpus.zip" ./*)
