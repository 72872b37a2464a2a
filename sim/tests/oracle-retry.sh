#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# sim/tests/oracle-retry.sh KHPSIM: scripts/oracle end to end with a stand-in
# for qemu-system-x86_64 that replays the recorded guest logs of
# sim/tests/data/oracle/ (docs/oracle.md §6), boot by boot as a plan says:
#
#   a guest that panics (before /init) or hangs is booted again and the
#   retry is reported; the run then agrees (exit 0) and the summary says how
#   many boots each kernel took;
#   a guest that panics on every boot gives up after --max-boots: exit 3,
#   never 1;
#   a step that differs exits 1, even when another kernel did not complete.
#
# Exit 0 when all hold, 1 when one does not, 77 (skip) without gcc or cpio.
set -euo pipefail

khpsim="$1"
root=$(cd "$(dirname "$0")/../.." && pwd)
data="$root/sim/tests/data/oracle"
for tool in gcc cpio gzip; do
	command -v "$tool" >/dev/null || { echo "oracle-retry: SKIP: no $tool"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A kernel cache that scripts/oracle takes as already fetched.  The package
# of 6.1 is read from its .deb (as after a download), the others' are noted.
for k in 6.1 6.12 7.3; do
	d="$tmp/cache/kernels/$k"
	mkdir -p "$d"
	: >"$d/vmlinuz"
	: >"$d/config"
	echo "fake-$k" >"$d/version"
	echo "linux-image-fake-$k=$k.0-1" >"$d/package"
done
if command -v dpkg-deb >/dev/null; then
	pkg="$tmp/pkg"
	mkdir -p "$pkg/DEBIAN" "$pkg/boot" "$tmp/cache/kernels/6.1/debs"
	: >"$pkg/boot/vmlinuz-fake-6.1"
	# a listing longer than a pipe buffer, as a real kernel package has
	mkdir -p "$pkg/lib/modules/fake-6.1/kernel"
	(cd "$pkg/lib/modules/fake-6.1/kernel" && seq -f 'a-module-with-a-long-name-%04g.ko' 1 1500 |
		xargs touch)
	printf '%s\n' "Package: linux-image-fake-6.1" "Version: 6.1.99-7" "Architecture: amd64" \
		"Maintainer: khpsim tests <tests@invalid>" "Description: a stand-in kernel" \
		>"$pkg/DEBIAN/control"
	dpkg-deb -b "$pkg" "$tmp/cache/kernels/6.1/debs/linux-image-fake-6.1_6.1.99-7_amd64.deb" \
		>/dev/null
	rm "$tmp/cache/kernels/6.1/package"
fi

# The stand-in: boot N of kernel TAG prints what item N of $KHP_FAKE_PLAN
# ("TAG=ITEM,ITEM... TAG=...") says (the last item repeats; no entry: good).
mkdir -p "$tmp/bin"
cat >"$tmp/bin/qemu-system-x86_64" <<'EOF'
#!/usr/bin/env bash
set -eu
while [ $# -gt 0 ]; do
	[ "$1" = -kernel ] && tag=$(basename "$(dirname "$2")")
	shift
done
count="$KHP_FAKE_STATE/$tag.boots"
n=$(( $(cat "$count" 2>/dev/null || echo 0) + 1 ))
echo "$n" >"$count"
items=good
for p in $KHP_FAKE_PLAN; do
	[ "${p%%=*}" = "$tag" ] && items=${p#*=}
done
IFS=, read -r -a list <<<"$items"
i=$(( n <= ${#list[@]} ? n - 1 : ${#list[@]} - 1 ))
case "${list[$i]}" in
good) cat "$KHP_FAKE_DATA/guest-$tag.log" ;;
differ) cat "$KHP_FAKE_DATA/guest-6.12-differ.log" ;;
panic-early) cat "$KHP_FAKE_DATA/guest-7.3-panic-early.log" ;;
truncated) head -n 5 "$KHP_FAKE_DATA/guest-$tag.log" ;;
hang) head -n 3 "$KHP_FAKE_DATA/guest-$tag.log"; exec sleep 60 ;;
esac
EOF
chmod +x "$tmp/bin/qemu-system-x86_64"

fail=0
# run NAME EXPECTED_STATUS PLAN SCRIPT_ARGS...: scripts/oracle on the data
# scenarios; its output in $tmp/NAME.out, its results in $tmp/NAME/.
run() {
	local name="$1" want="$2" plan="$3" rc=0
	shift 3
	mkdir -p "$tmp/state-$name"
	PATH="$tmp/bin:$PATH" KHP_FAKE_PLAN="$plan" KHP_FAKE_STATE="$tmp/state-$name" \
	KHP_FAKE_DATA="$data" "$root/scripts/oracle" --khpsim "$khpsim" --cache "$tmp/cache" \
		--out "$tmp/$name" --no-kvm --no-swap "$@" "$data"/*.json >"$tmp/$name.out" 2>&1 ||
		rc=$?
	if [ "$rc" != "$want" ]; then
		echo "oracle-retry: $name: exit $rc, expected $want; output:"
		cat "$tmp/$name.out"
		fail=1
	fi
}

# expect NAME PATTERN: the output of run NAME has a line matching PATTERN.
expect() {
	grep -q -- "$2" "$tmp/$1.out" && return
	echo "oracle-retry: $1: no line matching '$2' in:"
	cat "$tmp/$1.out"
	fail=1
}

# boots NAME PROFILE N: the summary says kernel PROFILE took N boots.
boots() {
	grep -q "\"profile\":\"$2\".*\"boots\":$3," "$tmp/$1/summary.json" && return
	echo "oracle-retry: $1: $2 did not take $3 boots:"
	cat "$tmp/$1/summary.json"
	fail=1
}

run retried 0 "6.12=hang,good 7.3=panic-early,good" --kernels 6.12,7.3 --stall 2
expect retried 'kernel 6.12: boot 1 of 3: timed out.*no output for 2 s.*booting again'
expect retried 'kernel 7.3: boot 1 of 3: panicked at line 11: Oops: int3.*booting again'
expect retried 'kernel 7.3: tcg, 2 boots'
expect retried 'every step agrees'
boots retried linux-6.12 2
boots retried linux-7.3 2
grep -q 'package_version":"7.3.0-1"' "$tmp/retried/summary.json" ||
	{ echo "oracle-retry: no package version in the summary"; fail=1; }
[ -e "$tmp/retried/guest-7.3.boot1.log" ] ||
	{ echo "oracle-retry: the log of the failed boot was not kept"; fail=1; }

if command -v dpkg-deb >/dev/null; then
	run from-deb 0 "" --kernels 6.1
	expect from-deb 'kernel 6.1: fake-6.1, package linux-image-fake-6.1=6.1.99-7'
	grep -q '"package":"linux-image-fake-6.1","package_version":"6.1.99-7"' \
		"$tmp/from-deb/summary.json" ||
		{ echo "oracle-retry: the package of the .deb is not in the summary"; fail=1; }
fi

run gave-up 3 "7.3=panic-early" --kernels 7.3
expect gave-up 'kernel 7.3: boot 3 of 3: panicked.*giving up'
expect gave-up 'infrastructure failure'
boots gave-up linux-7.3 3

run differ 1 "6.12=differ 7.3=truncated" --kernels 6.12,7.3 --max-boots 2
expect differ 'DIFFER: status real=exceed_shared_pte model=succeeded'
expect differ 'kernel 7.3: boot 2 of 2: truncated.*giving up'
boots differ linux-6.12 1
boots differ linux-7.3 2

run bad-option 2 "" --max-boots 0
expect bad-option 'max-boots 0: give 1 to 9'

exit "$fail"
