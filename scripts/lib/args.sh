# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/lib/args.sh: option checking shared by scripts/campaign and
# scripts/triage (sourced; the script defines die(), which prints one line
# "NAME: MESSAGE" to stderr and exits 2).  The rules, the same in every
# script and every khpsim subcommand:
#   - an option that takes a value refuses a missing one, an empty one and
#     one that is another option ("--out --minutes 5");
#   - numbers are decimal (leading zeros do not make them octal), checked
#     against their range before anything is set up or built, and never wrap;
#   - every error names the option and exits 2.

# args_value OPTION NARGS NEXT: OPTION (with NARGS arguments left, itself
# included) is followed by a value NEXT.
args_value() {
	[ "$2" -ge 2 ] || die "$1 needs a value"
	case "$3" in
	'') die "$1 needs a value, got an empty string" ;;
	--*) die "$1 needs a value, got the option '$3'" ;;
	esac
}

# args_num OPTION VALUE MIN MAX: VALUE is a decimal integer in [MIN, MAX];
# the result is in $num.
args_num() {
	local v=$2
	[[ "$v" =~ ^[0-9]+$ ]] || die "$1: expected a decimal number in $3..$4, got '$2'"
	v=${v#"${v%%[!0]*}"}
	v=${v:-0}
	if [ ${#v} -gt 18 ] || [ $(( 10#$v )) -lt "$3" ] || [ $(( 10#$v )) -gt "$4" ]; then
		die "$1: $2 is out of range ($3..$4)"
	fi
	num=$(( 10#$v ))
}

# args_realpath PATH: the absolute real path of PATH (symbolic links and
# .. resolved; missing components allowed).
args_realpath() {
	realpath -m -- "$1" 2>/dev/null
}

# args_mkdir DIR: create DIR and its parents; on failure $args_err holds
# the reason (e.g. "No such file or directory") and the status is 1.
args_mkdir() {
	args_err=$(mkdir -p -- "$1" 2>&1) && return 0
	args_err=${args_err##*: }
	return 1
}
