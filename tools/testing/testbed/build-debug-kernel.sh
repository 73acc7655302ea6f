#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug test kernel from Debian's linux-source-6.1: a small config
# (allnoconfig + debug-kernel.config: only what the test bed boots) with
# KASAN, lockdep, DEBUG_ATOMIC_SLEEP, DEBUG_LIST, kmemleak, the hung-task
# detector and KUnit built in.  Out-of-tree modules build against it with
#   make -C "$(build-debug-kernel.sh --print-src)" O=<obj> M=<dir> modules
#
# Usage: build-debug-kernel.sh [--print-src]
#   prints the object directory (or, with --print-src, the source tree)
# Env:   BUILD_DIR, KVMMIG_CACHE_DIR (see lib.sh)
# Out:   DIR/obj: arch/x86/boot/bzImage (what the test bed boots), vmlinux,
#        Module.symvers, include/config/kernel.release; the build's output
#        goes to DIR/build.log.  DIR is $KVMMIG_CACHE_DIR/debug-kernel,
#        outside the work tree (by default /var/cache/kvmmig when it can be
#        written, else $BUILD_DIR), so a fresh clone on the same machine
#        finds the kernel an earlier run built.
#
# Cached: the whole source is extracted once per linux-source-6.1 version
# (DIR/linux-source-6.1), and the kernel is built again
# only when that version, debug-kernel.config or this script changes (the
# object directory is kept, so a rebuild is incremental).  A cold build
# takes about 20 minutes on two cores (see Documentation/design.rst).

set -euo pipefail
. "$(dirname "$0")/lib.sh"

print=obj
case ${1:-} in
'') ;;
--print-src) print=src ;;
*) kvmmig_die "usage: build-debug-kernel.sh [--print-src]" ;;
esac

tarball=/usr/src/linux-source-6.1.tar.xz
top=linux-source-6.1
base=$(kvmmig_debug_kernel_dir)
src=$base/$top
obj=$base/obj
fragment=$KVMMIG_TESTBED/debug-kernel.config
jobs=2

[ -f "$tarball" ] || kvmmig_die "$tarball missing (run deps.sh)"
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)

# The whole tree, once per source version.
if ! kvmmig_stamp_valid "$base/.src-stamp" "$srcver"; then
	kvmmig_log "debug kernel: extracting $tarball ($srcver)"
	rm -rf "$src" "$base/.src-stamp"
	mkdir -p "$base"
	xz -T0 -dc "$tarball" | tar -x -C "$base" -f -
	printf '%s\n' "$srcver" >"$base/.src-stamp"
fi

if [ "$print" = src ]; then
	printf '%s\n' "$src"
	exit 0
fi

key="$srcver $(sha256sum <"$fragment" | cut -d' ' -f1) $(sha256sum <"$0" | cut -d' ' -f1)"
if kvmmig_stamp_valid "$obj/.kvmmig-stamp" "$key" && [ -f "$obj/vmlinux" ] &&
	[ -f "$obj/Module.symvers" ]; then
	printf '%s\n' "$obj"
	exit 0
fi

# Every option the fragment sets must be in the .config with that value:
# allnoconfig silently drops options whose dependencies are missing.
check_config() {
	local line sym bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF -- "$line" "$obj/.config" && continue
			sym=${line%%=*}
			kvmmig_log "debug kernel: wanted $line, got: $(grep -E "^(# )?${sym}[= ]" \
				"$obj/.config" || echo "$sym not in .config (dependencies missing)")"
			bad=1
			;;
		'# CONFIG_'*' is not set')
			sym=${line#'# '}
			sym=${sym%' is not set'}
			grep -qE "^$sym=" "$obj/.config" || continue
			kvmmig_log "debug kernel: wanted $sym off, got: $(grep -E "^$sym=" "$obj/.config")"
			bad=1
			;;
		esac
	done <"$fragment"
	[ "$bad" -eq 0 ] || kvmmig_die "debug kernel: $obj/.config lacks options of $fragment"
}

start=$SECONDS
rm -f "$obj/.kvmmig-stamp"
mkdir -p "$obj"
kvmmig_log "debug kernel: building linux-source $srcver with $(basename "$fragment") in $obj" \
	"(make -j$jobs; ~20 min cold; log: $base/build.log; load: $(cut -d' ' -f1-3 /proc/loadavg))"
: >"$base/build.log"
make -C "$src" O="$obj" KCONFIG_ALLCONFIG="$fragment" allnoconfig >>"$base/build.log" 2>&1 ||
	kvmmig_die "debug kernel: allnoconfig failed, see $base/build.log"
check_config
# all: vmlinux, bzImage and modules (none in-tree: Module.symvers and the
# modules_prepare step for out-of-tree modules).
if ! make -C "$src" O="$obj" -j"$jobs" all >>"$base/build.log" 2>&1; then
	tail -n 30 "$base/build.log" | sed 's/^/[testbed]   /' >&2
	kvmmig_die "debug kernel: build failed after $((SECONDS - start))s, see $base/build.log"
fi
[ -f "$obj/Module.symvers" ] || kvmmig_die "debug kernel: no Module.symvers in $obj"
printf '%s\n' "$key" >"$obj/.kvmmig-stamp"
kvmmig_log "debug kernel: $(cat "$obj/include/config/kernel.release") built in" \
	"$(((SECONDS - start) / 60))m$(((SECONDS - start) % 60))s (load now: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%s\n' "$obj"
