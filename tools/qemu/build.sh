#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the patched QEMU: Debian's own QEMU source (the version pinned in
# tools/qemu/VERSION, Debian's patches applied by dpkg-source) plus the
# series in tools/qemu/series, configured for KVM only (x86_64-softmmu,
# no TCG, no optional features), with the project's uapi header on the
# include path (QEMU takes kernel uapi headers that way until they are
# imported by its scripts/update-linux-headers.sh).
#
# Usage: build.sh [--tcg] [--src-only] [--print]
#   --tcg       the test bed's own QEMU instead: TCG only (no KVM), with
#               tools/qemu/tcg-series (fixes to TCG's emulation of AMD SVM
#               that KVM nested in it needs), into $BUILD_DIR/tcg-qemu;
#               run-vm.sh boots the test kernel with it
#   --src-only  stop after the patched tree is ready and print its path
#               (a git tree: tag "debian", then one commit per patch; for
#               development: edit, commit, git format-patch debian..)
#   --print     print the binary's path if it is built, else fail
# Env:   BUILD_DIR, KVMMIG_CACHE_DIR (see tools/testing/testbed/lib.sh)
# Out:   $BUILD_DIR/qemu/qemu-system-x86_64, a link into the cache:
#        DIR = <cache>/qemu/<version>-<key>, key = hash of the series, its
#        patches, the uapi header and this script.  A second run with the
#        same inputs finds DIR/qemu-system-x86_64 and builds nothing.
#        The source package is downloaded once per version into
#        <cache>/qemu/source (tools/testing/testbed/deps.sh --qemu-source);
#        the work tree and objects live in <cache>/qemu/work-<version>.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../testing/testbed/lib.sh"

mode=build
variant=kvm
while [ $# -gt 0 ]; do
	case $1 in
	--tcg) variant=tcg ;;
	--src-only) mode=src ;;
	--print) mode=print ;;
	*) kvmmig_die "usage: build.sh [--tcg] [--src-only] [--print]" ;;
	esac
	shift
done
if [ "$variant" = tcg ]; then
	series=$here/tcg-series pdir=$here/tcg-patches name=tcg-qemu
	accel=(--enable-tcg --disable-kvm)
else
	series=$here/series pdir=$here/patches name=qemu
	accel=(--disable-tcg --enable-kvm)
fi

version=$(sed -n '1{s/[[:space:]]//g;p}' "$here/VERSION")
[ -n "$version" ] || kvmmig_die "tools/qemu/VERSION is empty"
uapi=$KVMMIG_TOP/include/uapi/linux/kvmmig.h

patches=()
while read -r p; do
	case $p in '' | '#'*) continue ;; esac
	[ -f "$pdir/$p" ] || kvmmig_die "$(basename "$series") names $p, not in $pdir"
	patches+=("$pdir/$p")
done <"$series"

key=$(cat "$here/VERSION" "$series" ${patches[@]+"${patches[@]}"} "$uapi" "$0" |
	sha256sum | cut -c1-16)
cache=$(kvmmig_cache_dir)/qemu
prefix=
[ "$variant" = tcg ] && prefix=tcg-
dir=$cache/$prefix${version//[:+~]/_}-$key
link=$BUILD_DIR/$name/qemu-system-x86_64

if [ "$mode" = print ]; then
	[ -x "$dir/qemu-system-x86_64" ] || kvmmig_die "patched QEMU ($variant) not built (make qemu)"
	printf '%s\n' "$dir/qemu-system-x86_64"
	exit 0
fi

publish() {
	mkdir -p "$BUILD_DIR/$name"
	ln -sfn "$dir/qemu-system-x86_64" "$link"
	printf '%s\n' "$version" >"$BUILD_DIR/$name/version"
}

if [ "$mode" = build ] && [ -x "$dir/qemu-system-x86_64" ]; then
	publish
	kvmmig_log "$name: $version with ${#patches[@]} patches, cached in $dir"
	exit 0
fi

# Debian's source, once per version: .dsc and tarballs.
dsc=$("$KVMMIG_TESTBED/deps.sh" --qemu-source "$version" "$cache/source")
[ -f "$dsc" ] || kvmmig_die "no .dsc for qemu $version"

# The work tree, once per version: Debian's source as one commit, tagged;
# each build resets it there and applies the series with git am, which
# checks that each patch applies as it was made (context, not fuzz).  The
# object directory is kept, so a changed series rebuilds only what it
# touches.
work=$cache/${prefix}work-${version//[:+~]/_}
git_q=(git -C "$work/src" -c user.name=kvmmig -c user.email=kvmmig@localhost
	-c commit.gpgsign=false)
if ! "${git_q[@]}" rev-parse -q --verify debian >/dev/null 2>&1; then
	rm -rf "$work"
	mkdir -p "$work"
	kvmmig_log "$name: unpacking $(basename "$dsc")"
	dpkg-source --no-check -q -x "$dsc" "$work/src" >/dev/null
	"${git_q[@]}" init -q
	"${git_q[@]}" add -A -f .
	"${git_q[@]}" commit -q -m "qemu $version (Debian source, Debian patches applied)"
	"${git_q[@]}" tag debian
fi
"${git_q[@]}" am --abort >/dev/null 2>&1 || true
"${git_q[@]}" checkout -q -f -B kvmmig debian
"${git_q[@]}" clean -q -f -d -x
for p in ${patches[@]+"${patches[@]}"}; do
	kvmmig_log "$name: applying $(basename "$p")"
	"${git_q[@]}" am -q --keep-cr "$p" || kvmmig_die "$name: $(basename "$p") does not apply"
done

if [ "$mode" = src ]; then
	printf '%s\n' "$work/src"
	exit 0
fi

# KVM only (the TCG variant: TCG only): what the test bed and a KVM host
# need, nothing else (Debian's firmware paths, so the firmware of
# qemu-system-data is found).
obj=$work/obj
log=$work/build.log
# The uapi header is copied (when it changed) to a directory of the work
# tree, so the configured include path never names a clone that may go.
mkdir -p "$work/include/linux"
cmp -s "$uapi" "$work/include/linux/kvmmig.h" || cp "$uapi" "$work/include/linux/kvmmig.h"
if [ ! -f "$obj/build.ninja" ]; then
	rm -rf "$obj"
	mkdir -p "$obj"
	kvmmig_log "$name: configuring (log: $work/configure.log)"
	(cd "$obj" && ../src/configure --prefix=/usr \
		--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu \
		--target-list=x86_64-softmmu "${accel[@]}" \
		--without-default-features --disable-docs --disable-werror \
		--extra-cflags="-I$work/include") >"$work/configure.log" 2>&1 ||
		{ tail -n 30 "$work/configure.log" >&2; rm -rf "$obj"; kvmmig_die "$name: configure failed"; }
fi
kvmmig_log "$name: compiling qemu-system-x86_64 (log: $log; cold: 1,100-1,500 files, 6-20 min on 2 cores)"
if ! ninja -C "$obj" -j "$(nproc)" qemu-system-x86_64 >"$log" 2>&1; then
	grep -a -B2 -A8 'error' "$log" | tail -n 40 >&2
	kvmmig_die "$name: build failed (log: $log)"
fi
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
cp "$obj/qemu-system-x86_64" "$dir.tmp/"
"${git_q[@]}" log --oneline debian.. >"$dir.tmp/patches.txt"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
publish
kvmmig_log "$name: built $link"
