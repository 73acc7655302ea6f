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
# Usage: build.sh [--src-only] [--print]
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
case ${1:-} in
'') ;;
--src-only) mode=src ;;
--print) mode=print ;;
*) kvmmig_die "usage: build.sh [--src-only] [--print]" ;;
esac

version=$(sed -n '1{s/[[:space:]]//g;p}' "$here/VERSION")
[ -n "$version" ] || kvmmig_die "tools/qemu/VERSION is empty"
uapi=$KVMMIG_TOP/include/uapi/linux/kvmmig.h

patches=()
while read -r p; do
	case $p in '' | '#'*) continue ;; esac
	[ -f "$here/patches/$p" ] || kvmmig_die "series names $p, not in tools/qemu/patches"
	patches+=("$here/patches/$p")
done <"$here/series"

key=$(cat "$here/VERSION" "$here/series" ${patches[@]+"${patches[@]}"} "$uapi" "$0" |
	sha256sum | cut -c1-16)
cache=$(kvmmig_cache_dir)/qemu
dir=$cache/${version//[:+~]/_}-$key
link=$BUILD_DIR/qemu/qemu-system-x86_64

if [ "$mode" = print ]; then
	[ -x "$dir/qemu-system-x86_64" ] || kvmmig_die "patched QEMU not built (make qemu)"
	printf '%s\n' "$dir/qemu-system-x86_64"
	exit 0
fi

publish() {
	mkdir -p "$BUILD_DIR/qemu"
	ln -sfn "$dir/qemu-system-x86_64" "$link"
	printf '%s\n' "$version" >"$BUILD_DIR/qemu/version"
}

if [ "$mode" = build ] && [ -x "$dir/qemu-system-x86_64" ]; then
	publish
	kvmmig_log "qemu: $version with ${#patches[@]} patches, cached in $dir"
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
work=$cache/work-${version//[:+~]/_}
git_q=(git -C "$work/src" -c user.name=kvmmig -c user.email=kvmmig@localhost
	-c commit.gpgsign=false)
if ! "${git_q[@]}" rev-parse -q --verify debian >/dev/null 2>&1; then
	rm -rf "$work"
	mkdir -p "$work"
	kvmmig_log "qemu: unpacking $(basename "$dsc")"
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
	kvmmig_log "qemu: applying $(basename "$p")"
	"${git_q[@]}" am -q --keep-cr "$p" || kvmmig_die "qemu: $(basename "$p") does not apply"
done

if [ "$mode" = src ]; then
	printf '%s\n' "$work/src"
	exit 0
fi

# KVM only: what the test bed and a KVM host need, nothing else (Debian's
# firmware paths, so the firmware of qemu-system-data is found).
obj=$work/obj
log=$work/build.log
# The uapi header is copied (when it changed) to a directory of the work
# tree, so the configured include path never names a clone that may go.
mkdir -p "$work/include/linux"
cmp -s "$uapi" "$work/include/linux/kvmmig.h" || cp "$uapi" "$work/include/linux/kvmmig.h"
if [ ! -f "$obj/build.ninja" ]; then
	rm -rf "$obj"
	mkdir -p "$obj"
	kvmmig_log "qemu: configuring (log: $work/configure.log)"
	(cd "$obj" && ../src/configure --prefix=/usr \
		--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu \
		--target-list=x86_64-softmmu --disable-tcg --enable-kvm \
		--without-default-features --disable-docs --disable-werror \
		--extra-cflags="-I$work/include") >"$work/configure.log" 2>&1 ||
		{ tail -n 30 "$work/configure.log" >&2; rm -rf "$obj"; kvmmig_die "qemu: configure failed"; }
fi
kvmmig_log "qemu: compiling qemu-system-x86_64 (log: $log; cold: about 1,100 files, 9-20 min on 2 cores)"
if ! ninja -C "$obj" -j "$(nproc)" qemu-system-x86_64 >"$log" 2>&1; then
	grep -a -B2 -A8 'error' "$log" | tail -n 40 >&2
	kvmmig_die "qemu: build failed (log: $log)"
fi
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
cp "$obj/qemu-system-x86_64" "$dir.tmp/"
"${git_q[@]}" log --oneline debian.. >"$dir.tmp/patches.txt"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
publish
kvmmig_log "qemu: built $link"
