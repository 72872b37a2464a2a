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
