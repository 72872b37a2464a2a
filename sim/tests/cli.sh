#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# cli.sh KHPSIM SOURCE_DIR VERSION: the command line of every subcommand
# (ctest cli/options).  Each case runs khpsim and checks the exit status and
# a piece of stderr or stdout; most are regressions of a defect fixed in
# the options, the number and profile-list parsers, output escaping or
# write-error handling.
set -u
K=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$2
VERSION=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
S=$SRC/scenarios/hildenbrand-2024-extreme.json   # 11 ops, a 6.12 false negative

. "$SRC/sim/tests/expect.sh"

# one_line NAME: the last case wrote exactly one line on stderr
one_line() {
	if [ "$(wc -l <"$T/err")" -ne 1 ]; then
		echo "FAIL $1: $(wc -l <"$T/err") lines on stderr, want 1"; fails=$((fails + 1))
	fi
}

expect version 0 "^khpsim $VERSION\$" "$K" --version

# ---- options: getopt_long everywhere -------------------------------------
expect out-missing-value 2 "option '--out' needs a value" "$K" explore --out --runs 10
one_line out-missing-value
expect out-value-is-option 0 "seed 1, 10 runs" "$K" explore --quiet --runs 10 "--out=$T/--runs"
expect unknown-option 2 "unknown option '--frob'" "$K" explore --frob
one_line unknown-option
expect ambiguous 2 "ambiguous option '--max-ptes' \(--max-ptes-none, --max-ptes-swap, --max-ptes-shared\)" "$K" explore --max-ptes 1
expect unknown-short 2 "unknown option '-x'" "$K" replay -x "$S"
expect no-value-allowed 2 "option '--json' takes no value" "$K" replay --json=1 "$S"
expect value-at-end 2 "option '--profile' needs a value" "$K" replay "$S" --profile
expect set-at-end 2 "option '--set' needs a value" "$K" run "$S" --set
expect opt-equals 0 "profiles: linux-7.3$" "$K" replay --profile=linux-7.3 "$S"
expect opt-space 0 "profiles: linux-7.3$" "$K" replay --profile linux-7.3 "$S"
expect opt-after-file 0 "profiles: linux-7.3$" "$K" replay "$S" -p linux-7.3
cp "$S" "$T/-q"
expect validate-dashdash 0 "/-q: ok" "$K" validate -- "$T/-q"
(cd "$T" && expect validate-dashdash-rel 0 "^-q: ok" "$K" validate -- -q) || fails=$((fails + 1))
expect emit-out-equals 0 "" "$K" emit-c "--out=$T/r.c" "$S"
[ -s "$T/r.c" ] || { echo "FAIL emit-out-equals: no $T/r.c"; fails=$((fails + 1)); }
expect emit-out-missing 2 "option '-o' needs a value" "$K" emit-c "$S" -o
expect emit-check 0 ": ok" "$K" emit-c --check -- "$S"
expect oracle-log-missing 2 "option '--log' needs a value" "$K" oracle "$S" --log
expect oracle-kernel-first 2 "--kernel 6.12: give 6.1, 6.12 or 7.3 after a --log" \
	"$K" oracle --kernel 6.12 --log x "$S"
expect replay-dashdash 0 "expectations: 3 checked" "$K" replay --quiet -- "$S"
expect minimize-max-runs-negative 2 "--max-runs: \"-1\" is not a decimal number" \
	"$K" minimize --max-runs -1 "$S"
expect minimize-max-runs-zero 2 "--max-runs: 0 is out of range" "$K" minimize --max-runs 0 "$S"
expect minimize-profile 0 "linux-6.12 fn_waste_pages 256" "$K" minimize --quiet --profile linux-6.12 \
	-o "$T/min612.json" "$S"
grep -q '"profiles": \["linux-6.12"\]' "$T/min612.json" ||
	{ echo "FAIL minimize-profile: the result does not name linux-6.12 alone"; fails=$((fails + 1)); }
expect minimize-profile-none 2 "no false_negative" "$K" minimize --quiet --profile linux-6.1,linux-7.3 "$S"
expect minimize-profile-bad 2 "--profile: unknown profile 'bogus'" "$K" minimize --profile bogus "$S"
expect explore-seconds-overflow 2 "--seconds: 99999999999999999999 is out of range" \
	"$K" explore --seconds 99999999999999999999 --runs 1
expect explore-runs-overflow 2 "--runs: 99999999999999999999 is out of range" \
	"$K" explore --runs 99999999999999999999
expect explore-runs-decimal 0 "seed 1, 10 runs" "$K" explore --quiet --runs 010 "--out=$T/e10"
expect explore-runs-hex 2 "--runs: \"0x10\" is not a decimal number" "$K" explore --runs 0x10
expect bench-seconds-zero 2 "--seconds: 0 is out of range" "$K" bench --seconds 0
expect bench-seconds-word 2 "--seconds: \"fast\" is not a decimal number" "$K" bench --seconds fast
expect bench-iterations-zero 2 "--iterations: 0 is out of range" "$K" bench --iterations 0
expect bench-seconds-and-iterations 2 "give one of them" "$K" bench --seconds 1 --iterations 5
expect bench-only-unknown 2 "--only: unknown measurement 'scan/full'" "$K" bench --only scan/full
expect bench-iterations 0 "scan/mixed .*[0-9]x  \(naive .*; 3 in" \
	"$K" bench --iterations 3 --profile linux-7.3 --only scan/mixed,fork-loop

# ---- profiles: one list parser, duplicates refused ------------------------
expect explore-dup-profile 2 'profile "linux-6.12" listed twice \(linux-6.1, linux-6.12' \
	"$K" explore --runs 1 --profile linux-6.12,linux-6.12
expect replay-dup-profile 2 "listed twice" "$K" replay --profile linux-6.1,linux-6.1 "$S"
expect bench-dup-profile 2 "listed twice" "$K" bench --profile linux-7.3,linux-7.3
expect empty-profile 2 "empty profile name" "$K" replay --profile linux-6.1,,linux-7.3 "$S"
expect unknown-profile 2 'unknown profile .linux-6.2.' "$K" run --profile linux-6.2 "$S"

# ---- knobs: one table, decimal, order-independent -------------------------
expect set-decimal 0 '"max_ptes_shared": 10,' "$K" run --json --set max_ptes_shared=010 "$S"
expect set-orders-empty 2 'empty order in "4,,4"' "$K" run --set mthp_orders=4,,4 "$S"
expect set-orders-twice 2 "order 4 listed twice" "$K" run --set mthp_orders=4,4 "$S"
expect set-orders 0 "mthp_orders=2,4$" "$K" run --set mthp_orders=4,2 "$S"
expect set-range 2 "--set max_ptes_shared: 300 out of range \(0..255 for pmd_pages 256\)" \
	"$K" run --set max_ptes_shared=300 --set pmd_pages=256 "$S"
expect set-unknown 2 'unknown knob "max_ptes_shard"' "$K" run --set max_ptes_shard=1 "$S"
expect explore-knob-range 2 "--max-ptes-shared: 999 is out of range" \
	"$K" explore --max-ptes-shared 999 --pmd-pages 64
expect explore-pmd-pages 2 '--pmd-pages: "100" is not a power of two' "$K" explore --pmd-pages 100
expect explore-env 2 "KHP_MAX_PTES_SHARED: \"x\" is not a decimal number" \
	env KHP_MAX_PTES_SHARED=x "$K" explore --runs 1
# a knob the user set is never reset by --pmd-pages, whatever the order
expect explore-order-a 1 "worst finding" "$K" explore --quiet --seed 8 --runs 100 \
	--max-ptes-shared 0 --pmd-pages 512 --out "$T/a"
expect explore-order-b 1 "worst finding" "$K" explore --quiet --seed 8 --runs 100 \
	--pmd-pages 512 --max-ptes-shared 0 --out "$T/b"
if ! grep -q '"config": {"max_ptes_shared": 0}' "$T"/a/*.json ||
   ! cmp -s "$T"/a/*.json "$T"/b/*.json; then
	echo "FAIL explore-order: the findings differ or lost max_ptes_shared 0"; fails=$((fails + 1))
fi
# what explore writes, validate reads
expect explore-finding-valid 0 ": ok" "$K" validate "$T"/a/*.json

# ---- input and output: NUL, escapes, invalid UTF-8 ------------------------
printf '{"khpsim": 1, "profiles": ["linux-6.12\\u0000junk"], "program": []}\n' >"$T/nul.json"
expect nul-profile 2 'profiles\[0\]: the string holds \\u0000' "$K" validate "$T/nul.json"
printf '{"khpsim": 1, "name": "\\u001b[31mred\\u0085", "description": "a\\nb", "program": []}\n' \
	>"$T/esc.json"
expect escaped-name 0 "" "$K" replay "$T/esc.json"
if LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$T/out" ||
   LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$T/out"; then
	echo "FAIL escaped-name: raw control characters in the text output"; fails=$((fails + 1))
fi
expect escaped-name-text 0 '== .*esc.json: \\x1b\[31mred\\u0085' "$K" replay "$T/esc.json"
bad=$(printf "$T/bad\377name.json")
cp "$S" "$bad"
expect bad-file-name 0 "" "$K" replay --json "$bad" "$T/esc.json"
if command -v python3 >/dev/null; then
	if ! python3 -c 'import json,sys; json.loads(open(sys.argv[1],"rb").read().decode("utf-8"))' \
	     "$T/out" 2>"$T/py"; then
		echo "FAIL bad-file-name: replay --json output is not UTF-8 JSON: $(cat "$T/py")"
		fails=$((fails + 1))
	fi
fi
printf '{"khpsim": 1, "name": "\033[31m", "program": []}\n' >"$T/raw.json"
expect raw-escape 2 'name: the string holds a raw control character' "$K" validate "$T/raw.json"
if LC_ALL=C grep -q "$(printf '\033')" "$T/err"; then
	echo "FAIL raw-escape: the error message holds a raw ESC"; fails=$((fails + 1))
fi

# ---- exhaust: bad options, the certificate, shards and their merge ----------
expect exhaust-ops-zero 2 "--ops: 0 is out of range" "$K" exhaust --ops 0
one_line exhaust-ops-zero
expect exhaust-ops-big 2 "--ops: 13 is out of range" "$K" exhaust --ops 13
expect exhaust-mms-zero 2 "--mms: 0 is out of range" "$K" exhaust --mms 0
expect exhaust-pmd-odd 2 "pmd_pages" "$K" exhaust --pmd-pages 12
expect exhaust-grammar 2 "--grammar: unknown grammar 'tiny' \(core, full\)" "$K" exhaust --grammar tiny
expect exhaust-shard-range 2 "--shard: '3/3' is not I/K with 0 <= I < K" "$K" exhaust --shard 3/3
expect exhaust-shard-word 2 "--shard: 'a/b' is not I/K" "$K" exhaust --shard a/b
expect exhaust-shard-noslash 2 "--shard: '1' is not I/K" "$K" exhaust --shard 1
expect exhaust-set-bad 2 "--set: .*frob" "$K" exhaust --set frob=1
expect exhaust-profile-bad 2 "--profile: .*linux-9" "$K" exhaust --profile linux-9
expect exhaust-operand 2 "unexpected argument 'x' \(directories go with --merge\)" "$K" exhaust x
expect exhaust-merge-none 2 "--merge: no directory given" "$K" exhaust --merge
mkdir -p "$T/empty"
expect exhaust-merge-empty 2 "holds no .sets file" "$K" exhaust --merge "$T/empty"
E="--ops 3 --mms 2 --set max_ptes_shared=0 --profile linux-6.12,linux-7.3 --quiet"
expect exhaust-whole 0 "\"profile\": \"linux-6.12\", \"max_fn_waste_pages\": 0, \"false_negatives\": 0, \"false_positives\": 0, \"states\": 42" \
	"$K" exhaust $E --json --out "$T/whole"
grep -q '"profile": "linux-7.3", "max_fn_waste_pages": 0' "$T/out" ||
	{ echo "FAIL exhaust-whole: no profile / max_fn_waste_pages keys in --json"; fails=$((fails + 1)); }
cp "$T/out" "$T/whole.json"
for i in 0 1; do
	expect exhaust-shard-$i 0 "" "$K" exhaust $E --shard $i/2 --out "$T/s$i"
done
expect exhaust-merge 0 "" "$K" exhaust --merge --json "$T/s0" "$T/s1"
# the merged certificate equals the whole run's, but for the work done (transitions,
# refused, levels: the shards repeat the common depths) and the wall-clock seconds
work='s/"transitions": [0-9]*, "refused": [0-9]*,//; s/"levels": \[[0-9, ]*\],//; s/"seconds": [0-9.]*//'
sed "$work" "$T/out" >"$T/m1"
sed "$work" "$T/whole.json" >"$T/m2"
cmp -s "$T/m1" "$T/m2" ||
	{ echo "FAIL exhaust-merge: merged certificate differs from the whole run"; diff "$T/m1" "$T/m2" | head -5; fails=$((fails + 1)); }
expect exhaust-merge-missing 2 "shard 1/2 of linux-6.12 is missing" "$K" exhaust --merge "$T/s0"
expect exhaust-merge-twice 2 "shard 0 of linux-6.12 given twice" "$K" exhaust --merge "$T/s0" "$T/s0"
"$K" exhaust --ops 2 --mms 2 --set max_ptes_shared=0 --profile linux-6.12,linux-7.3 --quiet --shard 1/2 --out "$T/o2" >/dev/null 2>&1
expect exhaust-merge-bounds 2 "bounds differ from the first shard's" "$K" exhaust --merge "$T/s0" "$T/o2"
printf 'junk' >"$T/o2/linux-6.12.sets"
expect exhaust-merge-junk 2 "not a khpsim exhaust .sets file" "$K" exhaust --merge "$T/o2"
expect exhaust-help 0 "usage: khpsim exhaust" "$K" exhaust --help

# ---- write errors: exit 2 with a message ---------------------------------
if [ -w /dev/full ]; then
	expect full-replay 2 "write error on standard output" sh -c '"$0" replay "$1" >/dev/full' "$K" "$S"
	expect full-replay-json 2 "write error" sh -c '"$0" replay --json "$1" >/dev/full' "$K" "$S"
	expect full-validate 2 "write error" sh -c '"$0" validate "$1" >/dev/full' "$K" "$S"
	expect full-minimize 2 "write error" sh -c '"$0" minimize --quiet "$1" >/dev/full' "$K" "$S"
	expect full-help 2 "write error" sh -c '"$0" replay --help >/dev/full' "$K"
fi

echo "$fails failed"
[ "$fails" -eq 0 ]
