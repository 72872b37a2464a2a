#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# sweep.sh data KHPSIM SOURCE_DIR (ctest cli/sweep): `khpsim sweep`'s CSV for
# the 2024 extreme case, the grid's shape, rules as axes, bad grids, the
# same bytes for the same input, and --search explore against explore.
#
# sweep.sh plot KHPSIM SOURCE_DIR (ctest cli/sweep-plot): --plot writes a
# valid PNG and SVG per profile, and scripts/plot progress draws a
# campaign's samples; exit 77 (skipped) without python3-matplotlib.
set -u
K=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
SRC=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
S=$SRC/scenarios/hildenbrand-2024-extreme.json   # max_ptes_shared=0, 256 pages shared

. "$SRC/sim/tests/expect.sh"

# rows FILE PROFILE: the CSV rows of PROFILE (no header)
rows() { grep "^$2," "$1"; }

data() {
	# ---- the 2024 extreme case over every max_ptes_shared -----------------
	# 256 pages of the THP are mapped by parent and child: a profile that
	# counts them (6.1 page_mapcount, 7.3 MM-ID) collapses once
	# max_ptes_shared >= 256; 6.12's folio_likely_mapped_shared() looks at
	# subpage 0, which nobody maps, and collapses at every value.
	expect extreme-sweep 0 "wrote .*/sweep.csv" "$K" sweep --knob max_ptes_shared=0:511:1 \
		--out "$T/x" "$S"
	C=$T/x/sweep.csv
	[ "$(head -1 "$C")" = "profile,max_ptes_shared,status,results,collapsed,waste_pages,fn_waste_pages,pages_in_use" ] ||
		fail "extreme-header: $(head -1 "$C")"
	[ "$(wc -l <"$C")" -eq $((1 + 3 * 512)) ] || fail "extreme-rows: $(wc -l <"$C") lines"
	bad=$(rows "$C" linux-6.12 | awk -F, '$5 != 1 || $4 != "10:SCAN_SUCCEED" || $3 != "ok"' | wc -l)
	[ "$bad" -eq 0 ] && [ "$(rows "$C" linux-6.12 | wc -l)" -eq 512 ] ||
		fail "extreme-6.12: $bad rows where linux-6.12 does not collapse"
	for p in linux-6.1 linux-7.3; do
		bad=$(rows "$C" $p | awk -F, '($2 >= 256) != ($5 == 1) ||
			($2 < 256 && $4 != "10:SCAN_EXCEED_SHARED_PTE")' | wc -l)
		[ "$bad" -eq 0 ] && [ "$(rows "$C" $p | wc -l)" -eq 512 ] ||
			fail "extreme-$p: $bad rows where $p collapses below 256 or not from 256 up"
	done
	# the false negative: 256 duplicated pages under 6.12 below 256, none above
	bad=$(rows "$C" linux-6.12 | awk -F, '$7 != ($2 < 256 ? 256 : 0)' | wc -l)
	[ "$bad" -eq 0 ] || fail "extreme-fn-waste: $bad rows"
	echo "ok   extreme-csv"

	# ---- the same bytes for the same input --------------------------------
	expect same-bytes 0 "" "$K" sweep --quiet --knob max_ptes_shared=0:511:1 --out "$T/y" "$S"
	cmp -s "$T/x/sweep.csv" "$T/y/sweep.csv" || fail "same-bytes: sweep.csv differs"
	sed "s|$T/x|$T/y|" "$T/x/sweep.json" | cmp -s - "$T/y/sweep.json" || fail "same-bytes: sweep.json differs"

	# ---- two axes: the grid's shape -----------------------------------------
	expect grid-2 0 "" "$K" sweep --quiet --knob max_ptes_shared=0:511:64 \
		--knob max_ptes_none=0,255,511 --profile linux-7.3,linux-6.12 --out "$T/g" "$S"
	C=$T/g/sweep.csv
	[ "$(head -1 "$C" | cut -d, -f1-4)" = "profile,max_ptes_shared,max_ptes_none,status" ] ||
		fail "grid-2 header: $(head -1 "$C")"
	for p in linux-7.3 linux-6.12; do
		[ "$(rows "$C" $p | cut -d, -f2,3 | sort -u | wc -l)" -eq 24 ] &&
		[ "$(rows "$C" $p | wc -l)" -eq 24 ] || fail "grid-2: $p has not 8 x 3 distinct points"
	done
	# row-major: the last axis varies fastest
	[ "$(sed -n 2,4p "$C" | cut -d, -f1-3 | tr '\n' ' ')" = "linux-7.3,0,0 linux-7.3,0,255 linux-7.3,0,511 " ] ||
		fail "grid-2 order: $(sed -n 2,4p "$C" | cut -d, -f1-3 | tr '\n' ' ')"
	# max_ptes_none 0 refuses the 255 none PTEs whatever max_ptes_shared is
	[ "$(rows "$C" linux-6.12 | awk -F, '$3 == 0 && $6 != 0' | wc -l)" -eq 0 ] ||
		fail "grid-2: a collapse at max_ptes_none=0"
	python3 - "$T/g/sweep.json" <<'EOF' || fail "grid-2 json"
import json, sys
d = json.load(open(sys.argv[1]))
assert [len(a["values"]) for a in d["axes"]] == [8, 3], d["axes"]
assert [a["label"] for a in d["axes"]] == ["khugepaged/max_ptes_shared", "khugepaged/max_ptes_none"]
assert [p["defaults"] for p in d["profiles"]] == [["256", "511"]] * 2
assert len(d["points"]) == 2 * 24
assert sorted(tuple(p["coords"]) for p in d["points"] if p["profile"] == 0) == \
    [(i, j) for i in range(8) for j in range(3)]
EOF
	echo "ok   grid-2-json"

	# ---- rules are axes too ---------------------------------------------------
	expect rule-axis 0 "" "$K" sweep --quiet --knob shared=page_mapcount,likely_mapped_shared \
		--profile linux-6.1 --out "$T/r" "$S"
	[ "$(sed -n 2,3p "$T/r/sweep.csv" | cut -d, -f1,2,5,7 | tr '\n' ' ')" = \
	  "linux-6.1,page_mapcount,0,0 linux-6.1,likely_mapped_shared,1,256 " ] ||
		fail "rule-axis: $(sed -n 2,3p "$T/r/sweep.csv" | tr '\n' ' ')"
	grep -q '"defaults": \["page_mapcount"\]' "$T/r/sweep.json" || fail "rule-axis: default"
	expect rule-range 0 "" "$K" sweep --quiet --knob shared=0:3:1 --knob max_ptes_shared=0,256 \
		--profile linux-7.3 --out "$T/r2" "$S"
	[ "$(wc -l <"$T/r2/sweep.csv")" -eq 9 ] || fail "rule-range: $(wc -l <"$T/r2/sweep.csv") lines"
	expect rule-requires 2 "at mthp_max_ptes_none=scaled under linux-6.1: rule mthp_max_ptes_none means nothing while mthp_collapse=0" \
		"$K" sweep --knob mthp_max_ptes_none=scaled --profile linux-6.1 --out "$T/r3" "$S"
	expect rule-bad-value 2 'unknown value "bogus" \(values: 0 page_mapcount, 1 likely_mapped_shared' \
		"$K" sweep --knob shared=bogus --out "$T/r4" "$S"
	expect rule-bad-number 2 'no value number "4"' "$K" sweep --knob shared=0:4:1 --out "$T/r4" "$S"

	# ---- bad grids ------------------------------------------------------------
	expect empty-values 2 "--knob max_ptes_shared: no values" "$K" sweep --knob max_ptes_shared= "$S"
	expect empty-range 2 'empty range "5:1:1"' "$K" sweep --knob max_ptes_shared=5:1:1 "$S"
	expect empty-element 2 'an empty value in "1,,2"' "$K" sweep --knob max_ptes_shared=1,,2 "$S"
	expect step-0 2 'step 0 in "0:10:0"' "$K" sweep --knob max_ptes_shared=0:10:0 "$S"
	expect not-a-range 2 '"0:10" is not FROM:TO:STEP' "$K" sweep --knob max_ptes_shared=0:10 "$S"
	expect not-decimal 2 '"0x10" in "0:0x10:1" is not a decimal number' \
		"$K" sweep --knob max_ptes_shared=0:0x10:1 "$S"
	expect range-junk 2 '"1 x" in "0:10:1 x" is not a decimal number' \
		"$K" sweep --knob max_ptes_shared="0:10:1 x" "$S"
	expect range-four 2 '"0:10:1:2" is not FROM:TO:STEP' "$K" sweep --knob max_ptes_shared=0:10:1:2 "$S"
	expect range-empty-part 2 '"0::1" is not FROM:TO:STEP' "$K" sweep --knob max_ptes_shared=0::1 "$S"
	expect range-long 2 'is not FROM:TO:STEP' \
		"$K" sweep --knob max_ptes_shared=0:10:000000000000000000000001 "$S"
	expect out-of-range 2 "--knob max_ptes_shared: 600 is out of range" \
		"$K" sweep --knob max_ptes_shared=0:600:100 "$S"
	expect out-of-range-pmd 2 "at max_ptes_shared=256: --knob max_ptes_shared: 256 out of range \(0..255 for pmd_pages 256\)" \
		"$K" sweep --set pmd_pages=256 --knob max_ptes_shared=0:511:32 --out "$T/p" "$S"
	[ ! -e "$T/p" ] || fail "out-of-range-pmd: wrote $T/p before checking every point"
	expect pmd-not-power 2 'pmd_pages: "24" is not a power of two' "$K" sweep --knob pmd_pages=8:512:8 "$S"
	expect pmd-axis 0 "" "$K" sweep --quiet --knob pmd_pages=64,512 --out "$T/pmd" "$S"
	grep -q '"label": "HPAGE_PMD_NR (pmd_pages)", "numeric": true, "values": \["64", "512"\]' \
		"$T/pmd/sweep.json" || fail "pmd-axis: json axis"
	expect unknown-knob 2 'unknown knob or rule "max_ptes_shard"' "$K" sweep --knob max_ptes_shard=1 "$S"
	expect no-equals 2 'wants NAME=FROM:TO:STEP or NAME=v1,v2,..., not "max_ptes_shared"' \
		"$K" sweep --knob max_ptes_shared "$S"
	expect twice 2 "value 1 listed twice" "$K" sweep --knob max_ptes_shared=1,1 "$S"
	expect axis-twice 2 "--knob max_ptes_none given twice" \
		"$K" sweep --knob max_ptes_none=1 --knob max_ptes_none=2 "$S"
	expect three-axes 2 "at most 2 axes" "$K" sweep --knob thp=never,always --knob swap=0,1 \
		--knob max_ptes_none=0 "$S"
	expect too-many-points 2 "the grid has 262144 points, more than 4096" \
		"$K" sweep --knob max_ptes_shared=0:511:1 --knob max_ptes_none=0:511:1 "$S"
	expect too-many-values 2 '"0:4000:1" has more than 512 values' \
		"$K" sweep --knob max_ptes_shared=0:4000:1 "$S"
	expect no-axis 2 "no axis" "$K" sweep "$S"
	expect no-file 2 "no scenario file given" "$K" sweep --knob max_ptes_shared=0
	expect runs-needs-search 2 "--runs, --seed and --bytes need --search" \
		"$K" sweep --runs 5 --knob max_ptes_shared=0 "$S"
	expect unknown-search 2 'unknown search "exhaustive"' "$K" sweep --search exhaustive \
		--knob max_ptes_shared=0
	expect bad-file 2 "" "$K" sweep --knob max_ptes_shared=0 "$T/none.json"
	expect orders-list 0 "" "$K" sweep --quiet --knob "mthp_orders=none;2;2,4" --out "$T/o" "$S"
	grep -q '^linux-7.3,"2,4",ok,' "$T/o/sweep.csv" || fail "orders-list: no quoted 2,4 row"
	expect set-fixed 0 "" "$K" sweep --quiet --set max_ptes_none=0 --knob max_ptes_shared=0,256 \
		--out "$T/f" "$S"
	[ "$(awk -F, 'NR > 1 && $4 != "10:SCAN_EXCEED_NONE_PTE"' "$T/f/sweep.csv" | wc -l)" -eq 0 ] ||
		fail "set-fixed: --set max_ptes_none=0 not applied"
	expect plot-missing 2 "--plot: cannot run $T/no-plot.*the data are in $T/np" \
		env KHP_PLOT="$T/no-plot" "$K" sweep --plot --knob max_ptes_shared=0 --out "$T/np" "$S"
	[ -s "$T/np/sweep.csv" ] || fail "plot-missing: no sweep.csv"
	mkdir -p "$T/bin"
	printf '#!/bin/sh\necho "plotted $1 $2" > "$2/plotted"\n' > "$T/bin/khp-test-plot"
	chmod +x "$T/bin/khp-test-plot"
	expect plot-on-path 0 "" env PATH="$T/bin:$PATH" KHP_PLOT=khp-test-plot \
		"$K" sweep --quiet --plot --knob max_ptes_shared=0 --out "$T/pp" "$S"
	grep -qx "plotted sweep $T/pp" "$T/pp/plotted" || fail "plot-on-path: KHP_PLOT not run from PATH"

	# ---- a sweep of explore searches: each point is `khpsim explore` -----------
	expect explore 1 "worst finding" "$K" explore --quiet --runs 2000 --max-ptes-shared 0 --out "$T/e"
	fnrun=$(sed -n 's/^  linux-6.12 *best fn_waste_pages *\([0-9]*\)  (run \([0-9]*\))$/\1,\2/p' "$T/out")
	[ -n "$fnrun" ] || fail "explore: no linux-6.12 finding in 2000 runs (the test needs one)"
	expect search 0 "" "$K" sweep --quiet --search explore --runs 2000 --knob max_ptes_shared=0,511 \
		--out "$T/s"
	[ "$(head -1 "$T/s/sweep.csv" | cut -d, -f9,10)" = "runs,worst_run" ] || fail "search: header"
	got=$(grep '^linux-6.12,0,' "$T/s/sweep.csv" | cut -d, -f7,10)
	[ "$got" = "$fnrun" ] || fail "search: linux-6.12 at 0 gave $got, explore $fnrun (fn,run)"
	grep -q '"search": "explore",' "$T/s/sweep.json" && grep -q '"budget": 2000,' "$T/s/sweep.json" ||
		fail "search: json"
	# the decoder limits from the environment, as explore reads them: the
	# finding above needs 9 ops, so at 8 neither explore nor the sweep has it
	expect explore-ops 0 "" env KHP_MAX_OPS=8 "$K" explore --quiet --runs 2000 \
		--max-ptes-shared 0 --out "$T/e8"
	grep -q '^  linux-6.12 *best fn_waste_pages *0$' "$T/out" || fail "explore-ops: a finding in 8 ops"
	expect search-ops 0 "" env KHP_MAX_OPS=8 "$K" sweep --quiet --search explore --runs 2000 \
		--knob max_ptes_shared=0 --out "$T/s8"
	got=$(grep '^linux-6.12,0,' "$T/s8/sweep.csv" | cut -d, -f7)
	[ "$got" = 0 ] || fail "search-ops: linux-6.12 gave fn $got under KHP_MAX_OPS=8, explore 0"
	expect search-env-bad 2 "KHP_MAX_OPS" env KHP_MAX_OPS=x "$K" sweep --quiet --search explore \
		--runs 10 --knob max_ptes_shared=0 --out "$T/sbad"

	# ---- a sweep of exhaustive searches: each point is `khpsim exhaust` -------
	for v in 0 4; do
		expect exhaust-$v 0 "" "$K" exhaust --quiet --json --pmd-pages 8 --ops 4 \
			--set max_ptes_shared=$v --profile linux-6.12
		want=$(grep -o '"states": [0-9]*' "$T/out" | head -1 | cut -d' ' -f2)
		[ -n "$want" ] || fail "exhaust-$v: no states in the certificate"
		eval "states_$v=\$want"
	done
	expect search-exhaust 0 "" "$K" sweep --quiet --search exhaust --ops 4 --set pmd_pages=8 \
		--knob max_ptes_shared=0,4 --profile linux-6.12 --out "$T/x"
	[ "$(grep -c '^linux-6.12,' "$T/x/sweep.csv")" -eq 2 ] || fail "search-exhaust: rows"
	for v in 0 4; do
		got=$(grep "^linux-6.12,$v," "$T/x/sweep.csv" | cut -d, -f7,9)
		eval "want=0,\$states_$v"
		[ "$got" = "$want" ] || fail "search-exhaust: at $v got (fn,states) $got, exhaust $want"
	done
	grep -q '"search": "exhaust",' "$T/x/sweep.json" && grep -q '"budget": 4,' "$T/x/sweep.json" ||
		fail "search-exhaust: json"
	expect exhaust-needs-search 2 "need --search exhaust" "$K" sweep --ops 4 \
		--knob max_ptes_shared=0 "$S"
	expect explore-opts-exhaust 2 "need --search explore" "$K" sweep --search exhaust --runs 5 \
		--knob max_ptes_shared=0
	expect unsorted-list 2 "increasing order" "$K" sweep --knob max_ptes_shared=256,0,64 "$S"
	expect set-in-json 0 "" "$K" sweep --quiet --set max_ptes_shared=7 --knob max_ptes_none=0,511 \
		--profile linux-6.1 --out "$T/sj" "$S"
	grep -q '"config": ".*max_ptes_shared=7 ' "$T/sj/sweep.json" || fail "set-in-json: --set not in config"
	expect set-and-axis 2 "the knob is an axis too" "$K" sweep --set max_ptes_shared=3 \
		--knob max_ptes_shared=0,4 "$S"
	expect check-search 2 "check is for a scenario sweep" "$K" sweep --check --search explore \
		--knob max_ptes_shared=0
	expect bad-grammar 2 "unknown grammar" "$K" sweep --search exhaust --grammar nope \
		--knob max_ptes_shared=0
}

plot() {
	/usr/bin/python3 -c 'import matplotlib' 2>/dev/null || python3 -c 'import matplotlib' 2>/dev/null || {
		echo "skip: python3-matplotlib is not installed (scripts/setup installs it)"; exit 77; }
	expect plot-1 0 "plot: wrote .*sweep-linux-6.12.png" "$K" sweep --plot \
		--knob max_ptes_shared=0:511:32 --out "$T/p1" "$S"
	expect plot-2 0 "" "$K" sweep --quiet --plot --knob max_ptes_shared=0:511:64 \
		--knob shared=page_mapcount,exact --profile linux-6.1,linux-6.12+exact --out "$T/p2" "$S"
	for f in "$T"/p1/sweep-linux-6.1 "$T"/p1/sweep-linux-6.12 "$T"/p1/sweep-linux-7.3 \
		 "$T"/p2/sweep-linux-6.1 "$T"/p2/sweep-linux-6.12+exact; do
		[ "$(od -An -tx1 -N8 "$f.png" 2>/dev/null | tr -d ' \n')" = 89504e470d0a1a0a ] ||
			fail "plot: $f.png is not a PNG"
		python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
sys.exit(r.tag != "{http://www.w3.org/2000/svg}svg")' "$f.svg" || fail "plot: $f.svg has no <svg> root"
	done
	[ "$(ls "$T"/p2/*.png | wc -l)" -eq 2 ] || fail "plot-2: $(ls "$T"/p2/*.png | wc -l) PNGs, want 2"
	printf 'seconds\tlinux-6.1\tlinux-6.12\n5\t0\t0\n10\t0\t160\n15\t0\t256\n' >"$T/progress.tsv"
	expect progress 0 "plot: wrote $T/progress.png" "$SRC/scripts/plot" progress "$T/progress.tsv" \
		"$T/progress"
	[ "$(od -An -tx1 -N8 "$T/progress.png" | tr -d ' \n')" = 89504e470d0a1a0a ] ||
		fail "progress: not a PNG"
	printf 'time\tlinux-6.1\n5\t0\n' >"$T/bad.tsv"
	expect progress-bad 2 "the header is not 'seconds PROFILE...'" "$SRC/scripts/plot" progress \
		"$T/bad.tsv" "$T/bad"
}

case "$1" in
data) data ;;
plot) plot ;;
*) echo "usage: sweep.sh data|plot KHPSIM SOURCE_DIR" >&2; exit 2 ;;
esac
[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
