#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/tests/args.sh SRC: the option checking of scripts/campaign,
# scripts/triage, scripts/test and scripts/setup (ctest scripts/args, label
# `scripts`).  The scripts run from a sandbox copy of the source tree whose
# scripts/setup and `cmake` (first on PATH) are stubs that only record that
# they ran, so nothing is installed, built or fuzzed, and the sandbox has a
# corpus/ and scenarios/ of its own to lose.  Checked:
#   - --out build/.., build/../scenarios, build, a symbolic link below build/
#     into corpus/: refused (exit 2, one line naming --out), nothing removed
#     or created in the sandbox's source tree;
#   - an existing --out holding a corpus/ the campaign did not make: refused,
#     kept; a fresh start removes only the stamped directories of an earlier
#     campaign;
#   - --engine / --out without a value, --out /proc/x, --minutes
#     99999999999999999999, --max-ptes-shared 999 --pmd-pages 100 and
#     friends: exit 2 with one line naming the option, before setup or build;
#   - the checked settings do not depend on the order of the options;
#   - triage: options after the directories, values, ranges, OUT_DIR errors;
#     test and setup: unknown options; refactor-check: its options' values
#     (the sandbox is no git repository: --base is refused there too).
set -uo pipefail

src=${1:?usage: args.sh SRC}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

sb=$tmp/src                       # the sandbox source tree
mkdir -p "$sb/scripts/lib" "$sb/corpus/maximiser" "$sb/scenarios" "$sb/build" "$tmp/bin"
cp "$src/scripts/campaign" "$src/scripts/triage" "$src/scripts/test" "$src/scripts/refactor-check" \
	"$sb/scripts/"
cp "$src/scripts/lib/"*.sh "$sb/scripts/lib/" 2>/dev/null || true
echo seed >"$sb/corpus/maximiser/keep"
echo '{}' >"$sb/scenarios/keep.json"
printf '#!/bin/sh\ntouch "%s/setup-ran"\nexit 1\n' "$tmp" >"$sb/scripts/setup"
printf '#!/bin/sh\ntouch "%s/cmake-ran"\nexit 1\n' "$tmp" >"$tmp/bin/cmake"
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/khpsim"
chmod +x "$sb/scripts/setup" "$tmp/bin/cmake" "$tmp/bin/khpsim"
export PATH=$tmp/bin:$PATH
listing() { (cd "$sb" && find . -path ./build -prune -o -print | sort); }
before=$(listing)

# expect_error NAME PATTERN CMD...: exit 2, exactly one line on stderr,
# matching PATTERN; no setup, no build; the sandbox tree unchanged.
expect_error() {
	local name=$1 pat=$2 rc
	shift 2
	rm -f "$tmp/setup-ran" "$tmp/cmake-ran"
	(cd "$sb" && "$@") >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = 2 ] || fail "$name: exit $rc, expected 2 ($(head -1 "$tmp/err"))"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "$name: stderr is not one line: $(cat "$tmp/err")"
	grep -Eq -- "$pat" "$tmp/err" || fail "$name: stderr does not match '$pat': $(cat "$tmp/err")"
	[ ! -e "$tmp/setup-ran" ] || fail "$name: scripts/setup ran before the options were checked"
	[ ! -e "$tmp/cmake-ran" ] || fail "$name: cmake ran before the options were checked"
	[ "$(listing)" = "$before" ] || fail "$name: the source tree changed"
}

c=scripts/campaign
# ---- --out: real path, inside the source tree only below build/ ----------
expect_error "out build/.." '^campaign: --out .*source tree' $c --out build/.. --no-setup --no-build --engine explore
expect_error "out build/../scenarios" '^campaign: --out .*source tree' $c --out build/../scenarios --no-setup --no-build --engine explore
expect_error "out build" '^campaign: --out .*source tree' $c --out build --no-setup --no-build --engine explore
ln -s ../corpus "$sb/build/lnk"
expect_error "out symlink into corpus" '^campaign: --out .*source tree' $c --out build/lnk/x --no-setup --no-build --engine explore
expect_error "out symlink" '^campaign: --out .*source tree' $c --out build/lnk --no-setup --no-build --engine explore
[ -f "$sb/corpus/maximiser/keep" ] || fail "corpus/ lost"

# ---- never remove what the campaign did not make -------------------------
mkdir -p "$tmp/o1/corpus" && echo mine >"$tmp/o1/corpus/keep"
expect_error "foreign out" '^campaign: --out ' $c --out "$tmp/o1" --no-setup --no-build --engine explore
expect_error "foreign out, resume" '^campaign: --out ' $c --out "$tmp/o1" --resume --no-setup --no-build --engine explore
[ -f "$tmp/o1/corpus/keep" ] || fail "a corpus/ the campaign did not make was removed"
mkdir -p "$tmp/o2/corpus" && : >"$tmp/o2/.khpsim-campaign" && echo mine >"$tmp/o2/corpus/keep"
expect_error "unstamped corpus/ in a campaign out" '^campaign: --out .*corpus' $c --out "$tmp/o2" --no-setup --no-build --engine explore
[ -f "$tmp/o2/corpus/keep" ] || fail "an unstamped corpus/ was removed"
# An earlier campaign's (stamped) directories go at a fresh start, nothing else.
mkdir -p "$tmp/o3/findings" && : >"$tmp/o3/.khpsim-campaign" && : >"$tmp/o3/findings/.khpsim-campaign"
echo old >"$tmp/o3/findings/old.json" && echo notes >"$tmp/o3/notes.txt"
(cd "$sb" && $c --out "$tmp/o3" --no-setup --no-build --engine explore) >/dev/null 2>&1
[ ! -e "$tmp/o3/findings/old.json" ] || fail "fresh start kept the old findings"
[ -f "$tmp/o3/notes.txt" ] || fail "fresh start removed a file the campaign did not make"
[ -f "$tmp/o3/findings/.khpsim-campaign" ] || fail "findings/ made without its stamp"

# ---- values, numbers, ranges: before setup and build ---------------------
expect_error "engine without value" '^campaign: --engine needs a value' $c --engine
expect_error "out without value" '^campaign: --out needs a value' $c --out
expect_error "out followed by an option" '^campaign: --out needs a value' $c --out --minutes 5
expect_error "out /proc/x" '^campaign: --out /proc/x' $c --out /proc/x
expect_error "minutes overflow" '^campaign: --minutes' $c --minutes 99999999999999999999
expect_error "minutes not a number" '^campaign: --minutes' $c --minutes 5x
expect_error "seconds zero" '^campaign: --seconds' $c --seconds 0
expect_error "minutes and seconds" '^campaign: --minutes and --seconds' $c --minutes 1 --seconds 5
expect_error "shared 999 pmd 100" '^campaign: --(max-ptes-shared|pmd-pages)' $c --max-ptes-shared 999 --pmd-pages 100
expect_error "pmd 100" '^campaign: --pmd-pages' $c --pmd-pages 100
expect_error "shared 512" '^campaign: --max-ptes-shared' $c --max-ptes-shared 512
expect_error "shared 16 pmd 16" '^campaign: --max-ptes-shared' $c --max-ptes-shared 16 --pmd-pages 16
expect_error "pmd 16 shared 16" '^campaign: --max-ptes-shared' $c --pmd-pages 16 --max-ptes-shared 16
expect_error "jobs 0" '^campaign: --jobs' $c --jobs 0
expect_error "seed negative" '^campaign: --seed' $c --seed -1
expect_error "top huge" '^campaign: --top' $c --top 99999999999999999999
expect_error "engine bad" '^campaign: --engine' $c --engine foo
expect_error "sanitize needs libfuzzer" '^campaign: --sanitize' $c --engine explore --sanitize
expect_error "unknown option" "^campaign: unknown option '--bogus'" $c --bogus
expect_error "lift not a power of two" '^campaign: --lift: expected a power of two' $c --lift 24
expect_error "lift not below pmd" '^campaign: --lift: 64 is not below' $c --lift 64 --pmd-pages 64
expect_error "lift needs libfuzzer" '^campaign: --lift needs --engine libfuzzer' $c --engine explore --lift 16
expect_error "lift shared 100" '^campaign: --lift: max_ptes_shared 100 has no counterpart' $c --lift 16 --max-ptes-shared 100
a=$(cd "$sb" && $c --dry-run --out "$tmp/o5" --lift 16 --max-ptes-shared 256 2>&1)
case "$a" in *"lift=16 "*) ;; *) fail "dry run with --lift: '$a'" ;; esac

# ---- order independence (--dry-run: check, print, stop) ------------------
a=$(cd "$sb" && $c --dry-run --out "$tmp/o4" --pmd-pages 64 --max-ptes-shared 0 --seed 010 --minutes 3 2>&1)
b=$(cd "$sb" && $c --minutes 3 --seed 10 --max-ptes-shared 0 --out "$tmp/o4" --pmd-pages 64 --dry-run 2>&1)
[ "$a" = "$b" ] || fail "settings depend on the option order: '$a' vs '$b'"
case "$a" in *"max_ptes_shared=0 pmd_pages=64"*"seed=10 "*"seconds=180"*|*"seconds=180"*"max_ptes_shared=0 pmd_pages=64"*"seed=10 "*) ;;
*) fail "dry run settings: '$a'" ;; esac
[ ! -e "$tmp/setup-ran" ] && [ ! -e "$tmp/cmake-ran" ] || fail "--dry-run ran setup or cmake"

# ---- triage ----------------------------------------------------------------
t="scripts/triage --khpsim $tmp/bin/khpsim"
mkdir -p "$tmp/f"
expect_error "triage top without value" '^triage: --top needs a value' scripts/triage --top
expect_error "triage top overflow" '^triage: --top' $t --top 99999999999999999999 "$tmp/f" "$tmp/t1"
expect_error "triage max-runs -1" '^triage: --max-runs' $t --max-runs -1 "$tmp/f" "$tmp/t1"
expect_error "triage khpsim without value" '^triage: --khpsim needs a value' scripts/triage "$tmp/f" "$tmp/t1" --khpsim
expect_error "triage one dir" '^triage: needs FINDINGS_DIR and OUT_DIR' $t "$tmp/f"
expect_error "triage out /proc/x" '^triage: OUT_DIR /proc/x' $t "$tmp/f" /proc/x
expect_error "triage unknown option" "^triage: unknown option '--bogus'" $t --bogus "$tmp/f" "$tmp/t1"
(cd "$sb" && scripts/triage "$tmp/f" "$tmp/t2" --top 2 --khpsim "$tmp/bin/khpsim") >/dev/null 2>"$tmp/err" ||
	fail "triage with options after the directories: $(cat "$tmp/err")"

# ---- refactor-check ----------------------------------------------------------
r=scripts/refactor-check
expect_error "refactor-check unknown" "^refactor-check: unknown argument '--bogus'" $r --bogus
expect_error "refactor-check base without value" '^refactor-check: --base needs a value' $r --base
expect_error "refactor-check inputs without value" '^refactor-check: --inputs needs a value' $r --inputs
expect_error "refactor-check inputs missing" '^refactor-check: --inputs /nonexistent: not a directory' \
	$r --inputs /nonexistent
expect_error "refactor-check bad base" '^refactor-check: --base no-such-rev: not a commit' \
	$r --base no-such-rev
[ ! -e "$sb/build/refactor-check" ] || fail "refactor-check: made build/refactor-check before checking"

# ---- test and setup --------------------------------------------------------
expect_error "test unknown option" "^test: unknown argument '--bogus'" scripts/test --bogus
cp "$src/scripts/setup" "$tmp/setup"
(cd "$sb" && "$tmp/setup" --bogus) >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q -- "--bogus" "$tmp/err" ||
	fail "setup --bogus: exit $rc, $(cat "$tmp/err")"

[ "$fails" = 0 ] || { echo "scripts/args: $fails failure(s)"; exit 1; }
echo "scripts/args: ok"
