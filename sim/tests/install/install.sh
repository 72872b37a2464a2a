#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# install.sh CMAKE BUILD_DIR SOURCE_DIR VERSION SOVERSION BINDIR LIBDIR
#            INCLUDEDIR MANDIR CC "CFLAGS" (ctest install/pkg-config)
#
# `cmake --install BUILD_DIR --prefix TMP` as a user would, then, against
# what landed in TMP only:
#   - the files: khpsim, libkhpsim.a, libkhpsim.so -> .so.SOVERSION (the
#     SONAME) -> .so.VERSION, every public header, khpsim.pc, khpsim.1;
#   - pkg-config: version, prefix, Requires.private; each header compiles
#     on its own (-std=c11 -Wpedantic -Werror);
#   - libkhpsim.so exports every function of the headers and nothing that
#     is not khp_*;
#   - consumer.c built with `pkg-config --cflags --libs khpsim` (the shared
#     library) and with `--static` (the archive), each run: the 2024
#     extreme case, fn_waste_pages 256 under linux-6.12 only;
#   - the installed `khpsim --version` and `khpsim replay` of that scenario;
#   - `man -M TMP/MANDIR khpsim` finds the page;
#   - DESTDIR staging (`--prefix /usr`): files under DESTDIR/usr, and
#     khpsim.pc says prefix=/usr.
# CFLAGS are the build's own (a sanitized library needs a sanitized
# program: the asan preset passes -fsanitize=address,undefined).
set -u
CMAKE=$1 BUILD=$2 SRC=$3 VERSION=$4 SOVERSION=$5
BINDIR=$6 LIBDIR=$7 INCLUDEDIR=$8 MANDIR=$9
shift 9
CC=$1 CFLAGS=$2
HERE=$(cd "$(dirname "$0")" && pwd)
S=$SRC/scenarios/hildenbrand-2024-extreme.json
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
P=$T/prefix
fails=0 seen=0
fail() {
	echo "FAIL $*"
	fails=$((fails + 1))
}
# ok TEXT: "ok" unless a check failed since the last ok
ok() {
	[ "$fails" -ne "$seen" ] || echo "ok   $*"
	seen=$fails
}
# run NAME CMD...: CMD succeeds, else its output is shown
run() {
	name=$1
	shift
	"$@" >"$T/out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$name"
		return 0
	fi
	fail "$name: exit $rc from $*"
	sed 's/^/  /' "$T/out" | head -20
	return 1
}
# Relative install dirs live under the prefix (GNUInstallDirs may be absolute).
under() {
	case "$2" in /*) echo "$2" ;; *) echo "$1/$2" ;; esac
}

run "cmake --install --prefix" "$CMAKE" --install "$BUILD" --prefix "$P" || exit 1
bin=$(under "$P" "$BINDIR") lib=$(under "$P" "$LIBDIR")
inc=$(under "$P" "$INCLUDEDIR") man=$(under "$P" "$MANDIR")

# ---- the files -----------------------------------------------------------
for f in "$bin/khpsim" "$lib/libkhpsim.a" "$lib/libkhpsim.so.$VERSION" \
	 "$lib/pkgconfig/khpsim.pc" "$man/man1/khpsim.1"; do
	[ -f "$f" ] || fail "not installed: ${f#"$P"/}"
done
[ -x "$bin/khpsim" ] || fail "khpsim is not executable"
[ "$(readlink "$lib/libkhpsim.so")" = "libkhpsim.so.$SOVERSION" ] ||
	fail "libkhpsim.so -> $(readlink "$lib/libkhpsim.so"), want libkhpsim.so.$SOVERSION"
[ "$(readlink "$lib/libkhpsim.so.$SOVERSION")" = "libkhpsim.so.$VERSION" ] ||
	fail "libkhpsim.so.$SOVERSION -> $(readlink "$lib/libkhpsim.so.$SOVERSION")"
soname=$(readelf -d "$lib/libkhpsim.so.$VERSION" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libkhpsim.so.$SOVERSION" ] || fail "SONAME '$soname', want libkhpsim.so.$SOVERSION"
n=0
for h in "$SRC"/sim/include/khpsim/*.h; do
	n=$((n + 1))
	cmp -s "$h" "$inc/khpsim/$(basename "$h")" || fail "header not installed: khpsim/$(basename "$h")"
done
[ "$(ls "$inc/khpsim" | wc -l)" -eq "$n" ] || fail "installed headers: $(ls "$inc/khpsim" | tr '\n' ' ')"
ok "files: khpsim, libkhpsim.a, libkhpsim.so.$VERSION (SONAME $soname), $n headers, khpsim.pc, khpsim.1"

# ---- pkg-config ------------------------------------------------------------
PKG_CONFIG_PATH=$lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
v=$(pkg-config --modversion khpsim) || fail "pkg-config does not find khpsim.pc"
[ "$v" = "$VERSION" ] || fail "pkg-config --modversion: '$v', want $VERSION"
[ "$(pkg-config --variable=prefix khpsim)" = "$P" ] ||
	fail "khpsim.pc: prefix=$(pkg-config --variable=prefix khpsim), want $P"
pkg-config --print-requires-private khpsim | grep -q '^libcjson' ||
	fail "khpsim.pc: Requires.private has no libcjson"
pkg-config --static --libs khpsim | grep -q -- '-lm' || fail "pkg-config --static --libs: no -lm"
cflags=$(pkg-config --cflags khpsim) libs=$(pkg-config --libs khpsim)
slibs=$(pkg-config --static --libs khpsim)
ok "pkg-config: khpsim $v; --cflags --libs: $cflags $libs; --static --libs: $slibs"
for h in "$inc"/khpsim/*.h; do
	# shellcheck disable=SC2086 # word splitting of the flags is wanted
	echo "#include <khpsim/$(basename "$h")>" |
		$CC $CFLAGS -std=c11 -Wall -Wextra -Wpedantic -Werror $cflags -fsyntax-only -x c - \
		>"$T/out" 2>&1 || { fail "khpsim/$(basename "$h") does not compile on its own"; head -5 "$T/out"; }
done
ok "each header compiles on its own"

# ---- the shared library's symbols --------------------------------------------
nm -D --defined-only "$lib/libkhpsim.so.$VERSION" | awk 'NF == 3 { print $3 }' | sort -u >"$T/exported"
grep -v '^khp_' "$T/exported" >"$T/extra"
[ ! -s "$T/extra" ] || fail "libkhpsim.so exports more than khp_*: $(head -5 "$T/extra" | tr '\n' ' ')"
for h in "$inc"/khpsim/*.h; do echo "#include <khpsim/$(basename "$h")>"; done >"$T/all.c"
# shellcheck disable=SC2086
$CC $cflags -E -P "$T/all.c" >"$T/all.i" || fail "cannot preprocess the headers"
grep -v '^static' "$T/all.i" | grep -oE '\<khp_[a-z0-9_]+ *\(' | sed 's/ *($//' | sort -u >"$T/declared"
[ "$(wc -l <"$T/declared")" -ge 100 ] || fail "found only $(wc -l <"$T/declared") functions in the headers"
comm -23 "$T/declared" "$T/exported" >"$T/missing"
[ ! -s "$T/missing" ] || fail "declared but not exported: $(tr '\n' ' ' <"$T/missing")"
ok "libkhpsim.so exports $(wc -l <"$T/exported") symbols, all khp_*, every one of the $(wc -l <"$T/declared") functions the headers declare"

# ---- a program built through pkg-config ------------------------------------
# shellcheck disable=SC2086
if run "cc consumer.c \$(pkg-config --cflags --libs khpsim)" \
	$CC $CFLAGS -std=c11 -Wall -Wextra -Werror -o "$T/consumer" "$HERE/consumer.c" $cflags $libs; then
	readelf -d "$T/consumer" | grep -q "NEEDED.*\[libkhpsim.so.$SOVERSION\]" ||
		fail "the program does not need libkhpsim.so.$SOVERSION"
	LD_LIBRARY_PATH=$lib ldd "$T/consumer" | grep -q "libkhpsim.so.$SOVERSION => $lib/" ||
		fail "the program does not load $lib/libkhpsim.so.$SOVERSION"
	run "consumer (shared) $(basename "$S")" env LD_LIBRARY_PATH="$lib" "$T/consumer" "$S" &&
		sed 's/^/     /' "$T/out"
fi
# The archive: -Bstatic for libkhpsim only (Debian has no libcjson.a).
static=$(echo "$slibs" | sed 's/-lkhpsim/-Wl,-Bstatic -lkhpsim -Wl,-Bdynamic/')
# shellcheck disable=SC2086
if run "cc consumer.c \$(pkg-config --cflags khpsim) \$(pkg-config --static --libs khpsim), libkhpsim.a" \
	$CC $CFLAGS -std=c11 -Wall -Wextra -Werror -o "$T/consumer-static" "$HERE/consumer.c" $cflags $static; then
	! readelf -d "$T/consumer-static" | grep -q 'NEEDED.*libkhpsim' ||
		fail "the static program needs libkhpsim.so"
	run "consumer (static) $(basename "$S")" "$T/consumer-static" "$S"
fi

# ---- the installed command and man page --------------------------------------
v=$("$bin/khpsim" --version)
[ "$v" = "khpsim $VERSION" ] || fail "installed khpsim --version: '$v', want 'khpsim $VERSION'"
ok "installed $v"
if run "installed khpsim replay $(basename "$S")" "$bin/khpsim" replay "$S"; then
	grep -Eq '^  fn_waste_pages +0 +256 +0$' "$T/out" ||
		fail "khpsim replay: no 'fn_waste_pages 0 256 0' line"
fi
if command -v man >/dev/null 2>&1; then
	m=$(man -M "$man" -w khpsim 2>&1)
	[ "$m" = "$man/man1/khpsim.1" ] || fail "man -M $man -w khpsim: '$m'"
	ok "man -M ${man#"$T"/} -w khpsim"
fi

# ---- DESTDIR staging, as a package build does --------------------------------
run "DESTDIR=... cmake --install --prefix /usr" \
	env DESTDIR="$T/stage" "$CMAKE" --install "$BUILD" --prefix /usr
D=$T/stage
[ -x "$(under "$D/usr" "$BINDIR")/khpsim" ] || fail "DESTDIR: no khpsim"
pc=$(under "$D/usr" "$LIBDIR")/pkgconfig/khpsim.pc
grep -qx 'prefix=/usr' "$pc" 2>/dev/null || fail "DESTDIR: $pc does not say prefix=/usr"
ok "DESTDIR staging: $(find "$D" -type f | wc -l) files, khpsim.pc prefix=/usr"

[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
