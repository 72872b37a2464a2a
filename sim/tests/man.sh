#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# man.sh content KHPSIM MANPAGE SOURCE_DIR (ctest docs/man): khpsim(1) and the
# code cannot drift apart.
#   - every subcommand of the table in sim/src/cli/main.c (and `help`) has a
#     section `.SS "khpsim CMD"`, and every such section is a subcommand;
#   - every option that `khpsim CMD --help` prints appears in CMD's section,
#     and the options main.c itself takes (--help, --version, ...) in the page;
#   - every KHP_* variable the sources read (a "KHP_..." string in sim/src or
#     fuzz/) is an entry of ENVIRONMENT, and every entry there is read;
#   - EXIT STATUS has the statuses 0..3, and each command section its own.
#
# man.sh render MANPAGE (ctest docs/man-render): groff -ww (every warning)
# and `man -l` render the page with nothing on stderr, and no rendered line
# is wider than 80 columns.  Exit 77 (skipped) when neither groff nor man is
# installed (scripts/setup installs groff-base).
set -u
fails=0
before=0
fail() {
	echo "FAIL $*"
	fails=$((fails + 1))
}
# ok TEXT: "ok" unless a failure came since `before=$fails`.
ok() {
	[ "$fails" -ne "$before" ] || echo "ok   $*"
}

# The page as text to search: \- as -, no font escapes, no comments.
plain() {
	sed -e '/^\.\\"/d' -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\e/\\/g' "$1"
}

# section FILE 'SS "khpsim replay"': the lines after that heading up to the
# next .SS or .SH heading.
section() {
	awk -v h=".$2" '
		$0 == h { on = 1; next }
		on && /^\.S[SH] / { exit }
		on { print }' "$1"
}

# has TEXT_FILE TOKEN: TOKEN occurs as a whole word (options have dashes).
has() {
	grep -Eq -- "(^|[^A-Za-z0-9_-])$2([^A-Za-z0-9_-]|\$)" "$1"
}

content() {
	K=$1 MAN=$2 SRC=$3
	MAIN=$SRC/sim/src/cli/main.c
	T=$(mktemp -d)
	trap 'rm -rf "$T"' EXIT
	plain "$MAN" >"$T/page"

	# ---- subcommands: main.c's table, both ways --------------------------
	sed -n 's/^[[:space:]]*{ "\([a-z][a-z0-9-]*\)", cmd_[a-z_]*,.*/\1/p' "$MAIN" >"$T/cmds"
	grep -q 'strcmp(argv\[1\], "help")' "$MAIN" && echo help >>"$T/cmds"
	[ "$(wc -l <"$T/cmds")" -ge 9 ] ||
		fail "found only $(wc -l <"$T/cmds") subcommands in $MAIN (the pattern of its table changed?)"
	sed -n 's/^\.SS "khpsim \([^"]*\)"$/\1/p' "$T/page" >"$T/sections"
	while read -r cmd; do
		if ! grep -qx -- "$cmd" "$T/sections"; then
			fail "subcommand $cmd (main.c) has no section .SS \"khpsim $cmd\" in the man page"
			continue
		fi
		before=$fails
		section "$T/page" "SS \"khpsim $cmd\"" >"$T/sec"
		grep -q 'Exit status:' "$T/sec" || fail "khpsim $cmd: its section has no 'Exit status:'"
		[ "$cmd" = help ] && continue
		# every option of its --help, long and short
		"$K" "$cmd" --help >"$T/help" 2>&1 || fail "khpsim $cmd --help exits non-zero"
		grep -oE -- '(^|[^A-Za-z0-9_-])(--[a-z][a-z0-9-]*|-[A-Za-z])([^A-Za-z0-9_-]|$)' "$T/help" |
			sed -E 's/^[^-]*//; s/[^A-Za-z0-9-]$//' | sort -u >"$T/opts"
		[ -s "$T/opts" ] || fail "khpsim $cmd --help names no option"
		while read -r opt; do
			has "$T/sec" "$opt" ||
				fail "khpsim $cmd: option $opt (from --help) is not in its man page section"
		done <"$T/opts"
		ok "khpsim $cmd: section, $(wc -l <"$T/opts") options of --help"
	done <"$T/cmds"
	while read -r s; do
		grep -qx -- "$s" "$T/cmds" || fail "man page section khpsim $s: no such subcommand in main.c"
	done <"$T/sections"

	# ---- the options of main.c itself ---------------------------------------
	before=$fails
	grep -oE 'strcmp\(argv\[1\], "-[^"]*"\)' "$MAIN" | sed -E 's/.*"(-[^"]*)".*/\1/' >"$T/top"
	[ -s "$T/top" ] || fail "found no option of main.c (--help, --version)"
	while read -r opt; do
		has "$T/page" "$opt" || fail "khpsim $opt (main.c) is not in the man page"
	done <"$T/top"
	ok "khpsim $(tr '\n' ' ' <"$T/top")"

	# ---- environment: what the sources read, both ways ---------------------
	before=$fails
	grep -rhoE '"KHP_[A-Z0-9_]+"' "$SRC/sim/src" "$SRC/fuzz" | tr -d '"' | sort -u >"$T/env"
	[ "$(wc -l <"$T/env")" -ge 10 ] ||
		fail "found only $(wc -l <"$T/env") KHP_* variables in the sources (pattern changed?)"
	section "$T/page" 'SH ENVIRONMENT' | sed -n 's/^\.B \(KHP_[A-Z0-9_]*\)$/\1/p' |
		sort -u >"$T/envman"
	while read -r v; do
		grep -qx "$v" "$T/envman" || fail "$v (read by the sources) is not under ENVIRONMENT"
	done <"$T/env"
	while read -r v; do
		grep -qx "$v" "$T/env" || fail "$v is under ENVIRONMENT but no source reads it"
	done <"$T/envman"
	ok "ENVIRONMENT: $(wc -l <"$T/env") variables"

	# ---- exit statuses -------------------------------------------------------
	before=$fails
	section "$T/page" 'SH EXIT STATUS' >"$T/exit"
	for st in 0 1 2 3; do
		grep -qx "\.B $st" "$T/exit" || fail "EXIT STATUS has no entry for $st"
	done
	ok "EXIT STATUS 0..3"
	[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
}

render() {
	MAN=$1
	T=$(mktemp -d)
	trap 'rm -rf "$T"' EXIT
	ran=0
	if command -v groff >/dev/null 2>&1; then
		ran=1
		before=$fails
		groff -man -ww -z -Tutf8 "$MAN" 2>"$T/err"
		[ ! -s "$T/err" ] || { fail "groff -ww warns:"; sed 's/^/  /' "$T/err"; }
		ok "groff -man -ww"
	fi
	if command -v man >/dev/null 2>&1; then
		ran=1
		before=$fails
		LC_ALL=C MANWIDTH=80 man --warnings -l "$MAN" >"$T/out" 2>"$T/err"
		[ ! -s "$T/err" ] || { fail "man -l warns:"; sed 's/^/  /' "$T/err"; }
		[ "$(wc -l <"$T/out")" -gt 100 ] || fail "man -l rendered only $(wc -l <"$T/out") lines"
		# LC_ALL=C: ASCII output, so bytes are columns
		wide=$(sed 's/.\x08//g' "$T/out" | awk 'length($0) > 80 { n++ } END { print n + 0 }')
		[ "$wide" -eq 0 ] || fail "man -l: $wide lines wider than 80 columns"
		ok "man -l ($(wc -l <"$T/out") lines)"
	fi
	if [ "$ran" = 0 ]; then
		echo "skipped: neither groff nor man is installed (scripts/setup installs groff-base)"
		exit 77
	fi
	[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
}

case "${1:-}" in
content) shift; content "$@" ;;
render) shift; render "$@" ;;
*) echo "usage: man.sh content KHPSIM MANPAGE SOURCE_DIR | man.sh render MANPAGE" >&2; exit 2 ;;
esac
