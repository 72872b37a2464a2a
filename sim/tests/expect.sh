# SPDX-License-Identifier: GPL-2.0-only
#
# expect.sh: sourced by the shell tests (cli.sh, sweep.sh).  The caller sets
# T (a scratch directory) and fails=0.
#
# fail MESSAGE: count a failure.
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

# expect NAME STATUS PATTERN CMD...: CMD exits STATUS and PATTERN (grep -E)
# matches its stderr + stdout (PATTERN "" matches anything).
expect() {
	name=$1 want=$2 pat=$3
	shift 3
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "$name: exit $got, want $want"; sed 's/^/  /' "$T/err" | head -5
		return 1
	elif [ -n "$pat" ] && ! cat "$T/err" "$T/out" | grep -Eq -- "$pat"; then
		fail "$name: no /$pat/ in the output"; sed 's/^/  /' "$T/err" "$T/out" | head -5
		return 1
	fi
	echo "ok   $name"
}
