#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# refs.sh SOURCE_DIR (ctest docs/refs): every reference in code, docs and
# scenarios resolves inside the repository.
#   - no citation of a background document that is not in the repository
#     (its section numbers, design/toolchain/history notes, answer sheets)
#     and no machine path;
#   - every `<page>.md#<anchor>` names a page of docs/ and a heading of it;
#   - every "docs/<page>.md, <Title>" names a page of docs/ with a heading
#     that starts with Title.
# The patterns below bracket one letter so that this file does not match
# them itself.
set -u
src=${1:?usage: refs.sh SOURCE_DIR}
cd "$src" || exit 1
fails=0
fail() { echo "refs: $*" >&2; fails=$((fails + 1)); }

paths="sim fuzz docs scenarios oracle scripts README.md .ci .clusterfuzzlite corpus/scenario CMakeLists.txt"
existing=
for p in $paths; do [ -e "$p" ] && existing="$existing $p"; done

bad='K[R] [§0-9]|K[R] section|\(K[R]\)|A[N] §|desig[n]\.md|desig[n] §|ANSWER[S]|kernel-referenc[e]|toolchai[n]\.md|histor[y]\.md|/wor[k]/'
hits=$(grep -rnE "$bad" $existing 2>/dev/null)
[ -z "$hits" ] || fail "references outside the repository:
$hits"

# GitHub's anchor of a heading: lower case, punctuation but '-' and '_'
# dropped, spaces to '-'.
anchors() {
	sed -n 's/^#\{1,6\} \{1,\}//p' "$1" | tr 'A-Z' 'a-z' |
		sed 's/[^a-z0-9 _-]//g; s/ /-/g'
}

for ref in $(grep -rhoE '[A-Za-z0-9_-]+\.md#[A-Za-z0-9_-]+' $existing | sort -u); do
	page=docs/${ref%%#*}
	anchor=${ref#*#}
	if [ ! -f "$page" ]; then
		fail "$ref: no page $page"
	elif ! anchors "$page" | grep -qxF -- "$anchor"; then
		fail "$ref: no heading with anchor #$anchor in $page"
	fi
done

n=$(grep -rhoE 'docs/[A-Za-z0-9_-]+\.md, [A-Z][A-Za-z0-9_ -]*' $existing | sort -u |
	while IFS= read -r ref; do
		page=${ref%%, *}
		title=$(printf %s "${ref#*, }" | sed "s/ *$//")
		if [ ! -f "$page" ]; then
			echo "refs: $ref: no page $page" >&2; echo x
		elif ! sed -n 's/^#\{1,6\} \{1,\}//p' "$page" |
			awk -v t="$title" 'index($0, t) == 1 { f = 1 } END { exit !f }'; then
			echo "refs: $ref: no heading \"$title\" in $page" >&2; echo x
		fi
	done | wc -l)
fails=$((fails + n))

[ "$fails" -eq 0 ] || { echo "refs: $fails problem(s)" >&2; exit 1; }
echo "refs: ok"
